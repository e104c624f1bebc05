//! The training loop end to end: learning, determinism, validation, early stopping,
//! divergence, callbacks, the progress line, schedules and diagnostics.

use backprop::{
    Activation, Adam, Batch, BatchInfo, Batcher, Callback, Clipped, Control, CosineAnnealing, Cost, Dataset,
    Diagnostics, EarlyStopping, EpochRecord, Error, ExponentialDecay, FitError, FitInfo, Layer, Matrix, Monitor,
    Network, Optimizer, OptimizerState, Params, ProgressReporter, Result, Rng, Schedule, Sgd, StepDecay, StopReason,
    Trainer, ValidationSet, Vector,
};

/// Two Gaussian blobs in the plane, σ = 0.6, centred at (−1, −1) (class 0) and (1, 1)
/// (class 1); one target column of 0s and 1s.
fn blobs(n: usize, seed: u64) -> Dataset<f64> {
    let mut rng = Rng::new(seed);
    let labels: Vec<f64> = (0..n).map(|i| (i % 2) as f64).collect();
    let inputs = Matrix::from_fn(n, 2, |i, _| 2.0 * labels[i] - 1.0 + 0.6 * rng.normal());
    Dataset::new(inputs, Matrix::new(n, 1, labels).unwrap()).unwrap()
}

/// The same inputs with every label flipped: what fits one fits the other worse.
fn flipped(data: &Dataset<f64>) -> Dataset<f64> {
    let targets = Matrix::from_fn(data.len(), 1, |i, _| 1.0 - data.targets()[(i, 0)]);
    Dataset::new(data.inputs().clone(), targets).unwrap()
}

fn network(seed: u64) -> Network<f64> {
    Network::builder(2).layer(4, Activation::Sigmoid).layer(1, Activation::Sigmoid).seed(seed).build().unwrap()
}

fn parameters(net: &Network<f64>) -> Vec<f64> {
    net.layers().iter().flat_map(|l| l.weights().as_slice().iter().chain(l.biases().iter()).copied()).collect()
}

#[test]
fn fit_learns_two_blobs_with_sgd_and_adam() {
    let data = blobs(200, 1);
    for (name, history) in [
        ("sgd", Trainer::new(Sgd::new(2.0).unwrap()).epochs(30).batch_size(16).fit(&mut network(2), &data)),
        ("adam", Trainer::new(Adam::new(0.05).unwrap()).epochs(30).batch_size(16).fit(&mut network(2), &data)),
    ] {
        let h = history.unwrap();
        let (first, last) = (&h.epochs[0], h.last().unwrap());
        assert_eq!(h.epochs.len(), 30);
        assert_eq!(h.stop_reason, StopReason::Completed);
        assert_eq!(h.monitor, Monitor::TrainingCost);
        assert!(last.training_cost < 0.5 * first.training_cost, "{name}: {first:?} → {last:?}");
        assert!(last.training_accuracy.unwrap() > 0.95, "{name}: {last:?}");
        assert_eq!((last.batches, last.samples), (13, 200));
        assert!(last.validation_cost.is_none() && last.layers.is_empty());
    }
}

#[test]
fn the_same_seed_gives_the_same_weights_bit_for_bit() {
    let data = blobs(50, 3);
    let run = |seed| {
        let mut net = network(4);
        let history = Trainer::new(Adam::new(0.02).unwrap())
            .epochs(5)
            .batch_size(8)
            .seed(seed)
            .validation(ValidationSet::Fraction(0.2))
            .fit(&mut net, &data)
            .unwrap();
        (parameters(&net), history.epochs.iter().map(|r| r.validation_cost.unwrap()).collect::<Vec<_>>())
    };
    let (a, b) = (run(9), run(9));
    assert_eq!(a, b);
    assert_ne!(a.0, run(10).0, "another seed, another order of batches");
    // Training never reorders the caller's data.
    assert_eq!(data, blobs(50, 3));
}

