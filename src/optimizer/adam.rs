//! [`Adam`] and [`AdamW`]: adaptive moment estimation, with L2 or decoupled weight decay.

use super::state::{Memory, Range, Slots};
use super::{
    OptimizerState, Params, check_unit_interval, checked_epsilon, checked_learning_rate, checked_weight_decay,
    decay_for,
};
use crate::{Float, Optimizer, Result};

/// How weight decay enters the Adam update: the one difference between [`Adam`] and
/// [`AdamW`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Decay {
    /// L2: λw is added to the gradient, and so is rescaled by the moments ([`Adam`]).
    L2,
    /// Decoupled: the weights shrink by αλw outside the adaptive step ([`AdamW`]).
    Decoupled,
}

impl Decay {
    /// The weight decay λ a new optimiser starts with: 0 for L2, 0.01 for decoupled.
    fn default_weight_decay<T: Float>(self) -> T {
        match self {
            Decay::L2 => T::ZERO,
            Decay::Decoupled => T::from_f64(0.01),
        }
    }
}

/// The moments, step count and hyperparameters shared by [`Adam`] and [`AdamW`], and
/// everything both do: the two types are this, with their own [`Decay`].
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Moments<T> {
    // The hyperparameters and the memory are visible to the serde impls next door.
    pub(super) learning_rate: T,
    pub(super) beta1: T,
    pub(super) beta2: T,
    pub(super) epsilon: T,
    pub(super) weight_decay: T,
    decay: Decay,
    // The step count t and the moments m and v.
    pub(super) memory: Memory<T, 2>,
}

impl<T: Float> Moments<T> {
    /// Learning rate α, β₁ = 0.9, β₂ = 0.999, ε = 1e-8 and `decay`'s default λ.
    pub(super) fn new(learning_rate: T, decay: Decay) -> Result<Self> {
        Ok(Moments {
            learning_rate: checked_learning_rate(learning_rate)?,
            beta1: T::from_f64(0.9),
            beta2: T::from_f64(0.999),
            epsilon: T::from_f64(1e-8),
            weight_decay: decay.default_weight_decay(),
            decay,
            memory: Memory::new([
                Slots::new("first_moment", Range::Finite),
                Slots::new("second_moment", Range::NonNegative),
            ]),
        })
    }

    pub(super) fn set_betas(&mut self, beta1: T, beta2: T) -> Result<()> {
        check_unit_interval("beta1", beta1)?;
        check_unit_interval("beta2", beta2)?;
        (self.beta1, self.beta2) = (beta1, beta2);
        Ok(())
    }

    pub(super) fn set_epsilon(&mut self, epsilon: T) -> Result<()> {
        self.epsilon = checked_epsilon(epsilon)?;
        Ok(())
    }

    pub(super) fn set_weight_decay(&mut self, lambda: T) -> Result<()> {
        self.weight_decay = checked_weight_decay(lambda)?;
        Ok(())
    }

    /// t := t + 1; m := β₁m + (1 − β₁)g; v := β₂v + (1 − β₂)g²;
    /// m̂ = m/(1 − β₁ᵗ); v̂ = v/(1 − β₂ᵗ); θ := θ − α m̂/(√v̂ + ε), with weight decay
    /// as `decay` says.
    fn step(&mut self, params: &mut Params<'_, T>) -> Result<()> {
        self.memory.ensure(params)?;
        let (alpha, beta1, beta2, epsilon) = (self.learning_rate, self.beta1, self.beta2, self.epsilon);
        // β^t in f64 (t may exceed i32), then rounded to T once.
        let t = self.memory.steps().saturating_add(1) as f64;
        let correction1 = T::from_f64(1.0 - beta1.to_f64().powf(t));
        let correction2 = T::from_f64(1.0 - beta2.to_f64().powf(t));
        let (decay, weight_decay) = (self.decay, self.weight_decay);
        let [first, second] = self.memory.families_mut();
        params.for_each_rewrite(|p| {
            let lambda = decay_for(p.kind, weight_decay);
            let (l2, decoupled) = match decay {
                Decay::L2 => (lambda, T::ZERO),
                Decay::Decoupled => (T::ZERO, lambda),
            };
            let (m, m_next) = first.pair(p.id);
            let (v, v_next) = second.pair(p.id);
            let moments = m_next.iter_mut().zip(v_next).zip(m.iter().zip(v));
            for ((next, (&theta, &g)), ((m_next, v_next), (&m, &v))) in
                p.next.iter_mut().zip(p.value.iter().zip(p.grad)).zip(moments)
            {
                let g = g + l2 * theta;
                *m_next = beta1 * m + (T::ONE - beta1) * g;
                *v_next = beta2 * v + (T::ONE - beta2) * g * g;
                let m_hat = *m_next / correction1;
                let v_hat = *v_next / correction2;
                *next = theta - alpha * (m_hat / (v_hat.sqrt() + epsilon) + decoupled * theta);
            }
        });
        self.memory.check_pending()
    }
}

