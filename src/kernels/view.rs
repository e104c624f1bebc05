//! Strided matrix views, the operands of the matrix kernels: [`MatRef`] for op(A) and
//! op(B), [`MatMut`] for C. Their constructors check, once, that the slice holds the shape
//! (with overflow-checked arithmetic); every kernel below them relies on that.
//!
//! A block of whole rows of C could be a plain `&mut [T]`, but a block of columns cannot:
//! row i of the left block and row i of the right one sit side by side in memory, so the
//! two blocks' extents overlap even though their elements do not. `MatMut` holds the block
//! as a pointer, a shape and a row stride, borrows the matrix for its lifetime, and hands
//! out its rows (only the block's own elements) as slices.

use core::marker::PhantomData;

use super::Transpose;

/// Minimum slice length of a row-major `rows × cols` matrix with row stride `ld`, or
/// `None` if that length does not fit in a `usize` (no slice is that long, so the check
/// it stands in must fail).
///
/// Every length check before the unsafe kernels goes through here: a wrapped product would
/// let a short slice pass for a huge shape.
#[inline]
pub fn required_len(rows: usize, cols: usize, ld: usize) -> Option<usize> {
    if rows == 0 || cols == 0 { Some(0) } else { (rows - 1).checked_mul(ld)?.checked_add(cols) }
}

/// Panics unless a slice of `len` elements holds a `rows × cols` matrix with row stride
/// `ld` (at least `cols` when there is more than one row).
#[track_caller]
fn check(what: &str, len: usize, rows: usize, cols: usize, ld: usize) {
    assert!(rows <= 1 || ld >= cols, "{what}: row stride {ld} is less than {cols} columns");
    assert!(
        required_len(rows, cols, ld).is_some_and(|need| len >= need),
        "{what}: {len} elements, too few for {rows}×{cols} with stride {ld}"
    );
}

/// A `rows × cols` matrix stored row-major with row stride `ld` at the start of a slice,
/// borrowed, and whether a product uses it as stored or transposed: op(A) or op(B) of
/// C ← α·op(A)·op(B) + β·C. [`rows`](Self::n_rows) and [`cols`](Self::n_cols) are those of
/// the operand as used.
#[derive(Clone, Copy, Debug)]
pub struct MatRef<'a, T> {
    data: &'a [T],
    // The stored shape; `data` holds it (checked by `new`, kept by every method).
    stored_rows: usize,
    stored_cols: usize,
    ld: usize,
    trans: Transpose,
}

impl<'a, T> MatRef<'a, T> {
    /// The `rows × cols` matrix with row stride `ld` at the start of `data`, used as stored
    /// (see [`t`](Self::t)).
    ///
    /// # Panics
    /// If `ld < cols` (for more than one row) or `data` is too short for the shape.
    #[track_caller]
    pub fn new(data: &'a [T], rows: usize, cols: usize, ld: usize) -> Self {
        check("matrix", data.len(), rows, cols, ld);
        MatRef { data, stored_rows: rows, stored_cols: cols, ld, trans: Transpose::No }
    }

    /// The same matrix used transposed if `trans` is [`Transpose::Yes`] (without forming
    /// the transpose).
    #[must_use]
    pub fn op(self, trans: Transpose) -> Self {
        MatRef { trans, ..self }
    }

    /// Rows of the operand as used.
    pub fn n_rows(&self) -> usize {
        if self.trans == Transpose::No { self.stored_rows } else { self.stored_cols }
    }

    /// Columns of the operand as used.
    pub fn n_cols(&self) -> usize {
        if self.trans == Transpose::No { self.stored_cols } else { self.stored_rows }
    }

    /// Whether the operand is the stored matrix or its transpose.
    pub fn trans(&self) -> Transpose {
        self.trans
    }

