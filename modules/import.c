#define _GNU_SOURCE
#include "import.h"
#include "blob.h"
#include "cli.h"
#include "common.h"
#include "fail.h"
#include "image.h"
#include "import_manifest.h"
#include "layer.h"
#include "paths.h"

#include <archive.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

static const char usage[] =
    "Usage: qrun import [-q] [--force] [--manifest FILE] [--squashfs] SOURCE DEST\n"
    "Turn an image into a directory (or a SquashFS file) that qrun can run.\n"
    "\n"
    "SOURCE is one of:\n"
    "  oci:DIR[:TAG]               an OCI image layout (skopeo, buildah, umoci)\n"
    "  oci-archive:FILE[:TAG]      the same as a tar file\n"
    "  docker-archive:FILE[:REF]   what docker save and podman save write\n"
    "  tar:FILE                    a rootfs tarball (plain, gzip, zstd or xz)\n"
    "  docker://REF                a registry, through skopeo\n"
    "\n"
    "  -q, --quiet          no progress on the terminal\n"
    "      --force          replace DEST if it exists\n"
    "      --manifest FILE  also write a manifest that runs the image's command\n"
    "      --squashfs       make DEST a SquashFS file (mksquashfs, squashfs-tools)\n"
    "      --tls-verify=BOOL, --creds=USER[:PASSWORD], --authfile=FILE\n"
    "                       for docker://, passed to skopeo as --src-...\n"
    "  -h, --help           print this help\n";

struct import_options {
        bool quiet, force, squashfs;
        const char *manifest;
        const char *source, *dest;
        struct strv skopeo_args;
};

enum source_kind { SRC_OCI, SRC_OCI_ARCHIVE, SRC_DOCKER_ARCHIVE, SRC_TAR, SRC_DOCKER };

struct source {
        enum source_kind kind;
        char *path; /* a directory or a file; the reference for docker:// */
        char *ref;  /* TAG or REF after the path, or NULL */
};

/* The hidden sibling of DEST where the import happens. */
struct work {
        char *dir;
        char *rootfs;       /* dir/rootfs: the tree being built */
        char *unpacked;     /* dir/source: an unpacked archive, or skopeo's download */
        char *manifest_tmp; /* --manifest's file until it is renamed */
};

static struct work work;
static volatile sig_atomic_t interrupted;

/* ---- the command line ---- */

#define usage_error(...) cli_usage_error("import", __VA_ARGS__)

/* --tls-verify=, --creds=, --authfile=: skopeo's source options. */
static bool registry_option(const char *arg, struct import_options *o)
{
        static const char *const names[] = {"--tls-verify=", "--creds=", "--authfile="};
        for (size_t i = 0; i < ARRAY_SIZE(names); i++)
                if (!strncmp(arg, names[i], strlen(names[i]))) {
                        strv_push(&o->skopeo_args, xasprintf("--src-%s", arg + 2));
                        return true;
                }
        return false;
}

static void parse_args(int argc, char **argv, struct import_options *o)
{
        const char *positional[2];
        int npos = 0;
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];
                if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
                        fputs(usage, stdout);
                        exit(0);
                } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
                        o->quiet = true;
                } else if (!strcmp(a, "--force")) {
                        o->force = true;
                } else if (!strcmp(a, "--squashfs")) {
                        o->squashfs = true;
                } else if (!strcmp(a, "--manifest") || !strncmp(a, "--manifest=", 11)) {
                        if (!a[10] && i + 1 >= argc)
                                usage_error("--manifest needs a file name");
                        o->manifest = a[10] ? a + 11 : argv[++i];
                } else if (registry_option(a, o)) {
                        continue;
                } else if (a[0] == '-' && a[1]) {
                        usage_error("unknown option \"%s\"", a);
                } else if (npos == 2) {
                        usage_error("unexpected argument \"%s\"", a);
                } else {
                        positional[npos++] = a;
                }
        }
        if (npos < 2)
                usage_error("expected SOURCE and DEST");
        o->source = positional[0];
        o->dest = positional[1];
}

