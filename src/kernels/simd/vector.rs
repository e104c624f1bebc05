//! The vector and matrix·vector kernels, written once over [`Lanes`]: x·y, y ← α·x + y,
//! W·x, Wᵀ·x and the rank-1 update.
//!
//! Each kernel keeps the arithmetic of one output element the same however the rows are
//! grouped (a block of four rows and a leftover single row run the same sequence of fused
//! multiply-adds per element), so results do not depend on where a shape's edges fall.

use super::lanes::Lanes;
use crate::Float;

/// x·y = Σᵢ xᵢ yᵢ, over four independent vector accumulators.
///
/// # Safety
/// The CPU supports `S`'s instruction set, and `x.len() == y.len()`.
#[inline(always)]
pub unsafe fn dot<S: Lanes>(x: &[S::Elem], y: &[S::Elem]) -> S::Elem {
    debug_assert_eq!(x.len(), y.len());
    let n = x.len().min(y.len());
    let l = S::LANES;
    let (xp, yp) = (x.as_ptr(), y.as_ptr());
    // SAFETY: `S`'s instruction set is present (contract); every full load below reads
    // `l` elements at an offset `i` with `i + l <= n`, the last one reads the `n - i < l`
    // elements left, so all reads stay inside both slices.
    unsafe {
        let mut acc = [S::zero(); 4];
        let mut i = 0;
        while i + 4 * l <= n {
            for (u, acc) in acc.iter_mut().enumerate() {
                let o = i + u * l;
                *acc = S::mul_add(S::load(xp.add(o)), S::load(yp.add(o)), *acc);
            }
            i += 4 * l;
        }
        while i + l <= n {
            acc[0] = S::mul_add(S::load(xp.add(i)), S::load(yp.add(i)), acc[0]);
            i += l;
        }
        if i < n {
            acc[1] = S::mul_add(S::load_first(xp.add(i), n - i), S::load_first(yp.add(i), n - i), acc[1]);
        }
        S::sum(S::add(S::add(acc[0], acc[1]), S::add(acc[2], acc[3])))
    }
}

/// y ← α·x + y.
///
/// # Safety
/// The CPU supports `S`'s instruction set, and `x.len() == y.len()`.
#[inline(always)]
pub unsafe fn axpy<S: Lanes>(alpha: S::Elem, x: &[S::Elem], y: &mut [S::Elem]) {
    debug_assert_eq!(x.len(), y.len());
    let n = x.len().min(y.len());
    // SAFETY: `S`'s instruction set is present (contract) and both slices hold n elements.
    unsafe { axpy_rows::<S, 1>(n, [alpha], [x.as_ptr()], y.as_mut_ptr()) }
}

/// y ← Σᵣ sᵣ·rowᵣ + y for R rows of n elements: the inner loop of Wᵀ·x. Row r is added
/// to every element with one fused multiply-add, rows in order, whatever R is.
///
/// # Safety
/// The CPU supports `S`'s instruction set; each `rows[r]` points at n readable elements
/// and `y` at n writable ones that do not overlap them.
#[inline(always)]
unsafe fn axpy_rows<S: Lanes, const R: usize>(n: usize, s: [S::Elem; R], rows: [*const S::Elem; R], y: *mut S::Elem) {
    let l = S::LANES;
    // SAFETY: the instruction set is present (contract); full loads and stores touch
    // `j..j + l` with `j + l <= n`, the last ones the `n - j` elements left, all inside
    // the n elements the contract provides for each row and for y.
    unsafe {
        let mut sv = [S::zero(); R];
        for r in 0..R {
            sv[r] = S::splat(s[r]);
        }
        let mut j = 0;
        while j + l <= n {
            let mut yv = S::load(y.add(j));
            for r in 0..R {
                yv = S::mul_add(sv[r], S::load(rows[r].add(j)), yv);
            }
            S::store(y.add(j), yv);
            j += l;
        }
        if j < n {
            let w = n - j;
            let mut yv = S::load_first(y.add(j), w);
            for r in 0..R {
                yv = S::mul_add(sv[r], S::load_first(rows[r].add(j), w), yv);
            }
            S::store_first(y.add(j), w, yv);
        }
    }
}

