//! [`OptimizerState`], what a checkpoint saves of an optimiser, and what stands behind it
//! while training: the step count and the per-tensor buffers.

use core::fmt;

use super::Params;
use crate::error::Error;
use crate::finite::check_finite;
use crate::{Float, Result};

/// The state of an optimiser between two steps: its step count and named buffers (a
/// velocity, or first and second moments, one buffer per parameter tensor).
///
/// Buffers are named `"{name}.{id}"` with the tensor's [`Param::id`](super::Param::id),
/// e.g. `"first_moment.0"`, `"first_moment.1"`, …, `"second_moment.0"`, …; a family of
/// buffers comes whole before the next. An optimiser that has not stepped yet has no
/// buffers. Saving this, the hyperparameters and the network, then restoring them with
/// [`Optimizer::set_state`](super::Optimizer::set_state), resumes training bit for bit.
///
/// A plain record, built with a struct expression by an optimiser of your own: the step
/// count and the named buffers are the whole of it.
#[derive(Clone, Debug, PartialEq)]
pub struct OptimizerState<T> {
    /// The number of steps taken (Adam's t in its bias correction).
    pub step: u64,
    /// The buffers in order, with their names.
    pub buffers: Vec<(String, Vec<T>)>,
}

impl<T> Default for OptimizerState<T> {
    fn default() -> Self {
        OptimizerState { step: 0, buffers: Vec::new() }
    }
}

/// Which values a buffer may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Range {
    /// Any finite value (a velocity, a first moment).
    Finite,
    /// Finite and ≥ 0 (a mean square, a second moment: its square root is taken).
    NonNegative,
}

/// One buffer per parameter tensor, indexed by [`Param::id`](super::Param::id): empty
/// until the first step sizes it from [`Params::sizes`].
///
/// A step reads the current buffers and writes its new values into a second set, the
/// pending one; [`commit`](Self::commit) swaps the two and [`discard`](Self::discard)
/// leaves the current ones as they were (see [`Optimizer`](super::Optimizer)).
#[derive(Clone)]
pub(super) struct Slots<T> {
    name: &'static str,
    range: Range,
    buffers: Vec<Vec<T>>,
    pending: Vec<Vec<T>>,
    // The current buffers were sized by the step now pending: discarding it empties them.
    fresh: bool,
    // Buffers emptied by such a discard, kept for the next first step to reuse.
    spare: Vec<Vec<T>>,
}

impl<T: Float> Slots<T> {
    pub(super) fn new(name: &'static str, range: Range) -> Self {
        Slots { name, range, buffers: Vec::new(), pending: Vec::new(), fresh: false, spare: Vec::new() }
    }

    /// Sizes the buffers (zeros) on the first step; on later steps checks that `params`
    /// is the network they were sized for. Sizes the pending buffers like them.
    /// Allocates only the first time (and on the first step after a restore).
    pub(super) fn ensure(&mut self, params: &Params<'_, T>) -> Result<()> {
        if self.buffers.is_empty() {
            if self.spare.iter().map(Vec::len).eq(params.sizes()) {
                // Still zeros: a step writes the pending buffers only.
                self.buffers = core::mem::take(&mut self.spare);
            } else {
                self.buffers = params.sizes().map(|n| vec![T::ZERO; n]).collect();
            }
            self.fresh = true;
        } else if !(self.buffers.len() == params.len() && self.buffers.iter().map(Vec::len).eq(params.sizes())) {
            let ours: Vec<usize> = self.buffers.iter().map(Vec::len).collect();
            let theirs: Vec<usize> = params.sizes().collect();
            return Err(Error::Incompatible {
                reason: format!(
                    "the optimiser's {} is sized for tensors of {ours:?} values but the network's tensors have \
                     {theirs:?}; use a new optimiser (or reset it) for another network",
                    self.name
                ),
            });
        }
        if !self.pending.iter().map(Vec::len).eq(self.buffers.iter().map(Vec::len)) {
            self.pending = self.buffers.iter().map(|b| vec![T::ZERO; b.len()]).collect();
        }
        Ok(())
    }

    /// The current buffer of tensor `id` and the pending one a step writes (both sized
    /// by [`ensure`](Self::ensure)).
    pub(super) fn pair(&mut self, id: usize) -> (&[T], &mut [T]) {
        let current = self.buffers.get(id).map_or(&[][..], Vec::as_slice);
        (current, self.pending.get_mut(id).map_or(&mut [][..], Vec::as_mut_slice))
    }

