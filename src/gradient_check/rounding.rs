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
        let (rows, last, cost_fn) = (x.rows(), layers.len() - 1, net.cost_fn());
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
                let (z, a) = (layer.weighted_input().row(r), layer.activation().row(r));
                let mut ml = jacobian_magnitude(layer.activation_fn(), z, a, &zl);
                ml.iter_mut().zip(a).for_each(|(m, a)| *m = m.hypot(a.to_f64()));
                cost += layer.delta().row(r).iter().zip(&zl).map(|(d, m)| d.to_f64().abs() * m).sum::<f64>();
                m.push(ml);
                zhat.push(zl);
            }
            // The cost's own sums: |C|, and the outputs and targets weighed by
            // |∂C/∂a| ≤ |a − y| + 1 (the quadratic and mean absolute costs).
            let out = &layers[last];
            let (z, a, yr) = (out.weighted_input().row(r), out.activation().row(r), y.row(r));
            cost += cost_fn.value_from_z(out.activation_fn(), z, a, yr).to_f64().abs();
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
                    let (z, a) = (below.weighted_input().row(r), below.activation().row(r));
                    dhat = jacobian_magnitude(below.activation_fn(), z, a, &back);
                    let moved = jacobian_change(below.activation_fn(), z, a, &back, &m[l], &zhat[l - 1]);
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
    let (activation, z, a) = (out.activation_fn(), out.weighted_input().row(r), out.activation().row(r));
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

/// (|∂σ′/∂a|, |∂σ′/∂z|) of σ′ as [`Activation::derivative`] computes it, for an
/// element-wise σ: a(1 − a) for the sigmoid and 1 − a² for tanh move with a; the
/// softplus's σ′, the sigmoid of z, moves with z by σ′(1 − σ′); the ELU's α + a at z ≤ 0
/// with a; the piecewise linear functions' σ′ does not move away from their kinks. A
/// custom σ′(z, a) is assumed to move by at most as much as its arguments.
fn derivative_sensitivity(activation: Activation, z: f64, a: f64) -> (f64, f64) {
    match activation {
        Activation::Sigmoid => ((1.0 - 2.0 * a).abs(), 0.0),
        Activation::Tanh => (2.0 * a.abs(), 0.0),
        Activation::Softplus => {
            let s = activation.derivative(z, a);
            (0.0, s * (1.0 - s))
        }
        Activation::Elu { .. } if z <= 0.0 => (1.0, 0.0),
        Activation::Elu { .. } | Activation::Relu | Activation::LeakyRelu { .. } | Activation::Identity => (0.0, 0.0),
        Activation::Custom(_) => (1.0, 1.0),
        // Not element-wise: see `jacobian_change`.
        Activation::Softmax => (0.0, 0.0),
    }
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

    #[test]
    fn epsilon_is_the_types() {
        assert_eq!(epsilon::<f64>(), f64::EPSILON);
        assert_eq!(epsilon::<f32>(), f64::from(f32::EPSILON));
    }
}
