#define _GNU_SOURCE
#include "mounts.h"
#include "common.h"
#include "config.h"
#include "errpipe.h"
#include "manifest.h"
#include "values.h"

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

/* ---- [mounts] keys ---- */

static void enable(struct config *cfg, struct loc at)
{
        (void)at;
        cfg->mounts.enabled = true;
}

static char *absolute_on_host(const struct config *cfg, const char *path, struct diag *d)
{
        if (path[0] == '/')
                return xstrdup(path);
        if (!diag_is_override(d))
                return xasprintf("%s/%s", cfg->manifest_dir, path);
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof(cwd)))
                die("mounts", errno, "unable to get the current directory");
        return xasprintf("%s/%s", cwd, path);
}

static bool check_inside_path(struct diag *d, const char *what, const char *path)
{
        if (path[0] != '/')
                return diag_error(d, "%s must be an absolute path inside the container, got \"%s\"",
                                  what, path);
        return true;
}

/* bind = SRC:DST[:ro|:rw] */
static bool parse_bind(struct config *cfg, const struct key_def *key, const char *value,
                       struct diag *d)
{
        (void)key;
        enable(cfg, d->loc);
        const char *c1 = strchr(value, ':');
        if (!c1 || c1 == value || !c1[1])
                return diag_error(d, "expected SRC:DST or SRC:DST:ro, got \"%s\"", value);
        const char *c2 = strchr(c1 + 1, ':');
        bool ro = false;
        if (c2) {
                if (!strcmp(c2 + 1, "ro"))
                        ro = true;
                else if (strcmp(c2 + 1, "rw"))
                        return diag_error(d, "unknown bind option \"%s\" (ro or rw)", c2 + 1);
        }
        char *dst = strndup(c1 + 1, c2 ? (size_t)(c2 - c1 - 1) : strlen(c1 + 1));
        if (!check_inside_path(d, "DST", dst)) {
                free(dst);
                return false;
        }
        char *src_rel = strndup(value, (size_t)(c1 - value));
        struct mounts_config *m = &cfg->mounts;
        m->binds = xrealloc(m->binds, (m->nbinds + 1) * sizeof(*m->binds));
        m->binds[m->nbinds++] =
            (struct bind_mount){absolute_on_host(cfg, src_rel, d), dst, ro, d->loc, "bind"};
        free(src_rel);
        return true;
}

