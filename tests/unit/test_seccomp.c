/*
 * Unit tests for the seccomp policy parser and compiler, and the differential
 * tests against libseccomp:
 *  - every program agrees with the policy's own meaning (a direct evaluator)
 *    on every system call number from 0 to the table's maximum + 64, for the
 *    native, i386 and x32 architectures, and on argument vectors built from
 *    every rule's constants, with and without upper 32 bits set;
 *  - for the same policy, qrun's program and libseccomp's agree, except in the
 *    cases qrun means to differ, each named with the reason;
 *  - qrun's default profile behaves like the reference (podman's profile,
 *    through libseccomp), except the named hardenings;
 *  - the shape: every allowed call without argument rules is in the kernel's
 *    constant-allow cache, and attaching costs less kernel emulation than
 *    libseccomp's output.
 */
#define _GNU_SOURCE
#include "tap.h"
#include "seccomp_harness.h"
#include "seccomp.h"
#include "seccomp_tables.h"

#include <sys/syscall.h>

static const char *source_dir = ".";

static char *path_of(const char *rel)
{
        static char buf[4][512];
        static int i;
        i = (i + 1) % 4;
        snprintf(buf[i], sizeof(buf[i]), "%s/%s", source_dir, rel);
        return buf[i];
}

/* ---- test vectors ---- */

struct vectors {
        struct seccomp_data *v;
        size_t n, cap;
};

static void add(struct vectors *vs, struct seccomp_data d)
{
        if (vs->n == vs->cap) {
                vs->cap = vs->cap ? vs->cap * 2 : 4096;
                vs->v = realloc(vs->v, vs->cap * sizeof(*vs->v));
        }
        vs->v[vs->n++] = d;
}

/* Candidate values for one argument, from the constants of the rules on it. */
static size_t candidates(const struct sc_policy *p, int nr, unsigned arg, uint64_t *out)
{
        size_t n = 0;
        out[n++] = 0;
        out[n++] = 0xffffffffu;
        for (size_t i = 0; i < p->nrules; i++) {
                const struct sc_rule *r = p->rules[i];
                if (r->nr != nr)
                        continue;
                for (unsigned c = 0; c < r->ncond; c++) {
                        const struct sc_cond *k = &r->cond[c];
                        if (k->arg != arg || n > 200)
                                continue;
                        uint64_t base[] = {k->value, k->value - 1,        k->value + 1,
                                           k->mask,  k->value | ~k->mask, k->mask & ~k->value};
                        for (size_t b = 0; b < 6; b++) {
                                out[n++] = base[b];
                                out[n++] = base[b] | 0x100000000ull;        /* upper bit set */
                                out[n++] = base[b] | 0xffffffff00000000ull; /* sign-extended */
                                out[n++] = base[b] & 0xffffffffu;
                        }
                }
        }
        return n;
}

static void build_vectors(const struct sc_policy *p, const struct sc_target *t, struct vectors *vs)
{
        uint32_t arches[] = {t->audit_arch, AUDIT_ARCH_I386, 0x12345678u};
        uint32_t specials[] = {0x3fffffffu, HARNESS_X32_BIT, HARNESS_X32_BIT + 1,
                               0x7fffffffu, 0xfffffffeu,     0xffffffffu};
        for (uint32_t nr = 0; nr <= (uint32_t)t->table_max + 64; nr++) {
                for (size_t a = 0; a < 3; a++) {
                        struct seccomp_data d = {.nr = (int)nr, .arch = arches[a]};
                        add(vs, d);
                        for (int i = 0; i < 6; i++)
                                d.args[i] = 0x0123456789abcdefull * (uint64_t)(i + nr + 1);
                        add(vs, d); /* arguments must not matter without rules */
                }
                if (t->x32_abi)
                        add(vs, (struct seccomp_data){.nr = (int)(nr | HARNESS_X32_BIT),
                                                      .arch = t->audit_arch});
        }
        for (size_t s = 0; s < sizeof(specials) / sizeof(*specials); s++)
                add(vs, (struct seccomp_data){.nr = (int)specials[s], .arch = t->audit_arch});
        /* Argument vectors for calls with conditions: every pair of candidates
         * for the (at most two) arguments their rules look at. */
        for (size_t i = 0; i < p->nrules; i++) {
                const struct sc_rule *r = p->rules[i];
                if (!r->ncond || (i > 0 && p->rules[i - 1]->nr == r->nr))
                        continue;
                bool used[6] = {0};
                for (size_t j = i; j < p->nrules; j++)
                        if (p->rules[j]->nr == r->nr)
                                for (unsigned c = 0; c < p->rules[j]->ncond; c++)
                                        used[p->rules[j]->cond[c].arg] = true;
                unsigned a1 = 6, a2 = 6;
                for (unsigned a = 0; a < 6; a++)
                        if (used[a] && a1 == 6)
                                a1 = a;
                        else if (used[a] && a2 == 6)
                                a2 = a;
                static uint64_t c1[512], c2[512];
                size_t n1 = candidates(p, r->nr, a1, c1);
                size_t n2 = a2 < 6 ? candidates(p, r->nr, a2, c2) : 1;
                for (size_t x = 0; x < n1; x++)
                        for (size_t y = 0; y < n2; y++) {
                                struct seccomp_data d = {.nr = r->nr, .arch = t->audit_arch};
                                d.args[a1] = c1[x];
                                if (a2 < 6)
                                        d.args[a2] = c2[y];
                                add(vs, d);
                        }
        }
}

