#define _GNU_SOURCE
#include "manifest.h"
#include "common.h"
#include "config.h"
#include "values.h"

#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Every section qrun knows, in validation order: [rootfs] opens the directory
 * that [process] then checks cwd against. */
static const struct section_def *const sections[] = {
    &rootfs_section, &user_section, &namespaces_section, &process_section, &limits_section,
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
}

void config_free(struct config *cfg)
{
        free(cfg->manifest_dir);
        rootfs_config_free(&cfg->rootfs);
        process_config_free(&cfg->process);
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
        struct diag *d;
        const char *text;
        size_t len, pos;
        unsigned line;
        struct seen_keys seen;
};

static bool read_file(const char *path, char **text, size_t *len, struct diag *d)
{
        /* O_NONBLOCK: a FIFO given as the manifest must not hang us. */
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0)
                return diag_error(d, "%s", strerror(errno));
        if (S_ISDIR(st.st_mode) || !S_ISREG(st.st_mode)) {
                close(fd);
                return diag_error(d, "%s",
                                  S_ISDIR(st.st_mode) ? "is a directory, not a manifest"
                                                      : "not a regular file");
        }
        if (st.st_size > MANIFEST_MAX_BYTES) {
                close(fd);
                return diag_error(d, "too large (%lld bytes; a manifest is at most %d)",
                                  (long long)st.st_size, MANIFEST_MAX_BYTES);
        }
        char *buf = xmalloc((size_t)st.st_size + 1);
        size_t got = 0;
        for (;;) {
                ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        int err = errno;
                        close(fd);
                        free(buf);
                        return diag_error(d, "%s", strerror(err));
                }
                if (n == 0 || (got += (size_t)n) == (size_t)st.st_size)
                        break;
        }
        close(fd);
        buf[got] = '\0';
        *text = buf;
        *len = got;
        return true;
}

/* Checks one line's shape; returns false (after reporting) if inih must not see
 * it. Section names are checked here too, so an empty unknown section is still
 * reported, at its own line. */
static bool check_line(struct parser *ps, const char *s, size_t n)
{
        struct diag *d = ps->d;
        d->section = NULL;
        d->key = NULL;
        if (n == 0 || s[0] == '#' || s[0] == ';')
                return true;
        if (memchr(s, '\0', n))
                return diag_error(d, "contains a NUL byte (is this a binary file?)");
        if (s[0] == '[') {
                const char *close = memchr(s, ']', n);
                if (!close)
                        return diag_error(d, "expected ] at the end of the section name");
                if ((size_t)(close - s) + 1 != n)
                        return diag_error(d, "unexpected text after ]");
                char name[64];
                snprintf(name, sizeof(name), "%.*s", (int)(close - s - 1), s + 1);
                if (!find_section(name))
                        report_unknown_section(d, name);
                return true; /* inih must still switch sections */
        }
        const char *eq = memchr(s, '=', n);
        const char *colon = memchr(s, ':', n);
        if (!eq || (colon && colon < eq))
                return diag_error(d, "expected KEY = VALUE, got \"%.*s\"", (int)(n > 40 ? 40 : n),
                                  s);
        if (eq == s)
                return diag_error(d, "missing key name before =");
        return true;
}

/* inih's reader: hands over one line at a time, so we know its number. Leading
 * blanks are dropped (no continuation lines) and malformed lines are reported
 * here and passed on as blank lines. */
static char *read_line(char *buf, int size, void *stream)
{
        struct parser *ps = stream;
        if (ps->pos >= ps->len)
                return NULL;
        const char *s = ps->text + ps->pos;
        const char *nl = memchr(s, '\n', ps->len - ps->pos);
        size_t n = nl ? (size_t)(nl - s) : ps->len - ps->pos;
        ps->pos += n + (nl != NULL);
        ps->line++;
        ps->d->loc = (struct loc){ps->cfg->manifest_path, ps->line};
        if (ps->line == 1 && n >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3))
                s += 3, n -= 3; /* UTF-8 byte-order mark */
        while (n && (*s == ' ' || *s == '\t'))
                s++, n--;
        while (n && (s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
                n--;
        bool ok;
        if (n + 2 > (size_t)size)
                ok = diag_error(ps->d, "line too long (at most %d bytes)", MANIFEST_MAX_LINE);
        else
                ok = check_line(ps, s, n);
        if (!ok)
                n = 0;
        memcpy(buf, s, n);
        buf[n] = '\n';
        buf[n + 1] = '\0';
        return buf;
}

static int on_value(void *user, const char *section, const char *name, const char *value)
{
        struct parser *ps = user;
        struct diag *d = ps->d;
        if (!*section) {
                d->section = NULL;
                d->key = NULL;
                diag_error(d, "\"%s\" is outside any section (add a [section] line above it)",
                           name);
                return 1;
        }
        const struct section_def *sec = find_section(section);
        if (sec) /* an unknown section was reported at its header */
                apply_value(ps->cfg, sec, name, value, d, &ps->seen);
        return 1; /* keep going: report every problem in one run */
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
        unsigned errors_before = d->errors;
        cfg->manifest_path = path;
        cfg->manifest_dir = absolute_dir_of(path);
        *d = (struct diag){.loc = {path, 0}, .errors = d->errors};
        struct parser *ps = xmalloc(sizeof(*ps));
        *ps = (struct parser){.cfg = cfg, .d = d};
        char *text = NULL;
        if (!read_file(path, &text, &ps->len, d)) {
                free(ps);
                return false;
        }
        ps->text = text;
        /* Debian's inih exposes its build options as globals. */
        ini_use_stack = false;
        ini_max_line = MANIFEST_MAX_LINE + 2;
        ini_initial_alloc = MANIFEST_MAX_LINE + 2;
        ini_allow_multiline = false;       /* indentation is not continuation */
        ini_allow_inline_comments = false; /* values run to the end of the line */
        int first_error = ini_parse_stream(read_line, ps, on_value, ps);
        if (first_error != 0 && d->errors == errors_before) {
                /* Something our line check did not foresee: still an error. */
                d->loc = (struct loc){path, first_error > 0 ? (unsigned)first_error : 0};
                d->section = d->key = NULL;
                diag_error(d, first_error > 0 ? "syntax error" : "unable to parse");
        }
        free(text);
        free(ps);
        return d->errors == errors_before;
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
                fprintf(out, "\n[%s]\n", sections[i]->name);
                for (size_t k = 0; k < sections[i]->nkeys; k++)
                        sections[i]->keys[k].print(cfg, &sections[i]->keys[k], out);
        }
}
