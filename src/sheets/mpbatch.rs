//! Mercado Pago's own batch-refund output: a batch's results in
//! the columns Mercado Pago's batch refunds write,
//! `sequential_order;external_reference;amount;refund_status;refund_detail;payment_id`,
//! so that whatever finance already feeds with those files reads ours
//! (`--results-format mp-batch`). `report` writes the file; this module says what
//! each row's six cells are.
//!
//! Invariants: `sequential_order` is the row's number (input order, 1 the first
//! row under the header); `refund_status` is Mercado Pago's `Refunded` or
//! `INVALID` wherever one of their two values is the truth, and `IN_PROCESS` or
//! `PENDING` where neither is — a refund that settles later is not refunded yet,
//! and a row whose fate is unknown must never read `INVALID`, which invites
//! sending it again by hand: a second refund. `refund_detail` always names the
//! cause code with what it means and what to do next. The cells are as they
//! are: the sheet writer (`sheet`) neutralises every one; amounts this module
//! writes take the input's decimal mark (its `Dialect`).

use crate::domain::causes::{self, Next};
use crate::domain::{Cause, CauseCode, Outcome, Requested};
use crate::sheets::input::KeyColumns;
use crate::store::ledger::StoredRow;
use crate::domain::money;
use crate::sheets::sheet::Dialect;

/// Mercado Pago's output columns, in their order.
pub(crate) const COLUMNS: [&str; 6] = [
    "sequential_order",
    "external_reference",
    "amount",
    "refund_status",
    "refund_detail",
    "payment_id",
];

/// A row's `refund_status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    /// Refunded (Mercado Pago's `Refunded`): the money went back.
    Refunded,
    /// Not refunded, and nothing is under way (Mercado Pago's `INVALID`): a bad
    /// line, a refusal, a rejected refund.
    Invalid,
    /// The refund exists and settles later: not refunded yet, not to be sent again.
    InProcess,
    /// Not settled: not sent yet, or sent with no answer to trust.
    Pending,
}

impl Status {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::Refunded => "Refunded",
            Status::Invalid => "INVALID",
            Status::InProcess => "IN_PROCESS",
            Status::Pending => "PENDING",
        }
    }
}

/// A row's `refund_status` and `refund_detail`.
pub(crate) fn status(row: &StoredRow) -> (Status, String) {
    let cause = row.result.cause.as_ref();
    match row.result.outcome {
        Outcome::Refunded => (
            Status::Refunded,
            match cause {
                Some(c) => format!("refunded, not as asked: {}", explain(c)),
                None if row.already_done => {
                    "refunded (already done before this batch asked)".into()
                }
                None => "refunded".into(),
            },
        ),
        Outcome::InProcess => (
            Status::InProcess,
            match cause {
                Some(c) => format!("in process, not as asked: {}", explain(c)),
                None => format!(
                    "in process: the refund exists and settles later; next: {}",
                    Next::Reconcile.as_str()
                ),
            },
        ),
        Outcome::Failed => (
            Status::Invalid,
            format!(
                "could not process the refund: {}",
                cause.map_or_else(|| "no cause given".to_owned(), explain)
            ),
        ),
        Outcome::Invalid => (
            Status::Invalid,
            match cause {
                // The bad line's own reason says what to fix ("line 3: amount …").
                Some(c) if c.code == CauseCode::InvalidInput => {
                    format!(
                        "invalid line: {}; next: {}",
                        c.message,
                        Next::FixRow.as_str()
                    )
                }
                Some(c) => format!("not sent: {}", explain(c)),
                None => "not sent".into(),
            },
        ),
        // Mercado Pago's file has no status for it: pending, and the detail says
        // that money may have moved.
        Outcome::Unknown => (
            Status::Pending,
            format!(
                "in doubt: may have been refunded (Mercado Pago's answer never came{}); next: retry (same key) or reconcile (reads it back)",
                cause.map_or_else(String::new, |c| format!("; last: {}", explain(c)))
            ),
        ),
        Outcome::Pending => (
            Status::Pending,
            match cause {
                // Rows still to send are the run's again, whatever their last cause.
                Some(c) => format!("not settled: {}; next: run again", what_of(c)),
                None => "not sent yet: the run stopped before this row; next: run again".into(),
            },
        ),
    }
}

