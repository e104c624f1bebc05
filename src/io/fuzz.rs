//! Property tests of the readers on hostile input: every input is read or rejected
//! with an error, never a panic, and every error points inside the input.
//!
//! The inputs are random bytes, random JSON-like text, and valid files mutated by bit
//! flips, byte overwrites, truncations, insertions, deletions, splices and rewritten
//! header lengths. Seeds are fixed, so every run tries the same cases: 2000 in total
//! by default, or as many as the environment variable `BACKPROP_FUZZ_CASES` says, e.g.
//! `BACKPROP_FUZZ_CASES=200000 cargo test --release io::fuzz`.

use std::collections::BTreeMap;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

use crate::error::{Error, Result};
use crate::io::json::{self, Member, Value};
use crate::io::safetensors::{self, NonFinite, SafeTensors, TensorBuf, TensorData, TensorView};

/// The number of cases of all the tests here together, unless `BACKPROP_FUZZ_CASES`
/// says otherwise.
const DEFAULT_TOTAL: u32 = 2000;

/// A runner for `share` of the [`DEFAULT_TOTAL`] cases (scaled with
/// `BACKPROP_FUZZ_CASES`), with a fixed seed and no files of failed cases written.
fn runner(share: u32, seed: u8) -> TestRunner {
    let total = match std::env::var("BACKPROP_FUZZ_CASES") {
        Ok(s) => s.parse::<u32>().unwrap_or_else(|_| panic!("BACKPROP_FUZZ_CASES must be a count, got {s:?}")),
        Err(_) => DEFAULT_TOTAL,
    };
    let cases = (u64::from(total) * u64::from(share) / u64::from(DEFAULT_TOTAL)).clamp(1, u64::from(u32::MAX)) as u32;
    let config = Config { cases, failure_persistence: None, ..Config::default() };
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &[seed; 32]))
}

/// Runs `test` on values of `strategy`; a failure or panic fails the Rust test with
/// the (shrunk) input that caused it.
fn check<S: Strategy>(mut runner: TestRunner, strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>) {
    if let Err(e) = runner.run(&strategy, test) {
        panic!("{e}");
    }
}

/// A tensor to write, owning its parts.
#[derive(Debug, Clone)]
struct Spec {
    name: String,
    shape: Vec<usize>,
    data: TensorBuf,
}

impl Spec {
    fn view(&self) -> TensorView<'_> {
        let data = match &self.data {
            TensorBuf::F32(xs) => TensorData::F32(xs),
            TensorBuf::F64(xs) => TensorData::F64(xs),
        };
        TensorView { name: &self.name, shape: &self.shape, data }
    }
}

/// Names with the characters JSON must escape, and non-ASCII ones.
fn name() -> impl Strategy<Value = String> {
    string_of("abcdefghijklmnopqrstuvwxyz0123456789._\"\\/é😀\u{1}\n", 0..=6)
}

/// Strings of `len` characters drawn from `chars` (a regex-free strategy: the crate's
/// proptest builds without regex support).
fn string_of(chars: &'static str, len: std::ops::RangeInclusive<usize>) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(chars.chars().collect::<Vec<_>>()), len).prop_map(String::from_iter)
}

/// Any strings of up to `max` characters, control characters included.
fn any_string(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(any::<char>(), 0..=max).prop_map(String::from_iter)
}

/// A tensor of up to 3 dimensions of up to 3, of random bit patterns (NaNs included).
fn spec() -> impl Strategy<Value = Spec> {
    (name(), prop::collection::vec(0usize..4, 0..4), any::<bool>()).prop_flat_map(|(name, shape, is_f64)| {
        let n: usize = shape.iter().product();
        let data = if is_f64 {
            prop::collection::vec(any::<u64>(), n)
                .prop_map(|b| TensorBuf::F64(b.into_iter().map(f64::from_bits).collect()))
                .boxed()
        } else {
            prop::collection::vec(any::<u32>(), n)
                .prop_map(|b| TensorBuf::F32(b.into_iter().map(f32::from_bits).collect()))
                .boxed()
        };
        data.prop_map(move |data| Spec { name: name.clone(), shape: shape.clone(), data })
    })
}

