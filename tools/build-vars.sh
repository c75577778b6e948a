# Compiler flags and source lists for every C build in this repository,
# declared once. Sourced (bash) by build.sh, tests/run.sh, tests/fuzz/run.sh,
# bench/*.sh and the tests that compile (tests/integration/portability.t,
# tests/reliability/load.t):
#
#   . tools/build-vars.sh        (after tools/deps.sh: it asks gcc for the
#                                 multiarch directory)
#
# Paths are relative to the repository root: compile from there.

# Every C build, whatever the compiler: the dialect and the warnings qrun is
# held to (tests and CI add -Werror).
QRUN_WARNINGS=(-Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes
        -Wno-missing-field-initializers)
QRUN_BASE_CFLAGS=(-std=gnu11 "${QRUN_WARNINGS[@]}")
# qrun's own sources find their headers with this.
QRUN_INCLUDES=(-iquote modules)

# build/qrun: musl, static, stripped, unused sections dropped. build.sh adds
# -I"$QRUN_MUSL_INCLUDE" (musl's view of inih's and the kernel's headers, which
# build.sh sets up) and, with --werror, -Werror.
QRUN_CFLAGS=("${QRUN_BASE_CFLAGS[@]}" -O2 -fno-asynchronous-unwind-tables -ffunction-sections
        -fdata-sections -fstack-protector-strong)
QRUN_LDFLAGS=(-static -s -Wl,--gc-sections)
QRUN_MUSL_INCLUDE=build/include

# The sanitizer builds (glibc, dynamic): build/asan/qrun, the unit tests and,
# with -fsanitize=fuzzer added, the fuzz harnesses. QRUN_SYSTEM_MALLOC makes
# modules/arena.c step aside so that ASan sees every allocation. QRUN_UBSAN
# alone is for code that must keep its own allocator (tests/unit/test_arena.c).
QRUN_UBSAN=(-O1 -g -fno-omit-frame-pointer -fsanitize=undefined -fno-sanitize-recover=all)
QRUN_ASAN=("${QRUN_UBSAN[@]}" -fsanitize=address -DQRUN_SYSTEM_MALLOC)

# Programs that are not qrun: the profile generator, the probes run inside
# containers, the load generator and the benchmark programs.
QRUN_AUX_CFLAGS=("${QRUN_BASE_CFLAGS[@]}" -O2)

# The image libraries: qrun import's (libarchive's tar reader, jansson,
# nettle's SHA-256, zlib, libzstd, liblzma) and the SquashFS server's
# (squashfuse, libfuse3's low-level library, lz4, lzo). For build/qrun, tools/build-deps.sh
# builds them for musl into QRUN_DEPS (a cache outside the clone, keyed by that
# script's hash, so a new recipe gets a new directory); the glibc builds link
# Debian's own (tools/deps.sh test).
# --wrap: the SquashFS server adjusts squashfuse's replies (modules/squashfs.c).
QRUN_IMAGE_LIBS=(-Wl,--wrap=fuse_reply_attr,--wrap=fuse_reply_entry,--wrap=fuse_reply_open -larchive -ljansson -lnettle
        -lsquashfuse_ll -lsquashfuse -lfuse3 -llz4 -llzo2 -lzstd -llzma -lz)
# (The key also covers the Debian compressors' versions: their .a are copied in.)
qrun_deps_key=$({ cat "$(dirname "${BASH_SOURCE[0]}")/build-deps.sh"
        dpkg-query -W zlib1g-dev libzstd-dev liblzma-dev 2>/dev/null || true; } | sha256sum | cut -c1-16)
if [ "$(id -u)" -eq 0 ]; then
        QRUN_DEPS=${QRUN_DEPS_CACHE:-/var/cache/qrun-deps}/$qrun_deps_key
else
        QRUN_DEPS=${QRUN_DEPS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/qrun-deps}/$qrun_deps_key
fi
unset qrun_deps_key

QRUN_MULTIARCH=$(gcc -print-multiarch)
QRUN_LIBINIH=/usr/lib/$QRUN_MULTIARCH/libinih.a

# Sources. qrun is launcher.c, every module and the tables build.sh generates
# from profiles/ (QRUN_TABLES). The "library" is every module but the allocator
# (sanitizers and libFuzzer bring their own) and without launcher.c (tests and
# benchmarks have their own main): link it with QRUN_TABLES and QRUN_LIBINIH.
# The generator, which writes QRUN_TABLES, links only what parses and compiles
# a policy.
QRUN_TABLES=build/gen/seccomp_tables.c
mapfile -t QRUN_MODULES < <(cd "$(dirname "${BASH_SOURCE[0]}")/.." && printf '%s\n' modules/*.c)
QRUN_SOURCES=(launcher.c "${QRUN_MODULES[@]}")
QRUN_LIB_SOURCES=()
for qrun_src in "${QRUN_MODULES[@]}"; do
        [ "$qrun_src" = modules/arena.c ] || QRUN_LIB_SOURCES+=("$qrun_src")
done
unset qrun_src
QRUN_GEN_SOURCES=(tools/seccomp-gen.c modules/seccomp_policy.c modules/seccomp_bpf.c modules/ini_file.c
        modules/diag.c modules/fail.c modules/values.c modules/common.c)
