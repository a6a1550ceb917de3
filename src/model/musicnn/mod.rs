//! The pretrained front end: musicnn's MSD_musicnn network (Pons & Serra, 2019; PyPI `musicnn` 0.1.0, ISC
//! licence, Music Technology Group, Universitat Pompeu Fabra), trained on the Million Song Dataset's top-50
//! tags, frozen, as a burn network on whatever `Device` it is built on.
//!
//! Input: log-mel patches `[batch, 187, 96]` (frames × bands, [`crate::features::LogMelExtractor`]).
//!
//! 1. Batch norm of the single input channel.
//! 2. Timbral branches: time padded by 3 + 3, convs 7×38 and 7×67 (time × frequency, valid), 204 filters.
//!    Temporal branches: convs 128×1, 64×1 and 32×1 ("same" in time, TF-style: the odd padding row goes
//!    after), 51 filters. Each: conv → bias → ReLU → batch norm → max over frequency.
//! 3. The five concatenated: 561 channels per frame. Mid-end: three width-7 1-D convs to 64 channels
//!    (padded 3 + 3), ReLU, batch norm; the second and third add their input.
//! 4. Back end: front end and mid-end concatenated (753 channels); max and mean over time, interleaved
//!    (max₀, mean₀, max₁, …: 1506) → batch norm → dense 200 + ReLU → batch norm = the 200-d **penultimate**
//!    embedding → dense 50 → sigmoid = the **taggram** ([`TAGS`]).
//!
//! Batch norms are folded into a per-channel scale and shift at build time (inference only: the network is
//! never trained here). The conv and dense kernels are float24 (see [`weights`]).

pub mod weights;

use burn::tensor::activation::{relu, sigmoid};
use burn::tensor::module::{conv1d, conv2d};
use burn::tensor::ops::ConvOptions;
use burn::tensor::{Device, Tensor, TensorData};

pub use weights::{HostTensor, MusicnnWeights};

/// Frames per patch and mel bands of the input.
pub const FRAMES: usize = 187;
pub const BANDS: usize = 96;
/// Width of the penultimate embedding.
pub const EMBEDDING: usize = 200;
/// Every batch norm of the TF graph uses this epsilon.
const BN_EPS: f32 = 1e-3;

/// The 50 tags of the taggram, in the network's output order (musicnn's `MSD_LABELS`).
pub const TAGS: [&str; 50] = [
    "rock",
    "pop",
    "alternative",
    "indie",
    "electronic",
    "female vocalists",
    "dance",
    "00s",
    "alternative rock",
    "jazz",
    "beautiful",
    "metal",
    "chillout",
    "male vocalists",
    "classic rock",
    "soul",
    "indie rock",
    "Mellow",
    "electronica",
    "80s",
    "folk",
    "90s",
    "chill",
    "instrumental",
    "punk",
    "oldies",
    "blues",
    "hard rock",
    "ambient",
    "acoustic",
    "experimental",
    "female vocalist",
    "guitar",
    "Hip-Hop",
    "70s",
    "party",
    "country",
    "easy listening",
    "sexy",
    "catchy",
    "funk",
    "electro",
    "heavy metal",
    "Progressive rock",
    "60s",
    "rnb",
    "indie pop",
    "sad",
    "House",
    "happy",
];

/// The `n` most probable of the front end's 50 tags, with their probabilities (most probable first).
pub fn top_tags(taggram: &[f32], n: usize) -> Vec<(&'static str, f32)> {
    let mut order: Vec<usize> = (0..taggram.len().min(TAGS.len())).collect();
    order.sort_by(|&a, &b| taggram[b].total_cmp(&taggram[a]));
    order
        .into_iter()
        .take(n)
        .map(|i| (TAGS[i], taggram[i]))
        .collect()
}

#[cfg(test)]
mod tag_tests {
    #[test]
    fn top_tags_are_the_most_probable_first() {
        let mut t = vec![0.0f32; 50];
        t[3] = 0.9;
        t[0] = 0.5;
        t[7] = 0.7;
        let top = super::top_tags(&t, 2);
        assert_eq!(top, vec![(super::TAGS[3], 0.9), (super::TAGS[7], 0.7)]);
        assert_eq!(super::top_tags(&t[..2], 5).len(), 2);
    }
}

/// A folded batch norm: `x · scale + shift` per channel.
#[derive(Clone, Debug)]
struct Affine {
    scale: Tensor<1>,
    shift: Tensor<1>,
}

impl Affine {
    fn new(w: &MusicnnWeights, path: &str, device: &Device) -> Self {
        let get = |p: &str| &w.get(&format!("{path}.{p}")).data;
        let (gamma, beta, mean, var) = (
            get("gamma"),
            get("beta"),
            get("running_mean"),
            get("running_var"),
        );
        let scale: Vec<f32> = gamma
            .iter()
            .zip(var)
            .map(|(g, v)| g / (v + BN_EPS).sqrt())
            .collect();
        let shift: Vec<f32> = beta
            .iter()
            .zip(mean)
            .zip(&scale)
            .map(|((b, m), s)| b - m * s)
            .collect();
        Self {
            scale: vector(scale, device),
            shift: vector(shift, device),
        }
    }

    /// Applied along dim 1 of `x` (channels), broadcast over the other dims.
    fn apply<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        let mut shape = [1usize; D];
        shape[1] = self.scale.dims()[0];
        x * self.scale.clone().reshape(shape) + self.shift.clone().reshape(shape)
    }
}

fn vector(data: Vec<f32>, device: &Device) -> Tensor<1> {
    let n = data.len();
    Tensor::from_data(TensorData::new(data, [n]), device)
}

