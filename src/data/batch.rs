//! Mini-batches: [`Batches`] views consecutive rows; [`Batcher`] gathers any order into reused buffers.
//!
//! Two shapes for two needs. When the order is fixed (evaluation, or data already
//! shuffled once), a batch of consecutive rows is just a view into the dataset, so
//! [`Dataset::batches`] copies nothing. When every epoch visits the samples in a new
//! random order, a batch's rows are scattered across the dataset and a contiguous
//! matrix costs one copy: [`Batcher`] gathers them into two buffers it owns and reuses,
//! so after construction it allocates nothing (but a short list of jobs when a batch is
//! gathered on several threads). Neither ever reorders the caller's data.

use core::fmt;
use core::iter::FusedIterator;

use super::{Dataset, check_indices};
use crate::error::{Error, Result, check_threads};
use crate::{Float, Matrix, MatrixView, Rng};

/// A mini-batch: the inputs and targets of the same samples, one sample per row.
///
/// Made by the crate only (by [`Dataset::batches`] and a [`Batcher`]), and
/// `#[non_exhaustive]`, so that a later version may add to it (say, sample weights).
#[derive(Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct Batch<'a, T> {
    /// The inputs x, one sample per row.
    pub inputs: MatrixView<'a, T>,
    /// The targets y, row i belonging to input row i.
    pub targets: MatrixView<'a, T>,
}

impl<T: Float> Batch<'_, T> {
    /// The number of samples in the batch.
    #[must_use]
    pub fn len(&self) -> usize {
        self.inputs.n_rows()
    }

    /// `true` if the batch holds no sample (never the case for the batches of this
    /// module).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.inputs.n_rows() == 0
    }
}

impl<T: Float> fmt::Debug for Batch<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Batch").field("inputs", &self.inputs).field("targets", &self.targets).finish()
    }
}

fn check_batch_size(batch_size: usize) -> Result<()> {
    if batch_size == 0 {
        Err(Error::InvalidHyperparameter { name: "batch size", rule: "at least 1", value: 0.0 })
    } else {
        Ok(())
    }
}

/// The iterator of [`Dataset::batches`]: consecutive rows, `batch_size` at a time, as
/// views into the dataset.
#[derive(Clone)]
pub struct Batches<'a, T> {
    data: &'a Dataset<T>,
    batch_size: usize,
    start: usize,
}

impl<T: Float> fmt::Debug for Batches<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Batches")
            .field("samples", &self.data.len())
            .field("batch_size", &self.batch_size)
            .field("next", &self.start)
            .finish_non_exhaustive()
    }
}

impl<'a, T: Float> Batches<'a, T> {
    pub(super) fn new(data: &'a Dataset<T>, batch_size: usize) -> Result<Self> {
        check_batch_size(batch_size)?;
        Ok(Batches { data, batch_size, start: 0 })
    }
}

impl<'a, T: Float> Iterator for Batches<'a, T> {
    type Item = Batch<'a, T>;

    fn next(&mut self) -> Option<Batch<'a, T>> {
        let n = self.data.len();
        if self.start >= n {
            return None;
        }
        let end = n.min(self.start.saturating_add(self.batch_size));
        // The dataset checked that its values are finite; the views say so.
        let batch = Batch {
            inputs: self.data.inputs().rows_range(self.start, end).of_checked_data(),
            targets: self.data.targets().rows_range(self.start, end).of_checked_data(),
        };
        self.start = end;
        Some(batch)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = (self.data.len() - self.start).div_ceil(self.batch_size);
        (left, Some(left))
    }
}

impl<T: Float> ExactSizeIterator for Batches<'_, T> {}
impl<T: Float> FusedIterator for Batches<'_, T> {}

