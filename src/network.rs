//! [`Network`] and its [`NetworkBuilder`]: the forward pass, backpropagation (BP1..BP4)
//! and the update step over a stack of [`Layer`]s.

use core::fmt;
use core::marker::PhantomData;

use crate::error::{Error, Result, check_len, check_threads};
use crate::finite::{check_finite, check_finite_rows};
use crate::init::{Init, Rng};
use crate::layer::{GradientSink, Gradients, Layer, LayerBlock};
use crate::optimizer::{Optimizer, Params};
use crate::{Activation, Cost, Float, Matrix, MatrixView, Subnormals, Vector};

/// The seed [`NetworkBuilder`] uses unless [`seed`](NetworkBuilder::seed) sets another.
pub const DEFAULT_SEED: u64 = 0x5EED;

/// A fully connected feed-forward network: layers l = 0, 1, …, L (L the output layer,
/// `layers().last()`), trained by backpropagation.
///
/// The training cycle is [`forward`](Self::forward) (or [`forward_batch`](Self::forward_batch)),
/// then [`backward`](Self::backward) (or [`backward_batch`](Self::backward_batch)), which
/// adds this sample's gradients to a running sum, then, after one sample or many,
/// [`step`](Self::step), which moves every weight and bias against the mean gradient.
/// [`predict`](Self::predict) runs the network without changing it.
///
/// ```
/// use backprop::{Activation, Cost, Network};
///
/// let mut net = Network::<f64>::builder(2)
///     .layer(3, Activation::Sigmoid)
///     .layer(1, Activation::Sigmoid)
///     .cost(Cost::Quadratic)
///     .seed(7)
///     .build()?;
/// let before = net.sample_cost(&[1.0, 0.0], &[1.0])?;
/// for _ in 0..10 {
///     net.forward(&[1.0, 0.0])?;
///     net.backward(&[1.0])?;
///     net.step(0.5)?;
/// }
/// assert!(net.sample_cost(&[1.0, 0.0], &[1.0])? < before);
/// # Ok::<(), backprop::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Network<T> {
    n_inputs: usize,
    layers: Vec<Layer<T>>,
    cost: Cost,
    // The input of the last forward pass, a(−1) in the notation of the docs: BP3 of the
    // first layer needs it. A workspace reused from batch to batch.
    input: Matrix<T>,
    // Rows of the forward pass that the next backward pass belongs to; 0 if none.
    pending_rows: usize,
    // Samples whose gradients were summed since the last step.
    accumulated: usize,
    // Threads that large matrix products are split over.
    threads: usize,
    // What the layers do with subnormal values of a and δ; each layer holds a copy.
    subnormals: Subnormals,
}

/// One layer as the builder records it.
#[derive(Clone, Copy, Debug)]
struct LayerSpec {
    neurons: usize,
    activation: Activation,
    weights: Init,
    biases: Init,
}

/// Builds a [`Network`] layer by layer, checking everything once at [`build`](Self::build).
///
/// Defaults: cost [`Cost::Quadratic`], seed [`DEFAULT_SEED`], one thread; weights drawn
/// by [`Init::default_weights`] for the layer's activation, biases zero.
#[derive(Clone, Debug)]
#[must_use = "a builder does nothing until .build() is called"]
pub struct NetworkBuilder<T> {
    n_inputs: usize,
    layers: Vec<LayerSpec>,
    cost: Cost,
    seed: u64,
    threads: usize,
    subnormals: Subnormals,
    // An `.init()` before any `.layer()`: reported by `build`.
    init_without_layer: bool,
    _float: PhantomData<T>,
}

impl<T: Float> NetworkBuilder<T> {
    /// Adds a layer of `n_neurons` neurons with activation σ = `activation`.
    ///
    /// ```
    /// use backprop::{Activation, Network};
    ///
    /// let net = Network::<f32>::builder(4).layer(8, Activation::Relu).layer(3, Activation::Softmax).build()?;
    /// let widths: Vec<(usize, usize)> = net.layers().iter().map(|l| l.weights().shape()).collect();
    /// assert_eq!(widths, [(8, 4), (3, 8)]); // N(l) × N(l−1)
    /// assert_eq!(net.layers()[1].activation().to_string(), "softmax");
    /// # Ok::<(), backprop::Error>(())
    /// ```
    pub fn layer(mut self, n_neurons: usize, activation: Activation) -> Self {
        let weights = Init::default_weights(activation);
        self.layers.push(LayerSpec { neurons: n_neurons, activation, weights, biases: Init::Zeros });
        self
    }

    /// Sets how the weights of the layer added last are drawn (default
    /// [`Init::default_weights`] of its activation).
    ///
    /// ```
    /// use backprop::{Activation, Init, Network};
    /// let net = Network::<f32>::builder(4)
    ///     .layer(8, Activation::Sigmoid)
    ///     .init(Init::Normal { std: 1.0 })
    ///     .layer(1, Activation::Sigmoid)
    ///     .build()?;
    /// # Ok::<(), backprop::Error>(())
    /// ```
    pub fn init(mut self, weights: Init) -> Self {
        match self.layers.last_mut() {
            Some(spec) => spec.weights = weights,
            None => self.init_without_layer = true,
        }
        self
    }

    /// Sets how the biases of the layer added last are drawn (default [`Init::Zeros`]).
    ///
    /// ```
    /// use backprop::{Activation, Init, Network};
    ///
    /// let net = Network::<f64>::builder(2)
    ///     .layer(3, Activation::Relu)
    ///     .bias_init(Init::Normal { std: 0.1 }) // the first layer's biases only
    ///     .layer(1, Activation::Sigmoid)
    ///     .build()?;
    /// assert!(net.layers()[0].biases().iter().all(|&b| b != 0.0));
    /// assert!(net.layers()[1].biases().iter().all(|&b| b == 0.0)); // the default, Init::Zeros
    /// # Ok::<(), backprop::Error>(())
    /// ```
    pub fn bias_init(mut self, biases: Init) -> Self {
        match self.layers.last_mut() {
            Some(spec) => spec.biases = biases,
            None => self.init_without_layer = true,
        }
        self
    }

    /// Sets the cost C (default [`Cost::Quadratic`]).
    pub fn cost(mut self, cost: Cost) -> Self {
        self.cost = cost;
        self
    }