#[test]
fn a_validation_fraction_is_set_aside_and_monitored() {
    struct Info(Option<FitInfo>);
    impl Callback for Info {
        fn on_fit_begin(&mut self, info: &FitInfo) {
            self.0 = Some(*info);
        }
    }
    let data = blobs(40, 5);
    let mut info = Info(None);
    let history = Trainer::new(Sgd::new(1.0).unwrap())
        .epochs(2)
        .batch_size(7)
        .validation(ValidationSet::Fraction(0.25))
        .callback(&mut info)
        .fit(&mut network(1), &data)
        .unwrap();
    let info = info.0.unwrap();
    assert_eq!(
        (info.epochs, info.training_samples, info.validation_samples, info.batches_per_epoch),
        (2, 30, Some(10), 5)
    );
    assert_eq!(history.monitor, Monitor::ValidationCost);
    for r in &history.epochs {
        assert_eq!(r.samples, 30);
        assert!(r.validation_cost.is_some() && r.validation_accuracy.is_some());
        assert_eq!(r.monitored_cost(), r.validation_cost.unwrap());
    }
}

#[test]
fn early_stopping_restores_the_best_weights() {
    // Validating on flipped labels: the better the fit, the worse the validation cost, so
    // the first epoch is the best and early stopping ends training `patience` epochs later.
    let data = blobs(60, 7);
    let validation = flipped(&data);
    let trainer = |epochs| {
        Trainer::new(Sgd::new(1.0).unwrap())
            .epochs(epochs)
            .batch_size(10)
            .seed(3)
            .validation(ValidationSet::Data(&validation))
    };
    let mut net = network(6);
    let history = trainer(100).early_stopping(EarlyStopping::new(3).unwrap()).fit(&mut net, &data).unwrap();
    assert_eq!(history.stop_reason, StopReason::EarlyStopping);
    assert_eq!(history.best_epoch, Some(0));
    assert_eq!(history.epochs.len(), 4);
    let costs: Vec<f64> = history.epochs.iter().map(|r| r.validation_cost.unwrap()).collect();
    assert!(costs.windows(2).all(|w| w[1] > w[0]), "{costs:?}");
    // The network is the one of epoch 0: its validation cost is the recorded one, and its
    // weights are those of a one-epoch run with the same seed, bit for bit.
    let cost = net.mean_cost(validation.inputs(), validation.targets()).unwrap();
    assert!((cost - costs[0]).abs() <= 1e-12 * costs[0], "{cost} vs {}", costs[0]);
    let mut one_epoch = network(6);
    trainer(1).fit(&mut one_epoch, &data).unwrap();
    assert_eq!(parameters(&net), parameters(&one_epoch));
    // Without early stopping the last weights stay.
    let mut four = network(6);
    trainer(4).fit(&mut four, &data).unwrap();
    assert_ne!(parameters(&net), parameters(&four));
}

#[test]
fn min_delta_ignores_small_improvements() {
    let data = blobs(40, 8);
    let history = Trainer::new(Sgd::new(0.01).unwrap())
        .epochs(50)
        .early_stopping(EarlyStopping::new(2).unwrap().min_delta(1.0).unwrap())
        .fit(&mut network(1), &data)
        .unwrap();
    // A cost below 1 cannot improve by 1: the first epoch stays the best.
    assert_eq!(
        (history.stop_reason, history.best_epoch, history.epochs.len()),
        (StopReason::EarlyStopping, Some(0), 3)
    );
}

/// Plain gradient descent that writes NaN into the first weight on its `poison`-th step.
struct Poisoned {
    sgd: Sgd<f64>,
    calls: usize,
    poison: usize,
}

impl Optimizer<f64> for Poisoned {
    fn step(&mut self, params: &mut Params<'_, f64>) -> Result<()> {
        self.sgd.step(params)?;
        self.calls += 1;
        if self.calls == self.poison {
            params.for_each(|p| {
                if p.id == 0 {
                    p.value[0] = f64::NAN;
                }
            });
        }
        Ok(())
    }
}

#[test]
fn a_non_finite_update_stops_training_and_rolls_back_to_the_epoch_start() {
    // 10 samples in batches of 4: 3 batches per epoch, so step 5 is epoch 1, batch 1.
    let data = blobs(10, 2);
    let poisoned = |poison| Poisoned { sgd: Sgd::new(0.5).unwrap(), calls: 0, poison };
    let mut net = network(5);
    let e = Trainer::new(poisoned(5)).epochs(10).batch_size(4).seed(1).fit(&mut net, &data).unwrap_err();
    assert!(matches!(e.error, Error::Diverged { epoch: 1, batch: 1, what: "a parameter after the update", .. }), "{e}");
    assert!(
        e.to_string().starts_with("training diverged at epoch 1, batch 1: a parameter after the update is not finite")
    );
    assert!(parameters(&net).iter().all(|w| w.is_finite()));
    // Rolled back to the end of epoch 0.
    let mut one_epoch = network(5);
    Trainer::new(poisoned(usize::MAX)).epochs(1).batch_size(4).seed(1).fit(&mut one_epoch, &data).unwrap();
    assert_eq!(parameters(&net), parameters(&one_epoch));
}

