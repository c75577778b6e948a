#define _GNU_SOURCE
#include "layer.h"
#include "common.h"
#include "paths.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define WHITEOUT_PREFIX ".wh."
#define OPAQUE_MARKER   ".wh..wh..opq"

/* A path in the tree with one more name after it (whiteouts build these). */
#define PATH_BUF (PATH_MAX + NAME_MAX + 2)

/* ---- names ---- */

/* The entry's name relative to the tree: "./" and empty components dropped.
 * An absolute name or a ".." component is refused: no legitimate layer has
 * one, and a hostile one would aim outside the tree. "" is the tree itself. */
static int clean_name(struct extract *x, const char *name, char *out, size_t size)
{
        if (name[0] == '/') {
                errno = 0;
                return failure(&x->failure, "%s: refusing the absolute name \"%s\"", x->what, name);
        }
        size_t len = 0;
        for (const char *p = name; *p;) {
                size_t n = strcspn(p, "/");
                if (n == 2 && p[0] == '.' && p[1] == '.') {
                        errno = 0;
                        return failure(&x->failure, "%s: refusing \"%s\": it has a .. component",
                                       x->what, name);
                }
                if (n && !(n == 1 && p[0] == '.')) {
                        if (len + n + 2 > size) {
                                errno = ENAMETOOLONG;
                                return failure(&x->failure, "%s: %.100s...", x->what, name);
                        }
                        if (len)
                                out[len++] = '/';
                        memcpy(out + len, p, n);
                        len += n;
                }
                p += n + (p[n] == '/');
        }
        out[len] = '\0';
        return 0;
}

/* Splits a clean name into its parent ("" for the top) and last component. */
static const char *split_parent(char *path)
{
        char *slash = strrchr(path, '/');
        if (!slash) {
                memmove(path + 1, path, strlen(path) + 1);
                path[0] = '\0';
                return path + 1;
        }
        *slash = '\0';
        return slash + 1;
}

/* ---- the set of paths this layer created ---- */

static size_t hash_path(const char *s)
{
        size_t h = 14695981039346656037u;
        for (; *s; s++)
                h = (h ^ (unsigned char)*s) * 1099511628211u;
        return h;
}

static const char *slot_path(const struct path_set *s, size_t slot)
{
        return s->pool + s->slots[slot] - 1;
}

static void path_set_grow(struct path_set *s)
{
        size_t cap = s->cap ? s->cap * 2 : 1024;
        size_t *slots = xmalloc(cap * sizeof(*slots));
        memset(slots, 0, cap * sizeof(*slots));
        for (size_t i = 0; i < s->cap; i++) {
                if (!s->slots[i])
                        continue;
                size_t h = hash_path(slot_path(s, i)) & (cap - 1);
                while (slots[h])
                        h = (h + 1) & (cap - 1);
                slots[h] = s->slots[i];
        }
        free(s->slots);
        s->slots = slots;
        s->cap = cap;
}

static bool path_set_has(const struct path_set *s, const char *path)
{
        if (!s->cap)
                return false;
        for (size_t h = hash_path(path) & (s->cap - 1); s->slots[h]; h = (h + 1) & (s->cap - 1))
                if (!strcmp(slot_path(s, h), path))
                        return true;
        return false;
}

static void path_set_add(struct path_set *s, const char *path)
{
        if (path_set_has(s, path))
                return;
        if ((s->len + 1) * 2 > s->cap)
                path_set_grow(s);
        size_t n = strlen(path) + 1;
        if (s->pool_len + n > s->pool_cap) {
                s->pool_cap = (s->pool_len + n) * 2;
                s->pool = xrealloc(s->pool, s->pool_cap);
        }
        memcpy(s->pool + s->pool_len, path, n);
        size_t h = hash_path(path) & (s->cap - 1);
        while (s->slots[h])
                h = (h + 1) & (s->cap - 1);
        s->slots[h] = s->pool_len + 1;
        s->pool_len += n;
        s->len++;
}

static void path_set_clear(struct path_set *s)
{
        if (s->cap)
                memset(s->slots, 0, s->cap * sizeof(*s->slots));
        s->len = 0;
        s->pool_len = 0;
}

