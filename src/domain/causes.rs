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
    /// Said where no batch is at hand (a results file's cells, the reference
    /// pages); a summary says the command itself (`steps`).
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Next::Retry => "retry (same key)",
            Next::Reconcile => "reconcile (read it back)",
            Next::FixRow => "fix the row, then run it again",
            Next::NeedsPerson => "needs a person",
            Next::Nothing => "nothing to do",
        }
    }
}

/// Which meaning a cause code has: the key a meaning is known by, with its
/// words and its next step (one sentence per key), so that the words are
/// translated by the key (the console's languages), never by matching the
/// English sentence. Its name in kebab-case is the key a translation is
/// found by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::EnumIter, strum::IntoStaticStr)]
#[strum(serialize_all = "kebab-case")]
pub(crate) enum Why {
    NoTrustedAnswer,
    UnknownRefundStatus,
    RefundRejected,
    OtherAmount,
    OtherPayment,
    BadLine,
    RefundedEarlier,
    InDoubtEarlier,
    Configuration,
    Outage,
    PaymentNotFound,
    NotRefundable,
    ExceedsBalance,
    HasRefunds,
    OtherCurrency,
    TooManyPartials,
    TooOld,
    PaymentUnreadable,
    WrongPaymentId,
    PastRefundWindow,
    KeyUsed,
    StateAllowsNoRefund,
    GatewayOperation,
    PixContingency,
    NoBalance,
    SecurityCodeLength,
    NoPartialRefunds,
    AmountNotPositive,
    AmountNotNumber,
    TooManyDecimals,
    AmountExceedsLeft,
    KeyMissing,
    AlreadyRefunded,
    CardProcessor,
    SplitterId,
    TokenRefused,
    TokenMayNot,
    NotFound,
    KeyBusy,
    RateLimited,
    ServerFailed,
    RefusedWithoutCause,
    OrderRefundedEarlier,
    OrderInDoubtEarlier,
    TransactionNeeded,
    ChargedBack,
    KeyTooLong,
    NotAnOrderId,
    OtherAccountsOrder,
    OrderNotFound,
    TransactionNotFound,
    OrderNoPartialRefunds,
    OrderAmountExceedsLeft,
    OrderHasTips,
    OrderPastWindow,
    OrderRefundInProgress,
    KeyUsedOtherRequest,
    KeyUnchecked,
    OrderTokenMayNot,
    OrderAlreadyRefunded,
    OrderStateAllowsNoRefund,
    OrderHasCashout,
}

impl Why {
    /// What it means, in the tool's own words, and the next step.
    pub(crate) fn meaning(self) -> Meaning {
        Meaning {
            why: self,
            what: self.what(),
            next: self.next(),
        }
    }

