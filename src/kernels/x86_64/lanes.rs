//! [`Lanes`] for x86-64: [`Avx512`] (512-bit registers, AVX-512F) and [`Avx2`] (256-bit
//! registers, AVX2 + FMA). The `#[target_feature]` wrappers in the parent module
//! instantiate the generic kernel bodies with these, so every operation below is compiled
//! with the wrapper's instruction set.

use core::arch::x86_64::*;
use core::marker::PhantomData;

use crate::kernels::simd::Lanes;

/// The AVX-512F instruction set, for elements of type `T`.
#[derive(Clone, Copy)]
pub struct Avx512<T>(PhantomData<T>);

/// The AVX2 + FMA instruction set, for elements of type `T`.
#[derive(Clone, Copy)]
pub struct Avx2<T>(PhantomData<T>);

/// The lane offsets 0, s, 2s, … of a strided gather, as 32-bit integers.
#[inline(always)]
unsafe fn offsets_512(s: usize) -> __m512i {
    let s = s as i32;
    // SAFETY: the caller guarantees AVX-512F (trait contract of the caller).
    unsafe {
        _mm512_mullo_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0), _mm512_set1_epi32(s))
    }
}

/// The lane offsets 0, s, 2s, … of a strided gather, as 32-bit integers.
#[inline(always)]
unsafe fn offsets_256(s: usize) -> __m256i {
    let s = s as i32;
    // SAFETY: the caller guarantees AVX2 (trait contract of the caller).
    unsafe { _mm256_mullo_epi32(_mm256_set_epi32(7, 6, 5, 4, 3, 2, 1, 0), _mm256_set1_epi32(s)) }
}

/// The AVX-512 lane mask that selects the first `n` lanes (n ≤ 16).
#[inline(always)]
fn first_lanes_mask(n: usize) -> u16 {
    debug_assert!(n <= 16);
    ((1u32 << n) - 1) as u16
}

impl Lanes for Avx512<f32> {
    type Elem = f32;
    type V = __m512;
    const LANES: usize = 16;
    const REGISTERS: usize = 32;

    #[inline(always)]
    unsafe fn prefetch(p: *const f32) {
        // SAFETY: a prefetch hint (SSE, present on every x86-64) reads no memory and does
        // not fault on any address.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(p.cast()) }
    }

