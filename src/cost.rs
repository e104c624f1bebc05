//! [`Cost`]: the cost C the network minimises and its gradient ∇ₐC, and the output error
//! of BP1 that joins them with σ′ (fused into δ = a − y where that is stabler).

use core::fmt;
use core::str::FromStr;

use crate::activation::softplus;
use crate::error::{Error, Result};
use crate::{Activation, Float};

/// The smallest argument a logarithm of a cross-entropy sees: ln(1e-30) ≈ −69.1 bounds
/// the cost of an output saturated at the wrong end, where ln 0 would be −∞. The value is
/// a normal number in `f32` too.
const LOG_FLOOR: f64 = 1e-30;

/// The cost function C(a, y) of one sample, where a is the network's output and y the
/// target. The cost of a batch is the mean of its samples' costs.
///
/// The network calls [`value`](Self::value) and [`output_error`](Self::output_error);
/// [`check_output`](Self::check_output) rejects, when a network is built, an output
/// activation the cost makes no sense with.
///
/// `Cost` is `Copy` and compares by value; a [`Custom`](Self::Custom) cost equals
/// another one with the same [`name`](CustomCost::name).
///
/// ```
/// use backprop::Cost;
///
/// let (a, y) = ([0.8, 0.1], [1.0, 0.0]);
/// let quadratic = Cost::Quadratic.value(&a, &y);
/// assert!((quadratic - 0.5 * ((0.8f64 - 1.0).powi(2) + 0.1f64.powi(2))).abs() < 1e-15);
/// let mean_absolute = Cost::MeanAbsolute.value(&a, &y);
/// assert!((mean_absolute - (0.2 + 0.1) / 2.0).abs() < 1e-15);
/// assert_eq!("categorical_cross_entropy".parse::<Cost>()?, Cost::CategoricalCrossEntropy);
/// # Ok::<(), backprop::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum Cost {
    /// The quadratic cost C = ½ Σᵢ (aᵢ − yᵢ)², with ∇ₐC = a − y.
    ///
    /// This is the mean squared error up to a constant factor: C = (n/2)·MSE for n
    /// outputs, so it has the same minima and the learning rate absorbs the factor.
    /// Any output activation.
    Quadratic,
    /// The mean absolute error C = (1/n) Σᵢ |aᵢ − yᵢ| over the n outputs, with
    /// ∂C/∂aᵢ = sign(aᵢ − yᵢ)/n, taken as 0 where aᵢ = yᵢ (a subgradient: C has a kink
    /// there). Less sensitive to outliers than the quadratic cost. Any output activation.
    MeanAbsolute,
    /// The binary cross-entropy C = −Σᵢ [yᵢ ln aᵢ + (1 − yᵢ) ln(1 − aᵢ)], with
    /// ∂C/∂aᵢ = (aᵢ − yᵢ) / (aᵢ(1 − aᵢ)), for independent yes/no outputs with targets in
    /// [0, 1]. Needs an output in (0, 1): a [`Sigmoid`](Activation::Sigmoid) (or a
    /// [`Custom`](Activation::Custom) one, on the caller's word).
    ///
    /// With a sigmoid output, BP1 becomes δ = a − y: σ′ = a(1 − a) cancels the
    /// denominator, so a saturated wrong output (σ′ ≈ 0) still learns fast, which is the
    /// cure for the slow start of the quadratic cost. See
    /// [`output_error`](Self::output_error).
    ///
    /// The network computes C from z, as Σᵢ [yᵢ softplus(−zᵢ) + (1 − yᵢ) softplus(zᵢ)]
    /// (see [`value_from_z`](Self::value_from_z)), exact for every finite z: one sigmoid
    /// neuron with y = 0 costs softplus(z) ≈ z at large z. [`value`](Self::value), which
    /// sees only a, clamps each logarithm's argument to at least 10⁻³⁰ instead.
    BinaryCrossEntropy,
    /// The categorical cross-entropy C = −Σᵢ yᵢ ln aᵢ, with ∂C/∂aᵢ = −yᵢ/aᵢ, for one
    /// class out of n: targets are probability vectors (one-hot, or any yᵢ ≥ 0 with
    /// Σ yᵢ = 1). Needs a [`Softmax`](Activation::Softmax) output.
    ///
    /// With the softmax, BP1 becomes δ = a − y (exactly: δ = a·Σy − y), with no division
    /// by a tiny aᵢ. The network computes C from z, as Σᵢ yᵢ (logsumexp(z) − zᵢ) (see
    /// [`value_from_z`](Self::value_from_z)), exact for every finite z;
    /// [`value`](Self::value), which sees only a, clamps the logarithm's argument to at
    /// least 10⁻³⁰ instead.
    CategoricalCrossEntropy,
    /// A cost of your own, a sum over the outputs of a per-element term; see
    /// [`CustomCost`]. In an `f32` network it is computed in `f64` and rounded. Any
    /// output activation.
    Custom(&'static dyn CustomCost),
}

