//! x86-64 kernels: AVX-512F and AVX2 + FMA.
//!
//! [`lanes`] implements the register type of the generic bodies in
//! [`simd`](super::simd) for both instruction sets. This file declares the two kernel
//! tables, [`AVX512`] and [`AVX2`], that the dispatcher in the parent module picks from
//! after checking the CPU (their `#[target_feature]` wrappers are declared by
//! `kernel_set!`), with each set's matrix-product entry and routing constants.

mod lanes;

use self::lanes::{Avx2, Avx512};
use super::route::{Blocking, Dots, Route, SmallByDots, SmallLimits, Tuning};
use super::simd::{Lanes, gemm, gemm_cols, gemm_dots, gemm_small, kernel_set};
use super::{MatMut, MatRef, Transpose};

/// Whether the CPU running us has AVX-512F (and the AVX2 and FMA it implies).
pub fn has_avx512() -> bool {
    is_x86_feature_detected!("avx512f") && has_avx2()
}

/// Whether the CPU running us has AVX2 and FMA.
pub fn has_avx2() -> bool {
    is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")
}

kernel_set! {
    /// The AVX-512F kernels. Only valid to call when [`has_avx512`] is true.
    AVX512, "avx512", avx512, "avx512f,avx2,fma", Avx512,
    gemm: gemm_avx512, tuning: (AVX512_F32, AVX512_F64),
}

kernel_set! {
    /// The AVX2 + FMA kernels. Only valid to call when [`has_avx2`] is true.
    AVX2, "avx2", avx2, "avx2,fma", Avx2,
    gemm: gemm_avx2, tuning: (AVX2_F32, AVX2_F64),
}

/// The small kernel's limits on x86-64: the copy of op(B) and k as `gemm_small` allows,
/// and at most 16 Ki multiply-adds in the whole product (the packed tiles took about
/// 0.3 µs for 3×3×3, 0.1× the `gemm` crate, and still lost at 16×16×16).
const fn small_limits(max_nv: usize) -> Option<SmallLimits> {
    Some(SmallLimits { max_nv, max_k: gemm_small::MAX_K, b_len: gemm_small::B_LEN, max_flops: 16 * 1024 })
}

/// AVX-512, `f32`: 16 lanes, 32 registers.
///
/// - `small`: rows of up to 4 registers (16 accumulators of 32 registers).
/// - `small_by_dots`: A·Bᵀ with k ≥ 64, or k ≥ 32 with at most 8 rows, against the `gemm`
///   crate: 3 rows, k = 64: 0.14-0.19× → 0.33-0.51×; 8 rows, k = 33-64: 0.34-0.71× →
///   0.61-1.12×; not 16 rows (at k = 33, 0.86-1.21× → 0.67-0.94×).
/// - `cols`: Aᵀ·B with C 4 to 12 wide: a 32-row tile is 2×n accumulators with every lane
///   used, where a row of C would fill only n of 16 lanes.
/// - `dots` (4×6 tiles: 24 accumulators, 10 loads per 24 FMAs), k in blocks of 1024 (the
///   784 inputs of MNIST in one; the lane sums at the end of a block cost more than the L1
///   misses of six 3 KiB rows of Bᵀ):
///   - up to 28 columns: with B as stored the dot products must transpose it, and the
///     packed tiles win from 29 (k = 784, m = 100 / 128: n = 28 a tie, 172 / 169 GFLOP/s;
///     n = 32: 155 against 207 and 168 against 206; n = 20-24: 160-175 against 125-154);
///     below k = 512, at 33 to 128 columns, the dot products ran at 0.37-0.85× the `gemm`
///     crate where the packed tiles ran at 0.9-1.1×;
///   - up to 128 for X·Wᵀ with k ≥ 512, which then needs no packing at all (Xeon, a
///     100-neuron layer's forward pass at batch 10 / 32 / 64 / 128: 19 / 50 / 99 / 190 µs
///     against 34 / 66 / 118 / 195 µs packed);
///   - any width for X·Wᵀ with k ≥ 512 and at most 256 rows (k = 784, n = 256 / 1024:
///     m = 10, 202 / 119 against 83 / 69 GFLOP/s; m = 128, 220 / 205 against 189 / 185;
///     m = 256, 203 / 191 against 192 / 186; but m = 512, n = 1024, 174 against 187);
///   - not A·B with at most 16 rows and more than 12 columns: the copy of Bᵀ is shared by
///     too few tiles (k = 128-2048: 3 rows, n = 16 from 0.17-0.21× to 0.54-0.64× the `gemm`
///     crate, n = 28-33 from 0.45-0.81× to 1.05-1.48×; at n ≤ 12 the dots stay ahead).
/// - `narrow`: C at most 16 wide in one-register tiles of 3 to 24 rows (see
///   [`narrow_tile`]), k blocks of 512 (the A panel is used once); A·B with 13 to 16
///   columns goes there at any number of rows (`narrow_from`), where the dot products
///   first copy Bᵀ: at n = 16, m = 16 to 1024, k = 64 to 2048, from 0.35-0.93× the `gemm`
///   crate to 0.73-1.10× (with the shorter tiles: m = 16 went from 0.44-0.48× in 24-row
///   tiles to 0.92-1.02× in 8-row ones).
/// - `packed`: 12×32 tiles (24 accumulators and 2 registers of B; 24 FMAs per 14 loads),
///   KC = 256 keeps the 12×256 A panel (12 KiB) in the 32 KiB L1, NC = 512 makes the packed
///   256×512 B block 512 KiB, half the 1 MiB L2. The last 16 columns or fewer apart: n = 33
///   ran at 0.75× the `gemm` crate, and at 1024×256×100 the last 4 columns took 189 µs as
///   one-register tiles against 22-35 µs by their own route.
pub const AVX512_F32: Tuning = Tuning {
    lanes: 16,
    small: small_limits(4),
    small_by_dots: Some(SmallByDots { k: 64, k_few_rows: 32, max_n: 28 }),
    cols: Some((4, gemm_cols::MAX_N)),
    dots: Dots {
        max_n: 28,
        max_n_forward: 128,
        any_n_rows: 256,
        few_rows_max_n: Some(12),
        narrow_from: Some(13),
        kc: 1024,
    },
    narrow: (16, Blocking { kc: 512, nc: 16 }),
    packed: Blocking { kc: 256, nc: 512 },
    split_last: true,
};

