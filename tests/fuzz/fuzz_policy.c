/* The policy parser and compiler on any text: nothing may crash, and a policy
 * that parses must compile to a program that gives every probed call the
 * verdict the policy specifies. Probes come from the rules themselves. */
#include "fuzz_common.h"

static struct harness_names names = {AUDIT_ARCH_X86_64};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const struct sc_target *t = fuzz_target();
        const char *path = input_file("policy.ini", data, size);
        struct sc_resolver r = {harness_resolve, NULL, &names};
        struct sc_policy p;
        struct diag d = {0};
        bool ok = sc_policy_load(path, &r, &p, &d);
        if (ok && d.errors == 0) {
                struct sc_program prog = {0};
                char err[256];
                if (sc_compile(&p, t, &prog, err, sizeof(err))) {
                        struct bytes b = {data, size};
                        for (int i = 0; i < 64; i++) {
                                struct seccomp_data call = probe(&b, &p, t);
                                uint32_t want = policy_verdict(&p, t, &call);
                                uint32_t got = bpf_run(prog.insns, prog.len, &call, NULL);
                                if (want != got) {
                                        fprintf(stderr, "verdict %#x, policy says %#x (nr %d)\n",
                                                got, want, call.nr);
                                        abort();
                                }
                        }
                        sc_program_free(&prog);
                }
        }
        sc_policy_free(&p);
        return 0;
}
