//! x86-64 kernels: AVX-512F and AVX2 + FMA.
//!
//! [`lanes`] implements the register type of the generic bodies in
//! [`simd`](super::simd) for both instruction sets. This file holds the thin `#[target_feature]` wrappers that compile those bodies for
//! each instruction set, and the two kernel tables, [`AVX512`] and [`AVX2`], that the
//! dispatcher in the parent module picks from after checking the CPU.

mod lanes;

use self::lanes::{Avx2, Avx512};
use super::simd::gemm::Blocking;
use super::simd::{Lanes, gemm, gemm_cols, gemm_dots, gemm_small, vector};
use super::{BlockMut, Isa, Ops, Transpose};

/// Whether the CPU running us has AVX-512F (and the AVX2 and FMA it implies).
pub fn has_avx512() -> bool {
    is_x86_feature_detected!("avx512f") && has_avx2()
}

/// Whether the CPU running us has AVX2 and FMA.
pub fn has_avx2() -> bool {
    is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")
}

/// The AVX-512F kernels. Only valid to call when [`has_avx512`] is true.
pub static AVX512: Isa = Isa {
    name: "avx512",
    f32: Ops {
        dot: dot_avx512::<f32>,
        axpy: axpy_avx512::<f32>,
        gemv: gemv_avx512::<f32>,
        gemv_t: gemv_t_avx512::<f32>,
        ger: ger_avx512::<f32>,
        gemm: sgemm_avx512,
        bias_sigmoid: bias_sigmoid_avx512::<f32>,
    },
    f64: Ops {
        dot: dot_avx512::<f64>,
        axpy: axpy_avx512::<f64>,
        gemv: gemv_avx512::<f64>,
        gemv_t: gemv_t_avx512::<f64>,
        ger: ger_avx512::<f64>,
        gemm: dgemm_avx512,
        bias_sigmoid: bias_sigmoid_avx512::<f64>,
    },
};

/// The AVX2 + FMA kernels. Only valid to call when [`has_avx2`] is true.
pub static AVX2: Isa = Isa {
    name: "avx2",
    f32: Ops {
        dot: dot_avx2::<f32>,
        axpy: axpy_avx2::<f32>,
        gemv: gemv_avx2::<f32>,
        gemv_t: gemv_t_avx2::<f32>,
        ger: ger_avx2::<f32>,
        gemm: sgemm_avx2,
        bias_sigmoid: bias_sigmoid_avx2::<f32>,
    },
    f64: Ops {
        dot: dot_avx2::<f64>,
        axpy: axpy_avx2::<f64>,
        gemv: gemv_avx2::<f64>,
        gemv_t: gemv_t_avx2::<f64>,
        ger: ger_avx2::<f64>,
        gemm: dgemm_avx2,
        bias_sigmoid: bias_sigmoid_avx2::<f64>,
    },
};

/// How many registers wide [`gemm_small`] should make its rows for C ← α·op(A)·op(B) + β·C,
/// if the product is small enough for it: C at most `max_nv` registers of `lanes` wide (4
/// rows of 4 registers are 16 accumulators, too many for the 16 registers of AVX2), the copy
/// of op(B) within [`gemm_small::B_LEN`], k ≤ [`gemm_small::MAX_K`], and at most
/// [`SMALL_MAX`] multiply-adds in the whole product (`full_m` rows), so that a split of C
/// between threads takes the same route in every block.
fn small_width(full_m: usize, k: usize, n: usize, lanes: usize, max_nv: usize) -> Option<usize> {
    let nv = [1, 2, 4].into_iter().take_while(|&nv| nv <= max_nv).find(|nv| n <= nv * lanes)?;
    let fits = k <= gemm_small::MAX_K && k * nv * lanes <= gemm_small::B_LEN;
    (fits && full_m.saturating_mul(k).saturating_mul(n) <= SMALL_MAX).then_some(nv)
}

/// Whether a small A·Bᵀ (both operands stored along k) goes to the dot products rather
/// than to [`gemm_small`], whose copy of op(B), zero-padded to whole registers and written
/// element by element from the rows of Bᵀ, is shared by few rows: k ≥ 64, or k ≥ 32 with
/// at most 8 rows in the whole product (C at most 28 columns, as for [`use_dots`]).
/// Measured in `f32` on a Zen 4 against the `gemm` crate (`benches/gemm_grid.rs`): 3 rows,
/// k = 64: 0.14-0.19× → 0.33-0.51×; 8 rows, k = 33-64: 0.34-0.71× → 0.61-1.12×; but 16
/// rows at k = 33 went from 0.86-1.21× to 0.67-0.94×.
fn small_by_dots(full_m: usize, k: usize, n: usize, ta: Transpose, tb: Transpose) -> bool {
    ta == Transpose::No && tb == Transpose::Yes && n <= 28 && k >= if full_m <= 8 { 32 } else { 64 }
}