/* The seccomp_data as a big-endian kernel lays it out, as seen by this
 * (little-endian) machine's interpreter: each argument's halves swap. */
static struct seccomp_data as_target(const struct sc_target *t, const struct seccomp_data *d)
{
        struct seccomp_data x = *d;
        if (t->big_endian)
                for (int i = 0; i < 6; i++)
                        x.args[i] = (d->args[i] << 32) | (d->args[i] >> 32);
        return x;
}

static uint32_t run(const struct sc_program *prog, const struct sc_target *t,
                    const struct seccomp_data *d)
{
        struct seccomp_data x = as_target(t, d);
        return bpf_run(prog->insns, prog->len, &x, NULL);
}

static void describe(const char *what, const struct seccomp_data *d, uint32_t got,
                     uint32_t expected)
{
        char g[64], e[64];
        sc_format_action(got, g, sizeof(g));
        sc_format_action(expected, e, sizeof(e));
        printf("#   %s: nr %u arch 0x%x args %#llx %#llx %#llx: got %s, expected %s\n", what,
               (unsigned)d->nr, d->arch, (unsigned long long)d->args[0],
               (unsigned long long)d->args[1], (unsigned long long)d->args[2], g, e);
}

/* ---- loading ---- */

static bool load(const char *path, uint32_t arch, struct sc_policy *p, const char **messages)
{
        struct harness_names names = {arch};
        struct sc_resolver r = {harness_resolve, NULL, &names};
        struct diag d = {0};
        capture_begin();
        bool ok = sc_policy_load(path, &r, p, &d);
        *messages = capture_end();
        return ok;
}

static bool compile(const struct sc_policy *p, const struct sc_target *t, struct sc_program *prog)
{
        char err[256];
        if (!sc_compile(p, t, prog, err, sizeof(err))) {
                printf("# compile failed: %s\n", err);
                return false;
        }
        return true;
}

/* ---- 1. the program means what the policy says ---- */

static void check_against_policy(const char *name, const struct sc_policy *p,
                                 const struct sc_target *t, const struct sc_program *prog)
{
        struct vectors vs = {0};
        build_vectors(p, t, &vs);
        size_t bad = 0;
        for (size_t i = 0; i < vs.n; i++) {
                uint32_t got = run(prog, t, &vs.v[i]), want = policy_verdict(p, t, &vs.v[i]);
                if (got != want && bad++ < 5)
                        describe(name, &vs.v[i], got, want);
        }
        char title[256];
        snprintf(title, sizeof(title), "%s: the program agrees with the policy on %zu vectors",
                 name, vs.n);
        tap_ok(bad == 0, title);
        free(vs.v);
}

/* ---- 2. the same policy through libseccomp ---- */

/* Whether d sets upper bits in an argument a 32-bit condition of its call
 * looks at; *low gets d with those upper halves cleared (what the kernel sees). */
static bool upper_half_of_32bit_arg(const struct sc_policy *p, const struct seccomp_data *d,
                                    struct seccomp_data *low)
{
        *low = *d;
        bool any = false;
        for (size_t i = 0; i < p->nrules; i++)
                if (p->rules[i]->nr == d->nr)
                        for (unsigned c = 0; c < p->rules[i]->ncond; c++) {
                                const struct sc_cond *k = &p->rules[i]->cond[c];
                                if (k->width == 32 && (d->args[k->arg] >> 32)) {
                                        low->args[k->arg] &= UINT32_MAX;
                                        any = true;
                                }
                        }
        return any;
}

/* Whether the call's rules end in an unconditional rule after conditional ones
 * (qrun: a fallback; libseccomp: an override). Returns its action. */
static bool fallback_rule(const struct sc_policy *p, int nr, uint32_t *action)
{
        bool conditional_before = false;
        for (size_t i = 0; i < p->nrules; i++) {
                if (p->rules[i]->nr != nr)
                        continue;
                if (p->rules[i]->ncond)
                        conditional_before = true;
                else if (conditional_before) {
                        *action = p->rules[i]->action;
                        return true;
                }
        }
        return false;
}

