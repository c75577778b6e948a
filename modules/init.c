#define _GNU_SOURCE
#include "init.h"
#include "common.h"
#include "fail.h"
#include "namespaces.h"
#include "terminal.h"

#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The monitor asks pid 1 to SIGTERM every process in the container with this
 * signal, which is not one a user would forward. */
#define SIG_TERMINATE_ALL (SIGRTMIN + 1)

/* With the terminal kept, the monitor turns SIGCONT into this, queued with a
 * value: 1 when qrun's group holds the terminal (fg: the command gets it), 0
 * when not (bg). Pid 1 cannot tell: the caller's groups are not visible in
 * its pid namespace. */
#define SIG_RESUME (SIGRTMIN + 2)

static sigset_t caller_mask; /* restored for the command */
static sigset_t waited;      /* what the monitor and init wait for */

void signals_block(void)
{
        /* An inherited SIG_IGN for SIGCHLD would make the kernel reap our child
         * and lose its exit status. */
        signal(SIGCHLD, SIG_DFL);
        static const int forwarded[] = {FORWARDED_SIGNALS};
        sigemptyset(&waited);
        for (size_t i = 0; i < ARRAY_SIZE(forwarded); i++)
                sigaddset(&waited, forwarded[i]);
        sigaddset(&waited, SIGCHLD);
        sigaddset(&waited, SIG_TERMINATE_ALL);
        sigaddset(&waited, SIG_RESUME);
        /* Blocked signals stay pending (even for pid 1 of a pid namespace, which
         * would otherwise ignore them) until sigwaitinfo() collects them. */
        sigprocmask(SIG_BLOCK, &waited, &caller_mask);
}

int signals_fd(void)
{
        return signalfd(-1, &waited, SFD_CLOEXEC | SFD_NONBLOCK);
}

void signals_restore(void)
{
        sigprocmask(SIG_SETMASK, &caller_mask, NULL);
}

int exit_code_of(int status)
{
        if (WIFEXITED(status))
                return WEXITSTATUS(status);
        if (WIFSIGNALED(status))
                return 128 + WTERMSIG(status);
        return EXIT_QRUN_FAILED;
}

/* ---- pid 1 ---- */

void init_die_with_monitor(void)
{
        if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
                fail("init", errno, "prctl(PR_SET_PDEATHSIG)");
        /* The monitor may have died before prctl(); then the error pipe has no
         * reader left. (getppid() cannot tell: it is 0 across a pid namespace.) */
        if (!fail_pipe_reader_alive())
                _exit(EXIT_QRUN_FAILED);
}

struct spawn {
        void (*run)(void *);
        void *arg;
};

static int spawn_trampoline(void *p)
{
        struct spawn *s = p;
        s->run(s->arg);
        return EXIT_QRUN_FAILED; /* not reached: run() execs or fails */
}

/* CLONE_VM|CLONE_VFORK (as posix_spawn does): no page tables to copy, and we
 * resume only once the command has exec'd or failed. AddressSanitizer cannot
 * follow a child running on a stack of ours in its parent's memory, so the
 * sanitizer build forks instead. */
static pid_t spawn_command(void (*run)(void *), void *arg)
{
        struct spawn s = {run, arg};
#ifdef __SANITIZE_ADDRESS__
        pid_t pid = fork();
        if (pid == 0)
                _exit(spawn_trampoline(&s));
#else
        /* .lbss: with the other big buffers, after the small variables (arena.c) */
        static char stack[64 * 1024] __attribute__((aligned(16), section(".lbss")));
        pid_t pid =
            clone(spawn_trampoline, stack + sizeof(stack), CLONE_VM | CLONE_VFORK | SIGCHLD, &s);
#endif
        if (pid < 0)
                fail("init", errno, "unable to start the command");
        return pid;
}

/* Reaps every exited process; returns true once the command is among them.
 * With job control, a stop of the command sets *stopped. Stops at the
 * command: the next waitpid() could fail with ECHILD, and a --each task's pid
 * 1 writes no errno once its command runs (namespaces_clone). */
static bool reap(pid_t command, int *command_status, bool job_control, bool *stopped)
{
        bool command_done = false;
        int status;
        pid_t pid;
        while (!command_done &&
               (pid = waitpid(-1, &status, WNOHANG | (job_control ? WUNTRACED : 0))) > 0)
                if (pid == command && WIFSTOPPED(status)) {
                        *stopped = true;
                } else if (pid == command) {
                        *command_status = status;
                        command_done = true;
                }
        return command_done;
}

void init_run(void (*run)(void *), void *arg, const struct terminal *t, int *set_up)
{
        uint64_t started = step_start();
        /* Nothing left here for the command to take over: no core, no ptrace. */
        prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        pid_t command = spawn_command(run, arg);
        verbose_step("init", started, "pid 1 started the command as pid %d", (int)command);
        if (set_up)
                namespaces_started(set_up); /* the monitor goes on (--each) */
        for (;;) {
                siginfo_t info;
                int sig = sigwaitinfo(&waited, &info);
                int status = 0;
                bool stopped = false;
                if (sig == SIGCHLD) {
                        if (reap(command, &status, t->kept, &stopped))
                                _exit(exit_code_of(status)); /* the kernel ends the rest */
                        if (stopped)
                                terminal_tell_stopped(); /* the monitor decides */
                } else if (sig == SIG_TERMINATE_ALL) {
                        kill(-1, SIGTERM);
                } else if (sig == SIG_RESUME) {
                        if (info.si_pid == 0) /* the monitor's: sent from outside */
                                terminal_resume(command, info.si_value.sival_int != 0);
                } else if (sig == SIGCONT && t->kept) {
                        /* The monitor's SIG_RESUME says whether in the foreground. */
                } else if (sig > 0) {
                        kill(command, sig);
                }
        }
}

