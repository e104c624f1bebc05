//! Sizes that cannot be held: every product of sizes is checked where a value is built,
//! in release builds too (where an unchecked product wraps silently instead of panicking,
//! and a matrix could claim elements it does not hold). CI runs this file with
//! `--release` as well as in the test profile.
//!
//! The allocations refused here ask for 2⁵⁰ bytes (a pebibyte), more than the 2⁴⁷ bytes of
//! address space a 64-bit process has, so the allocator must refuse them whatever the
//! machine's memory or overcommit setting.

use std::panic::catch_unwind;

use backprop::{Activation, Dataset, Error, Init, Matrix, MatrixView, Network, Rng, one_hot, read_idx_images};

/// 2⁴⁸ `f32` values: 1 PiB, which no allocator can provide, though the size is valid.
const PEBIBYTE_OF_F32: (usize, usize) = (1 << 24, 1 << 24);

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(s) => *s,
        Err(payload) => payload.downcast::<&str>().map(|s| s.to_string()).unwrap_or_default(),
    }
}

#[test]
fn zeros_of_a_shape_that_overflows_panics_naming_it() {
    // Before: in a release build, 2⁶³·2 wrapped to 0 and the product below read and wrote
    // past the empty buffer (heap-buffer-overflow in the SIMD and the portable gemm).
    let e = catch_unwind(|| Matrix::<f32>::zeros(1 << 63, 2).matmul(&Matrix::zeros(2, 2))).unwrap_err();
    assert_eq!(panic_message(e), "a 9223372036854775808×2 matrix of f32 is too large to allocate");
    let e = catch_unwind(|| Matrix::<f64>::from_fn(1 << 62, 4, |_, _| 1.0)).unwrap_err();
    assert_eq!(panic_message(e), "a 4611686018427387904×4 matrix of f64 is too large to allocate");
    // The size in bytes counts too: 2⁶¹·4 bytes of f32 fit no allocation.
    let e = catch_unwind(|| Matrix::<f32>::zeros(1 << 61, 1)).unwrap_err();
    assert_eq!(panic_message(e), "a 2305843009213693952×1 matrix of f32 is too large to allocate");
}

#[test]
fn try_zeros_returns_an_error_for_every_shape_it_cannot_hold() {
    let (r, c) = PEBIBYTE_OF_F32;
    for (rows, cols) in [(1 << 62, 4), (1 << 63, 2), (usize::MAX, usize::MAX), (1 << 61, 1), (0, usize::MAX), (r, c)] {
        match Matrix::<f32>::try_zeros(rows, cols) {
            Err(Error::TooLarge { what: "a matrix", rows: r2, cols: c2 }) => assert_eq!((r2, c2), (rows, cols)),
            other => panic!("{rows}×{cols}: {other:?}"),
        }
    }
    let e = Matrix::<f32>::try_zeros(r, c).unwrap_err();
    assert_eq!(e.to_string(), "a matrix of 16777216×16777216 values is too large to allocate");
    assert_eq!(Matrix::<f64>::try_zeros(0, 5).unwrap().shape(), (0, 5));
    assert_eq!(Matrix::<f64>::try_zeros(3, 0).unwrap().shape(), (3, 0));
}

#[test]
fn no_matrix_or_view_claims_more_elements_than_it_holds() {
    assert!(matches!(Matrix::<f32>::new(1 << 63, 2, vec![]), Err(Error::TooLarge { .. })));
    // Zero elements, but rows no memory could hold: not a shape.
    assert!(matches!(Matrix::<f32>::new(0, 1 << 62, vec![]), Err(Error::TooLarge { .. })));
    assert!(matches!(MatrixView::<f32>::new(1 << 63, 0, &[]), Err(Error::TooLarge { .. })));
    assert!(matches!(MatrixView::<f32>::new(1 << 62, 4, &[]), Err(Error::TooLarge { .. })));
    assert!(matches!(MatrixView::<f32>::new(3, 4, &[0.0; 11]), Err(Error::MatrixShape { .. })));
}

#[test]
fn a_network_too_large_to_hold_is_an_error() {
    // Before: Ok in a release build, with a 2×2⁶³ weight matrix holding nothing.
    let e = Network::<f32>::builder(1 << 63).layer(2, Activation::Sigmoid).build().unwrap_err();
    assert!(matches!(e, Error::TooLarge { rows: 2, cols: 9223372036854775808, .. }), "{e:?}");
    assert_eq!(e.to_string(), "a layer's weights of 2×9223372036854775808 values is too large to allocate");
    // A valid size that the allocator refuses is an error too, not an abort.
    let (n_in, n_out) = PEBIBYTE_OF_F32;
    let e = Network::<f32>::builder(n_in).layer(n_out, Activation::Relu).build().unwrap_err();
    assert!(matches!(e, Error::TooLarge { .. }), "{e:?}");
    let e = Network::<f32>::builder(2).layer(3, Activation::Relu).layer(1 << 62, Activation::Relu).build();
    assert!(matches!(e, Err(Error::TooLarge { rows: 4611686018427387904, cols: 3, .. })), "{e:?}");
}

#[test]
fn one_hot_targets_too_large_to_hold_are_an_error() {
    // Before: a failed allocation of terabytes aborted the process.
    let e = Dataset::<f32>::from_labels(Matrix::zeros(1, 1), &[0], 1 << 48).unwrap_err();
    assert!(matches!(e, Error::TooLarge { what: "one-hot targets", rows: 1, cols: 281474976710656 }), "{e:?}");
    let e = one_hot::<f64>(&[0, 1, 2], usize::MAX / 2).unwrap_err();
    assert!(matches!(e, Error::TooLarge { .. }), "{e:?}");
}

#[test]
fn an_idx_file_with_a_zero_and_huge_dimensions_is_refused() {
    // Before: a 0 × 18446744065119617025 matrix.
    let mut bytes = vec![0, 0, 0x08, 3];
    for d in [0u32, u32::MAX, u32::MAX] {
        bytes.extend_from_slice(&d.to_be_bytes());
    }
    let path = std::env::temp_dir().join(format!("backprop-sizes-{}.idx", std::process::id()));
    std::fs::write(&path, &bytes).unwrap();
    let result = read_idx_images::<f32>(&path);
    std::fs::remove_file(&path).unwrap();
    match result {
        Err(Error::Format { reason, offset: Some(4) }) => assert!(reason.ends_with("too large to address"), "{reason}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn initialisers_take_any_fan() {
    // fan_in + fan_out overflowed a usize (a panic in debug builds, a wrong scale in release).
    let mut rng = Rng::new(1);
    for init in [Init::XavierUniform, Init::XavierNormal] {
        let w = init.sample(&mut rng, usize::MAX, usize::MAX);
        assert!(w.is_finite() && w.abs() < 1e-9, "{init:?}: {w}");
    }
}
