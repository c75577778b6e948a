/* The ld.so.cache parser ([gpu] reads the host's /etc/ld.so.cache) on any
 * bytes, in a heap buffer of exactly their size so that AddressSanitizer
 * catches a read past the end. Every entry handed out must be a pair of
 * NUL-terminated strings inside the buffer; a refused input must say EINVAL;
 * an accepted one must parse the same way twice (the parser keeps no state). */
#include "ldcache.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* libFuzzer's entry point (libFuzzer ships no header declaring it). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct walk {
        const unsigned char *start, *end;
        size_t entries;
        uint64_t sum; /* of the entries' flags and string lengths: the two walks must agree */
        size_t stop_after;
};

static void check_inside(const struct walk *w, const char *s)
{
        const unsigned char *p = (const unsigned char *)s;
        if (p < w->start || p >= w->end)
                abort();
        size_t len = strlen(s); /* ASan reports a string that runs out of the buffer */
        if (p + len >= w->end)
                abort();
}

static int visit(void *arg, const struct ldcache_entry *e)
{
        struct walk *w = arg;
        check_inside(w, e->key);
        check_inside(w, e->value);
        w->entries++;
        w->sum += (uint32_t)e->flags + strlen(e->key) * 31 + strlen(e->value) + e->hwcap;
        return w->stop_after && w->entries == w->stop_after;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        unsigned char *buf = malloc(size ? size : 1);
        if (!buf)
                abort();
        memcpy(buf, data, size);
        struct walk a = {buf, buf + size, 0, 0, 0}, b = a;
        errno = 0;
        int rc = ldcache_parse(buf, size, visit, &a);
        if (rc < 0 && (errno != EINVAL || a.entries))
                abort(); /* refused: before calling back, and with EINVAL */
        if (rc == 0) {
                if (ldcache_parse(buf, size, visit, &b) != 0 || b.entries != a.entries ||
                    b.sum != a.sum)
                        abort();
                struct walk c = {buf, buf + size, 0, 0, 1};
                if (ldcache_parse(buf, size, visit, &c) != 0 || c.entries != (a.entries > 0))
                        abort(); /* a non-zero return stops the walk */
        }
        free(buf);
        return 0;
}
