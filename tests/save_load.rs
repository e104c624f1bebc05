//! Saving and loading whole networks: bit-exact round trips, the file layout, atomic
//! saves, a clear error for every kind of bad file, hostile input that must never
//! panic, and (with `BACKPROP_INTEROP_PYTHON` set) files read and written by Python.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use backprop::{Activation, Error, Float, Network};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, RngSeed, TestRunner};

/// A fresh, empty folder under the system's temporary folder, removed on drop.
struct TestDir(PathBuf);

impl TestDir {
    fn new(name: &str) -> Self {
        let path = std::env::temp_dir().join(format!("backprop-save-load-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).unwrap();
        TestDir(path)
    }

    fn entries(&self) -> Vec<String> {
        let mut names: Vec<String> =
            fs::read_dir(&self.0).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        names
    }
}

impl Drop for TestDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn network<T: Float>(n_inputs: usize, sizes: &[usize], seed: u64) -> Network<T> {
    let mut builder = Network::<T>::builder(n_inputs).seed(seed);
    for &n in sizes {
        builder = builder.layer(n, Activation::Sigmoid);
    }
    builder.build().unwrap()
}

fn to_bytes<T: Float>(net: &Network<T>) -> Vec<u8> {
    let mut bytes = Vec::new();
    net.to_writer(&mut bytes).unwrap();
    bytes
}

/// Every weight and bias as its bit pattern, so that comparisons are exact.
fn parameter_bits<T: Float>(net: &Network<T>) -> Vec<u64> {
    net.layers()
        .iter()
        .flat_map(|l| l.weights().as_slice().iter().chain(l.biases().iter()))
        .map(|x| x.to_f64().to_bits())
        .collect()
}

/// A few inputs of `n` values each, in [−2, 2].
fn inputs<T: Float>(n: usize) -> Vec<Vec<T>> {
    (0..4).map(|s| (0..n).map(|i| T::from_f64(((s * 7 + i * 3) % 9) as f64 / 2.0 - 2.0)).collect()).collect()
}

fn round_trips_bit_exactly<T: Float>() {
    let dir = TestDir::new(T::NAME);
    let path = dir.0.join("net.safetensors");
    let net = network::<T>(5, &[4, 3, 2], 11);
    net.save(&path).unwrap();
    let loaded = Network::<T>::load(&path).unwrap();
    let read = Network::<T>::from_reader(to_bytes(&net).as_slice()).unwrap();
    for other in [&loaded, &read] {
        assert_eq!(parameter_bits(other), parameter_bits(&net));
        assert_eq!(*other, net);
        assert_eq!(other.to_string(), net.to_string());
        for x in inputs::<T>(5) {
            let (a, b) = (net.predict(&x).unwrap(), other.predict(&x).unwrap());
            let bits = |v: &[T]| v.iter().map(|x| x.to_f64().to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&a), bits(&b));
        }
    }
    assert_eq!(fs::read(&path).unwrap(), to_bytes(&net), "save writes what to_writer writes");
    assert_eq!(dir.entries(), ["net.safetensors"], "no temporary file is left");
}

#[test]
fn f32_networks_round_trip_bit_exactly() {
    round_trips_bit_exactly::<f32>();
}

#[test]
fn f64_networks_round_trip_bit_exactly() {
    round_trips_bit_exactly::<f64>();
}

#[test]
fn the_file_is_a_safetensors_file_with_the_documented_names_and_metadata() {
    let net = network::<f32>(3, &[2, 1], 5);
    let bytes = to_bytes(&net);
    let header_len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    assert_eq!(header_len % 8, 0, "the header is padded so the data is aligned");
    let header = std::str::from_utf8(&bytes[8..8 + header_len]).unwrap().trim_end_matches(' ');
    let params = 2 * 3 + 2 + 2 + 1;
    assert_eq!(bytes.len(), 8 + header_len + 4 * params, "the data buffer holds every parameter as f32");
    let version = env!("CARGO_PKG_VERSION");
    let expected = format!(
        concat!(
            r#"{{"__metadata__":{{"cost":"quadratic","crate_version":"{}","dtype":"f32","format":"backprop","#,
            r#""format_version":"1","inputs":"3","layers":"2:sigmoid,1:sigmoid"}},"#,
            r#""layers.0.bias":{{"dtype":"F32","shape":[2],"data_offsets":[0,8]}},"#,
            r#""layers.0.weight":{{"dtype":"F32","shape":[2,3],"data_offsets":[8,32]}},"#,
            r#""layers.1.bias":{{"dtype":"F32","shape":[1],"data_offsets":[32,36]}},"#,
            r#""layers.1.weight":{{"dtype":"F32","shape":[1,2],"data_offsets":[36,44]}}}}"#
        ),
        version
    );
    assert_eq!(header, expected);
    // The data: little-endian elements in the order of the header.
    let w0 = net.layers()[0].weights().as_slice();
    let at = 8 + header_len + 8;
    let first = f32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
    assert_eq!(first.to_bits(), w0[0].to_bits());
}

#[test]
fn a_failed_save_leaves_the_previous_file_in_place() {
    let dir = TestDir::new("failed-save");
    let net = network::<f64>(2, &[1], 3);
    let missing = dir.0.join("no such folder").join("net.safetensors");
    let e = net.save(&missing).unwrap_err();
    assert!(matches!(&e, Error::File { action: "write", path, .. } if *path == missing), "{e:?}");
    let message = e.to_string();
    assert!(message.starts_with(&format!("cannot write {}: ", missing.display())), "{message}");
    assert_eq!(net.save("/").unwrap_err().to_string(), "cannot write /: the path has no file name");
    assert!(dir.entries().is_empty());

    // A folder at the path cannot be replaced by a file: the folder stays as it was.
    let path = dir.0.join("net.safetensors");
    fs::create_dir(&path).unwrap();
    fs::write(path.join("keep"), b"previous").unwrap();
    assert!(matches!(net.save(&path), Err(Error::File { action: "write", .. })));
    assert_eq!(fs::read(path.join("keep")).unwrap(), b"previous");
    assert_eq!(dir.entries(), ["net.safetensors"], "no temporary file is left");

    // A saved file under a path whose parent is a file: the save fails, the file stays.
    let file = dir.0.join("file.safetensors");
    net.save(&file).unwrap();
    let before = fs::read(&file).unwrap();
    assert!(network::<f64>(2, &[3], 4).save(file.join("child")).is_err());
    assert_eq!(fs::read(&file).unwrap(), before);
}

/// A writer that takes `room` bytes, then fails.
struct FailingWriter {
    room: usize,
    written: Vec<u8>,
}

impl Write for FailingWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.room == 0 {
            return Err(io::Error::other("disk full"));
        }
        let n = buf.len().min(self.room);
        self.written.extend_from_slice(&buf[..n]);
        self.room -= n;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_writer_that_fails_half_way_is_an_error() {
    let net = network::<f32>(4, &[3, 2], 9);
    let full = to_bytes(&net);
    for room in [0, 3, 8, 20, full.len() / 2, full.len() - 1] {
        let mut w = FailingWriter { room, written: Vec::new() };
        let e = net.to_writer(&mut w).unwrap_err();
        assert!(matches!(e, Error::Io(_)), "{room}: {e}");
        assert_eq!(w.written, full[..room]);
    }
    let mut w = FailingWriter { room: full.len(), written: Vec::new() };
    net.to_writer(&mut w).unwrap();
    assert_eq!(w.written, full);
}

/// A safetensors file of `F64` (or `F32` when `f32` is set) tensors written by hand,
/// independently of the crate's writer: metadata as given, tensors in the given order.
fn handmade(metadata: &[(&str, &str)], tensors: &[(&str, &[usize], &[f64])], f32: bool) -> Vec<u8> {
    let size = if f32 { 4 } else { 8 };
    let mut members = Vec::new();
    let meta: Vec<String> = metadata.iter().map(|(k, v)| format!("\"{k}\":\"{v}\"")).collect();
    members.push(format!("\"__metadata__\":{{{}}}", meta.join(",")));
    let (mut offset, mut data) = (0, Vec::new());
    for (name, shape, values) in tensors {
        let shape: Vec<String> = shape.iter().map(usize::to_string).collect();
        let end = offset + size * values.len();
        let dtype = if f32 { "F32" } else { "F64" };
        members.push(format!(
            "\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":[{}],\"data_offsets\":[{offset},{end}]}}",
            shape.join(",")
        ));
        offset = end;
        for &v in *values {
            if f32 {
                data.extend_from_slice(&(v as f32).to_le_bytes());
            } else {
                data.extend_from_slice(&v.to_le_bytes());
            }
        }
    }
    let header = format!("{{{}}}", members.join(","));
    let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
    bytes.extend_from_slice(header.as_bytes());
    bytes.extend_from_slice(&data);
    bytes
}

const META: [(&str, &str); 6] = [
    ("format", "backprop"),
    ("format_version", "1"),
    ("dtype", "f64"),
    ("inputs", "2"),
    ("layers", "1:sigmoid"),
    ("cost", "quadratic"),
];

fn meta_with(key: &str, value: Option<&str>) -> Vec<(&'static str, String)> {
    let mut meta: Vec<(&str, String)> = META.iter().map(|&(k, v)| (k, v.to_string())).collect();
    meta.retain(|(k, _)| *k != key);
    if let Some(v) = value {
        let k = META.iter().map(|&(k, _)| k).find(|&k| k == key).unwrap_or("extra");
        meta.push((k, v.to_string()));
    }
    meta
}

fn load_err(metadata: &[(&str, String)], tensors: &[(&str, &[usize], &[f64])]) -> String {
    let meta: Vec<(&str, &str)> = metadata.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let bytes = handmade(&meta, tensors, false);
    match Network::<f64>::from_reader(bytes.as_slice()) {
        Ok(net) => panic!("loaded {net} from a bad file"),
        Err(e) => e.to_string(),
    }
}

const GOOD: [(&str, &[usize], &[f64]); 2] =
    [("layers.0.weight", &[1, 2], &[0.5, -0.25]), ("layers.0.bias", &[1], &[0.125])];

#[test]
fn a_handmade_file_loads() {
    let meta: Vec<(&str, &str)> = META.to_vec();
    let net = Network::<f64>::from_reader(handmade(&meta, &GOOD, false).as_slice()).unwrap();
    assert_eq!(net.to_string(), "2 → 1 (sigmoid), quadratic cost, 3 parameters, f64");
    let z: f64 = 0.5 * 1.0 - 0.25 * 2.0 + 0.125;
    assert_eq!(net.predict(&[1.0, 2.0]).unwrap()[0], 1.0 / (1.0 + (-z).exp()));
}

#[test]
fn every_kind_of_bad_file_has_a_clear_error() {
    let missing = |key: &str| load_err(&meta_with(key, None), &GOOD);
    for key in ["format", "format_version", "dtype", "inputs", "layers", "cost"] {
        assert_eq!(
            missing(key),
            format!("malformed data: the metadata has no {key:?} key, which a saved network needs")
        );
    }
    let with = |key: &str, value: &str| load_err(&meta_with(key, Some(value)), &GOOD);
    assert_eq!(with("format", "pytorch"), "malformed data: the format is \"pytorch\", not \"backprop\"");
    assert!(with("format_version", "2").contains("format version \"2\" is not known to this reader"));
    assert_eq!(with("dtype", "f16"), "malformed data: dtype must be \"f32\" or \"f64\", got \"f16\"");
    assert!(with("inputs", "0").contains("the number of inputs must be a positive integer, got \"0\""));
    assert!(with("inputs", "two").contains("the number of inputs must be a positive integer"));
    assert!(with("layers", "1:swish").contains("layer 0 has an unknown activation \"swish\""));
    assert!(with("layers", "1:custom(mine)").contains("unknown activation"));
    assert!(with("layers", "1").contains("layer 0 in the \"layers\" metadata must be \"size:activation\""));
    assert!(with("layers", "").contains("must be \"size:activation\", got \"\""));
    assert!(with("layers", "0:sigmoid").contains("the size of layer 0 must be a positive integer"));
    assert_eq!(with("cost", "hinge"), "malformed data: unknown cost \"hinge\"");

    // Tensors missing, extra, of the wrong shape, or layers that do not chain.
    assert_eq!(load_err(&meta_with("", None), &GOOD[..1]), "malformed data: tensor \"layers.0.bias\" is missing");
    let extra: [(&str, &[usize], &[f64]); 3] = [GOOD[0], GOOD[1], ("layers.1.bias", &[1], &[0.0])];
    assert_eq!(
        load_err(&meta_with("", None), &extra),
        "malformed data: tensor \"layers.1.bias\" is not part of a network of 1 layers"
    );
    assert_eq!(
        load_err(&meta_with("inputs", Some("3")), &GOOD),
        "malformed data: tensor \"layers.0.weight\" has shape [1, 2] but the metadata gives [1, 3]"
    );
    let two = [GOOD[0], GOOD[1], ("layers.1.weight", &[1, 2][..], &[1.0, 2.0][..]), ("layers.1.bias", &[1], &[0.0])];
    assert_eq!(
        load_err(&meta_with("layers", Some("1:sigmoid,1:sigmoid")), &two),
        "malformed data: tensor \"layers.1.weight\" has shape [1, 2] but the metadata gives [1, 1]"
    );
    assert_eq!(
        load_err(&meta_with("layers", Some("1:sigmoid,1:sigmoid")), &GOOD),
        "malformed data: tensor \"layers.1.weight\" is missing"
    );

    // NaN and infinite weights are always rejected: a network cannot hold them.
    let nan: [(&str, &[usize], &[f64]); 2] = [("layers.0.weight", &[1, 2], &[0.5, f64::NAN]), GOOD[1]];
    assert!(load_err(&meta_with("", None), &nan).contains("layers.0.weight"));

    // The other element type: an error that names both.
    let meta: Vec<(&str, &str)> = META.to_vec();
    let e = Network::<f32>::from_reader(handmade(&meta, &GOOD, false).as_slice()).unwrap_err();
    assert!(matches!(e, Error::Incompatible { .. }));
    assert_eq!(e.to_string(), "the file holds a network of f64 but f32 was asked for; load it as Network<f64>");
    // Tensors of one dtype under metadata of the other: no element type reads the file,
    // so the error says it contradicts itself, whichever type was asked for.
    let mut meta32 = meta.clone();
    meta32[2] = ("dtype", "f32");
    for (bytes, says, holds) in
        [(handmade(&meta32, &GOOD, false), "f32", "f64"), (handmade(&meta, &GOOD, true), "f64", "f32")]
    {
        let message = format!(
            "malformed data: the file contradicts itself: its metadata says {says} but tensor \"layers.0.weight\" \
             holds {holds} elements"
        );
        let e = Network::<f32>::from_reader(bytes.as_slice()).unwrap_err();
        assert!(matches!(e, Error::Format { .. }));
        assert_eq!(e.to_string(), message);
        assert_eq!(Network::<f64>::from_reader(bytes.as_slice()).unwrap_err().to_string(), message);
    }
    assert!(Network::<f32>::from_reader(handmade(&meta32, &GOOD, true).as_slice()).is_ok());

    // Not a safetensors file at all, and a file that is not there.
    assert!(matches!(Network::<f64>::from_reader(&b"backprop"[..]), Err(Error::Format { .. })));
    let e = Network::<f64>::load("/nonexistent/net.safetensors").unwrap_err();
    assert!(matches!(&e, Error::File { action: "read", source, .. } if source.kind() == io::ErrorKind::NotFound));
    assert!(e.to_string().starts_with("cannot read /nonexistent/net.safetensors: "), "{e}");
    assert!(std::error::Error::source(&e).is_some(), "the OS error is the source");
}

#[test]
fn messages_quote_a_short_escaped_piece_of_the_file() {
    // Nested parentheses in the metadata: the message quotes 80 characters of them.
    let nested = format!("1:f{}", "(".repeat(200_000));
    let e = load_err(&meta_with("layers", Some(&nested)), &GOOD);
    assert_eq!(e, format!("malformed data: layer 0 has an unknown activation \"f{}\"…", "(".repeat(79)));
    // Control characters are escaped.
    let e = load_err(&meta_with("cost", Some("\\r\\u0000\\u001b[2J")), &GOOD);
    assert_eq!(e, r#"malformed data: unknown cost "\r\0\u{1b}[2J""#);
    // A shape of a million dimensions: the message lists eight.
    let ones = vec![1; 1_000_000];
    let e = load_err(&meta_with("", None), &[("layers.0.weight", &ones, &[0.5]), GOOD[1]]);
    assert_eq!(
        e,
        "malformed data: tensor \"layers.0.weight\" has shape [1, 1, 1, 1, 1, 1, 1, 1, … (999992 more)] but the \
         metadata gives [1, 2]"
    );
    // A tensor name of a million characters.
    let name = "x".repeat(1_000_000);
    let e = load_err(&meta_with("", None), &[GOOD[0], GOOD[1], (&name, &[1], &[0.0])]);
    assert_eq!(e, format!("malformed data: tensor \"{}\"… is not part of a network of 1 layers", "x".repeat(80)));
}

#[test]
fn a_network_saves_under_the_longest_file_name() {
    let dir = TestDir::new("long-name");
    let net = network::<f32>(2, &[3, 1], 7);
    // 255 bytes, the longest name most file systems take.
    let name = format!("{}.safetensors", "n".repeat(243));
    let path = dir.0.join(&name);
    net.save(&path).unwrap();
    net.save(&path).unwrap();
    assert_eq!(parameter_bits(&Network::<f32>::load(&path).unwrap()), parameter_bits(&net));
    assert_eq!(dir.entries(), [name]);
}

// ---- Hostile input -------------------------------------------------------------------

/// The number of generated cases of the hostile-input test, unless `BACKPROP_FUZZ_CASES`
/// says otherwise; each case is read both as `Network<f32>` and as `Network<f64>`.
const DEFAULT_CASES: u32 = 1000;

fn fuzz_cases() -> u32 {
    match std::env::var("BACKPROP_FUZZ_CASES") {
        Ok(s) => s.parse().unwrap_or_else(|_| panic!("BACKPROP_FUZZ_CASES must be a count, got {s:?}")),
        Err(_) => DEFAULT_CASES,
    }
}

/// The architecture of a valid network: inputs, layer sizes, seed, and `f64` or `f32`.
fn architecture() -> impl Strategy<Value = (usize, Vec<usize>, u64, bool)> {
    (1usize..5, prop::collection::vec(1usize..5, 1..4), any::<u64>(), any::<bool>())
}

fn saved((n_inputs, sizes, seed, is_f64): &(usize, Vec<usize>, u64, bool)) -> Vec<u8> {
    if *is_f64 {
        to_bytes(&network::<f64>(*n_inputs, sizes, *seed))
    } else {
        to_bytes(&network::<f32>(*n_inputs, sizes, *seed))
    }
}

/// Strings a mutated metadata value or header piece is made of: the valid values of
/// other networks, near misses, and garbage.
fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "backprop",
            "1",
            "2",
            "0",
            "f32",
            "f64",
            "F32",
            "F64",
            "quadratic",
            "sigmoid",
            "1:sigmoid",
            "2:sigmoid",
            "3:sigmoid,1:sigmoid",
            "1:sigmoid,1:sigmoid,1:sigmoid",
            "4:sigmoid(0.5),2:sigmoid",
            "1:sigmoid,",
            "18446744073709551616",
            "99999999999",
            "",
            "layers.0.weight",
            "layers.9.bias",
            "\\u0000",
            "\"",
            ",",
            "]",
        ])
        .prop_map(str::to_string),
        string_of("0123456789abcdefghijklmnopqrstuvwxyz:,()._\\\"", 0..=12),
    ]
}

