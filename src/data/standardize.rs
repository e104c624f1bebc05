//! [`Standardizer`]: per-feature standardisation x′ = (x − μ) / σ.

use super::Dataset;
use crate::error::{Error, Result, check_len};
use crate::finite::check_finite;
use crate::{Float, Matrix};

/// Per-column standardisation x′ⱼ = (xⱼ − μⱼ) / σⱼ, with the mean μⱼ and standard
/// deviation σⱼ of column j learned from training data.
///
/// Fit it on the training inputs only, then apply the same transform to the training
/// and the test inputs, so that nothing about the test set leaks into training. σ is
/// the population standard deviation (dividing by n, not n − 1). A constant column has
/// σ = 0, so it gets σ = 1 instead and maps to 0 rather than to a division by zero.
///
/// ```
/// use backprop::{Matrix, Standardizer};
///
/// let train = Matrix::new(2, 2, vec![1.0, 5.0, 3.0, 5.0])?;
/// let s = Standardizer::fit(&train)?;
/// assert_eq!(s.means(), &[2.0, 5.0]);
/// assert_eq!(s.stds(), &[1.0, 1.0]); // column 1 is constant
///
/// let mut test = Matrix::new(1, 2, vec![4.0, 6.0])?;
/// s.transform(&mut test)?;
/// assert_eq!(test.as_slice(), &[2.0, 1.0]);
/// # Ok::<(), backprop::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Standardizer<T> {
    means: Vec<T>,
    stds: Vec<T>,
}

impl<T: Float> Standardizer<T> {
    /// Learns the mean and standard deviation of every column of `inputs` (one sample per
    /// row). The sums are taken in `f64`, in two passes, whatever `T` is.
    ///
    /// # Errors
    /// [`Error::EmptyData`] if `inputs` has no rows; [`Error::NonFinite`] (`"input"`) if
    /// it holds NaN or an infinity.
    pub fn fit(inputs: &Matrix<T>) -> Result<Self> {
        let (rows, cols) = inputs.shape();
        if rows == 0 {
            return Err(Error::EmptyData { what: "data to fit a standardizer on" });
        }
        check_finite("input", inputs.as_slice())?;
        let n = rows as f64;
        let mut sums = vec![0.0f64; cols];
        let mut lows = inputs.row(0).to_vec();
        let mut highs = lows.clone();
        for i in 0..rows {
            for (j, &x) in inputs.row(i).iter().enumerate() {
                sums[j] += x.to_f64();
                lows[j] = lows[j].min(x);
                highs[j] = highs[j].max(x);
            }
        }
        let means: Vec<f64> = sums.iter().map(|s| s / n).collect();
        let mut squares = vec![0.0f64; cols];
        for i in 0..rows {
            for (j, &x) in inputs.row(i).iter().enumerate() {
                squares[j] += (x.to_f64() - means[j]).powi(2);
            }
        }
        let stds = (0..cols)
            .map(|j| {
                // Rounding can leave a tiny non-zero spread in a constant column, so
                // constancy is decided exactly, from the extremes.
                let std = T::from_f64((squares[j] / n).sqrt());
                if lows[j] == highs[j] || !(std > T::ZERO && std.is_finite()) { T::ONE } else { std }
            })
            .collect();
        Ok(Standardizer { means: means.into_iter().map(T::from_f64).collect(), stds })
    }

    /// A standardizer from the means μ and standard deviations σ of its columns, e.g. as
    /// [`means`](Self::means) and [`stds`](Self::stds) gave them and a file kept them:
    /// it transforms exactly (bit for bit) as the standardizer they came from.
    ///
    /// The parts must be what [`fit`](Self::fit) makes: one mean and one deviation per
    /// column, at least one column, every mean finite, and every deviation finite and
    /// > 0 (`fit` gives a constant column σ = 1, never 0).
    ///
    /// ```
    /// use backprop::{Matrix, Standardizer};
    ///
    /// let train = Matrix::new(3, 2, vec![1.0, 100.0, 2.0, 300.0, 3.0, 500.0])?;
    /// let fitted = Standardizer::fit(&train)?;
    /// // Keep the parts (in a file, say), and rebuild the standardizer from them later.
    /// let (means, stds) = (fitted.means().to_vec(), fitted.stds().to_vec());
    /// let rebuilt = Standardizer::from_parts(means, stds)?;
    /// assert_eq!(rebuilt, fitted);
    ///
    /// let mut row = [4.0, 0.0];
    /// rebuilt.transform_row(&mut row)?;
    /// assert_eq!(row, [(4.0 - 2.0) / fitted.stds()[0], (0.0 - 300.0) / fitted.stds()[1]]);
    ///
    /// assert!(Standardizer::from_parts(vec![0.0], vec![0.0]).is_err()); // σ = 0
    /// # Ok::<(), backprop::Error>(())
    /// ```
    ///
    /// # Errors
    /// - [`Error::EmptyData`] if there are no means;
    /// - [`Error::Incompatible`] if there are not as many deviations as means;
    /// - [`Error::NonFinite`] (`"means"` or `"standard deviations"`, with the position) if a
    ///   value is NaN or infinite;
    /// - [`Error::InvalidHyperparameter`] (`"standard deviation"`, `"finite and > 0"`) if a
    ///   deviation is 0 or negative.
    pub fn from_parts(means: impl Into<Vec<T>>, stds: impl Into<Vec<T>>) -> Result<Self> {
        let (means, stds) = (means.into(), stds.into());
        if means.is_empty() {
            return Err(Error::EmptyData { what: "the list of a standardizer's means" });
        }
        if stds.len() != means.len() {
            return Err(Error::Incompatible {
                reason: format!(
                    "{} means but {} standard deviations; a standardizer needs one of each per column",
                    means.len(),
                    stds.len()
                ),
            });
        }
        check_finite("means", &means)?;
        check_finite("standard deviations", &stds)?;
        if let Some(&std) = stds.iter().find(|&&std| std <= T::ZERO) {
            return Err(Error::InvalidHyperparameter {
                name: "standard deviation",
                rule: "finite and > 0",
                value: std.to_f64(),
            });
        }
        Ok(Standardizer { means, stds })
    }

