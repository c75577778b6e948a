#!/bin/bash
# qrun import, in normal use: images built here with Debian's tools (umoci,
# skopeo, docker-registry; no network) from the busybox rootfs, imported from
# every SOURCE form by the unprivileged test user, compared with what
# `umoci unpack --rootless` makes of the same image (tests/helper/treecmp.py),
# then run with qrun. Also DEST's rules, --squashfs, --manifest and progress.
#
# Known differences to umoci, normalised or allowed by treecmp.py's options:
# - modes (--qrun-modes): qrun makes every file u+rw and every directory
#   u+rwx (the user can always read, change and delete the tree) and drops
#   setuid, setgid and sticky bits from files; umoci keeps the image's modes.
# - WorkingDir (--extra): qrun creates a missing WorkingDir as Docker does;
#   umoci unpack does not.
# - the top directory's own mode, and owners (both are the unpacking user's).
# Found on the way, about umoci 0.4.7 itself: umoci repack writes one
# whiteout per removed entry, never an opaque marker (so layer 3 is made by
# hand), and after a directory replaced by a file it writes a whiteout below
# that file ("data/flop/.wh.inside"), which umoci unpack ignores.
. "$(dirname "$0")/../lib.sh"

TREECMP=$(cd "$(dirname "$0")/../helper" && pwd)/treecmp.py

PYTHON=/usr/bin/python3 # Debian's: a python3 earlier in PATH may be a slow shim (pyenv)
[ -x "$PYTHON" ] || PYTHON=python3
for tool in umoci skopeo "$PYTHON" tar gzip zstd xz; do
        if ! command -v "$tool" >/dev/null; then
                skip "$tool is not installed (tools/deps.sh test installs it): no image to import"
                done_testing
                exit
        fi
done

# ---- who owns what ----
# Images are built by whoever runs the suite (root in CI); everything qrun
# does, and umoci's rootless unpack, runs as the test user, who owns $T/dest.
# Tools run as the test user get a home of their own (it has none).
user_owner=$(id -un)
[ "$(id -u)" -eq 0 ] && user_owner=$QRUN_TEST_USER
rootless=()
[ "$(id -u)" -eq 0 ] || rootless=(--rootless)
mkdir -p "$T/dest" "$T/home/run" "$T/umoci"
chmod 700 "$T/home/run"
chown -R "$user_owner" "$T/dest" "$T/home" "$T/umoci"
OUTDIR=$T/dest

user_env() { # CMD...: as the test user, with a HOME and XDG_RUNTIME_DIR of its own
        as_user env HOME="$T/home" XDG_RUNTIME_DIR="$T/home/run" "$@"
}

# run_import ARGS...: qrun import ARGS as the test user, stdin /dev/null and
# stderr not a terminal; sets RC, OUT and ERR.
run_import() {
        user_env "$QRUN" import "$@" >"$T/stdout" 2>"$T/stderr" </dev/null
        RC=$?
        OUT=$(cat "$T/stdout")
        ERR=$(cat "$T/stderr")
}

# leftovers DIR: what an import may have left beside its DEST (nothing).
leftovers() {
        (cd "$1" && ls -A | grep -E '\.qrun-import\.' | tr '\n' ' ')
}

# treecmp REFERENCE TREE [OPTIONS]: sets CMP to treecmp.py's report.
treecmp() {
        local ref=$1 tree=$2
        shift 2
        CMP=$("$PYTHON" "$TREECMP" "$@" "$ref" "$tree" 2>&1)
}

# umoci_rootfs TAG: umoci unpack --rootless of $L:TAG, as the test user; prints the rootfs.
umoci_rootfs() {
        if [ ! -d "$T/umoci/$1" ]; then
                user_env umoci --log error unpack --rootless --image "$L:$1" "$T/umoci/$1" >/dev/null ||
                        echo "# umoci unpack of $1 failed" >&2
        fi
        echo "$T/umoci/$1/rootfs"
}

# runs_ok TREE NAME: qrun runs /bin/sh -c 'echo ok' in TREE as the test user.
runs_ok() {
        printf '[rootfs]\npath = %s\n[process]\ncommand = /bin/sh\nargs = -c "echo ok"\n' "$1" |
                manifest "$T/run.ini"
        run_qrun "$T/run.ini"
        is "$RC:$OUT:$ERR" "0:ok:" "$2: qrun runs /bin/sh -c 'echo ok' in the imported tree"
}

oci_blob() { # LAYOUT TAG JSON-PATH: the blob a tag's manifest names (config, layers.N)
        "$PYTHON" - "$@" <<'EOF'
import json, sys
layout, tag, what = sys.argv[1:]
blob = lambda d: "%s/blobs/sha256/%s" % (layout, d[7:])
index = json.load(open(layout + "/index.json"))
m = [m for m in index["manifests"] if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag][0]
man = json.load(open(blob(m["digest"])))
if what == "config":
    print(blob(man["config"]["digest"]))
else:
    print(blob(man["layers"][int(what.split(".")[1])]["digest"]))
EOF
}

