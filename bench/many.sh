#!/bin/bash
# Many short tasks from one job: qrun --each against one launch per task.
#
#   bench/many.sh [TASKS] [ROUNDS] [JOBS]     (defaults: 5000 tasks, 3 rounds, 2 at a time)
#
# Side by side in one run, in alternating rounds (drift on a shared machine
# then hits all alike), TASKS `/bin/true` tasks, JOBS at a time:
#   qrun --each      qrun MANIFEST --each -j JOBS < TASKS (one manifest, one user namespace)
#   floor            xargs -P JOBS floor ROOTFS /bin/true (bench/floor.c: one launcher process per task)
#   bwrap            xargs -P JOBS bwrap --unshare-user,pid,ipc,uts --bind ROOTFS / /bin/true
#   qrun per task    xargs -P JOBS qrun MANIFEST -- /bin/true
#   no sandbox       xargs -P JOBS ROOTFS/bin/busybox /bin/true (the same program, no
#                    launcher, no namespace, no filter: what no launcher can beat)
# qrun runs with its default seccomp profile, bwrap with none (as in
# compare.sh). Reports tasks per second (median of the rounds), the CPU time
# per task (user + system of the whole process tree, from GNU time) and
# ratios, and how far each target is from the no-sandbox ceiling; writes
# bench/results/15-many.md.
. "$(dirname "$0")/lib.sh"
tasks=${1:-5000}
rounds=${2:-3}
jobs=${3:-2}

bench_fixture
printf '[rootfs]\npath = %s\n' "$WORK/rootfs" >"$WORK/m.ini"
awk -v n="$tasks" 'BEGIN {for (i = 0; i < n; i++) print "/bin/true"}' >"$WORK/tasks"
chmod -R a+rX "$WORK"

names=(each floor bwrap qrun none)
declare -A cmds=(
        [each]="$WORK/qrun $WORK/m.ini --each -j $jobs"
        [floor]="xargs -P $jobs -n 1 $WORK/floor $WORK/rootfs"
        [bwrap]="xargs -P $jobs -n 1 /usr/bin/bwrap --unshare-user --unshare-pid --unshare-ipc --unshare-uts --bind $WORK/rootfs /"
        [qrun]="xargs -P $jobs -n 1 $WORK/qrun $WORK/m.ini --"
        [none]="xargs -P $jobs -n 1 $WORK/rootfs/bin/busybox"
)
declare -A labels=(
        [each]="qrun --each -j $jobs"
        [floor]="floor, one process per task (xargs -P $jobs)"
        [bwrap]="xargs -P $jobs bwrap (no filter)"
        [qrun]="xargs -P $jobs qrun (a launch per task)"
        [none]="no sandbox: xargs -P $jobs busybox true (the ceiling)"
)

# One line per run: NAME SECONDS USER SYSTEM (GNU time, the whole tree).
for r in $(seq 1 "$rounds"); do
        order=("${names[@]}")
        [ $((r % 2)) -eq 0 ] && order=($(printf '%s\n' "${names[@]}" | tac))
        for who in "${order[@]}"; do
                # shellcheck disable=SC2086 # the command lines are word lists
                as_bench_user /usr/bin/time -f "$who %e %U %S" -o "$WORK/out/time" ${cmds[$who]} \
                        <"$WORK/tasks" >/dev/null 2>"$WORK/out/$who.err" ||
                        { echo "many.sh: $who failed:" >&2; tail -n 5 "$WORK/out/$who.err" >&2; exit 1; }
                cat "$WORK/out/time" >>"$WORK/out/runs"
        done
done

table=$(python3 - "$tasks" "$WORK/out/runs" "${names[@]}" <<'EOF'
import statistics, sys
tasks, runs_file, names = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
rate, cpu = {}, {}
for line in open(runs_file):
    who, wall, user, system = line.split()
    rate.setdefault(who, []).append(tasks / float(wall))
    cpu.setdefault(who, []).append((float(user) + float(system)) / tasks * 1e3)
print("| tool | tasks/s (median) | runs | CPU ms per task (median) | qrun --each is N× faster | N× less CPU per task |")
print("|---|---:|---:|---:|---:|---:|")
for n in names:
    # Paired by round: the machine's drift between rounds hits both alike.
    ratios = [e / o for e, o in zip(rate["each"], rate[n])]
    cpu_ratios = [o / e for e, o in zip(cpu["each"], cpu[n])]
    speed = "—" if n == "each" else "%.2f×" % statistics.median(ratios)
    less = "—" if n == "each" else "%.2f×" % statistics.median(cpu_ratios)
    print("| %s | %.0f | %d | %.2f | %s | %s |" % (n, statistics.median(rate[n]), len(rate[n]),
                                                statistics.median(cpu[n]), speed, less))
# The ceiling over each tool, paired by round: the most any launcher could be
# faster than that tool here (what the tasks' own program costs is left).
for n in names:
    print("CEILING %s %.2f" % (n, statistics.median([c / o for c, o in zip(rate["none"], rate[n])])))
EOF
)
ceiling_of() { printf '%s\n' "$table" | awk -v name="$1" '$1 == "CEILING" && $2 == name {print $3}'; }
floor_ceiling=$(ceiling_of floor)
bwrap_ceiling=$(ceiling_of bwrap)
qrun_ceiling=$(ceiling_of qrun)
table=$(printf '%s\n' "$table" | grep -v '^CEILING ')
ratio_of() { printf '%s\n' "$table" | awk -F'|' -v name="$1" '$2 == " " name " " {gsub(/[ ×]/, "", $6); print $6}'; }
floor_ratio=$(ratio_of floor)
bwrap_ratio=$(ratio_of bwrap)
qrun_ratio=$(ratio_of qrun)
for n in "${names[@]}"; do table=${table//"| $n |"/"| ${labels[$n]} |"}; done

mkdir -p "$BENCH_DIR/results"
cat >"$BENCH_DIR/results/15-many.md" <<EOF2
## Many tasks from one job: qrun --each

Written by \`bench/many.sh $tasks $rounds $jobs\`. $tasks \`/bin/true\` tasks, $jobs at a time, as an
unprivileged user, $rounds alternating rounds; each tool's tasks/s is its median over the rounds,
the ratios are medians of each round's ratio (the tools of one round ran under the same load of
the shared machine), the CPU time per task is the whole process tree's user + system time (GNU time) divided by the
tasks. \`qrun --each\` reads the manifest, compiles nothing (the filter is built in), and creates
the user namespace once; every task still gets new pid, ipc and uts namespaces, its own init,
limits and the default seccomp filter. The others start one launcher process per task from
\`xargs -P $jobs\`; bwrap runs without a filter.

$(machine_summary)

$table

The last column below is how much faster than that tool the tasks ran with no sandbox at all
(the same busybox, exec'd by xargs): no launcher can do better, so a target above it cannot be
met on this machine by any launcher, however cheap.

| target (issue 18) | measured | verdict | no sandbox at all |
|---|---|---|---|
| ≥ 2× the floor's throughput (one process per task) | ${floor_ratio}× | $(verdict "$floor_ratio >= 2") | ${floor_ceiling}× |
| ≥ 5× \`xargs -P2 bwrap …\` | ${bwrap_ratio}× | $(verdict "$bwrap_ratio >= 5") | ${bwrap_ceiling}× |
| ≥ 3× \`xargs -P2 qrun …\` | ${qrun_ratio}× | $(verdict "$qrun_ratio >= 3") | ${qrun_ceiling}× |
EOF2
assemble_results
cat "$BENCH_DIR/results/15-many.md"
