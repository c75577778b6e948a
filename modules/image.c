#define _GNU_SOURCE
#include "image.h"
#include "sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Metadata files are small; anything larger is not what it claims to be. */
#define JSON_MAX_BYTES (16 << 20)

#define OCI_INDEX       "application/vnd.oci.image.index.v1+json"
#define OCI_MANIFEST    "application/vnd.oci.image.manifest.v1+json"
#define DOCKER_LIST     "application/vnd.docker.distribution.manifest.list.v2+json"
#define DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define OCI_REF_NAME    "org.opencontainers.image.ref.name"

/* The architecture images name for this machine. */
static const char *machine_arch(void)
{
#if defined(__x86_64__)
        return "amd64";
#elif defined(__aarch64__)
        return "arm64";
#elif defined(__powerpc64__)
        return "ppc64le";
#elif defined(__s390x__)
        return "s390x";
#elif defined(__riscv)
        return "riscv64";
#else
        return "unknown";
#endif
}

bool digest_valid(const char *s)
{
        if (strncmp(s, "sha256:", 7) || strlen(s + 7) != 64)
                return false;
        return strspn(s + 7, "0123456789abcdef") == 64;
}

/* ---- reading JSON ---- */

/* The whole file, at most JSON_MAX_BYTES; its SHA-256 in hex when hex is not
 * NULL. Caller frees. */
static char *read_small_file(const char *path, size_t *len, char hex[65], struct failure *f)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0) {
                failure(f, "%s", path);
                if (fd >= 0)
                        close(fd);
                return NULL;
        }
        if (!S_ISREG(st.st_mode) || st.st_size > JSON_MAX_BYTES) {
                close(fd);
                errno = 0;
                failure(f, "%s: %s", path,
                        S_ISREG(st.st_mode) ? "too large for image metadata"
                                            : "not a regular file");
                return NULL;
        }
        char *buf = xmalloc((size_t)st.st_size + 1);
        ssize_t n = read(fd, buf, (size_t)st.st_size);
        int err = errno;
        close(fd);
        if (n != st.st_size) {
                errno = n < 0 ? err : 0;
                failure(f, "%s: %s", path, n < 0 ? "read" : "changed while it was read");
                free(buf);
                return NULL;
        }
        buf[n] = '\0';
        *len = (size_t)n;
        if (hex)
                sha256_hex_of(buf, (size_t)n, hex);
        return buf;
}

static json_t *parse_json(const char *path, const char *text, size_t len, struct failure *f)
{
        json_error_t error;
        json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &error);
        if (!root) {
                errno = 0;
                failure(f, "%s:%d: bad JSON: %s", path, error.line, error.text);
        }
        return root;
}

/* Loads path as JSON; with digest (a "sha256:..." string), checks the file's. */
static json_t *load_json(const char *path, const char *digest, struct failure *f)
{
        size_t len;
        char hex[65];
        char *text = read_small_file(path, &len, digest ? hex : NULL, f);
        if (!text)
                return NULL;
        json_t *root = NULL;
        if (digest && strcmp(digest + 7, hex)) {
                errno = 0;
                failure(f, "%s: digest mismatch: expected %s, got sha256:%s", path, digest, hex);
        } else {
                root = parse_json(path, text, len, f);
        }
        free(text);
        return root;
}

/* dir/name, loaded as JSON (no digest: index.json, manifest.json, oci-layout). */
static json_t *load_json_in(const char *dir, const char *name, struct failure *f)
{
        char *path = xasprintf("%s/%s", dir, name);
        json_t *root = load_json(path, NULL, f);
        free(path);
        return root;
}

static const char *get_string(const json_t *obj, const char *key)
{
        return json_string_value(json_object_get(obj, key));
}

