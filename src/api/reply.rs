//! Reading what Mercado Pago answered, strictly: a refund's answer checked
//! against the question asked ([`classify`]), an error body read into its
//! cause ([`classify_error`]), a payment as `GET /v1/payments/{id}` shows it
//! ([`classify_payment`]). Pure functions over a status, `Retry-After` and a
//! bounded body; `client` sends the request and hands them what came back.
//!
//! Invariants: a 2xx whose body does not pin down the refund asked for (see
//! [`answer`]) is an unknown outcome, never a success; a refund that differs
//! from the one asked (another payment, another amount) is recorded with its
//! mismatch, never as asked; an amount is read from its own digits, never via
//! `f64`.

use std::time::Duration;

use rust_decimal::Decimal;
use serde::Deserialize;

use crate::api::answer;
use crate::api::network::NetFault;
use crate::domain::joint::{self, Part, Together};
use crate::domain::{Cause, CauseCode, PaymentId, RefundInfo, RefundStatus, Requested};

/// What one attempt produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Reply {
    /// A refund was created (or replayed). `mismatch` says how the refund the API
    /// described differs from the one asked for (another payment, another amount):
    /// money moved, but not as the row asked, so a person must look.
    Refund {
        status: u16,
        refund: RefundInfo,
        mismatch: Option<Cause>,
    },
    /// The API answered with an error it explained (or at least a status).
    Error {
        status: u16,
        retry_after: Option<Duration>,
        cause: Option<Cause>,
    },
    /// Nobody knows whether a refund was made.
    Unknown {
        status: Option<u16>,
        retry_after: Option<Duration>,
        reason: String,
        /// When no answer came: the host and why (see [`crate::api::network`]).
        net: Option<NetFault>,
    },
}

/// What the API answered, before it is read as a refund, a payment or a report:
/// the status and `Retry-After` (read first: they stand whatever the body turns
/// out to be) and the body, bounded and with the token redacted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Answer {
    pub status: u16,
    pub retry_after: Option<Duration>,
    pub body: Vec<u8>,
}

/// The question an answer is checked against.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Question<'a> {
    pub payment: PaymentId,
    pub requested: &'a Requested,
}

/// What one read (`GET /v1/payments/{id}`, `GET /v1/orders/{id}`) produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Fetched<T> {
    Found(T),
    /// Nothing found: the API's error ([`Reply::Error`], 404 among them) or no
    /// answer that can be read as the API's ([`Reply::Unknown`]).
    Failed(Reply),
}

impl<T> Fetched<T> {
    pub(crate) fn map<U>(self, f: impl FnOnce(T) -> U) -> Fetched<U> {
        match self {
            Fetched::Found(t) => Fetched::Found(f(t)),
            Fetched::Failed(r) => Fetched::Failed(r),
        }
    }
}

/// A payment as `GET /v1/payments/{id}` shows it, read leniently: a field that is
/// missing or spelled oddly (a string for a number) is `None`, never a panic —
/// the commands turn what is missing into a finding.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct PaymentView {
    pub status: Option<String>,
    pub currency_id: Option<String>,
    pub transaction_amount: Option<Decimal>,
    pub transaction_amount_refunded: Option<Decimal>,
    pub date_approved: Option<String>,
    /// `None` when the answer has no `refunds` array.
    pub refunds: Option<Vec<MpRefund>>,
}

/// One of a payment's (or an order's) refunds as the API lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MpRefund {
    pub id: String,
    pub amount: Option<Decimal>,
    pub status: Option<RefundStatus>,
    pub date_created: Option<String>,
    /// An order's refund: the payment transaction it refunds.
    pub transaction_id: Option<String>,
}

