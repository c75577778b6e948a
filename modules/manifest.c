#define _GNU_SOURCE
#include "manifest.h"
#include "common.h"
#include "config.h"
#include "ini_file.h"
#include "paths.h"
#include "values.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Every section qrun knows, in --check's printing order. Validation does not
 * depend on this order: each validate step only reads. */
static const struct section_def *const sections[] = {
    &rootfs_section,  &user_section,   &namespaces_section, &mounts_section,   &gpu_section,
    &process_section, &limits_section, &seccomp_section,    &landlock_section,
};

#define MAX_KEYS_PER_SECTION 16

const struct section_def *const *manifest_sections(size_t *count)
{
        *count = ARRAY_SIZE(sections);
        return sections;
}

/* ---- lookup ---- */

static const struct section_def *find_section(const char *name)
{
        for (size_t i = 0; i < ARRAY_SIZE(sections); i++)
                if (!strcmp(sections[i]->name, name))
                        return sections[i];
        return NULL;
}

static const struct key_def *find_key(const struct section_def *sec, const char *name)
{
        for (size_t i = 0; i < sec->nkeys; i++)
                if (!strcmp(sec->keys[i].name, name))
                        return &sec->keys[i];
        return NULL;
}

static bool report_unknown_section(struct diag *d, const char *name)
{
        const char *names[ARRAY_SIZE(sections)];
        char known[256] = "";
        for (size_t i = 0; i < ARRAY_SIZE(sections); i++) {
                names[i] = sections[i]->name;
                snprintf(known + strlen(known), sizeof(known) - strlen(known), "%s[%s]",
                         i ? ", " : "", names[i]);
        }
        const char *near = nearest_word(name, names, ARRAY_SIZE(names));
        d->loc.section = NULL;
        d->loc.key = NULL;
        if (near)
                return diag_error(d, "unknown section [%s] (did you mean [%s]?)", name, near);
        return diag_error(d, "unknown section [%s] (known: %s)", name, known);
}

static bool report_unknown_key(struct diag *d, const struct section_def *sec, const char *name)
{
        for (size_t i = 0; i < ARRAY_SIZE(sections); i++)
                if (sections[i] != sec && find_key(sections[i], name))
                        return diag_error(d, "unknown key here (it belongs in [%s])",
                                          sections[i]->name);
        const char *names[MAX_KEYS_PER_SECTION];
        for (size_t i = 0; i < sec->nkeys; i++)
                names[i] = sec->keys[i].name;
        const char *near = nearest_word(name, names, sec->nkeys);
        if (near)
                return diag_error(d, "unknown key (did you mean \"%s\"?)", near);
        return diag_error(d, "unknown key");
}

/* ---- applying one value ---- */

/* An opt-in section is in effect from its first appearance: its header, or
 * one of its keys (also through --set). */
static void enable_section(struct config *cfg, const struct section_def *sec, struct loc at)
{
        if (!sec->enabled)
                return;
        bool *enabled = (bool *)((char *)cfg + sec->enabled);
        if (!*enabled && sec->enabled_loc)
                *(struct loc *)((char *)cfg + sec->enabled_loc) = at;
        *enabled = true;
}

/* Where each single-valued key was first set, to report duplicates. */
struct seen_keys {
        unsigned line[ARRAY_SIZE(sections)][MAX_KEYS_PER_SECTION];
};

static unsigned *seen_slot(struct seen_keys *seen, const struct section_def *sec,
                           const struct key_def *key)
{
        for (size_t i = 0; i < ARRAY_SIZE(sections); i++)
                if (sections[i] == sec)
                        return &seen->line[i][key - sec->keys];
        return NULL;
}

/* Expands and parses one value. seen is NULL for --set, which may replace. */
static bool apply_value(struct config *cfg, const struct section_def *sec, const char *name,
                        const char *value, struct diag *d, struct seen_keys *seen)
{
        d->loc.section = sec->name;
        d->loc.key = name;
        const struct key_def *key = find_key(sec, name);
        if (!key)
                return report_unknown_key(d, sec, name);
        d->loc.key = key->name; /* the table's string: it outlives the line */
        enable_section(cfg, sec, d->loc);
        if (seen && !(key->flags & KEY_REPEATABLE)) {
                unsigned *first = seen_slot(seen, sec, key);
                if (*first)
                        return diag_error(d,
                                          "set twice (first on line %u); only repeatable keys "
                                          "may appear more than once",
                                          *first);
                *first = d->loc.line;
        }
        char *expanded = NULL;
        if (!(key->flags & KEY_RAW)) {
                if (!expand_vars(d, value, &expanded))
                        return false;
                value = expanded;
        }
        bool ok = key_parse(cfg, key, value, d);
        free(expanded);
        return ok;
}

