//! Learning-rate schedules: the [`Schedule`] trait and its five forms.

use super::check_non_negative;
use crate::Result;
use crate::error::Error;

/// A rule for the learning rate α of each epoch, from the base rate α₀ it starts with.
///
/// A training loop calls [`learning_rate`](Self::learning_rate) once per epoch, in
/// order from epoch 0, and hands the result to
/// [`Optimizer::set_learning_rate`](crate::Optimizer::set_learning_rate). A rate of 0 is
/// valid for a schedule, which [`Trainer::fit`](crate::Trainer::fit) takes as "no update
/// step this epoch" (an optimiser's own rate must be > 0):
///
/// ```
/// use backprop::{Activation, Adam, CosineAnnealing, Network, Optimizer, Schedule};
///
/// let mut net = Network::<f64>::builder(1).layer(1, Activation::Sigmoid).seed(1).build()?;
/// let mut adam = Adam::new(0.01)?;
/// let mut schedule = CosineAnnealing::new(10, 0.0001)?;
/// for epoch in 0..10 {
///     adam.set_learning_rate(schedule.learning_rate(epoch, 0.01, None))?;
///     net.forward(&[1.0])?;
///     net.backward(&[0.0])?;
///     net.step_with(&mut adam)?;
/// }
/// # Ok::<(), backprop::Error>(())
/// ```
pub trait Schedule {
    /// The learning rate for `epoch` (from 0), given the base rate α₀ and, for schedules
    /// that watch one, the monitored value of the epoch before (e.g. a validation cost).
    fn learning_rate(&mut self, epoch: usize, base: f64, monitored: Option<f64>) -> f64;
}

/// A borrowed schedule is a schedule, so that one can be lent to a training loop and
/// inspected or reused afterwards.
impl<S: Schedule + ?Sized> Schedule for &mut S {
    fn learning_rate(&mut self, epoch: usize, base: f64, monitored: Option<f64>) -> f64 {
        (**self).learning_rate(epoch, base, monitored)
    }
}

/// The same rate every epoch: α = α₀.
///
/// ```
/// use backprop::{ConstantRate, Schedule};
///
/// let mut constant = ConstantRate;
/// assert!((0..100).all(|epoch| constant.learning_rate(epoch, 0.01, None) == 0.01));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ConstantRate;

impl Schedule for ConstantRate {
    /// α = α₀.
    fn learning_rate(&mut self, _epoch: usize, base: f64, _monitored: Option<f64>) -> f64 {
        base
    }
}

/// Step decay: α = α₀ γ^⌊epoch / N⌋, the rate multiplied by γ every N epochs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepDecay {
    every: usize,
    gamma: f64,
}

impl StepDecay {
    /// Multiplies the rate by `gamma` (γ) every `every` (N) epochs.
    ///
    /// ```
    /// use backprop::{Schedule, StepDecay};
    ///
    /// let mut decay = StepDecay::new(10, 0.5)?; // halve the rate every 10 epochs
    /// let rates: Vec<f64> = [0, 9, 10, 25].iter().map(|&e| decay.learning_rate(e, 0.1, None)).collect();
    /// assert_eq!(rates, [0.1, 0.1, 0.1 * 0.5, 0.1 * 0.5 * 0.5]);
    /// assert!(StepDecay::new(0, 0.5).is_err());
    /// # Ok::<(), backprop::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`] unless N ≥ 1 and γ is in (0, 1].
    pub fn new(every: usize, gamma: f64) -> Result<Self> {
        check_epochs("step decay period", every)?;
        check_decay_factor("gamma", gamma)?;
        Ok(StepDecay { every, gamma })
    }
}

impl Schedule for StepDecay {
    /// α = α₀ γ^⌊epoch / N⌋.
    fn learning_rate(&mut self, epoch: usize, base: f64, _monitored: Option<f64>) -> f64 {
        base * self.gamma.powf((epoch / self.every) as f64)
    }
}

/// Exponential decay: α = α₀ γ^epoch.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ExponentialDecay {
    gamma: f64,
}

impl ExponentialDecay {
    /// Multiplies the rate by `gamma` (γ) every epoch.
    ///
    /// ```
    /// use backprop::{ExponentialDecay, Schedule};
    ///
    /// let mut decay = ExponentialDecay::new(0.9)?;
    /// let rates: Vec<f64> = (0..4).map(|epoch| decay.learning_rate(epoch, 0.1, None)).collect();
    /// assert_eq!(rates[0], 0.1);
    /// assert!(rates.windows(2).all(|w| (w[1] / w[0] - 0.9).abs() < 1e-12)); // × γ every epoch
    /// assert!(ExponentialDecay::new(1.5).is_err());
    /// # Ok::<(), backprop::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`] unless γ is in (0, 1].
    pub fn new(gamma: f64) -> Result<Self> {
        check_decay_factor("gamma", gamma)?;
        Ok(ExponentialDecay { gamma })
    }
}

