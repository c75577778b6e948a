/* fdexec FILE FD CMD [ARG...]: opens FILE on descriptor FD and execs CMD (for
 * `bwrap --seccomp FD`, which hyperfine cannot redirect without a shell). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
        if (argc < 4)
                return fprintf(stderr, "usage: fdexec FILE FD CMD [ARG...]\n"), 2;
        int fd = open(argv[1], O_RDONLY), want = atoi(argv[2]);
        if (fd < 0 || (fd != want && dup2(fd, want) < 0))
                return perror(argv[1]), 2;
        execv(argv[3], argv + 3);
        perror(argv[3]);
        return 127;
}
