//! [`Layer`]: one fully connected layer, its forward pass z = w·a + b, a = σ(z), and its
//! share of the backward pass (BP2, BP3, BP4).

use core::fmt;

use crate::error::{Error, Result, check_len};
use crate::finite::check_finite;
use crate::finite::{bound_after_step, max_abs, norm};
use crate::kernels::{self, MatMut, MatRef, Transpose};
use crate::subnormals::{self, Subnormals};
use crate::{Activation, Float, Matrix, MatrixView, Vector};

/// Where the backward pass puts a batch's gradients.
#[derive(Clone, Copy, Debug)]
pub(crate) enum GradientSink<T> {
    /// Added to the running sums that the next step averages and applies.
    Sum,
    /// Applied straight to the parameters with this factor, −α/m for gradient descent
    /// on a batch of m samples: w += (−α/m)·Σ δ·aᵀ. The same update as summing and then
    /// stepping, without writing and reading back a gradient the size of w.
    Descend(T),
}

/// ∂C/∂w and ∂C/∂b of one layer, shaped like its weights and biases.
///
/// A plain record: the two gradients are the whole of it, and its fields are public for
/// reading and destructuring.
#[derive(Clone, Debug, PartialEq)]
pub struct Gradients<T> {
    /// ∂C/∂w (BP3), N(l)×N(l−1) like the weights.
    pub weights: Matrix<T>,
    /// ∂C/∂b (BP4), N(l) like the biases.
    pub biases: Vector<T>,
}

impl<T: Float> Gradients<T> {
    /// Zero gradients for a layer with `n_outputs` neurons and `n_inputs` inputs.
    #[must_use]
    pub fn zeros(n_outputs: usize, n_inputs: usize) -> Self {
        Gradients { weights: Matrix::zeros(n_outputs, n_inputs), biases: Vector::zeros(n_outputs) }
    }

    fn clear(&mut self) {
        self.weights.fill_zero();
        self.biases.fill(T::ZERO);
    }
}

/// A dense layer l: weights w (N(l)×N(l−1), row j holds the weights into neuron j),
/// biases b (N(l)), and its activation function σ.
///
/// A layer also keeps what the last forward pass computed, because backpropagation
/// needs it: the weighted input z = w·a(l−1) + b and the activation a = σ(z), one row
/// per sample of the last batch, and after a backward pass the error δ.
#[derive(Clone, Debug)]
pub struct Layer<T> {
    weights: Matrix<T>,
    biases: Vector<T>,
    activation_fn: Activation,
    // Cached by the forward pass for the backward pass; one row per sample.
    weighted_input: Matrix<T>,
    activation: Matrix<T>,
    delta: Matrix<T>,
    // Σ over the samples since the last step of ∂C/∂w and ∂C/∂b.
    gradient_sum: Gradients<T>,
    // Where an update step writes until every new value is known to be finite.
    update: Update<T>,
    // An upper bound on every |w| and |b|, NaN when not known: what lets the fused step
    // prove in advance that it keeps them finite (see `prove_descent`).
    bound: f64,
    // Whether a and δ are stored with their subnormal values flushed to 0; the network's
    // setting (see `Subnormals`).
    subnormals: Subnormals,
}

/// A second copy of a layer's weights and biases: an update step writes the new values
/// here, and they replace the layer's (a swap, not a copy) only once all are finite. The
/// buffers are sized on the first update.
#[derive(Clone, Debug)]
struct Update<T> {
    weights: Matrix<T>,
    biases: Vector<T>,
    // Whether the buffers hold an update that is neither committed nor discarded.
    pending: bool,
}

/// A layer's parameters lent for an update written out of place: read `weights` and
/// `biases`, write every value of `next_weights` and `next_biases`.
pub(crate) struct Rewrite<'a, T> {
    pub(crate) weights: &'a [T],
    pub(crate) biases: &'a [T],
    pub(crate) next_weights: &'a mut [T],
    pub(crate) next_biases: &'a mut [T],
    pub(crate) weight_gradients: &'a [T],
    pub(crate) bias_gradients: &'a [T],
}

/// Two layers are equal when they compute the same thing: the same weights, biases,
/// activation σ and [`Subnormals`] setting. What the last passes cached (z, a, δ) and
/// the gradients accumulated since the last step are working state, and not compared.
impl<T: Float> PartialEq for Layer<T> {
    fn eq(&self, other: &Self) -> bool {
        self.weights == other.weights
            && self.biases == other.biases
            && self.activation_fn == other.activation_fn
            && self.subnormals == other.subnormals
    }
}

