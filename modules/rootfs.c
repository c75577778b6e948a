#define _GNU_SOURCE
#include "rootfs.h"
#include "common.h"
#include "config.h"
#include "errpipe.h"
#include "manifest.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- [rootfs] keys ---- */

/* Relative paths are relative to the manifest's directory; on the command line
 * (--set) to the current directory, as a shell user would expect. */
static char *absolute_path(const char *base_dir, const char *path)
{
        if (path[0] == '/')
                return xstrdup(path);
        char cwd[PATH_MAX];
        if (!base_dir) {
                if (!getcwd(cwd, sizeof(cwd)))
                        die("rootfs", errno, "unable to get the current directory");
                base_dir = cwd;
        }
        return xasprintf("%s/%s", base_dir, path);
}

static bool parse_path(struct config *cfg, const struct key_def *key, const char *value,
                       struct diag *d)
{
        (void)key;
        if (!*value)
                return diag_error(d, "empty path (use / to run on the host root)");
        free(cfg->rootfs.path);
        cfg->rootfs.path = absolute_path(diag_is_override(d) ? NULL : cfg->manifest_dir, value);
        cfg->rootfs.path_loc = d->loc;
        return true;
}

static void print_path(const struct config *cfg, const struct key_def *key, FILE *out)
{
        print_value(out, key->name, cfg->rootfs.path);
}

static const struct key_def rootfs_keys[] = {
    {"path", 0, parse_path, print_path, 0},
};

static bool is_host_root(int fd)
{
        struct stat dir, root;
        return fstat(fd, &dir) == 0 && stat("/", &root) == 0 && dir.st_dev == root.st_dev &&
               dir.st_ino == root.st_ino;
}

/* Opens the rootfs once; everything later uses this descriptor, never the path. */
static bool validate_rootfs(struct config *cfg, struct diag *d)
{
        struct rootfs_config *r = &cfg->rootfs;
        if (!r->path)
                return diag_error_at(d, (struct loc){cfg->manifest_path, 0}, "rootfs", "path",
                                     "missing: set it to the directory to run in (or / for "
                                     "the host root)");
        r->fd = open(r->path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (r->fd < 0) {
                int err = errno;
                return diag_error_at(d, r->path_loc, "rootfs", "path", "%s: %s", r->path,
                                     err == ENOTDIR ? "not a directory" : strerror(err));
        }
        if (faccessat(r->fd, ".", X_OK, 0) < 0)
                return diag_error_at(d, r->path_loc, "rootfs", "path", "%s: %s", r->path,
                                     strerror(errno));
        /* Host mode is chosen by writing "/", never reached through a symlink
         * or "..": a path that resolves there (or had a component swapped for a
         * link to /) would otherwise become a chroot to the host's root without
         * any of host mode's checks. */
        if (!rootfs_is_host(r) && is_host_root(r->fd))
                return diag_error_at(d, r->path_loc, "rootfs", "path",
                                     "%s: resolves to the host's root directory (write "
                                     "path = / to run on the host)",
                                     r->path);
        return true;
}

const struct section_def rootfs_section = {"rootfs", rootfs_keys, ARRAY_SIZE(rootfs_keys),
                                           validate_rootfs};

/* ---- actions ---- */

void rootfs_config_free(struct rootfs_config *r)
{
        free(r->path);
        if (r->fd >= 0)
                close(r->fd);
}

bool rootfs_is_host(const struct rootfs_config *r)
{
        return !strcmp(r->path, "/");
}

void rootfs_enter(const struct rootfs_config *r, const char *cwd, struct loc cwd_loc)
{
        uint64_t started = step_start();
        if (!rootfs_is_host(r)) {
                /* chdir first so that after chroot(".") the cwd is inside the new
                 * root: no ".." walk can reach the host. */
                if (fchdir(r->fd) < 0)
                        fail(EXIT_QRUN_FAILED, "rootfs", errno, "unable to enter %s", r->path);
                if (chroot(".") < 0)
                        fail(EXIT_QRUN_FAILED, "rootfs", errno, "unable to chroot into %s",
                             r->path);
        }
        close(r->fd);
        if (chdir(cwd) < 0) {
                char where[512];
                if (cwd_loc.file)
                        fail(EXIT_QRUN_FAILED, NULL, errno, "%s: [process] cwd: %s",
                             loc_format(cwd_loc, where, sizeof(where)), cwd);
                fail(EXIT_QRUN_FAILED, "rootfs", errno, "unable to change to %s", cwd);
        }
        verbose_step("rootfs", started, "%s %s, cwd %s", rootfs_is_host(r) ? "host root" : "chroot",
                     r->path, cwd);
}
