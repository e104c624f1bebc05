//! The CSV reader for numeric tables: [`read_csv`], set up by [`CsvOptions`].
//!
//! Deliberately small and strict: every field is a number, one delimiter separates two
//! fields, whitespace around a field is ignored, blank lines are skipped, and there is
//! no quoting. Anything else is an error that names the line, the column and the text.

use core::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use crate::error::{Error, Result, quoted};
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
///
/// ```
/// use backprop::{CsvOptions, Header, read_csv};
///
/// let options = CsvOptions::new().delimiter('\t').header(Header::Present);
/// let table = read_csv::<f32>("a\tb\n1\t2\n3\t4\n".as_bytes(), &options)?;
/// assert_eq!(table.values.row(1), &[3.0, 4.0]);
/// // A delimiter that can be part of a number is refused.
/// assert!(read_csv::<f32>("1.5\n".as_bytes(), &CsvOptions::new().delimiter('.')).is_err());
/// # Ok::<(), backprop::Error>(())
/// ```
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
    #[must_use]
    pub fn new() -> Self {
        CsvOptions::default()
    }

    /// The character between two fields; the default is `,`. Tab (`'\t'`) and `;` are
    /// common alternatives. It cannot be a character that may appear in a number or a
    /// line break, nor `"`: [`read_csv`] checks this.
    #[must_use]
    pub fn delimiter(mut self, delimiter: char) -> Self {
        self.delimiter = delimiter;
        self
    }

    /// Whether the first non-blank line names the columns; the default is
    /// [`Header::Absent`].
    #[must_use]
    pub fn header(mut self, header: Header) -> Self {
        self.header = header;
        self
    }
}

/// A numeric table read by [`read_csv`].
///
/// Made by the crate only, and `#[non_exhaustive]`, so that a later version may add to
/// what it tells about the file.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct CsvTable<T> {
    /// The column names, trimmed, when the options said there is a header.
    pub header: Option<Vec<String>>,
    /// The values, one line of the file per row.
    pub values: Matrix<T>,
    /// The line of the file each row was read from, counted from 1.
    lines: Vec<usize>,
}

impl<T> CsvTable<T> {
    /// The line of the file each row of [`values`](Self::values) was read from, counted
    /// from 1 as editors count them (blank lines and the header are lines too): row i
    /// is line `lines()[i]`. [`Dataset::from_csv_table`](crate::Dataset::from_csv_table)
    /// names these lines in its errors.
    ///
    /// ```
    /// use backprop::{CsvOptions, read_csv};
    ///
    /// let table = read_csv::<f64>("1,2\n\n3,4\n".as_bytes(), &CsvOptions::new())?;
    /// assert_eq!(table.lines(), &[1, 3]);
    /// # Ok::<(), backprop::Error>(())
    /// ```
    #[must_use]
    pub fn lines(&self) -> &[usize] {
        &self.lines
    }

    /// The index, from 0, of the column the header names `name` (compared after
    /// trimming, as the names are stored), or `None` if there is no header or no such
    /// column; the first match if several columns share the name.
    ///
    /// ```
    /// use backprop::{CsvOptions, Header, read_csv};
    ///
    /// let table = read_csv::<f64>("x, price\n1,2\n".as_bytes(), &CsvOptions::new().header(Header::Present))?;
    /// assert_eq!(table.column_index("price"), Some(1));
    /// assert_eq!(table.column_index("cost"), None);
    /// # Ok::<(), backprop::Error>(())
    /// ```
    #[must_use]
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.header.as_ref()?.iter().position(|n| n == name.trim())
    }
}