impl<T: Float> Layer<T> {
    /// A layer with the given weights (N(l)×N(l−1)), biases (N(l)) and activation.
    ///
    /// ```
    /// use backprop::{Activation, Error, Layer, Matrix, Vector};
    ///
    /// let weights = Matrix::from_rows(&[[1.0, 0.0, -1.0], [0.5, 0.5, 0.5]])?; // 2 neurons, 3 inputs
    /// let layer = Layer::new(weights.clone(), Vector::from(vec![0.0, 1.0]), Activation::Relu)?;
    /// assert_eq!((layer.n_inputs(), layer.n_outputs(), layer.n_parameters()), (3, 2, 2 * 3 + 2));
    /// let short = Layer::new(weights, Vector::from(vec![0.0]), Activation::Relu); // one bias for two neurons
    /// assert!(matches!(short, Err(Error::ShapeMismatch { .. })));
    /// # Ok::<(), backprop::Error>(())
    /// ```
    ///
    /// # Errors
    /// - [`Error::ZeroSizedLayer`] if the weights have no rows or no columns;
    /// - [`Error::ShapeMismatch`] if `biases.len()` is not the number of rows of `weights`;
    /// - [`Error::NonFinite`] if a weight or bias is NaN or infinite;
    /// - whatever [`Activation::check`] returns for the activation and N(l);
    /// - [`Error::TooLarge`] if the gradient's matrix, the size of w, cannot be allocated.
    pub fn new(weights: Matrix<T>, biases: Vector<T>, activation: Activation) -> Result<Self> {
        if weights.n_rows() == 0 || weights.n_cols() == 0 {
            return Err(Error::ZeroSizedLayer { layer: None });
        }
        check_len("biases", "the number of weight rows", weights.n_rows(), biases.len())?;
        check_finite("weights", weights.as_slice())?;
        check_finite("biases", &biases)?;
        activation.check(weights.n_rows())?;
        let (n_out, n_in) = weights.shape();
        Ok(Layer {
            weights,
            biases,
            activation_fn: activation,
            weighted_input: Matrix::zeros(0, n_out),
            activation: Matrix::zeros(0, n_out),
            delta: Matrix::zeros(0, n_out),
            // Fallible: w exists, but the allocator may refuse a second matrix of its size.
            gradient_sum: Gradients { weights: Matrix::try_zeros(n_out, n_in)?, biases: Vector::zeros(n_out) },
            update: Update { weights: Matrix::zeros(0, 0), biases: Vector::zeros(0), pending: false },
            bound: f64::NAN,
            subnormals: Subnormals::Flush,
        })
    }

    /// Sets what the passes through this layer do with subnormal values of a and δ (the
    /// network's setting, see [`Network::set_subnormals`](crate::Network::set_subnormals)).
    pub(crate) fn set_subnormals(&mut self, subnormals: Subnormals) {
        self.subnormals = subnormals;
    }

    /// N(l−1), the number of inputs.
    #[must_use]
    pub fn n_inputs(&self) -> usize {
        self.weights.n_cols()
    }

    /// N(l), the number of neurons (outputs).
    #[must_use]
    pub fn n_outputs(&self) -> usize {
        self.weights.n_rows()
    }

    /// The weights w, N(l)×N(l−1).
    #[must_use]
    pub fn weights(&self) -> &Matrix<T> {
        &self.weights
    }

    /// The biases b.
    #[must_use]
    pub fn biases(&self) -> &Vector<T> {
        &self.biases
    }

    /// The activation function σ.
    #[must_use]
    pub fn activation(&self) -> Activation {
        self.activation_fn
    }

    /// The weighted input z = w·a(l−1) + b of the last forward pass, one row per sample.
    #[must_use]
    pub fn z(&self) -> &Matrix<T> {
        &self.weighted_input
    }

    /// The activation a = σ(z) of the last forward pass, one row per sample.
    #[must_use]
    pub fn a(&self) -> &Matrix<T> {
        &self.activation
    }

    /// δ = ∂C/∂z from the last backward pass, one row per sample.
    #[must_use]
    pub fn delta(&self) -> &Matrix<T> {
        &self.delta
    }

    /// The number of weights and biases.
    #[must_use]
    pub fn n_parameters(&self) -> usize {
        self.weights.as_slice().len() + self.biases.len()
    }

