//! One network shared by several threads: `predict` takes `&self`, so concurrent
//! inference needs no lock and gives the same bits as on one thread.

use backprop::{Activation, Network};

const _: () = {
    const fn send_and_sync<T: Send + Sync>() {}
    send_and_sync::<Network<f32>>();
    send_and_sync::<Network<f64>>();
};

#[test]
fn threads_share_one_network_and_predict_what_one_thread_predicts() {
    let net = Network::<f32>::builder(6)
        .layer(16, Activation::Sigmoid)
        .layer(8, Activation::Sigmoid)
        .layer(3, Activation::Sigmoid)
        .seed(42)
        .build()
        .unwrap();
    // Thread t gets its own inputs.
    let inputs: Vec<Vec<Vec<f32>>> = (0..4)
        .map(|t| {
            (0..50).map(|s| (0..6).map(|i| ((t * 31 + s * 7 + i * 3) % 17) as f32 / 4.0 - 2.0).collect()).collect()
        })
        .collect();
    let bits = |y: &[f32]| y.iter().map(|v| v.to_bits()).collect::<Vec<u32>>();
    let expected: Vec<Vec<Vec<u32>>> =
        inputs.iter().map(|xs| xs.iter().map(|x| bits(&net.predict(x).unwrap())).collect()).collect();

    let (net, start) = (&net, &std::sync::Barrier::new(inputs.len()));
    let found: Vec<Vec<Vec<u32>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = inputs
            .iter()
            .map(|xs| {
                scope.spawn(move || {
                    start.wait(); // all threads predict at the same time
                    xs.iter().map(|x| bits(&net.predict(x).unwrap())).collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(found, expected);
}

/// Training on several threads (a batch's rows split over them, and the large products
/// split over neurons) gives the same bits as on one thread: weights, biases, and the
/// caches z, a and δ, for batches that split evenly, unevenly, and not at all.
#[test]
fn training_on_threads_gives_the_bits_of_one_thread() {
    use backprop::{Cost, Matrix};
    let build = |threads| {
        Network::<f32>::builder(256)
            .layer(200, Activation::Sigmoid)
            .layer(30, Activation::Tanh)
            .layer(10, Activation::Softmax)
            .cost(Cost::CategoricalCrossEntropy)
            .threads(threads)
            .seed(9)
            .build()
            .unwrap()
    };
    let batch = |rows: usize, seed: usize| {
        let x = Matrix::from_fn(rows, 256, |r, c| ((r * 13 + c * 7 + seed) % 23) as f32 / 11.0 - 1.0);
        let y = Matrix::from_fn(rows, 10, |r, c| f32::from((r + seed) % 10 == c));
        (x, y)
    };
    let state = |net: &Network<f32>| -> Vec<u32> {
        let layers = net.layers().iter();
        layers
            .flat_map(|l| {
                let parts = [l.weights().as_slice(), l.biases().as_slice(), l.z().as_slice()];
                let caches = [l.a().as_slice(), l.delta().as_slice()];
                parts.into_iter().chain(caches).flatten().map(|v| v.to_bits()).collect::<Vec<_>>()
            })
            .collect()
    };
    let run = |threads| {
        let mut net = build(threads);
        let mut states = Vec::new();
        for (step, rows) in [128, 50, 3, 97, 1, 200].into_iter().enumerate() {
            let (x, y) = batch(rows, step);
            net.train_batch(&x, &y, 0.1).unwrap();
            states.push(state(&net));
            net.forward_batch(&x).unwrap();
            net.backward_batch(&y).unwrap();
            net.step(0.05).unwrap();
            states.push(state(&net));
            states.push(net.predict_batch(&x).unwrap().as_slice().iter().map(|v| v.to_bits()).collect());
        }
        states
    };
    let one = run(1);
    for threads in 2..=4 {
        assert!(run(threads) == one, "{threads} threads differ from one");
    }
}
