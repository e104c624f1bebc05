//! [`Error`], the one error type of the crate, and its [`Result`] alias.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// `Result<T, backprop::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in the crate's fallible operations.
///
/// Each variant carries the values that went wrong, and its `Display` names them, e.g.
/// "input has 3 values but the network's first layer expects 2".
///
/// ```
/// use backprop::{Activation, Error, Network};
///
/// let mut net = Network::<f64>::builder(2).layer(1, Activation::Sigmoid).build()?;
/// let err = net.forward(&[1.0, 2.0, 3.0]).unwrap_err();
/// assert!(matches!(err, Error::ShapeMismatch { expected: 2, found: 3, .. }));
/// assert_eq!(err.to_string(), "input has 3 values but the network's first layer expects 2");
/// # Ok::<(), backprop::Error>(())
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A vector or matrix has a different size than the operation needs.
    ShapeMismatch {
        /// What has the wrong size, e.g. "input" or "target".
        what: &'static str,
        /// What it has to match, e.g. "the network's first layer".
        against: &'static str,
        /// The size required.
        expected: usize,
        /// The size given.
        found: usize,
    },
    /// A matrix was given a number of elements that does not fit its shape.
    MatrixShape {
        /// Rows asked for.
        rows: usize,
        /// Columns asked for.
        cols: usize,
        /// Elements given.
        len: usize,
    },
    /// A matrix too large to have: `rows · cols` elements overflow a `usize`, take more
    /// bytes than an allocation may (`isize::MAX`), or the allocator could not provide them.
    TooLarge {
        /// What was to be made, e.g. "a matrix" or "the weights of layer 0".
        what: &'static str,
        /// Rows asked for.
        rows: usize,
        /// Columns asked for.
        cols: usize,
    },
    /// A network was built without any layer.
    EmptyNetwork,
    /// A layer (or the input) was given zero neurons.
    ZeroSizedLayer {
        /// Which layer, counted from 0 for the first layer after the input; `None` for
        /// the input itself.
        layer: Option<usize>,
    },
    /// A hyperparameter is outside its valid range.
    InvalidHyperparameter {
        /// The hyperparameter's name, e.g. "learning rate".
        name: &'static str,
        /// The rule it must satisfy, e.g. "finite and > 0".
        rule: &'static str,
        /// The value given.
        value: f64,
    },
    /// An input, target or parameter holds NaN or an infinity.
    NonFinite {
        /// Which data, e.g. "input".
        what: &'static str,
        /// The position of the first non-finite value.
        index: usize,
        /// The value itself.
        value: f64,
    },
    /// A backward pass was asked for without a forward pass before it.
    NoForwardPass,
    /// A batch of targets has a different number of rows than the batch of inputs.
    BatchSizeMismatch {
        /// The number of input rows.
        expected: usize,
        /// The number of target rows.
        found: usize,
    },
    /// An operation needs data but was given none.
    EmptyData {
        /// What was empty, e.g. "dataset" or "accumulated gradient".
        what: &'static str,
    },
    /// A combination of settings that makes no sense, e.g. a softmax output with the
    /// binary cross-entropy cost.
    Incompatible {
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// A file or byte stream is not in the expected format.
    Format {
        /// What is wrong with it.
        reason: String,
        /// The byte offset at which the problem was found, when one is known.
        offset: Option<u64>,
    },
    /// A text that names no value of a type: an [`Activation`](crate::Activation) or a
    /// [`Cost`](crate::Cost) read with `str::parse`.
    UnknownName {
        /// What the text was to name, e.g. "activation" or "cost".
        what: &'static str,
        /// The text that was not understood.
        found: String,
        /// The forms that are understood, e.g. `"sigmoid"` or `"leaky_relu(slope)"`.
        expected: Vec<String>,
    },
    /// An update step would have made a weight, a bias or the optimiser's state NaN or
    /// infinite. It was not applied: the parameters and the optimiser's state are bit for
    /// bit as they were before it (see [`Network::step_with`](crate::Network::step_with)).
    NonFiniteUpdate {
        /// What would have held the value: `"weights"`, `"biases"` or `"optimiser state"`.
        what: &'static str,
        /// The layer l of the tensor (for optimiser state, of the parameter tensor the
        /// state belongs to).
        layer: usize,
        /// The position in the tensor (row-major for weights).
        index: usize,
        /// The value it would have held.
        value: f64,
    },
    /// Training diverged: the cost of a mini-batch, its gradient, or an update step became
    /// NaN or infinite. The training loop stops with this error and leaves the network
    /// with the finite parameters of a completed epoch (see [`Trainer::fit`](crate::Trainer::fit)).
    Diverged {
        /// The epoch, counted from 0.
        epoch: usize,
        /// The mini-batch within the epoch, counted from 0.
        batch: usize,
        /// The mean cost of that mini-batch (NaN or infinite when the cost itself diverged).
        cost: f64,
        /// What became non-finite: `"the cost"`, `"the gradient"`, `"a parameter after
        /// the update"` or `"the optimiser's state after the update"` (those two updates
        /// were refused: see [`Error::NonFiniteUpdate`]).
        what: &'static str,
    },
    /// An I/O operation on a reader or writer failed.
    Io(io::Error),
    /// Reading or writing the file at a path failed: the file cannot be opened, created,
    /// read, written or renamed into place.
    File {
        /// `"read"` or `"write"`.
        action: &'static str,
        /// The path as the caller gave it.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::ShapeMismatch { what, against, expected, found } => {
                write!(f, "{what} has {found} values but {against} expects {expected}")
            }
            Error::MatrixShape { rows, cols, len } => match rows.checked_mul(*cols) {
                Some(n) => write!(f, "a {rows}×{cols} matrix needs {n} elements, got {len}"),
                None => write!(f, "a {rows}×{cols} matrix is too large to address, got {len} elements"),
            },
            Error::TooLarge { what, rows, cols } => {
                write!(f, "{what} of {rows}×{cols} values is too large to allocate")
            }
            Error::EmptyNetwork => write!(f, "a network needs at least one layer"),
            Error::ZeroSizedLayer { layer: None } => write!(f, "the input must have at least one value"),
            Error::ZeroSizedLayer { layer: Some(l) } => write!(f, "layer {l} must have at least one neuron"),
            Error::InvalidHyperparameter { name, rule, value } => {
                write!(f, "{name} must be {rule}, got {value}")
            }
            Error::NonFinite { what, index, value } => {
                write!(f, "{what} holds the non-finite value {value} at index {index}")
            }
            Error::NoForwardPass => write!(f, "backward needs a forward pass over the same samples first"),
            Error::BatchSizeMismatch { expected, found } => {
                write!(f, "the targets have {found} rows but the inputs have {expected}")
            }
            Error::EmptyData { what } => write!(f, "{what} is empty"),
            Error::Incompatible { reason } => write!(f, "{reason}"),
            Error::Format { reason, offset: Some(o) } => write!(f, "malformed data at byte {o}: {reason}"),
            Error::Format { reason, offset: None } => write!(f, "malformed data: {reason}"),
            Error::UnknownName { what, found, expected } => {
                write!(f, "unknown {what} {}, expected one of: {}", quoted(found), expected.join(", "))
            }
            Error::NonFiniteUpdate { what, layer, index, value } => write!(
                f,
                "update not applied: it would make layer {layer} {what} hold {value} at index {index}, and weights, \
                 biases and optimiser state must stay finite (try a lower learning rate or gradient clipping)"
            ),
            Error::Diverged { epoch, batch, cost, what } => {
                write!(f, "training diverged at epoch {epoch}, batch {batch}: ")?;
                if cost.is_finite() {
                    write!(f, "{what} is not finite (the batch cost was {cost})")
                } else {
                    write!(f, "the cost is {cost}")
                }
            }
            Error::Io(e) => write!(f, "i/o error: {e}"),
            Error::File { action, path, source } => write!(f, "cannot {action} {}: {source}", path.display()),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io(e) | Error::File { source: e, .. } => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Error::Io(e)
    }
}

