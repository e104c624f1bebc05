//! [`Optimizer`]: the rule that turns the mean gradient into a parameter update, and
//! [`Params`], the view of a network's parameters and gradients an optimiser works on.
//!
//! The update rules live one per file: [`Sgd`] here, [`Momentum`], [`RmsProp`], [`Adam`]
//! and [`AdamW`]; [`Clipped`] clips the gradient by global norm before any of them;
//! [`Schedule`] changes the learning rate from epoch to epoch ([`ConstantRate`],
//! [`StepDecay`], [`ExponentialDecay`], [`CosineAnnealing`], [`ReduceOnPlateau`]); [`OptimizerState`] is what
//! a checkpoint saves of an optimiser.
//!
//! Weight decay, where an optimiser offers it, applies to the weights w(l) only, never to
//! the biases b(l): a bias shifts a neuron's input and does not make the function steeper,
//! so shrinking it towards 0 regularises nothing and only biases the fit.

/// The [`Optimizer`] methods that every optimiser with a learning rate and a
/// [`Memory`](state::Memory) (its step count and buffers) writes alike: commit or discard
/// the memory of the step just taken, get and set α, save and restore the state.
/// `$buffers` names the state's buffers for the docs; `$inner`, if given, is the field
/// that holds `learning_rate` and `memory` (Adam's `0`).
macro_rules! memory_methods {
    ($buffers:literal $(, $inner:tt)?) => {
        /// The memory of the step just taken (its buffers and step count) becomes current.
        fn commit_step(&mut self) {
            self$(.$inner)?.memory.commit();
        }

        fn discard_step(&mut self) {
            self$(.$inner)?.memory.discard();
        }

        fn learning_rate(&self) -> Option<f64> {
            Some(self$(.$inner)?.learning_rate.to_f64())
        }

        fn set_learning_rate(&mut self, learning_rate: f64) -> Result<()> {
            self$(.$inner)?.learning_rate = super::learning_rate_from_f64(learning_rate)?;
            Ok(())
        }

        #[doc = concat!("The step count and the buffers ", $buffers, ".")]
        fn state(&self) -> OptimizerState<T> {
            self$(.$inner)?.memory.state()
        }

        fn set_state(&mut self, state: OptimizerState<T>) -> Result<()> {
            self$(.$inner)?.memory.set_state(state)
        }
    };
}

mod adam;
mod clip;
mod momentum;
mod rmsprop;
mod schedule;
#[cfg(feature = "serde")]
mod serde_impls;
mod state;
#[cfg(test)]
mod testing;

pub use adam::{Adam, AdamW};
pub use clip::Clipped;
pub use momentum::{Momentum, MomentumKind};
pub use rmsprop::RmsProp;
pub use schedule::{ConstantRate, CosineAnnealing, ExponentialDecay, Goal, ReduceOnPlateau, Schedule, StepDecay};
pub use state::OptimizerState;

use crate::error::{Error, check_positive};
use crate::kernels;
use crate::layer::Layer;
use crate::{Float, Result};
use state::Slots;

/// Which tensor of a layer a parameter slice is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ParamKind {
    /// The weights w(l), N(l)×N(l−1) in row-major order.
    Weights,
    /// The biases b(l).
    Biases,
}

/// One parameter tensor with its mean gradient, as handed to an optimiser.
///
/// Made by the crate only, and `#[non_exhaustive]`, so that a later version may tell an
/// optimiser more about the tensor.
#[derive(Debug)]
#[non_exhaustive]
pub struct Param<'a, T> {
    /// The position of this tensor in the fixed visiting order (layer 0 weights, layer 0
    /// biases, layer 1 weights, …): optimisers index their state by it.
    pub id: usize,
    /// The layer l the tensor belongs to.
    pub layer: usize,
    /// Weights or biases.
    pub kind: ParamKind,
    /// The parameter values, to be updated in place: a staged copy, which the network
    /// applies only if every value in it is finite when the step ends.
    pub value: &'a mut [T],
    /// ∂C/∂(value): the mean gradient over the samples accumulated since the last step.
    pub grad: &'a [T],
}

/// The parameters and mean gradients of every layer of a network, lent to an
/// [`Optimizer`] for one step.
///
/// What the optimiser writes is staged: the network applies it only once every new value
/// is known to be finite (see [`Optimizer`]).
#[derive(Debug)]
pub struct Params<'a, T> {
    layers: &'a mut [Layer<T>],
    access: Access,
}

/// Where [`Params`] lends the parameters from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Access {
    /// The parameters themselves, for changes that are not an update step (restoring a
    /// snapshot, a gradient check's nudges).
    Direct,
    /// Each layer's update buffers: an update step, applied only if every value is finite.
    Staged,
}

