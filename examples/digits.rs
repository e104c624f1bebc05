//! Classifies the 8×8 handwritten digits of `examples/data/digits.csv` (E. Alpaydin and
//! C. Kaynak, UCI, CC BY 4.0): a 64-64-10 network, ReLU then softmax, trained with the
//! categorical cross-entropy and Adam by `Trainer::fit`. Prints the test accuracy and the
//! confusion matrix, and draws the training curves to an SVG file.
//!
//! ```text
//! cargo run --release --example digits [-- curves.svg]
//! ```
//!
//! A fifth of the samples is held out as the test set before anything else, and is only
//! used once, at the end. The pixel standardizer is fitted on the training part, and a
//! fifth of the training part is the validation set that early stopping watches.

#[path = "support/plot.rs"]
mod plot;

use backprop::{
    Activation, Adam, Cost, CsvOptions, DEFAULT_SEED, Dataset, EarlyStopping, Network, Standardizer, TargetColumn,
    Trainer, ValidationSet, argmax, read_csv_file,
};
use plot::{Chart, Legend, Series, Style};

// The data is in the crate's repository, not in its published package (its licence,
// CC BY 4.0, is not the crate's): run the example from a clone.
const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/data/digits.csv");
const CLASSES: usize = 10;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let svg_path = std::env::args().nth(1).unwrap_or_else(|| "digits.svg".to_string());

    if !std::path::Path::new(DATA).exists() {
        return Err(format!(
            "{DATA} is missing: the digits data is in the crate's repository, not in its published package; \
             run this example from a clone of the repository"
        )
        .into());
    }
    let table = read_csv_file::<f32>(DATA, &CsvOptions::new())?;
    let data = Dataset::from_csv_table(&table, TargetColumn::Class { column: 64, classes: CLASSES })?;
    let (train, test) = data.split(0.2, 2026)?;
    let standardizer = Standardizer::fit(train.inputs())?;
    let (train, test) = (standardizer.transform_dataset(train)?, standardizer.transform_dataset(test)?);
    println!("{} samples: {} to train (a fifth of them to validate), {} to test", data.len(), train.len(), test.len());

    let mut net = Network::<f32>::builder(64)
        .layer(64, Activation::Relu)
        .layer(CLASSES, Activation::Softmax)
        .cost(Cost::CategoricalCrossEntropy)
        .seed(DEFAULT_SEED)
        .build()?;
    println!("network: {net}");
    let history = Trainer::new(Adam::new(3e-3)?.weight_decay(1e-4)?)
        .epochs(200)
        .batch_size(32)
        .validation(ValidationSet::Fraction(0.2))
        .early_stopping(EarlyStopping::new(15)?)
        .fit(&mut net, &train)?;

    for r in history.epochs.iter().filter(|r| r.epoch % 10 == 0) {
        println!(
            "epoch {:>3}  cost {:.4}  val cost {:.4}  val acc {:.2}%",
            r.epoch,
            r.training_cost,
            r.validation_cost.unwrap_or(f64::NAN),
            100.0 * r.validation_accuracy.unwrap_or(f64::NAN)
        );
    }
    let best = history.best().ok_or("no best epoch")?;
    println!(
        "stopped: {:?} after {} epochs; kept epoch {} (val cost {:.4}, val acc {:.2}%)",
        history.stop_reason,
        history.epochs.len(),
        best.epoch,
        best.validation_cost.unwrap_or(f64::NAN),
        100.0 * best.validation_accuracy.unwrap_or(f64::NAN)
    );

    // The test set, once.
    let outputs = net.predict_batch(test.inputs())?;
    let mut confusion = [[0usize; CLASSES]; CLASSES];
    for i in 0..test.len() {
        let truth = argmax(test.sample(i).1).ok_or("an empty target row")?;
        let guess = argmax(outputs.row(i)).ok_or("an empty output row")?;
        confusion[truth][guess] += 1;
    }
    let right: usize = (0..CLASSES).map(|d| confusion[d][d]).sum();
    println!("\ntest accuracy: {:.2}% ({right}/{})", 100.0 * right as f64 / test.len() as f64, test.len());
    println!("\nconfusion matrix (rows: true digit, columns: predicted)");
    println!("     {}", (0..CLASSES).map(|d| format!("{d:>4}")).collect::<String>());
    for (d, row) in confusion.iter().enumerate() {
        println!("{d:>4} {}", row.iter().map(|n| format!("{n:>4}")).collect::<String>());
    }

    let curve = |f: &dyn Fn(&backprop::EpochRecord) -> Option<f64>| -> Vec<(f64, f64)> {
        history.epochs.iter().filter_map(|r| Some(((r.epoch + 1) as f64, f(r)?))).collect()
    };
    let series = |name: &str, points, color| Series { name: name.to_string(), points, style: Style::Line, color };
    let costs = Chart {
        title: "Cost (categorical cross-entropy)".into(),
        x_label: "epoch".into(),
        y_label: "mean cost".into(),
        series: vec![
            series("training", curve(&|r| Some(r.training_cost)), "#1f77b4"),
            series("validation", curve(&|r| r.validation_cost), "#d62728"),
        ],
        legend: Legend::TopRight,
    };
    let accuracy = Chart {
        title: "Accuracy".into(),
        x_label: "epoch".into(),
        y_label: "fraction right".into(),
        series: vec![
            series("training", curve(&|r| r.training_accuracy), "#1f77b4"),
            series("validation", curve(&|r| r.validation_accuracy), "#d62728"),
        ],
        legend: Legend::BottomRight,
    };
    std::fs::write(&svg_path, plot::panels(&[costs, accuracy]))?;
    println!("\ntraining curves written to {svg_path}");
    Ok(())
}
