//! backprop (crate docs are written below).
#![deny(missing_docs)]
#![deny(unsafe_code)]

mod data;
mod error;
mod init;
#[allow(unsafe_code)]
mod kernels;
mod matrix;
mod scalar;

pub use data::{
    Batch, Batcher, Batches, CsvOptions, CsvTable, Dataset, Header, IdxArray, IdxData, IdxType, Standardizer,
    TargetColumn, argmax, one_hot, read_csv, read_csv_file, read_idx, read_idx_file, read_idx_images, read_idx_labels,
};
pub use error::{Error, Result};
pub use init::Rng;
pub use kernels::Transpose;
pub use matrix::{Matrix, MatrixView, Vector};
pub use scalar::Float;