/* Where PATH ends in PATH[:REF]. A path may hold ':', and a docker-archive
 * REF holds ':' and '/' (qrun/app:1): PATH is the longest prefix before a ':'
 * that exists (the whole text if it exists); when none does, the text before
 * the last ':' not followed by a '/', for the error to name. */
static const char *ref_colon(const char *rest)
{
        struct stat st;
        if (lstat(rest, &st) == 0)
                return NULL;
        for (const char *c = rest + strlen(rest); c > rest; c--) {
                if (*c != ':')
                        continue;
                char *prefix = xasprintf("%.*s", (int)(c - rest), rest);
                bool exists = lstat(prefix, &st) == 0;
                free(prefix);
                if (exists)
                        return c;
        }
        const char *last = strrchr(rest, ':');
        return last && !strchr(last, '/') ? last : NULL;
}

/* TRANSPORT:PATH[:REF] */
static void split_ref(const char *rest, struct source *s, bool has_ref)
{
        const char *colon = has_ref ? ref_colon(rest) : NULL;
        if (colon && colon[1]) {
                s->path = xasprintf("%.*s", (int)(colon - rest), rest);
                s->ref = xstrdup(colon + 1);
        } else {
                s->path = xstrdup(rest);
        }
}

static void parse_source(const char *text, struct source *s)
{
        static const struct {
                const char *prefix;
                enum source_kind kind;
                bool has_ref;
        } transports[] = {
            {"oci:", SRC_OCI, true},
            {"oci-archive:", SRC_OCI_ARCHIVE, true},
            {"docker-archive:", SRC_DOCKER_ARCHIVE, true},
            {"tar:", SRC_TAR, false},
            {"docker://", SRC_DOCKER, false},
        };
        *s = (struct source){0};
        for (size_t i = 0; i < ARRAY_SIZE(transports); i++) {
                size_t n = strlen(transports[i].prefix);
                if (strncmp(text, transports[i].prefix, n) || !text[n])
                        continue;
                s->kind = transports[i].kind;
                split_ref(text + n, s, transports[i].has_ref);
                return;
        }
        usage_error("\"%s\" is not a SOURCE: write oci:DIR, oci-archive:FILE, "
                    "docker-archive:FILE, tar:FILE or docker://REF",
                    text);
}

/* ---- DEST and the work directory ---- */

static bool is_empty_dir(const char *path)
{
        DIR *d = opendir(path);
        if (!d)
                return false;
        struct dirent *e;
        int entries = 0;
        while ((e = readdir(d)))
                entries += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
        closedir(d);
        return entries == 0;
}

/* DEST must not exist, or be an empty directory (a directory import), unless
 * --force replaces it. */
static void check_dest(const struct import_options *o)
{
        struct stat st;
        if (lstat(o->dest, &st) < 0) {
                if (errno != ENOENT)
                        fail("import", errno, "%s", o->dest);
                return;
        }
        if (o->force)
                return;
        bool empty = S_ISDIR(st.st_mode) && is_empty_dir(o->dest);
        if (!o->squashfs && empty) /* --squashfs makes DEST a file: no directory will do */
                return;
        fail("import", 0, "%s exists%s (--force replaces it)", o->dest,
             S_ISDIR(st.st_mode) && !empty ? " and is not empty" : "");
}

/* Removes the work directory unless it was renamed into place: at exit, after
 * a failure, an interruption or success. */
static void remove_work(void)
{
        if (work.manifest_tmp)
                unlink(work.manifest_tmp);
        free(work.manifest_tmp);
        work.manifest_tmp = NULL;
        if (!work.dir)
                return;
        const char *slash = strrchr(work.dir, '/');
        char *parent =
            slash ? xasprintf("%.*s", (int)(slash - work.dir) + (slash == work.dir), work.dir)
                  : xstrdup(".");
        int fd = open(parent, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || remove_tree(fd, slash ? slash + 1 : work.dir) < 0)
                warn("import", errno, "unable to remove the work directory %s", work.dir);
        if (fd >= 0)
                close(fd);
        free(parent);
        free(work.dir);
        free(work.rootfs);
        free(work.unpacked);
        work = (struct work){0};
}