#[test]
fn a_non_finite_cost_stops_training_before_the_step() {
    // z = 10³⁰⁸·2 − 10³⁰⁸·2 overflows to ∞ − ∞ = NaN although every weight is finite.
    let w = Matrix::new(1, 2, vec![1e308, -1e308]).unwrap();
    let layer = Layer::new(w, Vector::from(vec![0.0]), Activation::Sigmoid).unwrap();
    let mut net = Network::from_layers(vec![layer], Cost::Quadratic).unwrap();
    let before = parameters(&net);
    let data =
        Dataset::new(Matrix::new(2, 2, vec![2.0, 2.0, 2.0, 2.0]).unwrap(), Matrix::new(2, 1, vec![0.0, 1.0]).unwrap())
            .unwrap();
    let e = Trainer::new(Sgd::new(0.1).unwrap()).fit(&mut net, &data).unwrap_err();
    assert!(matches!(e.error, Error::Diverged { epoch: 0, batch: 0, what: "the cost", .. }), "{e}");
    assert_eq!(e.to_string(), "training diverged at epoch 0, batch 0: the cost is NaN");
    assert_eq!(parameters(&net), before, "no step was taken");
}

#[test]
fn a_huge_learning_rate_saturates_the_sigmoid_and_the_diagnostics_show_it() {
    // With σ and the quadratic cost, the gradient is bounded, so a huge rate does not
    // overflow: it throws every unit into the flat part of σ, where learning stops.
    let data = blobs(8, 13);
    let mut net = network(3);
    let history = Trainer::new(Sgd::new(1e300).unwrap())
        .epochs(5)
        .batch_size(2)
        .diagnostics(Diagnostics::PerEpoch)
        .fit(&mut net, &data)
        .unwrap();
    assert!(parameters(&net).iter().all(|w| w.is_finite()));
    let last = history.last().unwrap();
    assert!(last.layers.iter().all(|d| d.saturated_fraction == 1.0), "{last:?}");
    assert!(last.training_cost > 0.1, "{last:?}");
}

#[test]
fn callbacks_stop_training_after_a_batch_or_an_epoch() {
    struct StopAt {
        epoch: usize,
        batch: Option<usize>,
        batches_seen: usize,
        fit_ended: bool,
    }
    impl Callback for StopAt {
        fn on_batch_end(&mut self, b: &BatchInfo) -> Control {
            self.batches_seen += 1;
            assert!(b.cost.is_finite() && b.samples > 0 && b.batches_per_epoch == 4);
            if (b.epoch, Some(b.batch)) == (self.epoch, self.batch) { Control::Stop } else { Control::Continue }
        }
        fn on_epoch_end(&mut self, r: &EpochRecord) -> Control {
            if self.batch.is_none() && r.epoch == self.epoch { Control::Stop } else { Control::Continue }
        }
        fn on_fit_end(&mut self) {
            self.fit_ended = true;
        }
    }
    let data = blobs(30, 4);
    let fit = |stop: &mut StopAt| {
        Trainer::new(Sgd::new(0.5).unwrap())
            .epochs(10)
            .batch_size(8)
            .callback(stop)
            .fit(&mut network(1), &data)
            .unwrap()
    };

    let mut after_batch = StopAt { epoch: 1, batch: Some(2), batches_seen: 0, fit_ended: false };
    let h = fit(&mut after_batch);
    assert_eq!(h.stop_reason, StopReason::Callback);
    assert_eq!(h.epochs.len(), 2);
    assert_eq!((h.epochs[1].batches, h.epochs[1].samples), (3, 24));
    assert_eq!(after_batch.batches_seen, 7);
    assert!(after_batch.fit_ended);

    let mut after_epoch = StopAt { epoch: 4, batch: None, batches_seen: 0, fit_ended: false };
    let h = fit(&mut after_epoch);
    assert_eq!((h.stop_reason, h.epochs.len(), after_epoch.batches_seen), (StopReason::Callback, 5, 20));
}

