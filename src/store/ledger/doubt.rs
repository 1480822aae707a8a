//! Rows in doubt as the state file keeps them, and writing what settled them.
//! Invariant: `doubt` goes from 1 to 0 only here (a read-back's verdict) and in
//! `claim::record` (an answer carrying the refund, or a run that sent nothing);
//! a verdict is written only over a row still in doubt, so a row an answer
//! settled meanwhile is left as that answer left it.

use rusqlite::params;

use super::{Ledger, bump_generation, codec, stored_refunded_amount};
use crate::domain::clock::now_ms;
use crate::domain::{Books, CauseCode, RefundStatus, Requested, Target};

/// A row that may have refunded, as a read-back needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DoubtRow {
    pub batch_id: String,
    pub row_no: u64,
    /// Its idempotency key as stored: rows of other batches with the same key
    /// are the same request, and share a verdict.
    pub key: Vec<u8>,
    /// Its payment, or its order (and the transaction it names).
    pub target: Target,
    pub requested: Requested,
    /// When its first request may have left.
    pub exposed_at_ms: Option<i64>,
    /// When the last request of its key left (else when a row of its key was
    /// last claimed or changed), whichever batch sent it: the same request
    /// may be in flight from another process.
    pub last_at_ms: i64,
    /// A refund the state file holds for this row (an earlier read-back found
    /// it, then an answer of a request still in flight put the row back in
    /// doubt), else for another row with this row's key: the same request, so
    /// the same refund.
    pub same_key_refund: Option<String>,
}

/// Which rows in doubt a command reads back for a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DoubtScope {
    /// Those on payments (or orders) where rows of other batches in doubt hold
    /// back rows of this batch still to send (a run, before sending).
    Holding,
    /// Those on every payment (and order) of the batch, its own among them
    /// (`reconcile`).
    Reconciling,
}

/// What a read-back decided of a row in doubt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Mercado Pago holds a refund made for it: this one.
    Refunded {
        refund_id: String,
        status: RefundStatus,
        amount: Option<rust_decimal::Decimal>,
        /// The payment or order read.
        books: Books,
    },
    /// Read long enough after its last attempt, the payment (or order) holds
    /// no refund of it.
    NotRefunded { books: Books },
}