/// Writes the methods that [`Adam`] and [`AdamW`] share, alike but for the type's name:
/// each forwards to the [`Moments`] the type wraps, where the work is done. A macro
/// because two types cannot share inherent methods otherwise; `new` and `weight_decay`,
/// whose defaults and docs differ, are written out for each type, and `step_doc` is the
/// type's update in the docs of [`Optimizer::step`].
macro_rules! forward_to_moments {
    ($Adam:ident, $step_doc:literal) => {
        impl<T: Float> $Adam<T> {
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

            /// The number of steps taken, t.
            pub fn steps(&self) -> u64 {
                self.0.memory.steps()
            }

            /// Forgets the moments and the step count, e.g. to train another network.
            pub fn reset(&mut self) {
                self.0.memory.reset();
            }
        }

        impl<T: Float> Optimizer<T> for $Adam<T> {
            #[doc = $step_doc]
            ///
            /// # Errors
            /// [`Error::Incompatible`](crate::Error::Incompatible) if the moments were sized for a
            /// network with other tensor sizes.
            fn step(&mut self, params: &mut Params<'_, T>) -> Result<()> {
                self.0.step(params)
            }

            memory_methods!("`\"first_moment.{id}\"`, then `\"second_moment.{id}\"`", 0);
        }
    };
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
pub struct Adam<T>(pub(super) Moments<T>);

impl<T: Float> Adam<T> {
    /// Adam with learning rate α, β₁ = 0.9, β₂ = 0.999, ε = 1e-8 and no weight decay.
    ///
    /// ```
    /// use backprop::{Activation, Adam, Network};
    ///
    /// let mut net = Network::<f64>::builder(1).layer(1, Activation::Identity).build()?;
    /// let (w, b) = (net.layers()[0].weights()[(0, 0)], net.layers()[0].biases()[0]);
    /// net.forward(&[3.0])?;
    /// net.backward(&[100.0])?; // ∂C/∂w is 3 times ∂C/∂b
    /// net.step_with(&mut Adam::new(0.01)?)?;
    /// // Adam's first step moves every parameter by α, whatever its gradient's scale.
    /// assert!((net.layers()[0].weights()[(0, 0)] - w - 0.01).abs() < 1e-9);
    /// assert!((net.layers()[0].biases()[0] - b - 0.01).abs() < 1e-9);
    /// # Ok::<(), backprop::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`](crate::Error::InvalidHyperparameter) unless α is
    /// finite and > 0.
    pub fn new(learning_rate: T) -> Result<Self> {
        Ok(Adam(Moments::new(learning_rate, Decay::L2)?))
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
}

forward_to_moments!(Adam, "m := β₁m + (1 − β₁)g; v := β₂v + (1 − β₂)g²; θ := θ − α m̂/(√v̂ + ε).");

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
pub struct AdamW<T>(pub(super) Moments<T>);

impl<T: Float> AdamW<T> {
    /// AdamW with learning rate α, β₁ = 0.9, β₂ = 0.999, ε = 1e-8 and λ = 0.01.
    ///
    /// ```
    /// use backprop::{Activation, AdamW, Network};
    ///
    /// let mut plain = Network::<f64>::builder(2).layer(1, Activation::Sigmoid).build()?;
    /// let (mut decayed, w) = (plain.clone(), plain.layers()[0].weights().clone());
    /// for net in [&mut plain, &mut decayed] {
    ///     net.forward(&[1.0, 2.0])?;
    ///     net.backward(&[1.0])?;
    /// }
    /// plain.step_with(&mut AdamW::new(0.1)?.weight_decay(0.0)?)?;
    /// decayed.step_with(&mut AdamW::new(0.1)?)?; // λ = 0.01 unless set
    /// let (p, d) = (plain.layers()[0].weights(), decayed.layers()[0].weights());
    /// assert!((0..2).all(|j| (p[(0, j)] - d[(0, j)] - 0.1 * 0.01 * w[(0, j)]).abs() < 1e-12));
    /// # Ok::<(), backprop::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`](crate::Error::InvalidHyperparameter) unless α is
    /// finite and > 0.
    pub fn new(learning_rate: T) -> Result<Self> {
        Ok(AdamW(Moments::new(learning_rate, Decay::Decoupled)?))
    }

    /// Sets the decoupled weight decay λ: each step shrinks the weights by αλw
    /// (default 0.01).
    ///
    /// ```
    /// use backprop::{Activation, AdamW, Network};
    ///
    /// let mut plain = Network::<f64>::builder(2).layer(1, Activation::Sigmoid).build()?;
    /// let (mut decayed, w) = (plain.clone(), plain.layers()[0].weights().clone());
    /// for net in [&mut plain, &mut decayed] {
    ///     net.forward(&[1.0, 2.0])?;
    ///     net.backward(&[1.0])?;
    /// }
    /// plain.step_with(&mut AdamW::new(0.1)?.weight_decay(0.0)?)?;
    /// decayed.step_with(&mut AdamW::new(0.1)?.weight_decay(0.5)?)?;
    /// // Decoupled decay: each weight shrinks by exactly αλw more, not rescaled by v̂.
    /// let (p, d) = (plain.layers()[0].weights(), decayed.layers()[0].weights());
    /// assert!((0..2).all(|j| (p[(0, j)] - d[(0, j)] - 0.1 * 0.5 * w[(0, j)]).abs() < 1e-12));
    /// assert_eq!(plain.layers()[0].biases(), decayed.layers()[0].biases()); // biases never decay
    /// # Ok::<(), backprop::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`](crate::Error::InvalidHyperparameter) unless λ is
    /// finite and ≥ 0.
    pub fn weight_decay(mut self, lambda: T) -> Result<Self> {
        self.0.set_weight_decay(lambda)?;
        Ok(self)
    }
}

forward_to_moments!(AdamW, "m := β₁m + (1 − β₁)g; v := β₂v + (1 − β₂)g²; θ := θ − α (m̂/(√v̂ + ε) + λθ).");

#[cfg(test)]
mod tests {
    use super::super::testing::{self, assert_close};
    use super::*;
    use crate::Error;

    /// Two steps against the equations, with weight decay λ of the given form.
    fn check(optimizer: &mut impl Optimizer<f64>, lambda: f64, decay: Decay) {
        let (alpha, beta1, beta2, epsilon) = (0.01, 0.8, 0.99, 1e-6);
        let mut net = testing::network();
        let shape: Vec<Vec<f64>> = testing::values(&net).iter().map(|t| vec![0.0; t.len()]).collect();
        let (mut m, mut v) = (shape.clone(), shape);
        for t in 1..=2 {
            let s = testing::step(&mut net, optimizer);
            for k in 0..m.len() {
                let lambda = if k % 2 == 0 { lambda } else { 0.0 }; // weights only
                for i in 0..m[k].len() {
                    let theta = s.before[k][i];
                    let g = match decay {
                        Decay::L2 => s.grads[k][i] + lambda * theta,
                        Decay::Decoupled => s.grads[k][i],
                    };
                    m[k][i] = beta1 * m[k][i] + (1.0 - beta1) * g;
                    v[k][i] = beta2 * v[k][i] + (1.0 - beta2) * g * g;
                    let m_hat = m[k][i] / (1.0 - beta1.powi(t));
                    let v_hat = v[k][i] / (1.0 - beta2.powi(t));
                    let mut expected = theta - alpha * m_hat / (v_hat.sqrt() + epsilon);
                    if decay == Decay::Decoupled {
                        expected -= alpha * lambda * theta;
                    }
                    assert_close(s.after[k][i], expected);
                }
            }
        }
    }

    #[test]
    fn adam_two_steps_by_hand() {
        let mut adam = Adam::new(0.01).unwrap().betas(0.8, 0.99).unwrap().epsilon(1e-6).unwrap();
        check(&mut adam, 0.0, Decay::L2);
        assert_eq!(adam.steps(), 2);
        let mut adam = Adam::new(0.01).unwrap().betas(0.8, 0.99).unwrap().epsilon(1e-6).unwrap();
        check(&mut adam.clone().weight_decay(0.1).unwrap(), 0.1, Decay::L2);
        adam.reset();
        assert_eq!(adam.steps(), 0);
    }

    #[test]
    fn adam_first_step_moves_each_parameter_by_about_alpha() {
        // m̂ = g and v̂ = g² after one step, so θ moves by α g/(|g| + ε) ≈ α sign(g).
        let mut net = testing::network();
        let s = testing::step(&mut net, &mut Adam::new(0.01).unwrap());
        for k in 0..2 {
            for i in 0..s.grads[k].len() {
                let g = s.grads[k][i];
                assert_close(s.after[k][i], s.before[k][i] - 0.01 * g / (g.abs() + 1e-8));
            }
        }
    }

    #[test]
    fn adamw_two_steps_by_hand() {
        let mut adamw = AdamW::new(0.01).unwrap().betas(0.8, 0.99).unwrap().epsilon(1e-6).unwrap();
        check(&mut adamw, 0.01, Decay::Decoupled);
        let mut adamw = adamw.weight_decay(0.5).unwrap();
        adamw.reset();
        check(&mut adamw, 0.5, Decay::Decoupled);
    }

    /// AdamW forwards its step count and its learning rate to the Adam it wraps: t counts
    /// the steps, α is read and set (and a bad α refused) through the trait.
    #[test]
    fn adamw_counts_steps_and_sets_its_rate() {
        let mut adamw = AdamW::new(0.01).unwrap();
        assert_eq!(adamw.steps(), 0);
        let mut net = testing::network();
        testing::step(&mut net, &mut adamw);
        testing::step(&mut net, &mut adamw);
        assert_eq!(adamw.steps(), 2);
        assert_eq!(Optimizer::<f64>::learning_rate(&adamw), Some(0.01));
        Optimizer::<f64>::set_learning_rate(&mut adamw, 0.25).unwrap();
        assert_eq!(Optimizer::<f64>::learning_rate(&adamw), Some(0.25));
        assert!(matches!(
            Optimizer::<f64>::set_learning_rate(&mut adamw, -1.0),
            Err(Error::InvalidHyperparameter { .. })
        ));
        assert_eq!(Optimizer::<f64>::learning_rate(&adamw), Some(0.25), "a refused rate changes nothing");
    }

    #[test]
    fn weight_decay_shrinks_weights_only() {
        // Decoupled, with g = 0: m̂ = 0, so w := w − αλw exactly.
        let s = testing::zero_gradient_step(&mut AdamW::new(0.01).unwrap().weight_decay(0.5).unwrap());
        for (w0, w1) in s.before[0].iter().zip(&s.after[0]) {
            assert_eq!(*w1, w0 - 0.01 * (0.0 / (0.0f64.sqrt() + 1e-8) + 0.5 * w0));
        }
        assert_eq!(s.before[1], s.after[1]);
        // L2: g = λw, so each weight moves by about α towards 0.
        let s = testing::zero_gradient_step(&mut Adam::new(0.01).unwrap().weight_decay(0.5).unwrap());
        for (w0, w1) in s.before[0].iter().zip(&s.after[0]) {
            assert!(w1.abs() < w0.abs(), "{w0} → {w1}");
        }
        assert_eq!(s.before[1], s.after[1]);
    }

    #[test]
    fn another_network_is_an_error() {
        let mut adam = Adam::new(0.01).unwrap();
        testing::step(&mut testing::network(), &mut adam);
        let mut other = testing::deep_network();
        testing::backprop(&mut other, &[1.0, 2.0, 3.0], &[0.0, 1.0]);
        assert!(matches!(other.step_with(&mut adam), Err(Error::Incompatible { .. })));
        assert_eq!(adam.steps(), 1, "a failed step does not count");
    }

    #[test]
    fn state_names_its_buffers_and_restores_exactly() {
        let mut adam = Adam::new(0.01).unwrap();
        assert_eq!(adam.state(), OptimizerState::default(), "nothing before the first step");
        testing::step(&mut testing::network(), &mut adam);
        let state = adam.state();
        let names: Vec<&str> = state.buffers.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["first_moment.0", "first_moment.1", "second_moment.0", "second_moment.1"]);
        assert_eq!(state.step, 1);
        let mut restored = Adam::new(0.01).unwrap();
        restored.set_state(state.clone()).unwrap();
        assert_eq!(restored, adam);
        assert_eq!(restored.state(), state);

        let mut renamed = state.clone();
        renamed.buffers[2].0 = "second_moment.7".into();
        assert!(matches!(restored.set_state(renamed), Err(Error::Incompatible { .. })));
        let mut odd = state.clone();
        odd.buffers.pop();
        assert!(matches!(restored.set_state(odd), Err(Error::Incompatible { .. })));
        let mut short = state.clone();
        short.buffers[3].1.pop();
        assert!(matches!(restored.set_state(short), Err(Error::Incompatible { .. })));
        let mut nan = state.clone();
        nan.buffers[0].1[0] = f64::NAN;
        assert!(matches!(restored.set_state(nan), Err(Error::NonFinite { .. })));
        assert_eq!(restored, adam, "a rejected state changes nothing");
        restored.set_state(OptimizerState::default()).unwrap();
        assert_eq!(restored, Adam::new(0.01).unwrap(), "the empty state resets");
    }

    #[test]
    fn a_state_for_another_network_fails_on_the_next_step() {
        let mut adam = Adam::new(0.01).unwrap();
        testing::step(&mut testing::network(), &mut adam);
        let mut other_adam = Adam::new(0.01).unwrap();
        other_adam.set_state(adam.state()).unwrap();
        let mut other = testing::deep_network();
        testing::backprop(&mut other, &[1.0, 2.0, 3.0], &[0.0, 1.0]);
        assert!(matches!(other.step_with(&mut other_adam), Err(Error::Incompatible { .. })));
    }

    #[test]
    fn resumed_training_equals_uninterrupted_training_bit_for_bit() {
        fn check(make: impl Fn() -> Box<dyn Optimizer<f64>>) {
            let mut whole = testing::deep_network();
            let mut optimizer = make();
            testing::train(&mut whole, &mut *optimizer, 0..10);

            let mut first = testing::deep_network();
            let mut optimizer = make();
            testing::train(&mut first, &mut *optimizer, 0..4);
            let (checkpoint, state) = (first.clone(), optimizer.state());
            drop((first, optimizer));

            let mut resumed = checkpoint;
            let mut optimizer = make();
            optimizer.set_state(state).unwrap();
            testing::train(&mut resumed, &mut *optimizer, 4..10);
            testing::assert_bit_identical(&resumed, &whole);
        }
        check(|| Box::new(Adam::new(0.05).unwrap().weight_decay(1e-3).unwrap()));
        check(|| Box::new(AdamW::new(0.05).unwrap()));
        check(|| Box::new(crate::Momentum::new(0.3).unwrap().kind(crate::MomentumKind::Nesterov)));
        check(|| Box::new(crate::RmsProp::new(0.01).unwrap()));
        check(|| Box::new(crate::Clipped::new(Adam::new(0.05).unwrap(), 0.01).unwrap()));
    }
}
