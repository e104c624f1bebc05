//! The examples' digits file: it reads as CSV, holds what its README says, and feeds the data tools.

use backprop::{Batcher, CsvOptions, Dataset, Rng, Standardizer, TargetColumn, argmax, read_csv_file};

const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/data/digits.csv");

#[test]
fn digits_file_has_1797_samples_of_64_pixels_and_a_label() -> backprop::Result<()> {
    let table = read_csv_file::<f32>(PATH, &CsvOptions::new())?;
    assert_eq!(table.header, None);
    assert_eq!(table.values.shape(), (1797, 65));

    let data = Dataset::from_csv_table(&table, TargetColumn::Class { column: 64, classes: 10 })?;
    assert_eq!((data.len(), data.n_inputs(), data.n_targets()), (1797, 64, 10));
    for (i, &x) in data.inputs().as_slice().iter().enumerate() {
        assert!(x.fract() == 0.0 && (0.0..=16.0).contains(&x), "pixel {i} is {x}");
    }

    let mut per_class = [0usize; 10];
    for i in 0..data.len() {
        let label = argmax(data.sample(i).1).expect("a one-hot row has a largest value");
        per_class[label] += 1;
    }
    // Every digit is present, as counted when the file was added.
    assert_eq!(per_class, [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]);
    Ok(())
}

#[test]
fn digits_split_standardise_and_batch() -> backprop::Result<()> {
    let table = read_csv_file::<f64>(PATH, &CsvOptions::new())?;
    let data = Dataset::from_csv_table(&table, TargetColumn::Class { column: 64, classes: 10 })?;
    let (train, test) = data.split(0.2, 2026)?;
    assert_eq!((train.len(), test.len()), (1438, 359));

    // Fit on the training inputs only; pixel (0, 0) is blank in every image, so its
    // column is constant and maps to 0.
    let standardizer = Standardizer::fit(train.inputs())?;
    assert_eq!((standardizer.means()[0], standardizer.stds()[0]), (0.0, 1.0));
    let train = standardizer.transform_dataset(train)?;
    let test = standardizer.transform_dataset(test)?;
    let again = Standardizer::fit(train.inputs())?;
    assert!(again.means().iter().all(|m| m.abs() < 1e-9));
    assert!(test.inputs().as_slice().iter().all(|x| x.is_finite()));

    let mut batcher = Batcher::new(&train, 32)?;
    batcher.shuffle(&mut Rng::new(1));
    let mut seen = 0;
    while let Some(batch) = batcher.next_batch() {
        assert_eq!(batch.inputs.shape(), (batch.len(), 64));
        assert_eq!(batch.targets.shape(), (batch.len(), 10));
        seen += batch.len();
    }
    assert_eq!((seen, batcher.batches_per_epoch()), (1438, 45));
    Ok(())
}
