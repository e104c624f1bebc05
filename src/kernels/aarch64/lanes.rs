//! [`Lanes`] for AArch64: [`Neon`], the 128-bit registers of Advanced SIMD (four `f32` or
//! two `f64`). The `#[target_feature]` wrappers in the parent module instantiate the
//! generic kernel bodies with it.
//!
//! NEON has no masked loads and stores and no gathers: those few operations, used only at
//! the edges of a matrix and while packing, go through a small array on the stack.

use core::arch::aarch64::*;
use core::marker::PhantomData;

use crate::kernels::simd::Lanes;

/// The NEON (Advanced SIMD) instruction set, for elements of type `T`.
#[derive(Clone, Copy)]
pub struct Neon<T>(PhantomData<T>);

/// `Lanes` for one element type: its register type, lane count and the intrinsics that
/// load, store, splat and do arithmetic on it.
macro_rules! impl_neon {
    ($t:ty, $v:ty, $lanes:expr, $dup:ident, $ld:ident, $st:ident, $fma:ident, $mul:ident, $add:ident, $addv:ident) => {
        impl Lanes for Neon<$t> {
            type Elem = $t;
            type V = $v;
            const LANES: usize = $lanes;
            const REGISTERS: usize = 32;

            #[inline(always)]
            unsafe fn zero() -> $v {
                // SAFETY: the caller guarantees NEON (trait contract).
                unsafe { $dup(0.0) }
            }
            #[inline(always)]
            unsafe fn splat(x: $t) -> $v {
                // SAFETY: the caller guarantees NEON (trait contract).
                unsafe { $dup(x) }
            }
            #[inline(always)]
            unsafe fn load(p: *const $t) -> $v {
                // SAFETY: NEON by the trait contract; the caller guarantees LANES readable
                // elements at p.
                unsafe { $ld(p) }
            }
            #[inline(always)]
            unsafe fn store(p: *mut $t, v: $v) {
                // SAFETY: NEON by the trait contract; the caller guarantees LANES writable
                // elements at p.
                unsafe { $st(p, v) }
            }
            #[inline(always)]
            unsafe fn load_first(p: *const $t, n: usize) -> $v {
                debug_assert!(n <= $lanes);
                let mut lanes = [0.0; $lanes];
                // SAFETY: the caller guarantees the first n elements at p are readable, and
                // n <= LANES fits the array; NEON by the trait contract.
                unsafe {
                    core::ptr::copy_nonoverlapping(p, lanes.as_mut_ptr(), n);
                    $ld(lanes.as_ptr())
                }
            }
            #[inline(always)]
            unsafe fn store_first(p: *mut $t, n: usize, v: $v) {
                debug_assert!(n <= $lanes);
                let mut lanes = [0.0; $lanes];
                // SAFETY: NEON by the trait contract; the caller guarantees the first n
                // elements at p are writable, and n <= LANES fits the array.
                unsafe {
                    $st(lanes.as_mut_ptr(), v);
                    core::ptr::copy_nonoverlapping(lanes.as_ptr(), p, n);
                }
            }
            #[inline(always)]
            unsafe fn mul_add(a: $v, b: $v, c: $v) -> $v {
                // SAFETY: the caller guarantees NEON (trait contract).
                unsafe { $fma(c, a, b) }
            }
            #[inline(always)]
            unsafe fn mul(a: $v, b: $v) -> $v {
                // SAFETY: the caller guarantees NEON (trait contract).
                unsafe { $mul(a, b) }
            }
            #[inline(always)]
            unsafe fn add(a: $v, b: $v) -> $v {
                // SAFETY: the caller guarantees NEON (trait contract).
                unsafe { $add(a, b) }
            }
            #[inline(always)]
            unsafe fn sum(v: $v) -> $t {
                // SAFETY: the caller guarantees NEON (trait contract).
                unsafe { $addv(v) }
            }
            #[inline(always)]
            unsafe fn gather_first(p: *const $t, stride: usize, n: usize) -> $v {
                debug_assert!(n <= $lanes);
                let mut lanes = [0.0; $lanes];
                for (i, lane) in lanes.iter_mut().enumerate().take(n) {
                    // SAFETY: the caller guarantees the n elements p + i·stride are readable.
                    *lane = unsafe { *p.add(i * stride) };
                }
                // SAFETY: NEON by the trait contract; the array holds LANES elements.
                unsafe { $ld(lanes.as_ptr()) }
            }
        }
    };
}

impl_neon!(f32, float32x4_t, 4, vdupq_n_f32, vld1q_f32, vst1q_f32, vfmaq_f32, vmulq_f32, vaddq_f32, vaddvq_f32);
impl_neon!(f64, float64x2_t, 2, vdupq_n_f64, vld1q_f64, vst1q_f64, vfmaq_f64, vmulq_f64, vaddq_f64, vaddvq_f64);