static void on_signal(int sig)
{
        interrupted = sig;
}

/* Ctrl-C, SIGTERM and SIGHUP end the import cleanly: the layer being read
 * stops, and exit removes the work directory. */
static void catch_signals(void)
{
        struct sigaction sa = {.sa_handler = on_signal};
        sigemptyset(&sa.sa_mask);
        for (int sig = SIGHUP; sig <= SIGTERM; sig++)
                if (sig == SIGHUP || sig == SIGINT || sig == SIGTERM)
                        sigaction(sig, &sa, NULL);
}

static void check_interrupted(void)
{
        if (interrupted)
                fail("import", 0, "interrupted by signal %d: nothing was kept", (int)interrupted);
}

/* <parent of DEST>/.<name>.qrun-import.XXXXXX, on the same file system as
 * DEST so that the last step is a rename. */
static void create_work(const struct import_options *o)
{
        char *dest = xstrdup(o->dest);
        size_t len = strlen(dest);
        while (len > 1 && dest[len - 1] == '/')
                dest[--len] = '\0';
        const char *slash = strrchr(dest, '/');
        const char *name = slash ? slash + 1 : dest;
        work.dir = xasprintf("%.*s.%s.qrun-import.XXXXXX", slash ? (int)(slash - dest + 1) : 0,
                             dest, name);
        free(dest);
        if (!mkdtemp(work.dir)) {
                int err = errno;
                free(work.dir);
                work.dir = NULL;
                fail("import", err, "unable to create a work directory beside %s", o->dest);
        }
        atexit(remove_work);
        work.rootfs = xasprintf("%s/rootfs", work.dir);
        work.unpacked = xasprintf("%s/source", work.dir);
        if (mkdir(work.rootfs, 0755) < 0 || mkdir(work.unpacked, 0700) < 0)
                fail("import", errno, "unable to create %s/rootfs", work.dir);
}

/* ---- progress on a terminal ---- */

struct progress {
        bool on;
        unsigned layer, layers;
        int64_t total; /* the layer's stored size, -1 if unknown */
        uint64_t started_us, shown_us;
};

static void show_progress(struct progress *p, uint64_t bytes, bool last)
{
        uint64_t now = now_us();
        if (!p->on || (!last && now - p->shown_us < 100000))
                return;
        p->shown_us = now;
        double secs = (double)(now - p->started_us) / 1e6;
        double mb = (double)bytes / 1e6;
        char line[160];
        int n = snprintf(line, sizeof(line), "\rqrun: import: layer %u of %u: %.1f MB", p->layer,
                         p->layers, mb);
        if (p->total > 0)
                n += snprintf(line + n, sizeof(line) - (size_t)n, " of %.1f MB",
                              (double)p->total / 1e6);
        if (secs > 0.05)
                n += snprintf(line + n, sizeof(line) - (size_t)n, ", %.0f MB/s", mb / secs);
        n += snprintf(line + n, sizeof(line) - (size_t)n, "%s", last ? "\n" : "\033[K");
        write_all(STDERR_FILENO, line, (size_t)n);
}

/* ---- one layer ---- */

struct layer_reader {
        struct blob blob;
        const struct image_layer *layer;
        struct progress *progress;
        int blob_errno; /* blob_read failed (its failure says why): its errno, or -1 */
};

/* True once more was read than the image says the layer holds. */
static bool too_long(const struct layer_reader *r)
{
        return r->layer->size >= 0 && r->blob.stored_bytes > (uint64_t)r->layer->size;
}

/* Ends the import if reading the layer stopped for something other than the
 * tar itself: a signal, a blob longer than the image says, the blob's own
 * failure (truncated, corrupt). */
