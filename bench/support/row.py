#!/usr/bin/env python3
"""Appends one figure to $BENCH_RESULTS/results.tsv from shell-driven benchmarks (wrk,
callgrind) — the same row format as support/results.cpp:
    row.py BENCHMARK VARIANT METRIC SAMPLE [SAMPLE ...]
and prints it."""
import os
import statistics
import sys

benchmark, variant, metric, *raw = sys.argv[1:]
if not raw:
    sys.exit("row.py: no samples")
samples = sorted(float(x) for x in raw)
path = os.path.join(os.environ.get("BENCH_RESULTS", "."), "results.tsv")
new = not os.path.exists(path) or os.path.getsize(path) == 0
with open(path, "a") as out:
    if new:
        out.write("benchmark\tvariant\tmetric\tmedian\tmin\tmax\truns\n")
    out.write(f"{benchmark}\t{variant}\t{metric}\t{statistics.median(samples):.6g}\t"
              f"{samples[0]:.6g}\t{samples[-1]:.6g}\t{len(samples)}\n")
print(f"  {variant:<22} {metric:<24} {statistics.median(samples):12.4g} "
      f"{samples[0]:.4g} – {samples[-1]:.4g} ({len(samples)} runs)")
