//! The training loop: random 3-s crops of the training clips with genre-preserving
//! augmentation, AdamW with polynomial (power 2) learning-rate decay, early stopping on the
//! validation clips, and a checkpoint every epoch so an interrupted run resumes.

use anyhow::{Context, Result, bail};
use burn::module::Module;
use burn::optim::{AdamWConfig, GradientsParams};
use burn::store::ModuleRecord;
use burn::tensor::activation::log_softmax;
use burn::tensor::{Device, Tensor, TensorData};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::Instant;

use genre::features::{FeatureExtractor, FeatureParams, Features};
use genre::inference::{Normalisation, band_stats, images_to_input, normalised_images};
use genre::model::GenreCnn;

use crate::augment::{
    augment_waveform, beta, embedding_noise, head_dropout, key_shift, mix_in, playback_rate,
    remix_weight, resample_into, semitone_rate, spec_augment,
};
use crate::clips::{EvalClip, TrainClip};
use crate::ema::WeightAverage;
use crate::options::TrainOptions;
use crate::sampling::{clips_by_label, crop_start, epoch_draws, prior_offsets, same_genre_partner};
use crate::validate::clip_metrics;

/// The valid figures are NaN when there are no valid clips (a cross-validation fold); JSON writes
/// NaN as null, so null reads back as NaN (a resumed fold must read its own checkpoint).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct EpochStats {
    pub epoch: usize,
    pub train_loss: f32,
    pub train_accuracy: f32,
    #[serde(deserialize_with = "nan_if_null")]
    pub valid_loss: f32,
    #[serde(deserialize_with = "nan_if_null")]
    pub valid_segment_accuracy: f32,
    #[serde(deserialize_with = "nan_if_null")]
    pub valid_track_accuracy: f32,
    #[serde(deserialize_with = "nan_if_null")]
    pub valid_balanced_accuracy: f32,
    pub learning_rate: f64,
    pub seconds: f32,
}

fn nan_if_null<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f32, D::Error> {
    Ok(Option::<f32>::deserialize(d)?.unwrap_or(f32::NAN))
}

/// Saved at the end of every epoch beside the model and optimizer records.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct CheckpointState {
    options: TrainOptions,
    normalisation: Normalisation,
    next_epoch: usize,
    history: Vec<EpochStats>,
    best_epoch: usize,
    best_score: (f32, f32),
}

pub struct TrainOutcome {
    pub model: GenreCnn,
    pub normalisation: Normalisation,
    pub history: Vec<EpochStats>,
    pub best_epoch: usize,
}

/// One row of `k` targets per label: `1 − ε + ε/k` on the label and `ε/k` elsewhere, the row
/// scaled by the label's class weight (so a weighted row still sums to its weight).
fn smoothed_targets(labels: &[usize], k: usize, class_w: &[f32], eps: f32) -> Vec<f32> {
    let mut targets = vec![0.0f32; labels.len() * k];
    for (row, &l) in targets.chunks_mut(k).zip(labels) {
        row.fill(class_w[l] * eps / k as f32);
        row[l] += class_w[l] * (1.0 - eps);
    }
    targets
}

