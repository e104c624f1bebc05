//! C ← α·op(A)·op(B) + β·C by packed panels and a register-blocked micro-kernel, written
//! once over [`Lanes`].
//!
//! # The algorithm
//! C is row-major, so the micro-kernel holds an MR×NR tile of C in registers with the NR
//! columns of a row in `NV` vector registers (NR = NV·LANES) and adds, for each p of the
//! k dimension, the outer product of an MR-column of op(A) (broadcast one element at a
//! time) and an NR-row of op(B) (`NV` vector loads): MR·NV fused multiply-adds per p.
//!
//! Around it, three loops block the operands for the caches (sizes in [`Blocking`]):
//! - `jc`: NC columns of C at a time;
//! - `pc`: KC steps of k at a time. The KC×NC block of op(B) is packed into NR-wide
//!   panels (row p of a panel is NR contiguous elements, zero-padded past n), sized to
//!   stay in the L2 cache while every row panel of A sweeps over it;
//! - `ic`: MR rows of C at a time. The MR×KC panel of op(A) is packed (column p is MR
//!   contiguous elements, zero-padded past m) and stays in L1 while the micro-kernel runs
//!   along the NC columns (`jr`), streaming the B panels from L2.
//!
//! Packing is where the transposes are handled: whichever way A and B are stored, the
//! micro-kernel reads the same layout. When op(B) = B, the rows of a B panel are already
//! NR contiguous elements of a row of the stored B, so whole panels are read where they
//! lie (one stride more per step of p) and only the right edge is packed; see
//! [`reads_b_in_place`]. If C is narrow (few column panels, so little reuse
//! of a packed A panel), the micro-kernel reads A in place instead: when op(A) = Aᵀ its
//! MR-columns are contiguous in memory (rows of the stored A); when op(A) = A they are MR
//! elements a row apart, which packing would have to gather one at a time.
//!
//! Packing a transposed operand (op(B) = Bᵀ, or op(A) = A into columns) reads LANES×LANES
//! blocks row by row and transposes them in registers where the instruction set has a
//! fast [`Lanes::transpose`] (AVX-512 `f32`); elsewhere it reads with strided gathers.
//!
//! The first KC block applies β (β = 0 stores without reading C); later blocks add.

use super::lanes::{Lanes, gather_fits};
use crate::Float;
use crate::kernels::scratch::scratch;
use crate::kernels::{MatMut, MatRef, Transpose};

pub use crate::kernels::route::Blocking;

/// C ← α·op(A)·op(B) + β·C, with the MR×(NV·LANES) micro-kernel and the given blocking;
/// C an m×n block of a row-major matrix, op(A) m×k (or more rows), op(B) k×n (or more
/// columns). β = 0 overwrites C without reading it.
///
/// # Safety
/// The CPU supports `S`'s instruction set; op(A) has at least C's rows and op(B) at
/// least its columns (the views hold their shapes), and k > 0.
#[inline(always)]
pub unsafe fn gemm<S: Lanes, const MR: usize, const NV: usize>(
    blocking: Blocking,
    alpha: S::Elem,
    a: MatRef<'_, S::Elem>,
    b: MatRef<'_, S::Elem>,
    beta: S::Elem,
    c: MatMut<'_, S::Elem>,
) {
    let (k, n) = (a.n_cols(), c.n_cols());
    let (a, lda, ta, b, ldb, tb) = (a.data(), a.ld(), a.trans(), b.data(), b.ld(), b.trans());
    // Reading op(A) = A in place needs another micro-kernel, with a row stride; it gets
    // its own copy of the loops, so that each copy holds one micro-kernel (with both in
    // one loop nest, the accumulators were kept in memory: 23% slower at k = 10).
    // SAFETY: this function's contract is `gemm_with`'s.
    unsafe {
        if ta == Transpose::No && reads_a_in_place::<S::Elem>(n, NV * S::LANES, ta, lda) {
            gemm_with::<S, MR, NV, true>(blocking, k, alpha, a, lda, ta, b, ldb, tb, beta, c);
        } else {
            gemm_with::<S, MR, NV, false>(blocking, k, alpha, a, lda, ta, b, ldb, tb, beta, c);
        }
    }
}

