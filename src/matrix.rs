//! [`Matrix`], [`MatrixView`] and [`Vector`]: the linear algebra of backpropagation.
//!
//! Matrices are row-major and contiguous: element (i, j) of an r×c matrix sits at
//! `i * c + j`. A layer's weights `w` are an N(l)×N(l−1) matrix whose row j holds the
//! weights into neuron j; a mini-batch is a matrix with one sample per row.
//!
//! # Convention for shape errors
//! The algebra here panics on mismatched shapes, as ndarray does: every such method
//! documents it under `# Panics`, is `#[track_caller]`, and its message names both
//! shapes. The network-level API checks shapes first and returns
//! [`Error`](crate::Error) instead, so these panics never reach a caller of
//! [`Network`](crate::Network).

use core::fmt;
use core::ops::{Deref, DerefMut, Index, IndexMut};

use crate::Float;
use crate::error::{Error, Result};
use crate::kernels::{self, Transpose};

mod aligned;

use self::aligned::AlignedVec;

/// A dense, row-major r×c matrix that owns its elements.
///
/// The first element sits on a 64-byte boundary (a cache line), so the SIMD kernels'
/// register loads along a row never straddle two lines when a row is a whole number of
/// lines long; this is for speed only, and a [`MatrixView`] of any slice works as well.
///
/// ```
/// use backprop::Matrix;
///
/// let w = Matrix::new(2, 3, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0])?;
/// assert_eq!(w[(1, 0)], 4.0);
/// assert_eq!(w.matvec(&[1.0, 0.0, -1.0]).as_slice(), &[-2.0, -2.0]);
/// # Ok::<(), backprop::Error>(())
/// ```
#[derive(Clone, PartialEq)]
pub struct Matrix<T> {
    rows: usize,
    cols: usize,
    // On a 64-byte boundary, for the SIMD kernels (see `aligned`).
    data: AlignedVec<T>,
}

/// A borrowed, row-major r×c matrix: rows of a dataset or a [`Matrix`], without a copy.
#[derive(Clone, Copy)]
pub struct MatrixView<'a, T> {
    rows: usize,
    cols: usize,
    data: &'a [T],
    // Every value is known to be finite: the view is of a `Dataset`, which checked them
    // when it was built, so a network need not scan them again.
    finite: bool,
}

impl<T: PartialEq> PartialEq for MatrixView<'_, T> {
    fn eq(&self, other: &Self) -> bool {
        (self.rows, self.cols) == (other.rows, other.cols) && self.data == other.data
    }
}

/// A column vector of n elements, e.g. an input x, a bias b or an error δ.
///
/// It dereferences to a slice, so every `&[T]` method (and every function taking
/// `&[T]`) works on it.
#[derive(Clone, PartialEq, Default)]
pub struct Vector<T> {
    data: Vec<T>,
}

fn shape_error(rows: usize, cols: usize, len: usize) -> Error {
    Error::MatrixShape { rows, cols, len }
}

