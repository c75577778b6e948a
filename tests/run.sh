#!/bin/bash
# Runs every qrun test: ./tests/run.sh [--quick]
#
# Builds qrun, compiles the unit tests (with ASan and UBSan; the allocator's
# with UBSan alone, as ASan would replace it), builds a busybox rootfs with
# the qtest and escape probes, then runs everything under prove (TAP): unit,
# integration, security (escape attempts), reliability (load, faults) and hpc
# (a real Slurm on localhost, MPI through qrun: tests/hpc/slurm.sh).
# Then it runs the integration, security and reliability tests a
# second time against build/asan/qrun, qrun built with ASan and UBSan
# (build.sh --sanitize). --quick skips that second pass and the fuzz smoke.
# As root (CI) it first installs what it needs (tools/deps.sh test) and runs
# qrun as the unprivileged account qrun-test, never as root; as a normal user
# it runs qrun as yourself. Compiler flags: tools/build-vars.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
quick=
for arg in "$@"; do
        case $arg in
        --quick) quick=1 ;;
        -h | --help) sed -n '2,14s/^# \{0,1\}//p' "$0"; exit 0 ;;
        *) echo "tests/run.sh: unknown option $arg" >&2; exit 2 ;;
        esac
done

# ---- dependencies: tools/deps.sh lists them ----
if [ -n "$quick" ]; then
        tools/deps.sh --who tests/run.sh test hpc
else
        tools/deps.sh --who tests/run.sh test hpc fuzz
fi

if [ -n "$quick" ]; then ./build.sh --werror; else ./build.sh --werror --sanitize; fi
. tools/build-vars.sh

# ---- unit tests: the parsers and the allocator, built for the host with sanitizers ----
# Every module but the allocator (the sanitizers bring their own), plus the
# tables build.sh generated; libseccomp is the tests' independent reference.
# test_arena tests that allocator: it links modules/arena.c alone, without
# ASan (which replaces malloc), so that its malloc is the arena's.
mkdir -p build/tests
for src in tests/unit/*.c; do
        name=$(basename "$src" .c)
        if [ "$name" = test_arena ]; then
                gcc "${QRUN_BASE_CFLAGS[@]}" -Werror "${QRUN_INCLUDES[@]}" "${QRUN_UBSAN[@]}" "$src" \
                        modules/arena.c -o "build/tests/$name.t"
        else
                gcc "${QRUN_BASE_CFLAGS[@]}" -Werror "${QRUN_INCLUDES[@]}" "${QRUN_ASAN[@]}" "$src" \
                        "${QRUN_LIB_SOURCES[@]}" "$QRUN_TABLES" "$QRUN_LIBINIH" "${QRUN_IMAGE_LIBS[@]}" -lseccomp -o "build/tests/$name.t"
        fi
done

# ---- integration fixture: an unprivileged account, a rootfs, the probe ----
work=$(mktemp -d /tmp/qrun-tests.XXXXXX)
[ -n "${KEEP:-}" ] || trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
export QRUN_TEST_USER=${QRUN_TEST_USER:-qrun-test} # another account per concurrent run
if [ "$(id -u)" -eq 0 ] && ! id "$QRUN_TEST_USER" >/dev/null 2>&1; then
        useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$QRUN_TEST_USER"
fi
tools/mkrootfs.sh "$work/rootfs" >/dev/null
musl-gcc -static "${QRUN_AUX_CFLAGS[@]}" -Werror -I"$QRUN_MUSL_INCLUDE" tests/helper/qtest.c -o "$work/rootfs/bin/qtest"
musl-gcc -static "${QRUN_AUX_CFLAGS[@]}" -Werror -I"$QRUN_MUSL_INCLUDE" tests/security/escape.c \
        -o "$work/rootfs/bin/escape"
musl-gcc -static "${QRUN_AUX_CFLAGS[@]}" -Werror tests/security/suid_probe.c -o "$work/suid_probe"
gcc "${QRUN_AUX_CFLAGS[@]}" -Werror tests/helper/vsock_bypass.c -lseccomp -o "$work/vsock_bypass"
cp build/qrun "$work/qrun"
[ -n "$quick" ] || cp build/asan/qrun "$work/qrun-asan"
chmod -R a+rX "$work"
export QRUN="$work/qrun" ROOTFS="$work/rootfs" QRUN_SOURCE=$PWD QRUN_HELPERS="$work"

# ---- style: the one formatter configuration, short functions ----
tools/check-style.sh

# ---- fuzzing, briefly: the long runs are tests/fuzz/run.sh SECONDS ----
[ -n "$quick" ] || FUZZ_OUT=build/fuzz-smoke tests/fuzz/run.sh "${QRUN_FUZZ_SECONDS:-10}"

suites=(tests/integration/*.t tests/security/*.t tests/reliability/*.t)
# tests/hpc: a real Slurm and MPI; tests/packaging: Dockerfile.build built with
# podman. Once each: the sanitized pass adds nothing there.
prove --exec '' build/tests/*.t "${suites[@]}" tests/hpc/*.t tests/packaging/*.t
[ -n "$quick" ] && exit 0

# ---- the same suites against qrun built with ASan and UBSan ----
# Any report aborts qrun (exit status and stderr change), so a finding fails
# the test that provoked it. Leaks are checked too (see leak_check_now()).
# The load test's 10,000 launches ran above; here 2,000 suffice to exercise
# every path under the sanitizers (a sanitized launch takes ~15 ms, not ~1).
echo "tests/run.sh: again, against build/asan/qrun (ASan + UBSan)"
QRUN="$work/qrun-asan" QRUN_SANITIZED=1 QRUN_LOAD_LAUNCHES=2000 ASAN_OPTIONS=detect_leaks=1 \
        prove --exec '' "${suites[@]}"