    /// Sizes the caches z, a and δ for a batch of `rows` samples (reusing their memory).
    ///
    /// # Errors
    /// [`Error::TooLarge`] if `rows` × N(l) values cannot be allocated.
    pub(crate) fn resize_caches(&mut self, rows: usize) -> Result<()> {
        let n = self.n_outputs();
        self.weighted_input.resize("a layer's outputs for the batch", rows, n)?;
        self.activation.resize("a layer's outputs for the batch", rows, n)?;
        self.delta.resize("a layer's outputs for the batch", rows, n)
    }

    /// The parameters, shared, and the caches cut into blocks of rows at `cuts` (rows
    /// `cuts[i]..cuts[i + 1]` in block i; `cuts` rises from 0 to the batch size): what a
    /// data-parallel pass hands to its threads.
    pub(crate) fn split_caches<'a>(&'a mut self, cuts: &[usize]) -> (LayerParams<'a, T>, Vec<LayerCache<'a, T>>) {
        let n = self.n_outputs();
        let (params, cache) = self.parts();
        let LayerCache { mut z, mut a, mut delta } = cache;
        let mut blocks = Vec::with_capacity(cuts.len().saturating_sub(1));
        for w in cuts.windows(2) {
            let len = (w[1] - w[0]) * n;
            let (zb, ab, db);
            (zb, z) = z.split_at_mut(len);
            (ab, a) = a.split_at_mut(len);
            (db, delta) = delta.split_at_mut(len);
            blocks.push(LayerCache { z: zb, a: ab, delta: db });
        }
        (params, blocks)
    }

    /// a = σ(w·x + b) for a batch (one sample per row), into `out`, without touching the
    /// cache (for inference).
    ///
    /// # Errors
    /// [`Error::TooLarge`] if `out` cannot be allocated.
    pub(crate) fn predict_into(&self, input: MatrixView<'_, T>, out: &mut Matrix<T>, threads: usize) -> Result<()> {
        out.resize("a layer's outputs for the batch", input.n_rows(), self.n_outputs())?;
        out.gemm_threads(threads, T::ONE, input, Transpose::No, self.weights.view(), Transpose::Yes, T::ZERO);
        self.activation_fn.add_bias_and_apply_in_place(out.as_mut_slice(), &self.biases);
        if self.subnormals == Subnormals::Flush {
            subnormals::flush(out.as_mut_slice());
        }
        Ok(())
    }

    /// z = w·x + b and a = σ(z) for a batch (one sample per row), into `z` and `a`,
    /// without touching the cache: inference for a cost computed from z.
    ///
    /// # Errors
    /// [`Error::TooLarge`] if `z` or `a` cannot be allocated.
    pub(crate) fn predict_with_z_into(
        &self,
        input: MatrixView<'_, T>,
        z: &mut Matrix<T>,
        a: &mut Matrix<T>,
        threads: usize,
    ) -> Result<()> {
        z.resize("a layer's inputs z for the batch", input.n_rows(), self.n_outputs())?;
        a.resize("a layer's outputs for the batch", input.n_rows(), self.n_outputs())?;
        z.gemm_threads(threads, T::ONE, input, Transpose::No, self.weights.view(), Transpose::Yes, T::ZERO);
        self.activation_fn.add_bias_and_apply(z.as_mut_slice(), &self.biases, a.as_mut_slice());
        if self.subnormals == Subnormals::Flush {
            subnormals::flush(a.as_mut_slice());
        }
        Ok(())
    }

    /// BP3 and BP4 for a batch: ∂C/∂w(l) = δ(l)·a(l−1)ᵀ and ∂C/∂b(l) = δ(l), summed over
    /// the samples (rows of δ and of `input`, which holds a(l−1)), added to the running
    /// sums or, for plain gradient descent on one batch, applied to the parameters at once
    /// (see [`GradientSink`]). Each product sums over the whole batch, so it is split over
    /// threads by neurons or inputs, never by samples.
    pub(crate) fn accumulate_gradients(&mut self, input: MatrixView<'_, T>, threads: usize, sink: GradientSink<T>) {
        let (alpha, weights, biases) = match sink {
            GradientSink::Sum => (T::ONE, &mut self.gradient_sum.weights, &mut self.gradient_sum.biases),
            GradientSink::Descend(scale) => (scale, &mut self.weights, &mut self.biases),
        };
        // Σ over samples of δ·aᵀ is the product Δᵀ·A(l−1), read as stored.
        weights.gemm_threads(threads, alpha, self.delta.view(), Transpose::Yes, input, Transpose::No, T::ONE);
        for r in 0..self.delta.n_rows() {
            kernels::axpy(alpha, self.delta.row(r), biases);
        }
    }

    /// The accumulated gradient sums.
    pub(crate) fn gradient_sum(&self) -> &Gradients<T> {
        &self.gradient_sum
    }

    /// The update step over the accumulated sum of `count` samples' gradients, written
    /// to the update buffers: w′ = w − (α/count)·Σ∂C/∂w, b′ = b − (α/count)·Σ∂C/∂b.
    /// [`commit_update`](Self::commit_update) applies it.
    pub(crate) fn stage_descent(&mut self, learning_rate: T, count: usize) {
        let scale = -learning_rate / T::from_usize(count);
        let mut scratch = Vec::new();
        let r = self.rewrite(&mut scratch);
        for (next, (&w, &g)) in r.next_weights.iter_mut().zip(r.weights.iter().zip(r.weight_gradients)) {
            *next = w + scale * g;
        }
        for (next, (&b, &g)) in r.next_biases.iter_mut().zip(r.biases.iter().zip(r.bias_gradients)) {
            *next = b + scale * g;
        }
    }

    /// Turns the accumulated sums into means over `count` samples, in place.
    pub(crate) fn average_gradients(&mut self, count: usize) {
        self.scale_gradients(T::ONE / T::from_usize(count));
    }

    /// Multiplies the accumulated gradients by `factor`.
    pub(crate) fn scale_gradients(&mut self, factor: T) {
        self.gradient_sum.weights.as_mut_slice().iter_mut().for_each(|g| *g *= factor);
        self.gradient_sum.biases.iter_mut().for_each(|g| *g *= factor);
    }

    /// The weights, biases and their accumulated gradients, lent for changes in place
    /// that are not an update step (restoring a snapshot, a gradient check's nudges).
    pub(crate) fn parameters_and_gradients(&mut self) -> (&mut [T], &mut [T], &[T], &[T]) {
        self.bound = f64::NAN;
        (self.weights.as_mut_slice(), &mut self.biases, self.gradient_sum.weights.as_slice(), &self.gradient_sum.biases)
    }

    /// Sizes the update buffers like the parameters (allocates on the first update only).
    fn size_update(&mut self) {
        let (n_out, n_in) = self.weights.shape();
        if self.update.weights.shape() != (n_out, n_in) {
            self.update.weights = Matrix::zeros(n_out, n_in);
        }
        if self.update.biases.len() != n_out {
            self.update.biases = Vector::zeros(n_out);
        }
    }

    /// The pending update lent for changes in place, with the accumulated gradients:
    /// (w′, b′, ∂C/∂w, ∂C/∂b). When no update is pending yet, w′ and b′ start as copies
    /// of w and b.
    pub(crate) fn update_in_place(&mut self) -> (&mut [T], &mut [T], &[T], &[T]) {
        if !self.update.pending {
            self.size_update();
            self.update.weights.as_mut_slice().copy_from_slice(self.weights.as_slice());
            self.update.biases.copy_from_slice(&self.biases);
            self.update.pending = true;
        }
        let g = &self.gradient_sum;
        (self.update.weights.as_mut_slice(), &mut self.update.biases, g.weights.as_slice(), &g.biases)
    }

    /// The parameters lent for an update written out of place into the update buffers,
    /// which saves the copy of [`update_in_place`](Self::update_in_place). If an update is
    /// already pending, its values are what the new one starts from: they are copied to
    /// `scratch` (which then allocates) and read from there.
    pub(crate) fn rewrite<'a>(&'a mut self, scratch: &'a mut Vec<T>) -> Rewrite<'a, T> {
        if !self.update.pending {
            self.size_update();
        }
        let pending = core::mem::replace(&mut self.update.pending, true);
        let Layer { weights, biases, gradient_sum, update, .. } = self;
        let (weights, biases): (&[T], &[T]) = if pending {
            scratch.clear();
            scratch.extend_from_slice(update.weights.as_slice());
            scratch.extend_from_slice(&update.biases);
            scratch.split_at(weights.as_slice().len())
        } else {
            (weights.as_slice(), biases)
        };
        Rewrite {
            weights,
            biases,
            next_weights: update.weights.as_mut_slice(),
            next_biases: &mut update.biases,
            weight_gradients: gradient_sum.weights.as_slice(),
            bias_gradients: &gradient_sum.biases,
        }
    }

    /// Checks that the pending update (if any) holds finite values only.
    ///
    /// # Errors
    /// [`Error::NonFiniteUpdate`] naming this layer (`layer`) and the first value that
    /// is NaN or infinite.
    pub(crate) fn check_update(&self, layer: usize) -> Result<()> {
        if !self.update.pending {
            return Ok(());
        }
        check_new_values(self.update.weights.as_slice(), &self.update.biases, layer)
    }

    /// Applies the pending update (if any): w := w′, b := b′, by swapping the buffers.
    pub(crate) fn commit_update(&mut self) {
        if self.update.pending {
            core::mem::swap(&mut self.weights, &mut self.update.weights);
            core::mem::swap(&mut self.biases, &mut self.update.biases);
            self.update.pending = false;
            self.bound = f64::NAN;
        }
    }

    /// Drops the pending update (if any): the parameters stay as they are.
    pub(crate) fn discard_update(&mut self) {
        self.update.pending = false;
    }

    /// An upper bound on every |w| and |b|, computed afresh: NaN if one is not finite.
    fn exact_bound(&self) -> f64 {
        match (max_abs(self.weights.as_slice()), max_abs(&self.biases)) {
            (Some(w), Some(b)) => w.max(b),
            _ => f64::NAN,
        }
    }

    /// Whether the fused step w := w + s·Σ δ·a(l−1)ᵀ, b := b + s·Σ δ with `scale` s and
    /// `input` a(l−1) provably leaves every weight and bias finite (see
    /// [`bound_after_step`]); if so, the bound is raised to hold after it.
    pub(crate) fn prove_descent(&mut self, input: MatrixView<'_, T>, scale: T) -> bool {
        let (delta, a, rows) = (norm(self.delta.as_slice()), norm(input.as_slice()), input.n_rows());
        let fresh = self.bound.is_nan();
        if fresh {
            self.bound = self.exact_bound();
        }
        let mut next = bound_after_step(self.bound, scale.to_f64(), delta, a, rows);
        if next.is_none() && !fresh {
            // The bound only grows between exact computations: tighten it and try again.
            self.bound = self.exact_bound();
            next = bound_after_step(self.bound, scale.to_f64(), delta, a, rows);
        }
        next.inspect(|&b| self.bound = b).is_some()
    }

    /// The fused step applied in place with a check: w and b are copied to the update
    /// buffers first, so that they can be put back if a new value is not finite. What
    /// [`prove_descent`](Self::prove_descent) could not prove safe goes here; the copy
    /// stays pending until [`keep_descent`](Self::keep_descent) or
    /// [`undo_descent`](Self::undo_descent).
    ///
    /// # Errors
    /// [`Error::NonFiniteUpdate`] naming this layer (`layer`) and the first value the
    /// step made NaN or infinite; the parameters are then as they were.
    pub(crate) fn checked_descent(
        &mut self,
        input: MatrixView<'_, T>,
        threads: usize,
        scale: T,
        layer: usize,
    ) -> Result<()> {
        self.update_in_place();
        self.accumulate_gradients(input, threads, GradientSink::Descend(scale));
        let checked = check_new_values(self.weights.as_slice(), &self.biases, layer);
        if checked.is_err() {
            self.undo_descent();
        }
        checked
    }

    /// Keeps a [`checked_descent`](Self::checked_descent): drops the copy.
    pub(crate) fn keep_descent(&mut self) {
        if self.update.pending {
            self.update.pending = false;
            self.bound = f64::NAN;
        }
    }

    /// Undoes a [`checked_descent`](Self::checked_descent) (if one is pending): the
    /// copied parameters come back.
    pub(crate) fn undo_descent(&mut self) {
        if self.update.pending {
            core::mem::swap(&mut self.weights, &mut self.update.weights);
            core::mem::swap(&mut self.biases, &mut self.update.biases);
            self.update.pending = false;
        }
    }

    /// Whether an update is pending (written, neither committed nor discarded).
    pub(crate) fn update_pending(&self) -> bool {
        self.update.pending
    }

    /// Clears the accumulated gradients without applying them.
    pub(crate) fn clear_gradients(&mut self) {
        self.gradient_sum.clear();
    }
}

