//! C ← α·A·Bᵀ + β·C by dot products, for a narrow C and a long k, written once over
//! [`Lanes`].
//!
//! # Why a second algorithm
//! In the forward pass Z = W·X with a small batch (C is 100×10: n is the batch), every
//! element of W is used only n times. The packed [`gemm`](super::gemm) would first have to
//! transpose all of W into column panels, which costs as much as the product itself.
//! Here instead each element of C is a dot product of a row of A (contiguous along k, as
//! W is stored) and a row of Bᵀ (= a column of op(B), packed into a contiguous row when
//! B is not already stored transposed; that copy is only n×k, small when n is).
//!
//! # The kernel
//! An R×Q tile of C keeps R·Q vector accumulators; each step along k loads R vectors of A
//! rows and Q vectors of Bᵀ rows and does R·Q fused multiply-adds; at the end each
//! accumulator is summed across its lanes, LANES accumulators at a time by one
//! transposing tree ([`Lanes::sum_lanes`]: a fifth of the shuffles of summing each
//! alone, and the same bits). Every element of C is computed the same way
//! (one accumulator, lanes summed once) whatever tile it falls in, so the edges, and any
//! split of C between threads, give the same bits.
//!
//! k is cut into blocks of KC: within one, the tiles sweep C column block by column block,
//! so the Q×KC piece of Bᵀ stays in L1 while the rows of A stream past from L2. A wide,
//! short tile (Q > R) loads A, the big operand, as few times as possible. Each k block
//! adds its lane sums into C (the first one applies β), the same way for every element.

use core::mem::MaybeUninit;

use super::lanes::{Lanes, gather_fits};
use crate::Float;
use crate::kernels::scratch::scratch;
use crate::kernels::{MatMut, MatRef, Transpose};

/// C ← α·A·op(B) + β·C with A m×k used as stored, op(B) k×n; β = 0 overwrites C without
/// reading it. Tiles of R×Q elements of C, k in blocks of `kc`.
///
/// # Safety
/// The CPU supports `S`'s instruction set; op(A) has at least C's rows and op(B) at least
/// its columns (the views hold their shapes), and k > 0.
///
/// # Panics
/// If A is used transposed.
#[inline(always)]
pub unsafe fn gemm<S: Lanes, const R: usize, const Q: usize>(
    kc: usize,
    alpha: S::Elem,
    a: MatRef<'_, S::Elem>,
    b: MatRef<'_, S::Elem>,
    beta: S::Elem,
    mut c: MatMut<'_, S::Elem>,
) {
    assert!(a.trans() == Transpose::No, "gemm_dots: A must be used as stored");
    let (m, n, k) = (c.n_rows(), c.n_cols(), a.n_cols());
    let (a, lda, b, ldb, tb) = (a.data(), a.ld(), b.data(), b.ld(), b.trans());
    // Row j of Bᵀ: row j of the stored B when tb is Yes, else a packed copy of column j.
    let ldbt = k.next_multiple_of(S::LANES);
    let mut packed = scratch::<S::Elem>(if tb == Transpose::No { n * ldbt } else { 0 });
    let (bt, ldbt) = match tb {
        Transpose::Yes => (b, ldb),
        Transpose::No => {
            // SAFETY: the instruction set is present and B is k×n with stride ldb
            // (contract); `packed` has n rows of ldbt >= k elements.
            unsafe { transpose_into::<S>(k, n, b, ldb, &mut packed, ldbt) };
            (&packed[..], ldbt)
        }
    };
    let (ap, bp, cp, ldc) = (a.as_ptr(), bt.as_ptr(), c.as_mut_ptr(), c.ld());
    // Rows of A in blocks of whole tiles, at most A_BLOCK_BYTES of a k block each, so that
    // a block stays in L2 while every column block of C sweeps over it.
    let mc = (A_BLOCK_BYTES / (kc.min(k) * size_of::<S::Elem>())).max(R) / R * R;
    for pc in (0..k).step_by(kc) {
        let kc = kc.min(k - pc);
        let beta = if pc == 0 { beta } else { S::Elem::ONE };
        for ic in (0..m).step_by(mc) {
            let m_end = m.min(ic + mc);
            for j0 in (0..n).step_by(Q) {
                let q = Q.min(n - j0);
                let mut i0 = ic;
                while i0 < m_end {
                    // The rows left below the last whole tile go two at a time, then one: a
                    // one-row tile does only Q multiply-adds per Q + 1 loads.
                    let rows = if i0 + R <= m_end {
                        R
                    } else if i0 + 2 <= m_end {
                        2
                    } else {
                        1
                    };
                    // SAFETY: i0 < m, pc < k and j0 < n, so these are positions of elements of
                    // `a`, `bt` and `c` (lengths checked by the caller, or packed n×ldbt).
                    let (a0, b0, c0) =
                        unsafe { (ap.add(i0 * lda + pc), bp.add(j0 * ldbt + pc), cp.add(i0 * ldc + j0)) };
                    let at = (a0, lda, b0, ldbt, c0, ldc);
                    // SAFETY: the instruction set is present (contract). The tile reads rows
                    // i0.. i0 + rows <= m of A and j0..j0 + q <= n of Bᵀ at columns
                    // pc..pc + kc <= k, and writes C at those rows and columns: all inside
                    // `a`, `bt` and `c`.
                    unsafe {
                        match (rows, q == Q) {
                            (1, true) => tile::<S, 1, Q>(kc, at, alpha, beta),
                            (1, false) => narrow::<S, 1>(kc, q, at, alpha, beta),
                            (2, true) if R > 2 => tile::<S, 2, Q>(kc, at, alpha, beta),
                            (2, false) if R > 2 => narrow::<S, 2>(kc, q, at, alpha, beta),
                            (_, true) => tile::<S, R, Q>(kc, at, alpha, beta),
                            (_, false) => narrow::<S, R>(kc, q, at, alpha, beta),
                        }
                    }
                    i0 += rows;
                }
            }
        }
    }
}