impl<T: Float> fmt::Debug for CsvTable<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CsvTable")
            .field("header", &self.header)
            .field("values", &self.values)
            .field("lines", &self.lines)
            .finish()
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
/// columns in error messages count from 1, as a text editor does; a field is quoted as
/// [`Error`] quotes any input: escaped, and cut after 80 characters.
///
/// # Memory
/// The input is read one field at a time, not one line at a time: a field is parsed
/// where it lies in the 8 KiB read buffer, and only a field that runs past the buffer's
/// end is gathered in a buffer of its own, which grows as a `Vec` does (to less than
/// twice the field, and to less than three times while it moves). Besides the table it
/// returns, reading therefore takes at most 3 × the longest field + 8 KiB, and so at
/// most 3 × the longest line + 8 KiB, however long a line is. The table's values grow
/// in one `Vec` too, by doubling.
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
///     "malformed data at byte 6: line 2, column 2: cannot parse \"abc\" as a number"
/// );
/// # Ok::<(), backprop::Error>(())
/// ```
///
/// # Errors
/// - [`Error::Format`], naming the line and column and with the byte offset, if a field
///   is empty, is not a number, is not finite (`inf`, `NaN`) or out of range for `T`,
///   contains a quote, if a row has a different number of fields than the first row (or
///   the header), or if a line is not UTF-8. A line is checked whole before its first
///   bad field is reported: bad UTF-8 anywhere in it comes first, then a wrong number
///   of fields;
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
    let wants_header = options.header == Header::Present;
    let mut fields = Fields::new(reader, delimiter);
    let mut header: Option<Vec<String>> = None;
    let mut values: Vec<T> = Vec::new();
    // The number of fields per row, and the line that set it.
    let mut width: Option<(usize, usize)> = None;
    // The line of each row.
    let mut lines: Vec<usize> = Vec::new();
    // The line being read: its number, where its text starts, its fields so far, whether
    // it is blank so far, its column names if it is the header, and its first problems.
    let mut line = Line::new(1, wants_header);
    while let Some(Field { mut bytes, end, mut offset }) = fields.next()? {
        if line.fields == 0 {
            // A byte-order mark, as some spreadsheet programs write.
            if let Some(rest) = bytes.strip_prefix(BYTE_ORDER_MARK).filter(|_| line.number == 1) {
                bytes = rest;
                offset += BYTE_ORDER_MARK.len() as u64;
            }
            line.start = offset;
        }
        if end != End::Delimiter {
            bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
        }
        line.fields += 1;
        match std::str::from_utf8(bytes) {
            Err(e) => {
                let at = offset + e.valid_up_to() as u64;
                line.not_utf8.get_or_insert(Error::Format {
                    reason: format!("line {}: not valid UTF-8 text", line.number),
                    offset: Some(at),
                });
            }
            Ok(field) => {
                let text = field.trim();
                line.blank = line.blank && text.is_empty() && (end != End::Delimiter || delimiter.is_whitespace());
                // Past the width the line already has a problem to report; its fields
                // are only counted.
                let within = width.is_none_or(|(expected, _)| line.fields <= expected);
                if within && line.bad_field.is_none() {
                    let read = if line.is_header {
                        check_name(text).map(|name| line.names.push(name.to_string()))
                    } else {
                        parse_number(text).map(|x| values.push(x))
                    };
                    if let Err(what) = read {
                        let leading = field.len() - field.trim_start().len();
                        line.bad_field = Some(Error::Format {
                            reason: format!("line {}, column {}: {what}", line.number, line.fields),
                            offset: Some(offset + leading as u64),
                        });
                    }
                }
            }
        }
        if end == End::Delimiter {
            continue;
        }
        // The line is complete.
        let number = line.number;
        match std::mem::replace(&mut line, Line::new(0, false)).finish(&mut width)? {
            Finished::Blank => {}
            Finished::Header(names) => header = Some(names),
            Finished::Row => lines.push(number),
        }
        line = Line::new(number + 1, wants_header && header.is_none());
    }
    let cols = width.map_or(0, |(fields, _)| fields);
    if lines.is_empty() {
        return Err(Error::EmptyData { what: "CSV table" });
    }
    Ok(CsvTable { header, values: Matrix::new(lines.len(), cols, values)?, lines })
}

