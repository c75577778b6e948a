/* The caller's terminal: who holds it while the command runs, and job control
 * across the container (a stop of the command becomes a stop of qrun, which
 * the caller's shell sees and resumes).
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
        bool stoppable;  /* a job-control shell above qrun sees qrun stop and resumes it */
        bool saved;      /* mode holds the terminal's settings at start */
        struct termios mode;
        char path[64]; /* the terminal's name ("" if unknown): /dev/console in mount mode */
};

/* In the monitor, before fork: keeps the terminal when stdin is qrun's
 * controlling terminal and filter_refuses_injection (the seccomp program
 * refuses TIOCSTI and TIOCLINUX); remembers who holds it and its settings. */
void terminal_prepare(struct terminal *t, bool filter_refuses_injection);

/* In the command, before exec: a new session (terminal not kept), or a process
 * group of its own, made the terminal's foreground group when qrun's was. */
void terminal_enter(const struct terminal *t);

/* The command's group (group: its number as the caller sees it) stopped: stop
 * qrun's own process group too, so that the caller's shell sees its job stop
 * and takes the terminal back; when nothing above qrun can resume it, continue
 * the command instead (what the kernel does for an orphaned group). */
void terminal_job_stopped(const struct terminal *t, pid_t group);

/* Continues the command's group; with foreground, gives it the terminal first. */
void terminal_resume(pid_t group, bool foreground);

/* In the monitor: qrun's own process group is the terminal's foreground group. */
bool terminal_is_foreground(void);

/* In the monitor, once the container has ended: when qrun held the terminal at
 * start and the container (command_group, or a group with no process left)
 * holds it now, gives it back to qrun's group with the settings it had, so
 * that a killed full-screen program leaves no raw terminal behind. */
void terminal_restore(const struct terminal *t, pid_t command_group);

#endif