enum {
        CASE_UPPER_HALF,
        CASE_FALLBACK,
        CASE_UNKNOWN,
        CASE_CLONE_NS,
        CASE_CLONE3,
        CASE_VSOCK_ALG,
        CASE_TIOCSTI,
        NCASES
};
static const char *const case_reason[NCASES] = {
    "upper half of a 32-bit argument: qrun compares the low half, as the kernel reads it "
    "(libseccomp compares 64 bits, so socket(0x100000028) would pass as not AF_VSOCK)",
    "an unconditional rule after conditional ones is their fallback in qrun's first-match order; "
    "libseccomp lets it override them",
    "numbers above the table qrun was built with get the policy's unknown action (ENOSYS by "
    "default, so a newer libc falls back); libseccomp gives them the default action",
    "clone with a namespace flag: EPERM (hardening 1, Docker's rule)",
    "clone3: ENOSYS so that libc falls back to clone (hardening 2, Docker's rule)",
    "socket(AF_VSOCK) and socket(AF_ALG): EAFNOSUPPORT (hardenings 3 and 4)",
    "ioctl(TIOCSTI) and ioctl(TIOCLINUX): EPERM (hardening 5: the command may keep the "
    "caller's terminal)",
};

struct comparison {
        size_t vectors, same, cases[NCASES], unexplained;
};

static void report_comparison(const char *title, const struct comparison *c)
{
        char line[512];
        snprintf(line, sizeof(line), "%s: %zu vectors, %zu identical, every difference named",
                 title, c->vectors, c->same);
        tap_ok(c->unexplained == 0 && c->vectors > 0, line);
        for (int k = 0; k < NCASES; k++)
                if (c->cases[k])
                        printf("#   deliberate, %zu vectors: %s\n", c->cases[k], case_reason[k]);
        if (c->unexplained)
                printf("#   %zu unexplained differences\n", c->unexplained);
}

/* qrun's program for p against libseccomp's for the reference policy ref
 * (p itself when comparing the same policy). */
static struct comparison compare(const struct sc_policy *p, const struct sc_policy *ref,
                                 const struct sc_target *t, const struct sc_program *ours,
                                 const struct sock_filter *theirs, unsigned theirs_len,
                                 bool allow_hardenings)
{
        struct comparison c = {0};
        struct vectors vs = {0};
        build_vectors(p, t, &vs);
        build_vectors(ref, t, &vs);
        int nr_clone = seccomp_syscall_resolve_name_arch(t->audit_arch, "clone");
        int nr_clone3 = seccomp_syscall_resolve_name_arch(t->audit_arch, "clone3");
        int nr_socket = seccomp_syscall_resolve_name_arch(t->audit_arch, "socket");
        int nr_ioctl = seccomp_syscall_resolve_name_arch(t->audit_arch, "ioctl");
        for (size_t i = 0; i < vs.n; i++) {
                const struct seccomp_data *d = &vs.v[i];
                struct seccomp_data low, dt = as_target(t, d);
                uint32_t q = run(ours, t, d), l = bpf_run(theirs, theirs_len, &dt, NULL);
                uint32_t fb;
                c.vectors++;
                if (q == l) {
                        c.same++;
                        continue;
                }
                bool upper =
                    upper_half_of_32bit_arg(ref, d, &low) || upper_half_of_32bit_arg(p, d, &low);
                struct seccomp_data lowt = as_target(t, &low);
                if (allow_hardenings && d->nr == nr_clone && (d->args[0] & 0x7e020000) &&
                    q == (SECCOMP_RET_ERRNO | EPERM))
                        c.cases[CASE_CLONE_NS]++;
                else if (allow_hardenings && d->nr == nr_clone3 &&
                         q == (SECCOMP_RET_ERRNO | ENOSYS))
                        c.cases[CASE_CLONE3]++;
                else if (allow_hardenings && d->nr == nr_socket &&
                         ((uint32_t)d->args[0] == 40 || (uint32_t)d->args[0] == 38) &&
                         q == (SECCOMP_RET_ERRNO | EAFNOSUPPORT))
                        c.cases[CASE_VSOCK_ALG]++;
                else if (allow_hardenings && d->nr == nr_ioctl &&
                         ((uint32_t)d->args[1] == 0x5412 || (uint32_t)d->args[1] == 0x541c) &&
                         q == (SECCOMP_RET_ERRNO | EPERM))
                        c.cases[CASE_TIOCSTI]++;
                else if (upper && q == bpf_run(theirs, theirs_len, &lowt, NULL))
                        c.cases[CASE_UPPER_HALF]++;
                else if (fallback_rule(p, d->nr, &fb) && l == fb)
                        c.cases[CASE_FALLBACK]++;
                else if (d->arch == t->audit_arch && (uint32_t)d->nr > (uint32_t)t->table_max &&
                         ((uint32_t)d->nr < HARNESS_X32_BIT || (uint32_t)d->nr == UINT32_MAX) &&
                         q == p->unknown_action && l == ref->default_action)
                        c.cases[CASE_UNKNOWN]++;
                else if (c.unexplained++ < 5)
                        describe("unexplained", d, q, l);
        }
        free(vs.v);
        return c;
}

