//! `Serialize` and `Deserialize` (feature `serde`) for [`Network`], [`Layer`],
//! [`Matrix`], [`Vector`], [`Activation`], [`Cost`], [`Init`] and [`OptimizerState`].
//!
//! Each type is written through a plain mirror of its public parts and read back through
//! its constructor ([`Matrix::new`], [`Layer::new`], [`Network::from_layers`], …), so
//! a document that breaks a rule of the constructor is an error that says which, never
//! an invalid value. The caches of the last passes, accumulated gradients and the thread
//! count are not written (a deserialised network runs on 1 thread).
//!
//! The forms, as JSON:
//!
//! | type | form |
//! |---|---|
//! | `Matrix` | `{"rows": 2, "cols": 3, "data": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]}`, row-major |
//! | `Vector` | `[1.0, 2.0]` |
//! | `Activation` | `"sigmoid"`, `"tanh"`, `"relu"`, `{"leaky_relu": {"slope": 0.01}}`, `{"elu": {"alpha": 1.0}}`, `"softplus"`, `"identity"`, `"softmax"`, `{"custom": "name"}` |
//! | `Cost` | `"quadratic"`, `"mean_absolute"`, `"binary_cross_entropy"`, `"categorical_cross_entropy"`, `{"custom": "name"}` |
//! | `Init` | `"xavier_uniform"`, `"xavier_normal"`, `"he_uniform"`, `"he_normal"`, `"lecun_normal"`, `"lecun_uniform"`, `{"normal": {"std": 1.0}}`, `"zeros"` |
//! | `Layer` | `{"weights": Matrix, "biases": Vector, "activation": Activation}` |
//! | `Network` | `{"layers": [Layer, …], "cost": Cost}` |
//! | `OptimizerState` | `{"step": 3, "buffers": [["first_moment.0", [0.1, …]], …]}` |
//!
//! A custom activation or cost is written by its name, for the record, but cannot be
//! read back: it is a function of the caller's program, which a name cannot rebuild.
//! Deserialising one fails and says so; rebuild such a network with
//! [`Network::from_layers`] instead.

use serde::de::{self, Deserializer};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};

use crate::error::quoted;
use crate::{Activation, Cost, Float, Init, Layer, Matrix, Network, OptimizerState, Vector};

/// Turns a crate error into the deserialiser's.
fn invalid<E: de::Error>(e: crate::Error) -> E {
    E::custom(e)
}

// ---- Matrix and Vector -----------------------------------------------------------

#[derive(Serialize)]
struct MatrixRef<'a, T> {
    rows: usize,
    cols: usize,
    data: &'a [T],
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMatrix<T> {
    rows: usize,
    cols: usize,
    data: Vec<T>,
}

/// `{"rows": r, "cols": c, "data": [row-major elements]}`.
impl<T: Float + Serialize> Serialize for Matrix<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        MatrixRef { rows: self.rows(), cols: self.cols(), data: self.as_slice() }.serialize(s)
    }
}

/// Checked as [`Matrix::new`] checks: r × c elements.
impl<'de, T: Float + Deserialize<'de>> Deserialize<'de> for Matrix<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let RawMatrix { rows, cols, data } = RawMatrix::deserialize(d)?;
        Matrix::new(rows, cols, data).map_err(invalid)
    }
}

/// The elements as a sequence.
impl<T: Float + Serialize> Serialize for Vector<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.as_slice().serialize(s)
    }
}

/// Any sequence of elements.
impl<'de, T: Float + Deserialize<'de>> Deserialize<'de> for Vector<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Vec::<T>::deserialize(d).map(Vector::from)
    }
}

// ---- Activation, Cost and Init ---------------------------------------------------

/// The form of an [`Activation`]; `N` is the name of a custom one.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum ActivationForm<N> {
    Sigmoid,
    Tanh,
    Relu,
    LeakyRelu { slope: f64 },
    Elu { alpha: f64 },
    Softplus,
    Identity,
    Softmax,
    Custom(N),
}

