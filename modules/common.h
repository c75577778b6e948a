/* Shared helpers: exit codes, allocation, verbose step timing, string vectors.
 * Reporting problems is fail.h's. */
#ifndef QRUN_COMMON_H
#define QRUN_COMMON_H

#include "fail.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define QRUN_VERSION "0.1.0"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

void *xmalloc(size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A growable NULL-terminated vector of strings (argv, envp, path lists). */
struct strv {
        char **items;
        size_t len;
        size_t cap;
};
void strv_push(struct strv *v, char *s);
void strv_free(struct strv *v);

/* Verbose mode (-v): each setup step prints its duration in microseconds. */
extern bool verbose;
uint64_t now_us(void);
/* now_us() in verbose mode, else 0: the first clock_gettime() makes musl parse
 * the vDSO, a cost every launch would pay for timings nobody reads. */
uint64_t step_start(void);
void verbose_step(const char *step, uint64_t started_us, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Sanitizer builds only (a no-op otherwise): LeakSanitizer's end-of-process
 * check, run now and not again at exit. Once qrun has unshared the pid
 * namespace its children are born inside it, LeakSanitizer's tracer among
 * them, and the check at exit could not work; everything qrun allocates later
 * lives until exec or exit. */
void leak_check_now(void);

/* close(fd) that leaves errno as it was: for error paths. */
void close_keep_errno(int fd);

/* Writes all of buf, retrying on EINTR and short writes; returns false on error. */
bool write_all(int fd, const void *buf, size_t len);

#endif
