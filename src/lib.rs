//! Fully connected neural networks trained with the backpropagation algorithm, written
//! so that the code reads like the derivation: exact (every gradient is checked against
//! finite differences), dependency-free, seeded and reproducible, and safe on bad input.
//!
//! # Example
//! Learn XOR with a 2-3-1 sigmoid network, one sample at a time:
//! ```
//! use backprop::{Activation, Cost, Network};
//!
//! let samples = [([0.0, 0.0], [0.0]), ([0.0, 1.0], [1.0]), ([1.0, 0.0], [1.0]), ([1.0, 1.0], [0.0])];
//! let mut net = Network::<f64>::builder(2)
//!     .layer(3, Activation::Sigmoid)
//!     .layer(1, Activation::Sigmoid)
//!     .cost(Cost::Quadratic)
//!     .seed(2024)
//!     .build()?;
//! for _epoch in 0..4000 {
//!     for (x, y) in &samples {
//!         net.forward(x)?; // z = w·a + b, a = σ(z), layer by layer
//!         net.backward(y)?; // BP1..BP4: δ and ∂C/∂w, ∂C/∂b
//!         net.step(0.5)?; // w := w − α ∂C/∂w, b := b − α ∂C/∂b
//!     }
//! }
//! for (x, y) in &samples {
//!     assert_eq!(net.predict(x)?[0] > 0.5, y[0] > 0.5);
//! }
//! # Ok::<(), backprop::Error>(())
//! ```
//!
//! # Notation
//! Layers are numbered l = 0, 1, …, L from the input side; L is the output layer
//! (`layers().last()`), and a(−1) = x is the input. Layer l has N(l) neurons and
//!
//! - weights w(l), an N(l)×N(l−1) [`Matrix`] whose row j holds the weights into neuron j,
//!   and biases b(l), a [`Vector`];
//! - weighted input z(l) = w(l)·a(l−1) + b(l) and activation a(l) = σ(z(l)), where σ is
//!   the layer's [`Activation`];
//! - a cost C(a(L), y) of the output against the target y: the [`Cost`]; over a batch,
//!   C is the mean of the samples' costs;
//! - the error δ(l) = ∂C/∂z(l); ⊙ is the Hadamard (element-wise) product.
//!
//! [`guide::walkthrough`] derives the equations below step by step on a 2-2-1 network,
//! with numbers to check by hand and an example per step.
//!
//! Backpropagation is four equations. Over a batch, one sample per row, the crate
//! computes them as matrix products: with A(l), Z(l) and Δ(l) the batch's rows of a(l),
//! z(l) and δ(l), BP2's wᵀδ becomes Δ(l+1)·w(l+1) and BP3's sum of δ·aᵀ becomes
//! Δ(l)ᵀ·A(l−1), both by the kernels behind [`Matrix::gemm`].
//!
//! | tag | equation | computed in (private, in `src/layer.rs`) |
//! |---|---|---|
//! | forward | z(l) = w(l)·a(l−1) + b(l), a(l) = σ(z(l)) | `LayerParams::forward`, σ by [`Activation::apply`] |
//! | BP1 | δ(L) = ∇ₐC ⊙ σ′(z(L)) | `LayerParams::output_error`, row by row by [`Cost::output_error`] |
//! | BP2 | δ(l) = (w(l+1)ᵀ δ(l+1)) ⊙ σ′(z(l)) | `LayerParams::backpropagate_error`, ⊙ σ′ by [`Activation::backpropagate`] |
//! | BP3 | ∂C/∂w(l) = δ(l)·a(l−1)ᵀ | `Layer::accumulate_gradients`, summed into [`Gradients::weights`] |
//! | BP4 | ∂C/∂b(l) = δ(l) | `Layer::accumulate_gradients`, summed into [`Gradients::biases`] |
//!
//! `src/network.rs` runs them in the order of the derivation: `block_passes` the forward
//! pass, BP1 and BP2 (on the whole batch, or on one block of its rows per thread), then
//! `gradient_layers` BP3 and BP4 ([`Network::forward_batch`] and
//! [`Network::backward_batch`]); then the update step of gradient descent,
//! [`Network::step`], with learning rate α:
//! w := w − α ∂C/∂w, b := b − α ∂C/∂b, using the mean gradient of the samples
//! accumulated since the last step (or an [`Optimizer`]'s rule, [`Network::step_with`]).
//! For a single sample the products are matrix·vector products: BP2's is what
//! [`Matrix::transpose_matvec`] computes and BP3's what [`Matrix::add_outer`] adds.
//!
//! For the softmax, which is not element-wise, "⊙ σ′(z)" stands for the product by its
//! Jacobian; [`Cost::output_error`] fuses BP1 into δ(L) = a − y for the cross-entropies
//! on their matching outputs.
//!
//! # The map
//! - [`Network`], built with [`Network::builder`]: [`forward`](Network::forward),
//!   [`backward`](Network::backward), [`step`](Network::step) for one sample, and
//!   [`forward_batch`](Network::forward_batch), [`backward_batch`](Network::backward_batch),
//!   [`train_batch`](Network::train_batch) for a mini-batch (one sample per row, computed
//!   as matrix products; it gives the same gradients as the samples one by one);
//!   [`predict`](Network::predict) for inference with `&self`.
//! - [`Network::save`] and [`Network::load`] (or [`to_writer`](Network::to_writer) and
//!   [`from_reader`](Network::from_reader)): a whole network as a safetensors file;
//!   [`Network::save_checkpoint`] and [`Network::load_checkpoint`]: a [`Checkpoint`] of
//!   the network, its optimiser's state and the [`TrainingPosition`], to resume training
//!   bit for bit.
//! - [`Layer`]: weights, biases, σ, and what the last passes cached (z, a, δ);
//!   [`Gradients`]: ∂C/∂w and ∂C/∂b of one layer.
//! - [`Activation`] (σ, σ′: sigmoid, tanh, ReLU, leaky ReLU, ELU, softplus, identity,
//!   softmax) and [`Cost`] (C, ∇ₐC: quadratic, mean absolute, binary and categorical
//!   cross-entropy); [`CustomActivation`] and [`CustomCost`] plug in functions of your own.
//! - [`Matrix`], [`MatrixView`], [`Vector`]: the algebra, generic over [`Float`]
//!   (`f32` or `f64`).
//! - [`Optimizer`], applied by [`Network::step_with`]: [`Sgd`], [`Momentum`],
//!   [`RmsProp`], [`Adam`], [`AdamW`], and [`Clipped`] for gradient clipping; a
//!   [`Schedule`] sets the learning rate per epoch; [`OptimizerState`] is what a checkpoint
//!   keeps of an optimiser.
//! - [`Trainer`], whose [`fit`](Trainer::fit) runs the whole training loop: epochs of
//!   seeded, shuffled mini-batches with any optimiser, a [`ValidationSet`], a schedule,
//!   [`EarlyStopping`] that gives back the best epoch's weights, [`Callback`]s (such as
//!   the [`ProgressReporter`] line) that may stop training, and gradient [`Diagnostics`]
//!   per layer (|δ|, ‖∂C/∂w‖, saturated units); it returns a [`History`] of
//!   [`EpochRecord`]s, and stops with [`Error::Diverged`] if the cost becomes NaN or
//!   infinite, in a [`FitError`] that keeps the history.
//! - Finite by construction: an update step that would make a weight, a bias or the
//!   optimiser's state NaN or infinite is refused with [`Error::NonFiniteUpdate`] and
//!   changes nothing (see [`Optimizer`]).
//! - [`gradient_check`] (or [`GradientCheck`] with settings of your own): your network's
//!   ∂C/∂w and ∂C/∂b on your data against finite differences, with a verdict
//!   ([`GradientCheckReport::passed`]) that allows for rounding and nothing else, e.g. to
//!   test an activation of your own.
//! - [`Error`]: every fallible operation returns [`Result`]`<_, Error>`; bad input never
//!   panics at the network level.
//! - [`Init`]: how each layer's weights and biases start (Xavier, He, LeCun, …), drawn
//!   from [`Rng`], the small seeded generator behind everything random in the crate.
//! - [`Dataset`] (one sample per row), [`one_hot`], [`Dataset::split`],
//!   [`Dataset::batches`], [`Batcher`] (seeded shuffles), [`Standardizer`], and readers
//!   for IDX (MNIST) and CSV files: [`read_idx_images`], [`read_idx_labels`],
//!   [`read_csv_file`].
//! - Speed: the matrix products run on SIMD kernels chosen for the CPU at run time
//!   ([`kernel_name`]; `BACKPROP_KERNEL=portable` forces the plain loops), and
//!   [`Network::set_threads`] splits large mini-batches and products over threads.
//! - [`guide`]: choosing an activation, a cost and an optimiser, with a runnable example
//!   for each case; [`guide::walkthrough`]: the derivation of backpropagation, step by
//!   step ([in Chinese](guide::walkthrough_zh)).
//!
//! # The `serde` feature
//! Off by default (the default build has no dependency). With
//! `backprop = { version = "0.1", features = ["serde"] }`, [`Network`], [`Layer`],
//! [`Matrix`], [`Vector`], [`Activation`], [`Cost`], [`Init`], [`OptimizerState`] and
//! the optimisers ([`Sgd`], [`Momentum`], [`MomentumKind`], [`RmsProp`], [`Adam`],
//! [`AdamW`], [`Clipped`]) implement `Serialize` and `Deserialize`:
//!
//! - a network is `{"layers": [...], "cost": "quadratic"}`, a layer
//!   `{"weights": {"rows": r, "cols": c, "data": [...]}, "biases": [...], "activation":
//!   "sigmoid"}`; an activation with a parameter is e.g. `{"leaky_relu": {"slope": 0.01}}`.
//!   The caches of the last passes, the accumulated gradients and the thread count are
//!   not written (a deserialised network runs on 1 thread).
//! - Everything is read back through its constructor ([`Matrix::new`], [`Layer::new`],
//!   [`Network::from_layers`], the optimisers' setters, [`Optimizer::set_state`]), so a
//!   document that breaks one of their rules (element count, layers that chain, finite
//!   values, a cost that suits the output, hyperparameter ranges) is an error naming the
//!   rule, never an invalid value.
//! - An optimiser is written as its hyperparameters and its state under `"state"`, which
//!   may be left out to read a fresh optimiser from a configuration.
//! - A [`Custom`](Activation::Custom) activation or cost is written as
//!   `{"custom": "name"}`, for the record, but reading it back fails with a message
//!   saying so: a name cannot rebuild a function of the caller's program.
//! - Round trips are bit-exact with a format that writes floats exactly; with
//!   `serde_json`, enable its `float_roundtrip` feature, without which it may read a
//!   float one unit in the last place off.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs)]
#![deny(unsafe_code)]
// Clippy's pedantic group, gone through once: the crate keeps the lints that guard its API
// (a pure accessor or a builder setter whose result is dropped is a bug; a fallible or
// panicking function says when), and leaves the rest of the group off on purpose:
// - `doc_markdown`: it reads the docs' mathematics (z_k, u_T, α_min) and names (ReLU,
//   PyTorch) as code, and its backticks would make the equations unreadable;
// - `inline_always`: the SIMD kernels' helpers must inline into their
//   `#[target_feature]` callers;
// - `many_single_char_names`, `similar_names`: w, b, z, a, δ, m, k, n are the derivation's
//   names, kept so that code and equations read side by side;
// - `cast_precision_loss`, `cast_possible_truncation`, `cast_sign_loss`,
//   `cast_possible_wrap`: counts become floats (1/n) and float rounding is deliberate;
//   sizes are checked where they are computed;
// - `float_cmp`: exact comparisons are the point of the bit-for-bit tests;
// - `match_same_arms`, `items_after_statements`, `too_many_lines`, `unreadable_literal`
//   (published test vectors): style, where the crate's form reads better.
#![warn(
    clippy::must_use_candidate,
    clippy::return_self_not_must_use,
    clippy::missing_errors_doc,
    clippy::missing_panics_doc
)]