impl Schedule for ExponentialDecay {
    /// α = α₀ γ^epoch.
    fn learning_rate(&mut self, epoch: usize, base: f64, _monitored: Option<f64>) -> f64 {
        base * self.gamma.powf(epoch as f64)
    }
}

/// Cosine annealing from α₀ down to α_min over T epochs, then α_min:
///
/// α = α_min + (α₀ − α_min)(1 + cos(π min(epoch, T) / T)) / 2.
///
/// α_min = 0 (PyTorch's default) is allowed: from epoch T on, [`Trainer::fit`](crate::Trainer::fit)
/// takes no update step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CosineAnnealing {
    epochs: usize,
    min_learning_rate: f64,
}

impl CosineAnnealing {
    /// Anneals over `epochs` (T) epochs down to `min_learning_rate` (α_min).
    ///
    /// ```
    /// use backprop::{CosineAnnealing, Schedule};
    ///
    /// let mut cosine = CosineAnnealing::new(10, 0.001)?;
    /// let rates: Vec<f64> = (0..=12).map(|e| cosine.learning_rate(e, 0.1, None)).collect();
    /// assert_eq!(rates[0], 0.1);
    /// assert!((rates[5] - (0.1 + 0.001) / 2.0).abs() < 1e-12); // halfway down at T/2
    /// assert!(rates.windows(2).all(|w| w[1] <= w[0])); // never rises
    /// assert!(rates[10..].iter().all(|&r| (r - 0.001).abs() < 1e-15)); // α_min from T on
    /// # Ok::<(), backprop::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`] unless T ≥ 1 and α_min is finite and ≥ 0.
    pub fn new(epochs: usize, min_learning_rate: f64) -> Result<Self> {
        check_epochs("annealing epochs", epochs)?;
        check_min_learning_rate(min_learning_rate)?;
        Ok(CosineAnnealing { epochs, min_learning_rate })
    }
}

impl Schedule for CosineAnnealing {
    /// α = α_min + (α₀ − α_min)(1 + cos(π min(epoch, T) / T)) / 2.
    fn learning_rate(&mut self, epoch: usize, base: f64, _monitored: Option<f64>) -> f64 {
        let progress = epoch.min(self.epochs) as f64 / self.epochs as f64;
        let min = self.min_learning_rate;
        min + (base - min) * (1.0 + (std::f64::consts::PI * progress).cos()) / 2.0
    }
}

/// Whether a monitored value improves by going down (a cost) or up (an accuracy).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Goal {
    /// Lower is better.
    #[default]
    Minimize,
    /// Higher is better.
    Maximize,
}

/// Reduces the rate when a monitored value stops improving: α := max(α·factor, α_min)
/// after more than `patience` epochs in a row without an improvement of at least
/// `threshold` on the best value so far; then waits `cooldown` epochs before counting
/// again.
///
/// The schedule starts at α₀ on its first call and from then on keeps its own rate (α₀
/// on later calls is ignored). An epoch without a monitored value (`None`) changes
/// nothing; a NaN counts as no improvement.
///
/// ```
/// use backprop::{ReduceOnPlateau, Schedule};
///
/// let mut plateau = ReduceOnPlateau::new(0.5, 1)?.cooldown(1);
/// let costs = [1.0, 0.9, 0.95, 0.93, 0.92, 0.92];
/// let rates: Vec<f64> = costs.iter().enumerate().map(|(e, &c)| plateau.learning_rate(e, 0.1, Some(c))).collect();
/// assert_eq!(rates, [0.1, 0.1, 0.1, 0.05, 0.05, 0.05]);
/// # Ok::<(), backprop::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ReduceOnPlateau {
    factor: f64,
    patience: usize,
    threshold: f64,
    cooldown: usize,
    min_learning_rate: f64,
    goal: Goal,
    current: Option<f64>,
    best: Option<f64>,
    bad_epochs: usize,
    cooldown_left: usize,
}

