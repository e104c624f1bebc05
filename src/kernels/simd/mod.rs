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

/// Declares one instruction set: the `#[target_feature]` wrappers that compile the vector
/// kernels of [`vector`] (and the portable `bias_sigmoid` loop, which the compiler then
/// vectorises in the wider registers) for it, in a module `$module`, and its kernel table
/// `$table`, with `$gemm` (the set's matrix-product entry, which picks the tiles) and the
/// routing constants of each precision.
///
/// Every wrapper is `unsafe fn` with one contract: the CPU supports `$features`, and the
/// slices fit the shapes as the body's own `# Safety` section says; the body is then safe
/// to run with those features enabled.
macro_rules! kernel_set {
    (
        $(#[$doc:meta])*
        $table:ident, $name:literal, $module:ident, $features:literal, $lanes:ident,
        gemm: $gemm:ident, tuning: ($f32_tuning:expr, $f64_tuning:expr) $(,)?
    ) => {
        $(#[$doc])*
        pub static $table: $crate::kernels::Isa = $crate::kernels::Isa {
            name: $name,
            f32: $module::ops::<f32>($f32_tuning),
            f64: $module::ops::<f64>($f64_tuning),
        };

        /// The `#[target_feature]` wrappers of this instruction set (see the table's docs).
        mod $module {
            use super::*;
            use $crate::kernels::simd::{Lanes, vector};

            /// The kernel table for `T` with routing constants `tuning`.
            pub const fn ops<T: $crate::Float>(tuning: $crate::kernels::route::Tuning) -> $crate::kernels::Ops<T>
            where
                $lanes<T>: Lanes<Elem = T>,
            {
                $crate::kernels::Ops {
                    dot: dot::<T>,
                    axpy: axpy::<T>,
                    gemv: gemv::<T>,
                    gemv_t: gemv_t::<T>,
                    ger: ger::<T>,
                    gemm: $gemm::<T>,
                    bias_sigmoid: bias_sigmoid::<T>,
                    tuning,
                }
            }

            /// [`portable::bias_sigmoid`]($crate::kernels::portable::bias_sigmoid)
            /// compiled with this set: the same loop in wider registers, the same bits.
            ///
            /// # Safety
            /// The CPU supports the set.
            #[target_feature(enable = $features)]
            unsafe fn bias_sigmoid<T: $crate::Float>(z: &mut [T], bias: &[T], a: &mut [T]) {
                $crate::kernels::portable::bias_sigmoid(z, bias, a);
            }

            /// x·y.
            ///
            /// # Safety
            /// The CPU supports the set; `x.len() == y.len()`.
            #[target_feature(enable = $features)]
            unsafe fn dot<T>(x: &[T], y: &[T]) -> T
            where
                $lanes<T>: Lanes<Elem = T>,
            {
                // SAFETY: this function's contract is the body's.
                unsafe { vector::dot::<$lanes<T>>(x, y) }
            }

            /// y ← α·x + y.
            ///
            /// # Safety
            /// The CPU supports the set; `x.len() == y.len()`.
            #[target_feature(enable = $features)]
            unsafe fn axpy<T>(alpha: T, x: &[T], y: &mut [T])
            where
                $lanes<T>: Lanes<Elem = T>,
            {
                // SAFETY: this function's contract is the body's.
                unsafe { vector::axpy::<$lanes<T>>(alpha, x, y) }
            }

            /// y ← α·A·x + β·y.
            ///
            /// # Safety
            /// The CPU supports the set; the slices fit the shape as in [`vector::gemv`].
            #[allow(clippy::too_many_arguments)]
            #[target_feature(enable = $features)]
            unsafe fn gemv<T>(m: usize, n: usize, alpha: T, a: &[T], lda: usize, x: &[T], beta: T, y: &mut [T])
            where
                $lanes<T>: Lanes<Elem = T>,
            {
                // SAFETY: this function's contract is the body's.
                unsafe { vector::gemv::<$lanes<T>>(m, n, alpha, a, lda, x, beta, y) }
            }

            /// y ← α·Aᵀ·x + β·y.
            ///
            /// # Safety
            /// The CPU supports the set; the slices fit the shape as in [`vector::gemv_t`].
            #[allow(clippy::too_many_arguments)]
            #[target_feature(enable = $features)]
            unsafe fn gemv_t<T>(m: usize, n: usize, alpha: T, a: &[T], lda: usize, x: &[T], beta: T, y: &mut [T])
            where
                $lanes<T>: Lanes<Elem = T>,
            {
                // SAFETY: this function's contract is the body's.
                unsafe { vector::gemv_t::<$lanes<T>>(m, n, alpha, a, lda, x, beta, y) }
            }

            /// A ← β·A + α·x·yᵀ.
            ///
            /// # Safety
            /// The CPU supports the set; the slices fit the shape as in [`vector::ger`].
            #[allow(clippy::too_many_arguments)]
            #[target_feature(enable = $features)]
            unsafe fn ger<T>(m: usize, n: usize, alpha: T, x: &[T], y: &[T], beta: T, a: &mut [T], lda: usize)
            where
                $lanes<T>: Lanes<Elem = T>,
            {
                // SAFETY: this function's contract is the body's.
                unsafe { vector::ger::<$lanes<T>>(m, n, alpha, x, y, beta, a, lda) }
            }
        }
    };
}

pub(crate) use kernel_set;
