//! The fixtures the tests of the state file, and of the commands that read it,
//! share: a batch as its first run records it, and rows as the input gives them.

use rust_decimal::Decimal;

use super::{Batch, BatchSettings};
use crate::domain::finding::{AmountFinding, Finding, Findings};
use crate::domain::{Amount, IdempotencyKey, PaymentId, RefundAsk, Requested, Row, Target, Valid};

/// Batch `id` of `rows` rows, made from `in.csv` (`payment_id`, `amount`).
pub(crate) fn batch(id: &str, rows: u64) -> Batch {
    Batch {
        id: id.into(),
        created_at_ms: 1,
        input_path: "in.csv".into(),
        input_digest: "d".into(),
        namespace: "ns".into(),
        header: vec!["payment_id".into(), "amount".into()],
        delimiter: b',',
        settings: BatchSettings::default(),
        row_count: rows,
    }
}

/// Batch `id` of one row, made from `input` at `created_at_ms`: what the
/// commands that pick a batch by its input read.
pub(crate) fn batch_from(id: &str, input: &str, created_at_ms: i64) -> Batch {
    Batch {
        created_at_ms,
        input_path: input.into(),
        header: Vec::new(),
        ..batch(id, 1)
    }
}

/// What row `n` asks: 10.50 of payment 1000 + `n`, under key `k{n}`, with
/// reference `cb-{n}`.
pub(crate) fn content(n: u64) -> Valid {
    Valid {
        ask: RefundAsk {
            key: IdempotencyKey::new(format!("k{n}")).unwrap(),
            target: Target::Payment(PaymentId::new(1000 + n).unwrap()),
            requested: Requested::Partial(Amount::new(Decimal::new(1050, 2)).unwrap()),
        },
        currency: None,
        reference: Some(format!("cb-{n}")),
    }
}

/// An invalid row's findings: its amount is blank.
pub(crate) fn blank_amount() -> Findings {
    Findings::one(Finding::Amount(AmountFinding::Blank))
}

/// Row `n`, on line `n + 1`: its payment's cell and `amount`, and what it asks.
pub(crate) fn row(n: u64, amount: &str, content: Result<Valid, Findings>) -> Row {
    Row {
        row_no: n,
        line: n + 1,
        fields: vec![format!("{}", 1000 + n), amount.into()],
        content,
    }
}
