//! The state file: owns the SQLite connection and everything stored in it — batches
//! (input digest, settings) and rows (key, state, attempts, last answer). Schema
//! changes are ordered migrations numbered by `PRAGMA user_version`.
//!
//! Invariants: a row is `sending` before its request may leave (claims commit
//! before the runner dispatches them); results are written in batched
//! transactions by the single owner of this value; a `sending` row found at start
//! is one whose answer was never recorded, so it is sent again with its key. The
//! token is never stored. WAL with `synchronous=FULL`: a committed result survives
//! a crash of the process or of the machine.

use anyhow::Context;
use rusqlite::{Connection, OptionalExtension, Transaction};

use crate::domain::settings::Sending;
use crate::domain::{Currency, Outcome, RefundAsk, Row, RowResult};

mod batch;
mod checkpoint;
mod claim;
mod codec;
mod doubt;
mod queries;
mod readonly;
mod schema;
#[cfg(test)]
pub(crate) mod testing;

pub(crate) use batch::{BatchWriter, NewRow};
pub(crate) use doubt::{DoubtRow, DoubtScope, Verdict};
pub(crate) use queries::Listing;
pub(crate) use readonly::{Earlier, ReadOnly};

/// The stored state of a row: where it stands in the work (`pending`, `sending`,
/// `failed`, settled), beside `doubt`, what Mercado Pago may have done with it.
/// A row whose request may have left is `sending` until its answer is recorded —
/// the ledger's own detail, which makes the next run send it again with its key.
const SENDING: &str = "sending";

/// A row's outcome as SQL, from `state` and `doubt` (the same rule as
/// [`outcome_of`]): a settled or invalid row is what it says; else a row that may
/// have refunded is `unknown` — a `sending` one always, whatever wrote it.
pub(super) const OUTCOME_SQL: &str = "(CASE WHEN state IN ('refunded', 'in_process', 'invalid') THEN state \
     WHEN doubt <> 0 OR state = 'sending' THEN 'unknown' ELSE state END)";

/// The amount a row's refund moved, as text, of the row `$alias`: stored as an
/// empty BLOB when it is the very text of the amount the row asked (schema 9:
/// most refunds are for what was asked, and that text is in the row already).
/// Every read of `refunded_amount` goes through here; a copy to another row
/// copies the text.
macro_rules! refunded_amount {
    ($alias:literal) => {
        concat!(
            "(CASE WHEN typeof(",
            $alias,
            ".refunded_amount) = 'blob' THEN ",
            $alias,
            ".requested ELSE ",
            $alias,
            ".refunded_amount END)"
        )
    };
}
use refunded_amount;

/// How a refunded amount `?n` (text, or NULL) of a row is stored (see
/// [`refunded_amount`]): SQL for the value to set.
macro_rules! stored_refunded_amount {
    ($param:literal) => {
        concat!(
            "(CASE WHEN ",
            $param,
            " = requested THEN x'' ELSE ",
            $param,
            " END)"
        )
    };
}
use stored_refunded_amount;

/// A row's line as stored: NULL when it is the usual one (the header, then a
/// row a line), which most rows of most files are.
fn stored_line(row: &Row) -> Option<i64> {
    (row.line != row.row_no + 1).then_some(row.line as i64)
}

/// The state a result is stored under. A row in doubt that came back from a
/// run that stopped (no verdict on it: `retryable` unset) waits in `sending`
/// for the next run; one whose attempts ran out is `failed`, for `retry`. A
/// row handed back that nothing of reached Mercado Pago is `pending` again.
fn stored_state(r: &RowResult) -> &'static str {
    match r.outcome {
        Outcome::Unknown if r.retryable.is_none() => SENDING,
        Outcome::Unknown => Outcome::Failed.as_str(),
        o => o.as_str(),
    }
}

/// Whether a result leaves its row in doubt.
fn stored_doubt(r: &RowResult) -> bool {
    r.outcome == Outcome::Unknown
}

fn outcome_of(state: &str, doubt: bool) -> anyhow::Result<Outcome> {
    let stored = if state == SENDING {
        return Ok(Outcome::Unknown);
    } else {
        state
            .parse()
            .map_err(|_| anyhow::anyhow!("state file holds an unknown row state {state:?}"))?
    };
    Ok(match stored {
        Outcome::Refunded | Outcome::InProcess | Outcome::Invalid => stored,
        _ if doubt => Outcome::Unknown,
        other => other,
    })
}

/// A batch's settings as its first run recorded them, for the commands after it
/// (stored as JSON; fields added later are optional). How it sent is the very
/// [`Sending`] the run resolved, stored under its flags' names.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub(crate) struct BatchSettings {
    /// Where the results CSV was written.
    pub out: Option<std::path::PathBuf>,
    pub api_base: Option<String>,
    #[serde(flatten)]
    pub sending: Sending,
    pub allow_duplicates: bool,
    pub skip_invalid: bool,
    pub key_version: Option<String>,
    /// The input started with a BOM or was Windows-1252 (Excel's): the results start
    /// with a BOM, so that Excel reads them as UTF-8.
    pub results_bom: bool,
    /// The input wrote amounts with a decimal comma: so do the results.
    pub decimal_comma: bool,
    /// The columns of the results file (`--results-format`), as the batch's run
    /// chose them: every later rewrite (retry, report, reconcile) keeps them
    /// unless told otherwise. Absent: the tool's own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub results_format: Option<crate::domain::ResultsFormat>,
    /// `--allow-more-refunds`: a person said this batch's rows may be sent on
    /// payments other batches refunded; the per-payment guard stands aside.
    pub allow_more_refunds: bool,
}

/// A batch as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Batch {
    pub id: String,
    pub created_at_ms: i64,
    pub input_path: String,
    pub input_digest: String,
    pub namespace: String,
    pub header: Vec<String>,
    pub delimiter: u8,
    /// What the run that created it was told (never the token).
    pub settings: BatchSettings,
    pub row_count: u64,
}

/// A refund an earlier batch of the state file made (or may have made) on the
/// payment (or order) of a row being added, under another key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PriorRefund {
    pub row_no: u64,
    pub line: u64,
    /// The payment id, or the order's `ORD…` id.
    pub payment_id: String,
    pub batch_id: String,
    /// When that batch entered the state file: a console upload tells an
    /// earlier batch of the same file from the one its own approval made.
    pub batch_created_at_ms: i64,
    /// What that row asked (`full` or an amount).
    pub requested: String,
    pub refunded_amount: Option<String>,
    /// Its stored state (`refunded`, `in_process`, `sending`...).
    pub state: String,
    pub last_attempt_at_ms: Option<i64>,
    pub attempts: u32,
    /// The row may have refunded: a request of it reached (or may have reached)
    /// Mercado Pago with no answer settling it.
    pub doubt: bool,
    /// The row refunds an order of the Orders API (`payment_id` is its id).
    pub order: bool,
}

