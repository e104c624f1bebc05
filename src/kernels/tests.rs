//! Every kernel of every instruction set this CPU has against the plain loops of
//! [`portable`]: exactly, on small integers (whose sums are exact in `f32`), and within a
//! rounding bound on random data. Sets the CPU lacks are skipped with a message.

use super::view::required_len;
use super::*;

/// All the sets the crate has kernels for on this target.
const ALL: &[&str] = &["avx512", "avx2", "portable"];

/// The sets to test: every one the CPU supports; the others are named as skipped.
fn isas() -> Vec<&'static Isa> {
    let sets = available();
    for name in ALL {
        if !sets.iter().any(|isa| isa.name == *name) && (cfg!(target_arch = "x86_64") || *name == "portable") {
            println!("skipping the {name} kernels: this CPU does not support them");
        }
    }
    sets
}

/// A small xorshift generator, seeded, so every run tests the same data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    /// An integer in −4..=4: products are ≤ 16 and sums of ≤ 1000 of them stay far
    /// below 2²⁴, so every kernel must give exactly the same result.
    fn int<T: Float>(&mut self) -> T {
        T::from_f64((self.next() % 9) as f64 - 4.0)
    }
    /// A value in [−1, 1).
    fn real<T: Float>(&mut self) -> T {
        T::from_f64((self.next() >> 11) as f64 / (1u64 << 52) as f64 - 1.0)
    }
    fn vec<T: Float>(&mut self, len: usize, exact: bool) -> Vec<T> {
        (0..len).map(|_| if exact { self.int() } else { self.real() }).collect()
    }
}

/// Lengths around the register widths (4, 8, 16 lanes), the tiles and the unrolling.
const LENGTHS: &[usize] = &[0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 23, 24, 25, 31, 32, 33, 63, 64, 65, 97, 127, 1000];

/// The unit roundoff of T.
fn eps<T: Float>() -> f64 {
    if T::NAME == "f32" { f32::EPSILON as f64 / 2.0 } else { f64::EPSILON / 2.0 }
}

/// Asserts |got − want| ≤ 2·γ·scale for each element, γ = (terms + 2)·u: the standard bound
/// on the rounding of a sum of `terms` products in any order, for both results.
#[track_caller]
fn assert_close<T: Float>(what: &str, got: &[T], want: &[T], scale: &[f64], terms: usize, exact: bool) {
    assert_eq!(got.len(), want.len());
    let gamma = (terms as f64 + 2.0) * eps::<T>();
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        let (g, w) = (g.to_f64(), w.to_f64());
        if g.to_bits() == w.to_bits() {
            // Equal, including the NaN padding between rows of C, which must stay untouched.
            continue;
        }
        if exact {
            assert!(g == w, "{what}: element {i} is {g}, want exactly {w}");
        } else {
            assert!(
                (g - w).abs() <= 2.0 * gamma * scale[i],
                "{what}: element {i} is {g}, want {w} ± {}",
                2.0 * gamma * scale[i]
            );
        }
    }
}

fn check_vector_kernels<T: Float>() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for isa in isas() {
        let ops = super::ops::<T>(isa);
        for exact in [true, false] {
            for &n in LENGTHS {
                let what = format!("{} {} n={n} exact={exact}", isa.name, T::NAME);
                let x: Vec<T> = rng.vec(n, exact);
                let y: Vec<T> = rng.vec(n, exact);
                let scale: f64 = x.iter().zip(&y).map(|(a, b)| (a.to_f64() * b.to_f64()).abs()).sum();
                // SAFETY: the set is supported (from `available`) and the lengths are equal.
                let got = unsafe { (ops.dot)(&x, &y) };
                assert_close(&format!("dot {what}"), &[got], &[portable::dot(&x, &y)], &[scale], n, exact);

                let alpha = if exact { T::from_f64(-2.0) } else { T::from_f64(0.7) };
                let mut got = y.clone();
                let mut want = y.clone();
                // SAFETY: as above.
                unsafe { (ops.axpy)(alpha, &x, &mut got) };
                portable::axpy(alpha, &x, &mut want);
                let scale: Vec<f64> =
                    x.iter().zip(&y).map(|(a, b)| (alpha.to_f64() * a.to_f64()).abs() + b.to_f64().abs()).collect();
                assert_close(&format!("axpy {what}"), &got, &want, &scale, 1, exact);
            }
        }
    }
}

