#define _GNU_SOURCE
#include "blob.h"
#include "common.h"

#include <errno.h>
#include <lzma.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

/* Large reads and a large output buffer: fewer system calls and fewer trips
 * through libarchive per byte. */
#define IN_SIZE  (256 * 1024)
#define OUT_SIZE (1024 * 1024)

#define XZ_MEMORY_LIMIT (512u << 20)

struct blob_decoder {
        z_stream z;
        ZSTD_DStream *zstd;
        lzma_stream xz;
};

const char *compression_name(enum compression c)
{
        static const char *const names[] = {"uncompressed", "gzip", "zstd", "xz"};
        return names[c];
}

/* ---- the stored bytes ---- */

/* Refills the input buffer; sets in_eof at the end of the file. */
static int fill(struct blob *b)
{
        if (b->in_pos < b->in_len || b->in_eof)
                return 0;
        ssize_t n;
        do
                n = read(b->fd, b->in, IN_SIZE);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return failure(&b->failure, "%s: read", b->name);
        b->in_len = (size_t)n;
        b->in_pos = 0;
        b->in_eof = n == 0;
        b->stored_bytes += (uint64_t)n;
        sha256_add(&b->stored_hash, b->in, (size_t)n);
        return 0;
}

static enum compression detect(const unsigned char *p, size_t n)
{
        static const unsigned char xz[] = {0xfd, '7', 'z', 'X', 'Z', 0};
        if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b)
                return COMPRESSION_GZIP;
        if (n >= 4 && p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd)
                return COMPRESSION_ZSTD;
        if (n >= sizeof(xz) && !memcmp(p, xz, sizeof(xz)))
                return COMPRESSION_XZ;
        return COMPRESSION_NONE;
}

/* ---- decompressors: each turns in[in_pos..] into out, returning its length ---- */

static ssize_t inflate_some(struct blob *b)
{
        z_stream *z = &b->decoder->z;
        z->next_in = b->in + b->in_pos;
        z->avail_in = (uInt)(b->in_len - b->in_pos);
        z->next_out = b->out;
        z->avail_out = OUT_SIZE;
        if (z->avail_in)
                b->ended = false;
        int rc = inflate(z, Z_NO_FLUSH);
        b->in_pos = b->in_len - z->avail_in;
        if (rc == Z_STREAM_END) { /* another gzip member may follow */
                b->ended = true;
                rc = inflateReset(z);
        }
        if (rc != Z_OK && rc != Z_BUF_ERROR) {
                errno = 0;
                return failure(&b->failure, "%s: corrupt gzip data (%s)", b->name,
                               z->msg ? z->msg : "zlib");
        }
        return (ssize_t)(OUT_SIZE - z->avail_out);
}

static ssize_t unzstd_some(struct blob *b)
{
        ZSTD_inBuffer in = {b->in, b->in_len, b->in_pos};
        ZSTD_outBuffer out = {b->out, OUT_SIZE, 0};
        size_t rc = ZSTD_decompressStream(b->decoder->zstd, &out, &in);
        b->in_pos = in.pos;
        if (ZSTD_isError(rc)) {
                errno = 0;
                return failure(&b->failure, "%s: corrupt zstd data (%s)", b->name,
                               ZSTD_getErrorName(rc));
        }
        b->ended = rc == 0; /* a frame is complete */
        return (ssize_t)out.pos;
}

static ssize_t unxz_some(struct blob *b)
{
        lzma_stream *s = &b->decoder->xz;
        s->next_in = b->in + b->in_pos;
        s->avail_in = b->in_len - b->in_pos;
        s->next_out = b->out;
        s->avail_out = OUT_SIZE;
        lzma_ret rc = lzma_code(s, b->in_eof ? LZMA_FINISH : LZMA_RUN);
        b->in_pos = b->in_len - s->avail_in;
        b->ended = rc == LZMA_STREAM_END;
        if (rc == LZMA_MEMLIMIT_ERROR) {
                errno = 0;
                return failure(&b->failure, "%s: the xz data needs more than %u MiB to decompress",
                               b->name, XZ_MEMORY_LIMIT >> 20);
        }
        if (rc != LZMA_OK && rc != LZMA_STREAM_END && !(rc == LZMA_BUF_ERROR && !b->in_eof)) {
                errno = 0;
                return failure(&b->failure, "%s: corrupt xz data (error %d)", b->name, (int)rc);
        }
        return (ssize_t)(OUT_SIZE - s->avail_out);
}