    #[inline(always)]
    unsafe fn zero() -> __m512 {
        // SAFETY: the caller guarantees AVX-512F (trait contract).
        unsafe { _mm512_setzero_ps() }
    }
    #[inline(always)]
    unsafe fn splat(x: f32) -> __m512 {
        // SAFETY: the caller guarantees AVX-512F (trait contract).
        unsafe { _mm512_set1_ps(x) }
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> __m512 {
        // SAFETY: AVX-512F by the trait contract; the caller guarantees 16 readable elements at p.
        unsafe { _mm512_loadu_ps(p) }
    }
    #[inline(always)]
    unsafe fn store(p: *mut f32, v: __m512) {
        // SAFETY: AVX-512F by the trait contract; the caller guarantees 16 writable elements at p.
        unsafe { _mm512_storeu_ps(p, v) }
    }
    #[inline(always)]
    unsafe fn load_first(p: *const f32, n: usize) -> __m512 {
        // SAFETY: AVX-512F by the trait contract; masked-off lanes are not accessed, and the
        // caller guarantees the first n elements at p are readable.
        unsafe { _mm512_maskz_loadu_ps(first_lanes_mask(n), p) }
    }
    #[inline(always)]
    unsafe fn store_first(p: *mut f32, n: usize, v: __m512) {
        // SAFETY: as in `load_first`, for writes.
        unsafe { _mm512_mask_storeu_ps(p, first_lanes_mask(n), v) }
    }
    #[inline(always)]
    unsafe fn mul_add(a: __m512, b: __m512, c: __m512) -> __m512 {
        // SAFETY: the caller guarantees AVX-512F (trait contract).
        unsafe { _mm512_fmadd_ps(a, b, c) }
    }
    #[inline(always)]
    unsafe fn mul(a: __m512, b: __m512) -> __m512 {
        // SAFETY: the caller guarantees AVX-512F (trait contract).
        unsafe { _mm512_mul_ps(a, b) }
    }
    #[inline(always)]
    unsafe fn add(a: __m512, b: __m512) -> __m512 {
        // SAFETY: the caller guarantees AVX-512F (trait contract).
        unsafe { _mm512_add_ps(a, b) }
    }
    #[inline(always)]
    unsafe fn sum(v: __m512) -> f32 {
        // SAFETY: the caller guarantees AVX-512F (trait contract).
        unsafe { _mm512_reduce_add_ps(v) }
    }
    #[inline(always)]
    unsafe fn sum_lanes(v: *const __m512, out: *mut f32) {
        // SAFETY: AVX-512F by the trait contract; the caller guarantees 16 registers at v
        // and 16 elements at out.
        unsafe {
            // Slot s takes v[4·(s mod 4) + s/4], so that sum(v[i]) comes out in lane i.
            let x: [__m512; 16] = core::array::from_fn(|s| *v.add(4 * (s % 4) + s / 4));
            // Each step adds the lanes `sum` adds at that step (j and j + 8, then j + 4,
            // j + 2, j + 1) in two registers at once and packs the halves left into one.
            let h: [__m512; 8] = core::array::from_fn(|p| {
                let (a, b) = (x[2 * p], x[2 * p + 1]);
                _mm512_add_ps(_mm512_shuffle_f32x4::<0b01_00_01_00>(a, b), _mm512_shuffle_f32x4::<0b11_10_11_10>(a, b))
            });
            let q: [__m512; 4] = core::array::from_fn(|p| {
                let (a, b) = (h[2 * p], h[2 * p + 1]);
                _mm512_add_ps(_mm512_shuffle_f32x4::<0b10_00_10_00>(a, b), _mm512_shuffle_f32x4::<0b11_01_11_01>(a, b))
            });
            let e: [__m512; 2] = core::array::from_fn(|p| {
                let (a, b) = (q[2 * p], q[2 * p + 1]);
                _mm512_add_ps(_mm512_shuffle_ps::<0b01_00_01_00>(a, b), _mm512_shuffle_ps::<0b11_10_11_10>(a, b))
            });
            let (a, b) = (e[0], e[1]);
            _mm512_storeu_ps(
                out,
                _mm512_add_ps(_mm512_shuffle_ps::<0b10_00_10_00>(a, b), _mm512_shuffle_ps::<0b11_01_11_01>(a, b)),
            );
        }
    }
    // Measured against the gathers (packing op(B) = Bᵀ and op(A) = A): +2-4% on the
    // 100×k×784 products with Bᵀ and on the squares in f32. Not set for the other three:
    // f64 and AVX2 lost up to 8% (fewer elements per gather, slower lane crossings).
    const TRANSPOSES_IN_REGISTERS: bool = true;
    #[inline(always)]
    unsafe fn transpose(v: *mut __m512) {
        // SAFETY: AVX-512F by the trait contract; the caller guarantees 16 registers at v.
        unsafe {
            // Loops rather than `array::from_fn` closures: written with closures, the
            // intrinsics here were left as calls (a closure not inlined does not carry the
            // caller's target features), and the squares ran at half speed.
            // Pairs of rows interleaved by elements: per 128-bit lane, a[2i] holds columns
            // 0 and 1 of rows 2i and 2i + 1, a[2i + 1] columns 2 and 3.
            let mut a = [_mm512_setzero_ps(); 16];
            for i in 0..8 {
                let (x, y) = (*v.add(2 * i), *v.add(2 * i + 1));
                a[2 * i] = _mm512_unpacklo_ps(x, y);
                a[2 * i + 1] = _mm512_unpackhi_ps(x, y);
            }
            // Then by pairs of elements: per 128-bit lane L, b[4j + c] holds column 4L + c
            // of rows 4j..4j + 4.
            let mut b = [_mm512_setzero_ps(); 16];
            for j in 0..4 {
                let (a0, a1) = (_mm512_castps_pd(a[4 * j]), _mm512_castps_pd(a[4 * j + 1]));
                let (a2, a3) = (_mm512_castps_pd(a[4 * j + 2]), _mm512_castps_pd(a[4 * j + 3]));
                b[4 * j] = _mm512_castpd_ps(_mm512_unpacklo_pd(a0, a2));
                b[4 * j + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a0, a2));
                b[4 * j + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(a1, a3));
                b[4 * j + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(a1, a3));
            }
            // Then by 128-bit lanes, twice: column 4L + c of all 16 rows comes together.
            for c in 0..4 {
                let (b0, b1, b2, b3) = (b[c], b[4 + c], b[8 + c], b[12 + c]);
                let (lo01, hi01) =
                    (_mm512_shuffle_f32x4::<0b10_00_10_00>(b0, b1), _mm512_shuffle_f32x4::<0b11_01_11_01>(b0, b1));
                let (lo23, hi23) =
                    (_mm512_shuffle_f32x4::<0b10_00_10_00>(b2, b3), _mm512_shuffle_f32x4::<0b11_01_11_01>(b2, b3));
                *v.add(c) = _mm512_shuffle_f32x4::<0b10_00_10_00>(lo01, lo23);
                *v.add(8 + c) = _mm512_shuffle_f32x4::<0b11_01_11_01>(lo01, lo23);
                *v.add(4 + c) = _mm512_shuffle_f32x4::<0b10_00_10_00>(hi01, hi23);
                *v.add(12 + c) = _mm512_shuffle_f32x4::<0b11_01_11_01>(hi01, hi23);
            }
        }
    }
    #[inline(always)]
    unsafe fn gather_first(p: *const f32, stride: usize, n: usize) -> __m512 {
        // SAFETY: AVX-512F by the trait contract; masked-off lanes are not read; the caller
        // guarantees the n elements are readable and that the offsets fit in 32 bits.
        unsafe { _mm512_mask_i32gather_ps::<4>(_mm512_setzero_ps(), first_lanes_mask(n), offsets_512(stride), p) }
    }
}

