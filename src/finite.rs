//! Finite values: the checks that reject NaN and infinities in data and parameters, and
//! the magnitude bound that lets the fused gradient-descent
//! step skip its check, and the norms it is computed from.
//!
//! Every update step either leaves every weight and bias finite or changes nothing (see
//! [`Network::step_with`](crate::Network::step_with)). Most steps prove it with a pass
//! over the new values; the fused step of [`Network::train_batch`](crate::Network::train_batch),
//! whose whole point is to touch w once, proves it in advance from a bound instead.

use crate::Float;
use crate::error::{Error, Result};

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
    if !all_finite(values) {
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

/// Checks that every value of `values` is finite.
pub(crate) fn check_finite<T: Float>(what: &'static str, values: &[T]) -> Result<()> {
    if all_finite(values) { Ok(()) } else { first_non_finite(what, values) }
}

/// [`check_finite`] for the rows (`row_len` values each) of a large batch, split over up
/// to `threads` threads in blocks of rows as [`Batcher`](crate::Batcher) gathers them, so
/// that each thread reads the rows it has just written. The same result as
/// [`check_finite`]; from 64 Ki values on (below, one thread checks it all).
pub(crate) fn check_finite_rows<T: Float>(
    what: &'static str,
    values: &[T],
    row_len: usize,
    threads: usize,
) -> Result<()> {
    if threads <= 1 || values.len() < crate::parallel::THREADED_VALUES_MIN || row_len == 0 {
        return check_finite(what, values);
    }
    // The blocks of rows the network's data-parallel pass (and a `Batcher`) use.
    let cuts = crate::parallel::row_blocks(values.len() / row_len, threads);
    let mut finite = vec![true; cuts.len() - 1];
    let mut jobs: Vec<_> = cuts
        .windows(2)
        .map(|w| &values[w[0] * row_len..w[1] * row_len])
        .zip(finite.iter_mut())
        .map(|(block, finite)| move || *finite = all_finite(block))
        .collect();
    let mut refs: Vec<&mut (dyn FnMut() + Send)> = jobs.iter_mut().map(|job| job as _).collect();
    crate::parallel::run(&mut refs);
    drop(jobs);
    if finite.iter().all(|&f| f) { Ok(()) } else { first_non_finite(what, values) }
}

/// The error for the first value of `values` that is NaN or infinite (`Ok` if none is).
#[cold]
fn first_non_finite<T: Float>(what: &'static str, values: &[T]) -> Result<()> {
    match values.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(index) => Err(Error::NonFinite { what, index, value: values[index].to_f64() }),
    }
}

/// Whether every value is finite (neither NaN nor infinite).
pub(crate) fn all_finite<T: Float>(values: &[T]) -> bool {
    // Every batch of the training loop passes through here, so the test is a loop the
    // compiler vectorises: x·0 is ±0 for a finite x and NaN for an infinity or a NaN, so
    // the sum of all x·0 (over 16 independent partial sums, no early exit) is 0 exactly
    // when every value is finite.
    const LANES: usize = 16;
    let chunks = values.chunks_exact(LANES);
    let mut sum = chunks.remainder().iter().fold(T::ZERO, |s, &v| s + v * T::ZERO);
    let mut partial = [T::ZERO; LANES];
    for chunk in chunks {
        for (p, &v) in partial.iter_mut().zip(chunk) {
            *p += v * T::ZERO;
        }
    }
    for p in partial {
        sum += p;
    }
    sum == T::ZERO
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

    #[test]
    fn check_finite_finds_the_first_bad_value() {
        let e = check_finite("input", &[1.0, f64::NAN, f64::INFINITY]).unwrap_err();
        assert!(matches!(e, Error::NonFinite { index: 1, .. }));
        assert!(check_finite("input", &[1.0f32, 2.0]).is_ok());
        // Every position of a long slice (the partial sums and the remainder), each kind
        // of non-finite value, and the extremes of the finite ones.
        let ok: Vec<f32> = (0..37).map(|i| if i % 2 == 0 { f32::MAX } else { -f32::MIN_POSITIVE / 2.0 }).collect();
        assert!(check_finite("input", &ok).is_ok());
        for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            for at in 0..ok.len() {
                let mut v = ok.clone();
                v[at] = bad;
                assert!(matches!(check_finite("input", &v), Err(Error::NonFinite { index, .. }) if index == at));
            }
        }
    }

    #[test]
    fn check_finite_rows_on_threads_finds_what_one_thread_finds() {
        // 300 rows of 250, past the threaded check's threshold, split unevenly on 7 threads.
        let (rows, cols) = (300, 250);
        let ok: Vec<f64> = (0..rows * cols).map(|i| i as f64 - 1e4).collect();
        for threads in [1, 2, 3, 7] {
            assert!(check_finite_rows("input", &ok, cols, threads).is_ok());
            // Bad values in the first, a middle and the last block, two at once (the
            // first is named), and a lone one at the very end.
            for at in
                [vec![0], vec![cols * 150 + 3, cols * 299], vec![cols * 200, cols * 20 + 1], vec![rows * cols - 1]]
            {
                let mut v = ok.clone();
                at.iter().for_each(|&i| v[i] = f64::NAN);
                let first = *at.iter().min().unwrap();
                let e = check_finite_rows("input", &v, cols, threads).unwrap_err();
                assert!(matches!(e, Error::NonFinite { index, .. } if index == first), "{threads} threads, {at:?}");
            }
        }
    }
}
