//! The routes the x86-64 tables give, at the shapes that set their constants and on both
//! sides of every threshold of the AVX-512 `f32` table.

use super::{AVX2_F32, AVX512_F32, AVX512_F64};
use crate::kernels::Transpose;
use crate::kernels::route::{Route, Shape, plan};
use Transpose::{No, Yes};

fn shape(m: usize, k: usize, n: usize, ta: Transpose, tb: Transpose) -> Shape {
    Shape { m, k, n, ta, tb }
}

#[test]
fn the_avx512_tables_route_the_measured_cases() {
    let f32 = |s| plan(&AVX512_F32, s);
    // A 100-neuron layer's forward pass X·Wᵀ at k = 784: dot products, any batch up
    // to 256 rows and any width; past 256 rows only up to 128 columns.
    assert_eq!(f32(shape(128, 784, 100, No, Yes)), Route::Dots { kc: 1024 });
    assert_eq!(f32(shape(256, 784, 1024, No, Yes)), Route::Dots { kc: 1024 });
    assert_eq!(f32(shape(512, 784, 1024, No, Yes)), Route::Packed(AVX512_F32.packed));
    assert_eq!(f32(shape(512, 784, 128, No, Yes)), Route::Dots { kc: 1024 });
    // Tiny products by the small kernel; small A·Bᵀ with long k by dot products.
    assert_eq!(f32(shape(3, 3, 3, No, No)), Route::Small { nv: 1 });
    assert_eq!(f32(shape(8, 40, 20, No, Yes)), Route::Dots { kc: 1024 });
    assert_eq!(f32(shape(16, 40, 20, No, Yes)), Route::Small { nv: 2 });
    // A·B one register wide (13 to 16 columns in f32, 8 in f64): one-register tiles at
    // any number of rows; 12 columns, or B transposed: dot products.
    assert_eq!(f32(shape(100, 256, 16, No, No)), Route::Narrow(AVX512_F32.narrow.1));
    assert_eq!(f32(shape(100, 256, 13, No, No)), Route::Narrow(AVX512_F32.narrow.1));
    assert_eq!(f32(shape(100, 256, 12, No, No)), Route::Dots { kc: 1024 });
    assert_eq!(f32(shape(100, 256, 16, No, Yes)), Route::Dots { kc: 1024 });
    assert_eq!(plan(&AVX512_F64, shape(100, 256, 8, No, No)), Route::Narrow(AVX512_F64.narrow.1));
    assert_eq!(plan(&AVX512_F64, shape(100, 256, 7, No, No)), Route::Dots { kc: 256 });
    // Few rows of A·B past 12 columns: packed tiles (here one register wide).
    assert_eq!(f32(shape(3, 256, 16, No, No)), Route::Narrow(AVX512_F32.narrow.1));
    assert_eq!(f32(shape(3, 256, 12, No, No)), Route::Dots { kc: 1024 });
    // Wᵀ·Δ of a small batch: column tiles.
    assert_eq!(f32(shape(784, 128, 10, Yes, No)), Route::Cols);
    assert_eq!(plan(&AVX512_F64, shape(784, 128, 10, Yes, No)), Route::Cols);
    assert_eq!(plan(&AVX512_F64, shape(784, 128, 8, Yes, No)), Route::Narrow(AVX512_F64.narrow.1));
    // AVX2 has no column tiles.
    assert_eq!(plan(&AVX2_F32, shape(784, 128, 10, Yes, No)), Route::Packed(AVX2_F32.packed));
}

#[test]
fn every_threshold_of_the_avx512_f32_table_is_where_it_says() {
    let t = &AVX512_F32;
    let f32 = |m, k, n, ta, tb| plan(t, shape(m, k, n, ta, tb));
    let (dots, packed, narrow) = (Route::Dots { kc: 1024 }, Route::Packed(t.packed), Route::Narrow(t.narrow.1));
    // Dot products from k = 64, up to 28 columns.
    assert_eq!(f32(100, 64, 20, No, No), dots);
    assert_eq!(f32(100, 63, 20, No, No), packed);
    assert_eq!(f32(100, 256, 28, No, No), dots);
    assert_eq!(f32(100, 256, 29, No, No), packed);
    // X·Wᵀ: up to 128 columns from k = 512, any width up to 256 rows.
    assert_eq!(f32(300, 512, 128, No, Yes), dots);
    assert_eq!(f32(300, 512, 129, No, Yes), packed);
    assert_eq!(f32(300, 511, 100, No, Yes), packed);
    assert_eq!(f32(256, 784, 1024, No, Yes), dots);
    assert_eq!(f32(257, 784, 1024, No, Yes), packed);
    // A·B with at most 16 rows and more than 12 columns: not by dot products.
    assert_eq!(f32(16, 256, 20, No, No), packed);
    assert_eq!(f32(17, 256, 20, No, No), dots);
    assert_eq!(f32(16, 256, 12, No, No), dots);
    assert_eq!(f32(16, 256, 13, No, No), narrow);
    // Small A·Bᵀ by dot products: k ≥ 32 with at most 8 rows, else k ≥ 64, n ≤ 28.
    assert_eq!(f32(8, 32, 20, No, Yes), dots);
    assert_eq!(f32(8, 31, 20, No, Yes), Route::Small { nv: 2 });
    assert_eq!(f32(9, 32, 20, No, Yes), Route::Small { nv: 2 });
    assert_eq!(f32(9, 64, 20, No, Yes), dots);
    assert_eq!(f32(4, 40, 29, No, Yes), Route::Small { nv: 2 });
    // The small kernel: at most 16 Ki multiply-adds, k ≤ 64, rows of up to 4 registers.
    assert_eq!(f32(16, 32, 32, No, No), Route::Small { nv: 2 });
    assert_eq!(f32(17, 32, 32, No, No), packed);
    assert_eq!(f32(2, 64, 16, No, No), Route::Small { nv: 1 });
    assert_eq!(f32(2, 65, 16, No, No), narrow);
    assert_eq!(f32(2, 8, 64, No, No), Route::Small { nv: 4 });
    assert_eq!(f32(2, 8, 65, No, No), packed);
    // Column tiles for Aᵀ·B with 4 to 12 columns.
    assert_eq!(f32(784, 128, 3, Yes, No), narrow);
    assert_eq!(f32(784, 128, 4, Yes, No), Route::Cols);
    assert_eq!(f32(784, 128, 12, Yes, No), Route::Cols);
    assert_eq!(f32(784, 128, 13, Yes, No), narrow);
    assert_eq!(f32(784, 128, 17, Yes, No), packed);
}
