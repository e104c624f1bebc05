//! A small, strict JSON reader and writer: just enough JSON for a safetensors header.
//!
//! # The subset
//! Objects, arrays, strings, `true`, `false`, `null` and non-negative integers that fit
//! in a `u64`. Numbers with a sign, a fraction or an exponent are valid JSON but are
//! rejected here: a safetensors header only holds counts and byte offsets, so a reader
//! that accepts less has less to get wrong.
//!
//! # Strictness
//! The reader rejects what RFC 8259 rejects (control characters in strings, invalid
//! escapes, lone surrogates, leading zeros, trailing commas, trailing garbage) and, on
//! top of that, duplicate keys in an object, integers above `u64::MAX`, nesting deeper
//! than [`MAX_DEPTH`], more than [`MAX_VALUES`] values, and input longer than
//! [`MAX_INPUT_LEN`]. Whitespace around values
//! is allowed, which is what lets a safetensors header end in padding spaces.
//!
//! Every error is an [`Error::Format`] carrying the byte offset of the problem. The
//! reader never panics, and its recursion is bounded by [`MAX_DEPTH`].
//!
//! # Canonical output
//! The writer emits compact JSON with no whitespace, members in their stored order,
//! and strings escaped the way serde_json escapes them: `\"`, `\\`, the short escapes
//! `\b \f \n \r \t`, `\u00XX` (lowercase hex) for the other control characters, and
//! everything else, non-ASCII included, as raw UTF-8. Reading what it writes gives the
//! same [`Value`] back, and writing that again gives the same bytes.

use std::collections::HashSet;
use std::fmt::Write as _;

use crate::error::{Error, Result, quoted};

/// How deeply arrays and objects may nest: `[[1]]` has depth 2.
pub(crate) const MAX_DEPTH: usize = 64;

/// The longest input, in bytes, the reader accepts (the safetensors header limit).
pub(crate) const MAX_INPUT_LEN: usize = 100_000_000;

/// The most values (scalars, arrays and objects, at any depth) the reader builds.
///
/// A value can take 2 bytes of text (`0,`) but 32 to 64 bytes of memory, so without
/// this bound a header at [`MAX_INPUT_LEN`] could make the reader allocate gigabytes.
/// Four million values is about ten per tensor for 400 000 tensors.
pub(crate) const MAX_VALUES: usize = 4_000_000;

/// A JSON value of the subset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Value {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A non-negative integer, e.g. a dimension or a byte offset.
    UInt(u64),
    /// A string, with its escapes resolved.
    String(String),
    /// An array.
    Array(Vec<Value>),
    /// An object, its members in input order; the reader guarantees unique keys.
    Object(Vec<Member>),
}

/// One `"key": value` member of an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Member {
    /// The key, with its escapes resolved.
    pub(crate) key: String,
    /// The value.
    pub(crate) value: Value,
    /// Where the key's opening quote sits, as reported in errors: the byte offset in
    /// the parsed input plus the `base` given to [`parse`]. 0 for members built in code.
    pub(crate) offset: u64,
}

impl Member {
    /// A member built in code (offset 0), for writing.
    pub(crate) fn new(key: impl Into<String>, value: Value) -> Self {
        Member { key: key.into(), value, offset: 0 }
    }
}

