//! The manifest every exported model carries: labels and their order, the feature parameters
//! and normalisation the model expects, its architecture, and what it was trained on and how
//! well it scored. Loaders refuse a model whose manifest does not fit.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::features::FeatureParams;
use crate::model::{HeadKind, ModelConfig};

pub const FORMAT_NAME: &str = "genre-model";
pub const FORMAT_VERSION: u32 = 1;

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
}

impl Manifest {
    /// Everything a loader must check before it builds the model.
    pub fn validate(&self) -> Result<(), String> {
        if self.format != FORMAT_NAME {
            return Err(format!("not a genre model (format \"{}\")", self.format));
        }
        if self.format_version != FORMAT_VERSION {
            return Err(format!(
                "model format version {} is not supported (this build reads version {})",
                self.format_version, FORMAT_VERSION
            ));
        }
        self.model.validate()?;
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
        if !t.real_music {
            s += ". Trained on generated signals: its answers are not about real music genres.";
        }
        s
    }
}
