//! Colours: viridis (perceptually uniform, readable in grey and by most colour-blind people) for
//! the feature pictures, and a qualitative palette for the labels of any model.

/// Viridis at 16 evenly spaced points (matplotlib's), interpolated linearly in between.
const VIRIDIS: [[u8; 3]; 16] = [
    [0x44, 0x01, 0x54],
    [0x48, 0x1a, 0x6c],
    [0x47, 0x2f, 0x7d],
    [0x41, 0x44, 0x87],
    [0x39, 0x56, 0x8c],
    [0x31, 0x68, 0x8e],
    [0x2a, 0x78, 0x8e],
    [0x23, 0x88, 0x8e],
    [0x1f, 0x98, 0x8b],
    [0x22, 0xa8, 0x84],
    [0x35, 0xb7, 0x79],
    [0x54, 0xc5, 0x68],
    [0x7a, 0xd1, 0x51],
    [0xa5, 0xdb, 0x36],
    [0xd2, 0xe2, 0x1b],
    [0xfd, 0xe7, 0x25],
];

/// A 256-entry RGB lookup table of viridis.
pub fn viridis_lut() -> Vec<[u8; 3]> {
    (0..256)
        .map(|i| {
            let x = i as f32 / 255.0 * 15.0;
            let k = (x.floor() as usize).min(14);
            let t = x - k as f32;
            let (a, b) = (VIRIDIS[k], VIRIDIS[k + 1]);
            [0, 1, 2].map(|c| (a[c] as f32 + (b[c] as f32 - a[c] as f32) * t).round() as u8)
        })
        .collect()
}

/// Tableau 10 (distinct, colour-blind-aware); beyond ten labels, evenly spread hues.
const TABLEAU10: [&str; 10] = [
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#bab0ac",
];

/// The colour of label `i` (of `n`).
pub fn label_colour(i: usize, n: usize) -> String {
    if n <= TABLEAU10.len() {
        TABLEAU10[i].to_string()
    } else {
        let hue = (i as f32 * 360.0 / n as f32).round();
        let light = if i.is_multiple_of(2) { 45 } else { 60 };
        format!("hsl({hue}, 65%, {light}%)")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn lut_ends_are_viridis_ends() {
        let lut = super::viridis_lut();
        assert_eq!(lut[0], [0x44, 0x01, 0x54]);
        assert_eq!(lut[255], [0xfd, 0xe7, 0x25]);
    }
}
