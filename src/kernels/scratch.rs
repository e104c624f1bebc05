//! Per-thread scratch memory for packed panels and gathered vectors, grown once and reused,
//! so that after the first call at a given shape the kernels do not allocate.

use core::cell::RefCell;

/// Alignment, in bytes, of the scratch slices handed out: one cache line (and one AVX-512
/// register), so packed panels start on a line and full-register loads never split one.
const ALIGN: usize = 64;

/// An element type with a per-thread scratch buffer.
pub trait Scratch: Sized + Copy + 'static {
    /// Runs `f` on a scratch slice of `len` elements whose first element is 64-byte
    /// aligned. The contents are unspecified (left over from earlier calls).
    ///
    /// The buffer belongs to the calling thread and grows to the largest `len` asked for,
    /// never shrinking. A nested call on the same thread (which the kernels never make)
    /// gets a fresh, temporary allocation instead of panicking.
    fn with_scratch<R>(len: usize, f: impl FnOnce(&mut [Self]) -> R) -> R;
}

macro_rules! impl_scratch {
    ($t:ident, $buf:ident) => {
        thread_local! {
            static $buf: RefCell<Vec<$t>> = const { RefCell::new(Vec::new()) };
        }

        impl Scratch for $t {
            fn with_scratch<R>(len: usize, f: impl FnOnce(&mut [$t]) -> R) -> R {
                let pad = ALIGN / size_of::<$t>();
                $buf.with(|cell| match cell.try_borrow_mut() {
                    Ok(mut buf) => {
                        if buf.len() < len + pad {
                            buf.resize(len + pad, 0.0);
                        }
                        let start = buf.as_ptr().align_offset(ALIGN).min(pad);
                        f(&mut buf[start..start + len])
                    }
                    Err(_) => f(&mut vec![0.0; len]),
                })
            }
        }
    };
}

impl_scratch!(f32, SCRATCH_F32);
impl_scratch!(f64, SCRATCH_F64);