/// Shapes (m, n) for the matrix·vector kernels.
fn matvec_shapes() -> Vec<(usize, usize)> {
    let dims = [0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 65, 100];
    let mut shapes = Vec::new();
    for &m in &dims {
        for &n in &dims {
            shapes.push((m, n));
        }
    }
    shapes.extend([(1000, 3), (3, 1000), (100, 784), (784, 100)]);
    shapes
}

fn check_matvec_kernels<T: Float>() {
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    for isa in isas() {
        let ops = super::ops::<T>(isa);
        for exact in [true, false] {
            for (m, n) in matvec_shapes() {
                for (lda, alpha, beta) in [(n, 1.0, 0.0), (n + 3, -2.0, 1.0), (n + 1, 0.5, 3.0)] {
                    let what = format!("{} {} {m}×{n} lda={lda} α={alpha} β={beta} exact={exact}", isa.name, T::NAME);
                    let (alpha, beta) = (T::from_f64(alpha), T::from_f64(beta));
                    let a: Vec<T> = rng.vec(required_len(m, n, lda).unwrap(), exact);
                    let abs = |v: T| v.to_f64().abs();

                    // y ← α·A·x + β·y, with NaN in y when β = 0.
                    let x: Vec<T> = rng.vec(n, exact);
                    let mut y: Vec<T> = rng.vec(m, exact);
                    if beta == T::ZERO {
                        y.fill(T::from_f64(f64::NAN));
                    }
                    let (mut got, mut want) = (y.clone(), y.clone());
                    // SAFETY: the set is supported and the slices fit m×n with stride lda.
                    unsafe { (ops.gemv)(m, n, alpha, &a, lda, &x, beta, &mut got) };
                    portable::gemv(m, n, alpha, &a, lda, &x, beta, &mut want);
                    let scale: Vec<f64> = (0..m)
                        .map(|i| {
                            let s: f64 = (0..n).map(|j| abs(a[i * lda + j]) * abs(x[j])).sum();
                            abs(alpha) * s + if beta == T::ZERO { 0.0 } else { abs(beta) * abs(y[i]) }
                        })
                        .collect();
                    assert_close(&format!("gemv {what}"), &got, &want, &scale, n, exact);

                    // y ← α·Aᵀ·x + β·y.
                    let x: Vec<T> = rng.vec(m, exact);
                    let mut y: Vec<T> = rng.vec(n, exact);
                    if beta == T::ZERO {
                        y.fill(T::from_f64(f64::NAN));
                    }
                    let (mut got, mut want) = (y.clone(), y.clone());
                    // SAFETY: as above.
                    unsafe { (ops.gemv_t)(m, n, alpha, &a, lda, &x, beta, &mut got) };
                    portable::gemv_t(m, n, alpha, &a, lda, &x, beta, &mut want);
                    let scale: Vec<f64> = (0..n)
                        .map(|j| {
                            let s: f64 = (0..m).map(|i| abs(a[i * lda + j]) * abs(x[i])).sum();
                            abs(alpha) * s + if beta == T::ZERO { 0.0 } else { abs(beta) * abs(y[j]) }
                        })
                        .collect();
                    assert_close(&format!("gemv_t {what}"), &got, &want, &scale, m, exact);

                    // A ← β·A + α·x·yᵀ, with NaN in the m×n part of A when β = 0 (the
                    // padding past column n must come out untouched).
                    let x: Vec<T> = rng.vec(m, exact);
                    let y: Vec<T> = rng.vec(n, exact);
                    let mut a = a.clone();
                    let in_shape = |e: usize| e % lda.max(1) < n;
                    if beta == T::ZERO {
                        for (e, v) in a.iter_mut().enumerate() {
                            if in_shape(e) {
                                *v = T::from_f64(f64::NAN);
                            }
                        }
                    }
                    let (mut got, mut want) = (a.clone(), a.clone());
                    // SAFETY: as above.
                    unsafe { (ops.ger)(m, n, alpha, &x, &y, beta, &mut got, lda) };
                    portable::ger(m, n, alpha, &x, &y, beta, &mut want, lda);
                    let scale: Vec<f64> = (0..a.len())
                        .map(|e| {
                            let (i, j) = (e / lda.max(1), e % lda.max(1));
                            if !in_shape(e) {
                                return abs(a[e]);
                            }
                            let old = if beta == T::ZERO { 0.0 } else { abs(beta) * abs(a[e]) };
                            abs(alpha) * abs(x[i]) * abs(y[j]) + old
                        })
                        .collect();
                    assert_close(&format!("ger {what}"), &got, &want, &scale, 2, exact);
                }
            }
        }
    }
}

