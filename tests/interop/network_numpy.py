"""Checks backprop's saved networks against numpy, both ways.

Usage: python3 network_numpy.py DIR

Run by the Rust test `interop_with_python_safetensors_and_numpy` in
tests/save_load.rs, which fills DIR with:

  crate_f32.safetensors, crate_f64.safetensors   networks saved by `Network::save`
  crate_f32.txt, crate_f64.txt                   inputs and the crate's outputs

One line per sample: the input's bit patterns in hex, ";", the output's.

(a) Loads each network with `safetensors.numpy.load_file`, checks the tensor names,
    shapes, dtypes and metadata against the documented layout, recomputes the outputs
    with numpy (in float64 from the stored weights) and compares them with the crate's:
    relative error at most 1e-6 for f32 and 1e-12 for f64.
(b) Writes networks of its own with `safetensors.numpy.save_file`, using the
    documented names and metadata, to DIR/python_f32.safetensors and
    DIR/python_f64.safetensors, with inputs and numpy's outputs in
    DIR/python_f32.txt and DIR/python_f64.txt, for the Rust test to load and check.

Needs numpy and safetensors.
"""

import sys
from pathlib import Path

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file, save_file

DTYPES = {"f32": (np.float32, np.uint32, 8), "f64": (np.float64, np.uint64, 16)}
TOLERANCE = {"f32": 1e-6, "f64": 1e-12}


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def parse_layers(text):
    """The "layers" metadata, e.g. "3:sigmoid,1:sigmoid", as [(3, "sigmoid"), ...]."""
    layers = []
    for item in text.split(","):
        size, activation = item.split(":")
        layers.append((int(size), activation))
    return layers


def predict(tensors, layers, x):
    """The network's output for x, computed in float64."""
    a = np.asarray(x, dtype=np.float64)
    for l, (_, activation) in enumerate(layers):
        assert activation == "sigmoid", f"this script only knows sigmoid, got {activation}"
        w = tensors[f"layers.{l}.weight"].astype(np.float64)
        b = tensors[f"layers.{l}.bias"].astype(np.float64)
        a = sigmoid(w @ a + b)
    return a


def read_samples(path, dtype):
    float_type, bits_type, _ = DTYPES[dtype]
    samples = []
    for line in path.read_text().splitlines():
        x, y = line.split(";")
        decode = lambda s: np.array([int(h, 16) for h in s.split()], dtype=bits_type).view(float_type)
        samples.append((decode(x), decode(y)))
    return samples


def write_samples(path, dtype, samples):
    _, bits_type, width = DTYPES[dtype]
    encode = lambda v: " ".join(f"{int(b):0{width}x}" for b in v.view(bits_type))
    path.write_text("".join(f"{encode(x)} ; {encode(y)}\n" for x, y in samples))


def check_crate_file(directory, dtype):
    path = directory / f"crate_{dtype}.safetensors"
    tensors = load_file(path)
    with safe_open(path, framework="np") as f:
        metadata = f.metadata()
    assert metadata["format"] == "backprop", metadata
    assert metadata["format_version"] == "1", metadata
    assert metadata["dtype"] == dtype, metadata
    assert metadata["cost"] == "quadratic", metadata
    assert "crate_version" in metadata, metadata
    layers = parse_layers(metadata["layers"])
    n_in = int(metadata["inputs"])
    expected_names = set()
    for l, (n_out, _) in enumerate(layers):
        w, b = tensors[f"layers.{l}.weight"], tensors[f"layers.{l}.bias"]
        assert w.shape == (n_out, n_in) and b.shape == (n_out,), (l, w.shape, b.shape)
        assert w.dtype == DTYPES[dtype][0] and b.dtype == DTYPES[dtype][0], (w.dtype, b.dtype)
        expected_names |= {f"layers.{l}.weight", f"layers.{l}.bias"}
        n_in = n_out
    assert set(tensors) == expected_names, sorted(tensors)

    samples = read_samples(directory / f"crate_{dtype}.txt", dtype)
    assert samples
    worst = 0.0
    for x, y in samples:
        ours = predict(tensors, layers, x)
        error = np.max(np.abs(ours - y.astype(np.float64)) / np.abs(ours))
        assert error <= TOLERANCE[dtype], (dtype, x, y, ours, error)
        worst = max(worst, error)
    shapes = ", ".join(f"{name} {tensors[name].shape}" for name in sorted(tensors))
    print(f"{dtype}: read {metadata['inputs']} -> {metadata['layers']} ({shapes}); "
          f"{len(samples)} samples, worst relative error {worst:.2e}")


def write_python_file(directory, dtype, seed):
    float_type = DTYPES[dtype][0]
    rng = np.random.default_rng(seed)
    sizes = [3, 4, 2]
    tensors = {}
    for l, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
        tensors[f"layers.{l}.weight"] = rng.normal(size=(n_out, n_in)).astype(float_type)
        tensors[f"layers.{l}.bias"] = rng.normal(size=n_out).astype(float_type)
    layers = [(n, "sigmoid") for n in sizes[1:]]
    metadata = {
        "format": "backprop",
        "format_version": "1",
        "dtype": dtype,
        "inputs": str(sizes[0]),
        "layers": ",".join(f"{n}:{a}" for n, a in layers),
        "cost": "quadratic",
    }
    save_file(tensors, str(directory / f"python_{dtype}.safetensors"), metadata=metadata)
    samples = []
    for _ in range(5):
        x = rng.uniform(-2, 2, size=sizes[0]).astype(float_type)
        samples.append((x, predict(tensors, layers, x).astype(float_type)))
    write_samples(directory / f"python_{dtype}.txt", dtype, samples)
    print(f"{dtype}: wrote {metadata['inputs']} -> {metadata['layers']} with safetensors.numpy.save_file")


def main():
    directory = Path(sys.argv[1])
    for dtype in ("f32", "f64"):
        check_crate_file(directory, dtype)
    for seed, dtype in enumerate(("f32", "f64")):
        write_python_file(directory, dtype, seed)


if __name__ == "__main__":
    main()
