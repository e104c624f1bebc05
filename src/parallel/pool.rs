//! A small pool of persistent worker threads for [`run`]: the threaded matrix products
//! reuse the same threads (and so their packing scratch) from call to call, where
//! `std::thread::scope` would start new threads, with empty scratch, every time.

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock, TryLockError};
use std::thread;
use std::time::{Duration, Instant};

/// How long a worker that has just finished a job, or a caller waiting for a worker,
/// polls before it sleeps on the condition variable. Waking a sleeping thread costs tens
/// of microseconds on a virtual machine, as much as a whole threaded product of a
/// mini-batch; training steps come back sooner than this, so between steps the worker is
/// still polling when the next job arrives.
const SPIN: Duration = Duration::from_micros(200);

/// Polls `ready` for up to [`SPIN`]; true as soon as it is set.
fn spin_until(ready: &AtomicBool) -> bool {
    let start = Instant::now();
    loop {
        for _ in 0..64 {
            if ready.load(Ordering::Acquire) {
                return true;
            }
            std::hint::spin_loop();
        }
        if start.elapsed() > SPIN {
            return ready.load(Ordering::Acquire);
        }
    }
}

/// A job lent to a worker: a closure of the caller's, its lifetime erased (see [`run`]).
type Job = &'static mut (dyn FnMut() + Send);

/// What a worker waits on and reports through.
#[derive(Default)]
struct Slot {
    state: Mutex<SlotState>,
    changed: Condvar,
    /// Mirrors `state.job.is_some()`, for the worker to poll without the lock.
    has_job: AtomicBool,
    /// Mirrors `state.finished.is_some()`, for the caller to poll without the lock.
    has_finished: AtomicBool,
}

#[derive(Default)]
struct SlotState {
    job: Option<Job>,
    /// Set when the job has finished; `Some(panic)` if it panicked.
    finished: Option<thread::Result<()>>,
}

/// The workers, started on first use and kept for the life of the process. The mutex
/// also makes parallel regions one at a time: a second caller runs its jobs itself.
fn workers() -> &'static Mutex<Vec<Arc<Slot>>> {
    static WORKERS: OnceLock<Mutex<Vec<Arc<Slot>>>> = OnceLock::new();
    WORKERS.get_or_init(|| Mutex::new(Vec::new()))
}

fn worker_loop(slot: Arc<Slot>) {
    loop {
        spin_until(&slot.has_job);
        let job = {
            let mut state = slot.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            loop {
                if let Some(job) = state.job.take() {
                    slot.has_job.store(false, Ordering::Relaxed);
                    break job;
                }
                state = slot.changed.wait(state).unwrap_or_else(std::sync::PoisonError::into_inner);
            }
        };
        let result = panic::catch_unwind(AssertUnwindSafe(job));
        let mut state = slot.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        state.finished = Some(result);
        slot.has_finished.store(true, Ordering::Release);
        slot.changed.notify_all();
    }
}

/// Runs every job, the first on the calling thread and the others on pool workers, and
/// returns when all have finished. A panic in any job is resumed on the caller after
/// all have finished (the first one's, if several panic).
///
/// If another thread is inside `run` already, the jobs run one after another on the
/// calling thread: the result is the same, only slower.
pub fn run(jobs: &mut [&mut (dyn FnMut() + Send)]) {
    let Some((first, rest)) = jobs.split_first_mut() else { return };
    if rest.is_empty() {
        return first();
    }
    let mut pool = match workers().try_lock() {
        Ok(guard) => guard,
        // A job on the calling thread that panicked unwound through here with the lock
        // held, which poisons it. The pool is whole all the same: the `Waiter` had taken
        // back every lent job before the lock was let go. So take the lock back, rather
        // than read "poisoned" as "busy" and run every later region on one thread.
        Err(TryLockError::Poisoned(poisoned)) => {
            workers().clear_poison();
            poisoned.into_inner()
        }
        Err(TryLockError::WouldBlock) => {
            if let Some(payload) = run_here(core::iter::once(first).chain(rest)) {
                panic::resume_unwind(payload);
            }
            return;
        }
    };
    while pool.len() < rest.len() {
        let slot = Arc::new(Slot::default());
        let worker = Arc::clone(&slot);
        let spawned = thread::Builder::new().name("backprop-worker".into()).spawn(move || worker_loop(worker));
        if spawned.is_err() {
            break; // No more threads to be had: the caller runs the remaining jobs.
        }
        pool.push(slot);
    }
    let lent = rest.len().min(pool.len());
    let (to_workers, to_caller) = rest.split_at_mut(lent);
    // Waits for every lent job in its drop, so that even if a job on this thread panics,
    // no worker can still be using a closure whose borrow has ended.
    let mut waiter = Waiter { slots: &pool[..lent] };
    for (slot, job) in pool.iter().zip(to_workers.iter_mut()) {
        let job: &mut (dyn FnMut() + Send) = &mut **job;
        // SAFETY: the closure is borrowed for the rest of this function only, and the
        // `waiter` (dropped on every way out of the function, panics included) waits
        // until the worker has reported the job finished, after which the worker holds
        // no reference to it. So the erased lifetime never outlives the real borrow.
        let job: Job = unsafe { std::mem::transmute::<&mut (dyn FnMut() + Send), Job>(job) };
        let mut state = slot.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        state.finished = None;
        slot.has_finished.store(false, Ordering::Relaxed);
        state.job = Some(job);
        slot.has_job.store(true, Ordering::Release);
        slot.changed.notify_all();
    }
    let here = run_here(core::iter::once(first).chain(to_caller));
    let lent = waiter.wait();
    drop(waiter);
    drop(pool);
    if let Some(payload) = here.or(lent) {
        panic::resume_unwind(payload);
    }
}

