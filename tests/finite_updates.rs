//! A network never holds a non-finite weight: an update step that would put NaN or an
//! infinity into a weight, a bias or the optimiser's state is refused with
//! `Error::NonFiniteUpdate`, and the network and the optimiser stay bit for bit as they
//! were, so that training can go on as if the step had never been tried.

use std::fmt::Debug;

use backprop::{
    Activation, Adam, AdamW, Clipped, Error, Float, Matrix, Momentum, MomentumKind, Network, Optimizer, Params, Result,
    RmsProp, Sgd,
};

/// Every weight and bias, as the bits of its value in f64 (exact for f32 too).
fn bits<T: Float>(net: &Network<T>) -> Vec<u64> {
    let layers = net.layers().iter();
    layers.flat_map(|l| l.weights().as_slice().iter().chain(l.biases().iter()).map(|v| v.to_f64().to_bits())).collect()
}

fn all_finite<T: Float>(net: &Network<T>) -> bool {
    net.layers().iter().all(|l| l.weights().as_slice().iter().chain(l.biases().iter()).all(|v| v.is_finite()))
}

#[test]
fn a_huge_learning_rate_is_refused_and_the_network_stays_finite_and_saveable() {
    // A 2-8-1 ReLU/identity f32 network trained with α = 10⁶, 50 times: each step
    // overshoots further, until the next one would overflow.
    let mut net =
        Network::<f32>::builder(2).layer(8, Activation::Relu).layer(1, Activation::Identity).seed(1).build().unwrap();
    let x = Matrix::from_rows(&[[0.5f32, -1.0], [1.0, 2.0], [-1.5, 0.25], [2.0, 1.0]]).unwrap();
    let y = Matrix::from_rows(&[[1.0f32], [-1.0], [0.5], [2.0]]).unwrap();
    let mut refused = 0;
    for call in 0..50 {
        let before = bits(&net);
        match net.train_batch(&x, &y, 1e6) {
            Ok(()) => assert_ne!(bits(&net), before, "call {call}: an applied step moves the weights"),
            Err(Error::NonFiniteUpdate { .. }) => {
                refused += 1;
                assert_eq!(bits(&net), before, "call {call}: a refused step changes nothing");
            }
            Err(e) => panic!("call {call}: {e}"),
        }
        assert!(all_finite(&net), "call {call}");
    }
    assert!(refused > 0, "α = 10⁶ must have overflowed at some point");

    let path = std::env::temp_dir().join(format!("backprop-finite-{}.safetensors", std::process::id()));
    net.save(&path).unwrap();
    let loaded = Network::<f32>::load(&path);
    std::fs::remove_file(&path).unwrap();
    assert_eq!(bits(&loaded.unwrap()), bits(&net));
}

#[test]
fn the_refusal_names_the_value_and_its_place() {
    // y = −x at x = 10¹⁵ with α = 10¹⁰: the weight would move by about 10⁴⁰.
    let mut net = Network::<f32>::builder(1).layer(1, Activation::Identity).seed(3).build().unwrap();
    net.forward(&[1e15]).unwrap();
    net.backward(&[-1e15]).unwrap();
    let e = net.step(1e10).unwrap_err();
    assert!(matches!(e, Error::NonFiniteUpdate { what: "weights", layer: 0, index: 0, .. }), "{e}");
    assert!(e.to_string().starts_with("update not applied: it would make layer 0 weights hold -inf at index 0"), "{e}");
}

/// A gradient of 10³⁸ or more for the weight of a 1-1 identity network in f32 whose
/// weight w is above −2: y = −3x at x = 10¹⁹, so ∂C/∂w = (w + 3)·10³⁸.
fn huge_gradient(net: &mut Network<f32>) {
    net.forward(&[1e19]).unwrap();
    net.backward(&[-3e19]).unwrap();
}

/// An ordinary step, from a sample that depends on `k`.
fn ordinary_step(net: &mut Network<f32>, optimizer: &mut impl Optimizer<f32>, k: usize) {
    net.forward(&[0.25 * k as f32]).unwrap();
    net.backward(&[1.0]).unwrap();
    net.step_with(optimizer).unwrap();
}

