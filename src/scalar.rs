//! The sealed [`Float`] trait: the two element types, `f32` and `f64`, the crate computes in.

use core::fmt::{Debug, Display};
use core::iter::Sum;
use core::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

mod sealed {
    /// Keeps [`Float`](super::Float) closed: only `f32` and `f64` implement it, so the
    /// kernels behind it can be specialised for exactly those two.
    pub trait Sealed {
        /// eˣ for x ≤ 0, in straight-line code that the compiler can vectorise (see
        /// [`exp_nonpositive_f64`](super::exp_nonpositive_f64)).
        fn exp_nonpositive(self) -> Self;
    }
    impl Sealed for f32 {
        #[inline]
        fn exp_nonpositive(self) -> f32 {
            super::exp_nonpositive_f32(self)
        }
    }
    impl Sealed for f64 {
        #[inline]
        fn exp_nonpositive(self) -> f64 {
            super::exp_nonpositive_f64(self)
        }
    }
}

/// The logistic sigmoid σ(z) = 1 / (1 + e^−z), without overflow for any z and without a
/// branch: with e = e^−|z| ∈ (0, 1], σ(z) = 1/(1 + e) for z ≥ 0 and e/(1 + e) for z < 0,
/// the same value written two ways.
#[inline]
pub(crate) fn sigmoid<T: Float>(z: T) -> T {
    let e = (-z.abs()).exp_nonpositive();
    let s = T::ONE / (T::ONE + e);
    if z >= T::ZERO { s } else { e * s }
}

/// The nearest integer to `x` for |x| < 2⁵¹, by adding and subtracting 1.5·2⁵²: at that
/// magnitude the sum has no fraction bits, so the addition itself rounds. Unlike
/// `f64::round`, this is two plain additions, which vectorise on every x86_64.
#[inline]
fn round_half_even_f64(x: f64) -> f64 {
    const SHIFT: f64 = 6_755_399_441_055_744.0; // 1.5 · 2⁵²
    (x + SHIFT) - SHIFT
}

/// As [`round_half_even_f64`] for f32, |x| < 2²², with 1.5·2²³.
#[inline]
fn round_half_even_f32(x: f32) -> f32 {
    const SHIFT: f32 = 12_582_912.0; // 1.5 · 2²³
    (x + SHIFT) - SHIFT
}

/// eˣ for x ≤ 0 in f64, within 2 ulp of the exact value, subnormal results included.
///
/// x = n·ln 2 + r with |r| ≤ ½ ln 2, so eˣ = 2ⁿ·eʳ; eʳ is its Taylor polynomial of degree
/// 13 (truncation error below 10⁻¹⁷), 2ⁿ is built from the exponent bits in two halves
/// so that n down to −1075 (subnormals) needs no special case. Written without branches
/// or calls so that loops over it vectorise; NaN gives NaN.
#[inline]
pub(crate) fn exp_nonpositive_f64(x: f64) -> f64 {
    // ln 2 split so that n·LN2_HI is exact for the n that occur (trailing zero bits).
    const LN2_HI: f64 = f64::from_bits(0x3FE6_2E42_FEE0_0000);
    const LN2_LO: f64 = f64::from_bits(0x3DEA_39EF_3579_3C76);
    // Below −746, eˣ rounds to 0; clamping keeps n in the range the scaling handles.
    // (A comparison rather than `max`, so that NaN stays NaN.)
    let x = if x < -746.0 { -746.0 } else { x };
    let n = round_half_even_f64(x * core::f64::consts::LOG2_E);
    let r = (x - n * LN2_HI) - n * LN2_LO;
    let mut p = 1.0 / 6_227_020_800.0; // 1/13!
    for c in [
        1.0 / 479_001_600.0,
        1.0 / 39_916_800.0,
        1.0 / 3_628_800.0,
        1.0 / 362_880.0,
        1.0 / 40_320.0,
        1.0 / 5_040.0,
        1.0 / 720.0,
        1.0 / 120.0,
        1.0 / 24.0,
        1.0 / 6.0,
        0.5,
        1.0,
        1.0,
    ] {
        p = p * r + c;
    }
    // 2ⁿ = 2^(n − h) · 2^h with h the integer nearest n/2, each factor a normal number
    // for n ≥ −1076, and p·2^(n − h) exact, so the one rounding is that of the result.
    // k + SHIFT holds the integer k in its low mantissa bits: reading them there, rather
    // than by an `as` conversion (which saturates, and so does not vectorise), keeps the
    // whole function in SIMD registers.
    const SHIFT: f64 = 6_755_399_441_055_744.0; // 1.5 · 2⁵², as in `round_half_even_f64`
    let h = round_half_even_f64(n * 0.5);
    let scale = |k: f64| f64::from_bits(((k + SHIFT).to_bits().wrapping_sub(SHIFT.to_bits()).wrapping_add(1023)) << 52);
    p * scale(n - h) * scale(h)
}