/// The R dot products rowᵣ·x of rows of n elements with one x: the inner loop of W·x.
/// Each row has its own two accumulators (even and odd vectors), so a block of rows has
/// 2R independent chains and x is loaded once for all of them.
///
/// # Safety
/// The CPU supports `S`'s instruction set; each `rows[r]` and `x` point at n readable elements.
#[inline(always)]
unsafe fn dot_rows<S: Lanes, const R: usize>(n: usize, rows: [*const S::Elem; R], x: *const S::Elem) -> [S::Elem; R] {
    let l = S::LANES;
    // SAFETY: the instruction set is present (contract); loads read `j..j + l` with
    // `j + l <= n`, the last ones the `n - j` elements left, inside every row and x.
    unsafe {
        let mut acc = [[S::zero(); 2]; R];
        let mut j = 0;
        while j + 2 * l <= n {
            let x0 = S::load(x.add(j));
            let x1 = S::load(x.add(j + l));
            for r in 0..R {
                acc[r][0] = S::mul_add(S::load(rows[r].add(j)), x0, acc[r][0]);
                acc[r][1] = S::mul_add(S::load(rows[r].add(j + l)), x1, acc[r][1]);
            }
            j += 2 * l;
        }
        if j + l <= n {
            let x0 = S::load(x.add(j));
            for r in 0..R {
                acc[r][0] = S::mul_add(S::load(rows[r].add(j)), x0, acc[r][0]);
            }
            j += l;
        }
        if j < n {
            let x1 = S::load_first(x.add(j), n - j);
            for r in 0..R {
                acc[r][1] = S::mul_add(S::load_first(rows[r].add(j), n - j), x1, acc[r][1]);
            }
        }
        let mut out = [S::Elem::ZERO; R];
        for r in 0..R {
            out[r] = S::sum(S::add(acc[r][0], acc[r][1]));
        }
        out
    }
}

/// Rows handled together by the matrix·vector kernels: 4 rows × 2 accumulators = 8
/// independent FMA chains, enough to cover the FMA latency (4 cycles × 2 ports), while
/// each vector of x (or of y, in Wᵀ·x) is loaded once per 4 rows.
const ROWS: usize = 4;

/// y ← α·A·x + β·y, A m×n row-major with row stride `lda`; β = 0 overwrites y.
///
/// # Safety
/// The CPU supports `S`'s instruction set; `lda >= n`, `a.len() >= (m − 1)·lda + n` (when
/// m, n > 0), `x.len() >= n`, `y.len() >= m`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub unsafe fn gemv<S: Lanes>(
    m: usize,
    n: usize,
    alpha: S::Elem,
    a: &[S::Elem],
    lda: usize,
    x: &[S::Elem],
    beta: S::Elem,
    y: &mut [S::Elem],
) {
    let update = |yi: &mut S::Elem, s: S::Elem| {
        *yi = if beta == S::Elem::ZERO { alpha * s } else { beta * *yi + alpha * s };
    };
    if n == 0 {
        // Empty rows (A may be empty too, whatever lda is): y ← β·y.
        y[..m].iter_mut().for_each(|yi| update(yi, S::Elem::ZERO));
        return;
    }
    let ap = a.as_ptr();
    let mut i = 0;
    // With 32 registers, 8 rows (16 chains) keep more loads of A in flight.
    while S::REGISTERS >= 32 && i + 2 * ROWS <= m {
        // SAFETY: rows i..i + 2·ROWS < m start at `r·lda` and hold n elements inside `a`
        // (contract), x holds n; the instruction set is present.
        let s = unsafe { dot_rows::<S, { 2 * ROWS }>(n, core::array::from_fn(|r| ap.add((i + r) * lda)), x.as_ptr()) };
        for (yi, s) in y[i..i + 2 * ROWS].iter_mut().zip(s) {
            update(yi, s);
        }
        i += 2 * ROWS;
    }
    while i + ROWS <= m {
        // SAFETY: rows i..i + ROWS < m start at `r·lda` and hold n elements inside `a`
        // (contract), x holds n; the instruction set is present.
        let s = unsafe { dot_rows::<S, ROWS>(n, core::array::from_fn(|r| ap.add((i + r) * lda)), x.as_ptr()) };
        for (yi, s) in y[i..i + ROWS].iter_mut().zip(s) {
            update(yi, s);
        }
        i += ROWS;
    }
    while i < m {
        // SAFETY: as above, for the single row i < m.
        let [s] = unsafe { dot_rows::<S, 1>(n, [ap.add(i * lda)], x.as_ptr()) };
        update(&mut y[i], s);
        i += 1;
    }
}

