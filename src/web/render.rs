//! Drawing the result: probability bars, the segment timeline and its legend, and the feature
//! pictures of a segment (canvas, low band at the bottom, viridis).

use wasm_bindgen::Clamped;
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, Element, HtmlCanvasElement, HtmlElement, ImageData};

use super::dom::{self, by_id};
use crate::features::Features;
use crate::palette::{label_colour, viridis_lut};

/// One classified segment.
#[derive(Clone, Debug)]
pub struct SegmentResult {
    pub start_s: f64,
    pub end_s: f64,
    pub probabilities: Vec<f32>,
    pub top: usize,
    /// RMS below −60 dBFS.
    pub silent: bool,
}

pub fn percent(p: f32) -> String {
    let v = 100.0 * p;
    if v >= 9.95 || v == 0.0 {
        format!("{v:.0}%")
    } else {
        format!("{v:.1}%")
    }
}

/// Text safe inside HTML (a model file's labels are anyone's words).
pub(super) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

// Bars, legend and timeline are written as one `innerHTML` each: one call into the DOM instead of
// a dozen per element keeps every main-thread task short (a 20-minute song has 400 segments).

/// Bars for every label of the model, most probable first.
pub fn bars(labels: &[String], probs: &[f32]) {
    let mut order: Vec<usize> = (0..labels.len()).collect();
    order.sort_by(|&a, &b| probs[b].total_cmp(&probs[a]));
    let mut html = String::new();
    for (rank, &i) in order.iter().enumerate() {
        let label = escape(&labels[i]);
        html.push_str(&format!(
            r#"<div class="bar-row{top}" data-label="{label}"><span class="bar-name">{label}</span><span class="bar-track"><span class="bar-fill" style="width:{w:.2}%;background:{c}"></span></span><span class="bar-value">{v}</span></div>"#,
            top = if rank == 0 { " top" } else { "" },
            w = 100.0 * probs[i],
            c = label_colour(i, labels.len()),
            v = percent(probs[i]),
        ));
    }
    by_id::<Element>("bars").set_inner_html(&html);
}

