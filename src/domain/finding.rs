//! What is wrong with one row of the spreadsheet, as data: a kind and its
//! values, never a sentence. The command line writes a finding in English
//! through `Display` (the words its users and tests know); the console writes
//! the same finding in the reader's language from its values. A row can have
//! several findings at once — every one is kept so that all can be fixed in
//! one go.
//!
//! Where a finding comes from a part that words its own refusal (an order id,
//! a currency code, a kind), the finding keeps the cell and that part's words:
//! the English reading stays exactly what it was, and the console still says
//! the problem in its own words from the cell.

use std::fmt;

use crate::domain::excerpt::Quoted;
use crate::domain::{Currency, PaymentIdError};

/// Why an amount cell is not an amount to refund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AmountFinding {
    /// Empty: never read as a full refund.
    Blank,
    /// Not a number at all (`abc`, `NaN`, `.`).
    NotANumber {
        cell: String,
    },
    /// Negative, or in accountants' parentheses.
    NotPositive {
        cell: String,
    },
    /// A leading `+`.
    Signed {
        cell: String,
    },
    /// `1.5E+3`: a spreadsheet's display, not the amount.
    Scientific {
        cell: String,
    },
    /// Letters or symbols (`R$ 10`, `12,5O`).
    NotPlain {
        cell: String,
    },
    /// Thousands grouping that cannot be read: `unclear` when the file's own
    /// amounts do not show which mark is the decimal one.
    Separator {
        cell: String,
        unclear: bool,
    },
    /// More decimals than the currency has; `mark`: the `.` or `,` that may
    /// have been meant as a thousands separator (exactly three decimals).
    Decimals {
        cell: String,
        decimals: u32,
        currency: Option<Currency>,
        allowed: u32,
        mark: Option<char>,
    },
    TooLarge {
        cell: String,
    },
    Zero {
        cell: String,
    },
}

impl AmountFinding {
    /// The cell as written (trimmed); empty for a blank one.
    pub fn cell(&self) -> &str {
        match self {
            AmountFinding::Blank => "",
            AmountFinding::NotANumber { cell }
            | AmountFinding::NotPositive { cell }
            | AmountFinding::Signed { cell }
            | AmountFinding::Scientific { cell }
            | AmountFinding::NotPlain { cell }
            | AmountFinding::Separator { cell, .. }
            | AmountFinding::Decimals { cell, .. }
            | AmountFinding::TooLarge { cell }
            | AmountFinding::Zero { cell } => cell,
        }
    }
}

fn decimals_text(n: u32) -> String {
    if n == 1 {
        "1 decimal".to_owned()
    } else {
        format!("{n} decimals")
    }
}

impl fmt::Display for AmountFinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let q = Quoted(self.cell());
        let separator = "has a thousands separator; write it without one (e.g. 1234.56 or 1234,56)";
        match self {
            AmountFinding::Blank => {
                f.write_str("blank amount; write `full` to refund the whole payment")
            }
            AmountFinding::NotANumber { .. } => write!(f, "amount {q} is not a number"),
            AmountFinding::NotPositive { .. } => write!(f, "amount {q} must be positive"),
            AmountFinding::Signed { .. } => write!(f, "amount {q}: write it without a sign"),
            AmountFinding::Scientific { .. } => write!(
                f,
                "amount {q} is in scientific notation; write the plain number (e.g. 1500.00)"
            ),
            AmountFinding::NotPlain { .. } => write!(
                f,
                "amount {q} must be a plain number, without currency symbols or letters"
            ),
            AmountFinding::Separator { unclear: false, .. } => {
                write!(f, "amount {q} {separator}")
            }
            AmountFinding::Separator { unclear: true, .. } => write!(
                f,
                "amount {q} {separator} (the file's amounts do not show one decimal mark, so which one separates thousands is not clear)"
            ),
            AmountFinding::Decimals {
                decimals,
                currency,
                allowed,
                mark,
                ..
            } => {
                write!(f, "amount {q} has {}; ", decimals_text(*decimals))?;
                match (allowed, currency) {
                    (0, Some(c)) => write!(f, "{c} allows no decimals")?,
                    (n, Some(c)) => write!(f, "{c} allows at most {n}")?,
                    (n, None) => write!(f, "at most {n} are allowed")?,
                }
                match mark {
                    Some(m) => write!(f, " (if the {m:?} separates thousands, remove it)"),
                    None => Ok(()),
                }
            }
            AmountFinding::TooLarge { .. } => write!(f, "amount {q} is too large"),
            AmountFinding::Zero { .. } => write!(f, "amount {q} is zero; nothing to refund"),
        }
    }
}

/// One thing wrong with a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// Not as many cells as the header; `comma`: a comma file with more, where
    /// an unquoted decimal comma is the likely cause.
    FieldCount {
        got: usize,
        want: usize,
        comma: bool,
    },
    /// A cell spanning lines that holds what look like further rows.
    SwallowedRows {
        column: String,
        line: u64,
    },
    /// A byte neither UTF-8 nor Windows-1252.
    UndefinedByte {
        column: String,
        byte: u8,
    },
    Amount(AmountFinding),
    PaymentId(PaymentIdError),
    /// The payment id and the order id cells are both blank.
    IdsBlank,
    /// The same payment, amount and reference as an earlier line.
    Duplicate {
        first_line: u64,
    },
    /// A currency code Mercado Pago does not use; `said`: its refusal.
    Currency {
        cell: String,
        said: String,
    },
    /// A kind that is none of the known ones; `said`: its refusal.
    Kind {
        cell: String,
        said: String,
    },
    /// An order row's id, transaction or kind that does not fit; `said`: the
    /// order reader's refusal (the console shows it as the detail).
    Order {
        said: String,
    },
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Finding::FieldCount { got, want, comma } => {
                write!(f, "has {got} fields but the header has {want}")?;
                if *comma {
                    f.write_str(
                        " (a cell containing a comma, such as a decimal comma, must be quoted)",
                    )?;
                }
                Ok(())
            }
            Finding::SwallowedRows { column, line } => write!(
                f,
                "column {column:?} runs over several lines and holds what look like further rows: a quote opened on line {line} and closed too late? (those rows would be lost)"
            ),
            Finding::UndefinedByte { column, byte } => write!(
                f,
                "column {column:?} contains byte 0x{byte:02X}, which is neither UTF-8 nor Windows-1252; re-export the file as \"CSV UTF-8\""
            ),
            Finding::Amount(a) => a.fmt(f),
            Finding::PaymentId(e) => e.fmt(f),
            Finding::IdsBlank => f.write_str("payment id and order id are blank"),
            Finding::Duplicate { first_line } => write!(
                f,
                "duplicates line {first_line} (same payment, amount and reference); pass --allow-duplicates if intended"
            ),
            Finding::Currency { said, .. }
            | Finding::Kind { said, .. }
            | Finding::Order { said } => f.write_str(said),
        }
    }
}

/// Every finding of one row, in the order of the cells a person checks.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Findings(pub Vec<Finding>);

impl Findings {
    pub fn one(f: Finding) -> Findings {
        Findings(vec![f])
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Finding> {
        self.0.iter()
    }
}

/// The command line's reading: every finding, joined by `; `.
impl fmt::Display for Findings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, one) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            one.fmt(f)?;
        }
        Ok(())
    }
}

impl From<Findings> for String {
    fn from(f: Findings) -> String {
        f.to_string()
    }
}
