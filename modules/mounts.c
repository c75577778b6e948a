#define _GNU_SOURCE
#include "mounts.h"
#include "common.h"
#include "config.h"
#include "manifest.h"
#include "paths.h"
#include "values.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- [mounts] keys ---- */

static bool check_inside_path(struct diag *d, const char *what, const char *path)
{
        if (path[0] != '/')
                return diag_error(d, "%s must be an absolute path inside the container, got \"%s\"",
                                  what, path);
        return true;
}

void mounts_add_bind(struct mounts_config *m, char *src, char *dst, bool ro, struct loc loc)
{
        m->binds = xrealloc(m->binds, (m->nbinds + 1) * sizeof(*m->binds));
        m->binds[m->nbinds++] = (struct bind_mount){src, dst, ro, loc};
}

/* Adds a tmpfs (takes dst); if_present: only where the rootfs has dst. */
static void add_tmpfs(struct mounts_config *m, char *dst, uint64_t size, struct loc loc,
                      bool if_present)
{
        m->tmpfs = xrealloc(m->tmpfs, (m->ntmpfs + 1) * sizeof(*m->tmpfs));
        m->tmpfs[m->ntmpfs++] = (struct tmpfs_mount){dst, size, loc, if_present};
}

/* The :ro or :rw after DST, if any. */
static bool parse_bind_option(const char *option, bool *ro, struct diag *d)
{
        *ro = option && !strcmp(option, "ro");
        if (option && !*ro && strcmp(option, "rw"))
                return diag_error(d, "unknown bind option \"%s\" (ro or rw)", option);
        return true;
}

/* bind = SRC:DST[:ro|:rw] */
static bool parse_bind(struct config *cfg, const struct key_def *key, const char *value,
                       struct diag *d)
{
        (void)key;
        const char *c1 = strchr(value, ':');
        if (!c1 || c1 == value || !c1[1])
                return diag_error(d, "expected SRC:DST or SRC:DST:ro, got \"%s\"", value);
        const char *c2 = strchr(c1 + 1, ':');
        bool ro;
        if (!parse_bind_option(c2 ? c2 + 1 : NULL, &ro, d))
                return false;
        char *dst = strndup(c1 + 1, c2 ? (size_t)(c2 - c1 - 1) : strlen(c1 + 1));
        char *src_rel = strndup(value, (size_t)(c1 - value));
        char *src = NULL;
        bool ok = check_inside_path(d, "DST", dst);
        if (ok && !(src = path_absolute(diag_is_override(d) ? NULL : cfg->manifest_dir, src_rel)))
                ok = diag_error(d, "unable to get the current directory: %s", strerror(errno));
        free(src_rel);
        if (!ok) {
                free(dst);
                return false;
        }
        mounts_add_bind(&cfg->mounts, src, dst, ro, d->loc);
        return true;
}

static void print_bind(const struct config *cfg, const struct key_def *key, FILE *out)
{
        for (size_t i = 0; i < cfg->mounts.nbinds; i++) {
                const struct bind_mount *b = &cfg->mounts.binds[i];
                if (strcmp(b->loc.key, "bind")) /* home and workdir print as themselves */
                        continue;
                char *v = xasprintf("%s:%s%s", b->src, b->dst, b->ro ? ":ro" : "");
                print_value(out, key->name, v);
                free(v);
        }
}

/* tmpfs = PATH[:size=N] */
static bool parse_tmpfs(struct config *cfg, const struct key_def *key, const char *value,
                        struct diag *d)
{
        (void)key;
        const char *colon = strchr(value, ':');
        uint64_t size = 0;
        if (colon) {
                if (strncmp(colon + 1, "size=", 5))
                        return diag_error(d, "expected PATH or PATH:size=N, got \"%s\"", value);
                if (!parse_size(d, colon + 6, &size))
                        return false;
                if (size == 0)
                        return diag_error(d, "size must be larger than 0");
        }
        char *dst = strndup(value, colon ? (size_t)(colon - value) : strlen(value));
        if (!check_inside_path(d, "PATH", dst)) {
                free(dst);
                return false;
        }
        add_tmpfs(&cfg->mounts, dst, size, d->loc, false);
        return true;
}

static void print_tmpfs(const struct config *cfg, const struct key_def *key, FILE *out)
{
        for (size_t i = 0; i < cfg->mounts.ntmpfs; i++) {
                const struct tmpfs_mount *t = &cfg->mounts.tmpfs[i];
                if (!t->loc.key || strcmp(t->loc.key, "tmpfs"))
                        continue; /* read_only_tmpfs's and join's: the section's note says */
                if (t->size)
                        fprintf(out, "%s = %s:size=%llu\n", key->name, t->dst,
                                (unsigned long long)t->size);
                else
                        print_value(out, key->name, t->dst);
        }
}

