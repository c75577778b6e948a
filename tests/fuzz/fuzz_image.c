/* qrun import's readers on hostile input. The first byte picks what the rest is:
 *
 *   0  a layer's bytes (a tar, maybe gzip, zstd or xz), through the blob reader
 *      and layer_extract; a second layer follows "\nQRUN-LAYER\n" if present
 *   1  layers described by the bytes (names of ., .., .wh., symlinks to / and
 *      out of the tree, hard links, devices...), written as tars by libarchive
 *   2  an OCI layout: index.json, NUL, the manifest, NUL, the config [, NUL, a
 *      tag]; "@M" in index.json and "@C" in the manifest become the digests of
 *      the manifest and the config, which are stored as blobs under them
 *   3  a docker save: manifest.json, NUL, the config ("@C" in manifest.json
 *      becomes its file name, <hex>.json)
 *
 * Layers are extracted into DIR/tree beside DIR/canary/x, where DIR is
 * TOP/a/b; as root, layer_extract runs chrooted to TOP, so that a bug that
 * lets a name escape writes in TOP, not on the host. Afterwards TOP holds only
 * a, TOP/a only b, DIR only tree and canary, the canary is unchanged (and
 * without the chroot /qrun-fuzz-canary does not exist), and the tree holds no
 * device, FIFO or socket, no setuid or setgid file, no file the user cannot
 * read and write, no directory the user cannot enter, read and write, and
 * with whiteouts applied no .wh. name. The image config read from metadata
 * must give a manifest whose lines are the expected
 * sections and keys. Any breach aborts; so do descriptors left open. */
#define _GNU_SOURCE
#include "blob.h"
#include "fuzz_common.h"
#include "image.h"
#include "import_manifest.h"
#include "layer.h"
#include "sha256.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HOST_CANARY "/qrun-fuzz-canary"
#define MAX_DATA    (16u << 20) /* decompressed bytes per layer: a bomb is not a finding */
#define LAYER_SEP   "\nQRUN-LAYER\n"

static char top[128];        /* TOP */
static char dir[160];        /* DIR: TOP/a/b */
static char path[512];       /* scratch */
static char canary_abs[192]; /* DIR/canary/x as layer_extract sees it */
static struct stat canary_st;
static int real_root = -1, real_cwd = -1; /* to leave the chroot */
static bool chrooted;                     /* layer_extract runs chrooted to TOP */

static void check(bool ok, const char *what)
{
        if (!ok) {
                fprintf(stderr, "fuzz_image: %s\n", what);
                abort();
        }
}

static void write_file(const char *name, const void *data, size_t size)
{
        int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        check(fd >= 0 && (!size || write(fd, data, size) == (ssize_t)size), "write a scratch file");
        close(fd);
}

static void make_dir(const char *name)
{
        check(mkdir(name, 0755) == 0 || errno == EEXIST, "mkdir");
}

/* At exit (not after a crash: TOP is then evidence). */
static void remove_top(void)
{
        int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        remove_tree(fd, top + 1);
        close(fd);
}

/* TOP, DIR, DIR/canary/x, once per process; on tmpfs when there is one
 * (faster). As root, layer_extract will run chrooted to TOP. */
static void setup(void)
{
        if (*top)
                return;
        const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        snprintf(top, sizeof(top), "%s/qrun-fuzz.%d.image", base, (int)getpid());
        snprintf(dir, sizeof(dir), "%s/a", top);
        make_dir(top);
        make_dir(dir);
        snprintf(dir, sizeof(dir), "%s/a/b", top);
        make_dir(dir);
        snprintf(path, sizeof(path), "%s/canary", dir);
        make_dir(path);
        snprintf(path, sizeof(path), "%s/canary/x", dir);
        write_file(path, "canary\n", 7);
        check(stat(path, &canary_st) == 0, "stat the canary");
        real_root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        real_cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        check(real_root >= 0 && real_cwd >= 0, "open / and .");
        chrooted = chroot(top) == 0;
        if (chrooted)
                check(fchdir(real_root) == 0 && chroot(".") == 0 && fchdir(real_cwd) == 0,
                      "leave the chroot");
        snprintf(canary_abs, sizeof(canary_abs), "%s/canary/x", chrooted ? "/a/b" : dir);
        atexit(remove_top);
}

/* The chroot, around layer_extract alone: libFuzzer's files are relative to
 * the working directory, which stays, and ASan's symbolizer is found by its
 * absolute path, which the chroot would hide. */
