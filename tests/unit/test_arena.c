/* Unit tests: modules/arena.c, qrun's allocator. Linked into this program as
 * its malloc (no ASan, which would bring its own), so every allocation here,
 * the C library's included, comes from the arena. Each check takes its
 * measurements first and prints afterwards: stdout writes into a static buffer
 * (set before anything else), so printing allocates nothing either. */
#define _GNU_SOURCE
#include "tap.h"

#include <errno.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_SIZE (256 * 1024)  /* as in modules/arena.c */
#define CHUNK_SIZE (1024 * 1024) /* as in modules/arena.c */

/* Called through volatile pointers so that the compiler cannot treat these as
 * the builtins it knows (fold a result, drop a malloc/free pair). */
static void *(*volatile a_malloc)(size_t) = malloc;
static void (*volatile a_free)(void *) = free;
static void *(*volatile a_calloc)(size_t, size_t) = calloc;
static void *(*volatile a_realloc)(void *, size_t) = realloc;
static void *(*volatile a_aligned_alloc)(size_t, size_t) = aligned_alloc;
static int (*volatile a_posix_memalign)(void **, size_t, size_t) = posix_memalign;
static size_t (*volatile a_usable)(void *) = malloc_usable_size;

/* The static arena is .bss: inside this executable's image. */
extern char __executable_start[], _end[];

static bool in_image(const void *p)
{
        return (uintptr_t)p >= (uintptr_t)__executable_start && (uintptr_t)p < (uintptr_t)_end;
}

static bool aligned(const void *p)
{
        return (uintptr_t)p % 16 == 0;
}

static bool filled(const unsigned char *p, size_t n, unsigned char byte)
{
        for (size_t i = 0; i < n; i++)
                if (p[i] != byte)
                        return false;
        return true;
}

static void test_small_blocks(void)
{
        static const size_t sizes[] = {1, 7, 15, 16, 17, 100, 4095};
        bool all_aligned = true, in_arena = true, apart = true;
        char *prev = NULL;
        for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
                char *p = a_malloc(sizes[i]);
                all_aligned &= p && aligned(p);
                in_arena &= in_image(p);
                apart &= !prev || p >= prev + a_usable(prev);
                prev = p;
        }
        tap_ok(all_aligned, "malloc: every block is 16-byte aligned");
        tap_ok(in_arena, "malloc: small blocks come from the static arena (this program's .bss)");
        tap_ok(apart, "malloc: consecutive blocks do not overlap");

        void *zero = a_malloc(0);
        size_t u0 = a_usable(zero), u1 = a_usable(a_malloc(1)), u17 = a_usable(a_malloc(17));
        size_t u_null = a_usable(NULL);
        tap_ok(zero != NULL, "malloc(0) returns a block");
        tap_is_num(u0, 16, "malloc_usable_size of malloc(0)");
        tap_is_num(u1, 16, "malloc_usable_size of malloc(1)");
        tap_is_num(u17, 32, "malloc_usable_size of malloc(17): its class, 32");
        tap_is_num(u_null, 0, "malloc_usable_size(NULL)");
}

static void test_realloc(void)
{
        /* The newest block grows where it is. */
        unsigned char *p = a_malloc(32);
        memset(p, 0x11, 32);
        uintptr_t before = (uintptr_t)p;
        unsigned char *q = a_realloc(p, 200);
        bool kept = filled(q, 32, 0x11);
        size_t grown = a_usable(q);
        unsigned char *shrunk = a_realloc(q, 8);
        tap_ok((uintptr_t)q == before, "realloc: the newest block grows in place");
        tap_ok(kept, "realloc in place: the contents are kept");
        tap_ok(grown >= 200, "realloc in place: the block has the new size");
        tap_ok(shrunk == q, "realloc to a smaller size keeps the block");

        /* An older block moves, with its contents. */
        unsigned char *old = a_malloc(40);
        memset(old, 0x22, 40);
        unsigned char *newer = a_malloc(8);
        memset(newer, 0x33, 8);
        uintptr_t old_at = (uintptr_t)old;
        unsigned char *moved = a_realloc(old, 400);
        bool moved_kept = filled(moved, 40, 0x22), newer_kept = filled(newer, 8, 0x33);
        size_t moved_size = a_usable(moved);
        tap_ok((uintptr_t)moved != old_at, "realloc of an older block: a new block");
        tap_ok(moved_kept, "realloc of an older block: its contents are copied");
        tap_ok(newer_kept && (moved >= newer + 8 || moved + 400 <= newer),
               "realloc of an older block: the block after it is untouched");
        tap_ok(moved_size >= 400, "realloc of an older block: the new block has the new size");

        unsigned char *fresh = a_realloc(NULL, 24);
        tap_ok(fresh && aligned(fresh) && a_usable(fresh) == 32, "realloc(NULL, n) is malloc(n)");
}

