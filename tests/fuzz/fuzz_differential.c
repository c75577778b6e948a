/* Differential: random policies compiled by qrun and by libseccomp, run on the
 * same calls by a BPF interpreter; the verdicts must agree. Policies stay
 * within what both express alike (see decode_policy); x86_64 only, as
 * libseccomp's native filter. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const struct sc_target *t = fuzz_target();
        struct bytes b = {data, size};
        struct sc_policy p;
        decode_policy(&b, t, true, true, &p);
        struct sc_program ours = {0};
        char err[256];
        struct sock_filter *theirs = NULL;
        bool tree = take(&b, 1) % 2;
        unsigned theirs_len = 0;
        if (sc_compile(&p, t, &ours, err, sizeof(err)))
                theirs_len = libseccomp_compile(&p, AUDIT_ARCH_X86_64, tree, &theirs);
        for (int i = 0; theirs_len && i < 128; i++) {
                struct seccomp_data call = probe(&b, &p, t);
                if (call.arch != AUDIT_ARCH_X86_64 || (uint32_t)call.nr > (uint32_t)t->table_max)
                        continue; /* numbers libseccomp has no name for: compared elsewhere */
                uint32_t q = bpf_run(ours.insns, ours.len, &call, NULL);
                uint32_t l = bpf_run(theirs, theirs_len, &call, NULL);
                if (q != l) {
                        fprintf(stderr, "qrun %#x, libseccomp %#x (nr %d, tree %d)\n", q, l,
                                call.nr, tree);
                        abort();
                }
        }
        free(theirs);
        sc_program_free(&ours);
        sc_policy_free(&p);
        return 0;
}
