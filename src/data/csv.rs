//! The CSV reader for numeric tables: [`read_csv`], set up by [`CsvOptions`].
//!
//! Deliberately small and strict: every field is a number, one delimiter separates two
//! fields, whitespace around a field is ignored, blank lines are skipped, and there is
//! no quoting. Anything else is an error that names the line, the column and the text.

use core::fmt;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use crate::error::{Error, Result};
use crate::{Float, Matrix};

/// Whether the first non-blank line of a CSV file names the columns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Header {
    /// Every line is data (the default).
    #[default]
    Absent,
    /// The first non-blank line holds the column names.
    Present,
}

/// How to read a CSV table; see [`read_csv`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CsvOptions {
    delimiter: char,
    header: Header,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions { delimiter: ',', header: Header::Absent }
    }
}

impl CsvOptions {
    /// The defaults: fields separated by `,`, no header.
    pub fn new() -> Self {
        CsvOptions::default()
    }

    /// The character between two fields; the default is `,`. Tab (`'\t'`) and `;` are
    /// common alternatives. It cannot be a character that may appear in a number or a
    /// line break, nor `"`: [`read_csv`] checks this.
    pub fn delimiter(mut self, delimiter: char) -> Self {
        self.delimiter = delimiter;
        self
    }

    /// Whether the first non-blank line names the columns; the default is
    /// [`Header::Absent`].
    pub fn header(mut self, header: Header) -> Self {
        self.header = header;
        self
    }
}

/// A numeric table read by [`read_csv`].
#[derive(Clone, PartialEq)]
pub struct CsvTable<T> {
    /// The column names, trimmed, when the options said there is a header.
    pub header: Option<Vec<String>>,
    /// The values, one line of the file per row.
    pub values: Matrix<T>,
}

impl<T: Float> fmt::Debug for CsvTable<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CsvTable").field("header", &self.header).field("values", &self.values).finish()
    }
}