/// The most multiply-adds of a product for [`gemm_small`]: measured on a Zen 4 against the
/// `gemm` crate (`benches/gemm_grid.rs`), the packed tiles took about 0.3 µs for 3×3×3
/// (0.1× the `gemm` crate) and still lost at 16×16×16.
const SMALL_MAX: usize = 16 * 1024;

/// Whether C ← α·op(A)·op(B) + β·C should run as dot products ([`gemm_dots`]): when A is
/// stored as used (rows contiguous along k), C has at most `max_n` columns and k is long
/// enough (≥ 64) that summing each accumulator across its lanes at the end is cheap next
/// to the dot product itself. Depends on n, k and the transposes (and, through `max_n`,
/// on the rows of the whole product), never on the rows of a block, so a row split of C
/// (see `gemm_threaded`) takes the same route in every block.
fn use_dots(k: usize, n: usize, ta: Transpose, max_n: usize) -> bool {
    ta == Transpose::No && n <= max_n && k >= 64
}

/// Whether C ← α·op(A)·op(B) + β·C has too few rows for the dot products to pay for
/// transposing B (stored as used, `tb` is [`Transpose::No`]): at most 16 rows in the whole
/// product and more than `max_n` columns. Each dot-product tile is 4 rows by 6 columns,
/// and the copy of Bᵀ is made once per product, so with few rows it is shared by few
/// tiles; the packed tiles, which read B as stored, won. Measured in `f32` on a Zen 4
/// against the `gemm` crate (`benches/gemm_grid.rs`), k = 128-2048: with 3 rows, n = 16
/// from 0.17-0.21× to 0.54-0.64× and n = 28-33 from 0.45-0.81× to 1.05-1.48×; with 8 and
/// 16 rows and 28-40 columns from 0.55-1.0× to 1.07-1.83×. At n ≤ 12 the dot products
/// stay ahead or even (16 rows, n = 10: 1.3-1.4× against 0.73-0.95×; 3 rows, n = 3:
/// 2.5-3.0× against 1.4×).
fn few_rows_wide(full_m: usize, n: usize, tb: Transpose, max_n: usize) -> bool {
    tb == Transpose::No && full_m <= 16 && n > max_n
}

/// The widest C a gemm entry computes by dot products: `max_n` columns, or any width when
/// B is stored transposed (a layer's forward pass X·Wᵀ), k ≥ 512 and the whole product has
/// at most `wide_rows` rows (a small batch): then the packed tiles' transposing gathers
/// cost more than the dot products' lane sums. `wide_rows` is set per instruction set and
/// element type from measurements (see each entry).
fn dots_max_n(full_m: usize, k: usize, tb: Transpose, max_n: usize, wide_rows: usize) -> usize {
    if tb == Transpose::Yes && k >= 512 && full_m <= wide_rows { usize::MAX } else { max_n }
}

/// The tile of the AVX-512 packed product for an m×n C, as (rows, registers wide): 12×2,
/// or the first of 10×2, 8×2, 4×2, 3×4 and 2×4 registers whose tiles cover C with fewer
/// padded elements than the best before it by at least 5% of C. An element past the edge
/// of C costs as much as a real one, and every one of these tiles keeps the FMA units busy
/// (12 and 10 rows of 2 registers: 24 and 20 FMAs per 14 and 12 loads; 8 and 4 rows: 16
/// and 8 accumulators; 3 and 2 rows of 4 registers, 12 and 8), so the elements computed
/// set the time. A 100-neuron layer is the case in point: nine 12-row tiles compute 108
/// rows, ten 10-row tiles exactly 100 (measured on a Xeon, the weight gradient of a 784-100
/// layer at batch 128: 106 against 99 µs); 3 rows took a 10-row tile before the shorter
/// ones existed, 0.3× the `gemm` crate at 3×k×784 (which runs near the FMA peak there),
/// and 0.55-0.87× over n, k ≥ 64 with a 4-row tile, against 0.8-1.7× with the 3-row one
/// (`benches/gemm_grid.rs`, on a Zen 4). The width counts too: 3×4-register tiles on a C
/// 33 rows by 32 columns wide leave half of every tile empty. Which tile computes an
/// element does not change its bits.
fn row_tile(m: usize, n: usize, lanes: usize) -> (usize, usize) {
    let area = |(mr, nv): (usize, usize)| m.next_multiple_of(mr) * n.next_multiple_of(nv * lanes);
    let mut best = (12, 2);
    for tile in [(10, 2), (8, 2), (4, 2), (3, 4), (2, 4)] {
        if 20 * area(best).saturating_sub(area(tile)) >= m * n {
            best = tile;
        }
    }
    best
}

