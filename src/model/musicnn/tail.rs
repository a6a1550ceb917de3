//! The mid-end and the back end, reading the front end's live channels, with its constant channels
//! and the dead filters of the first mid-end conv folded in (see `super::host`):
//!
//! - mid-end conv 1 (561 → 64, width 7, zero-padded 3 + 3) reads the live channels; what the
//!   constant ones add is a fixed map per filter and frame (a constant, less at the 3 frames of
//!   each edge, where the kernel reaches into the padding), added with the bias. Its dead
//!   filters' outputs are constant maps. The 64 mid-end channels are kept live-first: the same
//!   order in its three convs (the last two add their input) and in the pooling.
//! - back end: a constant channel's max and mean over time are the constant, so its part of the
//!   dense layer is a fixed vector, folded into the dense bias; the pooled features of the other
//!   channels keep their own batch norm and dense rows.

use burn::tensor::activation::relu;
use burn::tensor::module::conv1d;
use burn::tensor::ops::ConvOptions;
use burn::tensor::{Device, Tensor};

use super::FRAMES;
use super::front::Channel;
use super::host::{Affine, Norm, live_filters, shaped, vector};
use super::weights::MusicnnWeights;

/// Kernel width of the mid-end convs, and their zero padding on each side.
const WIDTH: usize = 7;
const PAD: usize = 3;

/// A mid-end conv: weight `[out, in, 7]`, bias, folded batch norm.
#[derive(Clone, Debug)]
struct Conv {
    weight: Tensor<3>,
    bias: Option<Tensor<1>>,
    norm: Affine,
}

impl Conv {
    fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        let options = ConvOptions::new([1], [PAD], [1], 1);
        conv1d(x, self.weight.clone(), self.bias.clone(), options)
    }
}

/// The mid-end and back end.
#[derive(Clone, Debug)]
pub(super) struct Tail {
    /// Conv 1 on the live front channels, its live filters; without bias: `first_fixed` holds the
    /// bias plus the constant channels' part, `[1, live filters, FRAMES]`.
    first: Conv,
    first_fixed: Tensor<3>,
    /// The outputs of conv 1's dead filters, `[1, dead filters, FRAMES]` (none: `None`).
    first_dead: Option<Tensor<3>>,
    /// Convs 2 and 3, their channels in the live-first order (in and out).
    rest: Vec<Conv>,
    pool_norm: Affine,
    dense_weight: Tensor<2>,
    dense_bias: Tensor<1>,
}

