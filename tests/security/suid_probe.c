/*
 * suid_probe: installed setuid root in a scratch rootfs by escape.t. Inside
 * qrun it must gain nothing: it prints its real and effective uid and whether
 * it can open /etc/root-only, a root-owned 0600 file of that rootfs.
 *
 * Deliberately tiny and argument-free: while the test runs it is a setuid-root
 * file on the host, so it reads no input and prints no file content.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
        uid_t ruid, euid, suid;
        getresuid(&ruid, &euid, &suid);
        int fd = open("/etc/root-only", O_RDONLY);
        printf("ruid=%u euid=%u open=%s\n", ruid, euid,
               fd >= 0 ? "ok" : (errno == EACCES ? "EACCES" : strerror(errno)));
        return 0;
}
