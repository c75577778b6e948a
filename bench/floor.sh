#!/bin/bash
# qrun's launch cost against the floor program, and its footprint.
#
#   bench/floor.sh [ROUNDS] [RUNS_PER_ROUND]      (defaults: 20 rounds of 150 runs)
#   QRUN_BASELINE=OLD-QRUN bench/floor.sh ...     (also times another qrun binary,
#                                                  e.g. the previous commit's, A/B)
#
# Times `qrun m.ini -- /bin/true` and `floor ROOTFS /bin/true` with hyperfine in
# alternating rounds (drift on a shared machine then hits both alike), measures
# qrun's peak RSS and binary size, and writes bench/results/10-core.md, from
# which bench/RESULTS.md is assembled. As root it installs what it needs and
# runs every measured process as an unprivileged account.
. "$(dirname "$0")/lib.sh"
rounds=${1:-20}
runs=${2:-150}

bench_fixture
printf '[rootfs]\npath = %s\n[process]\ncommand = /bin/true\n' "$WORK/rootfs" >"$WORK/true.ini"
printf '[rootfs]\npath = %s\n[process]\ncommand = /bin/true\n[seccomp]\nprofile = none\n' "$WORK/rootfs" \
        >"$WORK/true-none.ini"
chmod -R a+rX "$WORK"

# Three commands in alternating rounds (drift on a shared machine then hits
# all alike): the floor, qrun without a seccomp filter (the core launcher),
# and qrun as users run it (the default profile).
declare -A cmds=([floor]="$WORK/floor $WORK/rootfs /bin/true"
        [qrun_none]="$WORK/qrun $WORK/true-none.ini"
        [qrun]="$WORK/qrun $WORK/true.ini")
declare -A files=()
names=(floor qrun_none qrun)
baseline_label=
if [ -n "${QRUN_BASELINE:-}" ]; then
        cp "$QRUN_BASELINE" "$WORK/qrun-baseline"
        chmod a+rx "$WORK/qrun-baseline"
        cmds[baseline]="$WORK/qrun-baseline $WORK/true.ini"
        baseline_label="qrun baseline ($(basename "$QRUN_BASELINE")), default profile"
        names+=(baseline)
fi
alternating_rounds "$rounds" "$runs" 20 "${names[@]}"
table=$(python3 "$BENCH_DIR/stats.py" floor "floor=${files[floor]}" \
        "qrun, no filter=${files[qrun_none]}" "qrun, default profile=${files[qrun]}" \
        ${baseline_label:+"$baseline_label=${files[baseline]}"})
ratio_of() { printf '%s\n' "$table" | awk -F'|' -v name="$1" '$2 == " " name " " {gsub(/[ ×]/, "", $8); print $8}'; }
ratio_none=$(ratio_of "qrun, no filter")
ratio=$(ratio_of "qrun, default profile")
baseline_row=
if [ -n "$baseline_label" ]; then
        ratio_base=$(ratio_of "$baseline_label")
        baseline_row="| against the baseline binary (A/B in this run) | qrun ${ratio}× vs baseline ${ratio_base}× the floor | $(awk "BEGIN {d = $ratio - $ratio_base; printf \"%+.3f× of the floor\", d}") |"
fi

# Peak RSS of qrun's own processes (the monitor and pid 1), read from /proc
# while the container runs: the command's own memory is not qrun's.
peak_kb=0
for _ in 1 2 3 4 5; do
        user_sleep() { as_bench_user "$WORK/qrun" "$WORK/true.ini" -- /bin/sleep 0.5; }
        user_sleep &
        sleep 0.25
        for pid in $(pgrep -f "^$WORK/qrun "); do
                kb=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
                [ "${kb:-0}" -gt "$peak_kb" ] && peak_kb=$kb
        done
        wait
done
size=$(stat -c %s "$REPO/build/qrun")

# Where qrun's time goes: medians of the --verbose steps over 300 launches
# (with the default profile).
steps=$(verbose_step_medians 300 as_bench_user "$WORK/qrun" -v "$WORK/true.ini")

mkdir -p "$BENCH_DIR/results"
cat >"$BENCH_DIR/results/10-core.md" <<EOF2
## Core launch: qrun against the floor program

Written by \`bench/floor.sh $rounds $runs\`. \`floor\` (bench/floor.c) does only unshare(user+pid+ipc+uts),
the id maps, fork, chroot and exec; qrun additionally parses and validates the manifest, runs its
own init as pid 1 (one more process), drops capabilities, sets no_new_privs, starts a new
session and closes descriptors -- and, as users run it, attaches the default seccomp profile.
All run \`/bin/true\` (busybox) in the same rootfs, as an unprivileged user; $rounds alternating
rounds of $runs runs each, pooled.

$(machine_summary)

$table

| target | measured | verdict |
|---|---|---|
| core launcher (no filter) ≤ 1.2× the floor's median | ${ratio_none}× | $(verdict "$ratio_none <= 1.2") |
| with the default seccomp profile ≤ 1.35× the floor (seccomp issue) | ${ratio}× | $(verdict "$ratio <= 1.35") |
| qrun's peak RSS ≤ 1 MiB | ${peak_kb} KiB (VmHWM of the monitor and pid 1) | $(verdict "$peak_kb <= 1024") |
| binary ≤ 1 MiB (with qrun import's libraries) | $size bytes | $(verdict "$size <= 1048576") |
$baseline_row

Where qrun's time goes (\`qrun -v\`, medians of 300 launches; each step is timed inside its own
process, so the steps overlap the kernel's fork/exec/exit work and do not add up to the total):

$steps
EOF2
assemble_results
cat "$BENCH_DIR/results/10-core.md"
