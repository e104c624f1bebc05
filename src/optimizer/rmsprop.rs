//! [`RmsProp`]: gradient descent scaled by a running root mean square of the gradient.

use super::state::{Memory, Range, Slots};
use super::{
    OptimizerState, Params, check_unit_interval, checked_epsilon, checked_learning_rate, checked_weight_decay,
    rewrite_with_l2,
};
use crate::{Float, Optimizer, Result};

/// RMSProp: each parameter's step is divided by a running root mean square of its
/// gradient, so that every parameter moves at a similar pace whatever its gradient's scale.
///
/// With g = ∂C/∂θ (+ λθ for weights, the L2 weight decay), decay rate ρ and ε:
///
/// s := ρs + (1 − ρ)g²; θ := θ − α g / (√s + ε).
///
/// The mean squares s start at 0 and are sized on the first step.
///
/// ```
/// use backprop::{Activation, Network, RmsProp};
///
/// let mut net = Network::<f64>::builder(2).layer(1, Activation::Sigmoid).seed(1).build()?;
/// let mut rmsprop = RmsProp::new(0.01)?.rho(0.9)?.epsilon(1e-8)?;
/// net.forward(&[0.0, 1.0])?;
/// net.backward(&[1.0])?;
/// net.step_with(&mut rmsprop)?;
/// # Ok::<(), backprop::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct RmsProp<T> {
    // The hyperparameters are visible to the serde impls next door.
    pub(super) learning_rate: T,
    pub(super) rho: T,
    pub(super) epsilon: T,
    pub(super) weight_decay: T,
    // The step count and the mean squares.
    memory: Memory<T, 1>,
}

impl<T: Float> RmsProp<T> {
    /// RMSProp with learning rate α, ρ = 0.9, ε = 1e-8 and no weight decay.
    ///
    /// ```
    /// use backprop::{Activation, Network, RmsProp};
    ///
    /// let mut net = Network::<f64>::builder(1).layer(1, Activation::Identity).build()?;
    /// let (w, b) = (net.layers()[0].weights()[(0, 0)], net.layers()[0].biases()[0]);
    /// net.forward(&[3.0])?;
    /// net.backward(&[100.0])?; // ∂C/∂w is 3 times ∂C/∂b
    /// net.step_with(&mut RmsProp::new(0.01)?)?; // ρ = 0.9
    /// // The first step is α/√(1 − ρ) for every parameter, whatever its gradient's scale.
    /// let expected = 0.01 / 0.1f64.sqrt();
    /// assert!((net.layers()[0].weights()[(0, 0)] - w - expected).abs() < 1e-9);
    /// assert!((net.layers()[0].biases()[0] - b - expected).abs() < 1e-9);
    /// # Ok::<(), backprop::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`](crate::Error::InvalidHyperparameter) unless α is
    /// finite and > 0.
    pub fn new(learning_rate: T) -> Result<Self> {
        Ok(RmsProp {
            learning_rate: checked_learning_rate(learning_rate)?,
            rho: T::from_f64(0.9),
            epsilon: T::from_f64(1e-8),
            weight_decay: T::ZERO,
            memory: Memory::new([Slots::new("mean_square", Range::NonNegative)]),
        })
    }

