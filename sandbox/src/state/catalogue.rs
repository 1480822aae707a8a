//! The catalogue: what a payment id means before anyone declared it — ordinary
//! approved BRL payments for ids ending 000–899, and the magic ids 900–999 that
//! stand for the documented error cases — and payments declared by spec.

use rust_decimal::Decimal;
use time::OffsetDateTime;

use super::super::PaymentSpec;
use crate::Kind;

/// Refunds are accepted this many days after approval (the current MP snippet).
pub(crate) const REFUND_WINDOW_DAYS: i64 = 180;
/// How old the "too old" magic payments are.
pub(crate) const TOO_OLD_DAYS: i64 = 200;

/// Payments whose id ends in one of these three digits behave as documented error
/// cases. The single source of the `--help` text and the README table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Magic {
    NotFound,
    TooOld2024,
    TooOld15016,
    Pending,
    Cancelled,
    AlreadyRefunded,
    PartialUnsupported,
    SettlesInProcess,
    Rejected,
    PixContingency,
    Clp,
    CollectorNoBalance,
}

impl Magic {
    pub(crate) const ALL: [(u16, Magic); 12] = [
        (900, Magic::NotFound),
        (901, Magic::TooOld2024),
        (902, Magic::TooOld15016),
        (903, Magic::Pending),
        (904, Magic::Cancelled),
        (905, Magic::AlreadyRefunded),
        (906, Magic::PartialUnsupported),
        (907, Magic::SettlesInProcess),
        (908, Magic::Rejected),
        (909, Magic::PixContingency),
        (910, Magic::Clp),
        (911, Magic::CollectorNoBalance),
    ];

    pub(crate) fn of(id: u64) -> Option<Magic> {
        magic_of(&Self::ALL, (id % 1000) as u16)
    }

    /// (the payment, what a refund POST answers), for the help text and README.
    pub(crate) fn describe(self) -> (&'static str, &'static str) {
        match self {
            Magic::NotFound => (
                "does not exist",
                "404, cause 2000 (advanced: \"404\", \"404002\")",
            ),
            Magic::TooOld2024 => ("approved 200 days ago", "400, cause 2024"),
            Magic::TooOld15016 => ("approved 200 days ago", "400, cause 15016"),
            Magic::Pending => ("status pending", "400, cause 2063"),
            Magic::Cancelled => ("status cancelled", "400, cause 2063"),
            Magic::AlreadyRefunded => ("already fully refunded", "400, cause 2063"),
            Magic::PartialUnsupported => (
                "partial refunds unsupported",
                "partial: 400, cause 3024; full: 201",
            ),
            Magic::SettlesInProcess => ("refund settles later", "201, status in_process"),
            Magic::Rejected => (
                "refund rejected",
                "201, status rejected (balance untouched)",
            ),
            Magic::PixContingency => (
                "Pix in contingency",
                "400, cause 2090; with X-Render-In-Process-Refunds: true → 201 in_process",
            ),
            Magic::Clp => (
                "CLP 10000 (0 decimals)",
                "like ordinary; decimals → 400, cause 4042",
            ),
            Magic::CollectorNoBalance => ("collector has no balance", "400, cause 2091"),
        }
    }
}

/// What an id's last three digits stand for in a table of magic ids (the
/// payments', the orders'), if anything.
pub(crate) fn magic_of<M: Copy>(table: &[(u16, M)], suffix: u16) -> Option<M> {
    table.iter().find(|(s, _)| *s == suffix).map(|(_, m)| *m)
}

/// A payment as the sandbox holds it.
#[derive(Debug, Clone)]
pub(crate) struct Payment {
    pub(crate) id: u64,
    pub(crate) kind: Kind,
    pub(crate) amount: Decimal,
    pub(crate) currency: String,
    pub(crate) decimals: u32,
    pub(crate) status: String,
    pub(crate) date_approved: OffsetDateTime,
    /// Refunded or reserved by non-rejected refunds.
    pub(crate) consumed: Decimal,
    pub(crate) magic: Option<Magic>,
    /// Indices into `State::refunds`, oldest first.
    pub(crate) refunds: Vec<usize>,
}

