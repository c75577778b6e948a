/* The glibc dynamic loader's cache, /etc/ld.so.cache, read without ldconfig:
 * the "glibc-ld.so.cache1.1" format that ldconfig writes since glibc 2.32,
 * alone or after the old "ld.so-1.7.0" table (glibc's dl-cache.h). Every
 * offset and count in the file is checked against its size: a truncated or
 * hostile cache is refused, never read past. Helpers only: -1 with errno. */
#ifndef QRUN_LDCACHE_H
#define QRUN_LDCACHE_H

#include <stddef.h>
#include <stdint.h>

/* The flags of a library built for the running architecture (what ld.so
 * accepts: its _DL_CACHE_DEFAULT_ID), e.g. 0x0303 on x86_64. */
extern const int32_t ldcache_native_flags;

/* One entry: the name a program asks for (a soname such as libcuda.so.1, or a
 * development name such as libcuda.so) and the path ldconfig found it at. */
struct ldcache_entry {
        const char *key;
        const char *value;
        int32_t flags;
        uint64_t hwcap; /* non-zero: a glibc-hwcaps or legacy hwcap subdirectory's */
};

/* Calls fn for each entry of the cache in buf (the whole file), in the
 * cache's order (ld.so takes the first that fits); stops early when fn
 * returns non-zero. 0, or -1 with errno EINVAL when buf is not a cache this
 * parser understands or any offset points outside it. Nothing is called
 * before the whole table has been checked. */
int ldcache_parse(const unsigned char *buf, size_t len,
                  int (*fn)(void *arg, const struct ldcache_entry *entry), void *arg);

/* Maps the file at path read-only (at most 64 MiB: a larger one is EFBIG;
 * not a regular file: EINVAL; an empty one gives an empty buffer);
 * ldcache_unmap() releases it. -1 with errno. */
int ldcache_map(const char *path, const unsigned char **buf, size_t *len);
void ldcache_unmap(const unsigned char *buf, size_t len);

#endif
