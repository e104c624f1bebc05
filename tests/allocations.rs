//! The training hot path allocates nothing once its workspaces are sized: forward,
//! backward and step reuse buffers from the first step on.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

use backprop::{Activation, Matrix, Network};

/// Counts the allocations and reallocations made by threads that turned counting on, so
/// that the test harness's own threads do not disturb the count.
struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
}

fn count() {
    if COUNTING.with(Cell::get) {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    }
}

// SAFETY: every call is forwarded unchanged to the system allocator, which upholds the
// `GlobalAlloc` contract; the counter has no effect on the memory handed out.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: the caller's guarantees for `alloc` are passed on as they are.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this layout (every allocation does).
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: as for `dealloc`, and the caller's guarantees on `new_size` hold.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations_in(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.load(Ordering::SeqCst);
    COUNTING.with(|c| c.set(true));
    f();
    COUNTING.with(|c| c.set(false));
    ALLOCATIONS.load(Ordering::SeqCst) - before
}

fn check(batch: usize) {
    let mut net: Network<f32> =
        Network::builder(784).layer(100, Activation::Sigmoid).layer(10, Activation::Sigmoid).seed(3).build().unwrap();
    let x = Matrix::from_fn(batch, 784, |i, j| ((i * 31 + j * 7) % 256) as f32 / 255.0);
    let y = Matrix::from_fn(batch, 10, |i, j| if i % 10 == j { 1.0 } else { 0.0 });
    // The first step of each path sizes its workspaces (`train_batch` does not keep the
    // copy of the input that `forward_batch` keeps for `backward_batch`).
    net.train_batch(&x, &y, 0.5).unwrap();
    net.forward_batch(&x).unwrap();
    net.backward_batch(&y).unwrap();
    net.step(0.5).unwrap();
    for step in 0..5 {
        let n = allocations_in(|| {
            net.forward_batch(&x).unwrap();
            net.backward_batch(&y).unwrap();
            net.step(0.5).unwrap();
        });
        assert_eq!(n, 0, "batch {batch}, step {step}: {n} heap allocations");
        let n = allocations_in(|| net.train_batch(&x, &y, 0.5).unwrap());
        assert_eq!(n, 0, "batch {batch}, train_batch {step}: {n} heap allocations");
    }
    if batch == 1 {
        let n = allocations_in(|| {
            net.forward(x.row(0)).unwrap();
            net.backward(y.row(0)).unwrap();
            net.step(0.5).unwrap();
        });
        assert_eq!(n, 0, "per-sample step: {n} heap allocations");
    }
}

#[test]
fn a_training_step_allocates_nothing_after_the_first() {
    check(1);
    check(32);
}
