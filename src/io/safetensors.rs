//! The safetensors file layout: named `f32`/`f64` tensors behind a JSON header.
//!
//! # Layout
//! ```text
//! bytes 0..8        N, the header length, a little-endian u64
//! bytes 8..8+N      the header: UTF-8 JSON, padded with spaces
//! bytes 8+N..       the data buffer: every tensor's elements, raw little-endian
//! ```
//! The header is one object. Each member but `"__metadata__"` describes a tensor:
//! `"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}`, where the
//! offsets are relative to the start of the data buffer and `end − begin` is the number
//! of elements (the product of the shape; 1 for the shape `[]`) times the element size.
//! The optional `"__metadata__"` member is an object of free-form strings.
//!
//! # What the reader checks
//! Like the reference implementation, the reader accepts a file only if its tensors
//! tile the data buffer exactly: no tensor overlaps another, no byte is left between
//! them, and none follows the last one. It also rejects a header longer than
//! [`HEADER_LIMIT`] or than the file, or holding more than
//! [`MAX_VALUES`](json::MAX_VALUES) JSON values (which bounds the memory the header
//! takes once parsed), a header that is not UTF-8 or not an object,
//! unknown and missing fields, dtypes other than `F32` and `F64`, and shapes whose
//! size overflows. With [`NonFinite::Reject`] it rejects NaN and infinite elements too.
//! Every problem is an [`Error::Format`] with the byte offset (in the file) where it
//! was found, and a message naming the tensor.
//!
//! Where the reference implementation (safetensors 0.8) is lenient, this reader is
//! not: it rejects two tensors of the same name (the reference keeps the last one),
//! unknown fields in a tensor entry (the reference ignores them), and numbers with a
//! sign, fraction, exponent or leading zero. It accepts what the reference accepts
//! around that: whitespace around the header object, a header length that is not a
//! multiple of 8, and `"__metadata__": null`.
//!
//! # What the writer produces
//! The same layout as the reference implementation: the header as compact JSON with
//! `"__metadata__"` first (left out when there is none) and the tensors ordered by
//! element size, largest first, then by name; the header padded with spaces to a
//! multiple of 8 bytes, so every tensor is aligned to its element size. The metadata
//! is written sorted by key; the reference implementation keeps it in a hash map and
//! writes it in no fixed order, so with at most one metadata entry the two produce
//! the same bytes, and otherwise the same bytes up to the order of the metadata.

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::Path;

use crate::error::{Error, Result, quoted, shape_text};
use crate::io::atomic::write_atomic;
use crate::io::json::{self, Member, Value};

/// The largest header, in bytes, the reader accepts and the writer produces: the
/// reference implementation's limit.
pub(crate) const HEADER_LIMIT: u64 = 100_000_000;

const _: () = assert!(HEADER_LIMIT as usize <= json::MAX_INPUT_LEN);

/// The header key that holds the metadata rather than a tensor.
const METADATA_KEY: &str = "__metadata__";

/// Where the header starts: right after the 8-byte header length.
const HEADER_START: u64 = 8;

/// The element type of a tensor, as named in the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Dtype {
    /// IEEE 754 binary32, `"F32"`.
    F32,
    /// IEEE 754 binary64, `"F64"`.
    F64,
}

impl Dtype {
    /// The name in the header: `"F32"` or `"F64"`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Dtype::F32 => "F32",
            Dtype::F64 => "F64",
        }
    }

    /// The size of one element in bytes.
    pub(crate) fn size(self) -> usize {
        match self {
            Dtype::F32 => 4,
            Dtype::F64 => 8,
        }
    }

    /// The dtype called `name`, or why it cannot be read.
    fn from_name(name: &str) -> std::result::Result<Dtype, String> {
        /// The other dtypes of the safetensors format, named so the message can tell
        /// "valid but not supported" from "not a dtype at all".
        const OTHERS: &[&str] = &[
            "BOOL", "F4", "F6_E2M3", "F6_E3M2", "U8", "I8", "F8_E5M2", "F8_E4M3", "F8_E8M0", "I16", "U16", "F16",
            "BF16", "I32", "U32", "I64", "U64", "C64",
        ];
        match name {
            "F32" => Ok(Dtype::F32),
            "F64" => Ok(Dtype::F64),
            other if OTHERS.contains(&other) => {
                Err(format!("unsupported dtype {} (only F32 and F64 are)", quoted(other)))
            }
            other => Err(format!("unknown dtype {}", quoted(other))),
        }
    }
}

/// A tensor's elements, borrowed, for writing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum TensorData<'a> {
    /// `f32` elements, written as `"F32"`.
    F32(&'a [f32]),
    /// `f64` elements, written as `"F64"`.
    F64(&'a [f64]),
}

impl TensorData<'_> {
    /// The element type.
    pub(crate) fn dtype(&self) -> Dtype {
        match self {
            TensorData::F32(_) => Dtype::F32,
            TensorData::F64(_) => Dtype::F64,
        }
    }

    /// The number of elements.
    pub(crate) fn len(&self) -> usize {
        match self {
            TensorData::F32(xs) => xs.len(),
            TensorData::F64(xs) => xs.len(),
        }
    }
}

impl<'a> From<&'a [f32]> for TensorData<'a> {
    fn from(xs: &'a [f32]) -> Self {
        TensorData::F32(xs)
    }
}

impl<'a> From<&'a [f64]> for TensorData<'a> {
    fn from(xs: &'a [f64]) -> Self {
        TensorData::F64(xs)
    }
}

/// A named tensor to write: the elements of a row-major array of the given shape.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct TensorView<'a> {
    /// The tensor's name, e.g. `"layers.0.weights"`.
    pub(crate) name: &'a str,
    /// The size of each dimension, e.g. `[n_out, n_in]`; `[]` for a scalar.
    pub(crate) shape: &'a [usize],
    /// The elements, as many as the product of `shape`.
    pub(crate) data: TensorData<'a>,
}

/// A tensor's elements, owned, as read.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TensorBuf {
    /// Elements of an `"F32"` tensor.
    F32(Vec<f32>),
    /// Elements of an `"F64"` tensor.
    F64(Vec<f64>),
}

/// A named tensor, as read from a file.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Tensor {
    /// The tensor's name.
    pub(crate) name: String,
    /// The size of each dimension; the product is the number of elements.
    pub(crate) shape: Vec<usize>,
    /// The elements, in row-major order.
    pub(crate) data: TensorBuf,
}

