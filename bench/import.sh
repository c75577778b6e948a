#!/bin/bash
# qrun import against umoci and GNU tar, on a real multi-layer image.
#
#   bench/import.sh [ROUNDS] [SQUASHFS_ROUNDS]     (defaults: 5 and 3)
#   COLD=1 bench/import.sh ...                     (drop the page cache before
#                                                   every run; default: warm)
#
# The image is tests/helper/debian-image.sh's: Debian bookworm minbase +
# python3, 2 layers, 177 MB unpacked, once with gzip layers (as umoci writes
# them) and once recompressed with zstd (skopeo). Side by side, as an
# unprivileged user, in alternating rounds (the order flips every round, so
# drift on a shared machine hits all alike):
#   tar_gz, tar_zst  the floor: GNU tar -x of each layer blob in order into a
#                    fresh directory (tar -xzf, tar -x -I zstd). It applies no
#                    whiteouts and cannot mknod the 8 devices (its exit status
#                    2 for those is expected)
#   qrun_gz, qrun_zst  qrun import -q oci:LAYOUT:TAG DEST
#   umoci_gz         umoci unpack --rootless (it cannot read zstd layers)
#   tar_sq, qrun_sq  tar -x then mksquashfs (qrun's options), against
#                    qrun import --squashfs
# Each run is timed with GNU time (wall, user, sys, peak RSS of the largest
# process); the output is removed between runs (not timed) and `sync` is run,
# so that no run pays for another's writeback. The outputs go to two fresh
# filesystems (root mounts them): ext4 in a loop file (mkfs.ext4 defaults,
# with a journal) and tmpfs. Not to the machine's own disk: see the note this
# writes into the results about ext4 without a journal.
# Then qrun import is profiled: perf record of an unstripped build with frame
# pointers (bench/perf_buckets.py sorts the samples by library and system
# call), strace -c for the system calls of qrun, tar and umoci, and
# bench/decompress.c for the byte work alone (decompression and the two
# SHA-256s with qrun's libraries), against gzip -dc, zstd -dc and ISA-L's
# igzip -dc. Takes 15-25 minutes with the defaults.
# Writes bench/results/50-import.md (bench/results/import-raw.txt: every run)
# and reassembles bench/RESULTS.md. BENCH_USER names the account (lib.sh).
. "$(dirname "$0")/lib.sh"
rounds=${1:-5}
sq_rounds=${2:-3}
cold=${COLD:-}

deps bench-import
[ "$(id -u)" -eq 0 ] || { echo "bench/import.sh: run as root: it builds the image and mounts the output filesystems" >&2; exit 1; }
(cd "$REPO" && ./build.sh >/dev/null)
make_workdir
trap 'umount "$WORK"/fs-* 2>/dev/null; rm -rf "$WORK"' EXIT
img=$("$REPO/tests/helper/debian-image.sh") || { echo "bench/import.sh: no Debian image (above)" >&2; exit 1; }
cp "$REPO/build/qrun" "$WORK/qrun"

# qrun for the profile: the same sources and flags, not stripped, with frame pointers.
ldflags=()
for f in "${QRUN_LDFLAGS[@]}"; do [ "$f" = -s ] || ldflags+=("$f"); done
(cd "$REPO" && musl-gcc "${QRUN_CFLAGS[@]}" -g -fno-omit-frame-pointer -I"$QRUN_MUSL_INCLUDE" -I"$QRUN_DEPS/include" \
        "${QRUN_INCLUDES[@]}" "${QRUN_SOURCES[@]}" "$QRUN_TABLES" "$QRUN_LIBINIH" -L"$QRUN_DEPS/lib" \
        "${QRUN_IMAGE_LIBS[@]}" "${ldflags[@]}" -o "$WORK/qrun-sym")
chmod -R a+rX "$WORK"

