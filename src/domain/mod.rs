//! Domain newtypes shared by every stage: what a payment id, an amount, a key and
//! an outcome are. Each type is validated when built, so a value of it is always
//! valid; nothing downstream re-checks or passes raw strings around.
//!
//! Money is `rust_decimal::Decimal` end to end: parsed from text, stored as text,
//! and written to the wire as a JSON number from the decimal's own digits.
//!
//! The vocabulary every layer speaks: ids, amounts and money, keys, causes and
//! their meanings, outcomes, findings, next steps, time, and the one settings
//! model of how requests are sent.

/// A vocabulary of codes: a fieldless enum each of whose variants has one
/// spelling, its name in snake_case (`in_process`, `refund_in_progress`),
/// written and read by strum's derives — what the state file, the results
/// and every page say. The attributes given (its docs, further derives) go on
/// the enum.
macro_rules! codes {
    ($(#[$meta:meta])* $vis:vis enum $name:ident { $($variants:tt)* }) => {
        $(#[$meta])*
        #[derive(
            Debug,
            Clone,
            Copy,
            PartialEq,
            Eq,
            strum::EnumIter,
            strum::IntoStaticStr,
            strum::EnumString,
            strum::Display,
        )]
        #[strum(serialize_all = "snake_case")]
        $vis enum $name { $($variants)* }
    };
}
pub(crate) use codes;

pub(crate) mod books;
pub(crate) mod causes;
pub(crate) mod clock;
pub(crate) mod excerpt;
pub(crate) mod joint;
pub(crate) mod key;
pub(crate) mod marks;
pub(crate) mod money;
pub(crate) mod order;
pub(crate) mod settings;
pub(crate) mod steps;
pub(crate) mod target;
pub(crate) mod totals;

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;