/// Reads a CSV file; see [`read_csv`].
///
/// ```
/// use backprop::{CsvOptions, Dataset, Header, TargetColumn, read_csv_file};
///
/// let path = std::env::temp_dir().join(format!("backprop-doc-iris-{}.csv", std::process::id()));
/// std::fs::write(&path, "petal_length;petal_width;species\n1.4;0.2;0\n4.7;1.4;1\n6.0;2.5;2\n")?;
/// let table = read_csv_file::<f64>(&path, &CsvOptions::new().delimiter(';').header(Header::Present));
/// std::fs::remove_file(&path)?;
/// let table = table?;
/// assert_eq!(table.header.as_ref().unwrap()[2], "species");
/// // The last column is the class: two inputs and a one-hot target of three classes.
/// let data = Dataset::from_columns(&table.values, TargetColumn::Class { column: 2, classes: 3 })?;
/// assert_eq!(data.sample(1), (&[4.7, 1.4][..], &[0.0, 1.0, 0.0][..]));
/// # Ok::<(), backprop::Error>(())
/// ```
///
/// # Errors
/// As [`read_csv`], but an error of opening or reading the file is an [`Error::File`]
/// naming `path`.
pub fn read_csv_file<T: Float>(path: impl AsRef<Path>, options: &CsvOptions) -> Result<CsvTable<T>> {
    let path = path.as_ref();
    File::open(path).map_err(Error::from).and_then(|file| read_csv(file, options)).map_err(|e| e.in_file("read", path))
}

/// What a UTF-8 byte-order mark looks like at the start of a file.
const BYTE_ORDER_MARK: &[u8] = "\u{feff}".as_bytes();

/// What reading one line has found so far.
struct Line {
    /// The line's number, counted from 1.
    number: usize,
    /// Where its text starts in the input (after a byte-order mark).
    start: u64,
    /// The fields read so far.
    fields: usize,
    /// Whether all of it so far is whitespace: a blank line is skipped.
    blank: bool,
    /// Whether it holds the column names.
    is_header: bool,
    /// The column names, if it does.
    names: Vec<String>,
    /// Bad UTF-8: the problem reported first once the line is complete.
    not_utf8: Option<Error>,
    /// The first bad field, reported once the line is known to be neither blank nor of
    /// the wrong width.
    bad_field: Option<Error>,
}

/// What a complete line turned out to be.
enum Finished {
    Blank,
    Header(Vec<String>),
    Row,
}

impl Line {
    fn new(number: usize, is_header: bool) -> Self {
        Line { number, start: 0, fields: 0, blank: true, is_header, names: Vec::new(), not_utf8: None, bad_field: None }
    }

    /// Checks the complete line: its UTF-8, then its width against `width` (which the
    /// first non-blank line sets), then its fields.
    fn finish(self, width: &mut Option<(usize, usize)>) -> Result<Finished> {
        if let Some(e) = self.not_utf8 {
            return Err(e);
        }
        if self.blank {
            return Ok(Finished::Blank);
        }
        match *width {
            None => *width = Some((self.fields, self.number)),
            Some((expected, first)) if expected != self.fields => {
                return Err(Error::Format {
                    reason: format!("line {} has {} fields but line {first} has {expected}", self.number, self.fields),
                    offset: Some(self.start),
                });
            }
            Some(_) => {}
        }
        match self.bad_field {
            Some(e) => Err(e),
            None if self.is_header => Ok(Finished::Header(self.names)),
            None => Ok(Finished::Row),
        }
    }
}

/// A column name, from the trimmed text of a field; or what is wrong with it.
fn check_name(text: &str) -> std::result::Result<&str, String> {
    if text.contains('"') {
        return Err("quoted fields are not supported".into());
    }
    Ok(text)
}

