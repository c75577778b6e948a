#!/usr/bin/env python3
"""Per-process CPU time (or events) of a launcher, from `perf script`.

    perf script --show-task-events -F comm,pid,ip,sym,dso -i perf.data |
        perf_roles.py LAUNCHES NS_PER_SAMPLE ROLE1,ROLE2,...

The recording is `perf record -e task-clock -c NS_PER_SAMPLE [-g]` (or
`-e page-faults -c 1` with NS_PER_SAMPLE 0: samples are counted, not timed)
of `throughput LAUNCHES 1 LAUNCHER ...` (bench/throughput.c). A process's role
is its depth below throughput: ROLE1 for the launcher it starts, ROLE2 for the
launcher's child, and so on (qrun: monitor, init, command; floor: floor,
command). Kernel samples (leaf address in the kernel) are put in a bucket: the
system call found in the call chain, "page fault", or "other kernel" (the
scheduler, interrupts, the return from fork). Prints a markdown table per role:
CPU per launch (or events per launch), user and kernel, the largest buckets.
"""
import collections
import re
import sys

FORK = re.compile(r"PERF_RECORD_FORK\((\d+):\d+\):\((\d+):\d+\)")
EXEC = re.compile(r"PERF_RECORD_COMM exec: (\S+):(\d+)/")
SYSCALL = re.compile(r"^__(?:x64|do)_sys_(\w+)$")


def kernel_bucket(frames):
    for sym in frames:
        if sym in ("exc_page_fault", "asm_exc_page_fault", "do_user_addr_fault"):
            return "page fault"
        m = SYSCALL.match(sym)
        if m:
            return m.group(1)
    return "other kernel"


def parse(stream):
    parent, driver, samples = {}, None, []
    header, frames = None, []

    def flush():
        if header:
            samples.append((header, frames))

    for line in stream:
        m = FORK.search(line)
        if m:
            parent[int(m.group(1))] = int(m.group(2))
            continue
        m = EXEC.search(line)
        if m:
            if m.group(1) == "throughput":
                driver = int(m.group(2))
            continue
        if "PERF_RECORD" in line:
            continue
        if not line.strip():
            flush()
            header, frames = None, []
        elif line[0] not in " \t":
            flush()
            parts = line.split()
            header, frames = (parts[0], int(parts[1]), parts[2:]), []
        else:
            parts = line.split()
            frames.append((parts[0], parts[1] if len(parts) > 1 else "?"))
    flush()
    return parent, driver, samples


def depth(pid, parent, driver):
    d = 0
    while pid in parent and pid != driver:
        pid, d = parent[pid], d + 1
    return d if pid == driver else None


def main():
    launches, ns, roles = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3].split(",")
    parent, driver, samples = parse(sys.stdin)
    per_role = collections.defaultdict(collections.Counter)
    for (comm, pid, rest), frames in samples:
        d = depth(pid, parent, driver)
        if not d or d > len(roles):
            continue
        # Without -g the sample line carries ip and symbol itself.
        chain = frames if frames else [tuple(rest[:2])] if len(rest) >= 2 else []
        leaf = chain[0][0] if chain else "0"
        kernel = leaf.startswith("ffffffff")
        bucket = kernel_bucket([s for _, s in chain]) if kernel else "user"
        per_role[roles[d - 1]][bucket] += 1
    unit = "CPU µs" if ns else "events"
    scale = (ns / 1000.0) if ns else 1.0
    print("| process | %s per launch | user | kernel | largest kernel parts |" % unit)
    print("|---|---:|---:|---:|---|")
    for role in roles:
        c = per_role[role]
        total = sum(c.values())
        user = c["user"]
        parts = [(b, n) for b, n in c.most_common() if b != "user"][:4]
        desc = ", ".join("%s %.0f" % (b, n * scale / launches) for b, n in parts)
        print("| %s | %.0f | %.0f | %.0f | %s |" % (role, total * scale / launches,
                                                    user * scale / launches,
                                                    (total - user) * scale / launches, desc))


if __name__ == "__main__":
    main()