    /// Sets the seed of the weight initialisation (default [`DEFAULT_SEED`]). The same
    /// seed gives the same weights on every machine.
    ///
    /// ```
    /// use backprop::{Activation, Network};
    ///
    /// let build = |seed| Network::<f64>::builder(3).layer(4, Activation::Tanh).seed(seed).build();
    /// assert_eq!(build(1)?.layers(), build(1)?.layers()); // the same weights on every run
    /// assert_ne!(build(1)?.layers(), build(2)?.layers());
    /// # Ok::<(), backprop::Error>(())
    /// ```
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Sets the number of threads that training and inference may use (default 1); see
    /// [`Network::set_threads`].
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = threads;
        self
    }

    /// Sets what training and inference do with subnormal values of the activations and
    /// errors (default [`Subnormals::Flush`]); see [`Network::set_subnormals`].
    pub fn subnormals(mut self, subnormals: Subnormals) -> Self {
        self.subnormals = subnormals;
        self
    }

    /// Builds the network, drawing its weights from the seeded generator.
    ///
    /// ```
    /// use backprop::{Activation, Cost, Error, Network};
    ///
    /// // Two networks from the same seed have the same weights.
    /// let make = || Network::<f64>::builder(2).layer(3, Activation::Tanh).layer(1, Activation::Sigmoid).seed(9);
    /// assert_eq!(make().build()?.layers()[0].weights(), make().build()?.layers()[0].weights());
    /// // A cost that does not suit the output layer is refused.
    /// let bad = Network::<f64>::builder(2).layer(2, Activation::Relu).cost(Cost::CategoricalCrossEntropy).build();
    /// assert!(matches!(bad, Err(Error::Incompatible { .. })));
    /// # Ok::<(), backprop::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::ZeroSizedLayer`] if the input or a layer has zero size;
    /// [`Error::EmptyNetwork`] if no layer was added; [`Error::InvalidHyperparameter`]
    /// if the thread count is 0 or an activation's parameter is not finite;
    /// [`Error::Incompatible`] for a one-neuron softmax layer or a cost that makes no
    /// sense with the output activation (see [`Cost::check_output`]); [`Error::TooLarge`]
    /// if a layer's N(l)×N(l−1) weights cannot be allocated.
    pub fn build(self) -> Result<Network<T>> {
        if self.n_inputs == 0 {
            return Err(Error::ZeroSizedLayer { layer: None });
        }
        if self.layers.is_empty() {
            return Err(Error::EmptyNetwork);
        }
        if let Some(l) = self.layers.iter().position(|spec| spec.neurons == 0) {
            return Err(Error::ZeroSizedLayer { layer: Some(l) });
        }
        if self.init_without_layer {
            return Err(Error::Incompatible {
                reason: "init() and bias_init() apply to the layer added last; add a layer first".into(),
            });
        }
        let mut rng = Rng::new(self.seed);
        let mut layers = Vec::with_capacity(self.layers.len());
        let mut n_in = self.n_inputs;
        for spec in &self.layers {
            spec.weights.validate()?;
            spec.biases.validate()?;
            let n_out = spec.neurons;
            let mut weights = Matrix::try_zeros(n_out, n_in).map_err(|_| Error::TooLarge {
                what: "a layer's weights",
                rows: n_out,
                cols: n_in,
            })?;
            spec.weights.fill(&mut rng, &mut weights);
            let biases = (0..n_out).map(|_| T::from_f64(spec.biases.sample(&mut rng, n_in, n_out))).collect();
            layers.push(Layer::new(weights, biases, spec.activation)?);
            n_in = n_out;
        }
        let mut net = Network::from_layers(layers, self.cost)?;
        net.set_threads(self.threads)?;
        net.set_subnormals(self.subnormals);
        Ok(net)
    }
}

impl<T: Float> Network<T> {
    /// Starts building a network whose input has `n_inputs` values.
    ///
    /// ```
    /// use backprop::{Activation, Cost, Network};
    ///
    /// let net = Network::<f32>::builder(3)
    ///     .layer(4, Activation::Relu)
    ///     .layer(2, Activation::Softmax)
    ///     .cost(Cost::CategoricalCrossEntropy)
    ///     .build()?;
    /// assert_eq!((net.n_inputs(), net.n_outputs(), net.layers().len()), (3, 2, 2));
    /// assert_eq!(net.n_parameters(), (3 * 4 + 4) + (4 * 2 + 2)); // weights and biases
    /// # Ok::<(), backprop::Error>(())
    /// ```
    pub fn builder(n_inputs: usize) -> NetworkBuilder<T> {
        NetworkBuilder {
            n_inputs,
            layers: Vec::new(),
            cost: Cost::Quadratic,
            seed: DEFAULT_SEED,
            threads: 1,
            subnormals: Subnormals::Flush,
            init_without_layer: false,
            _float: PhantomData,
        }
    }

    /// A network from layers made by the caller (e.g. with weights of their own).
    ///
    /// ```
    /// use backprop::{Activation, Cost, Layer, Matrix, Network, Vector};
    ///
    /// // A one-neuron network computing σ(x₀ − x₁), with weights chosen by hand.
    /// let layer = Layer::new(Matrix::new(1, 2, vec![1.0, -1.0])?, Vector::from(vec![0.0]), Activation::Sigmoid)?;
    /// let net = Network::from_layers(vec![layer], Cost::BinaryCrossEntropy)?;
    /// assert_eq!(net.predict(&[2.0, 2.0])?[0], 0.5);
    /// assert!(net.predict(&[3.0, 1.0])?[0] > 0.5);
    /// # Ok::<(), backprop::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::EmptyNetwork`] if `layers` is empty; [`Error::ShapeMismatch`] if a
    /// layer's number of inputs is not the previous layer's number of outputs;
    /// [`Error::Incompatible`] if the cost makes no sense with the output layer's
    /// activation (see [`Cost::check_output`]).
    pub fn from_layers(layers: Vec<Layer<T>>, cost: Cost) -> Result<Self> {
        let first = layers.first().ok_or(Error::EmptyNetwork)?;
        let last = layers.last().ok_or(Error::EmptyNetwork)?;
        let n_inputs = first.n_inputs();
        for pair in layers.windows(2) {
            check_len("a layer's input", "the previous layer's output", pair[0].n_outputs(), pair[1].n_inputs())?;
        }
        cost.check_output(last.activation(), last.n_outputs())?;
        let mut net = Network {
            n_inputs,
            layers,
            cost,
            input: Matrix::zeros(0, n_inputs),
            pending_rows: 0,
            accumulated: 0,
            threads: 1,
            subnormals: Subnormals::Flush,
        };
        net.set_subnormals(Subnormals::Flush);
        Ok(net)
    }

    /// Sets the number of threads that training and inference may use (1, the default,
    /// runs everything on the calling thread).
    ///
    /// In training, a large enough mini-batch (a forward pass of at least 8 MFLOP, e.g.
    /// 51 samples of a 784-100-10 network) is split by rows: each thread runs the forward
    /// pass, BP1 and BP2 for its own samples through every layer; then the gradient
    /// products of BP3 and BP4, which sum over the whole batch, are split by neurons, or by
    /// inputs when a layer has 512 or more inputs and at least twice as many as neurons. A
    /// [`Batcher`](crate::Batcher) with the same thread count gathers each thread's rows on
    /// that thread. In inference, and for single large products, the products are split
    /// by rows of the result. No value is ever summed by two threads, and every product is
    /// computed as if whole, so results are bit for bit those of one thread, whatever the
    /// count (tested).
    /// The threads are started on first use and kept for the process (standard library
    /// only); a split step allocates a few small job lists, where a one-thread step
    /// allocates nothing.
    ///
    /// ```
    /// use backprop::{Activation, Matrix, Network};
    ///
    /// let mut net = Network::<f32>::builder(8).layer(16, Activation::Relu).layer(4, Activation::Sigmoid).build()?;
    /// let x = Matrix::from_fn(64, 8, |i, j| ((i * 8 + j) % 7) as f32 / 7.0);
    /// let one = net.predict_batch(&x)?;
    /// net.set_threads(2)?;
    /// assert_eq!(net.predict_batch(&x)?, one); // bit for bit the same
    /// assert!(net.set_threads(0).is_err());
    /// # Ok::<(), backprop::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`] if `threads` is 0.
    pub fn set_threads(&mut self, threads: usize) -> Result<()> {
        check_threads(threads)?;
        self.threads = threads;
        Ok(())
    }

