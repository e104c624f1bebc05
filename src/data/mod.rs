//! [`Dataset`] and what feeds it: one-hot targets, seeded splits, batches, standardisation, IDX and CSV.
//!
//! A dataset holds two matrices with one sample per row: the inputs x and the targets y.
//! Everything here validates its input and returns [`Error`] rather than panicking;
//! everything random takes a seed or an [`Rng`], and nothing shuffles the caller's data
//! in place.

mod batch;
mod csv;
mod idx;
mod standardize;

pub use batch::{Batch, Batcher, Batches};
pub use csv::{CsvOptions, CsvTable, Header, read_csv, read_csv_file};
pub use idx::{IdxArray, IdxData, IdxType, read_idx, read_idx_file, read_idx_images, read_idx_labels};
pub use standardize::Standardizer;

use core::fmt;

use crate::error::{Error, Result};
use crate::finite::check_finite;
use crate::{Float, Matrix, Rng};

/// Samples for training or evaluation: `inputs` and `targets` with one sample per row.
///
/// Row i of [`inputs`](Self::inputs) is the input x of sample i and row i of
/// [`targets`](Self::targets) its desired output y. A dataset is never empty, has at
/// least one input and one target column, and holds only finite values: [`Dataset::new`]
/// checks all of this once, so training code need not.
///
/// ```
/// use backprop::{Dataset, Matrix};
///
/// // XOR: four samples, two inputs, one target.
/// let inputs = Matrix::new(4, 2, vec![0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0])?;
/// let targets = Matrix::new(4, 1, vec![0.0, 1.0, 1.0, 0.0])?;
/// let xor = Dataset::new(inputs, targets)?;
/// assert_eq!((xor.len(), xor.n_inputs(), xor.n_targets()), (4, 2, 1));
/// assert_eq!(xor.sample(2), (&[1.0, 0.0][..], &[1.0][..]));
/// # Ok::<(), backprop::Error>(())
/// ```
#[derive(Clone, PartialEq)]
pub struct Dataset<T> {
    inputs: Matrix<T>,
    targets: Matrix<T>,
}

impl<T: Float> fmt::Debug for Dataset<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dataset").field("inputs", &self.inputs).field("targets", &self.targets).finish()
    }
}

/// Which column of a table holds the target, and how to turn it into a target row; for
/// [`Dataset::from_columns`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetColumn {
    /// The column's value is the target itself (regression): a target row of one value.
    Numeric(usize),
    /// The column holds a class label, a whole number in `0..classes`, which becomes a
    /// one-hot target row of `classes` values (classification).
    Class {
        /// The column's index, from 0.
        column: usize,
        /// The number of classes.
        classes: usize,
    },
}

impl<T: Float> Dataset<T> {
    /// A dataset from its inputs and targets, one sample per row.
    ///
    /// ```
    /// use backprop::{Dataset, Error, Matrix};
    ///
    /// let inputs = Matrix::from_rows(&[[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])?;
    /// let data = Dataset::new(inputs.clone(), Matrix::from_rows(&[[1.0], [1.0], [0.0]])?)?;
    /// assert_eq!(data.sample(2), (&[1.0, 1.0][..], &[0.0][..]));
    /// // Two targets for three inputs, and a NaN target, are refused.
    /// assert!(matches!(Dataset::new(inputs.clone(), Matrix::zeros(2, 1)), Err(Error::Incompatible { .. })));
    /// let nan = Matrix::from_rows(&[[1.0], [f64::NAN], [0.0]])?;
    /// assert!(matches!(Dataset::new(inputs, nan), Err(Error::NonFinite { .. })));
    /// # Ok::<(), backprop::Error>(())
    /// ```
    ///
    /// # Errors
    /// - [`Error::EmptyData`] if there are no rows, or the rows have no columns;
    /// - [`Error::Incompatible`] if the two matrices have different numbers of rows;
    /// - [`Error::NonFinite`] naming `"input"` or `"target"` and the element's row-major
    ///   index if a value is NaN or infinite.
    pub fn new(inputs: Matrix<T>, targets: Matrix<T>) -> Result<Self> {
        if inputs.n_rows() != targets.n_rows() {
            return Err(Error::Incompatible {
                reason: format!(
                    "{} input rows but {} target rows; a dataset needs one target row per input row",
                    inputs.n_rows(),
                    targets.n_rows()
                ),
            });
        }
        if inputs.n_rows() == 0 {
            return Err(Error::EmptyData { what: "dataset" });
        }
        if inputs.n_cols() == 0 {
            return Err(Error::EmptyData { what: "each input row" });
        }
        if targets.n_cols() == 0 {
            return Err(Error::EmptyData { what: "each target row" });
        }
        check_finite("input", inputs.as_slice())?;
        check_finite("target", targets.as_slice())?;
        Ok(Dataset { inputs, targets })
    }

