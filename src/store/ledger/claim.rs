//! Writing results and claiming rows, and the per-payment (and per-order) guard
//! between them: rows on one payment, or one order of the Orders API, are one
//! account of money whichever batch they are in.
//! Invariants: results and the next claim are one write transaction, committed
//! before a claimed row may be sent; a row another batch stands in the way of (a
//! refund that may exist on its payment) is `failed` for a person instead of
//! claimed, checked in that same transaction so that two processes on one state
//! file never both send on one payment. A batch known to stand alone (no row
//! of another batch on its keys, payments or orders, while no newer batch was
//! made) has nothing to weigh, and its rows are claimed without a look at
//! other batches.

use anyhow::{Context, bail};
use rusqlite::{Connection, Transaction, params};

use super::{
    Batch, BatchSettings, Claimed, Ledger, PriorRefund, bump_generation, by_row, codec,
    stored_doubt, stored_state,
};
use super::{refunded_amount, stored_refunded_amount};
use crate::domain::clock::now_ms;
use crate::domain::{CauseCode, Outcome, RefundAsk, Requested, RowResult};
use crate::store::row::read_row;

/// `rows.origin` of a row the API answered with a refund it made earlier.
const ORIGIN_REPLAY: i64 = 2;
/// A refund made this long before the row was claimed was not made by this
/// request: beyond any clock difference between Mercado Pago and this machine.
const REPLAY_SLACK_MS: i64 = 120_000;

/// The rows of another batch that keep a row from being sent on the same
/// payment (`o` in the queries): those whose refund exists or may exist at
/// Mercado Pago — made (refunded, in process), in flight (`sending`), or in
/// doubt whatever answer came after (a 500, 423 or refusal after a request
/// that may have refunded settles nothing) — and those still waiting to be
/// sent: two spreadsheets queued on one payment is for a person to settle.
pub(super) const STANDS_IN_THE_WAY: &str =
    "(o.state IN ('refunded', 'in_process', 'sending', 'pending') OR o.doubt <> 0)";

/// Whether a row of another batch is on the payment (or order) of `r` (of
/// batch `?1`): what every row [`HELD_BACK`] has, read from the payments'
/// index alone (its entries carry the batch), or the orders' for an order's
/// row (a payment's has no order: that probe finds nothing at once). Most
/// rows have none, and are claimed on this.
macro_rules! on_another_batchs_payment {
    () => {
        "(EXISTS (SELECT 1 FROM rows AS p
                  WHERE p.payment_id = r.payment_id AND p.kind = r.kind AND p.batch <> ?1)
          OR EXISTS (SELECT 1 FROM rows AS p
                     WHERE p.order_id = r.order_id AND p.batch <> ?1))"
    };
}

/// Whether a row of batch `?1` is on a payment or an order a row of another
/// batch is on: one look a row, in the payments' and orders' indexes.
pub(super) const SHARES_A_TARGET: &str = concat!(
    "SELECT EXISTS (SELECT 1 FROM rows AS r WHERE r.batch = ?1 AND ",
    on_another_batchs_payment!(),
    ")"
);

/// A batch's rows as `r`, read through the index of the rows still to send:
/// without statistics SQLite prefers the primary key, which reads every row
/// of the batch, sent or not.
pub(super) const ROWS_TO_SEND: &str = "rows AS r INDEXED BY rows_to_send";

/// Whether `o` is on the payment or the order of `r`.
pub(super) const SAME_TARGET: &str =
    "((o.payment_id = r.payment_id AND o.kind = r.kind) OR o.order_id = r.order_id)";

