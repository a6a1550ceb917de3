//! What the person sees of teaching: the labels with their songs (one `innerHTML`, escaped),
//! the state, progress and messages, and the held-out check (per-label recall and the confusion
//! matrix).

use web_sys::{Element, HtmlElement};

use crate::inference::metrics::Metrics;
use crate::web::dom::{self, by_id, set_hidden, set_text};
use crate::web::protocol::LessonSpec;
use crate::web::render::{escape, percent};

/// Audio the "Add songs" inputs accept.
const ACCEPT: &str = "audio/*,.mp3,.ogg,.oga,.opus,.wav,.flac,.m4a,.aac,.webm,.au";

/// `#teach[data-teach]`: `idle`, `embedding`, `teaching`, `taught`, `error`.
pub fn set_state(state: &str) {
    by_id::<Element>("teach")
        .set_attribute("data-teach", state)
        .ok();
    let busy = state == "embedding" || state == "teaching";
    by_id::<Element>("teach")
        .set_attribute("aria-busy", if busy { "true" } else { "false" })
        .ok();
}

pub fn status(text: &str) {
    set_text("teach-status", text);
}

pub fn error(text: &str) {
    dom::show_message("teach-message", text, "error");
}

pub fn info(text: &str) {
    dom::show_message("teach-message", text, "info");
}

pub fn clear_message() {
    set_hidden("teach-message", true);
}

/// `done / total`; `None` hides the bar.
pub fn progress(value: Option<(f64, f64)>) {
    dom::show_progress("teach-progress", value);
}

/// The labels, each with its songs, buttons and drop target.
pub fn labels(spec: &LessonSpec) {
    let mut html = String::new();
    for (i, label) in spec.labels.iter().enumerate() {
        let songs: Vec<(usize, &crate::web::protocol::SongSpec)> = spec
            .songs
            .iter()
            .enumerate()
            .filter(|(_, s)| s.label == i)
            .collect();
        let segments: usize = songs.iter().map(|(_, s)| s.segments).sum();
        let name = escape(label);
        html += &format!(
            r#"<li class="teach-label" data-label-index="{i}" data-label="{name}">
<div class="teach-label-head"><input class="teach-rename" data-rename="{i}" value="{name}" aria-label="Name of label {n}" maxlength="40">
<span class="small teach-count">{count} song{s} · {segments} segment{ss}</span></div>
<div class="teach-label-actions"><label class="button small-button">Add songs to “{name}”<input type="file" multiple accept="{ACCEPT}" data-add="{i}"></label>
<label class="linklike">Add a folder<input type="file" webkitdirectory data-add="{i}"></label>
<button type="button" class="linklike" data-record="{i}">Record 15 s from the microphone</button>
<button type="button" class="linklike" data-remove-label="{i}">Remove label “{name}”</button></div>
<p class="small teach-drop-hint">or drop songs or folders here</p>
<ul class="teach-songs">"#,
            n = i + 1,
            count = songs.len(),
            s = if songs.len() == 1 { "" } else { "s" },
            ss = if segments == 1 { "" } else { "s" },
        );
        for (j, song) in songs {
            let song_name = escape(&song.name);
            html += &format!(
                r#"<li data-song="{song_name}">{song_name} <span class="small">({} segment{})</span> <button type="button" class="linklike" data-remove-song="{j}" aria-label="Remove {song_name}">Remove</button></li>"#,
                song.segments,
                if song.segments == 1 { "" } else { "s" }
            );
        }
        html += "</ul></li>";
    }
    by_id::<Element>("teach-labels").set_inner_html(&html);
    set_hidden("teach-empty", !spec.labels.is_empty());
}

/// The held-out check: the summary line, per-label recall and the confusion matrix.
pub fn result(labels: &[String], m: Option<&Metrics>, split: &str, warnings: &[String]) {
    let mut html = String::new();
    match m {
        Some(m) => {
            html += &format!(
                "<p>Checked on songs it was not taught with ({}): <strong>{}</strong> of songs right ({} of {}), balanced over the labels {}.</p>",
                escape(split),
                percent(m.track_accuracy.value as f32),
                (m.track_accuracy.value * m.tracks as f64).round(),
                m.tracks,
                percent(m.balanced_accuracy as f32)
            );
            html += r#"<table class="confusion"><caption>Held-out songs: true label (rows) → the model's answer (columns)</caption><tr><th scope="col">true ↓ / answer →</th>"#;
            for l in labels {
                html += &format!(r#"<th scope="col">{}</th>"#, escape(l));
            }
            html += r#"<th scope="col">recall</th></tr>"#;
            for (i, l) in labels.iter().enumerate() {
                html += &format!(r#"<tr><th scope="row">{}</th>"#, escape(l));
                for (j, c) in m.confusion[i].iter().enumerate() {
                    html += &format!(
                        r#"<td class="{}">{c}</td>"#,
                        if i == j { "diag" } else { "" }
                    );
                }
                let recall = m.per_label[i]
                    .recall
                    .map_or("–".to_string(), |r| percent(r as f32));
                html += &format!("<td>{recall}</td></tr>");
            }
            html += "</table>";
        }
        None => html += "<p>No held-out check was possible.</p>",
    }
    if !warnings.is_empty() {
        html += r#"<ul class="warnings">"#;
        for w in warnings {
            html += &format!("<li>{}</li>", escape(w));
        }
        html += "</ul>";
    }
    let r: HtmlElement = by_id("teach-result");
    r.set_inner_html(&html);
    r.set_hidden(false);
}

pub fn hide_result() {
    set_hidden("teach-result", true);
}