# ==== the images ====
# One OCI layout, $L, with three layers on the busybox rootfs:
#   1 (umoci repack): data files, hard links, symlinks absolute, relative and
#     dangling, odd modes (setuid, read-only, 0000, a 0555 directory), a
#     name with a space and UTF-8, /app/run.sh
#   2 (umoci repack): a deleted file, a directory removed and recreated with
#     other contents, a mode change, a file that becomes a directory and
#     the reverse, a symlink that becomes a file
#   3 (by hand, umoci raw add-layer; umoci repack writes one whiteout per
#     removed entry, never an opaque marker): opaque directories, the
#     marker first and the marker after an entry of the same layer, a
#     whiteout of a symlink, a hard link to a file of layer 1, a file added
#     in the 0555 directory
# Tags: v1, v2, v3 (no command), and configs on top of v3: full (Entrypoint,
# Cmd, Env, WorkingDir), rel (a relative Entrypoint), cmdonly (Cmd found in
# PATH), user (User 1000:1000), multiline (a two-line sh -c script).
L=$T/img/oci
B=$T/img/bundle
mkdir -p "$T/img"
build_layers() {
        umoci init --layout "$L" &&
                umoci new --image "$L:base" &&
                umoci unpack "${rootless[@]}" --image "$L:base" "$B" >/dev/null &&
                cp -a "$ROOTFS/." "$B/rootfs/" || return 1
        local r=$B/rootfs
        mkdir -p "$r/data/opq/sub" "$r/data/opq2/sub" "$r/data/opq3" "$r/data/flop" "$r/data/rodir" "$r/app"
        echo gone >"$r/data/gone"
        echo a >"$r/data/opq/a"
        echo s >"$r/data/opq/sub/s"
        echo old >"$r/data/opq2/old"
        echo deep >"$r/data/opq2/sub/deep"
        echo old >"$r/data/opq3/old"
        echo linked >"$r/data/hard1"
        ln "$r/data/hard1" "$r/data/hard2"
        ln "$r/data/hard1" "$r/app/hard-elsewhere"
        ln -s /etc/passwd "$r/data/abs-link"
        ln -s ../etc/group "$r/data/rel-link"
        ln -s /nonexistent/target "$r/data/dangling"
        ln -s ../app "$r/data/dir-link"
        ln -s /etc/passwd "$r/data/linkfile"
        echo m >"$r/data/mode"
        chmod 644 "$r/data/mode"
        echo suid >"$r/data/suid"
        chmod 4755 "$r/data/suid"
        echo sgid >"$r/data/sgid"
        chmod 2711 "$r/data/sgid"
        echo ro >"$r/data/ro"
        chmod 444 "$r/data/ro"
        echo secret >"$r/data/secret"
        chmod 000 "$r/data/secret"
        echo file >"$r/data/flip"
        echo inside >"$r/data/flop/inside"
        echo in-ro >"$r/data/rodir/f"
        chmod 555 "$r/data/rodir"
        echo utf8 >"$r/data/naïve file.txt"
        printf '#!/bin/sh\necho "run.sh $* in $(pwd) FOO=$FOO"\n' >"$r/app/run.sh"
        chmod 755 "$r/app/run.sh"
        umoci repack "${rootless[@]}" --refresh-bundle --image "$L:v1" "$B" || return 1
        rm -r "$r/data/gone" "$r/data/opq" "$r/data/flip" "$r/data/flop" "$r/data/linkfile"
        mkdir "$r/data/opq" "$r/data/flip"
        echo c >"$r/data/opq/c"
        echo now-a-dir >"$r/data/flip/f"
        echo now-a-file >"$r/data/flop"
        echo now-a-file >"$r/data/linkfile"
        chmod 750 "$r/data/mode"
        umoci repack "${rootless[@]}" --refresh-bundle --image "$L:v2" "$B" || return 1
        "$PYTHON" - "$T/img/layer3.tar" <<'EOF' || return 1
import io, sys, tarfile, time
def entry(t, name, kind=tarfile.REGTYPE, data=b"", mode=0o644, link=""):
    i = tarfile.TarInfo(name)
    i.type, i.mode, i.mtime, i.linkname, i.size = kind, mode, int(time.time()), link, len(data)
    t.addfile(i, io.BytesIO(data) if data else None)
with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as t:
    entry(t, "data/", tarfile.DIRTYPE, mode=0o755)
    entry(t, "data/opq2/", tarfile.DIRTYPE, mode=0o755)
    entry(t, "data/opq2/.wh..wh..opq")               # the usual order: the marker first
    entry(t, "data/opq2/new", data=b"new\n")
    entry(t, "data/opq3/", tarfile.DIRTYPE, mode=0o755)
    entry(t, "data/opq3/kept", data=b"kept\n")       # this layer's own entry, before the marker
    entry(t, "data/opq3/.wh..wh..opq")
    entry(t, "data/.wh.dangling")
    entry(t, "data/hard3", tarfile.LNKTYPE, link="data/hard1")
    entry(t, "data/rodir/added", data=b"added\n")
EOF
        umoci raw add-layer --image "$L:v2" --tag v3 "$T/img/layer3.tar" &&
                umoci config --image "$L:v3" --tag full \
                        --config.entrypoint /bin/sh --config.entrypoint -c \
                        --config.entrypoint 'echo "FOO=$FOO BAR=${BAR}"; pwd; echo "args: $*"; id -u' \
                        --config.entrypoint entry \
                        --config.cmd one --config.cmd 'two words' \
                        --config.env PATH=/usr/bin:/bin --config.env 'FOO=a $HOME ${X} b' --config.env BAR=bar \
                        --config.workingdir /work &&
                umoci config --image "$L:v3" --tag rel --config.entrypoint ./run.sh --config.cmd x \
                        --config.env FOO=rel --config.workingdir /app &&
                umoci config --image "$L:v3" --tag cmdonly --config.cmd echo --config.cmd hello \
                        --config.env PATH=/bin &&
                umoci config --image "$L:full" --tag user --config.user 1000:1000 &&
                umoci config --image "$L:v3" --tag multiline --config.entrypoint /bin/sh \
                        --config.entrypoint -c --config.entrypoint "$(printf 'echo one\necho two')"
}
if ! build_layers >"$T/img/build.log" 2>&1; then
        sed 's/^/# /' "$T/img/build.log"
        ok 1 "umoci builds the test images"
        done_testing
        exit
