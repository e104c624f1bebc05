//! Checkpoints: training resumed from one gives the weights of training that never
//! stopped, bit for bit; a checkpoint loads as a plain network; state of another network
//! is rejected; hostile input never panics.

use std::path::PathBuf;

use backprop::{
    Activation, Adam, AdamW, Batcher, Clipped, Dataset, Error, Matrix, Momentum, MomentumKind, Network, Optimizer,
    OptimizerState, Params, RmsProp, Rng, Sgd, TrainingPosition,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

/// A file under the system's temporary folder, removed on drop.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str) -> Self {
        TempFile(std::env::temp_dir().join(format!("backprop-checkpoint-{name}-{}.safetensors", std::process::id())))
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// 13 samples of 3 inputs and 2 targets in (0, 1): with batches of 4, an epoch is 4
/// batches, the last one short.
fn data() -> Dataset<f64> {
    let inputs = Matrix::from_fn(13, 3, |i, j| ((i * 7 + j * 3) % 11) as f64 / 5.0 - 1.0);
    let targets = Matrix::from_fn(13, 2, |i, j| if (i + j) % 3 == 0 { 0.9 } else { 0.1 });
    Dataset::new(inputs, targets).unwrap()
}

fn network() -> Network<f64> {
    Network::builder(3).layer(5, Activation::Tanh).layer(2, Activation::Sigmoid).seed(11).build().unwrap()
}

const BATCH_SIZE: usize = 4;

/// A hand-written loop: a fresh shuffle at the start of every epoch, one step per batch,
/// until `position.step == until`.
fn train(
    net: &mut Network<f64>,
    optimizer: &mut dyn Optimizer<f64>,
    rng: &mut Rng,
    batcher: &mut Batcher<'_, f64>,
    position: &mut TrainingPosition,
    until: u64,
) {
    let per_epoch = batcher.batches_per_epoch() as u64;
    while position.step < until {
        if position.batch == 0 {
            batcher.shuffle(rng);
        }
        let batch = batcher.next_batch().expect("the epoch has batches left");
        net.forward_batch(batch.inputs).unwrap();
        net.backward_batch(batch.targets).unwrap();
        net.step_with(optimizer).unwrap();
        position.step += 1;
        position.batch += 1;
        if position.batch == per_epoch {
            position.epoch += 1;
            position.batch = 0;
        }
    }
}

fn bits(net: &Network<f64>) -> Vec<u64> {
    net.layers()
        .iter()
        .flat_map(|l| l.weights().as_slice().iter().chain(l.biases().as_slice()).map(|x| x.to_bits()))
        .collect()
}

/// Trains `total` steps without stopping, and again stopping after `stop` steps to save a
/// checkpoint, then resuming from the file with a fresh optimiser from `make`; the
/// weights must be equal bit for bit, and so must the optimiser states.
fn check_resume<O: Optimizer<f64> + PartialEq + std::fmt::Debug>(name: &str, make: impl Fn() -> O, stop: u64) {
    let data = data();
    let total = 11;

    let mut net = network();
    let mut optimizer = make();
    let mut rng = Rng::new(5);
    let mut batcher = Batcher::new(&data, BATCH_SIZE).unwrap();
    let mut position = TrainingPosition::default();
    train(&mut net, &mut optimizer, &mut rng, &mut batcher, &mut position, total);

    let file = TempFile::new(name);
    {
        let mut net = network();
        let mut optimizer = make();
        let mut rng = Rng::new(5);
        let mut batcher = Batcher::new(&data, BATCH_SIZE).unwrap();
        let mut position = TrainingPosition::default();
        train(&mut net, &mut optimizer, &mut rng, &mut batcher, &mut position, stop);
        position.rng = Some(rng);
        position.order = Some(batcher.order().to_vec());
        net.save_checkpoint(&file.0, &optimizer, &position).unwrap();
    }

    let checkpoint = Network::<f64>::load_checkpoint(&file.0).unwrap();
    let mut resumed_net = checkpoint.network;
    let mut resumed = make();
    resumed.set_state(checkpoint.optimizer_state).unwrap();
    let mut position = checkpoint.position;
    assert_eq!(position.step, stop);
    let mut rng = Rng::from_state(position.rng.take().unwrap().state()).unwrap();
    let mut batcher = Batcher::with_order(&data, BATCH_SIZE, position.order.take().unwrap()).unwrap();
    for _ in 0..position.batch {
        batcher.next_batch().unwrap();
    }
    train(&mut resumed_net, &mut resumed, &mut rng, &mut batcher, &mut position, total);

    assert_eq!(bits(&resumed_net), bits(&net), "{name}: weights after resuming at step {stop}");
    assert_eq!(resumed, optimizer, "{name}: optimiser after resuming at step {stop}");
    assert_eq!(position.epoch, 2);
}

#[test]
fn resumed_training_equals_uninterrupted_training_bit_for_bit() {
    // Mid-epoch (step 6 is batch 2 of epoch 1), at an epoch boundary (8), and before the
    // first step (0, an optimiser with no buffers yet).
    for stop in [6, 8, 0] {
        check_resume("adam", || Adam::new(0.01).unwrap(), stop);
        check_resume("momentum", || Momentum::new(0.1).unwrap().kind(MomentumKind::Nesterov), stop);
    }
    check_resume("adamw", || AdamW::new(0.01).unwrap(), 5);
    check_resume("rmsprop", || RmsProp::new(0.01).unwrap(), 5);
    check_resume("clipped", || Clipped::new(Adam::new(0.05).unwrap(), 0.5).unwrap(), 5);
    check_resume("sgd", || Sgd::new(0.5).unwrap(), 5);
}

fn trained() -> (Network<f64>, Adam<f64>) {
    let data = data();
    let mut net = network();
    let mut adam = Adam::new(0.01).unwrap();
    let mut batcher = Batcher::new(&data, BATCH_SIZE).unwrap();
    train(&mut net, &mut adam, &mut Rng::new(1), &mut batcher, &mut TrainingPosition::default(), 3);
    (net, adam)
}

fn position() -> TrainingPosition {
    TrainingPosition { epoch: 0, batch: 3, step: 3, rng: Some(Rng::new(9)), order: Some(vec![4, 0, 12, 3]) }
}

fn checkpoint_bytes() -> Vec<u8> {
    let (net, adam) = trained();
    let mut bytes = Vec::new();
    net.checkpoint_to_writer(&mut bytes, &adam, &position()).unwrap();
    bytes
}

#[test]
fn a_checkpoint_round_trips_through_a_writer_and_loads_as_a_network() {
    let (net, adam) = trained();
    let bytes = checkpoint_bytes();
    let checkpoint = Network::<f64>::checkpoint_from_reader(bytes.as_slice()).unwrap();
    assert_eq!(bits(&checkpoint.network), bits(&net));
    assert_eq!(checkpoint.optimizer_state, adam.state());
    assert_eq!(checkpoint.optimizer_state.step, 3);
    let names: Vec<&str> = checkpoint.optimizer_state.buffers.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names[..2], ["first_moment.0", "first_moment.1"]);
    assert_eq!(names.len(), 8);
    assert_eq!(checkpoint.position, position());

    // A plain network loader reads the network and skips the optimiser tensors.
    let plain = Network::<f64>::from_reader(bytes.as_slice()).unwrap();
    assert_eq!(bits(&plain), bits(&net));
    // A plain network is not a checkpoint; the other element type is refused.
    let mut saved = Vec::new();
    net.to_writer(&mut saved).unwrap();
    let e = Network::<f64>::checkpoint_from_reader(saved.as_slice()).unwrap_err().to_string();
    assert!(e.contains("not a checkpoint"), "{e}");
    assert!(matches!(Network::<f32>::checkpoint_from_reader(bytes.as_slice()), Err(Error::Incompatible { .. })));

    // No generator and no order: the keys are left out, and read back as `None`.
    let mut bytes = Vec::new();
    net.checkpoint_to_writer(&mut bytes, &Sgd::new(0.1).unwrap(), &TrainingPosition::default()).unwrap();
    let checkpoint = Network::<f64>::checkpoint_from_reader(bytes.as_slice()).unwrap();
    assert_eq!(checkpoint.position, TrainingPosition::default());
    assert_eq!(checkpoint.optimizer_state, OptimizerState::default());

    // f32 keeps its bits too.
    let net32: Network<f32> =
        Network::builder(2).layer(3, Activation::Relu).layer(1, Activation::Identity).build().unwrap();
    let mut adam32 = Adam::new(0.01f32).unwrap();
    let mut net32_trained = net32.clone();
    net32_trained.forward(&[0.5, -0.25]).unwrap();
    net32_trained.backward(&[1.0]).unwrap();
    net32_trained.step_with(&mut adam32).unwrap();
    let mut bytes = Vec::new();
    net32_trained.checkpoint_to_writer(&mut bytes, &adam32, &TrainingPosition::default()).unwrap();
    let back = Network::<f32>::checkpoint_from_reader(bytes.as_slice()).unwrap();
    let mut resumed = Adam::new(0.01f32).unwrap();
    resumed.set_state(back.optimizer_state).unwrap();
    assert_eq!(resumed, adam32);
}

