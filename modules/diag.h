/* Manifest and policy diagnostics: every problem is reported, not only the
 * first, as "FILE:LINE: [section] key: problem" (fail.h's warn_at), and
 * counted, so that the caller stops once everything has been checked. */
#ifndef QRUN_DIAG_H
#define QRUN_DIAG_H

#include "fail.h"

#include <stdbool.h>

struct diag {
        struct loc loc; /* the value being parsed: its line, section and key */
        unsigned errors;
};

/* After this many messages the rest are counted but not printed (think of a
 * 100 MB file of garbage passed as a manifest). */
#define DIAG_MAX_PRINTED 20

/* Reports a problem with the value at d->loc. Always returns false, so parsers
 * can `return diag_error(...)`. */
bool diag_error(struct diag *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Reports a problem with a value parsed earlier (cross-key validation). */
bool diag_error_at(struct diag *d, struct loc at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prints the "N more errors" trailer, if some were not printed. */
void diag_finish(const struct diag *d);

/* True when the value being parsed comes from --set rather than a file. */
static inline bool diag_is_override(const struct diag *d)
{
        return d->loc.line == 0;
}

#endif
