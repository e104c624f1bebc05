//! From your own CSV file to a saved model, and predictions in another process: trains a
//! regression network on a CSV file with a header, keeps the network and the
//! standardizer fitted on its training rows, and predicts with both later.
//!
//! ```text
//! cargo run --release --example csv_model -- train <data.csv> <model-dir> [--target <column>] [--seed <n>]
//! cargo run --release --example csv_model -- predict <model-dir> <data.csv>
//! ```
//!
//! `train` reads the file (numbers only, the first line naming the columns), takes the
//! column named by `--target` (default: the last one) as the target and every other
//! column as an input, and splits the rows at random, from the seed (default 1), into
//! 64 % training, 16 % validation and 20 % test rows. It fits a `Standardizer` on the
//! training rows only, trains with early stopping on the validation rows, prints the
//! root-mean-square error (RMSE) on the test rows and writes into `<model-dir>`:
//!
//! - `network.safetensors`: the network, by `Network::save`;
//! - `scaler.csv`: the standardizer, a header naming the input columns, then a row of
//!   their means and a row of their standard deviations;
//! - `target.txt`: the name of the target column;
//! - `test.csv`: the test rows as read, which training never saw.
//!
//! `predict` loads the network, rebuilds the standardizer with
//! `Standardizer::from_parts`, finds the input columns in the file by name (in any
//! order) and prints a prediction for every row; if the file has the target column, it
//! prints the RMSE too: on `<model-dir>/test.csv`, the very number `train` printed.
//!
//! Without arguments it writes a synthetic file of house prices to the temporary folder,
//! whose columns have very different scales, and runs `train` and then `predict` on it.

use std::error::Error;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use backprop::{
    Activation, Adam, Cost, CsvOptions, CsvTable, Dataset, EarlyStopping, Header, Matrix, Network, Rng, Standardizer,
    TargetColumn, Trainer, ValidationSet, read_csv_file,
};

const USAGE: &str = "usage: cargo run --release --example csv_model -- train <data.csv> <model-dir> \
                     [--target <column>] [--seed <n>]\n       \
                     cargo run --release --example csv_model -- predict <model-dir> <data.csv>";

type Res<T> = Result<T, Box<dyn Error>>;

