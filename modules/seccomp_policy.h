/* Seccomp policies: the INI format of profiles/ (documented in profiles/README.md),
 * parsed into rules. Used at build time for the built-in profiles (names
 * resolved by libseccomp) and at run time for custom profile files (names
 * resolved with the table embedded in qrun). */
#ifndef QRUN_SECCOMP_POLICY_H
#define QRUN_SECCOMP_POLICY_H

#include "diag.h"

#include <stddef.h>
#include <stdint.h>

#define SC_MAX_CONDS 8

enum sc_op { SC_EQ, SC_NE, SC_LT, SC_LE, SC_GT, SC_GE, SC_MASKED_EQ };

/* argN:WIDTH OP VALUE, or argN:WIDTH & MASK == VALUE. A 32-bit condition
 * looks at the low half of the register only, as the kernel does when the
 * argument is an int: socket(0x100000028, ...) is socket(AF_VSOCK, ...). */
struct sc_cond {
        uint8_t arg;
        uint8_t width; /* 32 or 64 */
        uint8_t op;    /* enum sc_op */
        uint64_t mask; /* SC_MASKED_EQ only */
        uint64_t value;
};

/* One rule: when every condition holds, the call gets action. Rules for the
 * same system call are tried in file order; the first that matches decides,
 * and a call no rule matches gets the policy's default action. */
struct sc_rule {
        const char *name; /* stored after the conditions, in the same allocation */
        int nr;
        uint32_t action; /* a SECCOMP_RET_* value */
        unsigned line;
        unsigned ncond;
        struct sc_cond cond[]; /* exactly ncond: most rules have none */
};

struct sc_policy {
        uint32_t default_action; /* calls no rule decides */
        uint32_t unknown_action; /* numbers above the name table (newer kernels) */
        struct sc_rule **rules;  /* in file order */
        size_t nrules, cap;
        unsigned foreign_names; /* names of other architectures' calls, skipped */
};

enum sc_name_kind { SC_NAME_NATIVE, SC_NAME_FOREIGN, SC_NAME_UNKNOWN };

/* How names become numbers for the target architecture. */
struct sc_resolver {
        enum sc_name_kind (*resolve)(void *ctx, const char *name, int *nr);
        const char *(*nearest)(void *ctx, const char *name); /* a suggestion, or NULL */
        void *ctx;
};

/* Parses a policy file; reports every problem as FILE:LINE: [section] key: ...
 * and returns false if there was any. */
bool sc_policy_load(const char *path, const struct sc_resolver *r, struct sc_policy *p,
                    struct diag *d);
void sc_policy_free(struct sc_policy *p);

/* Composition: over's rules go in front of p's (they decide first), and p's
 * rules for the calls over decides unconditionally are dropped (they would
 * never apply). p keeps its default and unknown actions; over is left empty.
 * Used to compose the fakeroot overlay with every built-in profile. */
void sc_policy_prepend(struct sc_policy *p, struct sc_policy *over);

/* "allow", "log", "kill_process", "fake" (errno 0), "errno EPERM", "errno 1". */
bool sc_parse_action(const char *text, uint32_t *action, struct diag *d);

/* The inverse, for disassembly and messages. */
void sc_format_action(uint32_t action, char *buf, size_t size);

/* Errno names and numbers of the build's libc. */
int sc_errno_by_name(const char *name); /* -1 if unknown */
const char *sc_errno_name(int value);   /* NULL if unknown */

#endif
