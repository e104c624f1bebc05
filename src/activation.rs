//! [`Activation`]: the functions σ a layer applies to its weighted input, a = σ(z), their
//! derivatives σ′, and the step of BP1/BP2 that carries a gradient back through σ.

use core::fmt;
use core::str::FromStr;

use crate::Float;
use crate::error::{Error, Result};
use crate::scalar::sigmoid;

/// The activation function σ of a layer: a = σ(z).
///
/// Every variant but [`Softmax`](Self::Softmax) is element-wise: aᵢ = σ(zᵢ). Softmax
/// maps the whole weighted input of one sample (one row of a batch) to a probability
/// vector, so its Jacobian is not diagonal; [`backpropagate`](Self::backpropagate)
/// handles both kinds, and the network only ever calls it and the forward functions.
///
/// Each function is evaluated so that large |z| gives no NaN or infinity.
///
/// `Activation` is `Copy` and compares by value; a [`Custom`](Self::Custom) activation
/// equals another one with the same [`name`](CustomActivation::name).
///
/// ```
/// use backprop::Activation;
///
/// let leaky: Activation = "leaky_relu(0.01)".parse()?; // the form `Display` writes
/// assert_eq!(leaky, Activation::LeakyRelu { slope: 0.01 });
/// assert_eq!(leaky.to_string(), "leaky_relu(0.01)");
/// assert_eq!((leaky.value(2.0_f64), leaky.value(-2.0_f64)), (2.0, -0.02));
/// assert!(Activation::Sigmoid.value(1000.0_f64).is_finite()); // no overflow
/// # Ok::<(), backprop::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum Activation {
    /// The logistic sigmoid σ(z) = 1 / (1 + e^−z), with σ′(z) = σ(z)(1 − σ(z)).
    /// Range (0, 1).
    Sigmoid,
    /// The hyperbolic tangent σ(z) = tanh z, with σ′(z) = 1 − tanh² z. Range (−1, 1).
    Tanh,
    /// The rectified linear unit σ(z) = max(z, 0), with σ′(z) = 1 for z > 0 and 0
    /// otherwise (σ′(0) = 0 by convention: σ has a kink there).
    Relu,
    /// The leaky rectifier σ(z) = z for z > 0 and `slope`·z otherwise, with σ′(z) = 1 for
    /// z > 0 and `slope` otherwise (σ′(0) = `slope`). A common slope is 0.01.
    LeakyRelu {
        /// The slope for z ≤ 0; must be finite.
        slope: f64,
    },
    /// The exponential linear unit σ(z) = z for z > 0 and α(e^z − 1) otherwise, with
    /// σ′(z) = 1 for z > 0 and σ(z) + α otherwise. Smooth at 0 only for α = 1.
    Elu {
        /// The scale α of the negative side; must be finite. A common value is 1.
        alpha: f64,
    },
    /// The softplus σ(z) = ln(1 + e^z), a smooth rectifier, with σ′(z) = 1 / (1 + e^−z),
    /// the sigmoid. Evaluated as max(z, 0) + ln(1 + e^−|z|), which never overflows.
    Softplus,
    /// The identity σ(z) = z, with σ′(z) = 1: a linear layer, e.g. the output of a
    /// regression.
    Identity,
    /// The softmax over the neurons of one sample, aᵢ = e^zᵢ / Σⱼ e^zⱼ, with the Jacobian
    /// ∂aᵢ/∂zⱼ = aᵢ(δᵢⱼ − aⱼ): an output of probabilities that sum to 1, meant for the
    /// output layer with [`Cost::CategoricalCrossEntropy`](crate::Cost::CategoricalCrossEntropy).
    /// Evaluated after subtracting the row's largest z, which changes nothing but keeps
    /// every e^x ≤ 1. A softmax layer needs at least 2 neurons. It is allowed on a hidden
    /// layer too: backpropagation through it uses the full Jacobian.
    Softmax,
    /// An element-wise function of your own; see [`CustomActivation`]. In an `f32`
    /// network its values are computed in `f64` and rounded.
    Custom(&'static dyn CustomActivation),
}

/// An element-wise activation function of your own, for [`Activation::Custom`].
///
/// The network checks nothing about it: check σ′ against σ by finite differences (as the
/// crate's own tests do) before training with it.
///
/// ```
/// use backprop::{Activation, CustomActivation};
///
/// /// σ(z) = z³, σ′(z) = 3z².
/// #[derive(Debug)]
/// struct Cube;
/// impl CustomActivation for Cube {
///     fn name(&self) -> &str {
///         "cube"
///     }
///     fn value(&self, z: f64) -> f64 {
///         z * z * z
///     }
///     fn derivative(&self, z: f64, _a: f64) -> f64 {
///         3.0 * z * z
///     }
/// }
///
/// let cube = Activation::Custom(&Cube);
/// assert_eq!(cube.value(2.0_f64), 8.0);
/// assert_eq!(cube.derivative(2.0_f64, 8.0), 12.0);
/// assert_eq!(cube.to_string(), "cube");
/// ```
pub trait CustomActivation: fmt::Debug + Send + Sync {
    /// The function's name, shown by `Display` and used by `PartialEq`.
    fn name(&self) -> &str;
    /// σ(z).
    fn value(&self, z: f64) -> f64;
    /// σ′(z), given z and a = σ(z) (use whichever is cheaper).
    fn derivative(&self, z: f64, a: f64) -> f64;
}

