//! Creating a batch: its row and rows go in through one open transaction
//! ([`BatchWriter`]), so either the whole input is in the state file or none of it.
//! A batch's id is its rows' fingerprint, known at the last row: the batch's
//! row goes in first under a stand-in, and takes what it is at the commit.
//! The rows' keys go into the table of keys at once, sorted, before anything
//! looks a key up (the guard's query names this batch's keys too): in row order
//! they would each land at a random place of it.
//! On commit, a row whose key another batch already settled takes that result
//! instead of being sent, a row whose key another batch's row may have
//! refunded with is in doubt with it, and the namespace is recorded with the first batch made
//! under it. A batch none of whose keys, payments or orders another batch's
//! rows hold is recorded as standing alone (`batches.isolated_as_of`), and
//! nothing looks at other batches for it while no newer one is made.

use rusqlite::{Transaction, params};

use super::claim::{HELD_BACK, ROWS_TO_SEND, SHARES_A_TARGET, prior_refunds};
use super::{Batch, Ledger, PriorRefund, bump_generation, codec, refunded_amount, stored_line};
use crate::domain::clock::now_ms;
use crate::domain::{CauseCode, Outcome, Row};

/// `rows.origin` of a row another batch of the state file had settled.
pub(super) const ORIGIN_STATE: i64 = 1;

/// A batch being created: one open transaction (see [`Ledger::new_batch`]).
pub(crate) struct BatchWriter<'a> {
    tx: Transaction<'a>,
    /// The batch's number in the state file (`batches.seq`).
    seq: i64,
    now: i64,
    /// Whether the rows inserted so far are in the table of keys.
    keyed: bool,
    /// Whether no row of another batch holds a key, a payment or an order of
    /// this one's (known once `keyed`).
    alone: bool,
    /// Rows inserted but not yet in the table: see [`BatchWriter::insert`].
    waiting: Vec<NewRow>,
    /// Last, so that it is dropped after the transaction ends: see
    /// [`SettingsBack`].
    _settings: SettingsBack<'a>,
}

/// Puts back, once a new batch's transaction is over (committed or not), the
/// two settings of the state file's connection a batch is made without.
///
/// The foreign-key checks: SQLite gives a statement that inserts several rows
/// into a table with a foreign key a journal of its own, in case it must be
/// undone halfway, and once that journal outgrew its memory it went to a
/// temporary file for the rest of the transaction — a write of every page
/// touched, again, a quarter of the storing of a large batch. The one key is
/// `rows.batch`, and every row is inserted with the number `write_batch`
/// just gave the batch, in the same transaction.
///
/// The checkpoint at the commit: it would copy the whole batch from the log
/// into the file before the first request can leave. The next commit's
/// checkpoint copies it instead — in a run, once its first claim's rows are
/// on their way (`super::checkpoint`).
struct SettingsBack<'a>(&'a rusqlite::Connection);

impl Drop for SettingsBack<'_> {
    fn drop(&mut self) {
        // Outside a transaction, as SQLite takes the foreign keys.
        if let Err(e) = self.0.pragma_update(None, "foreign_keys", true) {
            tracing::warn!("state file: foreign-key checks not turned back on: {e}");
        }
        if let Err(e) = self.0.pragma_update(
            None,
            "wal_autocheckpoint",
            super::checkpoint::CHECKPOINT_PAGES,
        ) {
            tracing::warn!("state file: checkpoints not turned back on: {e}");
        }
    }
}

/// Rows a statement inserts at once: the cost of running a statement (its
/// cursors opened and closed, its bindings reset) paid once for them all.
const INSERT_ROWS: usize = 32;

/// The columns a new row is inserted with, in the order [`NewRow::bind`] binds them.
const NEW_ROW_COLUMNS: &str = "(batch, row_no, line, key, kind, payment_id, requested, currency, \
     fields, state, cause_code, cause_message, retryable, updated_at, order_id, transaction_id)";