/// Checks the weights and biases an update step wrote for layer `layer`.
///
/// # Errors
/// [`Error::NonFiniteUpdate`] for the first value that is NaN or infinite.
fn check_new_values<T: Float>(weights: &[T], biases: &[T], layer: usize) -> Result<()> {
    for (what, values) in [("weights", weights), ("biases", biases)] {
        if let Err(Error::NonFinite { index, value, .. }) = check_finite(what, values) {
            return Err(Error::NonFiniteUpdate { what, layer, index, value });
        }
    }
    Ok(())
}

/// A layer's parameters as the passes over a batch read them: w, b, σ and whether the
/// values the layer writes are flushed. Shared by every thread of a data-parallel pass.
#[derive(Clone, Copy, Debug)]
pub(crate) struct LayerParams<'a, T> {
    weights: &'a Matrix<T>,
    biases: &'a [T],
    activation_fn: Activation,
    // Whether the a and δ this layer writes are flushed (`Subnormals::Flush`).
    flush: bool,
}

/// Some rows of a layer's caches (one row per sample, N(l) values each): z, a and δ of
/// some of a batch's samples. All rows, or one thread's share in a data-parallel pass.
#[derive(Debug)]
pub(crate) struct LayerCache<'a, T> {
    z: &'a mut [T],
    a: &'a mut [T],
    delta: &'a mut [T],
}