impl PartialEq for Activation {
    /// Equal variants with equal parameters; two [`Activation::Custom`] values are equal
    /// when their names are.
    fn eq(&self, other: &Self) -> bool {
        use Activation::*;
        match (*self, *other) {
            (LeakyRelu { slope: s }, LeakyRelu { slope: t }) => s == t,
            (Elu { alpha: s }, Elu { alpha: t }) => s == t,
            (Custom(c), Custom(d)) => c.name() == d.name(),
            (a, b) => core::mem::discriminant(&a) == core::mem::discriminant(&b),
        }
    }
}

impl Activation {
    /// σ(z) for one value.
    ///
    /// For [`Softmax`](Self::Softmax), which is not element-wise, this is 1: the softmax
    /// of a row of one value. Use [`apply`](Self::apply) on a whole row instead.
    ///
    /// ```
    /// use backprop::Activation;
    /// assert_eq!(Activation::Sigmoid.value(0.0_f64), 0.5);
    /// assert_eq!(Activation::Sigmoid.value(-1000.0_f64), 0.0); // no overflow
    /// assert_eq!(Activation::Softplus.value(1000.0_f64), 1000.0);
    /// assert_eq!(Activation::LeakyRelu { slope: 0.1 }.value(-2.0_f64), -0.2);
    /// ```
    #[inline]
    pub fn value<T: Float>(self, z: T) -> T {
        match self {
            Activation::Sigmoid => sigmoid(z),
            Activation::Tanh => tanh(z),
            Activation::Relu => relu(z),
            Activation::LeakyRelu { slope } => leaky_relu(z, T::from_f64(slope)),
            Activation::Elu { alpha } => elu(z, T::from_f64(alpha)),
            Activation::Softplus => softplus(z),
            Activation::Identity => identity(z),
            Activation::Softmax => T::ONE,
            Activation::Custom(c) => custom(c, z),
        }
    }

    /// σ′(z) for one value, given z and a = σ(z) (each function uses whichever is cheaper
    /// and stabler: the sigmoid's and tanh's derivatives are written in terms of a).
    ///
    /// For [`Softmax`](Self::Softmax) this is the diagonal of the Jacobian, ∂aᵢ/∂zᵢ =
    /// aᵢ(1 − aᵢ); the off-diagonal terms −aᵢaⱼ need the whole row, which
    /// [`backpropagate`](Self::backpropagate) takes.
    ///
    /// ```
    /// use backprop::Activation;
    /// let s = Activation::Sigmoid;
    /// assert_eq!(s.derivative(0.0_f64, s.value(0.0)), 0.25);
    /// assert_eq!(Activation::Relu.derivative(-1.0_f64, 0.0), 0.0);
    /// ```
    #[inline]
    pub fn derivative<T: Float>(self, z: T, a: T) -> T {
        match self {
            Activation::Sigmoid => sigmoid_derivative(z, a),
            Activation::Tanh => tanh_derivative(z, a),
            Activation::Relu => relu_derivative(z, a),
            Activation::LeakyRelu { slope } => leaky_relu_derivative(z, a, T::from_f64(slope)),
            Activation::Elu { alpha } => elu_derivative(z, a, T::from_f64(alpha)),
            Activation::Softplus => softplus_derivative(z, a),
            Activation::Identity => identity_derivative(z, a),
            // The diagonal of the Jacobian, aᵢ(1 − aᵢ): the sigmoid's σ′ in terms of a.
            Activation::Softmax => sigmoid_derivative(z, a),
            Activation::Custom(c) => custom_derivative(c, z, a),
        }
    }

    /// a = σ(z) over the weighted input of one sample: `a[i] = σ(z[i])` for an
    /// element-wise σ; for [`Softmax`](Self::Softmax) the slice is the row it normalises.
    ///
    /// # Panics
    /// If the slices have different lengths.
    #[track_caller]
    pub fn apply<T: Float>(self, z: &[T], a: &mut [T]) {
        assert_eq!(z.len(), a.len(), "apply: z has {} values but a has {}", z.len(), a.len());
        a.copy_from_slice(z);
        self.apply_in_place(a);
    }