static void print_bind(const struct config *cfg, const struct key_def *key, FILE *out)
{
        for (size_t i = 0; i < cfg->mounts.nbinds; i++) {
                const struct bind_mount *b = &cfg->mounts.binds[i];
                if (strcmp(b->key, "bind")) /* home and workdir print as themselves */
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
        enable(cfg, d->loc);
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
        struct mounts_config *m = &cfg->mounts;
        m->tmpfs = xrealloc(m->tmpfs, (m->ntmpfs + 1) * sizeof(*m->tmpfs));
        m->tmpfs[m->ntmpfs++] = (struct tmpfs_mount){dst, size, d->loc};
        return true;
}

static void print_tmpfs(const struct config *cfg, const struct key_def *key, FILE *out)
{
        for (size_t i = 0; i < cfg->mounts.ntmpfs; i++) {
                const struct tmpfs_mount *t = &cfg->mounts.tmpfs[i];
                if (t->size)
                        fprintf(out, "%s = %s:size=%llu\n", key->name, t->dst,
                                (unsigned long long)t->size);
                else
                        print_value(out, key->name, t->dst);
        }
}

/* proc, home, workdir: booleans, addressed by offset with their location after them. */
struct flag_key {
        size_t value, loc;
};
static const struct flag_key flag_keys[] = {
    {offsetof(struct mounts_config, proc), offsetof(struct mounts_config, proc_loc)},
    {offsetof(struct mounts_config, home), offsetof(struct mounts_config, home_loc)},
    {offsetof(struct mounts_config, workdir), offsetof(struct mounts_config, workdir_loc)},
};

static bool parse_flag(struct config *cfg, const struct key_def *key, const char *value,
                       struct diag *d)
{
        enable(cfg, d->loc);
        char *base = (char *)&cfg->mounts;
        if (!parse_bool(d, value, (bool *)(base + flag_keys[key->arg].value)))
                return false;
        *(struct loc *)(base + flag_keys[key->arg].loc) = d->loc;
        return true;
}

static void print_flag(const struct config *cfg, const struct key_def *key, FILE *out)
{
        const char *base = (const char *)&cfg->mounts;
        print_bool(out, key->name, *(const bool *)(base + flag_keys[key->arg].value));
}

static bool parse_dev(struct config *cfg, const struct key_def *key, const char *value,
                      struct diag *d)
{
        (void)key;
        enable(cfg, d->loc);
        if (!strcmp(value, "minimal"))
                cfg->mounts.dev = DEV_MINIMAL;
        else if (!strcmp(value, "none"))
                cfg->mounts.dev = DEV_NONE;
        else
                return diag_error(d, "expected none or minimal, got \"%s\"", value);
        cfg->mounts.dev_loc = d->loc;
        return true;
}

static void print_dev(const struct config *cfg, const struct key_def *key, FILE *out)
{
        fprintf(out, "%s = %s\n", key->name, cfg->mounts.dev == DEV_MINIMAL ? "minimal" : "none");
}

static bool parse_shm_size(struct config *cfg, const struct key_def *key, const char *value,
                           struct diag *d)
{
        (void)key;
        enable(cfg, d->loc);
        if (!parse_size(d, value, &cfg->mounts.shm_size))
                return false;
        if (cfg->mounts.shm_size == 0)
                return diag_error(d, "must be larger than 0");
        cfg->mounts.shm_loc = d->loc;
        return true;
}

static void print_shm_size(const struct config *cfg, const struct key_def *key, FILE *out)
{
        if (cfg->mounts.shm_size)
                fprintf(out, "%s = %llu\n", key->name, (unsigned long long)cfg->mounts.shm_size);
        else
                fprintf(out, "; %s: not set (half of memory, the kernel's default)\n", key->name);
}

static const struct key_def mounts_keys[] = {
    {"bind", KEY_REPEATABLE, parse_bind, print_bind, 0},
    {"tmpfs", KEY_REPEATABLE, parse_tmpfs, print_tmpfs, 0},
    {"proc", 0, parse_flag, print_flag, 0},
    {"dev", 0, parse_dev, print_dev, 0},
    {"shm_size", 0, parse_shm_size, print_shm_size, 0},
    {"home", 0, parse_flag, print_flag, 1},
    {"workdir", 0, parse_flag, print_flag, 2},
};

/* ---- validation ---- */

/* One mount to make, for ordering them. */
struct mount_step {
        enum { STEP_PROC, STEP_DEV, STEP_TMPFS, STEP_BIND } kind;
        const void *what;
        const char *dst;
        struct loc loc;
};

static int path_depth(const char *path)
{
        int depth = 0;
        for (const char *p = path; *p; p++)
                if (*p == '/' && p[1] && p[1] != '/')
                        depth++;
        return depth;
}

/* Shallow paths first, then manifest order: a tmpfs on /data/tmp stays visible
 * whatever line the bind of /data is on (Docker and Charliecloud sort alike). */
static int compare_depths(const void *a, const void *b)
{
        const struct mount_step *x = a, *y = b;
        int dx = path_depth(x->dst), dy = path_depth(y->dst);
        if (dx != dy)
                return dx - dy;
        if (x->loc.line != y->loc.line)
                return x->loc.line < y->loc.line ? -1 : 1;
        return x < y ? -1 : x > y;
}

/* Manifest order, for reporting errors line by line. */
static int compare_lines(const void *a, const void *b)
{
        const struct mount_step *x = a, *y = b;
        if (x->loc.line != y->loc.line)
                return x->loc.line < y->loc.line ? -1 : 1;
        return x < y ? -1 : x > y;
}

/* Every mount the manifest asks for, sorted by compare. */
static struct mount_step *collect_steps(const struct mounts_config *m, size_t *count,
                                        int (*compare)(const void *, const void *))
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
        qsort(steps, n, sizeof(*steps), compare);
        *count = n;
        return steps;
}

/* Opens path as the container will see it (symlinks resolved inside root). */
static int open_in_root(int rootfd, const char *path, int flags)
{
        struct open_how how = {.flags = (uint64_t)(flags | O_PATH | O_CLOEXEC),
                               .resolve = RESOLVE_IN_ROOT};
        return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
}

