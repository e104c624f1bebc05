//! Backpropagation step by step, on a network small enough to check by hand.
//!
//! This module holds no code. It follows the derivation in the order you would learn it
//! (notation, forward pass, cost, BP1, BP2, BP3 and BP4, the update step, and the reason
//! the cross-entropy learns faster), and each step is an example that runs as a test: it
//! gives the numbers you get by hand, and checks that the crate computes the same ones.
//! 中文版：[`walkthrough_zh`](super::walkthrough_zh).
//!
//! Displayed equations are written in LaTeX in `math` blocks; on docs.rs they are
//! typeset, elsewhere they read as source. The prose gives each one in plain text too.
//!
//! # Notation
//!
//! Layers are numbered l = 0, 1, …, L from the input side, L is the output layer, and
//! a(−1) = x is the input. Layer l has weights w(l), an N(l)×N(l−1) matrix whose row j
//! holds the weights into neuron j (w_jk connects input k to neuron j), biases b(l), and
//! an activation function σ. C is the cost of one sample and δ(l) = ∂C/∂z(l) the error
//! of layer l. Indices start at 0, as in Rust.
//!
//! The example network has 2 inputs, 2 hidden sigmoid neurons (layer 0) and 1 sigmoid
//! output (layer 1 = L), with the quadratic cost. Its weights are set by hand through
//! [`Layer::new`](crate::Layer::new) and [`Network::from_layers`](crate::Network::from_layers):
//!
//! ```math
//! \begin{gathered}
//! w^{(0)} = \begin{pmatrix} 0.5 & -1 \\ 1 & 2 \end{pmatrix},\quad
//! b^{(0)} = \begin{pmatrix} 0 \\ -1 \end{pmatrix},\qquad
//! w^{(1)} = \begin{pmatrix} 1 & -1 \end{pmatrix},\quad
//! b^{(1)} = 0.5, \\
//! x = \begin{pmatrix} 1 \\ 0.5 \end{pmatrix},\quad y = 0
//! \end{gathered}
//! ```
//!
//! that is w(0) = [[0.5, −1], [1, 2]], b(0) = (0, −1), w(1) = [[1, −1]], b(1) = (0.5),
//! input x = (1, 0.5) and target y = (0). The later examples build the same network in
//! hidden lines.
//!
//! ```
//! use backprop::{Activation, Cost, Layer, Matrix, Network, Vector};
//!
//! let hidden = Layer::new(
//!     Matrix::from_rows(&[[0.5, -1.0], [1.0, 2.0]])?, // w(0)
//!     Vector::from(vec![0.0, -1.0]),                  // b(0)
//!     Activation::Sigmoid,
//! )?;
//! let output = Layer::new(
//!     Matrix::from_rows(&[[1.0, -1.0]])?, // w(1)
//!     Vector::from(vec![0.5]),            // b(1)
//!     Activation::Sigmoid,
//! )?;
//! let net = Network::<f64>::from_layers(vec![hidden, output], Cost::Quadratic)?;
//!
//! let w0 = net.layers()[0].weights();
//! assert_eq!(w0.shape(), (2, 2)); // N(0)×N(−1)
//! assert_eq!(w0[(0, 1)], -1.0); // w_01: from input 1 into neuron 0
//! assert_eq!(net.layers()[1].weights().shape(), (1, 2)); // N(1)×N(0)
//! assert_eq!(net.n_parameters(), 4 + 2 + 2 + 1);
//! # Ok::<(), backprop::Error>(())
//! ```
//!
//! The picture shows the whole walk-through: the forward pass computes z and a from left
//! to right, the backward pass δ from right to left.
//!
#![doc = include_str!("walkthrough.svg")]
//!
//! # The forward pass
//!
//! Neuron j of layer l adds up its weighted inputs and its bias, and applies σ:
//! z_j(l) = Σ_k w_jk(l) a_k(l−1) + b_j(l), and a_j(l) = σ(z_j(l)).
//!
//! ```math
//! z^{(l)}_j = \sum_k w^{(l)}_{jk}\, a^{(l-1)}_k + b^{(l)}_j, \qquad a^{(l)}_j = \sigma\big(z^{(l)}_j\big)
//! ```
//!
//! Row j of w(l) times the column a(l−1) is that sum, so a whole layer is one
//! matrix·vector product: z(l) = w(l)·a(l−1) + b(l), a(l) = σ(z(l)), with σ applied
//! element by element. Here σ(z) = 1/(1 + e^−z), and
//!
//! ```math
//! z^{(0)} = \begin{pmatrix} 0.5 & -1 \\ 1 & 2 \end{pmatrix}\begin{pmatrix} 1 \\ 0.5 \end{pmatrix}
//! + \begin{pmatrix} 0 \\ -1 \end{pmatrix} = \begin{pmatrix} 0 \\ 1 \end{pmatrix},\qquad
//! a^{(0)} = \begin{pmatrix} \sigma(0) \\ \sigma(1) \end{pmatrix} = \begin{pmatrix} 0.5 \\ 0.731059 \end{pmatrix}
//! ```
//!
//! z(0) = (0.5 − 0.5 + 0, 1 + 1 − 1) = (0, 1) and a(0) = (0.5, 0.731059); then
//! z(1) = 0.5 − 0.731059 + 0.5 = 0.268941 and a(1) = σ(0.268941) = 0.566833.
//! [`Network::forward`](crate::Network::forward) computes this, applying σ with
//! [`Activation::apply`](crate::Activation::apply), and keeps z and a in each layer for
//! the backward pass ([`Layer::z`](crate::Layer::z), [`Layer::a`](crate::Layer::a)).
//!
//! ```
//! # use backprop::{Activation, Cost, Layer, Matrix, Network, Vector};
//! # let hidden = Layer::new(Matrix::from_rows(&[[0.5, -1.0], [1.0, 2.0]])?, Vector::from(vec![0.0, -1.0]), Activation::Sigmoid)?;
//! # let output = Layer::new(Matrix::from_rows(&[[1.0, -1.0]])?, Vector::from(vec![0.5]), Activation::Sigmoid)?;
//! # let mut net = Network::<f64>::from_layers(vec![hidden, output], Cost::Quadratic)?;
//! // `net` is the network above.
//! let x = [1.0, 0.5];
//! let output = net.forward(&x)?[0];
//!
//! // The scalar form, written out independently of the crate.
//! let sigmoid = |z: f64| 1.0 / (1.0 + (-z).exp());
//! let (w0, b0) = ([[0.5, -1.0], [1.0, 2.0]], [0.0, -1.0]);
//! let z0: Vec<f64> = (0..2).map(|j| w0[j][0] * x[0] + w0[j][1] * x[1] + b0[j]).collect();
//! let a0: Vec<f64> = z0.iter().map(|&z| sigmoid(z)).collect();
//! let z1 = 1.0 * a0[0] - 1.0 * a0[1] + 0.5;
//! let a1 = sigmoid(z1);
//!
//! let (hidden, out) = (&net.layers()[0], &net.layers()[1]);
//! for j in 0..2 {
//!     assert!((hidden.z().row(0)[j] - z0[j]).abs() < 1e-12);
//!     assert!((hidden.a().row(0)[j] - a0[j]).abs() < 1e-12);
//! }
//! assert!((out.z().row(0)[0] - z1).abs() < 1e-12 && (output - a1).abs() < 1e-12);
//! // The digits given in the text.
//! assert_eq!(hidden.z().row(0), [0.0, 1.0]);
//! assert!((hidden.a().row(0)[1] - 0.731059).abs() < 5e-7);
//! assert!((z1 - 0.268941).abs() < 5e-7 && (output - 0.566833).abs() < 5e-7);
//! // The matrix form gives the same z.
//! let wx = hidden.weights().matvec(&x);
//! assert!((wx[1] + hidden.biases()[1] - z0[1]).abs() < 1e-12);
//! # Ok::<(), backprop::Error>(())
//! ```
//!
//! # The cost
//!
//! The quadratic cost of one sample is C = ½ Σ_j (a_j(L) − y_j)², whose gradient with
//! respect to the output is ∇ₐC = a(L) − y.
//!
//! ```math
//! C = \tfrac12 \sum_j \big(a^{(L)}_j - y_j\big)^2, \qquad \nabla_a C = a^{(L)} - y
//! ```
//!
//! Here C = ½ · 0.566833² = 0.160650 and ∇ₐC = 0.566833.
//! [`Network::sample_cost`](crate::Network::sample_cost) gives C (without changing the
//! network), [`Cost::value`](crate::Cost::value) and
//! [`Cost::gradient`](crate::Cost::gradient) compute C and ∇ₐC from a and y. The
//! factor ½ only makes the gradient tidy.
//!
//! ```
//! # use backprop::{Activation, Cost, Layer, Matrix, Network, Vector};
//! # let hidden = Layer::new(Matrix::from_rows(&[[0.5, -1.0], [1.0, 2.0]])?, Vector::from(vec![0.0, -1.0]), Activation::Sigmoid)?;
//! # let output = Layer::new(Matrix::from_rows(&[[1.0, -1.0]])?, Vector::from(vec![0.5]), Activation::Sigmoid)?;
//! # let net = Network::<f64>::from_layers(vec![hidden, output], Cost::Quadratic)?;
//! let (x, y) = ([1.0, 0.5], [0.0]);
//! let a = net.predict(&x)?[0];
//! let cost = net.sample_cost(&x, &y)?;
//! assert!((cost - 0.5 * (a - y[0]).powi(2)).abs() < 1e-12);
//! assert!((cost - 0.160650).abs() < 5e-7);
//!
//! let mut gradient = [0.0];
//! Cost::Quadratic.gradient(&[a], &y, &mut gradient);
//! assert_eq!(gradient[0], a - y[0]);
//! # Ok::<(), backprop::Error>(())
//! ```
//!
//! # BP1: the error of the output layer
//!
//! Output neuron j affects C only through a_j(L) = σ(z_j(L)), so the chain rule gives
//! δ_j(L) = ∂C/∂a_j · σ′(z_j(L)), for all j at once BP1: δ(L) = ∇ₐC ⊙ σ′(z(L)), where ⊙
//! multiplies element by element.
//!
//! ```math
//! \delta^{(L)}_j = \frac{\partial C}{\partial a^{(L)}_j}\,\sigma'\big(z^{(L)}_j\big),
//! \qquad \delta^{(L)} = \nabla_a C \odot \sigma'\big(z^{(L)}\big) \tag{BP1}
//! ```
//!
//! The sigmoid's derivative is σ′(z) = σ(z)(1 − σ(z)) = a(1 − a), so
//! σ′(z(1)) = 0.566833 × 0.433167 = 0.245533, and
//! δ(1) = 0.566833 × 0.245533 = 0.139176.
//! [`Network::backward`](crate::Network::backward) computes it with
//! [`Cost::output_error`](crate::Cost::output_error), and keeps δ in the layer
//! ([`Layer::delta`](crate::Layer::delta)).
//!
//! ```
//! # use backprop::{Activation, Cost, Layer, Matrix, Network, Vector};
//! # let hidden = Layer::new(Matrix::from_rows(&[[0.5, -1.0], [1.0, 2.0]])?, Vector::from(vec![0.0, -1.0]), Activation::Sigmoid)?;
//! # let output = Layer::new(Matrix::from_rows(&[[1.0, -1.0]])?, Vector::from(vec![0.5]), Activation::Sigmoid)?;
//! # let mut net = Network::<f64>::from_layers(vec![hidden, output], Cost::Quadratic)?;
//! let (x, y) = ([1.0, 0.5], [0.0]);
//! net.forward(&x)?;
//! net.backward(&y)?;
//!
//! let out = &net.layers()[1];
//! let (z, a) = (out.z().row(0), out.a().row(0));
//! let by_hand = (a[0] - y[0]) * a[0] * (1.0 - a[0]); // (a − y)·a(1 − a)
//! assert!((out.delta().row(0)[0] - by_hand).abs() < 1e-12);
//! assert!((a[0] * (1.0 - a[0]) - 0.245533).abs() < 5e-7);
//! assert!((out.delta().row(0)[0] - 0.139176).abs() < 5e-7);
//!
//! // The same from the cost and the output layer's z and a.
//! let mut delta = [0.0];
//! Cost::Quadratic.output_error(Activation::Sigmoid, z, a, &y, &mut delta);
//! assert_eq!(delta[0], out.delta().row(0)[0]);
//! # Ok::<(), backprop::Error>(())
//! ```
//!
//! # BP2: the error moves back one layer
//!
//! z_k(l) reaches C only through the next layer's weighted inputs
//! z_j(l+1) = Σ_k w_jk(l+1) σ(z_k(l)) + b_j(l+1), so the chain rule sums over them:
//! δ_k(l) = Σ_j δ_j(l+1) w_jk(l+1) σ′(z_k(l)). The sum over j is column k of w(l+1) times
//! δ(l+1), which gives BP2: δ(l) = (w(l+1)ᵀ δ(l+1)) ⊙ σ′(z(l)).
//!
//! ```math
//! \delta^{(l)}_k = \sum_j \frac{\partial C}{\partial z^{(l+1)}_j}\,
//! \frac{\partial z^{(l+1)}_j}{\partial z^{(l)}_k}
//! = \sum_j \delta^{(l+1)}_j\, w^{(l+1)}_{jk}\, \sigma'\big(z^{(l)}_k\big)
//! ```
//!
//! ```math
//! \delta^{(l)} = \big(w^{(l+1)}\big)^{\mathsf T} \delta^{(l+1)} \odot \sigma'\big(z^{(l)}\big) \tag{BP2}
//! ```
//!
//! Here w(1)ᵀ δ(1) = (1 × 0.139176, −1 × 0.139176), and σ′(z(0)) = (0.5 × 0.5,
//! 0.731059 × 0.268941) = (0.25, 0.196612), so δ(0) = (0.034794, −0.027364).
//! The product by wᵀ is what [`Matrix::transpose_matvec`](crate::Matrix::transpose_matvec)
//! computes, and ⊙ σ′ is [`Activation::backpropagate`](crate::Activation::backpropagate).
//!
//! ```
//! # use backprop::{Activation, Cost, Layer, Matrix, Network, Vector};
//! # let hidden = Layer::new(Matrix::from_rows(&[[0.5, -1.0], [1.0, 2.0]])?, Vector::from(vec![0.0, -1.0]), Activation::Sigmoid)?;
//! # let output = Layer::new(Matrix::from_rows(&[[1.0, -1.0]])?, Vector::from(vec![0.5]), Activation::Sigmoid)?;
//! # let mut net = Network::<f64>::from_layers(vec![hidden, output], Cost::Quadratic)?;
//! net.forward(&[1.0, 0.5])?;
//! net.backward(&[0.0])?;
//! let (hidden, out) = (&net.layers()[0], &net.layers()[1]);
//! let delta1 = out.delta().row(0)[0];
//!
//! // By hand: δ_k(0) = w_0k(1)·δ(1)·a_k(0)(1 − a_k(0)).
//! let a0 = hidden.a().row(0);
//! let w1 = [1.0, -1.0];
//! let by_hand: Vec<f64> = (0..2).map(|k| w1[k] * delta1 * a0[k] * (1.0 - a0[k])).collect();
//! let delta0 = hidden.delta().row(0);
//! for k in 0..2 {
//!     assert!((delta0[k] - by_hand[k]).abs() < 1e-12);
//! }
//! assert!((delta0[0] - 0.034794).abs() < 5e-7);
//! assert!((delta0[1] + 0.027364).abs() < 5e-7);
//!
//! // The same with the crate's two pieces: wᵀδ, then ⊙ σ′(z).
//! let mut g = out.weights().transpose_matvec(&[delta1]);
//! Activation::Sigmoid.backpropagate(hidden.z().row(0), a0, &mut g);
//! assert!((g[0] - delta0[0]).abs() < 1e-12);
//! assert!((g[1] - delta0[1]).abs() < 1e-12);
//! # Ok::<(), backprop::Error>(())
//! ```
//!
//! # BP3 and BP4: the gradients
//!
//! w_jk(l) and b_j(l) appear only in z_j(l) = Σ_k w_jk(l) a_k(l−1) + b_j(l), where
//! ∂z_j/∂w_jk = a_k(l−1) and ∂z_j/∂b_j = 1. So ∂C/∂w_jk(l) = δ_j(l) a_k(l−1), the outer
//! product BP3: ∂C/∂w(l) = δ(l)·a(l−1)ᵀ; and BP4: ∂C/∂b(l) = δ(l).
//!
//! ```math
//! \frac{\partial C}{\partial w^{(l)}_{jk}} = \delta^{(l)}_j\, a^{(l-1)}_k,\quad
//! \frac{\partial C}{\partial w^{(l)}} = \delta^{(l)} \big(a^{(l-1)}\big)^{\mathsf T} \tag{BP3}
//! ```
//!
//! ```math
//! \frac{\partial C}{\partial b^{(l)}} = \delta^{(l)} \tag{BP4}
//! ```
//!
//! For the output layer, ∂C/∂w(1) = 0.139176 × (0.5, 0.731059) = (0.069588, 0.101746)
//! and ∂C/∂b(1) = 0.139176. For the hidden layer, a(−1) = x = (1, 0.5):
//! ∂C/∂w(0) = [[0.034794, 0.017397], [−0.027364, −0.013682]] and
//! ∂C/∂b(0) = (0.034794, −0.027364). [`Network::backward`](crate::Network::backward)
//! adds them to running sums (BP3's outer product is what
//! [`Matrix::add_outer`](crate::Matrix::add_outer) adds), and
//! [`Network::gradients`](crate::Network::gradients) returns their mean, here over one
//! sample, as [`Gradients`](crate::Gradients). [`gradient_check`](crate::gradient_check)
//! compares them with finite differences of C: a check that needs no hand at all.
//!
//! ```
//! # use backprop::{Activation, Cost, Layer, Matrix, Network, Vector};
//! # let hidden = Layer::new(Matrix::from_rows(&[[0.5, -1.0], [1.0, 2.0]])?, Vector::from(vec![0.0, -1.0]), Activation::Sigmoid)?;
//! # let output = Layer::new(Matrix::from_rows(&[[1.0, -1.0]])?, Vector::from(vec![0.5]), Activation::Sigmoid)?;
//! # let mut net = Network::<f64>::from_layers(vec![hidden, output], Cost::Quadratic)?;
//! let x = [1.0, 0.5];
//! net.forward(&x)?;
//! net.backward(&[0.0])?;
//! let grads = net.gradients()?;
//! let (hidden, out) = (&net.layers()[0], &net.layers()[1]);
//! let (delta0, a0) = (hidden.delta().row(0), hidden.a().row(0));
//! let delta1 = out.delta().row(0)[0];
//!
//! for k in 0..2 {
//!     // BP3: ∂C/∂w_jk = δ_j·a_k(l−1), where a(−1) = x for layer 0.
//!     assert!((grads[1].weights[(0, k)] - delta1 * a0[k]).abs() < 1e-12);
//!     for j in 0..2 {
//!         assert!((grads[0].weights[(j, k)] - delta0[j] * x[k]).abs() < 1e-12);
//!     }
//! }
//! assert_eq!(grads[1].biases[0], delta1); // BP4
//! assert_eq!(grads[0].biases.as_slice(), delta0);
//! // The digits given in the text.
//! let digits = |got: f64, printed: f64| (got - printed).abs() < 5e-7;
//! assert!(digits(grads[1].weights[(0, 0)], 0.069588));
//! assert!(digits(grads[1].weights[(0, 1)], 0.101746));
//! assert!(digits(grads[0].weights[(0, 1)], 0.017397));
//! assert!(digits(grads[0].weights[(1, 1)], -0.013682));
//!
//! // Finite differences agree.
//! let inputs = Matrix::from_rows(&[x])?;
//! let targets = Matrix::from_rows(&[[0.0]])?;
//! let report = backprop::gradient_check(&net, &inputs, &targets)?;
//! assert!(report.passed() && report.max_relative_error() < 1e-8, "{report}");
//! # Ok::<(), backprop::Error>(())
//! ```
//!
//! # The update step
//!
//! The gradient points where C grows fastest, so gradient descent moves every weight and
//! bias a little the other way, by a learning rate α: w := w − α ∂C/∂w and
//! b := b − α ∂C/∂b.
//!
//! ```math
//! w^{(l)} \mathrel{:=} w^{(l)} - \alpha\, \frac{\partial C}{\partial w^{(l)}},\qquad
//! b^{(l)} \mathrel{:=} b^{(l)} - \alpha\, \frac{\partial C}{\partial b^{(l)}}
//! ```
//!
//! With α = 0.5: w(1) = (1 − 0.5 × 0.069588, −1 − 0.5 × 0.101746) = (0.965206, −1.050873),
//! b(1) = 0.5 − 0.5 × 0.139176 = 0.430412, and in the same way
//! w(0) = [[0.482603, −1.008699], [1.013682, 2.006841]], b(0) = (−0.017397, −0.986318).
//! The output falls from 0.566833 to 0.532207, towards y = 0, and C from 0.160650 to
//! 0.141622. [`Network::step`](crate::Network::step) applies the mean gradient of the
//! samples seen since the last step (one here); [`Network::step_with`](crate::Network::step_with)
//! applies another [`Optimizer`](crate::Optimizer)'s rule.
//!
//! ```
//! # use backprop::{Activation, Cost, Layer, Matrix, Network, Vector};
//! # let hidden = Layer::new(Matrix::from_rows(&[[0.5, -1.0], [1.0, 2.0]])?, Vector::from(vec![0.0, -1.0]), Activation::Sigmoid)?;
//! # let output = Layer::new(Matrix::from_rows(&[[1.0, -1.0]])?, Vector::from(vec![0.5]), Activation::Sigmoid)?;
//! # let mut net = Network::<f64>::from_layers(vec![hidden, output], Cost::Quadratic)?;
//! let (x, y, alpha) = ([1.0, 0.5], [0.0], 0.5);
//! let before = net.clone();
//! net.forward(&x)?;
//! net.backward(&y)?;
//! let grads = net.gradients()?;
//! net.step(alpha)?;
//!
//! for (l, layer) in net.layers().iter().enumerate() {
//!     let (w, g) = (before.layers()[l].weights().as_slice(), grads[l].weights.as_slice());
//!     for (i, &new) in layer.weights().as_slice().iter().enumerate() {
//!         assert!((new - (w[i] - alpha * g[i])).abs() < 1e-12);
//!     }
//!     let (b, g) = (before.layers()[l].biases(), &grads[l].biases);
//!     for (j, &new) in layer.biases().iter().enumerate() {
//!         assert!((new - (b[j] - alpha * g[j])).abs() < 1e-12);
//!     }
//! }
//! let digits = |got: f64, printed: f64| (got - printed).abs() < 5e-7;
//! let (w0, b0) = (net.layers()[0].weights(), net.layers()[0].biases());
//! let (w1, b1) = (net.layers()[1].weights(), net.layers()[1].biases());
//! assert!(digits(w1[(0, 1)], -1.050873) && digits(b1[0], 0.430412));
//! assert!(digits(w0[(1, 1)], 2.006841) && digits(b0[1], -0.986318));
//! assert!(digits(net.predict(&x)?[0], 0.532207));
//! assert!(digits(before.sample_cost(&x, &y)?, 0.160650));
//! assert!(digits(net.sample_cost(&x, &y)?, 0.141622));
//! # Ok::<(), backprop::Error>(())
//! ```
//!
//! # Why the quadratic cost learns slowly, and the cross-entropy does not
//!
//! Take a single sigmoid neuron, one input x = 1, target y = 0, started badly at w = 5,
//! b = 5: z = 10 and a = σ(10) = 0.9999546, confidently wrong. BP1 with the quadratic
//! cost gives δ = (a − y)·a(1 − a) ≈ 1 × 4.54·10⁻⁵: the neuron is saturated, σ′(z) is
//! almost 0, and so are δ and every gradient (BP3 and BP4 are multiples of δ). The neuron
//! learns slowest exactly when it is most wrong.
//!
//! The binary cross-entropy C = −[y ln a + (1 − y) ln(1 − a)] has
//! ∂C/∂a = (a − y) / (a(1 − a)), whose denominator cancels σ′(z) = a(1 − a) in BP1, so
//! δ = a − y: as large as the error, whatever σ′.
//!
//! ```math
//! \delta_{\text{quadratic}} = (a - y)\,a(1 - a), \qquad
//! C_{\text{cross-entropy}} = -\big[y \ln a + (1 - y)\ln(1 - a)\big]
//! \;\Rightarrow\; \delta_{\text{cross-entropy}} = a - y
//! ```
//!
//! Trained 300 steps with α = 0.15, the neuron under the quadratic cost barely moves:
//! its cost goes from 0.4999546 to 0.4999544 (w and b from 5 to 4.99795), and its output
//! is still 0.99995. Under the cross-entropy its cost goes from 10.000045 to 0.013017
//! (w and b reach −2.16747) and its output to 0.012933. The example computes both runs
//! with the crate, the cross-entropy fused in
//! [`Cost::output_error`](crate::Cost::output_error) and its value from z
//! ([`Cost::value_from_z`](crate::Cost::value_from_z)), and the same recurrence in plain
//! arithmetic beside it; it asserts that the two agree to 10⁻¹⁰ and that they give the
//! digits above.
//!
//! ```
//! use backprop::{Activation, Cost, Layer, Matrix, Network, Vector};
//!
//! // 300 steps of the crate's forward, backward and step; the costs before and after.
//! let train = |cost: Cost| -> backprop::Result<(f64, f64, f64)> {
//!     let (w, b) = (Matrix::new(1, 1, vec![5.0])?, Vector::from(vec![5.0]));
//!     let neuron = Layer::new(w, b, Activation::Sigmoid)?;
//!     let mut net = Network::<f64>::from_layers(vec![neuron], cost)?;
//!     let before = net.sample_cost(&[1.0], &[0.0])?;
//!     for _ in 0..300 {
//!         net.forward(&[1.0])?;
//!         net.backward(&[0.0])?;
//!         net.step(0.15)?;
//!     }
//!     Ok((before, net.sample_cost(&[1.0], &[0.0])?, net.layers()[0].weights()[(0, 0)]))
//! };
//! // The same by hand: with x = 1 and y = 0, ∂C/∂w = ∂C/∂b = δ, so w and b stay equal.
//! let by_hand = |delta: fn(f64) -> f64, cost: fn(f64) -> f64| {
//!     let sigmoid = |z: f64| 1.0 / (1.0 + (-z).exp());
//!     let (mut w, mut b) = (5.0_f64, 5.0_f64);
//!     let before = cost(w + b);
//!     for _ in 0..300 {
//!         let d = delta(sigmoid(w + b));
//!         (w, b) = (w - 0.15 * d, b - 0.15 * d);
//!     }
//!     (before, cost(w + b), w)
//! };
//! let sigmoid = |z: f64| 1.0 / (1.0 + (-z).exp());
//! let quadratic = by_hand(|a| a * a * (1.0 - a), |z| 0.5 / (1.0 + (-z).exp()).powi(2)); // ½σ(z)²
//! let cross_entropy = by_hand(|a| a, |z| (1.0 + z.exp()).ln()); // −ln(1 − σ(z))
//!
//! let close = |got: (f64, f64, f64), want: (f64, f64, f64)| {
//!     [got.0 - want.0, got.1 - want.1, got.2 - want.2].iter().all(|d| d.abs() < 1e-10)
//! };
//! let (q, c) = (train(Cost::Quadratic)?, train(Cost::BinaryCrossEntropy)?);
//! assert!(close(q, quadratic) && close(c, cross_entropy), "{q:?} {c:?}");
//!
//! let digits = |got: f64, printed: f64, unit: f64| (got - printed).abs() < unit / 2.0;
//! // Quadratic: 0.4999546 → 0.4999544, w = 4.99795, output still 0.99995.
//! assert!(digits(q.0, 0.4999546, 1e-7) && digits(q.1, 0.4999544, 1e-7));
//! assert!(digits(q.2, 4.99795, 1e-5) && digits(sigmoid(2.0 * q.2), 0.99995, 1e-5));
//! // Cross-entropy: 10.000045 → 0.013017, w = −2.16747, output 0.012933.
//! assert!(digits(c.0, 10.000045, 1e-6) && digits(c.1, 0.013017, 1e-6));
//! assert!(digits(c.2, -2.16747, 1e-5) && digits(sigmoid(2.0 * c.2), 0.012933, 1e-6));
//! # Ok::<(), backprop::Error>(())
//! ```
//!
//! The same cancellation holds for a softmax output with the categorical cross-entropy;
//! [the guide](super) has more on choosing a cost.
