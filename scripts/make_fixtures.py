#!/usr/bin/env python3
"""Write the librosa reference fixtures that tests/features_reference.rs and tests/wasm_features.rs check.

Run by hand (not by CI), in the pinned reference environment:

    python3 -m venv /work/cache/venv-ref
    /work/cache/venv-ref/bin/pip install -r scripts/requirements-ref.txt
    /work/cache/venv-ref/bin/python scripts/make_fixtures.py [--data ../shared/data]

Each fixture is one 3-second input (66 150 samples at 22 050 Hz) and what librosa 0.11 computes from it with
its defaults (n_fft 2048, hop 512, periodic Hann, center=True, pad_mode="constant"):

    chroma  = librosa.feature.chroma_stft(y=x, sr=22050, tuning=0.0)                 # 12 x 130
    mel_db  = librosa.power_to_db(librosa.feature.melspectrogram(y=x, sr=22050))      # 128 x 130
    mfcc    = librosa.feature.mfcc(y=x, sr=22050)                                     # 20 x 130

File format (`tests/fixtures/<name>.bin`, all little-endian; see tests/fixtures/README.md):

    b"GFIX" u32 version=1
    u32 n_samples, u32 n_frames, u32 n_chroma, u32 n_mels, u32 n_mfcc
    f32 scale
    i16[n_samples] pcm            the input is exactly  x[i] = f32(pcm[i]) * scale  (an f32 product)
    f32[n_chroma * n_frames]      chroma, row-major [band][frame]
    f32[n_mels * n_frames]        mel dB
    f32[n_mfcc * n_frames]        MFCC

The input is stored as 16-bit PCM with one f32 scale (so that all fixtures together stay well under 3 MB), and
librosa is run on exactly those dequantised f32 samples, so the Rust side sees the very same input. The quiet sine
gets its own scale, so it keeps its full 16-bit resolution at 1e-6 amplitude.

PCEN references (`tests/fixtures/pcen/<name>.f32`, f32[n_mels * n_frames] row-major, no header) for a few of the
inputs above (PCEN_NAMES): the mel image the extractor gives with `FeatureParams::pcen` set to its defaults,

    S    = librosa.feature.melspectrogram(y=x, sr=22050) in float64, times 2**62 (the power of x scaled to int32)
    b    = librosa's rule for time_constant 0.4 s at hop 512
    pcen = librosa.pcen(S, sr=22050, zi=scipy.signal.lfilter_zi([b], [1, b - 1]) * S[:, :1])   # 128 x 130

(the smoother starts at steady state on the first frame; librosa's default zi starts it at 1).

Real clips (a GTZAN clip and a CC clip of the shared data folder) are NOT copied into the project: their fixtures
(`GREF`) hold only where the 3-s excerpt comes from and librosa's outputs for `librosa.load(clip)`'s samples; the
Rust test decodes the same excerpt from ../shared/data itself (symphonia; it differs from libvorbis by < 2e-7):

    b"GREF" u32 version=1
    u32 start, u32 n_samples, u32 n_frames, u32 n_chroma, u32 n_mels, u32 n_mfcc
    u32 path_len, utf-8 path (relative to the shared data folder)
    f32 chroma, f32 mel dB, f32 MFCC (as above)
"""

from __future__ import annotations

import argparse
import struct
import sys
from pathlib import Path

import numpy as np

SR = 22050
N = 66150  # 3 s
SEGMENT_START = 66150  # where the real-clip segment starts (the second 3-s segment of the clip)

PCEN_NAMES = ("sines", "chirp", "click", "noise", "gtzan_blues_00000")

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "tests" / "fixtures"


def synthetic() -> dict[str, np.ndarray]:
    """The synthetic 3-s signals, in float64 (quantised later)."""
    import scipy.signal

    t = np.arange(N, dtype=np.float64) / SR
    sig: dict[str, np.ndarray] = {}
    sig["sine_440"] = 0.5 * np.sin(2 * np.pi * 440.0 * t)
    # a C-major triad (C4 E4 G4) plus a 1 kHz tone and a low A2
    sig["sines"] = (
        0.25 * np.sin(2 * np.pi * 261.63 * t)
        + 0.2 * np.sin(2 * np.pi * 329.63 * t + 0.3)
        + 0.2 * np.sin(2 * np.pi * 392.00 * t + 1.1)
        + 0.1 * np.sin(2 * np.pi * 1000.0 * t)
        + 0.15 * np.sin(2 * np.pi * 110.0 * t + 2.0)
    )
    sig["chirp"] = 0.5 * scipy.signal.chirp(t, f0=100.0, t1=N / SR, f1=8000.0, method="logarithmic")
    rng = np.random.default_rng(20240611)
    sig["noise"] = np.clip(0.2 * rng.standard_normal(N), -1.0, 1.0)
    sig["silence"] = np.zeros(N)
    click = np.zeros(N)
    click[30001] = 0.9  # off the hop grid on purpose
    sig["click"] = click
    sig["quiet_sine"] = 1e-6 * np.sin(2 * np.pi * 440.0 * t)
    return sig


def real_segments(data: Path) -> dict[str, tuple[str, np.ndarray]]:
    """name -> (path relative to `data`, the float32 excerpt librosa decodes)."""
    import librosa

    out: dict[str, tuple[str, np.ndarray]] = {}
    blues = sorted((data / "gtzan" / "blues").glob("*.ogg"))
    picks = []
    if blues:
        picks.append(("gtzan_" + blues[0].stem.replace(".", "_"), blues[0]))
    vibe = data / "clips" / "Kevin_MacLeod_-_Vibe_Ace.ogg"
    if vibe.exists():
        picks.append(("vibe_ace", vibe))
    for name, path in picks:
        y, sr = librosa.load(path, sr=SR, mono=True)
        assert sr == SR
        seg = y[SEGMENT_START : SEGMENT_START + N]
        assert len(seg) == N, f"{path} is shorter than {SEGMENT_START + N} samples"
        print(f"  {name}: {path.relative_to(data)} samples {SEGMENT_START}..{SEGMENT_START + N}")
        out[name] = (path.relative_to(data).as_posix(), seg)
    if len(out) < 2:
        print(f"warning: only {len(out)} real clip(s) found under {data}", file=sys.stderr)
    return out


