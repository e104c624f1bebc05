//! The crate's matrix product against the `gemm` crate over a grid of shapes: every
//! combination of m, k and n from a list of sizes (1 to 2048 by default), in the three
//! forms training uses, A·B, A·Bᵀ and Aᵀ·B, single-threaded, in one run.
//!
//! A single benchmark shape hides the shapes a kernel was not tuned for; this grid is how
//! they are found. For each point the two products are timed in alternation (crate, peer,
//! crate, peer, …) and the medians compared; the ratio is peer time / crate time, so
//! above 1 the crate is faster. Both results are checked against each other first.
//!
//! ```text
//! cargo bench --bench gemm_grid                         # f32, the whole grid (a few minutes)
//! cargo bench --bench gemm_grid -- --type f64
//! cargo bench --bench gemm_grid -- --sizes 1,10,100 --forms nt --csv grid.csv
//! cargo bench --bench gemm_grid -- --m 2048 --k 2048 --n 64,96,100 --forms tn
//! ```
//!
//! Options: `--type f32|f64`, `--sizes` (comma-separated), `--m`, `--k`, `--n` (the sizes
//! of one dimension, in place of `--sizes`), `--forms` (any of `nn`, `nt`,
//! `tn`: A·B, A·Bᵀ, Aᵀ·B), `--ms` (minimum length of one timed sample, default 2),
//! `--samples` (per product and point, default 5), `--csv FILE` (one line per point).
//! Prints, per form, the worst ratio over k for each (m, n), the worst points, the median
//! and how many points fall below 0.9.

use std::fmt::Write as _;
use std::hint::black_box;
use std::time::{Duration, Instant};

use backprop::{Float, Matrix, Transpose};

/// The sizes of m, k and n when `--sizes` is not given: 1 to 2048, powers of two and the
/// odd sizes between them that leave partial tiles and panels.
const SIZES: [usize; 13] = [1, 3, 8, 16, 33, 64, 100, 128, 257, 512, 784, 1024, 2048];

struct Options {
    f64: bool,
    sizes: Vec<usize>,
    /// Sizes of m, k and n when given apart (`--m`, `--k`, `--n`); else `sizes`.
    dims: [Option<Vec<usize>>; 3],
    forms: Vec<(Transpose, Transpose)>,
    sample: Duration,
    samples: usize,
    csv: Option<String>,
}

impl Options {
    /// The sizes of dimension `d` (0: m, 1: k, 2: n).
    fn dim(&self, d: usize) -> &[usize] {
        self.dims[d].as_deref().unwrap_or(&self.sizes)
    }
}

fn parse() -> Options {
    let mut o = Options {
        f64: false,
        sizes: SIZES.to_vec(),
        dims: [None, None, None],
        forms: vec![(Transpose::No, Transpose::No), (Transpose::No, Transpose::Yes), (Transpose::Yes, Transpose::No)],
        sample: Duration::from_millis(2),
        samples: 5,
        csv: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| panic!("{arg} needs a value"));
        match arg.as_str() {
            "--type" => o.f64 = value() == "f64",
            "--sizes" => o.sizes = list(&value()),
            "--m" => o.dims[0] = Some(list(&value())),
            "--k" => o.dims[1] = Some(list(&value())),
            "--n" => o.dims[2] = Some(list(&value())),
            "--forms" => {
                o.forms = value()
                    .split(',')
                    .map(|f| match f.trim() {
                        "nn" => (Transpose::No, Transpose::No),
                        "nt" => (Transpose::No, Transpose::Yes),
                        "tn" => (Transpose::Yes, Transpose::No),
                        other => panic!("--forms: unknown form {other} (nn, nt, tn)"),
                    })
                    .collect()
            }
            "--ms" => o.sample = Duration::from_secs_f64(value().parse::<f64>().expect("--ms: a number") / 1e3),
            "--samples" => o.samples = value().parse().expect("--samples: a number"),
            "--csv" => o.csv = Some(value()),
            // `cargo bench` passes `--bench`; anything else unknown is ignored likewise.
            _ => {}
        }
    }
    o
}

