//! The memory that reading and saving take: a CSV line of megabytes costs a small
//! multiple of its longest field, as `read_csv` documents, and a save leaves nothing
//! allocated behind.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use backprop::{Activation, CsvOptions, Network, read_csv};

/// Forwards to the system allocator and keeps, per thread (so that the test harness's
/// threads do not disturb a measurement), the bytes allocated and not yet freed and the
/// most there have been. A reallocation counts as the new block allocated before the
/// old one is freed: the most it can take.
struct Tracking;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

/// Counts `allocated` bytes, then `freed` bytes given back.
fn track(allocated: usize, freed: usize) {
    // `try_with`: the thread-locals may be gone while a thread shuts down.
    let _ = LIVE.try_with(|live| {
        let now = live.get() + allocated as isize;
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
        live.set(now - freed as isize);
    });
}

// SAFETY: every call is forwarded unchanged to the system allocator, which upholds the
// `GlobalAlloc` contract; the counters have no effect on the memory handed out.
unsafe impl GlobalAlloc for Tracking {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        track(layout.size(), 0);
        // SAFETY: the caller's guarantees for `alloc` are passed on as they are.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        track(0, layout.size());
        // SAFETY: `ptr` came from `System` with this layout (every allocation does).
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        track(new_size, layout.size());
        // SAFETY: as for `dealloc`, and the caller's guarantees on `new_size` hold.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Tracking = Tracking;

/// The bytes this thread has allocated and not freed.
fn live() -> isize {
    LIVE.with(Cell::get)
}

/// Runs `f` and returns its result and the most bytes it held at once, beyond what the
/// thread held before.
fn peak_of<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let before = live();
    PEAK.with(|p| p.set(before));
    let result = f();
    (result, (PEAK.with(Cell::get) - before) as usize)
}

/// What `read_csv` documents: besides the table, at most 3 × the longest field plus
/// its 8 KiB read buffer. The table's values grow by doubling in one `Vec`, so they
/// take at most 3 × their final size at once.
fn bound(longest_field: usize, values: usize) -> usize {
    3 * longest_field + 8 * 1024 + 3 * values * size_of::<f64>()
}

#[test]
fn a_long_csv_line_costs_a_small_multiple_of_its_longest_field() {
    // One 4 MB line of 4096 fields, each a number padded to 1 KiB, between two short lines.
    let field = format!("{:<1023}", "0.5");
    let long_line = vec![field.as_str(); 4096].join(",");
    let width = 4096;
    let short_line = vec!["1"; width].join(",");
    let text = format!("{short_line}\n{long_line}\n{short_line}\n");
    assert!(long_line.len() > 4_000_000);
    let (table, peak) = peak_of(|| read_csv::<f64>(text.as_bytes(), &CsvOptions::new()).unwrap());
    assert_eq!(table.values.shape(), (3, width));
    assert_eq!(table.values.row(1)[width - 1], 0.5);
    let allowed = bound(field.len(), 3 * width);
    assert!(peak <= allowed, "reading a {} byte line took {peak} bytes, more than {allowed}", long_line.len());
    drop(table);

    // One field of 4 MB, a number too large for f64: the message quotes 80 characters,
    // and the field is gathered once, never copied again.
    let huge = format!("1,1{}", "0".repeat(4_000_000));
    let (e, peak) = peak_of(|| read_csv::<f64>(huge.as_bytes(), &CsvOptions::new()).unwrap_err().to_string());
    assert!(e.ends_with(&format!("\"1{}\"… is out of range for f64", "0".repeat(79))), "{e}");
    let allowed = bound(huge.len() - 2, 1);
    assert!(peak <= allowed, "reading a {} byte field took {peak} bytes, more than {allowed}", huge.len() - 2);
}

#[test]
fn saving_a_network_leaves_nothing_allocated() {
    let net = Network::<f32>::builder(3).layer(4, Activation::Tanh).layer(2, Activation::Sigmoid).build().unwrap();
    let dir = std::env::temp_dir().join(format!("backprop-io-memory-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("net.safetensors");
    // The first save may set up what the process keeps for good.
    net.save(&path).unwrap();
    let before = live();
    for _ in 0..10 {
        net.save(&path).unwrap();
    }
    let after = live();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(after - before, 0, "10 saves left {} bytes allocated", after - before);
}
