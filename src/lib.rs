//! backprop (crate docs are written below).
#![deny(missing_docs)]
#![deny(unsafe_code)]

mod error;
mod io;
#[allow(unsafe_code)]
mod kernels;
mod matrix;
mod scalar;

pub use error::{Error, Result};
pub use kernels::Transpose;
pub use matrix::{Matrix, MatrixView, Vector};
pub use scalar::Float;
