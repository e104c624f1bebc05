//! The cross-entropies of sigmoid and softmax outputs computed from z (`Cost::value_from_z`)
//! against a double-double reference, for |z| up to 10⁴ in f32 and f64, and every place
//! that reports a cost: `Network::sample_cost`, `Network::mean_cost`, the training and
//! validation costs of `fit`, early stopping and `gradient_check`.
//!
//! The reference carries about 106 bits, so rounding it to f64 gives the correctly
//! rounded cost (or one at most a hair past half an ulp off, if the cost lies within
//! 2⁻⁸⁰ relative of a midpoint between two f64): well inside the few ulp the crate is
//! held to. Its own accuracy is tested first, against constants known to more digits.

use backprop::{
    Activation, Cost, Dataset, EarlyStopping, Layer, Matrix, Network, Rng, Sgd, StopReason, Trainer, ValidationSet,
    gradient_check,
};

/// A double-double number hi + lo, |lo| ≤ ½ ulp(hi): about 106 significant bits.
#[derive(Clone, Copy, Debug)]
struct Dd {
    hi: f64,
    lo: f64,
}

/// a + b exactly, as a rounded sum and its error (Knuth's two-sum).
fn two_sum(a: f64, b: f64) -> Dd {
    let s = a + b;
    let bb = s - a;
    Dd { hi: s, lo: (a - (s - bb)) + (b - bb) }
}

/// a + b exactly for |a| ≥ |b| (Dekker's fast two-sum).
fn fast_two_sum(a: f64, b: f64) -> Dd {
    let s = a + b;
    Dd { hi: s, lo: b - (s - a) }
}

/// a·b exactly, as a rounded product and its error (by a fused multiply-add).
fn two_prod(a: f64, b: f64) -> Dd {
    let p = a * b;
    Dd { hi: p, lo: a.mul_add(b, -p) }
}

impl Dd {
    const ZERO: Dd = Dd { hi: 0.0, lo: 0.0 };
    /// ln 2 to 106 bits.
    const LN_2: Dd = Dd { hi: core::f64::consts::LN_2, lo: 2.319_046_813_846_299_6e-17 };

    fn of(x: f64) -> Dd {
        Dd { hi: x, lo: 0.0 }
    }
    fn add(self, o: Dd) -> Dd {
        let s = two_sum(self.hi, o.hi);
        let t = two_sum(self.lo, o.lo);
        let s = fast_two_sum(s.hi, s.lo + t.hi);
        fast_two_sum(s.hi, s.lo + t.lo)
    }
    fn neg(self) -> Dd {
        Dd { hi: -self.hi, lo: -self.lo }
    }
    fn sub(self, o: Dd) -> Dd {
        self.add(o.neg())
    }
    fn mul(self, o: Dd) -> Dd {
        let p = two_prod(self.hi, o.hi);
        fast_two_sum(p.hi, p.lo + (self.hi * o.lo + self.lo * o.hi))
    }
    fn div(self, o: Dd) -> Dd {
        let q1 = self.hi / o.hi;
        let r = self.sub(o.mul(Dd::of(q1)));
        let q2 = r.hi / o.hi;
        let r = r.sub(o.mul(Dd::of(q2)));
        let q3 = r.hi / o.hi;
        fast_two_sum(q1, q2).add(Dd::of(q3))
    }
    /// self·2ᵏ, in two exact steps (the second one rounds only in the subnormal range).
    fn scale(self, k: i32) -> Dd {
        let (k1, k2) = (k / 2, k - k / 2);
        let (p1, p2) = (2f64.powi(k1), 2f64.powi(k2));
        Dd { hi: self.hi * p1 * p2, lo: self.lo * p1 * p2 }
    }
    fn round(self) -> f64 {
        self.hi + self.lo
    }
}

