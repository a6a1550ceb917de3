//! Splitting by track, never by segment: every segment of a clip lives on one side only.

use anyhow::{Context, Result, bail};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::dataset::Dataset;

/// Indices into `Dataset::tracks`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Split {
    pub train: Vec<usize>,
    pub valid: Vec<usize>,
    pub test: Vec<usize>,
    /// How the split was made, for the manifest and report.
    pub description: String,
}

impl Split {
    /// Panics if a track is on two sides: the leak that inflated the original report's figure.
    pub fn assert_disjoint(&self) {
        let mut seen = HashMap::new();
        for (side, list) in [
            ("train", &self.train),
            ("valid", &self.valid),
            ("test", &self.test),
        ] {
            for &i in list {
                if let Some(other) = seen.insert(i, side) {
                    panic!("track {i} is in both {other} and {side}");
                }
            }
        }
    }
}

/// Where the artist-filtered lists are: `DIR` itself if given, else `ROOT/splits`, else
/// `ROOT/../splits` (the layout of this project's `../shared/data`).
pub fn find_split_dir(root: &Path, explicit: Option<&Path>) -> Result<PathBuf> {
    if let Some(dir) = explicit {
        return Ok(dir.to_path_buf());
    }
    for dir in [root.join("splits"), root.join("..").join("splits")] {
        if dir.join("train_filtered.txt").is_file() {
            return Ok(dir);
        }
    }
    bail!(
        "no split lists found in {0}/splits or {0}/../splits: put GTZAN's artist-filtered lists \
         (train_filtered.txt, valid_filtered.txt, test_filtered.txt) there, pass --split-dir DIR, \
         or use --split random",
        root.display()
    )
}

/// Reads `train*.txt`, `valid*.txt` and `test*.txt` (one track per line: its path under the data
/// folder, with or without the extension, e.g. `rock/Band/Album/01 - Intro`, or, as GTZAN's lists
/// do, just its name, e.g. `blues.00029`, where no two files have that name) from `dir`. Tracks of
/// the dataset named in no list are left out; listed tracks the folder lacks are counted in the
/// description.
pub fn from_lists(ds: &Dataset, dir: &Path) -> Result<Split> {
    let mut index: HashMap<&str, Option<usize>> = HashMap::new();
    for (i, t) in ds.tracks.iter().enumerate() {
        index.insert(t.id.as_str(), Some(i));
    }
    for (i, t) in ds.tracks.iter().enumerate() {
        // a name two files share names neither
        index
            .entry(t.stem())
            .and_modify(|e| {
                if *e != Some(i) && ds.tracks.iter().filter(|u| u.stem() == t.stem()).count() > 1 {
                    *e = None;
                }
            })
            .or_insert(Some(i));
    }
    let mut split = Split::default();
    let mut missing = 0;
    for (side, prefix) in [(0, "train"), (1, "valid"), (2, "test")] {
        let file = list_file(dir, prefix)?;
        let text = std::fs::read_to_string(&file)
            .with_context(|| format!("cannot read the split list {}", file.display()))?;
        for id in text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            // `genre/genre.00001.wav`, `genre/genre.00001` or `genre.00001`
            let id = crate::dataset::AUDIO_EXTENSIONS
                .iter()
                .find_map(|e| id.strip_suffix(&format!(".{e}")))
                .unwrap_or(id);
            let name = id.rsplit('/').next().unwrap_or(id);
            match index.get(id).or_else(|| index.get(name)) {
                Some(Some(i)) => {
                    [&mut split.train, &mut split.valid, &mut split.test][side].push(*i)
                }
                _ => missing += 1,
            }
        }
    }
    // GTZAN's artist-filtered lists are recognised by name; other lists by their folder's name
    let lists = if dir.join("train_filtered.txt").is_file() {
        "the artist-filtered split lists".to_string()
    } else {
        format!(
            "the split lists of {}",
            dir.file_name().map_or(dir.display().to_string(), |n| n
                .to_string_lossy()
                .to_string())
        )
    };
    split.description = if missing > 0 {
        format!("{lists} ({missing} listed clips are not in the data folder)")
    } else {
        lists
    };
    split.assert_disjoint();
    if split.train.is_empty() {
        bail!(
            "none of the tracks in {} is on the train list in {}",
            ds.root.display(),
            dir.display()
        );
    }
    Ok(split)
}