# ---- the image: its layers, in order ----
tag=bookworm-python3
layer_paths() { # LAYOUT: the blob of each layer of TAG, one a line
        python3 - "$1" "$tag" <<'EOF'
import json, sys
layout, tag = sys.argv[1:]
idx = json.load(open(layout + "/index.json"))
d = [m for m in idx["manifests"] if m["annotations"]["org.opencontainers.image.ref.name"] == tag][0]
man = json.load(open(layout + "/blobs/" + d["digest"].replace(":", "/")))
for l in man["layers"]:
    print(layout + "/blobs/" + l["digest"].replace(":", "/"))
EOF
}
mapfile -t gz_layers < <(layer_paths "$img/layout")
mapfile -t zst_layers < <(layer_paths "$img/layout-zstd")
for l in "${gz_layers[@]}"; do [ "$(head -c2 "$l" | od -An -tx1 | tr -d ' ')" = 1f8b ] || { echo "bench/import.sh: $l is not gzip" >&2; exit 1; }; done
for l in "${zst_layers[@]}"; do [ "$(head -c4 "$l" | od -An -tx1 | tr -d ' ')" = 28b52ffd ] || { echo "bench/import.sh: $l is not zstd" >&2; exit 1; }; done
tar_layers() { # OPTION LAYER...: a shell command extracting each layer into "$1"
        local opt=$1 l cmd='mkdir "$1"'
        shift
        for l in "$@"; do cmd+="; tar -x $opt -f $l -C \"\$1\""; done
        printf '%s' "$cmd"
}
sq_opts="-noappend -quiet -no-xattrs -all-root" # what qrun import passes to mksquashfs

# Every command runs as `sh -c CMD sh OUTPUT`.
declare -A cmds=(
        [tar_gz]=$(tar_layers -z "${gz_layers[@]}")
        [tar_zst]=$(tar_layers "-I zstd" "${zst_layers[@]}")
        [qrun_gz]="exec $WORK/qrun import -q oci:$img/layout:$tag \"\$1\""
        [qrun_zst]="exec $WORK/qrun import -q oci:$img/layout-zstd:$tag \"\$1\""
        [umoci_gz]="exec umoci unpack --rootless --image $img/layout:$tag \"\$1\""
        [tar_sq]="$(tar_layers -z "${gz_layers[@]}") && exec mksquashfs \"\$1\" \"\$1.sqfs\" $sq_opts"
        [qrun_sq]="exec $WORK/qrun import -q --squashfs oci:$img/layout:$tag \"\$1.sqfs\""
)
# What each may print on stderr, and the exit statuses it may end with.
noise='^tar: .*: Cannot mknod: Operation not permitted$|^tar: Exiting with failure status due to previous errors$'
noise+='|^qrun: import: skipped 8 device nodes|rootless\{dev/[a-z]+\} creating empty file in place of device'
# mksquashfs cannot read the whiteout markers tar extracted (mode 0): it stores them empty.
noise+='|^Failed to read file .*/\.wh\.[^/]*, creating empty file$'
allowed_status() { case $1 in tar_*) echo "0 2" ;; *) echo 0 ;; esac; }

# ---- output filesystems ----
fss=(ext4 tmpfs)
truncate -s 4G "$WORK/ext4.img"
mkfs.ext4 -q -F "$WORK/ext4.img"
mkdir "$WORK/fs-ext4" "$WORK/fs-tmpfs"
mount -o loop "$WORK/ext4.img" "$WORK/fs-ext4"
mount -t tmpfs -o size=4g qrun-bench-import "$WORK/fs-tmpfs"
chmod 777 "$WORK/fs-ext4" "$WORK/fs-tmpfs"
cat "${gz_layers[@]}" "${zst_layers[@]}" >/dev/null # warm: the blobs are in the page cache

