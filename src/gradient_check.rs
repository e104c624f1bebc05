//! [`gradient_check`]: a network's analytic ∂C/∂w and ∂C/∂b (BP1..BP4) against central
//! finite differences of its cost, on the caller's own data.

use core::fmt;

use crate::error::{Error, Result};
use crate::layer::Gradients;
use crate::optimizer::ParamKind;
use crate::{MatrixView, Network};

/// The finite-difference step h of [`gradient_check`].
pub const DEFAULT_GRADIENT_CHECK_STEP: f64 = 1e-4;

/// The relative error of a gradient below which its size counts as this value: near 0,
/// rounding dominates and relative errors mean nothing.
const FLOOR: f64 = 1e-6;

/// The parameter of one layer whose analytic gradient disagrees most with the numeric
/// one.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct LayerCheck {
    /// The layer l, counted from 0 on the input side.
    pub layer: usize,
    /// Weight or bias.
    pub kind: ParamKind,
    /// The parameter's index: for a weight, row-major in w(l), so neuron
    /// `index / N(l−1)` and input `index % N(l−1)`; for a bias, the neuron.
    pub index: usize,
    /// ∂C/∂θ from backpropagation.
    pub analytic: f64,
    /// ∂C/∂θ from the five-point central difference.
    pub numeric: f64,
    /// |analytic − numeric| / max(|analytic|, |numeric|, 10⁻⁶); NaN if either is NaN.
    pub relative_error: f64,
}

/// What [`gradient_check`] found: the worst parameter of every layer.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct GradientCheckReport {
    /// One entry per layer, from the input side.
    pub layers: Vec<LayerCheck>,
}

impl GradientCheckReport {
    /// The worst parameter of the whole network (a NaN error counts as the worst).
    pub fn worst(&self) -> Option<&LayerCheck> {
        self.layers.iter().max_by(|a, b| severity(a.relative_error).total_cmp(&severity(b.relative_error)))
    }

    /// The largest relative error in the network (∞ if one is NaN, 0 for no layer).
    pub fn max_relative_error(&self) -> f64 {
        self.worst().map_or(0.0, |w| severity(w.relative_error))
    }
}

impl fmt::Display for GradientCheckReport {
    /// One line per layer, e.g.
    /// `layer 0: worst ∂C/∂w index 3, analytic 1.25e-2, numeric 1.25e-2, relative error 3.1e-10`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, c) in self.layers.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            let kind = match c.kind {
                ParamKind::Weights => "∂C/∂w",
                ParamKind::Biases => "∂C/∂b",
            };
            write!(
                f,
                "layer {}: worst {kind} index {}, analytic {:.3e}, numeric {:.3e}, relative error {:.1e}",
                c.layer, c.index, c.analytic, c.numeric, c.relative_error
            )?;
        }
        Ok(())
    }
}

/// Checks backpropagation on your network and data: compares every analytic ∂C/∂w and
/// ∂C/∂b (BP3, BP4, with δ from BP1 and BP2) of the mean cost over the batch with the
/// five-point central difference
///
/// ∂C/∂θ ≈ (8 (C(θ + h) − C(θ − h)) − (C(θ + 2h) − C(θ − 2h))) / 12h,
///
/// whose error is O(h⁴), with h = [`DEFAULT_GRADIENT_CHECK_STEP`], and reports the worst
/// relative error of each layer. Correct gradients give errors around 10⁻⁸ or below; an
/// activation or cost with a wrong derivative gives errors of order 10⁻² to 1.
///
/// The caller's network is not changed: the check works on a clone. It costs four
/// forward passes over the batch per parameter, so use a small network or a few samples.
/// Where σ has a kink (a ReLU at z = 0), a unit whose z lies within 2h of it makes the
/// difference quotient meaningless there: choose inputs that keep z away from kinks.
///
/// ```
/// use backprop::{Activation, Matrix, Network, gradient_check};
///
/// let net = Network::<f64>::builder(3).layer(4, Activation::Sigmoid).layer(2, Activation::Sigmoid).seed(5).build()?;
/// let x = Matrix::new(2, 3, vec![0.5, -1.0, 2.0, 0.0, 0.25, -0.5])?;
/// let y = Matrix::new(2, 2, vec![1.0, 0.0, 0.0, 1.0])?;
/// let report = gradient_check(&net, &x, &y)?;
/// assert_eq!(report.layers.len(), 2);
/// assert!(report.max_relative_error() < 1e-6, "{report}");
/// # Ok::<(), backprop::Error>(())
/// ```
///
/// # Errors
/// As [`Network::forward_batch`] for `inputs` and [`Network::backward_batch`] for
/// `targets`.
pub fn gradient_check<'a>(
    network: &Network<f64>,
    inputs: impl Into<MatrixView<'a, f64>>,
    targets: impl Into<MatrixView<'a, f64>>,
) -> Result<GradientCheckReport> {
    gradient_check_with_step(network, inputs, targets, DEFAULT_GRADIENT_CHECK_STEP)
}