/* A JSON array of strings into v; false if it is something else. */
static bool get_strings(const json_t *obj, const char *key, struct strv *v, bool *present)
{
        const json_t *a = json_object_get(obj, key);
        *present = a && !json_is_null(a);
        if (!*present)
                return true;
        if (!json_is_array(a))
                return false;
        for (size_t i = 0; i < json_array_size(a); i++) {
                const char *s = json_string_value(json_array_get(a, i));
                if (!s)
                        return false;
                strv_push(v, xstrdup(s));
        }
        return true;
}

/* ---- the image config ---- */

static char *dup_or_null(const char *s)
{
        return s ? xstrdup(s) : NULL;
}

/* Entrypoint, Cmd, Env, WorkingDir, User and the architecture; the
 * uncompressed layers' digests into diff_ids (NULL: not needed). */
static int read_config(const char *path, const json_t *root, struct image_config *c,
                       json_t **diff_ids, struct failure *f)
{
        const json_t *cfg = json_object_get(root, "config");
        bool ok = json_is_object(root);
        if (ok && cfg && !json_is_null(cfg)) {
                ok = json_is_object(cfg) &&
                     get_strings(cfg, "Entrypoint", &c->entrypoint, &c->has_entrypoint) &&
                     get_strings(cfg, "Cmd", &c->cmd, &c->has_cmd) &&
                     get_strings(cfg, "Env", &c->env, &(bool){0});
                c->workdir = dup_or_null(get_string(cfg, "WorkingDir"));
                c->user = dup_or_null(get_string(cfg, "User"));
        }
        c->arch = dup_or_null(get_string(root, "architecture"));
        *diff_ids = json_object_get(json_object_get(root, "rootfs"), "diff_ids");
        if (!ok) {
                errno = 0;
                return failure(f,
                               "%s: not an image config (config.Entrypoint, Cmd and Env must "
                               "be lists of strings)",
                               path);
        }
        return 0;
}

/* Copies the i-th diff_id, if the config has one that is a valid digest. */
static int take_diff_id(const char *path, const json_t *diff_ids, size_t i, char *out,
                        struct failure *f)
{
        const char *id = json_string_value(json_array_get(diff_ids, i));
        if (!id || !digest_valid(id)) {
                errno = 0;
                return failure(f, "%s: rootfs.diff_ids[%zu] is not a sha256 digest", path, i);
        }
        snprintf(out, DIGEST_MAX, "%s", id);
        return 0;
}

void image_free(struct image *img)
{
        for (size_t i = 0; i < img->nlayers; i++)
                free(img->layers[i].path);
        free(img->layers);
        strv_free(&img->config.entrypoint);
        strv_free(&img->config.cmd);
        strv_free(&img->config.env);
        free(img->config.workdir);
        free(img->config.user);
        free(img->config.arch);
        *img = (struct image){0};
}

/* ---- OCI image layout ---- */

/* The path of the blob a descriptor names, its digest checked for shape
 * first: it becomes a file name. */
static char *blob_path(const char *dir, const json_t *desc, const char **digest, struct failure *f)
{
        *digest = get_string(desc, "digest");
        if (!*digest || !digest_valid(*digest)) {
                errno = 0;
                failure(f,
                        "%s: a descriptor's digest is missing or not sha256:<64 hex digits> "
                        "(\"%.80s\")",
                        dir, *digest ? *digest : "");
                return NULL;
        }
        return xasprintf("%s/blobs/sha256/%s", dir, *digest + 7);
}

static json_t *load_blob_json(const char *dir, const json_t *desc, struct failure *f)
{
        const char *digest;
        char *path = blob_path(dir, desc, &digest, f);
        if (!path)
                return NULL;
        json_t *root = load_json(path, digest, f);
        free(path);
        return root;
}

static bool is_manifest_type(const char *t)
{
        return t && (!strcmp(t, OCI_MANIFEST) || !strcmp(t, DOCKER_MANIFEST));
}

static bool is_index_type(const char *t)
{
        return t && (!strcmp(t, OCI_INDEX) || !strcmp(t, DOCKER_LIST));
}