/// Splits off the last block of C's columns if it is at most one register of `lanes`
/// wide (and C is wider than two registers), with op(B) from that column on: the packed
/// tiles are two registers wide and would compute it at half width or less (n = 33 ran at
/// 0.75× the `gemm` crate), so the entry computes it as a product of its own, by the route
/// a C that narrow takes (at 1024×256×100 in f32 the 4 columns took 189 µs as 24×1-register
/// tiles after the 96 others, against 22-35 µs by dot products or column tiles).
/// Every block of a row split of C (see `gemm_threaded`) splits at the same column.
#[allow(clippy::type_complexity)]
fn split_last_register<'c, 'b, T>(
    lanes: usize,
    b: &'b [T],
    ldb: usize,
    tb: Transpose,
    c: BlockMut<'c, T>,
) -> (BlockMut<'c, T>, Option<(BlockMut<'c, T>, &'b [T])>) {
    let n = c.cols();
    let rest = n % (2 * lanes);
    if n > 2 * lanes && rest > 0 && rest <= lanes {
        let j0 = n - rest;
        let (left, right) = c.split_at_col(j0);
        // Column j0 of op(B): from column j0 of every row of B, or row j0 of the stored Bᵀ.
        let b_right = if tb == Transpose::No { &b[j0..] } else { &b[j0 * ldb..] };
        (left, Some((right, b_right)))
    } else {
        (c, None)
    }
}

/// The packed product on AVX-512, in the tiles [`row_tile`] chooses.
///
/// # Safety
/// As for [`gemm::gemm`]: the CPU supports AVX-512F, the slices fit, k > 0.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
unsafe fn packed_avx512<T>(
    blocking: Blocking,
    k: usize,
    alpha: T,
    a: &[T],
    lda: usize,
    ta: Transpose,
    b: &[T],
    ldb: usize,
    tb: Transpose,
    beta: T,
    c: BlockMut<'_, T>,
) where
    Avx512<T>: Lanes<Elem = T>,
{
    type S<T> = Avx512<T>;
    // SAFETY: this function's contract is the bodies'.
    unsafe {
        match row_tile(c.rows(), c.cols(), <S<T> as Lanes>::LANES) {
            (2, _) => gemm::gemm::<S<T>, 2, 4>(blocking, k, alpha, a, lda, ta, b, ldb, tb, beta, c),
            (3, _) => gemm::gemm::<S<T>, 3, 4>(blocking, k, alpha, a, lda, ta, b, ldb, tb, beta, c),
            (4, _) => gemm::gemm::<S<T>, 4, 2>(blocking, k, alpha, a, lda, ta, b, ldb, tb, beta, c),
            (8, _) => gemm::gemm::<S<T>, 8, 2>(blocking, k, alpha, a, lda, ta, b, ldb, tb, beta, c),
            (10, _) => gemm::gemm::<S<T>, 10, 2>(blocking, k, alpha, a, lda, ta, b, ldb, tb, beta, c),
            _ => gemm::gemm::<S<T>, 12, 2>(blocking, k, alpha, a, lda, ta, b, ldb, tb, beta, c),
        }
    }
}

/// [`gemm_small`] with rows `nv` registers wide (1, 2 or 4, from [`small_width`]).
///
/// # Safety
/// As for [`gemm_small::gemm`] with NV = `nv`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
unsafe fn small<S: Lanes>(
    nv: usize,
    k: usize,
    alpha: S::Elem,
    a: &[S::Elem],
    lda: usize,
    ta: Transpose,
    b: &[S::Elem],
    ldb: usize,
    tb: Transpose,
    beta: S::Elem,
    c: BlockMut<'_, S::Elem>,
) {
    // SAFETY: forwarded from this function's contract.
    unsafe {
        match nv {
            1 => gemm_small::gemm::<S, 1>(k, alpha, a, lda, ta, b, ldb, tb, beta, c),
            2 => gemm_small::gemm::<S, 2>(k, alpha, a, lda, ta, b, ldb, tb, beta, c),
            _ => gemm_small::gemm::<S, 4>(k, alpha, a, lda, ta, b, ldb, tb, beta, c),
        }
    }
}