/// AVX-512, `f64`: 8 lanes, 32 registers.
///
/// - `cols`: Aᵀ·B with C 9 to 12 wide, where the 16-wide packed tile would use 9 to 12 of
///   its lanes (Xeon, Wᵀ·Δ at batch 10, 784×100×10: 60 against 85 GFLOP/s); at 8 or fewer a
///   row of C fits the one register of the narrow tile.
/// - `dots`, k blocks of 256 (six rows of Bᵀ, 12 KiB, stay in L1): up to 16 columns;
///   any width for X·Wᵀ with k ≥ 512 and at most 32 rows (k = 784, m = 10 / 32, n = 100:
///   98 / 100 GFLOP/s against 48 / 66 packed; at m = 128 the packed tiles win at n = 1024,
///   92 against 83).
/// - `narrow`: C at most 8 wide, as in `f32`; A·B with exactly 8 columns goes there at any
///   number of rows, not to the dot products (m = 8 to 1024, k = 128 to 2048: from
///   0.42-0.83× the `gemm` crate to 0.83-1.28×), but with 5 or 6 columns the dot products
///   stay ahead (1.3-1.8× against 0.8-1.1×).
/// - `packed`: 12×16 tiles; KC = 192 keeps the 12×192 A panel at 18 KiB in L1, NC = 320
///   makes the packed B block 480 KiB of L2; the last 8 columns or fewer apart, as in `f32`.
pub const AVX512_F64: Tuning = Tuning {
    lanes: 8,
    small: small_limits(4),
    small_by_dots: None,
    cols: Some((9, gemm_cols::MAX_N)),
    dots: Dots { max_n: 16, max_n_forward: 16, any_n_rows: 32, few_rows_max_n: None, narrow_from: Some(8), kc: 256 },
    narrow: (8, Blocking { kc: 512, nc: 8 }),
    packed: Blocking { kc: 192, nc: 320 },
    split_last: true,
};

/// AVX2 + FMA, `f32`: 8 lanes, 16 registers.
///
/// - `small`: rows of up to 2 registers (4 rows of 4 would need all 16 registers).
/// - `dots` (2×5 tiles: 10 accumulators, 7 loads per 10 FMAs), k blocks of 256: up to 32
///   columns; any width for X·Wᵀ with k ≥ 512 and at most 32 rows (k = 784 on a Xeon
///   forced to AVX2: n = 100 / 256 at m = 10, 98 / 98 GFLOP/s against 50 / 56 packed;
///   from m = 128 the packed tiles are level or ahead).
/// - `packed`: 6×16 tiles (12 accumulators, 2 registers of B and the broadcast: 15 of 16);
///   KC = 256 (6 KiB A panel in L1), NC = 512 (512 KiB B block in L2); C at most 8 wide in
///   12×8 tiles.
pub const AVX2_F32: Tuning = Tuning {
    lanes: 8,
    small: small_limits(2),
    small_by_dots: None,
    cols: None,
    dots: Dots { max_n: 32, max_n_forward: 32, any_n_rows: 32, few_rows_max_n: None, narrow_from: None, kc: 256 },
    narrow: (8, Blocking { kc: 512, nc: 8 }),
    packed: Blocking { kc: 256, nc: 512 },
    split_last: false,
};

