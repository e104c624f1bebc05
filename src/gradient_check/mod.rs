//! [`gradient_check`]: a network's analytic ∂C/∂w and ∂C/∂b (BP1..BP4) against finite
//! differences of its cost, with a verdict that allows for rounding and nothing else.

use core::fmt;

mod rounding;

use crate::error::{Error, Result};
use crate::layer::Gradients;
use crate::optimizer::ParamKind;
use crate::{Activation, Cost, Float, Layer, Matrix, MatrixView, Network};
use rounding::Rounding;

/// How [`gradient_check`] differences the cost and what it lets pass; the defaults are
/// what `gradient_check` uses.
///
/// For each parameter θ (a weight or a bias), the numeric derivative is the five-point
/// central difference D(h) = (8 (C(θ + h) − C(θ − h)) − (C(θ + 2h) − C(θ − 2h))) / 12h,
/// whose error is O(h⁴), extrapolated with D(2h) (Richardson): D = (16 D(h) − D(2h)) / 15,
/// whose error is O(h⁶) and, where C is smooth, below |D(h) − D(2h)| / 15. The step is
/// h = η·max(|θ|, 1), rounded down to a power of two, with η = [`step`](Self::step). The
/// cost is evaluated in `f64`, for an `f32` network too (its weights, inputs and targets
/// are exact in `f64`), where η = 2⁻¹⁰ ≈ ε^(1/5) keeps both the truncation error and
/// the rounding error of C, of order ε/h, far below what a wrong derivative shows.
///
/// A parameter passes when
///
/// |analytic − numeric| ≤ tolerance·max(|analytic|, |numeric|) + floor,
///
/// where the floor is what the comparison cannot resolve, the sum of
///
/// - the extrapolation's error bound |D(h) − D(2h)| / 15;
/// - the rounding of the numeric side, 2κu·R/h, with u = 2⁻⁵³, κ the number of roundings
///   on one path through the network (the inputs and outputs of every layer plus 4 per
///   layer, plus the batch size), and R the magnitudes an evaluation of C sums (|C|,
///   the outputs and targets, and |δ(l)| times the magnitude of every z(l));
/// - the rounding of the analytic side in the network's own precision, 4√κ·u_T·G, with
///   u_T = 2⁻⁵³ for `f64` and 2⁻²⁴ for `f32`, and G the magnitude of the gradient's
///   computation: BP1..BP4 followed with the error each value carries (of z, of a, and
///   of σ′ as the crate computes it, e.g. 1 − a² for tanh from a rounded a) combined in
///   quadrature, as independent rounding errors are (a probabilistic rounding model).
///   The factor 4 is a margin: over 4,000 random `f32` networks the largest error
///   reached 0.8 of the bound without it.
///
/// The floor is what makes a gradient near 0 checkable (there a relative error is the
/// ratio of two rounding errors) without letting a wrong one through: over 4,000 random
/// networks it was typically 10⁻⁹ of the layer's largest gradient in `f64` and 10⁻⁵ in
/// `f32` (1 % of it for one layer in a hundred in `f32`).
/// It assumes |σ″| and |∂²C/∂a²| of order |σ′| and 1 + |∇ₐC|, true for the crate's
/// activations and costs and assumed of a [`Custom`](Activation::Custom) one: a custom
/// function with steeper derivatives may need a larger tolerance.
///
/// ```
/// use backprop::{Activation, GradientCheck, Matrix, Network};
///
/// let net = Network::<f64>::builder(2).layer(2, Activation::Tanh).seed(1).build()?;
/// let x = Matrix::new(1, 2, vec![0.5, -0.5])?;
/// let y = Matrix::new(1, 2, vec![1.0, 0.0])?;
/// let report = GradientCheck::new().tolerance(1e-8)?.run(&net, &x, &y)?;
/// assert!(report.passed(), "{report}");
/// # Ok::<(), backprop::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GradientCheck {
    step: f64,
    tolerance: f64,
}

impl Default for GradientCheck {
    fn default() -> Self {
        GradientCheck::new()
    }
}

impl GradientCheck {
    /// The default relative step η = 2⁻¹⁰ ≈ 9.8·10⁻⁴: h = η·max(|θ|, 1).
    pub const DEFAULT_STEP: f64 = 1.0 / 1024.0;
    /// The default relative tolerance, 10⁻⁶. Correct `f64` gradients agree to about
    /// 10⁻¹⁰ or better where they are not near 0, and a wrong derivative is off by far
    /// more (10⁻² for σ′ off by 1 %); the rounding of `f32` is allowed for separately.
    pub const DEFAULT_TOLERANCE: f64 = 1e-6;

    /// The default settings: step [`DEFAULT_STEP`](Self::DEFAULT_STEP), tolerance
    /// [`DEFAULT_TOLERANCE`](Self::DEFAULT_TOLERANCE).
    #[must_use]
    pub fn new() -> Self {
        GradientCheck { step: Self::DEFAULT_STEP, tolerance: Self::DEFAULT_TOLERANCE }
    }