/// The packed product on AVX-512 for C at most one register wide: tiles of 24 rows, or
/// of 12 or 4 when C has at most that many (Aᵀ·B at 3×2048×3 in f32 took 24 µs with
/// 24-row tiles, 0.46× the `gemm` crate: 21 of the 24 rows were padding).
///
/// # Safety
/// As for [`gemm::gemm`]: the CPU supports AVX-512F, the slices fit, k > 0.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
unsafe fn narrow_avx512<T>(
    blocking: Blocking,
    k: usize,
    alpha: T,
    a: &[T],
    lda: usize,
    ta: Transpose,
    b: &[T],
    ldb: usize,
    tb: Transpose,
    beta: T,
    c: BlockMut<'_, T>,
) where
    Avx512<T>: Lanes<Elem = T>,
{
    type S<T> = Avx512<T>;
    // SAFETY: this function's contract is the bodies'.
    unsafe {
        match c.rows() {
            0..=4 => gemm::gemm::<S<T>, 4, 1>(blocking, k, alpha, a, lda, ta, b, ldb, tb, beta, c),
            5..=12 => gemm::gemm::<S<T>, 12, 1>(blocking, k, alpha, a, lda, ta, b, ldb, tb, beta, c),
            _ => gemm::gemm::<S<T>, 24, 1>(blocking, k, alpha, a, lda, ta, b, ldb, tb, beta, c),
        }
    }
}

// ---- AVX-512F -------------------------------------------------------------------------

/// [`portable::bias_sigmoid`](crate::kernels::portable::bias_sigmoid) compiled for
/// AVX-512F: the same loop, vectorised by the compiler over 512-bit registers (the
/// portable build only gets SSE2), giving the same bits.
///
/// # Safety
/// The CPU supports AVX-512F.
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn bias_sigmoid_avx512<T: crate::Float>(z: &mut [T], bias: &[T], a: &mut [T]) {
    crate::kernels::portable::bias_sigmoid(z, bias, a);
}

/// x·y with AVX-512F.
///
/// # Safety
/// The CPU supports AVX-512F; `x.len() == y.len()`.
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn dot_avx512<T>(x: &[T], y: &[T]) -> T
where
    Avx512<T>: Lanes<Elem = T>,
{
    // SAFETY: this function's contract is the body's.
    unsafe { vector::dot::<Avx512<T>>(x, y) }
}

/// y ← α·x + y with AVX-512F.
///
/// # Safety
/// The CPU supports AVX-512F; `x.len() == y.len()`.
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn axpy_avx512<T>(alpha: T, x: &[T], y: &mut [T])
where
    Avx512<T>: Lanes<Elem = T>,
{
    // SAFETY: this function's contract is the body's.
    unsafe { vector::axpy::<Avx512<T>>(alpha, x, y) }
}

/// y ← α·A·x + β·y with AVX-512F.
///
/// # Safety
/// The CPU supports AVX-512F; the slices fit the shape as in [`vector::gemv`].
#[allow(clippy::too_many_arguments)]
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn gemv_avx512<T>(m: usize, n: usize, alpha: T, a: &[T], lda: usize, x: &[T], beta: T, y: &mut [T])
where
    Avx512<T>: Lanes<Elem = T>,
{
    // SAFETY: this function's contract is the body's.
    unsafe { vector::gemv::<Avx512<T>>(m, n, alpha, a, lda, x, beta, y) }
}

/// y ← α·Aᵀ·x + β·y with AVX-512F.
///
/// # Safety
/// The CPU supports AVX-512F; the slices fit the shape as in [`vector::gemv_t`].
#[allow(clippy::too_many_arguments)]
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn gemv_t_avx512<T>(m: usize, n: usize, alpha: T, a: &[T], lda: usize, x: &[T], beta: T, y: &mut [T])
where
    Avx512<T>: Lanes<Elem = T>,
{
    // SAFETY: this function's contract is the body's.
    unsafe { vector::gemv_t::<Avx512<T>>(m, n, alpha, a, lda, x, beta, y) }
}

/// A ← β·A + α·x·yᵀ with AVX-512F.
///
/// # Safety
/// The CPU supports AVX-512F; the slices fit the shape as in [`vector::ger`].
#[target_feature(enable = "avx512f,avx2,fma")]
#[allow(clippy::too_many_arguments)]
unsafe fn ger_avx512<T>(m: usize, n: usize, alpha: T, x: &[T], y: &[T], beta: T, a: &mut [T], lda: usize)
where
    Avx512<T>: Lanes<Elem = T>,
{
    // SAFETY: this function's contract is the body's.
    unsafe { vector::ger::<Avx512<T>>(m, n, alpha, x, y, beta, a, lda) }
}