fi
chmod -R a+rX "$T/img"

# The layers hold what the tests are about, as umoci and python wrote them.
layer_list() { tar -tvf "$(oci_blob "$L" v3 "layers.$1")" 2>&1; }
like "$(layer_list 0)" 'data/hard2 link to ' "layer 1 holds a hard link entry"
like "$(layer_list 0)" '^-rwsr-xr-x .* data/suid' "layer 1 holds a setuid file"
like "$(layer_list 1)" 'data/\.wh\.gone' "layer 2 holds umoci's whiteout of data/gone"
like "$(layer_list 1)" 'data/opq/\.wh\.a' "layer 2: umoci whites out the recreated directory's old entries one by one"
like "$(layer_list 2)" 'data/opq2/\.wh\.\.wh\.\.opq' "layer 3 holds an opaque marker"

# ==== oci:DIR:TAG, against umoci ====
for tag in v1 v2 v3; do
        run_import "oci:$L:$tag" "$OUTDIR/$tag"
        is "$RC:$OUT:$ERR" "0::" "oci:DIR:$tag: imported, nothing printed (stderr is not a terminal)"
        treecmp "$(umoci_rootfs $tag)" "$OUTDIR/$tag" --qrun-modes --mtime
        like "$CMP" '^[0-9]+ entries, same$' "oci:DIR:$tag: the tree is umoci's (types, modes, contents, links, mtimes)"
done
is "$(leftovers "$OUTDIR")" "" "no work directory is left beside DEST"

# What the layers mean, checked directly too (a mistake umoci shared would
# pass the comparison).
V3=$OUTDIR/v3
[ ! -e "$V3/data/gone" ] && [ -e "$OUTDIR/v1/data/gone" ]
ok $? "a whiteout removes the file of the layer below"
is "$(ls -A "$V3/data/opq")" "c" "a directory removed and recreated holds only its new contents"
is "$(ls -A "$V3/data/opq2")" "new" "an opaque marker hides everything below (the marker first)"
is "$(ls -A "$V3/data/opq3")" "kept" "an opaque marker keeps its own layer's entries listed before it"
[ ! -e "$V3/data/dangling" ] && [ ! -L "$V3/data/dangling" ]
ok $? "a whiteout removes a dangling symlink"
is "$(stat -c %i "$V3/data/hard1")" "$(stat -c %i "$V3/data/hard2")" "a hard link in a layer is a hard link"
is "$(stat -c '%i %h' "$V3/data/hard3")" "$(stat -c %i "$V3/data/hard1") 4" \
        "a hard link to a file of a lower layer (4 names: hard1-3, /app/hard-elsewhere)"
is "$(readlink "$V3/data/abs-link"):$(readlink "$V3/data/rel-link"):$(readlink "$V3/data/dir-link")" \
        "/etc/passwd:../etc/group:../app" "symlink targets are kept as written (absolute and relative)"
is "$(stat -c %a "$OUTDIR/v1/data/mode"):$(stat -c %a "$V3/data/mode")" "644:750" "a mode changed in a later layer"
is "$(stat -c %a "$V3/data/suid"):$(stat -c %a "$V3/data/sgid")" "755:711" "setuid and setgid are dropped"
is "$(stat -c %a "$V3/data/ro"):$(stat -c %a "$V3/data/secret"):$(stat -c %a "$V3/data/rodir")" "644:600:755" \
        "files become u+rw, directories u+rwx"
is "$(cat "$V3/data/rodir/f" "$V3/data/rodir/added")" "in-ro
added" "a later layer adds a file to a directory the image made read-only"
is "$(stat -c %F "$V3/data/flip"):$(cat "$V3/data/flop"):$(stat -c %F "$V3/data/linkfile")" \
        "directory:now-a-file:regular file" "a file becomes a directory, a directory a file, a symlink a file"
is "$(cat "$V3/data/naïve file.txt")" "utf8" "a name with a space and UTF-8"
is "$(stat -c %U "$V3/data/hard1")" "$user_owner" "the tree belongs to the user who imported it"
runs_ok "$V3" "oci:DIR:v3"
rm -rf "$OUTDIR/v1" "$OUTDIR/v2"

# The layout holds several images: a tag is needed, and a wrong one is named.
run_import "oci:$L" "$OUTDIR/notag"
is "$RC" 125 "oci:DIR holding several images, no tag: exit 125"
is "$ERR" "qrun: import: $L holds 9 images: name one as oci:$L:TAG (tags: base, v1, v2, v3, full, rel, cmdonly, user, multiline)" \
        "the error says to name a tag and lists them"
run_import "oci:$L:v9" "$OUTDIR/notag"
is "$RC:$ERR" "125:qrun: import: $L: no image tagged \"v9\" (tags: base, v1, v2, v3, full, rel, cmdonly, user, multiline)" \
        "oci:DIR:TAG with an unknown tag: exit 125, the tags listed"
