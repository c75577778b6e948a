#define _GNU_SOURCE
#include "rootfs.h"
#include "common.h"
#include "config.h"
#include "manifest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- [rootfs] keys ---- */

static const struct key_def rootfs_keys[] = {
    {"path", KEY_HOST_PATH, .offset = CFG(rootfs.path), .loc = CFG(rootfs.path_loc),
     .hint = "use / to run on the host root"},
};

static bool validate_rootfs(const struct config *cfg, struct diag *d)
{
        if (!cfg->rootfs.path)
                return diag_error_at(d, (struct loc){cfg->manifest_path, 0, "rootfs", "path"},
                                     "missing: set it to the directory to run in (or / for "
                                     "the host root)");
        return true;
}

const struct section_def rootfs_section = {"rootfs", rootfs_keys, ARRAY_SIZE(rootfs_keys),
                                           validate_rootfs};

bool rootfs_is_host(const struct rootfs_config *r)
{
        return !strcmp(r->path, "/");
}

/* ---- resolving ---- */

static bool is_host_root(const struct stat *dir)
{
        struct stat root;
        return stat("/", &root) == 0 && dir->st_dev == root.st_dev && dir->st_ino == root.st_ino;
}

bool rootfs_open(struct rootfs_config *r, struct diag *d)
{
        if (!r->path)
                return false; /* validation reported it */
        r->fd = open(r->path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        struct stat st;
        if (r->fd < 0 || fstat(r->fd, &st) < 0)
                return diag_error_at(d, r->path_loc, "%s: %s", r->path,
                                     errno == ENOTDIR ? "not a directory" : strerror(errno));
        if (faccessat(r->fd, ".", X_OK, 0) < 0)
                return diag_error_at(d, r->path_loc, "%s: %s", r->path, strerror(errno));
        /* Host mode is chosen by writing "/", never reached through a symlink
         * or "..": a path that resolves there (or had a component swapped for a
         * link to /) would otherwise become a chroot to the host's root without
         * any of host mode's checks. */
        if (!rootfs_is_host(r) && is_host_root(&st))
                return diag_error_at(d, r->path_loc,
                                     "%s: resolves to the host's root directory (write "
                                     "path = / to run on the host)",
                                     r->path);
        r->dev = st.st_dev;
        r->ino = st.st_ino;
        return true;
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