static void check_reader(const struct layer_reader *r)
{
        check_interrupted();
        if (too_long(r))
                fail("import", 0, "%s: size mismatch: the image says %lld bytes, the file has more",
                     r->layer->path, (long long)r->layer->size);
        if (r->blob_errno >= 0)
                fail("import", r->blob_errno, "%s", r->blob.failure.what);
}

static la_ssize_t read_layer(struct archive *a, void *ctx, const void **data)
{
        struct layer_reader *r = ctx;
        if (interrupted || too_long(r)) {
                archive_set_error(a, EINTR, "stopped"); /* check_reader says why */
                return -1;
        }
        ssize_t n = blob_read(&r->blob, data);
        if (n < 0) {
                r->blob_errno = errno;
                archive_set_error(a, errno ? errno : EIO, "%s", r->blob.failure.what);
        }
        show_progress(r->progress, r->blob.stored_bytes, false);
        return n;
}

/* Reads what the tar reader left (its end padding, or more), so that the
 * digest covers the whole blob; a signal or the size the image says stops it. */
static void drain_layer(struct layer_reader *r)
{
        const void *data;
        ssize_t n;
        do {
                check_reader(r);
                n = blob_read(&r->blob, &data);
        } while (n > 0);
        if (n < 0)
                fail("import", errno, "%s", r->blob.failure.what);
}

/* The digests and size the image names, against what was read. */
static void verify_layer(const struct image_layer *l, struct blob *b)
{
        char hex[65];
        if (l->size >= 0 && (uint64_t)l->size != b->stored_bytes)
                fail("import", 0, "%s: size mismatch: the image says %lld bytes, the file has %llu",
                     l->path, (long long)l->size, (unsigned long long)b->stored_bytes);
        sha256_end_hex(&b->stored_hash, hex);
        if (*l->digest && strcmp(l->digest + 7, hex))
                fail("import", 0, "%s: digest mismatch: expected %s, got sha256:%s", l->path,
                     l->digest, hex);
        sha256_end_hex(&b->data_hash, hex);
        if (*l->diff_id && strcmp(l->diff_id + 7, hex))
                fail("import", 0,
                     "%s: uncompressed digest mismatch: expected %s (diff_id), got "
                     "sha256:%s",
                     l->path, l->diff_id, hex);
}

static struct archive *open_tar_reader(struct layer_reader *r, const char *path)
{
        struct archive *a = archive_read_new();
        if (!a)
                fail("import", ENOMEM, "archive_read_new");
        archive_read_support_format_tar(a);
        archive_read_support_format_empty(a);
        if (archive_read_open(a, r, NULL, read_layer, NULL) != ARCHIVE_OK) {
                check_reader(r);
                fail("import", 0, "%s: %s", path, archive_error_string(a));
        }
        return a;
}

/* The layer's file, which must be a regular file: a device (an archive's
 * symlink to /dev/zero) would never end, and a FIFO would block. */
static int open_layer(const char *path)
{
        int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0)
                fail("import", errno, "%s", path);
        if (!S_ISREG(st.st_mode))
                fail("import", 0, "%s: not a regular file", path);
        return fd;
}

/* Applies the tar in l->path (compressed or not) to the tree at rootfd. */
static void apply_layer(const struct image_layer *l, struct extract *x, struct progress *p)
{
        struct layer_reader r = {.layer = l, .progress = p, .blob_errno = -1};
        if (blob_open(&r.blob, open_layer(l->path), l->path, *l->diff_id != '\0') < 0)
                fail("import", errno, "%s", r.blob.failure.what);
        struct archive *a = open_tar_reader(&r, l->path);
        if (layer_extract(a, x) < 0) {
                int err = errno;
                check_reader(&r);
                fail("import", err, "%s", x->failure.what);
        }
        archive_read_free(a);
        drain_layer(&r);
        show_progress(p, r.blob.stored_bytes, true);
        verify_layer(l, &r.blob);
        blob_close(&r.blob);
}

