//! Learns XOR with the classic algorithm: one sample at a time, forward, backward (BP1..BP4)
//! and a gradient-descent step of α = 0.5, from a fixed seed.
//!
//! ```text
//! cargo run --release --example xor
//! ```

use backprop::{Activation, Cost, Network};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let samples = [([0.0, 0.0], [0.0]), ([0.0, 1.0], [1.0]), ([1.0, 0.0], [1.0]), ([1.0, 1.0], [0.0])];
    let mut net = Network::<f64>::builder(2)
        .layer(3, Activation::Sigmoid)
        .layer(1, Activation::Sigmoid)
        .cost(Cost::Quadratic)
        .seed(2024)
        .build()?;
    println!("network: {net}");

    let learning_rate = 0.5;
    let epochs = 4000;
    for epoch in 0..=epochs {
        if epoch % 500 == 0 {
            let cost: f64 = samples.iter().map(|(x, y)| net.sample_cost(x, y)).sum::<Result<f64, _>>()? / 4.0;
            println!("epoch {epoch:>5}  cost {cost:.6}");
        }
        if epoch == epochs {
            break;
        }
        for (x, y) in &samples {
            net.forward(x)?;
            net.backward(y)?;
            net.step(learning_rate)?;
        }
    }

    println!("\n x1  x2 | target | output");
    let mut all_right = true;
    for (x, y) in &samples {
        let a = net.predict(x)?[0];
        let right = (a > 0.5) == (y[0] > 0.5);
        all_right &= right;
        println!(" {:>2}  {:>2} | {:>6} | {a:.4}{}", x[0], x[1], y[0], if right { "" } else { "  wrong" });
    }
    if !all_right {
        return Err("the network did not learn XOR".into());
    }
    Ok(())
}
