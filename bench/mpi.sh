#!/bin/bash
# MPI under qrun --join against bare, side by side on a real Slurm (the one
# tests/hpc/slurm.sh starts on localhost): bench/mpi.sh [ROUNDS] [STARTS]
#
# In ROUNDS alternating rounds (default 5), srun -n2 --mpi=pmix runs
# mpi_probe (tests/hpc/mpi_probe.c) bare (built with the host's mpicc, Open
# MPI 4.1 as in the image) and under qrun --join in the MPI rootfs
# (tests/helper/mpi-image.sh): an 8-byte ping-pong (latency, 100,000 round
# trips) and a 4 MiB one (bandwidth, 400 round trips); each run reports the
# median of its 5 inner rounds, and the table shows the median over ROUNDS.
# Some runs take twice as long in every inner round, bare and under qrun
# alike (on the 2-vCPU VM of 2026-12-03: a third of the runs with 2,000 and 50
# round trips, whose rounds last a few ms; 1 to 4 of 15 per side with these
# counts, 30 to 400 ms per round): the medians pass over them, and the
# intervals below show what they leave.
# Then hyperfine times the start of a step, srun -n2 /bin/true against srun
# -n2 qrun --join m.ini -- /bin/true, qrun without join (chroot and mount
# mode) and bench/floor.c (the least a launcher adds), STARTS runs each
# (default 20), in alternating rounds. Every srun binds its ranks to cores
# (--cpu-bind=cores), bare and under qrun alike: as sites run MPI
# (task/affinity or task/cgroup), and neither rank's busy polling ever shares
# the other's CPU. Targets: latency and bandwidth within 5% of bare, and qrun
# adding at most 2 ms to the step start. QRUN_BASELINE=OLD-QRUN adds a
# step-start row for another qrun binary under --join (an A/B in one run).
# Writes bench/results/70-mpi.md. Needs root (Slurm's daemons); runs every
# srun as the bench user.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
rounds=${1:-5}
starts=${2:-20}
deps hpc bench
export QRUN_TEST_USER=$BENCH_USER
make_workdir
. "$REPO/tests/lib.sh" >/dev/null
. "$REPO/tests/hpc/slurm.sh"
[ "$(id -u)" -eq 0 ] || { echo "bench/mpi.sh: needs root (Slurm's daemons)" >&2; exit 1; }
as_bench_user true
img=$("$REPO/tests/helper/mpi-image.sh")
trap 'slurm_stop; rm -rf "$WORK" "$T"' EXIT
slurm_start >"$WORK/why" || { echo "bench/mpi.sh: $(cat "$WORK/why")" >&2; exit 1; }
cp "$REPO/build/qrun" "$WORK/qrun"
mpicc -O2 -o "$WORK/mpi_probe" "$REPO/tests/hpc/mpi_probe.c"
(cd "$REPO" && musl-gcc -static "${QRUN_AUX_CFLAGS[@]}" -Werror bench/floor.c -o "$WORK/floor")
printf '[rootfs]\npath = %s/rootfs\n[process]\ncommand = mpi_probe\n' "$img" >"$WORK/m.ini"
# What join mode implies (join.h), without join: mount mode, dev = minimal.
printf '[mounts]\nproc = true\ndev = minimal\n' | cat "$WORK/m.ini" - >"$WORK/mm.ini"
chmod -R a+rX "$WORK"
bind=--cpu-bind=cores
# The binding is the premise of the comparison: check that each rank has a CPU of its own.
bound=$(as_bench_user srun -n2 $bind awk '/^Cpus_allowed_list/ {print $2}' /proc/self/status | sort -u)
[ "$(wc -w <<<"$bound")" -eq 2 ] && ! grep -q '[-,]' <<<"$bound" ||
        { echo "bench/mpi.sh: srun $bind did not give each rank one CPU of its own: $(echo $bound)" >&2; exit 1; }
q="$WORK/qrun --join $WORK/m.ini --"

