//! A saved-and-reloaded model gives identical logits, and broken model files are refused
//! with a message that says what is wrong.
// burn-ndarray is deprecated upstream but is the CPU fallback the page keeps selectable.
#![allow(deprecated)]
// Native: the browser's side of the same checks is tests/wasm_model.rs (logits_sync blocks).
#![cfg(not(target_arch = "wasm32"))]

use burn::module::Module;
use burn::tensor::{Device, Tensor, TensorData};
use genre::features::{FeatureExtractor, FeatureParams, PcenParams};
use genre::inference::{
    BandStats, Classifier, FORMAT_NAME, FORMAT_VERSION, LoadError, Manifest, Normalisation, Scores,
    TrainedOn, decode_model_file, encode_model_file, replace_manifest,
};
use genre::model::{Fusion, GenreCnn, HeadKind, ModelConfig, ModelInput};

fn manifest(config: &ModelConfig) -> Manifest {
    Manifest {
        format: FORMAT_NAME.into(),
        format_version: FORMAT_VERSION,
        labels: (0..config.n_classes).map(|i| format!("label{i}")).collect(),
        features: FeatureParams::default(),
        model: config.clone(),
        normalisation: Normalisation {
            heads: config
                .heads
                .iter()
                .zip(&config.input_heights)
                .map(|(&head, &h)| BandStats {
                    head,
                    mean: vec![0.1; h],
                    std: vec![2.0; h],
                })
                .collect(),
        },
        trained_on: TrainedOn {
            dataset: "test".into(),
            real_music: false,
            train_files: Default::default(),
            valid_files: Default::default(),
            split: "none".into(),
            date: "2026-01-01".into(),
            notes: String::new(),
        },
        scores: Scores::default(),
        front_end: None,
        calibration: None,
    }
}

fn tone(freq: f32, n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| 0.3 * (2.0 * std::f32::consts::PI * freq * i as f32 / 22_050.0).sin())
        .collect()
}

#[test]
fn logit_offsets_shift_each_class_logit_and_survive_the_model_file() {
    let device = Device::ndarray();
    let config = ModelConfig::new(4, &HeadKind::SEED, Fusion::Concat);
    let model = GenreCnn::new(&config, &device).valid();
    let m = manifest(&config);
    let mut fx = FeatureExtractor::new(FeatureParams::default());
    let feats: Vec<_> = [220.0, 3000.0]
        .iter()
        .map(|&f| fx.compute(&tone(f, 66_150)))
        .collect();
    let refs: Vec<_> = feats.iter().collect();
    let input = || genre::inference::build_input(&refs, &config, &m.normalisation, &device);
    let plain = model.forward(input()).into_data().to_vec::<f32>().unwrap();
    let offsets = [1.5f32, -0.25, 0.0, -3.0];
    let shifted = model.with_logit_offsets(&offsets);
    let bytes = encode_model_file(&m, shifted, None).unwrap();
    let reloaded = Classifier::from_bytes(&bytes, &device)
        .unwrap()
        .logits_sync(&refs);
    for (i, (a, b)) in plain.iter().zip(&reloaded).enumerate() {
        let want = a + offsets[i % 4];
        assert!((b - want).abs() < 1e-5, "logit {i}: {b} vs {want}");
    }
}

#[test]
fn reloaded_model_gives_identical_logits() {
    let time_pooled = || {
        let mut c = ModelConfig::new(4, &HeadKind::SEED, Fusion::Concat);
        c.time_pooled_heads = vec![HeadKind::Mel];
        c
    };
    let scaled = || {
        let mut c = ModelConfig::new(4, &HeadKind::SEED, Fusion::Concat);
        c.centred_heads = HeadKind::SEED.to_vec();
        c.scaled_heads = vec![HeadKind::Chroma, HeadKind::Mfcc];
        c
    };
    let max_pooled = || {
        let mut c = time_pooled();
        c.max_pooled_heads = vec![HeadKind::Chroma, HeadKind::Mel];
        c
    };
    let configs = [Fusion::Concat, Fusion::Average, Fusion::Sum]
        .map(|f| ModelConfig::new(4, &HeadKind::SEED, f))
        .into_iter()
        .chain([time_pooled(), scaled(), max_pooled()]);
    for config in configs {
        let fusion = config.fusion;
        let device = Device::ndarray();
        let model = GenreCnn::new(&config, &device);
        let m = manifest(&config);
        let mut fx = FeatureExtractor::new(FeatureParams::default());
        let feats: Vec<_> = [220.0, 1000.0, 3000.0]
            .iter()
            .map(|&f| fx.compute(&tone(f, 66_150)))
            .collect();
        let refs: Vec<_> = feats.iter().collect();
        let before = genre::inference::build_input(&refs, &config, &m.normalisation, &device);
        let logits_before = model.valid().forward(before).into_data();

        let bytes = encode_model_file(&m, model, None).unwrap();
        let clf = Classifier::from_bytes(&bytes, &device).unwrap();
        let logits_after = clf.logits_sync(&refs);
        assert_eq!(
            logits_before.as_slice::<f32>().unwrap(),
            &logits_after[..],
            "{fusion:?}"
        );
        assert_eq!(clf.labels(), &m.labels[..]);
    }
}

