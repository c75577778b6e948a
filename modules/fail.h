/* qrun's one way to report a problem, before and after fork, with and without
 * a manifest location:
 *
 *   qrun: STEP: what happened[: strerror(err)]           warn(), fail()
 *   FILE:LINE: [section] key: what happened[: ...]        warn_at(), fail_at()
 *
 * fail() and fail_at() end the process with status 125 (fail_status(): another
 * one, for exec's 126 and 127). Before fork they print on stderr and exit();
 * in the container's processes (after fail_pipe_child_side()) the message
 * travels through the error pipe to the monitor, which prints it, and the
 * process _exit()s, so it is never lost whatever the container's stderr is.
 *
 * Helpers do not call these: they return -1 (or false, or NULL) with errno set,
 * and the caller that knows the step or the manifest line reports. Each system
 * call is checked and named on its own. */
#ifndef QRUN_FAIL_H
#define QRUN_FAIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/* Exit statuses, as documented in README.md ("Exit status"). */
enum {
        EXIT_TIMEOUT = 124,     /* [limits] timeout expired */
        EXIT_QRUN_FAILED = 125, /* qrun itself failed: manifest, flags, kernel, rootfs */
        EXIT_NOT_EXECUTABLE = 126,
        EXIT_NOT_FOUND = 127,
};

/* Where a value came from: a manifest line, or "--set" (line 0) on the command
 * line, with the section and key it was given for. file NULL: not set. */
struct loc {
        const char *file;
        unsigned line;
        const char *section; /* NULL: a line that names no section (a syntax error) */
        const char *key;     /* NULL: the section itself */
};

/* "FILE:LINE: [section] key" ("FILE" alone for line 0; "qrun" without a file). */
const char *loc_format(struct loc at, char *buf, size_t size);

/* Print and go on (warnings; manifest problems are counted by diag.h). */
void warn(const char *step, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void warn_at(struct loc at, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void vwarn_at(struct loc at, int err, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* Print and end the process with status 125 (fail_status: status). step may
 * be NULL ("qrun: ..."). */
#define fail(step, err, ...) fail_status(EXIT_QRUN_FAILED, step, err, __VA_ARGS__)
_Noreturn void fail_status(int status, const char *step, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
_Noreturn void fail_at(struct loc at, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* What a helper was doing when it failed, for the caller that reports it:
 * `return failure(f, "unable to create %s", path);` keeps errno and returns
 * -1; the caller then says fail_at(loc, errno, "%s", f.what). */
struct failure {
        char what[4096 + 128];
};
int failure(struct failure *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The error pipe. Opened (close-on-exec both ends) before the first fork;
 * returns -1 with errno on failure. */
int fail_pipe_open(void);
/* In the monitor after fork: closes the write end and returns the read end,
 * which is the caller's now (the next fail_pipe_open() makes a new pipe). */
int fail_pipe_parent_side(void);
/* In the container's processes: from now on fail*() report through the pipe. */
void fail_pipe_child_side(void);
/* In a container process: false if the monitor (the only reader) has died. */
bool fail_pipe_reader_alive(void);
/* In the monitor once the container has exited: writes a reported failure to
 * out after prefix (one line) and returns its exit status, or returns -1 if
 * nothing was reported. Closes fd, the read end. */
int fail_pipe_collect(int fd, int out, const char *prefix);

#endif
