#include "sha256.h"

void sha256_begin(struct sha256 *h)
{
        sha256_init(&h->ctx);
}

void sha256_add(struct sha256 *h, const void *data, size_t len)
{
        sha256_update(&h->ctx, len, data);
}

void sha256_end_hex(struct sha256 *h, char hex[65])
{
        static const char digits[] = "0123456789abcdef";
        unsigned char d[SHA256_DIGEST_SIZE];
        sha256_digest(&h->ctx, sizeof(d), d);
        for (size_t i = 0; i < sizeof(d); i++) {
                hex[2 * i] = digits[d[i] >> 4];
                hex[2 * i + 1] = digits[d[i] & 15];
        }
        hex[64] = '\0';
}

void sha256_hex_of(const void *data, size_t len, char hex[65])
{
        struct sha256 h;
        sha256_begin(&h);
        sha256_add(&h, data, len);
        sha256_end_hex(&h, hex);
}
