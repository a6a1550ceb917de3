//! Loading an exported model and classifying with it: the code path the page, the microphone and the
//! trainer's `classify`/`evaluate` share. No DOM, no file system: bytes in, numbers out.
//!
//! - [`file`]: the model file (manifest, weights, the front end's packed weights);
//! - [`input`]: the model's normalised input, the one normalisation;
//! - [`classifier`]: a loaded model with its feature extractor and front end;
//! - [`song`]: the song pipeline's bookkeeping (segment order, probabilities, the song's result).

mod classifier;
mod file;
mod input;
mod manifest;
pub mod metrics;
mod song;

pub use classifier::{BATCH, BatchOutput, Classifier, SegmentInput, SongAudio};
pub use file::{
    LoadError, MAGIC, ModelParts, decode_model_file, decode_model_parts, encode_model_file,
    encode_model_file_packed, load_model, replace_manifest,
};
pub use input::{
    band_stats, build_input, build_input_with_embedding, head_image, images_to_input,
    normalised_embedding, normalised_images,
};
pub use manifest::{
    BandStats, Calibration, FORMAT_NAME, FORMAT_VERSION, FORMAT_VERSION_FRONT_END, Figure,
    FrontEnd, Manifest, Normalisation, Scores, TAUGHT_IN_THE_BROWSER, TrainedOn,
};
pub use song::{
    SongJob, SongResult, argmax, calibrated_mean, mean_probabilities, run_song, softmax_rows,
    softmax_rows_t, spread_order, temper,
};
