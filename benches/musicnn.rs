//! Benchmark of the pretrained front end (musicnn's MSD network, ~1.4 GMAC per 3-s patch) natively on flex,
//! the CPU backend the page uses, against TensorFlow on the same patches (`scripts/bench_musicnn_tf.py`,
//! run in the same minute).
//!
//! `cargo bench -p genre --bench musicnn`
//!
//! - `ten_patches_flex`, `ten_patches_ndarray`: the network alone on the 10 patches of a 30-s clip, one
//!   batch (the log-mel of `tests/fixtures/musicnn/gtzan_disco_00028.bin`, repeated; the cost does not
//!   depend on the values);
//! - `song_30s_flex`: the whole song pipeline for a 30-s clip with a front-end-only model: resampling to
//!   16 kHz, ten log-mel patches, the network, the head (`Classifier::classify_song`), batches of 16.

#[path = "../tests/fixtures/musicnn.rs"]
mod fixture;

use std::hint::black_box;

use burn::tensor::{Device, Tensor, TensorData};
use criterion::{Criterion, criterion_group, criterion_main};
use genre::model::musicnn::{BANDS, FRAMES, Musicnn, MusicnnWeights};

static WEIGHTS: &[u8] = include_bytes!("../pretrained/msd_musicnn/weights.safetensors");

fn bench(c: &mut Criterion) {
    let device = Device::flex();
    let w = MusicnnWeights::from_safetensors(WEIGHTS).unwrap();
    let patch = fixture::parse(fixture::CASES[4].1).logmel;
    let data: Vec<f32> = (0..10).flat_map(|_| patch.iter().copied()).collect();
    let mut g = c.benchmark_group("musicnn");
    g.sample_size(10);
    #[allow(deprecated)] // burn-ndarray: the page's second CPU backend
    for (name, device) in [("flex", Device::flex()), ("ndarray", Device::ndarray())] {
        let net = Musicnn::new(&w, &device);
        g.bench_function(format!("ten_patches_{name}"), |b| {
            b.iter(|| {
                let x = Tensor::<3>::from_data(
                    TensorData::new(data.clone(), [10, FRAMES, BANDS]),
                    &device,
                );
                black_box(net.embed(x).into_data())
            })
        });
    }

    // a front-end-only model (its head's weights do not change the cost)
    let model = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/web/model/model.genre"
    ))
    .unwrap();
    let mut clf = genre::inference::Classifier::from_bytes(&model, &device).unwrap();
    if clf.has_front_end() {
        let song: Vec<f32> = (0..30 * 22_050)
            .map(|i| (i as f32 * 0.031).sin() * 0.3 + (i as f32 * 0.0007).cos() * 0.1)
            .collect();
        g.bench_function("song_30s_flex", |b| {
            b.iter(|| black_box(clf.classify_song(song.clone(), 16)))
        });
    } else {
        eprintln!("web/model/model.genre has no front end: song_30s_flex skipped");
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
