/* The seccomp compiler: a policy becomes a classic BPF program shaped so that
 * the kernel attaches it quickly. Shared by the build-time generator (built-in
 * profiles) and qrun itself (custom profile files). */
#ifndef QRUN_SECCOMP_BPF_H
#define QRUN_SECCOMP_BPF_H

#include "seccomp_policy.h"

#include <linux/filter.h>
#include <stdbool.h>
#include <stdio.h>

/* The one architecture a program is for. */
struct sc_target {
        const char *arch_name; /* "x86_64" */
        uint32_t audit_arch;   /* AUDIT_ARCH_* */
        int table_max;         /* the highest system call number of the name table */
        bool x32_abi;          /* x86_64: numbers with bit 30 set are x32 calls */
        bool big_endian;       /* which half of a 64-bit argument comes first */
};

struct sc_program {
        struct sock_filter *insns;
        unsigned len;
};

/* Compiles p for t:
 *   1. a call from another architecture (i386's int 0x80, say) is killed;
 *   2. numbers are sorted into ranges that share one decision, and a binary
 *      search (JGE) finds the range, weighted so that the numbers the kernel
 *      evaluates when it attaches the filter take the shortest paths;
 *   3. argument checks happen only in the leaves of calls that have them, so
 *      every other allowed call is in the kernel's constant-allow cache;
 *   4. each distinct action is one shared RET.
 * x32 numbers (bit 30) are killed like a foreign architecture; -1 and numbers
 * above the table get the unknown action. Returns false with a message in err
 * if the program would exceed the kernel's limit. */
bool sc_compile(const struct sc_policy *p, const struct sc_target *t, struct sc_program *out,
                char *err, size_t errlen);
void sc_program_free(struct sc_program *prog);

/* Prints a readable listing; name_of(nr) names a system call (or returns NULL). */
void sc_disassemble(const struct sock_filter *insns, unsigned len, const struct sc_target *t,
                    const char *(*name_of)(int nr), FILE *out);

#endif
