/* Manifest diagnostics: every error names "FILE:LINE: [section] key: problem". */
#ifndef QRUN_DIAG_H
#define QRUN_DIAG_H

#include <stdbool.h>

/* Where a value came from: a manifest line, or "--set" (line 0) on the command line. */
struct loc {
        const char *file;
        unsigned line;
};

struct diag {
        struct loc loc;      /* location of the value being parsed */
        const char *section; /* its section and key, for the message prefix */
        const char *key;
        unsigned errors;
};

/* Formats a location as "FILE:LINE", or just "FILE" (such as "--set") for line 0. */
const char *loc_format(struct loc loc, char *buf, unsigned size);

/* After this many messages the rest are counted but not printed (think of a
 * 100 MB file of garbage passed as a manifest). */
#define DIAG_MAX_PRINTED 20

/* Reports a problem with the value at d's current location. Always returns false,
 * so parsers can `return diag_error(...)`. */
bool diag_error(struct diag *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Reports a problem with a value parsed earlier (cross-key validation). */
bool diag_error_at(struct diag *d, struct loc loc, const char *section, const char *key,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Prints the "N more errors" trailer, if some were not printed. */
void diag_finish(const struct diag *d);

#endif