/// Features of random crops (with waveform augmentation), computed on all cores.
fn crop_features(
    clips: &[TrainClip],
    by_label: &[Vec<usize>],
    draws: &[usize],
    params: &FeatureParams,
    opts: &TrainOptions,
    seed: u64,
) -> Vec<Features> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(8);
    let chunk = draws.len().div_ceil(threads).max(1);
    let has_conv = opts.model.heads.iter().any(|h| h.is_conv());
    std::thread::scope(|s| {
        let handles: Vec<_> = draws
            .chunks(chunk)
            .enumerate()
            .map(|(ci, part)| {
                s.spawn(move || {
                    let mut fx = FeatureExtractor::new(params.clone());
                    let mut seg = vec![0.0f32; params.segment_samples];
                    let mut other = vec![0.0f32; params.segment_samples];
                    part.iter()
                        .enumerate()
                        .map(|(j, &i)| {
                            // One generator per draw, seeded by its place in the epoch: the
                            // same crops however many threads share the work.
                            let draw = (ci * chunk + j) as u64;
                            let mut rng = StdRng::seed_from_u64(
                                seed ^ draw.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15),
                            );
                            let s = &clips[i].samples;
                            let grid = &clips[i].grid;
                            // With the front end: a crop on its embedding grid.
                            let on_grid =
                                (!grid.is_empty()).then(|| rng.random_range(0..grid.len()));
                            if !has_conv {
                                return Features {
                                    musicnn: grid[on_grid.expect("a grid")].clone(),
                                    ..Features::default()
                                };
                            }
                            let rate = if opts.speed_semitones > 0 {
                                semitone_rate(opts.speed_semitones, &mut rng)
                            } else {
                                playback_rate(opts.speed, &mut rng)
                            };
                            // The crop reads rate × 3 s of the clip (the source span) into 3 s.
                            let span = (params.segment_samples as f64 * rate).ceil() as usize;
                            let start = match on_grid {
                                Some(k) => k * opts.embedding_hop,
                                None => crop_start(s.len(), span, opts.overlap, &mut rng),
                            };
                            let partner = same_genre_partner(
                                clips,
                                by_label,
                                i,
                                opts.same_genre_mix,
                                params.segment_samples,
                                opts.overlap,
                                &mut rng,
                            );
                            if let Some((j, at, _)) = partner {
                                genre::features::segment_into(&clips[j].samples, at, &mut other);
                            }
                            // The crop at `rate`, augmented, and its features.
                            let mut features_at = |rate: f64, rng: &mut StdRng| {
                                if rate == 1.0 {
                                    genre::features::segment_into(s, start, &mut seg);
                                } else {
                                    resample_into(s, start, rate, &mut seg);
                                }
                                if let Some((_, _, w)) = partner {
                                    mix_in(&mut seg, &other, w);
                                }
                                augment_waveform(&mut seg, opts.gain_db, opts.tilt_db, rng);
                                fx.compute(&seg)
                            };
                            let mut f = features_at(rate, &mut rng);
                            if rate != 1.0 && !opts.speed_chroma {
                                // The chroma head measurably loses from a changed speed (see
                                // BENCHMARKS.md): its image comes from the same crop unchanged.
                                f.chroma = features_at(1.0, &mut rng).chroma;
                            }
                            if let Some(k) = on_grid {
                                f.musicnn = grid[k].clone();
                            }
                            f
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("feature thread"))
            .collect()
    })
}

/// Validation figures of one model: (loss, segment accuracy, track accuracy, balanced track
/// accuracy), NaN without clips.
pub fn evaluate_clips(
    model: &GenreCnn,
    clips: &[EvalClip],
    norm: &Normalisation,
    device: &Device,
) -> (f32, f32, f32, f32) {
    if clips.iter().all(|c| c.segments.is_empty()) {
        return (f32::NAN, f32::NAN, f32::NAN, f32::NAN);
    }
    // the labels' names only label the report's rows, which are not read here
    let names: Vec<String> = (0..model.config().n_classes)
        .map(|i| i.to_string())
        .collect();
    let m = clip_metrics("valid", model, clips, norm, device, &names);
    (
        m.segment_loss as f32,
        m.segment_accuracy.value as f32,
        m.track_accuracy.value as f32,
        m.balanced_accuracy as f32,
    )
}

/// Saves a model as `dir/name` through a temporary file, so an interruption never leaves a
/// half-written one.
fn save_atomically(model: &GenreCnn, dir: &Path, name: &str, what: &str) -> Result<()> {
    let tmp = dir.join(format!("{name}.tmp"));
    model
        .clone()
        .save_file(&tmp)
        .map_err(|e| anyhow::anyhow!("cannot save {what}: {e}"))?;
    std::fs::rename(&tmp, dir.join(name))?;
    Ok(())
}

/// Trains (or resumes from `checkpoint_dir`) and returns the best model on validation.
/// `valid` may be empty: then the last epoch's model is kept.
#[allow(clippy::too_many_arguments)]
pub fn train(
    opts: &TrainOptions,
    n_labels: usize,
    train_clips: &[TrainClip],
    train_fixed: &[&Features],
    valid: &[EvalClip],
    device: &Device,
    checkpoint_dir: &Path,
    resume: bool,
    quiet: bool,
) -> Result<TrainOutcome> {
    device.seed(opts.seed);
    let cfg = &opts.model;
    let params = opts.feature_params();
    std::fs::create_dir_all(checkpoint_dir)?;
    let state_file = checkpoint_dir.join("state.json");
    let ad = device.clone().autodiff();
    let mut model = GenreCnn::new(cfg, &ad);
    let mut resumed_average = None;
    let mut optim = AdamWConfig::new()
        .with_weight_decay(opts.weight_decay)
        .init();
    let mut state = CheckpointState {
        options: opts.clone(),
        normalisation: band_stats(train_fixed, &cfg.heads, &cfg.input_heights),
        next_epoch: 0,
        history: Vec::new(),
        best_epoch: 0,
        best_score: (f32::NEG_INFINITY, f32::NEG_INFINITY),
    };
    if resume && state_file.is_file() {
        let saved: CheckpointState = serde_json::from_slice(&std::fs::read(&state_file)?)
            .with_context(|| format!("cannot read {}", state_file.display()))?;
        if saved.options != *opts {
            bail!(
                "the checkpoint in {} was made with other options; start afresh without --resume or use the same flags",
                checkpoint_dir.display()
            );
        }
        model = model.load_file(checkpoint_dir.join("last.bpk"));
        if opts.ema_epochs > 0.0 {
            resumed_average =
                Some(GenreCnn::new(cfg, device).load_file(checkpoint_dir.join("average.bpk")));
        }
        optim = optim
            .load(checkpoint_dir.join("optim.bpk"))
            .map_err(|e| anyhow::anyhow!("cannot load the optimizer checkpoint: {e}"))?;
        state = saved;
        if !quiet {
            eprintln!(
                "resuming at epoch {} of {}",
                state.next_epoch + 1,
                opts.epochs
            );
        }
    }
    let norm = state.normalisation.clone();
    let k = n_labels;
    let by_label = clips_by_label(train_clips, k);
    let label_counts: Vec<usize> = by_label.iter().map(Vec::len).collect();
    let class_w: Vec<f32> = label_counts
        .iter()
        .map(|&n| {
            if opts.class_weights && n > 0 {
                train_clips.len() as f32 / (k as f32 * n as f32)
            } else {
                1.0
            }
        })
        .collect();
    let offsets = prior_offsets(&label_counts, opts);
    let steps_per_epoch = (train_clips.len() * opts.crops_per_clip).div_ceil(opts.batch_size);
    let total_steps = (steps_per_epoch * opts.epochs).max(1);
    let started = Instant::now();
    let mut average = (opts.ema_epochs > 0.0).then(|| {
        let decay = 1.0 - 1.0 / (opts.ema_epochs as f64 * steps_per_epoch as f64).max(1.0);
        match resumed_average.take() {
            // One update per step of every finished epoch.
            Some(avg) => {
                WeightAverage::resume(avg, decay, (state.next_epoch * steps_per_epoch) as u64)
            }
            None => WeightAverage::new(&model, decay),
        }
    });

    for epoch in state.next_epoch..opts.epochs {
        let t0 = Instant::now();
        let mut rng =
            StdRng::seed_from_u64(opts.seed.wrapping_mul(1_000_003).wrapping_add(epoch as u64));
        let draws = epoch_draws(&by_label, opts, opts.balance_at(epoch), &mut rng);
        let feats = crop_features(train_clips, &by_label, &draws, &params, opts, rng.random());
        let mut order: Vec<usize> = (0..draws.len()).collect();
        rand::seq::SliceRandom::shuffle(order.as_mut_slice(), &mut rng);
        let bar = (!quiet).then(|| {
            let b = indicatif::ProgressBar::new(steps_per_epoch as u64);
            b.set_style(
                indicatif::ProgressStyle::with_template(
                    "epoch {prefix} [{bar:30}] {pos}/{len} batches, loss {msg} ({eta} left in epoch)",
                )
                .unwrap()
                .progress_chars("=> "),
            );
            b.set_prefix(format!("{}/{}", epoch + 1, opts.epochs));
            b
        });
        let (mut loss_sum, mut correct, mut seen) = (0.0f64, 0.0f64, 0usize);
        let mut lr = opts.learning_rate;
        for (step, idx) in order.chunks(opts.batch_size).enumerate() {
            let global = epoch * steps_per_epoch + step;
            lr = opts.learning_rate * (1.0 - global as f64 / total_steps as f64).max(0.0).powi(2);
            let batch: Vec<&Features> = idx.iter().map(|&i| &feats[i]).collect();
            let labels: Vec<usize> = idx.iter().map(|&i| train_clips[draws[i]].label).collect();
            let n = batch.len();
            let mut images = normalised_images(&batch, cfg, &norm);
            if opts.key_shift {
                key_shift(&mut images, n, cfg, &mut rng);
            }
            if opts.spec_augment {
                spec_augment(&mut images, n, cfg, &mut rng);
            }
            if opts.head_dropout > 0.0 {
                head_dropout(&mut images, n, cfg, opts.head_dropout, &mut rng);
            }
            if opts.embedding_noise > 0.0 {
                embedding_noise(&mut images, cfg, opts.embedding_noise, &mut rng);
            }
            let mut targets = smoothed_targets(&labels, k, &class_w, opts.label_smoothing);
            if opts.mixup_alpha > 0.0 && n > 1 {
                let lam = beta(opts.mixup_alpha, &mut rng);
                let mut perm: Vec<usize> = (0..n).collect();
                rand::seq::SliceRandom::shuffle(perm.as_mut_slice(), &mut rng);
                for ((img, &bands), &head) in
                    images.iter_mut().zip(&cfg.input_heights).zip(&cfg.heads)
                {
                    let per = bands * cfg.head_frames(head);
                    let orig = img.clone();
                    for i in 0..n {
                        let (a, b) = (
                            &orig[i * per..(i + 1) * per],
                            &orig[perm[i] * per..(perm[i] + 1) * per],
                        );
                        for (o, (x, y)) in
                            img[i * per..(i + 1) * per].iter_mut().zip(a.iter().zip(b))
                        {
                            *o = lam * x + (1.0 - lam) * y;
                        }
                    }
                }
                let orig = targets.clone();
                for i in 0..n {
                    let w = remix_weight(
                        lam,
                        label_counts[labels[i]],
                        label_counts[labels[perm[i]]],
                        opts.remix_kappa,
                        opts.remix_tau,
                    );
                    for c in 0..k {
                        targets[i * k + c] =
                            w * orig[i * k + c] + (1.0 - w) * orig[perm[i] * k + c];
                    }
                }
            }
            let input = images_to_input(images, n, cfg, &ad);
            let target = Tensor::<2>::from_data(TensorData::new(targets, [n, k]), &ad);
            let logits = model.forward(input);
            let loss = -(log_softmax(logits.clone(), 1) * target).sum_dim(1).mean();
            let loss_value: f32 = loss.clone().into_scalar();
            if !loss_value.is_finite() {
                if let Some(b) = &bar {
                    b.abandon();
                }
                bail!(
                    "the training loss became {loss_value} at epoch {} step {step}: stopping. The last good \
                     checkpoint (end of epoch {}) is kept in {}; try a lower --learning-rate",
                    epoch + 1,
                    epoch,
                    checkpoint_dir.display()
                );
            }
            let pred = logits.argmax(1).into_data();
            let pred = pred.iter::<i64>().collect::<Vec<_>>();
            correct += pred
                .iter()
                .zip(&labels)
                .filter(|(p, l)| **p as usize == **l)
                .count() as f64;
            loss_sum += loss_value as f64 * n as f64;
            seen += n;
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optim.step(lr, model, grads);
            if let Some(avg) = average.as_mut() {
                avg.update(&model);
            }
            if let Some(b) = &bar {
                b.set_message(format!("{:.3}", loss_sum / seen as f64));
                b.inc(1);
            }
        }
        if let Some(b) = bar {
            b.finish_and_clear();
        }
        let eval_model = match &average {
            Some(avg) => avg.model().clone(),
            None => model.valid(),
        };
        let eval_model = if opts.logit_adjust > 0.0 {
            eval_model.with_logit_offsets(&offsets)
        } else {
            eval_model
        };
        let (vl, vs, vt, vb) = evaluate_clips(&eval_model, valid, &norm, device);
        let stats = EpochStats {
            epoch: epoch + 1,
            train_loss: (loss_sum / seen.max(1) as f64) as f32,
            train_accuracy: (correct / seen.max(1) as f64) as f32,
            valid_loss: vl,
            valid_segment_accuracy: vs,
            valid_track_accuracy: vt,
            valid_balanced_accuracy: vb,
            learning_rate: lr,
            seconds: t0.elapsed().as_secs_f32(),
        };
        // Best = highest valid track accuracy, ties broken by lower valid loss.
        let score = if valid.is_empty() {
            (epoch as f32, 0.0)
        } else {
            (vt, -vl)
        };
        let improved = score > state.best_score;
        if improved {
            state.best_score = score;
            state.best_epoch = epoch + 1;
            save_atomically(&eval_model, checkpoint_dir, "best.bpk", "the best model")?;
        }
        if !quiet {
            let done = epoch + 1 - state.history.first().map_or(0, |h| h.epoch - 1);
            let per_epoch = started.elapsed().as_secs_f32() / done.max(1) as f32;
            // No valid clips (a cross-validation fold trains on everything but its own fold):
            // no valid figures to print, and no "best".
            let valid_part = if valid.is_empty() {
                String::new()
            } else {
                format!(
                    "  valid loss {vl:.3} seg {:.1}% track {:.1}% balanced {:.1}%",
                    100.0 * vs,
                    100.0 * vt,
                    100.0 * vb
                )
            };
            eprintln!(
                "epoch {:>3}/{}  train loss {:.3} acc {:.1}%{valid_part}  {:.0}s{}  (≤ {:.0} min left)",
                epoch + 1,
                opts.epochs,
                stats.train_loss,
                100.0 * stats.train_accuracy,
                stats.seconds,
                if improved && !valid.is_empty() {
                    "  *best*"
                } else {
                    ""
                },
                per_epoch * (opts.epochs - epoch - 1) as f32 / 60.0
            );
        }
        state.history.push(stats);
        state.next_epoch = epoch + 1;
        // Checkpoint: model, optimizer, then the state that names them (all written atomically).
        if let Some(avg) = &average {
            save_atomically(
                avg.model(),
                checkpoint_dir,
                "average.bpk",
                "the weight average",
            )?;
        }
        model
            .clone()
            .save_file(checkpoint_dir.join("last.bpk.tmp"))
            .map_err(|e| anyhow::anyhow!("cannot save the checkpoint: {e}"))?;
        optim
            .save(checkpoint_dir.join("optim.bpk.tmp"))
            .map_err(|e| anyhow::anyhow!("cannot save the optimizer: {e}"))?;
        std::fs::rename(
            checkpoint_dir.join("last.bpk.tmp"),
            checkpoint_dir.join("last.bpk"),
        )?;
        std::fs::rename(
            checkpoint_dir.join("optim.bpk.tmp"),
            checkpoint_dir.join("optim.bpk"),
        )?;
        std::fs::write(
            checkpoint_dir.join("state.json.tmp"),
            serde_json::to_vec_pretty(&state)?,
        )?;
        std::fs::rename(checkpoint_dir.join("state.json.tmp"), &state_file)?;
        if !valid.is_empty() && epoch + 1 - state.best_epoch >= opts.patience {
            if !quiet {
                eprintln!(
                    "early stop: no better validation score for {} epochs",
                    opts.patience
                );
            }
            break;
        }
    }
    let best = GenreCnn::new(cfg, device)
        .try_load_record(
            ModuleRecord::load(checkpoint_dir.join("best.bpk"))
                .map_err(|e| anyhow::anyhow!("cannot read the best model: {e}"))?,
        )
        .map_err(|e| anyhow::anyhow!("cannot load the best model: {e}"))?
        .valid();
    Ok(TrainOutcome {
        model: best,
        normalisation: norm,
        history: state.history,
        best_epoch: state.best_epoch,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::options::test_options;
    use genre::features::PcenParams;

    #[test]
    fn late_balance_applies_only_to_the_last_epochs() {
        let mut o = test_options();
        o.epochs = 10;
        o.balance = 0.5;
        o.late_balance = 1.0;
        assert_eq!(o.balance_at(9), 0.5, "off while late_balance_epochs is 0");
        o.late_balance_epochs = 3;
        let b: Vec<f32> = (0..10).map(|e| o.balance_at(e)).collect();
        assert_eq!(b, [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 1.0, 1.0, 1.0]);
    }

    #[test]
    fn recipe_notes_name_only_what_is_switched_on() {
        let mut o = test_options();
        o.crops_per_clip = 8;
        o.overlap = true;
        o.balance = 0.5;
        o.mixup_alpha = 0.0;
        o.spec_augment = false;
        o.head_dropout = 0.0;
        o.key_shift = false;
        o.speed = 0.0;
        o.speed_semitones = 0;
        o.gain_db = 0.0;
        o.tilt_db = 0.0;
        o.logit_adjust = 0.0;
        o.label_smoothing = 0.0;
        o.ema_epochs = 0.0;
        o.class_weights = false;
        o.late_balance_epochs = 0;
        assert_eq!(
            o.recipe_notes(),
            "8 overlapping crops/clip/epoch, balance 0.5"
        );
        o.key_shift = true;
        o.gain_db = 6.0;
        o.speed = 0.1;
        o.ema_epochs = 2.0;
        assert_eq!(
            o.recipe_notes(),
            "8 overlapping crops/clip/epoch, balance 0.5, key shift, speed ±0.1, not chroma, \
             gain ±6 dB; weights averaged over ~2 epochs (EMA)"
        );
        o.speed_semitones = 2;
        o.speed_chroma = true;
        assert!(o.recipe_notes().contains("speed ±2 semitones, chroma too"));
        assert_eq!(o.feature_params(), FeatureParams::default());
        o.pcen = true;
        assert!(o.recipe_notes().starts_with("mel as PCEN, 8 overlapping"));
        assert_eq!(o.feature_params().pcen, Some(PcenParams::default()));
    }

    #[test]
    fn speed_changes_reach_the_chromagram_only_when_asked() {
        // An A (440 Hz) held for 6 s; crops played up to 3 semitones higher (up to C).
        let samples: Vec<f32> = (0..6 * 22_050)
            .map(|i| 0.5 * (2.0 * std::f32::consts::PI * 440.0 * i as f32 / 22_050.0).sin())
            .collect();
        let clips = [TrainClip {
            label: 0,
            samples,
            grid: vec![],
        }];
        let draws = vec![0usize; 24];
        let params = FeatureParams::default();
        let mut o = test_options();
        o.speed_semitones = 3;
        let top_pitch_classes = |o: &TrainOptions| -> Vec<usize> {
            crop_features(&clips, &clips_by_label(&clips, 1), &draws, &params, o, 5)
                .iter()
                .map(|f| {
                    // the pitch class with the most energy over the crop
                    let t = f.n_frames;
                    let sums: Vec<f32> = (0..12)
                        .map(|b| f.chroma[b * t..(b + 1) * t].iter().sum())
                        .collect();
                    genre::inference::argmax(&sums)
                })
                .collect()
        };
        let a = 9; // C = 0 … A = 9
        assert!(
            top_pitch_classes(&o).iter().all(|&p| p == a),
            "chroma moved without --speed-chroma"
        );
        o.speed_chroma = true;
        let moved = top_pitch_classes(&o).iter().filter(|&&p| p != a).count();
        assert!(
            moved >= 8,
            "only {moved} of 24 crops moved off A with --speed-chroma"
        );
    }

    #[test]
    fn smoothed_targets_keep_each_row_on_its_label_and_sum_to_its_weight() {
        let t = smoothed_targets(&[2, 0], 4, &[1.0, 1.0, 2.0, 1.0], 0.2);
        let expect = [0.1, 0.1, 1.7, 0.1, 0.85, 0.05, 0.05, 0.05];
        for (a, b) in t.iter().zip(expect) {
            assert!((a - b).abs() < 1e-6, "{t:?}");
        }
        // ε = 0 is the one-hot target.
        assert_eq!(
            smoothed_targets(&[1], 3, &[1.0; 3], 0.0),
            vec![0.0, 1.0, 0.0]
        );
    }
}
