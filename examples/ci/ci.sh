#!/bin/bash
# A plain shell CI job with qrun (see docs/ci.md):
#
#   examples/ci/ci.sh REPOSITORY [REVISION]
#
# Imports the image once into a cache (a docker:// image keyed by its
# digest, any other source by its name), clones REPOSITORY into ./src on
# the host, then runs the build in a throw-away container: the image with a
# tmpfs overlay (the job may apt-get install: fake root), ./src bound at /src,
# ./artifacts at /artifacts. The exit status is the build's.
#
# Settings: QRUN_CI_IMAGE (any qrun import SOURCE; default
# docker://docker.io/library/gcc:12), QRUN_CI_SCRIPT (bash run in /src;
# default "make && make test"), QRUN_CI_CACHE (default ~/.cache/qrun-ci),
# QRUN (default qrun).
set -euo pipefail
repo=${1:?usage: ci.sh REPOSITORY [REVISION]}
rev=${2:-HEAD}
image=${QRUN_CI_IMAGE:-docker://docker.io/library/gcc:12}
script=${QRUN_CI_SCRIPT:-make && make test}
cache=${QRUN_CI_CACHE:-$HOME/.cache/qrun-ci}
qrun=${QRUN:-qrun}
work=$PWD

# ---- the image, imported once ----
case $image in
docker://*) key=$(skopeo inspect --format '{{.Digest}}' "$image") ;;
*) key=sha256:$(printf '%s' "$image" | sha256sum | cut -d' ' -f1) ;;
esac
rootfs=$cache/${key/:/-}
mkdir -p "$cache"
exec 9>"$rootfs.lock"
flock 9 # a concurrent job waits for this import rather than making its own
if [ -d "$rootfs" ]; then
        echo "ci.sh: using cached image $rootfs ($image)"
else
        "$qrun" import -q "$image" "$rootfs"
        echo "ci.sh: imported image $image into $rootfs"
fi
exec 9>&-

# ---- the sources, on the host ----
rm -rf src artifacts
git clone -q "$repo" src
git -C src checkout -q "$rev"
mkdir artifacts

# ---- the build, in a container that is gone afterwards ----
cat >job.ini <<EOF
[rootfs]
path = ${rootfs//\$/\$\$}
overlay = tmpfs

[user]
uid = 0
gid = 0
fakeroot = true

[mounts]
proc = true
dev = minimal
bind = $work/src:/src
bind = $work/artifacts:/artifacts
bind = /etc/resolv.conf:/etc/resolv.conf:ro

[process]
cwd = /src
env = HOME=/root
EOF
echo "ci.sh: running: $script"
exec "$qrun" job.ini -- bash -ec "$script"
