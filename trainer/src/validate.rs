//! How well a model does on clips: each clip through the library's song pipeline
//! ([`run_song`]: its fixed segments in batches, softmax, the mean over the clip), here on the
//! segments' cached features, then the figures of [`crate::report`]. The trainer's validation,
//! its reports and the cross-validation all score this way, as `trainer evaluate` and the page do.

use burn::tensor::Device;

use genre::features::Features;
use genre::inference::{Normalisation, images_to_input, normalised_images, run_song};
use genre::model::GenreCnn;

use crate::clips::EvalClip;
use genre::inference::metrics::{Metrics, metrics};

/// Segments per forward pass.
const BATCH: usize = 64;

/// The probabilities of each of `clip`'s segments, `[segments, classes]` row-major.
pub fn clip_probabilities(
    model: &GenreCnn,
    clip: &EvalClip,
    norm: &Normalisation,
    device: &Device,
) -> Vec<f32> {
    let cfg = model.config().clone();
    let song = run_song(clip.segments.len(), cfg.n_classes, 1.0, BATCH, |idx| {
        let segs: Vec<&Features> = idx.iter().map(|&i| &clip.segments[i]).collect();
        let images = normalised_images(&segs, &cfg, norm);
        let logits = model.forward(images_to_input(images, segs.len(), &cfg, device));
        let rows = logits.into_data().try_to_vec::<f32>().expect("f32 logits");
        (rows, None)
    });
    song.finished_rows()
}

/// Each clip's label and segment probabilities.
pub fn clips_probabilities(
    model: &GenreCnn,
    clips: &[EvalClip],
    norm: &Normalisation,
    device: &Device,
) -> Vec<(usize, Vec<f32>)> {
    clips
        .iter()
        .map(|c| (c.label, clip_probabilities(model, c, norm, device)))
        .collect()
}

/// The figures of `model` on `clips` (segment and track accuracy with intervals, balanced
/// accuracy, per label, confusion).
pub fn clip_metrics(
    name: &str,
    model: &GenreCnn,
    clips: &[EvalClip],
    norm: &Normalisation,
    device: &Device,
    labels: &[String],
) -> Metrics {
    metrics(
        name,
        labels,
        &clips_probabilities(model, clips, norm, device),
    )
}