    fn what(self) -> &'static str {
        match self {
            Why::NoTrustedAnswer => "no answer could be trusted (the refund may or may not exist)",
            Why::UnknownRefundStatus => "the refund has a status the tool does not know",
            Why::RefundRejected => "the refund was rejected or cancelled: no money moved",
            Why::OtherAmount => "refunded, but for another amount than asked",
            Why::OtherPayment => "refunded, but on another payment than asked",
            Why::BadLine => "a bad line in the spreadsheet",
            Why::RefundedEarlier => "an earlier batch already refunded this payment",
            Why::InDoubtEarlier => {
                "a row of an earlier batch may have refunded this payment (its answer never came): held until a read-back settles it"
            }
            Why::Configuration => "the API's host name or certificate is wrong (configuration)",
            Why::Outage => "the API could not be reached (an outage)",
            Why::PaymentNotFound => "payment not found",
            Why::NotRefundable => "the payment cannot be refunded",
            Why::ExceedsBalance => "more than the payment has left",
            Why::HasRefunds => "the payment already has refunds",
            Why::OtherCurrency => "the row's currency is not the payment's",
            Why::TooManyPartials => "the payment has too many partial refunds",
            Why::TooOld => "payment too old to refund",
            Why::PaymentUnreadable => "the payment could not be read",
            Why::WrongPaymentId => "payment not found (wrong payment id?)",
            Why::PastRefundWindow => "payment too old to refund (past the refund window, 180 days)",
            Why::KeyUsed => "refund not found (idempotency key already used)",
            Why::StateAllowsNoRefund => {
                "the payment's state allows no refund (pending, cancelled or already fully refunded)"
            }
            Why::GatewayOperation => "invalid gateway operation",
            Why::PixContingency => "Pix in contingency: the refund cannot be made now",
            Why::NoBalance => "not enough balance in the account to refund",
            Why::SecurityCodeLength => "invalid security code length",
            Why::NoPartialRefunds => {
                "partial refunds are not supported for this payment (refund it in full)"
            }
            Why::AmountNotPositive => "amount must be positive",
            Why::AmountNotNumber => "amount must be a number",
            Why::TooManyDecimals => "amount has too many decimals for the currency",
            Why::AmountExceedsLeft => "amount exceeds what is left to refund on the payment",
            Why::KeyMissing => "the X-Idempotency-Key header was missing",
            Why::AlreadyRefunded => "the payment is already refunded",
            Why::CardProcessor => "refused by the card processor",
            Why::SplitterId => "invalid splitter id",
            Why::TokenRefused => "the access token was refused",
            Why::TokenMayNot => "the token may not refund this payment",
            Why::NotFound => "not found",
            Why::KeyBusy => "the same key was busy at Mercado Pago",
            Why::RateLimited => "too many requests (rate limited)",
            Why::ServerFailed => "Mercado Pago's server failed",
            Why::RefusedWithoutCause => "refused by the API without a cause",
            Why::OrderRefundedEarlier => "an earlier batch already refunded this order",
            Why::OrderInDoubtEarlier => {
                "a row of an earlier batch may have refunded this order (its answer never came): held until a read-back settles it"
            }
            Why::TransactionNeeded => {
                "the order has several payment transactions: name one in a transaction_id column"
            }
            Why::ChargedBack => "the order has an open chargeback: a refund too would pay twice",
            Why::KeyTooLong => "the X-Idempotency-Key is longer than the Orders API takes",
            Why::NotAnOrderId => "not an order id the Orders API takes (ORD and 26 characters)",
            Why::OtherAccountsOrder => {
                "the order belongs to another account (another access token)"
            }
            Why::OrderNotFound => "order not found (wrong order id?)",
            Why::TransactionNotFound => {
                "the transaction is not one of the order's payments (wrong transaction id?)"
            }
            Why::OrderNoPartialRefunds => {
                "partial refunds are not supported for this order (refund it in full)"
            }
            Why::OrderAmountExceedsLeft => {
                "amount exceeds what is left to refund on the order's transaction"
            }
            Why::OrderHasTips => "the order has tips: only a full refund is allowed",
            Why::OrderPastWindow => "order too old to refund (past the refund window)",
            Why::OrderRefundInProgress => {
                "another refund of the order was being processed (sent again with the same key after a pause)"
            }
            Why::KeyUsedOtherRequest => {
                "the key was used before with another request: the row may have refunded, a read-back settles it"
            }
            Why::KeyUnchecked => {
                "Mercado Pago could not check the key and may have refunded: a read-back settles it before anything is sent again"
            }
            Why::OrderTokenMayNot => "the token's account may not refund this order",
            Why::OrderAlreadyRefunded => "the order is already fully refunded",
            Why::OrderStateAllowsNoRefund => {
                "the order's status allows no refund (only processed orders)"
            }
            Why::OrderHasCashout => {
                "the order includes a cash withdrawal (cashout): only a full refund is allowed"
            }
        }
    }

    fn next(self) -> Next {
        use Next::*;
        match self {
            Why::NoTrustedAnswer
            | Why::Outage
            | Why::PaymentUnreadable
            | Why::PixContingency
            | Why::KeyBusy
            | Why::RateLimited
            | Why::ServerFailed
            | Why::OrderRefundInProgress => Retry,
            Why::UnknownRefundStatus
            | Why::InDoubtEarlier
            | Why::OrderInDoubtEarlier
            | Why::KeyUsedOtherRequest
            | Why::KeyUnchecked => Reconcile,
            Why::RefundRejected
            | Why::OtherAmount
            | Why::OtherPayment
            | Why::RefundedEarlier
            | Why::Configuration
            | Why::NotRefundable
            | Why::HasRefunds
            | Why::TooManyPartials
            | Why::TooOld
            | Why::PastRefundWindow
            | Why::KeyUsed
            | Why::StateAllowsNoRefund
            | Why::GatewayOperation
            | Why::NoBalance
            | Why::SecurityCodeLength
            | Why::KeyMissing
            | Why::CardProcessor
            | Why::SplitterId
            | Why::TokenRefused
            | Why::TokenMayNot
            | Why::RefusedWithoutCause
            | Why::OrderRefundedEarlier
            | Why::ChargedBack
            | Why::KeyTooLong
            | Why::OtherAccountsOrder
            | Why::OrderPastWindow
            | Why::OrderTokenMayNot
            | Why::OrderStateAllowsNoRefund => NeedsPerson,
            Why::BadLine
            | Why::PaymentNotFound
            | Why::ExceedsBalance
            | Why::OtherCurrency
            | Why::WrongPaymentId
            | Why::NoPartialRefunds
            | Why::AmountNotPositive
            | Why::AmountNotNumber
            | Why::TooManyDecimals
            | Why::AmountExceedsLeft
            | Why::NotFound
            | Why::TransactionNeeded
            | Why::NotAnOrderId
            | Why::OrderNotFound
            | Why::TransactionNotFound
            | Why::OrderNoPartialRefunds
            | Why::OrderAmountExceedsLeft
            | Why::OrderHasTips
            | Why::OrderHasCashout => FixRow,
            Why::AlreadyRefunded | Why::OrderAlreadyRefunded => Nothing,
        }
    }
}

