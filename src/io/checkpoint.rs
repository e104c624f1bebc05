//! Checkpoints: a network, its optimiser's state and the position of the training loop
//! in one safetensors file, so that training resumed from it gives the same weights, bit
//! for bit, as training that never stopped.
//!
//! The file layout and what loading checks are documented on [`Checkpoint`] (its "File
//! layout" and "What loading checks" sections), where users read them; keep those
//! sections in step with the code here.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{Read, Write};
use std::path::Path;

use crate::error::{Error, Result, quoted, shape_text};
use crate::io::network::{OPTIMIZER_PREFIX, contradiction, format_error, from_buf, network_from, to_buf, views};
use crate::io::safetensors::{self, NonFinite, SafeTensors, Tensor};
use crate::{Float, Network, Optimizer, OptimizerState, Rng};

/// The value of the `checkpoint_version` metadata key; the only version this reader knows.
const CHECKPOINT_VERSION: &str = "1";

/// Where a training loop stands, saved in a checkpoint next to the network and the
/// optimiser's state: what a hand-written loop needs to carry on from there.
///
/// The crate attaches no meaning to the counters; a loop that shuffles with
/// [`Batcher::shuffle`](crate::Batcher::shuffle) should keep the generator in
/// [`rng`](Self::rng) and, to stop within an epoch, the batcher's order in
/// [`order`](Self::order): on resuming, rebuild the batcher with
/// [`Batcher::with_order`](crate::Batcher::with_order) and skip
/// [`batch`](Self::batch) batches with [`next_batch`](crate::Batcher::next_batch)
/// (the order changes at every shuffle, so the generator alone cannot rebuild it).
///
/// ```
/// use backprop::{Rng, TrainingPosition};
///
/// let position = TrainingPosition { epoch: 3, batch: 2, step: 32, rng: Some(Rng::new(7)), order: None };
/// assert_eq!(TrainingPosition::default().epoch, 0);
/// # let _ = position;
/// ```
///
/// A plain record, built with a struct expression (`..Default::default()` for the fields
/// you do not track).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrainingPosition {
    /// The epoch the loop is in (or about to start), counted from 0.
    pub epoch: u64,
    /// The number of mini-batches of that epoch already trained on.
    pub batch: u64,
    /// The number of update steps taken since training began.
    pub step: u64,
    /// The generator the loop shuffles with, in its current state, if it has one.
    pub rng: Option<Rng>,
    /// The order of sample indices of the current epoch (e.g.
    /// [`Batcher::order`](crate::Batcher::order)), if the loop needs it to resume. It is
    /// saved as text in the file's header, which holds at most 100 MB: room for about ten
    /// million indices.
    pub order: Option<Vec<usize>>,
}

/// What a checkpoint file holds: read by [`Network::load_checkpoint`], written by
/// [`Network::save_checkpoint`].
///
/// Made by the crate only, and `#[non_exhaustive]`, so that a later version may add to
/// what a checkpoint holds.
///
/// # File layout
/// Everything a [saved network](Network::save) holds (see the file layout there), and one
/// tensor per optimiser buffer (see [`OptimizerState`]), of the network's dtype and
/// shape \[n\]:
///
/// | tensor | example | content |
/// |---|---|---|
/// | `optimizer.{buffer}` | `optimizer.first_moment.0` | the buffer's values, in order |
///
/// and these `"__metadata__"` strings besides the network's:
///
/// | key | example | meaning |
/// |---|---|---|
/// | `checkpoint_version` | `1` | the version of this layout |
/// | `optimizer.step` | `120` | [`OptimizerState::step`] |
/// | `optimizer.buffers` | `first_moment.0,first_moment.1` | the buffer names, in the state's order (empty for none) |
/// | `position.epoch` | `3` | [`TrainingPosition::epoch`] |
/// | `position.batch` | `2` | [`TrainingPosition::batch`] |
/// | `position.step` | `122` | [`TrainingPosition::step`] |
/// | `position.rng` | `1,2,3,4` | the four words of [`Rng::state`], if the position has a generator |
/// | `position.order` | `4,0,3,1,2` | [`TrainingPosition::order`], if it has one (empty for an empty order) |
///
/// Counts are decimal integers without sign or leading zeros. [`Network::load`] reads a
/// checkpoint as a plain network: it skips the `optimizer.…` tensors and the keys above.
///
/// # What loading checks
/// Everything [`Network::load`] checks, then: every key above but the two optional ones is
/// there and well formed, each listed buffer has its tensor (1-D, the network's dtype,
/// finite), no `optimizer.…` tensor is left over, and a buffer named `{family}.{id}`
/// (the crate's optimisers name all theirs so) has as many values as the network's
/// parameter tensor `id` (see [`Param::id`](crate::Param::id)). Saving checks the same, so
/// a checkpoint that was saved loads.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Checkpoint<T> {
    /// The network, with the weights and biases it had when saved.
    pub network: Network<T>,
    /// The optimiser's state; restore it with
    /// [`Optimizer::set_state`](crate::Optimizer::set_state) on an optimiser built with
    /// the same hyperparameters.
    pub optimizer_state: OptimizerState<T>,
    /// Where the training loop stood.
    pub position: TrainingPosition,
}