/// Reads a table of numbers in CSV form, one row per non-blank line.
///
/// Deliberately small and strict: every field is a number, exactly one delimiter
/// separates two fields, whitespace around a field is ignored, blank lines are skipped,
/// every row has as many fields as the first (or the header), and there is no quoting.
/// Anything else is an error that names the line, the column and the offending text.
///
/// Each field is trimmed of whitespace and parsed as a decimal number (as Rust's
/// `f64::from_str` does, e.g. `3`, `-0.5`, `1e-3`), then converted to `T`. Lines and
/// columns in error messages count from 1, as a text editor does.
///
/// ```
/// use backprop::{read_csv, CsvOptions, Header};
///
/// let text = "x, y, label\n0.5, 1, 0\n\n2, -3e-1, 1\n";
/// let table = read_csv::<f64>(text.as_bytes(), &CsvOptions::new().header(Header::Present))?;
/// assert_eq!(table.header, Some(vec!["x".into(), "y".into(), "label".into()]));
/// assert_eq!(table.values.shape(), (2, 3));
/// assert_eq!(table.values.row(1), &[2.0, -0.3, 1.0]);
///
/// let bad = read_csv::<f64>("1,2\n3,abc\n".as_bytes(), &CsvOptions::new());
/// assert_eq!(
///     bad.unwrap_err().to_string(),
///     "malformed data at byte 6: line 2, column 2: cannot parse 'abc' as a number"
/// );
/// # Ok::<(), backprop::Error>(())
/// ```
///
/// # Errors
/// - [`Error::Format`], naming the line and column and with the byte offset, if a field
///   is empty, is not a number, is not finite (`inf`, `NaN`) or out of range for `T`,
///   contains a quote, if a row has a different number of fields than the first row (or
///   the header), or if a line is not UTF-8;
/// - [`Error::EmptyData`] if there is no data row;
/// - [`Error::Incompatible`] if the delimiter is unusable;
/// - [`Error::Io`] if reading fails.
pub fn read_csv<T: Float>(reader: impl Read, options: &CsvOptions) -> Result<CsvTable<T>> {
    let delimiter = options.delimiter;
    if delimiter.is_alphanumeric() || matches!(delimiter, '.' | '+' | '-' | '"' | '\n' | '\r') {
        return Err(Error::Incompatible {
            reason: format!("{delimiter:?} cannot be a CSV delimiter: it can be part of a field or a line break"),
        });
    }
    let mut reader = BufReader::new(reader);
    let mut header = None;
    let mut values: Vec<T> = Vec::new();
    // The number of fields per row, and the line that set it.
    let mut width: Option<(usize, usize)> = None;
    let mut rows = 0usize;
    let mut raw = Vec::new();
    let mut line_start = 0u64;
    for line_number in 1usize.. {
        raw.clear();
        let n = reader.read_until(b'\n', &mut raw)?;
        if n == 0 {
            break;
        }
        let start = line_start;
        line_start += n as u64;
        let mut bytes = raw.as_slice();
        bytes = bytes.strip_suffix(b"\n").unwrap_or(bytes);
        bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
        let mut skipped = 0;
        if line_number == 1 {
            // A byte-order mark, as some spreadsheet programs write.
            if let Some(rest) = bytes.strip_prefix("\u{feff}".as_bytes()) {
                skipped = bytes.len() - rest.len();
                bytes = rest;
            }
        }
        let line = std::str::from_utf8(bytes).map_err(|e| Error::Format {
            reason: format!("line {line_number}: not valid UTF-8 text"),
            offset: Some(start + (skipped + e.valid_up_to()) as u64),
        })?;
        if line.trim().is_empty() {
            continue;
        }
        let start = start + skipped as u64;
        let fields = line.split(delimiter).count();
        match width {
            None => width = Some((fields, line_number)),
            Some((expected, first)) if expected != fields => {
                return Err(Error::Format {
                    reason: format!("line {line_number} has {fields} fields but line {first} has {expected}"),
                    offset: Some(start),
                });
            }
            Some(_) => {}
        }
        let mut at = start;
        let is_header = options.header == Header::Present && header.is_none();
        let mut names = Vec::new();
        for (column, field) in (1usize..).zip(line.split(delimiter)) {
            let text = field.trim();
            let offset = at + (field.len() - field.trim_start().len()) as u64;
            at += (field.len() + delimiter.len_utf8()) as u64;
            let fail = |what: String| Error::Format {
                reason: format!("line {line_number}, column {column}: {what}"),
                offset: Some(offset),
            };
            if text.contains('"') {
                return Err(fail("quoted fields are not supported".into()));
            }
            if is_header {
                names.push(text.to_string());
                continue;
            }
            if text.is_empty() {
                return Err(fail("empty field".into()));
            }
            let x: f64 = text.parse().map_err(|_| fail(format!("cannot parse '{}' as a number", shorten(text))))?;
            // `inf` and `NaN` are written out; `1e400` is a number too large for f64.
            if x.is_nan() || (x.is_infinite() && text.to_ascii_lowercase().contains("inf")) {
                return Err(fail(format!("'{}' is not a finite number", shorten(text))));
            }
            let x = T::from_f64(x);
            if !x.is_finite() {
                return Err(fail(format!("'{}' is out of range for {}", shorten(text), T::NAME)));
            }
            values.push(x);
        }
        if is_header {
            header = Some(names);
        } else {
            rows += 1;
        }
    }
    let cols = width.map_or(0, |(fields, _)| fields);
    if rows == 0 {
        return Err(Error::EmptyData { what: "CSV table" });
    }
    Ok(CsvTable { header, values: Matrix::new(rows, cols, values)? })
}

/// Reads a CSV file; see [`read_csv`].
///
/// # Errors
/// As [`read_csv`]; [`Error::Io`] if the file cannot be opened.
pub fn read_csv_file<T: Float>(path: impl AsRef<Path>, options: &CsvOptions) -> Result<CsvTable<T>> {
    read_csv(File::open(path)?, options)
}

