//! Decoded audio, fixed-segment features and the pretrained front end's embeddings, cached on disk
//! so that a second run starts training in seconds. Entries are keyed by the file (path, size,
//! modification time) and by what produced them (the resampler's settings, the feature parameters,
//! the front end's weights); a changed file, resampler or parameter misses the cache. Keys are
//! sha256 digests, stable across toolchains and runs.

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

use genre::features::{FeatureExtractor, FeatureParams, Features, segment_into, segment_starts};

use crate::dataset::Track;
use crate::decode::load_audio;

pub fn default_dir() -> PathBuf {
    std::env::var_os("GENRE_CACHE_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("XDG_CACHE_HOME").map(|d| PathBuf::from(d).join("genre")))
        .or_else(|| std::env::var_os("HOME").map(|d| PathBuf::from(d).join(".cache").join("genre")))
        .unwrap_or_else(|| PathBuf::from(".genre-cache"))
}

pub struct Cache {
    dir: Option<PathBuf>,
}

/// The cache key of what `extra` names, computed from `path`'s file: 16 hex digits of a sha256.
pub(crate) fn file_key(path: &Path, extra: &str) -> Result<String> {
    let meta =
        std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut h = Sha256::new();
    let canonical = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    h.update(canonical.to_string_lossy().as_bytes());
    h.update(meta.len().to_le_bytes());
    if let Some(t) = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
    {
        h.update(t.as_nanos().to_le_bytes());
    }
    h.update(extra.as_bytes());
    Ok(h.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

pub(crate) fn write_f32s(path: &Path, data: &[f32]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    let bytes: Vec<u8> = data.iter().flat_map(|x| x.to_le_bytes()).collect();
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

pub(crate) fn read_f32s(path: &Path) -> Option<Vec<f32>> {
    let bytes = std::fs::read(path).ok()?;
    if bytes.len() % 4 != 0 {
        return None;
    }
    Some(
        bytes
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
            .collect(),
    )
}

impl Cache {
    /// `None` disables caching.
    pub fn new(dir: Option<PathBuf>) -> Self {
        if let Some(d) = &dir {
            let _ = std::fs::create_dir_all(d);
        }
        Self { dir }
    }

    /// The cache folder (`None` when caching is off).
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// Mono 22 050 Hz samples of a track.
    pub fn audio(&self, track: &Track) -> Result<Vec<f32>> {
        let Some(dir) = &self.dir else {
            return load_audio(&track.path);
        };
        let file = dir.join(format!(
            "audio-{}.f32",
            file_key(
                &track.path,
                &format!("audio-22050-{}", genre::resample::SETTINGS_ID)
            )?
        ));
        if let Some(s) = read_f32s(&file) {
            return Ok(s);
        }
        let samples = load_audio(&track.path)?;
        let _ = write_f32s(&file, &samples);
        Ok(samples)
    }

    /// Features of the clip's non-overlapping 3-s segments (the evaluation segments).
    pub fn segment_features(
        &self,
        track: &Track,
        samples: &[f32],
        fx: &mut FeatureExtractor,
    ) -> Result<Vec<Features>> {
        let p = fx.params().clone();
        let compute = |fx: &mut FeatureExtractor| {
            let mut seg = vec![0.0f32; p.segment_samples];
            segment_starts(samples.len(), p.segment_samples, p.segment_samples)
                .into_iter()
                .map(|s| {
                    segment_into(samples, s, &mut seg);
                    fx.compute(&seg)
                })
                .collect::<Vec<_>>()
        };
        let Some(dir) = &self.dir else {
            return Ok(compute(fx));
        };
        let key = file_key(
            &track.path,
            &format!("{:?} {}", p, genre::resample::SETTINGS_ID),
        )?;
        let file = dir.join(format!("features-{key}.f32"));
        let per = features_len(&p);
        if let Some(flat) = read_f32s(&file)
            && !flat.is_empty()
            && flat.len() % per == 0
        {
            return Ok(flat.chunks(per).map(|c| unflatten(c, &p)).collect());
        }
        let feats = compute(fx);
        let flat: Vec<f32> = feats.iter().flat_map(flatten).collect();
        let _ = write_f32s(&file, &flat);
        Ok(feats)
    }
}

fn features_len(p: &FeatureParams) -> usize {
    (p.n_chroma + p.n_mels + p.n_mfcc) * p.segment_frames()
}

fn flatten(f: &Features) -> impl Iterator<Item = f32> + '_ {
    f.chroma.iter().chain(&f.mel_db).chain(&f.mfcc).copied()
}

fn unflatten(c: &[f32], p: &FeatureParams) -> Features {
    let t = p.segment_frames();
    let (a, b) = (p.n_chroma * t, (p.n_chroma + p.n_mels) * t);
    Features {
        n_frames: t,
        chroma: c[..a].to_vec(),
        mel_db: c[a..b].to_vec(),
        mfcc: c[b..].to_vec(),
        musicnn: Vec::new(),
    }
}