# timed FS NAME ROUND: one run, appended to $WORK/out/results as
# "FS NAME ROUND WALL USER SYS MAXRSS_KB".
timed() {
        local fs=$1 name=$2 round=$3 dir=$WORK/fs-$1 status=0
        find "$dir" -mindepth 1 -maxdepth 1 -exec rm -rf {} +
        sync
        [ -z "$cold" ] || echo 3 >/proc/sys/vm/drop_caches
        as_bench_user /usr/bin/time -f '%e %U %S %M' -o "$WORK/out/time" sh -c "${cmds[$name]}" sh "$dir/$name" \
                >/dev/null 2>"$WORK/out/err" || status=$?
        # shellcheck disable=SC2046
        if ! [[ " $(allowed_status "$name") " = *" $status "* ]] ||
                sed 's/\x1b\[[0-9;]*m//g' "$WORK/out/err" | grep -Ev "$noise" | grep -q .; then
                echo "bench/import.sh: $name failed (exit status $status):" >&2
                cat "$WORK/out/err" "$WORK/out/time" >&2
                exit 1
        fi
        echo "$fs $name $round $(tail -n 1 "$WORK/out/time")" >>"$WORK/out/results"
}

# ---- the image is large enough: the tree qrun makes ----
timed ext4 qrun_gz check
tree_bytes=$(du -s --apparent-size -B1 "$WORK/fs-ext4/qrun_gz" | cut -f1)
tree_kib=$(du -sk "$WORK/fs-ext4/qrun_gz" | cut -f1)
tree_entries=$(find "$WORK/fs-ext4/qrun_gz" | wc -l)
[ "$tree_bytes" -ge 100000000 ] || { echo "bench/import.sh: the image unpacks to $tree_bytes bytes, under 100 MB" >&2; exit 1; }
stored=$(stat -c %s "${gz_layers[@]}" | awk '{s += $1} END {print s}')
stored_zst=$(stat -c %s "${zst_layers[@]}" | awk '{s += $1} END {print s}')
tar_bytes=$(for l in "${gz_layers[@]}"; do gzip -dc "$l" | wc -c; done | awk '{s += $1} END {print s}')
umoci_zstd=$(as_bench_user umoci unpack --rootless --image "$img/layout-zstd:$tag" "$WORK/fs-tmpfs/umoci-zstd" 2>&1 |
        sed 's/\x1b\[[0-9;]*m//g' | grep -o 'blob is not correct mediatype.*' | head -n 1) || true
find "$WORK/fs-tmpfs" -mindepth 1 -maxdepth 1 -exec rm -rf {} +
for name in tar_gz tar_zst qrun_zst umoci_gz; do timed tmpfs "$name" check; done # each works (not counted)
: >"$WORK/out/results"

# ---- the rounds ----
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date +%s)
main=(tar_gz qrun_gz umoci_gz tar_zst qrun_zst)
for r in $(seq 1 "$rounds"); do
        order=("${main[@]}")
        [ $((r % 2)) -eq 0 ] && mapfile -t order < <(printf '%s\n' "${main[@]}" | tac)
        for fs in "${fss[@]}"; do
                for name in "${order[@]}"; do timed "$fs" "$name" "$r"; done
        done
        echo "bench/import.sh: round $r of $rounds done" >&2
done
for r in $(seq 1 "$sq_rounds"); do
        order=(tar_sq qrun_sq)
        [ $((r % 2)) -eq 0 ] && order=(qrun_sq tar_sq)
        for name in "${order[@]}"; do timed ext4 "$name" "$r"; done
        echo "bench/import.sh: --squashfs round $r of $sq_rounds done" >&2
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
elapsed=$(($(date +%s) - started))
cp "$WORK/out/results" "$BENCH_DIR/results/import-raw.txt"

tables=$(python3 "$BENCH_DIR/import_stats.py" timing "$WORK/out/results")

