#define _GNU_SOURCE
#include "manifest.h"
#include "common.h"
#include "config.h"
#include "ini_file.h"
#include "values.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Every section qrun knows, in validation order: [rootfs] opens the directory
 * that [mounts] and [process] then check paths against; [mounts] may set the
 * working directory (workdir = true) before [process] builds on it. */
static const struct section_def *const sections[] = {
    &rootfs_section,  &user_section,   &namespaces_section, &mounts_section,
    &process_section, &limits_section, &seccomp_section,    &landlock_section,
};

#define MANIFEST_MAX_BYTES   (1 << 20)
#define MANIFEST_MAX_LINE    4096
#define MAX_KEYS_PER_SECTION 16

void config_init(struct config *cfg)
{
        *cfg = (struct config){0};
        cfg->rootfs.fd = -1;
        cfg->ns = (struct ns_config){.pid = true, .ipc = true, .uts = true, .net = false};
        cfg->process.cwd = xstrdup("/");
        cfg->landlock.required = true;
}

void config_free(struct config *cfg)
{
        free(cfg->manifest_dir);
        rootfs_config_free(&cfg->rootfs);
        process_config_free(&cfg->process);
        seccomp_config_free(&cfg->seccomp);
        mounts_config_free(&cfg->mounts);
        landlock_config_free(&cfg->landlock);
        *cfg = (struct config){0};
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
        d->section = NULL;
        d->key = NULL;
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

/* Where each single-valued key was first set, to report duplicates. */
struct seen_keys {
        struct loc at[ARRAY_SIZE(sections)][MAX_KEYS_PER_SECTION];
};

static struct loc *seen_slot(struct seen_keys *seen, const struct section_def *sec,
                             const struct key_def *key)
{
        for (size_t i = 0; i < ARRAY_SIZE(sections); i++)
                if (sections[i] == sec)
                        return &seen->at[i][key - sec->keys];
        return NULL;
}

/* Expands and parses one value. seen is NULL for --set, which may replace. */
static bool apply_value(struct config *cfg, const struct section_def *sec, const char *name,
                        const char *value, struct diag *d, struct seen_keys *seen)
{
        d->section = sec->name;
        d->key = name;
        const struct key_def *key = find_key(sec, name);
        if (!key)
                return report_unknown_key(d, sec, name);
        if (seen && !(key->flags & KEY_REPEATABLE)) {
                struct loc *first = seen_slot(seen, sec, key);
                if (first->line)
                        return diag_error(d,
                                          "set twice (first on line %u); only repeatable keys "
                                          "may appear more than once",
                                          first->line);
                *first = d->loc;
        }
        char *expanded = NULL;
        if (!(key->flags & KEY_RAW)) {
                if (!expand_vars(d, value, &expanded))
                        return false;
                value = expanded;
        }
        bool ok = key->parse(cfg, key, value, d);
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
        if (sec->seen)
                sec->seen(ps->cfg, d->loc);
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

static char *absolute_dir_of(const char *path)
{
        const char *slash = strrchr(path, '/');
        if (path[0] == '/')
                return slash == path ? xstrdup("/") : strndup(path, (size_t)(slash - path));
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof(cwd)))
                die("manifest", errno, "unable to get the current directory");
        if (!slash)
                return xstrdup(cwd);
        return xasprintf("%s/%.*s", cwd, (int)(slash - path), path);
}

bool manifest_load(struct config *cfg, const char *path, struct diag *d)
{
        cfg->manifest_path = path;
        cfg->manifest_dir = absolute_dir_of(path);
        struct parser *ps = xmalloc(sizeof(*ps));
        *ps = (struct parser){.cfg = cfg};
        struct ini_file_handler h = {ps, "manifest", on_section, on_value};
        bool ok = ini_file_parse(path, &h, d);
        free(ps);
        return ok;
}

bool manifest_override(struct config *cfg, const char *assignment, struct diag *d)
{
        *d = (struct diag){.loc = {"--set", 0}, .errors = d->errors};
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

bool manifest_validate(struct config *cfg, struct diag *d)
{
        bool ok = true;
        for (size_t i = 0; i < ARRAY_SIZE(sections); i++)
                if (sections[i]->validate)
                        ok = sections[i]->validate(cfg, d) && ok;
        return ok;
}

/* ---- --check output ---- */

void print_bool(FILE *out, const char *key, bool value)
{
        fprintf(out, "%s = %s\n", key, value ? "true" : "false");
}

void print_value(FILE *out, const char *key, const char *value)
{
        char *escaped = escape_dollars(value);
        fprintf(out, "%s = %s\n", key, escaped);
        free(escaped);
}

void manifest_print(const struct config *cfg, FILE *out)
{
        fprintf(out, "# effective configuration of %s\n", cfg->manifest_path);
        for (size_t i = 0; i < ARRAY_SIZE(sections); i++) {
                if (sections[i]->in_use && !sections[i]->in_use(cfg))
                        continue;
                fprintf(out, "\n[%s]\n", sections[i]->name);
                for (size_t k = 0; k < sections[i]->nkeys; k++)
                        sections[i]->keys[k].print(cfg, &sections[i]->keys[k], out);
        }
}