const NEW_ROW_VALUES: usize = 16;

/// The statement that inserts `n` rows. `OR FAIL`, not SQLite's `ABORT`:
/// undoing a statement halfway needs a journal of its own (see
/// [`SettingsBack`]), and a broken constraint here ends the whole batch's
/// transaction anyway.
fn insert_rows_sql(n: usize) -> String {
    let group = format!("({})", vec!["?"; NEW_ROW_VALUES].join(", "));
    format!(
        "INSERT OR FAIL INTO rows {NEW_ROW_COLUMNS} VALUES {}",
        vec![group; n].join(", ")
    )
}

/// A row of the spreadsheet as the table of rows stores it, made from the row
/// alone: on the thread that reads the file, while the writer stores the rows
/// before it.
pub(crate) struct NewRow {
    row_no: i64,
    line: Option<i64>,
    key: Option<rusqlite::types::Value>,
    kind: Option<i64>,
    payment: Option<i64>,
    requested: Option<String>,
    currency: Option<String>,
    fields: Vec<u8>,
    /// Why the row is invalid, when it is: the English reading, naming its
    /// line as `plan` does — the results file's cause message. Any other row
    /// goes in `pending`.
    invalid: Option<String>,
    order: Option<String>,
    transaction: Option<String>,
}

impl NewRow {
    pub(crate) fn of(row: &Row) -> NewRow {
        let (row_no, line) = (row.row_no as i64, stored_line(row));
        match &row.content {
            Ok(v) => {
                // The cell the payment's (or order's) id is usually in is stored
                // as a reference to it.
                let id = v.ask.target.to_string();
                let (payment, order, transaction) = codec::target_values(&v.ask.target);
                let requested = v.ask.requested.canonical();
                NewRow {
                    row_no,
                    line,
                    key: Some(codec::key_value(&v.ask.key)),
                    kind: Some(codec::kind_value(v.ask.kind())),
                    payment,
                    fields: codec::encode_fields(&row.fields, Some(&id), Some(&requested)),
                    requested: Some(requested),
                    currency: v.currency.map(|c| c.to_string()),
                    invalid: None,
                    order: order.map(str::to_owned),
                    transaction: transaction.map(str::to_owned),
                }
            }
            Err(reason) => NewRow {
                row_no,
                line,
                key: None,
                kind: None,
                payment: None,
                requested: None,
                currency: None,
                fields: codec::encode_fields(&row.fields, None, None),
                invalid: Some(format!("line {}: {reason}", row.line)),
                order: None,
                transaction: None,
            },
        }
    }

    /// Binds the row's values to the statement's parameters from `first` on,
    /// in the order of [`NEW_ROW_COLUMNS`].
    fn bind(
        &self,
        stmt: &mut rusqlite::CachedStatement<'_>,
        first: usize,
        seq: i64,
        now: i64,
    ) -> rusqlite::Result<()> {
        let invalid = self.invalid.is_some();
        let state = if invalid {
            Outcome::Invalid
        } else {
            Outcome::Pending
        };
        let values: [&dyn rusqlite::ToSql; NEW_ROW_VALUES] = [
            &seq,
            &self.row_no,
            &self.line,
            &self.key,
            &self.kind,
            &self.payment,
            &self.requested,
            &self.currency,
            &self.fields,
            &state.as_str(),
            &invalid.then_some(&CauseCode::InvalidInput),
            &self.invalid,
            &invalid.then_some(false),
            &now,
            &self.order,
            &self.transaction,
        ];
        for (i, v) in values.into_iter().enumerate() {
            stmt.raw_bind_parameter(first + i, v)?;
        }
        Ok(())
    }
}

