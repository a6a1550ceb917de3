//! What the person sees of the microphone: the state and messages, the level meter, the bars
//! (one per label, in the manifest's order), the scrolling mel spectrogram and the strip of
//! recent tops. Drawing only: the numbers come from the engine.

use wasm_bindgen::JsCast;
use web_sys::{
    CanvasRenderingContext2d, Element, HtmlButtonElement, HtmlCanvasElement, HtmlElement, ImageData,
};

use crate::live::History;
use crate::palette::{label_colour, viridis_lut};
use crate::web::dom::{self, by_id, set_hidden, set_text};
use crate::web::render::{self, percent};

/// Columns of the scrolling mel spectrogram (hop 512 at 22 050 Hz: ~43 per second, ~8 s).
const MEL_COLUMNS: usize = 344;
/// Frames at the end of a window whose STFT frame reaches past it (n_fft / 2 / hop).
const MEL_EDGE_FRAMES: usize = 2;
/// The mel spectrogram's hop, samples at 22 050 Hz.
const MEL_HOP: u64 = 512;

/// `#live[data-live]` and the button.
pub fn set_state(state: &str) {
    by_id::<Element>("live")
        .set_attribute("data-live", state)
        .ok();
    let on = !matches!(state, "off" | "error" | "starting");
    let button: HtmlButtonElement = by_id("mic-toggle");
    button
        .set_attribute("aria-pressed", if on { "true" } else { "false" })
        .ok();
    button.set_text_content(Some(if on {
        "Stop listening"
    } else {
        "Listen with the microphone"
    }));
    button.set_disabled(state == "starting");
}

pub fn status(text: &str) {
    set_text("live-status", text);
}

pub fn error(text: &str) {
    dom::show_message("live-message", text, "error");
}

pub fn info(text: &str) {
    dom::show_message("live-message", text, "info");
}

pub fn clear_message() {
    set_hidden("live-message", true);
}

/// Clears a passing error (one window failed) once a window went through.
pub fn clear_error() {
    let message: HtmlElement = by_id("live-message");
    if !message.hidden() && message.class_name().contains("error") {
        clear_message();
    }
}

pub fn set_json(v: &serde_json::Value) {
    set_text("live-result", &v.to_string());
}

pub fn meter(fraction: f32, peak: f32, db: f32) {
    let fill: HtmlElement = by_id("level-fill");
    fill.style()
        .set_property("width", &format!("{:.1}%", 100.0 * fraction))
        .ok();
    fill.class_list()
        .toggle_with_force("clip", peak > 0.99)
        .ok();
    set_text(
        "level-text",
        &if db <= -100.0 {
            "silence".to_string()
        } else {
            format!("{db:.0} dBFS")
        },
    );
}

/// The shown genre and its smoothed probability.
pub fn top(label: &str, p: f32) {
    set_text("live-top", label);
    by_id::<Element>("live-top")
        .set_attribute("data-label", label)
        .ok();
    set_text("live-prob", &percent(p));
}

/// Empties the view for `labels`: bars, top, rate line, mel picture.
pub fn reset(labels: &[String], mel: &mut MelView) {
    bars(labels);
    set_text("live-top", "");
    set_text("live-prob", "");
    set_text("live-rate", "");
    mel.clear();
}

/// One bar per label, in the manifest's order (a live display that reorders itself flickers).
pub fn bars(labels: &[String]) {
    let container: Element = by_id("live-bars");
    dom::clear(&container);
    for (i, label) in labels.iter().enumerate() {
        let row = dom::el("div", "bar-row", None);
        row.set_attribute("data-label", label).ok();
        let name = dom::el("span", "bar-name", Some(label));
        let track = dom::el("span", "bar-track", None);
        let fill = dom::el("span", "bar-fill", None);
        fill.style().set_property("width", "0%").ok();
        fill.style()
            .set_property("background", &label_colour(i, labels.len()))
            .ok();
        track.append_child(&fill).ok();
        row.append_child(&name).ok();
        row.append_child(&track).ok();
        row.append_child(&dom::el("span", "bar-value", Some("–")))
            .ok();
        container.append_child(&row).ok();
    }
}

pub fn update_bars(probs: &[f32], top: usize) {
    let rows = by_id::<Element>("live-bars").children();
    let n = probs.len().min(rows.length() as usize);
    for (i, &p) in probs.iter().enumerate().take(n) {
        let Some(row) = rows.item(i as u32) else {
            continue;
        };
        row.set_class_name(if i == top { "bar-row top" } else { "bar-row" });
        let cells = row.children();
        if let Some(fill) = cells.item(1).and_then(|t| t.first_element_child()) {
            fill.unchecked_ref::<HtmlElement>()
                .style()
                .set_property("width", &format!("{:.2}%", 100.0 * p))
                .ok();
        }
        if let Some(v) = cells.item(2) {
            v.set_text_content(Some(&percent(p)));
        }
    }
}

fn ctx2d(c: &HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
    c.get_context("2d")
        .ok()
        .flatten()
        .and_then(|x| x.dyn_into().ok())
}