impl<T: Float> Matrix<T> {
    /// The matrix as a kernel operand.
    pub(crate) fn as_mat_ref(&self) -> kernels::MatRef<'_, T> {
        kernels::MatRef::new(&self.data, self.rows, self.cols, self.cols)
    }

    /// The matrix as a kernel output.
    pub(crate) fn as_mat_mut(&mut self) -> kernels::MatMut<'_, T> {
        kernels::MatMut::new(&mut self.data, self.rows, self.cols, self.cols)
    }

    /// A `rows`×`cols` matrix from its elements in row-major order. The elements are moved
    /// to a 64-byte boundary within `data`'s allocation, which grows by up to 60 bytes.
    ///
    /// ```
    /// use backprop::{Error, Matrix};
    ///
    /// let m = Matrix::new(2, 3, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0])?;
    /// assert_eq!((m.shape(), m[(1, 0)]), ((2, 3), 4.0)); // row 1 starts at element 3
    /// assert_eq!(m.row(1), &[4.0, 5.0, 6.0]);
    /// assert!(matches!(Matrix::new(2, 2, vec![1.0, 2.0, 3.0]), Err(Error::MatrixShape { .. })));
    /// # Ok::<(), backprop::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::MatrixShape`] if `data.len() != rows * cols`; [`Error::TooLarge`] if no
    /// allocation could hold a `rows`×`cols` matrix (see [`try_zeros`](Self::try_zeros)).
    pub fn new(rows: usize, cols: usize, data: Vec<T>) -> Result<Self> {
        match element_count::<T>(rows, cols) {
            Some(len) if len == data.len() => Ok(Matrix { rows, cols, data: AlignedVec::from_vec(data) }),
            Some(_) => Err(shape_error(rows, cols, data.len())),
            None => Err(Error::TooLarge { what: "a matrix", rows, cols }),
        }
    }

    /// A `rows`×`cols` matrix of zeros.
    ///
    /// # Panics
    /// If `rows · cols` elements of `T` are more than any allocation can hold (the
    /// product overflows, or its size in bytes exceeds `isize::MAX`; a dimension of 0
    /// counts as 1 here), with a message naming the shape; if the memory cannot be allocated, the process aborts, as for a `Vec`.
    /// [`try_zeros`](Self::try_zeros) returns an error in both cases instead.
    #[track_caller]
    pub fn zeros(rows: usize, cols: usize) -> Self {
        let Some(len) = element_count::<T>(rows, cols) else { too_large_panic::<T>(rows, cols) };
        Matrix { rows, cols, data: AlignedVec::from_elem(T::ZERO, len) }
    }

    /// A `rows`×`cols` matrix of zeros, or an error if it cannot be had.
    ///
    /// ```
    /// use backprop::{Error, Matrix};
    ///
    /// assert_eq!(Matrix::<f32>::try_zeros(2, 3)?.shape(), (2, 3));
    /// assert!(matches!(Matrix::<f32>::try_zeros(1 << 62, 4), Err(Error::TooLarge { .. })));
    /// # Ok::<(), backprop::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::TooLarge`] if `rows · cols` elements of `T` are more than any allocation
    /// can hold, or the allocator cannot provide them.
    pub fn try_zeros(rows: usize, cols: usize) -> Result<Self> {
        let too_large = || Error::TooLarge { what: "a matrix", rows, cols };
        let len = element_count::<T>(rows, cols).ok_or_else(too_large)?;
        let data = AlignedVec::try_from_elem(T::ZERO, len).map_err(|_| too_large())?;
        Ok(Matrix { rows, cols, data })
    }

    /// A `rows`×`cols` matrix whose element (i, j) is `f(i, j)`, called in row-major order.
    ///
    /// ```
    /// use backprop::Matrix;
    ///
    /// let identity = Matrix::<f64>::from_fn(3, 3, |i, j| if i == j { 1.0 } else { 0.0 });
    /// assert_eq!(identity.matvec(&[7.0, -1.0, 2.5]).as_slice(), &[7.0, -1.0, 2.5]);
    /// let m = Matrix::<f64>::from_fn(2, 3, |i, j| (10 * i + j) as f64);
    /// assert_eq!(m.row(1), &[10.0, 11.0, 12.0]);
    /// ```
    ///
    /// # Panics
    /// As [`zeros`](Self::zeros), if the matrix is too large.
    #[track_caller]
    pub fn from_fn(rows: usize, cols: usize, mut f: impl FnMut(usize, usize) -> T) -> Self {
        let mut m = Matrix::zeros(rows, cols);
        for (i, row) in m.data.chunks_exact_mut(cols.max(1)).enumerate() {
            for (j, x) in row.iter_mut().enumerate() {
                *x = f(i, j);
            }
        }
        m
    }

    /// A matrix whose rows are the given slices.
    ///
    /// ```
    /// use backprop::Matrix;
    ///
    /// let m = Matrix::from_rows(&[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])?;
    /// assert_eq!((m.shape(), m.row(2)), ((3, 2), &[5.0, 6.0][..]));
    /// assert!(Matrix::from_rows(&[vec![1.0, 2.0], vec![3.0]]).is_err()); // ragged rows
    /// # Ok::<(), backprop::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] if the rows have different lengths; [`Error::TooLarge`] as
    /// for [`try_zeros`](Self::try_zeros).
    pub fn from_rows<R: AsRef<[T]>>(rows: &[R]) -> Result<Self> {
        let cols = rows.first().map_or(0, |r| r.as_ref().len());
        for r in rows {
            crate::error::check_len("a row", "the first row", cols, r.as_ref().len())?;
        }
        let mut m = Matrix::try_zeros(rows.len(), cols)?;
        for (dst, r) in m.data.chunks_exact_mut(cols.max(1)).zip(rows) {
            dst.copy_from_slice(r.as_ref());
        }
        Ok(m)
    }

    /// The number of rows.
    #[must_use]
    pub fn n_rows(&self) -> usize {
        self.rows
    }

    /// The number of columns.
    #[must_use]
    pub fn n_cols(&self) -> usize {
        self.cols
    }

    /// `(rows, cols)`.
    #[must_use]
    pub fn shape(&self) -> (usize, usize) {
        (self.rows, self.cols)
    }

    /// The elements in row-major order.
    #[must_use]
    pub fn as_slice(&self) -> &[T] {
        &self.data
    }

    /// The elements in row-major order, mutably.
    pub fn as_mut_slice(&mut self) -> &mut [T] {
        &mut self.data
    }

    /// The elements in row-major order, by value.
    #[must_use]
    pub fn into_vec(self) -> Vec<T> {
        self.data.into_vec()
    }

    /// Row `i`.
    ///
    /// # Panics
    /// If `i >= self.n_rows()`.
    #[track_caller]
    #[must_use]
    pub fn row(&self, i: usize) -> &[T] {
        self.view().row(i)
    }

    /// The rows, first to last, each as a slice of [`n_cols`](Self::n_cols) values.
    ///
    /// ```
    /// use backprop::Matrix;
    ///
    /// let m = Matrix::from_rows(&[[1.0, 2.0], [3.0, 4.0]])?;
    /// let sums: Vec<f64> = m.row_iter().map(|row| row.iter().sum()).collect();
    /// assert_eq!(sums, [3.0, 7.0]);
    /// # Ok::<(), backprop::Error>(())
    /// ```
    #[must_use]
    pub fn row_iter(&self) -> impl DoubleEndedIterator<Item = &[T]> + ExactSizeIterator {
        self.view().row_iter()
    }

    /// Row `i`, mutably.
    ///
    /// # Panics
    /// If `i >= self.n_rows()`.
    #[track_caller]
    pub fn row_mut(&mut self, i: usize) -> &mut [T] {
        assert!(i < self.rows, "row {i} is out of range for a {}×{} matrix", self.rows, self.cols);
        &mut self.data[i * self.cols..(i + 1) * self.cols]
    }

    /// A borrowed view of the whole matrix.
    #[must_use]
    pub fn view(&self) -> MatrixView<'_, T> {
        MatrixView { rows: self.rows, cols: self.cols, data: &self.data, finite: false }
    }

    /// A borrowed view of rows `start..end`, without a copy.
    ///
    /// # Panics
    /// If `start > end` or `end > self.n_rows()`.
    #[track_caller]
    #[must_use]
    pub fn rows_range(&self, start: usize, end: usize) -> MatrixView<'_, T> {
        self.view().rows_range(start, end)
    }

    /// Changes the shape to `rows`×`cols`, keeping the allocation when it is large enough.
    /// The elements are unspecified afterwards (callers overwrite them).
    ///
    /// # Errors
    /// [`Error::TooLarge`], naming `what`, as for [`try_zeros`](Self::try_zeros); the
    /// matrix is then unchanged.
    pub(crate) fn resize(&mut self, what: &'static str, rows: usize, cols: usize) -> Result<()> {
        let too_large = || Error::TooLarge { what, rows, cols };
        let len = element_count::<T>(rows, cols).ok_or_else(too_large)?;
        self.data.try_resize(len, T::ZERO).map_err(|_| too_large())?;
        self.rows = rows;
        self.cols = cols;
        Ok(())
    }

    /// Sets every element to zero.
    pub fn fill_zero(&mut self) {
        self.data.fill(T::ZERO);
    }

    /// The transpose wᵀ, as a new matrix.
    ///
    /// ```
    /// use backprop::Matrix;
    ///
    /// let m = Matrix::<f32>::from_fn(2, 3, |i, j| (3 * i + j) as f32);
    /// let t = m.transpose();
    /// assert_eq!(t.shape(), (3, 2));
    /// assert!((0..2).all(|i| (0..3).all(|j| t[(j, i)] == m[(i, j)])));
    /// assert_eq!(t.transpose(), m);
    /// ```
    #[must_use]
    pub fn transpose(&self) -> Matrix<T> {
        Matrix::from_fn(self.cols, self.rows, |i, j| self[(j, i)])
    }

    /// w·x: the matrix times a vector.
    ///
    /// ```
    /// use backprop::Matrix;
    ///
    /// let w = Matrix::from_rows(&[[1.0, 2.0, 3.0], [0.0, -1.0, 1.0]])?;
    /// let y = w.matvec(&[1.0, 1.0, 2.0]);
    /// // y_j = Σ_k w_jk x_k: one dot product per row.
    /// assert_eq!(y.as_slice(), &[1.0 + 2.0 + 6.0, -1.0 + 2.0]);
    /// # Ok::<(), backprop::Error>(())
    /// ```
    ///
    /// # Panics
    /// If `x.len() != self.n_cols()`.
    #[track_caller]
    pub fn matvec(&self, x: &[T]) -> Vector<T> {
        let mut y = Vector::zeros(self.rows);
        self.matvec_into(x, &mut y);
        y
    }

    /// y ← w·x, into a caller-owned `y`.
    ///
    /// # Panics
    /// If `x.len() != self.n_cols()` or `y.len() != self.n_rows()`.
    #[track_caller]
    pub fn matvec_into(&self, x: &[T], y: &mut [T]) {
        self.checked_matvec("matvec", Transpose::No, x, y);
    }

    /// wᵀ·x, computed from w as stored (no transpose is formed); this is the product
    /// `w(l+1)ᵀ δ(l+1)` of BP2.
    ///
    /// ```
    /// use backprop::Matrix;
    ///
    /// let w = Matrix::from_rows(&[[1.0, 2.0, 3.0], [0.0, -1.0, 1.0]])?; // 2×3, as w(l+1)
    /// let delta = [0.5, 2.0]; // δ(l+1), one value per row
    /// let back = w.transpose_matvec(&delta); // wᵀδ, one value per column
    /// assert_eq!(back, w.transpose().matvec(&delta));
    /// assert_eq!(back.as_slice(), &[0.5, 1.0 - 2.0, 1.5 + 2.0]);
    /// # Ok::<(), backprop::Error>(())
    /// ```
    ///
    /// # Panics
    /// If `x.len() != self.n_rows()`.
    #[track_caller]
    pub fn transpose_matvec(&self, x: &[T]) -> Vector<T> {
        let mut y = Vector::zeros(self.cols);
        self.transpose_matvec_into(x, &mut y);
        y
    }

    /// y ← wᵀ·x, into a caller-owned `y`.
    ///
    /// # Panics
    /// If `x.len() != self.n_rows()` or `y.len() != self.n_cols()`.
    #[track_caller]
    pub fn transpose_matvec_into(&self, x: &[T], y: &mut [T]) {
        self.checked_matvec("transpose_matvec", Transpose::Yes, x, y);
    }

    /// y ← op(w)·x once the lengths are checked: `matvec_into` and
    /// `transpose_matvec_into`, which `what` names in the message.
    #[track_caller]
    fn checked_matvec(&self, what: &str, t: Transpose, x: &[T], y: &mut [T]) {
        let w = self.as_mat_ref().op(t);
        assert!(
            x.len() == w.n_cols() && y.len() == w.n_rows(),
            "{what}: a {}×{} matrix needs x of {} and y of {}, got x of {} and y of {}",
            self.rows,
            self.cols,
            w.n_cols(),
            w.n_rows(),
            x.len(),
            y.len()
        );
        kernels::gemv(T::ONE, w, x, T::ZERO, y);
    }

    /// w ← w + α·x·yᵀ: the outer-product accumulate that adds `δ·aᵀ` (BP3) into a
    /// weight gradient.
    ///
    /// ```
    /// use backprop::Matrix;
    ///
    /// // BP3 for one sample, summed into a gradient: ∂C/∂w += δ·aᵀ.
    /// let (delta, a) = ([1.0, -2.0], [3.0, 0.5, 4.0]);
    /// let mut grad = Matrix::zeros(2, 3);
    /// grad.add_outer(1.0, &delta, &a);
    /// grad.add_outer(1.0, &delta, &a);
    /// assert!((0..2).all(|j| (0..3).all(|k| grad[(j, k)] == 2.0 * delta[j] * a[k])));
    /// ```
    ///
    /// # Panics
    /// If `x.len() != self.n_rows()` or `y.len() != self.n_cols()`.
    #[track_caller]
    pub fn add_outer(&mut self, alpha: T, x: &[T], y: &[T]) {
        assert!(
            x.len() == self.rows && y.len() == self.cols,
            "add_outer: a {}×{} matrix needs x of {} and y of {}, got x of {} and y of {}",
            self.rows,
            self.cols,
            self.rows,
            self.cols,
            x.len(),
            y.len()
        );
        kernels::ger(alpha, x, y, self.as_mat_mut());
    }

    /// self ← self + α·other (axpy over all elements); with α = −learning rate this is
    /// the update step `w := w − α ∂C/∂w`.
    ///
    /// # Panics
    /// If the shapes differ.
    #[track_caller]
    pub fn add_scaled(&mut self, alpha: T, other: &Matrix<T>) {
        assert_same_shape("add_scaled", self.shape(), other.shape());
        kernels::axpy(alpha, &other.data, &mut self.data);
    }

    /// The Hadamard (element-wise) product self ⊙ other.
    ///
    /// ```
    /// use backprop::Matrix;
    ///
    /// let a = Matrix::from_rows(&[[1.0, 2.0], [3.0, 4.0]])?;
    /// let b = Matrix::from_rows(&[[0.5, 0.0], [-1.0, 2.0]])?;
    /// let c = a.hadamard(&b);
    /// assert!((0..2).all(|i| (0..2).all(|j| c[(i, j)] == a[(i, j)] * b[(i, j)])));
    /// # Ok::<(), backprop::Error>(())
    /// ```
    ///
    /// # Panics
    /// If the shapes differ.
    #[track_caller]
    #[must_use]
    pub fn hadamard(&self, other: &Matrix<T>) -> Matrix<T> {
        let mut out = self.clone();
        out.hadamard_assign(other);
        out
    }

    /// self ← self ⊙ other, in place.
    ///
    /// # Panics
    /// If the shapes differ.
    #[track_caller]
    pub fn hadamard_assign(&mut self, other: &Matrix<T>) {
        assert_same_shape("hadamard", self.shape(), other.shape());
        hadamard_slices(&mut self.data, &other.data);
    }

    /// The matrix product self·other.
    ///
    /// ```
    /// use backprop::Matrix;
    ///
    /// let a = Matrix::from_rows(&[[1.0, 2.0, 0.0], [0.0, 1.0, -1.0]])?; // 2×3
    /// let b = Matrix::from_rows(&[[1.0, 0.0], [2.0, 1.0], [0.0, 3.0]])?; // 3×2
    /// let c = a.matmul(&b);
    /// assert_eq!(c.shape(), (2, 2));
    /// let entry = |i, j| (0..3).map(|k| a[(i, k)] * b[(k, j)]).sum::<f64>(); // row i of A · column j of B
    /// assert!((0..2).all(|i| (0..2).all(|j| c[(i, j)] == entry(i, j))));
    /// # Ok::<(), backprop::Error>(())
    /// ```
    ///
    /// # Panics
    /// If `self.n_cols() != other.n_rows()`.
    #[track_caller]
    #[must_use]
    pub fn matmul(&self, other: &Matrix<T>) -> Matrix<T> {
        let mut c = Matrix::zeros(self.rows, other.cols);
        c.gemm(T::ONE, self.view(), Transpose::No, other.view(), Transpose::No, T::ZERO);
        c
    }

    /// self ← α·op(A)·op(B) + β·self, where op(X) is X or Xᵀ as `ta`, `tb` say.
    ///
    /// The transposes are never formed: the three products of mini-batch training,
    /// A·B, A·Bᵀ and Aᵀ·B, all read their operands as stored. β = 0 overwrites self
    /// without reading it; β = 1 accumulates.
    ///
    /// ```
    /// use backprop::{Matrix, Transpose};
    ///
    /// // Z = A·Wᵀ for a batch A of 2 samples (rows) and weights W of 3 neurons × 2 inputs.
    /// let a = Matrix::from_rows(&[[1.0, 2.0], [3.0, -1.0]])?;
    /// let w = Matrix::from_rows(&[[1.0, 0.0], [0.5, 0.5], [-1.0, 2.0]])?;
    /// let mut z = Matrix::zeros(2, 3);
    /// z.gemm(1.0, a.view(), Transpose::No, w.view(), Transpose::Yes, 0.0); // Wᵀ is never formed
    /// assert_eq!(z, a.matmul(&w.transpose()));
    /// z.gemm(1.0, a.view(), Transpose::No, w.view(), Transpose::Yes, 1.0); // β = 1 accumulates
    /// assert_eq!(z, a.matmul(&w.transpose()).hadamard(&Matrix::from_fn(2, 3, |_, _| 2.0)));
    /// # Ok::<(), backprop::Error>(())
    /// ```
    ///
    /// # Panics
    /// If op(A) is m×k, op(B) is k′×n and self is not m×n, or k ≠ k′.
    #[track_caller]
    pub fn gemm(
        &mut self,
        alpha: T,
        a: MatrixView<'_, T>,
        ta: Transpose,
        b: MatrixView<'_, T>,
        tb: Transpose,
        beta: T,
    ) {
        self.gemm_threads(1, alpha, a, ta, b, tb, beta);
    }

    /// [`gemm`](Self::gemm) split over up to `threads` threads (large products only).
    #[track_caller]
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn gemm_threads(
        &mut self,
        threads: usize,
        alpha: T,
        a: MatrixView<'_, T>,
        ta: Transpose,
        b: MatrixView<'_, T>,
        tb: Transpose,
        beta: T,
    ) {
        let (m, k) = if ta == Transpose::No { (a.rows, a.cols) } else { (a.cols, a.rows) };
        let (k2, n) = if tb == Transpose::No { (b.rows, b.cols) } else { (b.cols, b.rows) };
        assert!(
            k == k2 && self.rows == m && self.cols == n,
            "gemm: op(A) is {m}×{k} and op(B) is {k2}×{n}, which cannot make the {}×{} result",
            self.rows,
            self.cols
        );
        kernels::gemm_threaded(
            threads,
            m,
            alpha,
            a.as_mat_ref().op(ta),
            b.as_mat_ref().op(tb),
            beta,
            self.as_mat_mut(),
        );
    }
}

