//! What a row asks to refund: a currency as Mercado Pago names it, an amount
//! (a positive `Decimal` of a size money has, with no more decimals than its
//! currency has) and the request (`full`, or a partial amount), with the
//! canonical text the ledger stores and the key is derived from.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;

use crate::domain::finding::AmountFinding;
use crate::domain::marks::Grouping;

/// An ISO 4217 code as Mercado Pago uses them (three upper-case letters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency([u8; 3]);

/// Decimals of an amount when the row names no currency (BRL, ARS, MXN... all 2).
pub const DEFAULT_DECIMALS: u32 = 2;

/// The currencies Mercado Pago settles in, with the decimals an amount may carry:
/// the engine's one table of them (the sandbox, a crate apart, keeps its own).
pub const CURRENCIES: [(&str, u32); 8] = [
    ("ARS", 2),
    ("BRL", 2),
    ("CLP", 0),
    ("COP", 0),
    ("MXN", 2),
    ("PEN", 2),
    ("USD", 2),
    ("UYU", 2),
];

impl Currency {
    pub const BRL: Currency = Currency(*b"BRL");

    /// How many decimals an amount in this currency may carry.
    pub fn decimals(self) -> u32 {
        CURRENCIES
            .iter()
            .find(|(c, _)| c.as_bytes() == self.0)
            .map_or(DEFAULT_DECIMALS, |&(_, d)| d)
    }

    pub fn as_str(&self) -> &str {
        // Built only from ASCII letters.
        std::str::from_utf8(&self.0).unwrap_or("???")
    }
}

impl FromStr for Currency {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Currency::from_code(s).ok_or_else(|| {
            format!(
                "currency {} is not one Mercado Pago uses ({})",
                crate::domain::excerpt::excerpt(s),
                CURRENCIES.map(|(c, _)| c).join(", ")
            )
        })
    }
}

