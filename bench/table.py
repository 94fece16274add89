#!/usr/bin/env python3
"""Prints hyperfine JSON exports as Markdown tables of ratios.

Usage: bench/table.py target/bench/*.json. The first command of each file is
the baseline; each row gives the median, the min–max and the ratio of
medians to the baseline."""
import json
import statistics
import sys


def ms(seconds):
    return f"{seconds * 1000:.1f} ms"


for path in sys.argv[1:]:
    with open(path) as f:
        results = json.load(f)["results"]
    if not results:
        continue
    base = statistics.median(results[0]["times"])
    print(f"\n{path.rsplit('/', 1)[-1]}\n")
    print("| contender | median | min–max | ratio |")
    print("|---|---|---|---|")
    for r in results:
        median = statistics.median(r["times"])
        name = r["command"].replace("|", "\\|")
        print(f"| {name} | {ms(median)} | {ms(min(r['times']))}–{ms(max(r['times']))} | {median / base:.2f}× |")