/// The number of elements of a `rows`×`cols` matrix of `T`, or `None` if no allocation
/// can hold them: the product overflows, or its size in bytes exceeds `isize::MAX` (the
/// largest allocation Rust allows; the aligned storage adds at most a cache line, which
/// this leaves room for).
///
/// A dimension of 0 counts as 1 in that bound: a 0×n matrix holds no element, but if one
/// of its rows could not be held either, the shape describes nothing that can exist, and
/// code that walks its (empty) rows or columns should never meet such a count.
pub(crate) fn element_count<T>(rows: usize, cols: usize) -> Option<usize> {
    let bound = rows.max(1).checked_mul(cols.max(1))?.checked_mul(size_of::<T>())?;
    (bound <= isize::MAX as usize - 64).then_some(rows * cols)
}

#[cold]
#[track_caller]
fn too_large_panic<T: Float>(rows: usize, cols: usize) -> ! {
    panic!("a {rows}×{cols} matrix of {} is too large to allocate", T::NAME)
}

/// x ← x ⊙ y for slices of equal length.
pub(crate) fn hadamard_slices<T: Float>(x: &mut [T], y: &[T]) {
    debug_assert_eq!(x.len(), y.len());
    for (xi, &yi) in x.iter_mut().zip(y) {
        *xi *= yi;
    }
}

