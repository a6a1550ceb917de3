//! Teaching on real songs: three labels of real GTZAN clips (classical, metal, blues) from
//! `../shared/data`, embedded by the shipped model's pretrained front end, a head taught on four
//! songs of each, checked by song (leave-one-song-out) and on two songs of each it never saw;
//! exported as a model file that the library's classifier (the page's and `trainer classify`'s)
//! reads back and answers the same way.

#[path = "support/paths.rs"]
mod paths;

use std::sync::Mutex;

use burn::tensor::Device;
use genre::features::SAMPLE_RATE;
use genre::inference::{BATCH, Classifier, argmax};
use genre::teach::{Lesson, Song, TeachOptions, Teacher, check, export, held_out};

/// burn's CPU backends draw dropout masks and initial weights from one generator per process:
/// the tests that train take turns, so that a seed means the same run.
static TRAINING: Mutex<()> = Mutex::new(());

const LABELS: [&str; 3] = ["classical", "metal", "blues"];

fn shipped() -> Vec<u8> {
    std::fs::read(paths::manifest_dir().join("web/model/model.genre")).expect("the shipped model")
}

/// The embeddings of the label's `ks`-th clips (by name), by the shipped model's front end.
fn songs(clf: &mut Classifier, label: usize, ks: &[usize]) -> Option<Vec<(Song, Vec<f32>)>> {
    let dir = paths::shared_data_if_present(&format!("gtzan/{}", LABELS[label]))?;
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .expect("a readable folder")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".ogg"))
        .collect();
    files.sort();
    Some(
        ks.iter()
            .map(|&k| {
                let name = files[k].clone();
                let bytes = std::fs::read(dir.join(&name)).expect("a clip");
                let samples = genre::audio::decode(bytes, Some("ogg"), SAMPLE_RATE)
                    .expect("decodes")
                    .samples;
                let embeddings = clf.song_embeddings(samples.clone(), BATCH);
                (
                    Song {
                        name,
                        label,
                        embeddings,
                    },
                    samples,
                )
            })
            .collect(),
    )
}

struct Fixture {
    lesson: Lesson,
    unseen: Vec<(Song, Vec<f32>)>,
}

fn fixture() -> Option<Fixture> {
    let mut clf = Classifier::from_bytes(&shipped(), &Device::flex()).expect("loads");
    let mut lesson = Lesson {
        labels: LABELS.iter().map(|s| s.to_string()).collect(),
        songs: Vec::new(),
    };
    let mut unseen = Vec::new();
    for label in 0..LABELS.len() {
        lesson.songs.extend(
            songs(&mut clf, label, &[0, 1, 2, 3])?
                .into_iter()
                .map(|(s, _)| s),
        );
        unseen.extend(songs(&mut clf, label, &[4, 5])?);
    }
    Some(Fixture { lesson, unseen })
}

#[test]
fn a_head_taught_on_real_songs_recognises_songs_it_never_saw_and_exports_a_model_file() {
    let Some(f) = fixture() else { return };
    let _turn = TRAINING.lock().unwrap_or_else(|e| e.into_inner());
    assert_eq!(check(&f.lesson), Ok(vec![]));
    assert!(
        f.lesson.songs.iter().all(|s| s.embeddings.len() == 10),
        "10 segments per 30-s clip"
    );
    let device = Device::flex();
    let opts = TeachOptions::default();

    let t = std::time::Instant::now();
    let held = held_out(&f.lesson, &opts, &device, |_, _| true).expect("not stopped");
    eprintln!(
        "held-out ({}, {:.1} s):\n{}",
        held.split,
        t.elapsed().as_secs_f64(),
        held.metrics.text()
    );
    assert!(held.split.starts_with("leave-one-song-out, 12 songs"));
    assert!(
        held.metrics.track_accuracy.value >= 10.0 / 12.0,
        "{}",
        held.metrics.text()
    );

    let all: Vec<usize> = (0..f.lesson.songs.len()).collect();
    let t = std::time::Instant::now();
    let taught = Teacher::new(&f.lesson, &all, &opts, &device).run();
    eprintln!("taught in {:.2} s", t.elapsed().as_secs_f64());
    let right = f
        .unseen
        .iter()
        .filter(|(s, _)| argmax(&taught.song_probabilities(&s.embeddings)) == s.label)
        .count();
    assert!(right >= 5, "{right} of 6 unseen songs right");

    // the file: read by the library's classifier, which classifies from the audio
    let file = export(&f.lesson, &taught, Some(&held), &shipped(), "2026-12-01").expect("exports");
    let m = &file.manifest;
    assert_eq!(m.labels, f.lesson.labels);
    assert_eq!(m.trained_on.dataset, "taught in the browser");
    assert_eq!(m.trained_on.train_files.get("metal"), Some(&4));
    assert_eq!(m.trained_on.date, "2026-12-01");
    assert_eq!(
        m.scores.cv_track_accuracy,
        Some(held.metrics.track_accuracy.value)
    );
    assert!(
        m.summary().contains("taught in the browser"),
        "{}",
        m.summary()
    );
    let mut clf =
        Classifier::from_bytes(&file.bytes, &Device::flex()).expect("the taught file loads");
    for (song, samples) in &f.unseen {
        let from_audio = clf.classify_song(samples.clone(), BATCH).probabilities;
        let from_embeddings = taught.song_probabilities(&song.embeddings);
        let worst = from_audio
            .iter()
            .zip(&from_embeddings)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(worst < 1e-5, "{}: |Δp| {worst}", song.name);
        assert_eq!(argmax(&from_audio), argmax(&from_embeddings));
    }
}

#[test]
fn the_same_seed_teaches_the_same_head_and_another_seed_another() {
    let Some(f) = fixture() else { return };
    let _turn = TRAINING.lock().unwrap_or_else(|e| e.into_inner());
    let device = Device::flex();
    let all: Vec<usize> = (0..f.lesson.songs.len()).collect();
    let opts = TeachOptions {
        epochs: 5,
        ..TeachOptions::default()
    };
    let a = Teacher::new(&f.lesson, &all, &opts, &device).run();
    let b = Teacher::new(&f.lesson, &all, &opts, &device).run();
    let c = Teacher::new(&f.lesson, &all, &TeachOptions { seed: 8, ..opts }, &device).run();
    let e = &f.unseen[0].0.embeddings;
    assert_eq!(a.losses, b.losses);
    assert_eq!(a.segment_probabilities(e), b.segment_probabilities(e));
    assert_ne!(a.losses, c.losses);
}
