#!/bin/bash
# Builds the libFuzzer harnesses (clang, ASan, UBSan) and runs each one.
#
#   tests/fuzz/run.sh [SECONDS] [HARNESS...]     (default: 20 seconds, all seven)
#
# Harnesses: manifest (parser and validator), policy (policy parser and
# compiler, verdicts checked), bpf (compiler on decoded policies, verdicts
# checked with an interpreter), differential (qrun against libseccomp), image
# (qrun import's layer extraction and image metadata on hostile input: nothing
# may land outside the tree), ldcache ([gpu]'s reader of the host's
# ld.so.cache: no read outside the file, every entry a string inside it),
# gpu_index (the index of that cache qrun keeps in the runtime directory:
# only what qrun writes is accepted, nothing added otherwise).
# Corpora grow in $FUZZ_OUT/corpus/NAME (FUZZ_OUT defaults to build/fuzz),
# seeded from tests/fuzz/seeds/NAME; crashes land in $FUZZ_OUT as crash-* and
# fail the run. Run as root it first installs what it needs (tools/deps.sh
# fuzz).
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-20}
shift || true
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=(manifest policy bpf differential image ldcache gpu_index)

tools/deps.sh --who fuzz fuzz
. tools/build-vars.sh
[ -f "$QRUN_TABLES" ] || ./build.sh >/dev/null
out=${FUZZ_OUT:-build/fuzz}
mkdir -p "$out"
# The unit tests' flags (tools/build-vars.sh), with libFuzzer's driver.
for name in "${harnesses[@]}"; do
        clang "${QRUN_BASE_CFLAGS[@]}" -Werror "${QRUN_INCLUDES[@]}" "${QRUN_ASAN[@]}" -fsanitize=fuzzer \
                "tests/fuzz/fuzz_$name.c" "${QRUN_LIB_SOURCES[@]}" "$QRUN_TABLES" "$QRUN_LIBINIH" "${QRUN_IMAGE_LIBS[@]}" -lseccomp \
                -o "$out/fuzz_$name"
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