    /// A classification dataset: `labels[i]` is the class of input row i, and becomes
    /// the one-hot target row of [`one_hot`].
    ///
    /// ```
    /// use backprop::{Dataset, Matrix};
    ///
    /// let inputs = Matrix::new(3, 1, vec![0.1, 0.5, 0.9])?;
    /// let data = Dataset::from_labels(inputs, &[0, 2, 1], 3)?;
    /// assert_eq!(data.sample(1).1, &[0.0, 0.0, 1.0]);
    /// # Ok::<(), backprop::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`one_hot`] and [`Dataset::new`]; [`Error::Incompatible`] if the number of
    /// labels differs from the number of input rows.
    pub fn from_labels(inputs: Matrix<T>, labels: &[usize], classes: usize) -> Result<Self> {
        if inputs.n_rows() != labels.len() {
            return Err(Error::Incompatible {
                reason: format!(
                    "{} input rows but {} labels; a dataset needs one label per input row",
                    inputs.n_rows(),
                    labels.len()
                ),
            });
        }
        let targets = one_hot(labels, classes)?;
        Dataset::new(inputs, targets)
    }

    /// A dataset from a table with one sample per row (e.g. from [`read_csv`]): `target`
    /// names the target column, and every other column, in order, is an input.
    ///
    /// ```
    /// use backprop::{Dataset, Matrix, TargetColumn};
    ///
    /// // Two features and a class label in the last column.
    /// let table = Matrix::new(2, 3, vec![0.5, 1.0, 1.0, 0.25, 3.0, 0.0])?;
    /// let data = Dataset::from_columns(&table, TargetColumn::Class { column: 2, classes: 2 })?;
    /// assert_eq!(data.sample(0), (&[0.5, 1.0][..], &[0.0, 1.0][..]));
    ///
    /// let data = Dataset::from_columns(&table, TargetColumn::Numeric(0))?;
    /// assert_eq!(data.sample(1), (&[3.0, 0.0][..], &[0.25][..]));
    /// # Ok::<(), backprop::Error>(())
    /// ```
    ///
    /// # Errors
    /// - [`Error::Incompatible`] if the target column is out of range, the table has no
    ///   other column, or a class label is not a whole number in `0..classes` (the
    ///   message names the row);
    /// - as [`one_hot`] and [`Dataset::new`].
    pub fn from_columns(table: &Matrix<T>, target: TargetColumn) -> Result<Self> {
        Self::split_columns(table, target, |row, column| format!("row {row}, column {column} (counting from 0)"))
    }