/// Strings of `len` characters drawn from `chars` (a regex-free strategy: the crate's
/// proptest builds without regex support).
fn string_of(chars: &'static str, len: std::ops::RangeInclusive<usize>) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(chars.chars().collect::<Vec<_>>()), len).prop_map(String::from_iter)
}

#[derive(Debug, Clone)]
enum Mutation {
    FlipBit {
        at: usize,
        bit: u8,
    },
    Overwrite {
        at: usize,
        byte: u8,
    },
    Truncate {
        at: usize,
    },
    Splice {
        other: (usize, Vec<usize>, u64, bool),
        at: usize,
        from: usize,
    },
    /// The value of one metadata key (by index into the keys) replaced by a token.
    Metadata {
        key: usize,
        value: String,
    },
    /// One metadata key removed.
    RemoveMetadata {
        key: usize,
    },
    /// A piece of the header (start, length) replaced by a token; the length fixed.
    Header {
        at: usize,
        len: usize,
        text: String,
    },
}

const KEYS: [&str; 7] = ["format", "format_version", "crate_version", "dtype", "inputs", "layers", "cost"];

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        1 => (any::<usize>(), 0u8..8).prop_map(|(at, bit)| Mutation::FlipBit { at, bit }),
        1 => (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Mutation::Overwrite { at, byte }),
        1 => any::<usize>().prop_map(|at| Mutation::Truncate { at }),
        1 => (architecture(), any::<usize>(), any::<usize>()).prop_map(|(other, at, from)| Mutation::Splice {
            other,
            at,
            from
        }),
        3 => (0..KEYS.len(), token()).prop_map(|(key, value)| Mutation::Metadata { key, value }),
        1 => (0..KEYS.len()).prop_map(|key| Mutation::RemoveMetadata { key }),
        2 => (any::<usize>(), 0usize..6, token()).prop_map(|(at, len, text)| Mutation::Header { at, len, text }),
    ]
}

