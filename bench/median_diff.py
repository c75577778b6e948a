#!/usr/bin/env python3
"""The difference of two commands' median times, with a bootstrap 95% interval.

    median_diff.py REF=FILE.json[,FILE.json...] NAME=FILE.json[,...]

Pools each side's hyperfine "times" (as stats.py does) and prints, in ms,
"DIFF LOW HIGH": median(NAME) - median(REF) and the 2.5th and 97.5th
percentiles of that difference over 2,000 resamples of both sides (a fixed
seed: the same files give the same interval). A step of srun takes about
200 ms with a spread of tens, so a difference of a few ms needs its interval
beside it.
"""
import json
import random
import statistics
import sys


def times(arg):
    out = []
    for f in arg.split("=", 1)[1].split(","):
        for r in json.load(open(f))["results"]:
            out += r["times"]
    return out


def main():
    ref, other = times(sys.argv[1]), times(sys.argv[2])
    rng = random.Random(1)
    diffs = sorted(
        statistics.median(rng.choices(other, k=len(other))) -
        statistics.median(rng.choices(ref, k=len(ref))) for _ in range(2000))
    diff = statistics.median(other) - statistics.median(ref)
    print("%+.2f %+.2f %+.2f" % (diff * 1e3, diffs[49] * 1e3, diffs[1949] * 1e3))


if __name__ == "__main__":
    main()