impl Lanes for Avx512<f64> {
    type Elem = f64;
    type V = __m512d;
    const LANES: usize = 8;
    const REGISTERS: usize = 32;

    #[inline(always)]
    unsafe fn prefetch(p: *const f64) {
        // SAFETY: a prefetch hint (SSE, present on every x86-64) reads no memory and does
        // not fault on any address.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(p.cast()) }
    }

    #[inline(always)]
    unsafe fn zero() -> __m512d {
        // SAFETY: the caller guarantees AVX-512F (trait contract).
        unsafe { _mm512_setzero_pd() }
    }
    #[inline(always)]
    unsafe fn splat(x: f64) -> __m512d {
        // SAFETY: the caller guarantees AVX-512F (trait contract).
        unsafe { _mm512_set1_pd(x) }
    }
    #[inline(always)]
    unsafe fn load(p: *const f64) -> __m512d {
        // SAFETY: AVX-512F by the trait contract; the caller guarantees 8 readable elements at p.
        unsafe { _mm512_loadu_pd(p) }
    }
    #[inline(always)]
    unsafe fn store(p: *mut f64, v: __m512d) {
        // SAFETY: AVX-512F by the trait contract; the caller guarantees 8 writable elements at p.
        unsafe { _mm512_storeu_pd(p, v) }
    }
    #[inline(always)]
    unsafe fn load_first(p: *const f64, n: usize) -> __m512d {
        // SAFETY: AVX-512F by the trait contract; masked-off lanes are not accessed, and the
        // caller guarantees the first n elements at p are readable.
        unsafe { _mm512_maskz_loadu_pd(first_lanes_mask(n) as u8, p) }
    }
    #[inline(always)]
    unsafe fn store_first(p: *mut f64, n: usize, v: __m512d) {
        // SAFETY: as in `load_first`, for writes.
        unsafe { _mm512_mask_storeu_pd(p, first_lanes_mask(n) as u8, v) }
    }
    #[inline(always)]
    unsafe fn mul_add(a: __m512d, b: __m512d, c: __m512d) -> __m512d {
        // SAFETY: the caller guarantees AVX-512F (trait contract).
        unsafe { _mm512_fmadd_pd(a, b, c) }
    }
    #[inline(always)]
    unsafe fn mul(a: __m512d, b: __m512d) -> __m512d {
        // SAFETY: the caller guarantees AVX-512F (trait contract).
        unsafe { _mm512_mul_pd(a, b) }
    }
    #[inline(always)]
    unsafe fn add(a: __m512d, b: __m512d) -> __m512d {
        // SAFETY: the caller guarantees AVX-512F (trait contract).
        unsafe { _mm512_add_pd(a, b) }
    }
    #[inline(always)]
    unsafe fn sum(v: __m512d) -> f64 {
        // SAFETY: the caller guarantees AVX-512F (trait contract).
        unsafe { _mm512_reduce_add_pd(v) }
    }
    #[inline(always)]
    unsafe fn sum_lanes(v: *const __m512d, out: *mut f64) {
        // SAFETY: AVX-512F by the trait contract; the caller guarantees 8 registers at v
        // and 8 elements at out.
        unsafe {
            // As for `f32`: slot s takes v[2·(s mod 4) + s/4]; the steps add lanes j and
            // j + 4, then j + 2, then j + 1.
            let x: [__m512d; 8] = core::array::from_fn(|s| *v.add(2 * (s % 4) + s / 4));
            let h: [__m512d; 4] = core::array::from_fn(|p| {
                let (a, b) = (x[2 * p], x[2 * p + 1]);
                _mm512_add_pd(_mm512_shuffle_f64x2::<0b01_00_01_00>(a, b), _mm512_shuffle_f64x2::<0b11_10_11_10>(a, b))
            });
            let q: [__m512d; 2] = core::array::from_fn(|p| {
                let (a, b) = (h[2 * p], h[2 * p + 1]);
                _mm512_add_pd(_mm512_shuffle_f64x2::<0b10_00_10_00>(a, b), _mm512_shuffle_f64x2::<0b11_01_11_01>(a, b))
            });
            _mm512_storeu_pd(out, _mm512_add_pd(_mm512_unpacklo_pd(q[0], q[1]), _mm512_unpackhi_pd(q[0], q[1])));
        }
    }
    #[inline(always)]
    unsafe fn gather_first(p: *const f64, stride: usize, n: usize) -> __m512d {
        // SAFETY: as for `f32`; eight 32-bit offsets are the low half of `offsets_512`.
        unsafe {
            let offsets = _mm512_castsi512_si256(offsets_512(stride));
            _mm512_mask_i32gather_pd::<8>(_mm512_setzero_pd(), first_lanes_mask(n) as u8, offsets, p)
        }
    }
}

