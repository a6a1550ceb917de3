//! Loading an exported model and classifying with it: the code path the page and the
//! trainer's `classify`/`evaluate` share. No DOM, no file system: bytes in, numbers out.

mod manifest;

pub use manifest::{
    BandStats, FORMAT_NAME, FORMAT_VERSION, Figure, Manifest, Normalisation, Scores, TrainedOn,
};

use burn::module::Module;
use burn::store::ModuleRecord;
use burn::tensor::{Bytes, Device, Tensor, TensorData};

use crate::features::{FeatureExtractor, Features, segment_into, segment_starts};
use crate::model::{GenreCnn, HeadKind, ModelConfig, ModelInput};

/// First bytes of a model file: magic, then the manifest's length (u32 LE), the manifest
/// (JSON), and the weights (a burnpack record).
pub const MAGIC: &[u8; 8] = b"GENREMDL";

#[derive(Debug, Clone, PartialEq)]
pub enum LoadError {
    /// Not a model file at all (wrong magic, truncated header).
    NotAModel(String),
    /// A model file whose manifest this build cannot use.
    Manifest(String),
    /// The weights do not fit the manifest's architecture, or are damaged.
    Weights(String),
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::NotAModel(m) => write!(f, "not a genre model file: {m}"),
            LoadError::Manifest(m) => write!(f, "the model's manifest is not usable: {m}"),
            LoadError::Weights(m) => write!(
                f,
                "the model's weights are damaged or do not match its manifest: {m}"
            ),
        }
    }
}

impl std::error::Error for LoadError {}

/// Packs a manifest and a model into one file's bytes.
pub fn encode_model_file(manifest: &Manifest, model: GenreCnn) -> Result<Vec<u8>, String> {
    let json = serde_json::to_vec_pretty(manifest).map_err(|e| e.to_string())?;
    let weights = model
        .into_record()
        .into_bytes()
        .map_err(|e| e.to_string())?;
    Ok(pack(&json, &weights))
}

/// The file layout: magic, the manifest's length (u32 LE), the manifest, the weights.
fn pack(json: &[u8], weights: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(12 + json.len() + weights.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(json.len() as u32).to_le_bytes());
    out.extend_from_slice(json);
    out.extend_from_slice(weights);
    out
}

/// Splits a model file into its checked manifest and its weight bytes.
pub fn decode_model_file(bytes: &[u8]) -> Result<(Manifest, &[u8]), LoadError> {
    if bytes.len() < 12 || &bytes[..8] != MAGIC {
        return Err(LoadError::NotAModel(
            "it does not start with the model file header".into(),
        ));
    }
    let len = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes")) as usize;
    let json = bytes
        .get(12..12 + len)
        .ok_or_else(|| LoadError::NotAModel("the file is truncated inside its manifest".into()))?;
    let manifest: Manifest =
        serde_json::from_slice(json).map_err(|e| LoadError::Manifest(e.to_string()))?;
    manifest.validate().map_err(LoadError::Manifest)?;
    Ok((manifest, &bytes[12 + len..]))
}

/// The same model file with another manifest (e.g. figures measured after export); the
/// weights are kept byte for byte. The new manifest is checked like a loaded one.
pub fn replace_manifest(bytes: &[u8], manifest: &Manifest) -> Result<Vec<u8>, LoadError> {
    let (_, weights) = decode_model_file(bytes)?;
    manifest.validate().map_err(LoadError::Manifest)?;
    let json =
        serde_json::to_vec_pretty(manifest).map_err(|e| LoadError::Manifest(e.to_string()))?;
    Ok(pack(&json, weights))
}

/// Reads a model file onto `device`.
pub fn load_model(bytes: &[u8], device: &Device) -> Result<(Manifest, GenreCnn), LoadError> {
    let (manifest, weights) = decode_model_file(bytes)?;
    let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(weights.to_vec()))
        .map_err(|e| LoadError::Weights(e.to_string()))?;
    let model = GenreCnn::new(&manifest.model, device)
        .try_load_record(record)
        .map_err(|e| LoadError::Weights(e.to_string()))?;
    Ok((manifest, model.valid()))
}

/// One head's rows of a segment's features.
pub fn head_image(features: &Features, head: HeadKind) -> &[f32] {
    match head {
        HeadKind::Chroma => &features.chroma,
        HeadKind::Mel => &features.mel_db,
        HeadKind::Mfcc => &features.mfcc,
        HeadKind::Musicnn => &features.musicnn,
    }
}

/// Normalised `[batch, 1, bands, frames]` input for every head of `config`: [`normalised_images`] on
/// `device`.
pub fn build_input(
    batch: &[&Features],
    config: &ModelConfig,
    norm: &Normalisation,
    device: &Device,
) -> ModelInput {
    images_to_input(
        normalised_images(batch, config, norm),
        batch.len(),
        config,
        device,
    )
}

