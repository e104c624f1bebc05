//! Subnormal values of a and δ: flushed to 0 by default, kept on request, on the calling
//! thread and on the pool's workers alike, with the same bits for every thread count.

use backprop::{Activation, Cost, Float, Layer, Matrix, Network, Rng, Subnormals};

fn is_subnormal<T: Float>(x: T) -> bool {
    x != T::ZERO && x.abs() < T::MIN_POSITIVE
}

fn subnormals_in<T: Float>(m: &Matrix<T>) -> usize {
    m.as_slice().iter().filter(|&&x| is_subnormal(x)).count()
}

/// A `n_in`-`n_hidden`-`n_out` sigmoid network whose hidden layer saturates on half its
/// neurons: their biases of −95 to −105 put σ(z) at 10⁻⁴⁶-10⁻⁴¹, subnormal in `f32`, and
/// σ′(z) and δ with it. Weights are small, so z stays near the bias.
fn saturating_network(n_in: usize, n_hidden: usize, n_out: usize, seed: u64) -> Network<f32> {
    let mut rng = Rng::new(seed);
    let mut uniform = |scale: f64| (rng.uniform() * 2.0 - 1.0) * scale;
    let w1 = Matrix::from_fn(n_hidden, n_in, |_, _| uniform(0.05) as f32);
    let b1: Vec<f32> =
        (0..n_hidden).map(|j| if j % 2 == 0 { (-100.0 + uniform(5.0)) as f32 } else { uniform(1.0) as f32 }).collect();
    let w2 = Matrix::from_fn(n_out, n_hidden, |_, _| uniform(0.5) as f32);
    let b2: Vec<f32> = (0..n_out).map(|_| uniform(0.5) as f32).collect();
    let hidden = Layer::new(w1, b1.into(), Activation::Sigmoid).unwrap();
    let output = Layer::new(w2, b2.into(), Activation::Sigmoid).unwrap();
    Network::from_layers(vec![hidden, output], Cost::Quadratic).unwrap()
}

fn batch(rows: usize, n_in: usize, n_out: usize, seed: u64) -> (Matrix<f32>, Matrix<f32>) {
    let mut rng = Rng::new(seed);
    let x = Matrix::from_fn(rows, n_in, |_, _| rng.uniform() as f32);
    let y = Matrix::from_fn(rows, n_out, |_, _| rng.uniform() as f32);
    (x, y)
}

/// With `Keep` the caches hold subnormal a and δ (so the network really makes them);
/// with `Flush` (the default) none, and each flushed a is the kept one with its
/// subnormals written as 0.
#[test]
fn flushed_caches_hold_no_subnormal_and_kept_ones_do() {
    let (x, y) = batch(8, 20, 3, 1);
    let mut kept = saturating_network(20, 16, 3, 2);
    kept.set_subnormals(Subnormals::Keep);
    kept.forward_batch(&x).unwrap();
    kept.backward_batch(&y).unwrap();
    let hidden = &kept.layers()[0];
    assert!(subnormals_in(hidden.a()) > 0, "the test needs subnormal activations");
    assert!(subnormals_in(hidden.delta()) > 0, "the test needs subnormal errors");

    let mut flushed = saturating_network(20, 16, 3, 2);
    assert_eq!(flushed.subnormals(), Subnormals::Flush);
    flushed.forward_batch(&x).unwrap();
    flushed.backward_batch(&y).unwrap();
    for layer in flushed.layers() {
        assert_eq!(subnormals_in(layer.a()), 0);
        assert_eq!(subnormals_in(layer.delta()), 0);
    }
    // z is never flushed, and the first layer's a is the kept one, subnormals set to 0.
    let (a_kept, a_flushed) = (kept.layers()[0].a(), flushed.layers()[0].a());
    assert_eq!(kept.layers()[0].z(), flushed.layers()[0].z());
    for (&k, &f) in a_kept.as_slice().iter().zip(a_flushed.as_slice()) {
        assert_eq!(f.to_bits(), if is_subnormal(k) { 0 } else { k.to_bits() });
    }
    // Inference flushes as training does.
    let predicted = flushed.predict_batch(&x).unwrap();
    assert_eq!(&predicted, flushed.layers()[1].a());
}

