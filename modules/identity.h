/* Who the command is, as files in the container: the image's /etc/passwd and
 * /etc/group plus a line for the user the command runs as when the image has
 * none (as ch-run does), so that id -un, whoami, prompts, git, ssh and
 * getpwuid() work. The text is built here; mount_tree.c binds it over the
 * image's files (a tmpfs copy: the image itself never changes), and
 * config_check says in chroot mode, where qrun cannot change the image. */
#ifndef QRUN_IDENTITY_H
#define QRUN_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Whether a passwd or group text (len bytes) has a line whose third field is
 * id; lines starting with '#' are comments, as for glibc. */
bool identity_has_id(const char *text, size_t len, unsigned long id);

/* text (len bytes) plus "line\n" when it has no entry for id, in a new string
 * (*out_len its length); NULL with *out_len 0 when it has one already. A
 * text without a final newline gets one first. */
char *identity_add_line(const char *text, size_t len, unsigned long id, const char *line,
                        size_t *out_len);

/* The lines for the user inside: "name:x:uid:gid:name:home:/bin/sh" and
 * "group:x:gid:". Freshly allocated. */
char *identity_passwd_line(const char *name, uid_t uid, gid_t gid, const char *home);
char *identity_group_line(const char *group, gid_t gid);

/* Reads a file of at most 1 MiB inside the rootfs (rootfd, RESOLVE_IN_ROOT);
 * NULL with errno when it is missing, not a regular file or too large. */
char *identity_read(int rootfd, const char *path, size_t *len);

#endif
