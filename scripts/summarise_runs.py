#!/usr/bin/env python3
"""Best-epoch and last-five-epoch valid figures of trainer runs (the columns of BENCHMARKS.md's tables).

Usage: python3 scripts/summarise_runs.py RUN_DIR... (each holding the report.json that `trainer` writes,
or checkpoint/state.json for a run still in progress). Runs named NAME-sSEED are grouped by NAME and
averaged over their seeds. Standard library only.
"""
import collections
import json
import os
import sys

KEYS = ("valid_track_accuracy", "valid_segment_accuracy", "valid_balanced_accuracy")


def history(run):
    for rel in ("report.json", os.path.join("checkpoint", "state.json")):
        path = os.path.join(run, rel)
        if os.path.isfile(path):
            with open(path) as f:
                return json.load(f)["history"]
    raise SystemExit(f"{run}: no report.json or checkpoint/state.json")


def summary(h):
    track = [e["valid_track_accuracy"] for e in h]
    # The epoch early stopping would export: best track accuracy, then lowest valid loss.
    best = max(range(len(h)), key=lambda i: (track[i], -h[i]["valid_loss"]))
    last = h[-5:]
    return [track[best]] + [sum(e[k] for e in last) / len(last) for k in KEYS], len(h)


def main(runs):
    groups = collections.defaultdict(list)
    for run in runs:
        name = os.path.basename(os.path.normpath(run))
        base, _, seed = name.rpartition("-s")
        groups[base if seed.isdigit() else name].append((name, *summary(history(run))))
    print("run                       epochs  best track | last 5: track  segment  balanced")
    for base, rows in groups.items():
        for name, s, n in rows:
            print(f"{name:26s}{n:6d}  {s[0]*100:9.1f}  | {s[1]*100:13.1f}  {s[2]*100:7.1f}  {s[3]*100:8.1f}")
        if len(rows) > 1:
            mean = [sum(r[1][i] for r in rows) / len(rows) * 100 for i in range(4)]
            print(f"{'  mean of ' + str(len(rows)):26s}{'':6s}  {mean[0]:9.1f}  | {mean[1]:13.1f}  {mean[2]:7.1f}  {mean[3]:8.1f}")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    main(sys.argv[1:])