impl Tail {
    /// `front`: what each of the 561 front-end channels is, in TF's order.
    pub(super) fn new(w: &MusicnnWeights, front: &[Channel], device: &Device) -> Self {
        let live_front: Vec<usize> = (0..front.len())
            .filter(|&c| front[c] == Channel::Live)
            .collect();
        let constants: Vec<(usize, f32)> = front
            .iter()
            .enumerate()
            .filter_map(|(c, ch)| match ch {
                Channel::Constant(v) => Some((c, *v)),
                Channel::Live => None,
            })
            .collect();

        // conv 1: live filters on live channels; the rest fixed
        let k = w.get("mid.0.conv.weight"); // [64, 561, 7]
        let (filters, inputs) = (k.shape[0], k.shape[1]);
        let at = |o: usize, c: usize, j: usize| k.data[(o * inputs + c) * WIDTH + j];
        let bias = &w.get("mid.0.conv.bias").data;
        let norm = Norm::read(w, "mid.0.norm");
        let live = live_filters(k);
        let dead: Vec<usize> = (0..filters).filter(|o| !live.contains(o)).collect();
        let mut weight = Vec::with_capacity(live.len() * live_front.len() * WIDTH);
        for &o in &live {
            for &c in &live_front {
                weight.extend((0..WIDTH).map(|j| at(o, c, j)));
            }
        }
        let mut fixed = Vec::with_capacity(live.len() * FRAMES);
        for &o in &live {
            for t in 0..FRAMES {
                // taps j that read a frame t + j − PAD inside the patch
                let taps = PAD.saturating_sub(t)..WIDTH.min(FRAMES + PAD - t);
                let from_constants: f32 = constants
                    .iter()
                    .map(|&(c, v)| v * taps.clone().map(|j| at(o, c, j)).sum::<f32>())
                    .sum();
                fixed.push(bias[o] + from_constants);
            }
        }
        let first = Conv {
            weight: shaped(weight, [live.len(), live_front.len(), WIDTH], device),
            bias: None,
            norm: norm.select(&live).on(device),
        };
        let first_fixed = shaped(fixed, [1, live.len(), FRAMES], device);
        let first_dead = (!dead.is_empty()).then(|| {
            let values = dead
                .iter()
                .flat_map(|&o| std::iter::repeat_n(norm.at(o, bias[o].max(0.0)), FRAMES))
                .collect();
            shaped(values, [1, dead.len(), FRAMES], device)
        });

        // convs 2 and 3 on the mid-end channels, live-first
        let order: Vec<usize> = live.iter().chain(&dead).copied().collect();
        let rest = (1..3)
            .map(|i| {
                let k = w.get(&format!("mid.{i}.conv.weight")); // [64, 64, 7]
                let n = k.shape[1];
                let mut weight = Vec::with_capacity(k.data.len());
                for &o in &order {
                    for &c in &order {
                        let at = (o * n + c) * WIDTH;
                        weight.extend_from_slice(&k.data[at..at + WIDTH]);
                    }
                }
                let bias = &w.get(&format!("mid.{i}.conv.bias")).data;
                Conv {
                    weight: shaped(weight, [order.len(), order.len(), WIDTH], device),
                    bias: Some(vector(order.iter().map(|&o| bias[o]).collect(), device)),
                    norm: Norm::read(w, &format!("mid.{i}.norm"))
                        .select(&order)
                        .on(device),
                }
            })
            .collect();

        // back end: the pooled features of the channels computed, in the order they come
        let channels: Vec<usize> = live_front
            .iter()
            .copied()
            .chain((0..3).flat_map(|m| order.iter().map(move |&o| inputs + m * filters + o)))
            .collect();
        let features: Vec<usize> = channels.iter().flat_map(|&c| [2 * c, 2 * c + 1]).collect();
        let pool_norm = Norm::read(w, "pool_norm");
        let dense = w.get("dense.weight"); // [1506, 200]
        let units = dense.shape[1];
        let row = |f: usize| &dense.data[f * units..(f + 1) * units];
        let mut dense_bias = w.get("dense.bias").data.clone();
        for &(c, v) in &constants {
            // the max and the mean of a constant channel
            for f in [2 * c, 2 * c + 1] {
                let x = pool_norm.at(f, v);
                for (b, wt) in dense_bias.iter_mut().zip(row(f)) {
                    *b += x * wt;
                }
            }
        }
        let dense_weight = features.iter().flat_map(|&f| row(f).to_vec()).collect();
        Self {
            first,
            first_fixed,
            first_dead,
            rest,
            pool_norm: pool_norm.select(&features).on(device),
            dense_weight: shaped(dense_weight, [features.len(), units], device),
            dense_bias: vector(dense_bias, device),
        }
    }

    /// `front`: the front end's live channels, `[batch, live, FRAMES]` → the dense layer's output
    /// after ReLU, `[batch, 200]` (before its batch norm).
    pub(super) fn forward(&self, front: Tensor<3>) -> Tensor<2> {
        let [batch, _, frames] = front.dims();
        assert_eq!(frames, FRAMES, "musicnn reads patches of {FRAMES} frames");
        let y = self.first.forward(front.clone()) + self.first_fixed.clone();
        let mut h = self.first.norm.apply(relu(y));
        if let Some(dead) = &self.first_dead {
            let [_, n, _] = dead.dims();
            h = Tensor::cat(vec![h, dead.clone().expand([batch, n, frames])], 1);
        }
        let mut maps = vec![front, h.clone()];
        for conv in &self.rest {
            h = conv.norm.apply(relu(conv.forward(h.clone()))) + h;
            maps.push(h.clone());
        }
        let fmap = Tensor::cat(maps, 1); // [batch, channels, frames]
        let channels = fmap.dims()[1];

        // max and mean over time, interleaved per channel
        let max = fmap.clone().max_dim(2);
        let mean = fmap.mean_dim(2);
        let pooled = Tensor::cat(vec![max, mean], 2).reshape([batch, 2 * channels]);
        let pooled = self.pool_norm.apply(pooled);
        relu(pooled.matmul(self.dense_weight.clone()) + self.dense_bias.clone().unsqueeze_dim(0))
    }
}