    /// The number of threads set by [`set_threads`](Self::set_threads).
    #[must_use]
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Sets what training and inference do with subnormal values (below about
    /// 1.2·10⁻³⁸ in `f32`, 2.2·10⁻³⁰⁸ in `f64`) of the activations a and the errors δ.
    ///
    /// With [`Subnormals::Flush`], the default, each a and δ that would be subnormal is
    /// stored as 0, so the matrix products never read a subnormal value from them, and a
    /// network whose sigmoids saturate trains at the speed of one whose sigmoids do not
    /// (on x86, arithmetic on subnormals is many times slower). With
    /// [`Subnormals::Keep`], every value is IEEE 754's, however small. z, the
    /// gradients, the parameters and the optimisers' state are never flushed, and the
    /// setting touches no processor state: the rest of the program's arithmetic is
    /// unchanged (see [`Subnormals`] for why the crate flushes in software). Results are
    /// bit for bit the same for every thread count in both settings (tested). The
    /// setting is not saved with the network.
    pub fn set_subnormals(&mut self, subnormals: Subnormals) {
        self.subnormals = subnormals;
        for layer in &mut self.layers {
            layer.set_subnormals(subnormals);
        }
    }

    /// The setting of [`set_subnormals`](Self::set_subnormals).
    #[must_use]
    pub fn subnormals(&self) -> Subnormals {
        self.subnormals
    }

    /// The number of input values, N(−1) … the width of a sample.
    #[must_use]
    pub fn n_inputs(&self) -> usize {
        self.n_inputs
    }

    /// The number of output values, N(L).
    #[must_use]
    pub fn n_outputs(&self) -> usize {
        self.output_layer().n_outputs()
    }

    /// The layers, input side first; `layers().last()` is the output layer L.
    #[must_use]
    pub fn layers(&self) -> &[Layer<T>] {
        &self.layers
    }

    /// The cost C the network is trained on.
    #[must_use]
    pub fn cost(&self) -> Cost {
        self.cost
    }

    /// The number of weights and biases.
    pub fn n_parameters(&self) -> usize {
        self.layers.iter().map(Layer::n_parameters).sum()
    }

    pub(crate) fn output_layer(&self) -> &Layer<T> {
        // `from_layers` refuses an empty stack, so there is always a last layer.
        &self.layers[self.layers.len() - 1]
    }

    /// The forward pass for one sample (step 2 of the algorithm): for each layer
    /// z(l) = w(l)·a(l−1) + b(l) and a(l) = σ(z(l)), with a(−1) = x. Returns the output
    /// a(L) and keeps every z and a for [`backward`](Self::backward).
    ///
    /// ```
    /// use backprop::{Activation, Network};
    ///
    /// let mut net = Network::<f64>::builder(2).layer(3, Activation::Tanh).layer(2, Activation::Sigmoid).build()?;
    /// let output = net.forward(&[0.5, -1.0])?.to_vec();
    /// assert_eq!(output.len(), 2);
    /// assert!(output.iter().all(|&a| 0.0 < a && a < 1.0)); // sigmoid outputs
    /// assert_eq!(net.predict(&[0.5, -1.0])?.as_slice(), &output[..]);
    /// assert!(net.forward(&[0.5]).is_err()); // one input too few
    /// # Ok::<(), backprop::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] if `x` does not have [`n_inputs`](Self::n_inputs)
    /// values; [`Error::NonFinite`] if it holds NaN or an infinity.
    pub fn forward(&mut self, x: &[T]) -> Result<&[T]> {
        self.forward_batch(MatrixView::from_row(x)).map(|a| a.row(0))
    }

    /// The forward pass for a mini-batch, one sample per row of `x`; returns the outputs,
    /// one row per sample. Equivalent to [`forward`](Self::forward) on each row, but
    /// computed as matrix products.
    ///
    /// The input is copied once into a workspace that the network keeps, because BP3 of
    /// the first layer (∂C/∂w = δ·xᵀ) needs it again in the backward pass.
    ///
    /// A batch of a [`Dataset`](crate::Dataset) (from
    /// [`Dataset::batches`](crate::Dataset::batches) or a [`Batcher`](crate::Batcher)) is not
    /// scanned for NaN and infinities: the dataset checked every value when it was built.
    /// Any other input is.
    ///
    /// ```
    /// use backprop::{Activation, Matrix, Network};
    ///
    /// let mut net = Network::<f64>::builder(2).layer(3, Activation::Relu).layer(1, Activation::Identity).build()?;
    /// let x = Matrix::from_rows(&[[0.0, 1.0], [2.0, -1.0], [0.5, 0.5]])?;
    /// let outputs = net.forward_batch(&x)?.clone();
    /// assert_eq!(outputs.shape(), (3, 1));
    /// for (i, row) in x.row_iter().enumerate() {
    ///     assert!((outputs[(i, 0)] - net.predict(row)?[0]).abs() < 1e-12); // row by row
    /// }
    /// # Ok::<(), backprop::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] if a row does not have [`n_inputs`](Self::n_inputs)
    /// values; [`Error::EmptyData`] if `x` has no rows; [`Error::NonFinite`] if it holds
    /// NaN or an infinity.
    pub fn forward_batch<'a>(&mut self, x: impl Into<MatrixView<'a, T>>) -> Result<&Matrix<T>> {
        let x = x.into();
        self.check_input(x)?;
        self.input.resize("the input batch", x.n_rows(), x.n_cols())?;
        self.input.as_mut_slice().copy_from_slice(x.as_slice());
        let Network { layers, input, threads, .. } = self;
        forward_layers(layers, input.view(), *threads)?;
        self.pending_rows = x.n_rows();
        Ok(self.output_layer().a())
    }

    /// The backward pass for the sample of the last [`forward`](Self::forward), with
    /// target `y`: the output error (BP1) δ(L) = ∇ₐC ⊙ σ′(z(L)); the error of each hidden
    /// layer (BP2) δ(l) = (w(l+1)ᵀ δ(l+1)) ⊙ σ′(z(l)); and the gradients (BP3, BP4)
    /// ∂C/∂w(l) = δ(l)·a(l−1)ᵀ and ∂C/∂b(l) = δ(l), added to the sums that the next
    /// [`step`](Self::step) applies.
    ///
    /// ```
    /// use backprop::{Activation, Error, Network};
    ///
    /// let mut net = Network::<f64>::builder(2).layer(3, Activation::Sigmoid).layer(1, Activation::Sigmoid).build()?;
    /// assert!(matches!(net.backward(&[1.0]), Err(Error::NoForwardPass)));
    /// net.forward(&[1.0, 0.0])?;
    /// net.backward(&[1.0])?;
    /// let gradients = net.gradients()?; // ∂C/∂w and ∂C/∂b of each layer
    /// assert_eq!(gradients[0].weights.shape(), (3, 2));
    /// // The target is above the sigmoid's output: raising the output bias lowers the cost.
    /// assert!(gradients[1].biases[0] < 0.0);
    /// # Ok::<(), backprop::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::NoForwardPass`] if no forward pass precedes it (each forward pass serves
    /// one backward pass); [`Error::ShapeMismatch`] if `y` does not have
    /// [`n_outputs`](Self::n_outputs) values or the forward pass was a batch of more than
    /// one sample; [`Error::NonFinite`] if `y` holds NaN or an infinity;
    /// [`Error::Incompatible`] if `y` is not a valid target for the cost (see
    /// [`Cost::check_target`]).
    pub fn backward(&mut self, y: &[T]) -> Result<()> {
        self.backward_batch(MatrixView::from_row(y))
    }