fn main() -> ExitCode {
    match run(std::env::args().skip(1)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the example with its command-line arguments (without the program's name).
pub fn run(args: impl IntoIterator<Item = String>) -> Res<()> {
    let args: Vec<String> = args.into_iter().collect();
    let (mut paths, mut target, mut seed) = (Vec::new(), None, 1);
    let mut rest = args.iter().skip(1);
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--target" => target = Some(rest.next().ok_or("--target needs a column name")?.clone()),
            "--seed" => {
                let value = rest.next().ok_or("--seed needs a value")?;
                seed = value.parse().map_err(|_| format!("--seed: {value:?} is not a whole number ≥ 0"))?;
            }
            flag if flag.starts_with("--") => return Err(format!("unknown option {flag}\n{USAGE}").into()),
            _ => paths.push(PathBuf::from(arg)),
        }
    }
    match (args.first().map(String::as_str), paths.as_slice()) {
        (None, _) => demo(),
        (Some("train"), [data, dir]) => train(data, dir, target.as_deref(), seed).map(|_| ()),
        (Some("predict"), [dir, data]) if target.is_none() => predict(dir, data).map(|_| ()),
        _ => Err(USAGE.into()),
    }
}

/// Trains on the CSV file `data` and saves the model into `dir`; returns the test RMSE.
pub fn train(data: &Path, dir: &Path, target: Option<&str>, seed: u64) -> Res<f64> {
    let (names, values) = read_table(data)?;
    let target = target.unwrap_or(names.last().map_or("", String::as_str)).to_string();
    let column = find_column(&names, &target, data)?;
    let all = Dataset::from_columns(&values, TargetColumn::Numeric(column))?;
    let features: Vec<&str> = names.iter().filter(|n| **n != target).map(String::as_str).collect();
    features.iter().try_for_each(|f| find_column(&names, f, data).map(|_| ()))?; // each name once
    let (rest, test) = all.split(0.2, seed)?;
    let (training, validation) = rest.split(0.2, seed.wrapping_add(1))?;
    println!("{} rows: {} training, {} validation, {} test", all.len(), training.len(), validation.len(), test.len());

    // The training rows alone decide the scaling; the other parts get the same transform.
    let scaler = Standardizer::fit(training.inputs())?;
    let (training, validation) = (scaler.transform_dataset(training)?, scaler.transform_dataset(validation)?);
    let mut net = Network::<f64>::builder(features.len())
        .layer(16, Activation::Tanh)
        .layer(1, Activation::Identity)
        .cost(Cost::Quadratic)
        .seed(seed)
        .build()?;
    let history = Trainer::new(Adam::new(0.01)?)
        .epochs(2000)
        .batch_size(16)
        .seed(seed)
        .validation(ValidationSet::Data(&validation))
        .early_stopping(EarlyStopping::new(40)?)
        .fit(&mut net, &training)?;
    let best = history.best().ok_or("no epoch ran")?;
    let (epochs, stop) = (history.epochs.len(), history.stop_reason);
    println!("{epochs} epochs ({stop:?}); kept the network of epoch {}, the best on validation", best.epoch + 1);

    let test_rmse = rmse(&net.predict_batch(scaler.transform_dataset(test.clone())?.inputs())?, test.targets());
    let mean = training.targets().as_slice().iter().sum::<f64>() / training.len() as f64;
    let baseline = rmse(&Matrix::from_fn(test.len(), 1, |_, _| mean), test.targets());
    println!("test RMSE of {target}: {test_rmse} (always predicting the training mean: {baseline:.4})");

    fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    net.save(dir.join("network.safetensors"))?;
    let line = |row: &[f64]| row.iter().map(f64::to_string).collect::<Vec<_>>().join(",");
    let scaler_text = format!("{}\n{}\n{}\n", features.join(","), line(scaler.means()), line(scaler.stds()));
    write(&dir.join("scaler.csv"), &scaler_text)?;
    write(&dir.join("target.txt"), &format!("{target}\n"))?;
    let mut test_text = format!("{},{target}\n", features.join(","));
    for i in 0..test.len() {
        let (x, y) = test.sample(i);
        test_text += &format!("{},{}\n", line(x), line(y));
    }
    write(&dir.join("test.csv"), &test_text)?;
    println!("saved into {}: network.safetensors, scaler.csv, target.txt, test.csv", dir.display());
    Ok(test_rmse)
}

/// Predicts every row of the CSV file `data` with the model saved in `dir`; returns the
/// RMSE if the file has the target column.
pub fn predict(dir: &Path, data: &Path) -> Res<Option<f64>> {
    let net_path = dir.join("network.safetensors");
    let net = in_file(&net_path, Network::<f64>::load(&net_path))?;
    let scaler_path = dir.join("scaler.csv");
    let (features, parts) = read_table(&scaler_path)?;
    let scaler = match parts.n_rows() {
        2 => Standardizer::from_parts(parts.row(0), parts.row(1)).map_err(|e| e.to_string()),
        n => Err(format!("2 rows are needed (the means, then the standard deviations), found {n}")),
    }
    .map_err(|e| format!("{}: {e}", scaler_path.display()))?;
    if net.n_inputs() != features.len() {
        let (n, path) = (features.len(), scaler_path.display());
        return Err(format!("the network takes {} inputs but {path} names {n} columns", net.n_inputs()).into());
    }
    let target_path = dir.join("target.txt");
    let target = fs::read_to_string(&target_path).map_err(|e| format!("cannot read {}: {e}", target_path.display()))?;
    let target = target.trim();

    let (names, values) = read_table(data)?;
    let columns = features.iter().map(|f| find_column(&names, f, data)).collect::<Res<Vec<_>>>()?;
    let mut inputs = Matrix::from_fn(values.n_rows(), columns.len(), |i, j| values[(i, columns[j])]);
    let has_target = names.iter().any(|n| n == target);
    let targets = if has_target { Some(find_column(&names, target, data)?) } else { None }
        .map(|t| Matrix::from_fn(values.n_rows(), 1, |i, _| values[(i, t)]));
    scaler.transform(&mut inputs)?;
    let predictions = net.predict_batch(&inputs)?;
    for i in 0..predictions.n_rows() {
        match &targets {
            Some(y) => println!("row {}: {target} {} (in the file: {})", i + 1, predictions[(i, 0)], y[(i, 0)]),
            None => println!("row {}: {target} {}", i + 1, predictions[(i, 0)]),
        }
    }
    let Some(targets) = targets else { return Ok(None) };
    let error = rmse(&predictions, &targets);
    println!("RMSE of {target} on {} rows: {error}", predictions.n_rows());
    Ok(Some(error))
}

/// The root-mean-square error √(Σ (a − y)² / n) of the predictions a of n rows.
fn rmse(predictions: &Matrix<f64>, targets: &Matrix<f64>) -> f64 {
    let pairs = predictions.as_slice().iter().zip(targets.as_slice());
    (pairs.map(|(a, y)| (a - y).powi(2)).sum::<f64>() / targets.n_rows() as f64).sqrt()
}

/// The column names and the values of a CSV file with a header.
fn read_table(path: &Path) -> Res<(Vec<String>, Matrix<f64>)> {
    let table: CsvTable<f64> = in_file(path, read_csv_file(path, &CsvOptions::new().header(Header::Present)))?;
    Ok((table.header.unwrap_or_default(), table.values))
}

/// The index of the one column named `name`.
fn find_column(names: &[String], name: &str, path: &Path) -> Res<usize> {
    match names.iter().enumerate().filter(|(_, n)| *n == name).map(|(i, _)| i).collect::<Vec<_>>()[..] {
        [i] => Ok(i),
        [] => Err(format!("{} has no column {name:?}; its columns are {}", path.display(), names.join(", ")).into()),
        _ => Err(format!("{} has more than one column named {name:?}", path.display()).into()),
    }
}

/// `result`, with its error naming `path` (an error of opening or reading it does already).
fn in_file<T>(path: &Path, result: backprop::Result<T>) -> Res<T> {
    match result {
        Err(e @ backprop::Error::File { .. }) => Err(e.into()),
        result => result.map_err(|e| format!("{}: {e}", path.display()).into()),
    }
}

fn write(path: &Path, text: &str) -> Res<()> {
    fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()).into())
}

