/*
 * seccomp-gen: compiles the built-in seccomp profiles when qrun is built.
 *
 *   seccomp-gen [--arch NAME] OUTPUT.c NAME=PROFILE.ini...
 *
 * System call names are resolved with libseccomp (its lookup is the gperf
 * perfect hash the seeds describe) for one architecture: the build machine's,
 * or NAME for checking another. The programs come from the same compiler qrun
 * uses at run time for custom profiles (modules/seccomp_bpf.c). OUTPUT.c holds
 * the programs and a name->number table as const data; qrun itself links no
 * libseccomp code.
 */
#define _GNU_SOURCE
#include "common.h"
#include "seccomp_bpf.h"
#include "seccomp_policy.h"
#include "seccomp_tables.h"
#include "values.h"

#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_NR 8192 /* beyond every architecture's table (mips n32 starts at 6000) */

struct names {
        uint32_t arch;
        const char **all; /* native and foreign, for suggestions */
        size_t n;
};

static enum sc_name_kind resolve(void *ctx, const char *name, int *nr)
{
        struct names *names = ctx;
        int v = seccomp_syscall_resolve_name_arch(names->arch, name);
        if (v >= 0) {
                *nr = v;
                return SC_NAME_NATIVE;
        }
        return v == __NR_SCMP_ERROR ? SC_NAME_UNKNOWN : SC_NAME_FOREIGN;
}

static const char *nearest(void *ctx, const char *name)
{
        struct names *names = ctx;
        return nearest_word(name, names->all, names->n);
}

struct entry {
        char *name;
        int nr;
};

