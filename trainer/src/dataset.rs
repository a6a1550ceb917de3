//! Finding the labelled audio: a folder of folders, `ROOT/<label>/…/<file>.{wav,au,ogg,mp3,flac,m4a}`,
//! the audio taken from every depth below a label (music folders as people keep them:
//! `Label/Artist/Album/01 - Intro.mp3`). A file is identified by its path under `ROOT` (without the
//! extension), so two albums' `01 - Intro` are two tracks. GTZAN (ten genre folders of
//! `<genre>.NNNNN.<ext>` files) is recognised so that its artist-filtered split can be used.

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};

pub const AUDIO_EXTENSIONS: [&str; 7] = ["wav", "au", "ogg", "mp3", "flac", "m4a", "aac"];
use genre::GTZAN_GENRES;

pub const GTZAN_HELP: &str = "\
GTZAN is the 1000-clip genre collection of Tzanetakis and Cook (2002): ten genre folders of
30-second clips. Get a copy (for example the 'GTZAN Genre Collection' distributed with
marsyas, torchaudio's GTZAN dataset or Kaggle's 'gtzan-dataset-music-genre-classification')
and point the trainer at the folder that holds the genre folders:

    ROOT/blues/blues.00000.wav ... ROOT/rock/rock.00099.wav   (.au, .ogg, .mp3, .flac work too)

