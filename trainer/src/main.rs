//! `trainer`: trains the multi-head CNN on a labelled music folder (GTZAN or any `DIR/<label>/*`),
//! reports honest figures, exports the model the page loads, and offers small tools around it.

mod decode;
mod features_cmd;
mod npy;
mod plots;

use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(name = "trainer", version, about = "Train, evaluate and export the genre classifier")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Write each 3-second segment's chromagram, mel spectrogram and MFCC as .npy files and PNG pictures.
    Features(features_cmd::FeaturesArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Features(args)) => features_cmd::run(&args),
        None => anyhow::bail!("training is not wired yet"),
    }
}
