//! `trainer cv`: stratified k-fold cross-validation by clip (no clip in two folds), or by runs of
//! consecutive clips (`--grouping blocks`, which keeps most of a GTZAN artist's clips in one fold).
//!
//! Each fold lives in `OUT/cv-foldK/`: its plan (which clips it trains on and holds out, with the
//! options) is written before it trains, its checkpoints while it trains, and its held-out
//! predictions (`result.json`) as soon as it is done. So a long run that is interrupted loses at
//! most the epoch in progress: `--resume` keeps the finished folds and continues the unfinished
//! one. `--jobs N` trains N folds at once, each in a child process (`--fold K`); the pooled
//! figures are computed from the folds' saved predictions either way, so they do not depend on
//! how the folds were run.

use anyhow::{Context, Result, bail};
use burn::tensor::Device;
use serde::{Deserialize, Serialize};
use std::io::BufRead;
use std::path::{Path, PathBuf};

use genre::features::Features;
use genre::inference::Calibration;

use crate::backend::device;
use crate::clips::{EvalClip, TrainClip};
use crate::dataset::{Dataset, Track};
use crate::options::TrainOptions;
use crate::run::{TrainArgs, eval_clips, load_tracks};
use crate::split::Grouping;
use crate::train::train;
use crate::validate::clip_probabilities;
use genre::inference::metrics::{Metrics, metrics};

#[derive(clap::Args, Debug)]
pub struct CvArgs {
    #[command(flatten)]
    pub train: TrainArgs,
    #[arg(long, default_value_t = 5)]
    pub folds: usize,
    /// How clips are dealt to the folds.
    #[arg(long, value_enum, default_value_t = Grouping::Clip)]
    pub grouping: Grouping,
    /// Fixed number of epochs per fold (no early stopping: the held-out fold must not steer
    /// training). Default: the training default.
    #[arg(long)]
    pub fold_epochs: Option<usize>,
    /// Folds trained at once, each in its own process (the CPU backends use about one core per
    /// training run, so on 2 cores `--jobs 2` takes about half the time).
    #[arg(long, default_value_t = 1)]
    pub jobs: usize,
    /// Train and evaluate only fold K (1-based) and save its result in OUT/cv-foldK, without
    /// pooling (what each process of --jobs runs).
    #[arg(long, conflicts_with_all = ["jobs", "record_in"])]
    pub fold: Option<usize>,
    /// Also write the pooled figures into the manifest of the exported model in this folder
    /// (model.genre and manifest.json, e.g. web/model); its weights are left as they are.
    #[arg(long)]
    pub record_in: Option<PathBuf>,
    /// With --record-in: record the pooled figures of an earlier cross-validation (the cv.json
    /// it wrote) instead of running one (e.g. into a model trained after that long run).
    #[arg(long, requires = "record_in")]
    pub from: Option<PathBuf>,
}

/// Which clips one fold trains on and holds out, under which options.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct FoldPlan {
    /// 1-based.
    fold: usize,
    folds: usize,
    options: TrainOptions,
    train: Vec<String>,
    held: Vec<String>,
}

/// One held-out clip's segment probabilities (`[segments × labels]`, row-major).
#[derive(Clone, Debug, Serialize, Deserialize)]
struct HeldClip {
    id: String,
    label: usize,
    probabilities: Vec<f32>,
}

/// What a finished fold leaves in `result.json`.
#[derive(Debug, Serialize, Deserialize)]
struct FoldResult {
    plan: FoldPlan,
    metrics: Metrics,
    held: Vec<HeldClip>,
}

fn fold_dir(out: &Path, fold: usize) -> PathBuf {
    out.join(format!("cv-fold{fold}"))
}

fn write_json_atomically(path: &Path, value: &impl Serialize) -> Result<()> {
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(value)?)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Option<T> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

/// Whether a fold was finished earlier by this very plan (only with `--resume`); an error if its
/// folder holds another plan, which `--resume` would otherwise mix into this run.
fn finished(plan: &FoldPlan, dir: &Path, resume: bool) -> Result<bool> {
    if !resume {
        return Ok(false);
    }
    let plan_path = dir.join("plan.json");
    let result_path = dir.join("result.json");
    let result: Option<FoldResult> = read_json(&result_path);
    for (path, saved) in [
        (&plan_path, read_json::<FoldPlan>(&plan_path)),
        (&result_path, result.as_ref().map(|r| r.plan.clone())),
    ] {
        if path.is_file() && saved.as_ref() != Some(plan) {
            bail!(
                "{} was made by another cross-validation (other options, folds, seed or clips); \
                 start afresh without --resume or use the same flags",
                path.display()
            );
        }
    }
    Ok(result.is_some())
}

