#!/bin/bash
# qrun import on a real image: Debian bookworm (debootstrap minbase) plus
# python3, two layers (the second with whiteouts), built and cached by
# tests/helper/debian-image.sh. Imported as the unprivileged test user, then
# run with qrun: Python and its sqlite3 module must work.
. "$(dirname "$0")/../lib.sh"

# ---- the image: built once (as root, a few minutes), then cached ----
cached_image img debian-image.sh "the Debian image" 'debian-image.sh: '
source_gz="oci:$img/layout:bookworm-python3"
source_zst="oci:$img/layout-zstd:bookworm-python3"

open_dev_fuse

# Where the test user may create DEST.
mkdir "$T/imp"
[ "$(id -u)" -eq 0 ] && chown "$QRUN_TEST_USER" "$T/imp"
sqlite_code='import sqlite3; print(sqlite3.sqlite_version)'

# ---- gzip layers, with the manifest import writes ----
run_qrun import -q --manifest "$T/imp/deb.ini" "$source_gz" "$T/imp/deb"
is "$RC" 0 "import of the gzip image exits 0"
like "$ERR" '^qrun: import: skipped [0-9]+ device nodes, FIFOs or sockets \(/dev/' \
        "the device nodes of debootstrap's /dev are skipped, with one warning"
ok "$(find "$T/imp/deb/var/cache/apt/archives" -name '*.deb' | wc -l)" \
        "whiteouts: apt-get clean's removals in layer 2 remove layer 1's .deb files"
[ -z "$(ls -A "$T/imp/deb/var/lib/apt/lists")" ]
ok $? "whiteouts: the removed package lists are gone"
is "$(sed -n '/^\[mounts\]/,/^command/p' "$T/imp/deb.ini" 2>&1)" $'[mounts]\nproc = true\ndev = minimal\n\n[process]\ncommand = python3' \
        "--manifest: mount mode, and the image's Cmd"

run_qrun "$T/imp/deb.ini" -- python3 -c "$sqlite_code"
like "$RC:$OUT" '^0:3\.[0-9]+\.[0-9]+$' "python3 runs from the written manifest; sqlite3 loads (got $OUT)"
sqlite_version=$OUT

# A manifest of our own: mount mode, as the user (no uid 0).
printf '[rootfs]\npath = %s\n[mounts]\nproc = true\ndev = minimal\n[process]\ncommand = /usr/bin/python3\n' \
        "$T/imp/deb" | manifest "$T/own.ini"
run_qrun "$T/own.ini" -- python3 -c "$sqlite_code"
is "$RC:$OUT" "0:$sqlite_version" "python3 and sqlite3 in mount mode as the user"
run_qrun "$T/own.ini" -- python3 -c 'import os, json, ssl, hashlib; print(os.getuid(), hashlib.sha256(b"").hexdigest()[:8])'
is "$RC:$OUT" "0:$(id -u "$QRUN_TEST_USER" 2>/dev/null || id -u) e3b0c442" \
        "the standard library's C modules load (ssl, hashlib); the uid is the user's"

# ---- zstd layers: the same tree ----
listing() { # DIR: every entry's type, mode, size and target, sorted; mtimes left out
        (cd "$1" && find . -printf '%y %m %s %p %l\n' | sort)
}
if [ -d "$img/layout-zstd" ]; then
        run_qrun import -q "$source_zst" "$T/imp/deb-zstd"
        is "$RC" 0 "import of the zstd image exits 0"
        is "$(listing "$T/imp/deb-zstd" | md5sum)" "$(listing "$T/imp/deb" | md5sum)" \
                "zstd and gzip layers give the same tree"
        sed "s|$T/imp/deb\$|$T/imp/deb-zstd|" "$T/own.ini" >"$T/own-zstd.ini"
        chmod a+r "$T/own-zstd.ini"
        run_qrun "$T/own-zstd.ini" -- python3 -c "$sqlite_code"
        is "$RC:$OUT" "0:$sqlite_version" "python3 and sqlite3 from the zstd import"
        rm -rf "$T/imp/deb-zstd"
else
        skip "no zstd layout in $img (skopeo was missing when it was built)"
fi