use crate::domain::marks::Grouping;
pub use crate::domain::order::{OrderCause, OrderId, OrderRef, TransactionId};
pub use crate::domain::target::{Books, Kind, Target};

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
        Requested::parse_grouped(raw, currency, Grouping::Refused)
    }

    /// [`Requested::parse`], with thousands grouping read as `grouping` allows
    /// (the file's decimal mark, `crate::domain::marks`).
    pub(crate) fn parse_grouped(
        raw: &str,
        currency: Option<Currency>,
        grouping: Grouping,
    ) -> Result<Requested, String> {
        let t = raw.trim();
        let q = crate::domain::excerpt::Quoted(t);
        if t.is_empty() {
            return Err("blank amount; write `full` to refund the whole payment".to_owned());
        }
        let lower = t.to_lowercase();
        if lower == "full" || lower == "total" {
            return Ok(Requested::Full);
        }
        let unsigned = lower.trim_start_matches(['+', '-', '\u{2212}']);
        if matches!(unsigned, "nan" | "inf" | "infinity" | "∞") {
            return Err(format!("amount {q} is not a number"));
        }
        if t.starts_with(['-', '\u{2212}']) || (t.starts_with('(') && t.ends_with(')')) {
            return Err(format!("amount {q} must be positive"));
        }
        if t.starts_with('+') {
            return Err(format!("amount {q}: write it without a sign"));
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
            return Err(format!(
                "amount {q} is in scientific notation; write the plain number (e.g. 1500.00)"
            ));
        }
        if !t
            .chars()
            .all(|c| plain(c) || c.is_whitespace() || c == '\'')
        {
            return Err(format!(
                "amount {q} must be a plain number, without currency symbols or letters"
            ));
        }
        if !t.chars().any(|c| c.is_ascii_digit()) {
            return Err(format!("amount {q} is not a number"));
        }
        let t: &str = &crate::domain::marks::ungrouped(t, grouping, &q)?;
        let dots = t.matches('.').count();
        let (int, frac) = t.split_once(['.', ',']).unwrap_or((t, ""));
        let decimals = currency.map_or(DEFAULT_DECIMALS, Currency::decimals);
        let allowed = match (decimals, currency) {
            (0, Some(c)) => format!("{c} allows no decimals"),
            (n, Some(c)) => format!("{c} allows at most {n}"),
            (n, None) => format!("at most {n} are allowed"),
        };
        // More than two decimals is refused even when they are zeros: "1.000" is a
        // thousand to a pt-BR or es-CL reader, and guessing would refund the wrong sum.
        if frac.len() > DEFAULT_DECIMALS as usize {
            let hint = if frac.len() == 3 {
                let mark = if dots == 1 { '.' } else { ',' };
                format!(" (if the {mark:?} separates thousands, remove it)")
            } else {
                String::new()
            };
            return Err(format!(
                "amount {q} has {}; {allowed}{hint}",
                decimals_text(frac.len() as u32)
            ));
        }
        let int = int.trim_start_matches('0');
        if int.len() > MAX_AMOUNT_DIGITS {
            return Err(format!("amount {q} is too large"));
        }
        let text = format!(
            "{}.{}",
            if int.is_empty() { "0" } else { int },
            if frac.is_empty() { "0" } else { frac }
        );
        let value =
            Decimal::from_str_exact(&text).map_err(|_| format!("amount {q} is not a number"))?;
        let Some(amount) = Amount::new(value) else {
            return Err(format!("amount {q} is zero; nothing to refund"));
        };
        if amount.get().scale() > decimals {
            return Err(format!(
                "amount {q} has {}; {allowed}",
                decimals_text(amount.get().scale())
            ));
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

/// The columns a batch's results file is written in: the tool's own (the input's
/// columns, then `row`, `outcome`, `cause_code`...), or Mercado Pago's batch-refund
/// output (`sequential_order;external_reference;amount;refund_status;refund_detail;payment_id`).
/// A batch records the one its run chose, so every later rewrite keeps it.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::Display,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum ResultsFormat {
    #[default]
    Mprefund,
    MpBatch,
}

codes! {
    /// What the results CSV says happened to a row.
    #[derive(Hash, PartialOrd, Ord)]
    pub enum Outcome {
        Refunded,
        InProcess,
        Failed,
        Invalid,
        Pending,
        /// May have been refunded: a request reached (or may have reached) Mercado
        /// Pago and no answer carrying the refund, nor a read-back, settled it.
        /// Never counted as refunded, never as nothing: `retry` sends the same key,
        /// `reconcile` reads it back.
        Unknown,
    }
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

codes! {
    /// What `plan --online` (and `run --preflight`) predict for a row; a row
    /// `--preflight` keeps from being sent carries its prediction as its cause.
    #[derive(Hash, PartialOrd, Ord)]
    pub enum Prediction {
        Ok,
        NotFound,
        NotRefundable,
        ExceedsBalance,
        HasPriorRefunds,
        /// The state file says this row (its key) made its refund already: `run`
        /// takes that result, sends nothing.
        AlreadyDone,
        CurrencyMismatch,
        TooManyPartials,
        Old,
        Unreadable,
        Invalid,
        /// An order of the Orders API with an open chargeback: a refund too would
        /// pay the money back twice.
        ChargedBack,
    }
}

impl Prediction {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

codes! {
    /// Why a request got no answer (see `network`, which reads it from a transport
    /// error): a row whose last attempt met one has an unknown outcome.
    #[derive(Hash)]
    pub enum NetCause {
        /// Nothing listens at the address (or a firewall said so).
        ConnectRefused,
        /// The host name does not resolve.
        Dns,
        /// The TLS handshake failed (not a TLS server, a certificate refused...).
        Tls,
        /// No answer in time (connecting, or waiting for the answer).
        Timeout,
        /// Any other failure to connect (network unreachable, reset while connecting).
        ConnectFailed,
    }
}

/// A row's cause code: the tool's own, or Mercado Pago's `cause[].code`
/// (`Other`, as the API sent it — it may add codes at any time). Stored and
/// written as text (`unknown_outcome`, `http_500`, `2063`...); text that names
/// none of the tool's own reads back as `Other`, so nothing is lost.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CauseCode {
    /// No answer could be trusted: the refund may or may not exist.
    UnknownOutcome,
    /// No answer at all (`connect_refused`, `dns`...): an unknown outcome too.
    Net(NetCause),
    /// An error answer with this HTTP status and no cause of its own (`http_500`).
    Http(u16),
    /// The refund has a status the tool does not know.
    RefundStatus,
    /// The refund was rejected or cancelled — when created, or later (reconcile):
    /// no money moved. Its status says which; older state files also hold
    /// `refund_cancelled`, read as this.
    RefundRejected,
    /// Refunded, for another amount than asked.
    AmountDiffers,
    /// Refunded, on another payment than asked.
    PaymentDiffers,
    /// A bad line in the spreadsheet.
    InvalidInput,
    /// The per-payment guard held the row back: another batch refunded its payment.
    PaymentHasRefunds,
    /// The per-payment guard held the row back: a row of another batch may have
    /// refunded its payment (no answer came); a read-back settles it.
    PaymentInDoubt,
    /// The per-order guard held the row back: another batch refunded its order.
    OrderHasRefunds,
    /// The per-order guard held the row back: a row of another batch may have
    /// refunded its order (no answer came); a read-back settles it.
    OrderInDoubt,
    /// `run --preflight` kept the row from being sent for this prediction.
    Predicted(Prediction),
    /// A partial refund of an order with several payment transactions names
    /// none of them: the tool does not choose one.
    TransactionNeeded,
    /// The Orders API's own code.
    Order(OrderCause),
    /// Mercado Pago's own code, or one this version does not know.
    Other(String),
}

impl CauseCode {
    /// The code as stored and shown.
    pub fn as_str(&self) -> std::borrow::Cow<'_, str> {
        use std::borrow::Cow;
        Cow::Borrowed(match self {
            CauseCode::UnknownOutcome => "unknown_outcome",
            CauseCode::Net(n) => n.into(),
            CauseCode::Http(status) => return Cow::Owned(format!("http_{status}")),
            CauseCode::RefundStatus => "refund_status",
            CauseCode::RefundRejected => "refund_rejected",
            CauseCode::AmountDiffers => "amount_differs",
            CauseCode::PaymentDiffers => "payment_differs",
            CauseCode::InvalidInput => "invalid_input",
            CauseCode::PaymentHasRefunds => "payment_has_refunds",
            CauseCode::PaymentInDoubt => "payment_in_doubt",
            CauseCode::OrderHasRefunds => "order_has_refunds",
            CauseCode::OrderInDoubt => "order_in_doubt",
            CauseCode::Predicted(p) => p.as_str(),
            CauseCode::TransactionNeeded => "transaction_needed",
            CauseCode::Order(o) => o.as_str(),
            CauseCode::Other(s) => s,
        })
    }

    /// The code as text, to be read back: known codes become their variant,
    /// anything else (Mercado Pago's, an older or newer version's) `Other`.
    pub fn parse(text: &str) -> CauseCode {
        match text {
            "unknown_outcome" => CauseCode::UnknownOutcome,
            "refund_status" => CauseCode::RefundStatus,
            // `refund_cancelled`: what a refund created cancelled was once stored as.
            "refund_rejected" | "refund_cancelled" => CauseCode::RefundRejected,
            "amount_differs" => CauseCode::AmountDiffers,
            "payment_differs" => CauseCode::PaymentDiffers,
            "invalid_input" => CauseCode::InvalidInput,
            "payment_has_refunds" => CauseCode::PaymentHasRefunds,
            "payment_in_doubt" => CauseCode::PaymentInDoubt,
            "order_has_refunds" => CauseCode::OrderHasRefunds,
            "order_in_doubt" => CauseCode::OrderInDoubt,
            "transaction_needed" => CauseCode::TransactionNeeded,
            _ => {
                if let Ok(o) = text.parse::<OrderCause>() {
                    return CauseCode::Order(o);
                }
                if let Ok(n) = text.parse::<NetCause>() {
                    return CauseCode::Net(n);
                }
                if let Some(status) = text
                    .strip_prefix("http_")
                    .filter(|s| !s.starts_with('0') && !s.starts_with('+'))
                    .and_then(|s| s.parse::<u16>().ok())
                {
                    return CauseCode::Http(status);
                }
                // Predictions other than these are never a row's cause.
                match text.parse::<Prediction>() {
                    Ok(p) if p != Prediction::Ok && p != Prediction::Invalid => {
                        CauseCode::Predicted(p)
                    }
                    _ => CauseCode::Other(text.to_owned()),
                }
            }
        }
    }

    /// Whether a row with this cause may have refunded: sending it again with its
    /// key is how its outcome is found.
    pub fn is_unknown_outcome(&self) -> bool {
        matches!(self, CauseCode::UnknownOutcome | CauseCode::Net(_))
    }

    /// A refund made, but not as asked (another amount or payment): money moved,
    /// and a person must look.
    pub fn is_mismatch(&self) -> bool {
        matches!(self, CauseCode::AmountDiffers | CauseCode::PaymentDiffers)
    }

    /// Mutable access to text that came from the server (to scrub it).
    pub fn server_text_mut(&mut self) -> Option<&mut String> {
        match self {
            CauseCode::Other(s) => Some(s),
            _ => None,
        }
    }
}

impl fmt::Display for CauseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_str())
    }
}