/// One tensor lent for an update written out of place, the built-in optimisers' form of
/// [`Param`]: read `value`, write every element of `next` (the new θ).
pub(crate) struct Rewrite<'a, T> {
    pub(crate) id: usize,
    pub(crate) kind: ParamKind,
    pub(crate) value: &'a [T],
    pub(crate) grad: &'a [T],
    pub(crate) next: &'a mut [T],
}

impl<'a, T: Float> Params<'a, T> {
    /// The parameters of `layers` for an update step (see [`Optimizer`]).
    pub(crate) fn new(layers: &'a mut [Layer<T>]) -> Self {
        Params { layers, access: Access::Staged }
    }

    /// The parameters of `layers` themselves, for changes that are not an update step.
    pub(crate) fn direct(layers: &'a mut [Layer<T>]) -> Self {
        Params { layers, access: Access::Direct }
    }

    /// The number of parameter tensors (two per layer).
    #[must_use]
    pub fn len(&self) -> usize {
        2 * self.layers.len()
    }

    /// `true` if there is no tensor (never the case for a built network).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.layers.is_empty()
    }

    /// The number of elements of each tensor, in visiting order (to size optimiser state).
    pub fn sizes(&self) -> impl Iterator<Item = usize> + '_ {
        self.layers.iter().flat_map(|l| [l.n_outputs() * l.n_inputs(), l.n_outputs()])
    }

    /// Calls `f` on every tensor in visiting order.
    ///
    /// In an update step each tensor's values are a copy, which the network applies only
    /// if every value is finite when the step ends.
    pub fn for_each(&mut self, mut f: impl FnMut(Param<'_, T>)) {
        for (l, layer) in self.layers.iter_mut().enumerate() {
            let (w, b, gw, gb) = match self.access {
                Access::Direct => layer.parameters_and_gradients(),
                Access::Staged => layer.update_in_place(),
            };
            f(Param { id: 2 * l, layer: l, kind: ParamKind::Weights, value: w, grad: gw });
            f(Param { id: 2 * l + 1, layer: l, kind: ParamKind::Biases, value: b, grad: gb });
        }
    }

    /// Calls `f` on every tensor in visiting order, for an update written out of place
    /// into the network's update buffers (no copy of the parameters is made first).
    pub(crate) fn for_each_rewrite(&mut self, mut f: impl FnMut(Rewrite<'_, T>)) {
        debug_assert_eq!(self.access, Access::Staged, "an update step lends the update buffers");
        let mut scratch = Vec::new();
        for (l, layer) in self.layers.iter_mut().enumerate() {
            let r = layer.rewrite(&mut scratch);
            let (weights, biases) = (r.weight_gradients, r.bias_gradients);
            f(Rewrite { id: 2 * l, kind: ParamKind::Weights, value: r.weights, grad: weights, next: r.next_weights });
            f(Rewrite { id: 2 * l + 1, kind: ParamKind::Biases, value: r.biases, grad: biases, next: r.next_biases });
        }
    }

    /// ‖∇C‖₂, the Euclidean norm of all gradients together (for clipping by global norm).
    #[must_use]
    pub fn gradient_norm(&self) -> T {
        let mut sum = T::ZERO;
        for layer in self.layers.iter() {
            let g = layer.gradient_sum();
            sum += kernels::dot(g.weights.as_slice(), g.weights.as_slice());
            sum += kernels::dot(&g.biases, &g.biases);
        }
        sum.sqrt()
    }

    /// Multiplies every gradient by `factor` (e.g. to clip them to a maximum norm).
    pub fn scale_gradients(&mut self, factor: T) {
        for layer in self.layers.iter_mut() {
            layer.scale_gradients(factor);
        }
    }
}

/// An update rule: given the mean gradient ∂C/∂θ of every parameter θ, move θ.
///
/// [`Network::step_with`](crate::Network::step_with) calls [`step`](Self::step) once per
/// mini-batch. Implement it to write an optimiser of your own; state such as momentum
/// lives in the optimiser, indexed by [`Param::id`].
///
/// # An update is all or nothing
/// A network never holds a NaN or an infinity, and neither does an optimiser's state: an
/// update that would put one there is refused with [`Error::NonFiniteUpdate`], and
/// everything stays bit for bit as it was. So each step is a transaction:
///
/// 1. [`step`](Self::step) writes the new parameters into the [`Params`] it is lent,
///    which are a staged copy, and computes its own new state (a velocity, moments, a step
///    count) without yet replacing the current one;
/// 2. the network checks every staged parameter;
/// 3. if `step` returned `Ok` and every value is finite, the network applies the staged
///    parameters and calls [`commit_step`](Self::commit_step), where the new state
///    replaces the old; otherwise it drops them and calls
///    [`discard_step`](Self::discard_step), where the new state is forgotten.
///
/// `step` checks its own new state: if a value of it is NaN or infinite, it returns
/// [`Error::NonFiniteUpdate`] with `what: "optimiser state"`. A stateless optimiser needs
/// neither `commit_step` nor `discard_step` (both do nothing by default); one with state
/// that overrides neither breaks the promise for its state, though not for the network's.
/// The built-in optimisers keep two buffers of each kind and swap them on commit, and
/// write the new parameters straight into the network's update buffers: no copy, and no
/// allocation after the first step. [`Params::for_each`] lends a copy of the parameters
/// instead, made once per step: one extra pass over them, the price of updating in place.
///
/// ```
/// use backprop::{Activation, Error, Network, Optimizer, Params, Result};
///
/// /// Gradient descent with a step count that is part of the state.
/// struct CountingSgd {
///     learning_rate: f64,
///     steps: u64,
///     pending: u64,
/// }
///
/// impl Optimizer<f64> for CountingSgd {
///     fn step(&mut self, params: &mut Params<'_, f64>) -> Result<()> {
///         params.for_each(|p| {
///             for (theta, g) in p.value.iter_mut().zip(p.grad) {
///                 *theta -= self.learning_rate * g;
///             }
///         });
///         self.pending = self.steps + 1; // not yet the count: the update may be refused
///         Ok(())
///     }
///     fn commit_step(&mut self) {
///         self.steps = self.pending;
///     }
/// }
///
/// let mut net = Network::<f64>::builder(1).layer(1, Activation::Identity).seed(1).build()?;
/// let mut sgd = CountingSgd { learning_rate: 0.1, steps: 0, pending: 0 };
/// net.forward(&[1.0])?;
/// net.backward(&[2.0])?;
/// net.step_with(&mut sgd)?;
/// assert_eq!(sgd.steps, 1);
///
/// // A rate so large that the weights would overflow: refused, nothing changes.
/// sgd.learning_rate = 1e308;
/// let before = net.clone();
/// net.forward(&[1e10])?;
/// net.backward(&[-1e10])?;
/// assert!(matches!(net.step_with(&mut sgd), Err(Error::NonFiniteUpdate { .. })));
/// assert_eq!(sgd.steps, 1);
/// assert_eq!(net.layers()[0].weights(), before.layers()[0].weights());
/// # Ok::<(), backprop::Error>(())
/// ```
pub trait Optimizer<T: Float> {
    /// Computes one update: writes the new value of every parameter into `params` and
    /// keeps its own new state pending (see the [transaction](Self#an-update-is-all-or-nothing)).
    ///
    /// # Errors
    /// Whatever the optimiser finds wrong (e.g. state sized for another network);
    /// [`Error::NonFiniteUpdate`] if its new state holds NaN or an infinity. The network
    /// then applies nothing and calls [`discard_step`](Self::discard_step).
    fn step(&mut self, params: &mut Params<'_, T>) -> Result<()>;

    /// Makes the state computed by the last [`step`](Self::step) the current one: the
    /// network has applied that step's parameters. Does nothing by default.
    fn commit_step(&mut self) {}

    /// Forgets the state computed by the last [`step`](Self::step): the network refused
    /// that step (or `step` failed), and the optimiser's state must be as before it. Does
    /// nothing by default.
    fn discard_step(&mut self) {}

    /// The learning rate α, if the optimiser has one (`None` by default).
    fn learning_rate(&self) -> Option<f64> {
        None
    }

    /// Sets the learning rate α, e.g. from a [`Schedule`] once per epoch.
    ///
    /// ```
    /// use backprop::{Adam, Optimizer, Params};
    ///
    /// let mut adam = Adam::<f64>::new(0.01)?;
    /// adam.set_learning_rate(0.001)?;
    /// assert_eq!(adam.learning_rate(), Some(0.001));
    /// assert!(adam.set_learning_rate(-1.0).is_err());
    ///
    /// /// An optimiser without a learning rate keeps the default methods.
    /// struct Frozen;
    /// impl Optimizer<f64> for Frozen {
    ///     fn step(&mut self, _params: &mut Params<'_, f64>) -> backprop::Result<()> {
    ///         Ok(())
    ///     }
    /// }
    /// assert!(Frozen.set_learning_rate(0.1).is_err());
    /// # Ok::<(), backprop::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`] unless α is finite and > 0; by default
    /// [`Error::Incompatible`], for an optimiser without a learning rate.
    fn set_learning_rate(&mut self, learning_rate: f64) -> Result<()> {
        let _ = learning_rate;
        Err(Error::Incompatible { reason: "this optimiser has no learning rate to set".into() })
    }

    /// The learning rate α if this optimiser's [`step`](Self::step) is exactly plain
    /// gradient descent, θ := θ − α ∂C/∂θ for every weight and bias, with no state and
    /// nothing else; `None` by default.
    ///
    /// [`Trainer::fit`](crate::Trainer::fit) then takes the fused step of
    /// [`Network::train_batch`](crate::Network::train_batch), which adds −(α/m)·δ·aᵀ to
    /// the weights inside BP3 and BP4 instead of forming the mean gradient first: the same
    /// update, one pass over the weights instead of several, but rounded differently from
    /// [`Network::step_with`](crate::Network::step_with). [`Sgd`] without weight decay
    /// returns its α; an optimiser that transforms the gradient (clipping, decay, moments)
    /// must return `None`.
    fn plain_descent_rate(&self) -> Option<T> {
        None
    }

    /// A copy of the optimiser's state (step count, moments, velocities) for a
    /// checkpoint; empty by default, for a stateless optimiser.
    ///
    /// ```
    /// use backprop::{Activation, Momentum, Network, Optimizer};
    ///
    /// let mut net = Network::<f64>::builder(2).layer(1, Activation::Sigmoid).build()?;
    /// let mut momentum = Momentum::new(0.1)?;
    /// assert_eq!(momentum.state().step, 0); // no velocity before the first step
    /// net.forward(&[1.0, 0.0])?;
    /// net.backward(&[1.0])?;
    /// net.step_with(&mut momentum)?;
    /// let state = momentum.state();
    /// assert_eq!(state.step, 1);
    /// let mut copy = Momentum::new(0.1)?; // the same hyperparameters
    /// copy.set_state(state)?;
    /// assert_eq!(copy, momentum);
    /// # Ok::<(), backprop::Error>(())
    /// ```
    fn state(&self) -> OptimizerState<T> {
        OptimizerState::default()
    }

    /// Restores a state taken by [`state`](Self::state), so that training resumes exactly
    /// where it stopped. The hyperparameters are not part of the state: set them as they
    /// were. The buffers' sizes are checked against the network on the next step.
    ///
    /// # Errors
    /// [`Error::Incompatible`] if the state's buffers are not the ones this optimiser
    /// keeps (by default: any buffer or step count at all); [`Error::NonFinite`] if one
    /// holds NaN or an infinity.
    fn set_state(&mut self, state: OptimizerState<T>) -> Result<()> {
        if state.buffers.is_empty() && state.step == 0 {
            Ok(())
        } else {
            Err(Error::Incompatible { reason: "this optimiser keeps no state to restore".into() })
        }
    }
}

/// `impl Optimizer<T>` for a pointer to an optimiser, every method forwarded to it.
macro_rules! forward_optimizer {
    ($(#[$doc:meta])* $pointer:ty) => {
        $(#[$doc])*
        impl<T: Float, O: Optimizer<T> + ?Sized> Optimizer<T> for $pointer {
            fn step(&mut self, params: &mut Params<'_, T>) -> Result<()> {
                (**self).step(params)
            }
            fn commit_step(&mut self) {
                (**self).commit_step();
            }
            fn discard_step(&mut self) {
                (**self).discard_step();
            }
            fn learning_rate(&self) -> Option<f64> {
                (**self).learning_rate()
            }
            fn set_learning_rate(&mut self, learning_rate: f64) -> Result<()> {
                (**self).set_learning_rate(learning_rate)
            }
            fn plain_descent_rate(&self) -> Option<T> {
                (**self).plain_descent_rate()
            }
            fn state(&self) -> OptimizerState<T> {
                (**self).state()
            }
            fn set_state(&mut self, state: OptimizerState<T>) -> Result<()> {
                (**self).set_state(state)
            }
        }
    };
}

forward_optimizer! {
    /// A borrowed optimiser is an optimiser, so that `&mut dyn Optimizer<T>` (or `&mut adam`,
    /// to keep using it after training) can go wherever an optimiser is taken by value.
    &mut O
}

forward_optimizer! {
    /// A boxed optimiser is an optimiser, so that one chosen at run time
    /// (`Box<dyn Optimizer<T>>`) can go wherever an optimiser is taken by value.
    Box<O>
}

/// Plain gradient descent, the classic update step: θ := θ − α ∂C/∂θ.
///
/// With L2 weight decay λ (weights only): w := w − α (∂C/∂w + λw).
///
/// ```
/// use backprop::{Activation, Network, Sgd};
///
/// let mut net = Network::<f64>::builder(2).layer(1, Activation::Sigmoid).seed(1).build()?;
/// let mut sgd = Sgd::new(0.5)?.weight_decay(1e-4)?;
/// net.forward(&[0.0, 1.0])?;
/// net.backward(&[1.0])?;
/// net.step_with(&mut sgd)?;
/// # Ok::<(), backprop::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sgd<T> {
    learning_rate: T,
    weight_decay: T,
}

impl<T: Float> Sgd<T> {
    /// Gradient descent with learning rate α and no weight decay.
    ///
    /// ```
    /// use backprop::{Activation, Network, Sgd};
    ///
    /// let mut a = Network::<f64>::builder(2).layer(2, Activation::Tanh).layer(1, Activation::Sigmoid).build()?;
    /// let mut b = a.clone();
    /// for net in [&mut a, &mut b] {
    ///     net.forward(&[0.5, -0.5])?;
    ///     net.backward(&[1.0])?;
    /// }
    /// a.step(0.3)?;
    /// b.step_with(&mut Sgd::new(0.3)?)?; // the same update as `step`
    /// assert_eq!(a.layers()[0].weights(), b.layers()[0].weights());
    /// assert!(Sgd::<f64>::new(0.0).is_err());
    /// # Ok::<(), backprop::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`](crate::Error::InvalidHyperparameter) unless α is
    /// finite and > 0.
    pub fn new(learning_rate: T) -> Result<Self> {
        Ok(Sgd { learning_rate: checked_learning_rate(learning_rate)?, weight_decay: T::ZERO })
    }

    /// Sets the L2 weight decay λ, added to the weights' gradient as λw (default 0).
    ///
    /// ```
    /// use backprop::{Activation, Network, Sgd};
    ///
    /// let mut plain = Network::<f64>::builder(2).layer(1, Activation::Sigmoid).build()?;
    /// let (mut decayed, w) = (plain.clone(), plain.layers()[0].weights().clone());
    /// for net in [&mut plain, &mut decayed] {
    ///     net.forward(&[1.0, 2.0])?;
    ///     net.backward(&[1.0])?;
    /// }
    /// plain.step_with(&mut Sgd::new(0.1)?)?;
    /// decayed.step_with(&mut Sgd::new(0.1)?.weight_decay(0.5)?)?;
    /// // The decay pulls each weight towards 0 by αλw more.
    /// let (p, d) = (plain.layers()[0].weights(), decayed.layers()[0].weights());
    /// assert!((0..2).all(|j| (p[(0, j)] - d[(0, j)] - 0.1 * 0.5 * w[(0, j)]).abs() < 1e-12));
    /// # Ok::<(), backprop::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`] unless λ is finite and ≥ 0.
    pub fn weight_decay(mut self, lambda: T) -> Result<Self> {
        self.weight_decay = checked_weight_decay(lambda)?;
        Ok(self)
    }
}

impl<T: Float> Optimizer<T> for Sgd<T> {
    /// The update step: w := w − α (∂C/∂w + λw), b := b − α ∂C/∂b.
    fn step(&mut self, params: &mut Params<'_, T>) -> Result<()> {
        let alpha = self.learning_rate;
        let lambda = self.weight_decay;
        params.for_each_rewrite(|p| {
            // w − α(g + λw) = (1 − αλ)w − αg
            let shrink = T::ONE - alpha * decay_for(p.kind, lambda);
            for (next, (&theta, &g)) in p.next.iter_mut().zip(p.value.iter().zip(p.grad)) {
                *next = shrink * theta - alpha * g;
            }
        });
        Ok(())
    }

    fn learning_rate(&self) -> Option<f64> {
        Some(self.learning_rate.to_f64())
    }

    fn set_learning_rate(&mut self, learning_rate: f64) -> Result<()> {
        self.learning_rate = learning_rate_from_f64(learning_rate)?;
        Ok(())
    }

    /// α when there is no weight decay: then the step is plain gradient descent.
    fn plain_descent_rate(&self) -> Option<T> {
        (self.weight_decay == T::ZERO).then_some(self.learning_rate)
    }
}

/// The weight decay λ for a tensor of this kind: λ for weights, 0 for biases.
fn decay_for<T: Float>(kind: ParamKind, lambda: T) -> T {
    match kind {
        ParamKind::Weights => lambda,
        ParamKind::Biases => T::ZERO,
    }
}

/// The update loop of an optimiser with L2 weight decay λ and one buffer s per parameter
/// (Momentum's velocity, RMSProp's mean square): for every element of every tensor,
///
/// (θ′, s′) = `update`(θ, g + λθ, s), with λ for the weights and 0 for the biases,
///
/// θ′ written to the staged parameters and s′ to `buffer`'s pending buffer.
fn rewrite_with_l2<T: Float>(
    params: &mut Params<'_, T>,
    weight_decay: T,
    buffer: &mut Slots<T>,
    update: impl Fn(T, T, T) -> (T, T),
) {
    params.for_each_rewrite(|p| {
        let lambda = decay_for(p.kind, weight_decay);
        let (s, s_next) = buffer.pair(p.id);
        for ((next, s_next), ((&theta, &g), &s)) in p.next.iter_mut().zip(s_next).zip(p.value.iter().zip(p.grad).zip(s))
        {
            (*next, *s_next) = update(theta, g + lambda * theta, s);
        }
    });
}

// The rule for each hyperparameter that several optimisers share, written once: the
// setters store what these return.

/// Checks a learning rate α: finite and > 0.
fn checked_learning_rate<T: Float>(alpha: T) -> Result<T> {
    check_positive("learning rate", alpha)?;
    Ok(alpha)
}

/// Checks a learning rate set at run time (as `f64`) and converts it.
fn learning_rate_from_f64<T: Float>(learning_rate: f64) -> Result<T> {
    let alpha = T::from_f64(learning_rate);
    // The conversion can round a tiny f64 to 0 or a huge one to ∞ in f32: check after it.
    if alpha.is_finite() && alpha > T::ZERO {
        Ok(alpha)
    } else {
        Err(Error::InvalidHyperparameter { name: "learning rate", rule: "finite and > 0", value: learning_rate })
    }
}

/// Checks a weight decay λ: finite and ≥ 0.
fn checked_weight_decay<T: Float>(lambda: T) -> Result<T> {
    check_non_negative("weight decay", lambda)?;
    Ok(lambda)
}

/// Checks ε, which keeps a division by a root mean square finite: finite and > 0.
fn checked_epsilon<T: Float>(epsilon: T) -> Result<T> {
    check_positive("epsilon", epsilon)?;
    Ok(epsilon)
}

/// Checks that a hyperparameter is finite and ≥ 0.
fn check_non_negative<T: Float>(name: &'static str, value: T) -> Result<()> {
    if value.is_finite() && value >= T::ZERO {
        Ok(())
    } else {
        Err(Error::InvalidHyperparameter { name, rule: "finite and ≥ 0", value: value.to_f64() })
    }
}

/// Checks that a hyperparameter (a decay rate such as μ, ρ or β) lies in [0, 1).
fn check_unit_interval<T: Float>(name: &'static str, value: T) -> Result<()> {
    if value >= T::ZERO && value < T::ONE {
        Ok(())
    } else {
        Err(Error::InvalidHyperparameter { name, rule: "in [0, 1)", value: value.to_f64() })
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{self, assert_close, message};
    use super::*;

    #[test]
    fn only_plain_descent_offers_a_rate_for_the_fused_step() {
        let mut sgd = Sgd::new(0.25).unwrap();
        assert_eq!(sgd.plain_descent_rate(), Some(0.25));
        sgd.set_learning_rate(0.125).unwrap();
        assert_eq!(sgd.plain_descent_rate(), Some(0.125), "the rate a schedule set");
        assert_eq!(Optimizer::<f64>::plain_descent_rate(&&mut sgd), Some(0.125), "borrowed");
        assert_eq!(Box::new(sgd).plain_descent_rate(), Some(0.125), "boxed");
        assert_eq!(Sgd::new(0.25).unwrap().weight_decay(1e-3).unwrap().plain_descent_rate(), None);
        assert_eq!(Clipped::new(sgd, 1.0).unwrap().plain_descent_rate(), None, "clipping changes the gradient");
        assert_eq!(Momentum::<f64>::new(0.25).unwrap().plain_descent_rate(), None);
        assert_eq!(RmsProp::<f64>::new(0.25).unwrap().plain_descent_rate(), None);
        assert_eq!(Adam::<f64>::new(0.25).unwrap().plain_descent_rate(), None);
        assert_eq!(AdamW::<f64>::new(0.25).unwrap().plain_descent_rate(), None);
    }

    #[test]
    fn sgd_steps_against_the_gradient() {
        let mut net = testing::network();
        let s = testing::step(&mut net, &mut Sgd::new(0.5).unwrap());
        for ((before, g), after) in s.before.iter().zip(&s.grads).zip(&s.after) {
            for ((theta, g), found) in before.iter().zip(g).zip(after) {
                assert_close(*found, theta - 0.5 * g);
            }
        }
    }

    #[test]
    fn sgd_weight_decay_shrinks_weights_only() {
        let mut sgd = Sgd::new(0.5).unwrap().weight_decay(0.1).unwrap();
        let s = testing::zero_gradient_step(&mut sgd);
        for (w0, w1) in s.before[0].iter().zip(&s.after[0]) {
            assert_close(*w1, 0.95 * w0);
        }
        assert_eq!(s.before[1], s.after[1], "biases do not decay");
        // With a gradient too: w := w − α(g + λw).
        let mut net = testing::network();
        let s = testing::step(&mut net, &mut sgd);
        for ((w, g), found) in s.before[0].iter().zip(&s.grads[0]).zip(&s.after[0]) {
            assert_close(*found, w - 0.5 * (g + 0.1 * w));
        }
    }

    #[test]
    fn sgd_learning_rate_can_be_set() {
        let mut sgd = Sgd::new(0.5f32).unwrap();
        assert_eq!(Optimizer::learning_rate(&sgd), Some(0.5));
        sgd.set_learning_rate(0.25).unwrap();
        assert_eq!(sgd.learning_rate(), Some(0.25));
        assert_eq!(message(sgd.set_learning_rate(0.0)), "learning rate must be finite and > 0, got 0");
        // Rounds to 0 in f32.
        assert!(sgd.set_learning_rate(1e-60).is_err());
        assert!(sgd.set_learning_rate(f64::NAN).is_err());
        assert_eq!(sgd.learning_rate(), Some(0.25), "a rejected rate changes nothing");
    }

    #[test]
    fn stateless_optimisers_have_an_empty_state() {
        let mut sgd = Sgd::new(0.5).unwrap();
        assert_eq!(sgd.state(), OptimizerState::default());
        assert!(sgd.set_state(OptimizerState::default()).is_ok());
        let state = OptimizerState { step: 3, buffers: vec![("velocity.0".to_string(), vec![1.0])] };
        assert!(matches!(sgd.set_state(state), Err(Error::Incompatible { .. })));
        // A step count alone, or buffers alone, are state too.
        assert!(sgd.set_state(OptimizerState { step: 3, buffers: Vec::new() }).is_err());
        let buffers = vec![("velocity.0".to_string(), vec![1.0])];
        assert!(sgd.set_state(OptimizerState { step: 0, buffers }).is_err());
    }

    #[test]
    fn invalid_hyperparameters_are_errors_that_state_the_rule() {
        assert_eq!(message(Sgd::new(-1.0)), "learning rate must be finite and > 0, got -1");
        assert_eq!(message(Sgd::new(0.1).unwrap().weight_decay(-0.5)), "weight decay must be finite and ≥ 0, got -0.5");
        assert!(Sgd::new(0.1).unwrap().weight_decay(f64::INFINITY).is_err());
        assert_eq!(message(Momentum::new(0.1).unwrap().momentum(1.5)), "momentum must be in [0, 1), got 1.5");
        assert!(Momentum::new(0.1).unwrap().momentum(1.0).is_err());
        assert!(Momentum::new(0.1).unwrap().momentum(-0.1).is_err());
        assert!(Momentum::new(0.1).unwrap().momentum(f64::NAN).is_err());
        assert!(Momentum::new(f64::NAN).is_err());
        assert!(Momentum::new(0.1).unwrap().weight_decay(-1.0).is_err());
        assert!(RmsProp::new(0.0).is_err());
        assert_eq!(message(RmsProp::new(0.1).unwrap().rho(1.0)), "rho must be in [0, 1), got 1");
        assert_eq!(message(RmsProp::new(0.1).unwrap().epsilon(0.0)), "epsilon must be finite and > 0, got 0");
        assert!(RmsProp::new(0.1).unwrap().weight_decay(f64::NAN).is_err());
        assert!(Adam::new(f64::INFINITY).is_err());
        assert_eq!(message(Adam::new(0.1).unwrap().betas(0.9, 1.0)), "beta2 must be in [0, 1), got 1");
        assert_eq!(message(Adam::new(0.1).unwrap().betas(-0.1, 0.9)), "beta1 must be in [0, 1), got -0.1");
        assert!(Adam::new(0.1).unwrap().epsilon(-1e-8).is_err());
        assert!(Adam::new(0.1).unwrap().weight_decay(-1e-2).is_err());
        assert!(AdamW::new(-0.1).is_err());
        assert!(AdamW::new(0.1).unwrap().betas(1.5, 0.9).is_err());
        assert!(AdamW::new(0.1).unwrap().epsilon(f64::NAN).is_err());
        assert!(AdamW::new(0.1).unwrap().weight_decay(-0.01).is_err());
        assert_eq!(message(Clipped::new(Sgd::new(0.1).unwrap(), 0.0)), "max norm must be finite and > 0, got 0");
        assert!(Clipped::new(Sgd::new(0.1).unwrap(), f64::INFINITY).is_err());
        assert_eq!(message(StepDecay::new(0, 0.5)), "step decay period must be ≥ 1, got 0");
        assert_eq!(message(StepDecay::new(10, 1.5)), "gamma must be in (0, 1], got 1.5");
        assert!(StepDecay::new(10, 0.0).is_err());
        assert!(ExponentialDecay::new(f64::NAN).is_err());
        assert!(ExponentialDecay::new(-0.5).is_err());
        assert!(CosineAnnealing::new(0, 0.0).is_err());
        assert!(CosineAnnealing::new(10, -1e-3).is_err());
        assert_eq!(message(ReduceOnPlateau::new(1.0, 3)), "reduction factor must be in (0, 1), got 1");
        assert!(ReduceOnPlateau::new(f64::NAN, 3).is_err());
        assert!(ReduceOnPlateau::new(0.5, 3).unwrap().threshold(-1.0).is_err());
        assert!(ReduceOnPlateau::new(0.5, 3).unwrap().min_learning_rate(f64::INFINITY).is_err());
    }

    /// A 1 → 1 identity network whose weight's gradient overflows f64 (y = −x at
    /// x = 10²⁰⁰): any step from it is refused.
    fn overflowing() -> crate::Network<f64> {
        let mut net = identity();
        net.forward(&[1e200]).unwrap();
        net.backward(&[-1e200]).unwrap();
        net
    }

    fn identity() -> crate::Network<f64> {
        crate::Network::builder(1).layer(1, crate::Activation::Identity).seed(1).build().unwrap()
    }

    #[test]
    fn an_optimiser_without_a_rate_says_so() {
        struct Frozen;
        impl Optimizer<f64> for Frozen {
            fn step(&mut self, _: &mut Params<'_, f64>) -> Result<()> {
                Ok(())
            }
        }
        assert_eq!(Frozen.learning_rate(), None);
        assert_eq!(message(Frozen.set_learning_rate(0.1)), "this optimiser has no learning rate to set");
        assert_eq!(Frozen.state(), OptimizerState::default());
    }

    #[test]
    fn params_describe_the_tensors_they_lend() {
        /// Records what it is shown, and steps nothing.
        #[derive(Default)]
        struct Look(Vec<(usize, bool, Vec<usize>)>, Vec<(usize, usize, ParamKind, usize)>);
        impl Optimizer<f64> for Look {
            fn step(&mut self, params: &mut Params<'_, f64>) -> Result<()> {
                self.0.push((params.len(), params.is_empty(), params.sizes().collect()));
                params.for_each(|p| self.1.push((p.id, p.layer, p.kind, p.value.len())));
                Ok(())
            }
        }
        let mut net = testing::deep_network(); // 3 → 4 → 2
        let mut look = Look::default();
        testing::train(&mut net, &mut look, 0..1);
        assert_eq!(look.0, [(4, false, vec![12, 4, 8, 2])]);
        use ParamKind::{Biases, Weights};
        assert_eq!(look.1, [(0, 0, Weights, 12), (1, 0, Biases, 4), (2, 1, Weights, 8), (3, 1, Biases, 2)]);
        assert!(Params::<f64>::direct(&mut []).is_empty());
    }

    #[test]
    fn borrowed_and_boxed_optimisers_forward_the_transaction() {
        let mut adam = Adam::new(0.01).unwrap();
        {
            let mut boxed: Box<dyn Optimizer<f64>> = Box::new(&mut adam);
            let mut net = identity();
            net.forward(&[0.5]).unwrap();
            net.backward(&[1.0]).unwrap();
            net.step_with(&mut boxed).unwrap();
            assert_eq!(boxed.state().step, 1, "committed through the box and the borrow");
            assert_eq!(boxed.learning_rate(), Some(0.01));
            boxed.set_learning_rate(0.02).unwrap();
            assert!(boxed.set_learning_rate(-1.0).is_err());
            assert!(matches!(overflowing().step_with(&mut boxed), Err(Error::NonFiniteUpdate { .. })));
            assert!(matches!(overflowing().step_with(&mut &mut *boxed), Err(Error::NonFiniteUpdate { .. })));
        }
        assert_eq!((adam.steps(), Optimizer::learning_rate(&adam)), (1, Some(0.02)));
        // A refused first step is discarded through both: the moments go again.
        let mut fresh: Box<dyn Optimizer<f64>> = Box::new(Adam::new(0.01).unwrap());
        assert!(overflowing().step_with(&mut fresh).is_err());
        assert_eq!(fresh.state(), OptimizerState::default());
        let mut fresh = Adam::new(0.01).unwrap();
        assert!(overflowing().step_with(&mut &mut fresh).is_err());
        assert_eq!(fresh, Adam::new(0.01).unwrap());
    }

    #[test]
    fn every_optimiser_fits_a_sigmoid_neuron() {
        fn check(name: &str, optimizer: &mut impl Optimizer<f64>) {
            let (start, end) = testing::fit(optimizer, 200);
            assert!(end < 0.25 * start, "{name}: cost {start} → {end}");
        }
        check("sgd", &mut Sgd::new(2.0).unwrap());
        check("sgd + decay", &mut Sgd::new(2.0).unwrap().weight_decay(1e-4).unwrap());
        check("momentum", &mut Momentum::new(0.5).unwrap());
        check("nesterov", &mut Momentum::new(0.5).unwrap().kind(MomentumKind::Nesterov));
        check("rmsprop", &mut RmsProp::new(0.05).unwrap());
        check("adam", &mut Adam::new(0.05).unwrap());
        check("adamw", &mut AdamW::new(0.05).unwrap());
        check("clipped adam", &mut Clipped::new(Adam::new(0.05).unwrap(), 0.1).unwrap());
    }
}
