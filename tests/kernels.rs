//! `Matrix::gemm` on random shapes, transposes, α and β against a plain triple loop in
//! f64, through the public API (so through whichever kernels this CPU selects).
//!
//! The random cases come from a fixed seed: every run tests the same ones.

use backprop::{Float, Matrix, Transpose};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

/// One product: C (m×n) ← α·op(A)·op(B) + β·C.
#[derive(Clone, Debug)]
struct Case {
    m: usize,
    k: usize,
    n: usize,
    ta: Transpose,
    tb: Transpose,
    alpha: f64,
    beta: f64,
    /// Integer entries in −4..=4 (exact in f32 for these sizes) instead of values in [−1, 1).
    integers: bool,
    seed: u64,
}

fn transpose() -> impl Strategy<Value = Transpose> {
    prop_oneof![Just(Transpose::No), Just(Transpose::Yes)]
}

/// Dimensions biased towards the edges of the tiles and register widths.
fn dim() -> impl Strategy<Value = usize> {
    prop_oneof![0usize..=3, 4usize..=40, prop::sample::select(vec![47, 48, 49, 63, 64, 65, 100, 129, 200])]
}

fn case() -> impl Strategy<Value = Case> {
    (dim(), dim(), dim(), transpose(), transpose(), prop::sample::select(vec![0.0, 1.0, -0.5, 2.0])).prop_flat_map(
        |(m, k, n, ta, tb, alpha)| {
            (prop::sample::select(vec![0.0, 1.0, 0.25, -3.0]), any::<bool>(), any::<u64>())
                .prop_map(move |(beta, integers, seed)| Case { m, k, n, ta, tb, alpha, beta, integers, seed })
        },
    )
}

/// A deterministic matrix for a case.
fn matrix<T: Float>(rows: usize, cols: usize, seed: u64, integers: bool) -> Matrix<T> {
    let mut s = seed | 1;
    Matrix::from_fn(rows, cols, |_, _| {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        if integers {
            T::from_f64((s % 9) as f64 - 4.0)
        } else {
            T::from_f64((s >> 11) as f64 / (1u64 << 52) as f64 - 1.0)
        }
    })
}

fn check<T: Float>(cs: &Case) -> Result<(), TestCaseError> {
    let (m, k, n) = (cs.m, cs.k, cs.n);
    let a = if cs.ta == Transpose::No {
        matrix::<T>(m, k, cs.seed, cs.integers)
    } else {
        matrix::<T>(k, m, cs.seed, cs.integers)
    };
    let b = if cs.tb == Transpose::No {
        matrix::<T>(k, n, cs.seed ^ 0xABCD, cs.integers)
    } else {
        matrix::<T>(n, k, cs.seed ^ 0xABCD, cs.integers)
    };
    let mut c = matrix::<T>(m, n, cs.seed ^ 0x1234, cs.integers);
    if cs.beta == 0.0 {
        // β = 0 must overwrite C without reading it.
        c.as_mut_slice().fill(T::from_f64(f64::NAN));
    }
    let c0 = c.clone();
    c.gemm(T::from_f64(cs.alpha), a.view(), cs.ta, b.view(), cs.tb, T::from_f64(cs.beta));

    let op_a = |i: usize, p: usize| if cs.ta == Transpose::No { a[(i, p)] } else { a[(p, i)] }.to_f64();
    let op_b = |p: usize, j: usize| if cs.tb == Transpose::No { b[(p, j)] } else { b[(j, p)] }.to_f64();
    let u = if T::NAME == "f32" { f32::EPSILON as f64 / 2.0 } else { f64::EPSILON / 2.0 };
    for i in 0..m {
        for j in 0..n {
            let (mut exact, mut scale) = (0.0, 0.0);
            for p in 0..k {
                exact += op_a(i, p) * op_b(p, j);
                scale += (op_a(i, p) * op_b(p, j)).abs();
            }
            let old = if cs.beta == 0.0 { 0.0 } else { c0[(i, j)].to_f64() };
            let want = cs.alpha * exact + cs.beta * old;
            let scale = cs.alpha.abs() * scale + (cs.beta * old).abs();
            // The rounding of any summation order of k products, plus α, β and the store.
            let tol = if cs.integers { 0.0 } else { (k as f64 + 3.0) * u * scale };
            let got = c[(i, j)].to_f64();
            prop_assert!((got - want).abs() <= tol, "{} C[{i}][{j}] = {got}, want {want} ± {tol} in {cs:?}", T::NAME);
        }
    }
    Ok(())
}

fn runner() -> TestRunner {
    let config = Config { cases: 256, failure_persistence: None, ..Config::default() };
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]))
}

#[test]
fn gemm_matches_the_triple_loop_f32() {
    runner().run(&case(), |cs| check::<f32>(&cs)).unwrap();
}

#[test]
fn gemm_matches_the_triple_loop_f64() {
    runner().run(&case(), |cs| check::<f64>(&cs)).unwrap();
}