/// Whether [`gemm`] reads A in place for a C `n` columns wide, tiles `nr` wide. Packing
/// an A panel costs about as much as one micro-kernel pass over it, so reading A in place
/// wins when few column panels reuse it; with many, the packed copy wins (contiguous, and
/// no cache-set conflicts from a large power-of-two stride). In place, the MR-columns of
/// op(A) = Aᵀ are rows of the stored A; those of op(A) = A are MR elements a row apart,
/// which the packing would otherwise gather one by one. But when op(A) = A, its rows are
/// a multiple of 2 KiB apart and three or four column panels reread each A panel, the MR
/// elements of a column fall in one set of the L1 cache and evict each other between
/// passes (as for B, see [`reads_b_in_place`]): A·B at 2048×2048×100 in f32 ran at 0.63×
/// the `gemm` crate with A in place, 0.77-0.88× packed, so those are packed. (Not so for
/// Aᵀ, whose MR elements are contiguous: packing it at 1024×k×64 took it from 0.99× to
/// 0.77×; nor with one or two panels: 33×2048×33 went from 96 to 148 µs packed.)
fn reads_a_in_place<T>(n: usize, nr: usize, ta: Transpose, lda: usize) -> bool {
    let conflicts = (lda * size_of::<T>()).is_multiple_of(2048);
    n <= 4 * nr && (ta == Transpose::Yes || n <= 2 * nr || !conflicts)
}

/// Whether [`gemm`] reads the whole NR-wide panels of op(B) = B (`tb` is
/// [`Transpose::No`]) in the stored B, `ldb` elements of `T` a row apart, rather than
/// packing them (it always does when C has at most two row panels: packing would cost
/// as much as the one or two passes over B that it would speed up). Skipping the copy
/// saves its pass over B (the weight gradient
/// Δᵀ·X, 100×128×784 in f32: 208 → 221 GFLOP/s); but when the row stride is a multiple of
/// 2 KiB, the kc rows of a panel map to a few sets of the L1 cache and evict each other
/// (1024×1024×1024 in f32: 8% slower in place), so those are packed.
fn reads_b_in_place<T>(ldb: usize) -> bool {
    !(ldb * size_of::<T>()).is_multiple_of(2048)
}