    /// Sets the relative step η, h = η·max(|θ|, 1) (default 2⁻¹⁰). Where the truncation
    /// error of a step is large, or an evaluation would cross a kink of σ, the check
    /// retries with h/8, h/64 and h/512.
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`] unless η is finite and in (0, 1).
    pub fn step(mut self, step: f64) -> Result<Self> {
        if !(step.is_finite() && step > 0.0 && step < 1.0) {
            return Err(Error::InvalidHyperparameter {
                name: "relative step",
                rule: "finite and in (0, 1)",
                value: step,
            });
        }
        self.step = step;
        Ok(self)
    }

    /// Sets the relative tolerance (default 10⁻⁶), on top of the rounding floor.
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`] unless it is finite and ≥ 0.
    pub fn tolerance(mut self, tolerance: f64) -> Result<Self> {
        if !(tolerance.is_finite() && tolerance >= 0.0) {
            return Err(Error::InvalidHyperparameter { name: "tolerance", rule: "finite and ≥ 0", value: tolerance });
        }
        self.tolerance = tolerance;
        Ok(self)
    }

    /// Checks backpropagation on your network and data: every analytic ∂C/∂w and ∂C/∂b
    /// (BP3, BP4, with δ from BP1 and BP2) of the mean cost over the batch, computed in
    /// `T`, against the numeric derivative of the same cost in `f64` (see
    /// [`GradientCheck`]). The caller's network is not changed: the check works on
    /// copies.
    ///
    /// It costs six forward passes over the batch per parameter (more where it retries
    /// a smaller step), so use a small network or a few samples. The cost is computed
    /// from z where [`Cost::value_from_z`] allows, so a saturated output is checked too.
    ///
    /// Where σ has a kink — [`Relu`](Activation::Relu), [`LeakyRelu`](Activation::LeakyRelu)
    /// (slope ≠ 1) and [`Elu`](Activation::Elu) at z = 0, the
    /// [`MeanAbsolute`](Cost::MeanAbsolute) cost at a = y — a difference across it
    /// measures neither side's slope. The check notices when an evaluation lies across a
    /// kink from θ, retries with smaller steps, and leaves a parameter out of the verdict
    /// (counted in [`GradientCheckReport::unchecked`]) only if even h/512 crosses. A
    /// [`Custom`](Activation::Custom) activation or cost is assumed smooth.
    ///
    /// # Errors
    /// As [`Network::forward_batch`] for `inputs` and [`Network::backward_batch`] for
    /// `targets`.
    pub fn run<'a, T: Float>(
        &self,
        network: &Network<T>,
        inputs: impl Into<MatrixView<'a, T>>,
        targets: impl Into<MatrixView<'a, T>>,
    ) -> Result<GradientCheckReport> {
        let (x, y) = (inputs.into(), targets.into());
        let mut net = network.clone();
        net.clear_gradients();
        net.forward_batch(x)?;
        net.backward_batch(y)?;
        let analytic = net.gradients()?;
        self.compare(&net, x, y, &analytic)
    }

    /// The check of `analytic` against finite differences; `net` holds the caches (z,
    /// a, δ) of its forward and backward passes over (`x`, `y`).
    fn compare<T: Float>(
        &self,
        net: &Network<T>,
        x: MatrixView<'_, T>,
        y: MatrixView<'_, T>,
        analytic: &[Gradients<T>],
    ) -> Result<GradientCheckReport> {
        let rounding = Rounding::of(net, x, y);
        let mut probe = Probe::new(net, x, y)?;
        let mut report = GradientCheckReport {
            layers: Vec::with_capacity(analytic.len()),
            checked: 0,
            unchecked: 0,
            max_relative_error: 0.0,
            tolerance: self.tolerance,
        };
        for (layer, g) in analytic.iter().enumerate() {
            let n_in = g.weights.n_cols();
            let mut worst: Option<ParameterCheck> = None;
            let tensors = [(ParamKind::Weights, g.weights.as_slice()), (ParamKind::Biases, g.biases.as_slice())];
            for (tensor, (kind, values)) in tensors.into_iter().enumerate() {
                for (index, &a) in values.iter().enumerate() {
                    let theta = probe.value(layer, tensor, index);
                    let Some(numeric) = self.derivative(&mut probe, &rounding, (layer, tensor, index), theta)? else {
                        report.unchecked += 1;
                        continue;
                    };
                    let a = a.to_f64();
                    let floor = numeric.error + rounding.analytic(layer, tensor, index);
                    let (neuron, input) = match kind {
                        ParamKind::Weights => (index / n_in, Some(index % n_in)),
                        ParamKind::Biases => (index, None),
                    };
                    let check = ParameterCheck {
                        layer,
                        kind,
                        neuron,
                        input,
                        analytic: a,
                        numeric: numeric.value,
                        allowed: self.tolerance * a.abs().max(numeric.value.abs()) + floor,
                        step: numeric.step,
                    };
                    report.checked += 1;
                    report.max_relative_error = report.max_relative_error.max(severity(check.relative_error()));
                    if worst.is_none_or(|w| check.score() > w.score()) {
                        worst = Some(check);
                    }
                }
            }
            report.layers.extend(worst);
        }
        Ok(report)
    }

    /// The numeric ∂C/∂θ for parameter `id` = (layer, tensor, index) at value θ, with its
    /// error bound (extrapolation and rounding); `None` if every step tried crosses a kink.
    fn derivative(
        &self,
        probe: &mut Probe,
        rounding: &Rounding,
        id: (usize, usize, usize),
        theta: f64,
    ) -> Result<Option<Estimate>> {
        // h = η·max(|θ|, 1) rounded down to a power of two, so that θ ± h, θ ± 2h and θ ± 4h
        // are exact (but for a carry past a power of two) and the stencil is symmetric.
        let scale = theta.abs().max(1.0);
        let mut h = 2f64.powi((self.step * scale).log2().floor() as i32);
        let mut best: Option<Estimate> = None;
        for _ in 0..4 {
            if let Some(e) = probe.extrapolated(id, h, rounding.numeric(h))? {
                let settled = e.truncation <= 0.1 * (self.tolerance * e.value.abs() + e.error - e.truncation);
                if best.is_none_or(|b| e.error < b.error) {
                    best = Some(e);
                }
                if settled {
                    break;
                }
            }
            h /= 8.0;
        }
        Ok(best)
    }
}