/// The number in the trimmed text of a field, which must be finite in `T`; or what is
/// wrong with it.
fn parse_number<T: Float>(text: &str) -> std::result::Result<T, String> {
    check_name(text)?;
    if text.is_empty() {
        return Err("empty field".into());
    }
    let x: f64 = text.parse().map_err(|_| format!("cannot parse {} as a number", quoted(text)))?;
    // `inf` and `NaN` are written out; `1e400` is a number too large for f64.
    if x.is_nan() || (x.is_infinite() && names_infinity(text)) {
        return Err(format!("{} is not a finite number", quoted(text)));
    }
    let x = T::from_f64(x);
    if !x.is_finite() {
        return Err(format!("{} is out of range for {}", quoted(text), T::NAME));
    }
    Ok(x)
}

/// Whether `text`, which parses as an infinite `f64`, spells infinity out (`inf`,
/// `-Infinity`, …) rather than being a number too large for `f64`. It looks at the
/// text where it lies: a field may be megabytes long.
fn names_infinity(text: &str) -> bool {
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    unsigned.eq_ignore_ascii_case("inf") || unsigned.eq_ignore_ascii_case("infinity")
}

/// What ends a field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum End {
    /// The delimiter: another field of the same line follows.
    Delimiter,
    /// A line break, `\n`.
    LineBreak,
    /// The end of the input.
    Input,
}

/// One field, as [`Fields::next`] hands it out.
struct Field<'a> {
    /// Its bytes, without what ends it.
    bytes: &'a [u8],
    /// What ends it.
    end: End,
    /// Where it starts in the input.
    offset: u64,
}

/// The fields of the input, one at a time, without holding a whole line: a field is
/// handed out where it lies in the read buffer, and only a field that runs past the
/// buffer's end is copied, into `long_field`. Memory follows the longest field.
struct Fields<R> {
    reader: BufReader<R>,
    /// The delimiter's UTF-8 bytes: the first `delimiter_len` of these.
    delimiter: [u8; 4],
    delimiter_len: usize,
    /// A field gathered from several fills of the read buffer.
    long_field: Vec<u8>,
    /// The bytes of the read buffer lent out with the last field (the field and what
    /// ends it), consumed by the next call.
    lent: usize,
    /// Where the next field starts in the input.
    offset: u64,
    /// Whether the last field ended with the delimiter, so that one more field (empty,
    /// perhaps) follows, even at the end of the input.
    after_delimiter: bool,
}

/// Where the next field ends in a piece of input.
enum Search {
    /// At `at`, followed by `len` bytes of what ends it.
    Found { at: usize, end: End, len: usize },
    /// Not in this piece, whose last bytes, from `at` on, begin a delimiter.
    Partial { at: usize },
    /// Not in this piece.
    NotFound,
}

impl<R: Read> Fields<R> {
    fn new(reader: R, delimiter: char) -> Self {
        let mut bytes = [0; 4];
        let delimiter_len = delimiter.encode_utf8(&mut bytes).len();
        Fields {
            reader: BufReader::new(reader),
            delimiter: bytes,
            delimiter_len,
            long_field: Vec::new(),
            lent: 0,
            offset: 0,
            after_delimiter: false,
        }
    }