    /// A dataset from a table read by [`read_csv`] or [`read_csv_file`], as
    /// [`from_columns`](Self::from_columns) makes it from the table's values; an error
    /// about a value names its line in the file, and its column counted from 1 (and by
    /// name if the file has a header), as the reader's own errors do.
    ///
    /// ```
    /// use backprop::{CsvOptions, Dataset, Header, TargetColumn, read_csv};
    ///
    /// let text = "x,label\n0.5,1\n\n0.25,0.5\n";
    /// let table = read_csv::<f64>(text.as_bytes(), &CsvOptions::new().header(Header::Present))?;
    /// let label = table.column_index("label").expect("the header names it");
    /// let e = Dataset::from_csv_table(&table, TargetColumn::Class { column: label, classes: 2 }).unwrap_err();
    /// assert_eq!(
    ///     e.to_string(),
    ///     "the class label 0.5 at line 4, column 2 (\"label\") is not a whole number in 0..2"
    /// );
    /// # Ok::<(), backprop::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`from_columns`](Self::from_columns), naming file lines instead of rows.
    pub fn from_csv_table(table: &CsvTable<T>, target: TargetColumn) -> Result<Self> {
        Self::split_columns(&table.values, target, |row, column| {
            let line = match table.lines().get(row) {
                Some(line) => format!("line {line}"),
                // The caller replaced `values` with a longer table: name the row instead.
                None => format!("row {row} (counting from 0)"),
            };
            match table.header.as_ref().and_then(|names| names.get(column)) {
                Some(name) => format!("{line}, column {} ({name:?})", column + 1),
                None => format!("{line}, column {}", column + 1),
            }
        })
    }

    /// [`from_columns`](Self::from_columns), with `place(row, column)` naming where a
    /// value sits in the table for an error message (both counted from 0).
    fn split_columns(table: &Matrix<T>, target: TargetColumn, place: impl Fn(usize, usize) -> String) -> Result<Self> {
        let column = match target {
            TargetColumn::Numeric(column) | TargetColumn::Class { column, .. } => column,
        };
        let cols = table.n_cols();
        if column >= cols {
            return Err(Error::Incompatible {
                reason: format!("target column {column} is out of range for a table of {cols} columns"),
            });
        }
        if cols < 2 {
            return Err(Error::Incompatible {
                reason: "a table needs at least one input column besides the target column".into(),
            });
        }
        let rows = table.n_rows();
        let mut inputs = Vec::with_capacity(rows * (cols - 1));
        let mut values = Vec::with_capacity(rows);
        for i in 0..rows {
            let row = table.row(i);
            inputs.extend_from_slice(&row[..column]);
            inputs.extend_from_slice(&row[column + 1..]);
            values.push(row[column]);
        }
        let inputs = Matrix::new(rows, cols - 1, inputs)?;
        match target {
            TargetColumn::Numeric(_) => Dataset::new(inputs, Matrix::new(rows, 1, values)?),
            TargetColumn::Class { classes, .. } => {
                if classes == 0 {
                    return Err(Error::InvalidHyperparameter {
                        name: "number of classes",
                        rule: "at least 1",
                        value: 0.0,
                    });
                }
                let labels = values
                    .iter()
                    .enumerate()
                    .map(|(row, &v)| {
                        class_label(v.to_f64(), classes).ok_or_else(|| Error::Incompatible {
                            reason: format!(
                                "the class label {v} at {} is not a whole number in 0..{classes}",
                                place(row, column)
                            ),
                        })
                    })
                    .collect::<Result<Vec<_>>>()?;
                Dataset::from_labels(inputs, &labels, classes)
            }
        }
    }

    /// The number of samples (never 0).
    #[must_use]
    pub fn len(&self) -> usize {
        self.inputs.n_rows()
    }