/// Checks backpropagation on your network and data with the default settings: see
/// [`GradientCheck::run`], and [`GradientCheckReport::passed`] for the verdict.
///
/// What to expect, from 4,000 random correct networks of every activation and cost: in
/// `f64`, analytic and numeric gradients differ by about 10⁻¹² of the layer's largest
/// gradient (by 10⁻⁹ at most in 999 layers out of 1,000), and the check passes, with
/// every difference below 2 % of the one allowed. In `f32`, the analytic gradients carry
/// `f32`'s rounding, about 10⁻⁷ of the layer's largest gradient (10⁻⁵ at most in 999
/// layers out of 1,000), while the numeric ones are still taken in `f64`; the check
/// passes, with every difference below a quarter of the one allowed. In both, σ′ off by
/// 1 % in one layer fails it (tested on 1,000 networks). Relative errors near 0 mean
/// nothing: [`GradientCheckReport::max_relative_error`] can be of order 1 on a correct
/// network whose gradient has entries that should be 0.
///
/// ```
/// use backprop::{Activation, Matrix, Network, gradient_check};
///
/// let net = Network::<f64>::builder(3).layer(4, Activation::Sigmoid).layer(2, Activation::Sigmoid).seed(5).build()?;
/// let x = Matrix::new(2, 3, vec![0.5, -1.0, 2.0, 0.0, 0.25, -0.5])?;
/// let y = Matrix::new(2, 2, vec![1.0, 0.0, 0.0, 1.0])?;
/// let report = gradient_check(&net, &x, &y)?;
/// assert!(report.passed(), "{report}");
/// assert!(report.max_relative_error() < 1e-9, "{report}");
/// let worst = report.worst().unwrap();
/// println!("layer {}, neuron {}, input {:?}", worst.layer, worst.neuron, worst.input);
/// # Ok::<(), backprop::Error>(())
/// ```
///
/// # Errors
/// As [`GradientCheck::run`].
pub fn gradient_check<'a, T: Float>(
    network: &Network<T>,
    inputs: impl Into<MatrixView<'a, T>>,
    targets: impl Into<MatrixView<'a, T>>,
) -> Result<GradientCheckReport> {
    GradientCheck::new().run(network, inputs, targets)
}

/// One parameter θ, its analytic and numeric ∂C/∂θ, and the difference allowed.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct ParameterCheck {
    /// The layer l, counted from 0 on the input side.
    pub layer: usize,
    /// Weight or bias.
    pub kind: ParamKind,
    /// The neuron j of layer l: the row of w(l), or the index of b(l).
    pub neuron: usize,
    /// For a weight w_jk, the input k (a neuron of layer l − 1, or of the network's
    /// input for l = 0); `None` for a bias.
    pub input: Option<usize>,
    /// ∂C/∂θ from backpropagation.
    pub analytic: f64,
    /// ∂C/∂θ from the extrapolated central differences.
    pub numeric: f64,
    /// The largest |analytic − numeric| that passes: the tolerance times the larger
    /// magnitude, plus the floor of extrapolation and rounding errors.
    pub allowed: f64,
    /// The finite-difference step h used.
    pub step: f64,
}

impl ParameterCheck {
    /// |analytic − numeric|.
    #[must_use]
    pub fn difference(&self) -> f64 {
        (self.analytic - self.numeric).abs()
    }

    /// |analytic − numeric| / max(|analytic|, |numeric|) (0 when both are 0, NaN if
    /// either is NaN): informative, but meaningless near 0, which is why the verdict
    /// uses [`allowed`](Self::allowed).
    #[must_use]
    pub fn relative_error(&self) -> f64 {
        let size = self.analytic.abs().max(self.numeric.abs());
        if size == 0.0 { 0.0 } else { self.difference() / size }
    }

    /// Whether |analytic − numeric| ≤ [`allowed`](Self::allowed) (never for NaN).
    #[must_use]
    pub fn passed(&self) -> bool {
        self.difference() <= self.allowed
    }

    /// |analytic − numeric| / allowed: above 1 fails. NaN ranks above every number.
    fn score(&self) -> f64 {
        severity(self.difference() / self.allowed)
    }
}

/// What [`gradient_check`] found: the verdict, and the parameter of each layer closest
/// to failing (or most failed). `Display` prints both, one line per layer.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct GradientCheckReport {
    /// The worst parameter of each layer, from the input side (by |analytic − numeric|
    /// / allowed); a layer whose parameters all went unchecked has none.
    pub layers: Vec<ParameterCheck>,
    /// How many parameters were compared.
    pub checked: usize,
    /// How many parameters were left out because every step tried crossed a kink.
    pub unchecked: usize,
    /// The largest relative error among the compared parameters (∞ for a NaN).
    pub max_relative_error: f64,
    /// The relative tolerance used.
    pub tolerance: f64,
}

impl GradientCheckReport {
    /// The verdict: every compared parameter's analytic gradient is within the allowed
    /// difference of the numeric one.
    pub fn passed(&self) -> bool {
        self.layers.iter().all(ParameterCheck::passed)
    }

    /// The parameter closest to failing, or most failed (a NaN counts as the worst).
    ///
    /// ```
    /// use backprop::{Activation, CustomActivation, Matrix, Network, gradient_check};
    ///
    /// /// σ(z) = z², with a derivative that forgot the factor 2.
    /// #[derive(Debug)]
    /// struct Square;
    /// impl CustomActivation for Square {
    ///     fn name(&self) -> &str {
    ///         "square"
    ///     }
    ///     fn value(&self, z: f64) -> f64 {
    ///         z * z
    ///     }
    ///     fn derivative(&self, z: f64, _a: f64) -> f64 {
    ///         z // should be 2z
    ///     }
    /// }
    ///
    /// let square = Activation::Custom(&Square);
    /// let net = Network::<f64>::builder(2).layer(3, Activation::Tanh).layer(1, square).build()?;
    /// let (x, y) = (Matrix::new(1, 2, vec![0.5, -1.0])?, Matrix::new(1, 1, vec![1.0])?);
    /// let report = gradient_check(&net, &x, &y)?;
    /// assert!(!report.passed());
    /// let worst = report.worst().unwrap();
    /// assert!(!worst.passed());
    /// // Every ∂C/∂θ comes out half of the true one.
    /// assert!((2.0 * worst.analytic - worst.numeric).abs() < 1e-6 * worst.numeric.abs());
    /// # Ok::<(), backprop::Error>(())
    /// ```
    #[must_use]
    pub fn worst(&self) -> Option<&ParameterCheck> {
        self.layers.iter().max_by(|a, b| a.score().total_cmp(&b.score()))
    }

