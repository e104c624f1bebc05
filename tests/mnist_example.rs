//! The mnist example on tiny files in the MNIST layout: it trains on them, and a missing
//! or still compressed file is an error that says where MNIST comes from, not a panic.

#[path = "../examples/mnist.rs"]
#[allow(dead_code)] // the example's `main` is not called here
mod mnist;

use std::fs;
use std::path::Path;

#[path = "common/temp_dir.rs"]
mod temp_dir;
use temp_dir::TempDir;

/// Writes `n` images of 28×28 bytes and their labels as IDX files named as MNIST's: digit
/// k is a bright bar whose place depends on k.
fn write_set(dir: &Path, prefix: &str, n: usize) {
    let mut images = vec![0, 0, 0x08, 3];
    for d in [n, 28, 28] {
        images.extend_from_slice(&(d as u32).to_be_bytes());
    }
    let mut labels = vec![0, 0, 0x08, 1];
    labels.extend_from_slice(&(n as u32).to_be_bytes());
    for i in 0..n {
        let k = i % 10;
        labels.push(k as u8);
        images.extend((0..28 * 28).map(|p| if p / 28 == 2 * k + 4 && p % 28 > 4 { 255 } else { 0 }));
    }
    fs::write(dir.join(format!("{prefix}-images-idx3-ubyte")), images).expect("writable");
    fs::write(dir.join(format!("{prefix}-labels-idx1-ubyte")), labels).expect("writable");
}

fn args(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn trains_on_files_in_the_mnist_layout() {
    let dir = TempDir::new("mnist-layout");
    write_set(&dir.0, "train", 40);
    write_set(&dir.0, "t10k", 10);
    let path = dir.0.to_str().expect("a UTF-8 path");
    mnist::run(args(&[path, "--epochs", "1"])).expect("the classic network trains");
    mnist::run(args(&[path, "--modern", "--epochs", "1"])).expect("the modern network trains");
}

#[test]
fn missing_files_say_where_mnist_comes_from() {
    let dir = TempDir::new("mnist-missing");
    let path = dir.0.to_str().expect("a UTF-8 path");
    let message = mnist::run(args(&[path])).expect_err("no files").to_string();
    assert!(message.contains("train-images-idx3-ubyte") && message.contains("LeCun"), "{message}");
    assert!(message.contains("gunzip"), "{message}");

    let missing = dir.0.join("no such folder");
    let message = mnist::run(args(&[missing.to_str().expect("a UTF-8 path")])).expect_err("no folder").to_string();
    assert!(message.contains("not a directory") && message.contains("LeCun"), "{message}");

    let message = mnist::run(args(&[])).expect_err("no arguments").to_string();
    assert!(message.contains("usage"), "{message}");
}

#[test]
fn a_compressed_file_asks_for_gunzip() {
    let dir = TempDir::new("mnist-gzipped");
    write_set(&dir.0, "train", 10);
    write_set(&dir.0, "t10k", 10);
    let labels = dir.0.join("t10k-labels-idx1-ubyte");
    fs::rename(&labels, dir.0.join("t10k-labels-idx1-ubyte.gz")).expect("renamable");
    let message = mnist::run(args(&[dir.0.to_str().expect("a UTF-8 path")])).expect_err("compressed").to_string();
    assert!(message.contains("still compressed") && message.contains("gunzip"), "{message}");
}
