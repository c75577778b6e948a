#define _GNU_SOURCE
#include "terminal.h"
#include "fail.h"

#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

/* tcsetpgrp from a background group: SIGTTOU is blocked meanwhile, or the
 * kernel would stop the caller's whole group instead. -1 with errno. */
static int give_terminal(pid_t group)
{
        sigset_t ttou, old;
        sigemptyset(&ttou);
        sigaddset(&ttou, SIGTTOU);
        sigprocmask(SIG_BLOCK, &ttou, &old);
        int r = tcsetpgrp(STDIN_FILENO, group);
        int err = errno;
        sigprocmask(SIG_SETMASK, &old, NULL);
        errno = err;
        return r;
}

/* stdout is the terminal stdin is. Not so in a pipeline (qrun ... | less):
 * there the command must not take the terminal from the pipeline's other
 * commands, which read it too (less stops on SIGTTIN). */
static bool stdout_is_stdin(void)
{
        struct stat in, out;
        return fstat(STDIN_FILENO, &in) == 0 && fstat(STDOUT_FILENO, &out) == 0 &&
               S_ISCHR(out.st_mode) && in.st_rdev == out.st_rdev;
}

void terminal_prepare(struct terminal *t, bool filter_refuses_injection)
{
        *t = (struct terminal){0};
        if (!filter_refuses_injection || !isatty(STDIN_FILENO) || !stdout_is_stdin())
                return;
        pid_t holder = tcgetpgrp(STDIN_FILENO);
        if (holder < 0)
                return; /* not qrun's controlling terminal (ENOTTY): a new session */
        t->kept = true;
        t->foreground = holder == getpgrp();
        t->saved = tcgetattr(STDIN_FILENO, &t->mode) == 0;
        if (ttyname_r(STDIN_FILENO, t->path, sizeof(t->path)) != 0)
                t->path[0] = '\0'; /* no /dev/console inside, nothing else changes */
}

void terminal_enter(const struct terminal *t)
{
        if (!t->kept) {
                if (setsid() < 0)
                        fail("terminal", errno, "setsid");
                return;
        }
        if (setpgid(0, 0) < 0)
                fail("terminal", errno, "setpgid");
        if (t->foreground && give_terminal(getpgrp()) < 0)
                fail("terminal", errno, "tcsetpgrp");
}

void terminal_tell_stopped(void)
{
        /* SIGCHLD: ignored by default by the others of qrun's group (a pipeline's
         * other commands), where SIGTSTP would stop them. */
        if (kill(0, SIGCHLD) < 0)
                warn("terminal", errno, "kill(SIGCHLD) of qrun's process group");
}

bool terminal_stop_own_group(void)
{
        /* Every process of qrun's group but a pid namespace's init (which
         * ignores signals it has no handler for); the monitor stops here. */
        if (kill(0, SIGTSTP) < 0) {
                warn("terminal", errno, "kill(SIGTSTP) of qrun's process group");
                return false;
        }
        /* Continued: the SIGCONT that did it waits, blocked, for the monitor's
         * loop. None: the kernel discarded SIGTSTP (an orphaned group: nothing
         * above qrun does job control) or qrun ignores it. */
        sigset_t pending;
        return sigpending(&pending) == 0 && sigismember(&pending, SIGCONT);
}

void terminal_resume(pid_t group, bool foreground)
{
        if (foreground && give_terminal(group) < 0 && errno != ENOTTY && errno != EIO)
                warn("terminal", errno, "tcsetpgrp to the command's group");
        if (kill(-group, SIGCONT) < 0 && errno != ESRCH)
                warn("terminal", errno, "kill(SIGCONT) of the command's group");
}

bool terminal_is_foreground(void)
{
        return tcgetpgrp(STDIN_FILENO) == getpgrp();
}

void terminal_restore(const struct terminal *t, pid_t command_group)
{
        if (!t->kept)
                return;
        pid_t holder = tcgetpgrp(STDIN_FILENO);
        if (holder < 0)
                return; /* hung up, or no longer ours */
        if (holder != getpgrp()) {
                bool container_holds =
                    holder == command_group || (kill(-holder, 0) < 0 && errno == ESRCH);
                if (!container_holds)
                        return; /* a live group (the caller's shell after bg) holds it */
                if (give_terminal(getpgrp()) < 0) {
                        warn("terminal", errno, "tcsetpgrp back to qrun's group");
                        return;
                }
        }
        if (t->saved && tcsetattr(STDIN_FILENO, TCSADRAIN, &t->mode) < 0)
                warn("terminal", errno, "tcsetattr: restoring the terminal's settings");
}