#[test]
fn progress_is_a_line_per_epoch_or_one_line_rewritten() {
    let data = blobs(20, 6);
    let report = |in_place| {
        let mut out = Vec::new();
        Trainer::new(Sgd::new(0.5).unwrap())
            .epochs(3)
            .batch_size(5)
            .validation(ValidationSet::Fraction(0.25))
            .callback(ProgressReporter::new(&mut out).in_place(in_place))
            .fit(&mut network(1), &data)
            .unwrap();
        String::from_utf8(out).unwrap()
    };
    // For a log: a plain line per epoch, no carriage return.
    let text = report(false);
    assert!(!text.contains('\r') && text.ends_with('\n') && text.matches('\n').count() == 3, "{text:?}");
    check_progress_lines(&text.lines().collect::<Vec<_>>());
    // For a terminal: one line rewritten, ended once.
    let text = report(true);
    assert!(text.ends_with('\n') && text.matches('\n').count() == 1, "{text:?}");
    check_progress_lines(&text.trim_end().split('\r').skip(1).collect::<Vec<_>>());
}

fn check_progress_lines(lines: &[&str]) {
    assert_eq!(lines.len(), 3, "{lines:?}");
    for (e, line) in lines.iter().enumerate() {
        let fields: Vec<&str> = line.trim_end().split("  ").collect();
        assert_eq!(fields[0], format!("epoch {}/3", e + 1));
        assert!(fields[1].starts_with("cost 0.") && fields[2].starts_with("val cost 0."), "{line}");
        assert!(fields[3].starts_with("val acc ") && fields[3].ends_with('%'), "{line}");
        assert!(fields.iter().any(|f| f.ends_with(" samples/s")), "{line}");
        assert_eq!(fields.last().unwrap().starts_with("ETA "), e < 2, "{line}");
    }
}

#[test]
fn a_schedule_sets_the_rate_once_per_epoch() {
    let data = blobs(20, 9);
    let mut sgd = Sgd::new(0.8).unwrap();
    let history =
        Trainer::new(&mut sgd).epochs(5).schedule(StepDecay::new(2, 0.5).unwrap()).fit(&mut network(1), &data).unwrap();
    let rates: Vec<f64> = history.epochs.iter().map(|r| r.learning_rate.unwrap()).collect();
    assert_eq!(rates, [0.8, 0.8, 0.4, 0.4, 0.2]);
    assert_eq!(sgd.learning_rate(), Some(0.2), "the borrowed optimiser keeps its last rate");
}

#[test]
fn a_monitoring_schedule_sees_the_previous_epochs_validation_cost() {
    /// Keeps the rate, and what it was shown.
    struct Watch(Vec<Option<f64>>);
    impl Schedule for Watch {
        fn learning_rate(&mut self, _epoch: usize, base: f64, monitored: Option<f64>) -> f64 {
            self.0.push(monitored);
            base
        }
    }
    let data = blobs(30, 14);
    let mut watch = Watch(Vec::new());
    for validation in [ValidationSet::Fraction(0.2), ValidationSet::None] {
        watch.0.clear();
        let history = Trainer::new(Sgd::new(0.5).unwrap())
            .epochs(4)
            .validation(validation)
            .schedule(&mut watch)
            .fit(&mut network(1), &data)
            .unwrap();
        let mut expected = vec![None];
        expected.extend(history.epochs[..3].iter().map(|r| Some(r.validation_cost.unwrap_or(r.training_cost))));
        assert_eq!(watch.0, expected);
    }
}

#[test]
fn a_trainer_moves_to_another_thread() {
    fn send<S: Send>(s: S) -> S {
        s
    }
    let data = blobs(20, 8);
    let mut progress = Vec::new();
    let trainer = send(
        Trainer::new(Adam::new(0.01).unwrap())
            .epochs(2)
            .schedule(StepDecay::new(1, 0.5).unwrap())
            .callback(ProgressReporter::new(&mut progress)),
    );
    let mut net = network(2);
    let mut trainer = trainer;
    let epochs = std::thread::scope(|s| s.spawn(|| trainer.fit(&mut net, &data).map(|h| h.epochs.len())).join());
    assert_eq!(epochs.unwrap().unwrap(), 2);
    drop(trainer);
    assert_eq!(String::from_utf8(progress).unwrap().lines().count(), 2);
}

