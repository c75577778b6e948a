#define _GNU_SOURCE
#include "ini_file.h"
#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct parser {
        const struct ini_file_handler *h;
        struct diag *d;
        const char *path;
        const char *text;
        size_t len, pos;
        unsigned line;
        bool has_nul; /* checked once for the whole file; lines look only if so */
};

static bool read_file(const char *path, const char *what, char **text, size_t *len, struct diag *d)
{
        /* O_NONBLOCK: a FIFO given as the file must not hang us. */
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0) {
                int err = errno;
                if (fd >= 0)
                        close(fd);
                return diag_error(d, "%s", strerror(err));
        }
        if (!S_ISREG(st.st_mode)) {
                close(fd);
                if (S_ISDIR(st.st_mode))
                        return diag_error(d, "is a directory, not a %s", what);
                return diag_error(d, "not a regular file");
        }
        if (st.st_size > INI_FILE_MAX_BYTES) {
                close(fd);
                return diag_error(d, "too large (%lld bytes; a %s is at most %d)",
                                  (long long)st.st_size, what, INI_FILE_MAX_BYTES);
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
 * it. Section names are checked here, so an empty unknown section is still
 * reported, at its own line. */
static bool check_line(struct parser *ps, const char *s, size_t n)
{
        struct diag *d = ps->d;
        d->loc.section = NULL;
        d->loc.key = NULL;
        if (n == 0 || s[0] == '#' || s[0] == ';')
                return true;
        if (ps->has_nul && memchr(s, '\0', n))
                return diag_error(d, "contains a NUL byte (is this a binary file?)");
        if (s[0] == '[') {
                const char *close = memchr(s, ']', n);
                if (!close)
                        return diag_error(d, "expected ] at the end of the section name");
                if ((size_t)(close - s) + 1 != n)
                        return diag_error(d, "unexpected text after ]");
                char name[128];
                snprintf(name, sizeof(name), "%.*s", (int)(close - s - 1), s + 1);
                ps->h->section(ps->h->ctx, name, d);
                return true; /* inih must still switch sections */
        }
        /* One pass: the first '=' and whether a ':' comes before it. */
        const char *eq = NULL;
        bool colon = false;
        for (const char *c = s; c < s + n && !eq; c++) {
                eq = *c == '=' ? c : NULL;
                colon |= *c == ':';
        }
        if (!eq || colon)
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
        ps->d->loc = (struct loc){ps->path, ps->line, NULL, NULL};
        if (ps->line == 1 && n >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3))
                s += 3, n -= 3; /* UTF-8 byte-order mark */
        while (n && (*s == ' ' || *s == '\t'))
                s++, n--;
        while (n && (s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
                n--;
        bool ok;
        if (n + 2 > (size_t)size)
                ok = diag_error(ps->d, "line too long (at most %d bytes)", INI_FILE_MAX_LINE);
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
                d->loc.section = NULL;
                d->loc.key = NULL;
                diag_error(d, "\"%s\" is outside any section (add a [section] line above it)",
                           name);
                return 1;
        }
        ps->h->value(ps->h->ctx, section, name, value, d);
        return 1; /* keep going: report every problem in one run */
}

bool ini_file_parse(const char *path, const struct ini_file_handler *h, struct diag *d)
{
        unsigned errors_before = d->errors;
        d->loc = (struct loc){path, 0, NULL, NULL};
        struct parser ps = {.h = h, .d = d, .path = path};
        char *text = NULL;
        if (!read_file(path, h->what, &text, &ps.len, d))
                return false;
        ps.text = text;
        ps.has_nul = memchr(text, '\0', ps.len) != NULL;
        /* Debian's inih exposes its build options as globals. */
        ini_use_stack = false;
        ini_max_line = INI_FILE_MAX_LINE + 2;
        ini_initial_alloc = INI_FILE_MAX_LINE + 2;
        ini_allow_multiline = false;       /* indentation is not continuation */
        ini_allow_inline_comments = false; /* values run to the end of the line */
        int first_error = ini_parse_stream(read_line, &ps, on_value, &ps);
        if (first_error != 0 && d->errors == errors_before) {
                /* Something our line check did not foresee: still an error. */
                d->loc =
                    (struct loc){path, first_error > 0 ? (unsigned)first_error : 0, NULL, NULL};
                diag_error(d, first_error > 0 ? "syntax error" : "unable to parse");
        }
        free(text);
        return d->errors == errors_before;
}
