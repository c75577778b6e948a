#!/bin/bash
# qrun import on a real image: Debian bookworm (debootstrap minbase) plus
# python3, two layers (the second with whiteouts), built and cached by
# tests/helper/debian-image.sh. Imported as the unprivileged test user, then
# run with qrun: Python and its sqlite3 module must work.
. "$(dirname "$0")/../lib.sh"

# ---- the image: built once (as root, a few minutes), then cached ----
if ! img=$("$QRUN_SOURCE/tests/helper/debian-image.sh" ${QRUN_TEST_CACHE:+"$QRUN_TEST_CACHE"} 2>"$T/fixture.err"); then
        if [ "$(wc -l <"$T/fixture.err")" -eq 1 ] && grep -q '^debian-image.sh: ' "$T/fixture.err"; then
                skip "$(sed 's/^debian-image.sh: //' "$T/fixture.err")"
                done_testing
                exit
        fi
        ok 1 "the Debian image could not be built"
        sed 's/^/# /' "$T/fixture.err"
        done_testing
        exit
fi
source_gz="oci:$img/layout:bookworm-python3"
source_zst="oci:$img/layout-zstd:bookworm-python3"

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
        # Running it: only once qrun takes a .sqfs as its rootfs.
        sed "s|$T/imp/deb\$|$T/imp/deb.sqfs|" "$T/own.ini" >"$T/sqfs.ini"
        chmod a+r "$T/sqfs.ini"
        run_qrun "$T/sqfs.ini" -- python3 -c "$sqlite_code"
        if [ "$RC" -eq 125 ] && printf '%s' "$ERR" | grep -qi 'not a directory'; then
                skip "qrun cannot run a SquashFS rootfs yet ($ERR)"
        else
                is "$RC:$OUT" "0:$sqlite_version" "python3 and sqlite3 from the SquashFS image"
        fi
else
        skip "--squashfs needs mksquashfs (squashfs-tools)"
fi

done_testing
