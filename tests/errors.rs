//! Bad input to the network-level API gets an `Error` that names what went wrong, never a
//! panic or a wrong answer.

use backprop::{Activation, Error, Layer, Matrix, Network, Vector};

fn net() -> Network<f64> {
    Network::builder(2).layer(3, Activation::Sigmoid).layer(1, Activation::Sigmoid).build().unwrap()
}

#[test]
fn input_of_the_wrong_length() {
    let mut n = net();
    let e = n.forward(&[1.0, 2.0, 3.0]).unwrap_err();
    assert!(matches!(e, Error::ShapeMismatch { expected: 2, found: 3, .. }));
    assert_eq!(e.to_string(), "input has 3 values but the network's first layer expects 2");
    assert!(n.predict(&[1.0]).is_err());
    assert!(n.sample_cost(&[1.0], &[0.0]).is_err());
    let x = Matrix::zeros(4, 3);
    assert!(matches!(n.forward_batch(&x), Err(Error::ShapeMismatch { .. })));
    assert!(n.predict_batch(&x).is_err());
}

#[test]
fn target_of_the_wrong_length_or_batch() {
    let mut n = net();
    n.forward(&[1.0, 2.0]).unwrap();
    let e = n.backward(&[1.0, 0.0]).unwrap_err();
    assert_eq!(e.to_string(), "target has 2 values but the network's output layer expects 1");
    n.forward_batch(&Matrix::zeros(4, 2)).unwrap();
    let e = n.backward_batch(&Matrix::zeros(3, 1)).unwrap_err();
    assert!(matches!(e, Error::BatchSizeMismatch { expected: 4, found: 3 }));
    assert!(n.mean_cost(&Matrix::zeros(4, 2), &Matrix::zeros(3, 1)).is_err());
}

#[test]
fn empty_networks_and_zero_sized_layers() {
    assert!(matches!(Network::<f64>::builder(3).build(), Err(Error::EmptyNetwork)));
    let e = Network::<f32>::builder(3).layer(0, Activation::Sigmoid).build().unwrap_err();
    assert_eq!(e.to_string(), "layer 0 must have at least one neuron");
    assert!(matches!(Network::<f64>::from_layers(vec![], backprop::Cost::Quadratic), Err(Error::EmptyNetwork)));
    let e = Network::<f64>::builder(0).layer(1, Activation::Sigmoid).build().unwrap_err();
    assert_eq!(e.to_string(), "the input must have at least one value");
}

#[test]
fn layers_that_do_not_chain() {
    let a = Layer::new(Matrix::<f64>::zeros(3, 2), Vector::zeros(3), Activation::Sigmoid).unwrap();
    let b = Layer::new(Matrix::<f64>::zeros(1, 4), Vector::zeros(1), Activation::Sigmoid).unwrap();
    let e = Network::from_layers(vec![a, b], backprop::Cost::Quadratic).unwrap_err();
    assert_eq!(e.to_string(), "a layer's input has 4 values but the previous layer's output expects 3");
}

#[test]
fn bad_learning_rates() {
    for lr in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let mut n = net();
        n.forward(&[1.0, 2.0]).unwrap();
        n.backward(&[1.0]).unwrap();
        let before = n.layers()[0].weights().clone();
        let e = n.step(lr).unwrap_err();
        assert!(matches!(e, Error::InvalidHyperparameter { name: "learning rate", .. }), "{lr}: {e}");
        assert_eq!(n.layers()[0].weights(), &before, "a refused step must not move the weights");
        assert!(n.train_batch(&Matrix::zeros(1, 2), &Matrix::zeros(1, 1), lr).is_err());
    }
    let e = net().step(-1.0).unwrap_err();
    assert_eq!(e.to_string(), "learning rate must be finite and > 0, got -1");
}

#[test]
fn non_finite_inputs_and_targets() {
    let mut n = net();
    let e = n.forward(&[1.0, f64::NAN]).unwrap_err();
    assert!(matches!(e, Error::NonFinite { what: "input", index: 1, .. }));
    assert!(n.predict(&[f64::INFINITY, 0.0]).is_err());
    n.forward(&[1.0, 2.0]).unwrap();
    assert!(matches!(n.backward(&[f64::NEG_INFINITY]), Err(Error::NonFinite { what: "target", .. })));
    assert!(n.sample_cost(&[1.0, 2.0], &[f64::NAN]).is_err());
}