/// C ← α·op(A)·op(B) + β·C in `f32` with AVX-512F.
///
/// Tile 12×32: 24 accumulator registers (12 rows × 2 vectors of 16), 2 for the row of B,
/// the A elements are broadcast from memory; 32 registers in all. Per step of k that is
/// 24 FMAs against 14 loads, so the two FMA ports, not the loads, set the pace. Tiles of
/// 10, 8 or 4 rows (or 3 and 2 rows of 4 vectors) instead when they pad C less (see
/// [`row_tile`]), and the last 16 columns or fewer as a product of their own (see
/// [`split_last_register`]).
/// KC = 256 keeps the 12×256 A panel (12 KiB) in the 32 KiB L1 next to the B rows
/// streaming through; NC = 512 makes the packed 256×512 B block 512 KiB, half the 1 MiB L2.
/// Products small enough for [`gemm_small`] (see [`small_width`]) skip all of this.
/// For C at most 16 wide, a 24×16 tile (24 accumulators of one vector) wastes fewer lanes;
/// its A panel is used once, so a deeper KC is fine.
///
/// For A as stored and C at most 128 wide (28 when B is as stored, and 12 when the whole
/// product has at most 16 rows: see [`few_rows_wide`]), dot products ([`gemm_dots`]) in
/// 4×6 tiles, also for small products A·Bᵀ with k ≥ 64 (see [`small_by_dots`]):
/// 24 accumulators, 10 loads per 24 FMAs, and A (the big operand) read once per 6
/// columns of C (measured against 2×10 and 3×8: 4×6 was best at 32 columns, even at 10).
/// Up to 128 columns when B is stored transposed and k ≥ 512, because the forward product
/// of a 100-neuron layer, X·Wᵀ (both operands along k as stored), then needs no packing at all:
/// measured on a Xeon with AVX-512 at batch 10 / 32 / 64 / 128, 19 / 50 / 99 / 190 µs
/// against 34 / 66 / 118 / 195 µs for the packed tiles, which must transpose W by gathers
/// first. With B as stored, the dot products must transpose B instead, and the packed
/// tiles win from 29 columns (the 32-wide tile nearly full): measured with k = 784,
/// m = 100 / 128, n = 28 a tie (172 / 169 GFLOP/s), n = 32 155 against 207 (m = 100) and
/// 168 against 206 (m = 128); at n = 20-24 the dot products stay ahead (160-175 against
/// 125-154), and at 26 they tie. Below k = 512 the lane sums weigh too much at 33 to 128
/// columns: measured on a Zen 4 against the `gemm` crate (`benches/gemm_grid.rs`), the
/// dot products ran at 0.37-0.85× of it at k = 64-257 with m = 512, where the packed
/// tiles ran at 0.9-1.1×.
/// Wider C too, with B stored transposed, when k ≥ 512 and the whole product has at most
/// 256 rows (a wider layer's forward pass at batch ≤ 256; see [`dots_max_n`]). Measured
/// X·Wᵀ at k = 784 and n = 256 / 1024 against the packed tiles: m = 10 202 / 119 against
/// 83 / 69 GFLOP/s, m = 32 218 / 173 against 136 / 125, m = 128 220 / 205 against
/// 189 / 185, m = 256 203 / 191 against 192 / 186; but at m = 512 and n = 1024, 174
/// against 187, and at k = 256 and m = 128, 182 against 193.
/// k blocks of 1024 (one block for the 784 inputs of MNIST): the lane sums at the end of
/// a block cost more than the L1 misses of the six 3 KiB rows of Bᵀ.
///
/// For op(A) = Aᵀ and C 4 to 12 wide, registers down the columns of C ([`gemm_cols`]):
/// a 32-row tile is 2×n accumulators, every lane used, where a row of C would fill only
/// n of 16 lanes.
///
/// # Safety
/// The CPU supports AVX-512F; the slices fit the shapes and strides; k > 0.
#[allow(clippy::too_many_arguments)]
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn sgemm_avx512(
    full_m: usize,
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
    type S = Avx512<f32>;
    // SAFETY: this function's contract is the body's.
    unsafe {
        if let Some(nv) = small_width(full_m, k, n, 16, 4).filter(|_| !small_by_dots(full_m, k, n, ta, tb)) {
            small::<S>(nv, k, alpha, a, lda, ta, b, ldb, tb, beta, c)
        } else if ta == Transpose::Yes && (4..=gemm_cols::MAX_N).contains(&n) {
            gemm_cols::gemm::<S>(k, alpha, a, lda, b, ldb, tb, beta, c)
        } else if small_by_dots(full_m, k, n, ta, tb)
            || use_dots(
                k,
                n,
                ta,
                dots_max_n(full_m, k, tb, if tb == Transpose::Yes && k >= 512 { 128 } else { 28 }, 256),
            ) && !few_rows_wide(full_m, n, tb, 12)
        {
            gemm_dots::gemm::<S, 4, 6>(1024, k, alpha, a, lda, b, ldb, tb, beta, c)
        } else if n <= 16 {
            let blocking = Blocking { kc: 512, nc: 16 };
            narrow_avx512(blocking, k, alpha, a, lda, ta, b, ldb, tb, beta, c)
        } else {
            let (c, right) = split_last_register(16, b, ldb, tb, c);
            packed_avx512(Blocking { kc: 256, nc: 512 }, k, alpha, a, lda, ta, b, ldb, tb, beta, c);
            if let Some((right, b)) = right {
                // SAFETY: as for the whole C: `right` is its last columns, `b` op(B) from there.
                sgemm_avx512(full_m, k, alpha, a, lda, ta, b, ldb, tb, beta, right)
            }
        }
    }
}