def quantise(x: np.ndarray) -> tuple[np.ndarray, np.float32, np.ndarray]:
    """16-bit PCM with one f32 scale; returns (pcm, scale, the exact f32 signal librosa and Rust both see)."""
    peak = float(np.max(np.abs(x)))
    scale = np.float32(peak / 32767.0) if peak > 0 else np.float32(1.0)
    pcm = np.clip(np.round(x / np.float64(scale)), -32768, 32767).astype("<i2")
    y = pcm.astype(np.float32) * scale  # f32 * f32 product, the same IEEE operation Rust does
    assert y.dtype == np.float32
    return pcm, scale, y


def reference(y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    import librosa

    chroma = librosa.feature.chroma_stft(y=y, sr=SR, tuning=0.0)
    mel_db = librosa.power_to_db(librosa.feature.melspectrogram(y=y, sr=SR))
    mfcc = librosa.feature.mfcc(y=y, sr=SR)
    for a in (chroma, mel_db, mfcc):
        assert a.dtype == np.float32, a.dtype
        assert np.all(np.isfinite(a))
    return chroma, mel_db, mfcc


def pcen_reference(y: np.ndarray) -> np.ndarray:
    import librosa
    import scipy.signal

    S = librosa.feature.melspectrogram(y=y, sr=SR).astype(np.float64) * 2.0**62
    t = 0.4 * SR / 512
    b = (np.sqrt(1 + 4 * t**2) - 1) / (2 * t**2)
    zi = scipy.signal.lfilter_zi([b], [1, b - 1]) * S[:, :1]
    out = librosa.pcen(S, sr=SR, hop_length=512, time_constant=0.4, zi=zi)
    assert out.shape == (128, N // 512 + 1) and np.all(np.isfinite(out))
    return out


def write_pcen(name: str, y: np.ndarray) -> int:
    if name not in PCEN_NAMES:
        return 0
    out = pcen_reference(y)
    path = OUT / "pcen" / f"{name}.f32"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(np.ascontiguousarray(out, dtype="<f4").tobytes())
    print(f"{path.relative_to(REPO)}: PCEN range [{out.min():.4f}, {out.max():.4f}]")
    return path.stat().st_size


def write(path: Path, pcm: np.ndarray, scale: np.float32, chroma, mel_db, mfcc) -> None:
    n_frames = chroma.shape[1]
    assert mel_db.shape[1] == n_frames and mfcc.shape[1] == n_frames
    with open(path, "wb") as f:
        f.write(b"GFIX")
        f.write(struct.pack("<6I", 1, len(pcm), n_frames, chroma.shape[0], mel_db.shape[0], mfcc.shape[0]))
        f.write(struct.pack("<f", float(scale)))
        f.write(pcm.astype("<i2").tobytes())
        for a in (chroma, mel_db, mfcc):
            f.write(np.ascontiguousarray(a, dtype="<f4").tobytes())


def write_real(path: Path, source: str, chroma, mel_db, mfcc) -> None:
    n_frames = chroma.shape[1]
    assert mel_db.shape[1] == n_frames and mfcc.shape[1] == n_frames
    src = source.encode("utf-8")
    with open(path, "wb") as f:
        f.write(b"GREF")
        f.write(struct.pack("<7I", 1, SEGMENT_START, N, n_frames, chroma.shape[0], mel_db.shape[0], mfcc.shape[0]))
        f.write(struct.pack("<I", len(src)))
        f.write(src)
        for a in (chroma, mel_db, mfcc):
            f.write(np.ascontiguousarray(a, dtype="<f4").tobytes())


def main() -> None:
    import librosa

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data", help="the shared data folder")
    args = ap.parse_args()
    print(f"librosa {librosa.__version__}, numpy {np.__version__}")
    if librosa.__version__ != "0.11.0":
        sys.exit("librosa 0.11.0 is required (pip install -r scripts/requirements-ref.txt)")
    OUT.mkdir(parents=True, exist_ok=True)
    total = 0

    def report(path: Path, chroma, mel_db, mfcc) -> int:
        size = path.stat().st_size
        print(
            f"{path.relative_to(REPO)}: {size} bytes, chroma {chroma.shape} mel {mel_db.shape} mfcc {mfcc.shape}, "
            f"mel dB range [{mel_db.min():.2f}, {mel_db.max():.2f}]"
        )
        return size

    for name, x in synthetic().items():
        pcm, scale, y = quantise(x)
        chroma, mel_db, mfcc = reference(y)
        path = OUT / f"{name}.bin"
        write(path, pcm, scale, chroma, mel_db, mfcc)
        total += report(path, chroma, mel_db, mfcc)
        total += write_pcen(name, y)
    if args.data.is_dir():
        for name, (source, y) in real_segments(args.data).items():
            chroma, mel_db, mfcc = reference(y)
            path = OUT / "real" / f"{name}.bin"
            path.parent.mkdir(exist_ok=True)
            write_real(path, source, chroma, mel_db, mfcc)
            total += report(path, chroma, mel_db, mfcc)
            total += write_pcen(name, y)
    else:
        print(f"warning: {args.data} not found, writing synthetic fixtures only", file=sys.stderr)
    print(f"total {total} bytes")


if __name__ == "__main__":
    main()
