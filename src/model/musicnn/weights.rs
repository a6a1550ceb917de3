//! The pretrained front end's weights on the host, before they are put on a device: read from safetensors
//! (the committed float32 conversion `pretrained/msd_musicnn/weights.safetensors`, or the packed copy a
//! model file carries), checked against the architecture, and packed again for a model file.
//!
//! **Float24 kernels.** The conv and dense kernels (98 % of the 792 079 values) are used rounded to their
//! top 24 bits (sign, exponent, 15 mantissa bits), everywhere: a model file stores them as three byte planes,
//! which gzip shrinks to 1.8 MB where float32 stays near 2.9 MB, and float16 would miss the 1e-4 parity with
//! TensorFlow (it moves the outputs by ~2e-3 of their largest value; float24 by at most 6e-5, measured by
//! `scripts/import_musicnn.py`). Reading the float32 file rounds them the same way, so the trainer's and the
//! page's networks are the same numbers.
//!
//! **Dead weights are zero.** The dead filters' weights (below 1e-30 in magnitude: `super::host`) are read
//! as exact zeros. The network never computes with them, and zeros cost gzip almost nothing, where the
//! tiny values' random low bytes took ~0.7 MB of the page's download.

use std::collections::BTreeMap;

use safetensors::tensor::{Dtype, SafeTensors, TensorView};

/// One tensor: its shape and row-major values.
#[derive(Clone, Debug, PartialEq)]
pub struct HostTensor {
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

/// Every tensor of the network, by the names of `scripts/import_musicnn.py` (burn layouts).
#[derive(Clone, Debug, PartialEq)]
pub struct MusicnnWeights {
    tensors: BTreeMap<String, HostTensor>,
}

/// The tensors the network needs and their shapes (MSD_musicnn: front-end width 1.6, 64 mid-end filters,
/// 200 back-end units, 50 tags).
pub fn expected_shapes() -> Vec<(String, Vec<usize>)> {
    let mut out = Vec::new();
    let norm = |out: &mut Vec<(String, Vec<usize>)>, path: &str, c: usize| {
        for p in ["gamma", "beta", "running_mean", "running_var"] {
            out.push((format!("{path}.{p}"), vec![c]));
        }
    };
    norm(&mut out, "input_norm", 1);
    for (i, kf) in [38usize, 67].into_iter().enumerate() {
        out.push((format!("timbral.{i}.conv.weight"), vec![204, 1, 7, kf]));
        out.push((format!("timbral.{i}.conv.bias"), vec![204]));
        norm(&mut out, &format!("timbral.{i}.norm"), 204);
    }
    for (i, kt) in [128usize, 64, 32].into_iter().enumerate() {
        out.push((format!("temporal.{i}.conv.weight"), vec![51, 1, kt, 1]));
        out.push((format!("temporal.{i}.conv.bias"), vec![51]));
        norm(&mut out, &format!("temporal.{i}.norm"), 51);
    }
    for (i, c_in) in [561usize, 64, 64].into_iter().enumerate() {
        out.push((format!("mid.{i}.conv.weight"), vec![64, c_in, 7]));
        out.push((format!("mid.{i}.conv.bias"), vec![64]));
        norm(&mut out, &format!("mid.{i}.norm"), 64);
    }
    norm(&mut out, "pool_norm", 1506);
    out.push(("dense.weight".into(), vec![1506, 200]));
    out.push(("dense.bias".into(), vec![200]));
    norm(&mut out, "dense_norm", 200);
    out.push(("tags.weight".into(), vec![200, 50]));
    out.push(("tags.bias".into(), vec![50]));
    out
}

/// A kernel weight smaller than this in magnitude is dead: read as zero, and a filter of such weights only
/// is not computed.
pub(super) const DEAD: f32 = 1e-20;

/// A conv or dense kernel: stored as float24.
fn is_kernel(name: &str) -> bool {
    name.ends_with(".weight")
}

/// `x` rounded to its top 24 bits (round half up on the magnitude; what the import script checks).
pub fn round24(x: f32) -> f32 {
    f32::from_bits((x.to_bits().wrapping_add(0x80)) & 0xffff_ff00)
}

/// A dead kernel weight as 0.
fn flush_dead(x: f32) -> f32 {
    if x.abs() < DEAD { 0.0 } else { x }
}

impl MusicnnWeights {
    /// Reads a safetensors file holding every tensor of [`expected_shapes`]: float32 tensors (kernels are
    /// rounded to float24 as they are read) or, for kernels, the `U8 [3, n]` byte planes [`Self::to_packed`]
    /// writes (their shapes in the metadata). Anything missing, extra, of another shape or not finite is
    /// an error.
    pub fn from_safetensors(bytes: &[u8]) -> Result<Self, String> {
        let st =
            SafeTensors::deserialize(bytes).map_err(|e| format!("not a safetensors file: {e}"))?;
        let (_, meta) = SafeTensors::read_metadata(bytes)
            .map_err(|e| format!("not a safetensors file: {e}"))?;
        let shapes = meta.metadata().clone().unwrap_or_default();
        let mut tensors = BTreeMap::new();
        for (name, view) in st.tensors() {
            let data = view.data();
            let (shape, values) = match view.dtype() {
                Dtype::F32 => {
                    let mut v: Vec<f32> = data
                        .chunks_exact(4)
                        .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")))
                        .collect();
                    if is_kernel(&name) {
                        v.iter_mut().for_each(|x| *x = flush_dead(round24(*x)));
                    }
                    (view.shape().to_vec(), v)
                }
                Dtype::U8 if is_kernel(&name) => {
                    let n = data.len() / 3;
                    if view.shape() != [3, n] {
                        return Err(format!("{name}: packed planes of shape {:?}", view.shape()));
                    }
                    let shape: Vec<usize> = shapes
                        .get(&format!("shape:{name}"))
                        .and_then(|s| serde_json::from_str(s).ok())
                        .ok_or_else(|| format!("{name}: no shape in the metadata"))?;
                    let v = (0..n)
                        .map(|i| {
                            let b = [0, data[2 * n + i], data[n + i], data[i]];
                            flush_dead(f32::from_le_bytes(b))
                        })
                        .collect();
                    (shape, v)
                }
                other => return Err(format!("{name}: unexpected dtype {other:?}")),
            };
            if shape.iter().product::<usize>() != values.len() {
                return Err(format!(
                    "{name}: shape {shape:?} does not fit {} values",
                    values.len()
                ));
            }
            if values.iter().any(|x| !x.is_finite()) {
                return Err(format!("{name}: holds values that are not finite"));
            }
            tensors.insert(
                name,
                HostTensor {
                    shape,
                    data: values,
                },
            );
        }
        let weights = Self { tensors };
        weights.check()?;
        Ok(weights)
    }

