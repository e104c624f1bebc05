//! The rounding floor of [`GradientCheck`](super::GradientCheck): first-order bounds on
//! the rounding error of the numeric and the analytic side of the comparison.

use crate::layer::Layer;
use crate::{Activation, Cost, Float, MatrixView, Network};

/// The margin on the probabilistic rounding bound of the analytic side (see
/// [`GradientCheck`](super::GradientCheck)).
const SAFETY: f64 = 4.0;

/// First-order bounds on the rounding of the check's two sides (see
/// [`GradientCheck`](super::GradientCheck)).
pub(super) struct Rounding {
    /// κ, the roundings along one path through the network.
    ops: f64,
    /// The unit roundoff u = ε/2 of the network's precision.
    unit: f64,
    /// R, the magnitude an evaluation of the mean cost sums.
    cost: f64,
    /// G per layer: for the weights (row-major) and the biases.
    gradients: Vec<[Vec<f64>; 2]>,
}

impl Rounding {
    /// The bound on the rounding error of a numeric derivative with step h: each of the
    /// six evaluations of C in `f64` is off by at most κuR, and the extrapolated quotient
    /// weighs them by less than 2/h in all.
    pub(super) fn numeric(&self, h: f64) -> f64 {
        2.0 * self.ops * (0.5 * f64::EPSILON) * self.cost / h
    }

    /// The bound on the rounding error of an analytic gradient, 4√κ·u·G.
    pub(super) fn analytic(&self, layer: usize, tensor: usize, index: usize) -> f64 {
        SAFETY * self.ops.sqrt() * self.unit * self.gradients[layer][tensor][index]
    }

    /// The magnitudes of the passes cached in `net` (forward and backward over `x`,
    /// `y`), sample by sample: a first-order error analysis, in which an error of u·m in
    /// a value of magnitude m moves what depends on it by its derivative times u·m.
    /// Magnitudes that meet in a sum are combined in quadrature; R then adds its parts.
    pub(super) fn of<T: Float>(net: &Network<T>, x: MatrixView<'_, T>, y: MatrixView<'_, T>) -> Self {
        let layers = net.layers();
        let (rows, last, cost_fn) = (x.n_rows(), layers.len() - 1, net.cost());
        let weights: Vec<Vec<f64>> = layers.iter().map(|l| abs(l.weights().as_slice())).collect();
        let mut gradients: Vec<[Vec<f64>; 2]> =
            layers.iter().map(|l| [vec![0.0; l.weights().as_slice().len()], vec![0.0; l.n_outputs()]]).collect();
        let mut cost = 0.0;
        for r in 0..rows {
            // Forward: ẑⱼ(l) = √(Σₖ (wⱼₖ mₖ(l−1))² + bⱼ²), the magnitude z(l) sums, and
            // m(l) = √(a(l)² + (|∂a/∂z| ẑ(l))²), that of a(l) with the error of z(l)
            // carried in; m(−1) = |x|. An error in z(l) moves C by δ(l) times it, so R gets
            // |δ(l)|·ẑ(l).
            let mut m = vec![abs(x.row(r))]; // m[l] = m(l − 1)
            let mut zhat = Vec::with_capacity(layers.len());
            for (l, layer) in layers.iter().enumerate() {
                let n_in = layer.n_inputs();
                let zl: Vec<f64> = (0..layer.n_outputs())
                    .map(|j| {
                        let w = &weights[l][j * n_in..(j + 1) * n_in];
                        let b = layer.biases()[j].to_f64();
                        (w.iter().zip(&m[l]).map(|(w, m)| (w * m).powi(2)).sum::<f64>() + b * b).sqrt()
                    })
                    .collect();
                let (z, a) = (layer.z().row(r), layer.a().row(r));
                let mut ml = jacobian_magnitude(layer.activation(), z, a, &zl);
                ml.iter_mut().zip(a).for_each(|(m, a)| *m = m.hypot(a.to_f64()));
                cost += layer.delta().row(r).iter().zip(&zl).map(|(d, m)| d.to_f64().abs() * m).sum::<f64>();
                m.push(ml);
                zhat.push(zl);
            }
            // The cost's own sums: |C|, and the outputs and targets weighed by
            // |∂C/∂a| ≤ |a − y| + 1 (the quadratic and mean absolute costs).
            let out = &layers[last];
            let (z, a, yr) = (out.z().row(r), out.a().row(r), y.row(r));
            cost += cost_fn.value_from_z(out.activation(), z, a, yr).to_f64().abs();
            for (a, y) in a.iter().zip(yr).map(|(a, y)| (a.to_f64(), y.to_f64())) {
                cost += ((a - y).abs() + 1.0) * (a.abs() + y.abs());
            }
            // Backward: δ̂(L) is the magnitude of δ(L) with how far the errors of a(L) and
            // z(L) move it; then BP2, BP3 and BP4 on magnitudes, where δ̂(l) also carries
            // how far σ′ moves with the errors of a(l) and z(l).
            let mut dhat = output_error_magnitude(cost_fn, out, r, yr, &m[last + 1], &zhat[last]);
            for l in (0..=last).rev() {
                let n_in = layers[l].n_inputs();
                for (j, d) in dhat.iter().enumerate() {
                    let g = &mut gradients[l][0][j * n_in..(j + 1) * n_in];
                    g.iter_mut().zip(&m[l]).for_each(|(g, m)| *g += (d * m).powi(2));
                    gradients[l][1][j] += d * d;
                }
                if l > 0 {
                    let below = &layers[l - 1];
                    let mut back = vec![0.0; n_in];
                    for (j, d) in dhat.iter().enumerate() {
                        let w = &weights[l][j * n_in..(j + 1) * n_in];
                        back.iter_mut().zip(w).for_each(|(b, w)| *b += (w * d).powi(2));
                    }
                    back.iter_mut().for_each(|b| *b = b.sqrt());
                    let (z, a) = (below.z().row(r), below.a().row(r));
                    dhat = jacobian_magnitude(below.activation(), z, a, &back);
                    let moved = jacobian_change(below.activation(), z, a, &back, &m[l], &zhat[l - 1]);
                    dhat.iter_mut().zip(moved).for_each(|(d, c)| *d = d.hypot(c));
                }
            }
        }
        let scale = 1.0 / rows as f64;
        gradients.iter_mut().flatten().flatten().for_each(|g| *g = g.sqrt() * scale);
        let ops = rows + layers.iter().map(|l| l.n_inputs() + l.n_outputs() + 4).sum::<usize>();
        Rounding { ops: ops as f64, unit: 0.5 * epsilon::<T>(), cost: cost * scale, gradients }
    }
}

