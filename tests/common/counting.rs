//! A global allocator that counts the allocations and reallocations of each thread, for
//! the tests that show the training hot path allocates nothing. A test binary installs it
//! with `#[global_allocator] static GLOBAL: counting::Counting = counting::Counting;`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// Forwards to the system allocator and counts, per thread, so that the test harness's
/// own threads do not disturb a count.
pub struct Counting;

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

/// The allocations and reallocations this thread has made so far.
#[allow(dead_code)] // not every test binary uses both functions
pub fn allocated_so_far() -> usize {
    ALLOCATIONS.with(Cell::get)
}

/// The allocations and reallocations this thread makes while running `f`.
#[allow(dead_code)]
pub fn allocations_in(f: impl FnOnce()) -> usize {
    let before = allocated_so_far();
    f();
    allocated_so_far() - before
}
