//! Saving and loading a whole [`Network`] as a safetensors file.
//!
//! The file layout is documented on [`Network::save`] (its "File layout" section) and
//! what loading checks on [`Network::load`] ("What loading checks"), where users read
//! them; keep those sections in step with the code here.

use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Write};
use std::path::Path;

use crate::error::{Error, Result, quoted, shape_text};
use crate::io::safetensors::{self, NonFinite, SafeTensors, Tensor, TensorBuf, TensorView};
use crate::{Activation, Cost, Float, Layer, Matrix, Network, Vector};

/// The prefix of the tensor names a network loader skips: a checkpoint's optimiser
/// buffers.
pub(super) const OPTIMIZER_PREFIX: &str = "optimizer.";

/// The value of the `format` metadata key.
const FORMAT: &str = "backprop";

/// The value of the `format_version` metadata key; the only version this reader knows.
const FORMAT_VERSION: &str = "1";

impl<T: Float> Network<T> {
    /// Saves the network to a safetensors file at `path`, replacing any file there all
    /// at once: the content goes to a temporary file in the same folder, which is
    /// flushed, synced and renamed over `path`. If saving fails, `path` keeps its
    /// previous content; the one exception is a failure to sync the folder after the
    /// rename, which is reported although `path` already holds the new file. A
    /// temporary file left behind by a save that was killed is removed by the next save
    /// into the same folder, and every file name the system accepts can be saved.
    ///
    /// The file holds each layer's weights and biases as tensors named as in PyTorch's
    /// `nn.Linear`, and the architecture as metadata strings (see the
    /// [file layout](#file-layout) below); Python's `safetensors` package reads it.
    /// Gradients, optimiser state and the thread count are not saved.
    ///
    /// ```
    /// use backprop::{Activation, Network};
    ///
    /// let net = Network::<f32>::builder(2).layer(3, Activation::Sigmoid).layer(1, Activation::Sigmoid).build()?;
    /// let path = std::env::temp_dir().join(format!("backprop-doc-save-{}.safetensors", std::process::id()));
    /// net.save(&path)?;
    /// let loaded = Network::<f32>::load(&path)?;
    /// # std::fs::remove_file(&path)?;
    /// assert_eq!(loaded.predict(&[0.5, -1.0])?, net.predict(&[0.5, -1.0])?);
    /// # Ok::<(), backprop::Error>(())
    /// ```
    ///
    /// # File layout
    /// A [safetensors](https://github.com/huggingface/safetensors) file:
    ///
    /// ```text
    /// bytes 0..8      N, the header length, a little-endian u64
    /// bytes 8..8+N    the header: compact JSON, padded with spaces to a multiple of 8
    /// bytes 8+N..     the data: every tensor's elements, raw little-endian
    /// ```
    ///
    /// Each layer l = 0, 1, …, L (0 the first after the input) has two tensors, named and
    /// shaped as PyTorch's `nn.Linear` names them in a `state_dict`, of dtype `F32` for
    /// `Network<f32>` and `F64` for `Network<f64>`:
    ///
    /// | tensor | shape | content |
    /// |---|---|---|
    /// | `layers.{l}.weight` | [N(l), N(l−1)] | w(l), row j holding the weights into neuron j |
    /// | `layers.{l}.bias` | [N(l)] | b(l) |
    ///
    /// The header's `"__metadata__"` object holds these strings:
    ///
    /// | key | example | meaning |
    /// |---|---|---|
    /// | `format` | `backprop` | always `backprop` |
    /// | `format_version` | `1` | the version of this layout |
    /// | `crate_version` | `0.1.0` | the crate that wrote the file (not needed to read it) |
    /// | `dtype` | `f32` | the element type, `f32` or `f64` |
    /// | `inputs` | `2` | N(−1), the number of inputs |
    /// | `layers` | `3:sigmoid,1:sigmoid` | N(l) and σ of each layer, input side first |
    /// | `cost` | `quadratic` | the cost C |
    ///
    /// An activation with a parameter is written as a call, e.g. `4:leaky_relu(0.01)`;
    /// commas inside parentheses do not separate layers. The names are the `Display` and
    /// `FromStr` forms of [`Activation`] and [`Cost`]. A [checkpoint](crate::Checkpoint)
    /// adds the optimiser's state to this layout.
    ///
    /// # Errors
    /// [`Error::File`] if the file cannot be written (e.g. its folder does not exist);
    /// [`Error::NonFinite`] if a weight or bias is NaN or infinite (a file that could not
    /// be loaded), before anything is written.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        self.check_saveable()?;
        let tensors = self.tensors();
        safetensors::save(path.as_ref(), &views(&tensors), &self.metadata())
    }

    /// Writes the network in the format of [`save`](Self::save) to `w`.
    ///
    /// The writer is written to as is; wrap a [`File`](std::fs::File) in a
    /// [`BufWriter`](std::io::BufWriter). Use [`save`](Self::save) to write a file safely.
    ///
    /// ```
    /// use backprop::{Activation, Network};
    ///
    /// let net = Network::<f32>::builder(2).layer(3, Activation::Sigmoid).build()?;
    /// let mut bytes = Vec::new();
    /// net.to_writer(&mut bytes)?;
    /// // The header's length N, the JSON header, then 3×2 weights and 3 biases of 4 bytes.
    /// let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    /// let header = std::str::from_utf8(&bytes[8..8 + n]).unwrap();
    /// assert!(header.contains(r#""layers.0.weight""#) && header.contains(r#""layers":"3:sigmoid""#));
    /// assert_eq!((n % 8, bytes.len()), (0, 8 + n + (3 * 2 + 3) * 4));
    /// # Ok::<(), backprop::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::Io`] if writing fails; `w` may then hold part of the file.
    /// [`Error::NonFinite`] as for [`save`](Self::save), before anything is written.
    pub fn to_writer(&self, mut w: impl Write) -> Result<()> {
        self.check_saveable()?;
        let tensors = self.tensors();
        safetensors::write(&mut w, &views(&tensors), &self.metadata())
    }

    /// Loads a network saved by [`save`](Self::save) (or written by another tool in the
    /// same layout) from the file at `path`. The loaded network runs on 1 thread.
    ///
    /// Every weight and bias must be finite: a network cannot hold NaN or infinities,
    /// so a file with them is rejected, naming the tensor and the element.
    ///
    /// A checkpoint written by [`save_checkpoint`](Self::save_checkpoint) loads too: its
    /// network is read and the optimiser tensors (named `optimizer.…`) and the training
    /// position are ignored. Use [`load_checkpoint`](Self::load_checkpoint) to read them.
    ///
    /// ```
    /// use backprop::{Activation, Error, Network};
    ///
    /// let path = std::env::temp_dir().join(format!("backprop-doc-load-{}.safetensors", std::process::id()));
    /// Network::<f64>::builder(3).layer(2, Activation::Tanh).build()?.save(&path)?;
    /// let net = Network::<f64>::load(&path)?;
    /// let as_f32 = Network::<f32>::load(&path);
    /// std::fs::write(&path, b"not a network")?;
    /// let garbage = Network::<f64>::load(&path);
    /// std::fs::remove_file(&path)?;
    /// assert_eq!((net.n_inputs(), net.n_outputs()), (3, 2));
    /// assert!(matches!(as_f32, Err(Error::Incompatible { .. }))); // the file holds f64 weights
    /// assert!(matches!(garbage, Err(Error::Format { .. })));
    /// # Ok::<(), backprop::Error>(())
    /// ```
    ///
    /// # What loading checks
    /// That the file is a well-formed safetensors file: a header no longer than the file
    /// (and 100 MB at most) holding one JSON object, known fields only, dtypes `F32` or
    /// `F64`, and tensors that tile the data exactly, with no overlap, gap or trailing
    /// byte. Then that every metadata key of the [file layout](#file-layout)
    /// but `crate_version` is present, `format` and `format_version` are known, the dtype
    /// is the network's element type, every size is a positive integer, activation and
    /// cost names are known, each layer's weight and bias tensor is there with the shape
    /// the metadata gives (so the layers chain), no other tensor is there (a
    /// checkpoint's `optimizer.…` tensors aside: they are skipped), and no weight or bias
    /// is NaN or infinite. Other metadata keys are ignored. Every problem is an
    /// [`Error`] naming what is wrong (the tensor, the key, the byte offset), never a
    /// panic.
    ///
    /// # Errors
    /// [`Error::File`] if the file cannot be read; [`Error::Format`] if it is not a valid
    /// saved network: not a safetensors file, metadata or tensors missing, unknown or
    /// inconsistent (see [what loading checks](#what-loading-checks)), or a weight or
    /// bias is NaN or infinite; [`Error::Incompatible`] if it holds the other element
    /// type (an `f64` file loads as `Network<f64>` only).
    pub fn load(path: impl AsRef<Path>) -> Result<Network<T>> {
        network_from(safetensors::load(path.as_ref(), NonFinite::Reject)?)
    }

    /// Reads a network in the format of [`save`](Self::save) from `r`, which must end
    /// where the file does.
    ///
    /// ```
    /// use backprop::{Activation, Network};
    ///
    /// let net = Network::<f64>::builder(2).layer(1, Activation::Sigmoid).build()?;
    /// let mut bytes = Vec::new();
    /// net.to_writer(&mut bytes)?;
    /// let loaded = Network::<f64>::from_reader(bytes.as_slice())?;
    /// assert_eq!(loaded.to_string(), net.to_string());
    /// assert!(Network::<f32>::from_reader(bytes.as_slice()).is_err()); // f64 weights
    /// # Ok::<(), backprop::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`load`](Self::load).
    pub fn from_reader(r: impl Read) -> Result<Network<T>> {
        network_from(safetensors::read(r, None, NonFinite::Reject)?)
    }

    /// The `"__metadata__"` strings of a saved network.
    pub(super) fn metadata(&self) -> BTreeMap<String, String> {
        let layers: Vec<String> =
            self.layers().iter().map(|l| format!("{}:{}", l.n_outputs(), activation_spec(l.activation()))).collect();
        [
            ("format", FORMAT.to_string()),
            ("format_version", FORMAT_VERSION.to_string()),
            ("crate_version", env!("CARGO_PKG_VERSION").to_string()),
            ("dtype", T::NAME.to_string()),
            ("inputs", self.n_inputs().to_string()),
            ("layers", layers.join(",")),
            ("cost", cost_spec(self.cost())),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    /// Checks that every weight and bias is finite, as [`load`](Self::load) will: the
    /// crate's own updates never leave a NaN or an infinity, so this refuses a network
    /// only if something else put one there.
    ///
    /// # Errors
    /// [`Error::NonFinite`] for the first weight or bias that is NaN or infinite.
    pub(super) fn check_saveable(&self) -> Result<()> {
        self.layers().iter().try_for_each(|l| {
            crate::finite::check_finite("weights", l.weights().as_slice())?;
            crate::finite::check_finite("biases", l.biases())
        })
    }

    /// Each layer's weight and bias tensors, named and shaped as the module docs say.
    pub(super) fn tensors(&self) -> Vec<Tensor> {
        let mut tensors = Vec::with_capacity(2 * self.layers().len());
        for (l, layer) in self.layers().iter().enumerate() {
            let w = layer.weights();
            tensors.push(Tensor {
                name: weight_name(l),
                shape: vec![w.n_rows(), w.n_cols()],
                data: to_buf(w.as_slice()),
            });
            tensors.push(Tensor { name: bias_name(l), shape: vec![layer.n_outputs()], data: to_buf(layer.biases()) });
        }
        tensors
    }
}

pub(super) fn views(tensors: &[Tensor]) -> Vec<TensorView<'_>> {
    tensors.iter().map(Tensor::view).collect()
}