/// The one input normalisation, `(x − mean[band]) / std[band]` per head: one `Vec` per head of `config`
/// (in its order), each `[batch][bands][frames]` row-major (`frames` 1 for the embedding head). Every
/// segment's images must have the model's shape.
pub fn normalised_images(
    batch: &[&Features],
    config: &ModelConfig,
    norm: &Normalisation,
) -> Vec<Vec<f32>> {
    config
        .heads
        .iter()
        .zip(&config.input_heights)
        .map(|(&head, &bands)| {
            let stats = norm
                .for_head(head)
                .expect("manifest validated: statistics for every head");
            let frames = config.head_frames(head);
            let mut data = Vec::with_capacity(batch.len() * bands * frames);
            for f in batch {
                let image = head_image(f, head);
                assert_eq!(
                    image.len(),
                    bands * frames,
                    "a segment's {} input must be {bands} × {frames}",
                    head.name()
                );
                for b in 0..bands {
                    let (m, inv) = (stats.mean[b], 1.0 / stats.std[b]);
                    data.extend(
                        image[b * frames..(b + 1) * frames]
                            .iter()
                            .map(|&x| (x - m) * inv),
                    );
                }
            }
            data
        })
        .collect()
}

/// [`normalised_images`] of `n` segments as the model's input tensors on `device`.
pub fn images_to_input(
    images: Vec<Vec<f32>>,
    n: usize,
    config: &ModelConfig,
    device: &Device,
) -> ModelInput {
    let mut input = ModelInput::default();
    for ((data, &head), &bands) in images
        .into_iter()
        .zip(&config.heads)
        .zip(&config.input_heights)
    {
        let frames = config.head_frames(head);
        let t = Tensor::<4>::from_data(TensorData::new(data, [n, 1, bands, frames]), device);
        *input.slot(head) = Some(t);
    }
    input
}

/// Row-wise softmax of `[n, classes]` logits stored row-major.
pub fn softmax_rows(logits: &[f32], classes: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(logits.len());
    for row in logits.chunks(classes) {
        let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let exps: Vec<f32> = row.iter().map(|&x| (x - max).exp()).collect();
        let sum: f32 = exps.iter().sum();
        out.extend(exps.iter().map(|e| e / sum));
    }
    out
}

/// The song's probabilities: the mean of its segments' probabilities.
pub fn mean_probabilities(segment_probs: &[f32], classes: usize) -> Vec<f32> {
    let n = segment_probs.len() / classes;
    let mut mean = vec![0.0f32; classes];
    for row in segment_probs.chunks(classes) {
        for (m, p) in mean.iter_mut().zip(row) {
            *m += p / n as f32;
        }
    }
    mean
}

pub fn argmax(xs: &[f32]) -> usize {
    xs.iter()
        .enumerate()
        .fold((0, f32::NEG_INFINITY), |best, (i, &x)| {
            if x > best.1 { (i, x) } else { best }
        })
        .0
}

/// A loaded model with its feature extractor, ready to classify audio.
pub struct Classifier {
    pub manifest: Manifest,
    model: GenreCnn,
    device: Device,
    extractor: FeatureExtractor,
}

impl Classifier {
    pub fn from_bytes(bytes: &[u8], device: &Device) -> Result<Self, LoadError> {
        let (manifest, model) = load_model(bytes, device)?;
        let extractor = FeatureExtractor::new(manifest.features.clone());
        Ok(Self {
            manifest,
            model,
            device: device.clone(),
            extractor,
        })
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    pub fn labels(&self) -> &[String] {
        &self.manifest.labels
    }

    /// Start sample of every segment of a clip of `n_samples`, `hop` samples apart.
    pub fn segment_starts(&self, n_samples: usize, hop: usize) -> Vec<usize> {
        segment_starts(n_samples, self.manifest.features.segment_samples, hop)
    }

    /// Features of the segment starting at `start` (zero-padded past the end).
    pub fn segment_features(&mut self, samples: &[f32], start: usize) -> Features {
        let mut seg = vec![0.0f32; self.manifest.features.segment_samples];
        segment_into(samples, start, &mut seg);
        self.extractor.compute(&seg)
    }

    /// Logits `[batch, labels]` of a batch of segments, still on the device: read them with
    /// `into_data` natively or `into_data_async` in the browser.
    pub fn logits(&self, batch: &[&Features]) -> Tensor<2> {
        let input = build_input(
            batch,
            &self.manifest.model,
            &self.manifest.normalisation,
            &self.device,
        );
        self.model.forward(input)
    }

    /// Logits of a batch read back synchronously (native only; the browser must read async).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn logits_sync(&self, batch: &[&Features]) -> Vec<f32> {
        self.logits(batch)
            .into_data()
            .as_slice::<f32>()
            .expect("f32 logits")
            .to_vec()
    }
}