/// AVX2 + FMA, `f64`: 4 lanes, as `f32` with k blocks of 128 for the dot products
/// (k = 784: n = 100 at m = 10 / 32, 51 / 50 GFLOP/s against 31 / 41 packed; at m = 128,
/// 47 against 48); 6×8 packed tiles with KC = 256 (12 KiB A panel) and NC = 256 (512 KiB B
/// block); C at most 4 wide in 12×4 tiles.
pub const AVX2_F64: Tuning = Tuning {
    lanes: 4,
    small: small_limits(2),
    small_by_dots: None,
    cols: None,
    dots: Dots { max_n: 32, max_n_forward: 32, any_n_rows: 32, few_rows_max_n: None, narrow_from: None, kc: 128 },
    narrow: (4, Blocking { kc: 512, nc: 4 }),
    packed: Blocking { kc: 256, nc: 256 },
    split_last: false,
};

/// The blocking of the packed product for a route the shape does not allow (never chosen
/// by `plan`; a safe default for the entries' catch-all arms).
const FALLBACK: Blocking = Blocking { kc: 256, nc: 512 };

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

/// The packed product on AVX-512 in tiles of `MR` rows by `NV` registers: a function of
/// its own, never inlined. Each tile shape is a large body (its blocks, packing and
/// edges); inlined, every shape of both precisions made `gemm_avx512` one function of
/// nearly a megabyte of machine code that took most of the crate's build, one core alone.
/// Out of line, the shapes compile apart (and on several cores), for the cost of one call
/// per product.
///
/// # Safety
/// As for [`gemm::gemm`]: the CPU supports AVX-512F, the slices fit, k > 0.
#[inline(never)]
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn tile_avx512<T, const MR: usize, const NV: usize>(
    blocking: Blocking,
    alpha: T,
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    beta: T,
    c: MatMut<'_, T>,
) where
    Avx512<T>: Lanes<Elem = T>,
{
    // SAFETY: forwarded from this function's contract.
    unsafe { gemm::gemm::<Avx512<T>, MR, NV>(blocking, alpha, a, b, beta, c) }
}

/// [`tile_avx512`] for AVX2 + FMA.
///
/// # Safety
/// As for [`gemm::gemm`]: the CPU supports AVX2 and FMA, the slices fit, k > 0.
#[inline(never)]
#[target_feature(enable = "avx2,fma")]
unsafe fn tile_avx2<T, const MR: usize, const NV: usize>(
    blocking: Blocking,
    alpha: T,
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    beta: T,
    c: MatMut<'_, T>,
) where
    Avx2<T>: Lanes<Elem = T>,
{
    // SAFETY: forwarded from this function's contract.
    unsafe { gemm::gemm::<Avx2<T>, MR, NV>(blocking, alpha, a, b, beta, c) }
}