fn weight_name(l: usize) -> String {
    format!("layers.{l}.weight")
}

fn bias_name(l: usize) -> String {
    format!("layers.{l}.bias")
}

/// The elements as a buffer of their own dtype. `Float` is sealed to `f32` and `f64`,
/// and both convert to `f64` and back exactly, so the bits are kept.
pub(super) fn to_buf<T: Float>(xs: &[T]) -> TensorBuf {
    match T::NAME {
        "f32" => TensorBuf::F32(xs.iter().map(|x| x.to_f64() as f32).collect()),
        _ => TensorBuf::F64(xs.iter().map(|x| x.to_f64()).collect()),
    }
}

/// The elements of a buffer as `T`, or `None` if the buffer holds the other dtype.
pub(super) fn from_buf<T: Float>(buf: &TensorBuf) -> Option<Vec<T>> {
    match (buf, T::NAME) {
        (TensorBuf::F32(xs), "f32") => Some(xs.iter().map(|&x| T::from_f64(f64::from(x))).collect()),
        (TensorBuf::F64(xs), "f64") => Some(xs.iter().map(|&x| T::from_f64(x)).collect()),
        _ => None,
    }
}

pub(super) fn dtype_name(buf: &TensorBuf) -> &'static str {
    match buf {
        TensorBuf::F32(_) => "f32",
        TensorBuf::F64(_) => "f64",
    }
}

