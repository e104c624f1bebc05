//! The training loop allocates nothing per batch once its first epoch has sized every
//! workspace: between two consecutive batches of a later epoch, the count stays at 0.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use backprop::{
    Activation, Adam, BatchInfo, Callback, Control, Dataset, Diagnostics, Matrix, Network, Trainer, ValidationSet,
};

/// Counts the allocations and reallocations of the current thread.
struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn count() {
    // `try_with`: the thread-local may be gone while a thread shuts down.
    let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
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

/// Records the allocations made between consecutive batches of the same epoch.
#[derive(Default)]
struct Between {
    last: Option<(usize, usize)>,
    counts: Vec<(usize, usize, usize)>,
}

impl Callback for Between {
    fn on_batch_end(&mut self, b: &BatchInfo) -> Control {
        let now = ALLOCATIONS.with(Cell::get);
        if let Some((_, at)) = self.last.filter(|&(epoch, _)| epoch == b.epoch && b.epoch >= 1) {
            self.counts.push((b.epoch, b.batch, now - at));
        }
        // The vector's own growth is not the loop's: count from after it.
        self.counts.reserve(1);
        self.last = Some((b.epoch, ALLOCATIONS.with(Cell::get)));
        Control::Continue
    }
}

#[test]
fn no_allocation_per_batch_after_the_first_epoch() {
    let n = 103; // a short last batch
    let inputs = Matrix::from_fn(n, 8, |i, j| ((i * 7 + j * 3) % 11) as f32 / 11.0);
    let labels: Vec<usize> = (0..n).map(|i| i % 3).collect();
    let data = Dataset::from_labels(inputs, &labels, 3).unwrap();
    let mut net: Network<f32> =
        Network::builder(8).layer(16, Activation::Sigmoid).layer(3, Activation::Sigmoid).seed(1).build().unwrap();
    let mut between = Between::default();
    between.counts.reserve(1000);
    Trainer::new(Adam::new(0.01f32).unwrap())
        .epochs(3)
        .batch_size(10)
        .validation(ValidationSet::Fraction(0.2))
        .diagnostics(Diagnostics::PerEpoch)
        .callback(&mut between)
        .fit(&mut net, &data)
        .unwrap();
    assert_eq!(between.counts.len(), 2 * 8, "two later epochs of 9 batches each: 8 gaps each");
    for &(epoch, batch, count) in &between.counts {
        assert_eq!(count, 0, "epoch {epoch}, batch {batch}: {count} heap allocations");
    }
}