/* In an index, the manifest for this machine (linux, its architecture). */
static const json_t *pick_platform(const json_t *manifests)
{
        for (size_t i = 0; i < json_array_size(manifests); i++) {
                const json_t *d = json_array_get(manifests, i);
                const json_t *p = json_object_get(d, "platform");
                const char *os = get_string(p, "os"), *arch = get_string(p, "architecture");
                if ((!os || !strcmp(os, "linux")) && arch && !strcmp(arch, machine_arch()))
                        return d;
        }
        return NULL;
}

/* Lists the tags of index.json, for "no such tag" messages. */
static void list_tags(const json_t *manifests, char *out, size_t size)
{
        size_t n = 0;
        out[0] = '\0';
        for (size_t i = 0; i < json_array_size(manifests) && n < size; i++) {
                const char *tag = get_string(
                    json_object_get(json_array_get(manifests, i), "annotations"), OCI_REF_NAME);
                n += (size_t)snprintf(out + n, size - n, "%s%s", n ? ", " : "",
                                      tag ? tag : "(untagged)");
        }
}

/* The descriptor in index.json that tag names (or the only one). */
static const json_t *pick_tagged(const char *dir, const json_t *index, const char *tag,
                                 struct failure *f)
{
        const json_t *manifests = json_object_get(index, "manifests");
        size_t n = json_array_size(manifests);
        char tags[512];
        list_tags(manifests, tags, sizeof(tags));
        errno = 0;
        if (n == 0)
                return failure(f, "%s/index.json: no image in it", dir), NULL;
        if (!tag && n == 1)
                return json_array_get(manifests, 0);
        for (size_t i = 0; tag && i < n; i++) {
                const json_t *d = json_array_get(manifests, i);
                const char *name = get_string(json_object_get(d, "annotations"), OCI_REF_NAME);
                if (name && !strcmp(name, tag))
                        return d;
        }
        if (!tag)
                failure(f, "%s holds %zu images: name one as oci:%s:TAG (tags: %s)", dir, n, dir,
                        tags);
        else
                failure(f, "%s: no image tagged \"%s\" (tags: %s)", dir, tag, tags);
        return NULL;
}

/* Layer media types qrun can apply; the compression is recognised by content. */
static bool is_layer_type(const char *t)
{
        static const char *const prefixes[] = {
            "application/vnd.oci.image.layer.v1.tar",
            "application/vnd.oci.image.layer.nondistributable.v1.tar",
            "application/vnd.docker.image.rootfs.diff.tar",
            "application/vnd.docker.image.rootfs.foreign.diff.tar",
        };
        static const char *const suffixes[] = {"", "+gzip", "+zstd", ".gzip"};
        for (size_t i = 0; t && i < ARRAY_SIZE(prefixes); i++) {
                size_t n = strlen(prefixes[i]);
                if (strncmp(t, prefixes[i], n))
                        continue;
                for (size_t j = 0; j < ARRAY_SIZE(suffixes); j++)
                        if (!strcmp(t + n, suffixes[j]))
                                return true;
        }
        return false;
}

static int add_oci_layer(const char *dir, const json_t *desc, struct image *img, struct failure *f)
{
        const char *type = get_string(desc, "mediaType");
        if (!is_layer_type(type)) {
                errno = 0;
                return failure(f, "%s: unknown layer media type \"%s\"", dir, type ? type : "");
        }
        const char *digest;
        char *path = blob_path(dir, desc, &digest, f);
        if (!path)
                return -1;
        const json_t *size = json_object_get(desc, "size");
        struct image_layer *l = &img->layers[img->nlayers++];
        *l = (struct image_layer){
            .path = path, .size = json_is_integer(size) ? (int64_t)json_integer_value(size) : -1};
        snprintf(l->digest, sizeof(l->digest), "%s", digest);
        return 0;
}