/// eˣ: x = k ln 2 + r with |r| ≤ ½ ln 2, eʳ by its Taylor series to the term r³⁰/30!
/// (< 10⁻⁴⁴), then scaled by 2ᵏ. Relative error about 2⁻⁹⁰ for |x| ≤ 10⁴ (k·ln 2 is
/// off by k·2⁻¹⁰⁷), as long as the low part stays a normal number (eˣ > 2⁻⁹⁶⁹); below,
/// the error is at most a unit of the smallest subnormal, 2⁻¹⁰⁷⁴. 0 below −800, where
/// eˣ < 2⁻¹¹⁵⁴ rounds to 0 in any f64.
fn exp_dd(x: Dd) -> Dd {
    if x.hi < -800.0 {
        return Dd::ZERO;
    }
    let k = (x.hi / core::f64::consts::LN_2).round();
    let r = x.sub(Dd::LN_2.mul(Dd::of(k)));
    let mut sum = Dd::of(1.0);
    for n in (1..=30).rev() {
        sum = Dd::of(1.0).add(sum.mul(r).div(Dd::of(f64::from(n))));
    }
    sum.scale(k as i32)
}

/// 2 atanh t = 2 Σₙ t²ⁿ⁺¹/(2n + 1) = ln((1 + t)/(1 − t)), for |t| ≤ 1/3 (60 terms: the
/// last is below 10⁻⁵⁷ relative).
fn two_atanh(t: Dd) -> Dd {
    let t2 = t.mul(t);
    let (mut power, mut sum) = (t, Dd::ZERO);
    for n in 0..60 {
        sum = sum.add(power.div(Dd::of(f64::from(2 * n + 1))));
        power = power.mul(t2);
    }
    sum.add(sum)
}

/// ln(1 + u) for u ≥ 0: u itself below 10⁻²⁰⁰ (the next term, u²/2, is 10⁻²⁰⁰ of it;
/// halving a subnormal u would round); 2 atanh(u/(2 + u)) for u < ½ (no 1 + u, so a tiny
/// u keeps its precision); else w = 1 + u = 2ʲ·w′ with w′ in [¾, 3/2),
/// ln w = j ln 2 + 2 atanh((w′ − 1)/(w′ + 1)).
fn ln_1p_dd(u: Dd) -> Dd {
    if u.hi < 1e-200 {
        return u;
    }
    if u.hi < 0.5 {
        return two_atanh(u.div(Dd::of(2.0).add(u)));
    }
    let w = Dd::of(1.0).add(u);
    let j = (w.hi / 0.75).log2().floor() as i32;
    let w = w.scale(-j);
    let t = w.sub(Dd::of(1.0)).div(w.add(Dd::of(1.0)));
    Dd::LN_2.mul(Dd::of(f64::from(j))).add(two_atanh(t))
}

/// softplus(z) = ln(1 + eᶻ) = max(z, 0) + ln(1 + e^−|z|).
fn softplus_dd(z: f64) -> Dd {
    Dd::of(z.max(0.0)).add(ln_1p_dd(exp_dd(Dd::of(-z.abs()))))
}

/// The binary cross-entropy of one sigmoid output, −[y ln σ(z) + (1 − y) ln(1 − σ(z))].
fn binary_reference(z: f64, y: f64) -> Dd {
    let one_minus_y = Dd::of(1.0).sub(Dd::of(y));
    Dd::of(y).mul(softplus_dd(-z)).add(one_minus_y.mul(softplus_dd(z)))
}

/// The categorical cross-entropy of a softmax output, Σᵢ yᵢ (logsumexp(z) − zᵢ), with
/// logsumexp(z) = m + ln Σⱼ e^(zⱼ − m), m = max z.
fn categorical_reference(z: &[f64], y: &[f64]) -> Dd {
    let m = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let sum = z.iter().fold(Dd::ZERO, |s, &zj| s.add(exp_dd(Dd::of(zj).sub(Dd::of(m)))));
    // ln of a sum ≥ 1, as ln(1 + (sum − 1)).
    let log_sum = ln_1p_dd(sum.sub(Dd::of(1.0)));
    z.iter().zip(y).fold(Dd::ZERO, |c, (&zi, &yi)| c.add(Dd::of(yi).mul(Dd::of(m).sub(Dd::of(zi)).add(log_sum))))
}

