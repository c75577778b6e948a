#define _GNU_SOURCE
#include "rootfs.h"
#include "common.h"
#include "config.h"
#include "manifest.h"
#include "paths.h"
#include "squashfs.h"
#include "values.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- [rootfs] keys ---- */

/* overlay = tmpfs[:size=N] | DIR */
static bool parse_overlay(struct config *cfg, const struct key_def *key, const char *value,
                          struct diag *d)
{
        (void)key;
        struct overlay_config *o = &cfg->rootfs.overlay;
        uint64_t size = 0;
        if (!*value)
                return diag_error(d, "expected tmpfs, tmpfs:size=N or a directory");
        if (!strcmp(value, "tmpfs") || !strncmp(value, "tmpfs:", 6)) {
                if (value[5] && strncmp(value + 6, "size=", 5))
                        return diag_error(d, "expected tmpfs or tmpfs:size=N, got \"%s\"", value);
                if (value[5] && !parse_size(d, value + 11, &size))
                        return false;
                if (value[5] && !size)
                        return diag_error(d, "size must be larger than 0");
                free(o->dir);
                *o = (struct overlay_config){OVERLAY_TMPFS, size, NULL, d->loc};
                return true;
        }
        char *dir = path_absolute(diag_is_override(d) ? NULL : cfg->manifest_dir, value);
        if (!dir)
                return diag_error(d, "unable to get the current directory: %s", strerror(errno));
        free(o->dir);
        *o = (struct overlay_config){OVERLAY_DIR, 0, dir, d->loc};
        return true;
}

static void print_overlay(const struct config *cfg, const struct key_def *key, FILE *out)
{
        const struct overlay_config *o = &cfg->rootfs.overlay;
        if (o->kind == OVERLAY_NONE)
                fprintf(out, "; %s: none (the rootfs itself is what the command writes to)\n",
                        key->name);
        else if (o->kind == OVERLAY_DIR)
                print_value(out, key->name, o->dir);
        else if (o->size)
                fprintf(out, "%s = tmpfs:size=%llu\n", key->name, (unsigned long long)o->size);
        else
                fprintf(out, "%s = tmpfs\n", key->name);
}

static const struct key_def rootfs_keys[] = {
    {"path", KEY_HOST_PATH, .offset = CFG(rootfs.path), .loc = CFG(rootfs.path_loc),
     .hint = "use / to run on the host root"},
    {"overlay", KEY_CUSTOM, .loc = CFG(rootfs.overlay.loc), .parse = parse_overlay,
     .print = print_overlay},
    {"linger", KEY_DURATION, .offset = CFG(rootfs.linger_ms), .loc = CFG(rootfs.linger_loc),
     .unset = "30s (a SquashFS image's server outlives its last launch by this)"},
};

static bool validate_rootfs(const struct config *cfg, struct diag *d)
{
        const struct rootfs_config *r = &cfg->rootfs;
        if (!r->path)
                return diag_error_at(d, (struct loc){cfg->manifest_path, 0, "rootfs", "path"},
                                     "missing: set it to the directory to run in (or / for "
                                     "the host root)");
        if (r->overlay.kind != OVERLAY_NONE && !strcmp(r->path, "/"))
                return diag_error_at(d, r->overlay.loc,
                                     "an overlay needs an image or a directory as the rootfs, "
                                     "not the host root");
        return true;
}

static const char *rootfs_note(const struct config *cfg)
{
        static char note[160];
        if (!cfg->rootfs.overlay_implied_by)
                return NULL;
        snprintf(note, sizeof(note), "overlay = tmpfs, implied by %s",
                 cfg->rootfs.overlay_implied_by);
        return note;
}

const struct section_def rootfs_section = {
    "rootfs", rootfs_keys, ARRAY_SIZE(rootfs_keys), validate_rootfs, 0, 0, rootfs_note};

bool rootfs_is_host(const struct rootfs_config *r)
{
        return !strcmp(r->path, "/");
}

int rootfs_dir_fd(const struct rootfs_config *r)
{
        return r->kind == ROOTFS_SQUASHFS ? -1 : r->fd;
}

bool rootfs_needs_mounts(const struct rootfs_config *r)
{
        return r->kind == ROOTFS_SQUASHFS || r->overlay.kind != OVERLAY_NONE;
}

/* ---- resolving ---- */

static bool is_host_root(const struct stat *dir)
{
        struct stat root;
        return stat("/", &root) == 0 && dir->st_dev == root.st_dev && dir->st_ino == root.st_ino;
}

