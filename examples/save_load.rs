//! Trains a 2-3-1 network on XOR, saves it, loads it back and checks that the loaded
//! network predicts the same bits.
//!
//! `cargo run --example save_load -- xor.safetensors` keeps the file at that path;
//! without an argument it goes to the temporary folder and is removed at the end.

use backprop::{Activation, Cost, Network};

fn main() -> backprop::Result<()> {
    let samples = [([0.0, 0.0], [0.0]), ([0.0, 1.0], [1.0]), ([1.0, 0.0], [1.0]), ([1.0, 1.0], [0.0])];
    let mut net = Network::<f32>::builder(2)
        .layer(3, Activation::Sigmoid)
        .layer(1, Activation::Sigmoid)
        .cost(Cost::Quadratic)
        .seed(2024)
        .build()?;
    for _epoch in 0..4000 {
        for (x, y) in &samples {
            net.forward(x)?;
            net.backward(y)?;
            net.step(0.5)?;
        }
    }

    let keep = std::env::args_os().nth(1).map(std::path::PathBuf::from);
    let path =
        keep.clone().unwrap_or_else(|| std::env::temp_dir().join(format!("xor-{}.safetensors", std::process::id())));
    net.save(&path)?;
    let loaded = Network::<f32>::load(&path)?;
    println!("saved and loaded {loaded} at {}", path.display());
    for (x, _) in &samples {
        let (a, b) = (net.predict(x)?[0], loaded.predict(x)?[0]);
        assert_eq!(a.to_bits(), b.to_bits());
        println!("{} xor {} = {b:.3}", x[0], x[1]);
    }
    if keep.is_none() {
        std::fs::remove_file(&path)?;
    }
    Ok(())
}
