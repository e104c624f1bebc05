"""Checks backprop's safetensors files against the reference implementation.

Usage: python3 safetensors_roundtrip.py DIR

Reads DIR/backprop.safetensors (written by backprop's unit test
`io::safetensors::tests::python_reads_and_writes_the_same_files`) with
`safetensors.numpy`, checks its tensors and metadata bit for bit, and writes the
same tensors and metadata to DIR/python.safetensors, which the Rust test then reads
and compares byte for byte with its own file. Needs numpy and safetensors.
"""

import struct
import sys
from pathlib import Path

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file, save_file

# The tensors the Rust test writes: name -> (dtype, shape, element bit patterns).
F32_BITS = [
    0x00000000, 0x80000000, 0x3F800000, 0xBFC00000, 0x00800000, 0x00000001,
    0x807FFFFF, 0x7F7FFFFF, 0xFF7FFFFF, 0x7FC00000, 0x7F800000, 0xFF800000,
]
F64_BITS = [
    0x0000000000000000, 0x8000000000000000, 0x3FD5555555555555, 0x0010000000000000,
    0x0000000000000001, 0x800FFFFFFFFFFFFF, 0x7FEFFFFFFFFFFFFF, 0xFFEFFFFFFFFFFFFF,
    0x3CB0000000000000, 0x7FF0000000000000, 0xFFF0000000000000, 0x7FF8000000000000,
]
EXPECTED = {
    "layers.0.weights": (np.float32, (3, 4), F32_BITS),
    "layers.0.biases": (np.float64, (12,), F64_BITS),
    "empty": (np.float32, (2, 0), []),
    "scalar": (np.float64, (), [0xBFF8000000000000]),
}
METADATA = {"format": "backprop", "note": "quote \" backslash \\ é 😀 \u0001"}


def bits(array):
    """The element bit patterns of an F32 or F64 array, in row-major order."""
    uint = np.uint32 if array.dtype == np.float32 else np.uint64
    return [int(b) for b in np.ascontiguousarray(array).view(uint).reshape(-1)]


def main(folder):
    ours = folder / "backprop.safetensors"
    tensors = load_file(ours)
    assert sorted(tensors) == sorted(EXPECTED), f"tensor names: {sorted(tensors)}"
    for name, (dtype, shape, expected_bits) in EXPECTED.items():
        array = tensors[name]
        assert array.dtype == dtype, f"{name}: dtype {array.dtype}, expected {dtype}"
        assert array.shape == shape, f"{name}: shape {array.shape}, expected {shape}"
        assert bits(array) == expected_bits, f"{name}: elements differ"
    with safe_open(ours, framework="np") as f:
        assert f.metadata() == METADATA, f"metadata: {f.metadata()}"

    # The header length field and padding, as the reference reader sees them.
    raw = ours.read_bytes()
    (header_len,) = struct.unpack("<Q", raw[:8])
    assert header_len % 8 == 0, f"header length {header_len} is not a multiple of 8"

    save_file(tensors, folder / "python.safetensors", metadata=METADATA)
    print(f"python read {len(tensors)} tensors and the metadata bit-exactly; wrote python.safetensors")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(Path(sys.argv[1]))
