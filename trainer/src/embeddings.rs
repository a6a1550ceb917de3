//! The pretrained front end in the trainer: its weights (the committed conversion, compiled into the
//! binary) and its embeddings of every clip, computed once per clip and cached, so that training never runs
//! the frozen network per epoch.
//!
//! A clip's embeddings lie on a **grid**: one 200-d penultimate embedding per 3-s crop starting every
//! `hop` samples (at 22 050 Hz; `hop` divides the 3-s segment, so the evaluation segments, every
//! `segment / hop`-th grid point, are on it too). Each crop is what the page feeds the network for a
//! segment starting there: the clip resampled to 16 kHz by the library's one resampler, the 3 s from the
//! crop's start, its log-mel patch ([`genre::inference::Classifier::segment_input`] does the same).

use anyhow::{Context, Result};
use burn::tensor::{Device, Tensor, TensorData};
use sha2::{Digest, Sha256};

use genre::features::{FeatureParams, LogMelExtractor, LogMelParams, segment_into, segment_starts};
use genre::inference::FrontEnd;
use genre::model::musicnn::{BANDS, FRAMES, Musicnn, MusicnnWeights};

use crate::cache::{Cache, file_key, read_f32s, write_f32s};
use crate::dataset::Track;

/// `pretrained/msd_musicnn/weights.safetensors`, written by `scripts/import_musicnn.py`.
pub const WEIGHTS: &[u8] = include_bytes!("../../pretrained/msd_musicnn/weights.safetensors");
const SOURCE: &str = "PyPI musicnn 0.1.0 (musicnn-0.1.0-py3-none-any.whl, sha256 \
     f38a4890c648c1ddbb141c5d96d2b0a8cfcd36746002d896989f7b88beb65cfa), MSD_musicnn checkpoint, \
     converted by scripts/import_musicnn.py";
const LICENCE: &str = "ISC (Music Technology Group, Universitat Pompeu Fabra, 2019)";
/// Patches per forward pass while filling the cache.
const BATCH: usize = 16;

/// The frozen network on the training device, with its input extractor.
pub struct FrontEndModel {
    pub weights: MusicnnWeights,
    pub sha256: String,
    net: Musicnn,
    logmel: LogMelExtractor,
    device: Device,
}

impl FrontEndModel {
    pub fn load(device: &Device) -> Result<Self> {
        let weights = MusicnnWeights::from_safetensors(WEIGHTS)
            .map_err(|e| anyhow::anyhow!("the compiled-in front-end weights: {e}"))?;
        let sha256 = Sha256::digest(WEIGHTS)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Ok(Self {
            net: Musicnn::new(&weights, device),
            weights,
            sha256,
            logmel: LogMelExtractor::new(LogMelParams::default()),
            device: device.clone(),
        })
    }

    /// What a model file's manifest says of this front end (its packed length is set on export).
    pub fn manifest_entry(&self) -> FrontEnd {
        FrontEnd {
            name: "MSD_musicnn".into(),
            source: SOURCE.into(),
            licence: LICENCE.into(),
            weights_sha256: self.sha256.clone(),
            packed_bytes: 0,
            input: self.logmel.params().clone(),
        }
    }

    /// Embeddings of the 3-s crops of `samples` (at `features.sample_rate`) starting every `hop` samples:
    /// `[positions][200]` (at least one position: a short clip is zero-padded, as the page pads it).
    pub fn grid(&mut self, samples: &[f32], features: &FeatureParams, hop: usize) -> Vec<Vec<f32>> {
        let p = self.logmel.params().clone();
        let s16 = genre::resample::resample(samples, features.sample_rate, p.sample_rate);
        let starts = segment_starts(samples.len(), features.segment_samples, hop);
        let mut seg = vec![0.0f32; p.segment_samples];
        let patches: Vec<Vec<f32>> = starts
            .iter()
            .map(|&s| {
                let at = (s as u64 * p.sample_rate as u64 + features.sample_rate as u64 / 2)
                    / features.sample_rate as u64;
                segment_into(&s16, at as usize, &mut seg);
                self.logmel.patch(&seg)
            })
            .collect();
        let mut out = Vec::with_capacity(patches.len());
        for chunk in patches.chunks(BATCH) {
            let data: Vec<f32> = chunk.iter().flatten().copied().collect();
            let x = Tensor::<3>::from_data(
                TensorData::new(data, [chunk.len(), FRAMES, BANDS]),
                &self.device,
            );
            let e = self.net.embed(x).into_data();
            let e = e.as_slice::<f32>().expect("f32 embeddings");
            out.extend(e.chunks(200).map(<[f32]>::to_vec));
        }
        out
    }
}