    /// The mean μⱼ of each column.
    #[must_use]
    pub fn means(&self) -> &[T] {
        &self.means
    }

    /// The standard deviation σⱼ of each column (1 for a constant column).
    #[must_use]
    pub fn stds(&self) -> &[T] {
        &self.stds
    }

    /// The number of columns it was fitted on.
    #[must_use]
    pub fn n_features(&self) -> usize {
        self.means.len()
    }

    /// x ← (x − μ) / σ for every row of `inputs`, in place. A NaN or infinity stays
    /// non-finite (and [`Dataset::new`] will reject it).
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] if `inputs` does not have as many columns as the data the
    /// standardizer was fitted on; then `inputs` is left unchanged.
    pub fn transform(&self, inputs: &mut Matrix<T>) -> Result<()> {
        check_len("a row", "the standardizer", self.n_features(), inputs.n_cols())?;
        for i in 0..inputs.n_rows() {
            self.apply(inputs.row_mut(i));
        }
        Ok(())
    }

    /// x ← (x − μ) / σ for one sample, in place.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] if `row` does not have one value per fitted column; then
    /// `row` is left unchanged.
    pub fn transform_row(&self, row: &mut [T]) -> Result<()> {
        check_len("a row", "the standardizer", self.n_features(), row.len())?;
        self.apply(row);
        Ok(())
    }

    /// The dataset with its inputs standardised; the targets are kept as they are.
    ///
    /// ```
    /// use backprop::{Dataset, Matrix, Standardizer};
    ///
    /// let data = Dataset::new(Matrix::new(2, 1, vec![10.0, 20.0])?, Matrix::zeros(2, 1))?;
    /// let (train, test) = (data.clone(), data);
    /// let s = Standardizer::fit(train.inputs())?;
    /// let test = s.transform_dataset(test)?;
    /// assert_eq!(test.inputs().as_slice(), &[-1.0, 1.0]);
    /// # Ok::<(), backprop::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] as [`transform`](Self::transform); [`Error::NonFinite`] if
    /// a result overflows `T` (possible only when `data` holds values far outside the
    /// fitted data's spread and near the type's largest).
    pub fn transform_dataset(&self, data: Dataset<T>) -> Result<Dataset<T>> {
        let (mut inputs, targets) = data.into_parts();
        self.transform(&mut inputs)?;
        Dataset::new(inputs, targets)
    }

    fn apply(&self, row: &mut [T]) {
        for ((x, &mean), &std) in row.iter_mut().zip(&self.means).zip(&self.stds) {
            // In f64, so that x − μ cannot overflow an f32.
            *x = T::from_f64((x.to_f64() - mean.to_f64()) / std.to_f64());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_by_hand() {
        // Column 0: 1, 2, 3, 6 → μ = 3, σ² = (4 + 1 + 0 + 9) / 4 = 3.5.
        let m = Matrix::new(4, 2, vec![1.0, 0.0, 2.0, 0.0, 3.0, 0.0, 6.0, 0.0]).unwrap();
        let s = Standardizer::fit(&m).unwrap();
        assert_eq!(s.means(), &[3.0, 0.0]);
        assert_eq!(s.stds(), &[3.5f64.sqrt(), 1.0]);
        assert_eq!(s.n_features(), 2);
    }

    #[test]
    fn transformed_training_data_has_mean_zero_and_std_one() {
        let m = Matrix::from_fn(50, 3, |i, j| ((i * 7 + j * 13) % 11) as f32 * (j + 1) as f32 + 100.0);
        let s = Standardizer::fit(&m).unwrap();
        let mut t = m.clone();
        s.transform(&mut t).unwrap();
        let again = Standardizer::fit(&t).unwrap();
        for j in 0..3 {
            assert!(again.means()[j].abs() < 1e-5, "{:?}", again.means());
            assert!((again.stds()[j] - 1.0).abs() < 1e-5, "{:?}", again.stds());
        }
    }

    #[test]
    fn constant_columns_map_to_zero() {
        // 0.1 is not exact in binary: the mean of many copies is not exactly 0.1.
        let m = Matrix::new(3, 1, vec![0.1f64; 3]).unwrap();
        let s = Standardizer::fit(&m).unwrap();
        assert_eq!(s.stds(), &[1.0]);
        let mut row = [0.1];
        s.transform_row(&mut row).unwrap();
        assert!(row[0].abs() < 1e-15);
        // A single sample makes every column constant.
        let s = Standardizer::fit(&Matrix::new(1, 2, vec![3.0f64, -4.0]).unwrap()).unwrap();
        assert_eq!(s.stds(), &[1.0, 1.0]);
    }

    #[test]
    fn errors() {
        assert!(matches!(Standardizer::fit(&Matrix::<f64>::zeros(0, 3)), Err(Error::EmptyData { .. })));
        let m = Matrix::new(2, 1, vec![1.0, f64::NAN]).unwrap();
        assert!(matches!(Standardizer::fit(&m), Err(Error::NonFinite { what: "input", index: 1, .. })));
        let s = Standardizer::fit(&Matrix::new(2, 2, vec![1.0, 2.0, 3.0, 4.0]).unwrap()).unwrap();
        let mut wrong = Matrix::zeros(1, 3);
        let e = s.transform(&mut wrong).unwrap_err();
        assert_eq!(e.to_string(), "a row has 3 values but the standardizer expects 2");
        assert!(s.transform_row(&mut [1.0]).is_err());
    }

    #[test]
    fn from_parts_rejects_what_fit_never_makes() {
        let e = Standardizer::<f64>::from_parts(vec![], vec![]).unwrap_err();
        assert_eq!(e.to_string(), "the list of a standardizer's means is empty");
        let e = Standardizer::from_parts(vec![0.0, 1.0], vec![1.0]).unwrap_err();
        assert!(matches!(e, Error::Incompatible { .. }));
        assert_eq!(e.to_string(), "2 means but 1 standard deviations; a standardizer needs one of each per column");
        let e = Standardizer::from_parts(vec![0.0, f64::NAN], vec![1.0, 1.0]).unwrap_err();
        assert!(matches!(e, Error::NonFinite { what: "means", index: 1, .. }), "{e}");
        let e = Standardizer::from_parts(vec![0.0f32], vec![f32::INFINITY]).unwrap_err();
        assert_eq!(e.to_string(), "standard deviations holds the non-finite value inf at index 0");
        for bad in [0.0, -0.0, -2.5] {
            let e = Standardizer::from_parts(vec![1.0, 2.0], vec![1.0, bad]).unwrap_err();
            assert!(matches!(e, Error::InvalidHyperparameter { name: "standard deviation", .. }), "{e}");
            assert_eq!(e.to_string(), format!("standard deviation must be finite and > 0, got {bad}"));
        }
        // A subnormal deviation is > 0, so it is accepted.
        assert!(Standardizer::from_parts(vec![0.0], vec![f64::from_bits(1)]).is_ok());
    }

    #[test]
    fn from_parts_of_a_fitted_standardizer_transforms_bit_for_bit_alike() {
        // Columns of very different scales, one constant, and means that are not exact.
        let m = Matrix::from_fn(37, 4, |i, j| match j {
            0 => (i as f32 * 0.37).sin() * 1e4 + 3e4,
            1 => 0.001 * i as f32 - 0.013,
            2 => 0.1,
            _ => ((i * 7919) % 101) as f32 / 3.0,
        });
        let fitted = Standardizer::fit(&m).unwrap();
        let rebuilt = Standardizer::from_parts(fitted.means(), fitted.stds()).unwrap();
        assert_eq!(rebuilt, fitted);
        let (mut a, mut b) = (m.clone(), m.clone());
        fitted.transform(&mut a).unwrap();
        rebuilt.transform(&mut b).unwrap();
        let bits = |m: &Matrix<f32>| m.as_slice().iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&a), bits(&b));
        assert_ne!(bits(&a), bits(&m), "the transform changed the values");
        let mut row = [1.5e4f32, 0.02, 0.1, 7.0];
        let mut again = row;
        fitted.transform_row(&mut row).unwrap();
        rebuilt.transform_row(&mut again).unwrap();
        assert_eq!(row.map(f32::to_bits), again.map(f32::to_bits));
    }

    #[test]
    fn extreme_values_do_not_panic() {
        let m = Matrix::new(3, 1, vec![f32::MAX, -f32::MAX, -f32::MAX]).unwrap();
        let s = Standardizer::fit(&m).unwrap();
        assert!(s.stds()[0].is_finite());
        let d = Dataset::new(m, Matrix::zeros(3, 1)).unwrap();
        assert!(s.transform_dataset(d).is_ok());
        let tiny = Standardizer::fit(&Matrix::new(2, 1, vec![0.0f32, 1e-30]).unwrap()).unwrap();
        let far = Dataset::new(Matrix::new(1, 1, vec![f32::MAX]).unwrap(), Matrix::zeros(1, 1)).unwrap();
        assert!(matches!(tiny.transform_dataset(far), Err(Error::NonFinite { .. })));
    }
}