static void path_set_free(struct path_set *s)
{
        free(s->slots);
        free(s->pool);
        *s = (struct path_set){0};
}

/* parent/name into out (name alone at the top); -1 with ENAMETOOLONG. */
static int join(char *out, size_t size, const char *parent, const char *name)
{
        int n = snprintf(out, size, "%s%s%s", parent, *parent ? "/" : "", name);
        if (n < 0 || (size_t)n >= size) {
                errno = ENAMETOOLONG;
                return -1;
        }
        return 0;
}

/* ---- the tree ---- */

/* Removes every entry of the directory fd but its subdirectories, and names
 * one of those in sub: 1 if there is one, 0 if the directory is empty now. */
static int unlink_entries(int fd, char sub[NAME_MAX + 1])
{
        int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
        DIR *dir = dup_fd < 0 ? NULL : fdopendir(dup_fd);
        if (!dir) {
                if (dup_fd >= 0)
                        close_keep_errno(dup_fd);
                return -1;
        }
        int rc = 0;
        struct dirent *e;
        while (rc == 0 && (errno = 0, e = readdir(dir))) {
                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                        continue;
                if (unlinkat(fd, e->d_name, 0) == 0 || errno == ENOENT)
                        continue;
                if (errno != EISDIR && errno != EPERM) /* Linux says EISDIR for a directory */
                        rc = -1;
                else
                        rc = 1, snprintf(sub, NAME_MAX + 1, "%s", e->d_name);
        }
        if (rc == 0 && errno)
                rc = -1;
        int err = errno;
        closedir(dir);
        errno = err;
        return rc;
}

/* One directory on the way down from the top of remove_tree. */
struct tree_level {
        dev_t dev;
        ino_t ino;
        char name[NAME_MAX + 1]; /* of the directory below it, being emptied */
};