/// A cause code's meaning and the next step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Meaning {
    pub why: Why,
    pub what: &'static str,
    pub next: Next,
}

/// The meaning of `code`, when known.
pub(crate) fn meaning(code: &CauseCode) -> Option<Meaning> {
    why(code).map(Why::meaning)
}

/// Which meaning `code` has, when known.
fn why(code: &CauseCode) -> Option<Why> {
    Some(match code {
        CauseCode::UnknownOutcome => Why::NoTrustedAnswer,
        CauseCode::RefundStatus => Why::UnknownRefundStatus,
        CauseCode::RefundRejected => Why::RefundRejected,
        CauseCode::AmountDiffers => Why::OtherAmount,
        CauseCode::PaymentDiffers => Why::OtherPayment,
        CauseCode::InvalidInput => Why::BadLine,
        CauseCode::PaymentHasRefunds => Why::RefundedEarlier,
        CauseCode::PaymentInDoubt => Why::InDoubtEarlier,
        CauseCode::Net(n) if n.is_configuration() => Why::Configuration,
        CauseCode::Net(_) => Why::Outage,
        CauseCode::Http(status) => by_status(*status),
        CauseCode::Predicted(p) => predicted(*p)?,
        CauseCode::OrderHasRefunds => Why::OrderRefundedEarlier,
        CauseCode::OrderInDoubt => Why::OrderInDoubtEarlier,
        CauseCode::TransactionNeeded => Why::TransactionNeeded,
        CauseCode::Order(o) => order_why(*o),
        CauseCode::Other(code) => mercado_pago(code)?,
    })
}