    /// Always `false`: [`Dataset::new`] rejects empty datasets. It exists to pair with
    /// [`len`](Self::len).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.inputs.n_rows() == 0
    }

    /// The number of values in an input row, N(0).
    #[must_use]
    pub fn n_inputs(&self) -> usize {
        self.inputs.n_cols()
    }

    /// The number of values in a target row, N(L).
    #[must_use]
    pub fn n_targets(&self) -> usize {
        self.targets.n_cols()
    }

    /// The inputs, one sample per row.
    #[must_use]
    pub fn inputs(&self) -> &Matrix<T> {
        &self.inputs
    }

    /// The targets, one sample per row.
    #[must_use]
    pub fn targets(&self) -> &Matrix<T> {
        &self.targets
    }

    /// The inputs and targets, by value.
    #[must_use]
    pub fn into_parts(self) -> (Matrix<T>, Matrix<T>) {
        (self.inputs, self.targets)
    }

    /// Sample `i` as `(input, target)`.
    ///
    /// # Panics
    /// If `i >= self.len()`.
    #[track_caller]
    #[must_use]
    pub fn sample(&self, i: usize) -> (&[T], &[T]) {
        assert!(i < self.len(), "sample {i} is out of range for a dataset of {} samples", self.len());
        (self.inputs.row(i), self.targets.row(i))
    }

    /// A new dataset holding samples `indices`, in that order (an index may repeat, as in
    /// a bootstrap sample).
    ///
    /// ```
    /// use backprop::{Dataset, Matrix};
    ///
    /// let data = Dataset::new(Matrix::from_fn(5, 1, |i, _| i as f64), Matrix::from_fn(5, 1, |i, _| 10.0 * i as f64))?;
    /// let picked = data.subset(&[4, 0, 4])?; // a repeat is allowed
    /// assert_eq!(picked.inputs().as_slice(), &[4.0, 0.0, 4.0]);
    /// assert_eq!(picked.sample(1), data.sample(0)); // each input keeps its target
    /// assert!(data.subset(&[5]).is_err());
    /// # Ok::<(), backprop::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::EmptyData`] if `indices` is empty; [`Error::Incompatible`] if an index is
    /// out of range; [`Error::TooLarge`] if the result cannot be allocated.
    pub fn subset(&self, indices: &[usize]) -> Result<Self> {
        if indices.is_empty() {
            return Err(Error::EmptyData { what: "subset" });
        }
        check_indices(indices, self.len())?;
        // Repeated indices can ask for more rows than the dataset has.
        let too_large = |cols| Error::TooLarge { what: "a subset", rows: indices.len(), cols };
        let mut inputs = Matrix::try_zeros(indices.len(), self.n_inputs()).map_err(|_| too_large(self.n_inputs()))?;
        let mut targets =
            Matrix::try_zeros(indices.len(), self.n_targets()).map_err(|_| too_large(self.n_targets()))?;
        for (k, &i) in indices.iter().enumerate() {
            inputs.row_mut(k).copy_from_slice(self.inputs.row(i));
            targets.row_mut(k).copy_from_slice(self.targets.row(i));
        }
        Ok(Dataset { inputs, targets })
    }

    /// Splits the samples at random into `(train, test)`, with about `test_fraction` of
    /// them in `test`; `self` is left as it is.
    ///
    /// The test part gets round(`test_fraction` · len) samples. Which ones is fixed by
    /// `seed`: the indices are shuffled by an [`Rng`] made from it, the first ones go to
    /// `test` and the rest to `train`, each part in its shuffled order.
    ///
    /// ```
    /// use backprop::{Dataset, Matrix};
    ///
    /// let inputs = Matrix::from_fn(10, 1, |i, _| i as f64);
    /// let targets = Matrix::from_fn(10, 1, |i, _| (i % 2) as f64);
    /// let data = Dataset::new(inputs, targets)?;
    /// let (train, test) = data.split(0.2, 7)?;
    /// assert_eq!((train.len(), test.len()), (8, 2));
    /// assert_eq!(data.split(0.2, 7)?, (train, test)); // the same seed, the same split
    /// # Ok::<(), backprop::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`] if `test_fraction` is not finite and in (0, 1),
    /// or leaves one of the parts empty.
    pub fn split(&self, test_fraction: f64, seed: u64) -> Result<(Self, Self)> {
        if !(test_fraction.is_finite() && test_fraction > 0.0 && test_fraction < 1.0) {
            return Err(Error::InvalidHyperparameter {
                name: "test fraction",
                rule: "finite and in (0, 1)",
                value: test_fraction,
            });
        }
        let n = self.len();
        // The fraction is in (0, 1), so the product is in [0, n] and fits a usize.
        let n_test = (test_fraction * n as f64).round() as usize;
        if n_test == 0 || n_test >= n {
            return Err(Error::InvalidHyperparameter {
                name: "test fraction",
                rule: "such that each part gets at least one sample",
                value: test_fraction,
            });
        }
        let mut order: Vec<usize> = (0..n).collect();
        Rng::new(seed).shuffle(&mut order);
        let (test, train) = order.split_at(n_test);
        Ok((self.subset(train)?, self.subset(test)?))
    }

    /// The samples in order, `batch_size` at a time; the last batch is shorter when
    /// `batch_size` does not divide `len()`.
    ///
    /// Each batch views consecutive rows of the dataset, so nothing is copied. For a new
    /// random order every epoch use a [`Batcher`], which pays one copy per batch to
    /// gather scattered rows into a contiguous matrix.
    ///
    /// ```
    /// use backprop::{Dataset, Matrix};
    ///
    /// let data = Dataset::new(Matrix::from_fn(5, 2, |i, j| (i + j) as f64), Matrix::zeros(5, 1))?;
    /// let sizes: Vec<usize> = data.batches(2)?.map(|b| b.inputs.n_rows()).collect();
    /// assert_eq!(sizes, [2, 2, 1]);
    /// # Ok::<(), backprop::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`] if `batch_size` is 0.
    pub fn batches(&self, batch_size: usize) -> Result<Batches<'_, T>> {
        Batches::new(self, batch_size)
    }
}

