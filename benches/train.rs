//! Training steps of a 784-100-10 sigmoid network with the quadratic cost: one
//! forward + backward + step at batch 1 (the classic per-sample algorithm), 10, 32 and
//! 128, and inference on 1,000 samples. Throughput is in samples.
//!
//! `subnormals_784_256_10_f32`: a training step at batch 32 of a network whose hidden
//! layer is ordinary, and of the same network with half its hidden neurons saturated
//! (σ(z) ≈ 10⁻⁴⁴, subnormal in f32) with `Subnormals::Flush` and with `Subnormals::Keep`.
//! Flushed, the saturated network should step as fast as the ordinary one.

use backprop::{Activation, Cost, Layer, Matrix, Network, Rng, Subnormals};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;

fn network() -> Network<f32> {
    Network::builder(784).layer(100, Activation::Sigmoid).layer(10, Activation::Sigmoid).seed(1).build().unwrap()
}

/// `rows` MNIST-shaped samples: inputs in [0, 1), one-hot targets.
fn samples(rows: usize) -> (Matrix<f32>, Matrix<f32>) {
    let mut rng = Rng::new(7);
    let x = Matrix::from_fn(rows, 784, |_, _| rng.uniform() as f32);
    let y = Matrix::from_fn(rows, 10, |i, j| if (i * 7) % 10 == j { 1.0 } else { 0.0 });
    (x, y)
}

fn train_step(c: &mut Criterion) {
    let mut group = c.benchmark_group("train_784_100_10_f32");
    group.measurement_time(Duration::from_secs(2)).warm_up_time(Duration::from_millis(500));
    for batch in [1usize, 10, 32, 128] {
        let (x, y) = samples(batch);
        let mut net = network();
        group.throughput(Throughput::Elements(batch as u64));
        group.bench_with_input(BenchmarkId::new("step", batch), &batch, |b, _| {
            b.iter(|| net.train_batch(black_box(&x), black_box(&y), 0.1).unwrap())
        });
    }
    let (x, _) = samples(1000);
    let net = network();
    group.throughput(Throughput::Elements(1000));
    group.bench_function("predict_1000", |b| b.iter(|| net.predict_batch(black_box(&x)).unwrap()));
    group.finish();
}

/// A 784-256-10 sigmoid network with small random weights; with `saturated`, the even
/// hidden neurons get a bias of −100, which puts their σ(z) near 10⁻⁴⁴.
fn network_256(saturated: bool, subnormals: Subnormals) -> Network<f32> {
    let mut rng = Rng::new(3);
    let w1 = Matrix::from_fn(256, 784, |_, _| (rng.uniform() as f32 - 0.5) * 0.1);
    let b1: Vec<f32> = (0..256).map(|j| if saturated && j % 2 == 0 { -100.0 } else { 0.0 }).collect();
    let w2 = Matrix::from_fn(10, 256, |_, _| rng.uniform() as f32 - 0.5);
    let hidden = Layer::new(w1, b1.into(), Activation::Sigmoid).unwrap();
    let output = Layer::new(w2, vec![0.0; 10].into(), Activation::Sigmoid).unwrap();
    let mut net = Network::from_layers(vec![hidden, output], Cost::Quadratic).unwrap();
    net.set_subnormals(subnormals);
    net
}

fn subnormal_step(c: &mut Criterion) {
    let mut group = c.benchmark_group("subnormals_784_256_10_f32");
    group.measurement_time(Duration::from_secs(2)).warm_up_time(Duration::from_millis(500));
    let (x, y) = samples(32);
    group.throughput(Throughput::Elements(32));
    let cases = [
        ("ordinary", false, Subnormals::Flush),
        ("saturated_flush", true, Subnormals::Flush),
        ("saturated_keep", true, Subnormals::Keep),
    ];
    for (name, saturated, subnormals) in cases {
        let mut net = network_256(saturated, subnormals);
        group.bench_function(name, |b| b.iter(|| net.train_batch(black_box(&x), black_box(&y), 0.1).unwrap()));
    }
    group.finish();
}

criterion_group!(benches, train_step, subnormal_step);
criterion_main!(benches);