pub fn cv(args: &CvArgs) -> Result<()> {
    if let (Some(report), Some(dir)) = (&args.from, &args.record_in) {
        #[derive(serde::Deserialize)]
        struct CvReport {
            pooled: Metrics,
            #[serde(default)]
            grouping: Grouping,
            #[serde(default)]
            calibration: Option<Calibration>,
            #[serde(default)]
            folds: Vec<serde::de::IgnoredAny>,
        }
        let r: CvReport = serde_json::from_slice(
            &std::fs::read(report).with_context(|| format!("cannot read {}", report.display()))?,
        )
        .with_context(|| format!("{} is not a cv.json of `trainer cv`", report.display()))?;
        if r.grouping != Grouping::Clip {
            bail!(
                "{} is a cross-validation by {}; only one by clip is recorded in a model",
                report.display(),
                r.grouping.describe()
            );
        }
        let labels: Vec<String> = r.pooled.per_label.iter().map(|l| l.label.clone()).collect();
        // the calibration is fitted again on the folds' held-out predictions beside the report when
        // they are there, so that a model records the calibration as the engine now applies it
        let folds = r.folds.len();
        let held: Option<Vec<HeldClip>> = report.parent().and_then(|out| {
            (1..=folds)
                .map(|f| read_json::<FoldResult>(&fold_dir(out, f).join("result.json")))
                .map(|res| res.map(|res| res.held))
                .collect::<Option<Vec<_>>>()
                .map(|v| v.concat())
        });
        let calibration = match held {
            Some(h) if folds > 0 && h.len() == r.pooled.tracks => {
                let c = calibration_of(&pooled(&h), labels.len(), &r.pooled, folds);
                println!(
                    "calibration fitted again on the {} held-out clips: temperature {:.3}; expected \
                     calibration error of the track predictions {:.3} → {:.3}",
                    h.len(),
                    c.temperature,
                    c.ece_before,
                    c.ece_after
                );
                Some(c)
            }
            _ => {
                println!(
                    "(no fold results beside the report: its calibration is recorded as it is)"
                );
                r.calibration
            }
        };
        record_cv(dir, &r.pooled, &labels, calibration.as_ref())?;
        println!(
            "cross-validation figures of {} recorded in {}",
            report.display(),
            dir.display()
        );
        return Ok(());
    }
    let t = &args.train;
    if args.grouping != Grouping::Clip && args.record_in.is_some() {
        bail!("--record-in records only cross-validation by clip (what the page says it shows)");
    }
    if args.folds < 2 {
        bail!("--folds must be at least 2");
    }
    if let Some(k) = args.fold
        && !(1..=args.folds).contains(&k)
    {
        bail!("--fold {k}: folds are numbered 1 to {}", args.folds);
    }
    let root = t.data_dir()?;
    let ds = Dataset::scan(&root)?;
    let opts = {
        let mut o = t.options(ds.labels.len())?;
        o.epochs = args.fold_epochs.unwrap_or(o.epochs);
        o
    };
    let labels: Vec<usize> = ds.tracks.iter().map(|tr| tr.label).collect();
    let assignment = match args.grouping {
        Grouping::Clip => crate::split::k_fold(&labels, ds.labels.len(), args.folds, t.seed),
        Grouping::Blocks => crate::split::k_fold_blocks(
            &ds.tracks
                .iter()
                .map(|tr| tr.id.as_str())
                .collect::<Vec<_>>(),
            &labels,
            ds.labels.len(),
            args.folds,
            t.seed,
        ),
    };
    let ids = |keep: &dyn Fn(usize) -> bool| -> Vec<String> {
        ds.tracks
            .iter()
            .zip(&assignment)
            .filter(|&(_, &a)| keep(a))
            .map(|(tr, _)| tr.id.clone())
            .collect()
    };
    let plans: Vec<FoldPlan> = (0..args.folds)
        .map(|f| FoldPlan {
            fold: f + 1,
            folds: args.folds,
            options: opts.clone(),
            train: ids(&|a| a != f),
            held: ids(&|a| a == f),
        })
        .collect();
    let wanted: Vec<&FoldPlan> = match args.fold {
        Some(k) => vec![&plans[k - 1]],
        None => plans.iter().collect(),
    };
    let mut pending = Vec::new();
    for plan in wanted {
        if finished(plan, &fold_dir(&t.out, plan.fold), t.resume)? {
            eprintln!("fold {}: finished earlier, kept", plan.fold);
        } else {
            pending.push(plan);
        }
    }
    if args.fold.is_none() {
        eprintln!(
            "{}-fold cross-validation over {} clips, {} epochs per fold; {} to train{}",
            args.folds,
            ds.tracks.len(),
            opts.epochs,
            pending.len(),
            if args.jobs > 1 && pending.len() > 1 {
                format!(", {} at a time", args.jobs.min(pending.len()))
            } else {
                String::new()
            }
        );
    }
    if args.jobs > 1 && pending.len() > 1 {
        run_children(&pending, args.jobs)?;
    } else if !pending.is_empty() {
        let (device, name) = device(t.backend)?;
        eprintln!("training on {name}");
        let cache = t.cache();
        let all: Vec<&Track> = ds.tracks.iter().collect();
        let loaded = load_tracks(&cache, &all, t.quiet);
        let mut evals = eval_clips(&cache, &loaded, &opts.feature_params())?;
        let (_, grids) =
            crate::embeddings::attach(&cache, &loaded, &mut evals, &opts, &device, t.quiet)?;
        let corpus = Corpus {
            labels: &ds.labels,
            evals,
            grids,
            loaded,
            assignment: &assignment,
        };
        for plan in pending {
            train_fold(plan, &corpus, &device, &t.out, t.resume, t.quiet)?;
        }
    }
    if args.fold.is_some() {
        return Ok(());
    }

    let mut all_held = Vec::new();
    let mut per_fold = Vec::new();
    for plan in &plans {
        let path = fold_dir(&t.out, plan.fold).join("result.json");
        let r: FoldResult = read_json(&path)
            .with_context(|| format!("fold {}: no result in {}", plan.fold, path.display()))?;
        if r.plan != *plan {
            bail!("{} belongs to another cross-validation", path.display());
        }
        all_held.extend(r.held);
        per_fold.push(r.metrics);
    }
    let m = metrics(
        &format!(
            "{}-fold cross-validation by {} (pooled)",
            args.folds,
            args.grouping.describe()
        ),
        &ds.labels,
        &pooled(&all_held),
    );
    println!("{}", m.text());
    let calibration = calibration_of(&pooled(&all_held), ds.labels.len(), &m, args.folds);
    println!(
        "calibration: temperature {:.3}; expected calibration error of the track predictions {:.3} → {:.3}",
        calibration.temperature, calibration.ece_before, calibration.ece_after
    );
    write_json_atomically(
        &t.out.join("cv.json"),
        &serde_json::json!({
            "pooled": m,
            "folds": per_fold,
            "grouping": args.grouping,
            "calibration": calibration,
            "options": opts
        }),
    )?;
    println!("written {}", t.out.join("cv.json").display());
    if let Some(dir) = &args.record_in {
        record_cv(dir, &m, &ds.labels, Some(&calibration))?;
        println!(
            "cross-validation figures and calibration recorded in {}",
            dir.display()
        );
    }
    Ok(())
}

