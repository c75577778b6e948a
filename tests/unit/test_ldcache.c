/* modules/ldcache.c on caches built here byte by byte (the layout of glibc's
 * dl-cache.h), on damaged ones, and on this machine's /etc/ld.so.cache;
 * gpu_elf_native() on this program and on a copy with another ELF machine;
 * and gpu_index_parse(), the reader of qrun's own index of the cache. */
#define _GNU_SOURCE
#include "tap.h"
#include "gpu.h"
#include "ldcache.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>

struct builder {
        unsigned char buf[1024];
        size_t len;
};

static void put32(unsigned char *p, uint32_t v)
{
        memcpy(p, &v, sizeof(v));
}

/* A new-format cache of two entries at offset `at` of b (after an old table
 * when at > 0): libcuda.so.1 (native flags) and libnvidia-ml.so.1 (i386's). */
static void build(struct builder *b, size_t at)
{
        memset(b->buf, 0, sizeof(b->buf));
        if (at) {
                memcpy(b->buf, "ld.so-1.7.0", 11);
                put32(b->buf + 12, 0); /* no old entries */
        }
        unsigned char *t = b->buf + at;
        memcpy(t, "glibc-ld.so.cache1.1", 20);
        put32(t + 20, 2);
        t[28] = 2; /* little endian */
        const char *strings[] = {"libcuda.so.1", "/usr/lib/libcuda.so.1", "libnvidia-ml.so.1",
                                 "/usr/lib32/libnvidia-ml.so.1"};
        size_t off = 48 + 2 * 24;
        uint32_t offs[4];
        for (int i = 0; i < 4; i++) {
                offs[i] = (uint32_t)off;
                memcpy(t + off, strings[i], strlen(strings[i]) + 1);
                off += strlen(strings[i]) + 1;
        }
        put32(t + 48, (uint32_t)ldcache_native_flags);
        put32(t + 52, offs[0]);
        put32(t + 56, offs[1]);
        put32(t + 72, 0x0003);
        put32(t + 76, offs[2]);
        put32(t + 80, offs[3]);
        put32(t + 24, (uint32_t)(off - 96));
        b->len = at + off;
}

struct seen {
        char text[512];
        int n;
};

static int collect(void *arg, const struct ldcache_entry *e)
{
        struct seen *s = arg;
        size_t used = strlen(s->text);
        snprintf(s->text + used, sizeof(s->text) - used, "%s%s=%s/%s", s->n++ ? " " : "", e->key,
                 e->value, e->flags == ldcache_native_flags ? "native" : "other");
        return 0;
}

static int parse(const struct builder *b, size_t len, struct seen *s)
{
        memset(s, 0, sizeof(*s));
        errno = 0;
        return ldcache_parse(b->buf, len, collect, s);
}

static void test_layouts(void)
{
        static const char expected[] = "libcuda.so.1=/usr/lib/libcuda.so.1/native "
                                       "libnvidia-ml.so.1=/usr/lib32/libnvidia-ml.so.1/other";
        struct builder b;
        struct seen s;
        build(&b, 0);
        tap_ok(parse(&b, b.len, &s) == 0, "new format: parses");
        tap_is_str(s.text, expected, "new format: both entries, in order, with their flags");
        build(&b, 16);
        tap_ok(parse(&b, b.len, &s) == 0, "old table then new (glibc 2.2-2.31): parses");
        tap_is_str(s.text, expected,
                   "old table then new: string offsets count from the new header");
        int refused = 0, accepted = 0;
        for (size_t len = 0; len < b.len; len++) {
                int rc = parse(&b, len, &s);
                refused += rc < 0 && errno == EINVAL && s.n == 0;
                accepted += rc == 0;
        }
        tap_is_num((unsigned long long)refused, b.len,
                   "every truncation is refused with EINVAL, before any entry is handed out");
        tap_is_num((unsigned long long)accepted, 0, "no truncation is accepted");
}

static void expect_refused(struct builder *b, const char *name)
{
        struct seen s;
        tap_ok(parse(b, b->len, &s) < 0 && errno == EINVAL && s.n == 0, name);
}

static void test_damage(void)
{
        struct builder b;
        build(&b, 0);
        b.buf[28] = 3;
        expect_refused(&b, "a big-endian cache is refused here");
        build(&b, 0);
        put32(b.buf + 20, 0xffffffffu);
        expect_refused(&b, "an entry count larger than the file is refused (no overflow)");
        build(&b, 0);
        put32(b.buf + 56, (uint32_t)b.len);
        expect_refused(&b, "a string offset at the end of the file is refused");
        build(&b, 0);
        b.buf[b.len - 1] = 'x';
        expect_refused(&b, "a last string without its NUL is refused");
        build(&b, 0);
        memcpy(b.buf + 17, "1.0", 3);
        expect_refused(&b, "another version is refused");
        memset(b.buf, 0, sizeof(b.buf));
        memcpy(b.buf, "ld.so-1.7.0", 11);
        b.len = 16;
        expect_refused(&b, "an old-format cache alone is refused");
        build(&b, 16);
        put32(b.buf + 12, 0x10000000u);
        expect_refused(&b, "an old table said to run past the file is refused");
}

static int find_libc(void *arg, const struct ldcache_entry *e)
{
        int *found = arg;
        if (!strcmp(e->key, "libc.so.6") && e->flags == ldcache_native_flags && e->value[0] == '/')
                *found = 1;
        return *found;
}

