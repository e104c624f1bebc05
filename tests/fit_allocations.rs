//! The training loop allocates nothing per batch once its first epoch has sized every
//! workspace: between two consecutive batches of a later epoch, the count stays at 0.

use backprop::{
    Activation, Adam, BatchInfo, Callback, Control, Dataset, Diagnostics, Matrix, Network, Optimizer, Sgd, Trainer,
    ValidationSet,
};

#[path = "common/counting.rs"]
mod counting;

#[global_allocator]
static GLOBAL: counting::Counting = counting::Counting;

/// Records the allocations made between consecutive batches of the same epoch.
#[derive(Default)]
struct Between {
    last: Option<(usize, usize)>,
    counts: Vec<(usize, usize, usize)>,
}

impl Callback for Between {
    fn on_batch_end(&mut self, b: &BatchInfo) -> Control {
        let now = counting::allocated_so_far();
        if let Some((_, at)) = self.last.filter(|&(epoch, _)| epoch == b.epoch && b.epoch >= 1) {
            self.counts.push((b.epoch, b.batch, now - at));
        }
        // The vector's own growth is not the loop's: count from after it.
        self.counts.reserve(1);
        self.last = Some((b.epoch, counting::allocated_so_far()));
        Control::Continue
    }
}

#[test]
fn no_allocation_per_batch_after_the_first_epoch() {
    // Adam with diagnostics forms the gradient; plain SGD takes the fused step.
    no_allocation_per_batch(Adam::new(0.01f32).unwrap(), Diagnostics::PerEpoch);
    no_allocation_per_batch(Sgd::new(0.5f32).unwrap(), Diagnostics::Off);
}

fn no_allocation_per_batch(optimizer: impl Optimizer<f32>, diagnostics: Diagnostics) {
    let n = 103; // a short last batch
    let inputs = Matrix::from_fn(n, 8, |i, j| ((i * 7 + j * 3) % 11) as f32 / 11.0);
    let labels: Vec<usize> = (0..n).map(|i| i % 3).collect();
    let data = Dataset::from_labels(inputs, &labels, 3).unwrap();
    let mut net: Network<f32> =
        Network::builder(8).layer(16, Activation::Sigmoid).layer(3, Activation::Sigmoid).seed(1).build().unwrap();
    let mut between = Between::default();
    between.counts.reserve(1000);
    Trainer::new(optimizer)
        .diagnostics(diagnostics)
        .epochs(3)
        .batch_size(10)
        .validation(ValidationSet::Fraction(0.2))
        .callback(&mut between)
        .fit(&mut net, &data)
        .unwrap();
    assert_eq!(between.counts.len(), 2 * 8, "two later epochs of 9 batches each: 8 gaps each");
    for &(epoch, batch, count) in &between.counts {
        assert_eq!(count, 0, "epoch {epoch}, batch {batch}: {count} heap allocations");
    }
}