/// A cost of your own for [`Cost::Custom`]: C(a, y) = Σᵢ c(aᵢ, yᵢ), one term per output.
///
/// The network checks nothing about it: check the gradient against the value by finite
/// differences before training with it.
///
/// ```
/// use backprop::{Cost, CustomCost};
///
/// /// The Huber cost with δ = 1: ½ d² for |d| ≤ 1, |d| − ½ beyond, where d = a − y.
/// #[derive(Debug)]
/// struct Huber;
/// impl CustomCost for Huber {
///     fn name(&self) -> &str {
///         "huber"
///     }
///     fn value(&self, a: f64, y: f64) -> f64 {
///         let d = (a - y).abs();
///         if d <= 1.0 { 0.5 * d * d } else { d - 0.5 }
///     }
///     fn gradient(&self, a: f64, y: f64) -> f64 {
///         (a - y).clamp(-1.0, 1.0)
///     }
/// }
///
/// let huber = Cost::Custom(&Huber);
/// assert_eq!(huber.value(&[3.0_f64, 0.5], &[0.0, 0.0]), 2.5 + 0.125);
/// ```
pub trait CustomCost: fmt::Debug + Send + Sync {
    /// The cost's name, shown by `Display` and used by `PartialEq`.
    fn name(&self) -> &str;
    /// c(aᵢ, yᵢ), the term of one output.
    fn value(&self, a: f64, y: f64) -> f64;
    /// ∂c/∂aᵢ at (aᵢ, yᵢ).
    fn gradient(&self, a: f64, y: f64) -> f64;
}

impl PartialEq for Cost {
    /// Equal variants; two [`Cost::Custom`] values are equal when their names are.
    fn eq(&self, other: &Self) -> bool {
        match (*self, *other) {
            (Cost::Custom(c), Cost::Custom(d)) => c.name() == d.name(),
            (a, b) => core::mem::discriminant(&a) == core::mem::discriminant(&b),
        }
    }
}

impl Cost {
    /// C(a, y) for one sample, from the output a alone.
    ///
    /// For the cross-entropies, each logarithm's argument is clamped to at least 10⁻³⁰
    /// (a normal number in `f32` too), so that an output a that has rounded to exactly 0
    /// or 1 gives a finite value: at most −ln 10⁻³⁰ ≈ 69.08 per output, and 0 for an
    /// output saturated at the right end (never 0·ln 0 = NaN). The clamp is a limit of
    /// what a rounded a can tell, not of the cost: the cost of a sigmoid or softmax
    /// output is finite for every finite z and grows without bound with it, and a
    /// saturated a hides it (one sigmoid neuron with y = 0 costs softplus(z) ≈ z, but
    /// σ(z) rounds to 1 from z ≈ 17 in `f32` and z ≈ 37 in `f64`). The network computes
    /// its costs from z with [`value_from_z`](Self::value_from_z), which is exact there.
    ///
    /// ```
    /// use backprop::Cost;
    /// assert_eq!(Cost::Quadratic.value(&[1.0_f64, 0.5], &[0.0, 0.5]), 0.5);
    /// // A saturated, correct output costs 0; a saturated wrong one is clamped.
    /// assert_eq!(Cost::BinaryCrossEntropy.value(&[1.0_f64], &[1.0]), 0.0);
    /// assert_eq!(Cost::BinaryCrossEntropy.value(&[0.0_f64], &[1.0]), -(1e-30_f64.ln()));
    /// ```
    ///
    /// # Panics
    /// If `a` and `y` have different lengths.
    #[track_caller]
    pub fn value<T: Float>(self, a: &[T], y: &[T]) -> T {
        assert_eq!(a.len(), y.len(), "cost: output has {} values but target has {}", a.len(), y.len());
        let pairs = a.iter().zip(y).map(|(&ai, &yi)| (ai, yi));
        match self {
            Cost::Quadratic => T::from_f64(0.5) * pairs.map(|(ai, yi)| (ai - yi) * (ai - yi)).sum::<T>(),
            Cost::MeanAbsolute => {
                let n = T::from_usize(a.len().max(1));
                pairs.map(|(ai, yi)| (ai - yi).abs()).sum::<T>() / n
            }
            Cost::BinaryCrossEntropy => {
                let floor = T::from_f64(LOG_FLOOR);
                -pairs
                    .map(|(ai, yi)| yi * ai.max(floor).ln() + (T::ONE - yi) * (T::ONE - ai).max(floor).ln())
                    .sum::<T>()
            }
            Cost::CategoricalCrossEntropy => {
                let floor = T::from_f64(LOG_FLOOR);
                -pairs.map(|(ai, yi)| yi * ai.max(floor).ln()).sum::<T>()
            }
            Cost::Custom(c) => T::from_f64(pairs.map(|(ai, yi)| c.value(ai.to_f64(), yi.to_f64())).sum::<f64>()),
        }
    }

