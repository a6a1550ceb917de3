//! The model's input: each head's image, normalised per band with the training set's statistics — the one
//! place the normalisation is written, for the trainer, `trainer classify` and the page.

use burn::tensor::{Device, Tensor, TensorData};

use super::manifest::{BandStats, Normalisation};
use crate::features::Features;
use crate::model::{HeadKind, ModelConfig, ModelInput};

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

/// `(x − mean[band]) / std[band]`, computed as `(x − mean) · (1 / std)`.
fn normalise_into(image: &[f32], frames: usize, stats: &BandStats, data: &mut Vec<f32>) {
    for (b, row) in image.chunks_exact(frames).enumerate() {
        let (m, inv) = (stats.mean[b], 1.0 / stats.std[b]);
        data.extend(row.iter().map(|&x| (x - m) * inv));
    }
}

/// The one input normalisation, per head: one `Vec` per head of `config` (in its order), each
/// `[batch][bands][frames]` row-major (`frames` 1 for the embedding head). Every segment's images must
/// have the model's shape.
pub fn normalised_images(
    batch: &[&Features],
    config: &ModelConfig,
    norm: &Normalisation,
) -> Vec<Vec<f32>> {
    config
        .heads
        .iter()
        .zip(&config.input_heights)
        .map(|(&head, &bands)| head_input(batch, config, norm, head, bands))
        .collect()
}

/// One head's normalised images of a batch, `[batch][bands][frames]`.
fn head_input(
    batch: &[&Features],
    config: &ModelConfig,
    norm: &Normalisation,
    head: HeadKind,
    bands: usize,
) -> Vec<f32> {
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
        normalise_into(image, frames, stats, &mut data);
    }
    data
}

/// The model's input when the embedding comes from the front end on the device (`[batch, 200]`, not
/// normalised yet) rather than from `Features::musicnn`: the conv heads' images from `batch`, the
/// embedding normalised on the device by [`normalised_embedding`].
pub fn build_input_with_embedding(
    batch: &[&Features],
    config: &ModelConfig,
    norm: &Normalisation,
    embedding: Option<Tensor<2>>,
    device: &Device,
) -> ModelInput {
    let mut input = ModelInput::default();
    let mut embedding = embedding;
    for (&head, &bands) in config.heads.iter().zip(&config.input_heights) {
        let t = if head.is_conv() {
            let frames = config.head_frames(head);
            let data = head_input(batch, config, norm, head, bands);
            Tensor::<4>::from_data(
                TensorData::new(data, [batch.len(), 1, bands, frames]),
                device,
            )
        } else {
            let e = embedding
                .take()
                .expect("the front end's embedding for the musicnn head");
            normalised_embedding(e, norm.for_head(head).expect("validated"))
        };
        *input.slot(head) = Some(t);
    }
    input
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

/// The embedding head's input from the front end's output on the device, normalised as
/// [`normalised_images`] does: `[batch, 1, 200, 1]`.
pub fn normalised_embedding(embedding: Tensor<2>, stats: &BandStats) -> Tensor<4> {
    let device = embedding.device();
    let [n, d] = embedding.dims();
    let mean = Tensor::<1>::from_data(TensorData::new(stats.mean.clone(), [d]), &device);
    let inv: Vec<f32> = stats.std.iter().map(|s| 1.0 / s).collect();
    let inv = Tensor::<1>::from_data(TensorData::new(inv, [d]), &device);
    ((embedding - mean.unsqueeze_dim(0)) * inv.unsqueeze_dim(0)).reshape([n, 1, d, 1])
}

/// Per-band mean and standard deviation over the given segments (training clips only); for the
/// embedding head, per dimension.
pub fn band_stats(segments: &[&Features], heads: &[HeadKind], heights: &[usize]) -> Normalisation {
    let mut out = Normalisation::default();
    for (&head, &bands) in heads.iter().zip(heights) {
        let (mut sum, mut sq, mut n) = (vec![0f64; bands], vec![0f64; bands], 0usize);
        for f in segments {
            let img = head_image(f, head);
            let t = img.len() / bands;
            for b in 0..bands {
                for &x in &img[b * t..(b + 1) * t] {
                    sum[b] += x as f64;
                    sq[b] += (x as f64) * (x as f64);
                }
            }
            n += t;
        }
        let n = n.max(1) as f64;
        let mean: Vec<f32> = sum.iter().map(|s| (s / n) as f32).collect();
        let std: Vec<f32> = sq
            .iter()
            .zip(&sum)
            .map(|(q, s)| ((q / n - (s / n).powi(2)).max(0.0).sqrt() as f32).max(1e-3))
            .collect();
        out.heads.push(BandStats { head, mean, std });
    }
    out
}