/// y ← α·Aᵀ·x + β·y, A m×n row-major with row stride `lda`, as a sweep of axpys over the
/// rows of A (Aᵀ is never formed); β = 0 overwrites y.
///
/// # Safety
/// The CPU supports `S`'s instruction set; `lda >= n`, `a.len() >= (m − 1)·lda + n` (when
/// m, n > 0), `x.len() >= m`, `y.len() >= n`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub unsafe fn gemv_t<S: Lanes>(
    m: usize,
    n: usize,
    alpha: S::Elem,
    a: &[S::Elem],
    lda: usize,
    x: &[S::Elem],
    beta: S::Elem,
    y: &mut [S::Elem],
) {
    let y = &mut y[..n];
    if beta == S::Elem::ZERO {
        y.fill(S::Elem::ZERO);
    } else if beta != S::Elem::ONE {
        for yi in y.iter_mut() {
            *yi *= beta;
        }
    }
    if n == 0 {
        // Empty rows: nothing to add (and A may be empty, whatever lda is).
        return;
    }
    let ap = a.as_ptr();
    let mut i = 0;
    // With 32 registers, 8 rows per pass halve the loads and stores of y.
    while S::REGISTERS >= 32 && i + 2 * ROWS <= m {
        let s: [S::Elem; 2 * ROWS] = core::array::from_fn(|r| alpha * x[i + r]);
        // SAFETY: rows i..i + 2·ROWS < m hold n elements each inside `a` (contract), y
        // holds n and is a separate `&mut`; the instruction set is present.
        unsafe { axpy_rows::<S, { 2 * ROWS }>(n, s, core::array::from_fn(|r| ap.add((i + r) * lda)), y.as_mut_ptr()) };
        i += 2 * ROWS;
    }
    while i + ROWS <= m {
        let s: [S::Elem; ROWS] = core::array::from_fn(|r| alpha * x[i + r]);
        // SAFETY: rows i..i + ROWS < m hold n elements each inside `a` (contract), y holds
        // n and is a separate `&mut`; the instruction set is present.
        unsafe { axpy_rows::<S, ROWS>(n, s, core::array::from_fn(|r| ap.add((i + r) * lda)), y.as_mut_ptr()) };
        i += ROWS;
    }
    while i < m {
        // SAFETY: as above, for the single row i < m.
        unsafe { axpy_rows::<S, 1>(n, [alpha * x[i]], [ap.add(i * lda)], y.as_mut_ptr()) };
        i += 1;
    }
}

/// A ← β·A + α·x·yᵀ, A m×n row-major with row stride `lda`: row i becomes
/// (α·xᵢ)·y + β·row, with one fused multiply-add per element (β·row rounded first; β = 0
/// overwrites the row without reading it, β = 1 adds to it). Four rows share each load
/// of y. As the k = 1 case of a matrix product, this writes C in one pass.
///
/// # Safety
/// The CPU supports `S`'s instruction set; `lda >= n`, `a.len() >= (m − 1)·lda + n` (when
/// m, n > 0), `x.len() >= m`, `y.len() >= n`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub unsafe fn ger<S: Lanes>(
    m: usize,
    n: usize,
    alpha: S::Elem,
    x: &[S::Elem],
    y: &[S::Elem],
    beta: S::Elem,
    a: &mut [S::Elem],
    lda: usize,
) {
    if n == 0 {
        // Empty rows: nothing to update (and A may be empty, whatever lda is).
        return;
    }
    // SAFETY: forwarded from this function's contract; β is the one `rows` is given.
    unsafe {
        if beta == S::Elem::ONE {
            ger_rows::<S, ADD>(m, n, alpha, x, y, beta, a, lda);
        } else if beta == S::Elem::ZERO {
            ger_rows::<S, OVERWRITE>(m, n, alpha, x, y, beta, a, lda);
        } else {
            ger_rows::<S, SCALE>(m, n, alpha, x, y, beta, a, lda);
        }
    }
}