fn list(value: &str) -> Vec<usize> {
    value.split(',').map(|s| s.trim().parse().expect("sizes: comma-separated numbers")).collect()
}

/// A deterministic rows×cols matrix of values in [−1, 1).
fn matrix<T: Float>(rows: usize, cols: usize, seed: u64) -> Matrix<T> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    Matrix::from_fn(rows, cols, |_, _| {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        T::from_f64((s >> 11) as f64 / (1u64 << 52) as f64 - 1.0)
    })
}

/// C ← op(A)·op(B) with the `gemm` crate, on the same buffers.
#[allow(clippy::too_many_arguments)]
fn peer<T: Float>(m: usize, k: usize, n: usize, a: &[T], ta: Transpose, b: &[T], tb: Transpose, c: &mut [T]) {
    // (row, column) strides of op(A) and op(B) over the stored row-major matrices.
    let (rsa, csa) = if ta == Transpose::No { (k as isize, 1) } else { (1, m as isize) };
    let (rsb, csb) = if tb == Transpose::No { (n as isize, 1) } else { (1, k as isize) };
    assert!(c.len() == m * n && a.len() == m * k && b.len() == k * n);
    // SAFETY: the strides describe m×k and k×n views inside `a` and `b` (their lengths are
    // checked above), and `c` holds the m×n row-major result. The gemm crate takes
    // (column, row) strides and computes dst ← α·dst + β·lhs·rhs; read_dst = false drops dst.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            c.as_mut_ptr(),
            1,
            n as isize,
            false,
            a.as_ptr(),
            csa,
            rsa,
            b.as_ptr(),
            csb,
            rsb,
            T::ZERO,
            T::ONE,
            false,
            false,
            false,
            gemm::Parallelism::None,
        )
    }
}

/// One point of the grid: the median times of one product by the crate and by the peer.
struct Point {
    form: &'static str,
    m: usize,
    k: usize,
    n: usize,
    ours: f64,
    theirs: f64,
}

impl Point {
    fn ratio(&self) -> f64 {
        self.theirs / self.ours
    }
}

