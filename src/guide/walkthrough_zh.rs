//! 反向传播逐步推导：在一个小到可以手算的网络上走完每一步。
//!
//! 本模块不含代码。它按照学习的顺序把推导走一遍：记号、前向传播、代价函数、BP1、BP2、BP3 与
//! BP4、更新一步，最后说明交叉熵为什么比二次代价学得快。每一步都配有一个作为测试运行的例子：
//! 正文给出手算的结果，例子则检验本库算出的正是这些数。English version:
//! [`walkthrough`](super::walkthrough).
//!
//! 行间公式用 LaTeX 写在 `math` 代码块里：在 docs.rs 上排版为公式，在其他地方显示为源码。
//! 正文中同时给出每个公式的纯文本写法。
//!
//! # 记号
//!
//! 各层从输入一侧起编号为 l = 0, 1, …, L，L 是输出层；输入记作 a(−1) = x。第 l 层有权重
//! w(l)，这是一个 N(l)×N(l−1) 矩阵，第 j 行是进入神经元 j 的各个权重（w_jk 连接输入 k 与神经元
//! j）；此外还有偏置 b(l) 和激活函数 σ。C 是单个样本的代价，δ(l) = ∂C/∂z(l) 是第 l 层的误差。
//! 下标与 Rust 一样从 0 开始。
//!
//! 本文所用的网络有 2 个输入、2 个 sigmoid 隐藏神经元（第 0 层）和 1 个 sigmoid 输出神经元（第
//! 1 层，即 L），代价为二次代价。权重通过 [`Layer::new`](crate::Layer::new) 和
//! [`Network::from_layers`](crate::Network::from_layers) 手工设定：
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
//! 即 w(0) = [[0.5, −1], [1, 2]]，b(0) = (0, −1)，w(1) = [[1, −1]]，b(1) = (0.5)，输入 x = (1,
//! 0.5)，目标 y = (0)。后面的例子都在隐藏的代码行（以 `#`
//! 开头，文档中不显示）里构造同一个网络。
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
//! assert_eq!(w0[(0, 1)], -1.0); // w_01：从输入 1 进入神经元 0
//! assert_eq!(net.layers()[1].weights().shape(), (1, 2)); // N(1)×N(0)
//! assert_eq!(net.n_parameters(), 4 + 2 + 2 + 1);
//! # Ok::<(), backprop::Error>(())
//! ```
//!
//! 下图概括了整个过程：前向传播从左到右算出 z 和 a，反向传播从右到左算出 δ。
//!
#![doc = include_str!("walkthrough.svg")]
//!
//! # 前向传播
//!
//! 第 l 层的神经元 j 把加权输入与偏置相加，再经过 σ：z_j(l) = Σ_k w_jk(l) a_k(l−1) +
//! b_j(l)，a_j(l) = σ(z_j(l))。
//!
//! ```math
//! z^{(l)}_j = \sum_k w^{(l)}_{jk}\, a^{(l-1)}_k + b^{(l)}_j, \qquad a^{(l)}_j = \sigma\big(z^{(l)}_j\big)
//! ```
//!
//! w(l) 的第 j 行乘以列向量 a(l−1) 恰好就是这个和，所以整层只是一次矩阵与向量的乘法：z(l) =
//! w(l)·a(l−1) + b(l)，a(l) = σ(z(l))，其中 σ 逐元素作用。这里 σ(z) = 1/(1 + e^−z)，于是
//!
//! ```math
//! z^{(0)} = \begin{pmatrix} 0.5 & -1 \\ 1 & 2 \end{pmatrix}\begin{pmatrix} 1 \\ 0.5 \end{pmatrix}
//! + \begin{pmatrix} 0 \\ -1 \end{pmatrix} = \begin{pmatrix} 0 \\ 1 \end{pmatrix},\qquad
//! a^{(0)} = \begin{pmatrix} \sigma(0) \\ \sigma(1) \end{pmatrix} = \begin{pmatrix} 0.5 \\ 0.731059 \end{pmatrix}
//! ```
//!
//! 也就是 z(0) = (0.5 − 0.5 + 0, 1 + 1 − 1) = (0, 1)，a(0) = (0.5, 0.731059)；接着 z(1) = 0.5 −
//! 0.731059 + 0.5 = 0.268941，a(1) = σ(0.268941) = 0.566833。
//! [`Network::forward`](crate::Network::forward) 做的正是这些计算（σ 由
//! [`Activation::apply`](crate::Activation::apply) 逐元素求值），并把每层的 z 和 a
//! 留给反向传播使用（[`Layer::z`](crate::Layer::z)、[`Layer::a`](crate::Layer::a)）。
//!
//! ```
//! # use backprop::{Activation, Cost, Layer, Matrix, Network, Vector};
//! # let hidden = Layer::new(Matrix::from_rows(&[[0.5, -1.0], [1.0, 2.0]])?, Vector::from(vec![0.0, -1.0]), Activation::Sigmoid)?;
//! # let output = Layer::new(Matrix::from_rows(&[[1.0, -1.0]])?, Vector::from(vec![0.5]), Activation::Sigmoid)?;
//! # let mut net = Network::<f64>::from_layers(vec![hidden, output], Cost::Quadratic)?;
//! // `net` 就是上面那个网络。
//! let x = [1.0, 0.5];
//! let output = net.forward(&x)?[0];
//!
//! // 标量形式，独立于本库写出。
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
//! // 正文中给出的各位数字。
//! assert_eq!(hidden.z().row(0), [0.0, 1.0]);
//! assert!((hidden.a().row(0)[1] - 0.731059).abs() < 5e-7);
//! assert!((z1 - 0.268941).abs() < 5e-7 && (output - 0.566833).abs() < 5e-7);
//! // 矩阵形式得到同样的 z。
//! let wx = hidden.weights().matvec(&x);
//! assert!((wx[1] + hidden.biases()[1] - z0[1]).abs() < 1e-12);
//! # Ok::<(), backprop::Error>(())
//! ```
//!
//! # 代价函数
//!
//! 单个样本的二次代价是 C = ½ Σ_j (a_j(L) − y_j)²，它对输出的梯度是 ∇ₐC = a(L) − y。
//!
//! ```math
//! C = \tfrac12 \sum_j \big(a^{(L)}_j - y_j\big)^2, \qquad \nabla_a C = a^{(L)} - y
//! ```
//!
//! 本例中 C = ½ × 0.566833² = 0.160650，∇ₐC = 0.566833。
//! [`Network::sample_cost`](crate::Network::sample_cost) 给出
//! C（不改变网络），[`Cost::value`](crate::Cost::value) 和
//! [`Cost::gradient`](crate::Cost::gradient) 则由 a 和 y 算出 C 与 ∇ₐC。系数 ½
//! 只是为了让梯度的形式更简洁。
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
//! # BP1：输出层的误差
//!
//! 输出神经元 j 只通过 a_j(L) = σ(z_j(L)) 影响 C，由链式法则得 δ_j(L) = ∂C/∂a_j · σ′(z_j(L))。
//! 把所有 j 合在一起写，就是 BP1：δ(L) = ∇ₐC ⊙ σ′(z(L))，其中 ⊙ 表示逐元素相乘。
//!
//! ```math
//! \delta^{(L)}_j = \frac{\partial C}{\partial a^{(L)}_j}\,\sigma'\big(z^{(L)}_j\big),
//! \qquad \delta^{(L)} = \nabla_a C \odot \sigma'\big(z^{(L)}\big) \tag{BP1}
//! ```
//!
//! sigmoid 的导数是 σ′(z) = σ(z)(1 − σ(z)) = a(1 − a)，所以 σ′(z(1)) = 0.566833 × 0.433167 =
//! 0.245533，δ(1) = 0.566833 × 0.245533 = 0.139176。
//! [`Network::backward`](crate::Network::backward) 用
//! [`Cost::output_error`](crate::Cost::output_error) 计算它，并把 δ
//! 保存在层中（[`Layer::delta`](crate::Layer::delta)）。
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
//! // 由代价函数和输出层的 z、a 直接算，结果相同。
//! let mut delta = [0.0];
//! Cost::Quadratic.output_error(Activation::Sigmoid, z, a, &y, &mut delta);
//! assert_eq!(delta[0], out.delta().row(0)[0]);
//! # Ok::<(), backprop::Error>(())
//! ```
//!
//! # BP2：误差往回传一层
//!
//! z_k(l) 只能经由下一层的加权输入 z_j(l+1) = Σ_k w_jk(l+1) σ(z_k(l)) + b_j(l+1) 影响
//! C，所以链式法则要对这些 z_j(l+1) 求和：δ_k(l) = Σ_j δ_j(l+1) w_jk(l+1) σ′(z_k(l))。对 j
//! 的求和就是 w(l+1) 的第 k 列与 δ(l+1) 的内积，写成矩阵形式便是 BP2：δ(l) = (w(l+1)ᵀ δ(l+1)) ⊙
//! σ′(z(l))。
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
//! 本例中 w(1)ᵀ δ(1) = (1 × 0.139176, −1 × 0.139176)，σ′(z(0)) = (0.5 × 0.5, 0.731059 ×
//! 0.268941) = (0.25, 0.196612)，所以 δ(0) = (0.034794, −0.027364)。乘以 wᵀ 这一步就是
//! [`Matrix::transpose_matvec`](crate::Matrix::transpose_matvec) 所做的运算，⊙ σ′ 则由
//! [`Activation::backpropagate`](crate::Activation::backpropagate) 完成。
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
//! // 手算：δ_k(0) = w_0k(1)·δ(1)·a_k(0)(1 − a_k(0))。
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
//! // 用本库的两个部件重算一遍：先 wᵀδ，再 ⊙ σ′(z)。
//! let mut g = out.weights().transpose_matvec(&[delta1]);
//! Activation::Sigmoid.backpropagate(hidden.z().row(0), a0, &mut g);
//! assert!((g[0] - delta0[0]).abs() < 1e-12);
//! assert!((g[1] - delta0[1]).abs() < 1e-12);
//! # Ok::<(), backprop::Error>(())
//! ```
//!
//! # BP3 与 BP4：梯度
//!
//! w_jk(l) 和 b_j(l) 只出现在 z_j(l) = Σ_k w_jk(l) a_k(l−1) + b_j(l) 中，并且 ∂z_j/∂w_jk =
//! a_k(l−1)，∂z_j/∂b_j = 1。因此 ∂C/∂w_jk(l) = δ_j(l) a_k(l−1)，写成外积就是 BP3：∂C/∂w(l) =
//! δ(l)·a(l−1)ᵀ；同理得到 BP4：∂C/∂b(l) = δ(l)。
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
//! 输出层：∂C/∂w(1) = 0.139176 × (0.5, 0.731059) = (0.069588, 0.101746)，∂C/∂b(1) = 0.139176。
//! 隐藏层的输入是 a(−1) = x = (1, 0.5)，所以 ∂C/∂w(0) = [[0.034794, 0.017397], [−0.027364,
//! −0.013682]]，∂C/∂b(0) = (0.034794, −0.027364)。
//! [`Network::backward`](crate::Network::backward) 把它们加进梯度的累计和（BP3 的外积正是
//! [`Matrix::add_outer`](crate::Matrix::add_outer)
//! 所累加的量），[`Network::gradients`](crate::Network::gradients) 则以
//! [`Gradients`](crate::Gradients) 的形式返回它们的平均值（这里只有一个样本）。
//! [`gradient_check`](crate::gradient_check) 用 C 的有限差分来核对这些梯度，完全不必手算。
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
//!     // BP3：∂C/∂w_jk = δ_j·a_k(l−1)，对第 0 层而言 a(−1) 就是 x。
//!     assert!((grads[1].weights[(0, k)] - delta1 * a0[k]).abs() < 1e-12);
//!     for j in 0..2 {
//!         assert!((grads[0].weights[(j, k)] - delta0[j] * x[k]).abs() < 1e-12);
//!     }
//! }
//! assert_eq!(grads[1].biases[0], delta1); // BP4
//! assert_eq!(grads[0].biases.as_slice(), delta0);
//! // 正文中给出的各位数字。
//! let digits = |got: f64, printed: f64| (got - printed).abs() < 5e-7;
//! assert!(digits(grads[1].weights[(0, 0)], 0.069588));
//! assert!(digits(grads[1].weights[(0, 1)], 0.101746));
//! assert!(digits(grads[0].weights[(0, 1)], 0.017397));
//! assert!(digits(grads[0].weights[(1, 1)], -0.013682));
//!
//! // 有限差分给出同样的结果。
//! let inputs = Matrix::from_rows(&[x])?;
//! let targets = Matrix::from_rows(&[[0.0]])?;
//! let report = backprop::gradient_check(&net, &inputs, &targets)?;
//! assert!(report.passed() && report.max_relative_error() < 1e-8, "{report}");
//! # Ok::<(), backprop::Error>(())
//! ```
//!
//! # 更新一步
//!
//! 梯度指向 C 增长最快的方向，所以梯度下降把每个权重和偏置朝相反方向挪一小步，步长由学习率 α
//! 控制：w := w − α ∂C/∂w，b := b − α ∂C/∂b。
//!
//! ```math
//! w^{(l)} \mathrel{:=} w^{(l)} - \alpha\, \frac{\partial C}{\partial w^{(l)}},\qquad
//! b^{(l)} \mathrel{:=} b^{(l)} - \alpha\, \frac{\partial C}{\partial b^{(l)}}
//! ```
//!
//! 取 α = 0.5：w(1) = (1 − 0.5 × 0.069588, −1 − 0.5 × 0.101746) = (0.965206, −1.050873)，b(1) =
//! 0.5 − 0.5 × 0.139176 = 0.430412；同样算得 w(0) = [[0.482603, −1.008699], [1.013682,
//! 2.006841]]，b(0) = (−0.017397, −0.986318)。输出从 0.566833 降到 0.532207，向 y = 0
//! 靠近了一些，C 也从 0.160650 降到 0.141622。[`Network::step`](crate::Network::step)
//! 使用自上一步以来所有样本（这里只有一个）的平均梯度；
//! [`Network::step_with`](crate::Network::step_with) 则按某个 [`Optimizer`](crate::Optimizer)
//! 自己的规则更新。
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
//! # 为什么二次代价学得慢，交叉熵却不会
//!
//! 考虑单个 sigmoid 神经元：输入 x = 1，目标 y = 0，初值选得很糟，w = 5，b = 5。这时 z = 10，a
//! = σ(10) = 0.9999546，答案错了，而且错得很“笃定”。用二次代价时，BP1 给出 δ = (a − y)·a(1 − a)
//! ≈ 1 × 4.54·10⁻⁵：神经元已经饱和，σ′(z) 几乎为 0，于是 δ 和所有梯度也几乎为 0（BP3、BP4 都是
//! δ 的倍数）。神经元错得最离谱的时候，偏偏学得最慢。
//!
//! 二元交叉熵 C = −[y ln a + (1 − y) ln(1 − a)] 的导数是 ∂C/∂a = (a − y) / (a(1 −
//! a))，它的分母在 BP1 中恰好与 σ′(z) = a(1 − a) 约去，得到 δ = a − y：误差有多大，δ
//! 就有多大，与 σ′ 无关。
//!
//! ```math
//! \delta_{\text{二次}} = (a - y)\,a(1 - a), \qquad
//! C_{\text{交叉熵}} = -\big[y \ln a + (1 - y)\ln(1 - a)\big]
//! \;\Rightarrow\; \delta_{\text{交叉熵}} = a - y
//! ```
//!
//! 以 α = 0.15 训练 300 步。用二次代价，神经元几乎纹丝不动：代价从 0.4999546 变为 0.4999544（w
//! 和 b 从 5 变为 4.99795），输出仍是 0.99995。用交叉熵，代价从 10.000045 降到 0.013017（w 和 b
//! 降到 −2.16747），输出降到 0.012933。下面的例子用本库把两种代价各训练一遍（交叉熵的 δ 由
//! [`Cost::output_error`](crate::Cost::output_error) 按约分后的形式计算，代价值则由 z 算出，见
//! [`Cost::value_from_z`](crate::Cost::value_from_z)），同时用普通算术把同一递推再算一遍；
//! 它断言两者之差小于 10⁻¹⁰，并且与上面的各位数字一致。
//!
//! ```
//! use backprop::{Activation, Cost, Layer, Matrix, Network, Vector};
//!
//! // 用本库的 forward、backward 和 step 训练 300 步；返回训练前后的代价和 w。
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
//! // 手算同一过程：x = 1、y = 0 时 ∂C/∂w = ∂C/∂b = δ，所以 w 与 b 始终相等。
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
//! // 二次代价：0.4999546 → 0.4999544，w = 4.99795，输出仍是 0.99995。
//! assert!(digits(q.0, 0.4999546, 1e-7) && digits(q.1, 0.4999544, 1e-7));
//! assert!(digits(q.2, 4.99795, 1e-5) && digits(sigmoid(2.0 * q.2), 0.99995, 1e-5));
//! // 交叉熵：10.000045 → 0.013017，w = −2.16747，输出 0.012933。
//! assert!(digits(c.0, 10.000045, 1e-6) && digits(c.1, 0.013017, 1e-6));
//! assert!(digits(c.2, -2.16747, 1e-5) && digits(sigmoid(2.0 * c.2), 0.012933, 1e-6));
//! # Ok::<(), backprop::Error>(())
//! ```
//!
//! softmax 输出配合分类交叉熵时也有同样的约分。如何为具体问题选择代价函数，见
//! [指南](super)（英文）。
