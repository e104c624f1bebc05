//! AArch64 kernels: NEON (Advanced SIMD).
//!
//! [`lanes`] implements the register type of the generic bodies in [`simd`](super::simd)
//! for NEON. This file holds the `#[target_feature]` wrappers that compile those bodies,
//! and the kernel table [`NEON`] that the dispatcher in the parent module picks when the
//! CPU has NEON (every AArch64 CPU that runs Linux does).

mod lanes;

use self::lanes::Neon;
use super::route::{Blocking, Dots, Route, Shape, Tuning};
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
        gemm: gemm_neon::<f32>,
        tuning: NEON_F32,
        bias_sigmoid: bias_sigmoid::<f32>,
    },
    f64: Ops {
        dot: dot::<f64>,
        axpy: axpy::<f64>,
        gemv: gemv::<f64>,
        gemv_t: gemv_t::<f64>,
        ger: ger::<f64>,
        gemm: gemm_neon::<f64>,
        tuning: NEON_F64,
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

/// NEON, `f32`: 4 lanes, 32 registers, not measured on AArch64 hardware (none was at
/// hand): these are the register counts' choice, tested for correctness under emulation.
/// Dot products (4×6 tiles, k blocks of 1024) for A as stored and C at most 32 wide, as on
/// x86-64 (the column tiles need a row of C to fit one register, four lanes here, so they
/// are not used, nor the small kernel, unmeasured here); otherwise packed tiles of 8 rows
/// by 3 registers (24 accumulators, 3 for the row of B, A broadcast from memory), with
/// KC = 256 keeping the 8×256 A panel (8 KiB) in L1 and NC = 384 making the packed B block
/// 384 KiB.
pub const NEON_F32: Tuning = Tuning {
    lanes: 4,
    small: None,
    small_by_dots: None,
    cols: None,
    dots: Dots { max_n: 32, max_n_forward: 32, any_n_rows: 0, few_rows_max_n: None, kc: 1024 },
    narrow: (0, Blocking { kc: 256, nc: 384 }),
    packed: Blocking { kc: 256, nc: 384 },
    split_last: false,
};

/// NEON, `f64`: 2 lanes; as `f32` with dot products up to 16 columns in k blocks of 256,
/// and NC = 192.
pub const NEON_F64: Tuning = Tuning {
    lanes: 2,
    small: None,
    small_by_dots: None,
    cols: None,
    dots: Dots { max_n: 16, max_n_forward: 16, any_n_rows: 0, few_rows_max_n: None, kc: 256 },
    narrow: (0, Blocking { kc: 256, nc: 192 }),
    packed: Blocking { kc: 256, nc: 192 },
    split_last: false,
};

/// C ← α·op(A)·op(B) + β·C with NEON, by the route [`plan`](super::route::plan) chose for
/// the whole product (see [`NEON_F32`] and [`NEON_F64`]): dot-product tiles or packed
/// tiles of 8 rows by 3 registers.
///
/// # Safety
/// The CPU supports NEON; the slices fit the shapes and strides (C is a block of the
/// product `shape`, with `shape.k` > 0 and at least one column). A route other than the
/// dot products is computed by the packed tiles, with the blocking it names or NEON's.
#[allow(clippy::too_many_arguments)]
#[target_feature(enable = "neon")]
unsafe fn gemm_neon<T>(
    route: Route,
    shape: &Shape,
    alpha: T,
    a: &[T],
    lda: usize,
    b: &[T],
    ldb: usize,
    beta: T,
    c: BlockMut<'_, T>,
) where
    Neon<T>: Lanes<Elem = T>,
{
    type S<T> = Neon<T>;
    let Shape { k, ta, tb, .. } = *shape;
    // SAFETY: this function's contract is the bodies'.
    unsafe {
        match route {
            Route::Dots { kc } if ta == Transpose::No => {
                gemm_dots::gemm::<S<T>, 4, 6>(kc, k, alpha, a, lda, b, ldb, tb, beta, c)
            }
            Route::Narrow(blocking) | Route::Packed(blocking) => {
                gemm::gemm::<S<T>, 8, 3>(blocking, k, alpha, a, lda, ta, b, ldb, tb, beta, c)
            }
            _ => {
                let blocking = Blocking { kc: 256, nc: 384 };
                gemm::gemm::<S<T>, 8, 3>(blocking, k, alpha, a, lda, ta, b, ldb, tb, beta, c)
            }
        }
    }
}