impl<T: Float> Network<T> {
    /// Saves a checkpoint at `path`: the network as [`save`](Self::save) writes it, the
    /// state of `optimizer` ([`Optimizer::state`]) and `position`, replacing any file
    /// there all at once as [`save`](Self::save) does. The file layout is described on
    /// [`Checkpoint`](Checkpoint#file-layout).
    ///
    /// The optimiser's hyperparameters (learning rate, β₁, …) are not saved: build the
    /// optimiser as before when resuming.
    ///
    /// ```
    /// use backprop::{Activation, Adam, Network, Optimizer, TrainingPosition};
    ///
    /// let mut net = Network::<f64>::builder(2).layer(1, Activation::Sigmoid).seed(1).build()?;
    /// let mut adam = Adam::new(0.01)?;
    /// net.forward(&[0.0, 1.0])?;
    /// net.backward(&[1.0])?;
    /// net.step_with(&mut adam)?;
    ///
    /// let path = std::env::temp_dir().join(format!("backprop-doc-ckpt-{}.safetensors", std::process::id()));
    /// net.save_checkpoint(&path, &adam, &TrainingPosition { step: 1, ..Default::default() })?;
    /// let checkpoint = Network::<f64>::load_checkpoint(&path)?;
    /// # std::fs::remove_file(&path)?;
    /// let mut resumed = Adam::new(0.01)?;
    /// resumed.set_state(checkpoint.optimizer_state)?;
    /// assert_eq!(resumed, adam);
    /// assert_eq!(checkpoint.position.step, 1);
    /// # Ok::<(), backprop::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::Incompatible`] if the optimiser's state does not fit this network (a
    /// buffer `{family}.{id}` of another size than parameter tensor `id`), or a buffer
    /// name is empty, holds a comma or appears twice; [`Error::NonFinite`] if a buffer
    /// holds NaN or an infinity, or a weight or bias does; [`Error::File`] if the file
    /// cannot be written. Nothing is written unless every check passes.
    pub fn save_checkpoint<O: Optimizer<T> + ?Sized>(
        &self,
        path: impl AsRef<Path>,
        optimizer: &O,
        position: &TrainingPosition,
    ) -> Result<()> {
        self.check_saveable()?;
        let (tensors, metadata) = self.checkpoint_parts(&optimizer.state(), position)?;
        safetensors::save(path.as_ref(), &views(&tensors), &metadata)
    }

