//! The IDX reader (the MNIST file format): [`read_idx`], [`read_idx_images`], [`read_idx_labels`].
//!
//! The format, and how the reader guards against sizes that lie, are described at
//! [`read_idx`].

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;

use crate::error::{Error, Result};
use crate::{Float, Matrix};

/// The element type of an IDX file, from byte 2 of its header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdxType {
    /// 0x08: unsigned byte.
    U8,
    /// 0x09: signed byte.
    I8,
    /// 0x0B: big-endian i16.
    I16,
    /// 0x0C: big-endian i32.
    I32,
    /// 0x0D: big-endian IEEE 754 f32.
    F32,
    /// 0x0E: big-endian IEEE 754 f64.
    F64,
}

impl IdxType {
    /// The type from its header code, `None` for a code IDX does not define.
    #[must_use]
    pub fn from_code(code: u8) -> Option<Self> {
        match code {
            0x08 => Some(IdxType::U8),
            0x09 => Some(IdxType::I8),
            0x0B => Some(IdxType::I16),
            0x0C => Some(IdxType::I32),
            0x0D => Some(IdxType::F32),
            0x0E => Some(IdxType::F64),
            _ => None,
        }
    }

    /// The header code, e.g. 0x08 for [`IdxType::U8`].
    #[must_use]
    pub fn code(self) -> u8 {
        match self {
            IdxType::U8 => 0x08,
            IdxType::I8 => 0x09,
            IdxType::I16 => 0x0B,
            IdxType::I32 => 0x0C,
            IdxType::F32 => 0x0D,
            IdxType::F64 => 0x0E,
        }
    }

    /// The size of one element in bytes.
    #[must_use]
    pub fn size(self) -> usize {
        match self {
            IdxType::U8 | IdxType::I8 => 1,
            IdxType::I16 => 2,
            IdxType::I32 | IdxType::F32 => 4,
            IdxType::F64 => 8,
        }
    }

    fn name(self) -> &'static str {
        match self {
            IdxType::U8 => "u8",
            IdxType::I8 => "i8",
            IdxType::I16 => "i16",
            IdxType::I32 => "i32",
            IdxType::F32 => "f32",
            IdxType::F64 => "f64",
        }
    }
}

/// The elements of an IDX file, in row-major order, in their own type.
#[derive(Clone, Debug, PartialEq)]
pub enum IdxData {
    /// Unsigned bytes, e.g. MNIST pixels and labels.
    U8(Vec<u8>),
    /// Signed bytes.
    I8(Vec<i8>),
    /// 16-bit integers.
    I16(Vec<i16>),
    /// 32-bit integers.
    I32(Vec<i32>),
    /// 32-bit floats.
    F32(Vec<f32>),
    /// 64-bit floats.
    F64(Vec<f64>),
}

impl IdxData {
    /// The element type.
    #[must_use]
    pub fn kind(&self) -> IdxType {
        match self {
            IdxData::U8(_) => IdxType::U8,
            IdxData::I8(_) => IdxType::I8,
            IdxData::I16(_) => IdxType::I16,
            IdxData::I32(_) => IdxType::I32,
            IdxData::F32(_) => IdxType::F32,
            IdxData::F64(_) => IdxType::F64,
        }
    }

    /// The number of elements.
    #[must_use]
    pub fn len(&self) -> usize {
        match self {
            IdxData::U8(v) => v.len(),
            IdxData::I8(v) => v.len(),
            IdxData::I16(v) => v.len(),
            IdxData::I32(v) => v.len(),
            IdxData::F32(v) => v.len(),
            IdxData::F64(v) => v.len(),
        }
    }

    /// `true` if there are no elements.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every element converted to `f64` (exactly: each type fits).
    #[must_use]
    pub fn to_f64_vec(&self) -> Vec<f64> {
        match self {
            IdxData::U8(v) => v.iter().map(|&x| f64::from(x)).collect(),
            IdxData::I8(v) => v.iter().map(|&x| f64::from(x)).collect(),
            IdxData::I16(v) => v.iter().map(|&x| f64::from(x)).collect(),
            IdxData::I32(v) => v.iter().map(|&x| f64::from(x)).collect(),
            IdxData::F32(v) => v.iter().map(|&x| f64::from(x)).collect(),
            IdxData::F64(v) => v.clone(),
        }
    }
}

