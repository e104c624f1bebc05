//! Matrix kernels behind [`Matrix`](crate::Matrix): dot, axpy, matrix·vector (W·x and
//! Wᵀ·x), the rank-1 update x·yᵀ and the matrix product in its three training forms.
//!
//! # Layout
//! - `mod.rs` (this file): the kernel tables ([`Ops`]), the safe entry points, the choice
//!   of instruction set (once per process), and the plan of a matrix product: degenerate
//!   products (one row, one column, k = 1) to the matrix·vector kernels, the rest to the
//!   kernel table's `gemm` by its route, and the split of C between threads;
//! - `view`: the operands, [`MatRef`] and [`MatMut`], whose constructors check once that
//!   their slice holds the shape, before any unsafe code runs;
//! - `route`: which algorithm computes a product, chosen from the whole product's shape
//!   with one table of constants per instruction set and precision;
//! - [`portable`]: plain loops, the fallback on every target and the oracle the tests
//!   compare the SIMD kernels with;
//! - `simd/`: the SIMD kernel bodies, written once over a register type (`Lanes`): the
//!   vector and matrix·vector kernels, a packed, register-blocked GEMM, GEMMs by tiles
//!   of dot products and down columns for narrow products such as those of a small batch,
//!   and one for products too small to pay for the others' setup;
//! - `x86_64/`: the register type, the `#[target_feature]` wrappers and the routing tables
//!   for AVX-512F and AVX2 + FMA; `aarch64/`: the same for NEON;
//! - `scratch`: the per-thread buffer the GEMMs pack into, grown once and reused, so that
//!   after the first call at a given shape no kernel allocates.
//!
//! Every other target runs the portable loops.
//!
//! # Choosing the kernels
//! The most capable instruction set the CPU has is used: AVX-512F, then AVX2 + FMA (or
//! NEON on AArch64), then the portable loops. The environment variable `BACKPROP_KERNEL`
//! (`portable`, `avx2`, `avx512` or `neon`) forces one, read once on first use; a value
//! that is none of these, or a set the CPU lacks, falls back to the best one it has and
//! says so once on stderr. [`selected`] names the set in use.

#[cfg(target_arch = "aarch64")]
mod aarch64;
pub mod portable;
mod route;
mod scratch;
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
mod simd;
#[cfg(test)]
mod tests;
mod view;
#[cfg(target_arch = "x86_64")]
mod x86_64;

use core::any::Any;
use std::sync::OnceLock;

use self::route::{Blocking, Route, Shape, Tuning};
use self::scratch::scratch;
pub use self::view::{MatMut, MatRef};
use crate::Float;

/// Whether a matrix operand is used as stored or transposed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transpose {
    /// Use the operand as stored.
    No,
    /// Use the operand transposed (without forming the transpose).
    Yes,
}

/// y ← α·A·x + β·y (or its transposed form) as a kernel-table entry.
pub type GemvFn<T> = unsafe fn(usize, usize, T, &[T], usize, &[T], T, &mut [T]);

/// A ← β·A + α·x·yᵀ as a kernel-table entry: (m, n, α, x, y, β, A, lda).
pub type GerFn<T> = unsafe fn(usize, usize, T, &[T], &[T], T, &mut [T], usize);