    /// Checks that every pending value is finite.
    ///
    /// # Errors
    /// [`Error::NonFiniteUpdate`] naming the first value that is not, and the layer of
    /// its tensor.
    pub(super) fn check_pending(&self) -> Result<()> {
        for (id, values) in self.pending.iter().enumerate() {
            if let Err(Error::NonFinite { index, value, .. }) = check_finite("optimiser state", values) {
                return Err(Error::NonFiniteUpdate { what: "optimiser state", layer: id / 2, index, value });
            }
        }
        Ok(())
    }

    /// Makes the pending buffers the current ones.
    pub(super) fn commit(&mut self) {
        core::mem::swap(&mut self.buffers, &mut self.pending);
        self.fresh = false;
    }

    /// Drops the pending buffers' values: the current ones stay, or go again if the
    /// discarded step was the one that sized them (their memory is kept for the next).
    pub(super) fn discard(&mut self) {
        if self.fresh {
            self.spare = core::mem::take(&mut self.buffers);
            self.fresh = false;
        }
    }

    /// Forgets the buffers; the next step sizes them anew.
    pub(super) fn clear(&mut self) {
        *self = Slots::new(self.name, self.range);
    }

    fn export(&self, out: &mut Vec<(String, Vec<T>)>) {
        out.extend(self.buffers.iter().enumerate().map(|(id, b)| (format!("{}.{id}", self.name), b.clone())));
    }
}

/// Equal when the current buffers are: the pending ones are a workspace.
impl<T: PartialEq> PartialEq for Slots<T> {
    fn eq(&self, other: &Self) -> bool {
        (self.name, self.range, &self.buffers) == (other.name, other.range, &other.buffers)
    }
}

/// The name and the current buffers (the pending ones are a workspace).
impl<T: fmt::Debug> fmt::Debug for Slots<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Slots").field("name", &self.name).field("buffers", &self.buffers).finish()
    }
}

/// What a stateful optimiser remembers between two steps: its step count and its `N`
/// families of buffers (a velocity; first and second moments), with the transaction of
/// [`Optimizer`](super::Optimizer) and the checkpoint state over all of them.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Memory<T, const N: usize> {
    step: u64,
    families: [Slots<T>; N],
}

impl<T: Float, const N: usize> Memory<T, N> {
    /// No step taken yet, and `families` empty until the first step sizes them.
    pub(super) fn new(families: [Slots<T>; N]) -> Self {
        Memory { step: 0, families }
    }

    /// The number of steps taken (the last one committed).
    pub(super) fn steps(&self) -> u64 {
        self.step
    }

    /// The buffer families, for a step to read the current buffers and write the pending
    /// ones (see [`Slots::pair`]).
    pub(super) fn families_mut(&mut self) -> &mut [Slots<T>; N] {
        &mut self.families
    }

    /// [`Slots::ensure`] for every family: sizes the buffers on the first step, checks
    /// them against `params` on later ones.
    pub(super) fn ensure(&mut self, params: &Params<'_, T>) -> Result<()> {
        self.families.iter_mut().try_for_each(|family| family.ensure(params))
    }

    /// [`Slots::check_pending`] for every family, in order.
    pub(super) fn check_pending(&self) -> Result<()> {
        self.families.iter().try_for_each(Slots::check_pending)
    }

    /// The buffers and the step count of the step just taken become current.
    pub(super) fn commit(&mut self) {
        self.families.iter_mut().for_each(Slots::commit);
        self.step = self.step.saturating_add(1);
    }

    /// Forgets what the step just taken computed (see [`Slots::discard`]).
    pub(super) fn discard(&mut self) {
        self.families.iter_mut().for_each(Slots::discard);
    }

    /// Forgets the buffers and the step count, e.g. to train another network.
    pub(super) fn reset(&mut self) {
        self.step = 0;
        self.families.iter_mut().for_each(Slots::clear);
    }

    /// The step count and every family's buffers, family after family.
    pub(super) fn state(&self) -> OptimizerState<T> {
        export(self.step, &self.families.each_ref())
    }

    /// Restores a state taken by [`state`](Self::state); nothing changes unless it is
    /// valid (see [`restore`]).
    pub(super) fn set_state(&mut self, state: OptimizerState<T>) -> Result<()> {
        self.step = restore(state, &mut self.families.each_mut())?;
        Ok(())
    }
}

/// Collects the state of an optimiser whose buffers are `families`.
fn export<T: Float>(step: u64, families: &[&Slots<T>]) -> OptimizerState<T> {
    let mut buffers = Vec::new();
    for family in families {
        family.export(&mut buffers);
    }
    OptimizerState { step, buffers }
}

