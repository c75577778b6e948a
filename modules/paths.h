/* Paths: making a manifest's relative paths absolute, opening a path as the
 * container will see it, and walking a PATH list. Helpers only: they return
 * NULL or -1 with errno, and the caller reports. */
#ifndef QRUN_PATHS_H
#define QRUN_PATHS_H

#include <stdbool.h>
#include <stddef.h>

/* path itself if absolute, else base_dir/path (base_dir NULL: the current
 * directory). Caller frees; NULL with errno if the current directory is gone. */
char *path_absolute(const char *base_dir, const char *path);

/* The absolute directory that holds file. Caller frees; NULL with errno. */
char *path_dir_absolute(const char *file);

/* An O_PATH descriptor (plus flags, e.g. O_DIRECTORY) of path as a process
 * whose root is rootfd sees it: openat2(RESOLVE_IN_ROOT), so ".." and symlinks,
 * absolute ones included, never leave rootfd. -1 with errno. */
int path_open_in_root(int rootfd, const char *path, int flags);

/* The same, opened for reading (not O_PATH); non-blocking, so that a FIFO
 * planted in an image cannot hang the reader. */
int path_open_file_in_root(int rootfd, const char *path);

/* True if path lies strictly below dir ("/a/b" below "/a"; never below "/"). */
bool path_is_below(const char *path, const char *dir);

/* Walks a PATH-style list as execvp does: each call writes the next candidate
 * "DIR/name" ("name" for an empty entry) into buf and returns true, false after
 * the last (*list is then NULL). Candidates longer than size are skipped. */
bool path_search_next(const char **list, const char *name, char *buf, size_t size);

#endif