/// Two ordinary steps, then one that `optimizer` makes overflow: the refused step leaves
/// the network and the optimiser as they were, and the next step is the one that would
/// have come without it, bit for bit.
fn check_refusal<O: Optimizer<f32> + Clone + PartialEq + Debug>(name: &str, mut optimizer: O) {
    let mut net = Network::<f32>::builder(1).layer(1, Activation::Identity).seed(5).build().unwrap();
    for k in 0..2 {
        ordinary_step(&mut net, &mut optimizer, k);
    }
    let (net_before, optimizer_before) = (net.clone(), optimizer.clone());
    huge_gradient(&mut net);
    let e = net.step_with(&mut optimizer).unwrap_err();
    assert!(matches!(e, Error::NonFiniteUpdate { .. } | Error::NonFinite { what: "gradient norm", .. }), "{name}: {e}");
    assert_eq!(bits(&net), bits(&net_before), "{name}: the network changed");
    assert_eq!(optimizer, optimizer_before, "{name}: the optimiser changed");
    assert_eq!(optimizer.state(), optimizer_before.state(), "{name}: its state changed");
    assert!(net.gradients().is_err(), "{name}: the gradient is cleared");

    let (mut other_net, mut other_optimizer) = (net_before, optimizer_before);
    ordinary_step(&mut net, &mut optimizer, 2);
    ordinary_step(&mut other_net, &mut other_optimizer, 2);
    assert_eq!(bits(&net), bits(&other_net), "{name}: training goes on as if the step had not been tried");
    assert_eq!(optimizer, other_optimizer, "{name}");
}

/// Gradient descent with a step count of its own, kept by the two-phase protocol.
#[derive(Clone, Debug, PartialEq)]
struct CountingSgd {
    learning_rate: f32,
    steps: u64,
    pending: u64,
}

impl Optimizer<f32> for CountingSgd {
    fn step(&mut self, params: &mut Params<'_, f32>) -> Result<()> {
        params.for_each(|p| {
            for (theta, g) in p.value.iter_mut().zip(p.grad) {
                *theta -= self.learning_rate * g;
            }
        });
        self.pending = self.steps + 1;
        Ok(())
    }
    fn commit_step(&mut self) {
        self.steps = self.pending;
    }
    fn discard_step(&mut self) {
        self.pending = self.steps;
    }
}

#[test]
fn every_optimiser_leaves_everything_as_it_was_when_a_step_is_refused() {
    check_refusal("sgd", Sgd::new(10.0).unwrap());
    check_refusal("sgd + decay", Sgd::new(10.0).unwrap().weight_decay(0.5).unwrap());
    check_refusal("momentum", Momentum::new(10.0).unwrap());
    check_refusal("nesterov", Momentum::new(10.0).unwrap().kind(MomentumKind::Nesterov));
    check_refusal("rmsprop", RmsProp::new(0.01).unwrap());
    check_refusal("adam", Adam::new(0.01).unwrap());
    check_refusal("adamw", AdamW::new(0.01).unwrap());
    check_refusal("clipped sgd", Clipped::new(Sgd::new(10.0).unwrap(), 1e3).unwrap());
    check_refusal("clipped adam", Clipped::new(Adam::new(0.01).unwrap(), 1e-3).unwrap());
    check_refusal("a custom optimiser", CountingSgd { learning_rate: 10.0, steps: 0, pending: 0 });
}

#[test]
fn a_refused_first_step_leaves_no_state_behind() {
    fn check<O: Optimizer<f32> + Clone + PartialEq + Debug>(name: &str, mut optimizer: O) {
        let fresh = optimizer.clone();
        let mut net = Network::<f32>::builder(1).layer(1, Activation::Identity).seed(5).build().unwrap();
        let mut reference = net.clone();
        huge_gradient(&mut net);
        assert!(net.step_with(&mut optimizer).is_err(), "{name}");
        assert_eq!(optimizer, fresh, "{name}");
        assert_eq!(optimizer.state(), Default::default(), "{name}");
        let mut reference_optimizer = fresh;
        ordinary_step(&mut net, &mut optimizer, 1);
        ordinary_step(&mut reference, &mut reference_optimizer, 1);
        assert_eq!(bits(&net), bits(&reference), "{name}");
        assert_eq!(optimizer, reference_optimizer, "{name}");
    }
    check("momentum", Momentum::new(10.0).unwrap());
    check("nesterov", Momentum::new(10.0).unwrap().kind(MomentumKind::Nesterov));
    check("rmsprop", RmsProp::new(0.01).unwrap());
    check("adam", Adam::new(0.01).unwrap());
    check("adamw", AdamW::new(0.01).unwrap());
    check("clipped adamw", Clipped::new(AdamW::new(0.01).unwrap(), 1e30).unwrap());
}

#[test]
fn a_custom_optimiser_that_writes_nan_is_refused() {
    struct Nan;
    impl Optimizer<f64> for Nan {
        fn step(&mut self, params: &mut Params<'_, f64>) -> Result<()> {
            params.for_each(|p| {
                if p.id == 3 {
                    p.value[1] = f64::NAN;
                }
            });
            Ok(())
        }
    }
    let mut net = Network::<f64>::builder(2).layer(3, Activation::Tanh).layer(2, Activation::Sigmoid).build().unwrap();
    let before = bits(&net);
    net.forward(&[0.5, -0.5]).unwrap();
    net.backward(&[1.0, 0.0]).unwrap();
    let e = net.step_with(&mut Nan).unwrap_err();
    assert!(matches!(e, Error::NonFiniteUpdate { what: "biases", layer: 1, index: 1, .. }), "{e}");
    assert_eq!(bits(&net), before);
}