/// The name of the function, with its parameter if it has one; a custom activation by
/// its name, `{"custom": "name"}`.
impl Serialize for Activation {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let form: ActivationForm<&str> = match *self {
            Activation::Sigmoid => ActivationForm::Sigmoid,
            Activation::Tanh => ActivationForm::Tanh,
            Activation::Relu => ActivationForm::Relu,
            Activation::LeakyRelu { slope } => ActivationForm::LeakyRelu { slope },
            Activation::Elu { alpha } => ActivationForm::Elu { alpha },
            Activation::Softplus => ActivationForm::Softplus,
            Activation::Identity => ActivationForm::Identity,
            Activation::Softmax => ActivationForm::Softmax,
            Activation::Custom(c) => ActivationForm::Custom(c.name()),
        };
        form.serialize(s)
    }
}

/// Every activation but a custom one, which fails with a message that says why. A
/// parameter must be finite (checked again, with the layer size, by [`Layer`]).
impl<'de> Deserialize<'de> for Activation {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let activation = match ActivationForm::<String>::deserialize(d)? {
            ActivationForm::Sigmoid => Activation::Sigmoid,
            ActivationForm::Tanh => Activation::Tanh,
            ActivationForm::Relu => Activation::Relu,
            ActivationForm::LeakyRelu { slope } => Activation::LeakyRelu { slope },
            ActivationForm::Elu { alpha } => Activation::Elu { alpha },
            ActivationForm::Softplus => Activation::Softplus,
            ActivationForm::Identity => Activation::Identity,
            ActivationForm::Softmax => Activation::Softmax,
            ActivationForm::Custom(name) => {
                return Err(de::Error::custom(format!(
                    "the custom activation {} cannot be deserialised: it is a function of the program that \
                     made it; build the layer with Layer::new and the activation instead",
                    quoted(&name)
                )));
            }
        };
        // The parameters' own checks; the size-dependent ones come with the layer.
        activation.check(2).map_err(invalid)?;
        Ok(activation)
    }
}

/// The form of a [`Cost`]; `N` is the name of a custom one.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum CostForm<N> {
    Quadratic,
    MeanAbsolute,
    BinaryCrossEntropy,
    CategoricalCrossEntropy,
    Custom(N),
}

/// The name of the cost; a custom cost by its name, `{"custom": "name"}`.
impl Serialize for Cost {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let form: CostForm<&str> = match *self {
            Cost::Quadratic => CostForm::Quadratic,
            Cost::MeanAbsolute => CostForm::MeanAbsolute,
            Cost::BinaryCrossEntropy => CostForm::BinaryCrossEntropy,
            Cost::CategoricalCrossEntropy => CostForm::CategoricalCrossEntropy,
            Cost::Custom(c) => CostForm::Custom(c.name()),
        };
        form.serialize(s)
    }
}

/// Every cost but a custom one, which fails with a message that says why.
impl<'de> Deserialize<'de> for Cost {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match CostForm::<String>::deserialize(d)? {
            CostForm::Quadratic => Ok(Cost::Quadratic),
            CostForm::MeanAbsolute => Ok(Cost::MeanAbsolute),
            CostForm::BinaryCrossEntropy => Ok(Cost::BinaryCrossEntropy),
            CostForm::CategoricalCrossEntropy => Ok(Cost::CategoricalCrossEntropy),
            CostForm::Custom(name) => Err(de::Error::custom(format!(
                "the custom cost {} cannot be deserialised: it is a function of the program that made it; \
                 build the network with Network::from_layers and the cost instead",
                quoted(&name)
            ))),
        }
    }
}

/// The form of an [`Init`].
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum InitForm {
    XavierUniform,
    XavierNormal,
    HeUniform,
    HeNormal,
    LecunNormal,
    LecunUniform,
    Normal { std: f64 },
    Zeros,
}

/// The initialiser's name, with its standard deviation for `{"normal": {"std": s}}`.
impl Serialize for Init {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let form = match *self {
            Init::XavierUniform => InitForm::XavierUniform,
            Init::XavierNormal => InitForm::XavierNormal,
            Init::HeUniform => InitForm::HeUniform,
            Init::HeNormal => InitForm::HeNormal,
            Init::LeCunNormal => InitForm::LecunNormal,
            Init::LeCunUniform => InitForm::LecunUniform,
            Init::Normal { std } => InitForm::Normal { std },
            Init::Zeros => InitForm::Zeros,
        };
        form.serialize(s)
    }
}