[ ! -e "$OUTDIR/notag" ] && [ -z "$(leftovers "$OUTDIR")" ]
ok $? "a failed import leaves neither DEST nor a work directory"

# A layout with two tags (what skopeo writes): each tag selects its image.
L2=$T/img/two
skopeo copy --quiet "oci:$L:full" "oci:$L2:first" >"$T/img/skopeo.log" 2>&1 &&
        skopeo copy --quiet "oci:$L:user" "oci:$L2:second" >>"$T/img/skopeo.log" 2>&1
ok $? "skopeo copies two images into one layout"
chmod -R a+rX "$T/img"
run_import --manifest "$OUTDIR/first.ini" "oci:$L2:first" "$OUTDIR/first"
is "$RC:$(grep -c '^uid = 0$' "$OUTDIR/first.ini")" "0:1" "oci:DIR:first selects the first image (User root)"
run_import --manifest "$OUTDIR/second.ini" "oci:$L2:second" "$OUTDIR/second"
is "$RC:$(grep -c 'asks for User "1000:1000"' "$OUTDIR/second.ini")" "0:1" "oci:DIR:second selects the second (User 1000:1000)"
treecmp "$(umoci_rootfs full)" "$OUTDIR/second" --qrun-modes --mtime --extra work
like "$CMP" '^[0-9]+ entries, same$' "oci:DIR:second: the tree is umoci's (after skopeo's copy)"
run_import "oci:$L2" "$OUTDIR/none"
is "$RC:$ERR" "125:qrun: import: $L2 holds 2 images: name one as oci:$L2:TAG (tags: first, second)" \
        "two tags, none named: exit 125 and both tags listed"
rm -rf "$OUTDIR/first" "$OUTDIR/second"

# A path may hold ':' (the TAG or REF follows the last part that exists).
ln -s two "$T/img/lay:out"
run_import "oci:$T/img/lay:out:first" "$OUTDIR/colon"
is "$RC:$ERR" "0:" "oci:DIR:TAG where DIR holds a ':'"
run_import "oci:$T/img/lay:out" "$OUTDIR/colon2"
like "$RC:$ERR" "^125:qrun: import: $T/img/lay:out holds 2 images" "oci:DIR where DIR holds a ':', no tag: DIR is the whole path"
rm -rf "$OUTDIR/colon"

# ==== oci-archive:FILE[:TAG] ====
skopeo copy --quiet "oci:$L:full" "oci-archive:$T/img/full.oci.tar" >"$T/img/skopeo.log" 2>&1 &&
        skopeo copy --quiet "oci:$L:rel" "oci-archive:$T/img/rel.oci.tar:reltag" >>"$T/img/skopeo.log" 2>&1
ok $? "skopeo writes oci-archives"
chmod -R a+rX "$T/img"
run_import "oci-archive:$T/img/full.oci.tar" "$OUTDIR/ociarch"
is "$RC:$OUT:$ERR" "0::" "oci-archive:FILE: imported"
treecmp "$(umoci_rootfs full)" "$OUTDIR/ociarch" --qrun-modes --mtime --extra work
like "$CMP" '^[0-9]+ entries, same$' "oci-archive:FILE: the tree is umoci's; only WorkingDir /work is added"
[ -d "$OUTDIR/ociarch/work" ] && [ ! -e "$(umoci_rootfs full)/work" ]
ok $? "a missing WorkingDir is created (umoci does not)"
runs_ok "$OUTDIR/ociarch" "oci-archive"
run_import "oci-archive:$T/img/rel.oci.tar:reltag" "$OUTDIR/ociarch-tag"
is "$RC:$ERR" "0:" "oci-archive:FILE:TAG: imported"
[ -x "$OUTDIR/ociarch-tag/app/run.sh" ] && [ -z "$(leftovers "$OUTDIR")" ]
ok $? "oci-archive:FILE:TAG: the tree is there, the unpacked archive is gone"
run_import "oci-archive:$T/img/rel.oci.tar:other" "$OUTDIR/ociarch-bad"
is "$RC" 125 "oci-archive:FILE:TAG with a wrong tag: exit 125"
is "$ERR" "qrun: import: $T/img/rel.oci.tar: no image tagged \"other\" (tags: reltag)" \
        "oci-archive: the error names the archive (not its unpacked copy) and its tag"
rm -rf "$OUTDIR/ociarch" "$OUTDIR/ociarch-tag"

# ==== docker-archive:FILE[:REF] ====
skopeo copy --quiet --additional-tag qrun/alias:2 "oci:$L:full" "docker-archive:$T/img/full.docker.tar:qrun/full:1" \
        >"$T/img/skopeo.log" 2>&1 &&
        skopeo copy --quiet "oci:$L:user" "docker-archive:$T/img/user.docker.tar:qrun/user:1" >>"$T/img/skopeo.log" 2>&1
ok $? "skopeo writes docker-archives (one with two tags)"
chmod -R a+rX "$T/img"
run_import --manifest "$OUTDIR/da.ini" "docker-archive:$T/img/full.docker.tar" "$OUTDIR/da"
is "$RC:$OUT:$ERR" "0::" "docker-archive:FILE (one image): imported"
treecmp "$(umoci_rootfs full)" "$OUTDIR/da" --qrun-modes --mtime --extra work
like "$CMP" '^[0-9]+ entries, same$' "docker-archive:FILE: the tree is umoci's"
runs_ok "$OUTDIR/da" "docker-archive"
for ref in qrun/alias:2 docker.io/qrun/full:1; do
        run_import "docker-archive:$T/img/full.docker.tar:$ref" "$OUTDIR/da-ref"
        is "$RC:$ERR:$(cat "$OUTDIR/da-ref/app/run.sh" 2>/dev/null | wc -l)" "0::2" "docker-archive:FILE:$ref selects the image"
        rm -rf "$OUTDIR/da-ref"