/// Up to 4 tensors with distinct names, and up to 2 metadata strings.
fn contents() -> impl Strategy<Value = (Vec<Spec>, BTreeMap<String, String>)> {
    let specs = prop::collection::vec(spec(), 0..5).prop_map(|mut specs| {
        for (i, s) in specs.iter_mut().enumerate() {
            s.name = format!("{i}{}", s.name);
        }
        specs
    });
    (specs, prop::collection::btree_map(name(), name(), 0..3))
}

/// A valid file of the given contents.
fn file_of(specs: &[Spec], metadata: &BTreeMap<String, String>) -> Vec<u8> {
    let views: Vec<TensorView<'_>> = specs.iter().map(Spec::view).collect();
    let mut bytes = Vec::new();
    safetensors::write(&mut bytes, &views, metadata).expect("valid contents write");
    bytes
}

/// The contents as comparable bit patterns, tensors sorted by name.
fn bits(specs: impl IntoIterator<Item = (String, Vec<usize>, TensorBuf)>) -> Vec<(String, Vec<usize>, bool, Vec<u64>)> {
    let mut out: Vec<_> = specs
        .into_iter()
        .map(|(name, shape, data)| match data {
            TensorBuf::F32(xs) => (name, shape, false, xs.iter().map(|x| u64::from(x.to_bits())).collect()),
            TensorBuf::F64(xs) => (name, shape, true, xs.iter().map(|x| x.to_bits()).collect()),
        })
        .collect();
    out.sort();
    out
}

fn bits_of_read(st: &SafeTensors) -> Vec<(String, Vec<usize>, bool, Vec<u64>)> {
    bits(st.tensors.iter().map(|t| (t.name.clone(), t.shape.clone(), t.data.clone())))
}

/// Reads `bytes` every way there is and checks that the ways agree, that errors
/// point inside the input, and that what reads also writes and reads back the same.
fn read_every_way(bytes: &[u8]) -> Result<(), TestCaseError> {
    let len = bytes.len() as u64;
    let from_slice = safetensors::read_bytes(bytes, NonFinite::Allow);
    let from_stream = safetensors::read(bytes, Some(len), NonFinite::Allow);
    let from_unsized = safetensors::read(bytes, None, NonFinite::Allow);
    let rejecting = safetensors::read_bytes(bytes, NonFinite::Reject);
    for result in [&from_slice, &from_stream, &from_unsized, &rejecting] {
        if let Err(e) = result {
            check_message(e)?;
            match e {
                Error::Format { offset: Some(o), .. } => prop_assert!(*o <= len, "offset {o} past the end: {e}"),
                other => prop_assert!(false, "not a format error with an offset: {other:?}"),
            }
        }
    }
    match (&from_slice, &from_stream, &from_unsized) {
        (Ok(a), Ok(b), Ok(c)) => {
            prop_assert_eq!(bits_of_read(a), bits_of_read(b));
            prop_assert_eq!(bits_of_read(a), bits_of_read(c));
        }
        (Err(a), Err(b), Err(c)) => {
            prop_assert_eq!(a.to_string(), b.to_string());
            prop_assert_eq!(a.to_string(), c.to_string());
        }
        _ => prop_assert!(false, "readers disagree: {from_slice:?} {from_stream:?} {from_unsized:?}"),
    }
    if let Ok(st) = &from_slice {
        let all_finite = st.tensors.iter().all(|t| match &t.data {
            TensorBuf::F32(xs) => xs.iter().all(|x| x.is_finite()),
            TensorBuf::F64(xs) => xs.iter().all(|x| x.is_finite()),
        });
        prop_assert_eq!(rejecting.is_ok(), all_finite);
        let views: Vec<TensorView<'_>> = st.tensors.iter().map(|t| t.view()).collect();
        let mut again = Vec::new();
        prop_assert!(safetensors::write(&mut again, &views, &st.metadata).is_ok());
        let back = safetensors::read_bytes(&again, NonFinite::Allow);
        prop_assert!(back.is_ok(), "rewritten file does not read: {back:?}");
        if let Ok(back) = back {
            prop_assert_eq!(bits_of_read(&back), bits_of_read(st));
            prop_assert_eq!(&back.metadata, &st.metadata);
        }
    } else {
        prop_assert!(rejecting.is_err());
    }
    Ok(())
}

