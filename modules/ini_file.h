/* Line-numbered INI files parsed with inih: the shared front end of manifests
 * and seccomp policies. Every malformed line is reported as FILE:LINE: problem
 * and parsing goes on, so one run shows every problem. */
#ifndef QRUN_INI_FILE_H
#define QRUN_INI_FILE_H

#include "diag.h"

#define INI_FILE_MAX_BYTES (1 << 20)
#define INI_FILE_MAX_LINE  4096

struct ini_file_handler {
        void *ctx;
        const char *what; /* "manifest", "policy": for "is a directory, not a manifest" */
        /* A [section] line; reports and returns false if the name is unknown. */
        bool (*section)(void *ctx, const char *name, struct diag *d);
        /* A KEY = VALUE line. d->loc is its line; section is "" outside any section
         * (already reported), or the name of a section that may be unknown (then
         * already reported at its header too). */
        void (*value)(void *ctx, const char *section, const char *key, const char *value,
                      struct diag *d);
};

/* Parses path; returns false if any error was reported (into d). */
bool ini_file_parse(const char *path, const struct ini_file_handler *h, struct diag *d);

#endif