/// eˣ for x ≤ 0 in f32, within 2 ulp, by the same method as
/// [`exp_nonpositive_f64`] with a degree-7 polynomial.
#[inline]
pub(crate) fn exp_nonpositive_f32(x: f32) -> f32 {
    const LN2_HI: f32 = f32::from_bits(0x3F31_7200);
    const LN2_LO: f32 = f32::from_bits(0x35BF_BE8E);
    const SHIFT: f32 = 12_582_912.0; // 1.5 · 2²³, as in `round_half_even_f32`
    let x = if x < -104.0 { -104.0 } else { x };
    let n = round_half_even_f32(x * core::f32::consts::LOG2_E);
    let r = (x - n * LN2_HI) - n * LN2_LO;
    let mut p = 1.0 / 5_040.0; // 1/7!
    for c in [1.0 / 720.0, 1.0 / 120.0, 1.0 / 24.0, 1.0 / 6.0, 0.5, 1.0, 1.0] {
        p = p * r + c;
    }
    // 2ⁿ = 2^(n − h) · 2^h with h ≈ n/2, as in `exp_nonpositive_f64`; k + SHIFT holds the
    // integer k in its low mantissa bits, read without a float-to-int conversion.
    let h = round_half_even_f32(n * 0.5);
    let scale = |k: f32| f32::from_bits(((k + SHIFT).to_bits().wrapping_sub(SHIFT.to_bits()).wrapping_add(127)) << 23);
    p * scale(n - h) * scale(h)
}

/// A floating-point element type: implemented for `f32` and `f64` only.
///
/// `f64` is what the gradient checks use (finite differences need the precision); `f32`
/// is what fast training uses (twice the numbers per SIMD register and per cache line).
/// The trait is sealed: the matrix kernels under it are written for these two types. They
/// are not part of its interface: a `T: Float` bound gives no way to call them, so every
/// product goes through the shape checks of [`Matrix`](crate::Matrix) and the crate's
/// own length checks.
///
/// ```compile_fail,E0599
/// fn f<T: backprop::Float>(y: &mut [T]) {
///     T::gemv(2, 1, T::ONE, &[], usize::MAX, &[T::ONE], T::ZERO, y);
/// }
/// ```
pub trait Float:
    sealed::Sealed
    + Copy
    + Debug
    + Display
    + Default
    + PartialEq
    + PartialOrd
    + Send
    + Sync
    + 'static
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
    + Sum
{
    /// 0.
    const ZERO: Self;
    /// 1.
    const ONE: Self;
    /// The type's name, `"f32"` or `"f64"`.
    const NAME: &'static str;
    /// The smallest positive normal value ([`f32::MIN_POSITIVE`], [`f64::MIN_POSITIVE`]):
    /// anything smaller in magnitude, except 0, is subnormal (see [`Subnormals`](crate::Subnormals)).
    const MIN_POSITIVE: Self;

    /// Converts from `f64`, rounding to the nearest value of `Self`.
    fn from_f64(x: f64) -> Self;
    /// Converts to `f64` (exact for both types).
    fn to_f64(self) -> f64;
    /// Converts a count, as used for the mean over a batch.
    fn from_usize(n: usize) -> Self;
    /// eˣ.
    #[must_use]
    fn exp(self) -> Self;
    /// The natural logarithm.
    #[must_use]
    fn ln(self) -> Self;
    /// ln(1 + x), accurate near 0.
    #[must_use]
    fn ln_1p(self) -> Self;
    /// eˣ − 1, accurate near 0.
    #[must_use]
    fn exp_m1(self) -> Self;
    /// The hyperbolic tangent.
    #[must_use]
    fn tanh(self) -> Self;
    /// The absolute value.
    #[must_use]
    fn abs(self) -> Self;
    /// The square root.
    #[must_use]
    fn sqrt(self) -> Self;
    /// The larger of two values (the other one if either is NaN).
    #[must_use]
    fn max(self, other: Self) -> Self;
    /// The smaller of two values (the other one if either is NaN).
    #[must_use]
    fn min(self, other: Self) -> Self;
    /// `true` unless the value is infinite or NaN.
    fn is_finite(self) -> bool;
}

