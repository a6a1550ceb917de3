//! The model file: `MAGIC`, the manifest's length (u32 LE), the manifest (JSON), the model's weights (a
//! burnpack record) and, for a model with the pretrained front end (format version 2), the front end's
//! packed weights (safetensors, [`crate::model::musicnn::MusicnnWeights::to_packed`]), whose length the
//! manifest states.

use burn::module::Module;
use burn::store::ModuleRecord;
use burn::tensor::{Bytes, Device};

use super::manifest::Manifest;
use crate::model::GenreCnn;
use crate::model::musicnn::MusicnnWeights;

/// First bytes of a model file.
pub const MAGIC: &[u8; 8] = b"GENREMDL";

#[derive(Debug, Clone, PartialEq)]
pub enum LoadError {
    /// Not a model file at all (wrong magic, truncated header).
    NotAModel(String),
    /// A model file whose manifest this build cannot use.
    Manifest(String),
    /// The weights do not fit the manifest's architecture, or are damaged.
    Weights(String),
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::NotAModel(m) => write!(f, "not a genre model file: {m}"),
            LoadError::Manifest(m) => write!(f, "the model's manifest is not usable: {m}"),
            LoadError::Weights(m) => write!(
                f,
                "the model's weights are damaged or do not match its manifest: {m}"
            ),
        }
    }
}

impl std::error::Error for LoadError {}

/// The parts of a model file, checked as far as they can be without building the model.
pub struct ModelParts<'a> {
    pub manifest: Manifest,
    /// The model's burnpack record.
    pub weights: &'a [u8],
    /// The front end's packed weights, when the manifest names a front end.
    pub front_end: Option<&'a [u8]>,
}

/// Packs a manifest, a model and (when the manifest names one) the front end's weights into one file's
/// bytes; `manifest.front_end.packed_bytes` is set to the packed length.
pub fn encode_model_file(
    manifest: &Manifest,
    model: GenreCnn,
    front_end: Option<&MusicnnWeights>,
) -> Result<Vec<u8>, String> {
    let packed = front_end.map(MusicnnWeights::to_packed);
    encode_model_file_packed(manifest, model, packed.as_deref())
}

/// [`encode_model_file`] with the front end's weights already packed (as another model file
/// holds them: a model taught on the shipped model's front end carries the same bytes).
pub fn encode_model_file_packed(
    manifest: &Manifest,
    model: GenreCnn,
    front_end: Option<&[u8]>,
) -> Result<Vec<u8>, String> {
    let weights = model
        .into_record()
        .into_bytes()
        .map_err(|e| e.to_string())?;
    let mut manifest = manifest.clone();
    let packed = match (&mut manifest.front_end, front_end) {
        (Some(f), Some(w)) => {
            f.packed_bytes = w.len();
            w.to_vec()
        }
        (None, None) => Vec::new(),
        (Some(_), None) => {
            return Err("the manifest names a front end but no weights were given".into());
        }
        (None, Some(_)) => {
            return Err("front-end weights given for a manifest without a front end".into());
        }
    };
    // not validated here: loaders check every manifest (and tests write broken ones on purpose)
    let json = serde_json::to_vec_pretty(&manifest).map_err(|e| e.to_string())?;
    Ok(pack(&json, &weights, &packed))
}

fn pack(json: &[u8], weights: &[u8], front_end: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(12 + json.len() + weights.len() + front_end.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(json.len() as u32).to_le_bytes());
    out.extend_from_slice(json);
    out.extend_from_slice(weights);
    out.extend_from_slice(front_end);
    out
}

/// Splits a model file into its checked manifest and its weight bytes.
pub fn decode_model_parts(bytes: &[u8]) -> Result<ModelParts<'_>, LoadError> {
    if bytes.len() < 12 || &bytes[..8] != MAGIC {
        return Err(LoadError::NotAModel(
            "it does not start with the model file header".into(),
        ));
    }
    let len = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes")) as usize;
    let json = bytes
        .get(12..12 + len)
        .ok_or_else(|| LoadError::NotAModel("the file is truncated inside its manifest".into()))?;
    let manifest: Manifest =
        serde_json::from_slice(json).map_err(|e| LoadError::Manifest(e.to_string()))?;
    manifest.validate().map_err(LoadError::Manifest)?;
    let rest = &bytes[12 + len..];
    let (weights, front_end) = match &manifest.front_end {
        None => (rest, None),
        Some(f) => {
            let split = rest.len().checked_sub(f.packed_bytes).ok_or_else(|| {
                LoadError::Weights(format!(
                    "the file ends {} bytes before the front end's weights do",
                    f.packed_bytes - rest.len()
                ))
            })?;
            (&rest[..split], Some(&rest[split..]))
        }
    };
    Ok(ModelParts {
        manifest,
        weights,
        front_end,
    })
}

/// Splits a model file into its checked manifest and the model's own weight bytes.
pub fn decode_model_file(bytes: &[u8]) -> Result<(Manifest, &[u8]), LoadError> {
    let parts = decode_model_parts(bytes)?;
    Ok((parts.manifest, parts.weights))
}

/// The same model file with another manifest (e.g. figures measured after export); the
/// weights are kept byte for byte. The new manifest is checked like a loaded one.
pub fn replace_manifest(bytes: &[u8], manifest: &Manifest) -> Result<Vec<u8>, LoadError> {
    let parts = decode_model_parts(bytes)?;
    let mut manifest = manifest.clone();
    if let (Some(new), Some(old)) = (&mut manifest.front_end, &parts.manifest.front_end) {
        new.packed_bytes = old.packed_bytes;
    }
    manifest.validate().map_err(LoadError::Manifest)?;
    if manifest.front_end.is_some() != parts.front_end.is_some() {
        return Err(LoadError::Manifest(
            "a new manifest cannot add or remove the front end".into(),
        ));
    }
    let json =
        serde_json::to_vec_pretty(&manifest).map_err(|e| LoadError::Manifest(e.to_string()))?;
    Ok(pack(&json, parts.weights, parts.front_end.unwrap_or(&[])))
}

/// Reads a model file onto `device`: the manifest, the model, and the front end's (host) weights.
pub fn load_model(
    bytes: &[u8],
    device: &Device,
) -> Result<(Manifest, GenreCnn, Option<MusicnnWeights>), LoadError> {
    let parts = decode_model_parts(bytes)?;
    // the front end first: it is the file's end, where a truncated download shows first
    let front_end = parts
        .front_end
        .map(|b| {
            MusicnnWeights::from_safetensors(b)
                .map_err(|e| LoadError::Weights(format!("the front end's weights: {e}")))
        })
        .transpose()?;
    let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(parts.weights.to_vec()))
        .map_err(|e| LoadError::Weights(e.to_string()))?;
    let model = GenreCnn::new(&parts.manifest.model, device)
        .try_load_record(record)
        .map_err(|e| LoadError::Weights(e.to_string()))?;
    Ok((parts.manifest, model.valid(), front_end))
}