static const char *const dev_names[] = {"none", "minimal", NULL};

static const struct key_def mounts_keys[] = {
    {"bind", KEY_CUSTOM, KEY_REPEATABLE, .parse = parse_bind, .print = print_bind},
    {"tmpfs", KEY_CUSTOM, KEY_REPEATABLE, .parse = parse_tmpfs, .print = print_tmpfs},
    {"proc", KEY_BOOL, .offset = CFG(mounts.proc), .loc = CFG(mounts.proc_loc)},
    {"dev", KEY_ENUM, .offset = CFG(mounts.dev), .loc = CFG(mounts.dev_loc), .names = dev_names},
    {"shm_size", KEY_SIZE, KEY_NONZERO, CFG(mounts.shm_size), CFG(mounts.shm_loc),
     .unset = "not set (half of memory, the kernel's default)"},
    {"home", KEY_BOOL, .offset = CFG(mounts.home), .loc = CFG(mounts.home_loc)},
    {"workdir", KEY_BOOL, .offset = CFG(mounts.workdir), .loc = CFG(mounts.workdir_loc)},
    {"read_only_tmpfs", KEY_BOOL, .offset = CFG(mounts.read_only_tmpfs),
     .loc = CFG(mounts.read_only_tmpfs_loc)},
};

/* ---- validation ---- */

static bool validate_mounts(const struct config *cfg, struct diag *d)
{
        const struct mounts_config *m = &cfg->mounts;
        bool ok = true;
        if (cfg->ns.join && m->dev == DEV_NONE && m->dev_loc.file)
                ok = diag_error_at(d, m->dev_loc,
                                   "join mode gives the ranks a shared /dev/shm from dev = "
                                   "minimal: remove dev = none");
        if (m->shm_size && m->dev != DEV_MINIMAL)
                ok = diag_error_at(d, m->shm_loc, "needs dev = minimal (it sizes /dev/shm)");
        if (m->workdir && cfg->process.cwd_loc.file)
                ok = diag_error_at(d, m->workdir_loc,
                                   "workdir = true sets the working directory: remove "
                                   "[process] cwd");
        return ok;
}

/* What resolving implied, one "; " line each (the first's "; " is the caller's). */
static const char *mounts_note(const struct config *cfg)
{
        static char note[1024]; /* the lines below fit; snprintf truncates otherwise */
        const struct mounts_config *m = &cfg->mounts;
        const char *lines[4];
        char pmix[256] = "";
        size_t n = 0, len = 0;
        if (m->implied_by)
                lines[n++] = m->implied_by;
        if (m->proc_host)
                lines[n++] = "proc: the host's /proc, read-only (no pid namespace of its own)";
        if (m->scratch)
                lines[n++] = "read_only_tmpfs: a tmpfs on /tmp, /var/tmp and /run where the "
                             "image has them and no mount of yours is (the image is read-only)";
        for (size_t i = 0, used = 0; i < m->nbinds; i++)
                if (m->binds[i].loc.key && !strcmp(m->binds[i].loc.key, "join") &&
                    used < sizeof(pmix))
                        used += (size_t)snprintf(
                            pmix + used, sizeof(pmix) - used, "%s%s",
                            used ? " " : "join: PMIx's directories, bound: ", m->binds[i].dst);
        if (pmix[0])
                lines[n++] = pmix;
        for (size_t i = 0; i < n && len < sizeof(note); i++)
                len += (size_t)snprintf(note + len, sizeof(note) - len, "%s%s%s", i ? "\n; " : "",
                                        lines[i] == m->implied_by ? "mount mode, implied by " : "",
                                        lines[i]);
        return n ? note : NULL;
}

const struct section_def mounts_section = {
    "mounts", mounts_keys, ARRAY_SIZE(mounts_keys), validate_mounts, CFG(mounts.enabled),
    0,        mounts_note};

void mounts_config_free(struct mounts_config *m)
{
        for (size_t i = 0; i < m->nbinds; i++) {
                free(m->binds[i].src);
                free(m->binds[i].dst);
        }
        for (size_t i = 0; i < m->ntmpfs; i++)
                free(m->tmpfs[i].dst);
        free(m->binds);
        free(m->tmpfs);
        *m = (struct mounts_config){0};
}

/* ---- resolving ---- */

