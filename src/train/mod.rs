//! The training loop: [`Trainer::fit`] runs epochs of mini-batch gradient descent with any
//! [`Optimizer`] and returns a [`History`]; validation, schedules, early stopping,
//! callbacks and gradient diagnostics are settings of the [`Trainer`].

mod callback;
mod diagnostics;
mod history;

pub use callback::{BatchInfo, Callback, Control, FitInfo, ProgressReporter};
pub use diagnostics::{Diagnostics, LayerDiagnostics};
pub use history::{EpochRecord, FitError, History, Monitor, StopReason};

use core::fmt;
use std::time::Instant;

use crate::error::{Error, Result, check_len};
use crate::network::DEFAULT_SEED;
use crate::optimizer::ParamKind;
use crate::{
    Batcher, Cost, Dataset, Float, Layer, MatrixView, Network, Optimizer, OptimizerState, Rng, Schedule, argmax,
};
use diagnostics::Collector;

/// The data the network is validated on after every epoch.
///
/// ```
/// use backprop::{Activation, Dataset, Matrix, Network, Sgd, Trainer, ValidationSet};
///
/// let data = Dataset::new(Matrix::from_fn(20, 1, |i, _| i as f64 / 20.0), Matrix::from_fn(20, 1, |i, _| (i % 2) as f64))?;
/// let (train, test) = data.split(0.25, 1)?;
/// let mut net = Network::<f64>::builder(1).layer(1, Activation::Sigmoid).build()?;
/// let history = Trainer::new(Sgd::new(0.5)?).epochs(3).validation(ValidationSet::Data(&test)).fit(&mut net, &train)?;
/// assert!(history.epochs.iter().all(|r| r.validation_cost.is_some()));
/// # Ok::<(), backprop::Error>(())
/// ```
#[derive(Default)]
pub enum ValidationSet<'a, T> {
    /// No validation: the training cost stands in for the validation cost wherever one
    /// is monitored (the default).
    #[default]
    None,
    /// This fraction of the training data, set aside before training by
    /// [`Dataset::split`] with a seed drawn from the trainer's seed; it must be in (0, 1)
    /// and leave at least one sample on each side.
    Fraction(f64),
    /// A dataset of its own.
    Data(&'a Dataset<T>),
}

// By hand: derived impls would ask `T: Clone`/`T: Debug` of the element type.
impl<T> Clone for ValidationSet<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for ValidationSet<'_, T> {}

impl<T: Float> fmt::Debug for ValidationSet<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValidationSet::None => f.write_str("None"),
            ValidationSet::Fraction(x) => f.debug_tuple("Fraction").field(x).finish(),
            ValidationSet::Data(d) => write!(f, "Data({} samples)", d.len()),
        }
    }
}

/// Early stopping: stop when the monitored cost (validation cost, else training cost)
/// has not improved for `patience` epochs in a row, and give back the network of the best
/// epoch.
///
/// An epoch improves when its cost is below the best so far by more than `min_delta`.
///
/// ```
/// use backprop::EarlyStopping;
///
/// let stop = EarlyStopping::new(5)?.min_delta(1e-4)?;
/// assert!(EarlyStopping::new(0).is_err());
/// assert!(EarlyStopping::new(5)?.min_delta(-1.0).is_err());
/// # Ok::<(), backprop::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EarlyStopping {
    patience: usize,
    min_delta: f64,
}

impl EarlyStopping {
    /// Stops after `patience` epochs in a row without improvement; `min_delta` 0.
    ///
    /// ```
    /// use backprop::{Activation, CosineAnnealing, Dataset, EarlyStopping, Matrix, Network, Sgd};
    /// use backprop::{StopReason, Trainer};
    ///
    /// let x = Matrix::from_fn(8, 1, |i, _| i as f64 / 8.0);
    /// let data = Dataset::new(x, Matrix::from_fn(8, 1, |i, _| (i % 2) as f64))?;
    /// let mut net = Network::<f64>::builder(1).layer(1, Activation::Sigmoid).build()?;
    /// let history = Trainer::new(Sgd::new(0.5)?)
    ///     .epochs(100)
    ///     .schedule(CosineAnnealing::new(1, 0.0)?) // a rate of 0 from epoch 1 on: nothing improves
    ///     .early_stopping(EarlyStopping::new(3)?.min_delta(1e-9)?)
    ///     .fit(&mut net, &data)?;
    /// assert_eq!(history.stop_reason, StopReason::EarlyStopping);
    /// assert_eq!(history.epochs.len() - 1 - history.best_epoch.unwrap(), 3); // 3 epochs past the best
    /// # Ok::<(), backprop::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`] if `patience` is 0.
    pub fn new(patience: usize) -> Result<Self> {
        if patience == 0 {
            return Err(Error::InvalidHyperparameter { name: "patience", rule: "at least 1", value: 0.0 });
        }
        Ok(EarlyStopping { patience, min_delta: 0.0 })
    }