/// C ← α·op(A)·op(B) + β·C as a kernel-table entry: (route, α, op(A), op(B), β, C), where C
/// is a block of a product, op(A) and op(B) start at the first row and column the block
/// reads, and `route` is the algorithm [`route::plan`] chose for the whole product.
pub type GemmFn<T> = unsafe fn(Route, T, MatRef<'_, T>, MatRef<'_, T>, T, MatMut<'_, T>);

/// One instruction set's kernels for one element type.
///
/// # Safety of the entries
/// Each entry may only be called when the CPU supports the instruction set of the [`Isa`]
/// holding it, with slices as long as the safe entry point of the same name ([`gemv`],
/// [`ger`], …) checks; for `gemm`, with op(A) covering C's rows, op(B) its columns, k > 0
/// and C not empty (as `gemm_kernel` asserts; the views hold their own lengths).
pub struct Ops<T> {
    /// x·y.
    pub dot: unsafe fn(&[T], &[T]) -> T,
    /// y ← α·x + y.
    pub axpy: unsafe fn(T, &[T], &mut [T]),
    /// y ← α·A·x + β·y.
    pub gemv: GemvFn<T>,
    /// y ← α·Aᵀ·x + β·y.
    pub gemv_t: GemvFn<T>,
    /// A ← β·A + α·x·yᵀ (β = 0 overwrites A without reading it).
    pub ger: GerFn<T>,
    /// C ← α·op(A)·op(B) + β·C, for shapes with m, n, k all > 1 (the rest is routed to
    /// the matrix·vector entries first).
    pub gemm: GemmFn<T>,
    /// The constants [`route::plan`] chooses `gemm`'s route with.
    pub tuning: Tuning,
    /// z ← z + b and a ← σ(z) for rows of z, a and one row b (see
    /// [`portable::bias_sigmoid`]).
    pub bias_sigmoid: unsafe fn(&mut [T], &[T], &mut [T]),
}

/// An instruction set and its kernels for `f32` and `f64`.
pub struct Isa {
    /// `"portable"`, `"avx2"`, `"avx512"` or `"neon"`.
    pub name: &'static str,
    /// The `f32` kernels.
    pub f32: Ops<f32>,
    /// The `f64` kernels.
    pub f64: Ops<f64>,
}

/// The portable loops have one route: the constants only matter for the split of a
/// product's last columns, which they do not make.
const PORTABLE_TUNING: Tuning = Tuning {
    lanes: 1,
    small: None,
    small_by_dots: None,
    cols: None,
    dots: route::Dots { max_n: 0, max_n_forward: 0, any_n_rows: 0, few_rows_max_n: None, narrow_from: None, kc: 1 },
    narrow: (0, Blocking { kc: 1, nc: 1 }),
    packed: Blocking { kc: 1, nc: 1 },
    split_last: false,
};

/// The plain loops of [`portable`]: safe, so callable on any CPU.
pub static PORTABLE: Isa = Isa {
    name: "portable",
    f32: Ops {
        dot: portable::dot::<f32>,
        axpy: portable::axpy::<f32>,
        gemv: portable::gemv::<f32>,
        gemv_t: portable::gemv_t::<f32>,
        ger: portable::ger::<f32>,
        gemm: portable::gemm::<f32>,
        tuning: PORTABLE_TUNING,
        bias_sigmoid: portable::bias_sigmoid::<f32>,
    },
    f64: Ops {
        dot: portable::dot::<f64>,
        axpy: portable::axpy::<f64>,
        gemv: portable::gemv::<f64>,
        gemv_t: portable::gemv_t::<f64>,
        ger: portable::ger::<f64>,
        gemm: portable::gemm::<f64>,
        tuning: PORTABLE_TUNING,
        bias_sigmoid: portable::bias_sigmoid::<f64>,
    },
};

/// The instruction sets this CPU supports, most capable first, [`PORTABLE`] last.
pub fn available() -> Vec<&'static Isa> {
    let mut sets = Vec::new();
    #[cfg(target_arch = "x86_64")]
    {
        if x86_64::has_avx512() {
            sets.push(&x86_64::AVX512);
        }
        if x86_64::has_avx2() {
            sets.push(&x86_64::AVX2);
        }
    }
    #[cfg(target_arch = "aarch64")]
    if aarch64::has_neon() {
        sets.push(&aarch64::NEON);
    }
    sets.push(&PORTABLE);
    sets
}

/// The instruction set in use: the most capable one available, unless `BACKPROP_KERNEL`
/// names another available one. Decided on the first call, then fixed for the process;
/// a value that names no available set is said once on stderr (see [`choose`]).
fn isa() -> &'static Isa {
    static SELECTED: OnceLock<&'static Isa> = OnceLock::new();
    SELECTED.get_or_init(|| {
        let forced = std::env::var("BACKPROP_KERNEL").ok();
        let (isa, warning) = choose(&available(), forced.as_deref());
        if let Some(warning) = warning {
            eprintln!("backprop: {warning}");
        }
        isa
    })
}

/// Every instruction set a build may have, named as `BACKPROP_KERNEL` names them.
const KERNEL_NAMES: [&str; 4] = ["avx512", "avx2", "neon", "portable"];

