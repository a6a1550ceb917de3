//! The training recipe end to end: scan, split, decode (cached), train, report, export.

use anyhow::{Context, Result, bail};
use std::collections::BTreeMap;
use std::path::PathBuf;

use genre::features::{FeatureExtractor, FeatureParams, Features};
use genre::inference::{
    FORMAT_NAME, FORMAT_VERSION, FORMAT_VERSION_FRONT_END, Manifest, Scores, TrainedOn,
};
use genre::model::{Fusion, HeadKind, ModelConfig};

use crate::backend::{BackendChoice, device};
use crate::cache::Cache;
use crate::clips::{EvalClip, TrainClip};
use crate::dataset::{Dataset, Track};
use crate::options::TrainOptions;
use crate::split::{self, Split};
use crate::train::train;
use crate::validate::clip_metrics;

#[derive(clap::Args, Debug, Clone)]
pub struct TrainArgs {
    /// Folder of labelled folders (GTZAN: ROOT/<genre>/<genre>.NNNNN.wav).
    #[arg(long, env = "GTZAN_DIR")]
    pub data: Option<PathBuf>,
    /// filtered: the artist-filtered lists (GTZAN; or the lists in --split-dir); random: stratified by file.
    #[arg(long, default_value = "filtered")]
    pub split: String,
    /// Folder holding train*.txt, valid*.txt, test*.txt (default: DATA/splits or DATA/../splits).
    #[arg(long, alias = "split-file")]
    pub split_dir: Option<PathBuf>,
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Heads to use, comma-separated: musicnn (the pretrained front end's embedding, frozen) and
    /// chroma, mel, mfcc (the seed model's conv heads, trained from scratch). The default, all four
    /// fused, did best on the cross-validation; `--heads musicnn` (the embedding alone) trains in
    /// seconds, `--heads chroma,mel,mfcc` is the seed model. The defaults of --hidden, --dropout,
    /// --balance and --weight-decay follow: the recipe chosen for the front end alone, or the
    /// seed model's when a conv head is in (BENCHMARKS.md).
    #[arg(long, default_value = "chroma,mel,mfcc,musicnn")]
    pub heads: String,
    /// concat, average or sum.
    #[arg(long, default_value = "concat")]
    pub fusion: String,
    /// Output channels of each conv block, comma-separated.
    #[arg(long, default_value = "8,16,32,64")]
    pub channels: String,
    /// Width of the hidden layer after the fusion; 0: none (a linear classifier on the fused
    /// embedding). Default: 256 for the front end alone, else 64.
    #[arg(long)]
    pub hidden: Option<usize>,
    /// Dropout before each fully connected layer. Default: 0.5 for the front end alone, else 0.3.
    #[arg(long)]
    pub dropout: Option<f64>,
    /// Heads whose input loses each band's mean over the segment, comma-separated, "all" or
    /// "none" (for MFCC this is cepstral mean normalisation; see ModelConfig::centred_heads).
    /// Centring all three was worth +14 points of valid track accuracy (BENCHMARKS.md).
    #[arg(long, default_value = "all")]
    pub centre: String,
    /// Heads whose last pooling averages over frames only, keeping the bands the conv blocks
    /// leave (mel: 8 of 128; chroma and MFCC end with one band, so it changes nothing there),
    /// comma-separated, "all" or "none" (see ModelConfig::time_pooled_heads).
    #[arg(long, default_value = "none")]
    pub time_pool: String,
    /// Heads whose centred input is also divided by each band's RMS over the segment,
    /// comma-separated, "all" or "none" (see ModelConfig::scaled_heads).
    #[arg(long, default_value = "none")]
    pub scale: String,
    /// Heads whose embedding also holds each channel's maximum beside its average,
    /// comma-separated, "all" or "none" (see ModelConfig::max_pooled_heads). All three cost
    /// 7 points of valid track accuracy over two seeds (BENCHMARKS.md), hence off.
    #[arg(long, default_value = "none")]
    pub max_pool: String,
    /// The learning rate decays to zero over these epochs (early stopping may end sooner).
    /// 60: each lengthening paid so far (20 → 40: +3 points of valid track accuracy over the
    /// last five epochs, three seeds; 40 → 60: +1.7 track, +4.5 balanced, two seeds; BENCHMARKS.md).
    #[arg(long, default_value_t = 60)]
    pub epochs: usize,
    #[arg(long, default_value_t = 32)]
    pub batch_size: usize,
    #[arg(long = "learning-rate", alias = "lr", default_value_t = 2e-3)]
    pub learning_rate: f64,
    /// AdamW's weight decay. Default: 0.1 for the front end alone, else 0.01.
    #[arg(long)]
    pub weight_decay: Option<f32>,
    /// Epochs without a better valid score before the run stops (half the default schedule:
    /// the learning rate must have come down before a stop can judge the recipe).
    #[arg(long, default_value_t = 30)]
    pub patience: usize,
    /// Random 3-s crops per training clip per epoch.
    #[arg(long, default_value_t = 8)]
    pub crops: usize,
    /// Label sampling: 0 natural frequencies, 1 all labels equally often. Default 0.5. For the
    /// seed model, 0.75 lifted the 5-fold CV's balanced accuracy (66.7 % against 61.3 %) but cost
    /// valid track accuracy on three of four seeds (mean 77.6 % against 81.8 %) (BENCHMARKS.md).
    #[arg(long)]
    pub balance: Option<f32>,
    /// Label sampling for the last --late-balance-epochs epochs instead of --balance (deferred
    /// re-balancing: features learned on natural frequencies, the low-learning-rate end of the
    /// schedule re-balanced).
    #[arg(long, default_value_t = 1.0)]
    pub late_balance: f32,
    /// How many of the last epochs draw labels with --late-balance; 0 = off.
    #[arg(long, default_value_t = 0)]
    pub late_balance_epochs: usize,
    #[arg(long)]
    pub class_weights: bool,
    /// Mixup Beta(α, α); 0 switches it off.
    #[arg(long, default_value_t = 0.2)]
    pub mixup: f32,
    /// Label smoothing ε: targets keep 1 − ε on the label and spread ε over all labels.
    #[arg(long, default_value_t = 0.0)]
    pub label_smoothing: f32,
    /// Probability of blanking one whole head's image of a training example (modality
    /// dropout), so the fused model cannot lean on one feature alone.
    #[arg(long, default_value_t = 0.0)]
    pub head_dropout: f32,
    #[arg(long)]
    pub no_spec_augment: bool,
    /// Crops start only on the 3-s grid (the 10 fixed segments of a 30-s clip) instead of
    /// anywhere: the ablation of overlapping segments.
    #[arg(long)]
    pub no_overlap: bool,
    #[arg(long, default_value_t = 6.0)]
    pub gain_db: f32,
    #[arg(long, default_value_t = 6.0)]
    pub tilt_db: f32,
    /// Evaluate and export an exponential moving average of the weights over about this many
    /// epochs (Polyak averaging) instead of the last step's weights; 0 switches it off.
    #[arg(long, default_value_t = 2.0)]
    pub ema_epochs: f32,
    /// Do not transpose training chromagrams by a random number of semitones (the pitch
    /// shift of the chroma head).
    #[arg(long)]
    pub no_key_shift: bool,
    /// Play each training crop up to this fraction faster or slower (tempo and pitch move
    /// together, by resampling the waveform): 0.1 = rates from 1/1.1 to 1.1; 0 = off.
    #[arg(long, default_value_t = 0.0)]
    pub speed: f32,
    /// Instead of --speed: play each training crop k whole semitones higher and faster (rate
    /// 2^(k/12)), k drawn from −K..=K, so the chromagram moves by whole bands.
    #[arg(long, default_value_t = 0)]
    pub speed_semitones: u32,
    /// Let the speed change reach the chromagram too (by default only the mel and MFCC images
    /// see it: the chroma head alone lost with it).
    #[arg(long)]
    pub speed_chroma: bool,
    /// Logit adjustment τ: the evaluated and exported model's logits lose τ·ln(prior) of the
    /// label frequencies training sampled (folded into its last bias); 1 aims at balanced
    /// accuracy, 0 = off.
    #[arg(long, default_value_t = 0.0)]
    pub logit_adjust: f32,
    /// Probability that a training crop gets a level-matched crop of another training clip of
    /// the same genre mixed into its waveform (weight 0–0.5, label kept); 0 = off.
    #[arg(long, default_value_t = 0.0)]
    pub same_genre_mix: f32,
    /// Remix κ (with --mixup): a mixup pair whose labels' clip counts differ by ≥ κ gets the
    /// rarer label's target when the commoner example weighs less than --remix-tau; 0 = off.
    /// With --mixup 1 and κ 3 it cost 10 points of valid track accuracy (BENCHMARKS.md).
    #[arg(long, default_value_t = 0.0)]
    pub remix_kappa: f32,
    #[arg(long, default_value_t = 0.5)]
    pub remix_tau: f32,
    /// The mel head sees PCEN (per-channel energy normalisation, librosa.pcen's defaults on
    /// the mel power of 32-bit-scaled samples) instead of dB; the page computes what the
    /// manifest says.
    #[arg(long)]
    pub pcen: bool,
    /// With the musicnn head: seconds between the training crops whose embeddings are cached
    /// (it must divide 3 s: 1.5, 1, 0.6, 0.5, ...).
    #[arg(long, default_value_t = 1.5)]
    pub embedding_hop: f32,
    /// With the musicnn head: standard deviation of Gaussian noise added to each normalised
    /// training embedding; 0 = off.
    #[arg(long, default_value_t = 0.0)]
    pub embedding_noise: f32,
    #[arg(long, value_enum, default_value = "auto")]
    pub backend: BackendChoice,
    /// Run folder: checkpoints, report, exported model.
    #[arg(long, default_value = "runs/latest")]
    pub out: PathBuf,
    /// Continue the interrupted run in --out.
    #[arg(long)]
    pub resume: bool,
    /// Do not copy the exported model into --install-dir.
    #[arg(long)]
    pub no_install: bool,
    #[arg(long, default_value = "web/model")]
    pub install_dir: PathBuf,
    #[arg(long)]
    pub cache_dir: Option<PathBuf>,
    #[arg(long)]
    pub no_cache: bool,
    /// Refuse (non-GTZAN) label folders with fewer files than this.
    #[arg(long, default_value_t = 5)]
    pub min_files: usize,
    /// Name of the data set in the manifest (default: GTZAN or the folder's name).
    #[arg(long)]
    pub dataset_name: Option<String>,
    /// The data are generated signals, not music (the page then says so).
    #[arg(long)]
    pub synthetic: bool,
    #[arg(long)]
    pub quiet: bool,
}

/// The defaults that depend on the heads, chosen on the 5-fold cross-validation (BENCHMARKS.md).
pub struct Recipe {
    pub hidden: usize,
    pub dropout: f64,
    pub weight_decay: f32,
    pub balance: f32,
}

impl Recipe {
    pub fn for_heads(heads: &[HeadKind]) -> Self {
        if heads.iter().all(|h| !h.is_conv()) {
            // the pretrained embedding alone: an MLP, strongly regularised; 256 wide had the best
            // mean of the two cross-validations (by clip and by blocks, seven seeds each), 64 and 512
            // within a few tenths of a point (BENCHMARKS.md)
            Self {
                hidden: 256,
                dropout: 0.5,
                weight_decay: 0.1,
                balance: 0.5,
            }
        } else {
            // the seed model's recipe (issue 7), also for the fusion with the front end
            Self {
                hidden: 64,
                dropout: 0.3,
                weight_decay: 1e-2,
                balance: 0.5,
            }
        }
    }
}

pub fn parse_heads(s: &str) -> Result<Vec<HeadKind>> {
    s.split(',')
        .filter(|p| !p.trim().is_empty())
        .map(|p| {
            HeadKind::parse(p)
                .ok_or_else(|| anyhow::anyhow!("unknown head {p:?} (chroma, mel, mfcc, musicnn)"))
        })
        .collect()
}

impl TrainArgs {
    pub fn options(&self, n_labels: usize) -> Result<TrainOptions> {
        let heads = parse_heads(&self.heads)?;
        if heads.is_empty() {
            bail!("--heads names no head");
        }
        let fusion = Fusion::parse(&self.fusion).ok_or_else(|| {
            anyhow::anyhow!("unknown --fusion {:?} (concat, average, sum)", self.fusion)
        })?;
        let recipe = Recipe::for_heads(&heads);
        let mut model = ModelConfig::new(n_labels, &heads, fusion);
        model.channels = self
            .channels
            .split(',')
            .map(|c| {
                c.trim()
                    .parse::<usize>()
                    .context("--channels takes numbers")
            })
            .collect::<Result<_>>()?;
        model.hidden = self.hidden.unwrap_or(recipe.hidden);
        model.dropout = self.dropout.unwrap_or(recipe.dropout);
        let head_list = |s: &str| -> Result<Vec<HeadKind>> {
            match s.trim() {
                "none" => Ok(Vec::new()),
                "all" => Ok(model
                    .heads
                    .iter()
                    .copied()
                    .filter(|h| h.is_conv())
                    .collect()),
                list => parse_heads(list),
            }
        };
        model.centred_heads = head_list(&self.centre)?;
        model.time_pooled_heads = head_list(&self.time_pool)?;
        model.scaled_heads = head_list(&self.scale)?;
        model.max_pooled_heads = head_list(&self.max_pool)?;
        model.validate().map_err(|e| anyhow::anyhow!(e))?;
        Ok(TrainOptions {
            model,
            epochs: self.epochs,
            batch_size: self.batch_size.max(1),
            learning_rate: self.learning_rate,
            weight_decay: self.weight_decay.unwrap_or(recipe.weight_decay),
            patience: self.patience.max(1),
            seed: self.seed,
            crops_per_clip: self.crops.max(1),
            balance: self.balance.unwrap_or(recipe.balance).clamp(0.0, 1.0),
            late_balance: self.late_balance.clamp(0.0, 1.0),
            late_balance_epochs: self.late_balance_epochs,
            class_weights: self.class_weights,
            mixup_alpha: self.mixup,
            head_dropout: self.head_dropout.clamp(0.0, 1.0),
            spec_augment: !self.no_spec_augment,
            overlap: !self.no_overlap,
            gain_db: self.gain_db,
            tilt_db: self.tilt_db,
            ema_epochs: self.ema_epochs.max(0.0),
            key_shift: !self.no_key_shift,
            speed: self.speed.clamp(0.0, 0.5),
            speed_semitones: self.speed_semitones.min(6),
            speed_chroma: self.speed_chroma,
            logit_adjust: self.logit_adjust.max(0.0),
            label_smoothing: self.label_smoothing.clamp(0.0, 1.0),
            same_genre_mix: self.same_genre_mix.clamp(0.0, 1.0),
            remix_kappa: self.remix_kappa.max(0.0),
            remix_tau: self.remix_tau.clamp(0.0, 1.0),
            pcen: self.pcen,
            embedding_hop: {
                let hop = (self.embedding_hop as f64 * genre::features::SAMPLE_RATE as f64).round();
                if hop.is_nan()
                    || hop < 1.0
                    || !genre::features::SEGMENT_SAMPLES.is_multiple_of(hop as usize)
                {
                    bail!(
                        "--embedding-hop {} s does not divide the 3-s segment (1.5, 1, 0.6, 0.5, ...)",
                        self.embedding_hop
                    );
                }
                hop as usize
            },
            embedding_noise: self.embedding_noise.max(0.0),
        })
    }