static void check_same_policy(const char *name, const struct sc_policy *p,
                              const struct sc_target *t, const struct sc_program *prog)
{
        struct sock_filter *theirs = NULL;
        unsigned len = libseccomp_compile(p, t->audit_arch, false, &theirs);
        char title[256];
        snprintf(title, sizeof(title), "%s: libseccomp compiles the same policy", name);
        tap_ok(len > 0, title);
        if (!len)
                return;
        struct comparison c = compare(p, p, t, prog, theirs, len, false);
        snprintf(title, sizeof(title), "%s: qrun's program and libseccomp's agree", name);
        report_comparison(title, &c);
        free(theirs);
}

/* ---- 3. the shape ---- */

static unsigned attach_cost(const struct sock_filter *f, unsigned len, const struct sc_target *t)
{
        unsigned cost = 0;
        for (uint32_t nr = 0; nr <= (uint32_t)t->table_max + 12; nr++) {
                kernel_const_allow(f, len, t->audit_arch, nr, &cost);
                if (t->x32_abi)
                        kernel_const_allow(f, len, AUDIT_ARCH_I386, nr, &cost); /* compat bitmap */
        }
        return cost;
}

static void check_shape(const char *name, const struct sc_policy *p, const struct sc_target *t,
                        const struct sc_program *prog)
{
        char title[256];
        snprintf(title, sizeof(title), "%s: starts with the architecture check", name);
        tap_ok(prog->len > 2 && prog->insns[0].code == (BPF_LD | BPF_W | BPF_ABS) &&
                   prog->insns[0].k == offsetof(struct seccomp_data, arch) &&
                   prog->insns[1].code == (BPF_JMP | BPF_JEQ | BPF_K) &&
                   prog->insns[1].k == t->audit_arch,
               title);
        /* Every call the policy allows without conditions must be in the kernel's
         * constant-allow cache: it then costs nothing per call. */
        size_t allowed = 0, cached = 0;
        unsigned cost = 0, max_path = 0;
        for (uint32_t nr = 0; nr <= (uint32_t)t->table_max; nr++) {
                bool unconditional_allow = false;
                for (size_t i = 0; i < p->nrules; i++)
                        if ((uint32_t)p->rules[i]->nr == nr) {
                                unconditional_allow =
                                    !p->rules[i]->ncond && p->rules[i]->action == SECCOMP_RET_ALLOW;
                                break;
                        }
                unsigned before = cost;
                bool is_cached =
                    kernel_const_allow(prog->insns, prog->len, t->audit_arch, nr, &cost);
                if (cost - before > max_path)
                        max_path = cost - before;
                allowed += unconditional_allow;
                cached += unconditional_allow && is_cached;
        }
        snprintf(title, sizeof(title),
                 "%s: all %zu unconditionally allowed calls are in the kernel's constant-allow "
                 "cache",
                 name, allowed);
        tap_ok(allowed == cached && allowed > 0, title);
        printf("#   %s: %u instructions, longest path to a cached verdict %u\n", name, prog->len,
               max_path);
}

static void check_cost_against_libseccomp(const char *name, const struct sc_policy *p,
                                          const struct sc_target *t, const struct sc_program *prog)
{
        struct sock_filter *lin = NULL, *tree = NULL;
        unsigned lin_len = libseccomp_compile(p, t->audit_arch, false, &lin);
        unsigned tree_len = libseccomp_compile(p, t->audit_arch, true, &tree);
        unsigned ours = attach_cost(prog->insns, prog->len, t);
        unsigned theirs = lin_len ? attach_cost(lin, lin_len, t) : 0;
        unsigned theirs_tree = tree_len ? attach_cost(tree, tree_len, t) : 0;
        printf("#   %s, kernel emulation at attach: qrun %u, libseccomp %u (%u insns), "
               "libseccomp tree %u (%u insns)\n",
               name, ours, theirs, lin_len, theirs_tree, tree_len);
        char title[256];
        snprintf(title, sizeof(title),
                 "%s: attaching costs the kernel less emulation than "
                 "libseccomp's output and its binary tree",
                 name);
        tap_ok(lin_len && tree_len && ours < theirs && ours < theirs_tree, title);
        free(lin);
        free(tree);
}

