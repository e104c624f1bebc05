//! Fixtures for the optimisers' tests: a tiny network with known parameters and gradients.

use crate::{Activation, Cost, Error, Layer, Matrix, Network, Optimizer, Vector};

/// A 2 → 2 sigmoid layer with hand-picked weights and biases.
pub(super) fn network() -> Network<f64> {
    let weights = Matrix::new(2, 2, vec![0.5, -0.25, 0.125, 1.0]).unwrap();
    let biases = Vector::from(vec![0.1, -0.2]);
    Network::from_layers(vec![Layer::new(weights, biases, Activation::Sigmoid).unwrap()], Cost::Quadratic).unwrap()
}

/// Every tensor's values in visiting order: [w(0), b(0), w(1), b(1), …].
pub(super) fn values(net: &Network<f64>) -> Vec<Vec<f64>> {
    net.layers().iter().flat_map(|l| [l.weights().as_slice().to_vec(), l.biases().to_vec()]).collect()
}

/// Runs one sample forward and backward and returns the mean gradients, in the same
/// order as [`values`].
pub(super) fn backprop(net: &mut Network<f64>, x: &[f64], y: &[f64]) -> Vec<Vec<f64>> {
    net.forward(x).unwrap();
    net.backward(y).unwrap();
    net.gradients().unwrap().iter().flat_map(|g| [g.weights.as_slice().to_vec(), g.biases.to_vec()]).collect()
}

/// Backpropagates the fixed sample and steps; returns (θ before, g, θ after).
pub(super) fn step(net: &mut Network<f64>, optimizer: &mut impl Optimizer<f64>) -> Step {
    let before = values(net);
    let grads = backprop(net, &[1.0, -2.0], &[0.0, 1.0]);
    net.step_with(optimizer).unwrap();
    Step { before, grads, after: values(net) }
}

/// One step seen from outside.
pub(super) struct Step {
    pub(super) before: Vec<Vec<f64>>,
    pub(super) grads: Vec<Vec<f64>>,
    pub(super) after: Vec<Vec<f64>>,
}

/// A network whose gradient is exactly 0: the targets are its own outputs.
pub(super) fn zero_gradient_step(optimizer: &mut impl Optimizer<f64>) -> Step {
    let mut net = network();
    let x = [1.0, -2.0];
    let y = net.predict(&x).unwrap().to_vec();
    let before = values(&net);
    let grads = backprop(&mut net, &x, &y);
    assert!(grads.iter().flatten().all(|g| *g == 0.0), "{grads:?}");
    net.step_with(optimizer).unwrap();
    Step { before, grads, after: values(&net) }
}

/// The cost of a single sigmoid neuron on separable 1-d data after `epochs` full-batch
/// steps with `optimizer`, and its cost before.
pub(super) fn fit(optimizer: &mut impl Optimizer<f64>, epochs: usize) -> (f64, f64) {
    let mut net = Network::<f64>::builder(1).layer(1, Activation::Sigmoid).seed(7).build().unwrap();
    let x = Matrix::new(6, 1, vec![-3.0, -2.0, -1.0, 1.0, 2.0, 3.0]).unwrap();
    let y = Matrix::new(6, 1, vec![0.0, 0.0, 0.0, 1.0, 1.0, 1.0]).unwrap();
    let start = net.mean_cost(&x, &y).unwrap();
    for _ in 0..epochs {
        net.forward_batch(&x).unwrap();
        net.backward_batch(&y).unwrap();
        net.step_with(optimizer).unwrap();
    }
    (start, net.mean_cost(&x, &y).unwrap())
}

/// Trains a seeded 3-4-2 network for `steps` steps from `first_step`, on samples that
/// depend on the step index, so that a resumed run sees the same data as a whole one.
pub(super) fn train(
    net: &mut Network<f64>,
    optimizer: &mut (impl Optimizer<f64> + ?Sized),
    steps: std::ops::Range<usize>,
) {
    for s in steps {
        let t = s as f64;
        net.forward(&[t.sin(), (0.5 * t).cos(), 0.25]).unwrap();
        net.backward(&[(s % 2) as f64, ((s + 1) % 2) as f64]).unwrap();
        net.step_with(optimizer).unwrap();
    }
}

/// A seeded 3-4-2 network.
pub(super) fn deep_network() -> Network<f64> {
    Network::builder(3).layer(4, Activation::Sigmoid).layer(2, Activation::Sigmoid).seed(11).build().unwrap()
}

/// Checks that `net`'s parameters equal `other`'s bit for bit.
pub(super) fn assert_bit_identical(net: &Network<f64>, other: &Network<f64>) {
    let (a, b) = (values(net), values(other));
    for (i, (a, b)) in a.iter().zip(&b).enumerate() {
        for (j, (x, y)) in a.iter().zip(b).enumerate() {
            assert_eq!(x.to_bits(), y.to_bits(), "tensor {i}, index {j}: {x} vs {y}");
        }
    }
}

/// Asserts that two numbers agree to within 1e-12 (relative to their size).
#[track_caller]
pub(super) fn assert_close(found: f64, expected: f64) {
    assert!((found - expected).abs() <= 1e-12 * (1.0 + expected.abs()), "found {found}, expected {expected}");
}

/// The message of an error, for checking what it says.
pub(super) fn message<T>(result: Result<T, Error>) -> String {
    match result {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}