macro_rules! impl_float {
    ($t:ident) => {
        impl Float for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            const NAME: &'static str = stringify!($t);
            const MIN_POSITIVE: Self = $t::MIN_POSITIVE;

            #[inline]
            fn from_f64(x: f64) -> Self {
                x as $t
            }
            #[inline]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline]
            fn from_usize(n: usize) -> Self {
                n as $t
            }
            #[inline]
            fn exp(self) -> Self {
                $t::exp(self)
            }
            #[inline]
            fn ln(self) -> Self {
                $t::ln(self)
            }
            #[inline]
            fn ln_1p(self) -> Self {
                $t::ln_1p(self)
            }
            #[inline]
            fn exp_m1(self) -> Self {
                $t::exp_m1(self)
            }
            #[inline]
            fn tanh(self) -> Self {
                $t::tanh(self)
            }
            #[inline]
            fn abs(self) -> Self {
                $t::abs(self)
            }
            #[inline]
            fn sqrt(self) -> Self {
                $t::sqrt(self)
            }
            #[inline]
            fn max(self, other: Self) -> Self {
                $t::max(self, other)
            }
            #[inline]
            fn min(self, other: Self) -> Self {
                $t::min(self, other)
            }
            #[inline]
            fn is_finite(self) -> bool {
                $t::is_finite(self)
            }
        }
    };
}

impl_float!(f32);
impl_float!(f64);

#[cfg(test)]
mod tests {
    use super::*;

    /// Distance in units in the last place between two finite values of the same sign.
    fn ulps64(a: f64, b: f64) -> u64 {
        (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs()
    }

    #[test]
    fn exp_f64_within_2_ulp_of_std() {
        let mut worst = 0;
        let mut x = -745.0;
        while x <= 0.0 {
            let (fast, exact) = (exp_nonpositive_f64(x), x.exp());
            if exact >= f64::MIN_POSITIVE {
                worst = worst.max(ulps64(fast, exact));
            } else {
                // Subnormal results: absolute error within a couple of the smallest steps.
                assert!((fast - exact).abs() <= 2.0 * 4.9e-324, "x = {x}: {fast:e} vs {exact:e}");
            }
            x += 0.000_731;
        }
        assert!(worst <= 2, "worst error {worst} ulp");
        assert_eq!(exp_nonpositive_f64(0.0), 1.0);
        assert_eq!(exp_nonpositive_f64(-800.0), 0.0);
        assert_eq!(exp_nonpositive_f64(f64::NEG_INFINITY), 0.0);
        assert!(exp_nonpositive_f64(f64::NAN).is_nan());
        assert!(sigmoid(f64::NAN).is_nan(), "a diverged network shows NaN, not a made-up value");
    }

    #[test]
    fn exp_f32_within_2_ulp_of_std() {
        let mut worst = 0;
        let mut x = -87.0f32;
        while x <= 0.0 {
            let (fast, exact) = (exp_nonpositive_f32(x), (x as f64).exp() as f32);
            worst = worst.max((fast.to_bits() as i64 - exact.to_bits() as i64).unsigned_abs());
            x += 0.000_37;
        }
        assert!(worst <= 2, "worst error {worst} ulp");
        assert_eq!(exp_nonpositive_f32(0.0), 1.0);
        assert_eq!(exp_nonpositive_f32(-200.0), 0.0);
        assert!(exp_nonpositive_f32(-100.0) > 0.0, "subnormal results are kept");
        assert!(exp_nonpositive_f32(f32::NAN).is_nan());
    }

    #[test]
    fn sigmoid_is_stable_and_symmetric() {
        for &z in &[-800.0, -40.0, -1.5, 0.0, 0.25, 3.0, 40.0, 800.0f64] {
            let s = sigmoid(z);
            assert!(s.is_finite() && (0.0..=1.0).contains(&s), "σ({z}) = {s}");
            assert!((s + sigmoid(-z) - 1.0).abs() <= 2.0 * f64::EPSILON, "σ(z) + σ(−z) = 1 at {z}");
            let exact = 1.0 / (1.0 + (-z).exp());
            assert!((s - exact).abs() <= 4.0 * f64::EPSILON * exact.max(f64::MIN_POSITIVE), "σ({z}) = {s}, {exact}");
        }
    }
}
