//! A training recipe: everything that shapes a run (saved in checkpoints, so a resumed run must
//! match), its defaults, and the features and notes it implies.

use serde::{Deserialize, Serialize};

use genre::features::{FeatureParams, PcenParams};
use genre::model::ModelConfig;

/// Everything that shapes a training run (saved in checkpoints: a resumed run must match).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainOptions {
    pub model: ModelConfig,
    pub epochs: usize,
    pub batch_size: usize,
    pub learning_rate: f64,
    pub weight_decay: f32,
    /// Epochs without a better validation score before stopping.
    pub patience: usize,
    pub seed: u64,
    /// Random 3-s crops drawn per training clip per epoch (overlapping segments).
    pub crops_per_clip: usize,
    /// Sampling of labels: 0 = as often as they occur, 1 = every label equally often.
    pub balance: f32,
    /// `balance` of the last `late_balance_epochs` epochs (deferred re-balancing, Cao et al.,
    /// 2019); `late_balance_epochs` 0 switches it off.
    #[serde(default)]
    pub late_balance: f32,
    #[serde(default)]
    pub late_balance_epochs: usize,
    /// Weight the loss by inverse label frequency (an alternative to `balance`).
    pub class_weights: bool,
    /// Beta(α, α) mixup between examples of a batch; 0 switches it off.
    pub mixup_alpha: f32,
    /// Probability of blanking one randomly chosen head's image of an example (with ≥ 2 heads).
    #[serde(default)]
    pub head_dropout: f32,
    /// SpecAugment-style masks: one time band and one frequency band per head image.
    pub spec_augment: bool,
    /// Crops start anywhere (overlapping segments); false: only on the 3-s grid.
    #[serde(default = "yes")]
    pub overlap: bool,
    /// Random gain in ± dB and a random spectral tilt of ± dB across the band (EQ).
    pub gain_db: f32,
    pub tilt_db: f32,
    /// Keep an exponential moving average of the weights over about this many epochs and
    /// evaluate, early-stop and export the average instead of the last step's weights; 0: off.
    #[serde(default)]
    pub ema_epochs: f32,
    /// Transpose each example's chromagram by a random number of semitones (a circular roll
    /// of its 12 bands): a pitch shift for the chroma head, which keeps the genre.
    #[serde(default)]
    pub key_shift: bool,
    /// Play each training crop up to this fraction faster or slower (tempo and pitch together,
    /// by resampling the waveform; 0.1 = rates from 1/1.1 to 1.1); 0 switches it off.
    #[serde(default)]
    pub speed: f32,
    /// Instead of `speed`: play each crop k semitones higher and faster, rate 2^(k/12), k drawn
    /// uniformly from −K..=K; whole semitones keep the chromagram a clean transposition.
    #[serde(default)]
    pub speed_semitones: u32,
    /// The speed change reaches the chromagram too; false: chroma is computed from the crop at
    /// its own speed, and only the mel and MFCC images see the change.
    #[serde(default)]
    pub speed_chroma: bool,
    /// Logit adjustment: subtract τ·ln(prior) from every evaluated and exported model's logits,
    /// where the prior is how often training drew each label; 0 switches it off. τ = 1 turns
    /// the model's guess into the one that suits equally frequent labels (Menon et al., 2021).
    #[serde(default)]
    pub logit_adjust: f32,
    /// Label smoothing ε: each target keeps 1 − ε on its label and spreads ε evenly over all
    /// labels (Szegedy et al., 2016), before mixup; 0 switches it off.
    #[serde(default)]
    pub label_smoothing: f32,
    /// Probability that a training crop gets a crop of another training clip of the same label
    /// mixed into its waveform (matched in level, weight drawn from 0 to 0.5; the label is
    /// kept): new blends of the recordings of one genre; 0 switches it off.
    #[serde(default)]
    pub same_genre_mix: f32,
    /// Remix (Chou et al., 2020): in a mixup pair whose labels' training clip counts differ by
    /// at least this factor, the mixed target is all the rarer label's when the commoner
    /// example's share of the mix is below `remix_tau`; 0 switches it off.
    #[serde(default)]
    pub remix_kappa: f32,
    #[serde(default)]
    pub remix_tau: f32,
    /// The mel head sees PCEN (per-channel energy normalisation, `librosa.pcen`'s defaults)
    /// instead of dB (see `FeatureParams::pcen`).
    #[serde(default)]
    pub pcen: bool,
    /// With the musicnn head: training crops start on a grid this many samples apart (at
    /// 22 050 Hz), where the front end's embeddings are cached; it divides the 3-s segment.
    #[serde(default = "default_embedding_hop")]
    pub embedding_hop: usize,
    /// With the musicnn head: Gaussian noise of this standard deviation added to each normalised
    /// training embedding (an augmentation that makes sense on a cached embedding); 0: off.
    #[serde(default)]
    pub embedding_noise: f32,
}

