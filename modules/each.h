/* qrun MANIFEST --each: many short tasks, each in a container of its own.
 *
 * Every line of TASKS (stdin) is a command line, split like [process] args;
 * blank lines and lines starting with '#' are skipped, and a task is numbered
 * by its line. The manifest, the seccomp program and the user namespace are
 * made once; every task gets what a separate `qrun MANIFEST -- LINE` would:
 * new pid, ipc and uts namespaces (and net, mount as the manifest says), its
 * own init, limits, timeout and filter. At most `jobs` run at once. */
#ifndef QRUN_EACH_H
#define QRUN_EACH_H

#include "common.h"
#include "diag.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct process_config;

struct each_task {
        unsigned number; /* its line in TASKS */
        struct strv argv;
        int stdio[3]; /* what 0, 1 and 2 become in the container */
        int started;  /* 1 while its first process sets up (namespaces_wait_started) */
};

struct each_list {
        struct each_task *items;
        size_t len;
};

struct each_options {
        unsigned jobs;      /* at most this many at once; 0: one per CPU we may use */
        bool keep_going;    /* start the remaining tasks after a failure */
        const char *output; /* DIR for N.out and N.err; NULL: [task N] prefixes */
        bool child_is_init; /* the containers have a pid namespace ([namespaces] pid) */
        uint64_t timeout_ms;
};

/* Starts the container of task t (the launcher's own step), its first process
 * on stack (its slot's): returns that process and, in *errors, the read end of
 * its error pipe (fail.h). That process runs in our memory (namespaces_clone),
 * its set-up until t->started is 0, which each_run waits for; nothing in
 * each_run decides on errno. */
typedef pid_t (*each_start_fn)(void *arg, struct each_task *t, void *stack, int *errors);

/* Reads the tasks from fd; reports every bad line ("stdin:LINE: ...") to d. */
void each_read_tasks(int fd, struct each_list *tasks, struct diag *d);

/* Runs the tasks and prints the summary; returns qrun's exit status: 0 when
 * every task succeeded, else the first failure's; 128+N when signal N
 * (SIGINT, SIGTERM) stopped them. */
int each_run(const struct each_options *o, struct each_list *tasks, each_start_fn start, void *arg);

/* In the task's container, before its first step: its stdio and its command
 * line, which replaces the manifest's (like CMD after --). */
void each_task_enter(const struct each_task *t, struct process_config *p);

#endif
