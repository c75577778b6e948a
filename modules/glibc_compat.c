/* The one glibc symbol that Debian's static squashfuse libraries name and
 * musl lacks (see tools/build-deps.sh): _FORTIFY_SOURCE's checked fprintf,
 * used in two of their messages. The check it adds (a %n in a writable
 * format) cannot arise there: their formats are literals. */
#include <stdarg.h>
#include <stdio.h> /* first: it is what defines __GLIBC__ */

#ifndef __GLIBC__ /* the sanitizer, fuzz and test builds link glibc, which has it */
__attribute__((format(printf, 3, 4))) int __fprintf_chk(FILE *stream, int flag, const char *format,
                                                        ...);

int __fprintf_chk(FILE *stream, int flag, const char *format, ...)
{
        (void)flag;
        va_list ap;
        va_start(ap, format);
        int n = vfprintf(stream, format, ap);
        va_end(ap);
        return n;
}
#endif
