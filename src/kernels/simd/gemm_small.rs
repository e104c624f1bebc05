//! C ← α·op(A)·op(B) + β·C for a small product, written once over [`Lanes`].
//!
//! # Why a fourth algorithm
//! A product of a few thousand multiply-adds (3×3×3, 8×16×8) finishes in tens of
//! nanoseconds, less than the packed [`gemm`](super::gemm) spends setting up: borrowing
//! its scratch buffer, packing both operands into panels and walking its cache blocks.
//! Here op(B), at most [`MAX_K`] rows of at most four registers ([`B_LEN`] elements in
//! all), is copied once into a buffer on the stack, zero-padded to whole registers, and every row of C is summed in
//! registers straight from the stored A.
//!
//! Each element of C gets exactly the operations of the packed micro-kernel: one
//! accumulator from zero, one fused multiply-add per step of k in order (k ≤ `MAX_K` is
//! within one of its k blocks), then α·acc and β·c the same way, so the two algorithms
//! give the same bits.

use core::mem::MaybeUninit;

use super::lanes::Lanes;
use crate::Float;
use crate::kernels::{MatMut, MatRef, Transpose};

/// The longest k of a small product.
pub const MAX_K: usize = 64;

/// Elements of the stack copy of op(B) (8 KiB of `f32`): k rows of NV registers must fit.
pub const B_LEN: usize = 2048;

/// C ← α·op(A)·op(B) + β·C for C of at most NV registers' width, k ≤ [`MAX_K`] and
/// k·NV·LANES ≤ [`B_LEN`]: rows of C four at a time, each as NV register accumulators.
/// β = 0 overwrites C without reading it.
///
/// # Safety
/// The CPU supports `S`'s instruction set; op(A) has at least C's rows and op(B) at least
/// its columns (the views hold their shapes).
///
/// # Panics
/// Unless 0 < k ≤ MAX_K, n ≤ NV·LANES and k·NV·LANES ≤ B_LEN.
#[inline(always)]
pub unsafe fn gemm<S: Lanes, const NV: usize>(
    alpha: S::Elem,
    a: MatRef<'_, S::Elem>,
    b: MatRef<'_, S::Elem>,
    beta: S::Elem,
    mut c: MatMut<'_, S::Elem>,
) {
    let k = a.n_cols();
    let (a, lda, ta, b, ldb, tb) = (a.data(), a.ld(), a.trans(), b.data(), b.ld(), b.trans());
    let l = S::LANES;
    let nr = NV * l;
    let (m, n) = (c.n_rows(), c.n_cols());
    assert!(k > 0 && k <= MAX_K && n <= nr && k * nr <= B_LEN, "gemm_small: k = {k}, n = {n}");
    // Row p of op(B), zero-padded to nr: bt[p·nr..][..nr]. Only that much is written, and
    // only that much is read.
    let mut buf = [MaybeUninit::<S::Elem>::uninit(); B_LEN];
    let bt = buf.as_mut_ptr().cast::<S::Elem>();
    if tb == Transpose::No {
        for p in 0..k {
            for v in 0..NV {
                let j0 = v * l;
                let w = n.saturating_sub(j0).min(l);
                // SAFETY: the instruction set is present (contract). The load reads w
                // elements of row p of the stored B from column j0 < n (inside `b`, by the
                // contract); the store writes register v of row p of the buffer,
                // p·nr + j0 + l ≤ k·nr ≤ B_LEN.
                unsafe {
                    let reg = if w == 0 { S::zero() } else { S::load_first(b.as_ptr().add(p * ldb + j0), w) };
                    S::store(bt.add(p * nr + j0), reg);
                }
            }
        }
    } else {
        // Zeros first, then column j of op(B) (row j of the stored Bᵀ, read along k) into
        // place element by element: n·k moves, where gathers would cost k per register.
        for p in 0..k {
            for v in 0..NV {
                // SAFETY: the instruction set is present; p·nr + v·l + l ≤ k·nr ≤ B_LEN.
                unsafe { S::store(bt.add(p * nr + v * l), S::zero()) };
            }
        }
        for j in 0..n {
            for (p, &x) in b[j * ldb..j * ldb + k].iter().enumerate() {
                // SAFETY: p·nr + j < k·nr ≤ B_LEN.
                unsafe { *bt.add(p * nr + j) = x };
            }
        }
    }
    let bt = bt.cast_const();
    let (cp, ldc) = (c.as_mut_ptr(), c.ld());
    // Element (i, p) of op(A) is at a + i·a_row + p·a_step.
    let (a_row, a_step) = if ta == Transpose::No { (lda, 1) } else { (1, lda) };
    let ap = a.as_ptr();
    let mut i = 0;
    // SAFETY: the instruction set is present (contract); `bt` holds k·nr initialised
    // elements (written above; k·nr ≤ B_LEN), read a register at a time at
    // p·nr + v·l < k·nr; element (i, p) of op(A) for i < m, p < k is inside `a`
    // (contract); the C tiles are rows i..i + R ≤ m, n columns, inside `c`.
    unsafe {
        while i + 4 <= m {
            rows::<S, 4, NV>(k, ap.add(i * a_row), a_row, a_step, bt, alpha, beta, cp.add(i * ldc), ldc, n);
            i += 4;
        }
        // The last one to three rows together: each element is a chain of k dependent
        // multiply-adds, and one row at a time left the FMA units waiting on them (A·Bᵀ
        // at 3×64×3 in f32 took 0.29 µs, 0.11× the `gemm` crate).
        if i < m {
            let (a_last, c_last) = (ap.add(i * a_row), cp.add(i * ldc));
            match m - i {
                3 => rows::<S, 3, NV>(k, a_last, a_row, a_step, bt, alpha, beta, c_last, ldc, n),
                2 => rows::<S, 2, NV>(k, a_last, a_row, a_step, bt, alpha, beta, c_last, ldc, n),
                _ => rows::<S, 1, NV>(k, a_last, a_row, a_step, bt, alpha, beta, c_last, ldc, n),
            }
        }
    }
}

