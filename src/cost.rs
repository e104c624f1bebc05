//! [`Cost`]: the cost C the network minimises and its gradient ∇ₐC, and the output error
//! of BP1 that joins them with σ′.

use core::fmt;

use crate::{Activation, Float};

/// The cost function C(a, y) of one sample, where a is the network's output and y the
/// target. The cost of a batch is the mean of its samples' costs.
///
/// The set is open: new costs are new variants, and the network only calls
/// [`value`](Self::value) and [`output_error`](Self::output_error).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Cost {
    /// The quadratic cost C = ½‖a − y‖², with ∇ₐC = a − y.
    Quadratic,
}

impl Cost {
    /// C(a, y) for one sample.
    ///
    /// ```
    /// use backprop::Cost;
    /// assert_eq!(Cost::Quadratic.value(&[1.0_f64, 0.5], &[0.0, 0.5]), 0.5);
    /// ```
    ///
    /// # Panics
    /// If `a` and `y` have different lengths.
    #[track_caller]
    pub fn value<T: Float>(self, a: &[T], y: &[T]) -> T {
        assert_eq!(a.len(), y.len(), "cost: output has {} values but target has {}", a.len(), y.len());
        match self {
            Cost::Quadratic => {
                let half = T::from_f64(0.5);
                half * a.iter().zip(y).map(|(&ai, &yi)| (ai - yi) * (ai - yi)).sum::<T>()
            }
        }
    }

    /// ∇ₐC(a, y) for one sample, written into `grad`.
    ///
    /// # Panics
    /// If the three slices have different lengths.
    #[track_caller]
    pub fn gradient<T: Float>(self, a: &[T], y: &[T], grad: &mut [T]) {
        assert!(a.len() == y.len() && a.len() == grad.len(), "gradient: lengths differ");
        match self {
            Cost::Quadratic => {
                for ((g, &ai), &yi) in grad.iter_mut().zip(a).zip(y) {
                    *g = ai - yi;
                }
            }
        }
    }

    /// Output error (BP1): δᴸ = ∇ₐC ⊙ σ′(zᴸ), for one sample whose output layer has
    /// weighted input `z`, activation `a` = σ(z) and target `y`.
    ///
    /// # Panics
    /// If the four slices have different lengths.
    #[track_caller]
    pub fn output_error<T: Float>(self, activation: Activation, z: &[T], a: &[T], y: &[T], delta: &mut [T]) {
        self.gradient(a, y, delta);
        activation.hadamard_derivative(z, a, delta);
    }

    /// The cost's name, as used in `Display` and in saved files.
    pub fn name(self) -> &'static str {
        match self {
            Cost::Quadratic => "quadratic",
        }
    }
}

impl fmt::Display for Cost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quadratic_by_hand() {
        let c = Cost::Quadratic;
        assert_eq!(c.value(&[0.0f64, 1.0, 3.0], &[1.0, 1.0, 1.0]), 2.5);
        let mut g = [0.0; 3];
        c.gradient(&[0.0f64, 1.0, 3.0], &[1.0, 1.0, 1.0], &mut g);
        assert_eq!(g, [-1.0, 0.0, 2.0]);
    }

    #[test]
    fn output_error_is_gradient_times_sigma_prime() {
        let s = Activation::Sigmoid;
        let z = [0.0f64, 2.0];
        let a = [s.value(z[0]), s.value(z[1])];
        let y = [1.0, 0.0];
        let mut d = [0.0; 2];
        Cost::Quadratic.output_error(s, &z, &a, &y, &mut d);
        assert_eq!(d[0], (0.5 - 1.0) * 0.25);
        assert_eq!(d[1], a[1] * s.derivative(z[1], a[1]));
    }
}
