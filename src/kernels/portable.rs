//! Plain-loop kernels: the fallback on every target and the oracle the SIMD kernels are
//! tested against. No `unsafe`; the loops are shaped so that the compiler vectorises them
//! (unit-stride inner loops, independent accumulators for reductions).

use super::route::Route;
use super::{MatMut, MatRef, Transpose};
use crate::Float;

/// Number of independent partial sums in [`dot`]: enough to hide the add latency and to
/// let the compiler keep them in one or two SIMD registers.
const DOT_LANES: usize = 8;

/// z ← z + b and a ← σ(z) = 1/(1 + e^−z) row by row, for rows of z and a as long as
/// `bias` (the end of a sigmoid layer's forward pass). Element by element with plain IEEE
/// operations and no fused multiply-adds, so the SIMD builds of this same loop, compiled
/// for wider registers, give exactly these bits.
#[inline(always)]
pub fn bias_sigmoid<T: Float>(z: &mut [T], bias: &[T], a: &mut [T]) {
    if bias.is_empty() {
        return;
    }
    for (z_row, a_row) in z.chunks_exact_mut(bias.len()).zip(a.chunks_exact_mut(bias.len())) {
        for ((zi, ai), &bi) in z_row.iter_mut().zip(a_row.iter_mut()).zip(bias) {
            *zi += bi;
            *ai = crate::scalar::sigmoid(*zi);
        }
    }
}

/// x·y = Σᵢ xᵢ yᵢ.
///
/// The sum is split over [`DOT_LANES`] partial sums, so its rounding differs slightly from
/// a left-to-right sum (by design: this is what makes the loop vectorisable).
pub fn dot<T: Float>(x: &[T], y: &[T]) -> T {
    debug_assert_eq!(x.len(), y.len());
    let mut acc = [T::ZERO; DOT_LANES];
    let xc = x.chunks_exact(DOT_LANES);
    let yc = y.chunks_exact(DOT_LANES);
    let (xr, yr) = (xc.remainder(), yc.remainder());
    for (xs, ys) in xc.zip(yc) {
        for l in 0..DOT_LANES {
            acc[l] += xs[l] * ys[l];
        }
    }
    let mut tail = T::ZERO;
    for (&a, &b) in xr.iter().zip(yr) {
        tail += a * b;
    }
    // Pairwise, so the result does not depend on the order the lanes were filled in.
    let s0 = (acc[0] + acc[4]) + (acc[2] + acc[6]);
    let s1 = (acc[1] + acc[5]) + (acc[3] + acc[7]);
    (s0 + s1) + tail
}

/// y ← α·x + y.
pub fn axpy<T: Float>(alpha: T, x: &[T], y: &mut [T]) {
    debug_assert_eq!(x.len(), y.len());
    for (yi, &xi) in y.iter_mut().zip(x) {
        *yi += alpha * xi;
    }
}

/// y ← β·y, where β = 0 clears y without reading it (so NaN in y does not survive).
fn scale<T: Float>(beta: T, y: &mut [T]) {
    if beta == T::ZERO {
        y.fill(T::ZERO);
    } else if beta != T::ONE {
        for yi in y.iter_mut() {
            *yi *= beta;
        }
    }
}

/// y ← α·A·x + β·y, with A m×n row-major (row stride `lda`).
#[allow(clippy::too_many_arguments)]
pub fn gemv<T: Float>(m: usize, n: usize, alpha: T, a: &[T], lda: usize, x: &[T], beta: T, y: &mut [T]) {
    for (i, yi) in y[..m].iter_mut().enumerate() {
        // With n = 0 the rows are empty (and A may be too, whatever lda is).
        let s = if n == 0 { T::ZERO } else { alpha * dot(&a[i * lda..i * lda + n], &x[..n]) };
        *yi = if beta == T::ZERO { s } else { beta * *yi + s };
    }
}

/// y ← α·Aᵀ·x + β·y, with A m×n row-major (row stride `lda`): an axpy sweep over the
/// rows of A, so Aᵀ is never formed.
#[allow(clippy::too_many_arguments)]
pub fn gemv_t<T: Float>(m: usize, n: usize, alpha: T, a: &[T], lda: usize, x: &[T], beta: T, y: &mut [T]) {
    let y = &mut y[..n];
    scale(beta, y);
    if n == 0 {
        return;
    }
    for (i, &xi) in x[..m].iter().enumerate() {
        axpy(alpha * xi, &a[i * lda..i * lda + n], y);
    }
}