fn tensor<const D: usize>(t: &HostTensor, device: &Device) -> Tensor<D> {
    let shape: [usize; D] = t.shape.clone().try_into().expect("checked shapes");
    Tensor::from_data(TensorData::new(t.data.clone(), shape), device)
}

/// conv → bias → ReLU → folded batch norm.
#[derive(Clone, Debug)]
struct Block<const D: usize> {
    weight: Tensor<D>,
    bias: Tensor<1>,
    norm: Affine,
}

impl<const D: usize> Block<D> {
    fn new(w: &MusicnnWeights, path: &str, device: &Device) -> Self {
        Self {
            weight: tensor(w.get(&format!("{path}.conv.weight")), device),
            bias: tensor(w.get(&format!("{path}.conv.bias")), device),
            norm: Affine::new(w, &format!("{path}.norm"), device),
        }
    }
}

/// The outputs of one batch of patches.
pub struct MusicnnOutput {
    /// `[batch, 200]`: the embedding the heads learn from.
    pub penultimate: Tensor<2>,
    /// `[batch, 50]`: the tags' probabilities (independent sigmoids, not a distribution).
    pub taggram: Tensor<2>,
}

/// MSD_musicnn, frozen, on one device.
#[derive(Clone, Debug)]
pub struct Musicnn {
    input_norm: Affine,
    timbral: Vec<Block<4>>,
    temporal: Vec<Block<4>>,
    mid: Vec<Block<3>>,
    pool_norm: Affine,
    dense_weight: Tensor<2>,
    dense_bias: Tensor<1>,
    dense_norm: Affine,
    tags_weight: Tensor<2>,
    tags_bias: Tensor<1>,
}

impl Musicnn {
    /// Puts checked weights on `device`.
    pub fn new(w: &MusicnnWeights, device: &Device) -> Self {
        let blocks = |prefix: &str, n: usize| -> Vec<Block<4>> {
            (0..n)
                .map(|i| Block::new(w, &format!("{prefix}.{i}"), device))
                .collect()
        };
        Self {
            input_norm: Affine::new(w, "input_norm", device),
            timbral: blocks("timbral", 2),
            temporal: blocks("temporal", 3),
            mid: (0..3)
                .map(|i| Block::new(w, &format!("mid.{i}"), device))
                .collect(),
            pool_norm: Affine::new(w, "pool_norm", device),
            dense_weight: tensor(w.get("dense.weight"), device),
            dense_bias: tensor(w.get("dense.bias"), device),
            dense_norm: Affine::new(w, "dense_norm", device),
            tags_weight: tensor(w.get("tags.weight"), device),
            tags_bias: tensor(w.get("tags.bias"), device),
        }
    }

    /// `patches`: `[batch, 187, 96]`. Every patch is computed on its own (no batch statistics).
    pub fn forward(&self, patches: Tensor<3>) -> MusicnnOutput {
        let penultimate = self.embed(patches);
        let logits = penultimate.clone().matmul(self.tags_weight.clone())
            + self.tags_bias.clone().unsqueeze_dim(0);
        MusicnnOutput {
            penultimate,
            taggram: sigmoid(logits),
        }
    }

    /// The penultimate embedding alone, `[batch, 200]`.
    pub fn embed(&self, patches: Tensor<3>) -> Tensor<2> {
        let [batch, frames, bands] = patches.dims();
        let x = self
            .input_norm
            .apply(patches.reshape([batch, 1, frames, bands]));

        // front end: five branches, each [batch, C, frames] after the max over frequency
        let mut branches: Vec<Tensor<3>> = Vec::with_capacity(5);
        for b in &self.timbral {
            let kt = b.weight.dims()[2];
            let options =
                ConvOptions::new_with_padding([1, 1], [(kt / 2, kt / 2), (0, 0)], [1, 1], 1);
            branches.push(front_block(b, x.clone(), options));
        }
        for b in &self.temporal {
            let kt = b.weight.dims()[2];
            let options =
                ConvOptions::new_with_padding([1, 1], [((kt - 1) / 2, kt / 2), (0, 0)], [1, 1], 1);
            branches.push(front_block(b, x.clone(), options));
        }
        let front = Tensor::cat(branches, 1); // [batch, 561, frames]

        // mid-end: three 1-D convs over time, the last two residual
        let mut maps = vec![front.clone()];
        let mut h = front;
        for (i, b) in self.mid.iter().enumerate() {
            let options = ConvOptions::new_with_padding([1], [(3, 3)], [1], 1);
            let y = b.norm.apply(relu(conv1d(
                h.clone(),
                b.weight.clone(),
                Some(b.bias.clone()),
                options,
            )));
            h = if i == 0 { y } else { y + h };
            maps.push(h.clone());
        }
        let fmap = Tensor::cat(maps, 1); // [batch, 753, frames]
        let channels = fmap.dims()[1];

        // back end: max and mean over time, interleaved per channel
        let max = fmap.clone().max_dim(2); // [batch, 753, 1]
        let mean = fmap.mean_dim(2);
        let pooled = Tensor::cat(vec![max, mean], 2).reshape([batch, 2 * channels]);
        let pooled = self.pool_norm.apply(pooled);
        let dense = relu(
            pooled.matmul(self.dense_weight.clone()) + self.dense_bias.clone().unsqueeze_dim(0),
        );
        self.dense_norm.apply(dense)
    }
}

/// conv → bias → ReLU → batch norm → max over frequency: `[batch, C, frames]`.
fn front_block(b: &Block<4>, x: Tensor<4>, options: ConvOptions<2>) -> Tensor<3> {
    let y = conv2d(x, b.weight.clone(), Some(b.bias.clone()), options);
    let y = b.norm.apply(relu(y)).max_dim(3); // [batch, C, frames, 1]
    let [batch, c, frames, _] = y.dims();
    y.reshape([batch, c, frames])
}
