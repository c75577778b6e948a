/* Tools to check seccomp programs without attaching them: a classic BPF
 * interpreter, the kernel's constant-allow emulation, a direct evaluator of
 * qrun's policy semantics, and libseccomp as an independent compiler. Used by
 * the unit tests, the fuzzers and the benchmarks. */
#ifndef QRUN_SECCOMP_HARNESS_H
#define QRUN_SECCOMP_HARNESS_H

#define _GNU_SOURCE
#include "seccomp_bpf.h"
#include "seccomp_policy.h"
#include "values.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define HARNESS_X32_BIT 0x40000000u

/* ---- a classic BPF interpreter, as the kernel runs seccomp programs ---- */

/* Returns the program's verdict, or 0xdeadbeef for a malformed program. */
__attribute__((unused)) static uint32_t bpf_run(const struct sock_filter *f, unsigned len,
                                                const struct seccomp_data *d, unsigned *steps)
{
        uint32_t A = 0, X = 0, mem[BPF_MEMWORDS] = {0};
        const unsigned char *data = (const unsigned char *)d;
        unsigned n = 0;
        for (unsigned pc = 0; pc < len; pc++) {
                const struct sock_filter *in = &f[pc];
                n++;
                uint32_t src = BPF_SRC(in->code) == BPF_X ? X : in->k;
                switch (BPF_CLASS(in->code)) {
                case BPF_LD:
                        if (BPF_MODE(in->code) == BPF_ABS) {
                                if (BPF_SIZE(in->code) != BPF_W || in->k % 4 ||
                                    in->k + 4 > sizeof(*d))
                                        return 0xdeadbeef;
                                memcpy(&A, data + in->k, 4);
                        } else if (BPF_MODE(in->code) == BPF_IMM) {
                                A = in->k;
                        } else if (BPF_MODE(in->code) == BPF_MEM && in->k < BPF_MEMWORDS) {
                                A = mem[in->k];
                        } else if (BPF_MODE(in->code) == BPF_LEN) {
                                A = sizeof(*d);
                        } else {
                                return 0xdeadbeef;
                        }
                        break;
                case BPF_LDX:
                        if (BPF_MODE(in->code) == BPF_IMM)
                                X = in->k;
                        else if (BPF_MODE(in->code) == BPF_MEM && in->k < BPF_MEMWORDS)
                                X = mem[in->k];
                        else if (BPF_MODE(in->code) == BPF_LEN)
                                X = sizeof(*d);
                        else
                                return 0xdeadbeef;
                        break;
                case BPF_ST:
                        if (in->k >= BPF_MEMWORDS)
                                return 0xdeadbeef;
                        mem[in->k] = A;
                        break;
                case BPF_STX:
                        if (in->k >= BPF_MEMWORDS)
                                return 0xdeadbeef;
                        mem[in->k] = X;
                        break;
                case BPF_ALU:
                        switch (BPF_OP(in->code)) {
                        case BPF_ADD:
                                A += src;
                                break;
                        case BPF_SUB:
                                A -= src;
                                break;
                        case BPF_MUL:
                                A *= src;
                                break;
                        case BPF_DIV:
                                if (!src)
                                        return 0;
                                A /= src;
                                break;
                        case BPF_MOD:
                                if (!src)
                                        return 0;
                                A %= src;
                                break;
                        case BPF_OR:
                                A |= src;
                                break;
                        case BPF_AND:
                                A &= src;
                                break;
                        case BPF_XOR:
                                A ^= src;
                                break;
                        case BPF_LSH:
                                A <<= src & 31;
                                break;
                        case BPF_RSH:
                                A >>= src & 31;
                                break;
                        case BPF_NEG:
                                A = -A;
                                break;
                        default:
                                return 0xdeadbeef;
                        }
                        break;
                case BPF_JMP: {
                        if (BPF_OP(in->code) == BPF_JA) {
                                pc += in->k;
                                break;
                        }
                        bool taken;
                        switch (BPF_OP(in->code)) {
                        case BPF_JEQ:
                                taken = A == src;
                                break;
                        case BPF_JGT:
                                taken = A > src;
                                break;
                        case BPF_JGE:
                                taken = A >= src;
                                break;
                        case BPF_JSET:
                                taken = (A & src) != 0;
                                break;
                        default:
                                return 0xdeadbeef;
                        }
                        pc += taken ? in->jt : in->jf;
                        break;
                }
                case BPF_RET:
                        if (steps)
                                *steps = n;
                        return BPF_RVAL(in->code) == BPF_A ? A : in->k;
                case BPF_MISC:
                        if (BPF_MISCOP(in->code) == BPF_TAX)
                                X = A;
                        else
                                A = X;
                        break;
                default:
                        return 0xdeadbeef;
                }
        }
        return 0xdeadbeef; /* ran off the end */
}