static void enter_chroot(void)
{
        check(!chrooted || chroot(top) == 0, "chroot");
}

static void leave_chroot(void)
{
        check(!chrooted || (fchdir(real_root) == 0 && chroot(".") == 0 && fchdir(real_cwd) == 0),
              "leave the chroot");
}

/* ---- what must hold after an extraction ---- */

/* The directory name holds only the entries named (NULL-terminated). */
static void check_only(const char *name, const char *const *allowed)
{
        DIR *d = opendir(name);
        check(d != NULL, "opendir");
        struct dirent *e;
        while ((e = readdir(d))) {
                bool ok = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
                for (const char *const *a = allowed; *a; a++)
                        ok |= !strcmp(e->d_name, *a);
                if (!ok)
                        fprintf(stderr, "fuzz_image: %s/%s\n", name, e->d_name);
                check(ok, "something was created outside the tree");
        }
        closedir(d);
}

static void check_canary(void)
{
        struct stat st;
        snprintf(path, sizeof(path), "%s/canary/x", dir);
        check(lstat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 7 && st.st_nlink == 1 &&
                  st.st_ino == canary_st.st_ino &&
                  st.st_mtim.tv_nsec == canary_st.st_mtim.tv_nsec &&
                  st.st_ctim.tv_sec == canary_st.st_ctim.tv_sec &&
                  st.st_ctim.tv_nsec == canary_st.st_ctim.tv_nsec,
              "the canary beside the tree changed");
        check(access(HOST_CANARY, F_OK) != 0, HOST_CANARY " was created");
        check_only(top, (const char *const[]){"a", NULL});
        snprintf(path, sizeof(path), "%s/a", top);
        check_only(path, (const char *const[]){"b", NULL});
        check_only(dir, (const char *const[]){"tree", "canary", NULL});
        snprintf(path, sizeof(path), "%s/canary", dir);
        check_only(path, (const char *const[]){"x", NULL});
}

/* Every entry of the tree below fd (depth-limited: the checks, not the walk,
 * are the point). */
static void check_tree(int fd, bool whiteouts, int depth)
{
        DIR *d = fdopendir(fd);
        check(d != NULL, "fdopendir");
        struct dirent *e;
        while ((e = readdir(d))) {
                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                        continue;
                struct stat st;
                check(fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0, "fstatat");
                check(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode) || S_ISLNK(st.st_mode),
                      "a device, FIFO or socket in the tree");
                check(!whiteouts || strncmp(e->d_name, ".wh.", 4), "a whiteout in the tree");
                if (S_ISREG(st.st_mode))
                        check(!(st.st_mode & 06000) && (st.st_mode & 0600) == 0600,
                              "a setuid, setgid or unreadable file in the tree");
                if (!S_ISDIR(st.st_mode))
                        continue;
                check((st.st_mode & 0700) == 0700, "a directory the user cannot use");
                int sub =
                    openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                check(sub >= 0, "open a directory of the tree");
                if (depth < 64)
                        check_tree(sub, whiteouts, depth + 1);
                else
                        close(sub);
        }
        closedir(d);
}

/* ---- layers ---- */

struct reader {
        struct blob blob;
};

static la_ssize_t read_blob(struct archive *a, void *ctx, const void **data)
{
        struct reader *r = ctx;
        if (r->blob.data_bytes > MAX_DATA) {
                archive_set_error(a, EFBIG, "too much data for a fuzz input");
                return -1;
        }
        ssize_t n = blob_read(&r->blob, data);
        if (n < 0)
                archive_set_error(a, EIO, "%s", r->blob.failure.what);
        return n;
}

/* One layer's bytes through blob_open, libarchive and layer_extract, as
 * import.c's apply_layer does; failures are expected, crashes are not. */
static void extract_layer(struct extract *x, const void *data, size_t size)
{
        snprintf(path, sizeof(path), "%s/layer", dir);
        write_file(path, data, size);
        struct reader r;
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        check(fd >= 0, "open the layer");
        if (blob_open(&r.blob, fd, "layer", true) == 0) {
                struct archive *a = archive_read_new();
                archive_read_support_format_tar(a);
                archive_read_support_format_empty(a);
                if (archive_read_open(a, &r, NULL, read_blob, NULL) == ARCHIVE_OK) {
                        enter_chroot();
                        (void)layer_extract(a, x); /* failing is fine; escaping is not */
                        leave_chroot();
                }
                archive_read_free(a);
                const void *rest;
                while (r.blob.data_bytes <= MAX_DATA && blob_read(&r.blob, &rest) > 0)
                        ;
        }
        blob_close(&r.blob);
        unlink(path);
}