impl<'a, T> LayerCache<'a, T> {
    /// a = σ(z) of these rows, the input of the layer above, for as long as the rows are
    /// borrowed.
    pub(crate) fn into_activation(self) -> &'a [T] {
        self.a
    }

    /// δ of these rows.
    pub(crate) fn delta(&self) -> &[T] {
        self.delta
    }
}

/// A layer's parameters with some rows of its caches, as the passes over a batch take
/// them: a whole [`Layer`] (every row, on the calling thread), or one thread's block of
/// rows in a data-parallel pass.
pub(crate) trait LayerBlock<T> {
    /// The parameters, and the rows of the caches, borrowed apart.
    fn parts(&mut self) -> (LayerParams<'_, T>, LayerCache<'_, T>);
}

impl<T: Float> LayerBlock<T> for Layer<T> {
    fn parts(&mut self) -> (LayerParams<'_, T>, LayerCache<'_, T>) {
        let params = LayerParams {
            weights: &self.weights,
            biases: &self.biases,
            activation_fn: self.activation_fn,
            flush: self.subnormals == Subnormals::Flush,
        };
        let cache = LayerCache {
            z: self.weighted_input.as_mut_slice(),
            a: self.activation.as_mut_slice(),
            delta: self.delta.as_mut_slice(),
        };
        (params, cache)
    }
}