impl Error {
    /// The error of reading (`action` "read") or writing ("write") the file at `path`:
    /// an I/O error becomes [`Error::File`], naming the path; any other passes unchanged.
    pub(crate) fn in_file(self, action: &'static str, path: &Path) -> Error {
        match self {
            Error::Io(source) => Error::File { action, path: path.to_path_buf(), source },
            e => e,
        }
    }
}

/// The most characters an error message shows of one piece of input text, between the
/// quotes; see [`quoted`].
pub(crate) const QUOTE_LIMIT: usize = 80;

/// The most items an error message shows of one list taken from the input (the
/// dimensions of a shape); see [`listed`].
pub(crate) const LIST_LIMIT: usize = 8;

/// `text` as every error message quotes a piece of a file or of the caller's input: in
/// double quotes, escaped as Rust's `{:?}` escapes a string (`\"`, `\\`, `\n`, `\r`, `\t`,
/// `\0`, `\u{1b}`, …), so that no control character reaches a terminal raw, and at most
/// [`QUOTE_LIMIT`] characters between the quotes: a longer text is cut there and marked
/// with `…` after the closing quote. A message therefore stays short whatever the input.
pub(crate) fn quoted(text: &str) -> Quoted<'_> {
    Quoted(text)
}

/// The [`Display`](fmt::Display) of [`quoted`].
pub(crate) struct Quoted<'a>(&'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use fmt::Write as _;
        f.write_char('"')?;
        let mut room = QUOTE_LIMIT;
        for c in self.0.chars() {
            // As `{:?}` of a `str`: a single quote needs no escape between double quotes.
            let escaped = c.escape_debug();
            let width = if c == '\'' { 1 } else { escaped.len() };
            if width > room {
                return f.write_str("\"…");
            }
            room -= width;
            if c == '\'' { f.write_char(c)? } else { write!(f, "{escaped}")? }
        }
        f.write_char('"')
    }
}