    /// The stored elements, from element (0, 0) of the stored matrix.
    pub fn data(&self) -> &'a [T] {
        self.data
    }

    /// The row stride of the stored matrix.
    pub fn ld(&self) -> usize {
        self.ld
    }

    /// The operand from its row `i` on: rows `i..` of the stored matrix, or its columns
    /// `i..` when used transposed.
    ///
    /// # Panics
    /// If `i > n_rows()`.
    #[track_caller]
    #[must_use]
    pub fn rows_from(self, i: usize) -> Self {
        assert!(i <= self.n_rows(), "matrix: row {i} of {}", self.n_rows());
        if self.trans == Transpose::No {
            // Rows past the end (or of no columns) are nowhere: an empty slice.
            let start = i.checked_mul(self.ld).map_or(self.data.len(), |s| s.min(self.data.len()));
            MatRef { data: &self.data[start..], stored_rows: self.stored_rows - i, ..self }
        } else {
            self.transposed().cols_from(i).transposed()
        }
    }

    /// The operand from its column `j` on: columns `j..` of the stored matrix, or its rows
    /// `j..` when used transposed.
    ///
    /// # Panics
    /// If `j > n_cols()`.
    #[track_caller]
    #[must_use]
    pub fn cols_from(self, j: usize) -> Self {
        assert!(j <= self.n_cols(), "matrix: column {j} of {}", self.n_cols());
        if self.trans == Transpose::No {
            // Column j of a matrix with no rows is nowhere: keep the (empty) data.
            let start = if self.stored_rows == 0 { 0 } else { j };
            MatRef { data: &self.data[start..], stored_cols: self.stored_cols - j, ..self }
        } else {
            self.transposed().rows_from(j).transposed()
        }
    }

    /// The same view with `trans` flipped.
    fn transposed(self) -> Self {
        let trans = if self.trans == Transpose::No { Transpose::Yes } else { Transpose::No };
        MatRef { trans, ..self }
    }
}

/// A `rows × cols` block of a row-major matrix with row stride `ld`, borrowed mutably:
/// element (i, j) is at `ptr + i·ld + j`. Blocks split from one another never share an
/// element, so each can go to its own thread.
#[derive(Debug)]
pub struct MatMut<'a, T> {
    ptr: *mut T,
    rows: usize,
    cols: usize,
    ld: usize,
    _borrow: PhantomData<&'a mut [T]>,
}

// SAFETY: a `MatMut` is a unique borrow of its elements, like `&mut [T]`, which is Send
// when T is.
unsafe impl<T: Send> Send for MatMut<'_, T> {}

impl<'a, T> MatMut<'a, T> {
    /// The `rows × cols` matrix with row stride `ld` at the start of `data`.
    ///
    /// # Panics
    /// If `ld < cols` (for more than one row) or `data` is too short for the shape.
    #[track_caller]
    pub fn new(data: &'a mut [T], rows: usize, cols: usize, ld: usize) -> Self {
        check("matrix", data.len(), rows, cols, ld);
        MatMut { ptr: data.as_mut_ptr(), rows, cols, ld, _borrow: PhantomData }
    }

    /// The number of rows.
    pub fn n_rows(&self) -> usize {
        self.rows
    }

    /// The number of columns.
    pub fn n_cols(&self) -> usize {
        self.cols
    }

    /// The row stride: element (i, j) is `i·ld + j` elements from the first.
    pub fn ld(&self) -> usize {
        self.ld
    }

    /// A pointer to element (0, 0), for kernels that write through raw pointers: they may
    /// write element (i, j) at `ptr + i·ld + j` for i < rows, j < cols, and nothing else.
    pub fn as_mut_ptr(&mut self) -> *mut T {
        self.ptr
    }

