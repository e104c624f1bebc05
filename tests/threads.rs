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
