//! [`Adam`] and [`AdamW`]: adaptive moment estimation, with L2 or decoupled weight decay.

use super::state::{self, Range, Slots};
use super::{OptimizerState, Params, check_non_negative, check_unit_interval, checked_learning_rate, decay_for};
use crate::error::check_positive;
use crate::{Float, Optimizer, Result};

/// How weight decay enters the Adam update.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Decay {
    /// L2: λw is added to the gradient, and so is rescaled by the moments ([`Adam`]).
    L2,
    /// Decoupled: the weights shrink by αλw outside the adaptive step ([`AdamW`]).
    Decoupled,
}

/// The moments, step count and hyperparameters shared by [`Adam`] and [`AdamW`].
#[derive(Clone, Debug, PartialEq)]
struct Moments<T> {
    learning_rate: T,
    beta1: T,
    beta2: T,
    epsilon: T,
    weight_decay: T,
    decay: Decay,
    step: u64,
    first: Slots<T>,
    second: Slots<T>,
}

impl<T: Float> Moments<T> {
    fn new(learning_rate: T, weight_decay: T, decay: Decay) -> Result<Self> {
        check_positive("learning rate", learning_rate)?;
        Ok(Moments {
            learning_rate,
            beta1: T::from_f64(0.9),
            beta2: T::from_f64(0.999),
            epsilon: T::from_f64(1e-8),
            weight_decay,
            decay,
            step: 0,
            first: Slots::new("first_moment", Range::Finite),
            second: Slots::new("second_moment", Range::NonNegative),
        })
    }

    fn set_betas(&mut self, beta1: T, beta2: T) -> Result<()> {
        check_unit_interval("beta1", beta1)?;
        check_unit_interval("beta2", beta2)?;
        (self.beta1, self.beta2) = (beta1, beta2);
        Ok(())
    }

    fn set_epsilon(&mut self, epsilon: T) -> Result<()> {
        check_positive("epsilon", epsilon)?;
        self.epsilon = epsilon;
        Ok(())
    }

    fn set_weight_decay(&mut self, lambda: T) -> Result<()> {
        check_non_negative("weight decay", lambda)?;
        self.weight_decay = lambda;
        Ok(())
    }

    fn reset(&mut self) {
        self.step = 0;
        self.first.clear();
        self.second.clear();
    }

    /// t := t + 1; m := β₁m + (1 − β₁)g; v := β₂v + (1 − β₂)g²;
    /// m̂ = m/(1 − β₁ᵗ); v̂ = v/(1 − β₂ᵗ); θ := θ − α m̂/(√v̂ + ε), with weight decay
    /// as `decay` says.
    fn step(&mut self, params: &mut Params<'_, T>) -> Result<()> {
        self.first.ensure(params)?;
        self.second.ensure(params)?;
        self.step = self.step.saturating_add(1);
        let (alpha, beta1, beta2, epsilon) = (self.learning_rate, self.beta1, self.beta2, self.epsilon);
        // β^t in f64 (t may exceed i32), then rounded to T once.
        let t = self.step as f64;
        let correction1 = T::from_f64(1.0 - beta1.to_f64().powf(t));
        let correction2 = T::from_f64(1.0 - beta2.to_f64().powf(t));
        let (first, second, decay) = (&mut self.first, &mut self.second, self.decay);
        params.for_each(|p| {
            let lambda = decay_for(p.kind, self.weight_decay);
            let (l2, decoupled) = match decay {
                Decay::L2 => (lambda, T::ZERO),
                Decay::Decoupled => (T::ZERO, lambda),
            };
            let m = first.get_mut(p.id);
            let v = second.get_mut(p.id);
            for (((theta, &g), m), v) in p.value.iter_mut().zip(p.grad).zip(m).zip(v) {
                let g = g + l2 * *theta;
                *m = beta1 * *m + (T::ONE - beta1) * g;
                *v = beta2 * *v + (T::ONE - beta2) * g * g;
                let m_hat = *m / correction1;
                let v_hat = *v / correction2;
                *theta -= alpha * (m_hat / (v_hat.sqrt() + epsilon) + decoupled * *theta);
            }
        });
        Ok(())
    }