    /// Writes a checkpoint in the format of [`save_checkpoint`](Self::save_checkpoint)
    /// to `w`.
    ///
    /// ```
    /// use backprop::{Activation, Momentum, Network, Optimizer, Rng, TrainingPosition};
    ///
    /// let mut net = Network::<f32>::builder(2).layer(1, Activation::Sigmoid).build()?;
    /// let mut momentum = Momentum::new(0.1)?;
    /// net.forward(&[1.0, 0.0])?;
    /// net.backward(&[1.0])?;
    /// net.step_with(&mut momentum)?;
    /// let order = Some(vec![2, 0, 1]);
    /// let position = TrainingPosition { epoch: 1, rng: Some(Rng::new(5)), order, ..Default::default() };
    /// let mut bytes = Vec::new();
    /// net.checkpoint_to_writer(&mut bytes, &momentum, &position)?;
    /// let checkpoint = Network::<f32>::checkpoint_from_reader(bytes.as_slice())?;
    /// assert_eq!((checkpoint.position, checkpoint.optimizer_state), (position, momentum.state()));
    /// assert_eq!(Network::<f32>::from_reader(bytes.as_slice())?.layers(), net.layers()); // a network too
    /// # Ok::<(), backprop::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`save_checkpoint`](Self::save_checkpoint); `w` may hold part of the file if
    /// writing fails.
    pub fn checkpoint_to_writer<O: Optimizer<T> + ?Sized>(
        &self,
        mut w: impl Write,
        optimizer: &O,
        position: &TrainingPosition,
    ) -> Result<()> {
        self.check_saveable()?;
        let (tensors, metadata) = self.checkpoint_parts(&optimizer.state(), position)?;
        safetensors::write(&mut w, &views(&tensors), &metadata)
    }

    /// Loads a checkpoint saved by [`save_checkpoint`](Self::save_checkpoint) from the
    /// file at `path`. The network runs on 1 thread.
    ///
    /// ```
    /// use backprop::{Activation, Adam, Network, Optimizer, TrainingPosition};
    ///
    /// let train = |net: &mut Network<f64>, adam: &mut Adam<f64>| -> backprop::Result<()> {
    ///     (0..3).try_for_each(|_| {
    ///         net.forward(&[1.0, -1.0])?;
    ///         net.backward(&[0.5])?;
    ///         net.step_with(&mut *adam)
    ///     })
    /// };
    /// let (mut net, mut adam) = (Network::<f64>::builder(2).layer(1, Activation::Sigmoid).build()?, Adam::new(0.1)?);
    /// train(&mut net, &mut adam)?;
    /// let path = std::env::temp_dir().join(format!("backprop-doc-resume-{}.safetensors", std::process::id()));
    /// net.save_checkpoint(&path, &adam, &TrainingPosition { step: 3, ..Default::default() })?;
    /// train(&mut net, &mut adam)?; // a run that never stopped
    ///
    /// let checkpoint = Network::<f64>::load_checkpoint(&path)?;
    /// std::fs::remove_file(&path)?;
    /// let (mut resumed, mut resumed_adam) = (checkpoint.network, Adam::new(0.1)?); // the same hyperparameters
    /// resumed_adam.set_state(checkpoint.optimizer_state)?;
    /// train(&mut resumed, &mut resumed_adam)?;
    /// assert_eq!(resumed.layers(), net.layers()); // bit for bit
    /// # Ok::<(), backprop::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`load`](Self::load), and [`Error::Format`] if the file is a network without
    /// the checkpoint's keys, or they or the optimiser tensors are missing, malformed or
    /// do not fit the network (see [what loading checks](Checkpoint#what-loading-checks)).
    pub fn load_checkpoint(path: impl AsRef<Path>) -> Result<Checkpoint<T>> {
        checkpoint_from(safetensors::load(path.as_ref(), NonFinite::Reject)?)
    }

    /// Reads a checkpoint in the format of [`save_checkpoint`](Self::save_checkpoint)
    /// from `r`, which must end where the file does.
    ///
    /// ```
    /// use backprop::{Activation, Error, Network};
    ///
    /// let net = Network::<f64>::builder(2).layer(1, Activation::Sigmoid).build()?;
    /// let mut plain = Vec::new();
    /// net.to_writer(&mut plain)?; // a network without an optimiser's state or a position
    /// assert!(matches!(Network::<f64>::checkpoint_from_reader(plain.as_slice()), Err(Error::Format { .. })));
    /// # Ok::<(), backprop::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`load_checkpoint`](Self::load_checkpoint).
    pub fn checkpoint_from_reader(r: impl Read) -> Result<Checkpoint<T>> {
        checkpoint_from(safetensors::read(r, None, NonFinite::Reject)?)
    }

