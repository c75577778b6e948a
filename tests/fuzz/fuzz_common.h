/* Shared by the fuzz harnesses: inputs as files (qrun's parsers read files),
 * structured policies decoded from bytes, and the probes a program is checked
 * on. A failed check aborts, which libFuzzer reports as a crash with the input. */
#ifndef QRUN_FUZZ_COMMON_H
#define QRUN_FUZZ_COMMON_H

#include "../unit/seccomp_harness.h"

#include <fcntl.h>
#include <stdint.h>

/* libFuzzer's entry point, which every harness defines (libFuzzer ships no
 * header declaring it). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Writes data to a per-process scratch file and returns its path. */
__attribute__((unused)) static const char *input_file(const char *suffix, const uint8_t *data,
                                                      size_t size)
{
        static char path[96];
        snprintf(path, sizeof(path), "/tmp/qrun-fuzz.%d.%s", (int)getpid(), suffix);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size))
                abort();
        close(fd);
        return path;
}

/* The x86_64 target every harness compiles for, described once per process
 * (harness_target asks libseccomp about every number: too slow per input). */
__attribute__((unused)) static const struct sc_target *fuzz_target(void)
{
        static struct sc_target target;
        if (!target.audit_arch)
                target = harness_target(AUDIT_ARCH_X86_64);
        return &target;
}

/* A little-endian byte reader that yields zeros once the input runs out. */
struct bytes {
        const uint8_t *p;
        size_t n;
};

__attribute__((unused)) static uint64_t take(struct bytes *b, unsigned count)
{
        uint64_t v = 0;
        for (unsigned i = 0; i < count; i++) {
                uint8_t byte = 0;
                if (b->n) {
                        byte = *b->p++;
                        b->n--;
                }
                v |= (uint64_t)byte << (8 * i);
        }
        return v;
}

/* Interesting 64-bit values around a condition's constant. */
__attribute__((unused)) static uint64_t near_value(struct bytes *b, uint64_t v)
{
        switch (take(b, 1) % 8) {
        case 0:
                return v;
        case 1:
                return v - 1;
        case 2:
                return v + 1;
        case 3:
                return v ^ 0xffffffff00000000ull; /* the other upper half */
        case 4:
                return v & 0xffffffffu;
        case 5:
                return ~0ull;
        case 6:
                return 0;
        default:
                return take(b, 8);
        }
}

static const uint32_t fuzz_actions[] = {
    SECCOMP_RET_ALLOW,        SECCOMP_RET_ERRNO | 1, SECCOMP_RET_ERRNO | 38,
    SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_TRAP,      SECCOMP_RET_LOG,
    SECCOMP_RET_KILL_THREAD,  SECCOMP_RET_TRACE | 7, SECCOMP_RET_ERRNO | 4095,
};

/* A policy decoded from bytes. one_rule_per_call and only_64bit keep it within
 * what libseccomp expresses the same way (it orders rules of one call by
 * action, not by line, and compares all 64 bits). */
__attribute__((unused)) static void decode_policy(struct bytes *b, const struct sc_target *t,
                                                  bool one_rule_per_call, bool only_64bit,
                                                  struct sc_policy *p)
{
        *p = (struct sc_policy){0};
        p->default_action = fuzz_actions[take(b, 1) % 4];
        p->unknown_action = one_rule_per_call ? p->default_action : fuzz_actions[take(b, 1) % 9];
        unsigned nrules = (unsigned)(take(b, 1) % 64);
        for (unsigned i = 0; i < nrules; i++) {
                int nr = (int)(take(b, 2) % (unsigned)(t->table_max + 20));
                bool taken = false;
                for (size_t k = 0; one_rule_per_call && k < p->nrules; k++)
                        taken |= p->rules[k]->nr == nr;
                unsigned ncond = (unsigned)(take(b, 1) % (SC_MAX_CONDS + 1));
                if (take(b, 1) % 2)
                        ncond = 0; /* most real rules have none */
                struct sc_rule *r = calloc(1, sizeof(*r) + ncond * sizeof(struct sc_cond) + 2);
                r->nr = nr;
                r->name = (const char *)&r->cond[ncond];
                r->action = fuzz_actions[take(b, 1) % 9];
                r->line = i + 1;
                r->ncond = ncond;
                uint8_t used_args = 0;
                for (unsigned c = 0; c < ncond; c++) {
                        struct sc_cond *k = &r->cond[c];
                        k->arg = (uint8_t)(take(b, 1) % 6);
                        k->width = only_64bit || take(b, 1) % 2 ? 64 : 32;
                        k->op = (uint8_t)(take(b, 1) % 7);
                        k->value = take(b, 8);
                        k->mask = take(b, 8);
                        if (k->width == 32) {
                                k->value &= 0xffffffffu;
                                k->mask &= 0xffffffffu;
                        }
                        if (k->op == SC_MASKED_EQ)
                                k->value &= k->mask;
                        if (one_rule_per_call && (used_args & (1u << k->arg)))
                                taken = true; /* libseccomp refuses two checks of one argument */
                        used_args |= (uint8_t)(1u << k->arg);
                }
                if (taken || (one_rule_per_call && r->action == p->default_action)) {
                        free(r);
                        continue;
                }
                if (p->nrules == p->cap) {
                        p->cap = p->cap ? 2 * p->cap : 8;
                        p->rules = realloc(p->rules, p->cap * sizeof(*p->rules));
                }
                p->rules[p->nrules++] = r;
        }
}

/* Call data that exercises the policy: each rule's number with arguments at
 * and around its constants, other numbers, other architectures. */
__attribute__((unused)) static struct seccomp_data probe(struct bytes *b, const struct sc_policy *p,
                                                         const struct sc_target *t)
{
        struct seccomp_data d = {.arch = t->audit_arch};
        unsigned pick = (unsigned)take(b, 1);
        if (pick % 16 == 0)
                d.arch = AUDIT_ARCH_I386;
        const struct sc_rule *r = p->nrules ? p->rules[take(b, 1) % p->nrules] : NULL;
        if (r && pick % 4) {
                d.nr = r->nr;
                for (unsigned a = 0; a < 6; a++)
                        d.args[a] = take(b, 8);
                for (unsigned c = 0; c < r->ncond; c++)
                        d.args[r->cond[c].arg] = near_value(b, r->cond[c].value);
        } else {
                d.nr = (int)(take(b, 4) % (unsigned)(t->table_max + 64));
                if (pick % 32 == 1)
                        d.nr = (int)(HARNESS_X32_BIT | (unsigned)d.nr);
                if (pick % 32 == 2)
                        d.nr = -1;
                for (unsigned a = 0; a < 6; a++)
                        d.args[a] = take(b, 8);
        }
        return d;
}

#endif