/// Mini-batches in any order of samples (typically a fresh seeded shuffle each epoch),
/// gathered into buffers the batcher owns and reuses.
///
/// The batcher holds an `order` of sample indices. [`next_batch`](Self::next_batch)
/// copies the rows of the next `batch_size` indices into its buffers and lends them out
/// as a [`Batch`]: one copy per batch, no allocation after construction on one thread (a
/// batch gathered on several threads, see [`set_threads`](Self::set_threads), allocates
/// its short list of jobs). It is a lending iterator, so it is used with `while let`
/// rather than `for`. [`shuffle`](Self::shuffle) draws a new order and starts a new
/// epoch; the dataset itself is never reordered.
///
/// ```
/// use backprop::{Batcher, Dataset, Matrix, Rng};
///
/// let data = Dataset::new(Matrix::from_fn(5, 2, |i, j| (i + j) as f64), Matrix::zeros(5, 1))?;
/// let mut rng = Rng::new(42);
/// let mut batcher = Batcher::new(&data, 2)?;
/// for _epoch in 0..3 {
///     batcher.shuffle(&mut rng);
///     let mut seen = 0;
///     while let Some(batch) = batcher.next_batch() {
///         assert_eq!(batch.inputs.n_rows(), batch.targets.n_rows());
///         seen += batch.len();
///     }
///     assert_eq!(seen, 5);
/// }
/// # Ok::<(), backprop::Error>(())
/// ```
#[derive(Clone)]
pub struct Batcher<'a, T> {
    data: &'a Dataset<T>,
    order: Vec<usize>,
    batch_size: usize,
    next: usize,
    inputs: Matrix<T>,
    targets: Matrix<T>,
    threads: usize,
}

impl<T: Float> fmt::Debug for Batcher<'_, T> {
    /// The settings and the position in the epoch, not the data.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Batcher")
            .field("samples", &self.order.len())
            .field("batch_size", &self.batch_size)
            .field("next", &self.next)
            .field("threads", &self.threads)
            .finish_non_exhaustive()
    }
}

