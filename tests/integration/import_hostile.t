#!/bin/bash
# qrun import against hostile and malformed images (tests/helper/hostile_image.py
# crafts them): nothing lands outside DEST, whiteouts, digests and broken files,
# special files and modes, atomicity (failures, signals, a full disk), never a
# crash, and an image's config cannot add lines to the manifest it gives.
#
# DEST is $W/dest; beside it lie a canary directory and files named like those
# the layers write ($W/canary/x, $W/x, $W/outside), all the test user's own, so
# that a write that escaped would succeed. From the tree being built
# ($W/.dest.qrun-import.*/rootfs) "../../canary" is $W/canary.
. "$(dirname "$0")/../lib.sh"

helper="$QRUN_SOURCE/tests/helper/hostile_image.py"
if ! command -v python3 >/dev/null; then
        skip "python3 is needed to craft the images"
        done_testing
        exit
fi

W=$T/w
mkdir -p "$W/canary" "$T/img"
echo canary >"$W/canary/x"
echo canary >"$W/canary/passwd"
echo outside >"$W/x"
echo outside >"$W/outside"
[ "$(id -u)" -eq 0 ] && chown -R "$QRUN_TEST_USER:" "$W"
python3 "$helper" --canary "$W/canary" --all "$T/img"
chmod -R a+rX "$T/img"

# Everything beside DEST: names, types, modes, link counts, sizes and change
# times (any write or link changes the last). One process: each costs.
outside_state() {
        find "$W" -mindepth 1 \( -path "$W/dest" -o -path "$W/m.ini" \) -prune -o \
                -printf '%P %y %m %n %s %C@\n'
}
outside_before=$(outside_state)
passwd_links=$(stat -c %h /etc/passwd)

# imp SCENARIO [OPTIONS...]: qrun import -q OPTIONS oci:IMAGE $W/dest as the
# test user (a SCENARIO with a transport, oci-archive:NAME, names its file).
imp() {
        local source=$1
        shift
        case $source in
        *:*) source=${source%%:*}:$T/img/${source#*:} ;;
        *) source=oci:$T/img/$source ;;
        esac
        [ ! -e "$W/dest" ] || rm -rf "$W/dest"
        as_user "$QRUN" import -q "$@" "$source" "$W/dest" >/dev/null 2>"$T/err" </dev/null
        RC=$?
        ERR=$(<"$T/err")
}

# What must hold after every import, failed or not: no work directory, and
# nothing beside DEST changed. Prints what is wrong, then removes what was
# left, so that the next check starts clean.
aftermath() {
        local left state
        left=$(compgen -G "$W/.*qrun-import*")
        [ -z "$left" ] || echo "left behind: $left"
        state=$(outside_state)
        [ "$state" = "$outside_before" ] || echo "changed beside DEST: $(diff <(echo "$outside_before") <(echo "$state") | head -5)"
        [ -z "$left" ] || as_user rm -rf "$W"/.dest.qrun-import.*
}

# refused DESCRIPTION REGEX: the last import failed with status 125 (not a
# signal) and one line on stderr matching REGEX, left no DEST and no work
# directory, and changed nothing beside DEST.
refused() {
        local problems re="^qrun: import: .*$2"
        problems=$(
                [ "$RC" = 125 ] || echo "exit status $RC, not 125"
                [[ $ERR != *$'\n'* ]] || echo "not one line on stderr"
                [[ $ERR =~ $re ]] || echo "stderr does not match /$2/"
                [ ! -e "$W/dest" ] && [ ! -L "$W/dest" ] || echo "DEST exists"
                aftermath
        )
        ok "$([ -z "$problems" ] && echo 0 || echo 1)" "$1"
        [ -z "$problems" ] || printf '#   %s\n' "$problems" "stderr: $ERR" | head -8
}

# imported DESCRIPTION: the last import succeeded, quietly, and changed nothing
# beside DEST.
imported() {
        local problems
        problems=$(
                [ "$RC" = 0 ] || echo "exit status $RC"
                [ -z "$ERR" ] || echo "stderr: $ERR"
                [ -d "$W/dest" ] || echo "no DEST"
                aftermath
        )
        ok "$([ -z "$problems" ] && echo 0 || echo 1)" "$1"
        [ -z "$problems" ] || printf '#   %s\n' "$problems" | head -8
}