    /// The tensors and metadata of a checkpoint, after checking the state fits.
    fn checkpoint_parts(
        &self,
        state: &OptimizerState<T>,
        position: &TrainingPosition,
    ) -> Result<(Vec<Tensor>, BTreeMap<String, String>)> {
        check_state(self, state).map_err(|reason| Error::Incompatible { reason })?;
        for (_, values) in &state.buffers {
            crate::finite::check_finite("optimiser state", values)?;
        }
        let mut tensors = self.tensors();
        tensors.extend(state.buffers.iter().map(|(name, values)| Tensor {
            name: format!("{OPTIMIZER_PREFIX}{name}"),
            shape: vec![values.len()],
            data: to_buf(values),
        }));
        let mut metadata = self.metadata();
        let names: Vec<&str> = state.buffers.iter().map(|(name, _)| name.as_str()).collect();
        let mut put = |key: &str, value: String| metadata.insert(key.to_string(), value);
        put("checkpoint_version", CHECKPOINT_VERSION.to_string());
        put("optimizer.step", state.step.to_string());
        put("optimizer.buffers", names.join(","));
        put("position.epoch", position.epoch.to_string());
        put("position.batch", position.batch.to_string());
        put("position.step", position.step.to_string());
        if let Some(rng) = &position.rng {
            put("position.rng", join(rng.state()));
        }
        if let Some(order) = &position.order {
            put("position.order", join(order));
        }
        Ok((tensors, metadata))
    }
}

fn join<I: IntoIterator<Item = N>, N: ToString>(items: I) -> String {
    items.into_iter().map(|n| n.to_string()).collect::<Vec<_>>().join(",")
}

/// Why `state` cannot be the state of an optimiser of `network`, if it cannot.
fn check_state<T: Float>(network: &Network<T>, state: &OptimizerState<T>) -> std::result::Result<(), String> {
    let sizes: Vec<usize> =
        network.layers().iter().flat_map(|l| [l.n_outputs() * l.n_inputs(), l.n_outputs()]).collect();
    let mut seen = HashSet::new();
    for (name, values) in &state.buffers {
        if name.is_empty() || name.contains(',') {
            return Err(format!("optimiser buffer name {} must be non-empty and without commas", quoted(name)));
        }
        if !seen.insert(name.as_str()) {
            return Err(format!("two optimiser buffers are called {}", quoted(name)));
        }
        let Some(id) = name.rsplit_once('.').and_then(|(_, id)| parse_count::<usize>(id)) else { continue };
        let Some(&size) = sizes.get(id) else {
            return Err(format!(
                "optimiser buffer {} belongs to parameter tensor {id}, but the network has {} tensors \
                 (two per layer); the state is of another network",
                quoted(name),
                sizes.len()
            ));
        };
        if values.len() != size {
            return Err(format!(
                "optimiser buffer {} has {} values but the network's parameter tensor {id} has {size}; \
                 the state is of another network",
                quoted(name),
                values.len()
            ));
        }
    }
    Ok(())
}

/// A count: a decimal integer without sign or leading zeros ("0" itself is fine).
fn parse_count<N: std::str::FromStr>(text: &str) -> Option<N> {
    let digits = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    if !digits || (text.len() > 1 && text.starts_with('0')) {
        return None;
    }
    text.parse().ok()
}

/// The metadata value of `key`, or an error naming the missing key.
fn required<'a>(metadata: &'a BTreeMap<String, String>, key: &str) -> Result<&'a str> {
    metadata
        .get(key)
        .map(String::as_str)
        .ok_or_else(|| format_error(format!("the metadata has no {key:?} key, which a checkpoint needs")))
}

/// The count under `key`.
fn count<N: std::str::FromStr>(metadata: &BTreeMap<String, String>, key: &str) -> Result<N> {
    let text = required(metadata, key)?;
    parse_count(text).ok_or_else(|| format_error(format!("{key} must be a non-negative integer, got {}", quoted(text))))
}

/// The comma-separated counts under `key` (none for an empty value), or `None` if the
/// key is absent.
fn counts<N: std::str::FromStr>(metadata: &BTreeMap<String, String>, key: &str) -> Result<Option<Vec<N>>> {
    let Some(text) = metadata.get(key) else { return Ok(None) };
    if text.is_empty() {
        return Ok(Some(Vec::new()));
    }
    text.split(',')
        .enumerate()
        .map(|(i, item)| {
            parse_count(item).ok_or_else(|| {
                format_error(format!("item {i} of {key} must be a non-negative integer, got {}", quoted(item)))
            })
        })
        .collect::<Result<Vec<N>>>()
        .map(Some)
}