static bool is_below(const char *path, const char *dir)
{
        size_t n = strlen(dir);
        return !strncmp(path, dir, n) && n > 1 && path[n] == '/';
}

/* Whether path lies below one of the mounts this manifest makes: the target
 * is then on that mount, not in the rootfs, and is checked at launch. */
static bool under_own_mount(const struct mounts_config *m, const char *path)
{
        for (size_t i = 0; i < m->ntmpfs; i++)
                if (is_below(path, m->tmpfs[i].dst))
                        return true;
        for (size_t i = 0; i < m->nbinds; i++)
                if (is_below(path, m->binds[i].dst))
                        return true;
        return (m->dev == DEV_MINIMAL && is_below(path, "/dev")) ||
               (m->proc && is_below(path, "/proc"));
}

/* A mount target must exist in the rootfs, or be creatable there. */
static bool check_target(const struct config *cfg, const char *dst, bool dir, struct loc loc,
                         const char *key, struct diag *d)
{
        if (under_own_mount(&cfg->mounts, dst))
                return true;
        int fd = open_in_root(cfg->rootfs.fd, dst, 0);
        if (fd >= 0) {
                struct stat st;
                bool is_dir = fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
                close(fd);
                if (is_dir != dir)
                        return diag_error_at(d, loc, "mounts", key, "%s is %s in the rootfs", dst,
                                             dir ? "not a directory" : "a directory");
                return true;
        }
        /* Missing: the nearest existing ancestor must be writable by us. */
        char parent[PATH_MAX];
        snprintf(parent, sizeof(parent), "%s", dst);
        for (;;) {
                char *slash = strrchr(parent, '/');
                if (slash == parent)
                        parent[1] = '\0';
                else
                        *slash = '\0';
                fd = open_in_root(cfg->rootfs.fd, parent, O_DIRECTORY);
                if (fd >= 0 || !strcmp(parent, "/"))
                        break;
        }
        bool writable = fd >= 0 && faccessat(fd, ".", W_OK, 0) == 0;
        if (fd >= 0)
                close(fd);
        if (!writable)
                return diag_error_at(d, loc, "mounts", key,
                                     "%s does not exist in the rootfs, and qrun cannot create it "
                                     "there (%s is not writable): create it in the image",
                                     dst, parent);
        return true;
}

static bool check_source(const struct bind_mount *b, bool *is_dir, const char *key, struct diag *d)
{
        struct stat st;
        if (stat(b->src, &st) < 0)
                return diag_error_at(d, b->loc, "mounts", key, "%s: %s", b->src, strerror(errno));
        *is_dir = S_ISDIR(st.st_mode);
        return true;
}

/* home and workdir become binds of the caller's directory at the same path. */
static void add_own_bind(struct mounts_config *m, const char *path, struct loc loc, const char *key)
{
        m->binds = xrealloc(m->binds, (m->nbinds + 1) * sizeof(*m->binds));
        m->binds[m->nbinds++] = (struct bind_mount){xstrdup(path), xstrdup(path), false, loc, key};
}

static bool check_step(const struct config *cfg, const struct mount_step *step, struct diag *d)
{
        const struct bind_mount *b = step->what;
        bool is_dir = false;
        switch (step->kind) {
        case STEP_PROC:
                return check_target(cfg, "/proc", true, step->loc, "proc", d);
        case STEP_DEV:
                return check_target(cfg, "/dev", true, step->loc, "dev", d);
        case STEP_TMPFS:
                return check_target(cfg, step->dst, true, step->loc, "tmpfs", d);
        case STEP_BIND:
                return check_source(b, &is_dir, b->key, d) &&
                       check_target(cfg, b->dst, is_dir, b->loc, b->key, d);
        }
        return false;
}

