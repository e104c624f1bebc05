//! Gradient checks: every analytic ∂C/∂w (= δ·aᵀ, BP3), ∂C/∂b (= δ, BP4) and δ (BP1, BP2)
//! against a central finite difference of the cost, on random networks (f64).

use backprop::{Activation, Cost, Layer, Matrix, Network};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};

/// Relative tolerance of the checks, with an absolute floor for values near zero.
const REL_TOL: f64 = 1e-6;
const ABS_FLOOR: f64 = 1e-9;

fn config() -> Config {
    Config { cases: 200, rng_seed: RngSeed::Fixed(0xB4C6), ..Config::default() }
}

/// A random network (1 to 4 layers, widths 1 to 12) with a batch of 1 to 4 samples.
#[derive(Debug, Clone)]
struct Case {
    widths: Vec<usize>,
    seed: u64,
    inputs: Vec<f64>,
    targets: Vec<f64>,
    rows: usize,
}

fn case() -> impl Strategy<Value = Case> {
    (prop::collection::vec(1usize..=12, 2..=5), any::<u64>(), 1usize..=4).prop_flat_map(|(widths, seed, rows)| {
        let n_in = widths[0];
        let n_out = *widths.last().unwrap();
        (
            Just(widths),
            Just(seed),
            prop::collection::vec(-2.0f64..2.0, rows * n_in),
            prop::collection::vec(0.0f64..1.0, rows * n_out),
            Just(rows),
        )
            .prop_map(|(widths, seed, inputs, targets, rows)| Case { widths, seed, inputs, targets, rows })
    })
}

impl Case {
    fn network(&self) -> Network<f64> {
        let mut b = Network::builder(self.widths[0]).seed(self.seed).cost(Cost::Quadratic);
        for &w in &self.widths[1..] {
            b = b.layer(w, Activation::Sigmoid);
        }
        b.build().unwrap()
    }
    fn x(&self) -> Matrix<f64> {
        Matrix::new(self.rows, self.widths[0], self.inputs.clone()).unwrap()
    }
    fn y(&self) -> Matrix<f64> {
        Matrix::new(self.rows, *self.widths.last().unwrap(), self.targets.clone()).unwrap()
    }
}

/// ∂f/∂t at 0 by the five-point central difference, whose error is O(h⁴).
fn central_difference(mut f: impl FnMut(f64) -> f64) -> f64 {
    let h = 1e-4;
    (8.0 * (f(h) - f(-h)) - (f(2.0 * h) - f(-2.0 * h))) / (12.0 * h)
}

fn close(analytic: f64, numeric: f64) -> bool {
    (analytic - numeric).abs() <= REL_TOL * analytic.abs().max(numeric.abs()) + ABS_FLOOR
}

/// The network with one parameter moved by `t`: weight `index` of layer `l`, or bias
/// `index - n_weights` if the index lies past the weights.
fn perturbed(net: &Network<f64>, l: usize, index: usize, t: f64) -> Network<f64> {
    let layers = net
        .layers()
        .iter()
        .enumerate()
        .map(|(i, layer)| {
            let mut w = layer.weights().clone();
            let mut b = layer.biases().clone();
            if i == l {
                let n_w = w.as_slice().len();
                if index < n_w { w.as_mut_slice()[index] += t } else { b[index - n_w] += t }
            }
            Layer::new(w, b, layer.activation_fn()).unwrap()
        })
        .collect();
    Network::from_layers(layers, net.cost_fn()).unwrap()
}

