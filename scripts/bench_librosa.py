#!/usr/bin/env python3
"""Time librosa 0.11 on the clip that `cargo bench -p genre --bench features` uses, single-threaded.

Run by hand in the reference environment (scripts/requirements-ref.txt):

    /work/cache/venv-ref/bin/python scripts/bench_librosa.py [--data ../shared/data] [--repeat 20]

The clip is the first 30 s (661 500 samples) of gtzan/blues/blues.00000.ogg, loaded with
librosa.load(sr=22050, mono=True). Timed (best of --repeat runs, after one warm-up run):

- librosa, as usually written: chroma_stft(y, tuning=0.0) + power_to_db(melspectrogram(y)) + mfcc(y)
  (three STFTs: mfcc computes its own mel spectrogram);
- librosa, one shared STFT: S = |stft(y)|**2, then chroma_stft(S=S, tuning=0.0), melspectrogram(S=S),
  power_to_db, mfcc(S=dB): the least work librosa can do for the same three outputs;
- the same shared-STFT variant on ten 3-s segments (what the Rust benchmark's `ten_segments` does);
- the "FFT floor": plain framing (numpy stride tricks) + scipy.fft.rfft in float32 of the
  centred, Hann-windowed frames, then |X|^2: just the STFT power, no features.

Everything runs on one thread: OMP/OPENBLAS/MKL/NUMBA thread counts are set to 1 before numpy loads, and
OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE (which some machines set, and which slow numpy down here) are unset for
this process only.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS",
             "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"
for _var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
    os.environ.pop(_var, None)

import argparse  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

SR = 22050
CLIP = 30 * SR
SEG = 66150
REPO = Path(__file__).resolve().parent.parent


def best_of(fn, repeat: int) -> float:
    fn()  # warm-up (numba JIT, filterbank caches)
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    import librosa
    import scipy
    import scipy.fft
    import scipy.signal

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()

    path = args.data / "gtzan" / "blues" / "blues.00000.ogg"
    y, _ = librosa.load(path, sr=SR, mono=True)
    assert len(y) >= CLIP, f"{path}: only {len(y)} samples"
    y = np.ascontiguousarray(y[:CLIP], dtype=np.float32)

    def naive():
        chroma = librosa.feature.chroma_stft(y=y, sr=SR, tuning=0.0)
        mel_db = librosa.power_to_db(librosa.feature.melspectrogram(y=y, sr=SR))
        mfcc = librosa.feature.mfcc(y=y, sr=SR)
        return chroma, mel_db, mfcc

    def shared(x):
        S = np.abs(librosa.stft(x)) ** 2
        chroma = librosa.feature.chroma_stft(S=S, sr=SR, tuning=0.0)
        mel_db = librosa.power_to_db(librosa.feature.melspectrogram(S=S, sr=SR))
        mfcc = librosa.feature.mfcc(S=mel_db, sr=SR)
        return chroma, mel_db, mfcc

    # check the shared variant gives the same numbers as the naive one
    a, b = naive(), shared(y)
    for u, v in zip(a, b):
        assert u.shape == v.shape and np.allclose(u, v, atol=1e-4), "shared-STFT variant differs"

    segments = [y[i * SEG:(i + 1) * SEG] for i in range(10)]

    window = scipy.signal.get_window("hann", 2048, fftbins=True).astype(np.float32)

    def fft_floor():
        x = np.pad(y, (1024, 1024))
        frames = np.lib.stride_tricks.sliding_window_view(x, 2048)[::512]
        X = scipy.fft.rfft(frames * window, axis=-1)
        return X.real**2 + X.imag**2

    assert fft_floor().shape == (1 + CLIP // 512, 1025)

    r = args.repeat
    t_naive = best_of(naive, r)
    t_shared = best_of(lambda: shared(y), r)
    t_segments = best_of(lambda: [shared(s) for s in segments], r)
    t_floor = best_of(fft_floor, r)

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cpus, "
          f"load average {os.getloadavg()[0]:.2f}")
    print(f"python {platform.python_version()}, librosa {librosa.__version__}, numpy {np.__version__}, "
          f"scipy {scipy.__version__}; single thread; best of {r}")
    print(f"clip: {path} (first 30 s, {CLIP} samples, {1 + CLIP // 512} frames)")
    print(f"librosa, three calls as usually written : {t_naive * 1e3:8.2f} ms")
    print(f"librosa, one shared STFT                : {t_shared * 1e3:8.2f} ms")
    print(f"librosa, one shared STFT, 10 x 3-s segs : {t_segments * 1e3:8.2f} ms")
    print(f"FFT floor: scipy float32 rfft STFT power: {t_floor * 1e3:8.2f} ms")


if __name__ == "__main__":
    main()
