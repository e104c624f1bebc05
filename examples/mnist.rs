//! Trains on the MNIST handwritten digits (60,000 training and 10,000 test images of
//! 28×28 pixels), read from the four IDX files in a directory you give, and prints the
//! test accuracy after every epoch.
//!
//! ```text
//! cargo run --release --example mnist -- path/to/mnist [--modern] [--epochs N]
//! ```
//!
//! The directory must hold the files of Yann LeCun's MNIST page
//! (<http://yann.lecun.com/exdb/mnist/>, or one of its mirrors), decompressed with
//! `gunzip`, since the crate has no gzip decoder:
//!
//! ```text
//! train-images-idx3-ubyte  train-labels-idx1-ubyte  t10k-images-idx3-ubyte  t10k-labels-idx1-ubyte
//! ```
//!
//! (the spelling with a dot, `train-images.idx3-ubyte`, that some mirrors use, works too).
//!
//! - Default: the classic network of Nielsen's *Neural Networks and Deep Learning*,
//!   chapter 1: 784-30-10, sigmoid, quadratic cost, weights and biases drawn from
//!   N(0, 1), plain SGD with α = 3.0 on mini-batches of 10, 30 epochs (the book reports
//!   about 95% right on the test set).
//! - `--modern`: 784-128-10, ReLU then softmax, categorical cross-entropy, He
//!   initialisation, Adam with α = 10⁻³ on mini-batches of 128, 10 epochs.
//! - `--epochs N` changes the number of epochs.
//!
//! The test set is evaluated after every epoch only to print it, as in the book: it is
//! not used for early stopping or to choose anything, and the network of the last epoch
//! is the one kept.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use backprop::{
    Activation, Adam, Callback, Control, Cost, Dataset, EpochRecord, Init, Network, Optimizer, Sgd, Trainer,
    ValidationSet, read_idx_images, read_idx_labels,
};

const CLASSES: usize = 10;
const USAGE: &str = "usage: cargo run --release --example mnist -- <mnist directory> [--modern] [--epochs N]";
const WHERE: &str = "The MNIST files come from Yann LeCun's MNIST page, http://yann.lecun.com/exdb/mnist/\n\
(or one of its mirrors). Download the four .gz files into one directory and decompress them\n\
with `gunzip *.gz`: the example reads the IDX files themselves and has no gzip decoder.";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Setup {
    /// 784-30-10 sigmoid, quadratic cost, SGD.
    Classic,
    /// 784-128-10 ReLU + softmax, cross-entropy, Adam.
    Modern,
}

struct Options {
    dir: PathBuf,
    setup: Setup,
    epochs: Option<usize>,
}

fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Options, String> {
    let (mut dir, mut setup, mut epochs) = (None, Setup::Classic, None);
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--modern" => setup = Setup::Modern,
            "--epochs" => {
                let value = args.next().ok_or("--epochs needs a value")?;
                let n = value.parse().ok().filter(|&n: &usize| n > 0);
                epochs = Some(n.ok_or(format!("--epochs: '{value}' is not a whole number ≥ 1"))?);
            }
            flag if flag.starts_with("--") => return Err(format!("unknown option {flag}\n{USAGE}")),
            _ if dir.is_none() => dir = Some(PathBuf::from(arg)),
            _ => return Err(format!("more than one directory given\n{USAGE}")),
        }
    }
    let dir = dir.ok_or(format!("no MNIST directory given\n{USAGE}\n\n{WHERE}"))?;
    Ok(Options { dir, setup, epochs })
}

/// The path of one of the four files, e.g. `train-images-idx3-ubyte` (`stem` `train-images`,
/// `kind` `idx3`), in either spelling; a message saying where to get it if it is missing.
fn find(dir: &Path, stem: &str, kind: &str) -> Result<PathBuf, String> {
    let names = [format!("{stem}-{kind}-ubyte"), format!("{stem}.{kind}-ubyte")];
    if let Some(path) = names.iter().map(|n| dir.join(n)).find(|p| p.is_file()) {
        return Ok(path);
    }
    let gzipped = names.iter().map(|n| dir.join(format!("{n}.gz"))).find(|p| p.is_file());
    let hint = match gzipped {
        Some(gz) => format!("{} is still compressed: decompress it with `gunzip {}`.", gz.display(), gz.display()),
        None => WHERE.to_string(),
    };
    Err(format!("{} has no file {}\n\n{hint}", dir.display(), names[0]))
}