#[test]
fn state_of_another_network_is_rejected_with_a_clear_error() {
    let (_, adam) = trained();
    // Restored into an optimiser that then steps a network of another shape.
    let mut other: Network<f64> =
        Network::builder(3).layer(4, Activation::Tanh).layer(2, Activation::Sigmoid).build().unwrap();
    let mut resumed = Adam::new(0.01).unwrap();
    resumed.set_state(adam.state()).unwrap();
    other.forward(&[0.1, 0.2, 0.3]).unwrap();
    other.backward(&[0.0, 1.0]).unwrap();
    let before = bits(&other);
    let e = other.step_with(&mut resumed).unwrap_err();
    assert!(matches!(e, Error::Incompatible { .. }));
    let e = e.to_string();
    assert!(e.contains("first_moment is sized for tensors of [15, 5, 10, 2] values"), "{e}");
    assert!(e.contains("[12, 4, 8, 2]"), "{e}");
    assert_eq!(bits(&other), before, "nothing changed");

    // Saved with a network it does not fit: refused before anything is written.
    let file = TempFile::new("mismatch");
    let e = other.save_checkpoint(&file.0, &adam, &TrainingPosition::default()).unwrap_err();
    assert!(matches!(e, Error::Incompatible { .. }));
    assert_eq!(
        e.to_string(),
        "optimiser buffer \"first_moment.0\" has 15 values but the network's parameter \
         tensor 0 has 12; the state is of another network"
    );
    assert!(!file.0.exists());

    // A custom optimiser with a buffer for a tensor the network does not have.
    struct Odd;
    impl Optimizer<f64> for Odd {
        fn step(&mut self, _: &mut Params<'_, f64>) -> backprop::Result<()> {
            Ok(())
        }
        fn state(&self) -> OptimizerState<f64> {
            OptimizerState { step: 1, buffers: vec![("velocity.9".into(), vec![0.0])] }
        }
    }
    let e = other.save_checkpoint(&file.0, &Odd, &TrainingPosition::default()).unwrap_err().to_string();
    assert!(e.contains("belongs to parameter tensor 9, but the network has 4 tensors"), "{e}");
}