/* Extracts each layer in turn into a fresh DIR/tree, checks, removes it. */
static void extract_layers(const void *const *layers, const size_t *sizes, size_t n, bool whiteouts)
{
        setup();
        snprintf(path, sizeof(path), "%s/tree", dir);
        check(mkdir(path, 0755) == 0, "mkdir DIR/tree (left by the last input?)");
        struct extract x = {.whiteouts = whiteouts, .what = "layer"};
        x.rootfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        check(x.rootfd >= 0, "open DIR/tree");
        for (size_t i = 0; i < n; i++)
                extract_layer(&x, layers[i], sizes[i]);
        check_canary();
        check_tree(openat(x.rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), whiteouts, 0);
        close(x.rootfd);
        extract_free(&x);
        int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        check(remove_tree(dfd, "tree") == 0, "remove_tree DIR/tree");
        close(dfd);
}

/* Mode 0: the bytes are one or two layers as they are. */
static void raw_layers(const uint8_t *data, size_t size, bool whiteouts)
{
        const void *layers[2] = {data};
        size_t sizes[2] = {size}, n = 1;
        const uint8_t *sep = memmem(data, size, LAYER_SEP, strlen(LAYER_SEP));
        if (sep) {
                sizes[0] = (size_t)(sep - data);
                layers[1] = sep + strlen(LAYER_SEP);
                sizes[1] = size - sizes[0] - strlen(LAYER_SEP);
                n = 2;
        }
        extract_layers(layers, sizes, n, whiteouts);
}

/* ---- mode 1: layers described by the bytes ---- */

static const char *const components[] = {
    "a",     "b",      "c",    ".",      "..", "",    ".wh.a", ".wh.b", ".wh..wh..opq",
    ".wh..", ".wh...", ".wh.", "canary", "x",  "d/e", "tree",  "...",   ".wh..wh.a",
};

static const char *const targets[] = {
    "/", "..", "../..",   "../canary", "../../canary", "/canary",           "a", "a/b",
    ".", "",   "b/../..", "/a",        "../canary/x",  "/qrun-fuzz-canary", "x", "canary/x",
};

/* The names this input's entries used so far: later entries go below them,
 * replace them or link to them (a symlink, then a file through it). */
static char names_used[16][256];
static unsigned nused;

/* A name of 1 to 4 components, sometimes absolute or with a trailing slash;
 * often an earlier name, or one below it. */
static void take_name(struct bytes *b, char *out, size_t size, bool target)
{
        unsigned flags = (unsigned)take(b, 1), reuse = (unsigned)take(b, 1);
        size_t len = 0;
        out[0] = '\0';
        if (target && flags % 5 == 1) { /* the canary by its absolute path */
                snprintf(out, size, "%s", canary_abs);
                return;
        }
        if (nused && reuse % 4 != 0)
                len = (size_t)snprintf(out, size, "%s", names_used[reuse / 4 % nused]);
        else if (flags % 8 == 0)
                len = (size_t)snprintf(out, size, "/");
        unsigned n = reuse % 4 == 1 ? 0 : 1 + (unsigned)take(b, 1) % 3;
        for (unsigned i = 0; i < n && len < size; i++) {
                unsigned pick = (unsigned)take(b, 1);
                const char *c = target && pick % 2 ? targets[pick / 2 % ARRAY_SIZE(targets)]
                                                   : components[pick / 2 % ARRAY_SIZE(components)];
                bool slash = len && out[len - 1] != '/';
                len += (size_t)snprintf(out + len, size - len, "%s%s", slash ? "/" : "", c);
        }
        if (flags % 8 == 1 && len < size)
                snprintf(out + len, size - len, "/");
        if (!target && nused < ARRAY_SIZE(names_used))
                snprintf(names_used[nused++], sizeof(names_used[0]), "%s", out);
}

static const mode_t types[] = {AE_IFREG, AE_IFREG, AE_IFDIR, AE_IFLNK, AE_IFREG /* link */,
                               AE_IFIFO, AE_IFCHR, AE_IFBLK};

