//! The manifest every exported model carries: labels and their order, the feature parameters
//! and normalisation the model expects, its architecture, and what it was trained on and how
//! well it scored. Loaders refuse a model whose manifest does not fit.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::features::{FeatureParams, LogMelParams};
use crate::model::musicnn::{BANDS, FRAMES};
use crate::model::{HeadKind, ModelConfig};

pub const FORMAT_NAME: &str = "genre-model";
/// The version of a model file without a pretrained front end (the seed model's format, unchanged).
pub const FORMAT_VERSION: u32 = 1;
/// The version of a model file that carries the pretrained front end's weights after its own.
pub const FORMAT_VERSION_FRONT_END: u32 = 2;
/// [`TrainedOn::dataset`] of a model a person taught in the page (`crate::teach`).
pub const TAUGHT_IN_THE_BROWSER: &str = "taught in the browser";

/// The pretrained front end a model file carries (its packed weights follow the model's own weights at the
/// end of the file): where it comes from and under which licence, shown to people as it is.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FrontEnd {
    /// e.g. "MSD_musicnn".
    pub name: String,
    /// e.g. "PyPI musicnn 0.1.0 (musicnn-0.1.0-py3-none-any.whl, sha256 f38a…), converted by
    /// scripts/import_musicnn.py".
    pub source: String,
    /// e.g. "ISC (Music Technology Group, Universitat Pompeu Fabra, 2019)".
    pub licence: String,
    /// sha256 of the float32 weights file the trainer read (`pretrained/msd_musicnn/weights.safetensors`).
    pub weights_sha256: String,
    /// Length of the packed weights at the end of the file, in bytes.
    pub packed_bytes: usize,
    /// The network's input.
    pub input: LogMelParams,
}

/// Temperature scaling of the logits (Guo et al., 2017), fitted on held-out predictions: the page's and
/// the trainer's probabilities are `softmax(logits / temperature)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    pub temperature: f32,
    /// Expected calibration error (15 bins) of the held-out track predictions before and after.
    pub ece_before: f64,
    pub ece_after: f64,
    /// What the temperature was fitted on, e.g. "5-fold cross-validation by clip, 307 clips".
    pub fitted_on: String,
}

/// Per-band statistics of one head's input, computed on the training segments only.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BandStats {
    pub head: HeadKind,
    pub mean: Vec<f32>,
    pub std: Vec<f32>,
}

/// Input normalisation: `(x - mean[band]) / std[band]` for every head the model has.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Normalisation {
    pub heads: Vec<BandStats>,
}

impl Normalisation {
    pub fn for_head(&self, head: HeadKind) -> Option<&BandStats> {
        self.heads.iter().find(|s| s.head == head)
    }
}

/// What the model learned from. Shown to people as is: it must be true.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainedOn {
    /// e.g. "GTZAN (partial: 307 clips)", "synthetic signals", or the folder's name.
    pub dataset: String,
    /// false for generated signals: the page then says its answers are not about real music.
    pub real_music: bool,
    /// Files used for training / validation, per label.
    pub train_files: BTreeMap<String, usize>,
    pub valid_files: BTreeMap<String, usize>,
    /// How train/valid(/test) were split, e.g. "artist-filtered lists", "random by file, seed 7".
    pub split: String,
    /// UTC date of the training run, YYYY-MM-DD.
    pub date: String,
    /// Free-form notes (recipe, caveats).
    #[serde(default)]
    pub notes: String,
}

/// A figure with its 95% confidence interval (Wilson), for the page and the README.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Figure {
    pub value: f64,
    pub low: f64,
    pub high: f64,
    pub n: usize,
}

/// Headline figures from the model's report. `None` where not measured (no test clips).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Scores {
    pub valid_track_accuracy: Option<Figure>,
    pub valid_segment_accuracy: Option<Figure>,
    pub valid_balanced_accuracy: Option<f64>,
    pub test_track_accuracy: Option<Figure>,
    pub test_balanced_accuracy: Option<f64>,
    pub cv_balanced_accuracy: Option<f64>,
    pub cv_track_accuracy: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub format_version: u32,
    pub labels: Vec<String>,
    pub features: FeatureParams,
    pub model: ModelConfig,
    pub normalisation: Normalisation,
    pub trained_on: TrainedOn,
    #[serde(default)]
    pub scores: Scores,
    /// The pretrained front end, for a model with a musicnn head (file version 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub front_end: Option<FrontEnd>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calibration: Option<Calibration>,
}