/* home = true: $HOME, bound at the same path. */
static bool resolve_home(struct mounts_config *m, struct diag *d)
{
        const char *home = getenv("HOME");
        struct stat st;
        if (!home || home[0] != '/' || stat(home, &st) < 0 || !S_ISDIR(st.st_mode))
                return diag_error_at(d, m->home_loc, "$HOME is not set to an existing directory");
        mounts_add_bind(m, xstrdup(home), xstrdup(home), false, m->home_loc);
        return true;
}

/* workdir = true: the current directory, bound at the same path, and the
 * command starts there. */
static bool resolve_workdir(struct config *cfg, struct diag *d)
{
        struct mounts_config *m = &cfg->mounts;
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof(cwd)))
                return diag_error_at(d, m->workdir_loc, "%s", strerror(errno));
        mounts_add_bind(m, xstrdup(cwd), xstrdup(cwd), false, m->workdir_loc);
        free(cfg->process.cwd);
        cfg->process.cwd = xstrdup(cwd);
        cfg->process.cwd_loc = m->workdir_loc;
        return true;
}

/* The directories PMIx names (its server's rendezvous files and shared
 * memory, in slurmd's spool with srun --mpi=pmix): bound at the same paths
 * in join mode, so that a rank reaches its process manager. */
static const char *const pmix_dirs[] = {"PMIX_SERVER_TMPDIR", "PMIX_DSTORE_21_BASE_PATH",
                                        "PMIX_DSTORE_ESH_BASE_PATH"};

static bool bound_below(const struct mounts_config *m, const char *dst)
{
        for (size_t i = 0; i < m->nbinds; i++)
                if (!strcmp(m->binds[i].dst, dst) || path_is_below(dst, m->binds[i].dst))
                        return true;
        return false;
}

/* An absolute path without doubled or trailing slashes ("/a//b/" is "/a/b"). */
static char *tidy_path(const char *path)
{
        char *t = xstrdup(path), *out = t;
        for (const char *p = path; *p; p++)
                if (*p != '/' || out == t || out[-1] != '/')
                        *out++ = *p;
        if (out > t + 1 && out[-1] == '/')
                out--;
        *out = '\0';
        return t;
}

/* A PMIx directory the rootfs lacks (slurmd makes one per step) gets a small
 * tmpfs on its parent to be created in, the parent being the image's
 * (/var/spool/slurmd, which the image must have). */
/* A mount of the manifest's (or an implied one) at path or above it. */
static bool mounted_at_or_above(const struct mounts_config *m, const char *path)
{
        for (size_t i = 0; i < m->ntmpfs; i++)
                if (!strcmp(path, m->tmpfs[i].dst) || path_is_below(path, m->tmpfs[i].dst))
                        return true;
        return bound_below(m, path);
}

/* A read-only rootfs (an image without an overlay) gets a tmpfs where programs
 * expect to write, as podman --read-only does: Open MPI's session directory,
 * lock and pid files. Only where the manifest mounts nothing at or above, and
 * (at launch) only where the image has the directory. Before join mode's PMIx
 * directories, which may lie below one of them. */
static void add_scratch_tmpfs(struct config *cfg)
{
        static const char *const dirs[] = {"/tmp", "/var/tmp", "/run"};
        struct mounts_config *m = &cfg->mounts;
        if (!m->read_only_tmpfs || cfg->rootfs.kind != ROOTFS_SQUASHFS ||
            cfg->rootfs.overlay.kind != OVERLAY_NONE)
                return;
        /* A failure is reported at the key, or the image's line without it. */
        struct loc loc =
            m->read_only_tmpfs_loc.file ? m->read_only_tmpfs_loc : cfg->rootfs.path_loc;
        for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
                if (mounted_at_or_above(m, dirs[i]))
                        continue;
                add_tmpfs(m, xstrdup(dirs[i]), 0, loc, true);
                m->scratch = true;
        }
}

/* The nearest existing ancestor of path in the rootfs, as a descriptor, with
 * its path in parent; -1 if none opens. */
static int open_nearest_ancestor(int rootfd, const char *path, char *parent, size_t size)
{
        snprintf(parent, size, "%s", path);
        for (;;) {
                char *slash = strrchr(parent, '/');
                if (slash == parent)
                        parent[1] = '\0';
                else
                        *slash = '\0';
                int fd = path_open_in_root(rootfd, parent, O_DIRECTORY);
                if (fd >= 0 || !strcmp(parent, "/"))
                        return fd;
        }
}

/* Whether path, missing from the rootfs, can be created there: its nearest
 * existing ancestor (named in parent) is writable. */