impl Currency {
    /// The currency `code` names (any case, blanks around), if Mercado Pago uses
    /// it — without the message [`FromStr`] writes for one it does not: sums ask
    /// for every row's, the empty code (none named) most of all.
    pub(crate) fn from_code(code: &str) -> Option<Currency> {
        match code.trim().as_bytes() {
            [a, b, c] => {
                let code = [a, b, c].map(u8::to_ascii_uppercase);
                CURRENCIES
                    .iter()
                    .any(|(k, _)| k.as_bytes() == code)
                    .then_some(Currency(code))
            }
            _ => None,
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A strictly positive amount of money, normalised (no trailing zeros).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Amount(Decimal);

impl Amount {
    /// `None` unless `d` is strictly positive.
    pub fn new(d: Decimal) -> Option<Self> {
        (d > Decimal::ZERO).then(|| Amount(d.normalize()))
    }

    pub fn get(self) -> Decimal {
        self.0
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Integer digits accepted in an amount: far beyond any real refund, and low enough
/// that summing billions of amounts in `plan` cannot overflow a `Decimal`.
pub(crate) const MAX_AMOUNT_DIGITS: usize = 18;

/// What a row asks to refund.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Requested {
    /// The payment's remaining balance (an empty request body).
    Full,
    Partial(Amount),
}

impl Requested {
    /// Canonical text: `full` or the normalised amount. Stored in the ledger and fed
    /// to the key derivation, so it must never change for a given value.
    pub fn canonical(&self) -> String {
        match self {
            Requested::Full => "full".to_owned(),
            Requested::Partial(a) => a.to_string(),
        }
    }

    /// Parses an amount cell: a positive plain number with `.` or
    /// `,` as the decimal mark and at most the currency's decimals, or `full` /
    /// `total`. Errors are user-facing reasons.
    pub fn parse(raw: &str, currency: Option<Currency>) -> Result<Requested, String> {
        Requested::parse_grouped(raw, currency, Grouping::Refused).map_err(|e| e.to_string())
    }

    /// [`Requested::parse`], with thousands grouping read as `grouping` allows
    /// (the file's decimal mark, `crate::domain::marks`); what is wrong, typed.
    pub(crate) fn parse_grouped(
        raw: &str,
        currency: Option<Currency>,
        grouping: Grouping,
    ) -> Result<Requested, AmountFinding> {
        let t = raw.trim();
        let cell = || t.to_owned();
        if t.is_empty() {
            return Err(AmountFinding::Blank);
        }
        let lower = t.to_lowercase();
        if lower == "full" || lower == "total" {
            return Ok(Requested::Full);
        }
        let unsigned = lower.trim_start_matches(['+', '-', '\u{2212}']);
        if matches!(unsigned, "nan" | "inf" | "infinity" | "∞") {
            return Err(AmountFinding::NotANumber { cell: cell() });
        }
        if t.starts_with(['-', '\u{2212}']) || (t.starts_with('(') && t.ends_with(')')) {
            return Err(AmountFinding::NotPositive { cell: cell() });
        }
        if t.starts_with('+') {
            return Err(AmountFinding::Signed { cell: cell() });
        }
        let plain = |c: char| c.is_ascii_digit() || c == '.' || c == ',';
        let mantissa_exponent = lower.split_once('e').filter(|(m, e)| {
            !m.is_empty()
                && m.chars().all(plain)
                && m.chars().any(|c| c.is_ascii_digit())
                && !e.trim_start_matches(['+', '-']).is_empty()
                && e.trim_start_matches(['+', '-'])
                    .chars()
                    .all(|c| c.is_ascii_digit())
        });
        if mantissa_exponent.is_some() {
            return Err(AmountFinding::Scientific { cell: cell() });
        }
        if !t
            .chars()
            .all(|c| plain(c) || c.is_whitespace() || c == '\'')
        {
            return Err(AmountFinding::NotPlain { cell: cell() });
        }
        if !t.chars().any(|c| c.is_ascii_digit()) {
            return Err(AmountFinding::NotANumber { cell: cell() });
        }
        let ungrouped = crate::domain::marks::ungrouped(t, grouping)?;
        let t: &str = &ungrouped;
        let dots = t.matches('.').count();
        let (int, frac) = t.split_once(['.', ',']).unwrap_or((t, ""));
        let decimals = currency.map_or(DEFAULT_DECIMALS, Currency::decimals);
        let too_many = |n: u32, mark| AmountFinding::Decimals {
            cell: raw.trim().to_owned(),
            decimals: n,
            currency,
            allowed: decimals,
            mark,
        };
        // More than two decimals is refused even when they are zeros: "1.000" is a
        // thousand to a pt-BR or es-CL reader, and guessing would refund the wrong sum.
        if frac.len() > DEFAULT_DECIMALS as usize {
            let mark = (frac.len() == 3).then_some(if dots == 1 { '.' } else { ',' });
            return Err(too_many(frac.len() as u32, mark));
        }
        let int = int.trim_start_matches('0');
        if int.len() > MAX_AMOUNT_DIGITS {
            return Err(AmountFinding::TooLarge {
                cell: raw.trim().to_owned(),
            });
        }
        let text = format!(
            "{}.{}",
            if int.is_empty() { "0" } else { int },
            if frac.is_empty() { "0" } else { frac }
        );
        let value = Decimal::from_str_exact(&text).map_err(|_| AmountFinding::NotANumber {
            cell: raw.trim().to_owned(),
        })?;
        let Some(amount) = Amount::new(value) else {
            return Err(AmountFinding::Zero {
                cell: raw.trim().to_owned(),
            });
        };
        if amount.get().scale() > decimals {
            return Err(too_many(amount.get().scale(), None));
        }
        Ok(Requested::Partial(amount))
    }

    /// Inverse of [`Requested::canonical`].
    pub fn from_canonical(s: &str) -> Option<Self> {
        if s == "full" {
            return Some(Requested::Full);
        }
        Decimal::from_str(s)
            .ok()
            .and_then(Amount::new)
            .map(Requested::Partial)
    }
}
