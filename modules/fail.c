#define _GNU_SOURCE
#include "fail.h"
#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* ---- formatting: one line, one write(2) ---- */

/* A message line; one write(2) of it is atomic on a pipe (smaller than
 * PIPE_BUF), so lines from the monitor and the container processes never
 * interleave on a shared stderr. */
struct line {
        char text[1020];
        size_t len;
};

__attribute__((format(printf, 2, 0))) static void vappend(struct line *l, const char *fmt,
                                                          va_list ap)
{
        if (l->len >= sizeof(l->text))
                return;
        int n = vsnprintf(l->text + l->len, sizeof(l->text) - l->len, fmt, ap);
        if (n > 0)
                l->len += (size_t)n;
        if (l->len >= sizeof(l->text))
                l->len = sizeof(l->text) - 1;
}

__attribute__((format(printf, 2, 3))) static void append(struct line *l, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vappend(l, fmt, ap);
        va_end(ap);
}

/* For errors that mean "a limit of yours is reached", names the limit: fork
 * fails with EAGAIN at RLIMIT_NPROC, open with EMFILE at RLIMIT_NOFILE. */
static void append_limit_hint(struct line *l, int err)
{
        struct rlimit rl;
        int resource = err == EAGAIN ? RLIMIT_NPROC : err == EMFILE ? RLIMIT_NOFILE : -1;
        if (resource < 0 || getrlimit(resource, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
                return;
        append(l, " (is the limit %s = %llu reached?)",
               err == EAGAIN ? "RLIMIT_NPROC" : "RLIMIT_NOFILE", (unsigned long long)rl.rlim_cur);
}

/* The message after its prefix, the error, the hint and the newline. */
__attribute__((format(printf, 3, 0))) static void finish(struct line *l, int err, const char *fmt,
                                                         va_list ap)
{
        vappend(l, fmt, ap);
        if (err) {
                append(l, ": %s", strerror(err));
                append_limit_hint(l, err);
        }
        if (l->len >= sizeof(l->text) - 1)
                l->len = sizeof(l->text) - 2;
        l->text[l->len++] = '\n';
}

__attribute__((format(printf, 3, 0))) static struct line format_step(const char *step, int err,
                                                                     const char *fmt, va_list ap)
{
        struct line l = {.len = 0};
        if (step)
                append(&l, "qrun: %s: ", step);
        else
                append(&l, "qrun: ");
        finish(&l, err, fmt, ap);
        return l;
}

const char *loc_format(struct loc at, char *buf, size_t size)
{
        int n = at.line ? snprintf(buf, size, "%s:%u", at.file, at.line)
                        : snprintf(buf, size, "%s", at.file ? at.file : "qrun");
        size_t used = n < 0 ? 0 : (size_t)n;
        if (at.section && used < size)
                snprintf(buf + used, size - used, at.key ? ": [%s] %s" : ": [%s]", at.section,
                         at.key);
        return buf;
}

__attribute__((format(printf, 3, 0))) static struct line format_at(struct loc at, int err,
                                                                   const char *fmt, va_list ap)
{
        char where[512];
        struct line l = {.len = 0};
        append(&l, "%s: ", loc_format(at, where, sizeof(where)));
        finish(&l, err, fmt, ap);
        return l;
}

/* ---- where a message goes ---- */

/* What a container process sends the monitor: the status to exit with and the
 * formatted line. */
struct pipe_message {
        int status;
        struct line line;
};

/* Set by the monitor alone: a launch's container process may share our
 * memory (namespaces_clone), so which side a process is on is its pid, not a
 * flag it could set for both. */
static int pipe_fds[2] = {-1, -1};
static pid_t pipe_owner; /* the monitor, which reads the pipe */

static void print(const struct line *l)
{
        write_all(STDERR_FILENO, l->text, l->len);
}

_Noreturn static void end(int status, const struct line *l)
{
        if (pipe_fds[1] < 0 || getpid() == pipe_owner) {
                print(l);
                exit(status);
        }
        struct pipe_message m = {status, *l};
        /* If even this write fails the exit status still tells the monitor. */
        if (!write_all(pipe_fds[1], &m, sizeof(m)))
                print(l);
        _exit(status);
}

void warn(const char *step, int err, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        struct line l = format_step(step, err, fmt, ap);
        va_end(ap);
        print(&l);
}

void vwarn_at(struct loc at, int err, const char *fmt, va_list ap)
{
        struct line l = format_at(at, err, fmt, ap);
        print(&l);
}

void warn_at(struct loc at, int err, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vwarn_at(at, err, fmt, ap);
        va_end(ap);
}

void fail_status(int status, const char *step, int err, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        struct line l = format_step(step, err, fmt, ap);
        va_end(ap);
        end(status, &l);
}

void fail_at(struct loc at, int err, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        struct line l = format_at(at, err, fmt, ap);
        va_end(ap);
        end(EXIT_QRUN_FAILED, &l);
}

int failure(struct failure *f, const char *fmt, ...)
{
        int err = errno;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(f->what, sizeof(f->what), fmt, ap);
        va_end(ap);
        errno = err;
        return -1;
}

/* ---- the error pipe ---- */

int fail_pipe_open(void)
{
        pipe_owner = getpid();
        return pipe2(pipe_fds, O_CLOEXEC); /* each container's pair replaces the last */
}

/* pipe_fds stays as it is: a child in our memory reads its write end there. */
int fail_pipe_parent_side(void)
{
        close(pipe_fds[1]);
        int fd = pipe_fds[0];
        /* Collected only after the container has exited; never wait on it. */
        fcntl(fd, F_SETFL, O_NONBLOCK);
        return fd;
}

/* Closes this process's read end (its own descriptor table); changes no
 * variable, which may be the monitor's too. */
void fail_pipe_child_side(void)
{
        close(pipe_fds[0]);
}

bool fail_pipe_reader_alive(void)
{
        /* A pipe whose read end is closed polls as POLLERR on its write end. */
        struct pollfd pfd = {pipe_fds[1], POLLOUT, 0};
        return poll(&pfd, 1, 0) < 0 || !(pfd.revents & POLLERR);
}

int fail_pipe_collect(int fd, int out, const char *prefix)
{
        struct pipe_message m;
        /* Every writer has exited or exec'd (close-on-exec) by now, and the
         * read end does not block: no EINTR, and nothing decided on errno,
         * which other containers' first processes may share (each.h). */
        ssize_t n = read(fd, &m, sizeof(m));
        close(fd);
        if (n != (ssize_t)sizeof(m) || m.line.len == 0 || m.line.len > sizeof(m.line.text))
                return -1;
        struct line l = {.len = 0};
        append(&l, "%s%.*s", prefix, (int)m.line.len, m.line.text);
        if (l.len && l.text[l.len - 1] != '\n') /* cut by the prefix: keep it one line */
                l.text[l.len - 1] = '\n';
        write_all(out, l.text, l.len);
        return m.status;
}
