#!/usr/bin/env python3
"""Two samples' medians against each other, with a bootstrap 95% interval.

    median_diff.py [--ratio] REF=SAMPLE NAME=SAMPLE

A SAMPLE is hyperfine JSON files (FILE.json[,FILE.json...], each side's
"times" pooled as stats.py does) or a list of numbers separated by spaces.
Prints "DIFF LOW HIGH": median(NAME) - median(REF) in ms (for hyperfine's
seconds), or with --ratio median(NAME) / median(REF); LOW and HIGH are the
2.5th and 97.5th percentiles of the same statistic over 2,000 resamples of
both sides (a fixed seed: the same samples give the same interval). A step
of srun takes about 200 ms with a spread of tens, and an MPI run's time per
message varies by a quarter from run to run, so a difference of a few ms or
per cent needs its interval beside it.
"""
import json
import random
import statistics
import sys


def sample(arg):
    spec = arg.split("=", 1)[1]
    if not spec.endswith(".json"):
        return [float(v) for v in spec.split()]
    out = []
    for f in spec.split(","):
        for r in json.load(open(f))["results"]:
            out += r["times"]
    return out


def main():
    ratio = sys.argv[1] == "--ratio"
    ref, other = sample(sys.argv[1 + ratio]), sample(sys.argv[2 + ratio])
    stat = (lambda o, r: o / r) if ratio else (lambda o, r: (o - r) * 1e3)
    rng = random.Random(1)
    boots = sorted(
        stat(statistics.median(rng.choices(other, k=len(other))),
             statistics.median(rng.choices(ref, k=len(ref)))) for _ in range(2000))
    point = stat(statistics.median(other), statistics.median(ref))
    fmt = "%.3f %.3f %.3f" if ratio else "%+.2f %+.2f %+.2f"
    print(fmt % (point, boots[49], boots[1949]))


if __name__ == "__main__":
    main()
