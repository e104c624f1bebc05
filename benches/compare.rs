//! The crate's matrix product beside `matrixmultiply` and the `gemm` crate, on the same
//! shapes (those of `benches/kernels.rs`), operands and output buffer, in one run, so the
//! ratios between them are fair whatever the machine is doing.
//!
//! Transposed operands are passed to the peers as strided views (no copies), as the crate
//! reads them. All run single-threaded. Run `cargo bench --bench compare`.

use std::hint::black_box;
use std::time::Duration;

use backprop::{Float, Matrix, Transpose};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

#[path = "kernels.rs"]
#[allow(dead_code)]
mod shapes;

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

/// The peers' entry points for one element type.
trait Peer: Float {
    /// C ← op(A)·op(B) with matrixmultiply; strides are (row, column) in elements.
    #[allow(clippy::too_many_arguments)]
    fn matrixmultiply(
        m: usize,
        k: usize,
        n: usize,
        a: &[Self],
        rsa: isize,
        csa: isize,
        b: &[Self],
        rsb: isize,
        csb: isize,
        c: &mut [Self],
    );
}

impl Peer for f32 {
    fn matrixmultiply(
        m: usize,
        k: usize,
        n: usize,
        a: &[f32],
        rsa: isize,
        csa: isize,
        b: &[f32],
        rsb: isize,
        csb: isize,
        c: &mut [f32],
    ) {
        // SAFETY: the strides describe m×k and k×n views inside `a` and `b` (set up by the
        // caller from the stored shapes), and `c` holds the m×n row-major result.
        unsafe {
            matrixmultiply::sgemm(
                m,
                k,
                n,
                1.0,
                a.as_ptr(),
                rsa,
                csa,
                b.as_ptr(),
                rsb,
                csb,
                0.0,
                c.as_mut_ptr(),
                n as isize,
                1,
            )
        }
    }
}

impl Peer for f64 {
    fn matrixmultiply(
        m: usize,
        k: usize,
        n: usize,
        a: &[f64],
        rsa: isize,
        csa: isize,
        b: &[f64],
        rsb: isize,
        csb: isize,
        c: &mut [f64],
    ) {
        // SAFETY: as for f32.
        unsafe {
            matrixmultiply::dgemm(
                m,
                k,
                n,
                1.0,
                a.as_ptr(),
                rsa,
                csa,
                b.as_ptr(),
                rsb,
                csb,
                0.0,
                c.as_mut_ptr(),
                n as isize,
                1,
            )
        }
    }
}

fn compare<T: Peer>(c: &mut Criterion) {
    let mut group = c.benchmark_group(format!("compare_{}", T::NAME));
    group.sample_size(20).warm_up_time(Duration::from_millis(300)).measurement_time(Duration::from_secs(1));
    for (id, m, k, n, ta, tb) in shapes::gemm_shapes() {
        let a = if ta == Transpose::No { matrix::<T>(m, k, 5) } else { matrix::<T>(k, m, 5) };
        let b = if tb == Transpose::No { matrix::<T>(k, n, 6) } else { matrix::<T>(n, k, 6) };
        // (row, column) strides of op(A) and op(B) over the stored row-major matrices.
        let (rsa, csa) = if ta == Transpose::No { (k as isize, 1) } else { (1, m as isize) };
        let (rsb, csb) = if tb == Transpose::No { (n as isize, 1) } else { (1, k as isize) };
        let mut out = Matrix::<T>::zeros(m, n);
        group.throughput(Throughput::Elements(2 * (m * k * n) as u64));

        group.bench_function(BenchmarkId::new("backprop", &id), |bench| {
            bench.iter(|| out.gemm(T::ONE, black_box(a.view()), ta, black_box(b.view()), tb, T::ZERO))
        });
        let want = out.clone();

        group.bench_function(BenchmarkId::new("matrixmultiply", &id), |bench| {
            bench.iter(|| {
                T::matrixmultiply(
                    m,
                    k,
                    n,
                    black_box(a.as_slice()),
                    rsa,
                    csa,
                    black_box(b.as_slice()),
                    rsb,
                    csb,
                    out.as_mut_slice(),
                )
            })
        });
        check(&id, "matrixmultiply", &out, &want, k);

        group.bench_function(BenchmarkId::new("gemm", &id), |bench| {
            bench.iter(|| {
                let (a, b) = (black_box(a.as_slice()), black_box(b.as_slice()));
                // SAFETY: as for matrixmultiply; the gemm crate takes (column, row) strides
                // and computes dst ← α·dst + β·lhs·rhs, with read_dst = false dropping dst.
                unsafe {
                    gemm::gemm(
                        m,
                        n,
                        k,
                        out.as_mut_slice().as_mut_ptr(),
                        1,
                        n as isize,
                        false,
                        a.as_ptr(),
                        csa,
                        rsa,
                        b.as_ptr(),
                        csb,
                        rsb,
                        T::ZERO,
                        T::ONE,
                        false,
                        false,
                        false,
                        gemm::Parallelism::None,
                    )
                }
            })
        });
        check(&id, "gemm", &out, &want, k);
    }
    group.finish();
}

/// Panics unless a peer's result agrees with the crate's to rounding (relative to the
/// largest element), so the three compute the same product.
fn check<T: Float>(id: &str, peer: &str, got: &Matrix<T>, want: &Matrix<T>, k: usize) {
    let scale = want.as_slice().iter().fold(1.0f64, |s, v| s.max(v.to_f64().abs()));
    let eps = if T::NAME == "f32" { f32::EPSILON as f64 } else { f64::EPSILON };
    for (g, w) in got.as_slice().iter().zip(want.as_slice()) {
        let diff = (g.to_f64() - w.to_f64()).abs();
        assert!(diff <= 2.0 * k as f64 * eps * scale, "{peer} {id}: {} vs {}", g, w);
    }
}

fn benches(c: &mut Criterion) {
    eprintln!("backprop kernels: {}", backprop::kernel_name());
    compare::<f32>(c);
    compare::<f64>(c);
}

criterion_group!(compare_group, benches);
criterion_main!(compare_group);