    /// C(σ(z), y) for one sample whose output layer has weighted input `z`, activation
    /// `a` = σ(z) and target `y`: computed from z for the two pairs where a loses what
    /// the cost needs, else [`value`](Self::value) of a.
    ///
    /// - [`BinaryCrossEntropy`](Self::BinaryCrossEntropy) with a
    ///   [`Sigmoid`](Activation::Sigmoid): −ln σ(z) = softplus(−z) and −ln(1 − σ(z)) =
    ///   softplus(z), so C = Σᵢ [yᵢ softplus(−zᵢ) + (1 − yᵢ) softplus(zᵢ)], with
    ///   softplus(x) = max(x, 0) + ln(1 + e^−|x|).
    /// - [`CategoricalCrossEntropy`](Self::CategoricalCrossEntropy) with a
    ///   [`Softmax`](Activation::Softmax): ln aᵢ = zᵢ − logsumexp(z), so
    ///   C = Σᵢ yᵢ (logsumexp(z) − zᵢ), where logsumexp(z) − zᵢ = (m − zᵢ) + ln(1 + s),
    ///   m = z_k the largest z and s = Σ_{j≠k} e^(zⱼ − m).
    ///
    /// Every term is ≥ 0 and built from parts ≥ 0, so nothing cancels: each is exact to
    /// a few ulp for every finite z (tested for |z| up to 10⁴ against a double-double
    /// reference). The terms are computed and summed in `f64`, so an `f32` cost is
    /// rounded once.
    ///
    /// ```
    /// use backprop::{Activation, Cost};
    /// // One sigmoid neuron with y = 0 at z = 100: σ(z) is 1 in f64, the cost is
    /// // softplus(100) = 100 + ln(1 + e⁻¹⁰⁰), which rounds to 100.
    /// let (z, a) = (100.0_f64, Activation::Sigmoid.value(100.0_f64));
    /// let bce = Cost::BinaryCrossEntropy;
    /// assert_eq!(bce.value_from_z(Activation::Sigmoid, &[z], &[a], &[0.0]), 100.0);
    /// assert!(bce.value(&[a], &[0.0]) < 70.0); // clamped
    /// ```
    ///
    /// # Panics
    /// If the three slices have different lengths.
    #[track_caller]
    pub fn value_from_z<T: Float>(self, activation: Activation, z: &[T], a: &[T], y: &[T]) -> T {
        assert!(
            z.len() == a.len() && a.len() == y.len(),
            "value_from_z: z, a and y have {}, {} and {} values",
            z.len(),
            a.len(),
            y.len()
        );
        match (self, activation) {
            (Cost::BinaryCrossEntropy, Activation::Sigmoid) => T::from_f64(
                z.iter().zip(y).map(|(&zi, &yi)| binary_cross_entropy_from_z(zi.to_f64(), yi.to_f64())).sum(),
            ),
            (Cost::CategoricalCrossEntropy, Activation::Softmax) => T::from_f64(categorical_cross_entropy_from_z(z, y)),
            _ => self.value(a, y),
        }
    }

    /// ∇ₐC(a, y) for one sample, written into `grad`.
    ///
    /// The cross-entropies divide by a(1 − a) or a; the divisor is clamped to at least
    /// 10⁻³⁰ so that a saturated output gives a large finite gradient, not ∞ or NaN.
    /// The network avoids this form where it can; see [`output_error`](Self::output_error).
    ///
    /// # Panics
    /// If the three slices have different lengths.
    #[track_caller]
    pub fn gradient<T: Float>(self, a: &[T], y: &[T], grad: &mut [T]) {
        assert!(
            a.len() == y.len() && a.len() == grad.len(),
            "gradient: a, y and grad have {}, {} and {} values",
            a.len(),
            y.len(),
            grad.len()
        );
        let floor = T::from_f64(LOG_FLOOR);
        let each = grad.iter_mut().zip(a.iter().zip(y));
        match self {
            Cost::Quadratic => each.for_each(|(g, (&ai, &yi))| *g = ai - yi),
            Cost::MeanAbsolute => {
                let inv_n = T::ONE / T::from_usize(a.len().max(1));
                each.for_each(|(g, (&ai, &yi))| *g = sign(ai - yi) * inv_n);
            }
            Cost::BinaryCrossEntropy => {
                each.for_each(|(g, (&ai, &yi))| *g = (ai - yi) / (ai * (T::ONE - ai)).max(floor));
            }
            Cost::CategoricalCrossEntropy => each.for_each(|(g, (&ai, &yi))| *g = -yi / ai.max(floor)),
            Cost::Custom(c) => each.for_each(|(g, (&ai, &yi))| *g = T::from_f64(c.gradient(ai.to_f64(), yi.to_f64()))),
        }
    }

