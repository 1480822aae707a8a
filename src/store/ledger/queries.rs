//! Reading the state file through an open [`Ledger`]: batches, counts, money
//! per currency, the rows and refunds of a batch — and the `meta` memos commands
//! keep between runs. Nothing here changes a row.

use anyhow::Context;
use rusqlite::{OptionalExtension, params};

use super::refunded_amount;
use super::{
    Batch, BatchSettings, Ledger, MadeRefund, OUTCOME_SQL, StoredRow, Which, codec, outcome_of,
};
use crate::domain::{
    Cause, CauseCode, Currency, Outcome, RefundAsk, RefundInfo, RefundStatus, Requested, RowResult,
};

/// How many rows of a batch are left to send, counted in the index of those
/// alone: a finished batch has none, where its primary key would read every
/// row (see `claim::ROWS_TO_SEND`), and the index holds the state the query
/// names, so no row itself is read.
const TO_SEND: &str = "SELECT COUNT(*) FROM rows INDEXED BY rows_to_send
                       WHERE batch = ?1 AND state IN ('pending', 'sending')";

impl Ledger {
    pub(crate) fn batch(&self, id: &str) -> anyhow::Result<Option<Batch>> {
        self.conn
            .query_row(
                "SELECT id, created_at, input_path, input_digest, namespace, header, delimiter, settings, row_count
                 FROM batches WHERE id = ?1",
                [id],
                read_batch,
            )
            .optional()?
            .transpose()
    }

