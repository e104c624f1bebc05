//! Weight initialisation ([`Init`]) and [`Rng`], the crate's small seeded random number
//! generator.

use core::f64::consts::TAU;

use crate::{Activation, Error, Float, Matrix, Result};

/// A small, fast, seeded pseudo-random number generator: xoshiro256** seeded by SplitMix64.
///
/// Everything random in the crate (weight initialisation, shuffles, train/test splits)
/// draws from an `Rng` made from a `u64` seed, so a run is reproducible bit for bit: the
/// same seed gives the same sequence on every platform and in every release of this
/// major version.
///
/// The generator is xoshiro256** (Blackman and Vigna, 2018): 256 bits of state, period
/// 2²⁵⁶ − 1, and output that passes the usual statistical test batteries. The seed is
/// expanded into the state by SplitMix64, which never produces the all-zero state the
/// generator must avoid. It is **not** cryptographically secure: do not use it for
/// keys, tokens or anything an adversary may try to predict.
///
/// ```
/// use backprop::Rng;
///
/// let mut rng = Rng::new(42);
/// let x = rng.uniform();
/// assert!((0.0..1.0).contains(&x));
/// assert!(rng.below(10) < 10);
///
/// let mut order = [0, 1, 2, 3, 4];
/// rng.shuffle(&mut order);
/// order.sort();
/// assert_eq!(order, [0, 1, 2, 3, 4]);
///
/// // The same seed gives the same draws.
/// assert_eq!(Rng::new(7).next_u64(), Rng::new(7).next_u64());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rng {
    state: [u64; 4],
}

/// One step of SplitMix64: advances `state` and returns the mixed value.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Rng {
    /// A generator whose sequence is fixed by `seed`; any `u64`, including 0, is a good
    /// seed.
    #[must_use]
    pub fn new(seed: u64) -> Self {
        // SplitMix64's output function is a bijection applied to four distinct counter
        // values, so the four words are distinct and never all zero.
        let mut s = seed;
        Rng { state: [splitmix64(&mut s), splitmix64(&mut s), splitmix64(&mut s), splitmix64(&mut s)] }
    }

    /// The generator's 256 bits of state, e.g. to save in a checkpoint; restore it with
    /// [`from_state`](Self::from_state) to continue the same sequence.
    ///
    /// ```
    /// use backprop::Rng;
    ///
    /// let mut rng = Rng::new(42);
    /// rng.next_u64();
    /// let mut resumed = Rng::from_state(rng.state())?;
    /// assert_eq!(resumed.next_u64(), rng.next_u64());
    /// # Ok::<(), backprop::Error>(())
    /// ```
    #[must_use]
    pub fn state(&self) -> [u64; 4] {
        self.state
    }

    /// The generator in the state `state`, as returned by [`state`](Self::state).
    ///
    /// # Errors
    /// [`Error::Incompatible`] if every word is 0: xoshiro256** would then return 0
    /// forever, and no generator reaches that state.
    pub fn from_state(state: [u64; 4]) -> Result<Self> {
        if state == [0; 4] {
            return Err(Error::Incompatible {
                reason: "the all-zero state is not a state of the generator (it would return 0 forever)".into(),
            });
        }
        Ok(Rng { state })
    }

    /// The next 64 uniformly distributed random bits.
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.state;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// A uniform draw from [0, 1): one of the 2⁵³ multiples of 2⁻⁵³ below 1, each
    /// equally likely.
    pub fn uniform(&mut self) -> f64 {
        // The top 53 bits fill an f64 mantissa exactly.
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A draw from the standard normal distribution N(0, 1).
    ///
    /// Box–Muller: with u₁ uniform in (0, 1] and u₂ uniform in [0, 1),
    /// z = √(−2 ln u₁) · cos(2π u₂). Each call uses two draws of [`next_u64`](Self::next_u64)
    /// (the sine partner is not cached, so a clone of the generator stays in step with
    /// the original). The result is always finite: |z| < 8.6.
    pub fn normal(&mut self) -> f64 {
        // 1 − [0, 1) is (0, 1], so the logarithm is finite.
        let u1 = 1.0 - self.uniform();
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (TAU * u2).cos()
    }

    /// A uniform draw from `0..n`, without modulo bias.
    ///
    /// Lemire's method: the high half of the 128-bit product of a random `u64` and `n`,
    /// rejecting the few low halves that would make some results more likely than
    /// others (on average fewer than one retry in 2⁶⁴ / n draws).
    ///
    /// # Panics
    /// If `n == 0`: there is no value to draw.
    #[track_caller]
    pub fn below(&mut self, n: usize) -> usize {
        assert!(n > 0, "Rng::below needs n > 0, got 0");
        let n = n as u64;
        let mut product = u128::from(self.next_u64()) * u128::from(n);
        if (product as u64) < n {
            // 2⁶⁴ mod n: low halves below it belong to an incomplete last interval.
            let threshold = n.wrapping_neg() % n;
            while (product as u64) < threshold {
                product = u128::from(self.next_u64()) * u128::from(n);
            }
        }
        // The high half is < n, which came from a usize.
        (product >> 64) as usize
    }

    /// Shuffles `items` in place, every permutation equally likely (Fisher–Yates).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}

/// How a layer's initial weights (or biases) are drawn, with N(l−1) = `fan_in` inputs and
/// N(l) = `fan_out` neurons.
///
/// The scaled initialisers keep the variance of z (forward) and of δ (backward) from
/// growing or shrinking layer by layer, so that σ does not start saturated — the slow
/// learning that a saturated σ′ causes in BP1 and BP2. The defaults, per activation, are
/// [`Init::default_weights`]; biases start at zero.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum Init {
    /// Glorot/Xavier uniform: U(−r, r) with r = √(6 / (fan_in + fan_out)); for sigmoid,
    /// tanh and softmax layers.
    XavierUniform,
    /// Glorot/Xavier normal: N(0, 2 / (fan_in + fan_out)).
    XavierNormal,
    /// He/Kaiming uniform: U(−r, r) with r = √(6 / fan_in); for ReLU-like layers.
    HeUniform,
    /// He/Kaiming normal: N(0, 2 / fan_in).
    HeNormal,
    /// LeCun normal: N(0, 1 / fan_in).
    LeCunNormal,
    /// LeCun uniform: U(−r, r) with r = √(3 / fan_in).
    LeCunUniform,
    /// N(0, std²) with a fixed standard deviation (`Normal { std: 1.0 }` is the classic
    /// initialisation of the textbook network).
    Normal {
        /// The standard deviation, finite and ≥ 0.
        std: f64,
    },
    /// All zeros (the default for biases).
    Zeros,
}

