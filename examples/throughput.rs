//! Training throughput: samples per second for a 784-H-10 sigmoid network with the
//! quadratic cost and plain SGD (α = 3.0, the mean gradient of each mini-batch), in f32,
//! on synthetic MNIST-shaped data (784 inputs in [0, 1], one-hot targets of 10 classes).
//!
//! ```text
//! cargo run --release --example throughput -- --hidden 100 --batch 32 --threads 1
//! ```
//!
//! Options: `--hidden H` (100), `--batch B` (32), `--threads N` (1), `--samples S` (8000),
//! `--epochs E` timed epochs after one warm-up epoch (3), `--subnormals flush|keep`
//! (flush, see `Subnormals`). An epoch is a fresh seeded
//! shuffle and every mini-batch of it. The last line of stdout is
//! `samples_per_sec=<samples / median epoch time>`, for scripts that compare runs.

use std::time::Instant;

use backprop::{Activation, Batcher, Cost, Dataset, Matrix, Network, Rng, Subnormals};

struct Options {
    hidden: usize,
    batch: usize,
    threads: usize,
    samples: usize,
    epochs: usize,
    subnormals: Subnormals,
}

fn parse_args() -> Result<Options, String> {
    let mut o = Options { hidden: 100, batch: 32, threads: 1, samples: 8000, epochs: 3, subnormals: Subnormals::Flush };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        if flag == "--subnormals" {
            o.subnormals = match value.as_str() {
                "flush" => Subnormals::Flush,
                "keep" => Subnormals::Keep,
                _ => return Err(format!("--subnormals: '{value}' is neither flush nor keep")),
            };
            continue;
        }
        let n: usize = value.parse().map_err(|_| format!("{flag}: '{value}' is not a whole number"))?;
        match flag.as_str() {
            "--hidden" => o.hidden = n,
            "--batch" => o.batch = n,
            "--threads" => o.threads = n,
            "--samples" => o.samples = n,
            "--epochs" => o.epochs = n.max(1),
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    Ok(o)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let o = parse_args()?;
    let mut rng = Rng::new(42);
    let inputs = Matrix::from_fn(o.samples, 784, |_, _| rng.uniform() as f32);
    let labels: Vec<usize> = (0..o.samples).map(|_| rng.below(10)).collect();
    let targets = backprop::one_hot(&labels, 10)?;
    let data = Dataset::new(inputs, targets)?;

    let mut net = Network::<f32>::builder(784)
        .layer(o.hidden, Activation::Sigmoid)
        .layer(10, Activation::Sigmoid)
        .cost(Cost::Quadratic)
        .threads(o.threads)
        .subnormals(o.subnormals)
        .seed(1)
        .build()?;
    println!("network: {net}");
    println!(
        "kernel: {}, batch {}, threads {}, {} samples, subnormals {:?}",
        backprop::kernel_name(),
        o.batch,
        o.threads,
        o.samples,
        o.subnormals
    );

    let mut batcher = Batcher::new(&data, o.batch)?;
    batcher.set_threads(o.threads)?;
    let mut seconds = Vec::with_capacity(o.epochs);
    for epoch in 0..=o.epochs {
        let start = Instant::now();
        batcher.shuffle(&mut rng);
        while let Some(batch) = batcher.next_batch() {
            net.train_batch(batch.inputs, batch.targets, 3.0)?;
        }
        let t = start.elapsed().as_secs_f64();
        if epoch == 0 {
            println!("warm-up epoch: {t:.3} s");
        } else {
            println!("epoch {epoch}: {t:.3} s, {:.0} samples/s", o.samples as f64 / t);
            seconds.push(t);
        }
    }
    seconds.sort_by(f64::total_cmp);
    let median = seconds[seconds.len() / 2];
    println!("samples_per_sec={:.1}", o.samples as f64 / median);
    Ok(())
}
