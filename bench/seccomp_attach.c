/*
 * seccomp_attach: what filters cost, measured in fresh processes.
 *
 *   seccomp_attach attach ROUNDS PROFILE.ini   attach time of each program, interleaved
 *   seccomp_attach loop ROUNDS PROFILE.ini     an allowed call in a loop, with and without
 *   seccomp_attach custom ROUNDS FILE.ini      compile (embedded name table) + attach
 *   seccomp_attach builtin ROUNDS NAME...      attach time of embedded programs, interleaved
 *
 * Programs for PROFILE.ini: qrun's compiler; libseccomp's default output and
 * its binary tree (SCMP_FLTATR_CTL_OPTIMIZE=2), each for x86_64 alone and with
 * x86 and x32 added as Docker and crun do from the profile's archMap. Every
 * sample is one new process: fork, no_new_privs, then time seccomp(2) alone.
 * Output: markdown table rows (median, p10, p90 in microseconds).
 */
#define _GNU_SOURCE
#include "../tests/unit/seccomp_harness.h"
#include "seccomp.h"
#include "seccomp_tables.h"

#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

static double now_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return x < y ? -1 : x > y;
}

struct variant {
        const char *name;
        struct sock_filter *insns;
        unsigned len;
        double *samples;
};

/* In a new process: no_new_privs, then the time seccomp(2) takes, in ns. */
static double time_attach(const struct sock_filter *insns, unsigned len)
{
        int fds[2];
        if (pipe(fds) < 0)
                return -1;
        pid_t pid = fork();
        if (pid == 0) {
                prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
                struct sock_fprog prog = {(unsigned short)len, (struct sock_filter *)insns};
                double t0 = now_ns();
                long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
                double t = now_ns() - t0;
                if (r < 0)
                        t = -1;
                write(fds[1], &t, sizeof(t));
                _exit(0);
        }
        double t = -1;
        read(fds[0], &t, sizeof(t));
        waitpid(pid, NULL, 0);
        close(fds[0]);
        close(fds[1]);
        return t;
}

static void row(const char *name, unsigned len, double *s, unsigned n, double base)
{
        qsort(s, n, sizeof(*s), cmp_double);
        double median = s[n / 2];
        printf("| %s | %u | %.1f | %.1f | %.1f | %.2f× |\n", name, len, median / 1e3,
               s[n / 10] / 1e3, s[n * 9 / 10] / 1e3, base > 0 ? median / base : 1.0);
}

static struct sc_policy load_policy(const char *path)
{
        struct harness_names names = {seccomp_arch_native()};
        struct sc_resolver r = {harness_resolve, NULL, &names};
        struct diag d = {0};
        struct sc_policy p;
        if (!sc_policy_load(path, &r, &p, &d))
                exit(2);
        return p;
}

/* What Docker and crun load on x86_64: the native filter plus x86 and x32 from
 * the profile's archMap. Built per architecture and merged, because libseccomp
 * cannot express every socket rule on x86's multiplexed socketcall; *refused
 * counts the rules it dropped there (they change only the x86 part). */
static unsigned libseccomp_multiarch(const struct sc_policy *p, bool tree, struct sock_filter **out,
                                     int *refused)
{
        uint32_t arches[] = {SCMP_ARCH_X86_64, SCMP_ARCH_X86, SCMP_ARCH_X32};
        scmp_filter_ctx merged = NULL;
        *refused = 0;
        for (int i = 0; i < 3; i++) {
                scmp_filter_ctx ctx = seccomp_init(p->default_action);
                seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
                if (tree)
                        seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
                if (arches[i] != seccomp_arch_native()) {
                        seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE);
                        seccomp_arch_add(ctx, arches[i]);
                }
                int n = libseccomp_add_rules(ctx, p, false, false);
                *refused += n > 0 ? n : 0;
                if (!merged)
                        merged = ctx;
                else if (seccomp_merge(merged, ctx) < 0)
                        return 0;
        }
        unsigned len = libseccomp_export(merged, out);
        seccomp_release(merged);
        return len;
}