/* One entry, written to a. */
static void write_entry(struct archive *a, struct bytes *b)
{
        char name[256], target[256], body[64];
        unsigned type = (unsigned)take(b, 1) % ARRAY_SIZE(types);
        take_name(b, name, sizeof(name), false);
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, name);
        archive_entry_set_filetype(e, types[type]);
        archive_entry_set_perm(e, (mode_t)take(b, 2) & 07777);
        archive_entry_set_mtime(e, 1700000000, 0);
        size_t len = 0;
        if (type == 3 || type == 4) {
                take_name(b, target, sizeof(target), true);
                if (type == 3)
                        archive_entry_set_symlink(e, target);
                else
                        archive_entry_set_hardlink(e, target);
        } else if (types[type] == AE_IFREG) {
                len = (size_t)take(b, 1) % sizeof(body);
                memset(body, 'x', len);
        }
        if (types[type] == AE_IFCHR || types[type] == AE_IFBLK)
                archive_entry_set_rdev(e, (dev_t)take(b, 2));
        archive_entry_set_size(e, (la_int64_t)len);
        if (archive_write_header(a, e) == ARCHIVE_OK && len)
                archive_write_data(a, body, len);
        archive_entry_free(e);
}

/* A tar of up to 16 entries, sometimes gzip-compressed; its length. */
static size_t write_layer(struct bytes *b, char *buf, size_t cap)
{
        struct archive *a = archive_write_new();
        archive_write_set_format_pax_restricted(a);
        if (take(b, 1) % 4 == 0)
                archive_write_add_filter_gzip(a);
        size_t used = 0;
        check(archive_write_open_memory(a, buf, cap, &used) == ARCHIVE_OK, "archive_write_open");
        unsigned n = (unsigned)take(b, 1) % 17;
        for (unsigned i = 0; i < n; i++)
                write_entry(a, b);
        archive_write_close(a);
        archive_write_free(a);
        return used;
}

static void described_layers(const uint8_t *data, size_t size, bool whiteouts)
{
        static char bufs[3][1 << 20];
        struct bytes b = {data, size};
        size_t n = 1 + (size_t)take(&b, 1) % 3, sizes[3];
        nused = 0;
        const void *layers[3];
        for (size_t i = 0; i < n; i++) {
                sizes[i] = write_layer(&b, bufs[i], sizeof(bufs[i]));
                layers[i] = bufs[i];
        }
        extract_layers(layers, sizes, n, whiteouts);
}

/* ---- modes 2 and 3: metadata ---- */

/* The parts of the input between NULs (at most n); the number found. */
static size_t split_parts(const uint8_t *data, size_t size, char **parts, size_t n)
{
        size_t found = 0;
        for (const uint8_t *p = data, *end = data + size; found < n && p <= end; found++) {
                const uint8_t *nul = memchr(p, '\0', (size_t)(end - p));
                size_t len = nul ? (size_t)(nul - p) : (size_t)(end - p);
                parts[found] = strndup((const char *)p, len);
                p += len + 1;
                if (!nul)
                        return found + 1;
        }
        return found;
}

/* text with every "@X" replaced by with. Caller frees. */
static char *replace(const char *text, const char *at, const char *with)
{
        size_t n = 0;
        for (const char *p = text; (p = strstr(p, at)); p += strlen(at))
                n++;
        char *out = malloc(strlen(text) + n * strlen(with) + 1), *o = out;
        for (const char *p = text, *q; (q = strstr(p, at)) || *p; p = q + strlen(at)) {
                size_t len = q ? (size_t)(q - p) : strlen(p);
                memcpy(o, p, len);
                o += len;
                if (!q)
                        break;
                o += sprintf(o, "%s", with);
        }
        *o = '\0';
        return out;
}

/* Stores text as a blob of the layout at DIR/oci; its digest in digest. */
static void store_blob(const char *text, char digest[DIGEST_MAX])
{
        char hex[65];
        sha256_hex_of(text, strlen(text), hex);
        snprintf(digest, DIGEST_MAX, "sha256:%s", hex);
        snprintf(path, sizeof(path), "%s/oci/blobs/sha256/%s", dir, hex);
        write_file(path, text, strlen(text));
}

/* The manifest import would write for this config must hold only the
 * sections and keys it writes, in that order: a value with a line break
 * would add its own. */