impl MpRefund {
    /// It as a part of the refunds one request made.
    pub(crate) fn part(&self) -> Part<'_> {
        Part {
            id: &self.id,
            status: self.status.as_ref(),
            amount: self.amount,
        }
    }

    /// The refunds of `listed` a row's refund reference names (one, or the
    /// set one request made: `crate::domain::joint`), in its order; `None`
    /// when one of them is not listed.
    pub(crate) fn named<'a>(listed: &'a [MpRefund], reference: &str) -> Option<Vec<&'a MpRefund>> {
        joint::ids(reference)
            .map(|id| listed.iter().find(|m| m.id == id))
            .collect()
    }

    /// `parts`, refunds one request made, read as one refund: one alone is
    /// itself; several are every id, the exact sum of their amounts, their
    /// status together ([`Together`]), the first's date. `None` for no parts.
    pub(crate) fn together(parts: &[&MpRefund]) -> Option<MpRefund> {
        if let [one] = parts {
            return Some((*one).clone());
        }
        let t = Together::of(parts.iter().map(|m| m.part()))?;
        Some(MpRefund {
            id: t.reference,
            amount: t.amount,
            status: t.status,
            date_created: parts[0].date_created.clone(),
            transaction_id: None,
        })
    }
}

/// What one `GET /v1/payments/{id}` produced.
pub(crate) type PaymentReply = Fetched<PaymentView>;

/// An amount from a JSON number (its own digits, never via f64) or a numeric
/// string, read as [`answer::amount`] reads a refund's: none when no money has it.
fn decimal_in(v: &serde_json::Value) -> Option<Decimal> {
    match v {
        serde_json::Value::String(s) => answer::amount(&serde_json::Value::String(s.trim().into())),
        other => answer::amount(other),
    }
    .ok()
}

/// A field's text: a JSON string as it is, a number in its own digits (ids
/// come as either); anything else has none.
pub(crate) fn text_in(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Reads a `GET /v1/payments/{id}` answer: a 2xx JSON object is the payment;
/// anything else at 2xx is unreadable; errors are read as for refunds.
pub(crate) fn classify_payment(
    status: u16,
    retry_after: Option<Duration>,
    bytes: &[u8],
) -> PaymentReply {
    if !(200..300).contains(&status) {
        return PaymentReply::Failed(classify_error(status, retry_after, bytes));
    }
    let unknown = |reason: String| {
        PaymentReply::Failed(Reply::Unknown {
            status: Some(status),
            retry_after,
            reason,
            net: None,
        })
    };
    let Ok(serde_json::Value::Object(o)) = serde_json::from_slice::<serde_json::Value>(bytes)
    else {
        return unknown(format!(
            "HTTP {status} with a body that is not a payment: {}",
            snippet(bytes)
        ));
    };
    let field = |k: &str| o.get(k).unwrap_or(&serde_json::Value::Null);
    let refunds = field("refunds").as_array().map(|list| {
        list.iter()
            .filter_map(|r| {
                Some(MpRefund {
                    id: text_in(r.get("id")?)?,
                    amount: r.get("amount").and_then(decimal_in),
                    status: r
                        .get("status")
                        .and_then(text_in)
                        .map(|s| RefundStatus::parse(&s)),
                    date_created: r.get("date_created").and_then(text_in),
                    transaction_id: None,
                })
            })
            .collect()
    });
    PaymentReply::Found(PaymentView {
        status: text_in(field("status")),
        currency_id: text_in(field("currency_id")),
        transaction_amount: decimal_in(field("transaction_amount")),
        transaction_amount_refunded: decimal_in(field("transaction_amount_refunded")),
        date_approved: text_in(field("date_approved")),
        refunds,
    })
}

/// Reads an answer the way the API's many shapes require, and checks a refund
/// against the question: a success is only a success for the refund asked.
pub(crate) fn classify(
    status: u16,
    retry_after: Option<Duration>,
    bytes: &[u8],
    asked: Question<'_>,
) -> Reply {
    let unknown = |reason: String| Reply::Unknown {
        status: Some(status),
        retry_after,
        reason,
        net: None,
    };
    if (200..300).contains(&status) {
        // One refund, or an array of them: told by the first byte, so that the
        // body is read once, straight into the refunds (trying one shape and
        // then the other would buffer it all first).
        let refunds = match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'[') => serde_json::from_slice::<Vec<RefundBody>>(bytes),
            _ => serde_json::from_slice::<RefundBody>(bytes).map(|r| vec![r]),
        };
        let mut refunds = match refunds {
            Ok(refunds) => refunds,
            Err(_) => {
                return unknown(format!(
                    "HTTP {status} with a body that is not a refund: {}",
                    snippet(bytes)
                ));
            }
        };
        // An array (advanced payments) is searched for this refund; a lone refund is
        // taken and checked, so that a wrong one is flagged rather than retried.
        let found = if refunds.len() == 1 {
            refunds.pop()
        } else {
            let candidates: Vec<answer::Candidate<'_>> =
                refunds.iter().map(RefundBody::candidate).collect();
            answer::pick(&candidates, asked.payment, asked.requested)
                .map(|i| refunds.swap_remove(i))
        };
        let Some(r) = found else {
            return unknown(format!(
                "HTTP {status} without a refund of payment {} for {} that stands out: {}",
                asked.payment,
                asked.requested.canonical(),
                snippet(bytes)
            ));
        };
        return match r.read(asked) {
            Ok((refund, mismatch)) => Reply::Refund {
                status,
                refund,
                mismatch,
            },
            Err(why) => unknown(format!("HTTP {status}: {why}")),
        };
    }
    classify_error(status, retry_after, bytes)
}

