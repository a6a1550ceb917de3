//! The teacher: a module worker on the teaching wasm (the library built with the `teach`
//! feature, `scripts/build_teach.sh`; `web/teach-worker.js` loads it and calls
//! [`super::teach_main`]), started by the page only when a person teaches. It embeds songs with
//! the base model's pretrained front end (on the CPU: the engine keeps the GPU) and teaches,
//! checks and exports a head with [`crate::teach`].

use std::cell::RefCell;

use burn::tensor::Device;
use wasm_bindgen_futures::spawn_local;

use super::dom::{self, now_ms};
use super::protocol::{LessonSpec, Progress, Reply, Request};
use super::worker::{self, post, post_with};
use crate::inference::{BATCH, Classifier, SegmentInput};
use crate::model::musicnn::EMBEDDING;
use crate::teach::{self, Check, Lesson, Song, TeachOptions, Teacher};

#[derive(Default)]
struct State {
    base: Option<Vec<u8>>,
    classifier: Option<Classifier>,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::default());
}

fn device() -> Device {
    Device::flex()
}

/// Started by `web/teach-worker.js` once the teaching wasm is loaded.
pub fn main() {
    worker::serve(|m| spawn_local(handle(m.id, m.request, m.samples, m.bytes)));
}

fn error(message: String) -> Reply {
    Reply::Error {
        message,
        backend: None,
    }
}

async fn handle(id: u32, req: Request, samples: Option<Vec<f32>>, bytes: Option<Vec<u8>>) {
    match req {
        Request::TeachBase => {
            let reply = match bytes {
                None => error("no model file came with the request".into()),
                Some(b) => match Classifier::from_bytes(&b, &device()) {
                    Ok(c) if c.has_front_end() => {
                        STATE.with(|s| {
                            let mut s = s.borrow_mut();
                            s.classifier = Some(c);
                            s.base = Some(b);
                        });
                        Reply::Done { value: true }
                    }
                    Ok(_) => error("the model has no pretrained front end to teach on".into()),
                    Err(e) => error(format!("the model cannot be loaded: {e}")),
                },
            };
            post(id, &reply);
        }
        Request::Embed => match embed(id, samples.unwrap_or_default()).await {
            Ok(e) => post_with(
                id,
                &Reply::Embedded {
                    segments: e.len() / EMBEDDING,
                },
                Some(&e),
                None,
            ),
            Err(e) => post(id, &error(e)),
        },
        Request::Teach { lesson, date } => {
            match teach(id, lesson, samples.unwrap_or_default(), &date).await {
                Ok((reply, bytes)) => post_with(id, &reply, None, Some(&bytes)),
                Err(e) => post(id, &error(e)),
            }
        }
        _ => post(id, &error("the teacher only teaches".into())),
    }
}

fn progress(id: u32, stage: &str, done: usize, total: usize, loss: Option<f32>) {
    post(
        id,
        &Reply::Progress(Progress {
            stage: stage.into(),
            done,
            total,
            probabilities: Vec::new(),
            loss,
        }),
    );
}

/// The embeddings of the song's segments, flat, a batch at a time with progress.
async fn embed(id: u32, samples: Vec<f32>) -> Result<Vec<f32>, String> {
    let song = STATE
        .with(|s| {
            s.borrow()
                .classifier
                .as_ref()
                .map(|c| c.prepare_song(samples))
        })
        .ok_or("the teacher has no model yet")?;
    let starts = STATE.with(|s| {
        let s = s.borrow();
        let c = s.classifier.as_ref().expect("checked above");
        c.segment_starts(song.samples.len(), c.manifest.features.segment_samples)
    });
    let mut out = Vec::with_capacity(starts.len() * EMBEDDING);
    progress(id, "embedding", 0, starts.len(), None);
    for chunk in starts.chunks(BATCH.min(4)) {
        let embedding = STATE.with(|s| {
            let mut s = s.borrow_mut();
            let c = s.classifier.as_mut().expect("checked above");
            let inputs: Vec<SegmentInput> =
                chunk.iter().map(|&st| c.segment_input(&song, st)).collect();
            let refs: Vec<&SegmentInput> = inputs.iter().collect();
            c.forward(&refs).embedding
        });
        let data = embedding
            .ok_or("the model has no front end")?
            .into_data_async()
            .await
            .map_err(|e| format!("the front end failed: {e:?}"))?;
        out.extend(
            data.as_slice::<f32>()
                .map_err(|e| format!("the front end gave no numbers: {e:?}"))?,
        );
        progress(id, "embedding", out.len() / EMBEDDING, starts.len(), None);
        dom::yield_now().await;
    }
    Ok(out)
}

/// Checks, teaches (with progress per epoch), checks by song, exports.
async fn teach(
    id: u32,
    spec: LessonSpec,
    embeddings: Vec<f32>,
    date: &str,
) -> Result<(Reply, Vec<u8>), String> {
    let want: usize = spec.songs.iter().map(|s| s.segments).sum::<usize>() * EMBEDDING;
    if embeddings.len() != want {
        return Err(format!(
            "the lesson's embeddings are {} numbers, not the {want} its songs need",
            embeddings.len()
        ));
    }
    let mut rows = embeddings.chunks(EMBEDDING).map(<[f32]>::to_vec);
    let lesson = Lesson {
        labels: spec.labels,
        songs: spec
            .songs
            .into_iter()
            .map(|s| Song {
                embeddings: rows.by_ref().take(s.segments).collect(),
                name: s.name,
                label: s.label,
            })
            .collect(),
    };
    let warnings = teach::check(&lesson).map_err(|r| r.to_string())?;
    let base = STATE
        .with(|s| s.borrow().base.clone())
        .ok_or("the teacher has no model yet")?;
    let opts = TeachOptions::default();
    let device = device();
    let all: Vec<usize> = (0..lesson.songs.len()).collect();
    let t0 = now_ms();
    let mut teacher = Teacher::new(&lesson, &all, &opts, &device);
    while !teacher.is_done() {
        let loss = teacher.epoch();
        progress(
            id,
            "teaching",
            teacher.epochs_done(),
            teacher.epochs(),
            Some(loss),
        );
        dom::yield_now().await;
    }
    let taught = teacher.finish();
    let teach_ms = now_ms() - t0;
    // the check: one head per fold, each fold handing the event loop back
    let t1 = now_ms();
    let mut check = Check::new(&lesson, &opts);
    let k = check.folds();
    for f in 0..k {
        progress(id, "checking", f, k, None);
        dom::yield_now().await;
        check.run_fold(f, &device);
    }
    let held = check.finish();
    let check_ms = now_ms() - t1;
    let file = teach::export(&lesson, &taught, Some(&held), &base, date)?;
    Ok((
        Reply::Taught {
            split: held.split.clone(),
            held_out: Some(held.metrics),
            warnings,
            teach_ms,
            check_ms,
        },
        file.bytes,
    ))
}