/// Runs every job on the calling thread, each to its end or its panic, and returns the
/// first panic's payload: one failing job does not keep the others from running.
fn run_here<'a, 'b: 'a>(
    jobs: impl IntoIterator<Item = &'a mut &'b mut (dyn FnMut() + Send)>,
) -> Option<Box<dyn std::any::Any + Send>> {
    let mut panicked = None;
    for job in jobs {
        if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(job)) {
            panicked.get_or_insert(payload);
        }
    }
    panicked
}

struct Waiter<'a> {
    slots: &'a [Arc<Slot>],
}

impl Waiter<'_> {
    /// Waits for every slot's job; returns the first panic payload, if any.
    fn wait(&mut self) -> Option<Box<dyn std::any::Any + Send>> {
        let mut panicked = None;
        for slot in self.slots {
            spin_until(&slot.has_finished);
            let mut state = slot.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let result = loop {
                if let Some(result) = state.finished.take() {
                    slot.has_finished.store(false, Ordering::Relaxed);
                    break result;
                }
                state = slot.changed.wait(state).unwrap_or_else(std::sync::PoisonError::into_inner);
            };
            if let Err(payload) = result {
                panicked.get_or_insert(payload);
            }
        }
        self.slots = &[];
        panicked
    }
}

impl Drop for Waiter<'_> {
    fn drop(&mut self) {
        // Only reached with slots left if a job on the calling thread panicked.
        let _ = self.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_job_runs_once_on_borrowed_data() {
        for jobs in 0..6 {
            let mut out = vec![0usize; jobs];
            let mut closures: Vec<Box<dyn FnMut() + Send + '_>> = Vec::new();
            for (i, slot) in out.iter_mut().enumerate() {
                closures.push(Box::new(move || *slot += i + 1));
            }
            let mut refs: Vec<&mut (dyn FnMut() + Send)> = closures.iter_mut().map(|c| &mut **c as _).collect();
            run(&mut refs);
            drop(refs);
            drop(closures);
            assert_eq!(out, (1..=jobs).collect::<Vec<_>>());
        }
    }

    #[test]
    fn a_panic_on_the_calling_thread_leaves_the_pool_in_use() {
        let result = panic::catch_unwind(|| {
            let mut j0 = || panic!("the caller's job fails");
            let mut j1 = || {};
            run(&mut [&mut j0, &mut j1]);
        });
        assert!(result.is_err());
        // A later region still hands its second job to a worker. Other tests share the
        // pool, and a region that finds it busy runs on the caller, so try a few times.
        let caller = thread::current().id();
        let on_a_worker = (0..200).any(|_| {
            let mut ran_on = None;
            let mut j0 = || {};
            let mut j1 = || ran_on = Some(thread::current().id());
            run(&mut [&mut j0, &mut j1]);
            let elsewhere = ran_on.is_some_and(|id| id != caller);
            if !elsewhere {
                thread::sleep(Duration::from_millis(5));
            }
            elsewhere
        });
        assert!(on_a_worker, "after a panic every region ran on the calling thread");
    }

    #[test]
    fn a_panicking_job_is_resumed_after_all_finished() {
        let mut done = [false; 3];
        let [a, b, c] = &mut done;
        let mut j0 = || *a = true;
        let mut j1 = || panic!("job 1 fails");
        let mut j2 = || *c = true;
        let _ = b;
        let result = panic::catch_unwind(AssertUnwindSafe(|| {
            run(&mut [&mut j0, &mut j1, &mut j2]);
        }));
        assert!(result.is_err());
        assert!(done[0] && done[2], "the other jobs still ran");
        // The pool is usable afterwards.
        let mut x = 0;
        let mut j = || x += 1;
        let mut k = || {};
        run(&mut [&mut j, &mut k]);
        assert_eq!(x, 1);
    }
}
