//! Native audio decoding for the trainer: any file a user is likely to have (WAV, Ogg Vorbis, MP3,
//! FLAC through symphonia; Sun/NeXT `.au` through a small parser of our own, because symphonia has
//! none) becomes mono `f32` samples at [`TARGET_SAMPLE_RATE`] — the form the feature extractor
//! expects.
//!
//! - Channels are downmixed by averaging them.
//! - Other sample rates are converted with the library's one resampler (`genre::resample`: the
//!   page and the microphone use the same, so that every path sees the same numbers); a file
//!   already at 22 050 Hz is passed through as is.
//! - A packet that fails to decode in the middle of a file is skipped (and counted); a file that
//!   yields no samples at all is an error.
//! - Every error names the file and says in plain words what is wrong with it.

use anyhow::{Context, Result, anyhow, bail};
use std::fs::File;
use std::io::Read;
use std::path::Path;
use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::{CODEC_TYPE_NULL, DecoderOptions};
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::FormatOptions;
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;

/// The sample rate every decoded file is converted to: the rate the features are defined at.
pub const TARGET_SAMPLE_RATE: u32 = genre::features::SAMPLE_RATE;

/// A decoded file before and after conversion, for callers that want to tell the user more.
#[derive(Debug, Clone)]
pub struct Decoded {
    /// Mono samples at [`TARGET_SAMPLE_RATE`].
    pub samples: Vec<f32>,
    /// The file's own sample rate.
    pub source_rate: u32,
    /// The file's channel count (of its first decoded block).
    pub source_channels: usize,
    /// Packets that failed to decode and were skipped.
    pub skipped_packets: usize,
    /// The length the container declares, in frames at the source rate, when it declares one.
    pub declared_frames: Option<u64>,
}

/// Decode `path` into mono `f32` samples at 22 050 Hz.
pub fn load_audio(path: &Path) -> Result<Vec<f32>> {
    Ok(load_audio_detailed(path)?.samples)
}

/// Like [`load_audio`], also reporting the source format and how many corrupt packets were skipped.
pub fn load_audio_detailed(path: &Path) -> Result<Decoded> {
    let name = path.display();
    let mut file = File::open(path).with_context(|| format!("{name}: cannot open the file"))?;
    let mut magic = [0u8; 4];
    let n = read_up_to(&mut file, &mut magic)
        .with_context(|| format!("{name}: cannot read the file"))?;
    if n == 0 {
        bail!("{name}: the file is empty, so it contains no audio");
    }
    drop(file);

    let raw = if magic == *b".snd" {
        decode_au(path)?
    } else {
        decode_symphonia(path)?
    };
    if raw.mono.is_empty() {
        bail!("{name}: contains no audio samples");
    }
    let mut samples = resample(&raw.mono, raw.rate, TARGET_SAMPLE_RATE).with_context(|| {
        format!(
            "{name}: cannot convert {} Hz to {TARGET_SAMPLE_RATE} Hz",
            raw.rate
        )
    })?;
    // A float file may hold NaN or infinities; features of them would be meaningless.
    for s in &mut samples {
        if !s.is_finite() {
            *s = 0.0;
        }
    }
    Ok(Decoded {
        samples,
        source_rate: raw.rate,
        source_channels: raw.channels,
        skipped_packets: raw.skipped,
        declared_frames: raw.declared_frames,
    })
}

/// Mono samples at the file's own rate.
struct RawMono {
    mono: Vec<f32>,
    rate: u32,
    channels: usize,
    skipped: usize,
    declared_frames: Option<u64>,
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(k) => filled += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Appends the average of the channels of each frame of `interleaved` to `mono`.
fn downmix_into(interleaved: &[f32], channels: usize, mono: &mut Vec<f32>) {
    if channels <= 1 {
        mono.extend_from_slice(interleaved);
        return;
    }
    let scale = 1.0 / channels as f32;
    mono.extend(
        interleaved
            .chunks_exact(channels)
            .map(|frame| frame.iter().sum::<f32>() * scale),
    );
}

/// How many demuxer errors in a row we tolerate before giving up on the rest of a file.
const MAX_CONSECUTIVE_READ_ERRORS: usize = 32;

fn decode_symphonia(path: &Path) -> Result<RawMono> {
    let name = path.display();
    let file = File::open(path).with_context(|| format!("{name}: cannot open the file"))?;
    let mss = MediaSourceStream::new(Box::new(file), Default::default());
    let mut hint = Hint::new();
    if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
        hint.with_extension(ext);
    }
    let format_opts = FormatOptions {
        enable_gapless: true,
        ..Default::default()
    };
    let probed = symphonia::default::get_probe()
        .format(&hint, mss, &format_opts, &MetadataOptions::default())
        .map_err(|e| match e {
            SymError::IoError(io) => {
                anyhow!("{name}: not an audio file symphonia can decode (reading it failed: {io})")
            }
            other => anyhow!(
                "{name}: not an audio file symphonia can decode (wav, ogg/vorbis, mp3, flac or Sun .au are read): {other}"
            ),
        })?;
    let mut format = probed.format;
    let track = format
        .tracks()
        .iter()
        .find(|t| t.codec_params.codec != CODEC_TYPE_NULL)
        .ok_or_else(|| anyhow!("{name}: the container holds no audio track"))?;
    let track_id = track.id;
    let declared_frames = track.codec_params.n_frames;
    let mut decoder = symphonia::default::get_codecs()
        .make(&track.codec_params, &DecoderOptions::default())
        .map_err(|e| anyhow!("{name}: its audio codec is not supported ({e})"))?;