    /// Output error (BP1): δᴸ = (∂a/∂z)ᵀ ∇ₐC, which is ∇ₐC ⊙ σ′(zᴸ) for an element-wise σ,
    /// for one sample whose output layer has weighted input `z`, activation `a` = σ(z)
    /// and target `y`.
    ///
    /// Two pairs are fused into the closed form the product simplifies to:
    /// [`BinaryCrossEntropy`](Self::BinaryCrossEntropy) with a
    /// [`Sigmoid`](Activation::Sigmoid) gives δ = a − y, and
    /// [`CategoricalCrossEntropy`](Self::CategoricalCrossEntropy) with a
    /// [`Softmax`](Activation::Softmax) gives δ = a·Σy − y (= a − y for a probability
    /// target). Unfused, a saturated output would multiply a huge ∇ₐC by a tiny σ′, losing
    /// precision or giving ∞·0; fused, δ stays exact and as large as the error, which is
    /// why these costs learn fast where the quadratic cost stalls.
    ///
    /// # Panics
    /// If the four slices have different lengths.
    #[track_caller]
    pub fn output_error<T: Float>(self, activation: Activation, z: &[T], a: &[T], y: &[T], delta: &mut [T]) {
        match (self, activation) {
            (Cost::BinaryCrossEntropy, Activation::Sigmoid) => {
                assert!(z.len() == a.len(), "output_error: z has {} values but a has {}", z.len(), a.len());
                Cost::Quadratic.gradient(a, y, delta);
            }
            (Cost::CategoricalCrossEntropy, Activation::Softmax) => {
                assert!(z.len() == a.len(), "output_error: z has {} values but a has {}", z.len(), a.len());
                Cost::Quadratic.gradient(a, y, delta);
                let total: T = y.iter().copied().sum();
                // a·Σy − y = (a − y) + a(Σy − 1); the second term is 0 for a probability target.
                let excess = total - T::ONE;
                for (d, &ai) in delta.iter_mut().zip(a) {
                    *d += ai * excess;
                }
            }
            _ => {
                self.gradient(a, y, delta);
                activation.backpropagate(z, a, delta);
            }
        }
    }

    /// Checks that the cost makes sense on an output layer of `n_outputs` neurons with
    /// activation `activation`; [`Network`](crate::Network) calls it when it is built.
    ///
    /// The rules: [`BinaryCrossEntropy`](Self::BinaryCrossEntropy) needs outputs in
    /// (0, 1), a [`Sigmoid`](Activation::Sigmoid) or a [`Custom`](Activation::Custom)
    /// activation (whose range is the caller's responsibility);
    /// [`CategoricalCrossEntropy`](Self::CategoricalCrossEntropy) needs a
    /// [`Softmax`](Activation::Softmax) output, the only one that is a probability vector
    /// (so the element-wise, unfused form is never used). Every other pair is allowed.
    ///
    /// # Errors
    /// [`Error::Incompatible`] for a pair that breaks a rule, and whatever
    /// [`Activation::check`] returns for the layer.
    pub fn check_output(self, activation: Activation, n_outputs: usize) -> Result<()> {
        activation.check(n_outputs)?;
        let reason = match (self, activation) {
            (Cost::BinaryCrossEntropy, Activation::Sigmoid | Activation::Custom(_)) => return Ok(()),
            (Cost::BinaryCrossEntropy, Activation::Softmax) => format!(
                "the binary cross-entropy treats each output as its own yes/no probability, but a softmax \
                 output is one distribution over {n_outputs} classes: use the categorical cross-entropy with \
                 a softmax output, or the binary cross-entropy with a sigmoid output"
            ),
            (Cost::BinaryCrossEntropy, _) => format!(
                "the binary cross-entropy needs outputs in (0, 1), but a {activation} output can leave that \
                 range: use a sigmoid output layer"
            ),
            (Cost::CategoricalCrossEntropy, Activation::Softmax) => return Ok(()),
            (Cost::CategoricalCrossEntropy, _) => format!(
                "the categorical cross-entropy needs a probability vector as output, but the output layer's \
                 activation is {activation}: use a softmax output layer"
            ),
            _ => return Ok(()),
        };
        Err(Error::Incompatible { reason })
    }

