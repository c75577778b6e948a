#include "diag.h"
#include "common.h"

#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

const char *loc_format(struct loc loc, char *buf, unsigned size)
{
        if (loc.line)
                snprintf(buf, size, "%s:%u", loc.file, loc.line);
        else
                snprintf(buf, size, "%s", loc.file ? loc.file : "qrun");
        return buf;
}

__attribute__((format(printf, 5, 0))) static void vdiag(struct diag *d, struct loc loc,
                                                        const char *section, const char *key,
                                                        const char *fmt, va_list ap)
{
        if (++d->errors > DIAG_MAX_PRINTED)
                return;
        char line[1024], where[512];
        int n = snprintf(line, sizeof(line), "%s: ", loc_format(loc, where, sizeof(where)));
        if (section && key)
                n += snprintf(line + n, sizeof(line) - (size_t)n, "[%s] %s: ", section, key);
        else if (section)
                n += snprintf(line + n, sizeof(line) - (size_t)n, "[%s]: ", section);
        if ((size_t)n < sizeof(line))
                n += vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
        if ((size_t)n >= sizeof(line) - 1)
                n = (int)sizeof(line) - 2;
        line[n++] = '\n';
        write_all(STDERR_FILENO, line, (size_t)n);
}

bool diag_error(struct diag *d, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vdiag(d, d->loc, d->section, d->key, fmt, ap);
        va_end(ap);
        return false;
}

bool diag_error_at(struct diag *d, struct loc loc, const char *section, const char *key,
                   const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vdiag(d, loc, section, key, fmt, ap);
        va_end(ap);
        return false;
}

void diag_finish(const struct diag *d)
{
        if (d->errors > DIAG_MAX_PRINTED) {
                char line[128];
                int n = snprintf(line, sizeof(line), "qrun: %u more errors not shown\n",
                                 d->errors - DIAG_MAX_PRINTED);
                write_all(STDERR_FILENO, line, (size_t)n);
        }
}
