#define _GNU_SOURCE
#include "ldcache.h"
#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* The layout, from glibc's sysdeps/generic/dl-cache.h. */
#define MAGIC_OLD  "ld.so-1.7.0"
#define MAGIC_NEW  "glibc-ld.so.cache"
#define VERSION    "1.1"
#define OLD_HEADER 16 /* magic (11), padding to 12, nlibs (4) */
#define OLD_ENTRY  12 /* flags, key, value */
#define NEW_HEADER                                                                                 \
        48 /* magic (17), version (3), nlibs, len_strings, flags, padding, extension offset,       \
              unused[3] */
#define NEW_ENTRY 24 /* flags, key, value, osversion, hwcap (8) */

#define FLAG_ELF_LIBC6     0x0003
#define FLAG_X8664_LIB64   0x0300
#define FLAG_AARCH64_LIB64 0x0a00
#define FLAG_POWERPC_LIB64 0x0500
#define ENDIAN_MASK        3
#define ENDIAN_UNSET       0
#define ENDIAN_LITTLE      2
#define ENDIAN_BIG         3

#if defined(__x86_64__) && defined(__LP64__)
const int32_t ldcache_native_flags = FLAG_X8664_LIB64 | FLAG_ELF_LIBC6;
#elif defined(__aarch64__) && defined(__LP64__)
const int32_t ldcache_native_flags = FLAG_AARCH64_LIB64 | FLAG_ELF_LIBC6;
#elif defined(__powerpc64__) && defined(__LP64__)
const int32_t ldcache_native_flags = FLAG_POWERPC_LIB64 | FLAG_ELF_LIBC6;
#else
const int32_t ldcache_native_flags = FLAG_ELF_LIBC6;
#endif

static uint32_t get32(const unsigned char *p)
{
        uint32_t v;
        memcpy(&v, p, sizeof(v));
        return v;
}

static uint64_t get64(const unsigned char *p)
{
        uint64_t v;
        memcpy(&v, p, sizeof(v));
        return v;
}

/* A NUL-terminated string at offset off of buf, or NULL if it runs out. */
static const char *string_at(const unsigned char *buf, size_t len, uint32_t off)
{
        if (off >= len || !memchr(buf + off, '\0', len - off))
                return NULL;
        return (const char *)buf + off;
}

/* Where the new-format table starts: 0, or after an old-format table (the
 * compatibility layout of glibc 2.2 to 2.31), aligned to 8. */
static bool find_new_table(const unsigned char *buf, size_t len, size_t *start)
{
        if (len >= sizeof(MAGIC_NEW) - 1 && !memcmp(buf, MAGIC_NEW, sizeof(MAGIC_NEW) - 1)) {
                *start = 0;
                return true;
        }
        if (len < OLD_HEADER || memcmp(buf, MAGIC_OLD, sizeof(MAGIC_OLD) - 1))
                return false;
        uint64_t end = OLD_HEADER + (uint64_t)get32(buf + 12) * OLD_ENTRY;
        end = (end + 7) & ~(uint64_t)7;
        if (end > len || len - end < sizeof(MAGIC_NEW) - 1 ||
            memcmp(buf + end, MAGIC_NEW, sizeof(MAGIC_NEW) - 1))
                return false; /* an old-format cache alone: glibc before 2.2 */
        *start = (size_t)end;
        return true;
}

static bool endianness_matches(uint8_t flags)
{
        uint8_t endian = flags & ENDIAN_MASK;
        if (endian == ENDIAN_UNSET)
                return true; /* written before glibc 2.33 recorded it */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        return endian == ENDIAN_LITTLE;
#else
        return endian == ENDIAN_BIG;
#endif
}

/* Checks the new-format table at buf (len bytes from its header on) and
 * returns its entry count, or -1. Offsets in it count from its header. */
static int64_t check_table(const unsigned char *buf, size_t len)
{
        if (len < NEW_HEADER || memcmp(buf + sizeof(MAGIC_NEW) - 1, VERSION, sizeof(VERSION) - 1))
                return -1;
        if (!endianness_matches(buf[28]))
                return -1;
        uint64_t nlibs = get32(buf + 20);
        if (nlibs > (len - NEW_HEADER) / NEW_ENTRY)
                return -1;
        /* When the file ends with a NUL (ldconfig's do), every string that
         * starts inside it ends inside it: only the offsets need checking. */
        bool terminated = buf[len - 1] == '\0';
        for (uint64_t i = 0; i < nlibs; i++) {
                const unsigned char *e = buf + NEW_HEADER + i * NEW_ENTRY;
                uint32_t key = get32(e + 4), value = get32(e + 8);
                if (terminated ? key >= len || value >= len
                               : !string_at(buf, len, key) || !string_at(buf, len, value))
                        return -1;
        }
        return (int64_t)nlibs;
}

int ldcache_parse(const unsigned char *buf, size_t len,
                  int (*fn)(void *arg, const struct ldcache_entry *entry), void *arg)
{
        size_t start;
        int64_t nlibs;
        if (!find_new_table(buf, len, &start) ||
            (nlibs = check_table(buf + start, len - start)) < 0) {
                errno = EINVAL;
                return -1;
        }
        const unsigned char *table = buf + start;
        for (int64_t i = 0; i < nlibs; i++) {
                const unsigned char *e = table + NEW_HEADER + i * NEW_ENTRY;
                struct ldcache_entry entry = {(const char *)table + get32(e + 4),
                                              (const char *)table + get32(e + 8), (int32_t)get32(e),
                                              get64(e + 16)};
                if (fn(arg, &entry))
                        break;
        }
        return 0;
}

int ldcache_map(const char *path, const unsigned char **buf, size_t *len)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        struct stat st;
        if (fd < 0)
                return -1;
        if (fstat(fd, &st) < 0) {
                close_keep_errno(fd);
                return -1;
        }
        if (!S_ISREG(st.st_mode) || st.st_size > (64 << 20) || st.st_size == 0) {
                close(fd);
                *buf = (const unsigned char *)"";
                *len = 0; /* empty: for the parser to refuse */
                errno = S_ISREG(st.st_mode) ? EFBIG : EINVAL;
                return st.st_size == 0 && S_ISREG(st.st_mode) ? 0 : -1;
        }
        /* Mapped, not read: the kernel's page cache is used as it is. A file
         * truncated while mapped would raise SIGBUS; ldconfig replaces the
         * cache by renaming a new file over it, never in place. */
        void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
        close_keep_errno(fd);
        if (p == MAP_FAILED)
                return -1;
        *buf = p;
        *len = (size_t)st.st_size;
        return 0;
}

void ldcache_unmap(const unsigned char *buf, size_t len)
{
        if (len)
                munmap((void *)buf, len);
}
