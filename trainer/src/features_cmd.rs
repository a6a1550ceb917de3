//! `trainer features FILE --out DIR`: what the model sees, written out for people and for checks.
//!
//! The file is decoded (mono, 22 050 Hz), cut into 3-second segments (`hop_seconds` apart; a clip
//! shorter than one segment gives one zero-padded segment) and each segment's three features are
//! computed by the library's extractor — the same code the page runs. For each segment `i` it
//! writes `segNNN_chroma.npy` (12×130), `segNNN_mel_db.npy` (128×130), `segNNN_mfcc.npy` (20×130)
//! as NumPy arrays (rows = bands/coefficients, columns = frames, row 0 the lowest band), the
//! pictures `segNNN_chroma.png`, `segNNN_mel.png`, `segNNN_mfcc.png`, and a `segments.json` index.

use crate::{decode, npy, plots};
use anyhow::{Context, Result, ensure};
use genre::features::{FeatureExtractor, FeatureParams, hz_to_mel, segment_into, segment_starts};
use serde::Serialize;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct FeaturesArgs {
    /// Audio file (wav, ogg, mp3, flac or au)
    pub file: PathBuf,
    /// Folder to write the .npy files, pictures and segments.json into (created if missing)
    #[arg(long)]
    pub out: PathBuf,
    /// Seconds between the starts of consecutive segments (3 = back to back, less = overlapping)
    #[arg(long, default_value_t = 3.0)]
    pub hop_seconds: f32,
}

#[derive(Serialize)]
struct SegmentEntry {
    index: usize,
    start_seconds: f64,
    end_seconds: f64,
    chroma_npy: String,
    mel_db_npy: String,
    mfcc_npy: String,
    chroma_png: String,
    mel_png: String,
    mfcc_png: String,
}

#[derive(Serialize)]
struct SegmentsIndex<'a> {
    source: String,
    sample_rate: u32,
    duration_seconds: f64,
    segment_seconds: f64,
    hop_seconds: f32,
    n_fft: usize,
    hop_length: usize,
    n_frames: usize,
    shapes: Shapes,
    segments: &'a [SegmentEntry],
}

#[derive(Serialize)]
struct Shapes {
    chroma: [usize; 2],
    mel_db: [usize; 2],
    mfcc: [usize; 2],
}

const PITCH_CLASSES: [&str; 12] = [
    "C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B",
];