/// The contents of an IDX file: its dimensions and its elements.
#[derive(Clone, Debug, PartialEq)]
pub struct IdxArray {
    dims: Vec<usize>,
    data: IdxData,
}

impl IdxArray {
    /// The size of each dimension, outermost first (e.g. images, rows, columns).
    #[must_use]
    pub fn dims(&self) -> &[usize] {
        &self.dims
    }

    /// The elements, in row-major order.
    #[must_use]
    pub fn data(&self) -> &IdxData {
        &self.data
    }

    /// The elements, by value.
    #[must_use]
    pub fn into_data(self) -> IdxData {
        self.data
    }

    /// Images as a matrix with one image per row and pixels scaled from 0..=255 to
    /// [0, 1]: an array of n × d₁ × … × dₖ unsigned bytes becomes an n × (d₁ ⋯ dₖ) matrix.
    ///
    /// ```
    /// use backprop::read_idx;
    ///
    /// // Two 1×2 images of u8: magic 0x00000803, sizes 2, 1, 2, then the pixels.
    /// let bytes = [0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2, 0, 255, 51, 102];
    /// let images = read_idx(&bytes[..])?.into_images::<f64>()?;
    /// assert_eq!(images.shape(), (2, 2)); // one image per row
    /// assert_eq!(images.row(0), &[0.0, 1.0]);
    /// assert!((images[(1, 0)] - 0.2).abs() < 1e-12 && (images[(1, 1)] - 0.4).abs() < 1e-12);
    /// # Ok::<(), backprop::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::Format`] if the elements are not unsigned bytes or there are fewer than
    /// two dimensions.
    pub fn into_images<T: Float>(self) -> Result<Matrix<T>> {
        let IdxData::U8(pixels) = self.data else {
            return Err(format_error(
                format!("images must be unsigned bytes (IDX type 0x08), found {}", describe(self.data.kind())),
                None,
            ));
        };
        let Some((&rows, rest)) = self.dims.split_first().filter(|(_, rest)| !rest.is_empty()) else {
            return Err(format_error(
                format!("images need at least 2 dimensions (images × pixels), found {}", self.dims.len()),
                None,
            ));
        };
        let cols = checked_product(rest)
            .ok_or_else(|| format_error(format!("an image of {} pixels is too large", join_dims(rest)), None))?;
        let scale = 1.0 / 255.0;
        Matrix::new(rows, cols, pixels.into_iter().map(|p| T::from_f64(f64::from(p) * scale)).collect())
    }

    /// Class labels, one per element of a one-dimensional array of integers.
    ///
    /// ```
    /// use backprop::read_idx;
    ///
    /// // Three u8 labels: magic 0x00000801, size 3, then the labels.
    /// let bytes = [0, 0, 8, 1, 0, 0, 0, 3, 7, 0, 9];
    /// assert_eq!(read_idx(&bytes[..])?.into_labels()?, [7, 0, 9]);
    /// let negative = [0, 0, 9, 1, 0, 0, 0, 1, 0xFF]; // an i8 label −1
    /// assert!(read_idx(&negative[..])?.into_labels().is_err());
    /// # Ok::<(), backprop::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::Format`] if the array has more than one dimension, holds floats, or holds
    /// a negative number.
    pub fn into_labels(self) -> Result<Vec<usize>> {
        if self.dims.len() != 1 {
            return Err(format_error(format!("labels need 1 dimension, found {}", self.dims.len()), None));
        }
        let wide: Vec<i64> = match self.data {
            IdxData::U8(v) => return Ok(v.into_iter().map(usize::from).collect()),
            IdxData::I8(v) => v.into_iter().map(i64::from).collect(),
            IdxData::I16(v) => v.into_iter().map(i64::from).collect(),
            IdxData::I32(v) => v.into_iter().map(i64::from).collect(),
            IdxData::F32(_) | IdxData::F64(_) => {
                return Err(format_error(
                    format!("labels must be integers, found {}", describe(self.data.kind())),
                    None,
                ));
            }
        };
        wide.iter()
            .enumerate()
            .map(|(i, &label)| {
                usize::try_from(label)
                    .map_err(|_| format_error(format!("label {label} at position {i} is negative"), None))
            })
            .collect()
    }
}