/// The scrolling mel spectrogram: its pixels and the slowly following peak it is drawn under.
pub struct MelView {
    rgba: Vec<u8>,
    /// The followed peak, and whether the image is PCEN (else dB).
    peak: f32,
    pcen: bool,
    /// Samples heard up to the last column drawn.
    drawn: u64,
}

impl MelView {
    pub fn new() -> Self {
        Self {
            rgba: vec![0; MEL_COLUMNS * 128 * 4],
            peak: f32::NAN,
            pcen: false,
            drawn: 0,
        }
    }

    pub fn clear(&mut self) {
        self.rgba.fill(0);
        self.drawn = 0;
        let c: HtmlCanvasElement = by_id("live-mel");
        c.set_width(MEL_COLUMNS as u32);
        c.set_height(128);
        if let Some(ctx) = ctx2d(&c) {
            ctx.clear_rect(0.0, 0.0, MEL_COLUMNS as f64, 128.0);
        }
    }

    /// Scrolls by the frames heard since the last update (`heard`: samples so far) and paints
    /// the newest columns of this window's mel spectrogram (`bands × frames`) under the peak
    /// (dB: the top 80 dB; `pcen`: 0 to the peak; see [`render::mel_unit`]).
    pub fn draw(&mut self, mel: &[f32], frames: usize, pcen: bool, heard: u64) {
        if frames == 0 {
            return;
        }
        let bands = mel.len() / frames;
        let new = if self.drawn == 0 || heard < self.drawn {
            self.drawn = heard;
            frames
        } else {
            let n = ((heard - self.drawn) / MEL_HOP) as usize;
            self.drawn += n as u64 * MEL_HOP;
            n
        };
        let new = new
            .min(frames.saturating_sub(1 + MEL_EDGE_FRAMES))
            .min(MEL_COLUMNS);
        if new == 0 {
            return;
        }
        let max = mel.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        if self.pcen != pcen {
            // another model, with the other scale: start the peak afresh
            (self.peak, self.pcen) = (f32::NAN, pcen);
        }
        // the peak falls by 3 dB (PCEN: 10 %) per update when the sound gets quieter
        let fallen = if pcen {
            self.peak * 0.9
        } else {
            self.peak - 3.0
        };
        self.peak = if self.peak.is_finite() {
            max.max(fallen)
        } else {
            max
        };
        let lut = viridis_lut();
        let w = MEL_COLUMNS;
        let h = bands.min(128);
        for y in 0..h {
            let row = &mut self.rgba[y * w * 4..(y + 1) * w * 4];
            row.copy_within(new * 4.., 0);
            let band = h - 1 - y;
            // the last frames reach past the window's end (padded): draw those just before them
            for k in 0..new {
                let t = frames - 1 - MEL_EDGE_FRAMES - new + k;
                let u = render::mel_unit(mel[band * frames + t], self.peak, pcen);
                let c = lut[(u * 255.0).round() as usize];
                let o = (w - new + k) * 4;
                row[o..o + 4].copy_from_slice(&[c[0], c[1], c[2], 255]);
            }
        }
        let c: HtmlCanvasElement = by_id("live-mel");
        if let (Some(ctx), Ok(img)) = (
            ctx2d(&c),
            ImageData::new_with_u8_clamped_array_and_sh(
                wasm_bindgen::Clamped(&self.rgba),
                w as u32,
                h as u32,
            ),
        ) {
            ctx.put_image_data(&img, 0.0, 0.0).ok();
        }
    }
}

/// The strip of recent tops (one column per update, newest at the right) and its legend.
pub fn history(history: &History, labels: &[String]) {
    let c: HtmlCanvasElement = by_id("live-history");
    let cap = history.capacity();
    if c.width() != cap as u32 {
        c.set_width(cap as u32);
        c.set_height(1);
    }
    let Some(ctx) = ctx2d(&c) else { return };
    ctx.clear_rect(0.0, 0.0, cap as f64, 1.0);
    let n = history.len();
    let k = labels.len().max(1);
    for (i, &(_, top)) in history.iter().enumerate() {
        ctx.set_fill_style_str(&label_colour(top, k));
        ctx.fill_rect((cap - n + i) as f64, 0.0, 1.0, 1.0);
    }
    let seconds = match (history.iter().next(), history.iter().last()) {
        (Some(a), Some(b)) => (b.0 - a.0) / 1000.0,
        _ => 0.0,
    };
    set_text("live-history-span", &format!("last {seconds:.0} s"));
    let legend: Element = by_id("live-legend");
    if legend.child_element_count() as usize != labels.len() {
        dom::clear(&legend);
        for (i, label) in labels.iter().enumerate() {
            let item = dom::el("span", "legend-item", None);
            let swatch = dom::el("span", "swatch", None);
            swatch
                .style()
                .set_property("background", &label_colour(i, k))
                .ok();
            item.append_child(&swatch).ok();
            item.append_child(&dom::el("span", "", Some(label))).ok();
            legend.append_child(&item).ok();
        }
    }
}
