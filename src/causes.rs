//! The cause codes a row can carry, with what each means and what to do next: one
//! table, read by the end-of-run summary and by `status --failed`, so a `2063`
//! is never shown bare. Mercado Pago's own `cause[].code`s (see the API notes),
//! the Orders API's string codes, and the tool's own codes (`unknown_outcome`, `http_500`, the predictions of
//! `--preflight`...) alike.
//!
//! Invariants: an HTTP status without a Mercado Pago cause is `http_<status>`
//! (never the bare number — a body whose cause code only repeats the status, as
//! a 500's `{"cause": [{"code": 500}]}` does, has no cause of its own); a code
//! this table does not know still gets a next step from its family (`http_5xx`
//! retry, other `http_4xx` a person), else none is claimed.

use crate::domain::{Cause, CauseCode, OrderCause, Prediction};

/// What to do about a row with a given cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Next {
    /// Transient: `retry` sends the same key again (replayed or made once).
    Retry,
    /// The refund is in process or its fate is Mercado Pago's: `reconcile` reads it.
    Reconcile,
    /// The row itself is wrong: fix it in the spreadsheet.
    FixRow,
    /// Nothing the tool can send will do it: someone has to look.
    NeedsPerson,
    /// Nothing to do: the money is where it should be, or no money moved.
    Nothing,
}

impl Next {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Next::Retry => "retry (`mprefund retry`)",
            Next::Reconcile => "reconcile (`mprefund reconcile`)",
            Next::FixRow => "fix the row, then run it again",
            Next::NeedsPerson => "needs a person",
            Next::Nothing => "nothing to do",
        }
    }
}

/// A cause code's meaning and the next step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Meaning {
    pub what: &'static str,
    pub next: Next,
}

const fn m(what: &'static str, next: Next) -> Option<Meaning> {
    Some(Meaning { what, next })
}

/// The meaning of `code`, when known.
pub(crate) fn meaning(code: &CauseCode) -> Option<Meaning> {
    use Next::*;
    match code {
        CauseCode::UnknownOutcome => m(
            "no answer could be trusted (the refund may or may not exist)",
            Retry,
        ),
        CauseCode::RefundStatus => m("the refund has a status the tool does not know", Reconcile),
        CauseCode::RefundRejected => m(
            "the refund was rejected or cancelled: no money moved",
            NeedsPerson,
        ),
        CauseCode::AmountDiffers => m("refunded, but for another amount than asked", NeedsPerson),
        CauseCode::PaymentDiffers => m("refunded, but on another payment than asked", NeedsPerson),
        CauseCode::InvalidInput => m("a bad line in the spreadsheet", FixRow),
        CauseCode::PaymentHasRefunds => m(
            "an earlier batch already refunded this payment",
            NeedsPerson,
        ),
        CauseCode::PaymentInDoubt => m(
            "a row of an earlier batch may have refunded this payment (its answer never came): held until a read-back settles it",
            Reconcile,
        ),
        CauseCode::OrderHasRefunds => {
            m("an earlier batch already refunded this order", NeedsPerson)
        }
        CauseCode::OrderInDoubt => m(
            "a row of an earlier batch may have refunded this order (its answer never came): held until a read-back settles it",
            Reconcile,
        ),
        CauseCode::Net(n) if n.is_configuration() => m(
            "the API's host name or certificate is wrong (configuration)",
            NeedsPerson,
        ),
        CauseCode::Net(_) => m("the API could not be reached (an outage)", Retry),
        CauseCode::Http(status) => by_status(*status),
        CauseCode::Predicted(p) => predicted(*p),
        CauseCode::TransactionNeeded => m(
            "the order has several payment transactions: name one in a transaction_id column",
            FixRow,
        ),
        CauseCode::Order(o) => orders(*o),
        CauseCode::Other(code) => mercado_pago(code),
    }
}