#[test]
fn empty_data() {
    let mut n = net();
    assert!(matches!(n.forward_batch(&Matrix::zeros(0, 2)), Err(Error::EmptyData { .. })));
    assert!(matches!(n.step(0.1), Err(Error::EmptyData { .. })));
    assert!(n.gradients().is_err());
    assert!(n.mean_cost(&Matrix::zeros(0, 2), &Matrix::zeros(0, 1)).is_err());
}

#[test]
fn backward_without_forward() {
    let mut n = net();
    assert!(matches!(n.backward(&[1.0]), Err(Error::NoForwardPass)));
}

#[test]
fn a_failed_call_leaves_the_network_usable() {
    let mut n = net();
    n.forward(&[1.0, 2.0]).unwrap();
    assert!(n.backward(&[1.0, 2.0]).is_err());
    n.backward(&[1.0]).unwrap();
    n.step(0.1).unwrap();
}

#[test]
fn senseless_output_and_cost_pairs_are_rejected_at_build_time() {
    use backprop::Cost;
    let build = |output: Activation, n: usize, cost: Cost| {
        Network::<f64>::builder(2).layer(3, Activation::Tanh).layer(n, output).cost(cost).build()
    };
    let e = build(Activation::Softmax, 3, Cost::BinaryCrossEntropy).unwrap_err();
    assert!(matches!(e, Error::Incompatible { .. }));
    assert!(e.to_string().contains("softmax"), "{e}");
    for output in [Activation::Relu, Activation::Identity, Activation::Tanh] {
        let e = build(output, 1, Cost::BinaryCrossEntropy).unwrap_err();
        assert!(e.to_string().contains(output.name()), "{e}");
    }
    for output in [Activation::Sigmoid, Activation::Identity] {
        assert!(matches!(build(output, 3, Cost::CategoricalCrossEntropy), Err(Error::Incompatible { .. })));
    }
    assert!(matches!(build(Activation::Softmax, 1, Cost::CategoricalCrossEntropy), Err(Error::Incompatible { .. })));
    assert!(build(Activation::Softmax, 3, Cost::CategoricalCrossEntropy).is_ok());
    assert!(build(Activation::Sigmoid, 1, Cost::BinaryCrossEntropy).is_ok());
    assert!(build(Activation::Softmax, 3, Cost::MeanAbsolute).is_ok());
    // The same rules for layers made by hand.
    let layer = Layer::new(Matrix::<f64>::zeros(2, 2), Vector::zeros(2), Activation::Softmax).unwrap();
    assert!(Network::from_layers(vec![layer], Cost::BinaryCrossEntropy).is_err());
}

#[test]
fn bad_activation_parameters_are_rejected() {
    let e = Network::<f64>::builder(2).layer(3, Activation::LeakyRelu { slope: f64::NAN }).build().unwrap_err();
    assert!(matches!(e, Error::InvalidHyperparameter { .. }));
    assert!(Network::<f32>::builder(2).layer(3, Activation::Elu { alpha: f64::INFINITY }).build().is_err());
    assert!(Layer::new(Matrix::<f64>::zeros(1, 2), Vector::zeros(1), Activation::Softmax).is_err());
}

#[test]
fn targets_the_cost_cannot_take() {
    use backprop::Cost;
    let mut n =
        Network::<f64>::builder(2).layer(3, Activation::Softmax).cost(Cost::CategoricalCrossEntropy).build().unwrap();
    n.forward(&[1.0, 2.0]).unwrap();
    let e = n.backward(&[1.0, 1.0, 0.0]).unwrap_err();
    assert!(matches!(e, Error::Incompatible { .. }));
    assert!(e.to_string().contains("sum to 1"), "{e}");
    assert!(n.sample_cost(&[1.0, 2.0], &[-1.0, 1.0, 1.0]).is_err());
    n.backward(&[0.0, 0.0, 1.0]).unwrap(); // the failed call changed nothing
    let mut n =
        Network::<f32>::builder(2).layer(1, Activation::Sigmoid).cost(Cost::BinaryCrossEntropy).build().unwrap();
    n.forward(&[1.0, 2.0]).unwrap();
    assert!(matches!(n.backward(&[2.0]), Err(Error::Incompatible { .. })));
    n.backward(&[1.0]).unwrap();
}
