#!/bin/bash
# Builds build/qrun: static (musl), stripped, mode 0755. One recipe for every
# machine: Dockerfile.build runs this same script.
#
#   ./build.sh [--werror] [--sanitize]
#
# Run as root it first installs the Debian packages it needs (tools/deps.sh
# build); run as a normal user it names the missing ones and stops. Flags and
# source lists come from tools/build-vars.sh. --werror (implied when CI is
# set) makes compiler warnings errors. --sanitize also builds build/asan/qrun:
# the same sources with AddressSanitizer and UndefinedBehaviorSanitizer (glibc,
# dynamic: the sanitizers' runtimes need it), for `tests/run.sh --sanitize`.
# Also builds build/rootfs, a busybox rootfs for the examples.
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

# ---- dependencies: tools/deps.sh lists them ----
tools/deps.sh --who build.sh build

# ---- flags and source lists: tools/build-vars.sh declares them ----
. tools/build-vars.sh
CFLAGS=("${QRUN_CFLAGS[@]}" -I"$QRUN_MUSL_INCLUDE" -I"$QRUN_DEPS/include" "${QRUN_INCLUDES[@]}"
        ${werror:+-Werror})

# ---- the image libraries, built for musl once per recipe (cached) ----
tools/build-deps.sh "$QRUN_DEPS"

# ---- no constructors of nettle and liblzma at every start of qrun ----
# nettle's fat_init (which code paths: SHA-NI...) and liblzma's crc64_set_func
# (CLMUL or not) run at every start of a static binary, a launch that never
# hashes or decompresses included: CPUID instructions (each a VM exit, 8-24 us
# on the development VM) and pages of code and data touched in the middle of
# the binary. So qrun links copies of the archives whose members carry no
# .init_array; the cache keeps the originals. nettle chooses on first use when
# no constructor did (its *_init stubs). liblzma has no such fallback (its
# CRC-64 would call a null pointer), so its constructor is renamed
# qrun_lzma_crc64_init, made global, and called by every process that may
# decode xz before it does (blob_prepare_xz: qrun import, the SquashFS server).
mkdir -p build/lib build/lib/members
for spec in libnettle.a:fat-x86_64.o: liblzma.a:liblzma_la-crc64_fast.o:crc64_set_func=qrun_lzma_crc64_init; do
        IFS=: read -r archive member rename <<<"$spec"
        cp "$QRUN_DEPS/lib/$archive" "build/lib/$archive.tmp"
        (cd build/lib/members && ar x "../$archive.tmp" "$member" &&
                objcopy --remove-section=.init_array "$member" &&
                if [ -n "$rename" ]; then
                        objcopy --redefine-sym "$rename" "$member" &&
                                objcopy --globalize-symbol="${rename#*=}" "$member" &&
                                nm "$member" | grep -q " T ${rename#*=}$" ||
                                { echo "build.sh: no global ${rename#*=} in $archive's $member" >&2; exit 1; }
                fi &&
                ar r "../$archive.tmp" "$member" 2>/dev/null && rm "$member") ||
                { echo "build.sh: unable to take the constructor out of $archive's $member" >&2; exit 1; }
        mv -f "build/lib/$archive.tmp" "build/lib/$archive"
done

# ---- headers for musl: inih's and the kernel's, nothing else from glibc ----
mkdir -p "$QRUN_MUSL_INCLUDE"
ln -sfn /usr/include/ini.h "$QRUN_MUSL_INCLUDE/ini.h"
ln -sfn /usr/include/linux "$QRUN_MUSL_INCLUDE/linux"
ln -sfn /usr/include/asm-generic "$QRUN_MUSL_INCLUDE/asm-generic"
ln -sfn "/usr/include/$QRUN_MULTIARCH/asm" "$QRUN_MUSL_INCLUDE/asm"

# ---- seccomp: profiles compiled now, embedded as const data ----
# The generator runs on this machine (glibc, libseccomp for name lookup only);
# qrun itself links no libseccomp code.
mkdir -p "$(dirname "$QRUN_TABLES")"
gcc "${QRUN_AUX_CFLAGS[@]}" "${QRUN_INCLUDES[@]}" ${werror:+-Werror} "${QRUN_GEN_SOURCES[@]}" "$QRUN_LIBINIH" \
        -lseccomp -o build/seccomp-gen
# Every profiles/NAME.ini becomes the built-in profile NAME.
profiles=()
for f in profiles/*.ini; do
        name=$(basename "$f" .ini)
        case $name in
        none | *[!a-z0-9_]*) echo "build.sh: $f: a profile name is [a-z0-9_]+ and not none" >&2; exit 1 ;;
        esac
        profiles+=("$name=$f")
done
# Every profiles/overlays/NAME.ini is composed with each of them as the
# built-in profile PROFILE+NAME, and compiled alone as NAME (fakeroot).
for f in profiles/overlays/*.ini; do
        profiles+=("+$(basename "$f" .ini)=$f")
done
build/seccomp-gen "$QRUN_TABLES" "${profiles[@]}"

# ---- compile ----
sources=("${QRUN_SOURCES[@]}" "$QRUN_TABLES")
musl-gcc "${CFLAGS[@]}" "${sources[@]}" "$QRUN_LIBINIH" -Lbuild/lib -L"$QRUN_DEPS/lib" "${QRUN_IMAGE_LIBS[@]}" \
        "${QRUN_LDFLAGS[@]}" -o build/qrun.tmp
chmod 0755 build/qrun.tmp
mv -f build/qrun.tmp build/qrun
echo "build.sh: built build/qrun ($(stat -c %s build/qrun) bytes)"

# ---- the sanitizer build: same sources and flags, glibc, no arena ----
# The arena (modules/arena.c) steps aside under QRUN_SYSTEM_MALLOC so that ASan
# sees every allocation. glibc has its own headers: not QRUN_MUSL_INCLUDE.
if [ -n "$sanitize" ]; then
        mkdir -p build/asan
        gcc "${QRUN_CFLAGS[@]}" "${QRUN_INCLUDES[@]}" ${werror:+-Werror} "${QRUN_ASAN[@]}" "${sources[@]}" \
                "$QRUN_LIBINIH" "${QRUN_IMAGE_LIBS[@]}" -o build/asan/qrun
        echo "build.sh: built build/asan/qrun (ASan + UBSan)"
fi

# ---- the examples' rootfs ----
if [ ! -x build/rootfs/bin/busybox ]; then
        tools/mkrootfs.sh build/rootfs
        echo "build.sh: built build/rootfs (busybox)"
fi