static bool creatable_in_rootfs(const struct rootfs_config *r, const char *path, char *parent,
                                size_t size)
{
        int fd = open_nearest_ancestor(rootfs_dir_fd(r), path, parent, size);
        bool writable = fd >= 0 && faccessat(fd, ".", W_OK, 0) == 0;
        if (fd >= 0)
                close(fd);
        return writable;
}

/* A directory rootfs you cannot write where PMIx's directory needs a mount
 * point (a site's shared image, say): the ranks get a tmpfs overlay, as an
 * image does (join_resolve()), where the mount point is made. */
static void make_room_for(struct config *cfg, const char *path)
{
        struct rootfs_config *r = &cfg->rootfs;
        char parent[PATH_MAX];
        if (r->overlay.kind != OVERLAY_NONE)
                return;
        int fd = path_open_in_root(rootfs_dir_fd(r), path, O_DIRECTORY);
        if (fd >= 0) {
                close(fd);
                return; /* the mount point is there */
        }
        if (creatable_in_rootfs(r, path, parent, sizeof(parent)))
                return;
        r->overlay.kind = OVERLAY_TMPFS;
        r->overlay.loc = cfg->ns.join_loc;
        r->overlay_implied_by = "[namespaces] join (the mount point of a PMIx directory cannot "
                                "be made in the rootfs: you cannot write there)";
}

static void bind_pmix_dir(struct config *cfg, char *dir)
{
        struct mounts_config *m = &cfg->mounts;
        int fd = path_open_in_root(rootfs_dir_fd(&cfg->rootfs), dir, O_DIRECTORY);
        if (fd >= 0) {
                close(fd);
        } else if (!mounted_at_or_above(m, dir)) { /* else a tmpfs of ours: made there */
                char *parent = xstrdup(dir);
                *strrchr(parent, '/') = '\0';
                make_room_for(cfg, *parent ? parent : "/");
                add_tmpfs(m, *parent ? parent : xstrdup("/"), 1 << 20, cfg->ns.join_loc, false);
        }
        mounts_add_bind(m, xstrdup(dir), dir, false, cfg->ns.join_loc);
}

static void resolve_join(struct config *cfg)
{
        struct mounts_config *m = &cfg->mounts;
        if (!m->enabled) {
                m->enabled = true; /* the holder builds one tree for every rank */
                m->implied_by = "[namespaces] join";
        }
        if (!m->dev_loc.file)
                m->dev = DEV_MINIMAL; /* its /dev/shm is shared by the ranks */
        /* Open MPI's progress loop slows ninefold without /proc (8-byte
         * latency 1.1 us against 0.12 us bare; bench/results/70-mpi.md). */
        if (!m->proc_loc.file && !bound_below(m, "/proc"))
                m->proc = true;
        for (size_t i = 0; i < ARRAY_SIZE(pmix_dirs); i++) {
                const char *value = getenv(pmix_dirs[i]);
                struct stat st;
                char *dir = value && value[0] == '/' ? tidy_path(value) : NULL;
                if (dir && stat(dir, &st) == 0 && S_ISDIR(st.st_mode) && strcmp(dir, "/") &&
                    !bound_below(m, dir))
                        bind_pmix_dir(cfg, dir);
                else
                        free(dir);
        }
}

bool mounts_resolve(struct config *cfg, struct diag *d)
{
        struct mounts_config *m = &cfg->mounts;
        bool ok = true;
        add_scratch_tmpfs(cfg);
        if (cfg->ns.join_key)
                resolve_join(cfg);
        if (!m->enabled && rootfs_needs_mounts(&cfg->rootfs)) {
                m->enabled = true; /* an image or an overlay is mounted, so a mount namespace */
                m->implied_by = cfg->rootfs.kind == ROOTFS_SQUASHFS ? "the SquashFS rootfs"
                                                                    : "[rootfs] overlay";
        }
        /* No pid namespace of its own (pid = false, join mode): a new procfs
         * cannot be mounted, and the host's shows the very processes the
         * command shares a pid namespace with. */
        m->proc_host = m->proc && !cfg->ns.pid;
        if (m->enabled && m->home)
                ok = resolve_home(m, d);
        if (m->enabled && m->workdir && !cfg->process.cwd_loc.file)
                ok = resolve_workdir(cfg, d) && ok;
        return ok;
}

/* ---- the plan ---- */

static int path_depth(const char *path)
{
        int depth = 0;
        for (const char *p = path; *p; p++)
                if (*p == '/' && p[1] && p[1] != '/')
                        depth++;
        return depth;
}

