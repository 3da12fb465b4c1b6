#!/usr/bin/env python3
"""Medians and ratios of the bench/*-vs-nginx.sh runs.

Reads lines "RUN SIDE requests/s p99-ms non-2xx cpu-us-per-request [MB/s]" (one per wrk run) from the file given and
prints, per side, the median requests/s, p99 and CPU per request; every Slipway side against nginx; and, when both
`slipway` (metrics on) and `slipway-off` were measured, metrics on / off, run by run and of the medians (the goal of
docs/operations.md: within 5%). An optional second argument labels the lines (the file of the static benchmark).
"""
import statistics
import sys

rows = [line.split() for line in open(sys.argv[1]) if line.strip()]
label = (sys.argv[2] + ": ") if len(sys.argv) > 2 else ""
sides = []
for row in rows:
    if row[1] not in sides:
        sides.append(row[1])
runs = {}
for row in rows:
    runs.setdefault(row[1], {})[int(row[0])] = [float(x) for x in row[2:]]


def median(side, column):
    return statistics.median(values[column] for values in runs[side].values())


for side in sides:
    mbps = f"  {median(side, 4):8.1f} MB/s" if all(len(v) > 4 for v in runs[side].values()) else ""
    print(f"{label}median  {side:11s} {median(side, 0):8.0f} req/s  p99 {median(side, 1):7.2f} ms  {median(side, 3):6.2f} µs CPU/request{mbps}")
for side in sides:
    if side == "nginx" or "nginx" not in runs:
        continue
    print(f"{label}ratio {side}/nginx (requests/s, medians): {median(side, 0) / median('nginx', 0):.2f};"
          f" CPU per request: {median(side, 3) / median('nginx', 3):.2f}")
if "slipway" in runs and "slipway-off" in runs:
    pairs = [runs["slipway"][run][0] / runs["slipway-off"][run][0] for run in sorted(runs["slipway"]) if run in runs["slipway-off"]]
    print(f"{label}metrics on/off, each run (requests/s): " + " ".join(f"{p:.3f}" for p in pairs))
    ratio = median("slipway", 0) / median("slipway-off", 0)
    cpu = median("slipway", 3) / median("slipway-off", 3)
    print(f"{label}metrics on/off (requests/s, medians): {ratio:.3f}; CPU per request: {cpu:.3f}"
          f" ({'within' if ratio >= 0.95 else 'NOT within'} 5%)")
if any(values[2] for side in runs.values() for values in side.values()):
    print(f"{label}warning: some responses were not 2xx/3xx")