/// The temperature that calibrates the pooled held-out predictions, with the error before and after.
fn calibration_of(held: &[(usize, Vec<f32>)], k: usize, m: &Metrics, folds: usize) -> Calibration {
    let temperature = crate::calibrate::fit_temperature(held, k);
    Calibration {
        temperature,
        ece_before: crate::calibrate::expected_calibration_error(held, k, 1.0),
        ece_after: crate::calibrate::expected_calibration_error(held, k, temperature),
        fitted_on: format!(
            "the held-out predictions of a {folds}-fold cross-validation by clip ({} clips)",
            m.tracks
        ),
    }
}

/// Every clip with its samples and evaluation segments, and the fold each belongs to (0-based).
struct Corpus<'a> {
    labels: &'a [String],
    loaded: Vec<(&'a Track, Vec<f32>)>,
    evals: Vec<EvalClip>,
    /// The front end's embedding grid of every clip (empty without the musicnn head).
    grids: Vec<Vec<Vec<f32>>>,
    assignment: &'a [usize],
}

/// Trains one fold on the clips outside it and saves its plan, then its held-out predictions.
fn train_fold(
    plan: &FoldPlan,
    corpus: &Corpus,
    device: &Device,
    out: &Path,
    resume: bool,
    quiet: bool,
) -> Result<()> {
    let dir = fold_dir(out, plan.fold);
    std::fs::create_dir_all(&dir)?;
    write_json_atomically(&dir.join("plan.json"), plan)?;
    let (loaded, evals) = (&corpus.loaded, &corpus.evals);
    let (train_idx, held_idx): (Vec<usize>, Vec<usize>) =
        (0..loaded.len()).partition(|&i| corpus.assignment[i] != plan.fold - 1);
    let clips: Vec<TrainClip> = train_idx
        .iter()
        .map(|&i| TrainClip {
            label: loaded[i].0.label,
            samples: loaded[i].1.clone(),
            grid: corpus.grids[i].clone(),
        })
        .collect();
    let fixed: Vec<&Features> = train_idx
        .iter()
        .flat_map(|&i| evals[i].segments.iter())
        .collect();
    let trained = train(
        &plan.options,
        corpus.labels.len(),
        &clips,
        &fixed,
        &[],
        device,
        &dir,
        resume,
        quiet,
    )?;
    let held: Vec<HeldClip> = held_idx
        .iter()
        .map(|&i| HeldClip {
            id: loaded[i].0.id.clone(),
            label: loaded[i].0.label,
            probabilities: clip_probabilities(
                &trained.model,
                &evals[i],
                &trained.normalisation,
                device,
            ),
        })
        .collect();
    let m = metrics(
        &format!("fold {}", plan.fold),
        corpus.labels,
        &pooled(&held),
    );
    eprintln!("{}", m.text());
    write_json_atomically(
        &dir.join("result.json"),
        &FoldResult {
            plan: plan.clone(),
            metrics: m,
            held,
        },
    )
}

