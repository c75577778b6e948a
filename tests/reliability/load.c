/*
 * load: launches a command many times, a few at a time, the way a batch job
 * wrapper or a CI runner calls qrun, and checks that every launch succeeded
 * and that the caller is left as it was: no zombie children, no descriptor
 * more than it started with.
 *
 *   load COUNT WORKERS EXPECTED COMMAND [ARG...]
 *
 * WORKERS processes each run their share of COUNT launches one after another
 * (posix_spawn, stdout and stderr into a pipe, waitpid). A launch succeeds
 * when it exits 0 and prints exactly EXPECTED and a newline. Prints one line:
 *   launches=N failures=N fd_leaks=N unreaped=N seconds=S
 * and exits 0 only if every count but launches is 0.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

struct tally {
        long launches, failures, fd_leaks, unreaped;
};

static int open_fds(void)
{
        DIR *d = opendir("/proc/self/fd");
        int n = 0;
        if (!d)
                return -1;
        for (struct dirent *e; (e = readdir(d));)
                n += e->d_name[0] != '.';
        closedir(d);
        return n - 1; /* the directory's own descriptor */
}

/* One launch: returns 0 if it exited 0 with exactly the expected output. */
static int launch(char **command, const char *expected, long n)
{
        int out[2];
        if (pipe2(out, O_CLOEXEC) < 0)
                return perror("load: pipe"), -1;
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, out[1], 1);
        posix_spawn_file_actions_adddup2(&actions, out[1], 2);
        pid_t pid;
        int err = posix_spawn(&pid, command[0], &actions, NULL, command, environ);
        posix_spawn_file_actions_destroy(&actions);
        close(out[1]);
        if (err) {
                close(out[0]);
                fprintf(stderr, "load: launch %ld: spawn: %s\n", n, strerror(err));
                return -1;
        }
        char buf[4096];
        size_t got = 0;
        for (ssize_t r; (r = read(out[0], buf + got, sizeof(buf) - 1 - got)) != 0;) {
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0 || (got += (size_t)r) == sizeof(buf) - 1)
                        break;
        }
        buf[got] = '\0';
        close(out[0]);
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        size_t want = strlen(expected);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && got == want + 1 &&
            !memcmp(buf, expected, want) && buf[want] == '\n')
                return 0;
        fprintf(stderr, "load: launch %ld: status %#x, output: %s\n", n, status, buf);
        return -1;
}

/* No child left unreaped: waitpid finds none at all. */
static long unreaped_children(void)
{
        long n = 0;
        while (waitpid(-1, NULL, WNOHANG) > 0)
                n++;
        return n;
}

static struct tally worker(long count, const char *expected, char **command)
{
        struct tally t = {0};
        int fds_before = open_fds();
        for (long i = 0; i < count; i++) {
                t.launches++;
                if (launch(command, expected, i) < 0 && ++t.failures >= 20) {
                        fprintf(stderr, "load: 20 failures, stopping\n");
                        break;
                }
        }
        int fds_after = open_fds();
        t.fd_leaks = fds_after > fds_before ? fds_after - fds_before : 0;
        t.unreaped = unreaped_children();
        return t;
}

int main(int argc, char **argv)
{
        if (argc < 5) {
                fprintf(stderr, "usage: load COUNT WORKERS EXPECTED COMMAND [ARG...]\n");
                return 2;
        }
        long count = atol(argv[1]), workers = atol(argv[2]);
        const char *expected = argv[3];
        char **command = argv + 4;
        struct timespec start, end;
        clock_gettime(CLOCK_MONOTONIC, &start);
        int fds_before = open_fds();

        /* Each worker reports its tally through a pipe. */
        int results[2];
        if (workers < 1 || pipe(results) < 0)
                return perror("load"), 2;
        for (long w = 0; w < workers; w++) {
                pid_t pid = fork();
                if (pid < 0)
                        return perror("load: fork"), 2;
                if (pid == 0) {
                        close(results[0]);
                        long share = count / workers + (w < count % workers);
                        struct tally t = worker(share, expected, command);
                        _exit(write(results[1], &t, sizeof(t)) == sizeof(t) ? 0 : 1);
                }
        }
        close(results[1]);
        struct tally total = {0}, t;
        while (read(results[0], &t, sizeof(t)) == sizeof(t)) {
                total.launches += t.launches;
                total.failures += t.failures;
                total.fd_leaks += t.fd_leaks;
                total.unreaped += t.unreaped;
        }
        close(results[0]);
        for (long w = 0; w < workers; w++)
                wait(NULL);
        total.unreaped += unreaped_children();
        int fds_after = open_fds();
        total.fd_leaks += fds_after > fds_before ? fds_after - fds_before : 0;
        clock_gettime(CLOCK_MONOTONIC, &end);
        printf("launches=%ld failures=%ld fd_leaks=%ld unreaped=%ld seconds=%.1f\n", total.launches,
               total.failures, total.fd_leaks, total.unreaped,
               (double)(end.tv_sec - start.tv_sec) + (end.tv_nsec - start.tv_nsec) / 1e9);
        return total.failures || total.fd_leaks || total.unreaped || total.launches != count;
}
