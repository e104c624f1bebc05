//! The digits data file of the examples reads with the crate's CSV reader and holds what its README says.

use backprop::{CsvOptions, Dataset, TargetColumn, argmax, read_csv_file};

const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/data/digits.csv");

#[test]
fn digits_file_has_1797_samples_of_64_pixels_and_a_label() -> backprop::Result<()> {
    let table = read_csv_file::<f32>(PATH, &CsvOptions::new())?;
    assert_eq!(table.header, None);
    assert_eq!(table.values.shape(), (1797, 65));

    let data = Dataset::from_columns(&table.values, TargetColumn::Class { column: 64, classes: 10 })?;
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