# in_dest PATH: the file's type and contents ("link -> TARGET" for a symlink).
in_dest() {
        local p=$W/dest/$1
        if [ -L "$p" ]; then
                echo "link -> $(readlink "$p")"
        elif [ -f "$p" ]; then
                echo "file $(cat "$p")"
        elif [ -d "$p" ]; then
                echo "dir $(ls -A "$p" | tr '\n' ' ')"
        elif [ -e "$p" ]; then
                echo "other"
        else
                echo "missing"
        fi
}

whiteouts_in_dest() {
        find "$W/dest" -name '.wh.*' | sed "s|^$W/dest||" | tr '\n' ' '
}

# ---- 1. nothing lands outside DEST ----

imp absolute
refused "an absolute name is refused" 'refusing the absolute name "/qrun-hostile-absolute"'
[ ! -e /qrun-hostile-absolute ]
ok $? "  ... and /qrun-hostile-absolute was not made"
imp dotdot
refused "a name starting with .. is refused" 'refusing "\.\./qrun-hostile-dotdot": it has a \.\. component'
imp dotdot-inner
refused "a/../../x is refused" 'refusing "a/\.\./\.\./x": it has a \.\. component'

imp symlink-root
imported "evil -> / then evil/x"
is "$(in_dest x):$(in_dest evil)" "file via-root:link -> /" "  ... x lands in DEST/x"
imp symlink-up
imported "evil -> ../../../../../.. then evil/canary/x"
is "$(in_dest canary/x)" "file via-up" "  ... lands in DEST/canary/x, not beside DEST"
imp symlink-up-canary
imported "evil -> ../../canary (the canary, seen from the work tree) then evil/x"
is "$(in_dest canary/x)" "file via-up" "  ... lands in DEST/canary/x"
imp symlink-etc
imported "evil -> /etc then evil/qrun-hostile-etc"
is "$(in_dest etc/qrun-hostile-etc)" "file via-etc" "  ... lands in DEST/etc"
[ ! -e /etc/qrun-hostile-etc ]
ok $? "  ... and not in the host's /etc"
imp symlink-abs-canary
imported "evil -> the canary's absolute path, then evil/x"
is "$(in_dest "$W/canary/x")" "file via-abs" "  ... lands in DEST$W/canary/x"
imp symlink-dangling
refused "evil -> ../../canary without that directory in DEST: a clean error" 'evil: No such file or directory'
imp symlink-across-layers
imported "a symlink planted by one layer, written through by the next"
is "$(in_dest canary/x):$(in_dest y)" "file layer2:file layer2" "  ... inside DEST"
imp dir-to-symlink
imported "a directory replaced by a symlink, then written below (one layer)"
is "$(in_dest d):$(in_dest canary/x)" "link -> ../../canary:file below" "  ... the write lands in DEST/canary"
imp dir-to-symlink-layers
imported "the same across three layers"
is "$(in_dest d):$(in_dest canary)" "link -> ../../canary:dir x " "  ... the write lands in DEST/canary"

imp hardlink-abs
refused "a hard link to /etc/passwd is refused" 'refusing the absolute name "/etc/passwd"'
is "$(stat -c %h /etc/passwd)" "$passwd_links" "  ... and /etc/passwd has no new link"
imp hardlink-dotdot
refused "a hard link to ../outside is refused" 'refusing "\.\./outside": it has a \.\. component'
imp hardlink-canary-abs
refused "a hard link to the canary's absolute path is refused" "refusing the absolute name \"$W/canary/x\""
imp hardlink-symlink
imported "a hard link through a planted symlink (evil -> ../../canary, h => evil/x)"
is "$(in_dest h):$(stat -c %h "$W/dest/h")" "file inside:2" "  ... links DEST/canary/x, not the canary"
imp hardlink-symlink-missing
refused "the same without DEST/canary/x: a clean error" 'unable to link h to evil/x: No such file or directory'
imp replace-symlink
imported "an existing symlink at a file's path is replaced, never written through"
is "$(in_dest f):$(in_dest h):$(in_dest g)" "file new-f:file new-h:link -> $W/canary/x" \
        "  ... across layers and within one"