/* ---- the profiles ---- */

static void test_profiles(void)
{
        struct sc_target t = harness_target(seccomp_arch_native());
        struct sc_policy def, strict, ref;
        const char *msgs;
        tap_ok(load(path_of("profiles/default.ini"), t.audit_arch, &def, &msgs),
               "default.ini loads");
        tap_is_str(msgs, "", "default.ini: no diagnostics");
        tap_ok(load(path_of("profiles/strict.ini"), t.audit_arch, &strict, &msgs),
               "strict.ini loads");
        tap_is_str(msgs, "", "strict.ini: no diagnostics");
        tap_ok(load(path_of("tests/data/reference-default.ini"), t.audit_arch, &ref, &msgs),
               "the converted reference loads");
        struct sc_program pdef, pstrict, pref;
        tap_ok(compile(&def, &t, &pdef) && compile(&strict, &t, &pstrict) &&
                   compile(&ref, &t, &pref),
               "all three compile");

        check_against_policy("default", &def, &t, &pdef);
        check_against_policy("strict", &strict, &t, &pstrict);
        check_against_policy("reference", &ref, &t, &pref);

        check_same_policy("default", &def, &t, &pdef);
        check_same_policy("strict", &strict, &t, &pstrict);
        check_same_policy("reference", &ref, &t, &pref);

        /* qrun's default profile against the reference as podman enforces it. */
        struct sock_filter *podman = NULL;
        unsigned len = libseccomp_compile(&ref, t.audit_arch, false, &podman);
        struct comparison c = compare(&def, &ref, &t, &pdef, podman, len, true);
        report_comparison("default.ini behaves like podman's profile", &c);
        tap_ok(c.cases[CASE_CLONE_NS] && c.cases[CASE_CLONE3] && c.cases[CASE_VSOCK_ALG] &&
                   c.cases[CASE_TIOCSTI] && c.cases[CASE_UPPER_HALF],
               "each named hardening shows up (the comparison looks where it should)");
        free(podman);

        check_shape("default", &def, &t, &pdef);
        check_shape("strict", &strict, &t, &pstrict);
        check_cost_against_libseccomp("default", &def, &t, &pdef);

        sc_program_free(&pdef);
        sc_program_free(&pstrict);
        sc_program_free(&pref);
        sc_policy_free(&def);
        sc_policy_free(&strict);
        sc_policy_free(&ref);
}

/* ---- the terminal: which programs let the command keep it ---- */

static uint32_t ioctl_verdict(const struct sc_builtin_profile *b, uint64_t request)
{
        struct seccomp_data d = {.nr = SYS_ioctl, .arch = sc_native.audit_arch};
        d.args[1] = request;
        struct seccomp_data x = as_target(&sc_native, &d);
        return bpf_run(b->insns, b->len, &x, NULL);
}

/* Every built-in program seccomp_refuses_terminal_injection() accepts refuses
 * TIOCSTI and TIOCLINUX, also with bits set above the low 32, and allows the
 * terminal's other requests; the shipped profiles are among them. */
static void test_terminal_injection(void)
{
        unsigned accepted = 0;
        for (unsigned i = 0; i < sc_builtin_count; i++) {
                const struct sc_builtin_profile *b = &sc_builtins[i];
                struct seccomp_config s = {.program = b->name, .insns = b->insns, .len = b->len};
                if (!seccomp_refuses_terminal_injection(&s))
                        continue;
                accepted++;
                const uint32_t eperm = SECCOMP_RET_ERRNO | EPERM;
                char title[160];
                snprintf(title, sizeof(title),
                         "%s: TIOCSTI and TIOCLINUX get EPERM, upper bits set or not", b->name);
                tap_ok(ioctl_verdict(b, 0x5412) == eperm && ioctl_verdict(b, 0x541c) == eperm &&
                           ioctl_verdict(b, 0x100005412ull) == eperm &&
                           ioctl_verdict(b, 0xffffffff0000541cull) == eperm,
                       title);
                snprintf(title, sizeof(title), "%s: TIOCGWINSZ and TCGETS are allowed", b->name);
                tap_ok(ioctl_verdict(b, 0x5413) == SECCOMP_RET_ALLOW &&
                           ioctl_verdict(b, 0x5401) == SECCOMP_RET_ALLOW &&
                           ioctl_verdict(b, 0x100005401ull) == SECCOMP_RET_ALLOW,
                       title);
        }
        tap_is_num(accepted, 4,
                   "default, strict and their fakeroot compositions keep the terminal");
        struct seccomp_config none = {0}, fakeroot_only = {.program = "fakeroot"};
        tap_ok(!seccomp_refuses_terminal_injection(&none) &&
                   !seccomp_refuses_terminal_injection(&fakeroot_only),
               "no filter, or fakeroot alone: a new session");
}

