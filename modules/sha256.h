/* SHA-256 for image digests: nettle's, which uses the CPU's SHA instructions
 * where it has them (a fat build chooses at run time). */
#ifndef QRUN_SHA256_H
#define QRUN_SHA256_H

#include <nettle/sha2.h>
#include <stddef.h>

struct sha256 {
        struct sha256_ctx ctx;
};

void sha256_begin(struct sha256 *h);
void sha256_add(struct sha256 *h, const void *data, size_t len);
/* Ends the hash and writes it as 64 lowercase hex digits and a NUL. */
void sha256_end_hex(struct sha256 *h, char hex[65]);
/* The hash of one buffer, in hex. */
void sha256_hex_of(const void *data, size_t len, char hex[65]);

#endif