/// A refund's status, as Mercado Pago names it. Any other spelling
/// (`"approved "`, `"APPROVED"`, a new word) is `Other` and says nothing
/// certain about the money.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RefundStatus {
    Approved,
    InProcess,
    Pending,
    Authorized,
    Rejected,
    Cancelled,
    /// An order's refund made (the Orders API's word for it).
    Processed,
    /// An order's refund Mercado Pago is still making.
    Processing,
    /// An order's refund that failed: no money moved.
    Failed,
    Other(String),
}

impl RefundStatus {
    /// The Orders API's statuses of a refund.
    pub const ORDERS: [RefundStatus; 3] = [
        RefundStatus::Processed,
        RefundStatus::Processing,
        RefundStatus::Failed,
    ];

    /// The Payments API's statuses the tool knows the meaning of.
    pub const KNOWN: [RefundStatus; 6] = [
        RefundStatus::Approved,
        RefundStatus::InProcess,
        RefundStatus::Pending,
        RefundStatus::Authorized,
        RefundStatus::Rejected,
        RefundStatus::Cancelled,
    ];

    pub fn as_str(&self) -> &str {
        match self {
            RefundStatus::Approved => "approved",
            RefundStatus::InProcess => "in_process",
            RefundStatus::Pending => "pending",
            RefundStatus::Authorized => "authorized",
            RefundStatus::Rejected => "rejected",
            RefundStatus::Cancelled => "cancelled",
            RefundStatus::Processed => "processed",
            RefundStatus::Processing => "processing",
            RefundStatus::Failed => "failed",
            RefundStatus::Other(s) => s,
        }
    }

