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

use crate::domain::Cause;

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
pub(crate) fn meaning(code: &str) -> Option<Meaning> {
    use Next::*;
    match code {
        // Mercado Pago's causes.
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
        // Ours.
        "unknown_outcome" => m(
            "no answer could be trusted (the refund may or may not exist)",
            Retry,
        ),
        "refund_status" => m("the refund has a status the tool does not know", Reconcile),
        "refund_rejected" => m("the refund was rejected: no money moved", NeedsPerson),
        "refund_cancelled" => m("the refund was cancelled: no money moved", NeedsPerson),
        "amount_differs" => m("refunded, but for another amount than asked", NeedsPerson),
        "payment_differs" => m("refunded, but on another payment than asked", NeedsPerson),
        "invalid_input" => m("a bad line in the spreadsheet", FixRow),
        "payment_has_refunds" => m(
            "an earlier batch already refunded this payment",
            NeedsPerson,
        ),
        "connect_refused" | "timeout" | "connect_failed" => {
            m("the API could not be reached (an outage)", Retry)
        }
        "dns" | "tls" => m(
            "the API's host name or certificate is wrong (configuration)",
            NeedsPerson,
        ),
        // The predictions of `run --preflight`.
        "not_found" => m("payment not found", FixRow),
        "not_refundable" => m("the payment cannot be refunded", NeedsPerson),
        "exceeds_balance" => m("more than the payment has left", FixRow),
        "has_prior_refunds" => m("the payment already has refunds", NeedsPerson),
        "currency_mismatch" => m("the row's currency is not the payment's", FixRow),
        "too_many_partials" => m("the payment has too many partial refunds", NeedsPerson),
        "old" => m("payment too old to refund", NeedsPerson),
        "unreadable" => m("the payment could not be read", Retry),
        _ => by_status(code),
    }
}

/// `http_<status>` codes: the statuses the tool retries, and the rest.
fn by_status(code: &str) -> Option<Meaning> {
    let status: u16 = code.strip_prefix("http_")?.parse().ok()?;
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
    let code = format!("http_{status}");
    match cause {
        Some(c) if c.code.is_empty() || c.code == status.to_string() => Some(Cause {
            code,
            message: if c.message.is_empty() {
                format!("HTTP {status}")
            } else {
                c.message
            },
        }),
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
                code: code.into(),
                message: "Internal server error".into(),
            })
        };
        assert_eq!(of_answer(500, c("500")).unwrap().code, "http_500");
        assert_eq!(of_answer(502, c("")).unwrap().code, "http_502");
        assert_eq!(
            of_answer(500, c("500")).unwrap().message,
            "Internal server error"
        );
        assert_eq!(of_answer(400, c("2063")).unwrap().code, "2063");
        assert_eq!(of_answer(429, None), None);
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
            assert!(meaning(code).is_some(), "{code}");
        }
        assert_eq!(meaning("2063").unwrap().next, Next::NeedsPerson);
        assert_eq!(meaning("http_503").unwrap().next, Next::Retry);
        assert_eq!(meaning("http_418").unwrap().next, Next::NeedsPerson);
        assert_eq!(meaning("4043").unwrap().next, Next::FixRow);
        assert!(meaning("2024").unwrap().what.starts_with("payment too old"));
        assert_eq!(meaning("9999"), None);
        assert_eq!(meaning("http_x"), None);
    }
}