/// The header text and the data of a file, if it still has a UTF-8 header whose length
/// field fits the file (an earlier mutation may have broken either).
fn split(bytes: &[u8]) -> Option<(String, &[u8])> {
    let n = usize::try_from(u64::from_le_bytes(bytes.get(..8)?.try_into().ok()?)).ok()?;
    let header = bytes.get(8..8usize.checked_add(n)?)?;
    Some((String::from_utf8(header.to_vec()).ok()?, &bytes[8 + n..]))
}

fn join(header: &str, data: &[u8]) -> Vec<u8> {
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(data);
    out
}

/// Where the value of the metadata `key` starts and ends (before its closing quote).
fn metadata_value(header: &str, key: &str) -> Option<(usize, usize, usize)> {
    let needle = format!("\"{key}\":\"");
    let start = header.find(&needle)?;
    let value = start + needle.len();
    let end = value + header[value..].find('"')?;
    Some((start, value, end))
}

impl Mutation {
    fn apply(&self, mut bytes: Vec<u8>) -> Vec<u8> {
        match self {
            Mutation::FlipBit { at, bit } => {
                let i = at % bytes.len();
                bytes[i] ^= 1 << bit;
                bytes
            }
            Mutation::Overwrite { at, byte } => {
                let i = at % bytes.len();
                bytes[i] = *byte;
                bytes
            }
            Mutation::Truncate { at } => {
                bytes.truncate(at % bytes.len());
                bytes
            }
            Mutation::Splice { other, at, from } => {
                let other = saved(other);
                let mut out = bytes[..at % bytes.len()].to_vec();
                out.extend_from_slice(&other[from % other.len()..]);
                out
            }
            _ => self.edit_header(&bytes).unwrap_or(bytes),
        }
    }

