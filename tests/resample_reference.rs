//! The one resampler (`genre::resample`) against resampy 0.4.3's `kaiser_best` (the same filter settings), on
//! the fixtures of `scripts/make_resample_fixtures.py`: every sample within `fixture::tolerance` (1e-6 of full scale where resampy's filter table is stepped
//! exactly, 2e-4 where it is not),
//! the lengths `librosa.resample` gives (`ceil(n · to / from)`, one more than resampy's `floor` where they
//! differ), and a streaming run in blocks equal to the one-shot. The browser runs the same check in
//! `tests/wasm_musicnn.rs`.
#![cfg(not(target_arch = "wasm32"))]

#[path = "fixtures/resample.rs"]
mod fixture;

use genre::resample::{Resampler, output_len, resample};

#[test]
fn resampler_matches_resampy() {
    for (name, bytes) in fixture::CASES {
        let case = fixture::parse(bytes);
        let got = resample(&case.input, case.from_hz, case.to_hz);
        assert_eq!(
            got.len(),
            output_len(case.input.len(), case.from_hz, case.to_hz)
        );
        assert!(
            got.len() >= case.want.len() && got.len() <= case.want.len() + 1,
            "{name}: length"
        );
        let err = fixture::max_error(&got, &case.want);
        let tol = fixture::tolerance(case.from_hz, case.to_hz);
        println!("{name}: max |ours - resampy| = {err:.2e} (tolerance {tol:.0e})");
        assert!(err <= tol, "{name}: max error {err:.3e} > {tol:.0e}");

        let mut r = Resampler::new(case.from_hz, case.to_hz);
        let mut streamed = Vec::new();
        for block in case.input.chunks(1000) {
            r.process(block, &mut streamed);
        }
        r.flush(&mut streamed);
        assert_eq!(streamed, got, "{name}: streaming differs from one-shot");
    }
}
