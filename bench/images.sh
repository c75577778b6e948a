#!/bin/bash
# Images at launch: what a SquashFS rootfs, an overlay and root emulation cost,
# side by side with Charliecloud and bubblewrap where they can do the same.
#
#   bench/images.sh [ROUNDS] [RUNS_PER_ROUND]      (defaults: 10 rounds of 40 runs)
#
# Every command runs `python3 -c pass` in the Debian image of the import tests
# (tests/helper/debian-image.sh: bookworm minbase + python3), imported once as
# a directory and once as a SquashFS file (`qrun import --squashfs`), as an
# unprivileged user, in alternating hyperfine rounds:
#   dir          qrun, directory rootfs, chroot mode
#   dir_mount    qrun, directory rootfs, mount mode (proc = true, dev = minimal)
#   sqfs         qrun, SquashFS rootfs (mount mode, the same /proc and /dev);
#                launches share the image's server (linger), as in real use
#   sqfs_cold    the same with linger = 0 (its own copy of the image): every
#                launch starts a server and reads the image through a cold cache
#   sqfs_gzip    sqfs_cold with the image made by mksquashfs's defaults (gzip)
#   sqfs_ov      qrun, SquashFS rootfs with overlay = tmpfs
#   dir_ov       qrun, directory rootfs with overlay = tmpfs (mount mode)
#   fake         qrun, dir_mount as uid 0 with fakeroot (default+fakeroot)
#   root         qrun, dir_mount as uid 0 (the default profile alone)
#   chrun        ch-run on the directory
#   chrun_sqfs   ch-run on the SquashFS file (when its build has SquashFUSE)
#   bwrap        bwrap on the directory with --proc and --dev
#   true_dir, true_sqfs   dir_mount and sqfs running /bin/true: the fixed cost
#                of a launch from SquashFS, apart from what python3 reads
# qrun uses its default seccomp profile throughout; ch-run and bwrap load none.
# Targets (the images issue): SquashFS adds ≤ 3 ms to a launch (sqfs against
# dir_mount); the overlay adds ≤ 0.3 ms to mount mode (dir_ov against
# dir_mount); fake root changes nothing (fake against root, within 2%; its
# filter's attach time within 10% of the profile alone, measured apart with
# bench/seccomp_attach.c on the programs qrun embeds). Writes
# bench/results/60-images.md and reassembles bench/RESULTS.md. As root it opens
# /dev/fuse to users (Debian's default, 0666) for the run and puts it back.
. "$(dirname "$0")/lib.sh"
rounds=${1:-10}
runs=${2:-40}

deps bench-compare
(cd "$REPO" && ./build.sh >/dev/null)
make_workdir
img=$("$REPO/tests/helper/debian-image.sh") || { echo "images.sh: no Debian image (see above)" >&2; exit 1; }
cp "$REPO/build/qrun" "$WORK/qrun"
chmod 777 "$WORK"
fuse_mode=$(stat -c %a /dev/fuse)
if [ "$(id -u)" -eq 0 ]; then
        chmod 0666 /dev/fuse
        trap 'chmod "$fuse_mode" /dev/fuse; pkill -u "$BENCH_USER" -x qrun-squashfs; rm -rf "$WORK"' EXIT
fi
as_bench_user "$WORK/qrun" import -q "oci:$img/layout:bookworm-python3" "$WORK/deb" 2>/dev/null
as_bench_user "$WORK/qrun" import -q --squashfs "oci:$img/layout:bookworm-python3" "$WORK/deb.sqfs" \
        2>/dev/null
mksquashfs "$WORK/deb" "$WORK/deb-gzip.sqfs" -noappend -quiet -no-progress -no-xattrs -all-root >/dev/null
cp "$WORK/deb.sqfs" "$WORK/deb-cold.sqfs" # another inode: a server of its own
(cd "$REPO" && gcc "${QRUN_AUX_CFLAGS[@]}" -Werror "${QRUN_INCLUDES[@]}" -DQRUN_SYSTEM_MALLOC \
        bench/seccomp_attach.c "${QRUN_LIB_SOURCES[@]}" "$QRUN_TABLES" "$QRUN_LIBINIH" "${QRUN_IMAGE_LIBS[@]}" -lseccomp \
        -o "$WORK/seccomp_attach")