/// The set named by `forced` (the value of `BACKPROP_KERNEL`, surrounding spaces
/// ignored) if it is among `sets`, else the first of `sets`, the most capable. An unset
/// or empty value chooses silently; any other value that is not taken comes with the
/// warning to print, which names it, why it was not taken and the set used instead.
fn choose(sets: &[&'static Isa], forced: Option<&str>) -> (&'static Isa, Option<String>) {
    let best = sets[0];
    let Some(name) = forced.map(str::trim).filter(|name| !name.is_empty()) else { return (best, None) };
    if let Some(isa) = sets.iter().copied().find(|isa| isa.name == name) {
        return (isa, None);
    }
    let why = if KERNEL_NAMES.contains(&name) {
        let names: Vec<&str> = sets.iter().map(|isa| isa.name).collect();
        format!("this CPU does not support it (it has {})", names.join(", "))
    } else {
        format!("it is none of {}", KERNEL_NAMES.join(", "))
    };
    (best, Some(format!("BACKPROP_KERNEL={name:?} ignored: {why}; using {}", best.name)))
}

/// The name of the kernel set in use: `"avx512"`, `"avx2"`, `"neon"` or `"portable"`.
///
/// The most capable set the CPU supports is chosen on first use, unless the environment
/// variable `BACKPROP_KERNEL` names another one the CPU supports. Any other non-empty
/// value is ignored, with one line on stderr that says so.
pub fn selected() -> &'static str {
    isa().name
}

