#define _GNU_SOURCE
#include "common.h"
#include "fail.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/lsan_interface.h>
#endif

bool verbose;

void *xmalloc(size_t size)
{
        void *p = malloc(size ? size : 1);
        if (!p)
                fail("memory", ENOMEM, "unable to allocate %zu bytes", size);
        return p;
}

void *xrealloc(void *p, size_t size)
{
        p = realloc(p, size ? size : 1);
        if (!p)
                fail("memory", ENOMEM, "unable to allocate %zu bytes", size);
        return p;
}

char *xstrdup(const char *s)
{
        size_t n = strlen(s) + 1;
        return memcpy(xmalloc(n), s, n);
}

char *xasprintf(const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        char *s = NULL;
        int n = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (n < 0)
                fail("memory", ENOMEM, "unable to format a string");
        return s;
}

void strv_push(struct strv *v, char *s)
{
        if (v->len + 2 > v->cap) {
                v->cap = v->cap ? v->cap * 2 : 8;
                v->items = xrealloc(v->items, v->cap * sizeof(*v->items));
        }
        v->items[v->len++] = s;
        v->items[v->len] = NULL;
}

void strv_free(struct strv *v)
{
        for (size_t i = 0; i < v->len; i++)
                free(v->items[i]);
        free(v->items);
        *v = (struct strv){0};
}

uint64_t now_us(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t step_start(void)
{
        return verbose ? now_us() : 0;
}

void verbose_step(const char *step, uint64_t started_us, const char *fmt, ...)
{
        if (!verbose)
                return;
        char line[512];
        size_t n = (size_t)snprintf(line, sizeof(line), "qrun: %-9s %6llu us  ", step,
                                    (unsigned long long)(now_us() - started_us));
        va_list ap;
        va_start(ap, fmt);
        if (n < sizeof(line))
                n += (size_t)vsnprintf(line + n, sizeof(line) - n, fmt, ap);
        va_end(ap);
        if (n >= sizeof(line) - 1)
                n = sizeof(line) - 2;
        line[n++] = '\n';
        write_all(STDERR_FILENO, line, n);
}

bool write_all(int fd, const void *buf, size_t len)
{
        const char *p = buf;
        while (len > 0) {
                ssize_t n = write(fd, p, len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return false;
                p += n;
                len -= (size_t)n;
        }
        return true;
}

void leak_check_now(void)
{
#ifdef __SANITIZE_ADDRESS__
        __lsan_do_leak_check();
#endif
}

void close_keep_errno(int fd)
{
        int err = errno;
        close(fd);
        errno = err;
}
