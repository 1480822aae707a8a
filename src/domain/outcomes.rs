//! What became of a row and why: its outcome and prediction, the typed cause
//! codes (Mercado Pago's numbers, the tool's own names, network causes), a
//! refund's status as the API spells it, the refund recorded, and the row
//! with its result; and the results file's formats.

use std::fmt;

use rust_decimal::Decimal;

use super::*;
use crate::domain::finding;

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
    /// Every finding that makes the row invalid, when it is.
    pub content: Result<Valid, finding::Findings>,
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
