//! Training with every activation and cost lowers the cost, in f32 and f64, and
//! saturated or extreme values give finite results.

use backprop::{Activation, Cost, Float, Matrix, Network};

/// Four points in the plane, each of one of 3 classes.
fn data<T: Float>() -> (Matrix<T>, Matrix<T>) {
    let x = [0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0, 1.0].map(T::from_f64);
    let y = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0].map(T::from_f64);
    (Matrix::new(4, 2, x.to_vec()).unwrap(), Matrix::new(4, 3, y.to_vec()).unwrap())
}

fn lowers_the_cost<T: Float>(hidden: Activation, output: Activation, cost: Cost, learning_rate: f64) {
    let (x, y) = data::<T>();
    let mut net = Network::<T>::builder(2).layer(6, hidden).layer(3, output).cost(cost).seed(11).build().unwrap();
    let before = net.mean_cost(&x, &y).unwrap();
    for _ in 0..300 {
        net.train_batch(&x, &y, T::from_f64(learning_rate)).unwrap();
    }
    let after = net.mean_cost(&x, &y).unwrap();
    assert!(after.is_finite() && after < before, "{net}: cost {before} → {after}");
}

#[test]
fn every_activation_and_cost_learns() {
    let hidden = [
        Activation::Sigmoid,
        Activation::Tanh,
        Activation::Relu,
        Activation::LeakyRelu { slope: 0.01 },
        Activation::Elu { alpha: 1.0 },
        Activation::Softplus,
        Activation::Identity,
        Activation::Softmax,
    ];
    let outputs = [
        (Activation::Softmax, Cost::CategoricalCrossEntropy),
        (Activation::Sigmoid, Cost::BinaryCrossEntropy),
        (Activation::Sigmoid, Cost::Quadratic),
        (Activation::Identity, Cost::MeanAbsolute),
        (Activation::Softmax, Cost::Quadratic),
    ];
    for h in hidden {
        for (o, c) in outputs {
            lowers_the_cost::<f64>(h, o, c, 0.1);
            lowers_the_cost::<f32>(h, o, c, 0.1);
        }
    }
}

#[test]
fn softmax_with_cross_entropy_classifies() {
    let (x, y) = data::<f32>();
    let mut net = Network::<f32>::builder(2)
        .layer(8, Activation::Tanh)
        .layer(3, Activation::Softmax)
        .cost(Cost::CategoricalCrossEntropy)
        .seed(3)
        .build()
        .unwrap();
    for _ in 0..500 {
        net.train_batch(&x, &y, 0.5).unwrap();
    }
    let p = net.predict_batch(&x).unwrap();
    for r in 0..4 {
        let row = p.row(r);
        assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-5, "{row:?}");
        assert_eq!(backprop::argmax(row), backprop::argmax(y.row(r)), "sample {r}: {row:?}");
    }
}

#[test]
fn saturated_outputs_give_finite_costs_and_gradients() {
    let (x, y) = data::<f32>();
    let x = Matrix::new(4, 2, x.as_slice().iter().map(|v| v * 1e4).collect()).unwrap();
    for (hidden, output, cost) in [
        (Activation::Identity, Activation::Softmax, Cost::CategoricalCrossEntropy),
        (Activation::Relu, Activation::Sigmoid, Cost::BinaryCrossEntropy),
        (Activation::Softplus, Activation::Tanh, Cost::MeanAbsolute),
        (Activation::Elu { alpha: 1.0 }, Activation::Sigmoid, Cost::BinaryCrossEntropy),
    ] {
        let mut net = Network::<f32>::builder(2).layer(5, hidden).layer(3, output).cost(cost).seed(1).build().unwrap();
        let c = net.mean_cost(&x, &y).unwrap();
        assert!(c.is_finite(), "{net}: cost {c}");
        net.forward_batch(&x).unwrap();
        net.backward_batch(&y).unwrap();
        for g in net.gradients().unwrap() {
            assert!(g.weights.as_slice().iter().chain(g.biases.iter()).all(|v| v.is_finite()), "{net}");
        }
    }
}