/* ---- sources ---- */

static int open_dir_fd(const char *path)
{
        int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                fail("import", errno, "%s", path);
        return fd;
}

/* Unpacks an archive of an image (oci-archive, docker-archive) into
 * work.unpacked, with the same care as a layer (no whiteouts). */
static void unpack_archive(const char *path, struct progress *p)
{
        struct extract x = {.rootfd = open_dir_fd(work.unpacked), .what = path};
        struct image_layer whole = {.path = (char *)path, .size = -1};
        *p = (struct progress){
            .on = p->on, .layer = 1, .layers = 1, .total = -1, .started_us = now_us()};
        apply_layer(&whole, &x, p);
        close(x.rootfd);
        extract_free(&x);
}

/* Runs a helper program (skopeo, mksquashfs) and waits for it; returns its
 * exit status. A missing program (named with missing, which says where to get
 * it), a signal or an interruption of the import ends the import here. */
static int run_tool(char *const argv[], const char *missing)
{
        pid_t pid = fork();
        if (pid < 0)
                fail("import", errno, "unable to fork");
        if (pid == 0) { /* _exit, never exit: the parent's cleanup is not ours to run */
                execvp(argv[0], argv);
                if (errno == ENOENT)
                        warn("import", 0, "%s", missing);
                else
                        warn("import", errno, "%s", argv[0]);
                _exit(127);
        }
        int status;
        while (waitpid(pid, &status, 0) < 0) {
                if (errno != EINTR)
                        fail("import", errno, "waitpid");
                if (interrupted) /* SIGTERM to qrun alone: the tool must stop too */
                        kill(pid, SIGTERM);
        }
        check_interrupted();
        if (WIFSIGNALED(status))
                fail("import", 0, "%s was killed by signal %d", argv[0], WTERMSIG(status));
        if (WEXITSTATUS(status) == 127)
                exit(EXIT_QRUN_FAILED); /* the child said why */
        return WEXITSTATUS(status);
}

/* skopeo copy docker://REF oci:work.unpacked:qrun */
static void download(const char *ref, const struct import_options *o)
{
        struct strv argv = {0};
        strv_push(&argv, xstrdup("skopeo"));
        strv_push(&argv, xstrdup("copy"));
        if (o->quiet || !isatty(STDERR_FILENO))
                strv_push(&argv, xstrdup("--quiet"));
        for (size_t i = 0; i < o->skopeo_args.len; i++)
                strv_push(&argv, xstrdup(o->skopeo_args.items[i]));
        strv_push(&argv, xasprintf("docker://%s", ref));
        strv_push(&argv, xasprintf("oci:%s:qrun", work.unpacked));
        int status = run_tool(argv.items, "docker:// needs skopeo to download images (Debian "
                                          "package skopeo: apt-get install skopeo)");
        if (status)
                fail("import", 0, "skopeo could not copy docker://%s (exit status %d)", ref,
                     status);
        strv_free(&argv);
}

/* Reports a failure to read the image. One about an archive's unpacked copy
 * names the archive: the work directory is gone when the user reads it. */
static void fail_image(const struct failure *f, const struct source *s)
{
        int err = errno;
        size_t n = strlen(work.unpacked);
        if ((s->kind == SRC_OCI_ARCHIVE || s->kind == SRC_DOCKER_ARCHIVE) &&
            !strncmp(f->what, work.unpacked, n))
                fail("import", err, "%s%s", s->path, f->what + n);
        fail("import", err, "%s", f->what);
}

