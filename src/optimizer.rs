//! [`Optimizer`]: the rule that turns the mean gradient into a parameter update, and
//! [`Params`], the view of a network's parameters and gradients an optimiser works on.

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
}

/// Plain gradient descent, the classic update step: θ := θ − α ∂C/∂θ.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sgd<T> {
    learning_rate: T,
}

impl<T: Float> Sgd<T> {
    /// Gradient descent with learning rate α.
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`](crate::Error::InvalidHyperparameter) unless α is
    /// finite and > 0.
    pub fn new(learning_rate: T) -> Result<Self> {
        crate::error::check_positive("learning rate", learning_rate)?;
        Ok(Sgd { learning_rate })
    }

    /// The learning rate α.
    pub fn learning_rate(&self) -> T {
        self.learning_rate
    }
}

impl<T: Float> Optimizer<T> for Sgd<T> {
    /// The update step: w := w − α ∂C/∂w, b := b − α ∂C/∂b.
    fn step(&mut self, params: &mut Params<'_, T>) -> Result<()> {
        let alpha = self.learning_rate;
        params.for_each(|p| T::axpy(-alpha, p.grad, p.value));
        Ok(())
    }
}