#[test]
fn any_optimizer_works_borrowed_or_boxed() {
    let data = blobs(20, 10);
    let mut adam = Adam::new(0.01).unwrap();
    let dynamic: &mut dyn Optimizer<f64> = &mut adam;
    Trainer::new(dynamic).epochs(2).fit(&mut network(1), &data).unwrap();
    let boxed: Box<dyn Optimizer<f64>> = Box::new(Sgd::new(0.1).unwrap());
    Trainer::new(boxed).epochs(2).fit(&mut network(1), &data).unwrap();
    // f32 too.
    let data32 =
        Dataset::new(Matrix::from_fn(6, 2, |i, j| (i * j) as f32 / 10.0), Matrix::from_fn(6, 1, |i, _| (i % 2) as f32))
            .unwrap();
    let mut net32 = Network::<f32>::builder(2).layer(1, Activation::Sigmoid).build().unwrap();
    Trainer::new(Sgd::new(0.5f32).unwrap()).epochs(2).fit(&mut net32, &data32).unwrap();
}

#[test]
fn diagnostics_have_one_entry_per_layer_and_epoch() {
    // Hidden biases of 20 put every hidden unit far into the flat part of the sigmoid.
    let hidden = Layer::new(
        Matrix::from_fn(3, 2, |i, j| 0.1 * (i + j) as f64),
        Vector::from(vec![20.0; 3]),
        Activation::Sigmoid,
    )
    .unwrap();
    let output =
        Layer::new(Matrix::from_fn(1, 3, |_, j| j as f64 - 1.0), Vector::from(vec![0.0]), Activation::Sigmoid).unwrap();
    let mut net = Network::from_layers(vec![hidden, output], Cost::Quadratic).unwrap();
    let data = blobs(24, 11);
    let history = Trainer::new(Sgd::new(0.1).unwrap())
        .epochs(3)
        .batch_size(5)
        .diagnostics(Diagnostics::PerEpoch)
        .fit(&mut net, &data)
        .unwrap();
    for r in &history.epochs {
        assert_eq!(r.layers.len(), 2);
        for d in &r.layers {
            assert!(d.mean_abs_delta.is_finite() && d.mean_abs_delta >= 0.0);
            assert!(d.weight_gradient_norm.is_finite() && d.weight_gradient_norm >= 0.0);
            assert!((0.0..=1.0).contains(&d.saturated_fraction));
        }
        assert_eq!(r.layers[0].saturated_fraction, 1.0, "σ′(z ≈ 20) ≈ 2·10⁻⁹");
        assert_eq!(r.layers[1].saturated_fraction, 0.0);
        assert!(r.layers[0].mean_abs_delta < 1e-6 * r.layers[1].mean_abs_delta);
    }
}

#[test]
fn bad_settings_are_errors_before_anything_changes() {
    let data = blobs(10, 12);
    let mut net = network(1);
    let before = parameters(&net);
    let sgd = || Sgd::new(0.5).unwrap();
    let message = |r: Result<backprop::History, FitError>| r.unwrap_err().to_string();
    assert_eq!(
        message(Trainer::new(sgd()).epochs(0).fit(&mut net, &data)),
        "number of epochs must be at least 1, got 0"
    );
    assert_eq!(message(Trainer::new(sgd()).batch_size(0).fit(&mut net, &data)), "batch size must be at least 1, got 0");
    assert_eq!(
        message(Trainer::new(sgd()).validation(ValidationSet::Fraction(1.5)).fit(&mut net, &data)),
        "validation fraction must be finite and in (0, 1), got 1.5"
    );
    assert_eq!(
        message(Trainer::new(sgd()).validation(ValidationSet::Fraction(0.01)).fit(&mut net, &data)),
        "validation fraction must be such that each part gets at least one sample, got 0.01"
    );
    let wide = Dataset::new(Matrix::zeros(3, 3), Matrix::zeros(3, 1)).unwrap();
    assert_eq!(
        message(Trainer::new(sgd()).fit(&mut net, &wide)),
        "a training input has 3 values but the network's first layer expects 2"
    );
    let two_targets = Dataset::new(Matrix::zeros(3, 2), Matrix::zeros(3, 2)).unwrap();
    assert!(matches!(
        Trainer::new(sgd()).validation(ValidationSet::Data(&two_targets)).fit(&mut net, &data),
        Err(FitError { error: Error::ShapeMismatch { what: "a validation target", .. }, .. })
    ));
    struct NoRate;
    impl Optimizer<f64> for NoRate {
        fn step(&mut self, _: &mut Params<'_, f64>) -> Result<()> {
            Ok(())
        }
    }
    assert!(matches!(
        Trainer::new(NoRate).schedule(StepDecay::new(1, 0.5).unwrap()).fit(&mut net, &data),
        Err(FitError { error: Error::Incompatible { .. }, .. })
    ));
    assert_eq!(parameters(&net), before);
}

