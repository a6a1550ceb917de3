//! What a model is made of: which heads, how they are fused, how wide the layers are.
//! Serialised into the manifest so a loader rebuilds exactly the module the weights came from.

use serde::{Deserialize, Serialize};

/// One feature image the model can look at. The order of the variants is the order of the
/// heads in the model and of the inputs in [`crate::model::ModelInput`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HeadKind {
    /// Chromagram, 12 pitch classes × frames.
    Chroma,
    /// Mel spectrogram in dB, 128 bands × frames.
    Mel,
    /// MFCC, 20 coefficients × frames.
    Mfcc,
    /// The pretrained front end's 200-d penultimate embedding of the segment (musicnn's MSD network,
    /// frozen; see [`crate::model::musicnn`]), read as a 200 × 1 "image": no conv blocks, the embedding
    /// goes to the fusion as it is.
    Musicnn,
}

impl HeadKind {
    /// Every head, in model order.
    pub const ALL: [HeadKind; 4] = [
        HeadKind::Chroma,
        HeadKind::Mel,
        HeadKind::Mfcc,
        HeadKind::Musicnn,
    ];
    /// The seed model's three convolutional heads.
    pub const SEED: [HeadKind; 3] = [HeadKind::Chroma, HeadKind::Mel, HeadKind::Mfcc];

    pub fn name(self) -> &'static str {
        match self {
            HeadKind::Chroma => "chroma",
            HeadKind::Mel => "mel",
            HeadKind::Mfcc => "mfcc",
            HeadKind::Musicnn => "musicnn",
        }
    }

    /// A head with conv blocks over a feature image (not the pretrained embedding).
    pub fn is_conv(self) -> bool {
        self != HeadKind::Musicnn
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|h| h.name() == s.trim())
    }
}

/// How the heads' embeddings are combined before the fully connected layers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Fusion {
    /// Concatenate the embeddings (width = heads × embedding).
    Concat,
    /// Element-wise mean of the embeddings.
    Average,
    /// Element-wise sum of the embeddings.
    Sum,
}

impl Fusion {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "concat" => Some(Self::Concat),
            "average" | "avg" | "mean" => Some(Self::Average),
            "sum" => Some(Self::Sum),
            _ => None,
        }
    }
}

/// How much a conv block's max-pool shrinks an axis `len` long: halved while it is still at
/// least 2 long, so a 12-band chromagram survives as many blocks as a 128-band mel
/// spectrogram. The one rule for the blocks and for the embedding widths computed from them.
pub(crate) fn pool_factor(len: usize) -> usize {
    if len >= 2 { 2 } else { 1 }
}

/// The architecture of [`crate::model::GenreCnn`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelConfig {
    /// Heads in use, in [`HeadKind::ALL`] order, no repeats.
    pub heads: Vec<HeadKind>,
    pub fusion: Fusion,
    /// Output channels of each conv → batch norm → ReLU → max-pool block of every head;
    /// the last one is the head's embedding width (after global average pooling).
    pub channels: Vec<usize>,
    /// Width of the hidden fully connected layer; 0: none, the fused embedding goes straight to the
    /// output layer (a linear classifier on it).
    pub hidden: usize,
    /// Dropout before each fully connected layer while training.
    pub dropout: f64,
    pub n_classes: usize,
    /// Height (bands) of each head's input image, in `heads` order.
    pub input_heights: Vec<usize>,
    /// Frames per segment (width of every input image).
    pub frames: usize,
    /// Heads whose input has each band's mean over the segment's frames subtracted before the
    /// first conv block (for MFCC: cepstral mean normalisation), so the head sees how the
    /// spectrum moves, not the recording's average colour, which differs more between artists
    /// than between genres. Empty in models saved before it existed.
    #[serde(default)]
    pub centred_heads: Vec<HeadKind>,
    /// Heads whose last pooling averages over frames only, so the embedding keeps each band
    /// the conv blocks leave apart (`embedding × out_height`) instead of averaging over
    /// frequency too: where in the spectrum a pattern sits stays visible to the classifier.
    /// Empty (average over both axes) in models saved before it existed.
    #[serde(default)]
    pub time_pooled_heads: Vec<HeadKind>,
    /// Heads whose (centred) input is also divided by each band's root mean square over the
    /// segment's frames (floored, see [`SCALE_FLOOR`]), so the head sees each band's movement
    /// at one scale whatever the recording's dynamics. Empty in models saved before it existed.
    #[serde(default)]
    pub scaled_heads: Vec<HeadKind>,
    /// Heads whose embedding also holds each channel's maximum over the last feature map
    /// (over frames only for a time-pooled head) beside its average, doubling the head's
    /// width: whether a pattern occurs anywhere in the segment, not only how much of it.
    /// Empty (average only) in models saved before it existed.
    #[serde(default)]
    pub max_pooled_heads: Vec<HeadKind>,
}

