/* The caller's terminal: who holds it while the command runs, and job control
 * across the container: a stop of the command becomes a stop of qrun's group,
 * which the caller's shell sees, and SIGCONT from fg or bg continues the
 * command, in the foreground or not (the monitor decides, in init.c).
 *
 * The command keeps the caller's controlling terminal only under a filter that
 * refuses ioctl(TIOCSTI) and ioctl(TIOCLINUX) (a built-in profile), so that it
 * cannot push input into the caller's shell; it then runs in a process group
 * of its own, the terminal's foreground group. Otherwise it gets a new session
 * without a controlling terminal, as it always did. */
#ifndef QRUN_TERMINAL_H
#define QRUN_TERMINAL_H

#include <stdbool.h>
#include <sys/types.h>
#include <termios.h>

struct terminal {
        bool kept;       /* the command keeps the caller's controlling terminal (stdin) */
        bool foreground; /* qrun's process group held the terminal at start */
        bool saved;      /* mode holds the terminal's settings at start */
        struct termios mode;
        char path[64]; /* the terminal's name ("" if unknown): /dev/console in mount mode */
};

/* In the monitor, before fork: keeps the terminal when stdin is qrun's
 * controlling terminal, stdout that same terminal (not a pipe: qrun ... |
 * less), and filter_refuses_injection (the seccomp program refuses TIOCSTI
 * and TIOCLINUX); remembers who holds it and its settings. */
void terminal_prepare(struct terminal *t, bool filter_refuses_injection);

/* In the command, before exec: a new session (terminal not kept), or a process
 * group of its own, made the terminal's foreground group when qrun's was. */
void terminal_enter(const struct terminal *t);

/* In pid 1, when the command stopped: tells the monitor, with a SIGCHLD to
 * qrun's process group (pid 1 cannot name the monitor, outside its pid
 * namespace); the monitor decides what follows. */
void terminal_tell_stopped(void);

/* In the monitor: stops qrun's own process group, as Ctrl-Z would have, so
 * that the caller's shell sees its job stop and takes the terminal back.
 * Returns true once qrun is continued (SIGCONT then pending), false at once
 * when the kernel did not stop it: an orphaned group (qrun leads its session,
 * or its parent does no job control), where nobody would continue it. */
bool terminal_stop_own_group(void);

/* Continues the command's group; with foreground, gives it the terminal first. */
void terminal_resume(pid_t group, bool foreground);

/* In the monitor: qrun's own process group is the terminal's foreground group. */
bool terminal_is_foreground(void);

/* In the monitor, once the container has ended: when qrun's group or the
 * container (command_group, or a group with no process left) holds the
 * terminal, gives it back to qrun's group with the settings it had when qrun
 * started, so that a killed full-screen program leaves no raw terminal behind.
 * A live group holding it (the caller's shell, qrun in the background) keeps
 * it untouched. */
void terminal_restore(const struct terminal *t, pid_t command_group);

#endif
