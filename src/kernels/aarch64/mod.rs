//! AArch64 kernels: NEON (Advanced SIMD).
//!
//! [`lanes`] implements the register type of the generic bodies in [`simd`](super::simd)
//! for NEON. This file holds the `#[target_feature]` wrappers that compile those bodies,
//! and the kernel table [`NEON`] that the dispatcher in the parent module picks when the
//! CPU has NEON (every AArch64 CPU that runs Linux does).

mod lanes;

use self::lanes::Neon;
use super::simd::gemm::Blocking;
use super::simd::{Lanes, gemm, gemm_dots, vector};
use super::{BlockMut, Isa, Ops, Transpose};

/// Whether the CPU running us has NEON.
pub fn has_neon() -> bool {
    std::arch::is_aarch64_feature_detected!("neon")
}

/// The NEON kernels. Only valid to call when [`has_neon`] is true.
pub static NEON: Isa = Isa {
    name: "neon",
    f32: Ops {
        dot: dot::<f32>,
        axpy: axpy::<f32>,
        gemv: gemv::<f32>,
        gemv_t: gemv_t::<f32>,
        ger: ger::<f32>,
        gemm: sgemm,
        bias_sigmoid: bias_sigmoid::<f32>,
    },
    f64: Ops {
        dot: dot::<f64>,
        axpy: axpy::<f64>,
        gemv: gemv::<f64>,
        gemv_t: gemv_t::<f64>,
        ger: ger::<f64>,
        gemm: dgemm,
        bias_sigmoid: bias_sigmoid::<f64>,
    },
};

/// [`portable::bias_sigmoid`](crate::kernels::portable::bias_sigmoid) compiled with NEON.
///
/// # Safety
/// The CPU supports NEON.
#[target_feature(enable = "neon")]
unsafe fn bias_sigmoid<T: crate::Float>(z: &mut [T], bias: &[T], a: &mut [T]) {
    crate::kernels::portable::bias_sigmoid(z, bias, a);
}

/// x·y with NEON.
///
/// # Safety
/// The CPU supports NEON; `x.len() == y.len()`.
#[target_feature(enable = "neon")]
unsafe fn dot<T>(x: &[T], y: &[T]) -> T
where
    Neon<T>: Lanes<Elem = T>,
{
    // SAFETY: this function's contract is the body's.
    unsafe { vector::dot::<Neon<T>>(x, y) }
}

/// y ← α·x + y with NEON.
///
/// # Safety
/// The CPU supports NEON; `x.len() == y.len()`.
#[target_feature(enable = "neon")]
unsafe fn axpy<T>(alpha: T, x: &[T], y: &mut [T])
where
    Neon<T>: Lanes<Elem = T>,
{
    // SAFETY: this function's contract is the body's.
    unsafe { vector::axpy::<Neon<T>>(alpha, x, y) }
}

/// y ← α·A·x + β·y with NEON.
///
/// # Safety
/// The CPU supports NEON; the slices fit the shape as in [`vector::gemv`].
#[allow(clippy::too_many_arguments)]
#[target_feature(enable = "neon")]
unsafe fn gemv<T>(m: usize, n: usize, alpha: T, a: &[T], lda: usize, x: &[T], beta: T, y: &mut [T])
where
    Neon<T>: Lanes<Elem = T>,
{
    // SAFETY: this function's contract is the body's.
    unsafe { vector::gemv::<Neon<T>>(m, n, alpha, a, lda, x, beta, y) }
}

/// y ← α·Aᵀ·x + β·y with NEON.
///
/// # Safety
/// The CPU supports NEON; the slices fit the shape as in [`vector::gemv_t`].
#[allow(clippy::too_many_arguments)]
#[target_feature(enable = "neon")]
unsafe fn gemv_t<T>(m: usize, n: usize, alpha: T, a: &[T], lda: usize, x: &[T], beta: T, y: &mut [T])
where
    Neon<T>: Lanes<Elem = T>,
{
    // SAFETY: this function's contract is the body's.
    unsafe { vector::gemv_t::<Neon<T>>(m, n, alpha, a, lda, x, beta, y) }
}

