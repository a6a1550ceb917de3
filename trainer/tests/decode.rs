//! End-to-end checks of `trainer features FILE --out DIR` through the built binary: decoding a real
//! GTZAN clip, cutting it into segments, writing the .npy arrays, the pictures and segments.json;
//! and errors that name the file for what is not audio.

#[path = "../src/npy.rs"]
#[allow(dead_code)]
mod npy;
#[path = "../../tests/support/paths.rs"]
mod paths;

use std::path::Path;
use std::process::Command;

fn trainer() -> Command {
    Command::new(env!("CARGO_BIN_EXE_trainer"))
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in bytes {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Checks that `path` is a well-formed PNG (signature, every chunk's CRC, IHDR first, IDAT data,
/// IEND last) and returns its width and height.
fn check_png(path: &Path) -> (u32, u32) {
    let b = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(
        &b[..8],
        b"\x89PNG\r\n\x1a\n",
        "{}: not a PNG",
        path.display()
    );
    let mut pos = 8;
    let mut chunks = Vec::new();
    let mut idat = 0usize;
    while pos + 12 <= b.len() {
        let len = u32::from_be_bytes(b[pos..pos + 4].try_into().unwrap()) as usize;
        let kind = &b[pos + 4..pos + 8];
        assert!(
            pos + 12 + len <= b.len(),
            "{}: truncated chunk",
            path.display()
        );
        let crc = u32::from_be_bytes(b[pos + 8 + len..pos + 12 + len].try_into().unwrap());
        assert_eq!(
            crc32(&b[pos + 4..pos + 8 + len]),
            crc,
            "{}: bad CRC",
            path.display()
        );
        if kind == b"IDAT" {
            idat += len;
        }
        chunks.push(String::from_utf8_lossy(kind).into_owned());
        pos += 12 + len;
    }
    assert_eq!(pos, b.len(), "{}: trailing bytes", path.display());
    assert_eq!(chunks.first().map(String::as_str), Some("IHDR"));
    assert_eq!(chunks.last().map(String::as_str), Some("IEND"));
    assert!(
        idat > 10_000,
        "{}: only {idat} bytes of image data",
        path.display()
    );
    let w = u32::from_be_bytes(b[16..20].try_into().unwrap());
    let h = u32::from_be_bytes(b[20..24].try_into().unwrap());
    (w, h)
}

#[test]
fn features_of_a_gtzan_clip() {
    let Some(dir) = paths::shared_data_if_present("gtzan/blues") else {
        return;
    };
    // blues.00000.ogg where the folder is complete.
    let Some(clip) = paths::first_file(&dir, "ogg") else {
        eprintln!("note: no clip under {}; skipping", dir.display());
        return;
    };
    let out = tempfile::tempdir().unwrap();
    let result = trainer()
        .arg("features")
        .arg(&clip)
        .arg("--out")
        .arg(out.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&result.stdout);
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(
        result.status.success(),
        "stdout: {stdout}\nstderr: {stderr}"
    );
    assert_eq!(stdout.lines().count(), 1, "a one-line summary: {stdout}");
    assert!(stdout.contains("10 segment"), "{stdout}");

    let index: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("segments.json")).unwrap())
            .unwrap();
    let segments = index["segments"].as_array().unwrap();
    assert_eq!(segments.len(), 10);
    for (i, seg) in segments.iter().enumerate() {
        let start = seg["start_seconds"].as_f64().unwrap();
        assert!(
            (start - 3.0 * i as f64).abs() < 1e-9,
            "segment {i} starts at {start}"
        );
        for (key, rows) in [("chroma_npy", 12), ("mel_db_npy", 128), ("mfcc_npy", 20)] {
            let name = seg[key].as_str().unwrap();
            assert!(name.starts_with(&format!("seg{i:03}_")), "{name}");
            let (shape, values) = npy::read_npy(&out.path().join(name)).unwrap();
            assert_eq!(shape, vec![rows, 130], "{name}");
            assert!(
                values.iter().all(|v| v.is_finite()),
                "{name} has NaN or inf"
            );
            let (lo, hi) = values
                .iter()
                .fold((f32::MAX, f32::MIN), |(a, b), &v| (a.min(v), b.max(v)));
            assert!(hi > lo, "{name} is constant");
            match key {
                "chroma_npy" => assert!(lo >= 0.0 && (hi - 1.0).abs() < 1e-5, "{name}: {lo}..{hi}"),
                "mel_db_npy" => {
                    assert!(hi - lo <= 80.0 + 1e-3, "{name}: {lo}..{hi} exceeds top_db")
                }
                _ => {}
            }
        }
        for key in ["chroma_png", "mel_png", "mfcc_png"] {
            let name = seg[key].as_str().unwrap();
            let (w, h) = check_png(&out.path().join(name));
            assert!(w >= 600 && h >= 300, "{name}: {w}×{h}");
        }
    }
}

#[test]
fn a_short_clip_gives_one_padded_segment_and_overlap_gives_more() {
    let Some(clips) = paths::shared_data_if_present("clips") else {
        return;
    };
    let clip = clips.join("admiralbob77_-_Choice_-_Drum-bass.ogg");
    if !clip.exists() {
        eprintln!("note: {} is absent; skipping", clip.display());
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let result = trainer()
        .args(["features", "--hop-seconds", "1.5", "--out"])
        .arg(out.path())
        .arg(&clip)
        .output()
        .unwrap();
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let index: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("segments.json")).unwrap())
            .unwrap();
    // About 25.5 s with 3-s segments every 1.5 s: floor((25.5 - 3) / 1.5) + 1 = 16.
    let n = index["segments"].as_array().unwrap().len();
    assert!((15..=17).contains(&n), "{n} segments");
    assert!((index["segments"][1]["start_seconds"].as_f64().unwrap() - 1.5).abs() < 1e-9);
}

#[test]
fn a_text_file_named_wav_fails_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("not_music.wav");
    std::fs::write(&fake, "just some words, no sound at all\n").unwrap();
    let result = trainer()
        .arg("features")
        .arg(&fake)
        .arg("--out")
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert!(!result.status.success());
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(
        stderr.contains("not_music.wav") && stderr.contains("not an audio file"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}
