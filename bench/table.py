#!/usr/bin/env python3
"""Prints hyperfine JSON exports as Markdown tables of ratios.

Usage: bench/table.py target/bench/*.json. The first command of each file is
the baseline; each row gives the median, the min–max, the ratio of medians
to the baseline and, when rss.tsv (bench/lib.sh) is next to the file, the
peak RSS of one run."""
import json
import os
import statistics
import sys


def ms(seconds):
    return f"{seconds * 1000:.1f} ms"


def rss_of(directory):
    rss = {}
    try:
        with open(os.path.join(directory, "rss.tsv")) as f:
            for line in f:
                name, _, kib = line.rstrip("\n").partition("\t")
                if kib.isdigit():
                    rss[name] = int(kib)
    except OSError:
        pass
    return rss


for path in sys.argv[1:]:
    rss = rss_of(os.path.dirname(path) or ".")
    with open(path) as f:
        results = json.load(f)["results"]
    if not results:
        continue
    base = statistics.median(results[0]["times"])
    print(f"\n{path.rsplit('/', 1)[-1]}\n")
    print("| contender | median | min–max | ratio | peak RSS |")
    print("|---|---|---|---|---|")
    for r in results:
        median = statistics.median(r["times"])
        name = r["command"].replace("|", "\\|")
        peak = rss.get(r["command"])
        peak = f"{peak / 1024:.1f} MiB" if peak else "–"
        print(f"| {name} | {ms(median)} | {ms(min(r['times']))}–{ms(max(r['times']))} | {median / base:.2f}× | {peak} |")
