//! The multi-head CNN: one convolutional head per feature image (chromagram, mel spectrogram,
//! MFCC), each (optionally centred per band over the segment, see
//! [`ModelConfig::centred_heads`]) conv → batch norm → ReLU → max-pool blocks and global average pooling
//! (optionally beside global max pooling, see [`ModelConfig::max_pooled_heads`]), and optionally the
//! pretrained front end's embedding ([`musicnn`], computed outside this module by the frozen network),
//! fused (concatenation, mean or sum), then two fully connected layers with dropout to the logits (or one:
//! a linear classifier, [`ModelConfig::hidden`] 0).
//!
//! The module runs on whatever `Device` its tensors live on (burn 0.22 dispatches at run
//! time); it never picks a device or reads a file.

mod config;
pub mod musicnn;

pub use config::{Fusion, HeadKind, ModelConfig, SCALE_FLOOR};

use burn::module::Module;
use burn::nn::pool::{AdaptiveAvgPool2d, AdaptiveAvgPool2dConfig, MaxPool2d, MaxPool2dConfig};
use burn::nn::{
    BatchNorm, BatchNormConfig, Dropout, DropoutConfig, Linear, LinearConfig, PaddingConfig2d,
    Relu, conv::Conv2d, conv::Conv2dConfig,
};
use burn::tensor::{Device, Tensor, TensorData};

/// conv 3×3 (same padding) → batch norm → ReLU → max-pool.
#[derive(Module, Debug)]
pub struct ConvBlock {
    conv: Conv2d,
    norm: BatchNorm,
    activation: Relu,
    pool: MaxPool2d,
}

impl ConvBlock {
    fn new(c_in: usize, c_out: usize, pool: [usize; 2], device: &Device) -> Self {
        Self {
            conv: Conv2dConfig::new([c_in, c_out], [3, 3])
                .with_padding(PaddingConfig2d::Same)
                .with_bias(false)
                .init(device),
            norm: BatchNormConfig::new(c_out).init(device),
            activation: Relu::new(),
            pool: MaxPool2dConfig::new(pool).init(),
        }
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        self.pool.forward(
            self.activation
                .forward(self.norm.forward(self.conv.forward(x))),
        )
    }
}

/// The blocks that turn one feature image `[batch, 1, bands, frames]` into `[batch, embedding]`.
#[derive(Module, Debug)]
pub struct ConvHead {
    blocks: Vec<ConvBlock>,
    global_pool: AdaptiveAvgPool2d,
    /// Bands the global pooling keeps (1 unless time-pooled).
    #[module(skip)]
    out_bands: usize,
}

impl ConvHead {
    /// `keep_bands`: the last pooling averages over frames only (see
    /// [`ModelConfig::time_pooled_heads`]).
    fn new(
        height: usize,
        width: usize,
        channels: &[usize],
        keep_bands: bool,
        device: &Device,
    ) -> Self {
        let (mut h, mut w, mut c_in) = (height, width, 1);
        let mut blocks = Vec::with_capacity(channels.len());
        for &c_out in channels {
            let pool = [config::pool_factor(h), config::pool_factor(w)];
            blocks.push(ConvBlock::new(c_in, c_out, pool, device));
            h /= pool[0];
            w /= pool[1];
            c_in = c_out;
        }
        let out_bands = if keep_bands { h } else { 1 };
        Self {
            blocks,
            global_pool: AdaptiveAvgPool2dConfig::new([out_bands, 1]).init(),
            out_bands,
        }
    }

    /// `[batch, embedding]`: the channels' averages, then (`with_max`) their maxima.
    fn forward(&self, x: Tensor<4>, with_max: bool) -> Tensor<2> {
        let x = self.blocks.iter().fold(x, |x, block| block.forward(x));
        let avg = self.global_pool.forward(x.clone()).flatten(1, 3);
        if !with_max {
            return avg;
        }
        let max = x.max_dim(3);
        let max = if self.out_bands == 1 {
            max.max_dim(2)
        } else {
            max
        };
        Tensor::cat(vec![avg, max.flatten(1, 3)], 1)
    }
}

/// The inputs of one batch, each `[batch, 1, bands, frames]` (the embedding: `[batch, 1, 200, 1]`),
/// already normalised (see [`crate::inference::Normalisation`]). Inputs of heads the model lacks are
/// ignored and may be `None`.
#[derive(Default)]
pub struct ModelInput {
    pub chroma: Option<Tensor<4>>,
    pub mel: Option<Tensor<4>>,
    pub mfcc: Option<Tensor<4>>,
    pub musicnn: Option<Tensor<4>>,
}