    /// g ← (∂a/∂z)ᵀ g for one sample (one row): carries a gradient g = ∂C/∂a back through
    /// σ to ∂C/∂z. This is the last step of BP1 and BP2.
    ///
    /// For an element-wise σ it is the Hadamard product g ← g ⊙ σ′(z). For
    /// [`Softmax`](Self::Softmax), whose Jacobian is ∂aⱼ/∂zᵢ = aⱼ(δᵢⱼ − aᵢ), it is
    /// gᵢ ← aᵢ(gᵢ − Σⱼ aⱼgⱼ).
    ///
    /// ```
    /// use backprop::Activation;
    /// let mut g = [1.0_f64, 2.0];
    /// Activation::Relu.backpropagate(&[-1.0, 3.0], &[0.0, 3.0], &mut g);
    /// assert_eq!(g, [0.0, 2.0]);
    /// ```
    ///
    /// # Panics
    /// If the three slices have different lengths.
    #[track_caller]
    pub fn backpropagate<T: Float>(self, z: &[T], a: &[T], g: &mut [T]) {
        assert!(
            z.len() == g.len() && a.len() == g.len(),
            "backpropagate: z, a and g have {}, {} and {} values",
            z.len(),
            a.len(),
            g.len()
        );
        match self {
            Activation::Sigmoid => scale_by_derivative(z, a, g, sigmoid_derivative),
            Activation::Tanh => scale_by_derivative(z, a, g, tanh_derivative),
            Activation::Relu => scale_by_derivative(z, a, g, relu_derivative),
            Activation::LeakyRelu { slope } => {
                let slope = T::from_f64(slope);
                scale_by_derivative(z, a, g, |z, a| leaky_relu_derivative(z, a, slope));
            }
            Activation::Elu { alpha } => {
                let alpha = T::from_f64(alpha);
                scale_by_derivative(z, a, g, |z, a| elu_derivative(z, a, alpha));
            }
            Activation::Softplus => scale_by_derivative(z, a, g, softplus_derivative),
            // σ′ = 1 leaves g as it is.
            Activation::Identity => {}
            Activation::Softmax => {
                let dot: T = a.iter().zip(g.iter()).map(|(&aj, &gj)| aj * gj).sum();
                for (gi, &ai) in g.iter_mut().zip(a) {
                    *gi = ai * (*gi - dot);
                }
            }
            Activation::Custom(c) => scale_by_derivative(z, a, g, |z, a| custom_derivative(c, z, a)),
        }
    }

