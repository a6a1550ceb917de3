#!/usr/bin/env python3
"""Does the resampler move musicnn's valid accuracy? TF embeddings (float32 log-mel) of the 307 clips with each
resampler named on the command line (librosa res_type: soxr_hq, kaiser_best), a logistic regression (C 0.1) on
standardised per-patch embeddings of the train list, the mean over patches per valid clip.

    TF_USE_LEGACY_KERAS=1 /work/cache/venv-tf/bin/python scripts/check_resampler_effect.py soxr_hq kaiser_best

Needs scikit-learn and resampy in that environment; a one-off check (BENCHMARKS.md), not run by CI.
"""
import os, sys, glob, numpy as np
os.environ["TF_USE_LEGACY_KERAS"]="1"
sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent))
import import_musicnn as im, librosa
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
tf_model = im.TfModel(__import__("pathlib").Path("/work/cache/musicnn/wheel"), "/work/cache/musicnn/wheel/musicnn/MSD_musicnn/")
data = str(im.REPO.parent / "shared" / "data")
train = set(open(f"{data}/splits/train_filtered.txt").read().split()); valid = set(open(f"{data}/splits/valid_filtered.txt").read().split())
genres = sorted(os.listdir(f"{data}/gtzan"))
clips = sorted(glob.glob(f"{data}/gtzan/*/*.ogg"))
def embed(res_type):
    out = {}
    for p in clips:
        y, _ = librosa.load(p, sr=22050)
        y16 = librosa.resample(y, orig_sr=22050, target_sr=16000, res_type=res_type)
        patches = []
        for k in range(len(y16) // 48000):
            seg = y16[48000*k:48000*(k+1)]
            patches.append(im.log_mel(seg)[:187])
        pen, _ = tf_model.run(np.stack(patches))
        out[os.path.basename(p)[:-4]] = pen
    return out
for res in sys.argv[1:]:
    E = embed(res)
    Xtr = np.concatenate([E[c] for c in E if c in train]); ytr = np.concatenate([[genres.index(c.split('.')[0])]*len(E[c]) for c in E if c in train])
    sc = StandardScaler().fit(Xtr); lr = LogisticRegression(C=0.1, max_iter=2000).fit(sc.transform(Xtr), ytr)
    ok = []; per = {}
    for c in E:
        if c not in valid: continue
        g = genres.index(c.split('.')[0]); p = lr.predict_proba(sc.transform(E[c])).mean(0)
        ok.append(p.argmax() == g); per.setdefault(g, []).append(p.argmax() == g)
    print(f"{res}: valid track {100*np.mean(ok):.1f}% ({sum(ok)}/{len(ok)}), balanced {100*np.mean([np.mean(v) for v in per.values()]):.1f}%", flush=True)