fn list_file(dir: &Path, prefix: &str) -> Result<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot list the split folder {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().unwrap_or_default().to_string_lossy();
            name.starts_with(prefix) && name.ends_with(".txt")
        })
        .collect();
    found.sort();
    found
        .into_iter()
        .next()
        .ok_or_else(|| anyhow::anyhow!("no {prefix}*.txt list in {}", dir.display()))
}

/// Stratified random split: per label, about `valid_frac` and `test_frac` of the files (rounded, at
/// least one file stays in train), whole groups at a time ([`crate::dataset::Track::group`]: the
/// sub-folder directly under the label, an artist or an album), so that one album never sits in
/// both train and valid. Files directly in a label's folder are groups of one.
pub fn random(ds: &Dataset, valid_frac: f64, test_frac: f64, seed: u64) -> Split {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut split = Split::default();
    for label in 0..ds.labels.len() {
        // the label's groups, shuffled
        let mut groups: Vec<(&str, Vec<usize>)> = Vec::new();
        for i in (0..ds.tracks.len()).filter(|&i| ds.tracks[i].label == label) {
            let g = ds.tracks[i].group.as_str();
            match groups.iter_mut().find(|(name, _)| *name == g) {
                Some((_, members)) => members.push(i),
                None => groups.push((g, vec![i])),
            }
        }
        groups.shuffle(&mut rng);
        let n: usize = groups.iter().map(|(_, m)| m.len()).sum();
        let n_test = ((n as f64 * test_frac).round() as usize).min(n.saturating_sub(1));
        let n_valid = ((n as f64 * valid_frac).round() as usize).min(n.saturating_sub(1 + n_test));
        // deal whole groups: a group goes to test, else valid, when it brings that side nearer
        // its share (and leaves train a file); the rest to train
        let (mut test, mut valid) = (0usize, 0usize);
        for (_, members) in groups {
            let k = members.len();
            let nearer = |have: usize, share: usize| 2 * have + k < 2 * share;
            let side = if nearer(test, n_test) && test + valid + k < n {
                test += k;
                &mut split.test
            } else if nearer(valid, n_valid) && test + valid + k < n {
                valid += k;
                &mut split.valid
            } else {
                &mut split.train
            };
            side.extend(members);
        }
    }
    let grouped = ds.tracks.iter().any(|t| t.group != t.id);
    split.description = format!(
        "random by {}, stratified by label, seed {seed} (valid {:.0}%, test {:.0}%)",
        if grouped {
            "sub-folder (artist or album)"
        } else {
            "file"
        },
        100.0 * valid_frac,
        100.0 * test_frac
    );
    split.assert_disjoint();
    split
}

/// Stratified k-fold assignment by track: `folds[i]` is the fold of `tracks[i]`. Within each
/// label the shuffled tracks are dealt round-robin, continuing where the previous label
/// stopped, so small labels spread over folds.
pub fn k_fold(labels: &[usize], n_labels: usize, k: usize, seed: u64) -> Vec<usize> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut folds = vec![0; labels.len()];
    let mut next = 0;
    for label in 0..n_labels {
        let mut idx: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == label).collect();
        idx.shuffle(&mut rng);
        for i in idx {
            folds[i] = next % k;
            next += 1;
        }
    }
    folds
}

/// How `trainer cv` forms its folds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Grouping {
    /// Shuffled clips dealt to the folds: one artist's clips usually land in several folds.
    #[default]
    Clip,
    /// Runs of consecutive clip names within each genre: GTZAN's clips of one artist are mostly
    /// numbered consecutively, so most artists stay in one fold (a stand-in for folds by artist,
    /// for which the data has no labels).
    Blocks,
}

impl Grouping {
    /// What the folds are made of, for reports: "cross-validation by …".
    pub fn describe(self) -> &'static str {
        match self {
            Grouping::Clip => "clip",
            Grouping::Blocks => "blocks of consecutive clips",
        }
    }
}