static void test_this_machine(void)
{
        const unsigned char *buf;
        size_t len;
        int found = 0;
        if (ldcache_map("/etc/ld.so.cache", &buf, &len) < 0) {
                printf("ok %d # skip no /etc/ld.so.cache here\n", ++tap_count);
                return;
        }
        tap_ok(ldcache_parse(buf, len, find_libc, &found) == 0 && found,
               "/etc/ld.so.cache: parses, and lists this architecture's libc.so.6");
        ldcache_unmap(buf, len);
        tap_ok(ldcache_map("/nonexistent/ld.so.cache", &buf, &len) < 0 && errno == ENOENT,
               "a missing cache: ENOENT");
        char empty[] = "/tmp/qrun-ldcache.XXXXXX";
        int fd = mkstemp(empty);
        tap_ok(fd >= 0 && ldcache_map(empty, &buf, &len) == 0 && len == 0 &&
                   ldcache_parse(buf, len, find_libc, &found) < 0 && errno == EINVAL,
               "an empty file maps to nothing, which the parser refuses");
        if (fd >= 0) {
                close(fd);
                unlink(empty);
        }
        tap_ok(ldcache_map("/proc/self", &buf, &len) < 0 && errno == EINVAL, "a directory: EINVAL");
        tap_ok(ldcache_map("/dev/null", &buf, &len) < 0 && errno == EINVAL, "a device: EINVAL");
}

static void test_elf(void)
{
        int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
        tap_ok(self >= 0 && gpu_elf_native(self), "this program is this machine's ELF");
        char path[] = "/tmp/qrun-elf.XXXXXX";
        int copy = mkstemp(path);
        unsigned char head[64];
        tap_ok(copy >= 0 && pread(self, head, sizeof(head), 0) == (ssize_t)sizeof(head),
               "a copy of its ELF header");
        const uint16_t other = EM_X86_64 + EM_AARCH64; /* neither's, nor any other's */
        memcpy(head + 18, &other, sizeof(other));
        tap_ok(write(copy, head, sizeof(head)) == (ssize_t)sizeof(head) && !gpu_elf_native(copy),
               "the same header with another ELF machine is not");
        tap_ok(!gpu_elf_native(copy) && ftruncate(copy, 10) == 0 && !gpu_elf_native(copy),
               "a file shorter than an ELF header is not");
        close(self);
        close(copy);
        unlink(path);
}

/* How many libraries gpu_index_parse() takes from text, or -1 if it refuses
 * it (then it must have added none). */
static long index_libraries(const char *text, struct gpu_config *g)
{
        char *copy = strdup(text);
        gpu_config_init(g);
        bool ok = gpu_index_parse(g, copy);
        free(copy);
        return ok ? (long)g->nbinds : g->nbinds ? -2 : -1;
}

/* What gpu_config_init() allocated: gpu_config_free()'s and, for the key
 * table's strings, config_free()'s part. */
static void index_config_free(struct gpu_config *g)
{
        gpu_config_free(g);
        free(g->devices), free(g->ldcache), free(g->dir);
}

static void index_case(const char *text, long expected, const char *name)
{
        struct gpu_config g;
        tap_is_num((unsigned long long)index_libraries(text, &g), (unsigned long long)expected,
                   name);
        index_config_free(&g);
}

static void test_index(void)
{
        struct gpu_config g;
        long n = index_libraries("qrun-gpu-index 1 7\n/usr/lib/libcuda.so.535\tlibcuda.so.1\n"
                                 "/lib/libnvidia-ml.so.535\tlibnvidia-ml.so.1\n",
                                 &g);
        tap_ok(n == 2 && g.ldcache_skipped == 7 &&
                   !strcmp(g.binds[0].src, "/usr/lib/libcuda.so.535") &&
                   !strcmp(g.binds[1].dst, "libnvidia-ml.so.1"),
               "index: what qrun writes is read back, in order, with the skipped count");
        index_config_free(&g);
        index_case("qrun-gpu-index 1 0\n", 0, "index: no library");
        index_case("qrun-gpu-index 1 +0\n", -1, "index: a signed count is refused");
        index_case("qrun-gpu-index 1 007\n", -1, "index: a count with leading zeros is refused");
        index_case("qrun-gpu-index 1 -1\n", -1, "index: a negative count is refused");
        index_case("qrun-gpu-index 1 4294967296\n", -1, "index: a count over UINT_MAX is refused");
        index_case("qrun-gpu-index 1  0\n", -1, "index: a second space is refused");
        index_case("qrun-gpu-index 1 0 /lib/a.so\ta.so\n", -1,
                   "index: a library on the header's line is refused");
        index_case("qrun-gpu-index 2 0\n", -1, "index: another version is refused");
        index_case("qrun-gpu-index 1 0\n/lib/a.so\ta.so", -1,
                   "index: a last line without its newline is refused");
        index_case("qrun-gpu-index 1 0\n/lib/a.so\ta.so\nlib/b.so\tb.so\n", -1,
                   "index: a relative path is refused, and nothing of the file is taken");
        index_case("qrun-gpu-index 1 0\n/lib/a.so\t../a.so\n", -1,
                   "index: a name with / is refused");
        index_case("qrun-gpu-index 1 0\n/lib/a.so\t..\n", -1, "index: .. as a name is refused");
        index_case("qrun-gpu-index 1 0\n/lib/a.so\t\n", -1, "index: an empty name is refused");
        index_case("qrun-gpu-index 1 0\n/lib/a.so\ta\tb\n", -1,
                   "index: a name with a tab is refused");
        index_case("qrun-gpu-index 1 0\n/lib/a.so a.so\n", -1,
                   "index: a line without a tab is refused");
}

int main(void)
{
        test_layouts();
        test_damage();
        test_this_machine();
        test_elf();
        test_index();
        return tap_done();
}
