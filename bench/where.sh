#!/bin/bash
# Where the time goes, per process: the floor against qrun, with perf.
#
#   bench/where.sh [LAUNCHES] [ROUNDS]      (defaults: 300 launches, 3 rounds)
#
# 1. perf stat of LAUNCHES launches one at a time (bench/throughput.c), floor
#    and qrun interleaved for ROUNDS rounds: task-clock, context switches, page
#    faults and CPU migrations per launch, of the whole process tree (the
#    driver's fork included, alike for both), medians of the rounds.
# 2. perf record of LAUNCHES launches each (task-clock every 100 µs with call
#    chains; page faults one by one), split by process (bench/perf_roles.py):
#    qrun's monitor, init and command, the floor's launcher and command; user
#    and kernel time, the largest kernel parts by system call. Sampling with
#    call chains slows everything down: compare the processes, not the totals.
# qrun is an unstripped build of the same sources (symbols for perf), with its
# default profile. Writes bench/results/12-where.md.
. "$(dirname "$0")/lib.sh"
launches=${1:-300}
rounds=${2:-3}

bench_fixture # its qrun is replaced by the unstripped build below
gcc "${QRUN_AUX_CFLAGS[@]}" -Werror "$BENCH_DIR/throughput.c" -o "$WORK/throughput"
(cd "$REPO" && musl-gcc "${QRUN_CFLAGS[@]}" -I"$QRUN_MUSL_INCLUDE" -I"$QRUN_DEPS/include" \
        "${QRUN_INCLUDES[@]}" "${QRUN_SOURCES[@]}" "$QRUN_TABLES" "$QRUN_LIBINIH" -Lbuild/lib -L"$QRUN_DEPS/lib" \
        "${QRUN_IMAGE_LIBS[@]}" -static -Wl,--gc-sections -o "$WORK/qrun")
printf '[rootfs]\npath = %s\n' "$WORK/rootfs" >"$WORK/m.ini"
chmod -R a+rX "$WORK"
declare -A cmds=([floor]="$WORK/floor $WORK/rootfs /bin/true" [qrun]="$WORK/qrun $WORK/m.ini -- /bin/true")
declare -A roles=([floor]=floor,command [qrun]=monitor,init,command)

# perf itself runs as root (kernel samples need it: perf_event_paranoid), the
# launches as the bench user.
[ "$(id -u)" -eq 0 ] || { echo "where.sh: run as root (perf needs kernel samples)" >&2; exit 1; }
id "$BENCH_USER" >/dev/null 2>&1 || as_bench_user true
as_bench_user_cmd() { echo setpriv --reuid="$BENCH_USER" --regid="$BENCH_USER" --clear-groups --; }

# 1. counters
for r in $(seq 1 "$rounds"); do
        for who in floor qrun; do
                # shellcheck disable=SC2086 # a word list
                perf stat -x, -e task-clock,context-switches,page-faults,cpu-migrations \
                        -o "$WORK/out/stat" -- $(as_bench_user_cmd) "$WORK/throughput" "$launches" 1 ${cmds[$who]} >/dev/null
                awk -F, -v who="$who" '$3 ~ /^(task-clock|context-switches|page-faults|cpu-migrations)$/ {print who, $3, $1}' \
                        "$WORK/out/stat" >>"$WORK/out/counters"
        done
done
counters=$(python3 - "$launches" "$WORK/out/counters" <<'EOF'
import collections, statistics, sys
n = int(sys.argv[1])
v = collections.defaultdict(list)
for line in open(sys.argv[2]):
    who, event, value = line.split()
    v[who, event].append(float(value) / n)
events = ["task-clock", "context-switches", "page-faults", "cpu-migrations"]
print("| per launch (median of the rounds) | floor | qrun | qrun − floor | qrun / floor |")
print("|---|---:|---:|---:|---:|")
for e in events:
    f, q = statistics.median(v["floor", e]), statistics.median(v["qrun", e])
    unit = " ms" if e == "task-clock" else ""
    print("| %s | %.3f%s | %.3f%s | %+.3f%s | %.2f× |" % (e, f, unit, q, unit, q - f, unit, q / f))
EOF
)

# 2. per process
per_process() { # WHO EVENT-ARGS NS
        local who=$1 ns=$3
        # shellcheck disable=SC2086 # word lists
        perf record $2 -o "$WORK/out/$who.data" -- $(as_bench_user_cmd) "$WORK/throughput" "$launches" 1 \
                ${cmds[$who]} >/dev/null 2>&1
        perf script --show-task-events -F comm,pid,ip,sym,dso -i "$WORK/out/$who.data" 2>/dev/null |
                python3 "$BENCH_DIR/perf_roles.py" "$launches" "$ns" "${roles[$who]}"
}
cpu_floor=$(per_process floor "-e task-clock -c 100000 -g" 100000)
cpu_qrun=$(per_process qrun "-e task-clock -c 100000 -g" 100000)
faults_floor=$(per_process floor "-e page-faults -c 1 -g" 0)
faults_qrun=$(per_process qrun "-e page-faults -c 1 -g" 0)

mkdir -p "$BENCH_DIR/results"
cat >"$BENCH_DIR/results/12-where.md" <<EOF2
## Where the time goes, per process

Written by \`bench/where.sh $launches $rounds\`. \`/bin/true\` launched $launches times one at a time by
bench/throughput.c, as an unprivileged user; qrun with its default profile (an unstripped build
of the same sources, for perf's symbols).

$(machine_summary)

Counters of the whole process tree (perf stat), per launch, $rounds interleaved rounds:

$counters

CPU time per process (perf record, task-clock sampled every 100 µs with call chains, which slows
every process down: compare the rows, not the totals with the table above). Kernel time is put in
the system call it was spent in; "page fault" is the copy-on-write and first-touch faults, "other
kernel" the scheduler, interrupts and the return from fork. A process's exit is in exit_group
(the command) or in the parent's wait.

qrun:

$cpu_qrun

floor:

$cpu_floor

Page faults per process (every fault recorded):

qrun:

$faults_qrun

floor:

$faults_floor
EOF2
assemble_results
cat "$BENCH_DIR/results/12-where.md"
