/* Image metadata: an OCI image layout (index.json, manifests, config, blobs)
 * or what `docker save` writes (manifest.json, a config, layer tars), read
 * into the list of layers to apply and the parts of the config a manifest
 * needs. Digests are checked where the format names them. Helpers return -1
 * and say what failed in a struct failure. */
#ifndef QRUN_IMAGE_H
#define QRUN_IMAGE_H

#include "common.h"
#include "fail.h"

#include <stdbool.h>
#include <stdint.h>

#define DIGEST_MAX 72 /* "sha256:" and 64 hex digits, and a NUL */

struct image_layer {
        char *path;               /* the blob or layer tar */
        char digest[DIGEST_MAX];  /* of the stored bytes; "" when the format names none */
        char diff_id[DIGEST_MAX]; /* of the uncompressed tar; "" when unknown */
        int64_t size;             /* of the stored bytes; -1 when unknown */
};

/* What the image's author said about running it. */
struct image_config {
        struct strv entrypoint, cmd, env;
        bool has_entrypoint, has_cmd;
        char *workdir; /* NULL: not set */
        char *user;    /* NULL or "": root */
        char *arch;    /* "amd64", ... NULL: not said */
};

struct image {
        struct image_layer *layers;
        size_t nlayers;
        struct image_config config;
};

/* An OCI image layout in dir; tag selects a manifest by its
 * org.opencontainers.image.ref.name (NULL: the only one). Nested indexes are
 * followed to the manifest for this machine's architecture. */
int image_read_oci(const char *dir, const char *tag, struct image *img, struct failure *f);

/* An unpacked `docker save` archive in dir; ref selects by RepoTags (NULL:
 * the only image). */
int image_read_docker(const char *dir, const char *ref, struct image *img, struct failure *f);

void image_free(struct image *img);

/* True if s is "sha256:" and 64 lowercase hex digits. */
bool digest_valid(const char *s);

#endif
