/* Extracting one tar stream (an image layer, or a whole rootfs tarball) into a
 * directory tree, safely and as an unprivileged user:
 *
 * - names are relative to the tree: an absolute name or a ".." component is
 *   refused; every parent directory is opened with openat2(RESOLVE_IN_ROOT),
 *   so a symlink planted by an earlier entry or layer is followed as the
 *   container would follow it, inside the tree, never out of it; the last
 *   component is never followed (an existing entry is replaced, not written
 *   through); a hardlink's target is resolved the same way;
 * - layer whiteouts: ".wh.NAME" deletes NAME from the layers below,
 *   ".wh..wh..opq" empties its directory of what the layers below put there;
 *   what the layer itself put there stays (its files; its directories, and
 *   those above its entries, lose only what the layers below put in them);
 *   whiteout files themselves never appear in the tree, and a whiteout of
 *   "." or "..", or one used as a directory, is refused;
 * - device nodes, FIFOs and sockets are skipped and counted; setuid, setgid
 *   and sticky bits are dropped from files; directories get u+rwx and files
 *   u+rw (so the user can always delete the tree); owners are the user's;
 *   extended attributes are ignored.
 *
 * Functions return -1 with errno and say what failed in x->failure. */
#ifndef QRUN_LAYER_H
#define QRUN_LAYER_H

#include "fail.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct archive;

/* What was skipped, for one summary warning per import. */
struct layer_skipped {
        uint64_t count;
        char first[3][128]; /* the first few paths */
};

/* The paths one layer created, to tell them from the layers below (an
 * opaque directory keeps what its own layer put there). */
struct path_set {
        size_t *slots; /* offset into pool + 1; 0: empty */
        size_t cap, len;
        char *pool; /* the strings, one buffer reused by every layer */
        size_t pool_len, pool_cap;
};

struct extract {
        int rootfd;              /* the tree: an O_PATH | O_DIRECTORY descriptor */
        bool whiteouts;          /* image layers: apply .wh. entries */
        const char *what;        /* for messages: "layer 2", "rootfs.tar" */
        struct path_set created; /* what this layer made */
        struct path_set above;   /* the directories above what this layer made */
        struct layer_skipped skipped;
        uint64_t entries;
        struct failure failure; /* what failed, when a function returns -1 */
};

/* Reads every entry of the open archive a and applies it to x->rootfd.
 * Returns 0, or -1 with errno (0 for a malformed archive) and x->failure set. */
int layer_extract(struct archive *a, struct extract *x);

/* Makes sure the directory name (inside the tree, "/" allowed in front)
 * exists, creating it and its parents as needed. */
int layer_ensure_dir(struct extract *x, const char *name);

/* Removes name in dirfd, recursively, never following symlinks. */
int remove_tree(int dirfd, const char *name);

/* Frees what layer_extract kept in x (not rootfd). */
void extract_free(struct extract *x);

#endif