static int attach_bench(unsigned rounds, const char *path)
{
        struct sc_policy p = load_policy(path);
        struct sc_program ours;
        char err[256];
        if (!sc_compile(&p, &sc_native, &ours, err, sizeof(err)))
                return fprintf(stderr, "%s\n", err), 2;
        struct variant v[5] = {{"qrun (native only, range search)", ours.insns, ours.len, NULL},
                               {"libseccomp default output, x86_64+x86+x32", NULL, 0, NULL},
                               {"libseccomp binary tree, x86_64+x86+x32", NULL, 0, NULL},
                               {"libseccomp default output, x86_64 only", NULL, 0, NULL},
                               {"libseccomp binary tree, x86_64 only", NULL, 0, NULL}};
        int refused = 0;
        if (sc_native.audit_arch != SCMP_ARCH_X86_64)
                return fprintf(stderr, "the multi-architecture baseline is x86_64's\n"), 2;
        v[1].len = libseccomp_multiarch(&p, false, &v[1].insns, &refused);
        v[2].len = libseccomp_multiarch(&p, true, &v[2].insns, &refused);
        v[3].len = libseccomp_compile(&p, sc_native.audit_arch, false, &v[3].insns);
        v[4].len = libseccomp_compile(&p, sc_native.audit_arch, true, &v[4].insns);
        for (int i = 0; i < 5; i++)
                v[i].samples = calloc(rounds, sizeof(double));
        for (unsigned r = 0; r < rounds + 20; r++)
                for (int i = 0; i < 5; i++) {
                        double t = time_attach(v[i].insns, v[i].len);
                        if (t < 0)
                                return fprintf(stderr, "attach of %s failed\n", v[i].name), 2;
                        if (r >= 20) /* warm-up */
                                v[i].samples[r - 20] = t;
                }
        printf("| program | instructions | median µs | p10 µs | p90 µs | ratio to qrun |\n");
        printf("|---|---:|---:|---:|---:|---:|\n");
        qsort(v[0].samples, rounds, sizeof(double), cmp_double);
        double base = v[0].samples[rounds / 2];
        for (int i = 0; i < 5; i++)
                row(v[i].name, v[i].len, v[i].samples, rounds, base);
        printf("\n(libseccomp could not express %d of the rules on x86's socketcall; they are left "
               "out of the x86 part only.)\n",
               refused / 2);
        return 0;
}

/* ns per getppid() (allowed, no argument rules) over a loop, in a new process. */
static double time_loop(const struct sock_filter *insns, unsigned len, unsigned calls)
{
        int fds[2];
        if (pipe(fds) < 0)
                return -1;
        pid_t pid = fork();
        if (pid == 0) {
                if (insns) {
                        prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
                        struct sock_fprog prog = {(unsigned short)len, (struct sock_filter *)insns};
                        syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
                }
                double t0 = now_ns();
                for (unsigned i = 0; i < calls; i++)
                        syscall(SYS_getppid);
                double t = (now_ns() - t0) / calls;
                write(fds[1], &t, sizeof(t));
                _exit(0);
        }
        double t = -1;
        read(fds[0], &t, sizeof(t));
        waitpid(pid, NULL, 0);
        close(fds[0]);
        close(fds[1]);
        return t;
}

static int loop_bench(unsigned rounds, const char *path)
{
        struct sc_policy p = load_policy(path);
        struct sc_program ours;
        char err[256];
        if (!sc_compile(&p, &sc_native, &ours, err, sizeof(err)))
                return fprintf(stderr, "%s\n", err), 2;
        struct sock_filter *theirs = NULL;
        unsigned theirs_len = libseccomp_compile(&p, sc_native.audit_arch, false, &theirs);
        /* The control: a filter that allows everything in one instruction. */
        static const struct sock_filter allow_all[] = {{BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ALLOW}};
        double *none = calloc(rounds, sizeof(double)), *q = calloc(rounds, sizeof(double)),
               *l = calloc(rounds, sizeof(double)), *a = calloc(rounds, sizeof(double));
        for (unsigned r = 0; r < rounds; r++) {
                none[r] = time_loop(NULL, 0, 200000);
                a[r] = time_loop(allow_all, 1, 200000);
                q[r] = time_loop(ours.insns, ours.len, 200000);
                l[r] = time_loop(theirs, theirs_len, 200000);
        }
        qsort(none, rounds, sizeof(double), cmp_double);
        qsort(q, rounds, sizeof(double), cmp_double);
        qsort(l, rounds, sizeof(double), cmp_double);
        qsort(a, rounds, sizeof(double), cmp_double);
        double base = none[rounds / 2];
        printf(
            "| filter | ns per getppid() (median of %u loops of 200,000) | ratio to no filter |\n",
            rounds);
        printf("|---|---:|---:|\n");
        printf("| none | %.1f | 1.00× |\n", base);
        printf("| allow everything (1 instruction: the least any filter costs) | %.1f | %.3f× |\n",
               a[rounds / 2], a[rounds / 2] / base);
        printf("| qrun default | %.1f | %.3f× |\n", q[rounds / 2], q[rounds / 2] / base);
        printf("| libseccomp default output | %.1f | %.3f× |\n", l[rounds / 2],
               l[rounds / 2] / base);
        return 0;
}