    /// The backward pass for the mini-batch of the last
    /// [`forward_batch`](Self::forward_batch), targets one per row; the gradients of all
    /// its samples are added to the sums (see [`backward`](Self::backward)).
    ///
    /// ```
    /// use backprop::{Activation, Matrix, Network};
    ///
    /// let mut net = Network::<f64>::builder(2).layer(3, Activation::Tanh).layer(1, Activation::Sigmoid).build()?;
    /// let x = Matrix::from_rows(&[[0.0, 1.0], [1.0, 0.5]])?;
    /// let y = Matrix::from_rows(&[[1.0], [0.0]])?;
    /// net.forward_batch(&x)?;
    /// net.backward_batch(&y)?;
    /// let batch = net.gradients()?;
    /// net.clear_gradients();
    /// for i in 0..2 {
    ///     net.forward(x.row(i))?;
    ///     net.backward(y.row(i))?;
    /// }
    /// // The same mean gradient as the samples one by one.
    /// let one_by_one = net.gradients()?;
    /// let diff = batch[0].weights.as_slice().iter().zip(one_by_one[0].weights.as_slice()).map(|(a, b)| (a - b).abs());
    /// assert!(diff.fold(0.0, f64::max) < 1e-12);
    /// # Ok::<(), backprop::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`backward`](Self::backward); the number of target rows must equal the number
    /// of rows of the forward pass.
    pub fn backward_batch<'a>(&mut self, y: impl Into<MatrixView<'a, T>>) -> Result<()> {
        self.backward_into(y.into(), GradientSink::Sum)
    }

    /// The backward pass with the gradients going to `sink`; `backward_batch` and the
    /// fused step of `train_batch`.
    fn backward_into(&mut self, y: MatrixView<'_, T>, sink: GradientSink<T>) -> Result<()> {
        if self.pending_rows == 0 {
            return Err(Error::NoForwardPass);
        }
        self.check_targets(y, self.pending_rows)?;
        let Network { layers, input, cost, threads, .. } = self;
        backward_layers(layers, input.view(), y, *cost, *threads, sink);
        if let GradientSink::Sum = sink {
            self.accumulated += self.pending_rows;
        }
        self.pending_rows = 0;
        Ok(())
    }

    /// The update step of gradient descent with learning rate α:
    /// w := w − α ∂C/∂w and b := b − α ∂C/∂b for every layer, where ∂C/∂w and ∂C/∂b are
    /// the means of the gradients accumulated since the last step. Then clears them.
    ///
    /// The step is all or nothing: the new values are computed aside, and applied only if
    /// every one is finite.
    ///
    /// ```
    /// use backprop::{Activation, Error, Network};
    ///
    /// let mut net = Network::<f64>::builder(1).layer(2, Activation::Tanh).layer(1, Activation::Identity).build()?;
    /// let samples = [([1.0], [2.0]), ([-1.0], [0.0])];
    /// let cost = |net: &Network<f64>| samples.iter().map(|(x, y)| net.sample_cost(x, y).unwrap()).sum::<f64>();
    /// let before = cost(&net);
    /// for (x, y) in &samples {
    ///     net.forward(x)?;
    ///     net.backward(y)?;
    /// }
    /// net.step(0.1)?; // one step along the mean gradient of both samples
    /// assert!(cost(&net) < before);
    /// assert!(matches!(net.step(0.1), Err(Error::EmptyData { .. }))); // nothing accumulated
    /// # Ok::<(), backprop::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`] unless α is finite and > 0 (the classic form
    /// uses α in (0, 1], but larger rates are valid); [`Error::EmptyData`] if no
    /// backward pass ran since the last step; [`Error::NonFiniteUpdate`] if a new weight
    /// or bias would be NaN or infinite: then no parameter changes, and the gradients stay
    /// accumulated, so that a smaller rate can be tried.
    pub fn step(&mut self, learning_rate: T) -> Result<()> {
        check_learning_rate(learning_rate)?;
        if self.accumulated == 0 {
            return Err(Error::EmptyData { what: "the gradient accumulated since the last step" });
        }
        for layer in &mut self.layers {
            layer.stage_descent(learning_rate, self.accumulated);
        }
        finish_update(&mut self.layers, Ok(()))?;
        self.clear_gradients();
        Ok(())
    }

    /// One update by an [`Optimizer`] (SGD with momentum, Adam, one of your own, …) from
    /// the mean gradients accumulated since the last step; then clears them.
    /// [`step`](Self::step) is the same with [`Sgd`](crate::Sgd).
    ///
    /// The update is all or nothing (see [`Optimizer`]): the optimiser writes the new
    /// parameters to a staged copy, which replaces them only if every value is finite and
    /// the optimiser's new state is too; then the optimiser's
    /// [`commit_step`](Optimizer::commit_step) runs, otherwise its
    /// [`discard_step`](Optimizer::discard_step), and the network and the optimiser's
    /// state stay bit for bit as they were. Nothing is allocated after the first step.
    ///
    /// ```
    /// use backprop::{Activation, Momentum, Network};
    ///
    /// let mut net = Network::<f64>::builder(2).layer(4, Activation::Tanh).layer(1, Activation::Sigmoid).build()?;
    /// let mut optimizer = Momentum::new(0.1)?.momentum(0.9)?;
    /// let before = net.sample_cost(&[1.0, -1.0], &[1.0])?;
    /// for _ in 0..20 {
    ///     net.forward(&[1.0, -1.0])?;
    ///     net.backward(&[1.0])?;
    ///     net.step_with(&mut optimizer)?;
    /// }
    /// assert_eq!(optimizer.steps(), 20);
    /// assert!(net.sample_cost(&[1.0, -1.0], &[1.0])? < before);
    /// # Ok::<(), backprop::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::EmptyData`] if no backward pass ran since the last step;
    /// [`Error::NonFiniteUpdate`] if a new weight or bias, or a value of the optimiser's
    /// new state, would be NaN or infinite; and whatever else the optimiser returns. The
    /// gradients are cleared either way.
    pub fn step_with<O: Optimizer<T> + ?Sized>(&mut self, optimizer: &mut O) -> Result<()> {
        if self.accumulated == 0 {
            return Err(Error::EmptyData { what: "the gradient accumulated since the last step" });
        }
        for layer in &mut self.layers {
            layer.average_gradients(self.accumulated);
        }
        let stepped = optimizer.step(&mut Params::new(&mut self.layers));
        let result = finish_update(&mut self.layers, stepped);
        match result {
            Ok(()) => optimizer.commit_step(),
            Err(_) => optimizer.discard_step(),
        }
        self.clear_gradients();
        result
    }

    /// Forward, backward and step on one mini-batch: one step of mini-batch gradient
    /// descent, w := w − (α/m) Σ δ·aᵀ over the batch's m samples. Any gradient
    /// accumulated before is applied with this batch's.
    ///
    /// When nothing was accumulated before, BP3 and BP4 add −(α/m)·δ·aᵀ straight into the
    /// weights instead of into a gradient that `step` would read back: the same update,
    /// one pass over w instead of three; and the batch is read where it lies, not copied.
    /// A [`backward`](Self::backward) right after `train_batch` is an
    /// [`Error::NoForwardPass`].
    ///
    /// The update is all or nothing, as for [`step`](Self::step). The fused form proves
    /// it before it writes: each layer keeps a bound on |w| and |b|, and the step moves a
    /// weight by at most (α/m)·‖δ‖·‖a(l−1)‖ (Cauchy–Schwarz, with norms over the batch,
    /// cheap next to w); while the bound stays below 2¹²⁰, no value can overflow and
    /// nothing is checked after the step. A layer the bound cannot vouch for is copied
    /// first and checked after; if a value is not finite, every layer is put back.
    ///
    /// ```
    /// use backprop::{Activation, Matrix, Network};
    ///
    /// // y = 2x − 1 on four points, learnt by a single linear neuron.
    /// let x = Matrix::from_rows(&[[0.0], [0.5], [1.0], [1.5]])?;
    /// let y = Matrix::from_fn(4, 1, |i, _| 2.0 * x[(i, 0)] - 1.0);
    /// let mut net = Network::<f64>::builder(1).layer(1, Activation::Identity).build()?;
    /// for _ in 0..500 {
    ///     net.train_batch(&x, &y, 0.2)?;
    /// }
    /// assert!(net.mean_cost(&x, &y)? < 1e-6);
    /// assert!((net.predict(&[2.0])?[0] - 3.0).abs() < 1e-2);
    /// # Ok::<(), backprop::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`forward_batch`](Self::forward_batch), [`backward_batch`](Self::backward_batch)
    /// and [`step`](Self::step); the learning rate is checked before anything changes. On
    /// [`Error::NonFiniteUpdate`] no parameter has changed and nothing stays accumulated.
    pub fn train_batch<'a>(
        &mut self,
        x: impl Into<MatrixView<'a, T>>,
        y: impl Into<MatrixView<'a, T>>,
        learning_rate: T,
    ) -> Result<()> {
        check_learning_rate(learning_rate)?;
        let (x, y) = (x.into(), y.into());
        if self.accumulated > 0 {
            self.forward_batch(x)?;
            self.backward_batch(y)?;
            let result = self.step(learning_rate);
            self.clear_gradients();
            return result;
        }
        self.descend_batch(x, y, learning_rate, |_| Ok(()))
    }

    /// The fused step of [`train_batch`](Self::train_batch), nothing being accumulated:
    /// the forward pass, then `inspect` on the output layer (its error ends the step
    /// before anything changes: `Trainer::fit` checks the batch's cost there), then BP1
    /// and BP2, and BP3/BP4 added straight into the parameters. The learning rate is
    /// checked by the caller.
    pub(crate) fn descend_batch(
        &mut self,
        x: MatrixView<'_, T>,
        y: MatrixView<'_, T>,
        learning_rate: T,
        inspect: impl FnOnce(&Layer<T>) -> Result<()>,
    ) -> Result<()> {
        debug_assert_eq!(self.accumulated, 0, "the fused step has no gradient sums to add");
        // Everything is checked before anything changes; then the batch is used where it
        // lies, without the copy that `forward_batch` keeps for a later `backward`.
        self.check_input(x)?;
        self.check_targets(y, x.n_rows())?;
        let scale = -learning_rate / T::from_usize(x.n_rows());
        // The caches are about to hold this batch, whose input is not kept.
        self.pending_rows = 0;
        let Network { layers, cost, threads, .. } = self;
        forward_layers(layers, x, *threads)?;
        inspect(&layers[layers.len() - 1])?;
        passes(layers, x, Pass::Errors(y, *cost), *threads); // BP1, BP2
        descend_layers(layers, x, *threads, scale)
    }

    /// The mean gradients ∂C/∂w and ∂C/∂b per layer, over the samples accumulated by
    /// backward passes since the last step (for inspection and gradient checks).
    ///
    /// ```
    /// use backprop::{Activation, Network};
    ///
    /// let mut net = Network::<f64>::builder(3).layer(2, Activation::Sigmoid).build()?;
    /// assert!(net.gradients().is_err()); // no backward pass yet
    /// net.forward(&[1.0, 2.0, 3.0])?;
    /// net.backward(&[0.0, 1.0])?;
    /// let g = net.gradients()?;
    /// assert_eq!((g.len(), g[0].weights.shape(), g[0].biases.len()), (1, (2, 3), 2));
    /// // BP3: ∂C/∂w = δ·xᵀ, so the weight from input 2 has 3× the gradient of the one from input 0.
    /// assert!((g[0].weights[(0, 2)] - 3.0 * g[0].weights[(0, 0)]).abs() < 1e-12);
    /// # Ok::<(), backprop::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::EmptyData`] if no backward pass ran since the last step.
    pub fn gradients(&self) -> Result<Vec<Gradients<T>>> {
        if self.accumulated == 0 {
            return Err(Error::EmptyData { what: "the gradient accumulated since the last step" });
        }
        let scale = T::ONE / T::from_usize(self.accumulated);
        Ok(self
            .layers
            .iter()
            .map(|l| {
                let mut g = l.gradient_sum().clone();
                g.weights.as_mut_slice().iter_mut().for_each(|v| *v *= scale);
                g.biases.iter_mut().for_each(|v| *v *= scale);
                g
            })
            .collect())
    }

    /// Every weight and bias with its accumulated gradient, lent for in-place access (the
    /// training loop's snapshots and checks, the gradient check's perturbations).
    pub(crate) fn params(&mut self) -> Params<'_, T> {
        Params::direct(&mut self.layers)
    }

    /// Drops the gradients accumulated since the last step without applying them.
    ///
    /// ```
    /// use backprop::{Activation, Error, Network};
    ///
    /// let mut net = Network::<f64>::builder(1).layer(1, Activation::Sigmoid).build()?;
    /// let before = net.clone();
    /// net.forward(&[1.0])?;
    /// net.backward(&[0.0])?;
    /// net.clear_gradients(); // e.g. a sample found to be bad after its backward pass
    /// assert!(matches!(net.step(0.1), Err(Error::EmptyData { .. })));
    /// assert_eq!(net.layers(), before.layers());
    /// # Ok::<(), backprop::Error>(())
    /// ```
    pub fn clear_gradients(&mut self) {
        self.layers.iter_mut().for_each(Layer::clear_gradients);
        self.accumulated = 0;
    }

    /// The network's output a(L) for one sample, without changing the network.
    ///
    /// ```
    /// use backprop::{Activation, Cost, Network, argmax};
    ///
    /// let net = Network::<f32>::builder(4)
    ///     .layer(5, Activation::Relu)
    ///     .layer(3, Activation::Softmax)
    ///     .cost(Cost::CategoricalCrossEntropy)
    ///     .build()?;
    /// let p = net.predict(&[0.1, 0.2, 0.3, 0.4])?; // `&self`: the network does not change
    /// assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-6); // softmax: probabilities
    /// assert!(argmax(&p).unwrap() < 3);
    /// # Ok::<(), backprop::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`forward`](Self::forward).
    pub fn predict(&self, x: &[T]) -> Result<Vector<T>> {
        self.predict_batch(MatrixView::from_row(x)).map(|a| Vector::from(a.into_vec()))
    }

    /// The network's outputs for a batch (one sample per row), without changing the
    /// network.
    ///
    /// ```
    /// use backprop::{Activation, Matrix, Network};
    ///
    /// let net = Network::<f64>::builder(2).layer(3, Activation::Tanh).layer(2, Activation::Sigmoid).build()?;
    /// let x = Matrix::from_rows(&[[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])?;
    /// let outputs = net.predict_batch(&x)?;
    /// assert_eq!(outputs.shape(), (3, 2));
    /// let one = net.predict(&[1.0, 0.0])?; // the same up to rounding
    /// assert!(outputs.row(1).iter().zip(one.iter()).all(|(a, b)| (a - b).abs() < 1e-12));
    /// # Ok::<(), backprop::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`forward_batch`](Self::forward_batch).
    pub fn predict_batch<'a>(&self, x: impl Into<MatrixView<'a, T>>) -> Result<Matrix<T>> {
        let x = x.into();
        self.check_input(x)?;
        let (mut a, mut next) = (Matrix::zeros(0, 0), Matrix::zeros(0, 0));
        self.layers[0].predict_into(x, &mut a, self.threads)?;
        for layer in &self.layers[1..] {
            layer.predict_into(a.view(), &mut next, self.threads)?;
            core::mem::swap(&mut a, &mut next);
        }
        Ok(a)
    }

    /// The cost C(a(L), y) of one sample, computed from z(L) where the cost allows (see
    /// [`Cost::value_from_z`]): exact for a saturated sigmoid or softmax output too.
    ///
    /// ```
    /// use backprop::{Activation, Cost, Network};
    ///
    /// let net = Network::<f64>::builder(2).layer(2, Activation::Sigmoid).cost(Cost::Quadratic).build()?;
    /// let (x, y) = ([0.3, -0.7], [1.0, 0.0]);
    /// let a = net.predict(&x)?;
    /// assert!((net.sample_cost(&x, &y)? - Cost::Quadratic.value(&a, &y)).abs() < 1e-12);
    /// assert!(net.sample_cost(&x, &[1.0]).is_err()); // a target of the wrong width
    /// # Ok::<(), backprop::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`predict`](Self::predict), and [`Error::ShapeMismatch`] or
    /// [`Error::NonFinite`] for a bad target, and [`Error::Incompatible`] for a target the
    /// cost rejects (see [`Cost::check_target`]).
    pub fn sample_cost(&self, x: &[T], y: &[T]) -> Result<T> {
        check_len("target", "the network's output layer", self.n_outputs(), y.len())?;
        check_finite("target", y)?;
        self.cost.check_target(y)?;
        let (z, a) = self.predict_output(MatrixView::from_row(x))?;
        Ok(self.cost.value_from_z(self.output_layer().activation(), z.row(0), a.row(0), y))
    }

    /// The output layer's z(L) and a(L) for a batch, without changing the network: what
    /// a cost computed from z needs.
    fn predict_output(&self, x: MatrixView<'_, T>) -> Result<(Matrix<T>, Matrix<T>)> {
        self.check_input(x)?;
        let (hidden, output) = self.layers.split_at(self.layers.len() - 1);
        let (mut z, mut a, mut next) = (Matrix::zeros(0, 0), Matrix::zeros(0, 0), Matrix::zeros(0, 0));
        for (l, layer) in hidden.iter().enumerate() {
            layer.predict_into(if l == 0 { x } else { a.view() }, &mut next, self.threads)?;
            core::mem::swap(&mut a, &mut next);
        }
        output[0].predict_with_z_into(if hidden.is_empty() { x } else { a.view() }, &mut z, &mut next, self.threads)?;
        Ok((z, next))
    }

    /// The mean cost over a batch (one sample per row of `x` and `y`), each sample's as
    /// in [`sample_cost`](Self::sample_cost).
    ///
    /// ```
    /// use backprop::{Activation, Matrix, Network};
    ///
    /// let net = Network::<f64>::builder(1).layer(2, Activation::Tanh).layer(1, Activation::Identity).build()?;
    /// let x = Matrix::from_rows(&[[0.0], [1.0], [2.0]])?;
    /// let y = Matrix::from_rows(&[[1.0], [0.0], [-1.0]])?;
    /// let mean = net.mean_cost(&x, &y)?;
    /// let by_sample: f64 = (0..3).map(|i| net.sample_cost(x.row(i), y.row(i)).unwrap()).sum::<f64>() / 3.0;
    /// assert!((mean - by_sample).abs() < 1e-12);
    /// # Ok::<(), backprop::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`predict_batch`](Self::predict_batch), and [`Error::BatchSizeMismatch`],
    /// [`Error::ShapeMismatch`] or [`Error::NonFinite`] for bad targets.
    pub fn mean_cost<'a>(&self, x: impl Into<MatrixView<'a, T>>, y: impl Into<MatrixView<'a, T>>) -> Result<T> {
        let (x, y) = (x.into(), y.into());
        if x.n_rows() != y.n_rows() {
            return Err(Error::BatchSizeMismatch { expected: x.n_rows(), found: y.n_rows() });
        }
        let mut total = T::ZERO;
        for r in 0..x.n_rows() {
            total += self.sample_cost(x.row(r), y.row(r))?;
        }
        if x.n_rows() == 0 {
            return Err(Error::EmptyData { what: "input batch" });
        }
        Ok(total / T::from_usize(x.n_rows()))
    }

    /// Checks a batch of targets for `rows` samples: width, row count, values (not for
    /// NaN and infinities again in a batch of a `Dataset`, which checked them when built).
    fn check_targets(&self, y: MatrixView<'_, T>, rows: usize) -> Result<()> {
        check_len("target", "the network's output layer", self.n_outputs(), y.n_cols())?;
        if y.n_rows() != rows {
            return Err(Error::BatchSizeMismatch { expected: rows, found: y.n_rows() });
        }
        if !y.known_finite() {
            check_finite("target", y.as_slice())?;
        }
        (0..y.n_rows()).try_for_each(|r| self.cost.check_target(y.row(r)))
    }

    /// Checks a batch of inputs: width, at least one row, finite values (as for targets).
    fn check_input(&self, x: MatrixView<'_, T>) -> Result<()> {
        check_len("input", "the network's first layer", self.n_inputs, x.n_cols())?;
        if x.n_rows() == 0 {
            return Err(Error::EmptyData { what: "input batch" });
        }
        if x.known_finite() {
            return Ok(());
        }
        check_finite_rows("input", x.as_slice(), x.n_cols(), self.threads)
    }
}