/// One change to a file's bytes. Positions are taken modulo the current length.
#[derive(Debug, Clone)]
enum Mutation {
    FlipBit {
        at: usize,
        bit: u8,
    },
    SetByte {
        at: usize,
        byte: u8,
    },
    Truncate {
        at: usize,
    },
    Insert {
        at: usize,
        bytes: Vec<u8>,
    },
    Delete {
        at: usize,
        len: usize,
    },
    /// Copies `len` bytes from `from` over the bytes at `to`, or inserts them there.
    Splice {
        from: usize,
        to: usize,
        len: usize,
        insert: bool,
    },
    SetHeaderLen(u64),
    NudgeHeaderLen(i8),
    /// Replaces `delete` bytes of the header text at `at` by `insert`, and updates the
    /// header length to match, so the change reaches the JSON and field checks.
    EditHeader {
        at: usize,
        delete: usize,
        insert: String,
    },
    /// Parses the header and replaces one of its values (a dimension, an offset, a
    /// dtype, a whole entry), or with `None` removes one object member, then writes it
    /// back with the header length updated: this is what reaches the checks of shapes,
    /// offsets and fields.
    EditValue {
        which: usize,
        new: Option<Value>,
    },
}

/// Bytes that mean something in a header, and any byte.
fn interesting_byte() -> impl Strategy<Value = u8> {
    prop_oneof![any::<u8>(), prop::sample::select(b"{}[]\",:\\/0123456789 -.eEtfnu\x00\x1f\x7f\xc3\xff".to_vec())]
}

/// Text that means something in a safetensors header: JSON syntax, field names,
/// dtypes, numbers at the edges, and a little of anything.
fn header_piece() -> impl Strategy<Value = String> {
    const PIECES: &[&str] = &[
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        "\"",
        "\\",
        "\\u",
        " ",
        "0",
        "1",
        "4",
        "8",
        "9",
        "16",
        "00",
        "-1",
        "1.0",
        "18446744073709551615",
        "18446744073709551616",
        "4294967296",
        "\"dtype\"",
        "\"shape\"",
        "\"data_offsets\"",
        "\"__metadata__\"",
        "\"F32\"",
        "\"F64\"",
        "\"F16\"",
        "\"BF16\"",
        "\"I64\"",
        "[]",
        "{}",
        "[0,4]",
        "[4,8]",
        "[8,4]",
        "null",
        "true",
        "\"x\":",
        "é",
        "\u{1}",
    ];
    prop_oneof![
        9 => prop::sample::select(PIECES).prop_map(str::to_string),
        1 => any_string(3),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => (any::<usize>(), 0u8..8).prop_map(|(at, bit)| Mutation::FlipBit { at, bit }),
        3 => (any::<usize>(), interesting_byte()).prop_map(|(at, byte)| Mutation::SetByte { at, byte }),
        2 => any::<usize>().prop_map(|at| Mutation::Truncate { at }),
        2 => (any::<usize>(), prop::collection::vec(interesting_byte(), 1..8))
            .prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        2 => (any::<usize>(), 1usize..16).prop_map(|(at, len)| Mutation::Delete { at, len }),
        2 => (any::<usize>(), any::<usize>(), 1usize..32, any::<bool>())
            .prop_map(|(from, to, len, insert)| Mutation::Splice { from, to, len, insert }),
        1 => prop_oneof![any::<u64>(), 0u64..300, Just(u64::MAX), Just(safetensors::HEADER_LIMIT)]
            .prop_map(Mutation::SetHeaderLen),
        2 => (-16i8..16).prop_map(Mutation::NudgeHeaderLen),
        4 => header_edit(),
        4 => value_edit(),
    ]
}

