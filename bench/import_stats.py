#!/usr/bin/env python3
"""Tables for bench/import.sh.

    import_stats.py timing RESULTS
        RESULTS: lines "FS NAME ROUND WALL_S USER_S SYS_S MAXRSS_KB" (GNU time).
        Prints, per filesystem, medians and ratios to the floor (GNU tar of
        the same layers), then the targets with their verdicts.
    import_stats.py median RESULTS FS NAME FIELD
        One median (seconds, or KiB for rss): FIELD is wall, user, sys, cpu or rss.
    import_stats.py syscalls ENTRIES NAME=STRACE_C_FILE...
        Prints the system calls each made (strace -c -f), per tar entry.
"""
import collections
import statistics
import sys

LABELS = {
    "tar_gz": "GNU tar -xzf, each gzip layer (floor)",
    "qrun_gz": "**qrun import**, gzip layers",
    "umoci_gz": "umoci unpack --rootless, gzip layers",
    "tar_zst": "GNU tar -x -I zstd, each zstd layer (floor)",
    "qrun_zst": "**qrun import**, zstd layers",
    "tar_sq": "GNU tar -xzf + mksquashfs (floor)",
    "qrun_sq": "**qrun import --squashfs**",
}
FLOOR = {"tar_gz": "tar_gz", "qrun_gz": "tar_gz", "umoci_gz": "tar_gz", "tar_zst": "tar_zst",
         "qrun_zst": "tar_zst", "tar_sq": "tar_sq", "qrun_sq": "tar_sq"}
GROUPS = [["tar_gz", "qrun_gz", "umoci_gz", "tar_zst", "qrun_zst"], ["tar_sq", "qrun_sq"]]


def load(path):
    runs = collections.defaultdict(dict)  # (fs, name) -> round -> (wall, user, sys, rss)
    for line in open(path):
        fs, name, rnd, wall, user, system, rss = line.split()
        runs[(fs, name)][rnd] = (float(wall), float(user), float(system), int(rss))
    return runs


def med(values):
    return statistics.median(values)


def paired(runs, fs, a, b):
    """Per-round ratios a/b of wall time, rounds both ran in."""
    ra, rb = runs.get((fs, a), {}), runs.get((fs, b), {})
    return [ra[r][0] / rb[r][0] for r in ra if r in rb]


def table(runs, fs, names):
    print("| command | runs | wall, median (min–max) | CPU user+sys | user | sys | peak RSS | wall ÷ floor | "
          "CPU ÷ floor | wall ÷ floor, per round: median (min–max) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name in names:
        r = runs.get((fs, name))
        if not r:
            continue
        wall = [v[0] for v in r.values()]
        cpu = [v[1] + v[2] for v in r.values()]
        f = runs[(fs, FLOOR[name])]
        fwall, fcpu = med([v[0] for v in f.values()]), med([v[1] + v[2] for v in f.values()])
        p = paired(runs, fs, name, FLOOR[name])
        print("| %s | %d | %.2f s (%.2f–%.2f) | %.2f s | %.2f s | %.2f s | %.1f MiB | %.2f× | %.2f× | %.2f× (%.2f–%.2f) |" % (
            LABELS[name], len(r), med(wall), min(wall), max(wall), med(cpu), med([v[1] for v in r.values()]),
            med([v[2] for v in r.values()]), med([v[3] for v in r.values()]) / 1024, med(wall) / fwall,
            med(cpu) / fcpu, med(p), min(p), max(p)))


def wall(runs, fs, name):
    return med([v[0] for v in runs[(fs, name)].values()])


def targets(runs, fss):
    print("| target | filesystem | measured (ratio of medians; per-round median) | verdict |")
    print("|---|---|---|---|")
    for fs in fss:
        rows = [("qrun import ≤ 1.3× tar's wall time, gzip layers", "qrun_gz", "tar_gz", False),
                ("qrun import ≤ 1.3× tar's wall time, zstd layers", "qrun_zst", "tar_zst", False),
                ("qrun import ≥ 2× faster than umoci (gzip)", "umoci_gz", "qrun_gz", True),
                ("--squashfs ≤ 1.3× tar + mksquashfs", "qrun_sq", "tar_sq", False)]
        for text, a, b, faster in rows:
            if (fs, a) not in runs or (fs, b) not in runs:
                continue
            ratio = wall(runs, fs, a) / wall(runs, fs, b)
            p = med(paired(runs, fs, a, b))
            if faster:
                what = "umoci takes %.2f× qrun's time; %.2f×" % (ratio, p)
                met = ratio >= 2
            else:
                what = "%.2f×; %.2f×" % (ratio, p)
                met = ratio <= 1.3
            print("| %s | %s | %s | %s |" % (text, fs, what, "met" if met else "**missed**"))


def timing(path):
    runs = load(path)
    fss = list(dict.fromkeys(fs for fs, _ in runs))
    for fs in fss:
        for names in GROUPS:
            if any((fs, n) in runs for n in names):
                print("%s, output on **%s**:\n" % ("--squashfs" if "qrun_sq" in names else "Directories", fs))
                table(runs, fs, names)
                print()
    targets(runs, fss)


def strace_counts(path):
    counts = {}
    for line in open(path):
        parts = line.split()
        # % time, seconds, usecs/call, calls, [errors], syscall
        if len(parts) >= 5 and parts[0][0].isdigit() and parts[-1] != "total":
            counts[parts[-1]] = int(parts[3])
    return counts


def syscalls(entries, pairs):
    names = [p.split("=", 1)[0] for p in pairs]
    data = [strace_counts(p.split("=", 1)[1]) for p in pairs]
    calls = sorted(set().union(*data), key=lambda c: -max(d.get(c, 0) for d in data))
    print("| system call | " + " | ".join("%s: calls (per entry)" % n for n in names) + " |")
    print("|---|" + "---:|" * len(names))
    for c in calls:
        if max(d.get(c, 0) for d in data) < entries / 20:
            continue
        print("| %s | " % c + " | ".join("%d (%.2f)" % (d.get(c, 0), d.get(c, 0) / entries) for d in data) + " |")
    print("| **all** | " + " | ".join("%d (%.2f)" % (sum(d.values()), sum(d.values()) / entries) for d in data) + " |")


def one_median(path, fs, name, field):
    r = load(path)[(fs, name)].values()
    pick = {"wall": lambda v: v[0], "user": lambda v: v[1], "sys": lambda v: v[2],
            "cpu": lambda v: v[1] + v[2], "rss": lambda v: v[3]}[field]
    print("%.3f" % med([pick(v) for v in r]))


if __name__ == "__main__":
    if sys.argv[1] == "timing":
        timing(sys.argv[2])
    elif sys.argv[1] == "median":
        one_median(*sys.argv[2:6])
    else:
        syscalls(int(sys.argv[2]), sys.argv[3:])