/// An activation as written in the `layers` metadata: its `Display`, e.g. `sigmoid` or
/// `leaky_relu(0.01)`. A custom activation is written as `custom(name)`, so that it is
/// never read back as a built-in one of the same name. The inverse of
/// [`parse_activation`].
fn activation_spec(activation: Activation) -> String {
    match activation {
        Activation::Custom(c) => format!("custom({})", c.name()),
        _ => activation.to_string(),
    }
}

/// The activation written as `spec` by [`activation_spec`] (its `FromStr`), or `None` if
/// unknown. A custom activation is a function of the caller's program: it cannot be
/// rebuilt from its name, so `custom(…)` is unknown here.
fn parse_activation(spec: &str) -> Option<Activation> {
    spec.parse().ok()
}

/// A cost as written in the `cost` metadata: its `Display`, or `custom(name)` for a
/// custom cost. The inverse of [`parse_cost`].
fn cost_spec(cost: Cost) -> String {
    match cost {
        Cost::Custom(c) => format!("custom({})", c.name()),
        _ => cost.to_string(),
    }
}

/// The cost written as `spec` by [`cost_spec`] (its `FromStr`), or `None` if unknown.
fn parse_cost(spec: &str) -> Option<Cost> {
    spec.parse().ok()
}

pub(super) fn format_error(reason: impl Into<String>) -> Error {
    Error::Format { reason: reason.into(), offset: None }
}