done
run_import "docker-archive:$T/img/full.docker.tar:qrun/full:2" "$OUTDIR/da-ref"
is "$RC:$ERR" "125:qrun: import: $T/img/full.docker.tar: no image tagged \"qrun/full:2\" (tags: docker.io/qrun/full:1)" \
        "docker-archive with an unknown REF: exit 125, the archive and its tag named"
is "$(leftovers "$OUTDIR")" "" "... and the unpacked archive is removed"

# Two images in one archive (as docker save IMAGE IMAGE writes it): skopeo
# writes one image per archive, so the two archives' files and manifest.json
# entries are put together by hand.
mkdir -p "$T/img/multi"
(cd "$T/img/multi" && tar -xf "$T/img/full.docker.tar" && mv manifest.json m1.json &&
        tar -xf "$T/img/user.docker.tar" && mv manifest.json m2.json &&
        "$PYTHON" -c 'import json; json.dump(json.load(open("m1.json")) + json.load(open("m2.json")), open("manifest.json", "w"))' &&
        rm m1.json m2.json && tar -cf "$T/img/multi.docker.tar" .)
ok $? "a docker-archive with two images is put together"
chmod -R a+rX "$T/img"
run_import "docker-archive:$T/img/multi.docker.tar" "$OUTDIR/multi"
is "$RC" 125 "docker-archive with two images, no REF: exit 125"
is "$ERR" 'qrun: import: the archive holds 2 images: name one as docker-archive:FILE:REF (tags: docker.io/qrun/full:1, docker.io/qrun/user:1)' \
        "the error says to name one and lists the tags"
run_import --manifest "$OUTDIR/m-full.ini" "docker-archive:$T/img/multi.docker.tar:qrun/full:1" "$OUTDIR/multi-full"
is "$RC:$(grep -c '^uid = 0$' "$OUTDIR/m-full.ini")" "0:1" "docker-archive:FILE:qrun/full:1 selects the first image"
run_import --manifest "$OUTDIR/m-user.ini" "docker-archive:$T/img/multi.docker.tar:qrun/user:1" "$OUTDIR/multi-user"
is "$RC:$(grep -c 'asks for User "1000:1000"' "$OUTDIR/m-user.ini")" "0:1" "docker-archive:FILE:qrun/user:1 selects the second"
treecmp "$(umoci_rootfs full)" "$OUTDIR/multi-user" --qrun-modes --mtime --extra work # user: full's layers
like "$CMP" '^[0-9]+ entries, same$' "docker-archive, two images: the tree is umoci's"
rm -rf "$OUTDIR"/multi-* "$OUTDIR/da"
ln -s full.docker.tar "$T/img/with:colon.tar"
run_import "docker-archive:$T/img/with:colon.tar:qrun/full:1" "$OUTDIR/colon"
is "$RC:$ERR" "0:" "docker-archive:FILE:REF where FILE holds a ':' and REF a tag"
rm -rf "$OUTDIR/colon"

# ==== tar:FILE, compressed by content ====
# A rootfs tarball of a tree; names starting .wh. are plain files there.
TREE=$T/tree # not below $T/img, whose modes chmod a+rX changes
cp -a "$(umoci_rootfs v3)" "$TREE"
echo literal >"$TREE/data/.wh.literal"
(cd "$TREE" && tar --numeric-owner -cf "$T/img/rootfs.tar" .) &&
        gzip -9 -c "$T/img/rootfs.tar" >"$T/img/rootfs.tar.gz" &&
        zstd -q -c "$T/img/rootfs.tar" >"$T/img/rootfs.tar.zst" &&
        xz -0 -c "$T/img/rootfs.tar" >"$T/img/rootfs.tar.xz" &&
        cp "$T/img/rootfs.tar.gz" "$T/img/gzip-named.tar"
ok $? "rootfs tarballs: plain, gzip, zstd, xz, and gzip named .tar"
chmod -R a+rX "$T/img"
is "$(file -b "$T/img/gzip-named.tar" | cut -d, -f1)" "gzip compressed data" "gzip-named.tar is gzip inside"
for f in rootfs.tar rootfs.tar.gz rootfs.tar.zst rootfs.tar.xz gzip-named.tar; do
        run_import "tar:$T/img/$f" "$OUTDIR/t"
        is "$RC:$OUT:$ERR" "0::" "tar:$f: imported"
        treecmp "$TREE" "$OUTDIR/t" --qrun-modes --mtime
        like "$CMP" '^[0-9]+ entries, same$' "tar:$f: the tree is the tarball's"
        if [ "$f" = rootfs.tar ]; then
                is "$(cat "$OUTDIR/t/data/.wh.literal" 2>&1)" "literal" "tar: applies no whiteouts: a .wh. file is a file"
                runs_ok "$OUTDIR/t" "tar:$f"
        fi
        rm -rf "$OUTDIR/t"
done

