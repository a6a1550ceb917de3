//! Benchmark of the feature extractor: chroma + mel dB + MFCC of a 30-s clip, single-threaded.
//!
//! `cargo bench -p genre --bench features`
//!
//! The clip is the first 30 s (661 500 samples) of `../shared/data/gtzan/blues/blues.00000.ogg` (override the
//! data folder with `GENRE_DATA`), or a generated signal (a chord plus noise) when the data is not there.
//! `scripts/bench_librosa.py` times librosa on the same clip. Two cases:
//! - `one_input`: the whole 30 s as one input (1 292 frames), as `librosa.feature.*(y=clip)` does;
//! - `ten_segments`: the clip cut into ten 3-s segments (`segment_starts` + `segment_into`), each computed on its
//!   own (10 × 130 frames), which is what the trainer and the page do;
//! - `ten_segments_pcen`: the same with the mel image as PCEN (`FeatureParams::pcen`, off by default).

#[path = "../tests/support/ogg.rs"]
mod ogg;

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use genre::features::{
    FeatureExtractor, FeatureParams, Features, PcenParams, SAMPLE_RATE, segment_into,
    segment_starts,
};

const CLIP_SAMPLES: usize = 30 * SAMPLE_RATE as usize;

fn clip() -> (Vec<f32>, String) {
    let path = ogg::paths::shared_data().join("gtzan/blues/blues.00000.ogg");
    match ogg::decode_ogg(&path) {
        Ok(mut x) if x.len() >= CLIP_SAMPLES => {
            x.truncate(CLIP_SAMPLES);
            (x, format!("{} (first 30 s)", path.display()))
        }
        other => {
            let why = match other {
                Ok(x) => format!("only {} samples", x.len()),
                Err(e) => e,
            };
            eprintln!(
                "{}: {why}; benchmarking a generated signal instead",
                path.display()
            );
            let mut seed = 1u32;
            let x = (0..CLIP_SAMPLES)
                .map(|i| {
                    seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    let noise = (seed >> 8) as f32 / (1u32 << 24) as f32 - 0.5;
                    let t = i as f32 / SAMPLE_RATE as f32;
                    let tau = 2.0 * std::f32::consts::PI;
                    0.3 * (tau * 261.63 * t).sin()
                        + 0.2 * (tau * 329.63 * t).sin()
                        + 0.2 * (tau * 392.0 * t).sin()
                        + 0.1 * noise
                })
                .collect();
            (x, "generated chord + noise".to_string())
        }
    }
}

fn bench(c: &mut Criterion) {
    let (x, what) = clip();
    eprintln!("clip: {what}, {} samples", x.len());
    let params = FeatureParams::default();
    let mut fx = FeatureExtractor::new(params.clone());
    let mut out = Features::default();

    let mut g = c.benchmark_group("features_30s_clip");
    g.throughput(Throughput::Elements(x.len() as u64));
    g.bench_function("one_input", |b| {
        b.iter(|| {
            fx.compute_into(black_box(&x), &mut out);
            black_box(&out);
        })
    });
    let seg_len = params.segment_samples;
    let starts = segment_starts(x.len(), seg_len, seg_len);
    assert_eq!(starts.len(), 10);
    let mut seg = vec![0.0f32; seg_len];
    let pcen = FeatureParams {
        pcen: Some(PcenParams::default()),
        ..params.clone()
    };
    for (name, p) in [("ten_segments", &params), ("ten_segments_pcen", &pcen)] {
        let mut fx = FeatureExtractor::new(p.clone());
        g.bench_function(name, |b| {
            b.iter(|| {
                for &s in &starts {
                    segment_into(black_box(&x), s, &mut seg);
                    fx.compute_into(&seg, &mut out);
                    black_box(&out);
                }
            })
        });
    }
    g.finish();

    c.bench_function("extractor_new", |b| {
        b.iter(|| black_box(FeatureExtractor::new(black_box(params.clone()))))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