fn pooled(held: &[HeldClip]) -> Vec<(usize, Vec<f32>)> {
    held.iter()
        .map(|c| (c.label, c.probabilities.clone()))
        .collect()
}

/// This process's arguments without the options that only the parent acts on.
fn child_args() -> Vec<String> {
    let mut out = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--jobs" || a == "--record-in" {
            args.next();
        } else if !a.starts_with("--jobs=") && !a.starts_with("--record-in=") {
            out.push(a);
        }
    }
    out
}

/// Trains the pending folds in child processes (`trainer … --fold K`), `jobs` at a time, each
/// line of their output prefixed with the fold.
fn run_children(pending: &[&FoldPlan], jobs: usize) -> Result<()> {
    let exe = std::env::current_exe().context("cannot find this program to run the folds")?;
    let base = child_args();
    let queue = std::sync::Mutex::new(
        pending
            .iter()
            .map(|p| p.fold)
            .collect::<std::collections::VecDeque<_>>(),
    );
    let failures = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..jobs.min(pending.len()) {
            s.spawn(|| {
                loop {
                    let Some(fold) = queue.lock().unwrap().pop_front() else {
                        break;
                    };
                    if let Err(e) = run_child(&exe, &base, fold) {
                        failures.lock().unwrap().push(format!("fold {fold}: {e:#}"));
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    if !failures.is_empty() {
        bail!(
            "{}; the finished folds are kept: rerun with --resume to go on",
            failures.join("; ")
        );
    }
    Ok(())
}

fn run_child(exe: &Path, base: &[String], fold: usize) -> Result<()> {
    use std::process::{Command, Stdio};
    eprintln!("fold {fold}: started");
    let mut child = Command::new(exe)
        .args(base)
        .args(["--fold", &fold.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let prefix = |stream: Box<dyn std::io::Read + Send>| {
        move || {
            for line in std::io::BufReader::new(stream)
                .lines()
                .map_while(Result::ok)
            {
                eprintln!("fold {fold} | {line}");
            }
        }
    };
    let err = std::thread::spawn(prefix(Box::new(child.stderr.take().unwrap())));
    prefix(Box::new(child.stdout.take().unwrap()))();
    let _ = err.join();
    let status = child.wait()?;
    if !status.success() {
        bail!("its process failed ({status})");
    }
    Ok(())
}

/// Puts pooled cross-validation figures into an exported model's manifest.
fn record_cv(
    dir: &Path,
    m: &Metrics,
    labels: &[String],
    calibration: Option<&Calibration>,
) -> Result<()> {
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
    if let Some(c) = calibration {
        manifest.calibration = Some(c.clone());
    }
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