/// What became of an earlier refund, for the words that say it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Standing {
    Refunded,
    InProcess,
    /// A request may have refunded: its answer never came.
    InDoubt,
    Waiting,
    /// Another stored state, said by its name.
    Other,
}

impl PriorRefund {
    pub(crate) fn standing(&self) -> Standing {
        match self.state.as_str() {
            "refunded" => Standing::Refunded,
            "in_process" => Standing::InProcess,
            _ if self.doubt => Standing::InDoubt,
            "pending" | SENDING => Standing::Waiting,
            _ => Standing::Other,
        }
    }

    /// "batch B: 25 refunded 2026-11-24T10:00:00Z" — what a person needs to decide.
    pub(crate) fn describe(&self) -> String {
        let amount = self.refunded_amount.as_deref().unwrap_or(&self.requested);
        let when = self
            .last_attempt_at_ms
            .map(|t| format!(" {}", crate::domain::clock::rfc3339(t)))
            .unwrap_or_default();
        let short: String = self.batch_id.chars().take(12).collect();
        let state = match self.state.as_str() {
            "refunded" | "in_process" => self.state.as_str(),
            _ if self.doubt => "may have been refunded (its answer never came)",
            "pending" | SENDING => "waiting to be sent",
            other => other,
        };
        format!("{amount} {state}{when} (batch {short})")
    }
}

/// A row the per-payment guard holds back, with every earlier refund of its
/// payment that stands in its way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Held {
    pub row_no: u64,
    pub line: u64,
    pub why: String,
    /// Only rows in doubt stand in its way (no refund known to be made): a
    /// read-back may free it, so the row is held, never refused.
    pub only_doubt: bool,
    /// The row refunds an order, not a payment.
    pub order: bool,
}

impl Held {
    /// The cause a held row carries.
    pub(crate) fn code(&self) -> crate::domain::CauseCode {
        use crate::domain::CauseCode;
        match (self.order, self.only_doubt) {
            (false, true) => CauseCode::PaymentInDoubt,
            (false, false) => CauseCode::PaymentHasRefunds,
            (true, true) => CauseCode::OrderInDoubt,
            (true, false) => CauseCode::OrderHasRefunds,
        }
    }
}

/// One [`Held`] per row, naming every earlier refund of its payment.
pub(crate) fn by_row(prior: Vec<PriorRefund>) -> Vec<Held> {
    let mut out: Vec<Held> = Vec::new();
    for p in prior {
        let settled = matches!(p.state.as_str(), "refunded" | "in_process");
        let only_doubt = p.doubt && !settled;
        match out.last_mut() {
            Some(h) if h.row_no == p.row_no => {
                h.why.push_str("; ");
                h.why.push_str(&p.describe());
                h.only_doubt &= only_doubt;
            }
            _ => out.push(Held {
                row_no: p.row_no,
                line: p.line,
                why: format!(
                    "{} {} already has refunds in the state file: {}",
                    if p.order { "order" } else { "payment" },
                    p.payment_id,
                    p.describe()
                ),
                only_doubt,
                order: p.order,
            }),
        }
    }
    out
}

/// Which rows of a batch [`Ledger::for_each_ask`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Which {
    All = 0,
    /// Pending, or sent with no answer: what a run would send.
    ToSend = 1,
    /// Refunded or in process: what needs no sending.
    Done = 2,
}

/// A row handed to a worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Claimed {
    pub row_no: u64,
    pub ask: RefundAsk,
    /// The row's currency, for the live figures a refund adds to.
    pub currency: Option<Currency>,
    /// The row was in doubt before this claim: an earlier request may have
    /// refunded — its own, or one of another batch's row with its key (the same
    /// request) — so nothing this run hears short of the refund settles it.
    pub in_doubt: bool,
}

/// A refund a row of a batch made, as the state file knows it.
#[derive(Debug, Clone)]
pub(crate) struct MadeRefund {
    pub row_no: u64,
    pub payment: u64,
    pub refund_id: String,
    /// What the API said it refunded (absent only in a damaged state file).
    pub amount: Option<rust_decimal::Decimal>,
    pub currency: Option<Currency>,
    pub made_at_ms: Option<i64>,
}

/// A row as the results CSV shows it.
#[derive(Debug, Clone)]
pub(crate) struct StoredRow {
    pub row_no: u64,
    /// The line of the input file the row starts on (what `plan` names).
    pub line: u64,
    pub fields: Vec<String>,
    /// `None` for an invalid row.
    pub ask: Option<RefundAsk>,
    pub currency: Option<Currency>,
    pub result: RowResult,
    /// Its refund was there before this row asked: found in the state file
    /// (another batch's) or replayed by the API — not a new refund.
    pub already_done: bool,
}

pub(crate) struct Ledger {
    conn: Connection,
    alone: claim::Alone,
    /// While a run holds the checkpoints back, the frames in the write-ahead
    /// log after the last commit (see [`checkpoint`]).
    wal_frames: Option<std::sync::Arc<std::sync::atomic::AtomicI32>>,
}

