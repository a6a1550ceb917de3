//! End-to-end runs of the trainer binary on small data: generated signals and, when
//! ../shared/data is there, a few real GTZAN clips. Each checks something that breaks when
//! features, model, loss, split, checkpointing or export are wired wrong.

#[path = "../../tests/support/paths.rs"]
mod paths;

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

fn trainer() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_trainer"));
    c.env_remove("GTZAN_DIR");
    c
}

fn ok(out: Output) -> String {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "trainer failed:\n{text}");
    text
}

/// A short run of the seed model (the conv heads, no pretrained front end) on `data`.
fn small_run_args(data: &Path, out: &Path, epochs: usize) -> Vec<String> {
    [
        "--heads",
        "chroma,mel,mfcc",
        "--data",
        data.to_str().unwrap(),
        "--split",
        "random",
        "--seed",
        "3",
        "--backend",
        "flex",
        "--epochs",
        &epochs.to_string(),
        "--crops",
        "4",
        "--batch-size",
        "8",
        "--channels",
        "4,8,16",
        "--hidden",
        "16",
        "--mixup",
        "0",
        "--no-spec-augment",
        // the generated classes differ in key, which transposing the chromagram would hide
        "--no-key-shift",
        "--patience",
        "100",
        "--out",
        out.to_str().unwrap(),
        "--no-install",
        "--no-cache",
        "--quiet",
        "--synthetic",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn report(out: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap()
}

fn synth(dir: &Path, classes: usize, per_class: usize) {
    ok(trainer()
        .args([
            "synth",
            "--out",
            dir.to_str().unwrap(),
            "--classes",
            &classes.to_string(),
        ])
        .args(["--per-class", &per_class.to_string(), "--seconds", "4"])
        .output()
        .unwrap());
}

#[test]
fn trains_on_generated_signals_exports_and_classifies() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    synth(&data, 3, 6);
    // a corrupt file is reported and skipped, never fatal
    std::fs::write(
        data.join("slow-c-major-pure").join("broken.wav"),
        b"RIFF....not a wave",
    )
    .unwrap();
    let out = tmp.path().join("run");
    let log = ok(trainer()
        .args(small_run_args(&data, &out, 6))
        // the generated classes differ mostly in timbre, i.e. in the average spectrum that
        // centring removes; the real-clip test below runs the centred default
        .args(["--centre", "none"])
        .output()
        .unwrap());
    assert!(
        log.contains("skipped") && log.contains("broken.wav"),
        "{log}"
    );

    let r = report(&out);
    let hist = r["history"].as_array().unwrap();
    assert_eq!(hist.len(), 6);
    let first = hist[0]["train_loss"].as_f64().unwrap();
    let last = hist[5]["train_loss"].as_f64().unwrap();
    assert!(
        last < 0.8 * first,
        "training loss did not fall: {first} → {last}"
    );

    // the manifest's labels are the folder's, in order, and it says it is not music
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    let labels: Vec<&str> = manifest["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    let mut dirs: Vec<String> = std::fs::read_dir(&data)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    dirs.sort();
    assert_eq!(labels, dirs);
    assert_eq!(manifest["trained_on"]["real_music"], Value::Bool(false));

    for name in [
        "loss.png",
        "accuracy.png",
        "confusion-valid.png",
        "report.txt",
        "model.genre",
    ] {
        assert!(out.join(name).is_file(), "{name} missing");
    }

    // classify prints the model's labels for a file of each class
    let file = data
        .join(labels[1])
        .join(format!("{}.00000.wav", labels[1]));
    let text = ok(trainer()
        .args([
            "classify",
            "--json",
            "--model",
            out.join("model.genre").to_str().unwrap(),
            file.to_str().unwrap(),
        ])
        .output()
        .unwrap());
    let line: Value =
        serde_json::from_str(text.lines().find(|l| l.starts_with('{')).unwrap()).unwrap();
    assert_eq!(line["labels"].as_array().unwrap().len(), 3);
    assert!(labels.contains(&line["top"].as_str().unwrap()));
    let p: f64 = line["probabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .sum();
    assert!((p - 1.0).abs() < 1e-4);

    // evaluate prints one JSON line of metrics
    let text = ok(trainer()
        .args([
            "evaluate",
            "--model",
            out.join("model.genre").to_str().unwrap(),
            "--data",
            data.to_str().unwrap(),
        ])
        .args(["--split", "valid", "--split-mode", "random", "--seed", "3"])
        .output()
        .unwrap());
    let m: Value = serde_json::from_str(text.trim()).unwrap();
    assert_eq!(m["split"], "valid");
    assert!(m["track_accuracy"]["value"].as_f64().unwrap() >= 0.0);
}

#[test]
fn cross_validation_records_its_figures_in_a_model_now_or_later() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    synth(&data, 3, 6);
    let model = tmp.path().join("model");
    ok(trainer()
        .args(small_run_args(&data, &model, 1))
        .output()
        .unwrap());
    let cv_out = tmp.path().join("cv");
    let mut args = small_run_args(&data, &cv_out, 1);
    args.splice(0..0, ["cv".to_string()]);
    args.extend(["--folds", "3", "--record-in", model.to_str().unwrap()].map(String::from));
    let log = ok(trainer().args(&args).output().unwrap());
    assert!(
        log.contains("3-fold cross-validation by clip (pooled)"),
        "{log}"
    );
    let cv: Value =
        serde_json::from_slice(&std::fs::read(cv_out.join("cv.json")).unwrap()).unwrap();
    let manifest = |dir: &Path| -> Value {
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap()
    };
    let pooled_track = cv["pooled"]["track_accuracy"]["value"].as_f64().unwrap();
    let pooled_balanced = cv["pooled"]["balanced_accuracy"].as_f64().unwrap();
    let scores = &manifest(&model)["scores"];
    assert_eq!(scores["cv_track_accuracy"].as_f64(), Some(pooled_track));
    assert_eq!(
        scores["cv_balanced_accuracy"].as_f64(),
        Some(pooled_balanced)
    );
    assert_eq!(cv["folds"].as_array().unwrap().len(), 3);
    assert_eq!(cv["grouping"], "clip");

    // Later, into a copy of the model without them: from the report alone, no data, no training.
    let later = tmp.path().join("later");
    std::fs::create_dir_all(&later).unwrap();
    let bytes = std::fs::read(model.join("model.genre")).unwrap();
    let (mut m, _) = genre::inference::decode_model_file(&bytes).unwrap();
    m.scores.cv_track_accuracy = None;
    m.scores.cv_balanced_accuracy = None;
    let stripped = genre::inference::replace_manifest(&bytes, &m).unwrap();
    std::fs::write(later.join("model.genre"), stripped).unwrap();
    let log = ok(trainer()
        .args(["cv", "--from", cv_out.join("cv.json").to_str().unwrap()])
        .args(["--record-in", later.to_str().unwrap()])
        .output()
        .unwrap());
    assert_eq!(manifest(&later)["scores"], manifest(&model)["scores"]);
    // the calibration is fitted again on the folds' held-out predictions beside the report: the
    // same predictions, the same rule, the same temperature
    assert!(
        log.contains("calibration fitted again on the 18 held-out clips"),
        "{log}"
    );
    assert!(
        manifest(&model)["calibration"]["temperature"]
            .as_f64()
            .is_some()
    );
    assert_eq!(
        manifest(&later)["calibration"],
        manifest(&model)["calibration"]
    );
    // a report alone (no fold results beside it) is recorded with the calibration it holds
    let alone = tmp.path().join("alone");
    std::fs::create_dir_all(&alone).unwrap();
    let mut odd = cv.clone();
    odd["calibration"]["temperature"] = Value::from(1.2345);
    std::fs::write(alone.join("cv.json"), odd.to_string()).unwrap();
    let log = ok(trainer()
        .args(["cv", "--from", alone.join("cv.json").to_str().unwrap()])
        .args(["--record-in", later.to_str().unwrap()])
        .output()
        .unwrap());
    assert!(log.contains("recorded as it is"), "{log}");
    let t = manifest(&later)["calibration"]["temperature"]
        .as_f64()
        .unwrap();
    assert!((t - 1.2345).abs() < 1e-6, "{t}");
    ok(trainer()
        .args(["cv", "--from", cv_out.join("cv.json").to_str().unwrap()])
        .args(["--record-in", later.to_str().unwrap()])
        .output()
        .unwrap());
    // the model file itself carries them (the page reads that one)
    let (m, _) =
        genre::inference::decode_model_file(&std::fs::read(later.join("model.genre")).unwrap())
            .unwrap();
    assert_eq!(m.scores.cv_track_accuracy, Some(pooled_track));
    assert_eq!(m.scores.cv_balanced_accuracy, Some(pooled_balanced));

    // The page says "by clip": folds by blocks are never recorded, now or later.
    let before = std::fs::read(later.join("model.genre")).unwrap();
    let mut blocks_args = args.clone();
    blocks_args.extend(["--grouping", "blocks"].map(String::from));
    let out = trainer().args(&blocks_args).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("only cross-validation by clip"));
    let mut blocks_cv = cv.clone();
    blocks_cv["grouping"] = Value::from("blocks");
    let blocks_json = tmp.path().join("blocks-cv.json");
    std::fs::write(&blocks_json, blocks_cv.to_string()).unwrap();
    let out = trainer()
        .args(["cv", "--from", blocks_json.to_str().unwrap()])
        .args(["--record-in", later.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_eq!(std::fs::read(later.join("model.genre")).unwrap(), before);
}

/// Folds trained two at a time in child processes give exactly the predictions of one after the
/// other; a rerun with --resume keeps finished folds, trains only what is missing, and refuses
/// folds made by another plan.
#[test]
fn cross_validation_in_parallel_and_resumed_gives_the_same_figures() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    synth(&data, 3, 6);
    let cv_args = |out: &Path, folds: &str| {
        let mut a = small_run_args(&data, out, 6);
        a.insert(0, "cv".to_string());
        a.extend(["--folds", folds].map(String::from));
        a
    };
    let held = |out: &Path, fold: usize| -> Value {
        let r: Value = serde_json::from_slice(
            &std::fs::read(out.join(format!("cv-fold{fold}/result.json"))).unwrap(),
        )
        .unwrap();
        r["held"].clone()
    };
    let pooled = |out: &Path| -> Value {
        let v: Value =
            serde_json::from_slice(&std::fs::read(out.join("cv.json")).unwrap()).unwrap();
        v["pooled"].clone()
    };
    let one = tmp.path().join("one");
    ok(trainer().args(cv_args(&one, "3")).output().unwrap());
    let two = tmp.path().join("two");
    let mut par = cv_args(&two, "3");
    par.extend(["--jobs", "2"].map(String::from));
    let log = ok(trainer().args(&par).output().unwrap());
    assert!(
        log.contains("2 at a time") && log.contains("fold 3 | "),
        "{log}"
    );
    for f in 1..=3 {
        let h = held(&one, f);
        assert_eq!(
            h.as_array().unwrap().len(),
            6,
            "fold {f} holds out 2 clips per label"
        );
        assert_eq!(
            h,
            held(&two, f),
            "fold {f}: the same predictions either way"
        );
    }
    assert_eq!(pooled(&one), pooled(&two));

    // Fold 2 lost (as if the run had stopped before it): --resume trains only that one.
    std::fs::remove_dir_all(two.join("cv-fold2")).unwrap();
    let mut again = par.clone();
    again.retain(|a| a != "--quiet");
    again.push("--resume".into());
    let log = ok(trainer().args(&again).output().unwrap());
    assert!(
        log.contains("fold 1: finished earlier, kept")
            && log.contains("fold 3: finished earlier, kept")
            && log.contains("1 to train")
            && !log.contains("fold 1 | "),
        "{log}"
    );
    assert_eq!(held(&two, 2), held(&one, 2));
    assert_eq!(pooled(&two), pooled(&one));

    // Another plan (2 folds) must not reuse these folds.
    let mut other = cv_args(&two, "2");
    other.push("--resume".into());
    let out = trainer().args(&other).output().unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("another cross-validation"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn an_interrupted_run_resumes_where_it_stopped() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    synth(&data, 2, 5);
    let out = tmp.path().join("run");
    let mut args = small_run_args(&data, &out, 40);
    // The weight average is part of the checkpoint too.
    args.extend(["--ema-epochs".to_string(), "1".to_string()]);
    let mut child = trainer().args(&args).spawn().unwrap();
    let state = out.join("checkpoint").join("state.json");
    let t0 = std::time::Instant::now();
    loop {
        if let Ok(bytes) = std::fs::read(&state)
            && let Ok(v) = serde_json::from_slice::<Value>(&bytes)
            && v["next_epoch"].as_u64().unwrap_or(0) >= 2
        {
            break;
        }
        assert!(t0.elapsed().as_secs() < 300, "no checkpoint after 300 s");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap(); // like Ctrl-C or a power cut: no clean-up runs
    child.wait().unwrap();
    let done: Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    let stopped_at = done["next_epoch"].as_u64().unwrap();
    assert!(
        stopped_at < 40,
        "the run finished before it could be interrupted"
    );

    let mut resumed = args.clone();
    resumed.retain(|a| a != "--quiet");
    resumed.push("--resume".into());
    let log = ok(trainer().args(&resumed).output().unwrap());
    assert!(
        log.contains(&format!("resuming at epoch {}", stopped_at + 1)),
        "{log}"
    );
    let hist = report(&out)["history"].as_array().unwrap().clone();
    let epochs: Vec<u64> = hist.iter().map(|h| h["epoch"].as_u64().unwrap()).collect();
    assert_eq!(
        epochs,
        (1..=40).collect::<Vec<_>>(),
        "history must continue without a gap or repeat"
    );

    // different options refuse to resume
    let mut other = args.clone();
    other.push("--resume".into());
    let pos = other.iter().position(|a| a == "--hidden").unwrap();
    other[pos + 1] = "8".into();
    let out2 = trainer().args(&other).output().unwrap();
    assert!(!out2.status.success());
    assert!(String::from_utf8_lossy(&out2.stderr).contains("other options"));
}

#[test]
fn missing_data_folder_explains_gtzan() {
    let out = trainer()
        .args(["--data", "/no/such/gtzan", "--no-install"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("/no/such/gtzan") && err.contains("GTZAN") && err.contains("layout")
            || err.contains("ROOT/blues"),
        "{err}"
    );
    let out = trainer().arg("--no-install").output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--data"));
}

/// The real-data recipe on a few clips: artist-filtered lists (via symlinks, nothing copied
/// into the project), one short run, the loss falls and the manifest says what it saw.
/// Links 3 train and 1 valid clip of blues, classical and metal of the shared GTZAN folder into
/// `tmp/gtzan`; returns that folder and the split lists' folder (`None`, after a note, without the
/// shared data).
fn gtzan_subset(tmp: &Path) -> Option<(std::path::PathBuf, std::path::PathBuf)> {
    let gtzan = paths::shared_data_if_present("gtzan")?;
    let data = tmp.join("gtzan");
    let lists = gtzan.join("../splits");
    let read = |name: &str| -> Vec<String> {
        std::fs::read_to_string(lists.join(name))
            .unwrap()
            .lines()
            .map(String::from)
            .collect()
    };
    let (train, valid) = (read("train_filtered.txt"), read("valid_filtered.txt"));
    let mut wanted = Vec::new();
    for g in GENRES {
        wanted.extend(train.iter().filter(|t| t.starts_with(g)).take(3).cloned());
        wanted.extend(valid.iter().filter(|t| t.starts_with(g)).take(1).cloned());
    }
    for id in &wanted {
        let genre = id.split('.').next().unwrap();
        std::fs::create_dir_all(data.join(genre)).unwrap();
        std::os::unix::fs::symlink(
            gtzan.join(genre).join(format!("{id}.ogg")),
            data.join(genre).join(format!("{id}.ogg")),
        )
        .unwrap();
    }
    Some((data, lists))
}

const GENRES: [&str; 3] = ["blues", "classical", "metal"];

#[test]
fn the_seed_recipe_runs_on_a_few_real_gtzan_clips() {
    let tmp = tempfile::tempdir().unwrap();
    let Some((data, lists)) = gtzan_subset(tmp.path()) else {
        return;
    };
    let genres = GENRES;
    let out = tmp.path().join("run");
    ok(trainer()
        .args([
            "--heads",
            "chroma,mel,mfcc",
            "--data",
            data.to_str().unwrap(),
            "--split-dir",
            lists.to_str().unwrap(),
            "--backend",
            "flex",
        ])
        // three genre folders are not the ten of GTZAN, so the 5-file minimum would apply
        .args(["--min-files", "3"])
        .args([
            "--epochs",
            "4",
            "--crops",
            "6",
            "--batch-size",
            "8",
            "--mixup",
            "0",
            "--no-spec-augment",
        ])
        .args([
            "--out",
            out.to_str().unwrap(),
            "--no-install",
            "--no-cache",
            "--quiet",
            "--patience",
            "100",
        ])
        .output()
        .unwrap());
    let r = report(&out);
    let hist = r["history"].as_array().unwrap();
    let first = hist[0]["train_loss"].as_f64().unwrap();
    let last = hist.last().unwrap()["train_loss"].as_f64().unwrap();
    assert!(
        last < first,
        "loss did not fall on real clips: {first} → {last}"
    );
    let m: Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["labels"], serde_json::json!(genres));
    assert_eq!(m["trained_on"]["train_files"]["blues"], 3);
    assert_eq!(m["trained_on"]["valid_files"]["metal"], 1);
    assert_eq!(m["trained_on"]["real_music"], true);
}

#[test]
fn the_pretrained_front_end_trains_exports_and_classifies_real_clips() {
    let tmp = tempfile::tempdir().unwrap();
    let Some((data, lists)) = gtzan_subset(tmp.path()) else {
        return;
    };
    let out = tmp.path().join("run");
    ok(trainer()
        .args([
            "--data",
            data.to_str().unwrap(),
            "--split-dir",
            lists.to_str().unwrap(),
        ])
        .args([
            "--backend",
            "flex",
            "--min-files",
            "3",
            "--heads",
            "musicnn",
            "--hidden",
            "0",
        ])
        .args([
            "--epochs",
            "3",
            "--crops",
            "8",
            "--batch-size",
            "8",
            "--learning-rate",
            "1e-2",
        ])
        .args([
            "--out",
            out.to_str().unwrap(),
            "--no-install",
            "--no-cache",
            "--quiet",
        ])
        .output()
        .unwrap());
    let r = report(&out);
    let hist = r["history"].as_array().unwrap();
    assert_eq!(hist.len(), 3);
    let first = hist[0]["train_loss"].as_f64().unwrap();
    let last = hist[2]["train_loss"].as_f64().unwrap();
    assert!(
        last < first,
        "loss did not fall with the front end: {first} → {last}"
    );
    // the embedding knows these genres after 27 training steps: most of the 30 valid segments (one
    // clip per genre) are recognised, where a guess gets a third
    let valid = hist[2]["valid_segment_accuracy"].as_f64().unwrap();
    assert!(
        valid >= 0.6,
        "valid segment accuracy {valid} on blues, classical and metal"
    );

    // the model file carries the front end, and says where it comes from
    let m: Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["format_version"], 2);
    assert_eq!(m["front_end"]["name"], "MSD_musicnn");
    assert!(
        m["front_end"]["licence"]
            .as_str()
            .unwrap()
            .starts_with("ISC")
    );
    assert!(
        m["front_end"]["source"]
            .as_str()
            .unwrap()
            .contains("musicnn 0.1.0")
    );
    assert_eq!(m["front_end"]["weights_sha256"].as_str().unwrap().len(), 64);
    let model = out.join("model.genre");
    let bytes = std::fs::metadata(&model).unwrap().len();
    assert!(
        (2_000_000..2_600_000).contains(&bytes),
        "model file of {bytes} bytes"
    );

    // `trainer classify` runs the song pipeline with the front end: the valid metal clip is metal,
    // and its tags are metal's
    let metal = std::fs::read_dir(data.join("metal"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            let id = p.file_stem().unwrap().to_str().unwrap().to_string();
            std::fs::read_to_string(lists.join("valid_filtered.txt"))
                .unwrap()
                .lines()
                .any(|l| l == id)
        })
        .unwrap();
    let text = ok(trainer()
        .args([
            "classify",
            "--json",
            "--model",
            model.to_str().unwrap(),
            metal.to_str().unwrap(),
        ])
        .output()
        .unwrap());
    let line: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(line["top"], "metal", "{line}");
    let tags: Vec<&str> = line["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t[0].as_str().unwrap())
        .collect();
    assert!(
        tags.iter()
            .any(|t| t.contains("metal") || *t == "hard rock"),
        "tags of a metal clip: {tags:?}"
    );
}

#[test]
fn a_music_folder_as_people_keep_it_trains() {
    // Label/Artist/Album/NN - Title.wav, the same track names in every album and label
    let tmp = tempfile::tempdir().unwrap();
    let flat = tmp.path().join("flat");
    synth(&flat, 2, 8);
    let data = tmp.path().join("music");
    for label in std::fs::read_dir(&flat).unwrap().map(|e| e.unwrap().path()) {
        let mut files: Vec<_> = std::fs::read_dir(&label)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for (i, f) in files.iter().enumerate() {
            let album = data
                .join(label.file_name().unwrap())
                .join(format!("Artist {}", i / 4))
                .join("Album");
            std::fs::create_dir_all(&album).unwrap();
            std::fs::rename(f, album.join(format!("{:02} - Intro.wav", i % 4 + 1))).unwrap();
        }
        std::fs::write(
            data.join(label.file_name().unwrap()).join("cover.jpg"),
            b"not audio",
        )
        .unwrap();
    }
    let out = tmp.path().join("run");
    ok(trainer()
        .args(small_run_args(&data, &out, 1))
        .output()
        .unwrap());
    let m: Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    let files = |side: &str| -> u64 {
        m["trained_on"][side]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_u64().unwrap())
            .sum()
    };
    // every one of the 16 tracks is used (none lost to a name clash), whole artists per side
    assert_eq!(
        files("train_files") + files("valid_files") + m_test(&out),
        16
    );
    let split = m["trained_on"]["split"].as_str().unwrap();
    assert!(split.contains("sub-folder"), "{split}");
    // the scan says what it found and skipped (not --quiet)
    let text = ok(trainer()
        .args(
            small_run_args(&data, &tmp.path().join("run2"), 1)
                .into_iter()
                .filter(|a| a != "--quiet"),
        )
        .output()
        .unwrap());
    assert!(
        text.contains("files per label") && text.contains("8 (8 in sub-folders)"),
        "{text}"
    );
    assert!(
        text.contains("skipped 2 files that are not audio"),
        "{text}"
    );
}

/// Test tracks of a run (its report's test metrics, 0 without).
fn m_test(out: &Path) -> u64 {
    let r = report(out);
    r["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["split"] == "test")
        .map_or(0, |m| m["tracks"].as_u64().unwrap())
}
