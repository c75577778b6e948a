#define _GNU_SOURCE
#include "errpipe.h"
#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* One message, written with a single write(2) (atomic: smaller than PIPE_BUF). */
struct child_failure {
        int exit_code;
        int err;
        char module[16]; /* empty: the text names a manifest location instead */
        char text[460];
};

static int pipe_fds[2] = {-1, -1};
static bool in_container;

void errpipe_open(void)
{
        if (pipe2(pipe_fds, O_CLOEXEC) < 0)
                die("setup", errno, "unable to create the error pipe");
}

void errpipe_parent_side(void)
{
        close(pipe_fds[1]);
        pipe_fds[1] = -1;
        /* Collected only after the container has exited; never wait on it. */
        fcntl(pipe_fds[0], F_SETFL, O_NONBLOCK);
}

void errpipe_child_side(void)
{
        close(pipe_fds[0]);
        pipe_fds[0] = -1;
        in_container = true;
}

void fail(int code, const char *module, int err, const char *fmt, ...)
{
        struct child_failure f = {.exit_code = code, .err = err};
        snprintf(f.module, sizeof(f.module), "%s", module ? module : "");
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(f.text, sizeof(f.text), fmt, ap);
        va_end(ap);
        if (!in_container) {
                report(module, err, "%s", f.text);
                exit(code);
        }
        /* If even this write fails the exit code still tells the monitor. */
        if (!write_all(pipe_fds[1], &f, sizeof(f)))
                report(module, err, "%s", f.text);
        _exit(code);
}

bool errpipe_reader_alive(void)
{
        /* A pipe whose read end is closed polls as POLLERR on its write end. */
        struct pollfd pfd = {pipe_fds[1], POLLOUT, 0};
        return poll(&pfd, 1, 0) < 0 || !(pfd.revents & POLLERR);
}

int errpipe_collect(void)
{
        struct child_failure f;
        /* Every writer has exited or exec'd (close-on-exec) by now: no blocking. */
        ssize_t n;
        do
                n = read(pipe_fds[0], &f, sizeof(f));
        while (n < 0 && errno == EINTR);
        if (n != (ssize_t)sizeof(f))
                return -1;
        f.module[sizeof(f.module) - 1] = '\0';
        f.text[sizeof(f.text) - 1] = '\0';
        report(f.module[0] ? f.module : NULL, f.err, "%s", f.text);
        return f.exit_code;
}