    /// The largest relative error among the compared parameters (∞ if one is NaN, 0 for
    /// none): for information; the verdict is [`passed`](Self::passed).
    #[must_use]
    pub fn max_relative_error(&self) -> f64 {
        self.max_relative_error
    }
}

impl fmt::Display for GradientCheckReport {
    /// The verdict, then the worst parameter of each layer, e.g.
    /// `layer 0: worst w[2][1] (neuron 2, input 1): analytic 1.250e-2, numeric 1.250e-2, difference 3.1e-13, allowed 1.3e-8`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "gradient check {}: {} parameters compared (tolerance {:e}), {} not checked at a kink",
            if self.passed() { "passed" } else { "FAILED" },
            self.checked,
            self.tolerance,
            self.unchecked
        )?;
        for c in &self.layers {
            let name = match c.input {
                Some(k) => format!("w[{}][{k}] (neuron {}, input {k})", c.neuron, c.neuron),
                None => format!("b[{}] (neuron {})", c.neuron, c.neuron),
            };
            write!(
                f,
                "\nlayer {}: worst {name}: analytic {:.3e}, numeric {:.3e}, difference {:.1e}, allowed {:.1e}{}",
                c.layer,
                c.analytic,
                c.numeric,
                c.difference(),
                c.allowed,
                if c.passed() { "" } else { ": FAILED" }
            )?;
        }
        Ok(())
    }
}

/// A NaN ranks above every number.
fn severity(x: f64) -> f64 {
    if x.is_nan() { f64::INFINITY } else { x }
}

/// A numeric derivative with its error bound.
#[derive(Clone, Copy, Debug)]
struct Estimate {
    /// (16 D(h) − D(2h)) / 15.
    value: f64,
    /// |D(h) − D(2h)| / 15, the bound on the extrapolation's truncation error.
    truncation: f64,
    /// The truncation bound plus the rounding bound of the numeric side.
    error: f64,
    /// h.
    step: f64,
}

/// The network in `f64`, its batch, and on which side of every kink its unperturbed
/// forward pass lies: the numeric side of the check.
struct Probe {
    net: Network<f64>,
    x: Matrix<f64>,
    y: Matrix<f64>,
    sides: Vec<i8>,
    scratch: Vec<i8>,
}

impl Probe {
    fn new<T: Float>(net: &Network<T>, x: MatrixView<'_, T>, y: MatrixView<'_, T>) -> Result<Self> {
        let widen = |m: MatrixView<'_, T>| Matrix::from_fn(m.n_rows(), m.n_cols(), |i, j| m.row(i)[j].to_f64());
        let layers = net
            .layers()
            .iter()
            .map(|l| {
                Layer::new(widen(l.weights().view()), l.biases().iter().map(|b| b.to_f64()).collect(), l.activation())
            })
            .collect::<Result<Vec<_>>>()?;
        let mut probe = Probe {
            net: Network::from_layers(layers, net.cost())?,
            x: widen(x),
            y: widen(y),
            sides: Vec::new(),
            scratch: Vec::new(),
        };
        probe.net.forward_batch(&probe.x)?;
        kink_sides(&probe.net, &probe.y, &mut probe.sides);
        Ok(probe)
    }

    /// Parameter `index` of tensor `tensor` (0 weights, 1 biases) of `layer`.
    fn value(&mut self, layer: usize, tensor: usize, index: usize) -> f64 {
        let mut value = 0.0;
        self.net.params().for_each(|p| {
            if p.id == 2 * layer + tensor {
                value = p.value[index];
            }
        });
        value
    }

    /// The mean cost with parameter `id` moved by `t`, or `None` if a kink lies between
    /// this evaluation and the unperturbed one; the parameter is set back to its exact
    /// old value afterwards.
    fn cost(&mut self, (layer, tensor, index): (usize, usize, usize), t: f64) -> Result<Option<f64>> {
        let id = 2 * layer + tensor;
        let mut old = 0.0;
        self.net.params().for_each(|p| {
            if p.id == id {
                old = p.value[index];
                p.value[index] = old + t;
            }
        });
        // `map(drop)` ends the borrow of the output before the cost reads the network.
        let cost = self.net.forward_batch(&self.x).map(drop).map(|()| mean_cost(&self.net, self.y.view()));
        kink_sides(&self.net, &self.y, &mut self.scratch);
        self.net.params().for_each(|p| {
            if p.id == id {
                p.value[index] = old;
            }
        });
        Ok((self.scratch == self.sides).then_some(cost?))
    }

    /// The extrapolated central difference with step h, or `None` if an evaluation
    /// crosses a kink; `noise` is the rounding bound of a difference quotient over h.
    fn extrapolated(&mut self, id: (usize, usize, usize), h: f64, noise: f64) -> Result<Option<Estimate>> {
        let mut c = [0.0; 6];
        for (ci, t) in c.iter_mut().zip([h, -h, 2.0 * h, -2.0 * h, 4.0 * h, -4.0 * h]) {
            match self.cost(id, t)? {
                Some(v) => *ci = v,
                None => return Ok(None),
            }
        }
        let d1 = (8.0 * (c[0] - c[1]) - (c[2] - c[3])) / (12.0 * h);
        let d2 = (8.0 * (c[2] - c[3]) - (c[4] - c[5])) / (24.0 * h);
        let truncation = (d1 - d2).abs() / 15.0;
        Ok(Some(Estimate { value: (16.0 * d1 - d2) / 15.0, truncation, error: truncation + noise, step: h }))
    }
}

/// The mean cost of the last forward pass over a batch with targets `y`, from z where
/// the cost allows.
fn mean_cost(net: &Network<f64>, y: MatrixView<'_, f64>) -> f64 {
    let out = net.output_layer();
    let (cost, activation) = (net.cost(), out.activation());
    let total: f64 =
        (0..y.n_rows()).map(|r| cost.value_from_z(activation, out.z().row(r), out.a().row(r), y.row(r))).sum();
    total / y.n_rows() as f64
}

