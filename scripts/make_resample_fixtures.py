#!/usr/bin/env python3
"""Write the resampler's reference fixtures (`tests/fixtures/resample/<name>.bin`), read by
`tests/resample_reference.rs` (native) and the browser tests.

Run by hand (not by CI), in the pinned reference environment (`scripts/requirements-ref.txt`):

    /work/cache/venv-ref/bin/python scripts/make_resample_fixtures.py

Each fixture is a music-like test signal (a sum of sines from 40 Hz up to 0.45 of the lower rate, with
random amplitudes and phases, plus a little noise low-passed below the same frequency) at one rate, and
resampy 0.4.3's `kaiser_best` output for it at another rate. `src/resample.rs` uses the same filter settings
(50 zero crossings, roll-off 0.917347, Kaiser beta 12.98472) as exact polyphase phases, where resampy
interpolates a table of 8192 points per zero crossing and does not renormalise each phase: the two agree to
about 1e-5 of full scale.

Layout (little-endian): b"RSMP", u32 version = 1, u32 from_hz, u32 to_hz, u32 n_in, u32 n_out, f32 scale,
i16[n_in] input (x = f32(pcm) * scale, the exact f32 samples resampy was given, as float64),
f32[n_out] resampy's output (`int(n_in * to / from)` samples, resampy's length).
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "tests" / "fixtures" / "resample"

CASES = [  # name, from, to, seconds
    ("22050_to_16000", 22050, 16000, 0.5),
    ("44100_to_22050", 44100, 22050, 0.25),
    ("48000_to_22050", 48000, 22050, 0.25),
    ("48000_to_16000", 48000, 16000, 0.25),
    ("44100_to_16000", 44100, 16000, 0.25),
    ("16000_to_22050", 16000, 22050, 0.5),
]


def signal(rate: int, top_hz: float, n: int, seed: int) -> np.ndarray:
    import scipy.signal

    rng = np.random.default_rng(seed)
    t = np.arange(n) / rate
    freqs = np.geomspace(40.0, top_hz, 40)
    x = sum(
        rng.uniform(0.005, 0.04) * np.sin(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi)) for f in freqs
    )
    b, a = scipy.signal.butter(8, top_hz / (rate / 2))
    x = x + 0.05 * scipy.signal.lfilter(b, a, rng.standard_normal(n))
    return x


def main() -> None:
    import resampy

    assert resampy.__version__ == "0.4.3", resampy.__version__
    OUT.mkdir(parents=True, exist_ok=True)
    for i, (name, src, dst, seconds) in enumerate(CASES):
        n = int(src * seconds)
        x = signal(src, 0.45 * min(src, dst), n, 20261201 + i)
        peak = float(np.max(np.abs(x)))
        scale = np.float32(peak / 32767.0)
        pcm = np.clip(np.round(x / np.float64(scale)), -32768, 32767).astype("<i2")
        y_in = (pcm.astype(np.float32) * scale).astype(np.float64)
        y = resampy.resample(y_in, src, dst, filter="kaiser_best", parallel=False)
        with open(OUT / f"{name}.bin", "wb") as f:
            f.write(b"RSMP")
            f.write(struct.pack("<5I", 1, src, dst, n, len(y)))
            f.write(struct.pack("<f", float(scale)))
            f.write(pcm.tobytes())
            f.write(np.ascontiguousarray(y, dtype="<f4").tobytes())
        print(f"{name}: {n} -> {len(y)} samples, peak {np.abs(y).max():.3f}")


if __name__ == "__main__":
    main()