    /// Exactly as spelled; anything else is `Other`.
    pub fn parse(text: &str) -> RefundStatus {
        RefundStatus::KNOWN
            .into_iter()
            .chain(RefundStatus::ORDERS)
            .find(|s| s.as_str() == text)
            .unwrap_or_else(|| RefundStatus::Other(text.to_owned()))
    }

    pub fn is_known(&self) -> bool {
        !matches!(self, RefundStatus::Other(_))
    }

    /// Made: the money went back (`approved`, an order's `processed`).
    pub fn is_made(&self) -> bool {
        matches!(self, RefundStatus::Approved | RefundStatus::Processed)
    }

    /// Rejected, cancelled or failed: the refund moved no money (the only
    /// statuses whose amount does not matter).
    pub fn moved_no_money(&self) -> bool {
        matches!(
            self,
            RefundStatus::Rejected | RefundStatus::Cancelled | RefundStatus::Failed
        )
    }

    /// Mutable access to text that came from the server (to scrub it).
    pub fn server_text_mut(&mut self) -> Option<&mut String> {
        match self {
            RefundStatus::Other(s) => Some(s),
            _ => None,
        }
    }

    /// Mercado Pago may still approve or reject it.
    pub fn in_process(&self) -> bool {
        matches!(
            self,
            RefundStatus::InProcess
                | RefundStatus::Pending
                | RefundStatus::Authorized
                | RefundStatus::Processing
        )
    }
}