/// y = 3x on [0, 1) for a 1-1 identity network: with SGD at α = 50 every step overshoots
/// further, until the cost overflows.
fn line() -> Dataset<f64> {
    Dataset::new(Matrix::from_fn(40, 1, |i, _| i as f64 / 40.0), Matrix::from_fn(40, 1, |i, _| 0.075 * i as f64))
        .unwrap()
}

fn identity() -> Network<f64> {
    Network::builder(1).layer(1, Activation::Identity).seed(1).build().unwrap()
}

#[test]
fn divergence_keeps_the_history_and_leaves_the_last_epochs_weights() {
    let data = line();
    let trainer = || Trainer::new(Sgd::new(50.0).unwrap()).batch_size(10).validation(ValidationSet::Data(&data));
    let mut net = identity();
    let FitError { error, history, .. } = trainer().epochs(1000).fit(&mut net, &data).unwrap_err();
    let Error::Diverged { epoch, batch, what: "the cost", .. } = error else { panic!("{error}") };
    assert!(epoch >= 1 && batch >= 1, "mid-epoch, after a completed one: epoch {epoch}, batch {batch}");
    assert_eq!((history.epochs.len(), history.stop_reason), (epoch, StopReason::Error));
    assert!(parameters(&net).iter().all(|w| w.is_finite()));
    // The weights are those at the end of the last recorded epoch, not those of the last
    // step before the overflow.
    let mut completed = identity();
    let whole = trainer().epochs(epoch).fit(&mut completed, &data).unwrap();
    assert_eq!(parameters(&net), parameters(&completed));
    assert_eq!(whole.epochs.iter().map(|r| r.validation_cost).collect::<Vec<_>>(), {
        history.epochs.iter().map(|r| r.validation_cost).collect::<Vec<_>>()
    });
}

/// Adam that fails with an error of its own on its `fail_at`-th step (counted from 1).
#[derive(Clone, Debug, PartialEq)]
struct FailingAdam {
    adam: Adam<f64>,
    steps: usize,
    fail_at: usize,
}

impl Optimizer<f64> for FailingAdam {
    fn step(&mut self, params: &mut Params<'_, f64>) -> Result<()> {
        self.steps += 1;
        if self.steps == self.fail_at {
            return Err(Error::Incompatible { reason: "out of budget".into() });
        }
        self.adam.step(params)
    }
    fn commit_step(&mut self) {
        self.adam.commit_step();
    }
    fn discard_step(&mut self) {
        self.adam.discard_step();
    }
    fn state(&self) -> OptimizerState<f64> {
        self.adam.state()
    }
    fn set_state(&mut self, state: OptimizerState<f64>) -> Result<()> {
        self.adam.set_state(state)
    }
}

#[test]
fn any_error_keeps_the_history_and_rolls_the_network_and_optimiser_back_to_the_last_epoch() {
    // 30 samples in batches of 8: 4 batches per epoch, so step 14 is epoch 3, batch 1.
    let data = blobs(30, 6);
    let failing = |fail_at| FailingAdam { adam: Adam::new(0.05).unwrap(), steps: 0, fail_at };
    let mut optimizer = failing(14);
    let mut net = network(2);
    let e = Trainer::new(&mut optimizer).epochs(10).batch_size(8).fit(&mut net, &data).unwrap_err();
    assert_eq!(e.to_string(), "out of budget");
    assert_eq!((e.history.epochs.len(), e.history.stop_reason), (3, StopReason::Error));

    let mut expected = failing(0);
    let mut three_epochs = network(2);
    let history = Trainer::new(&mut expected).epochs(3).batch_size(8).fit(&mut three_epochs, &data).unwrap();
    assert_eq!(e.history.epochs.iter().map(|r| r.training_cost).collect::<Vec<_>>(), {
        history.epochs.iter().map(|r| r.training_cost).collect::<Vec<_>>()
    });
    assert_eq!(parameters(&net), parameters(&three_epochs), "the network as at the end of epoch 2");
    assert_eq!(optimizer.adam, expected.adam, "Adam's moments and step count as at the end of epoch 2");
    assert_eq!(optimizer.adam.steps(), 12);

    // An error in the first epoch: everything as before the fit.
    let mut optimizer = failing(2);
    let mut net = network(2);
    let e = Trainer::new(&mut optimizer).epochs(10).batch_size(8).fit(&mut net, &data).unwrap_err();
    assert!(e.history.epochs.is_empty());
    assert_eq!(parameters(&net), parameters(&network(2)));
    assert_eq!(optimizer.adam, Adam::new(0.05).unwrap());
}