#[track_caller]
fn assert_same_shape(op: &str, a: (usize, usize), b: (usize, usize)) {
    assert!(a == b, "{op}: shapes {}×{} and {}×{} differ", a.0, a.1, b.0, b.1);
}

impl<'a, T: Float> MatrixView<'a, T> {
    /// The view as a kernel operand.
    pub(crate) fn as_mat_ref(&self) -> kernels::MatRef<'a, T> {
        kernels::MatRef::new(self.data, self.rows, self.cols, self.cols)
    }

    /// A view of `data` as a `rows`×`cols` row-major matrix.
    ///
    /// ```
    /// use backprop::{Activation, MatrixView, Network};
    ///
    /// // Two samples of two inputs, kept in a plain slice: the network reads them in place.
    /// let samples = [0.0, 1.0, 1.0, 0.0];
    /// let x = MatrixView::new(2, 2, &samples)?;
    /// let net = Network::<f64>::builder(2).layer(1, Activation::Sigmoid).build()?;
    /// assert_eq!(net.predict_batch(x)?.shape(), (2, 1));
    /// assert!(MatrixView::new(3, 2, &samples).is_err()); // 4 values are not 3 rows of 2
    /// # Ok::<(), backprop::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::MatrixShape`] if `data.len() != rows * cols`; [`Error::TooLarge`] for a
    /// shape no allocation could hold, as for [`Matrix::new`].
    pub fn new(rows: usize, cols: usize, data: &'a [T]) -> Result<Self> {
        match element_count::<T>(rows, cols) {
            Some(len) if len == data.len() => Ok(MatrixView { rows, cols, data, finite: false }),
            Some(_) => Err(shape_error(rows, cols, data.len())),
            None => Err(Error::TooLarge { what: "a matrix view", rows, cols }),
        }
    }

    /// A view of one sample as a 1×n matrix.
    pub fn from_row(data: &'a [T]) -> Self {
        MatrixView { rows: 1, cols: data.len(), data, finite: false }
    }

    /// The number of rows.
    #[must_use]
    pub fn n_rows(&self) -> usize {
        self.rows
    }

    /// The number of columns.
    #[must_use]
    pub fn n_cols(&self) -> usize {
        self.cols
    }

    /// `(rows, cols)`.
    #[must_use]
    pub fn shape(&self) -> (usize, usize) {
        (self.rows, self.cols)
    }

    /// The elements in row-major order.
    #[must_use]
    pub fn as_slice(&self) -> &'a [T] {
        self.data
    }

    /// Row `i`.
    ///
    /// # Panics
    /// If `i >= self.n_rows()`.
    #[track_caller]
    #[must_use]
    pub fn row(&self, i: usize) -> &'a [T] {
        assert!(i < self.rows, "row {i} is out of range for a {}×{} matrix", self.rows, self.cols);
        &self.data[i * self.cols..(i + 1) * self.cols]
    }

    /// The rows, first to last, each as a slice of [`n_cols`](Self::n_cols) values.
    #[must_use]
    pub fn row_iter(&self) -> impl DoubleEndedIterator<Item = &'a [T]> + ExactSizeIterator + use<'a, T> {
        let view = *self;
        (0..self.rows).map(move |i| view.row(i))
    }

    /// A view of rows `start..end`.
    ///
    /// # Panics
    /// If `start > end` or `end > self.n_rows()`.
    #[track_caller]
    #[must_use]
    pub fn rows_range(&self, start: usize, end: usize) -> MatrixView<'a, T> {
        assert!(
            start <= end && end <= self.rows,
            "rows {start}..{end} are out of range for a {}×{} matrix",
            self.rows,
            self.cols
        );
        let data = &self.data[start * self.cols..end * self.cols];
        MatrixView { rows: end - start, cols: self.cols, data, finite: self.finite }
    }

    /// The view, marked as holding only finite values: for views of a
    /// [`Dataset`](crate::Dataset), whose values were checked when it was built.
    pub(crate) fn of_checked_data(self) -> Self {
        MatrixView { finite: true, ..self }
    }

    /// Whether every value is known to be finite without a scan (see
    /// [`of_checked_data`](Self::of_checked_data)).
    pub(crate) fn known_finite(&self) -> bool {
        self.finite
    }

    /// An owned copy.
    #[must_use]
    pub fn to_matrix(&self) -> Matrix<T> {
        Matrix { rows: self.rows, cols: self.cols, data: AlignedVec::from_slice(self.data) }
    }
}