/// 1.5 s at 22 050 Hz: 19 crops of a 30-s clip.
pub const DEFAULT_EMBEDDING_HOP: usize = 33_075;

fn default_embedding_hop() -> usize {
    DEFAULT_EMBEDDING_HOP
}

fn yes() -> bool {
    true
}

impl TrainOptions {
    /// The features this recipe trains on (and the exported manifest states).
    pub fn feature_params(&self) -> FeatureParams {
        FeatureParams {
            pcen: self.pcen.then(PcenParams::default),
            ..FeatureParams::default()
        }
    }

    /// The label balance that `epoch` (0-based) draws with.
    pub fn balance_at(&self, epoch: usize) -> f32 {
        if self.late_balance_epochs > 0 && epoch + self.late_balance_epochs >= self.epochs {
            self.late_balance
        } else {
            self.balance
        }
    }

    /// The training recipe in words for the manifest: the sampling, then only the
    /// augmentations and losses that are switched on (a zero or false option is left out).
    pub fn recipe_notes(&self) -> String {
        let mut parts = vec![];
        if self.pcen {
            parts.push("mel as PCEN".to_string());
        }
        parts.extend([
            format!(
                "{} {} crops/clip/epoch",
                self.crops_per_clip,
                if self.overlap {
                    "overlapping"
                } else {
                    "grid-aligned"
                }
            ),
            format!("balance {}", self.balance),
        ]);
        if self.late_balance_epochs > 0 {
            parts.push(format!(
                "balance {} for the last {} epochs",
                self.late_balance, self.late_balance_epochs
            ));
        }
        if self.class_weights {
            parts.push("class-weighted loss".into());
        }
        if self.mixup_alpha > 0.0 {
            parts.push(format!("mixup {}", self.mixup_alpha));
        }
        if self.mixup_alpha > 0.0 && self.remix_kappa > 0.0 {
            parts.push(format!("remix κ {} τ {}", self.remix_kappa, self.remix_tau));
        }
        if self.spec_augment {
            parts.push("SpecAugment".into());
        }
        if self.head_dropout > 0.0 {
            parts.push(format!("head dropout {}", self.head_dropout));
        }
        if self.key_shift {
            parts.push("key shift".into());
        }
        let chroma = if self.speed_chroma {
            ", chroma too"
        } else {
            ", not chroma"
        };
        if self.speed_semitones > 0 {
            parts.push(format!("speed ±{} semitones{chroma}", self.speed_semitones));
        } else if self.speed > 0.0 {
            parts.push(format!("speed ±{}{chroma}", self.speed));
        }
        if self.gain_db > 0.0 {
            parts.push(format!("gain ±{} dB", self.gain_db));
        }
        if self.tilt_db > 0.0 {
            parts.push(format!("tilt ±{} dB", self.tilt_db));
        }
        if self.logit_adjust != 0.0 {
            parts.push(format!("logit adjustment {}", self.logit_adjust));
        }
        if self.label_smoothing > 0.0 {
            parts.push(format!("label smoothing {}", self.label_smoothing));
        }
        if self.same_genre_mix > 0.0 {
            parts.push(format!("same-genre mix {}", self.same_genre_mix));
        }
        let mut notes = parts.join(", ");
        if self.ema_epochs > 0.0 {
            notes += &format!("; weights averaged over ~{} epochs (EMA)", self.ema_epochs);
        }
        notes
    }
}

/// A small recipe for unit tests.
#[cfg(test)]
pub(crate) fn test_options() -> TrainOptions {
    TrainOptions {
        model: ModelConfig::new(
            2,
            &genre::model::HeadKind::SEED,
            genre::model::Fusion::Concat,
        ),
        epochs: 1,
        batch_size: 8,
        learning_rate: 1e-3,
        weight_decay: 1e-2,
        patience: 5,
        seed: 1,
        crops_per_clip: 2,
        balance: 0.0,
        late_balance: 0.0,
        late_balance_epochs: 0,
        class_weights: false,
        mixup_alpha: 0.0,
        head_dropout: 0.0,
        spec_augment: false,
        overlap: true,
        gain_db: 0.0,
        tilt_db: 0.0,
        ema_epochs: 0.0,
        key_shift: false,
        speed: 0.0,
        speed_semitones: 0,
        speed_chroma: false,
        logit_adjust: 0.0,
        label_smoothing: 0.0,
        same_genre_mix: 0.0,
        remix_kappa: 0.0,
        remix_tau: 0.5,
        pcen: false,
        embedding_hop: DEFAULT_EMBEDDING_HOP,
        embedding_noise: 0.0,
    }
}