/// [`gemm`] with op(A) = A read in place rather than packed when `A_ROWS_IN_PLACE`
/// (which the caller sets only when `ta` is [`Transpose::No`] and [`reads_a_in_place`]).
///
/// # Safety
/// As for [`gemm`].
#[allow(clippy::too_many_arguments)]
#[inline(always)]
unsafe fn gemm_with<S: Lanes, const MR: usize, const NV: usize, const A_ROWS_IN_PLACE: bool>(
    blocking: Blocking,
    k: usize,
    alpha: S::Elem,
    a: &[S::Elem],
    lda: usize,
    ta: Transpose,
    b: &[S::Elem],
    ldb: usize,
    tb: Transpose,
    beta: S::Elem,
    mut c: MatMut<'_, S::Elem>,
) {
    let (m, n) = (c.n_rows(), c.n_cols());
    let nr = NV * S::LANES;
    debug_assert!(blocking.nc.is_multiple_of(nr) && k > 0);
    let (cp, ldc) = (c.as_mut_ptr(), c.ld());
    let a_in_place = reads_a_in_place::<S::Elem>(n, nr, ta, lda);
    let b_in_place = tb == Transpose::No && (reads_b_in_place::<S::Elem>(ldb) || m <= 2 * MR);
    let kc_max = blocking.kc.min(k);
    // NC bounds the packed B block (KC×NC) to its share of L2; when k is shorter than KC
    // the same share holds more columns, and fewer blocks mean fewer repacks of A.
    let nc_max = (blocking.nc * blocking.kc / kc_max).next_multiple_of(nr);
    let b_len = kc_max * nc_max.min(n.next_multiple_of(nr));
    let a_len = MR * kc_max;
    let mut buf = scratch::<S::Elem>(b_len + a_len);
    let (b_pack, a_pack) = buf.split_at_mut(b_len);
    for jc in (0..n).step_by(nc_max) {
        let nc = nc_max.min(n - jc);
        for pc in (0..k).step_by(blocking.kc) {
            let kc = blocking.kc.min(k - pc);
            // Columns jc..jc + whole of this block are read in place, the rest packed.
            let whole = if b_in_place { nc / nr * nr } else { 0 };
            // SAFETY: the instruction set is present and B holds rows pc..pc + kc <= k,
            // columns jc..jc + nc <= n of op(B) (contract); nr = NV·LANES.
            unsafe { pack_b::<S>(nr, kc, nc - whole, b, ldb, tb, pc, jc + whole, b_pack) };
            let beta = if pc == 0 { beta } else { S::Elem::ONE };
            for ic in (0..m).step_by(MR) {
                let mr = MR.min(m - ic);
                // Element (i, p) of this MR×kc panel of op(A) is at a_panel + i·a_row +
                // p·a_step: packed, or in the stored A when the panel has all MR rows.
                let (a_panel, a_row, a_step) = match ta {
                    // Column p of the panel is row pc + p of the stored A, from column ic.
                    Transpose::Yes if a_in_place && mr == MR => (a[pc * lda + ic..].as_ptr(), 1, lda),
                    // Row i of the panel is row ic + i of A, from column pc.
                    Transpose::No if A_ROWS_IN_PLACE && mr == MR => (a[ic * lda + pc..].as_ptr(), lda, 1),
                    // The last panel, of fewer than MR rows: its rows copied whole into the
                    // scratch panel (kc contiguous elements each, where packing them into
                    // columns would gather one element at a time), zero rows below, and
                    // read by the same kernel. (f64 A·B at 3×2048×8 took 12.3 µs with the
                    // gathers, 4×2048×8 3.1 µs.)
                    Transpose::No if A_ROWS_IN_PLACE => {
                        let panel = &mut a_pack[..MR * kc];
                        for (i, row) in panel.chunks_exact_mut(kc).enumerate() {
                            if i < mr {
                                row.copy_from_slice(&a[(ic + i) * lda + pc..][..kc]);
                            } else {
                                row.fill(S::Elem::ZERO);
                            }
                        }
                        (panel.as_ptr(), kc, 1)
                    }
                    _ => {
                        // SAFETY: the instruction set is present and A holds rows
                        // ic..ic + mr <= m, columns pc..pc + kc <= k of op(A) (contract).
                        unsafe { pack_a::<S, MR>(kc, mr, a, lda, ta, ic, pc, a_pack) };
                        (a_pack.as_ptr(), 1, MR)
                    }
                };
                // The prefetch hints of the first tile: see `Prefetch`.
                let here = Prefetch { first: a_panel, step: a_step, last: 0 };
                let next = if ta == Transpose::Yes && ic + mr < m {
                    let first = a.as_ptr().wrapping_add(pc * lda + ic + mr);
                    Prefetch { first, step: lda, last: MR.min(m - ic - mr) - 1 }
                } else {
                    here
                };
                for jr in (0..nc).step_by(nr) {
                    let nr_here = nr.min(nc - jr);
                    // Row p of this B panel is at b_panel + p·b_step: rows pc.. of the
                    // stored B from column jc + jr, or packed.
                    let (b_panel, b_step) = if jr < whole {
                        (b[pc * ldb + jc + jr..].as_ptr(), ldb)
                    } else {
                        (b_pack[(jr - whole) * kc..].as_ptr(), nr)
                    };
                    // SAFETY: the instruction set is present (contract). The A panel
                    // holds MR×kc readable elements at `a_row`, `a_step` apart: packed,
                    // or rows ic..ic + MR, columns pc..pc + kc of op(A) in the stored A,
                    // inside `a` because ic + MR <= m and pc + kc <= k. The B panel holds kc
                    // rows of nr readable elements, b_step apart: packed, or rows
                    // pc..pc + kc, columns jc + jr..jc + jr + nr of the stored B (inside `b`
                    // since pc + kc <= k and jr + nr <= whole <= nc). The C tile starts at
                    // row ic, column jc + jr, and the kernel writes only its first mr rows
                    // and nr_here columns, inside `c` since ic + mr <= m and
                    // jc + jr + nr_here <= n.
                    unsafe {
                        let c_tile = cp.add(ic * ldc + jc + jr);
                        micro_kernel::<S, MR, NV, A_ROWS_IN_PLACE>(
                            kc,
                            a_panel,
                            a_row,
                            a_step,
                            b_panel,
                            b_step,
                            c_tile,
                            ldc,
                            mr,
                            nr_here,
                            alpha,
                            beta,
                            if jr == 0 { next } else { here },
                        );
                    };
                }
            }
        }
    }
}