static bool validate_mounts(struct config *cfg, struct diag *d)
{
        struct mounts_config *m = &cfg->mounts;
        if (!m->enabled)
                return true;
        bool ok = true;
        if (m->proc && !cfg->ns.pid)
                ok = diag_error_at(d, m->proc_loc, "mounts", "proc",
                                   "a new /proc needs a pid namespace ([namespaces] pid = true)");
        if (m->shm_size && m->dev != DEV_MINIMAL)
                ok = diag_error_at(d, m->shm_loc, "mounts", "shm_size",
                                   "needs dev = minimal (it sizes /dev/shm)");
        if (m->home) {
                const char *home = getenv("HOME");
                struct stat st;
                if (!home || home[0] != '/' || stat(home, &st) < 0 || !S_ISDIR(st.st_mode))
                        ok = diag_error_at(d, m->home_loc, "mounts", "home",
                                           "$HOME is not set to an existing directory");
                else
                        add_own_bind(m, home, m->home_loc, "home");
        }
        if (m->workdir) {
                char cwd[PATH_MAX];
                if (cfg->process.cwd_loc.file)
                        ok = diag_error_at(d, m->workdir_loc, "mounts", "workdir",
                                           "workdir = true sets the working directory: remove "
                                           "[process] cwd");
                else if (!getcwd(cwd, sizeof(cwd)))
                        ok = diag_error_at(d, m->workdir_loc, "mounts", "workdir", "%s",
                                           strerror(errno));
                else {
                        add_own_bind(m, cwd, m->workdir_loc, "workdir");
                        free(cfg->process.cwd);
                        cfg->process.cwd = xstrdup(cwd);
                }
        }
        if (cfg->rootfs.fd < 0)
                return false; /* [rootfs] already reported */
        struct stat st;
        if (fstat(cfg->rootfs.fd, &st) == 0) {
                m->rootfs_dev = st.st_dev;
                m->rootfs_ino = st.st_ino;
        }
        size_t n;
        struct mount_step *steps = collect_steps(m, &n, compare_lines);
        for (size_t i = 0; i < n; i++)
                ok = check_step(cfg, &steps[i], d) && ok;
        free(steps);
        return ok;
}

static bool in_use(const struct config *cfg)
{
        return cfg->mounts.enabled;
}

const struct section_def mounts_section = {"mounts",        mounts_keys, ARRAY_SIZE(mounts_keys),
                                           validate_mounts, enable,      in_use};

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

/* ---- building the tree (in the container's first process) ---- */

struct place {
        struct loc loc;
        const char *key;
};

__attribute__((format(printf, 3, 4))) _Noreturn static void mount_failed(struct place at, int err,
                                                                         const char *fmt, ...)
{
        char where[512], what[PATH_MAX + 64];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(what, sizeof(what), fmt, ap);
        va_end(ap);
        fail(EXIT_QRUN_FAILED, NULL, err, "%s: [mounts] %s: %s",
             loc_format(at.loc, where, sizeof(where)), at.key, what);
}

/* An O_PATH descriptor of path inside the tree, created (as a directory, or
 * as an empty file to bind a file onto) if missing. */
static int target(int rootfd, const char *path, bool dir, struct place at)
{
        int fd = open_in_root(rootfd, path, 0);
        if (fd >= 0)
                return fd;
        if (errno != ENOENT)
                mount_failed(at, errno, "%s", path);
        char parent[PATH_MAX];
        snprintf(parent, sizeof(parent), "%s", path);
        char *slash = strrchr(parent, '/');
        const char *name = path + (slash - parent) + 1;
        if (slash == parent)
                parent[1] = '\0';
        else
                *slash = '\0';
        int pfd = target(rootfd, parent, true, at);
        int rc;
        if (dir) {
                rc = mkdirat(pfd, name, 0755);
        } else {
                int file = openat(pfd, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
                rc = file < 0 ? -1 : close(file);
        }
        if (rc < 0 && errno != EEXIST)
                mount_failed(at, errno, "unable to create %s in the rootfs", path);
        close(pfd);
        fd = open_in_root(rootfd, path, 0);
        if (fd < 0)
                mount_failed(at, errno, "%s", path);
        return fd;
}

/* Attaches the detached mount mnt at dirfd/name (name "" for dirfd itself). */
static void attach(int mnt, int dirfd, const char *name, struct place at, const char *path)
{
        unsigned flags = MOVE_MOUNT_F_EMPTY_PATH | (*name ? 0 : MOVE_MOUNT_T_EMPTY_PATH);
        if (syscall(SYS_move_mount, mnt, "", dirfd, name, flags) < 0)
                mount_failed(at, errno, "unable to mount on %s", path);
        close(mnt);
}

/* A detached copy of the host's tree at src, with attributes set recursively
 * before anyone can see it. */
static int clone_tree(const char *src, uint64_t attrs, struct place at)
{
        int mnt = (int)syscall(SYS_open_tree, AT_FDCWD, src,
                               OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
        if (mnt < 0)
                mount_failed(at, errno, "unable to bind %s", src);
        struct mount_attr attr = {.attr_set = attrs};
        if (attrs && syscall(SYS_mount_setattr, mnt, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr,
                             sizeof(attr)) < 0)
                mount_failed(at, errno, "unable to make %s nosuid/nodev/read-only", src);
        return mnt;
}

/* A new detached file system: type with "key=value" options. */
static int new_fs(const char *type, const char *const *options, uint64_t attrs, struct place at)
{
        int fs = (int)syscall(SYS_fsopen, type, FSOPEN_CLOEXEC);
        if (fs < 0)
                mount_failed(at, errno, "unable to create a %s file system", type);
        for (; options && *options; options++) {
                char key[32];
                const char *eq = strchr(*options, '=');
                snprintf(key, sizeof(key), "%.*s", (int)(eq - *options), *options);
                if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, key, eq + 1, 0) < 0)
                        mount_failed(at, errno, "%s: bad option", *options);
        }
        if (syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                mount_failed(at, errno, "unable to create a %s file system", type);
        int mnt = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, attrs);
        if (mnt < 0)
                mount_failed(at, errno, "unable to mount a %s file system", type);
        close(fs);
        return mnt;
}

