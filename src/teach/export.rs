//! A taught head as a model file like any other: the manifest (the person's labels in their
//! order, the base model's features and front end, the head's architecture and normalisation,
//! "taught in the browser" with the songs per label, the date and the held-out figures), the
//! head's weights and the base model's packed front-end weights, byte for byte. The page loads
//! it as it loads the shipped model, and `trainer classify` reads it.

use std::collections::BTreeMap;

use super::{HeldOut, Lesson, Taught};
use crate::inference::{
    Manifest, Scores, TAUGHT_IN_THE_BROWSER, TrainedOn, decode_model_parts,
    encode_model_file_packed,
};

/// The file's bytes and its manifest.
pub struct TaughtFile {
    pub bytes: Vec<u8>,
    pub manifest: Manifest,
}

/// Packs `taught` (trained on `lesson`, checked by `held`) on the front end of `base` (a model
/// file with the pretrained front end, e.g. the shipped one); `date` is today's, YYYY-MM-DD.
pub fn export(
    lesson: &Lesson,
    taught: &Taught,
    held: Option<&HeldOut>,
    base: &[u8],
    date: &str,
) -> Result<TaughtFile, String> {
    let parts = decode_model_parts(base).map_err(|e| e.to_string())?;
    let front_end = parts
        .manifest
        .front_end
        .clone()
        .ok_or("the base model has no pretrained front end to teach on")?;
    let songs: BTreeMap<String, usize> = lesson
        .labels
        .iter()
        .cloned()
        .zip(lesson.songs_per_label())
        .collect();
    let segments: usize = lesson.segments_per_label().iter().sum();
    let config = taught.model.config().clone();
    let check = match held {
        Some(h) => format!(
            "held-out check ({}): {:.0}% of songs right, balanced {:.0}%",
            h.split,
            100.0 * h.metrics.track_accuracy.value,
            100.0 * h.metrics.balanced_accuracy
        ),
        None => "no held-out check".into(),
    };
    let manifest = Manifest {
        format: parts.manifest.format.clone(),
        format_version: parts.manifest.format_version,
        labels: lesson.labels.clone(),
        features: parts.manifest.features.clone(),
        model: config.clone(),
        normalisation: taught.normalisation.clone(),
        trained_on: TrainedOn {
            dataset: TAUGHT_IN_THE_BROWSER.into(),
            real_music: true,
            train_files: songs,
            valid_files: BTreeMap::new(),
            split: held.map_or("no held-out check".into(), |h| h.split.clone()),
            date: date.into(),
            notes: format!(
                "a head (hidden {}, dropout {}) taught on {segments} segments of {} songs, on the frozen {} embedding; {check}",
                config.hidden,
                config.dropout,
                lesson.songs.len(),
                front_end.name
            ),
        },
        scores: Scores {
            cv_track_accuracy: held.map(|h| h.metrics.track_accuracy.value),
            cv_balanced_accuracy: held.map(|h| h.metrics.balanced_accuracy),
            ..Scores::default()
        },
        front_end: Some(front_end),
        calibration: None,
    };
    manifest.validate()?;
    let bytes = encode_model_file_packed(&manifest, taught.model.clone(), parts.front_end)?;
    let (manifest, _) = crate::inference::decode_model_file(&bytes).map_err(|e| e.to_string())?;
    Ok(TaughtFile { bytes, manifest })
}
