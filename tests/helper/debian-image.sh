#!/bin/bash
# A real Debian image for the import tests and bench/import.sh, built once and
# cached between runs:
#
#   tests/helper/debian-image.sh [CACHE_DIR]
#
# Prints the directory of the image, CACHE_DIR/debian-KEY, where KEY is a hash
# of this file (the recipe: a new recipe gets a new directory). It holds
#   layout/       an OCI image layout, tag bookworm-python3: 2 gzip layers
#                 (as umoci writes them)
#   layout-zstd/  the same image, its layers recompressed with zstd by skopeo
#                 (absent without skopeo)
#   INFO          what it is: sizes, file counts, versions, build time
# Layer 1 is `debootstrap --variant=minbase bookworm`; layer 2 is what
# `apt-get install python3` changed on top of it (umoci unpack, chroot,
# umoci repack: only the difference). The image's Cmd is python3.
#
# CACHE_DIR defaults to /var/cache/qrun-tests. Building needs root, debootstrap,
# umoci and the network (QRUN_DEBIAN_MIRROR, default http://deb.debian.org/debian);
# it takes a few minutes. The image appears whole or not at all (built in
# debian-KEY.tmp, then renamed); concurrent runs wait for each other (flock).
# Exit status 0 with the directory on stdout; 3 when the image is not cached
# and cannot be built here, with the one-line reason on stderr; 1 on other
# failures.
set -euo pipefail
SUITE=bookworm
MIRROR=${QRUN_DEBIAN_MIRROR:-http://deb.debian.org/debian}
TAG=bookworm-python3

cache=${1:-/var/cache/qrun-tests}
key=$(sha256sum "$0" | cut -c1-16)
dir=$cache/debian-$key
cannot() {
        echo "debian-image.sh: $*" >&2
        exit 3
}
[ -e "$dir/.done" ] && { echo "$dir"; exit 0; }

[ "$(id -u)" -eq 0 ] || cannot "the Debian image is not cached in $dir and building it needs root"
for tool in debootstrap umoci chroot; do
        command -v "$tool" >/dev/null || cannot "the Debian image needs $tool (tools/deps.sh test installs it)"
done
mkdir -p "$cache"
chmod 755 "$cache"
exec 9>"$dir.lock"
flock 9
[ -e "$dir/.done" ] && { echo "$dir"; exit 0; }
curl -sfI --max-time 20 "$MIRROR/dists/$SUITE/Release" >/dev/null 2>&1 ||
        wget -q --spider --timeout=20 "$MIRROR/dists/$SUITE/Release" >/dev/null 2>&1 ||
        cannot "$MIRROR is not reachable: no network to build the Debian image"

start=$(date +%s)
tmp=$dir.tmp
log=$cache/debian-$key.log
rm -rf "$tmp"
mkdir -p "$tmp"
: >"$log"
# No half image stays. Nothing is mounted on the host: debootstrap and the
# chroot run in mount namespaces of their own (unshare -m), whose mounts go
# with them.
trap 'rm -rf --one-file-system "$tmp"' EXIT
step() { echo "debian-image.sh: $*" >&2; }
run() { # CMD...: its output goes to the log; the log's tail shows on failure
        "$@" >>"$log" 2>&1 || {
                echo "debian-image.sh: failed: $*" >&2
                tail -n 20 "$log" | sed 's/^/  /' >&2
                exit 1
        }
}
L=$tmp/layout
export LC_ALL=C DEBIAN_FRONTEND=noninteractive

# ---- layer 1: debootstrap minbase ----
step "building the Debian image in $tmp (log: $log)"
run umoci init --layout "$L"
run umoci new --image "$L:empty"
run umoci unpack --image "$L:empty" "$tmp/b1"
step "layer 1: debootstrap --variant=minbase $SUITE"
run unshare -m --propagation private debootstrap --variant=minbase "$SUITE" "$tmp/b1/rootfs" "$MIRROR"
# Not the build machine's: an image carries no resolver or host name of its own.
rm -f "$tmp/b1/rootfs/etc/resolv.conf" "$tmp/b1/rootfs/etc/hostname"
run umoci repack --image "$L:minbase" --history.created_by "debootstrap --variant=minbase $SUITE" "$tmp/b1"
rm -rf "$tmp/b1"

# ---- layer 2: python3 on top, the difference only ----
step "layer 2: apt-get install python3"
run umoci unpack --image "$L:minbase" "$tmp/b2"
r=$tmp/b2/rootfs
cp /etc/resolv.conf "$r/etc/resolv.conf"
run unshare -m --propagation private sh -ec 'mount -t proc proc "$1/proc"
        chroot "$1" apt-get update -q
        chroot "$1" apt-get install -y -q --no-install-recommends python3
        chroot "$1" apt-get clean' sh "$r"
rm -rf "$r"/var/lib/apt/lists/* "$r/etc/resolv.conf"
run umoci repack --image "$L:$TAG" --history.created_by "apt-get install python3" "$tmp/b2"
run umoci config --image "$L:$TAG" --config.cmd python3 \
        --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
unpacked_kb=$(du -sk "$r" | cut -f1)
files=$(find "$r" | wc -l)
rm -rf "$tmp/b2"
run umoci rm --image "$L:empty"
run umoci rm --image "$L:minbase"
run umoci gc --layout "$L"

# ---- the same layers with zstd ----
# Into a layout of its own: into the same one, skopeo would reuse the gzip blobs.
if command -v skopeo >/dev/null; then
        run skopeo copy --dest-compress --dest-compress-format zstd "oci:$L:$TAG" "oci:$tmp/layout-zstd:$TAG"
fi

# ---- INFO ----
layers() { # LAYOUT: each layer's digest, media type and stored size (the manifest of its one tag)
        local m
        m=$(grep -o '"digest":"sha256:[0-9a-f]*"' "$1/index.json" | head -n 1 | cut -d'"' -f4)
        grep -o '"mediaType":"[^"]*layer[^"]*","digest":"[^"]*","size":[0-9]*' "$1/blobs/sha256/${m#sha256:}" |
                sed 's/"mediaType":"\([^"]*\)","digest":"\(.\{19\}\)[^"]*","size":\(.*\)/  \2 \1 \3 bytes/'
}
{
        echo "Debian $SUITE minbase + python3, 2 layers, built by tests/helper/debian-image.sh (key $key)"
        echo "built: $(date -u '+%Y-%m-%d %H:%M UTC') in $(($(date +%s) - start)) s, from $MIRROR"
        echo "debootstrap $(debootstrap --version | cut -d' ' -f2), $(umoci --version)"
        echo "unpacked: $unpacked_kb KiB, $files entries (du -sk, find | wc -l, after layer 2)"
        echo "layout:$TAG"
        layers "$L"
        for b in $(layers "$L" | awk '{print $1}'); do
                blob=$(ls "$L/blobs/sha256/${b#sha256:}"*)
                echo "  ${b}: $(tar -tzf "$blob" | wc -l) entries, $(tar -tzf "$blob" | grep -c '/\.wh\.') whiteouts"
        done
        if [ -d "$tmp/layout-zstd" ]; then
                echo "layout-zstd:$TAG"
                layers "$tmp/layout-zstd"
        else
                echo "layout-zstd: not made (no skopeo)"
        fi
} >"$tmp/INFO"
chmod -R a+rX "$tmp"
touch "$tmp/.done"
mv "$tmp" "$dir"
trap - EXIT
step "built $dir in $(($(date +%s) - start)) s"
echo "$dir"