impl<T: Float> LayerBlock<T> for (LayerParams<'_, T>, LayerCache<'_, T>) {
    fn parts(&mut self) -> (LayerParams<'_, T>, LayerCache<'_, T>) {
        let cache = &mut self.1;
        (self.0, LayerCache { z: &mut *cache.z, a: &mut *cache.a, delta: &mut *cache.delta })
    }
}

impl<T: Float> LayerParams<'_, T> {
    /// The layer's activation function σ.
    pub(crate) fn activation(&self) -> Activation {
        self.activation_fn
    }

    /// The forward pass of some rows of a batch of `batch_rows`: Z = A(l−1)·wᵀ (in row form,
    /// one sample per row, z = w·a(l−1) for each), then z += b and a = σ(z) in one pass
    /// over each row. `input` holds the same rows of a(l−1). Each row comes out as it would
    /// from the whole batch, whatever the rows' split.
    pub(crate) fn forward(&self, batch_rows: usize, input: &[T], out: &mut LayerCache<'_, T>, threads: usize) {
        let (n_out, n_in) = self.weights.shape();
        let rows = out.a.len() / n_out;
        let input = MatRef::new(input, rows, n_in, n_in);
        let z = MatMut::new(out.z, rows, n_out, n_out);
        kernels::gemm_threaded(
            threads,
            batch_rows,
            T::ONE,
            input,
            self.weights.as_mat_ref().op(Transpose::Yes),
            T::ZERO,
            z,
        );
        self.activation_fn.add_bias_and_apply(out.z, self.biases, out.a);
        if self.flush {
            subnormals::flush(out.a);
        }
    }

    /// δ(L) of the output layer from the targets (BP1), δ = ∇ₐC ⊙ σ′(z) row by row (see
    /// [`Cost::output_error`](crate::Cost::output_error)); `targets` holds these rows' y.
    pub(crate) fn output_error(&self, cost: crate::Cost, targets: &[T], out: &mut LayerCache<'_, T>) {
        let n = self.weights.n_rows();
        let rows = out.z.chunks_exact(n).zip(out.a.chunks_exact(n));
        for (((z, a), y), delta) in rows.zip(targets.chunks_exact(n)).zip(out.delta.chunks_exact_mut(n)) {
            cost.output_error(self.activation_fn, z, a, y, delta);
        }
        if self.flush {
            subnormals::flush(out.delta);
        }
    }

    /// δ of the layer below from this layer's δ (BP2), for some rows of a batch of
    /// `batch_rows`: δ(l−1) = (w(l)ᵀ δ(l)) ⊙ σ′(z(l−1)), or the product by σ's Jacobian
    /// for a softmax (see [`Activation::backpropagate`]). `delta` holds these rows of δ(l),
    /// `below` the same rows of the layer below, whose activation is `below_fn`.
    ///
    /// With one sample per row the product wᵀδ becomes the row form Δ(l)·w(l); for a
    /// single sample that is exactly the transposed matrix·vector product.
    pub(crate) fn backpropagate_error(
        &self,
        batch_rows: usize,
        delta: &[T],
        below_fn: Activation,
        below: &mut LayerCache<'_, T>,
        threads: usize,
    ) {
        let (n_out, n_in) = self.weights.shape();
        let rows = delta.len() / n_out;
        let delta = MatRef::new(delta, rows, n_out, n_out);
        let below_delta = MatMut::new(below.delta, rows, n_in, n_in);
        kernels::gemm_threaded(threads, batch_rows, T::ONE, delta, self.weights.as_mat_ref(), T::ZERO, below_delta);
        let rows = below.z.chunks_exact(n_in).zip(below.a.chunks_exact(n_in));
        for ((z, a), g) in rows.zip(below.delta.chunks_exact_mut(n_in)) {
            below_fn.backpropagate(z, a, g);
        }
        if self.flush {
            subnormals::flush(below.delta);
        }
    }
}

