/*
 * vsock_bypass: shows the trap qrun's 32-bit comparisons avoid. It loads the
 * filter a libseccomp user writes to block AF_VSOCK -- socket(AF_VSOCK, ...)
 * gets EAFNOSUPPORT -- then calls socket(0x100000028, SOCK_STREAM, 0). The
 * kernel reads the family as an int (AF_VSOCK), but libseccomp compared all 64
 * bits. Prints the errno name (or "ok") of both calls. Runs on the host,
 * linked with libseccomp.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *result(long r)
{
        return r >= 0 ? "ok" : errno == EAFNOSUPPORT ? "EAFNOSUPPORT" : strerror(errno);
}

int main(void)
{
        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
        if (!ctx ||
            seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket), 1,
                             SCMP_A0(SCMP_CMP_EQ, 40)) < 0 ||
            seccomp_load(ctx) < 0) {
                perror("vsock_bypass: libseccomp");
                return 2;
        }
        long plain = syscall(SYS_socket, 40L, (long)SOCK_STREAM, 0L);
        const char *plain_result = result(plain);
        long upper = syscall(SYS_socket, 0x100000028L, (long)SOCK_STREAM, 0L);
        printf("socket(40)=%s socket(0x100000028)=%s\n", plain_result, result(upper));
        return 0;
}