/// The distance in ulp between two values ≥ 0 of the same type (subnormals included).
fn ulps64(a: f64, b: f64) -> u64 {
    assert!(a >= 0.0 && b >= 0.0, "{a:e}, {b:e}");
    a.to_bits().abs_diff(b.to_bits())
}

fn ulps32(a: f32, b: f32) -> u32 {
    assert!(a >= 0.0 && b >= 0.0, "{a:e}, {b:e}");
    a.to_bits().abs_diff(b.to_bits())
}

/// z from −10⁴ to 10⁴: 0, ±tiny values, a fine grid near 0 where softplus bends, every
/// integer up to 800 and log-spaced values up to 10⁴, and the edges of exp's range.
fn zs() -> Vec<f64> {
    let mut zs = vec![0.0, 1e-300, 1e-20, 1e-8, 708.0, 708.4, 709.8, 744.4, 745.2, 746.0, 1e4];
    zs.extend((1..2000).map(|i| f64::from(i) * 0.0137));
    zs.extend((1..=800).map(f64::from));
    zs.extend((0..=400).map(|i| 10f64.powf(f64::from(i) / 100.0)));
    let negated: Vec<f64> = zs.iter().map(|z| -z).collect();
    zs.extend(negated);
    zs
}

const TARGETS: [f64; 6] = [0.0, 1.0, 0.5, 0.25, 0.9, 0.01];

#[test]
fn the_double_double_reference_is_exact() {
    // ln 2 = 2 atanh(1/3) and e = e¹, each against its constant to 106 bits.
    let ln2 = two_atanh(Dd::of(1.0).div(Dd::of(3.0)));
    assert!(ln2.sub(Dd::LN_2).hi.abs() < 1e-31, "{ln2:?}");
    let e = exp_dd(Dd::of(1.0));
    assert!(e.sub(Dd { hi: core::f64::consts::E, lo: 1.445_646_891_729_250_2e-16 }).hi.abs() < 1e-30, "{e:?}");
    // ln(1 + (eˣ − 1)) = x, through both branches of ln_1p_dd, and eˣ·e⁻ˣ = 1.
    for x in [1e-12, 0.3, 0.45, 2.0, 17.5, 300.0, 600.0] {
        let back = ln_1p_dd(exp_dd(Dd::of(x)).sub(Dd::of(1.0)));
        assert!(back.sub(Dd::of(x)).hi.abs() < 1e-30 * x.max(1.0), "x = {x}: {back:?}");
        let one = exp_dd(Dd::of(x)).mul(exp_dd(Dd::of(-x)));
        assert!(one.sub(Dd::of(1.0)).hi.abs() < 1e-29, "x = {x}: {one:?}");
    }
    // e¹⁰⁰ = 2.6881171418161356094…e43, digits from an independent table.
    let e100 = exp_dd(Dd::of(100.0));
    assert!((e100.hi / 2.688_117_141_816_135_6e43 - 1.0).abs() < 2e-16, "{e100:?}");
    // The reference and the standard library's ln_1p and exp agree within rounding.
    for z in [-700.0, -30.0, -1.0, 0.5, 3.0, 40.0f64] {
        let std = z.max(0.0) + (-z.abs()).exp().ln_1p();
        assert!(ulps64(std, softplus_dd(z).round()) <= 2, "{z}");
    }
    // Subnormal and vanishing softplus values.
    assert_eq!(softplus_dd(-745.0).round(), (-745.0f64).exp());
    assert_eq!(softplus_dd(-1e4).round(), 0.0);
    assert_eq!(softplus_dd(1e4).round(), 1e4);
}