/// C of one sample when z(l) is replaced by `z`: the rest of the forward pass is redone by
/// hand from the public weights, independently of the network's own forward pass.
fn cost_from_z(net: &Network<f64>, l: usize, z: &[f64], y: &[f64]) -> f64 {
    let layers = net.layers();
    let mut a = vec![0.0; z.len()];
    layers[l].activation_fn().apply(z, &mut a);
    for layer in &layers[l + 1..] {
        let mut next = layer.weights().matvec(&a);
        for (n, &b) in next.iter_mut().zip(layer.biases().iter()) {
            *n = layer.activation_fn().value(*n + b);
        }
        a = next.into_vec();
    }
    net.cost_fn().value(&a, y)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn weight_and_bias_gradients_match_finite_differences(c in case()) {
        let mut net = c.network();
        let (x, y) = (c.x(), c.y());
        net.forward_batch(&x).unwrap();
        net.backward_batch(&y).unwrap();
        let grads = net.gradients().unwrap();
        for (l, g) in grads.iter().enumerate() {
            let analytic: Vec<f64> = g.weights.as_slice().iter().chain(g.biases.iter()).copied().collect();
            for (index, &a) in analytic.iter().enumerate() {
                let n = central_difference(|t| perturbed(&net, l, index, t).cost(&x, &y).unwrap());
                let kind = if index < g.weights.as_slice().len() { "∂C/∂w" } else { "∂C/∂b" };
                prop_assert!(close(a, n), "layer {l}, {kind} index {index}: analytic {a:e}, numeric {n:e}");
            }
        }
    }

    #[test]
    fn delta_matches_finite_difference_in_z(c in case()) {
        let mut net = c.network();
        let (x, y) = (c.x(), c.y());
        net.forward_batch(&x).unwrap();
        net.backward_batch(&y).unwrap();
        for r in 0..c.rows {
            for (l, layer) in net.layers().iter().enumerate() {
                let z = layer.weighted_input().row(r).to_vec();
                for j in 0..z.len() {
                    let n = central_difference(|t| {
                        let mut zt = z.clone();
                        zt[j] += t;
                        cost_from_z(&net, l, &zt, y.row(r))
                    });
                    let a = layer.delta()[(r, j)];
                    prop_assert!(close(a, n), "sample {r}, layer {l}, δ index {j}: analytic {a:e}, numeric {n:e}");
                }
            }
        }
    }

    #[test]
    fn batch_gradient_is_the_mean_of_sample_gradients(c in case()) {
        let (x, y) = (c.x(), c.y());
        let mut batch = c.network();
        batch.forward_batch(&x).unwrap();
        batch.backward_batch(&y).unwrap();
        let mut single = c.network();
        for r in 0..c.rows {
            single.forward(x.row(r)).unwrap();
            single.backward(y.row(r)).unwrap();
        }
        for (l, (gb, gs)) in batch.gradients().unwrap().iter().zip(single.gradients().unwrap()).enumerate() {
            let b = gb.weights.as_slice().iter().chain(gb.biases.iter());
            let s = gs.weights.as_slice().iter().chain(gs.biases.iter());
            for (i, (&vb, &vs)) in b.zip(s).enumerate() {
                prop_assert!((vb - vs).abs() <= 1e-12 * vb.abs().max(vs.abs()) + 1e-15,
                    "layer {l}, index {i}: batch {vb:e}, per-sample mean {vs:e}");
            }
        }
    }

    #[test]
    fn step_moves_every_parameter_by_minus_alpha_times_gradient(c in case(), alpha in 0.01f64..=1.0) {
        let mut net = c.network();
        net.forward_batch(&c.x()).unwrap();
        net.backward_batch(&c.y()).unwrap();
        let before = net.clone();
        let grads = net.gradients().unwrap();
        net.step(alpha).unwrap();
        for (l, ((old, new), g)) in before.layers().iter().zip(net.layers()).zip(&grads).enumerate() {
            let params = |layer: &Layer<f64>| -> Vec<f64> {
                layer.weights().as_slice().iter().chain(layer.biases().iter()).copied().collect()
            };
            let grad: Vec<f64> = g.weights.as_slice().iter().chain(g.biases.iter()).copied().collect();
            for (i, ((&p0, &p1), &gi)) in params(old).iter().zip(&params(new)).zip(&grad).enumerate() {
                let expected = p0 - alpha * gi;
                prop_assert!((p1 - expected).abs() <= 4.0 * f64::EPSILON * p0.abs().max(expected.abs()).max(1.0),
                    "layer {l}, index {i}: moved to {p1:e}, expected {expected:e}");
            }
        }
        // The step cleared the accumulated gradient.
        prop_assert!(net.gradients().is_err());
    }
}

#[test]
fn xor_training_lowers_the_cost_on_average() {
    let samples = [([0.0, 0.0], [0.0]), ([0.0, 1.0], [1.0]), ([1.0, 0.0], [1.0]), ([1.0, 1.0], [0.0])];
    let mut net = Network::<f64>::builder(2)
        .layer(3, Activation::Sigmoid)
        .layer(1, Activation::Sigmoid)
        .seed(2024)
        .build()
        .unwrap();
    let cost = |net: &Network<f64>| samples.iter().map(|(x, y)| net.cost_sample(x, y).unwrap()).sum::<f64>() / 4.0;
    // Mean cost over blocks of 250 epochs: each block must end lower than the one before.
    let mut block_means = Vec::new();
    for _ in 0..16 {
        let mut total = 0.0;
        for _ in 0..250 {
            for (x, y) in &samples {
                net.forward(x).unwrap();
                net.backward(y).unwrap();
                net.step(0.5).unwrap();
            }
            total += cost(&net);
        }
        block_means.push(total / 250.0);
    }
    for w in block_means.windows(2) {
        assert!(w[1] < w[0], "the mean cost rose from {} to {}: {block_means:?}", w[0], w[1]);
    }
    assert!(*block_means.last().unwrap() < 0.01 * block_means[0], "{block_means:?}");
}

#[test]
fn step_with_sgd_equals_step() {
    let c = Case {
        widths: vec![3, 4, 2],
        seed: 9,
        inputs: vec![0.1, -0.5, 1.5, 0.3, 0.2, -1.0],
        targets: vec![0.0, 1.0, 1.0, 0.0],
        rows: 2,
    };
    let (mut a, mut b) = (c.network(), c.network());
    for net in [&mut a, &mut b] {
        net.forward_batch(&c.x()).unwrap();
        net.backward_batch(&c.y()).unwrap();
    }
    a.step(0.25).unwrap();
    b.step_with(&mut backprop::Sgd::new(0.25).unwrap()).unwrap();
    for (la, lb) in a.layers().iter().zip(b.layers()) {
        for (x, y) in la.weights().as_slice().iter().zip(lb.weights().as_slice()) {
            assert!((x - y).abs() <= 4.0 * f64::EPSILON * x.abs().max(1.0), "{x} vs {y}");
        }
        for (x, y) in la.biases().iter().zip(lb.biases().iter()) {
            assert!((x - y).abs() <= 4.0 * f64::EPSILON * x.abs().max(1.0), "{x} vs {y}");
        }
    }
    assert!(b.gradients().is_err(), "step_with clears the gradients");
}
