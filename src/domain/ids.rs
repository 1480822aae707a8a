//! The identifiers a row carries: Mercado Pago's payment id, validated when
//! built (a positive integer the state file can hold), and the row's
//! idempotency key (what Mercado Pago accepts in `X-Idempotency-Key`).

use std::fmt;
use std::str::FromStr;

/// A Mercado Pago payment id: a positive integer no larger than `i64::MAX`, the
/// largest the state file (SQLite `INTEGER`) holds — a larger one would be
/// stored negative and read back as a corrupt row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PaymentId(u64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaymentIdError {
    #[error("payment id is blank")]
    Blank,
    // The texts are excerpts (`crate::domain::excerpt`), already quoted.
    #[error(
        "payment id {0} looks like scientific notation (a spreadsheet reformatted it); export the column as text"
    )]
    Scientific(String),
    #[error("payment id {0} is not a positive whole number")]
    NotNumeric(String),
    #[error("payment id {0} is too long")]
    TooLong(String),
    #[error("payment id {0} is larger than any payment id can be (at most {max})", max = PaymentId::MAX)]
    OutOfRange(String),
}

impl PaymentId {
    /// The largest id the state file can store.
    pub const MAX: u64 = i64::MAX as u64;

    pub fn new(id: u64) -> Option<Self> {
        (id > 0 && id <= Self::MAX).then_some(Self(id))
    }

    pub fn get(self) -> u64 {
        self.0
    }
}

impl FromStr for PaymentId {
    type Err = PaymentIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let q = || crate::domain::excerpt::excerpt(t);
        if t.is_empty() {
            return Err(PaymentIdError::Blank);
        }
        if t.contains(['E', 'e'])
            && t.chars().any(|c| c.is_ascii_digit())
            && t.contains(['+', '.', ','])
        {
            return Err(PaymentIdError::Scientific(q()));
        }
        if !t.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PaymentIdError::NotNumeric(q()));
        }
        if t.len() > 19 {
            return Err(PaymentIdError::TooLong(q()));
        }
        let n: u64 = t.parse().map_err(|_| PaymentIdError::OutOfRange(q()))?;
        if n > PaymentId::MAX {
            return Err(PaymentIdError::OutOfRange(q()));
        }
        PaymentId::new(n).ok_or_else(|| PaymentIdError::NotNumeric(q()))
    }
}

impl fmt::Display for PaymentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The `X-Idempotency-Key` of a row: 1 to 64 characters of `[A-Za-z0-9_-]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn new(s: impl Into<String>) -> Option<Self> {
        let s = s.into();
        let ok = (1..=64).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        ok.then_some(IdempotencyKey(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
