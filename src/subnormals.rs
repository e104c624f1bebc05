//! Subnormal numbers: flushed to zero where the network stores a and δ, or kept (see
//! [`Subnormals`]).

/// What the network does with subnormal values of its activations a and errors δ.
///
/// A subnormal (denormal) number is a value too small for the type's normal range: below
/// about 1.2·10⁻³⁸ in `f32` ([`f32::MIN_POSITIVE`]) or 2.2·10⁻³⁰⁸ in `f64`
/// ([`f64::MIN_POSITIVE`]), IEEE 754 keeps shrinking values with fewer bits of precision
/// instead of rounding them to 0 ("gradual underflow"). On x86 every arithmetic
/// operation that reads or produces one takes a microcode assist, many times slower
/// than a normal operation. Saturated sigmoids make them: a = σ(z) for
/// z below about −87 (in `f32`), σ′(z) = a(1 − a) and with it δ. A network whose hidden
/// layer saturates this way then spends most of its time on values that change nothing
/// the network computes, and trains several times slower for no visible reason (the
/// `train` bench's `subnormals_784_256_10_f32` group shows it).
///
/// With [`Subnormals::Flush`], the default, every activation a and every error δ the
/// network stores is written as 0 where it would be subnormal, in training and in
/// inference; the matrix products then read only normal values or zeros. Nothing else
/// changes: z, the gradients, the parameters and the optimisers' state keep IEEE
/// arithmetic, and so does every other computation of your program.
///
/// # Why not the CPU's flush-to-zero mode
/// x86 (MXCSR's FTZ and DAZ bits) and AArch64 (FPCR.FZ) can flush subnormals in hardware,
/// but Rust, like the compiler underneath it, assumes the default floating-point
/// environment: changing it around Rust code is undefined behaviour (which is why
/// `_mm_setcsr` is deprecated), and a library must not leave it changed for its caller's
/// code. The crate therefore flushes in software, in the passes that write a and δ: a
/// compare and a select per value, which vectorise, on every target (the portable
/// kernels and WebAssembly too), with results that are the same on every CPU.
///
/// Set with [`NetworkBuilder::subnormals`](crate::NetworkBuilder::subnormals) or
/// [`Network::set_subnormals`](crate::Network::set_subnormals). In either setting,
/// results are bit for bit the same for every thread count.
///
/// ```
/// use backprop::{Activation, Cost, Layer, Matrix, Network, Subnormals};
///
/// # fn main() -> backprop::Result<()> {
/// // One sigmoid neuron, a = σ(x), driven far into saturation: σ(−100) ≈ 3.7·10⁻⁴⁴ is
/// // subnormal in f32.
/// let neuron = Layer::new(Matrix::new(1, 1, vec![1.0_f32])?, vec![0.0].into(), Activation::Sigmoid)?;
/// let mut net = Network::from_layers(vec![neuron], Cost::Quadratic)?;
/// assert_eq!(net.subnormals(), Subnormals::Flush);
/// assert_eq!(net.predict(&[-100.0])?[0], 0.0);
///
/// net.set_subnormals(Subnormals::Keep);
/// let kept = net.predict(&[-100.0])?[0];
/// assert!(kept > 0.0 && kept < f32::MIN_POSITIVE);
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Subnormals {
    /// Every a and δ that would be subnormal (0 < |x| < `MIN_POSITIVE` of the type) is
    /// stored as 0. The default, as TensorFlow and XLA flush subnormals on their CPU
    /// threads by default: no network's training depends on values this small.
    #[default]
    Flush,
    /// IEEE 754 gradual underflow everywhere: a and δ are kept as computed, however
    /// small, at the speed of the CPU's subnormal arithmetic.
    Keep,
}

/// Writes 0 over every subnormal value of `values` (0 < |x| < `T::MIN_POSITIVE`); zeros,
/// normal values, infinities and NaN are left as they are. A compare and a select per
/// value, which the compiler vectorises.
pub(crate) fn flush<T: crate::Float>(values: &mut [T]) {
    for v in values {
        // `v.abs() < MIN_POSITIVE` is false for NaN, which so stays NaN.
        *v = if v.abs() < T::MIN_POSITIVE { T::ZERO } else { *v };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flush_zeroes_exactly_the_subnormal_values() {
        let below = f32::from_bits(f32::MIN_POSITIVE.to_bits() - 1); // the largest subnormal
        let smallest = f32::from_bits(1);
        let mut x = [
            f32::MIN_POSITIVE,
            -f32::MIN_POSITIVE,
            below,
            -below,
            smallest,
            -smallest,
            0.0,
            -0.0,
            1.0,
            -3.5e-30,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::MAX,
        ];
        flush(&mut x);
        let expected =
            [f32::MIN_POSITIVE, -f32::MIN_POSITIVE, 0.0, 0.0, 0.0, 0.0, 0.0, -0.0, 1.0, -3.5e-30, f32::INFINITY];
        assert_eq!(x[..11], expected);
        assert_eq!(x[11], f32::NEG_INFINITY);
        assert_eq!(x[12], f32::MAX);
        assert!(x[2..6].iter().all(|v| v.to_bits() == 0), "a flushed value is +0");
        let mut nan = [f32::NAN];
        flush(&mut nan);
        assert!(nan[0].is_nan());
    }

    #[test]
    fn flush_in_f64() {
        let below = f64::from_bits(f64::MIN_POSITIVE.to_bits() - 1);
        let mut x = [f64::MIN_POSITIVE, below, -f64::from_bits(1), 1e-300, f64::NAN];
        flush(&mut x);
        assert_eq!(x[..4], [f64::MIN_POSITIVE, 0.0, 0.0, 1e-300]);
        assert!(x[4].is_nan());
        // f32's subnormal range is normal in f64: nothing there is flushed.
        let mut y = [1e-40_f64];
        flush(&mut y);
        assert_eq!(y, [1e-40]);
    }

    #[test]
    fn flush_is_the_default() {
        assert_eq!(Subnormals::default(), Subnormals::Flush);
    }
}