#[test]
fn a_file_whose_optimiser_state_does_not_fit_its_network_is_rejected() {
    // Swapping the names of the first moments of tensor 0 (15 values) and tensor 2
    // (layer 1's 10 weights), in the metadata and the tensor names alike, keeps the file
    // well formed and the header the same length (the list then names tensor 2 first).
    let bytes = checkpoint_bytes();
    let header_len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header = std::str::from_utf8(&bytes[8..8 + header_len]).unwrap();
    assert_eq!(header.matches("first_moment.0").count(), 2);
    let swapped = header
        .replace("first_moment.0", "first_moment.x")
        .replace("first_moment.2", "first_moment.0")
        .replace("first_moment.x", "first_moment.2");
    let mut bytes = bytes.clone();
    bytes[8..8 + header_len].copy_from_slice(swapped.as_bytes());
    let e = Network::<f64>::checkpoint_from_reader(bytes.as_slice()).unwrap_err();
    assert!(matches!(e, Error::Format { .. }));
    assert_eq!(
        e.to_string(),
        "malformed data: optimiser buffer \"first_moment.2\" has 15 values but the network's parameter tensor 2 \
         has 10; the state is of another network"
    );
}

#[test]
fn the_all_zero_generator_state_is_rejected() {
    assert!(matches!(Rng::from_state([0; 4]), Err(Error::Incompatible { .. })));
    let mut rng = Rng::new(3);
    rng.next_u64();
    assert_eq!(Rng::from_state(rng.state()).unwrap(), rng);
}

/// Edits the header text of a safetensors file: replaces `delete` bytes at `at` with
/// `insert` and fixes the header length, so the edit reaches the metadata checks.
fn edit_header(bytes: &mut Vec<u8>, at: usize, delete: usize, insert: &str) {
    let header_len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let at = at % header_len;
    let end = (at + delete).min(header_len);
    bytes.splice(8 + at..8 + end, insert.bytes());
    let new_len = (header_len - (end - at) + insert.len()) as u64;
    bytes[..8].copy_from_slice(&new_len.to_le_bytes());
}