fn value_edit() -> impl Strategy<Value = Mutation> {
    (any::<usize>(), prop::option::weighted(0.8, header_value()))
        .prop_map(|(which, new)| Mutation::EditValue { which, new })
}

/// The number of values below `v` (not counting `v`), and of object members.
fn count(v: &Value) -> (usize, usize) {
    match v {
        Value::Array(items) => items.iter().map(count).fold((items.len(), 0), |a, b| (a.0 + b.0, a.1 + b.1)),
        Value::Object(ms) => {
            ms.iter().map(|m| count(&m.value)).fold((ms.len(), ms.len()), |a, b| (a.0 + b.0, a.1 + b.1))
        }
        _ => (0, 0),
    }
}

/// Replaces the `n`th value below `v` in depth-first order by `new`; `true` once done.
fn replace_nth(v: &mut Value, n: &mut usize, new: &Value) -> bool {
    let children: Vec<&mut Value> = match v {
        Value::Array(items) => items.iter_mut().collect(),
        Value::Object(ms) => ms.iter_mut().map(|m| &mut m.value).collect(),
        _ => return false,
    };
    for child in children {
        if *n == 0 {
            *child = new.clone();
            return true;
        }
        *n -= 1;
        if replace_nth(child, n, new) {
            return true;
        }
    }
    false
}

/// Removes the `n`th object member below and in `v` in depth-first order; `true` once done.
fn remove_nth_member(v: &mut Value, n: &mut usize) -> bool {
    match v {
        Value::Array(items) => items.iter_mut().any(|item| remove_nth_member(item, n)),
        Value::Object(ms) => {
            if *n < ms.len() {
                ms.remove(*n);
                return true;
            }
            *n -= ms.len();
            ms.iter_mut().any(|m| remove_nth_member(&mut m.value, n))
        }
        _ => false,
    }
}

/// A replacement for a header value: numbers at the edges, dtypes, empty containers.
fn header_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => (0u64..20).prop_map(Value::UInt),
        1 => any::<u64>().prop_map(Value::UInt),
        1 => prop::sample::select(vec![u64::MAX, 1 << 32, 1 << 61, u64::MAX / 4 + 1]).prop_map(Value::UInt),
        2 => prop::sample::select(vec!["F32", "F64", "F16", "I64", "", "f32"]).prop_map(|s| Value::String(s.into())),
        1 => prop::collection::vec((0u64..20).prop_map(Value::UInt), 0..4).prop_map(Value::Array),
        1 => Just(Value::Null),
        1 => Just(Value::Object(vec![])),
    ]
}

fn header_edit() -> impl Strategy<Value = Mutation> {
    (any::<usize>(), 0usize..6, header_piece()).prop_map(|(at, delete, insert)| Mutation::EditHeader {
        at,
        delete,
        insert,
    })
}

