#!/bin/bash
# What [gpu] adds to a launch, without a GPU: fake device nodes, 40 stub
# libraries named like the driver's, an ld.so.cache built by ldconfig -C.
#
#   bench/gpu.sh [ROUNDS] [RUNS_PER_ROUND]      (defaults: 10 rounds of 100 runs)
#
# Needs root: it re-runs itself in a private mount namespace whose /dev is a
# tmpfs holding the usual devices and fake NVIDIA nodes (character devices
# 1:3, as /dev/null): nvidiactl, nvidia-uvm, nvidia-uvm-tools,
# nvidia-modeset, nvidia0..3, nvidia-caps/nvidia-cap1,2. The host's /dev is
# never touched. Every command runs /bin/true in the busybox rootfs, as an
# unprivileged user, without a seccomp filter, in alternating hyperfine rounds:
#   chroot     qrun's default mode
#   mount      mount mode with dev = minimal (what [gpu] turns chroot mode into)
#   gpu        nvidia = true: the device binds, the cache's index read, the
#              library directory (40 links, made by the first launch) and
#              nvidia-smi bound at /usr/local/nvidia
# Target (issue 16): gpu <= mount + 0.5 ms. Writes bench/results/70-gpu.md and
# reassembles bench/RESULTS.md.
. "$(dirname "$0")/lib.sh"
rounds=${1:-10}
runs=${2:-100}

if [ "$(id -u)" -ne 0 ]; then
        echo "gpu.sh: needs root (fake device nodes on a tmpfs over /dev, in a private mount namespace)" >&2
        exit 1
fi
if [ -z "${QRUN_GPU_BENCH_NS:-}" ]; then
        deps bench
        (cd "$REPO" && ./build.sh >/dev/null 2>&1)
        exec unshare -m --propagation private env QRUN_GPU_BENCH_NS=1 "$0" "$@"
fi
. "$REPO/tools/build-vars.sh"

make_workdir
"$REPO/tools/mkrootfs.sh" "$WORK/rootfs" >/dev/null
mkdir -p "$WORK/rootfs/usr/local/nvidia" # the mount point exists, as in an image made for GPUs
cp "$REPO/build/qrun" "$WORK/qrun"

# The stubs: one per name of modules/gpu.c's list, under the driver's file
# name with the soname link ldconfig would make.
F=$WORK/driver
mkdir -p "$F/lib" "$F/bin"
libs=$(sed -n '/^static const char \*const driver_libraries\[\] = {/,/^};/p' "$REPO/modules/gpu.c" | grep -o '"[^"]*"' | tr -d '"')
[ "$(echo "$libs" | wc -l)" -eq 40 ] || { echo "gpu.sh: expected 40 names in modules/gpu.c" >&2; exit 1; }
echo 'int stub(void) { return 0; }' >"$F/stub.c"
for lib in $libs; do
        gcc -shared -fPIC -Wl,-soname,$lib.so.1 -o "$F/lib/$lib.so.550.54.14" "$F/stub.c"
        ln -s "$lib.so.550.54.14" "$F/lib/$lib.so.1"
done
# The host's cache plus the stubs: a cache of realistic size.
ldconfig -X -C "$F/ld.so.cache" "$F/lib"
printf '#!/bin/sh\necho fake\n' >"$F/bin/nvidia-smi"
chmod 755 "$F/bin/nvidia-smi"

mount -t tmpfs -o mode=0755 benchdev /dev
for spec in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0 nvidiactl:1:3 nvidia-uvm:1:3 \
        nvidia-uvm-tools:1:3 nvidia-modeset:1:3 nvidia0:1:3 nvidia1:1:3 nvidia2:1:3 nvidia3:1:3 \
        nvidia-caps/nvidia-cap1:1:3 nvidia-caps/nvidia-cap2:1:3; do
        IFS=: read -r name major minor <<<"$spec"
        mkdir -p "/dev/$(dirname "$name")"
        mknod -m 666 "/dev/$name" c "$major" "$minor"
done
export PATH=$F/bin:$PATH

tail=$'[seccomp]\nprofile = none\n[process]\ncommand = /bin/true\n'
printf '[rootfs]\npath = %s\n[gpu]\nnvidia = false\n%s' "$WORK/rootfs" "$tail" >"$WORK/chroot.ini"
printf '[rootfs]\npath = %s\n[mounts]\ndev = minimal\n[gpu]\nnvidia = false\n%s' "$WORK/rootfs" "$tail" >"$WORK/mount.ini"
printf '[rootfs]\npath = %s\n[gpu]\nnvidia = true\nldcache = %s\n%s' "$WORK/rootfs" "$F/ld.so.cache" "$tail" >"$WORK/gpu.ini"
# The runtime directory, where the first launch leaves the cache's index and
# the library directory that the later ones find (gpu_cache.c).
export XDG_RUNTIME_DIR=$WORK/run
mkdir -m 700 "$XDG_RUNTIME_DIR"
as_bench_user true # the account exists
chown "$BENCH_USER" "$XDG_RUNTIME_DIR"
chmod -R a+rX "$WORK"

declare -A cmds=([chroot]="$WORK/qrun $WORK/chroot.ini" [mount]="$WORK/qrun $WORK/mount.ini"
        [gpu]="$WORK/qrun $WORK/gpu.ini")