/* Other architectures: nothing may assume x86_64 (aarch64), nor little endian
 * (s390x: the high half of an argument comes first). */
static void test_other_architectures(void)
{
        uint32_t arches[] = {SCMP_ARCH_AARCH64, SCMP_ARCH_S390X};
        const char *names[] = {"aarch64", "s390x"};
        for (int i = 0; i < 2; i++) {
                struct sc_target t = harness_target(arches[i]);
                struct sc_policy def;
                const char *msgs;
                char title[128];
                snprintf(title, sizeof(title), "%s: default.ini loads", names[i]);
                tap_ok(load(path_of("profiles/default.ini"), arches[i], &def, &msgs), title);
                struct sc_program prog;
                snprintf(title, sizeof(title), "%s: default.ini compiles", names[i]);
                tap_ok(compile(&def, &t, &prog), title);
                snprintf(title, sizeof(title), "%s default", names[i]);
                check_against_policy(title, &def, &t, &prog);
                /* libseccomp 2.5.4's export of big-endian programs is not usable as a
                 * reference: some RET values come out byte-swapped twice. */
                if (!t.big_endian)
                        check_same_policy(title, &def, &t, &prog);
                sc_program_free(&prog);
                sc_policy_free(&def);
        }
}

/* ---- every operator and width, against libseccomp ---- */

static const char *write_policy(const char *name, const char *text)
{
        static char path[256];
        snprintf(path, sizeof(path), "/tmp/qrun-sc-%d-%s", (int)getpid(), name);
        FILE *f = fopen(path, "w");
        fputs(text, f);
        fclose(f);
        return path;
}

static void test_operators(void)
{
        /* One rule per call, a single condition each, covering every operator at
         * both widths, values with high bits, and masks across both halves. */
        const char *text = "[policy]\ndefault = errno EPERM\n[syscalls]\n"
                           "allow = read write close\n"
                           "allow = getpid if arg0:64 == 0x100000001\n"
                           "allow = getppid if arg1:64 != 0xffffffff00000000\n"
                           "allow = getuid if arg2:64 < 0x100000000\n"
                           "allow = geteuid if arg3:64 <= 0x1ffffffff\n"
                           "allow = getgid if arg4:64 > 0x80000000ffffffff\n"
                           "allow = getegid if arg5:64 >= 0x7fffffff\n"
                           "allow = dup if arg0:64 & 0xff000000000000ff == 0x1200000000000034\n"
                           "allow = dup2 if arg0:32 & 0xf0 == 0x30\n"
                           "allow = dup3 if arg0:32 == 5\n"
                           "allow = pipe if arg0:32 != 5\n"
                           "allow = lseek if arg1:32 < 10 && arg2:32 > 1\n"
                           "allow = pread64 if arg3:32 <= 7 && arg0:64 >= 3\n"
                           "errno = EINVAL pwrite64 if arg3:64 & 0x8000000000000000 == 0\n"
                           "log = fsync if arg0:64 == 0\n"
                           "kill_process = fdatasync if arg0:64 != 0\n";
        struct sc_target t = harness_target(seccomp_arch_native());
        struct sc_policy p;
        const char *msgs;
        tap_ok(load(write_policy("ops.ini", text), t.audit_arch, &p, &msgs), "operators: loads");
        struct sc_program prog;
        tap_ok(compile(&p, &t, &prog), "operators: compiles");
        check_against_policy("operators", &p, &t, &prog);
        check_same_policy("operators", &p, &t, &prog);
        sc_program_free(&prog);
        sc_policy_free(&p);
        unlink(write_policy("ops.ini", ""));
}