    /// The same block, borrowed from this one for a shorter while (as `&mut *slice`).
    pub fn reborrow(&mut self) -> MatMut<'_, T> {
        MatMut { ptr: self.ptr, rows: self.rows, cols: self.cols, ld: self.ld, _borrow: PhantomData }
    }

    /// Row `i` of the block (its `cols` elements).
    ///
    /// # Panics
    /// If `i >= rows`.
    #[track_caller]
    pub fn row(&mut self, i: usize) -> &mut [T] {
        assert!(i < self.rows, "block: row {i} of {}", self.rows);
        if self.cols == 0 {
            // A row of no columns is nowhere: `new` did not check i·ld against the slice
            // (it may not even fit in a usize), so no pointer is computed from it.
            return &mut [];
        }
        // SAFETY: row i < rows of the block is `cols` > 0 elements from `ptr + i·ld`,
        // inside the slice `new` checked (or the block this one was split from), and no
        // other block holds them; the returned borrow keeps `self` borrowed while it lives.
        unsafe { core::slice::from_raw_parts_mut(self.ptr.add(i * self.ld), self.cols) }
    }

    /// The block's elements as one slice, if they are contiguous (one row, or rows as
    /// long as the stride): row i at `i·cols..`.
    pub fn contiguous(&mut self) -> Option<&mut [T]> {
        if self.rows <= 1 || self.ld == self.cols {
            let len = self.rows * self.cols;
            // SAFETY: with one row, or rows as long as the stride, the block's elements are
            // the `rows·cols` from `ptr`, inside the slice `new` checked (or the block this
            // one was split from) and no other block's; the borrow keeps `self` borrowed.
            Some(unsafe { core::slice::from_raw_parts_mut(self.ptr, len) })
        } else {
            None
        }
    }

    /// The block cut before row `i`: rows `..i` and rows `i..`.
    ///
    /// # Panics
    /// If `i > rows`.
    #[track_caller]
    pub fn split_at_row(self, i: usize) -> (Self, Self) {
        assert!(i <= self.rows, "block: row {i} of {}", self.rows);
        let MatMut { ptr, rows, cols, ld, .. } = self;
        // Past the last row, or in rows of no columns, there is nothing to point at (and
        // i·ld was never checked against the slice): keep the pointer as it is.
        let lower = if i == rows || cols == 0 { ptr } else { ptr.wrapping_add(i * ld) };
        (
            MatMut { ptr, rows: i, cols, ld, _borrow: PhantomData },
            MatMut { ptr: lower, rows: rows - i, cols, ld, _borrow: PhantomData },
        )
    }

    /// The block cut before column `j`: columns `..j` and columns `j..`.
    ///
    /// # Panics
    /// If `j > cols`.
    #[track_caller]
    pub fn split_at_col(self, j: usize) -> (Self, Self) {
        assert!(j <= self.cols, "block: column {j} of {}", self.cols);
        let MatMut { ptr, rows, cols, ld, .. } = self;
        // With no rows there is nothing to point at; keep the pointer as it is.
        let right = if rows == 0 { ptr } else { ptr.wrapping_add(j) };
        (
            MatMut { ptr, rows, cols: j, ld, _borrow: PhantomData },
            MatMut { ptr: right, rows, cols: cols - j, ld, _borrow: PhantomData },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_blocks_write_their_own_elements() {
        // A 3×5 block of a matrix with stride 6 (the last column is not in the block).
        let mut data: Vec<i32> = (0..18).collect();
        let block = MatMut::new(&mut data, 3, 5, 6);
        let (mut left, right) = block.split_at_col(2);
        let (mut middle, mut last) = right.split_at_col(2);
        assert_eq!((left.n_cols(), middle.n_cols(), last.n_cols()), (2, 2, 1));
        assert_eq!(left.row(1), &[6, 7]);
        assert_eq!(middle.row(2), &[14, 15]);
        std::thread::scope(|s| {
            s.spawn(move || left.row(0).fill(-1));
            s.spawn(move || (0..3).for_each(|i| middle.row(i).fill(-2)));
        });
        last.row(2)[0] = -3;
        assert_eq!(data, [-1, -1, -2, -2, 4, 5, 6, 7, -2, -2, 10, 11, 12, 13, -2, -2, -3, 17]);
    }

    #[test]
    #[should_panic(expected = "too few")]
    fn new_checks_the_length() {
        let mut data = [0.0f32; 10];
        let _ = MatMut::new(&mut data, 2, 5, 6);
    }
}
