#!/bin/bash
# qrun against crun, runc, bubblewrap and Charliecloud, side by side, in one run:
#
#   bench/compare.sh [ROUNDS]          (default 10 rounds, alternating order)
#
# As root it installs what it needs from Debian, builds one busybox rootfs and
# the OCI bundles, and measures every tool as an unprivileged account:
#   1. launch latency of /bin/true       4. peak RSS of the launcher
#   2. throughput, 2 launches at a time  5. qrun's own steps (--verbose)
#   3. latency while 1,000 containers of the same tool sleep (qrun, bwrap)
# Writes bench/results/30-compare.md (assembled into bench/RESULTS.md), the
# charts bench/results/compare-*.png and the raw hyperfine JSON in
# bench/results/compare/.
. "$(dirname "$0")/lib.sh"
rounds=${1:-10}

deps bench-compare
(cd "$REPO" && ./build.sh >/dev/null)
make_workdir
out_dir="$BENCH_DIR/results/compare"
rm -rf "$out_dir"
mkdir -p "$out_dir"
id "$BENCH_USER" >/dev/null 2>&1 ||
        useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$BENCH_USER"
uid=$(id -u "$BENCH_USER")
gid=$(id -g "$BENCH_USER")

# ---- one rootfs for every tool ----
"$REPO/tools/mkrootfs.sh" "$WORK/rootfs" >/dev/null
mkdir -p "$WORK/rootfs/sys" "$WORK/rootfs/mnt" # mount points ch-run and the OCI runtimes use
(
        cd "$REPO"
        musl-gcc -static "${QRUN_AUX_CFLAGS[@]}" -Werror -I"$QRUN_MUSL_INCLUDE" tests/helper/qtest.c \
                -o "$WORK/rootfs/bin/qtest"
        for prog in floor throughput fdexec; do
                musl-gcc -static "${QRUN_AUX_CFLAGS[@]}" -Werror "bench/$prog.c" -o "$WORK/$prog"
        done
)
cp "$REPO/build/qrun" "$WORK/qrun"
printf '[rootfs]\npath = %s\n[process]\ncommand = /bin/true\n' "$WORK/rootfs" >"$WORK/true.ini"
printf '[rootfs]\npath = %s\n[process]\ncommand = /bin/true\n[seccomp]\nprofile = none\n' \
        "$WORK/rootfs" >"$WORK/true-none.ini"
"$WORK/qrun" --dump-bpf default >"$WORK/default.bpf"
python3 "$REPO/tools/qrun2oci.py" "$REPO/profiles/default.ini" >"$WORK/seccomp.json"
# The containers' own default policy, as podman ships it and resolves it for an
# unprivileged x86_64 container (tools/containers2oci.py).
podman_profile=${PODMAN_SECCOMP:-$REPO/../shared/reference/containers-default-seccomp.json}
[ -r "$podman_profile" ] || { echo "compare.sh: $podman_profile missing (set PODMAN_SECCOMP)" >&2; exit 1; }
python3 "$REPO/tools/containers2oci.py" "$podman_profile" \
        >"$WORK/seccomp-podman.json"

# ---- OCI bundles: the runtimes' own rootless specs, the same rootfs and
# namespaces as qrun (user, pid, ipc, uts; OCI runtimes add mount: they always
# pivot_root), /bin/true, qrun's default profile converted (tools/qrun2oci.py).
make_bundle() { # RUNTIME DIR SECCOMP(a linux.seccomp JSON file, or no)
        mkdir -p "$2"
        (cd "$2" && "$1" spec --rootless)
        python3 - "$2/config.json" "$WORK" "$3" "$uid" "$gid" <<'EOF'
import json, sys
path, work, seccomp, uid, gid = sys.argv[1:]
c = json.load(open(path))
c["process"]["terminal"] = False
c["process"]["args"] = ["/bin/true"]
c["root"] = {"path": work + "/rootfs", "readonly": True}
c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "network"]
c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": int(uid), "size": 1}]
c["linux"]["gidMappings"] = [{"containerID": 0, "hostID": int(gid), "size": 1}]
if seccomp != "no":
    c["linux"]["seccomp"] = json.load(open(seccomp))
else:
    c["linux"].pop("seccomp", None)