/// A ← β·A + α·x·yᵀ (rank-1 update), with A m×n row-major (row stride `lda`); β = 0
/// overwrites A without reading it. Element (i, j) becomes (α·xᵢ)·yⱼ + β·aᵢⱼ.
#[allow(clippy::too_many_arguments)]
pub fn ger<T: Float>(m: usize, n: usize, alpha: T, x: &[T], y: &[T], beta: T, a: &mut [T], lda: usize) {
    if n == 0 {
        return;
    }
    for (i, &xi) in x[..m].iter().enumerate() {
        let s = alpha * xi;
        let row = &mut a[i * lda..i * lda + n];
        for (aij, &yj) in row.iter_mut().zip(&y[..n]) {
            let old = if beta == T::ZERO {
                T::ZERO
            } else if beta == T::ONE {
                *aij
            } else {
                beta * *aij
            };
            *aij = s * yj + old;
        }
    }
}

/// C ← α·op(A)·op(B) + β·C, A and B row-major with row strides `lda`, `ldb`, and C an
/// m×n block of a row-major matrix.
///
/// op(A) is m×k: A is stored m×k when `a`'s transpose flag is [`Transpose::No`] and k×m when it is
/// [`Transpose::Yes`]; likewise op(B) is k×n, stored k×n or n×k. β = 0 overwrites C
/// without reading it. The loops are the same whatever the rows of the whole product
/// (and whatever the route, which the kernel table's signature carries for the SIMD sets).
///
/// # Panics
/// If A or B is too short for its shape (m and n are those of C).
pub fn gemm<T: Float>(_route: Route, alpha: T, a: MatRef<'_, T>, b: MatRef<'_, T>, beta: T, mut c: MatMut<'_, T>) {
    let (k, ta, tb) = (a.n_cols(), a.trans(), b.trans());
    let (a, lda, b, ldb) = (a.data(), a.ld(), b.data(), b.ld());
    let (m, n) = (c.n_rows(), c.n_cols());
    if n == 0 {
        return;
    }
    for i in 0..m {
        scale(beta, c.row(i));
    }
    if k == 0 {
        return;
    }
    match (ta, tb) {
        // Cᵢ += Σₚ α Aᵢₚ Bₚ: row i of C gathers rows of B (unit stride throughout).
        (Transpose::No, Transpose::No) => {
            for i in 0..m {
                let c_row = c.row(i);
                for p in 0..k {
                    axpy(alpha * a[i * lda + p], &b[p * ldb..p * ldb + n], c_row);
                }
            }
        }
        // Cᵢⱼ += α Aᵢ·Bⱼ: a dot product of two stored rows.
        (Transpose::No, Transpose::Yes) => {
            for i in 0..m {
                let a_row = &a[i * lda..i * lda + k];
                for (j, cij) in c.row(i).iter_mut().enumerate() {
                    *cij += alpha * dot(a_row, &b[j * ldb..j * ldb + k]);
                }
            }
        }
        // Cᵢ += Σₚ α Aₚᵢ Bₚ: sweep the stored rows p of A and B together.
        (Transpose::Yes, Transpose::No) => {
            for p in 0..k {
                let b_row = &b[p * ldb..p * ldb + n];
                for i in 0..m {
                    axpy(alpha * a[p * lda + i], b_row, c.row(i));
                }
            }
        }
        // Cᵢⱼ += α Σₚ Aₚᵢ Bⱼₚ.
        (Transpose::Yes, Transpose::Yes) => {
            for i in 0..m {
                for (j, cij) in c.row(i).iter_mut().enumerate() {
                    let b_row = &b[j * ldb..j * ldb + k];
                    let mut s = T::ZERO;
                    for (p, &bjp) in b_row.iter().enumerate() {
                        s += a[p * lda + i] * bjp;
                    }
                    *cij += alpha * s;
                }
            }
        }
    }
}