impl fmt::Display for RefundStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a valid row asks of the API: one refund, sent with one key. This is what
/// travels from the input to the ledger and from the ledger to the workers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundAsk {
    pub key: IdempotencyKey,
    pub target: Target,
    pub requested: Requested,
}

impl RefundAsk {
    pub fn kind(&self) -> Kind {
        self.target.kind()
    }
}

/// A valid row: its ask, and what else the spreadsheet says of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Valid {
    pub ask: RefundAsk,
    pub currency: Option<Currency>,
    /// Trimmed, in Unicode NFC; `None` when blank or absent.
    pub reference: Option<String>,
}

fn decimals_text(n: u32) -> String {
    if n == 1 {
        "1 decimal".to_owned()
    } else {
        format!("{n} decimals")
    }
}

/// A data row of the spreadsheet as read: where it is, its cells, and either what
/// it asks or why it cannot be refunded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// 1-based data row number (header excluded, blank rows not counted).
    pub row_no: u64,
    /// Physical line where the record starts (header is line 1).
    pub line: u64,
    /// Every original cell, decoded to UTF-8, untouched otherwise.
    pub fields: Vec<String>,
    /// Every reason the row is invalid, joined with "; ", when it is.
    pub content: Result<Valid, String>,
}

/// The API's explanation of a refusal (the first `cause` entry), or ours of an
/// outcome (`unknown_outcome`, `amount_differs`...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cause {
    pub code: CauseCode,
    pub message: String,
}

/// A refund as the API described it: one refund, or the refunds one request
/// made together (see [`joint`]: `id` then names them all, `amount` is their
/// sum, `status` theirs together).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundInfo {
    pub id: String,
    pub status: RefundStatus,
    pub amount: Option<Decimal>,
    /// When Mercado Pago made it (its `date_created`), in ms since the epoch: a
    /// refund older than the request that got it was replayed, not made.
    pub created_ms: Option<i64>,
}

/// What is known of a row's refund: its outcome and the API's last word on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowResult {
    pub outcome: Outcome,
    /// Attempts made: in one run when a worker reports it, in all runs when read
    /// back from the ledger.
    pub attempts: u32,
    pub http_status: Option<u16>,
    pub cause: Option<Cause>,
    pub retryable: Option<bool>,
    pub refund: Option<RefundInfo>,
    pub last_attempt_at_ms: Option<i64>,
}

impl RowResult {
    pub fn new(outcome: Outcome) -> RowResult {
        RowResult {
            outcome,
            attempts: 0,
            http_status: None,
            cause: None,
            retryable: None,
            refund: None,
            last_attempt_at_ms: None,
        }
    }

