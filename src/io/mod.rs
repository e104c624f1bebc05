//! Saving and loading: the safetensors file layout, the JSON of its header, and
//! atomic file replacement.
//!
//! - [`safetensors`]: named `f32`/`f64` tensors in the safetensors layout, written
//!   as the reference implementation writes them (byte for byte, up to the order of
//!   the metadata) and read with every offset, size and field checked.
//! - [`json`]: the strict JSON subset the header needs, with byte offsets in errors.
//! - [`atomic`]: [`write_atomic`](atomic::write_atomic), which replaces a file all at
//!   once or not at all.
//!
//! Nothing here is public yet: `Network` save and load will be built on these.

pub(crate) mod atomic;
pub(crate) mod json;
pub(crate) mod safetensors;

#[cfg(test)]
mod fuzz;