/// δ̂(L) of sample `r` of the output layer `out`: |δ(L)| plus how far an error of m(L) in
/// a(L) and of ẑ(L) in z(L) moves δ(L). For the fused pairs δ(L) = a − y moves with a
/// alone; otherwise δ(L) = (∂a/∂z)ᵀ ∇ₐC moves through ∇ₐC, by |∂²C/∂a²| ≤ 1 + |∇ₐC| (true
/// of the quadratic, the mean absolute and the binary cross-entropy away from 0 and 1;
/// assumed of a custom cost), and through the Jacobian.
fn output_error_magnitude<T: Float>(
    cost: Cost,
    out: &Layer<T>,
    r: usize,
    y: &[T],
    m: &[f64],
    zhat: &[f64],
) -> Vec<f64> {
    let (activation, z, a) = (out.activation(), out.z().row(r), out.a().row(r));
    let delta = abs(out.delta().row(r));
    let fused = matches!(
        (cost, activation),
        (Cost::BinaryCrossEntropy, Activation::Sigmoid) | (Cost::CategoricalCrossEntropy, Activation::Softmax)
    );
    if fused {
        return delta.iter().zip(m).map(|(d, m)| d.hypot(*m)).collect();
    }
    let mut gradient = vec![T::ZERO; a.len()];
    cost.gradient(a, y, &mut gradient);
    let gradient = abs(&gradient);
    let moved_a: Vec<f64> = gradient.iter().zip(m).map(|(g, m)| (1.0 + g) * m).collect();
    let through_a = jacobian_magnitude(activation, z, a, &moved_a);
    let through_z = jacobian_change(activation, z, a, &gradient, m, zhat);
    delta.iter().zip(through_a).zip(through_z).map(|((d, x), y)| d.hypot(x).hypot(y)).collect()
}