    /// What the row refunded: nothing unless the refund stands (a rejected or
    /// cancelled refund moved no money, whatever amount the API named).
    pub fn refunded(&self) -> Option<Decimal> {
        matches!(self.outcome, Outcome::Refunded | Outcome::InProcess)
            .then(|| self.refund.as_ref().and_then(|r| r.amount))
            .flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payment_ids() {
        assert_eq!("  123 ".parse::<PaymentId>().unwrap().get(), 123);
        assert!(matches!(
            "".parse::<PaymentId>(),
            Err(PaymentIdError::Blank)
        ));
        assert!(matches!(
            "1.23457E+11".parse::<PaymentId>(),
            Err(PaymentIdError::Scientific(_))
        ));
        assert!("0".parse::<PaymentId>().is_err());
        assert!("-5".parse::<PaymentId>().is_err());
        assert!("12a".parse::<PaymentId>().is_err());
        assert!("99999999999999999999".parse::<PaymentId>().is_err());
        // Beyond what the state file stores: refused, not stored negative.
        assert!(matches!(
            "9223372036854775808".parse::<PaymentId>(),
            Err(PaymentIdError::OutOfRange(_))
        ));
        assert!(matches!(
            "18446744073709551616".parse::<PaymentId>(),
            Err(PaymentIdError::TooLong(_))
        ));
        assert_eq!(
            "9223372036854775807".parse::<PaymentId>().unwrap().get(),
            PaymentId::MAX
        );
        assert!(PaymentId::new(PaymentId::MAX + 1).is_none());
        // A long cell is echoed as an excerpt.
        let e = "x".repeat(100_000).parse::<PaymentId>().unwrap_err();
        assert!(e.to_string().len() < 200, "{e}");
    }

    #[test]
    fn amounts_are_positive_and_normalised() {
        assert!(Amount::new(Decimal::ZERO).is_none());
        assert!(Amount::new(Decimal::from(-1)).is_none());
        let a = Amount::new(Decimal::from_str("25.50").unwrap()).unwrap();
        assert_eq!(a.to_string(), "25.5");
        assert_eq!(Requested::Partial(a).canonical(), "25.5");
        assert_eq!(
            Requested::from_canonical("25.5"),
            Some(Requested::Partial(a))
        );
        assert_eq!(Requested::from_canonical("full"), Some(Requested::Full));
    }

    #[test]
    fn keys_are_bounded() {
        assert!(IdempotencyKey::new("").is_none());
        assert!(IdempotencyKey::new("a".repeat(65)).is_none());
        assert!(IdempotencyKey::new("a b").is_none());
        assert!(IdempotencyKey::new("mpr1-abc_DEF").is_some());
    }

    #[test]
    fn refund_statuses_are_spelled_exactly() {
        assert_eq!(RefundStatus::parse("approved"), RefundStatus::Approved);
        assert_eq!(RefundStatus::parse("in_process"), RefundStatus::InProcess);
        for known in RefundStatus::KNOWN {
            assert_eq!(RefundStatus::parse(known.as_str()), known);
            assert!(known.is_known());
        }
        for odd in ["approved ", "APPROVED", "Approved", "", "refunded"] {
            let s = RefundStatus::parse(odd);
            assert!(!s.is_known(), "{odd:?}");
            assert_eq!(s.as_str(), odd, "kept as the API spelled it");
        }
        assert!(RefundStatus::Rejected.moved_no_money());
        assert!(RefundStatus::Cancelled.moved_no_money());
        assert!(!RefundStatus::Approved.moved_no_money());
        assert!(!RefundStatus::Other("rejected ".into()).moved_no_money());
    }

    #[test]
    fn outcome_names_come_from_the_derive() {
        use strum::IntoEnumIterator;
        let names: Vec<&str> = Outcome::iter().map(Outcome::as_str).collect();
        assert_eq!(
            names,
            [
                "refunded",
                "in_process",
                "failed",
                "invalid",
                "pending",
                "unknown"
            ]
        );
        for o in Outcome::iter() {
            assert_eq!(o.as_str().parse::<Outcome>().unwrap(), o);
            assert_eq!(o.to_string(), o.as_str());
        }
        assert!("sending".parse::<Outcome>().is_err());
    }

    #[test]
    fn currency_decimals() {
        assert_eq!("clp".parse::<Currency>().unwrap().decimals(), 0);
        assert_eq!("BRL".parse::<Currency>().unwrap().decimals(), 2);
        assert!("R$".parse::<Currency>().is_err());
        // Three letters are not enough: a typo must not pass as a currency.
        for unknown in ["XYZ", "EUR", "BRR"] {
            let e = unknown.parse::<Currency>().unwrap_err();
            assert!(e.contains("BRL"), "{e}");
        }
    }
}