/// A matrix from its rows, e.g. `Matrix::try_from(vec![vec![1.0, 2.0], vec![3.0, 4.0]])`;
/// see [`Matrix::from_rows`].
impl<T: Float> TryFrom<Vec<Vec<T>>> for Matrix<T> {
    type Error = Error;

    /// # Errors
    /// As [`Matrix::from_rows`]: the rows must all have the same length.
    fn try_from(rows: Vec<Vec<T>>) -> Result<Self> {
        Matrix::from_rows(&rows)
    }
}

impl<'a, T: Float> From<&'a Matrix<T>> for MatrixView<'a, T> {
    fn from(m: &'a Matrix<T>) -> Self {
        m.view()
    }
}

impl<T: Float> Index<(usize, usize)> for Matrix<T> {
    type Output = T;

    /// Element (i, j).
    ///
    /// # Panics
    /// If i or j is out of range.
    #[track_caller]
    fn index(&self, (i, j): (usize, usize)) -> &T {
        assert!(
            i < self.rows && j < self.cols,
            "index ({i}, {j}) is out of range for a {}×{} matrix",
            self.rows,
            self.cols
        );
        &self.data[i * self.cols + j]
    }
}

impl<T: Float> IndexMut<(usize, usize)> for Matrix<T> {
    #[track_caller]
    fn index_mut(&mut self, (i, j): (usize, usize)) -> &mut T {
        assert!(
            i < self.rows && j < self.cols,
            "index ({i}, {j}) is out of range for a {}×{} matrix",
            self.rows,
            self.cols
        );
        &mut self.data[i * self.cols + j]
    }
}