/// This element type's kernels in the instruction set `isa`: `isa.f32` or `isa.f64`.
///
/// `Any` picks the table by type in safe code (the test is on constants and folds away).
/// No trait of the crate's interface leads here: a `T: Float` bound gives no way to call a
/// kernel, so every product goes through the length checks of the safe entry points below
/// ([`dot`], [`gemv`], [`gemm_threaded`], …).
fn ops<T: Float>(isa: &'static Isa) -> &'static Ops<T> {
    let f32s: &'static dyn Any = &isa.f32;
    let f64s: &'static dyn Any = &isa.f64;
    f32s.downcast_ref().or_else(|| f64s.downcast_ref()).expect("`Float` is implemented for f32 and f64 only")
}

/// x·y.
///
/// # Panics
/// If the lengths differ.
#[inline]
#[track_caller]
pub fn dot<T: Float>(x: &[T], y: &[T]) -> T {
    assert_eq!(x.len(), y.len(), "dot: lengths {} and {} differ", x.len(), y.len());
    // SAFETY: `isa()` only returns sets the CPU supports; the lengths are equal.
    unsafe { (ops::<T>(isa()).dot)(x, y) }
}

/// z ← z + b and a ← σ(z), the logistic sigmoid, for the rows of z (each as long as
/// `bias`) and a.
///
/// # Panics
/// If `z` and `a` differ in length, or are not whole rows.
#[inline]
#[track_caller]
pub fn bias_sigmoid<T: Float>(z: &mut [T], bias: &[T], a: &mut [T]) {
    let rows_fit = if bias.is_empty() { z.is_empty() } else { z.len().is_multiple_of(bias.len()) };
    assert!(
        z.len() == a.len() && rows_fit,
        "bias_sigmoid: z has {} values, a {}, rows of {}",
        z.len(),
        a.len(),
        bias.len()
    );
    // SAFETY: `isa()` only returns sets the CPU supports; lengths checked above.
    unsafe { (ops::<T>(isa()).bias_sigmoid)(z, bias, a) }
}

/// y ← α·x + y.
///
/// # Panics
/// If the lengths differ.
#[inline]
#[track_caller]
pub fn axpy<T: Float>(alpha: T, x: &[T], y: &mut [T]) {
    assert_eq!(x.len(), y.len(), "axpy: lengths {} and {} differ", x.len(), y.len());
    // SAFETY: `isa()` only returns sets the CPU supports; the lengths are equal.
    unsafe { (ops::<T>(isa()).axpy)(alpha, x, y) }
}

/// y ← α·op(A)·x + β·y; β = 0 overwrites y.
///
/// # Panics
/// If x is shorter than op(A)'s columns or y than its rows.
#[track_caller]
pub fn gemv<T: Float>(alpha: T, a: MatRef<'_, T>, x: &[T], beta: T, y: &mut [T]) {
    let (m, n) = (a.n_rows(), a.n_cols());
    assert!(
        x.len() >= n && y.len() >= m,
        "gemv: op(A) is {m}×{n}, so x needs {n} and y {m}, got {} and {}",
        x.len(),
        y.len()
    );
    let ops = ops::<T>(isa());
    let (data, ld) = (a.data(), a.ld());
    // SAFETY: `isa()` only returns sets the CPU supports; `MatRef::new` checked that the
    // stored matrix (rows × cols of op(A) swapped when transposed) fits `data`, and the
    // vectors were checked above.
    unsafe {
        match a.trans() {
            Transpose::No => (ops.gemv)(m, n, alpha, data, ld, x, beta, y),
            Transpose::Yes => (ops.gemv_t)(n, m, alpha, data, ld, x, beta, y),
        }
    }
}

/// A ← A + α·x·yᵀ.
///
/// # Panics
/// If x is shorter than A's rows or y than its columns.
#[track_caller]
pub fn ger<T: Float>(alpha: T, x: &[T], y: &[T], mut a: MatMut<'_, T>) {
    let (m, n) = (a.n_rows(), a.n_cols());
    assert!(
        x.len() >= m && y.len() >= n,
        "ger: A is {m}×{n}, so x needs {m} and y {n}, got {} and {}",
        x.len(),
        y.len()
    );
    let ops = ops::<T>(isa());
    // SAFETY (both calls): `isa()` only returns sets the CPU supports; the block's elements
    // (all of them, or row i) are the slice passed, and x and y were checked above.
    match a.contiguous() {
        Some(all) => unsafe { (ops.ger)(m, n, alpha, x, y, T::ONE, all, n) },
        None => (0..m).for_each(|i| unsafe { (ops.ger)(1, n, alpha, &x[i..], y, T::ONE, a.row(i), n) }),
    }
}

/// C ← β·C; β = 0 overwrites C without reading it.
fn scale_rows<T: Float>(beta: T, c: &mut MatMut<'_, T>) {
    for i in 0..c.n_rows() {
        let row = c.row(i);
        if beta == T::ZERO {
            row.fill(T::ZERO);
        } else if beta != T::ONE {
            for ci in row.iter_mut() {
                *ci *= beta;
            }
        }
    }
}

/// How a product is computed, decided once from the shape of the whole product (and α)
/// and handed to every block of it: a product whose whole C is one row or one column, or
/// whose k is 1, is a matrix·vector product, a dot product (1×k×1) or a rank-1 update and
/// goes to those kernels (a batch of one sample runs at matrix·vector speed), or, for a
/// rank-1 product that is itself one column or one row, to a vector update; the rest goes
/// to the kernel table's `gemm` by the [`Route`] of [`route::plan`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Plan {
    /// k = 0 or α = 0: C ← β·C.
    Scale,
    /// k = 1 and C one column (or one row): c ← β·c + (α·s)·w.
    VectorUpdate,
    /// C is 1×1: a dot product.
    Dot,
    /// C is one row: c ← α·op(B)ᵀ·a + β·c.
    RowTimesB,
    /// C is one column: c ← α·op(A)·b + β·c.
    ATimesColumn,
    /// k = 1: C ← β·C + α·u·vᵀ.
    Rank1,
    /// The kernel table's `gemm`, by `route`; with `last`, C's last columns (see
    /// [`route::last_register`]) by that route, as a product of their own.
    Kernel {
        /// The route of C (or of all but its last columns).
        route: Route,
        /// The route of C's last block of at most one register of columns, if apart.
        last: Option<Route>,
    },
}

/// The [`Plan`] of the product of shape `shape` with `ops`' kernels.
fn plan<T: Float>(ops: &Ops<T>, shape: Shape, alpha: T) -> Plan {
    let Shape { m, k, n, .. } = shape;
    if k == 0 || alpha == T::ZERO {
        Plan::Scale
    } else if k == 1 && (n == 1 || m == 1) {
        Plan::VectorUpdate
    } else if m == 1 && n == 1 {
        Plan::Dot
    } else if m == 1 {
        Plan::RowTimesB
    } else if n == 1 {
        Plan::ATimesColumn
    } else if k == 1 {
        Plan::Rank1
    } else {
        let t = &ops.tuning;
        let route = route::plan(t, shape);
        let last = match route {
            Route::Packed(_) if t.split_last => {
                route::last_register(t.lanes, n).map(|j0| route::plan(t, Shape { n: n - j0, ..shape }))
            }
            _ => None,
        };
        Plan::Kernel { route, last }
    }
}