/// The fused embedding `[1, fused_width]` of one segment of a 440 Hz tone (model on ndarray).
fn tone_embedding(model: &GenreCnn) -> Tensor<2> {
    let config = model.config();
    let f = FeatureExtractor::new(FeatureParams::default()).compute(&tone(440.0, 66_150));
    let device = Device::ndarray();
    let input =
        genre::inference::build_input(&[&f], config, &manifest(config).normalisation, &device);
    model.embed(input)
}

#[test]
fn a_time_pooled_head_keeps_its_bands_apart() {
    // Default channels (4 blocks): mel 128 → 8 bands, chroma 12 → 1, MFCC 20 → 1.
    let mut config = ModelConfig::new(3, &HeadKind::SEED, Fusion::Concat);
    let e = config.embedding();
    assert_eq!(config.fused_width(), 3 * e);
    config.time_pooled_heads = HeadKind::SEED.to_vec();
    assert_eq!(config.fused_width(), 8 * e + e + e);
    config.validate().unwrap();
    // The model's fused embedding has that width.
    let model = GenreCnn::new(&config, &Device::ndarray()).valid();
    assert_eq!(tone_embedding(&model).dims(), [1, 10 * e]);
    // Sum and average need one width for every head.
    config.fusion = Fusion::Sum;
    assert!(
        config
            .validate()
            .unwrap_err()
            .contains("one embedding width")
    );
    config.time_pooled_heads = vec![HeadKind::Mfcc];
    config.validate().unwrap();
    config.time_pooled_heads = vec![HeadKind::Mel];
    config.heads = vec![HeadKind::Chroma];
    config.input_heights = vec![12];
    assert!(
        config
            .validate()
            .unwrap_err()
            .contains("not one of the model's heads")
    );
}

/// A max-pooled head's embedding is its channels' averages, then their maxima over the same
/// cells: twice the width, and every maximum at least its average (the blocks end in ReLU and
/// max-pool, so the map is not constant).
#[test]
fn a_max_pooled_head_adds_each_channels_maximum_beside_its_average() {
    let mut config = ModelConfig::new(3, &HeadKind::SEED, Fusion::Concat);
    let e = config.embedding();
    config.max_pooled_heads = vec![HeadKind::Chroma, HeadKind::Mel];
    config.time_pooled_heads = vec![HeadKind::Mel];
    // chroma 2e, mel 2 × 8 bands × e, MFCC e.
    assert_eq!(config.fused_width(), 2 * e + 16 * e + e);
    config.validate().unwrap();
    let device = Device::ndarray();
    let model = GenreCnn::new(&config, &device).valid();
    let emb = tone_embedding(&model).into_data().to_vec::<f32>().unwrap();
    assert_eq!(emb.len(), 19 * e);
    let (chroma, mel) = (&emb[..2 * e], &emb[2 * e..18 * e]);
    for (avg, max) in [chroma.split_at(e), mel.split_at(8 * e)] {
        assert!(
            avg.iter().zip(max).all(|(a, m)| m >= a),
            "max below average"
        );
        assert!(
            avg.iter().zip(max).any(|(a, m)| m > a),
            "max equals average everywhere"
        );
    }
    // The setting survives a model file; a max-pooled head must be one of the model's.
    let bytes = encode_model_file(&manifest(&config), model, None).unwrap();
    let clf = Classifier::from_bytes(&bytes, &device).unwrap();
    assert_eq!(clf.manifest.model.max_pooled_heads, config.max_pooled_heads);
    config.max_pooled_heads = vec![HeadKind::Mel];
    config.heads = vec![HeadKind::Chroma];
    config.input_heights = vec![12];
    config.time_pooled_heads.clear();
    assert!(
        config
            .validate()
            .unwrap_err()
            .contains("not one of the model's heads")
    );
}

