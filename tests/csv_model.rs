//! From a CSV file to a saved model and back: read, split, standardise on the training
//! rows only, train with early stopping, save the network and the standardizer's parts,
//! load them and predict exactly as before; and the `csv_model` example on files.

#[path = "../examples/csv_model.rs"]
#[allow(dead_code)] // the example's `main` and demo are not called here
mod csv_model;

use std::fs;
use std::path::Path;

use backprop::{
    Activation, Adam, CsvOptions, Dataset, EarlyStopping, Header, Matrix, Network, Rng, Standardizer, TargetColumn,
    Trainer, ValidationSet, read_csv_file,
};

#[path = "common/temp_dir.rs"]
mod temp_dir;
use temp_dir::TempDir;

/// A CSV file with a header: inputs of very different scales, the target `y` between
/// them (not last), and `rows` rows.
fn write_csv(path: &Path, rows: usize) {
    let mut rng = Rng::new(11);
    let mut text = String::from("size,y,ratio,count\n");
    for _ in 0..rows {
        let (size, ratio, count) = (1000.0 + 9000.0 * rng.uniform(), 0.01 * rng.uniform(), rng.below(20) as f64);
        let y = size / 5000.0 - 100.0 * ratio + 0.05 * count + 0.02 * rng.normal();
        text += &format!("{size:.2},{y:.4},{ratio:.6},{count}\n");
    }
    fs::write(path, text).expect("writable");
}

/// The mean and population standard deviation of column `j`, in f64.
fn column_stats(m: &Matrix<f64>, j: usize) -> (f64, f64) {
    let n = m.n_rows() as f64;
    let mean = m.row_iter().map(|r| r[j]).sum::<f64>() / n;
    (mean, (m.row_iter().map(|r| (r[j] - mean).powi(2)).sum::<f64>() / n).sqrt())
}

fn bits(m: &Matrix<f64>) -> Vec<u64> {
    m.as_slice().iter().map(|x| x.to_bits()).collect()
}

#[test]
fn csv_to_saved_model_and_back_predicts_bit_for_bit() -> backprop::Result<()> {
    let dir = TempDir::new("csv-model-path");
    let data_path = dir.0.join("data.csv");
    write_csv(&data_path, 300);

    let table = read_csv_file::<f64>(&data_path, &CsvOptions::new().header(Header::Present))?;
    let header = table.header.expect("a header");
    let target = header.iter().position(|h| h == "y").expect("a column y");
    let all = Dataset::from_columns(&table.values, TargetColumn::Numeric(target))?;
    let (rest, test) = all.split(0.2, 5)?;
    let (training, validation) = rest.split(0.25, 6)?;

    // Fitted on the training rows only: their statistics, not the whole table's.
    let scaler = Standardizer::fit(training.inputs())?;
    for j in 0..all.n_inputs() {
        let (mean, std) = column_stats(training.inputs(), j);
        let (all_mean, _) = column_stats(all.inputs(), j);
        let (fitted_mean, fitted_std) = (scaler.means()[j], scaler.stds()[j]);
        assert!((fitted_mean - mean).abs() <= 1e-12 * mean.abs(), "column {j}: {fitted_mean} vs {mean}");
        assert!((fitted_std - std).abs() <= 1e-12 * std, "column {j}: {fitted_std} vs {std}");
        assert!((fitted_mean - all_mean).abs() > 1e-9 * all_mean.abs(), "column {j}: the whole table's mean");
    }

    let (training, validation) = (scaler.transform_dataset(training)?, scaler.transform_dataset(validation)?);
    let mut net = Network::<f64>::builder(all.n_inputs())
        .layer(8, Activation::Tanh)
        .layer(1, Activation::Identity)
        .seed(7)
        .build()?;
    let history = Trainer::new(Adam::new(0.01)?)
        .epochs(300)
        .batch_size(16)
        .seed(8)
        .validation(ValidationSet::Data(&validation))
        .early_stopping(EarlyStopping::new(20)?)
        .fit(&mut net, &training)?;
    let best = history.best().expect("a best epoch");
    // Early stopping gave back the best epoch's network.
    let cost = net.mean_cost(validation.inputs(), validation.targets())?;
    assert!((cost - best.validation_cost.unwrap()).abs() <= 1e-12 * cost, "{cost} vs {best:?}");

    // Save the network and the scaler's parts as a CSV file the crate's reader reads back.
    let line = |row: &[f64]| row.iter().map(f64::to_string).collect::<Vec<_>>().join(",");
    let (net_path, scaler_path) = (dir.0.join("network.safetensors"), dir.0.join("scaler.csv"));
    net.save(&net_path)?;
    let names: Vec<&str> = header.iter().filter(|h| *h != "y").map(String::as_str).collect();
    let scaler_text = format!("{}\n{}\n{}\n", names.join(","), line(scaler.means()), line(scaler.stds()));
    fs::write(&scaler_path, scaler_text)?;

    let loaded = Network::<f64>::load(&net_path)?;
    let parts = read_csv_file::<f64>(&scaler_path, &CsvOptions::new().header(Header::Present))?;
    assert_eq!(parts.header.as_deref(), Some(&["size".to_string(), "ratio".into(), "count".into()][..]));
    let rebuilt = Standardizer::from_parts(parts.values.row(0), parts.values.row(1))?;
    assert_eq!(rebuilt, scaler);

    let predict = |net: &Network<f64>, scaler: &Standardizer<f64>| -> backprop::Result<Matrix<f64>> {
        net.predict_batch(scaler.transform_dataset(test.clone())?.inputs())
    };
    let (before, after) = (predict(&net, &scaler)?, predict(&loaded, &rebuilt)?);
    assert_eq!(bits(&before), bits(&after));
    // One row at a time too (the single-row kernels may round differently from the
    // batch's, so each is compared with its like).
    for i in 0..test.len() {
        let (mut x, mut x_rebuilt) = (test.sample(i).0.to_vec(), test.sample(i).0.to_vec());
        scaler.transform_row(&mut x)?;
        rebuilt.transform_row(&mut x_rebuilt)?;
        assert_eq!(loaded.predict(&x_rebuilt)?[0].to_bits(), net.predict(&x)?[0].to_bits(), "row {i}");
    }

    // And it learnt: far better than always predicting the training mean.
    let mean = training.targets().as_slice().iter().sum::<f64>() / training.len() as f64;
    let squared =
        |a: &dyn Fn(usize) -> f64| (0..test.len()).map(|i| (a(i) - test.targets()[(i, 0)]).powi(2)).sum::<f64>();
    assert!(squared(&|i| before[(i, 0)]) < 0.1 * squared(&|_| mean));
    Ok(())
}

