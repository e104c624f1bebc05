//! [`Momentum`]: gradient descent with a velocity, classical or Nesterov.

use super::state::{Memory, Range, Slots};
use super::{
    OptimizerState, Params, check_unit_interval, checked_learning_rate, checked_weight_decay, rewrite_with_l2,
};
use crate::{Float, Optimizer, Result};

/// Where [`Momentum`] takes the gradient step from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum MomentumKind {
    /// Classical (Polyak) momentum: v := μv − α g; θ := θ + v.
    #[default]
    Classical,
    /// Nesterov's accelerated gradient, in the form that needs the gradient at θ only:
    /// v := μv − α g; θ := θ + μv − α g (the step looks ahead along the new velocity).
    Nesterov,
}

/// Gradient descent with momentum μ: a velocity v per parameter that accumulates past
/// gradients, so that steps speed up along consistent directions and damp oscillations.
///
/// With g = ∂C/∂θ (+ λθ for weights, the L2 weight decay):
/// - [`MomentumKind::Classical`]: v := μv − α g; θ := θ + v;
/// - [`MomentumKind::Nesterov`]: v := μv − α g; θ := θ + μv − α g.
///
/// The velocities start at 0 and are sized on the first step.
///
/// ```
/// use backprop::{Activation, Momentum, MomentumKind, Network};
///
/// let mut net = Network::<f64>::builder(2).layer(1, Activation::Sigmoid).seed(1).build()?;
/// let mut momentum = Momentum::new(0.1)?.momentum(0.9)?.kind(MomentumKind::Nesterov);
/// net.forward(&[0.0, 1.0])?;
/// net.backward(&[1.0])?;
/// net.step_with(&mut momentum)?;
/// # Ok::<(), backprop::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Momentum<T> {
    // The hyperparameters are visible to the serde impls next door.
    pub(super) learning_rate: T,
    pub(super) momentum: T,
    pub(super) kind: MomentumKind,
    pub(super) weight_decay: T,
    // The step count and the velocities.
    memory: Memory<T, 1>,
}

impl<T: Float> Momentum<T> {
    /// Classical momentum with learning rate α, μ = 0.9 and no weight decay.
    ///
    /// ```
    /// use backprop::{Activation, Cost, Momentum, Network};
    ///
    /// // An output far below its target: the mean absolute error's gradient stays −1.
    /// let mut net = Network::<f64>::builder(1).layer(1, Activation::Identity).cost(Cost::MeanAbsolute).build()?;
    /// let mut momentum = Momentum::new(0.1)?; // μ = 0.9
    /// let mut bias = vec![net.layers()[0].biases()[0]];
    /// for _ in 0..2 {
    ///     net.forward(&[1.0])?;
    ///     net.backward(&[100.0])?;
    ///     net.step_with(&mut momentum)?;
    ///     bias.push(net.layers()[0].biases()[0]);
    /// }
    /// // The velocity builds up: the second step is (1 + μ) times the first.
    /// assert!((bias[2] - bias[1] - 1.9 * (bias[1] - bias[0])).abs() < 1e-12);
    /// # Ok::<(), backprop::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`](crate::Error::InvalidHyperparameter) unless α is
    /// finite and > 0.
    pub fn new(learning_rate: T) -> Result<Self> {
        Ok(Momentum {
            learning_rate: checked_learning_rate(learning_rate)?,
            momentum: T::from_f64(0.9),
            kind: MomentumKind::Classical,
            weight_decay: T::ZERO,
            memory: Memory::new([Slots::new("velocity", Range::Finite)]),
        })
    }

    /// Sets the momentum μ (default 0.9); μ = 0 is plain gradient descent.
    ///
    /// ```
    /// use backprop::{Activation, Momentum, Network, Sgd};
    ///
    /// let mut a = Network::<f64>::builder(2).layer(1, Activation::Sigmoid).build()?;
    /// let mut b = a.clone();
    /// let (mut no_velocity, mut sgd) = (Momentum::new(0.1)?.momentum(0.0)?, Sgd::new(0.1)?);
    /// for _ in 0..3 {
    ///     for net in [&mut a, &mut b] {
    ///         net.forward(&[1.0, -1.0])?;
    ///         net.backward(&[1.0])?;
    ///     }
    ///     a.step_with(&mut no_velocity)?;
    ///     b.step_with(&mut sgd)?;
    /// }
    /// // With μ = 0, momentum is plain gradient descent.
    /// let (wa, wb) = (a.layers()[0].weights().as_slice(), b.layers()[0].weights().as_slice());
    /// assert!(wa.iter().zip(wb).all(|(x, y)| (x - y).abs() < 1e-12));
    /// assert!(Momentum::new(0.1)?.momentum(1.0).is_err()); // μ must be below 1
    /// # Ok::<(), backprop::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`](crate::Error::InvalidHyperparameter) unless
    /// μ is in [0, 1).
    pub fn momentum(mut self, mu: T) -> Result<Self> {
        check_unit_interval("momentum", mu)?;
        self.momentum = mu;
        Ok(self)
    }

