//! Files symphonia reads (WAV, Ogg Vorbis, MP3, FLAC, MP4/M4A with AAC-LC), decoded a few packets
//! at a time so that the page can hand its event loop back (and show progress) between steps.
//!
//! MP3 encoder delay and padding are removed from the LAME/Xing header (`enable_gapless`), so
//! the trainer and the page, which both decode here, see the same samples.

use std::io::Cursor;

use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::{CODEC_TYPE_NULL, Decoder, DecoderOptions};
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::{FormatOptions, FormatReader};
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;

use super::{DecodeError, RawAudio, downmix_into};

/// How many demuxer errors in a row are tolerated before the rest of a file is given up.
const MAX_CONSECUTIVE_READ_ERRORS: usize = 32;

/// A file being decoded by symphonia.
pub struct StreamDecoding {
    format: Box<dyn FormatReader>,
    decoder: Box<dyn Decoder>,
    track_id: u32,
    declared_frames: Option<u64>,
    mono: Vec<f32>,
    rate: Option<u32>,
    channels: usize,
    skipped: usize,
    read_errors: usize,
    sample_buf: Option<SampleBuffer<f32>>,
    done: bool,
}

impl StreamDecoding {
    /// Probes `bytes` (the whole file); `extension` (e.g. "mp3") helps the probe.
    pub fn start(bytes: Vec<u8>, extension: Option<&str>) -> Result<Self, DecodeError> {
        let mss = MediaSourceStream::new(Box::new(Cursor::new(bytes)), Default::default());
        let mut hint = Hint::new();
        if let Some(ext) = extension {
            hint.with_extension(ext);
        }
        let format_opts = FormatOptions {
            enable_gapless: true,
            ..Default::default()
        };
        let probed = symphonia::default::get_probe()
            .format(&hint, mss, &format_opts, &MetadataOptions::default())
            .map_err(|e| DecodeError::NotAudio(e.to_string()))?;
        let format = probed.format;
        let track = format
            .tracks()
            .iter()
            .find(|t| t.codec_params.codec != CODEC_TYPE_NULL)
            .ok_or(DecodeError::NoTrack)?;
        let track_id = track.id;
        let declared_frames = track.codec_params.n_frames;
        let declared_rate = track.codec_params.sample_rate;
        let decoder = symphonia::default::get_codecs()
            .make(&track.codec_params, &DecoderOptions::default())
            .map_err(|e| DecodeError::Codec {
                why: e.to_string(),
                rate: declared_rate,
            })?;
        let mut mono = Vec::new();
        if let Some(frames) = declared_frames {
            // reserve for the expected length, but never trust a header with gigabytes
            mono.reserve(frames.min(48_000 * 60 * 20) as usize);
        }
        Ok(Self {
            format,
            decoder,
            track_id,
            declared_frames,
            mono,
            rate: None,
            channels: 0,
            skipped: 0,
            read_errors: 0,
            sample_buf: None,
            done: false,
        })
    }

    /// Decodes up to `packets` packets; `Ok(false)` once the file is done.
    pub fn step(&mut self, packets: usize) -> Result<bool, DecodeError> {
        for _ in 0..packets {
            if self.done {
                break;
            }
            self.one_packet()?;
        }
        Ok(!self.done)
    }

    /// Fraction of the declared length decoded so far (0 when the file declares none).
    pub fn progress(&self) -> f64 {
        match self.declared_frames {
            Some(n) if n > 0 => (self.mono.len() as f64 / n as f64).min(1.0),
            _ => 0.0,
        }
    }

    fn one_packet(&mut self) -> Result<(), DecodeError> {
        let packet = match self.format.next_packet() {
            Ok(p) => {
                self.read_errors = 0;
                p
            }
            // the normal end of a stream, or a truncated file: keep what was decoded
            Err(SymError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                self.done = true;
                return Ok(());
            }
            // a new chained stream begins; only the first is read
            Err(SymError::ResetRequired) => {
                self.done = true;
                return Ok(());
            }
            Err(SymError::DecodeError(_)) => {
                self.read_errors += 1;
                self.skipped += 1;
                if self.read_errors >= MAX_CONSECUTIVE_READ_ERRORS {
                    self.done = true;
                }
                return Ok(());
            }
            Err(e) => {
                if self.mono.is_empty() {
                    return Err(DecodeError::Stream(e.to_string()));
                }
                // damage near the end: keep what came before it
                self.skipped += 1;
                self.done = true;
                return Ok(());
            }
        };
        if packet.track_id() != self.track_id {
            return Ok(());
        }
        let decoded = match self.decoder.decode(&packet) {
            Ok(d) => d,
            Err(SymError::DecodeError(_)) | Err(SymError::IoError(_)) => {
                self.skipped += 1;
                return Ok(());
            }
            Err(SymError::ResetRequired) => {
                self.done = true;
                return Ok(());
            }
            Err(e) => return Err(DecodeError::Stream(e.to_string())),
        };
        let spec = *decoded.spec();
        let frames = decoded.frames();
        if frames == 0 {
            return Ok(());
        }
        match self.rate {
            None => {
                self.rate = Some(spec.rate);
                self.channels = spec.channels.count();
            }
            Some(r) if r != spec.rate => return Err(DecodeError::RateChange(r, spec.rate)),
            Some(_) => {}
        }
        let needed = decoded.capacity() as u64;
        let buf = match &mut self.sample_buf {
            Some(b) if b.capacity() >= frames * spec.channels.count() => b,
            _ => self
                .sample_buf
                .insert(SampleBuffer::<f32>::new(needed, spec)),
        };
        buf.copy_interleaved_ref(decoded);
        downmix_into(buf.samples(), spec.channels.count(), &mut self.mono);
        Ok(())
    }

    /// The mono samples at the file's own rate.
    pub fn finish(self) -> Result<RawAudio, DecodeError> {
        let rate = self.rate.ok_or(DecodeError::NoSamples)?;
        if rate == 0 {
            return Err(DecodeError::ZeroRate);
        }
        Ok(RawAudio {
            mono: self.mono,
            rate,
            channels: self.channels,
            skipped_packets: self.skipped,
            declared_frames: self.declared_frames,
        })
    }
}
