//! Per-thread scratch memory for packed panels and gathered vectors, grown once and reused,
//! so that after the first call at a given shape the kernels do not allocate.
//!
//! [`scratch`] lends the calling thread's buffer out as a [`ScratchBuf`] and takes it back
//! when that is dropped. (A closure-based `with` would not do: the SIMD kernels must run
//! in the body of their `#[target_feature]` function, not in a closure compiled without
//! those features.)

use core::any::Any;
use core::cell::Cell;
use core::ops::{Deref, DerefMut};

use crate::Float;

/// Alignment, in bytes, of the scratch slices handed out: one cache line (and one AVX-512
/// register), so packed panels start on a line and full-register loads never split one.
const ALIGN: usize = 64;

/// A scratch slice on loan from the calling thread's buffer; returned to it on drop.
pub struct ScratchBuf<T: Float> {
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
pub fn scratch<T: Float>(len: usize) -> ScratchBuf<T> {
    let pad = ALIGN / size_of::<T>();
    let mut buf = take_buffer::<T>();
    if buf.len() < len + pad {
        buf.resize(len + pad, T::ZERO);
    }
    let start = buf.as_ptr().align_offset(ALIGN).min(pad);
    ScratchBuf { buf, start, len }
}

impl<T: Float> Deref for ScratchBuf<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.buf[self.start..self.start + self.len]
    }
}

impl<T: Float> DerefMut for ScratchBuf<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        &mut self.buf[self.start..self.start + self.len]
    }
}

impl<T: Float> Drop for ScratchBuf<T> {
    fn drop(&mut self) {
        return_buffer(core::mem::take(&mut self.buf));
    }
}

thread_local! {
    static SCRATCH_F32: Cell<Vec<f32>> = const { Cell::new(Vec::new()) };
    static SCRATCH_F64: Cell<Vec<f64>> = const { Cell::new(Vec::new()) };
}

/// The calling thread's buffer of `T`s, `f32` or `f64` (the only two [`Float`] types); an
/// empty one is left in its place. (`Any` picks the buffer by type, in safe code; the
/// test is on constants and folds away.)
fn take_buffer<T: Float>() -> Vec<T> {
    let mut buf = Vec::<T>::new();
    let any: &mut dyn Any = &mut buf;
    if let Some(buf) = any.downcast_mut::<Vec<f32>>() {
        *buf = SCRATCH_F32.take();
    } else if let Some(buf) = any.downcast_mut::<Vec<f64>>() {
        *buf = SCRATCH_F64.take();
    }
    buf
}

/// Gives a buffer back to the calling thread, keeping the larger of it and the one there
/// now.
fn return_buffer<T: Float>(buf: Vec<T>) {
    fn keep_larger<E>(slot: &'static std::thread::LocalKey<Cell<Vec<E>>>, buf: Vec<E>) {
        let current = slot.take();
        slot.set(if current.len() > buf.len() { current } else { buf });
    }
    let mut buf = Some(buf);
    let any: &mut dyn Any = &mut buf;
    if let Some(buf) = any.downcast_mut::<Option<Vec<f32>>>() {
        keep_larger(&SCRATCH_F32, buf.take().unwrap_or_default());
    } else if let Some(buf) = any.downcast_mut::<Option<Vec<f64>>>() {
        keep_larger(&SCRATCH_F64, buf.take().unwrap_or_default());
    }
}
