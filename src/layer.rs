//! [`Layer`]: one fully connected layer, its forward pass z = w·a + b, a = σ(z), and its
//! share of the backward pass (BP2, BP3, BP4).

use core::fmt;

use crate::error::{Error, Result, check_finite, check_len};
use crate::kernels::{self, Transpose};
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
#[derive(Clone, Debug, PartialEq)]
pub struct Gradients<T> {
    /// ∂C/∂w (BP3), N(l)×N(l−1) like the weights.
    pub weights: Matrix<T>,
    /// ∂C/∂b (BP4), N(l) like the biases.
    pub biases: Vector<T>,
}

impl<T: Float> Gradients<T> {
    /// Zero gradients for a layer with `n_outputs` neurons and `n_inputs` inputs.
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
}

impl<T: Float> Layer<T> {
    /// A layer with the given weights (N(l)×N(l−1)), biases (N(l)) and activation.
    ///
    /// # Errors
    /// - [`Error::ZeroSizedLayer`] if the weights have no rows or no columns;
    /// - [`Error::ShapeMismatch`] if `biases.len()` is not the number of rows of `weights`;
    /// - [`Error::NonFinite`] if a weight or bias is NaN or infinite;
    /// - whatever [`Activation::check`] returns for the activation and N(l);
    /// - [`Error::TooLarge`] if the gradient's matrix, the size of w, cannot be allocated.
    pub fn new(weights: Matrix<T>, biases: Vector<T>, activation: Activation) -> Result<Self> {
        if weights.rows() == 0 || weights.cols() == 0 {
            return Err(Error::ZeroSizedLayer { layer: None });
        }
        check_len("biases", "the number of weight rows", weights.rows(), biases.len())?;
        check_finite("weights", weights.as_slice())?;
        check_finite("biases", &biases)?;
        activation.check(weights.rows())?;
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
        })
    }

    /// N(l−1), the number of inputs.
    pub fn n_inputs(&self) -> usize {
        self.weights.cols()
    }

    /// N(l), the number of neurons (outputs).
    pub fn n_outputs(&self) -> usize {
        self.weights.rows()
    }

    /// The weights w, N(l)×N(l−1).
    pub fn weights(&self) -> &Matrix<T> {
        &self.weights
    }

    /// The biases b.
    pub fn biases(&self) -> &Vector<T> {
        &self.biases
    }

    /// The activation function σ.
    pub fn activation_fn(&self) -> Activation {
        self.activation_fn
    }

    /// z = w·a(l−1) + b from the last forward pass, one row per sample.
    pub fn weighted_input(&self) -> &Matrix<T> {
        &self.weighted_input
    }

    /// a = σ(z) from the last forward pass, one row per sample.
    pub fn activation(&self) -> &Matrix<T> {
        &self.activation
    }

    /// δ = ∂C/∂z from the last backward pass, one row per sample.
    pub fn delta(&self) -> &Matrix<T> {
        &self.delta
    }

    /// The number of weights and biases.
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
    pub(crate) fn split_rows<'a>(&'a mut self, cuts: &[usize]) -> (Shared<'a, T>, Vec<Rows<'a, T>>) {
        let n = self.n_outputs();
        let shared = Shared { weights: &self.weights, biases: &self.biases, activation_fn: self.activation_fn };
        let (mut z, mut a, mut delta) =
            (self.weighted_input.as_mut_slice(), self.activation.as_mut_slice(), self.delta.as_mut_slice());
        let mut blocks = Vec::with_capacity(cuts.len().saturating_sub(1));
        for w in cuts.windows(2) {
            let len = (w[1] - w[0]) * n;
            let (zb, ab, db);
            (zb, z) = z.split_at_mut(len);
            (ab, a) = a.split_at_mut(len);
            (db, delta) = delta.split_at_mut(len);
            blocks.push(Rows { z: zb, a: ab, delta: db });
        }
        (shared, blocks)
    }

    /// The parameters and all rows of the caches, as one block (without allocating).
    pub(crate) fn split_all(&mut self) -> (Shared<'_, T>, Rows<'_, T>) {
        let shared = Shared { weights: &self.weights, biases: &self.biases, activation_fn: self.activation_fn };
        let rows = Rows {
            z: self.weighted_input.as_mut_slice(),
            a: self.activation.as_mut_slice(),
            delta: self.delta.as_mut_slice(),
        };
        (shared, rows)
    }

    /// Forward pass over a batch (one sample per row of `input`): z = w·a(l−1) + b and
    /// a = σ(z), cached for the backward pass. See [`Shared::forward`].
    ///
    /// # Errors
    /// As [`resize_caches`](Self::resize_caches), before anything is computed.
    pub(crate) fn forward(&mut self, input: MatrixView<'_, T>, threads: usize) -> Result<()> {
        self.resize_caches(input.rows())?;
        let (shared, mut rows) = self.split_all();
        shared.forward(input.rows(), input.as_slice(), &mut rows, threads);
        Ok(())
    }

    /// a = σ(w·x + b) for a batch (one sample per row), into `out`, without touching the
    /// cache (for inference).
    ///
    /// # Errors
    /// [`Error::TooLarge`] if `out` cannot be allocated.
    pub(crate) fn predict_into(&self, input: MatrixView<'_, T>, out: &mut Matrix<T>, threads: usize) -> Result<()> {
        out.resize("a layer's outputs for the batch", input.rows(), self.n_outputs())?;
        out.gemm_threads(threads, T::ONE, input, Transpose::No, self.weights.view(), Transpose::Yes, T::ZERO);
        self.activation_fn.add_bias_and_apply_in_place(out.as_mut_slice(), &self.biases);
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
        z.resize("a layer's inputs z for the batch", input.rows(), self.n_outputs())?;
        a.resize("a layer's outputs for the batch", input.rows(), self.n_outputs())?;
        z.gemm_threads(threads, T::ONE, input, Transpose::No, self.weights.view(), Transpose::Yes, T::ZERO);
        self.activation_fn.add_bias_and_apply(z.as_mut_slice(), &self.biases, a.as_mut_slice());
        Ok(())
    }

    /// Sets δ(L) of the output layer from the targets (BP1), see [`Shared::output_error`].
    pub(crate) fn output_error(&mut self, cost: crate::Cost, targets: MatrixView<'_, T>) {
        let (shared, mut rows) = self.split_all();
        shared.output_error(cost, targets.as_slice(), &mut rows);
    }

    /// Sets δ of the layer below from this layer's δ (BP2), see
    /// [`Shared::backpropagate_error`].
    pub(crate) fn backpropagate_error(&mut self, below: &mut Layer<T>, threads: usize) {
        let rows = self.delta.rows();
        let (shared, above) = self.split_all();
        let below_fn = below.activation_fn;
        let (_, mut below_rows) = below.split_all();
        shared.backpropagate_error(rows, above.delta, below_fn, &mut below_rows, threads);
    }

    /// This batch's gradients (BP3 and BP4), ∂C/∂w = Σ δ·a(l−1)ᵀ and ∂C/∂b = Σ δ summed
    /// over the samples (rows), added to the running sums or, for plain gradient descent
    /// on one batch, applied to the parameters at once (see [`GradientSink`]).
    pub(crate) fn accumulate_gradients(&mut self, input: MatrixView<'_, T>, threads: usize, sink: GradientSink<T>) {
        let (alpha, weights, biases) = match sink {
            GradientSink::Sum => (T::ONE, &mut self.gradient_sum.weights, &mut self.gradient_sum.biases),
            GradientSink::Descend(scale) => (scale, &mut self.weights, &mut self.biases),
        };
        // Σ over samples of δ·aᵀ is the product Δᵀ·A(l−1), read as stored.
        weights.gemm_threads(threads, alpha, self.delta.view(), Transpose::Yes, input, Transpose::No, T::ONE);
        for r in 0..self.delta.rows() {
            kernels::axpy(alpha, self.delta.row(r), biases);
        }
    }

    /// The accumulated gradient sums.
    pub(crate) fn gradient_sum(&self) -> &Gradients<T> {
        &self.gradient_sum
    }

    /// The update step over the accumulated sum of `count` samples' gradients:
    /// w := w − (α/count)·Σ∂C/∂w, b := b − (α/count)·Σ∂C/∂b; then clears the sums.
    pub(crate) fn step(&mut self, learning_rate: T, count: usize) {
        let scale = -learning_rate / T::from_usize(count);
        self.weights.add_scaled(scale, &self.gradient_sum.weights);
        kernels::axpy(scale, &self.gradient_sum.biases, &mut self.biases);
        self.gradient_sum.clear();
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

    /// The weights, biases and their accumulated gradients, split for an optimiser.
    pub(crate) fn parameters_and_gradients(&mut self) -> (&mut [T], &mut [T], &[T], &[T]) {
        (self.weights.as_mut_slice(), &mut self.biases, self.gradient_sum.weights.as_slice(), &self.gradient_sum.biases)
    }

    /// Clears the accumulated gradients without applying them.
    pub(crate) fn clear_gradients(&mut self) {
        self.gradient_sum.clear();
    }
}

