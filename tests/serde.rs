//! The `serde` feature: networks, their parts and the optimisers round-trip through JSON
//! bit for bit, and documents that break a constructor's rule are errors.
#![cfg(feature = "serde")]

use backprop::{
    Activation, Adam, AdamW, Clipped, Cost, CustomActivation, Float, Init, Layer, Matrix, Momentum, MomentumKind,
    Network, Optimizer, OptimizerState, RmsProp, Rng, Sgd, Vector,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

fn round_trip<V: Serialize + DeserializeOwned>(value: &V) -> V {
    let json = serde_json::to_string(value).unwrap();
    serde_json::from_str(&json).unwrap_or_else(|e| panic!("{json} does not read back: {e}"))
}

/// The error of reading `json` as a `V`.
fn error<V: DeserializeOwned + std::fmt::Debug>(json: &str) -> String {
    match serde_json::from_str::<V>(json) {
        Ok(v) => panic!("{json} was accepted as {v:?}"),
        Err(e) => e.to_string(),
    }
}

fn bits<T: Float>(net: &Network<T>) -> Vec<u64> {
    net.layers()
        .iter()
        .flat_map(|l| l.weights().as_slice().iter().chain(l.biases().as_slice()).map(|x| x.to_f64().to_bits()))
        .collect()
}

/// A network whose parameters are awkward decimals: `f64` and `f32` values from random
/// bits, subnormals, −0 and the extremes.
fn network<T: Float>(random: impl Fn(&mut Rng) -> T, specials: &[T]) -> Network<T> {
    let mut rng = Rng::new(3);
    let layer = |n_out: usize, n_in: usize, activation: Activation, rng: &mut Rng| {
        let mut w: Vec<T> = (0..n_out * n_in).map(|_| random(rng)).collect();
        for (x, &s) in w.iter_mut().zip(specials) {
            *x = s;
        }
        let b: Vec<T> = (0..n_out).map(|_| random(rng)).collect();
        Layer::new(Matrix::new(n_out, n_in, w).unwrap(), Vector::from(b), activation).unwrap()
    };
    let layers = vec![
        layer(6, 4, Activation::LeakyRelu { slope: 0.1 + 0.2 }, &mut rng),
        layer(5, 6, Activation::Elu { alpha: 1e-300 }, &mut rng),
        layer(3, 5, Activation::Softmax, &mut rng),
    ];
    Network::from_layers(layers, Cost::CategoricalCrossEntropy).unwrap()
}

/// A finite value from random bits, scaled down so that a network's outputs stay finite.
fn random_f64(rng: &mut Rng) -> f64 {
    loop {
        let x = f64::from_bits(rng.next_u64());
        if x.is_finite() && x.abs() < 1e3 {
            return x;
        }
    }
}

fn random_f32(rng: &mut Rng) -> f32 {
    loop {
        let x = f32::from_bits(rng.next_u64() as u32);
        if x.is_finite() && x.abs() < 1e3 {
            return x;
        }
    }
}

#[test]
fn networks_round_trip_bit_for_bit_in_f64_and_f32() {
    let net = network(random_f64, &[f64::MIN_POSITIVE / 3.0, -0.0, 1.0 / 3.0, 0.1, 5e-324]);
    let back = round_trip(&net);
    assert_eq!(bits(&back), bits(&net));
    assert_eq!(back.to_string(), net.to_string());
    assert_eq!(back.cost(), Cost::CategoricalCrossEntropy);
    let x = [0.5, -1.0, 2.0, 1e-3];
    assert_eq!(back.predict(&x).unwrap().as_slice(), net.predict(&x).unwrap().as_slice());

    let net = network(random_f32, &[f32::MIN_POSITIVE / 3.0, -0.0, 1.0 / 3.0, 0.1, f32::from_bits(1)]);
    let back = round_trip(&net);
    assert_eq!(bits(&back), bits(&net));
    let x = [0.5f32, -1.0, 2.0, 1e-3];
    assert_eq!(back.predict(&x).unwrap().as_slice(), net.predict(&x).unwrap().as_slice());
}

#[test]
fn matrices_of_random_bits_round_trip() {
    // Through JSON's shortest decimal form; f32 is read by way of f64.
    let mut rng = Rng::new(17);
    let m = Matrix::from_fn(50, 40, |_, _| {
        loop {
            let x = f32::from_bits(rng.next_u64() as u32);
            if x.is_finite() {
                break x;
            }
        }
    });
    let back = round_trip(&m);
    assert_eq!(back.shape(), m.shape());
    assert!(back.as_slice().iter().zip(m.as_slice()).all(|(a, b)| a.to_bits() == b.to_bits()));
    let m = Matrix::from_fn(50, 40, |_, _| {
        loop {
            let x = f64::from_bits(rng.next_u64());
            if x.is_finite() {
                break x;
            }
        }
    });
    let back = round_trip(&m);
    assert!(back.as_slice().iter().zip(m.as_slice()).all(|(a, b)| a.to_bits() == b.to_bits()));

    let v = Vector::from(vec![1.5, -0.0, 1e300]);
    assert_eq!(serde_json::to_string(&v).unwrap(), "[1.5,-0.0,1e+300]");
    assert_eq!(round_trip(&v), v);
    assert_eq!(
        serde_json::to_string(&Matrix::new(1, 2, vec![1.0, 2.0]).unwrap()).unwrap(),
        r#"{"rows":1,"cols":2,"data":[1.0,2.0]}"#
    );
}

const LAYER: &str =
    r#"{"weights": {"rows": 2, "cols": 1, "data": [0.5, -0.5]}, "biases": [0.0, 1.0], "activation": "sigmoid"}"#;

#[test]
fn the_json_form_is_readable() {
    let net: Network<f64> = serde_json::from_str(&format!(r#"{{"layers": [{LAYER}], "cost": "quadratic"}}"#)).unwrap();
    assert_eq!(net.n_inputs(), 1);
    assert_eq!(net.n_outputs(), 2);
    let json = serde_json::to_string(&net).unwrap();
    assert_eq!(
        json,
        r#"{"layers":[{"weights":{"rows":2,"cols":1,"data":[0.5,-0.5]},"biases":[0.0,1.0],"activation":"sigmoid"}],"cost":"quadratic"}"#
    );
    assert_eq!(
        serde_json::to_string(&Activation::LeakyRelu { slope: 0.01 }).unwrap(),
        r#"{"leaky_relu":{"slope":0.01}}"#
    );
    assert_eq!(serde_json::to_string(&Cost::BinaryCrossEntropy).unwrap(), r#""binary_cross_entropy""#);
    for a in [
        Activation::Sigmoid,
        Activation::Tanh,
        Activation::Relu,
        Activation::LeakyRelu { slope: 0.2 },
        Activation::Elu { alpha: 1.0 },
        Activation::Softplus,
        Activation::Identity,
        Activation::Softmax,
    ] {
        assert_eq!(round_trip(&a), a);
    }
    for c in [Cost::Quadratic, Cost::MeanAbsolute, Cost::BinaryCrossEntropy, Cost::CategoricalCrossEntropy] {
        assert_eq!(round_trip(&c), c);
    }
    for i in [
        Init::XavierUniform,
        Init::XavierNormal,
        Init::HeUniform,
        Init::HeNormal,
        Init::LeCunNormal,
        Init::LeCunUniform,
        Init::Normal { std: 0.5 },
        Init::Zeros,
    ] {
        assert_eq!(round_trip(&i), i);
    }
    assert_eq!(serde_json::to_string(&Init::LeCunNormal).unwrap(), r#""lecun_normal""#);
}

/// `LAYER` with `from` replaced by `to`, as the only layer of a quadratic-cost network.
fn network_with(from: &str, to: &str) -> String {
    assert!(LAYER.contains(from), "{from}");
    format!(r#"{{"layers": [{}], "cost": "quadratic"}}"#, LAYER.replace(from, to))
}

#[test]
fn invalid_documents_are_errors_that_name_the_rule() {
    let cases = [
        (network_with(r#""cols": 1"#, r#""cols": 2"#), "a 2×2 matrix needs 4 elements, got 2"),
        (network_with("[0.0, 1.0]", "[0.0]"), "biases has 1 values but the number of weight rows expects 2"),
        (network_with(r#""sigmoid""#, r#""swish""#), "unknown variant `swish`"),
        (network_with("0.5,", "NaN,"), "expected value"),
        (network_with("0.5,", "null,"), "invalid type: null"),
        (network_with("0.5,", "1e400,"), "number out of range"),
        (network_with(r#""sigmoid""#, r#"{"leaky_relu": {"slope": 1e400}}"#), "number out of range"),
        (network_with(r#""sigmoid""#, r#"{"custom": "cube"}"#), "the custom activation \"cube\" cannot be deserialised"),
        (
            r#"{"layers": [{"weights": {"rows": 1, "cols": 1, "data": [0.5]}, "biases": [0.0], "activation": "softmax"}],
                "cost": "quadratic"}"#
                .to_string(),
            "a softmax layer needs at least 2 neurons, got 1",
        ),
        (network_with(r#""biases""#, r#""bias""#), "unknown field `bias`"),
        (r#"{"layers": [], "cost": "quadratic"}"#.to_string(), "a network needs at least one layer"),
        (
            format!(r#"{{"layers": [{LAYER}, {LAYER}], "cost": "quadratic"}}"#),
            "a layer's input has 1 values but the previous layer's output expects 2",
        ),
        (network_with("", "").replace("quadratic", "categorical_cross_entropy"), "use a softmax output layer"),
        (network_with("", "").replace(r#""quadratic""#, r#"{"custom": "huber"}"#), "the custom cost \"huber\" cannot be"),
    ];
    for (json, expected) in &cases {
        let e = error::<Network<f64>>(json);
        assert!(e.contains(expected), "{json}: {e}");
    }
    // serde_json refuses an f32 beyond f32's range; a deserialiser that rounds it to
    // infinity instead (here serde_json's own `Value`) meets the layer's check.
    let e = error::<Network<f32>>(&network_with("0.5,", "1e39,"));
    assert!(e.contains("number out of range"), "{e}");
    let value: serde_json::Value = serde_json::from_str(&network_with("0.5,", "1e39,")).unwrap();
    let e = serde_json::from_value::<Network<f32>>(value).unwrap_err().to_string();
    assert_eq!(e, "weights holds the non-finite value inf at index 0");
    let e = error::<Init>(r#"{"normal": {"std": -1.0}}"#);
    assert!(e.contains("initial standard deviation must be finite and >= 0, got -1"), "{e}");
}

#[derive(Debug)]
struct Cube;

impl CustomActivation for Cube {
    fn name(&self) -> &str {
        "cube"
    }
    fn value(&self, z: f64) -> f64 {
        z * z * z
    }
    fn derivative(&self, z: f64, _a: f64) -> f64 {
        3.0 * z * z
    }
}

#[test]
fn a_custom_activation_is_written_by_name_and_not_read_back() {
    let net: Network<f64> = Network::builder(2).layer(2, Activation::Custom(&Cube)).build().unwrap();
    let json = serde_json::to_string(&net).unwrap();
    assert!(json.contains(r#""activation":{"custom":"cube"}"#), "{json}");
    let e = serde_json::from_str::<Network<f64>>(&json).unwrap_err().to_string();
    assert!(e.contains("the custom activation \"cube\" cannot be deserialised"), "{e}");
}

/// Steps `optimizer` twice on a small network, so that it has state.
fn stepped<O: Optimizer<f64>>(mut optimizer: O) -> O {
    let mut net: Network<f64> =
        Network::builder(2).layer(3, Activation::Tanh).layer(1, Activation::Sigmoid).build().unwrap();
    for _ in 0..2 {
        net.forward(&[0.3, -0.7]).unwrap();
        net.backward(&[1.0]).unwrap();
        net.step_with(&mut optimizer).unwrap();
    }
    optimizer
}

#[test]
fn optimisers_round_trip_with_their_state() {
    let adam = stepped(Adam::new(0.01).unwrap().betas(0.8, 0.99).unwrap().epsilon(1e-7).unwrap());
    assert_eq!(round_trip(&adam), adam);
    let adamw = stepped(AdamW::new(0.01).unwrap().weight_decay(0.1).unwrap());
    assert_eq!(round_trip(&adamw), adamw);
    let momentum = stepped(Momentum::new(0.1).unwrap().momentum(0.5).unwrap().kind(MomentumKind::Nesterov));
    assert_eq!(round_trip(&momentum), momentum);
    let rmsprop = stepped(RmsProp::new(0.01).unwrap().rho(0.8).unwrap());
    assert_eq!(round_trip(&rmsprop), rmsprop);
    let sgd = Sgd::new(0.5).unwrap().weight_decay(1e-4).unwrap();
    assert_eq!(round_trip(&sgd), sgd);
    let clipped = stepped(Clipped::new(Adam::new(0.01).unwrap(), 0.5).unwrap());
    assert_eq!(round_trip(&clipped), clipped);
    let state = adam.state();
    assert_eq!(round_trip(&state), state);
    assert_eq!(serde_json::to_string(&MomentumKind::Nesterov).unwrap(), r#""nesterov""#);

    // A configuration without state is a fresh optimiser.
    let adam: Adam<f32> = serde_json::from_str(
        r#"{"learning_rate": 0.001, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, "weight_decay": 0.0}"#,
    )
    .unwrap();
    assert_eq!(adam, Adam::new(0.001).unwrap());
}

#[test]
fn invalid_optimiser_documents_are_errors() {
    let adam = r#"{"learning_rate": 0.001, "beta1": 1.0, "beta2": 0.999, "epsilon": 1e-8, "weight_decay": 0.0}"#;
    assert!(error::<Adam<f64>>(adam).contains("beta1 must be in [0, 1), got 1"));
    assert!(
        error::<Sgd<f64>>(r#"{"learning_rate": -1.0, "weight_decay": 0.0}"#)
            .contains("learning rate must be finite and > 0, got -1")
    );
    assert!(
        error::<Clipped<Sgd<f64>>>(r#"{"inner": {"learning_rate": 1.0, "weight_decay": 0.0}, "max_norm": 0.0}"#)
            .contains("max norm must be finite and > 0, got 0")
    );
    let momentum = r#"{"learning_rate": 0.1, "momentum": 0.9, "kind": "heavy_ball", "weight_decay": 0.0}"#;
    assert!(error::<Momentum<f64>>(momentum).contains("unknown variant `heavy_ball`"));
    // State of another optimiser.
    let momentum = r#"{"learning_rate": 0.1, "momentum": 0.9, "kind": "classical", "weight_decay": 0.0,
        "state": {"step": 1, "buffers": [["first_moment.0", [0.0]]]}}"#;
    let e = error::<Momentum<f64>>(momentum);
    assert!(e.contains("is named \"first_moment.0\", expected \"velocity.0\""), "{e}");
    let value = serde_json::json!({"step": 1, "buffers": [["velocity.0", [1e39]]]});
    let e = serde_json::from_value::<OptimizerState<f32>>(value).unwrap_err().to_string();
    assert_eq!(e, "optimiser state buffer \"velocity.0\" holds the non-finite value inf at index 0");
}

/// The number of generated cases of the hostile-input test, unless `BACKPROP_FUZZ_CASES`
/// says otherwise.
fn fuzz_cases() -> u32 {
    match std::env::var("BACKPROP_FUZZ_CASES") {
        Ok(s) => s.parse().unwrap_or_else(|_| panic!("BACKPROP_FUZZ_CASES must be a count, got {s:?}")),
        Err(_) => 500,
    }
}

#[test]
fn mutated_documents_are_read_or_rejected_without_panicking() {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

    let net = network(random_f64, &[]);
    let valid = serde_json::to_string(&net).unwrap();
    let adam = serde_json::to_string(&stepped(Adam::new(0.01).unwrap())).unwrap();
    let piece = prop::sample::select(vec![
        "",
        "0",
        "1",
        "-1",
        "2",
        "1e400",
        "null",
        "[]",
        "{}",
        ",",
        "\"",
        "]",
        "}",
        "\"softmax\"",
        "\"relu\"",
        "{\"custom\":\"x\"}",
        "\"rows\":0",
        "\"cols\":3",
        "0.5,",
        "18446744073709551616",
    ]);
    let edit = (any::<usize>(), 0usize..8, piece);
    let config = Config { cases: fuzz_cases(), failure_persistence: None, ..Config::default() };
    let mut runner = TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &[9; 32]));
    let result = runner.run(&(any::<bool>(), prop::collection::vec(edit, 1..4)), |(is_adam, edits)| {
        let mut text = if is_adam { adam.clone() } else { valid.clone() };
        for (at, delete, insert) in edits {
            let mut at = at % (text.len() + 1);
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            let mut end = (at + delete).min(text.len());
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            text.replace_range(at..end, insert);
        }
        if let Ok(net) = serde_json::from_str::<Network<f64>>(&text) {
            // Whatever is accepted is a working network.
            prop_assert!(net.predict(&vec![0.5; net.n_inputs()]).is_ok());
        }
        let _ = serde_json::from_str::<Network<f32>>(&text);
        let _ = serde_json::from_str::<Adam<f64>>(&text);
        let _ = serde_json::from_str::<OptimizerState<f32>>(&text);
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