/* The image SOURCE names, as layers to apply. */
static void read_image(const struct source *s, const struct import_options *o, struct image *img,
                       struct progress *p)
{
        struct failure f;
        int rc = 0;
        switch (s->kind) {
        case SRC_OCI:
                rc = image_read_oci(s->path, s->ref, img, &f);
                break;
        case SRC_OCI_ARCHIVE:
                unpack_archive(s->path, p);
                rc = image_read_oci(work.unpacked, s->ref, img, &f);
                break;
        case SRC_DOCKER_ARCHIVE:
                unpack_archive(s->path, p);
                rc = image_read_docker(work.unpacked, s->ref, img, &f);
                break;
        case SRC_DOCKER:
                download(s->path, o);
                rc = image_read_oci(work.unpacked, "qrun", img, &f);
                break;
        case SRC_TAR: /* one layer, no digest to check, no whiteouts */
                img->layers = xmalloc(sizeof(*img->layers));
                img->layers[0] = (struct image_layer){.path = xstrdup(s->path), .size = -1};
                img->nlayers = 1;
                break;
        }
        if (rc < 0)
                fail_image(&f, s);
}

/* ---- applying and finishing ---- */

static void warn_skipped(const struct layer_skipped *s)
{
        if (!s->count)
                return;
        warn("import", 0,
             "skipped %llu device nodes, FIFOs or sockets (%s%s%s%s%s%s): an "
             "unprivileged user cannot create them; mount mode's dev = minimal "
             "provides /dev",
             (unsigned long long)s->count, s->first[0], s->count > 1 ? ", " : "", s->first[1],
             s->count > 2 ? ", " : "", s->first[2], s->count > 3 ? ", ..." : "");
}

static void apply_layers(const struct image *img, bool whiteouts, bool quiet)
{
        struct extract x = {.rootfd = open_dir_fd(work.rootfs), .whiteouts = whiteouts};
        struct progress p = {.on = !quiet && isatty(STDERR_FILENO),
                             .layers = (unsigned)img->nlayers};
        for (size_t i = 0; i < img->nlayers; i++) {
                char what[64];
                snprintf(what, sizeof(what), "layer %zu of %zu", i + 1, img->nlayers);
                x.what = img->nlayers > 1 ? what : img->layers[i].path;
                p.layer = (unsigned)i + 1;
                p.total = img->layers[i].size;
                p.started_us = now_us();
                apply_layer(&img->layers[i], &x, &p);
                check_interrupted();
        }
        warn_skipped(&x.skipped);
        close(x.rootfd);
        extract_free(&x);
}

/* mksquashfs of the tree into work.dir/image.sqfs; returns its path. Its
 * progress bar (on stdout, which -quiet keeps) only where ours would show.
 * zstd at level 6: every launch decompresses what it reads through FUSE, and
 * zstd does that twice as fast as mksquashfs's default gzip (python3 -c pass
 * in a Debian image: +62 ms over a directory instead of +124 ms), while level
 * 6 builds 6 times faster than zstd's default 15 for 7% more bytes (see
 * bench/results/60-images.md). */
static char *make_squashfs(bool progress)
{
        char *out = xasprintf("%s/image.sqfs", work.dir);
        char *argv[] = {
            "mksquashfs", work.rootfs,           out,         "-noappend",
            "-quiet",     "-no-xattrs",          "-all-root", "-comp",
            "zstd",       "-Xcompression-level", "6",         progress ? NULL : "-no-progress",
            NULL};
        int status = run_tool(argv, "--squashfs needs mksquashfs (Debian package squashfs-tools: "
                                    "apt-get install squashfs-tools)");
        if (status)
                fail("import", 0, "mksquashfs failed (exit status %d)", status);
        return out;
}

/* Moves what was built to DEST: a rename, or with --force an exchange with
 * the old DEST, which then goes with the work directory. */
static void move_into_place(const char *built, const struct import_options *o)
{
        if (rename(built, o->dest) == 0)
                return; /* the rest of the work directory still goes */
        if (!o->force ||
            (errno != EEXIST && errno != ENOTEMPTY && errno != EISDIR && errno != ENOTDIR))
                fail("import", errno, "unable to rename %s to %s", built, o->dest);
        if (syscall(SYS_renameat2, AT_FDCWD, built, AT_FDCWD, o->dest, RENAME_EXCHANGE) < 0)
                fail("import", errno, "unable to replace %s", o->dest);
}

