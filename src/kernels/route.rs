//! Which algorithm computes a matrix product: the [`Route`], chosen once from the shape of
//! the whole product by [`plan`] with one instruction set's [`Tuning`], and handed to
//! every block of it.
//!
//! A product split between threads must give the bits of the whole one, and the bits
//! depend on the algorithm (the order of the sums). Deciding the route here, before C is
//! cut into blocks, is what makes every block take the same one.
//!
//! The constants of each instruction set and precision sit in its `Tuning` table, each
//! with the measurement that set it. "Measured against the `gemm` crate" means the
//! `gemm_grid` bench (`cargo bench -p backprop-benches --bench gemm_grid`), on one core
//! of a Zen 4; measurements on a Xeon (AVX-512) are named as such.

use super::Transpose;

/// The cache blocking of the packed product: steps of k per packed block, and columns of
/// C per packed block of op(B).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Blocking {
    /// Steps of k per packed block (the depth of the micro-kernel loop).
    pub kc: usize,
    /// Columns of C per packed block of op(B); a multiple of the tile width.
    pub nc: usize,
}

/// The shape of a whole product C ← α·op(A)·op(B) + β·C: op(A) is m×k, op(B) k×n, and how
/// A and B are stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    /// Rows of the whole C (a block of its rows has fewer).
    pub m: usize,
    /// The length of the sums.
    pub k: usize,
    /// Columns of the whole C.
    pub n: usize,
    /// Whether A is stored transposed (k×m).
    pub ta: Transpose,
    /// Whether B is stored transposed (n×k).
    pub tb: Transpose,
}

/// The algorithm of a product with m, n, k all > 1 (the rest are matrix·vector products,
/// routed before this).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// `gemm_small`: rows of C `nv` registers wide, op(B) copied to the stack; for products
    /// too small to pay for packing.
    Small {
        /// Registers per row of C: 1, 2 or 4.
        nv: usize,
    },
    /// `gemm_cols`: registers down the columns of a narrow C, for op(A) = Aᵀ.
    Cols,
    /// `gemm_dots`: tiles of dot products along k, for A as stored; k in blocks of `kc`.
    Dots {
        /// Steps of k per block.
        kc: usize,
    },
    /// The packed product with tiles one register wide, for C at most that wide.
    Narrow(Blocking),
    /// The packed product, in tiles two registers wide or more (with
    /// [`Tuning::split_last`], C's last columns apart: see [`last_register`]).
    Packed(Blocking),
}

/// One instruction set's routing constants for one element type. `None` or 0 turns a
/// route off.
#[derive(Clone, Copy, Debug)]
pub struct Tuning {
    /// Elements per register.
    pub lanes: usize,
    /// The small kernel: its widest row in registers, its longest k and the most elements
    /// of its copy of op(B); `None` where it is not used.
    pub small: Option<SmallLimits>,
    /// Small A·Bᵀ by dot products, not by the small kernel, from this k (or from
    /// `by_dots_k_few` when the whole product has at most 8 rows): the small kernel's copy
    /// of op(B), written element by element from the rows of Bᵀ, is shared by too few rows.
    pub small_by_dots: Option<SmallByDots>,
    /// The column tiles of `gemm_cols` (op(A) = Aᵀ) for C this many columns wide.
    pub cols: Option<(usize, usize)>,
    /// The dot products: the widest C (A stored as used, k ≥ 64), and in blocks of `kc`.
    pub dots: Dots,
    /// The widest C of the one-register packed tiles, and their blocking.
    pub narrow: (usize, Blocking),
    /// The blocking of the packed product.
    pub packed: Blocking,
    /// Whether a packed product computes C's last block of at most one register of columns
    /// as a product of its own, by the route a C that narrow takes (see [`last_register`]).
    pub split_last: bool,
}

/// The limits of the small kernel (see [`Tuning::small`]).
#[derive(Clone, Copy, Debug)]
pub struct SmallLimits {
    /// The widest row of C, in registers (1, 2 or 4).
    pub max_nv: usize,
    /// The longest k.
    pub max_k: usize,
    /// The most elements of the copy of op(B): k·nv·lanes.
    pub b_len: usize,
    /// The most multiply-adds of the whole product.
    pub max_flops: usize,
}

/// When a small A·Bᵀ goes to the dot products (see [`Tuning::small_by_dots`]).
#[derive(Clone, Copy, Debug)]
pub struct SmallByDots {
    /// From this k.
    pub k: usize,
    /// From this k when the whole product has at most 8 rows.
    pub k_few_rows: usize,
    /// The widest C.
    pub max_n: usize,
}