/// The class label a table value stands for, if it is one: a whole number in
/// `0..classes`.
fn class_label(value: f64, classes: usize) -> Option<usize> {
    // Every whole f64 in [0, 2⁵³] converts exactly; beyond that no label is realistic.
    (value >= 0.0 && value.fract() == 0.0 && value <= 9_007_199_254_740_992.0 && (value as usize) < classes)
        .then_some(value as usize)
}

/// Checks that every index is below `len`.
pub(crate) fn check_indices(indices: &[usize], len: usize) -> Result<()> {
    match indices.iter().position(|&i| i >= len) {
        None => Ok(()),
        Some(at) => Err(Error::Incompatible {
            reason: format!("index {} at position {at} is out of range for a dataset of {len} samples", indices[at]),
        }),
    }
}

/// The one-hot encoding of class labels: row i is all zeros except a 1 in column
/// `labels[i]`.
///
/// ```
/// use backprop::{one_hot, Matrix};
///
/// let y: Matrix<f32> = one_hot(&[2, 0], 3)?;
/// assert_eq!(y.as_slice(), &[0.0, 0.0, 1.0, 1.0, 0.0, 0.0]);
/// # Ok::<(), backprop::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidHyperparameter`] if `classes` is 0; [`Error::Incompatible`] naming the
/// label and its position if a label is not below `classes`; [`Error::TooLarge`] if the
/// `labels.len() × classes` matrix cannot be allocated.
pub fn one_hot<T: Float>(labels: &[usize], classes: usize) -> Result<Matrix<T>> {
    if classes == 0 {
        return Err(Error::InvalidHyperparameter { name: "number of classes", rule: "at least 1", value: 0.0 });
    }
    if let Some(at) = labels.iter().position(|&l| l >= classes) {
        return Err(Error::Incompatible {
            reason: format!(
                "label {} at position {at} is out of range for {classes} classes (labels are 0..={})",
                labels[at],
                classes - 1
            ),
        });
    }
    let mut m = Matrix::try_zeros(labels.len(), classes).map_err(|_| Error::TooLarge {
        what: "one-hot targets",
        rows: labels.len(),
        cols: classes,
    })?;
    for (i, &label) in labels.iter().enumerate() {
        m[(i, label)] = T::ONE;
    }
    Ok(m)
}