/// One gemm case: shapes, transposes, extra stride, α and β.
#[derive(Clone, Copy, Debug)]
struct Case {
    m: usize,
    k: usize,
    n: usize,
    ta: Transpose,
    tb: Transpose,
    pad: usize,
    alpha: f64,
    beta: f64,
}

/// Stored shapes and strides of the operands of a case, and random operands for it.
fn operands<T: Float>(rng: &mut Rng, cs: Case, exact: bool) -> (Vec<T>, usize, Vec<T>, usize, Vec<T>, usize) {
    let (ar, ac) = if cs.ta == Transpose::No { (cs.m, cs.k) } else { (cs.k, cs.m) };
    let (br, bc) = if cs.tb == Transpose::No { (cs.k, cs.n) } else { (cs.n, cs.k) };
    let (lda, ldb, ldc) = (ac + cs.pad, bc + 2 * cs.pad, cs.n + cs.pad);
    let a = rng.vec(required_len(ar, ac, lda).unwrap(), exact);
    let b = rng.vec(required_len(br, bc, ldb).unwrap(), exact);
    let mut c: Vec<T> = rng.vec(required_len(cs.m, cs.n, ldc).unwrap(), exact);
    if cs.beta == 0.0 {
        c.fill(T::from_f64(f64::NAN));
    }
    (a, lda, b, ldb, c, ldc)
}

/// op(X), `rows × cols` as used, of the stored X (row stride `ld`).
fn operand<T>(x: &[T], ld: usize, t: Transpose, rows: usize, cols: usize) -> MatRef<'_, T> {
    match t {
        Transpose::No => MatRef::new(x, rows, cols, ld),
        Transpose::Yes => MatRef::new(x, cols, rows, ld).op(Transpose::Yes),
    }
}

/// Runs one case through `ops` (with the routing of degenerate shapes) and through the
/// plain loops, and compares.
fn check_gemm_case<T: Float>(isa: &'static Isa, rng: &mut Rng, cs: Case, exact: bool) {
    let (a, lda, b, ldb, c, ldc) = operands::<T>(rng, cs, exact);
    let (alpha, beta) = (T::from_f64(cs.alpha), T::from_f64(cs.beta));
    let (mut got, mut want) = (c.clone(), c.clone());
    let (m, k, n, ta, tb) = (cs.m, cs.k, cs.n, cs.ta, cs.tb);
    let (ops, shape) = (super::ops::<T>(isa), Shape { m, k, n, ta, tb });
    let (a_op, b_op) = (operand(&a, lda, ta, m, k), operand(&b, ldb, tb, k, n));
    gemm_planned(ops, plan(ops, shape, alpha), &shape, alpha, a_op, b_op, beta, MatMut::new(&mut got, m, n, ldc));
    portable::gemm(Route::Cols, alpha, a_op, b_op, beta, MatMut::new(&mut want, m, n, ldc));
    let op_a = |i: usize, p: usize| if ta == Transpose::No { a[i * lda + p] } else { a[p * lda + i] };
    let op_b = |p: usize, j: usize| if tb == Transpose::No { b[p * ldb + j] } else { b[j * ldb + p] };
    let scale: Vec<f64> = (0..c.len())
        .map(|e| {
            let (i, j) = (e / ldc, e % ldc);
            if j >= n {
                return 0.0;
            }
            let s: f64 = (0..k).map(|p| (op_a(i, p).to_f64() * op_b(p, j).to_f64()).abs()).sum();
            cs.alpha.abs() * s + if cs.beta == 0.0 { 0.0 } else { (cs.beta * c[e].to_f64()).abs() }
        })
        .collect();
    assert_close(&format!("gemm {} {} {cs:?} exact={exact}", isa.name, T::NAME), &got, &want, &scale, k, exact);
}

