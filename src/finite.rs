//! Keeping parameters finite: the magnitude bound that lets the fused gradient-descent
//! step skip its check, and the norms it is computed from.
//!
//! Every update step either leaves every weight and bias finite or changes nothing (see
//! [`Network::step_with`](crate::Network::step_with)). Most steps prove it with a pass
//! over the new values; the fused step of [`Network::train_batch`](crate::Network::train_batch),
//! whose whole point is to touch w once, proves it in advance from a bound instead.

use crate::Float;

/// The largest magnitude a parameter may be proved to stay below without a check: 2¹²⁰
/// (about 1.3·10³⁶), for f32 and f64 alike. It leaves a factor of 255 below f32's largest
/// value (about 3.4·10³⁸) for the rounding of the sums the bound is computed from.
pub(crate) const PROVABLY_FINITE: f64 = 1.329_227_995_784_916e36;

/// ‖x‖₂ = √(Σ x²) over `values`, as f64, by the dot-product kernel: NaN if a value is
/// NaN, ∞ if one is infinite or the sum of squares overflows `T`. Its rounding is a
/// relative error of a few units in the last place per addition at most, which
/// [`PROVABLY_FINITE`] leaves room for.
pub(crate) fn norm<T: Float>(values: &[T]) -> f64 {
    crate::kernels::dot(values, values).to_f64().sqrt()
}

/// max |x| over `values` (0 for none), or `None` if a value is NaN or infinite.
pub(crate) fn max_abs<T: Float>(values: &[T]) -> Option<f64> {
    if !crate::error::all_finite(values) {
        return None;
    }
    const LANES: usize = 16;
    let chunks = values.chunks_exact(LANES);
    let mut max = chunks.remainder().iter().fold(T::ZERO, |m, &v| if v.abs() > m { v.abs() } else { m });
    let mut partial = [T::ZERO; LANES];
    for chunk in chunks {
        for (p, &v) in partial.iter_mut().zip(chunk) {
            // The select form compiles to a vector max.
            *p = if v.abs() > *p { v.abs() } else { *p };
        }
    }
    for p in partial {
        max = if p > max { p } else { max };
    }
    Some(max.to_f64())
}

/// The fused step w := w + s·Σₖ δₖ·aₖᵀ, b := b + s·Σₖ δₖ over the m rows of a batch,
/// for a layer whose parameters are bounded by `bound` in magnitude: the bound after it if
/// it provably leaves every parameter finite, else `None`.
///
/// By Cauchy–Schwarz, each new weight moves by |s·Σₖ δₖᵢ aₖⱼ| ≤ |s|·‖δ‖·‖a‖ and each
/// bias by |s·Σₖ δₖᵢ| ≤ |s|·‖δ‖·√m (norms over the whole batch): so |new| ≤ bound +
/// |s|·‖δ‖·max(‖a‖, √m). The sum is also bounded unscaled, in case the product is formed
/// before the factor s is applied. NaN anywhere makes the comparison fail, so a
/// non-finite δ or a is never "proved".
pub(crate) fn bound_after_step(bound: f64, scale: f64, delta_norm: f64, input_norm: f64, rows: usize) -> Option<f64> {
    // `f64::max` would drop a NaN; these comparisons keep it.
    let at_least = |x: f64, floor: f64| if x < floor { floor } else { x };
    let products = delta_norm * at_least(input_norm, (rows as f64).sqrt());
    let next = bound + scale.abs() * products;
    let worst = bound + at_least(scale.abs(), 1.0) * products;
    (worst <= PROVABLY_FINITE).then_some(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_is_two_to_the_120() {
        assert_eq!(PROVABLY_FINITE, 2f64.powi(120));
        assert!(PROVABLY_FINITE * 255.0 <= f64::from(f32::MAX));
    }

    #[test]
    fn norm_is_the_euclidean_norm_and_keeps_non_finite_values() {
        assert_eq!(norm(&[3.0f32, -4.0]), 5.0);
        assert_eq!(norm(&[1.0f64; 37]), 37f64.sqrt());
        assert_eq!(norm::<f64>(&[]), 0.0);
        let values: Vec<f32> = (0..37).map(|i| i as f32 - 18.0).collect();
        for at in [0, 20, 36] {
            let mut v = values.clone();
            v[at] = f32::NAN;
            assert!(norm(&v).is_nan(), "NaN at {at}");
            v[at] = f32::NEG_INFINITY;
            assert_eq!(norm(&v), f64::INFINITY, "−∞ at {at}");
        }
        assert_eq!(norm(&[1e20f32]), f64::INFINITY, "a square that overflows f32");
    }

    #[test]
    fn max_abs_finds_the_largest_magnitude_or_a_non_finite_value() {
        let values: Vec<f64> = (0..37).map(|i| (i as f64 - 30.0) * 0.5).collect();
        assert_eq!(max_abs(&values), Some(15.0));
        assert_eq!(max_abs::<f64>(&[]), Some(0.0));
        for at in [0, 17, 36] {
            let mut v = values.clone();
            v[at] = -100.0;
            assert_eq!(max_abs(&v), Some(100.0), "at {at}");
            v[at] = f64::INFINITY;
            assert_eq!(max_abs(&v), None);
            v[at] = f64::NAN;
            assert_eq!(max_abs(&v), None);
        }
    }

    #[test]
    fn the_bound_grows_by_the_step_and_refuses_what_it_cannot_prove() {
        // |s| = 0.5, ‖δ‖ = 2, ‖a‖ = 3 over 4 rows: the step moves a parameter by at most 3.
        assert_eq!(bound_after_step(1.0, -0.5, 2.0, 3.0, 4), Some(4.0));
        // ‖a‖ below √m still bounds a bias's change by |s|·‖δ‖·√m.
        assert_eq!(bound_after_step(1.0, -0.5, 2.0, 0.25, 4), Some(3.0));
        // A tiny factor does not hide an overflowing product.
        assert_eq!(bound_after_step(0.0, 1e-30, 1e30, 1e30, 1), None);
        // Right up to the limit, and not one rounding step past it.
        let half = PROVABLY_FINITE / 2.0;
        assert_eq!(bound_after_step(half, -1.0, half, 1.0, 1), Some(PROVABLY_FINITE));
        // 2¹²⁰ and one unit in its last place: refused.
        assert_eq!(bound_after_step(half, -1.0, half * (1.0 + 2.0 * f64::EPSILON), 1.0, 1), None);
        for nan in [(f64::NAN, 1.0, 1.0), (1.0, f64::NAN, 1.0), (1.0, 1.0, f64::NAN)] {
            assert_eq!(bound_after_step(nan.0, -1.0, nan.1, nan.2, 1), None, "{nan:?}");
        }
        assert_eq!(bound_after_step(1.0, -1.0, f64::INFINITY, 1.0, 1), None);
    }
}