json.dump(c, open(path, "w"), indent=1)
EOF
}
make_bundle crun "$WORK/crun-seccomp" "$WORK/seccomp.json"
make_bundle crun "$WORK/crun-podman" "$WORK/seccomp-podman.json"
make_bundle crun "$WORK/crun-none" no
make_bundle runc "$WORK/runc-seccomp" "$WORK/seccomp.json"
mkdir -m 777 "$WORK/state-crun" "$WORK/state-runc"
chmod -R a+rX "$WORK"

# Every measurement runs as the unprivileged account inside one private mount
# namespace in which /sys/fs/cgroup/unified is unmounted: crun 1.8.1 refuses
# rootless runs on this hybrid v1/v2 machine otherwise (and runs with
# --cgroup-manager=disabled). The other tools do not care.
run_as_user() {
        unshare --mount --propagation private sh -c \
                'umount /sys/fs/cgroup/unified 2>/dev/null; exec "$@"' sh \
                setpriv --reuid="$uid" --regid="$gid" --clear-groups -- \
                env USER="$BENCH_USER" HOME="$WORK" "$@"
}

declare -A cmd label
tools=(floor qrun qrun_none crun crun_podman crun_none runc bwrap bwrap_filter chrun)
bwrap_args="--unshare-user --unshare-pid --unshare-ipc --unshare-uts --bind $WORK/rootfs /"
cmd[floor]="$WORK/floor $WORK/rootfs /bin/true"
cmd[qrun]="$WORK/qrun $WORK/true.ini"
cmd[qrun_none]="$WORK/qrun $WORK/true-none.ini"
cmd[crun]="/usr/bin/crun --root $WORK/state-crun --cgroup-manager=disabled run --bundle $WORK/crun-seccomp c%i"
cmd[crun_podman]="/usr/bin/crun --root $WORK/state-crun --cgroup-manager=disabled run --bundle $WORK/crun-podman p%i"
cmd[crun_none]="/usr/bin/crun --root $WORK/state-crun --cgroup-manager=disabled run --bundle $WORK/crun-none n%i"
cmd[runc]="/usr/bin/runc --root $WORK/state-runc run --bundle $WORK/runc-seccomp r%i"
cmd[bwrap]="/usr/bin/bwrap $bwrap_args /bin/true"
cmd[bwrap_filter]="$WORK/fdexec $WORK/default.bpf 9 /usr/bin/bwrap $bwrap_args --seccomp 9 /bin/true"
cmd[chrun]="/usr/bin/ch-run $WORK/rootfs -- /bin/true"
label[floor]="floor (bench/floor.c)"
label[qrun]="qrun, default profile"
label[qrun_none]="qrun, no seccomp"
label[crun]="crun, same policy"
label[crun_podman]="crun, podman's default policy"
label[crun_none]="crun, no seccomp"
label[runc]="runc, same policy"
label[bwrap]="bwrap (no filter)"
label[bwrap_filter]="bwrap + qrun's filter"
label[chrun]="ch-run (no filter)"
slow() { case $1 in crun | crun_podman | crun_none | runc) return 0 ;; esac; return 1; }