    let mut mono = Vec::new();
    if let Some(frames) = track.codec_params.n_frames {
        // Reserve for the expected length, but never trust a header with gigabytes.
        mono.reserve(frames.min(48_000 * 60 * 20) as usize);
    }
    let mut rate: Option<u32> = None;
    let mut channels = 0usize;
    let mut skipped = 0usize;
    let mut read_errors = 0usize;
    let mut sample_buf: Option<SampleBuffer<f32>> = None;

    loop {
        let packet = match format.next_packet() {
            Ok(p) => {
                read_errors = 0;
                p
            }
            // The normal end of a stream, or a truncated file: keep what was decoded.
            Err(SymError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            // A new chained stream begins; we only read the first.
            Err(SymError::ResetRequired) => break,
            Err(SymError::DecodeError(_)) => {
                read_errors += 1;
                skipped += 1;
                if read_errors >= MAX_CONSECUTIVE_READ_ERRORS {
                    break;
                }
                continue;
            }
            Err(e) => {
                if mono.is_empty() {
                    bail!("{name}: cannot read the audio stream ({e})");
                }
                // Damage near the end: keep what came before it.
                skipped += 1;
                break;
            }
        };
        if packet.track_id() != track_id {
            continue;
        }
        let decoded = match decoder.decode(&packet) {
            Ok(d) => d,
            Err(SymError::DecodeError(_)) | Err(SymError::IoError(_)) => {
                skipped += 1;
                continue;
            }
            Err(SymError::ResetRequired) => break,
            Err(e) => bail!("{name}: cannot decode its audio ({e})"),
        };
        let spec = *decoded.spec();
        let frames = decoded.frames();
        if frames == 0 {
            continue;
        }
        match rate {
            None => {
                rate = Some(spec.rate);
                channels = spec.channels.count();
            }
            Some(r) if r != spec.rate => bail!(
                "{name}: the sample rate changes in the middle of the file ({r} Hz, then {} Hz)",
                spec.rate
            ),
            Some(_) => {}
        }
        let needed = decoded.capacity() as u64;
        let buf = match &mut sample_buf {
            Some(b) if b.capacity() >= frames * spec.channels.count() => b,
            _ => sample_buf.insert(SampleBuffer::<f32>::new(needed, spec)),
        };
        buf.copy_interleaved_ref(decoded);
        downmix_into(buf.samples(), spec.channels.count(), &mut mono);
    }

    let rate = rate
        .ok_or_else(|| anyhow!("{name}: contains no audio samples (no packet could be decoded)"))?;
    if rate == 0 {
        bail!("{name}: declares a sample rate of 0 Hz");
    }
    Ok(RawMono {
        mono,
        rate,
        channels,
        skipped,
        declared_frames,
    })
}

/// Sun/NeXT `.au`: a big-endian header (`.snd`, data offset, data size, encoding, rate, channels)
/// followed by big-endian samples. GTZAN's original files are 16-bit linear PCM.
fn decode_au(path: &Path) -> Result<RawMono> {
    let name = path.display();
    let bytes = std::fs::read(path).with_context(|| format!("{name}: cannot read the file"))?;
    parse_au(&bytes).map_err(|e| anyhow!("{name}: {e}"))
}

fn parse_au(bytes: &[u8]) -> Result<RawMono> {
    if bytes.len() < 24 || &bytes[0..4] != b".snd" {
        bail!("not a valid Sun .au file (its header is shorter than 24 bytes)");
    }
    let word = |i: usize| u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    let offset = word(4) as usize;
    let size = word(8);
    let encoding = word(12);
    let rate = word(16);
    let channels = word(20) as usize;
    if offset < 24 || offset > bytes.len() {
        bail!("not a valid Sun .au file (its data offset {offset} lies outside the file)");
    }
    if rate == 0 {
        bail!("a Sun .au file that declares a sample rate of 0 Hz");
    }
    if channels == 0 || channels > 64 {
        bail!("a Sun .au file that declares {channels} channels");
    }
    let available = bytes.len() - offset;
    let len = if size == u32::MAX {
        available
    } else {
        (size as usize).min(available)
    };
    let data = &bytes[offset..offset + len];
    let interleaved: Vec<f32> = match encoding {
        1 => data
            .iter()
            .map(|&b| ulaw_to_linear(b) as f32 / 32768.0)
            .collect(),
        2 => data.iter().map(|&b| b as i8 as f32 / 128.0).collect(),
        3 => data
            .chunks_exact(2)
            .map(|c| i16::from_be_bytes([c[0], c[1]]) as f32 / 32768.0)
            .collect(),
        4 => data
            .chunks_exact(3)
            .map(|c| (i32::from_be_bytes([c[0], c[1], c[2], 0]) >> 8) as f32 / 8_388_608.0)
            .collect(),
        5 => data
            .chunks_exact(4)
            .map(|c| i32::from_be_bytes([c[0], c[1], c[2], c[3]]) as f32 / 2_147_483_648.0)
            .collect(),
        6 => data
            .chunks_exact(4)
            .map(|c| f32::from_be_bytes([c[0], c[1], c[2], c[3]]))
            .collect(),
        7 => data
            .chunks_exact(8)
            .map(|c| f64::from_be_bytes(c.try_into().expect("8 bytes")) as f32)
            .collect(),
        27 => data
            .iter()
            .map(|&b| alaw_to_linear(b) as f32 / 32768.0)
            .collect(),
        other => bail!(
            "a Sun .au file with encoding {other}, which is not supported \
             (supported: 8/16/24/32-bit linear PCM, 32/64-bit float, mu-law, A-law)"
        ),
    };
    // Drop a trailing partial frame.
    let whole = interleaved.len() / channels * channels;
    let mut mono = Vec::with_capacity(whole / channels);
    downmix_into(&interleaved[..whole], channels, &mut mono);
    Ok(RawMono {
        declared_frames: (size != u32::MAX).then_some(mono.len() as u64),
        mono,
        rate,
        channels,
        skipped: 0,
    })
}

/// ITU-T G.711 mu-law to 16-bit linear.
fn ulaw_to_linear(u: u8) -> i16 {
    let u = !u;
    let t = ((((u & 0x0f) as i32) << 3) + 0x84) << ((u >> 4) & 0x07);
    (if u & 0x80 != 0 { 0x84 - t } else { t - 0x84 }) as i16
}

/// ITU-T G.711 A-law to 16-bit linear.
fn alaw_to_linear(a: u8) -> i16 {
    let a = a ^ 0x55;
    let mut t = ((a & 0x0f) as i32) << 4;
    match (a >> 4) & 0x07 {
        0 => t += 8,
        1 => t += 0x108,
        seg => t = (t + 0x108) << (seg - 1),
    }
    (if a & 0x80 != 0 { t } else { -t }) as i16
}

/// Resample mono `samples` from `from_hz` to `to_hz` with the library's one resampler
/// ([`genre::resample`], the one the page and the microphone use): `ceil(len · to_hz / from_hz)`
/// samples (librosa's convention), aligned with the input. Equal rates return the input unchanged.
pub fn resample(samples: &[f32], from_hz: u32, to_hz: u32) -> Result<Vec<f32>> {
    if from_hz == 0 || to_hz == 0 {
        bail!("cannot resample from {from_hz} Hz to {to_hz} Hz: a sample rate must be above 0");
    }
    Ok(genre::resample::resample(samples, from_hz, to_hz))
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
        let y = resample(&x, 44_100, 22_050).unwrap();
        let alias = dft_mag(&y[1024..y.len() - 1024], 7_050.0, 22_050);
        assert!(alias < 0.005, "aliased energy {alias}");
    }

    #[test]
    fn resample_lengths_follow_librosa() {
        let x = vec![0.1f32; 48_001];
        assert_eq!(resample(&x, 48_000, 22_050).unwrap().len(), 22_051);
        assert_eq!(resample(&x, 22_050, 22_050).unwrap().len(), 48_001);
        assert_eq!(resample(&x[..10], 8_000, 22_050).unwrap().len(), 28);
        assert!(resample(&x, 0, 22_050).is_err());
        // A constant stays constant away from the edges (no gain error).
        let y = resample(&x, 48_000, 22_050).unwrap();
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
    fn g711_tables() {
        assert_eq!(ulaw_to_linear(0xff), 0);
        assert_eq!(ulaw_to_linear(0x7f), 0);
        assert_eq!(ulaw_to_linear(0x00), -32124);
        assert_eq!(ulaw_to_linear(0x80), 32124);
        assert_eq!(alaw_to_linear(0xd5), 8);
        assert_eq!(alaw_to_linear(0x55), -8);
        assert_eq!(alaw_to_linear(0xaa), 32256);
        assert_eq!(alaw_to_linear(0x2a), -32256);
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