/// C ← α·op(A)·op(B) + β·C in `f64` with AVX-512F.
///
/// Tile 12×16: 24 accumulators (12 rows × 2 vectors of 8), as for `f32` (and shorter tiles,
/// and the last 8 columns or fewer apart, as there). KC = 192 keeps
/// the 12×192 A panel at 18 KiB in L1; NC = 320 makes the packed B block 480 KiB of L2.
/// For C at most 8 wide, a 24×8 tile.
///
/// For A as stored and C at most 16 wide, dot products ([`gemm_dots`]) in 4×6 tiles,
/// k blocks of 256 (the six rows of Bᵀ, 12 KiB, stay in L1); wider, the packed tiles win,
/// but for X·Wᵀ (B stored transposed) with k ≥ 512 and at most 32 rows in all (see
/// [`dots_max_n`]): measured with k = 784 and m = 10 / 32, n = 100: 98 / 100 GFLOP/s
/// against 48 / 66 packed; n = 256 at m = 10: 83 against 47; n = 1024: 48 / 71 against
/// 40 / 65. At m = 128 the dot products still win at n = 100 (98 against 82-85) but lose at
/// n = 1024 (83 against 92), so larger batches keep the packed tiles.
///
/// For op(A) = Aᵀ and C 9 to 12 wide, registers down the columns of C ([`gemm_cols`]):
/// the 16-wide packed tile would use 9 to 12 of its 16 lanes (measured on a Xeon, Wᵀ·Δ
/// at batch 10, 784×100×10: 60 against 85 GFLOP/s). At 8 columns or fewer a row of C
/// fits one register of the 24×8 tile (not measured against the column tiles).
///
/// # Safety
/// The CPU supports AVX-512F; the slices fit the shapes and strides; k > 0.
#[allow(clippy::too_many_arguments)]
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn dgemm_avx512(
    full_m: usize,
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
    type S = Avx512<f64>;
    // SAFETY: this function's contract is the body's.
    unsafe {
        if let Some(nv) = small_width(full_m, k, n, 8, 4) {
            small::<S>(nv, k, alpha, a, lda, ta, b, ldb, tb, beta, c)
        } else if ta == Transpose::Yes && (9..=gemm_cols::MAX_N).contains(&n) {
            gemm_cols::gemm::<S>(k, alpha, a, lda, b, ldb, tb, beta, c)
        } else if use_dots(k, n, ta, dots_max_n(full_m, k, tb, 16, 32)) {
            gemm_dots::gemm::<S, 4, 6>(256, k, alpha, a, lda, b, ldb, tb, beta, c)
        } else if n <= 8 {
            let blocking = Blocking { kc: 512, nc: 8 };
            narrow_avx512(blocking, k, alpha, a, lda, ta, b, ldb, tb, beta, c)
        } else {
            let (c, right) = split_last_register(8, b, ldb, tb, c);
            packed_avx512(Blocking { kc: 192, nc: 320 }, k, alpha, a, lda, ta, b, ldb, tb, beta, c);
            if let Some((right, b)) = right {
                // SAFETY: as for the whole C: `right` is its last columns, `b` op(B) from there.
                dgemm_avx512(full_m, k, alpha, a, lda, ta, b, ldb, tb, beta, right)
            }
        }
    }
}

// ---- AVX2 + FMA -----------------------------------------------------------------------

/// [`portable::bias_sigmoid`](crate::kernels::portable::bias_sigmoid) compiled for AVX2,
/// as [`bias_sigmoid_avx512`].
///
/// # Safety
/// The CPU supports AVX2 and FMA.
#[target_feature(enable = "avx2,fma")]
unsafe fn bias_sigmoid_avx2<T: crate::Float>(z: &mut [T], bias: &[T], a: &mut [T]) {
    crate::kernels::portable::bias_sigmoid(z, bias, a);
}