const TRANSPOSES: [(Transpose, Transpose); 4] = [
    (Transpose::No, Transpose::No),
    (Transpose::No, Transpose::Yes),
    (Transpose::Yes, Transpose::No),
    (Transpose::Yes, Transpose::Yes),
];

/// (α, β) pairs: 0, 1 and another value for each (the others exact on integers).
const ALPHA_BETA: [(f64, f64); 5] = [(1.0, 0.0), (1.0, 1.0), (-2.0, 3.0), (0.0, -1.0), (0.5, 0.0)];

fn check_gemm_small<T: Float>() {
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let ms = [0, 1, 2, 5, 11, 12, 13, 23, 24, 25, 49];
    let ns = [0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 65];
    let ks = [0, 1, 2, 3, 16, 17, 100];
    for isa in isas() {
        let mut round = 0;
        for &m in &ms {
            for &n in &ns {
                for &k in &ks {
                    for (ta, tb) in TRANSPOSES {
                        round += 1;
                        let (alpha, beta) = ALPHA_BETA[round % ALPHA_BETA.len()];
                        let pad = round % 3;
                        let cs = Case { m, k, n, ta, tb, pad, alpha, beta };
                        check_gemm_case::<T>(isa, &mut rng, cs, round % 2 == 0);
                    }
                }
            }
        }
    }
}

/// Shapes across the cache blocks (k past KC = 192, 256 and 512; n past NC = 256, 320
/// and 512), the training shapes of a 784-100-10 network, 1000, B rows 512 wide
/// (2 or 4 KiB apart without padding, where the packed kernels pack B rather than read it
/// in place), and C a few columns wider than a multiple of two registers (the last
/// columns computed as a product of their own, by whichever route their width takes).
fn check_gemm_large<T: Float>() {
    let mut rng = Rng(0x5851_F42D_4C95_7F2D);
    let shapes = [
        (37, 600, 21),
        (13, 193, 530),
        (30, 513, 9),
        (100, 784, 10),
        (100, 10, 784),
        (784, 100, 10),
        (1000, 3, 41),
        (29, 1000, 5),
        (12, 40, 512),
        (20, 600, 140),
        (40, 70, 33),
        (300, 20, 100),
        (45, 2048, 36),
    ];
    for isa in isas() {
        for (s, &(m, k, n)) in shapes.iter().enumerate() {
            for (t, (ta, tb)) in TRANSPOSES.into_iter().enumerate() {
                for (e, exact) in [true, false].into_iter().enumerate() {
                    let (alpha, beta) = ALPHA_BETA[(s + t + e) % ALPHA_BETA.len()];
                    let cs = Case { m, k, n, ta, tb, pad: (s + t) % 2, alpha, beta };
                    check_gemm_case::<T>(isa, &mut rng, cs, exact);
                }
            }
        }
    }
}

