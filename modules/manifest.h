/* The manifest: INI parsing (inih), key dispatch to the modules, ${} expansion,
 * --set overrides, whole-configuration validation and --check output. */
#ifndef QRUN_MANIFEST_H
#define QRUN_MANIFEST_H

#include "diag.h"

#include <stdio.h>

struct config;
struct key_def;

enum key_flags {
        KEY_REPEATABLE = 1 << 0, /* may appear on several lines; each adds a value */
        KEY_RAW = 1 << 1,        /* the parser expands ${} itself (args: per word) */
};

typedef bool (*key_parser)(struct config *cfg, const struct key_def *key, const char *value,
                           struct diag *d);
typedef void (*key_printer)(const struct config *cfg, const struct key_def *key, FILE *out);

struct key_def {
        const char *name;
        unsigned flags;
        key_parser parse;
        key_printer print; /* prints the effective value as manifest lines */
        int arg;           /* for parsers shared by several keys (e.g. the rlimit index) */
};

struct section_def {
        const char *name;
        const struct key_def *keys;
        size_t nkeys;
        /* Cross-key checks once every source is parsed; may open files (rootfs). */
        bool (*validate)(struct config *cfg, struct diag *d);
        /* Optional: called at the section's header (the section itself means
         * something: [mounts] turns on mount mode even when empty). */
        void (*seen)(struct config *cfg, struct loc at);
        /* Optional: whether --check prints the section (an opt-in section is
         * printed only when the manifest has it). NULL: always. */
        bool (*in_use)(const struct config *cfg);
};

/* Parses the manifest file into cfg (which holds the defaults). Reports every
 * problem; returns false if there was any. */
bool manifest_load(struct config *cfg, const char *path, struct diag *d);

/* Applies one --set SECTION.KEY=VALUE (single-valued keys are replaced,
 * repeatable keys get one more value). */
bool manifest_override(struct config *cfg, const char *assignment, struct diag *d);

/* Runs every section's validate step. */
bool manifest_validate(struct config *cfg, struct diag *d);

/* Writes the effective configuration as a manifest that parses back to it. */
void manifest_print(const struct config *cfg, FILE *out);

/* True when the value being parsed comes from --set rather than the file. */
static inline bool diag_is_override(const struct diag *d)
{
        return d->loc.line == 0;
}

/* Helpers for key printers. */
void print_bool(FILE *out, const char *key, bool value);
void print_value(FILE *out, const char *key, const char *value); /* escapes $ */

#endif
