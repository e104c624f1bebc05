//! [`BlockMut`]: the output C of a matrix product as a block of a larger row-major matrix,
//! which can be split by columns as well as by rows.
//!
//! A block of whole rows is a plain `&mut [T]`, but a block of columns is not: row i of
//! the left block and row i of the right one sit side by side in memory, so the two
//! blocks' extents overlap even though their elements do not. `BlockMut` holds the block
//! as a pointer, a shape and a row stride, borrows the matrix for its lifetime, and hands
//! out its rows (only the block's own elements) as slices.

use core::marker::PhantomData;

/// A `rows × cols` block of a row-major matrix with row stride `ld`, borrowed mutably:
/// element (i, j) is at `ptr + i·ld + j`. Blocks split from one another never share an
/// element, so each can go to its own thread.
#[derive(Debug)]
pub struct BlockMut<'a, T> {
    ptr: *mut T,
    rows: usize,
    cols: usize,
    ld: usize,
    _borrow: PhantomData<&'a mut [T]>,
}

// SAFETY: a `BlockMut` is a unique borrow of its elements, like `&mut [T]`, which is Send
// when T is.
unsafe impl<T: Send> Send for BlockMut<'_, T> {}

impl<'a, T> BlockMut<'a, T> {
    /// The `rows × cols` matrix with row stride `ld` at the start of `data`.
    ///
    /// # Panics
    /// If `ld < cols` (for more than one row) or `data` is too short for the shape.
    #[track_caller]
    pub fn new(data: &'a mut [T], rows: usize, cols: usize, ld: usize) -> Self {
        assert!(rows <= 1 || ld >= cols, "block: row stride {ld} is less than {cols} columns");
        assert!(
            super::fits(data.len(), rows, cols, ld),
            "block: {} elements, too few for {rows}×{cols} with stride {ld}",
            data.len()
        );
        BlockMut { ptr: data.as_mut_ptr(), rows, cols, ld, _borrow: PhantomData }
    }

    /// The number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The number of columns.
    pub fn cols(&self) -> usize {
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
    pub fn reborrow(&mut self) -> BlockMut<'_, T> {
        BlockMut { ptr: self.ptr, rows: self.rows, cols: self.cols, ld: self.ld, _borrow: PhantomData }
    }

    /// Row `i` of the block (its `cols` elements).
    ///
    /// # Panics
    /// If `i >= rows`.
    #[track_caller]
    pub fn row(&mut self, i: usize) -> &mut [T] {
        assert!(i < self.rows, "block: row {i} of {}", self.rows);
        // SAFETY: row i < rows of the block is `cols` elements from `ptr + i·ld`, inside
        // the slice `new` checked (or the block this one was split from), and no other
        // block holds them; the returned borrow keeps `self` borrowed while it lives.
        unsafe { core::slice::from_raw_parts_mut(self.ptr.add(i * self.ld), self.cols) }
    }

    /// The block cut before column `j`: columns `..j` and columns `j..`.
    ///
    /// # Panics
    /// If `j > cols`.
    #[track_caller]
    pub fn split_at_col(self, j: usize) -> (Self, Self) {
        assert!(j <= self.cols, "block: column {j} of {}", self.cols);
        let BlockMut { ptr, rows, cols, ld, .. } = self;
        // With no rows there is nothing to point at; keep the pointer as it is.
        let right = if rows == 0 { ptr } else { ptr.wrapping_add(j) };
        (
            BlockMut { ptr, rows, cols: j, ld, _borrow: PhantomData },
            BlockMut { ptr: right, rows, cols: cols - j, ld, _borrow: PhantomData },
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
        let block = BlockMut::new(&mut data, 3, 5, 6);
        let (mut left, right) = block.split_at_col(2);
        let (mut middle, mut last) = right.split_at_col(2);
        assert_eq!((left.cols(), middle.cols(), last.cols()), (2, 2, 1));
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
        let _ = BlockMut::new(&mut data, 2, 5, 6);
    }
}