/* The manifest's config and layers (in order, lowest first). */
static int read_oci_manifest(const char *dir, const json_t *manifest, struct image *img,
                             struct failure *f)
{
        const json_t *layers = json_object_get(manifest, "layers");
        json_t *config = load_blob_json(dir, json_object_get(manifest, "config"), f);
        if (!config)
                return -1;
        json_t *diff_ids;
        int rc = read_config(dir, config, &img->config, &diff_ids, f);
        size_t n = json_array_size(layers);
        img->layers = xmalloc((n ? n : 1) * sizeof(*img->layers));
        for (size_t i = 0; rc == 0 && i < n; i++) {
                rc = add_oci_layer(dir, json_array_get(layers, i), img, f);
                if (rc == 0 && json_array_size(diff_ids) == n)
                        rc = take_diff_id(dir, diff_ids, i, img->layers[i].diff_id, f);
        }
        json_decref(config);
        return rc;
}

/* Follows index descriptors (nested indexes, multi-platform lists) down to a
 * manifest, and reads it. */
static int follow_descriptor(const char *dir, const json_t *desc, struct image *img, int depth,
                             struct failure *f)
{
        const char *type = get_string(desc, "mediaType");
        json_t *blob = load_blob_json(dir, desc, f);
        if (!blob)
                return -1;
        if (!type)
                type = get_string(blob, "mediaType");
        int rc = -1;
        errno = 0;
        if (is_manifest_type(type)) {
                rc = read_oci_manifest(dir, blob, img, f);
        } else if (is_index_type(type) && depth < 4) {
                const json_t *d = pick_platform(json_object_get(blob, "manifests"));
                rc = d ? follow_descriptor(dir, d, img, depth + 1, f)
                       : failure(f, "%s: no image for linux/%s in this multi-platform image", dir,
                                 machine_arch());
        } else {
                failure(f, "%s: unknown manifest media type \"%s\"", dir, type ? type : "");
        }
        json_decref(blob);
        return rc;
}

int image_read_oci(const char *dir, const char *tag, struct image *img, struct failure *f)
{
        *img = (struct image){0};
        json_t *layout = load_json_in(dir, "oci-layout", f); /* only that it is there */
        if (!layout)
                return -1;
        json_decref(layout);
        json_t *index = load_json_in(dir, "index.json", f);
        if (!index)
                return -1;
        const json_t *desc = pick_tagged(dir, index, tag, f);
        int rc = desc ? follow_descriptor(dir, desc, img, 0, f) : -1;
        json_decref(index);
        return rc;
}

/* ---- docker save ---- */

/* A file name from manifest.json: relative, without "..", inside dir. */
static char *member_path(const char *dir, const char *name, struct failure *f)
{
        bool dotdot = false;
        for (const char *p = name; p && *p; p += strcspn(p, "/"), p += *p == '/')
                dotdot |= !strncmp(p, "..", 2) && (p[2] == '/' || !p[2]);
        if (!name || !*name || name[0] == '/' || dotdot) {
                errno = 0;
                failure(f, "%s/manifest.json: bad file name \"%s\"", dir, name ? name : "");
                return NULL;
        }
        return xasprintf("%s/%s", dir, name);
}

/* The digest a file's name states: "<64 hex>.json", "blobs/sha256/<64 hex>",
 * "" when it states none. */
static void digest_of_name(const char *name, char *out)
{
        const char *base = strrchr(name, '/');
        const char *candidates[] = {base ? base + 1 : name, name};
        out[0] = '\0';
        for (size_t i = 0; i < ARRAY_SIZE(candidates); i++) {
                const char *c = candidates[i];
                size_t n = strspn(c, "0123456789abcdef");
                if (n == 64 && (!c[n] || !strcmp(c + n, ".json")))
                        snprintf(out, DIGEST_MAX, "sha256:%.64s", c);
        }
}

/* "docker.io/library/x" and "x" name the same image; no tag means latest. */
static void normalize_ref(const char *ref, char *out, size_t size)
{
        static const char *const prefixes[] = {"docker.io/", "index.docker.io/", "library/"};
        for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++)
                if (!strncmp(ref, prefixes[i], strlen(prefixes[i])))
                        ref += strlen(prefixes[i]);
        const char *slash = strrchr(ref, '/');
        bool tagged = strchr(slash ? slash : ref, ':') || strchr(ref, '@');
        snprintf(out, size, "%s%s", ref, tagged ? "" : ":latest");
}