    fn set_learning_rate(&mut self, learning_rate: f64) -> Result<()> {
        self.learning_rate = checked_learning_rate(learning_rate)?;
        Ok(())
    }

    fn state(&self) -> OptimizerState<T> {
        state::export(self.step, &[&self.first, &self.second])
    }

    fn set_state(&mut self, state: OptimizerState<T>) -> Result<()> {
        self.step = state::restore(state, &mut [&mut self.first, &mut self.second])?;
        Ok(())
    }
}

/// Adam: gradient descent on bias-corrected running moments of the gradient.
///
/// With g = ∂C/∂θ (+ λθ for weights, the L2 weight decay), step count t from 1:
///
/// m := β₁m + (1 − β₁)g; v := β₂v + (1 − β₂)g²;
/// m̂ = m/(1 − β₁ᵗ); v̂ = v/(1 − β₂ᵗ); θ := θ − α m̂/(√v̂ + ε).
///
/// The moments start at 0 and are sized on the first step. For weight decay that is not
/// rescaled by v̂, use [`AdamW`].
///
/// ```
/// use backprop::{Activation, Adam, Network};
///
/// let mut net = Network::<f64>::builder(2).layer(1, Activation::Sigmoid).seed(1).build()?;
/// let mut adam = Adam::new(0.001)?.betas(0.9, 0.999)?.epsilon(1e-8)?;
/// net.forward(&[0.0, 1.0])?;
/// net.backward(&[1.0])?;
/// net.step_with(&mut adam)?;
/// # Ok::<(), backprop::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Adam<T>(Moments<T>);

impl<T: Float> Adam<T> {
    /// Adam with learning rate α, β₁ = 0.9, β₂ = 0.999, ε = 1e-8 and no weight decay.
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`](crate::Error::InvalidHyperparameter) unless α is
    /// finite and > 0.
    pub fn new(learning_rate: T) -> Result<Self> {
        Ok(Adam(Moments::new(learning_rate, T::ZERO, Decay::L2)?))
    }

    /// Sets the decay rates β₁ of the first and β₂ of the second moment (defaults 0.9
    /// and 0.999).
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`](crate::Error::InvalidHyperparameter) unless both
    /// are in [0, 1).
    pub fn betas(mut self, beta1: T, beta2: T) -> Result<Self> {
        self.0.set_betas(beta1, beta2)?;
        Ok(self)
    }

    /// Sets ε, which keeps the division finite where v̂ is 0 (default 1e-8).
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`](crate::Error::InvalidHyperparameter) unless ε is
    /// finite and > 0.
    pub fn epsilon(mut self, epsilon: T) -> Result<Self> {
        self.0.set_epsilon(epsilon)?;
        Ok(self)
    }

    /// Sets the L2 weight decay λ, added to the weights' gradient as λw (default 0).
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`](crate::Error::InvalidHyperparameter) unless λ is
    /// finite and ≥ 0.
    pub fn weight_decay(mut self, lambda: T) -> Result<Self> {
        self.0.set_weight_decay(lambda)?;
        Ok(self)
    }

    /// The number of steps taken, t.
    pub fn steps(&self) -> u64 {
        self.0.step
    }

    /// Forgets the moments and the step count, e.g. to train another network.
    pub fn reset(&mut self) {
        self.0.reset();
    }
}

impl<T: Float> Optimizer<T> for Adam<T> {
    /// m := β₁m + (1 − β₁)g; v := β₂v + (1 − β₂)g²; θ := θ − α m̂/(√v̂ + ε).
    ///
    /// # Errors
    /// [`Error::Incompatible`](crate::Error::Incompatible) if the moments were sized for a
    /// network with other tensor sizes.
    fn step(&mut self, params: &mut Params<'_, T>) -> Result<()> {
        self.0.step(params)
    }

    fn learning_rate(&self) -> Option<f64> {
        Some(self.0.learning_rate.to_f64())
    }

    fn set_learning_rate(&mut self, learning_rate: f64) -> Result<()> {
        self.0.set_learning_rate(learning_rate)
    }