impl Init {
    /// The default weight initialiser for a layer with activation σ: Xavier (uniform) for
    /// the saturating functions, He (normal) for the ReLU family.
    ///
    /// ```
    /// use backprop::{Activation, Init};
    ///
    /// assert_eq!(Init::default_weights(Activation::Relu), Init::HeNormal);
    /// assert_eq!(Init::default_weights(Activation::Tanh), Init::XavierUniform);
    /// ```
    #[must_use]
    pub fn default_weights(activation: Activation) -> Init {
        match activation {
            Activation::Relu | Activation::LeakyRelu { .. } | Activation::Elu { .. } | Activation::Softplus => {
                Init::HeNormal
            }
            Activation::Sigmoid
            | Activation::Tanh
            | Activation::Identity
            | Activation::Softmax
            | Activation::Custom(_) => Init::XavierUniform,
        }
    }

    /// Checks the initialiser's own parameters.
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`] if a standard deviation is negative or not finite.
    pub fn validate(&self) -> Result<()> {
        match *self {
            Init::Normal { std } if !(std.is_finite() && std >= 0.0) => Err(Error::InvalidHyperparameter {
                name: "initial standard deviation",
                rule: "finite and >= 0",
                value: std,
            }),
            _ => Ok(()),
        }
    }

    /// One draw for a layer of `fan_in` inputs and `fan_out` neurons.
    pub fn sample(&self, rng: &mut Rng, fan_in: usize, fan_out: usize) -> f64 {
        // The sum in f64: fan_in + fan_out may not fit in a usize.
        let (fan_in, fan_sum) = (fan_in.max(1) as f64, (fan_in as f64 + fan_out as f64).max(1.0));
        let uniform = |rng: &mut Rng, r: f64| r * (2.0 * rng.uniform() - 1.0);
        match *self {
            Init::XavierUniform => uniform(rng, (6.0 / fan_sum).sqrt()),
            Init::XavierNormal => rng.normal() * (2.0 / fan_sum).sqrt(),
            Init::HeUniform => uniform(rng, (6.0 / fan_in).sqrt()),
            Init::HeNormal => rng.normal() * (2.0 / fan_in).sqrt(),
            Init::LeCunNormal => rng.normal() * (1.0 / fan_in).sqrt(),
            Init::LeCunUniform => uniform(rng, (3.0 / fan_in).sqrt()),
            Init::Normal { std } => rng.normal() * std,
            Init::Zeros => 0.0,
        }
    }

    /// A `fan_out`×`fan_in` weight matrix (row j = neuron j), drawn row by row.
    ///
    /// ```
    /// use backprop::{Init, Rng};
    ///
    /// let (fan_in, fan_out) = (20, 10);
    /// let w = Init::XavierUniform.weights::<f64>(&mut Rng::new(1), fan_in, fan_out);
    /// assert_eq!(w.shape(), (fan_out, fan_in)); // row j holds the weights into neuron j
    /// let r = (6.0 / (fan_in + fan_out) as f64).sqrt();
    /// assert!(w.as_slice().iter().all(|x| x.abs() <= r)); // U(−r, r)
    /// assert_eq!(w, Init::XavierUniform.weights(&mut Rng::new(1), fan_in, fan_out)); // seeded
    /// ```
    ///
    /// # Panics
    /// As [`Matrix::zeros`], if the matrix is too large to allocate.
    #[track_caller]
    pub fn weights<T: Float>(&self, rng: &mut Rng, fan_in: usize, fan_out: usize) -> Matrix<T> {
        let mut w = Matrix::zeros(fan_out, fan_in);
        self.fill(rng, &mut w);
        w
    }

