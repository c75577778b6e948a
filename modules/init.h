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

/* Blocks the forwarded signals and SIGCHLD before the first fork so that none
 * is lost between fork and the wait loops; remembers the caller's mask. */
void signals_block(void);

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
 * monitor's word. */
_Noreturn void init_run(void (*run)(void *), void *arg,
                        const struct terminal *t); /* run must not return */

/* The monitor: waits for the container's first process, forwarding signals,
 * relaying job control (terminal kept) and enforcing the timeout; gives the
 * terminal back; returns qrun's exit status. */
int monitor_run(pid_t child, bool child_is_init, uint64_t timeout_ms, const struct terminal *term);

#endif