impl Ledger {
    /// The number the rows of batch `id` are stored under.
    fn seq(&self, id: &str) -> anyhow::Result<i64> {
        // Cached: every claim asks.
        self.conn
            .prepare_cached("SELECT seq FROM batches WHERE id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?
            .with_context(|| format!("state file: no batch {id}"))
    }
}

/// Every transaction that changes rows counts one generation (see
/// [`Ledger::generation`]).
fn bump_generation(tx: &Transaction<'_>) -> anyhow::Result<()> {
    // Cached: every claim and every group of results counts one.
    tx.prepare_cached(
        "INSERT INTO meta (name, value) VALUES ('generation', '1')
         ON CONFLICT (name) DO UPDATE SET value = CAST(value AS INTEGER) + 1",
    )?
    .execute([])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::schema::MIGRATIONS;
    use super::testing::{batch, blank_amount, content, row};
    use super::*;
    use crate::domain::{
        Cause, IdempotencyKey, Kind, PaymentId, RefundInfo, Requested, Target, Valid,
    };

    /// Rows by stored state, `sending` apart.
    fn raw_states(l: &Ledger, batch: &str) -> std::collections::HashMap<String, i64> {
        let mut stmt = l
            .conn
            .prepare("SELECT state, COUNT(*) FROM rows WHERE batch = (SELECT seq FROM batches WHERE id = ?1) GROUP BY state")
            .unwrap();
        stmt.query_map([batch], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    /// Every row of batch `id`, in input order.
    fn rows_of(l: &Ledger, id: &str) -> Vec<StoredRow> {
        let mut rows = Vec::new();
        l.for_each_row(id, |r| {
            rows.push(r);
            Ok(())
        })
        .unwrap();
        rows
    }

    /// Refunded by refund `id` (of `amount`, if said) after `attempts`, the
    /// last at 5.
    /// Rows numbered `n`, each as `content(n)`.
    fn numbered<const N: usize>(n: [u64; N]) -> [anyhow::Result<Row>; N] {
        n.map(|n| {
            Ok(Row {
                row_no: n,
                line: n + 1,
                fields: vec![],
                content: Ok(content(n)),
            })
        })
    }

    fn refunded(id: &str, amount: Option<rust_decimal::Decimal>, attempts: u32) -> RowResult {
        RowResult {
            outcome: Outcome::Refunded,
            attempts,
            http_status: Some(201),
            cause: None,
            retryable: None,
            refund: Some(RefundInfo {
                id: id.into(),
                status: crate::domain::RefundStatus::Approved,
                amount,
                created_ms: None,
            }),
            last_attempt_at_ms: Some(5),
        }
    }

    fn create(
        l: &mut Ledger,
        b: &Batch,
        rows: impl IntoIterator<Item = anyhow::Result<Row>>,
    ) -> u64 {
        let mut w = l.new_batch(b).unwrap();
        for row in rows {
            w.insert(NewRow::of(&row.unwrap())).unwrap();
        }
        w.commit(b).unwrap()
    }

    fn ledger_with(rows: u64) -> (tempfile::TempDir, Ledger) {
        let dir = tempfile::tempdir().unwrap();
        let mut l = Ledger::open(&dir.path().join("state.db")).unwrap();
        let new_rows = (1..=rows).map(|n| {
            let content = if n == 3 {
                Err(blank_amount())
            } else {
                Ok(content(n))
            };
            Ok(row(n, "10,50", content))
        });
        create(&mut l, &batch("b1", rows), new_rows);
        (dir, l)
    }

    #[test]
    fn migrations_are_idempotent_and_versioned() {
        let (dir, l) = ledger_with(2);
        drop(l);
        let l = Ledger::open(&dir.path().join("state.db")).unwrap();
        let v: i64 = l
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v as usize, MIGRATIONS.len());
        assert_eq!(l.batch("b1").unwrap().unwrap(), batch("b1", 2));
        assert!(l.batch("nope").unwrap().is_none());
    }

    /// A state file of schema 3 (text keys and ids, JSON cells) comes through the
    /// compaction of schema 4 with every row as it was.
    #[test]
    fn a_schema_3_file_is_compacted_without_losing_a_row() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        let key = format!("mpr1-{}", "ab".repeat(24));
        {
            let c = Connection::open(&path).unwrap();
            for sql in &MIGRATIONS[..3] {
                c.execute_batch(sql).unwrap();
            }
            c.pragma_update(None, "user_version", 3).unwrap();
            c.execute_batch(&format!(
                r#"INSERT INTO batches VALUES ('old1', 1, '/in.csv', 'd', 'ns', '["payment_id","amount","note"]', 44, '{{}}', 3);
                   INSERT INTO rows (batch_id, row_no, line, key, kind, payment_id, requested, currency, reference,
                                     fields, state, attempts, refund_id, refund_status, refunded_amount, last_attempt_at, updated_at)
                   VALUES ('old1', 1, 2, '{key}', 'payment', '1001', '10.5', 'BRL', NULL,
                           '["1001","10,50","a"]', 'refunded', 1, '777', 'approved', '10.5', 5, 5),
                          ('old1', 2, 3, 'k-legacy', 'advanced_payment', '1002', 'full', NULL, 'r',
                           '["1002","full","b"]', 'pending', 0, NULL, NULL, NULL, NULL, 5),
                          ('old1', 3, 4, NULL, NULL, NULL, NULL, NULL, NULL,
                           '["x","-1","c"]', 'invalid', 0, NULL, NULL, NULL, NULL, 5);"#
            ))
            .unwrap();
        }
        let mut l = Ledger::open(&path).unwrap();
        let rows = rows_of(&l, "old1");
        assert_eq!(rows.len(), 3);
        let ask = rows[0].ask.as_ref().unwrap();
        assert_eq!(ask.key.as_str(), key);
        assert_eq!(ask.target, Target::Payment(PaymentId::new(1001).unwrap()));
        assert_eq!(rows[0].fields, ["1001", "10,50", "a"]);
        assert_eq!(rows[0].result.refund.as_ref().unwrap().id, "777");
        assert_eq!(rows[0].result.outcome, Outcome::Refunded);
        assert_eq!(rows[1].ask.as_ref().unwrap().kind(), Kind::AdvancedPayment);
        assert_eq!(rows[1].ask.as_ref().unwrap().key.as_str(), "k-legacy");
        assert!(rows[2].ask.is_none());
        assert_eq!(rows[2].fields, ["x", "-1", "c"]);
        // The migrated rows are claimed, and new batches are numbered after them.
        let claimed = l.record_and_claim("old1", &[], 0, 10).unwrap();
        assert_eq!(claimed.len(), 1);
        assert_eq!(claimed[0].ask.key.as_str(), "k-legacy");
        assert_eq!(
            l.known_refund_ids()
                .unwrap()
                .into_iter()
                .collect::<Vec<_>>(),
            ["777"]
        );
        let new_rows = (1..=2).map(|n| {
            Ok(Row {
                row_no: n,
                line: n + 1,
                fields: vec![format!("{}", 5000 + n)],
                content: Ok(content(4000 + n)),
            })
        });
        create(&mut l, &batch("new1", 2), new_rows);
        assert_eq!(l.outcome_counts("new1").unwrap()[&Outcome::Pending], 2);
    }

    fn order_content(n: u64, transaction: Option<&str>) -> Valid {
        Valid {
            ask: RefundAsk {
                key: IdempotencyKey::new(format!("o{n}")).unwrap(),
                target: Target::Order(crate::domain::OrderRef {
                    order: format!("ORD01JQ4S4KY8HWQ6NA5PXB65B{n:03}").parse().unwrap(),
                    transaction: transaction.map(|t| t.parse().unwrap()),
                }),
                requested: Requested::Full,
            },
            currency: None,
            reference: None,
        }
    }

    /// A batch has orders when one of its rows is an order's: not when only
    /// another batch of the state file has, nor in a state file without any.
    #[test]
    fn a_batch_has_orders_only_through_its_own_rows() {
        let dir = tempfile::tempdir().unwrap();
        let mut l = Ledger::open(&dir.path().join("s.db")).unwrap();
        create(&mut l, &batch("payments", 3), numbered([1, 2, 3]));
        assert!(!l.has_orders("payments").unwrap());
        let mixed = [
            Ok(Row {
                row_no: 1,
                line: 2,
                fields: vec![],
                content: Ok(content(11)),
            }),
            Ok(Row {
                row_no: 2,
                line: 3,
                fields: vec![],
                content: Ok(order_content(12, None)),
            }),
        ];
        create(&mut l, &batch("mixed", 2), mixed);
        assert!(l.has_orders("mixed").unwrap());
        assert!(!l.has_orders("payments").unwrap());
    }

    /// A state file of schema 6 (before orders) is upgraded with every row as
    /// it was, and then holds order rows beside payment rows: stored by their
    /// order and transaction, claimed and read back as they went in.
    #[test]
    fn a_schema_6_file_takes_order_rows_beside_its_payment_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("six.db");
        {
            let c = Connection::open(&path).unwrap();
            for sql in &MIGRATIONS[..6] {
                c.execute_batch(sql).unwrap();
            }
            c.pragma_update(None, "user_version", 6).unwrap();
            c.execute_batch(
                r#"INSERT INTO batches (id, created_at, input_path, input_digest, namespace, header,
                                       delimiter, settings, row_count, seq)
                   VALUES ('six', 1, '/in.csv', 'd', 'ns', '["payment_id","amount"]', 44, '{}', 1, 1);
                   INSERT INTO rows (batch, row_no, line, key, kind, payment_id, requested, fields,
                                     state, attempts, refund_id, refund_status, refunded_amount,
                                     last_attempt_at, updated_at)
                   VALUES (1, 1, NULL, 'k-six', 0, 1001, '10.5', X'01020102', 'refunded', 1, 777,
                           'approved', '10.5', 5, 5);"#,
            )
            .unwrap();
        }
        let mut l = Ledger::open(&path).unwrap();
        let v: i64 = l
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v as usize, MIGRATIONS.len());
        let old = rows_of(&l, "six");
        assert_eq!(old.len(), 1);
        let ask = old[0].ask.as_ref().unwrap();
        assert_eq!(ask.target, Target::Payment(PaymentId::new(1001).unwrap()));
        assert_eq!(old[0].fields, ["1001", "10.5"]);
        assert_eq!(old[0].result.outcome, Outcome::Refunded);
        // Its rows' keys were carried into the table of keys: a new batch's
        // row under the old row's key takes that refund instead of being sent.
        let mut again = content(1);
        again.ask.key = IdempotencyKey::new("k-six").unwrap();
        let adopted = create(&mut l, &batch("again", 1), [Ok(row(1, "10,50", Ok(again)))]);
        assert_eq!(adopted, 1);
        assert_eq!(rows_of(&l, "again")[0].result.outcome, Outcome::Refunded);

        let pay = "PAY01J67CQQH5904WDBVZEM4JMEP3";
        let rows = [
            (1, content(4), "1004".to_owned()),
            (
                2,
                order_content(2, None),
                "ORD01JQ4S4KY8HWQ6NA5PXB65B002".to_owned(),
            ),
            (
                3,
                order_content(3, Some(pay)),
                "ORD01JQ4S4KY8HWQ6NA5PXB65B003".to_owned(),
            ),
        ]
        .map(|(n, c, id)| {
            Ok(Row {
                row_no: n,
                line: n + 1,
                fields: vec![id, "x".into()],
                content: Ok(c),
            })
        });
        create(&mut l, &batch("mixed", 3), rows);
        type Stored = (i64, Option<i64>, Option<String>, Option<String>);
        let stored: Vec<Stored> = l
            .conn
            .prepare(
                "SELECT kind, payment_id, order_id, transaction_id FROM rows
                 WHERE batch = (SELECT seq FROM batches WHERE id = 'mixed') ORDER BY row_no",
            )
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(
            stored,
            [
                (0, Some(1004), None, None),
                (2, None, Some("ORD01JQ4S4KY8HWQ6NA5PXB65B002".into()), None),
                (
                    2,
                    None,
                    Some("ORD01JQ4S4KY8HWQ6NA5PXB65B003".into()),
                    Some(pay.into())
                ),
            ]
        );
        let claimed = l.record_and_claim("mixed", &[], 0, 10).unwrap();
        let asks: Vec<RefundAsk> = claimed.into_iter().map(|c| c.ask).collect();
        assert_eq!(
            asks,
            [
                content(4).ask,
                order_content(2, None).ask,
                order_content(3, Some(pay)).ask
            ]
        );
        let mut back = Vec::new();
        l.for_each_row("mixed", |r| {
            back.push((r.fields, r.ask.unwrap().kind()));
            Ok(())
        })
        .unwrap();
        assert_eq!(back[1].0, ["ORD01JQ4S4KY8HWQ6NA5PXB65B002", "x"]);
        assert_eq!(back[2].1, Kind::Order);
    }

    /// A read-back found a row's refund, then the answer of a request of it
    /// still in flight (a 500) put it back in doubt: the refund it holds is
    /// its own, offered first to the next read-back rather than counted as
    /// another row's.
    #[test]
    fn a_row_in_doubt_offers_the_refund_it_holds_to_its_read_back() {
        let (_dir, mut l) = ledger_with(2);
        l.record_and_claim("b1", &[], 0, 10).unwrap();
        l.conn
            .execute(
                "UPDATE rows SET refund_id = 'REF7', state = 'failed', doubt = 1 WHERE row_no = 1",
                [],
            )
            .unwrap();
        let rows = l.rows_in_doubt("b1", DoubtScope::Reconciling).unwrap();
        let own = rows.iter().find(|r| r.row_no == 1).unwrap();
        assert_eq!(own.same_key_refund.as_deref(), Some("REF7"));
        let other = rows.iter().find(|r| r.row_no == 2).unwrap();
        assert_eq!(other.same_key_refund, None);
    }

    /// The SQLite work `work` does on `l`: steps of its virtual machine, in
    /// hundreds (the progress handler's count).
    fn steps_of(l: &mut Ledger, work: impl FnOnce(&mut Ledger)) -> u64 {
        use std::sync::atomic::{AtomicU64, Ordering};
        let steps = std::sync::Arc::new(AtomicU64::new(0));
        let counted = steps.clone();
        l.conn
            .progress_handler(
                100,
                Some(move || {
                    counted.fetch_add(1, Ordering::Relaxed);
                    false
                }),
            )
            .unwrap();
        work(l);
        steps.load(Ordering::Relaxed)
    }

    /// SQLite's work (virtual machine steps, counted by its progress
    /// handler) to find the rows in doubt of `scope` for a batch of
    /// `batch_rows` rows, while `in_doubt` rows of an earlier batch, on
    /// payments of their own, may have refunded (their answers never came).
    fn doubt_work(batch_rows: u64, in_doubt: u64, scope: DoubtScope) -> u64 {
        let dir = tempfile::tempdir().unwrap();
        let mut l = Ledger::open(&dir.path().join("state.db")).unwrap();
        let elsewhere = (1..=in_doubt).map(|n| Ok(row(n, "10,50", Ok(content(1_000_000 + n)))));
        create(&mut l, &batch("flaky", in_doubt), elsewhere);
        let claimed = l
            .record_and_claim("flaky", &[], 0, in_doubt as usize)
            .unwrap();
        assert_eq!(claimed.len() as u64, in_doubt);
        let tonight = (1..=batch_rows).map(|n| Ok(row(n, "10,50", Ok(content(n)))));
        create(&mut l, &batch("tonight", batch_rows), tonight);
        steps_of(&mut l, |l| {
            assert!(l.rows_in_doubt("tonight", scope).unwrap().is_empty());
        })
    }

    /// After a flaky night, tonight's batch meets the rows in doubt before
    /// it sends, and reconcile meets them too: each is looked up on its
    /// payment, never by reading the batch once for each of them (a million
    /// rows times a few thousand in doubt held a run for many minutes).
    #[test]
    fn the_rows_in_doubt_are_found_without_reading_the_batch_once_for_each() {
        // (scope, (batch rows, rows in doubt) before and after, how many times
        // the work may grow): eight times the batch, twenty times the doubt.
        for (scope, before, after, at_most) in [
            (DoubtScope::Holding, (1_000, 100), (8_000, 100), 2),
            (DoubtScope::Reconciling, (8_000, 20), (8_000, 400), 3),
        ] {
            let (small, big) = (
                doubt_work(before.0, before.1, scope),
                doubt_work(after.0, after.1, scope),
            );
            assert!(
                big < small * at_most,
                "{scope:?}: {small} steps at {before:?}, {big} at {after:?} (rows, in doubt)"
            );
        }
    }

    /// Whether batch `id` stands alone now (see `claim::stands_alone`).
    fn stands_alone(l: &Ledger, id: &str) -> bool {
        claim::stands_alone(&l.conn, l.seq(id).unwrap()).unwrap()
    }

    /// Row `n` of a batch: `content` as it asks.
    fn asking(n: u64, content: Valid) -> anyhow::Result<Row> {
        Ok(row(n, "10,50", Ok(content)))
    }

    /// A batch stands alone from its making while no row of another batch
    /// holds a key, a payment or an order of its rows; a newer batch that
    /// shares nothing keeps it so, one that shares anything with any batch
    /// ends it for every batch made before.
    #[test]
    fn a_batch_stands_alone_until_one_shares_a_key_a_payment_or_an_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut l = Ledger::open(&dir.path().join("state.db")).unwrap();
        create(
            &mut l,
            &batch("b1", 2),
            (1..=2).map(|n| asking(n, content(n))),
        );
        assert!(stands_alone(&l, "b1"));
        create(
            &mut l,
            &batch("b2", 2),
            (11..=12).map(|n| asking(n, content(n))),
        );
        assert!(stands_alone(&l, "b1") && stands_alone(&l, "b2"));
        let orders = [order_content(7, None)];
        create(&mut l, &batch("b3", 1), orders.map(|o| asking(1, o)));
        assert!(["b1", "b2", "b3"].iter().all(|b| stands_alone(&l, b)));

        let mut on_b1s_payment = content(1);
        on_b1s_payment.ask.key = IdempotencyKey::new("corrected".to_owned()).unwrap();
        let mut with_b2s_key = content(50);
        with_b2s_key.ask.key = content(12).ask.key;
        for (id, shares) in [
            ("payment", on_b1s_payment),
            ("key", with_b2s_key),
            (
                "order",
                order_content(7, Some("PAY01JQ4S4KY8HWQ6NA5PXB65B001")),
            ),
        ] {
            create(&mut l, &batch(id, 1), [asking(1, shares)]);
            assert!(!stands_alone(&l, id), "sharing a {id}");
            for earlier in ["b1", "b2", "b3"] {
                assert!(!stands_alone(&l, earlier), "{earlier} after a {id} shared");
            }
        }
        // Alone again only for what is made after.
        create(&mut l, &batch("b4", 1), [asking(1, content(99))]);
        assert!(stands_alone(&l, "b4") && !stands_alone(&l, "b1"));
    }

    /// Two state files of the same batches, one of which knows its batch
    /// stands alone and one which does not: the same rows are claimed, with
    /// the same doubt, and they end the same.
    #[test]
    fn a_batch_standing_alone_is_claimed_as_when_its_rows_are_looked_at() {
        let made = |known: bool| {
            let dir = tempfile::tempdir().unwrap();
            let mut l = Ledger::open(&dir.path().join("state.db")).unwrap();
            create(
                &mut l,
                &batch("earlier", 2),
                (1..=2).map(|n| asking(n, content(n))),
            );
            l.record_and_claim("earlier", &[], 0, 1).unwrap();
            let tonight = (1..=6).map(|n| {
                let c = if n == 3 {
                    Err(blank_amount())
                } else {
                    Ok(content(10 + n))
                };
                Ok(row(n, "10,50", c))
            });
            create(&mut l, &batch("tonight", 6), tonight);
            assert!(stands_alone(&l, "earlier") && stands_alone(&l, "tonight"));
            if !known {
                l.conn
                    .execute("UPDATE batches SET isolated_as_of = NULL", [])
                    .unwrap();
                assert!(!stands_alone(&l, "tonight"));
            }
            (dir, l)
        };
        let (mut a, mut b) = (made(true), made(false));
        // (results, the cursor, how many to claim) of each call.
        type Call<'a> = (&'a [(u64, RowResult)], u64, usize);
        let steps: [Call<'_>; 4] = [
            (&[], 0, 2),
            (&[(1, refunded("9", None, 1))], 2, 2),
            (
                &[(
                    2,
                    RowResult {
                        retryable: None,
                        ..RowResult::new(Outcome::Unknown)
                    },
                )],
                0,
                0,
            ),
            (&[], 0, 10),
        ];
        for (results, after, limit) in steps {
            assert_eq!(
                a.1.record_and_claim("tonight", results, after, limit)
                    .unwrap(),
                b.1.record_and_claim("tonight", results, after, limit)
                    .unwrap(),
            );
        }
        let ended = |l: &Ledger| {
            rows_of(l, "tonight")
                .into_iter()
                .map(|r| (r.row_no, r.result.outcome, r.result.attempts))
                .collect::<Vec<_>>()
        };
        assert_eq!(ended(&a.1), ended(&b.1));
        assert_eq!(raw_states(&a.1, "tonight"), raw_states(&b.1, "tonight"));
    }

    /// The SQLite work of claiming every row of batch `tonight` of `rows`
    /// rows, made after a batch of as many others, told or not that it stands
    /// alone: steps of the virtual machine, in hundreds.
    fn claim_work(rows: u64, known: bool) -> u64 {
        let dir = tempfile::tempdir().unwrap();
        let mut l = Ledger::open(&dir.path().join("state.db")).unwrap();
        let earlier = (1..=rows).map(|n| asking(n, content(1_000_000 + n)));
        create(&mut l, &batch("earlier", rows), earlier);
        create(
            &mut l,
            &batch("tonight", rows),
            (1..=rows).map(|n| asking(n, content(n))),
        );
        if !known {
            l.conn
                .execute("UPDATE batches SET isolated_as_of = NULL", [])
                .unwrap();
        }
        steps_of(&mut l, |l| {
            let mut after = 0;
            loop {
                let claimed = l.record_and_claim("tonight", &[], after, 256).unwrap();
                let Some(last) = claimed.last() else { break };
                after = last.row_no;
            }
            assert_eq!(after, rows);
        })
    }

    /// A batch known to stand alone is claimed without a look a row at the
    /// payments' index and the table of keys: they were most of the claim's
    /// work, and the keys' looks land at random places of a large table.
    #[test]
    fn a_batch_standing_alone_is_claimed_without_looking_at_other_batches() {
        let (known, unknown) = (claim_work(3_000, true), claim_work(3_000, false));
        assert!(
            known * 5 < unknown * 4,
            "{known} hundred steps alone, {unknown} looking"
        );
    }

    #[test]
    fn claims_mark_rows_sending_and_skip_invalid_ones() {
        let (_dir, mut l) = ledger_with(5);
        let c = l.record_and_claim("b1", &[], 0, 3).unwrap();
        assert_eq!(
            c.iter().map(|c| c.row_no).collect::<Vec<_>>(),
            vec![1, 2, 4]
        );
        assert_eq!(
            c[0],
            Claimed {
                row_no: 1,
                ask: content(1).ask,
                currency: content(1).currency,
                in_doubt: false,
            }
        );
        let counts = raw_states(&l, "b1");
        assert_eq!(counts["sending"], 3);
        assert_eq!(counts["invalid"], 1);
        // A claimed row may have refunded from the moment it is claimed: in
        // doubt until its answer is recorded.
        let outcomes = l.outcome_counts("b1").unwrap();
        assert_eq!(outcomes[&Outcome::Unknown], 3);
        assert_eq!(outcomes[&Outcome::Pending], 1);
        // The cursor moves on; a new run starting from 0 picks the sending rows
        // again, knowing they were in doubt.
        let c = l.record_and_claim("b1", &[], 4, 10).unwrap();
        assert_eq!(c.iter().map(|c| c.row_no).collect::<Vec<_>>(), vec![5]);
        assert!(!c[0].in_doubt);
        let c = l.record_and_claim("b1", &[], 0, 10).unwrap();
        assert_eq!(c.len(), 4);
        assert!(c.iter().all(|c| c.in_doubt));
        // A row handed back unsent (a stop before its request left) is pending
        // again only if it was not in doubt before this claim.
        let unsent = RowResult::new(Outcome::Pending);
        let still = RowResult {
            retryable: None,
            ..RowResult::new(Outcome::Unknown)
        };
        l.record_and_claim("b1", &[(1, unsent), (2, still)], 0, 0)
            .unwrap();
        let outcomes = l.outcome_counts("b1").unwrap();
        assert_eq!(outcomes[&Outcome::Pending], 1);
        assert_eq!(outcomes[&Outcome::Unknown], 3);
        assert_eq!(raw_states(&l, "b1")["pending"], 1);
    }

    #[test]
    fn a_new_batch_adopts_rows_another_batch_settled() {
        let (_dir, mut l) = ledger_with(2);
        l.record_and_claim("b1", &[], 0, 10).unwrap();
        let done = refunded("9", None, 1);
        l.record_and_claim("b1", &[(1, done)], 0, 0).unwrap();
        // b2 holds row 1's key (settled in b1), row 2's key (only sending in b1) and a new one.
        assert_eq!(create(&mut l, &batch("b2", 3), numbered([1, 2, 7])), 1);
        let claimed = l.record_and_claim("b2", &[], 0, 10).unwrap();
        assert_eq!(
            claimed.iter().map(|c| c.row_no).collect::<Vec<_>>(),
            vec![2, 7]
        );
        let first = rows_of(&l, "b2").remove(0);
        assert_eq!(first.result.outcome, Outcome::Refunded);
        assert_eq!(first.result.refund.unwrap().id, "9");
        assert!(first.result.cause.unwrap().message.contains("b1"));
    }

    /// Rows go into the table a group at a time: every row of a batch that is
    /// not a whole number of groups is stored — the groups and the rest, an
    /// invalid row among them, each in its place and as it was given — and a
    /// row refused before the commit is found among them.
    #[test]
    fn every_row_is_stored_as_given_whatever_the_grouping() {
        let dir = tempfile::tempdir().unwrap();
        let mut l = Ledger::open(&dir.path().join("s.db")).unwrap();
        let n = 2 * 32 + 7;
        let given: Vec<Row> = (1..=n)
            .map(|i| {
                let content = if i == 40 {
                    Err(testing::blank_amount())
                } else {
                    Ok(content(i))
                };
                Row {
                    line: i + 1 + u64::from(i > 50),
                    ..testing::row(i, "10.50", content)
                }
            })
            .collect();
        let b = batch("grouped", n);
        let mut w = l.new_batch(&b).unwrap();
        for row in &given {
            w.insert(NewRow::of(row)).unwrap();
        }
        w.refuse(
            n,
            &crate::domain::CauseCode::InvalidInput,
            "line 72: refused",
        )
        .unwrap();
        w.commit(&b).unwrap();
        let stored = rows_of(&l, "grouped");
        assert_eq!(stored.len(), n as usize);
        for (s, g) in stored.iter().zip(&given) {
            assert_eq!((s.row_no, s.line, &s.fields), (g.row_no, g.line, &g.fields));
            assert_eq!(s.ask.as_ref(), g.content.as_ref().ok().map(|v| &v.ask));
        }
        let outcome = |i: u64| stored[i as usize - 1].result.outcome;
        assert_eq!(outcome(40), Outcome::Invalid);
        assert_eq!(outcome(n), Outcome::Invalid);
        assert!(
            (1..n)
                .filter(|&i| i != 40)
                .all(|i| outcome(i) == Outcome::Pending)
        );
    }

    /// A batch is made with the state file's foreign-key checks off (see
    /// `batch::SettingsBack`); they are on again once it is committed, and
    /// once a batch given up is rolled back: a row of no batch is refused as
    /// before.
    #[test]
    fn foreign_keys_are_checked_again_once_a_batch_is_made_or_given_up() {
        let dir = tempfile::tempdir().unwrap();
        let mut l = Ledger::open(&dir.path().join("s.db")).unwrap();
        let checked = |l: &Ledger| {
            l.conn
                .pragma_query_value(None, "foreign_keys", |r| r.get::<_, bool>(0))
                .unwrap()
        };
        let orphan = |l: &Ledger| {
            l.conn.execute(
                "INSERT INTO rows (batch, row_no, fields, state, updated_at)
                 VALUES (99, 1, X'', 'pending', 0)",
                [],
            )
        };
        let b = batch("made", 1);
        let mut w = l.new_batch(&b).unwrap();
        w.insert(NewRow::of(&testing::row(1, "10.50", Ok(content(1)))))
            .unwrap();
        w.commit(&b).unwrap();
        assert!(checked(&l));
        assert!(orphan(&l).is_err(), "a row of no batch is refused");
        drop(l.new_batch(&batch("given up", 1)).unwrap());
        assert!(checked(&l));
        assert!(orphan(&l).is_err(), "a row of no batch is refused");
        assert!(l.batch("given up").unwrap().is_none());
    }

    /// A new batch's row whose key another batch's row may have refunded with
    /// (being sent, or in doubt once its attempts ran out) is in doubt with it
    /// from the start, before this batch sends anything: the same request. A
    /// row whose key no other row holds in doubt is not.
    #[test]
    fn a_new_batch_s_row_is_in_doubt_with_its_key() {
        let (_dir, mut l) = ledger_with(4);
        l.record_and_claim("b1", &[], 0, 10).unwrap();
        let ran_out = RowResult {
            outcome: Outcome::Unknown,
            attempts: 3,
            http_status: Some(500),
            cause: None,
            retryable: Some(true),
            refund: None,
            last_attempt_at_ms: Some(5),
        };
        let refused = RowResult {
            outcome: Outcome::Failed,
            attempts: 1,
            http_status: Some(400),
            cause: None,
            retryable: Some(false),
            refund: None,
            last_attempt_at_ms: Some(5),
        };
        // b1: row 1 in doubt after its attempts, row 2 still being sent, row 4
        // refused for certain.
        l.record_and_claim("b1", &[(1, ran_out), (4, refused)], 0, 0)
            .unwrap();
        create(&mut l, &batch("b2", 4), numbered([1, 2, 4, 7]));
        let outcomes: Vec<Outcome> = rows_of(&l, "b2")
            .into_iter()
            .map(|r| r.result.outcome)
            .collect();
        assert_eq!(
            outcomes,
            vec![
                Outcome::Unknown,
                Outcome::Unknown,
                Outcome::Pending,
                Outcome::Pending
            ]
        );
        // Still to send: the same key again settles it.
        let claimed = l.record_and_claim("b2", &[], 0, 10).unwrap();
        assert_eq!(
            claimed.iter().map(|c| c.row_no).collect::<Vec<_>>(),
            vec![1, 2, 4, 7]
        );
    }

    /// A row claimed while its key was its batch's alone, then a batch made
    /// with the same key before its answer: the answer's refund is the other
    /// row's too. What was true at the claim no longer is, and is not trusted.
    #[test]
    fn a_batch_made_between_a_claim_and_its_answer_takes_the_refund() {
        let (_dir, mut l) = ledger_with(2);
        let claimed = l.record_and_claim("b1", &[], 0, 10).unwrap();
        assert_eq!(claimed.len(), 2);
        assert_eq!(create(&mut l, &batch("b2", 1), numbered([2])), 0);
        l.record_and_claim(
            "b1",
            &[(1, refunded("8", None, 1)), (2, refunded("9", None, 1))],
            0,
            0,
        )
        .unwrap();
        let b2 = rows_of(&l, "b2").remove(0);
        assert_eq!(b2.result.outcome, Outcome::Refunded);
        assert_eq!(b2.result.refund.unwrap().id, "9");
    }

    #[test]
    fn causes_and_refund_statuses_are_stored_compactly_and_read_back_typed() {
        use crate::domain::{CauseCode, NetCause, RefundStatus};
        let (_dir, mut l) = ledger_with(4);
        l.record_and_claim("b1", &[], 0, 10).unwrap();
        let result = |code: CauseCode, status: RefundStatus| RowResult {
            outcome: Outcome::Failed,
            attempts: 1,
            http_status: Some(201),
            cause: Some(Cause {
                code,
                message: "m".into(),
            }),
            retryable: Some(false),
            refund: Some(RefundInfo {
                id: "7".into(),
                status,
                amount: None,
                created_ms: None,
            }),
            last_attempt_at_ms: Some(5),
        };
        l.record_and_claim(
            "b1",
            &[
                (
                    1,
                    result(CauseCode::RefundRejected, RefundStatus::Cancelled),
                ),
                (
                    2,
                    result(
                        CauseCode::Net(NetCause::Dns),
                        RefundStatus::Other("odd ".into()),
                    ),
                ),
                (
                    4,
                    result(CauseCode::Other("2063".into()), RefundStatus::Rejected),
                ),
            ],
            0,
            0,
        )
        .unwrap();
        // What an older version stored for a refund created cancelled, and a
        // status as every version before schema 9 stored it.
        l.conn
            .execute(
                "UPDATE rows SET cause_code = 'refund_cancelled', refund_status = 'rejected'
                 WHERE row_no = 4",
                [],
            )
            .unwrap();
        use rusqlite::types::Value;
        let stored: Vec<(Option<String>, Value)> = l
            .conn
            .prepare("SELECT cause_code, refund_status FROM rows ORDER BY row_no")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        // A status this version knows is a code, any other its text.
        assert_eq!(
            stored[0],
            (Some("refund_rejected".into()), Value::Blob(vec![6]))
        );
        assert_eq!(stored[1], (Some("dns".into()), Value::Text("odd ".into())));
        let seen: Vec<RowResult> = rows_of(&l, "b1").into_iter().map(|r| r.result).collect();
        let code = |i: usize| seen[i].cause.as_ref().unwrap().code.clone();
        let status = |i: usize| seen[i].refund.as_ref().unwrap().status.clone();
        assert_eq!(
            (code(0), status(0)),
            (CauseCode::RefundRejected, RefundStatus::Cancelled)
        );
        assert_eq!(
            (code(1), status(1)),
            (
                CauseCode::Net(NetCause::Dns),
                RefundStatus::Other("odd ".into())
            )
        );
        assert_eq!(
            (code(3), status(3)),
            (CauseCode::RefundRejected, RefundStatus::Rejected)
        );
        assert_eq!(code(2), CauseCode::InvalidInput);
    }

    /// A refund of the very amount asked stores no amount of its own; one of
    /// any other amount, or the same written otherwise, stores its text. Both
    /// read back as they came, and a batch that adopts them reads the same.
    #[test]
    fn a_refunded_amount_that_is_the_amount_asked_is_stored_as_nothing() {
        use rusqlite::types::Value;
        use rust_decimal::Decimal;
        let (_dir, mut l) = ledger_with(5);
        l.record_and_claim("b1", &[], 0, 10).unwrap();
        // Asked: 10,50, stored as `10.5`.
        let asked = Decimal::new(105, 1);
        let (other, longer) = (Decimal::new(1000, 2), Decimal::new(1050, 2));
        let results = [
            (1, refunded("71", Some(asked), 1)),
            (2, refunded("72", Some(other), 1)),
            (4, refunded("74", Some(longer), 1)),
            (5, refunded("75", None, 1)),
        ];
        l.record_and_claim("b1", &results, 0, 0).unwrap();
        let stored: Vec<Value> = l
            .conn
            .prepare("SELECT refunded_amount FROM rows WHERE row_no <> 3 ORDER BY row_no")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(
            stored,
            [
                Value::Blob(vec![]),
                Value::Text("10.00".into()),
                Value::Text("10.50".into()),
                Value::Null
            ]
        );
        let amounts = |l: &Ledger, id: &str| -> Vec<Option<Decimal>> {
            rows_of(l, id)
                .into_iter()
                .filter_map(|r| r.result.refund.map(|f| f.amount))
                .collect()
        };
        let want = vec![Some(asked), Some(other), Some(longer), None];
        assert_eq!(amounts(&l, "b1"), want);
        let mut sums = Vec::new();
        l.for_each_outcome_ask("b1", |_, _, _, refunded| sums.push(refunded))
            .unwrap();
        assert_eq!(sums, want);
        // Another spreadsheet of the same rows takes their refunds, amounts and all.
        assert_eq!(create(&mut l, &batch("b2", 5), numbered([1, 2, 4, 5])), 4);
        assert_eq!(amounts(&l, "b2"), want);
    }

    #[test]
    fn results_are_recorded_and_failed_rows_requeued() {
        let (_dir, mut l) = ledger_with(4);
        l.record_and_claim("b1", &[], 0, 10).unwrap();
        let done = refunded("77", Some(rust_decimal::Decimal::new(1050, 2)), 2);
        let failed = |retryable| RowResult {
            outcome: Outcome::Failed,
            attempts: 1,
            http_status: Some(500),
            cause: Some(Cause {
                code: crate::domain::CauseCode::Http(500),
                message: "boom".into(),
            }),
            retryable: Some(retryable),
            refund: None,
            last_attempt_at_ms: Some(6),
        };
        l.record_and_claim(
            "b1",
            &[(1, done), (2, failed(true)), (4, failed(false))],
            0,
            0,
        )
        .unwrap();
        let seen = rows_of(&l, "b1");
        assert_eq!(seen.len(), 4);
        assert_eq!(seen[0].result.outcome, Outcome::Refunded);
        assert_eq!(seen[0].result.attempts, 2);
        let refund = seen[0].result.refund.clone().unwrap();
        assert_eq!(refund.id, "77");
        assert_eq!(refund.amount, Some(rust_decimal::Decimal::new(1050, 2)));
        assert_eq!(seen[2].result.outcome, Outcome::Invalid);
        assert_eq!(
            seen[2].result.cause.as_ref().map(|c| c.message.as_str()),
            Some("line 4: blank amount; write `full` to refund the whole payment"),
            "the English reading, naming its line"
        );
        assert_eq!(l.failed_counts("b1").unwrap(), (1, 1));
        assert_eq!(l.requeue_failed("b1", false).unwrap(), 1);
        assert_eq!(l.requeue_failed("b1", true).unwrap(), 1);
        let c = l.record_and_claim("b1", &[], 0, 10).unwrap();
        assert_eq!(c.iter().map(|c| c.row_no).collect::<Vec<_>>(), vec![2, 4]);
    }

    /// One key is one request, whichever batch holds it: a row answered for
    /// certain (a 429) while another batch's row with its key is being sent
    /// stays in doubt; a row already failed is put in doubt when another
    /// batch's row with its key is claimed.
    #[test]
    fn a_rows_doubt_is_at_least_its_keys() {
        let (_dir, mut l) = ledger_with(2);
        let two = |l: &mut Ledger, id: &str| create(l, &batch(id, 2), numbered([1, 2]));
        two(&mut l, "b2");
        let throttled = RowResult {
            outcome: Outcome::Failed,
            attempts: 1,
            http_status: Some(429),
            cause: Some(Cause {
                code: crate::domain::CauseCode::Http(429),
                message: "slow down".into(),
            }),
            retryable: Some(true),
            refund: None,
            last_attempt_at_ms: Some(6),
        };
        let outcome = |l: &Ledger, id: &str, row: u64| {
            let mut out = None;
            l.for_each_row(id, |r| {
                if r.row_no == row {
                    out = Some(r.result.outcome);
                }
                Ok(())
            })
            .unwrap();
            out.unwrap()
        };
        // Both batches claim row 1's key; b1's answer is a certain 429.
        l.record_and_claim("b1", &[], 0, 1).unwrap();
        l.record_and_claim("b2", &[], 0, 1).unwrap();
        l.record_and_claim("b1", &[(1, throttled.clone())], 0, 0)
            .unwrap();
        assert_eq!(
            outcome(&l, "b1", 1),
            Outcome::Unknown,
            "b2 may have refunded it"
        );

        // Row 2: b1's fails for certain first, then b2 claims the key.
        l.record_and_claim("b1", &[], 1, 1).unwrap();
        l.record_and_claim("b1", &[(2, throttled)], 0, 0).unwrap();
        assert_eq!(outcome(&l, "b1", 2), Outcome::Failed);
        l.record_and_claim("b2", &[], 1, 1).unwrap();
        assert_eq!(
            outcome(&l, "b1", 2),
            Outcome::Unknown,
            "claimed again elsewhere"
        );
    }
}