# ---- where qrun import's time goes ----
hz=2000
prof_runs=3
musl_libc=/usr/lib/$(gcc -print-multiarch | sed 's/-gnu$/-musl/')/libc.a
perf_libs=("gzip inflate (zlib)=$QRUN_DEPS/lib/libz.a" "zstd decoding (libzstd)=$QRUN_DEPS/lib/libzstd.a"
        "xz (liblzma)=$QRUN_DEPS/lib/liblzma.a" "SHA-256 (nettle)=$QRUN_DEPS/lib/libnettle.a"
        "tar parsing (libarchive)=$QRUN_DEPS/lib/libarchive.a" "JSON (jansson)=$QRUN_DEPS/lib/libjansson.a"
        "libc: memcpy, memset, ... (musl)=$(cd "$REPO" && realpath "$musl_libc")")
user_cmd=(setpriv --reuid="$BENCH_USER" --regid="$BENCH_USER" --clear-groups --)
# profile FS SOURCE: perf record of $prof_runs imports, pooled, in buckets per run.
profile() {
        local dir=$WORK/fs-$1 i
        : >"$WORK/out/perf.txt"
        for i in $(seq 1 "$prof_runs"); do
                find "$dir" -mindepth 1 -maxdepth 1 -exec rm -rf {} +
                sync
                perf record -q -F "$hz" -g -o "$WORK/out/perf.data" -- "${user_cmd[@]}" "$WORK/qrun-sym" import -q "$2" \
                        "$dir/p" >/dev/null 2>&1
                perf script -F comm,ip,sym,dso -i "$WORK/out/perf.data" 2>/dev/null >>"$WORK/out/perf.txt"
        done
        python3 "$BENCH_DIR/perf_buckets.py" $((hz * prof_runs)) qrun-sym "${perf_libs[@]}" <"$WORK/out/perf.txt"
}
prof_gz=$(profile ext4 "oci:$img/layout:$tag")
prof_zst=$(profile ext4 "oci:$img/layout-zstd:$tag")
prof_gz_tmpfs=$(profile tmpfs "oci:$img/layout:$tag")

# System calls (strace -c -f: the counts are exact, its times are not used).
find "$WORK/fs-ext4" -mindepth 1 -maxdepth 1 -exec rm -rf {} +
strace -f -c -o "$WORK/out/strace-qrun" "${user_cmd[@]}" "$WORK/qrun" import -q "oci:$img/layout:$tag" \
        "$WORK/fs-ext4/s" >/dev/null 2>&1
strace -f -c -o "$WORK/out/strace-tar" "${user_cmd[@]}" sh -c "${cmds[tar_gz]}" sh "$WORK/fs-ext4/t" >/dev/null 2>&1 || true
strace -f -c -o "$WORK/out/strace-umoci" "${user_cmd[@]}" umoci unpack --rootless --image "$img/layout:$tag" \
        "$WORK/fs-ext4/u" >/dev/null 2>&1
entries=$(for l in "${gz_layers[@]}"; do tar -tzf "$l" | wc -l; done | awk '{s += $1} END {print s}')
sys_table=$(python3 "$BENCH_DIR/import_stats.py" syscalls "$entries" "qrun import=$WORK/out/strace-qrun" \
        "GNU tar + gzip=$WORK/out/strace-tar" "umoci=$WORK/out/strace-umoci")

# The byte work alone (bench/decompress.c: qrun's libraries and buffer sizes,
# no files written), and other decompressors for comparison: medians of 5.
(cd "$REPO" && musl-gcc -static "${QRUN_AUX_CFLAGS[@]}" -Werror -I"$QRUN_MUSL_INCLUDE" -I"$QRUN_DEPS/include" \
        bench/decompress.c -L"$QRUN_DEPS/lib" -lnettle -lzstd -lz -o "$WORK/decompress")