/// The colour key of the timeline: every label of the model.
/// The pretrained network's own tags for the song (what it hears, beyond the model's labels), or
/// nothing for a model without the front end.
pub fn tags(tags: Option<&[(&'static str, f32)]>) {
    let el: HtmlElement = by_id("tags");
    match tags {
        Some(t) if !t.is_empty() => {
            let list: Vec<String> = t
                .iter()
                .map(|(n, p)| format!("{n} {}", percent(*p)))
                .collect();
            el.set_text_content(Some(&format!(
                "The pretrained network hears: {}",
                list.join(", ")
            )));
            el.set_hidden(false);
        }
        _ => el.set_hidden(true),
    }
}

pub fn legend(labels: &[String]) {
    let mut html = String::new();
    for (i, label) in labels.iter().enumerate() {
        html.push_str(&format!(
            r#"<span class="legend-item"><span class="swatch" style="background:{}"></span><span>{}</span></span>"#,
            label_colour(i, labels.len()),
            escape(label)
        ));
    }
    by_id::<Element>("legend").set_inner_html(&html);
}

/// The song as a row of segments, each coloured by its most probable label. Clicks are handled
/// by the page on `#timeline` (event delegation, `data-index`).
pub fn timeline(labels: &[String], segments: &[SegmentResult], duration_s: f64, selected: usize) {
    let span = duration_s.max(
        segments
            .last()
            .map(|s| s.end_s.min(duration_s.max(0.001)))
            .unwrap_or(0.0),
    );
    let mut html = String::with_capacity(segments.len() * 300);
    for (i, seg) in segments.iter().enumerate() {
        let class = match (i == selected, seg.silent) {
            (true, true) => "segment selected silent",
            (true, false) => "segment selected",
            (false, true) => "segment silent",
            (false, false) => "segment",
        };
        let label = escape(&labels[seg.top]);
        let title = format!(
            "{}–{} s: {label} {}{}",
            fmt_time(seg.start_s),
            fmt_time(seg.end_s.min(duration_s)),
            percent(seg.probabilities[seg.top]),
            if seg.silent { " (near-silent)" } else { "" }
        );
        let left = 100.0 * seg.start_s / span;
        let width = 100.0 * (seg.end_s.min(span) - seg.start_s) / span;
        html.push_str(&format!(
            r#"<button type="button" class="{class}" data-index="{i}" data-label="{label}" title="{title}" aria-label="{title}" style="left:{left:.4}%;width:{width:.4}%;background:{c}"></button>"#,
            c = label_colour(seg.top, labels.len()),
        ));
    }
    by_id::<Element>("timeline-segments").set_inner_html(&html);
    dom::set_text("timeline-start", "0:00");
    dom::set_text("timeline-end", &fmt_time(duration_s));
}

/// Marks segment `i` as the selected one.
pub fn select_in_timeline(i: usize) {
    // only the old and the new selection change: touching every segment's classes took ~50 ms
    // for a 5-minute song's 100 segments in Chromium
    let track: Element = by_id("timeline-segments");
    if let Ok(list) = track.query_selector_all(".selected") {
        for k in 0..list.length() {
            if let Some(old) = list.item(k).and_then(|n| n.dyn_into::<Element>().ok()) {
                old.class_list().remove_1("selected").ok();
            }
        }
    }
    if let Some(c) = track.children().item(i as u32) {
        c.class_list().add_1("selected").ok();
    }
}

/// Moves the play cursor to `fraction` (0..1) of the timeline.
pub fn cursor(fraction: f64) {
    let c: HtmlElement = by_id("timeline-cursor");
    let f = if fraction.is_finite() {
        fraction.clamp(0.0, 1.0)
    } else {
        0.0
    };
    c.style()
        .set_property("left", &format!("{:.3}%", 100.0 * f))
        .ok();
}

pub fn fmt_time(s: f64) -> String {
    let s = s.max(0.0);
    let whole = s.floor() as u64;
    let (m, sec) = (whole / 60, whole % 60);
    let tenths = ((s - whole as f64) * 10.0).floor() as u64;
    if m == 0 && s < 10.0 && tenths > 0 {
        format!("0:{sec:02}.{tenths}")
    } else {
        format!("{m}:{sec:02}")
    }
}

/// A mel image value on the picture's 0..1 scale under `peak` (the image's largest value, or
/// one that follows it): dB shows the top 80 dB; PCEN (no fixed range: 0 up to a few units)
/// shows 0 to the peak.
pub fn mel_unit(v: f32, peak: f32, pcen: bool) -> f32 {
    let u = if pcen {
        v / peak.max(1e-6)
    } else {
        (v - (peak - 80.0)) / 80.0
    };
    u.clamp(0.0, 1.0)
}

/// Draws the three feature pictures of one segment; `pcen`: the model's mel image is PCEN,
/// not dB (its manifest's `features.pcen`).
pub fn features(f: &Features, pcen: bool) {
    let frames = f.n_frames;
    let lut = viridis_lut();
    // chroma: already 0..1 (each frame scaled to its loudest pitch class)
    image("canvas-chroma", &f.chroma, frames, &lut, |_, v| v);
    let max = f.mel_db.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    image("canvas-mel", &f.mel_db, frames, &lut, |_, v| {
        mel_unit(v, max, pcen)
    });
    dom::set_text(
        "caption-mel",
        if pcen {
            "Mel spectrogram, PCEN: 0–11 kHz, low at the bottom, 0 to the segment's peak"
        } else {
            "Mel spectrogram: 0–11 kHz, low at the bottom, top 80 dB"
        },
    );
    // MFCC: each coefficient standardised over the segment (c0, the loudness, would drown the rest)
    let bands = f.mfcc.len() / frames.max(1);
    let stats: Vec<(f32, f32)> = (0..bands)
        .map(|b| {
            let row = &f.mfcc[b * frames..(b + 1) * frames];
            let mean = row.iter().sum::<f32>() / frames as f32;
            let var = row.iter().map(|x| (x - mean) * (x - mean)).sum::<f32>() / frames as f32;
            (mean, var.sqrt().max(1e-6))
        })
        .collect();
    image("canvas-mfcc", &f.mfcc, frames, &lut, |b, v| {
        let (m, s) = stats[b];
        ((v - m) / s + 2.5) / 5.0
    });
}

/// Paints a row-major `[bands × frames]` image, band 0 at the bottom, `to_unit(band, value)`
/// mapping a value to 0..1.
fn image(
    id: &str,
    data: &[f32],
    frames: usize,
    lut: &[[u8; 3]],
    to_unit: impl Fn(usize, f32) -> f32,
) {
    if frames == 0 {
        return;
    }
    let bands = data.len() / frames;
    let canvas: HtmlCanvasElement = by_id(id);
    canvas.set_width(frames as u32);
    canvas.set_height(bands as u32);
    let Some(ctx) = canvas
        .get_context("2d")
        .ok()
        .flatten()
        .and_then(|c| c.dyn_into::<CanvasRenderingContext2d>().ok())
    else {
        return;
    };
    let mut rgba = vec![255u8; frames * bands * 4];
    for b in 0..bands {
        let y = bands - 1 - b;
        for t in 0..frames {
            let u = to_unit(b, data[b * frames + t]);
            let u = if u.is_finite() {
                u.clamp(0.0, 1.0)
            } else {
                0.0
            };
            let c = lut[(u * 255.0).round() as usize];
            let o = (y * frames + t) * 4;
            rgba[o..o + 3].copy_from_slice(&c);
        }
    }
    if let Ok(img) =
        ImageData::new_with_u8_clamped_array_and_sh(Clamped(&rgba), frames as u32, bands as u32)
    {
        ctx.put_image_data(&img, 0.0, 0.0).ok();
    }
}
