#!/bin/bash
# The Debian packages each task needs, in one place:
#
#   tools/deps.sh [--who NAME] PURPOSE...
#
#   build          build.sh: build/qrun, the profile generator, build/rootfs
#   test           tests/run.sh: build's, the style check, the aarch64 check,
#                  bwrap (comparisons), umoci, skopeo, a registry (import), what
#                  builds the Debian image (tests/helper/debian-image.sh),
#                  makes SquashFS files and builds Dockerfile.build (podman)
#   hpc            tests/hpc and bench/mpi.sh: Slurm (slurmctld, slurmd,
#                  slurmdbd with MariaDB, the client, spank.h), munge, Open
#                  MPI (mpicc builds the probe of the MPI rootfs), and what
#                  builds that rootfs
#   fuzz           tests/fuzz/run.sh: build's, and clang with libFuzzer
#   bench          bench/*.sh: build's, and hyperfine and the report tools
#   bench-compare  bench/compare.sh: bench's, and the other launchers
#   bench-import   bench/import.sh: bench's, the Debian image's tools, umoci,
#                  GNU time, zstd, mksquashfs, perf, strace, igzip
#
# Each script that needs packages runs this as its first step. As root it
# installs the missing ones (tools/need-packages.sh); as a normal user it names
# them and exits 1. NAME prefixes the messages (default: deps.sh).
# Dockerfile.build copies this file and need-packages.sh alone and runs
# `tools/deps.sh build` before copying the sources, so the layer caches.
set -euo pipefail
who=deps.sh
if [ "${1:-}" = --who ]; then
        who=$2
        shift 2
fi
[ $# -gt 0 ] || { sed -n '2,25s/^# \{0,1\}//p' "$0" >&2; exit 2; }
packages=()
add() { # PURPOSE: its packages, after those of what it builds on
        case $1 in
        build)
                # the glibc builds (sanitizers, unit tests, fuzzers) link Debian's image
                # libraries; build/qrun links musl builds of them (tools/build-deps.sh)
                packages+=(musl-tools libinih-dev libseccomp-dev linux-libc-dev busybox-static binutils gcc
                        libc6-dev libarchive-dev libjansson-dev nettle-dev libzstd-dev liblzma-dev zlib1g-dev
                        libsquashfuse-dev libfuse3-dev liblz4-dev liblzo2-dev)
                ;;
        test)
                add build
                packages+=(util-linux perl python3 clang-format file bubblewrap gcc-aarch64-linux-gnu
                        libc6-dev-arm64-cross linux-libc-dev-arm64-cross)
                # import.t builds, pushes and compares images; debian-image.sh
                # builds the Debian image; images.t makes SquashFS files
                packages+=(umoci skopeo docker-registry squashfs-tools zstd xz-utils debootstrap curl)
                # tests/packaging/dockerfile.t builds Dockerfile.build
                packages+=(podman)
                ;;
        hpc)
                add build
                packages+=(slurmctld slurmd slurmdbd mariadb-server slurm-client libslurm-dev munge openmpi-bin libopenmpi-dev
                        debootstrap curl)
                ;;
        fuzz)
                add build
                packages+=(clang libclang-rt-14-dev)
                ;;
        bench)
                add build
                packages+=(hyperfine python3 bubblewrap git time linux-perf)
                ;;
        bench-compare)
                add bench
                packages+=(gnuplot-nox time crun runc charliecloud-runtime)
                ;;
        bench-import)
                add bench
                packages+=(debootstrap umoci skopeo curl time zstd squashfs-tools linux-perf strace isal)
                ;;
        -h | --help) sed -n '2,25s/^# \{0,1\}//p' "$0"; exit 0 ;;
        *) echo "deps.sh: unknown purpose $1 (build, test, hpc, fuzz, bench, bench-compare, bench-import)" >&2; exit 2 ;;
        esac
}
for purpose in "$@"; do
        add "$purpose"
done
# Each package once, in the order first named.
unique=()
for p in "${packages[@]}"; do
        case " ${unique[*]} " in *" $p "*) ;; *) unique+=("$p") ;; esac
done
exec "$(dirname "$0")/need-packages.sh" "$who" "${unique[@]}"