    /// Every expected tensor present with its shape, nothing else.
    fn check(&self) -> Result<(), String> {
        let expected = expected_shapes();
        for (name, shape) in &expected {
            match self.tensors.get(name) {
                None => return Err(format!("the front end's weights lack {name}")),
                Some(t) if &t.shape != shape => {
                    return Err(format!(
                        "{name} has shape {:?}, expected {shape:?}",
                        t.shape
                    ));
                }
                _ => {}
            }
        }
        if self.tensors.len() != expected.len() {
            let extra: Vec<&String> = self
                .tensors
                .keys()
                .filter(|k| !expected.iter().any(|(n, _)| n == *k))
                .collect();
            return Err(format!(
                "unexpected tensors in the front end's weights: {extra:?}"
            ));
        }
        Ok(())
    }

    pub fn get(&self, name: &str) -> &HostTensor {
        self.tensors
            .get(name)
            .unwrap_or_else(|| panic!("checked at load: {name}"))
    }

    /// Values in all (792 079 for MSD_musicnn).
    pub fn n_values(&self) -> usize {
        self.tensors.values().map(|t| t.data.len()).sum()
    }

    /// The form a model file carries: safetensors with every kernel as `U8 [3, n]` byte planes (the top,
    /// middle and low byte of each float24 value; its shape in the metadata as `shape:<name>`) and the rest
    /// as float32. [`Self::from_safetensors`] reads it back to exactly these weights.
    pub fn to_packed(&self) -> Vec<u8> {
        let mut buffers: Vec<(String, Dtype, Vec<usize>, Vec<u8>)> = Vec::new();
        let mut meta: Vec<(String, String)> = Vec::new();
        for (name, t) in &self.tensors {
            if is_kernel(name) {
                let n = t.data.len();
                let mut planes = vec![0u8; 3 * n];
                for (i, x) in t.data.iter().enumerate() {
                    let b = round24(*x).to_le_bytes();
                    planes[i] = b[3];
                    planes[n + i] = b[2];
                    planes[2 * n + i] = b[1];
                }
                meta.push((
                    format!("shape:{name}"),
                    serde_json::to_string(&t.shape).expect("json"),
                ));
                buffers.push((name.clone(), Dtype::U8, vec![3, n], planes));
            } else {
                let bytes = t.data.iter().flat_map(|x| x.to_le_bytes()).collect();
                buffers.push((name.clone(), Dtype::F32, t.shape.clone(), bytes));
            }
        }
        let views = buffers.iter().map(|(name, dtype, shape, bytes)| {
            (
                name.as_str(),
                TensorView::new(*dtype, shape.clone(), bytes).expect("consistent view"),
            )
        });
        // (the map type is safetensors' own: hashbrown's without its std feature)
        safetensors::serialize(views, Some(meta.into_iter().collect())).expect("serialisable")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round24_keeps_the_top_24_bits_rounded() {
        assert_eq!(round24(1.0), 1.0);
        assert_eq!(round24(-0.0), -0.0);
        let x = f32::from_bits(0x3f80_0080); // exactly half an ulp of float24 above 1: rounds up
        assert_eq!(round24(x).to_bits(), 0x3f80_0100);
        let y = f32::from_bits(0x3f80_007f);
        assert_eq!(round24(y), 1.0);
        for v in [0.1f32, -3.7e-3, 12345.678, 1e-30] {
            let r = round24(v);
            assert_eq!(r.to_bits() & 0xff, 0);
            assert!(((r - v) / v).abs() <= 2f32.powi(-16), "{v} -> {r}");
        }
    }

    fn synthetic() -> MusicnnWeights {
        let mut tensors = BTreeMap::new();
        for (k, (name, shape)) in expected_shapes().into_iter().enumerate() {
            let n: usize = shape.iter().product();
            let data = (0..n)
                .map(|i| ((i * 7 + k) % 97) as f32 * 0.013 - 0.6)
                .collect();
            tensors.insert(name, HostTensor { shape, data });
        }
        MusicnnWeights { tensors }
    }

    #[test]
    fn packing_round_trips_and_rounds_kernels_like_the_float32_file() {
        let w = synthetic();
        assert_eq!(w.n_values(), 792_079);
        let packed = w.to_packed();
        let back = MusicnnWeights::from_safetensors(&packed).unwrap();
        // the float32 file of the same values reads as the same (rounded) network
        let views: Vec<(String, Vec<usize>, Vec<u8>)> = w
            .tensors
            .iter()
            .map(|(n, t)| {
                (
                    n.clone(),
                    t.shape.clone(),
                    t.data.iter().flat_map(|x| x.to_le_bytes()).collect(),
                )
            })
            .collect();
        let f32_file = safetensors::serialize(
            views.iter().map(|(n, s, b)| {
                (
                    n.as_str(),
                    TensorView::new(Dtype::F32, s.clone(), b).unwrap(),
                )
            }),
            None,
        )
        .unwrap();
        let from_f32 = MusicnnWeights::from_safetensors(&f32_file).unwrap();
        assert_eq!(back, from_f32);
        // kernels are rounded, the rest kept exactly
        let k = back.get("dense.weight");
        assert!(k.data.iter().all(|x| x.to_bits() & 0xff == 0));
        assert_eq!(
            back.get("dense_norm.running_var"),
            w.get("dense_norm.running_var")
        );
        // packed: three bytes per kernel value
        assert!(
            packed.len() < f32_file.len() * 8 / 10,
            "{} vs {}",
            packed.len(),
            f32_file.len()
        );
    }

    #[test]
    fn dead_kernel_weights_read_as_zero_and_the_rest_unchanged() {
        let mut w = synthetic();
        let k = &mut w.tensors.get_mut("timbral.0.conv.weight").unwrap().data;
        k[0] = 3e-31;
        k[1] = -7e-35;
        k[2] = 2e-20; // above the line: kept (rounded)
        w.tensors.get_mut("dense.bias").unwrap().data[0] = 4e-31; // not a kernel: kept
        let back = MusicnnWeights::from_safetensors(&w.to_packed()).unwrap();
        let k = &back.get("timbral.0.conv.weight").data;
        assert_eq!(k[0].to_bits(), 0);
        assert_eq!(k[1].to_bits(), 0);
        assert_eq!(k[2], round24(2e-20));
        assert_eq!(back.get("dense.bias").data[0], 4e-31);
        // zeros pack to zero bytes, and read back as zeros
        let again = MusicnnWeights::from_safetensors(&back.to_packed()).unwrap();
        assert_eq!(again, back);
    }

    #[test]
    fn damaged_or_foreign_weights_are_refused() {
        let w = synthetic();
        let mut missing = w.clone();
        missing.tensors.remove("tags.bias");
        let err = MusicnnWeights::from_safetensors(&missing.to_packed()).unwrap_err();
        assert!(err.contains("lack tags.bias"), "{err}");
        let mut reshaped = w.clone();
        reshaped.tensors.get_mut("tags.bias").unwrap().shape = vec![5, 10];
        let err = MusicnnWeights::from_safetensors(&reshaped.to_packed()).unwrap_err();
        assert!(err.contains("tags.bias has shape [5, 10]"), "{err}");
        let mut nan = w.clone();
        nan.tensors.get_mut("dense.bias").unwrap().data[3] = f32::NAN;
        let err = MusicnnWeights::from_safetensors(&nan.to_packed()).unwrap_err();
        assert!(err.contains("not finite"), "{err}");
        let err = MusicnnWeights::from_safetensors(b"definitely not safetensors").unwrap_err();
        assert!(err.contains("not a safetensors file"), "{err}");
        let packed = w.to_packed();
        assert!(MusicnnWeights::from_safetensors(&packed[..packed.len() - 10]).is_err());
    }
}