/// Stratified k-fold assignment in contiguous blocks: within each label, the tracks sorted by id
/// are cut into `k` runs of consecutive ids (one per track if it has fewer) whose lengths differ
/// by at most one; the label's
/// first run goes to the fold after the one where the previous label's last run went (the seed
/// picks the very first), so labels with fewer tracks than folds spread over the folds.
pub fn k_fold_blocks(
    ids: &[&str],
    labels: &[usize],
    n_labels: usize,
    k: usize,
    seed: u64,
) -> Vec<usize> {
    assert_eq!(ids.len(), labels.len());
    let mut folds = vec![0; labels.len()];
    let mut next = (seed % k as u64) as usize;
    for label in 0..n_labels {
        let mut idx: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == label).collect();
        idx.sort_by(|&a, &b| ids[a].cmp(ids[b]));
        let n = idx.len();
        let runs = k.min(n);
        for r in 0..runs {
            for &i in &idx[r * n / runs..(r + 1) * n / runs] {
                folds[i] = (next + r) % k;
            }
        }
        next = (next + runs) % k;
    }
    folds
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::Track;

    fn toy(n_per_label: &[usize]) -> Dataset {
        let mut tracks = Vec::new();
        for (label, &n) in n_per_label.iter().enumerate() {
            for i in 0..n {
                let id = format!("l{label}/l{label}.{i:05}");
                tracks.push(Track {
                    group: id.clone(),
                    id,
                    label,
                    path: PathBuf::new(),
                });
            }
        }
        Dataset {
            root: PathBuf::from("/toy"),
            labels: (0..n_per_label.len()).map(|l| format!("l{l}")).collect(),
            tracks,
            is_gtzan: false,
            skipped: Default::default(),
        }
    }

    #[test]
    fn random_split_is_disjoint_complete_stratified_and_seeded() {
        let ds = toy(&[20, 10, 3, 1]);
        let s = random(&ds, 0.15, 0.15, 7);
        s.assert_disjoint();
        let mut all: Vec<usize> = s
            .train
            .iter()
            .chain(&s.valid)
            .chain(&s.test)
            .copied()
            .collect();
        all.sort();
        assert_eq!(all, (0..ds.tracks.len()).collect::<Vec<_>>());
        for label in 0..4 {
            assert!(
                s.train.iter().any(|&i| ds.tracks[i].label == label),
                "label {label} not in train"
            );
        }
        assert_eq!(
            s.test.iter().filter(|&&i| ds.tracks[i].label == 0).count(),
            3
        );
        assert_eq!(s, random(&ds, 0.15, 0.15, 7));
        assert_ne!(s.train, random(&ds, 0.15, 0.15, 8).train);
    }

    #[test]
    fn random_split_keeps_each_artist_or_album_on_one_side() {
        let mut ds = toy(&[40, 40]);
        // label 0: 8 albums of 5 tracks; label 1: flat files
        for (i, t) in ds
            .tracks
            .iter_mut()
            .enumerate()
            .filter(|(_, t)| t.label == 0)
        {
            t.group = format!("l0/album{}", i / 5);
        }
        for seed in 0..5 {
            let s = random(&ds, 0.15, 0.15, seed);
            let side = |i: usize| {
                [&s.train, &s.valid, &s.test]
                    .iter()
                    .position(|v| v.contains(&i))
                    .unwrap()
            };
            for a in 0..8 {
                let sides: std::collections::BTreeSet<usize> =
                    (a * 5..a * 5 + 5).map(side).collect();
                assert_eq!(
                    sides.len(),
                    1,
                    "seed {seed}: album {a} split over {sides:?}"
                );
            }
            let of = |v: &[usize], l: usize| v.iter().filter(|&&i| ds.tracks[i].label == l).count();
            // 15 % of 40 is 6: one 5-track album comes nearest
            assert_eq!((of(&s.test, 0), of(&s.valid, 0)), (5, 5), "seed {seed}");
            assert_eq!((of(&s.test, 1), of(&s.valid, 1)), (6, 6), "seed {seed}");
            assert!(s.description.contains("sub-folder"), "{}", s.description);
        }
    }

    #[test]
    fn k_fold_puts_each_track_in_exactly_one_fold_and_spreads_labels() {
        let labels: Vec<usize> = [vec![0; 46], vec![1; 5], vec![2; 4]].concat();
        let folds = k_fold(&labels, 3, 5, 1);
        assert_eq!(folds.len(), labels.len());
        assert!(folds.iter().all(|&f| f < 5));
        for f in 0..5 {
            let n = folds.iter().filter(|&&x| x == f).count();
            assert!((10..=12).contains(&n), "fold {f} has {n} tracks");
        }
        // the 5 tracks of label 1 land in 5 different folds
        let mut f1: Vec<usize> = (0..labels.len())
            .filter(|&i| labels[i] == 1)
            .map(|i| folds[i])
            .collect();
        f1.sort();
        f1.dedup();
        assert_eq!(f1.len(), 5);
    }

    #[test]
    fn k_fold_blocks_keeps_consecutive_clips_together() {
        // ids out of order (odd positions first), so runs must follow the ids, not the input order
        let ds = toy(&[23, 7, 3]);
        let mut order: Vec<usize> = (0..ds.tracks.len()).collect();
        order.sort_by_key(|&i| (i % 2 == 0, i));
        let ids: Vec<&str> = order.iter().map(|&i| ds.tracks[i].id.as_str()).collect();
        let labels: Vec<usize> = order.iter().map(|&i| ds.tracks[i].label).collect();
        let folds = k_fold_blocks(&ids, &labels, 3, 5, 2);
        assert!(folds.iter().all(|&f| f < 5));
        for label in 0..3 {
            let mut by_id: Vec<(&str, usize)> = (0..ids.len())
                .filter(|&i| labels[i] == label)
                .map(|i| (ids[i], folds[i]))
                .collect();
            by_id.sort();
            // each fold's clips of this label are one run of consecutive ids
            let mut seen = Vec::new();
            for w in by_id.windows(2) {
                if w[0].1 != w[1].1 {
                    seen.push(w[0].1);
                    assert!(
                        !seen.contains(&w[1].1),
                        "label {label}: fold {} split in two runs",
                        w[1].1
                    );
                }
            }
            // and the runs are as even as they can be
            let sizes: Vec<usize> = (0..5)
                .map(|f| by_id.iter().filter(|c| c.1 == f).count())
                .filter(|&n| n > 0)
                .collect();
            let (lo, hi) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
            assert!(hi - lo <= 1, "label {label}: run sizes {sizes:?}");
            assert_eq!(sizes.len(), by_id.len().min(5));
        }
        // each label's runs start where the previous label's ended, so the folds stay even
        let per_fold: Vec<usize> = (0..5)
            .map(|f| folds.iter().filter(|&&x| x == f).count())
            .collect();
        assert!(
            per_fold.iter().max().unwrap() - per_fold.iter().min().unwrap() <= 2,
            "{per_fold:?}"
        );
        assert_ne!(
            folds,
            k_fold_blocks(&ids, &labels, 3, 5, 3),
            "the seed moves the runs"
        );
    }

    #[test]
    fn shared_filtered_lists_never_share_a_track() {
        let Some(root) = &crate::paths::shared_data_if_present("gtzan") else {
            return;
        };
        let ds = Dataset::scan(root).unwrap();
        let dir = find_split_dir(root, None).unwrap();
        let s = from_lists(&ds, &dir).unwrap();
        s.assert_disjoint();
        assert_eq!((s.train.len(), s.valid.len(), s.test.len()), (215, 92, 0));
        // and the lists themselves are disjoint, test included
        let read = |n: &str| -> Vec<String> {
            std::fs::read_to_string(dir.join(n))
                .unwrap()
                .lines()
                .map(|l| l.trim().to_string())
                .collect()
        };
        let (tr, va, te) = (
            read("train_filtered.txt"),
            read("valid_filtered.txt"),
            read("test_filtered.txt"),
        );
        assert!(tr.iter().all(|t| !va.contains(t) && !te.contains(t)));
        assert!(va.iter().all(|v| !te.contains(v)));
    }
}
