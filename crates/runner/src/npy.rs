//! Reading `.npy` files: the header checked in full (shape, dtype, order, keys, length) before any entry is read.
//!
//! What is accepted: format versions 1, 2 and 3; little- or big-endian floats (`f2`, `f4`, `f8`)
//! and integers (`i1`..`i8`, `u1`..`u8`); 1-D arrays (one column) and 2-D arrays, in C or
//! Fortran order (a Fortran-order array is transposed on read, so the matrix is the one numpy
//! shows). Refused, with the reason: bool, complex, object and string arrays, other dimensions,
//! header keys other than `descr`, `fortran_order` and `shape`, and data longer or shorter than
//! the shape says.

use std::io::Read as _;
use std::path::Path;

use descent_tensor::{Dtype, Matrix};

use crate::regular::open_regular;

/// The element type of an `.npy` array.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Float,
    Signed,
    Unsigned,
}

/// A parsed `.npy` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NpyHeader {
    kind: Kind,
    size: usize,
    big_endian: bool,
    fortran: bool,
    /// The shape as the file gives it.
    pub shape: Vec<usize>,
    /// Bytes before the data.
    offset: usize,
}

impl NpyHeader {
    /// The matrix shape: `(n, 1)` for a 1-D array, `(rows, cols)` for a 2-D one.
    pub fn matrix_shape(&self) -> (usize, usize) {
        match self.shape[..] {
            [n] => (n, 1),
            [r, c] => (r, c),
            _ => (0, 0),
        }
    }

    /// The bytes of data the shape calls for, if that fits in a `u128` (it always does).
    pub fn data_bytes(&self) -> u128 {
        self.shape
            .iter()
            .try_fold(self.size as u128, |acc, &d| acc.checked_mul(d as u128))
            .unwrap_or(u128::MAX)
    }
}

/// The header of the `.npy` file at `path`, read and checked without reading its data.
pub fn npy_header(path: &Path) -> Result<NpyHeader, String> {
    let (mut file, _) = open_regular(path)?;
    let shown = path.display();
    let mut head = [0u8; 12];
    let got =
        read_up_to(&mut file, &mut head).map_err(|e| format!("cannot read `{shown}`: {e}"))?;
    if got < 10 || &head[..6] != b"\x93NUMPY" {
        return Err(format!(
            "`{shown}` is not an .npy file (it does not start with \\x93NUMPY)"
        ));
    }
    let (len, start) = match head[6] {
        1 => (usize::from(u16::from_le_bytes([head[8], head[9]])), 10),
        2 | 3 if got == 12 => (
            u32::from_le_bytes([head[8], head[9], head[10], head[11]]) as usize,
            12,
        ),
        v => return Err(format!("`{shown}`: unknown .npy format version {v}")),
    };
    if len > 1 << 20 {
        return Err(format!(
            "`{shown}`: the .npy header claims {len} bytes; headers are a few hundred"
        ));
    }
    let mut text = vec![0u8; len];
    let tail = &head[start..got];
    text[..tail.len().min(len)].copy_from_slice(&tail[..tail.len().min(len)]);
    if tail.len() < len {
        file.read_exact(&mut text[tail.len()..])
            .map_err(|_| format!("`{shown}`: the .npy header is cut short"))?;
    }
    let text =
        String::from_utf8(text).map_err(|_| format!("`{shown}`: the .npy header is not text"))?;
    parse_header(&text, start + len).map_err(|reason| format!("`{shown}`: {reason}"))
}

/// Read until `buf` is full or the file ends; the number of bytes read.
fn read_up_to(file: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match file.read(&mut buf[got..])? {
            0 => break,
            n => got += n,
        }
    }
    Ok(got)
}