/// A non-2xx answer: the API's error when the body says one (either API's
/// shape), else by status.
pub(crate) fn classify_error(status: u16, retry_after: Option<Duration>, bytes: &[u8]) -> Reply {
    let unknown = |reason: String| Reply::Unknown {
        status: Some(status),
        retry_after,
        reason,
        net: None,
    };
    let body = serde_json::from_slice::<ErrorBody>(bytes).ok();
    match body {
        // A 429 says the request was not taken, whatever page the gateway sent with it.
        _ if status == 429 => Reply::Error {
            status,
            retry_after,
            cause: crate::domain::causes::of_answer(status, body.and_then(ErrorBody::cause)),
        },
        Some(body) => Reply::Error {
            status,
            retry_after,
            cause: crate::domain::causes::of_answer(status, body.cause()),
        },
        // A gateway's HTML page or a cut body: a retryable status stays retryable,
        // anything else cannot be read as the API's verdict.
        None if status >= 500 || status == 423 || status == 424 => unknown(format!(
            "HTTP {status} with a body that is not the API's: {}",
            snippet(bytes)
        )),
        None if bytes.is_empty() || status == 401 || status == 403 => Reply::Error {
            status,
            retry_after,
            cause: None,
        },
        None => Reply::Error {
            status,
            retry_after,
            cause: Some(Cause {
                code: CauseCode::Http(status),
                message: snippet(bytes),
            }),
        },
    }
}

pub(crate) fn snippet(bytes: &[u8]) -> String {
    let s = String::from_utf8_lossy(&bytes[..bytes.len().min(120)]);
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[derive(Deserialize)]
struct RefundBody {
    id: Scalar,
    /// Read by [`answer`]: strictly, never through a float or a string compare.
    #[serde(default)]
    payment_id: Option<serde_json::Value>,
    /// Without it nobody can say whether the money moved: an unknown outcome.
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    amount: Option<serde_json::Value>,
    #[serde(default)]
    date_created: Option<serde_json::Value>,
}

impl RefundBody {
    fn candidate(&self) -> answer::Candidate<'_> {
        answer::Candidate {
            payment_id: self.payment_id.as_ref(),
            amount: self.amount.as_ref(),
            date_created: self.date_created.as_ref(),
        }
    }

    /// The refund as the API described it and how it differs from the question,
    /// or why nobody can say what it did: no status or one the tool does not know
    /// (`"approved "` is not `approved`), or money that moved without an amount
    /// that can be read.
    fn read(self, asked: Question<'_>) -> Result<(RefundInfo, Option<Cause>), String> {
        let id = self.id.into_string();
        let Some(status) = self.status else {
            return Err(format!("refund {id} has no status"));
        };
        let status = RefundStatus::parse(&status);
        // The Payments API's statuses only: an order's words are not a payment's.
        if !RefundStatus::KNOWN.contains(&status) {
            return Err(format!(
                "refund {id} has status {:?}, which is none of {}; nobody can say whether money moved",
                answer::short(status.as_str()),
                RefundStatus::KNOWN.map(|s| s.to_string()).join(", ")
            ));
        }
        let amount = match &self.amount {
            Some(v) => Some(answer::amount(v).map_err(|why| format!("refund {id}: {why}"))?),
            None if status.moved_no_money() => None,
            None => return Err(format!("refund {id} is {status} without an amount")),
        };
        let mismatch = mismatch(self.payment_id.as_ref(), amount, asked);
        let created_ms = self
            .date_created
            .as_ref()
            .and_then(serde_json::Value::as_str)
            .and_then(crate::domain::clock::parse_rfc3339);
        Ok((
            RefundInfo {
                id,
                status,
                amount,
                created_ms,
            },
            mismatch,
        ))
    }
}

