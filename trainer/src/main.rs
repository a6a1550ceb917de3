//! `trainer`: trains the multi-head CNN on a labelled music folder (GTZAN or any `DIR/<label>/*`),
//! reports honest figures, exports the model the page loads, and offers small tools around it.

mod augment;
mod backend;
mod cache;
mod calibrate;
mod clips;
mod commands;
mod cv;
mod dataset;
mod decode;
mod ema;
mod embeddings;
mod export;
mod features_cmd;
mod npy;
mod options;
#[cfg(test)]
#[path = "../../tests/support/paths.rs"]
mod paths;
mod plots;
mod run;
mod sampling;
mod split;
mod synth;
mod train;
mod validate;

use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "trainer",
    version,
    about = "Train, evaluate and export the genre classifier",
    long_about = "With no subcommand: train on --data DIR (or $GTZAN_DIR), report on valid (and test, \
                  when the folder has test clips), and install the model into web/model/.",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    train: run::TrainArgs,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Train (the same as giving no subcommand).
    Train(run::TrainArgs),
    /// Stratified k-fold cross-validation by clip over every clip of --data (no clip in two folds).
    Cv(cv::CvArgs),
    /// Print a model's metrics on one split of a data folder as one JSON line.
    Evaluate(commands::EvaluateArgs),
    /// Print each audio file's label probabilities.
    Classify(commands::ClassifyArgs),
    /// Write the generated 10-class set of music-like signals (not music) as WAV folders.
    Synth(commands::SynthArgs),
    /// Write each 3-second segment's chromagram, mel spectrogram and MFCC as .npy files and PNG pictures.
    Features(features_cmd::FeaturesArgs),
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        None => run::run_train(&cli.train),
        Some(Command::Train(args)) => run::run_train(&args),
        Some(Command::Cv(args)) => cv::cv(&args),
        Some(Command::Evaluate(args)) => commands::evaluate(&args),
        Some(Command::Classify(args)) => commands::classify(&args),
        Some(Command::Synth(args)) => commands::synth(&args),
        Some(Command::Features(args)) => features_cmd::run(&args),
    };
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