fn args(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn the_example_predicts_its_test_rows_as_it_did_at_training() {
    let dir = TempDir::new("csv-model-example");
    let (data, model) = (dir.0.join("data.csv"), dir.0.join("model"));
    write_csv(&data, 200);
    let at_training = csv_model::train(&data, &model, Some("y"), 3).expect("trains");
    let reloaded = csv_model::predict(&model, &model.join("test.csv")).expect("predicts");
    assert_eq!(reloaded.map(f64::to_bits), Some(at_training.to_bits()));
    let scaler = read_csv_file::<f64>(model.join("scaler.csv"), &CsvOptions::new().header(Header::Present)).unwrap();
    assert_eq!(scaler.values.n_rows(), 2);

    // Without the target column: predictions only.
    let text = fs::read_to_string(model.join("test.csv")).unwrap();
    let without: String = text.lines().map(|l| l.rsplit_once(',').unwrap().0.to_string() + "\n").collect();
    let inputs_only = dir.0.join("inputs.csv");
    fs::write(&inputs_only, without).unwrap();
    assert_eq!(csv_model::predict(&model, &inputs_only).expect("predicts"), None);

    let path = |p: &Path| p.to_str().expect("a UTF-8 path").to_string();
    let (data, model) = (path(&data), path(&model));
    let err = |items: &[&str]| csv_model::run(args(items)).expect_err("an error").to_string();
    assert!(err(&["train", "no-such-file.csv", &model]).contains("no-such-file.csv"));
    assert!(err(&["train", &data, &model, "--target", "z"]).contains("no column \"z\""));
    assert!(err(&["predict", &model]).starts_with("usage:"));
    assert!(err(&["train", &data, &model, "--seed", "x"]).contains("--seed"));
    let bad = dir.0.join("bad.csv");
    fs::write(&bad, "size,y,ratio,count\n1,2,3,4\n1,2,three,4\n").unwrap();
    let message = err(&["predict", &model, &path(&bad)]);
    assert!(message.contains("line 3") && message.contains("\"three\""), "{message}");
    fs::write(&bad, "size,y,count\n1,2,4\n").unwrap();
    assert!(err(&["predict", &model, &path(&bad)]).contains("no column \"ratio\""));
    assert!(err(&["predict", &path(&dir.0.join("nothing")), &data]).contains("network.safetensors"));
}