/// The index of the largest value: the class a one-hot or softmax row stands for.
///
/// Ties go to the first index; NaNs are skipped. `None` if `values` is empty or all NaN.
///
/// ```
/// use backprop::argmax;
///
/// assert_eq!(argmax(&[0.1, 0.7, 0.2]), Some(1));
/// assert_eq!(argmax::<f64>(&[]), None);
/// ```
pub fn argmax<T: Float>(values: &[T]) -> Option<usize> {
    let mut best: Option<(usize, T)> = None;
    for (i, &v) in values.iter().enumerate() {
        // NaN compares false both ways, so it never replaces the best.
        let better = match best {
            // Only NaN is unordered with itself.
            None => v.partial_cmp(&v).is_some(),
            Some((_, b)) => v > b,
        };
        if better {
            best = Some((i, v));
        }
    }
    best.map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xor() -> Dataset<f64> {
        let inputs = Matrix::new(4, 2, vec![0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0]).unwrap();
        let targets = Matrix::new(4, 1, vec![0.0, 1.0, 1.0, 0.0]).unwrap();
        Dataset::new(inputs, targets).unwrap()
    }

    fn counting(n: usize) -> Dataset<f64> {
        let inputs = Matrix::from_fn(n, 2, |i, j| (10 * i + j) as f64);
        let targets = Matrix::from_fn(n, 1, |i, _| i as f64);
        Dataset::new(inputs, targets).unwrap()
    }

    #[test]
    fn new_checks_rows_emptiness_and_finiteness() {
        let e = Dataset::new(Matrix::<f64>::zeros(3, 2), Matrix::zeros(2, 1)).unwrap_err();
        assert_eq!(e.to_string(), "3 input rows but 2 target rows; a dataset needs one target row per input row");
        assert!(matches!(
            Dataset::new(Matrix::<f64>::zeros(0, 2), Matrix::zeros(0, 1)),
            Err(Error::EmptyData { what: "dataset" })
        ));
        assert!(matches!(Dataset::new(Matrix::<f64>::zeros(2, 0), Matrix::zeros(2, 1)), Err(Error::EmptyData { .. })));
        assert!(matches!(Dataset::new(Matrix::<f64>::zeros(2, 1), Matrix::zeros(2, 0)), Err(Error::EmptyData { .. })));
        let mut x = Matrix::<f32>::zeros(2, 2);
        x[(1, 0)] = f32::NAN;
        assert!(matches!(Dataset::new(x, Matrix::zeros(2, 1)), Err(Error::NonFinite { what: "input", index: 2, .. })));
        let mut y = Matrix::<f32>::zeros(2, 1);
        y[(1, 0)] = f32::INFINITY;
        assert!(matches!(Dataset::new(Matrix::zeros(2, 2), y), Err(Error::NonFinite { what: "target", index: 1, .. })));
    }

    #[test]
    fn accessors() {
        let d = xor();
        assert_eq!((d.len(), d.is_empty(), d.n_inputs(), d.n_targets()), (4, false, 2, 1));
        assert_eq!(d.sample(3), (&[1.0, 1.0][..], &[0.0][..]));
        assert_eq!(d.inputs().shape(), (4, 2));
        assert_eq!(d.targets().shape(), (4, 1));
        let (x, y) = d.into_parts();
        assert_eq!((x.n_rows(), y.n_rows()), (4, 4));
    }

    #[test]
    #[should_panic(expected = "sample 4 is out of range")]
    fn sample_out_of_range_panics() {
        let _ = xor().sample(4);
    }

    #[test]
    fn one_hot_and_argmax_invert_each_other() {
        let labels = [3, 0, 1, 3, 2];
        let m: Matrix<f64> = one_hot(&labels, 4).unwrap();
        assert_eq!(m.shape(), (5, 4));
        assert_eq!(m.row(0), &[0.0, 0.0, 0.0, 1.0]);
        let back: Vec<usize> = (0..m.n_rows()).filter_map(|i| argmax(m.row(i))).collect();
        assert_eq!(back, labels);
        assert_eq!(one_hot::<f64>(&[], 3).unwrap().shape(), (0, 3));
    }

    #[test]
    fn one_hot_rejects_bad_labels_and_zero_classes() {
        let e = one_hot::<f64>(&[0, 1, 5], 3).unwrap_err();
        assert_eq!(e.to_string(), "label 5 at position 2 is out of range for 3 classes (labels are 0..=2)");
        assert!(matches!(one_hot::<f64>(&[0], 0), Err(Error::InvalidHyperparameter { .. })));
    }

    #[test]
    fn argmax_ties_and_nans() {
        assert_eq!(argmax(&[1.0, 3.0, 3.0]), Some(1));
        assert_eq!(argmax(&[f64::NAN, 1.0, f64::NAN, 2.0]), Some(3));
        assert_eq!(argmax(&[f32::NAN]), None);
        assert_eq!(argmax(&[f64::NEG_INFINITY, -1.0]), Some(1));
    }

    #[test]
    fn from_labels_checks_the_count() {
        let e = Dataset::from_labels(Matrix::<f64>::zeros(3, 1), &[0, 1], 2).unwrap_err();
        assert!(e.to_string().starts_with("3 input rows but 2 labels"), "{e}");
        let d = Dataset::from_labels(Matrix::<f64>::zeros(2, 1), &[1, 0], 2).unwrap();
        assert_eq!(d.targets().as_slice(), &[0.0, 1.0, 1.0, 0.0]);
    }

    #[test]
    fn from_columns_splits_inputs_and_target() {
        let table = Matrix::new(2, 3, vec![1.0, 2.0, 0.0, 4.0, 5.0, 1.0]).unwrap();
        let d = Dataset::from_columns(&table, TargetColumn::Numeric(1)).unwrap();
        assert_eq!(d.inputs().as_slice(), &[1.0, 0.0, 4.0, 1.0]);
        assert_eq!(d.targets().as_slice(), &[2.0, 5.0]);
        let d = Dataset::from_columns(&table, TargetColumn::Class { column: 2, classes: 2 }).unwrap();
        assert_eq!(d.inputs().as_slice(), &[1.0, 2.0, 4.0, 5.0]);
        assert_eq!(d.targets().as_slice(), &[1.0, 0.0, 0.0, 1.0]);
        let d = Dataset::from_columns(&table, TargetColumn::Numeric(0)).unwrap();
        assert_eq!(d.inputs().as_slice(), &[2.0, 0.0, 5.0, 1.0]);
    }

    #[test]
    fn from_csv_table_names_file_lines_and_columns() {
        let read = |text: &str, header| read_csv::<f64>(text.as_bytes(), &CsvOptions::new().header(header)).unwrap();
        // Blank lines and the header are lines of the file too.
        let table = read("\n1,0\n\n2,1\n3,2\n", Header::Absent);
        assert_eq!(table.lines(), &[2, 4, 5]);
        let e = Dataset::from_csv_table(&table, TargetColumn::Class { column: 1, classes: 2 }).unwrap_err();
        assert_eq!(e.to_string(), "the class label 2 at line 5, column 2 is not a whole number in 0..2");
        let table = read("a , y\n1,0\n2,-1\n", Header::Present);
        let e = Dataset::from_csv_table(&table, TargetColumn::Class { column: 1, classes: 2 }).unwrap_err();
        assert_eq!(e.to_string(), "the class label -1 at line 3, column 2 (\"y\") is not a whole number in 0..2");
        let d = Dataset::from_csv_table(&read("a,y\n1,0\n2,1\n", Header::Present), TargetColumn::Numeric(0)).unwrap();
        assert_eq!((d.inputs().as_slice(), d.targets().as_slice()), (&[0.0, 1.0][..], &[1.0, 2.0][..]));
    }

    #[test]
    fn from_columns_errors() {
        let table = Matrix::new(2, 2, vec![1.0, 2.5, 4.0, -1.0]).unwrap();
        let e = Dataset::from_columns(&table, TargetColumn::Numeric(2)).unwrap_err();
        assert_eq!(e.to_string(), "target column 2 is out of range for a table of 2 columns");
        let e = Dataset::from_columns(&table, TargetColumn::Class { column: 1, classes: 3 }).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the class label 2.5 at row 0, column 1 (counting from 0) is not a whole number in 0..3"
        );
        let table = Matrix::new(2, 2, vec![1.0, 2.0, 4.0, 3.0]).unwrap();
        let e = Dataset::from_columns(&table, TargetColumn::Class { column: 1, classes: 3 }).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the class label 3 at row 1, column 1 (counting from 0) is not a whole number in 0..3"
        );
        let e = Dataset::from_columns(&table, TargetColumn::Class { column: 1, classes: 0 }).unwrap_err();
        assert!(matches!(e, Error::InvalidHyperparameter { name: "number of classes", .. }), "{e}");
        for bad in [-1.0, 2.0f64.powi(60), f64::NAN] {
            let table = Matrix::new(1, 2, vec![0.0, bad]).unwrap();
            assert!(Dataset::from_columns(&table, TargetColumn::Class { column: 1, classes: 3 }).is_err(), "{bad}");
        }
        let one_col = Matrix::new(2, 1, vec![1.0, 2.0]).unwrap();
        assert!(Dataset::from_columns(&one_col, TargetColumn::Numeric(0)).is_err());
        let no_rows = Matrix::<f64>::zeros(0, 3);
        assert!(matches!(Dataset::from_columns(&no_rows, TargetColumn::Numeric(0)), Err(Error::EmptyData { .. })));
    }

    #[test]
    fn subset_copies_the_chosen_rows() {
        let d = counting(5);
        let s = d.subset(&[4, 0, 4]).unwrap();
        assert_eq!(s.inputs().as_slice(), &[40.0, 41.0, 0.0, 1.0, 40.0, 41.0]);
        assert_eq!(s.targets().as_slice(), &[4.0, 0.0, 4.0]);
        assert!(matches!(d.subset(&[]), Err(Error::EmptyData { .. })));
        let e = d.subset(&[0, 5]).unwrap_err();
        assert_eq!(e.to_string(), "index 5 at position 1 is out of range for a dataset of 5 samples");
    }

    #[test]
    fn split_is_a_seeded_partition() {
        let d = counting(10);
        let (train, test) = d.split(0.3, 11).unwrap();
        assert_eq!((train.len(), test.len()), (7, 3));
        // Every sample lands in exactly one part, with its target still beside it.
        let mut seen: Vec<f64> = Vec::new();
        for part in [&train, &test] {
            for i in 0..part.len() {
                let (x, y) = part.sample(i);
                assert_eq!(x, &[10.0 * y[0], 10.0 * y[0] + 1.0]);
                seen.push(y[0]);
            }
        }
        seen.sort_by(f64::total_cmp);
        assert_eq!(seen, (0..10).map(|i| i as f64).collect::<Vec<_>>());
        // Reproducible, and different seeds give different splits.
        assert_eq!(d.split(0.3, 11).unwrap(), (train.clone(), test.clone()));
        assert_ne!(d.split(0.3, 12).unwrap().1, test);
        // The caller's data is untouched.
        assert_eq!(d, counting(10));
    }

    #[test]
    fn split_validates_the_fraction() {
        let d = counting(10);
        for bad in [0.0, 1.0, -0.5, 1.5, f64::NAN, f64::INFINITY] {
            let e = d.split(bad, 0).unwrap_err();
            assert!(matches!(e, Error::InvalidHyperparameter { name: "test fraction", .. }), "{bad}: {e}");
        }
        // 0.01 of 10 samples rounds to an empty test part, 0.99 to an empty train part.
        for bad in [0.01, 0.99] {
            let e = d.split(bad, 0).unwrap_err();
            assert_eq!(
                e.to_string(),
                format!("test fraction must be such that each part gets at least one sample, got {bad}")
            );
        }
        assert!(matches!(counting(1).split(0.5, 0), Err(Error::InvalidHyperparameter { .. })));
    }
}