imp tar:rootfs-tar
imported "a rootfs tarball (tar:): a symlink to ../../canary, then written through"
is "$(in_dest canary/x):$(in_dest .wh.kept)" "file via-tar:file k" "  ... lands in DEST/canary/x; .wh. names are plain files there"
imp tar:rootfs-tar-dotdot
refused "a rootfs tarball with ../../canary/x in it" 'refusing "\.\./\.\./canary/x": it has a \.\. component'
imp symlink-empty
refused "a symlink without a target: a clean error" 'the symlink x has no target$'
imp parent-is-file
refused "a file below a regular file: a clean error" 'f: Not a directory'

# A name of 2,000 components: no recursion per component (with a small stack
# too), and a tree deeper than the descriptor limit still goes away on failure.
user_command prlimit --stack=1048576 -- "$QRUN" import -q "oci:$T/img/deep-path" "$W/dest"
"${CMD[@]}" >"$T/out" 2>"$T/err" </dev/null
RC=$? ERR=$(cat "$T/err")
imported "a name 2,000 directories deep (1 MiB of stack)"
as_user rm -rf "$W/dest"
user_command prlimit --nofile=256 -- "$QRUN" import -q "oci:$T/img/deep-tree-bad-digest" "$W/dest"
"${CMD[@]}" >"$T/out" 2>"$T/err" </dev/null
RC=$? ERR=$(cat "$T/err")
refused "a tree 1,100 deep then a bad digest, with 256 descriptors: all of it goes" 'digest mismatch'

# ---- 2. whiteouts ----

imp whiteouts
imported "whiteouts"
is "$(in_dest a):$(in_dest a/old):$(in_dest b):$(in_dest file1)" "dir keep :missing:missing:file 1" \
        "  ... .wh.NAME deletes a file and a directory tree; the rest stays"
is "$(in_dest same):$(in_dest s):$(in_dest nodir)" "file same layer:dir new :missing" \
        "  ... a layer's own file survives its whiteout, its directory loses the lower files; a whiteout of nothing makes nothing"
is "$(whiteouts_in_dest)" "" "  ... no whiteout file in DEST"
imp opaque
imported "opaque directories"
is "$(in_dest o):$(in_dest o/sub)" "dir new :missing" "  ... the marker first: only the layer's own entries"
is "$(in_dest p)" "dir new " "  ... the marker after the layer's own entry: it stays"
is "$(in_dest q):$(in_dest q/sub)" "dir sub :dir new " \
        "  ... the layer's entry below a lower directory stays, the lower files go"
is "$(in_dest r/sub)" "dir new " "  ... the marker after the layer's own directories: the lower files below them go"
is "$(in_dest fresh):$(whiteouts_in_dest)" "dir :" "  ... a new opaque directory is made empty; no marker in DEST"
imp whiteout-dotdot
refused "a whiteout of .. (a/.wh...) is refused" 'refusing the whiteout "a/\.wh\.\.\.": it names no file'
imp whiteout-dot
refused "a whiteout of . (a/.wh..) is refused" 'refusing the whiteout "a/\.wh\.\.": it names no file'
imp whiteout-as-dir
refused "a whiteout name used as a directory is refused" 'refusing "a/\.wh\.x/y": a whiteout cannot hold files'

# ---- 3. broken images ----