/// Added to each band's mean square before the square root in [`ModelConfig::scaled_heads`]:
/// inputs are standardised per band over the training set, so a band that barely moves within
/// a segment (a band-limited recording's top bands) is scaled by at most 1/√0.01 = 10.
pub const SCALE_FLOOR: f32 = 0.01;

impl ModelConfig {
    /// The default design for `n_classes` labels and the library's default feature shapes.
    pub fn new(n_classes: usize, heads: &[HeadKind], fusion: Fusion) -> Self {
        let p = crate::features::FeatureParams::default();
        let mut heads: Vec<HeadKind> = heads.to_vec();
        heads.sort_by_key(|h| HeadKind::ALL.iter().position(|x| x == h));
        heads.dedup();
        let input_heights = heads
            .iter()
            .map(|h| match h {
                HeadKind::Chroma => p.n_chroma,
                HeadKind::Mel => p.n_mels,
                HeadKind::Mfcc => p.n_mfcc,
                HeadKind::Musicnn => crate::model::musicnn::EMBEDDING,
            })
            .collect();
        Self {
            heads,
            fusion,
            channels: vec![16, 32, 64, 64],
            hidden: 64,
            dropout: 0.3,
            n_classes,
            input_heights,
            frames: p.segment_frames(),
            centred_heads: Vec::new(),
            time_pooled_heads: Vec::new(),
            scaled_heads: Vec::new(),
            max_pooled_heads: Vec::new(),
        }
    }

    pub fn embedding(&self) -> usize {
        *self.channels.last().expect("at least one conv block")
    }

    /// Bands left of an input `height` bands high after the conv blocks (see [`pool_factor`]).
    pub fn out_height(&self, height: usize) -> usize {
        self.channels.iter().fold(height, |h, _| h / pool_factor(h))
    }

    /// Frames of head `head`'s input image: [`Self::frames`], or 1 for the pretrained embedding.
    pub fn head_frames(&self, head: HeadKind) -> usize {
        if head.is_conv() { self.frames } else { 1 }
    }

    /// Whether the model reads the pretrained front end's embedding.
    pub fn has_musicnn(&self) -> bool {
        self.heads.contains(&HeadKind::Musicnn)
    }

    /// Width of head `i`'s embedding.
    pub fn head_width(&self, i: usize) -> usize {
        let kind = &self.heads[i];
        if !kind.is_conv() {
            return self.input_heights[i];
        }
        let bands = if self.time_pooled_heads.contains(kind) {
            self.out_height(self.input_heights[i])
        } else {
            1
        };
        let pools = 1 + self.max_pooled_heads.contains(kind) as usize;
        self.embedding() * bands * pools
    }

    pub fn fused_width(&self) -> usize {
        match self.fusion {
            Fusion::Concat => (0..self.heads.len()).map(|i| self.head_width(i)).sum(),
            Fusion::Average | Fusion::Sum => self.head_width(0),
        }
    }

    /// Checks what a manifest could get wrong before any layer is built.
    pub fn validate(&self) -> Result<(), String> {
        if self.heads.is_empty() {
            return Err("the model has no head".into());
        }
        if self.heads.len() != self.input_heights.len() {
            return Err("heads and input_heights differ in length".into());
        }
        if let Some(i) = self.heads.iter().position(|h| *h == HeadKind::Musicnn)
            && self.input_heights[i] != crate::model::musicnn::EMBEDDING
        {
            return Err(format!(
                "the musicnn head reads the {}-d embedding, not {}",
                crate::model::musicnn::EMBEDDING,
                self.input_heights[i]
            ));
        }
        if self.channels.is_empty() || self.channels.contains(&0) {
            return Err("channels must be a non-empty list of positive widths".into());
        }
        if self.n_classes < 2 {
            return Err(format!(
                "a classifier needs at least 2 labels, got {}",
                self.n_classes
            ));
        }
        for (what, list) in [
            ("centred", &self.centred_heads),
            ("scaled", &self.scaled_heads),
            ("time-pooled", &self.time_pooled_heads),
            ("max-pooled", &self.max_pooled_heads),
        ] {
            if let Some(h) = list.iter().find(|h| !self.heads.contains(h)) {
                return Err(format!(
                    "{what} head {} is not one of the model's heads",
                    h.name()
                ));
            }
            if let Some(h) = list.iter().find(|h| !h.is_conv()) {
                return Err(format!("the {} head has no image to be {what}", h.name()));
            }
        }
        if self.fusion != Fusion::Concat
            && (1..self.heads.len()).any(|i| self.head_width(i) != self.head_width(0))
        {
            return Err("average and sum fusion need heads of one embedding width".into());
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return Err(format!("dropout {} is not in [0, 1)", self.dropout));
        }
        Ok(())
    }
}