impl BatchWriter<'_> {
    /// Stores a row of the batch (made by [`NewRow::of`]); rows are inserted a
    /// few at a time, all of them before anything reads the batch's rows.
    pub(crate) fn insert(&mut self, row: NewRow) -> anyhow::Result<()> {
        anyhow::ensure!(!self.keyed, "a row was inserted after the batch's keys");
        self.waiting.push(row);
        if self.waiting.len() == INSERT_ROWS {
            self.store_waiting()?;
        }
        Ok(())
    }

    /// Inserts the rows [`BatchWriter::insert`] holds: every full group by one
    /// statement, the rest one by one.
    fn store_waiting(&mut self) -> anyhow::Result<()> {
        static MANY: std::sync::LazyLock<String> =
            std::sync::LazyLock::new(|| insert_rows_sql(INSERT_ROWS));
        static ONE: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| insert_rows_sql(1));
        for group in self.waiting.chunks(INSERT_ROWS) {
            let (sql, per) = if group.len() == INSERT_ROWS {
                (&*MANY, INSERT_ROWS)
            } else {
                (&*ONE, 1)
            };
            let mut stmt = self.tx.prepare_cached(sql)?;
            for rows in group.chunks(per) {
                for (i, row) in rows.iter().enumerate() {
                    row.bind(&mut stmt, 1 + i * NEW_ROW_VALUES, self.seq, self.now)?;
                }
                stmt.raw_execute()?;
            }
        }
        self.waiting.clear();
        Ok(())
    }

    /// Refunds other batches made (or may have made) on the payments of this
    /// batch's rows still to send, under keys this spreadsheet does not hold — a
    /// corrected amount, a refund from another spreadsheet — one line each, by row.
    /// Rows of one spreadsheet on one payment never count against each other:
    /// several partial refunds in one file are allowed.
    pub(crate) fn prior_refunds(&mut self) -> anyhow::Result<Vec<PriorRefund>> {
        self.key_rows()?;
        if self.alone {
            return Ok(Vec::new());
        }
        prior_refunds(&self.tx, ROWS_TO_SEND, HELD_BACK, [self.seq])
    }

    /// Puts the keys of the batch's rows into the table of keys, in key order
    /// (SQLite sorts them within its bounded memory): once, after the last
    /// row and before the first look-up. Whether the batch stands alone is
    /// found on the way: a key another batch holds is noted as it goes in —
    /// in key order, the look lands on the page the insert just wrote, where
    /// a look per row in row order lands anywhere — and the payments and
    /// orders are looked up after.
    fn key_rows(&mut self) -> anyhow::Result<()> {
        if self.keyed {
            return Ok(());
        }
        self.store_waiting()?;
        let others: bool = self.tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM batches WHERE seq <> ?1)",
            [self.seq],
            |r| r.get(0),
        )?;
        if others {
            self.tx.execute_batch(
                "CREATE TEMP TABLE IF NOT EXISTS shared_keys (batch INTEGER PRIMARY KEY);
                 CREATE TEMP TRIGGER note_shared_key AFTER INSERT ON main.keys
                 WHEN EXISTS (SELECT 1 FROM main.keys AS o
                              WHERE o.key = NEW.key AND o.batch <> NEW.batch)
                 BEGIN INSERT OR IGNORE INTO shared_keys (batch) VALUES (NEW.batch); END;",
            )?;
        }
        // Not `OR FAIL` as the rows' inserts: a conflict clause on this
        // statement would override the trigger's `OR IGNORE`.
        let inserted = self.tx.execute(
            "INSERT INTO keys (key, batch, row_no)
             SELECT key, batch, row_no FROM rows WHERE batch = ?1 AND key IS NOT NULL
             ORDER BY key, row_no",
            [self.seq],
        );
        let shared_key = if others {
            let noted = self.tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM shared_keys WHERE batch = ?1)",
                [self.seq],
                |r| r.get::<_, bool>(0),
            );
            self.tx
                .execute_batch("DROP TRIGGER note_shared_key; DELETE FROM shared_keys;")?;
            noted?
        } else {
            false
        };
        inserted?;
        self.alone = !others
            || (!shared_key
                && !self
                    .tx
                    .query_row(SHARES_A_TARGET, [self.seq], |r| r.get(0))?);
        self.keyed = true;
        Ok(())
    }

    /// Whether a batch of the state file, other than this one, has the id `id`.
    pub(crate) fn holds(&self, id: &str) -> anyhow::Result<bool> {
        Ok(self.tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM batches WHERE id = ?1 AND seq <> ?2)",
            params![id, self.seq],
            |r| r.get(0),
        )?)
    }

    /// Marks a row of this batch invalid before it is ever sent.
    pub(crate) fn refuse(
        &mut self,
        row_no: u64,
        code: &CauseCode,
        message: &str,
    ) -> anyhow::Result<()> {
        self.store_waiting()?;
        self.tx.execute(
            "UPDATE rows SET state = 'invalid', cause_code = ?3, cause_message = ?4, retryable = 0
             WHERE batch = ?1 AND row_no = ?2",
            params![self.seq, row_no as i64, code, message],
        )?;
        Ok(())
    }

    /// Puts the batch in the state file as `batch` describes it (its id, its
    /// rows' count, its dialect and settings are what only the whole input
    /// says). Returns how many rows were already settled by another batch of
    /// this state file (see [`adopt_settled`]).
    pub(crate) fn commit(mut self, batch: &Batch) -> anyhow::Result<u64> {
        write_batch(&self.tx, Some(self.seq), batch)?;
        self.key_rows()?;
        let adopted = if self.alone {
            // No other batch holds a key of it: none settled one, none is in
            // doubt.
            0
        } else {
            let adopted = adopt_settled(&self.tx, self.seq, self.now)?;
            share_doubt(&self.tx, self.seq, self.now)?;
            adopted
        };
        if self.alone {
            // It shares nothing with any batch before it: a batch that shared
            // nothing with any up to the one before still shares nothing.
            self.tx.execute(
                "UPDATE batches SET isolated_as_of = ?1
                 WHERE seq = ?1
                    OR isolated_as_of = (SELECT MAX(seq) FROM batches WHERE seq < ?1)",
                [self.seq],
            )?;
        }
        // The namespace is recorded with the first batch made under it, never by a
        // run that was refused.
        self.tx.execute(
            "INSERT INTO meta (name, value) SELECT 'namespace', namespace FROM batches WHERE seq = ?1
             ON CONFLICT(name) DO UPDATE SET value = excluded.value",
            [self.seq],
        )?;
        bump_generation(&self.tx)?;
        // No checkpoint at this commit (see `SettingsBack`).
        self.tx.pragma_update(None, "wal_autocheckpoint", 0)?;
        self.tx.commit()?;
        Ok(adopted)
    }
}