    /// The header edits, or `None` if the header is no longer there to edit.
    fn edit_header(&self, bytes: &[u8]) -> Option<Vec<u8>> {
        let (mut header, data) = split(bytes)?;
        match self {
            Mutation::Metadata { key, value } => {
                let (_, start, end) = metadata_value(&header, KEYS[*key])?;
                header.replace_range(start..end, value);
            }
            Mutation::RemoveMetadata { key } => {
                let (start, _, end) = metadata_value(&header, KEYS[*key])?;
                // The member and one comma next to it.
                let (start, end) = if header[end + 1..].starts_with(',') {
                    (start, end + 2)
                } else if header[..start].ends_with(',') {
                    (start - 1, end + 1)
                } else {
                    (start, end + 1)
                };
                header.replace_range(start..end, "");
            }
            Mutation::Header { at, len, text } => {
                let start = at % header.len().max(1);
                let end = (start + len).min(header.len());
                if !header.is_char_boundary(start) || !header.is_char_boundary(end) {
                    return None;
                }
                header.replace_range(start..end, text);
            }
            _ => return None,
        }
        Some(join(&header, data))
    }
}

/// Reads `bytes` as `Network<T>`: an error with a short message free of control
/// characters, or a network whose `predict` works.
fn read_or_reject<T: Float>(bytes: &[u8], loaded: &AtomicU64) -> Result<(), TestCaseError> {
    let read = Network::<T>::from_reader(bytes);
    if let Err(e) = &read {
        let message = e.to_string();
        prop_assert!(message.len() <= 1024, "a message of {} bytes: {message:?}", message.len());
        prop_assert!(!message.chars().any(char::is_control), "a control character in {message:?}");
    }
    if let Ok(net) = read {
        let x = vec![T::from_f64(0.5); net.n_inputs()];
        let y = net.predict(&x).map_err(|e| TestCaseError::fail(format!("a loaded network fails to predict: {e}")))?;
        prop_assert_eq!(y.len(), net.n_outputs());
        prop_assert!(y.iter().all(|v| v.is_finite()));
        loaded.fetch_add(1, Ordering::Relaxed);
    }
    Ok(())
}

