//! Threads: the persistent worker pool, the rule that cuts a batch or a product into
//! blocks of rows, and the sizes from which splitting work pays.
//!
//! Every threaded computation of the crate — the row blocks of a data-parallel training
//! step, the blocks of a threaded matrix product, the batch gather and the input check —
//! cuts its rows with [`row_blocks`] and runs its blocks with [`run`]. No element is
//! summed by two threads, so results do not depend on the thread count.

#[allow(unsafe_code)] // the pool lends the caller's jobs to its threads (see `run`)
mod pool;

/// Runs every job, the first on the calling thread and the others on the persistent
/// worker threads, and returns when all have finished (a panic in a job is resumed here).
pub fn run(jobs: &mut [&mut (dyn FnMut() + Send)]) {
    pool::run(jobs);
}

/// A batch of at least this many values (64 Ki: 256 KiB of `f32`, 84 MNIST images) is
/// copied or checked on several threads (the `Batcher`'s gather and the network's input
/// check); below it, handing half of it to another thread costs about what it saves.
pub const THREADED_VALUES_MIN: usize = 64 * 1024;

/// Products below this many floating-point operations (2·m·k·n) run on the calling
/// thread. Handing a block to a worker and joining it costs tens of microseconds;
/// measured here, a second thread only paid off for products of tens of MFLOP (a 128³
/// product, 4 MFLOP and about 30 µs on one core, ran slower on two), so the split starts
/// at 16 MFLOP, about 100 µs of work.
pub const THREADED_MIN_FLOPS: usize = 16_000_000;

/// Blocks of rows ([`row_blocks`]) start on multiples of this: small enough that two
/// workers get nearly equal shares of the 100 or 128 rows of a training product (52 + 48,
/// 64 + 64), where a coarser rounding left one worker most of the work.
const THREADED_ROW_ALIGN: usize = 4;

/// Where `rows` rows are cut into at most `parts` blocks for the threads of a data-parallel
/// step or of a threaded product: rows `cuts[i]..cuts[i + 1]` form block i; every block
/// starts on a multiple of 4 rows. The batch gather, the input check and the passes of a
/// training step all cut a batch here, so each thread finds its rows in its own cache.
pub fn row_blocks(rows: usize, parts: usize) -> Vec<usize> {
    let align = THREADED_ROW_ALIGN;
    let blocks = parts.clamp(1, rows.div_ceil(align).max(1));
    let mut cuts: Vec<usize> = (0..blocks).map(|i| (rows * i / blocks).next_multiple_of(align).min(rows)).collect();
    cuts.push(rows);
    cuts.dedup();
    cuts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_blocks_cover_the_rows_in_aligned_blocks() {
        for rows in [0, 1, 3, 4, 5, 100, 128, 301] {
            for parts in [1, 2, 3, 4, 8, 200] {
                let cuts = row_blocks(rows, parts);
                assert_eq!((cuts[0], *cuts.last().unwrap()), (0, rows), "{rows} rows, {parts} parts");
                assert!(cuts.len() - 1 <= parts.max(1), "{rows} rows, {parts} parts: {cuts:?}");
                for w in cuts.windows(2) {
                    assert!(w[0] < w[1] || rows == 0, "{rows} rows, {parts} parts: {cuts:?}");
                    assert_eq!(w[0] % THREADED_ROW_ALIGN, 0, "{rows} rows, {parts} parts: {cuts:?}");
                }
            }
        }
        // Two workers share a training batch's 100 rows nearly equally.
        assert_eq!(row_blocks(100, 2), [0, 52, 100]);
    }
}