    /// The next field, or `None` once the input ends after a line break (or at once).
    fn next(&mut self) -> io::Result<Option<Field<'_>>> {
        self.reader.consume(std::mem::take(&mut self.lent));
        let offset = self.offset;
        let delimiter = &self.delimiter[..self.delimiter_len];
        self.long_field.clear();
        // How many bytes at the end of `long_field` begin a delimiter that the next
        // piece of input may complete.
        let mut partial = 0;
        loop {
            let buffer = match self.reader.fill_buf() {
                Ok(buffer) => buffer,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if buffer.is_empty() {
                if !self.after_delimiter && self.long_field.is_empty() {
                    return Ok(None);
                }
                self.after_delimiter = false;
                return Ok(Some(Field { bytes: &self.long_field, end: End::Input, offset }));
            }
            if partial > 0 {
                let rest = &delimiter[partial..];
                let n = rest.len().min(buffer.len());
                if buffer[..n] == rest[..n] {
                    self.long_field.extend_from_slice(&buffer[..n]);
                    self.reader.consume(n);
                    self.offset += n as u64;
                    partial += n;
                    if partial == delimiter.len() {
                        self.long_field.truncate(self.long_field.len() - partial);
                        self.after_delimiter = true;
                        return Ok(Some(Field { bytes: &self.long_field, end: End::Delimiter, offset }));
                    }
                    continue;
                }
                // Not a delimiter after all: those bytes belong to the field.
                partial = 0;
            }
            let (search, len) = (search(buffer, delimiter), buffer.len());
            match search {
                Search::Found { at, end, len } => {
                    self.offset += (at + len) as u64;
                    self.after_delimiter = end == End::Delimiter;
                    if self.long_field.is_empty() {
                        // The whole field is in the buffer: lend it, copy nothing.
                        self.lent = at + len;
                        return Ok(Some(Field { bytes: &self.reader.buffer()[..at], end, offset }));
                    }
                    self.long_field.extend_from_slice(&self.reader.buffer()[..at]);
                    self.reader.consume(at + len);
                    return Ok(Some(Field { bytes: &self.long_field, end, offset }));
                }
                Search::Partial { at } => partial = len - at,
                Search::NotFound => {}
            }
            self.long_field.extend_from_slice(self.reader.buffer());
            self.reader.consume(len);
            self.offset += len as u64;
        }
    }
}

/// Where the first field in `piece` ends: at the first line break or `delimiter`.
fn search(piece: &[u8], delimiter: &[u8]) -> Search {
    let mut from = 0;
    while let Some(i) = find_either(&piece[from..], b'\n', delimiter[0]) {
        let at = from + i;
        let rest = &piece[at..];
        if rest[0] == b'\n' {
            return Search::Found { at, end: End::LineBreak, len: 1 };
        }
        if rest.starts_with(delimiter) {
            return Search::Found { at, end: End::Delimiter, len: delimiter.len() };
        }
        if delimiter.starts_with(rest) {
            return Search::Partial { at };
        }
        from = at + 1;
    }
    Search::NotFound
}

