//! Matrix kernels behind [`Matrix`](crate::Matrix): dot, axpy, matrix·vector (W·x and
//! Wᵀ·x), the rank-1 update x·yᵀ and the matrix product in its three training forms.
//!
//! Every operation has a plain-loop version in [`portable`], which is the fallback on
//! every target and the oracle the tests compare faster kernels with. Callers (the
//! `Matrix` methods) check shapes; the entry points here check that every slice is long
//! enough for the shape they are given, so a wrong caller panics instead of reading out
//! of bounds.

pub mod portable;

/// Whether a matrix operand is used as stored or transposed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transpose {
    /// Use the operand as stored.
    No,
    /// Use the operand transposed (without forming the transpose).
    Yes,
}

/// Minimum slice length of a row-major `rows × cols` operand with row stride `ld`.
#[inline]
pub fn required_len(rows: usize, cols: usize, ld: usize) -> usize {
    if rows == 0 || cols == 0 { 0 } else { (rows - 1) * ld + cols }
}

/// The kernels, specialised per element type. Implemented for `f32` and `f64` only; the
/// crate reaches them through [`Float`](crate::Float), which has this as a sealed supertrait.
pub trait Kernels: Copy + Sized + 'static {
    /// x·y. Panics if the lengths differ.
    fn dot(x: &[Self], y: &[Self]) -> Self;

    /// y ← α·x + y. Panics if the lengths differ.
    fn axpy(alpha: Self, x: &[Self], y: &mut [Self]);

    /// y ← α·A·x + β·y, A m×n (row stride `lda`); β = 0 overwrites y.
    #[allow(clippy::too_many_arguments)]
    fn gemv(m: usize, n: usize, alpha: Self, a: &[Self], lda: usize, x: &[Self], beta: Self, y: &mut [Self]);

    /// y ← α·Aᵀ·x + β·y, A m×n (row stride `lda`); β = 0 overwrites y.
    #[allow(clippy::too_many_arguments)]
    fn gemv_t(m: usize, n: usize, alpha: Self, a: &[Self], lda: usize, x: &[Self], beta: Self, y: &mut [Self]);

    /// A ← A + α·x·yᵀ, A m×n (row stride `lda`).
    fn ger(m: usize, n: usize, alpha: Self, x: &[Self], y: &[Self], a: &mut [Self], lda: usize);

    /// C ← α·op(A)·op(B) + β·C; see [`portable::gemm`] for the layout. β = 0 overwrites C.
    #[allow(clippy::too_many_arguments)]
    fn gemm(
        m: usize,
        k: usize,
        n: usize,
        alpha: Self,
        a: &[Self],
        lda: usize,
        ta: Transpose,
        b: &[Self],
        ldb: usize,
        tb: Transpose,
        beta: Self,
        c: &mut [Self],
        ldc: usize,
    );
}

/// Panics unless the operands of a gemm are long enough for their shapes and strides.
#[allow(clippy::too_many_arguments)]
#[track_caller]
fn check_gemm(
    m: usize,
    k: usize,
    n: usize,
    a: usize,
    lda: usize,
    ta: Transpose,
    b: usize,
    ldb: usize,
    tb: Transpose,
    c: usize,
    ldc: usize,
) {
    let (ar, ac) = if ta == Transpose::No { (m, k) } else { (k, m) };
    let (br, bc) = if tb == Transpose::No { (k, n) } else { (n, k) };
    assert!(
        lda >= ac && a >= required_len(ar, ac, lda),
        "gemm: A is {a} long, too short for {ar}×{ac} with stride {lda}"
    );
    assert!(
        ldb >= bc && b >= required_len(br, bc, ldb),
        "gemm: B is {b} long, too short for {br}×{bc} with stride {ldb}"
    );
    assert!(ldc >= n && c >= required_len(m, n, ldc), "gemm: C is {c} long, too short for {m}×{n} with stride {ldc}");
}

macro_rules! impl_kernels {
    ($t:ident) => {
        impl Kernels for $t {
            #[inline]
            fn dot(x: &[$t], y: &[$t]) -> $t {
                assert_eq!(x.len(), y.len(), "dot: lengths {} and {} differ", x.len(), y.len());
                portable::dot(x, y)
            }

            #[inline]
            fn axpy(alpha: $t, x: &[$t], y: &mut [$t]) {
                assert_eq!(x.len(), y.len(), "axpy: lengths {} and {} differ", x.len(), y.len());
                portable::axpy(alpha, x, y)
            }

            fn gemv(m: usize, n: usize, alpha: $t, a: &[$t], lda: usize, x: &[$t], beta: $t, y: &mut [$t]) {
                assert!(lda >= n && a.len() >= required_len(m, n, lda) && x.len() >= n && y.len() >= m);
                portable::gemv(m, n, alpha, a, lda, x, beta, y)
            }

            fn gemv_t(m: usize, n: usize, alpha: $t, a: &[$t], lda: usize, x: &[$t], beta: $t, y: &mut [$t]) {
                assert!(lda >= n && a.len() >= required_len(m, n, lda) && x.len() >= m && y.len() >= n);
                portable::gemv_t(m, n, alpha, a, lda, x, beta, y)
            }

            fn ger(m: usize, n: usize, alpha: $t, x: &[$t], y: &[$t], a: &mut [$t], lda: usize) {
                assert!(lda >= n && a.len() >= required_len(m, n, lda) && x.len() >= m && y.len() >= n);
                portable::ger(m, n, alpha, x, y, a, lda)
            }

            fn gemm(
                m: usize,
                k: usize,
                n: usize,
                alpha: $t,
                a: &[$t],
                lda: usize,
                ta: Transpose,
                b: &[$t],
                ldb: usize,
                tb: Transpose,
                beta: $t,
                c: &mut [$t],
                ldc: usize,
            ) {
                check_gemm(m, k, n, a.len(), lda, ta, b.len(), ldb, tb, c.len(), ldc);
                portable::gemm(m, k, n, alpha, a, lda, ta, b, ldb, tb, beta, c, ldc)
            }
        }
    };
}

impl_kernels!(f32);
impl_kernels!(f64);

/// The name of the kernel set chosen for this CPU.
pub fn selected() -> &'static str {
    "portable"
}

/// [`Kernels::gemm`], split over up to `threads` threads.
pub fn gemm_threaded<T: Kernels>(
    threads: usize,
    m: usize,
    k: usize,
    n: usize,
    alpha: T,
    a: &[T],
    lda: usize,
    ta: Transpose,
    b: &[T],
    ldb: usize,
    tb: Transpose,
    beta: T,
    c: &mut [T],
    ldc: usize,
) {
    let _ = threads;
    T::gemm(m, k, n, alpha, a, lda, ta, b, ldb, tb, beta, c, ldc)
}