/// Checked as [`Init::validate`] checks: a standard deviation is finite and ≥ 0.
impl<'de> Deserialize<'de> for Init {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let init = match InitForm::deserialize(d)? {
            InitForm::XavierUniform => Init::XavierUniform,
            InitForm::XavierNormal => Init::XavierNormal,
            InitForm::HeUniform => Init::HeUniform,
            InitForm::HeNormal => Init::HeNormal,
            InitForm::LecunNormal => Init::LeCunNormal,
            InitForm::LecunUniform => Init::LeCunUniform,
            InitForm::Normal { std } => Init::Normal { std },
            InitForm::Zeros => Init::Zeros,
        };
        init.validate().map_err(invalid)?;
        Ok(init)
    }
}

// ---- Layer and Network -----------------------------------------------------------

#[derive(Serialize)]
struct LayerRef<'a, T: Float + Serialize> {
    weights: &'a Matrix<T>,
    biases: &'a Vector<T>,
    activation: Activation,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, bound = "T: Float + Deserialize<'de>")]
struct RawLayer<T> {
    weights: Matrix<T>,
    biases: Vector<T>,
    activation: Activation,
}

/// `{"weights": w, "biases": b, "activation": σ}`; not the caches of the last passes.
impl<T: Float + Serialize> Serialize for Layer<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        LayerRef { weights: self.weights(), biases: self.biases(), activation: self.activation_fn() }.serialize(s)
    }
}

/// Checked as [`Layer::new`] checks: one bias per weight row, finite values, an
/// activation that suits the layer.
impl<'de, T: Float + Deserialize<'de>> Deserialize<'de> for Layer<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let RawLayer { weights, biases, activation } = RawLayer::deserialize(d)?;
        Layer::new(weights, biases, activation).map_err(invalid)
    }
}

#[derive(Serialize)]
struct NetworkRef<'a, T: Float + Serialize> {
    layers: &'a [Layer<T>],
    cost: Cost,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, bound = "T: Float + Deserialize<'de>")]
struct RawNetwork<T> {
    layers: Vec<Layer<T>>,
    cost: Cost,
}

/// `{"layers": [layer 0, layer 1, …], "cost": C}`; not the caches, the accumulated
/// gradients or the thread count.
impl<T: Float + Serialize> Serialize for Network<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        NetworkRef { layers: self.layers(), cost: self.cost_fn() }.serialize(s)
    }
}

/// Checked as [`Network::from_layers`] checks: at least one layer, layers that chain, a
/// cost that suits the output layer. The network runs on 1 thread.
impl<'de, T: Float + Deserialize<'de>> Deserialize<'de> for Network<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let RawNetwork { layers, cost } = RawNetwork::deserialize(d)?;
        Network::from_layers(layers, cost).map_err(invalid)
    }
}

// ---- OptimizerState --------------------------------------------------------------

#[derive(Serialize)]
struct StateRef<'a, T> {
    step: u64,
    buffers: &'a [(String, Vec<T>)],
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawState<T> {
    step: u64,
    buffers: Vec<(String, Vec<T>)>,
}

/// `{"step": t, "buffers": [[name, [values]], …]}`.
impl<T: Float + Serialize> Serialize for OptimizerState<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        StateRef { step: self.step, buffers: &self.buffers }.serialize(s)
    }
}

/// Every value must be finite; the buffers' names and sizes are checked by
/// [`Optimizer::set_state`](crate::Optimizer::set_state) and the next step.
impl<'de, T: Float + Deserialize<'de>> Deserialize<'de> for OptimizerState<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let RawState { step, buffers } = RawState::<T>::deserialize(d)?;
        for (name, values) in &buffers {
            if let Some(i) = values.iter().position(|v| !v.is_finite()) {
                return Err(de::Error::custom(format!(
                    "optimiser state buffer {} holds the non-finite value {} at index {i}",
                    quoted(name),
                    values[i]
                )));
            }
        }
        Ok(OptimizerState { step, buffers })
    }
}