/* ---- the kernel's constant-allow emulation (kernel/seccomp.c, 5.11+) ----
 * At attach time the kernel runs the filter once per system call number with
 * no argument values; when the path reaches RET ALLOW without loading an
 * argument, the number goes into a bitmap and later calls skip the filter.
 * *cost counts the instructions emulated: the attach-time work. */
__attribute__((unused)) static bool kernel_const_allow(const struct sock_filter *f, unsigned len,
                                                       uint32_t arch, uint32_t nr, unsigned *cost)
{
        uint32_t reg = 0;
        for (unsigned pc = 0; pc < len; pc++) {
                const struct sock_filter *in = &f[pc];
                (*cost)++;
                switch (in->code) {
                case BPF_LD | BPF_W | BPF_ABS:
                        if (in->k == offsetof(struct seccomp_data, nr))
                                reg = nr;
                        else if (in->k == offsetof(struct seccomp_data, arch))
                                reg = arch;
                        else
                                return false;
                        break;
                case BPF_RET | BPF_K:
                        return in->k == SECCOMP_RET_ALLOW;
                case BPF_JMP | BPF_JA:
                        pc += in->k;
                        break;
                case BPF_JMP | BPF_JEQ | BPF_K:
                case BPF_JMP | BPF_JGE | BPF_K:
                case BPF_JMP | BPF_JGT | BPF_K:
                case BPF_JMP | BPF_JSET | BPF_K: {
                        bool r;
                        switch (BPF_OP(in->code)) {
                        case BPF_JEQ:
                                r = reg == in->k;
                                break;
                        case BPF_JGE:
                                r = reg >= in->k;
                                break;
                        case BPF_JGT:
                                r = reg > in->k;
                                break;
                        default:
                                r = (reg & in->k) != 0;
                                break;
                        }
                        pc += r ? in->jt : in->jf;
                        break;
                }
                case BPF_ALU | BPF_AND | BPF_K:
                        reg &= in->k;
                        break;
                default:
                        return false;
                }
        }
        return false;
}

/* ---- qrun's semantics, evaluated directly from the rules ---- */

static bool cond_holds(const struct sc_cond *c, const struct seccomp_data *d)
{
        uint64_t a = d->args[c->arg];
        if (c->width == 32)
                a &= UINT32_MAX;
        switch (c->op) {
        case SC_EQ:
                return a == c->value;
        case SC_NE:
                return a != c->value;
        case SC_LT:
                return a < c->value;
        case SC_LE:
                return a <= c->value;
        case SC_GT:
                return a > c->value;
        case SC_GE:
                return a >= c->value;
        default:
                return (a & c->mask) == c->value;
        }
}

/* What the policy says a call gets (the specification the program must meet). */
__attribute__((unused)) static uint32_t
policy_verdict(const struct sc_policy *p, const struct sc_target *t, const struct seccomp_data *d)
{
        if (d->arch != t->audit_arch)
                return SECCOMP_RET_KILL_PROCESS;
        uint32_t nr = (uint32_t)d->nr;
        if (t->x32_abi && nr >= HARNESS_X32_BIT && nr != UINT32_MAX)
                return SECCOMP_RET_KILL_PROCESS;
        uint32_t span = (uint32_t)t->table_max;
        for (size_t i = 0; i < p->nrules; i++)
                if ((uint32_t)p->rules[i]->nr > span)
                        span = (uint32_t)p->rules[i]->nr;
        if (nr > span)
                return p->unknown_action;
        for (size_t i = 0; i < p->nrules; i++) {
                const struct sc_rule *r = p->rules[i];
                if ((uint32_t)r->nr != nr)
                        continue;
                unsigned c = 0;
                while (c < r->ncond && cond_holds(&r->cond[c], d))
                        c++;
                if (c == r->ncond)
                        return r->action;
        }
        return p->default_action;
}

/* ---- libseccomp, for names and as an independent compiler ---- */

struct harness_names {
        uint32_t arch;
};

__attribute__((unused)) static enum sc_name_kind harness_resolve(void *ctx, const char *name,
                                                                 int *nr)
{
        struct harness_names *n = ctx;
        int v = seccomp_syscall_resolve_name_arch(n->arch, name);
        if (v >= 0) {
                *nr = v;
                return SC_NAME_NATIVE;
        }
        return v == __NR_SCMP_ERROR ? SC_NAME_UNKNOWN : SC_NAME_FOREIGN;
}