/* Enters the subdirectory sub of *fd in its place, noting *fd in level. */
static int descend(int *fd, const char *sub, struct tree_level *level)
{
        struct stat st;
        if (fstat(*fd, &st) < 0)
                return -1;
        int child = openat(*fd, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (child < 0)
                return -1;
        *level = (struct tree_level){.dev = st.st_dev, .ino = st.st_ino};
        snprintf(level->name, sizeof(level->name), "%s", sub);
        close(*fd);
        *fd = child;
        return 0;
}

/* Leaves the (empty) directory fd for its parent, which must be the one it
 * was entered from, and removes it there. Returns the parent, or -1. */
static int climb(int fd, const struct tree_level *up)
{
        int parent = openat(fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        close_keep_errno(fd);
        if (parent < 0)
                return -1;
        struct stat st;
        int rc = fstat(parent, &st);
        if (rc == 0 && (st.st_dev != up->dev || st.st_ino != up->ino)) {
                errno = ESTALE; /* the tree moved while it was removed */
                rc = -1;
        }
        if (rc == 0)
                rc = unlinkat(parent, up->name, AT_REMOVEDIR);
        if (rc < 0) {
                close_keep_errno(parent);
                return -1;
        }
        return parent;
}

/* Empties the directory fd (and closes it), never following symlinks, with
 * one descriptor open whatever the depth: a subdirectory is entered in place
 * of its parent and left through "..", so that a tree deeper than the
 * descriptor limit (a hostile layer can nest thousands of levels) still goes. */
static int empty_dir(int fd)
{
        struct tree_level *levels = NULL;
        size_t depth = 0, cap = 0;
        char sub[NAME_MAX + 1];
        int rc;
        while ((rc = unlink_entries(fd, sub)) >= 0) {
                if (rc == 1) {
                        if (depth == cap)
                                levels =
                                    xrealloc(levels, (cap = cap ? 2 * cap : 64) * sizeof(*levels));
                        if (descend(&fd, sub, &levels[depth]) < 0) {
                                rc = -1;
                                break;
                        }
                        depth++;
                } else if (depth == 0) {
                        break; /* the top is empty */
                } else if ((fd = climb(fd, &levels[--depth])) < 0) {
                        rc = -1;
                        break;
                }
        }
        if (fd >= 0)
                close_keep_errno(fd);
        free(levels);
        return rc;
}

int remove_tree(int dirfd, const char *name)
{
        if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
                return 0;
        if (errno != EISDIR && errno != EPERM) /* Linux says EISDIR for a directory */
                return -1;
        int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 || empty_dir(fd) < 0)
                return -1;
        return unlinkat(dirfd, name, AT_REMOVEDIR);
}

/* The directory at path (clean, "" for the top), which must exist; symlinks
 * on the way resolve inside the tree. */
static int find_dir(struct extract *x, const char *path)
{
        int fd = path_open_in_root(x->rootfd, *path ? path : ".", O_DIRECTORY);
        return fd >= 0 ? fd : failure(&x->failure, "%s: %s", x->what, *path ? path : "/");
}

/* Makes the directory name in fd (prefix: its path in the tree) and opens
 * it; closes fd. Something already there (a dangling symlink) resolves inside
 * the tree, as every parent does. */
static int make_child_dir(struct extract *x, int fd, const char *prefix, const char *name)
{
        int child = -1;
        if (mkdirat(fd, name, 0755) == 0)
                child = openat(fd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        else if (errno == EEXIST)
                child = path_open_in_root(x->rootfd, prefix, O_DIRECTORY);
        close_keep_errno(fd);
        if (child < 0)
                return failure(&x->failure, "%s: unable to create the directory %s", x->what,
                               prefix);
        return child;
}

/* The directory at path (clean, "" for the top), created with its parents if
 * missing; symlinks on the way resolve inside the tree. The deepest one that
 * exists is found first, then the rest are made one level at a time below
 * it: no recursion, as a name may have 2,000 components. */
static int open_dir(struct extract *x, const char *path)
{
        char prefix[PATH_MAX];
        size_t len = strlen(path), end = len;
        if (len >= sizeof(prefix)) {
                errno = ENAMETOOLONG;
                return failure(&x->failure, "%s: %.100s...", x->what, path);
        }
        memcpy(prefix, path, len + 1);
        int fd;
        while ((fd = path_open_in_root(x->rootfd, end ? prefix : ".", O_DIRECTORY)) < 0 &&
               errno == ENOENT && end) {
                char *slash = memrchr(prefix, '/', end);
                end = slash ? (size_t)(slash - prefix) : 0;
                prefix[end] = '\0';
        }
        if (fd < 0)
                return failure(&x->failure, "%s: %s", x->what, end ? prefix : "/");
        while (fd >= 0 && end < len) {
                size_t start = end ? end + 1 : 0;
                prefix[end] = path[end]; /* undo the cut */
                end = start + strcspn(path + start, "/");
                prefix[end] = '\0';
                fd = make_child_dir(x, fd, prefix, prefix + start);
        }
        return fd;
}

/* Makes room for a new entry at dirfd/name: an existing directory stays when
 * the new entry is one too (keep is then true); anything else is removed. */
static int make_room(struct extract *x, int dirfd, const char *name, bool dir, bool *keep)
{
        struct stat st;
        *keep = false;
        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : failure(&x->failure, "%s: %s", x->what, name);
        if (dir && S_ISDIR(st.st_mode)) {
                *keep = true;
                return 0;
        }
        if (remove_tree(dirfd, name) < 0)
                return failure(&x->failure, "%s: unable to replace %s", x->what, name);
        return 0;
}

/* ---- whiteouts ---- */

/* Notes path as this layer's, and the directories above it as holding
 * something of this layer's. */
static void note_created(struct extract *x, const char *path)
{
        path_set_add(&x->created, path);
        char dir[PATH_MAX];
        snprintf(dir, sizeof(dir), "%s", path);
        for (char *slash; (slash = strrchr(dir, '/'));) {
                *slash = '\0';
                if (path_set_has(&x->above, dir))
                        break; /* and so are the directories above it */
                path_set_add(&x->above, dir);
        }
}

/* The names in the directory path ("" for the top), into names. */
static int list_dir(struct extract *x, const char *path, struct strv *names)
{
        int pfd = find_dir(x, path);
        int fd = pfd < 0 ? -1 : openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (pfd >= 0)
                close(pfd);
        DIR *dir = fd < 0 ? NULL : fdopendir(fd);
        if (!dir) {
                if (fd >= 0)
                        close_keep_errno(fd);
                return failure(&x->failure, "%s: unable to read %s", x->what, *path ? path : "/");
        }
        struct dirent *e;
        while ((errno = 0, e = readdir(dir)))
                if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
                        strv_push(names, xstrdup(e->d_name));
        int err = errno;
        closedir(dir);
        errno = err;
        return err ? failure(&x->failure, "%s: unable to read %s", x->what, *path ? path : "/") : 0;
}

static int white_out(struct extract *x, char *path, size_t len);

/* Whatever the layers below put in the directory path goes (an opaque
 * directory). path is a buffer of PATH_BUF bytes, len its length; no
 * descriptor stays open across the recursion, which goes as deep as this
 * layer's names. */
static int purge_dir(struct extract *x, char *path, size_t len)
{
        struct strv names = {0};
        int rc = list_dir(x, path, &names);
        for (size_t i = 0; rc == 0 && i < names.len; i++) {
                size_t at = len ? len + 1 : 0, n = strlen(names.items[i]);
                if (at + n >= PATH_BUF) {
                        errno = ENAMETOOLONG;
                        rc = failure(&x->failure, "%s: %.100s...", x->what, path);
                        break;
                }
                if (len)
                        path[len] = '/';
                memcpy(path + at, names.items[i], n + 1);
                rc = white_out(x, path, at + n);
                path[len] = '\0';
        }
        strv_free(&names);
        return rc;
}

/* What the layers below put at path goes. What this layer made stays: its
 * files, and its directories and those above its entries lose only what the
 * layers below put in them. Nothing there: nothing to do. */
static int white_out(struct extract *x, char *path, size_t len)
{
        bool mine = path_set_has(&x->created, path), above = path_set_has(&x->above, path);
        char *slash = memrchr(path, '/', len);
        if (slash)
                *slash = '\0';
        int pfd = path_open_in_root(x->rootfd, slash ? path : ".", O_DIRECTORY);
        if (slash)
                *slash = '/';
        const char *base = slash ? slash + 1 : path;
        struct stat st;
        if (pfd < 0 || fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                int err = errno;
                if (pfd >= 0)
                        close(pfd);
                errno = err;
                return err == ENOENT || err == ENOTDIR
                           ? 0
                           : failure(&x->failure, "%s: %s", x->what, path);
        }
        int rc = 0;
        if (!mine && !above)
                rc = remove_tree(pfd, base);
        close_keep_errno(pfd);
        if (rc < 0)
                return failure(&x->failure, "%s: unable to remove %s", x->what, path);
        return (mine || above) && S_ISDIR(st.st_mode) ? purge_dir(x, path, len) : 0;
}

/* ".wh.NAME" in parent: NAME goes; ".wh..wh..opq": what the layers below put
 * in parent goes (parent itself is this layer's). */
static int apply_whiteout(struct extract *x, const char *parent, const char *base)
{
        char path[PATH_BUF];
        const char *victim = base + strlen(WHITEOUT_PREFIX);
        if (!strcmp(base, OPAQUE_MARKER)) {
                int fd = open_dir(x, parent);
                if (fd < 0)
                        return -1;
                close(fd);
                snprintf(path, sizeof(path), "%s", parent);
                return purge_dir(x, path, strlen(path));
        }
        if (!*victim || !strcmp(victim, ".") || !strcmp(victim, "..")) {
                errno = 0;
                return failure(&x->failure,
                               "%s: refusing the whiteout \"%s%s%s\": it names no file", x->what,
                               parent, *parent ? "/" : "", base);
        }
        if (join(path, sizeof(path), parent, victim) < 0)
                return failure(&x->failure, "%s: %s/%s", x->what, parent, base);
        return white_out(x, path, strlen(path));
}

/* True if a directory on path (clean) is named like a whiteout. */
static bool whiteout_on_path(const char *path)
{
        for (const char *p = path; *p; p += strcspn(p, "/"), p += *p == '/')
                if (!strncmp(p, WHITEOUT_PREFIX, strlen(WHITEOUT_PREFIX)))
                        return true;
        return false;
}

/* ---- entries ---- */

/* What an entry's mode becomes: no setuid, setgid or sticky bit on files
 * (they cannot work under no_new_privs, and nobody else owns them), and
 * always enough for the user to read, change and delete the tree. */
static mode_t safe_mode(mode_t perm, bool dir)
{
        return dir ? (perm & 01777) | 0700 : (perm & 0777) | 0600;
}

/* Copies the entry's data into fd, holes included (sparse entries). */
static int write_data(struct extract *x, struct archive *a, int fd, int64_t size)
{
        int64_t at = 0;
        for (;;) {
                const void *buf;
                size_t n;
                la_int64_t offset;
                int rc = archive_read_data_block(a, &buf, &n, &offset);
                if (rc == ARCHIVE_EOF)
                        break;
                if (rc < ARCHIVE_WARN) {
                        errno = 0;
                        return failure(&x->failure, "%s: %s", x->what, archive_error_string(a));
                }
                if (offset != at && lseek(fd, offset, SEEK_SET) < 0)
                        return failure(&x->failure, "%s: lseek", x->what);
                if (!write_all(fd, buf, n))
                        return failure(&x->failure, "%s: write", x->what);
                at = offset + (int64_t)n;
        }
        if (at < size && ftruncate(fd, size) < 0) /* a hole at the end */
                return failure(&x->failure, "%s: ftruncate", x->what);
        return 0;
}

static int add_file(struct extract *x, struct archive *a, struct archive_entry *e, int pfd,
                    const char *base)
{
        mode_t mode = safe_mode(archive_entry_perm(e), false);
        int fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
        if (fd < 0)
                return failure(&x->failure, "%s: unable to create %s", x->what,
                               archive_entry_pathname(e));
        int rc = write_data(x, a, fd, archive_entry_size(e));
        struct timespec times[2] = {{0, UTIME_OMIT}, {archive_entry_mtime(e), 0}};
        if (rc == 0 && futimens(fd, times) < 0)
                rc = failure(&x->failure, "%s: futimens %s", x->what, archive_entry_pathname(e));
        if (close(fd) < 0 && rc == 0) /* a full disk may only show here */
                rc = failure(&x->failure, "%s: close %s", x->what, archive_entry_pathname(e));
        return rc;
}

static int add_dir(struct extract *x, struct archive_entry *e, int pfd, const char *base,
                   bool exists)
{
        mode_t mode = safe_mode(archive_entry_perm(e), true);
        int rc = exists ? fchmodat(pfd, base, mode, 0) : mkdirat(pfd, base, mode);
        return rc < 0 ? failure(&x->failure, "%s: %s %s", x->what, exists ? "fchmodat" : "mkdirat",
                                archive_entry_pathname(e))
                      : 0;
}

/* A hard link to an earlier entry, found the way the container would find it:
 * its parent resolved inside the tree, its last component not followed. */
static int add_hardlink(struct extract *x, struct archive_entry *e, int pfd, const char *base)
{
        char target[PATH_MAX];
        if (clean_name(x, archive_entry_hardlink(e), target, sizeof(target)) < 0)
                return -1;
        const char *tbase = split_parent(target);
        int tfd = find_dir(x, target);
        int rc = tfd < 0 ? -1 : linkat(tfd, tbase, pfd, base, 0);
        if (tfd >= 0)
                close_keep_errno(tfd);
        return rc < 0 ? failure(&x->failure, "%s: unable to link %s to %s", x->what,
                                archive_entry_pathname(e), archive_entry_hardlink(e))
                      : 0;
}

/* libarchive gives NULL for a symlink entry without a target. */
static int add_symlink(struct extract *x, struct archive_entry *e, int pfd, const char *base)
{
        const char *target = archive_entry_symlink(e);
        if (!target || !*target) {
                errno = 0;
                return failure(&x->failure, "%s: the symlink %s has no target", x->what,
                               archive_entry_pathname(e));
        }
        if (symlinkat(target, pfd, base) < 0)
                return failure(&x->failure, "%s: unable to create the symlink %s", x->what,
                               archive_entry_pathname(e));
        return 0;
}

/* Devices, FIFOs and sockets: an unprivileged user cannot make devices, and
 * none of them belongs in an image. Counted for one warning at the end. */
static void skip_special(struct extract *x, const char *path)
{
        if (x->skipped.count < ARRAY_SIZE(x->skipped.first))
                snprintf(x->skipped.first[x->skipped.count], sizeof(x->skipped.first[0]), "/%.120s",
                         path);
        x->skipped.count++;
}

/* Creates the entry at pfd/base (after make_room). A hard link first: tar
 * stores no type for one, so libarchive reports type 0 unless it has data. */
static int create_entry(struct extract *x, struct archive *a, struct archive_entry *e, int pfd,
                        const char *base, bool keep)
{
        /* tar stores no type for a hard link: libarchive reports 0 unless the
         * entry carries data, so the link is recognised before the type */
        if (archive_entry_hardlink(e))
                return add_hardlink(x, e, pfd, base);
        switch (archive_entry_filetype(e)) {
        case AE_IFREG:
                return add_file(x, a, e, pfd, base);
        case AE_IFDIR:
                return add_dir(x, e, pfd, base, keep);
        case AE_IFLNK:
                return add_symlink(x, e, pfd, base);
        default:
                return 0; /* specials: skipped by apply_entry */
        }
}

/* The entry's type as make_room must know it: only a directory replaces a
 * directory in place. A hardlink entry reports the type of what it links. */
static bool is_dir_entry(struct archive_entry *e)
{
        return archive_entry_filetype(e) == AE_IFDIR && !archive_entry_hardlink(e);
}

static int apply_entry(struct extract *x, struct archive *a, struct archive_entry *e,
                       const char *name)
{
        char path[PATH_MAX];
        if (clean_name(x, name, path, sizeof(path)) < 0)
                return -1;
        if (!*path) /* the tree itself ("./"): its mode stays the user's */
                return 0;
        char parent[PATH_MAX];
        memcpy(parent, path, sizeof(parent));
        const char *base = split_parent(parent);
        if (x->whiteouts && whiteout_on_path(parent)) {
                errno = 0;
                return failure(&x->failure, "%s: refusing \"%s\": a whiteout cannot hold files",
                               x->what, name);
        }
        if (x->whiteouts && !strncmp(base, WHITEOUT_PREFIX, strlen(WHITEOUT_PREFIX)))
                return apply_whiteout(x, parent, base); /* whatever the entry's type */
        mode_t type = archive_entry_filetype(e);
        if (!archive_entry_hardlink(e) && type != AE_IFREG && type != AE_IFDIR &&
            type != AE_IFLNK) {
                skip_special(x, path);
                return 0;
        }
        int pfd = open_dir(x, parent);
        if (pfd < 0)
                return -1;
        bool keep;
        int rc = make_room(x, pfd, base, is_dir_entry(e), &keep);
        if (rc == 0)
                rc = create_entry(x, a, e, pfd, base, keep);
        close_keep_errno(pfd);
        if (rc == 0 && x->whiteouts)
                note_created(x, path);
        return rc;
}

/* The name libarchive decoded, or the raw UTF-8 one when the locale could not
 * take it (names are bytes on Linux). */
static const char *entry_name(struct archive_entry *e)
{
        const char *name = archive_entry_pathname(e);
        return name ? name : archive_entry_pathname_utf8(e);
}

int layer_extract(struct archive *a, struct extract *x)
{
        path_set_clear(&x->created);
        path_set_clear(&x->above);
        for (;;) {
                struct archive_entry *e;
                int rc = archive_read_next_header(a, &e);
                if (rc == ARCHIVE_EOF)
                        return 0;
                if (rc < ARCHIVE_WARN) {
                        errno = 0;
                        return failure(&x->failure, "%s: %s", x->what, archive_error_string(a));
                }
                const char *name = entry_name(e);
                if (!name) {
                        errno = 0;
                        return failure(&x->failure, "%s: an entry without a name", x->what);
                }
                if (apply_entry(x, a, e, name) < 0)
                        return -1;
                x->entries++;
        }
}

int layer_ensure_dir(struct extract *x, const char *name)
{
        char path[PATH_MAX];
        if (clean_name(x, name + (name[0] == '/'), path, sizeof(path)) < 0)
                return -1;
        int fd = open_dir(x, path);
        if (fd < 0)
                return -1;
        close(fd);
        return 0;
}

void extract_free(struct extract *x)
{
        path_set_free(&x->created);
        path_set_free(&x->above);
}