#[test]
fn broken_model_files_are_refused_with_reasons() {
    let device = Device::ndarray();
    let config = ModelConfig::new(3, &[HeadKind::Mel], Fusion::Concat);
    let m = manifest(&config);
    let bytes = encode_model_file(&m, GenreCnn::new(&config, &device), None).unwrap();

    assert!(matches!(
        decode_model_file(b"hello, not a model"),
        Err(LoadError::NotAModel(_))
    ));
    assert!(matches!(
        decode_model_file(&bytes[..20]),
        Err(LoadError::NotAModel(_))
    ));
    // weights cut short
    let cut = Classifier::from_bytes(&bytes[..bytes.len() - 100], &device);
    assert!(matches!(cut, Err(LoadError::Weights(_))), "{:?}", cut.err());
    // a manifest whose labels do not fit the model
    let mut wrong = m.clone();
    wrong.labels.push("extra".into());
    let bad = encode_model_file(&wrong, GenreCnn::new(&config, &device), None).unwrap();
    let err = decode_model_file(&bad).unwrap_err();
    assert!(
        err.to_string()
            .contains("4 labels but the model has 3 outputs"),
        "{err}"
    );
    // weights of another architecture (narrower conv blocks: every weight has another shape)
    let mut other = ModelConfig::new(3, &[HeadKind::Mel], Fusion::Concat);
    other.channels = config.channels.iter().map(|c| c / 2).collect();
    let mut mm = manifest(&other);
    mm.model = config.clone();
    mm.normalisation = m.normalisation.clone();
    let swapped = encode_model_file(&mm, GenreCnn::new(&other, &device), None).unwrap();
    let e = Classifier::from_bytes(&swapped, &device);
    assert!(matches!(e, Err(LoadError::Weights(_))), "{:?}", e.err());
    // features this build does not compute, and PCEN parameters librosa would refuse
    for (features, says) in [
        (
            FeatureParams {
                n_mels: 64,
                ..FeatureParams::default()
            },
            "different features",
        ),
        (
            FeatureParams {
                pcen: Some(PcenParams {
                    power: 0.0,
                    ..PcenParams::default()
                }),
                ..FeatureParams::default()
            },
            "PCEN power",
        ),
    ] {
        let mut mf = m.clone();
        mf.features = features;
        let bad = encode_model_file(&mf, GenreCnn::new(&config, &device), None).unwrap();
        let err = decode_model_file(&bad).unwrap_err().to_string();
        assert!(err.contains(says), "{err}");
    }
}

#[test]
fn a_pcen_model_feeds_its_mel_head_pcen() {
    let device = Device::ndarray();
    let config = ModelConfig::new(3, &HeadKind::SEED, Fusion::Concat);
    let mut m = manifest(&config);
    m.features.pcen = Some(PcenParams::default());
    let bytes = encode_model_file(&m, GenreCnn::new(&config, &device), None).unwrap();
    let mut clf = Classifier::from_bytes(&bytes, &device).unwrap();
    assert_eq!(clf.manifest.features, m.features);
    let clip = tone(440.0, 66_150);
    let got = clf.segment_features(&clip, 0);
    let want = FeatureExtractor::new(m.features.clone()).compute(&clip);
    let db = FeatureExtractor::new(FeatureParams::default()).compute(&clip);
    assert_eq!(got, want);
    assert_ne!(got.mel_db, db.mel_db);
    // a manifest without the field (every model saved before it) reads as dB
    let json = serde_json::to_value(manifest(&config)).unwrap();
    assert!(json["features"].get("pcen").is_none());
}

#[test]
fn a_new_manifest_keeps_the_weights() {
    let device = Device::ndarray();
    let config = ModelConfig::new(3, &[HeadKind::Mel, HeadKind::Mfcc], Fusion::Concat);
    let m = manifest(&config);
    let bytes = encode_model_file(&m, GenreCnn::new(&config, &device), None).unwrap();
    let mut m2 = m.clone();
    m2.scores.cv_balanced_accuracy = Some(0.5);
    let bytes2 = replace_manifest(&bytes, &m2).unwrap();
    let (back, w2) = decode_model_file(&bytes2).unwrap();
    assert_eq!(back, m2);
    assert_eq!(
        w2,
        decode_model_file(&bytes).unwrap().1,
        "weights byte for byte"
    );
    assert!(
        back.summary().contains("cross-validated balanced 50%"),
        "{}",
        back.summary()
    );
    // a manifest that does not fit the weights' model is refused
    let mut bad = m.clone();
    bad.labels.pop();
    assert!(matches!(
        replace_manifest(&bytes, &bad),
        Err(LoadError::Manifest(_))
    ));
}