impl<T: fmt::Debug> fmt::Debug for Matrix<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_rows(f, self.rows, self.cols, &self.data)
    }
}

impl<T: fmt::Debug> fmt::Debug for MatrixView<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_rows(f, self.rows, self.cols, self.data)
    }
}

/// Writes `Matrix r×c [[row 0], [row 1], …]`.
fn debug_rows<T: fmt::Debug>(f: &mut fmt::Formatter<'_>, rows: usize, cols: usize, data: &[T]) -> fmt::Result {
    write!(f, "Matrix {rows}×{cols} ")?;
    f.debug_list().entries(data.chunks(cols.max(1)).take(rows)).finish()
}

impl<T: Float> Vector<T> {
    /// A vector of `n` zeros.
    pub fn zeros(n: usize) -> Self {
        Vector { data: vec![T::ZERO; n] }
    }

    /// The elements as a slice.
    #[must_use]
    pub fn as_slice(&self) -> &[T] {
        &self.data
    }

    /// The elements, by value.
    #[must_use]
    pub fn into_vec(self) -> Vec<T> {
        self.data
    }

    /// The dot product x·y.
    ///
    /// ```
    /// use backprop::Vector;
    ///
    /// let x = Vector::from(vec![1.0, 2.0, 3.0]);
    /// assert_eq!(x.dot(&[4.0, -1.0, 0.5]), 4.0 - 2.0 + 1.5);
    /// assert_eq!(x.dot(&x), 1.0 + 4.0 + 9.0); // the squared Euclidean norm
    /// ```
    ///
    /// # Panics
    /// If the lengths differ.
    #[track_caller]
    pub fn dot(&self, other: &[T]) -> T {
        assert_eq!(self.len(), other.len(), "dot: lengths {} and {} differ", self.len(), other.len());
        kernels::dot(&self.data, other)
    }

