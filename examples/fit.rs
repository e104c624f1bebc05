//! Trains a classifier of two Gaussian blobs with `Trainer::fit`: Adam, a validation
//! fraction, a step-decay schedule, early stopping, the progress line on stderr and
//! gradient diagnostics; then checks the trained network's gradients by finite differences.
//!
//! ```text
//! cargo run --release --example fit
//! ```

use backprop::{
    Activation, Adam, Dataset, Diagnostics, EarlyStopping, Matrix, Network, ProgressReporter, Rng, StepDecay, Trainer,
    ValidationSet, gradient_check,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Class 0 around (−1, −1), class 1 around (1, 1), σ = 0.8: the blobs overlap a little.
    let n = 1000;
    let mut rng = Rng::new(1);
    let labels: Vec<usize> = (0..n).map(|i| i % 2).collect();
    let inputs = Matrix::from_fn(n, 2, |i, _| 2.0 * labels[i] as f64 - 1.0 + 0.8 * rng.normal());
    let data = Dataset::from_labels(inputs, &labels, 2)?;

    let mut net =
        Network::<f64>::builder(2).layer(8, Activation::Sigmoid).layer(2, Activation::Sigmoid).seed(2).build()?;
    println!("network: {net}");
    let history = Trainer::new(Adam::new(0.02)?)
        .epochs(60)
        .batch_size(32)
        .seed(3)
        .validation(ValidationSet::Fraction(0.2))
        .schedule(StepDecay::new(20, 0.5)?)
        .early_stopping(EarlyStopping::new(8)?.min_delta(1e-5)?)
        .diagnostics(Diagnostics::PerEpoch)
        .callback(ProgressReporter::stderr())
        .fit(&mut net, &data)?;

    println!("stopped: {:?} after {} epochs", history.stop_reason, history.epochs.len());
    let best = history.best().ok_or("no best epoch")?;
    println!(
        "best epoch {}: validation cost {:.5}, validation accuracy {:.1}%",
        best.epoch,
        best.validation_cost.unwrap_or(f64::NAN),
        100.0 * best.validation_accuracy.unwrap_or(f64::NAN)
    );
    println!("\nlayer | mean |δ|   | ‖∂C/∂w‖    | saturated");
    for (l, d) in best.layers.iter().enumerate() {
        println!(
            "{l:>5} | {:.3e} | {:.3e} | {:>8.2}%",
            d.mean_abs_delta,
            d.weight_gradient_norm,
            100.0 * d.saturated_fraction
        );
    }

    let sample = data.subset(&[0, 1, 2, 3])?;
    let report = gradient_check(&net, sample.inputs(), sample.targets())?;
    println!("\ngradient check:\n{report}");
    if !report.passed() {
        return Err("backpropagation disagrees with finite differences".into());
    }
    Ok(())
}