pub fn run(args: &FeaturesArgs) -> Result<()> {
    ensure!(
        args.hop_seconds.is_finite() && args.hop_seconds > 0.0,
        "--hop-seconds must be a positive number of seconds, not {}",
        args.hop_seconds
    );
    let decoded = decode::load_audio_detailed(&args.file)?;
    if decoded.skipped_packets > 0 {
        eprintln!(
            "note: {}: skipped {} damaged packet(s) while decoding",
            args.file.display(),
            decoded.skipped_packets
        );
    }
    eprintln!(
        "{}: {} Hz, {} channel(s){} → mono {} Hz, {:.1} s",
        args.file.display(),
        decoded.source_rate,
        decoded.source_channels,
        decoded
            .declared_frames
            .map_or(String::new(), |n| format!(", {n} frames declared")),
        decode::TARGET_SAMPLE_RATE,
        decoded.samples.len() as f64 / decode::TARGET_SAMPLE_RATE as f64
    );
    let samples = decoded.samples;

    let mut fx = FeatureExtractor::new(FeatureParams::default());
    let p = fx.params().clone();
    ensure!(
        p.sample_rate == decode::TARGET_SAMPLE_RATE,
        "the feature extractor expects {} Hz but the decoder gives {} Hz",
        p.sample_rate,
        decode::TARGET_SAMPLE_RATE
    );
    let sr = p.sample_rate as f64;
    let hop_samples = ((args.hop_seconds as f64 * sr).round() as usize).max(1);
    let starts: Vec<usize> = segment_starts(samples.len(), p.segment_samples, hop_samples);

    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create the output folder {}", args.out.display()))?;

    let seconds_per_frame = p.hop_length as f32 / p.sample_rate as f32;
    let chroma_ticks: Vec<(usize, String)> = PITCH_CLASSES
        .iter()
        .enumerate()
        .take(p.n_chroma)
        .map(|(i, n)| (i, n.to_string()))
        .collect();
    let fmax = p.fmax.map_or(sr / 2.0, f64::from);
    let mel_ticks = mel_band_ticks(p.n_mels, p.fmin as f64, fmax);
    let mfcc_ticks: Vec<(usize, String)> = (0..p.n_mfcc)
        .step_by(if p.n_mfcc > 24 { 5 } else { 2 })
        .map(|i| (i, i.to_string()))
        .collect();
    let stem = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();

    let mut seg = vec![0.0f32; p.segment_samples];
    let mut entries = Vec::with_capacity(starts.len());
    let mut n_frames = 0;
    for (i, &start) in starts.iter().enumerate() {
        segment_into(&samples, start, &mut seg);
        let f = fx.compute(&seg);
        let t = f.n_frames;
        n_frames = t;
        let start_s = start as f64 / sr;
        let end_s = (start + p.segment_samples) as f64 / sr;
        let name = |suffix: &str| format!("seg{i:03}_{suffix}");
        let entry = SegmentEntry {
            index: i,
            start_seconds: start_s,
            end_seconds: end_s,
            chroma_npy: name("chroma.npy"),
            mel_db_npy: name("mel_db.npy"),
            mfcc_npy: name("mfcc.npy"),
            chroma_png: name("chroma.png"),
            mel_png: name("mel.png"),
            mfcc_png: name("mfcc.png"),
        };
        let out = |file: &str| args.out.join(file);
        npy::write_npy(&out(&entry.chroma_npy), p.n_chroma, t, &f.chroma)?;
        npy::write_npy(&out(&entry.mel_db_npy), p.n_mels, t, &f.mel_db)?;
        npy::write_npy(&out(&entry.mfcc_npy), p.n_mfcc, t, &f.mfcc)?;

        let when = format!("{stem}, {start_s:.1}–{end_s:.1} s");
        plots::heatmap_png(
            &out(&entry.chroma_png),
            &format!("Chromagram — {when}"),
            p.n_chroma,
            t,
            &f.chroma,
            "Pitch class",
            &chroma_ticks,
            seconds_per_frame,
            "",
        )?;
        plots::heatmap_png(
            &out(&entry.mel_png),
            &format!("Mel spectrogram — {when}"),
            p.n_mels,
            t,
            &f.mel_db,
            "Hz",
            &mel_ticks,
            seconds_per_frame,
            "dB",
        )?;
        plots::heatmap_png(
            &out(&entry.mfcc_png),
            &format!("MFCC — {when}"),
            p.n_mfcc,
            t,
            &f.mfcc,
            "MFCC",
            &mfcc_ticks,
            seconds_per_frame,
            "",
        )?;
        entries.push(entry);
    }

    let index = SegmentsIndex {
        source: args.file.display().to_string(),
        sample_rate: p.sample_rate,
        duration_seconds: samples.len() as f64 / sr,
        segment_seconds: p.segment_samples as f64 / sr,
        hop_seconds: args.hop_seconds,
        n_fft: p.n_fft,
        hop_length: p.hop_length,
        n_frames,
        shapes: Shapes {
            chroma: [p.n_chroma, n_frames],
            mel_db: [p.n_mels, n_frames],
            mfcc: [p.n_mfcc, n_frames],
        },
        segments: &entries,
    };
    let json_path = args.out.join("segments.json");
    let json = serde_json::to_string_pretty(&index)?;
    std::fs::write(&json_path, json + "\n")
        .with_context(|| format!("cannot write {}", json_path.display()))?;

    println!(
        "{}: {:.1} s → {} segment(s) of {:.0} s every {} s; wrote chroma {}×{n_frames}, mel {}×{n_frames}, MFCC {}×{n_frames} (.npy and .png) to {}",
        args.file.display(),
        samples.len() as f64 / sr,
        entries.len(),
        p.segment_samples as f64 / sr,
        args.hop_seconds,
        p.n_chroma,
        p.n_mels,
        p.n_mfcc,
        args.out.display(),
    );
    Ok(())
}

/// Ticks for the mel bands at round frequencies, placed on the band whose centre is nearest
/// (bands are equally spaced in mel between 0 and sr/2, as librosa's `mel_frequencies` gives).
fn mel_band_ticks(n_mels: usize, fmin: f64, fmax: f64) -> Vec<(usize, String)> {
    let (mel_lo, mel_hi) = (hz_to_mel(fmin), hz_to_mel(fmax));
    // librosa: n_mels + 2 points from mel(fmin) to mel(fmax); band k is centred on point k + 1.
    let band_of =
        |hz: f64| (hz_to_mel(hz) - mel_lo) / (mel_hi - mel_lo) * (n_mels + 1) as f64 - 1.0;
    let mut ticks = Vec::new();
    for hz in [
        0.0, 128.0, 256.0, 512.0, 1024.0, 2048.0, 4096.0, 8192.0, 16384.0,
    ] {
        if hz < fmin || hz > fmax {
            continue;
        }
        let b = band_of(hz).round().max(0.0) as usize;
        if b < n_mels
            && ticks
                .last()
                .is_none_or(|(prev, _): &(usize, String)| b > *prev + 2)
        {
            ticks.push((b, format!("{hz:.0}")));
        }
    }
    ticks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mel_ticks_follow_the_slaney_scale() {
        let t = mel_band_ticks(128, 0.0, 11_025.0);
        // 1024 Hz is mel 15.3 of 49.9 (sr/2 = 11 025 Hz): band 15.3 / 49.9 × 129 − 1 ≈ 38.7.
        let k = t.iter().find(|(_, l)| l == "1024").unwrap().0;
        assert_eq!(k, 39, "{t:?}");
        assert_eq!(t[0], (0, "0".to_string()));
        assert!(t.windows(2).all(|w| w[0].0 < w[1].0));
    }
}