imp bad-layer-digest
refused "a layer's digest mismatch" 'digest mismatch: expected sha256:[0-9a-f]{64}, got sha256:[0-9a-f]{64}$'
imp bad-config-digest
refused "the config's digest mismatch" 'digest mismatch: expected sha256:[0-9a-f]{64}, got sha256:[0-9a-f]{64}$'
imp bad-manifest-digest
refused "the manifest's digest mismatch" 'digest mismatch: expected sha256:[0-9a-f]{64}, got sha256:[0-9a-f]{64}$'
imp bad-diff-id
refused "a diff_id mismatch" 'uncompressed digest mismatch: expected sha256:[0-9a-f]{64} \(diff_id\)'
imp bad-size
refused "a layer shorter than its descriptor says" 'size mismatch: the image says [0-9]+ bytes, the file has [0-9]+'
imp bad-size-long
refused "a layer longer than its descriptor says" 'size mismatch: the image says [0-9]+ bytes, the file has more'
imp missing-blob
refused "a missing blob" 'blobs/sha256/[0-9a-f]{64}: No such file or directory'
imp bad-json-index
refused "bad JSON in index.json (file and line)" "$T/img/bad-json-index/index.json:3: bad JSON: "
imp bad-json-manifest
refused "bad JSON in the manifest (file and line)" 'blobs/sha256/[0-9a-f]{64}:3: bad JSON: '
imp bad-json-config
refused "bad JSON in the config (file and line)" 'blobs/sha256/[0-9a-f]{64}:3: bad JSON: '
imp bad-digest-form
refused "a digest that is not sha256:<64 hex> (../../etc/passwd)" 'not sha256:<64 hex digits> \("sha256:\.\./'
imp unknown-media-type
refused "an unknown layer media type" 'unknown layer media type "application/vnd.example.layer.v1.squashfs"'
imp unknown-manifest-type
refused "an unknown manifest media type" 'unknown manifest media type "application/vnd.example.manifest.v9\+json"'
imp truncated-gzip
refused "a truncated gzip layer" 'truncated gzip data$'
if command -v zstd >/dev/null; then
        imp truncated-zstd
        refused "a truncated zstd layer" 'truncated zstd data$'
else
        skip "zstd (the program) is needed to make a zstd layer"
fi
imp truncated-xz
refused "a truncated xz layer" 'truncated xz data$'
imp truncated-tar
refused "a truncated tar" 'Truncated tar archive$'
imp huge-size
refused "a tar header claiming 8 GiB" 'Truncated tar archive$'
imp huge-size-base256
refused "a tar header claiming 2^62 bytes" 'Truncated tar archive$'
imp not-tar
refused "a layer of random bytes" 'Unrecognized archive format$'
imp empty-index
refused "an empty index" 'index.json: no image in it$'
imp no-oci-layout
refused "no oci-layout" 'oci-layout: No such file or directory$'
user_command timeout -s KILL 20 "$QRUN" import -q "oci-archive:$T/img/archive-zero-blob" "$W/dest"
"${CMD[@]}" >"$T/out" 2>"$T/err" </dev/null
RC=$? ERR=$(cat "$T/err")
refused "an oci-archive whose layer blob is a symlink to /dev/zero" 'not a regular file'
[ "$RC" = 137 ] && as_user rm -rf "$W"/.dest.qrun-import.*
imp oci-archive:archive-dotdot
refused "an oci-archive with ../../canary/x in it" 'refusing "\.\./\.\./canary/x": it has a \.\. component'
imp docker-archive:docker-dotdot
refused "a docker-archive whose manifest.json names ../../etc/passwd" 'bad file name "\.\./\.\./etc/passwd"'

# ---- 4. special files, modes, owners ----

imp specials
is "$RC:$ERR" "0:qrun: import: skipped 5 device nodes, FIFOs or sockets (/dev/null, /dev/zero, /dev/sda, ...): an unprivileged user cannot create them; mount mode's dev = minimal provides /dev" \
        "devices and FIFOs: skipped with one warning, their count and the first paths"
is "$(find "$W/dest" ! -type f ! -type d | wc -l):$(in_dest regular):$(aftermath)" "0:file r:" \
        "  ... none in DEST, the rest imported"
imp modes
imported "modes"
is "$(cd "$W/dest" && stat -c '%n %a' suid sgid sgid-dir nomode | tr '\n' ' ')" \
        "suid 755 sgid 755 sgid-dir 775 nomode 600 " "  ... setuid and setgid dropped; files u+rw"
is "$(cd "$W/dest" && stat -c '%n %a' locked locked/file locked/sub | tr '\n' ' ')" \
        "locked 700 locked/file 600 locked/sub 700 " "  ... a directory and a file of mode 000 become u+rwx and u+rw"