/// The metadata value of `key`, or an error naming the missing key.
fn required<'a>(metadata: &'a BTreeMap<String, String>, key: &str) -> Result<&'a str> {
    metadata
        .get(key)
        .map(String::as_str)
        .ok_or_else(|| format_error(format!("the metadata has no {key:?} key, which a saved network needs")))
}

/// A size: a positive decimal integer without sign or leading zeros.
fn parse_size(what: &str, text: &str) -> Result<usize> {
    let invalid = || format_error(format!("{what} must be a positive integer, got {}", quoted(text)));
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) || text.starts_with('0') {
        return Err(invalid());
    }
    text.parse().map_err(|_| invalid())
}

/// Splits `text` at the commas outside parentheses.
fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0usize, 0);
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// The layers of the `layers` metadata: N(l) and σ for each, input side first.
fn parse_layers(text: &str) -> Result<Vec<(usize, Activation)>> {
    split_top_level(text)
        .into_iter()
        .enumerate()
        .map(|(l, item)| {
            let (size, activation) = item.split_once(':').ok_or_else(|| {
                format_error(format!(
                    "layer {l} in the \"layers\" metadata must be \"size:activation\", got {}",
                    quoted(item)
                ))
            })?;
            let n = parse_size(&format!("the size of layer {l}"), size)?;
            let activation = parse_activation(activation)
                .ok_or_else(|| format_error(format!("layer {l} has an unknown activation {}", quoted(activation))))?;
            Ok((n, activation))
        })
        .collect()
}

/// The elements of the tensor `name` as `T`, taken out of `tensors` after checking it
/// is there with `shape`.
fn take_tensor<T: Float>(tensors: &mut HashMap<String, Tensor>, name: &str, shape: &[usize]) -> Result<Vec<T>> {
    let t = tensors.remove(name).ok_or_else(|| format_error(format!("tensor {name:?} is missing")))?;
    if t.shape != shape {
        let (found, expected) = (shape_text(&t.shape), shape_text(shape));
        return Err(format_error(format!("tensor {name:?} has shape {found} but the metadata gives {expected}")));
    }
    from_buf(&t.data).ok_or_else(|| contradiction(T::NAME, name, &t.data))
}

