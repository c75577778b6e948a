#include "diag.h"

#include <stdarg.h>

__attribute__((format(printf, 3, 0))) static void vdiag(struct diag *d, struct loc at,
                                                        const char *fmt, va_list ap)
{
        if (++d->errors <= DIAG_MAX_PRINTED)
                vwarn_at(at, 0, fmt, ap);
}

bool diag_error(struct diag *d, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vdiag(d, d->loc, fmt, ap);
        va_end(ap);
        return false;
}

bool diag_error_at(struct diag *d, struct loc at, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vdiag(d, at, fmt, ap);
        va_end(ap);
        return false;
}

void diag_finish(const struct diag *d)
{
        if (d->errors > DIAG_MAX_PRINTED)
                warn(NULL, 0, "%u more errors not shown", d->errors - DIAG_MAX_PRINTED);
}