/// Two segments of sine images, one per head the config has, each value passed through `per_band`
/// (value, band index) so a test can give each band an offset or a gain.
fn sine_input(
    config: &ModelConfig,
    device: &Device,
    per_band: impl Fn(f32, usize) -> f32,
) -> ModelInput {
    let frames = config.frames;
    let image = |bands: usize, seed: f32| {
        let data: Vec<f32> = (0..2 * bands * frames)
            .map(|i| per_band((seed * i as f32).sin(), (i / frames) % bands))
            .collect();
        Some(Tensor::<4>::from_data(
            TensorData::new(data, [2, 1, bands, frames]),
            device,
        ))
    };
    ModelInput {
        chroma: image(config.input_heights[0], 0.37),
        mel: image(config.input_heights[1], 0.11),
        mfcc: image(config.input_heights[2], 0.73),
        musicnn: None,
    }
}

/// The largest change of any logit when the sine input's bands go through `per_band`.
fn logits_moved(
    model: &GenreCnn,
    config: &ModelConfig,
    per_band: impl Fn(f32, usize) -> f32,
) -> f32 {
    let device = Device::ndarray();
    let a = model
        .forward(sine_input(config, &device, |v, _| v))
        .into_data();
    let b = model
        .forward(sine_input(config, &device, per_band))
        .into_data();
    a.as_slice::<f32>()
        .unwrap()
        .iter()
        .zip(b.as_slice::<f32>().unwrap())
        .map(|(x, y)| (x - y).abs())
        .fold(0.0f32, f32::max)
}

/// Centring every head makes a model blind to each band's level over the segment (a recording's
/// colour), and it survives the trip through a model file.
#[test]
fn centred_model_ignores_a_constant_per_band_offset() {
    let device = Device::ndarray();
    for centre in [true, false] {
        let mut config = ModelConfig::new(3, &HeadKind::SEED, Fusion::Concat);
        if centre {
            config.centred_heads = HeadKind::SEED.to_vec();
        }
        let model = GenreCnn::new(&config, &device).valid();
        let diff = logits_moved(&model, &config, |v, b| v + 0.5 * b as f32 - 3.0);
        if centre {
            assert!(diff < 1e-4, "centred model moved by {diff}");
            let bytes = encode_model_file(&manifest(&config), model, None).unwrap();
            let (m, _) = decode_model_file(&bytes).unwrap();
            assert_eq!(m.model.centred_heads, HeadKind::SEED.to_vec());
        } else {
            assert!(
                diff > 1e-3,
                "an uncentred model should see the offset ({diff})"
            );
        }
    }
}

/// Centring and scaling every head makes a model blind to each band's gain over the segment (up
/// to the floor added to the band's mean square), and the setting survives a model file.
#[test]
fn scaled_model_ignores_a_per_band_gain() {
    let device = Device::ndarray();
    let mut config = ModelConfig::new(3, &HeadKind::SEED, Fusion::Concat);
    config.centred_heads = HeadKind::SEED.to_vec();
    let centred = GenreCnn::new(&config, &device).valid();
    config.scaled_heads = HeadKind::SEED.to_vec();
    let scaled = GenreCnn::new(&config, &device).valid();
    let gain = |v: f32, b: usize| v * (2.0 + 0.25 * b as f32);
    // sin over many frames has mean square ≈ 0.5; the floor 0.01 leaves ≈ 1 % of the gain, and
    // a freshly initialised model's logits are ≈ 0.1 (measured: 1e-4..3e-4 against 0.08..0.18)
    let diff = logits_moved(&scaled, &config, gain);
    assert!(diff < 5e-3, "scaled model moved by {diff}");
    let diff = logits_moved(&centred, &config, gain);
    assert!(
        diff > 2e-2,
        "a centred-only model should see the gain ({diff})"
    );
    let bytes = encode_model_file(&manifest(&config), scaled, None).unwrap();
    let (m, _) = decode_model_file(&bytes).unwrap();
    assert_eq!(m.model.scaled_heads, HeadKind::SEED.to_vec());
}
