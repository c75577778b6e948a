/* The BPF compiler on policies decoded from bytes (every shape the parser
 * could produce, without the parser's limits on what is written): the program
 * must compile, stay within BPF's limits and give every probed call the
 * policy's verdict, checked with a BPF interpreter. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const struct sc_target *t = fuzz_target();
        struct bytes b = {data, size};
        struct sc_policy p;
        decode_policy(&b, t, false, false, &p);
        struct sc_program prog = {0};
        char err[256];
        if (!sc_compile(&p, t, &prog, err, sizeof(err))) {
                fprintf(stderr, "refused a valid policy: %s\n", err);
                abort();
        }
        if (prog.len == 0 || prog.len > BPF_MAXINSNS)
                abort();
        for (int i = 0; i < 128; i++) {
                struct seccomp_data call = probe(&b, &p, t);
                uint32_t want = policy_verdict(&p, t, &call);
                uint32_t got = bpf_run(prog.insns, prog.len, &call, NULL);
                if (want != got) {
                        fprintf(stderr, "verdict %#x, policy says %#x (nr %d)\n", got, want,
                                call.nr);
                        abort();
                }
        }
        sc_program_free(&prog);
        sc_policy_free(&p);
        return 0;
}