/// The rows of batch `?1` (`r`) the per-payment guard holds back, each with an
/// `o` standing in its way: a row never sent (`pending`, not in doubt) on a
/// payment where another batch's row, under a key this batch does not hold,
/// stands in the way. Not held: a row in doubt itself — sending it again with
/// its key is how its outcome is found, and the API replays rather than
/// refunds twice — nor a row whose key another batch holds: it is that
/// batch's request again, whatever it did is replayed. Rows of one
/// spreadsheet on one payment never count against each other — several
/// partial refunds in one file are allowed — nor do rows of another batch
/// under a key this one holds (a re-export of the same rows).
///
/// Written for its cost: SQLite checks a term at the first loop that has its
/// tables, so the terms on `r` alone come first and
/// [`on_another_batchs_payment`] ends the search for the usual row on one probe
/// of the payments' index; the look-up of `r`'s key is written to name `o`
/// (`o.batch = ?1` is false here) so that it is made only for a row something
/// may stand in the way of. The term `r.state IN ('pending', 'sending')` is
/// the index of rows to send's own: SQLite takes a partial index only where
/// the query names its terms, and [`ROWS_TO_SEND`] reads a batch's rows
/// through it (a finished batch of a million rows has none, where its
/// primary key would read them all).
pub(super) const HELD_BACK: &str = concat!(
    "r.batch = ?1 AND r.state IN ('pending', 'sending') AND r.state = 'pending'
     AND r.key IS NOT NULL AND r.doubt = 0
     AND ",
    on_another_batchs_payment!(),
    "
     AND o.batch <> ?1
     AND NOT EXISTS (SELECT 1 FROM keys AS k WHERE k.key = o.key AND k.batch = ?1)
     AND (o.batch = ?1
          OR NOT EXISTS (SELECT 1 FROM keys AS same WHERE same.key = r.key AND same.batch <> ?1))"
);

impl Ledger {
    /// Writes results, then marks up to `limit` further rows after `after_row_no`
    /// as `sending` and returns them — one transaction, committed before any of
    /// them may be sent.
    pub(crate) fn record_and_claim(
        &mut self,
        batch_id: &str,
        results: &[(u64, RowResult)],
        after_row_no: u64,
        limit: usize,
    ) -> anyhow::Result<Vec<Claimed>> {
        let now = now_ms();
        let seq = self.seq(batch_id)?;
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        record(&tx, &mut self.alone, seq, batch_id, results, now)?;
        let claimed = if limit > 0 {
            claim(
                &tx,
                &mut self.alone,
                seq,
                batch_id,
                after_row_no,
                limit,
                now,
            )?
        } else {
            Vec::new()
        };
        if !results.is_empty() || !claimed.is_empty() {
            bump_generation(&tx)?;
        }
        tx.commit()?;
        Ok(claimed)
    }

    /// The rows of the batch the per-payment guard would hold back now, with
    /// what stands in their way (see [`HELD_BACK`]): what a resumed batch is
    /// checked against before anything is sent, as a new one is.
    pub(crate) fn held_back(&self, batch_id: &str) -> anyhow::Result<Vec<PriorRefund>> {
        let seq = self.seq(batch_id)?;
        if stands_alone(&self.conn, seq)? {
            return Ok(Vec::new());
        }
        prior_refunds(&self.conn, ROWS_TO_SEND, HELD_BACK, [seq])
    }

    /// Marks rows of the batch never sent `invalid` (a resume with
    /// `--skip-invalid` over rows the guard holds back): (row, cause, message) each.
    pub(crate) fn refuse_rows(
        &mut self,
        batch_id: &str,
        rows: &[(u64, CauseCode, String)],
    ) -> anyhow::Result<()> {
        let seq = self.seq(batch_id)?;
        let tx = self.conn.transaction()?;
        {
            let mut stmt = tx.prepare(
                "UPDATE rows SET state = 'invalid', cause_code = ?3, cause_message = ?4,
                        retryable = 0, updated_at = ?5
                 WHERE batch = ?1 AND row_no = ?2 AND state = 'pending' AND doubt = 0",
            )?;
            let now = now_ms();
            for (row_no, code, why) in rows {
                stmt.execute(params![seq, *row_no as i64, code, why, now])?;
            }
        }
        bump_generation(&tx)?;
        tx.commit()?;
        Ok(())
    }