/// The packed product on AVX-512, in the tiles [`row_tile`] chooses.
///
/// # Safety
/// As for [`gemm::gemm`]: the CPU supports AVX-512F, the slices fit, k > 0.
#[inline(always)]
unsafe fn packed_avx512<T>(blocking: Blocking, alpha: T, a: MatRef<'_, T>, b: MatRef<'_, T>, beta: T, c: MatMut<'_, T>)
where
    Avx512<T>: Lanes<Elem = T>,
{
    type S<T> = Avx512<T>;
    // SAFETY: this function's contract is the bodies'.
    unsafe {
        match row_tile(c.n_rows(), c.n_cols(), <S<T> as Lanes>::LANES) {
            (2, _) => tile_avx512::<T, 2, 4>(blocking, alpha, a, b, beta, c),
            (3, _) => tile_avx512::<T, 3, 4>(blocking, alpha, a, b, beta, c),
            (4, _) => tile_avx512::<T, 4, 2>(blocking, alpha, a, b, beta, c),
            (8, _) => tile_avx512::<T, 8, 2>(blocking, alpha, a, b, beta, c),
            (10, _) => tile_avx512::<T, 10, 2>(blocking, alpha, a, b, beta, c),
            _ => tile_avx512::<T, 12, 2>(blocking, alpha, a, b, beta, c),
        }
    }
}

/// [`gemm_small`] with rows `nv` registers wide (1, 2 or 4, as [`Route::Small`] says).
///
/// # Safety
/// As for [`gemm_small::gemm`] with NV = `nv`.
#[inline(always)]
unsafe fn small<S: Lanes>(
    nv: usize,
    alpha: S::Elem,
    a: MatRef<'_, S::Elem>,
    b: MatRef<'_, S::Elem>,
    beta: S::Elem,
    c: MatMut<'_, S::Elem>,
) {
    // SAFETY: forwarded from this function's contract.
    unsafe {
        match nv {
            1 => gemm_small::gemm::<S, 1>(alpha, a, b, beta, c),
            2 => gemm_small::gemm::<S, 2>(alpha, a, b, beta, c),
            _ => gemm_small::gemm::<S, 4>(alpha, a, b, beta, c),
        }
    }
}

/// The packed product on AVX-512 for C at most one register wide, in the tiles
/// [`narrow_tile`] chooses.
///
/// # Safety
/// As for [`gemm::gemm`]: the CPU supports AVX-512F, the slices fit, k > 0.
#[inline(always)]
unsafe fn narrow_avx512<T>(blocking: Blocking, alpha: T, a: MatRef<'_, T>, b: MatRef<'_, T>, beta: T, c: MatMut<'_, T>)
where
    Avx512<T>: Lanes<Elem = T>,
{
    // SAFETY: this function's contract is the bodies'.
    unsafe {
        match narrow_tile(c.n_rows(), a.trans(), a.ld() * size_of::<T>()) {
            3 => tile_avx512::<T, 3, 1>(blocking, alpha, a, b, beta, c),
            4 => tile_avx512::<T, 4, 1>(blocking, alpha, a, b, beta, c),
            6 => tile_avx512::<T, 6, 1>(blocking, alpha, a, b, beta, c),
            8 => tile_avx512::<T, 8, 1>(blocking, alpha, a, b, beta, c),
            12 => tile_avx512::<T, 12, 1>(blocking, alpha, a, b, beta, c),
            _ => tile_avx512::<T, 24, 1>(blocking, alpha, a, b, beta, c),
        }
    }
}

/// The rows of the one-register tiles of [`narrow_avx512`] for a C of `m` rows: up to 6
/// rows, tiles of 3, 4 or 6 (at most one padded row but for m = 1, which takes the
/// matrix·vector route anyway; 6 rows as two 3-row tiles ran at 0.66-0.73× the `gemm`
/// crate, as one 6-row tile at 0.92-1.01×: each 3-row tile waits on the latency of its
/// three sums); else of 24, 12 and 8, the tallest unless a shorter one pads C with at
/// least 5% fewer rows. A padded row costs as much as a real one, and a panel of fewer
/// rows than the tile is copied first (A·B at 3×2048×16 took 4.9 µs in f32 in 4-row
/// tiles, 4×2048×16 2.7 µs), while every height from 8 keeps the FMA unit busy. But when
/// A is read as stored with rows a multiple of 4 KiB apart (`row_bytes`), the rows of a
/// tile fall in one set of the L1 cache: more than 8 rows evict each other, so 8.
///
/// Each tile shape is compiled for both precisions and costs about 1.2 s of a release
/// build of the crate, so the heights are few: 16-row tiles (16 rows as two 8-row ones
/// ran as fast) and 2-row ones (2 rows of Aᵀ·B at k ≥ 128 ran at 0.5× the `gemm` crate
/// in 3-row tiles against 0.8-1.0× in 2-row ones, a rare shape: C at most one register
/// wide) took the build from 24 to 29 s.
fn narrow_tile(m: usize, ta: Transpose, row_bytes: usize) -> usize {
    if m <= 6 {
        return match m {
            0..=3 => 3,
            4 => 4,
            _ => 6,
        };
    }
    if ta == Transpose::No && row_bytes.is_multiple_of(4096) {
        return 8;
    }
    let mut best = 24;
    for mr in [12, 8] {
        if 20 * m.next_multiple_of(best).saturating_sub(m.next_multiple_of(mr)) >= m {
            best = mr;
        }
    }
    best
}

/// C ← α·op(A)·op(B) + β·C with AVX-512F, by the route [`plan`](super::route::plan) chose
/// for the whole product (see [`AVX512_F32`] and [`AVX512_F64`]); the packed tiles as
/// [`row_tile`] picks them, the one-register tiles by C's rows.
///
/// # Safety
/// The CPU supports AVX-512F; op(A) has at least C's rows, op(B) at least its columns,
/// and k = op(A)'s columns = op(B)'s rows > 0 (the views hold their shapes). A route the
/// shape does not allow is computed by the packed tiles.
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn gemm_avx512<T>(route: Route, alpha: T, a: MatRef<'_, T>, b: MatRef<'_, T>, beta: T, c: MatMut<'_, T>)
where
    Avx512<T>: Lanes<Elem = T>,
{
    type S<T> = Avx512<T>;
    let ta = a.trans();
    // SAFETY: this function's contract is the bodies': each arm's guard is what its body
    // needs beyond it (the small kernel checks its own limits).
    unsafe {
        match route {
            Route::Small { nv } => small::<S<T>>(nv, alpha, a, b, beta, c),
            Route::Cols if ta == Transpose::Yes && c.n_cols() <= gemm_cols::MAX_N => {
                gemm_cols::gemm::<S<T>>(alpha, a, b, beta, c);
            }
            Route::Dots { kc } if ta == Transpose::No => gemm_dots::gemm::<S<T>, 4, 6>(kc, alpha, a, b, beta, c),
            Route::Narrow(blocking) => narrow_avx512(blocking, alpha, a, b, beta, c),
            Route::Packed(blocking) => packed_avx512(blocking, alpha, a, b, beta, c),
            _ => packed_avx512(FALLBACK, alpha, a, b, beta, c),
        }
    }
}

/// C ← α·op(A)·op(B) + β·C with AVX2 + FMA, by the route [`plan`](super::route::plan)
/// chose for the whole product (see [`AVX2_F32`] and [`AVX2_F64`]): packed tiles 6 rows by
/// 2 registers, or 12 rows by one for a C at most one register wide.
///
/// # Safety
/// As for [`gemm_avx512`], with AVX2 and FMA for AVX-512F.
#[target_feature(enable = "avx2,fma")]
unsafe fn gemm_avx2<T>(route: Route, alpha: T, a: MatRef<'_, T>, b: MatRef<'_, T>, beta: T, c: MatMut<'_, T>)
where
    Avx2<T>: Lanes<Elem = T>,
{
    type S<T> = Avx2<T>;
    let ta = a.trans();
    // SAFETY: this function's contract is the bodies': each arm's guard is what its body
    // needs beyond it (the small kernel checks its own limits).
    unsafe {
        match route {
            Route::Small { nv } => small::<S<T>>(nv, alpha, a, b, beta, c),
            Route::Dots { kc } if ta == Transpose::No => gemm_dots::gemm::<S<T>, 2, 5>(kc, alpha, a, b, beta, c),
            Route::Narrow(blocking) => tile_avx2::<T, 12, 1>(blocking, alpha, a, b, beta, c),
            Route::Packed(blocking) => tile_avx2::<T, 6, 2>(blocking, alpha, a, b, beta, c),
            _ => tile_avx2::<T, 6, 2>(FALLBACK, alpha, a, b, beta, c),
        }
    }
}

#[cfg(test)]
mod route_tables;

#[cfg(test)]
mod tests {
    use super::{narrow_tile, row_tile};

    #[test]
    fn narrow_tiles_pad_at_least_5_percent_fewer_rows_than_taller_ones() {
        use crate::kernels::Transpose::{No, Yes};
        let rows = |m| narrow_tile(m, Yes, 100);
        // Exactly covered: 16 (two 8-row tiles against 24 rows), 8, 12, 24, 48.
        assert_eq!([16, 8, 12, 24, 48].map(rows), [8, 8, 12, 24, 24]);
        // 33 rows: 48 in 24-row tiles, 36 in 12-row ones, 40 in 8-row ones; 30: 48, 36,
        // 32; 7: 24, 12, 8.
        assert_eq!([33, 30, 7].map(rows), [12, 8, 8]);
        // 1024: 1032 in 24-row tiles is within 5% of 1024.
        assert_eq!(rows(1024), 24);
        // Up to 6 rows: tiles of 3, 4 or 6.
        assert_eq!([1, 2, 3, 4, 5, 6].map(rows), [3, 3, 3, 4, 6, 6]);
        // A as stored, rows 4 KiB apart: 8-row tiles, not for Aᵀ or other strides.
        assert_eq!(narrow_tile(100, No, 4096), 8);
        assert_eq!(narrow_tile(100, No, 8192), 8);
        assert_eq!(narrow_tile(24, No, 2048), 24);
        assert_eq!(narrow_tile(24, Yes, 4096), 24);
        assert_eq!(narrow_tile(3, No, 4096), 3);
        assert_eq!(narrow_tile(5, No, 4096), 6);
    }

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