impl Value {
    /// A short name of the value's type, for error messages: "an object", "a string", ...
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::UInt(_) => "an integer",
            Value::String(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        }
    }

    /// The canonical compact JSON text of the value (see the module docs).
    pub(crate) fn to_json(&self) -> String {
        let mut out = String::new();
        self.write_to(&mut out);
        out
    }

    /// Appends the canonical compact JSON text of the value to `out`.
    ///
    /// Iterative rather than recursive, so a value built in code at any depth is safe.
    pub(crate) fn write_to(&self, out: &mut String) {
        /// What is left to write: a value, or a fixed piece of punctuation.
        enum Step<'a> {
            Value(&'a Value),
            Text(&'static str),
            Key(&'a str),
        }
        let mut stack = vec![Step::Value(self)];
        while let Some(step) = stack.pop() {
            match step {
                Step::Text(t) => out.push_str(t),
                Step::Key(k) => {
                    write_string(out, k);
                    out.push(':');
                }
                Step::Value(Value::Null) => out.push_str("null"),
                Step::Value(Value::Bool(b)) => out.push_str(if *b { "true" } else { "false" }),
                Step::Value(Value::UInt(n)) => {
                    let _ = write!(out, "{n}");
                }
                Step::Value(Value::String(s)) => write_string(out, s),
                Step::Value(Value::Array(items)) => {
                    out.push('[');
                    stack.push(Step::Text("]"));
                    // Pushed in reverse so they pop in order.
                    for (i, item) in items.iter().enumerate().rev() {
                        stack.push(Step::Value(item));
                        if i > 0 {
                            stack.push(Step::Text(","));
                        }
                    }
                }
                Step::Value(Value::Object(members)) => {
                    out.push('{');
                    stack.push(Step::Text("}"));
                    for (i, m) in members.iter().enumerate().rev() {
                        stack.push(Step::Value(&m.value));
                        stack.push(Step::Key(&m.key));
                        if i > 0 {
                            stack.push(Step::Text(","));
                        }
                    }
                }
            }
        }
    }
}

/// Appends `s` to `out` as a quoted, escaped JSON string.
pub(crate) fn write_string(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0C}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let b = c as u32 as usize;
                out.push_str("\\u00");
                out.push(char::from(HEX[b >> 4]));
                out.push(char::from(HEX[b & 0xF]));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Parses `text` as one JSON value of the subset, optionally surrounded by whitespace.
///
/// `base` is added to every offset in errors and in [`Member::offset`], so that a
/// header that starts at byte 8 of a file reports file offsets.
///
/// # Errors
/// [`Error::Format`] with the offset of the first problem: input longer than
/// [`MAX_INPUT_LEN`], a syntax error, a number outside the subset, a duplicate key,
/// nesting deeper than [`MAX_DEPTH`], more than [`MAX_VALUES`] values, or anything but
/// whitespace after the value.
pub(crate) fn parse(text: &str, base: u64) -> Result<Value> {
    if text.len() > MAX_INPUT_LEN {
        return Err(Error::Format {
            reason: format!("JSON text is {} bytes, over the limit of {MAX_INPUT_LEN}", text.len()),
            offset: Some(base),
        });
    }
    let mut parser = Parser { text, bytes: text.as_bytes(), pos: 0, base, values: 0 };
    parser.skip_whitespace();
    let value = parser.value(0)?;
    parser.skip_whitespace();
    if parser.pos < parser.bytes.len() {
        return Err(parser.error_here("unexpected text after the JSON value"));
    }
    Ok(value)
}

/// A recursive-descent parser over one input; `pos` only ever moves forward.
struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    base: u64,
    /// How many values have been started, checked against [`MAX_VALUES`].
    values: usize,
}

