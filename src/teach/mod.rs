//! Teaching: a classifier of a person's own labels, learnt where it runs (the page's teaching
//! worker; natively in the tests) as a small head on the pretrained front end's frozen 200-d
//! embedding, one embedding per 3-s segment of each song, computed once.
//!
//! ```text
//! Lesson (labels, songs → segment embeddings) ──check──► Teacher (autodiff, AdamW, epoch by epoch) ──► Taught
//!            └──────────── held_out (leave-one-song-out, or 5 folds by song) ──► Metrics ──┘        └──► export: a model file
//! ```
//!
//! - [`check`]: refuses fewer than 2 labels or a label with fewer than 2 songs, warns below 3.
//! - [`head::Teacher`]: the training, one epoch per call, so the worker can report and yield.
//! - [`held_out`]: the check that is split by song, never by segment.
//! - [`export`]: the taught head as a model file like any other (the shipped model's front end,
//!   a manifest that says "taught in the browser"), read by the page and `trainer classify`.

pub mod export;
pub mod head;
pub mod held_out;

pub use export::{TaughtFile, export};
pub use head::{Taught, TeachOptions, Teacher};
pub use held_out::{Check, HeldOut, held_out};

/// One song of the lesson: its label and the front end's embedding of each of its segments.
#[derive(Clone, Debug)]
pub struct Song {
    pub name: String,
    pub label: usize,
    pub embeddings: Vec<Vec<f32>>,
}

/// What a person taught: their labels, in their order, and their songs.
#[derive(Clone, Debug, Default)]
pub struct Lesson {
    pub labels: Vec<String>,
    pub songs: Vec<Song>,
}

/// Songs a label needs at the least, and below which a warning says the answers are shaky.
pub const MIN_SONGS: usize = 2;
pub const FEW_SONGS: usize = 3;

impl Lesson {
    /// Songs of each label.
    pub fn songs_per_label(&self) -> Vec<usize> {
        let mut n = vec![0; self.labels.len()];
        for s in &self.songs {
            n[s.label] += 1;
        }
        n
    }

    /// Segments of each label.
    pub fn segments_per_label(&self) -> Vec<usize> {
        let mut n = vec![0; self.labels.len()];
        for s in &self.songs {
            n[s.label] += s.embeddings.len();
        }
        n
    }
}

/// Why a lesson cannot be taught, in words for the person.
#[derive(Clone, Debug, PartialEq)]
pub enum Refusal {
    TooFewLabels(usize),
    TooFewSongs { label: String, songs: usize },
    EmptySong(String),
    BadEmbedding(String),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::TooFewLabels(n) => write!(
                f,
                "a model needs at least 2 labels to choose between (there {} {n})",
                if *n == 1 { "is" } else { "are" }
            ),
            Refusal::TooFewSongs { label, songs } => write!(
                f,
                "“{label}” has {songs} song{}: each label needs at least {MIN_SONGS} (one to learn from and one to check with)",
                if *songs == 1 { "" } else { "s" }
            ),
            Refusal::EmptySong(name) => write!(f, "“{name}” has no segment to learn from"),
            Refusal::BadEmbedding(name) => write!(
                f,
                "“{name}” has an embedding of the wrong size or with non-finite values"
            ),
        }
    }
}

impl std::error::Error for Refusal {}

/// Whether `lesson` can be taught: `Ok` with the warnings to show (a label with fewer than
/// [`FEW_SONGS`] songs), or the refusal.
pub fn check(lesson: &Lesson) -> Result<Vec<String>, Refusal> {
    if lesson.labels.len() < 2 {
        return Err(Refusal::TooFewLabels(lesson.labels.len()));
    }
    for s in &lesson.songs {
        if s.embeddings.is_empty() {
            return Err(Refusal::EmptySong(s.name.clone()));
        }
        let ok = s.embeddings.iter().all(|e| {
            e.len() == crate::model::musicnn::EMBEDDING && e.iter().all(|x| x.is_finite())
        });
        if !ok || s.label >= lesson.labels.len() {
            return Err(Refusal::BadEmbedding(s.name.clone()));
        }
    }
    let mut warnings = Vec::new();
    for (label, &n) in lesson.labels.iter().zip(&lesson.songs_per_label()) {
        if n < MIN_SONGS {
            return Err(Refusal::TooFewSongs {
                label: label.clone(),
                songs: n,
            });
        }
        if n < FEW_SONGS {
            warnings.push(format!(
                "“{label}” has only {n} songs: its answers will be shaky. Add a third or more."
            ));
        }
    }
    Ok(warnings)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Songs whose embeddings cluster by label (a different mean per label), with noise.
    /// The labels' centres come from `seed`, the songs from `seed` and `songs_seed`.
    pub fn toy_lesson(labels: usize, songs_per_label: usize, seed: u64) -> Lesson {
        toy_songs(labels, songs_per_label, seed, 0)
    }

    pub fn toy_songs(labels: usize, songs_per_label: usize, seed: u64, songs_seed: u64) -> Lesson {
        let mut rng = head::SplitMix(seed);
        let d = crate::model::musicnn::EMBEDDING;
        let centres: Vec<Vec<f32>> = (0..labels)
            .map(|_| (0..d).map(|_| rng.normal()).collect())
            .collect();
        let mut rng = head::SplitMix(seed ^ songs_seed.wrapping_mul(0x2545_F491_4F6C_DD1D));
        let mut songs = Vec::new();
        for (label, centre) in centres.iter().enumerate() {
            for k in 0..songs_per_label {
                // each song sits a little off its label's centre
                let offset: Vec<f32> = (0..d).map(|_| 0.5 * rng.normal()).collect();
                let embeddings = (0..6)
                    .map(|_| {
                        (0..d)
                            .map(|j| centre[j] + offset[j] + 0.5 * rng.normal())
                            .collect()
                    })
                    .collect();
                songs.push(Song {
                    name: format!("song {label}.{k}"),
                    label,
                    embeddings,
                });
            }
        }
        Lesson {
            labels: (0..labels).map(|i| format!("label {i}")).collect(),
            songs,
        }
    }

    #[test]
    fn refuses_one_label_and_a_label_with_one_song_and_warns_below_three() {
        let one = toy_lesson(1, 3, 1);
        assert_eq!(check(&one), Err(Refusal::TooFewLabels(1)));
        let mut lesson = toy_lesson(3, 3, 2);
        assert_eq!(check(&lesson), Ok(vec![]));
        // label 1 down to 2 songs: a warning; down to 1: refused
        lesson.songs.retain(|s| s.name != "song 1.2");
        let w = check(&lesson).expect("two songs are enough");
        assert_eq!(w.len(), 1);
        assert!(
            w[0].contains("label 1") && w[0].contains("2 songs"),
            "{w:?}"
        );
        lesson.songs.retain(|s| s.name != "song 1.1");
        let refusal = check(&lesson).unwrap_err();
        assert_eq!(
            refusal,
            Refusal::TooFewSongs {
                label: "label 1".into(),
                songs: 1
            }
        );
        assert!(refusal.to_string().contains("at least 2"));
        // a damaged embedding is refused, not learnt from
        let mut bad = toy_lesson(2, 2, 3);
        bad.songs[0].embeddings[0][5] = f32::NAN;
        assert!(matches!(check(&bad), Err(Refusal::BadEmbedding(_))));
    }
}