    pub(crate) fn batches(&self) -> anyhow::Result<Vec<Batch>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, created_at, input_path, input_digest, namespace, header, delimiter, settings, row_count
             FROM batches ORDER BY created_at, id",
        )?;
        let rows = stmt.query_map([], read_batch)?;
        rows.map(|r| r?).collect()
    }

    /// The batches made from the input at `input_path` that still have rows to
    /// send (pending, or sent with no answer), oldest first: a night's batch an
    /// outage left behind, which the next night finishes first.
    pub(crate) fn unfinished_of(&self, input_path: &str) -> anyhow::Result<Vec<(Batch, u64)>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, created_at, input_path, input_digest, namespace, header, delimiter, settings, row_count,
                    (SELECT COUNT(*) FROM rows WHERE batch = b.seq AND state IN ('pending', 'sending'))
             FROM batches AS b WHERE input_path = ?1 ORDER BY created_at, id",
        )?;
        let rows = stmt.query_map([input_path], |r| Ok((read_batch(r)?, r.get::<_, i64>(9)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (batch, left) = row?;
            if left > 0 {
                out.push((batch?, left as u64));
            }
        }
        Ok(out)
    }

    /// Counts the transactions that changed rows: equal generations, equal rows.
    pub(crate) fn generation(&self) -> anyhow::Result<i64> {
        generation_of(&self.conn)
    }

    /// What `key` of the `meta` table holds, as JSON.
    pub(crate) fn memo<T: serde::de::DeserializeOwned>(
        &self,
        key: &str,
    ) -> anyhow::Result<Option<T>> {
        let text: Option<String> = self
            .conn
            .query_row("SELECT value FROM meta WHERE name = ?1", [key], |r| {
                r.get(0)
            })
            .optional()?;
        // A memo that no longer reads (an older shape) is as good as none.
        Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
    }

    pub(crate) fn set_memo<T: serde::Serialize>(
        &mut self,
        key: &str,
        value: &T,
    ) -> anyhow::Result<()> {
        self.conn.execute(
            "INSERT INTO meta (name, value) VALUES (?1, ?2)
             ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            params![key, serde_json::to_string(value)?],
        )?;
        Ok(())
    }

    /// How many rows have each outcome (`sending` ones count as pending, or
    /// unknown when in doubt).
    pub(crate) fn outcome_counts(
        &self,
        batch_id: &str,
    ) -> anyhow::Result<std::collections::BTreeMap<Outcome, u64>> {
        let mut stmt = self.conn.prepare(
            "SELECT state, doubt <> 0, COUNT(*) FROM rows WHERE batch = ?1 GROUP BY 1, 2",
        )?;
        let rows = stmt.query_map([self.seq(batch_id)?], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, bool>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })?;
        let mut counts = std::collections::BTreeMap::new();
        for r in rows {
            let (s, doubt, n) = r?;
            *counts.entry(outcome_of(&s, doubt)?).or_default() += n as u64;
        }
        Ok(counts)
    }

    /// Rows per cause code so far (rows without a cause not counted): what a
    /// live progress page shows.
    pub(crate) fn cause_counts(
        &self,
        batch_id: &str,
    ) -> anyhow::Result<std::collections::BTreeMap<String, u64>> {
        let mut stmt = self.conn.prepare(
            "SELECT cause_code, COUNT(*) FROM rows
             WHERE batch = ?1 AND cause_code IS NOT NULL GROUP BY cause_code",
        )?;
        let rows = stmt.query_map([self.seq(batch_id)?], |r| {
            Ok((r.get::<_, CauseCode>(0)?, r.get::<_, i64>(1)?))
        })?;
        let mut counts = std::collections::BTreeMap::new();
        for r in rows {
            let (c, n) = r?;
            *counts.entry(c.as_str().into_owned()).or_default() += n as u64;
        }
        Ok(counts)
    }

    /// What each valid row of the batch asks, and in which currency, of the
    /// rows `which` says: what a confirmation adds up.
    pub(crate) fn for_each_ask(
        &self,
        batch_id: &str,
        which: Which,
        mut f: impl FnMut(Option<Currency>, Requested),
    ) -> anyhow::Result<()> {
        let mut stmt = self.conn.prepare(
            "SELECT currency, requested FROM rows
             WHERE batch = ?1 AND requested IS NOT NULL
               AND CASE ?2 WHEN 1 THEN state IN ('pending', 'sending')
                           WHEN 2 THEN state IN ('refunded', 'in_process')
                           ELSE 1 END",
        )?;
        let mut rows = stmt.query(params![self.seq(batch_id)?, which as i64])?;
        while let Some(r) = rows.next()? {
            let currency: Option<String> = r.get(0)?;
            let requested: String = r.get(1)?;
            let currency = currency
                .map(|c| c.parse())
                .transpose()
                .map_err(|_| anyhow::anyhow!("state file: a row has a bad currency"))?;
            let requested = Requested::from_canonical(&requested)
                .ok_or_else(|| anyhow::anyhow!("state file: a row has a bad amount"))?;
            f(currency, requested);
        }
        Ok(())
    }

    /// Every row of the batch that asks for money: its outcome, its currency,
    /// what it asked and what it refunded (a `full` row's amount once known):
    /// what a sent batch's money per outcome adds up.
    pub(crate) fn for_each_outcome_ask(
        &self,
        batch_id: &str,
        mut f: impl FnMut(Outcome, Option<Currency>, Requested, Option<rust_decimal::Decimal>),
    ) -> anyhow::Result<()> {
        let mut stmt = self.conn.prepare(concat!(
            "SELECT state, doubt <> 0, currency, requested, ",
            refunded_amount!("rows"),
            " FROM rows WHERE batch = ?1 AND requested IS NOT NULL"
        ))?;
        let mut rows = stmt.query([self.seq(batch_id)?])?;
        while let Some(r) = rows.next()? {
            let state: String = r.get(0)?;
            let outcome = super::outcome_of(&state, r.get(1)?)?;
            let currency: Option<String> = r.get(2)?;
            let currency = currency
                .map(|c| c.parse())
                .transpose()
                .map_err(|_| anyhow::anyhow!("state file: a row has a bad currency"))?;
            let requested: String = r.get(3)?;
            let requested = Requested::from_canonical(&requested)
                .ok_or_else(|| anyhow::anyhow!("state file: a row has a bad amount"))?;
            let refunded: Option<String> = r.get(4)?;
            let refunded = refunded.and_then(|t| t.parse().ok());
            f(outcome, currency, requested, refunded);
        }
        Ok(())
    }

    /// Rows still to send (pending, or sent with no answer): from the index of
    /// those alone, so a finished batch answers at once.
    pub(crate) fn to_send(&self, batch_id: &str) -> anyhow::Result<u64> {
        let n: i64 = self
            .conn
            .query_row(TO_SEND, [self.seq(batch_id)?], |r| r.get(0))?;
        Ok(n as u64)
    }

    /// Rows left to send (pending or sending) in every batch of the state file:
    /// an earlier night's batch stopped early is not forgotten by tonight's figures.
    pub(crate) fn to_send_all_batches(&self) -> anyhow::Result<u64> {
        let n: i64 = self.conn.query_row(
            "SELECT COUNT(*) FROM rows WHERE state IN ('pending', 'sending')",
            [],
            |r| r.get(0),
        )?;
        Ok(n as u64)
    }

    /// Failed rows of the batch: (retryable, permanent).
    pub(crate) fn failed_counts(&self, batch_id: &str) -> anyhow::Result<(u64, u64)> {
        let (retryable, all): (i64, i64) = self.conn.query_row(
            "SELECT COALESCE(SUM(retryable = 1), 0), COUNT(*) FROM rows
             WHERE batch = ?1 AND state = 'failed'",
            [self.seq(batch_id)?],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok((retryable as u64, (all - retryable) as u64))
    }

    /// The id of every refund any row of the state file made (each of the
    /// refunds one request made together, `crate::domain::joint`): what is not
    /// among them, at Mercado Pago, was made by someone else.
    pub(crate) fn known_refund_ids(&self) -> anyhow::Result<std::collections::HashSet<String>> {
        let mut stmt = self.conn.prepare(
            "SELECT DISTINCT CAST(refund_id AS TEXT) FROM rows WHERE refund_id IS NOT NULL",
        )?;
        let mut known = std::collections::HashSet::new();
        for reference in stmt.query_map([], |r| r.get::<_, String>(0))? {
            known.extend(crate::domain::joint::ids(&reference?).map(str::to_owned));
        }
        Ok(known)
    }

    /// Every refund the batch made (refunded or in process, with its id), as
    /// `reconcile --report` matches them: (row, payment, refund id, amount,
    /// currency, when it was made), in row order.
    pub(crate) fn for_each_refund(
        &self,
        batch_id: &str,
        mut f: impl FnMut(MadeRefund) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let mut stmt = self.conn.prepare(concat!(
            "SELECT row_no, payment_id, CAST(refund_id AS TEXT), ",
            refunded_amount!("rows"),
            ", currency, last_attempt_at
             FROM rows WHERE batch = ?1 AND state IN ('refunded', 'in_process')
               AND refund_id IS NOT NULL AND payment_id IS NOT NULL"
        ))?;
        let mut rows = stmt.query([self.seq(batch_id)?])?;
        while let Some(r) = rows.next()? {
            let row_no = r.get::<_, i64>(0)? as u64;
            let amount: Option<String> = r.get(3)?;
            let currency: Option<String> = r.get(4)?;
            f(MadeRefund {
                row_no,
                payment: r.get::<_, i64>(1)? as u64,
                refund_id: r.get(2)?,
                amount: amount.and_then(|a| a.parse().ok()),
                currency: currency.and_then(|c| c.parse().ok()),
                made_at_ms: r.get(5)?,
            })?;
        }
        Ok(())
    }

    /// Whether a row of the batch refunds an order of the Orders API. A state
    /// file without any order's row (most) says so from the orders' index at
    /// once; only one that has some reads the batch's rows, which without an
    /// order among them means all of them.
    pub(crate) fn has_orders(&self, batch_id: &str) -> anyhow::Result<bool> {
        Ok(self.conn.query_row(
            "SELECT CASE WHEN EXISTS (SELECT 1 FROM rows INDEXED BY rows_by_order
                                      WHERE order_id IS NOT NULL)
                         THEN EXISTS (SELECT 1 FROM rows WHERE order_id IS NOT NULL AND batch = ?1)
                         ELSE 0 END",
            [self.seq(batch_id)?],
            |r| r.get(0),
        )?)
    }

    /// The payments the batch's rows name, each once, ascending.
    pub(crate) fn batch_payments(&self, batch_id: &str) -> anyhow::Result<Vec<u64>> {
        let mut stmt = self.conn.prepare(
            "SELECT DISTINCT payment_id FROM rows
             WHERE batch = ?1 AND payment_id IS NOT NULL ORDER BY payment_id",
        )?;
        let ids = stmt.query_map([self.seq(batch_id)?], |r| r.get::<_, i64>(0))?;
        Ok(ids
            .map(|id| id.map(|id| id as u64))
            .collect::<Result<_, _>>()?)
    }

    /// Latest write to any row of the batch (ms since the epoch): when it
    /// finished, for a batch with nothing left to send.
    pub(crate) fn last_activity_ms(&self, batch_id: &str) -> anyhow::Result<Option<i64>> {
        Ok(self.conn.query_row(
            "SELECT MAX(updated_at) FROM rows WHERE batch = ?1",
            [self.seq(batch_id)?],
            |r| r.get(0),
        )?)
    }

    /// Every row of the batch in input order.
    pub(crate) fn for_each_row(
        &self,
        batch_id: &str,
        f: impl FnMut(StoredRow) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        self.rows_where(batch_id, "", -1, 0, f)
    }

    /// How many rows of the batch each of `which` keeps, in one read of it.
    pub(crate) fn listed_counts(
        &self,
        batch_id: &str,
        which: &[Listing],
    ) -> anyhow::Result<Vec<u64>> {
        if which.is_empty() {
            return Ok(Vec::new());
        }
        let sums: Vec<String> = which
            .iter()
            .map(|w| format!("COALESCE(SUM({}), 0)", w.condition()))
            .collect();
        let sql = format!("SELECT {} FROM rows WHERE batch = ?1", sums.join(", "));
        Ok(self.conn.query_row(&sql, [self.seq(batch_id)?], |r| {
            (0..which.len())
                .map(|i| r.get::<_, i64>(i).map(|n| n as u64))
                .collect()
        })?)
    }

    /// One page of the rows `which` keeps, in input order: `limit` rows after
    /// the first `offset`. The primary key (batch, row number) orders and
    /// bounds the read, so a page of a 100,000-row batch reads that page's
    /// rows, never the batch.
    pub(crate) fn listed_page(
        &self,
        batch_id: &str,
        which: Listing,
        offset: u64,
        limit: u32,
    ) -> anyhow::Result<Vec<StoredRow>> {
        let mut out = Vec::with_capacity(limit as usize);
        let offset = i64::try_from(offset).unwrap_or(i64::MAX);
        let filter = format!("AND {}", which.condition());
        self.rows_where(batch_id, &filter, i64::from(limit), offset, |r| {
            out.push(r);
            Ok(())
        })?;
        Ok(out)
    }

    /// Every row of the batch `which` keeps, in input order, handed to `f` as
    /// it is read: what a download of a filter holds.
    pub(crate) fn for_each_listed(
        &self,
        batch_id: &str,
        which: Listing,
        f: impl FnMut(StoredRow) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let filter = format!("AND {}", which.condition());
        self.rows_where(batch_id, &filter, -1, 0, f)
    }

    /// The first `limit` rows of the batch, in input order, that have an
    /// answer (neither still to send nor invalid): what a canary sent.
    pub(crate) fn answered_rows(
        &self,
        batch_id: &str,
        limit: u32,
    ) -> anyhow::Result<Vec<StoredRow>> {
        let mut out = Vec::new();
        let filter = format!(
            "AND {OUTCOME_SQL} NOT IN ('{}', '{}')",
            Outcome::Pending.as_str(),
            Outcome::Invalid.as_str()
        );
        self.rows_where(batch_id, &filter, i64::from(limit), 0, |r| {
            out.push(r);
            Ok(())
        })?;
        Ok(out)
    }

    /// The batch's rows `filter` (SQL on `rows`, from this module only) keeps,
    /// at most `limit` (-1: all) after the first `offset`, in input order.
    fn rows_where(
        &self,
        batch_id: &str,
        filter: &str,
        limit: i64,
        offset: i64,
        mut f: impl FnMut(StoredRow) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT row_no, fields, key, requested, currency, state, attempts, http_status, cause_code,
                    cause_message, retryable, CAST(refund_id AS TEXT), refund_status, {refunded},
                    last_attempt_at, kind, payment_id, line, updated_at, origin, doubt <> 0,
                    order_id, transaction_id
             FROM rows WHERE batch = ?1 {filter} ORDER BY row_no LIMIT ?2 OFFSET ?3",
            refunded = refunded_amount!("rows"),
        ))?;
        let mut rows = stmt.query(params![self.seq(batch_id)?, limit, offset])?;
        while let Some(r) = rows.next()? {
            let row_no = r.get::<_, i64>(0)? as u64;
            let bad = |what: &str| anyhow::anyhow!("state file: row {row_no} has a bad {what}");
            let key = codec::key_of(r.get_ref(2)?).map_err(|()| bad("key"))?;
            let requested: Option<String> = r.get(3)?;
            let currency: Option<String> = r.get(4)?;
            let state: String = r.get(5)?;
            let cause_code: Option<CauseCode> = r.get(8)?;
            let cause_message: Option<String> = r.get(9)?;
            let refund_id: Option<String> = r.get(11)?;
            let refund_status: Option<RefundStatus> = r.get(12)?;
            let amount: Option<String> = r.get(13)?;
            let cause = (cause_code.is_some() || cause_message.is_some()).then(|| Cause {
                code: cause_code.unwrap_or_else(|| CauseCode::Other(String::new())),
                message: cause_message.unwrap_or_default(),
            });
            let refund = refund_id.map(|id| RefundInfo {
                id,
                status: refund_status.unwrap_or_else(|| RefundStatus::Other(String::new())),
                amount: amount.as_deref().and_then(|a| a.parse().ok()),
                created_ms: None,
            });
            let kind: Option<i64> = r.get(15)?;
            let payment: Option<i64> = r.get(16)?;
            let order: Option<String> = r.get(21)?;
            let transaction: Option<String> = r.get(22)?;
            // The cell a reference stands for: the payment's id, or the order's.
            let id_text = payment.map(|p| p.to_string()).or_else(|| order.clone());
            let fields = codec::fields_of(r.get_ref(1)?, id_text.as_deref(), requested.as_deref())
                .ok_or_else(|| anyhow::anyhow!("state file: row {row_no} has bad cells"))?;
            let ask = match (key, kind, requested) {
                (Some(key), Some(kind), Some(requested)) => Some(RefundAsk {
                    key,
                    target: codec::target_of(
                        kind,
                        payment,
                        order.as_deref(),
                        transaction.as_deref(),
                    )
                    .ok_or_else(|| bad("payment or order id"))?,
                    requested: Requested::from_canonical(&requested)
                        .ok_or_else(|| bad("amount"))?,
                }),
                _ => None,
            };
            f(StoredRow {
                row_no,
                line: r
                    .get::<_, Option<i64>>(17)?
                    .map_or(row_no + 1, |l| l as u64),
                fields,
                ask,
                currency: currency
                    .map(|c| c.parse().map_err(|_| bad("currency")))
                    .transpose()?,
                result: RowResult {
                    outcome: outcome_of(&state, r.get(20)?)?,
                    attempts: r.get(6)?,
                    http_status: r.get(7)?,
                    cause,
                    retryable: r.get(10)?,
                    refund,
                    last_attempt_at_ms: r.get(14)?,
                },
                already_done: r.get::<_, Option<i64>>(19)?.is_some(),
            })?;
        }
        Ok(())
    }
}