/// The Orders API's causes.
fn orders(code: OrderCause) -> Option<Meaning> {
    use Next::*;
    match code {
        OrderCause::EmptyRequiredHeader => {
            m("the X-Idempotency-Key header was missing", NeedsPerson)
        }
        OrderCause::InvalidIdempotencyKeyLength => m(
            "the X-Idempotency-Key is longer than the Orders API takes",
            NeedsPerson,
        ),
        OrderCause::InvalidPathParam => m(
            "not an order id the Orders API takes (ORD and 26 characters)",
            FixRow,
        ),
        OrderCause::InvalidOrderOwner => m(
            "the order belongs to another account (another access token)",
            NeedsPerson,
        ),
        OrderCause::OrderNotFound => m("order not found (wrong order id?)", FixRow),
        OrderCause::TransactionNotFound => m(
            "the transaction is not one of the order's payments (wrong transaction id?)",
            FixRow,
        ),
        OrderCause::UnsupportedPartiallyRefunds => m(
            "partial refunds are not supported for this order (refund it in full)",
            FixRow,
        ),
        OrderCause::RefundAmountExceeds => m(
            "amount exceeds what is left to refund on the order's transaction",
            FixRow,
        ),
        OrderCause::PartialRefundForbiddenWithTips => {
            m("the order has tips: only a full refund is allowed", FixRow)
        }
        OrderCause::InStorePaymentRefundOrder => m(
            "order too old to refund (past the refund window)",
            NeedsPerson,
        ),
        OrderCause::RefundInProgress => m(
            "another refund of the order was being processed (sent again with the same key after a pause)",
            Retry,
        ),
        OrderCause::IdempotencyKeyAlreadyUsed => m(
            "the key was used before with another request: the row may have refunded, a read-back settles it",
            Reconcile,
        ),
        OrderCause::ResourceLocked => m("the same key was busy at Mercado Pago", Retry),
        OrderCause::IdempotencyValidationFailed => m(
            "Mercado Pago could not check the key and may have refunded: a read-back settles it before anything is sent again",
            Reconcile,
        ),
        OrderCause::Unauthorized => m("the access token was refused", NeedsPerson),
        OrderCause::UserNotAuthorized => {
            m("the token's account may not refund this order", NeedsPerson)
        }
        OrderCause::OrderAlreadyRefunded => m("the order is already fully refunded", Nothing),
        OrderCause::CannotRefundOrder => m(
            "the order's status allows no refund (only processed orders)",
            NeedsPerson,
        ),
    }
}

/// The predictions of `run --preflight`.
fn predicted(p: Prediction) -> Option<Meaning> {
    use Next::*;
    match p {
        Prediction::NotFound => m("payment not found", FixRow),
        Prediction::NotRefundable => m("the payment cannot be refunded", NeedsPerson),
        Prediction::ExceedsBalance => m("more than the payment has left", FixRow),
        Prediction::HasPriorRefunds => m("the payment already has refunds", NeedsPerson),
        Prediction::CurrencyMismatch => m("the row's currency is not the payment's", FixRow),
        Prediction::TooManyPartials => m("the payment has too many partial refunds", NeedsPerson),
        Prediction::Old => m("payment too old to refund", NeedsPerson),
        Prediction::Unreadable => m("the payment could not be read", Retry),
        Prediction::ChargedBack => m(
            "the order has an open chargeback: a refund too would pay twice",
            NeedsPerson,
        ),
        Prediction::Ok | Prediction::AlreadyDone | Prediction::Invalid => None,
    }
}

/// Mercado Pago's causes.
fn mercado_pago(code: &str) -> Option<Meaning> {
    use Next::*;
    match code {
        "2000" | "404002" => m("payment not found (wrong payment id?)", FixRow),
        "2024" | "15016" => m(
            "payment too old to refund (past the refund window, 180 days)",
            NeedsPerson,
        ),
        "2032" => m(
            "refund not found (idempotency key already used)",
            NeedsPerson,
        ),
        "2063" => m(
            "the payment's state allows no refund (pending, cancelled or already fully refunded)",
            NeedsPerson,
        ),
        "2085" => m("invalid gateway operation", NeedsPerson),
        "2090" => m("Pix in contingency: the refund cannot be made now", Retry),
        "2091" => m("not enough balance in the account to refund", NeedsPerson),
        "3012" => m("invalid security code length", NeedsPerson),
        "3024" => m(
            "partial refunds are not supported for this payment (refund it in full)",
            FixRow,
        ),
        "4040" => m("amount must be positive", FixRow),
        "4041" => m("amount must be a number", FixRow),
        "4042" => m("amount has too many decimals for the currency", FixRow),
        "4043" => m(
            "amount exceeds what is left to refund on the payment",
            FixRow,
        ),
        "4292" => m("the X-Idempotency-Key header was missing", NeedsPerson),
        "4296" => m("the payment is already refunded", Nothing),
        "4211" | "4248" | "4291" | "4293" | "4294" | "4295" | "4297" => {
            m("refused by the card processor", NeedsPerson)
        }
        "400048" => m("invalid splitter id", NeedsPerson),
        _ => None,
    }
}