median_of_5() { # CMD...: the median of each column of CMD's one-line output, 5 runs
        for _ in 1 2 3 4 5; do "$@"; done | python3 -c '
import sys, statistics
rows = [list(map(float, l.split())) for l in sys.stdin]
print(" ".join("%.0f" % statistics.median(c) for c in zip(*rows)))'
}
cpu_ms() { # CMD...: user+sys ms, as GNU time sees it (stdout discarded)
        /usr/bin/time -f '%U %S' -o "$WORK/out/t" "$@" >/dev/null
        awk '{printf "%.0f\n", ($1 + $2) * 1000}' "$WORK/out/t"
}
read -r dec_gz hs_gz hd_gz _ _ < <(median_of_5 "$WORK/decompress" "${gz_layers[@]}")
read -r dec_zst hs_zst hd_zst _ _ < <(median_of_5 "$WORK/decompress" "${zst_layers[@]}")
gzip_cli=$(median_of_5 cpu_ms sh -c 'exec gzip -dc "$@"' sh "${gz_layers[@]}")
zstd_cli=$(median_of_5 cpu_ms sh -c 'exec zstd -qdc "$@"' sh "${zst_layers[@]}")
igzip_cli=$(median_of_5 cpu_ms sh -c 'exec igzip -dc "$@"' sh "${gz_layers[@]}")

# qrun's medians from the rounds (ms), and the estimates.
q() { python3 "$BENCH_DIR/import_stats.py" median "$WORK/out/results" "$1" "$2" "$3" | awk '{printf "%.0f", $1 * 1000}'; }
for c in gz zst; do
        for fs in ext4 tmpfs; do
                for f in user sys cpu wall; do printf -v "q_${c}_${fs}_$f" '%s' "$(q "$fs" "qrun_$c" "$f")"; done
        done
