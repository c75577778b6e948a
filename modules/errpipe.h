/* Failures after fork travel to the monitor through a pipe and are printed
 * there, so they are never lost (the container's stderr may be anything). */
#ifndef QRUN_ERRPIPE_H
#define QRUN_ERRPIPE_H

#include <stdbool.h>
#include <sys/types.h>

/* Creates the pipe (close-on-exec both ends) before the first fork. */
void errpipe_open(void);

/* In the monitor after fork: keep only the read end. */
void errpipe_parent_side(void);

/* In the container processes: from now on fail() reports through the pipe. */
void errpipe_child_side(void);

/* Reports "qrun: MODULE: MESSAGE[: strerror(err)]" (just "MESSAGE..." when module
 * is NULL, for messages that name a manifest location) and exits with code: through
 * the pipe with _exit() in a container process, on stderr with exit() before fork. */
_Noreturn void fail(int code, const char *module, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* In a container process: false if the monitor (the only reader) has died. */
bool errpipe_reader_alive(void);

/* In the monitor once the container has exited: prints a reported failure and
 * returns its exit code, or returns -1 if nothing was reported. */
int errpipe_collect(void);

#endif
