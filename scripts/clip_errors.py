#!/usr/bin/env python3
"""Which clips several models get wrong: the clip-level error overlap behind BENCHMARKS.md's "Against the targets".

Usage: python3 scripts/clip_errors.py MODEL.jsonl...  where each file is the output of
`trainer classify --model RUN/model.genre --json CLIP...` on the same clips (one JSON object per line; the true
label is the file name's prefix, as in GTZAN's <genre>.NNNNN). Prints each model's track accuracy, how many clips
are wrong in k of the models for every k, the accuracy of the mean of their probabilities, and the best track
accuracy any model could reach if it fixed only the clips that at least one model gets right. Standard library only.
"""
import json
import os
import sys


def load(path):
    with open(path) as f:
        rows = [json.loads(line) for line in f if line.strip()]
    if not rows:
        raise SystemExit(f"{path}: no classify output")
    return rows


def argmax(xs):
    return max(range(len(xs)), key=xs.__getitem__)


def main(paths):
    if not paths:
        raise SystemExit(__doc__)
    runs = {p: load(p) for p in paths}
    first = runs[paths[0]]
    labels = first[0]["labels"]
    names = [os.path.basename(r["file"]) for r in first]
    for p, rows in runs.items():
        if [os.path.basename(r["file"]) for r in rows] != names or rows[0]["labels"] != labels:
            raise SystemExit(f"{p}: not the same clips and labels as {paths[0]}")
    unknown = [n for n in names if n.split(".")[0] not in labels]
    if unknown:
        raise SystemExit(f"no label in the file name (<label>.NNNNN.ext) of: {' '.join(unknown)}")
    truth = [labels.index(n.split(".")[0]) for n in names]
    wrong = {p: [argmax(r["probabilities"]) != t for r, t in zip(rows, truth)] for p, rows in runs.items()}
    n = len(names)
    for p in paths:
        print(f"{100 * (1 - sum(wrong[p]) / n):5.1f} %  {p}")
    counts = [sum(wrong[p][i] for p in paths) for i in range(n)]
    for k in range(len(paths), 0, -1):
        clips = [names[i] for i in range(n) if counts[i] == k]
        if clips:
            print(f"wrong in {k:2d} of {len(paths)} models: {len(clips):3d} clips  {' '.join(clips)}")
    print(f"right in every model: {counts.count(0)} of {n} clips")
    mean_right = sum(
        argmax([sum(runs[p][i]["probabilities"][c] for p in paths) for c in range(len(labels))]) == truth[i]
        for i in range(n)
    )
    print(f"mean of the {len(paths)} models' probabilities: {100 * mean_right / n:.1f} % track accuracy")
    never = counts.count(len(paths))
    print(f"clips no model gets right: {never}; at most {100 * (n - never) / n:.1f} % for a model that fixes all others")


if __name__ == "__main__":
    main(sys.argv[1:])