/// |v|, element by element, in `f64`.
fn abs<T: Float>(v: &[T]) -> Vec<f64> {
    v.iter().map(|e| e.to_f64().abs()).collect()
}

/// |∂a/∂z|·v for one sample: |σ′(z)| ⊙ v for an element-wise σ; for the softmax, whose
/// Jacobian is ∂aᵢ/∂zⱼ = aᵢ(δᵢⱼ − aⱼ), the bound aᵢ(vᵢ + Σⱼ aⱼvⱼ).
fn jacobian_magnitude<T: Float>(activation: Activation, z: &[T], a: &[T], v: &[f64]) -> Vec<f64> {
    if activation == Activation::Softmax {
        let dot: f64 = a.iter().zip(v).map(|(a, v)| a.to_f64() * v).sum();
        return a.iter().zip(v).map(|(a, v)| a.to_f64() * (v + dot)).collect();
    }
    z.iter().zip(a).zip(v).map(|((&z, &a), v)| activation.derivative(z, a).to_f64().abs() * v).collect()
}

/// How far (∂a/∂z)ᵀ·v, for v ≥ 0, moves when a moves by up to m and z by up to ẑ, as
/// the crate computes it: for an element-wise σ, v·(|∂σ′/∂a|·m ⊕ |∂σ′/∂z|·ẑ) (⊕ adds in
/// quadrature); for the softmax, computed from a as aᵢ(vᵢ − a·v), the bound
/// mᵢ(vᵢ + a·v) + aᵢ(m·v).
fn jacobian_change<T: Float>(activation: Activation, z: &[T], a: &[T], v: &[f64], m: &[f64], zhat: &[f64]) -> Vec<f64> {
    if activation == Activation::Softmax {
        let dot = |u: &[f64], w: &[f64]| u.iter().zip(w).map(|(u, w)| u * w).sum::<f64>();
        let a = abs(a);
        let (av, mv) = (dot(&a, v), dot(m, v));
        return (0..a.len()).map(|i| m[i] * (v[i] + av) + a[i] * mv).collect();
    }
    (0..v.len())
        .map(|i| {
            let (per_a, per_z) = derivative_sensitivity(activation, z[i].to_f64(), a[i].to_f64());
            v[i] * (per_a * m[i]).hypot(per_z * zhat[i])
        })
        .collect()
}

/// (|∂σ′/∂a|, |∂σ′/∂z|) of σ′: see [`Activation::derivative_sensitivity`].
fn derivative_sensitivity(activation: Activation, z: f64, a: f64) -> (f64, f64) {
    activation.derivative_sensitivity(z, a)
}

