//! Sun/NeXT `.au` (GTZAN's original format), which symphonia does not read: a big-endian header
//! (`.snd`, data offset, data size, encoding, rate, channels) followed by big-endian samples.

use super::{DecodeError, RawAudio, downmix_into};

/// Is `head` the start of a Sun `.au` file?
pub fn is_au(head: &[u8]) -> bool {
    head.starts_with(b".snd")
}

pub fn parse_au(bytes: &[u8]) -> Result<RawAudio, DecodeError> {
    let bad = |why: String| DecodeError::Au(why);
    if bytes.len() < 24 || !is_au(bytes) {
        return Err(bad(
            "not a valid Sun .au file (its header is shorter than 24 bytes)".into(),
        ));
    }
    let word = |i: usize| u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    let offset = word(4) as usize;
    let size = word(8);
    let encoding = word(12);
    let rate = word(16);
    let channels = word(20) as usize;
    if offset < 24 || offset > bytes.len() {
        return Err(bad(format!(
            "not a valid Sun .au file (its data offset {offset} lies outside the file)"
        )));
    }
    if rate == 0 {
        return Err(bad(
            "a Sun .au file that declares a sample rate of 0 Hz".into()
        ));
    }
    if channels == 0 || channels > 64 {
        return Err(bad(format!(
            "a Sun .au file that declares {channels} channels"
        )));
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
        other => {
            return Err(bad(format!(
                "a Sun .au file with encoding {other}, which is not supported \
                 (supported: 8/16/24/32-bit linear PCM, 32/64-bit float, mu-law, A-law)"
            )));
        }
    };
    // Drop a trailing partial frame.
    let whole = interleaved.len() / channels * channels;
    let mut mono = Vec::with_capacity(whole / channels);
    downmix_into(&interleaved[..whole], channels, &mut mono);
    Ok(RawAudio {
        declared_frames: (size != u32::MAX).then_some(mono.len() as u64),
        mono,
        rate,
        channels,
        skipped_packets: 0,
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