static void test_free(void)
{
        char *p = a_malloc(100);
        uintptr_t p_at = (uintptr_t)p;
        a_free(p);
        char *q = a_malloc(100);
        tap_ok((uintptr_t)q == p_at, "free of the newest block: its space is reused");

        /* A class no freed block is waiting in (sizes 4097 to 8192). */
        char *big_newest = a_malloc(8000);
        uintptr_t newest_at = (uintptr_t)big_newest;
        a_free(big_newest);
        char *r = a_malloc(5000);
        tap_ok((uintptr_t)r == newest_at,
               "free of the newest block: a smaller block takes its place");
        (void)q;

        char *a = a_malloc(32), *b = a_malloc(32);
        uintptr_t a_at = (uintptr_t)a;
        memset(b, 0x44, 32);
        a_free(a);
        char *c = a_malloc(32);
        bool b_kept = filled((unsigned char *)b, 32, 0x44);
        tap_ok((uintptr_t)c == a_at,
               "free of an older block: the next request that fits reuses it");
        tap_ok(b_kept, "free of an older block: the newest block is untouched");
        char *d = a_malloc(32);
        tap_ok(d >= b + 32, "a reused block is taken once: the next request comes from the arena");

        /* Blocks are whole classes: a 100-byte request gets 128 bytes, and the
         * freed block serves any request of 65 to 128 bytes. */
        char *big = a_malloc(100), *pin = a_malloc(16);
        uintptr_t big_at = (uintptr_t)big;
        tap_is_num(a_usable(big), 128, "a 100-byte request gets a whole 128-byte class");
        a_free(big);
        char *same_class = a_malloc(120);
        tap_ok((uintptr_t)same_class == big_at,
               "a freed block serves another request of its class");
        char *larger = a_malloc(200);
        tap_ok((uintptr_t)larger != big_at, "a request of a larger class takes another block");
        (void)pin;

        /* Streams of frees and allocations (an import) stay in a bounded space. */
        char *first = a_malloc(4000);
        uintptr_t lo = (uintptr_t)first, hi = lo;
        a_free(first);
        for (int i = 0; i < 10000; i++) {
                char *x = a_malloc(3000 + (size_t)(i % 1000)), *keep = a_malloc(16);
                lo = (uintptr_t)x < lo ? (uintptr_t)x : lo;
                hi = (uintptr_t)x > hi ? (uintptr_t)x : hi;
                a_free(x);
                a_free(keep);
        }
        tap_ok(hi - lo < 64 * 1024, "10,000 allocate-free cycles reuse memory, not exhaust it");

        a_free(NULL);
        tap_ok(1, "free(NULL) does nothing");
}

static void test_calloc(void)
{
        unsigned char *p = a_calloc(10, 10);
        bool zero = p && filled(p, 100, 0) && aligned(p);
        tap_ok(zero, "calloc: a zeroed, aligned block");

        /* A freed block is reused by calloc, which must clear what it held. */
        unsigned char *dirty = a_malloc(64);
        memset(dirty, 0xaa, 64);
        uintptr_t dirty_at = (uintptr_t)dirty;
        a_free(dirty);
        unsigned char *again = a_calloc(8, 8);
        bool reused = (uintptr_t)again == dirty_at, cleared = filled(again, 64, 0);
        tap_ok(reused, "calloc after free of the newest block reuses its space");
        tap_ok(cleared, "calloc zeroes a reused block");

        void *none = a_calloc(0, 16);
        tap_ok(none != NULL, "calloc(0, n) returns a block");
}