impl<'a, T: Float> Batcher<'a, T> {
    /// A batcher over every sample of `data`, in order until the first
    /// [`shuffle`](Self::shuffle).
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`] if `batch_size` is 0.
    pub fn new(data: &'a Dataset<T>, batch_size: usize) -> Result<Self> {
        Batcher::with_order(data, batch_size, (0..data.len()).collect())
    }

    /// A batcher that visits the samples `order` names, in that order. The indices need
    /// not be a permutation: a subset or a sample with repeats (a bootstrap) works too.
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`] if `batch_size` is 0; [`Error::EmptyData`] if
    /// `order` is empty; [`Error::Incompatible`] if an index is out of range;
    /// [`Error::TooLarge`] if a batch of `batch_size` samples cannot be allocated.
    pub fn with_order(data: &'a Dataset<T>, batch_size: usize, order: Vec<usize>) -> Result<Self> {
        check_batch_size(batch_size)?;
        if order.is_empty() {
            return Err(Error::EmptyData { what: "order of samples" });
        }
        check_indices(&order, data.len())?;
        let rows = batch_size.min(order.len());
        Ok(Batcher {
            data,
            inputs: Matrix::try_zeros(rows, data.n_inputs())?,
            targets: Matrix::try_zeros(rows, data.n_targets())?,
            order,
            batch_size,
            next: 0,
            threads: 1,
        })
    }

    /// Gathers each large batch on up to `threads` threads (default 1), each copying a
    /// block of the batch's rows: copying rows scattered over a dataset larger than the
    /// caches waits on memory, and two cores draw more of it than one. Set it to the
    /// network's [`threads`](crate::Network::threads), so that the rows a thread gathers
    /// are those it then trains on. Only batches of at least 64 Ki input values (84
    /// MNIST images) are split; the batches are the same for every thread count.
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`] if `threads` is 0.
    pub fn set_threads(&mut self, threads: usize) -> Result<()> {
        check_threads(threads)?;
        self.threads = threads;
        Ok(())
    }

    /// The number of threads set by [`set_threads`](Self::set_threads).
    #[must_use]
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Shuffles the order (Fisher–Yates with `rng`) and starts a new epoch.
    ///
    /// ```
    /// use backprop::{Batcher, Dataset, Matrix, Rng};
    ///
    /// let data = Dataset::new(Matrix::from_fn(6, 1, |i, _| i as f64), Matrix::zeros(6, 1))?;
    /// let mut batcher = Batcher::new(&data, 4)?;
    /// batcher.shuffle(&mut Rng::new(3));
    /// let mut order = batcher.order().to_vec();
    /// let first = batcher.next_batch().unwrap();
    /// assert_eq!(first.inputs.row(0), data.sample(order[0]).0); // the batch follows the order
    /// order.sort();
    /// assert_eq!(order, [0, 1, 2, 3, 4, 5]); // a permutation of the samples
    /// # Ok::<(), backprop::Error>(())
    /// ```
    pub fn shuffle(&mut self, rng: &mut Rng) {
        rng.shuffle(&mut self.order);
        self.next = 0;
    }

    /// Starts the epoch over, keeping the order.
    pub fn restart(&mut self) {
        self.next = 0;
    }

    /// The order of sample indices this epoch visits.
    #[must_use]
    pub fn order(&self) -> &[usize] {
        &self.order
    }

    /// The number of samples per batch (the last batch of an epoch may hold fewer).
    #[must_use]
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// The number of batches in one epoch.
    #[must_use]
    pub fn batches_per_epoch(&self) -> usize {
        self.order.len().div_ceil(self.batch_size)
    }

    /// The next batch of the epoch, gathered into the batcher's buffers; `None` once the
    /// epoch is over (until [`shuffle`](Self::shuffle) or [`restart`](Self::restart)).
    ///
    /// ```
    /// use backprop::{Batcher, Dataset, Matrix};
    ///
    /// let data = Dataset::new(Matrix::from_fn(5, 1, |i, _| i as f64), Matrix::zeros(5, 1))?;
    /// let mut batcher = Batcher::with_order(&data, 2, vec![4, 3, 2, 1, 0])?;
    /// let mut seen = Vec::new();
    /// while let Some(batch) = batcher.next_batch() {
    ///     seen.extend_from_slice(batch.inputs.as_slice());
    /// }
    /// assert_eq!(seen, [4.0, 3.0, 2.0, 1.0, 0.0]);
    /// assert!(batcher.next_batch().is_none()); // until `restart` or `shuffle`
    /// # Ok::<(), backprop::Error>(())
    /// ```
    // The one `expect` below cannot fail: see its comment.
    #[allow(clippy::missing_panics_doc)]
    pub fn next_batch(&mut self) -> Option<Batch<'_, T>> {
        let indices = self.order.get(self.next..)?;
        if indices.is_empty() {
            return None;
        }
        let indices = &indices[..indices.len().min(self.batch_size)];
        let rows = indices.len();
        // Never more rows than at construction, so the buffers keep their allocation and
        // the resizing cannot fail.
        let sized = self.inputs.resize("a batch", rows, self.data.n_inputs());
        sized.and_then(|()| self.targets.resize("a batch", rows, self.data.n_targets())).expect("batch buffers");
        let (n_in, n_out) = (self.data.n_inputs(), self.data.n_targets());
        let (inputs, targets) = (self.inputs.as_mut_slice(), self.targets.as_mut_slice());
        let threads = if rows * n_in >= crate::parallel::THREADED_VALUES_MIN { self.threads } else { 1 };
        if threads <= 1 {
            gather(self.data, indices, inputs, targets);
        } else {
            // The blocks of rows the network's data-parallel pass will give each thread.
            let cuts = crate::parallel::row_blocks(rows, threads);
            let (data, mut inputs, mut targets) = (self.data, inputs, targets);
            let mut jobs = Vec::with_capacity(cuts.len() - 1);
            for w in cuts.windows(2) {
                let len = w[1] - w[0];
                let (x, rest_x) = core::mem::take(&mut inputs).split_at_mut(len * n_in);
                let (y, rest_y) = core::mem::take(&mut targets).split_at_mut(len * n_out);
                (inputs, targets) = (rest_x, rest_y);
                let indices = &indices[w[0]..w[1]];
                jobs.push(move || gather(data, indices, x, y));
            }
            let mut refs: Vec<&mut (dyn FnMut() + Send)> = jobs.iter_mut().map(|job| job as _).collect();
            crate::parallel::run(&mut refs);
        }
        self.next += rows;
        // Copies of rows of the dataset, which checked that its values are finite.
        Some(Batch { inputs: self.inputs.view().of_checked_data(), targets: self.targets.view().of_checked_data() })
    }
}

