//! Fits a noisy sine: 400 seeded samples of y = sin(x) + ε, ε ~ N(0, 0.1²), x uniform on
//! [−π, π], learnt by a 1-32-32-1 network (tanh hidden layers, identity output, quadratic
//! cost) with Adam, a validation fraction and early stopping in `Trainer::fit`. Prints the
//! costs and a terminal plot, and draws the data and the fit to an SVG file.
//!
//! ```text
//! cargo run --release --example sine [-- sine.svg]
//! ```

#[path = "support/plot.rs"]
mod plot;

use std::f64::consts::PI;

use backprop::{Activation, Adam, Cost, Dataset, EarlyStopping, Matrix, Network, Rng, Trainer, ValidationSet};
use plot::{Chart, Legend, Series, Style};

const NOISE: f64 = 0.1;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let svg_path = std::env::args().nth(1).unwrap_or_else(|| "sine.svg".to_string());

    let n = 400;
    let mut rng = Rng::new(7);
    let x: Vec<f64> = (0..n).map(|_| PI * (2.0 * rng.uniform() - 1.0)).collect();
    let y: Vec<f64> = x.iter().map(|&x| x.sin() + NOISE * rng.normal()).collect();
    let data = Dataset::new(Matrix::new(n, 1, x.clone())?, Matrix::new(n, 1, y.clone())?)?;

    let mut net = Network::<f64>::builder(1)
        .layer(32, Activation::Tanh)
        .layer(32, Activation::Tanh)
        .layer(1, Activation::Identity)
        .cost(Cost::Quadratic)
        .seed(1)
        .build()?;
    println!("network: {net}");
    let history = Trainer::new(Adam::new(0.01)?)
        .epochs(500)
        .batch_size(32)
        .seed(2)
        .validation(ValidationSet::Fraction(0.2))
        .early_stopping(EarlyStopping::new(40)?)
        .fit(&mut net, &data)?;

    let best = history.best().ok_or("no best epoch")?;
    println!("stopped: {:?} after {} epochs; kept epoch {}", history.stop_reason, history.epochs.len(), best.epoch);
    println!(
        "training cost {:.5}, validation cost {:.5} (quadratic cost ½(a − y)²; the noise alone gives ½·0.1² = {:.5})",
        best.training_cost,
        best.validation_cost.unwrap_or(f64::NAN),
        0.5 * NOISE * NOISE
    );

    // The fit on a grid, and how far it is from the noise-free sine.
    let grid = Matrix::from_fn(201, 1, |i, _| PI * (i as f64 / 100.0 - 1.0));
    let fitted = net.predict_batch(&grid)?;
    let fit: Vec<(f64, f64)> = grid.as_slice().iter().copied().zip(fitted.as_slice().iter().copied()).collect();
    let rmse = (fit.iter().map(|&(x, a)| (a - x.sin()).powi(2)).sum::<f64>() / fit.len() as f64).sqrt();
    println!("root mean square distance from sin(x) on [−π, π]: {rmse:.4}\n");

    let samples: Vec<(f64, f64)> = x.into_iter().zip(y).collect();
    print!("{}", plot::terminal_plot(&[(&samples, '.'), (&fit, '#')], 72, 20));
    println!("  . samples   # network\n");

    let chart = Chart {
        title: "y = sin(x) + noise, fitted by a 1-32-32-1 tanh network".into(),
        x_label: "x".into(),
        y_label: "y".into(),
        series: vec![
            Series { name: "samples".into(), points: samples, style: Style::Dots, color: "#7f7f7f" },
            Series { name: "network".into(), points: fit, style: Style::Line, color: "#d62728" },
        ],
        legend: Legend::BottomRight,
    };
    std::fs::write(&svg_path, chart.to_svg())?;
    println!("data and fit written to {svg_path}");
    Ok(())
}