/// C ← α·op(A)·op(B) + β·C with the kernels `ops` as `plan` says, where C (`c`, m×n with
/// row stride `ldc`) is a block of shape `shape` and its operands are the rows of op(A) and columns of
/// op(B) that the block reads. The plan is that of the whole product, so every block of a
/// split product is computed exactly as in the whole one.
#[allow(clippy::too_many_arguments)]
fn gemm_planned<T: Float>(
    ops: &Ops<T>,
    plan: Plan,
    shape: &Shape,
    alpha: T,
    a_op: MatRef<'_, T>,
    b_op: MatRef<'_, T>,
    beta: T,
    mut c: MatMut<'_, T>,
) {
    use Transpose::{No, Yes};
    let (m, n, k) = (c.n_rows(), c.n_cols(), shape.k);
    if m == 0 || n == 0 {
        return;
    }
    let (a, lda, ta) = (a_op.data(), a_op.ld(), a_op.trans());
    let (b, ldb, tb) = (b_op.data(), b_op.ld(), b_op.trans());
    // Every kernel call below is safe for the same two reasons: `ops` belongs to a set the
    // CPU supports (the callers take it from `isa()` or, in tests, from `available()`), and
    // the views' constructors checked that their slices hold them: each call passes an
    // operand with the shape and stride it has in op(A)·op(B), as the comments say, or a
    // gathered copy of the exact length.
    match plan {
        Plan::Scale => scale_rows(beta, &mut c),
        Plan::VectorUpdate => {
            // C is one column (u·v₀) or one row (u₀·vᵀ, v the one row of B or a column of the
            // stored Bᵀ): a vector w scaled by the one element s of the other operand,
            // c ← β·c + (α·s)·w. Contiguous (as when the stored operand is itself one column
            // or row), that is the rank-1 kernel on one row; strided, a plain loop, where the
            // vector kernels would spend a whole (masked) register on every element.
            let (len, s, w, w_step) = if shape.n == 1 {
                (m, b[0], a, if ta == No { lda } else { 1 })
            } else {
                (n, a[0], b, if tb == No { 1 } else { ldb })
            };
            // The choice depends on the whole product (C's stride, not a block's rows): the
            // kernel and the loop round differently.
            let c_step = if shape.n == 1 { c.ld() } else { 1 };
            let by_kernel = w_step == 1
                && c_step == 1
                && match c.contiguous() {
                    // SAFETY: supported set; x is one element, y = w and the row c have `len`.
                    Some(c) => unsafe {
                        (ops.ger)(1, len, alpha, &[s], &w[..len], beta, c, len);
                        true
                    },
                    None => false,
                };
            if !by_kernel {
                let alpha_s = alpha * s;
                for i in 0..len {
                    let ci = if shape.n == 1 { &mut c.row(i)[0] } else { &mut c.row(0)[i] };
                    let old = if beta == T::ZERO { T::ZERO } else { beta * *ci };
                    *ci = alpha_s * w[i * w_step] + old;
                }
            }
        }
        Plan::Dot => {
            // c ← α·(a·b) + β·c, a = the one row of op(A), b = the one column of op(B): a dot
            // product (each operand gathered first if strided).
            let mut buf = scratch::<T>(2 * k);
            let (xb, yb) = buf.split_at_mut(k);
            let x: &[T] = match ta {
                No => &a[..k],
                Yes if lda == 1 => &a[..k],
                Yes => {
                    for (p, xp) in xb.iter_mut().enumerate() {
                        *xp = a[p * lda];
                    }
                    xb
                }
            };
            let y: &[T] = match tb {
                Yes => &b[..k],
                No if ldb == 1 => &b[..k],
                No => {
                    for (p, yp) in yb.iter_mut().enumerate() {
                        *yp = b[p * ldb];
                    }
                    yb
                }
            };
            // SAFETY: supported set; x and y both have k elements.
            let s = alpha * unsafe { (ops.dot)(x, y) };
            let c = &mut c.row(0)[0];
            *c = if beta == T::ZERO { s } else { beta * *c + s };
        }
        Plan::RowTimesB => {
            // cⱼ ← α·Σₚ aₚ·op(B)ₚⱼ + β·cⱼ, a = the one row of op(A) (k elements, stride lda if Aᵀ).
            let mut buf = scratch::<T>(k);
            let x: &[T] = match ta {
                No => &a[..k],
                Yes if lda == 1 => &a[..k],
                Yes => {
                    for (p, xp) in buf.iter_mut().enumerate() {
                        *xp = a[p * lda];
                    }
                    &buf
                }
            };
            match tb {
                // op(B) = B, k×n: c ← α·Bᵀ·a + β·c.
                // SAFETY: supported set; B is k×n with stride ldb, x has k, c has n (see above).
                No => unsafe { (ops.gemv_t)(k, n, alpha, b, ldb, x, beta, c.row(0)) },
                // op(B) = Bᵀ, B n×k: c ← α·B·a + β·c.
                // SAFETY: supported set; B is n×k with stride ldb, x has k, c has n (see above).
                Yes => unsafe { (ops.gemv)(n, k, alpha, b, ldb, x, beta, c.row(0)) },
            }
        }
        Plan::ATimesColumn => {
            // cᵢ ← α·Σₚ op(A)ᵢₚ·bₚ + β·cᵢ, b = the one column of op(B), c a column of C.
            let mut buf = scratch::<T>(k + m);
            let (xb, yb) = buf.split_at_mut(k);
            let x: &[T] = match tb {
                No if ldb == 1 => &b[..k],
                No => {
                    for (p, xp) in xb.iter_mut().enumerate() {
                        *xp = b[p * ldb];
                    }
                    xb
                }
                Yes => &b[..k],
            };
            let contiguous = c.contiguous().is_some();
            let y: &mut [T] = match c.contiguous() {
                Some(y) => y,
                None => {
                    for (i, yi) in yb.iter_mut().enumerate() {
                        *yi = c.row(i)[0];
                    }
                    &mut *yb
                }
            };
            match ta {
                // op(A) = A, m×k: y ← α·A·b + β·y.
                // SAFETY: supported set; A is m×k with stride lda, x has k, y has m (see above).
                No => unsafe { (ops.gemv)(m, k, alpha, a, lda, x, beta, y) },
                // op(A) = Aᵀ, A k×m: y ← α·Aᵀ·b + β·y.
                // SAFETY: supported set; A is k×m with stride lda, x has k, y has m (see above).
                Yes => unsafe { (ops.gemv_t)(k, m, alpha, a, lda, x, beta, y) },
            }
            if !contiguous {
                for (i, &yi) in yb.iter().enumerate() {
                    c.row(i)[0] = yi;
                }
            }
        }
        Plan::Rank1 => {
            // C ← β·C + α·u·vᵀ, u = the column of op(A), v = the row of op(B), in one pass
            // over C.
            let mut buf = scratch::<T>(m + n);
            let (ub, vb) = buf.split_at_mut(m);
            let u: &[T] = match ta {
                No if lda == 1 => &a[..m],
                No => {
                    for (i, ui) in ub.iter_mut().enumerate() {
                        *ui = a[i * lda];
                    }
                    ub
                }
                Yes => &a[..m],
            };
            let v: &[T] = match tb {
                No => &b[..n],
                Yes if ldb == 1 => &b[..n],
                Yes => {
                    for (j, vj) in vb.iter_mut().enumerate() {
                        *vj = b[j * ldb];
                    }
                    vb
                }
            };
            match c.contiguous() {
                // SAFETY: supported set; u has m, v has n, C's m×n elements are `all`.
                Some(all) => unsafe { (ops.ger)(m, n, alpha, u, v, beta, all, n) },
                // SAFETY: supported set; u has m, v has n, row i of C n elements.
                None => (0..m).for_each(|i| unsafe { (ops.ger)(1, n, alpha, &u[i..], v, beta, c.row(i), n) }),
            }
        }
        Plan::Kernel { route, last } => {
            gemm_kernel(ops, route, last, alpha, a_op, b_op, beta, c);
        }
    }
}