/// When the dot products compute a product (see [`Tuning::dots`]).
#[derive(Clone, Copy, Debug)]
pub struct Dots {
    /// The widest C.
    pub max_n: usize,
    /// The widest C for A·Bᵀ (a layer's forward pass X·Wᵀ) with k ≥ 512, where the packed
    /// tiles would transpose B by gathers first.
    pub max_n_forward: usize,
    /// Any width for A·Bᵀ with k ≥ 512 when the whole product has at most this many rows
    /// (a small batch).
    pub any_n_rows: usize,
    /// A·B (B as stored) with at most 16 rows in all and more than this many columns goes
    /// to the packed tiles: the dot products' copy of Bᵀ is shared by too few rows.
    pub few_rows_max_n: Option<usize>,
    /// A·B (B as stored) with C from this many columns up to the one-register tiles'
    /// widest goes to those tiles, whatever its rows: each row of B is then one register
    /// where it lies, where the dot products would first copy Bᵀ.
    pub narrow_from: Option<usize>,
    /// Steps of k per block.
    pub kc: usize,
}

/// The route of the product of shape `shape` with the constants `t`: the small kernel if
/// it fits, else the column tiles, the dot products, the one-register tiles or the packed
/// product, the first that applies. Depends only on the whole product's shape.
pub fn plan(t: &Tuning, shape: Shape) -> Route {
    let Shape { m, k, n, ta, tb } = shape;
    let a_as_stored = ta == Transpose::No;
    let small_by_dots = t.small_by_dots.is_some_and(|s| {
        a_as_stored && tb == Transpose::Yes && n <= s.max_n && k >= if m <= 8 { s.k_few_rows } else { s.k }
    });
    if let Some(nv) = t.small.and_then(|s| small_width(&s, t.lanes, m, k, n)).filter(|_| !small_by_dots) {
        return Route::Small { nv };
    }
    if !a_as_stored && t.cols.is_some_and(|(lo, hi)| (lo..=hi).contains(&n)) {
        return Route::Cols;
    }
    let d = t.dots;
    let forward = tb == Transpose::Yes && k >= 512;
    let max_n = match () {
        () if forward && m <= d.any_n_rows => usize::MAX,
        () if forward => d.max_n_forward,
        () => d.max_n,
    };
    let few_rows_wide = d.few_rows_max_n.is_some_and(|max| tb == Transpose::No && m <= 16 && n > max);
    let one_register = d.narrow_from.is_some_and(|from| tb == Transpose::No && (from..=t.narrow.0).contains(&n));
    if small_by_dots || (a_as_stored && n <= max_n && k >= 64 && !few_rows_wide && !one_register) {
        return Route::Dots { kc: d.kc };
    }
    let (narrow_n, narrow) = t.narrow;
    if n <= narrow_n {
        return Route::Narrow(narrow);
    }
    Route::Packed(t.packed)
}

/// How many registers wide the small kernel makes its rows, if the product is small
/// enough for it: C at most `max_nv` registers wide, k and the copy of op(B) within the
/// limits, and at most `max_flops` multiply-adds in the whole product.
fn small_width(s: &SmallLimits, lanes: usize, m: usize, k: usize, n: usize) -> Option<usize> {
    let nv = [1, 2, 4].into_iter().take_while(|&nv| nv <= s.max_nv).find(|nv| n <= nv * lanes)?;
    let fits = k <= s.max_k && k * nv * lanes <= s.b_len;
    (fits && m.saturating_mul(k).saturating_mul(n) <= s.max_flops).then_some(nv)
}

/// The first column of C's last block of at most one register of `lanes` that a packed
/// product computes apart (see [`Tuning::split_last`]): when C is wider than two registers
/// and its last two-register tile would be at most half full. `None` if there is none.
pub fn last_register(lanes: usize, n: usize) -> Option<usize> {
    let rest = n % (2 * lanes);
    (n > 2 * lanes && rest > 0 && rest <= lanes).then(|| n - rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_register_goes_apart_when_at_most_half_a_tile() {
        // 16 lanes: tiles 32 wide.
        assert_eq!(last_register(16, 33), Some(32));
        assert_eq!(last_register(16, 48), Some(32));
        assert_eq!(last_register(16, 49), None);
        assert_eq!(last_register(16, 64), None);
        assert_eq!(last_register(16, 16), None);
        assert_eq!(last_register(16, 100), Some(96));
    }
}