impl Payment {
    pub(super) fn new(
        id: u64,
        kind: Kind,
        amount: Decimal,
        currency: &str,
        approved: OffsetDateTime,
    ) -> Self {
        Payment {
            id,
            kind,
            amount,
            decimals: currency_decimals(currency),
            currency: currency.to_owned(),
            status: "approved".to_owned(),
            date_approved: approved,
            consumed: Decimal::ZERO,
            magic: None,
            refunds: Vec::new(),
        }
    }

    /// The payment an undeclared id stands for; `None` when it must not exist.
    pub(super) fn implicit(id: u64, kind: Kind, now: OffsetDateTime) -> Option<Self> {
        let hundred = Decimal::new(100, 0);
        let old = now - time::Duration::days(TOO_OLD_DAYS);
        let magic = Magic::of(id);
        let mut p = match magic {
            Some(Magic::NotFound) => return None,
            Some(Magic::TooOld2024 | Magic::TooOld15016) => {
                Payment::new(id, kind, hundred, "BRL", old)
            }
            Some(Magic::Clp) => Payment::new(id, kind, Decimal::new(10_000, 0), "CLP", now),
            _ => Payment::new(id, kind, hundred, "BRL", now),
        };
        match magic {
            Some(Magic::Pending) => p.status = "pending".to_owned(),
            Some(Magic::Cancelled) => p.status = "cancelled".to_owned(),
            Some(Magic::AlreadyRefunded) => {
                p.status = "refunded".to_owned();
                p.consumed = p.amount;
            }
            _ => {}
        }
        p.magic = magic;
        Some(p)
    }

    pub(crate) fn status_detail(&self) -> &'static str {
        match self.status.as_str() {
            "approved" if self.consumed > Decimal::ZERO => "partially_refunded",
            "approved" => "accredited",
            "refunded" => "refunded",
            "pending" => "pending_waiting_payment",
            "cancelled" => "expired",
            "rejected" => "cc_rejected_other_reason",
            _ => "other",
        }
    }
}

/// The currencies Mercado Pago settles in that take no decimals; every other
/// (ARS, BRL, MXN, PEN, USD, UYU, and any code it does not know) takes two.
const NO_DECIMALS: [&str; 2] = ["CLP", "COP"];

/// How many decimals an amount in `currency` may carry, by the sandbox's own
/// table (the engine keeps one too: each side learns it from Mercado Pago).
pub(crate) fn currency_decimals(currency: &str) -> u32 {
    let code = currency.trim().to_ascii_uppercase();
    if NO_DECIMALS.contains(&code.as_str()) {
        0
    } else {
        2
    }
}

/// Why a [`PaymentSpec`] cannot be declared.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SpecError {
    #[error("payment {0}: amount must be positive")]
    Amount(u64),
    #[error("payment {0}: currency {1:?} is not a three-letter code")]
    Currency(u64, String),
    #[error("payment {0}: date_approved {1:?} is not RFC 3339 (e.g. 2026-01-31T12:00:00-03:00)")]
    Date(u64, String),
}

impl PaymentSpec {
    pub(crate) fn to_payment(&self) -> Result<Payment, SpecError> {
        if self.amount <= Decimal::ZERO {
            return Err(SpecError::Amount(self.id));
        }
        let currency = self.currency.trim().to_ascii_uppercase();
        if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(SpecError::Currency(self.id, self.currency.clone()));
        }
        let approved = OffsetDateTime::parse(
            &self.date_approved,
            &time::format_description::well_known::Rfc3339,
        )
        .map_err(|_| SpecError::Date(self.id, self.date_approved.clone()))?;
        let mut p = Payment::new(self.id, self.kind, self.amount, &currency, approved);
        p.status = self.status.trim().to_ascii_lowercase();
        Ok(p)
    }
}