# ==== docker://: a registry on 127.0.0.1, through skopeo ====
free_port() {
        "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
registry_pid=
stop_registry() {
        [ -n "$registry_pid" ] && kill "$registry_pid" 2>/dev/null && wait "$registry_pid" 2>/dev/null
        registry_pid=
}
at_exit stop_registry
if ! command -v docker-registry >/dev/null; then
        skip "docker-registry is not installed (tools/deps.sh test installs it): no docker:// tests"
else
        port=$(free_port)
        mkdir -p "$T/registry/storage"
        cat >"$T/registry/config.yml" <<EOF2
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $T/registry/storage
http:
  addr: 127.0.0.1:$port
EOF2
        docker-registry serve "$T/registry/config.yml" >"$T/registry/log" 2>&1 &
        registry_pid=$!
        wait_until bash -c "exec 3<>/dev/tcp/127.0.0.1/$port"
        ok $? "docker-registry listens on 127.0.0.1:$port"
        skopeo copy --quiet --dest-tls-verify=false "oci:$L:full" "docker://127.0.0.1:$port/qrun/full:1" \
                >"$T/img/skopeo.log" 2>&1 &&
                skopeo copy --quiet --dest-tls-verify=false "oci:$L:v3" "docker://127.0.0.1:$port/qrun/v3:latest" \
                        >>"$T/img/skopeo.log" 2>&1
        ok $? "skopeo pushes two images to it"
        run_import --tls-verify=false --manifest "$OUTDIR/reg.ini" "docker://127.0.0.1:$port/qrun/full:1" "$OUTDIR/reg"
        is "$RC:$OUT:$ERR" "0::" "docker://127.0.0.1:$port/qrun/full:1: imported"
        treecmp "$(umoci_rootfs full)" "$OUTDIR/reg" --qrun-modes --mtime --extra work
        like "$CMP" '^[0-9]+ entries, same$' "docker://: the tree is umoci's"
        runs_ok "$OUTDIR/reg" "docker://"
        run_qrun "$OUTDIR/reg.ini"
        like "$RC:$OUT" '^0:FOO=a \$HOME \$\{X\} b BAR=bar' "docker://: the manifest runs the image's entrypoint"
        run_import --tls-verify=false "docker://127.0.0.1:$port/qrun/v3" "$OUTDIR/reg-v3"
        treecmp "$(umoci_rootfs v3)" "$OUTDIR/reg-v3" --qrun-modes --mtime
        like "$RC:$CMP" '^0:[0-9]+ entries, same$' "docker://REF without a tag: latest, umoci's tree"
        run_import --tls-verify=false "docker://127.0.0.1:$port/qrun/nothing:1" "$OUTDIR/reg-none"
        is "$RC" 125 "docker:// of an image the registry does not have: exit 125"
        like "$ERR" "qrun: import: skopeo could not copy docker://127.0.0.1:$port/qrun/nothing:1 \(exit status 1\)" \
                "... and a message naming the reference"
        [ ! -e "$OUTDIR/reg-none" ] && [ -z "$(leftovers "$OUTDIR")" ]
        ok $? "docker://: nothing is left after success or failure"
        rm -rf "$OUTDIR"/reg*
fi
# Nothing listens on this port (it was just free).
dead=$(free_port)
run_import --tls-verify=false "docker://127.0.0.1:$dead/qrun/full:1" "$OUTDIR/dead"
is "$RC" 125 "docker:// to an unreachable registry: exit 125"
like "$ERR" "connection refused" "skopeo's message says why"
like "$ERR" "qrun: import: skopeo could not copy docker://127.0.0.1:$dead/qrun/full:1" "qrun's message names the reference"
[ ! -e "$OUTDIR/dead" ] && [ -z "$(leftovers "$OUTDIR")" ]
ok $? "an unreachable registry leaves neither DEST nor a work directory"

# Interrupted: a registry that accepts the connection and never answers;
# SIGTERM to qrun stops skopeo and removes the work directory.
hang_port=$(free_port)
"$PYTHON" -c 'import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8); print("listening", flush=True); time.sleep(30)' \
        "$hang_port" >"$T/hang.out" 2>&1 &
hang_pid=$!
wait_for "$T/hang.out" listening
user_command env HOME="$T/home" XDG_RUNTIME_DIR="$T/home/run" "$QRUN" import --tls-verify=false \
        "docker://127.0.0.1:$hang_port/qrun/full:1" "$OUTDIR/hang"
"${CMD[@]}" >"$T/hang.stdout" 2>"$T/hang.stderr" </dev/null &
import_pid=$!
if wait_until test_pgrep -x skopeo; then
        kill -TERM "$import_pid"
        wait "$import_pid"
        rc=$?
        is "$rc:$(cat "$T/hang.stderr")" "125:qrun: import: interrupted by signal 15: nothing was kept" \
                "SIGTERM during the download: exit 125, nothing kept"
        wait_while test_pgrep -x skopeo
        ok $? "skopeo is stopped with it"
        [ ! -e "$OUTDIR/hang" ] && [ -z "$(leftovers "$OUTDIR")" ]
        ok $? "an interrupted import leaves neither DEST nor a work directory"
else
        kill "$import_pid" 2>/dev/null
        wait "$import_pid"
        skip "skopeo never started (import: $(cat "$T/hang.stderr"))"
        skip "skopeo never started"
        skip "skopeo never started"
fi
kill "$hang_pid" 2>/dev/null
wait "$hang_pid" 2>/dev/null

# ==== --manifest: the image's command, Env, WorkingDir and User ====
run_import --manifest "$OUTDIR/full.ini" "oci:$L:full" "$OUTDIR/full"
is "$RC:$ERR" "0:" "--manifest FILE: imported"
like "$(cat "$OUTDIR/full.ini")" "path = full" "the manifest beside DEST names it by its name"
is "$(stat -c %a "$OUTDIR/full.ini")" "$(printf '%o' $((0666 & ~0$(umask))))" \
        "the manifest's mode follows the user's umask (the tree's come from the image)"
run_qrun "$OUTDIR/full.ini"
is "$RC:$OUT:$ERR" "0:FOO=a \$HOME \${X} b BAR=bar
/work
args: one two words
0:" "the entrypoint runs with Cmd as arguments, Env (no \$ expanded by qrun), in WorkingDir, as root (no User)"
run_qrun "$OUTDIR/full.ini" -- /bin/sh -c 'echo "$PATH"; ls -d /proc/1 /dev/null'
is "$RC:$OUT" "0:/usr/bin:/bin
/dev/null
/proc/1" "the image's PATH; /proc and a minimal /dev"
(cd "$T/home" && as_user "$QRUN" "$OUTDIR/full.ini" -- /bin/pwd) >"$T/stdout" 2>&1 </dev/null
is "$(cat "$T/stdout")" "/work" "the manifest works from any directory"

mkdir -p "$T/manifests"
chown "$user_owner" "$T/manifests"
run_import --manifest "$T/manifests/rel.ini" "oci:$L:rel" "$OUTDIR/rel"
like "$(cat "$T/manifests/rel.ini")" "path = $OUTDIR/rel" "a manifest elsewhere names DEST by its absolute path"
like "$(cat "$T/manifests/rel.ini")" "command = /app/run.sh" "a relative Entrypoint is made absolute from WorkingDir"
run_qrun "$T/manifests/rel.ini"
is "$RC:$OUT:$ERR" "0:run.sh x in /app FOO=rel:" "the relative Entrypoint runs"

run_import --manifest "$OUTDIR/cmdonly.ini" "oci:$L:cmdonly" "$OUTDIR/cmdonly"
run_qrun "$OUTDIR/cmdonly.ini"
is "$RC:$OUT" "0:hello" "Cmd alone, found in the image's PATH"

run_import --manifest "$OUTDIR/nocmd.ini" "oci:$L:v3" "$OUTDIR/nocmd"
like "$(cat "$OUTDIR/nocmd.ini")" "the image names no command \(Entrypoint, Cmd\): give it after --" \
        "an image without a command: the manifest says so"
grep -q '^command' "$OUTDIR/nocmd.ini"
ok $((!$?)) "... and has no command line"
run_qrun "$OUTDIR/nocmd.ini"
is "$RC:$ERR" "125:$OUTDIR/nocmd.ini: [process] command: missing: set it in the manifest or give the command after --" \
        "qrun then asks for the command"
run_qrun "$OUTDIR/nocmd.ini" -- /bin/sh -c 'echo ok'
is "$RC:$OUT" "0:ok" "... and runs the command given after --"

run_import --manifest "$OUTDIR/user.ini" "oci:$L:user" "$OUTDIR/user"
like "$(cat "$OUTDIR/user.ini")" '; the image asks for User "1000:1000"; qrun maps only your own id' \
        "User 1000:1000: a comment says why it cannot be had"
like "$(cat "$OUTDIR/user.ini")" '
uid = self' "... and the manifest says uid = self"
run_qrun "$OUTDIR/user.ini"
is "$RC:$(printf '%s\n' "$OUT" | tail -n1)" "0:$(id -u "$user_owner")" "the command runs as the importing user's own uid"
run_import --manifest "$OUTDIR/multiline.ini" "oci:$L:multiline" "$OUTDIR/multiline"
is "$RC:$(grep -c "^; left out: the image's command (Entrypoint, Cmd) has a line break" "$OUTDIR/multiline.ini")" "0:1" \
        "a command with a line break (a manifest value is one line): left out, and the manifest says why"
run_qrun "$OUTDIR/multiline.ini" -- /bin/sh -c 'echo ok'
is "$RC:$OUT:$ERR" "0:ok:" "... the manifest is valid and runs the command given after --"
rm -rf "$OUTDIR"/full "$OUTDIR"/rel "$OUTDIR"/cmdonly "$OUTDIR"/nocmd "$OUTDIR"/user "$OUTDIR"/multiline "$OUTDIR"/*.ini

# A manifest that cannot be written: the import fails late, after the
# layers; still nothing is left.
run_import --manifest "$OUTDIR/no/such/dir/m.ini" "oci:$L:full" "$OUTDIR/late"
is "$RC" 125 "--manifest into a missing directory: exit 125"
[ ! -e "$OUTDIR/late" ] && [ -z "$(leftovers "$OUTDIR")" ]
ok $? "a late failure leaves neither DEST nor a work directory"

# ==== DEST ====
mkdir "$OUTDIR/full"
echo old >"$OUTDIR/full/marker"
chown -R "$user_owner" "$OUTDIR/full"
run_import "oci:$L:v3" "$OUTDIR/full"
is "$RC:$ERR" "125:qrun: import: $OUTDIR/full exists and is not empty (--force replaces it)" \
        "a non-empty DEST: exit 125 without --force"
is "$(ls -A "$OUTDIR/full")" "marker" "... and it is untouched"
run_import --force "oci:$L:v3" "$OUTDIR/full"
is "$RC:$ERR" "0:" "--force replaces a non-empty DEST"
[ ! -e "$OUTDIR/full/marker" ] && [ -x "$OUTDIR/full/bin/busybox" ] && [ -z "$(leftovers "$OUTDIR")" ]
ok $? "... with the image, the old contents gone, no work directory left"
rm -rf "$OUTDIR/full"

mkdir "$OUTDIR/empty"
chown "$user_owner" "$OUTDIR/empty"
run_import "oci:$L:v3" "$OUTDIR/empty"
is "$RC:$ERR:$(ls -A "$OUTDIR/empty")" "0::$(ls -A "$(umoci_rootfs v3)")" "an empty directory as DEST is filled without --force"
rm -rf "$OUTDIR/empty"

echo file >"$OUTDIR/afile"
chown "$user_owner" "$OUTDIR/afile"
run_import "oci:$L:v3" "$OUTDIR/afile"
is "$RC:$ERR" "125:qrun: import: $OUTDIR/afile exists (--force replaces it)" "a file as DEST: exit 125"
run_import --force "oci:$L:v3" "$OUTDIR/afile"
[ "$RC" -eq 0 ] && [ -d "$OUTDIR/afile/bin" ] && [ -z "$(leftovers "$OUTDIR")" ]
ok $? "--force replaces a file with the tree"
rm -rf "$OUTDIR/afile"

run_import "oci:$L:v3" "$OUTDIR/deeper/dest"
is "$RC" 125 "DEST whose parent does not exist: exit 125"
like "$ERR" "unable to create a work directory beside $OUTDIR/deeper/dest" "... and the message says where"

# ==== --squashfs ====
if ! command -v mksquashfs >/dev/null || ! command -v unsquashfs >/dev/null; then
        skip "squashfs-tools is not installed (tools/deps.sh test installs it)"
else
        run_import --squashfs "oci:$L:v3" "$OUTDIR/img.sqfs"
        is "$RC:$OUT:$ERR" "0::" "--squashfs: imported, nothing printed"
        is "$(head -c 4 "$OUTDIR/img.sqfs")" "hsqs" "DEST is a SquashFS file (magic hsqs)"
        like "$(unsquashfs -s "$OUTDIR/img.sqfs" 2>&1)" "Compression zstd" \
                "--squashfs compresses with zstd (twice as fast to read back as gzip)"
        listing=$(unsquashfs -l "$OUTDIR/img.sqfs" 2>&1)
        like "$listing" "squashfs-root/data/opq2/new" "unsquashfs lists the image's files"
        ! printf '%s\n' "$listing" | grep -q 'squashfs-root/data/gone'
        ok $? "... the layers applied (no whited-out file)"
        is "$(leftovers "$OUTDIR")" "" "--squashfs: no work directory left (the tree went with it)"
        run_import --squashfs "oci:$L:v3" "$OUTDIR/img.sqfs"
        is "$RC:$ERR" "125:qrun: import: $OUTDIR/img.sqfs exists (--force replaces it)" "--squashfs onto an existing file: exit 125"
        before=$(stat -c %Y.%i "$OUTDIR/img.sqfs")
        run_import --squashfs --force "oci:$L:full" "$OUTDIR/img.sqfs"
        [ "$RC" -eq 0 ] && [ "$(stat -c %Y.%i "$OUTDIR/img.sqfs")" != "$before" ] &&
                unsquashfs -l "$OUTDIR/img.sqfs" | grep -q 'squashfs-root/work$'
        ok $? "--squashfs --force replaces it"
        mkdir "$OUTDIR/sqdir"
        chown "$user_owner" "$OUTDIR/sqdir"
        run_import --squashfs "oci:$L:v3" "$OUTDIR/sqdir"
        is "$RC:$ERR" "125:qrun: import: $OUTDIR/sqdir exists (--force replaces it)" \
                "--squashfs onto an empty directory: exit 125 (DEST is a file)"
        is "$(leftovers "$OUTDIR")" "" "no work directory left"
        rm -rf "$OUTDIR/img.sqfs" "$OUTDIR/sqdir"
fi

# ==== progress ====
run_import -q "oci:$L:v3" "$OUTDIR/quiet"
is "$RC:$OUT:$ERR" "0::" "-q: nothing printed"
rm -rf "$OUTDIR/quiet"
if ! command -v script >/dev/null; then
        skip "script (util-linux) is not installed: no terminal to show progress on"
        skip "no terminal"
else
        user_command "$QRUN" import "oci:$L:v3" "$OUTDIR/tty"
        tty_out=$(script -qec "$(printf '%q ' "${CMD[@]}")" /dev/null </dev/null 2>&1 | tr '\r' '\n')
        like "$tty_out" "qrun: import: layer 3 of 3: " "on a terminal, progress shows each layer"
        rm -rf "$OUTDIR/tty"
        user_command "$QRUN" import -q "oci:$L:v3" "$OUTDIR/tty"
        tty_out=$(script -qec "$(printf '%q ' "${CMD[@]}")" /dev/null </dev/null 2>&1)
        is "$tty_out:$(ls -A "$OUTDIR/tty")" ":$(ls -A "$(umoci_rootfs v3)")" "-q on a terminal: nothing printed"
        rm -rf "$OUTDIR/tty"
fi
is "$(leftovers "$OUTDIR")" "" "nothing is left beside any DEST"

done_testing
