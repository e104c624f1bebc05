//! Gradient diagnostics: per layer and epoch, how large δ and ∂C/∂w are and how many
//! units are saturated, the symptoms of a network that learns slowly.

use crate::{Activation, Float, Network};

/// Whether the training loop records [`LayerDiagnostics`].
///
/// ```
/// use backprop::{Activation, Dataset, Diagnostics, Matrix, Network, Sgd, Trainer};
///
/// let data = Dataset::new(Matrix::from_fn(8, 1, |i, _| i as f64), Matrix::from_fn(8, 1, |i, _| (i % 2) as f64))?;
/// let mut net = Network::<f64>::builder(1).layer(3, Activation::Sigmoid).layer(1, Activation::Sigmoid).build()?;
/// let history = Trainer::new(Sgd::new(0.5)?).epochs(2).diagnostics(Diagnostics::PerEpoch).fit(&mut net, &data)?;
/// for record in &history.epochs {
///     assert_eq!(record.layers.len(), 2); // one entry per layer
///     for (l, d) in record.layers.iter().enumerate() {
///         println!("epoch {} layer {l}: {:.0}% saturated", record.epoch, 100.0 * d.saturated_fraction);
///     }
/// }
/// # Ok::<(), backprop::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Diagnostics {
    /// No diagnostics (the default).
    #[default]
    Off,
    /// One [`LayerDiagnostics`] per layer in every [`EpochRecord`](crate::EpochRecord).
    PerEpoch,
}

/// How well the error signal reaches one layer during one epoch.
///
/// BP3 says ∂C/∂w(l) = δ(l)·a(l−1)ᵀ and BP2 that δ(l) carries a factor σ′(z(l)): when σ
/// saturates (σ′ ≈ 0) or the activations are small, the gradient is small and learning
/// crawls. These numbers show where.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct LayerDiagnostics {
    /// The mean of |δ(l)| over the layer's units and the epoch's samples.
    pub mean_abs_delta: f64,
    /// The Euclidean (Frobenius) norm ‖∂C/∂w(l)‖ of the batch's mean gradient of the
    /// weights, averaged over the epoch's batches.
    pub weight_gradient_norm: f64,
    /// The fraction of (sample, unit) pairs of the epoch whose unit is saturated:
    /// |σ′(z)| < 0.01·σ′ₘ, where σ′ₘ = max(|σ′(0)|, |σ′(1)|) is the activation's typical
    /// slope, or ¼ if both of those are 0. For the sigmoid σ′ₘ = ¼, so a unit is
    /// saturated when |z| > 5.99 (a < 0.0025 or a > 0.9975); for a ReLU σ′ₘ = 1, so a
    /// unit is saturated ("dead" for that sample) when z ≤ 0. The rule uses only
    /// [`Activation::derivative`], so it holds for every activation.
    pub saturated_fraction: f64,
}

/// The running sums behind one layer's [`LayerDiagnostics`] over an epoch.
#[derive(Clone, Copy, Debug, Default)]
struct Sums {
    abs_delta: f64,
    units: usize,
    saturated: usize,
    gradient_norm: f64,
    batches: usize,
}

/// Collects [`LayerDiagnostics`] batch by batch; sized once, it allocates nothing more
/// until [`finish`](Self::finish) builds an epoch's list.
#[derive(Debug)]
pub(super) struct Collector {
    // Per layer: 0.01·σ′ₘ, below which |σ′(z)| counts as saturated.
    thresholds: Vec<f64>,
    sums: Vec<Sums>,
}

impl Collector {
    pub(super) fn new<T: Float>(network: &Network<T>) -> Self {
        let thresholds = network.layers().iter().map(|l| 0.01 * typical_slope::<T>(l.activation())).collect();
        Collector { thresholds, sums: vec![Sums::default(); network.layers().len()] }
    }

    /// Adds one batch: |δ| and the saturation test over the cached z, a and δ of every
    /// layer, after the backward pass and before the step.
    pub(super) fn add_batch<T: Float>(&mut self, network: &Network<T>, weight_gradient_norms: &[f64]) {
        for (((layer, sums), &threshold), &norm) in
            network.layers().iter().zip(&mut self.sums).zip(&self.thresholds).zip(weight_gradient_norms)
        {
            let sigma = layer.activation();
            let threshold = T::from_f64(threshold);
            let (z, a, delta) = (layer.z().as_slice(), layer.a().as_slice(), layer.delta().as_slice());
            let mut abs_delta = 0.0;
            let mut saturated = 0;
            for ((&z, &a), &d) in z.iter().zip(a).zip(delta) {
                abs_delta += d.abs().to_f64();
                saturated += usize::from(sigma.derivative(z, a).abs() < threshold);
            }
            sums.abs_delta += abs_delta;
            sums.units += delta.len();
            sums.saturated += saturated;
            sums.gradient_norm += norm;
            sums.batches += 1;
        }
    }

