/* What qrun import's byte work costs alone, with the same libraries and buffer
 * sizes as modules/blob.c (zlib inflate, ZSTD_decompressStream, nettle's
 * SHA-256) and no files written:
 *
 *   decompress FILE...
 *
 * For each layer blob (gzip or zstd, told by its first bytes) it reads 256 KiB
 * at a time, decompresses into a 1 MiB buffer, and hashes the stored bytes and
 * the decompressed ones as qrun does (digest and diff_id). Prints, summed over
 * the files, the CPU time of each part (CLOCK_THREAD_CPUTIME_ID around every
 * call) and the byte counts:
 *   decompress_ms hash_stored_ms hash_data_ms stored_bytes data_bytes
 * Built by bench/import.sh with musl-gcc against tools/build-deps.sh's libraries. */
#include <fcntl.h>
#include <nettle/sha2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#define IN_SIZE  (256 * 1024)
#define OUT_SIZE (1024 * 1024)

static double now_ms(void)
{
        struct timespec t;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
        return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

struct totals {
        double decompress, hash_stored, hash_data;
        uint64_t stored, data;
};

static unsigned char in[IN_SIZE], out[OUT_SIZE];

static void hash(struct sha256_ctx *h, const void *p, size_t n, double *ms)
{
        double t = now_ms();
        sha256_update(h, n, p);
        *ms += now_ms() - t;
}

/* One pass over the file: each read piece is hashed, then decompressed piece by piece. */
static void one_file(const char *path, struct totals *tot)
{
        int fd = open(path, O_RDONLY);
        if (fd < 0) {
                perror(path);
                exit(1);
        }
        struct sha256_ctx stored, data;
        sha256_init(&stored);
        sha256_init(&data);
        z_stream z = {0};
        ZSTD_DStream *zs = ZSTD_createDStream();
        int kind = -1; /* 0 gzip, 1 zstd */
        ssize_t n;
        while ((n = read(fd, in, IN_SIZE)) > 0) {
                if (kind < 0) {
                        kind = in[0] == 0x1f && in[1] == 0x8b ? 0 : 1;
                        if (kind == 0 && inflateInit2(&z, 16 + 15) != Z_OK)
                                exit(1);
                }
                tot->stored += (uint64_t)n;
                hash(&stored, in, (size_t)n, &tot->hash_stored);
                ZSTD_inBuffer zin = {in, (size_t)n, 0};
                z.next_in = in;
                z.avail_in = (uInt)n;
                for (;;) {
                        size_t got;
                        double t = now_ms();
                        if (kind == 0) {
                                z.next_out = out;
                                z.avail_out = OUT_SIZE;
                                int rc = inflate(&z, Z_NO_FLUSH);
                                if (rc == Z_STREAM_END)
                                        inflateReset(&z);
                                else if (rc != Z_OK && rc != Z_BUF_ERROR)
                                        exit(1);
                                got = OUT_SIZE - z.avail_out;
                        } else {
                                ZSTD_outBuffer zout = {out, OUT_SIZE, 0};
                                if (ZSTD_isError(ZSTD_decompressStream(zs, &zout, &zin)))
                                        exit(1);
                                got = zout.pos;
                        }
                        tot->decompress += now_ms() - t;
                        tot->data += got;
                        hash(&data, out, got, &tot->hash_data);
                        if (got == 0 && (kind == 0 ? z.avail_in == 0 : zin.pos == zin.size))
                                break;
                }
        }
        unsigned char digest[SHA256_DIGEST_SIZE];
        sha256_digest(&stored, sizeof(digest), digest);
        sha256_digest(&data, sizeof(digest), digest);
        if (kind == 0)
                inflateEnd(&z);
        ZSTD_freeDStream(zs);
        close(fd);
}

int main(int argc, char **argv)
{
        struct totals tot = {0};
        for (int i = 1; i < argc; i++)
                one_file(argv[i], &tot);
        printf("%.0f %.0f %.0f %llu %llu\n", tot.decompress, tot.hash_stored, tot.hash_data,
               (unsigned long long)tot.stored, (unsigned long long)tot.data);
        return 0;
}
