#!/bin/bash
# Builds the libFuzzer harnesses (clang, ASan, UBSan) and runs each one.
#
#   tests/fuzz/run.sh [SECONDS] [HARNESS...]     (default: 20 seconds, all four)
#
# Harnesses: manifest (parser and validator), policy (policy parser and
# compiler, verdicts checked), bpf (compiler on decoded policies, verdicts
# checked with an interpreter), differential (qrun against libseccomp).
# Corpora grow in $FUZZ_OUT/corpus/NAME (FUZZ_OUT defaults to build/fuzz),
# seeded from tests/fuzz/seeds/NAME; crashes land in $FUZZ_OUT as crash-* and
# fail the run. Run as root it installs what it needs.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-20}
shift || true
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=(manifest policy bpf differential)

tools/need-packages.sh fuzz clang libclang-rt-14-dev libseccomp-dev libinih-dev
[ -f build/gen/seccomp_tables.c ] || ./build.sh >/dev/null
multiarch=$(gcc -print-multiarch)
modules=($(ls modules/*.c | grep -v modules/arena.c) build/gen/seccomp_tables.c)
out=${FUZZ_OUT:-build/fuzz}
mkdir -p "$out"
for name in "${harnesses[@]}"; do
        clang -std=gnu11 -O1 -g -DQRUN_SYSTEM_MALLOC -fsanitize=fuzzer,address,undefined \
                -fno-sanitize-recover=all -iquote modules tests/fuzz/fuzz_$name.c "${modules[@]}" \
                "/usr/lib/$multiarch/libinih.a" -lseccomp -o "$out/fuzz_$name"
done

# The harnesses run in parallel (one job each); each must finish clean.
pids=()
for name in "${harnesses[@]}"; do
        mkdir -p "$out/corpus/$name"
        seeds=()
        [ -d "tests/fuzz/seeds/$name" ] && seeds=("$PWD/tests/fuzz/seeds/$name")
        (cd "$out" && exec "./fuzz_$name" -max_total_time="$seconds" -close_fd_mask=2 \
                -max_len=8192 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
                "corpus/$name" "${seeds[@]}" >"log-$name.txt" 2>&1) &
        pids+=($!)
done
status=0
for i in "${!pids[@]}"; do
        name=${harnesses[$i]}
        if wait "${pids[$i]}"; then
                runs=$(awk '/stat::number_of_executed_units/ {print $2}' "$out/log-$name.txt")
                echo "fuzz $name: ${runs:-?} inputs in ${seconds}s, no crash, leak or disagreement"
        else
                echo "fuzz $name: FAILED; see $out/log-$name.txt:" >&2
                grep -E "ERROR|SUMMARY|verdict|qrun .*libseccomp|refused" "$out/log-$name.txt" | head -5 >&2
                status=1
        fi
done
exit $status
