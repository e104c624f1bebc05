//! [`Activation`]: the functions σ a layer applies to its weighted input, a = σ(z), and their
//! derivatives σ′.

use core::fmt;

use crate::Float;
use crate::scalar::sigmoid;

/// The activation function σ of a layer: a = σ(z), applied element by element.
///
/// The set is open: new functions are new variants, and the network only ever calls
/// [`apply`](Self::apply) and [`derivative`](Self::derivative), so adding one touches
/// nothing else.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Activation {
    /// The logistic sigmoid σ(z) = 1 / (1 + e^−z), with σ′(z) = σ(z)(1 − σ(z)).
    Sigmoid,
}

impl Activation {
    /// σ(z) for one value.
    ///
    /// ```
    /// use backprop::Activation;
    /// assert_eq!(Activation::Sigmoid.value(0.0_f64), 0.5);
    /// assert_eq!(Activation::Sigmoid.value(-1000.0_f64), 0.0); // no overflow
    /// ```
    #[inline]
    pub fn value<T: Float>(self, z: T) -> T {
        match self {
            Activation::Sigmoid => sigmoid(z),
        }
    }

    /// σ′(z) for one value, given z and a = σ(z) (each function uses whichever is cheaper
    /// and stabler: the sigmoid's derivative is written in terms of σ itself).
    ///
    /// ```
    /// use backprop::Activation;
    /// let s = Activation::Sigmoid;
    /// assert_eq!(s.derivative(0.0_f64, s.value(0.0)), 0.25);
    /// ```
    #[inline]
    pub fn derivative<T: Float>(self, z: T, a: T) -> T {
        let _ = z;
        match self {
            Activation::Sigmoid => a * (T::ONE - a),
        }
    }

    /// a = σ(z) over a slice: `a[i] = σ(z[i])`.
    ///
    /// # Panics
    /// If the slices have different lengths.
    #[track_caller]
    pub fn apply<T: Float>(self, z: &[T], a: &mut [T]) {
        assert_eq!(z.len(), a.len(), "apply: z has {} values but a has {}", z.len(), a.len());
        match self {
            Activation::Sigmoid => {
                for (ai, &zi) in a.iter_mut().zip(z) {
                    *ai = sigmoid(zi);
                }
            }
        }
    }

    /// The end of the forward pass over a batch, in one streaming pass: for each row r,
    /// z ← z + b and a ← σ(z). `z` and `a` hold the rows of one layer, `bias` one row.
    pub(crate) fn add_bias_and_apply<T: Float>(self, z: &mut [T], bias: &[T], a: &mut [T]) {
        match self {
            Activation::Sigmoid => add_bias_and_map(z, bias, a, sigmoid),
        }
    }

    /// a ← σ(a + b) row by row, in place: the forward pass when z is not needed later.
    pub(crate) fn add_bias_and_apply_in_place<T: Float>(self, a: &mut [T], bias: &[T]) {
        match self {
            Activation::Sigmoid => {
                for row in a.chunks_exact_mut(bias.len()) {
                    for (ai, &bi) in row.iter_mut().zip(bias) {
                        *ai = sigmoid(*ai + bi);
                    }
                }
            }
        }
    }

    /// g ← g ⊙ σ′(z): the Hadamard product that ends BP1 and BP2, in place on `g`.
    ///
    /// # Panics
    /// If the three slices have different lengths.
    #[track_caller]
    pub fn hadamard_derivative<T: Float>(self, z: &[T], a: &[T], g: &mut [T]) {
        assert!(z.len() == g.len() && a.len() == g.len(), "hadamard_derivative: lengths differ");
        for ((gi, &zi), &ai) in g.iter_mut().zip(z).zip(a) {
            *gi *= self.derivative(zi, ai);
        }
    }

    /// The function's name, as used in `Display` and in saved files.
    pub fn name(self) -> &'static str {
        match self {
            Activation::Sigmoid => "sigmoid",
        }
    }
}

impl fmt::Display for Activation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// z ← z + b, a ← f(z) over rows of `bias.len()` values; one function per activation so
/// that the inner loop has no branch on the variant.
#[inline]
fn add_bias_and_map<T: Float>(z: &mut [T], bias: &[T], a: &mut [T], f: impl Fn(T) -> T) {
    let n = bias.len();
    for (z_row, a_row) in z.chunks_exact_mut(n).zip(a.chunks_exact_mut(n)) {
        for ((zi, ai), &bi) in z_row.iter_mut().zip(a_row.iter_mut()).zip(bias) {
            *zi += bi;
            *ai = f(*zi);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sigmoid_at_known_points() {
        let s = Activation::Sigmoid;
        assert_eq!(s.value(0.0f64), 0.5);
        assert!((s.value(2.0f64) - 0.880_797_077_977_882_3).abs() < 1e-15);
        assert!((s.value(-2.0f64) - 0.119_202_922_022_117_7).abs() < 1e-15);
        assert_eq!(s.value(800.0f64), 1.0);
        assert_eq!(s.value(-800.0f64), 0.0);
        assert!(s.value(-100.0f32).is_finite());
    }

    #[test]
    fn sigmoid_derivative_at_known_points() {
        let s = Activation::Sigmoid;
        let d = |z: f64| s.derivative(z, s.value(z));
        assert_eq!(d(0.0), 0.25);
        // σ′(2) = σ(2)(1 − σ(2)) = 0.104993585403507...
        assert!((d(2.0) - 0.104_993_585_403_507_4).abs() < 1e-15);
        assert_eq!(d(800.0), 0.0);
        assert_eq!(d(-800.0), 0.0);
    }

    #[test]
    fn derivative_matches_finite_difference() {
        let s = Activation::Sigmoid;
        for &z in &[-5.0, -1.0, -0.1, 0.0, 0.3, 2.0, 7.0f64] {
            let h = 1e-6;
            let fd = (s.value(z + h) - s.value(z - h)) / (2.0 * h);
            assert!((fd - s.derivative(z, s.value(z))).abs() < 1e-9, "z = {z}");
        }
    }

    #[test]
    fn fused_bias_and_activation() {
        let s = Activation::Sigmoid;
        let mut z = [1.0, -1.0, 0.0, 2.0f64];
        let mut a = [0.0; 4];
        s.add_bias_and_apply(&mut z, &[-1.0, 1.0], &mut a);
        assert_eq!(z, [0.0, 0.0, -1.0, 3.0]);
        assert_eq!(a, [0.5, 0.5, s.value(-1.0), s.value(3.0)]);
        let mut b = [1.0, -1.0, 0.0, 2.0f64];
        s.add_bias_and_apply_in_place(&mut b, &[-1.0, 1.0]);
        assert_eq!(a, b);
    }

    #[test]
    fn slice_forms_agree_with_scalar_forms() {
        let s = Activation::Sigmoid;
        let z = [-3.0, 0.0, 4.0f64];
        let mut a = [0.0; 3];
        s.apply(&z, &mut a);
        let mut g = [1.0, 2.0, 3.0];
        s.hadamard_derivative(&z, &a, &mut g);
        for i in 0..3 {
            assert_eq!(a[i], s.value(z[i]));
            assert_eq!(g[i], (i + 1) as f64 * s.derivative(z[i], a[i]));
        }
    }
}
