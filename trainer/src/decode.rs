//! Native audio decoding for the trainer: a file on disk becomes mono `f32` samples at
//! [`TARGET_SAMPLE_RATE`] through the library's decoder ([`genre::audio`]: symphonia for WAV, Ogg
//! Vorbis, MP3, FLAC and M4A/AAC, a parser of its own for Sun `.au`, channels averaged, the one
//! resampler), the same code the page runs in the browser. This module reads the file and puts
//! its name into every error.

use anyhow::{Context, Result, anyhow};
use std::path::Path;

pub use genre::audio::Decoded;

/// The sample rate every decoded file is converted to: the rate the features are defined at.
pub const TARGET_SAMPLE_RATE: u32 = genre::features::SAMPLE_RATE;

/// Decode `path` into mono `f32` samples at 22 050 Hz.
pub fn load_audio(path: &Path) -> Result<Vec<f32>> {
    Ok(load_audio_detailed(path)?.samples)
}

/// Like [`load_audio`], also reporting the source format and how many corrupt packets were skipped.
pub fn load_audio_detailed(path: &Path) -> Result<Decoded> {
    let name = path.display();
    let bytes = std::fs::read(path).with_context(|| format!("{name}: cannot open the file"))?;
    let ext = path.extension().and_then(|e| e.to_str());
    genre::audio::decode(bytes, ext, TARGET_SAMPLE_RATE).map_err(|e| anyhow!("{name}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::paths::{first_file, shared_data_if_present};
    use std::f32::consts::PI;
    use std::io::Write;
    use std::path::PathBuf;

    /// A 16-bit PCM WAV file, interleaved samples.
    fn wav_bytes(rate: u32, channels: u16, interleaved: &[f32]) -> Vec<u8> {
        let data_len = (interleaved.len() * 2) as u32;
        let mut b = Vec::with_capacity(44 + data_len as usize);
        b.extend_from_slice(b"RIFF");
        b.extend_from_slice(&(36 + data_len).to_le_bytes());
        b.extend_from_slice(b"WAVEfmt ");
        b.extend_from_slice(&16u32.to_le_bytes());
        b.extend_from_slice(&1u16.to_le_bytes());
        b.extend_from_slice(&channels.to_le_bytes());
        b.extend_from_slice(&rate.to_le_bytes());
        b.extend_from_slice(&(rate * channels as u32 * 2).to_le_bytes());
        b.extend_from_slice(&(channels * 2).to_le_bytes());
        b.extend_from_slice(&16u16.to_le_bytes());
        b.extend_from_slice(b"data");
        b.extend_from_slice(&data_len.to_le_bytes());
        for &s in interleaved {
            let v = (s.clamp(-1.0, 1.0) * 32767.0).round() as i16;
            b.extend_from_slice(&v.to_le_bytes());
        }
        b
    }

    fn sine(freq: f32, rate: u32, n: usize, amp: f32) -> Vec<f32> {
        (0..n)
            .map(|i| amp * (2.0 * PI * freq * i as f32 / rate as f32).sin())
            .collect()
    }

    fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f32::max)
    }

    /// Magnitude of the DFT of `x` at `freq` Hz (one bin, computed directly).
    fn dft_mag(x: &[f32], freq: f32, rate: u32) -> f32 {
        let (mut re, mut im) = (0.0f64, 0.0f64);
        let w = 2.0 * std::f64::consts::PI * freq as f64 / rate as f64;
        for (i, &s) in x.iter().enumerate() {
            re += s as f64 * (w * i as f64).cos();
            im -= s as f64 * (w * i as f64).sin();
        }
        ((re * re + im * im).sqrt() / x.len() as f64) as f32
    }

    fn write_temp(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
        let p = dir.path().join(name);
        std::fs::File::create(&p).unwrap().write_all(bytes).unwrap();
        p
    }

    #[test]
    fn stereo_44k_wav_sine_is_resampled_to_22k_mono_keeping_1khz() {
        let rate = 44_100;
        let n = rate as usize * 2; // 2 s
        let left = sine(1000.0, rate, n, 0.5);
        // The right channel is the same tone, so the average keeps the amplitude.
        let interleaved: Vec<f32> = left.iter().flat_map(|&s| [s, s]).collect();
        let dir = tempfile::tempdir().unwrap();
        let path = write_temp(&dir, "sine.wav", &wav_bytes(rate, 2, &interleaved));

        let d = load_audio_detailed(&path).unwrap();
        assert_eq!(d.source_rate, 44_100);
        assert_eq!(d.source_channels, 2);
        let y = d.samples;
        assert_eq!(y.len(), n / 2, "2 s at 22 050 Hz");

        // The tone is at 1 kHz and nowhere else (look at the middle, away from the edges).
        let mid = &y[2048..y.len() - 2048];
        let at_1k = dft_mag(mid, 1000.0, TARGET_SAMPLE_RATE);
        assert!(
            (at_1k - 0.25).abs() < 0.01,
            "amplitude/2 at 1 kHz, got {at_1k}"
        );
        for f in [500.0, 900.0, 1100.0, 2000.0, 5000.0] {
            let m = dft_mag(mid, f, TARGET_SAMPLE_RATE);
            assert!(m < 0.01 * at_1k, "{f} Hz: {m} vs {at_1k}");
        }
        // Zero crossings: 2 per period.
        let crossings = mid
            .windows(2)
            .filter(|w| (w[0] < 0.0) != (w[1] < 0.0))
            .count();
        let expected = 2.0 * 1000.0 * mid.len() as f32 / TARGET_SAMPLE_RATE as f32;
        assert!(
            (crossings as f32 - expected).abs() <= 2.0,
            "{crossings} vs {expected}"
        );
        // Aligned in time: no delay left by the resampler.
        let reference = sine(1000.0, TARGET_SAMPLE_RATE, y.len(), 0.5);
        let err = y[2048..4096]
            .iter()
            .zip(&reference[2048..4096])
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(
            err < 0.01,
            "resampled signal is shifted or distorted: max err {err}"
        );
    }

    #[test]
    fn downsampling_removes_content_above_the_new_nyquist() {
        // 15 kHz at 44.1 kHz must vanish at 22.05 kHz (it would alias to 7.05 kHz otherwise).
        let x = sine(15_000.0, 44_100, 44_100, 0.5);
        let y = genre::resample::resample(&x, 44_100, 22_050);
        let alias = dft_mag(&y[1024..y.len() - 1024], 7_050.0, 22_050);
        assert!(alias < 0.005, "aliased energy {alias}");
    }

    #[test]
    fn resample_lengths_follow_librosa() {
        let x = vec![0.1f32; 48_001];
        assert_eq!(genre::resample::resample(&x, 48_000, 22_050).len(), 22_051);
        assert_eq!(genre::resample::resample(&x, 22_050, 22_050).len(), 48_001);
        assert_eq!(genre::resample::resample(&x[..10], 8_000, 22_050).len(), 28);
        // A constant stays constant away from the edges (no gain error).
        let y = genre::resample::resample(&x, 48_000, 22_050);
        assert!(y[2000..20_000].iter().all(|v| (v - 0.1).abs() < 1e-3));
    }

    #[test]
    fn a_22k_mono_wav_is_passed_through() {
        let x = sine(440.0, 22_050, 22_050, 0.25);
        let dir = tempfile::tempdir().unwrap();
        let path = write_temp(&dir, "a.wav", &wav_bytes(22_050, 1, &x));
        let y = load_audio(&path).unwrap();
        assert_eq!(y.len(), x.len());
        let err = max_abs_diff(&x, &y);
        assert!(err < 1.0 / 16_000.0, "max err {err}");
    }

    fn au_bytes(encoding: u32, rate: u32, channels: u32, data: &[u8]) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(b".snd");
        for w in [32u32, data.len() as u32, encoding, rate, channels, 0] {
            b.extend_from_slice(&w.to_be_bytes());
        }
        assert_eq!(b.len(), 28);
        b.extend_from_slice(&[0; 4]); // annotation up to the 32-byte offset
        b.extend_from_slice(data);
        b
    }

    #[test]
    fn sun_au_16bit_is_decoded() {
        let x = sine(440.0, 22_050, 22_050, 0.5);
        let data: Vec<u8> = x
            .iter()
            .flat_map(|&s| ((s * 32767.0).round() as i16).to_be_bytes())
            .collect();
        let dir = tempfile::tempdir().unwrap();
        // GTZAN's own naming: blues.00000.au
        let path = write_temp(&dir, "blues.00000.au", &au_bytes(3, 22_050, 1, &data));
        let y = load_audio(&path).unwrap();
        assert_eq!(y.len(), x.len());
        let err = max_abs_diff(&x, &y);
        assert!(err < 1e-4, "max err {err}");

        // Stereo 11 025 Hz, size field "unknown": downmixed and upsampled.
        let st: Vec<u8> = (0..11_025)
            .flat_map(|_| [0x40u8, 0x00, 0x00, 0x00]) // left 0.5, right 0
            .collect();
        let mut b = au_bytes(3, 11_025, 2, &st);
        b[8..12].copy_from_slice(&u32::MAX.to_be_bytes());
        let path = write_temp(&dir, "st.au", &b);
        let y = load_audio(&path).unwrap();
        assert_eq!(y.len(), 22_050);
        assert!((y[11_000] - 0.25).abs() < 1e-3, "{}", y[11_000]);
    }

    #[test]
    fn bad_au_files_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_temp(&dir, "x.au", &au_bytes(23, 22_050, 1, &[0; 100]));
        let e = format!("{:#}", load_audio(&path).unwrap_err());
        assert!(e.contains("x.au") && e.contains("encoding 23"), "{e}");
        let path = write_temp(&dir, "short.au", b".snd\0\0");
        let e = format!("{:#}", load_audio(&path).unwrap_err());
        assert!(
            e.contains("short.au") && e.contains("not a valid Sun .au"),
            "{e}"
        );
        let path = write_temp(&dir, "empty.au", &au_bytes(3, 22_050, 1, &[]));
        let e = format!("{:#}", load_audio(&path).unwrap_err());
        assert!(
            e.contains("empty.au") && e.contains("no audio samples"),
            "{e}"
        );
    }

    #[test]
    fn a_text_file_named_wav_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_temp(
            &dir,
            "notes.wav",
            b"This is a shopping list, not a sound.\nMilk\nBread\n",
        );
        let e = format!("{:#}", load_audio(&path).unwrap_err());
        assert!(e.contains("notes.wav"), "{e}");
        assert!(e.contains("not an audio file"), "{e}");
    }

    #[test]
    fn missing_and_empty_files_are_errors_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let e = format!(
            "{:#}",
            load_audio(&dir.path().join("gone.ogg")).unwrap_err()
        );
        assert!(e.contains("gone.ogg") && e.contains("cannot open"), "{e}");
        let path = write_temp(&dir, "zero.mp3", b"");
        let e = format!("{:#}", load_audio(&path).unwrap_err());
        assert!(e.contains("zero.mp3") && e.contains("empty"), "{e}");
        // A WAV header with no samples.
        let path = write_temp(&dir, "hollow.wav", &wav_bytes(22_050, 1, &[]));
        let e = format!("{:#}", load_audio(&path).unwrap_err());
        assert!(
            e.contains("hollow.wav") && e.contains("no audio samples"),
            "{e}"
        );
    }

    #[test]
    fn real_gtzan_clips_decode_to_30_seconds() {
        let Some(gtzan) = shared_data_if_present("gtzan") else {
            return;
        };
        let mut checked = 0;
        for genre in ["blues", "classical", "metal", "disco"] {
            let Some(path) = first_file(&gtzan.join(genre), "ogg") else {
                continue;
            };
            let d = load_audio_detailed(&path).unwrap();
            assert_eq!(d.source_rate, 22_050, "{}", path.display());
            assert_eq!(d.skipped_packets, 0, "{}", path.display());
            // GTZAN's clips are not all exactly 30 s: the shared copies run from 661 100 to
            // 675 808 samples (29.98 s to 30.65 s). Every sample the container declares must come out.
            let secs = d.samples.len() as f32 / 22_050.0;
            assert!((29.9..30.7).contains(&secs), "{}: {secs} s", path.display());
            assert_eq!(
                Some(d.samples.len() as u64),
                d.declared_frames,
                "{}: decoded length differs from the declared one",
                path.display()
            );
            assert!(d.samples.iter().all(|s| s.is_finite() && s.abs() <= 1.5));
            let rms =
                (d.samples.iter().map(|s| s * s).sum::<f32>() / d.samples.len() as f32).sqrt();
            assert!(
                rms > 0.005,
                "{} is (nearly) silent: rms {rms}",
                path.display()
            );
            checked += 1;
        }
        assert!(checked > 0, "no GTZAN clip found under {}", gtzan.display());
    }

    #[test]
    fn real_clips_decode_to_their_length() {
        let Some(clips) = shared_data_if_present("clips") else {
            return;
        };
        let path = clips.join("admiralbob77_-_Choice_-_Drum-bass.ogg");
        if !path.exists() {
            eprintln!("note: {} is absent", path.display());
            return;
        }
        let y = load_audio(&path).unwrap();
        let secs = y.len() as f32 / 22_050.0;
        assert!((24.0..27.0).contains(&secs), "{secs} s");
    }

    #[test]
    fn a_truncated_ogg_gives_an_error_or_a_short_result_never_a_panic() {
        let Some(blues) = shared_data_if_present("gtzan/blues") else {
            return;
        };
        let Some(src) = first_file(&blues, "ogg") else {
            eprintln!("note: no GTZAN blues clip; skipping");
            return;
        };
        let bytes = std::fs::read(&src).unwrap();
        let dir = tempfile::tempdir().unwrap();
        for cut in [2048usize, 8192, 40_000, bytes.len() / 2] {
            let path = write_temp(
                &dir,
                &format!("cut{cut}.ogg"),
                &bytes[..cut.min(bytes.len())],
            );
            match load_audio(&path) {
                Ok(y) => assert!(y.len() < 30 * 22_050, "cut at {cut}: {} samples", y.len()),
                Err(e) => {
                    let e = format!("{e:#}");
                    assert!(e.contains(&format!("cut{cut}.ogg")), "{e}");
                }
            }
        }
        // Garbage in the middle of a real file: decoding goes on past it.
        let mut damaged = bytes.clone();
        let mid = damaged.len() / 2;
        for b in &mut damaged[mid..mid + 3000] {
            *b = b.wrapping_mul(31).wrapping_add(7);
        }
        let path = write_temp(&dir, "damaged.ogg", &damaged);
        let y = load_audio(&path)
            .unwrap_or_else(|e| panic!("damage in the middle must be skipped, not fatal: {e:#}"));
        assert!(
            y.len() > 20 * 22_050,
            "stopped at the damage: {} samples",
            y.len()
        );
    }
}