    pub fn data_dir(&self) -> Result<PathBuf> {
        self.data.clone().ok_or_else(|| {
            anyhow::anyhow!(
                "no data folder: pass --data DIR or set GTZAN_DIR.\n\n{}",
                crate::dataset::GTZAN_HELP
            )
        })
    }

    pub fn cache(&self) -> Cache {
        Cache::new((!self.no_cache).then(|| {
            self.cache_dir
                .clone()
                .unwrap_or_else(crate::cache::default_dir)
        }))
    }
}

pub fn make_split(ds: &Dataset, args: &TrainArgs) -> Result<Split> {
    match args.split.as_str() {
        "filtered" if ds.is_gtzan || args.split_dir.is_some() => split::from_lists(
            ds,
            &split::find_split_dir(&ds.root, args.split_dir.as_deref())?,
        ),
        "filtered" => {
            eprintln!(
                "note: {} is not GTZAN and no --split-dir was given: using a stratified random split by file (seed {})",
                ds.root.display(),
                args.seed
            );
            Ok(split::random(ds, 0.15, 0.15, args.seed))
        }
        "random" => Ok(split::random(ds, 0.15, 0.15, args.seed)),
        other => bail!("unknown --split {other:?} (filtered or random)"),
    }
}

/// Decodes tracks (cached), reporting and skipping the unreadable ones.
pub fn load_tracks<'a>(
    cache: &Cache,
    tracks: &[&'a Track],
    quiet: bool,
) -> Vec<(&'a Track, Vec<f32>)> {
    let bar = (!quiet).then(|| {
        let b = indicatif::ProgressBar::new(tracks.len() as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "decoding [{bar:30}] {pos}/{len} files ({eta} left)",
            )
            .unwrap(),
        );
        b
    });
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(8);
    let chunk = tracks.len().div_ceil(threads).max(1);
    let results: Vec<(&Track, Result<Vec<f32>>)> = std::thread::scope(|s| {
        let hs: Vec<_> = tracks
            .chunks(chunk)
            .map(|part| {
                let bar = bar.clone();
                s.spawn(move || {
                    part.iter()
                        .map(|t| {
                            let r = cache.audio(t);
                            if let Some(b) = &bar {
                                b.inc(1);
                            }
                            (*t, r)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        hs.into_iter()
            .flat_map(|h| h.join().expect("decode thread"))
            .collect()
    });
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    results
        .into_iter()
        .filter_map(|(t, r)| match r {
            Ok(s) => Some((t, s)),
            Err(e) => {
                eprintln!("skipped {}: {e:#}", t.path.display());
                None
            }
        })
        .collect()
}

pub fn eval_clips(
    cache: &Cache,
    loaded: &[(&Track, Vec<f32>)],
    params: &FeatureParams,
) -> Result<Vec<EvalClip>> {
    let mut fx = FeatureExtractor::new(params.clone());
    loaded
        .iter()
        .map(|(t, s)| {
            Ok(EvalClip {
                label: t.label,
                segments: cache.segment_features(t, s, &mut fx)?,
            })
        })
        .collect()
}

fn counts(ds: &Dataset, idx: &[usize]) -> BTreeMap<String, usize> {
    let mut m: BTreeMap<String, usize> = ds.labels.iter().map(|l| (l.clone(), 0)).collect();
    for &i in idx {
        *m.get_mut(&ds.labels[ds.tracks[i].label]).unwrap() += 1;
    }
    m
}

pub fn run_train(args: &TrainArgs) -> Result<()> {
    let root = args.data_dir()?;
    let ds = Dataset::scan(&root)?;
    if !ds.is_gtzan {
        ds.check_min_files(args.min_files)?;
    }
    let split = make_split(&ds, args)?;
    let opts = args.options(ds.labels.len())?;
    let features = opts.feature_params();
    let (device, device_name) = device(args.backend)?;
    let cache = args.cache();
    if !args.quiet {
        eprintln!("{}: {}", root.display(), ds.describe());
        eprintln!(
            "{} labels, {} train / {} valid / {} test tracks ({}); training on {device_name}",
            ds.labels.len(),
            split.train.len(),
            split.valid.len(),
            split.test.len(),
            split.description
        );
    }
    let pick = |idx: &[usize]| idx.iter().map(|&i| &ds.tracks[i]).collect::<Vec<_>>();
    let train_loaded = load_tracks(&cache, &pick(&split.train), args.quiet);
    let valid_loaded = load_tracks(&cache, &pick(&split.valid), args.quiet);
    if train_loaded.is_empty() {
        bail!("no training file could be decoded");
    }
    let mut train_eval = eval_clips(&cache, &train_loaded, &features)?;
    let mut valid = eval_clips(&cache, &valid_loaded, &features)?;
    let (front_end, train_grids) = crate::embeddings::attach(
        &cache,
        &train_loaded,
        &mut train_eval,
        &opts,
        &device,
        args.quiet,
    )?;
    crate::embeddings::attach(
        &cache,
        &valid_loaded,
        &mut valid,
        &opts,
        &device,
        args.quiet,
    )?;
    let train_fixed: Vec<&Features> = train_eval.iter().flat_map(|c| c.segments.iter()).collect();
    let train_clips: Vec<TrainClip> = train_loaded
        .into_iter()
        .zip(train_grids)
        .map(|((t, samples), grid)| TrainClip {
            label: t.label,
            samples,
            grid,
        })
        .collect();
    std::fs::create_dir_all(&args.out)?;
    let outcome = train(
        &opts,
        ds.labels.len(),
        &train_clips,
        &train_fixed,
        &valid,
        &device,
        &args.out.join("checkpoint"),
        args.resume,
        args.quiet,
    )?;
    drop(train_clips);

    // Report: valid always; test only to report, never to choose anything.
    let mut reports = vec![clip_metrics(
        "valid",
        &outcome.model,
        &valid,
        &outcome.normalisation,
        &device,
        &ds.labels,
    )];
    let test_loaded = load_tracks(&cache, &pick(&split.test), args.quiet);
    if !test_loaded.is_empty() {
        let mut test = eval_clips(&cache, &test_loaded, &features)?;
        crate::embeddings::attach(&cache, &test_loaded, &mut test, &opts, &device, args.quiet)?;
        reports.push(clip_metrics(
            "test",
            &outcome.model,
            &test,
            &outcome.normalisation,
            &device,
            &ds.labels,
        ));
    }
    let get = |name: &str| reports.iter().find(|m| m.split == name && m.tracks > 0);
    let scores = Scores {
        valid_track_accuracy: get("valid").map(|m| m.track_accuracy.clone()),
        valid_segment_accuracy: get("valid").map(|m| m.segment_accuracy.clone()),
        valid_balanced_accuracy: get("valid").map(|m| m.balanced_accuracy),
        test_track_accuracy: get("test").map(|m| m.track_accuracy.clone()),
        test_balanced_accuracy: get("test").map(|m| m.balanced_accuracy),
        cv_balanced_accuracy: None,
        cv_track_accuracy: None,
    };
    let valid_idx: Vec<usize> = split.valid.clone();
    let manifest = Manifest {
        format: FORMAT_NAME.into(),
        format_version: if front_end.is_some() {
            FORMAT_VERSION_FRONT_END
        } else {
            FORMAT_VERSION
        },
        front_end: front_end.as_ref().map(|f| f.manifest_entry()),
        calibration: None,
        labels: ds.labels.clone(),
        features,
        model: opts.model.clone(),
        normalisation: outcome.normalisation.clone(),
        trained_on: TrainedOn {
            dataset: args.dataset_name.clone().unwrap_or_else(|| {
                if ds.is_gtzan && ds.tracks.len() < 1000 {
                    format!("GTZAN, partial ({} of its 1000 clips)", ds.tracks.len())
                } else if ds.is_gtzan {
                    "GTZAN".to_string()
                } else {
                    root.file_name().map_or("a labelled folder".into(), |n| {
                        n.to_string_lossy().to_string()
                    })
                }
            }),
            real_music: !args.synthetic,
            train_files: counts(&ds, &split.train),
            valid_files: counts(&ds, &valid_idx),
            split: split.description.clone(),
            date: chrono::Utc::now().format("%Y-%m-%d").to_string(),
            notes: format!(
                "best epoch {} of {}; {}; trained on {device_name}",
                outcome.best_epoch,
                outcome.history.len(),
                opts.recipe_notes()
            ),
        },
        scores,
    };
    crate::export::write_run(
        &args.out,
        &manifest,
        outcome.model,
        front_end.as_ref().map(|f| &f.weights),
        &reports,
        &outcome.history,
    )?;
    for m in &reports {
        println!("{}", m.text());
    }
    if !args.no_install {
        crate::export::install(&args.out, &args.install_dir)?;
        println!(
            "model installed in {} (the page loads it from there)",
            args.install_dir.display()
        );
    }
    println!("report, curves and model in {}", args.out.display());
    Ok(())
}