    /// The step count t and the buffers `"first_moment.{id}"`, then
    /// `"second_moment.{id}"`.
    fn state(&self) -> OptimizerState<T> {
        self.0.state()
    }

    fn set_state(&mut self, state: OptimizerState<T>) -> Result<()> {
        self.0.set_state(state)
    }
}

/// AdamW: [`Adam`] with decoupled weight decay (Loshchilov and Hutter), which shrinks the
/// weights directly instead of adding λw to the gradient, so that the decay is not
/// rescaled by v̂.
///
/// With g = ∂C/∂θ, step count t from 1, and λ applied to weights only:
///
/// m := β₁m + (1 − β₁)g; v := β₂v + (1 − β₂)g²;
/// m̂ = m/(1 − β₁ᵗ); v̂ = v/(1 − β₂ᵗ); θ := θ − α (m̂/(√v̂ + ε) + λθ).
///
/// ```
/// use backprop::{Activation, AdamW, Network};
///
/// let mut net = Network::<f64>::builder(2).layer(1, Activation::Sigmoid).seed(1).build()?;
/// let mut adamw = AdamW::new(0.001)?.weight_decay(0.01)?;
/// net.forward(&[0.0, 1.0])?;
/// net.backward(&[1.0])?;
/// net.step_with(&mut adamw)?;
/// # Ok::<(), backprop::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct AdamW<T>(Moments<T>);

impl<T: Float> AdamW<T> {
    /// AdamW with learning rate α, β₁ = 0.9, β₂ = 0.999, ε = 1e-8 and λ = 0.01.
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`](crate::Error::InvalidHyperparameter) unless α is
    /// finite and > 0.
    pub fn new(learning_rate: T) -> Result<Self> {
        Ok(AdamW(Moments::new(learning_rate, T::from_f64(0.01), Decay::Decoupled)?))
    }

    /// Sets the decay rates β₁ of the first and β₂ of the second moment (defaults 0.9
    /// and 0.999).
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`](crate::Error::InvalidHyperparameter) unless both
    /// are in [0, 1).
    pub fn betas(mut self, beta1: T, beta2: T) -> Result<Self> {
        self.0.set_betas(beta1, beta2)?;
        Ok(self)
    }

    /// Sets ε, which keeps the division finite where v̂ is 0 (default 1e-8).
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`](crate::Error::InvalidHyperparameter) unless ε is
    /// finite and > 0.
    pub fn epsilon(mut self, epsilon: T) -> Result<Self> {
        self.0.set_epsilon(epsilon)?;
        Ok(self)
    }

    /// Sets the decoupled weight decay λ: each step shrinks the weights by αλw
    /// (default 0.01).
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`](crate::Error::InvalidHyperparameter) unless λ is
    /// finite and ≥ 0.
    pub fn weight_decay(mut self, lambda: T) -> Result<Self> {
        self.0.set_weight_decay(lambda)?;
        Ok(self)
    }

    /// The number of steps taken, t.
    pub fn steps(&self) -> u64 {
        self.0.step
    }

    /// Forgets the moments and the step count, e.g. to train another network.
    pub fn reset(&mut self) {
        self.0.reset();
    }
}

impl<T: Float> Optimizer<T> for AdamW<T> {
    /// m := β₁m + (1 − β₁)g; v := β₂v + (1 − β₂)g²; θ := θ − α (m̂/(√v̂ + ε) + λθ).
    ///
    /// # Errors
    /// [`Error::Incompatible`](crate::Error::Incompatible) if the moments were sized for a
    /// network with other tensor sizes.
    fn step(&mut self, params: &mut Params<'_, T>) -> Result<()> {
        self.0.step(params)
    }

    fn learning_rate(&self) -> Option<f64> {
        Some(self.0.learning_rate.to_f64())
    }

    fn set_learning_rate(&mut self, learning_rate: f64) -> Result<()> {
        self.0.set_learning_rate(learning_rate)
    }

    /// The step count t and the buffers `"first_moment.{id}"`, then
    /// `"second_moment.{id}"`.
    fn state(&self) -> OptimizerState<T> {
        self.0.state()
    }

    fn set_state(&mut self, state: OptimizerState<T>) -> Result<()> {
        self.0.set_state(state)
    }
}