    /// Sets by how much an epoch must beat the best cost so far to count as an
    /// improvement, in the cost's units (default 0: any decrease).
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`] unless it is finite and ≥ 0.
    pub fn min_delta(mut self, min_delta: f64) -> Result<Self> {
        if !(min_delta.is_finite() && min_delta >= 0.0) {
            return Err(Error::InvalidHyperparameter { name: "min delta", rule: "finite and ≥ 0", value: min_delta });
        }
        self.min_delta = min_delta;
        Ok(self)
    }
}

/// Trains a [`Network`] on a [`Dataset`]: epochs of shuffled mini-batches, each one a
/// forward pass, backpropagation and an update step by the optimiser `O`.
///
/// Built from an optimiser and settings, each with a default; the settings are checked
/// once, when [`fit`](Self::fit) starts, before anything changes. The trainer keeps the
/// optimiser, its schedule and its callbacks from one fit to the next, so a second `fit`
/// resumes with the optimiser's state (e.g. Adam's moments).
///
/// ```
/// use backprop::{Activation, Adam, Dataset, EarlyStopping, Matrix, Network, Trainer, ValidationSet};
///
/// // Two classes: x below or above 0.5, one-hot targets.
/// let inputs = Matrix::from_fn(40, 1, |i, _| i as f64 / 40.0);
/// let labels: Vec<usize> = (0..40).map(|i| usize::from(i >= 20)).collect();
/// let data = Dataset::from_labels(inputs, &labels, 2)?;
///
/// let mut net = Network::<f64>::builder(1).layer(4, Activation::Sigmoid).layer(2, Activation::Sigmoid).seed(3).build()?;
/// let history = Trainer::new(Adam::new(0.05)?)
///     .epochs(100)
///     .batch_size(8)
///     .seed(7)
///     .validation(ValidationSet::Fraction(0.25))
///     .early_stopping(EarlyStopping::new(10)?)
///     .fit(&mut net, &data)?;
/// let best = history.best().unwrap();
/// assert!(best.validation_accuracy.unwrap() >= 0.9);
/// # Ok::<(), backprop::Error>(())
/// ```
pub struct Trainer<'a, T, O> {
    optimizer: O,
    epochs: usize,
    batch_size: usize,
    seed: u64,
    validation: ValidationSet<'a, T>,
    schedule: Option<Box<dyn Schedule + Send + 'a>>,
    early_stopping: Option<EarlyStopping>,
    diagnostics: Diagnostics,
    callbacks: Vec<Box<dyn Callback + Send + 'a>>,
}

impl<T: Float, O: fmt::Debug> fmt::Debug for Trainer<'_, T, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Trainer")
            .field("optimizer", &self.optimizer)
            .field("epochs", &self.epochs)
            .field("batch_size", &self.batch_size)
            .field("seed", &self.seed)
            .field("validation", &self.validation)
            .field("schedule", &self.schedule.is_some())
            .field("early_stopping", &self.early_stopping)
            .field("diagnostics", &self.diagnostics)
            .field("callbacks", &self.callbacks.len())
            .finish()
    }
}

/// How a batch's outputs are scored as class predictions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Accuracy {
    /// Several outputs: the class is the index of the largest value.
    Argmax,
    /// One output and 0/1 targets: class 1 when the output is ≥ 0.5.
    Threshold,
    /// The targets are not class labels.
    None,
}

impl Accuracy {
    fn for_data<T: Float>(train: &Dataset<T>, validation: Option<&Dataset<T>>) -> Self {
        let binary = |d: &Dataset<T>| d.targets().as_slice().iter().all(|&y| y == T::ZERO || y == T::ONE);
        if train.n_targets() > 1 {
            Accuracy::Argmax
        } else if binary(train) && validation.is_none_or(binary) {
            Accuracy::Threshold
        } else {
            Accuracy::None
        }
    }

    fn is_correct<T: Float>(self, a: &[T], y: &[T]) -> bool {
        let half = T::from_f64(0.5);
        match self {
            Accuracy::Argmax => argmax(a).is_some() && argmax(a) == argmax(y),
            Accuracy::Threshold => (a[0] >= half) == (y[0] >= half),
            Accuracy::None => false,
        }
    }

    fn fraction(self, correct: usize, samples: usize) -> Option<f64> {
        (self != Accuracy::None && samples > 0).then(|| correct as f64 / samples as f64)
    }
}

/// A copy of every weight and bias, in buffers reused from one snapshot to the next.
#[derive(Debug)]
struct Snapshot<T> {
    tensors: Vec<Vec<T>>,
}

impl<T: Float> Snapshot<T> {
    fn new() -> Self {
        Snapshot { tensors: Vec::new() }
    }

    fn take(&mut self, network: &Network<T>) {
        self.tensors.resize_with(2 * network.layers().len(), Vec::new);
        for (l, layer) in network.layers().iter().enumerate() {
            for (buffer, values) in
                self.tensors[2 * l..].iter_mut().zip([layer.weights().as_slice(), layer.biases().as_slice()])
            {
                buffer.clear();
                buffer.extend_from_slice(values);
            }
        }
    }

    /// Puts the copied values back (if one was taken, which the loop guarantees).
    fn restore(&self, network: &mut Network<T>) {
        network.params().for_each(|p| {
            if let Some(saved) = self.tensors.get(p.id).filter(|s| s.len() == p.value.len()) {
                p.value.copy_from_slice(saved);
            }
        });
    }
}

impl<'a, T: Float, O: Optimizer<T>> Trainer<'a, T, O> {
    /// A trainer that updates the parameters with `optimizer` (its learning rate is the
    /// base rate α₀ of a [`schedule`](Self::schedule)). To keep the optimiser after the
    /// fit, pass `&mut optimizer`; a `Box<dyn Optimizer<T>>` works too.
    ///
    /// ```
    /// use backprop::{Activation, Adam, Dataset, Matrix, Network, Trainer};
    ///
    /// let x = Matrix::from_fn(16, 1, |i, _| i as f64 / 16.0);
    /// let data = Dataset::new(x.clone(), Matrix::from_fn(16, 1, |i, _| x[(i, 0)] / 2.0))?; // y = x / 2
    /// let mut net = Network::<f64>::builder(1).layer(1, Activation::Identity).build()?;
    /// let mut adam = Adam::new(0.01)?;
    /// Trainer::new(&mut adam).epochs(3).batch_size(4).fit(&mut net, &data)?; // lent, not given
    /// assert_eq!(adam.steps(), 3 * 4); // one step per batch; the moments stay for the next fit
    /// # Ok::<(), backprop::Error>(())
    /// ```
    pub fn new(optimizer: O) -> Self {
        Trainer {
            optimizer,
            epochs: 10,
            batch_size: 32,
            seed: DEFAULT_SEED,
            validation: ValidationSet::None,
            schedule: None,
            early_stopping: None,
            diagnostics: Diagnostics::Off,
            callbacks: Vec::new(),
        }
    }

