//! [`Callback`]: code the training loop calls after each batch and epoch, which may stop
//! training; and [`ProgressReporter`], the one that prints a progress line.

use core::fmt;
use std::io::{self, IsTerminal, Write};
use std::time::Duration;

use super::history::EpochRecord;

/// Whether training goes on after a callback.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Control {
    /// Carry on.
    #[default]
    Continue,
    /// Stop training: [`History::stop_reason`](crate::History::stop_reason) becomes
    /// [`StopReason::Callback`](crate::StopReason::Callback).
    Stop,
}

/// What a fit is about to do, for [`Callback::on_fit_begin`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct FitInfo {
    /// The number of epochs asked for (fewer run if training stops early).
    pub epochs: usize,
    /// Mini-batches per epoch.
    pub batches_per_epoch: usize,
    /// The number of training samples (after the validation fraction is set aside).
    pub training_samples: usize,
    /// The number of validation samples, if there is a validation set.
    pub validation_samples: Option<usize>,
}

/// The mini-batch just trained on, for [`Callback::on_batch_end`].
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct BatchInfo {
    /// The epoch, counted from 0.
    pub epoch: usize,
    /// The batch within the epoch, counted from 0.
    pub batch: usize,
    /// Mini-batches per epoch.
    pub batches_per_epoch: usize,
    /// The number of samples in this batch.
    pub samples: usize,
    /// The batch's mean cost C, computed from the forward pass before the update step.
    pub cost: f64,
}

/// Code run by [`Trainer::fit`](crate::Trainer::fit) as training goes: after every
/// mini-batch and every epoch (either can stop training), and once at the start and end.
/// Every method has a default that does nothing, so a callback implements only what it
/// needs.
///
/// A `&mut` to a callback is a callback too, so you can keep yours and read it after the
/// fit:
///
/// ```
/// use backprop::{Activation, Callback, Control, Dataset, EpochRecord, Matrix, Network, Sgd, StopReason, Trainer};
///
/// /// Stops once the training cost is below a target.
/// struct StopBelow(f64, usize);
///
/// impl Callback for StopBelow {
///     fn on_epoch_end(&mut self, record: &EpochRecord) -> Control {
///         self.1 += 1;
///         if record.training_cost < self.0 { Control::Stop } else { Control::Continue }
///     }
/// }
///
/// let data = Dataset::new(Matrix::from_fn(8, 1, |i, _| i as f64 / 8.0), Matrix::from_fn(8, 1, |i, _| (i % 2) as f64))?;
/// let mut net = Network::<f64>::builder(1).layer(1, Activation::Sigmoid).seed(1).build()?;
/// let mut stop = StopBelow(1.0, 0);
/// let history = Trainer::new(Sgd::new(0.1)?).epochs(50).callback(&mut stop).fit(&mut net, &data)?;
/// assert_eq!(history.stop_reason, StopReason::Callback);
/// assert_eq!((history.epochs.len(), stop.1), (1, 1)); // a cost below 1 from the start
/// # Ok::<(), backprop::Error>(())
/// ```
pub trait Callback {
    /// Called once before the first epoch.
    fn on_fit_begin(&mut self, info: &FitInfo) {
        let _ = info;
    }

    /// Called after each mini-batch's update step. [`Control::Stop`] ends the epoch there:
    /// its record is made from the batches run, and training stops.
    fn on_batch_end(&mut self, batch: &BatchInfo) -> Control {
        let _ = batch;
        Control::Continue
    }

    /// Called after each epoch, with its record (already in the history).
    /// [`Control::Stop`] stops training.
    fn on_epoch_end(&mut self, record: &EpochRecord) -> Control {
        let _ = record;
        Control::Continue
    }

    /// Called once when training ends, however it ends (an error included), if
    /// [`on_fit_begin`](Self::on_fit_begin) was called: settings rejected before training
    /// starts call neither.
    fn on_fit_end(&mut self) {}
}

impl<C: Callback + ?Sized> Callback for &mut C {
    fn on_fit_begin(&mut self, info: &FitInfo) {
        (**self).on_fit_begin(info);
    }
    fn on_batch_end(&mut self, batch: &BatchInfo) -> Control {
        (**self).on_batch_end(batch)
    }
    fn on_epoch_end(&mut self, record: &EpochRecord) -> Control {
        (**self).on_epoch_end(record)
    }
    fn on_fit_end(&mut self) {
        (**self).on_fit_end();
    }
}