    /// Draws every element of the weight matrix `w` (fan-out × fan-in), row by row, as
    /// [`weights`](Self::weights) does.
    pub(crate) fn fill<T: Float>(&self, rng: &mut Rng, w: &mut Matrix<T>) {
        let (fan_out, fan_in) = w.shape();
        for x in w.as_mut_slice() {
            *x = T::from_f64(self.sample(rng, fan_in, fan_out));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeding_matches_the_splitmix64_reference() {
        // SplitMix64 from state 0: the published first four outputs.
        let rng = Rng::new(0);
        assert_eq!(rng.state, [0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4, 0x06c45d188009454f, 0xf88bb8a8724c81ec]);
    }

    #[test]
    fn output_matches_an_independent_xoshiro256starstar() {
        // Computed with a separate implementation of the published algorithm.
        let mut rng = Rng::new(0);
        assert_eq!(
            [rng.next_u64(), rng.next_u64(), rng.next_u64()],
            [0x99ec5f36cb75f2b4, 0xbf6e1f784956452a, 0x1a5f849d4933e6e0]
        );
        let mut rng = Rng::new(42);
        assert_eq!(
            [rng.next_u64(), rng.next_u64(), rng.next_u64()],
            [0x15780b2e0c2ec716, 0x6104d9866d113a7e, 0xae17533239e499a1]
        );
    }

    #[test]
    fn a_restored_state_continues_the_sequence() {
        let mut rng = Rng::new(0);
        rng.next_u64();
        let mut resumed = Rng::from_state(rng.state()).unwrap();
        assert_eq!([resumed.next_u64(), resumed.next_u64()], [0xbf6e1f784956452a, 0x1a5f849d4933e6e0]);
        // Any state but all zeros is one.
        assert!(Rng::from_state([0, 0, 0, 1]).is_ok());
        let e = Rng::from_state([0; 4]).unwrap_err().to_string();
        assert!(e.contains("the all-zero state is not a state of the generator"), "{e}");
    }

    #[test]
    fn same_seed_same_sequence_different_seed_different_sequence() {
        let draw = |seed| {
            let mut rng = Rng::new(seed);
            (0..100).map(|_| rng.next_u64()).collect::<Vec<_>>()
        };
        assert_eq!(draw(1), draw(1));
        assert_ne!(draw(1), draw(2));
    }

    const N: usize = 100_000;

    #[test]
    fn uniform_is_in_range_with_mean_one_half_and_variance_one_twelfth() {
        let mut rng = Rng::new(1);
        let xs: Vec<f64> = (0..N).map(|_| rng.uniform()).collect();
        assert!(xs.iter().all(|x| (0.0..1.0).contains(x)));
        let (mean, var) = mean_var(&xs);
        // Standard error of the mean: √(1/12 / 10⁵) ≈ 0.0009; the bounds are ~10 of them.
        assert!((mean - 0.5).abs() < 0.01, "mean {mean}");
        assert!((var - 1.0 / 12.0).abs() < 0.005, "variance {var}");
    }

    #[test]
    fn normal_has_mean_zero_and_variance_one() {
        let mut rng = Rng::new(2);
        let xs: Vec<f64> = (0..N).map(|_| rng.normal()).collect();
        assert!(xs.iter().all(|x| x.is_finite()));
        let (mean, var) = mean_var(&xs);
        // Standard errors: 0.003 for the mean, about 0.0045 for the variance.
        assert!(mean.abs() < 0.03, "mean {mean}");
        assert!((var - 1.0).abs() < 0.05, "variance {var}");
        // About 4.55% of draws fall outside ±2σ.
        let outside = xs.iter().filter(|x| x.abs() > 2.0).count() as f64 / N as f64;
        assert!((outside - 0.0455).abs() < 0.01, "fraction outside ±2: {outside}");
    }

    #[test]
    fn below_covers_every_value_evenly() {
        let mut rng = Rng::new(3);
        let mut counts = [0usize; 7];
        for _ in 0..70_000 {
            counts[rng.below(7)] += 1;
        }
        // Each count is about 10 000 ± 93 (one standard deviation).
        assert!(counts.iter().all(|&c| (9_000..11_000).contains(&c)), "{counts:?}");
        assert_eq!(Rng::new(4).below(1), 0);
        assert!(Rng::new(5).below(usize::MAX) < usize::MAX);
    }

    #[test]
    #[should_panic(expected = "n > 0")]
    fn below_zero_panics() {
        Rng::new(0).below(0);
    }

    #[test]
    fn shuffle_is_a_permutation_and_reaches_every_position() {
        let mut rng = Rng::new(6);
        let mut first_positions = [0usize; 5];
        for _ in 0..5_000 {
            let mut items = [0, 1, 2, 3, 4];
            rng.shuffle(&mut items);
            let mut sorted = items;
            sorted.sort();
            assert_eq!(sorted, [0, 1, 2, 3, 4]);
            first_positions[items[0]] += 1;
        }
        // Each item lands first about 1000 ± 28 times.
        assert!(first_positions.iter().all(|&c| (850..1150).contains(&c)), "{first_positions:?}");
        let mut empty: [u8; 0] = [];
        rng.shuffle(&mut empty);
        let mut one = [9];
        rng.shuffle(&mut one);
        assert_eq!(one, [9]);
    }

    fn mean_var(xs: &[f64]) -> (f64, f64) {
        let n = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
        (mean, var)
    }

    #[test]
    fn initialisers_have_their_variance() {
        let mut rng = Rng::new(11);
        let (fan_in, fan_out) = (200, 100);
        let var = |init: Init, rng: &mut Rng| {
            let n = 100_000;
            (0..n).map(|_| init.sample(rng, fan_in, fan_out).powi(2)).sum::<f64>() / n as f64
        };
        // Expected variances, checked to within 3 % (the standard error is about 0.5 %).
        for (init, expected) in [
            (Init::XavierUniform, 2.0 / 300.0),
            (Init::XavierNormal, 2.0 / 300.0),
            (Init::HeUniform, 2.0 / 200.0),
            (Init::HeNormal, 2.0 / 200.0),
            (Init::LeCunNormal, 1.0 / 200.0),
            (Init::LeCunUniform, 1.0 / 200.0),
            (Init::Normal { std: 0.5 }, 0.25),
        ] {
            let v = var(init, &mut rng);
            assert!((v / expected - 1.0).abs() < 0.03, "{init:?}: variance {v}, expected {expected}");
        }
        assert_eq!(var(Init::Zeros, &mut rng), 0.0);
    }

    #[test]
    fn uniform_initialisers_stay_in_range() {
        let mut rng = Rng::new(5);
        let r = (6.0f64 / 30.0).sqrt();
        for _ in 0..10_000 {
            assert!(Init::XavierUniform.sample(&mut rng, 20, 10).abs() <= r);
        }
    }

    #[test]
    fn same_seed_same_weights() {
        let a: Matrix<f32> = Init::HeNormal.weights(&mut Rng::new(3), 4, 3);
        let b: Matrix<f32> = Init::HeNormal.weights(&mut Rng::new(3), 4, 3);
        assert_eq!(
            a.as_slice().iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
            b.as_slice().iter().map(|x| x.to_bits()).collect::<Vec<_>>()
        );
    }

    #[test]
    fn bad_parameters_are_refused() {
        assert!(Init::Normal { std: -1.0 }.validate().is_err());
        assert!(Init::Normal { std: f64::NAN }.validate().is_err());
        assert!(Init::Normal { std: 0.1 }.validate().is_ok());
    }
}