    /// Sets the number of epochs, passes over the training data (default 10; at least 1).
    ///
    /// ```
    /// use backprop::{Activation, Dataset, Matrix, Network, Sgd, Trainer};
    ///
    /// let x = Matrix::from_fn(16, 1, |i, _| i as f64 / 16.0);
    /// let data = Dataset::new(x.clone(), Matrix::from_fn(16, 1, |i, _| x[(i, 0)] / 2.0))?; // y = x / 2
    /// let mut net = Network::<f64>::builder(1).layer(1, Activation::Identity).build()?;
    /// let history = Trainer::new(Sgd::new(0.1)?).epochs(5).fit(&mut net, &data)?;
    /// assert_eq!(history.epochs.len(), 5);
    /// assert!(Trainer::new(Sgd::new(0.1)?).epochs(0).fit(&mut net, &data).is_err());
    /// # Ok::<(), backprop::Error>(())
    /// ```
    #[must_use]
    pub fn epochs(mut self, epochs: usize) -> Self {
        self.epochs = epochs;
        self
    }

    /// Sets the number of samples per mini-batch (default 32; at least 1). The last batch
    /// of an epoch is smaller when the size does not divide the number of samples.
    ///
    /// ```
    /// use backprop::{Activation, Dataset, Matrix, Network, Sgd, Trainer};
    ///
    /// let data = Dataset::new(Matrix::from_fn(10, 1, |i, _| i as f64 / 10.0), Matrix::zeros(10, 1))?;
    /// let mut net = Network::<f64>::builder(1).layer(1, Activation::Identity).build()?;
    /// let history = Trainer::new(Sgd::new(0.1)?).epochs(1).batch_size(4).fit(&mut net, &data)?;
    /// let epoch = &history.epochs[0];
    /// assert_eq!((epoch.batches, epoch.samples), (3, 10)); // batches of 4, 4 and 2
    /// # Ok::<(), backprop::Error>(())
    /// ```
    #[must_use]
    pub fn batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = batch_size;
        self
    }

    /// Sets the seed of the shuffles and of the validation split (default
    /// [`DEFAULT_SEED`](crate::DEFAULT_SEED)). The same seed, network and data give the
    /// same weights bit for bit.
    ///
    /// ```
    /// use backprop::{Activation, Dataset, Matrix, Network, Sgd, Trainer};
    ///
    /// let x = Matrix::from_fn(16, 1, |i, _| i as f64 / 16.0);
    /// let data = Dataset::new(x.clone(), Matrix::from_fn(16, 1, |i, _| x[(i, 0)] / 2.0))?; // y = x / 2
    /// let train = |seed| -> backprop::Result<Network<f64>> {
    ///     let mut net = Network::builder(1).layer(2, Activation::Tanh).layer(1, Activation::Identity).build()?;
    ///     Trainer::new(Sgd::new(0.1)?).epochs(3).batch_size(4).seed(seed).fit(&mut net, &data)?;
    ///     Ok(net)
    /// };
    /// assert_eq!(train(1)?.layers(), train(1)?.layers()); // reproducible bit for bit
    /// assert_ne!(train(1)?.layers(), train(2)?.layers()); // another order of batches
    /// # Ok::<(), backprop::Error>(())
    /// ```
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Sets the validation data (default [`ValidationSet::None`]).
    ///
    /// ```
    /// use backprop::{Activation, Dataset, Matrix, Monitor, Network, Sgd, Trainer, ValidationSet};
    ///
    /// let x = Matrix::from_fn(16, 1, |i, _| i as f64 / 16.0);
    /// let data = Dataset::new(x.clone(), Matrix::from_fn(16, 1, |i, _| x[(i, 0)] / 2.0))?; // y = x / 2
    /// let mut net = Network::<f64>::builder(1).layer(1, Activation::Identity).build()?;
    /// let mut trainer = Trainer::new(Sgd::new(0.1)?).epochs(2).validation(ValidationSet::Fraction(0.25));
    /// let history = trainer.fit(&mut net, &data)?;
    /// assert_eq!(history.monitor, Monitor::ValidationCost);
    /// assert_eq!(history.epochs[0].samples, 12); // 4 of the 16 samples set aside
    /// assert!(history.epochs.iter().all(|e| e.validation_cost.is_some()));
    /// # Ok::<(), backprop::Error>(())
    /// ```
    #[must_use]
    pub fn validation(mut self, validation: ValidationSet<'a, T>) -> Self {
        self.validation = validation;
        self
    }

    /// Sets a learning-rate schedule, applied once at the start of every epoch through
    /// [`Optimizer::set_learning_rate`], from the optimiser's rate when the fit starts
    /// (default: none, the rate stays as it is). A schedule that monitors a value (such
    /// as [`ReduceOnPlateau`](crate::ReduceOnPlateau)) gets the previous epoch's
    /// validation cost, or its training cost when there is no validation set.
    ///
    /// The schedule must be `Send`, so that a trainer can move to another thread.
    ///
    /// ```
    /// use backprop::{Activation, Dataset, Matrix, Network, Sgd, StepDecay, Trainer};
    ///
    /// let x = Matrix::from_fn(16, 1, |i, _| i as f64 / 16.0);
    /// let data = Dataset::new(x.clone(), Matrix::from_fn(16, 1, |i, _| x[(i, 0)] / 2.0))?; // y = x / 2
    /// let mut net = Network::<f64>::builder(1).layer(1, Activation::Identity).build()?;
    /// let mut trainer = Trainer::new(Sgd::new(0.1)?).epochs(4).schedule(StepDecay::new(2, 0.5)?);
    /// let history = trainer.fit(&mut net, &data)?;
    /// let rates: Vec<f64> = history.epochs.iter().map(|e| e.learning_rate.unwrap()).collect();
    /// assert_eq!(rates, [0.1, 0.1, 0.05, 0.05]); // halved every 2 epochs
    /// # Ok::<(), backprop::Error>(())
    /// ```
    #[must_use]
    pub fn schedule(mut self, schedule: impl Schedule + Send + 'a) -> Self {
        self.schedule = Some(Box::new(schedule));
        self
    }

    /// Sets early stopping (default: none, every epoch runs).
    ///
    /// ```
    /// use backprop::{Activation, Dataset, EarlyStopping, Matrix, Network, Sgd, Trainer, ValidationSet};
    ///
    /// let x = Matrix::from_fn(16, 1, |i, _| i as f64 / 16.0);
    /// let data = Dataset::new(x.clone(), Matrix::from_fn(16, 1, |i, _| x[(i, 0)] / 2.0))?; // y = x / 2
    /// let (train, validation) = data.split(0.25, 1)?;
    /// let mut net = Network::<f64>::builder(1).layer(3, Activation::Tanh).layer(1, Activation::Identity).build()?;
    /// let history = Trainer::new(Sgd::new(0.5)?)
    ///     .epochs(30)
    ///     .validation(ValidationSet::Data(&validation))
    ///     .early_stopping(EarlyStopping::new(3)?)
    ///     .fit(&mut net, &train)?;
    /// // The network is left with the weights of the best epoch.
    /// let best = history.best().unwrap().validation_cost.unwrap();
    /// assert!((net.mean_cost(validation.inputs(), validation.targets())? - best).abs() < 1e-12);
    /// # Ok::<(), backprop::Error>(())
    /// ```
    #[must_use]
    pub fn early_stopping(mut self, early_stopping: EarlyStopping) -> Self {
        self.early_stopping = Some(early_stopping);
        self
    }

    /// Sets whether gradient diagnostics are recorded (default [`Diagnostics::Off`]).
    ///
    /// ```
    /// use backprop::{Activation, Dataset, Diagnostics, Matrix, Network, Sgd, Trainer};
    ///
    /// let x = Matrix::from_fn(16, 1, |i, _| i as f64 / 16.0);
    /// let data = Dataset::new(x.clone(), Matrix::from_fn(16, 1, |i, _| x[(i, 0)] / 2.0))?; // y = x / 2
    /// let mut net = Network::<f64>::builder(1).layer(4, Activation::Sigmoid).layer(1, Activation::Identity).build()?;
    /// let history = Trainer::new(Sgd::new(0.1)?).epochs(2).diagnostics(Diagnostics::PerEpoch).fit(&mut net, &data)?;
    /// assert!(history.epochs.iter().all(|e| e.layers.len() == 2)); // one entry per layer
    /// # Ok::<(), backprop::Error>(())
    /// ```
    #[must_use]
    pub fn diagnostics(mut self, diagnostics: Diagnostics) -> Self {
        self.diagnostics = diagnostics;
        self
    }

    /// Adds a callback, called after the ones added before it.
    ///
    /// The callback must be `Send` (as a `&mut` to a `Send` callback is), so that a
    /// trainer can move to another thread.
    #[must_use]
    pub fn callback(mut self, callback: impl Callback + Send + 'a) -> Self {
        self.callbacks.push(Box::new(callback));
        self
    }

    /// The optimiser.
    pub fn optimizer(&self) -> &O {
        &self.optimizer
    }

    /// The optimiser, by value.
    pub fn into_optimizer(self) -> O {
        self.optimizer
    }

    /// Trains `network` on `data` and returns the [`History`] of the run.
    ///
    /// ```
    /// use backprop::{Activation, Dataset, Matrix, Network, Sgd, StopReason, Trainer};
    ///
    /// let x = Matrix::from_fn(16, 1, |i, _| i as f64 / 16.0);
    /// let data = Dataset::new(x.clone(), Matrix::from_fn(16, 1, |i, _| x[(i, 0)] / 2.0))?; // y = x / 2
    /// let mut net = Network::<f64>::builder(1).layer(1, Activation::Identity).build()?;
    /// let history = Trainer::new(Sgd::new(0.5)?).epochs(50).batch_size(4).fit(&mut net, &data)?;
    /// assert_eq!(history.stop_reason, StopReason::Completed);
    /// assert!(history.last().unwrap().training_cost < history.epochs[0].training_cost / 10.0);
    /// assert!((net.predict(&[0.5])?[0] - 0.25).abs() < 0.05);
    /// # Ok::<(), backprop::Error>(())
    /// ```
    ///
    /// # The loop
    /// Once: drop any gradient accumulated but not applied; set the validation fraction
    /// aside. Then for each epoch e = 0, 1, …:
    /// 1. the schedule, if any, sets the learning rate α;
    /// 2. a [`Batcher`] draws a new seeded order of the training samples (the caller's
    ///    data is never reordered) and for each mini-batch:
    ///    - the forward pass z(l) = w(l)·a(l−1) + b(l), a(l) = σ(z(l)), and the batch's
    ///      mean cost C from a(L);
    ///    - backpropagation: BP1 δ(L) = ∇ₐC ⊙ σ′(z(L)), BP2 δ(l) = (w(l+1)ᵀ δ(l+1)) ⊙
    ///      σ′(z(l)), BP3 ∂C/∂w(l) = δ(l)·a(l−1)ᵀ, BP4 ∂C/∂b(l) = δ(l), as means over
    ///      the batch;
    ///    - the update step by the optimiser ([`Network::step_with`]), for
    ///      [`Sgd`](crate::Sgd) w := w − α ∂C/∂w, b := b − α ∂C/∂b;
    ///    - the callbacks' [`on_batch_end`](Callback::on_batch_end);
    ///
    ///    With plain gradient descent ([`Sgd`](crate::Sgd) without weight decay, or any
    ///    optimiser whose [`Optimizer::plain_descent_rate`] is `Some`) and no
    ///    diagnostics, BP3, BP4 and the update are one step, the fused step of
    ///    [`Network::train_batch`]: w := w − (α/m) Σ δ·aᵀ is added to the weights as
    ///    the product is computed, and the batch is read where it lies. The result is
    ///    bit for bit that of a loop of `train_batch` over the same batches; it rounds
    ///    differently from `step_with` (the mean gradient is never formed) and saves
    ///    the passes over the gradient that `step_with` makes, which count most for
    ///    small batches. Every other optimiser needs the gradient itself, and takes
    ///    the steps above.
    /// 3. the validation cost and accuracy, the [`EpochRecord`], the best epoch, early
    ///    stopping and the callbacks' [`on_epoch_end`](Callback::on_epoch_end).
    ///
    /// A schedule may bring the rate to 0, as [`CosineAnnealing`](crate::CosineAnnealing)
    /// with α_min = 0 does from epoch T on, or to a rate so small that it rounds to 0 in
    /// `T`: such an epoch runs and is recorded (with `learning_rate` `Some(0.0)`), but
    /// takes no update step, so the parameters and the optimiser's state stay as they are.
    /// A negative or non-finite scheduled rate is an error.
    ///
    /// When training ends without error and early stopping is set, the network gets back
    /// the weights and biases of the best epoch (a copy is kept whenever an epoch
    /// improves), whether early stopping, a callback or the last epoch ended it.
    ///
    /// # Metrics
    /// The training cost of an epoch is the mean over its samples of the cost seen in the
    /// forward pass of each batch, before that batch's step (no second pass). The
    /// validation cost is computed after the epoch's last step. Accuracy, the fraction of
    /// samples classified right, is recorded when the targets are class labels: with
    /// several target columns the class is the index of the largest value (of output and
    /// target alike, as for one-hot targets); with one column whose targets are all 0 or
    /// 1, an output ≥ 0.5 means class 1; otherwise accuracy is `None`.
    ///
    /// # Divergence
    /// Every batch is checked: its cost before the backward pass, its gradient before the
    /// step, and the step itself, which [`Network::step_with`] refuses if it would make a
    /// weight, a bias or the optimiser's state NaN or infinite. Any of these ends training
    /// with [`Error::Diverged`], and the network is then as after any other error (below).
    /// The fused step never forms the gradient: a gradient that is not finite is caught
    /// as a parameter after the update, which the step then refuses as a whole.
    /// A NaN or infinite validation cost is not an error: it is recorded, and never counts
    /// as an improvement.
    ///
    /// # When it fails
    /// Whatever error ends training, the epochs completed before it reach the caller: the
    /// [`FitError`] holds the [`Error`] and the [`History`] (with
    /// [`StopReason::Error`]; the failed epoch has no record), and `?` turns it into the
    /// `Error` alone. The network is left at a recorded point: with the weights and biases
    /// of the end of the last completed epoch, [`History::last`], whose validation cost
    /// describes exactly these weights; with early stopping, of the best epoch,
    /// [`History::best`], as when training ends without error; and if no epoch completed,
    /// as it was when `fit` began. The optimiser's state (moments, velocities, step count)
    /// goes back to the end of the last completed epoch as well, through
    /// [`Optimizer::state`] and [`Optimizer::set_state`], so that a second `fit`, say with
    /// a lower rate, resumes from there. The optimiser's learning rate stays as the
    /// schedule last set it; a schedule's own state and what the callbacks saw are not
    /// rewound.
    ///
    /// See [`FitError`] for an example.
    ///
    /// # Memory and overhead
    /// After the first epoch, the loop allocates nothing per batch; per epoch, it
    /// allocates the diagnostics list (when on), the record's room in the history and a
    /// copy of the optimiser's state. Validation reuses the network's workspaces, in
    /// batches of `batch_size` rows. It keeps two copies of the parameters (the epoch's
    /// start, and with early stopping the best epoch) and one of the optimiser's state.
    /// The checks read every gradient and every new parameter once per batch, little next
    /// to the forward and backward passes, which cost about 6 × batch size × parameters
    /// floating-point operations.
    ///
    /// # Errors
    /// Before anything changes: [`Error::InvalidHyperparameter`] if the number of epochs
    /// or the batch size is 0 or the validation fraction is out of range;
    /// [`Error::ShapeMismatch`] if the data's columns do not fit the network;
    /// [`Error::Incompatible`] if a schedule is set for an optimiser without a learning
    /// rate. During training: [`Error::Diverged`] as described above, and whatever the
    /// optimiser or the schedule's rate returns. Each comes in a [`FitError`] with the
    /// history so far.
    pub fn fit(&mut self, network: &mut Network<T>, data: &Dataset<T>) -> Result<History, FitError> {
        let monitor = match self.validation {
            ValidationSet::None => Monitor::TrainingCost,
            _ => Monitor::ValidationCost,
        };
        let mut history = History { epochs: Vec::new(), best_epoch: None, monitor, stop_reason: StopReason::Completed };
        let mut saved = Saved::new();
        let result = self.prepare_and_run(network, data, &mut history, &mut saved);
        // With early stopping, the best epoch's weights, however training ended.
        let to_best = self.early_stopping.is_some() && history.best_epoch.is_some();
        match result {
            Ok(()) => {
                if to_best {
                    saved.best.restore(network);
                }
                Ok(history)
            }
            Err(error) => {
                saved.roll_back(network, &mut self.optimizer, to_best);
                history.stop_reason = StopReason::Error;
                Err(FitError { error, history })
            }
        }
    }

    /// The checks, the validation split and the loop, between the callbacks'
    /// `on_fit_begin` and `on_fit_end` (once the checks pass).
    fn prepare_and_run(
        &mut self,
        network: &mut Network<T>,
        data: &Dataset<T>,
        history: &mut History,
        saved: &mut Saved<T>,
    ) -> Result<()> {
        self.check(network, data)?;
        let mut rng = Rng::new(self.seed);
        let split;
        let (train, validation) = match self.validation {
            ValidationSet::None => (data, None),
            ValidationSet::Data(v) => (data, Some(v)),
            ValidationSet::Fraction(f) => {
                split = data.split(f, rng.next_u64()).map_err(|e| match e {
                    Error::InvalidHyperparameter { rule, value, .. } => {
                        Error::InvalidHyperparameter { name: "validation fraction", rule, value }
                    }
                    e => e,
                })?;
                (&split.0, Some(&split.1))
            }
        };
        let mut batcher = Batcher::new(train, self.batch_size)?;
        batcher.set_threads(network.threads())?;
        let info = FitInfo {
            epochs: self.epochs,
            batches_per_epoch: batcher.batches_per_epoch(),
            training_samples: train.len(),
            validation_samples: validation.map(Dataset::len),
        };
        self.callbacks.iter_mut().for_each(|c| c.on_fit_begin(&info));
        let accuracy = Accuracy::for_data(train, validation);
        let result = self.run(network, &mut batcher, validation, accuracy, &mut rng, history, saved);
        self.callbacks.iter_mut().for_each(|c| c.on_fit_end());
        result
    }

    /// The settings' and the data's checks, before anything changes.
    fn check(&self, network: &Network<T>, data: &Dataset<T>) -> Result<()> {
        let at_least_one = |name, value: usize| match value {
            0 => Err(Error::InvalidHyperparameter { name, rule: "at least 1", value: 0.0 }),
            _ => Ok(()),
        };
        at_least_one("number of epochs", self.epochs)?;
        at_least_one("batch size", self.batch_size)?;
        let (first, last) = ("the network's first layer", "the network's output layer");
        check_len("a training input", first, network.n_inputs(), data.n_inputs())?;
        check_len("a training target", last, network.n_outputs(), data.n_targets())?;
        match self.validation {
            ValidationSet::None => {}
            ValidationSet::Fraction(f) => {
                if !(f.is_finite() && f > 0.0 && f < 1.0) {
                    let rule = "finite and in (0, 1)";
                    return Err(Error::InvalidHyperparameter { name: "validation fraction", rule, value: f });
                }
            }
            ValidationSet::Data(v) => {
                check_len("a validation input", first, network.n_inputs(), v.n_inputs())?;
                check_len("a validation target", last, network.n_outputs(), v.n_targets())?;
            }
        }
        if self.schedule.is_some() && self.optimizer.learning_rate().is_none() {
            return Err(Error::Incompatible {
                reason: "a learning-rate schedule needs an optimiser with a learning rate".into(),
            });
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn run(
        &mut self,
        network: &mut Network<T>,
        batcher: &mut Batcher<'_, T>,
        validation: Option<&Dataset<T>>,
        accuracy: Accuracy,
        rng: &mut Rng,
        history: &mut History,
        saved: &mut Saved<T>,
    ) -> Result<()> {
        let cost_fn = network.cost();
        let base_rate = self.optimizer.learning_rate();
        let batches_per_epoch = batcher.batches_per_epoch();
        let mut collector = (self.diagnostics == Diagnostics::PerEpoch).then(|| Collector::new(network));
        let mut norms = vec![0.0; network.layers().len()];
        let (mut best_cost, mut since_best) = (None::<f64>, 0usize);
        network.clear_gradients();

        for epoch in 0..self.epochs {
            let started = Instant::now();
            saved.epoch_start.take(network);
            saved.optimizer_state = Some(self.optimizer.state());
            let mut rate = Rate::Optimizer;
            if let (Some(schedule), Some(base)) = (self.schedule.as_mut(), base_rate) {
                let monitored = history.last().map(EpochRecord::monitored_cost);
                let scheduled = schedule.learning_rate(epoch, base, monitored);
                // A rate of 0, or one that rounds to 0 in T, is a step that changes nothing.
                if scheduled == 0.0 || (scheduled > 0.0 && T::from_f64(scheduled) == T::ZERO) {
                    rate = Rate::Zero;
                } else {
                    self.optimizer.set_learning_rate(scheduled)?;
                }
            }
            // Plain gradient descent fuses its update into BP3/BP4, unless the diagnostics
            // need the gradient itself.
            let fused_rate = match rate {
                Rate::Optimizer if collector.is_none() => self.optimizer.plain_descent_rate(),
                _ => None,
            };
            batcher.shuffle(rng);
            let (mut cost_sum, mut correct, mut samples, mut batch) = (0.0, 0usize, 0usize, 0usize);
            let mut stopped_by_callback = false;
            while let Some(b) = batcher.next_batch() {
                let rows = b.len();
                let (mut sum, mut right, mut cost) = (0.0, 0, f64::NAN);
                // The batch's cost, from the forward pass, before anything changes.
                let mut inspect = |output: &Layer<T>| {
                    (sum, right) = batch_totals(output, b.targets, cost_fn, accuracy);
                    cost = sum / rows as f64;
                    match cost.is_finite() {
                        true => Ok(()),
                        false => Err(Error::Diverged { epoch, batch, cost, what: "the cost" }),
                    }
                };
                if let Some(alpha) = fused_rate {
                    network
                        .descend_batch(b.inputs, b.targets, alpha, inspect) // BP1..BP4 and the update step
                        .map_err(|e| update_diverged(e, epoch, batch, cost))?;
                } else {
                    network.forward_batch(b.inputs)?;
                    inspect(network.output_layer())?;
                    network.backward_batch(b.targets)?; // BP1..BP4
                    if !weight_gradient_norms(network, rows, &mut norms, collector.is_some()) {
                        network.clear_gradients();
                        return Err(Error::Diverged { epoch, batch, cost, what: "the gradient" });
                    }
                    if let Some(c) = collector.as_mut() {
                        c.add_batch(network, &norms);
                    }
                    match rate {
                        Rate::Optimizer => network
                            .step_with(&mut self.optimizer)
                            .map_err(|e| update_diverged(e, epoch, batch, cost))?, // the update step
                        Rate::Zero => network.clear_gradients(),
                    }
                }
                (cost_sum, correct, samples) = (cost_sum + sum, correct + right, samples + rows);
                let info = BatchInfo { epoch, batch, batches_per_epoch, samples: rows, cost };
                batch += 1;
                if notify(&mut self.callbacks, |c| c.on_batch_end(&info)) == Control::Stop {
                    stopped_by_callback = true;
                    break;
                }
            }

            let (validation_cost, validation_accuracy) = match validation {
                Some(v) => {
                    let (cost, accuracy) = evaluate(network, v, batcher.batch_size(), cost_fn, accuracy)?;
                    (Some(cost), accuracy)
                }
                None => (None, None),
            };
            let record = EpochRecord {
                epoch,
                batches: batch,
                samples,
                training_cost: cost_sum / samples.max(1) as f64,
                training_accuracy: accuracy.fraction(correct, samples),
                validation_cost,
                validation_accuracy,
                learning_rate: match rate {
                    Rate::Optimizer => self.optimizer.learning_rate(),
                    Rate::Zero => Some(0.0),
                },
                duration: started.elapsed(),
                layers: collector.as_mut().map(Collector::finish).unwrap_or_default(),
            };
            let cost = record.monitored_cost();
            let min_delta = self.early_stopping.map_or(0.0, |e| e.min_delta);
            if !cost.is_nan() && best_cost.is_none_or(|b| cost < b - min_delta) {
                (best_cost, since_best, history.best_epoch) = (Some(cost), 0, Some(epoch));
                if self.early_stopping.is_some() {
                    saved.best.take(network);
                }
            } else {
                since_best += 1;
            }
            history.epochs.push(record);
            let record = &history.epochs[epoch];
            let callback_stop = notify(&mut self.callbacks, |c| c.on_epoch_end(record)) == Control::Stop;
            let early_stop = self.early_stopping.is_some_and(|e| since_best >= e.patience);
            let reason = match (stopped_by_callback, early_stop, callback_stop) {
                (true, _, _) => StopReason::Callback,
                (false, true, _) => StopReason::EarlyStopping,
                (false, false, true) => StopReason::Callback,
                (false, false, false) => continue,
            };
            history.stop_reason = reason;
            break;
        }
        Ok(())
    }
}

/// An update refused for a value that is not finite is training that diverged; any other
/// error stays as it is.
fn update_diverged(error: Error, epoch: usize, batch: usize, cost: f64) -> Error {
    match error {
        Error::NonFiniteUpdate { what, .. } => {
            let what = match what {
                "optimiser state" => "the optimiser's state after the update",
                _ => "a parameter after the update",
            };
            Error::Diverged { epoch, batch, cost, what }
        }
        e => e,
    }
}

/// Where an epoch's learning rate comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Rate {
    /// The optimiser's own rate (set by the schedule, if any).
    Optimizer,
    /// The schedule brought it to 0: no update step this epoch.
    Zero,
}