/// How [`add_to_rows`] combines with the old row: β = 1, β = 0, any other β.
const ADD: u8 = 0;
const OVERWRITE: u8 = 1;
const SCALE: u8 = 2;

/// [`ger`] for the β given by `MODE` (one of [`ADD`], [`OVERWRITE`], [`SCALE`]), so that
/// the inner loop has no branch on it.
///
/// # Safety
/// As for [`ger`], with n > 0.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
unsafe fn ger_rows<S: Lanes, const MODE: u8>(
    m: usize,
    n: usize,
    alpha: S::Elem,
    x: &[S::Elem],
    y: &[S::Elem],
    beta: S::Elem,
    a: &mut [S::Elem],
    lda: usize,
) {
    let ap = a.as_mut_ptr();
    let mut i = 0;
    // With 32 registers, 8 rows share each load of y.
    while S::REGISTERS >= 32 && i + 2 * ROWS <= m {
        let s: [S::Elem; 2 * ROWS] = core::array::from_fn(|r| alpha * x[i + r]);
        // SAFETY: rows i..i + 2·ROWS < m hold n writable elements each inside `a`
        // (contract), do not overlap each other (lda >= n) nor y (a separate borrow).
        unsafe {
            add_to_rows::<S, { 2 * ROWS }, MODE>(
                n,
                s,
                y.as_ptr(),
                beta,
                core::array::from_fn(|r| ap.add((i + r) * lda)),
            );
        };
        i += 2 * ROWS;
    }
    while i + ROWS <= m {
        let s: [S::Elem; ROWS] = core::array::from_fn(|r| alpha * x[i + r]);
        // SAFETY: rows i..i + ROWS < m hold n writable elements each inside `a` (contract),
        // do not overlap each other (lda >= n) nor y (a separate borrow), y holds n.
        unsafe {
            add_to_rows::<S, ROWS, MODE>(n, s, y.as_ptr(), beta, core::array::from_fn(|r| ap.add((i + r) * lda)));
        };
        i += ROWS;
    }
    while i < m {
        // SAFETY: as above, for the single row i < m.
        unsafe { add_to_rows::<S, 1, MODE>(n, [alpha * x[i]], y.as_ptr(), beta, [ap.add(i * lda)]) };
        i += 1;
    }
}

/// rowᵣ ← sᵣ·y + β·rowᵣ for R rows of n elements (β by `MODE`, see [`ger_rows`]): the
/// inner loop of the rank-1 update.
///
/// # Safety
/// The CPU supports `S`'s instruction set; `y` points at n readable elements and each
/// `rows[r]` at n writable ones, none overlapping another.
#[inline(always)]
unsafe fn add_to_rows<S: Lanes, const R: usize, const MODE: u8>(
    n: usize,
    s: [S::Elem; R],
    y: *const S::Elem,
    beta: S::Elem,
    rows: [*mut S::Elem; R],
) {
    let l = S::LANES;
    // SAFETY: the instruction set is present (contract); loads and stores touch
    // `j..j + l` with `j + l <= n`, or the last `n - j` elements, of y and of each row.
    unsafe {
        let mut sv = [S::zero(); R];
        for r in 0..R {
            sv[r] = S::splat(s[r]);
        }
        let beta_v = S::splat(beta);
        // The old row as it enters the sum: itself, nothing, or β times it.
        let old = |v: S::V| match MODE {
            ADD => v,
            OVERWRITE => S::zero(),
            _ => S::mul(beta_v, v),
        };
        let mut j = 0;
        while j + l <= n {
            let yv = S::load(y.add(j));
            for r in 0..R {
                let c = if MODE == OVERWRITE { S::zero() } else { old(S::load(rows[r].add(j))) };
                S::store(rows[r].add(j), S::mul_add(sv[r], yv, c));
            }
            j += l;
        }
        if j < n {
            let w = n - j;
            let yv = S::load_first(y.add(j), w);
            for r in 0..R {
                let c = if MODE == OVERWRITE { S::zero() } else { old(S::load_first(rows[r].add(j), w)) };
                S::store_first(rows[r].add(j), w, S::mul_add(sv[r], yv, c));
            }
        }
    }
}