/// Whether σ has a kink at z = 0: see [`Activation::has_kink`].
fn has_kink(activation: Activation) -> bool {
    activation.has_kink()
}

/// On which side of every kink the last forward pass lies, into `sides`: z > 0 for each
/// unit of a kinked layer, and the sign of a − y for the mean absolute cost.
fn kink_sides(net: &Network<f64>, y: &Matrix<f64>, sides: &mut Vec<i8>) {
    sides.clear();
    for layer in net.layers().iter().filter(|l| has_kink(l.activation())) {
        sides.extend(layer.z().as_slice().iter().map(|&z| i8::from(z > 0.0)));
    }
    if net.cost() == Cost::MeanAbsolute {
        let a = net.output_layer().a().as_slice();
        sides.extend(a.iter().zip(y.as_slice()).map(|(&ai, &yi)| i8::from(ai > yi) - i8::from(ai < yi)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Rng;

    /// The mistakes a backpropagation could make that no activation or cost of the
    /// caller's can inject: `backprop_with` makes them, one at a time.
    #[derive(Clone, Copy, Debug, PartialEq)]
    enum Fault {
        None,
        /// BP2 with w in place of wᵀ (square layers).
        Untransposed,
        /// BP4 left out: every ∂C/∂b stays 0.
        NoBiasGradient,
        /// ∂C/∂w and ∂C/∂b of this layer only with the wrong sign.
        SignFlipped(usize),
        /// The softmax's Jacobian product aᵢ(gᵢ − Σⱼ aⱼgⱼ) with the last term of the sum
        /// dropped.
        SoftmaxTermDropped,
    }

    /// BP1..BP4 written out again, sample by sample, over the z and a of `net`'s last
    /// forward pass (over `x`), with `fault` in one place.
    fn backprop_with(net: &Network<f64>, x: &Matrix<f64>, y: &Matrix<f64>, fault: Fault) -> Vec<Gradients<f64>> {
        let layers = net.layers();
        let last = layers.len() - 1;
        let scale = 1.0 / x.n_rows() as f64;
        let mut grads: Vec<Gradients<f64>> =
            layers.iter().map(|l| Gradients::zeros(l.n_outputs(), l.n_inputs())).collect();
        let through = |layer: &Layer<f64>, r: usize, g: &mut [f64]| {
            let (s, z, a) = (layer.activation(), layer.z().row(r), layer.a().row(r));
            if s == Activation::Softmax && fault == Fault::SoftmaxTermDropped {
                let n = a.len() - 1;
                let dot: f64 = a[..n].iter().zip(&g[..n]).map(|(a, g)| a * g).sum();
                g.iter_mut().zip(a).for_each(|(g, a)| *g = a * (*g - dot));
            } else {
                s.backpropagate(z, a, g);
            }
        };
        for r in 0..x.n_rows() {
            let out = &layers[last];
            let (z, a, yr) = (out.z().row(r), out.a().row(r), y.row(r));
            let mut delta = vec![0.0; z.len()];
            match (net.cost(), out.activation()) {
                // BP1, fused: no Jacobian to get wrong.
                (cost @ Cost::BinaryCrossEntropy, s @ Activation::Sigmoid)
                | (cost @ Cost::CategoricalCrossEntropy, s @ Activation::Softmax) => {
                    cost.output_error(s, z, a, yr, &mut delta)
                }
                (cost, _) => {
                    cost.gradient(a, yr, &mut delta);
                    through(out, r, &mut delta);
                }
            }
            for l in (0..=last).rev() {
                let input = if l == 0 { x.row(r) } else { layers[l - 1].a().row(r) };
                let sign = if fault == Fault::SignFlipped(l) { -scale } else { scale };
                grads[l].weights.add_outer(sign, &delta, input); // BP3
                if fault != Fault::NoBiasGradient {
                    grads[l].biases.iter_mut().zip(&delta).for_each(|(b, d)| *b += sign * d); // BP4
                }
                if l > 0 {
                    let w = layers[l].weights();
                    let g = if fault == Fault::Untransposed { w.matvec(&delta) } else { w.transpose_matvec(&delta) };
                    delta = g.into_vec(); // BP2
                    through(&layers[l - 1], r, &mut delta);
                }
            }
        }
        grads
    }

    /// A random network with smooth activations and a batch of 3 samples: 2 to 4 layers,
    /// all of one width from 2 to 6 if `square`, else of 1 to 6 neurons; with a softmax
    /// as layer 0 if `softmax`. The output and its cost are a random accepted pair of
    /// sigmoid, tanh, identity, softmax with the quadratic cost or the matching
    /// cross-entropy.
    fn random_case(rng: &mut Rng, square: bool, softmax: bool) -> (Network<f64>, Matrix<f64>, Matrix<f64>) {
        let n = 2 + rng.below(5);
        let width = |rng: &mut Rng| if square { n } else { 1 + rng.below(6) };
        let depth = 2 + rng.below(3);
        let hidden = [Activation::Sigmoid, Activation::Tanh, Activation::Softplus, Activation::Identity];
        let mut b = Network::<f64>::builder(width(rng)).seed(rng.next_u64());
        for l in 0..depth - 1 {
            let w = if softmax && l == 0 { n } else { width(rng) };
            let s = if softmax && l == 0 { Activation::Softmax } else { hidden[rng.below(hidden.len())] };
            b = b.layer(w, s);
        }
        let w = width(rng).max(2);
        let (s, cost) = match rng.below(5) {
            0 => (Activation::Sigmoid, Cost::BinaryCrossEntropy),
            1 => (Activation::Softmax, Cost::CategoricalCrossEntropy),
            2 => (Activation::Softmax, Cost::Quadratic),
            3 => (Activation::Tanh, Cost::Quadratic),
            _ => (Activation::Identity, Cost::Quadratic),
        };
        let net = b.layer(w, s).cost(cost).build().unwrap();
        let x = Matrix::from_fn(3, net.n_inputs(), |_, _| 4.0 * rng.uniform() - 2.0);
        let y = Matrix::from_fn(3, w, |_, _| rng.uniform());
        let y = if cost == Cost::CategoricalCrossEntropy {
            let rows: Vec<Vec<f64>> =
                (0..3).map(|r| y.row(r).iter().map(|v| v / y.row(r).iter().sum::<f64>()).collect()).collect();
            Matrix::from_rows(&rows).unwrap()
        } else {
            y
        };
        (net, x, y)
    }

    /// The check of `fault`'s gradients on a network after the crate's own forward and
    /// backward passes (whose caches the rounding bounds read).
    fn check_with(net: &Network<f64>, x: &Matrix<f64>, y: &Matrix<f64>, fault: Fault) -> GradientCheckReport {
        let mut net = net.clone();
        net.forward_batch(x).unwrap();
        net.backward_batch(y).unwrap();
        let gradients = backprop_with(&net, x, y, fault);
        GradientCheck::new().compare(&net, x.view(), y.view(), &gradients).unwrap()
    }

    /// Without a fault, `backprop_with` is the crate's backpropagation (to rounding), and
    /// the check passes it; each fault, on every one of 200 random networks, fails.
    #[test]
    fn every_deliberate_mistake_fails_the_check() {
        let mut rng = Rng::new(0xFA17);
        for (fault, square, softmax) in [
            (Fault::None, false, false),
            (Fault::None, true, true),
            (Fault::Untransposed, true, false),
            (Fault::NoBiasGradient, false, false),
            (Fault::SignFlipped(0), false, false),
            (Fault::SignFlipped(1), false, false),
            (Fault::SoftmaxTermDropped, false, true),
        ] {
            for _ in 0..200 {
                let (net, x, y) = random_case(&mut rng, square, softmax);
                let report = check_with(&net, &x, &y, fault);
                if fault != Fault::None {
                    assert!(!report.passed(), "{fault:?} passed on {net}: {report}");
                    continue;
                }
                assert!(report.passed(), "{net}: {report}");
                let mut crate_net = net.clone();
                crate_net.forward_batch(&x).unwrap();
                crate_net.backward_batch(&y).unwrap();
                let ours = backprop_with(&crate_net, &x, &y, Fault::None);
                for (g, h) in crate_net.gradients().unwrap().iter().zip(&ours) {
                    let pairs = g
                        .weights
                        .as_slice()
                        .iter()
                        .chain(g.biases.iter())
                        .zip(h.weights.as_slice().iter().chain(h.biases.iter()));
                    for (a, b) in pairs {
                        assert!((a - b).abs() <= 1e-12 * a.abs().max(b.abs()) + 1e-15, "{net}: {a:e} vs {b:e}");
                    }
                }
            }
        }
    }

    /// A check with one layer's worst parameter fabricated: `compare` with analytic
    /// gradients that agree except where the test sets them off.
    fn report_with(off: impl Fn(usize, usize, usize, f64) -> f64) -> GradientCheckReport {
        let net = Network::<f64>::builder(3)
            .layer(2, Activation::Tanh)
            .layer(1, Activation::Sigmoid)
            .seed(4)
            .build()
            .unwrap();
        let x = Matrix::new(2, 3, vec![0.5, -1.0, 1.5, 0.25, 2.0, -0.5]).unwrap();
        let y = Matrix::new(2, 1, vec![1.0, 0.0]).unwrap();
        let mut net = net.clone();
        net.forward_batch(&x).unwrap();
        net.backward_batch(&y).unwrap();
        let mut gradients = net.gradients().unwrap();
        for (l, g) in gradients.iter_mut().enumerate() {
            g.weights.as_mut_slice().iter_mut().enumerate().for_each(|(i, v)| *v = off(l, 0, i, *v));
            g.biases.iter_mut().enumerate().for_each(|(i, v)| *v = off(l, 1, i, *v));
        }
        GradientCheck::new().compare(&net, x.view(), y.view(), &gradients).unwrap()
    }

    #[test]
    fn the_report_names_the_worst_parameter() {
        let report = report_with(|_, _, _, v| v);
        assert!(report.passed(), "{report}");
        assert_eq!((report.checked, report.unchecked, report.layers.len()), (11, 0, 2));
        // w(0) is 2×3: index 5 is neuron 1, input 2.
        let report = report_with(|l, t, i, v| if (l, t, i) == (0, 0, 5) { v * 1.001 + 1e-9 } else { v });
        assert!(!report.passed(), "{report}");
        let worst = report.worst().unwrap();
        assert_eq!((worst.layer, worst.kind, worst.neuron, worst.input), (0, ParamKind::Weights, 1, Some(2)));
        assert!(!worst.passed() && report.layers[1].passed(), "{report}");
        assert!(worst.difference() > worst.allowed);
        assert!(
            (worst.relative_error() - worst.difference() / worst.numeric.abs().max(worst.analytic.abs())).abs() < 1e-15
        );
        let text = report.to_string();
        assert!(text.starts_with("gradient check FAILED: 11 parameters compared (tolerance 1e-6), 0 not checked at a kink\nlayer 0: worst w[1][2] (neuron 1, input 2): analytic "), "{text}");
        assert!(
            text.lines().nth(1).unwrap().ends_with(": FAILED") && !text.lines().nth(2).unwrap().ends_with("FAILED"),
            "{text}"
        );
        // A bias of the output layer: no input.
        let report = report_with(|l, t, _, v| if (l, t) == (1, 1) { -v } else { v });
        let worst = report.worst().unwrap();
        assert_eq!((worst.layer, worst.kind, worst.neuron, worst.input), (1, ParamKind::Biases, 0, None));
        assert!(report.to_string().contains("layer 1: worst b[0] (neuron 0): "), "{report}");
        // NaN fails and ranks worst.
        let report = report_with(|l, t, i, v| if (l, t, i) == (1, 0, 1) { f64::NAN } else { v * 1.01 });
        let worst = report.worst().unwrap();
        assert_eq!((worst.layer, worst.neuron, worst.input), (1, 0, Some(1)));
        assert!(!worst.passed() && report.max_relative_error() == f64::INFINITY);
    }

    /// The worst parameter is the one whose difference is the largest multiple of what
    /// it is allowed, not the one with the largest difference.
    #[test]
    fn the_worst_is_ranked_by_difference_over_allowed() {
        let check = |layer, difference: f64, allowed| ParameterCheck {
            layer,
            kind: ParamKind::Weights,
            neuron: 0,
            input: Some(0),
            analytic: 1.0 + difference,
            numeric: 1.0,
            allowed,
            step: 1.0 / 1024.0,
        };
        // Layer 0: 10⁻³ of 10⁻² allowed (0.1); layer 1: 10⁻⁵ of 10⁻⁶ allowed (10).
        let report = GradientCheckReport {
            layers: vec![check(0, 1e-3, 1e-2), check(1, 1e-5, 1e-6)],
            checked: 2,
            unchecked: 0,
            max_relative_error: 1e-3,
            tolerance: 1e-6,
        };
        assert_eq!(report.worst().unwrap().layer, 1);
        assert!(!report.passed());
    }

    /// The tolerance is relative and adjustable: an error of 10⁻⁵ fails the default 10⁻⁶
    /// and passes 10⁻⁴.
    #[test]
    fn the_tolerance_is_adjustable() {
        let net = Network::<f64>::builder(2).layer(2, Activation::Tanh).seed(1).build().unwrap();
        let x = Matrix::new(1, 2, vec![0.5, -0.5]).unwrap();
        let y = Matrix::new(1, 2, vec![1.0, 0.0]).unwrap();
        let mut net = net.clone();
        net.forward_batch(&x).unwrap();
        net.backward_batch(&y).unwrap();
        let mut gradients = net.gradients().unwrap();
        gradients[0].weights.as_mut_slice().iter_mut().for_each(|v| *v *= 1.0 + 1e-5);
        let check = |c: GradientCheck| c.compare(&net, x.view(), y.view(), &gradients).unwrap();
        assert!(!check(GradientCheck::new()).passed());
        let loose = check(GradientCheck::new().tolerance(1e-4).unwrap());
        assert!(loose.passed() && loose.tolerance == 1e-4, "{loose}");
        assert_eq!(GradientCheck::default(), GradientCheck::new());
    }

    /// A ReLU layer whose z is exactly 0 for every sample (zero weights and biases) sits
    /// on its kink: its 6 parameters move some z across 0 at every step and are left out;
    /// the output layer's 3 are compared. A z just off the kink (10⁻⁵) is checked at a
    /// smaller step.
    #[test]
    fn parameters_on_a_kink_are_left_out() {
        let hidden = Layer::new(Matrix::zeros(2, 2), vec![0.0, 0.0].into(), Activation::Relu).unwrap();
        let output = Layer::new(Matrix::new(1, 2, vec![0.5, -0.25]).unwrap(), vec![0.1].into(), Activation::Sigmoid);
        let net = Network::from_layers(vec![hidden, output.unwrap()], Cost::BinaryCrossEntropy).unwrap();
        let x = Matrix::new(1, 2, vec![0.5, -1.0]).unwrap();
        let y = Matrix::new(1, 1, vec![1.0]).unwrap();
        let report = gradient_check(&net, &x, &y).unwrap();
        assert_eq!((report.checked, report.unchecked), (3, 6), "{report}");
        assert!(report.passed(), "{report}");
        assert_eq!(report.layers.len(), 1, "only the output layer has a compared parameter: {report}");

        // z = w·1 = 10⁻⁵: 4h crosses 0 for h = 2⁻¹⁰, 2⁻¹³ and 2⁻¹⁶, but not for 2⁻¹⁹.
        for s in [Activation::Relu, Activation::LeakyRelu { slope: 0.5 }, Activation::Elu { alpha: 1.0 }] {
            let hidden = Layer::new(Matrix::new(1, 1, vec![1e-5]).unwrap(), vec![0.0].into(), s).unwrap();
            let output = Layer::new(Matrix::new(1, 1, vec![1.5]).unwrap(), vec![0.0].into(), Activation::Identity);
            let net = Network::from_layers(vec![hidden, output.unwrap()], Cost::Quadratic).unwrap();
            let (x, y) = (Matrix::new(1, 1, vec![1.0]).unwrap(), Matrix::new(1, 1, vec![1.0]).unwrap());
            let report = gradient_check(&net, &x, &y).unwrap();
            assert_eq!((report.checked, report.unchecked), (4, 0), "{s}: {report}");
            assert!(report.passed(), "{report}");
            assert_eq!(report.layers[0].step, 2f64.powi(-19), "{s}: {report}");
            assert_eq!(report.layers[1].step, 2f64.powi(-10), "{s}: {report}");
        }
    }

    /// The mean absolute cost has a kink at a = y: an output equal to its target leaves
    /// out the parameters that move it (here all 4: the input is 1, the bias 0.5 = y).
    /// Away from it, or with the quadratic cost, they are compared.
    #[test]
    fn the_mean_absolute_cost_has_a_kink_at_the_target() {
        let check = |cost: Cost, y: f64| {
            let w = Matrix::new(1, 1, vec![0.0]).unwrap();
            let hidden = Layer::new(Matrix::new(1, 1, vec![0.5]).unwrap(), vec![0.0].into(), Activation::Tanh).unwrap();
            let out = Layer::new(w, vec![0.5].into(), Activation::Identity).unwrap();
            let net = Network::from_layers(vec![hidden, out], cost).unwrap();
            let (x, y) = (Matrix::new(1, 1, vec![1.0]).unwrap(), Matrix::new(1, 1, vec![y]).unwrap());
            gradient_check(&net, &x, &y).unwrap()
        };
        let on = check(Cost::MeanAbsolute, 0.5);
        assert_eq!((on.checked, on.unchecked), (2, 2), "{on}");
        for report in [check(Cost::MeanAbsolute, 0.75), check(Cost::Quadratic, 0.5)] {
            assert_eq!((report.checked, report.unchecked), (4, 0), "{report}");
            assert!(report.passed(), "{report}");
        }
        use Activation::*;
        for (s, kink) in [
            (Relu, true),
            (LeakyRelu { slope: 0.1 }, true),
            (LeakyRelu { slope: 1.0 }, false),
            (Elu { alpha: 1.0 }, true),
            (Sigmoid, false),
            (Tanh, false),
            (Softplus, false),
            (Identity, false),
            (Softmax, false),
        ] {
            assert_eq!(has_kink(s), kink, "{s}");
        }
    }

    /// The step is h = 2⁻¹⁰·max(|θ|, 1) rounded down to a power of two, and the numeric
    /// derivative agrees with the analytic one; where the cost curves fast in θ (a weight
    /// on an input of 200), the truncation error of that step is large and a smaller one
    /// is taken.
    #[test]
    fn steps_scale_with_the_parameter_and_the_curvature() {
        let numeric = |w: f64, b: f64, x: f64, id: (usize, usize, usize)| {
            let layer = Layer::new(Matrix::new(1, 1, vec![w]).unwrap(), vec![b].into(), Activation::Tanh).unwrap();
            let mut net = Network::from_layers(vec![layer], Cost::Quadratic).unwrap();
            let (x, y) = (Matrix::new(1, 1, vec![x]).unwrap(), Matrix::new(1, 1, vec![0.25]).unwrap());
            net.forward_batch(&x).unwrap();
            net.backward_batch(&y).unwrap();
            let analytic = net.gradients().unwrap()[0].weights[(0, 0)];
            let rounding = Rounding::of(&net, x.view(), y.view());
            let mut probe = Probe::new(&net, x.view(), y.view()).unwrap();
            let theta = probe.value(id.0, id.1, id.2);
            let e = GradientCheck::new().derivative(&mut probe, &rounding, id, theta).unwrap().unwrap();
            (e, theta, analytic)
        };
        let (e, theta, analytic) = numeric(3.0, 0.25, 0.2, (0, 0, 0));
        assert_eq!((e.step, theta), (2f64.powi(-9), 3.0)); // 3/1024 rounds down to 2⁻⁹
        assert!((e.value - analytic).abs() <= 1e-12 * analytic.abs(), "{e:?} vs {analytic}");
        let (e, theta, _) = numeric(3.0, 0.25, 0.2, (0, 1, 0));
        assert_eq!((e.step, theta), (2f64.powi(-10), 0.25));
        let (e, _, analytic) = numeric(0.01, 0.0, 200.0, (0, 0, 0));
        assert!(e.step < 2f64.powi(-10), "{e:?}");
        assert!(e.truncation <= 0.1 * (1e-6 * e.value.abs() + e.error - e.truncation), "{e:?}");
        assert!((e.value - analytic).abs() <= 1e-9 * analytic.abs(), "{e:?} vs {analytic}");
    }

    #[test]
    fn relative_errors_of_zero_gradients_are_zero() {
        let check = ParameterCheck {
            layer: 0,
            kind: ParamKind::Biases,
            neuron: 0,
            input: None,
            analytic: 0.0,
            numeric: 0.0,
            allowed: 0.0,
            step: 1.0,
        };
        assert_eq!((check.relative_error(), check.difference()), (0.0, 0.0));
        assert!(check.passed(), "0 ≤ 0");
        let off = ParameterCheck { analytic: 2.0, numeric: -1.0, allowed: 2.5, ..check };
        assert_eq!((off.relative_error(), off.difference(), off.passed()), (1.5, 3.0, false));
    }

    #[test]
    fn correct_network_passes_and_stays_untouched() {
        let mut net = Network::<f64>::builder(2)
            .layer(3, Activation::Sigmoid)
            .layer(2, Activation::Sigmoid)
            .seed(11)
            .build()
            .unwrap();
        let x = Matrix::new(3, 2, vec![0.5, -1.0, 2.0, 0.0, -0.25, 1.5]).unwrap();
        let y = Matrix::new(3, 2, vec![1.0, 0.0, 0.0, 1.0, 0.5, 0.5]).unwrap();
        // A gradient the caller has accumulated must survive the check.
        net.forward(&[1.0, 1.0]).unwrap();
        net.backward(&[0.0, 1.0]).unwrap();
        let (before, grads) = (net.clone(), net.gradients().unwrap());
        let report = gradient_check(&net, &x, &y).unwrap();
        assert!(report.passed(), "{report}");
        assert_eq!((report.checked, report.unchecked), (17, 0));
        assert!(report.max_relative_error() < 1e-9, "{report}");
        assert_eq!(net.gradients().unwrap(), grads);
        for (a, b) in net.layers().iter().zip(before.layers()) {
            assert_eq!((a.weights(), a.biases()), (b.weights(), b.biases()));
        }
    }

    #[test]
    fn bad_input_is_an_error() {
        let net = Network::<f64>::builder(2).layer(1, Activation::Sigmoid).build().unwrap();
        let x = Matrix::new(1, 2, vec![0.0, 1.0]).unwrap();
        let y = Matrix::new(1, 1, vec![1.0]).unwrap();
        let wide = Matrix::new(1, 3, vec![0.0; 3]).unwrap();
        assert!(matches!(gradient_check(&net, &wide, &y), Err(Error::ShapeMismatch { .. })));
        assert!(matches!(gradient_check(&net, &x, &wide), Err(Error::ShapeMismatch { .. })));
        for h in [0.0, -1e-4, 1.0, f64::NAN] {
            assert!(matches!(GradientCheck::new().step(h), Err(Error::InvalidHyperparameter { .. })), "{h}");
        }
        assert_eq!(GradientCheck::new().step(0.5).unwrap().step, 0.5);
        for t in [-1e-6, f64::INFINITY, f64::NAN] {
            assert!(matches!(GradientCheck::new().tolerance(t), Err(Error::InvalidHyperparameter { .. })), "{t}");
        }
        assert!(GradientCheck::new().tolerance(0.0).is_ok());
    }
}
