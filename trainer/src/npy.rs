//! NumPy `.npy` files (format 1.0) for 2-D `f32` arrays, so that features can be checked from
//! outside with `numpy.load` and compared against librosa.
//!
//! Layout: the magic `\x93NUMPY`, version `1 0`, a little-endian `u16` header length, then the
//! header — a Python dict literal `{'descr': '<f4', 'fortran_order': False, 'shape': (R, C), }`
//! padded with spaces and ended by `\n` so that the data starts at a multiple of 64 bytes — then
//! the values as little-endian `f32` in C (row-major) order.

use anyhow::{Context, Result, anyhow, bail, ensure};
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::Path;

const MAGIC: &[u8; 6] = b"\x93NUMPY";
const ALIGN: usize = 64;

/// The complete header (magic through the padded dict) for a C-order `<f4` array of `shape`.
pub fn header_bytes(shape: &[usize]) -> Vec<u8> {
    let shape_str = match shape {
        [n] => format!("({n},)"),
        dims => format!(
            "({})",
            dims.iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let dict = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': {shape_str}, }}");
    // magic (6) + version (2) + length (2) + dict + padding + '\n'
    let unpadded = MAGIC.len() + 2 + 2 + dict.len() + 1;
    let total = unpadded.div_ceil(ALIGN) * ALIGN;
    let header_len = total - (MAGIC.len() + 4);
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(&(header_len as u16).to_le_bytes());
    out.extend_from_slice(dict.as_bytes());
    out.resize(total - 1, b' ');
    out.push(b'\n');
    out
}

/// Write a `rows × cols` row-major `f32` array to `path` as `.npy`.
pub fn write_npy(path: &Path, rows: usize, cols: usize, data: &[f32]) -> Result<()> {
    ensure!(
        data.len() == rows * cols,
        "cannot write {}: {} values do not make a {rows}×{cols} array",
        path.display(),
        data.len()
    );
    let file = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut w = BufWriter::new(file);
    let write = |w: &mut BufWriter<File>| -> std::io::Result<()> {
        w.write_all(&header_bytes(&[rows, cols]))?;
        for v in data {
            w.write_all(&v.to_le_bytes())?;
        }
        w.flush()
    };
    write(&mut w).with_context(|| format!("cannot write {}", path.display()))
}

/// Read a little-endian `f32`, C-order `.npy` file (version 1.0 or 2.0): its shape and values.
#[cfg_attr(not(test), allow(dead_code))] // read by the tests (here and trainer/tests)
pub fn read_npy(path: &Path) -> Result<(Vec<usize>, Vec<f32>)> {
    let mut bytes = Vec::new();
    File::open(path)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .with_context(|| format!("cannot read {}", path.display()))?;
    parse_npy(&bytes).map_err(|e| anyhow!("{}: {e}", path.display()))
}

#[cfg_attr(not(test), allow(dead_code))]
fn parse_npy(bytes: &[u8]) -> Result<(Vec<usize>, Vec<f32>)> {
    ensure!(
        bytes.len() >= 10 && &bytes[..6] == MAGIC,
        "not a NumPy .npy file"
    );
    let (header_len, start) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 => {
            ensure!(bytes.len() >= 12, "truncated .npy header");
            (
                u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
                12,
            )
        }
        v => bail!("unsupported .npy version {v}"),
    };
    let header = bytes
        .get(start..start + header_len)
        .ok_or_else(|| anyhow!("truncated .npy header"))?;
    let header = std::str::from_utf8(header).context("the .npy header is not text")?;
    let field = |key: &str| -> Result<&str> {
        let k = header
            .find(&format!("'{key}'"))
            .ok_or_else(|| anyhow!("the .npy header has no '{key}'"))?;
        let rest = &header[k + key.len() + 2..];
        let colon = rest
            .find(':')
            .ok_or_else(|| anyhow!("malformed .npy header"))?;
        Ok(rest[colon + 1..].trim_start())
    };
    let descr = field("descr")?;
    ensure!(
        descr.starts_with("'<f4'"),
        "only little-endian float32 ('<f4') arrays are read, this one is {}",
        descr.split(',').next().unwrap_or("")
    );
    ensure!(
        field("fortran_order")?.starts_with("False"),
        "Fortran-order arrays are not read"
    );
    let shape_str = field("shape")?;
    let close = shape_str
        .find(')')
        .ok_or_else(|| anyhow!("malformed .npy shape"))?;
    let shape: Vec<usize> = shape_str[1..close]
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<usize>()
                .map_err(|_| anyhow!("malformed .npy shape {s:?}"))
        })
        .collect::<Result<_>>()?;
    let count: usize = shape.iter().product();
    let data = &bytes[start + header_len..];
    ensure!(
        data.len() == count * 4,
        "the .npy data holds {} bytes, the shape {shape:?} needs {}",
        data.len(),
        count * 4
    );
    let values = data
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    Ok((shape, values))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_is_exactly_numpys() {
        let h = header_bytes(&[12, 130]);
        let mut expected =
            b"\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape': (12, 130), }"
                .to_vec();
        expected.resize(127, b' ');
        expected.push(b'\n');
        assert_eq!(h, expected);
        assert_eq!(h.len() % 64, 0);
        // Every shape gives an aligned header ending in a newline.
        for shape in [
            vec![0, 0],
            vec![1, 1],
            vec![128, 130],
            vec![123_456_789, 987_654_321],
            vec![5],
        ] {
            let h = header_bytes(&shape);
            assert_eq!(h.len() % 64, 0, "{shape:?}");
            assert_eq!(*h.last().unwrap(), b'\n');
            let len = u16::from_le_bytes([h[8], h[9]]) as usize;
            assert_eq!(len + 10, h.len());
        }
        assert!(String::from_utf8_lossy(&header_bytes(&[5])).contains("'shape': (5,), }"));
    }

    #[test]
    fn round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.npy");
        let data: Vec<f32> = (0..20 * 130)
            .map(|i| (i as f32).sin() * 1e3 - 0.5)
            .collect();
        write_npy(&path, 20, 130, &data).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(bytes.len(), 128 + 20 * 130 * 4);
        assert_eq!(&bytes[128..132], &data[0].to_le_bytes());
        let (shape, back) = read_npy(&path).unwrap();
        assert_eq!(shape, vec![20, 130]);
        assert_eq!(back, data);
    }

    #[test]
    fn mismatched_lengths_and_bad_files_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.npy");
        let e = write_npy(&path, 3, 4, &[0.0; 11]).unwrap_err().to_string();
        assert!(e.contains("b.npy") && e.contains("3×4"), "{e}");
        std::fs::write(&path, b"hello").unwrap();
        let e = format!("{:#}", read_npy(&path).unwrap_err());
        assert!(e.contains("b.npy") && e.contains("not a NumPy"), "{e}");
        write_npy(&path, 2, 2, &[1.0, 2.0, 3.0, 4.0]).unwrap();
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.pop();
        std::fs::write(&path, &bytes).unwrap();
        assert!(read_npy(&path).is_err());
    }
}