impl Ledger {
    /// Starts a new batch: its rows are inserted through the returned writer, and
    /// nothing of it is in the state file until [`BatchWriter::commit`] — either
    /// the whole input is there or none of it.
    pub(crate) fn new_batch(&mut self, batch: &Batch) -> anyhow::Result<BatchWriter<'_>> {
        let now = now_ms();
        // The commit sets the checkpoints of its own (see `SettingsBack`).
        self.release_checkpoints()?;
        let conn: &'_ rusqlite::Connection = &self.conn;
        // Before the transaction: SQLite ignores the setting inside one.
        conn.pragma_update(None, "foreign_keys", false)?;
        let settings = SettingsBack(conn);
        let tx = Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Immediate)?;
        let seq = write_batch(&tx, None, batch)?;
        Ok(BatchWriter {
            tx,
            seq,
            now,
            keyed: false,
            alone: false,
            waiting: Vec::with_capacity(INSERT_ROWS),
            _settings: settings,
        })
    }
}

/// Writes `batch`'s row: a new one numbered after the newest batch (`seq`
/// `None`), or batch `seq`'s row made over. Returns its number.
fn write_batch(tx: &Transaction<'_>, seq: Option<i64>, batch: &Batch) -> anyhow::Result<i64> {
    Ok(tx.query_row(
        "INSERT INTO batches (seq, id, created_at, input_path, input_digest, namespace, header,
                              delimiter, settings, row_count)
         VALUES (COALESCE(?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM batches)),
                 ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT(seq) DO UPDATE SET
             id = excluded.id, created_at = excluded.created_at,
             input_path = excluded.input_path, input_digest = excluded.input_digest,
             namespace = excluded.namespace, header = excluded.header,
             delimiter = excluded.delimiter, settings = excluded.settings,
             row_count = excluded.row_count
         RETURNING seq",
        params![
            seq,
            batch.id,
            batch.created_at_ms,
            batch.input_path,
            batch.input_digest,
            batch.namespace,
            serde_json::to_string(&batch.header)?,
            batch.delimiter,
            serde_json::to_string(&batch.settings)?,
            batch.row_count as i64,
        ],
        |r| r.get(0),
    )?)
}

