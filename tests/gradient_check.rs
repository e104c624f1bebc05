//! Gradient checks: every analytic ∂C/∂w (= δ·aᵀ, BP3), ∂C/∂b (= δ, BP4) and δ (BP1, BP2)
//! against a central finite difference of the cost, on random networks (f64) with
//! activations and costs drawn from all of the crate's.
//!
//! ReLU, leaky ReLU and ELU (α ≠ 1) have a kink at z = 0, and the mean absolute cost one
//! at a = y; a finite difference across a kink measures neither side's slope. A
//! comparison is skipped, not loosened, when one of the evaluation points lies on the
//! other side of a kink than the unperturbed network: the check records on which side of
//! every kink each evaluation falls and compares.

use backprop::{Activation, Cost, CustomActivation, CustomCost, Layer, Matrix, Network, gradient_check};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};

/// Relative tolerance of the checks, with an absolute floor for values near zero.
const REL_TOL: f64 = 1e-6;
const ABS_FLOOR: f64 = 1e-9;
/// The step of the finite differences; evaluations lie within ±2h.
const H: f64 = 1e-4;

fn config() -> Config {
    Config { cases: 1000, rng_seed: RngSeed::Fixed(0xB4C6), ..Config::default() }
}

/// A random network (1 to 4 layers, widths 1 to 12) with a batch of 1 to 4 samples.
#[derive(Debug, Clone)]
struct Case {
    widths: Vec<usize>,
    /// One per layer after the input; the last is the output's.
    activations: Vec<Activation>,
    cost: Cost,
    seed: u64,
    inputs: Vec<f64>,
    targets: Vec<f64>,
    rows: usize,
}

/// An activation from a code and a parameter; a softmax needs at least 2 neurons, so a
/// layer of one gets a tanh instead.
fn activation(code: u8, parameter: f64, width: usize) -> Activation {
    match code % 8 {
        0 => Activation::Sigmoid,
        1 => Activation::Tanh,
        2 => Activation::Relu,
        3 => Activation::LeakyRelu { slope: parameter - 0.5 },
        4 => Activation::Elu { alpha: parameter * 2.0 },
        5 => Activation::Softplus,
        6 => Activation::Identity,
        _ if width >= 2 => Activation::Softmax,
        _ => Activation::Tanh,
    }
}

/// A cost that makes sense on the output activation.
fn cost_for(output: Activation, code: u8) -> Cost {
    let matching = match output {
        Activation::Sigmoid => Cost::BinaryCrossEntropy,
        Activation::Softmax => Cost::CategoricalCrossEntropy,
        _ => Cost::Quadratic,
    };
    [Cost::Quadratic, Cost::MeanAbsolute, matching, matching][code as usize % 4]
}