#[test]
fn with_early_stopping_an_error_leaves_the_best_epochs_weights() {
    let data = blobs(30, 6);
    // A cost below 1 cannot improve by 1: epoch 0 stays the best.
    let stopping = EarlyStopping::new(50).unwrap().min_delta(1.0).unwrap();
    let trainer = |optimizer| Trainer::new(optimizer).batch_size(8).early_stopping(stopping);
    let failing = |fail_at| FailingAdam { adam: Adam::new(0.05).unwrap(), steps: 0, fail_at };
    let mut net = network(2);
    // Step 22 is epoch 5, batch 1.
    let e = trainer(failing(22)).epochs(10).fit(&mut net, &data).unwrap_err();
    assert_eq!(e.history.epochs.len(), 5);
    assert_eq!(e.history.best_epoch, Some(0));
    let mut best_net = network(2);
    trainer(failing(0)).epochs(1).fit(&mut best_net, &data).unwrap();
    assert_eq!(parameters(&net), parameters(&best_net));
}

#[test]
fn a_schedule_may_bring_the_rate_to_zero() {
    // PyTorch's default α_min = 0: epoch 10 of cosine annealing over 10 epochs has rate 0.
    let data = blobs(20, 7);
    let fit = |epochs| {
        let mut net = network(3);
        let trainer = Trainer::new(Sgd::new(0.5).unwrap()).epochs(epochs).batch_size(8);
        let history = trainer.schedule(CosineAnnealing::new(10, 0.0).unwrap()).fit(&mut net, &data).unwrap();
        (history, parameters(&net))
    };
    let (history, weights) = fit(11);
    assert_eq!((history.epochs.len(), history.stop_reason), (11, StopReason::Completed));
    assert!(history.epochs[9].learning_rate.unwrap() > 0.0);
    assert_eq!(history.epochs[10].learning_rate, Some(0.0));
    assert_eq!(history.epochs[10].batches, 3, "the epoch ran");
    assert_eq!(weights, fit(10).1, "but took no step");
}

#[test]
fn a_scheduled_rate_that_rounds_to_zero_in_f32_takes_no_step() {
    // 0.5·10⁻⁶⁰ at epoch 2 is 0 in f32.
    let data = Dataset::new(Matrix::from_fn(6, 1, |i, _| i as f32 / 6.0), Matrix::from_fn(6, 1, |i, _| (i % 2) as f32));
    let data = data.unwrap();
    let fit = |epochs| {
        let mut net = Network::<f32>::builder(1).layer(1, Activation::Sigmoid).seed(2).build().unwrap();
        let trainer = Trainer::new(Sgd::new(0.5f32).unwrap()).epochs(epochs);
        let history = trainer.schedule(ExponentialDecay::new(1e-30).unwrap()).fit(&mut net, &data).unwrap();
        let weights: Vec<f32> = net.layers()[0].weights().as_slice().to_vec();
        (history, weights)
    };
    let (history, weights) = fit(3);
    let rates: Vec<Option<f64>> = history.epochs.iter().map(|r| r.learning_rate).collect();
    assert_eq!(rates[2], Some(0.0));
    assert!(rates[1].unwrap() > 0.0, "{rates:?}");
    assert_eq!(weights, fit(2).1);
}

#[test]
fn a_negative_scheduled_rate_ends_training_with_the_history() {
    struct Down;
    impl Schedule for Down {
        fn learning_rate(&mut self, epoch: usize, base: f64, _: Option<f64>) -> f64 {
            base - 0.25 * epoch as f64
        }
    }
    let data = blobs(20, 7);
    let mut net = network(3);
    let e = Trainer::new(Sgd::new(0.5).unwrap()).epochs(5).schedule(Down).fit(&mut net, &data).unwrap_err();
    assert_eq!(e.to_string(), "learning rate must be finite and > 0, got -0.25");
    assert_eq!(e.history.epochs.len(), 3);
    // `?` keeps the error and drops the history.
    let plain: Error = e.into();
    assert!(matches!(plain, Error::InvalidHyperparameter { name: "learning rate", .. }));
}

