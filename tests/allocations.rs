//! The training hot path allocates nothing once its workspaces are sized: forward,
//! backward and step reuse buffers from the first step on, and so do the fused step's
//! checked form and a refused step.

use backprop::{Activation, Cost, Error, Layer, Matrix, Network, Vector};

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

#[test]
fn a_checked_or_refused_fused_step_allocates_nothing_after_the_first() {
    // Weights of 10³⁷, past the 2¹²⁰ up to which the fused step proves itself safe: each
    // step is copied and checked (and the saturated sigmoids keep it finite).
    let big = Matrix::from_fn(16, 8, |i, j| if (i + j) % 2 == 0 { 1e37f32 } else { -1e37 });
    let hidden = Layer::new(big, Vector::zeros(16), Activation::Sigmoid).unwrap();
    let output =
        Layer::new(Matrix::from_fn(2, 16, |i, j| (i + j) as f32 / 32.0), Vector::zeros(2), Activation::Sigmoid);
    let mut net = Network::from_layers(vec![hidden, output.unwrap()], Cost::Quadratic).unwrap();
    let x = Matrix::from_fn(4, 8, |i, j| ((i + 2 * j) % 5) as f32 / 5.0);
    let y = Matrix::from_fn(4, 2, |i, j| ((i + j) % 2) as f32);
    assert!(allocations_in(|| net.train_batch(&x, &y, 0.5).unwrap()) > 0, "the first step sizes the buffers");
    for step in 0..3 {
        let n = allocations_in(|| net.train_batch(&x, &y, 0.5).unwrap());
        assert_eq!(n, 0, "checked step {step}: {n} heap allocations");
    }

    // y = −x at x = 10¹⁵ with α = 10¹⁰: the step would overflow f32 and is refused.
    let mut net: Network<f32> = Network::builder(1).layer(1, Activation::Identity).seed(3).build().unwrap();
    let (x, y) = (Matrix::from_fn(1, 1, |_, _| 1e15f32), Matrix::from_fn(1, 1, |_, _| -1e15f32));
    for step in 0..3 {
        let n = allocations_in(|| {
            assert!(matches!(net.train_batch(&x, &y, 1e10), Err(Error::NonFiniteUpdate { .. })));
        });
        if step > 0 {
            assert_eq!(n, 0, "refused step {step}: {n} heap allocations");
        }
    }
}