/// `items` as every error message lists values taken from the input: separated by
/// `separator`, and at most [`LIST_LIMIT`] of them, followed by `…` and how many more
/// there are, e.g. `1, 1, 1, 1, 1, 1, 1, 1, … (999992 more)`.
pub(crate) fn listed<'a, T: fmt::Display>(items: &'a [T], separator: &'a str) -> Listed<'a, T> {
    Listed { items, separator }
}

/// The [`Display`](fmt::Display) of [`listed`].
pub(crate) struct Listed<'a, T> {
    items: &'a [T],
    separator: &'a str,
}

impl<T: fmt::Display> fmt::Display for Listed<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, item) in self.items.iter().take(LIST_LIMIT).enumerate() {
            if i > 0 {
                f.write_str(self.separator)?;
            }
            write!(f, "{item}")?;
        }
        if let Some(more) = self.items.len().checked_sub(LIST_LIMIT).filter(|&n| n > 0) {
            write!(f, "{}… ({more} more)", self.separator)?;
        }
        Ok(())
    }
}

/// A tensor's shape as error messages show it: `[2, 3]`, its dimensions [`listed`].
pub(crate) fn shape_text(dims: &[usize]) -> String {
    format!("[{}]", listed(dims, ", "))
}

/// Checks a thread count: at least 1.
pub(crate) fn check_threads(threads: usize) -> Result<()> {
    if threads == 0 {
        Err(Error::InvalidHyperparameter { name: "thread count", rule: "at least 1", value: 0.0 })
    } else {
        Ok(())
    }
}

/// Checks that a vector has the length an operation needs.
pub(crate) fn check_len(what: &'static str, against: &'static str, expected: usize, found: usize) -> Result<()> {
    if expected == found { Ok(()) } else { Err(Error::ShapeMismatch { what, against, expected, found }) }
}