/// Where the micro-kernel sends its two prefetch hints at step p: `first + p·step` and
/// `first + p·step + last` (`S::prefetch`, which reads nothing and takes any address).
///
/// In the first tile of each row panel of C when op(A) = Aᵀ is read in place, they go to
/// the next panel: its kc columns are rows of the stored A apart, often in different
/// pages, where the hardware prefetchers stop, and the panel is read from memory once per
/// k block (Aᵀ·B at 2048×2048×64 in f32 spent almost half its time waiting for it, 0.55×
/// the `gemm` crate; the same product at k = 256, which stays in the L3 cache, ran at
/// full speed). Elsewhere they go to the panel in use, already in the cache: choosing
/// per tile whether to send hints at all (a branch on `Option` in the loop, or a second
/// copy of the micro-kernel) made LLVM keep the accumulators of some tiles in memory.
/// No hints at all in the one-register tiles (with them, their 24 accumulators were kept
/// in memory too: Aᵀ·B at 64×2048×16 at 0.4× the `gemm` crate rather than 0.9×), nor in
/// k blocks shorter than 16, where a tile is so short that the hints' setup showed (f64
/// Aᵀ·B at 1024×3×16: 6.9 µs with them, 4.6 µs without; a test on the tile's constants
/// and kc, made once before the loop).
#[derive(Clone, Copy)]
struct Prefetch<T> {
    first: *const T,
    step: usize,
    last: usize,
}

/// The MR×NR tile C ← α·Σₚ aₚ·bₚᵀ + β·C, where aₚ (MR elements) and bₚ (NR = NV·LANES
/// elements) are column p of the A panel and row p of the B panel. Only the first
/// `mr` rows and `nr` columns of the tile are stored (masked at the right edge).
/// Element i of aₚ is at `a + i·a_row + p·a_step`; without `STRIDED`, `a_row` is taken to
/// be 1, so that the packed case keeps its plain addressing. bₚ is at `b + p·b_step`.
/// Each step sends the two hints of `prefetch` when the tile is wider than one register and
/// kc ≥ 16 (see [`Prefetch`]).
///
/// # Safety
/// The CPU supports `S`'s instruction set; `a + i·a_row + p·a_step` is readable for i < MR,
/// p < kc; `b + p·b_step` points at NR readable elements for p < kc; `c` at a tile whose
/// first `mr` rows (stride `ldc`) have `nr` writable elements, mr ≤ MR, nr ≤ NR.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
unsafe fn micro_kernel<S: Lanes, const MR: usize, const NV: usize, const STRIDED: bool>(
    kc: usize,
    a: *const S::Elem,
    a_row: usize,
    a_step: usize,
    b: *const S::Elem,
    b_step: usize,
    c: *mut S::Elem,
    ldc: usize,
    mr: usize,
    nr: usize,
    alpha: S::Elem,
    beta: S::Elem,
    prefetch: Prefetch<S::Elem>,
) {
    let l = S::LANES;
    // SAFETY: the instruction set is present (contract). Reads: element i of group p of
    // A is `a + i·a_row + p·a_step`, row p of B is `b + p·b_step .. + NV·l`, both inside
    // what the contract provides for p < kc. Writes: row i < mr of the tile, columns
    // `v·l..` up to nr, masked when fewer than l remain. The prefetch hints read nothing,
    // and their addresses are computed with wrapping arithmetic.
    unsafe {
        let mut acc = [[S::zero(); NV]; MR];
        let (mut ap, mut bp) = (a, b);
        let hints = NV > 1 && kc >= 16;
        for p in 0..kc {
            if hints {
                let hint = prefetch.first.wrapping_add(p * prefetch.step);
                S::prefetch(hint);
                S::prefetch(hint.wrapping_add(prefetch.last));
            }
            let mut bv = [S::zero(); NV];
            for (v, bv) in bv.iter_mut().enumerate() {
                *bv = S::load(bp.add(v * l));
            }
            for (i, acc) in acc.iter_mut().enumerate() {
                let ai = S::splat(*ap.add(if STRIDED { i * a_row } else { i }));
                for v in 0..NV {
                    acc[v] = S::mul_add(ai, bv[v], acc[v]);
                }
            }
            ap = ap.add(a_step);
            bp = bp.add(b_step);
        }

        let alpha_v = S::splat(alpha);
        let beta_v = S::splat(beta);
        // c ← α·acc + β·c, by the same operations on every element of every tile. With
        // α = 1 the product α·acc is acc exactly, so the multiply is skipped (it is a
        // sizeable part of a tile when k is small, as in the weight gradient).
        let scaled = |acc: S::V| if alpha == S::Elem::ONE { acc } else { S::mul(alpha_v, acc) };
        let update = |acc: S::V, c: S::V| {
            let ab = scaled(acc);
            if beta == S::Elem::ONE { S::add(c, ab) } else { S::mul_add(beta_v, c, ab) }
        };
        if mr == MR && nr == NV * l {
            // A whole tile: full-width loads and stores, unrolled, accumulators in registers.
            for (i, acc) in acc.iter().enumerate() {
                let row = c.add(i * ldc);
                for (v, &acc) in acc.iter().enumerate() {
                    let out = if beta == S::Elem::ZERO { scaled(acc) } else { update(acc, S::load(row.add(v * l))) };
                    S::store(row.add(v * l), out);
                }
            }
        } else {
            // An edge tile: the first mr rows, the first nr columns (masked). The loop
            // bounds are only known at run time, so it works on a copy: indexing `acc`
            // itself by a run-time row would move the accumulators of the k loop above
            // out of registers and into memory.
            let mut spilled = [[S::zero(); NV]; MR];
            for (spilled, acc) in spilled.iter_mut().zip(&acc) {
                *spilled = *acc;
            }
            for (i, acc) in spilled.iter().enumerate().take(mr) {
                let row = c.add(i * ldc);
                for (v, &acc) in acc.iter().enumerate() {
                    let j = v * l;
                    if j >= nr {
                        break;
                    }
                    let w = (nr - j).min(l);
                    let out =
                        if beta == S::Elem::ZERO { scaled(acc) } else { update(acc, S::load_first(row.add(j), w)) };
                    S::store_first(row.add(j), w, out);
                }
            }
        }
    }
}