/* A regular file is a SquashFS image when it starts with the magic "hsqs";
 * r->fd then becomes the image opened for reading (the FUSE server's). */
static bool open_image(struct rootfs_config *r, struct diag *d)
{
        char self[32], magic[4];
        snprintf(self, sizeof(self), "/proc/self/fd/%d", r->fd); /* the very file checked */
        int fd = open(self, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return diag_error_at(d, r->path_loc, "%s: %s", r->path, strerror(errno));
        ssize_t n = pread(fd, magic, sizeof(magic), 0);
        close(r->fd);
        r->fd = fd;
        if (n != sizeof(magic) || memcmp(magic, "hsqs", 4))
                return diag_error_at(d, r->path_loc,
                                     "%s: not a directory, and not a SquashFS image (no hsqs "
                                     "magic)",
                                     r->path);
        r->kind = ROOTFS_SQUASHFS;
        return true;
}

/* Opens and identifies the rootfs; reports and returns false if it cannot be
 * used (r->fd is then left open: rootfs_open closes it). */
static bool open_rootfs(struct rootfs_config *r, struct diag *d)
{
        r->fd = open(r->path, O_PATH | O_CLOEXEC);
        struct stat st;
        if (r->fd < 0 || fstat(r->fd, &st) < 0)
                return diag_error_at(d, r->path_loc, "%s: %s", r->path, strerror(errno));
        r->dev = st.st_dev;
        r->ino = st.st_ino;
        r->kind = rootfs_is_host(r) ? ROOTFS_HOST : ROOTFS_DIR;
        if (S_ISREG(st.st_mode))
                return open_image(r, d);
        if (!S_ISDIR(st.st_mode))
                return diag_error_at(d, r->path_loc, "%s: not a directory or a SquashFS image",
                                     r->path);
        if (faccessat(r->fd, ".", X_OK, 0) < 0)
                return diag_error_at(d, r->path_loc, "%s: %s", r->path, strerror(errno));
        /* Host mode is chosen by writing "/", never reached through a symlink
         * or "..": a path that resolves there (or had a component swapped for a
         * link to /) would otherwise become a chroot to the host's root without
         * any of host mode's checks. */
        if (r->kind != ROOTFS_HOST && is_host_root(&st))
                return diag_error_at(d, r->path_loc,
                                     "%s: resolves to the host's root directory (write "
                                     "path = / to run on the host)",
                                     r->path);
        return true;
}

bool rootfs_open(struct rootfs_config *r, struct diag *d)
{
        if (!r->path)
                return false; /* validation reported it */
        if (open_rootfs(r, d))
                return true;
        if (r->fd >= 0) /* nothing may look inside a rootfs that was refused */
                close(r->fd);
        r->fd = -1;
        return false;
}

/* ---- checks ---- */

bool rootfs_check(const struct config *cfg, struct diag *d)
{
        const struct rootfs_config *r = &cfg->rootfs;
        if (r->kind != ROOTFS_SQUASHFS && r->linger_loc.file)
                return diag_error_at(d, r->linger_loc,
                                     "only a SquashFS image has a server to keep: %s is a "
                                     "directory",
                                     r->path);
        if (r->kind != ROOTFS_SQUASHFS || r->fd < 0)
                return true;
        /* Join mode has no pid namespace either, by design: its ranks may
         * signal every process of the user (SECURITY.md), the server too. */
        if (!cfg->ns.pid && !cfg->ns.join_key)
                return diag_error_at(d, r->path_loc,
                                     "a SquashFS rootfs needs a pid namespace ([namespaces] pid = "
                                     "true): its FUSE server must stay out of the command's reach");
        return squashfs_check_fuse(r->path_loc, d);
}

/* ---- entering ---- */

void rootfs_enter(const struct rootfs_config *r)
{
        uint64_t started = step_start();
        if (!rootfs_is_host(r)) {
                /* chdir first so that after chroot(".") the cwd is inside the new
                 * root: no ".." walk can reach the host. */
                if (fchdir(r->fd) < 0)
                        fail("rootfs", errno, "fchdir into %s", r->path);
                if (chroot(".") < 0)
                        fail("rootfs", errno, "chroot into %s", r->path);
        }
        close(r->fd); /* a directory descriptor from outside would lead back out */
        verbose_step("rootfs", started, "%s %s", rootfs_is_host(r) ? "host root" : "chroot",
                     r->path);
}
