#!/bin/bash
# The MPI rootfs of tests/hpc and bench/mpi.sh, built once and cached between
# runs:
#
#   tests/helper/mpi-image.sh [CACHE_DIR]
#
# Prints the directory of the image, CACHE_DIR/mpi-KEY/rootfs's parent, where
# KEY is a hash of this file and of tests/hpc/mpi_probe.c (the recipe). The
# rootfs is `debootstrap --variant=minbase bookworm` with openmpi-bin (Open
# MPI 4.1 with its PMIx, UCX and hwloc, as Debian ships them), the host's
# mpicc build of mpi_probe in /usr/local/bin, and the directories slurmd's
# PMIx plugin names (/var/spool/slurmd, bound there in join mode).
#
# CACHE_DIR defaults to /var/cache/qrun-tests. Building needs root,
# debootstrap, mpicc (libopenmpi-dev) and the network (QRUN_DEBIAN_MIRROR);
# it takes a few minutes. Exit status 0 with the directory on stdout; 3 when
# it is not cached and cannot be built here, with the one-line reason on
# stderr; 1 on other failures.
set -euo pipefail
SUITE=bookworm
MIRROR=${QRUN_DEBIAN_MIRROR:-http://deb.debian.org/debian}
here=$(cd "$(dirname "$0")" && pwd)
probe=$here/../hpc/mpi_probe.c
cache=${1:-/var/cache/qrun-tests}
key=$(cat "$0" "$probe" | sha256sum | cut -c1-16)
dir=$cache/mpi-$key
cannot() {
        echo "mpi-image.sh: $*" >&2
        exit 3
}
[ -e "$dir/.done" ] && { echo "$dir"; exit 0; }
[ "$(id -u)" -eq 0 ] || cannot "the MPI rootfs is not cached in $dir and building it needs root"
for tool in debootstrap mpicc chroot; do
        command -v "$tool" >/dev/null || cannot "the MPI rootfs needs $tool (tools/deps.sh hpc installs it)"
done
mkdir -p "$cache"
chmod 755 "$cache"
exec 9>"$dir.lock"
flock 9
[ -e "$dir/.done" ] && { echo "$dir"; exit 0; }
curl -sfI --max-time 20 "$MIRROR/dists/$SUITE/Release" >/dev/null 2>&1 ||
        cannot "$MIRROR is not reachable: no network to build the MPI rootfs"
start=$(date +%s)
tmp=$dir.tmp
log=$cache/mpi-$key.log
rm -rf "$tmp"
mkdir -p "$tmp"
: >"$log"
trap 'rm -rf --one-file-system "$tmp"' EXIT
run() {
        "$@" >>"$log" 2>&1 || {
                echo "mpi-image.sh: failed: $*" >&2
                tail -n 20 "$log" | sed 's/^/  /' >&2
                exit 1
        }
}
echo "mpi-image.sh: building the MPI rootfs in $tmp (log: $log)" >&2
r=$tmp/rootfs
run unshare -m --propagation private debootstrap --variant=minbase --include=openmpi-bin \
        "$SUITE" "$r" "$MIRROR"
rm -rf "$r"/var/lib/apt/lists/* "$r"/var/cache/apt/*.bin "$r"/var/cache/apt/archives/*.deb
rm -f "$r/etc/resolv.conf" "$r/etc/hostname"
mkdir -p "$r/var/spool/slurmd" "$r/var/spool/slurm" "$r/dev/shm" "$r/work"
run mpicc -O2 -o "$r/usr/local/bin/mpi_probe" "$probe"
echo "Debian $SUITE minbase + openmpi-bin + mpi_probe (key $key), built in $(($(date +%s) - start)) s" >"$tmp/INFO"
chmod -R a+rX "$tmp"
touch "$tmp/.done"
mv "$tmp" "$dir"
trap - EXIT
echo "$dir"