/* ---- the file ---- */

struct parser {
        struct config *cfg;
        struct seen_keys seen;
};

static bool on_section(void *ctx, const char *name, struct diag *d)
{
        struct parser *ps = ctx;
        const struct section_def *sec = find_section(name);
        if (!sec)
                return report_unknown_section(d, name);
        enable_section(ps->cfg, sec, (struct loc){d->loc.file, d->loc.line, sec->name, NULL});
        return true;
}

static void on_value(void *ctx, const char *section, const char *key, const char *value,
                     struct diag *d)
{
        struct parser *ps = ctx;
        const struct section_def *sec = find_section(section);
        if (sec) /* an unknown section was reported at its header */
                apply_value(ps->cfg, sec, key, value, d, &ps->seen);
}

bool manifest_load(struct config *cfg, const char *path, struct diag *d)
{
        cfg->manifest_path = path;
        cfg->manifest_dir = path_dir_absolute(path);
        if (!cfg->manifest_dir) {
                diag_error_at(d, (struct loc){path, 0, NULL, NULL},
                              "unable to get the current directory: %s", strerror(errno));
                return false;
        }
        struct parser *ps = xmalloc(sizeof(*ps));
        *ps = (struct parser){.cfg = cfg};
        struct ini_file_handler h = {ps, "manifest", on_section, on_value};
        bool ok = ini_file_parse(path, &h, d);
        free(ps);
        return ok;
}

bool manifest_override(struct config *cfg, const char *assignment, struct diag *d)
{
        d->loc = (struct loc){"--set", 0, NULL, NULL};
        const char *dot = strchr(assignment, '.');
        const char *eq = strchr(assignment, '=');
        if (!dot || !eq || dot > eq || dot == assignment || eq == dot + 1)
                return diag_error(d, "expected SECTION.KEY=VALUE, got \"%s\"", assignment);
        char section[64], key[64];
        snprintf(section, sizeof(section), "%.*s", (int)(dot - assignment), assignment);
        snprintf(key, sizeof(key), "%.*s", (int)(eq - dot - 1), dot + 1);
        const struct section_def *sec = find_section(section);
        if (!sec)
                return report_unknown_section(d, section);
        return apply_value(cfg, sec, key, eq + 1, d, NULL);
}

bool manifest_validate(const struct config *cfg, struct diag *d)
{
        bool ok = true;
        for (size_t i = 0; i < ARRAY_SIZE(sections); i++)
                if (sections[i]->validate)
                        ok = sections[i]->validate(cfg, d) && ok;
        return ok;
}

void manifest_free_values(struct config *cfg)
{
        for (size_t i = 0; i < ARRAY_SIZE(sections); i++)
                for (size_t k = 0; k < sections[i]->nkeys; k++)
                        key_free(cfg, &sections[i]->keys[k]);
}

/* ---- --check output ---- */

static bool section_in_effect(const struct config *cfg, const struct section_def *sec)
{
        return !sec->enabled || *(const bool *)((const char *)cfg + sec->enabled);
}

void manifest_print(const struct config *cfg, FILE *out)
{
        fprintf(out, "# effective configuration of %s\n", cfg->manifest_path);
        for (size_t i = 0; i < ARRAY_SIZE(sections); i++) {
                if (!section_in_effect(cfg, sections[i]))
                        continue;
                fprintf(out, "\n[%s]\n", sections[i]->name);
                const char *note = sections[i]->note ? sections[i]->note(cfg) : NULL;
                if (note)
                        fprintf(out, "; %s\n", note);
                for (size_t k = 0; k < sections[i]->nkeys; k++)
                        key_print(cfg, &sections[i]->keys[k], out);
        }
}