/// What the threads of a data-parallel pass share of a layer: its parameters.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Shared<'a, T> {
    weights: &'a Matrix<T>,
    biases: &'a [T],
    activation_fn: Activation,
}

/// Some rows of a layer's caches (one row per sample, N(l) values each): z, a and δ of
/// some of a batch's samples. One thread's share in a data-parallel pass, or all rows.
#[derive(Debug)]
pub(crate) struct Rows<'a, T> {
    z: &'a mut [T],
    a: &'a mut [T],
    delta: &'a mut [T],
}

impl<T> Rows<'_, T> {
    /// a = σ(z) of these rows, the input of the layer above.
    pub(crate) fn activation(&self) -> &[T] {
        self.a
    }

    /// δ of these rows.
    pub(crate) fn delta(&self) -> &[T] {
        self.delta
    }
}

impl<T: Float> Shared<'_, T> {
    /// The layer's activation function σ.
    pub(crate) fn activation_fn(&self) -> Activation {
        self.activation_fn
    }

    /// The forward pass of some rows of a batch of `batch_rows`: Z = A(l−1)·wᵀ (in row form,
    /// one sample per row, z = w·a(l−1) for each), then z += b and a = σ(z) in one pass
    /// over each row. `input` holds the same rows of a(l−1). Each row comes out as it would
    /// from the whole batch, whatever the rows' split.
    pub(crate) fn forward(&self, batch_rows: usize, input: &[T], out: &mut Rows<'_, T>, threads: usize) {
        let (n_out, n_in) = self.weights.shape();
        let rows = out.a.len() / n_out;
        crate::kernels::gemm_threaded(
            threads,
            batch_rows,
            rows,
            n_in,
            n_out,
            T::ONE,
            input,
            n_in,
            Transpose::No,
            self.weights.as_slice(),
            n_in,
            Transpose::Yes,
            T::ZERO,
            out.z,
            n_out,
        );
        self.activation_fn.add_bias_and_apply(out.z, self.biases, out.a);
    }

    /// δ(L) of the output layer from the targets (BP1), δ = ∇ₐC ⊙ σ′(z) row by row (see
    /// [`Cost::output_error`](crate::Cost::output_error)); `targets` holds these rows' y.
    pub(crate) fn output_error(&self, cost: crate::Cost, targets: &[T], out: &mut Rows<'_, T>) {
        let n = self.weights.rows();
        let rows = out.z.chunks_exact(n).zip(out.a.chunks_exact(n));
        for (((z, a), y), delta) in rows.zip(targets.chunks_exact(n)).zip(out.delta.chunks_exact_mut(n)) {
            cost.output_error(self.activation_fn, z, a, y, delta);
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
        below: &mut Rows<'_, T>,
        threads: usize,
    ) {
        let (n_out, n_in) = self.weights.shape();
        let rows = delta.len() / n_out;
        crate::kernels::gemm_threaded(
            threads,
            batch_rows,
            rows,
            n_out,
            n_in,
            T::ONE,
            delta,
            n_out,
            Transpose::No,
            self.weights.as_slice(),
            n_in,
            Transpose::No,
            T::ZERO,
            below.delta,
            n_in,
        );
        let rows = below.z.chunks_exact(n_in).zip(below.a.chunks_exact(n_in));
        for ((z, a), g) in rows.zip(below.delta.chunks_exact_mut(n_in)) {
            below_fn.backpropagate(z, a, g);
        }
    }
}

impl<T: Float> fmt::Display for Layer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} → {} ({})", self.n_inputs(), self.n_outputs(), self.activation_fn)
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
        assert_eq!(l.weighted_input().row(0), &[-2.0, 2.0]);
        let s = Activation::Sigmoid;
        assert_eq!(l.activation().row(0), &[s.value(-2.0), s.value(2.0)]);
        let mut out = Matrix::zeros(0, 0);
        l.predict_into(MatrixView::from_row(&x), &mut out, 1).unwrap();
        assert_eq!(out.as_slice(), &[s.value(-2.0), s.value(2.0)]);
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
        l.step(0.5, 1);
        assert_eq!(l.weights().as_slice(), &[0.5, -1.0, -2.5, 1.5, 2.5, 3.5]);
        assert_eq!(l.biases().as_slice(), &[-0.5, 0.0]);
        assert!(l.gradient_sum().weights.as_slice().iter().all(|&g| g == 0.0));
    }
}
