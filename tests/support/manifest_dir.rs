//! The folder of the package whose test runs (genre or trainer: both include this file), read at
//! run time: cargo sets `CARGO_MANIFEST_DIR` when it runs a test, while the compile-time `env!`
//! value goes stale when a cached build from a clone at another path is reused (cargo does not
//! rebuild for it).

use std::path::PathBuf;

pub fn manifest_dir() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from)
}