impl Manifest {
    /// Everything a loader must check before it builds the model.
    pub fn validate(&self) -> Result<(), String> {
        if self.format != FORMAT_NAME {
            return Err(format!("not a genre model (format \"{}\")", self.format));
        }
        let expected = if self.front_end.is_some() {
            FORMAT_VERSION_FRONT_END
        } else {
            FORMAT_VERSION
        };
        if self.format_version != expected {
            return Err(format!(
                "model format version {} is not supported here (this build reads version {FORMAT_VERSION}, and \
                 {FORMAT_VERSION_FRONT_END} with a pretrained front end)",
                self.format_version
            ));
        }
        self.model.validate()?;
        match (&self.front_end, self.model.has_musicnn()) {
            (None, true) => {
                return Err(
                    "the model reads the musicnn embedding but carries no front end".into(),
                );
            }
            (Some(_), false) => return Err("the model carries a front end it does not read".into()),
            (Some(f), true) => {
                f.input.validate()?;
                if f.input.patch_frames != FRAMES || f.input.n_mels != BANDS {
                    return Err(format!(
                        "the front end reads {FRAMES} × {BANDS} patches, not {} × {}",
                        f.input.patch_frames, f.input.n_mels
                    ));
                }
            }
            (None, false) => {}
        }
        if let Some(c) = &self.calibration
            && !(c.temperature.is_finite() && c.temperature > 0.0)
        {
            return Err(format!(
                "calibration temperature {} is not positive",
                c.temperature
            ));
        }
        if self.labels.len() != self.model.n_classes {
            return Err(format!(
                "{} labels but the model has {} outputs",
                self.labels.len(),
                self.model.n_classes
            ));
        }
        // Only the mel image's scale (dB or PCEN) may differ from the defaults.
        let defaults = FeatureParams {
            pcen: self.features.pcen.clone(),
            ..FeatureParams::default()
        };
        if let Some(pcen) = &self.features.pcen {
            pcen.validate()?;
        }
        if self.features != defaults {
            return Err(format!(
                "the model expects different features than this build computes ({:?} vs {:?})",
                self.features, defaults
            ));
        }
        for (&head, &height) in self.model.heads.iter().zip(&self.model.input_heights) {
            let stats = self.normalisation.for_head(head).ok_or_else(|| {
                format!("no normalisation statistics for the {} head", head.name())
            })?;
            if stats.mean.len() != height || stats.std.len() != height {
                return Err(format!(
                    "normalisation of the {} head has {} bands, the model expects {height}",
                    head.name(),
                    stats.mean.len()
                ));
            }
            if stats.std.iter().any(|&s| !(s.is_finite() && s > 0.0))
                || stats.mean.iter().any(|m| !m.is_finite())
            {
                return Err(format!(
                    "normalisation of the {} head is not finite",
                    head.name()
                ));
            }
        }
        Ok(())
    }

    /// One line for people: what the model was trained on and how well it did.
    pub fn summary(&self) -> String {
        let t = &self.trained_on;
        let n_train: usize = t.train_files.values().sum();
        let n_valid: usize = t.valid_files.values().sum();
        let mut s = format!(
            "trained on {} ({} files: {} train, {} valid; {}), {}",
            t.dataset,
            n_train + n_valid,
            n_train,
            n_valid,
            t.split,
            t.date
        );
        let sc = &self.scores;
        if let Some(f) = &sc.test_track_accuracy {
            s += &format!(
                "; test accuracy {:.0}% ± {:.0}",
                100.0 * f.value,
                50.0 * (f.high - f.low)
            );
        }
        if let Some(f) = &sc.valid_track_accuracy {
            s += &format!(
                "; valid accuracy {:.0}% ± {:.0}",
                100.0 * f.value,
                50.0 * (f.high - f.low)
            );
        }
        if let Some(b) = sc.valid_balanced_accuracy {
            s += &format!(", balanced {:.0}%", 100.0 * b);
        }
        if let Some(b) = sc.cv_balanced_accuracy {
            s += &format!("; cross-validated balanced {:.0}%", 100.0 * b);
        }
        if let Some(f) = &self.front_end {
            s += &format!(
                "; on the pretrained front end {} ({}; licence {})",
                f.name,
                f.source.split(" (").next().unwrap_or(&f.source),
                f.licence
            );
        }
        if !t.real_music {
            s += ". Trained on generated signals: its answers are not about real music genres.";
        }
        s
    }
}