/// `http_<status>` codes: the statuses the tool retries, and the rest.
fn by_status(status: u16) -> Option<Meaning> {
    match status {
        401 => m("the access token was refused", Next::NeedsPerson),
        403 => m("the token may not refund this payment", Next::NeedsPerson),
        404 => m("not found", Next::FixRow),
        409 | 423 | 424 => m("the same key was busy at Mercado Pago", Next::Retry),
        429 => m("too many requests (rate limited)", Next::Retry),
        500..=599 => m("Mercado Pago's server failed", Next::Retry),
        _ => m("refused by the API without a cause", Next::NeedsPerson),
    }
}

/// The cause of an error answer with HTTP `status`: the API's own cause code,
/// else `http_<status>` (a code that only repeats the status is none).
pub(crate) fn of_answer(status: u16, cause: Option<Cause>) -> Option<Cause> {
    match cause {
        Some(c) if matches!(&c.code, CauseCode::Other(s) if s.is_empty() || *s == status.to_string()) => {
            Some(Cause {
                code: CauseCode::Http(status),
                message: if c.message.is_empty() {
                    format!("HTTP {status}")
                } else {
                    c.message
                },
            })
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_repeated_as_the_cause_is_no_cause() {
        let c = |code: &str| {
            Some(Cause {
                code: CauseCode::parse(code),
                message: "Internal server error".into(),
            })
        };
        assert_eq!(of_answer(500, c("500")).unwrap().code, CauseCode::Http(500));
        assert_eq!(of_answer(502, c("")).unwrap().code, CauseCode::Http(502));
        assert_eq!(
            of_answer(500, c("500")).unwrap().message,
            "Internal server error"
        );
        assert_eq!(of_answer(400, c("2063")).unwrap().code.as_str(), "2063");
        assert_eq!(of_answer(429, None), None);
    }

    fn meaning_of(text: &str) -> Option<Meaning> {
        meaning(&CauseCode::parse(text))
    }

    #[test]
    fn every_code_the_trial_saw_bare_has_a_meaning_and_a_next_step() {
        for code in [
            "2063",
            "2024",
            "4043",
            "15016",
            "http_500",
            "unknown_outcome",
        ] {
            assert!(meaning_of(code).is_some(), "{code}");
        }
        assert_eq!(meaning_of("2063").unwrap().next, Next::NeedsPerson);
        assert_eq!(meaning_of("http_503").unwrap().next, Next::Retry);
        assert_eq!(meaning_of("http_418").unwrap().next, Next::NeedsPerson);
        assert_eq!(meaning_of("4043").unwrap().next, Next::FixRow);
        assert!(
            meaning_of("2024")
                .unwrap()
                .what
                .starts_with("payment too old")
        );
        assert_eq!(meaning_of("9999"), None);
        assert_eq!(meaning_of("http_x"), None);
    }

    #[test]
    fn codes_read_back_as_written_and_old_spellings_as_today() {
        use crate::domain::NetCause;
        for code in [
            CauseCode::UnknownOutcome,
            CauseCode::Net(NetCause::ConnectRefused),
            CauseCode::Net(NetCause::Tls),
            CauseCode::Http(503),
            CauseCode::RefundStatus,
            CauseCode::RefundRejected,
            CauseCode::AmountDiffers,
            CauseCode::PaymentDiffers,
            CauseCode::InvalidInput,
            CauseCode::PaymentHasRefunds,
            CauseCode::PaymentInDoubt,
            CauseCode::Predicted(Prediction::ExceedsBalance),
            CauseCode::Other("2063".into()),
            CauseCode::Other("bad_request".into()),
        ] {
            assert_eq!(CauseCode::parse(&code.as_str()), code, "{code}");
        }
        // A refund created cancelled was once stored `refund_cancelled`.
        assert_eq!(
            CauseCode::parse("refund_cancelled"),
            CauseCode::RefundRejected
        );
        assert_eq!(
            meaning_of("refund_cancelled"),
            meaning(&CauseCode::RefundRejected)
        );
        // Not the tool's own spelling of a status: Mercado Pago's text.
        assert_eq!(
            CauseCode::parse("http_0500"),
            CauseCode::Other("http_0500".into())
        );
        assert_eq!(CauseCode::parse("ok"), CauseCode::Other("ok".into()));
    }
}