/// Targets valid for the cost: raw values in [0, 1) as they are, except for the
/// categorical cross-entropy, where each row becomes one-hot (at its largest raw value)
/// or a probability vector (the raw values normalised).
fn targets_for(cost: Cost, raw: Vec<f64>, width: usize, one_hot: bool) -> Vec<f64> {
    if cost != Cost::CategoricalCrossEntropy {
        return raw;
    }
    raw.chunks(width)
        .flat_map(|row| {
            let total: f64 = row.iter().map(|v| v + 0.01).sum();
            let max = row.iter().copied().fold(f64::MIN, f64::max);
            let mut seen = false;
            row.iter()
                .map(|&v| {
                    if one_hot {
                        let hot = v == max && !seen;
                        seen |= hot;
                        f64::from(u8::from(hot))
                    } else {
                        (v + 0.01) / total
                    }
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

fn case() -> impl Strategy<Value = Case> {
    (prop::collection::vec(1usize..=12, 2..=5), any::<u64>(), 1usize..=4).prop_flat_map(|(widths, seed, rows)| {
        let n_in = widths[0];
        let n_out = *widths.last().unwrap();
        let n_layers = widths.len() - 1;
        (
            Just(widths),
            Just(seed),
            prop::collection::vec(-2.0f64..2.0, rows * n_in),
            prop::collection::vec(0.0f64..1.0, rows * n_out),
            Just(rows),
            prop::collection::vec((any::<u8>(), 0.0f64..1.0), n_layers),
            any::<u8>(),
            any::<bool>(),
        )
            .prop_map(|(widths, seed, inputs, raw_targets, rows, codes, cost_code, one_hot)| {
                let activations: Vec<Activation> =
                    codes.iter().zip(&widths[1..]).map(|(&(code, p), &w)| activation(code, p, w)).collect();
                let cost = cost_for(*activations.last().unwrap(), cost_code);
                let targets = targets_for(cost, raw_targets, *widths.last().unwrap(), one_hot);
                Case { widths, activations, cost, seed, inputs, targets, rows }
            })
    })
}

impl Case {
    fn network(&self) -> Network<f64> {
        let mut b = Network::builder(self.widths[0]).seed(self.seed).cost(self.cost);
        for (&w, &s) in self.widths[1..].iter().zip(&self.activations) {
            b = b.layer(w, s);
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

fn close(analytic: f64, numeric: f64) -> bool {
    (analytic - numeric).abs() <= REL_TOL * analytic.abs().max(numeric.abs()) + ABS_FLOOR
}

/// Whether σ has a kink (a jump in σ′) at z = 0.
fn has_kink(s: Activation) -> bool {
    match s {
        Activation::Relu => true,
        Activation::LeakyRelu { slope } => slope != 1.0,
        Activation::Elu { alpha } => alpha != 1.0,
        _ => false,
    }
}

/// On which side of every kink a forward pass lies: z > 0 for each neuron of a kinked
/// layer, and the sign of a − y for the mean absolute cost.
#[derive(Debug, Default, PartialEq)]
struct Sides(Vec<i8>);

impl Sides {
    fn layer(&mut self, s: Activation, z: &[f64]) {
        if has_kink(s) {
            self.0.extend(z.iter().map(|&v| i8::from(v > 0.0)));
        }
    }
    fn output(&mut self, cost: Cost, a: &[f64], y: &[f64]) {
        if cost == Cost::MeanAbsolute {
            self.0.extend(a.iter().zip(y).map(|(&ai, &yi)| (ai - yi).partial_cmp(&0.0).unwrap() as i8));
        }
    }
}

/// ∂f/∂t at 0 by the five-point central difference (error O(h⁴)), or `None` if an
/// evaluation point lies across a kink from t = 0. `f` returns the value and its sides.
fn central_difference(mut f: impl FnMut(f64) -> (f64, Sides)) -> Option<f64> {
    let (_, base) = f(0.0);
    let mut at = |t: f64| {
        let (value, sides) = f(t);
        (sides == base).then_some(value)
    };
    let (p1, m1, p2, m2) = (at(H)?, at(-H)?, at(2.0 * H)?, at(-2.0 * H)?);
    Some((8.0 * (p1 - m1) - (p2 - m2)) / (12.0 * H))
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
            Layer::new(w, b, layer.activation()).unwrap()
        })
        .collect();
    Network::from_layers(layers, net.cost()).unwrap()
}

/// The mean cost of a batch and the sides of every kink, through the network's own
/// forward pass.
fn cost_and_sides(net: &Network<f64>, x: &Matrix<f64>, y: &Matrix<f64>) -> (f64, Sides) {
    let mut net = net.clone();
    net.forward_batch(x).unwrap();
    let mut sides = Sides::default();
    for layer in net.layers() {
        sides.layer(layer.activation(), layer.z().as_slice());
    }
    let output = net.layers().last().unwrap().a().as_slice();
    sides.output(net.cost(), output, y.as_slice());
    (net.mean_cost(x, y).unwrap(), sides)
}

/// C of one sample when z(l) is replaced by `z`, and the sides of the kinks from layer l
/// on: the rest of the forward pass is redone by hand from the public weights,
/// independently of the network's own forward pass.
fn cost_from_z(net: &Network<f64>, l: usize, z: &[f64], y: &[f64]) -> (f64, Sides) {
    let layers = net.layers();
    let mut sides = Sides::default();
    sides.layer(layers[l].activation(), z);
    let mut a = vec![0.0; z.len()];
    layers[l].activation().apply(z, &mut a);
    for layer in &layers[l + 1..] {
        let mut z = layer.weights().matvec(&a);
        for (n, &b) in z.iter_mut().zip(layer.biases().iter()) {
            *n += b;
        }
        sides.layer(layer.activation(), &z);
        a = vec![0.0; z.len()];
        layer.activation().apply(&z, &mut a);
    }
    sides.output(net.cost(), &a, y);
    (net.cost().value(&a, y), sides)
}

/// Compares every ∂C/∂w and ∂C/∂b of a backward pass over (x, y) with finite
/// differences; returns the number of comparisons skipped at kinks, or the first
/// mismatch.
fn check_parameter_gradients(net: &Network<f64>, x: &Matrix<f64>, y: &Matrix<f64>) -> Result<usize, String> {
    let mut net = net.clone();
    net.forward_batch(x).unwrap();
    net.backward_batch(y).unwrap();
    let mut skipped = 0;
    for (l, g) in net.gradients().unwrap().iter().enumerate() {
        let analytic: Vec<f64> = g.weights.as_slice().iter().chain(g.biases.iter()).copied().collect();
        for (index, &a) in analytic.iter().enumerate() {
            let Some(n) = central_difference(|t| cost_and_sides(&perturbed(&net, l, index, t), x, y)) else {
                skipped += 1;
                continue;
            };
            let kind = if index < g.weights.as_slice().len() { "∂C/∂w" } else { "∂C/∂b" };
            if !close(a, n) {
                return Err(format!("layer {l}, {kind} index {index}: analytic {a:e}, numeric {n:e}"));
            }
        }
    }
    Ok(skipped)
}

/// Compares every δ of a backward pass over (x, y) with finite differences of the cost in
/// z; returns the number of comparisons skipped at kinks, or the first mismatch.
fn check_deltas(net: &Network<f64>, x: &Matrix<f64>, y: &Matrix<f64>) -> Result<usize, String> {
    let mut net = net.clone();
    net.forward_batch(x).unwrap();
    net.backward_batch(y).unwrap();
    let mut skipped = 0;
    for r in 0..x.n_rows() {
        for (l, layer) in net.layers().iter().enumerate() {
            let z = layer.z().row(r).to_vec();
            for j in 0..z.len() {
                let Some(n) = central_difference(|t| {
                    let mut zt = z.clone();
                    zt[j] += t;
                    cost_from_z(&net, l, &zt, y.row(r))
                }) else {
                    skipped += 1;
                    continue;
                };
                let a = layer.delta()[(r, j)];
                if !close(a, n) {
                    return Err(format!(
                        "sample {r}, layer {l} ({}), δ index {j}: analytic {a:e}, numeric {n:e}",
                        layer.activation()
                    ));
                }
            }
        }
    }
    Ok(skipped)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn weight_and_bias_gradients_match_finite_differences(c in case()) {
        let net = c.network();
        if let Err(mismatch) = check_parameter_gradients(&net, &c.x(), &c.y()) {
            prop_assert!(false, "{net}: {mismatch}");
        }
    }

    #[test]
    fn delta_matches_finite_difference_in_z(c in case()) {
        let net = c.network();
        if let Err(mismatch) = check_deltas(&net, &c.x(), &c.y()) {
            prop_assert!(false, "{net}: {mismatch}");
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

    #[test]
    fn train_batch_is_forward_backward_and_step(c in case(), alpha in 0.01f64..=1.0) {
        // train_batch applies −(α/m)·δ·aᵀ straight to the weights; the result must be the
        // step of the accumulated mean gradient, up to the rounding of the sums.
        let (x, y) = (c.x(), c.y());
        let mut fused = c.network();
        fused.train_batch(&x, &y, alpha).unwrap();
        let mut plain = c.network();
        plain.forward_batch(&x).unwrap();
        plain.backward_batch(&y).unwrap();
        plain.step(alpha).unwrap();
        for (l, (lf, lp)) in fused.layers().iter().zip(plain.layers()).enumerate() {
            let f = lf.weights().as_slice().iter().chain(lf.biases().iter());
            let p = lp.weights().as_slice().iter().chain(lp.biases().iter());
            for (i, (&a, &b)) in f.zip(p).enumerate() {
                prop_assert!((a - b).abs() <= 1e-13 * a.abs().max(1.0), "layer {l}, index {i}: {a:e} vs {b:e}");
            }
        }
        prop_assert!(fused.gradients().is_err(), "nothing stays accumulated");
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
    let cost = |net: &Network<f64>| samples.iter().map(|(x, y)| net.sample_cost(x, y).unwrap()).sum::<f64>() / 4.0;
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
        activations: vec![Activation::Sigmoid, Activation::Sigmoid],
        cost: Cost::Quadratic,
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

/// σ(z) = z³ with a correct or a wrong σ′.
#[derive(Debug)]
struct Cube {
    derivative_factor: f64,
}

impl CustomActivation for Cube {
    fn name(&self) -> &str {
        "cube"
    }
    fn value(&self, z: f64) -> f64 {
        z * z * z
    }
    fn derivative(&self, z: f64, _a: f64) -> f64 {
        self.derivative_factor * z * z
    }
}

static CUBE: Cube = Cube { derivative_factor: 3.0 };
static WRONG_CUBE: Cube = Cube { derivative_factor: 2.9 };

fn custom_case(hidden: &'static Cube) -> Case {
    Case {
        widths: vec![3, 4, 2],
        activations: vec![Activation::Custom(hidden), Activation::Softmax],
        cost: Cost::CategoricalCrossEntropy,
        seed: 5,
        inputs: vec![0.1, -0.5, 1.5, 0.3, 0.2, -1.0],
        targets: vec![0.0, 1.0, 0.25, 0.75],
        rows: 2,
    }
}

#[test]
fn custom_activation_passes_the_check_and_a_wrong_derivative_is_caught() {
    let good = custom_case(&CUBE);
    assert_eq!(check_parameter_gradients(&good.network(), &good.x(), &good.y()), Ok(0));
    assert_eq!(check_deltas(&good.network(), &good.x(), &good.y()), Ok(0));
    let bad = custom_case(&WRONG_CUBE);
    let e = check_parameter_gradients(&bad.network(), &bad.x(), &bad.y()).unwrap_err();
    assert!(e.starts_with("layer 0"), "{e}");
    let e = check_deltas(&bad.network(), &bad.x(), &bad.y()).unwrap_err();
    assert!(e.contains("layer 0 (cube)"), "{e}");
}

/// A ReLU layer whose z is exactly 0 for every sample (zero weights and biases) sits on
/// its kink: those comparisons are skipped, the others still made.
#[test]
fn comparisons_across_a_kink_are_skipped() {
    let hidden = Layer::new(Matrix::zeros(2, 2), vec![0.0, 0.0].into(), Activation::Relu).unwrap();
    let w = Matrix::new(1, 2, vec![0.5, -0.25]).unwrap();
    let output = Layer::new(w, vec![0.1].into(), Activation::Sigmoid).unwrap();
    let net = Network::from_layers(vec![hidden, output], Cost::BinaryCrossEntropy).unwrap();
    let x = Matrix::new(1, 2, vec![0.5, -1.0]).unwrap();
    let y = Matrix::new(1, 1, vec![1.0]).unwrap();
    // All 6 hidden parameters move a z off 0; so do both hidden δ; the output's 3
    // parameters and its δ are compared.
    assert_eq!(check_parameter_gradients(&net, &x, &y), Ok(6));
    assert_eq!(check_deltas(&net, &x, &y), Ok(2));
}

// The verdict of `gradient_check` itself: it passes every correct network, of every
// activation and every output/cost pairing the crate accepts, and fails a wrong one.

/// The swish σ(z) = z·s(z) with s the logistic function, σ′ = s + z·s(1 − s): a smooth
/// activation of the caller's own.
#[derive(Debug)]
struct Swish;

impl CustomActivation for Swish {
    fn name(&self) -> &str {
        "swish"
    }
    fn value(&self, z: f64) -> f64 {
        z / (1.0 + (-z).exp())
    }
    fn derivative(&self, z: f64, _a: f64) -> f64 {
        let s = 1.0 / (1.0 + (-z).exp());
        s + z * s * (1.0 - s)
    }
}

/// The logistic function as an activation of the caller's own: an output in (0, 1) that
/// the binary cross-entropy accepts without the fused form of the built-in sigmoid.
#[derive(Debug)]
struct Logistic;

impl CustomActivation for Logistic {
    fn name(&self) -> &str {
        "logistic"
    }
    fn value(&self, z: f64) -> f64 {
        1.0 / (1.0 + (-z).exp())
    }
    fn derivative(&self, _z: f64, a: f64) -> f64 {
        a * (1.0 - a)
    }
}

/// c(a, y) = ln cosh(a − y), c′ = tanh(a − y): a smooth cost of the caller's own.
#[derive(Debug)]
struct LogCosh;

impl CustomCost for LogCosh {
    fn name(&self) -> &str {
        "log_cosh"
    }
    fn value(&self, a: f64, y: f64) -> f64 {
        (a - y).cosh().ln()
    }
    fn gradient(&self, a: f64, y: f64) -> f64 {
        (a - y).tanh()
    }
}

/// Every activation: the built-in ones (the leaky ReLU's slope and the ELU's α drawn
/// from `parameter` in [0, 1)) and two of the caller's own. A softmax needs two neurons;
/// a layer of one gets a tanh instead.
fn any_activation(code: u8, parameter: f64, width: usize) -> Activation {
    match code % 10 {
        0 => Activation::Sigmoid,
        1 => Activation::Tanh,
        2 => Activation::Relu,
        3 => Activation::LeakyRelu { slope: 2.0 * parameter - 0.5 },
        4 => Activation::Elu { alpha: 2.0 * parameter },
        5 => Activation::Softplus,
        6 => Activation::Identity,
        7 => Activation::Custom(&Swish),
        8 => Activation::Custom(&Logistic),
        _ if width >= 2 => Activation::Softmax,
        _ => Activation::Tanh,
    }
}

/// Every cost the crate accepts on an output activation (see `Cost::check_output`). The
/// binary cross-entropy takes a custom activation on the caller's word that its outputs
/// lie in (0, 1): the logistic's do, the swish's do not.
fn accepted_costs(output: Activation) -> Vec<Cost> {
    let mut costs = vec![Cost::Quadratic, Cost::MeanAbsolute, Cost::Custom(&LogCosh)];
    match output {
        Activation::Sigmoid | Activation::Custom(_) if output != Activation::Custom(&Swish) => {
            costs.push(Cost::BinaryCrossEntropy)
        }
        Activation::Softmax => costs.push(Cost::CategoricalCrossEntropy),
        _ => {}
    }
    costs
}

/// A random network of 1 to 4 layers of 1 to 8 neurons, activations from
/// `any_activation`, a cost drawn from those its output accepts (the cross-entropy with
/// its matching output half the time, so that the fused pairs are well represented), and
/// a batch of 1 to 4 samples.
fn any_case() -> impl Strategy<Value = Case> {
    (prop::collection::vec(1usize..=8, 2..=5), any::<u64>(), 1usize..=4).prop_flat_map(|(widths, seed, rows)| {
        let n_in = widths[0];
        let n_out = *widths.last().unwrap();
        let n_layers = widths.len() - 1;
        (
            Just(widths),
            Just(seed),
            prop::collection::vec(-2.0f64..2.0, rows * n_in),
            prop::collection::vec(0.0f64..1.0, rows * n_out),
            Just(rows),
            prop::collection::vec((any::<u8>(), 0.0f64..1.0), n_layers),
            any::<u8>(),
            any::<bool>(),
        )
            .prop_map(|(widths, seed, inputs, raw_targets, rows, codes, cost_code, one_hot)| {
                let activations: Vec<Activation> =
                    codes.iter().zip(&widths[1..]).map(|(&(code, p), &w)| any_activation(code, p, w)).collect();
                let costs = accepted_costs(*activations.last().unwrap());
                let cost = if costs.len() > 3 && cost_code % 2 == 0 {
                    costs[3]
                } else {
                    costs[usize::from(cost_code / 2) % costs.len()]
                };
                let targets = targets_for(cost, raw_targets, *widths.last().unwrap(), one_hot);
                Case { widths, activations, cost, seed, inputs, targets, rows }
            })
    })
}

/// σ of a smooth activation with σ′ off by 1 %: the first deliberate mistake.
#[derive(Debug)]
struct OffByOnePercent(Activation);

impl CustomActivation for OffByOnePercent {
    fn name(&self) -> &str {
        self.0.name()
    }
    fn value(&self, z: f64) -> f64 {
        self.0.value(z)
    }
    fn derivative(&self, z: f64, a: f64) -> f64 {
        1.01 * self.0.derivative(z, a)
    }
}

static WRONG: [OffByOnePercent; 6] = [
    OffByOnePercent(Activation::Sigmoid),
    OffByOnePercent(Activation::Tanh),
    OffByOnePercent(Activation::Softplus),
    OffByOnePercent(Activation::Identity),
    OffByOnePercent(Activation::Custom(&Swish)),
    OffByOnePercent(Activation::Custom(&Logistic)),
];

/// The case with its kinked activations replaced by tanh and the activation of one
/// element-wise layer by its twin with σ′ off by 1 % (a layer of its own choice, by the
/// case's seed). A softmax output loses the mean absolute cost: its gradient is 0
/// whenever every output errs on the same side (Σ a = 1 is fixed), so no mistake in it
/// can show.
fn with_wrong_derivative(mut c: Case) -> Case {
    for a in &mut c.activations {
        if matches!(a, Activation::Relu | Activation::LeakyRelu { .. } | Activation::Elu { .. }) {
            *a = Activation::Tanh;
        }
    }
    let element_wise: Vec<usize> =
        (0..c.activations.len()).filter(|&l| c.activations[l] != Activation::Softmax).collect();
    let l = element_wise.get(c.seed as usize % element_wise.len().max(1)).copied().unwrap_or(0);
    let wrong = WRONG.iter().find(|w| w.0 == c.activations[l]).unwrap_or(&WRONG[1]);
    c.activations[l] = Activation::Custom(wrong);
    let output = *c.activations.last().unwrap();
    if !accepted_costs(output).contains(&c.cost) || (output == Activation::Softmax && c.cost == Cost::MeanAbsolute) {
        c.cost = Cost::Quadratic;
    }
    c
}

/// The case's network in `f32`, with its batch.
fn in_f32(c: &Case) -> (Network<f32>, Matrix<f32>, Matrix<f32>) {
    let mut b = Network::<f32>::builder(c.widths[0]).seed(c.seed).cost(c.cost);
    for (&w, &s) in c.widths[1..].iter().zip(&c.activations) {
        b = b.layer(w, s);
    }
    let narrow = |v: &[f64]| v.iter().map(|&x| x as f32).collect::<Vec<f32>>();
    let x = Matrix::new(c.rows, c.widths[0], narrow(&c.inputs)).unwrap();
    let y = Matrix::new(c.rows, *c.widths.last().unwrap(), narrow(&c.targets)).unwrap();
    (b.build().unwrap(), x, y)
}

fn verdict_config(cases: u32, seed: u64) -> Config {
    Config { cases, rng_seed: RngSeed::Fixed(seed), failure_persistence: None, ..Config::default() }
}

proptest! {
    #![proptest_config(verdict_config(4000, 0x6C4E_C4EC))]

    /// 4,000 correct `f64` networks of every activation and every accepted output/cost
    /// pairing: the verdict passes every one.
    #[test]
    fn gradient_check_passes_correct_networks(c in any_case()) {
        let net = c.network();
        let report = gradient_check(&net, &c.x(), &c.y()).unwrap();
        prop_assert!(report.passed(), "{net}: {report}");
    }
}

proptest! {
    #![proptest_config(verdict_config(1000, 0xF32))]

    /// In `f32` the analytic gradients carry `f32`'s rounding, which the floor allows
    /// for: correct networks pass.
    #[test]
    fn gradient_check_passes_correct_f32_networks(c in any_case()) {
        let (net, x, y) = in_f32(&c);
        let report = gradient_check(&net, &x, &y).unwrap();
        prop_assert!(report.passed(), "{net}: {report}");
    }

    /// σ′ off by 1 % in one layer: the verdict fails, in `f64` and in `f32`.
    #[test]
    fn gradient_check_fails_a_derivative_off_by_one_percent(c in any_case().prop_map(with_wrong_derivative)) {
        let net = c.network();
        let report = gradient_check(&net, &c.x(), &c.y()).unwrap();
        prop_assert!(!report.passed(), "{net}: {report}");
        let (net, x, y) = in_f32(&c);
        let report = gradient_check(&net, &x, &y).unwrap();
        prop_assert!(!report.passed(), "{net}: {report}");
    }
}

/// Every output activation with every cost the crate accepts on it, once each, in `f64`
/// and `f32`: the property tests draw them at random, this makes sure none is missed.
#[test]
fn every_accepted_pairing_passes() {
    let outputs = [
        Activation::Sigmoid,
        Activation::Tanh,
        Activation::Relu,
        Activation::LeakyRelu { slope: 0.1 },
        Activation::Elu { alpha: 0.5 },
        Activation::Softplus,
        Activation::Identity,
        Activation::Softmax,
        Activation::Custom(&Swish),
        Activation::Custom(&Logistic),
    ];
    let mut pairs = 0;
    for output in outputs {
        for cost in accepted_costs(output) {
            let targets = targets_for(cost, vec![0.2, 0.9, 0.6, 0.7, 0.1, 0.35], 3, false);
            let c = Case {
                widths: vec![2, 4, 3],
                activations: vec![Activation::Tanh, output],
                cost,
                seed: 3,
                inputs: vec![0.5, -1.25, 1.5, 0.75],
                targets,
                rows: 2,
            };
            let net = c.network();
            let report = gradient_check(&net, &c.x(), &c.y()).unwrap();
            assert!(report.passed() && report.unchecked == 0, "{net}: {report}");
            let (net, x, y) = in_f32(&c);
            let report = gradient_check(&net, &x, &y).unwrap();
            assert!(report.passed() && report.unchecked == 0, "{net}: {report}");
            pairs += 1;
        }
    }
    // Three costs on every output; the binary cross-entropy on the sigmoid and the
    // logistic, the categorical one on the softmax.
    assert_eq!(pairs, 10 * 3 + 3);
}