/// A [`Callback`] that reports progress after every epoch: on a terminal, one line kept
/// up to date (rewritten with a carriage return `\r`, and ended by a newline when
/// training ends); anywhere else, such as a log file, one plain line per epoch:
///
/// ```text
/// epoch 3/30  cost 0.012345  val cost 0.013456  val acc 97.50%  52000 samples/s  ETA 4s
/// ```
///
/// The line shows the epoch (counted from 1 here, for people), the mean training cost,
/// the validation cost and accuracy when there is a validation set (else the training
/// accuracy), when they are known; the training throughput; and the time left, estimated
/// from the mean duration of the epochs so far. Write errors are ignored: a progress line
/// never stops training.
///
/// [`stderr`](ProgressReporter::stderr) rewrites its line when standard error is a
/// terminal and writes plain lines otherwise; [`new`](ProgressReporter::new) writes plain
/// lines to any writer; [`in_place`](ProgressReporter::in_place) chooses either. The
/// library prints nothing unless you add one:
///
/// ```
/// use backprop::{Activation, Dataset, Matrix, Network, ProgressReporter, Sgd, Trainer};
///
/// let data = Dataset::new(Matrix::from_fn(8, 1, |i, _| i as f64 / 8.0), Matrix::from_fn(8, 1, |i, _| (i % 2) as f64))?;
/// let mut net = Network::<f64>::builder(1).layer(1, Activation::Sigmoid).seed(1).build()?;
/// let mut out = Vec::new(); // ProgressReporter::stderr() for a terminal
/// Trainer::new(Sgd::new(0.1)?).epochs(2).callback(ProgressReporter::new(&mut out)).fit(&mut net, &data)?;
/// let text = String::from_utf8(out).unwrap();
/// let lines: Vec<&str> = text.lines().collect();
/// assert!(lines[0].starts_with("epoch 1/2  cost ") && lines[1].starts_with("epoch 2/2  cost "));
/// assert_eq!(lines.len(), 2);
/// # Ok::<(), backprop::Error>(())
/// ```
pub struct ProgressReporter<W: Write = io::Stderr> {
    out: W,
    in_place: bool,
    epochs: usize,
    elapsed: Duration,
    width: usize,
}

impl ProgressReporter<io::Stderr> {
    /// A reporter writing to standard error: one line rewritten in place if it is a
    /// terminal, else a line per epoch.
    #[must_use]
    pub fn stderr() -> Self {
        let in_place = io::stderr().is_terminal();
        ProgressReporter::new(io::stderr()).in_place(in_place)
    }
}

impl Default for ProgressReporter<io::Stderr> {
    /// [`ProgressReporter::stderr`].
    fn default() -> Self {
        ProgressReporter::stderr()
    }
}

impl<W: Write> ProgressReporter<W> {
    /// A reporter writing a line per epoch to `out` (e.g. a `Vec<u8>` or `&mut Vec<u8>`
    /// to capture the lines, or a file).
    pub fn new(out: W) -> Self {
        ProgressReporter { out, in_place: false, epochs: 0, elapsed: Duration::ZERO, width: 0 }
    }

    /// Whether to keep one line up to date, rewriting it after each epoch with `\r` (for
    /// a terminal), or to write a line per epoch (for anything else).
    #[must_use]
    pub fn in_place(mut self, in_place: bool) -> Self {
        self.in_place = in_place;
        self
    }

    /// The writer, e.g. to read what was captured.
    pub fn into_inner(self) -> W {
        self.out
    }

    /// The progress line after `record` (without `\r` or padding).
    fn line(&self, record: &EpochRecord) -> String {
        use fmt::Write as _;
        let mut line = format!("epoch {}/{}  cost {:.6}", record.epoch + 1, self.epochs, record.training_cost);
        // Writing into a String cannot fail.
        if let Some(v) = record.validation_cost {
            let _ = write!(line, "  val cost {v:.6}");
        }
        match (record.validation_accuracy, record.training_accuracy) {
            (Some(a), _) => {
                let _ = write!(line, "  val acc {:.2}%", 100.0 * a);
            }
            (None, Some(a)) => {
                let _ = write!(line, "  acc {:.2}%", 100.0 * a);
            }
            (None, None) => {}
        }
        let secs = record.duration.as_secs_f64();
        if secs > 0.0 {
            let _ = write!(line, "  {:.0} samples/s", record.samples as f64 / secs);
        }
        let done = record.epoch + 1;
        if done < self.epochs {
            let mean = self.elapsed.as_secs_f64() / done as f64;
            let _ = write!(line, "  ETA {}", Clock(mean * (self.epochs - done) as f64));
        }
        line
    }
}