fn form_name(ta: Transpose, tb: Transpose) -> &'static str {
    match (ta, tb) {
        (Transpose::No, Transpose::No) => "A·B",
        (Transpose::No, Transpose::Yes) => "A·Bᵀ",
        (Transpose::Yes, Transpose::No) => "Aᵀ·B",
        (Transpose::Yes, Transpose::Yes) => "Aᵀ·Bᵀ",
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Seconds per call of `f` over `reps` calls.
fn time(reps: usize, mut f: impl FnMut()) -> f64 {
    let start = Instant::now();
    for _ in 0..reps {
        f();
    }
    start.elapsed().as_secs_f64() / reps as f64
}

fn measure<T: Float>(o: &Options, m: usize, k: usize, n: usize, ta: Transpose, tb: Transpose) -> Point {
    let a = if ta == Transpose::No { matrix::<T>(m, k, 5) } else { matrix::<T>(k, m, 5) };
    let b = if tb == Transpose::No { matrix::<T>(k, n, 6) } else { matrix::<T>(n, k, 6) };
    let mut ours = Matrix::<T>::zeros(m, n);
    let mut theirs = Matrix::<T>::zeros(m, n);
    let mut run_ours = || ours.gemm(T::ONE, black_box(a.view()), ta, black_box(b.view()), tb, T::ZERO);
    run_ours();
    let mut run_theirs =
        || peer(m, k, n, black_box(a.as_slice()), ta, black_box(b.as_slice()), tb, theirs.as_mut_slice());
    run_theirs();
    // Warm caches and calibrate: enough calls that one sample lasts `o.sample`.
    let once = time(1, &mut run_ours).max(time(1, &mut run_theirs)).max(1e-8);
    let reps = ((o.sample.as_secs_f64() / once).ceil() as usize).max(1);
    let (mut t_ours, mut t_theirs) = (Vec::new(), Vec::new());
    for _ in 0..o.samples {
        t_ours.push(time(reps, &mut run_ours));
        t_theirs.push(time(reps, &mut run_theirs));
    }
    check(m, k, n, &ours, &theirs);
    Point { form: form_name(ta, tb), m, k, n, ours: median(t_ours), theirs: median(t_theirs) }
}

/// Panics unless the two results agree to rounding (relative to the largest element).
fn check<T: Float>(m: usize, k: usize, n: usize, got: &Matrix<T>, want: &Matrix<T>) {
    let scale = want.as_slice().iter().fold(1.0f64, |s, v| s.max(v.to_f64().abs()));
    let eps = if T::NAME == "f32" { f32::EPSILON as f64 } else { f64::EPSILON };
    for (g, w) in got.as_slice().iter().zip(want.as_slice()) {
        let diff = (g.to_f64() - w.to_f64()).abs();
        assert!(diff <= 2.0 * k as f64 * eps * scale, "{m}×{k}×{n}: {g} against the peer's {w}");
    }
}

fn run<T: Float>(o: &Options) -> Vec<Point> {
    let mut points = Vec::new();
    for &(ta, tb) in &o.forms {
        for &m in o.dim(0) {
            for &n in o.dim(2) {
                for &k in o.dim(1) {
                    points.push(measure::<T>(o, m, k, n, ta, tb));
                }
            }
            eprint!(".");
        }
        eprintln!(" {} done", form_name(ta, tb));
    }
    points
}

fn report(o: &Options, ty: &str, points: &[Point]) -> String {
    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(
        w,
        "backprop ({}) / gemm crate, {ty}, one thread: peer time ÷ crate time (> 1: crate faster)",
        backprop::kernel_name()
    );
    for &(ta, tb) in &o.forms {
        let form = form_name(ta, tb);
        let _ = writeln!(w, "\n{form}: worst ratio over k ∈ {:?}, rows m, columns n", o.dim(1));
        let _ = writeln!(w, "| m \\ n | {} |", o.dim(2).iter().map(|s| s.to_string()).collect::<Vec<_>>().join(" | "));
        let _ = writeln!(w, "|---:|{}", "---:|".repeat(o.dim(2).len()));
        for &m in o.dim(0) {
            let cells: Vec<String> = o
                .dim(2)
                .iter()
                .map(|&n| {
                    let worst = points
                        .iter()
                        .filter(|p| p.form == form && p.m == m && p.n == n)
                        .map(Point::ratio)
                        .fold(f64::INFINITY, f64::min);
                    if worst < 0.9 { format!("**{worst:.2}**") } else { format!("{worst:.2}") }
                })
                .collect();
            let _ = writeln!(w, "| {m} | {} |", cells.join(" | "));
        }
    }
    let mut ranked: Vec<&Point> = points.iter().collect();
    ranked.sort_by(|a, b| a.ratio().total_cmp(&b.ratio()));
    let _ = writeln!(w, "\nworst points (m×k×n: crate µs, peer µs, ratio):");
    for p in ranked.iter().take(12) {
        let _ = writeln!(
            w,
            "  {} {}×{}×{}: {:.2} µs, {:.2} µs, {:.2}",
            p.form,
            p.m,
            p.k,
            p.n,
            p.ours * 1e6,
            p.theirs * 1e6,
            p.ratio()
        );
    }
    let below = points.iter().filter(|p| p.ratio() < 0.9).count();
    let _ = writeln!(
        w,
        "points: {}; below 0.9: {below}; median ratio {:.2}; worst {:.2}",
        points.len(),
        median(points.iter().map(Point::ratio).collect()),
        ranked.first().map_or(f64::NAN, |p| p.ratio())
    );
    out
}

fn main() {
    let o = parse();
    let (ty, points) = if o.f64 { ("f64", run::<f64>(&o)) } else { ("f32", run::<f32>(&o)) };
    if let Some(path) = &o.csv {
        let mut csv = String::from("type,form,m,k,n,crate_s,peer_s,ratio\n");
        for p in &points {
            let _ =
                writeln!(csv, "{ty},{},{},{},{},{:e},{:e},{:.4}", p.form, p.m, p.k, p.n, p.ours, p.theirs, p.ratio());
        }
        std::fs::write(path, csv).expect("write the CSV file");
    }
    print!("{}", report(&o, ty, &points));
}
