#define _GNU_SOURCE
#include "identity.h"
#include "common.h"
#include "paths.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define IDENTITY_MAX_FILE (1 << 20)

/* The third ':'-separated field of the line at p (ending at end), as a number;
 * false when there is none or it is not a number. */
static bool third_field(const char *p, const char *end, unsigned long *id)
{
        for (int colons = 0; colons < 2; p++) {
                if (p >= end)
                        return false;
                colons += *p == ':';
        }
        char *stop;
        if (p >= end || *p < '0' || *p > '9')
                return false;
        errno = 0;
        *id = strtoul(p, &stop, 10);
        return errno == 0 && stop < end && *stop == ':';
}

bool identity_has_id(const char *text, size_t len, unsigned long id)
{
        const char *p = text, *end = text + len;
        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                const char *line_end = nl ? nl : end;
                unsigned long found;
                if (*p != '#' && third_field(p, line_end, &found) && found == id)
                        return true;
                p = line_end + 1;
        }
        return false;
}

char *identity_add_line(const char *text, size_t len, unsigned long id, const char *line,
                        size_t *out_len)
{
        *out_len = 0;
        if (identity_has_id(text, len, id))
                return NULL;
        bool newline = len > 0 && text[len - 1] != '\n';
        size_t line_len = strlen(line);
        char *out = xmalloc(len + newline + line_len + 2);
        memcpy(out, text, len);
        size_t n = len;
        if (newline)
                out[n++] = '\n';
        memcpy(out + n, line, line_len);
        n += line_len;
        out[n++] = '\n';
        out[n] = '\0';
        *out_len = n;
        return out;
}

char *identity_passwd_line(const char *name, uid_t uid, gid_t gid, const char *home)
{
        return xasprintf("%s:x:%u:%u:%s:%s:/bin/sh", name, (unsigned)uid, (unsigned)gid, name,
                         home);
}

char *identity_group_line(const char *group, gid_t gid)
{
        return xasprintf("%s:x:%u:", group, (unsigned)gid);
}

char *identity_read(int rootfd, const char *path, size_t *len)
{
        int fd = path_open_file_in_root(rootfd, path);
        if (fd < 0)
                return NULL;
        struct stat st;
        char *text = NULL;
        if (fstat(fd, &st) < 0)
                goto out;
        if (!S_ISREG(st.st_mode) || st.st_size > IDENTITY_MAX_FILE) {
                errno = S_ISREG(st.st_mode) ? EFBIG : EINVAL;
                goto out;
        }
        text = xmalloc((size_t)st.st_size + 1);
        size_t n = 0;
        while (n < (size_t)st.st_size) {
                ssize_t r = read(fd, text + n, (size_t)st.st_size - n);
                if (r < 0) {
                        free(text);
                        text = NULL;
                        goto out;
                }
                if (r == 0)
                        break;
                n += (size_t)r;
        }
        text[n] = '\0';
        *len = n;
out:
        close_keep_errno(fd);
        return text;
}
