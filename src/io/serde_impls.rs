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
//! The names are the `Display` and `FromStr` forms of [`Activation`] and [`Cost`], and a
//! string in that form is read too, e.g. `"leaky_relu(0.01)"`. Formats without names
//! write the variant index, in the order of the table above (`custom` last).
//!
//! A custom activation or cost is written by its name, for the record, but cannot be
//! read back: it is a function of the caller's program, which a name cannot rebuild.
//! Deserialising one fails and says so; rebuild such a network with
//! [`Network::from_layers`] instead.

use core::fmt;
use core::str::FromStr;

use serde::de::{self, Deserializer, VariantAccess as _};
use serde::ser::{self, SerializeStructVariant, Serializer};
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
#[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
impl<T: Float + Serialize> Serialize for Matrix<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        MatrixRef { rows: self.n_rows(), cols: self.n_cols(), data: self.as_slice() }.serialize(s)
    }
}

/// Checked as [`Matrix::new`] checks: r × c elements.
#[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
impl<'de, T: Float + Deserialize<'de>> Deserialize<'de> for Matrix<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let RawMatrix { rows, cols, data } = RawMatrix::deserialize(d)?;
        Matrix::new(rows, cols, data).map_err(invalid)
    }
}

/// The elements as a sequence.
#[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
impl<T: Float + Serialize> Serialize for Vector<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.as_slice().serialize(s)
    }
}

/// Any sequence of elements.
#[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
impl<'de, T: Float + Deserialize<'de>> Deserialize<'de> for Vector<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Vec::<T>::deserialize(d).map(Vector::from)
    }
}

// ---- Activation, Cost and Init ---------------------------------------------------

// Activation and Cost use the names of their text form (`Display`, `FromStr`), so that
// no name is written here. Their forms are those the derived enums `ActivationForm` and
// `CostForm` wrote before, variant indices and all, so that every document written
// before reads the same, in every format: a unit variant for a name, a struct variant
// for a parameter, a newtype variant for a custom one's name.

/// The enum name the serde form of an [`Activation`] has always had.
const ACTIVATION_FORM: &str = "ActivationForm";

/// The enum name the serde form of a [`Cost`] has always had.
const COST_FORM: &str = "CostForm";

/// The variant name of a custom activation or cost, `{"custom": "name"}`.
const CUSTOM: &str = "custom";

/// The serde variant index of a built-in value: its place in `built_in`, found by name.
fn variant_index<E: ser::Error>(built_in: &[&str], name: &str) -> Result<u32, E> {
    built_in
        .iter()
        .position(|&n| n == name)
        .and_then(|i| u32::try_from(i).ok())
        .ok_or_else(|| E::custom(format!("{} has no serde variant index", quoted(name))))
}

/// The name of the function, with its parameter if it has one; a custom activation by
/// its name, `{"custom": "name"}`.
#[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
impl Serialize for Activation {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let custom = Activation::BUILT_IN.len() as u32;
        match (*self, self.parameter()) {
            (Activation::Custom(c), _) => s.serialize_newtype_variant(ACTIVATION_FORM, custom, CUSTOM, c.name()),
            (a, None) => {
                s.serialize_unit_variant(ACTIVATION_FORM, variant_index(&Activation::NAMES, a.name())?, a.name())
            }
            (a, Some(([field], value))) => {
                let index = variant_index(&Activation::NAMES, a.name())?;
                let mut v = s.serialize_struct_variant(ACTIVATION_FORM, index, a.name(), 1)?;
                v.serialize_field(field, &value)?;
                v.end()
            }
        }
    }
}

/// Which variant a serde document names, by name or by index.
enum Variant<T> {
    /// A complete value: a name without parameter, or the whole `Display` form of one
    /// with a parameter, e.g. `"leaky_relu(0.01)"`.
    Complete(T),
    /// A variant whose parameter follows as a struct variant's field.
    NeedsParameter(T),
    /// A custom one, whose name follows.
    Custom,
}

