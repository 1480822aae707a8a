//! The cause codes a row can carry, with what each means and what to do next: one
//! table, read by the end-of-run summary and by `status --failed`, so a `2063`
//! is never shown bare. Mercado Pago's own `cause[].code`s (see the API notes)
//! and the tool's own codes (`unknown_outcome`, `http_500`, the predictions of
//! `--preflight`...) alike.
//!
//! Invariants: an HTTP status without a Mercado Pago cause is `http_<status>`
//! (never the bare number — a body whose cause code only repeats the status, as
//! a 500's `{"cause": [{"code": 500}]}` does, has no cause of its own); a code
//! this table does not know still gets a next step from its family (`http_5xx`
//! retry, other `http_4xx` a person), else none is claimed.

use crate::domain::{Cause, CauseCode, Prediction};

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

/// Which meaning a cause code has: the key a meaning is known by, so that its
/// words are translated by it (the console's languages), never by matching
/// the English sentence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::EnumIter)]
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
}

/// A cause code's meaning and the next step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Meaning {
    pub why: Why,
    pub what: &'static str,
    pub next: Next,
}

const fn m(why: Why, what: &'static str, next: Next) -> Option<Meaning> {
    Some(Meaning { why, what, next })
}

/// The meaning of `code`, when known.
pub(crate) fn meaning(code: &CauseCode) -> Option<Meaning> {
    use Next::*;
    match code {
        CauseCode::UnknownOutcome => m(
            Why::NoTrustedAnswer,
            "no answer could be trusted (the refund may or may not exist)",
            Retry,
        ),
        CauseCode::RefundStatus => m(
            Why::UnknownRefundStatus,
            "the refund has a status the tool does not know",
            Reconcile,
        ),
        CauseCode::RefundRejected => m(
            Why::RefundRejected,
            "the refund was rejected or cancelled: no money moved",
            NeedsPerson,
        ),
        CauseCode::AmountDiffers => m(
            Why::OtherAmount,
            "refunded, but for another amount than asked",
            NeedsPerson,
        ),
        CauseCode::PaymentDiffers => m(
            Why::OtherPayment,
            "refunded, but on another payment than asked",
            NeedsPerson,
        ),
        CauseCode::InvalidInput => m(Why::BadLine, "a bad line in the spreadsheet", FixRow),
        CauseCode::PaymentHasRefunds => m(
            Why::RefundedEarlier,
            "an earlier batch already refunded this payment",
            NeedsPerson,
        ),
        CauseCode::PaymentInDoubt => m(
            Why::InDoubtEarlier,
            "a row of an earlier batch may have refunded this payment (its answer never came): held until a read-back settles it",
            Reconcile,
        ),
        CauseCode::Net(n) if n.is_configuration() => m(
            Why::Configuration,
            "the API's host name or certificate is wrong (configuration)",
            NeedsPerson,
        ),
        CauseCode::Net(_) => m(
            Why::Outage,
            "the API could not be reached (an outage)",
            Retry,
        ),
        CauseCode::Http(status) => by_status(*status),
        CauseCode::Predicted(p) => predicted(*p),
        CauseCode::Other(code) => mercado_pago(code),
    }
}

/// The predictions of `run --preflight`.
fn predicted(p: Prediction) -> Option<Meaning> {
    use Next::*;
    match p {
        Prediction::NotFound => m(Why::PaymentNotFound, "payment not found", FixRow),
        Prediction::NotRefundable => m(
            Why::NotRefundable,
            "the payment cannot be refunded",
            NeedsPerson,
        ),
        Prediction::ExceedsBalance => m(
            Why::ExceedsBalance,
            "more than the payment has left",
            FixRow,
        ),
        Prediction::HasPriorRefunds => m(
            Why::HasRefunds,
            "the payment already has refunds",
            NeedsPerson,
        ),
        Prediction::CurrencyMismatch => m(
            Why::OtherCurrency,
            "the row's currency is not the payment's",
            FixRow,
        ),
        Prediction::TooManyPartials => m(
            Why::TooManyPartials,
            "the payment has too many partial refunds",
            NeedsPerson,
        ),
        Prediction::Old => m(Why::TooOld, "payment too old to refund", NeedsPerson),
        Prediction::Unreadable => m(
            Why::PaymentUnreadable,
            "the payment could not be read",
            Retry,
        ),
        Prediction::Ok | Prediction::AlreadyDone | Prediction::Invalid => None,
    }
}

