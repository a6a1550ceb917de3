//! A loaded model with everything it needs to classify audio: the feature extractor of its conv heads, the
//! pretrained front end (network and log-mel input) when it has one, and the calibration of its
//! probabilities. One song: [`Classifier::prepare_song`], then segments through
//! [`Classifier::segment_input`] and [`Classifier::forward`] in batches, bookkept by [`SongJob`].

use burn::tensor::{Device, Tensor, TensorData};

use super::file::{LoadError, load_model};
use super::input::build_input_with_embedding;
use super::manifest::Manifest;
use super::song::SongJob;
#[cfg(not(target_arch = "wasm32"))]
use super::song::SongResult;
use crate::features::{FeatureExtractor, Features, LogMelExtractor, segment_into, segment_starts};
use crate::model::GenreCnn;
use crate::model::musicnn::{BANDS, FRAMES, Musicnn};
use crate::resample::resample;

/// Segments per forward pass when nothing else decides.
pub const BATCH: usize = 16;

/// One song's audio in the forms its model reads: the samples at the features' rate (22 050 Hz), and for a
/// model with the pretrained front end the same song at its rate (16 kHz), made from those samples by the
/// library's one resampler.
pub struct SongAudio {
    pub samples: Vec<f32>,
    pub samples_front_end: Option<Vec<f32>>,
}

/// What the model reads of one segment.
pub struct SegmentInput {
    /// The conv heads' feature images (empty images for a model without conv heads).
    pub features: Features,
    /// The front end's log-mel patch, frame-major `[187][96]`, for a model with the front end.
    pub patch: Option<Vec<f32>>,
}

/// One batch's outputs, still on the device: read them with `into_data` natively or `into_data_async` in
/// the browser.
pub struct BatchOutput {
    /// `[batch, labels]`.
    pub logits: Tensor<2>,
    /// `[batch, 50]`, the front end's tags, for a model with the front end.
    pub taggram: Option<Tensor<2>>,
    /// `[batch, 200]`, the front end's penultimate embedding (before the model's normalisation),
    /// for a model with the front end: what a taught head learns from.
    pub embedding: Option<Tensor<2>>,
}

struct FrontEndRuntime {
    net: Musicnn,
    logmel: LogMelExtractor,
}

pub struct Classifier {
    pub manifest: Manifest,
    model: GenreCnn,
    device: Device,
    extractor: FeatureExtractor,
    front_end: Option<FrontEndRuntime>,
}