impl Tensor {
    /// The tensor borrowed as a [`TensorView`], e.g. to write it again.
    pub(crate) fn view(&self) -> TensorView<'_> {
        let data = match &self.data {
            TensorBuf::F32(xs) => TensorData::F32(xs),
            TensorBuf::F64(xs) => TensorData::F64(xs),
        };
        TensorView { name: &self.name, shape: &self.shape, data }
    }
}

/// The content of a safetensors file.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct SafeTensors {
    /// The `"__metadata__"` strings, empty if the file has none.
    pub(crate) metadata: BTreeMap<String, String>,
    /// The tensors, in the order of their data in the file.
    pub(crate) tensors: Vec<Tensor>,
}

/// What the reader does with NaN and infinite elements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NonFinite {
    /// Keep them: read the bits as they are. Only the tests read such files, to check
    /// the reader's other checks on every bit pattern.
    #[cfg(test)]
    Allow,
    /// Reject the file, naming the tensor and the element's index.
    Reject,
}

/// Writes `tensors` and `metadata` as a safetensors file to `w` (see the module docs
/// for the layout and order).
///
/// # Errors
/// [`Error::Incompatible`] if two tensors share a name, a tensor is called
/// `"__metadata__"`, a tensor's element count is not the product of its shape, or the
/// header would exceed [`HEADER_LIMIT`]; nothing is written then. [`Error::Io`] if
/// writing fails.
pub(crate) fn write<W: Write + ?Sized>(
    w: &mut W,
    tensors: &[TensorView<'_>],
    metadata: &BTreeMap<String, String>,
) -> Result<()> {
    let invalid = |reason: String| Error::Incompatible { reason };
    let mut names = HashSet::new();
    for t in tensors {
        if t.name == METADATA_KEY {
            return Err(invalid(format!("a tensor cannot be called {METADATA_KEY:?}, the metadata key")));
        }
        if !names.insert(t.name) {
            return Err(invalid(format!("two tensors are called {}", quoted(t.name))));
        }
        let count = t.shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d));
        if count != Some(t.data.len()) {
            let (name, shape, len) = (quoted(t.name), shape_text(t.shape), t.data.len());
            return Err(invalid(format!("tensor {name} has shape {shape} but {len} elements")));
        }
    }

    // The reference order: largest elements first (so each tensor stays aligned),
    // then by name.
    let mut order: Vec<&TensorView<'_>> = tensors.iter().collect();
    order.sort_by(|a, b| b.data.dtype().size().cmp(&a.data.dtype().size()).then_with(|| a.name.cmp(b.name)));

    let mut members = Vec::with_capacity(order.len() + 1);
    if !metadata.is_empty() {
        let strings = metadata.iter().map(|(k, v)| Member::new(k.as_str(), Value::String(v.clone()))).collect();
        members.push(Member::new(METADATA_KEY, Value::Object(strings)));
    }
    let mut end: u64 = 0;
    for t in &order {
        let begin = end;
        // A slice's byte size fits in a usize; only the sum over (possibly aliased)
        // slices could overflow.
        let size = (t.data.len() * t.data.dtype().size()) as u64;
        end = begin.checked_add(size).ok_or_else(|| invalid("the tensors hold more than 2⁶⁴ bytes".into()))?;
        let entry = vec![
            Member::new("dtype", Value::String(t.data.dtype().name().into())),
            Member::new("shape", Value::Array(t.shape.iter().map(|&d| Value::UInt(d as u64)).collect())),
            Member::new("data_offsets", Value::Array(vec![Value::UInt(begin), Value::UInt(end)])),
        ];
        members.push(Member::new(t.name, Value::Object(entry)));
    }
    let mut header = Value::Object(members).to_json().into_bytes();
    header.resize(header.len().next_multiple_of(8), b' ');
    if header.len() as u64 > HEADER_LIMIT {
        return Err(invalid(format!("the header would be {} bytes, over the limit of {HEADER_LIMIT}", header.len())));
    }

    w.write_all(&(header.len() as u64).to_le_bytes())?;
    w.write_all(&header)?;
    for t in &order {
        match t.data {
            TensorData::F32(xs) => write_le(w, xs, f32::to_le_bytes)?,
            TensorData::F64(xs) => write_le(w, xs, f64::to_le_bytes)?,
        }
    }
    w.flush()?;
    Ok(())
}

/// Writes `xs` little-endian, through a small buffer rather than element by element.
fn write_le<W: Write + ?Sized, T: Copy, const N: usize>(
    w: &mut W,
    xs: &[T],
    to_le: fn(T) -> [u8; N],
) -> io::Result<()> {
    const CHUNK_BYTES: usize = 64 * 1024;
    let mut buf = Vec::with_capacity(CHUNK_BYTES);
    for chunk in xs.chunks(CHUNK_BYTES / N) {
        buf.clear();
        for &x in chunk {
            buf.extend_from_slice(&to_le(x));
        }
        w.write_all(&buf)?;
    }
    Ok(())
}