/// Reads the variant identifier of an activation or cost: a name (or, for an
/// activation, its whole `Display` form) in self-describing formats, an index in the
/// others.
struct VariantVisitor<T: 'static> {
    built_in: &'static [T],
    names: &'static [&'static str],
    needs_parameter: fn(T) -> bool,
}

impl<T: Copy + FromStr + 'static> VariantVisitor<T> {
    fn by_index(&self, index: usize) -> Option<Variant<T>> {
        match self.built_in.get(index) {
            Some(&t) if (self.needs_parameter)(t) => Some(Variant::NeedsParameter(t)),
            Some(&t) => Some(Variant::Complete(t)),
            None if index == self.built_in.len() => Some(Variant::Custom),
            None => None,
        }
    }
}

impl<'de, T: Copy + FromStr + 'static> de::Visitor<'de> for VariantVisitor<T> {
    type Value = Variant<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "one of {}, or {CUSTOM}", self.names.join(", "))
    }

    fn visit_u64<E: de::Error>(self, index: u64) -> Result<Variant<T>, E> {
        let expected = format!("a variant index up to {}", self.built_in.len());
        usize::try_from(index)
            .ok()
            .and_then(|i| self.by_index(i))
            .ok_or_else(|| E::invalid_value(de::Unexpected::Unsigned(index), &expected.as_str()))
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<Variant<T>, E> {
        if name == CUSTOM {
            return Ok(Variant::Custom);
        }
        match self.names.iter().position(|&n| n == name).and_then(|i| self.by_index(i)) {
            Some(variant) => Ok(variant),
            None => name.parse().map(Variant::Complete).map_err(|_| E::unknown_variant(name, self.names)),
        }
    }

    fn visit_bytes<E: de::Error>(self, bytes: &[u8]) -> Result<Variant<T>, E> {
        match core::str::from_utf8(bytes) {
            Ok(name) => self.visit_str(name),
            Err(_) => Err(E::invalid_value(de::Unexpected::Bytes(bytes), &self)),
        }
    }
}

impl<'de, T: Copy + FromStr + 'static> de::DeserializeSeed<'de> for VariantVisitor<T> {
    type Value = Variant<T>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Variant<T>, D::Error> {
        d.deserialize_identifier(self)
    }
}

/// Reads the one field of a parameter, e.g. `{"slope": s}` for `fields` = `["slope"]`.
struct ParameterVisitor {
    fields: &'static [&'static str; 1],
}

impl<'de> de::Visitor<'de> for ParameterVisitor {
    type Value = f64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [field] = self.fields;
        write!(f, "{{\"{field}\": a number}}")
    }

    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<f64, A::Error> {
        let [field] = *self.fields;
        let mut value = None;
        while let Some(key) = map.next_key::<String>()? {
            if key != field {
                return Err(de::Error::unknown_field(&key, self.fields));
            }
            if value.replace(map.next_value()?).is_some() {
                return Err(de::Error::duplicate_field(field));
            }
        }
        value.ok_or_else(|| de::Error::missing_field(field))
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<f64, A::Error> {
        let value = seq.next_element()?.ok_or_else(|| de::Error::invalid_length(0, &self))?;
        match seq.next_element::<de::IgnoredAny>()? {
            None => Ok(value),
            Some(_) => Err(de::Error::invalid_length(2, &self)),
        }
    }
}

/// Reads an activation from the enum form [`Serialize`] writes.
struct ActivationVisitor;