static void mount_proc(int rootfd, const struct mounts_config *m)
{
        struct place at = {m->proc_loc, "proc"};
        int mnt =
            new_fs("proc", NULL, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, at);
        attach(mnt, target(rootfd, "/proc", true, at), "", at, "/proc");
}

/* /dev: a tmpfs with the host's harmless devices bound in, a private devpts,
 * and the usual links. /dev/shm is a directory of that same tmpfs, sized by
 * shm_size: one file system less to create and destroy at every launch (the
 * rest of /dev holds only empty mount points, directories and symlinks, which
 * take no space in a tmpfs). */
static void mount_dev(int rootfd, const struct mounts_config *m)
{
        static const char *const devices[] = {"null", "zero", "full", "random", "urandom", "tty"};
        static const char *const links[][2] = {{"fd", "/proc/self/fd"},
                                               {"stdin", "/proc/self/fd/0"},
                                               {"stdout", "/proc/self/fd/1"},
                                               {"stderr", "/proc/self/fd/2"},
                                               {"ptmx", "pts/ptmx"}};
        struct place at = {m->dev_loc, "dev"};
        char size[48];
        snprintf(size, sizeof(size), "size=%llu", (unsigned long long)m->shm_size);
        const char *dev_opts[] = {"mode=0755", m->shm_size ? size : NULL, NULL};
        int dev =
            new_fs("tmpfs", dev_opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, at);
        for (size_t i = 0; i < ARRAY_SIZE(devices); i++) {
                int fd = openat(dev, devices[i], O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0666);
                if (fd < 0)
                        mount_failed(at, errno, "unable to create /dev/%s", devices[i]);
                close(fd);
                char host[32];
                snprintf(host, sizeof(host), "/dev/%s", devices[i]);
                attach(clone_tree(host, 0, at), dev, devices[i], at, host);
        }
        /* mkdirat applies the umask: set the sticky, world-writable mode after. */
        if (mkdirat(dev, "pts", 0755) < 0 || mkdirat(dev, "shm", 0700) < 0 ||
            fchmodat(dev, "shm", 01777, 0) < 0)
                mount_failed(at, errno, "unable to create /dev/pts and /dev/shm");
        const char *pts_opts[] = {"ptmxmode=0666", "mode=0620", NULL};
        attach(new_fs("devpts", pts_opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, at), dev, "pts",
               at, "/dev/pts");
        for (size_t i = 0; i < ARRAY_SIZE(links); i++)
                if (symlinkat(links[i][1], dev, links[i][0]) < 0)
                        mount_failed(at, errno, "unable to create /dev/%s", links[i][0]);
        int dst = target(rootfd, "/dev", true, at);
        attach(dev, dst, "", at, "/dev");
}