/// The batches `fit` trains on with `ValidationSet::None`, epoch by epoch (a `Batcher`
/// shuffled by an `Rng` seeded with the trainer's seed), each given to `step`.
fn by_hand(
    net: &mut Network<f64>,
    data: &Dataset<f64>,
    (epochs, batch_size, seed): (usize, usize, u64),
    mut step: impl FnMut(&mut Network<f64>, Batch<'_, f64>),
) {
    let mut rng = Rng::new(seed);
    let mut batcher = Batcher::new(data, batch_size).unwrap();
    batcher.set_threads(net.threads()).unwrap();
    for _ in 0..epochs {
        batcher.shuffle(&mut rng);
        while let Some(b) = batcher.next_batch() {
            step(net, b);
        }
    }
}

#[test]
fn fit_with_plain_sgd_is_a_loop_of_train_batch_bit_for_bit() {
    let data = blobs(45, 21); // batches of 8 and a short last one
    for threads in [1, 2] {
        let mut fitted = network(4);
        fitted.set_threads(threads).unwrap();
        let mut looped = fitted.clone();
        Trainer::new(Sgd::new(0.7).unwrap()).epochs(4).batch_size(8).seed(5).fit(&mut fitted, &data).unwrap();
        by_hand(&mut looped, &data, (4, 8, 5), |net, b| net.train_batch(b.inputs, b.targets, 0.7).unwrap());
        assert_eq!(parameters(&fitted), parameters(&looped), "{threads} threads");
    }
}

#[test]
fn fit_forms_the_gradient_where_the_optimiser_or_the_diagnostics_need_it() {
    // Weight decay, a wrapper that changes the gradient, or diagnostics: forward,
    // backward and `step_with`, bit for bit.
    type Make = fn() -> Box<dyn Optimizer<f64>>;
    let cases: [(Make, Diagnostics); 3] = [
        (|| Box::new(Sgd::new(0.7).unwrap().weight_decay(1e-3).unwrap()), Diagnostics::Off),
        (|| Box::new(Clipped::new(Sgd::new(0.7).unwrap(), 0.05).unwrap()), Diagnostics::Off),
        (|| Box::new(Sgd::new(0.7).unwrap()), Diagnostics::PerEpoch),
    ];
    let data = blobs(45, 22);
    for (make, diagnostics) in cases {
        let mut fitted = network(6);
        let mut looped = fitted.clone();
        Trainer::new(make()).epochs(3).batch_size(8).seed(9).diagnostics(diagnostics).fit(&mut fitted, &data).unwrap();
        let mut optimizer = make();
        by_hand(&mut looped, &data, (3, 8, 9), |net, b| {
            net.forward_batch(b.inputs).unwrap();
            net.backward_batch(b.targets).unwrap();
            net.step_with(&mut optimizer).unwrap();
        });
        assert_eq!(parameters(&fitted), parameters(&looped), "{diagnostics:?}");
    }
}

#[test]
fn a_fused_step_that_would_overflow_stops_training_and_rolls_back() {
    // An identity unit, inputs near 10⁵, errors near 10⁴ and a rate of 10³⁰⁰: the cost
    // is finite, the gradient near 10⁹, and the step overflows.
    let x = Matrix::from_fn(6, 1, |i, _| 1e5 * (1.0 + i as f64));
    let data = Dataset::new(x, Matrix::from_fn(6, 1, |i, _| -1e4 * (1.0 + i as f64)));
    let data = data.unwrap();
    let net = || Network::<f64>::builder(1).layer(1, Activation::Identity).seed(3).build().unwrap();
    let trainer = |epochs| Trainer::new(Sgd::new(1e300).unwrap()).epochs(epochs).batch_size(3);
    let mut trained = net();
    let e = trainer(5).fit(&mut trained, &data).unwrap_err();
    let Error::Diverged { epoch, what, .. } = e.error else { panic!("{}", e.error) };
    assert_eq!(what, "a parameter after the update");
    assert_eq!(e.history.epochs.len(), epoch);
    assert!(parameters(&trained).iter().all(|w| w.is_finite()));
    // Rolled back to the end of the last completed epoch, as a shorter fit leaves it.
    let mut shorter = net();
    if epoch > 0 {
        trainer(epoch).fit(&mut shorter, &data).unwrap();
    }
    assert_eq!(parameters(&trained), parameters(&shorter));
}
