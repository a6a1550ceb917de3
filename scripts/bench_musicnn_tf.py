#!/usr/bin/env python3
"""TensorFlow's CPU time for musicnn's MSD network on the 10 patches of a 30-s clip, the reference for
`cargo bench -p genre --bench musicnn` (run both in the same minute; BENCHMARKS.md has the figures).

    TF_USE_LEGACY_KERAS=1 /work/cache/venv-tf/bin/python scripts/bench_musicnn_tf.py [--wheel WHL] [--threads N]

The same patch as the Rust benchmark (tests/fixtures/musicnn/gtzan_disco_00028.bin's log-mel, ten times),
one batch of 10, the graph of musicnn's own models.py restored from the checkpoint in the wheel.
"""

from __future__ import annotations

import argparse
import os
import statistics
import struct
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import import_musicnn as im  # noqa: E402


def patch() -> np.ndarray:
    b = (im.REPO / "tests/fixtures/musicnn/gtzan_disco_00028.bin").read_bytes()
    frames, mels, _, _, n, _, plen = struct.unpack_from("<7I", b, 8)
    off = 40 + plen + 2 * n
    return np.frombuffer(b, "<f4", frames * mels, off).reshape(frames, mels)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--wheel", type=Path)
    ap.add_argument("--threads", type=int, default=0, help="intra-op threads (0: TF's default)")
    ap.add_argument("--runs", type=int, default=10)
    args = ap.parse_args()
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    import tensorflow as tf

    if args.threads:
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        wheel = im.get_wheel(args.wheel, work)
        with zipfile.ZipFile(wheel) as z:
            z.extractall(work / "wheel")
        model = im.TfModel(work / "wheel", str(work / "wheel") + "/" + im.CHECKPOINT)
        x = np.stack([patch()] * 10)
        model.run(x)  # warm up
        times = []
        for _ in range(args.runs):
            t = time.perf_counter()
            model.run(x)
            times.append(time.perf_counter() - t)
        print(f"TensorFlow {tf.__version__}, 10 patches: best {1e3 * min(times):.0f} ms, "
              f"median {1e3 * statistics.median(times):.0f} ms over {args.runs} runs")


if __name__ == "__main__":
    main()