/// The bytes of A that one block of rows may hold within a k block (see [`gemm`]): half of
/// a 2 MiB L2 cache. Measured in f32 with AVX-512, X·Wᵀ for a 512×784 X and a 1024×784 W:
/// 153 GFLOP/s with all of X swept once per column block, 174 in blocks of rows.
const A_BLOCK_BYTES: usize = 1 << 20;

/// Where a tile reads and writes: (A rows, lda, Bᵀ rows, ldbt, C, ldc).
type At<T> = (*const T, usize, *const T, usize, *mut T, usize);

/// A tile of `q < Q` columns (the right edge), as one tile of exactly q columns.
///
/// # Safety
/// As for [`tile`], with q ≤ 9.
#[inline(always)]
unsafe fn narrow<S: Lanes, const RR: usize>(k: usize, q: usize, at: At<S::Elem>, alpha: S::Elem, beta: S::Elem) {
    // SAFETY: forwarded from this function's contract.
    unsafe {
        match q {
            1 => tile::<S, RR, 1>(k, at, alpha, beta),
            2 => tile::<S, RR, 2>(k, at, alpha, beta),
            3 => tile::<S, RR, 3>(k, at, alpha, beta),
            4 => tile::<S, RR, 4>(k, at, alpha, beta),
            5 => tile::<S, RR, 5>(k, at, alpha, beta),
            6 => tile::<S, RR, 6>(k, at, alpha, beta),
            7 => tile::<S, RR, 7>(k, at, alpha, beta),
            8 => tile::<S, RR, 8>(k, at, alpha, beta),
            _ => tile::<S, RR, 9>(k, at, alpha, beta),
        }
    }
}