/* Manifest order, for reporting errors line by line. */
static int compare_lines(const void *a, const void *b)
{
        const struct mount_step *x = a, *y = b;
        if (x->loc.line != y->loc.line)
                return x->loc.line < y->loc.line ? -1 : 1;
        return x < y ? -1 : x > y;
}

/* Shallow paths first, then manifest order: a tmpfs on /data/tmp stays visible
 * whatever line the bind of /data is on (Docker and Charliecloud sort alike). */
static int compare_depths(const void *a, const void *b)
{
        const struct mount_step *x = a, *y = b;
        int dx = path_depth(x->dst), dy = path_depth(y->dst);
        if (dx != dy)
                return dx - dy;
        return compare_lines(a, b);
}

struct mount_step *mounts_plan(const struct mounts_config *m, enum mount_order order, size_t *count)
{
        size_t n = 0, cap = m->nbinds + m->ntmpfs + 2;
        struct mount_step *steps = xmalloc(cap * sizeof(*steps));
        if (m->proc)
                steps[n++] = (struct mount_step){STEP_PROC, NULL, "/proc", m->proc_loc};
        if (m->dev == DEV_MINIMAL)
                steps[n++] = (struct mount_step){STEP_DEV, NULL, "/dev", m->dev_loc};
        for (size_t i = 0; i < m->ntmpfs; i++)
                steps[n++] =
                    (struct mount_step){STEP_TMPFS, &m->tmpfs[i], m->tmpfs[i].dst, m->tmpfs[i].loc};
        for (size_t i = 0; i < m->nbinds; i++)
                steps[n++] =
                    (struct mount_step){STEP_BIND, &m->binds[i], m->binds[i].dst, m->binds[i].loc};
        qsort(steps, n, sizeof(*steps), order == ORDER_LINES ? compare_lines : compare_depths);
        *count = n;
        return steps;
}

/* ---- checks against the rootfs ---- */

/* Whether path lies below one of the mounts this manifest makes: the target
 * is then on that mount, not in the rootfs, and is checked at launch. */
static bool under_own_mount(const struct mounts_config *m, const char *path)
{
        for (size_t i = 0; i < m->ntmpfs; i++)
                if (path_is_below(path, m->tmpfs[i].dst))
                        return true;
        for (size_t i = 0; i < m->nbinds; i++)
                if (path_is_below(path, m->binds[i].dst))
                        return true;
        return (m->dev == DEV_MINIMAL && path_is_below(path, "/dev")) ||
               (m->proc && path_is_below(path, "/proc"));
}

bool mounts_check_target(const struct config *cfg, const char *dst, bool dir, struct loc loc,
                         struct diag *d)
{
        if (under_own_mount(&cfg->mounts, dst))
                return true;
        int fd = path_open_in_root(cfg->rootfs.fd, dst, 0);
        bool creatable = cfg->rootfs.overlay.kind != OVERLAY_NONE; /* the overlay is writable */
        if (fd < 0 && creatable)
                return true;
        if (fd >= 0) {
                struct stat st;
                bool is_dir = fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
                close(fd);
                if (is_dir != dir)
                        return diag_error_at(d, loc, "%s is %s in the rootfs", dst,
                                             dir ? "not a directory" : "a directory");
                return true;
        }
        char parent[PATH_MAX];
        if (!creatable_in_rootfs(&cfg->rootfs, dst, parent, sizeof(parent)))
                return diag_error_at(d, loc,
                                     "%s does not exist in the rootfs, and qrun cannot create it "
                                     "there (%s is not writable): create it in the image",
                                     dst, parent);
        return true;
}

static bool check_step(const struct config *cfg, const struct mount_step *step, struct diag *d)
{
        const struct bind_mount *b = step->what;
        struct stat st;
        if (step->kind != STEP_BIND)
                return mounts_check_target(cfg, step->dst, true, step->loc, d);
        if (stat(b->src, &st) < 0)
                return diag_error_at(d, b->loc, "%s: %s", b->src, strerror(errno));
        return mounts_check_target(cfg, b->dst, S_ISDIR(st.st_mode), b->loc, d);
}

bool mounts_check(const struct config *cfg, struct diag *d)
{
        /* An image's contents are checked at launch. */
        if (!cfg->mounts.enabled || rootfs_dir_fd(&cfg->rootfs) < 0)
                return true;
        size_t n;
        struct mount_step *steps = mounts_plan(&cfg->mounts, ORDER_LINES, &n);
        bool ok = true;
        for (size_t i = 0; i < n; i++)
                ok = check_step(cfg, &steps[i], d) && ok;
        free(steps);
        return ok;
}