static void test_overflow(void)
{
        errno = 0;
        void *p = a_calloc(SIZE_MAX / 2, 4);
        int e = errno;
        tap_ok(p == NULL && e == ENOMEM, "calloc(SIZE_MAX/2, 4): NULL, errno ENOMEM");

        errno = 0;
        p = a_malloc(SIZE_MAX);
        e = errno;
        tap_ok(p == NULL && e == ENOMEM, "malloc(SIZE_MAX): NULL, errno ENOMEM");

        errno = 0;
        p = a_malloc(SIZE_MAX / 2 + 1);
        e = errno;
        tap_ok(p == NULL && e == ENOMEM, "malloc(SIZE_MAX/2 + 1): NULL, errno ENOMEM");

        char *q = a_malloc(16);
        errno = 0;
        p = a_realloc(q, SIZE_MAX);
        e = errno;
        tap_ok(p == NULL && e == ENOMEM, "realloc(p, SIZE_MAX): NULL, errno ENOMEM");
        errno = 0;
        p = a_realloc(q, SIZE_MAX / 2 + 1);
        e = errno;
        tap_ok(p == NULL && e == ENOMEM, "realloc(p, SIZE_MAX/2 + 1): NULL, errno ENOMEM");
}

static void test_aligned(void)
{
        errno = 0;
        void *p = a_aligned_alloc(16, 48);
        tap_ok(p && aligned(p), "aligned_alloc(16, n): an aligned block");
        errno = 0;
        p = a_aligned_alloc(32, 64);
        int e = errno;
        tap_ok(p == NULL && e == EINVAL, "aligned_alloc(32, n): NULL, errno EINVAL");
        errno = 0;
        p = a_aligned_alloc(4096, 4096);
        e = errno;
        tap_ok(p == NULL && e == EINVAL, "aligned_alloc(4096, n): NULL, errno EINVAL");

        void *out = NULL;
        int rc = a_posix_memalign(&out, 16, 100);
        tap_ok(rc == 0 && out && aligned(out), "posix_memalign(16): an aligned block");
        rc = a_posix_memalign(&out, 64, 100);
        tap_is_num((unsigned)rc, EINVAL, "posix_memalign(64): EINVAL");
}

/* Last: these leave the static arena behind. */
static void test_large(void)
{
        /* Too big for what is left of the arena, not for a chunk: a new 1 MiB
         * chunk, from which the next small blocks come too. */
        size_t n = ARENA_SIZE + 44 * 1024;
        unsigned char *p = a_malloc(n);
        bool ok = p && aligned(p) && !in_image(p) && a_usable(p) >= n;
        if (ok) {
                memset(p, 0x55, n);
                ok = p[0] == 0x55 && p[n - 1] == 0x55;
        }
        unsigned char *after = a_malloc(100);
        tap_ok(ok, "malloc(300 KiB), more than the arena: an aligned, writable block outside it");
        tap_ok(after && aligned(after) && !in_image(after) && (after >= p + n || after + 100 <= p),
               "the next small block comes from the new chunk");

        /* Bigger than a chunk: a mapping of its own. */
        size_t big = 2 * (size_t)CHUNK_SIZE + 1;
        unsigned char *b = a_malloc(big);
        bool big_ok = b && aligned(b) && !in_image(b) && a_usable(b) >= big;
        if (big_ok) {
                b[0] = 1;
                b[big / 2] = 2;
                b[big - 1] = 3;
                big_ok = b[0] == 1 && b[big / 2] == 2 && b[big - 1] == 3;
        }
        unsigned char *small = a_malloc(32);
        bool small_ok = small && aligned(small) && (small >= b + big || small + 32 <= b);
        unsigned char *z = a_calloc(3, CHUNK_SIZE);
        bool z_ok = z && filled(z, 3 * (size_t)CHUNK_SIZE, 0);
        tap_ok(big_ok, "malloc(2 MiB + 1), more than a chunk: an aligned, writable block");
        tap_ok(small_ok, "a small block after it does not overlap it");
        tap_ok(z_ok, "calloc(3, 1 MiB): zeroed");
}

int main(void)
{
        static char out[1 << 16];
        setvbuf(stdout, out, _IOFBF, sizeof(out));
        test_small_blocks();
        test_realloc();
        test_free();
        test_calloc();
        test_overflow();
        test_aligned();
        test_large();
        return tap_done();
}