with --data ROOT or the GTZAN_DIR environment variable. Any other folder of labelled folders
(ROOT/<label>/*.mp3 ...) works the same way.";

#[derive(Clone, Debug, PartialEq)]
pub struct Track {
    /// The path under the data folder without the extension, `/`-separated, e.g.
    /// `blues/blues.00029` or `rock/Artist/Album/01 - Intro`; unique within a dataset.
    pub id: String,
    pub label: usize,
    pub path: PathBuf,
    /// What a split keeps on one side: the sub-folder directly under the label (an artist or an
    /// album) for a nested file, the file itself for one directly in its label's folder.
    pub group: String,
}

impl Track {
    /// The file's name without the extension (`blues.00029`), what GTZAN's lists name.
    pub fn stem(&self) -> &str {
        self.id.rsplit('/').next().unwrap_or(&self.id)
    }
}

/// What a scan left out, to tell the user.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Skipped {
    /// Files that are not audio by their extension (cover pictures, playlists, notes).
    pub not_audio: usize,
    /// Label folders with no audio at any depth.
    pub empty_folders: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct Dataset {
    pub root: PathBuf,
    pub labels: Vec<String>,
    pub tracks: Vec<Track>,
    /// Ten genre folders with GTZAN-style names.
    pub is_gtzan: bool,
    pub skipped: Skipped,
}

/// Every audio file at any depth below `dir` (hidden files and folders left out), sorted, and the
/// count of the other files.
fn audio_below(dir: &Path) -> Result<(Vec<PathBuf>, usize)> {
    let (mut audio, mut other) = (Vec::new(), 0);
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in
            std::fs::read_dir(&d).with_context(|| format!("cannot list {}", d.display()))?
        {
            let path = entry?.path();
            if path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else if path.is_file() && is_audio(&path) {
                audio.push(path);
            } else if path.is_file() {
                other += 1;
            }
        }
    }
    audio.sort();
    Ok((audio, other))
}

impl Dataset {
    /// Scans `root`. Labels are the sub-folder names holding audio, sorted (GTZAN's order is
    /// its alphabetical order too).
    pub fn scan(root: &Path) -> Result<Self> {
        if !root.is_dir() {
            bail!(
                "the data folder {} does not exist or is not a folder.\n\n{GTZAN_HELP}",
                root.display()
            );
        }
        let mut labels = Vec::new();
        let mut per_label: Vec<Vec<PathBuf>> = Vec::new();
        let mut skipped = Skipped::default();
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(root)
            .with_context(|| format!("cannot list {}", root.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_dir())
            .collect();
        dirs.sort();
        for dir in dirs {
            let name = dir
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .to_string();
            if name.starts_with('.') || name == "splits" {
                continue;
            }
            let (files, other) = audio_below(&dir)?;
            skipped.not_audio += other;
            if files.is_empty() {
                skipped.empty_folders.push(name);
                continue;
            }
            labels.push(name);
            per_label.push(files);
        }
        if labels.len() < 2 {
            bail!(
                "{} holds {} folder(s) of audio files; a classifier needs at least two labels.\n\n{GTZAN_HELP}",
                root.display(),
                labels.len()
            );
        }
        let is_gtzan = labels.len() == GTZAN_GENRES.len()
            && labels.iter().zip(GTZAN_GENRES).all(|(a, b)| a == b)
            && per_label.iter().zip(&labels).all(|(files, label)| {
                files.iter().all(|f| {
                    let stem = f.file_stem().unwrap_or_default().to_string_lossy();
                    stem.strip_prefix(&format!("{label}."))
                        .is_some_and(|n| n.len() == 5 && n.bytes().all(|b| b.is_ascii_digit()))
                })
            });
        let mut tracks = Vec::new();
        for (label, files) in per_label.into_iter().enumerate() {
            let label_dir = root.join(&labels[label]);
            for path in files {
                let rel = path.strip_prefix(root).unwrap_or(&path).with_extension("");
                let id = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/");
                let under_label = path.strip_prefix(&label_dir).unwrap_or(&path);
                let group = match under_label.components().count() {
                    0 | 1 => id.clone(),
                    _ => format!(
                        "{}/{}",
                        labels[label],
                        under_label
                            .components()
                            .next()
                            .unwrap()
                            .as_os_str()
                            .to_string_lossy()
                    ),
                };
                tracks.push(Track {
                    id,
                    label,
                    path,
                    group,
                });
            }
        }
        let mut ids: Vec<&str> = tracks.iter().map(|t| t.id.as_str()).collect();
        ids.sort_unstable();
        if let Some(w) = ids.windows(2).find(|w| w[0] == w[1]) {
            bail!(
                "two audio files are {} in {} (with different extensions): rename one",
                w[0],
                root.display()
            );
        }
        Ok(Self {
            root: root.to_path_buf(),
            labels,
            tracks,
            is_gtzan,
            skipped,
        })
    }

    /// What the scan found, per label, and what it left out: one line for people.
    pub fn describe(&self) -> String {
        let all: Vec<&Track> = self.tracks.iter().collect();
        let counts = self.count_per_label(&all);
        let nested = |l: usize| {
            self.tracks
                .iter()
                .filter(|t| t.label == l && t.group != t.id)
                .count()
        };
        let per: Vec<String> = self
            .labels
            .iter()
            .enumerate()
            .map(|(l, name)| match nested(l) {
                0 => format!("{name} {}", counts[l]),
                n => format!("{name} {} ({n} in sub-folders)", counts[l]),
            })
            .collect();
        let mut s = format!("files per label: {}", per.join(", "));
        if self.skipped.not_audio > 0 {
            s += &format!(
                "; skipped {} files that are not audio by their extension (audio: {})",
                self.skipped.not_audio,
                AUDIO_EXTENSIONS.join(", ")
            );
        }
        if !self.skipped.empty_folders.is_empty() {
            s += &format!(
                "; skipped folders with no audio: {}",
                self.skipped.empty_folders.join(", ")
            );
        }
        s
    }

    pub fn count_per_label(&self, tracks: &[&Track]) -> Vec<usize> {
        let mut n = vec![0; self.labels.len()];
        for t in tracks {
            n[t.label] += 1;
        }
        n
    }

    /// Refuses labels with fewer than `min` files (names them all).
    pub fn check_min_files(&self, min: usize) -> Result<()> {
        let all: Vec<&Track> = self.tracks.iter().collect();
        let small: Vec<String> = self
            .count_per_label(&all)
            .iter()
            .zip(&self.labels)
            .filter(|(n, _)| **n < min)
            .map(|(n, l)| format!("{l} ({n})"))
            .collect();
        if !small.is_empty() {
            bail!(
                "these label folders have fewer than {min} audio files: {}. Add files or remove the folders.",
                small.join(", ")
            );
        }
        Ok(())
    }
}

fn is_audio(p: &Path) -> bool {
    p.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .is_some_and(|e| AUDIO_EXTENSIONS.contains(&e.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_folder_explains_what_to_do() {
        let err = Dataset::scan(Path::new("/no/such/folder"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("/no/such/folder"), "{err}");
        assert!(err.contains("GTZAN"), "{err}");
        assert!(err.contains("--data"), "{err}");
    }

    #[test]
    fn scans_labels_in_order_and_refuses_small_folders() {
        let dir = tempfile::tempdir().unwrap();
        for (label, n) in [("b", 2), ("a", 6)] {
            std::fs::create_dir(dir.path().join(label)).unwrap();
            for i in 0..n {
                std::fs::write(dir.path().join(label).join(format!("{label}{i}.wav")), b"x")
                    .unwrap();
            }
        }
        std::fs::write(dir.path().join("a").join("notes.txt"), b"not audio").unwrap();
        let ds = Dataset::scan(dir.path()).unwrap();
        assert_eq!(ds.labels, vec!["a", "b"]);
        assert_eq!(ds.tracks.len(), 8);
        assert!(!ds.is_gtzan);
        let err = ds.check_min_files(5).unwrap_err().to_string();
        assert!(err.contains("b (2)") && !err.contains("a (6)"), "{err}");
    }

    #[test]
    fn nested_music_folders_are_scanned_at_every_depth_with_ids_from_their_paths() {
        let dir = tempfile::tempdir().unwrap();
        let put = |rel: &str| {
            let p = dir.path().join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, b"x").unwrap();
        };
        // every ripped album has a "01 - Intro"
        put("rock/Band A/Album 1/01 - Intro.mp3");
        put("rock/Band A/Album 1/02 - Song.mp3");
        put("rock/Band B/Live/01 - Intro.m4a");
        put("rock/single.ogg");
        put("jazz/Trio/Set/01 - Intro.flac");
        put("jazz/Trio/Set/cover.jpg");
        put("jazz/.hidden/01 - Intro.wav");
        put("empty/notes.txt");
        let ds = Dataset::scan(dir.path()).unwrap();
        assert_eq!(ds.labels, vec!["jazz", "rock"]);
        let ids: Vec<&str> = ds.tracks.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(
            ids,
            vec![
                "jazz/Trio/Set/01 - Intro",
                "rock/Band A/Album 1/01 - Intro",
                "rock/Band A/Album 1/02 - Song",
                "rock/Band B/Live/01 - Intro",
                "rock/single",
            ]
        );
        let groups: Vec<&str> = ds.tracks.iter().map(|t| t.group.as_str()).collect();
        assert_eq!(
            groups,
            vec![
                "jazz/Trio",
                "rock/Band A",
                "rock/Band A",
                "rock/Band B",
                "rock/single"
            ]
        );
        assert_eq!(ds.tracks[1].stem(), "01 - Intro");
        assert_eq!(ds.skipped.not_audio, 2);
        assert_eq!(ds.skipped.empty_folders, vec!["empty"]);
        let d = ds.describe();
        assert!(
            d.contains("rock 4 (3 in sub-folders)") && d.contains("skipped 2 files"),
            "{d}"
        );
        assert!(d.contains("folders with no audio: empty"), "{d}");
    }

    #[test]
    fn recognises_the_shared_gtzan_folder() {
        let Some(root) = &crate::paths::shared_data_if_present("gtzan") else {
            return;
        };
        let ds = Dataset::scan(root).unwrap();
        assert!(ds.is_gtzan);
        assert_eq!(ds.labels, GTZAN_GENRES);
        assert_eq!(ds.tracks.len(), 307);
    }
}