/// The state file is the first guard against a double refund, the key the second:
/// a new batch's row whose key another batch already settled (a spreadsheet sent
/// again with rows added, say) takes that result instead of being sent — the API's
/// memory of keys has no documented lifetime, the state file's has.
///
/// Looked up by key for every row of the batch: the first `EXISTS` skips it all
/// when the state file holds no other batch (checked once), the second keeps
/// the usual row — no other batch holds its key — to the table of keys alone.
fn adopt_settled(tx: &Transaction<'_>, seq: i64, now: i64) -> anyhow::Result<u64> {
    let n = tx.execute(
        concat!(
            "UPDATE rows AS r SET
             state = o.state, http_status = o.http_status, refund_id = o.refund_id,
             refund_status = o.refund_status, refunded_amount = ",
            refunded_amount!("o"),
            ",
             last_attempt_at = o.last_attempt_at, retryable = NULL, cause_code = NULL,
             cause_message = 'settled by batch '
                 || (SELECT id FROM batches WHERE seq = o.batch) || ' of this state file',
             origin = ?3, updated_at = ?2
         FROM keys AS ok JOIN rows AS o ON o.batch = ok.batch AND o.row_no = ok.row_no
         WHERE EXISTS (SELECT 1 FROM batches WHERE seq <> ?1)
           AND r.batch = ?1 AND r.key IS NOT NULL
           AND EXISTS (SELECT 1 FROM keys AS p WHERE p.key = r.key AND p.batch <> ?1)
           AND ok.key = r.key AND ok.batch <> ?1 AND o.state IN ('refunded', 'in_process')"
        ),
        params![seq, now, ORIGIN_STATE],
    )?;
    Ok(n as u64)
}

/// A new batch's row whose key another batch's row may have refunded with
/// (being sent, or in doubt) is in doubt with it (`doubt = 2`, as a claim of
/// that row would have left it) until that row is answered or read back: the
/// same request, so what the results file says of this row is "may have
/// refunded", not "not sent", even before this batch sends anything.
fn share_doubt(tx: &Transaction<'_>, seq: i64, now: i64) -> anyhow::Result<()> {
    // Driven from the rows in doubt, few and on their own index, each key
    // looked up among this batch's: not from the batch's rows, a look each at
    // the table of keys. A row being sent is in doubt (a claim marks both, and
    // schema 6 marked the `sending` rows it found).
    tx.execute(
        "UPDATE rows SET doubt = 2, exposed_at = COALESCE(exposed_at, ?2), updated_at = ?2
         WHERE (batch, row_no) IN
                   (SELECT kk.batch, kk.row_no
                    FROM rows AS k INDEXED BY rows_in_doubt
                      JOIN keys AS kk ON kk.key = k.key AND kk.batch = ?1
                    WHERE k.doubt <> 0 AND k.batch <> ?1)
           AND key IS NOT NULL AND doubt = 0 AND state IN ('pending', 'failed')",
        params![seq, now],
    )?;
    Ok(())
}