/// −ln σ(z) = softplus(−z): exact to 2 ulp in f64 for every z and target tested.
#[test]
fn binary_cross_entropy_from_z_is_exact_in_f64() {
    for z in zs() {
        for y in TARGETS {
            let a = Activation::Sigmoid.value(z);
            let c = Cost::BinaryCrossEntropy.value_from_z(Activation::Sigmoid, &[z], &[a], &[y]);
            let exact = binary_reference(z, y).round();
            assert!(ulps64(c, exact) <= 2, "z = {z}, y = {y}: {c:e} vs {exact:e}");
        }
    }
}

/// In f32 the cost is computed in f64 and rounded once: within 1 ulp of the reference.
#[test]
fn binary_cross_entropy_from_z_is_exact_in_f32() {
    for z in zs() {
        let z = z as f32;
        for y in TARGETS {
            let y = y as f32;
            let a = Activation::Sigmoid.value(z);
            let c = Cost::BinaryCrossEntropy.value_from_z(Activation::Sigmoid, &[z], &[a], &[y]);
            let exact = binary_reference(f64::from(z), f64::from(y)).round() as f32;
            assert!(ulps32(c, exact) <= 1, "z = {z}, y = {y}: {c:e} vs {exact:e}");
        }
    }
}

/// Rows of 2 to 5 logits at scales from 10⁻³ to 10⁴, with one-hot and spread targets.
fn softmax_cases() -> Vec<(Vec<f64>, Vec<f64>)> {
    let mut rng = Rng::new(14);
    let mut cases = Vec::new();
    for scale in [1e-3, 0.1, 1.0, 5.0, 30.0, 100.0, 745.0, 1e3, 1e4] {
        for _ in 0..400 {
            let n = 2 + rng.below(4);
            let z: Vec<f64> = (0..n).map(|_| scale * (2.0 * rng.uniform() - 1.0)).collect();
            let hot = rng.below(n);
            cases.push((z.clone(), (0..n).map(|i| f64::from(u8::from(i == hot))).collect()));
            let raw: Vec<f64> = (0..n).map(|_| rng.uniform()).collect();
            let total: f64 = raw.iter().sum();
            cases.push((z, raw.iter().map(|r| r / total).collect()));
        }
    }
    // A confident right answer (cost e⁻³⁰), ties, and a gap beyond exp's range.
    cases.push((vec![30.0, 0.0], vec![1.0, 0.0]));
    cases.push((vec![2.0, 2.0, 2.0], vec![0.0, 0.0, 1.0]));
    cases.push((vec![1e4, -1e4], vec![1.0, 0.0]));
    cases.push((vec![1e4, -1e4], vec![0.0, 1.0]));
    cases
}

/// log-softmax = z − logsumexp(z): exact to 2 ulp in f64 for every row tested.
#[test]
fn categorical_cross_entropy_from_z_is_exact_in_f64() {
    for (z, y) in softmax_cases() {
        let mut a = vec![0.0; z.len()];
        Activation::Softmax.apply(&z, &mut a);
        let c = Cost::CategoricalCrossEntropy.value_from_z(Activation::Softmax, &z, &a, &y);
        let exact = categorical_reference(&z, &y).round();
        assert!(ulps64(c, exact) <= 2, "z = {z:?}, y = {y:?}: {c:e} vs {exact:e}");
    }
}

#[test]
fn categorical_cross_entropy_from_z_is_exact_in_f32() {
    for (z, y) in softmax_cases() {
        let z32: Vec<f32> = z.iter().map(|&v| v as f32).collect();
        let y32: Vec<f32> = y.iter().map(|&v| v as f32).collect();
        let mut a = vec![0.0; z.len()];
        Activation::Softmax.apply(&z32, &mut a);
        let c = Cost::CategoricalCrossEntropy.value_from_z(Activation::Softmax, &z32, &a, &y32);
        let widen = |v: &[f32]| v.iter().map(|&x| f64::from(x)).collect::<Vec<_>>();
        let exact = categorical_reference(&widen(&z32), &widen(&y32)).round() as f32;
        assert!(ulps32(c, exact) <= 1, "z = {z32:?}, y = {y32:?}: {c:e} vs {exact:e}");
    }
}