/// A batch is split over threads only if its forward pass takes at least this many
/// floating-point operations (2·rows·Σ N(l−1)·N(l)), about 80 µs of work on one core.
/// Below that, the hand-over to a worker and the weights' trip between the cores' caches
/// (the step updates w on one core, the next forward pass reads it on both) cost more than
/// the second core saves: measured on a 784-100-10 network, 2 threads were slower than
/// one at batch 32 (5 MFLOP) and 1.1–1.2× faster at batch 64 (10 MFLOP).
const SPLIT_MIN_FLOPS: usize = 8_000_000;

/// Where a batch of `rows` samples is cut for a data-parallel pass on `threads` threads:
/// rows `cuts[i]..cuts[i + 1]` go to thread i, in blocks of whole multiples of 4 rows but
/// the last; one block (no split) for one thread or a small batch.
fn row_cuts<T: Float>(layers: &[Layer<T>], rows: usize, threads: usize) -> Vec<usize> {
    let flops_per_row: usize = layers.iter().map(|l| 2 * l.n_inputs() * l.n_outputs()).sum();
    let blocks = if rows.saturating_mul(flops_per_row) >= SPLIT_MIN_FLOPS { threads } else { 1 };
    crate::parallel::row_blocks(rows, blocks)
}

/// The forward pass over a batch: a(l) = σ(w(l)·a(l−1) + b(l)) for l = 0..=L, with
/// a(−1) = `input`, cached in the layers (see [`passes`]).
///
/// # Errors
/// [`Error::TooLarge`] if a layer's caches cannot be sized for the batch; nothing has been
/// computed then.
fn forward_layers<T: Float>(layers: &mut [Layer<T>], input: MatrixView<'_, T>, threads: usize) -> Result<()> {
    // Every cache first, so that a batch too large for one computes nothing.
    for layer in layers.iter_mut() {
        layer.resize_caches(input.n_rows())?;
    }
    passes(layers, input, Pass::Forward, threads);
    Ok(())
}