/// R rows of C: R·NV accumulators over k, then C ← α·acc + β·C on the first n columns
/// (masked past n). Element (r, p) of op(A) is at `a + r·a_row + p·a_step`.
///
/// # Safety
/// The CPU supports `S`'s instruction set; `a + r·a_row + p·a_step` is readable for r < R,
/// p < k; `bt` points at k rows of NV·LANES readable elements; `c` at R rows (stride
/// `ldc`) of n ≤ NV·LANES writable elements.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
unsafe fn rows<S: Lanes, const R: usize, const NV: usize>(
    k: usize,
    a: *const S::Elem,
    a_row: usize,
    a_step: usize,
    bt: *const S::Elem,
    alpha: S::Elem,
    beta: S::Elem,
    c: *mut S::Elem,
    ldc: usize,
    n: usize,
) {
    let l = S::LANES;
    // SAFETY: as the contract says, for p < k, v < NV and rows r < R.
    unsafe {
        let mut acc = [[S::zero(); NV]; R];
        for p in 0..k {
            let mut bv = [S::zero(); NV];
            for (v, bv) in bv.iter_mut().enumerate() {
                *bv = S::load(bt.add(p * NV * l + v * l));
            }
            for (r, acc) in acc.iter_mut().enumerate() {
                let ar = S::splat(*a.add(r * a_row + p * a_step));
                for v in 0..NV {
                    acc[v] = S::mul_add(ar, bv[v], acc[v]);
                }
            }
        }
        // As the packed micro-kernel: α·acc (skipped when α = 1), then β·c added (or c
        // itself when β = 1, or nothing when β = 0).
        let alpha_v = S::splat(alpha);
        let beta_v = S::splat(beta);
        for (r, acc) in acc.iter().enumerate() {
            let row = c.add(r * ldc);
            for (v, &acc) in acc.iter().enumerate() {
                let j = v * l;
                if j >= n {
                    break;
                }
                let w = (n - j).min(l);
                let ab = if alpha == S::Elem::ONE { acc } else { S::mul(alpha_v, acc) };
                let out = if beta == S::Elem::ZERO {
                    ab
                } else {
                    let old = S::load_first(row.add(j), w);
                    if beta == S::Elem::ONE { S::add(old, ab) } else { S::mul_add(beta_v, old, ab) }
                };
                S::store_first(row.add(j), w, out);
            }
        }
    }
}
