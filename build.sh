#!/bin/bash
# Builds build/qrun: static (musl), stripped, mode 0755. One recipe for every
# machine: Dockerfile.build runs this same script.
#
#   ./build.sh [--werror] [--sanitize]
#
# Run as root it installs the Debian packages it needs; run as a normal user
# it names the missing ones and stops. --werror (implied when CI is set) makes
# compiler warnings errors. --sanitize also builds build/asan/qrun: the same
# sources with AddressSanitizer and UndefinedBehaviorSanitizer (glibc, dynamic:
# the sanitizers' runtimes need it), for `tests/run.sh --sanitize`. Also builds
# build/rootfs, a busybox rootfs for the examples.
set -euo pipefail
cd "$(dirname "$0")"

werror=${CI:+1}
sanitize=
for arg in "$@"; do
        case $arg in
        --werror) werror=1 ;;
        --sanitize) sanitize=1 ;;
        -h | --help) sed -n '2,14s/^# \{0,1\}//p' "$0"; exit 0 ;;
        *) echo "build.sh: unknown option $arg" >&2; exit 2 ;;
        esac
done

# ---- dependencies ----
tools/need-packages.sh build.sh musl-tools libinih-dev libseccomp-dev linux-libc-dev busybox-static binutils gcc

# ---- headers for musl: inih's and the kernel's, nothing else from glibc ----
multiarch=$(gcc -print-multiarch)
mkdir -p build/include
ln -sfn /usr/include/ini.h build/include/ini.h
ln -sfn /usr/include/linux build/include/linux
ln -sfn /usr/include/asm-generic build/include/asm-generic
ln -sfn "/usr/include/$multiarch/asm" build/include/asm

# ---- seccomp: profiles compiled now, embedded as const data ----
# The generator runs on this machine (glibc, libseccomp for name lookup only);
# qrun itself links no libseccomp code.
mkdir -p build/gen
gcc -std=gnu11 -O2 -Wall -Wextra -Wno-missing-field-initializers ${werror:+-Werror} -iquote modules \
        tools/seccomp-gen.c modules/seccomp_policy.c modules/seccomp_bpf.c modules/ini_file.c \
        modules/diag.c modules/fail.c modules/values.c modules/common.c "/usr/lib/$multiarch/libinih.a" -lseccomp \
        -o build/seccomp-gen
# Every profiles/NAME.ini becomes the built-in profile NAME.
profiles=()
for f in profiles/*.ini; do
        name=$(basename "$f" .ini)
        case $name in
        none | *[!a-z0-9_]*) echo "build.sh: $f: a profile name is [a-z0-9_]+ and not none" >&2; exit 1 ;;
        esac
        profiles+=("$name=$f")
done
build/seccomp-gen build/gen/seccomp_tables.c "${profiles[@]}"

# ---- compile ----
CFLAGS=(-std=gnu11 -O2 -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes
        -Wno-missing-field-initializers -fno-asynchronous-unwind-tables -ffunction-sections -fdata-sections
        -fstack-protector-strong -Ibuild/include -iquote modules)
[ -n "$werror" ] && CFLAGS+=(-Werror)
LDFLAGS=(-static -s -Wl,--gc-sections)
sources=(launcher.c modules/*.c build/gen/seccomp_tables.c)
musl-gcc "${CFLAGS[@]}" "${sources[@]}" "/usr/lib/$multiarch/libinih.a" "${LDFLAGS[@]}" -o build/qrun.tmp
chmod 0755 build/qrun.tmp
mv -f build/qrun.tmp build/qrun
echo "build.sh: built build/qrun ($(stat -c %s build/qrun) bytes)"

# ---- the sanitizer build: same sources and flags, glibc, no arena ----
# The arena (modules/arena.c) steps aside under QRUN_SYSTEM_MALLOC so that ASan
# sees every allocation.
if [ -n "$sanitize" ]; then
        mkdir -p build/asan
        # glibc has its own headers: not build/include, which is musl's view.
        asan_cflags=()
        for flag in "${CFLAGS[@]}"; do
                [ "$flag" = -Ibuild/include ] || asan_cflags+=("$flag")
        done
        gcc "${asan_cflags[@]}" -O1 -g -fno-omit-frame-pointer -DQRUN_SYSTEM_MALLOC \
                -fsanitize=address,undefined -fno-sanitize-recover=all "${sources[@]}" \
                "/usr/lib/$multiarch/libinih.a" -o build/asan/qrun
        echo "build.sh: built build/asan/qrun (ASan + UBSan)"
fi

# ---- the examples' rootfs ----
if [ ! -x build/rootfs/bin/busybox ]; then
        tools/mkrootfs.sh build/rootfs
        echo "build.sh: built build/rootfs (busybox)"
fi
