//! The hot matrix·vector loops of backpropagation: w·a (forward) and wᵀ·δ (BP2), at the
//! shapes of a 784-100-10 network and at 1024×1024, in f32 and f64.
//!
//! Throughput is in elements = floating-point operations (2·m·n per product), so
//! criterion's "elem/s" reads as FLOP/s.

use backprop::{Float, Matrix};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;

const SHAPES: [(usize, usize); 3] = [(100, 784), (784, 100), (1024, 1024)];

fn data<T: Float>(m: usize, n: usize) -> (Matrix<T>, Vec<T>, Vec<T>) {
    let w = Matrix::from_fn(m, n, |i, j| T::from_f64(((i * 7 + j * 13) % 17) as f64 / 17.0 - 0.5));
    let x = (0..n.max(m)).map(|i| T::from_f64((i % 11) as f64 / 11.0)).collect();
    (w, x, vec![T::ZERO; m.max(n)])
}

fn bench_type<T: Float>(c: &mut Criterion) {
    // Not `matvec_*`: that group is `benches/kernels.rs`'s, with its own function names.
    let mut group = c.benchmark_group(format!("backprop_loops_{}", T::NAME));
    group.measurement_time(Duration::from_secs(2)).warm_up_time(Duration::from_millis(500));
    for (m, n) in SHAPES {
        let (w, x, mut y) = data::<T>(m, n);
        group.throughput(Throughput::Elements(2 * (m * n) as u64));
        let id = format!("{m}x{n}");
        group.bench_with_input(BenchmarkId::new("w·a (forward)", &id), &(), |b, _| {
            b.iter(|| w.matvec_into(black_box(&x[..n]), &mut y[..m]))
        });
        group.bench_with_input(BenchmarkId::new("wᵀ·δ (BP2)", &id), &(), |b, _| {
            b.iter(|| w.transpose_matvec_into(black_box(&x[..m]), &mut y[..n]))
        });
    }
    group.finish();
}

fn matvec(c: &mut Criterion) {
    bench_type::<f32>(c);
    bench_type::<f64>(c);
}

criterion_group!(benches, matvec);
criterion_main!(benches);
