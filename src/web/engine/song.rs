//! A song in the engine: samples → segments → batches → probabilities, with the pipeline of
//! [`crate::inference`] ([`crate::inference::SongJob`]), progress after every batch and
//! cancellation between batches.

use std::rc::Rc;

use super::{CURRENT_JOB, fall_back_if_lost, run_batch, with};
use crate::inference::{BATCH, SongAudio};
use crate::web::backend::{self, Kind};
use crate::web::dom::{self, now_ms};
use crate::web::protocol::{Progress, Reply, SongOutcome};
use crate::web::worker::post;

/// Segments of the first forward pass of a model with the pretrained front end: a spread of the
/// song, so that its overall answer shows in about a second.
const FIRST_BATCH: usize = 4;
/// A segment whose RMS is below this (−60 dBFS) counts as near-silent.
const SILENCE_RMS: f32 = 1e-3;

/// Classifies `samples` (22 050 Hz) as request `id`, with progress; `Ok(None)` when cancelled.
pub(super) async fn classify(id: u32, samples: Vec<f32>) -> Result<Option<SongOutcome>, String> {
    let t_start = now_ms();
    let cancelled = || CURRENT_JOB.with(|j| j.get()) != id;
    let progress = |stage: &str, done: usize, total: usize, probabilities: Vec<f32>| {
        post(
            id,
            &Reply::Progress(Progress {
                stage: stage.to_string(),
                done,
                total,
                probabilities,
                loss: None,
            }),
        )
    };
    let (seg_len, front_end_rate, rate) = with(|e| {
        e.classifier.as_ref().map(|c| {
            (
                c.manifest.features.segment_samples,
                c.manifest.front_end.as_ref().map(|f| f.input.sample_rate),
                c.manifest.features.sample_rate,
            )
        })
    })
    .ok_or("No backend is running: pick one in the switch.")?;
    let samples = Rc::new(samples);
    with(|e| e.song = Some(samples.clone()));
    let mut features_ms = 0.0;
    let mut inference_ms = 0.0;
    // the pretrained front end's 16 kHz view of the song, by the library's one resampler
    let t = now_ms();
    let samples_front_end = match front_end_rate {
        Some(to) => {
            progress("resampling", 0, 0, Vec::new());
            Some(crate::web::audio::resample_yielding(&samples, rate, to).await)
        }
        None => None,
    };
    features_ms += now_ms() - t;
    if cancelled() {
        return Ok(None);
    }
    let song = SongAudio {
        samples: samples.to_vec(),
        samples_front_end,
    };
    let (starts, mut job) = with(|e| e.classifier.as_ref().map(|c| c.song_job(&song, true)))
        .ok_or("The backend stopped while classifying.")?;
    let total = starts.len();
    let silent: Vec<bool> = starts
        .iter()
        .map(|&s| {
            let end = (s + seg_len).min(samples.len());
            crate::audio::rms(&samples[s.min(end)..end]) < SILENCE_RMS
        })
        .collect();
    progress("classifying", 0, total, Vec::new());

    // a spread of segments first (the overall answer after the first batch), then the rest
    let mut batch_size = if front_end_rate.is_some() {
        FIRST_BATCH
    } else {
        BATCH
    };
    let mut first_answer_ms = None;
    let mut pending: Vec<usize> = Vec::new();
    loop {
        if cancelled() {
            return Ok(None);
        }
        if pending.is_empty() {
            pending = job.next_batch(batch_size);
            batch_size = BATCH;
            if pending.is_empty() {
                break;
            }
        }
        fall_back_if_lost()?;
        // features, handing the event loop back every ~40 ms (so that a cancel is seen)
        let mut t = now_ms();
        let mut inputs = Vec::with_capacity(pending.len());
        for &i in &pending {
            let input = with(|e| {
                e.classifier
                    .as_mut()
                    .map(|c| c.segment_input(&song, starts[i]))
            })
            .ok_or("The backend stopped while classifying.")?;
            inputs.push(input);
            if now_ms() - t > 40.0 {
                features_ms += now_ms() - t;
                dom::yield_now().await;
                t = now_ms();
            }
        }
        features_ms += now_ms() - t;
        let t = now_ms();
        let (values, tags) = match run_batch(&inputs).await {
            Ok(v) => v,
            // the GPU failed under us: redo this batch on the CPU
            Err(_) if backend::gpu_lost() && with(|e| e.running) == Some(Kind::WebGpu) => continue,
            Err(why) => return Err(format!("The model failed on this song: {why}")),
        };
        inference_ms += now_ms() - t;
        job.accept(&pending, &values, tags.as_deref());
        pending.clear();
        let partial = job.result();
        if partial.top().is_some() {
            first_answer_ms.get_or_insert(now_ms() - t_start);
        }
        progress("classifying", partial.done, total, partial.probabilities);
        dom::yield_now().await;
    }
    let finished = job.result();
    let k = finished.probabilities.len().max(1);
    Ok(Some(SongOutcome {
        starts,
        segments: finished
            .finished_rows()
            .chunks(k)
            .map(|r| r.to_vec())
            .collect(),
        silent,
        probabilities: finished.probabilities,
        tags: finished.tags,
        features_ms,
        inference_ms,
        first_answer_ms,
    }))
}