/// The grid of every clip (cached), with a progress bar.
pub fn grids(
    cache: &Cache,
    fe: &mut FrontEndModel,
    loaded: &[(&Track, Vec<f32>)],
    features: &FeatureParams,
    hop: usize,
    quiet: bool,
) -> Result<Vec<Vec<Vec<f32>>>> {
    let bar = (!quiet).then(|| {
        let b = indicatif::ProgressBar::new(loaded.len() as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "pretrained embeddings [{bar:30}] {pos}/{len} files ({eta} left; cached for the next run)",
            )
            .unwrap(),
        );
        b
    });
    let tag = format!(
        "musicnn-{}-{}-{:?}-{}-hop{hop}",
        fe.sha256,
        genre::resample::SETTINGS_ID,
        fe.logmel.params(),
        features.segment_samples
    );
    let mut out = Vec::with_capacity(loaded.len());
    for (track, samples) in loaded {
        let file = cache
            .dir()
            .map(|d| -> Result<_> {
                Ok(d.join(format!("embeddings-{}.f32", file_key(&track.path, &tag)?)))
            })
            .transpose()?;
        let cached = file
            .as_ref()
            .and_then(|f| read_f32s(f))
            .filter(|v| !v.is_empty() && v.len() % 200 == 0);
        let grid = match cached {
            Some(v) => v.chunks(200).map(<[f32]>::to_vec).collect(),
            None => {
                let g = fe.grid(samples, features, hop);
                if let Some(f) = &file {
                    let flat: Vec<f32> = g.iter().flatten().copied().collect();
                    write_f32s(f, &flat)
                        .with_context(|| format!("cannot write the cache {}", f.display()))?;
                }
                g
            }
        };
        out.push(grid);
        if let Some(b) = &bar {
            b.inc(1);
        }
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    Ok(out)
}

/// The front end, if the model has its head, and every clip's grid of embeddings.
pub type Attached = (Option<FrontEndModel>, Vec<Vec<Vec<f32>>>);

/// For a model with the musicnn head: the front end, every clip's grid (in `loaded`'s order), and each
/// evaluation segment's embedding filled in (segment `k` is grid point `k · segment / hop`). Without it:
/// nothing to do (`None`, and empty grids).
pub fn attach(
    cache: &Cache,
    loaded: &[(&Track, Vec<f32>)],
    evals: &mut [crate::clips::EvalClip],
    opts: &crate::options::TrainOptions,
    device: &Device,
    quiet: bool,
) -> Result<Attached> {
    if !opts.model.has_musicnn() {
        return Ok((None, vec![Vec::new(); loaded.len()]));
    }
    let features = opts.feature_params();
    let hop = opts.embedding_hop;
    anyhow::ensure!(
        hop > 0 && features.segment_samples.is_multiple_of(hop),
        "the embedding hop ({hop} samples) must divide the segment ({} samples)",
        features.segment_samples
    );
    let mut fe = FrontEndModel::load(device)?;
    let all = grids(cache, &mut fe, loaded, &features, hop, quiet)?;
    let step = features.segment_samples / hop;
    for (clip, grid) in evals.iter_mut().zip(&all) {
        for (k, seg) in clip.segments.iter_mut().enumerate() {
            seg.musicnn = grid
                .get(k * step)
                .with_context(|| format!("no embedding for segment {k}"))?
                .clone();
        }
    }
    Ok((Some(fe), all))
}
