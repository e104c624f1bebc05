//! The training hot path allocates nothing once its workspaces are sized: forward,
//! backward and step reuse buffers from the first step on.

use backprop::{Activation, Matrix, Network};

#[path = "common/counting.rs"]
mod counting;

use counting::allocations_in;

#[global_allocator]
static GLOBAL: counting::Counting = counting::Counting;

fn check(batch: usize) {
    let mut net: Network<f32> =
        Network::builder(784).layer(100, Activation::Sigmoid).layer(10, Activation::Sigmoid).seed(3).build().unwrap();
    let x = Matrix::from_fn(batch, 784, |i, j| ((i * 31 + j * 7) % 256) as f32 / 255.0);
    let y = Matrix::from_fn(batch, 10, |i, j| if i % 10 == j { 1.0 } else { 0.0 });
    // The first step of each path sizes its workspaces (`train_batch` does not keep the
    // copy of the input that `forward_batch` keeps for `backward_batch`).
    // That first step does allocate, which shows the counter sees this thread's
    // allocations: a count of 0 below means something.
    let first = allocations_in(|| net.train_batch(&x, &y, 0.5).unwrap());
    assert!(first > 0, "batch {batch}: the first step sized no workspace?");
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