/// Which rows of a batch a listing keeps, in the ledger's outcome vocabulary
/// (the console's results filters map onto these).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Listing {
    All,
    /// Rows with one of these outcomes (`Pending` takes the rows `sending` too).
    Outcomes(&'static [Outcome]),
    /// Rows the tool will not finish by itself: invalid ones, failed ones it
    /// will not retry (`retry` sends only the retryable), and refunds made for
    /// another amount or payment than asked (money moved, not as asked).
    NeedsPerson,
}

impl Listing {
    /// The SQL condition on `rows` that keeps these rows; built from the
    /// typed vocabulary only (no text from outside reaches it).
    fn condition(self) -> String {
        match self {
            Listing::All => "1".to_owned(),
            Listing::Outcomes(outcomes) => {
                let names: Vec<String> = outcomes.iter().map(|o| format!("'{o}'")).collect();
                if names.is_empty() {
                    "0".to_owned()
                } else {
                    format!("{OUTCOME_SQL} IN ({})", names.join(", "))
                }
            }
            Listing::NeedsPerson => format!(
                "(state = '{}' OR (state = '{}' AND retryable IS NOT 1)
                  OR cause_code IN ('{}', '{}'))",
                Outcome::Invalid.as_str(),
                Outcome::Failed.as_str(),
                CauseCode::AmountDiffers.as_str(),
                CauseCode::PaymentDiffers.as_str()
            ),
        }
    }
}