    /// Checks that a target makes sense for the cost: values in [0, 1] for the binary
    /// cross-entropy; values ≥ 0 that sum to 1 (within 10⁻³ for rounding) for the
    /// categorical cross-entropy. Other costs accept any finite target.
    ///
    /// # Errors
    /// [`Error::Incompatible`] naming the offending value or sum.
    pub fn check_target<T: Float>(self, y: &[T]) -> Result<()> {
        match self {
            Cost::BinaryCrossEntropy => match y.iter().position(|&v| !v.is_finite() || v < T::ZERO || v > T::ONE) {
                None => Ok(()),
                Some(i) => Err(Error::Incompatible {
                    reason: format!(
                        "the binary cross-entropy needs targets in [0, 1], got {} at index {i}",
                        y[i].to_f64()
                    ),
                }),
            },
            Cost::CategoricalCrossEntropy => {
                if let Some(i) = y.iter().position(|&v| !v.is_finite() || v < T::ZERO) {
                    return Err(Error::Incompatible {
                        reason: format!(
                            "the categorical cross-entropy needs targets ≥ 0, got {} at index {i}",
                            y[i].to_f64()
                        ),
                    });
                }
                let total: f64 = y.iter().map(|v| v.to_f64()).sum();
                if (total - 1.0).abs() <= 1e-3 {
                    Ok(())
                } else {
                    Err(Error::Incompatible {
                        reason: format!(
                            "the categorical cross-entropy needs targets that sum to 1 (one-hot or a \
                             probability vector), got a sum of {total}"
                        ),
                    })
                }
            }
            _ => Ok(()),
        }
    }

    /// The cost's name, as used in `Display` and in saved files.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Cost::Custom(c) => c.name(),
            _ => self.built_in_name(),
        }
    }

    // The text form: `Display` writes, `FromStr` reads, and the file format and serde use
    // both. The names are written in `built_in_name` only; the tests check every variant
    // against both directions.

    /// Every variant but [`Custom`](Self::Custom), in declaration order (which is also
    /// their variant index in the serde form).
    pub(crate) const BUILT_IN: [Cost; 4] =
        [Cost::Quadratic, Cost::MeanAbsolute, Cost::BinaryCrossEntropy, Cost::CategoricalCrossEntropy];

    /// The [`name`](Self::name) of each of [`BUILT_IN`](Self::BUILT_IN), in its order.
    pub(crate) const NAMES: [&'static str; 4] = {
        let mut names = [""; 4];
        let mut i = 0;
        while i < names.len() {
            names[i] = Self::BUILT_IN[i].built_in_name();
            i += 1;
        }
        names
    };

    /// The name of the variant; `"custom"` for every [`Custom`](Self::Custom) one.
    const fn built_in_name(self) -> &'static str {
        match self {
            Cost::Quadratic => "quadratic",
            Cost::MeanAbsolute => "mean_absolute",
            Cost::BinaryCrossEntropy => "binary_cross_entropy",
            Cost::CategoricalCrossEntropy => "categorical_cross_entropy",
            Cost::Custom(_) => "custom",
        }
    }
}

impl fmt::Display for Cost {
    /// The name, e.g. `quadratic`: the text [`FromStr`] reads. A
    /// [`Custom`](Cost::Custom) cost shows its name.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Cost {
    type Err = Error;

    /// The cost that `Display` writes as `text`, e.g. `binary_cross_entropy`. The text is
    /// taken exactly: no spaces, lowercase.
    ///
    /// ```
    /// use backprop::Cost;
    /// assert_eq!("quadratic".parse::<Cost>()?, Cost::Quadratic);
    /// assert_eq!(Cost::MeanAbsolute.to_string().parse::<Cost>()?, Cost::MeanAbsolute);
    /// assert!("hinge".parse::<Cost>().is_err());
    /// # Ok::<(), backprop::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::UnknownName`], listing the accepted names, for any other text. A
    /// [`Custom`](Cost::Custom) cost cannot be read: it is a function of the program that
    /// made it, which its name cannot rebuild.
    fn from_str(text: &str) -> Result<Cost> {
        let found = Cost::BUILT_IN.into_iter().zip(Cost::NAMES).find(|&(_, name)| name == text);
        found.map(|(cost, _)| cost).ok_or_else(|| Error::UnknownName {
            what: "cost",
            found: text.to_string(),
            expected: Cost::NAMES.map(String::from).to_vec(),
        })
    }
}

/// −[y ln σ(z) + (1 − y) ln(1 − σ(z))] = y softplus(−z) + (1 − y) softplus(z): two
/// terms ≥ 0 (y ∈ [0, 1]), each softplus exact to a few ulp.
fn binary_cross_entropy_from_z(z: f64, y: f64) -> f64 {
    y * softplus(-z) + (1.0 - y) * softplus(z)
}