/// x·y with AVX2 + FMA.
///
/// # Safety
/// The CPU supports AVX2 and FMA; `x.len() == y.len()`.
#[target_feature(enable = "avx2,fma")]
unsafe fn dot_avx2<T>(x: &[T], y: &[T]) -> T
where
    Avx2<T>: Lanes<Elem = T>,
{
    // SAFETY: this function's contract is the body's.
    unsafe { vector::dot::<Avx2<T>>(x, y) }
}

/// y ← α·x + y with AVX2 + FMA.
///
/// # Safety
/// The CPU supports AVX2 and FMA; `x.len() == y.len()`.
#[target_feature(enable = "avx2,fma")]
unsafe fn axpy_avx2<T>(alpha: T, x: &[T], y: &mut [T])
where
    Avx2<T>: Lanes<Elem = T>,
{
    // SAFETY: this function's contract is the body's.
    unsafe { vector::axpy::<Avx2<T>>(alpha, x, y) }
}

/// y ← α·A·x + β·y with AVX2 + FMA.
///
/// # Safety
/// The CPU supports AVX2 and FMA; the slices fit the shape as in [`vector::gemv`].
#[allow(clippy::too_many_arguments)]
#[target_feature(enable = "avx2,fma")]
unsafe fn gemv_avx2<T>(m: usize, n: usize, alpha: T, a: &[T], lda: usize, x: &[T], beta: T, y: &mut [T])
where
    Avx2<T>: Lanes<Elem = T>,
{
    // SAFETY: this function's contract is the body's.
    unsafe { vector::gemv::<Avx2<T>>(m, n, alpha, a, lda, x, beta, y) }
}

/// y ← α·Aᵀ·x + β·y with AVX2 + FMA.
///
/// # Safety
/// The CPU supports AVX2 and FMA; the slices fit the shape as in [`vector::gemv_t`].
#[allow(clippy::too_many_arguments)]
#[target_feature(enable = "avx2,fma")]
unsafe fn gemv_t_avx2<T>(m: usize, n: usize, alpha: T, a: &[T], lda: usize, x: &[T], beta: T, y: &mut [T])
where
    Avx2<T>: Lanes<Elem = T>,
{
    // SAFETY: this function's contract is the body's.
    unsafe { vector::gemv_t::<Avx2<T>>(m, n, alpha, a, lda, x, beta, y) }
}

/// A ← β·A + α·x·yᵀ with AVX2 + FMA.
///
/// # Safety
/// The CPU supports AVX2 and FMA; the slices fit the shape as in [`vector::ger`].
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
unsafe fn ger_avx2<T>(m: usize, n: usize, alpha: T, x: &[T], y: &[T], beta: T, a: &mut [T], lda: usize)
where
    Avx2<T>: Lanes<Elem = T>,
{
    // SAFETY: this function's contract is the body's.
    unsafe { vector::ger::<Avx2<T>>(m, n, alpha, x, y, beta, a, lda) }
}

/// C ← α·op(A)·op(B) + β·C in `f32` with AVX2 + FMA.
///
/// Tile 6×16: 12 accumulators (6 rows × 2 vectors of 8), 2 for the row of B and one for
/// the broadcast A element: 15 of the 16 registers. KC = 256 (6 KiB A panel in L1),
/// NC = 512 (512 KiB packed B block in L2). For C at most 8 wide, a 12×8 tile.
/// For A as stored and C at most 32 wide, dot products ([`gemm_dots`]) in 2×5 tiles
/// (10 accumulators, 7 loads per 10 FMAs), k blocks of 256; wider too for X·Wᵀ (B stored
/// transposed) with k ≥ 512 and at most 32 rows in all (see [`dots_max_n`]): measured with
/// k = 784 on a Xeon forced to AVX2, n = 100 / 256 at m = 10, 98 / 98 GFLOP/s against
/// 50 / 56 packed, n = 100 at m = 32, 97 against 72; from m = 128 the packed tiles are level
/// or ahead (n = 256: 92 against 103).
///
/// # Safety
/// The CPU supports AVX2 and FMA; the slices fit the shapes and strides; k > 0.
#[allow(clippy::too_many_arguments)]
#[target_feature(enable = "avx2,fma")]
unsafe fn sgemm_avx2(
    full_m: usize,
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
    type S = Avx2<f32>;
    // SAFETY: this function's contract is the body's.
    unsafe {
        if let Some(nv) = small_width(full_m, k, n, 8, 2) {
            small::<S>(nv, k, alpha, a, lda, ta, b, ldb, tb, beta, c)
        } else if use_dots(k, n, ta, dots_max_n(full_m, k, tb, 32, 32)) {
            gemm_dots::gemm::<S, 2, 5>(256, k, alpha, a, lda, b, ldb, tb, beta, c)
        } else if n <= 8 {
            let blocking = Blocking { kc: 512, nc: 8 };
            gemm::gemm::<S, 12, 1>(blocking, k, alpha, a, lda, ta, b, ldb, tb, beta, c)
        } else {
            let blocking = Blocking { kc: 256, nc: 512 };
            gemm::gemm::<S, 6, 2>(blocking, k, alpha, a, lda, ta, b, ldb, tb, beta, c)
        }
    }
}

