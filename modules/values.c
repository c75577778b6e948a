#define _GNU_SOURCE
#include "values.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>

bool parse_bool(struct diag *d, const char *s, bool *out)
{
        static const char *const truthy[] = {"true", "yes", "on", "1"};
        static const char *const falsy[] = {"false", "no", "off", "0"};
        for (size_t i = 0; i < ARRAY_SIZE(truthy); i++) {
                if (!strcasecmp(s, truthy[i]))
                        return *out = true;
                if (!strcasecmp(s, falsy[i]))
                        return !(*out = false);
        }
        return diag_error(d, "expected a boolean (true/false/yes/no/on/off/1/0), got \"%s\"", s);
}

/* Reads leading decimal digits; *end points after them. False if none or overflow. */
static bool read_digits(const char *s, uint64_t *out, const char **end)
{
        if (!isdigit((unsigned char)*s))
                return false;
        errno = 0;
        char *e;
        unsigned long long v = strtoull(s, &e, 10);
        if (errno == ERANGE)
                return false;
        *out = v;
        *end = e;
        return true;
}

bool parse_number(struct diag *d, const char *s, uint64_t max, uint64_t *out)
{
        const char *end;
        uint64_t v;
        if (!read_digits(s, &v, &end) || *end)
                return diag_error(d, "expected a number, got \"%s\"", s);
        if (v > max)
                return diag_error(d, "%s is too large (at most %llu)", s, (unsigned long long)max);
        *out = v;
        return true;
}

/* Multiplies with overflow detection. */
static bool scale(uint64_t v, uint64_t factor, uint64_t *out)
{
        if (factor && v > UINT64_MAX / factor)
                return false;
        *out = v * factor;
        return true;
}

bool parse_size(struct diag *d, const char *s, uint64_t *out)
{
        static const char units[] = "KMGT";
        const char *end;
        uint64_t v, factor = 1;
        if (!read_digits(s, &v, &end))
                return diag_error(d, "expected a size such as 4096, 512K, 64M or 2G, got \"%s\"",
                                  s);
        if (*end) {
                const char *u = strchr(units, toupper((unsigned char)*end));
                if (!u || end[1])
                        return diag_error(d, "unknown size suffix in \"%s\" (use K, M, G or T)", s);
                for (const char *p = units; p <= u; p++)
                        factor *= 1024;
        }
        if (!scale(v, factor, out))
                return diag_error(d, "size \"%s\" is too large", s);
        return true;
}

bool parse_duration_ms(struct diag *d, const char *s, uint64_t *out)
{
        static const struct {
                const char *suffix;
                uint64_t ms;
        } units[] = {{"", 1000}, {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}};
        const char *end;
        uint64_t v;
        if (!read_digits(s, &v, &end))
                return diag_error(d, "expected a duration such as 90s, 5m or 1h, got \"%s\"", s);
        for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
                if (strcmp(end, units[i].suffix))
                        continue;
                if (!scale(v, units[i].ms, out))
                        return diag_error(d, "duration \"%s\" is too large", s);
                return true;
        }
        return diag_error(d, "unknown duration unit in \"%s\" (use ms, s, m or h)", s);
}

/* The number part of a limit, in the unit's base. */
static bool parse_limit_number(struct diag *d, const char *s, enum value_unit unit, uint64_t *v)
{
        switch (unit) {
        case UNIT_COUNT:
                return parse_number(d, s, RLIM_INFINITY - 1, v);
        case UNIT_BYTES:
                return parse_size(d, s, v);
        case UNIT_SECONDS:
                if (!parse_duration_ms(d, s, v))
                        return false;
                if (*v % 1000)
                        return diag_error(d, "cpu time is counted in whole seconds, got \"%s\"", s);
                *v /= 1000;
                return true;
        }
        return false;
}

bool parse_limit(struct diag *d, const char *s, enum value_unit unit, struct limit_value *out)
{
        if (!strcmp(s, "unlimited")) {
                *out = (struct limit_value){.unlimited = true};
                return true;
        }
        uint64_t v;
        if (!parse_limit_number(d, s, unit, &v))
                return false;
        if (v >= RLIM_INFINITY)
                return diag_error(d, "\"%s\" is too large (write unlimited)", s);
        *out = (struct limit_value){.value = v};
        return true;
}

bool parse_umask(struct diag *d, const char *s, mode_t *out)
{
        const char *p = s;
        if (!*p || strspn(p, "01234567") != strlen(p) || strlen(p) > 4)
                return diag_error(d, "expected an octal mask such as 022 or 0077, got \"%s\"", s);
        unsigned long v = strtoul(p, NULL, 8);
        if (v > 0777)
                return diag_error(d, "mask %s is larger than 0777", s);
        *out = (mode_t)v;
        return true;
}