/// `gemm_threaded` gives the same bits as `gemm` for 1 to 4 threads, splitting rows (and
/// columns, for one-row products), including shapes whose blocks end mid-tile.
fn check_threaded<T: Float>() {
    let mut rng = Rng(0x1405_7B7E_F767_814F);
    // Split by rows; by columns of a single row; by rows with k = 1; by columns of a wide
    // C (the weight gradient of a 100-neuron layer at batch 128, and an odd shape whose
    // last block has a partial tile).
    let shapes = [
        (300, 200, 150),
        (1, 9000, 1000),
        (230, 170, 300),
        (1000, 1, 8100),
        (1017, 537, 17),
        (2017, 537, 10),
        (100, 128, 784),
        (37, 301, 1111),
        // Wide C with k ≥ 512: dot products for a product of at most 32 rows (every SIMD
        // set) or 256 (f32 AVX-512), packed tiles above, chosen by the whole product's rows
        // in every block; 100 and 200 rows take different routes by set and type.
        (30, 600, 140),
        (100, 600, 140),
        (200, 600, 140),
        (300, 600, 140),
        // The last columns of C apart from the rest: 1 of 33 (small enough in all for the
        // small-product kernel), 4 of 100.
        (130, 70, 33),
        (301, 300, 100),
    ];
    for (m, k, n) in shapes {
        for (ta, tb) in TRANSPOSES {
            let cs = Case { m, k, n, ta, tb, pad: 1, alpha: 0.7, beta: 0.3 };
            let (a, lda, b, ldb, c, ldc) = operands::<T>(&mut rng, cs, false);
            let (alpha, beta) = (T::from_f64(0.7), T::from_f64(0.3));
            let mut want = c.clone();
            let (a_op, b_op) = (operand(&a, lda, ta, m, k), operand(&b, ldb, tb, k, n));
            gemm_threaded(1, m, alpha, a_op, b_op, beta, MatMut::new(&mut want, m, n, ldc));
            for threads in 1..=4 {
                let mut got = c.clone();
                gemm_threaded(threads, m, alpha, a_op, b_op, beta, MatMut::new(&mut got, m, n, ldc));
                let same = got.iter().zip(&want).all(|(g, w)| g.to_f64().to_bits() == w.to_f64().to_bits());
                assert!(same, "gemm_threaded({threads}) {} {m}×{k}×{n} {ta:?} {tb:?} differs from gemm", T::NAME);
            }
            // Rows of C computed apart, as a data-parallel pass does (row blocks of 1, of
            // a third, and the rest), told the whole product's m, give the same bits too.
            let mut got = c.clone();
            let cuts = [0, 1.min(m), (m / 3).max(1.min(m)), m];
            for w in cuts.windows(2).filter(|w| w[0] < w[1]) {
                let (i0, i1) = (w[0], w[1]);
                let a_rows = if ta == Transpose::No { &a[i0 * lda..] } else { &a[i0..] };
                let a_rows = operand(a_rows, lda, ta, i1 - i0, k);
                let c_rows = MatMut::new(&mut got[i0 * ldc..], i1 - i0, n, ldc);
                gemm_threaded(1, m, alpha, a_rows, b_op, beta, c_rows);
            }
            let same = got.iter().zip(&want).all(|(g, w)| g.to_f64().to_bits() == w.to_f64().to_bits());
            assert!(same, "row blocks of {} {m}×{k}×{n} {ta:?} {tb:?} differ from gemm", T::NAME);
        }
    }
}

/// Every set's `bias_sigmoid` gives the portable loop's bits (the same IEEE operations,
/// only in wider registers), for row lengths around the register widths, arguments
/// across σ's range (saturation at both ends, subnormal e^−|z|), and NaN.
fn check_bias_sigmoid<T: Float>() {
    let mut rng = Rng(0x51C3_01D5_0000_0001);
    for isa in isas() {
        for &n in LENGTHS {
            for rows in [1, 3] {
                let bias: Vec<T> = rng.vec(n, false);
                let z: Vec<T> = (0..rows * n)
                    .map(|i| {
                        let u = rng.vec::<T>(1, false)[0].to_f64();
                        let z = match i % 5 {
                            0 => u * 200.0,
                            1 => u * 2000.0,
                            4 if i % 7 == 0 => f64::NAN,
                            _ => u * 12.0,
                        };
                        T::from_f64(z)
                    })
                    .collect();
                let (mut z_got, mut z_want) = (z.clone(), z.clone());
                let (mut a_got, mut a_want) = (vec![T::ZERO; z.len()], vec![T::ZERO; z.len()]);
                // SAFETY: the set is supported (from `available`); z and a are whole rows.
                unsafe { (super::ops::<T>(isa).bias_sigmoid)(&mut z_got, &bias, &mut a_got) };
                portable::bias_sigmoid(&mut z_want, &bias, &mut a_want);
                let bits = |v: &[T]| v.iter().map(|x| x.to_f64().to_bits()).collect::<Vec<_>>();
                let what = format!("bias_sigmoid {} {} n={n} rows={rows}", isa.name, T::NAME);
                assert_eq!(bits(&z_got), bits(&z_want), "{what}: z");
                assert_eq!(bits(&a_got), bits(&a_want), "{what}: a");
            }
        }
    }
}

#[test]
fn bias_sigmoid_matches_the_loop() {
    check_bias_sigmoid::<f32>();
    check_bias_sigmoid::<f64>();
}

#[test]
fn vector_kernels_match_the_loops() {
    check_vector_kernels::<f32>();
    check_vector_kernels::<f64>();
}

#[test]
fn matvec_kernels_match_the_loops() {
    check_matvec_kernels::<f32>();
    check_matvec_kernels::<f64>();
}