/// `2063: the payment's state allows no refund (…); next: needs a person`, or the
/// server's message for a code the tool does not know.
fn explain(cause: &Cause) -> String {
    match causes::meaning(&cause.code) {
        Some(m) => format!("{}; next: {}", what_of(cause), m.next.as_str()),
        None => what_of(cause),
    }
}

/// `2063: the payment's state allows no refund (…)`: the code and what it means
/// (the server's message for a code the tool does not know).
fn what_of(cause: &Cause) -> String {
    match causes::meaning(&cause.code) {
        Some(m) => format!("{}: {}", cause.code, m.what),
        None if cause.message.is_empty() => cause.code.to_string(),
        None => format!("{}: {}", cause.code, cause.message),
    }
}

/// The six cells of `row`. `amount` echoes the input's cell, except that a
/// `full` row whose refund stands shows what was refunded (the input has no
/// amount for it), with the input's decimal mark.
pub(crate) fn cells(row: &StoredRow, columns: &KeyColumns, dialect: Dialect) -> [String; 6] {
    let cell = |i: Option<usize>| {
        i.and_then(|i| row.fields.get(i))
            .map_or_else(String::new, |c| c.trim().to_owned())
    };
    let amount = match (row.ask.as_ref().map(|a| a.requested), row.result.refunded()) {
        (Some(Requested::Full), Some(a)) => dialect.amount(money::fixed(row.currency, a)),
        _ => cell(Some(columns.amount)),
    };
    let payment_id = row
        .ask
        .as_ref()
        .map_or_else(|| cell(Some(columns.id())), |a| a.target.to_string());
    let (status, detail) = status(row);
    [
        row.row_no.to_string(),
        cell(columns.reference),
        amount,
        status.as_str().to_owned(),
        detail,
        payment_id,
    ]
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use rust_decimal::Decimal;

    use super::*;
    use crate::domain::{
        Amount, IdempotencyKey, PaymentId, RefundAsk, RefundInfo, RefundStatus, RowResult, Target,
    };

    const COLS: KeyColumns = KeyColumns {
        payment: Some(0),
        order: None,
        reference: Some(1),
        amount: 2,
    };

    fn row(fields: &[&str], requested: Option<Requested>, result: RowResult) -> StoredRow {
        StoredRow {
            row_no: 7,
            line: 8,
            fields: fields.iter().map(|f| (*f).to_owned()).collect(),
            ask: requested.map(|requested| RefundAsk {
                key: IdempotencyKey::new("mpr1-x").unwrap(),
                target: Target::Payment(PaymentId::new(fields[0].parse().unwrap()).unwrap()),
                requested,
            }),
            currency: None,
            result,
            already_done: false,
        }
    }

    fn comma() -> Dialect {
        Dialect {
            decimal_comma: true,
            ..Dialect::default()
        }
    }

    fn partial(a: &str) -> Option<Requested> {
        Some(Requested::Partial(
            Amount::new(Decimal::from_str(a).unwrap()).unwrap(),
        ))
    }

    fn refunded(outcome: Outcome, amount: &str) -> RowResult {
        RowResult {
            refund: Some(RefundInfo {
                id: "77".into(),
                status: RefundStatus::Approved,
                amount: Some(Decimal::from_str(amount).unwrap()),
                created_ms: None,
            }),
            ..RowResult::new(outcome)
        }
    }

    fn caused(outcome: Outcome, code: &str, message: &str) -> RowResult {
        RowResult {
            cause: Some(Cause {
                code: CauseCode::parse(code),
                message: message.into(),
            }),
            ..RowResult::new(outcome)
        }
    }

    #[test]
    fn a_refunded_row_reads_as_mercado_pagos_own() {
        let r = row(
            &["1885556855", "ext_ref1", "199,10"],
            partial("199.10"),
            refunded(Outcome::Refunded, "199.10"),
        );
        assert_eq!(
            cells(&r, &COLS, comma()),
            [
                "7",
                "ext_ref1",
                "199,10",
                "Refunded",
                "refunded",
                "1885556855"
            ]
        );
    }

    /// An order's row: its `ORD…` id where the payment's would be, whichever
    /// column of the input held it.
    #[test]
    fn an_order_row_shows_its_order_id() {
        let order = "ORD01JQ4S4KY8HWQ6NA5PXB65B3D3";
        let mut r = row(
            &["1", "ext", "5,00"],
            partial("5"),
            refunded(Outcome::Refunded, "5"),
        );
        r.fields = vec![String::new(), "ext".into(), "5,00".into(), order.into()];
        if let Some(a) = r.ask.as_mut() {
            a.target = Target::Order(crate::domain::OrderRef {
                order: order.parse().unwrap(),
                transaction: None,
            });
        }
        let c = cells(&r, &COLS, comma());
        assert_eq!((c[3].as_str(), c[5].as_str()), ("Refunded", order));
        // An invalid row shows the order id column's cell when there is no payment id column.
        let only_orders = KeyColumns {
            payment: None,
            order: Some(3),
            ..COLS
        };
        let bad = StoredRow {
            ask: None,
            ..row(
                &["", "ext", "x", "ORD-BAD"],
                None,
                RowResult::new(Outcome::Invalid),
            )
        };
        assert_eq!(cells(&bad, &only_orders, comma())[5], "ORD-BAD");
    }

    #[test]
    fn a_full_row_shows_what_was_refunded_in_the_inputs_decimal_mark() {
        let r = row(
            &["0012", "", "full"],
            Some(Requested::Full),
            refunded(Outcome::Refunded, "80.5"),
        );
        let c = cells(&r, &COLS, comma());
        assert_eq!((c[2].as_str(), c[5].as_str()), ("80,50", "12"));
        let not_yet = row(
            &["12", "", "full"],
            Some(Requested::Full),
            RowResult::new(Outcome::Pending),
        );
        assert_eq!(cells(&not_yet, &COLS, Dialect::default())[2], "full");
    }

    #[test]
    fn every_outcome_maps_to_a_status_that_tells_the_truth() {
        let ask = partial("10");
        let cases = [
            (
                refunded(Outcome::InProcess, "10"),
                "IN_PROCESS",
                "settles later; next: reconcile",
            ),
            (
                caused(Outcome::Failed, "2063", "Invalid action"),
                "INVALID",
                "could not process the refund: 2063: the payment's state allows no refund",
            ),
            (
                caused(Outcome::Failed, "9999", "Something new"),
                "INVALID",
                "could not process the refund: 9999: Something new",
            ),
            (
                caused(Outcome::Pending, "unknown_outcome", "timeout"),
                "PENDING",
                "not settled: unknown_outcome: no answer could be trusted",
            ),
            (RowResult::new(Outcome::Pending), "PENDING", "not sent yet"),
            (
                caused(Outcome::Invalid, "payment_has_refunds", ""),
                "INVALID",
                "not sent: payment_has_refunds: an earlier batch already refunded",
            ),
            (
                RowResult {
                    cause: Some(Cause {
                        code: CauseCode::AmountDiffers,
                        message: String::new(),
                    }),
                    ..refunded(Outcome::Refunded, "9")
                },
                "Refunded",
                "refunded, not as asked: amount_differs: refunded, but for another amount",
            ),
        ];
        for (result, want_status, want_detail) in cases {
            let c = cells(
                &row(&["5", "r", "10"], ask, result),
                &COLS,
                Dialect::default(),
            );
            assert_eq!(c[3], want_status, "{c:?}");
            assert!(c[4].contains(want_detail), "{want_detail:?} in {c:?}");
        }
    }

    #[test]
    fn an_invalid_line_echoes_its_cells_and_says_what_to_fix() {
        let r = row(
            &["=cmd", "@ref", "-5"],
            None,
            caused(
                Outcome::Invalid,
                "invalid_input",
                "line 8: amount \"-5\" must be positive",
            ),
        );
        let c = cells(&r, &COLS, Dialect::default());
        assert_eq!(c[..4], ["7", "@ref", "-5", "INVALID"].map(String::from));
        // As read: the sheet writer neutralises them (the integration test reads it).
        assert_eq!(c[5], "=cmd");
        assert_eq!(
            c[4],
            "invalid line: line 8: amount \"-5\" must be positive; next: fix the row, then run it again"
        );
        // A short line: missing cells are empty, never a panic.
        let short = row(&["9"], None, caused(Outcome::Invalid, "invalid_input", "x"));
        assert_eq!(cells(&short, &COLS, Dialect::default())[1], "");
        // No reference column at all.
        let no_ref = KeyColumns {
            reference: None,
            ..COLS
        };
        assert_eq!(cells(&r, &no_ref, Dialect::default())[1], "");
    }
}