/// The shortest k block packed by transposing LANES×LANES blocks in registers: below it,
/// most of each block's loads and shuffles move nothing (a 16×16 block yields 16×kc
/// elements), and strided gathers cost less (A·Bᵀ at 3×3×2048 in f32 took 6.4 µs by
/// blocks, 0.38× the `gemm` crate).
const TRANSPOSE_MIN_K: usize = 8;

/// Packs rows pc..pc + kc, columns jc..jc + nc of op(B) into `nr`-wide panels: panel q,
/// row p is `dst[(q·kc + p)·nr ..][..nr]`, zero-padded past column nc.
///
/// # Safety
/// - The CPU supports `S`'s instruction set.
/// - `nr` is a multiple of `S::LANES`.
/// - `b`, row-major with row stride `ldb`, holds rows pc..pc + kc and columns
///   jc..jc + nc of op(B): of B itself when `tb` is [`Transpose::No`], else columns
///   pc..pc + kc of rows jc..jc + nc of the stored Bᵀ. (The transposed branches read
///   through raw pointers, so this is not checked.)
///
/// `dst` shorter than ⌈nc/nr⌉·kc·nr elements panics.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
unsafe fn pack_b<S: Lanes>(
    nr: usize,
    kc: usize,
    nc: usize,
    b: &[S::Elem],
    ldb: usize,
    tb: Transpose,
    pc: usize,
    jc: usize,
    dst: &mut [S::Elem],
) {
    let l = S::LANES;
    for (q, j0) in (0..nc).step_by(nr).enumerate() {
        let w = nr.min(nc - j0);
        let panel = &mut dst[q * kc * nr..(q + 1) * kc * nr];
        match tb {
            // Row p of op(B) is row pc + p of B: copy w contiguous elements, a register at
            // a time (a call to memcpy per 32 elements would cost more than the copy).
            Transpose::No => {
                for (p, out) in panel.chunks_exact_mut(nr).enumerate() {
                    let row = &b[(pc + p) * ldb + jc + j0..][..w];
                    for v0 in (0..nr).step_by(l) {
                        let valid = w.saturating_sub(v0).min(l);
                        // SAFETY: the caller's instruction set is `S`'s (contract); the load
                        // reads `valid` elements of `row` from v0 (v0 + valid <= w), the
                        // store writes lanes v0..v0 + l <= nr of this panel row.
                        unsafe {
                            let v = if valid == 0 { S::zero() } else { S::load_first(row.as_ptr().add(v0), valid) };
                            S::store(out.as_mut_ptr().add(v0), v);
                        }
                    }
                }
            }
            // Row p of op(B) is column pc + p of B, rows jc + j0..: LANES×LANES blocks of
            // B, read row by row, transposed in registers.
            Transpose::Yes if S::TRANSPOSES_IN_REGISTERS && kc >= TRANSPOSE_MIN_K => {
                // SAFETY: the caller's instruction set is `S`'s (contract). Rows
                // jc + j0 + u < jc + nc <= n for u < w of B hold columns pc..pc + kc <= k
                // (inside `b`, checked by the caller); the panel holds kc rows of nr.
                unsafe {
                    // Past the last row when w is 0: computed without `add`'s promise.
                    let src = b.as_ptr().wrapping_add((jc + j0) * ldb + pc);
                    pack_transposed::<S>(src, ldb, w, nr, kc, panel.as_mut_ptr());
                }
            }
            // Otherwise with strided gathers, LANES rows at a time.
            Transpose::Yes if gather_fits::<S>(ldb) => {
                let first = (jc + j0) * ldb + pc;
                for (p, out) in panel.chunks_exact_mut(nr).enumerate() {
                    for v0 in (0..nr).step_by(l) {
                        let valid = w.saturating_sub(v0).min(l);
                        // SAFETY: the caller's instruction set is `S`'s (contract). The
                        // gather reads B at rows jc + j0 + v0 + u < jc + nc <= n for
                        // u < valid, column pc + p < k, inside `b` (checked by the caller);
                        // the store writes lanes v0..v0 + l <= nr of this panel row.
                        unsafe {
                            let v = if valid == 0 {
                                S::zero()
                            } else {
                                S::gather_first(b.as_ptr().add(first + v0 * ldb + p), ldb, valid)
                            };
                            S::store(out.as_mut_ptr().add(v0), v);
                        }
                    }
                }
            }
            // The same, element by element, for strides too large for 32-bit gather offsets.
            Transpose::Yes => {
                for (p, out) in panel.chunks_exact_mut(nr).enumerate() {
                    for (j, o) in out.iter_mut().enumerate() {
                        *o = if j < w { b[(jc + j0 + j) * ldb + pc + p] } else { S::Elem::ZERO };
                    }
                }
            }
        }
    }
}