#[test]
fn gemm_small_shapes_match_the_loops_f32() {
    check_gemm_small::<f32>();
}

#[test]
fn gemm_small_shapes_match_the_loops_f64() {
    check_gemm_small::<f64>();
}

#[test]
fn gemm_large_shapes_match_the_loops() {
    check_gemm_large::<f32>();
    check_gemm_large::<f64>();
}

/// Every route of every set, forced on shapes it was and was not planned for, against the
/// plain loops, exactly (small integers): a route that does not fit the shape must still
/// compute the product (by the packed tiles), never read or write out of bounds.
fn check_forced_routes<T: Float>() {
    let mut rng = Rng(0x5eed_f00d);
    for isa in isas() {
        let ops = super::ops::<T>(isa);
        let t = ops.tuning;
        let mut routes = vec![
            Route::Cols,
            Route::Dots { kc: t.dots.kc },
            Route::Dots { kc: 7 },
            Route::Narrow(t.narrow.1),
            Route::Packed(t.packed),
        ];
        routes.extend([1, 2, 4].map(|nv| Route::Small { nv }));
        for (m, k, n) in [(5, 20, 7), (3, 40, 33), (17, 70, 13), (2, 9, 70), (30, 3, 12)] {
            for ta in [Transpose::No, Transpose::Yes] {
                for tb in [Transpose::No, Transpose::Yes] {
                    let cs = Case { m, k, n, ta, tb, pad: 1, alpha: 1.0, beta: 0.0 };
                    let (a, lda, b, ldb, c, ldc) = operands::<T>(&mut rng, cs, true);
                    let mut want = c.clone();
                    let (a_op, b_op) = (operand(&a, lda, ta, m, k), operand(&b, ldb, tb, k, n));
                    portable::gemm(Route::Cols, T::ONE, a_op, b_op, T::ZERO, MatMut::new(&mut want, m, n, ldc));
                    for &route in &routes {
                        // The small kernel checks its own limits (a panic, not a wrong
                        // access): force it only where it fits.
                        if let Route::Small { nv } = route
                            && !(k <= 64 && n <= nv * t.lanes && k * nv * t.lanes <= 2048 && t.small.is_some())
                        {
                            continue;
                        }
                        let mut got = c.clone();
                        let c_got = MatMut::new(&mut got, m, n, ldc);
                        gemm_kernel(ops, route, None, T::ONE, a_op, b_op, T::ZERO, c_got);
                        let same = (0..m).all(|i| got[i * ldc..i * ldc + n] == want[i * ldc..i * ldc + n]);
                        assert!(same, "{} {} {route:?} {m}×{k}×{n} {ta:?} {tb:?}", isa.name, T::NAME);
                    }
                }
            }
        }
    }
}

/// The one-register tiles at every height they come in (3, 4, 6, 8, 12 and 24 rows, with
/// and without padded rows), with A as stored or transposed, and with rows of A 4 KiB
/// apart (which takes the 8-row tiles), against the plain loops, exactly.
fn check_narrow_tiles<T: Float>() {
    let mut rng = Rng(0x0a11_7113);
    let lanes_4k = 4096 / size_of::<T>();
    for isa in isas() {
        let ops = super::ops::<T>(isa);
        let t = ops.tuning;
        let route = Route::Narrow(t.narrow.1);
        for m in [1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 13, 16, 17, 24, 30, 33, 40, 100] {
            for (k, pad) in [(37, 1), (lanes_4k, 0)] {
                for n in [t.lanes.saturating_sub(3).max(1), t.lanes.max(1)] {
                    for ta in [Transpose::No, Transpose::Yes] {
                        let cs = Case { m, k, n, ta, tb: Transpose::No, pad, alpha: 1.0, beta: 0.0 };
                        let (a, lda, b, ldb, c, ldc) = operands::<T>(&mut rng, cs, true);
                        let (a_op, b_op) = (operand(&a, lda, ta, m, k), operand(&b, ldb, Transpose::No, k, n));
                        let mut want = c.clone();
                        portable::gemm(Route::Cols, T::ONE, a_op, b_op, T::ZERO, MatMut::new(&mut want, m, n, ldc));
                        let mut got = c.clone();
                        gemm_kernel(ops, route, None, T::ONE, a_op, b_op, T::ZERO, MatMut::new(&mut got, m, n, ldc));
                        let same = (0..m).all(|i| got[i * ldc..i * ldc + n] == want[i * ldc..i * ldc + n]);
                        assert!(same, "{} {} {m}×{k}×{n} {ta:?}", isa.name, T::NAME);
                    }
                }
            }
        }
    }
}