impl Mutation {
    fn apply(&self, bytes: &mut Vec<u8>) {
        let n = bytes.len();
        match *self {
            Mutation::FlipBit { at, bit } if n > 0 => bytes[at % n] ^= 1 << bit,
            Mutation::SetByte { at, byte } if n > 0 => bytes[at % n] = byte,
            Mutation::Truncate { at } => bytes.truncate(at % (n + 1)),
            Mutation::Insert { at, bytes: ref new } => {
                let at = at % (n + 1);
                bytes.splice(at..at, new.iter().copied());
            }
            Mutation::Delete { at, len } if n > 0 => {
                let at = at % n;
                bytes.drain(at..(at + len).min(n));
            }
            Mutation::Splice { from, to, len, insert } if n > 0 => {
                let from = from % n;
                let piece: Vec<u8> = bytes[from..(from + len).min(n)].to_vec();
                let to = to % n;
                let end = if insert { to } else { (to + piece.len()).min(n) };
                bytes.splice(to..end, piece);
            }
            Mutation::SetHeaderLen(len) if n >= 8 => bytes[..8].copy_from_slice(&len.to_le_bytes()),
            Mutation::NudgeHeaderLen(by) if n >= 8 => {
                let mut len = [0; 8];
                len.copy_from_slice(&bytes[..8]);
                let len = u64::from_le_bytes(len).wrapping_add_signed(i64::from(by));
                bytes[..8].copy_from_slice(&len.to_le_bytes());
            }
            Mutation::EditHeader { at, delete, ref insert } if n >= 8 => {
                let mut len = [0; 8];
                len.copy_from_slice(&bytes[..8]);
                let header_len = u64::from_le_bytes(len);
                if header_len == 0 || header_len > (n - 8) as u64 {
                    return;
                }
                let header_len = header_len as usize;
                let at = at % header_len;
                let end = (at + delete).min(header_len);
                bytes.splice(8 + at..8 + end, insert.bytes());
                let new_len = (header_len - (end - at) + insert.len()) as u64;
                bytes[..8].copy_from_slice(&new_len.to_le_bytes());
            }
            Mutation::EditValue { which, ref new } if n >= 8 => {
                let mut len = [0; 8];
                len.copy_from_slice(&bytes[..8]);
                let header_len = u64::from_le_bytes(len);
                if header_len > (n - 8) as u64 {
                    return;
                }
                let end = 8 + header_len as usize;
                let Ok(text) = std::str::from_utf8(&bytes[8..end]) else { return };
                let Ok(mut header) = json::parse(text, 8) else { return };
                let (values, members) = count(&header);
                match new {
                    Some(new) if values > 0 => {
                        replace_nth(&mut header, &mut (which % values), new);
                    }
                    None if members > 0 => {
                        remove_nth_member(&mut header, &mut (which % members));
                    }
                    _ => return,
                }
                let text = header.to_json();
                bytes.splice(8..end, text.bytes());
                bytes[..8].copy_from_slice(&(text.len() as u64).to_le_bytes());
            }
            _ => {}
        }
    }
}

#[test]
fn valid_files_round_trip_bit_exactly() {
    check(runner(200, 1), contents(), |(specs, metadata)| {
        let bytes = file_of(&specs, &metadata);
        prop_assert_eq!((bytes.len() - 8 - data_len(&specs)) % 8, 0);
        let st = safetensors::read_bytes(&bytes, NonFinite::Allow);
        prop_assert!(st.is_ok(), "a written file does not read: {st:?}");
        if let Ok(st) = st {
            prop_assert_eq!(&st.metadata, &metadata);
            let written = bits(specs.iter().map(|s| (s.name.clone(), s.shape.clone(), s.data.clone())));
            prop_assert_eq!(bits_of_read(&st), written);
        }
        read_every_way(&bytes)
    });
}

/// The size of the data buffer of `specs`.
fn data_len(specs: &[Spec]) -> usize {
    specs
        .iter()
        .map(|s| match &s.data {
            TensorBuf::F32(xs) => 4 * xs.len(),
            TensorBuf::F64(xs) => 8 * xs.len(),
        })
        .sum()
}

#[test]
fn mutated_files_are_read_or_rejected_without_panicking() {
    // Most cases change only the header, keeping the header length right, so they get
    // past the length and UTF-8 checks to the JSON, field and offset checks.
    let mutations = prop_oneof![
        2 => prop::collection::vec(mutation(), 1..5),
        1 => prop::collection::vec(header_edit(), 1..4),
        2 => prop::collection::vec(value_edit(), 1..3),
    ];
    let strategy = (contents(), mutations);
    check(runner(1000, 2), strategy, |((specs, metadata), mutations)| {
        let mut bytes = file_of(&specs, &metadata);
        for m in &mutations {
            m.apply(&mut bytes);
        }
        read_every_way(&bytes)
    });
}

