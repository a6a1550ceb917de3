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
//! never trained here). The conv and dense kernels are float24 (see [`weights`]). Its dead filters (most of
//! them) are not computed: their outputs are constants, folded into the layers that read them (`host`);
//! the front end's convolutions are arranged for large matrix products (`front`); the rest is `tail`.

mod front;
mod host;
mod tail;
pub mod weights;

use burn::tensor::activation::sigmoid;
use burn::tensor::{Device, Tensor};

use host::{Affine, Norm, tensor};

pub use weights::{HostTensor, MusicnnWeights};

/// Frames per patch and mel bands of the input.
pub const FRAMES: usize = 187;
pub const BANDS: usize = 96;
/// Width of the penultimate embedding.
pub const EMBEDDING: usize = 200;

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
    front: front::FrontEnd,
    tail: tail::Tail,
    dense_norm: Affine,
    tags_weight: Tensor<2>,
    tags_bias: Tensor<1>,
}

impl Musicnn {
    /// Puts checked weights on `device`.
    pub fn new(w: &MusicnnWeights, device: &Device) -> Self {
        let (front, channels) = front::FrontEnd::new(w, device);
        Self {
            input_norm: Norm::read(w, "input_norm").on(device),
            front,
            tail: tail::Tail::new(w, &channels, device),
            dense_norm: Norm::read(w, "dense_norm").on(device),
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
        // the input's batch norm has one channel: a scale and shift of every value
        let x = self
            .input_norm
            .apply(patches.reshape([batch, 1, frames * bands]))
            .reshape([batch, frames, bands]);
        let front = self.front.forward(x); // [batch, live channels, frames]
        self.dense_norm.apply(self.tail.forward(front))
    }
}