    /// Checks the parameters of the function for a layer of `n_neurons` neurons.
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`] if the slope of [`LeakyRelu`](Self::LeakyRelu) or
    /// the α of [`Elu`](Self::Elu) is not finite; [`Error::Incompatible`] for a
    /// [`Softmax`](Self::Softmax) layer of one neuron (its output would always be 1).
    pub fn check(self, n_neurons: usize) -> Result<()> {
        match self {
            Activation::LeakyRelu { slope } if !slope.is_finite() => {
                Err(Error::InvalidHyperparameter { name: "leaky ReLU slope", rule: "finite", value: slope })
            }
            Activation::Elu { alpha } if !alpha.is_finite() => {
                Err(Error::InvalidHyperparameter { name: "ELU alpha", rule: "finite", value: alpha })
            }
            Activation::Softmax if n_neurons < 2 => Err(Error::Incompatible {
                reason: format!(
                    "a softmax layer needs at least 2 neurons, got {n_neurons}: the softmax of one value is always 1"
                ),
            }),
            _ => Ok(()),
        }
    }

    /// Whether σ has a kink at z = 0: a jump in σ′, or in σ″ for the ELU with α = 1. The
    /// gradient check keeps its finite differences on one side of it.
    pub(crate) fn has_kink(self) -> bool {
        match self {
            Activation::Relu | Activation::Elu { .. } => true,
            Activation::LeakyRelu { slope } => slope != 1.0,
            Activation::Sigmoid
            | Activation::Tanh
            | Activation::Softplus
            | Activation::Identity
            | Activation::Softmax
            | Activation::Custom(_) => false,
        }
    }

    /// (|∂σ′/∂a|, |∂σ′/∂z|) of σ′ as [`derivative`](Self::derivative) computes it, for an
    /// element-wise σ, which the gradient check's rounding bound uses: a(1 − a) for the
    /// sigmoid and 1 − a² for tanh move with a; the softplus's σ′, the sigmoid of z, moves
    /// with z by σ′(1 − σ′); the ELU's α + a at z ≤ 0 with a; the piecewise linear
    /// functions' σ′ does not move away from their kinks. A custom σ′(z, a) is assumed to
    /// move by at most as much as its arguments.
    pub(crate) fn derivative_sensitivity(self, z: f64, a: f64) -> (f64, f64) {
        match self {
            Activation::Sigmoid => ((1.0 - 2.0 * a).abs(), 0.0),
            Activation::Tanh => (2.0 * a.abs(), 0.0),
            Activation::Softplus => {
                let s = self.derivative(z, a);
                (0.0, s * (1.0 - s))
            }
            Activation::Elu { .. } if z <= 0.0 => (1.0, 0.0),
            Activation::Elu { .. } | Activation::Relu | Activation::LeakyRelu { .. } | Activation::Identity => {
                (0.0, 0.0)
            }
            Activation::Custom(_) => (1.0, 1.0),
            // Not element-wise: the gradient check bounds the softmax's Jacobian itself.
            Activation::Softmax => (0.0, 0.0),
        }
    }

    /// The end of the forward pass over a batch: for each row r, z ← z + b and a ← σ(z).
    /// `z` and `a` hold the rows of one layer, `bias` one row. Each row is finished while
    /// it is in cache, and the variant is matched once per row, not per element.
    pub(crate) fn add_bias_and_apply<T: Float>(self, z: &mut [T], bias: &[T], a: &mut [T]) {
        if let Activation::Sigmoid = self {
            // The hot case gets the loop compiled for the CPU's widest registers.
            return crate::kernels::bias_sigmoid(z, bias, a);
        }
        let n = bias.len();
        for (z_row, a_row) in z.chunks_exact_mut(n).zip(a.chunks_exact_mut(n)) {
            for ((zi, ai), &bi) in z_row.iter_mut().zip(a_row.iter_mut()).zip(bias) {
                *zi += bi;
                *ai = *zi;
            }
            self.apply_in_place(a_row);
        }
    }

    /// a ← σ(a + b) row by row, in place: the forward pass when z is not needed later.
    pub(crate) fn add_bias_and_apply_in_place<T: Float>(self, a: &mut [T], bias: &[T]) {
        for row in a.chunks_exact_mut(bias.len()) {
            for (ai, &bi) in row.iter_mut().zip(bias) {
                *ai += bi;
            }
            self.apply_in_place(row);
        }
    }

    /// a ← σ(a) for one row: element by element, or as one softmax. The variant is
    /// matched once, so that the inner loop has no branch on it.
    fn apply_in_place<T: Float>(self, a: &mut [T]) {
        match self {
            Activation::Sigmoid => map(a, sigmoid),
            Activation::Tanh => map(a, tanh),
            Activation::Relu => map(a, relu),
            Activation::LeakyRelu { slope } => {
                let slope = T::from_f64(slope);
                map(a, |z| leaky_relu(z, slope));
            }
            Activation::Elu { alpha } => {
                let alpha = T::from_f64(alpha);
                map(a, |z| elu(z, alpha));
            }
            Activation::Softplus => map(a, softplus),
            // σ(z) = z leaves the row as it is.
            Activation::Identity => {}
            Activation::Softmax => softmax_in_place(a),
            Activation::Custom(c) => map(a, |z| custom(c, z)),
        }
    }

    /// The function's name, as used in `Display` and in saved files; a
    /// [`LeakyRelu`](Self::LeakyRelu) or [`Elu`](Self::Elu) shows its parameter only in
    /// `Display`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Activation::Custom(c) => c.name(),
            _ => self.built_in_name(),
        }
    }

    // The text form: `Display` writes, `FromStr` reads, and the file format and serde use
    // both. The names are written in `built_in_name` only, the parameters in `parameter`
    // and `with_parameter` only; the tests check every variant against both directions.

    /// Every variant but [`Custom`](Self::Custom), in declaration order (which is also
    /// their variant index in the serde form); a variant with a parameter holds a
    /// placeholder that [`with_parameter`](Self::with_parameter) replaces.
    pub(crate) const BUILT_IN: [Activation; 8] = [
        Activation::Sigmoid,
        Activation::Tanh,
        Activation::Relu,
        Activation::LeakyRelu { slope: 0.0 },
        Activation::Elu { alpha: 0.0 },
        Activation::Softplus,
        Activation::Identity,
        Activation::Softmax,
    ];

    /// The [`name`](Self::name) of each of [`BUILT_IN`](Self::BUILT_IN), in its order.
    pub(crate) const NAMES: [&'static str; 8] = {
        let mut names = [""; 8];
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
            Activation::Sigmoid => "sigmoid",
            Activation::Tanh => "tanh",
            Activation::Relu => "relu",
            Activation::LeakyRelu { .. } => "leaky_relu",
            Activation::Elu { .. } => "elu",
            Activation::Softplus => "softplus",
            Activation::Identity => "identity",
            Activation::Softmax => "softmax",
            Activation::Custom(_) => "custom",
        }
    }

    /// The parameter of a variant that has one: its name (the field's name, as the serde
    /// form writes it) and its value.
    pub(crate) fn parameter(self) -> Option<(&'static [&'static str; 1], f64)> {
        match self {
            Activation::LeakyRelu { slope } => Some((&["slope"], slope)),
            Activation::Elu { alpha } => Some((&["alpha"], alpha)),
            Activation::Sigmoid
            | Activation::Tanh
            | Activation::Relu
            | Activation::Softplus
            | Activation::Identity
            | Activation::Softmax
            | Activation::Custom(_) => None,
        }
    }

    /// The same variant with its parameter set to `value`; a variant without one as it is.
    pub(crate) fn with_parameter(self, value: f64) -> Activation {
        match self {
            Activation::LeakyRelu { .. } => Activation::LeakyRelu { slope: value },
            Activation::Elu { .. } => Activation::Elu { alpha: value },
            other => other,
        }
    }

    /// The text form of a variant as error messages list it: `sigmoid`, `leaky_relu(slope)`.
    fn form(self) -> String {
        match self.parameter() {
            Some(([parameter], _)) => format!("{}({parameter})", self.name()),
            None => self.name().to_string(),
        }
    }
}

impl fmt::Display for Activation {
    /// The name, with the parameter if there is one, e.g. `leaky_relu(0.01)`: the text
    /// [`FromStr`] reads. A [`Custom`](Activation::Custom) activation shows its name.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `{}` of an f64 prints the shortest text that parses back to the same bits.
        match self.parameter() {
            Some((_, value)) => write!(f, "{}({value})", self.name()),
            None => f.write_str(self.name()),
        }
    }
}

impl FromStr for Activation {
    type Err = Error;

    /// The activation that `Display` writes as `text`: a name such as `sigmoid`, or a
    /// name and its parameter such as `leaky_relu(0.01)` or `elu(1)`. The text is taken
    /// exactly: no spaces, lowercase. Any `f64` is read as a parameter, so that every
    /// value round-trips; [`check`](Activation::check) (which [`Layer`](crate::Layer)
    /// calls) rejects one that is not finite.
    ///
    /// ```
    /// use backprop::Activation;
    /// assert_eq!("tanh".parse::<Activation>()?, Activation::Tanh);
    /// let leaky = Activation::LeakyRelu { slope: 0.01 };
    /// assert_eq!(leaky.to_string().parse::<Activation>()?, leaky);
    /// assert!("swish".parse::<Activation>().is_err());
    /// # Ok::<(), backprop::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::UnknownName`], listing the accepted forms, for any other text. A
    /// [`Custom`](Activation::Custom) activation cannot be read: it is a function of the
    /// program that made it, which its name cannot rebuild.
    fn from_str(text: &str) -> Result<Activation> {
        let unknown = || Error::UnknownName {
            what: "activation",
            found: text.to_string(),
            expected: Activation::BUILT_IN.map(Activation::form).to_vec(),
        };
        let (name, argument) = match text.split_once('(') {
            None => (text, None),
            Some((name, rest)) => (name, Some(rest.strip_suffix(')').ok_or_else(unknown)?)),
        };
        let (activation, _) =
            Activation::BUILT_IN.into_iter().zip(Activation::NAMES).find(|&(_, n)| n == name).ok_or_else(unknown)?;
        match (activation.parameter(), argument) {
            (None, None) => Ok(activation),
            (Some(_), Some(value)) => value.parse().map(|v| activation.with_parameter(v)).map_err(|_| unknown()),
            _ => Err(unknown()),
        }
    }
}