impl ReduceOnPlateau {
    /// Multiplies the rate by `factor` once more than `patience` epochs in a row brought
    /// no improvement; threshold 0, no cooldown, α_min = 0, [`Goal::Minimize`].
    ///
    /// ```
    /// use backprop::{ReduceOnPlateau, Schedule};
    ///
    /// let mut plateau = ReduceOnPlateau::new(0.1, 2)?;
    /// let mut rate = 0.0;
    /// for (epoch, cost) in [0.5, 0.4, 0.4, 0.4, 0.4].into_iter().enumerate() {
    ///     rate = plateau.learning_rate(epoch, 0.1, Some(cost));
    /// }
    /// // Three epochs without improvement (more than the patience of 2): α × 0.1.
    /// assert!((rate - 0.01).abs() < 1e-15);
    /// # Ok::<(), backprop::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`] unless `factor` is in (0, 1).
    pub fn new(factor: f64, patience: usize) -> Result<Self> {
        if !(factor > 0.0 && factor < 1.0) {
            return Err(Error::InvalidHyperparameter { name: "reduction factor", rule: "in (0, 1)", value: factor });
        }
        Ok(ReduceOnPlateau {
            factor,
            patience,
            threshold: 0.0,
            cooldown: 0,
            min_learning_rate: 0.0,
            goal: Goal::Minimize,
            current: None,
            best: None,
            bad_epochs: 0,
            cooldown_left: 0,
        })
    }

    /// Sets how much better than the best so far a value must be to count as an
    /// improvement, in the monitored value's units (default 0: any strict improvement).
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`] unless it is finite and ≥ 0.
    pub fn threshold(mut self, threshold: f64) -> Result<Self> {
        check_non_negative("threshold", threshold)?;
        self.threshold = threshold;
        Ok(self)
    }

    /// Sets the number of epochs after a reduction during which no bad epoch is counted
    /// (default 0).
    #[must_use]
    pub fn cooldown(mut self, epochs: usize) -> Self {
        self.cooldown = epochs;
        self
    }

    /// Sets the floor α_min below which the rate is never reduced (default 0).
    ///
    /// ```
    /// use backprop::{ReduceOnPlateau, Schedule};
    ///
    /// let mut plateau = ReduceOnPlateau::new(0.5, 0)?.min_learning_rate(0.02)?;
    /// let rates: Vec<f64> = (0..6).map(|e| plateau.learning_rate(e, 0.1, Some(1.0))).collect();
    /// assert_eq!(rates[0], 0.1);
    /// assert!(rates.iter().all(|&r| r >= 0.02)); // never below the floor
    /// assert_eq!(rates[5], 0.02);
    /// # Ok::<(), backprop::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`] unless it is finite and ≥ 0.
    pub fn min_learning_rate(mut self, min_learning_rate: f64) -> Result<Self> {
        check_min_learning_rate(min_learning_rate)?;
        self.min_learning_rate = min_learning_rate;
        Ok(self)
    }

    /// Sets whether the monitored value should go down or up (default
    /// [`Goal::Minimize`]).
    ///
    /// ```
    /// use backprop::{Goal, ReduceOnPlateau, Schedule};
    ///
    /// // Watching an accuracy, which should go up.
    /// let mut plateau = ReduceOnPlateau::new(0.5, 0)?.goal(Goal::Maximize);
    /// assert_eq!(plateau.learning_rate(0, 0.1, Some(0.80)), 0.1);
    /// assert_eq!(plateau.learning_rate(1, 0.1, Some(0.85)), 0.1); // better: kept
    /// assert_eq!(plateau.learning_rate(2, 0.1, Some(0.83)), 0.05); // worse: halved
    /// # Ok::<(), backprop::Error>(())
    /// ```
    #[must_use]
    pub fn goal(mut self, goal: Goal) -> Self {
        self.goal = goal;
        self
    }

    /// Forgets the rate, the best value and the counters: the next call starts afresh.
    pub fn reset(&mut self) {
        (self.current, self.best, self.bad_epochs, self.cooldown_left) = (None, None, 0, 0);
    }

    fn improves(&self, value: f64) -> bool {
        match (self.best, self.goal) {
            _ if value.is_nan() => false,
            (None, _) => true,
            (Some(best), Goal::Minimize) => value < best - self.threshold,
            (Some(best), Goal::Maximize) => value > best + self.threshold,
        }
    }
}

impl Schedule for ReduceOnPlateau {
    /// α := max(α·factor, α_min) when the count of epochs without improvement exceeds
    /// `patience` (outside a cooldown); otherwise α unchanged.
    fn learning_rate(&mut self, _epoch: usize, base: f64, monitored: Option<f64>) -> f64 {
        let rate = *self.current.get_or_insert(base);
        let Some(value) = monitored else { return rate };
        if self.improves(value) {
            self.best = Some(value);
            self.bad_epochs = 0;
        } else {
            self.bad_epochs = self.bad_epochs.saturating_add(1);
        }
        if self.cooldown_left > 0 {
            self.cooldown_left -= 1;
            self.bad_epochs = 0;
        }
        if self.bad_epochs > self.patience {
            let reduced = (rate * self.factor).max(self.min_learning_rate);
            self.current = Some(reduced);
            self.cooldown_left = self.cooldown;
            self.bad_epochs = 0;
            return reduced;
        }
        rate
    }
}