#[test]
fn narrow_tiles_match_the_loops() {
    check_narrow_tiles::<f32>();
    check_narrow_tiles::<f64>();
}

#[test]
fn forced_routes_match_the_loops() {
    check_forced_routes::<f32>();
    check_forced_routes::<f64>();
}

#[test]
fn a_row_split_into_single_columns_keeps_the_plan_of_the_whole() {
    // 1×k×2 with 2·k·2 ≥ 16 MFLOP: on two threads each block is one column, which must
    // still be computed as a column of the matrix·vector product, not as a dot product.
    let k = 1 << 22;
    let mut rng = Rng(7);
    let a: Vec<f32> = rng.vec(k, false);
    let b: Vec<f32> = rng.vec(2 * k, false);
    let (a, b) = (MatRef::new(&a, 1, k, k), MatRef::new(&b, k, 2, 2));
    let (mut one, mut two) = ([0.0f32; 2], [0.0f32; 2]);
    gemm_threaded(1, 1, 1.0, a, b, 0.0, MatMut::new(&mut one, 1, 2, 2));
    gemm_threaded(2, 1, 1.0, a, b, 0.0, MatMut::new(&mut two, 1, 2, 2));
    assert_eq!(one.map(f32::to_bits), two.map(f32::to_bits));
}

#[test]
fn gemm_threaded_is_bitwise_gemm() {
    check_threaded::<f32>();
    check_threaded::<f64>();
}

#[test]
fn the_selected_set_is_available() {
    let name = selected();
    assert!(available().iter().any(|isa| isa.name == name), "{name} is not available");
    if std::env::var("BACKPROP_KERNEL").is_err() {
        assert_eq!(name, available()[0].name, "the most capable set is the default");
    }
    // Every AArch64 CPU that runs Linux has NEON: the SIMD kernels must be among those
    // tested here, not only the portable loops.
    #[cfg(target_arch = "aarch64")]
    assert_eq!(available()[0].name, "neon");
}

#[test]
fn backprop_kernel_forces_an_available_set_and_names_a_bad_value() {
    let sets = available();
    let best = sets[0].name;
    for unset in [None, Some(""), Some("  ")] {
        let (isa, warning) = choose(&sets, unset);
        assert_eq!((isa.name, warning), (best, None), "{unset:?}");
    }
    for isa in &sets {
        let padded = format!(" {} ", isa.name);
        assert_eq!(choose(&sets, Some(&padded)).0.name, isa.name);
        assert_eq!(choose(&sets, Some(&padded)).1, None);
    }
    let (isa, warning) = choose(&sets, Some("avx9000"));
    assert_eq!(isa.name, best);
    let expected =
        format!("BACKPROP_KERNEL=\"avx9000\" ignored: it is none of avx512, avx2, neon, portable; using {best}");
    assert_eq!(warning.as_deref(), Some(expected.as_str()));
    // A set this build knows but the CPU (or target) lacks.
    let only_portable = [&PORTABLE];
    let (isa, warning) = choose(&only_portable, Some("avx2"));
    assert_eq!(isa.name, "portable");
    let expected = "BACKPROP_KERNEL=\"avx2\" ignored: this CPU does not support it (it has portable); using portable";
    assert_eq!(warning.as_deref(), Some(expected));
}

#[test]
fn gemm_at_a_warm_shape_reuses_its_scratch() {
    // The second call at the same shape must find the scratch big enough: compare the
    // buffer's address before and after.
    let (m, k, n) = (64, 300, 100);
    let a = vec![1.0f32; m * k];
    let b = vec![1.0f32; k * n];
    let mut c = vec![0.0f32; m * n];
    let (a_op, b_op) = (MatRef::new(&a, m, k, k), MatRef::new(&b, k, n, n));
    let run = |c: &mut [f32]| gemm_threaded(1, m, 1.0, a_op, b_op, 0.0, MatMut::new(c, m, n, n));
    run(&mut c);
    let before = scratch::scratch::<f32>(0).as_ptr() as usize;
    run(&mut c);
    let after = scratch::scratch::<f32>(0).as_ptr() as usize;
    assert_eq!(before, after);
    assert!(c.iter().all(|&v| v == k as f32));
}