#[test]
fn a_second_moment_that_overflows_is_refused_though_the_weights_would_stay_finite() {
    // y = −x at x = 10¹¹ and w ≈ −0.73: g ≈ 2.7·10²¹ for the weight, (1 − β)·g² overflows
    // f32, and the step α·m̂/(√v̂ + ε) would be 0: only the optimiser's state would have
    // gone infinite.
    for (name, mut optimizer) in [
        ("adam", Box::new(Adam::new(0.01f32).unwrap()) as Box<dyn Optimizer<f32>>),
        ("rmsprop", Box::new(RmsProp::new(0.01f32).unwrap())),
    ] {
        let mut net = Network::<f32>::builder(1).layer(1, Activation::Identity).seed(5).build().unwrap();
        let before = bits(&net);
        net.forward(&[1e11]).unwrap();
        net.backward(&[-1e11]).unwrap();
        let e = net.step_with(&mut optimizer).unwrap_err();
        let expected = "update not applied: it would make layer 0 optimiser state hold inf at index 0";
        assert!(e.to_string().starts_with(expected), "{name}: {e}");
        assert_eq!(bits(&net), before, "{name}");
        assert_eq!(optimizer.state(), Default::default(), "{name}: still no state before a first step");
    }
}

#[test]
fn a_refused_plain_step_keeps_the_gradient_for_a_smaller_rate() {
    let mut net = Network::<f32>::builder(1).layer(1, Activation::Identity).seed(5).build().unwrap();
    let mut reference = net.clone();
    huge_gradient(&mut net);
    huge_gradient(&mut reference);
    let before = bits(&net);
    assert!(matches!(net.step(10.0), Err(Error::NonFiniteUpdate { .. })));
    assert_eq!(bits(&net), before);
    net.step(1e-38).unwrap();
    reference.step(1e-38).unwrap();
    assert_eq!(bits(&net), bits(&reference));
    assert_ne!(bits(&net), before);
}

#[test]
fn a_refused_fused_step_changes_nothing_and_leaves_nothing_accumulated() {
    let x = Matrix::from_rows(&[[1e19f32]]).unwrap();
    let y = Matrix::from_rows(&[[-3e19f32]]).unwrap();
    let (small_x, small_y) = (Matrix::from_rows(&[[0.5f32]]).unwrap(), Matrix::from_rows(&[[1.0f32]]).unwrap());
    let mut net = Network::<f32>::builder(1).layer(1, Activation::Identity).seed(5).build().unwrap();
    let mut reference = net.clone();
    net.train_batch(&small_x, &small_y, 0.5).unwrap();
    reference.train_batch(&small_x, &small_y, 0.5).unwrap();
    let before = bits(&net);
    assert!(matches!(net.train_batch(&x, &y, 10.0), Err(Error::NonFiniteUpdate { .. })));
    assert_eq!(bits(&net), before);
    assert!(net.gradients().is_err(), "nothing accumulated");
    // With a gradient accumulated before, the step goes through `step`: refused too, and
    // the accumulated gradient goes with the batch.
    net.forward(&[0.5]).unwrap();
    net.backward(&[1.0]).unwrap();
    assert!(matches!(net.train_batch(&x, &y, 10.0), Err(Error::NonFiniteUpdate { .. })));
    assert_eq!(bits(&net), before);
    assert!(net.gradients().is_err(), "nothing accumulated");
    net.train_batch(&small_x, &small_y, 0.5).unwrap();
    reference.train_batch(&small_x, &small_y, 0.5).unwrap();
    assert_eq!(bits(&net), bits(&reference));
}

#[test]
fn threads_see_the_same_refusals_and_the_same_weights() {
    // Large enough batches to split over threads; α grows until a step is refused.
    let x = Matrix::from_fn(256, 64, |i, j| ((i * 7 + j * 3) % 13) as f64 / 13.0 - 0.5);
    let y = Matrix::from_fn(256, 8, |i, j| ((i + j) % 8 == 0) as u8 as f64);
    let run = |threads| {
        let mut net = Network::<f64>::builder(64)
            .layer(256, Activation::Relu)
            .layer(8, Activation::Identity)
            .threads(threads)
            .seed(9)
            .build()
            .unwrap();
        let outcomes: Vec<&str> = (0..30)
            .map(|k| match net.train_batch(&x, &y, 10f64.powi(k * 10)) {
                Ok(()) => "applied",
                Err(Error::NonFiniteUpdate { .. }) => "refused",
                Err(e) => panic!("{e}"),
            })
            .collect();
        (outcomes, bits(&net))
    };
    let one = run(1);
    assert!(one.0.contains(&"refused") && one.0.contains(&"applied"), "{:?}", one.0);
    assert_eq!(run(2), one);
}
