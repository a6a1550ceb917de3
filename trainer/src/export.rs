//! Writing a run's results: the model file the page loads (manifest + weights), a readable
//! copy of the manifest, the report (JSON, text) and its pictures.

use anyhow::{Context, Result};
use std::path::Path;

use genre::inference::{Manifest, encode_model_file};
use genre::model::GenreCnn;
use genre::model::musicnn::MusicnnWeights;

use crate::train::EpochStats;
use genre::inference::metrics::Metrics;

pub const MODEL_FILE: &str = "model.genre";
pub const MANIFEST_FILE: &str = "manifest.json";

pub fn write_run(
    out: &Path,
    manifest: &Manifest,
    model: GenreCnn,
    front_end: Option<&MusicnnWeights>,
    reports: &[Metrics],
    history: &[EpochStats],
) -> Result<()> {
    std::fs::create_dir_all(out)?;
    let bytes = encode_model_file(manifest, model, front_end)
        .map_err(|e| anyhow::anyhow!("cannot encode the model: {e}"))?;
    // the manifest as the file holds it (with the front end's packed length)
    let (manifest, _) = genre::inference::decode_model_file(&bytes)
        .map_err(|e| anyhow::anyhow!("the encoded model does not read back: {e}"))?;
    let manifest = &manifest;
    std::fs::write(out.join(MODEL_FILE), &bytes)?;
    std::fs::write(
        out.join(MANIFEST_FILE),
        serde_json::to_vec_pretty(manifest)?,
    )?;
    let summary = serde_json::json!({
        "manifest_summary": manifest.summary(),
        "labels": manifest.labels,
        "trained_on": manifest.trained_on,
        "scores": manifest.scores,
        "metrics": reports,
        "history": history,
        "model_bytes": bytes.len(),
    });
    std::fs::write(
        out.join("report.json"),
        serde_json::to_vec_pretty(&summary)?,
    )?;
    let text: String = reports.iter().map(|m| m.text() + "\n").collect();
    std::fs::write(
        out.join("report.txt"),
        format!("{}\n\n{text}", manifest.summary()),
    )?;
    // The pictures repeat figures that report.json already holds: a picture that cannot be
    // drawn is a warning, never a reason to lose the trained model before it is installed.
    for e in draw_pictures(out, manifest, reports, history) {
        eprintln!("warning: {e:#} (the same figures are in report.txt and report.json)");
    }
    Ok(())
}

/// Draws the loss and accuracy curves and each split's confusion matrix; returns what failed.
fn draw_pictures(
    out: &Path,
    manifest: &Manifest,
    reports: &[Metrics],
    history: &[EpochStats],
) -> Vec<anyhow::Error> {
    let xs = |f: fn(&EpochStats) -> f32| {
        history
            .iter()
            .map(|h| (h.epoch as f32, f(h)))
            .collect::<Vec<_>>()
    };
    let mut results = vec![
        crate::plots::line_chart_png(
            &out.join("loss.png"),
            "Loss",
            "epoch",
            "cross-entropy",
            &[
                ("train", xs(|h| h.train_loss)),
                ("valid (segments)", xs(|h| h.valid_loss)),
            ],
        ),
        crate::plots::line_chart_png(
            &out.join("accuracy.png"),
            "Accuracy",
            "epoch",
            "accuracy",
            &[
                ("train (segments)", xs(|h| h.train_accuracy)),
                ("valid segments", xs(|h| h.valid_segment_accuracy)),
                ("valid tracks", xs(|h| h.valid_track_accuracy)),
            ],
        ),
    ];
    for m in reports.iter().filter(|m| m.tracks > 0) {
        results.push(crate::plots::confusion_png(
            &out.join(format!("confusion-{}.png", m.split)),
            &manifest.labels,
            &m.confusion,
        ));
    }
    results.into_iter().filter_map(Result::err).collect()
}

/// Copies the run's model into the folder the page serves it from.
pub fn install(run: &Path, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for f in [MODEL_FILE, MANIFEST_FILE] {
        let tmp = dir.join(format!("{f}.tmp"));
        std::fs::copy(run.join(f), &tmp)?;
        std::fs::rename(&tmp, dir.join(f))?;
    }
    Ok(())
}