    /// The Hadamard (element-wise) product x ⊙ y, the ⊙ of BP1 and BP2.
    ///
    /// ```
    /// use backprop::Vector;
    ///
    /// // BP1 for the quadratic cost: δ = (a − y) ⊙ σ′(z).
    /// let error = Vector::from(vec![0.5, -0.25]);
    /// let slope = [0.25, 0.5];
    /// assert_eq!(error.hadamard(&slope).as_slice(), &[0.5 * 0.25, -0.25 * 0.5]);
    /// ```
    ///
    /// # Panics
    /// If the lengths differ.
    #[track_caller]
    #[must_use]
    pub fn hadamard(&self, other: &[T]) -> Vector<T> {
        assert_eq!(self.len(), other.len(), "hadamard: lengths {} and {} differ", self.len(), other.len());
        let mut out = self.clone();
        hadamard_slices(&mut out.data, other);
        out
    }

    /// x ← x + α·y.
    ///
    /// ```
    /// use backprop::Vector;
    ///
    /// // The update step for biases: b := b − α ∂C/∂b.
    /// let mut b = Vector::from(vec![1.0, -1.0]);
    /// b.add_scaled(-0.5, &[2.0, -4.0]);
    /// assert_eq!(b.as_slice(), &[1.0 - 0.5 * 2.0, -1.0 + 0.5 * 4.0]);
    /// ```
    ///
    /// # Panics
    /// If the lengths differ.
    #[track_caller]
    pub fn add_scaled(&mut self, alpha: T, other: &[T]) {
        assert_eq!(self.len(), other.len(), "add_scaled: lengths {} and {} differ", self.len(), other.len());
        kernels::axpy(alpha, other, &mut self.data);
    }
}

impl<T> Deref for Vector<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.data
    }
}

impl<T> DerefMut for Vector<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        &mut self.data
    }
}

impl<T> From<Vec<T>> for Vector<T> {
    fn from(data: Vec<T>) -> Self {
        Vector { data }
    }
}

impl<T: Clone> From<&[T]> for Vector<T> {
    fn from(data: &[T]) -> Self {
        Vector { data: data.to_vec() }
    }
}

impl<T> FromIterator<T> for Vector<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        Vector { data: iter.into_iter().collect() }
    }
}

impl<T> AsRef<[T]> for Vector<T> {
    fn as_ref(&self) -> &[T] {
        &self.data
    }
}

impl<T: fmt::Debug> fmt::Debug for Vector<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(&self.data).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w() -> Matrix<f64> {
        // Hand-worked 2×3 case used throughout.
        Matrix::new(2, 3, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap()
    }

    #[test]
    fn rows_iterate_and_build_a_matrix() {
        let m = Matrix::try_from(vec![vec![1.0, 2.0, 3.0], vec![4.0, 5.0, 6.0]]).unwrap();
        assert_eq!(m.shape(), (2, 3));
        let rows: Vec<&[f64]> = m.row_iter().collect();
        assert_eq!(rows, [&[1.0, 2.0, 3.0][..], &[4.0, 5.0, 6.0][..]]);
        assert_eq!(m.row_iter().len(), 2);
        assert_eq!(m.row_iter().next_back(), Some(&[4.0, 5.0, 6.0][..]));
        assert_eq!(m.rows_range(1, 2).row_iter().collect::<Vec<_>>(), [&[4.0, 5.0, 6.0][..]]);
        // Rows of no columns are empty slices, one per row.
        assert_eq!(Matrix::<f64>::zeros(3, 0).row_iter().map(<[f64]>::len).collect::<Vec<_>>(), [0, 0, 0]);
        assert!(matches!(Matrix::try_from(vec![vec![1.0], vec![]]), Err(Error::ShapeMismatch { .. })));
    }

