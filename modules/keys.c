/* The key types of the manifest tables: how each is parsed and printed. */
#define _GNU_SOURCE
#include "common.h"
#include "config.h"
#include "manifest.h"
#include "paths.h"
#include "values.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void *place_of(struct config *cfg, const struct key_def *key)
{
        return (char *)cfg + key->offset;
}

static const void *value_of(const struct config *cfg, const struct key_def *key)
{
        return (const char *)cfg + key->offset;
}

bool key_is_set(const struct config *cfg, const struct key_def *key)
{
        return !key->loc || ((const struct loc *)((const char *)cfg + key->loc))->file;
}

/* An error about the value as a whole, with the key's hint if it has one. */
__attribute__((format(printf, 3, 4))) static bool
value_error(struct diag *d, const struct key_def *key, const char *fmt, ...)
{
        char text[768];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(text, sizeof(text), fmt, ap);
        va_end(ap);
        if (key->hint)
                return diag_error(d, "%s (%s)", text, key->hint);
        return diag_error(d, "%s", text);
}

/* "expected A, B or C": the key's own wording, or its names listed. */
static bool enum_error(struct diag *d, const struct key_def *key, const char *value)
{
        char names[256] = "";
        size_t n = 0;
        for (size_t i = 0; key->names[i] && n < sizeof(names); i++)
                n += (size_t)snprintf(names + n, sizeof(names) - n, "%s%s",
                                      i == 0              ? ""
                                      : key->names[i + 1] ? ", "
                                                          : " or ",
                                      key->names[i]);
        return value_error(d, key, "expected %s, got \"%s\"", key->expect ? key->expect : names,
                           value);
}

static bool parse_enum_value(const struct key_def *key, const char *value, int *out, struct diag *d)
{
        for (int i = 0; key->names[i]; i++)
                if (!strcmp(value, key->names[i])) {
                        *out = i;
                        return true;
                }
        return enum_error(d, key, value);
}

/* Sizes and durations, with KEY_NONZERO's check. */
static bool parse_amount(const struct key_def *key, const char *value, uint64_t *out,
                         struct diag *d)
{
        bool ok =
            key->type == KEY_SIZE ? parse_size(d, value, out) : parse_duration_ms(d, value, out);
        if (ok && *out == 0 && (key->flags & KEY_NONZERO))
                return value_error(d, key, "must be %s than 0",
                                   key->type == KEY_SIZE ? "larger" : "longer");
        return ok;
}

static bool parse_path_value(struct config *cfg, const struct key_def *key, const char *value,
                             char **out, struct diag *d)
{
        if (!*value)
                return value_error(d, key, "empty path");
        if (key->type == KEY_INSIDE_PATH) {
                if (value[0] != '/')
                        return value_error(d, key,
                                           "must be an absolute path inside the container, got "
                                           "\"%s\"",
                                           value);
                *out = xstrdup(value);
                return true;
        }
        *out = path_absolute(diag_is_override(d) ? NULL : cfg->manifest_dir, value);
        if (!*out)
                return diag_error(d, "unable to get the current directory: %s", strerror(errno));
        return true;
}

/* The string-valued types: the new value replaces (or, for lists, joins) the old. */
static bool parse_text(struct config *cfg, const struct key_def *key, const char *value,
                       struct diag *d)
{
        if (key->check && !key->check(value, d))
                return false;
        if (key->type == KEY_LIST) {
                strv_push(place_of(cfg, key), xstrdup(value));
                return true;
        }
        char *text = NULL;
        if (key->type == KEY_STRING)
                text = xstrdup(value);
        else if (!parse_path_value(cfg, key, value, &text, d))
                return false;
        char **slot = place_of(cfg, key);
        free(*slot);
        *slot = text;
        return true;
}