# pingpong WHO BYTES N: one run's microseconds per message
pingpong() {
        local cmd=$WORK/mpi_probe
        [ "$1" = qrun ] && cmd="$q mpi_probe"
        as_bench_user srun -n2 $bind --mpi=pmix $cmd pingpong "$2" "$3" | awk '$3 == "ok" {print $4}'
}
median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
declare -A lat bw
for r in $(seq "$rounds"); do
        order=(bare qrun)
        [ $((r % 2)) -eq 0 ] && order=(qrun bare)
        for who in "${order[@]}"; do
                lat[$who]+="$(pingpong "$who" 8 100000) "
                bw[$who]+="$(pingpong "$who" 4194304 400) "
        done
done
us() { printf '%s\n' ${1} | median; }
lat_bare=$(us "${lat[bare]}") lat_qrun=$(us "${lat[qrun]}")
mbs() { awk -v us="$1" 'BEGIN {printf "%.0f", 4194304 / us}'; } # bytes per us = MB/s
bw_bare=$(us "${bw[bare]}") bw_qrun=$(us "${bw[qrun]}")
# ratio QRUN_LIST BARE_LIST: "R L H", qrun's median time per message over
# bare's and the bootstrap 95% interval of that ratio. Not the median of the
# rounds' ratios: a run's time depends on the run, not on its round (the rank
# correlation of a round's bare and qrun runs was -0.16 and -0.03 in 15
# rounds), so pairing the runs by round only adds a second run's noise to
# each ratio.
ratio() { python3 "$BENCH_DIR/median_diff.py" --ratio "bare=$2" "qrun=$1"; }
read -r lat_ratio lat_low lat_high <<<"$(ratio "${lat[qrun]}" "${lat[bare]}")"
read -r bw_ratio bw_low bw_high <<<"$(ratio "${bw[qrun]}" "${bw[bare]}")" # time per 4 MiB: above 1 is slower

declare -A cmds files
cmds[bare]="srun -n2 $bind /bin/true"
cmds[qrun]="srun -n2 $bind $q /bin/true"
# What any launch costs, join or not: qrun in chroot mode, each rank alone.
cmds[plain]="srun -n2 $bind $WORK/qrun $WORK/m.ini -- /bin/true"
# Join mode implies mount mode. Each rank alone in mount mode builds the tree
# that join mode builds once (/proc, /dev, the passwd entry): this row tells
# the tree's cost from what sharing one tree costs.
cmds[mount]="srun -n2 $bind $WORK/qrun $WORK/mm.ini -- /bin/true"
# The least any container launcher can add here: bench/floor.c (new user,
# pid, ipc and uts namespaces, the id maps, fork, chroot, exec; nothing else).
cmds[floor]="srun -n2 $bind $WORK/floor $img/rootfs /bin/true"
starters=(bare qrun plain mount floor)
baseline_label="qrun --join, baseline ($(basename "${QRUN_BASELINE:-none}"))"
extra=()
if [ -n "${QRUN_BASELINE:-}" ]; then
        install -m 755 "$QRUN_BASELINE" "$WORK/qrun-baseline"
        cmds[baseline]="srun -n2 $bind $WORK/qrun-baseline --join $WORK/m.ini -- /bin/true"
        starters+=(baseline)
fi
export SLURM_CONF
start_rounds=$(((starts + 9) / 10))
alternating_rounds "$start_rounds" "$(((starts + start_rounds - 1) / start_rounds))" 2 "${starters[@]}"
[ -n "${QRUN_BASELINE:-}" ] && extra=("$baseline_label=${files[baseline]}")
start_table=$(python3 "$BENCH_DIR/stats.py" bare "bare=${files[bare]}" "qrun=${files[qrun]}" \
        "qrun without join (chroot mode)=${files[plain]}" \
        "qrun without join (mount mode)=${files[mount]}" "floor (bench/floor.c)=${files[floor]}" \
        "${extra[@]}")
start_bare=$(median_of bare "$start_table") start_qrun=$(median_of qrun "$start_table")
start_plain=$(median_of "qrun without join (chroot mode)" "$start_table")
start_mount=$(median_of "qrun without join (mount mode)" "$start_table")
start_floor=$(median_of "floor (bench/floor.c)" "$start_table")
# added WHO [REF]: "+D ms (95%: +L to +H)", WHO's median step start minus
# REF's (bare's by default)
added() {
        local ref=${2:-bare}
        python3 "$BENCH_DIR/median_diff.py" "$ref=${files[$ref]}" "$1=${files[$1]}" |
                awk '{printf "%s ms (95%%: %s to %s)", $1, $2, $3}'
}