# ---- --squashfs ----
if command -v mksquashfs >/dev/null; then
        run_qrun import -q --squashfs "$source_gz" "$T/imp/deb.sqfs"
        is "$RC" 0 "import --squashfs exits 0"
        like "$(unsquashfs -l "$T/imp/deb.sqfs" 2>&1 | grep -c '^squashfs-root/usr/bin/python3')" '^[1-9]' \
                "the SquashFS file holds /usr/bin/python3"
        sed "s|$T/imp/deb\$|$T/imp/deb.sqfs|" "$T/own.ini" >"$T/sqfs.ini"
        chmod a+r "$T/sqfs.ini"
        if [ -n "$FUSE_OK" ]; then
                run_qrun -s rootfs.linger=0 "$T/sqfs.ini" -- python3 -c "$sqlite_code"
                is "$RC:$OUT" "0:$sqlite_version" "python3 and sqlite3 from the SquashFS image"
                run_qrun -s rootfs.linger=0 "$T/sqfs.ini" -- python3 -c 'open("/usr/x", "w")'
                like "$ERR" "Read-only file system" "the SquashFS image is read-only (EROFS)"
        else
                skip "/dev/fuse is not open to $QRUN_TEST_USER"
                skip "/dev/fuse is not open to $QRUN_TEST_USER"
        fi
else
        skip "--squashfs needs mksquashfs (squashfs-tools)"
fi

# ---- fake root: installing packages from Debian's registry ----
# As uid 0 with one mapped id, apt-get and dpkg fail (setgroups, seteuid,
# chown); with [user] fakeroot = true they work. Needs Debian's mirror, which
# test machines reach; skipped (with the reason) when it does not answer.
mirror=${QRUN_DEBIAN_MIRROR:-http://deb.debian.org/debian}
if mirror_answers "$mirror"; then
        apt_manifest() { # OVERLAY: the Debian tree as root, with the host's DNS
                printf '[rootfs]\npath = %s\n%s[user]\nuid = 0\nfakeroot = true\n[mounts]\nproc = true\ndev = minimal\nbind = /etc/resolv.conf:/etc/resolv.conf:ro\nbind = %s:/debs:ro\n[process]\ncommand = /bin/sh\nenv = DEBIAN_FRONTEND=noninteractive\n' \
                        "$T/imp/deb" "$1" "$T/debs"
        }
        mkdir -p "$T/debs"
        # The .deb for dpkg -i, fetched in setup (as the test user, from the image).
        apt_manifest $'overlay = tmpfs\n' | manifest "$T/apt.ini"
        install='apt-get update -q >/tmp/log 2>&1 && apt-get install -y -q hello >>/tmp/log 2>&1 || { tail -n 3 /tmp/log; exit 1; }; hello'
        run_qrun "$T/apt.ini" -- /bin/sh -c "$install"
        is "$RC:$OUT" "0:Hello, world!" "fakeroot: apt-get update && apt-get install -y hello work, and hello runs"
        run_qrun -s user.fakeroot=false "$T/apt.ini" -- /bin/sh -c "$install"
        like "$RC:$OUT" "^1:.*(setgroups|seteuid|chown|Operation not permitted|Invalid argument)" \
                "without fakeroot the same install fails (got: $(printf '%s' "$OUT" | tail -n 1))"
        [ ! -e "$T/imp/deb/usr/bin/hello" ]
        ok $? "the tmpfs overlay took the installed files: the tree is unchanged"
        # dpkg -i of a .deb fetched beforehand, into the user's own tree (no overlay).
        apt_manifest '' | manifest "$T/dpkg.ini"
        run_qrun -s rootfs.overlay="$T/imp/changes" "$T/apt.ini" -- /bin/sh -c \
                'cd /tmp && apt-get update -q >/dev/null 2>&1 && apt-get download -q hello >/dev/null 2>&1 && ls hello_*.deb'
        deb=$(find "$T/imp/changes/upper/tmp" -name 'hello_*.deb' 2>/dev/null | head -n 1)
        if [ -n "$deb" ]; then
                cp "$deb" "$T/debs/" && chmod -R a+rX "$T/debs"
                run_qrun -s user.fakeroot=false "$T/dpkg.ini" -- /bin/sh -c 'dpkg -i /debs/hello_*.deb 2>&1 | tail -n 1; exit 0'
                like "$OUT" "chown|Operation not permitted|Invalid argument|error" "without fakeroot, dpkg -i fails"
                run_qrun "$T/dpkg.ini" -- /bin/sh -c 'dpkg -i /debs/hello_*.deb >/dev/null 2>&1 && hello'
                is "$RC:$OUT" "0:Hello, world!" "fakeroot: dpkg -i of a fetched .deb into the user's own tree, and it runs"
                [ -x "$T/imp/deb/usr/bin/hello" ]
                ok $? "without an overlay the package stays in the user's tree"
        else
                ok 1 "apt-get download hello gave no .deb"
                skip "no .deb to install"
                skip "no .deb to install"
                skip "no .deb to install"
        fi
else
        for _ in 1 2 3 4 5 6; do skip "Debian's mirror $mirror does not answer"; done
fi

done_testing
