//! The training loop and the gradient check with the other activations and costs: a
//! softmax classifier, dead ReLU units in the diagnostics, and a custom activation whose
//! derivative is wrong.

use backprop::{
    Activation, Adam, Cost, CustomActivation, Dataset, Diagnostics, Layer, Matrix, Network, Rng, Sgd, Trainer, Vector,
    gradient_check,
};

/// Three Gaussian blobs in the plane, one-hot targets.
fn blobs(n: usize) -> Dataset<f64> {
    let mut rng = Rng::new(21);
    let labels: Vec<usize> = (0..n).map(|i| i % 3).collect();
    let centres = [(-1.5, 0.0), (1.5, 0.0), (0.0, 1.5)];
    let inputs = Matrix::from_fn(n, 2, |i, j| {
        let c = centres[labels[i]];
        (if j == 0 { c.0 } else { c.1 }) + 0.4 * rng.normal()
    });
    Dataset::from_labels(inputs, &labels, 3).unwrap()
}

#[test]
fn a_softmax_classifier_learns_and_reports_argmax_accuracy() {
    let data = blobs(150);
    let mut net = Network::<f64>::builder(2)
        .layer(8, Activation::Tanh)
        .layer(3, Activation::Softmax)
        .cost(Cost::CategoricalCrossEntropy)
        .seed(4)
        .build()
        .unwrap();
    let history = Trainer::new(Adam::new(0.05).unwrap())
        .epochs(20)
        .batch_size(16)
        .diagnostics(Diagnostics::PerEpoch)
        .fit(&mut net, &data)
        .unwrap();
    let (first, last) = (&history.epochs[0], history.last().unwrap());
    assert!(last.training_cost < 0.5 * first.training_cost, "{first:?} → {last:?}");
    assert!(last.training_accuracy.unwrap() > 0.95, "{last:?}");
    assert!(last.layers.iter().all(|d| (0.0..=1.0).contains(&d.saturated_fraction)));
}

#[test]
fn dead_relu_units_count_as_saturated() {
    // Biases of −100 keep every hidden ReLU at z ≤ 0 for these inputs: dead.
    let hidden =
        Layer::new(Matrix::from_fn(4, 2, |i, j| 0.1 * (i + j) as f64), Vector::from(vec![-100.0; 4]), Activation::Relu)
            .unwrap();
    let output =
        Layer::new(Matrix::from_fn(1, 4, |_, j| j as f64), Vector::from(vec![0.0]), Activation::Sigmoid).unwrap();
    let mut net = Network::from_layers(vec![hidden, output], Cost::Quadratic).unwrap();
    let data = Dataset::new(
        Matrix::from_fn(10, 2, |i, j| (i + j) as f64 / 10.0),
        Matrix::from_fn(10, 1, |i, _| (i % 2) as f64),
    )
    .unwrap();
    let history =
        Trainer::new(Sgd::new(0.1).unwrap()).epochs(2).diagnostics(Diagnostics::PerEpoch).fit(&mut net, &data).unwrap();
    for r in &history.epochs {
        assert_eq!(r.layers[0].saturated_fraction, 1.0);
        assert_eq!(r.layers[0].weight_gradient_norm, 0.0);
    }
}

/// σ(z) = z³ with the derivative 2z² instead of 3z².
#[derive(Debug)]
struct WrongCube;

impl CustomActivation for WrongCube {
    fn name(&self) -> &str {
        "wrong cube"
    }
    fn value(&self, z: f64) -> f64 {
        z * z * z
    }
    fn derivative(&self, z: f64, _a: f64) -> f64 {
        2.0 * z * z
    }
}

#[test]
fn gradient_check_catches_a_wrong_derivative() {
    let x = Matrix::new(2, 2, vec![0.5, -1.0, 1.5, 0.25]).unwrap();
    let y = Matrix::new(2, 1, vec![1.0, 0.0]).unwrap();
    let net =
        |hidden| Network::<f64>::builder(2).layer(3, hidden).layer(1, Activation::Sigmoid).seed(8).build().unwrap();
    let right = gradient_check(&net(Activation::Tanh), &x, &y).unwrap();
    assert!(right.passed() && right.max_relative_error() < 1e-7, "{right}");
    let wrong = gradient_check(&net(Activation::Custom(&WrongCube)), &x, &y).unwrap();
    assert!(!wrong.passed() && wrong.max_relative_error() > 0.1, "{wrong}");
    // The output layer's weights do not pass through σ′ of the hidden layer: only
    // layer 0's gradients are wrong.
    assert!(wrong.layers[1].passed() && wrong.layers[1].relative_error() < 1e-7, "{wrong}");
    assert_eq!(wrong.worst().unwrap().layer, 0);
}