names=(chroot mount gpu)
for who in "${names[@]}"; do # every command must work before timing it
        as_bench_user ${cmds[$who]} || { echo "gpu.sh: $who fails: ${cmds[$who]}" >&2; exit 1; }
done
bound=$(as_bench_user "$WORK/qrun" -v "$WORK/gpu.ini" 2>&1 >/dev/null | grep '^qrun: gpu ')

declare -A files=()
alternating_rounds "$rounds" "$runs" 10 "${names[@]}"

table=$(python3 "$BENCH_DIR/stats.py" "qrun mount mode" "qrun chroot=${files[chroot]}" \
        "qrun mount mode=${files[mount]}" "qrun with the GPU=${files[gpu]}")
m_chroot=$(median_of "qrun chroot" "$table")
m_mount=$(median_of "qrun mount mode" "$table")
m_gpu=$(median_of "qrun with the GPU" "$table")
extra=$(awk "BEGIN {printf \"%+.2f\", $m_gpu - $m_mount}")
# On a loaded machine the medians carry the other work's delays; the fastest
# runs (minimum, 5th percentile) come closest to the launch's own cost.
low() { # low FILES: "MIN P5" in ms of the pooled runs
        python3 -c '
import json, sys
t = sorted(x for f in sys.argv[1].split(",") for r in json.load(open(f))["results"] for x in r["times"])
print("%.3f %.3f" % (t[0] * 1e3, t[len(t) // 20] * 1e3))' "$1"
}
read -r min_mount p5_mount <<<"$(low "${files[mount]}")"
read -r min_gpu p5_gpu <<<"$(low "${files[gpu]}")"
extra_min=$(awk "BEGIN {printf \"%+.2f\", $min_gpu - $min_mount}")
extra_p5=$(awk "BEGIN {printf \"%+.2f\", $p5_gpu - $p5_mount}")
steps=$(verbose_step_medians 300 as_bench_user "$WORK/qrun" -v "$WORK/gpu.ini")
# The first launch on a node (no index, no library directory yet) against
# the next one, which finds both: qrun -v's total, 100 pairs.
first=$(for _ in $(seq 1 100); do
        as_bench_user sh -c 'rm -rf "$XDG_RUNTIME_DIR"/qrun/gpu-*
                for what in first found; do
                        "$0" -v "$1" 2>&1 >/dev/null | sed -n "s/^qrun: total *\([0-9]*\) us.*/$what \1/p"
                done' "$WORK/qrun" "$WORK/gpu.ini"
done | python3 -c '
import sys, statistics
d = {}
for line in sys.stdin:
    what, us = line.split()
    d.setdefault(what, []).append(int(us))
print("%.2f %.2f" % (statistics.median(d["first"]) / 1e3, statistics.median(d["found"]) / 1e3))')
read -r first_ms found_ms <<<"$first"

mkdir -p "$BENCH_DIR/results"
cat >"$BENCH_DIR/results/70-gpu.md" <<EOF2
## GPUs: what \`[gpu]\` adds to a launch

Written by \`bench/gpu.sh $rounds $runs\`. All commands run \`/bin/true\` in the busybox rootfs as
an unprivileged user, without a seccomp filter, in $rounds alternating hyperfine rounds of
$runs runs, pooled. There is no GPU: root made fake device nodes (1:3, like /dev/null) on a
tmpfs over /dev in a private mount namespace (nvidiactl, nvidia-uvm, nvidia-uvm-tools,
nvidia-modeset, nvidia0..3, nvidia-caps with two nodes) and 40 stub libraries named like the
driver's (modules/gpu.c's list), each with its soname link, in an ld.so.cache built by
\`ldconfig -C\` that also holds the host's libraries ($(stat -c %s "$F/ld.so.cache") bytes), plus a fake
nvidia-smi on PATH. Mount mode is \`[mounts] dev = minimal\`: what \`[gpu]\` turns chroot mode
into. The launch with the GPU: $(echo "$bound" | sed 's/^qrun: gpu *[0-9]* us *//').

$(machine_summary)

$table

| target | measured | verdict |
|---|---|---|
| \`nvidia = true\` ≤ mount mode + 0.5 ms (medians) | ${extra} ms | $(verdict "$extra <= 0.5") |
| the same, fastest runs (minimum: $min_mount → $min_gpu ms; 5th percentile: $p5_mount → $p5_gpu ms) | ${extra_min} ms, ${extra_p5} ms | $(verdict "$extra_p5 <= 0.5") |

The first launch on a node scans the cache and makes the library directory (links checked
for this machine's ELF, mount points) in the runtime directory; every later launch reads the
cache's index and binds that directory (the timed runs above; one untimed launch made them).
By \`qrun -v\`'s total, 100 pairs: the first launch ${first_ms} ms, the next one ${found_ms} ms.

The launch with the GPU, step by step (\`qrun -v\`, medians of 300 launches; \`ldcache\` is the
read of the cache's index, \`gpudir\` finding the library directory, \`gpu\` the device binds
and the library directory's binds):

$steps
EOF2
assemble_results
cat "$BENCH_DIR/results/70-gpu.md"
