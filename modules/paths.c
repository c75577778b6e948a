#define _GNU_SOURCE
#include "paths.h"
#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

char *path_absolute(const char *base_dir, const char *path)
{
        if (path[0] == '/')
                return xstrdup(path);
        char cwd[PATH_MAX];
        if (!base_dir) {
                if (!getcwd(cwd, sizeof(cwd)))
                        return NULL;
                base_dir = cwd;
        }
        return xasprintf("%s/%s", base_dir, path);
}

char *path_dir_absolute(const char *file)
{
        const char *slash = strrchr(file, '/');
        char cwd[PATH_MAX];
        if (!slash)
                return getcwd(cwd, sizeof(cwd)) ? xstrdup(cwd) : NULL;
        if (slash == file)
                return xstrdup("/");
        char *dir = xasprintf("%.*s", (int)(slash - file), file);
        char *abs = path_absolute(NULL, dir);
        free(dir);
        return abs;
}

int path_open_in_root(int rootfd, const char *path, int flags)
{
        struct open_how how = {.flags = (uint64_t)(flags | O_PATH | O_CLOEXEC),
                               .resolve = RESOLVE_IN_ROOT};
        return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
}

int path_open_file_in_root(int rootfd, const char *path)
{
        struct open_how how = {.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
                               .resolve = RESOLVE_IN_ROOT};
        return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
}

bool path_is_below(const char *path, const char *dir)
{
        size_t n = strlen(dir);
        return n > 1 && !strncmp(path, dir, n) && path[n] == '/';
}

bool path_search_next(const char **list, const char *name, char *buf, size_t size)
{
        while (*list) {
                const char *dir = *list;
                size_t len = strcspn(dir, ":");
                /* An empty entry means the current directory, except a trailing one. */
                *list = dir[len] == ':' && dir[len + 1] ? dir + len + 1 : NULL;
                /* By hand: the command's PATH search runs this, and snprintf's
                 * frame would take it onto a new stack page (process_exec). */
                size_t name_len = strlen(name), slash = len ? 1 : 0;
                if (len + slash + name_len < size) {
                        memcpy(buf, dir, len);
                        memcpy(buf + len, "/", slash);
                        memcpy(buf + len + slash, name, name_len + 1);
                        return true;
                }
        }
        return false;
}
