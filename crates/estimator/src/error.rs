//! The one error type of the estimator.
//!
//! Every failure a reader can cause — a config.json with a missing field, a
//! dimension that does not divide, a product that would overflow — becomes an
//! [`EstimateError`] whose message says what to fix. Nothing in this crate
//! panics on input.

use std::fmt;

/// Why an estimate could not be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EstimateError {
    /// A required field is absent from a config.
    MissingField { field: String },
    /// A field is present but has the wrong type or an impossible value.
    InvalidField { field: String, reason: String },
    /// The config's `model_type` is not one of the families we model exactly;
    /// `supported` lists the ones we do (filled where the config is read, so
    /// formatting an error never pulls the family table into a bundle).
    UnsupportedModelType { model_type: String, supported: String },
    /// The config text is not valid JSON, or not a JSON object.
    MalformedConfig { reason: String },
    /// An input is outside the range the estimator accepts.
    OutOfRange { what: String, reason: String },
    /// An intermediate product does not fit in 64 bits.
    Overflow { what: String },
    /// A name (preset, dtype, device…) that we do not know.
    UnknownName { kind: &'static str, name: String, known: String },
}

impl fmt::Display for EstimateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingField { field } => write!(f, "config is missing the field `{field}`"),
            Self::InvalidField { field, reason } => write!(f, "field `{field}`: {reason}"),
            Self::UnsupportedModelType { model_type, supported } => {
                write!(f, "model_type `{model_type}` is not supported; supported: {supported}")
            }
            Self::MalformedConfig { reason } => write!(f, "config is not valid JSON: {reason}"),
            Self::OutOfRange { what, reason } => write!(f, "{what}: {reason}"),
            Self::Overflow { what } => {
                write!(f, "{what} is too large to compute (exceeds 64-bit range)")
            }
            Self::UnknownName { kind, name, known } => {
                write!(f, "unknown {kind} `{name}`; known: {known}")
            }
        }
    }
}

impl std::error::Error for EstimateError {}

/// Result alias used throughout the crate.
pub type Result<T> = std::result::Result<T, EstimateError>;

/// Checked arithmetic that names the quantity when it overflows.
pub(crate) trait Checked: Sized {
    fn mul_or(self, rhs: Self, what: &str) -> Result<Self>;
    fn add_or(self, rhs: Self, what: &str) -> Result<Self>;
}

impl Checked for u64 {
    fn mul_or(self, rhs: Self, what: &str) -> Result<Self> {
        self.checked_mul(rhs).ok_or_else(|| EstimateError::Overflow { what: what.to_string() })
    }
    fn add_or(self, rhs: Self, what: &str) -> Result<Self> {
        self.checked_add(rhs).ok_or_else(|| EstimateError::Overflow { what: what.to_string() })
    }
}

/// Multiplies all factors, naming `what` on overflow.
pub(crate) fn product(factors: &[u64], what: &str) -> Result<u64> {
    factors.iter().try_fold(1u64, |acc, &x| acc.mul_or(x, what))
}

/// `ceil(a / b)` for `b > 0`; returns 0 when `b == 0` so callers never divide by zero.
pub(crate) fn ceil_div(a: u64, b: u64) -> u64 {
    match a.checked_div(b) {
        Some(q) => q + u64::from(a % b != 0),
        None => 0,
    }
}

/// Converts a float that must be finite and non-negative into a result.
pub(crate) fn finite(x: f64, what: &str) -> Result<f64> {
    if x.is_finite() {
        Ok(x)
    } else {
        Err(EstimateError::Overflow { what: what.to_string() })
    }
}