static int by_name(const void *a, const void *b)
{
        return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

/* Every name libseccomp knows: the target's numbers, then (as negative pseudo
 * numbers) the calls that exist only on other architectures. */
static struct entry *collect_names(uint32_t arch, size_t *count, int *table_max)
{
        struct entry *e = xmalloc(sizeof(*e) * (MAX_NR + 30000));
        size_t n = 0;
        *table_max = 0;
        for (int nr = 0; nr < MAX_NR; nr++) {
                char *name = seccomp_syscall_resolve_num_arch(arch, nr);
                if (!name)
                        continue;
                e[n++] = (struct entry){name, nr};
                if (nr > *table_max)
                        *table_max = nr;
        }
        for (int nr = -30000; nr < 0; nr++) {
                char *name = seccomp_syscall_resolve_num_arch(arch, nr);
                if (name)
                        e[n++] = (struct entry){name, -1};
        }
        qsort(e, n, sizeof(*e), by_name);
        *count = n;
        return e;
}

/* The names as an open-addressing hash table, at most half full. */
static void write_name_hash(FILE *out, const struct entry *entries, size_t count)
{
        unsigned size = 64;
        while (size < count * 2)
                size *= 2;
        unsigned short *slots = calloc(size, sizeof(*slots));
        for (size_t i = 0; i < count; i++) {
                unsigned h = sc_name_hash_of(entries[i].name) & (size - 1);
                while (slots[h])
                        h = (h + 1) & (size - 1);
                slots[h] = (unsigned short)(i + 1);
        }
        fprintf(out, "const unsigned short sc_name_hash[%u] = {", size);
        for (unsigned i = 0; i < size; i++)
                fprintf(out, "%s%u,", i % 16 ? " " : "\n    ", slots[i]);
        fprintf(out, "\n};\nconst unsigned sc_name_hash_size = %u;\n\n", size);
        free(slots);
}

/* The C identifier of a profile's program: "default+fakeroot" is
 * profile_default_fakeroot. */
static void identifier(const char *name, char *out, size_t size)
{
        snprintf(out, size, "profile_%s", name);
        for (char *c = out; *c; c++)
                if (*c == '+')
                        *c = '_';
}

static void write_program(FILE *out, const char *name, const struct sc_program *prog)
{
        char id[128];
        identifier(name, id, sizeof(id));
        fprintf(out, "static const struct sock_filter %s[%u] = {\n", id, prog->len);
        for (unsigned i = 0; i < prog->len; i++) {
                const struct sock_filter *in = &prog->insns[i];
                fprintf(out, "    {0x%04x, %u, %u, 0x%08x},\n", in->code, in->jt, in->jf, in->k);
        }
        fprintf(out, "};\n\n");
}

/* The architecture's name in listings and messages. libseccomp's architecture
 * tokens are the kernel's AUDIT_ARCH_* values. */
static const char *arch_label(uint32_t arch)
{
        static const struct {
                uint32_t arch;
                const char *label;
        } labels[] = {{SCMP_ARCH_X86_64, "x86_64"},   {SCMP_ARCH_AARCH64, "aarch64"},
                      {SCMP_ARCH_X86, "x86"},         {SCMP_ARCH_RISCV64, "riscv64"},
                      {SCMP_ARCH_PPC64LE, "ppc64le"}, {SCMP_ARCH_S390X, "s390x"}};
        for (size_t i = 0; i < ARRAY_SIZE(labels); i++)
                if (labels[i].arch == arch)
                        return labels[i].label;
        return "native";
}

static struct sc_target target_for(uint32_t arch, int table_max)
{
        return (struct sc_target){
            .arch_name = arch_label(arch),
            .audit_arch = arch,
            .table_max = table_max,
            .x32_abi = arch == SCMP_ARCH_X86_64,
            .big_endian = !(arch & 0x40000000u), /* __AUDIT_ARCH_LE */
        };
}

/* Everything OUTPUT.c holds before the profiles: the target, and the names
 * sorted and hashed. */
static void write_target_and_names(FILE *out, const struct sc_target *t,
                                   const struct entry *entries, size_t count)
{
        fprintf(out, "/* Generated by tools/seccomp-gen for %s: do not edit. */\n", t->arch_name);
        fprintf(out, "#include \"seccomp_tables.h\"\n\n");
        fprintf(out, "const struct sc_target sc_native = {\"%s\", 0x%08x, %d, %s, %s};\n\n",
                t->arch_name, t->audit_arch, t->table_max, t->x32_abi ? "true" : "false",
                t->big_endian ? "true" : "false");
        fprintf(out, "const struct sc_syscall_name sc_names[] = {\n");
        for (size_t i = 0; i < count; i++)
                fprintf(out, "    {\"%s\", %d},\n", entries[i].name, entries[i].nr);
        fprintf(out, "};\nconst unsigned sc_name_count = %zu;\n\n", count);
        write_name_hash(out, entries, count);
}

/* A profile compiled, as the table of built-in profiles lists it. */
struct builtin {
        const char *name;
        unsigned len, rules;
};

/* Loads the profile at path, with the overlay at overlay_path (or NULL)
 * composed in front of it. */
static bool load_composed(const char *path, const char *overlay_path,
                          const struct sc_resolver *resolver, struct sc_policy *policy)
{
        struct sc_policy over;
        struct diag d = {0};
        if (!sc_policy_load(path, resolver, policy, &d))
                return false;
        if (!overlay_path)
                return true;
        if (!sc_policy_load(overlay_path, resolver, &over, &d)) {
                sc_policy_free(policy);
                return false;
        }
        sc_policy_prepend(policy, &over);
        sc_policy_free(&over);
        return true;
}

/* Compiles the profile at path (with an overlay composed in front, or NULL)
 * into out as the program of NAME. Returns false (the problems reported) if
 * it has errors or does not fit in a program. */
static bool compile_profile(FILE *out, const char *name, const char *path, const char *overlay,
                            const struct sc_resolver *resolver, const struct sc_target *t,
                            struct builtin *b)
{
        struct sc_policy policy;
        if (!load_composed(path, overlay, resolver, &policy))
                return false;
        struct sc_program prog;
        char err[256];
        if (!sc_compile(&policy, t, &prog, err, sizeof(err))) {
                fprintf(stderr, "%s: %s\n", path, err);
                return false;
        }
        write_program(out, name, &prog);
        *b = (struct builtin){name, prog.len, (unsigned)policy.nrules};
        fprintf(stderr, "seccomp-gen: %s: %zu rules, %u instructions (%s)\n", name, policy.nrules,
                prog.len, t->arch_name);
        sc_program_free(&prog);
        sc_policy_free(&policy);
        return true;
}

static void write_builtins(FILE *out, const struct builtin *b, int n)
{
        fprintf(out, "const struct sc_builtin_profile sc_builtins[] = {\n");
        for (int i = 0; i < n; i++) {
                char id[128];
                identifier(b[i].name, id, sizeof(id));
                fprintf(out, "    {\"%s\", %s, %u, %u},\n", b[i].name, id, b[i].len, b[i].rules);
        }
        fprintf(out, "};\nconst unsigned sc_builtin_count = %d;\n", n);
}

/* NAME=FILE arguments: profiles, and +NAME=FILE overlays. */
struct source {
        char *name, *path;
        bool overlay;
};

static bool split_source(char *arg, struct source *src)
{
        char *eq = strchr(arg, '=');
        if (!eq) {
                fprintf(stderr,
                        "seccomp-gen: expected NAME=PROFILE.ini or +NAME=OVERLAY.ini, got %s\n",
                        arg);
                return false;
        }
        *eq = '\0';
        src->overlay = arg[0] == '+';
        src->name = arg + src->overlay;
        src->path = eq + 1;
        return true;
}

/* Every profile; every overlay alone (NAME) and composed with every profile
 * (PROFILE+NAME). A profile with errors does not stop the others: every
 * problem is reported in one run. Returns the exit status. */
static int compile_all(FILE *out, const struct source *srcs, int n,
                       const struct sc_resolver *resolver, const struct sc_target *t,
                       struct builtin *builtins, int *nbuiltins)
{
        int status = 0;
        for (int i = 0; i < n; i++) {
                if (!compile_profile(out, srcs[i].name, srcs[i].path, NULL, resolver, t,
                                     &builtins[*nbuiltins]))
                        status = 1;
                else
                        ++*nbuiltins;
                for (int j = 0; !srcs[i].overlay && j < n; j++) {
                        if (!srcs[j].overlay)
                                continue;
                        char *name = xasprintf("%s+%s", srcs[i].name, srcs[j].name);
                        if (!compile_profile(out, name, srcs[i].path, srcs[j].path, resolver, t,
                                             &builtins[*nbuiltins]))
                                status = 1;
                        else
                                ++*nbuiltins;
                }
        }
        return status;
}

int main(int argc, char **argv)
{
        uint32_t arch = seccomp_arch_native();
        int first = 1; /* OUTPUT.c */
        if (argc > 3 && !strcmp(argv[1], "--arch")) {
                arch = seccomp_arch_resolve_name(argv[2]);
                if (!arch) {
                        fprintf(stderr, "seccomp-gen: unknown architecture %s\n", argv[2]);
                        return 2;
                }
                first = 3;
        }
        if (argc - first < 2) {
                fprintf(stderr, "usage: seccomp-gen [--arch NAME] OUTPUT.c NAME=PROFILE.ini... "
                                "[+NAME=OVERLAY.ini...]\n");
                return 2;
        }
        int n = argc - first - 1, nbuiltins = 0;
        struct source *srcs = xmalloc(sizeof(*srcs) * (size_t)n);
        for (int i = 0; i < n; i++)
                if (!split_source(argv[first + 1 + i], &srcs[i]))
                        return 2;
        size_t count;
        int table_max;
        struct entry *entries = collect_names(arch, &count, &table_max);
        struct names names = {arch, xmalloc(count * sizeof(char *)), count};
        for (size_t i = 0; i < count; i++)
                names.all[i] = entries[i].name;
        struct sc_resolver resolver = {resolve, nearest, &names};
        struct sc_target target = target_for(arch, table_max);
        FILE *out = fopen(argv[first], "w");
        if (!out) {
                perror(argv[first]);
                return 1;
        }
        write_target_and_names(out, &target, entries, count);
        struct builtin *builtins = xmalloc(sizeof(*builtins) * (size_t)(n * n + 1));
        int status = compile_all(out, srcs, n, &resolver, &target, builtins, &nbuiltins);
        write_builtins(out, builtins, nbuiltins);
        if (fclose(out) != 0) {
                perror(argv[first]);
                return 1;
        }
        return status;
}