/// How a refund the API made differs from the one asked for, if it does.
fn mismatch(
    payment_id: Option<&serde_json::Value>,
    amount: Option<Decimal>,
    asked: Question<'_>,
) -> Option<Cause> {
    if let Some(p) = payment_id
        && !answer::names_payment(p, asked.payment)
    {
        return Some(Cause {
            code: CauseCode::PaymentDiffers,
            message: format!(
                "asked to refund payment {}; the API answered with a refund of payment {}",
                asked.payment,
                match p {
                    serde_json::Value::String(s) => answer::short(s),
                    other => answer::short(&other.to_string()),
                }
            ),
        });
    }
    let got = amount?;
    let differs =
        got <= Decimal::ZERO || matches!(asked.requested, Requested::Partial(a) if a.get() != got);
    differs.then(|| Cause {
        code: CauseCode::AmountDiffers,
        message: format!(
            "asked to refund {}; the API answered with a refund of {got}",
            asked.requested.canonical()
        ),
    })
}

/// Numbers and strings both occur for ids and codes (`2063` and `"400048"`).
enum Scalar {
    Num(serde_json::Number),
    Str(String),
}

/// Read as a JSON value, not as an untagged enum: that would buffer the value
/// and try each shape in turn, for every refund answered.
impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::Number(n) => Ok(Scalar::Num(n)),
            serde_json::Value::String(s) => Ok(Scalar::Str(s)),
            _ => Err(serde::de::Error::custom("neither a number nor a string")),
        }
    }
}

impl Scalar {
    fn into_string(self) -> String {
        match self {
            Scalar::Num(n) => n.to_string(),
            Scalar::Str(s) => s,
        }
    }
}

/// The Payments API's error (`message`, `error`, `cause`) or the Orders API's
/// (`errors: [{code, message, details}]`).
#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    cause: Option<CauseField>,
    #[serde(default)]
    errors: Option<Vec<CauseBody>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum CauseField {
    Many(Vec<CauseBody>),
    One(CauseBody),
}

#[derive(Deserialize)]
struct CauseBody {
    #[serde(default)]
    code: Option<Scalar>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

impl ErrorBody {
    fn cause(self) -> Option<Cause> {
        let first = match self.cause {
            Some(CauseField::Many(v)) => v.into_iter().next(),
            Some(CauseField::One(c)) => Some(c),
            None => self.errors.and_then(|e| e.into_iter().next()),
        };
        let fallback = self
            .message
            .clone()
            .or(self.error.clone())
            .unwrap_or_default();
        match first {
            Some(c) => Some(Cause {
                code: CauseCode::parse(&c.code.map(Scalar::into_string).unwrap_or_default()),
                message: c.description.or(c.message).unwrap_or(fallback),
            }),
            None if self.message.is_some() || self.error.is_some() => Some(Cause {
                code: CauseCode::parse(&self.error.unwrap_or_default()),
                message: fallback,
            }),
            None => None,
        }
    }
}