impl<W: Write> Callback for ProgressReporter<W> {
    fn on_fit_begin(&mut self, info: &FitInfo) {
        (self.epochs, self.elapsed, self.width) = (info.epochs, Duration::ZERO, 0);
    }

    fn on_epoch_end(&mut self, record: &EpochRecord) -> Control {
        self.elapsed += record.duration;
        let line = self.line(record);
        if self.in_place {
            let len = line.chars().count();
            // Blank out what is left of a longer previous line.
            let pad = self.width.saturating_sub(len);
            let _ = write!(self.out, "\r{line}{:pad$}", "");
            self.width = len;
        } else {
            let _ = writeln!(self.out, "{line}");
        }
        let _ = self.out.flush();
        Control::Continue
    }

    fn on_fit_end(&mut self) {
        if self.width > 0 {
            let _ = writeln!(self.out);
            let _ = self.out.flush();
            self.width = 0;
        }
    }
}

impl<W: Write> fmt::Debug for ProgressReporter<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProgressReporter").field("epochs", &self.epochs).finish_non_exhaustive()
    }
}

/// A duration in seconds shown as `42s`, `3m05s` or `2h07m`.
struct Clock(f64);

impl fmt::Display for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Saturating float-to-int conversion: NaN gives 0, huge values the maximum.
        let s = self.0.round() as u64;
        match s {
            0..60 => write!(f, "{s}s"),
            60..3600 => write!(f, "{}m{:02}s", s / 60, s % 60),
            _ => write!(f, "{}h{:02}m", s / 3600, s / 60 % 60),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(epoch: usize, validation: bool) -> EpochRecord {
        EpochRecord {
            epoch,
            batches: 4,
            samples: 1000,
            training_cost: 0.25,
            training_accuracy: Some(0.5),
            validation_cost: validation.then_some(0.125),
            validation_accuracy: validation.then_some(0.975),
            learning_rate: Some(0.1),
            duration: Duration::from_millis(500),
            layers: Vec::new(),
        }
    }

    #[test]
    fn clock_formats() {
        assert_eq!(Clock(0.4).to_string(), "0s");
        assert_eq!(Clock(42.0).to_string(), "42s");
        assert_eq!(Clock(185.0).to_string(), "3m05s");
        assert_eq!(Clock(7620.0).to_string(), "2h07m");
        assert_eq!(Clock(f64::NAN).to_string(), "0s");
    }

    #[test]
    fn line_shows_the_epoch_metrics_throughput_and_eta() {
        let report = |in_place| {
            let mut r = ProgressReporter::new(Vec::new()).in_place(in_place);
            r.on_fit_begin(&FitInfo {
                epochs: 3,
                batches_per_epoch: 4,
                training_samples: 1000,
                validation_samples: Some(10),
            });
            r.on_epoch_end(&record(0, true));
            r.on_epoch_end(&record(1, false));
            r.on_epoch_end(&record(2, false));
            r.on_fit_end();
            String::from_utf8(r.into_inner()).unwrap()
        };
        let first = "epoch 1/3  cost 0.250000  val cost 0.125000  val acc 97.50%  2000 samples/s  ETA 1s";
        let second = "epoch 2/3  cost 0.250000  acc 50.00%  2000 samples/s  ETA 1s";
        let third = "epoch 3/3  cost 0.250000  acc 50.00%  2000 samples/s";
        let pad = |a: &str, b: &str| " ".repeat(a.len() - b.len());
        let rewritten = format!("\r{first}\r{second}{}\r{third}{}\n", pad(first, second), pad(second, third));
        assert_eq!(report(true), rewritten);
        assert_eq!(report(false), format!("{first}\n{second}\n{third}\n"));
    }

    #[test]
    fn nothing_written_nothing_ended() {
        let mut r = ProgressReporter::new(Vec::new());
        r.on_fit_end();
        assert!(r.into_inner().is_empty());
    }
}