/// Sixteen 32-bit words, eight all-ones then eight zeros: the eight words starting at
/// `8 − n` are the AVX2 mask that selects the first `n` of eight `f32` lanes.
static MASK_32: [i32; 16] = [-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0];

/// Eight 64-bit words, four all-ones then four zeros: the four words starting at `4 − n`
/// are the AVX2 mask that selects the first `n` of four `f64` lanes.
static MASK_64: [i64; 8] = [-1, -1, -1, -1, 0, 0, 0, 0];

impl Lanes for Avx2<f32> {
    type Elem = f32;
    type V = __m256;
    const LANES: usize = 8;
    const REGISTERS: usize = 16;

    #[inline(always)]
    unsafe fn prefetch(p: *const f32) {
        // SAFETY: a prefetch hint (SSE, present on every x86-64) reads no memory and does
        // not fault on any address.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(p.cast()) }
    }

    #[inline(always)]
    unsafe fn zero() -> __m256 {
        // SAFETY: the caller guarantees AVX2 (trait contract).
        unsafe { _mm256_setzero_ps() }
    }
    #[inline(always)]
    unsafe fn splat(x: f32) -> __m256 {
        // SAFETY: the caller guarantees AVX2 (trait contract).
        unsafe { _mm256_set1_ps(x) }
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> __m256 {
        // SAFETY: AVX2 by the trait contract; the caller guarantees 8 readable elements at p.
        unsafe { _mm256_loadu_ps(p) }
    }
    #[inline(always)]
    unsafe fn store(p: *mut f32, v: __m256) {
        // SAFETY: AVX2 by the trait contract; the caller guarantees 8 writable elements at p.
        unsafe { _mm256_storeu_ps(p, v) }
    }
    #[inline(always)]
    unsafe fn load_first(p: *const f32, n: usize) -> __m256 {
        debug_assert!(n <= 8);
        // SAFETY: `8 - n + 8 <= 16` keeps the mask read inside MASK_32; AVX2 by the trait
        // contract; masked-off lanes are not accessed (vmaskmovps does not fault on them)
        // and the caller guarantees the first n elements at p are readable.
        unsafe {
            let mask = _mm256_loadu_si256(MASK_32.as_ptr().add(8 - n).cast());
            _mm256_maskload_ps(p, mask)
        }
    }
    #[inline(always)]
    unsafe fn store_first(p: *mut f32, n: usize, v: __m256) {
        debug_assert!(n <= 8);
        // SAFETY: as in `load_first`, for writes.
        unsafe {
            let mask = _mm256_loadu_si256(MASK_32.as_ptr().add(8 - n).cast());
            _mm256_maskstore_ps(p, mask, v);
        }
    }
    #[inline(always)]
    unsafe fn mul_add(a: __m256, b: __m256, c: __m256) -> __m256 {
        // SAFETY: the caller guarantees FMA (trait contract).
        unsafe { _mm256_fmadd_ps(a, b, c) }
    }
    #[inline(always)]
    unsafe fn mul(a: __m256, b: __m256) -> __m256 {
        // SAFETY: the caller guarantees AVX2 (trait contract).
        unsafe { _mm256_mul_ps(a, b) }
    }
    #[inline(always)]
    unsafe fn add(a: __m256, b: __m256) -> __m256 {
        // SAFETY: the caller guarantees AVX2 (trait contract).
        unsafe { _mm256_add_ps(a, b) }
    }
    #[inline(always)]
    unsafe fn sum(v: __m256) -> f32 {
        // SAFETY: the caller guarantees AVX2 (trait contract); SSE3 is implied by it.
        unsafe {
            let s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v));
            let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
            let s = _mm_add_ss(s, _mm_movehdup_ps(s));
            _mm_cvtss_f32(s)
        }
    }
    #[inline(always)]
    unsafe fn sum_lanes(v: *const __m256, out: *mut f32) {
        // SAFETY: AVX2 by the trait contract; the caller guarantees 8 registers at v and
        // 8 elements at out.
        unsafe {
            // Slot s takes v[4·(s mod 2) + s/2]; the steps add lanes j and j + 4 (the
            // halves, as `sum` does), then j + 2, then j + 1.
            let x: [__m256; 8] = core::array::from_fn(|s| *v.add(4 * (s % 2) + s / 2));
            let h: [__m256; 4] = core::array::from_fn(|p| {
                let (a, b) = (x[2 * p], x[2 * p + 1]);
                _mm256_add_ps(_mm256_permute2f128_ps::<0x20>(a, b), _mm256_permute2f128_ps::<0x31>(a, b))
            });
            let q: [__m256; 2] = core::array::from_fn(|p| {
                let (a, b) = (h[2 * p], h[2 * p + 1]);
                _mm256_add_ps(_mm256_shuffle_ps::<0b01_00_01_00>(a, b), _mm256_shuffle_ps::<0b11_10_11_10>(a, b))
            });
            let (a, b) = (q[0], q[1]);
            _mm256_storeu_ps(
                out,
                _mm256_add_ps(_mm256_shuffle_ps::<0b10_00_10_00>(a, b), _mm256_shuffle_ps::<0b11_01_11_01>(a, b)),
            );
        }
    }
    #[inline(always)]
    unsafe fn gather_first(p: *const f32, stride: usize, n: usize) -> __m256 {
        debug_assert!(n <= 8);
        // SAFETY: AVX2 by the trait contract; the mask read stays inside MASK_32 as in
        // `load_first`; masked-off lanes are not read; the caller guarantees the n
        // elements are readable and that the offsets fit in 32 bits.
        unsafe {
            let mask = _mm256_castsi256_ps(_mm256_loadu_si256(MASK_32.as_ptr().add(8 - n).cast()));
            _mm256_mask_i32gather_ps::<4>(_mm256_setzero_ps(), p, offsets_256(stride), mask)
        }
    }
}