# ---- 1. launch latency: alternating rounds, hyperfine ----
reversed=()
for t in "${tools[@]}"; do reversed=("$t" "${reversed[@]}"); done
for r in $(seq 1 "$rounds"); do
        order=("${tools[@]}")
        [ $((r % 2)) -eq 0 ] && order=("${reversed[@]}") # drift within a round hits all alike
        for t in "${order[@]}"; do
                runs=100 warmup=10
                slow "$t" && runs=10 warmup=2
                c=${cmd[$t]//%i/$t}
                run_as_user hyperfine -N --style none --warmup "$warmup" --runs "$runs" \
                        --export-json "$WORK/out/lat-$t-$r.json" "$c" >/dev/null 2>>"$WORK/out/hyperfine.log" ||
                        { tail -5 "$WORK/out/hyperfine.log" >&2; echo "bench: $t failed" >&2; exit 1; }
        done
done
args=()
for t in "${tools[@]}"; do
        files=$(ls "$WORK"/out/lat-"$t"-*.json | paste -sd,)
        args+=("${label[$t]}=$files")
        python3 - "$out_dir/latency-$t.json" $(ls "$WORK"/out/lat-"$t"-*.json) <<'EOF'
import json, sys
merged = None
for f in sys.argv[2:]:
    r = json.load(open(f))["results"][0]
    if merged is None:
        merged = r
    else:
        merged["times"] += r["times"]
        merged["exit_codes"] += r.get("exit_codes", [])
json.dump({"results": [merged]}, open(sys.argv[1], "w"))
EOF
done
latency=$(python3 "$BENCH_DIR/stats.py" "${label[qrun]}" "${args[@]}")
median_ms() { printf '%s\n' "$latency" | awk -F'|' -v n="$1" '$2 == " " n " " {gsub(/[ ms]/, "", $4); print $4}'; }

# ---- 2. throughput: launches per second, 2 at a time ----
declare -A rate
for t in "${tools[@]}"; do
        n=5000
        slow "$t" && n=500
        line=$(run_as_user "$WORK/throughput" "$n" 2 ${cmd[$t]})
        rate[$t]=$(printf '%s\n' "$line" | sed -n 's/.* s, \([0-9.]*\) launches\/s.*/\1/p')
        failed=$(printf '%s\n' "$line" | sed -n 's/.*, \([0-9]*\) failed/\1/p')
        [ "$failed" = 0 ] || { echo "bench: throughput of $t: $line" >&2; exit 1; }
        echo "$t $n ${rate[$t]}" >>"$out_dir/throughput.txt"
done

# ---- 3. scaling: latency while 1,000 containers of the same tool sleep ----
start_sleepers() { # TOOL
        local c
        case $1 in
        qrun) c="$WORK/qrun $WORK/true.ini -- /bin/sleep 3600" ;;
        bwrap) c="/usr/bin/bwrap $bwrap_args /bin/sleep 3600" ;;
        esac
        setpriv --reuid="$uid" --regid="$gid" --clear-groups -- bash -c \
                "for i in \$(seq 1000); do $c </dev/null >/dev/null 2>&1 & done; wait" &
        for _ in $(seq 600); do
                [ "$(pgrep -u "$uid" -fc '^/bin/sleep 3600')" -ge 1000 ] && return 0
                sleep 0.1
        done
        echo "bench: 1,000 $1 sleepers did not start" >&2
        return 1
}
stop_sleepers() {
        pkill -u "$uid" -f "sleep 3600" || true
        for _ in $(seq 100); do
                pgrep -u "$uid" -f "sleep 3600" >/dev/null || return 0
                sleep 0.1
        done
}
declare -A idle loaded
for t in qrun bwrap; do
        for phase in idle loaded; do
                [ "$phase" = loaded ] && start_sleepers "$t"
                files=()
                for r in 1 2 3; do
                        run_as_user hyperfine -N --style none --warmup 20 --runs 200 \
                                --export-json "$WORK/out/scale-$t-$phase-$r.json" "${cmd[$t]}" >/dev/null 2>>"$WORK/out/hyperfine.log"
                        files+=("$WORK/out/scale-$t-$phase-$r.json")
                done
                value=$(python3 -c 'import json, statistics, sys
t = [x for f in sys.argv[1:] for x in json.load(open(f))["results"][0]["times"]]
print("%.3f" % (statistics.median(t) * 1e3))' "${files[@]}")
                [ "$phase" = idle ] && idle[$t]=$value || loaded[$t]=$value
                [ "$phase" = loaded ] && stop_sleepers
        done
done

# ---- 4. peak RSS of the launcher: VmHWM of the launcher's processes (for qrun
# its monitor and its init), read from /proc while the container runs sleep;
# the largest of 5 launches. ch-run execs into the command, so nothing of it is
# left to read: its figure is GNU time's maximum resident set of the launch.
declare -A rss
peak_of() { # TOOL PATTERN (of the launcher's command lines): KiB
        local t=$1 pattern=$2 peak=0
        for _ in 1 2 3 4 5; do
                c=${cmd[$t]//%i/rss$t}
                case $t in
                qrun) c="$WORK/qrun $WORK/true.ini -- /bin/sleep 0.6" ;;
                crun | runc) ;;
                *) c="${c%/bin/true}/bin/sleep 0.6" ;;
                esac
                run_as_user $c >/dev/null 2>&1 &
                sleep 0.35
                for pid in $(pgrep -u "$uid" -f "$pattern"); do
                        kb=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null)
                        [ "${kb:-0}" -gt "$peak" ] && peak=$kb
                done
                wait
        done
        echo "$peak"
}
for b in "$WORK"/crun-seccomp "$WORK"/runc-seccomp; do
        sed -i 's|"/bin/true"|"/bin/sleep", "0.6"|' "$b/config.json"
