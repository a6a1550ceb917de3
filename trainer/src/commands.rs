//! The smaller subcommands: cross-validation, evaluate, classify, synth.

use anyhow::{Context, Result, bail};
use std::path::PathBuf;

use genre::features::Features;
use genre::inference::{Classifier, argmax, mean_probabilities, softmax_rows};

use crate::backend::{BackendChoice, device};
use crate::dataset::Dataset;
use crate::report::metrics;
use crate::run::{TrainArgs, clip_metrics, eval_clips, load_tracks, make_split};
use crate::train::{TrainClip, train};

#[derive(clap::Args, Debug)]
pub struct CvArgs {
    #[command(flatten)]
    pub train: TrainArgs,
    #[arg(long, default_value_t = 5)]
    pub folds: usize,
    /// Fixed number of epochs per fold (no early stopping: the held-out fold must not steer
    /// training). Default: the training default.
    #[arg(long)]
    pub fold_epochs: Option<usize>,
    /// Also write the pooled figures into the manifest of the exported model in this folder
    /// (model.genre and manifest.json, e.g. web/model); its weights are left as they are.
    #[arg(long)]
    pub record_in: Option<PathBuf>,
    /// With --record-in: record the pooled figures of an earlier cross-validation (the cv.json
    /// it wrote) instead of running one (e.g. into a model trained after that long run).
    #[arg(long, requires = "record_in")]
    pub from: Option<PathBuf>,
}

pub fn cv(args: &CvArgs) -> Result<()> {
    if let (Some(report), Some(dir)) = (&args.from, &args.record_in) {
        #[derive(serde::Deserialize)]
        struct CvReport {
            pooled: crate::report::Metrics,
        }
        let r: CvReport = serde_json::from_slice(
            &std::fs::read(report).with_context(|| format!("cannot read {}", report.display()))?,
        )
        .with_context(|| format!("{} is not a cv.json of `trainer cv`", report.display()))?;
        let labels: Vec<String> = r.pooled.per_label.iter().map(|l| l.label.clone()).collect();
        record_cv(dir, &r.pooled, &labels)?;
        println!(
            "cross-validation figures of {} recorded in {}",
            report.display(),
            dir.display()
        );
        return Ok(());
    }
    let t = &args.train;
    let root = t.data_dir()?;
    let ds = Dataset::scan(&root)?;
    let opts = {
        let mut o = t.options(ds.labels.len())?;
        o.epochs = args.fold_epochs.unwrap_or(o.epochs);
        o
    };
    let (device, name) = device(t.backend)?;
    let cache = t.cache();
    let all: Vec<&crate::dataset::Track> = ds.tracks.iter().collect();
    let loaded = load_tracks(&cache, &all, t.quiet);
    let evals = eval_clips(&cache, &loaded)?;
    let labels: Vec<usize> = loaded.iter().map(|(tr, _)| tr.label).collect();
    let folds = crate::split::k_fold(&labels, ds.labels.len(), args.folds, t.seed);
    eprintln!(
        "{}-fold cross-validation over {} clips on {name}, {} epochs per fold",
        args.folds,
        loaded.len(),
        opts.epochs
    );
    let mut pooled: Vec<(usize, Vec<f32>)> = Vec::new();
    let mut per_fold = Vec::new();
    for f in 0..args.folds {
        let train_idx: Vec<usize> = (0..loaded.len()).filter(|&i| folds[i] != f).collect();
        let test_idx: Vec<usize> = (0..loaded.len()).filter(|&i| folds[i] == f).collect();
        let clips: Vec<TrainClip> = train_idx
            .iter()
            .map(|&i| TrainClip {
                label: labels[i],
                samples: loaded[i].1.clone(),
            })
            .collect();
        let fixed: Vec<&Features> = train_idx
            .iter()
            .flat_map(|&i| evals[i].segments.iter())
            .collect();
        let out = train(
            &opts,
            ds.labels.len(),
            &clips,
            &fixed,
            &[],
            &device,
            &t.out.join(format!("cv-fold{f}")),
            false,
            t.quiet,
        )?;
        let held: Vec<crate::train::EvalClip> = test_idx
            .iter()
            .map(|&i| crate::train::EvalClip {
                label: labels[i],
                segments: evals[i].segments.clone(),
            })
            .collect();
        let m = clip_metrics(
            &format!("fold {}", f + 1),
            &out.model,
            &held,
            &out.normalisation,
            &device,
            &ds.labels,
        );
        eprintln!("{}", m.text());
        for c in &held {
            let segs: Vec<&Features> = c.segments.iter().collect();
            pooled.push((
                c.label,
                crate::train::predict(&out.model, &segs, &out.normalisation, &device, 64),
            ));
        }
        per_fold.push(m);
    }
    let m = metrics(
        &format!("{}-fold cross-validation (pooled)", args.folds),
        &ds.labels,
        &pooled,
    );
    println!("{}", m.text());
    std::fs::create_dir_all(&t.out)?;
    std::fs::write(
        t.out.join("cv.json"),
        serde_json::to_vec_pretty(
            &serde_json::json!({ "pooled": m, "folds": per_fold, "options": opts }),
        )?,
    )?;
    println!("written {}", t.out.join("cv.json").display());
    if let Some(dir) = &args.record_in {
        record_cv(dir, &m, &ds.labels)?;
        println!("cross-validation figures recorded in {}", dir.display());
    }
    Ok(())
}

