/* The manifest. Every key is declared once, in its module's table (a type and
 * an offset into struct config); parsing, --set, --check's output and the
 * documentation check (tests/unit/test_keys.c) all come from those tables.
 * Values with structure (bind, tmpfs, env, args, profile, landlock paths) keep
 * hand-written parsers (KEY_CUSTOM).
 *
 * Adding a key: one line in the module's table, one row in docs/manifest.md,
 * and its tests (see docs/hacking.md). */
#ifndef QRUN_MANIFEST_H
#define QRUN_MANIFEST_H

#include "diag.h"
#include "values.h"

#include <stddef.h>
#include <stdio.h>

struct config;
struct key_def;

/* Where a value lives: offsetof(struct config, member). */
#define CFG(member) offsetof(struct config, member)

enum key_type {
        KEY_BOOL,        /* bool */
        KEY_ENUM,        /* int: the index of the value in key->names */
        KEY_SIZE,        /* uint64_t bytes, with a K, M, G or T suffix */
        KEY_DURATION,    /* uint64_t milliseconds: ms, s, m or h (bare: seconds) */
        KEY_LIMIT,       /* struct limit_value: a number in key->unit, or "unlimited" */
        KEY_UMASK,       /* mode_t, octal */
        KEY_STRING,      /* char *, accepted by key->check */
        KEY_HOST_PATH,   /* char *, made absolute: relative to the manifest's directory
                            (with --set, to the current directory) */
        KEY_INSIDE_PATH, /* char *, an absolute path inside the container */
        KEY_LIST,        /* struct strv, repeatable, each item accepted by key->check */
        KEY_CUSTOM,      /* key->parse and key->print */
};

enum key_flags {
        KEY_REPEATABLE = 1 << 0, /* may appear on several lines; each adds a value */
        KEY_RAW = 1 << 1,        /* the parser expands ${} itself (args: per word) */
        KEY_NONZERO = 1 << 2,    /* sizes and durations: 0 is refused */
};

typedef bool (*key_parser)(struct config *cfg, const struct key_def *key, const char *value,
                           struct diag *d);
typedef void (*key_printer)(const struct config *cfg, const struct key_def *key, FILE *out);

struct key_def {
        const char *name;
        enum key_type type;
        unsigned flags;
        size_t offset;            /* of the value, CFG(...) */
        size_t loc;               /* of the struct loc recording where it was set; 0: not recorded.
                                     A key with an `unset` note must record it. */
        const char *const *names; /* KEY_ENUM: the values, NULL-terminated */
        enum value_unit unit;     /* KEY_LIMIT */
        const char *expect;       /* KEY_ENUM: "expected ..." text when the names are not enough */
        const char *hint;         /* appended in parentheses to errors about the value */
        const char *unset;        /* --check: "; key: not set (unset)" when it was not set */
        bool (*check)(const char *value, struct diag *d); /* KEY_STRING, KEY_LIST */
        key_parser parse;                                 /* KEY_CUSTOM */
        key_printer print; /* KEY_CUSTOM; for the other types, replaces the type's printer */
};

struct section_def {
        const char *name;
        const struct key_def *keys;
        size_t nkeys;
        /* Checks the section's values, alone and against other sections, once
         * every source is parsed. Reports only: deriving is config_resolve()'s. */
        bool (*validate)(const struct config *cfg, struct diag *d);
        /* Opt-in sections: the bool that the section's presence turns on (its
         * header or any of its keys, [mounts] even when empty) and the loc of
         * its first appearance. 0: the section is always in effect. */
        size_t enabled;
        size_t enabled_loc;
        /* Optional: a comment --check prints under the section's header. */
        const char *(*note)(const struct config *cfg);
};

/* Every section qrun knows, in --check's printing order. */
const struct section_def *const *manifest_sections(size_t *count);

/* Parses the manifest file into cfg (which holds the defaults). Reports every
 * problem; returns false if there was any. */
bool manifest_load(struct config *cfg, const char *path, struct diag *d);

/* Applies one --set SECTION.KEY=VALUE (single-valued keys are replaced,
 * repeatable keys get one more value). */
bool manifest_override(struct config *cfg, const char *assignment, struct diag *d);

/* Runs every section's validate step. */
bool manifest_validate(const struct config *cfg, struct diag *d);

/* Frees every value the key tables describe (config_free()'s part). */
void manifest_free_values(struct config *cfg);

/* Writes the effective configuration as a manifest that parses back to it. */
void manifest_print(const struct config *cfg, FILE *out);

/* ---- the key types (keys.c) ---- */

/* Parses value (already expanded) into the key's place by its type, and
 * records where it was set. */
bool key_parse(struct config *cfg, const struct key_def *key, const char *value, struct diag *d);
/* Prints the key's effective value as manifest lines (key->print, or by its
 * type), or its `unset` note. */
void key_print(const struct config *cfg, const struct key_def *key, FILE *out);
/* Frees the key's value if its type allocates one (strings, paths, lists). */
void key_free(struct config *cfg, const struct key_def *key);
/* Whether the key was given (its recorded loc), true for keys that record none. */
bool key_is_set(const struct config *cfg, const struct key_def *key);

/* Helpers for custom printers. */
void print_bool(FILE *out, const char *key, bool value);
void print_value(FILE *out, const char *key, const char *value); /* escapes $ */

#endif