mod activation;
mod cost;
mod data;
mod error;
mod finite;
mod gradient_check;
pub mod guide;
mod init;
mod io;
#[allow(unsafe_code, clippy::too_many_arguments)] // BLAS-shaped kernel signatures
mod kernels;
mod layer;
mod matrix;
mod network;
mod optimizer;
mod parallel;
mod scalar;
mod subnormals;
mod train;

pub use activation::{Activation, CustomActivation};
pub use cost::{Cost, CustomCost};
pub use data::{
    Batch, Batcher, Batches, CsvOptions, CsvTable, Dataset, Header, IdxArray, IdxData, IdxType, Standardizer,
    TargetColumn, argmax, one_hot, read_csv, read_csv_file, read_idx, read_idx_file, read_idx_images, read_idx_labels,
};
pub use error::{Error, Result};
pub use gradient_check::{GradientCheck, GradientCheckReport, ParameterCheck, gradient_check};
pub use init::{Init, Rng};
pub use io::{Checkpoint, TrainingPosition};
pub use kernels::Transpose;
pub use layer::{Gradients, Layer};
pub use matrix::{Matrix, MatrixView, Vector};
pub use network::{DEFAULT_SEED, Network, NetworkBuilder};
pub use optimizer::{
    Adam, AdamW, Clipped, ConstantRate, CosineAnnealing, ExponentialDecay, Goal, Momentum, MomentumKind, Optimizer,
    OptimizerState, Param, ParamKind, Params, ReduceOnPlateau, RmsProp, Schedule, Sgd, StepDecay,
};
pub use scalar::Float;
pub use subnormals::Subnormals;
pub use train::{
    BatchInfo, Callback, Control, Diagnostics, EarlyStopping, EpochRecord, FitError, FitInfo, History,
    LayerDiagnostics, Monitor, ProgressReporter, StopReason, Trainer, ValidationSet,
};

/// The name of the matrix kernels selected for this CPU at run time (`"avx512"`,
/// `"avx2"`, `"neon"` or `"portable"`); the environment variable
/// `BACKPROP_KERNEL=portable` forces the plain loops, and `BACKPROP_KERNEL=avx2` (or
/// another of these names) a set the CPU supports. A value that names no supported set
/// is ignored, and the crate says so once on stderr when it chooses its kernels.
///
/// ```
/// let name = backprop::kernel_name();
/// assert!(["avx512", "avx2", "neon", "portable"].contains(&name));
/// ```
#[must_use]
pub fn kernel_name() -> &'static str {
    kernels::selected()
}

/// The README's Rust code, compiled and run as doc tests so that its Usage snippet
/// cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
