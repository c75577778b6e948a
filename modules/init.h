/* The monitor (qrun's first process, outside the container) and the minimal
 * init (pid 1 inside a pid namespace): signal forwarding, reaping, timeout,
 * exit status. */
#ifndef QRUN_INIT_H
#define QRUN_INIT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct terminal;

/* Signals forwarded to the container. */
#define FORWARDED_SIGNALS SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT

/* After SIGTERM on timeout, how long the container has before SIGKILL. */
#define TIMEOUT_GRACE_MS 2000

/* Blocks the forwarded signals and SIGCHLD before the first fork so that none
 * is lost between fork and the wait loops; remembers the caller's mask. */
void signals_block(void);

/* A signalfd(2) for those signals (blocked already): for a monitor that also
 * polls descriptors (qrun --each). -1 with errno. */
int signals_fd(void);

/* Restores the caller's signal mask: the last step before exec. */
void signals_restore(void);

/* In the container's first process: SIGKILL when the monitor dies, so killing
 * qrun never leaves the container behind. */
void init_die_with_monitor(void);

/* Pid 1: starts the command with run(arg), reaps every process, relays the
 * forwarded signals to the command and, when it exits, exits with its status
 * (the kernel then kills whatever is left in the pid namespace). With the
 * caller's terminal kept, it also relays job control: it tells the monitor
 * when the command stops, and continues it (in the foreground or not) on the
 * monitor's word. set_up: namespaces_started() once the command has exec'd
 * (--each), or NULL. */
_Noreturn void init_run(void (*run)(void *), void *arg, const struct terminal *t,
                        int *set_up); /* run must not return */

/* A wait status as an exit status: the code, or 128+N for signal N. */
int exit_code_of(int status);

/* Sends sig to the container whose first process is child: SIGTERM reaches
 * every process in it (pid 1 relays it), SIGKILL of pid 1 ends them all. */
void signal_container(pid_t child, bool child_is_init, int sig);

/* The monitor: waits for the container's first process, forwarding signals,
 * relaying job control (terminal kept) and enforcing the timeout; gives the
 * terminal back; returns qrun's exit status (errors: the error pipe's read
 * end, see fail_pipe_collect). */
int monitor_run(pid_t child, bool child_is_init, uint64_t timeout_ms, const struct terminal *term,
                int errors);

#endif