impl ModelInput {
    fn take(&mut self, kind: HeadKind) -> Option<Tensor<4>> {
        self.slot(kind).take()
    }

    /// Where head `kind`'s input goes.
    pub fn slot(&mut self, kind: HeadKind) -> &mut Option<Tensor<4>> {
        match kind {
            HeadKind::Chroma => &mut self.chroma,
            HeadKind::Mel => &mut self.mel,
            HeadKind::Mfcc => &mut self.mfcc,
            HeadKind::Musicnn => &mut self.musicnn,
        }
    }
}

#[derive(Module, Debug)]
pub struct GenreCnn {
    /// The conv heads, in the order of the config's conv heads (the embedding head has none).
    heads: Vec<ConvHead>,
    /// The hidden layer (absent for a linear classifier, `hidden` 0).
    fc1: Option<Linear>,
    fc2: Linear,
    dropout: Dropout,
    activation: Relu,
    #[module(skip)]
    config: ModelConfig,
}

impl GenreCnn {
    /// Builds a freshly initialised model. Panics on an invalid config: call
    /// [`ModelConfig::validate`] first on anything read from a file.
    pub fn new(config: &ModelConfig, device: &Device) -> Self {
        config.validate().expect("invalid model config");
        let heads = config
            .heads
            .iter()
            .zip(&config.input_heights)
            .filter(|(kind, _)| kind.is_conv())
            .map(|(kind, &h)| {
                let keep_bands = config.time_pooled_heads.contains(kind);
                ConvHead::new(h, config.frames, &config.channels, keep_bands, device)
            })
            .collect();
        let (fc1, last_in) = if config.hidden > 0 {
            let fc1 = LinearConfig::new(config.fused_width(), config.hidden).init(device);
            (Some(fc1), config.hidden)
        } else {
            (None, config.fused_width())
        };
        Self {
            heads,
            fc1,
            fc2: LinearConfig::new(last_in, config.n_classes).init(device),
            dropout: DropoutConfig::new(config.dropout).init(),
            activation: Relu::new(),
            config: config.clone(),
        }
    }

    pub fn config(&self) -> &ModelConfig {
        &self.config
    }

    /// Head embeddings fused into `[batch, fused_width]`.
    pub fn embed(&self, mut input: ModelInput) -> Tensor<2> {
        let mut conv_heads = self.heads.iter();
        let embeddings: Vec<Tensor<2>> = self
            .config
            .heads
            .iter()
            .map(|&kind| {
                let x = input
                    .take(kind)
                    .unwrap_or_else(|| panic!("the model's {} head got no input", kind.name()));
                if !kind.is_conv() {
                    return x.flatten(1, 3);
                }
                let head = conv_heads.next().expect("one conv head per conv kind");
                let x = if self.config.centred_heads.contains(&kind) {
                    x.clone() - x.mean_dim(3)
                } else {
                    x
                };
                let x = if self.config.scaled_heads.contains(&kind) {
                    let rms = (x.clone().powi_scalar(2).mean_dim(3) + SCALE_FLOOR).sqrt();
                    x / rms
                } else {
                    x
                };
                head.forward(x, self.config.max_pooled_heads.contains(&kind))
            })
            .collect();
        let n = embeddings.len();
        match self.config.fusion {
            Fusion::Concat => Tensor::cat(embeddings, 1),
            Fusion::Sum => embeddings
                .into_iter()
                .reduce(|a, b| a + b)
                .expect("≥ 1 head"),
            Fusion::Average => {
                embeddings
                    .into_iter()
                    .reduce(|a, b| a + b)
                    .expect("≥ 1 head")
                    / n as f32
            }
        }
    }

    /// The same model with `offsets` (one per class) added to its logits, folded into the last
    /// layer's bias: e.g. logit adjustment by the training label prior, which the page then
    /// applies with no code of its own.
    pub fn with_logit_offsets(mut self, offsets: &[f32]) -> Self {
        assert_eq!(offsets.len(), self.config.n_classes, "one offset per class");
        if let Some(bias) = self.fc2.bias.take() {
            let device = bias.val().device();
            let add =
                Tensor::<1>::from_data(TensorData::new(offsets.to_vec(), [offsets.len()]), &device);
            self.fc2.bias = Some(bias.map(|b| b + add));
        }
        self
    }

    /// Logits `[batch, n_classes]`.
    pub fn forward(&self, input: ModelInput) -> Tensor<2> {
        let x = self.dropout.forward(self.embed(input));
        match &self.fc1 {
            Some(fc1) => {
                let x = self.activation.forward(fc1.forward(x));
                self.fc2.forward(self.dropout.forward(x))
            }
            None => self.fc2.forward(x),
        }
    }
}
