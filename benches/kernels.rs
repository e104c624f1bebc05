//! Kernel throughput through the public `Matrix` API: W·x, Wᵀ·x and the rank-1 update at
//! MNIST-network and square shapes, and the matrix product at the nine training shapes
//! of a 784-100-10 network and at 256³, 512³ and 1024³, in f32 and f64.
//!
//! Throughput is in elements = floating-point operations, so criterion's elements/s are
//! FLOP/s. The training shapes use feature-major activations (features × batch, one
//! column per sample), so with a batch of B:
//! - `fwd`   Z = W·X:    100×784 · 784×B        → 100×784×B
//! - `wgrad` ∂W = Δ·Xᵀ:  100×B · (784×B)ᵀ       → 100×B×784, B transposed (`_Bt`)
//! - `delta` E = Wᵀ·Δ:   (100×784)ᵀ · 100×B     → 784×100×B, A transposed (`_At`)
//!
//! Run `cargo bench --bench kernels`; `BACKPROP_KERNEL=avx2` (or `portable`) forces a path.

use std::hint::black_box;
use std::time::Duration;

use backprop::{Float, Matrix, Transpose};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

/// A deterministic rows×cols matrix of values in [−1, 1).
fn matrix<T: Float>(rows: usize, cols: usize, seed: u64) -> Matrix<T> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    Matrix::from_fn(rows, cols, |_, _| {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        T::from_f64((s >> 11) as f64 / (1u64 << 52) as f64 - 1.0)
    })
}

/// The gemm shapes: name, (m, k, n), and whether op(A), op(B) are transposed views.
pub fn gemm_shapes() -> Vec<(String, usize, usize, usize, Transpose, Transpose)> {
    use Transpose::{No, Yes};
    let mut shapes = Vec::new();
    for batch in [10, 32, 128] {
        shapes.push((format!("100x784x{batch}"), 100, 784, batch, No, No));
        shapes.push((format!("100x{batch}x784_Bt"), 100, batch, 784, No, Yes));
        shapes.push((format!("784x100x{batch}_At"), 784, 100, batch, Yes, No));
    }
    for n in [256, 512, 1024] {
        shapes.push((format!("{n}x{n}x{n}"), n, n, n, No, No));
    }
    shapes
}

fn bench_matvec<T: Float>(c: &mut Criterion) {
    let mut group = c.benchmark_group(format!("matvec_{}", T::NAME));
    group.sample_size(20).warm_up_time(Duration::from_millis(300)).measurement_time(Duration::from_secs(1));
    for (m, n) in [(100, 784), (784, 100), (256, 256), (1024, 1024)] {
        let w = matrix::<T>(m, n, 1);
        let x = matrix::<T>(1, n, 2).into_vec();
        let xt = matrix::<T>(1, m, 3).into_vec();
        let id = format!("{m}x{n}");
        group.throughput(Throughput::Elements(2 * (m * n) as u64));

        let mut y = vec![T::ZERO; m];
        group.bench_function(BenchmarkId::new("Wx", &id), |bench| {
            bench.iter(|| black_box(&w).matvec_into(black_box(&x), &mut y))
        });
        let mut z = vec![T::ZERO; n];
        group.bench_function(BenchmarkId::new("WTx", &id), |bench| {
            bench.iter(|| black_box(&w).transpose_matvec_into(black_box(&xt), &mut z))
        });
        let mut g = matrix::<T>(m, n, 4);
        group.bench_function(BenchmarkId::new("outer", &id), |bench| {
            bench.iter(|| g.add_outer(T::from_f64(1e-3), black_box(&xt), black_box(&x)))
        });
        if (m, n) == (100, 784) {
            // The plain loop the kernels replace: one left-to-right dot product per row.
            group.bench_function(BenchmarkId::new("Wx_dot_per_row_loop", &id), |bench| {
                bench.iter(|| {
                    let w = black_box(&w);
                    for (i, yi) in y.iter_mut().enumerate() {
                        let mut s = T::ZERO;
                        for (&wij, &xj) in w.row(i).iter().zip(black_box(&x)) {
                            s += wij * xj;
                        }
                        *yi = s;
                    }
                })
            });
        }
    }
    group.finish();
}

fn bench_gemm<T: Float>(c: &mut Criterion) {
    let mut group = c.benchmark_group(format!("gemm_{}", T::NAME));
    group.sample_size(20).warm_up_time(Duration::from_millis(300)).measurement_time(Duration::from_secs(1));
    for (id, m, k, n, ta, tb) in gemm_shapes() {
        let a = if ta == Transpose::No { matrix::<T>(m, k, 5) } else { matrix::<T>(k, m, 5) };
        let b = if tb == Transpose::No { matrix::<T>(k, n, 6) } else { matrix::<T>(n, k, 6) };
        let mut out = Matrix::<T>::zeros(m, n);
        group.throughput(Throughput::Elements(2 * (m * k * n) as u64));
        group.bench_function(BenchmarkId::new("gemm", &id), |bench| {
            bench.iter(|| out.gemm(T::ONE, black_box(a.view()), ta, black_box(b.view()), tb, T::ZERO))
        });
    }
    group.finish();
}

fn kernels(c: &mut Criterion) {
    eprintln!("backprop kernels: {}", backprop::kernel_name());
    bench_matvec::<f32>(c);
    bench_matvec::<f64>(c);
    bench_gemm::<f32>(c);
    bench_gemm::<f64>(c);
}

criterion_group!(benches, kernels);
criterion_main!(benches);