/// −Σᵢ yᵢ ln softmax(z)ᵢ = Σᵢ yᵢ ((m − zᵢ) + ln(1 + s)), with m = z_k the first largest
/// z and s = Σ_{j≠k} e^(zⱼ − m). m − zᵢ ≥ 0 is one rounding; ln(1 + s) ≥ 0 is taken by
/// `ln_1p`, which keeps the precision of a tiny s (the cost of a confident right answer)
/// where ln of the sum 1 + s would round it away. A term with yᵢ = 0 adds nothing, even
/// where m − zᵢ overflows.
///
/// The rounding of d = zⱼ − m is put back into e^d: an error of r in d would scale e^d
/// by e^r, a relative error of |d|·2⁻⁵³ (hundreds of ulp for |d| in the hundreds, the
/// only case where s is tiny enough for its error to show in the cost).
fn categorical_cross_entropy_from_z<T: Float>(z: &[T], y: &[T]) -> f64 {
    let Some(first) = z.first() else { return 0.0 };
    let (mut k, mut m) = (0, first.to_f64());
    for (j, zj) in z.iter().enumerate() {
        if zj.to_f64() > m {
            (k, m) = (j, zj.to_f64());
        }
    }
    let exp_difference = |zj: f64| {
        // d + r = zj − m exactly (Knuth's two-sum), and e^(d + r) ≈ e^d (1 + r).
        let d = zj - m;
        let b = d - zj;
        let r = (zj - (d - b)) + (-m - b);
        let e = d.exp();
        e + e * r
    };
    let s: f64 = z.iter().enumerate().filter(|&(j, _)| j != k).map(|(_, zj)| exp_difference(zj.to_f64())).sum();
    let log_sum = s.ln_1p();
    z.iter().zip(y).filter(|&(_, yi)| *yi != T::ZERO).map(|(zi, yi)| yi.to_f64() * ((m - zi.to_f64()) + log_sum)).sum()
}

