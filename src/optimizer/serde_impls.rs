//! `Serialize` and `Deserialize` (feature `serde`) for the optimisers: [`Sgd`],
//! [`Momentum`], [`RmsProp`], [`Adam`], [`AdamW`] and [`Clipped`], and [`MomentumKind`]
//! (`"classical"` or `"nesterov"`).
//!
//! An optimiser is written as its hyperparameters and, for one that keeps state, its
//! [`OptimizerState`] under `"state"`, e.g. for Adam
//! `{"learning_rate": 0.001, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8,
//! "weight_decay": 0.0, "state": {"step": 0, "buffers": []}}`. It is read back through
//! its constructor and setters, so every hyperparameter is checked as they check it,
//! then through [`Optimizer::set_state`]; `"state"` may be left out for a fresh
//! optimiser (a configuration file). [`Clipped`] is `{"inner": optimiser, "max_norm": c}`.

use serde::de::{self, Deserializer};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};

use super::adam::{Decay, Moments};
use super::{Adam, AdamW, Clipped, Momentum, MomentumKind, Optimizer, OptimizerState, RmsProp, Sgd};
use crate::Float;

/// Turns a crate error into the deserialiser's.
fn invalid<E: de::Error>(e: crate::Error) -> E {
    E::custom(e)
}

/// [`MomentumKind`]'s form, derived on a mirror rather than on the type itself, so that
/// the impls on the type can carry the feature's mark in the docs (a derive's cannot).
#[derive(Serialize, Deserialize)]
#[serde(rename = "MomentumKind", rename_all = "snake_case")]
enum KindForm {
    Classical,
    Nesterov,
}

/// `"classical"` or `"nesterov"`.
#[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
impl Serialize for MomentumKind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            MomentumKind::Classical => KindForm::Classical,
            MomentumKind::Nesterov => KindForm::Nesterov,
        }
        .serialize(s)
    }
}

/// `"classical"` or `"nesterov"`.
#[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
impl<'de> Deserialize<'de> for MomentumKind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match KindForm::deserialize(d)? {
            KindForm::Classical => MomentumKind::Classical,
            KindForm::Nesterov => MomentumKind::Nesterov,
        })
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SgdForm<T> {
    learning_rate: T,
    weight_decay: T,
}

/// `{"learning_rate": α, "weight_decay": λ}`.
#[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
impl<T: Float + Serialize> Serialize for Sgd<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        SgdForm { learning_rate: self.learning_rate, weight_decay: self.weight_decay }.serialize(s)
    }
}

/// Checked as [`Sgd::new`] and [`Sgd::weight_decay`] check.
#[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
impl<'de, T: Float + Deserialize<'de>> Deserialize<'de> for Sgd<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let f = SgdForm::<T>::deserialize(d)?;
        Sgd::new(f.learning_rate).and_then(|o| o.weight_decay(f.weight_decay)).map_err(invalid)
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, bound(serialize = "T: Float + Serialize", deserialize = "T: Float + Deserialize<'de>"))]
struct MomentumForm<T> {
    learning_rate: T,
    momentum: T,
    kind: MomentumKind,
    weight_decay: T,
    #[serde(default)]
    state: OptimizerState<T>,
}

/// `{"learning_rate": α, "momentum": μ, "kind": …, "weight_decay": λ, "state": …}`.
#[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
impl<T: Float + Serialize> Serialize for Momentum<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        MomentumForm {
            learning_rate: self.learning_rate,
            momentum: self.momentum,
            kind: self.kind,
            weight_decay: self.weight_decay,
            state: self.state(),
        }
        .serialize(s)
    }
}

/// Checked as [`Momentum`]'s constructor, setters and [`Optimizer::set_state`] check.
#[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
impl<'de, T: Float + Deserialize<'de>> Deserialize<'de> for Momentum<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let f = MomentumForm::<T>::deserialize(d)?;
        let mut o = Momentum::new(f.learning_rate)
            .and_then(|o| o.momentum(f.momentum))
            .and_then(|o| o.weight_decay(f.weight_decay))
            .map_err(invalid)?
            .kind(f.kind);
        o.set_state(f.state).map_err(invalid)?;
        Ok(o)
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, bound(serialize = "T: Float + Serialize", deserialize = "T: Float + Deserialize<'de>"))]
struct RmsPropForm<T> {
    learning_rate: T,
    rho: T,
    epsilon: T,
    weight_decay: T,
    #[serde(default)]
    state: OptimizerState<T>,
}