#[test]
fn mutated_files_are_loaded_or_rejected_without_panicking() {
    let cases = fuzz_cases();
    let config = Config {
        cases,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(0xBAC4_5A7E),
        rng_algorithm: RngAlgorithm::ChaCha,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let (ran, loaded) = (AtomicU64::new(0), AtomicU64::new(0));
    let strategy = (architecture(), prop::collection::vec(mutation(), 1..4));
    let result = runner.run(&strategy, |(arch, mutations)| {
        ran.fetch_add(1, Ordering::Relaxed);
        let mut bytes = saved(&arch);
        for m in &mutations {
            if bytes.is_empty() {
                break;
            }
            bytes = m.apply(bytes);
        }
        read_or_reject::<f32>(&bytes, &loaded)?;
        read_or_reject::<f64>(&bytes, &loaded)
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let (ran, loaded) = (ran.into_inner(), loaded.into_inner());
    eprintln!("hostile input: {ran} mutated files (read as f32 and as f64), {loaded} reads gave a working network");
    assert!(ran >= u64::from(cases));
}

// ---- Python ---------------------------------------------------------------------------

/// One line per sample: the input's bit patterns, `;`, the output's, in hex.
fn write_samples<T: Float>(path: &Path, net: &Network<T>) {
    let hex = |v: &[T]| {
        v.iter()
            .map(|x| {
                if T::NAME == "f32" {
                    format!("{:08x}", (x.to_f64() as f32).to_bits())
                } else {
                    format!("{:016x}", x.to_f64().to_bits())
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let lines: Vec<String> =
        inputs::<T>(net.n_inputs()).iter().map(|x| format!("{} ; {}", hex(x), hex(&net.predict(x).unwrap()))).collect();
    fs::write(path, lines.join("\n") + "\n").unwrap();
}

/// The samples of [`write_samples`]: inputs and outputs.
fn read_samples<T: Float>(path: &Path) -> Vec<(Vec<T>, Vec<T>)> {
    let parse = |s: &str| -> Vec<T> {
        s.split_whitespace()
            .map(|h| {
                let bits = u64::from_str_radix(h, 16).unwrap();
                if T::NAME == "f32" {
                    T::from_f64(f64::from(f32::from_bits(bits as u32)))
                } else {
                    T::from_f64(f64::from_bits(bits))
                }
            })
            .collect()
    };
    let text = fs::read_to_string(path).unwrap();
    text.lines()
        .map(|line| {
            let (x, y) = line.split_once(';').unwrap();
            (parse(x), parse(y))
        })
        .collect()
}

fn check_against_numpy<T: Float>(dir: &Path, tolerance: f64) {
    let net = Network::<T>::load(dir.join(format!("python_{}.safetensors", T::NAME))).unwrap();
    let samples = read_samples::<T>(&dir.join(format!("python_{}.txt", T::NAME)));
    assert!(!samples.is_empty());
    for (x, expected) in samples {
        let y = net.predict(&x).unwrap();
        for (a, b) in y.iter().zip(&expected) {
            let (a, b) = (a.to_f64(), b.to_f64());
            assert!((a - b).abs() <= tolerance * b.abs(), "{}: {a} vs numpy's {b}", T::NAME);
        }
    }
}

/// Runs `tests/interop/network_numpy.py` with the Python interpreter named by
/// `BACKPROP_INTEROP_PYTHON` (which needs numpy and safetensors): Python loads the
/// networks saved here and recomputes their outputs with numpy, then saves networks of
/// its own with `safetensors.numpy.save_file`, which must load here and predict what
/// numpy predicts. Skipped, with a message, when the variable is not set.
#[test]
fn interop_with_python_safetensors_and_numpy() {
    let Some(python) = std::env::var_os("BACKPROP_INTEROP_PYTHON") else {
        eprintln!("skipped: set BACKPROP_INTEROP_PYTHON to a python3 with numpy and safetensors to run it");
        return;
    };
    let dir = TestDir::new("interop");
    let net32 = network::<f32>(4, &[5, 3, 2], 21);
    let net64 = network::<f64>(3, &[6, 1], 22);
    net32.save(dir.0.join("crate_f32.safetensors")).unwrap();
    net64.save(dir.0.join("crate_f64.safetensors")).unwrap();
    write_samples(&dir.0.join("crate_f32.txt"), &net32);
    write_samples(&dir.0.join("crate_f64.txt"), &net64);

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/network_numpy.py");
    let output = std::process::Command::new(python).arg(script).arg(&dir.0).output().expect("the interpreter runs");
    eprint!("{}", String::from_utf8_lossy(&output.stdout));
    assert!(output.status.success(), "the script failed:\n{}", String::from_utf8_lossy(&output.stderr));

    check_against_numpy::<f32>(&dir.0, 1e-6);
    check_against_numpy::<f64>(&dir.0, 1e-12);
}

#[test]
fn many_layers_load_in_linear_time() {
    let n = 20_000;
    let names: Vec<(String, String)> =
        (0..n).map(|l| (format!("layers.{l}.weight"), format!("layers.{l}.bias"))).collect();
    let mut tensors: Vec<(&str, &[usize], &[f64])> = Vec::new();
    for (w, b) in &names {
        tensors.push((w, &[1, 1], &[1.0]));
        tensors.push((b, &[1], &[0.0]));
    }
    let layers = vec!["1:sigmoid"; n].join(",");
    let mut meta: Vec<(&str, &str)> = META.to_vec();
    meta[3] = ("inputs", "1");
    meta[4] = ("layers", &layers);
    let net = Network::<f64>::from_reader(handmade(&meta, &tensors, false).as_slice()).unwrap();
    assert_eq!(net.layers().len(), n);
    // The same tensors under a metadata that lists a million layers: the first missing
    // one is named at once.
    let many = vec!["1:sigmoid"; 1_000_000].join(",");
    meta[4] = ("layers", &many);
    let e = Network::<f64>::from_reader(handmade(&meta, &tensors, false).as_slice()).unwrap_err();
    assert_eq!(e.to_string(), format!("malformed data: tensor \"layers.{n}.weight\" is missing"));
}