    #[test]
    fn every_matrix_starts_on_a_cache_line() {
        let aligned = |m: &Matrix<f32>| (m.as_slice().as_ptr() as usize).is_multiple_of(64);
        let big = Matrix::<f32>::from_fn(300, 784, |i, j| (i * 784 + j) as f32);
        let from_vec = Matrix::new(300, 784, big.as_slice().to_vec()).unwrap();
        let mut cache = Matrix::<f32>::zeros(3, 5);
        cache.resize("a cache", 1000, 100).unwrap();
        for m in [
            &big,
            &from_vec,
            &big.clone(),
            &big.view().to_matrix(),
            &cache,
            &Matrix::from_rows(&[[1.0f32; 9]]).unwrap(),
        ] {
            assert!(aligned(m));
        }
        assert_eq!(from_vec, big);
        assert_eq!(from_vec.into_vec(), big.as_slice());
    }

    #[test]
    fn constructors_check_the_shape() {
        assert!(Matrix::<f64>::new(2, 3, vec![0.0; 5]).is_err());
        assert!(Matrix::<f64>::new(usize::MAX, 2, vec![]).is_err());
        assert!(Matrix::from_rows(&[vec![1.0f64, 2.0], vec![3.0]]).is_err());
        assert_eq!(Matrix::from_rows(&[[1.0f64, 2.0], [3.0, 4.0]]).unwrap().shape(), (2, 2));
    }

    #[test]
    fn matvec_and_transpose_matvec_by_hand() {
        // [1 2 3; 4 5 6]·[1, 1, 2] = [9, 21]
        assert_eq!(w().matvec(&[1.0, 1.0, 2.0]).as_slice(), &[9.0, 21.0]);
        // [1 4; 2 5; 3 6]·[1, -1] = [-3, -3, -3]
        assert_eq!(w().transpose_matvec(&[1.0, -1.0]).as_slice(), &[-3.0, -3.0, -3.0]);
        assert_eq!(w().transpose().matvec(&[1.0, -1.0]), w().transpose_matvec(&[1.0, -1.0]));
    }

    #[test]
    fn add_outer_by_hand() {
        let mut g = Matrix::zeros(2, 3);
        g.add_outer(2.0, &[1.0, -1.0], &[1.0, 2.0, 3.0]);
        assert_eq!(g.as_slice(), &[2.0, 4.0, 6.0, -2.0, -4.0, -6.0]);
    }

    #[test]
    fn hadamard_and_add_scaled() {
        let h = w().hadamard(&w());
        assert_eq!(h.as_slice(), &[1.0, 4.0, 9.0, 16.0, 25.0, 36.0]);
        let mut a = w();
        a.add_scaled(-1.0, &w());
        assert!(a.as_slice().iter().all(|&x| x == 0.0));
        let v = Vector::from(vec![1.0, 2.0]);
        assert_eq!(v.hadamard(&[3.0, 4.0]).as_slice(), &[3.0, 8.0]);
        assert_eq!(v.dot(&[3.0, 4.0]), 11.0);
    }

    #[test]
    fn gemm_three_training_forms_agree_with_matmul() {
        let a = w(); // 2×3
        let b = Matrix::new(3, 2, vec![1.0, 0.0, -1.0, 2.0, 0.5, 1.0]).unwrap();
        let ab = a.matmul(&b);
        assert_eq!(ab.as_slice(), &[0.5, 7.0, 2.0, 16.0]);
        // A·(Bᵀ)ᵀ
        let bt = b.transpose();
        let mut c = Matrix::zeros(2, 2);
        c.gemm(1.0, a.view(), Transpose::No, bt.view(), Transpose::Yes, 0.0);
        assert_eq!(c, ab);
        // (Aᵀ)ᵀ·B, accumulated twice with β = 1
        let at = a.transpose();
        let mut c = Matrix::zeros(2, 2);
        c.gemm(1.0, at.view(), Transpose::Yes, b.view(), Transpose::No, 1.0);
        c.gemm(1.0, at.view(), Transpose::Yes, b.view(), Transpose::No, 1.0);
        assert_eq!(c.as_slice(), &[1.0, 14.0, 4.0, 32.0]);
    }

    #[test]
    #[should_panic(expected = "2×3")]
    fn mismatched_matvec_names_the_shape() {
        w().matvec(&[1.0, 2.0]);
    }

    #[test]
    #[should_panic(expected = "cannot make")]
    fn mismatched_gemm_panics() {
        let mut c = Matrix::<f64>::zeros(2, 2);
        c.gemm(1.0, w().view(), Transpose::No, w().view(), Transpose::No, 0.0);
    }

    #[test]
    fn views_borrow_rows() {
        let m = w();
        let v = m.rows_range(1, 2);
        assert_eq!(v.shape(), (1, 3));
        assert_eq!(v.row(0), &[4.0, 5.0, 6.0]);
    }
}
