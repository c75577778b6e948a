#!/bin/bash
# Dockerfile.build builds qrun as README says, in a clean Debian 12: here with
# podman (this machine has no Docker engine; `podman build --isolation
# chroot`), FROM a Debian 12 made of Debian packages (the debootstrap image of
# tests/helper/debian-image.sh) instead of Docker Hub's, which this machine may
# not reach. The binary taken out of the image must be static and run a
# container as the unprivileged test user, with the same compiled profiles.
#
# podman's layer cache (root's storage, outside the clone) keeps the package
# and library layers between runs: only the sources' layers are rebuilt, and
# the previous run's are removed once the new image is tagged.
. "$(dirname "$0")/../lib.sh"

if [ "$(id -u)" -ne 0 ]; then
        skip "building the image needs root here (podman's storage is root's)"
        done_testing
        exit
fi
command -v podman >/dev/null
ok $? "podman is installed (tools/deps.sh test)"

# ---- the base: the cached Debian image, stored once per recipe ----
# With Docker Hub's debian:bookworm's apt sources (debootstrap writes only the
# release's): Dockerfile.build's library pins name security updates.
sources='Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg'
cached_image img debian-image.sh "the Debian image" 'debian-image.sh: '
base=localhost/qrun-test-debian:${img##*/debian-}-$(printf '%s' "$sources" | sha256sum | cut -c1-8)
if ! podman image exists "$base"; then
        mkdir "$T/base"
        printf '%s\n' "$sources" >"$T/base/debian.sources"
        printf 'FROM %s\nCOPY debian.sources /etc/apt/sources.list.d/\nRUN rm /etc/apt/sources.list\n' \
                "oci:$img/layout:bookworm-python3" >"$T/base/Containerfile"
        podman build --isolation chroot --pull=never -t "$base" "$T/base" >"$T/base.log" 2>&1
        ok $? "the Debian image is stored as $base"
        sed 's/^/# /' "$T/base.log" | tail -n 5
fi

# ---- the build ----
# Its steps install packages from Debian's mirror (this machine's only
# network), the one the base's sources name.
if ! mirror_answers http://deb.debian.org/debian; then
        skip "http://deb.debian.org/debian does not answer: no network to build the image"
        done_testing
        exit
fi
tag=localhost/qrun-test-build:latest
old=$(podman image inspect --format '{{.Id}}' "$tag" 2>/dev/null)
start=$(date +%s)
podman build --isolation chroot --pull=never --layers --build-arg "BASE=$base" \
        -f "$QRUN_SOURCE/Dockerfile.build" -t "$tag" "$QRUN_SOURCE" >"$T/build.log" 2>&1
rc=$?
is "$rc" 0 "podman build -f Dockerfile.build exits 0 (in $(($(date +%s) - start)) s)"
if [ "$rc" -ne 0 ]; then # the image tagged now would be an older build's
        tail -n 30 "$T/build.log" | sed 's/^/# /'
        done_testing
        exit
fi
new=$(podman image inspect --format '{{.Id}}' "$tag" 2>/dev/null)
if [ -n "$old" ] && [ "$old" != "$new" ]; then
        podman rmi "$old" >/dev/null 2>&1 # the last run's source layers; shared ones stay
fi

# ---- the binary it made ----
ctr=$(podman create "$tag" 2>"$T/create.err")
ok $? "podman create of the image"
at_exit "podman rm -f '$ctr' >/dev/null 2>&1"
podman cp "$ctr:/src/build/qrun" "$T/qrun-image" 2>"$T/cp.err"
ok $? "build/qrun copied out of the image"
chmod 755 "$T/qrun-image"
is "$(LC_ALL=C readelf -l "$T/qrun-image" | grep -c INTERP)" 0 "static: no PT_INTERP"
is "$("$T/qrun-image" --version)" "$("$QRUN" --version)" "the version of the tree under test"
is "$("$T/qrun-image" --print-bpf default)" "$("$QRUN" --print-bpf default)" \
        "the default profile compiles to the same program as this machine's build"

manifest "$T/m.ini" <<'EOF'
[process]
command = /bin/echo
EOF
out=$(as_user "$T/qrun-image" "$T/m.ini" -- /bin/echo hello from the image 2>&1)
is "$?:$out" "0:hello from the image" "it runs a container as the unprivileged user"
out=$(as_user "$T/qrun-image" "$T/m.ini" -- /bin/sh -c 'exec unshare -U true' 2>&1)
is "$?" 1 "its default filter is on: unshare(CLONE_NEWUSER) is refused"
like "$out" 'unshare.*Operation not permitted' "… with EPERM"
if cmp -s "$T/qrun-image" "$QRUN"; then
        echo "# the image's binary is byte for byte this machine's build"
else
        echo "# the image's binary differs from this machine's build (other package versions)"
fi

done_testing