fn format_error(reason: String, offset: Option<u64>) -> Error {
    Error::Format { reason, offset }
}

fn describe(kind: IdxType) -> String {
    format!("type 0x{:02X} ({})", kind.code(), kind.name())
}

fn join_dims(dims: &[usize]) -> String {
    crate::error::listed(dims, "×").to_string()
}

/// The product of `dims`: 0 if one of them is 0; `None` if that many elements of 8 bytes
/// (the widest IDX type) would be more than the largest allocation, `isize::MAX` bytes,
/// counting a 0 as a 1 (so that a zero dimension cannot hide others that no memory
/// could hold).
fn checked_product(dims: &[usize]) -> Option<usize> {
    let bound = dims.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d.max(1)))?;
    if bound.checked_mul(8)? > isize::MAX as usize {
        return None;
    }
    Some(if dims.contains(&0) { 0 } else { bound })
}

/// Reads into `buf` until it is full or the reader ends; returns the number of bytes read.
fn fill(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Reads exactly `buf.len()` header bytes starting at byte `offset`.
fn read_header(reader: &mut impl Read, buf: &mut [u8], offset: u64) -> Result<()> {
    let found = fill(reader, buf)?;
    if found < buf.len() {
        return Err(format_error(
            format!("truncated header: expected {} more bytes, found {found}", buf.len()),
            Some(offset + found as u64),
        ));
    }
    Ok(())
}

/// Reads an IDX array from a byte stream.
///
/// An IDX file (the format of the MNIST files) is a header and then the data:
///
/// | bytes | content |
/// |---|---|
/// | 0, 1 | zero |
/// | 2 | the element type: 0x08 u8, 0x09 i8, 0x0B i16, 0x0C i32, 0x0D f32, 0x0E f64 |
/// | 3 | the number of dimensions d ≥ 1 |
/// | 4 .. 4 + 4d | the size of each dimension, a big-endian u32 |
/// | then | the elements, big-endian, in row-major order, nothing after them |
///
/// So an MNIST image file starts 0x00000803 (u8, 3 dimensions: images × rows × columns)
/// and a label file 0x00000801 (u8, 1 dimension).
///
/// No size in the header is trusted: the declared data length is checked for overflow,
/// and the data is read in chunks that at most double, so memory follows the bytes that
/// actually arrive, not the size the header claims.
///
/// ```
/// use backprop::{read_idx, IdxData};
///
/// // Two 1×2 images of u8: magic 0x00000803, then sizes 2, 1, 2, then 4 pixels.
/// let bytes = [0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2, 0, 255, 128, 7];
/// let array = read_idx(&bytes[..])?;
/// assert_eq!(array.dims(), &[2, 1, 2]);
/// assert_eq!(array.data(), &IdxData::U8(vec![0, 255, 128, 7]));
/// # Ok::<(), backprop::Error>(())
/// ```
///
/// # Errors
/// [`Error::Format`], with the byte offset, if the magic number is wrong, the type is not
/// one of the six, there are no dimensions, their product overflows, the data is shorter
/// than declared ("expected N bytes of data, found M") or followed by more bytes;
/// [`Error::Io`] if reading fails.
pub fn read_idx(reader: impl Read) -> Result<IdxArray> {
    read_idx_with_len(reader, None)
}

/// Reads an IDX file (see [`read_idx`]). The declared size is checked against the file's
/// length before any memory is allocated for the data.
///
/// ```
/// use backprop::{IdxType, read_idx_file};
///
/// let path = std::env::temp_dir().join(format!("backprop-doc-idx-{}.idx", std::process::id()));
/// std::fs::write(&path, [0, 0, 8, 1, 0, 0, 0, 2, 4, 2])?; // two u8 labels
/// let array = read_idx_file(&path);
/// std::fs::write(&path, [0, 0, 8, 1, 0, 0, 0, 3, 4, 2])?; // says three, holds two
/// let truncated = read_idx_file(&path);
/// std::fs::remove_file(&path)?;
/// let array = array?;
/// assert_eq!((array.dims(), array.data().kind()), (&[2][..], IdxType::U8));
/// assert!(truncated.is_err());
/// # Ok::<(), backprop::Error>(())
/// ```
///
/// # Errors
/// As [`read_idx`], but an error of opening or reading the file is an [`Error::File`]
/// naming `path`.
pub fn read_idx_file(path: impl AsRef<Path>) -> Result<IdxArray> {
    let path = path.as_ref();
    let read = || {
        let file = File::open(path)?;
        let metadata = file.metadata()?;
        // Only a regular file's length is known in advance (a pipe reports 0).
        let len = metadata.is_file().then_some(metadata.len());
        read_idx_with_len(BufReader::new(file), len)
    };
    read().map_err(|e| e.in_file("read", path))
}

/// Reads an IDX image file (e.g. MNIST's `train-images-idx3-ubyte`) as a matrix with one
/// image per row and pixels scaled to [0, 1]; see [`IdxArray::into_images`].
///
/// ```no_run
/// use backprop::{read_idx_images, read_idx_labels, Dataset};
///
/// let images = read_idx_images::<f32>("mnist/train-images-idx3-ubyte")?;
/// let labels = read_idx_labels("mnist/train-labels-idx1-ubyte")?;
/// let train = Dataset::from_labels(images, &labels, 10)?;
/// # Ok::<(), backprop::Error>(())
/// ```
///
/// # Errors
/// As [`read_idx_file`] and [`IdxArray::into_images`].
pub fn read_idx_images<T: Float>(path: impl AsRef<Path>) -> Result<Matrix<T>> {
    read_idx_file(path)?.into_images()
}

/// Reads an IDX label file (e.g. MNIST's `train-labels-idx1-ubyte`); see
/// [`IdxArray::into_labels`].
///
/// ```
/// use backprop::{Dataset, read_idx_images, read_idx_labels};
///
/// let dir = std::env::temp_dir();
/// let images = dir.join(format!("backprop-doc-images-{}.idx", std::process::id()));
/// let labels = dir.join(format!("backprop-doc-labels-{}.idx", std::process::id()));
/// // Three 2×2 u8 images (magic 0x00000803, sizes 3, 2, 2) and their labels (0x00000801, 3).
/// let mut image_bytes = vec![0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 2];
/// image_bytes.extend([255u8; 3 * 4]); // white pixels
/// std::fs::write(&images, image_bytes)?;
/// std::fs::write(&labels, [0, 0, 8, 1, 0, 0, 0, 3, 2, 0, 1])?;
/// let (x, y) = (read_idx_images::<f32>(&images), read_idx_labels(&labels));
/// std::fs::remove_file(&images)?;
/// std::fs::remove_file(&labels)?;
/// let data = Dataset::from_labels(x?, &y?, 3)?;
/// assert_eq!((data.len(), data.n_inputs(), data.n_targets()), (3, 4, 3));
/// assert_eq!(data.sample(0), (&[1.0; 4][..], &[0.0, 0.0, 1.0][..])); // pixel 255 is 1, label 2
/// # Ok::<(), backprop::Error>(())
/// ```
///
/// # Errors
/// As [`read_idx_file`] and [`IdxArray::into_labels`].
pub fn read_idx_labels(path: impl AsRef<Path>) -> Result<Vec<usize>> {
    read_idx_file(path)?.into_labels()
}

/// Data is read from a stream of unknown length in chunks that start at this size and
/// at most double, so a lying header cannot make the reader allocate much more than
/// what the stream really holds.
const FIRST_CHUNK: usize = 1 << 16;

/// [`read_idx`], with the total length of the input when it is known (a file).
fn read_idx_with_len<R: Read>(mut reader: R, total_len: Option<u64>) -> Result<IdxArray> {
    let mut magic = [0u8; 4];
    read_header(&mut reader, &mut magic, 0)?;
    if magic[0] != 0 || magic[1] != 0 {
        return Err(format_error(
            format!("bad magic number 0x{:08X}: an IDX file starts with two zero bytes", u32::from_be_bytes(magic)),
            Some(0),
        ));
    }
    let kind = IdxType::from_code(magic[2])
        .ok_or_else(|| format_error(format!("unsupported IDX type 0x{:02X}", magic[2]), Some(2)))?;
    let ndims = usize::from(magic[3]);
    if ndims == 0 {
        return Err(format_error("an IDX file needs at least one dimension, found 0".into(), Some(3)));
    }
    let mut sizes = vec![0u8; 4 * ndims];
    read_header(&mut reader, &mut sizes, 4)?;
    let dims: Vec<usize> = sizes
        .chunks_exact(4)
        // A size that does not fit a usize cannot be addressed: saturate, and let the
        // overflow check below reject it.
        .map(|c| usize::try_from(u32::from_be_bytes(be_bytes(c))).unwrap_or(usize::MAX))
        .collect();
    let header_len = 4 + sizes.len() as u64;
    let n_bytes = checked_product(&dims).map(|n| n * kind.size()).ok_or_else(|| {
        format_error(
            format!("the dimensions {} of {} elements are too large to address", join_dims(&dims), kind.name()),
            Some(4),
        )
    })?;

    let bytes = match total_len {
        Some(total) => {
            // The file's length is known: check it before allocating anything.
            let available = total.saturating_sub(header_len);
            if available < n_bytes as u64 {
                return Err(truncated(n_bytes, available, header_len));
            }
            if available > n_bytes as u64 {
                return Err(format_error(
                    format!("{} trailing bytes after the {n_bytes} bytes of data", available - n_bytes as u64),
                    Some(header_len + n_bytes as u64),
                ));
            }
            let mut bytes = vec![0u8; n_bytes];
            let found = fill(&mut reader, &mut bytes)?;
            if found < n_bytes {
                // The file shrank while it was being read.
                return Err(truncated(n_bytes, found as u64, header_len));
            }
            bytes
        }
        None => {
            let mut bytes: Vec<u8> = Vec::new();
            while bytes.len() < n_bytes {
                let start = bytes.len();
                let chunk = (n_bytes - start).min(start.max(FIRST_CHUNK));
                bytes.reserve_exact(chunk);
                bytes.resize(start + chunk, 0);
                let found = fill(&mut reader, &mut bytes[start..])?;
                bytes.truncate(start + found);
                if found < chunk {
                    return Err(truncated(n_bytes, bytes.len() as u64, header_len));
                }
            }
            let mut probe = [0u8; 1];
            if fill(&mut reader, &mut probe)? > 0 {
                return Err(format_error(
                    format!("unexpected bytes after the {n_bytes} bytes of data"),
                    Some(header_len + n_bytes as u64),
                ));
            }
            bytes
        }
    };
    Ok(IdxArray { dims, data: decode(kind, bytes) })
}

fn truncated(expected: usize, found: u64, header_len: u64) -> Error {
    format_error(format!("expected {expected} bytes of data, found {found}"), Some(header_len + found))
}

/// `c` as an array; `c` comes from `chunks_exact(N)`, so the lengths match.
fn be_bytes<const N: usize>(c: &[u8]) -> [u8; N] {
    let mut a = [0u8; N];
    a.copy_from_slice(c);
    a
}

/// The big-endian elements of `bytes`, whose length is a multiple of `kind.size()`.
fn decode(kind: IdxType, bytes: Vec<u8>) -> IdxData {
    match kind {
        IdxType::U8 => IdxData::U8(bytes),
        IdxType::I8 => IdxData::I8(bytes.into_iter().map(|b| i8::from_be_bytes([b])).collect()),
        IdxType::I16 => IdxData::I16(bytes.chunks_exact(2).map(|c| i16::from_be_bytes(be_bytes(c))).collect()),
        IdxType::I32 => IdxData::I32(bytes.chunks_exact(4).map(|c| i32::from_be_bytes(be_bytes(c))).collect()),
        IdxType::F32 => IdxData::F32(bytes.chunks_exact(4).map(|c| f32::from_be_bytes(be_bytes(c))).collect()),
        IdxType::F64 => IdxData::F64(bytes.chunks_exact(8).map(|c| f64::from_be_bytes(be_bytes(c))).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An IDX file: header for `kind` and `dims`, then `data` as given.
    fn idx(kind: u8, dims: &[u32], data: &[u8]) -> Vec<u8> {
        let mut bytes = vec![0, 0, kind, dims.len() as u8];
        for d in dims {
            bytes.extend_from_slice(&d.to_be_bytes());
        }
        bytes.extend_from_slice(data);
        bytes
    }

    fn message(result: Result<IdxArray>) -> (String, Option<u64>) {
        match result {
            Err(Error::Format { reason, offset }) => (reason, offset),
            other => panic!("expected a format error, got {other:?}"),
        }
    }

    /// A file in the temporary directory, removed when dropped.
    struct TempFile(std::path::PathBuf);

    impl TempFile {
        fn new(name: &str, bytes: &[u8]) -> Self {
            let path = std::env::temp_dir().join(format!("backprop-idx-test-{}-{name}", std::process::id()));
            std::fs::write(&path, bytes).unwrap();
            TempFile(path)
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    #[test]
    fn damaged_files_give_errors_not_panics() {
        let valid = idx(0x0B, &[2, 3], &[0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6]);
        for len in 0..valid.len() {
            assert!(read_idx(&valid[..len]).is_err(), "prefix of {len} bytes");
        }
        let mut rng = crate::Rng::new(8);
        for _ in 0..5_000 {
            let mut bytes = valid.clone();
            for _ in 0..1 + rng.below(3) {
                let at = rng.below(bytes.len());
                bytes[at] = rng.next_u64() as u8;
            }
            if let Ok(a) = read_idx(&bytes[..]) {
                let _ = a.clone().into_images::<f32>();
                let _ = a.into_labels();
            }
        }
    }

    #[test]
    fn messages_list_at_most_a_few_dimensions() {
        // 255 dimensions, the most a header holds, whose product overflows.
        let (m, _) = message(read_idx(&idx(0x08, &[65536; 255], &[])[..]));
        let eight = ["65536"; 8].join("×");
        assert!(m.contains(&format!("the dimensions {eight}×… (247 more) of ")), "{m}");
        assert!(m.len() < 200, "{} bytes: {m}", m.len());
    }

    #[test]
    fn reads_mnist_shaped_images_and_labels() {
        let images = idx(0x08, &[3, 2, 2], &[0, 255, 51, 102, 1, 2, 3, 4, 255, 255, 0, 0]);
        let array = read_idx(&images[..]).unwrap();
        assert_eq!(array.dims(), &[3, 2, 2]);
        let m: Matrix<f64> = array.into_images().unwrap();
        assert_eq!(m.shape(), (3, 4));
        assert_eq!(m.row(0), &[0.0, 1.0, 0.2, 0.4]);
        let labels = idx(0x08, &[3], &[7, 0, 9]);
        assert_eq!(read_idx(&labels[..]).unwrap().into_labels().unwrap(), [7, 0, 9]);
    }

    #[test]
    fn decodes_every_type_big_endian() {
        let a = read_idx(&idx(0x09, &[2], &[0xFF, 0x05])[..]).unwrap();
        assert_eq!(a.data(), &IdxData::I8(vec![-1, 5]));
        let a = read_idx(&idx(0x0B, &[2], &[0x01, 0x02, 0xFF, 0xFE])[..]).unwrap();
        assert_eq!(a.data(), &IdxData::I16(vec![0x0102, -2]));
        let a = read_idx(&idx(0x0C, &[1], &(-70000i32).to_be_bytes())[..]).unwrap();
        assert_eq!(a.data(), &IdxData::I32(vec![-70000]));
        let a = read_idx(&idx(0x0D, &[1, 1], &1.5f32.to_be_bytes())[..]).unwrap();
        assert_eq!(a.data(), &IdxData::F32(vec![1.5]));
        let a = read_idx(&idx(0x0E, &[1], &(-0.25f64).to_be_bytes())[..]).unwrap();
        assert_eq!(a.data().to_f64_vec(), [-0.25]);
        assert_eq!(a.data().kind(), IdxType::F64);
        assert_eq!((a.data().len(), a.data().is_empty()), (1, false));
        for code in [0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E] {
            assert_eq!(IdxType::from_code(code).map(IdxType::code), Some(code));
        }
    }

    #[test]
    fn header_errors_name_the_problem_and_offset() {
        let (m, o) = message(read_idx(&[1u8, 0, 8, 1, 0, 0, 0, 0][..]));
        assert_eq!((m.as_str(), o), ("bad magic number 0x01000801: an IDX file starts with two zero bytes", Some(0)));
        let (m, o) = message(read_idx(&idx(0x0A, &[1], &[0])[..]));
        assert_eq!((m.as_str(), o), ("unsupported IDX type 0x0A", Some(2)));
        let (m, o) = message(read_idx(&idx(0x08, &[], &[])[..]));
        assert_eq!((m.as_str(), o), ("an IDX file needs at least one dimension, found 0", Some(3)));
        let (m, o) = message(read_idx(&[0u8, 0, 8][..]));
        assert_eq!((m.as_str(), o), ("truncated header: expected 4 more bytes, found 3", Some(3)));
        let (m, o) = message(read_idx(&[0u8, 0, 8, 2, 0, 0, 0, 1, 0, 0][..]));
        assert_eq!((m.as_str(), o), ("truncated header: expected 8 more bytes, found 6", Some(10)));
        assert!(message(read_idx(&[][..])).0.starts_with("truncated header"));
    }

    #[test]
    fn overflowing_dimensions_are_rejected() {
        let huge = [u32::MAX; 4];
        let (m, o) = message(read_idx(&idx(0x0E, &huge, &[])[..]));
        assert!(m.ends_with("are too large to address"), "{m}");
        assert_eq!(o, Some(4));
        // A zero dimension makes the product 0, but it does not hide the others: no
        // image of 4294967295×4294967295 pixels can be held.
        for dims in [[0, u32::MAX, u32::MAX, u32::MAX], [0, u32::MAX, u32::MAX, 1]] {
            let (m, o) = message(read_idx(&idx(0x08, &dims, &[])[..]));
            assert!(m.ends_with("are too large to address"), "{m}");
            assert_eq!(o, Some(4));
        }
        // A zero dimension beside ordinary ones is an empty array, and no images.
        let a = read_idx(&idx(0x08, &[0, 28, 28], &[])[..]).unwrap();
        assert!(a.data().is_empty());
        assert_eq!(a.into_images::<f32>().unwrap().shape(), (0, 784));
    }

    #[test]
    fn truncated_and_trailing_data_from_a_stream() {
        let (m, o) = message(read_idx(&idx(0x08, &[2, 3], &[1, 2, 3, 4])[..]));
        assert_eq!((m.as_str(), o), ("expected 6 bytes of data, found 4", Some(16)));
        let (m, o) = message(read_idx(&idx(0x0B, &[2], &[1, 2, 3, 4, 5])[..]));
        assert_eq!((m.as_str(), o), ("unexpected bytes after the 4 bytes of data", Some(12)));
    }

    #[test]
    fn a_lying_header_does_not_make_a_stream_reader_allocate_it() {
        // Declares 4 GiB − 1 bytes of u8 but holds 10: the reader must fail quickly
        // after one small chunk, not try to reserve gigabytes.
        let (m, _) = message(read_idx(&idx(0x08, &[u32::MAX], &[0; 10])[..]));
        assert_eq!(m, format!("expected {} bytes of data, found 10", u32::MAX));
        // And a long genuine stream, spanning several chunks, still reads.
        let n = 3 * FIRST_CHUNK + 17;
        let data: Vec<u8> = (0..n).map(|i| (i % 251) as u8).collect();
        let a = read_idx(&idx(0x08, &[n as u32], &data)[..]).unwrap();
        assert_eq!(a.into_data(), IdxData::U8(data));
    }

    #[test]
    fn files_are_checked_against_their_length() {
        let f = TempFile::new("truncated", &idx(0x08, &[u32::MAX, 2], &[1, 2, 3]));
        let e = read_idx_file(&f.0).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("malformed data at byte 15: expected {} bytes of data, found 3", 2 * u32::MAX as u64)
        );
        let f = TempFile::new("trailing", &idx(0x08, &[2], &[1, 2, 3]));
        let e = read_idx_file(&f.0).unwrap_err();
        assert_eq!(e.to_string(), "malformed data at byte 10: 1 trailing bytes after the 2 bytes of data");
        assert!(matches!(read_idx_file(f.0.with_extension("missing")), Err(Error::File { action: "read", .. })));
    }

    #[test]
    fn image_and_label_files_load_into_a_dataset() {
        let images = TempFile::new("images", &idx(0x08, &[2, 1, 2], &[0, 255, 255, 0]));
        let labels = TempFile::new("labels", &idx(0x08, &[2], &[1, 0]));
        let x = read_idx_images::<f32>(&images.0).unwrap();
        let y = read_idx_labels(&labels.0).unwrap();
        let data = crate::Dataset::from_labels(x, &y, 2).unwrap();
        assert_eq!(data.sample(0), (&[0.0f32, 1.0][..], &[0.0f32, 1.0][..]));
        // Mislabelled counts: three labels for two images.
        let three = TempFile::new("three", &idx(0x08, &[3], &[1, 0, 1]));
        let y = read_idx_labels(&three.0).unwrap();
        let x = read_idx_images::<f32>(&images.0).unwrap();
        let e = crate::Dataset::from_labels(x, &y, 2).unwrap_err();
        assert!(e.to_string().starts_with("2 input rows but 3 labels"), "{e}");
    }

    #[test]
    fn images_and_labels_check_type_and_shape() {
        let e = read_idx(&idx(0x0D, &[1, 1], &[0; 4])[..]).unwrap().into_images::<f32>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "malformed data: images must be unsigned bytes (IDX type 0x08), found type 0x0D (f32)"
        );
        let e = read_idx(&idx(0x08, &[2], &[0; 2])[..]).unwrap().into_images::<f32>().unwrap_err();
        assert!(e.to_string().contains("at least 2 dimensions"), "{e}");
        let e = read_idx(&idx(0x08, &[1, 1], &[0])[..]).unwrap().into_labels().unwrap_err();
        assert_eq!(e.to_string(), "malformed data: labels need 1 dimension, found 2");
        let e = read_idx(&idx(0x09, &[2], &[1, 0xFF])[..]).unwrap().into_labels().unwrap_err();
        assert_eq!(e.to_string(), "malformed data: label -1 at position 1 is negative");
        let e = read_idx(&idx(0x0E, &[1], &[0; 8])[..]).unwrap().into_labels().unwrap_err();
        assert!(e.to_string().contains("labels must be integers"), "{e}");
        let labels = read_idx(&idx(0x0C, &[2], &[0, 0, 1, 0, 0, 0, 0, 3])[..]).unwrap().into_labels().unwrap();
        assert_eq!(labels, [256, 3]);
    }
}