out=$REPO/bench/results/70-mpi.md
added_qrun=$(added qrun)
start_diff=${added_qrun%% *} # the table's own figure, sign included
{
        echo "## MPI under qrun --join against bare, on a real Slurm"
        echo
        echo "Written by \`bench/mpi.sh $rounds $starts\`: Slurm 22.05 on localhost (tests/hpc/slurm.sh),"
        echo "2 ranks bound to cores (\`srun --cpu-bind=cores --mpi=pmix\`), Open MPI 4.1 (vader, CMA), as an unprivileged user; qrun runs"
        echo "\`mpi_probe\` from the MPI rootfs (tests/helper/mpi-image.sh) in join mode."
        echo
        machine_summary
        echo "- load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (a shared machine: compare rounds, not single runs)"
        echo
        echo "| measure | bare | qrun --join | qrun / bare |"
        echo "|---|---:|---:|---:|"
        echo "| 8 B ping-pong latency, µs per message (median of $rounds runs) | $lat_bare µs | $lat_qrun µs | ×$lat_ratio (95%: $lat_low to $lat_high) |"
        echo "| 4 MiB ping-pong bandwidth (median of $rounds runs) | $(mbs "$bw_bare") MB/s | $(mbs "$bw_qrun") MB/s | time ×$bw_ratio (95%: $bw_low to $bw_high) |"
        echo "| \`srun -n2\` step start, /bin/true ($starts runs) | $start_bare ms | $start_qrun ms | $added_qrun |"
        echo "| the same through qrun without join (chroot mode, for scale) | $start_bare ms | $start_plain ms | $(added plain) |"
        echo "| the same through qrun without join in mount mode (each rank its own tree) | $start_bare ms | $start_mount ms | $(added mount) |"
        echo "| the same through the floor program (the least a launcher adds here) | $start_bare ms | $start_floor ms | $(added floor) |"
        [ -z "${QRUN_BASELINE:-}" ] ||
                echo "| $baseline_label | $start_bare ms | $(median_of "$baseline_label" "$start_table") ms | $(added baseline) |"
        echo
        echo "Within the run, the same steps against each other (the drift between runs cancels):"
        echo
        echo "| difference of the step start medians | ms (95% interval) |"
        echo "|---|---:|"
        echo "| join mode's own part: qrun --join − qrun without join | $(added qrun plain) |"
        echo "| of which the tree: mount mode − chroot mode | $(added mount plain) |"
        echo "| and the sharing (one tree, built before the other rank enters it): qrun --join − mount mode | $(added qrun mount) |"
        echo "| qrun without join − the floor program | $(added plain floor) |"
        [ -z "${QRUN_BASELINE:-}" ] ||
                echo "| qrun --join − $baseline_label | $(added qrun baseline) |"
        echo
        echo "The last column: qrun's median time per message over bare's, and for the step start the"
        echo "difference of the medians, each with its bootstrap 95% interval (bench/median_diff.py):"
        echo "a step takes 150-200 ms and varies by tens, a run's time per message by a quarter."
        echo
        echo "| target | measured | verdict |"
        echo "|---|---|---|"
        echo "| latency within 5% of bare | ×$lat_ratio | $(verdict "$lat_ratio <= 1.05") |"
        echo "| bandwidth within 5% of bare | time ×$bw_ratio | $(verdict "$bw_ratio <= 1.05") |"
        echo "| qrun adds ≤ 2 ms to a step's start | $start_diff ms | $(verdict "$start_diff <= 2") |"
        echo
        echo "Each run: \`mpi_probe pingpong BYTES N\` bare, \`qrun --join m.ini -- mpi_probe ...\`"
        echo "under qrun; raw microseconds per message: latency bare ${lat[bare]}/ qrun ${lat[qrun]};"
        echo "4 MiB bare ${bw[bare]}/ qrun ${bw[qrun]}."
        echo
        echo "$start_table"
} >"$out"
cat "$out"
assemble_results