/// sign(x) with sign(0) = 0.
#[inline]
fn sign<T: Float>(x: T) -> T {
    if x > T::ZERO {
        T::ONE
    } else if x < T::ZERO {
        -T::ONE
    } else {
        T::ZERO
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn softmax(z: &[f64]) -> Vec<f64> {
        let mut a = vec![0.0; z.len()];
        Activation::Softmax.apply(z, &mut a);
        a
    }

    #[test]
    fn quadratic_by_hand() {
        let c = Cost::Quadratic;
        assert_eq!(c.value(&[0.0f64, 1.0, 3.0], &[1.0, 1.0, 1.0]), 2.5);
        let mut g = [0.0; 3];
        c.gradient(&[0.0f64, 1.0, 3.0], &[1.0, 1.0, 1.0], &mut g);
        assert_eq!(g, [-1.0, 0.0, 2.0]);
    }

    #[test]
    fn mean_absolute_by_hand() {
        let c = Cost::MeanAbsolute;
        assert_eq!(c.value(&[0.0f64, 1.0, 3.0, -1.0], &[1.0, 1.0, 1.0, 1.0]), 1.25);
        // Targets other than 1, where a/y and a − y differ: (0.25 + 1)/2.
        assert_eq!(c.value(&[0.5f64, 2.0], &[0.25, 3.0]), 0.625);
        let mut g = [9.0; 4];
        c.gradient(&[0.0f64, 1.0, 3.0, -1.0], &[1.0, 1.0, 1.0, 1.0], &mut g);
        assert_eq!(g, [-0.25, 0.0, 0.25, -0.25]);
    }

    #[test]
    fn cross_entropies_by_hand() {
        let bce = Cost::BinaryCrossEntropy;
        // −[ln 0.8 + ln(1 − 0.25)]
        let v = bce.value(&[0.8f64, 0.25], &[1.0, 0.0]);
        assert!((v - -(0.8f64.ln() + 0.75f64.ln())).abs() < 1e-15);
        let mut g = [0.0; 2];
        bce.gradient(&[0.8f64, 0.25], &[1.0, 0.0], &mut g);
        assert!((g[0] - -1.0 / 0.8).abs() < 1e-15 && (g[1] - 1.0 / 0.75).abs() < 1e-15, "{g:?}");
        let cce = Cost::CategoricalCrossEntropy;
        assert!((cce.value(&[0.2f64, 0.5, 0.3], &[0.0, 1.0, 0.0]) - -(0.5f64.ln())).abs() < 1e-15);
        cce.gradient(&[0.2f64, 0.5], &[0.0, 1.0], &mut g);
        assert_eq!(g, [0.0, -2.0]);
    }

    #[test]
    fn cross_entropy_values_are_finite_when_saturated() {
        let bce = Cost::BinaryCrossEntropy;
        assert_eq!(bce.value(&[1.0f64, 0.0], &[1.0, 0.0]), 0.0);
        let worst = bce.value(&[0.0f64, 1.0], &[1.0, 0.0]);
        assert!(worst.is_finite() && worst > 100.0, "{worst}");
        assert!(bce.value(&[0.0f32], &[1.0]).is_finite());
        let cce = Cost::CategoricalCrossEntropy;
        assert_eq!(cce.value(&[0.0f64, 1.0], &[0.0, 1.0]), 0.0);
        assert!(cce.value(&[0.0f64, 1.0], &[1.0, 0.0]).is_finite());
        let mut g = [0.0; 2];
        bce.gradient(&[0.0f64, 1.0], &[1.0, 0.0], &mut g);
        assert!(g.iter().all(|v| v.is_finite()), "{g:?}");
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

    /// The fused δ equals ∇ₐC pushed back through σ by the general path, where both are
    /// finite (moderate z).
    #[test]
    fn fused_output_errors_equal_the_unfused_product() {
        let s = Activation::Sigmoid;
        let z = [-3.0, -0.5, 0.0, 1.5, 4.0f64];
        let a: Vec<f64> = z.iter().map(|&v| s.value(v)).collect();
        let y = [0.0, 1.0, 0.3, 0.0, 1.0];
        let (mut fused, mut unfused) = ([0.0; 5], [0.0; 5]);
        Cost::BinaryCrossEntropy.output_error(s, &z, &a, &y, &mut fused);
        Cost::BinaryCrossEntropy.gradient(&a, &y, &mut unfused);
        s.backpropagate(&z, &a, &mut unfused);
        for (f, u) in fused.iter().zip(unfused) {
            assert!((f - u).abs() < 1e-14, "{fused:?} vs {unfused:?}");
        }
        let z = [0.4, -1.2, 2.0, 0.1];
        let a = softmax(&z);
        for y in [[0.0, 0.0, 1.0, 0.0], [0.1, 0.2, 0.3, 0.4], [0.5, 0.5, 0.5, 0.0]] {
            let (mut fused, mut unfused) = ([0.0; 4], [0.0; 4]);
            Cost::CategoricalCrossEntropy.output_error(Activation::Softmax, &z, &a, &y, &mut fused);
            Cost::CategoricalCrossEntropy.gradient(&a, &y, &mut unfused);
            Activation::Softmax.backpropagate(&z, &a, &mut unfused);
            for (f, u) in fused.iter().zip(unfused) {
                assert!((f - u).abs() < 1e-14, "y = {y:?}: {fused:?} vs {unfused:?}");
            }
        }
    }

    #[test]
    fn fused_output_error_survives_saturation() {
        let s = Activation::Sigmoid;
        let (z, a, y) = ([-800.0f64], [s.value(-800.0f64)], [1.0]);
        let mut d = [0.0];
        Cost::BinaryCrossEntropy.output_error(s, &z, &a, &y, &mut d);
        assert_eq!(d, [-1.0]); // full-size error, where the quadratic cost gives 0
        Cost::Quadratic.output_error(s, &z, &a, &y, &mut d);
        assert_eq!(d, [-0.0]);
        let z = [1000.0, -1000.0f64];
        let a = softmax(&z);
        let mut d = [0.0; 2];
        Cost::CategoricalCrossEntropy.output_error(Activation::Softmax, &z, &a, &[0.0, 1.0], &mut d);
        assert_eq!(d, [1.0, -1.0]);
    }

    #[test]
    fn check_output_rejects_senseless_pairs() {
        use Activation::*;
        let incompatible = |c: Cost, s: Activation| matches!(c.check_output(s, 3), Err(Error::Incompatible { .. }));
        assert!(incompatible(Cost::BinaryCrossEntropy, Softmax));
        for s in [Relu, Identity, Tanh, Softplus, LeakyRelu { slope: 0.1 }, Elu { alpha: 1.0 }] {
            assert!(incompatible(Cost::BinaryCrossEntropy, s), "{s}");
        }
        for s in [Sigmoid, Relu, Identity, Tanh] {
            assert!(incompatible(Cost::CategoricalCrossEntropy, s), "{s}");
        }
        assert!(Cost::BinaryCrossEntropy.check_output(Sigmoid, 3).is_ok());
        assert!(Cost::CategoricalCrossEntropy.check_output(Softmax, 3).is_ok());
        assert!(Cost::Quadratic.check_output(Softmax, 3).is_ok());
        assert!(Cost::MeanAbsolute.check_output(Identity, 1).is_ok());
        assert!(Cost::CategoricalCrossEntropy.check_output(Softmax, 1).is_err());
        let e = Cost::BinaryCrossEntropy.check_output(Relu, 3).unwrap_err();
        assert!(e.to_string().contains("needs outputs in (0, 1), but a relu output"), "{e}");
        // Each senseless pair says what is wrong with it and what to use instead.
        let e = Cost::BinaryCrossEntropy.check_output(Softmax, 3).unwrap_err();
        assert!(e.to_string().contains("a softmax output is one distribution over 3 classes"), "{e}");
        let e = Cost::CategoricalCrossEntropy.check_output(Tanh, 3).unwrap_err();
        assert!(e.to_string().contains("activation is tanh: use a softmax output layer"), "{e}");
    }

    #[test]
    fn check_target_rejects_senseless_targets() {
        let bce = Cost::BinaryCrossEntropy;
        assert!(bce.check_target(&[0.0, 0.5, 1.0f64]).is_ok());
        assert!(bce.check_target(&[0.0, 1.5f64]).is_err());
        assert!(bce.check_target(&[-0.1f32]).is_err());
        let cce = Cost::CategoricalCrossEntropy;
        assert!(cce.check_target(&[0.0, 1.0, 0.0f64]).is_ok());
        assert!(cce.check_target(&[0.1f32, 0.2, 0.7]).is_ok());
        assert!(cce.check_target(&[1.0, 1.0f64]).is_err());
        assert!(cce.check_target(&[-0.5, 1.5f64]).is_err());
        assert!(Cost::Quadratic.check_target(&[7.0f64]).is_ok());
    }

    #[derive(Debug)]
    struct Squared;
    impl CustomCost for Squared {
        fn name(&self) -> &str {
            "squared"
        }
        fn value(&self, a: f64, y: f64) -> f64 {
            (a - y) * (a - y)
        }
        fn gradient(&self, a: f64, y: f64) -> f64 {
            2.0 * (a - y)
        }
    }

    #[test]
    fn custom_costs_sum_their_terms() {
        let c = Cost::Custom(&Squared);
        assert_eq!(c.value(&[1.0f32, 3.0], &[0.0, 1.0]), 5.0);
        let mut g = [0.0f32; 2];
        c.gradient(&[1.0f32, 3.0], &[0.0, 1.0], &mut g);
        assert_eq!(g, [2.0, 4.0]);
        assert_eq!(c, Cost::Custom(&Squared));
        assert_ne!(c, Cost::Quadratic);
        assert_eq!(c.to_string(), "squared");
    }

    /// One value of every variant, `Custom` last. Adding a variant breaks the build here
    /// until it is given the next index, and then `every_variant_has_one_text_form` until
    /// it is listed in [`Cost::BUILT_IN`] and here.
    fn every_variant() -> Vec<Cost> {
        let all = vec![
            Cost::Quadratic,
            Cost::MeanAbsolute,
            Cost::BinaryCrossEntropy,
            Cost::CategoricalCrossEntropy,
            Cost::Custom(&Squared),
        ];
        let index = |c: &Cost| match c {
            Cost::Quadratic => 0,
            Cost::MeanAbsolute => 1,
            Cost::BinaryCrossEntropy => 2,
            Cost::CategoricalCrossEntropy => 3,
            Cost::Custom(_) => 4,
        };
        assert_eq!(all.iter().map(index).collect::<Vec<_>>(), (0..=4).collect::<Vec<_>>());
        assert_eq!(Cost::BUILT_IN.iter().map(index).collect::<Vec<_>>(), (0..4).collect::<Vec<_>>());
        all
    }

    #[test]
    fn every_variant_has_one_text_form() {
        let all = every_variant();
        let (custom, built_in) = all.split_last().unwrap();
        for &c in built_in {
            assert_eq!(c.to_string().parse::<Cost>().unwrap(), c, "{c}");
        }
        for (c, name) in Cost::BUILT_IN.iter().zip(Cost::NAMES) {
            assert_eq!(c.name(), name);
        }
        // A custom cost shows its name but cannot be read back.
        assert_eq!(custom.to_string(), "squared");
        assert!(matches!("squared".parse::<Cost>(), Err(Error::UnknownName { .. })));
    }

    #[test]
    fn unknown_text_names_the_accepted_names() {
        for bad in ["", "Quadratic", "quadratic ", "cross_entropy", "custom(squared)"] {
            let e = bad.parse::<Cost>().unwrap_err();
            let expected = format!(
                "unknown cost {bad:?}, expected one of: quadratic, mean_absolute, binary_cross_entropy, \
                 categorical_cross_entropy"
            );
            assert_eq!(e.to_string(), expected);
        }
    }
}