/// Mercado Pago's `cause[].code`s the tool knows, with their meaning.
const MERCADO_PAGO: &[(&[&str], Meaning)] = {
    use Next::*;
    const fn k(why: Why, what: &'static str, next: Next) -> Meaning {
        Meaning { why, what, next }
    }
    &[
        (
            &["2000", "404002"],
            k(
                Why::WrongPaymentId,
                "payment not found (wrong payment id?)",
                FixRow,
            ),
        ),
        (
            &["2024", "15016"],
            k(
                Why::PastRefundWindow,
                "payment too old to refund (past the refund window, 180 days)",
                NeedsPerson,
            ),
        ),
        (
            &["2032"],
            k(
                Why::KeyUsed,
                "refund not found (idempotency key already used)",
                NeedsPerson,
            ),
        ),
        (
            &["2063"],
            k(
                Why::StateAllowsNoRefund,
                "the payment's state allows no refund (pending, cancelled or already fully refunded)",
                NeedsPerson,
            ),
        ),
        (
            &["2085"],
            k(
                Why::GatewayOperation,
                "invalid gateway operation",
                NeedsPerson,
            ),
        ),
        (
            &["2090"],
            k(
                Why::PixContingency,
                "Pix in contingency: the refund cannot be made now",
                Retry,
            ),
        ),
        (
            &["2091"],
            k(
                Why::NoBalance,
                "not enough balance in the account to refund",
                NeedsPerson,
            ),
        ),
        (
            &["3012"],
            k(
                Why::SecurityCodeLength,
                "invalid security code length",
                NeedsPerson,
            ),
        ),
        (
            &["3024"],
            k(
                Why::NoPartialRefunds,
                "partial refunds are not supported for this payment (refund it in full)",
                FixRow,
            ),
        ),
        (
            &["4040"],
            k(Why::AmountNotPositive, "amount must be positive", FixRow),
        ),
        (
            &["4041"],
            k(Why::AmountNotNumber, "amount must be a number", FixRow),
        ),
        (
            &["4042"],
            k(
                Why::TooManyDecimals,
                "amount has too many decimals for the currency",
                FixRow,
            ),
        ),
        (
            &["4043"],
            k(
                Why::AmountExceedsLeft,
                "amount exceeds what is left to refund on the payment",
                FixRow,
            ),
        ),
        (
            &["4292"],
            k(
                Why::KeyMissing,
                "the X-Idempotency-Key header was missing",
                NeedsPerson,
            ),
        ),
        (
            &["4296"],
            k(
                Why::AlreadyRefunded,
                "the payment is already refunded",
                Nothing,
            ),
        ),
        (
            &["4211", "4248", "4291", "4293", "4294", "4295", "4297"],
            k(
                Why::CardProcessor,
                "refused by the card processor",
                NeedsPerson,
            ),
        ),
        (
            &["400048"],
            k(Why::SplitterId, "invalid splitter id", NeedsPerson),
        ),
    ]
};

/// Mercado Pago's causes.
fn mercado_pago(code: &str) -> Option<Meaning> {
    MERCADO_PAGO
        .iter()
        .find(|(codes, _)| codes.contains(&code))
        .map(|(_, meaning)| *meaning)
}

/// The HTTP statuses the tool tells apart (`by_status`), each once.
const STATUSES: [u16; 11] = [401, 403, 404, 409, 423, 424, 429, 500, 502, 503, 504];

/// `http_<status>` codes: the statuses the tool retries, and the rest.
fn by_status(status: u16) -> Option<Meaning> {
    use Next::*;
    match status {
        401 => m(
            Why::TokenRefused,
            "the access token was refused",
            NeedsPerson,
        ),
        403 => m(
            Why::TokenMayNot,
            "the token may not refund this payment",
            NeedsPerson,
        ),
        404 => m(Why::NotFound, "not found", FixRow),
        409 | 423 | 424 => m(Why::KeyBusy, "the same key was busy at Mercado Pago", Retry),
        429 => m(Why::RateLimited, "too many requests (rate limited)", Retry),
        500..=599 => m(Why::ServerFailed, "Mercado Pago's server failed", Retry),
        _ => m(
            Why::RefusedWithoutCause,
            "refused by the API without a cause",
            NeedsPerson,
        ),
    }
}

/// Every cause code the tool knows a meaning of, each once, grouped as people
/// read them: the tool's own, no answer at all, HTTP statuses, Mercado Pago's
/// (in their table's order), the predictions of `run --preflight`. The
/// console's glossary and the reference's table list these.
pub(crate) fn known() -> Vec<CauseCode> {
    use strum::IntoEnumIterator;
    let own = [
        CauseCode::UnknownOutcome,
        CauseCode::RefundStatus,
        CauseCode::RefundRejected,
        CauseCode::AmountDiffers,
        CauseCode::PaymentDiffers,
        CauseCode::InvalidInput,
        CauseCode::PaymentHasRefunds,
        CauseCode::PaymentInDoubt,
    ];
    let mercado_pago = MERCADO_PAGO
        .iter()
        .flat_map(|(codes, _)| codes.iter())
        .map(|c| CauseCode::Other((*c).to_owned()));
    let mut seen = std::collections::HashSet::new();
    own.into_iter()
        .chain(crate::domain::NetCause::iter().map(CauseCode::Net))
        .chain(STATUSES.map(CauseCode::Http))
        .chain(mercado_pago)
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

    /// Every code once, read back as written, each meaning by one key, and
    /// every key a meaning some code has (but the catch-all of HTTP statuses
    /// the tool does not tell apart: no one code stands for it).
    #[test]
    fn the_known_codes_cover_every_meaning_once() {
        use strum::IntoEnumIterator;
        let known = known();
        let mut words = std::collections::HashMap::new();
        for c in &known {
            assert_eq!(CauseCode::parse(&c.as_str()), *c, "{c}");
            let m = meaning(c).unwrap();
            let said = *words.entry(m.why).or_insert(m.what);
            assert_eq!(said, m.what, "{:?}: one sentence per key", m.why);
        }
        let texts: std::collections::HashSet<_> = known.iter().map(|c| c.as_str()).collect();
        assert_eq!(texts.len(), known.len(), "each code once");
        for why in Why::iter().filter(|w| *w != Why::RefusedWithoutCause) {
            assert!(words.contains_key(&why), "{why:?}: no code means it");
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
