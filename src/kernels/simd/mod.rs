//! The SIMD kernel bodies, written once over [`Lanes`] (one register and its operations)
//! and instantiated per instruction set by the architecture modules:
//!
//! - [`lanes`]: the register abstraction;
//! - [`vector`]: x·y, axpy, W·x, Wᵀ·x and the rank-1 update;
//! - [`gemm`]: the packed, register-blocked matrix product;
//! - [`gemm_dots`]: the matrix product as tiles of dot products, for a narrow C (the
//!   forward pass with a small batch), where packing would cost as much as the product;
//! - `gemm_cols`: the matrix product Aᵀ·B with registers down the columns of a narrow C
//!   (the backward pass with a small batch), where rows of C are shorter than a register;
//! - `gemm_small` (x86-64): products so small that setting up the others costs more than the
//!   arithmetic.

pub mod gemm;
// Only AVX-512 has the 32 registers its accumulators need (see its docs).
#[cfg(target_arch = "x86_64")]
pub mod gemm_cols;
pub mod gemm_dots;
// Measured and routed on x86-64 only so far (NEON could take it too, unmeasured).
#[cfg(target_arch = "x86_64")]
pub mod gemm_small;
pub mod lanes;
pub mod vector;

pub use self::lanes::Lanes;
