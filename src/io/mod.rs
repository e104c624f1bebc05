//! Saving and loading: whole networks, the safetensors file layout, the JSON of its
//! header, and atomic file replacement.
//!
//! - [`network`]: `Network::save`, `load`, `to_writer` and `from_reader`, and the
//!   tensor names and metadata of a saved network.
//! - [`checkpoint`]: `Network::save_checkpoint` and `load_checkpoint`: a network, its
//!   optimiser's state and the training position in one file.
//! - [`safetensors`]: named `f32`/`f64` tensors in the safetensors layout, written
//!   as the reference implementation writes them (byte for byte, up to the order of
//!   the metadata) and read with every offset, size and field checked.
//! - [`json`]: the strict JSON subset the header needs, with byte offsets in errors.
//! - [`atomic`]: [`write_atomic`](atomic::write_atomic), which replaces a file all at
//!   once or not at all, and removes the temporary files that killed saves left.
//!
//! Only the `Network` methods, [`Checkpoint`] and [`TrainingPosition`] are public; the layers under them are crate-private.

pub(crate) mod atomic;
mod checkpoint;
pub(crate) mod json;
mod network;
pub(crate) mod safetensors;
#[cfg(feature = "serde")]
mod serde_impls;

#[cfg(test)]
mod fuzz;

pub use checkpoint::{Checkpoint, TrainingPosition};
