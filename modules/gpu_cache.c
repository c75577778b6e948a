/* What [gpu] keeps in the user's runtime directory (rundir.c), so that its
 * costly work is done once per node instead of at every launch:
 *   gpu-ldcache-KEY  the driver libraries an ld.so.cache names (KEY: the
 *                    cache file's identity and qrun's list of names), read by
 *                    the resolve step instead of scanning the cache;
 *   gpu-KEY/         the library directory (KEY: all it holds): lib64's
 *                    links, each checked for this machine's ELF when made;
 *                    bin's mount points for the programs; .host/N, the mount
 *                    points of the libraries' directories. The container
 *                    binds it read-only at DIR (mount_tree.c), instead of
 *                    making a tmpfs and 40-odd links and ELF checks.
 * Both are made under a temporary name and renamed into place, so a launch
 * sees a whole one or none; a new driver (a new ld.so.cache) gets new ones.
 * qrun never removes them: a running container may be using one. */
#define _GNU_SOURCE
#include "common.h"
#include "fail.h"
#include "gpu.h"
#include "rundir.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define INDEX_MAGIC "qrun-gpu-index 1"
#define INDEX_MAX   65536

/* ---- the ld.so.cache index ---- */

static int open_index(uint64_t key)
{
        char path[PATH_MAX], dir[PATH_MAX - 64];
        rundir_path(dir, sizeof(dir));
        snprintf(path, sizeof(path), "%s/gpu-ldcache-%016llx", dir, (unsigned long long)key);
        return open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
}

/* One line "SRC\tNAME\n" as write_index() puts it (p: its start, tab and
 * end: its first tab and newline, NULL if none): SRC an absolute path, NAME
 * a file name (not empty, no '/' or second tab, not "." or "..": none
 * starting with a dot) as the scan takes them. */
static bool index_line_ok(const char *p, const char *tab, const char *end)
{
        if (!end || !tab || tab > end || *p != '/')
                return false;
        size_t n = (size_t)(end - tab - 1);
        return n > 0 && tab[1] != '.' && !memchr(tab + 1, '/', n) && !memchr(tab + 1, '\t', n);
}

/* Adds the libraries of index text (NUL-terminated lines). false, adding
 * nothing, if a line is malformed. */
static bool add_index_lines(struct gpu_config *g, char *text)
{
        for (char *p = text; *p; p = strchr(p, '\n') + 1)
                if (!index_line_ok(p, strchr(p, '\t'), strchr(p, '\n')))
                        return false;
        for (char *p = text; *p;) {
                char *tab = strchr(p, '\t'), *end = strchr(p, '\n');
                *tab = *end = '\0';
                gpu_add_library(g, p, tab + 1);
                p = end + 1;
        }
        return true;
}

/* The header line, exactly as write_index() puts it: the magic, one space,
 * the count of skipped entries in decimal (no sign, no leading zero), a
 * newline. The lines after it, or NULL. (sscanf would take other spaces, a
 * sign and a count wrapped around.) */
static char *index_header(char *text, unsigned *skipped)
{
        char *digits = text + strlen(INDEX_MAGIC " ");
        if (strncmp(text, INDEX_MAGIC " ", strlen(INDEX_MAGIC " ")) ||
            !isdigit((unsigned char)*digits) || (digits[0] == '0' && digits[1] != '\n'))
                return NULL;
        errno = 0;
        char *end;
        unsigned long v = strtoul(digits, &end, 10);
        if (errno || v > UINT_MAX || *end != '\n')
                return NULL;
        *skipped = (unsigned)v;
        return end + 1;
}

bool gpu_index_parse(struct gpu_config *g, char *text)
{
        unsigned skipped;
        char *lines = index_header(text, &skipped);
        if (!lines || !add_index_lines(g, lines))
                return false;
        g->ldcache_skipped = skipped;
        return true;
}

bool gpu_index_read(struct gpu_config *g)
{
        int fd = open_index(g->index_key);
        if (fd < 0)
                return false;
        struct stat st;
        char *text = NULL;
        ssize_t n = -1;
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == getuid() &&
            st.st_size < INDEX_MAX) {
                text = malloc((size_t)st.st_size + 1);
                n = text ? read(fd, text, (size_t)st.st_size + 1) : -1;
        }
        close(fd);
        bool ok = n > 0 && n == st.st_size; /* n: -1 when st was not filled */
        if (ok) {
                text[n] = '\0';
                ok = gpu_index_parse(g, text);
        }
        free(text);
        return ok;
}

/* gpu-ldcache-KEY, from the libraries the cache's scan found. Best effort:
 * without it the next launch scans the cache again. */