/// The RR×QQ tile C ← α·A·Bᵀ + β·C: element (r, q) is α·(row r of A)·(row q of Bᵀ) + β·c.
///
/// # Safety
/// The CPU supports `S`'s instruction set; `at` holds RR rows of A and QQ rows of Bᵀ with k
/// readable elements each (strides lda, ldbt) and an RR×QQ block of C (stride ldc).
// Column q is the outer loop so that one register of Bᵀ at a time is live.
#[allow(clippy::needless_range_loop)]
#[inline(always)]
unsafe fn tile<S: Lanes, const RR: usize, const QQ: usize>(
    k: usize,
    (a, lda, bt, ldbt, c, ldc): At<S::Elem>,
    alpha: S::Elem,
    beta: S::Elem,
) {
    let l = S::LANES;
    // SAFETY: the instruction set is present (contract); loads read `p..p + l` with
    // `p + l <= k`, or the `k - p` elements left, of each row; the stores write the
    // RR×QQ block of C the contract provides.
    unsafe {
        let mut acc = [[S::zero(); QQ]; RR];
        let mut p = 0;
        while p + l <= k {
            let mut av = [S::zero(); RR];
            for (r, av) in av.iter_mut().enumerate() {
                *av = S::load(a.add(r * lda + p));
            }
            for q in 0..QQ {
                let bv = S::load(bt.add(q * ldbt + p));
                for r in 0..RR {
                    acc[r][q] = S::mul_add(av[r], bv, acc[r][q]);
                }
            }
            p += l;
        }
        if p < k {
            let w = k - p;
            let mut av = [S::zero(); RR];
            for (r, av) in av.iter_mut().enumerate() {
                *av = S::load_first(a.add(r * lda + p), w);
            }
            for q in 0..QQ {
                let bv = S::load_first(bt.add(q * ldbt + p), w);
                for r in 0..RR {
                    acc[r][q] = S::mul_add(av[r], bv, acc[r][q]);
                }
            }
        }
        // The lane sums, LANES accumulators at a time in one shared tree (row by row of
        // the tile), zeros after the last accumulator up to a whole group; their sums are
        // not used. The rest of `regs` is never written or read (zeroing it all cost 2%
        // of a training step).
        const { assert!(RR * QQ <= 48) };
        let used = (RR * QQ).next_multiple_of(l);
        let mut regs = [const { MaybeUninit::<S::V>::uninit() }; 48];
        for r in 0..RR {
            for q in 0..QQ {
                regs[r * QQ + q].write(acc[r][q]);
            }
        }
        for reg in &mut regs[RR * QQ..used] {
            reg.write(S::zero());
        }
        // The accumulators end here, in memory. Left to itself, LLVM interleaves them
        // with the trees and then spills some of them inside the loop above (measured:
        // 142 instead of 205 GFLOP/s for a 128×784×100 X·Wᵀ in f32).
        core::hint::black_box(&mut regs);
        let mut sums = [[S::Elem::ZERO; QQ]; RR];
        let flat = sums.as_flattened_mut();
        for done in (0..RR * QQ).step_by(l) {
            let mut out = [S::Elem::ZERO; 16];
            // The l registers from `done` were written above (done + l <= used), and
            // `out` has room for 16 >= l sums.
            S::sum_lanes(regs.as_ptr().add(done).cast::<S::V>(), out.as_mut_ptr());
            let n = l.min(RR * QQ - done);
            flat[done..done + n].copy_from_slice(&out[..n]);
        }
        for (r, sums) in sums.iter().enumerate() {
            for (q, &sum) in sums.iter().enumerate() {
                let s = alpha * sum;
                let cij = c.add(r * ldc + q);
                *cij = if beta == S::Elem::ZERO { s } else { beta * *cij + s };
            }
        }
    }
}

/// dst[j·ld + p] = b[p·ldb + j] for p < k, j < n: the k×n matrix B (row stride `ldb`)
/// transposed into n rows of stride `ld`, LANES elements of a column of B at a time (a
/// strided gather).
///
/// # Safety
/// - The CPU supports `S`'s instruction set.
/// - `b` holds the k×n matrix with row stride `ldb` (its length is at least
///   (k − 1)·ldb + n when k, n > 0), and `dst` holds n rows of k elements with row
///   stride `ld` (at least (n − 1)·ld + k elements). The gathers and stores go through
///   raw pointers, so neither is checked.
#[inline(always)]
unsafe fn transpose_into<S: Lanes>(k: usize, n: usize, b: &[S::Elem], ldb: usize, dst: &mut [S::Elem], ld: usize) {
    let l = S::LANES;
    if !gather_fits::<S>(ldb) {
        for p in 0..k {
            for (j, &v) in b[p * ldb..p * ldb + n].iter().enumerate() {
                dst[j * ld + p] = v;
            }
        }
        return;
    }
    // LANES rows of B at a time (they stay in L1), each column of them gathered into a row
    // of dst.
    for p0 in (0..k).step_by(l) {
        let w = l.min(k - p0);
        for j in 0..n {
            // SAFETY: the caller's instruction set is `S`'s (contract). The gather reads B
            // at rows p0 + u < k for u < w, column j < n, inside `b` (checked by the
            // caller); the store writes elements p0..p0 + w < k of row j of dst, inside
            // its n·ld elements.
            unsafe {
                let v = S::gather_first(b.as_ptr().add(p0 * ldb + j), ldb, w);
                S::store_first(dst.as_mut_ptr().add(j * ld + p0), w, v);
            }
        }
    }
}