/* A policy long enough that conditional jumps must go through JA trampolines. */
static void test_far_jumps(void)
{
        struct sc_target t = harness_target(seccomp_arch_native());
        size_t size = 1 << 16, n = 0;
        char *text = malloc(size);
        n += (size_t)snprintf(text + n, size - n, "[policy]\ndefault = errno EPERM\n[syscalls]\n");
        for (int nr = 0; nr < 300; nr += 1) {
                char *name = seccomp_syscall_resolve_num_arch(t.audit_arch, nr);
                if (!name)
                        continue;
                /* alternate conditional and plain rules so ranges stay short */
                if (nr % 3 == 0)
                        n += (size_t)snprintf(text + n, size - n,
                                              "allow = %s if arg0:64 == %d && arg1:32 != %d\n",
                                              name, nr, nr + 1);
                else
                        n += (size_t)snprintf(text + n, size - n, "%s = %s\n",
                                              nr % 3 == 1 ? "allow" : "log", name);
                free(name);
        }
        struct sc_policy p;
        const char *msgs;
        tap_ok(load(write_policy("far.ini", text), t.audit_arch, &p, &msgs), "far jumps: loads");
        struct sc_program prog;
        tap_ok(compile(&p, &t, &prog), "far jumps: compiles");
        bool has_ja = false;
        for (unsigned i = 0; i < prog.len; i++)
                has_ja |= prog.insns[i].code == (BPF_JMP | BPF_JA);
        printf("#   far jumps: %u instructions\n", prog.len);
        tap_ok(prog.len > 512 && has_ja, "far jumps: a long program with JA trampolines");
        check_against_policy("far jumps", &p, &t, &prog);
        check_same_policy("far jumps", &p, &t, &prog);
        sc_program_free(&prog);
        sc_policy_free(&p);
        free(text);
        unlink(write_policy("far.ini", ""));
}

/* Rules whose conditions look at different arguments make a decision tree grow
 * exponentially: the compiler must fall back to testing rules in order, and
 * still be right. */
static void test_decision_blowup(void)
{
        struct sc_target t = harness_target(seccomp_arch_native());
        char text[8192];
        size_t n =
            (size_t)snprintf(text, sizeof(text), "[policy]\ndefault = errno EPERM\n[syscalls]\n");
        for (int i = 0; i < 24; i++)
                n += (size_t)snprintf(
                    text + n, sizeof(text) - n,
                    "%s = %smmap if arg%d:32 == %d && arg%d:64 > %d && arg%d:32 != %d\n",
                    i % 3 ? "allow" : "errno", i % 3 ? "" : "EACCES ", i % 6, i, (i + 1) % 6, i * 7,
                    (i + 2) % 6, i + 1);
        struct sc_policy p;
        const char *msgs;
        tap_ok(load(write_policy("blowup.ini", text), t.audit_arch, &p, &msgs), "blow-up: loads");
        struct sc_program prog;
        tap_ok(compile(&p, &t, &prog), "blow-up: compiles");
        printf("#   blow-up: %u instructions\n", prog.len);
        tap_ok(prog.len < 600, "blow-up: the leaf stays small (plain rule order)");
        check_against_policy("blow-up", &p, &t, &prog);
        sc_program_free(&prog);
        sc_policy_free(&p);
        unlink(write_policy("blowup.ini", ""));
}

/* qrun's own semantics where libseccomp differs: first match wins. */
static void test_first_match(void)
{
        struct sc_target t = harness_target(seccomp_arch_native());
        const char *text = "[policy]\ndefault = errno ENOSYS\n[syscalls]\n"
                           "allow = socket if arg0:32 == 1\n"
                           "errno = EPERM socket if arg2:32 == 0\n"
                           "allow = socket if arg0:32 == 2\n"
                           "errno = EAFNOSUPPORT socket\n";
        struct sc_policy p;
        const char *msgs;
        load(write_policy("fm.ini", text), t.audit_arch, &p, &msgs);
        struct sc_program prog;
        compile(&p, &t, &prog);
        int nr = seccomp_syscall_resolve_name_arch(t.audit_arch, "socket");
        struct {
                uint64_t a0, a2;
                uint32_t want;
        } cases[] = {
            {1, 0, SECCOMP_RET_ALLOW},                 /* first rule */
            {2, 0, SECCOMP_RET_ERRNO | EPERM},         /* second rule wins over the third */
            {2, 6, SECCOMP_RET_ALLOW},                 /* third */
            {10, 6, SECCOMP_RET_ERRNO | EAFNOSUPPORT}, /* the fallback */
            {0x100000001ull, 6, SECCOMP_RET_ALLOW},    /* 32-bit: the low half is 1 */
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
                struct seccomp_data d = {.nr = nr, .arch = t.audit_arch};
                d.args[0] = cases[i].a0;
                d.args[2] = cases[i].a2;
                char title[128];
                snprintf(title, sizeof(title), "first match: socket(%#llx, _, %llu)",
                         (unsigned long long)cases[i].a0, (unsigned long long)cases[i].a2);
                tap_is_num(run(&prog, &t, &d), cases[i].want, title);
        }
        sc_program_free(&prog);
        sc_policy_free(&p);
        unlink(write_policy("fm.ini", ""));
}

/* ---- the parser's diagnostics ---- */