/// [`gradient_check`] with a finite-difference step h of your choice: smaller steps cut
/// the truncation error, O(h⁴), and raise the rounding error, O(ε/h).
///
/// ```
/// use backprop::{Activation, Matrix, Network, gradient_check_with_step};
///
/// let net = Network::<f64>::builder(2).layer(2, Activation::Sigmoid).seed(1).build()?;
/// let x = Matrix::new(1, 2, vec![0.5, -0.5])?;
/// let y = Matrix::new(1, 2, vec![1.0, 0.0])?;
/// let report = gradient_check_with_step(&net, &x, &y, 1e-3)?;
/// assert!(report.max_relative_error() < 1e-6, "{report}");
/// # Ok::<(), backprop::Error>(())
/// ```
///
/// # Errors
/// As [`gradient_check`]; [`Error::InvalidHyperparameter`] unless h is finite and > 0.
pub fn gradient_check_with_step<'a>(
    network: &Network<f64>,
    inputs: impl Into<MatrixView<'a, f64>>,
    targets: impl Into<MatrixView<'a, f64>>,
    step: f64,
) -> Result<GradientCheckReport> {
    if !(step.is_finite() && step > 0.0) {
        return Err(Error::InvalidHyperparameter {
            name: "finite-difference step",
            rule: "finite and > 0",
            value: step,
        });
    }
    let (x, y) = (inputs.into(), targets.into());
    let mut net = network.clone();
    net.clear_gradients();
    net.forward_batch(x)?;
    net.backward_batch(y)?;
    let analytic = net.gradients()?;
    net.clear_gradients();
    compare(&analytic, |layer, id, index| {
        central_difference(step, |t| perturbed_cost(&mut net, x, y, 2 * layer + id, index, t))
    })
}

/// The worst relative error per layer between `analytic` and `numeric(layer, tensor,
/// index)`, where tensor 0 is the weights and 1 the biases.
fn compare(
    analytic: &[Gradients<f64>],
    mut numeric: impl FnMut(usize, usize, usize) -> Result<f64>,
) -> Result<GradientCheckReport> {
    let mut layers = Vec::with_capacity(analytic.len());
    for (layer, g) in analytic.iter().enumerate() {
        let mut worst: Option<LayerCheck> = None;
        for (id, (kind, values)) in
            [(ParamKind::Weights, g.weights.as_slice()), (ParamKind::Biases, g.biases.as_slice())]
                .into_iter()
                .enumerate()
        {
            for (index, &a) in values.iter().enumerate() {
                let n = numeric(layer, id, index)?;
                let relative_error = (a - n).abs() / a.abs().max(n.abs()).max(FLOOR);
                let check = LayerCheck { layer, kind, index, analytic: a, numeric: n, relative_error };
                if worst.is_none_or(|w| severity(relative_error) > severity(w.relative_error)) {
                    worst = Some(check);
                }
            }
        }
        // Every layer has at least one weight and one bias.
        layers.extend(worst);
    }
    Ok(GradientCheckReport { layers })
}