/// A ← β·A + α·x·yᵀ with NEON.
///
/// # Safety
/// The CPU supports NEON; the slices fit the shape as in [`vector::ger`].
#[target_feature(enable = "neon")]
#[allow(clippy::too_many_arguments)]
unsafe fn ger<T>(m: usize, n: usize, alpha: T, x: &[T], y: &[T], beta: T, a: &mut [T], lda: usize)
where
    Neon<T>: Lanes<Elem = T>,
{
    // SAFETY: this function's contract is the body's.
    unsafe { vector::ger::<Neon<T>>(m, n, alpha, x, y, beta, a, lda) }
}

/// Whether the product should run as dot products ([`gemm_dots`]): A as stored, C at most
/// `max_n` wide, and k long enough that the final lane sums are cheap. Depends on n, k and
/// the transposes only, never on m (so that row splits take the same route).
fn use_dots(k: usize, n: usize, ta: Transpose, max_n: usize) -> bool {
    ta == Transpose::No && n <= max_n && k >= 64
}

/// C ← α·op(A)·op(B) + β·C in `f32` with NEON.
///
/// Tile 8×12: 24 accumulator registers (8 rows × 3 registers of 4), 3 for the row of B,
/// A broadcast from memory; 32 registers in all. KC = 256 keeps the 8×256 A panel (8 KiB)
/// in L1; NC = 384 makes the packed B block 384 KiB. Narrow products with A as stored take
/// the dot-product tiles as on x86-64 (the column tiles need a row of C to fit one
/// register, four lanes here, so they are not used). Not measured on AArch64 hardware (none was at hand):
/// these are the register counts' choice, tested for correctness under emulation.
///
/// # Safety
/// The CPU supports NEON; the slices fit the shapes and strides; k > 0.
#[allow(clippy::too_many_arguments)]
#[target_feature(enable = "neon")]
unsafe fn sgemm(
    _full_m: usize,
    k: usize,
    alpha: f32,
    a: &[f32],
    lda: usize,
    ta: Transpose,
    b: &[f32],
    ldb: usize,
    tb: Transpose,
    beta: f32,
    c: BlockMut<'_, f32>,
) {
    let n = c.cols();
    type S = Neon<f32>;
    // SAFETY: this function's contract is the body's.
    unsafe {
        if use_dots(k, n, ta, 32) {
            gemm_dots::gemm::<S, 4, 6>(1024, k, alpha, a, lda, b, ldb, tb, beta, c)
        } else {
            let blocking = Blocking { kc: 256, nc: 384 };
            gemm::gemm::<S, 8, 3>(blocking, k, alpha, a, lda, ta, b, ldb, tb, beta, c)
        }
    }
}

/// C ← α·op(A)·op(B) + β·C in `f64` with NEON: tile 8×6 (8 rows × 3 registers of 2),
/// otherwise as [`sgemm`].
///
/// # Safety
/// The CPU supports NEON; the slices fit the shapes and strides; k > 0.
#[allow(clippy::too_many_arguments)]
#[target_feature(enable = "neon")]
unsafe fn dgemm(
    _full_m: usize,
    k: usize,
    alpha: f64,
    a: &[f64],
    lda: usize,
    ta: Transpose,
    b: &[f64],
    ldb: usize,
    tb: Transpose,
    beta: f64,
    c: BlockMut<'_, f64>,
) {
    let n = c.cols();
    type S = Neon<f64>;
    // SAFETY: this function's contract is the body's.
    unsafe {
        if use_dots(k, n, ta, 16) {
            gemm_dots::gemm::<S, 4, 6>(256, k, alpha, a, lda, b, ldb, tb, beta, c)
        } else {
            let blocking = Blocking { kc: 256, nc: 192 };
            gemm::gemm::<S, 8, 3>(blocking, k, alpha, a, lda, ta, b, ldb, tb, beta, c)
        }
    }
}