done
# (crun re-executes itself from a memfd: match command lines, not names)
rss[floor]=$(peak_of floor "^$WORK/floor ")
rss[qrun]=$(peak_of qrun "^$WORK/qrun ")
rss[crun]=$(peak_of crun "^/usr/bin/crun --root|^crun --root")
rss[runc]=$(peak_of runc "^/usr/bin/runc --root")
rss[bwrap]=$(peak_of bwrap "^/usr/bin/bwrap ")
rss[chrun]=$(for _ in $(seq 5); do
        run_as_user /usr/bin/time -f %M /usr/bin/ch-run "$WORK/rootfs" -- /bin/true 2>&1 | tail -n 1
done | sort -n | tail -n 1)

# ---- 5. qrun's own steps ----
steps=$(verbose_step_medians 300 run_as_user "$WORK/qrun" -v "$WORK/true.ini")

# ---- charts ----
: >"$WORK/out/lat.dat"
: >"$WORK/out/thr.dat"
for t in "${tools[@]}"; do
        printf '"%s" %s\n' "${label[$t]}" "$(median_ms "${label[$t]}")" >>"$WORK/out/lat.dat"
        printf '"%s" %s\n' "${label[$t]}" "${rate[$t]}" >>"$WORK/out/thr.dat"
done
gnuplot <<EOF
set terminal png size 1000,520 font ",10"
set style fill solid 0.8
set boxwidth 0.7
set xtics rotate by -30 left
set grid ytics
set key off
set output "$BENCH_DIR/results/compare-latency.png"
set title "Launch latency of /bin/true, median (ms, log scale; lower is better)"
set logscale y
set yrange [0.3:*]
plot "$WORK/out/lat.dat" using 0:2:xtic(1) with boxes lc rgb "#3b6ea8", \
     "" using 0:2:(sprintf("%.2f", \$2)) with labels offset 0,0.8
set output "$BENCH_DIR/results/compare-throughput.png"
set title "Throughput, 2 launches at a time (launches per second; higher is better)"
set yrange [1:*]
plot "$WORK/out/thr.dat" using 0:2:xtic(1) with boxes lc rgb "#4c9a5b", \
     "" using 0:2:(sprintf("%.0f", \$2)) with labels offset 0,0.8
EOF

# ---- the report ----
q=$(median_ms "${label[qrun]}")
ratio() { awk "BEGIN {printf \"%.2f\", $1 / $2}"; }
vs_crun=$(ratio "$(median_ms "${label[crun]}")" "$q")
vs_podman=$(ratio "$(median_ms "${label[crun_podman]}")" "$q")
vs_bwrap=$(ratio "$(median_ms "${label[bwrap]}")" "$q")
vs_chrun=$(ratio "$(median_ms "${label[chrun]}")" "$q")
vs_floor=$(ratio "$q" "$(median_ms "${label[floor]}")")
thr_ratio=$(ratio "${rate[qrun]}" "${rate[floor]}")
scale_qrun=$(ratio "${loaded[qrun]}" "${idle[qrun]}")
scale_bwrap=$(ratio "${loaded[bwrap]}" "${idle[bwrap]}")
thr_table="| tool | launches | launches/s | ratio to floor |
|---|---:|---:|---:|"
for t in "${tools[@]}"; do
        n=5000
        slow "$t" && n=500
        thr_table+="
| ${label[$t]} | $n | ${rate[$t]} | $(ratio "${rate[$t]}" "${rate[floor]}")× |"
done
rss_table="| launcher | peak RSS (KiB) |
|---|---:|"
for t in floor qrun crun runc bwrap chrun; do
        rss_table+="
| ${label[$t]} | ${rss[$t]} |"
done

