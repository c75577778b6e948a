#!/bin/bash
# A Debian image with what a CI job needs to clone and build a C project, for
# tests/integration/gitlab_runner.t, built once and cached between runs:
#
#   tests/helper/ci-image.sh [CACHE_DIR]
#
# Prints the directory of the image, CACHE_DIR/ci-KEY, where KEY is a hash of
# this file and of the Debian image it builds on (tests/helper/debian-image.sh:
# bookworm minbase + python3). It holds
#   layout/   an OCI image layout, tag bookworm-ci: the Debian image's two
#             layers, plus a third with git, make, gcc and libc6-dev (what
#             `apt-get install` changed: umoci unpack, chroot, umoci repack)
#   INFO      what it is
# The image's Cmd is bash.
#
# Like debian-image.sh: CACHE_DIR defaults to /var/cache/qrun-tests; building
# needs root, umoci and the network (QRUN_DEBIAN_MIRROR); it takes a minute or
# two once the Debian image is cached. The image appears whole or not at all;
# concurrent runs wait for each other (flock). Exit status 0 with the directory
# on stdout; 3 when the image is not cached and cannot be built here, with the
# one-line reason on stderr; 1 on other failures.
set -euo pipefail
MIRROR=${QRUN_DEBIAN_MIRROR:-http://deb.debian.org/debian}
BASE_TAG=bookworm-python3
TAG=bookworm-ci
PACKAGES=(git make gcc libc6-dev)

cache=${1:-/var/cache/qrun-tests}
cannot() {
        echo "ci-image.sh: $*" >&2
        exit 3
}
# The Debian image first: its own script says why it cannot be had (exit 3).
base=$("$(dirname "$0")/debian-image.sh" "$cache")
key=$( (sha256sum <"$0" && echo "$base") | sha256sum | cut -c1-16)
dir=$cache/ci-$key
[ -e "$dir/.done" ] && { echo "$dir"; exit 0; }

[ "$(id -u)" -eq 0 ] || cannot "the CI image is not cached in $dir and building it needs root"
for tool in umoci chroot unshare; do
        command -v "$tool" >/dev/null || cannot "the CI image needs $tool (tools/deps.sh test installs it)"
done
exec 9>"$dir.lock"
flock 9
[ -e "$dir/.done" ] && { echo "$dir"; exit 0; }
curl -sfI --max-time 20 "$MIRROR/dists/bookworm/Release" >/dev/null 2>&1 ||
        wget -q --spider --timeout=20 "$MIRROR/dists/bookworm/Release" >/dev/null 2>&1 ||
        cannot "$MIRROR is not reachable: no network to build the CI image"

start=$(date +%s)
tmp=$dir.tmp
log=$cache/ci-$key.log
rm -rf "$tmp"
mkdir -p "$tmp"
: >"$log"
# No half image stays; nothing is mounted on the host (unshare -m).
trap 'rm -rf --one-file-system "$tmp"' EXIT
step() { echo "ci-image.sh: $*" >&2; }
run() { # CMD...: its output goes to the log; the log's tail shows on failure
        "$@" >>"$log" 2>&1 || {
                echo "ci-image.sh: failed: $*" >&2
                tail -n 20 "$log" | sed 's/^/  /' >&2
                exit 1
        }
}
L=$tmp/layout
export LC_ALL=C DEBIAN_FRONTEND=noninteractive

step "building the CI image in $tmp (log: $log)"
# A copy of the Debian layout: the new tag shares its two layers.
run cp -a "$base/layout" "$L"
run umoci unpack --image "$L:$BASE_TAG" "$tmp/b"
r=$tmp/b/rootfs
cp /etc/resolv.conf "$r/etc/resolv.conf"
step "layer 3: apt-get install ${PACKAGES[*]}"
run unshare -m --propagation private sh -ec 'r=$1; shift
        mount -t proc proc "$r/proc"
        chroot "$r" apt-get update -q
        chroot "$r" apt-get install -y -q --no-install-recommends "$@"
        chroot "$r" apt-get clean' sh "$r" "${PACKAGES[@]}"
rm -rf "$r"/var/lib/apt/lists/* "$r/etc/resolv.conf"
run umoci repack --image "$L:$TAG" --history.created_by "apt-get install ${PACKAGES[*]}" "$tmp/b"
run umoci config --image "$L:$TAG" --config.cmd bash
versions=$(chroot "$r" sh -c 'git --version; make --version | head -n 1; gcc --version | head -n 1')
unpacked_kb=$(du -sk "$r" | cut -f1)
rm -rf "$tmp/b"
run umoci rm --image "$L:$BASE_TAG"
run umoci gc --layout "$L"

{
        echo "Debian bookworm minbase + python3 + ${PACKAGES[*]}, 3 layers, built by tests/helper/ci-image.sh (key $key)"
        echo "built: $(date -u '+%Y-%m-%d %H:%M UTC') in $(($(date +%s) - start)) s, from $MIRROR, on $base"
        echo "unpacked: $unpacked_kb KiB"
        echo "$versions"
} >"$tmp/INFO"
chmod -R a+rX "$tmp"
touch "$tmp/.done"
mv "$tmp" "$dir"
trap - EXIT
step "built $dir in $(($(date +%s) - start)) s"
echo "$dir"