/* WorkingDir must exist for the command to start there; Docker creates it. */
static void ensure_workdir(const struct image_config *c)
{
        if (!c->workdir || !*c->workdir)
                return;
        struct extract x = {.rootfd = open_dir_fd(work.rootfs), .what = "WorkingDir"};
        if (layer_ensure_dir(&x, c->workdir) < 0)
                fail("import", errno, "%s", x.failure.what);
        close(x.rootfd);
}

/* How the manifest names DEST: by its name when both sit in one directory,
 * else by its absolute path. */
static char *rootfs_for_manifest(const char *manifest, const char *dest)
{
        char *mdir = path_dir_absolute(manifest), *ddir = path_dir_absolute(dest);
        const char *base = strrchr(dest, '/') ? strrchr(dest, '/') + 1 : dest;
        char *name = mdir && ddir && !strcmp(mdir, ddir) && *base ? xstrdup(base)
                                                                  : path_absolute(NULL, dest);
        free(mdir);
        free(ddir);
        if (!name)
                fail("import", errno, "unable to get the current directory");
        return name;
}

/* Writes the manifest beside its final name; renamed once DEST is in place. */
static char *write_manifest(const struct import_options *o, const struct image_config *c)
{
        char *tmp = xasprintf("%s.qrun-import.tmp", o->manifest);
        char *rootfs = rootfs_for_manifest(o->manifest, o->dest);
        FILE *out = fopen(tmp, "we");
        int err = errno;
        if (out) {
                import_manifest_print(out, rootfs, c, o->source);
                if (fclose(out) != 0) {
                        err = errno;
                        unlink(tmp);
                        out = NULL;
                }
        }
        free(rootfs);
        if (!out) {
                free(tmp);
                fail("import", err, "%s", o->manifest);
        }
        return tmp;
}

static void warn_architecture(const struct image_config *c)
{
        static const char *const machine =
#if defined(__x86_64__)
            "amd64";
#elif defined(__aarch64__)
            "arm64";
#else
            NULL;
#endif
        if (c->arch && machine && strcmp(c->arch, machine))
                warn("import", 0, "warning: the image is for %s, this machine is %s", c->arch,
                     machine);
}

int import_main(int argc, char **argv)
{
        struct import_options o = {0};
        struct source src;
        struct image img = {0};
        blob_prepare_xz(); /* before libarchive or a blob can decode xz */
        parse_args(argc, argv, &o);
        parse_source(o.source, &src);
        check_dest(&o);
        mode_t user_umask = umask(0); /* the tree's modes are the image's (made safe by layer.c) */
        /* Pax headers carry names in UTF-8; in musl's C locale libarchive
         * would refuse to convert the non-ASCII ones. */
        setlocale(LC_CTYPE, "C.UTF-8");
        catch_signals();
        create_work(&o);
        struct progress p = {.on = !o.quiet && isatty(STDERR_FILENO)};
        read_image(&src, &o, &img, &p);
        warn_architecture(&img.config);
        apply_layers(&img, src.kind != SRC_TAR, o.quiet);
        ensure_workdir(&img.config);
        umask(user_umask); /* the files qrun writes itself (the manifest) are the user's */
        char *built = o.squashfs ? make_squashfs(p.on) : work.rootfs;
        work.manifest_tmp = o.manifest ? write_manifest(&o, &img.config) : NULL;
        check_interrupted();
        move_into_place(built, &o);
        if (work.manifest_tmp && rename(work.manifest_tmp, o.manifest) < 0)
                fail("import", errno, "unable to rename %s to %s", work.manifest_tmp, o.manifest);
        free(work.manifest_tmp);
        work.manifest_tmp = NULL;
        if (built != work.rootfs)
                free(built);
        remove_work();
        image_free(&img);
        free(src.path);
        free(src.ref);
        strv_free(&o.skopeo_args);
        return 0;
}
