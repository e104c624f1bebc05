//! backprop (crate docs are written below).
#![deny(missing_docs)]
#![deny(unsafe_code)]

mod error;
#[allow(unsafe_code)]
mod kernels;
mod matrix;
mod scalar;

pub use error::{Error, Result};
pub use kernels::{THREADED_MIN_FLOPS, Transpose, gemm_threaded, selected as kernel_name};
pub use matrix::{Matrix, MatrixView, Vector};
pub use scalar::Float;