static bool has_tag(const json_t *entry, const char *ref)
{
        char want[512], got[512];
        normalize_ref(ref, want, sizeof(want));
        const json_t *tags = json_object_get(entry, "RepoTags");
        for (size_t i = 0; i < json_array_size(tags); i++) {
                const char *t = json_string_value(json_array_get(tags, i));
                if (t && (normalize_ref(t, got, sizeof(got)), !strcmp(got, want)))
                        return true;
        }
        return false;
}

static const json_t *pick_docker_image(const char *dir, const json_t *list, const char *ref,
                                       struct failure *f)
{
        size_t n = json_array_size(list);
        errno = 0;
        if (!n)
                return failure(f, "%s/manifest.json: no image in it", dir), NULL;
        if (!ref && n == 1)
                return json_array_get(list, 0);
        for (size_t i = 0; ref && i < n; i++)
                if (has_tag(json_array_get(list, i), ref))
                        return json_array_get(list, i);
        char tags[512];
        size_t len = 0;
        tags[0] = '\0';
        for (size_t i = 0; i < n && len < sizeof(tags); i++) {
                const json_t *t = json_object_get(json_array_get(list, i), "RepoTags");
                const char *first = json_string_value(json_array_get(t, 0));
                len += (size_t)snprintf(tags + len, sizeof(tags) - len, "%s%s", i ? ", " : "",
                                        first ? first : "(untagged)");
        }
        if (ref)
                return failure(f, "%s: no image tagged \"%s\" (tags: %s)", dir, ref, tags), NULL;
        return failure(f,
                       "the archive holds %zu images: name one as docker-archive:FILE:REF "
                       "(tags: %s)",
                       n, tags),
               NULL;
}

static int add_docker_layer(const char *dir, const char *name, const json_t *diff_ids, size_t i,
                            struct image *img, struct failure *f)
{
        char *path = member_path(dir, name, f);
        if (!path)
                return -1;
        struct image_layer *l = &img->layers[img->nlayers++];
        *l = (struct image_layer){.path = path, .size = -1};
        if (!strncmp(name, "blobs/sha256/", 13))
                digest_of_name(name, l->digest);
        return take_diff_id(dir, diff_ids, i, l->diff_id, f);
}

static int read_docker_image(const char *dir, const json_t *entry, struct image *img,
                             struct failure *f)
{
        const char *config_name = get_string(entry, "Config");
        const json_t *layers = json_object_get(entry, "Layers");
        char digest[DIGEST_MAX];
        char *config_path = member_path(dir, config_name, f);
        if (!config_path)
                return -1;
        digest_of_name(config_name, digest);
        json_t *config = load_json(config_path, *digest ? digest : NULL, f);
        json_t *diff_ids;
        int rc = config ? read_config(config_path, config, &img->config, &diff_ids, f) : -1;
        size_t n = json_array_size(layers);
        if (rc == 0 && json_array_size(diff_ids) != n) {
                errno = 0;
                rc = failure(f, "%s: %zu layers but %zu rootfs.diff_ids", config_path, n,
                             json_array_size(diff_ids));
        }
        img->layers = xmalloc((n ? n : 1) * sizeof(*img->layers));
        for (size_t i = 0; rc == 0 && i < n; i++)
                rc = add_docker_layer(dir, json_string_value(json_array_get(layers, i)), diff_ids,
                                      i, img, f);
        json_decref(config);
        free(config_path);
        return rc;
}

int image_read_docker(const char *dir, const char *ref, struct image *img, struct failure *f)
{
        *img = (struct image){0};
        json_t *list = load_json_in(dir, "manifest.json", f);
        if (!list)
                return -1;
        const json_t *entry = pick_docker_image(dir, list, ref, f);
        int rc = entry ? read_docker_image(dir, entry, img, f) : -1;
        json_decref(list);
        return rc;
}