    /// Records that a person allowed the batch's rows on payments other batches
    /// refunded (`--allow-more-refunds` given on a resume).
    pub(crate) fn allow_more_refunds(&mut self, batch: &mut Batch) -> anyhow::Result<()> {
        batch.settings.allow_more_refunds = true;
        self.conn.execute(
            "UPDATE batches SET settings = ?2 WHERE id = ?1",
            params![batch.id, serde_json::to_string(&batch.settings)?],
        )?;
        Ok(())
    }

    /// Puts the batch's failed rows back to `pending` for another run: only the
    /// retryable ones unless `all`. Returns how many.
    pub(crate) fn requeue_failed(&mut self, batch_id: &str, all: bool) -> anyhow::Result<u64> {
        let seq = self.seq(batch_id)?;
        let tx = self.conn.transaction()?;
        let n = tx.execute(
            "UPDATE rows SET state = 'pending', updated_at = ?3
             WHERE batch = ?1 AND state = 'failed' AND (?2 OR retryable = 1)",
            params![seq, all, now_ms()],
        )?;
        if n > 0 {
            bump_generation(&tx)?;
        }
        tx.commit()?;
        Ok(n as u64)
    }
}

/// The prior refunds of the rows `from` selects (`r`) found in `rows` (`o`):
/// other rows on the same payment that stand in the way (`filter` says which).
pub(super) fn prior_refunds(
    conn: &Connection,
    from: &str,
    filter: &str,
    params: impl rusqlite::Params,
) -> anyhow::Result<Vec<PriorRefund>> {
    refunds_of(conn, from, &format!("o.key <> r.key AND {filter}"), params)
}

/// The rows of `rows` (`o`) on the payment of a row `from` selects (`r`) that
/// stand in its way, `filter` saying which: under another key, the prior
/// refunds the guard weighs; under its own, the same row sent before.
pub(super) fn refunds_of(
    conn: &Connection,
    from: &str,
    filter: &str,
    params: impl rusqlite::Params,
) -> anyhow::Result<Vec<PriorRefund>> {
    let sql = format!(
        "SELECT r.row_no, COALESCE(r.line, r.row_no + 1),
                COALESCE(CAST(r.payment_id AS TEXT), r.order_id),
                (SELECT id FROM batches WHERE seq = o.batch), o.requested, {refunded},
                o.state, o.last_attempt_at, o.attempts, o.doubt <> 0 OR o.state = 'sending',
                r.order_id IS NOT NULL, (SELECT created_at FROM batches WHERE seq = o.batch)
         FROM {from} JOIN rows AS o ON {SAME_TARGET}
         WHERE {filter} AND {STANDS_IN_THE_WAY}
         ORDER BY r.row_no, o.last_attempt_at",
        refunded = refunded_amount!("o"),
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params, |r| {
        Ok(read_row!(r => PriorRefund {
            row_no: i64 as u64, line: i64 as u64, payment_id, batch_id, requested,
            refunded_amount, state, last_attempt_at_ms, attempts, doubt, order,
            batch_created_at_ms,
        }))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The rows a ledger claimed whose key no row of another batch held at the
/// claim, with the newest batch of the state file then. Rows — and so keys —
/// enter the state file only with a new batch, and no batch is ever removed:
/// until a newer one is made, such a row's result concerns it alone, and
/// recording it needs no look at the key's other rows (the look costs as
/// much as the record). A batch made since, by any process, and every row
/// is looked at again.
#[derive(Debug, Default)]
pub(super) struct Alone {
    /// (batch, newest batch at the claims) of `rows`.
    of: (i64, i64),
    rows: std::collections::HashSet<u64>,
}

impl Alone {
    fn put(&mut self, batch: i64, row_no: u64, newest: i64) {
        if self.of != (batch, newest) {
            self.of = (batch, newest);
            self.rows.clear();
        }
        self.rows.insert(row_no);
    }

    /// Whether `row_no` of `batch` is still alone with its key, `newest`
    /// the newest batch now; it is forgotten either way.
    fn take(&mut self, batch: i64, row_no: u64, newest: i64) -> bool {
        self.rows.remove(&row_no) && self.of == (batch, newest)
    }
}

/// The newest batch of the state file: batches are numbered as they are made.
fn newest_batch(tx: &Transaction<'_>) -> anyhow::Result<i64> {
    Ok(tx
        .prepare_cached("SELECT COALESCE(MAX(seq), 0) FROM batches")?
        .query_row([], |r| r.get(0))?)
}

/// Whether batch `seq` stands alone now: no row of any other batch holds a
/// key, a payment or an order of its rows. Known as of a batch
/// (`isolated_as_of`, see the schema), it holds while that batch is the
/// newest: only a new batch brings rows, and what it shares is checked as it
/// is made.
pub(super) fn stands_alone(conn: &Connection, seq: i64) -> anyhow::Result<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT isolated_as_of IS (SELECT MAX(seq) FROM batches) FROM batches WHERE seq = ?1",
        )?
        .query_row([seq], |r| r.get(0))?)
}