impl<T: Float> fmt::Display for Layer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} → {} ({})", self.n_inputs(), self.n_outputs(), self.activation_fn)
    }
}

#[cfg(test)]
impl<T: Float> Layer<T> {
    /// This layer's forward pass alone over `input`, for the tests of one layer.
    pub(crate) fn forward(&mut self, input: MatrixView<'_, T>, threads: usize) -> Result<()> {
        self.resize_caches(input.n_rows())?;
        let (params, mut cache) = self.parts();
        params.forward(input.n_rows(), input.as_slice(), &mut cache, threads);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer() -> Layer<f64> {
        // 2 neurons, 3 inputs.
        let w = Matrix::new(2, 3, vec![1.0, 0.0, -1.0, 0.5, 0.5, 0.5]).unwrap();
        Layer::new(w, Vector::from(vec![0.0, -1.0]), Activation::Sigmoid).unwrap()
    }

    #[test]
    fn new_checks_shapes_and_values() {
        let w = Matrix::<f64>::zeros(2, 3);
        assert!(Layer::new(w.clone(), Vector::zeros(3), Activation::Sigmoid).is_err());
        assert!(Layer::new(Matrix::<f64>::zeros(0, 3), Vector::zeros(0), Activation::Sigmoid).is_err());
        let bad = Vector::from(vec![0.0, f64::NAN]);
        assert!(matches!(Layer::new(w, bad, Activation::Sigmoid), Err(Error::NonFinite { index: 1, .. })));
    }

    #[test]
    fn forward_by_hand() {
        let mut l = layer();
        let x = [1.0, 2.0, 3.0];
        l.forward(MatrixView::from_row(&x), 1).unwrap();
        // z = [1 − 3 + 0, 3 − 1] = [−2, 2]
        assert_eq!(l.z().row(0), &[-2.0, 2.0]);
        let s = Activation::Sigmoid;
        assert_eq!(l.a().row(0), &[s.value(-2.0), s.value(2.0)]);
        let mut out = Matrix::zeros(0, 0);
        l.predict_into(MatrixView::from_row(&x), &mut out, 1).unwrap();
        assert_eq!(out.as_slice(), &[s.value(-2.0), s.value(2.0)]);
    }

    /// The layer of [`layer`] after a forward pass of x = [1, 2, 3], with δ = [1, −2].
    fn layer_with_delta() -> (Layer<f64>, [f64; 3]) {
        let (mut l, x) = (layer(), [1.0, 2.0, 3.0]);
        l.forward(MatrixView::from_row(&x), 1).unwrap();
        l.delta = Matrix::new(1, 2, vec![1.0, -2.0]).unwrap();
        (l, x)
    }

    #[test]
    fn the_fused_step_proves_itself_from_the_bound() {
        let (mut l, x) = layer_with_delta();
        let x = MatrixView::from_row(&x);
        assert!(l.bound.is_nan(), "not known until the first fused step");
        // max(|w|, |b|) = 1, ‖δ‖ = √5, ‖x‖ = √14: the step moves a value by at most 0.5·√5·√14.
        let step = 0.5 * (5f64.sqrt() * 14f64.sqrt());
        assert!(l.prove_descent(x, -0.5));
        assert_eq!(l.bound, 1.0 + step);
        assert!(l.prove_descent(x, -0.5));
        assert_eq!(l.bound, 1.0 + step + step, "the bound grows by each step");
        // A stale bound past the limit is tightened before the step is given up on.
        l.bound = 2.0 * crate::finite::PROVABLY_FINITE;
        assert!(l.prove_descent(x, -0.5));
        assert_eq!(l.bound, 1.0 + step);
        // What no bound can prove.
        assert!(!l.prove_descent(x, -1e300));
        let _ = l.parameters_and_gradients();
        assert!(l.bound.is_nan(), "lending the parameters forgets the bound");
    }

    #[test]
    fn the_checked_fused_step_has_the_bits_of_the_unchecked_one_or_changes_nothing() {
        let (original, x) = layer_with_delta();
        let x = MatrixView::from_row(&x);
        let mut fast = original.clone();
        fast.accumulate_gradients(x, 1, GradientSink::Descend(-0.3));
        let mut checked = original.clone();
        checked.checked_descent(x, 1, -0.3, 0).unwrap();
        assert!(checked.update_pending());
        checked.keep_descent();
        assert!(!checked.update_pending());
        assert_eq!((checked.weights(), checked.biases()), (fast.weights(), fast.biases()));

        let mut huge = original.clone();
        // w(0, 1) = 0 − 10³⁰⁸·2 overflows; w(0, 0) = 1 − 10³⁰⁸ does not.
        let e = huge.checked_descent(x, 1, -1e308, 4).unwrap_err();
        assert!(matches!(e, Error::NonFiniteUpdate { what: "weights", layer: 4, index: 1, .. }), "{e}");
        assert!(!huge.update_pending());
        assert_eq!((huge.weights(), huge.biases()), (original.weights(), original.biases()));
    }

    #[test]
    fn an_update_is_staged_until_committed() {
        let (mut l, _) = layer_with_delta();
        let original = l.clone();
        let (w, b, _, _) = l.update_in_place();
        w[0] = 7.0;
        b[1] = f64::INFINITY;
        assert_eq!(l.weights(), original.weights(), "staged, not applied");
        let e = l.check_update(2).unwrap_err();
        assert!(matches!(e, Error::NonFiniteUpdate { what: "biases", layer: 2, index: 1, .. }), "{e}");
        l.discard_update();
        assert!(l.check_update(2).is_ok(), "nothing pending");
        l.commit_update();
        assert_eq!((l.weights(), l.biases()), (original.weights(), original.biases()));
        // Written in place on the copy, then out of place from it: the second update starts
        // from the first one's values.
        l.update_in_place().0[0] = 7.0;
        let mut scratch = Vec::new();
        let r = l.rewrite(&mut scratch);
        assert_eq!(r.weights[0], 7.0);
        r.next_weights.iter_mut().zip(r.weights).for_each(|(n, w)| *n = 2.0 * w);
        r.next_biases.iter_mut().zip(r.biases).for_each(|(n, b)| *n = 2.0 * b);
        l.check_update(0).unwrap();
        l.commit_update();
        assert_eq!(l.weights().as_slice(), &[14.0, 0.0, -2.0, 1.0, 1.0, 1.0]);
        assert_eq!(l.biases().as_slice(), &[0.0, -2.0]);
    }

    #[test]
    fn gradients_by_hand() {
        let mut l = layer();
        let x = [1.0, 2.0, 3.0];
        l.forward(MatrixView::from_row(&x), 1).unwrap();
        l.delta = Matrix::new(1, 2, vec![1.0, -2.0]).unwrap();
        l.accumulate_gradients(MatrixView::from_row(&x), 1, GradientSink::Sum);
        // δ·xᵀ = [1 2 3; −2 −4 −6], ∂C/∂b = δ
        assert_eq!(l.gradient_sum().weights.as_slice(), &[1.0, 2.0, 3.0, -2.0, -4.0, -6.0]);
        assert_eq!(l.gradient_sum().biases.as_slice(), &[1.0, -2.0]);
        l.stage_descent(0.5, 1);
        assert_eq!(l.weights().as_slice(), &[1.0, 0.0, -1.0, 0.5, 0.5, 0.5], "staged, not applied yet");
        l.check_update(0).unwrap();
        l.commit_update();
        l.clear_gradients();
        assert_eq!(l.weights().as_slice(), &[0.5, -1.0, -2.5, 1.5, 2.5, 3.5]);
        assert_eq!(l.biases().as_slice(), &[-0.5, 0.0]);
        assert!(l.gradient_sum().weights.as_slice().iter().all(|&g| g == 0.0));
    }
}