/// Checks a multiplicative decay factor γ ∈ (0, 1].
fn check_decay_factor(name: &'static str, gamma: f64) -> Result<()> {
    if gamma > 0.0 && gamma <= 1.0 {
        Ok(())
    } else {
        Err(Error::InvalidHyperparameter { name, rule: "in (0, 1]", value: gamma })
    }
}

/// Checks a floor for the learning rate: finite and ≥ 0.
fn check_min_learning_rate(value: f64) -> Result<()> {
    check_non_negative("minimum learning rate", value)
}

/// Checks a number of epochs: ≥ 1.
fn check_epochs(name: &'static str, epochs: usize) -> Result<()> {
    if epochs >= 1 { Ok(()) } else { Err(Error::InvalidHyperparameter { name, rule: "≥ 1", value: epochs as f64 }) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rates(schedule: &mut impl Schedule, epochs: &[usize]) -> Vec<f64> {
        epochs.iter().map(|&e| schedule.learning_rate(e, 0.1, None)).collect()
    }

    #[track_caller]
    fn assert_all_close(found: &[f64], expected: &[f64]) {
        assert_eq!(found.len(), expected.len());
        for (f, e) in found.iter().zip(expected) {
            assert!((f - e).abs() < 1e-15, "found {found:?}, expected {expected:?}");
        }
    }

    #[test]
    fn constant() {
        assert_eq!(rates(&mut ConstantRate, &[0, 1, 100]), [0.1, 0.1, 0.1]);
    }

    #[test]
    fn step_decay_every_n_epochs() {
        let mut schedule = StepDecay::new(3, 0.5).unwrap();
        assert_all_close(&rates(&mut schedule, &[0, 2, 3, 5, 6, 9]), &[0.1, 0.1, 0.05, 0.05, 0.025, 0.0125]);
    }

    #[test]
    fn exponential_decay() {
        let mut schedule = ExponentialDecay::new(0.9).unwrap();
        assert_all_close(&rates(&mut schedule, &[0, 1, 2, 3]), &[0.1, 0.09, 0.081, 0.0729]);
    }

    #[test]
    fn cosine_annealing() {
        let mut schedule = CosineAnnealing::new(4, 0.02).unwrap();
        // α = 0.02 + 0.08 (1 + cos(π e/4))/2: 0.1, 0.02 + 0.04(1 + √½), 0.06, 0.02 + 0.04(1 − √½), 0.02.
        let half = std::f64::consts::FRAC_1_SQRT_2;
        let expected = [0.1, 0.02 + 0.04 * (1.0 + half), 0.06, 0.02 + 0.04 * (1.0 - half), 0.02, 0.02, 0.02];
        assert_all_close(&rates(&mut schedule, &[0, 1, 2, 3, 4, 5, 1000]), &expected);
    }

    #[test]
    fn plateau_waits_for_patience_then_cools_down() {
        let mut plateau = ReduceOnPlateau::new(0.5, 2).unwrap().cooldown(2).min_learning_rate(0.03).unwrap();
        let costs = [1.0, 0.9, 0.9, 0.95, 0.91, 0.92, 0.93, 0.94, 0.95, 0.96, 0.97, 0.98, 0.5, 0.6];
        let found: Vec<f64> = costs.iter().enumerate().map(|(e, &c)| plateau.learning_rate(e, 0.1, Some(c))).collect();
        // Bad epochs: 2, 3, 4 (a third bad epoch > patience 2: reduce at 4); cooldown over
        // 5 and 6; bad again 7, 8, 9 (reduce at 9, floored at 0.03); cooldown 10, 11;
        // 12 improves; 13 is the first bad epoch after it.
        let expected = [0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.05, 0.03, 0.03, 0.03, 0.03, 0.03];
        assert_eq!(found, expected);
    }

    #[test]
    fn plateau_threshold_goal_and_missing_values() {
        let mut plateau = ReduceOnPlateau::new(0.1, 0).unwrap().threshold(0.05).unwrap().goal(Goal::Maximize);
        assert_eq!(plateau.learning_rate(0, 1.0, Some(0.5)), 1.0);
        assert_eq!(plateau.learning_rate(1, 1.0, None), 1.0, "no value, no change");
        assert_eq!(plateau.learning_rate(2, 1.0, Some(0.6)), 1.0, "0.6 > 0.5 + 0.05 improves");
        assert!((plateau.learning_rate(3, 1.0, Some(0.64)) - 0.1).abs() < 1e-15, "0.64 is not 0.05 better");
        assert!((plateau.learning_rate(4, 1.0, Some(f64::NAN)) - 0.01).abs() < 1e-15, "NaN is no improvement");
        plateau.reset();
        assert_eq!(plateau.learning_rate(0, 2.0, Some(0.0)), 2.0);
    }
}
