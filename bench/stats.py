#!/usr/bin/env python3
"""Pools hyperfine JSON exports and prints a markdown table of medians.

    stats.py REFERENCE_NAME NAME=FILE.json[,FILE.json...] ...

Each NAME pools the "times" of every file given for it (rounds taken
alternately, so that drift on a noisy machine hits every command alike).
Ratios are median(NAME) / median(REFERENCE_NAME).
"""
import json
import statistics
import sys


def pct(values, p):
    values = sorted(values)
    k = (len(values) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def main():
    ref = sys.argv[1]
    rows = {}
    for arg in sys.argv[2:]:
        name, files = arg.split("=", 1)
        times, user, system = [], [], []
        for f in files.split(","):
            for r in json.load(open(f))["results"]:
                times += r["times"]
                n = len(r["times"])
                user += [r["user"]] * n
                system += [r["system"]] * n
        rows[name] = dict(n=len(times), median=statistics.median(times), p95=pct(times, 0.95),
                          user=statistics.mean(user), system=statistics.mean(system))
    base = rows[ref]["median"]
    print("| command | runs | median | p95 | user | system | ratio to %s |" % ref)
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, r in rows.items():
        print("| %s | %d | %.3f ms | %.3f ms | %.3f ms | %.3f ms | %.2f× |" % (
            name, r["n"], r["median"] * 1e3, r["p95"] * 1e3, r["user"] * 1e3, r["system"] * 1e3,
            r["median"] / base))


if __name__ == "__main__":
    main()