impl Classifier {
    pub fn from_bytes(bytes: &[u8], device: &Device) -> Result<Self, LoadError> {
        let (manifest, model, weights) = load_model(bytes, device)?;
        let extractor = FeatureExtractor::new(manifest.features.clone());
        let front_end = match (&manifest.front_end, weights) {
            (Some(f), Some(w)) => Some(FrontEndRuntime {
                net: Musicnn::new(&w, device),
                logmel: LogMelExtractor::new(f.input.clone()),
            }),
            _ => None,
        };
        Ok(Self {
            manifest,
            model,
            device: device.clone(),
            extractor,
            front_end,
        })
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    pub fn labels(&self) -> &[String] {
        &self.manifest.labels
    }

    pub fn has_front_end(&self) -> bool {
        self.front_end.is_some()
    }

    /// The temperature that divides the logits before the softmax (1 without calibration).
    pub fn temperature(&self) -> f32 {
        self.manifest
            .calibration
            .as_ref()
            .map_or(1.0, |c| c.temperature)
    }

    /// `softmax(logits / temperature)` of `[n, labels]` logits.
    pub fn probabilities(&self, logits: &[f32]) -> Vec<f32> {
        super::song::softmax_rows_t(logits, self.labels().len(), self.temperature())
    }

    /// A song at the features' rate, with its front-end rate made by the one resampler when needed.
    pub fn prepare_song(&self, samples: Vec<f32>) -> SongAudio {
        let samples_front_end = self.manifest.front_end.as_ref().map(|f| {
            resample(
                &samples,
                self.manifest.features.sample_rate,
                f.input.sample_rate,
            )
        });
        SongAudio {
            samples,
            samples_front_end,
        }
    }

    /// Start sample of every segment of a clip of `n_samples`, `hop` samples apart.
    pub fn segment_starts(&self, n_samples: usize, hop: usize) -> Vec<usize> {
        segment_starts(n_samples, self.manifest.features.segment_samples, hop)
    }

    /// The song's non-overlapping segments, and a job over them.
    pub fn song_job(&self, song: &SongAudio, spread: bool) -> (Vec<usize>, SongJob) {
        let seg = self.manifest.features.segment_samples;
        let starts = self.segment_starts(song.samples.len(), seg);
        let job = SongJob::new(
            starts.len(),
            self.labels().len(),
            self.temperature(),
            spread,
        );
        (starts, job)
    }

    /// Features of the segment starting at `start` (zero-padded past the end).
    pub fn segment_features(&mut self, samples: &[f32], start: usize) -> Features {
        let mut seg = vec![0.0f32; self.manifest.features.segment_samples];
        segment_into(samples, start, &mut seg);
        self.extractor.compute(&seg)
    }

    /// What the model reads of the segment of `song` that starts at sample `start` (at the features' rate).
    pub fn segment_input(&mut self, song: &SongAudio, start: usize) -> SegmentInput {
        let has_conv = self.manifest.model.heads.iter().any(|h| h.is_conv());
        let features = if has_conv {
            self.segment_features(&song.samples, start)
        } else {
            Features::default()
        };
        let patch = match (&mut self.front_end, &song.samples_front_end) {
            (Some(fe), Some(s16)) => {
                let rate = fe.logmel.params().sample_rate as u64;
                let from = self.manifest.features.sample_rate as u64;
                let at = ((start as u64 * rate + from / 2) / from) as usize;
                let n = fe.logmel.params().segment_samples;
                let mut seg = vec![0.0f32; n];
                segment_into(s16, at, &mut seg);
                Some(fe.logmel.patch(&seg))
            }
            _ => None,
        };
        SegmentInput { features, patch }
    }

    /// What the model reads of one window of live audio (a segment's length at the features' rate); its
    /// front-end input is resampled from the window alone.
    pub fn window_input(&mut self, window: &[f32]) -> SegmentInput {
        let song = self.prepare_song(window.to_vec());
        self.segment_input(&song, 0)
    }

    /// One batch through the front end (when the model has one) and the model.
    pub fn forward(&self, batch: &[&SegmentInput]) -> BatchOutput {
        let features: Vec<&Features> = batch.iter().map(|s| &s.features).collect();
        let (embedding, taggram) = match &self.front_end {
            Some(fe) => {
                let data: Vec<f32> = batch
                    .iter()
                    .flat_map(|s| {
                        s.patch
                            .as_ref()
                            .expect("a patch for the front end")
                            .iter()
                            .copied()
                    })
                    .collect();
                let x = Tensor::<3>::from_data(
                    TensorData::new(data, [batch.len(), FRAMES, BANDS]),
                    &self.device,
                );
                let out = fe.net.forward(x);
                (Some(out.penultimate), Some(out.taggram))
            }
            None => (None, None),
        };
        let input = build_input_with_embedding(
            &features,
            &self.manifest.model,
            &self.manifest.normalisation,
            embedding.clone(),
            &self.device,
        );
        BatchOutput {
            logits: self.model.forward(input),
            taggram,
            embedding,
        }
    }

    /// Logits `[batch, labels]` of a batch of segments' features, still on the device (a model without a
    /// front end only).
    pub fn logits(&self, batch: &[&Features]) -> Tensor<2> {
        assert!(
            self.front_end.is_none(),
            "a model with a front end needs segment inputs: forward()"
        );
        let input = super::input::build_input(
            batch,
            &self.manifest.model,
            &self.manifest.normalisation,
            &self.device,
        );
        self.model.forward(input)
    }

    /// Logits of a batch of segments' features read back synchronously (native only; a model without a
    /// front end).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn logits_sync(&self, batch: &[&Features]) -> Vec<f32> {
        self.logits(batch)
            .into_data()
            .try_to_vec::<f32>()
            .expect("f32 logits")
    }

    /// The front end's embedding of each of the song's non-overlapping segments (in time order),
    /// synchronously (native only; the page's engine reads them asynchronously); empty for a model
    /// without the front end.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn song_embeddings(&mut self, samples: Vec<f32>, batch: usize) -> Vec<Vec<f32>> {
        if self.front_end.is_none() {
            return Vec::new();
        }
        let song = self.prepare_song(samples);
        let seg = self.manifest.features.segment_samples;
        let starts = self.segment_starts(song.samples.len(), seg);
        let mut out = Vec::with_capacity(starts.len());
        for chunk in starts.chunks(batch.max(1)) {
            let inputs: Vec<SegmentInput> = chunk
                .iter()
                .map(|&s| self.segment_input(&song, s))
                .collect();
            let refs: Vec<&SegmentInput> = inputs.iter().collect();
            let e = self.forward(&refs).embedding.expect("a front end");
            let rows = e.into_data().try_to_vec::<f32>().expect("f32 embeddings");
            out.extend(rows.chunks(rows.len() / chunk.len()).map(<[f32]>::to_vec));
        }
        out
    }

    /// The whole song pipeline, synchronously (native only; the browser must read asynchronously):
    /// the song's non-overlapping segments in batches of `batch`, in time order.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn classify_song(&mut self, samples: Vec<f32>, batch: usize) -> SongResult {
        let song = self.prepare_song(samples);
        let seg = self.manifest.features.segment_samples;
        let starts = self.segment_starts(song.samples.len(), seg);
        let (classes, temperature) = (self.labels().len(), self.temperature());
        super::song::run_song(starts.len(), classes, temperature, batch, |idx| {
            let inputs: Vec<SegmentInput> = idx
                .iter()
                .map(|&i| self.segment_input(&song, starts[i]))
                .collect();
            let refs: Vec<&SegmentInput> = inputs.iter().collect();
            let out = self.forward(&refs);
            let logits = out
                .logits
                .into_data()
                .try_to_vec::<f32>()
                .expect("f32 logits");
            let tags = out
                .taggram
                .map(|t| t.into_data().try_to_vec::<f32>().expect("f32 tags"));
            (logits, tags)
        })
    }
}