static int start_decoder(struct blob *b)
{
        b->decoder = xmalloc(sizeof(*b->decoder));
        memset(b->decoder, 0, sizeof(*b->decoder));
        switch (b->compression) {
        case COMPRESSION_GZIP: /* 16 + 15: a gzip header, the largest window */
                if (inflateInit2(&b->decoder->z, 16 + 15) == Z_OK)
                        return 0;
                break;
        case COMPRESSION_ZSTD:
                if ((b->decoder->zstd = ZSTD_createDStream()))
                        return 0;
                break;
        case COMPRESSION_XZ:
                b->decoder->xz = (lzma_stream)LZMA_STREAM_INIT;
                /* xz -9 needs 65 MiB; a crafted header could ask for far more. */
                if (lzma_stream_decoder(&b->decoder->xz, XZ_MEMORY_LIMIT, LZMA_CONCATENATED) ==
                    LZMA_OK)
                        return 0;
                break;
        case COMPRESSION_NONE:
                return 0;
        }
        errno = ENOMEM;
        return failure(&b->failure, "%s: unable to start the %s decoder", b->name,
                       compression_name(b->compression));
}

/* Weak: a liblzma as upstream builds it (the unit tests link the host's)
 * keeps its constructor and has no such name. */
extern void qrun_lzma_crc64_init(void) __attribute__((weak));

void blob_prepare_xz(void)
{
        if (qrun_lzma_crc64_init)
                qrun_lzma_crc64_init();
}

int blob_open(struct blob *b, int fd, const char *name, bool hash_data)
{
        *b = (struct blob){.fd = fd, .name = name, .hash_data = hash_data};
        sha256_begin(&b->stored_hash);
        sha256_begin(&b->data_hash);
        b->in = xmalloc(IN_SIZE);
        if (fill(b) < 0)
                return -1;
        b->compression = detect(b->in, b->in_len);
        if (b->compression != COMPRESSION_NONE)
                b->out = xmalloc(OUT_SIZE);
        return start_decoder(b);
}

/* The next piece of the stored bytes as they are (no compression). */
static ssize_t take_stored(struct blob *b, const void **data)
{
        *data = b->in + b->in_pos;
        ssize_t n = (ssize_t)(b->in_len - b->in_pos);
        b->in_pos = b->in_len;
        return n;
}

static ssize_t decompress_some(struct blob *b, const void **data)
{
        *data = b->out;
        switch (b->compression) {
        case COMPRESSION_GZIP:
                return inflate_some(b);
        case COMPRESSION_ZSTD:
                return unzstd_some(b);
        case COMPRESSION_XZ:
                return unxz_some(b);
        case COMPRESSION_NONE:
                break;
        }
        return take_stored(b, data);
}

/* At the end of the file: a compressed stream must have ended cleanly. */
static ssize_t at_end(struct blob *b)
{
        if (b->compression == COMPRESSION_NONE || b->ended)
                return 0;
        errno = 0;
        return failure(&b->failure, "%s: truncated %s data", b->name,
                       compression_name(b->compression));
}

ssize_t blob_read(struct blob *b, const void **data)
{
        for (;;) {
                if (fill(b) < 0)
                        return -1;
                bool all_in = b->in_eof && b->in_pos == b->in_len;
                if (all_in && (b->compression == COMPRESSION_NONE || b->ended))
                        return 0;
                ssize_t n = decompress_some(b, data);
                if (n < 0)
                        return -1;
                if (n > 0) {
                        b->data_bytes += (uint64_t)n;
                        if (b->hash_data)
                                sha256_add(&b->data_hash, *data, (size_t)n);
                        return n;
                }
                if (all_in)
                        return at_end(b); /* nothing more will come out */
        }
}

void blob_close(struct blob *b)
{
        if (b->decoder) {
                if (b->compression == COMPRESSION_GZIP)
                        inflateEnd(&b->decoder->z);
                ZSTD_freeDStream(b->decoder->zstd);
                lzma_end(&b->decoder->xz);
                free(b->decoder);
        }
        free(b->in);
        free(b->out);
        if (b->fd >= 0)
                close(b->fd);
        *b = (struct blob){.fd = -1};
}