/// The checkpoint a safetensors file describes, after every check of the module docs.
fn checkpoint_from<T: Float>(st: SafeTensors) -> Result<Checkpoint<T>> {
    let SafeTensors { metadata, tensors } = st;
    let version = metadata.get("checkpoint_version").ok_or_else(|| {
        format_error(
            "the metadata has no \"checkpoint_version\" key: the file is not a checkpoint (a saved network \
             loads with Network::load)",
        )
    })?;
    if version != CHECKPOINT_VERSION {
        return Err(format_error(format!(
            "checkpoint version {} is not known to this reader, which reads version {CHECKPOINT_VERSION}",
            quoted(version)
        )));
    }
    let (optimizer, rest): (Vec<Tensor>, Vec<Tensor>) =
        tensors.into_iter().partition(|t| t.name.starts_with(OPTIMIZER_PREFIX));
    let network = network_from::<T>(SafeTensors { metadata: metadata.clone(), tensors: rest })?;

    let step = count(&metadata, "optimizer.step")?;
    let names = required(&metadata, "optimizer.buffers")?;
    let mut optimizer: HashMap<String, Tensor> = optimizer.into_iter().map(|t| (t.name.clone(), t)).collect();
    let mut buffers = Vec::new();
    if !names.is_empty() {
        for name in names.split(',') {
            let tensor_name = format!("{OPTIMIZER_PREFIX}{name}");
            let t = optimizer.remove(&tensor_name).ok_or_else(|| {
                format_error(format!(
                    "tensor {} of the listed optimiser buffer {} is missing",
                    quoted(&tensor_name),
                    quoted(name)
                ))
            })?;
            if t.shape.len() != 1 {
                let (name, shape) = (quoted(&tensor_name), shape_text(&t.shape));
                return Err(format_error(format!("tensor {name} has shape {shape} but must be 1-D")));
            }
            // The network's tensors hold `T`, as the metadata says (checked by `network_from`).
            let values = from_buf::<T>(&t.data).ok_or_else(|| contradiction(T::NAME, &tensor_name, &t.data))?;
            buffers.push((name.to_string(), values));
        }
    }
    if let Some(extra) = optimizer.keys().min() {
        return Err(format_error(format!(
            "tensor {} is not listed in the \"optimizer.buffers\" metadata",
            quoted(extra)
        )));
    }
    let optimizer_state = OptimizerState { step, buffers };
    check_state(&network, &optimizer_state).map_err(format_error)?;

    let rng = match counts::<u64>(&metadata, "position.rng")? {
        None => None,
        Some(words) => {
            let state: [u64; 4] = words.try_into().map_err(|words: Vec<u64>| {
                format_error(format!("position.rng must hold 4 words, got {}", words.len()))
            })?;
            Some(Rng::from_state(state).map_err(|e| format_error(format!("position.rng: {e}")))?)
        }
    };
    let position = TrainingPosition {
        epoch: count(&metadata, "position.epoch")?,
        batch: count(&metadata, "position.batch")?,
        step: count(&metadata, "position.step")?,
        rng,
        order: counts(&metadata, "position.order")?,
    };
    Ok(Checkpoint { network, optimizer_state, position })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_plain_decimal_integers() {
        assert_eq!(parse_count::<u64>("0"), Some(0));
        assert_eq!(parse_count::<u64>("18446744073709551615"), Some(u64::MAX));
        for bad in ["", "00", "01", "+1", "-1", " 1", "1.0", "18446744073709551616", "x"] {
            assert_eq!(parse_count::<u64>(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn messages_quote_buffer_names_in_part() {
        let net = Network::<f32>::builder(2).layer(1, crate::Activation::Sigmoid).build().unwrap();
        let name = format!("\r,{}", "b".repeat(1_000_000));
        let state = OptimizerState { step: 1, buffers: vec![(name, vec![0.0; 2])] };
        let reason = check_state(&net, &state).unwrap_err();
        let quoted = format!("\"\\r,{}\"…", "b".repeat(77));
        assert_eq!(reason, format!("optimiser buffer name {quoted} must be non-empty and without commas"));
    }
}