    /// Sets the decay rate ρ of the mean square (default 0.9).
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`](crate::Error::InvalidHyperparameter) unless ρ is
    /// in [0, 1).
    pub fn rho(mut self, rho: T) -> Result<Self> {
        check_unit_interval("rho", rho)?;
        self.rho = rho;
        Ok(self)
    }

    /// Sets ε, which keeps the division finite where s is 0 (default 1e-8).
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`](crate::Error::InvalidHyperparameter) unless ε is
    /// finite and > 0.
    pub fn epsilon(mut self, epsilon: T) -> Result<Self> {
        self.epsilon = checked_epsilon(epsilon)?;
        Ok(self)
    }

    /// Sets the L2 weight decay λ, added to the weights' gradient as λw (default 0).
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`](crate::Error::InvalidHyperparameter) unless λ is
    /// finite and ≥ 0.
    pub fn weight_decay(mut self, lambda: T) -> Result<Self> {
        self.weight_decay = checked_weight_decay(lambda)?;
        Ok(self)
    }

    /// The number of steps taken.
    pub fn steps(&self) -> u64 {
        self.memory.steps()
    }

    /// Forgets the mean squares and the step count, e.g. to train another network.
    pub fn reset(&mut self) {
        self.memory.reset();
    }
}

impl<T: Float> Optimizer<T> for RmsProp<T> {
    /// s := ρs + (1 − ρ)g²; θ := θ − α g / (√s + ε).
    ///
    /// # Errors
    /// [`Error::Incompatible`](crate::Error::Incompatible) if the mean squares were sized
    /// for a network with other tensor sizes.
    fn step(&mut self, params: &mut Params<'_, T>) -> Result<()> {
        self.memory.ensure(params)?;
        let (alpha, rho, epsilon, weight_decay) = (self.learning_rate, self.rho, self.epsilon, self.weight_decay);
        let [mean_square] = self.memory.families_mut();
        rewrite_with_l2(params, weight_decay, mean_square, |theta, g, s| {
            let s = rho * s + (T::ONE - rho) * g * g;
            (theta - alpha * g / (s.sqrt() + epsilon), s)
        });
        self.memory.check_pending()
    }

    memory_methods!("`\"mean_square.{id}\"`");
}

#[cfg(test)]
mod tests {
    use super::super::testing::{self, assert_close};
    use super::*;

    #[test]
    fn two_steps_by_hand() {
        let (alpha, rho, epsilon) = (0.01, 0.9, 1e-8);
        let mut rmsprop = RmsProp::new(alpha).unwrap().rho(rho).unwrap().epsilon(epsilon).unwrap();
        let mut net = testing::network();
        let s = testing::step(&mut net, &mut rmsprop);
        // First step: s = (1 − ρ)g², so θ moves by α g/(√(0.1) |g| + ε) ≈ α √10 sign(g).
        for t in 0..2 {
            for (i, g) in s.grads[t].iter().enumerate() {
                let mean_square = (1.0 - rho) * g * g;
                assert_close(s.after[t][i], s.before[t][i] - alpha * g / (mean_square.sqrt() + epsilon));
            }
        }
        let first: Vec<Vec<f64>> = s.grads.iter().map(|g| g.iter().map(|g| (1.0 - rho) * g * g).collect()).collect();
        let s = testing::step(&mut net, &mut rmsprop);
        for (t, first) in first.iter().enumerate() {
            for (i, g) in s.grads[t].iter().enumerate() {
                let mean_square = rho * first[i] + (1.0 - rho) * g * g;
                assert_close(s.after[t][i], s.before[t][i] - alpha * g / (mean_square.sqrt() + epsilon));
            }
        }
    }

    #[test]
    fn weight_decay_shrinks_weights_only() {
        let mut rmsprop = RmsProp::new(0.01).unwrap().weight_decay(0.1).unwrap();
        let s = testing::zero_gradient_step(&mut rmsprop);
        for (w0, w1) in s.before[0].iter().zip(&s.after[0]) {
            assert!(w1.abs() < w0.abs(), "{w0} → {w1}");
        }
        assert_eq!(s.before[1], s.after[1]);
    }

    #[test]
    fn state_round_trips() {
        let mut rmsprop = RmsProp::new(0.01).unwrap();
        testing::step(&mut testing::network(), &mut rmsprop);
        let state = rmsprop.state();
        assert_eq!(state.step, 1);
        assert_eq!(rmsprop.steps(), 1);
        let names: Vec<&str> = state.buffers.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["mean_square.0", "mean_square.1"]);
        let mut restored = RmsProp::new(0.01).unwrap();
        restored.set_state(state.clone()).unwrap();
        assert_eq!(restored, rmsprop);
        let mut negative = state;
        negative.buffers[1].1[0] = -1.0;
        assert!(restored.set_state(negative).is_err());
        assert_eq!(restored, rmsprop, "a rejected state changes nothing");
    }
}