static void test_policy_errors(void)
{
        struct {
                const char *text, *expected;
        } cases[] = {
            {"[syscalls]\nallow = read\n",
             "P.ini: [policy] default: missing: say what calls no rule decides get (such as errno "
             "EPERM)"},
            {"[policy]\ndefault = deny\n",
             "P.ini:2: [policy] default: expected an action: allow, log, kill_process, fake or "
             "errno NAME, got \"deny\""},
            {"[policy]\ndefault = errno EWHAT\n",
             "P.ini:2: [policy] default: unknown errno \"EWHAT\" (a name such as EPERM, or 1 to "
             "4095)"},
            {"[policy]\ndefault = errno 5000\n",
             "P.ini:2: [policy] default: unknown errno \"5000\" (a name such as EPERM, or 1 to "
             "4095)"},
            {"[policy]\ndefault = allow\nflavour = x\n",
             "P.ini:3: [policy] flavour: unknown key (a policy has default and unknown)"},
            {"[policy]\ndefault = allow\n[rules]\n",
             "P.ini:3: unknown section [rules] (a policy has [policy] and [syscalls])"},
            {"[policy]\ndefault = allow\n[syscalls]\nalow = read\n",
             "P.ini:4: [syscalls] alow: unknown action (did you mean \"allow\"?)"},
            {"[policy]\ndefault = allow\n[syscalls]\nallow = raed\n",
             "P.ini:4: [syscalls] allow: unknown system call \"raed\""},
            {"[policy]\ndefault = allow\n[syscalls]\nallow =\n",
             "P.ini:4: [syscalls] allow: no system call names"},
            {"[policy]\ndefault = allow\n[syscalls]\nerrno = EPERM\n",
             "P.ini:4: [syscalls] errno: no system call names"},
            {"[policy]\ndefault = allow\n[syscalls]\nallow = socket if arg0 == 1\n",
             "P.ini:4: [syscalls] allow: expected a condition such as arg0:32 == 1, got \"arg0 == "
             "1\""},
            {"[policy]\ndefault = allow\n[syscalls]\nallow = socket if arg0:16 == 1\n",
             "P.ini:4: [syscalls] allow: argument width must be 32 or 64 in \"arg0:16 == 1\""},
            {"[policy]\ndefault = allow\n[syscalls]\nallow = socket if arg6:32 == 1\n",
             "P.ini:4: [syscalls] allow: there are only arguments arg0 to arg5, got arg6"},
            {"[policy]\ndefault = allow\n[syscalls]\nallow = socket if arg0:32 =~ 1\n",
             "P.ini:4: [syscalls] allow: expected ==, !=, <, <=, >, >= or & MASK == in \"arg0:32 "
             "=~ 1\""},
            {"[policy]\ndefault = allow\n[syscalls]\nallow = socket if arg0:32 == 0x100000000\n",
             "P.ini:4: [syscalls] allow: a value in \"arg0:32 == 0x100000000\" does not fit in 32 "
             "bits"},
            {"[policy]\ndefault = allow\n[syscalls]\nallow = socket if arg0:32 & 0xf == 0x10\n",
             "P.ini:4: [syscalls] allow: \"arg0:32 & 0xf == 0x10\" can never hold (the value has "
             "bits outside the mask)"},
            {"[policy]\ndefault = allow\n[syscalls]\nallow = socket if arg0:32 == one\n",
             "P.ini:4: [syscalls] allow: expected a number (decimal or 0x...) at the end of "
             "\"arg0:32 == one\""},
            {"[policy]\ndefault = allow\n[syscalls]\nallow = read\nerrno = EPERM read\n",
             "P.ini:5: [syscalls]: read: this rule never applies: line 4 already decides every "
             "call to read"},
            {"[policy]\ndefault = allow\n[syscalls]\nallow = read\nallow = read if arg0:32 == 0\n",
             "P.ini:5: [syscalls]: read: this rule never applies: line 4 already decides every "
             "call to read"},
        };
        char dir[] = "/tmp/qrun-policy.XXXXXX";
        if (!mkdtemp(dir))
                return;
        char cwd[512];
        getcwd(cwd, sizeof(cwd));
        chdir(dir);
        for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
                FILE *f = fopen("P.ini", "w");
                fputs(cases[i].text, f);
                fclose(f);
                struct sc_policy p;
                const char *msgs;
                bool ok = load("P.ini", seccomp_arch_native(), &p, &msgs);
                tap_is_str(msgs, cases[i].expected, cases[i].expected);
                tap_ok(!ok, "refused");
                sc_policy_free(&p);
        }
        unlink("P.ini");
        chdir(cwd);
        rmdir(dir);
}

int main(void)
{
        const char *src = getenv("QRUN_SOURCE");
        if (src)
                source_dir = src;
        test_policy_errors();
        test_first_match();
        test_operators();
        test_far_jumps();
        test_decision_blowup();
        test_profiles();
        test_terminal_injection();
        test_other_architectures();
        return tap_done();
}