is "$(find "$W/dest" ! -user "$(as_user id -u)" | wc -l)" 0 "  ... everything is the user's"
as_user rm -rf "$W/dest"
is "$?:$(ls -A "$W" | grep -c -x dest)" "0:0" "  ... who can rm -rf DEST"

# ---- 5. atomicity: signals, SIGKILL, a full disk ----

python3 "$helper" --big "${QRUN_IMPORT_BIG_MB:-200}" "$T/img/big" big
chmod -R a+rX "$T/img/big"
# interrupt SIGNAL: starts importing the big layer and sends SIGNAL once its
# file appears in the work directory; sets RC and ERR.
interrupt() {
        rm -rf "$W/dest"
        user_command "$QRUN" import -q "oci:$T/img/big" "$W/dest"
        "${CMD[@]}" >"$T/out" 2>"$T/err" </dev/null &
        local pid=$! deadline=$((SECONDS + 20))
        until compgen -G "$W/.dest.qrun-import.*/rootfs/big" >/dev/null || [ $SECONDS -ge $deadline ]; do
                sleep 0.01
        done
        kill -s "$1" "$pid"
        wait "$pid" 2>/dev/null
        RC=$? ERR=$(cat "$T/err")
}
interrupt INT
refused "SIGINT part-way: nothing left, status 125" 'interrupted by signal 2: nothing was kept'
interrupt TERM
refused "SIGTERM part-way: nothing left, status 125" 'interrupted by signal 15: nothing was kept'
interrupt KILL
left=$(cd "$W" && ls -A | grep -c '^\.dest\.qrun-import\.')
is "$RC:$left:$(ls -A "$W" | grep -c -x dest)" "137:1:0" \
        "SIGKILL part-way: no DEST; the hidden work directory stays (nothing can remove it)"
as_user rm -rf "$W"/.dest.qrun-import.*

if [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null; then
        mkdir "$T/full"
        # A file system of 2 MiB in a mount namespace of its own, and 8 MiB to
        # import into it; what is left is looked at before the namespace goes.
        unshare -m --propagation private sh -c '
                mount -t tmpfs -o size=2m,uid=$(id -u "$1"),gid=$(id -g "$1") qrun-full "$2" || exit 99
                setpriv --reuid="$1" --regid="$1" --clear-groups -- "$3" import -q "oci:$4" "$2/dest" 2>"$5"
                echo "$? $(ls -A "$2" | tr "\n" " ")"' \
                sh "$QRUN_TEST_USER" "$T/full" "$QRUN" "$T/img/mb8" "$T/err" >"$T/out"
        ERR=$(cat "$T/err")
        is "$(cat "$T/out")" "125 " "a full disk: status 125, nothing left on it"
        like "$ERR" '^qrun: import: .*: No space left on device$' "  ... and the error names ENOSPC"
else
        skip "a full disk: needs root (a tmpfs in a mount namespace)"
        skip "a full disk: needs root"
fi

# ---- 7. the config: its WorkingDir stays inside, it cannot add lines to the manifest ----

imp config-workdir-dotdot
refused "a WorkingDir of /../../canary/w is refused" 'WorkingDir: refusing "\.\./\.\./canary/w": it has a \.\. component$'
imp config-workdir-symlink
imported "a WorkingDir below a planted symlink (evil -> ../../canary)"
is "$(in_dest canary)" "dir w " "  ... is made inside DEST"

imp config-workdir --manifest "$W/m.ini"
imported "a WorkingDir with a line break imports"
is "$(grep -E '^\[|^bind' "$W/m.ini" | tr '\n' ' ')" "[rootfs] [user] [mounts] [process] " \
        "  ... but adds no [mounts] bind = /:/host to the manifest"
imp config-newlines --manifest "$W/m.ini"
is "$(grep -E '^\[|^bind' "$W/m.ini" | tr '\n' ' ')" "[rootfs] [user] [mounts] [process] " \
        "line breaks in Entrypoint, Cmd, WorkingDir, User, Env: no line added"
run_qrun --check "$W/m.ini"
is "$RC:$ERR" "125:$W/m.ini: [process] command: missing: set it in the manifest or give the command after --" \
        "  ... the manifest loads; it lacks only the command left out"
rm -f "$W/m.ini"

done_testing