bool is_env_name(const char *s, size_t len)
{
        if (len == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
                return false;
        for (size_t i = 1; i < len; i++)
                if (!(isalnum((unsigned char)s[i]) || s[i] == '_'))
                        return false;
        return true;
}

/* A growable byte buffer. */
struct buf {
        char *s;
        size_t len, cap;
};

static void buf_add(struct buf *b, const char *s, size_t n)
{
        if (b->len + n + 1 > b->cap) {
                b->cap = (b->len + n + 1) * 2;
                b->s = xrealloc(b->s, b->cap);
        }
        memcpy(b->s + b->len, s, n);
        b->len += n;
        b->s[b->len] = '\0';
}

/* Expands the reference starting at the '$' *p points to, appending to b and
 * advancing *p past it. */
static bool expand_one(struct diag *d, const char **p, struct buf *b)
{
        const char *s = *p + 1;
        if (*s == '$') {
                buf_add(b, "$", 1);
                *p = s + 1;
                return true;
        }
        if (*s != '{')
                return diag_error(d, "a lone $ (write ${NAME} to expand a variable, $$ for a $)");
        const char *name = s + 1;
        const char *close = strchr(name, '}');
        if (!close)
                return diag_error(d, "unterminated ${ (missing })");
        const char *colon = memchr(name, ':', (size_t)(close - name));
        size_t name_len = (size_t)((colon ? colon : close) - name);
        if (!is_env_name(name, name_len))
                return diag_error(d, "bad variable name \"%.*s\" in ${...}", (int)name_len, name);
        if (colon && colon[1] != '-')
                return diag_error(d, "unsupported ${NAME:...} form (only ${NAME:-default})");
        char *nm = strndup(name, name_len);
        const char *value = getenv(nm);
        free(nm);
        if (value && (*value || !colon)) {
                buf_add(b, value, strlen(value));
        } else if (colon) {
                /* As in the shell, :- also replaces a set-but-empty variable. */
                buf_add(b, colon + 2, (size_t)(close - colon - 2));
        } else {
                return diag_error(d, "${%.*s} is not set in the environment (use ${%.*s:-default})",
                                  (int)name_len, name, (int)name_len, name);
        }
        *p = close + 1;
        return true;
}

bool expand_vars(struct diag *d, const char *in, char **out)
{
        struct buf b = {0};
        buf_add(&b, "", 0);
        const char *p = in;
        while (*p) {
                const char *dollar = strchr(p, '$');
                if (!dollar) {
                        buf_add(&b, p, strlen(p));
                        break;
                }
                buf_add(&b, p, (size_t)(dollar - p));
                p = dollar;
                if (!expand_one(d, &p, &b)) {
                        free(b.s);
                        return false;
                }
        }
        *out = b.s;
        return true;
}

/* Appends text up to the closing ', or fails. */
static bool split_single_quoted(struct diag *d, const char **p, struct buf *w)
{
        const char *close = strchr(*p, '\'');
        if (!close)
                return diag_error(d, "unterminated ' quote");
        buf_add(w, *p, (size_t)(close - *p));
        *p = close + 1;
        return true;
}

/* Appends text up to the closing ", handling \ escapes and expansion. */
static bool split_double_quoted(struct diag *d, const char **p, struct buf *w)
{
        const char *s = *p;
        for (;;) {
                if (!*s)
                        return diag_error(d, "unterminated \" quote");
                if (*s == '"')
                        break;
                if (*s == '\\' && s[1] && strchr("\"\\$", s[1])) {
                        buf_add(w, s + 1, 1);
                        s += 2;
                } else if (*s == '$') {
                        if (!expand_one(d, &s, w))
                                return false;
                } else {
                        buf_add(w, s++, 1);
                }
        }
        *p = s + 1;
        return true;
}

bool split_words(struct diag *d, const char *in, struct strv *out)
{
        const char *p = in;
        for (;;) {
                p += strspn(p, " \t");
                if (!*p)
                        return true;
                struct buf w = {0};
                buf_add(&w, "", 0);
                bool ok = true;
                while (ok && *p && *p != ' ' && *p != '\t') {
                        char c = *p++;
                        if (c == '\'') {
                                ok = split_single_quoted(d, &p, &w);
                        } else if (c == '"') {
                                ok = split_double_quoted(d, &p, &w);
                        } else if (c == '\\') {
                                if (!*p)
                                        ok = diag_error(d, "trailing backslash");
                                else
                                        buf_add(&w, p++, 1);
                        } else if (c == '$') {
                                p--;
                                ok = expand_one(d, &p, &w);
                        } else {
                                buf_add(&w, &c, 1);
                        }
                }
                if (!ok) {
                        free(w.s);
                        return false;
                }
                strv_push(out, w.s);
        }
}

char *quote_word(const char *word)
{
        struct buf b = {0};
        buf_add(&b, "\"", 1);
        for (const char *p = word; *p; p++) {
                if (strchr("\"\\$", *p))
                        buf_add(&b, "\\", 1);
                buf_add(&b, p, 1);
        }
        buf_add(&b, "\"", 1);
        return b.s;
}

char *escape_dollars(const char *s)
{
        struct buf b = {0};
        buf_add(&b, "", 0);
        for (const char *p = s; *p; p++)
                buf_add(&b, *p == '$' ? "$$" : p, *p == '$' ? 2 : 1);
        return b.s;
}

static size_t edit_distance(const char *a, const char *b)
{
        size_t la = strlen(a), lb = strlen(b);
        if (la > 32 || lb > 32)
                return (size_t)-1;
        size_t row[33];
        for (size_t j = 0; j <= lb; j++)
                row[j] = j;
        for (size_t i = 1; i <= la; i++) {
                size_t diag = row[0];
                row[0] = i;
                for (size_t j = 1; j <= lb; j++) {
                        size_t up = row[j];
                        size_t cost =
                            tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
                        size_t best = diag + cost;
                        if (row[j] + 1 < best)
                                best = row[j] + 1;
                        if (row[j - 1] + 1 < best)
                                best = row[j - 1] + 1;
                        row[j] = best;
                        diag = up;
                }
        }
        return row[lb];
}

const char *nearest_word(const char *word, const char *const *candidates, size_t n)
{
        const char *best = NULL;
        size_t best_dist = strlen(word) / 3 + 2; /* close enough to be a typo */
        for (size_t i = 0; i < n; i++) {
                size_t dist = edit_distance(word, candidates[i]);
                if (dist < best_dist) {
                        best = candidates[i];
                        best_dist = dist;
                }
        }
        return best;
}