/// `{"learning_rate": α, "rho": ρ, "epsilon": ε, "weight_decay": λ, "state": …}`.
#[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
impl<T: Float + Serialize> Serialize for RmsProp<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        RmsPropForm {
            learning_rate: self.learning_rate,
            rho: self.rho,
            epsilon: self.epsilon,
            weight_decay: self.weight_decay,
            state: self.state(),
        }
        .serialize(s)
    }
}

/// Checked as [`RmsProp`]'s constructor, setters and [`Optimizer::set_state`] check.
#[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
impl<'de, T: Float + Deserialize<'de>> Deserialize<'de> for RmsProp<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let f = RmsPropForm::<T>::deserialize(d)?;
        let mut o = RmsProp::new(f.learning_rate)
            .and_then(|o| o.rho(f.rho))
            .and_then(|o| o.epsilon(f.epsilon))
            .and_then(|o| o.weight_decay(f.weight_decay))
            .map_err(invalid)?;
        o.set_state(f.state).map_err(invalid)?;
        Ok(o)
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, bound(serialize = "T: Float + Serialize", deserialize = "T: Float + Deserialize<'de>"))]
struct AdamForm<T> {
    learning_rate: T,
    beta1: T,
    beta2: T,
    epsilon: T,
    weight_decay: T,
    #[serde(default)]
    state: OptimizerState<T>,
}

impl<T: Float> AdamForm<T> {
    /// The hyperparameters and state of [`Adam`] or [`AdamW`].
    fn of(m: &Moments<T>) -> Self {
        let (learning_rate, beta1, beta2, epsilon) = (m.learning_rate, m.beta1, m.beta2, m.epsilon);
        AdamForm { learning_rate, beta1, beta2, epsilon, weight_decay: m.weight_decay, state: m.memory.state() }
    }

    /// [`Adam`]'s or [`AdamW`]'s moments (as `decay` says), checked as the constructor,
    /// the setters and [`Optimizer::set_state`] check, in that order.
    fn into_moments(self, decay: Decay) -> crate::Result<Moments<T>> {
        let mut m = Moments::new(self.learning_rate, decay)?;
        m.set_betas(self.beta1, self.beta2)?;
        m.set_epsilon(self.epsilon)?;
        m.set_weight_decay(self.weight_decay)?;
        m.memory.set_state(self.state)?;
        Ok(m)
    }
}

/// `{"learning_rate": α, "beta1": β₁, "beta2": β₂, "epsilon": ε, "weight_decay": λ,
/// "state": …}`.
#[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
impl<T: Float + Serialize> Serialize for Adam<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        AdamForm::of(&self.0).serialize(s)
    }
}

/// Checked as [`Adam`]'s constructor, setters and [`Optimizer::set_state`] check.
#[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
impl<'de, T: Float + Deserialize<'de>> Deserialize<'de> for Adam<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        AdamForm::deserialize(d)?.into_moments(Decay::L2).map(Adam).map_err(invalid)
    }
}

/// As [`Adam`], with the decoupled weight decay λ.
#[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
impl<T: Float + Serialize> Serialize for AdamW<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        AdamForm::of(&self.0).serialize(s)
    }
}

/// Checked as [`AdamW`]'s constructor, setters and [`Optimizer::set_state`] check.
#[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
impl<'de, T: Float + Deserialize<'de>> Deserialize<'de> for AdamW<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        AdamForm::deserialize(d)?.into_moments(Decay::Decoupled).map(AdamW).map_err(invalid)
    }
}

#[derive(Serialize)]
struct ClippedRef<'a, O> {
    inner: &'a O,
    max_norm: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClippedForm<O> {
    inner: O,
    max_norm: f64,
}

/// `{"inner": optimiser, "max_norm": c}`.
#[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
impl<O: Serialize> Serialize for Clipped<O> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        ClippedRef { inner: self.inner(), max_norm: self.max_norm() }.serialize(s)
    }
}

/// Checked as [`Clipped::new`] checks: c is finite and > 0.
#[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
impl<'de, O: Deserialize<'de>> Deserialize<'de> for Clipped<O> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let f = ClippedForm::<O>::deserialize(d)?;
        Clipped::new(f.inner, f.max_norm).map_err(invalid)
    }
}
