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

mod adam;
mod clip;
mod momentum;
mod rmsprop;
mod schedule;
mod state;

pub use adam::{Adam, AdamW};
pub use clip::Clipped;
pub use momentum::{Momentum, MomentumKind};
pub use rmsprop::RmsProp;
pub use schedule::{ConstantRate, CosineAnnealing, ExponentialDecay, Goal, ReduceOnPlateau, Schedule, StepDecay};
pub use state::OptimizerState;

use crate::error::Error;
use crate::layer::Layer;
use crate::{Float, Result};

/// Which tensor of a layer a parameter slice is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ParamKind {
    /// The weights w(l), N(l)×N(l−1) in row-major order.
    Weights,
    /// The biases b(l).
    Biases,
}

/// One parameter tensor with its mean gradient, as handed to an optimiser.
#[derive(Debug)]
pub struct Param<'a, T> {
    /// The position of this tensor in the fixed visiting order (layer 0 weights, layer 0
    /// biases, layer 1 weights, …): optimisers index their state by it.
    pub id: usize,
    /// The layer l the tensor belongs to.
    pub layer: usize,
    /// Weights or biases.
    pub kind: ParamKind,
    /// The parameter values, to be updated in place.
    pub value: &'a mut [T],
    /// ∂C/∂(value): the mean gradient over the samples accumulated since the last step.
    pub grad: &'a [T],
}

/// The parameters and mean gradients of every layer of a network, lent to an
/// [`Optimizer`] for one step.
#[derive(Debug)]
pub struct Params<'a, T> {
    layers: &'a mut [Layer<T>],
}

impl<'a, T: Float> Params<'a, T> {
    pub(crate) fn new(layers: &'a mut [Layer<T>]) -> Self {
        Params { layers }
    }

    /// The number of parameter tensors (two per layer).
    pub fn len(&self) -> usize {
        2 * self.layers.len()
    }

    /// `true` if there is no tensor (never the case for a built network).
    pub fn is_empty(&self) -> bool {
        self.layers.is_empty()
    }

    /// The number of elements of each tensor, in visiting order (to size optimiser state).
    pub fn sizes(&self) -> impl Iterator<Item = usize> + '_ {
        self.layers.iter().flat_map(|l| [l.n_outputs() * l.n_inputs(), l.n_outputs()])
    }

    /// Calls `f` on every tensor in visiting order.
    pub fn for_each(&mut self, mut f: impl FnMut(Param<'_, T>)) {
        for (l, layer) in self.layers.iter_mut().enumerate() {
            let (w, b, gw, gb) = layer.parameters_and_gradients();
            f(Param { id: 2 * l, layer: l, kind: ParamKind::Weights, value: w, grad: gw });
            f(Param { id: 2 * l + 1, layer: l, kind: ParamKind::Biases, value: b, grad: gb });
        }
    }

    /// ‖∇C‖₂, the Euclidean norm of all gradients together (for clipping by global norm).
    pub fn gradient_norm(&self) -> T {
        let mut sum = T::ZERO;
        for layer in self.layers.iter() {
            let g = layer.gradient_sum();
            sum += T::dot(g.weights.as_slice(), g.weights.as_slice());
            sum += T::dot(&g.biases, &g.biases);
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
pub trait Optimizer<T: Float> {
    /// Updates every parameter from its mean gradient.
    ///
    /// # Errors
    /// Whatever the optimiser finds wrong (e.g. state sized for another network).
    fn step(&mut self, params: &mut Params<'_, T>) -> Result<()>;

    /// The learning rate α, if the optimiser has one (`None` by default).
    fn learning_rate(&self) -> Option<f64> {
        None
    }

    /// Sets the learning rate α, e.g. from a [`Schedule`] once per epoch.
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`] unless α is finite and > 0; by default
    /// [`Error::Incompatible`], for an optimiser without a learning rate.
    fn set_learning_rate(&mut self, learning_rate: f64) -> Result<()> {
        let _ = learning_rate;
        Err(Error::Incompatible { reason: "this optimiser has no learning rate to set".into() })
    }

    /// A copy of the optimiser's state (step count, moments, velocities) for a
    /// checkpoint; empty by default, for a stateless optimiser.
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
    /// # Errors
    /// [`Error::InvalidHyperparameter`](crate::Error::InvalidHyperparameter) unless α is
    /// finite and > 0.
    pub fn new(learning_rate: T) -> Result<Self> {
        crate::error::check_positive("learning rate", learning_rate)?;
        Ok(Sgd { learning_rate, weight_decay: T::ZERO })
    }

    /// Sets the L2 weight decay λ, added to the weights' gradient as λw (default 0).
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`] unless λ is finite and ≥ 0.
    pub fn weight_decay(mut self, lambda: T) -> Result<Self> {
        check_non_negative("weight decay", lambda)?;
        self.weight_decay = lambda;
        Ok(self)
    }

    /// The learning rate α.
    pub fn learning_rate(&self) -> T {
        self.learning_rate
    }
}

impl<T: Float> Optimizer<T> for Sgd<T> {
    /// The update step: w := w − α (∂C/∂w + λw), b := b − α ∂C/∂b.
    fn step(&mut self, params: &mut Params<'_, T>) -> Result<()> {
        let alpha = self.learning_rate;
        let lambda = self.weight_decay;
        params.for_each(|p| {
            let lambda = decay_for(p.kind, lambda);
            if lambda != T::ZERO {
                // w − α(g + λw) = (1 − αλ)w − αg
                let shrink = T::ONE - alpha * lambda;
                p.value.iter_mut().for_each(|w| *w *= shrink);
            }
            T::axpy(-alpha, p.grad, p.value);
        });
        Ok(())
    }

    fn learning_rate(&self) -> Option<f64> {
        Some(self.learning_rate.to_f64())
    }

    fn set_learning_rate(&mut self, learning_rate: f64) -> Result<()> {
        self.learning_rate = checked_learning_rate(learning_rate)?;
        Ok(())
    }
}

/// The weight decay λ for a tensor of this kind: λ for weights, 0 for biases.
fn decay_for<T: Float>(kind: ParamKind, lambda: T) -> T {
    match kind {
        ParamKind::Weights => lambda,
        ParamKind::Biases => T::ZERO,
    }
}

/// Checks a learning rate set at run time (as `f64`) and converts it.
fn checked_learning_rate<T: Float>(learning_rate: f64) -> Result<T> {
    let alpha = T::from_f64(learning_rate);
    // The conversion can round a tiny f64 to 0 or a huge one to ∞ in f32: check after it.
    if alpha.is_finite() && alpha > T::ZERO {
        Ok(alpha)
    } else {
        Err(Error::InvalidHyperparameter { name: "learning rate", rule: "finite and > 0", value: learning_rate })
    }
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