impl Parser<'_> {
    /// The error for a problem at byte `pos` of the input.
    fn error_at(&self, pos: usize, reason: impl Into<String>) -> Error {
        Error::Format { reason: reason.into(), offset: Some(self.base.saturating_add(pos as u64)) }
    }

    /// The error for a problem at the current position.
    fn error_here(&self, reason: impl Into<String>) -> Error {
        self.error_at(self.pos, reason)
    }

    /// The error for a missing token: names what was expected and what was found.
    fn expected(&self, what: &str) -> Error {
        let found = match self.text.get(self.pos..).and_then(|rest| rest.chars().next()) {
            None => "the end of the input".to_string(),
            Some(c) => format!("{c:?}"),
        };
        self.error_here(format!("expected {what} in JSON, found {found}"))
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// Consumes `b` after optional whitespace, or fails naming `what` was expected.
    fn expect(&mut self, b: u8, what: &str) -> Result<()> {
        self.skip_whitespace();
        if self.peek() == Some(b) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.expected(what))
        }
    }

    /// Parses the value that starts at the current position; `depth` counts the
    /// arrays and objects it sits in.
    fn value(&mut self, depth: usize) -> Result<Value> {
        self.values += 1;
        if self.values > MAX_VALUES {
            return Err(self.error_here(format!("JSON holds more than {MAX_VALUES} values")));
        }
        match self.peek() {
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.array(depth + 1),
            Some(b'"') => Ok(Value::String(self.string()?)),
            Some(b'0'..=b'9' | b'-') => self.number(),
            Some(b't') => self.literal("true", Value::Bool(true)),
            Some(b'f') => self.literal("false", Value::Bool(false)),
            Some(b'n') => self.literal("null", Value::Null),
            _ => Err(self.expected("a value")),
        }
    }

    fn check_depth(&self, depth: usize) -> Result<()> {
        if depth > MAX_DEPTH {
            Err(self.error_here(format!("JSON nests deeper than {MAX_DEPTH} levels")))
        } else {
            Ok(())
        }
    }

    fn literal(&mut self, word: &str, value: Value) -> Result<Value> {
        if self.bytes.get(self.pos..).is_some_and(|rest| rest.starts_with(word.as_bytes())) {
            self.pos += word.len();
            Ok(value)
        } else {
            Err(self.expected("a value"))
        }
    }

    /// `[` value (`,` value)* `]`, or `[]`.
    fn array(&mut self, depth: usize) -> Result<Value> {
        self.check_depth(depth)?;
        self.pos += 1; // '['
        let mut items = Vec::new();
        self.skip_whitespace();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Value::Array(items));
        }
        loop {
            self.skip_whitespace();
            items.push(self.value(depth)?);
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Value::Array(items));
                }
                _ => return Err(self.expected("',' or ']'")),
            }
        }
    }

    /// `{` string `:` value (`,` string `:` value)* `}`, or `{}`.
    fn object(&mut self, depth: usize) -> Result<Value> {
        self.check_depth(depth)?;
        self.pos += 1; // '{'
        let mut members = Vec::new();
        let mut keys = HashSet::new();
        self.skip_whitespace();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Value::Object(members));
        }
        loop {
            self.skip_whitespace();
            if self.peek() != Some(b'"') {
                return Err(self.expected("a string key"));
            }
            let key_pos = self.pos;
            let key = self.string()?;
            if !keys.insert(key.clone()) {
                return Err(self.error_at(key_pos, format!("duplicate key {} in JSON object", quoted(&key))));
            }
            self.expect(b':', "':'")?;
            self.skip_whitespace();
            let value = self.value(depth)?;
            let offset = self.base.saturating_add(key_pos as u64);
            members.push(Member { key, value, offset });
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Value::Object(members));
                }
                _ => return Err(self.expected("',' or '}'")),
            }
        }
    }

    /// A non-negative integer: `0` or a nonzero digit followed by digits. Anything else
    /// that JSON calls a number is recognised only to be rejected with a clear message.
    fn number(&mut self) -> Result<Value> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            return Err(self.error_here("negative numbers are not allowed here"));
        }
        let mut n: u64 = 0;
        let mut overflow = false;
        while let Some(d @ b'0'..=b'9') = self.peek() {
            if self.pos > start && self.bytes.get(start) == Some(&b'0') {
                return Err(self.error_at(start, "a number must not have a leading zero"));
            }
            match n.checked_mul(10).and_then(|n| n.checked_add(u64::from(d - b'0'))) {
                Some(m) => n = m,
                None => overflow = true,
            }
            self.pos += 1;
        }
        if let Some(b'.' | b'e' | b'E') = self.peek() {
            return Err(self.error_at(start, "only non-negative integers are allowed, not fractions or exponents"));
        }
        if overflow {
            return Err(self.error_at(start, format!("integer is larger than {}", u64::MAX)));
        }
        Ok(Value::UInt(n))
    }

    /// A string starting at the current `"`; returns it with escapes resolved.
    fn string(&mut self) -> Result<String> {
        self.pos += 1; // opening '"'
        let mut out = String::new();
        loop {
            // Copy the run of plain characters. The input is a `str` and every byte
            // the run stops at is ASCII, so the run ends on a char boundary.
            let run_start = self.pos;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            out.push_str(self.text.get(run_start..self.pos).unwrap_or_default());
            match self.peek() {
                None => return Err(self.error_here("unterminated string in JSON")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => out.push(self.escape()?),
                Some(b) => {
                    return Err(
                        self.error_here(format!("control character U+{b:04X} must be escaped in a JSON string"))
                    );
                }
            }
        }
    }

    /// The escape sequence at the current `\`, as the character it stands for.
    fn escape(&mut self) -> Result<char> {
        let start = self.pos;
        self.pos += 1; // '\'
        let c = match self.peek() {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{08}',
            Some(b'f') => '\u{0C}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                self.pos += 1;
                let unit = self.hex4()?;
                return match unit {
                    0xD800..=0xDBFF => {
                        // A high surrogate must be followed by an escaped low one.
                        if self.bytes.get(self.pos..self.pos + 2) != Some(b"\\u") {
                            return Err(self.error_at(start, "high surrogate escape without a low surrogate"));
                        }
                        self.pos += 2;
                        let low = self.hex4()?;
                        if !(0xDC00..=0xDFFF).contains(&low) {
                            return Err(self.error_at(start, "high surrogate escape without a low surrogate"));
                        }
                        let code = 0x10000 + ((u32::from(unit) - 0xD800) << 10) + (u32::from(low) - 0xDC00);
                        char::from_u32(code).ok_or_else(|| self.error_at(start, "invalid surrogate pair"))
                    }
                    0xDC00..=0xDFFF => Err(self.error_at(start, "low surrogate escape without a high surrogate")),
                    _ => char::from_u32(u32::from(unit)).ok_or_else(|| self.error_at(start, "invalid \\u escape")),
                };
            }
            _ => return Err(self.error_at(start, "invalid escape sequence in JSON string")),
        };
        self.pos += 1;
        Ok(c)
    }

    /// Four hex digits after `\u`, as a UTF-16 code unit.
    fn hex4(&mut self) -> Result<u16> {
        let mut unit: u16 = 0;
        for _ in 0..4 {
            let digit = match self.peek() {
                Some(b @ b'0'..=b'9') => b - b'0',
                Some(b @ b'a'..=b'f') => b - b'a' + 10,
                Some(b @ b'A'..=b'F') => b - b'A' + 10,
                _ => return Err(self.error_here("expected 4 hex digits after \\u")),
            };
            unit = (unit << 4) | u16::from(digit);
            self.pos += 1;
        }
        Ok(unit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The error's offset and message, or a panic if `text` parses.
    fn fails(text: &str) -> (u64, String) {
        match parse(text, 0) {
            Err(Error::Format { reason, offset: Some(o) }) => (o, reason),
            other => panic!("{text:?} should fail with an offset, got {other:?}"),
        }
    }

    fn obj(members: Vec<(&str, Value)>) -> Value {
        Value::Object(members.into_iter().map(|(k, v)| Member::new(k, v)).collect())
    }

    #[test]
    fn parses_every_kind_of_value() {
        let v = parse(" {\"a\": [0, 18446744073709551615, true, false, null, \"x\"], \"b\": {}} ", 0).unwrap();
        let Value::Object(members) = &v else { panic!("not an object: {v:?}") };
        assert_eq!(members[0].key, "a");
        assert_eq!(members[0].offset, 2);
        assert_eq!(members[1].offset, 58);
        assert_eq!(
            members[0].value,
            Value::Array(vec![
                Value::UInt(0),
                Value::UInt(u64::MAX),
                Value::Bool(true),
                Value::Bool(false),
                Value::Null,
                Value::String("x".into()),
            ])
        );
        assert_eq!(members[1].value, Value::Object(vec![]));
        assert_eq!(parse("[]", 0).unwrap(), Value::Array(vec![]));
    }

    #[test]
    fn resolves_escapes_and_surrogate_pairs() {
        let v = parse(r#""\"\\\/\b\f\n\r\t\u0041\u00e9\u20AC\ud83d\ude00é""#, 0).unwrap();
        assert_eq!(v, Value::String("\"\\/\u{8}\u{c}\n\r\tAé€😀é".into()));
    }

    #[test]
    fn rejects_bad_strings() {
        assert_eq!(fails("\"abc").0, 4);
        assert_eq!(fails("\"a\u{1}b\"").0, 2);
        assert_eq!(fails("\"a\nb\"").0, 2);
        assert_eq!(fails(r#""\x""#).0, 1);
        assert_eq!(fails(r#""\u12G4""#).0, 5);
        assert_eq!(fails(r#""\u12""#).0, 5);
        assert!(fails(r#""ab\ud800""#).1.contains("high surrogate"));
        assert!(fails(r#""\ud800\u0041""#).1.contains("high surrogate"));
        assert!(fails(r#""\ud800x""#).1.contains("high surrogate"));
        assert!(fails(r#""\udc00""#).1.contains("low surrogate"));
        assert_eq!(fails("\"\\").0, 1);
    }

    #[test]
    fn rejects_numbers_outside_the_subset() {
        assert!(fails("01").1.contains("leading zero"));
        assert!(fails("[00]").1.contains("leading zero"));
        assert!(fails("-1").1.contains("negative"));
        assert!(fails("1.5").1.contains("integers"));
        assert!(fails("1e3").1.contains("integers"));
        let (offset, reason) = fails("[18446744073709551616]");
        assert_eq!(offset, 1);
        assert!(reason.contains("larger than"));
        assert_eq!(parse("0", 0).unwrap(), Value::UInt(0));
    }

    #[test]
    fn rejects_syntax_errors_at_their_offset() {
        let (offset, reason) = fails("{\"a\" 1}");
        assert_eq!(offset, 5);
        assert_eq!(reason, "expected ':' in JSON, found '1'");
        assert_eq!(fails("{\"a\":1,}").0, 7);
        assert_eq!(fails("[1,]").0, 3);
        assert_eq!(fails("[1 2]").0, 3);
        assert_eq!(fails("{1:2}").0, 1);
        assert_eq!(fails("{\"a\":1").0, 6);
        assert_eq!(fails("").0, 0);
        assert_eq!(fails("   ").0, 3);
        assert_eq!(fails("tru").0, 0);
        assert_eq!(fails("nul").0, 0);
        assert_eq!(fails("[1] x").0, 4);
        assert_eq!(fails("{}{}").0, 2);
        assert_eq!(fails("\u{feff}{}").0, 0);
        assert_eq!(
            parse("[1", 8).unwrap_err().to_string(),
            "malformed data at byte 10: expected ',' or ']' in JSON, found the end of the input"
        );
    }

    #[test]
    fn rejects_duplicate_keys() {
        let (offset, reason) = fails(r#"{"a":1,"b":2,"a":3}"#);
        assert_eq!(offset, 13);
        assert_eq!(reason, "duplicate key \"a\" in JSON object");
        // Keys are compared after escapes are resolved.
        assert_eq!(fails(r#"{"a":1,"\u0061":3}"#).0, 7);
        // The message quotes a long key in part, and control characters escaped.
        let key = format!("\\r{}", "k".repeat(1_000_000));
        let (_, reason) = fails(&format!(r#"{{"{key}":1,"{key}":2}}"#));
        assert_eq!(reason, format!("duplicate key \"\\r{}\"… in JSON object", "k".repeat(78)));
    }

    #[test]
    fn limits_nesting_depth_without_recursing_deeply() {
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(parse(&ok, 0).is_ok());
        let too_deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        let (offset, reason) = fails(&too_deep);
        assert_eq!(offset, MAX_DEPTH as u64);
        assert!(reason.contains("deeper than 64"));
        // A million open brackets fail at the limit, long before the stack would: each
        // 6-byte `[{"a":` opens two levels, so level 65 is the `[` of the 33rd.
        assert_eq!(fails(&"[{\"a\":".repeat(1_000_000)).0, 32 * 6);
    }

    #[test]
    fn limits_the_number_of_values() {
        let at_limit = format!("[{}0]", "0,".repeat(MAX_VALUES - 2));
        assert!(parse(&at_limit, 0).is_ok());
        let over = format!("[{}0]", "0,".repeat(MAX_VALUES - 1));
        let (offset, reason) = fails(&over);
        assert_eq!(offset as usize, over.len() - 2);
        assert_eq!(reason, "JSON holds more than 4000000 values");
    }

    #[test]
    fn limits_input_length() {
        let long = " ".repeat(MAX_INPUT_LEN + 1);
        assert!(fails(&long).1.contains("over the limit"));
    }

    #[test]
    fn writes_canonical_compact_json() {
        let v = obj(vec![
            ("b", Value::Array(vec![Value::UInt(1), Value::UInt(u64::MAX), Value::Null])),
            ("a\"\\\u{1}\u{1f}\n\t\u{8}\u{c}\r/é😀\u{7f}", Value::Bool(true)),
            ("e", obj(vec![])),
            ("f", Value::Array(vec![])),
        ]);
        let text = v.to_json();
        assert_eq!(
            text,
            "{\"b\":[1,18446744073709551615,null],\"a\\\"\\\\\\u0001\\u001f\\n\\t\\b\\f\\r/é😀\u{7f}\":true,\"e\":{},\"f\":[]}"
        );
        let back = parse(&text, 0).unwrap();
        assert_eq!(back.to_json(), text);
    }

    #[test]
    fn writes_deep_values_without_recursing() {
        let mut v = Value::Null;
        for _ in 0..100_000 {
            v = Value::Array(vec![v]);
        }
        assert_eq!(v.to_json().len(), 4 + 2 * 100_000);
        // Dropping a deep value recurses in the compiler-generated drop glue, so
        // take it apart by hand.
        while let Value::Array(mut items) = v {
            v = items.pop().unwrap_or(Value::Null);
        }
    }
}