/// Checks that a hyperparameter is finite and > 0.
pub(crate) fn check_positive<T: crate::Float>(name: &'static str, value: T) -> Result<()> {
    if value.is_finite() && value > T::ZERO {
        Ok(())
    } else {
        Err(Error::InvalidHyperparameter { name, rule: "finite and > 0", value: value.to_f64() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_values() {
        let e = Error::ShapeMismatch { what: "input", against: "the network's first layer", expected: 2, found: 3 };
        assert_eq!(e.to_string(), "input has 3 values but the network's first layer expects 2");
        let e = Error::InvalidHyperparameter { name: "learning rate", rule: "finite and > 0", value: -1.0 };
        assert_eq!(e.to_string(), "learning rate must be finite and > 0, got -1");
        let e = Error::Diverged { epoch: 3, batch: 17, cost: f64::NAN, what: "the cost" };
        assert_eq!(e.to_string(), "training diverged at epoch 3, batch 17: the cost is NaN");
        let e = Error::NonFiniteUpdate { what: "biases", layer: 1, index: 3, value: f64::NEG_INFINITY };
        assert_eq!(
            e.to_string(),
            "update not applied: it would make layer 1 biases hold -inf at index 3, and weights, biases and \
             optimiser state must stay finite (try a lower learning rate or gradient clipping)"
        );
        let e = Error::UnknownName {
            what: "activation",
            found: "swish".into(),
            expected: vec!["sigmoid".into(), "leaky_relu(slope)".into()],
        };
        assert_eq!(e.to_string(), "unknown activation \"swish\", expected one of: sigmoid, leaky_relu(slope)");
        let e = Error::Diverged { epoch: 0, batch: 2, cost: 0.5, what: "the gradient" };
        assert_eq!(
            e.to_string(),
            "training diverged at epoch 0, batch 2: the gradient is not finite (the batch cost was 0.5)"
        );
    }

    #[test]
    fn quoted_text_is_escaped_and_bounded() {
        assert_eq!(quoted("abc").to_string(), "\"abc\"");
        assert_eq!(quoted("").to_string(), "\"\"");
        // Control characters never appear raw; quotes and backslashes are escaped.
        assert_eq!(quoted("a\rb\0c\n\t\u{1b}").to_string(), r#""a\rb\0c\n\t\u{1b}""#);
        assert_eq!(quoted("say \"hi\" it's a\\b").to_string(), r#""say \"hi\" it's a\\b""#);
        assert_eq!(quoted("é😀").to_string(), "\"é😀\"");
        // The same text as `{:?}` for everything short.
        for s in ["layers.0.weight", "quote\"and\\slash\n", "é😀\u{1}", "'", "\u{7f}"] {
            assert_eq!(quoted(s).to_string(), format!("{s:?}"), "{s:?}");
        }
        // Exactly the limit: whole; one more character: cut, and marked after the quote.
        let at_limit = "x".repeat(QUOTE_LIMIT);
        assert_eq!(quoted(&at_limit).to_string(), format!("\"{at_limit}\""));
        assert_eq!(quoted(&format!("{at_limit}y")).to_string(), format!("\"{at_limit}\"…"));
        // The limit counts escaped characters: 80 of them, whatever the input.
        let zeros = quoted(&"\0".repeat(1_000_000)).to_string();
        assert_eq!(zeros, format!("\"{}\"…", r"\0".repeat(QUOTE_LIMIT / 2)));
        let controls = quoted(&"\u{1}".repeat(100)).to_string();
        assert_eq!(controls, format!("\"{}\"…", r"\u{1}".repeat(QUOTE_LIMIT / 5)));
        let wide = quoted(&"😀".repeat(1000)).to_string();
        assert_eq!(wide, format!("\"{}\"…", "😀".repeat(QUOTE_LIMIT)));
    }

    #[test]
    fn lists_are_bounded() {
        assert_eq!(shape_text(&[]), "[]");
        assert_eq!(shape_text(&[2, 3]), "[2, 3]");
        let eight = [7; LIST_LIMIT];
        assert_eq!(shape_text(&eight), format!("{eight:?}"));
        assert_eq!(shape_text(&vec![1; 4_000_000]), "[1, 1, 1, 1, 1, 1, 1, 1, … (3999992 more)]");
        assert_eq!(listed(&[9; 9], "×").to_string(), "9×9×9×9×9×9×9×9×… (1 more)");
    }

    #[test]
    fn io_errors_keep_their_source() {
        use std::error::Error as _;
        let e = Error::from(io::Error::new(io::ErrorKind::NotFound, "gone"));
        assert!(e.source().is_some());
        assert_eq!(e.to_string(), "i/o error: gone");
        // Named by the file it happened to; other errors pass unchanged.
        let e = e.in_file("read", Path::new("data/train.csv"));
        assert_eq!(e.to_string(), "cannot read data/train.csv: gone");
        assert_eq!(e.source().map(ToString::to_string).as_deref(), Some("gone"));
        let other = Error::EmptyData { what: "x" }.in_file("write", Path::new("a"));
        assert!(matches!(other, Error::EmptyData { what: "x" }));
    }
}