/// Writes a synthetic CSV of house prices and runs `train` and then `predict` on it.
fn demo() -> Res<()> {
    let dir = std::env::temp_dir().join("backprop-csv-model");
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir)?;
    let (data, model) = (dir.join("houses.csv"), dir.join("model"));
    // Inputs on scales from units to hundreds; the price is in units of 100 000.
    let mut rng = Rng::new(7);
    let mut text = String::from("area_m2,rooms,age_years,distance_km,price\n");
    for _ in 0..400 {
        let area = 30.0 + 170.0 * rng.uniform();
        let rooms = (1 + rng.below(5) + (area / 60.0) as usize) as f64;
        let (age, distance) = (100.0 * rng.uniform(), 0.5 + 39.5 * rng.uniform());
        let price = 0.5 + area / 50.0 * (1.0 - distance / 60.0) + 0.2 * rooms - 0.008 * age + 0.05 * rng.normal();
        text += &format!("{area:.1},{rooms},{age:.0},{distance:.2},{price:.3}\n");
    }
    write(&data, &text)?;
    let command = "cargo run --release --example csv_model --";
    println!("$ {command} train {} {}", data.display(), model.display());
    let at_training = train(&data, &model, None, 1)?;
    let test = model.join("test.csv");
    println!("\n$ {command} predict {} {}", model.display(), test.display());
    let reloaded = predict(&model, &test)?;
    if reloaded.map(f64::to_bits) != Some(at_training.to_bits()) {
        return Err(format!("the reloaded model's RMSE {reloaded:?} is not the {at_training} of training").into());
    }
    println!("\nthe reloaded model gives the test RMSE of training, bit for bit; the files are in {}", dir.display());
    Ok(())
}