/// C ← α·op(A)·op(B) + β·C by the kernel table's `gemm`, C a block of a product (op(A)
/// and op(B) from the first row and column the block reads), by `route`; with `last`, C's
/// last columns (see [`route::last_register`]) by that route, as a product of their own.
///
/// # Panics
/// If op(A) has fewer rows than C, op(B) fewer columns, or their k differ.
#[allow(clippy::too_many_arguments)]
fn gemm_kernel<T: Float>(
    ops: &Ops<T>,
    route: Route,
    last: Option<Route>,
    alpha: T,
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    beta: T,
    c: MatMut<'_, T>,
) {
    assert!(
        a.n_rows() >= c.n_rows() && b.n_cols() >= c.n_cols() && a.n_cols() == b.n_rows(),
        "gemm: op(A) {}×{} and op(B) {}×{} do not make C {}×{}",
        a.n_rows(),
        a.n_cols(),
        b.n_rows(),
        b.n_cols(),
        c.n_rows(),
        c.n_cols()
    );
    if c.n_rows() == 0 || c.n_cols() == 0 || a.n_cols() == 0 {
        return;
    }
    let (c, right) = match last.zip(route::last_register(ops.tuning.lanes, c.n_cols())) {
        Some((last, j0)) => {
            let (left, right) = c.split_at_col(j0);
            (left, Some((last, right, b.cols_from(j0))))
        }
        None => (c, None),
    };
    // SAFETY: `ops` is a set the CPU supports (the callers take it from `isa()` or, in
    // tests, from `available()`); the views' constructors checked that their slices hold
    // them, and op(A), op(B) cover C (asserted above; the last columns' op(B) from their
    // first column); k > 0 and C is not empty.
    unsafe {
        (ops.gemm)(route, alpha, a, b, beta, c);
        if let Some((last, right, b)) = right {
            (ops.gemm)(last, alpha, a, b, beta, right);
        }
    }
}