fn record(
    tx: &Transaction<'_>,
    alone: &mut Alone,
    seq: i64,
    batch_id: &str,
    results: &[(u64, RowResult)],
    now: i64,
) -> anyhow::Result<()> {
    let mut stmt = tx.prepare_cached(concat!(
        "UPDATE rows SET state = ?3, attempts = attempts + ?4,
                http_status = COALESCE(?5, http_status),
                cause_code = ?6, cause_message = ?7, retryable = ?8,
                refund_id = COALESCE(?9, refund_id), refund_status = COALESCE(?10, refund_status),
                refunded_amount = COALESCE(",
        stored_refunded_amount!("?11"),
        ", refunded_amount),
                last_attempt_at = COALESCE(?12, last_attempt_at),
                origin = CASE WHEN ?14 < updated_at - ?15 THEN ?16 ELSE origin END,
                doubt = ?17, updated_at = ?13
         WHERE batch = ?1 AND row_no = ?2"
    ))?;
    let newest = newest_batch(tx)?;
    for (row_no, r) in results {
        let n = stmt.execute(params![
            seq,
            *row_no as i64,
            stored_state(r),
            r.attempts,
            r.http_status,
            r.cause.as_ref().map(|c| &c.code),
            r.cause.as_ref().map(|c| c.message.as_str()),
            r.retryable,
            r.refund.as_ref().map(|f| codec::refund_id_value(&f.id)),
            r.refund.as_ref().map(|f| &f.status),
            // A rejected or cancelled refund moved no money.
            r.refunded().map(|a| a.to_string()),
            r.last_attempt_at_ms,
            now,
            // `updated_at` is still the claim's time: nothing else writes a row
            // between its claim and its result.
            r.refund.as_ref().and_then(|f| f.created_ms),
            REPLAY_SLACK_MS,
            ORIGIN_REPLAY,
            stored_doubt(r),
        ])?;
        if n != 1 {
            bail!("state file: row {row_no} of batch {batch_id} is missing");
        }
        // A result concerns other rows only through its key: a row whose key
        // was its own at the claim, no batch made since, has none to weigh.
        if alone.take(seq, *row_no, newest) {
            continue;
        }
        if matches!(r.outcome, Outcome::Refunded | Outcome::InProcess) {
            share_refund(tx, seq, *row_no, now)?;
        } else {
            take_key_refund(tx, seq, *row_no, now)?;
        }
    }
    Ok(())
}

/// The other half of [`share_refund`]: a row that ends without its refund
/// while another batch's row with its key holds one (their requests raced:
/// that one was answered with the refund, this one with a 429 or a cut) takes
/// it — one request, one refund, one fact. Without one to take, a row whose
/// key another batch's row may have refunded with (in doubt, or being sent)
/// stays in doubt with it, whatever its own last answer was: a certain 429 to
/// this row says nothing of the other's request.
fn take_key_refund(tx: &Transaction<'_>, seq: i64, row_no: u64, now: i64) -> anyhow::Result<()> {
    tx.prepare_cached(concat!(
        "UPDATE rows SET
             (state, http_status, refund_id, refund_status, refunded_amount, cause_message) =
                 (SELECT k.state, k.http_status, k.refund_id, k.refund_status, ",
        refunded_amount!("k"),
        ",
                         'settled by batch ' || (SELECT id FROM batches WHERE seq = k.batch)
                             || ' of this state file'
                  FROM keys AS kk JOIN rows AS k ON k.batch = kk.batch AND k.row_no = kk.row_no
                  WHERE kk.key = rows.key AND kk.batch <> rows.batch
                    AND k.state IN ('refunded', 'in_process') AND k.refund_id IS NOT NULL
                  LIMIT 1),
             retryable = NULL, cause_code = NULL, doubt = 0, origin = ?4, updated_at = ?3
         WHERE batch = ?1 AND row_no = ?2 AND key IS NOT NULL
           AND EXISTS (SELECT 1 FROM keys AS kk
                         JOIN rows AS k ON k.batch = kk.batch AND k.row_no = kk.row_no
                       WHERE kk.key = rows.key AND kk.batch <> rows.batch
                         AND k.state IN ('refunded', 'in_process') AND k.refund_id IS NOT NULL)"
    ))?
    .execute(params![seq, row_no as i64, now, super::batch::ORIGIN_STATE])?;
    tx.prepare_cached(
        "UPDATE rows SET doubt = 2, exposed_at = COALESCE(exposed_at, ?3)
         WHERE batch = ?1 AND row_no = ?2 AND key IS NOT NULL AND doubt = 0
           AND state IN ('failed', 'pending')
           AND EXISTS (SELECT 1 FROM keys AS kk
                         JOIN rows AS k ON k.batch = kk.batch AND k.row_no = kk.row_no
                       WHERE kk.key = rows.key AND kk.batch <> rows.batch
                         AND (k.doubt = 1 OR k.state = 'sending'))",
    )?
    .execute(params![seq, row_no as i64, now])?;
    // Rows that were in doubt only through this key's request, now answered
    // for certain with nothing else of the key uncertain, are as they were.
    tx.prepare_cached(
        "UPDATE rows SET doubt = 0
         WHERE (batch, row_no) IN
                   (SELECT batch, row_no FROM keys
                    WHERE key = (SELECT key FROM rows WHERE batch = ?1 AND row_no = ?2 AND doubt = 0)
                      AND batch <> ?1)
           AND doubt = 2
           AND NOT EXISTS (SELECT 1 FROM keys AS kk
                             JOIN rows AS k ON k.batch = kk.batch AND k.row_no = kk.row_no
                           WHERE kk.key = rows.key AND (k.doubt = 1 OR k.state = 'sending'))",
    )?
    .execute(params![seq, row_no as i64])?;
    Ok(())
}

/// A refund is the fact of its key: rows of other batches with the key of row
/// `row_no` (the same request, in another spreadsheet) that did not learn it —
/// failed, queued, in doubt — take it, so that no results file calls a
/// refunded key "failed" or "not sent". A row being sent (`sending`) is left to
/// its own answer, which will be this refund replayed.
pub(super) fn share_refund(
    tx: &Transaction<'_>,
    seq: i64,
    row_no: u64,
    now: i64,
) -> anyhow::Result<()> {
    // Driven by the table of keys: the row's key is looked up once, and the
    // values are copied only into the (rare) rows that match.
    tx.prepare_cached(concat!(
        "UPDATE rows SET
             (state, http_status, refund_id, refund_status, refunded_amount) =
                 (SELECT state, http_status, refund_id, refund_status, ",
        refunded_amount!("rows"),
        "
                  FROM rows WHERE batch = ?1 AND row_no = ?2),
             last_attempt_at = COALESCE(last_attempt_at,
                 (SELECT last_attempt_at FROM rows WHERE batch = ?1 AND row_no = ?2)),
             retryable = NULL, cause_code = NULL, doubt = 0,
             cause_message = 'settled by batch '
                 || (SELECT id FROM batches WHERE seq = ?1) || ' of this state file',
             origin = ?4, updated_at = ?3
         WHERE (batch, row_no) IN
                   (SELECT batch, row_no FROM keys
                    WHERE key = (SELECT key FROM rows WHERE batch = ?1 AND row_no = ?2)
                      AND batch <> ?1)
           AND state IN ('failed', 'pending')"
    ))?
    .execute(params![seq, row_no as i64, now, super::batch::ORIGIN_STATE])?;
    Ok(())
}

/// Marks up to `limit` rows after `after_row_no` as `sending` and returns them.
/// Under the per-payment guard (unless the batch allows more refunds), a row
/// another batch stands in the way of is not claimed but `failed`
/// ([`CauseCode::PaymentHasRefunds`], for a person): checked here, in the same write
/// transaction as the claim, so that two processes on one state file, or a
/// batch resumed after another was sent, never both send on one payment.
fn claim(
    tx: &Transaction<'_>,
    alone: &mut Alone,
    seq: i64,
    batch_id: &str,
    after_row_no: u64,
    limit: usize,
    now: i64,
) -> anyhow::Result<Vec<Claimed>> {
    let settings: String = tx
        .prepare_cached("SELECT settings FROM batches WHERE seq = ?1")?
        .query_row([seq], |r| r.get(0))?;
    let guarded = !serde_json::from_str::<BatchSettings>(&settings)
        .context("state file: batch settings")?
        .allow_more_refunds;
    // A batch standing alone has nothing of another batch to weigh: its rows
    // are read as they are, without a look a row at the payments' index and
    // the table of keys (a look at a random place of it, for most rows).
    let isolated = stands_alone(tx, seq)?;
    let (held, same_key) = if isolated {
        ("0".to_owned(), "NULL")
    } else {
        (
            // CASE, not AND: only a row on another batch's payment is looked at closer.
            format!(
                "CASE WHEN ?4 AND {on_another}
                      THEN EXISTS (SELECT 1 FROM rows AS o
                                   WHERE {SAME_TARGET}
                                     AND o.key <> r.key AND {HELD_BACK} AND {STANDS_IN_THE_WAY})
                      ELSE 0 END",
                on_another = on_another_batchs_payment!(),
            ),
            // The rows of other batches with its key, in one look at the table
            // of keys (most keys have none): 2 when one may have refunded, 1
            // when one failed or waits without doubt.
            "(SELECT MAX(CASE WHEN same.doubt <> 0
                                   OR same.state IN ('sending', 'refunded', 'in_process')
                              THEN 2
                              WHEN same.state IN ('failed', 'pending') THEN 1
                              ELSE 0 END)
              FROM keys AS kk
                JOIN rows AS same ON same.batch = kk.batch AND same.row_no = kk.row_no
              WHERE kk.key = r.key AND kk.batch <> r.batch)",
        )
    };
    let mut candidates = tx.prepare_cached(&format!(
        "SELECT r.row_no, r.key, r.kind, r.payment_id, r.requested, {held}, r.currency,
                r.doubt <> 0 OR r.state = 'sending', {same_key}, r.order_id, r.transaction_id
         FROM rows AS r
         WHERE r.batch = ?1 AND r.state IN ('pending', 'sending') AND r.row_no > ?2
         ORDER BY r.row_no LIMIT ?3"
    ))?;
    // `OR FAIL`: as the batch's inserts (`batch::insert_rows_sql`), no journal
    // of the statement's own; an error rolls the whole claim back.
    let mut mark = tx.prepare_cached(
        "UPDATE OR FAIL rows SET state = 'sending', doubt = 1, exposed_at = COALESCE(exposed_at, ?3),
                updated_at = ?3
         WHERE batch = ?1 AND row_no > ?2 AND row_no <= ?4 AND state IN ('pending', 'sending')",
    )?;
    let mut expose = tx.prepare_cached(
        "UPDATE rows SET doubt = 2, exposed_at = COALESCE(exposed_at, ?3), updated_at = ?3
         WHERE (batch, row_no) IN
                   (SELECT batch, row_no FROM keys
                    WHERE key = (SELECT key FROM rows WHERE batch = ?1 AND row_no = ?2)
                      AND batch <> ?1)
           AND doubt = 0 AND state IN ('failed', 'pending')",
    )?;
    let mut out = Vec::with_capacity(limit);
    let mut shared = Vec::new();
    let newest = newest_batch(tx)?;
    let mut after = after_row_no as i64;
    while out.len() < limit {
        let want = limit - out.len();
        let mut rows = if isolated {
            candidates.query(params![seq, after, want as i64])?
        } else {
            candidates.query(params![seq, after, want as i64, guarded])?
        };
        let mut seen = 0;
        let mut held = Vec::new();
        while let Some(r) = rows.next()? {
            seen += 1;
            let row_no: i64 = r.get(0)?;
            after = row_no;
            if r.get::<_, bool>(5)? {
                held.push(row_no);
                continue;
            }
            let bad = || anyhow::anyhow!("state file: row {row_no} of batch {batch_id} is corrupt");
            // NULL: no row of another batch has the key.
            let key_elsewhere = r.get::<_, Option<i64>>(8)?;
            let same_key = key_elsewhere.unwrap_or(0);
            let requested: String = r.get(4)?;
            out.push(Claimed {
                row_no: row_no as u64,
                ask: RefundAsk {
                    key: codec::key_of(r.get_ref(1)?)
                        .ok()
                        .flatten()
                        .ok_or_else(bad)?,
                    target: codec::target_at(r, [2, 3, 9, 10])?.ok_or_else(bad)?,
                    requested: Requested::from_canonical(&requested).ok_or_else(bad)?,
                },
                currency: r
                    .get::<_, Option<String>>(6)?
                    .map(|c| c.parse())
                    .transpose()
                    .map_err(|_| bad())?,
                in_doubt: r.get::<_, bool>(7)? || same_key == 2,
            });
            if same_key >= 1 {
                shared.push(row_no);
            }
            if key_elsewhere.is_none() {
                alone.put(seq, row_no as u64, newest);
            }
        }
        drop(rows);
        if !held.is_empty() {
            bump_generation(tx)?;
        }
        for row_no in held {
            let held = by_row(prior_refunds(
                tx,
                "rows AS r",
                &format!("{HELD_BACK} AND r.row_no = ?2"),
                params![seq, row_no],
            )?);
            let (code, why) = held.first().map_or_else(
                || {
                    (
                        CauseCode::PaymentHasRefunds,
                        "another batch of this state file holds a refund on its payment or order"
                            .to_owned(),
                    )
                },
                |h| (h.code(), format!("line {}: {}", h.line, h.why)),
            );
            hold_back(tx, seq, row_no, &code, &why, now)?;
        }
        if seen < want {
            break;
        }
    }
    // Every row still to send between the cursor and the last one claimed is
    // claimed: the held ones are `failed` by now. One statement, on the index of
    // the rows to send.
    if let Some(last) = out.last() {
        mark.execute(params![seq, after_row_no as i64, now, last.row_no as i64])?;
    }
    // The request about to leave is the same request as the rows of other
    // batches with its key (another spreadsheet asked for the same refund):
    // whatever it does, they may have done. A row that was settled as failed,
    // or never sent, is in doubt from here on with it, until its key settles.
    if !shared.is_empty() {
        bump_generation(tx)?;
    }
    for row_no in shared {
        expose.execute(params![seq, row_no, now])?;
    }
    Ok(out)
}

/// A row the per-payment guard keeps from being sent: `failed`. Held by a
/// refund made, for a person (`retry --all-failed` puts it back, and the guard
/// looks again); held only by rows in doubt, retryable: once a read-back
/// settles them, `retry` sends it if nothing stands in its way any more.
fn hold_back(
    tx: &Transaction<'_>,
    seq: i64,
    row_no: i64,
    code: &CauseCode,
    why: &str,
    now: i64,
) -> anyhow::Result<()> {
    tx.prepare_cached(
        "UPDATE rows SET state = 'failed', cause_code = ?3, cause_message = ?4, retryable = ?6,
                updated_at = ?5
         WHERE batch = ?1 AND row_no = ?2",
    )?
    .execute(params![
        seq,
        row_no,
        code,
        why,
        now,
        matches!(code, CauseCode::PaymentInDoubt | CauseCode::OrderInDoubt)
    ])?;
    Ok(())
}