    /// Sets classical or Nesterov momentum (default [`MomentumKind::Classical`]).
    ///
    /// ```
    /// use backprop::{Activation, Momentum, MomentumKind, Network};
    ///
    /// let first_step = |kind| -> backprop::Result<f64> {
    ///     let mut net = Network::<f64>::builder(1).layer(1, Activation::Identity).build()?;
    ///     let b = net.layers()[0].biases()[0];
    ///     net.forward(&[1.0])?;
    ///     net.backward(&[100.0])?;
    ///     net.step_with(&mut Momentum::new(0.01)?.kind(kind))?;
    ///     Ok(net.layers()[0].biases()[0] - b)
    /// };
    /// // Nesterov looks ahead along the new velocity: its first step is (1 + μ) times longer.
    /// let (classical, nesterov) = (first_step(MomentumKind::Classical)?, first_step(MomentumKind::Nesterov)?);
    /// assert!((nesterov - 1.9 * classical).abs() < 1e-12);
    /// # Ok::<(), backprop::Error>(())
    /// ```
    #[must_use]
    pub fn kind(mut self, kind: MomentumKind) -> Self {
        self.kind = kind;
        self
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

    /// Forgets the velocities and the step count, e.g. to train another network.
    pub fn reset(&mut self) {
        self.memory.reset();
    }
}

impl<T: Float> Optimizer<T> for Momentum<T> {
    /// v := μv − α g; θ := θ + v (classical) or θ := θ + μv − α g (Nesterov).
    ///
    /// # Errors
    /// [`Error::Incompatible`](crate::Error::Incompatible) if the velocities were sized
    /// for a network with other tensor sizes.
    fn step(&mut self, params: &mut Params<'_, T>) -> Result<()> {
        self.memory.ensure(params)?;
        let (alpha, mu, kind, weight_decay) = (self.learning_rate, self.momentum, self.kind, self.weight_decay);
        let [velocity] = self.memory.families_mut();
        rewrite_with_l2(params, weight_decay, velocity, |theta, g, v| {
            let v = mu * v - alpha * g;
            let next = theta
                + match kind {
                    MomentumKind::Classical => v,
                    MomentumKind::Nesterov => mu * v - alpha * g,
                };
            (next, v)
        });
        self.memory.check_pending()
    }

    memory_methods!("`\"velocity.{id}\"`");
}

#[cfg(test)]
mod tests {
    use super::super::testing::{self, assert_close};
    use super::*;
    use crate::Error;

    /// Two steps against v := μv − αg; θ := θ + v (or θ + μv − αg).
    fn check(kind: MomentumKind) {
        let (alpha, mu) = (0.5, 0.9);
        let mut momentum = Momentum::new(alpha).unwrap().momentum(mu).unwrap().kind(kind);
        let mut net = testing::network();
        let mut velocity: Vec<Vec<f64>> = testing::values(&net).iter().map(|t| vec![0.0; t.len()]).collect();
        for _ in 0..2 {
            let s = testing::step(&mut net, &mut momentum);
            for (t, v) in velocity.iter_mut().enumerate() {
                for (i, v) in v.iter_mut().enumerate() {
                    let g = s.grads[t][i];
                    *v = mu * *v - alpha * g;
                    let expected = match kind {
                        MomentumKind::Classical => s.before[t][i] + *v,
                        MomentumKind::Nesterov => s.before[t][i] + mu * *v - alpha * g,
                    };
                    assert_close(s.after[t][i], expected);
                }
            }
        }
        assert_eq!(momentum.state().step, 2);
        assert_eq!(momentum.steps(), 2);
    }

    #[test]
    fn classical_momentum_two_steps_by_hand() {
        check(MomentumKind::Classical);
    }

    #[test]
    fn nesterov_momentum_two_steps_by_hand() {
        check(MomentumKind::Nesterov);
    }

    #[test]
    fn first_classical_step_is_gradient_descent() {
        let mut net = testing::network();
        let s = testing::step(&mut net, &mut Momentum::new(0.5).unwrap());
        // One weight worked out in full: v = −α g, θ := θ + v.
        assert_close(s.after[0][0], s.before[0][0] - 0.5 * s.grads[0][0]);
    }

    #[test]
    fn weight_decay_shrinks_weights_only() {
        let mut momentum = Momentum::new(0.5).unwrap().weight_decay(0.1).unwrap();
        let s = testing::zero_gradient_step(&mut momentum);
        for (w0, w1) in s.before[0].iter().zip(&s.after[0]) {
            assert_close(*w1, w0 - 0.5 * 0.1 * w0);
        }
        assert_eq!(s.before[1], s.after[1]);
    }

    #[test]
    fn another_network_is_an_error_naming_the_sizes() {
        let mut momentum = Momentum::new(0.5).unwrap();
        testing::step(&mut testing::network(), &mut momentum);
        let mut other = testing::deep_network();
        testing::backprop(&mut other, &[1.0, 2.0, 3.0], &[0.0, 1.0]);
        let before = testing::values(&other);
        let e = other.step_with(&mut momentum).unwrap_err();
        assert!(matches!(e, Error::Incompatible { .. }));
        assert!(e.to_string().contains("[4, 2]") && e.to_string().contains("[12, 4, 8, 2]"), "{e}");
        assert_eq!(testing::values(&other), before, "nothing moved");
        momentum.reset();
        testing::train(&mut other, &mut momentum, 0..1);
    }
}