cat >"$BENCH_DIR/results/30-compare.md" <<EOF2
## qrun against crun, runc, bubblewrap and Charliecloud

Written by \`bench/compare.sh $rounds\`. Every tool runs \`/bin/true\` (busybox) from the same rootfs, as
the unprivileged account $BENCH_USER, in the same run. Namespaces: qrun and floor create user, pid,
ipc and uts (qrun: chroot, no mount namespace); bwrap gets --unshare-user/pid/ipc/uts (it always
adds a mount namespace); crun and runc run their own \`spec --rootless\` with the network namespace
removed, so user, pid, ipc, uts and mount; ch-run creates user and mount namespaces. "Same
policy" is qrun's default profile converted to the OCI format by tools/qrun2oci.py (libseccomp
compiles it for x86_64, x86 and x32, as these runtimes do); "bwrap + qrun's filter" passes the
program \`qrun --dump-bpf default\` writes to \`bwrap --seccomp\` (through bench/fdexec, one more exec).

All tools were measured inside one private mount namespace in which /sys/fs/cgroup/unified is
unmounted and crun uses --cgroup-manager=disabled: crun 1.8.1 refuses rootless runs on this
machine's hybrid v1/v2 cgroups otherwise. No tool uses cgroups here.

$(machine_summary)
- $(crun --version | head -1); $(runc --version | head -1); $(bwrap --version); ch-run $(USER=$BENCH_USER ch-run --version 2>&1 | head -1); $(gnuplot --version)

### 1. Launch latency

$rounds rounds, the tools' order reversed every other round; 100 runs per round for the fast
tools, 10 for crun and runc.

$latency

![launch latency](results/compare-latency.png)

### 2. Throughput

5,000 launches (500 for crun and runc), 2 at a time, by bench/throughput.c.

$thr_table

![throughput](results/compare-throughput.png)

### 3. Latency while 1,000 containers of the same tool sleep

Median of 3 × 200 launches of /bin/true, idle and then with 1,000 \`sleep 3600\` containers of the
same tool alive (the SOCK paper found mount-namespace creation slowing as namespaces pile up).

| tool | idle median ms | with 1,000 live | ratio |
|---|---:|---:|---:|
| qrun | ${idle[qrun]} | ${loaded[qrun]} | ${scale_qrun}× |
| bwrap | ${idle[bwrap]} | ${loaded[bwrap]} | ${scale_bwrap}× |

### 4. Peak RSS of the launcher

VmHWM of the launcher's own processes (qrun: monitor and init; crun and runc: the runtime
process that waits for the container; bwrap: its two processes), read from /proc while the
container runs \`sleep\`, the largest of 5 launches. ch-run execs into the command, so its
figure is GNU time's maximum resident set of the whole launch (GNU time counts its own
pre-exec copy too, about 440 KiB, so only launchers above that can be read this way).

$rss_table

### 5. Where qrun's time goes

\`qrun -v\`, medians of 300 launches with the default profile; each step is timed inside its
own process, so the steps overlap the kernel's fork/exec/exit work and do not add up to the total.

$steps

### Targets

| target | measured | verdict |
|---|---|---|
| qrun (default profile) ≥ 30× faster than crun with the same policy | ${vs_crun}× | $(verdict "$vs_crun >= 30") |
| qrun (default profile) ≥ 40× faster than crun with podman's default policy | ${vs_podman}× | $(verdict "$vs_podman >= 40") |
| qrun ≥ 2.5× faster than bwrap (which loads no filter) | ${vs_bwrap}× | $(verdict "$vs_bwrap >= 2.5") |
| qrun ≥ 2.5× faster than ch-run (which loads no filter) | ${vs_chrun}× | $(verdict "$vs_chrun >= 2.5") |
| qrun (default profile) ≤ 1.25× the floor | ${vs_floor}× | $(verdict "$vs_floor <= 1.25") |
| qrun's throughput ≥ 0.85× the floor's | ${thr_ratio}× | $(verdict "$thr_ratio >= 0.85") |
| qrun's latency with 1,000 live containers ≤ 1.15× idle | ${scale_qrun}× | $(verdict "$scale_qrun <= 1.15") |
EOF2
assemble_results
cat "$BENCH_DIR/results/30-compare.md"
