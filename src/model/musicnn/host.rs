//! Building blocks on the host: folded batch norms, which filters are dead, and tensors made from
//! host values.
//!
//! **Dead filters.** Most of MSD_musicnn's filters were switched off in training: every weight of 164
//! of the 204 filters of the 7×38 timbral conv, 183 of 204 of the 7×67 one, 51 of the 153 temporal
//! ones and 44 of the 64 of the first mid-end conv is below 1e-30 in magnitude (the live filters'
//! largest weights are above 0.05: nothing lies between). Such a filter's products vanish below
//! float32's resolution of its bias, so its output is a constant, `norm(relu(bias))`, whatever the
//! input. The network computes only the live filters and folds the constants into the layers that
//! read them (`super::front`, `super::tail`): 0.31 instead of 1.40 GMAC per patch, the same outputs
//! (parity with TensorFlow: `tests/musicnn_reference.rs`).

use burn::tensor::{Device, Tensor, TensorData};

use super::weights::{DEAD, HostTensor, MusicnnWeights};

/// Every batch norm of the TF graph uses this epsilon.
const BN_EPS: f32 = 1e-3;

/// The filters (first axis of `k`) with a weight of magnitude ≥ [`DEAD`], in order.
pub(super) fn live_filters(k: &HostTensor) -> Vec<usize> {
    let per = k.data.len() / k.shape[0];
    (0..k.shape[0])
        .filter(|&o| {
            k.data[o * per..(o + 1) * per]
                .iter()
                .any(|x| x.abs() >= DEAD)
        })
        .collect()
}

/// A batch norm folded into `x · scale + shift` per channel, on the host.
#[derive(Clone, Debug)]
pub(super) struct Norm {
    pub scale: Vec<f32>,
    pub shift: Vec<f32>,
}

impl Norm {
    pub fn read(w: &MusicnnWeights, path: &str) -> Self {
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
        let shift = beta
            .iter()
            .zip(mean)
            .zip(&scale)
            .map(|((b, m), s)| b - m * s)
            .collect();
        Self { scale, shift }
    }

    /// The channels `idx`, in that order.
    pub fn select(&self, idx: &[usize]) -> Self {
        Self {
            scale: idx.iter().map(|&i| self.scale[i]).collect(),
            shift: idx.iter().map(|&i| self.shift[i]).collect(),
        }
    }

    /// Channel `c` of `x`.
    pub fn at(&self, c: usize, x: f32) -> f32 {
        x * self.scale[c] + self.shift[c]
    }

    pub fn on(&self, device: &Device) -> Affine {
        Affine {
            scale: vector(self.scale.clone(), device),
            shift: vector(self.shift.clone(), device),
        }
    }
}

/// A folded batch norm on a device.
#[derive(Clone, Debug)]
pub(super) struct Affine {
    scale: Tensor<1>,
    shift: Tensor<1>,
}

impl Affine {
    /// Applied along dim 1 of `x` (channels), broadcast over the other dims.
    pub fn apply<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        let mut shape = [1usize; D];
        shape[1] = self.scale.dims()[0];
        x * self.scale.clone().reshape(shape) + self.shift.clone().reshape(shape)
    }
}

pub(super) fn vector(data: Vec<f32>, device: &Device) -> Tensor<1> {
    let n = data.len();
    Tensor::from_data(TensorData::new(data, [n]), device)
}

pub(super) fn tensor<const D: usize>(t: &HostTensor, device: &Device) -> Tensor<D> {
    let shape: [usize; D] = t.shape.clone().try_into().expect("checked shapes");
    Tensor::from_data(TensorData::new(t.data.clone(), shape), device)
}

/// `data` of `shape` on `device`.
pub(super) fn shaped<const D: usize>(
    data: Vec<f32>,
    shape: [usize; D],
    device: &Device,
) -> Tensor<D> {
    Tensor::from_data(TensorData::new(data, shape), device)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filter_is_live_if_any_weight_reaches_the_threshold() {
        let k = HostTensor {
            shape: vec![3, 2],
            data: vec![1e-31, -2e-30, 0.0, -0.07, 1e-25, 1e-19],
        };
        assert_eq!(live_filters(&k), vec![1, 2]);
    }
}