/// Copies the inputs and targets of the samples `indices` into consecutive rows of
/// `inputs` and `targets`.
fn gather<T: Float>(data: &Dataset<T>, indices: &[usize], inputs: &mut [T], targets: &mut [T]) {
    let (n_in, n_out) = (data.n_inputs(), data.n_targets());
    let rows = inputs.chunks_exact_mut(n_in).zip(targets.chunks_exact_mut(n_out));
    for (&i, (x, y)) in indices.iter().zip(rows) {
        x.copy_from_slice(data.inputs().row(i));
        y.copy_from_slice(data.targets().row(i));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sample i has inputs [10i, 10i + 1] and target [i].
    fn counting(n: usize) -> Dataset<f64> {
        let inputs = Matrix::from_fn(n, 2, |i, j| (10 * i + j) as f64);
        let targets = Matrix::from_fn(n, 1, |i, _| i as f64);
        Dataset::new(inputs, targets).unwrap()
    }

    #[test]
    fn batches_are_views_of_consecutive_rows() {
        let d = counting(5);
        let batches: Vec<_> = d.batches(2).unwrap().collect();
        assert_eq!(batches.len(), 3);
        assert_eq!(batches[1].inputs.as_slice(), &[20.0, 21.0, 30.0, 31.0]);
        assert_eq!(batches[2].targets.as_slice(), &[4.0]);
        // No copy: the first batch starts where the dataset's storage does.
        assert_eq!(batches[0].inputs.as_slice().as_ptr(), d.inputs().as_slice().as_ptr());
    }

    #[test]
    fn batches_know_their_count_and_stay_done() {
        let d = counting(5);
        let mut it = d.batches(2).unwrap();
        assert_eq!(it.len(), 3);
        it.next();
        assert_eq!(it.len(), 2);
        assert_eq!(d.batches(5).unwrap().len(), 1);
        let mut big = d.batches(usize::MAX).unwrap();
        assert_eq!(big.next().map(|b| b.len()), Some(5));
        assert!(big.next().is_none() && big.next().is_none());
        assert!(matches!(d.batches(0), Err(Error::InvalidHyperparameter { name: "batch size", .. })));
    }

    #[test]
    fn batches_of_a_dataset_are_known_finite_and_other_views_are_not() {
        let d = counting(5);
        let b = d.batches(2).unwrap().nth(1).unwrap();
        assert!(b.inputs.known_finite() && b.targets.known_finite());
        assert!(b.inputs.rows_range(0, 1).known_finite());
        let mut batcher = Batcher::new(&d, 3).unwrap();
        let g = batcher.next_batch().unwrap();
        assert!(g.inputs.known_finite() && g.targets.known_finite());
        // The same values seen through the matrix are not marked, and compare equal.
        let plain = d.inputs().rows_range(2, 4);
        assert!(!plain.known_finite() && !d.inputs().view().known_finite());
        assert_eq!(plain, b.inputs);
    }

    #[test]
    fn batcher_gathers_rows_in_its_order() {
        let d = counting(5);
        let mut b = Batcher::with_order(&d, 2, vec![4, 1, 1, 0, 3]).unwrap();
        assert_eq!(b.batches_per_epoch(), 3);
        let first = b.next_batch().unwrap();
        assert_eq!(first.inputs.as_slice(), &[40.0, 41.0, 10.0, 11.0]);
        assert_eq!(first.targets.as_slice(), &[4.0, 1.0]);
        assert_eq!(b.next_batch().unwrap().targets.as_slice(), &[1.0, 0.0]);
        assert_eq!(b.next_batch().unwrap().inputs.as_slice(), &[30.0, 31.0]);
        assert!(b.next_batch().is_none());
        b.restart();
        assert_eq!(b.next_batch().unwrap().targets.as_slice(), &[4.0, 1.0]);
    }

    #[test]
    fn batcher_reuses_its_buffers_across_batches_and_epochs() {
        let d = counting(7);
        let mut b = Batcher::new(&d, 3).unwrap();
        let mut rng = Rng::new(9);
        let start = b.next_batch().unwrap().inputs.as_slice().as_ptr();
        for _ in 0..4 {
            b.shuffle(&mut rng);
            let mut targets = Vec::new();
            while let Some(batch) = b.next_batch() {
                assert_eq!(batch.inputs.as_slice().as_ptr(), start);
                for k in 0..batch.len() {
                    let y = batch.targets.row(k)[0];
                    assert_eq!(batch.inputs.row(k), &[10.0 * y, 10.0 * y + 1.0]);
                    targets.push(y as usize);
                }
            }
            // Each epoch is the shuffled order, and covers every sample once.
            assert_eq!(targets, b.order());
            targets.sort();
            assert_eq!(targets, [0, 1, 2, 3, 4, 5, 6]);
        }
        assert_eq!(d, counting(7));
    }

    #[test]
    fn batcher_shuffles_reproducibly() {
        let d = counting(20);
        let order = |seed| {
            let mut b = Batcher::new(&d, 4).unwrap();
            b.shuffle(&mut Rng::new(seed));
            b.order().to_vec()
        };
        assert_eq!(order(1), order(1));
        assert_ne!(order(1), order(2));
        assert_ne!(order(1), (0..20).collect::<Vec<_>>());
    }

    #[test]
    fn batcher_gathers_the_same_batches_on_threads() {
        // 270 inputs per sample, so that a batch of 256 and the last one, of 244, are both
        // past the threaded gather's threshold (and split unevenly on 3 and 7 threads).
        let inputs = Matrix::from_fn(500, 270, |i, j| (i * 1000 + j) as f32);
        let targets = Matrix::from_fn(500, 3, |i, j| (i * 10 + j) as f32);
        let d = Dataset::new(inputs, targets).unwrap();
        const { assert!(244 * 270 >= crate::parallel::THREADED_VALUES_MIN) };
        let batches = |threads| {
            let mut b = Batcher::new(&d, 256).unwrap();
            b.set_threads(threads).unwrap();
            b.shuffle(&mut Rng::new(3));
            let mut all = Vec::new();
            while let Some(batch) = b.next_batch() {
                all.push((batch.inputs.as_slice().to_vec(), batch.targets.as_slice().to_vec()));
            }
            all
        };
        let one = batches(1);
        assert_eq!(one.len(), 2);
        assert_eq!(one[1].0.len(), 244 * 270);
        for threads in [2, 3, 7] {
            assert_eq!(batches(threads), one, "{threads} threads");
        }
    }

    #[test]
    fn batcher_validates() {
        let d = counting(3);
        assert!(matches!(Batcher::new(&d, 0), Err(Error::InvalidHyperparameter { .. })));
        let e = Batcher::new(&d, 1).unwrap().set_threads(0).unwrap_err();
        assert_eq!(e.to_string(), "thread count must be at least 1, got 0");
        assert!(matches!(Batcher::with_order(&d, 2, vec![]), Err(Error::EmptyData { .. })));
        let e = Batcher::with_order(&d, 2, vec![0, 3]).unwrap_err();
        assert_eq!(e.to_string(), "index 3 at position 1 is out of range for a dataset of 3 samples");
        // A huge batch size allocates only for the samples there are.
        let mut b = Batcher::new(&d, usize::MAX).unwrap();
        assert_eq!(b.batches_per_epoch(), 1);
        assert_eq!(b.next_batch().map(|batch| batch.len()), Some(3));
    }
}