impl Lanes for Avx2<f64> {
    type Elem = f64;
    type V = __m256d;
    const LANES: usize = 4;
    const REGISTERS: usize = 16;

    #[inline(always)]
    unsafe fn prefetch(p: *const f64) {
        // SAFETY: a prefetch hint (SSE, present on every x86-64) reads no memory and does
        // not fault on any address.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(p.cast()) }
    }

    #[inline(always)]
    unsafe fn zero() -> __m256d {
        // SAFETY: the caller guarantees AVX2 (trait contract).
        unsafe { _mm256_setzero_pd() }
    }
    #[inline(always)]
    unsafe fn splat(x: f64) -> __m256d {
        // SAFETY: the caller guarantees AVX2 (trait contract).
        unsafe { _mm256_set1_pd(x) }
    }
    #[inline(always)]
    unsafe fn load(p: *const f64) -> __m256d {
        // SAFETY: AVX2 by the trait contract; the caller guarantees 4 readable elements at p.
        unsafe { _mm256_loadu_pd(p) }
    }
    #[inline(always)]
    unsafe fn store(p: *mut f64, v: __m256d) {
        // SAFETY: AVX2 by the trait contract; the caller guarantees 4 writable elements at p.
        unsafe { _mm256_storeu_pd(p, v) }
    }
    #[inline(always)]
    unsafe fn load_first(p: *const f64, n: usize) -> __m256d {
        debug_assert!(n <= 4);
        // SAFETY: `4 - n + 4 <= 8` keeps the mask read inside MASK_64; AVX2 by the trait
        // contract; masked-off lanes are not accessed and the caller guarantees the first
        // n elements at p are readable.
        unsafe {
            let mask = _mm256_loadu_si256(MASK_64.as_ptr().add(4 - n).cast());
            _mm256_maskload_pd(p, mask)
        }
    }
    #[inline(always)]
    unsafe fn store_first(p: *mut f64, n: usize, v: __m256d) {
        debug_assert!(n <= 4);
        // SAFETY: as in `load_first`, for writes.
        unsafe {
            let mask = _mm256_loadu_si256(MASK_64.as_ptr().add(4 - n).cast());
            _mm256_maskstore_pd(p, mask, v);
        }
    }
    #[inline(always)]
    unsafe fn mul_add(a: __m256d, b: __m256d, c: __m256d) -> __m256d {
        // SAFETY: the caller guarantees FMA (trait contract).
        unsafe { _mm256_fmadd_pd(a, b, c) }
    }
    #[inline(always)]
    unsafe fn mul(a: __m256d, b: __m256d) -> __m256d {
        // SAFETY: the caller guarantees AVX2 (trait contract).
        unsafe { _mm256_mul_pd(a, b) }
    }
    #[inline(always)]
    unsafe fn add(a: __m256d, b: __m256d) -> __m256d {
        // SAFETY: the caller guarantees AVX2 (trait contract).
        unsafe { _mm256_add_pd(a, b) }
    }
    #[inline(always)]
    unsafe fn sum(v: __m256d) -> f64 {
        // SAFETY: the caller guarantees AVX2 (trait contract).
        unsafe {
            let s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd::<1>(v));
            let s = _mm_add_sd(s, _mm_unpackhi_pd(s, s));
            _mm_cvtsd_f64(s)
        }
    }
    #[inline(always)]
    unsafe fn sum_lanes(v: *const __m256d, out: *mut f64) {
        // SAFETY: AVX2 by the trait contract; the caller guarantees 4 registers at v and
        // 4 elements at out.
        unsafe {
            // Slot s takes v[2·(s mod 2) + s/2]; the steps add lanes j and j + 2 (the
            // halves), then j + 1.
            let x: [__m256d; 4] = core::array::from_fn(|s| *v.add(2 * (s % 2) + s / 2));
            let h0 =
                _mm256_add_pd(_mm256_permute2f128_pd::<0x20>(x[0], x[1]), _mm256_permute2f128_pd::<0x31>(x[0], x[1]));
            let h1 =
                _mm256_add_pd(_mm256_permute2f128_pd::<0x20>(x[2], x[3]), _mm256_permute2f128_pd::<0x31>(x[2], x[3]));
            _mm256_storeu_pd(out, _mm256_add_pd(_mm256_unpacklo_pd(h0, h1), _mm256_unpackhi_pd(h0, h1)));
        }
    }
    #[inline(always)]
    unsafe fn gather_first(p: *const f64, stride: usize, n: usize) -> __m256d {
        debug_assert!(n <= 4);
        // SAFETY: as for `f32`, with MASK_64; four 32-bit offsets are the low half of
        // `offsets_256`.
        unsafe {
            let mask = _mm256_castsi256_pd(_mm256_loadu_si256(MASK_64.as_ptr().add(4 - n).cast()));
            let offsets = _mm256_castsi256_si128(offsets_256(stride));
            _mm256_mask_i32gather_pd::<8>(_mm256_setzero_pd(), p, offsets, mask)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Float;

    /// Values from 2⁻²⁰ to 2²⁰ of either sign, so that the order of additions shows in
    /// the last bits of a sum.
    fn values<T: Float>(n: usize, seed: u64) -> Vec<T> {
        let mut s = seed;
        (0..n)
            .map(|_| {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let (m, e) = ((s >> 40) as f64 / (1u64 << 24) as f64 + 0.5, ((s >> 8) % 41) as i32 - 20);
                T::from_f64(if s & 1 == 0 { m } else { -m } * 2f64.powi(e))
            })
            .collect()
    }

    /// `sum_lanes` of LANES registers against `sum` of each, bit for bit, over many
    /// random registers; and proof that the data can tell two orders of summation apart
    /// (`sum` differs from a left-to-right sum somewhere), so the test can fail.
    ///
    /// # Safety
    /// The CPU supports `S`'s instruction set.
    unsafe fn check_sum_lanes<S: Lanes>()
    where
        S::Elem: Float,
    {
        let l = S::LANES;
        let mut orders_differ = false;
        for seed in 0..200 {
            let x = values::<S::Elem>(l * l, seed);
            // SAFETY: the instruction set is present (contract); every pointer covers
            // `LANES` registers or elements.
            unsafe {
                let regs: Vec<S::V> = (0..l).map(|i| S::load(x[i * l..].as_ptr())).collect();
                let mut got = vec![S::Elem::ZERO; l];
                S::sum_lanes(regs.as_ptr(), got.as_mut_ptr());
                for (i, &v) in regs.iter().enumerate() {
                    let want = S::sum(v);
                    assert_eq!(got[i].to_f64().to_bits(), want.to_f64().to_bits(), "register {i}, seed {seed}");
                    let serial = x[i * l..(i + 1) * l].iter().fold(S::Elem::ZERO, |a, &b| a + b);
                    orders_differ |= serial != want;
                }
            }
        }
        assert!(orders_differ, "the data never tells two orders of summation apart");
    }

    /// `transpose` against the definition, on registers whose lanes are all different,
    /// and against the trait's default (through memory).
    ///
    /// # Safety
    /// The CPU supports `S`'s instruction set.
    unsafe fn check_transpose<S: Lanes>() {
        let l = S::LANES;
        let x: Vec<S::Elem> = (0..l * l).map(|i| S::Elem::from_usize(i + 1)).collect();
        // SAFETY: the instruction set is present (contract); every pointer covers `LANES`
        // registers or elements.
        unsafe {
            let mut regs: Vec<S::V> = (0..l).map(|i| S::load(x[i * l..].as_ptr())).collect();
            S::transpose(regs.as_mut_ptr());
            let mut got = vec![S::Elem::ZERO; l * l];
            for (i, &v) in regs.iter().enumerate() {
                S::store(got[i * l..].as_mut_ptr(), v);
            }
            for i in 0..l {
                for j in 0..l {
                    assert_eq!(got[i * l + j], x[j * l + i], "lane {j} of register {i}");
                }
            }
            // The default through memory, applied to the transposed block, gives x back.
            crate::kernels::simd::lanes::transpose_in_memory::<S>(regs.as_mut_ptr());
            for (i, &v) in regs.iter().enumerate() {
                S::store(got[i * l..].as_mut_ptr(), v);
            }
            assert_eq!(got, x);
        }
    }

    #[test]
    fn transpose_swaps_rows_and_columns() {
        if is_x86_feature_detected!("avx512f") {
            // SAFETY: AVX-512F was just detected.
            unsafe {
                check_transpose::<Avx512<f32>>();
                check_transpose::<Avx512<f64>>();
            }
        } else {
            println!("skipping the AVX-512 transposes: this CPU does not support AVX-512F");
        }
        if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
            // SAFETY: AVX2 and FMA were just detected.
            unsafe {
                check_transpose::<Avx2<f32>>();
                check_transpose::<Avx2<f64>>();
            }
        } else {
            println!("skipping the AVX2 transposes: this CPU does not support AVX2 and FMA");
        }
    }

    #[test]
    fn sum_lanes_is_sum_of_each_register_bit_for_bit() {
        if is_x86_feature_detected!("avx512f") {
            // SAFETY: AVX-512F was just detected.
            unsafe {
                check_sum_lanes::<Avx512<f32>>();
                check_sum_lanes::<Avx512<f64>>();
            }
        } else {
            println!("skipping the AVX-512 lane sums: this CPU does not support AVX-512F");
        }
        if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
            // SAFETY: AVX2 and FMA were just detected.
            unsafe {
                check_sum_lanes::<Avx2<f32>>();
                check_sum_lanes::<Avx2<f64>>();
            }
        } else {
            println!("skipping the AVX2 lane sums: this CPU does not support AVX2 and FMA");
        }
    }
}