#[inline]
fn map<T: Float>(a: &mut [T], f: impl Fn(T) -> T) {
    for ai in a {
        *ai = f(*ai);
    }
}

/// g ← g ⊙ σ′(z), with σ′ given as a function of (z, a).
#[inline]
fn scale_by_derivative<T: Float>(z: &[T], a: &[T], g: &mut [T], derivative: impl Fn(T, T) -> T) {
    for ((gi, &zi), &ai) in g.iter_mut().zip(z).zip(a) {
        *gi *= derivative(zi, ai);
    }
}

/// `positive` for z > 0, else `other`: the two sides of a kink at 0.
#[inline]
fn step<T: Float>(z: T, positive: T, other: T) -> T {
    if z > T::ZERO { positive } else { other }
}

// σ and σ′ of each element-wise variant, side by side: the one place each is written.
// `value`, `derivative`, the slice forms and the fused forward pass all call these, the
// slice forms after matching the variant once, outside their loops. σ′ takes (z, a) and
// uses whichever is cheaper and stabler. The sigmoid's σ is `scalar::sigmoid`, which the
// SIMD forward kernel compiles too.

/// The sigmoid's σ′(z) = σ(z)(1 − σ(z)) = a(1 − a).
#[inline]
fn sigmoid_derivative<T: Float>(_z: T, a: T) -> T {
    a * (T::ONE - a)
}

/// σ(z) = tanh z.
#[inline]
fn tanh<T: Float>(z: T) -> T {
    z.tanh()
}

/// σ′(z) = 1 − tanh² z = 1 − a².
#[inline]
fn tanh_derivative<T: Float>(_z: T, a: T) -> T {
    T::ONE - a * a
}

/// σ(z) = max(z, 0).
#[inline]
fn relu<T: Float>(z: T) -> T {
    z.max(T::ZERO)
}

/// σ′(z) = 1 for z > 0, else 0.
#[inline]
fn relu_derivative<T: Float>(z: T, _a: T) -> T {
    step(z, T::ONE, T::ZERO)
}

/// σ(z) = z for z > 0, else `slope`·z.
#[inline]
fn leaky_relu<T: Float>(z: T, slope: T) -> T {
    step(z, z, slope * z)
}

/// σ′(z) = 1 for z > 0, else `slope`.
#[inline]
fn leaky_relu_derivative<T: Float>(z: T, _a: T, slope: T) -> T {
    step(z, T::ONE, slope)
}

/// α(e^z − 1) for z ≤ 0 and z for z > 0, written as one expression so that e^z is only
/// ever taken of a value ≤ 0 (no overflow for large z).
#[inline]
fn elu<T: Float>(z: T, alpha: T) -> T {
    z.max(T::ZERO) + alpha * z.min(T::ZERO).exp_m1()
}

/// σ′(z) = 1 for z > 0, else αe^z = σ(z) + α.
#[inline]
fn elu_derivative<T: Float>(z: T, a: T, alpha: T) -> T {
    step(z, T::ONE, a + alpha)
}

/// ln(1 + e^z) = max(z, 0) + ln(1 + e^−|z|): the exponent is never positive, and the
/// two terms are ≥ 0, so the sum is exact to a few ulp for every finite z. The
/// cross-entropy of a sigmoid output computed from z uses it too (−ln σ(z) =
/// softplus(−z)).
#[inline]
pub(crate) fn softplus<T: Float>(z: T) -> T {
    z.max(T::ZERO) + (-z.abs()).exp().ln_1p()
}