static void mount_tmpfs(int rootfd, const struct tmpfs_mount *t)
{
        struct place at = {t->loc, "tmpfs"};
        char size[48];
        snprintf(size, sizeof(size), "size=%llu", (unsigned long long)t->size);
        const char *opts[] = {"mode=1777", t->size ? size : NULL, NULL};
        int mnt = new_fs("tmpfs", opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, at);
        attach(mnt, target(rootfd, t->dst, true, at), "", at, t->dst);
}

static void mount_bind(int rootfd, const struct bind_mount *b)
{
        struct place at = {b->loc, b->key};
        struct stat st;
        if (stat(b->src, &st) < 0)
                mount_failed(at, errno, "%s", b->src);
        uint64_t attrs = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (b->ro ? MOUNT_ATTR_RDONLY : 0);
        int mnt = clone_tree(b->src, attrs, at);
        attach(mnt, target(rootfd, b->dst, S_ISDIR(st.st_mode), at), "", at, b->dst);
}

static void mount_in_order(int root, const struct mounts_config *m)
{
        size_t n;
        struct mount_step *steps = collect_steps(m, &n, compare_depths);
        for (size_t i = 0; i < n; i++) {
                switch (steps[i].kind) {
                case STEP_PROC:
                        mount_proc(root, m);
                        break;
                case STEP_DEV:
                        mount_dev(root, m);
                        break;
                case STEP_TMPFS:
                        mount_tmpfs(root, steps[i].what);
                        break;
                case STEP_BIND:
                        mount_bind(root, steps[i].what);
                        break;
                }
        }
        free(steps);
}

/* The rootfs as this mount namespace sees it: reopened by path (a descriptor
 * from before the namespace belongs to the host's mounts), and refused unless
 * it is the very directory validation opened. */
static int reopen_rootfs(const struct config *cfg)
{
        int fd = open(cfg->rootfs.path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0)
                fail(EXIT_QRUN_FAILED, "mounts", errno, "unable to open %s", cfg->rootfs.path);
        if (st.st_dev != cfg->mounts.rootfs_dev || st.st_ino != cfg->mounts.rootfs_ino)
                fail(EXIT_QRUN_FAILED, "mounts", 0,
                     "%s changed while qrun was starting (a path component was replaced)",
                     cfg->rootfs.path);
        return fd;
}

void mounts_enter(const struct mounts_config *m, const struct config *cfg, const char *cwd,
                  struct loc cwd_loc)
{
        uint64_t started = step_start();
        /* Here, not with the other namespaces: the monitor stays outside and
         * keeps the host's view (pivot_root moves every process of the mount
         * namespace whose root is the old root). */
        if (unshare(CLONE_NEWNS) < 0)
                fail(EXIT_QRUN_FAILED, "mounts", errno, "unable to create a mount namespace");
        /* Nothing done here may reach the host's mounts. */
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                fail(EXIT_QRUN_FAILED, "mounts", errno, "unable to make the mounts private");
        /* The rootfs, cloned and mounted onto itself: the new root. */
        int dir = reopen_rootfs(cfg);
        int root = (int)syscall(SYS_open_tree, dir, "",
                                OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
        if (root < 0 || syscall(SYS_move_mount, root, "", dir, "",
                                MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                fail(EXIT_QRUN_FAILED, "mounts", errno, "unable to mount %s onto itself",
                     cfg->rootfs.path);
        close(dir);
        mount_in_order(root, m);
        /* pivot_root(".", ".") stacks the old root on the new one; detaching
         * it leaves no way back to the host's files. */
        if (fchdir(root) < 0 || syscall(SYS_pivot_root, ".", ".") < 0 ||
            umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
                fail(EXIT_QRUN_FAILED, "mounts", errno, "unable to pivot_root into %s",
                     cfg->rootfs.path);
        close(root);
        close(cfg->rootfs.fd);
        if (chdir(cwd) < 0) {
                char where[512];
                fail(EXIT_QRUN_FAILED, NULL, errno, "%s: [process] cwd: %s",
                     loc_format(cwd_loc.file ? cwd_loc : (struct loc){cfg->manifest_path, 0}, where,
                                sizeof(where)),
                     cwd);
        }
        verbose_step("mounts", started, "pivot_root into %s: %zu binds, %zu tmpfs%s%s",
                     cfg->rootfs.path, m->nbinds, m->ntmpfs, m->proc ? ", /proc" : "",
                     m->dev == DEV_MINIMAL ? ", /dev" : "");
}
