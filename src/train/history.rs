//! [`History`]: what a fit returns, one [`EpochRecord`] per epoch, the best epoch and
//! why training stopped; [`FitError`], what a failed fit returns: the error and the
//! history so far.

use core::fmt;
use std::time::Duration;

use crate::Error;

use super::diagnostics::LayerDiagnostics;

/// Why training stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StopReason {
    /// Every epoch asked for ran.
    Completed,
    /// Early stopping: the monitored cost did not improve for `patience` epochs.
    EarlyStopping,
    /// A [`Callback`](crate::Callback) returned [`Control::Stop`](crate::Control::Stop).
    Callback,
    /// An error ended training: the history is that of a [`FitError`].
    Error,
}

/// Which cost decides the best epoch, early stopping and a monitoring schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Monitor {
    /// The validation cost, when there is a validation set.
    ValidationCost,
    /// The training cost, when there is none.
    TrainingCost,
}

/// The metrics of one epoch.
///
/// Costs are means over samples of C; accuracies are fractions in [0, 1], `None` when the
/// targets are not class labels (see [`Trainer::fit`](crate::Trainer::fit) for the rule).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct EpochRecord {
    /// The epoch, counted from 0.
    pub epoch: usize,
    /// The number of mini-batches trained on (fewer than per epoch if a callback stopped
    /// training within the epoch).
    pub batches: usize,
    /// The number of training samples seen.
    pub samples: usize,
    /// The mean training cost over the epoch's samples, each taken from the forward pass
    /// of its batch, before that batch's update step: a running figure over weights that
    /// change during the epoch, free to compute, and not a re-evaluation at the end.
    pub training_cost: f64,
    /// The accuracy on the training samples, counted the same way as the cost.
    pub training_accuracy: Option<f64>,
    /// The mean cost over the validation set with the weights at the end of the epoch.
    pub validation_cost: Option<f64>,
    /// The accuracy on the validation set with the weights at the end of the epoch.
    pub validation_accuracy: Option<f64>,
    /// The optimiser's learning rate α during the epoch, if it has one.
    pub learning_rate: Option<f64>,
    /// The wall-clock time of the epoch, validation included.
    pub duration: Duration,
    /// Gradient diagnostics, one entry per layer from the input side; empty unless
    /// [`Diagnostics::PerEpoch`](crate::Diagnostics::PerEpoch) is set.
    pub layers: Vec<LayerDiagnostics>,
}

impl EpochRecord {
    /// The monitored cost: the validation cost if there is one, else the training cost.
    #[must_use]
    pub fn monitored_cost(&self) -> f64 {
        self.validation_cost.unwrap_or(self.training_cost)
    }
}

/// What [`Trainer::fit`](crate::Trainer::fit) returns: the record of every epoch run, the
/// best one, and why training stopped.
///
/// ```
/// use backprop::{Activation, Dataset, Matrix, Monitor, Network, Sgd, StopReason, Trainer};
///
/// let data = Dataset::new(Matrix::from_fn(8, 1, |i, _| i as f64 / 8.0), Matrix::from_fn(8, 1, |i, _| (i % 2) as f64))?;
/// let mut net = Network::<f64>::builder(1).layer(1, Activation::Sigmoid).build()?;
/// let history = Trainer::new(Sgd::new(0.5)?).epochs(5).fit(&mut net, &data)?;
/// assert_eq!((history.epochs.len(), history.stop_reason), (5, StopReason::Completed));
/// assert_eq!(history.monitor, Monitor::TrainingCost); // no validation set
/// let best = history.best().unwrap();
/// assert!(history.epochs.iter().all(|r| r.training_cost >= best.training_cost));
/// # Ok::<(), backprop::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct History {
    /// One record per epoch run, in order.
    pub epochs: Vec<EpochRecord>,
    /// The epoch (an index into `epochs`) with the lowest monitored cost, the first one
    /// if several tie; with early stopping, improvements smaller than `min_delta` do not
    /// count. `None` only if every monitored cost was NaN.
    pub best_epoch: Option<usize>,
    /// The cost that decides the best epoch.
    pub monitor: Monitor,
    /// Why training stopped.
    pub stop_reason: StopReason,
}

impl History {
    /// The record of the best epoch.
    #[must_use]
    pub fn best(&self) -> Option<&EpochRecord> {
        self.best_epoch.and_then(|e| self.epochs.get(e))
    }

    /// The record of the last epoch run.
    #[must_use]
    pub fn last(&self) -> Option<&EpochRecord> {
        self.epochs.last()
    }
}

/// What [`Trainer::fit`](crate::Trainer::fit) returns when an error ends training: the
/// error, and the [`History`] of the epochs completed before it, so that no training is
/// lost. The network is then left at the end of the last of those epochs (or at the best
/// one, with early stopping), as "When it fails" in [`Trainer::fit`](crate::Trainer::fit) says.
///
/// `Display` and `source` are the error's own, and `?` turns a `FitError` into its
/// [`Error`] where the history is not wanted.
///
/// ```
/// use backprop::{Activation, Dataset, Error, Matrix, Network, Sgd, StopReason, Trainer, ValidationSet};
///
/// // y = 3x with a rate far too large: each step overshoots more than the last, until
/// // the cost overflows.
/// let data = Dataset::new(Matrix::from_fn(40, 1, |i, _| i as f64 / 40.0), Matrix::from_fn(40, 1, |i, _| 0.075 * i as f64))?;
/// let mut net = Network::<f64>::builder(1).layer(1, Activation::Identity).seed(1).build()?;
/// let e = Trainer::new(Sgd::new(50.0)?)
///     .epochs(1000)
///     .batch_size(10)
///     .validation(ValidationSet::Data(&data))
///     .fit(&mut net, &data)
///     .unwrap_err();
/// assert!(matches!(e.error, Error::Diverged { what: "the cost", .. }), "{e}");
/// let history = e.history;
/// assert_eq!(history.stop_reason, StopReason::Error);
/// assert!(!history.epochs.is_empty(), "the epochs before the divergence are kept");
///
/// // The network holds the weights of the last recorded epoch: its cost is that epoch's.
/// let last = history.last().unwrap();
/// let cost = net.mean_cost(data.inputs(), data.targets())?;
/// assert!((cost - last.validation_cost.unwrap()).abs() <= 1e-12 * cost);
/// # Ok::<(), backprop::Error>(())
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub struct FitError {
    /// What went wrong.
    pub error: Error,
    /// The epochs completed before it (none if it came before the end of the first);
    /// [`stop_reason`](History::stop_reason) is [`StopReason::Error`].
    pub history: History,
}

impl fmt::Display for FitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.error.fmt(f)
    }
}

impl std::error::Error for FitError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.error)
    }
}

/// The error alone, for `?` in a function that returns [`Error`]: the history is dropped.
impl From<FitError> for Error {
    fn from(e: FitError) -> Self {
        e.error
    }
}
