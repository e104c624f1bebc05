//! Training throughput: samples per second for a 784-H-10 sigmoid network with the
//! quadratic cost and plain SGD (α = 3.0, the mean gradient of each mini-batch), in f32,
//! on synthetic MNIST-shaped data (784 inputs in [0, 1], one-hot targets of 10 classes),
//! trained by `Trainer::fit` as a user would (or, with `--path raw`, by a loop of
//! `Network::train_batch`, without fit's per-batch cost, divergence checks and records).
//!
//! ```text
//! cargo run --release --example throughput -- --hidden 100 --batch 32 --threads 1
//! ```
//!
//! Options: `--hidden H` (100), `--batch B` (32), `--threads N` (1), `--samples S` (8000),
//! `--epochs E` timed epochs after one warm-up epoch (3), `--subnormals flush|keep`
//! (flush, see `Subnormals`), `--path fit|raw` (fit). An epoch is a fresh seeded
//! shuffle and every mini-batch of it. The last line of stdout is
//! `samples_per_sec=<samples / median epoch time>`, for scripts that compare runs.

use std::time::Instant;

use backprop::{Activation, Batcher, Cost, Dataset, Matrix, Network, Rng, Sgd, Subnormals, Trainer};

struct Options {
    hidden: usize,
    batch: usize,
    threads: usize,
    samples: usize,
    epochs: usize,
    subnormals: Subnormals,
    path: Path,
}

/// How the network is trained.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Path {
    /// `Trainer::fit`, one epoch per timed epoch.
    Fit,
    /// A loop of `Network::train_batch` over a `Batcher`.
    Raw,
}

fn parse_args() -> Result<Options, String> {
    let mut o = Options {
        hidden: 100,
        batch: 32,
        threads: 1,
        samples: 8000,
        epochs: 3,
        subnormals: Subnormals::Flush,
        path: Path::Fit,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--subnormals" => {
                o.subnormals = choice(&flag, &value, [("flush", Subnormals::Flush), ("keep", Subnormals::Keep)])?
            }
            "--path" => o.path = choice(&flag, &value, [("fit", Path::Fit), ("raw", Path::Raw)])?,
            _ => {
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
        }
    }
    Ok(o)
}

/// The value of `flag` among its named `options`.
fn choice<T: Copy, const N: usize>(flag: &str, value: &str, options: [(&str, T); N]) -> Result<T, String> {
    match options.iter().find(|(name, _)| *name == value) {
        Some(&(_, v)) => Ok(v),
        None => {
            let names: Vec<&str> = options.iter().map(|(name, _)| *name).collect();
            Err(format!("{flag}: '{value}' is none of {}", names.join(", ")))
        }
    }
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
        "kernel: {}, batch {}, threads {}, {} samples, subnormals {:?}, path {:?}",
        backprop::kernel_name(),
        o.batch,
        o.threads,
        o.samples,
        o.subnormals,
        o.path
    );

    // Epoch 0 warms up (first allocations, caches); the others are timed.
    let seconds = match o.path {
        Path::Fit => {
            let mut trainer = Trainer::new(Sgd::new(3.0)?).epochs(o.epochs + 1).batch_size(o.batch).seed(7);
            let history = trainer.fit(&mut net, &data)?;
            history.epochs.iter().map(|e| e.duration.as_secs_f64()).collect::<Vec<_>>()
        }
        Path::Raw => {
            let mut batcher = Batcher::new(&data, o.batch)?;
            batcher.set_threads(o.threads)?;
            let mut seconds = Vec::with_capacity(o.epochs + 1);
            for _ in 0..=o.epochs {
                let start = Instant::now();
                batcher.shuffle(&mut rng);
                while let Some(batch) = batcher.next_batch() {
                    net.train_batch(batch.inputs, batch.targets, 3.0)?;
                }
                seconds.push(start.elapsed().as_secs_f64());
            }
            seconds
        }
    };
    println!("warm-up epoch: {:.3} s", seconds[0]);
    for (epoch, t) in seconds.iter().enumerate().skip(1) {
        println!("epoch {epoch}: {t:.3} s, {:.0} samples/s", o.samples as f64 / t);
    }
    let mut seconds = seconds[1..].to_vec();
    seconds.sort_by(f64::total_cmp);
    let median = seconds[seconds.len() / 2];
    println!("samples_per_sec={:.1}", o.samples as f64 / median);
    Ok(())
}
