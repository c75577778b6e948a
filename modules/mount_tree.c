/* Building the mount tree in the container's first process (mount mode).
 * The helpers return -1 with errno and say in a struct failure what they were
 * doing; mount_in_order() reports at the manifest line of the mount. */
#define _GNU_SOURCE
#include "common.h"
#include "config.h"
#include "identity.h"
#include "mounts.h"
#include "paths.h"
#include "squashfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif

/* Creates name in dirfd: a directory, or an empty file to bind a file onto. */
static int create_entry(int dirfd, const char *name, bool dir)
{
        if (dir)
                return mkdirat(dirfd, name, 0755);
        int fd = openat(dirfd, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
        return fd < 0 ? -1 : close(fd);
}

/* An O_PATH descriptor of path inside the tree, created (as a directory, or
 * as an empty file to bind a file onto) if missing, parents included. */
static int target(int rootfd, const char *path, bool dir, struct failure *e)
{
        int fd = path_open_in_root(rootfd, path, 0);
        if (fd >= 0)
                return fd;
        if (errno != ENOENT)
                return failure(e, "%s", path);
        char parent[PATH_MAX];
        snprintf(parent, sizeof(parent), "%s", path);
        char *slash = strrchr(parent, '/');
        const char *name = path + (slash - parent) + 1;
        if (slash == parent)
                parent[1] = '\0';
        else
                *slash = '\0';
        int pfd = target(rootfd, parent, true, e);
        if (pfd < 0)
                return -1;
        int rc = create_entry(pfd, name, dir);
        close_keep_errno(pfd);
        if (rc < 0 && errno != EEXIST)
                return failure(e, "unable to create %s in the rootfs", path);
        fd = path_open_in_root(rootfd, path, 0);
        return fd >= 0 ? fd : failure(e, "%s", path);
}

/* Attaches the detached mount mnt at dirfd/name (name "" for dirfd itself).
 * Closes mnt, and dirfd when close_dir. */
static int attach(int mnt, int dirfd, const char *name, bool close_dir, struct failure *e,
                  const char *path)
{
        unsigned flags = MOVE_MOUNT_F_EMPTY_PATH | (*name ? 0 : MOVE_MOUNT_T_EMPTY_PATH);
        int rc = (int)syscall(SYS_move_mount, mnt, "", dirfd, name, flags);
        if (rc < 0)
                failure(e, "unable to mount on %s", path);
        close_keep_errno(mnt);
        if (close_dir)
                close_keep_errno(dirfd);
        return rc;
}

/* Attaches mnt on path inside the tree, creating the target if missing. */
static int attach_at(int rootfd, int mnt, const char *path, bool dir, struct failure *e)
{
        int fd = target(rootfd, path, dir, e);
        if (fd < 0) {
                close_keep_errno(mnt);
                return -1;
        }
        return attach(mnt, fd, "", true, e, path);
}

/* A detached copy of the host's tree at src, with attributes set recursively
 * before anyone can see it. */
static int clone_tree(const char *src, uint64_t attrs, struct failure *e)
{
        int mnt = (int)syscall(SYS_open_tree, AT_FDCWD, src,
                               OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
        if (mnt < 0)
                return failure(e, "unable to bind %s", src);
        struct mount_attr attr = {.attr_set = attrs};
        if (attrs && syscall(SYS_mount_setattr, mnt, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr,
                             sizeof(attr)) < 0) {
                failure(e, "unable to make %s nosuid/nodev/read-only", src);
                close_keep_errno(mnt);
                return -1;
        }
        return mnt;
}

/* Applies "key=value" options (and "flag" ones) to a file system context. */
static int configure_fs(int fs, const char *const *options, struct failure *e)
{
        for (; options && *options; options++) {
                char key[32];
                const char *eq = strchr(*options, '=');
                int n = eq ? (int)(eq - *options) : (int)strlen(*options);
                snprintf(key, sizeof(key), "%.*s", n, *options);
                unsigned cmd = eq ? FSCONFIG_SET_STRING : FSCONFIG_SET_FLAG;
                if (syscall(SYS_fsconfig, fs, cmd, key, eq ? eq + 1 : NULL, 0) < 0)
                        return failure(e, "%s: bad option", *options);
        }
        return 0;
}

/* A new detached file system: type with "key=value" options. */
static int new_fs(const char *type, const char *const *options, uint64_t attrs, struct failure *e)
{
        int fs = (int)syscall(SYS_fsopen, type, FSOPEN_CLOEXEC);
        if (fs < 0)
                return failure(e, "unable to create a %s file system", type);
        int mnt = -1;
        if (configure_fs(fs, options, e) < 0)
                goto out;
        if (syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
                failure(e, "unable to create a %s file system", type);
                goto out;
        }
        mnt = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, attrs);
        if (mnt < 0)
                failure(e, "unable to mount a %s file system", type);
out:
        close_keep_errno(fs);
        return mnt;
}

/* A new procfs; or, without a pid namespace of our own (a new procfs needs
 * one), the host's /proc bound read-only with what is mounted below it. */
static int mount_proc(int rootfd, bool host, struct failure *e)
{
        const uint64_t attrs = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
        int mnt = host ? clone_tree("/proc", attrs | MOUNT_ATTR_RDONLY, e)
                       : new_fs("proc", NULL, attrs, e);
        return mnt < 0 ? -1 : attach_at(rootfd, mnt, "/proc", true, e);
}

/* The host's harmless devices, each bound onto an empty file in dev. */
static int add_devices(int dev, struct failure *e)
{
        static const char *const devices[] = {"null", "zero", "full", "random", "urandom", "tty"};
        for (size_t i = 0; i < ARRAY_SIZE(devices); i++) {
                char host[32];
                snprintf(host, sizeof(host), "/dev/%s", devices[i]);
                if (create_entry(dev, devices[i], false) < 0)
                        return failure(e, "unable to create %s", host);
                int mnt = clone_tree(host, 0, e);
                if (mnt < 0 || attach(mnt, dev, devices[i], false, e, host) < 0)
                        return -1;
        }
        return 0;
}

/* /dev/pts (a private devpts with its own ptmx), /dev/shm, and the usual links. */
static int add_pts_shm_links(int dev, struct failure *e)
{
        static const char *const links[][2] = {{"fd", "/proc/self/fd"},
                                               {"stdin", "/proc/self/fd/0"},
                                               {"stdout", "/proc/self/fd/1"},
                                               {"stderr", "/proc/self/fd/2"},
                                               {"ptmx", "pts/ptmx"}};
        /* mkdirat applies the umask: set the sticky, world-writable mode after. */
        if (mkdirat(dev, "pts", 0755) < 0 || mkdirat(dev, "shm", 0700) < 0 ||
            fchmodat(dev, "shm", 01777, 0) < 0)
                return failure(e, "unable to create /dev/pts and /dev/shm");
        const char *pts_opts[] = {"ptmxmode=0666", "mode=0620", NULL};
        int pts = new_fs("devpts", pts_opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, e);
        if (pts < 0 || attach(pts, dev, "pts", false, e, "/dev/pts") < 0)
                return -1;
        for (size_t i = 0; i < ARRAY_SIZE(links); i++)
                if (symlinkat(links[i][1], dev, links[i][0]) < 0)
                        return failure(e, "unable to create /dev/%s", links[i][0]);
        return 0;
}

/* /dev: a tmpfs with the host's harmless devices bound in, a private devpts,
 * and the usual links. /dev/shm is a directory of that same tmpfs, sized by
 * shm_size: one file system less to create and destroy at every launch (the
 * rest of /dev holds only empty mount points, directories and symlinks, which
 * take no space in a tmpfs). */
static int mount_dev(int rootfd, const struct mounts_config *m, struct failure *e)
{
        char size[48];
        snprintf(size, sizeof(size), "size=%llu", (unsigned long long)m->shm_size);
        const char *opts[] = {"mode=0755", m->shm_size ? size : NULL, NULL};
        int dev =
            new_fs("tmpfs", opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, e);
        if (dev < 0)
                return -1;
        if (add_devices(dev, e) < 0 || add_pts_shm_links(dev, e) < 0) {
                close_keep_errno(dev);
                return -1;
        }
        return attach_at(rootfd, dev, "/dev", true, e);
}

static int mount_tmpfs(int rootfd, const struct tmpfs_mount *t, struct failure *e)
{
        if (t->if_present) { /* read_only_tmpfs: nothing to cover where the image has nothing */
                int fd = path_open_in_root(rootfd, t->dst, O_DIRECTORY);
                if (fd < 0 && (errno == ENOENT || errno == ENOTDIR))
                        return 0;
                if (fd < 0)
                        return failure(e, "%s", t->dst);
                close(fd);
        }
        char size[48];
        snprintf(size, sizeof(size), "size=%llu", (unsigned long long)t->size);
        const char *opts[] = {"mode=1777", t->size ? size : NULL, NULL};
        int mnt = new_fs("tmpfs", opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, e);
        return mnt < 0 ? -1 : attach_at(rootfd, mnt, t->dst, true, e);
}

static int mount_bind(int rootfd, const struct bind_mount *b, struct failure *e)
{
        struct stat st;
        if (stat(b->src, &st) < 0)
                return failure(e, "%s", b->src);
        uint64_t attrs = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (b->ro ? MOUNT_ATTR_RDONLY : 0);
        int mnt = clone_tree(b->src, attrs, e);
        return mnt < 0 ? -1 : attach_at(rootfd, mnt, b->dst, S_ISDIR(st.st_mode), e);
}

static int mount_one(int rootfd, const struct mounts_config *m, const struct mount_step *step,
                     struct failure *e)
{
        switch (step->kind) {
        case STEP_PROC:
                return mount_proc(rootfd, m->proc_host, e);
        case STEP_DEV:
                return mount_dev(rootfd, m, e);
        case STEP_TMPFS:
                return mount_tmpfs(rootfd, step->what, e);
        case STEP_BIND:
                return mount_bind(rootfd, step->what, e);
        }
        errno = EINVAL;
        return failure(e, "unknown mount step");
}

/* Every mount, shallowest first; a failure is reported at its manifest line. */
static void mount_in_order(int rootfd, const struct mounts_config *m)
{
        size_t n;
        struct mount_step *steps = mounts_plan(m, ORDER_DEPTHS, &n);
        for (size_t i = 0; i < n; i++) {
                struct failure e;
                if (mount_one(rootfd, m, &steps[i], &e) < 0)
                        fail_at(steps[i].loc, errno, "%s", e.what);
        }
        free(steps);
}

/* ---- [gpu] ---- */

/* A device node (or a directory of them) at its own path. Cloned with the
 * host's /dev flags and no others: never nodev, as opening it is the point.
 * One directly in /dev goes through devfd (no lookup of the path in the
 * tree per node); others (a CDI spec's /dev/dri/card0) through attach_at. */
static int bind_device(int rootfd, int devfd, const struct gpu_bind *b, struct failure *e)
{
        const char *name = b->dst + 5;
        bool in_dev = devfd >= 0 && !strncmp(b->dst, "/dev/", 5) && *name && !strchr(name, '/');
        int mnt = clone_tree(b->src, 0, e);
        if (mnt < 0 || !in_dev)
                return mnt < 0 ? -1 : attach_at(rootfd, mnt, b->dst, b->dir, e);
        int rc = b->dir ? mkdirat(devfd, name, 0755) : mknodat(devfd, name, S_IFREG | 0644, 0);
        if (rc < 0 && errno != EEXIST) {
                close_keep_errno(mnt);
                return failure(e, "unable to create %s", b->dst);
        }
        return attach(mnt, devfd, name, false, e, b->dst);
}

/* A program onto its mount point dirfd/name (the library directory has it):
 * bound through the file opened once. */
static int bind_program(int dirfd, const struct gpu_bind *b, struct failure *e)
{
        int fd = open(b->src, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return failure(e, "unable to open %s", b->src);
        int mnt = (int)syscall(SYS_open_tree, fd, "",
                               OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
        close_keep_errno(fd);
        if (mnt < 0)
                return failure(e, "unable to bind %s", b->src);
        return attach(mnt, dirfd, b->dst, false, e, b->dst);
}

/* The libraries' directories at DIR/.host/N (the library directory has
 * their mount points). */
static int bind_host_dirs(int top, const struct gpu_config *g, struct failure *e)
{
        for (size_t i = 0; i < g->host_dirs.len; i++) {
                char name[32];
                snprintf(name, sizeof(name), ".host/%zu", i);
                int mnt = clone_tree(g->host_dirs.items[i], 0, e);
                if (mnt < 0 || attach(mnt, top, name, false, e, g->host_dirs.items[i]) < 0)
                        return -1;
        }
        return 0;
}

/* The programs into DIR/bin, onto the mount points the library directory has. */
static int bind_programs(int top, const struct gpu_config *g, struct failure *e)
{
        int bin = openat(top, "bin", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (bin < 0)
                return failure(e, "unable to open %s/bin", g->dir);
        int rc = 0;
        for (size_t i = 0; i < g->nbinds && rc == 0; i++)
                if (g->binds[i].kind == GPU_PROGRAM)
                        rc = bind_program(bin, &g->binds[i], e);
        close_keep_errno(bin);
        return rc;
}

/* DIR: the library directory gpu_prepare() found or made (its links and
 * mount points are there already), the libraries' directories and the
 * programs bound into it, then all of it made read-only, nosuid and nodev by
 * one recursive mount_setattr. */
static int mount_gpu_dir(int rootfd, const struct gpu_config *g, struct failure *e)
{
        int mnt = clone_tree(g->made_dir, 0, e);
        if (mnt < 0 || attach_at(rootfd, mnt, g->dir, true, e) < 0)
                return -1;
        int top = path_open_in_root(rootfd, g->dir, O_DIRECTORY);
        if (top < 0)
                return failure(e, "%s", g->dir);
        int rc = bind_host_dirs(top, g, e);
        if (rc == 0)
                rc = bind_programs(top, g, e);
        struct mount_attr attr = {.attr_set =
                                      MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV};
        if (rc == 0 && syscall(SYS_mount_setattr, top, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr,
                               sizeof(attr)) < 0)
                rc = failure(e, "unable to make %s read-only", g->dir);
        close_keep_errno(top);
        return rc;
}

/* Firmware and sockets at their own paths, read-only: skipped when the
 * rootfs has no target and none can be made (they are optional). */
static unsigned mount_gpu_optional(int rootfd, const struct gpu_config *g)
{
        unsigned bound = 0;
        for (size_t i = 0; i < g->nbinds; i++) {
                const struct gpu_bind *b = &g->binds[i];
                struct failure e;
                if (b->kind != GPU_OPTIONAL)
                        continue;
                int mnt = clone_tree(b->src,
                                     MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, &e);
                if (mnt >= 0 && attach_at(rootfd, mnt, b->dst, b->dir, &e) == 0)
                        bound++;
                else if (verbose)
                        warn("gpu", errno, "%s skipped: %s", b->dst, e.what);
        }
        return bound;
}

/* After the manifest's mounts (/dev among them). */
static void mount_gpu(int rootfd, const struct config *cfg)
{
        const struct gpu_config *g = &cfg->gpu;
        if (!g->enabled)
                return;
        uint64_t started = step_start();
        struct failure e;
        size_t devices = 0;
        int devfd = path_open_in_root(rootfd, "/dev", O_DIRECTORY);
        for (size_t i = 0; i < g->nbinds; i++) {
                if (g->binds[i].kind != GPU_DEVICE)
                        continue;
                if (bind_device(rootfd, devfd, &g->binds[i], &e) < 0)
                        fail("gpu", errno, "%s", e.what);
                devices++;
        }
        if (devfd >= 0)
                close(devfd);
        if (g->made_dir && mount_gpu_dir(rootfd, g, &e) < 0)
                fail("gpu", errno, "%s", e.what);
        unsigned optional = mount_gpu_optional(rootfd, g);
        verbose_step("gpu", started, "%zu devices, %s at %s, %u optional", devices,
                     g->made_dir ? g->made_dir : "no library directory", g->dir, optional);
}

/* The rootfs as this mount namespace sees it: reopened by path (a descriptor
 * from before the namespace belongs to the host's mounts), and refused unless
 * it is the very directory validation opened. */
static int reopen_rootfs(const struct rootfs_config *r)
{
        int fd = open(r->path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0)
                fail("mounts", errno, "unable to open %s", r->path);
        if (st.st_dev != r->dev || st.st_ino != r->ino)
                fail("mounts", 0,
                     "%s changed while qrun was starting (a path component was replaced)", r->path);
        return fd;
}

/* The rootfs directory, cloned: a detached copy of it and the mounts below. */
static int clone_rootfs_dir(const struct rootfs_config *r)
{
        int dir = reopen_rootfs(r);
        int root = (int)syscall(SYS_open_tree, dir, "",
                                OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
        if (root < 0)
                fail("mounts", errno, "open_tree of %s", r->path);
        close(dir);
        return root;
}

/* The overlay's upper and work directories: in a new tmpfs (paths through
 * its descriptor, which *upper keeps), or DIR/upper and DIR/work. */
static int overlay_dirs(const struct overlay_config *o, int *upper, char *up, char *work,
                        struct failure *e)
{
        if (o->kind == OVERLAY_DIR) {
                snprintf(up, PATH_MAX, "upperdir=%s/upper", o->dir);
                snprintf(work, PATH_MAX, "workdir=%s/work", o->dir);
                if ((mkdir(o->dir, 0700) < 0 && errno != EEXIST) ||
                    (mkdir(up + 9, 0755) < 0 && errno != EEXIST) ||
                    (mkdir(work + 8, 0700) < 0 && errno != EEXIST))
                        return failure(e, "unable to create %s/upper and %s/work", o->dir, o->dir);
                return 0;
        }
        char size[48];
        snprintf(size, sizeof(size), "size=%llu", (unsigned long long)o->size);
        const char *opts[] = {"mode=0755", o->size ? size : NULL, NULL};
        *upper = new_fs("tmpfs", opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, e);
        if (*upper < 0)
                return -1;
        if (mkdirat(*upper, "upper", 0755) < 0 || mkdirat(*upper, "work", 0700) < 0)
                return failure(e, "unable to create the overlay's upper directory");
        snprintf(up, PATH_MAX, "upperdir=/proc/self/fd/%d/upper", *upper);
        snprintf(work, PATH_MAX, "workdir=/proc/self/fd/%d/work", *upper);
        return 0;
}

/* overlay = ...: a writable layer over lower (a detached mount, which the
 * overlay then holds). Unprivileged overlayfs keeps its metadata in user.*
 * xattrs (userxattr); the layers are named through /proc/self/fd. */
static int mount_overlay(int lower, const struct overlay_config *o)
{
        char low[48], up[PATH_MAX], work[PATH_MAX];
        struct failure e;
        int upper = -1;
        snprintf(low, sizeof(low), "lowerdir=/proc/self/fd/%d", lower);
        if (overlay_dirs(o, &upper, up, work, &e) < 0)
                fail_at(o->loc, errno, "%s", e.what);
        const char *opts[] = {low, up, work, "userxattr", NULL};
        int mnt = new_fs("overlay", opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, &e);
        if (mnt < 0)
                fail_at(o->loc, errno, "%s", e.what);
        close(lower);
        if (upper >= 0)
                close(upper);
        return mnt;
}

static void attach_on_slash(int mnt, const char *what)
{
        if (syscall(SYS_move_mount, mnt, "", AT_FDCWD, "/", MOVE_MOUNT_F_EMPTY_PATH) < 0)
                fail("mounts", errno, "move_mount of %s onto /", what);
}

/* The new root: the rootfs directory or the SquashFS image, under the
 * overlay if there is one, attached on top of "/" in this mount namespace.
 * Host paths stay reachable beneath it (binds are looked up by path) until
 * pivot_root detaches them. */
static int mount_root(const struct config *cfg)
{
        const struct rootfs_config *r = &cfg->rootfs;
        int root = r->kind == ROOTFS_SQUASHFS ? squashfs_receive() : clone_rootfs_dir(r);
        /* Attached before the overlay is made: overlayfs takes a layer only
         * from a mount namespace of ours, and the image's mount is a clone
         * from its server's (EPERM while detached). */
        attach_on_slash(root, r->path);
        if (r->overlay.kind != OVERLAY_NONE) {
                root = mount_overlay(root, &r->overlay);
                attach_on_slash(root, "the overlay");
        }
        return root;
}

/* pivot_root(".", ".") stacks the old root on the new one; detaching it leaves
 * no way back to the host's files. */
static void pivot_into(int root, const char *path)
{
        if (fchdir(root) < 0)
                fail("mounts", errno, "fchdir into the new root %s", path);
        if (syscall(SYS_pivot_root, ".", ".") < 0)
                fail("mounts", errno, "pivot_root into %s", path);
        if (umount2(".", MNT_DETACH) < 0)
                fail("mounts", errno, "umount2 of the old root");
        if (chdir("/") < 0)
                fail("mounts", errno, "chdir to the new root");
        close(root);
}

/* dev = minimal and the caller's terminal kept: that terminal bound at
 * /dev/console, as podman does, so that ttyname() (glibc's searches /dev)
 * names the command's terminal although /dev/pts is private. The command holds
 * that terminal on its stdin already: this adds a name, not an access. */
static void bind_console(int rootfd, const char *tty)
{
        struct failure e;
        int mnt = clone_tree(tty, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, &e);
        if (mnt < 0 || attach_at(rootfd, mnt, "/dev/console", false, &e) < 0)
                fail("mounts", errno, "%s", e.what);
}

/* One of the identity files: the image's text with the user's line added
 * (NULL: nothing to add, or no such file in the image), then its bind. */
struct identity_file {
        const char *path, *name;
        unsigned long id;
        char *line, *text;
        size_t len;
        int mnt;
};

static int merge_identity(int rootfd, struct identity_file *f, struct failure *e)
{
        size_t len;
        char *image = identity_read(rootfd, f->path, &len);
        if (!image && errno != ENOENT && errno != ENOTDIR)
                return failure(e, "unable to read %s in the rootfs", f->path);
        f->text = image ? identity_add_line(image, len, f->id, f->line, &f->len) : NULL;
        free(image);
        return 0;
}

/* Writes f's text into the scratch tmpfs and clones it, read-only. */
static int clone_identity(int scratch, struct identity_file *f, struct failure *e)
{
        int fd = openat(scratch, f->name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
        if (fd < 0)
                return failure(e, "unable to create the new %s", f->path);
        if (write(fd, f->text, f->len) != (ssize_t)f->len) {
                close_keep_errno(fd);
                return failure(e, "unable to write the new %s", f->path);
        }
        close(fd);
        char src[64];
        snprintf(src, sizeof(src), "/proc/self/fd/%d/%s", scratch, f->name);
        f->mnt = clone_tree(src, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, e);
        return f->mnt < 0 ? -1 : 0;
}

/* The new files are written to a small tmpfs attached for a moment on the
 * tree's /etc (open_tree clones only from attached mounts; nothing of the
 * host's is touched), cloned, and the tmpfs detached again before the clones
 * are bound over the image's files. */
static int bind_identity(int rootfd, struct identity_file *files, size_t n, struct failure *e)
{
        const char *opts[] = {"mode=0755", "size=4m", NULL};
        int scratch =
            new_fs("tmpfs", opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, e);
        if (scratch < 0)
                return -1;
        int etc = target(rootfd, "/etc", true, e);
        if (etc < 0 || syscall(SYS_move_mount, scratch, "", etc, "",
                               MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0) {
                if (etc >= 0)
                        failure(e, "unable to mount a tmpfs on /etc for the new files");
                close_keep_errno(scratch);
                return -1;
        }
        close(etc);
        int rc = 0;
        for (size_t i = 0; i < n && rc == 0; i++)
                if (files[i].text)
                        rc = clone_identity(scratch, &files[i], e);
        char self[48];
        snprintf(self, sizeof(self), "/proc/self/fd/%d", scratch);
        if (umount2(self, MNT_DETACH) < 0 && rc == 0)
                rc = failure(e, "umount2 of the tmpfs on /etc");
        close(scratch);
        for (size_t i = 0; i < n && rc == 0; i++)
                if (files[i].text)
                        rc = attach_at(rootfd, files[i].mnt, files[i].path, false, e);
        return rc;
}

/* [user] passwd = true: a passwd and a group entry for the user inside, when
 * the image's files lack them. */
static void add_identity(int rootfd, const struct user_config *u)
{
        if (!u->passwd || !u->name)
                return;
        uid_t uid = getuid(); /* the ids inside: this process is in the user namespace */
        gid_t gid = getgid();
        struct identity_file files[] = {
            {"/etc/passwd", "passwd", uid, identity_passwd_line(u->name, uid, gid, u->home), NULL,
             0, -1},
            {"/etc/group", "group", gid, identity_group_line(u->group ? u->group : u->name, gid),
             NULL, 0, -1}};
        struct failure e;
        int rc = merge_identity(rootfd, &files[0], &e);
        if (rc == 0)
                rc = merge_identity(rootfd, &files[1], &e);
        if (rc == 0 && (files[0].text || files[1].text))
                rc = bind_identity(rootfd, files, ARRAY_SIZE(files), &e);
        if (rc < 0)
                fail_at(u->passwd_loc, errno, "%s", e.what);
        for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
                free(files[i].line);
                free(files[i].text);
        }
}

void mounts_enter(const struct config *cfg)
{
        /* Here, not with the other namespaces: the monitor stays outside and
         * keeps the host's view (pivot_root moves every process of the mount
         * namespace whose root is the old root). */
        if (unshare(CLONE_NEWNS) < 0)
                fail("mounts", errno, "unshare(CLONE_NEWNS)");
        mounts_build(cfg);
}

void mounts_build(const struct config *cfg)
{
        const struct mounts_config *m = &cfg->mounts;
        uint64_t started = step_start();
        /* Nothing done here may reach the host's mounts. */
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                fail("mounts", errno, "mount(MS_REC | MS_PRIVATE) of /");
        int root = mount_root(cfg);
        mount_in_order(root, m);
        add_identity(root, &cfg->user); /* after the binds: one may bring /etc */
        /* Not in join mode: every rank shares the tree the first one built. */
        if (m->dev == DEV_MINIMAL && cfg->terminal.kept && cfg->terminal.path[0] &&
            !cfg->ns.join_key)
                bind_console(root, cfg->terminal.path);
        mount_gpu(root, cfg);
        pivot_into(root, cfg->rootfs.path);
        close(cfg->rootfs.fd);
        verbose_step("mounts", started, "pivot_root into %s: %zu binds, %zu tmpfs%s%s",
                     cfg->rootfs.path, m->nbinds, m->ntmpfs, m->proc ? ", /proc" : "",
                     m->dev == DEV_MINIMAL ? ", /dev" : "");
}