/* Compile (parse, resolve with the embedded table, compile) + attach, in a new process. */
static int custom_bench(unsigned rounds, const char *path)
{
        double *compile = calloc(rounds, sizeof(double)), *total = calloc(rounds, sizeof(double));
        unsigned len = 0, rules = 0;
        for (unsigned r = 0; r < rounds + 10; r++) {
                int fds[2];
                if (pipe(fds) < 0)
                        return 2;
                pid_t pid = fork();
                if (pid == 0) {
                        double t[4];
                        struct sc_program prog;
                        struct diag d = {0};
                        prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
                        double t0 = now_ns();
                        unsigned nrules;
                        if (!seccomp_compile_file(path, &prog, &nrules, &d))
                                _exit(2);
                        t[0] = now_ns() - t0;
                        struct sock_fprog fp = {(unsigned short)prog.len, prog.insns};
                        long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp);
                        t[1] = rc < 0 ? -1 : now_ns() - t0;
                        t[2] = prog.len;
                        t[3] = 0;
                        write(fds[1], t, sizeof(t));
                        _exit(0);
                }
                double t[4] = {-1, -1, 0, 0};
                read(fds[0], t, sizeof(t));
                waitpid(pid, NULL, 0);
                close(fds[0]);
                close(fds[1]);
                if (t[1] < 0)
                        return fprintf(stderr, "custom profile failed\n"), 2;
                len = (unsigned)t[2];
                if (r >= 10) {
                        compile[r - 10] = t[0];
                        total[r - 10] = t[1];
                }
        }
        struct sc_policy p = load_policy(path);
        rules = (unsigned)p.nrules;
        qsort(compile, rounds, sizeof(double), cmp_double);
        qsort(total, rounds, sizeof(double), cmp_double);
        printf("| custom profile | rules | instructions | compile median µs | compile + attach "
               "median µs | p90 µs |\n");
        printf("|---|---:|---:|---:|---:|---:|\n");
        printf("| %s | %u | %u | %.1f | %.1f | %.1f |\n", path, rules, len,
               compile[rounds / 2] / 1e3, total[rounds / 2] / 1e3, total[rounds * 9 / 10] / 1e3);
        return 0;
}

/* The programs embedded in qrun (build.sh's tables), by name, interleaved;
 * ratios are to the first one named. */
static int builtin_bench(unsigned rounds, int n, char **names)
{
        struct variant v[8];
        if (n > 8)
                return fprintf(stderr, "at most 8 programs\n"), 2;
        for (int i = 0; i < n; i++) {
                unsigned b = 0;
                while (b < sc_builtin_count && strcmp(sc_builtins[b].name, names[i]))
                        b++;
                if (b == sc_builtin_count)
                        return fprintf(stderr, "no built-in program %s\n", names[i]), 2;
                v[i] = (struct variant){names[i], (struct sock_filter *)sc_builtins[b].insns,
                                        sc_builtins[b].len, calloc(rounds, sizeof(double))};
        }
        for (unsigned r = 0; r < rounds + 20; r++)
                for (int i = 0; i < n; i++) {
                        double t = time_attach(v[i].insns, v[i].len);
                        if (t < 0)
                                return fprintf(stderr, "attach of %s failed\n", v[i].name), 2;
                        if (r >= 20) /* warm-up */
                                v[i].samples[r - 20] = t;
                }
        printf("| program | instructions | median µs | p10 µs | p90 µs | ratio to %s |\n", names[0]);
        printf("|---|---:|---:|---:|---:|---:|\n");
        qsort(v[0].samples, rounds, sizeof(double), cmp_double);
        double base = v[0].samples[rounds / 2];
        for (int i = 0; i < n; i++)
                row(v[i].name, v[i].len, v[i].samples, rounds, base);
        return 0;
}

int main(int argc, char **argv)
{
        if (argc >= 4 && !strcmp(argv[1], "builtin"))
                return builtin_bench((unsigned)atoi(argv[2]), argc - 3, argv + 3);
        if (argc != 4) {
                fprintf(stderr, "usage: seccomp_attach attach|loop|custom ROUNDS PROFILE.ini\n"
                                "       seccomp_attach builtin ROUNDS NAME...\n");
                return 2;
        }
        unsigned rounds = (unsigned)atoi(argv[2]);
        if (!strcmp(argv[1], "attach"))
                return attach_bench(rounds, argv[3]);
        if (!strcmp(argv[1], "loop"))
                return loop_bench(rounds, argv[3]);
        if (!strcmp(argv[1], "custom"))
                return custom_bench(rounds, argv[3]);
        return 2;
}