/// `text`, cut to at most 40 characters for an error message.
fn shorten(text: &str) -> String {
    const MAX: usize = 40;
    match text.char_indices().nth(MAX) {
        None => text.to_string(),
        Some((end, _)) => format!("{}…", &text[..end]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<CsvTable<f64>> {
        read_csv(text.as_bytes(), &CsvOptions::new())
    }

    fn reason(result: Result<CsvTable<f64>>) -> String {
        match result {
            Err(Error::Format { reason, .. }) => reason,
            other => panic!("expected a format error, got {other:?}"),
        }
    }

    #[test]
    fn reads_numbers_trimming_and_skipping_blank_lines() {
        let t = read(" 1 ,2.5,-3\r\n\n  \n4,5e2, +6 \n7,.5,8").unwrap();
        assert_eq!(t.header, None);
        assert_eq!(t.values.shape(), (3, 3));
        assert_eq!(t.values.as_slice(), &[1.0, 2.5, -3.0, 4.0, 500.0, 6.0, 7.0, 0.5, 8.0]);
    }

    #[test]
    fn header_and_other_delimiters() {
        let options = CsvOptions::new().delimiter('\t').header(Header::Present);
        let t = read_csv::<f32>("\n a\tb \n1\t2\n".as_bytes(), &options).unwrap();
        assert_eq!(t.header, Some(vec!["a".to_string(), "b".to_string()]));
        assert_eq!(t.values.as_slice(), &[1.0, 2.0]);
        let t = read_csv::<f64>("\u{feff}1;2\n".as_bytes(), &CsvOptions::new().delimiter(';')).unwrap();
        assert_eq!(t.values.as_slice(), &[1.0, 2.0]);
        for bad in ['1', 'e', '.', '-', '"', '\n'] {
            let e = read_csv::<f64>("1".as_bytes(), &CsvOptions::new().delimiter(bad)).unwrap_err();
            assert!(matches!(e, Error::Incompatible { .. }), "{bad:?}");
        }
    }

    #[test]
    fn errors_name_line_column_and_text() {
        let e = read("1,2\n\n3,abc\n").unwrap_err();
        assert_eq!(e.to_string(), "malformed data at byte 7: line 3, column 2: cannot parse 'abc' as a number");
        assert_eq!(reason(read("1,,3")), "line 1, column 2: empty field");
        assert_eq!(reason(read("1,2\n3,inf")), "line 2, column 2: 'inf' is not a finite number");
        assert_eq!(reason(read("NaN")), "line 1, column 1: 'NaN' is not a finite number");
        assert_eq!(reason(read("1,\"2\"")), "line 1, column 2: quoted fields are not supported");
        let e = read_csv::<f32>("1e39".as_bytes(), &CsvOptions::new()).unwrap_err();
        assert!(e.to_string().ends_with("line 1, column 1: '1e39' is out of range for f32"), "{e}");
        assert_eq!(reason(read("-1e400")), "line 1, column 1: '-1e400' is out of range for f64");
        assert_eq!(reason(read("-Infinity")), "line 1, column 1: '-Infinity' is not a finite number");
        let long = "x".repeat(100);
        assert!(reason(read(&long)).ends_with(&format!("cannot parse '{}…' as a number", "x".repeat(40))));
    }

    #[test]
    fn ragged_rows_are_an_error() {
        assert_eq!(reason(read("1,2,3\n4,5,6\n7,8")), "line 3 has 2 fields but line 1 has 3");
        let options = CsvOptions::new().header(Header::Present);
        let e = read_csv::<f64>("a,b\n1,2,3".as_bytes(), &options).unwrap_err();
        assert!(e.to_string().ends_with("line 2 has 3 fields but line 1 has 2"), "{e}");
    }

    #[test]
    fn empty_tables_and_bad_bytes() {
        assert!(matches!(read(""), Err(Error::EmptyData { .. })));
        assert!(matches!(read("\n \n"), Err(Error::EmptyData { .. })));
        let header_only = read_csv::<f64>("a,b\n".as_bytes(), &CsvOptions::new().header(Header::Present));
        assert!(matches!(header_only, Err(Error::EmptyData { .. })));
        let e = read_csv::<f64>(&b"1,2\n3,\xff\n"[..], &CsvOptions::new()).unwrap_err();
        assert_eq!(e.to_string(), "malformed data at byte 6: line 2: not valid UTF-8 text");
    }

    #[test]
    fn damaged_text_gives_errors_not_panics() {
        let valid = "a,b\n1, 2.5\n\n-3,4e1\r\n".as_bytes();
        let alphabet = b"0123456789,.-+e \t\r\n\"x\xff\xc3\xa9";
        let mut rng = crate::Rng::new(5);
        for _ in 0..5_000 {
            let mut bytes = valid.to_vec();
            for _ in 0..1 + rng.below(3) {
                let at = rng.below(bytes.len());
                bytes[at] = alphabet[rng.below(alphabet.len())];
            }
            for header in [Header::Absent, Header::Present] {
                if let Ok(t) = read_csv::<f32>(&bytes[..], &CsvOptions::new().header(header)) {
                    assert!(t.values.as_slice().iter().all(|x| x.is_finite()));
                    assert!(t.values.rows() > 0);
                }
            }
        }
    }

    #[test]
    fn reads_a_file() {
        let path = std::env::temp_dir().join(format!("backprop-csv-test-{}.csv", std::process::id()));
        std::fs::write(&path, "1,2\n3,4\n").unwrap();
        let t = read_csv_file::<f64>(&path, &CsvOptions::new());
        let _ = std::fs::remove_file(&path);
        assert_eq!(t.unwrap().values.as_slice(), &[1.0, 2.0, 3.0, 4.0]);
        assert!(matches!(read_csv_file::<f64>(&path, &CsvOptions::new()), Err(Error::Io(_))));
    }
}