/// A NaN error ranks above every number.
fn severity(relative_error: f64) -> f64 {
    if relative_error.is_nan() { f64::INFINITY } else { relative_error }
}

/// ∂f/∂t at 0 by the five-point central difference.
fn central_difference(h: f64, mut f: impl FnMut(f64) -> Result<f64>) -> Result<f64> {
    Ok((8.0 * (f(h)? - f(-h)?) - (f(2.0 * h)? - f(-2.0 * h)?)) / (12.0 * h))
}

/// The mean cost over the batch with parameter `index` of tensor `id` moved by `t`; the
/// parameter is set back to its exact old value afterwards.
fn perturbed_cost(
    net: &mut Network<f64>,
    x: MatrixView<'_, f64>,
    y: MatrixView<'_, f64>,
    id: usize,
    index: usize,
    t: f64,
) -> Result<f64> {
    let mut old = None;
    net.params().for_each(|p| {
        if p.id == id {
            old = Some(p.value[index]);
            p.value[index] += t;
        }
    });
    let cost_fn = net.cost_fn();
    // The shapes were checked by the forward and backward passes of the analytic side.
    let cost = net.forward_batch(x).map(|a| {
        let total: f64 = (0..y.rows()).map(|r| cost_fn.value(a.row(r), y.row(r))).sum();
        total / y.rows() as f64
    });
    net.params().for_each(|p| {
        if let (true, Some(v)) = (p.id == id, old) {
            p.value[index] = v;
        }
    });
    cost
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Activation, Matrix, Vector};

    fn fabricated() -> Vec<Gradients<f64>> {
        let g = |w: Vec<f64>, b: Vec<f64>| Gradients {
            weights: Matrix::new(b.len(), w.len() / b.len(), w).unwrap(),
            biases: Vector::from(b),
        };
        vec![g(vec![0.5, -0.25, 1e-12, 2.0], vec![0.1, -0.3]), g(vec![1.0, 3.0], vec![-1.0])]
    }

    #[test]
    fn compare_finds_the_worst_parameter_of_each_layer() {
        let analytic = fabricated();
        // The numeric side agrees except: layer 0 bias 1 is 10% off, and a tiny weight
        // disagrees absolutely by 1e-13, which the floor forgives.
        let report = compare(&analytic, |l, id, i| {
            let a = if id == 0 { analytic[l].weights.as_slice()[i] } else { analytic[l].biases[i] };
            Ok(match (l, id, i) {
                (0, 1, 1) => a * 1.1,
                (0, 0, 2) => a + 1e-13,
                (1, 0, 1) => a * (1.0 + 1e-9),
                _ => a,
            })
        })
        .unwrap();
        assert_eq!(report.layers.len(), 2);
        let w0 = report.layers[0];
        assert_eq!((w0.layer, w0.kind, w0.index), (0, ParamKind::Biases, 1));
        assert!((w0.relative_error - 0.1 / 1.1).abs() < 1e-12);
        let w1 = report.layers[1];
        assert_eq!((w1.layer, w1.kind, w1.index), (1, ParamKind::Weights, 1));
        assert!(w1.relative_error < 2e-9);
        assert_eq!(report.worst().unwrap().layer, 0);
        assert!(report.to_string().starts_with("layer 0: worst ∂C/∂b index 1, analytic -3.000e-1"));
    }

    #[test]
    fn nan_is_the_worst() {
        let analytic = fabricated();
        let report = compare(&analytic, |l, _, i| Ok(if (l, i) == (1, 0) { f64::NAN } else { 0.0 })).unwrap();
        assert!(report.layers[1].relative_error.is_nan());
        assert_eq!(report.max_relative_error(), f64::INFINITY);
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
        assert!(report.max_relative_error() < 1e-7, "{report}");
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
        for h in [0.0, -1e-4, f64::NAN] {
            assert!(matches!(gradient_check_with_step(&net, &x, &y, h), Err(Error::InvalidHyperparameter { .. })));
        }
    }
}