impl Ledger {
    /// The rows in doubt, of every batch, on the payments `scope` picks for
    /// batch `batch_id`. Every row in doubt on a payment comes with the others:
    /// a read-back decides which refund is whose among all of them at once,
    /// and one refund is never given to two rows.
    pub(crate) fn rows_in_doubt(
        &self,
        batch_id: &str,
        scope: DoubtScope,
    ) -> anyhow::Result<Vec<DoubtRow>> {
        // Found through the index of rows in doubt, which claims and
        // migrations keep (a row is in doubt from its claim on); the batch's
        // own `sending` rows besides, which an older state file may hold.
        // Rows on one payment (`payment_id` and `kind`) or one order
        // (`order_id`): the same books. Each of the batch's rows is looked
        // up on a payment's or an order's index, one `EXISTS` each: under
        // one `OR`, SQLite reads the batch's rows by its primary key, once
        // for every row in doubt.
        let (from, filter) = match scope {
            DoubtScope::Holding => (
                "rows AS o INDEXED BY rows_in_doubt",
                "o.doubt <> 0
                 AND (EXISTS (SELECT 1 FROM rows AS r
                              WHERE r.payment_id = o.payment_id AND r.kind = o.kind
                                AND r.batch = ?1 AND r.state = 'pending' AND r.doubt = 0)
                      OR EXISTS (SELECT 1 FROM rows AS r
                                 WHERE r.order_id = o.order_id
                                   AND r.batch = ?1 AND r.state = 'pending' AND r.doubt = 0))
                 AND EXISTS (SELECT 1 FROM rows AS x WHERE x.doubt <> 0 AND x.batch <> ?1
                             AND ((x.payment_id = o.payment_id AND x.kind = o.kind)
                                  OR x.order_id = o.order_id))",
            ),
            DoubtScope::Reconciling => (
                "rows AS o",
                "(o.doubt <> 0 OR (o.state = 'sending' AND o.batch = ?1))
                 AND (o.batch = ?1
                      OR EXISTS (SELECT 1 FROM rows AS r
                                 WHERE r.payment_id = o.payment_id AND r.kind = o.kind
                                   AND r.batch = ?1)
                      OR EXISTS (SELECT 1 FROM rows AS r
                                 WHERE r.order_id = o.order_id AND r.batch = ?1))",
            ),
        };
        let mut stmt = self.conn.prepare(&format!(
            "SELECT (SELECT id FROM batches WHERE seq = o.batch), o.row_no, o.kind, o.payment_id,
                    CAST(o.key AS BLOB),
                    o.requested, o.exposed_at,
                    (SELECT MAX(COALESCE(k.last_attempt_at, k.updated_at))
                     FROM keys AS kk JOIN rows AS k ON k.batch = kk.batch AND k.row_no = kk.row_no
                     WHERE kk.key = o.key),
                    COALESCE(CAST(o.refund_id AS TEXT),
                             (SELECT CAST(k.refund_id AS TEXT)
                              FROM keys AS kk
                                JOIN rows AS k ON k.batch = kk.batch AND k.row_no = kk.row_no
                              WHERE kk.key = o.key AND kk.batch <> o.batch
                                AND k.refund_id IS NOT NULL
                                AND k.state IN ('refunded', 'in_process') LIMIT 1)),
                    o.order_id, o.transaction_id
             FROM {from}
             WHERE (o.payment_id IS NOT NULL OR o.order_id IS NOT NULL) AND {filter}
             ORDER BY o.payment_id, o.kind, o.order_id, o.exposed_at, o.batch, o.row_no"
        ))?;
        let mut rows = stmt.query([self.seq(batch_id)?])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let row_no = r.get::<_, i64>(1)? as u64;
            let bad = || anyhow::anyhow!("state file: row {row_no} in doubt is corrupt");
            let requested: String = r.get(5)?;
            out.push(DoubtRow {
                batch_id: r.get(0)?,
                row_no,
                target: codec::target_at(r, [2, 3, 9, 10])?.ok_or_else(bad)?,
                requested: Requested::from_canonical(&requested).ok_or_else(bad)?,
                key: r.get::<_, Option<Vec<u8>>>(4)?.unwrap_or_default(),
                exposed_at_ms: r.get(6)?,
                last_at_ms: r.get(7)?,
                same_key_refund: r.get(8)?,
            });
        }
        Ok(out)
    }

    /// Writes read-back verdicts, in one transaction. A row found refunded
    /// takes the refund (refunded, in process, or failed when Mercado Pago
    /// rejected it); one found not refunded leaves doubt as it stood before its
    /// request: a `sending` row goes back to `pending`, a failed one stays
    /// failed for `retry`. Returns how many rows changed.
    pub(crate) fn settle_doubt(&mut self, verdicts: &[(DoubtRow, Verdict)]) -> anyhow::Result<u64> {
        let now = now_ms();
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut changed = 0;
        {
            let mut refunded = tx.prepare(concat!(
                "UPDATE rows SET doubt = 0, state = ?3, refund_id = ?4, refund_status = ?5,
                        refunded_amount = ",
                stored_refunded_amount!("?6"),
                ", cause_code = ?7, cause_message = ?8,
                        retryable = CASE WHEN ?3 = 'failed' THEN 0 END, updated_at = ?9
                 WHERE batch = (SELECT seq FROM batches WHERE id = ?1) AND row_no = ?2
                   AND (doubt <> 0 OR state = 'sending')"
            ))?;
            let mut not_refunded = tx.prepare(
                "UPDATE rows SET doubt = 0,
                        state = CASE state WHEN 'sending' THEN 'pending' ELSE state END,
                        cause_message = CASE WHEN state = 'pending' THEN cause_message
                                             ELSE COALESCE(cause_message || '; ', '') || ?3 END,
                        updated_at = ?4
                 WHERE batch = (SELECT seq FROM batches WHERE id = ?1) AND row_no = ?2
                   AND (doubt <> 0 OR state = 'sending')",
            )?;
            for (row, verdict) in verdicts {
                changed += match verdict {
                    Verdict::Refunded {
                        refund_id,
                        status,
                        amount,
                        books,
                    } => {
                        let (state, code) = if status.moved_no_money() {
                            ("failed", Some(CauseCode::RefundRejected))
                        } else if status.is_made() {
                            ("refunded", None)
                        } else {
                            // In process, or a status the tool does not know:
                            // `reconcile` reads it again.
                            ("in_process", None)
                        };
                        let n = refunded.execute(params![
                            row.batch_id,
                            row.row_no as i64,
                            state,
                            codec::refund_id_value(refund_id),
                            status,
                            amount
                                .filter(|_| !status.moved_no_money())
                                .map(|a| a.to_string()),
                            code,
                            format!(
                                "its answer never came; reading {} back found refund {refund_id}",
                                books.named()
                            ),
                            now,
                        ])?;
                        if n > 0 && !status.moved_no_money() {
                            let seq: i64 = tx.query_row(
                                "SELECT seq FROM batches WHERE id = ?1",
                                [&row.batch_id],
                                |r| r.get(0),
                            )?;
                            super::claim::share_refund(&tx, seq, row.row_no, now)?;
                        }
                        n
                    }
                    Verdict::NotRefunded { books } => not_refunded.execute(params![
                        row.batch_id,
                        row.row_no as i64,
                        format!("reading {} back found no refund of it", books.named()),
                        now,
                    ])?,
                } as u64;
            }
        }
        if changed > 0 {
            bump_generation(&tx)?;
        }
        tx.commit()?;
        Ok(changed)
    }
}
