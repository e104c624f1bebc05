//! Choosing an activation, a cost and an optimiser.
//!
//! This module holds no code: it is a short guide to the choices a network asks for, in
//! the order you make them, each with a small example that runs as a test. The notation
//! is the crate's: z = w·a + b, a = σ(z), δ = ∂C/∂z, and BP1..BP4 (see the
//! [crate docs](crate)). [`walkthrough`] derives BP1..BP4 step by step on a network small
//! enough to check by hand (in Chinese: [`walkthrough_zh`]).
//!
//! # Hidden layers: sigmoid, tanh or the ReLU family
//!
//! Backpropagation multiplies δ by σ′(z) once per layer (BP2), so the size of σ′ decides
//! how well the error reaches the first layers.
//!
//! - [`Sigmoid`](crate::Activation::Sigmoid), σ(z) = 1 / (1 + e^−z): the classic choice,
//!   with outputs in (0, 1). Its derivative is at most 1/4, and close to 0 once |z| is
//!   a few units (the neuron *saturates*), so δ shrinks layer after layer: fine for one
//!   or two hidden layers, slow beyond.
//! - [`Tanh`](crate::Activation::Tanh): a sigmoid rescaled to (−1, 1), centred on 0 with
//!   σ′(0) = 1. It usually learns faster than the sigmoid, and its smooth output suits
//!   smooth targets such as a regression curve.
//! - [`Relu`](crate::Activation::Relu), σ(z) = max(0, z): σ′ is 1 wherever the neuron is
//!   active, so δ passes through without shrinking, and it is cheap. The default for
//!   deeper networks and classification. A unit whose z stays negative learns nothing
//!   (it is "dead"); [`LeakyRelu`](crate::Activation::LeakyRelu) keeps a small slope
//!   there, and [`Elu`](crate::Activation::Elu) and
//!   [`Softplus`](crate::Activation::Softplus) are smooth variants.
//!
//! ```
//! use backprop::Activation;
//!
//! // σ′ at z = 0 and at z = 5, given z and a = σ(z).
//! let slope = |s: Activation, z: f64| s.derivative(z, s.value(z));
//! assert_eq!(slope(Activation::Sigmoid, 0.0), 0.25);
//! assert!(slope(Activation::Sigmoid, 5.0) < 0.01); // saturated
//! assert_eq!(slope(Activation::Tanh, 0.0), 1.0);
//! assert!(slope(Activation::Tanh, 5.0) < 0.001); // saturated too
//! assert_eq!(slope(Activation::Relu, 5.0), 1.0); // never saturates for z > 0
//! assert_eq!(slope(Activation::LeakyRelu { slope: 0.01 }, -5.0), 0.01);
//! ```
//!
//! # The output layer and the cost: what is the answer?
//!
//! The output activation and the cost go together, and the builder rejects pairs that
//! make no sense.
//!
//! | the answer is | output σ | cost C | read the output as |
//! |---|---|---|---|
//! | one of k classes | [`Softmax`](crate::Activation::Softmax) (k ≥ 2 neurons) | [`CategoricalCrossEntropy`](crate::Cost::CategoricalCrossEntropy) | probabilities summing to 1; the class is the [`argmax`](crate::argmax) |
//! | yes or no (or several independent yes/no) | [`Sigmoid`](crate::Activation::Sigmoid) | [`BinaryCrossEntropy`](crate::Cost::BinaryCrossEntropy) | the probability of "yes"; yes when ≥ 0.5 |
//! | a number | [`Identity`](crate::Activation::Identity) | [`Quadratic`](crate::Cost::Quadratic) (or [`MeanAbsolute`](crate::Cost::MeanAbsolute) against outliers) | the value itself |
//!
//! ## Classes: softmax and the categorical cross-entropy
//!
//! Targets are one-hot rows ([`Dataset::from_labels`](crate::Dataset::from_labels) makes
//! them); C = −Σᵢ yᵢ ln aᵢ.
//!
//! ```
//! use backprop::{Activation, Adam, Cost, Dataset, Matrix, Network, Trainer};
//!
//! // Three classes of points on a line: x < 1/3, x < 2/3, the rest.
//! let inputs = Matrix::from_fn(60, 1, |i, _| i as f64 / 60.0);
//! let labels: Vec<usize> = (0..60).map(|i| i / 20).collect();
//! let data = Dataset::from_labels(inputs, &labels, 3)?;
//!
//! let mut net = Network::<f64>::builder(1)
//!     .layer(8, Activation::Relu)
//!     .layer(3, Activation::Softmax)
//!     .cost(Cost::CategoricalCrossEntropy)
//!     .seed(1)
//!     .build()?;
//! let history = Trainer::new(Adam::new(0.05)?).epochs(100).batch_size(10).fit(&mut net, &data)?;
//! let outputs = net.predict(&[0.9])?;
//! assert!((outputs.as_slice().iter().sum::<f64>() - 1.0).abs() < 1e-12); // probabilities
//! assert_eq!(backprop::argmax(outputs.as_slice()), Some(2));
//! assert!(history.last().unwrap().training_accuracy.unwrap() > 0.9);
//! # Ok::<(), backprop::Error>(())
//! ```
//!
//! ## Yes or no: a sigmoid and the binary cross-entropy
//!
//! One output neuron per question, targets 0 or 1; C = −[y ln a + (1 − y) ln(1 − a)].
//!
//! ```
//! use backprop::{Activation, Adam, Cost, Dataset, Matrix, Network, Trainer};
//!
//! // Is the point inside the unit circle? A 12 × 12 grid on [−1.5, 1.5]².
//! let at = |k: usize| -1.5 + 3.0 * k as f64 / 11.0;
//! let inputs = Matrix::from_fn(144, 2, |i, j| if j == 0 { at(i / 12) } else { at(i % 12) });
//! let targets = Matrix::from_fn(144, 1, |i, _| {
//!     let (x, y) = (at(i / 12), at(i % 12));
//!     if x * x + y * y < 1.0 { 1.0 } else { 0.0 }
//! });
//! let data = Dataset::new(inputs, targets)?;
//!
//! let mut net = Network::<f64>::builder(2)
//!     .layer(16, Activation::Tanh)
//!     .layer(1, Activation::Sigmoid)
//!     .cost(Cost::BinaryCrossEntropy)
//!     .seed(2)
//!     .build()?;
//! let history = Trainer::new(Adam::new(0.02)?).epochs(150).batch_size(16).fit(&mut net, &data)?;
//! assert!(net.predict(&[0.0, 0.0])?[0] > 0.5); // inside
//! assert!(net.predict(&[1.5, 1.5])?[0] < 0.5); // outside
//! assert!(history.last().unwrap().training_accuracy.unwrap() > 0.9);
//! # Ok::<(), backprop::Error>(())
//! ```
//!
//! ## A number: the identity and the quadratic cost
//!
//! A regression's output must be free to take any value, so the last layer is linear;
//! C = ½ Σᵢ (aᵢ − yᵢ)².
//!
//! ```
//! use backprop::{Activation, Adam, Cost, Dataset, Matrix, Network, Trainer};
//!
//! // y = x² on [−1, 1].
//! let inputs = Matrix::from_fn(41, 1, |i, _| i as f64 / 20.0 - 1.0);
//! let targets = Matrix::from_fn(41, 1, |i, _| (i as f64 / 20.0 - 1.0).powi(2));
//! let data = Dataset::new(inputs, targets)?;
//!
//! let mut net = Network::<f64>::builder(1)
//!     .layer(16, Activation::Tanh)
//!     .layer(1, Activation::Identity)
//!     .cost(Cost::Quadratic)
//!     .seed(3)
//!     .build()?;
//! let history = Trainer::new(Adam::new(0.02)?).epochs(300).batch_size(8).fit(&mut net, &data)?;
//! assert!(history.last().unwrap().training_cost < 1e-3);
//! assert!((net.predict(&[0.5])?[0] - 0.25).abs() < 0.05);
//! # Ok::<(), backprop::Error>(())
//! ```
//!
//! ## Why the cross-entropies learn fast: δ = a − y
//!
//! With the quadratic cost and a sigmoid output, BP1 gives δ = (a − y)·σ′(z). When the
//! output is confidently wrong, say z = −10 but y = 1, the error a − y is almost −1
//! while σ′(z) ≈ 5·10⁻⁵: δ, and with it every gradient (BP2..BP4), is tiny, and the
//! neuron learns slowest exactly when it is most wrong. The binary cross-entropy's
//! ∂C/∂a = (a − y) / (a(1 − a)) cancels σ′(z) = a(1 − a), leaving δ = a − y: as large as
//! the error. The same holds for the softmax with the categorical cross-entropy.
//! [`Cost::output_error`](crate::Cost::output_error) computes this fused form directly,
//! which also avoids dividing by a(1 − a) ≈ 0.
//!
//! ```
//! use backprop::{Activation, Cost};
//!
//! let z = [-10.0_f64];
//! let a = [Activation::Sigmoid.value(z[0])]; // ≈ 4.5e-5: confidently "no"
//! let y = [1.0]; // but the answer is "yes"
//! let mut delta = [0.0];
//!
//! Cost::Quadratic.output_error(Activation::Sigmoid, &z, &a, &y, &mut delta);
//! assert!(delta[0].abs() < 1e-4); // (a − y)σ′(z): almost no gradient
//!
//! Cost::BinaryCrossEntropy.output_error(Activation::Sigmoid, &z, &a, &y, &mut delta);
//! assert!((delta[0] - (a[0] - y[0])).abs() < 1e-12); // a − y ≈ −1: a full-sized step
//!
//! // A pair that makes no sense is refused when the network is built.
//! let built = backprop::Network::<f64>::builder(2).layer(3, Activation::Softmax).cost(Cost::BinaryCrossEntropy).build();
//! assert!(matches!(built, Err(backprop::Error::Incompatible { .. })));
//! ```
//!
//! # The optimiser: SGD, momentum or Adam
//!
//! Every optimiser takes the mean gradient g = ∂C/∂θ of a mini-batch and moves each
//! parameter θ (weight or bias) against it.
//!
//! - [`Sgd`](crate::Sgd): θ := θ − α g. The textbook rule with one hyperparameter; α
//!   must suit the cost's scale (3.0 for Nielsen's MNIST network, 10⁻² or less for
//!   others), and it is slow along shallow, curved valleys of C.
//! - [`Momentum`](crate::Momentum): a velocity v := μv − α g, θ := θ + v (μ = 0.9 is
//!   usual), which speeds up along directions the gradient keeps pointing to and damps
//!   oscillations; [`MomentumKind::Nesterov`](crate::MomentumKind::Nesterov) looks ahead.
//! - [`Adam`](crate::Adam): running means of g and g² give every parameter its own step,
//!   about α in size whatever the gradient's scale. The robust default: α = 10⁻³ (up to
//!   10⁻² for small networks) works for most problems with no tuning.
//!   [`AdamW`](crate::AdamW) applies weight decay θ := θ − αλθ apart from the gradient,
//!   which regularises better with Adam than the L2 term of
//!   [`Adam::weight_decay`](crate::Adam::weight_decay).
//!
//! ```
//! use backprop::{Activation, Adam, Cost, Dataset, Matrix, Momentum, Network, Optimizer, Sgd, Trainer};
//!
//! // y = sin(3x) on [−1, 1], the same network and seed for each optimiser.
//! let inputs = Matrix::from_fn(50, 1, |i, _| i as f64 / 25.0 - 1.0);
//! let targets = Matrix::from_fn(50, 1, |i, _| (3.0 * (i as f64 / 25.0 - 1.0)).sin());
//! let data = Dataset::new(inputs, targets)?;
//! let final_cost = |optimizer: Box<dyn Optimizer<f64>>| -> backprop::Result<f64> {
//!     let mut net = Network::<f64>::builder(1)
//!         .layer(16, Activation::Tanh)
//!         .layer(1, Activation::Identity)
//!         .cost(Cost::Quadratic)
//!         .seed(4)
//!         .build()?;
//!     let history = Trainer::new(optimizer).epochs(100).batch_size(10).fit(&mut net, &data)?;
//!     Ok(history.last().unwrap().training_cost)
//! };
//! let sgd = final_cost(Box::new(Sgd::new(0.05)?))?;
//! let momentum = final_cost(Box::new(Momentum::new(0.05)?.momentum(0.9)?))?;
//! let adam = final_cost(Box::new(Adam::new(0.01)?))?;
//! // With the same rate, momentum goes further than plain SGD in as many epochs.
//! assert!(momentum < sgd && adam < sgd);
//! # Ok::<(), backprop::Error>(())
//! ```
//!
//! ## Schedules and early stopping
//!
//! A large rate makes quick progress early and then bounces around the minimum; a
//! [`Schedule`](crate::Schedule) lowers it as training goes:
//! [`StepDecay`](crate::StepDecay) (×γ every N epochs),
//! [`ExponentialDecay`](crate::ExponentialDecay),
//! [`CosineAnnealing`](crate::CosineAnnealing), or
//! [`ReduceOnPlateau`](crate::ReduceOnPlateau), which lowers it only when the
//! validation cost stops improving.
//!
//! How many epochs to run is best left to the data: set a validation set aside
//! ([`ValidationSet::Fraction`](crate::ValidationSet::Fraction)), and
//! [`EarlyStopping`](crate::EarlyStopping) stops once the validation cost has not
//! improved for `patience` epochs, giving back the weights of the best epoch. Keep a
//! test set apart from both, to measure the final network once.
//!
//! ```
//! use backprop::{Activation, Adam, CosineAnnealing, EarlyStopping, Dataset, Matrix, Network, Trainer, ValidationSet};
//!
//! let inputs = Matrix::from_fn(80, 1, |i, _| i as f64 / 40.0 - 1.0);
//! let targets = Matrix::from_fn(80, 1, |i, _| (i as f64 / 40.0 - 1.0).abs());
//! let data = Dataset::new(inputs, targets)?;
//! let mut net = Network::<f64>::builder(1).layer(8, Activation::Relu).layer(1, Activation::Identity).seed(5).build()?;
//! let history = Trainer::new(Adam::new(0.02)?)
//!     .epochs(400)
//!     .batch_size(16)
//!     .validation(ValidationSet::Fraction(0.25))
//!     .schedule(CosineAnnealing::new(400, 1e-4)?)
//!     .early_stopping(EarlyStopping::new(20)?)
//!     .fit(&mut net, &data)?;
//!
//! let rates: Vec<f64> = history.epochs.iter().map(|r| r.learning_rate.unwrap()).collect();
//! assert_eq!(rates[0], 0.02);
//! assert!(rates.windows(2).all(|w| w[1] <= w[0])); // annealed
//! // The network holds the weights of the best epoch, whenever training stopped.
//! let best = history.best().unwrap();
//! assert!(history.epochs.iter().all(|r| r.validation_cost.unwrap() >= best.validation_cost.unwrap()));
//! # Ok::<(), backprop::Error>(())
//! ```
//!
//! # From a CSV file to a saved model
//!
//! The whole path, with your own data: read the file
//! ([`read_csv_file`](crate::read_csv_file), the first line naming the columns), take
//! the target column by name ([`CsvTable::column_index`](crate::CsvTable::column_index),
//! [`Dataset::from_csv_table`](crate::Dataset::from_csv_table), whose errors name the
//! file's lines),
//! split off a test part and a validation part ([`Dataset::split`](crate::Dataset::split),
//! seeded), fit a [`Standardizer`](crate::Standardizer) on the training part only and
//! apply it to every part, train with early stopping on the validation part, and save.
//! The standardizer is part of the model: the network only knows standardised inputs,
//! so keep its [`means`](crate::Standardizer::means) and
//! [`stds`](crate::Standardizer::stds) next to the network (here as a small CSV file;
//! Rust's `{}` writes the shortest decimal that reads back as the same `f64`, so the
//! file keeps them exactly), and rebuild it with
//! [`Standardizer::from_parts`](crate::Standardizer::from_parts) before predicting.
//! The reloaded network and the rebuilt standardizer then predict bit for bit what the
//! originals did (given the same call: a row alone through `predict` may round
//! differently in its last bit than within a batch through `predict_batch`).
//!
//! ```
//! use backprop::{
//!     Activation, Adam, CsvOptions, Dataset, EarlyStopping, Header, Network, Standardizer, TargetColumn, Trainer,
//!     ValidationSet, read_csv_file,
//! };
//!
//! let dir = std::env::temp_dir().join(format!("backprop-guide-csv-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! // A CSV file with a header: two inputs of very different scales, and the target.
//! let mut text = String::from("area_m2,age_years,price\n");
//! for i in 0..120 {
//!     let (area, age) = (40.0 + (i * 37 % 160) as f64, (i * 13 % 90) as f64);
//!     text += &format!("{area},{age},{}\n", area / 50.0 - age / 100.0);
//! }
//! std::fs::write(dir.join("houses.csv"), text)?;
//!
//! // Read it; the target by name, every other column an input.
//! let with_header = CsvOptions::new().header(Header::Present);
//! let table = read_csv_file::<f64>(dir.join("houses.csv"), &with_header)?;
//! let target = table.column_index("price").expect("a price column");
//! let data = Dataset::from_csv_table(&table, TargetColumn::Numeric(target))?;
//! let names = table.header.unwrap_or_default();
//! let inputs: Vec<&str> = names.iter().filter(|n| *n != "price").map(String::as_str).collect();
//!
//! // Split, then standardise: fitted on the training part only, applied to every part.
//! let (rest, test) = data.split(0.2, 1)?;
//! let (train, validation) = rest.split(0.2, 2)?;
//! let scaler = Standardizer::fit(train.inputs())?;
//! let (train, validation) = (scaler.transform_dataset(train)?, scaler.transform_dataset(validation)?);
//!
//! // Train; early stopping gives back the network of the best validation epoch.
//! let mut net = Network::<f64>::builder(2).layer(8, Activation::Tanh).layer(1, Activation::Identity).seed(3).build()?;
//! Trainer::new(Adam::new(0.01)?)
//!     .epochs(300)
//!     .batch_size(16)
//!     .validation(ValidationSet::Data(&validation))
//!     .early_stopping(EarlyStopping::new(20)?)
//!     .fit(&mut net, &train)?;
//!
//! // Save the network, and the scaler as a header and two rows: the means, the deviations.
//! net.save(dir.join("network.safetensors"))?;
//! let row = |v: &[f64]| v.iter().map(f64::to_string).collect::<Vec<_>>().join(",");
//! let scaler_text = format!("{}\n{}\n{}\n", inputs.join(","), row(scaler.means()), row(scaler.stds()));
//! std::fs::write(dir.join("scaler.csv"), scaler_text)?;
//!
//! // Later, in another process: load both, rebuild the scaler, predict raw rows.
//! let loaded = Network::<f64>::load(dir.join("network.safetensors"))?;
//! let parts = read_csv_file::<f64>(dir.join("scaler.csv"), &with_header)?;
//! let rebuilt = Standardizer::from_parts(parts.values.row(0), parts.values.row(1))?;
//! assert_eq!(rebuilt, scaler);
//! let before = net.predict_batch(scaler.transform_dataset(test.clone())?.inputs())?;
//! let after = loaded.predict_batch(rebuilt.transform_dataset(test)?.inputs())?;
//! assert!(before.as_slice().iter().zip(after.as_slice()).all(|(a, b)| a.to_bits() == b.to_bits()));
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), backprop::Error>(())
//! ```
//!
//! The example `examples/csv_model.rs` does the same with a file of yours, in two
//! processes: `train` saves the network, the scaler, the target's name and the test rows
//! into a folder, and `predict` loads them and predicts any file with the same columns
//! (on the saved test rows, it prints the very error `train` printed):
//!
//! ```text
//! cargo run --release --example csv_model -- train data.csv model --target price
//! cargo run --release --example csv_model -- predict model data.csv
//! ```
//!
//! # Initialisers
//!
//! Weights start random (from the builder's seed) so that neurons differ, and scaled to
//! the layer's size so that the variance of z neither grows nor shrinks from layer to
//! layer, which would saturate σ or starve δ from the start. The builder picks by
//! activation ([`Init::default_weights`](crate::Init::default_weights)):
//! [`XavierUniform`](crate::Init::XavierUniform) (variance 2 / (fan_in + fan_out)) for
//! sigmoid, tanh, identity and softmax layers, [`HeNormal`](crate::Init::HeNormal)
//! (variance 2 / fan_in, making up for the half of the inputs a ReLU zeroes) for the ReLU
//! family. Biases start at 0. [`NetworkBuilder::init`](crate::NetworkBuilder::init)
//! overrides the choice for the layer added last, e.g. with
//! [`Init::Normal`](crate::Init::Normal) `{ std: 1.0 }`, the textbook's N(0, 1).
//!
//! ```
//! use backprop::{Activation, Init, Network};
//!
//! assert_eq!(Init::default_weights(Activation::Relu), Init::HeNormal);
//! assert_eq!(Init::default_weights(Activation::Tanh), Init::XavierUniform);
//!
//! let net = Network::<f64>::builder(400)
//!     .layer(200, Activation::Relu) // He: variance 2/400
//!     .layer(10, Activation::Sigmoid)
//!     .init(Init::Normal { std: 1.0 }) // this layer only
//!     .seed(6)
//!     .build()?;
//! let variance = |w: &[f64]| w.iter().map(|x| x * x).sum::<f64>() / w.len() as f64;
//! let he = variance(net.layers()[0].weights().as_slice());
//! assert!((he / (2.0 / 400.0) - 1.0).abs() < 0.05);
//! let textbook = variance(net.layers()[1].weights().as_slice());
//! assert!((textbook - 1.0).abs() < 0.15);
//! assert!(net.layers()[0].biases().as_slice().iter().all(|&b| b == 0.0));
//! # Ok::<(), backprop::Error>(())
//! ```

pub mod walkthrough;
pub mod walkthrough_zh;
