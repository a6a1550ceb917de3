//! What training and validation read of a clip: its samples (and cached front-end embeddings)
//! for training crops; its fixed segments' features for evaluation.

use genre::features::Features;

pub struct TrainClip {
    pub label: usize,
    pub samples: Vec<f32>,
    /// The front end's embeddings of crops every `embedding_hop` samples (empty without the
    /// musicnn head; see `crate::embeddings`).
    pub grid: Vec<Vec<f32>>,
}

pub struct EvalClip {
    pub label: usize,
    pub segments: Vec<Features>,
}