    /// The epoch's diagnostics; starts the next epoch's sums.
    pub(super) fn finish(&mut self) -> Vec<LayerDiagnostics> {
        let ratio = |x: f64, n: usize| if n == 0 { 0.0 } else { x / n as f64 };
        let out = self
            .sums
            .iter()
            .map(|s| LayerDiagnostics {
                mean_abs_delta: ratio(s.abs_delta, s.units),
                weight_gradient_norm: ratio(s.gradient_norm, s.batches),
                saturated_fraction: ratio(s.saturated as f64, s.units),
            })
            .collect();
        self.sums.iter_mut().for_each(|s| *s = Sums::default());
        out
    }
}

/// σ′ₘ = max(|σ′(0)|, |σ′(1)|): the slope a unit has in its working range.
fn typical_slope<T: Float>(sigma: Activation) -> f64 {
    let slope = |z: T| sigma.derivative(z, sigma.value(z)).abs().to_f64();
    typical_of(slope(T::ZERO), slope(T::ONE))
}

/// The larger of the two slopes; ¼ (the sigmoid's, the peak of a(1 − a)) if neither is
/// a positive number, as for a function whose one-value form is flat (a softmax, whose
/// per-unit slope aᵢ(1 − aᵢ) needs its whole row) or a constant one (then every unit
/// counts as saturated, rightly).
fn typical_of(at_zero: f64, at_one: f64) -> f64 {
    let m = at_zero.max(at_one);
    if m.is_finite() && m > 0.0 { m } else { 0.25 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Cost, Layer, Matrix, Vector};

    #[test]
    fn sigmoid_saturates_beyond_six() {
        assert_eq!(typical_slope::<f64>(Activation::Sigmoid), 0.25);
        let s = Activation::Sigmoid;
        let slope = |z: f64| s.derivative(z, s.value(z));
        assert!(slope(5.98) > 0.0025 && slope(6.0) < 0.0025);
        assert!(slope(-5.98) > 0.0025 && slope(-6.0) < 0.0025);
    }

    #[test]
    fn a_flat_or_broken_slope_falls_back_to_a_quarter() {
        assert_eq!(typical_of(0.0, 1.0), 1.0); // ReLU
        assert_eq!(typical_of(1.0, 0.42), 1.0); // tanh
        assert_eq!(typical_of(0.0, 0.0), 0.25);
        assert_eq!(typical_of(f64::NAN, f64::INFINITY), 0.25);
    }

    #[test]
    fn hand_worked_batch() {
        // One sigmoid neuron with w = 1, b = 0 on inputs 0 and 10: z = 0 (σ′ = ¼, not
        // saturated) and z = 10 (σ′ ≈ 4.5e-5, saturated).
        let layer = Layer::new(Matrix::new(1, 1, vec![1.0]).unwrap(), Vector::from(vec![0.0]), Activation::Sigmoid);
        let mut net = Network::from_layers(vec![layer.unwrap()], Cost::Quadratic).unwrap();
        let x = Matrix::new(2, 1, vec![0.0, 10.0]).unwrap();
        let y = Matrix::new(2, 1, vec![1.0, 0.0]).unwrap();
        net.forward_batch(&x).unwrap();
        net.backward_batch(&y).unwrap();
        let delta = net.layers()[0].delta().as_slice().to_vec();
        let mut c = Collector::new(&net);
        c.add_batch(&net, &[3.0]);
        c.add_batch(&net, &[1.0]);
        let d = c.finish();
        assert_eq!(d.len(), 1);
        assert!((d[0].mean_abs_delta - (delta[0].abs() + delta[1].abs()) / 2.0).abs() < 1e-15);
        assert_eq!(d[0].weight_gradient_norm, 2.0);
        assert_eq!(d[0].saturated_fraction, 0.5);
        // The sums start over.
        c.add_batch(&net, &[5.0]);
        assert_eq!(c.finish()[0].weight_gradient_norm, 5.0);
    }
}