done
t_gz_ext4_wall=$(q ext4 tar_gz wall)
t_zst_ext4_wall=$(q ext4 tar_zst wall)
# The two threads of the estimate: the reader (decompression, the digest) and
# the main thread (system time, and user time left after the byte work).
reader_gz=$((igzip_cli + hs_gz))
reader_zst=$((dec_zst + hs_zst))
rest() { local r=$(($1 - $2)); echo $((r > 0 ? r : 0)); }
main_gz=$((q_gz_ext4_sys + $(rest "$q_gz_ext4_user" $((dec_gz + hs_gz + hd_gz)))))
main_zst=$((q_zst_ext4_sys + $(rest "$q_zst_ext4_user" $((dec_zst + hs_zst + hd_zst)))))
per_entry() { printf '%s\n' "$sys_table" | awk -F'|' -v f="$1" '$2 ~ /[*]all[*]/ {gsub(/.*\(|\).*/, "", $f); print $f}'; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.0f", 100 * a / b}'; }
max() { if [ "$1" -gt "$2" ]; then echo "$1"; else echo "$2"; fi; }
tar_mb=$(awk -v b="$tar_bytes" 'BEGIN {printf "%.0f", b / 1e6}')

mkdir -p "$BENCH_DIR/results"
cat >"$BENCH_DIR/results/50-import.md" <<EOF2
## qrun import against umoci and GNU tar

Written by \`${cold:+COLD=1 }bench/import.sh $rounds $sq_rounds\`. The image: Debian bookworm
\`debootstrap --variant=minbase\` + \`apt-get install python3\` (tests/helper/debian-image.sh,
$(basename "$img")): 2 layers, $((stored / 1000000)) MB of gzip blobs as umoci writes them
($((stored_zst / 1000000)) MB recompressed with zstd by skopeo), $tar_mb MB of tar holding $entries
entries (layer 2 whiteouts 93 of layer 1's files: apt's lists and .deb cache); the tree qrun
makes holds $tree_entries entries, $((tree_bytes / 1000000)) MB ($((tree_kib / 1024)) MiB on disk).
Everything runs as an unprivileged user, in $rounds alternating rounds (the order flips every round)
and $sq_rounds for \`--squashfs\`, on two fresh filesystems: ext4 in a loop file (mkfs.ext4
defaults, journalled) and tmpfs. $(if [ -n "$cold" ]; then echo "The page cache is dropped before every run (cold blobs)."; else echo "Warm: the blobs are in the page cache (read once before the first run); before every run the output is removed and \`sync\` run, not timed."; fi)
GNU time measures wall, user and system time and the peak RSS of the largest process (tar's
is tar's or gzip's, whichever is larger). The floor, GNU tar, applies no whiteouts and extracts
the whiteout markers as files; it cannot create the 8 device nodes (exit status 2, expected),
which qrun and umoci skip too. umoci 0.4.7 cannot read zstd layers (${umoci_zstd:-it did here}).

$(machine_summary | grep -v hyperfine)
- $(tar --version | head -n 1), gzip $(gzip --version | head -n 1 | cut -d' ' -f2), zstd $(zstd --version | grep -o 'v[0-9.]*'), $(umoci --version), mksquashfs $(mksquashfs -version | head -n 1 | cut -d' ' -f3)
- qrun $("$WORK/qrun" --version | cut -d' ' -f2) ($(git -C "$REPO" rev-parse --short HEAD)), $(stat -c %s "$REPO/build/qrun") bytes: zlib $(sed -n 's/^zlib1g-dev \([^ ]*\).*/\1/p' "$QRUN_DEPS/VERSIONS"), libzstd $(sed -n 's/^libzstd-dev \([^ ]*\).*/\1/p' "$QRUN_DEPS/VERSIONS") (Debian's static libraries), nettle's SHA-256 (SHA-NI)
- load average $load_before before the rounds, $load_after after ($elapsed s): the machine is shared,
  and a single-threaded program waits for a core more than tar's two processes do

$tables

Why not the machine's own disk: its root filesystem is ext4 without a journal, and there, on
creating an inode, ext4 skips every inode deleted in the last minute or so
(\`find_inode_bit\` → \`recently_deleted\`, reading inode table blocks): a benchmark that deletes
and recreates 8,000 files every few seconds then measures mostly that. Trying it while writing
this script, tar took 12–18 s and qrun 9–14 s there, with 6–9 s of system time each, against
3.4–4.0 s and 2.9–3.0 s (0.5–0.9 s of system time) on the journalled ext4, in the same minutes.

### Where qrun import's time goes

**The byte work alone** (bench/decompress.c: qrun's libraries, buffer sizes and hashing, no
files; CPU ms, medians of 5), against the command-line decompressors:

| | gzip layers | zstd layers |
|---|---:|---:|
| decompression (zlib inflate / ZSTD_decompressStream) | $dec_gz | $dec_zst |
| SHA-256 of the stored blob (digest) | $hs_gz | $hs_zst |
| SHA-256 of the uncompressed tar (diff_id, $tar_mb MB) | $hd_gz | $hd_zst |
| qrun import, all of it (user + sys, ext4, median of the rounds) | $q_gz_ext4_cpu | $q_zst_ext4_cpu |
| of which user / system | $q_gz_ext4_user / $q_gz_ext4_sys | $q_zst_ext4_user / $q_zst_ext4_sys |
| gzip -dc (what tar -xzf runs) / zstd -dc | $gzip_cli | $zstd_cli |
| igzip -dc (ISA-L, Debian package isal) | $igzip_cli | |

**perf record -g** (cpu-clock, $hz Hz) of $prof_runs imports each, pooled, of an unstripped build with
frame pointers; user samples by the static library defining the symbol, kernel samples by the
system call in their call chain (CPU ms per import; sampling on this VM is coarse, and the shares
are better than the absolute numbers).

gzip layers, output on ext4:

$prof_gz

zstd layers, output on ext4:

$prof_zst

gzip layers, output on tmpfs:

$prof_gz_tmpfs

System calls of one import of the gzip image on ext4 (\`strace -c -f\`; per entry: per tar entry
of both layers, $entries):

$sys_table

**What it says, and what would help** (estimates from the numbers above; wall times assume
otherwise idle cores, which this machine did not have):

- qrun is single-threaded: decompression and hashing ($((dec_gz + hs_gz + hd_gz)) ms gzip, $((dec_zst + hs_zst + hd_zst)) ms zstd)
  run one after the other with parsing and file creation (system time: $q_gz_ext4_sys / $q_zst_ext4_sys ms).
  GNU tar runs gzip or zstd in a second process, so its decompression overlaps its file
  creation; on this busy 2-vCPU machine that also gets it two shares of the CPU against
  qrun's one. A **reader thread** that reads, hashes and decompresses into a ring of buffers
  while the main thread parses and creates files would bring the wall time from about
  user + sys towards max(user, sys): gzip $q_gz_ext4_cpu → $(max "$q_gz_ext4_user" "$q_gz_ext4_sys") ms ($(pct $((q_gz_ext4_cpu - $(max "$q_gz_ext4_user" "$q_gz_ext4_sys"))) "$q_gz_ext4_cpu") % less),
  zstd $q_zst_ext4_cpu → $(max "$q_zst_ext4_user" "$q_zst_ext4_sys") ms ($(pct $((q_zst_ext4_cpu - $(max "$q_zst_ext4_user" "$q_zst_ext4_sys"))) "$q_zst_ext4_cpu") % less).
- **The diff_id hash is redundant** once the blob's digest has been checked against the
  manifest: the uncompressed bytes are a function of the verified ones. Hashing them costs
  $hd_gz ms with gzip ($(pct "$hd_gz" "$q_gz_ext4_cpu") % of the import's CPU time) and $hd_zst ms with zstd ($(pct "$hd_zst" "$q_zst_ext4_cpu") %). It is only
  needed where the diff_id is the only check (a docker-archive layer not named by its digest);
  for an uncompressed layer, whose digest is its diff_id, qrun now hashes the same bytes twice.
- **A faster inflate**: ISA-L's igzip decompresses the same gzip layers in $igzip_cli ms against
  $dec_gz ms for zlib $(sed -n 's/^zlib1g-dev \([^ ]*\).*/\1/p' "$QRUN_DEPS/VERSIONS"): $((dec_gz - igzip_cli)) ms less, $(pct $((dec_gz - igzip_cli)) "$q_gz_ext4_cpu") % of the gzip import's CPU time (isal_inflate streams,
  handles gzip headers, and is in Debian as libisal-dev; zlib-ng is the other candidate).
  GNU gzip, which tar -xzf uses, takes $gzip_cli ms: that is why qrun beats tar on gzip layers.
- **Per entry**, qrun makes $(per_entry 3) system calls (tar and gzip $(per_entry 4), umoci $(per_entry 5)), among them an
  openat2 of the parent and its close, an fstatat before each create (make_room), futimens. In the
  profile these are a few per cent (openat2, newfstatat, close rows); keeping the last parent
  directory open across consecutive entries (tar streams are grouped by directory) and
  creating with O_EXCL first, looking at what is there only on EEXIST, would save about
  $((entries * 3 / 1000))k calls per import, not more than a few per cent of the time.
- **Together**, a reader thread that inflates with ISA-L and hashes only the stored blob, and
  the main thread as it is: about max(reader, main) = max($reader_gz, $main_gz) ms of wall time for the
  gzip image on idle cores, against $q_gz_ext4_cpu ms of CPU now (wall median here $q_gz_ext4_wall ms; tar's $t_gz_ext4_wall ms);
  zstd: max($reader_zst, $main_zst) ms against $q_zst_ext4_cpu ms (wall median $q_zst_ext4_wall ms; tar's $t_zst_ext4_wall ms).
- The kernel's file creation and writes (openat, write, mkdirat on ext4) are the floor any
  tool pays; they are the same work for tar.
EOF2
assemble_results
cat "$BENCH_DIR/results/50-import.md"