/// σ′(z) = 1 / (1 + e^−z), the sigmoid of z.
#[inline]
fn softplus_derivative<T: Float>(z: T, _a: T) -> T {
    sigmoid(z)
}

/// σ(z) = z.
#[inline]
fn identity<T: Float>(z: T) -> T {
    z
}

/// σ′(z) = 1.
#[inline]
fn identity_derivative<T: Float>(_z: T, _a: T) -> T {
    T::ONE
}

/// The caller's σ(z), computed in `f64` and rounded to `T`.
#[inline]
fn custom<T: Float>(c: &dyn CustomActivation, z: T) -> T {
    T::from_f64(c.value(z.to_f64()))
}

/// The caller's σ′(z), computed in `f64` and rounded to `T`.
#[inline]
fn custom_derivative<T: Float>(c: &dyn CustomActivation, z: T, a: T) -> T {
    T::from_f64(c.derivative(z.to_f64(), a.to_f64()))
}

/// The softmax of one row, in place: aᵢ ← e^(zᵢ − m) / Σⱼ e^(zⱼ − m) with m = maxⱼ zⱼ.
/// Every exponent is ≤ 0 and the sum is ≥ 1, so nothing overflows or divides by 0.
fn softmax_in_place<T: Float>(row: &mut [T]) {
    let Some(&first) = row.first() else { return };
    let max = row.iter().fold(first, |m, &z| m.max(z));
    let mut sum = T::ZERO;
    for ai in row.iter_mut() {
        *ai = (*ai - max).exp();
        sum += *ai;
    }
    let inv = T::ONE / sum;
    row.iter_mut().for_each(|ai| *ai *= inv);
}

#[cfg(test)]
mod tests {
    use super::*;

    const ELEMENT_WISE: [Activation; 9] = [
        Activation::Sigmoid,
        Activation::Tanh,
        Activation::Relu,
        Activation::LeakyRelu { slope: 0.1 },
        Activation::LeakyRelu { slope: -0.5 },
        Activation::Elu { alpha: 1.0 },
        Activation::Elu { alpha: 0.3 },
        Activation::Softplus,
        Activation::Identity,
    ];

    fn close(x: f64, y: f64) -> bool {
        (x - y).abs() <= 1e-15 * x.abs().max(y.abs()).max(1.0)
    }

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
    fn values_and_derivatives_at_known_points() {
        // (σ, z, σ(z), σ′(z)), worked by hand.
        let e = core::f64::consts::E;
        let cases = [
            (Activation::Tanh, 0.0, 0.0, 1.0),
            (Activation::Tanh, 1.0, 0.761_594_155_955_764_9, 0.419_974_341_614_026_1),
            (Activation::Relu, 2.5, 2.5, 1.0),
            (Activation::Relu, -2.5, 0.0, 0.0),
            (Activation::Relu, 0.0, 0.0, 0.0),
            (Activation::LeakyRelu { slope: 0.1 }, 3.0, 3.0, 1.0),
            (Activation::LeakyRelu { slope: 0.1 }, -3.0, -0.3, 0.1),
            (Activation::Elu { alpha: 2.0 }, 1.5, 1.5, 1.0),
            (Activation::Elu { alpha: 2.0 }, -1.0, 2.0 * (1.0 / e - 1.0), 2.0 / e),
            (Activation::Softplus, 0.0, core::f64::consts::LN_2, 0.5),
            (Activation::Softplus, 1.0, (1.0 + e).ln(), e / (1.0 + e)),
            (Activation::Identity, -7.0, -7.0, 1.0),
        ];
        for (s, z, value, derivative) in cases {
            let a = s.value(z);
            assert!(close(a, value), "{s}({z}) = {a}, expected {value}");
            let d = s.derivative(z, a);
            assert!(close(d, derivative), "{s}′({z}) = {d}, expected {derivative}");
        }
    }

    #[test]
    fn large_inputs_stay_finite() {
        for s in ELEMENT_WISE {
            for z in [-1e300, -800.0, -100.0, 100.0, 800.0, 1e300f64] {
                let a = s.value(z);
                assert!(a.is_finite() && s.derivative(z, a).is_finite(), "{s} at {z}: {a}");
            }
            for z in [-1e30f32, -100.0, 100.0, 1e30] {
                let a = s.value(z);
                assert!(a.is_finite() && s.derivative(z, a).is_finite(), "{s} at {z} (f32): {a}");
            }
        }
        assert_eq!(Activation::Softplus.value(800.0f64), 800.0);
        assert_eq!(Activation::Softplus.value(-800.0f64), 0.0);
        assert_eq!(Activation::Elu { alpha: 1.0 }.value(-800.0f64), -1.0);
        let mut a = [0.0; 3];
        Activation::Softmax.apply(&[1000.0, -1000.0, 999.0f64], &mut a);
        assert!(a.iter().all(|v| v.is_finite()), "{a:?}");
        assert!((a[0] + a[2] - 1.0).abs() < 1e-15 && a[1] == 0.0);
    }

    #[test]
    fn derivative_matches_finite_difference() {
        for s in ELEMENT_WISE {
            // Away from the kinks at 0.
            for &z in &[-5.0, -1.0, -0.1, 0.3, 2.0, 7.0f64] {
                let h = 1e-6;
                let fd = (s.value(z + h) - s.value(z - h)) / (2.0 * h);
                assert!((fd - s.derivative(z, s.value(z))).abs() < 1e-8, "{s} at z = {z}");
            }
        }
    }

