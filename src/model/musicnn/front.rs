//! The front end's five branches, each conv → bias → ReLU → batch norm → max over frequency, on
//! `[batch, frames, bands]` log-mel patches, giving `[batch, filters, frames]` each, of their live
//! filters only (a dead one's output is a constant: [`Channel`], see `super::host`).
//!
//! TF's convolutions have one input channel; burn-flex runs such a conv on small matrix products.
//! The same sums are arranged here as 1-D convolutions with many input channels, which it runs on
//! large ones, the same code on every backend (parity with TF: `tests/musicnn_reference.rs`):
//! - timbral (7 × 38 and 7 × 67, time × frequency): a conv over time whose input channels are the
//!   38 (67) bands of one frequency window, one "batch" row per window (windows outermost, so that
//!   the max over them is a few elementwise maxima of contiguous halves);
//! - temporal (128, 64, 32 frames, one band wide): polyphase: one "batch" row per block of
//!   [`PHASES`] output frames: a matrix product of the padded frames the block reads (per band)
//!   gives its [`PHASES`] frames × filters per band, the bands last (where a max is fast).
//!   (burn-flex runs it a little faster as a 1 × 1 conv, burn-ndarray 30× slower.)
//!
//! The max over frequency comes before bias, ReLU and batch norm, see [`Finish`].

use burn::tensor::activation::relu;
use burn::tensor::module::conv1d;
use burn::tensor::ops::{ConvOptions, PadMode};
use burn::tensor::{Device, Tensor};

use super::host::{Affine, Norm, live_filters, shaped, vector};
use super::weights::{HostTensor, MusicnnWeights};

/// Output frames per block of the temporal branches' polyphase form.
const PHASES: usize = 8;

/// Bias, ReLU and batch norm of a branch's live filters, after its max over frequency.
///
/// `norm(relu(z + b))` is monotone in `z` per filter: rising where the norm's scale is ≥ 0, falling
/// where it is < 0. So its max over frequency is its value at `max z` or at `min z`, exactly
/// (rounding is monotone too), and only the reduced map goes through bias, ReLU and norm. A falling
/// filter's kernel is stored negated (`sign` −1), which turns its `min z` into the max of the
/// conv's output: one max for every filter, then `z = sign · max`.
#[derive(Clone, Debug)]
struct Finish {
    sign: Tensor<1>,
    bias: Tensor<1>,
    norm: Affine,
}

impl Finish {
    fn new(bias: &[f32], norm: &Norm, device: &Device) -> Self {
        Self {
            sign: vector(signs(norm), device),
            bias: vector(bias.to_vec(), device),
            norm: norm.on(device),
        }
    }

    /// `max`: `[batch, filters, frames]`, the max over frequency of the (sign-flipped) conv.
    fn apply(&self, max: Tensor<3>) -> Tensor<3> {
        let c = self.bias.dims()[0];
        let per_channel = |t: &Tensor<1>| t.clone().reshape([1, c, 1]);
        let z = max * per_channel(&self.sign);
        self.norm.apply(relu(z + per_channel(&self.bias)))
    }
}

/// +1 for a filter whose norm rises with its input, −1 for one whose norm falls.
fn signs(norm: &Norm) -> Vec<f32> {
    norm.scale
        .iter()
        .map(|&s| if s >= 0.0 { 1.0 } else { -1.0 })
        .collect()
}

/// The max over the first axis of `y`, as a tree of elementwise maxima of its two (overlapping)
/// halves: on burn-flex, several times faster than `max_dim` over an outer axis.
fn max_over_first(mut y: Tensor<2>) -> Tensor<2> {
    let mut n = y.dims()[0];
    while n > 1 {
        let half = n.div_ceil(2);
        y = y
            .clone()
            .narrow(0, 0, half)
            .max_pair(y.narrow(0, n - half, half));
        n = half;
    }
    y
}

/// One front-end channel (a branch's filter, in TF's order of the 561): computed, or a constant.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Channel {
    Live,
    Constant(f32),
}

/// A branch's kernel `[filters, …]`, its live filters' bias and norm, and each filter's channel.
fn branch(
    w: &MusicnnWeights,
    path: &str,
) -> (HostTensor, Vec<usize>, Vec<f32>, Norm, Vec<Channel>) {
    let k = w.get(&format!("{path}.conv.weight")).clone();
    let bias = &w.get(&format!("{path}.conv.bias")).data;
    let norm = Norm::read(w, &format!("{path}.norm"));
    let live = live_filters(&k);
    let channels = (0..k.shape[0])
        .map(|o| {
            if live.contains(&o) {
                Channel::Live
            } else {
                Channel::Constant(norm.at(o, bias[o].max(0.0)))
            }
        })
        .collect();
    let live_bias = live.iter().map(|&o| bias[o]).collect();
    let live_norm = norm.select(&live);
    (k, live, live_bias, live_norm, channels)
}

/// A timbral branch: kernel `[live filters, kf, kt]` (sign-flipped, see [`Finish`]) for a 1-D
/// conv over time whose input channels are the `kf` bands of one frequency window.
#[derive(Clone, Debug)]
struct Timbral {
    weight: Tensor<3>,
    finish: Finish,
    kt: usize,
    kf: usize,
}

impl Timbral {
    fn new(w: &MusicnnWeights, path: &str, device: &Device) -> (Self, Vec<Channel>) {
        // TF's kernel as burn's conv2d holds it, [filters, 1, kt, kf] → [live, kf, kt]
        let (k, live, bias, norm, channels) = branch(w, path);
        let (kt, kf) = (k.shape[2], k.shape[3]);
        let sign = signs(&norm);
        let mut data = vec![0.0; live.len() * kf * kt];
        for (i, &o) in live.iter().enumerate() {
            for t in 0..kt {
                for f in 0..kf {
                    data[(i * kf + f) * kt + t] = sign[i] * k.data[(o * kt + t) * kf + f];
                }
            }
        }
        let branch = Self {
            weight: shaped(data, [live.len(), kf, kt], device),
            finish: Finish::new(&bias, &norm, device),
            kt,
            kf,
        };
        (branch, channels)
    }

    fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        let [batch, frames, bands] = x.dims();
        let windows = bands - self.kf + 1;
        // time padded kt/2 each side ("same" for the odd kt = 7)
        let x = x.pad([(self.kt / 2, self.kt / 2), (0, 0)], PadMode::Constant(0.0));
        let padded = x.dims()[1];
        // [batch, padded, windows, kf] → [windows · batch, kf, padded]: windows outermost
        let u: Tensor<4> = x.unfold(2, self.kf, 1);
        let u = u
            .permute([2, 0, 3, 1])
            .reshape([windows * batch, self.kf, padded]);
        let y = conv1d(
            u,
            self.weight.clone(),
            None,
            ConvOptions::new([1], [0], [1], 1),
        );
        let filters = y.dims()[1];
        let max = max_over_first(y.reshape([windows, batch * filters * frames]));
        self.finish.apply(max.reshape([batch, filters, frames]))
    }
}

/// A temporal branch in polyphase form: for each block of [`PHASES`] output frames, one matrix
/// product of the kernel `[1, PHASES · filters, window]` with the `window` padded frames that
/// block reads (per band), where the kernel's row `r · filters + o` holds live filter `o`'s taps
/// (sign-flipped, see [`Finish`]) shifted by `r`, zero elsewhere.
#[derive(Clone, Debug)]
struct Temporal {
    weight: Tensor<3>,
    finish: Finish,
    /// TF's kernel length ("same" padding: (kt − 1) / 2 before the frame).
    kt: usize,
    filters: usize,
}

impl Temporal {
    fn new(w: &MusicnnWeights, path: &str, device: &Device) -> (Self, Vec<Channel>) {
        let (k, live, bias, norm, channels) = branch(w, path); // [filters, 1, kt, 1]
        let (filters, kt) = (live.len(), k.shape[2]);
        let sign = signs(&norm);
        let window = (PHASES + kt - 1).next_multiple_of(PHASES);
        let mut data = vec![0.0; PHASES * filters * window];
        for r in 0..PHASES {
            for (i, &o) in live.iter().enumerate() {
                let row = (r * filters + i) * window;
                for (d, &v) in data[row + r..row + r + kt]
                    .iter_mut()
                    .zip(&k.data[o * kt..(o + 1) * kt])
                {
                    *d = sign[i] * v;
                }
            }
        }
        let branch = Self {
            weight: shaped(data, [1, PHASES * filters, window], device),
            finish: Finish::new(&bias, &norm, device),
            kt,
            filters,
        };
        (branch, channels)
    }

    fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        let [batch, frames, bands] = x.dims();
        let window = self.weight.dims()[2];
        let steps = frames.div_ceil(PHASES);
        // padded as TF's "same" ((kt − 1)/2 before), and after up to the last block's window
        let before = (self.kt - 1) / 2;
        let length = (steps - 1) * PHASES + window;
        let x = x.pad(
            [(before, length - before - frames), (0, 0)],
            PadMode::Constant(0.0),
        );
        // [batch, steps, bands, window] → [batch · steps, window, bands]
        let u: Tensor<4> = x.unfold(1, window, PHASES);
        let u = u.swap_dims(2, 3).reshape([batch * steps, window, bands]);
        let y = self.weight.clone().matmul(u);
        // [batch · steps, PHASES · filters, bands]: the max over the bands (the last axis), then
        // block s's phase r is frame s · PHASES + r
        let max = y
            .max_dim(2)
            .reshape([batch, steps, PHASES, self.filters])
            .permute([0, 3, 1, 2])
            .reshape([batch, self.filters, steps * PHASES])
            .narrow(2, 0, frames);
        self.finish.apply(max)
    }
}

/// The five branches, their live filters.
#[derive(Clone, Debug)]
pub(super) struct FrontEnd {
    timbral: Vec<Timbral>,
    temporal: Vec<Temporal>,
}

impl FrontEnd {
    /// The branches, and what each of the 561 channels is (TF's order: timbral 7×38, 7×67,
    /// temporal 128, 64, 32); [`Self::forward`] gives the live ones in that order.
    pub(super) fn new(w: &MusicnnWeights, device: &Device) -> (Self, Vec<Channel>) {
        let mut channels = Vec::new();
        let mut timbral = Vec::new();
        let mut temporal = Vec::new();
        for i in 0..2 {
            let (b, c) = Timbral::new(w, &format!("timbral.{i}"), device);
            channels.extend(c);
            timbral.push(b);
        }
        for i in 0..3 {
            let (b, c) = Temporal::new(w, &format!("temporal.{i}"), device);
            channels.extend(c);
            temporal.push(b);
        }
        // a branch without a live filter adds only constants
        timbral.retain(|b| b.weight.dims()[0] > 0);
        temporal.retain(|b| b.filters > 0);
        (Self { timbral, temporal }, channels)
    }

    /// `x`: `[batch, frames, bands]` (after the input's batch norm) → `[batch, live channels, frames]`.
    pub(super) fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        let mut branches: Vec<Tensor<3>> =
            self.timbral.iter().map(|b| b.forward(x.clone())).collect();
        branches.extend(self.temporal.iter().map(|b| b.forward(x.clone())));
        Tensor::cat(branches, 1)
    }
}