/// The error for a file whose metadata gives the element type `dtype` while the
/// tensor `name` holds `data` of the other one: no element type reads such a file.
pub(super) fn contradiction(dtype: &str, name: &str, data: &TensorBuf) -> Error {
    format_error(format!(
        "the file contradicts itself: its metadata says {dtype} but tensor {} holds {} elements",
        quoted(name),
        dtype_name(data)
    ))
}

/// The network a safetensors file describes, after every check of the module docs.
pub(super) fn network_from<T: Float>(st: SafeTensors) -> Result<Network<T>> {
    let SafeTensors { metadata: meta, tensors } = st;
    let format = required(&meta, "format")?;
    if format != FORMAT {
        return Err(format_error(format!("the format is {}, not {FORMAT:?}", quoted(format))));
    }
    let version = required(&meta, "format_version")?;
    if version != FORMAT_VERSION {
        return Err(format_error(format!(
            "format version {} is not known to this reader, which reads version {FORMAT_VERSION}",
            quoted(version)
        )));
    }
    let dtype = required(&meta, "dtype")?;
    if dtype != "f32" && dtype != "f64" {
        return Err(format_error(format!("dtype must be \"f32\" or \"f64\", got {}", quoted(dtype))));
    }
    // Checked before the element type asked for: loading as the other type would fail too.
    if let Some(t) = tensors.iter().find(|t| !t.name.starts_with(OPTIMIZER_PREFIX) && dtype_name(&t.data) != dtype) {
        return Err(contradiction(dtype, &t.name, &t.data));
    }
    if dtype != T::NAME {
        return Err(Error::Incompatible {
            reason: format!(
                "the file holds a network of {dtype} but {} was asked for; load it as Network<{dtype}>",
                T::NAME
            ),
        });
    }
    let n_inputs = parse_size("the number of inputs", required(&meta, "inputs")?)?;
    let sizes = parse_layers(required(&meta, "layers")?)?;
    let cost_name = required(&meta, "cost")?;
    let cost = parse_cost(cost_name).ok_or_else(|| format_error(format!("unknown cost {}", quoted(cost_name))))?;

    // Looked up by name, so that the work grows with the number of tensors, not with
    // its square.
    let mut tensors: HashMap<String, Tensor> = tensors.into_iter().map(|t| (t.name.clone(), t)).collect();
    let mut layers = Vec::with_capacity(sizes.len().min(tensors.len()));
    let mut n_in = n_inputs;
    for (l, &(n_out, activation)) in sizes.iter().enumerate() {
        let weights = take_tensor::<T>(&mut tensors, &weight_name(l), &[n_out, n_in])?;
        let biases = take_tensor::<T>(&mut tensors, &bias_name(l), &[n_out])?;
        layers.push(Layer::new(Matrix::new(n_out, n_in, weights)?, Vector::from(biases), activation)?);
        n_in = n_out;
    }
    // A checkpoint's optimiser buffers are read by `load_checkpoint` only.
    if let Some(extra) = tensors.keys().filter(|name| !name.starts_with(OPTIMIZER_PREFIX)).min() {
        return Err(format_error(format!(
            "tensor {} is not part of a network of {} layers",
            quoted(extra),
            layers.len()
        )));
    }
    Network::from_layers(layers, cost)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn activation_and_cost_names_round_trip() {
        for a in [
            Activation::Sigmoid,
            Activation::Tanh,
            Activation::Relu,
            Activation::LeakyRelu { slope: 0.1 + 0.2 },
            Activation::Elu { alpha: 1e-300 },
            Activation::Softplus,
            Activation::Identity,
            Activation::Softmax,
        ] {
            assert_eq!(parse_activation(&activation_spec(a)), Some(a), "{a}");
        }
        assert_eq!(activation_spec(Activation::Sigmoid), "sigmoid");
        for c in [Cost::Quadratic, Cost::MeanAbsolute, Cost::BinaryCrossEntropy, Cost::CategoricalCrossEntropy] {
            assert_eq!(parse_cost(&cost_spec(c)), Some(c), "{c}");
        }
        for bad in ["", "Sigmoid", "sigmoid()", "sigmoid(1)", "sigmoid(", "relu(2)", "sigmoid ", "leaky_relu", "elu(x)"]
        {
            assert_eq!(parse_activation(bad), None, "{bad:?}");
        }
        assert_eq!(parse_cost("cross_entropy"), None);
    }

    #[test]
    fn layers_split_outside_parentheses() {
        assert_eq!(split_top_level("3:sigmoid,1:sigmoid"), ["3:sigmoid", "1:sigmoid"]);
        assert_eq!(split_top_level("3:f(1,2),1:g"), ["3:f(1,2)", "1:g"]);
        assert_eq!(split_top_level(""), [""]);
        assert_eq!(parse_layers("3:sigmoid,1:sigmoid").unwrap(), [(3, Activation::Sigmoid), (1, Activation::Sigmoid)]);
        assert_eq!(
            parse_layers("3:sigmoid,,1:sigmoid").unwrap_err().to_string(),
            "malformed data: layer 1 in the \"layers\" metadata must be \"size:activation\", got \"\""
        );
        assert!(parse_layers("3:swish").unwrap_err().to_string().contains("unknown activation \"swish\""));
    }

    #[test]
    fn sizes_are_positive_integers_without_decoration() {
        assert_eq!(parse_size("n", "42").unwrap(), 42);
        for bad in ["", "0", "007", "+3", "-3", " 3", "3.0", "1e3", "99999999999999999999999"] {
            let e = parse_size("n", bad).unwrap_err().to_string();
            assert!(e.contains("n must be a positive integer"), "{bad:?}: {e}");
        }
    }

    #[test]
    fn a_non_finite_network_is_refused_before_the_file_is_touched() {
        use crate::{Sgd, TrainingPosition};
        let dir = std::env::temp_dir().join(format!("backprop-refused-save-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("net.safetensors");
        let mut net =
            Network::<f32>::builder(2).layer(3, Activation::Sigmoid).layer(1, Activation::Sigmoid).build().unwrap();
        net.save(&path).unwrap();
        let good = std::fs::read(&path).unwrap();
        // Only the crate's own code can reach a parameter like this.
        net.params().for_each(|p| {
            if p.id == 3 {
                p.value[0] = f32::NAN;
            }
        });
        let e = net.save(&path).unwrap_err();
        assert_eq!(e.to_string(), "biases holds the non-finite value NaN at index 0");
        let sgd = Sgd::new(0.1f32).unwrap();
        let e = net.save_checkpoint(&path, &sgd, &TrainingPosition::default()).unwrap_err();
        assert!(matches!(e, Error::NonFinite { what: "biases", index: 0, .. }), "{e}");
        assert_eq!(std::fs::read(&path).unwrap(), good, "the good file is untouched");
        let files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|f| f.unwrap().file_name()).collect();
        assert_eq!(files, ["net.safetensors"], "and nothing was left beside it");
        let mut written = Vec::new();
        assert!(net.to_writer(&mut written).is_err());
        assert!(net.checkpoint_to_writer(&mut written, &sgd, &TrainingPosition::default()).is_err());
        assert!(written.is_empty(), "nothing was written");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn buffers_keep_the_bits() {
        let xs = [f32::MIN_POSITIVE / 3.0, -0.0, f32::MAX, 1.0 / 3.0];
        let TensorBuf::F32(buf) = to_buf(&xs) else { panic!("f32 elements make an F32 buffer") };
        assert_eq!(buf.iter().map(|x| x.to_bits()).collect::<Vec<_>>(), xs.map(f32::to_bits));
        let back: Vec<f32> = from_buf(&TensorBuf::F32(buf)).unwrap();
        assert_eq!(back.iter().map(|x| x.to_bits()).collect::<Vec<_>>(), xs.map(f32::to_bits));
        assert_eq!(from_buf::<f64>(&TensorBuf::F32(vec![1.0])), None);
        assert_eq!(from_buf::<f32>(&TensorBuf::F64(vec![1.0])), None);
    }
}