manifest() { # NAME ROOTFS EXTRA: a manifest running python3 -c pass
        printf '[rootfs]\npath = %s\n%s[process]\ncommand = /usr/bin/python3\nargs = -c pass\n' "$2" "$3" \
                >"$WORK/$1.ini"
}
mounts=$'[mounts]\nproc = true\ndev = minimal\n'
manifest dir "$WORK/deb" ""
manifest dir_mount "$WORK/deb" "$mounts"
manifest sqfs "$WORK/deb.sqfs" "$mounts"
manifest sqfs_cold "$WORK/deb-cold.sqfs" $'linger = 0\n'"$mounts"
manifest sqfs_gzip "$WORK/deb-gzip.sqfs" $'linger = 0\n'"$mounts"
manifest sqfs_ov "$WORK/deb.sqfs" $'overlay = tmpfs\n'"$mounts"
manifest dir_ov "$WORK/deb" $'overlay = tmpfs\n'"$mounts"
manifest root "$WORK/deb" $'[user]\nuid = 0\n'"$mounts"
manifest fake "$WORK/deb" $'[user]\nuid = 0\nfakeroot = true\n'"$mounts"
chmod -R a+rX "$WORK"/*.ini

declare -A cmds=()
names=(dir dir_mount sqfs sqfs_cold sqfs_gzip sqfs_ov dir_ov root fake)
for n in "${names[@]}"; do
        cmds[$n]="$WORK/qrun $WORK/$n.ini"
done
cmds[true_dir]="$WORK/qrun $WORK/dir_mount.ini -- /bin/true"
cmds[true_sqfs]="$WORK/qrun $WORK/sqfs.ini -- /bin/true"
names+=(true_dir true_sqfs)
cmds[chrun]="/usr/bin/ch-run $WORK/deb -- /usr/bin/python3 -c pass"
cmds[bwrap]="/usr/bin/bwrap --unshare-user --unshare-pid --unshare-ipc --unshare-uts --bind $WORK/deb / \
--proc /proc --dev /dev /usr/bin/python3 -c pass"
names+=(chrun bwrap)
cmds[chrun_sqfs]="/usr/bin/ch-run -m $WORK/mnt $WORK/deb.sqfs -- /usr/bin/python3 -c pass"
mkdir -m 777 "$WORK/mnt"
if as_bench_user env USER="$BENCH_USER" ${cmds[chrun_sqfs]} >/dev/null 2>&1; then
        names+=(chrun_sqfs)
        chrun_sqfs_note="ch-run runs the SquashFS file through its own SquashFUSE."
else
        chrun_sqfs_note="ch-run cannot run the SquashFS file here (its build lacks SquashFUSE, or FUSE is refused): not timed."
fi
for who in "${names[@]}"; do # every command must work before it is timed
        as_bench_user env USER="$BENCH_USER" ${cmds[$who]} ||
                { echo "images.sh: $who fails: ${cmds[$who]}" >&2; exit 1; }
done
for who in chrun chrun_sqfs; do # ch-run wants $USER
        [ -n "${cmds[$who]:-}" ] && cmds[$who]="/usr/bin/env USER=$BENCH_USER ${cmds[$who]}"
done

declare -A files=()
alternating_rounds "$rounds" "$runs" 5 "${names[@]}"
rows=("qrun, directory, chroot mode=${files[dir]}" "qrun, directory, mount mode=${files[dir_mount]}"
        "qrun, SquashFS=${files[sqfs]}" "qrun, SquashFS, linger 0=${files[sqfs_cold]}"
        "qrun, SquashFS made with gzip, linger 0=${files[sqfs_gzip]}"
        "qrun, SquashFS + tmpfs overlay=${files[sqfs_ov]}"
        "qrun, directory + tmpfs overlay=${files[dir_ov]}" "qrun, uid 0=${files[root]}"
        "qrun, uid 0 + fakeroot=${files[fake]}" "ch-run, directory=${files[chrun]}"
        "bwrap, directory, --proc --dev=${files[bwrap]}"
        "qrun, directory, mount mode, /bin/true=${files[true_dir]}" "qrun, SquashFS, /bin/true=${files[true_sqfs]}")
[ -n "${files[chrun_sqfs]:-}" ] && rows+=("ch-run, SquashFS=${files[chrun_sqfs]}")
table=$(python3 "$BENCH_DIR/stats.py" "qrun, directory, mount mode" "${rows[@]}")
diff_ms() { awk "BEGIN {printf \"%.2f\", $(median_of "$1" "$table") - $(median_of "$2" "$table")}"; }
d_sqfs=$(diff_ms "qrun, SquashFS" "qrun, directory, mount mode")
d_ov=$(diff_ms "qrun, directory + tmpfs overlay" "qrun, directory, mount mode")
d_fake=$(diff_ms "qrun, uid 0 + fakeroot" "qrun, uid 0")
d_true=$(diff_ms "qrun, SquashFS, /bin/true" "qrun, directory, mount mode, /bin/true")
d_cold=$(diff_ms "qrun, SquashFS, linger 0" "qrun, directory, mount mode")
d_gzip=$(diff_ms "qrun, SquashFS made with gzip, linger 0" "qrun, directory, mount mode")
r_fake=$(awk "BEGIN {printf \"%.3f\", $(median_of "qrun, uid 0 + fakeroot" "$table") / $(median_of "qrun, uid 0" "$table")}")
attach=$(as_bench_user "$WORK/seccomp_attach" builtin 500 default default+fakeroot strict strict+fakeroot)
attach_ratio() { printf '%s\n' "$attach" | awk -F'|' -v name="$1" '$2 == " " name " " {gsub(/ /, "", $4); print $4}'; }
r_attach=$(awk "BEGIN {printf \"%.3f\", $(attach_ratio default+fakeroot) / $(attach_ratio default)}")
r_attach_strict=$(awk "BEGIN {printf \"%.3f\", $(attach_ratio strict+fakeroot) / $(attach_ratio strict)}")
steps=$(verbose_step_medians 100 as_bench_user "$WORK/qrun" -v "$WORK/sqfs.ini")

mkdir -p "$BENCH_DIR/results"
cat >"$BENCH_DIR/results/60-images.md" <<EOF2
## Images at launch: SquashFS, overlays, fake root

Written by \`bench/images.sh $rounds $runs\`. Every command runs \`python3 -c pass\` in the Debian
image of the import tests (bookworm minbase + python3), imported as a directory and as a
SquashFS file by \`qrun import\`, as an unprivileged user, in $rounds alternating hyperfine rounds
of $runs runs, pooled. qrun loads its default seccomp profile; ch-run and bwrap load none. Mount
mode means \`proc = true\`, \`dev = minimal\`; the SquashFS runs have them too. $chrun_sqfs_note

$(machine_summary)

$table

| target | measured (difference of medians) | verdict |
|---|---|---|
| SquashFS adds ≤ 3 ms to a launch (against the directory in mount mode) | ${d_sqfs} ms | $(verdict "$d_sqfs <= 3") |
| a tmpfs overlay adds ≤ 0.3 ms to mount mode | ${d_ov} ms | $(verdict "$d_ov <= 0.3") |
| fake root changes nothing (uid 0 with and without it, within 2%) | ${d_fake} ms (${r_fake}×) | $(verdict "$r_fake <= 1.02") |
| fake root's filter attaches within 10% of the profile alone | default ${r_attach}×, strict ${r_attach_strict}× | $(verdict "$r_attach <= 1.10 && $r_attach_strict <= 1.10") |

Where the SquashFS time goes: launches from one image share its FUSE server and its mount
(\`[rootfs] linger\`, 30 s by default), so what python3 reads is in the kernel's cache after
the first launch; a launch of \`/bin/true\` from the image costs ${d_true} ms more than from the
directory. With \`linger = 0\` every launch starts a server of its own and reads the
interpreter, libraries and modules through FUSE with a cold cache: ${d_cold} ms more than the
directory (zstd, as \`qrun import --squashfs\` makes it), ${d_gzip} ms with mksquashfs's default
gzip. ch-run mounts the image anew for each launch too.

Attach time of the filters qrun embeds (\`bench/seccomp_attach.c builtin\`, a fresh process per
attach, 500 interleaved rounds):

$attach

A SquashFS launch sharing the image's server, step by step (\`qrun -v\`, medians of 100
launches; the squashfs step is connecting to the server and receiving its mount):

$steps
EOF2
assemble_results
cat "$BENCH_DIR/results/60-images.md"