/// C ← α·op(A)·op(B) + β·C on up to `threads` threads: the product of
/// [`Matrix::gemm`](crate::Matrix::gemm) on strided views (op(A) is m×k, op(B) k×n, C
/// m×n; β = 0 overwrites C without reading it).
///
/// The product is planned once, from its whole shape ([`Plan`], [`route::plan`]); then C
/// is split into blocks of whole rows (or, when C is a single row or much wider than tall,
/// of whole columns: see [`splits_columns`]), one per job of [`crate::parallel::run`], the
/// calling thread taking the first one, and every block computed by that plan. The k
/// dimension is never split, so the result is bitwise identical for every thread count.
/// Products below [`THREADED_MIN_FLOPS`](crate::parallel::THREADED_MIN_FLOPS), or
/// `threads <= 1`, run on the calling thread.
///
/// C may itself be rows of a larger product of `full_m` rows (a data-parallel pass gives
/// each thread some rows of a batch): the plan is then made for `full_m` rows, so that the
/// rows come out as they would from the whole product. `full_m = m` for a whole one.
///
/// The workers are the persistent threads of [`crate::parallel`], so their packing
/// scratch is kept from call to call; each threaded call allocates only its small list of
/// jobs.
///
/// # Panics
/// If op(A), op(B) and C do not have the shapes of a product.
#[track_caller]
pub fn gemm_threaded<T: Float>(
    threads: usize,
    full_m: usize,
    alpha: T,
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    beta: T,
    c: MatMut<'_, T>,
) {
    let (m, k, n) = (c.n_rows(), a.n_cols(), c.n_cols());
    assert!(
        a.n_rows() == m && b.n_rows() == k && b.n_cols() == n,
        "gemm: op(A) is {}×{k} and op(B) {}×{}, which cannot make C {m}×{n}",
        a.n_rows(),
        b.n_rows(),
        b.n_cols()
    );
    let flops = 2usize.saturating_mul(m).saturating_mul(k).saturating_mul(n);
    let ops = ops::<T>(isa());
    let shape = Shape { m: full_m.max(m), k, n, ta: a.trans(), tb: b.trans() };
    let plan = plan(ops, shape, alpha);
    if threads <= 1 || flops < crate::parallel::THREADED_MIN_FLOPS || (m == 1 && shape.m > 1) {
        return gemm_planned(ops, plan, &shape, alpha, a, b, beta, c);
    }
    if let Plan::Kernel { route, last } = plan
        && splits_columns(m, n, threads)
    {
        return gemm_column_blocks(ops, threads, (route, last), alpha, a, b, beta, c);
    }
    // One job per block of C; the pool runs the first on this thread. Each block gets
    // whole rows (or, for a single row, whole columns), so no element is summed by two
    // threads.
    let mut jobs = Vec::with_capacity(threads);
    let mut rest = c;
    if m > 1 {
        for w in crate::parallel::row_blocks(m, threads).windows(2) {
            let block;
            (block, rest) = rest.split_at_row(w[1] - w[0]);
            jobs.push((a.rows_from(w[0]), b, block));
        }
    } else {
        let cols = n.div_ceil(threads);
        let mut j0 = 0;
        while j0 < n {
            let block;
            (block, rest) = rest.split_at_col(cols.min(n - j0));
            jobs.push((a, b.cols_from(j0), block));
            j0 += cols;
        }
    }
    let mut closures: Vec<_> = jobs
        .into_iter()
        .map(|(a, b, mut c)| move || gemm_planned(ops, plan, &shape, alpha, a, b, beta, c.reborrow()))
        .collect();
    let mut refs: Vec<&mut (dyn FnMut() + Send)> = closures.iter_mut().map(|f| f as _).collect();
    crate::parallel::run(&mut refs);
}