impl<'de> de::Visitor<'de> for ActivationVisitor {
    type Value = Activation;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an activation, e.g. \"sigmoid\" or {\"leaky_relu\": {\"slope\": 0.01}}")
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<Activation, A::Error> {
        let seed = VariantVisitor {
            built_in: &Activation::BUILT_IN,
            names: &Activation::NAMES,
            needs_parameter: |a: Activation| a.parameter().is_some(),
        };
        match data.variant_seed(seed)? {
            (Variant::Complete(a), v) => v.unit_variant().map(|()| a),
            (Variant::NeedsParameter(a), v) => match a.parameter() {
                Some((fields, _)) => {
                    let value = v.struct_variant(fields, ParameterVisitor { fields })?;
                    Ok(a.with_parameter(value))
                }
                None => v.unit_variant().map(|()| a),
            },
            (Variant::Custom, v) => {
                let name: String = v.newtype_variant()?;
                Err(de::Error::custom(format!(
                    "the custom activation {} cannot be deserialised: it is a function of the program that \
                     made it; build the layer with Layer::new and the activation instead",
                    quoted(&name)
                )))
            }
        }
    }
}

/// Every activation but a custom one, which fails with a message that says why. A
/// parameter must be finite (checked again, with the layer size, by [`Layer`]). The
/// `Display` form, e.g. `"leaky_relu(0.01)"`, is read too.
#[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
impl<'de> Deserialize<'de> for Activation {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let activation = d.deserialize_enum(ACTIVATION_FORM, &Activation::NAMES, ActivationVisitor)?;
        // The parameters' own checks; the size-dependent ones come with the layer.
        activation.check(2).map_err(invalid)?;
        Ok(activation)
    }
}

/// The name of the cost; a custom cost by its name, `{"custom": "name"}`.
#[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
impl Serialize for Cost {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match *self {
            Cost::Custom(c) => s.serialize_newtype_variant(COST_FORM, Cost::BUILT_IN.len() as u32, CUSTOM, c.name()),
            cost => s.serialize_unit_variant(COST_FORM, variant_index(&Cost::NAMES, cost.name())?, cost.name()),
        }
    }
}

/// Reads a cost from the enum form [`Serialize`] writes.
struct CostVisitor;

impl<'de> de::Visitor<'de> for CostVisitor {
    type Value = Cost;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a cost, e.g. \"quadratic\"")
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<Cost, A::Error> {
        let seed = VariantVisitor { built_in: &Cost::BUILT_IN, names: &Cost::NAMES, needs_parameter: |_| false };
        match data.variant_seed(seed)? {
            (Variant::Complete(c) | Variant::NeedsParameter(c), v) => v.unit_variant().map(|()| c),
            (Variant::Custom, v) => {
                let name: String = v.newtype_variant()?;
                Err(de::Error::custom(format!(
                    "the custom cost {} cannot be deserialised: it is a function of the program that made it; \
                     build the network with Network::from_layers and the cost instead",
                    quoted(&name)
                )))
            }
        }
    }
}

/// Every cost but a custom one, which fails with a message that says why.
#[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
impl<'de> Deserialize<'de> for Cost {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_enum(COST_FORM, &Cost::NAMES, CostVisitor)
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
#[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
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
#[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
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
#[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
impl<T: Float + Serialize> Serialize for Layer<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        LayerRef { weights: self.weights(), biases: self.biases(), activation: self.activation() }.serialize(s)
    }
}

/// Checked as [`Layer::new`] checks: one bias per weight row, finite values, an
/// activation that suits the layer.
#[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
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
#[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
impl<T: Float + Serialize> Serialize for Network<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        NetworkRef { layers: self.layers(), cost: self.cost() }.serialize(s)
    }
}

/// Checked as [`Network::from_layers`] checks: at least one layer, layers that chain, a
/// cost that suits the output layer. The network runs on 1 thread.
#[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
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
#[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
impl<T: Float + Serialize> Serialize for OptimizerState<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        StateRef { step: self.step, buffers: &self.buffers }.serialize(s)
    }
}

