/*
 * floor: the least a container launcher can do, as a yardstick for qrun.
 *
 *   floor ROOTFS CMD [ARG...]
 *
 * unshare(user + pid + ipc + uts), write the id maps (your own ids), fork (the
 * child is pid 1), chroot into ROOTFS, exec CMD, wait. No manifest, no
 * capability handling, no signal forwarding, no init, no error reporting beyond
 * perror. Built static with musl, like qrun.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void write_file(const char *path, const char *text)
{
        int fd = open(path, O_WRONLY);
        if (fd < 0 || write(fd, text, strlen(text)) < 0) {
                perror(path);
                exit(125);
        }
        close(fd);
}

int main(int argc, char **argv)
{
        if (argc < 3) {
                fprintf(stderr, "usage: floor ROOTFS CMD [ARG...]\n");
                return 125;
        }
        char map[64];
        unsigned uid = getuid(), gid = getgid();
        if (unshare(CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS) < 0) {
                perror("unshare");
                return 125;
        }
        snprintf(map, sizeof(map), "%u %u 1\n", uid, uid);
        write_file("/proc/self/uid_map", map);
        write_file("/proc/self/setgroups", "deny");
        snprintf(map, sizeof(map), "%u %u 1\n", gid, gid);
        write_file("/proc/self/gid_map", map);
        pid_t pid = fork();
        if (pid == 0) {
                if (chdir(argv[1]) < 0 || chroot(".") < 0) {
                        perror("chroot");
                        _exit(125);
                }
                execv(argv[2], argv + 2);
                perror("exec");
                _exit(127);
        }
        int status;
        waitpid(pid, &status, 0);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