fn read_set(dir: &Path, prefix: &str) -> Result<Dataset<f32>, Box<dyn std::error::Error>> {
    let images_path = find(dir, &format!("{prefix}-images"), "idx3")?;
    let labels_path = find(dir, &format!("{prefix}-labels"), "idx1")?;
    let images = read_idx_images::<f32>(&images_path).map_err(|e| format!("{}: {e}", images_path.display()))?;
    let labels = read_idx_labels(&labels_path).map_err(|e| format!("{}: {e}", labels_path.display()))?;
    if images.n_cols() != 28 * 28 {
        return Err(format!("{}: images of {} pixels, MNIST's have 784", images_path.display(), images.n_cols()).into());
    }
    Ok(Dataset::from_labels(images, &labels, CLASSES)?)
}

/// Prints the test accuracy (the trainer's validation set here) after every epoch.
struct PrintTestAccuracy {
    test_samples: usize,
}

impl Callback for PrintTestAccuracy {
    fn on_epoch_end(&mut self, record: &EpochRecord) -> Control {
        let accuracy = record.validation_accuracy.unwrap_or(f64::NAN);
        let right = (accuracy * self.test_samples as f64).round();
        println!(
            "epoch {:>2}: {right} / {} right on the test set ({:.2}%), training cost {:.4}",
            record.epoch + 1,
            self.test_samples,
            100.0 * accuracy,
            record.training_cost
        );
        Control::Continue
    }
}

fn main() -> ExitCode {
    match run(std::env::args().skip(1)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the example with its command-line arguments (without the program's name).
pub fn run(args: impl IntoIterator<Item = String>) -> Result<(), Box<dyn std::error::Error>> {
    let options = parse_args(args)?;
    if !options.dir.is_dir() {
        return Err(format!("{} is not a directory\n\n{WHERE}", options.dir.display()).into());
    }
    let train = read_set(&options.dir, "train")?;
    let test = read_set(&options.dir, "t10k")?;
    println!("{} training and {} test images", train.len(), test.len());

    let (mut net, optimizer, batch_size, epochs): (_, Box<dyn Optimizer<f32>>, _, _) = match options.setup {
        Setup::Classic => {
            let standard_normal = Init::Normal { std: 1.0 };
            let net = Network::<f32>::builder(784)
                .layer(30, Activation::Sigmoid)
                .init(standard_normal)
                .bias_init(standard_normal)
                .layer(CLASSES, Activation::Sigmoid)
                .init(standard_normal)
                .bias_init(standard_normal)
                .cost(Cost::Quadratic)
                .build()?;
            (net, Box::new(Sgd::new(3.0)?), 10, 30)
        }
        Setup::Modern => {
            let net = Network::<f32>::builder(784)
                .layer(128, Activation::Relu)
                .layer(CLASSES, Activation::Softmax)
                .cost(Cost::CategoricalCrossEntropy)
                .build()?;
            (net, Box::new(Adam::new(1e-3)?), 128, 10)
        }
    };
    let epochs = options.epochs.unwrap_or(epochs);
    println!("network: {net}");
    println!("{epochs} epoch{}, mini-batches of {batch_size}", if epochs == 1 { "" } else { "s" });
    let history = Trainer::new(optimizer)
        .epochs(epochs)
        .batch_size(batch_size)
        .validation(ValidationSet::Data(&test))
        .callback(PrintTestAccuracy { test_samples: test.len() })
        .fit(&mut net, &train)?;
    let last = history.last().ok_or("no epoch ran")?;
    println!("final test accuracy: {:.2}%", 100.0 * last.validation_accuracy.unwrap_or(f64::NAN));
    Ok(())
}
