/* The reader of [gpu]'s ld.so.cache index (gpu-ldcache-KEY in the runtime
 * directory, written by qrun and read back at every launch with [gpu]) on any
 * bytes, in a heap buffer of exactly their size plus the NUL the reader adds,
 * so that AddressSanitizer catches a read past the end. A refused index must
 * add nothing; an accepted one must be exactly what write_index() writes: the
 * header, then one "SRC\tNAME" line per library added, in order, SRC absolute
 * and NAME a plain file name (the library directory's entry: no '/', no dot
 * first), so that nothing else reaches the binds. */
#include "gpu.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* libFuzzer's entry point (libFuzzer ships no header declaring it). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What write_index() writes for g's libraries. */
static char *serialize(const struct gpu_config *g)
{
        size_t cap = 64, len;
        for (size_t i = 0; i < g->nbinds; i++)
                cap += strlen(g->binds[i].src) + strlen(g->binds[i].dst) + 2;
        char *out = malloc(cap);
        if (!out)
                abort();
        len = (size_t)snprintf(out, cap, "qrun-gpu-index 1 %u\n", g->ldcache_skipped);
        for (size_t i = 0; i < g->nbinds; i++)
                len += (size_t)snprintf(out + len, cap - len, "%s\t%s\n", g->binds[i].src,
                                        g->binds[i].dst);
        return out;
}

static void check_library(const struct gpu_bind *b)
{
        if (b->kind != GPU_LIBRARY || b->src[0] != '/' || !b->dst[0] || b->dst[0] == '.' ||
            strpbrk(b->dst, "/\t\n") || strchr(b->src, '\n'))
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *text = malloc(size + 1), *copy = malloc(size + 1);
        if (!text || !copy)
                abort();
        memcpy(text, data, size);
        text[size] = '\0';
        memcpy(copy, text, size + 1);
        struct gpu_config g;
        gpu_config_init(&g);
        bool ok = gpu_index_parse(&g, text);
        if (!ok && g.nbinds)
                abort(); /* refused, yet something was added */
        if (ok) {
                for (size_t i = 0; i < g.nbinds; i++)
                        check_library(&g.binds[i]);
                char *again = serialize(&g);
                if (strcmp(again, copy))
                        abort(); /* accepted something write_index() would not write */
                free(again);
        }
        gpu_config_free(&g);
        free(g.devices), free(g.cdi), free(g.ldcache), free(g.dir); /* config_free's */
        free(text);
        free(copy);
        return 0;
}