/// Puts pooled cross-validation figures into an exported model's manifest.
fn record_cv(dir: &std::path::Path, m: &crate::report::Metrics, labels: &[String]) -> Result<()> {
    let path = dir.join(crate::export::MODEL_FILE);
    let bytes = std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let (mut manifest, _) = genre::inference::decode_model_file(&bytes)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    if manifest.labels != labels {
        bail!(
            "{}: its labels {:?} are not the cross-validated data's {:?}",
            path.display(),
            manifest.labels,
            labels
        );
    }
    manifest.scores.cv_balanced_accuracy = Some(m.balanced_accuracy);
    manifest.scores.cv_track_accuracy = Some(m.track_accuracy.value);
    let out = genre::inference::replace_manifest(&bytes, &manifest)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let tmp = dir.join("model.genre.tmp");
    std::fs::write(&tmp, &out)?;
    std::fs::rename(&tmp, &path)?;
    std::fs::write(
        dir.join(crate::export::MANIFEST_FILE),
        serde_json::to_vec_pretty(&manifest)?,
    )?;
    Ok(())
}

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
    let mut per = Vec::new();
    let k = clf.labels().len();
    let mut fx = genre::features::FeatureExtractor::new(clf.manifest.features.clone());
    for (t, s) in &loaded {
        let segs = targs.cache().segment_features(t, s, &mut fx)?;
        let refs: Vec<&Features> = segs.iter().collect();
        let logits: Vec<f32> = refs.chunks(64).flat_map(|c| clf.logits_sync(c)).collect();
        per.push((t.label, softmax_rows(&logits, k)));
    }
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
        let samples = match crate::decode::load_audio(file) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("error: {e:#}");
                failed += 1;
                continue;
            }
        };
        let seg = clf.manifest.features.segment_samples;
        let starts = clf.segment_starts(samples.len(), seg);
        let feats: Vec<Features> = starts
            .iter()
            .map(|&s| clf.segment_features(&samples, s))
            .collect();
        let refs: Vec<&Features> = feats.iter().collect();
        let logits: Vec<f32> = refs.chunks(32).flat_map(|c| clf.logits_sync(c)).collect();
        let probs = softmax_rows(&logits, k);
        let mean = mean_probabilities(&probs, k);
        let top = argmax(&mean);
        if args.json {
            let segs: Vec<&str> = probs
                .chunks(k)
                .map(|r| clf.labels()[argmax(r)].as_str())
                .collect();
            println!(
                "{}",
                serde_json::json!({
                    "file": file.display().to_string(),
                    "top": clf.labels()[top],
                    "labels": clf.labels(),
                    "probabilities": mean,
                    "segments": segs,
                    "short": samples.len() < seg,
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
            println!(
                "{}: {} ({} segments; {})",
                file.display(),
                clf.labels()[top],
                starts.len(),
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