static void write_index(int dir, const struct gpu_config *g)
{
        char name[64], tmp[96];
        snprintf(name, sizeof(name), "gpu-ldcache-%016llx", (unsigned long long)g->index_key);
        snprintf(tmp, sizeof(tmp), "%s.%d", name, (int)getpid());
        int fd = openat(dir, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return;
        FILE *f = fdopen(fd, "w");
        if (!f) {
                close(fd);
                unlinkat(dir, tmp, 0);
                return;
        }
        bool ok = fprintf(f, INDEX_MAGIC " %u\n", g->ldcache_skipped) > 0;
        for (size_t i = 0; i < g->nbinds && ok; i++) {
                const struct gpu_bind *b = &g->binds[i];
                if (b->kind != GPU_LIBRARY)
                        continue;
                ok = !strpbrk(b->src, "\t\n") && !strpbrk(b->dst, "\t\n") &&
                     fprintf(f, "%s\t%s\n", b->src, b->dst) > 0;
        }
        ok = fclose(f) == 0 && ok;
        if (!ok || renameat(dir, tmp, dir, name) < 0)
                unlinkat(dir, tmp, 0);
}

/* ---- the library directory ---- */

#define DIR_LAYOUT "qrun-gpu-dir 1" /* changed with what make_dir() puts there */

/* Everything the directory holds, so that a different one gets another name. */
static uint64_t dir_key(const struct gpu_config *g)
{
        uint64_t h = fnv1a(0xcbf29ce484222325ULL, DIR_LAYOUT, sizeof(DIR_LAYOUT));
        h = fnv1a(h, g->dir, strlen(g->dir) + 1);
        for (size_t i = 0; i < g->host_dirs.len; i++)
                h = fnv1a(h, g->host_dirs.items[i], strlen(g->host_dirs.items[i]) + 1);
        for (size_t i = 0; i < g->nbinds; i++) {
                const struct gpu_bind *b = &g->binds[i];
                if (b->kind != GPU_LIBRARY && b->kind != GPU_PROGRAM && b->kind != GPU_LINK)
                        continue;
                int v[2] = {(int)b->kind, b->host_dir};
                h = fnv1a(h, v, sizeof(v));
                h = fnv1a(h, b->src, strlen(b->src) + 1);
                h = fnv1a(h, b->dst, strlen(b->dst) + 1);
        }
        return h;
}

/* lib64/NAME -> DIR/.host/N/FILE when FILE, opened beneath the host's
 * directory as the container will reach it through that directory's bind
 * (no absolute link, no way out by ..), is this machine's ELF. 1 when linked,
 * 0 when skipped, -1 on failure. */
static int link_library(int lib, const int *host, const struct gpu_config *g,
                        const struct gpu_bind *b, struct failure *e)
{
        const char *file = strrchr(b->src, '/') + 1;
        struct open_how how = {.flags = O_RDONLY | O_CLOEXEC, .resolve = RESOLVE_BENEATH};
        int fd = host[b->host_dir] < 0
                     ? -1
                     : (int)syscall(SYS_openat2, host[b->host_dir], file, &how, sizeof(how));
        bool native = fd >= 0 && gpu_elf_native(fd);
        if (fd >= 0)
                close(fd);
        if (!native)
                return 0;
        char target[PATH_MAX];
        if (snprintf(target, sizeof(target), "%s/.host/%d/%s", g->dir, b->host_dir, file) >=
            (int)sizeof(target)) {
                errno = ENAMETOOLONG;
                return failure(e, "%s/.host/%d/%s", g->dir, b->host_dir, file);
        }
        if (symlinkat(target, lib, b->dst) < 0 && errno != EEXIST)
                return failure(e, "unable to create the link lib64/%s", b->dst);
        return 1;
}

/* One entry of the directory: a link in lib64, or a mount point in bin.
 * 1 when made, 0 when skipped, -1 on failure. */
static int make_entry(int lib, int bin, const int *host, const struct gpu_config *g,
                      const struct gpu_bind *b, struct failure *e)
{
        if (b->kind == GPU_LIBRARY)
                return link_library(lib, host, g, b, e);
        if (b->kind == GPU_LINK && symlinkat(b->src, lib, b->dst) < 0 && errno != EEXIST)
                return failure(e, "unable to create the link lib64/%s", b->dst);
        if (b->kind == GPU_PROGRAM) {
                int fd = openat(bin, b->dst, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0444);
                if (fd < 0)
                        return failure(e, "unable to create bin/%s", b->dst);
                close(fd);
        }
        return 1;
}

/* lib64, bin and .host/0..N-1 in top; then the entries. */
static int fill_dir(int top, struct gpu_config *g, struct failure *e)
{
        int rc =
            mkdirat(top, "lib64", 0755) | mkdirat(top, "bin", 0755) | mkdirat(top, ".host", 0755);
        for (size_t i = 0; i < g->host_dirs.len && rc == 0; i++) {
                char name[32];
                snprintf(name, sizeof(name), ".host/%zu", i);
                rc = mkdirat(top, name, 0755);
        }
        if (rc < 0)
                return failure(e, "unable to create lib64, bin and .host");
        int lib = openat(top, "lib64", O_PATH | O_DIRECTORY | O_CLOEXEC);
        int bin = openat(top, "bin", O_PATH | O_DIRECTORY | O_CLOEXEC);
        int *host = calloc(g->host_dirs.len + 1, sizeof(*host));
        if (lib < 0 || bin < 0 || !host)
                rc = failure(e, "unable to open lib64 and bin");
        for (size_t i = 0; host && i < g->host_dirs.len; i++)
                host[i] = open(g->host_dirs.items[i], O_PATH | O_DIRECTORY | O_CLOEXEC);
        for (size_t i = 0; i < g->nbinds && rc == 0; i++) {
                const struct gpu_bind *b = &g->binds[i];
                if (b->kind != GPU_LIBRARY && b->kind != GPU_PROGRAM && b->kind != GPU_LINK)
                        continue;
                int made = make_entry(lib, bin, host, g, b, e);
                rc = made < 0 ? -1 : 0;
                g->dir_files += made == 1;
                g->dir_skipped += made == 0;
        }
        for (size_t i = 0; host && i < g->host_dirs.len; i++)
                if (host[i] >= 0)
                        close(host[i]);
        free(host);
        if (lib >= 0)
                close_keep_errno(lib);
        if (bin >= 0)
                close_keep_errno(bin);
        return rc;
}

/* Removes what fill_dir() made in dir/name (a temporary directory of ours:
 * files and links in lib64 and bin, empty directories in .host). */
static void remove_made(int dir, const char *name)
{
        static const char *const subdirs[] = {"lib64", "bin", ".host"};
        int top = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (top < 0)
                return;
        for (size_t i = 0; i < ARRAY_SIZE(subdirs); i++) {
                int fd = openat(top, subdirs[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                DIR *d = fd < 0 ? NULL : fdopendir(fd);
                if (!d) {
                        if (fd >= 0)
                                close(fd);
                        continue;
                }
                for (struct dirent *de; (de = readdir(d));)
                        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
                                unlinkat(fd, de->d_name, i == 2 ? AT_REMOVEDIR : 0);
                closedir(d);
                unlinkat(top, subdirs[i], AT_REMOVEDIR);
        }
        close(top);
        unlinkat(dir, name, AT_REMOVEDIR);
}

/* dir/name, made under a temporary name and renamed into place; another
 * launch's that got there first is as good. */
static int make_dir(int dir, const char *name, struct gpu_config *g, struct failure *e)
{
        char tmp[96];
        snprintf(tmp, sizeof(tmp), "%s.%d", name, (int)getpid());
        remove_made(dir, tmp); /* left by a launch of the same pid that was killed */
        if (mkdirat(dir, tmp, 0755) < 0)
                return failure(e, "unable to create %s in the runtime directory", tmp);
        int top = openat(dir, tmp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int rc = top < 0 ? failure(e, "%s", tmp) : fill_dir(top, g, e);
        if (top >= 0)
                close(top);
        g->dir_made = rc == 0 && renameat(dir, tmp, dir, name) == 0;
        if (rc == 0 && !g->dir_made && errno != EEXIST && errno != ENOTEMPTY)
                rc = failure(e, "unable to rename %s to %s in the runtime directory", tmp, name);
        int saved = errno;
        if (!g->dir_made)
                remove_made(dir, tmp);
        errno = saved;
        return rc;
}

int gpu_prepare(struct gpu_config *g, struct failure *e)
{
        if (!g->enabled || !gpu_has_dir_content(g))
                return 0;
        int dir = rundir_open(e);
        if (dir < 0)
                return -1;
        if (g->index_key && !g->index_read)
                write_index(dir, g);
        char name[64], path[PATH_MAX - 64];
        snprintf(name, sizeof(name), "gpu-%016llx", (unsigned long long)dir_key(g));
        struct stat st;
        int rc = 0;
        if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
                rc = make_dir(dir, name, g, e);
        close_keep_errno(dir);
        rundir_path(path, sizeof(path));
        g->made_dir = xasprintf("%s/%s", path, name);
        return rc;
}