/// Replaces the `n`th occurrence (mod the count) of `from` in the header by `to`.
fn replace_in_header(bytes: &mut Vec<u8>, n: usize, from: &str, to: &str) {
    let header_len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header = String::from_utf8_lossy(&bytes[8..8 + header_len]).into_owned();
    let hits: Vec<usize> = header.match_indices(from).map(|(i, _)| i).collect();
    if let Some(&at) = hits.get(n % hits.len().max(1)) {
        edit_header(bytes, at, from.len(), to);
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    FlipBit { at: usize, bit: u8 },
    Truncate { at: usize },
    EditHeader { at: usize, delete: usize, insert: String },
    Replace { n: usize, from: &'static str, to: String },
}

fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "",
            "0",
            "00",
            "1",
            "2",
            "-1",
            ",",
            ",,",
            "18446744073709551616",
            "0,0,0,0",
            "1,2,3",
            "optimizer.",
            "first_moment.0",
            "first_moment.9",
            "velocity.0",
            "x",
            "\"",
            "F32",
            "[2,2]",
            "[]",
        ])
        .prop_map(str::to_string),
        string_of("0123456789abcdefghijklmnopqrstuvwxyz,._", 0..=10),
    ]
}

/// Strings of `len` characters drawn from `chars` (a regex-free strategy: the crate's
/// proptest builds without regex support).
fn string_of(chars: &'static str, len: std::ops::RangeInclusive<usize>) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(chars.chars().collect::<Vec<_>>()), len).prop_map(String::from_iter)
}

fn mutation() -> impl Strategy<Value = Mutation> {
    // Pieces of the header that the checkpoint reader parses.
    let targets = prop::sample::select(vec![
        "\"3\"",
        "\"8,",
        "first_moment.1",
        "second_moment.0",
        "optimizer.step",
        "optimizer.buffers",
        "position.",
        "4,0,12,3",
        ",",
        "[5]",
        "checkpoint_version",
        "F64",
    ]);
    prop_oneof![
        2 => (any::<usize>(), 0u8..8).prop_map(|(at, bit)| Mutation::FlipBit { at, bit }),
        1 => any::<usize>().prop_map(|at| Mutation::Truncate { at }),
        2 => (any::<usize>(), 0usize..6, token()).prop_map(|(at, delete, insert)| Mutation::EditHeader { at, delete, insert }),
        4 => (any::<usize>(), targets, token()).prop_map(|(n, from, to)| Mutation::Replace { n, from, to }),
    ]
}

impl Mutation {
    fn apply(&self, bytes: &mut Vec<u8>) {
        let n = bytes.len();
        let header_ok = n >= 8 && {
            let len = u64::from_le_bytes(bytes[..8].try_into().unwrap());
            len > 0 && len <= (n - 8) as u64
        };
        match self {
            Mutation::FlipBit { at, bit } if n > 0 => bytes[at % n] ^= 1 << bit,
            Mutation::Truncate { at } => bytes.truncate(at % (n + 1)),
            Mutation::EditHeader { at, delete, insert } if header_ok => edit_header(bytes, *at, *delete, insert),
            Mutation::Replace { n, from, to } if header_ok => replace_in_header(bytes, *n, from, to),
            _ => {}
        }
    }
}

/// The number of generated cases, unless `BACKPROP_FUZZ_CASES` says otherwise.
fn fuzz_cases() -> u32 {
    match std::env::var("BACKPROP_FUZZ_CASES") {
        Ok(s) => s.parse().unwrap_or_else(|_| panic!("BACKPROP_FUZZ_CASES must be a count, got {s:?}")),
        Err(_) => 1000,
    }
}

#[test]
fn mutated_checkpoints_are_read_or_rejected_without_panicking() {
    let valid = checkpoint_bytes();
    let config = Config { cases: fuzz_cases(), failure_persistence: None, ..Config::default() };
    let mut runner = TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]));
    let result = runner.run(&prop::collection::vec(mutation(), 1..4), |mutations| {
        let mut bytes = valid.clone();
        for m in &mutations {
            m.apply(&mut bytes);
        }
        if let Ok(c) = Network::<f64>::checkpoint_from_reader(bytes.as_slice()) {
            // Whatever loads is consistent: the state steps the network it came with.
            let mut net = c.network;
            let mut adam = Adam::new(0.01).unwrap();
            if adam.set_state(c.optimizer_state).is_ok() {
                let x = vec![0.5; net.n_inputs()];
                let y = vec![0.5; net.n_outputs()];
                net.forward(&x).unwrap();
                net.backward(&y).unwrap();
                prop_assert!(net.step_with(&mut adam).is_ok());
            }
        }
        let _ = Network::<f32>::checkpoint_from_reader(bytes.as_slice());
        let _ = Network::<f64>::from_reader(bytes.as_slice());
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