    #[test]
    fn softmax_rows_sum_to_one_and_ignore_shifts() {
        let z = [0.5, -1.0, 2.0, 0.0f64];
        let mut a = [0.0; 4];
        Activation::Softmax.apply(&z, &mut a);
        assert!((a.iter().sum::<f64>() - 1.0).abs() < 1e-15);
        let total: f64 = z.iter().map(|v| v.exp()).sum();
        for (ai, zi) in a.iter().zip(z) {
            assert!(close(*ai, zi.exp() / total));
        }
        let shifted: Vec<f64> = z.iter().map(|v| v + 300.0).collect();
        let mut b = [0.0; 4];
        Activation::Softmax.apply(&shifted, &mut b);
        for (x, y) in a.iter().zip(b) {
            assert!(close(*x, y), "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn softmax_backpropagate_is_the_jacobian_transpose() {
        let z = [0.2, -0.4, 1.1f64];
        let mut a = [0.0; 3];
        Activation::Softmax.apply(&z, &mut a);
        let g0 = [0.7, -1.3, 0.25];
        let mut g = g0;
        Activation::Softmax.backpropagate(&z, &a, &mut g);
        for i in 0..3 {
            // Σⱼ ∂aⱼ/∂zᵢ gⱼ with ∂aⱼ/∂zᵢ = aⱼ(δᵢⱼ − aᵢ)
            let expected: f64 = (0..3).map(|j| a[j] * (f64::from(u8::from(i == j)) - a[i]) * g0[j]).sum();
            assert!((g[i] - expected).abs() < 1e-15, "{i}: {} vs {expected}", g[i]);
        }
        assert_eq!(Activation::Softmax.derivative(z[0], a[0]), a[0] * (1.0 - a[0]));
    }

    #[test]
    fn fused_bias_and_activation() {
        for s in ELEMENT_WISE.into_iter().chain([Activation::Softmax]) {
            let mut z = [1.0, -1.0, 0.0, 2.0f64];
            let mut a = [0.0; 4];
            s.add_bias_and_apply(&mut z, &[-1.0, 1.0], &mut a);
            assert_eq!(z, [0.0, 0.0, -1.0, 3.0]);
            let mut expected = [0.0; 4];
            s.apply(&z[..2], &mut expected[..2]);
            s.apply(&z[2..], &mut expected[2..]);
            assert_eq!(a, expected, "{s}");
            let mut b = [1.0, -1.0, 0.0, 2.0f64];
            s.add_bias_and_apply_in_place(&mut b, &[-1.0, 1.0]);
            assert_eq!(a, b, "{s}");
        }
    }

    #[test]
    fn slice_forms_agree_with_scalar_forms() {
        for s in ELEMENT_WISE {
            let z = [-3.0, 0.0, 4.0f64];
            let mut a = [0.0; 3];
            s.apply(&z, &mut a);
            let mut g = [1.0, 2.0, 3.0];
            s.backpropagate(&z, &a, &mut g);
            for i in 0..3 {
                assert_eq!(a[i], s.value(z[i]), "{s}");
                assert_eq!(g[i], (i + 1) as f64 * s.derivative(z[i], a[i]), "{s}");
            }
        }
    }

    /// Every path (scalar, slice, fused with the bias, in place) gives the scalar form's
    /// bits, in both element types and at points on both sides of each kink.
    fn every_path_gives_the_scalar_bits<T: Float>() {
        let z: Vec<T> = (-12..=12).map(|i| T::from_f64(f64::from(i) * 0.37)).collect();
        for s in ELEMENT_WISE.into_iter().chain([Activation::Custom(&Square)]) {
            let bits = |xs: &[T]| xs.iter().map(|x| x.to_f64().to_bits()).collect::<Vec<_>>();
            let scalar: Vec<T> = z.iter().map(|&zi| s.value(zi)).collect();
            let mut a = vec![T::ZERO; z.len()];
            s.apply(&z, &mut a);
            assert_eq!(bits(&a), bits(&scalar), "apply {s}");
            let (mut zb, mut fused) = (vec![T::ZERO; z.len()], vec![T::ZERO; z.len()]);
            s.add_bias_and_apply(&mut zb, &z, &mut fused);
            assert_eq!(bits(&fused), bits(&scalar), "add_bias_and_apply {s}");
            let mut in_place = vec![T::ZERO; z.len()];
            s.add_bias_and_apply_in_place(&mut in_place, &z);
            assert_eq!(bits(&in_place), bits(&scalar), "add_bias_and_apply_in_place {s}");
            let mut g = vec![T::ONE; z.len()];
            s.backpropagate(&z, &a, &mut g);
            let derivative: Vec<T> = z.iter().zip(&a).map(|(&zi, &ai)| s.derivative(zi, ai)).collect();
            assert_eq!(bits(&g), bits(&derivative), "backpropagate {s}");
        }
    }

    #[test]
    fn every_path_gives_the_scalar_bits_in_f32_and_f64() {
        every_path_gives_the_scalar_bits::<f32>();
        every_path_gives_the_scalar_bits::<f64>();
    }

    #[derive(Debug)]
    struct Square;
    impl CustomActivation for Square {
        fn name(&self) -> &str {
            "square"
        }
        fn value(&self, z: f64) -> f64 {
            z * z
        }
        fn derivative(&self, z: f64, _a: f64) -> f64 {
            2.0 * z
        }
    }

    #[test]
    fn custom_activations_run_in_f32_and_f64() {
        let s = Activation::Custom(&Square);
        assert_eq!(s.value(3.0f32), 9.0);
        let mut a = [0.0f32; 2];
        s.apply(&[1.5, -2.0], &mut a);
        assert_eq!(a, [2.25, 4.0]);
        let mut g = [1.0f32, 1.0];
        s.backpropagate(&[1.5, -2.0], &a, &mut g);
        assert_eq!(g, [3.0, -4.0]);
        assert_eq!(s, Activation::Custom(&Square));
        assert_ne!(s, Activation::Identity);
        assert_eq!(s.to_string(), "square");
    }

    #[test]
    fn equality_and_display_include_parameters() {
        assert_eq!(Activation::LeakyRelu { slope: 0.1 }, Activation::LeakyRelu { slope: 0.1 });
        assert_ne!(Activation::LeakyRelu { slope: 0.1 }, Activation::LeakyRelu { slope: 0.2 });
        assert_ne!(Activation::Relu, Activation::Softplus);
        assert_eq!(Activation::Elu { alpha: 1.0 }.to_string(), "elu(1)");
        assert_eq!(Activation::LeakyRelu { slope: 0.01 }.to_string(), "leaky_relu(0.01)");
    }

    /// One value of every variant, `Custom` last. Adding a variant breaks the build here
    /// until it is given the next index, and then `every_variant_has_one_text_form` until
    /// it is listed in [`Activation::BUILT_IN`] and here.
    fn every_variant() -> Vec<Activation> {
        let all = vec![
            Activation::Sigmoid,
            Activation::Tanh,
            Activation::Relu,
            Activation::LeakyRelu { slope: 0.1 + 0.2 },
            Activation::Elu { alpha: 1e-300 },
            Activation::Softplus,
            Activation::Identity,
            Activation::Softmax,
            Activation::Custom(&Square),
        ];
        let index = |a: &Activation| match a {
            Activation::Sigmoid => 0,
            Activation::Tanh => 1,
            Activation::Relu => 2,
            Activation::LeakyRelu { .. } => 3,
            Activation::Elu { .. } => 4,
            Activation::Softplus => 5,
            Activation::Identity => 6,
            Activation::Softmax => 7,
            Activation::Custom(_) => 8,
        };
        assert_eq!(all.iter().map(index).collect::<Vec<_>>(), (0..=8).collect::<Vec<_>>());
        assert_eq!(Activation::BUILT_IN.iter().map(index).collect::<Vec<_>>(), (0..8).collect::<Vec<_>>());
        all
    }

    #[test]
    fn every_variant_has_one_text_form() {
        let all = every_variant();
        let (custom, built_in) = all.split_last().unwrap();
        for &a in built_in {
            assert_eq!(a.to_string().parse::<Activation>().unwrap(), a, "{a}");
            assert!(a.to_string().starts_with(a.name()), "{a}");
        }
        for (a, name) in Activation::BUILT_IN.iter().zip(Activation::NAMES) {
            assert_eq!(a.name(), name);
        }
        // Parameters keep their bits, whatever the value.
        for slope in [0.01, -0.0, 1e-300, f64::MAX, f64::MIN_POSITIVE / 3.0, f64::INFINITY] {
            let a = Activation::LeakyRelu { slope };
            let Ok(Activation::LeakyRelu { slope: back }) = a.to_string().parse() else { panic!("{a}") };
            assert_eq!(back.to_bits(), slope.to_bits(), "{a}");
        }
        // A custom activation shows its name but cannot be read back.
        assert_eq!(custom.to_string(), "square");
        assert!(matches!("square".parse::<Activation>(), Err(Error::UnknownName { .. })));
    }

    #[test]
    fn unknown_text_names_the_accepted_forms() {
        for bad in [
            "",
            "Sigmoid",
            "sigmoid()",
            "sigmoid(1)",
            "sigmoid(",
            "relu(2)",
            "sigmoid ",
            "leaky_relu",
            "elu(x)",
            "custom(square)",
        ] {
            let e = bad.parse::<Activation>().unwrap_err();
            let expected = format!(
                "unknown activation {bad:?}, expected one of: sigmoid, tanh, relu, leaky_relu(slope), elu(alpha), \
                 softplus, identity, softmax"
            );
            assert_eq!(e.to_string(), expected);
        }
    }

    #[test]
    fn check_rejects_bad_parameters() {
        assert!(Activation::LeakyRelu { slope: f64::NAN }.check(3).is_err());
        assert!(Activation::Elu { alpha: f64::INFINITY }.check(3).is_err());
        assert!(matches!(Activation::Softmax.check(1), Err(Error::Incompatible { .. })));
        assert!(Activation::Softmax.check(2).is_ok());
        assert!(Activation::Relu.check(1).is_ok());
    }
}