// The length checks before the unsafe kernels, in the views' constructors, cannot be
// passed by a shape whose length does not fit in a `usize`: (m − 1)·lda + n used to wrap
// (to 0 here, in release builds), so that an empty slice passed for a 2×1 matrix and the
// kernels read past it.

#[test]
#[should_panic(expected = "matrix: 0 elements, too few for 2×1 with stride 18446744073709551615")]
fn matrix_length_check_does_not_wrap() {
    let _ = MatRef::<f32>::new(&[], 2, 1, usize::MAX);
}

#[test]
#[should_panic(expected = "matrix: 0 elements, too few for 9223372036854775808×2 with stride 2")]
fn output_length_check_does_not_wrap() {
    let _ = MatMut::<f32>::new(&mut [], 1 << 63, 2, 2);
}

#[test]
#[should_panic(expected = "gemv: op(A) is 2×1, so x needs 1 and y 2, got 1 and 1")]
fn gemv_checks_the_vectors() {
    gemv(1.0f32, MatRef::new(&[1.0, 2.0], 2, 1, 1), &[1.0], 0.0, &mut [0.0]);
}

#[test]
#[should_panic(expected = "ger: A is 2×1, so x needs 2 and y 1, got 1 and 1")]
fn ger_checks_the_vectors() {
    ger(1.0f64, &[1.0], &[1.0], MatMut::new(&mut [0.0; 2], 2, 1, 1));
}

#[test]
#[should_panic(expected = "gemm: op(A) is 2×3 and op(B) 2×2, which cannot make C 2×2")]
fn gemm_checks_the_shapes() {
    let (a, b, mut c) = ([0.0f32; 6], [0.0f32; 4], [0.0f32; 4]);
    let c = MatMut::new(&mut c, 2, 2, 2);
    gemm_threaded(1, 2, 1.0, MatRef::new(&a, 2, 3, 3), MatRef::new(&b, 2, 2, 2), 0.0, c);
}

#[test]
fn views_from_a_row_or_column_keep_inside_their_slice() {
    // A 3×4 matrix with stride 5 (19 elements), as stored and transposed.
    let data: Vec<i32> = (0..19).collect();
    let a = MatRef::new(&data, 3, 4, 5);
    assert_eq!((a.rows_from(1).data()[0], a.rows_from(1).n_rows()), (5, 2));
    assert_eq!((a.cols_from(3).data()[0], a.cols_from(3).n_cols()), (3, 1));
    assert_eq!(a.rows_from(3).n_rows(), 0);
    let t = a.op(Transpose::Yes);
    assert_eq!((t.n_rows(), t.n_cols()), (4, 3));
    assert_eq!((t.rows_from(2).data()[0], t.rows_from(2).n_rows()), (2, 2));
    assert_eq!((t.cols_from(1).data()[0], t.cols_from(1).n_cols()), (5, 2));
    // No columns: rows past the first are nowhere, even with a stride that overflows.
    let empty = MatRef::<f32>::new(&[], 3, 0, usize::MAX);
    assert_eq!(empty.rows_from(2).n_rows(), 1);
    let empty = MatMut::<f32>::new(&mut [], 3, 0, usize::MAX);
    let (_, mut lower) = empty.split_at_row(2);
    assert!(lower.row(0).is_empty());
    // A block split by rows and columns writes only its own elements.
    let mut data = vec![0; 19];
    let c = MatMut::new(&mut data, 3, 4, 5);
    let (top, bottom) = c.split_at_row(1);
    let (mut left, mut right) = bottom.split_at_col(2);
    let mut top = top;
    top.row(0).fill(1);
    left.row(1).fill(2);
    right.row(0).fill(3);
    assert!(left.contiguous().is_none());
    assert_eq!(top.contiguous().map(|r| r.len()), Some(4));
    assert_eq!(data, [1, 1, 1, 1, 0, 0, 0, 3, 3, 0, 2, 2, 0, 0, 0, 0, 0, 0, 0]);
}