/// Parse the header's Python dict: `{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }`.
fn parse_header(text: &str, offset: usize) -> Result<NpyHeader, String> {
    let body = text
        .trim_end_matches(['\n', ' ', '\0'])
        .trim()
        .strip_prefix('{')
        .and_then(|t| t.strip_suffix('}'))
        .ok_or("the .npy header is not a dict")?;
    let (mut descr, mut fortran, mut shape) = (None, None, None);
    let mut rest = body.trim();
    while !rest.is_empty() {
        let (key, after) = quoted(rest).ok_or("the .npy header has a malformed key")?;
        let after = after
            .trim_start()
            .strip_prefix(':')
            .ok_or("the .npy header has a key without a value")?
            .trim_start();
        let (value, after) = match key {
            "descr" => {
                let (v, a) = quoted(after).ok_or("`descr` must be a string such as '<f8'")?;
                descr = Some(v.to_string());
                (v, a)
            }
            "fortran_order" => {
                let (v, a) = if let Some(a) = after.strip_prefix("True") {
                    ("True", a)
                } else if let Some(a) = after.strip_prefix("False") {
                    ("False", a)
                } else {
                    return Err("`fortran_order` must be True or False".into());
                };
                fortran = Some(v == "True");
                (v, a)
            }
            "shape" => {
                let close = after
                    .strip_prefix('(')
                    .and_then(|t| t.find(')'))
                    .ok_or("`shape` must be a tuple such as (3, 4)")?;
                let inner = &after[1..=close];
                let dims = inner
                    .split(',')
                    .map(str::trim)
                    .filter(|d| !d.is_empty())
                    .map(|d| {
                        d.trim_end_matches('L').parse::<usize>().map_err(|_| {
                            format!(
                                "the shape ({inner}) has `{d}`, not a size this machine can index"
                            )
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                shape = Some(dims);
                (inner, &after[close + 2..])
            }
            other => {
                return Err(format!(
                    "the .npy header has the unknown key '{other}' (descent reads 'descr', 'fortran_order' and 'shape')"
                ));
            }
        };
        let _ = value;
        rest = after.trim_start();
        rest = rest.strip_prefix(',').unwrap_or(rest).trim_start();
        if !rest.is_empty() && !rest.starts_with('\'') && !rest.starts_with('"') {
            return Err("the .npy header is not a dict of 'key': value".into());
        }
    }
    let descr = descr.ok_or("the .npy header has no 'descr'")?;
    let fortran = fortran.ok_or("the .npy header has no 'fortran_order'")?;
    let shape = shape.ok_or("the .npy header has no 'shape'")?;
    let (order, code) = descr.split_at(descr.len().min(1));
    let big_endian = match order {
        "<" | "|" | "=" => cfg!(target_endian = "big") && order == "=",
        ">" => true,
        _ => return Err(format!("unknown dtype '{descr}'")),
    };
    let (kind, size) = match code {
        "f2" => (Kind::Float, 2),
        "f4" => (Kind::Float, 4),
        "f8" => (Kind::Float, 8),
        "i1" => (Kind::Signed, 1),
        "i2" => (Kind::Signed, 2),
        "i4" => (Kind::Signed, 4),
        "i8" => (Kind::Signed, 8),
        "u1" => (Kind::Unsigned, 1),
        "u2" => (Kind::Unsigned, 2),
        "u4" => (Kind::Unsigned, 4),
        "u8" => (Kind::Unsigned, 8),
        "b1" => {
            return Err(
                "the array is of bool dtype; descent reads float and integer arrays (save it with .astype(float))"
                    .into(),
            );
        }
        _ => {
            return Err(format!(
                "the array's dtype '{descr}' is not a float or integer type descent reads"
            ));
        }
    };
    if !matches!(shape.len(), 1 | 2) {
        return Err(format!(
            "the array has shape {shape:?}; a matrix needs 1 or 2 dimensions"
        ));
    }
    Ok(NpyHeader {
        kind,
        size,
        big_endian,
        fortran,
        shape,
        offset,
    })
}

/// A Python string literal at the start of `s` (single or double quotes): its text and the rest.
fn quoted(s: &str) -> Option<(&str, &str)> {
    let quote = s.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let end = s[1..].find(quote)? + 1;
    Some((&s[1..end], &s[end + 1..]))
}

/// The matrix in the `.npy` file at `path` whose header is `header`, entries as f64 (not checked
/// for finiteness: a diverged run's result holds infinities). The caller has checked that the
/// shape fits in memory.
pub fn read_npy_data(path: &Path, header: &NpyHeader) -> Result<Matrix, String> {
    let shown = path.display();
    let (mut file, len) = open_regular(path)?;
    let want = header.data_bytes();
    let have = u128::from(len).saturating_sub(header.offset as u128);
    if have != want {
        return Err(format!(
            "`{shown}`: the shape {:?} calls for {want} bytes of data, but the file holds {have}{}",
            header.shape,
            if have > want { " (trailing data)" } else { "" }
        ));
    }
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read `{shown}`: {e}"))?;
    let data = bytes
        .get(header.offset..)
        .ok_or_else(|| format!("`{shown}`: the file changed while it was read"))?;
    let values: Vec<f64> = data
        .chunks_exact(header.size)
        .map(|chunk| decode(chunk, header))
        .collect();
    let (rows, cols) = header.matrix_shape();
    let m = if header.fortran && header.shape.len() == 2 {
        // Column-major: entry (i, j) is at j * rows + i.
        Matrix::from_fn(rows, cols, |i, j| values[j * rows + i])
    } else {
        Matrix::new(rows, cols, values).map_err(|e| format!("`{shown}`: {e}"))?
    };
    Ok(m)
}

/// The bytes of `m` as an `.npy` file (version 1.0, C order, little-endian) in `dtype`: one buffer,
/// written with one call (candle's writer made a system call per entry: 16 million at a batch of
/// a million 4x4 problems).
pub fn npy_bytes(m: &Matrix, dtype: Dtype) -> Vec<u8> {
    let descr = match dtype {
        Dtype::F32 => "<f4",
        Dtype::F64 => "<f8",
    };
    let mut header = format!(
        "{{'descr': '{descr}', 'fortran_order': False, 'shape': ({}, {}), }}",
        m.rows(),
        m.cols()
    );
    // The magic, the version and the length take 10 bytes; the header ends in a newline and the
    // data starts at a multiple of 64, as numpy writes it.
    while !(10 + header.len() + 1).is_multiple_of(64) {
        header.push(' ');
    }
    header.push('\n');
    let size = if dtype == Dtype::F32 { 4 } else { 8 };
    let mut bytes = Vec::with_capacity(10 + header.len() + size * m.data().len());
    bytes.extend_from_slice(b"\x93NUMPY\x01\x00");
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    for &v in m.data() {
        match dtype {
            Dtype::F32 => bytes.extend_from_slice(&(v as f32).to_le_bytes()),
            Dtype::F64 => bytes.extend_from_slice(&v.to_le_bytes()),
        }
    }
    bytes
}

/// One entry, as f64.
fn decode(chunk: &[u8], header: &NpyHeader) -> f64 {
    let mut b = [0u8; 8];
    b[..chunk.len()].copy_from_slice(chunk);
    if header.big_endian {
        b[..chunk.len()].reverse();
    }
    let bits = u64::from_le_bytes(b);
    match (header.kind, header.size) {
        (Kind::Float, 2) => half_to_f64(bits as u16),
        (Kind::Float, 4) => f64::from(f32::from_bits(bits as u32)),
        (Kind::Float, _) => f64::from_bits(bits),
        (Kind::Signed, n) => {
            let shift = 64 - 8 * n as u32;
            ((bits << shift) as i64 >> shift) as f64
        }
        (Kind::Unsigned, _) => bits as f64,
    }
}

/// An IEEE half-precision number, exactly, as f64.
fn half_to_f64(h: u16) -> f64 {
    let sign = if h & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exponent = i32::from((h >> 10) & 0x1f);
    let fraction = f64::from(h & 0x3ff);
    sign * match exponent {
        0 => fraction * 2f64.powi(-24),
        31 if fraction == 0.0 => f64::INFINITY,
        31 => f64::NAN,
        e => (1.0 + fraction / 1024.0) * 2f64.powi(e - 15),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(text: &str) -> Result<NpyHeader, String> {
        parse_header(text, 128)
    }

    #[test]
    fn headers_numpy_writes_parse() {
        let h = header("{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }").unwrap();
        assert_eq!((h.shape.clone(), h.fortran, h.size), (vec![3, 4], false, 8));
        let h = header("{'descr': '>i2', 'fortran_order': True, 'shape': (5,), }").unwrap();
        assert_eq!(h.matrix_shape(), (5, 1));
        assert!(h.big_endian && h.fortran);
    }

    #[test]
    fn bad_headers_say_why() {
        for (text, reason) in [
            (
                "{'descr': '|b1', 'fortran_order': False, 'shape': (2, 2), }",
                "bool dtype",
            ),
            (
                "{'descr': '<c16', 'fortran_order': False, 'shape': (2, 2), }",
                "not a float or integer",
            ),
            (
                "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), 'extra': 1, }",
                "unknown key 'extra'",
            ),
            (
                "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2, 2), }",
                "1 or 2 dimensions",
            ),
            (
                "{'descr': '<f8', 'fortran_order': False, 'shape': (), }",
                "1 or 2 dimensions",
            ),
            (
                "{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999999, 2), }",
                "not a size",
            ),
            ("{'descr': '<f8', 'shape': (2, 2), }", "no 'fortran_order'"),
            ("not a dict", "not a dict"),
        ] {
            let err = header(text).unwrap_err();
            assert!(err.contains(reason), "{text}: {err}");
        }
    }

    #[test]
    fn written_files_read_back_and_agree_with_candles_reader() {
        let m = Matrix::from_fn(3, 2, |i, j| (i as f64) - 0.25 * j as f64);
        let dir = std::env::temp_dir().join(format!("descent-npy-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for dtype in [Dtype::F32, Dtype::F64] {
            let path = dir.join(format!("{}.npy", dtype.name()));
            std::fs::write(&path, npy_bytes(&m, dtype)).unwrap();
            let header = npy_header(&path).unwrap();
            assert_eq!(read_npy_data(&path, &header).unwrap(), m);
            // candle (numpy's format as another reader sees it) reads the same matrix.
            let t = candle_core::Tensor::read_npy(&path).unwrap();
            assert_eq!(Matrix::from_tensor(&t).unwrap(), m);
        }
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn data_bytes_never_overflow() {
        let h = header(&format!(
            "{{'descr': '<f8', 'fortran_order': False, 'shape': ({}, {}), }}",
            usize::MAX,
            usize::MAX
        ))
        .unwrap();
        assert_eq!(h.data_bytes(), u128::MAX);
        let h = header(
            "{'descr': '<f8', 'fortran_order': False, 'shape': (1099511627776, 1099511627776), }",
        )
        .unwrap();
        assert_eq!(h.data_bytes(), 8u128 << 80);
    }

    #[test]
    fn entries_decode_to_their_values() {
        let h = |descr: &str| {
            header(&format!(
                "{{'descr': '{descr}', 'fortran_order': False, 'shape': (1,), }}"
            ))
            .unwrap()
        };
        assert_eq!(decode(&(-3i16).to_le_bytes(), &h("<i2")), -3.0);
        assert_eq!(decode(&(-3i16).to_be_bytes(), &h(">i2")), -3.0);
        assert_eq!(decode(&250u8.to_le_bytes(), &h("|u1")), 250.0);
        assert_eq!(decode(&1.5f32.to_le_bytes(), &h("<f4")), 1.5);
        assert_eq!(decode(&(-0.1f64).to_be_bytes(), &h(">f8")), -0.1);
        // Half precision: 1.0, -2.0, the smallest subnormal, infinity.
        assert_eq!(decode(&0x3c00u16.to_le_bytes(), &h("<f2")), 1.0);
        assert_eq!(decode(&0xc000u16.to_le_bytes(), &h("<f2")), -2.0);
        assert_eq!(decode(&0x0001u16.to_le_bytes(), &h("<f2")), 2f64.powi(-24));
        assert_eq!(decode(&0x7c00u16.to_le_bytes(), &h("<f2")), f64::INFINITY);
    }
}