static void check_manifest(const struct image_config *c)
{
        static const char *const sections[] = {"[rootfs]", "[user]", "[mounts]", "[process]"};
        static const char *const keys[] = {"path",    "uid",  "gid", "proc", "dev",
                                           "command", "args", "cwd", "env"};
        char *text = NULL;
        size_t len = 0, section = 0;
        FILE *out = open_memstream(&text, &len);
        import_manifest_print(out, "rootfs", c, "oci:fuzz");
        fclose(out);
        for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
                if (line[0] == ';' || line[0] == '#')
                        continue;
                if (line[0] == '[') {
                        check(section < ARRAY_SIZE(sections) && !strcmp(line, sections[section]),
                              "the manifest gained a section");
                        section++;
                        continue;
                }
                bool known = false;
                for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
                        known |= !strncmp(line, keys[i], strlen(keys[i])) &&
                                 !strncmp(line + strlen(keys[i]), " = ", 3);
                check(known, "the manifest gained a line");
        }
        free(text);
}

static void oci_layout(char **parts, size_t n)
{
        char config_digest[DIGEST_MAX], manifest_digest[DIGEST_MAX];
        static const char *const dirs[] = {"oci", "oci/blobs", "oci/blobs/sha256"};
        for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
                snprintf(path, sizeof(path), "%s/%s", dir, dirs[i]);
                check(mkdir(path, 0755) == 0, "mkdir DIR/oci/blobs/sha256");
        }
        store_blob(n > 2 ? parts[2] : "", config_digest);
        char *manifest = replace(n > 1 ? parts[1] : "", "@C", config_digest);
        store_blob(manifest, manifest_digest);
        char *index = replace(parts[0], "@M", manifest_digest);
        snprintf(path, sizeof(path), "%s/oci/index.json", dir);
        write_file(path, index, strlen(index));
        snprintf(path, sizeof(path), "%s/oci/oci-layout", dir);
        write_file(path, "{\"imageLayoutVersion\": \"1.0.0\"}", 31);
        snprintf(path, sizeof(path), "%s/oci", dir);
        struct image img;
        struct failure f;
        if (image_read_oci(path, n > 3 ? parts[3] : NULL, &img, &f) == 0)
                check_manifest(&img.config);
        image_free(&img);
        free(manifest);
        free(index);
}

static void docker_archive(char **parts, size_t n)
{
        char digest[DIGEST_MAX], name[DIGEST_MAX + 8];
        const char *config = n > 1 ? parts[1] : "";
        snprintf(path, sizeof(path), "%s/oci", dir);
        check(mkdir(path, 0755) == 0, "mkdir DIR/oci");
        sha256_hex_of(config, strlen(config), digest);
        snprintf(name, sizeof(name), "%s.json", digest);
        snprintf(path, sizeof(path), "%s/oci/%s", dir, name);
        write_file(path, config, strlen(config));
        char *list = replace(parts[0], "@C", name);
        snprintf(path, sizeof(path), "%s/oci/manifest.json", dir);
        write_file(path, list, strlen(list));
        snprintf(path, sizeof(path), "%s/oci", dir);
        struct image img;
        struct failure f;
        if (image_read_docker(path, n > 2 ? parts[2] : NULL, &img, &f) == 0)
                check_manifest(&img.config);
        image_free(&img);
        free(list);
}

static void metadata(const uint8_t *data, size_t size, bool docker)
{
        setup();
        char *parts[4];
        size_t n = split_parts(data, size, parts, 4);
        if (docker)
                docker_archive(parts, n);
        else
                oci_layout(parts, n);
        for (size_t i = 0; i < n; i++)
                free(parts[i]);
        int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        check(remove_tree(dfd, "oci") == 0, "remove_tree DIR/oci");
        close(dfd);
}

/* The lowest free descriptor must not climb from one input to the next. */
static void check_descriptors(void)
{
        static int first = -1;
        int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        close(fd);
        if (first < 0)
                first = fd;
        check(fd == first, "a descriptor was left open");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size < 1)
                return 0;
        bool whiteouts = !(data[0] & 0x10);
        switch (data[0] % 4) {
        case 0:
                raw_layers(data + 1, size - 1, whiteouts);
                break;
        case 1:
                described_layers(data + 1, size - 1, whiteouts);
                break;
        default:
                metadata(data + 1, size - 1, data[0] % 4 == 3);
                break;
        }
        check_descriptors();
        return 0;
}
