//! The smaller subcommands: evaluate, classify, synth.

use anyhow::{Context, Result, bail};
use std::path::PathBuf;

use genre::inference::{BATCH, Classifier, argmax};
use genre::model::musicnn::top_tags;

use crate::backend::{BackendChoice, device};
use crate::dataset::Dataset;
use crate::run::{TrainArgs, load_tracks, make_split};
use genre::inference::metrics::metrics;

#[derive(clap::Args, Debug)]
pub struct EvaluateArgs {
    #[arg(long, default_value = "web/model/model.genre")]
    pub model: PathBuf,
    #[arg(long, env = "GTZAN_DIR")]
    pub data: Option<PathBuf>,
    /// train, valid or test (of the split the flags below make, as in training).
    #[arg(long, default_value = "test")]
    pub split: String,
    #[arg(long, default_value = "filtered")]
    pub split_mode: String,
    #[arg(long)]
    pub split_dir: Option<PathBuf>,
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    #[arg(long, value_enum, default_value = "flex")]
    pub backend: BackendChoice,
}

pub fn evaluate(args: &EvaluateArgs) -> Result<()> {
    let bytes = std::fs::read(&args.model)
        .with_context(|| format!("cannot read the model {}", args.model.display()))?;
    let (device, _) = device(args.backend)?;
    let clf = Classifier::from_bytes(&bytes, &device)
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.model.display()))?;
    let mut targs = <TrainArgs as clap::FromArgMatches>::from_arg_matches(
        &<TrainArgs as clap::Args>::augment_args(clap::Command::new("x")).get_matches_from(["x"]),
    )?;
    targs.data = args.data.clone();
    targs.split = args.split_mode.clone();
    targs.split_dir = args.split_dir.clone();
    targs.seed = args.seed;
    let ds = Dataset::scan(&targs.data_dir()?)?;
    if ds.labels != clf.manifest.labels {
        bail!(
            "the model's labels {:?} differ from the folder's {:?}",
            clf.manifest.labels,
            ds.labels
        );
    }
    let split = make_split(&ds, &targs)?;
    let idx = match args.split.as_str() {
        "train" => &split.train,
        "valid" => &split.valid,
        "test" => &split.test,
        o => bail!("unknown --split {o:?} (train, valid, test)"),
    };
    if idx.is_empty() {
        bail!(
            "the {} split of {} holds no clip",
            args.split,
            ds.root.display()
        );
    }
    let tracks: Vec<_> = idx.iter().map(|&i| &ds.tracks[i]).collect();
    let loaded = load_tracks(&targs.cache(), &tracks, true);
    let mut clf = clf;
    // the song pipeline the page runs, clip by clip; the metrics read the segments at temperature 1
    // (their mean has the song's label on top whatever the calibration: the figures are the page's
    // answers, and the segment loss is comparable with training's)
    let per: Vec<(usize, Vec<f32>)> = loaded
        .into_iter()
        .map(|(t, s)| {
            let song = clf.classify_song(s, BATCH);
            (t.label, song.finished_uncalibrated_rows())
        })
        .collect();
    let m = metrics(&args.split, clf.labels(), &per);
    println!("{}", serde_json::to_string(&m)?);
    Ok(())
}

#[derive(clap::Args, Debug)]
pub struct ClassifyArgs {
    /// Audio files (wav, au, ogg, mp3, flac).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    #[arg(long, default_value = "web/model/model.genre")]
    pub model: PathBuf,
    /// One JSON object per file, per line.
    #[arg(long)]
    pub json: bool,
    #[arg(long, value_enum, default_value = "flex")]
    pub backend: BackendChoice,
}

pub fn classify(args: &ClassifyArgs) -> Result<()> {
    let bytes = std::fs::read(&args.model)
        .with_context(|| format!("cannot read the model {}", args.model.display()))?;
    let (device, _) = device(args.backend)?;
    let mut clf = Classifier::from_bytes(&bytes, &device)
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.model.display()))?;
    let k = clf.labels().len();
    let mut failed = 0;
    for file in &args.files {
        let decoded = match crate::decode::load_audio_detailed(file) {
            Ok(d) => d,
            Err(e) => {
                eprintln!("error: {e:#}");
                failed += 1;
                continue;
            }
        };
        let (source_rate, channels) = (decoded.source_rate, decoded.source_channels);
        let samples = decoded.samples;
        let seg = clf.manifest.features.segment_samples;
        let short = samples.len() < seg;
        // the song pipeline the page runs
        let song = clf.classify_song(samples, BATCH);
        let probs = song.finished_rows();
        let mean = song.probabilities.clone();
        let top = argmax(&mean);
        if args.json {
            let segs: Vec<&str> = probs
                .chunks(k)
                .map(|r| clf.labels()[argmax(r)].as_str())
                .collect();
            let tags = song.tags.as_ref().map(|t| top_tags(t, 5));
            println!(
                "{}",
                serde_json::json!({
                    "file": file.display().to_string(),
                    "top": clf.labels()[top],
                    "labels": clf.labels(),
                    "probabilities": mean,
                    "segments": segs,
                    "segment_probabilities": probs.chunks(k).collect::<Vec<_>>(),
                    "tags": tags,
                    "short": short,
                    "source_rate": source_rate,
                    "channels": channels,
                })
            );
        } else {
            let mut order: Vec<usize> = (0..k).collect();
            order.sort_by(|&a, &b| mean[b].total_cmp(&mean[a]));
            let shown: Vec<String> = order
                .iter()
                .take(3)
                .map(|&i| format!("{} {:.1}%", clf.labels()[i], 100.0 * mean[i]))
                .collect();
            let tags = song
                .tags
                .as_ref()
                .map(|t| {
                    let names: Vec<String> = top_tags(t, 3)
                        .into_iter()
                        .map(|(n, p)| format!("{n} {:.0}%", 100.0 * p))
                        .collect();
                    format!("; tags: {}", names.join(", "))
                })
                .unwrap_or_default();
            println!(
                "{}: {} ({} segments; {}{tags})",
                file.display(),
                clf.labels()[top],
                song.total(),
                shown.join(", ")
            );
        }
    }
    if failed > 0 {
        bail!(
            "{failed} of {} files could not be classified",
            args.files.len()
        );
    }
    Ok(())
}

#[derive(clap::Args, Debug)]
pub struct SynthArgs {
    #[arg(long)]
    pub out: PathBuf,
    #[arg(long, default_value_t = 10)]
    pub classes: usize,
    #[arg(long, default_value_t = 20)]
    pub per_class: usize,
    #[arg(long, default_value_t = 6.0)]
    pub seconds: f32,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

pub fn synth(args: &SynthArgs) -> Result<()> {
    if args.classes < 2 || args.classes > crate::synth::CLASSES.len() {
        bail!(
            "--classes must be between 2 and {}",
            crate::synth::CLASSES.len()
        );
    }
    crate::synth::write_set(
        &args.out,
        args.classes,
        args.per_class,
        args.seconds,
        args.seed,
    )?;
    println!(
        "wrote {} × {} generated clips of {} s to {}",
        args.classes,
        args.per_class,
        args.seconds,
        args.out.display()
    );
    Ok(())
}
