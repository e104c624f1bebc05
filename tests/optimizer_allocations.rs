//! The optimisers allocate nothing after their first step: moments and velocities are
//! sized once, with the network's update buffers, then written alternately into two sets
//! of buffers; a refused step allocates nothing either.

use backprop::{
    Activation, Adam, AdamW, Clipped, Error, Matrix, Momentum, MomentumKind, Network, Optimizer, RmsProp, Sgd,
};

#[path = "common/counting.rs"]
mod counting;

use counting::allocations_in;

#[global_allocator]
static GLOBAL: counting::Counting = counting::Counting;

/// Checks that steps after the first allocate nothing; returns the first step's count.
fn check(name: &str, mut optimizer: impl Optimizer<f32>) -> usize {
    let mut net: Network<f32> =
        Network::builder(784).layer(100, Activation::Sigmoid).layer(10, Activation::Sigmoid).seed(3).build().unwrap();
    let x = Matrix::from_fn(32, 784, |i, j| ((i * 31 + j * 7) % 256) as f32 / 255.0);
    let y = Matrix::from_fn(32, 10, |i, j| if i % 10 == j { 1.0 } else { 0.0 });
    // The first step sizes the workspaces and the optimiser's state.
    net.forward_batch(&x).unwrap();
    net.backward_batch(&y).unwrap();
    let first = allocations_in(|| net.step_with(&mut optimizer).unwrap());
    for step in 0..3 {
        let n = allocations_in(|| {
            net.forward_batch(&x).unwrap();
            net.backward_batch(&y).unwrap();
            net.step_with(&mut optimizer).unwrap();
            optimizer.set_learning_rate(0.001).unwrap();
        });
        assert_eq!(n, 0, "{name}, step {step}: {n} heap allocations");
    }
    first
}

#[test]
fn an_optimiser_step_allocates_nothing_after_the_first() {
    // Plain gradient descent keeps no state: its first step sizes the network's update
    // buffers only, a weight matrix and a bias vector per layer.
    assert_eq!(check("sgd", Sgd::new(0.1).unwrap().weight_decay(1e-4).unwrap()), 4);
    check("nesterov", Momentum::new(0.1).unwrap().kind(MomentumKind::Nesterov));
    check("rmsprop", RmsProp::new(0.001).unwrap());
    let first = check("adam", Adam::new(0.001).unwrap().weight_decay(1e-4).unwrap());
    assert!(first > 0, "the first step sizes the moments (and shows the counter counts)");
    check("adamw", AdamW::new(0.001).unwrap());
    check("clipped adam", Clipped::new(Adam::new(0.001).unwrap(), 1.0).unwrap());
}

#[test]
fn a_refused_step_allocates_nothing_after_the_first() {
    // y = −x at x = 10¹⁵: the gradient is about 10³⁰ and α = 10¹⁰ overflows f32.
    let mut net: Network<f32> = Network::builder(1).layer(1, Activation::Identity).seed(3).build().unwrap();
    let mut adam = Adam::new(1e10f32).unwrap();
    let mut sgd = Sgd::new(1e10f32).unwrap();
    for step in 0..3 {
        let mut refused = |optimizer: &mut dyn Optimizer<f32>| {
            net.forward(&[1e15]).unwrap();
            net.backward(&[-1e15]).unwrap();
            allocations_in(|| assert!(matches!(net.step_with(optimizer), Err(Error::NonFiniteUpdate { .. }))))
        };
        let (a, s) = (refused(&mut adam), refused(&mut sgd));
        if step > 0 {
            assert_eq!((a, s), (0, 0), "step {step}: adam {a}, sgd {s} heap allocations");
        }
    }
}