/// The backward pass over the batch of the last forward pass: the errors δ (BP1, BP2,
/// see [`passes`]), then the gradients (BP3, BP4) into `sink`.
fn backward_layers<T: Float>(
    layers: &mut [Layer<T>],
    input: MatrixView<'_, T>,
    targets: MatrixView<'_, T>,
    cost: Cost,
    threads: usize,
    sink: GradientSink<T>,
) {
    passes(layers, input, Pass::Errors(targets, cost), threads);
    gradient_layers(layers, input, threads, sink);
}

/// BP3 and BP4 for every layer, once every δ is known: with `GradientSink::Descend`,
/// w(l) changes here, and BP2 needed the w(l) of the forward pass.
fn gradient_layers<T: Float>(layers: &mut [Layer<T>], input: MatrixView<'_, T>, threads: usize, sink: GradientSink<T>) {
    for l in (1..layers.len()).rev() {
        let (below, above) = layers.split_at_mut(l);
        above[0].accumulate_gradients(below[l - 1].a().view(), threads, sink); // BP3, BP4
    }
    layers[0].accumulate_gradients(input, threads, sink);
}

/// The fused step of gradient descent, BP3 and BP4 added straight into the parameters:
/// w(l) := w(l) + s·δ(l)·a(l−1)ᵀ, b(l) := b(l) + s·δ(l) summed over the batch, with
/// s = −α/m, once every δ is known. All or nothing: the layers whose bound proves the
/// step safe go last, after every other layer has been stepped on a copy and checked.
///
/// # Errors
/// [`Error::NonFiniteUpdate`] if a checked layer got a value that is NaN or infinite;
/// every layer is then as before.
fn descend_layers<T: Float>(layers: &mut [Layer<T>], input: MatrixView<'_, T>, threads: usize, scale: T) -> Result<()> {
    // The input a(l−1) of layer l, read where the forward pass left it.
    fn below<'a, T: Float>(
        layers: &'a mut [Layer<T>],
        input: MatrixView<'a, T>,
        l: usize,
    ) -> (MatrixView<'a, T>, &'a mut Layer<T>) {
        match l {
            0 => (input, &mut layers[0]),
            _ => {
                let (below, above) = layers.split_at_mut(l);
                (below[l - 1].a().view(), &mut above[0])
            }
        }
    }
    for l in 0..layers.len() {
        let (a, layer) = below(layers, input, l);
        if !layer.prove_descent(a, scale)
            && let Err(e) = layer.checked_descent(a, threads, scale, l)
        {
            layers.iter_mut().for_each(Layer::undo_descent);
            return Err(e);
        }
    }
    for l in 0..layers.len() {
        let (a, layer) = below(layers, input, l);
        if layer.update_pending() {
            layer.keep_descent();
        } else {
            layer.accumulate_gradients(a, threads, GradientSink::Descend(scale)); // BP3, BP4
        }
    }
    Ok(())
}

