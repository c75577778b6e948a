#!/usr/bin/env python3
"""Where a process's CPU time went, from `perf script` output, in buckets.

    perf script -F comm,ip,sym,dso -i perf.data | perf_buckets.py HZ LIB=ARCHIVE.a ...

The recording is `perf record -F HZ -g` (cpu-clock) of a statically linked,
unstripped binary. Each sample is put in one bucket:
- user code: by the static library that defines its symbol (LIB=ARCHIVE.a
  pairs, looked up with nm), else "BINARY: own code";
- kernel code: by the system call found in its call chain (__x64_sys_NAME,
  or ksys_NAME where the wrapper was inlined: "kernel: NAME"), the release
  of closed files on the way back to user space, page faults, interrupts;
- other programs (the wrapper before exec, mksquashfs): by their name.
Prints a markdown table: bucket, samples, share, CPU ms (samples / HZ).
"""
import collections
import re
import subprocess
import sys

SYSCALL = re.compile(r"^__(?:x64|ia32|se|do)_sys_(\w+)$")
HANDLER = re.compile(r"^(?:ksys|do_sys)_(\w+)$")


def library_symbols(pairs):
    owner = {}
    for pair in pairs:
        lib, archive = pair.split("=", 1)
        out = subprocess.run(["nm", "--defined-only", archive], capture_output=True, text=True).stdout
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[1] in "TtWw":
                owner.setdefault(parts[2], lib)
    return owner


def samples(stream):
    """Yields (comm, [(symbol, dso), ...] leaf first) per sample."""
    comm, frames = None, []
    for line in stream:
        if not line.strip():
            if comm is not None:
                yield comm, frames
            comm, frames = None, []
        elif not line[0].isspace():
            if comm is not None:
                yield comm, frames
            comm, frames = line.split()[0], []
        else:
            m = re.match(r"\s*[0-9a-f]+\s+(.*?)\s+\((.*)\)\s*$", line)
            if m:
                frames.append((m.group(1).split("+")[0], m.group(2)))
    if comm is not None:
        yield comm, frames


def kernel_bucket(syms):
    """syms: the kernel frames, leaf first."""
    for s in syms:
        m = SYSCALL.match(s)
        if m:
            return "kernel: " + m.group(1)
    if "do_syscall_64" in syms:
        i = syms.index("do_syscall_64")
        handler = syms[i - 1] if i > 0 else ""
        m = HANDLER.match(handler)
        if m:  # the __x64_sys_ wrapper was inlined (x64_sys_call's switch)
            return "kernel: " + m.group(1)
        if "__fput" in syms:
            return "kernel: releasing closed files (__fput on return to user)"
        return "kernel: system call entry and exit"
    if "asm_exc_page_fault" in syms or "exc_page_fault" in syms:
        return "kernel: page faults"
    if any(s.startswith(("asm_sysvec_", "asm_common_interrupt")) for s in syms):
        return "kernel: interrupts (timer, I/O completion, softirqs)"
    return "kernel: other"


def bucket(comm, frames, owner, binary):
    if not frames:
        return comm + ": unknown"
    sym, dso = frames[0]
    if dso == "[kernel.kallsyms]":
        return kernel_bucket([s for s, d in frames if d == "[kernel.kallsyms]"])
    if comm != binary:
        return comm + " (another program)"
    if sym in owner:
        return owner[sym]
    return binary + ": own code" if dso.endswith(binary) else comm + ": " + dso


def main():
    hz = float(sys.argv[1])
    binary = sys.argv[2]
    owner = library_symbols(sys.argv[3:])
    counts = collections.Counter()
    for comm, frames in samples(sys.stdin):
        counts[bucket(comm, frames, owner, binary)] += 1
    total = sum(counts.values()) or 1
    print("| where | samples | share | CPU ms |")
    print("|---|---:|---:|---:|")
    for name, n in counts.most_common():
        if n * 200 < total:  # under 0.5 %: pooled below
            continue
        print("| %s | %d | %.1f %% | %.0f |" % (name, n, 100.0 * n / total, n / hz * 1e3))
    rest = sum(n for n in counts.values() if n * 200 < total)
    if rest:
        print("| everything under 0.5 %% each | %d | %.1f %% | %.0f |" % (rest, 100.0 * rest / total, rest / hz * 1e3))
    print("| **total** | %d | 100 %% | %.0f |" % (total, total / hz * 1e3))


if __name__ == "__main__":
    main()