/// Writes a safetensors file at `path` with [`write_atomic`]: the file holds either
/// its previous content or the complete new one.
///
/// # Errors
/// As [`write()`] and [`write_atomic`].
pub(crate) fn save(path: &Path, tensors: &[TensorView<'_>], metadata: &BTreeMap<String, String>) -> Result<()> {
    write_atomic(path, |w| write(w, tensors, metadata)).map_err(|e| e.in_file("write", path))
}

/// Reads a safetensors file held in memory.
///
/// # Errors
/// [`Error::Format`] if the bytes are not a valid safetensors file of `F32`/`F64`
/// tensors (see the module docs for every check), with the offset of the problem.
#[cfg(test)] // Only the tests read from memory so far.
pub(crate) fn read_bytes(bytes: &[u8], non_finite: NonFinite) -> Result<SafeTensors> {
    let Some((len_bytes, rest)) = bytes.split_first_chunk::<8>() else {
        return Err(too_short(bytes.len() as u64));
    };
    let header_len = u64::from_le_bytes(*len_bytes);
    check_header_len(header_len, Some(bytes.len() as u64))?;
    // Checked above: the header fits in the file, so in memory.
    let header_len = header_len as usize;
    let (header_bytes, data) = rest.split_at_checked(header_len).ok_or_else(|| too_short(bytes.len() as u64))?;
    let header = parse_header(header_bytes)?;
    decode(header, data, HEADER_START + header_len as u64, non_finite)
}

/// Reads a safetensors file from `r`. `len` is the size of the file, if known (as for
/// a file on disk); it lets a wrong header length be rejected before reading on.
///
/// Memory use follows the input: the header length is checked against
/// [`HEADER_LIMIT`] and `len` first, and the header and data are read in growing
/// pieces, so a length field that claims more than the input holds costs nothing.
/// The reader must end where the data buffer does.
///
/// # Errors
/// [`Error::Format`] if the bytes are not a valid safetensors file of `F32`/`F64`
/// tensors (see the module docs for every check), with the offset of the problem;
/// [`Error::Io`] if reading fails.
pub(crate) fn read<R: Read>(mut r: R, len: Option<u64>, non_finite: NonFinite) -> Result<SafeTensors> {
    let mut len_bytes = [0; 8];
    let got = read_up_to(&mut r, &mut len_bytes)?;
    if got < len_bytes.len() {
        return Err(too_short(got as u64));
    }
    let header_len = u64::from_le_bytes(len_bytes);
    check_header_len(header_len, len)?;

    let mut header_bytes = Vec::new();
    r.by_ref().take(header_len).read_to_end(&mut header_bytes)?;
    if (header_bytes.len() as u64) < header_len {
        let file_len = HEADER_START + header_bytes.len() as u64;
        return Err(header_past_end(header_len, file_len));
    }
    let header = parse_header(&header_bytes)?;

    let data_start = HEADER_START + header_len;
    let known_remaining = len.map_or(0, |len| len.saturating_sub(data_start));
    // One byte more than needed, to notice trailing bytes.
    let mut data = Vec::with_capacity(known_remaining.min(header.data_len) as usize);
    r.take(header.data_len.saturating_add(1)).read_to_end(&mut data)?;
    decode(header, &data, data_start, non_finite)
}

/// Reads the safetensors file at `path`.
///
/// # Errors
/// As [`read`], but an error of opening or reading the file is an [`Error::File`]
/// naming `path`.
pub(crate) fn load(path: &Path, non_finite: NonFinite) -> Result<SafeTensors> {
    let read_file = || {
        let file = File::open(path)?;
        let len = file.metadata()?.len();
        read(file, Some(len), non_finite)
    };
    read_file().map_err(|e| e.in_file("read", path))
}

/// Fills `buf` from `r` as far as the input goes; returns how many bytes were read.
fn read_up_to<R: Read>(r: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

fn too_short(file_len: u64) -> Error {
    Error::Format {
        reason: format!("file is {file_len} bytes, too short for the 8-byte header length of a safetensors file"),
        offset: Some(0),
    }
}

fn header_past_end(header_len: u64, file_len: u64) -> Error {
    Error::Format {
        reason: format!("header length {header_len} runs past the end of the file ({file_len} bytes)"),
        offset: Some(0),
    }
}

/// Checks the header length against [`HEADER_LIMIT`] and, if known, the file length.
fn check_header_len(header_len: u64, file_len: Option<u64>) -> Result<()> {
    if header_len > HEADER_LIMIT {
        return Err(Error::Format {
            reason: format!("header length {header_len} is over the limit of {HEADER_LIMIT}"),
            offset: Some(0),
        });
    }
    match file_len {
        Some(file_len) if HEADER_START + header_len > file_len => Err(header_past_end(header_len, file_len)),
        _ => Ok(()),
    }
}

/// A validated header: the metadata, and the tensors in the order of their data.
struct Header {
    metadata: BTreeMap<String, String>,
    /// Sorted by offsets; together they tile `0..data_len` exactly.
    entries: Vec<Entry>,
    /// The length the data buffer must have.
    data_len: u64,
}

/// One tensor's header entry, checked for consistency on its own.
struct Entry {
    name: String,
    dtype: Dtype,
    shape: Vec<usize>,
    /// Offsets in the data buffer, `begin ≤ end`, `end − begin` = the shape's byte size.
    begin: u64,
    end: u64,
    /// Where the entry's name sits in the file, for errors.
    offset: u64,
}

/// Parses and checks the header bytes (which sit at [`HEADER_START`] in the file).
fn parse_header(bytes: &[u8]) -> Result<Header> {
    let text = std::str::from_utf8(bytes).map_err(|e| Error::Format {
        reason: "header is not valid UTF-8".into(),
        offset: Some(HEADER_START + e.valid_up_to() as u64),
    })?;
    let members = match json::parse(text, HEADER_START)? {
        Value::Object(members) => members,
        other => {
            let start = text.len() - text.trim_start_matches([' ', '\t', '\n', '\r']).len();
            return Err(Error::Format {
                reason: format!("header must be a JSON object, not {}", other.kind()),
                offset: Some(HEADER_START + start as u64),
            });
        }
    };

    let mut metadata = BTreeMap::new();
    let mut entries = Vec::with_capacity(members.len());
    for member in members {
        if member.key == METADATA_KEY {
            metadata = parse_metadata(member)?;
        } else {
            entries.push(parse_entry(member)?);
        }
    }

    // The tensors must tile the data buffer: sorted by offsets, each one starts where
    // the previous one ends. Empty tensors may share an offset with the next tensor.
    entries.sort_by_key(|e| (e.begin, e.end));
    let mut end = 0;
    let mut previous: Option<&Entry> = None;
    for e in &entries {
        if e.begin < end {
            let other = quoted(previous.map_or("", |p| p.name.as_str()));
            return Err(entry_error(
                e,
                format!("overlaps tensor {other}: data_offsets [{}, {}] start before byte {end}", e.begin, e.end),
            ));
        }
        if e.begin > end {
            return Err(entry_error(
                e,
                format!(
                    "data_offsets [{}, {}] leave bytes {end}..{} of the data buffer unused",
                    e.begin, e.end, e.begin
                ),
            ));
        }
        end = e.end;
        previous = Some(e);
    }
    Ok(Header { metadata, entries, data_len: end })
}

/// An error about the tensor entry `e`, at the offset of its name.
fn entry_error(e: &Entry, reason: String) -> Error {
    Error::Format { reason: format!("tensor {}: {reason}", quoted(&e.name)), offset: Some(e.offset) }
}

/// The `"__metadata__"` member: an object of strings, or `null` for none (which the
/// reference implementation accepts too).
fn parse_metadata(member: Member) -> Result<BTreeMap<String, String>> {
    let error = |reason: String| Error::Format { reason, offset: Some(member.offset) };
    let pairs = match member.value {
        Value::Object(pairs) => pairs,
        Value::Null => Vec::new(),
        other => return Err(error(format!("{METADATA_KEY} must be an object, not {}", other.kind()))),
    };
    let mut metadata = BTreeMap::new();
    for pair in pairs {
        match pair.value {
            Value::String(s) => {
                metadata.insert(pair.key, s);
            }
            other => {
                return Err(Error::Format {
                    reason: format!(
                        "{METADATA_KEY} value {} must be a string, not {}",
                        quoted(&pair.key),
                        other.kind()
                    ),
                    offset: Some(pair.offset),
                });
            }
        }
    }
    Ok(metadata)
}

/// One tensor's entry: `{"dtype": .., "shape": [..], "data_offsets": [begin, end]}`,
/// checked on its own (the offsets against the shape, not yet against other tensors).
fn parse_entry(member: Member) -> Result<Entry> {
    let name = member.key;
    let offset = member.offset;
    let error =
        |reason: String| Error::Format { reason: format!("tensor {}: {reason}", quoted(&name)), offset: Some(offset) };
    let Value::Object(fields) = member.value else {
        return Err(error(format!("entry must be an object, not {}", member.value.kind())));
    };

    let (mut dtype, mut shape, mut offsets) = (None, None, None);
    for field in fields {
        match field.key.as_str() {
            "dtype" => dtype = Some(field.value),
            "shape" => shape = Some(field.value),
            "data_offsets" => offsets = Some(field.value),
            other => return Err(error(format!("unknown field {}", quoted(other)))),
        }
    }
    let missing = |field: &str| error(format!("missing field {field:?}"));

    let dtype = match dtype.ok_or_else(|| missing("dtype"))? {
        Value::String(s) => Dtype::from_name(&s).map_err(&error)?,
        other => return Err(error(format!("dtype must be a string, not {}", other.kind()))),
    };

    let Value::Array(dims) = shape.ok_or_else(|| missing("shape"))? else {
        return Err(error("shape must be an array of integers".into()));
    };
    let mut shape = Vec::with_capacity(dims.len());
    for dim in &dims {
        match dim {
            Value::UInt(d) => {
                shape.push(usize::try_from(*d).map_err(|_| error(format!("dimension {d} is too large")))?);
            }
            other => return Err(error(format!("shape must be an array of integers, not hold {}", other.kind()))),
        }
    }

    let (begin, end) = match offsets.ok_or_else(|| missing("data_offsets"))? {
        Value::Array(pair) => match pair.as_slice() {
            [Value::UInt(begin), Value::UInt(end)] => (*begin, *end),
            _ => return Err(error("data_offsets must be an array of two integers [begin, end]".into())),
        },
        _ => return Err(error("data_offsets must be an array of two integers [begin, end]".into())),
    };
    if begin > end {
        return Err(error(format!("data_offsets [{begin}, {end}] end before they begin")));
    }

    let size = shape
        .iter()
        .try_fold(1u64, |n, &d| n.checked_mul(d as u64))
        .and_then(|n| n.checked_mul(dtype.size() as u64))
        .ok_or_else(|| error(format!("shape {} has too many elements to address", shape_text(&shape))))?;
    if end - begin != size {
        return Err(error(format!(
            "shape {} of {} needs {size} bytes but data_offsets [{begin}, {end}] span {}",
            shape_text(&shape),
            dtype.name(),
            end - begin
        )));
    }
    Ok(Entry { name, dtype, shape, begin, end, offset })
}

/// Decodes the data buffer `data` (which sits at `data_start` in the file) into the
/// tensors of `header`, checking that it has exactly the length the header implies.
fn decode(header: Header, data: &[u8], data_start: u64, non_finite: NonFinite) -> Result<SafeTensors> {
    let available = data.len() as u64;
    let past_end = |e: &Entry| {
        let reason = format!(
            "data_offsets [{}, {}] run past the end of the data buffer, which holds {available} bytes",
            e.begin, e.end
        );
        entry_error(e, reason)
    };
    // Before decoding anything, so a truncated file fails the same way with any
    // `NonFinite` setting.
    if let Some(e) = header.entries.iter().find(|e| e.end > available) {
        return Err(past_end(e));
    }
    if available > header.data_len {
        return Err(Error::Format {
            reason: "the data buffer goes on after the last tensor; safetensors files have no trailing bytes".into(),
            offset: Some(data_start + header.data_len),
        });
    }

    let mut tensors = Vec::with_capacity(header.entries.len());
    for e in header.entries {
        // Every `end` is at most `data.len()` (checked above), so the casts are exact.
        let bytes = data.get(e.begin as usize..e.end as usize).ok_or_else(|| past_end(&e))?;
        let values = match e.dtype {
            Dtype::F32 => TensorBuf::F32(decode_le(bytes, f32::from_le_bytes)),
            Dtype::F64 => TensorBuf::F64(decode_le(bytes, f64::from_le_bytes)),
        };
        if non_finite == NonFinite::Reject {
            let first = match &values {
                TensorBuf::F32(xs) => xs.iter().position(|x| !x.is_finite()).map(|i| (i, f64::from(xs[i]))),
                TensorBuf::F64(xs) => xs.iter().position(|x| !x.is_finite()).map(|i| (i, xs[i])),
            };
            if let Some((index, value)) = first {
                return Err(Error::Format {
                    reason: format!("tensor {} holds the non-finite value {value} at index {index}", quoted(&e.name)),
                    offset: Some(data_start + e.begin + (index * e.dtype.size()) as u64),
                });
            }
        }
        tensors.push(Tensor { name: e.name, shape: e.shape, data: values });
    }
    Ok(SafeTensors { metadata: header.metadata, tensors })
}

/// Decodes little-endian elements of `N` bytes each; `bytes.len()` is a multiple of `N`.
fn decode_le<T, const N: usize>(bytes: &[u8], from_le: fn([u8; N]) -> T) -> Vec<T> {
    // `chunks_exact` yields only full chunks, so `first_chunk` always succeeds.
    bytes.chunks_exact(N).filter_map(|c| c.first_chunk::<N>()).map(|b| from_le(*b)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    impl SafeTensors {
        /// The tensor called `name`, if there is one.
        fn tensor(&self, name: &str) -> Option<&Tensor> {
            self.tensors.iter().find(|t| t.name == name)
        }
    }

    /// A file with the header text exactly as given (no padding) and the data bytes.
    fn file(header: &str, data: &[u8]) -> Vec<u8> {
        let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
        bytes.extend_from_slice(header.as_bytes());
        bytes.extend_from_slice(data);
        bytes
    }

    /// Reads `bytes` both from memory and as a stream of known length; both must agree.
    fn read_both(bytes: &[u8], non_finite: NonFinite) -> Result<SafeTensors> {
        let from_slice = read_bytes(bytes, non_finite);
        let from_stream = read(bytes, Some(bytes.len() as u64), non_finite);
        match (&from_slice, &from_stream) {
            (Ok(a), Ok(b)) => assert_eq!(bits(a), bits(b)),
            (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
            _ => panic!("slice and stream disagree: {from_slice:?} vs {from_stream:?}"),
        }
        from_slice
    }

    /// The error's offset and message, or a panic if `bytes` reads.
    fn fails(bytes: &[u8]) -> (u64, String) {
        match read_both(bytes, NonFinite::Reject) {
            Err(Error::Format { reason, offset: Some(o) }) => (o, reason),
            other => panic!("should fail with an offset, got {other:?}"),
        }
    }

    /// Asserts that `bytes` fails at `offset` with a message containing `fragment`.
    #[track_caller]
    fn assert_fails(bytes: &[u8], offset: u64, fragment: &str) {
        let (o, reason) = fails(bytes);
        assert!(reason.contains(fragment), "{reason:?} does not contain {fragment:?}");
        assert_eq!(o, offset, "wrong offset for {reason:?}");
    }

    /// A tensor's name, shape, dtype and elements as bit patterns.
    type TensorBits = (String, Vec<usize>, Dtype, Vec<u64>);

    /// The metadata and every tensor with its elements as bit patterns, so that NaN
    /// compares equal to itself.
    fn bits(st: &SafeTensors) -> (BTreeMap<String, String>, Vec<TensorBits>) {
        let tensors = st
            .tensors
            .iter()
            .map(|t| {
                let (dtype, bits) = match &t.data {
                    TensorBuf::F32(xs) => (Dtype::F32, xs.iter().map(|x| u64::from(x.to_bits())).collect()),
                    TensorBuf::F64(xs) => (Dtype::F64, xs.iter().map(|x| x.to_bits()).collect()),
                };
                (t.name.clone(), t.shape.clone(), dtype, bits)
            })
            .collect();
        (st.metadata.clone(), tensors)
    }

    fn to_bytes(tensors: &[TensorView<'_>], metadata: &BTreeMap<String, String>) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        write(&mut out, tensors, metadata)?;
        Ok(out)
    }

    /// Written by the reference implementation (Python safetensors 0.8.0) from
    /// `{"b": float32 [1.0, -0.0], "a": float64 0.5}` with metadata `{"format": "pt"}`.
    const REFERENCE: &[u8] = b"\x90\0\0\0\0\0\0\0\
        {\"__metadata__\":{\"format\":\"pt\"},\
        \"a\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[0,8]},\
        \"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}      \
        \0\0\0\0\0\0\xe0\x3f\0\0\x80\x3f\0\0\0\x80";

    #[test]
    fn writes_the_same_bytes_as_the_reference_implementation() {
        let metadata = BTreeMap::from([("format".to_string(), "pt".to_string())]);
        let tensors = [
            TensorView { name: "b", shape: &[2], data: TensorData::F32(&[1.0, -0.0]) },
            TensorView { name: "a", shape: &[], data: TensorData::F64(&[0.5]) },
        ];
        assert_eq!(to_bytes(&tensors, &metadata).unwrap(), REFERENCE);
        let st = read_both(REFERENCE, NonFinite::Reject).unwrap();
        assert_eq!(st.metadata, metadata);
        assert_eq!(st.tensors[0], Tensor { name: "a".into(), shape: vec![], data: TensorBuf::F64(vec![0.5]) });
        assert_eq!(st.tensor("b").unwrap().data, TensorBuf::F32(vec![1.0, -0.0]));
    }

    #[test]
    fn round_trips_special_values_bit_exactly() {
        let f32s = [
            0.0,
            -0.0,
            1.0,
            -1.5,
            f32::MIN_POSITIVE,
            f32::from_bits(1),
            -f32::from_bits(0x007F_FFFF),
            f32::MAX,
            f32::MIN,
            f32::EPSILON,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NAN,
        ];
        let f64s = [
            0.0,
            -0.0,
            1.0 / 3.0,
            f64::MIN_POSITIVE,
            f64::from_bits(1),
            -f64::from_bits(0x000F_FFFF_FFFF_FFFF),
            f64::MAX,
            f64::MIN,
            f64::EPSILON,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ];
        let tensors = [
            TensorView { name: "f32", shape: &[13], data: f32s.as_slice().into() },
            TensorView { name: "f64", shape: &[3, 4], data: f64s.as_slice().into() },
            TensorView { name: "empty", shape: &[3, 0, 2], data: TensorData::F32(&[]) },
            TensorView { name: "empty64", shape: &[0], data: TensorData::F64(&[]) },
            TensorView { name: "scalar", shape: &[], data: TensorData::F32(&[-0.0]) },
        ];
        let metadata = BTreeMap::from([
            ("".to_string(), "".to_string()),
            ("quote\"and\\slash\n".to_string(), "é😀\u{1}".to_string()),
        ]);
        let bytes = to_bytes(&tensors, &metadata).unwrap();
        assert_eq!((bytes.len() - 8 - 12 * 8 - 14 * 4) % 8, 0, "header padded to a multiple of 8");
        let st = read_both(&bytes, NonFinite::Allow).unwrap();
        assert_eq!(st.metadata, metadata);
        let names: Vec<&str> = st.tensors.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["empty64", "f64", "empty", "f32", "scalar"]);
        let (_, read_back) = bits(&st);
        for t in &tensors {
            let (_, shape, dtype, bits) = read_back.iter().find(|(name, ..)| name == t.name).unwrap();
            assert_eq!(shape.as_slice(), t.shape);
            assert_eq!(*dtype, t.data.dtype());
            let expected: Vec<u64> = match t.data {
                TensorData::F32(xs) => xs.iter().map(|x| u64::from(x.to_bits())).collect(),
                TensorData::F64(xs) => xs.iter().map(|x| x.to_bits()).collect(),
            };
            assert_eq!(*bits, expected, "tensor {}", t.name);
        }
        // Writing what was read gives the same bytes.
        let views: Vec<TensorView<'_>> = st.tensors.iter().map(Tensor::view).collect();
        assert_eq!(to_bytes(&views, &st.metadata).unwrap(), bytes);
    }

    #[test]
    fn an_empty_file_has_an_empty_header() {
        let bytes = to_bytes(&[], &BTreeMap::new()).unwrap();
        assert_eq!(bytes, b"\x08\0\0\0\0\0\0\0{}      ");
        assert_eq!(read_both(&bytes, NonFinite::Reject).unwrap(), SafeTensors::default());
    }

    #[test]
    fn rejects_non_finite_values_when_asked() {
        let nan_at_1 = [1.0f32, f32::NAN, 2.0];
        let tensors = [
            TensorView { name: "a", shape: &[1], data: TensorData::F64(&[f64::MAX]) },
            TensorView { name: "w", shape: &[3], data: nan_at_1.as_slice().into() },
        ];
        let bytes = to_bytes(&tensors, &BTreeMap::new()).unwrap();
        let data_start = bytes.len() as u64 - 8 - 12;
        let (offset, reason) = fails(&bytes);
        assert_eq!(reason, "tensor \"w\" holds the non-finite value NaN at index 1");
        assert_eq!(offset, data_start + 8 + 4);
        assert!(read_both(&bytes, NonFinite::Allow).is_ok());

        let inf = to_bytes(
            &[TensorView { name: "b", shape: &[2], data: TensorData::F64(&[0.0, f64::NEG_INFINITY]) }],
            &BTreeMap::new(),
        )
        .unwrap();
        let (offset, reason) = fails(&inf);
        assert_eq!(reason, "tensor \"b\" holds the non-finite value -inf at index 1");
        assert_eq!(offset, inf.len() as u64 - 8);
    }

    #[test]
    fn rejects_bad_header_lengths() {
        assert_fails(&[], 0, "file is 0 bytes, too short");
        assert_fails(&[8, 0, 0], 0, "file is 3 bytes, too short");
        let mut bytes = 100_000_001u64.to_le_bytes().to_vec();
        bytes.extend_from_slice(b"{}");
        assert_fails(&bytes, 0, "header length 100000001 is over the limit of 100000000");
        bytes[..8].copy_from_slice(&u64::MAX.to_le_bytes());
        assert_fails(&bytes, 0, "over the limit");
        bytes[..8].copy_from_slice(&3u64.to_le_bytes());
        assert_fails(&bytes, 0, "header length 3 runs past the end of the file (10 bytes)");
        assert_fails(&file("", b""), 8, "expected a value in JSON, found the end of the input");
        assert_fails(&file(" [] ", b""), 9, "header must be a JSON object, not an array");
        assert_fails(&file("\"{}\"", b""), 8, "header must be a JSON object, not a string");
        // Whitespace around the object is fine, as in the reference implementation.
        assert!(read_both(&file("\n\t {} \r", b""), NonFinite::Reject).is_ok());
        // A header length that cuts the JSON short, or takes data bytes as header.
        let mut short = file("{}", b"");
        short[0] = 1;
        assert_fails(&short, 9, "expected a string key");
        let long = file("{}x", b"");
        assert_fails(&long, 10, "unexpected text after the JSON value");
    }

    #[test]
    fn streams_stop_at_what_the_input_holds() {
        // The stream is shorter than the header length says, and its size is unknown:
        // the reader fails after reading what is there.
        let mut bytes = 50_000_000u64.to_le_bytes().to_vec();
        bytes.extend_from_slice(b"{}");
        let e = read(bytes.as_slice(), None, NonFinite::Reject).unwrap_err();
        assert_eq!(
            e.to_string(),
            "malformed data at byte 0: header length 50000000 runs past the end of the file (10 bytes)"
        );
        // A stream that goes on after the data buffer.
        let mut trailing = to_bytes(&[], &BTreeMap::new()).unwrap();
        trailing.extend_from_slice(&[0; 100]);
        let e = read(trailing.as_slice(), None, NonFinite::Reject).unwrap_err();
        assert!(e.to_string().contains("at byte 16: the data buffer goes on after the last tensor"), "{e}");
        let e = read(&[1u8, 2][..], None, NonFinite::Reject).unwrap_err();
        assert!(e.to_string().contains("file is 2 bytes"), "{e}");
    }

    #[test]
    fn rejects_bad_headers() {
        let utf8 = file("{\"a\u{e9}\":{}}", b"");
        let mut bad_utf8 = utf8.clone();
        bad_utf8[11] = 0xFF;
        assert_fails(&bad_utf8, 11, "header is not valid UTF-8");
        assert_fails(&file("{\"a\" 1}", b""), 13, "expected ':' in JSON, found '1'");
        assert_fails(&file("{\"a\":{},\"a\":{}}", b""), 16, "duplicate key \"a\"");
        assert_fails(&file("{\"__metadata__\":{},\"__metadata__\":{}}", b""), 27, "duplicate key \"__metadata__\"");
        assert_fails(&file("{\"__metadata__\":[]}", b""), 9, "__metadata__ must be an object, not an array");
        let null = read_both(&file("{\"__metadata__\":null}", b""), NonFinite::Reject).unwrap();
        assert!(null.metadata.is_empty());
        assert_fails(
            &file("{\"__metadata__\":{\"k\":1}}", b""),
            25,
            "__metadata__ value \"k\" must be a string, not an integer",
        );
    }

    /// A one-tensor header with the given entry for the tensor "w".
    fn entry(json: &str, data: &[u8]) -> Vec<u8> {
        file(&format!("{{\"w\":{json}}}"), data)
    }

    #[test]
    fn rejects_bad_tensor_entries() {
        let at = 9; // where "w" starts
        assert_fails(&entry("[]", b""), at, "tensor \"w\": entry must be an object, not an array");
        let unknown = r#"{"dtype":"F32","shape":[],"data_offsets":[0,4],"extra":1}"#;
        assert_fails(&entry(unknown, &[0; 4]), at, "unknown field \"extra\"");
        assert_fails(&entry(r#"{"shape":[],"data_offsets":[0,4]}"#, &[0; 4]), at, "missing field \"dtype\"");
        assert_fails(&entry(r#"{"dtype":"F32","data_offsets":[0,4]}"#, &[0; 4]), at, "missing field \"shape\"");
        assert_fails(&entry(r#"{"dtype":"F32","shape":[]}"#, &[0; 4]), at, "missing field \"data_offsets\"");
        assert_fails(&entry(r#"{"dtype":32,"shape":[],"data_offsets":[0,4]}"#, &[0; 4]), at, "dtype must be a string");
        for dtype in ["F16", "BF16", "I64", "U8", "BOOL", "F8_E4M3"] {
            let json = format!(r#"{{"dtype":"{dtype}","shape":[],"data_offsets":[0,4]}}"#);
            assert_fails(&entry(&json, &[0; 4]), at, &format!("unsupported dtype \"{dtype}\" (only F32 and F64 are)"));
        }
        assert_fails(
            &entry(r#"{"dtype":"f32","shape":[],"data_offsets":[0,4]}"#, &[0; 4]),
            at,
            "unknown dtype \"f32\"",
        );
        assert_fails(
            &entry(r#"{"dtype":"F32","shape":3,"data_offsets":[0,4]}"#, &[0; 4]),
            at,
            "shape must be an array",
        );
        assert_fails(&entry(r#"{"dtype":"F32","shape":["1"],"data_offsets":[0,4]}"#, &[0; 4]), at, "shape must be");
        assert_fails(&entry(r#"{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}"#, &[0; 4]), 37, "negative");
        assert_fails(&entry(r#"{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}"#, &[0; 4]), 37, "not fractions");
        assert_fails(&entry(r#"{"dtype":"F32","shape":[],"data_offsets":[0]}"#, &[0; 4]), at, "two integers");
        assert_fails(&entry(r#"{"dtype":"F32","shape":[],"data_offsets":[0,4,8]}"#, &[0; 4]), at, "two integers");
        assert_fails(&entry(r#"{"dtype":"F32","shape":[],"data_offsets":{}}"#, &[0; 4]), at, "two integers");
        assert_fails(&entry(r#"{"dtype":"F32","shape":[],"data_offsets":[4,0]}"#, &[0; 4]), at, "[4, 0] end before");
        let overflow = r#"{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}"#;
        assert_fails(&entry(overflow, &[0; 4]), at, "too many elements");
        let overflow = r#"{"dtype":"F64","shape":[2305843009213693952],"data_offsets":[0,4]}"#;
        assert_fails(&entry(overflow, &[0; 4]), at, "too many elements");
        assert_fails(
            &entry(r#"{"dtype":"F32","shape":[2],"data_offsets":[0,4]}"#, &[0; 4]),
            at,
            "tensor \"w\": shape [2] of F32 needs 8 bytes but data_offsets [0, 4] span 4",
        );
    }

    #[test]
    fn messages_quote_a_bounded_piece_of_the_header() {
        // A shape of 4 million dimensions, about the most values a header may hold.
        let dims = vec!["1"; 3_999_990].join(",");
        let (_, reason) =
            fails(&entry(&format!(r#"{{"dtype":"F32","shape":[{dims}],"data_offsets":[0,8]}}"#), &[0; 8]));
        assert_eq!(
            reason,
            "tensor \"w\": shape [1, 1, 1, 1, 1, 1, 1, 1, … (3999982 more)] of F32 needs 4 bytes but data_offsets \
             [0, 8] span 8"
        );
        // A long tensor name, holding a control character, and a long dtype.
        let name = format!("\\u0000{}", "n".repeat(100_000));
        let dtype = "D".repeat(100_000);
        let json = format!(r#"{{"{name}":{{"dtype":"{dtype}","shape":[],"data_offsets":[0,4]}}}}"#);
        let (_, reason) = fails(&file(&json, &[0; 4]));
        let (name, dtype) = ("n".repeat(78), "D".repeat(80));
        assert_eq!(reason, format!("tensor \"\\0{name}\"…: unknown dtype \"{dtype}\"…"));
    }

    #[test]
    fn rejects_data_that_does_not_tile_the_buffer() {
        // Out of range, including a size no file could hold: nothing is allocated for it.
        assert_fails(
            &entry(r#"{"dtype":"F32","shape":[2],"data_offsets":[0,8]}"#, &[0; 4]),
            9,
            "tensor \"w\": data_offsets [0, 8] run past the end of the data buffer, which holds 4 bytes",
        );
        let huge = r#"{"dtype":"F64","shape":[2305843009213693951],"data_offsets":[0,18446744073709551608]}"#;
        assert_fails(&entry(huge, &[0; 8]), 9, "run past the end");
        // A gap before the first tensor, and between two.
        assert_fails(
            &entry(r#"{"dtype":"F32","shape":[1],"data_offsets":[4,8]}"#, &[0; 8]),
            9,
            "data_offsets [4, 8] leave bytes 0..4 of the data buffer unused",
        );
        let a = r#""a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}"#;
        let gap = file(&format!(r#"{{{a},"b":{{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}}}"#), &[0; 12]);
        assert_fails(&gap, 62, "tensor \"b\": data_offsets [8, 12] leave bytes 4..8");
        // Overlaps, also by an empty tensor inside another one.
        let overlap = file(&format!(r#"{{{a},"b":{{"dtype":"F32","shape":[2],"data_offsets":[2,10]}}}}"#), &[0; 10]);
        assert_fails(&overlap, 62, "tensor \"b\": overlaps tensor \"a\": data_offsets [2, 10] start before byte 4");
        let same = file(&format!(r#"{{{a},"b":{{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}}}"#), &[0; 4]);
        assert_fails(&same, 62, "overlaps tensor \"a\"");
        let inside = file(&format!(r#"{{{a},"b":{{"dtype":"F32","shape":[0],"data_offsets":[2,2]}}}}"#), &[0; 4]);
        assert_fails(&inside, 62, "overlaps tensor \"a\"");
        // Empty tensors at the ends are fine.
        let edges = file(
            &format!(
                r#"{{"z":{{"dtype":"F64","shape":[0],"data_offsets":[0,0]}},{a},"e":{{"dtype":"F32","shape":[2,0],"data_offsets":[4,4]}}}}"#
            ),
            &[0; 4],
        );
        let st = read_both(&edges, NonFinite::Reject).unwrap();
        let names: Vec<&str> = st.tensors.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["z", "a", "e"]);
        // Trailing bytes.
        assert_fails(&file(&format!("{{{a}}}"), &[0; 5]), 8 + 54 + 4, "the data buffer goes on after the last tensor");
        assert_fails(&file("{}", &[0]), 10, "the data buffer goes on after the last tensor");
    }

    #[test]
    fn the_writer_rejects_inconsistent_tensors() {
        let write_err = |tensors: &[TensorView<'_>]| {
            let mut out = Vec::new();
            let e = write(&mut out, tensors, &BTreeMap::new()).unwrap_err();
            assert!(out.is_empty(), "nothing is written on error");
            e.to_string()
        };
        let w = TensorView { name: "w", shape: &[2], data: TensorData::F32(&[1.0, 2.0]) };
        assert_eq!(write_err(&[w, w]), "two tensors are called \"w\"");
        let meta = TensorView { name: "__metadata__", ..w };
        assert_eq!(write_err(&[meta]), "a tensor cannot be called \"__metadata__\", the metadata key");
        let wrong = TensorView { shape: &[3], ..w };
        assert_eq!(write_err(&[wrong]), "tensor \"w\" has shape [3] but 2 elements");
        let overflow = TensorView { shape: &[usize::MAX, 2], ..w };
        assert!(write_err(&[overflow]).contains("but 2 elements"));
    }

    #[test]
    fn saves_and_loads_a_file() {
        let dir = std::env::temp_dir().join(format!("backprop-safetensors-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("net.safetensors");
        let tensors = [TensorView { name: "w", shape: &[2, 1], data: TensorData::F64(&[1.0, 2.0]) }];
        let metadata = BTreeMap::from([("k".to_string(), "v".to_string())]);
        let result = save(&path, &tensors, &metadata).and_then(|()| load(&path, NonFinite::Reject));
        let missing = load(&dir.join("missing"), NonFinite::Reject);
        let _ = std::fs::remove_dir_all(&dir);
        let st = result.unwrap();
        assert_eq!(st.metadata, metadata);
        assert_eq!(st.tensors[0].view(), tensors[0]);
        assert!(matches!(missing, Err(Error::File { action: "read", .. })));
    }

    /// Runs `tests/interop/safetensors_roundtrip.py` with the Python interpreter named
    /// by `BACKPROP_INTEROP_PYTHON` (which needs numpy and safetensors): Python reads
    /// this writer's file and checks it bit for bit, then writes the same tensors,
    /// which must read back here and equal this writer's bytes exactly. Skipped, with
    /// a message, when the variable is not set.
    #[test]
    fn python_reads_and_writes_the_same_files() {
        let Some(python) = std::env::var_os("BACKPROP_INTEROP_PYTHON") else {
            eprintln!("skipped: set BACKPROP_INTEROP_PYTHON to a python3 with numpy and safetensors to run it");
            return;
        };
        // The same values as in the script: special values, NaN, subnormals, extremes.
        const F32_BITS: [u32; 12] = [
            0x0000_0000,
            0x8000_0000,
            0x3F80_0000,
            0xBFC0_0000,
            0x0080_0000,
            0x0000_0001,
            0x807F_FFFF,
            0x7F7F_FFFF,
            0xFF7F_FFFF,
            0x7FC0_0000,
            0x7F80_0000,
            0xFF80_0000,
        ];
        const F64_BITS: [u64; 12] = [
            0x0000_0000_0000_0000,
            0x8000_0000_0000_0000,
            0x3FD5_5555_5555_5555,
            0x0010_0000_0000_0000,
            0x0000_0000_0000_0001,
            0x800F_FFFF_FFFF_FFFF,
            0x7FEF_FFFF_FFFF_FFFF,
            0xFFEF_FFFF_FFFF_FFFF,
            0x3CB0_0000_0000_0000,
            0x7FF0_0000_0000_0000,
            0xFFF0_0000_0000_0000,
            0x7FF8_0000_0000_0000,
        ];
        let weights = F32_BITS.map(f32::from_bits);
        let biases = F64_BITS.map(f64::from_bits);
        let tensors = [
            TensorView { name: "layers.0.weights", shape: &[3, 4], data: weights.as_slice().into() },
            TensorView { name: "layers.0.biases", shape: &[12], data: biases.as_slice().into() },
            TensorView { name: "empty", shape: &[2, 0], data: TensorData::F32(&[]) },
            TensorView { name: "scalar", shape: &[], data: TensorData::F64(&[-1.5]) },
        ];
        let metadata = BTreeMap::from([
            ("format".to_string(), "backprop".to_string()),
            ("note".to_string(), "quote \" backslash \\ é 😀 \u{1}".to_string()),
        ]);

        let dir = std::env::temp_dir().join(format!("backprop-interop-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let ours = dir.join("backprop.safetensors");
        save(&ours, &tensors, &metadata).unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/safetensors_roundtrip.py");
        let output = std::process::Command::new(python).arg(script).arg(&dir).output();
        let theirs = std::fs::read(dir.join("python.safetensors"));
        let _ = std::fs::remove_dir_all(&dir);

        let output = output.expect("the Python interpreter runs");
        assert!(
            output.status.success(),
            "the script failed:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        let theirs = theirs.expect("the script wrote python.safetensors");
        let st = read_both(&theirs, NonFinite::Allow).unwrap();
        assert_eq!(st.metadata, metadata);
        // Python orders the metadata at random (the reference keeps it in a hash map),
        // so the bytes equal ours only once written in our order; the header length
        // and the data buffer are the same bytes as they are.
        let ours = to_bytes(&tensors, &metadata).unwrap();
        let views: Vec<TensorView<'_>> = st.tensors.iter().map(Tensor::view).collect();
        assert_eq!(to_bytes(&views, &st.metadata).unwrap(), ours);
        assert_eq!(theirs.len(), ours.len());
        assert_eq!(theirs[..8], ours[..8]);
        let data_start = ours.len() - 12 * 4 - 13 * 8;
        assert_eq!(theirs[data_start..], ours[data_start..]);
    }
}
