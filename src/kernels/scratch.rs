//! Per-thread scratch memory for packed panels and gathered vectors, grown once and reused,
//! so that after the first call at a given shape the kernels do not allocate.
//!
//! [`scratch`] lends the calling thread's buffer out as a [`ScratchBuf`] and takes it back
//! when that is dropped. (A closure-based `with` would not do: the SIMD kernels must run
//! in the body of their `#[target_feature]` function, not in a closure compiled without
//! those features.)

use core::cell::Cell;
use core::ops::{Deref, DerefMut};

/// Alignment, in bytes, of the scratch slices handed out: one cache line (and one AVX-512
/// register), so packed panels start on a line and full-register loads never split one.
const ALIGN: usize = 64;

/// A value only this module can make: the methods of [`Scratch`] take one, so that they
/// cannot be called through a public `T: Float` bound, whose sealed supertraits include
/// this trait.
pub struct Token(());

/// An element type with a per-thread scratch buffer.
pub trait Scratch: Sized + Copy + 'static {
    /// Takes the calling thread's buffer, leaving an empty one in its place.
    fn take_buffer(_: Token) -> Vec<Self>;
    /// Gives a buffer back to the calling thread, keeping the larger of it and the one
    /// there now.
    fn return_buffer(_: Token, buf: Vec<Self>);
    /// The value new scratch elements start with.
    const FILL: Self;
}

/// A scratch slice on loan from the calling thread's buffer; returned to it on drop.
pub struct ScratchBuf<T: Scratch> {
    buf: Vec<T>,
    start: usize,
    len: usize,
}

/// A scratch slice of `len` elements whose first element is 64-byte aligned, with
/// unspecified contents (left over from earlier calls).
///
/// The thread's buffer grows to the largest `len` asked for and never shrinks, so once a
/// shape has been seen the call does not allocate. A nested call on the same thread finds
/// the buffer lent out and allocates a temporary one (the kernels never nest calls).
pub fn scratch<T: Scratch>(len: usize) -> ScratchBuf<T> {
    let pad = ALIGN / size_of::<T>();
    let mut buf = T::take_buffer(Token(()));
    if buf.len() < len + pad {
        buf.resize(len + pad, T::FILL);
    }
    let start = buf.as_ptr().align_offset(ALIGN).min(pad);
    ScratchBuf { buf, start, len }
}

impl<T: Scratch> Deref for ScratchBuf<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.buf[self.start..self.start + self.len]
    }
}

impl<T: Scratch> DerefMut for ScratchBuf<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        &mut self.buf[self.start..self.start + self.len]
    }
}

impl<T: Scratch> Drop for ScratchBuf<T> {
    fn drop(&mut self) {
        T::return_buffer(Token(()), core::mem::take(&mut self.buf));
    }
}

macro_rules! impl_scratch {
    ($t:ident, $buf:ident) => {
        thread_local! {
            static $buf: Cell<Vec<$t>> = const { Cell::new(Vec::new()) };
        }

        impl Scratch for $t {
            const FILL: $t = 0.0;

            fn take_buffer(_: Token) -> Vec<$t> {
                $buf.take()
            }

            fn return_buffer(_: Token, buf: Vec<$t>) {
                let current = $buf.take();
                $buf.set(if current.len() > buf.len() { current } else { buf });
            }
        }
    };
}

impl_scratch!(f32, SCRATCH_F32);
impl_scratch!(f64, SCRATCH_F64);