/// The same network and data trained for a few steps on 1 and 2 threads, in each
/// setting: the weights are bit for bit the same, and a split pass (the batch is large
/// enough to be cut between the threads) flushes on the worker too.
#[test]
fn both_settings_give_the_same_bits_on_every_thread_count() {
    let (x, y) = batch(128, 256, 10, 3);
    for setting in [Subnormals::Flush, Subnormals::Keep] {
        let mut results = Vec::new();
        for threads in [1, 2] {
            let mut net = saturating_network(256, 256, 10, 4);
            net.set_subnormals(setting);
            net.set_threads(threads).unwrap();
            for _ in 0..3 {
                net.train_batch(&x, &y, 0.5).unwrap();
            }
            net.forward_batch(&x).unwrap();
            net.backward_batch(&y).unwrap();
            let found: usize = net.layers().iter().map(|l| subnormals_in(l.a()) + subnormals_in(l.delta())).sum();
            match setting {
                Subnormals::Flush => assert_eq!(found, 0, "{threads} threads"),
                Subnormals::Keep => assert!(found > 0, "{threads} threads"),
            }
            let weights: Vec<u32> =
                net.layers().iter().flat_map(|l| l.weights().as_slice().iter().map(|w| w.to_bits())).collect();
            results.push(weights);
        }
        assert!(results[0] == results[1], "{setting:?}: 1 and 2 threads differ");
    }
}

/// The builder's setting reaches every layer, and `from_layers` starts at the default.
#[test]
fn the_builder_sets_it_and_the_default_is_flush() {
    let net = Network::<f32>::builder(2).layer(3, Activation::Sigmoid).subnormals(Subnormals::Keep).build().unwrap();
    assert_eq!(net.subnormals(), Subnormals::Keep);
    // Saturate it by hand: σ(−100) of every neuron is subnormal, and kept.
    let layer =
        Layer::new(Matrix::new(1, 1, vec![1.0_f32]).unwrap(), vec![-100.0].into(), Activation::Sigmoid).unwrap();
    let mut net = Network::from_layers(vec![layer], Cost::Quadratic).unwrap();
    assert_eq!(net.subnormals(), Subnormals::Flush);
    assert_eq!(net.predict(&[0.0]).unwrap()[0], 0.0);
    net.set_subnormals(Subnormals::Keep);
    assert!(is_subnormal(net.predict(&[0.0]).unwrap()[0]));
    net.set_subnormals(Subnormals::Flush);
    assert_eq!(net.predict(&[0.0]).unwrap()[0], 0.0);
}

/// The costs see the activations inference computes: with the mean absolute cost and
/// y = 0, a saturated neuron costs its a, 0 when flushed and a subnormal when kept.
#[test]
fn costs_see_the_flushed_activations() {
    let layer =
        Layer::new(Matrix::new(1, 1, vec![1.0_f32]).unwrap(), vec![-100.0].into(), Activation::Sigmoid).unwrap();
    let mut net = Network::from_layers(vec![layer], Cost::MeanAbsolute).unwrap();
    assert_eq!(net.sample_cost(&[0.0], &[0.0]).unwrap(), 0.0);
    assert_eq!(net.mean_cost(&Matrix::zeros(2, 1), &Matrix::zeros(2, 1)).unwrap(), 0.0);
    net.set_subnormals(Subnormals::Keep);
    assert!(is_subnormal(net.sample_cost(&[0.0], &[0.0]).unwrap()));
}

/// The flush is the crate's own arithmetic, not a processor mode: the caller's
/// arithmetic keeps IEEE gradual underflow during and after training, on this thread.
#[test]
fn the_callers_arithmetic_is_untouched() {
    let (x, y) = batch(64, 256, 10, 5);
    let mut net = saturating_network(256, 256, 10, 6);
    net.set_threads(2).unwrap();
    net.train_batch(&x, &y, 0.5).unwrap();
    let half_of_smallest_normal = std::hint::black_box(f32::MIN_POSITIVE) / std::hint::black_box(2.0_f32);
    assert!(is_subnormal(half_of_smallest_normal));
    let tiny = std::hint::black_box(1e-300_f64) * std::hint::black_box(1e-10_f64);
    assert!(is_subnormal(tiny));
}