/// The position of the first byte of `bytes` that is `a` or `b`.
fn find_either(bytes: &[u8], a: u8, b: u8) -> Option<usize> {
    let is_either = |x: &u8| *x == a || *x == b;
    // Most fields are short: look at the first bytes one by one.
    const SHORT: usize = 16;
    let head = bytes.len().min(SHORT);
    if let Some(i) = bytes[..head].iter().position(is_either) {
        return Some(i);
    }
    // Then at whole blocks without an early exit, which the compiler vectorises: a
    // field of megabytes takes about as long to find as to copy.
    const BLOCK: usize = 32;
    let mut start = head;
    for block in bytes[head..].chunks(BLOCK) {
        if block.iter().fold(false, |hit, x| hit | is_either(x)) {
            return block.iter().position(is_either).map(|i| start + i);
        }
        start += block.len();
    }
    None
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
        assert_eq!(t.lines(), &[1, 4, 5]);
        let t = read("1,2").unwrap();
        assert_eq!(format!("{t:?}"), format!("CsvTable {{ header: None, values: {:?}, lines: [1] }}", t.values));
    }

    #[test]
    fn columns_are_found_by_their_trimmed_header_name() {
        let options = CsvOptions::new().header(Header::Present);
        let t = read_csv::<f64>(" a , b ,a\n1,2,3\n".as_bytes(), &options).unwrap();
        assert_eq!(t.column_index("b"), Some(1));
        assert_eq!(t.column_index(" b "), Some(1));
        assert_eq!(t.column_index("a"), Some(0)); // the first of two
        assert_eq!(t.column_index("c"), None);
        assert_eq!(read("1,2").unwrap().column_index("a"), None); // no header
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
        assert_eq!(e.to_string(), "malformed data at byte 7: line 3, column 2: cannot parse \"abc\" as a number");
        assert_eq!(reason(read("1,,3")), "line 1, column 2: empty field");
        assert_eq!(reason(read("1,2\n3,inf")), "line 2, column 2: \"inf\" is not a finite number");
        assert_eq!(reason(read("NaN")), "line 1, column 1: \"NaN\" is not a finite number");
        assert_eq!(reason(read("1,\"2\"")), "line 1, column 2: quoted fields are not supported");
        let e = read_csv::<f32>("1e39".as_bytes(), &CsvOptions::new()).unwrap_err();
        assert!(e.to_string().ends_with("line 1, column 1: \"1e39\" is out of range for f32"), "{e}");
        assert_eq!(reason(read("-1e400")), "line 1, column 1: \"-1e400\" is out of range for f64");
        assert_eq!(reason(read("-Infinity")), "line 1, column 1: \"-Infinity\" is not a finite number");
        assert_eq!(reason(read("+INF")), "line 1, column 1: \"+INF\" is not a finite number");
        assert_eq!(reason(read("1,infinity")), "line 1, column 2: \"infinity\" is not a finite number");
        // The first bad field of a line is the one named.
        assert_eq!(reason(read("1,2\nx,y")), "line 2, column 1: cannot parse \"x\" as a number");
        // Offsets count a byte-order mark, and not a line's final carriage return.
        let e = read("\u{feff}x,1").unwrap_err();
        assert_eq!(e.to_string(), "malformed data at byte 3: line 1, column 1: cannot parse \"x\" as a number");
        let e = read("1,\r\n").unwrap_err();
        assert_eq!(e.to_string(), "malformed data at byte 2: line 1, column 2: empty field");
    }

    #[test]
    fn messages_escape_control_characters_and_stay_short() {
        // A carriage return or a NUL inside a field is shown escaped, never raw.
        assert_eq!(reason(read("1,x\ry\0z\n")), r#"line 1, column 2: cannot parse "x\ry\0z" as a number"#);
        assert_eq!(reason(read("\u{1b}[2J")), r#"line 1, column 1: cannot parse "\u{1b}[2J" as a number"#);
        // A long field is quoted up to 80 characters, however long it is.
        let long = "x".repeat(1_000_000);
        let message = reason(read(&format!("1,{long}")));
        assert_eq!(message, format!("line 1, column 2: cannot parse \"{}\"… as a number", "x".repeat(80)));
        let huge = format!("1{}", "0".repeat(1_000_000));
        let message = reason(read(&huge));
        assert_eq!(message, format!("line 1, column 1: \"1{}\"… is out of range for f64", "0".repeat(79)));
    }

    /// A reader that hands out at most `step` bytes per read, so that fields and
    /// delimiters straddle the read buffer's end.
    struct Trickle<'a> {
        bytes: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.step.min(buf.len()).min(self.bytes.len());
            buf[..n].copy_from_slice(&self.bytes[..n]);
            self.bytes = &self.bytes[n..];
            Ok(n)
        }
    }

    #[test]
    fn fields_and_delimiters_may_straddle_reads() {
        // A multi-byte delimiter, a field longer than the read buffer, a byte-order mark,
        // a delimiter's first byte that starts no delimiter, and an empty last field.
        let long = format!("{}1", "0".repeat(20_000));
        let text = format!("\u{feff}a\u{a7} b\u{a7}c\r\n1\u{a7}{long}\u{a7}-2\n\n3\u{a7}4\u{a7}5");
        let options = CsvOptions::new().delimiter('\u{a7}').header(Header::Present);
        for step in [1, 2, 3, 7, 8192, usize::MAX] {
            let t = read_csv::<f64>(Trickle { bytes: text.as_bytes(), step }, &options).unwrap();
            assert_eq!(t.header, Some(vec!["a".to_string(), "b".to_string(), "c".to_string()]), "step {step}");
            assert_eq!(t.values.as_slice(), &[1.0, 1.0, -2.0, 3.0, 4.0, 5.0], "step {step}");
            // '°' is C2 B0 in UTF-8, and '§' C2 A7.
            let bad = format!("1\u{a7}2\n3\u{a7}{long}\u{b0}x");
            let e = read_csv::<f64>(Trickle { bytes: bad.as_bytes(), step }, &options.clone().header(Header::Absent));
            let message = format!("line 2, column 2: cannot parse \"{}\"… as a number", "0".repeat(80));
            assert_eq!(e.unwrap_err().to_string(), format!("malformed data at byte 8: {message}"), "step {step}");
            let e = read_csv::<f64>(Trickle { bytes: b"1,2\n3,", step }, &CsvOptions::new()).unwrap_err();
            assert_eq!(e.to_string(), "malformed data at byte 6: line 2, column 2: empty field", "step {step}");
        }
    }

    #[test]
    fn finds_the_first_of_two_bytes_anywhere() {
        // Lengths around the scalar head and the vectorised blocks.
        for len in 0..120 {
            let mut bytes = vec![b'x'; len];
            assert_eq!(find_either(&bytes, b'\n', b','), None, "{len}");
            for at in (0..len).rev() {
                bytes[at] = if at % 2 == 0 { b'\n' } else { b',' };
                assert_eq!(find_either(&bytes, b'\n', b','), Some(at), "{len}, {at}");
            }
        }
    }

    #[test]
    fn ragged_rows_are_an_error() {
        assert_eq!(reason(read("1,2,3\n4,5,6\n7,8")), "line 3 has 2 fields but line 1 has 3");
        // The width is checked before the fields, and past it fields are not parsed.
        assert_eq!(reason(read("1,2\nx,2,3")), "line 2 has 3 fields but line 1 has 2");
        assert_eq!(reason(read("1\n2,x")), "line 2 has 2 fields but line 1 has 1");
        // A blank line with a whitespace delimiter is blank, not two empty fields.
        let t = read_csv::<f64>("1\t2\n\t\n3\t4".as_bytes(), &CsvOptions::new().delimiter('\t')).unwrap();
        assert_eq!(t.values.as_slice(), &[1.0, 2.0, 3.0, 4.0]);
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
        // Bad UTF-8 anywhere in a line comes before a bad field in it.
        let e = read_csv::<f64>(&b"1,2\nx,\xff\n"[..], &CsvOptions::new()).unwrap_err();
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
                    assert!(t.values.n_rows() > 0);
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
        assert!(matches!(read_csv_file::<f64>(&path, &CsvOptions::new()), Err(Error::File { action: "read", .. })));
    }

    /// A reader whose first read fails with `first_error`, then reads `bytes`.
    struct Failing<'a> {
        first_error: Option<io::ErrorKind>,
        bytes: &'a [u8],
    }

    impl Read for Failing<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if let Some(kind) = self.first_error.take() {
                return Err(kind.into());
            }
            self.bytes.read(buf)
        }
    }

    #[test]
    fn an_interrupted_read_is_retried_and_another_error_reported() {
        let interrupted = Failing { first_error: Some(io::ErrorKind::Interrupted), bytes: b"1,2\n" };
        assert_eq!(read_csv::<f64>(interrupted, &CsvOptions::new()).unwrap().values.as_slice(), &[1.0, 2.0]);
        let failing = Failing { first_error: Some(io::ErrorKind::BrokenPipe), bytes: b"1,2\n" };
        let e = read_csv::<f64>(failing, &CsvOptions::new()).unwrap_err();
        assert!(matches!(&e, Error::Io(e) if e.kind() == io::ErrorKind::BrokenPipe), "{e:?}");
    }
}
