//! Where tests find the project and the shared data. Both crates (genre and trainer) include this
//! file. Paths are read at run time: cargo sets `CARGO_MANIFEST_DIR` when it runs a test, while the
//! compile-time `env!` value goes stale when a cached build from a clone at another path is reused
//! (cargo does not rebuild for it).

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The folder of the package whose test runs.
pub fn manifest_dir() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from)
}

/// The shared data folder: `GENRE_DATA`, else `../shared/data` beside the workspace's root (the
/// nearest folder above the package that holds `Cargo.lock`).
pub fn shared_data() -> PathBuf {
    if let Some(dir) = std::env::var_os("GENRE_DATA") {
        return PathBuf::from(dir);
    }
    let package = manifest_dir();
    let root = package
        .ancestors()
        .find(|dir| dir.join("Cargo.lock").is_file())
        .unwrap_or(&package);
    root.join("../shared/data")
}

/// `shared_data()/sub` (`sub` empty: the folder itself) when it is there, else `None` after a
/// note that a test on real audio is skipped. With `GENRE_REQUIRE_DATA` set (CI sets it), a missing
/// folder fails the test instead: a skipped test must not pass for a checked one there.
pub fn shared_data_if_present(sub: &str) -> Option<PathBuf> {
    let dir = shared_data().join(sub);
    if dir.is_dir() {
        Some(dir)
    } else if std::env::var_os("GENRE_REQUIRE_DATA").is_some() {
        panic!(
            "{} is absent, and GENRE_REQUIRE_DATA says the tests on real audio must run",
            dir.display()
        );
    } else {
        eprintln!(
            "note: {} is absent (set GENRE_DATA to the shared data folder); skipping a test on real audio",
            dir.display()
        );
        None
    }
}

/// The first file (by name) in `dir` whose extension is `ext`, or `None` when there is none or
/// `dir` cannot be read.
pub fn first_file(dir: &Path, ext: &str) -> Option<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    files.sort();
    files.into_iter().next()
}