/* ---- the monitor ---- */

struct timeout_state {
        uint64_t deadline_us; /* 0: no deadline pending */
        int stage;            /* 0 running, 1 SIGTERM sent, 2 SIGKILL sent */
        uint64_t timeout_ms;
};

void signal_container(pid_t child, bool child_is_init, int sig)
{
        if (child_is_init) {
                /* Pid 1 relays SIGTERM to everyone; SIGKILL of pid 1 ends the namespace. */
                kill(child, sig == SIGTERM ? SIG_TERMINATE_ALL : sig);
                return;
        }
        /* The container's process leads its own session and process group. */
        if (kill(-child, sig) < 0)
                kill(child, sig);
}

static void escalate_timeout(struct timeout_state *t, pid_t child, bool child_is_init)
{
        if (t->stage == 0) {
                warn("timeout", 0, "%llu ms elapsed: sending SIGTERM to the container",
                     (unsigned long long)t->timeout_ms);
                signal_container(child, child_is_init, SIGTERM);
                t->stage = 1;
                t->deadline_us = now_us() + TIMEOUT_GRACE_MS * 1000ull;
        } else {
                warn("timeout", 0, "still running %d ms later: sending SIGKILL", TIMEOUT_GRACE_MS);
                signal_container(child, child_is_init, SIGKILL);
                t->stage = 2;
                t->deadline_us = 0;
        }
}

/* Waits for the next signal, or until the deadline; returns 0 on the deadline.
 * Decides nothing on errno: the container's first process may share it
 * (namespaces_clone), so a failed wait (EAGAIN at the deadline, EINTR) only
 * sends us round the loop, whose clock tells. */
static int wait_signal(const struct timeout_state *t, siginfo_t *info)
{
        for (;;) {
                struct timespec ts, *tsp = NULL;
                if (t->deadline_us) {
                        uint64_t now = now_us();
                        if (now >= t->deadline_us)
                                return 0;
                        uint64_t left = t->deadline_us - now;
                        ts = (struct timespec){(time_t)(left / 1000000),
                                               (long)(left % 1000000) * 1000};
                        tsp = &ts;
                }
                int sig = sigtimedwait(&waited, info, tsp);
                if (sig > 0)
                        return sig;
        }
}

/* SIGCONT with the terminal kept: continue the command in the foreground when
 * the caller's shell gave qrun's group the terminal (fg), else in the
 * background (bg, or kill -CONT). */
static void resume_container(pid_t child, bool child_is_init)
{
        bool foreground = terminal_is_foreground();
        if (!child_is_init) {
                terminal_resume(child, foreground);
                return;
        }
        if (sigqueue(child, SIG_RESUME, (union sigval){.sival_int = foreground}) < 0)
                warn("terminal", errno, "sigqueue to the container's init");
}

/* The command stopped (Ctrl-Z, or SIGTTIN reading the terminal in the
 * background): when qrun's group holds the terminal (fg without SIGCONT, as
 * shells do for a running job), the command gets it and goes on; otherwise
 * qrun's group stops, as Ctrl-Z would stop it, so that the caller's shell sees
 * its job stop; when the kernel will not stop qrun's group (orphaned: nothing
 * above qrun does job control), the command goes on in the background. */
static void job_stopped(pid_t child, bool child_is_init)
{
        if (terminal_is_foreground())
                resume_container(child, child_is_init);
        else if (terminal_stop_own_group())
                return; /* continued: the pending SIGCONT continues the command */
        else if (child_is_init)
                sigqueue(child, SIG_RESUME, (union sigval){.sival_int = 0});
        else
                terminal_resume(child, false);
}

/* A SIGCHLD that says the command stopped: the child itself (no pid 1), or pid
 * 1's kill(0, SIGCHLD): SI_USER, not a state change, and from pid 1 (the
 * kernel gives the sender's pid as the sender sees it: 1). */
static bool command_stopped(const siginfo_t *info, bool child_is_init, int status,
                            bool child_changed)
{
        if (child_changed)
                return WIFSTOPPED(status);
        return child_is_init && info->si_code == SI_USER && info->si_pid == 1;
}

int monitor_run(pid_t child, bool child_is_init, uint64_t timeout_ms, const struct terminal *term,
                int errors)
{
        struct timeout_state t = {0, 0, timeout_ms};
        if (timeout_ms)
                t.deadline_us = now_us() + timeout_ms * 1000;
        int status = 0;
        for (;;) {
                siginfo_t info;
                int sig = wait_signal(&t, &info);
                if (sig == 0) {
                        escalate_timeout(&t, child, child_is_init);
                } else if (sig == SIGCHLD) {
                        int flags = WNOHANG | (term->kept && !child_is_init ? WUNTRACED : 0);
                        pid_t pid = waitpid(child, &status, flags);
                        if (pid == child && !WIFSTOPPED(status))
                                break;
                        if (term->kept &&
                            command_stopped(&info, child_is_init, status, pid == child))
                                job_stopped(child, child_is_init);
                } else if (sig == SIGCONT && term->kept) {
                        resume_container(child, child_is_init);
                } else if (sig != SIG_TERMINATE_ALL) {
                        kill(child, sig);
                }
        }
        terminal_restore(term, child_is_init ? 0 : child);
        int reported = fail_pipe_collect(errors, STDERR_FILENO, "");
        if (t.stage > 0)
                return EXIT_TIMEOUT;
        return reported >= 0 ? reported : exit_code_of(status);
}