fn read_batch(r: &rusqlite::Row<'_>) -> rusqlite::Result<anyhow::Result<Batch>> {
    let header: String = r.get(5)?;
    let row_count: i64 = r.get(8)?;
    let batch = (|| -> rusqlite::Result<_> {
        Ok(Batch {
            id: r.get(0)?,
            created_at_ms: r.get(1)?,
            input_path: r.get(2)?,
            input_digest: r.get(3)?,
            namespace: r.get(4)?,
            header: Vec::new(),
            delimiter: r.get(6)?,
            settings: BatchSettings::default(),
            row_count: row_count as u64,
        })
    })()?;
    let settings: String = r.get(7)?;
    Ok((|| {
        Ok(Batch {
            header: serde_json::from_str(&header).context("state file: batch header")?,
            settings: serde_json::from_str(&settings).context("state file: batch settings")?,
            ..batch
        })
    })())
}

/// See [`Ledger::generation`].
pub(super) fn generation_of(conn: &rusqlite::Connection) -> anyhow::Result<i64> {
    Ok(conn
        .query_row(
            "SELECT CAST(value AS INTEGER) FROM meta WHERE name = 'generation'",
            [],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::super::testing::{batch, blank_amount, content, row};
    use super::*;
    use crate::domain::Valid;

    /// Rows 1..=7 of batch `b`: refunded, in process, failed and retryable,
    /// failed for good, invalid, still sending, refunded for another amount.
    fn ledger_of_every_kind() -> (tempfile::TempDir, Ledger) {
        let dir = tempfile::tempdir().unwrap();
        let mut l = Ledger::open(&dir.path().join("s.db")).unwrap();
        let mut w = l.new_batch(&batch("b", 7)).unwrap();
        for n in 1..=7u64 {
            let content = if n == 5 {
                Err(blank_amount())
            } else {
                Ok(Valid {
                    reference: None,
                    ..content(n)
                })
            };
            w.insert(super::super::NewRow::of(&row(n, "10.50", content)))
                .unwrap();
        }
        w.commit(&batch("b", 7)).unwrap();
        l.record_and_claim("b", &[], 0, 10).unwrap();
        let done = |outcome, cause: Option<CauseCode>, retryable| RowResult {
            cause: cause.map(|code| Cause {
                code,
                message: String::new(),
            }),
            retryable,
            attempts: 1,
            ..RowResult::new(outcome)
        };
        let results = [
            (1, done(Outcome::Refunded, None, None)),
            (2, done(Outcome::InProcess, None, None)),
            (
                3,
                done(Outcome::Failed, Some(CauseCode::Http(500)), Some(true)),
            ),
            (
                4,
                done(
                    Outcome::Failed,
                    Some(CauseCode::Other("2063".into())),
                    Some(false),
                ),
            ),
            (
                7,
                done(Outcome::Refunded, Some(CauseCode::AmountDiffers), None),
            ),
        ];
        l.record_and_claim("b", &results, 0, 0).unwrap();
        (dir, l)
    }

    /// The row numbers of a page of the listing.
    fn page_of(l: &Ledger, which: Listing, offset: u64, limit: u32) -> Vec<u64> {
        l.listed_page("b", which, offset, limit)
            .unwrap()
            .iter()
            .map(|r| r.row_no)
            .collect()
    }

    fn listed(l: &Ledger, which: Listing) -> Vec<u64> {
        let rows = page_of(l, which, 0, 100);
        assert_eq!(
            l.listed_counts("b", &[Listing::All, which]).unwrap(),
            [7, rows.len() as u64]
        );
        rows
    }

    /// The rows left to send are the pending and the sending, and counting
    /// them reads the index of those rows alone, never a row: a million-row
    /// batch's first request waited a third of a second on a look at each.
    #[test]
    fn the_rows_left_to_send_are_counted_in_their_index_alone() {
        let (_dir, l) = ledger_of_every_kind();
        // Row 6 is still sending; the rest are settled or invalid.
        assert_eq!(l.to_send("b").unwrap(), 1);
        let plan: Vec<String> = l
            .conn
            .prepare(&format!("EXPLAIN QUERY PLAN {TO_SEND}"))
            .unwrap()
            .query_map([1], |r| r.get(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            plan,
            ["SEARCH rows USING COVERING INDEX rows_to_send (batch=?)"]
        );
    }

    #[test]
    fn a_listing_keeps_the_rows_its_outcomes_name() {
        let (_dir, l) = ledger_of_every_kind();
        assert_eq!(listed(&l, Listing::All), [1, 2, 3, 4, 5, 6, 7]);
        let not_refunded = Listing::Outcomes(&[Outcome::Failed, Outcome::Invalid]);
        assert_eq!(listed(&l, not_refunded), [3, 4, 5]);
        let refunded = Listing::Outcomes(&[Outcome::Refunded, Outcome::InProcess]);
        assert_eq!(listed(&l, refunded), [1, 2, 7]);
        // A row whose request may have left is in doubt, as the results say.
        assert_eq!(listed(&l, Listing::Outcomes(&[Outcome::Unknown])), [6]);
        assert_eq!(
            listed(&l, Listing::Outcomes(&[Outcome::Pending])),
            Vec::<u64>::new()
        );
        assert_eq!(listed(&l, Listing::Outcomes(&[])), Vec::<u64>::new());
        // Failed for good, invalid, refunded not as asked: never the retryable.
        assert_eq!(listed(&l, Listing::NeedsPerson), [4, 5, 7]);
    }

    #[test]
    fn a_page_is_the_rows_after_its_offset_in_input_order() {
        let (_dir, l) = ledger_of_every_kind();
        let page = |offset, limit| page_of(&l, Listing::All, offset, limit);
        assert_eq!(page(0, 3), [1, 2, 3]);
        assert_eq!(page(3, 3), [4, 5, 6]);
        assert_eq!(page(6, 3), [7]);
        assert!(page(9, 3).is_empty());
        assert!(page(u64::MAX, 3).is_empty());
        let failed = Listing::Outcomes(&[Outcome::Failed, Outcome::Invalid]);
        assert_eq!(page_of(&l, failed, 1, 1), [4]);
    }
}