/// A network of one sigmoid neuron, a = σ(x), with the binary cross-entropy.
fn neuron<T: backprop::Float>() -> Network<T> {
    let layer =
        Layer::new(Matrix::new(1, 1, vec![T::ONE]).unwrap(), vec![T::ZERO].into(), Activation::Sigmoid).unwrap();
    Network::from_layers(vec![layer], Cost::BinaryCrossEntropy).unwrap()
}

/// A network of one two-class softmax layer, z = (x, 0), with the categorical
/// cross-entropy.
fn classifier<T: backprop::Float>() -> Network<T> {
    let w = Matrix::new(2, 1, vec![T::ONE, T::ZERO]).unwrap();
    let layer = Layer::new(w, vec![T::ZERO, T::ZERO].into(), Activation::Softmax).unwrap();
    Network::from_layers(vec![layer], Cost::CategoricalCrossEntropy).unwrap()
}

/// The cost of a network whose output is saturated at the wrong end: one sigmoid neuron
/// with y = 0 costs softplus(z), and a two-class softmax with the wrong class hot costs
/// softplus(z) as well. Before, the crate reported (f32) 14.84 at z = 15 and 69.08 from
/// z = 17 on, and (f64) 30.001 at z = 30 and 69.08 from z ≈ 37.
#[test]
fn network_costs_of_saturated_outputs_are_exact() {
    println!("exact cost of one sigmoid neuron with y = 0 (= softplus(z)), and of a softmax (z, 0) with y = (0, 1):");
    println!(
        "{:>8} | {:>24} | {:>16} | {:>24} | {:>16}",
        "z", "sigmoid f64", "sigmoid f32", "softmax f64", "softmax f32"
    );
    for z in [15.0, 20.0, 30.0, 100.0, 1e4] {
        let exact = softplus_dd(z).round();
        let c64 = neuron::<f64>().sample_cost(&[z], &[0.0]).unwrap();
        let c32 = neuron::<f32>().sample_cost(&[z as f32], &[0.0]).unwrap();
        let s64 = classifier::<f64>().sample_cost(&[z], &[0.0, 1.0]).unwrap();
        let s32 = classifier::<f32>().sample_cost(&[z as f32], &[0.0, 1.0]).unwrap();
        println!("{z:>8} | {c64:>24.17e} | {c32:>16.9e} | {s64:>24.17e} | {s32:>16.9e}");
        assert_eq!(c64, exact, "f64 at z = {z}");
        assert_eq!(s64, exact, "softmax f64 at z = {z}");
        assert_eq!(c32, exact as f32, "f32 at z = {z}");
        assert_eq!(s32, exact as f32, "softmax f32 at z = {z}");
        // Network::cost is the mean of the samples' costs.
        let x = Matrix::new(2, 1, vec![z, z]).unwrap();
        assert_eq!(neuron::<f64>().mean_cost(&x, &Matrix::zeros(2, 1)).unwrap(), exact);
    }
    // The right answer, saturated: e⁻ᶻ, not 0.
    let c = neuron::<f64>().sample_cost(&[-40.0], &[0.0]).unwrap();
    assert_eq!(c, softplus_dd(-40.0).round());
    assert!(c > 0.0);
}