/// What a fit keeps to fall back on: the parameters and the optimiser's state at the
/// start of the current epoch, and the parameters of the best epoch (with early stopping).
#[derive(Debug)]
struct Saved<T> {
    epoch_start: Snapshot<T>,
    optimizer_state: Option<OptimizerState<T>>,
    best: Snapshot<T>,
}

impl<T: Float> Saved<T> {
    fn new() -> Self {
        Saved { epoch_start: Snapshot::new(), optimizer_state: None, best: Snapshot::new() }
    }

    /// After an error: the network back to the best epoch (`to_best`) or to the start of
    /// the failed epoch, the optimiser's state back to the start of the failed epoch.
    /// Nothing changes if no epoch started.
    fn roll_back<O: Optimizer<T>>(&mut self, network: &mut Network<T>, optimizer: &mut O, to_best: bool) {
        let snapshot = if to_best { &self.best } else { &self.epoch_start };
        snapshot.restore(network);
        if let Some(state) = self.optimizer_state.take() {
            // A state the optimiser gave is one it takes back; if a custom one does not,
            // the error that ended training matters more than this one.
            let _ = optimizer.set_state(state);
        }
    }
}

/// Calls `f` on every callback (all of them, even after one asks to stop); `Stop` if any
/// asked to.
fn notify(callbacks: &mut [Box<dyn Callback + Send + '_>], mut f: impl FnMut(&mut dyn Callback) -> Control) -> Control {
    let mut control = Control::Continue;
    for c in callbacks {
        if f(c.as_mut()) == Control::Stop {
            control = Control::Stop;
        }
    }
    control
}

/// The summed cost C (from z where the cost allows, see [`Cost::value_from_z`]) and the
/// number of right class predictions of a batch, from the output layer's forward pass.
fn batch_totals<T: Float>(
    output: &Layer<T>,
    targets: MatrixView<'_, T>,
    cost: Cost,
    accuracy: Accuracy,
) -> (f64, usize) {
    let (mut total, mut correct) = (0.0, 0);
    for r in 0..targets.n_rows() {
        let (z, a, y) = (output.z().row(r), output.a().row(r), targets.row(r));
        total += cost.value_from_z(output.activation(), z, a, y).to_f64();
        correct += usize::from(accuracy.is_correct(a, y));
    }
    (total, correct)
}

/// The mean cost and the accuracy of the network on `data`, forward passes in batches of
/// `batch_size` rows through the network's own workspaces.
fn evaluate<T: Float>(
    network: &mut Network<T>,
    data: &Dataset<T>,
    batch_size: usize,
    cost: Cost,
    accuracy: Accuracy,
) -> Result<(f64, Option<f64>)> {
    let (mut total, mut correct) = (0.0, 0);
    for b in data.batches(batch_size)? {
        network.forward_batch(b.inputs)?;
        let (sum, right) = batch_totals(network.output_layer(), b.targets, cost, accuracy);
        (total, correct) = (total + sum, correct + right);
    }
    Ok((total / data.len() as f64, accuracy.fraction(correct, data.len())))
}

/// Checks that every accumulated gradient is finite; if `norms_wanted`, sets `norms[l]`
/// to ‖∂C/∂w(l)‖ of the batch's mean gradient (the sums divided by `rows`).
fn weight_gradient_norms<T: Float>(
    network: &mut Network<T>,
    rows: usize,
    norms: &mut [f64],
    norms_wanted: bool,
) -> bool {
    let mut finite = true;
    network.params().for_each(|p| {
        finite &= crate::finite::all_finite(p.grad);
        if norms_wanted && p.kind == ParamKind::Weights {
            let sum_of_squares: f64 = p.grad.iter().map(|g| g.to_f64() * g.to_f64()).sum();
            norms[p.layer] = sum_of_squares.sqrt() / rows as f64;
        }
    });
    finite
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Activation, Matrix, Sgd};

    fn dataset(targets: Vec<f64>, cols: usize) -> Dataset<f64> {
        let rows = targets.len() / cols;
        Dataset::new(Matrix::zeros(rows, 1), Matrix::new(rows, cols, targets).unwrap()).unwrap()
    }

    #[test]
    fn accuracy_rule_follows_the_targets() {
        let binary = dataset(vec![0.0, 1.0, 1.0], 1);
        let regression = dataset(vec![0.0, 0.5, 1.0], 1);
        let one_hot = dataset(vec![0.0, 1.0, 1.0, 0.0], 2);
        assert_eq!(Accuracy::for_data(&binary, None), Accuracy::Threshold);
        assert_eq!(Accuracy::for_data(&binary, Some(&regression)), Accuracy::None);
        assert_eq!(Accuracy::for_data(&regression, None), Accuracy::None);
        assert_eq!(Accuracy::for_data(&one_hot, None), Accuracy::Argmax);

        assert!(Accuracy::Threshold.is_correct(&[0.5], &[1.0]));
        assert!(Accuracy::Threshold.is_correct(&[0.49], &[0.0]));
        assert!(!Accuracy::Threshold.is_correct(&[0.2], &[1.0]));
        assert!(Accuracy::Argmax.is_correct(&[0.1, 0.7, 0.2], &[0.0, 1.0, 0.0]));
        assert!(!Accuracy::Argmax.is_correct(&[0.8, 0.7, 0.2], &[0.0, 1.0, 0.0]));
        assert!(!Accuracy::Argmax.is_correct(&[f64::NAN, f64::NAN], &[0.0, 1.0]));
        assert!(!Accuracy::None.is_correct(&[1.0], &[1.0]));

        assert_eq!(Accuracy::Argmax.fraction(3, 4), Some(0.75));
        assert_eq!(Accuracy::Argmax.fraction(0, 0), None);
        assert_eq!(Accuracy::None.fraction(3, 4), None);
    }

    #[test]
    fn batch_totals_sum_the_cost_and_count_hits() {
        // One identity neuron, a = z = x.
        let mut output =
            Layer::new(Matrix::new(1, 1, vec![1.0]).unwrap(), vec![0.0].into(), Activation::Identity).unwrap();
        output.forward(Matrix::new(2, 1, vec![0.75, 0.25]).unwrap().view(), 1).unwrap();
        let targets = Matrix::new(2, 1, vec![1.0, 1.0]).unwrap();
        let (cost, right) = batch_totals(&output, targets.view(), Cost::Quadratic, Accuracy::Threshold);
        // ½(0.25² + 0.75²) = 0.3125
        assert_eq!((cost, right), (0.3125, 1));
        // A sigmoid output with the binary cross-entropy costs softplus(z) for y = 0,
        // from z: 100 at z = 100, where σ(z) has rounded to 1.
        let mut output =
            Layer::new(Matrix::new(1, 1, vec![1.0]).unwrap(), vec![0.0].into(), Activation::Sigmoid).unwrap();
        output.forward(Matrix::new(1, 1, vec![100.0]).unwrap().view(), 1).unwrap();
        let targets = Matrix::new(1, 1, vec![0.0]).unwrap();
        let (cost, _) = batch_totals(&output, targets.view(), Cost::BinaryCrossEntropy, Accuracy::Threshold);
        assert_eq!(cost, 100.0);
    }

    #[test]
    fn a_snapshot_restores_every_parameter() {
        let mut net =
            Network::<f64>::builder(2).layer(3, Activation::Sigmoid).layer(1, Activation::Sigmoid).build().unwrap();
        let mut snapshot = Snapshot::new();
        Snapshot::<f64>::new().restore(&mut net); // nothing taken: nothing changes
        snapshot.take(&net);
        let saved = net.clone();
        net.params().for_each(|p| p.value.iter_mut().for_each(|v| *v = -7.0));
        snapshot.restore(&mut net);
        for (a, b) in net.layers().iter().zip(saved.layers()) {
            assert_eq!((a.weights(), a.biases()), (b.weights(), b.biases()));
        }
    }

    #[test]
    fn every_callback_hears_every_event() {
        #[derive(Default)]
        struct Count(usize, Control);
        impl Callback for Count {
            fn on_epoch_end(&mut self, _: &EpochRecord) -> Control {
                self.0 += 1;
                self.1
            }
        }
        let (mut first, mut second) = (Count(0, Control::Stop), Count::default());
        let data = dataset(vec![0.0, 1.0, 1.0, 0.0], 1);
        let mut net = Network::<f64>::builder(1).layer(1, Activation::Sigmoid).build().unwrap();
        let h = Trainer::new(Sgd::new(0.1).unwrap()).callback(&mut first).callback(&mut second).fit(&mut net, &data);
        assert_eq!(h.unwrap().stop_reason, StopReason::Callback);
        assert_eq!((first.0, second.0), (1, 1), "the second callback still ran");
    }

    #[test]
    fn settings_show_in_debug() {
        let data = dataset(vec![0.0, 1.0], 1);
        let t = Trainer::new(Sgd::new(0.5).unwrap()).epochs(3).validation(ValidationSet::Data(&data));
        let text = format!("{t:?}");
        assert!(text.contains("epochs: 3") && text.contains("Data(2 samples)"), "{text}");
        assert_eq!(format!("{:?}", ValidationSet::<f64>::Fraction(0.1)), "Fraction(0.1)");
    }
}