/// C ← α·op(A)·op(B) + β·C in `f64` with AVX2 + FMA.
///
/// Tile 6×8: 12 accumulators (6 rows × 2 vectors of 4), as for `f32`. KC = 256 (12 KiB A
/// panel in L1), NC = 256 (512 KiB packed B block in L2). For C at most 4 wide, a 12×4 tile.
/// For A as stored and C at most 32 wide, dot products ([`gemm_dots`]) in 2×5 tiles,
/// k blocks of 128; wider too for X·Wᵀ with k ≥ 512 and at most 32 rows in all, as in
/// `f32` (measured, k = 784: n = 100 at m = 10 / 32, 51 / 50 GFLOP/s against 31 / 41
/// packed; at m = 128, 47 against 48).
///
/// # Safety
/// The CPU supports AVX2 and FMA; the slices fit the shapes and strides; k > 0.
#[allow(clippy::too_many_arguments)]
#[target_feature(enable = "avx2,fma")]
unsafe fn dgemm_avx2(
    full_m: usize,
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
    type S = Avx2<f64>;
    // SAFETY: this function's contract is the body's.
    unsafe {
        if let Some(nv) = small_width(full_m, k, n, 4, 2) {
            small::<S>(nv, k, alpha, a, lda, ta, b, ldb, tb, beta, c)
        } else if use_dots(k, n, ta, dots_max_n(full_m, k, tb, 32, 32)) {
            gemm_dots::gemm::<S, 2, 5>(128, k, alpha, a, lda, b, ldb, tb, beta, c)
        } else if n <= 4 {
            let blocking = Blocking { kc: 512, nc: 4 };
            gemm::gemm::<S, 12, 1>(blocking, k, alpha, a, lda, ta, b, ldb, tb, beta, c)
        } else {
            let blocking = Blocking { kc: 256, nc: 256 };
            gemm::gemm::<S, 6, 2>(blocking, k, alpha, a, lda, ta, b, ldb, tb, beta, c)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::row_tile;

    #[test]
    fn row_tiles_pad_at_least_5_percent_fewer_elements_than_taller_ones() {
        // m rows of a C 32 columns wide, 16 lanes: 2-register tiles cover the width exactly.
        let rows = |m| row_tile(m, 32, 16).0;
        // 100 rows: 108 in 12-row tiles, 100 in 10-row ones; 50: 60 against 50.
        for m in [10, 20, 40, 50, 100] {
            assert_eq!(rows(m), 10, "{m} rows");
        }
        // 16: 24, 20, 16; 64: 72, 70, 64; 8: 12, 10, 8.
        for m in [8, 16, 64] {
            assert_eq!(rows(m), 8, "{m} rows");
        }
        // 200: 204 against 200 (2%); 128: 132 against 130 and 128 (3%); 784: 792 against
        // 790 and 784 (1%); 11: 12 against 20, 16 and 12.
        for m in [11, 12, 24, 96, 128, 200, 256, 784, 1024] {
            assert_eq!(rows(m), 12, "{m} rows");
        }
        // 4 rows: 12, 10, 8, 4; 3-row tiles 4 registers wide would compute 3×64.
        assert_eq!(rows(4), 4);
        // 33 rows: 36×32 in 12-row tiles against 33×64 in 3-row ones.
        assert_eq!(row_tile(33, 32, 16), (12, 2));
        // With C 64 columns wide, the 4-register tiles cover the width too: 4: 12, 10, 8,
        // 4, 3 rows; 3: 12, 10, 8, 4, 3; 6: 12, 10, 8, 8, 6 (3-row tiles); 5: 12, 10, 8, 8,
        // 6; 2: 12, 10, 8, 4, 3, 2; 1 likewise.
        assert_eq!(row_tile(4, 64, 16), (4, 2));
        for m in [3, 5, 6] {
            assert_eq!(row_tile(m, 64, 16), (3, 4), "{m} rows");
        }
        for m in [1, 2] {
            assert_eq!(row_tile(m, 64, 16), (2, 4), "{m} rows");
        }
        // A 3×784 C: 12×800 elements in 12-row tiles, 3×832 in 3-row ones.
        assert_eq!(row_tile(3, 784, 16), (3, 4));
    }
}