/// Ends an update step: if `stepped` is `Ok` and every layer's pending update is finite,
/// applies them all; otherwise drops them all, so that no parameter changes.
///
/// # Errors
/// `stepped`'s error, or [`Error::NonFiniteUpdate`] for the first value that is NaN or
/// infinite.
fn finish_update<T: Float>(layers: &mut [Layer<T>], stepped: Result<()>) -> Result<()> {
    let checked = stepped.and_then(|()| layers.iter().enumerate().try_for_each(|(l, layer)| layer.check_update(l)));
    match checked {
        Ok(()) => layers.iter_mut().for_each(Layer::commit_update),
        Err(_) => layers.iter_mut().for_each(Layer::discard_update),
    }
    checked
}

/// Which of the passes over a batch to run, with what they need: the targets `Y` (all
/// of them, or a block's rows) and the cost for the errors.
#[derive(Clone, Copy, Debug)]
enum Pass<Y> {
    /// The forward pass, z(l) = w(l)·a(l−1) + b(l) and a(l) = σ(z(l)) for every layer.
    Forward,
    /// The errors δ of the last forward pass: BP1 for the output layer, then BP2 down.
    Errors(Y, Cost),
}

/// The passes over a batch in which no sample depends on another: the forward pass, or
/// BP1 and BP2 (see [`Pass`]). With one thread, or a batch too
/// small to share ([`row_cuts`]), [`block_passes`] runs them over every row, and its
/// matrix products may still use `threads`; otherwise each thread takes a block of rows
/// through every layer, and its products run on it alone. Every product is told the whole
/// batch's size (see [`LayerParams::forward`]), so the caches come out bit for bit the
/// same whichever way the batch is cut.
fn passes<T: Float>(layers: &mut [Layer<T>], input: MatrixView<'_, T>, pass: Pass<MatrixView<'_, T>>, threads: usize) {
    let cuts = if threads > 1 { row_cuts(layers, input.n_rows(), threads) } else { Vec::new() };
    if cuts.len() <= 2 {
        return block_passes(layers, input.n_rows(), input.as_slice(), pass.map(|y| y.as_slice()), threads);
    }
    let batch = input.n_rows();
    let (n_in, n_out) = (input.n_cols(), layers[layers.len() - 1].n_outputs());
    let mut blocks: Vec<Vec<_>> = cuts[1..].iter().map(|_| Vec::with_capacity(layers.len())).collect();
    for layer in layers.iter_mut() {
        let (params, caches) = layer.split_caches(&cuts);
        for (block, cache) in blocks.iter_mut().zip(caches) {
            block.push((params, cache));
        }
    }
    let mut jobs: Vec<_> = blocks
        .iter_mut()
        .zip(cuts.windows(2))
        .map(|(block, w)| {
            let x = &input.as_slice()[w[0] * n_in..w[1] * n_in];
            let pass = pass.map(|y| &y.as_slice()[w[0] * n_out..w[1] * n_out]);
            move || block_passes(block, batch, x, pass, 1)
        })
        .collect();
    let mut refs: Vec<&mut (dyn FnMut() + Send)> = jobs.iter_mut().map(|job| job as _).collect();
    crate::parallel::run(&mut refs);
}

/// The forward pass, BP1 and BP2 for some rows of a batch of `batch` samples, through
/// every layer (`layers[l]` holds layer l's parameters and these rows of its caches; `x`
/// and the pass's targets hold the same rows of the input and targets); the matrix
/// products on up to `threads` threads. See [`passes`].
fn block_passes<T: Float, L: LayerBlock<T>>(layers: &mut [L], batch: usize, x: &[T], pass: Pass<&[T]>, threads: usize) {
    // Index convention: `layers[l]` is layer l; its input a(l−1) is the activation of
    // `layers[l - 1]`, or the network's input x for l = 0.
    match pass {
        Pass::Forward => {
            for l in 0..layers.len() {
                let (below, above) = layers.split_at_mut(l);
                let (params, mut cache) = above[0].parts();
                let input = match below.last_mut() {
                    Some(below) => below.parts().1.into_activation(),
                    None => x,
                };
                params.forward(batch, input, &mut cache, threads); // z(l) = w(l)·a(l−1) + b(l), a(l) = σ(z(l))
            }
        }
        Pass::Errors(y, cost) => {
            let last = layers.len() - 1;
            let (params, mut cache) = layers[last].parts();
            params.output_error(cost, y, &mut cache); // BP1
            for l in (1..=last).rev() {
                let (below, above) = layers.split_at_mut(l);
                let (params, cache) = above[0].parts();
                let (below_params, mut below_cache) = below[l - 1].parts();
                params.backpropagate_error(batch, cache.delta(), below_params.activation(), &mut below_cache, threads); // BP2
            }
        }
    }
}