static bool parse_by_type(struct config *cfg, const struct key_def *key, const char *value,
                          struct diag *d)
{
        void *place = place_of(cfg, key);
        switch (key->type) {
        case KEY_BOOL:
                return parse_bool(d, value, place);
        case KEY_ENUM:
                return parse_enum_value(key, value, place, d);
        case KEY_SIZE:
        case KEY_DURATION:
                return parse_amount(key, value, place, d);
        case KEY_LIMIT:
                return parse_limit(d, value, key->unit, place);
        case KEY_UMASK:
                return parse_umask(d, value, place);
        case KEY_STRING:
        case KEY_HOST_PATH:
        case KEY_INSIDE_PATH:
        case KEY_LIST:
                return parse_text(cfg, key, value, d);
        case KEY_CUSTOM:
                return key->parse(cfg, key, value, d);
        }
        return false;
}

bool key_parse(struct config *cfg, const struct key_def *key, const char *value, struct diag *d)
{
        if (!parse_by_type(cfg, key, value, d))
                return false;
        if (key->loc)
                *(struct loc *)((char *)cfg + key->loc) = d->loc;
        return true;
}

void key_free(struct config *cfg, const struct key_def *key)
{
        if (key->type == KEY_LIST) {
                strv_free(place_of(cfg, key));
        } else if (key->type == KEY_STRING || key->type == KEY_HOST_PATH ||
                   key->type == KEY_INSIDE_PATH) {
                char **text = place_of(cfg, key);
                free(*text);
                *text = NULL;
        }
}

/* ---- printing ---- */

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

/* A duration in its largest exact unit, as it would be written. */
static void print_duration(FILE *out, const char *key, uint64_t ms)
{
        static const struct {
                uint64_t ms;
                const char *unit;
        } units[] = {{3600000, "h"}, {60000, "m"}, {1000, "s"}, {1, "ms"}};
        for (size_t i = 0; i < ARRAY_SIZE(units); i++)
                if (ms % units[i].ms == 0) {
                        fprintf(out, "%s = %llu%s\n", key, (unsigned long long)(ms / units[i].ms),
                                units[i].unit);
                        return;
                }
}

static void print_limit(FILE *out, const char *key, const struct limit_value *l)
{
        if (l->unlimited)
                fprintf(out, "%s = unlimited\n", key);
        else
                fprintf(out, "%s = %llu\n", key, (unsigned long long)l->value);
}

/* Not set: the umask the command inherits, which is qrun's own. */
static void print_umask(FILE *out, const char *key, const mode_t *mask, bool set)
{
        mode_t m = *mask;
        if (!set) {
                m = umask(0); /* reading the umask means setting it: put it back */
                umask(m);
        }
        fprintf(out, "%s = %04o\n", key, (unsigned)m);
}

static void print_list(FILE *out, const char *key, const struct strv *list)
{
        for (size_t i = 0; i < list->len; i++)
                print_value(out, key, list->items[i]);
}

void key_print(const struct config *cfg, const struct key_def *key, FILE *out)
{
        const void *v = value_of(cfg, key);
        if (key->print) {
                key->print(cfg, key, out);
                return;
        }
        if (key->unset && !key_is_set(cfg, key)) {
                fprintf(out, "; %s: %s\n", key->name, key->unset);
                return;
        }
        switch (key->type) {
        case KEY_BOOL:
                print_bool(out, key->name, *(const bool *)v);
                break;
        case KEY_ENUM:
                fprintf(out, "%s = %s\n", key->name, key->names[*(const int *)v]);
                break;
        case KEY_SIZE:
                fprintf(out, "%s = %llu\n", key->name, (unsigned long long)*(const uint64_t *)v);
                break;
        case KEY_DURATION:
                print_duration(out, key->name, *(const uint64_t *)v);
                break;
        case KEY_LIMIT:
                print_limit(out, key->name, v);
                break;
        case KEY_UMASK:
                print_umask(out, key->name, v, key_is_set(cfg, key));
                break;
        case KEY_STRING:
        case KEY_HOST_PATH:
        case KEY_INSIDE_PATH:
                if (*(char *const *)v)
                        print_value(out, key->name, *(char *const *)v);
                break;
        case KEY_LIST:
                print_list(out, key->name, v);
                break;
        case KEY_CUSTOM:
                break;
        }
}