/// The Orders API's causes.
fn order_why(code: OrderCause) -> Why {
    match code {
        OrderCause::EmptyRequiredHeader => Why::KeyMissing,
        OrderCause::InvalidIdempotencyKeyLength => Why::KeyTooLong,
        OrderCause::InvalidPathParam => Why::NotAnOrderId,
        OrderCause::InvalidOrderOwner => Why::OtherAccountsOrder,
        OrderCause::OrderNotFound => Why::OrderNotFound,
        OrderCause::TransactionNotFound => Why::TransactionNotFound,
        OrderCause::UnsupportedPartiallyRefunds => Why::OrderNoPartialRefunds,
        OrderCause::RefundAmountExceeds => Why::OrderAmountExceedsLeft,
        OrderCause::PartialRefundForbiddenWithTips => Why::OrderHasTips,
        OrderCause::InStorePaymentRefundOrder => Why::OrderPastWindow,
        OrderCause::RefundInProgress => Why::OrderRefundInProgress,
        OrderCause::IdempotencyKeyAlreadyUsed => Why::KeyUsedOtherRequest,
        OrderCause::ResourceLocked => Why::KeyBusy,
        OrderCause::IdempotencyValidationFailed => Why::KeyUnchecked,
        OrderCause::Unauthorized => Why::TokenRefused,
        OrderCause::UserNotAuthorized => Why::OrderTokenMayNot,
        OrderCause::OrderAlreadyRefunded => Why::OrderAlreadyRefunded,
        OrderCause::CannotRefundOrder | OrderCause::InvalidOrderStatus => {
            Why::OrderStateAllowsNoRefund
        }
        OrderCause::PartialRefundNotAllowedWithCashout => Why::OrderHasCashout,
    }
}

/// The predictions of `run --preflight`.
fn predicted(p: Prediction) -> Option<Why> {
    Some(match p {
        Prediction::NotFound => Why::PaymentNotFound,
        Prediction::NotRefundable => Why::NotRefundable,
        Prediction::ExceedsBalance => Why::ExceedsBalance,
        Prediction::HasPriorRefunds => Why::HasRefunds,
        Prediction::CurrencyMismatch => Why::OtherCurrency,
        Prediction::TooManyPartials => Why::TooManyPartials,
        Prediction::Old => Why::TooOld,
        Prediction::Unreadable => Why::PaymentUnreadable,
        Prediction::ChargedBack => Why::ChargedBack,
        Prediction::Ok | Prediction::AlreadyDone | Prediction::Invalid => return None,
    })
}

/// Mercado Pago's `cause[].code`s the tool knows, with their meaning.
const MERCADO_PAGO: &[(&[&str], Why)] = &[
    (&["2000", "404002"], Why::WrongPaymentId),
    (&["2024", "15016"], Why::PastRefundWindow),
    (&["2032"], Why::KeyUsed),
    (&["2063"], Why::StateAllowsNoRefund),
    (&["2085"], Why::GatewayOperation),
    (&["2090"], Why::PixContingency),
    (&["2091"], Why::NoBalance),
    (&["3012"], Why::SecurityCodeLength),
    (&["3024"], Why::NoPartialRefunds),
    (&["4040"], Why::AmountNotPositive),
    (&["4041"], Why::AmountNotNumber),
    (&["4042"], Why::TooManyDecimals),
    (&["4043"], Why::AmountExceedsLeft),
    (&["4292"], Why::KeyMissing),
    (&["4296"], Why::AlreadyRefunded),
    (
        &["4211", "4248", "4291", "4293", "4294", "4295", "4297"],
        Why::CardProcessor,
    ),
    (&["400048"], Why::SplitterId),
];

/// Mercado Pago's causes.
fn mercado_pago(code: &str) -> Option<Why> {
    MERCADO_PAGO
        .iter()
        .find(|(codes, _)| codes.contains(&code))
        .map(|(_, why)| *why)
}

/// The HTTP statuses the tool tells apart (`by_status`), each once.
const STATUSES: [u16; 11] = [401, 403, 404, 409, 423, 424, 429, 500, 502, 503, 504];