impl<Y> Pass<Y> {
    /// The same pass with its targets mapped by `f` (e.g. to a block's rows).
    fn map<Z>(self, f: impl FnOnce(Y) -> Z) -> Pass<Z> {
        match self {
            Pass::Forward => Pass::Forward,
            Pass::Errors(y, cost) => Pass::Errors(f(y), cost),
        }
    }
}

fn check_learning_rate<T: Float>(learning_rate: T) -> Result<()> {
    if learning_rate.is_finite() && learning_rate > T::ZERO {
        Ok(())
    } else {
        Err(Error::InvalidHyperparameter {
            name: "learning rate",
            rule: "finite and > 0",
            value: learning_rate.to_f64(),
        })
    }
}

/// Two networks are equal when they compute the same thing: the same input width,
/// layers (see [`Layer`]'s `PartialEq`: weights, biases, σ), cost and [`Subnormals`]
/// setting, so that a network saved and loaded equals the one saved. The number of
/// threads is not compared (results do not depend on it), nor the working state of the
/// passes (caches, a pending forward pass, accumulated gradients).
///
/// ```
/// use backprop::{Activation, Network};
///
/// let net = Network::<f64>::builder(2).layer(3, Activation::Tanh).layer(1, Activation::Sigmoid).seed(1).build()?;
/// let mut other = net.clone();
/// other.set_threads(2)?;
/// other.forward(&[0.5, -0.5])?;
/// assert_eq!(other, net);
/// assert_ne!(Network::<f64>::builder(2).layer(3, Activation::Tanh).layer(1, Activation::Sigmoid).seed(2).build()?, net);
/// # Ok::<(), backprop::Error>(())
/// ```
impl<T: Float> PartialEq for Network<T> {
    fn eq(&self, other: &Self) -> bool {
        // The input width is the first layer's weights' width: equal layers have it equal.
        self.layers == other.layers && self.cost == other.cost && self.subnormals == other.subnormals
    }
}

impl<T: Float> fmt::Display for Network<T> {
    /// The architecture, e.g. `2 → 3 (sigmoid) → 1 (sigmoid), quadratic cost, 13 parameters, f64`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.n_inputs)?;
        for l in &self.layers {
            write!(f, " → {} ({})", l.n_outputs(), l.activation())?;
        }
        write!(f, ", {} cost, {} parameters, {}", self.cost, self.n_parameters(), T::NAME)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net() -> Network<f64> {
        Network::builder(2).layer(3, Activation::Sigmoid).layer(1, Activation::Sigmoid).seed(1).build().unwrap()
    }

    #[test]
    fn builder_rejects_bad_sizes() {
        assert!(matches!(Network::<f64>::builder(2).build(), Err(Error::EmptyNetwork)));
        assert!(matches!(
            Network::<f64>::builder(0).layer(1, Activation::Sigmoid).build(),
            Err(Error::ZeroSizedLayer { layer: None })
        ));
        assert!(matches!(
            Network::<f64>::builder(2).layer(3, Activation::Sigmoid).layer(0, Activation::Sigmoid).build(),
            Err(Error::ZeroSizedLayer { layer: Some(1) })
        ));
    }

    #[test]
    fn networks_are_equal_when_they_compute_the_same_thing() {
        let base = net();
        // Working state and threads are not compared.
        let mut busy = base.clone();
        busy.set_threads(2).unwrap();
        busy.forward(&[1.0, 0.0]).unwrap();
        busy.backward(&[1.0]).unwrap();
        assert_eq!(busy, base);
        // Each thing that changes what the network computes is.
        let mut stepped = busy.clone();
        stepped.step(0.5).unwrap();
        assert_ne!(stepped, base, "weights and biases");
        let mut kept = base.clone();
        kept.set_subnormals(Subnormals::Keep);
        assert_ne!(kept, base, "subnormals");
        let rebuilt = |weights: Matrix<f64>, biases: Vec<f64>, activation, cost| {
            let mut layers = base.layers().to_vec();
            layers[1] = Layer::new(weights, Vector::from(biases), activation).unwrap();
            Network::from_layers(layers, cost).unwrap()
        };
        let output = &base.layers()[1];
        let (w, b) = (output.weights().clone(), output.biases().to_vec());
        assert_eq!(rebuilt(w.clone(), b.clone(), Activation::Sigmoid, Cost::Quadratic), base);
        let mut w2 = w.clone();
        w2[(0, 2)] += 1.0;
        assert_ne!(rebuilt(w2, b.clone(), Activation::Sigmoid, Cost::Quadratic), base, "a weight");
        let mut b2 = b.clone();
        b2[0] += 1.0;
        assert_ne!(rebuilt(w.clone(), b2, Activation::Sigmoid, Cost::Quadratic), base, "a bias");
        assert_ne!(rebuilt(w.clone(), b.clone(), Activation::Tanh, Cost::Quadratic), base, "σ");
        assert_ne!(rebuilt(w, b, Activation::Sigmoid, Cost::BinaryCrossEntropy), base, "the cost");
        let wider = Network::<f64>::builder(3).layer(3, Activation::Sigmoid).layer(1, Activation::Sigmoid).seed(1);
        assert_ne!(wider.build().unwrap(), base, "the input width, in the first layer's weights");
    }

    #[test]
    fn set_threads_sets_the_count_it_reports() {
        let mut n = net();
        assert_eq!(n.threads(), 1);
        n.set_threads(3).unwrap();
        assert_eq!(n.threads(), 3);
        assert!(n.set_threads(0).is_err());
        assert_eq!(n.threads(), 3, "a refused count changes nothing");
        let built = Network::<f64>::builder(2).layer(1, Activation::Sigmoid).threads(2).build().unwrap();
        assert_eq!(built.threads(), 2);
    }

    #[test]
    fn same_seed_same_weights() {
        let (a, b) = (net(), net());
        for (la, lb) in a.layers().iter().zip(b.layers()) {
            assert_eq!(la.weights(), lb.weights());
            assert_eq!(la.biases(), lb.biases());
        }
    }

    #[test]
    fn display_shows_the_architecture() {
        assert_eq!(net().to_string(), "2 → 3 (sigmoid) → 1 (sigmoid), quadratic cost, 13 parameters, f64");
    }

    #[test]
    fn forward_agrees_with_predict() {
        let mut n = net();
        let p = n.predict(&[0.3, -0.7]).unwrap();
        assert_eq!(n.forward(&[0.3, -0.7]).unwrap(), p.as_slice());
    }

    #[test]
    fn backward_needs_a_forward_pass() {
        let mut n = net();
        assert!(matches!(n.backward(&[1.0]), Err(Error::NoForwardPass)));
        n.forward(&[0.0, 1.0]).unwrap();
        n.backward(&[1.0]).unwrap();
        assert!(matches!(n.backward(&[1.0]), Err(Error::NoForwardPass)));
    }
}
