//! One SIMD register of `f32` or `f64` and the few operations the kernels are written in.
//!
//! The kernel bodies of this module's siblings are generic over [`Lanes`] and marked
//! `#[inline(always)]`; each architecture implements it for its registers (AVX-512F and
//! AVX2 on x86-64, NEON on AArch64) and instantiates the bodies in `#[target_feature]`
//! wrappers, so every operation is compiled with the wrapper's instruction set.

use crate::Float;

/// A SIMD register of [`Lanes::LANES`] elements of type [`Lanes::Elem`].
///
/// # Safety
/// Every method is `unsafe` for one shared reason: it executes instructions of the
/// implementing instruction set, so the caller guarantees that the CPU supports it
/// (AVX-512F, AVX2 and FMA, or NEON). Methods that take a pointer list
/// what they read or write in their own doc.
pub trait Lanes: Copy {
    /// The element type, `f32` or `f64`.
    type Elem: Float;
    /// The register type.
    type V: Copy;
    /// Elements per register.
    const LANES: usize;
    /// Vector registers the instruction set has (16 for AVX2, 32 for AVX-512), which
    /// bounds how many accumulators a kernel can keep.
    const REGISTERS: usize;

    /// A register of zeros.
    unsafe fn zero() -> Self::V;
    /// A register with every lane equal to `x`.
    unsafe fn splat(x: Self::Elem) -> Self::V;
    /// Reads `LANES` elements from `p` (no alignment needed).
    unsafe fn load(p: *const Self::Elem) -> Self::V;
    /// Writes `LANES` elements to `p` (no alignment needed).
    unsafe fn store(p: *mut Self::Elem, v: Self::V);
    /// Reads the first `n` elements from `p` (n ≤ LANES) and sets the other lanes to 0;
    /// memory past `p + n` is not touched.
    unsafe fn load_first(p: *const Self::Elem, n: usize) -> Self::V;
    /// Writes the first `n` lanes of `v` to `p` (n ≤ LANES); memory past `p + n` is not touched.
    unsafe fn store_first(p: *mut Self::Elem, n: usize, v: Self::V);
    /// a·b + c, rounded once (fused multiply-add).
    unsafe fn mul_add(a: Self::V, b: Self::V, c: Self::V) -> Self::V;
    /// a·b.
    unsafe fn mul(a: Self::V, b: Self::V) -> Self::V;
    /// a + b.
    unsafe fn add(a: Self::V, b: Self::V) -> Self::V;
    /// The sum of the lanes.
    unsafe fn sum(v: Self::V) -> Self::Elem;
    /// The lane sums of `LANES` registers at once:
    /// `*out.add(i)` = [`sum`](Self::sum)`(*v.add(i))` for i < `LANES`, bit for bit (the
    /// same lanes added in pairs in the same order).
    /// One transposing tree of log₂(LANES) steps sums them all, sharing its shuffles,
    /// where `LANES` single sums would take that many steps each.
    ///
    /// Reads `LANES` registers at `v` and writes `LANES` elements at `out`.
    unsafe fn sum_lanes(v: *const Self::V, out: *mut Self::Elem) {
        for i in 0..Self::LANES {
            // SAFETY: the caller's instruction set is this one and the pointers cover
            // `LANES` registers and elements (trait contract and this method's).
            unsafe { *out.add(i) = Self::sum(*v.add(i)) };
        }
    }
    /// Asks the CPU to bring the cache line holding `p` into the L1 cache ahead of a read,
    /// where the instruction set has a prefetch hint (x86-64); elsewhere nothing. A hint
    /// reads no memory and never faults, so `p` may be any address (computed with
    /// `wrapping_add` if it may leave its allocation).
    #[inline(always)]
    unsafe fn prefetch(p: *const Self::Elem) {
        let _ = p;
    }
    /// Whether [`transpose`](Self::transpose) is a network of register shuffles, cheaper
    /// than [`gather_first`](Self::gather_first) for packing a transposed operand (the
    /// default transposes through memory, one element at a time).
    const TRANSPOSES_IN_REGISTERS: bool = false;
    /// Transposes the LANES×LANES block held row by row in the `LANES` registers at `v`,
    /// in place: afterwards lane j of register i is what lane i of register j was.
    ///
    /// Reads and writes `LANES` registers at `v` (LANES ≤ 16).
    unsafe fn transpose(v: *mut Self::V) {
        // SAFETY: forwarded from this method's contract.
        unsafe { transpose_in_memory::<Self>(v) }
    }
    /// Lane i = `*p.add(i·stride)` for i < n (n ≤ LANES), the other lanes 0: a strided
    /// column read, used to transpose while packing. Elements past the first n are not
    /// touched.
    ///
    /// Requires `stride·LANES·size_of::<Elem>() <= i32::MAX` (see [`gather_fits`]).
    unsafe fn gather_first(p: *const Self::Elem, stride: usize, n: usize) -> Self::V;
}

/// Whether [`Lanes::gather_first`] can take this stride: its lane offsets are 32-bit.
#[inline(always)]
pub fn gather_fits<S: Lanes>(stride: usize) -> bool {
    i32::try_from(stride.saturating_mul(S::LANES * size_of::<S::Elem>())).is_ok()
}

/// [`Lanes::transpose`] through memory, one element at a time: the trait's default, for
/// instruction sets without a shuffle network for it.
///
/// # Safety
/// As for [`Lanes::transpose`].
pub unsafe fn transpose_in_memory<S: Lanes>(v: *mut S::V) {
    let l = S::LANES;
    let (mut rows, mut columns) = ([[S::Elem::ZERO; 16]; 16], [[S::Elem::ZERO; 16]; 16]);
    // SAFETY: the caller's instruction set is `S`'s and `v` covers `LANES` registers
    // (contract); each row of `rows` and `columns` has room for 16 ≥ LANES elements.
    unsafe {
        for (i, row) in rows.iter_mut().enumerate().take(l) {
            S::store(row.as_mut_ptr(), *v.add(i));
        }
        for (i, row) in rows.iter().enumerate() {
            for (j, &x) in row.iter().enumerate() {
                columns[j][i] = x;
            }
        }
        for (j, column) in columns.iter().enumerate().take(l) {
            *v.add(j) = S::load(column.as_ptr());
        }
    }
}