/// Packs rows ic..ic + mr, columns pc..pc + kc of op(A) into one MR-tall panel: column p
/// is `dst[p·MR..][..MR]`, zero-padded past row mr.
///
/// # Safety
/// - The CPU supports `S`'s instruction set.
/// - mr ≤ MR, and `a`, row-major with row stride `lda`, holds rows ic..ic + mr and
///   columns pc..pc + kc of op(A): of A itself when `ta` is [`Transpose::No`], else
///   columns ic..ic + mr of rows pc..pc + kc of the stored Aᵀ. (The branches for
///   op(A) = A read through raw pointers, so this is not checked.)
///
/// `dst` shorter than kc·MR elements panics.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
unsafe fn pack_a<S: Lanes, const MR: usize>(
    kc: usize,
    mr: usize,
    a: &[S::Elem],
    lda: usize,
    ta: Transpose,
    ic: usize,
    pc: usize,
    dst: &mut [S::Elem],
) {
    let l = S::LANES;
    let panel = &mut dst[..kc * MR];
    match ta {
        // Column p of op(A) is column pc + p of A, rows ic..: LANES×LANES blocks of A,
        // read row by row, transposed in registers.
        Transpose::No if S::TRANSPOSES_IN_REGISTERS && kc >= TRANSPOSE_MIN_K => {
            // SAFETY: the caller's instruction set is `S`'s (contract). Rows ic + i < ic + mr
            // <= m for i < mr of A hold columns pc..pc + kc <= k (inside `a`, checked by the
            // caller); the panel holds kc columns of MR.
            unsafe { pack_transposed::<S>(a.as_ptr().add(ic * lda + pc), lda, mr, MR, kc, panel.as_mut_ptr()) };
        }
        // Otherwise with strided gathers.
        Transpose::No if gather_fits::<S>(lda) => {
            let first = ic * lda + pc;
            for (p, out) in panel.chunks_exact_mut(MR).enumerate() {
                for i0 in (0..MR).step_by(l) {
                    let lanes = l.min(MR - i0);
                    let valid = mr.saturating_sub(i0).min(lanes);
                    // SAFETY: the caller's instruction set is `S`'s (contract). The gather
                    // reads A at rows ic + i0 + u < ic + mr <= m for u < valid, column
                    // pc + p < k, inside `a` (checked by the caller); the store writes
                    // `lanes` elements from i0, inside this MR-long panel column.
                    unsafe {
                        let v = if valid == 0 {
                            S::zero()
                        } else {
                            S::gather_first(a.as_ptr().add(first + i0 * lda + p), lda, valid)
                        };
                        S::store_first(out.as_mut_ptr().add(i0), lanes, v);
                    }
                }
            }
        }
        // The same, element by element, for strides too large for 32-bit gather offsets.
        Transpose::No => {
            for (p, out) in panel.chunks_exact_mut(MR).enumerate() {
                for (i, o) in out.iter_mut().enumerate() {
                    *o = if i < mr { a[(ic + i) * lda + pc + p] } else { S::Elem::ZERO };
                }
            }
        }
        // Column p of op(A) is row pc + p of A: copy mr contiguous elements, a register at
        // a time.
        Transpose::Yes => {
            for (p, out) in panel.chunks_exact_mut(MR).enumerate() {
                let row = &a[(pc + p) * lda + ic..][..mr];
                for i0 in (0..MR).step_by(l) {
                    let lanes = l.min(MR - i0);
                    let valid = mr.saturating_sub(i0).min(lanes);
                    // SAFETY: the caller's instruction set is `S`'s (contract); the load
                    // reads `valid` elements of `row` from i0 (i0 + valid <= mr), the store
                    // writes `lanes` elements from i0, inside this MR-long panel column.
                    unsafe {
                        let v = if valid == 0 { S::zero() } else { S::load_first(row.as_ptr().add(i0), valid) };
                        S::store_first(out.as_mut_ptr().add(i0), lanes, v);
                    }
                }
            }
        }
    }
}