/// The training and validation costs of `fit`, and early stopping, see the exact cost
/// of a saturated output. One sigmoid neuron with w = 200 and x = 1, y = 0 costs 200 and
/// has the gradients ∂C/∂w = ∂C/∂b = a − y = 1: each epoch (one batch) of SGD with
/// α = 10 lowers w and b by 10. Clamped at 69.08, the cost looked flat and early
/// stopping ended training after `patience` epochs. (The bias moves by 10 too, so z = w + b
/// falls by 20 an epoch.)
#[test]
fn fit_reports_exact_costs_and_early_stopping_sees_them() {
    let layer = Layer::new(Matrix::new(1, 1, vec![200.0]).unwrap(), vec![0.0].into(), Activation::Sigmoid).unwrap();
    let mut net = Network::from_layers(vec![layer], Cost::BinaryCrossEntropy).unwrap();
    let data = Dataset::new(Matrix::new(1, 1, vec![1.0]).unwrap(), Matrix::new(1, 1, vec![0.0]).unwrap()).unwrap();
    let validation =
        Dataset::new(Matrix::new(1, 1, vec![0.5]).unwrap(), Matrix::new(1, 1, vec![0.0]).unwrap()).unwrap();
    let history = Trainer::new(Sgd::new(10.0).unwrap())
        .epochs(5)
        .batch_size(1)
        .early_stopping(EarlyStopping::new(2).unwrap())
        .validation(ValidationSet::Data(&validation))
        .fit(&mut net, &data)
        .unwrap();
    assert_eq!(history.stop_reason, StopReason::Completed);
    let training: Vec<f64> = history.epochs.iter().map(|r| r.training_cost).collect();
    assert_eq!(training, [200.0, 180.0, 160.0, 140.0, 120.0]);
    // Validated after each epoch's step, at x = 0.5: z = w/2 + b.
    let validation: Vec<f64> = history.epochs.iter().map(|r| r.validation_cost.unwrap()).collect();
    let exact: Vec<f64> = [85.0, 70.0, 55.0, 40.0, 25.0].map(|z| softplus_dd(z).round()).to_vec();
    assert_eq!(validation, exact);
    assert_eq!(exact[4], 25.000_000_000_013_888);
    assert_eq!(history.best_epoch, Some(4));
}

/// The network with its weights and biases rounded to f32.
fn narrowed(net: &Network<f64>) -> Network<f32> {
    let layer = |l: &Layer<f64>| {
        let w = l.weights().as_slice().iter().map(|&v| v as f32).collect();
        let b = l.biases().iter().map(|&v| v as f32).collect();
        Layer::new(Matrix::new(l.n_outputs(), l.n_inputs(), w).unwrap(), b, l.activation()).unwrap()
    };
    Network::from_layers(net.layers().iter().map(layer).collect(), net.cost()).unwrap()
}

/// The gradient check differences the exact cost: on a network whose every output is
/// saturated at the wrong end (z ≈ 40 and 60, y = 0), the clamped cost was flat (69.08)
/// and the check reported a relative error of 1 for correct gradients.
#[test]
fn gradient_check_passes_on_saturated_outputs() {
    let w = Matrix::new(2, 2, vec![1.5, -0.5, 0.25, 1.0]).unwrap();
    let hidden = Layer::new(w, vec![0.5, -0.25].into(), Activation::Tanh).unwrap();
    let out = Layer::new(Matrix::new(1, 2, vec![30.0, 25.0]).unwrap(), vec![20.0].into(), Activation::Sigmoid).unwrap();
    let net = Network::from_layers(vec![hidden, out], Cost::BinaryCrossEntropy).unwrap();
    let x = Matrix::new(2, 2, vec![0.5, 0.25, 1.0, 0.75]).unwrap();
    let y = Matrix::new(2, 1, vec![0.0, 0.0]).unwrap();
    assert!(net.mean_cost(&x, &y).unwrap() > 40.0);
    let report = gradient_check(&net, &x, &y).unwrap();
    assert!(report.passed(), "{report}");
    assert!(report.max_relative_error() < 1e-8, "{report}");
    let narrow =
        |m: &Matrix<f64>| Matrix::new(m.n_rows(), m.n_cols(), m.as_slice().iter().map(|&v| v as f32).collect());
    let report = gradient_check(&narrowed(&net), &narrow(&x).unwrap(), &narrow(&y).unwrap()).unwrap();
    assert!(report.passed(), "f32: {report}");
}
