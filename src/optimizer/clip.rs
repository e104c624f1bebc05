//! [`Clipped`]: gradient clipping by global norm in front of any optimiser.

use super::{OptimizerState, Params};
use crate::error::{Error, check_positive};
use crate::{Float, Optimizer, Result};

/// Clips the gradient by its global norm, then lets the inner optimiser step:
///
/// g := g · min(1, c / ‖g‖₂), with ‖g‖₂ over every weight and bias of the network,
///
/// so that the direction is kept and the norm is at most c (`max_norm`).
///
/// ```
/// use backprop::{Activation, Adam, Clipped, Network};
///
/// let mut net = Network::<f64>::builder(2).layer(1, Activation::Sigmoid).seed(1).build()?;
/// let mut clipped = Clipped::new(Adam::new(0.001)?, 1.0)?;
/// net.forward(&[0.0, 1.0])?;
/// net.backward(&[1.0])?;
/// net.step_with(&mut clipped)?;
/// # Ok::<(), backprop::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Clipped<O> {
    inner: O,
    max_norm: f64,
}

impl<O> Clipped<O> {
    /// Clips gradients to the norm `max_norm` before `inner` steps.
    ///
    /// ```
    /// use backprop::{Activation, Clipped, Network, Sgd};
    ///
    /// let mut net = Network::<f64>::builder(2).layer(1, Activation::Identity).build()?;
    /// let before = net.layers()[0].clone();
    /// let mut clipped = Clipped::new(Sgd::new(0.1)?, 1.0)?;
    /// net.forward(&[3.0, 4.0])?;
    /// net.backward(&[100.0])?; // a gradient norm of about 500
    /// net.step_with(&mut clipped)?;
    /// // Clipped to norm 1, the gradient moves the parameters by α · 1 in all.
    /// let after = &net.layers()[0];
    /// let old = before.weights().as_slice().iter().chain(before.biases().iter());
    /// let new = after.weights().as_slice().iter().chain(after.biases().iter());
    /// let moved = old.zip(new).map(|(a, b)| (a - b) * (a - b)).sum::<f64>().sqrt();
    /// assert!((moved - 0.1).abs() < 1e-12);
    /// # Ok::<(), backprop::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`] unless `max_norm` is finite and > 0.
    pub fn new(inner: O, max_norm: f64) -> Result<Self> {
        check_positive("max norm", max_norm)?;
        Ok(Clipped { inner, max_norm })
    }

    /// The largest gradient norm let through, c.
    pub fn max_norm(&self) -> f64 {
        self.max_norm
    }

    /// The optimiser that steps after clipping.
    pub fn inner(&self) -> &O {
        &self.inner
    }

    /// The optimiser that steps after clipping, mutably.
    pub fn inner_mut(&mut self) -> &mut O {
        &mut self.inner
    }

    /// Unwraps the inner optimiser.
    pub fn into_inner(self) -> O {
        self.inner
    }
}

impl<T: Float, O: Optimizer<T>> Optimizer<T> for Clipped<O> {
    /// g := g · c/‖g‖₂ if ‖g‖₂ > c; then the inner optimiser's step.
    ///
    /// # Errors
    /// [`Error::NonFinite`] if the gradient's norm is NaN or infinite (nothing is
    /// updated); otherwise whatever the inner optimiser returns.
    fn step(&mut self, params: &mut Params<'_, T>) -> Result<()> {
        let norm = params.gradient_norm();
        if !norm.is_finite() {
            return Err(Error::NonFinite { what: "gradient norm", index: 0, value: norm.to_f64() });
        }
        let max_norm = T::from_f64(self.max_norm);
        if norm > max_norm {
            params.scale_gradients(max_norm / norm);
        }
        self.inner.step(params)
    }

    fn commit_step(&mut self) {
        self.inner.commit_step();
    }

    fn discard_step(&mut self) {
        self.inner.discard_step();
    }

    fn learning_rate(&self) -> Option<f64> {
        self.inner.learning_rate()
    }

    fn set_learning_rate(&mut self, learning_rate: f64) -> Result<()> {
        self.inner.set_learning_rate(learning_rate)
    }

    /// The inner optimiser's state (clipping keeps none).
    fn state(&self) -> OptimizerState<T> {
        self.inner.state()
    }

    fn set_state(&mut self, state: OptimizerState<T>) -> Result<()> {
        self.inner.set_state(state)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{self, assert_close};
    use super::*;
    use crate::Sgd;

    fn update_norm(s: &testing::Step) -> f64 {
        let squares: f64 =
            s.before.iter().flatten().zip(s.after.iter().flatten()).map(|(a, b)| (a - b) * (a - b)).sum();
        squares.sqrt()
    }

    #[test]
    fn clipping_caps_the_global_norm_and_keeps_the_direction() {
        // With α = 1 the update is −g itself.
        let mut clipped = Clipped::new(Sgd::new(1.0).unwrap(), 0.01).unwrap();
        let mut net = testing::network();
        let s = testing::step(&mut net, &mut clipped);
        let norm = s.grads.iter().flatten().map(|g| g * g).sum::<f64>().sqrt();
        assert!(norm > 0.01, "the fixture's gradient must be large enough to clip: {norm}");
        assert_close(update_norm(&s), 0.01);
        for k in 0..2 {
            for i in 0..s.grads[k].len() {
                assert_close(s.after[k][i], s.before[k][i] - s.grads[k][i] * (0.01 / norm));
            }
        }
    }

    #[test]
    fn small_gradients_pass_unchanged() {
        let mut clipped = Clipped::new(Sgd::new(1.0).unwrap(), 100.0).unwrap();
        let mut net = testing::network();
        let clipped_step = testing::step(&mut net, &mut clipped);
        let mut net = testing::network();
        let plain_step = testing::step(&mut net, &mut Sgd::new(1.0).unwrap());
        assert_eq!(clipped_step.after, plain_step.after);
    }

    #[test]
    fn a_refused_step_is_discarded_by_the_inner_optimiser() {
        // AdamW's decoupled decay α·λ·w = 10³⁰⁰·10¹⁰·w overflows: the network refuses the
        // step, and the inner optimiser forgets the moments its first step sized.
        let adamw = crate::AdamW::new(1e300).unwrap().weight_decay(1e10).unwrap();
        let mut clipped = Clipped::new(adamw, 1.0).unwrap();
        let mut net = testing::network();
        testing::backprop(&mut net, &[1.0, -2.0], &[0.0, 1.0]);
        assert!(matches!(net.step_with(&mut clipped), Err(crate::Error::NonFiniteUpdate { .. })));
        assert_eq!(clipped.state(), OptimizerState::default());
    }

    #[test]
    fn the_wrapper_forwards_rate_and_state() {
        let mut clipped = Clipped::new(crate::Adam::new(0.01).unwrap(), 1.0).unwrap();
        assert_eq!(clipped.learning_rate(), Some(0.01));
        clipped.set_learning_rate(0.02).unwrap();
        assert_eq!(clipped.inner().learning_rate(), Some(0.02));
        testing::step(&mut testing::network(), &mut clipped);
        assert_eq!(clipped.state(), clipped.inner().state());
        assert_eq!(clipped.state().step, 1);
        assert_eq!(clipped.max_norm(), 1.0);
        clipped.inner_mut().reset();
        assert_eq!(clipped.into_inner().steps(), 0);
    }
}
