//! C ← α·Aᵀ·op(B) + β·C for A stored k×m and a narrow C, with vectors down the columns of
//! C, written once over [`Lanes`].
//!
//! # Why a third algorithm
//! The backward pass Wᵀ·Δ of a small batch (C is 784×10) gives the packed
//! [`gemm`](super::gemm) a row of C ten elements long: a sixteen-lane register is only
//! 10/16 used. Here the registers run down the columns of C instead, where there are 784
//! elements: row p of the stored A is column p of op(A), contiguous, so a tile of C two
//! registers tall is updated with two loads of A and one broadcast of op(B) per column.
//! The price is the store: a tile's columns are transposed into C's rows through a small
//! buffer (one strided gather per row of C, two in `f64` when the row is longer than
//! eight lanes).
//!
//! Every element of C is computed the same way whatever tile it falls in (one accumulator
//! over all of k, then α·acc + β·c), so any split of C between threads gives the same bits.

use super::lanes::Lanes;
use crate::Float;
use crate::kernels::scratch::scratch;
use crate::kernels::{MatMut, MatRef, Transpose};

/// The widest C this handles: two accumulators per column, 24 of the 32 registers at 12.
pub const MAX_N: usize = 12;

/// C ← α·Aᵀ·op(B) + β·C with A stored k×m and used transposed, op(B) k×n with n ≤
/// [`MAX_N`]; β = 0 overwrites C without reading it.
///
/// # Safety
/// The CPU supports `S`'s instruction set; op(A) has at least C's rows and op(B) at least
/// its columns (the views hold their shapes), and k > 0.
///
/// # Panics
/// If A is not used transposed or C is wider than `MAX_N`.
#[inline(always)]
pub unsafe fn gemm<S: Lanes>(
    alpha: S::Elem,
    a: MatRef<'_, S::Elem>,
    b: MatRef<'_, S::Elem>,
    beta: S::Elem,
    c: MatMut<'_, S::Elem>,
) {
    let n = c.n_cols();
    assert!(a.trans() == Transpose::Yes && n <= MAX_N, "gemm_cols: Aᵀ and at most {MAX_N} columns");
    let k = a.n_cols();
    let (a, lda, b, ldb, tb) = (a.data(), a.ld(), b.data(), b.ld(), b.trans());
    // SAFETY: forwarded from this function's contract, with NQ = n in every arm.
    unsafe {
        match n {
            1 => columns::<S, 1>(k, alpha, a, lda, b, ldb, tb, beta, c),
            2 => columns::<S, 2>(k, alpha, a, lda, b, ldb, tb, beta, c),
            3 => columns::<S, 3>(k, alpha, a, lda, b, ldb, tb, beta, c),
            4 => columns::<S, 4>(k, alpha, a, lda, b, ldb, tb, beta, c),
            5 => columns::<S, 5>(k, alpha, a, lda, b, ldb, tb, beta, c),
            6 => columns::<S, 6>(k, alpha, a, lda, b, ldb, tb, beta, c),
            7 => columns::<S, 7>(k, alpha, a, lda, b, ldb, tb, beta, c),
            8 => columns::<S, 8>(k, alpha, a, lda, b, ldb, tb, beta, c),
            9 => columns::<S, 9>(k, alpha, a, lda, b, ldb, tb, beta, c),
            10 => columns::<S, 10>(k, alpha, a, lda, b, ldb, tb, beta, c),
            11 => columns::<S, 11>(k, alpha, a, lda, b, ldb, tb, beta, c),
            _ => columns::<S, 12>(k, alpha, a, lda, b, ldb, tb, beta, c),
        }
    }
}

/// [`gemm`] for exactly NQ columns.
///
/// # Safety
/// As for [`gemm`], with n = NQ.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
unsafe fn columns<S: Lanes, const NQ: usize>(
    k: usize,
    alpha: S::Elem,
    a: &[S::Elem],
    lda: usize,
    b: &[S::Elem],
    ldb: usize,
    tb: Transpose,
    beta: S::Elem,
    mut c: MatMut<'_, S::Elem>,
) {
    let m = c.n_rows();
    let l = S::LANES;
    // op(B), k×NQ, packed row by row (it is small: k·NQ elements).
    let mut packed = scratch::<S::Elem>(k * NQ);
    for (p, row) in packed.chunks_exact_mut(NQ).enumerate() {
        for (j, bj) in row.iter_mut().enumerate() {
            *bj = if tb == Transpose::No { b[p * ldb + j] } else { b[j * ldb + p] };
        }
    }
    let (ap, bp, cp, ldc) = (a.as_ptr(), packed.as_ptr(), c.as_mut_ptr(), c.ld());
    // SAFETY: the instruction set is present (contract).
    let (alpha_v, beta_v) = unsafe { (S::splat(alpha), S::splat(beta)) };
    let mut i0 = 0;
    while i0 < m {
        let rows = (2 * l).min(m - i0);
        let (w0, w1) = (rows.min(l), rows.saturating_sub(l));
        // SAFETY: the instruction set is present (contract). Loads read row p < k of A at
        // columns i0..i0 + rows <= m (masked below 2·l), inside `a`; broadcasts read the
        // packed k×NQ op(B); the stores write rows i0..i0 + rows of C, NQ columns each.
        unsafe {
            let mut acc = [[S::zero(); 2]; NQ];
            for p in 0..k {
                let row = ap.add(p * lda + i0);
                let (a0, a1) = if rows == 2 * l {
                    (S::load(row), S::load(row.add(l)))
                } else {
                    (S::load_first(row, w0), if w1 > 0 { S::load_first(row.add(l), w1) } else { S::zero() })
                };
                for (j, acc) in acc.iter_mut().enumerate() {
                    let bj = S::splat(*bp.add(p * NQ + j));
                    acc[0] = S::mul_add(a0, bj, acc[0]);
                    acc[1] = S::mul_add(a1, bj, acc[1]);
                }
            }
            // Column j of the tile goes to tile[j]; row i of C is then the strided column
            // tile[0][i], tile[1][i], … (NQ elements, 64 apart).
            let mut tile = [[S::Elem::ZERO; 64]; NQ];
            for (t, acc) in tile.iter_mut().zip(&acc) {
                S::store(t.as_mut_ptr(), acc[0]);
                S::store(t.as_mut_ptr().add(l), acc[1]);
            }
            // A row of C is one register, or two when NQ > LANES (f64).
            let tp = tile.as_ptr().cast::<S::Elem>();
            for i in 0..rows {
                for j0 in (0..NQ).step_by(l) {
                    let w = l.min(NQ - j0);
                    let v = S::gather_first(tp.add(j0 * 64 + i), 64, w);
                    let ab = if alpha == S::Elem::ONE { v } else { S::mul(alpha_v, v) };
                    let crow = cp.add((i0 + i) * ldc + j0);
                    let out = if beta == S::Elem::ZERO {
                        ab
                    } else {
                        let cv = S::load_first(crow, w);
                        if beta == S::Elem::ONE { S::add(cv, ab) } else { S::mul_add(beta_v, cv, ab) }
                    };
                    S::store_first(crow, w, out);
                }
            }
        }
        i0 += rows;
    }
}