/// Packs `kc` columns of `width` rows of a matrix at `src` (row stride `ld`) transposed
/// into `dst`: column p goes to `dst[p·width..][..width]`. Only the first `valid` rows are
/// read; the rest of each packed column is zeros. LANES×LANES blocks are read row by row
/// and transposed in registers ([`Lanes::transpose`]).
///
/// # Safety
/// The caller's instruction set is `S`'s; `src + u·ld` has `kc` readable elements for
/// u < valid ≤ width (`src` itself need not be readable when `valid` is 0); `dst` has
/// kc·width writable elements.
#[inline(always)]
unsafe fn pack_transposed<S: Lanes>(
    src: *const S::Elem,
    ld: usize,
    valid: usize,
    width: usize,
    kc: usize,
    dst: *mut S::Elem,
) {
    let l = S::LANES;
    for v0 in (0..width).step_by(l) {
        let lanes = l.min(width - v0);
        let rows = valid.saturating_sub(v0).min(lanes);
        for p0 in (0..kc).step_by(l) {
            let cols = l.min(kc - p0);
            // SAFETY: the instruction set is present (contract). The loads read rows
            // v0 + u < valid for u < rows, columns p0..p0 + cols <= kc; the stores write
            // `lanes` elements from v0 of columns p0..p0 + cols of `dst`; `transpose`
            // takes LANES ≤ 16 registers.
            unsafe {
                let mut block = [S::zero(); 16];
                for (u, reg) in block.iter_mut().enumerate().take(rows) {
                    let row = src.add((v0 + u) * ld + p0);
                    *reg = if cols == l { S::load(row) } else { S::load_first(row, cols) };
                }
                S::transpose(block.as_mut_ptr());
                for (p, &v) in block.iter().enumerate().take(cols) {
                    let out = dst.add((p0 + p) * width + v0);
                    if lanes == l { S::store(out, v) } else { S::store_first(out, lanes, v) }
                }
            }
        }
    }
}