#[test]
fn random_bytes_are_rejected_without_panicking() {
    // Raw random bytes almost always fail at the header length, so half the cases
    // carry a plausible header length and header-like text.
    let header_like = (0u64..64, prop::collection::vec(interesting_byte(), 0..80)).prop_map(|(len, text)| {
        let mut bytes = len.to_le_bytes().to_vec();
        bytes.extend(text);
        bytes
    });
    let strategy = prop_oneof![prop::collection::vec(any::<u8>(), 0..300), header_like];
    check(runner(400, 3), strategy, |bytes| read_every_way(&bytes));
}

/// JSON-like text: pieces of JSON syntax in random order.
fn json_like() -> impl Strategy<Value = String> {
    const PIECES: &[&str] = &[
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        "\"",
        "\"a\"",
        "\"b\"",
        "\"\\u00e9\"",
        "\\",
        "\\u",
        "d83d",
        "\\ud83d",
        "\\ude00",
        "\\n",
        "0",
        "1",
        "00",
        "18446744073709551615",
        "18446744073709551616",
        "-",
        ".",
        "e",
        "true",
        "false",
        "null",
        "tru",
        " ",
        "\n",
        "é",
        "\u{1}",
        "\u{7f}",
    ];
    prop::collection::vec(prop::sample::select(PIECES), 0..40).prop_map(|pieces| pieces.concat())
}

/// A random value of the JSON subset, a few levels deep, with unique keys.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<u64>().prop_map(Value::UInt),
        any_string(16).prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(any_string(16), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| Member::new(k, v)).collect())),
        ]
    })
}

/// `v` with every member offset set to 0, as if built in code.
fn without_offsets(v: Value) -> Value {
    match v {
        Value::Array(items) => Value::Array(items.into_iter().map(without_offsets).collect()),
        Value::Object(members) => {
            Value::Object(members.into_iter().map(|m| Member::new(m.key, without_offsets(m.value))).collect())
        }
        other => other,
    }
}

#[test]
fn json_text_is_parsed_or_rejected_without_panicking() {
    let strategy = prop_oneof![json_like(), any_string(64)];
    check(runner(200, 4), strategy, |text| {
        match json::parse(&text, 8) {
            Ok(v) => {
                // The canonical text parses to the same value and is a fixed point.
                let canonical = v.to_json();
                let again = json::parse(&canonical, 0);
                prop_assert!(again.is_ok(), "canonical text does not parse: {canonical:?}");
                if let Ok(again) = again {
                    prop_assert_eq!(without_offsets(again.clone()), without_offsets(v));
                    prop_assert_eq!(again.to_json(), canonical);
                }
            }
            Err(e @ Error::Format { offset: Some(o), .. }) => {
                check_message(&e)?;
                prop_assert!(o <= 8 + text.len() as u64);
            }
            Err(other) => prop_assert!(false, "not a format error with an offset: {other:?}"),
        }
        Ok(())
    });
}

/// Checks that an error's message is short and has no control character: the pieces
/// of the input it quotes are bounded and escaped.
fn check_message(e: &Error) -> Result<(), TestCaseError> {
    let message = e.to_string();
    prop_assert!(message.len() <= 1024, "a message of {} bytes: {message:?}", message.len());
    prop_assert!(!message.chars().any(char::is_control), "a control character in {message:?}");
    Ok(())
}

#[test]
fn json_values_round_trip_through_text() {
    check(runner(200, 5), json_value(), |v| {
        let text = v.to_json();
        let back = json::parse(&text, 0);
        prop_assert!(back.is_ok(), "written JSON does not parse: {text:?}: {back:?}");
        if let Ok(back) = back {
            prop_assert_eq!(without_offsets(back), v);
        }
        Ok(())
    });
}