/// Blocks of columns of a C split by [`gemm_column_blocks`] are at least this wide: each
/// block packs all of op(A) again, which pays only over enough columns. (The bits do not
/// depend on the width: every block takes the plan of the whole product.)
const COLUMN_BLOCK_MIN: usize = 256;

/// Blocks of columns start at multiples of this (the widest tile, 32 `f32` columns of
/// AVX-512), so that no block but the last has a partial tile.
const COLUMN_BLOCK_ALIGN: usize = 32;

/// Whether [`gemm_threaded`] splits C (m×n, more than one row) by columns rather than by
/// rows: when C is at least twice as wide as tall and wide enough for two blocks. Each
/// thread packs the part of op(B) its block reads and all of op(A); split by rows it would
/// be the other way round, so the split by columns packs less when n > m. Measured with the
/// weight gradient of a 100-neuron layer at batch 128 (C 100×784) on two threads: 75 µs
/// against 97 µs split by rows (52 and 48 rows: five 12-row tiles against four).
///
/// Only a product planned for the kernel table's `gemm` is split by columns (the others
/// are matrix·vector products, rank-1 updates or a scaling).
fn splits_columns(m: usize, n: usize, threads: usize) -> bool {
    m > 1 && n >= 2 * m && threads > 1 && n >= 2 * COLUMN_BLOCK_MIN
}

/// The threaded product of [`gemm_threaded`] with C split into blocks of whole columns
/// (see [`splits_columns`]), one per thread, each at least [`COLUMN_BLOCK_MIN`] wide.
fn gemm_column_blocks<T: Float>(
    ops: &'static Ops<T>,
    threads: usize,
    (route, last): (Route, Option<Route>),
    alpha: T,
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    beta: T,
    c: MatMut<'_, T>,
) {
    let n = c.n_cols();
    let blocks = threads.min(n / COLUMN_BLOCK_MIN);
    // Every block but the last is `cols` wide, rounded down to whole tiles: the first one
    // runs on the calling thread, which also hands out the jobs.
    let cols = (n / blocks) / COLUMN_BLOCK_ALIGN * COLUMN_BLOCK_ALIGN;
    let mut jobs = Vec::with_capacity(blocks);
    let mut rest = c;
    let mut j0 = 0;
    while j0 < n {
        let nc = if jobs.len() + 1 == blocks { n - j0 } else { cols };
        let block;
        (block, rest) = rest.split_at_col(nc);
        jobs.push((b.cols_from(j0), block));
        j0 += nc;
    }
    // Every block but the last is a whole number of tiles wide, so only the last one has
    // last columns to split off, those of the whole C.
    let mut closures: Vec<_> = jobs
        .into_iter()
        .map(|(b, mut c)| move || gemm_kernel(ops, route, last, alpha, a, b, beta, c.reborrow()))
        .collect();
    let mut refs: Vec<&mut (dyn FnMut() + Send)> = closures.iter_mut().map(|f| f as _).collect();
    crate::parallel::run(&mut refs);
}