/// The machine epsilon of `T`: the gap between 1 and the next value.
fn epsilon<T: Float>() -> f64 {
    let mut e = 1.0;
    while T::from_f64(1.0 + e / 2.0) > T::ONE {
        e /= 2.0;
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CustomActivation, Matrix};

    fn close(x: f64, y: f64) -> bool {
        (x - y).abs() <= 1e-14 * x.abs().max(y.abs())
    }

    #[test]
    fn epsilon_is_the_types() {
        assert_eq!(epsilon::<f64>(), f64::EPSILON);
        assert_eq!(epsilon::<f32>(), f64::from(f32::EPSILON));
    }

    /// σ(z) = z²/2 with σ′ = z: a custom activation, which the bounds take as moving
    /// with both z and a.
    #[derive(Debug)]
    struct HalfSquare;
    impl CustomActivation for HalfSquare {
        fn name(&self) -> &str {
            "half_square"
        }
        fn value(&self, z: f64) -> f64 {
            0.5 * z * z
        }
        fn derivative(&self, z: f64, _a: f64) -> f64 {
            z
        }
    }

    #[test]
    fn derivative_sensitivity_at_known_points() {
        use Activation::*;
        let cases = [
            (Sigmoid, 0.0, 0.25, (0.5, 0.0)),  // |1 − 2a|
            (Tanh, 0.0, -0.5, (1.0, 0.0)),     // 2|a|
            (Softplus, 0.0, 0.0, (0.0, 0.25)), // σ′(0) = ½, σ′(1 − σ′)
            (Elu { alpha: 2.0 }, -1.0, -1.0, (1.0, 0.0)),
            (Elu { alpha: 2.0 }, 0.0, 0.0, (1.0, 0.0)),
            (Elu { alpha: 2.0 }, 1.0, 1.0, (0.0, 0.0)),
            (Relu, 1.0, 1.0, (0.0, 0.0)),
            (LeakyRelu { slope: 0.1 }, -1.0, -0.1, (0.0, 0.0)),
            (Identity, 3.0, 3.0, (0.0, 0.0)),
            (Custom(&HalfSquare), 3.0, 4.5, (1.0, 1.0)),
            (Softmax, 0.0, 0.5, (0.0, 0.0)),
        ];
        for (s, z, a, expected) in cases {
            assert_eq!(derivative_sensitivity(s, z, a), expected, "{s} at z = {z}");
        }
    }

    #[test]
    fn jacobian_bounds_by_hand() {
        // tanh: |σ′| = 1 − a² = ¾.
        let (z, a) = ([0.0, 0.0], [0.5, -0.5]);
        assert_eq!(jacobian_magnitude(Activation::Tanh, &z, &a, &[2.0, 4.0]), [1.5, 3.0]);
        // Softmax: aᵢ(vᵢ + a·v) with a·v = 0.5 + 3 = 3.5.
        let a = [0.25, 0.75];
        assert_eq!(jacobian_magnitude(Activation::Softmax, &z, &a, &[2.0, 4.0]), [1.375, 5.625]);
        // mᵢ(vᵢ + a·v) + aᵢ(m·v) with m·v = 2 + 8 = 10.
        assert_eq!(jacobian_change(Activation::Softmax, &z, &a, &[2.0, 4.0], &[1.0, 2.0], &[9.0, 9.0]), [8.0, 22.5]);
        // Element-wise: v·(|∂σ′/∂a|·m ⊕ |∂σ′/∂z|·ẑ).
        let change = |s: Activation, z: f64, a: f64| jacobian_change(s, &[z], &[a], &[2.0], &[3.0], &[4.0])[0];
        assert_eq!(change(Activation::Sigmoid, 0.0, 0.25), 2.0 * 0.5 * 3.0);
        assert_eq!(change(Activation::Softplus, 0.0, core::f64::consts::LN_2), 2.0 * 0.25 * 4.0);
        assert_eq!(change(Activation::Custom(&HalfSquare), 1.0, 0.5), 2.0 * 5.0);
        assert_eq!(change(Activation::Identity, 1.0, 1.0), 0.0);
    }

    /// A layer of one neuron, z = x, after a forward pass over `x` and the output error
    /// for `y`.
    fn neuron(s: Activation, cost: Cost, x: f64, y: f64) -> Layer<f64> {
        let layer = Layer::new(Matrix::new(1, 1, vec![1.0]).unwrap(), vec![0.0].into(), s).unwrap();
        let mut net = crate::Network::from_layers(vec![layer], cost).unwrap();
        net.forward(&[x]).unwrap();
        net.backward(&[y]).unwrap();
        net.layers()[0].clone()
    }

    #[test]
    fn output_error_magnitude_by_hand() {
        // Fused: δ = a − y = ½ − 1, moved by m(L) = 1.2 alone: √(0.25 + 1.44) = 1.3.
        let out = neuron(Activation::Sigmoid, Cost::BinaryCrossEntropy, 0.0, 1.0);
        let d = output_error_magnitude(Cost::BinaryCrossEntropy, &out, 0, &[1.0], &[1.2], &[7.0]);
        assert!(close(d[0], 1.3), "{d:?}");
        // Unfused, tanh with the quadratic cost at z = ln 2: a = 0.6, σ′ = 0.64, y = 0.1,
        // ∇ₐC = 0.5, δ = 0.32. Through ∇ₐC: σ′·(1 + 0.5)·m = 0.64·4.5; through σ′ (from
        // a): |∇ₐC|·2a·m = 0.5·1.2·3.
        let out = neuron(Activation::Tanh, Cost::Quadratic, core::f64::consts::LN_2, 0.1);
        let (a, delta) = (out.a()[(0, 0)], out.delta()[(0, 0)]);
        let sigma_prime = 1.0 - a * a;
        let d = output_error_magnitude(Cost::Quadratic, &out, 0, &[0.1], &[3.0], &[4.0]);
        let expected = delta.hypot(sigma_prime * (1.0 + (a - 0.1)) * 3.0).hypot((a - 0.1) * 2.0 * a * 3.0);
        assert!(close(d[0], expected), "{d:?} vs {expected}");
        assert!((expected - 11.6368f64.sqrt()).abs() < 1e-12, "{expected}");
    }

    /// Rounding::of a 1 → 1 (tanh) → 1 (identity) network with the quadratic cost over two
    /// samples, against the same first-order analysis written out for scalars.
    #[test]
    fn rounding_of_a_small_network_by_hand() {
        let (w0, b0, w1, b1) = (0.5, -1.0, 3.0, 0.5);
        let hidden = Layer::new(Matrix::new(1, 1, vec![w0]).unwrap(), vec![b0].into(), Activation::Tanh).unwrap();
        let out = Layer::new(Matrix::new(1, 1, vec![w1]).unwrap(), vec![b1].into(), Activation::Identity).unwrap();
        let mut net = Network::from_layers(vec![hidden, out], Cost::Quadratic).unwrap();
        let x = Matrix::new(2, 1, vec![2.0, -1.5]).unwrap();
        let y = Matrix::new(2, 1, vec![1.5, -0.25]).unwrap();
        net.forward_batch(&x).unwrap();
        net.backward_batch(&y).unwrap();
        let rounding = Rounding::of(&net, x.view(), y.view());

        let (mut cost, mut g) = (0.0, [0.0; 4]); // G² of w0, b0, w1, b1
        for (x, y) in [(2.0, 1.5), (-1.5f64, -0.25f64)] {
            let (z0, z1) = (w0 * x + b0, w1 * (w0 * x + b0).tanh() + b1);
            let (a0, a1) = (z0.tanh(), z1);
            let s0 = 1.0 - a0 * a0;
            let (d1, c) = (a1 - y, 0.5 * (a1 - y) * (a1 - y));
            let d0 = w1 * d1 * s0;
            // Forward magnitudes, and R.
            let zhat0 = (w0 * x.abs()).hypot(b0);
            let m0 = (s0 * zhat0).hypot(a0);
            let zhat1 = (w1 * m0).hypot(b1);
            let m1 = zhat1.hypot(a1);
            cost += d0.abs() * zhat0 + d1.abs() * zhat1 + c + ((a1 - y).abs() + 1.0) * (a1.abs() + y.abs());
            // Backward: the identity's σ′ does not move; tanh's moves with a by 2|a|.
            let dhat1 = d1.abs().hypot((1.0 + (a1 - y).abs()) * m1);
            let back = w1 * dhat1;
            let dhat0 = (s0 * back).hypot(back * 2.0 * a0.abs() * m0);
            for (gi, v) in g.iter_mut().zip([dhat0 * x.abs(), dhat0, dhat1 * m0, dhat1]) {
                *gi += v * v;
            }
        }
        let g = g.map(|v| v.sqrt() / 2.0);
        assert_eq!(rounding.ops, 14.0); // 2 samples + (1 + 1 + 4) per layer
        assert_eq!(rounding.unit, 0.5 * f64::EPSILON);
        assert!(close(rounding.cost, cost / 2.0), "{} vs {}", rounding.cost, cost / 2.0);
        let found = [
            rounding.gradients[0][0][0],
            rounding.gradients[0][1][0],
            rounding.gradients[1][0][0],
            rounding.gradients[1][1][0],
        ];
        for (f, e) in found.iter().zip(g) {
            assert!(close(*f, e), "{found:?} vs {g:?}");
        }
        let u = 0.5 * f64::EPSILON;
        assert!(close(rounding.numeric(0.25), 2.0 * 14.0 * u * cost / 2.0 / 0.25));
        assert!(close(rounding.analytic(1, 0, 0), 4.0 * 14f64.sqrt() * u * g[2]));
        // In f32, u = 2⁻²⁴.
        let narrow = Network::<f32>::builder(1).layer(1, Activation::Tanh).build().unwrap();
        let (x, y) = (Matrix::new(1, 1, vec![1.0f32]).unwrap(), Matrix::new(1, 1, vec![0.5f32]).unwrap());
        let mut narrow = narrow.clone();
        narrow.forward_batch(&x).unwrap();
        narrow.backward_batch(&y).unwrap();
        assert_eq!(Rounding::of(&narrow, x.view(), y.view()).unit, 2f64.powi(-24));
    }
}