/// `http_<status>` codes: the statuses the tool retries, and the rest.
fn by_status(status: u16) -> Why {
    match status {
        401 => Why::TokenRefused,
        403 => Why::TokenMayNot,
        404 => Why::NotFound,
        409 | 423 | 424 => Why::KeyBusy,
        429 => Why::RateLimited,
        500..=599 => Why::ServerFailed,
        _ => Why::RefusedWithoutCause,
    }
}

/// The tool's own cause codes: what it found, not what an answer said.
const OWN: [CauseCode; 11] = [
    CauseCode::UnknownOutcome,
    CauseCode::RefundStatus,
    CauseCode::RefundRejected,
    CauseCode::AmountDiffers,
    CauseCode::PaymentDiffers,
    CauseCode::InvalidInput,
    CauseCode::PaymentHasRefunds,
    CauseCode::PaymentInDoubt,
    CauseCode::OrderHasRefunds,
    CauseCode::OrderInDoubt,
    CauseCode::TransactionNeeded,
];

/// Every cause code the tool knows a meaning of, each once, grouped as people
/// read them: the tool's own, no answer at all, HTTP statuses, Mercado Pago's
/// (in their table's order), the predictions of `run --preflight`. The
/// console's glossary and the reference's table list these.
pub(crate) fn known() -> Vec<CauseCode> {
    use strum::IntoEnumIterator;
    let mercado_pago = MERCADO_PAGO
        .iter()
        .flat_map(|(codes, _)| codes.iter())
        .map(|c| CauseCode::Other((*c).to_owned()));
    let mut seen = std::collections::HashSet::new();
    OWN.into_iter()
        .chain(crate::domain::NetCause::iter().map(CauseCode::Net))
        .chain(STATUSES.map(CauseCode::Http))
        .chain(mercado_pago)
        .chain(OrderCause::iter().map(CauseCode::Order))
        .chain(Prediction::iter().map(CauseCode::Predicted))
        // As a row's cause is stored and read back: a name two kinds share is
        // the first kind's.
        .map(|c| CauseCode::parse(&c.as_str()))
        .filter(|c| meaning(c).is_some() && seen.insert(c.as_str().into_owned()))
        .collect()
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

    /// Every code once, read back as written, and every key a meaning some
    /// code has (but the catch-all of HTTP statuses
    /// the tool does not tell apart: no one code stands for it).
    #[test]
    fn the_known_codes_cover_every_meaning_once() {
        use strum::IntoEnumIterator;
        let known = known();
        let mut words = std::collections::HashSet::new();
        for c in &known {
            assert_eq!(CauseCode::parse(&c.as_str()), *c, "{c}");
            words.insert(meaning(c).unwrap().why);
        }
        let texts: std::collections::HashSet<_> = known.iter().map(|c| c.as_str()).collect();
        assert_eq!(texts.len(), known.len(), "each code once");
        for why in Why::iter().filter(|w| *w != Why::RefusedWithoutCause) {
            assert!(words.contains(&why), "{why:?}: no code means it");
        }
        assert_eq!(
            meaning_of("http_418").unwrap().why,
            Why::RefusedWithoutCause
        );
        for code in [
            "2063",
            "4248",
            "unknown_outcome",
            "http_503",
            "exceeds_balance",
        ] {
            assert!(texts.contains(code), "{code}");
        }
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
        // Every one of the tool's own, and one of each other kind.
        for code in OWN.into_iter().chain([
            CauseCode::Net(NetCause::ConnectRefused),
            CauseCode::Net(NetCause::Tls),
            CauseCode::Http(503),
            CauseCode::Predicted(Prediction::ExceedsBalance),
            CauseCode::Other("2063".into()),
            CauseCode::Other("bad_request".into()),
        ]) {
            assert_eq!(CauseCode::parse(&code.as_str()), code, "{code}");
        }
        // Older state files hold `refund_cancelled` for a refund created cancelled.
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
