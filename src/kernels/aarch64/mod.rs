//! AArch64 kernels: NEON (Advanced SIMD).
//!
//! [`lanes`] implements the register type of the generic bodies in [`simd`](super::simd)
//! for NEON. This file declares the kernel table [`NEON`] (its `#[target_feature]`
//! wrappers by `kernel_set!`), with its matrix-product entry and routing constants,
//! which the dispatcher in the parent module picks when the CPU has NEON (every AArch64
//! CPU that runs Linux does).

mod lanes;

use self::lanes::Neon;
use super::route::{Blocking, Dots, Route, Tuning};
use super::simd::{Lanes, gemm, gemm_dots, kernel_set};
use super::{MatMut, MatRef, Transpose};

/// Whether the CPU running us has NEON.
pub fn has_neon() -> bool {
    std::arch::is_aarch64_feature_detected!("neon")
}

kernel_set! {
    /// The NEON kernels. Only valid to call when [`has_neon`] is true.
    NEON, "neon", neon, "neon", Neon,
    gemm: gemm_neon, tuning: (NEON_F32, NEON_F64),
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
    dots: Dots { max_n: 32, max_n_forward: 32, any_n_rows: 0, few_rows_max_n: None, narrow_from: None, kc: 1024 },
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
    dots: Dots { max_n: 16, max_n_forward: 16, any_n_rows: 0, few_rows_max_n: None, narrow_from: None, kc: 256 },
    narrow: (0, Blocking { kc: 256, nc: 192 }),
    packed: Blocking { kc: 256, nc: 192 },
    split_last: false,
};

/// C ← α·op(A)·op(B) + β·C with NEON, by the route [`plan`](super::route::plan) chose for
/// the whole product (see [`NEON_F32`] and [`NEON_F64`]): dot-product tiles or packed
/// tiles of 8 rows by 3 registers.
///
/// # Safety
/// The CPU supports NEON; op(A) has at least C's rows, op(B) at least its columns, and
/// k = op(A)'s columns = op(B)'s rows > 0 (the views hold their shapes). A route other than the
/// dot products is computed by the packed tiles, with the blocking it names or NEON's.
#[target_feature(enable = "neon")]
unsafe fn gemm_neon<T>(route: Route, alpha: T, a: MatRef<'_, T>, b: MatRef<'_, T>, beta: T, c: MatMut<'_, T>)
where
    Neon<T>: Lanes<Elem = T>,
{
    type S<T> = Neon<T>;
    let ta = a.trans();
    // SAFETY: this function's contract is the bodies'.
    unsafe {
        match route {
            Route::Dots { kc } if ta == Transpose::No => gemm_dots::gemm::<S<T>, 4, 6>(kc, alpha, a, b, beta, c),
            Route::Narrow(blocking) | Route::Packed(blocking) => {
                gemm::gemm::<S<T>, 8, 3>(blocking, alpha, a, b, beta, c)
            }
            _ => {
                let blocking = Blocking { kc: 256, nc: 384 };
                gemm::gemm::<S<T>, 8, 3>(blocking, alpha, a, b, beta, c)
            }
        }
    }
}
