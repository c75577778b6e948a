/*
 * throughput: N launches of a command, P at a time; prints launches per second.
 *
 *   throughput N P CMD [ARG...]
 *
 * "%i" in an argument becomes the launch's number (unique container names for
 * crun and runc). stdout and stderr of the launches go to /dev/null. Prints
 * "N launches, P at a time, S s, R launches/s, F failed".
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec + ts.tv_nsec / 1e9;
}

static pid_t launch(char **cmd, int argc, unsigned index, posix_spawn_file_actions_t *fa)
{
        char *argv[argc + 1];
        char bufs[argc][64];
        for (int i = 0; i < argc; i++) {
                char *pct = strstr(cmd[i], "%i");
                argv[i] = cmd[i];
                if (pct) {
                        snprintf(bufs[i], sizeof(bufs[i]), "%.*s%u%s", (int)(pct - cmd[i]), cmd[i],
                                 index, pct + 2);
                        argv[i] = bufs[i];
                }
        }
        argv[argc] = NULL;
        pid_t pid;
        if (posix_spawn(&pid, argv[0], fa, NULL, argv, environ) != 0)
                return -1;
        return pid;
}

int main(int argc, char **argv)
{
        if (argc < 4) {
                fprintf(stderr, "usage: throughput N P CMD [ARG...]\n");
                return 2;
        }
        unsigned n = (unsigned)atoi(argv[1]), p = (unsigned)atoi(argv[2]);
        char **cmd = argv + 3;
        int cmdc = argc - 3;
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
        unsigned started = 0, running = 0, failed = 0;
        double t0 = now();
        while (started < n || running > 0) {
                while (running < p && started < n) {
                        if (launch(cmd, cmdc, started++, &fa) < 0)
                                failed++;
                        else
                                running++;
                }
                int status;
                if (wait(&status) > 0) {
                        running--;
                        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                                failed++;
                }
        }
        double t = now() - t0;
        printf("%u launches, %u at a time, %.2f s, %.1f launches/s, %u failed\n", n, p, t, n / t,
               failed);
        return failed ? 1 : 0;
}