/// Every value must be finite; the buffers' names and sizes are checked by
/// [`Optimizer::set_state`](crate::Optimizer::set_state) and the next step.
#[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CustomActivation, CustomCost};

    #[derive(Debug)]
    struct Mine;
    impl CustomActivation for Mine {
        fn name(&self) -> &str {
            "mine"
        }
        fn value(&self, z: f64) -> f64 {
            z
        }
        fn derivative(&self, _z: f64, _a: f64) -> f64 {
            1.0
        }
    }
    impl CustomCost for Mine {
        fn name(&self) -> &str {
            "mine"
        }
        fn value(&self, a: f64, y: f64) -> f64 {
            a - y
        }
        fn gradient(&self, _a: f64, _y: f64) -> f64 {
            1.0
        }
    }

    fn json<T: Serialize>(value: &T) -> String {
        serde_json::to_string(value).unwrap()
    }

    #[test]
    fn the_serde_form_is_the_display_form() {
        for a in Activation::BUILT_IN.map(|a| a.with_parameter(0.25)) {
            // A name is its Display; a parameter is the struct variant serde has always written.
            let expected = match a.parameter() {
                None => format!("\"{a}\""),
                Some(([field], value)) => format!("{{\"{}\":{{\"{field}\":{}}}}}", a.name(), json(&value)),
            };
            assert_eq!(json(&a), expected);
            assert_eq!(serde_json::from_str::<Activation>(&expected).unwrap(), a, "{expected}");
            // The Display form is read too.
            assert_eq!(serde_json::from_str::<Activation>(&format!("\"{a}\"")).unwrap(), a, "{a}");
        }
        for c in Cost::BUILT_IN {
            assert_eq!(json(&c), format!("\"{c}\""));
            assert_eq!(serde_json::from_str::<Cost>(&json(&c)).unwrap(), c);
        }
        assert_eq!(json(&Activation::Custom(&Mine)), r#"{"custom":"mine"}"#);
        assert_eq!(json(&Cost::Custom(&Mine)), r#"{"custom":"mine"}"#);
    }

    #[test]
    fn malformed_forms_are_errors() {
        let error = |text: &str| serde_json::from_str::<Activation>(text).unwrap_err().to_string();
        assert!(error(r#""swish""#).starts_with("unknown variant `swish`, expected one of `sigmoid`, `tanh`"));
        assert!(error(r#""leaky_relu""#).contains("expected struct variant"), "{}", error(r#""leaky_relu""#));
        assert!(error(r#"{"leaky_relu": {"alpha": 1}}"#).contains("unknown field `alpha`, expected `slope`"));
        assert!(error(r#"{"leaky_relu": {}}"#).contains("missing field `slope`"));
        assert!(error(r#"{"leaky_relu": {"slope": 1, "slope": 2}}"#).contains("duplicate field `slope`"));
        assert!(error(r#""leaky_relu(inf)""#).contains("leaky ReLU slope must be finite, got inf"));
        assert!(error(r#"{"custom": "mine"}"#).contains("the custom activation \"mine\" cannot be deserialised"));
        let e = serde_json::from_str::<Cost>(r#""hinge""#).unwrap_err().to_string();
        assert!(e.starts_with("unknown variant `hinge`, expected one of `quadratic`, `mean_absolute`"), "{e}");
    }

    #[test]
    fn formats_without_names_read_the_variant_index() {
        use serde::de::IntoDeserializer;
        type Index = de::value::U32Deserializer<de::value::Error>;
        let read = |i: u32| Activation::deserialize::<Index>(i.into_deserializer());
        assert_eq!(read(0).unwrap(), Activation::Sigmoid);
        assert_eq!(read(2).unwrap(), Activation::Relu);
        assert_eq!(read(7).unwrap(), Activation::Softmax);
        assert!(read(3).is_err(), "leaky_relu needs its slope");
        assert!(read(9).is_err());
        let read = |i: u32| Cost::deserialize::<Index>(i.into_deserializer());
        assert_eq!(read(3).unwrap(), Cost::CategoricalCrossEntropy);
        assert!(read(5).is_err());
    }
}
