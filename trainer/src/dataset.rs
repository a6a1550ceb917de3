//! Finding the labelled audio: a folder of folders, `ROOT/<label>/<file>.{wav,au,ogg,mp3,flac}`.
//! GTZAN (ten genre folders of `<genre>.NNNNN.<ext>` files) is recognised so that its
//! artist-filtered split can be used.

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};

pub const AUDIO_EXTENSIONS: [&str; 5] = ["wav", "au", "ogg", "mp3", "flac"];
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
    /// File stem, e.g. `blues.00029`; unique within a dataset.
    pub id: String,
    pub label: usize,
    pub path: PathBuf,
}

#[derive(Clone, Debug)]
pub struct Dataset {
    pub root: PathBuf,
    pub labels: Vec<String>,
    pub tracks: Vec<Track>,
    /// Ten genre folders with GTZAN-style names.
    pub is_gtzan: bool,
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
            let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
                .with_context(|| format!("cannot list {}", dir.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && is_audio(p))
                .collect();
            if files.is_empty() {
                continue;
            }
            files.sort();
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
            for path in files {
                let id = path
                    .file_stem()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .to_string();
                tracks.push(Track { id, label, path });
            }
        }
        let mut ids: Vec<&str> = tracks.iter().map(|t| t.id.as_str()).collect();
        ids.sort_unstable();
        if let Some(w) = ids.windows(2).find(|w| w[0] == w[1]) {
            bail!(
                "two files share the name {} in {}: names must be unique",
                w[0],
                root.display()
            );
        }
        Ok(Self {
            root: root.to_path_buf(),
            labels,
            tracks,
            is_gtzan,
        })
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
