/* Reading an image blob (a layer): the compression is recognised by its
 * first bytes (gzip, zstd, xz, or none), the data decompressed in a stream,
 * and SHA-256 computed over the stored bytes (what an OCI descriptor's digest
 * names) and, when asked, over the uncompressed ones (a config's diff_ids). */
#ifndef QRUN_BLOB_H
#define QRUN_BLOB_H

#include "fail.h"
#include "sha256.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum compression { COMPRESSION_NONE, COMPRESSION_GZIP, COMPRESSION_ZSTD, COMPRESSION_XZ };

struct blob_decoder; /* the decompressor's state */

struct blob {
        int fd;
        const char *name; /* for messages */
        enum compression compression;
        struct sha256 stored_hash; /* of the bytes as stored */
        struct sha256 data_hash;   /* of the uncompressed bytes, when hash_data */
        bool hash_data;
        uint64_t stored_bytes, data_bytes;
        unsigned char *in, *out;
        size_t in_len, in_pos;
        bool in_eof;
        bool ended; /* the compressed stream is at a clean end (of a member or frame) */
        struct blob_decoder *decoder;
        struct failure failure; /* what failed, when a function returns -1 */
};

/* liblzma's choice of CRC-64 code, which qrun's build takes out of the start
 * of every launch (build.sh): called by every process that may decode xz,
 * before it does (qrun import, the SquashFS server). */
void blob_prepare_xz(void);

/* Starts reading fd (which the blob then owns). -1 with b->failure set. */
int blob_open(struct blob *b, int fd, const char *name, bool hash_data);

/* The next piece of uncompressed data: its length (*data points at it), 0 at
 * the end, -1 with b->failure set (errno 0 for corrupt data). */
ssize_t blob_read(struct blob *b, const void **data);

void blob_close(struct blob *b);

const char *compression_name(enum compression c);

#endif