/// Checks `state` against `families` and, if it fits, moves its buffers in.
///
/// Nothing changes unless the whole state is valid.
fn restore<T: Float>(state: OptimizerState<T>, families: &mut [&mut Slots<T>]) -> Result<u64> {
    let k = families.len();
    let n = state.buffers.len().checked_div(k).unwrap_or(0);
    if state.buffers.len() != n * k {
        return Err(Error::Incompatible {
            reason: format!(
                "an optimiser state needs {k} families of equally many buffers, got {} buffers",
                state.buffers.len()
            ),
        });
    }
    for (f, family) in families.iter().enumerate() {
        for id in 0..n {
            let (name, values) = &state.buffers[f * n + id];
            let expected = format!("{}.{id}", family.name);
            if *name != expected {
                return Err(Error::Incompatible {
                    reason: format!("optimiser state buffer {} is named {name:?}, expected {expected:?}", f * n + id),
                });
            }
            let first_len = state.buffers[id].1.len();
            if values.len() != first_len {
                return Err(Error::Incompatible {
                    reason: format!(
                        "optimiser state buffer {name:?} has {} values, expected {first_len}",
                        values.len()
                    ),
                });
            }
            check_finite("optimiser state", values)?;
            let negative = match family.range {
                Range::NonNegative => values.iter().position(|v| *v < T::ZERO),
                Range::Finite => None,
            };
            if let Some(index) = negative {
                return Err(Error::Incompatible {
                    reason: format!(
                        "optimiser state buffer {name:?} holds the negative mean square {} at index {index}",
                        values[index]
                    ),
                });
            }
        }
    }
    let mut buffers = state.buffers.into_iter().map(|(_, values)| values);
    for family in families.iter_mut() {
        family.buffers = buffers.by_ref().take(n).collect();
        family.fresh = false;
    }
    Ok(state.step)
}

#[cfg(test)]
mod tests {
    use super::super::testing;
    use super::*;

    /// Velocity-like slots sized for the 2 → 2 test network (tensors of 4 and 2 values).
    fn sized() -> (Slots<f64>, crate::Network<f64>) {
        let mut net = testing::network();
        let mut slots = Slots::new("velocity", Range::Finite);
        slots.ensure(&net.params()).unwrap();
        (slots, net)
    }

    #[test]
    fn a_step_writes_the_pending_buffers_and_commit_makes_them_current() {
        let (mut slots, _net) = sized();
        let (current, pending) = slots.pair(1);
        assert_eq!(current, [0.0, 0.0]);
        pending.copy_from_slice(&[1.5, -2.0]);
        assert_eq!(export(0, &[&slots]).buffers[1], ("velocity.1".to_string(), vec![0.0, 0.0]), "not yet current");
        let before = slots.clone();
        slots.commit();
        assert_eq!(export(0, &[&slots]).buffers[1].1, [1.5, -2.0]);
        assert_ne!(slots, before);
        // Equality and `Debug` look at the current buffers only, not at the workspace.
        let mut same = slots.clone();
        same.pair(0).1.fill(9.0);
        assert_eq!(same, slots);
        assert_eq!(format!("{same:?}"), "Slots { name: \"velocity\", buffers: [[0.0, 0.0, 0.0, 0.0], [1.5, -2.0]] }");
        // A discarded later step leaves the current buffers as they are.
        slots.pair(1).1.fill(4.0);
        slots.discard();
        assert_eq!(export(0, &[&slots]).buffers[1].1, [1.5, -2.0]);
    }

    #[test]
    fn discarding_the_first_step_empties_the_buffers_and_keeps_their_memory() {
        let (mut slots, mut net) = sized();
        let memory = slots.pair(0).0.as_ptr();
        slots.discard();
        assert_eq!(export(0, &[&slots]), OptimizerState::default(), "as before the step");
        slots.ensure(&net.params()).unwrap();
        assert_eq!(slots.pair(0).0.as_ptr(), memory, "the next first step reuses the buffers");
        assert_eq!(
            export(0, &[&slots]).buffers.iter().map(|(_, b)| b.clone()).collect::<Vec<_>>(),
            [vec![0.0; 4], vec![0.0; 2]]
        );
        slots.clear();
        assert_eq!(slots, Slots::new("velocity", Range::Finite));
    }

    #[test]
    fn a_non_finite_pending_value_names_its_layer_and_index() {
        let mut net = testing::deep_network(); // 3 → 4 → 2: tensors 0 to 3
        let mut slots = Slots::new("second_moment", Range::NonNegative);
        slots.ensure(&net.params()).unwrap();
        assert!(slots.check_pending().is_ok());
        for (id, layer) in [(1, 0), (2, 1), (3, 1)] {
            let mut s = slots.clone();
            s.pair(id).1[1] = f64::INFINITY;
            let e = s.check_pending().unwrap_err();
            assert!(
                matches!(e, Error::NonFiniteUpdate { what: "optimiser state", layer: l, index: 1, .. } if l == layer),
                "tensor {id}: {e}"
            );
        }
    }
}