/* The target description the generator uses, for any architecture. */
__attribute__((unused)) static struct sc_target harness_target(uint32_t arch)
{
        int max = 0;
        for (int nr = 0; nr < 8192; nr++) {
                char *name = seccomp_syscall_resolve_num_arch(arch, nr);
                if (name) {
                        max = nr;
                        free(name);
                }
        }
        return (struct sc_target){.arch_name = "test",
                                  .audit_arch = arch,
                                  .table_max = max,
                                  .x32_abi = arch == SCMP_ARCH_X86_64,
                                  .big_endian = !(arch & 0x40000000u)};
}

/* Compiles the same rules with libseccomp (64-bit comparisons, its own rule
 * precedence). tree asks for its binary-tree optimization. Returns the number
 * of instructions, 0 on failure. */
/* Adds the policy's rules to ctx (whose architectures are set); returns how
 * many libseccomp refused, or -1 when strict and one was refused. */
static int libseccomp_add_rules(scmp_filter_ctx ctx, const struct sc_policy *p, bool exact,
                                bool strict)
{
        int refused = 0;
        for (size_t i = 0; i < p->nrules; i++) {
                const struct sc_rule *r = p->rules[i];
                struct scmp_arg_cmp cmp[SC_MAX_CONDS];
                static const enum scmp_compare ops[] = {[SC_EQ] = SCMP_CMP_EQ,
                                                        [SC_NE] = SCMP_CMP_NE,
                                                        [SC_LT] = SCMP_CMP_LT,
                                                        [SC_LE] = SCMP_CMP_LE,
                                                        [SC_GT] = SCMP_CMP_GT,
                                                        [SC_GE] = SCMP_CMP_GE,
                                                        [SC_MASKED_EQ] = SCMP_CMP_MASKED_EQ};
                for (unsigned c = 0; c < r->ncond; c++) {
                        const struct sc_cond *k = &r->cond[c];
                        cmp[c] = (struct scmp_arg_cmp){k->arg, ops[k->op],
                                                       k->op == SC_MASKED_EQ ? k->mask : k->value,
                                                       k->op == SC_MASKED_EQ ? k->value : 0};
                }
                if (r->action == p->default_action)
                        continue; /* libseccomp refuses rules that repeat the default */
                /* libseccomp's API numbers calls as the build machine does and maps
                 * them to the filter's architectures by name. */
                int nr = exact ? r->nr : seccomp_syscall_resolve_name(r->name);
                int rc = exact ? seccomp_rule_add_exact_array(ctx, r->action, nr, r->ncond, cmp)
                               : seccomp_rule_add_array(ctx, r->action, nr, r->ncond, cmp);
                if (rc < 0) {
                        if (strict) {
                                fprintf(stderr, "# libseccomp refused rule for %s (line %u): %s\n",
                                        r->name, r->line, strerror(-rc));
                                return -1;
                        }
                        refused++;
                }
        }
        return refused;
}

/* Exports ctx's program (in this machine's byte order for little-endian targets). */
static unsigned libseccomp_export(scmp_filter_ctx ctx, struct sock_filter **out)
{
        int fd = memfd_create("bpf", 0);
        unsigned len = 0;
        if (fd >= 0 && seccomp_export_bpf(ctx, fd) == 0) {
                off_t size = lseek(fd, 0, SEEK_END);
                *out = malloc((size_t)size);
                if (pread(fd, *out, (size_t)size, 0) == size)
                        len = (unsigned)(size / sizeof(struct sock_filter));
        }
        if (fd >= 0)
                close(fd);
        return len;
}

/* Compiles the same rules with libseccomp (64-bit comparisons, its own rule
 * precedence) for one architecture. tree asks for its binary-tree
 * optimization. Returns the number of instructions, 0 on failure. */
__attribute__((unused)) static unsigned libseccomp_compile(const struct sc_policy *p, uint32_t arch,
                                                           bool tree, struct sock_filter **out)
{
        scmp_filter_ctx ctx = seccomp_init(p->default_action);
        if (!ctx)
                return 0;
        seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
        if (tree)
                seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
        /* Native out first: one filter cannot mix byte orders (s390x). */
        if (arch != seccomp_arch_native() &&
            (seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE) < 0 || seccomp_arch_add(ctx, arch) < 0)) {
                seccomp_release(ctx);
                return 0;
        }
        unsigned len = 0;
        if (libseccomp_add_rules(ctx, p, arch == seccomp_arch_native(), true) == 0)
                len = libseccomp_export(ctx, out);
        seccomp_release(ctx);
        return len;
}

#endif
