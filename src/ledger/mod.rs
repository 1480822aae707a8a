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

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, bail};
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::Usage;
use crate::clock::now_ms;
use crate::domain::{
    Cause, Currency, IdempotencyKey, Outcome, PaymentId, RefundAsk, RefundInfo, Requested, Row,
    RowResult,
};

mod codec;

/// Migrations, applied in order; entry `i` takes the schema to version `i + 1`.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE batches (
    id            TEXT PRIMARY KEY,
    created_at    INTEGER NOT NULL,
    input_path    TEXT NOT NULL,
    input_digest  TEXT NOT NULL,
    namespace     TEXT NOT NULL,
    header        TEXT NOT NULL,
    delimiter     INTEGER NOT NULL,
    settings      TEXT NOT NULL,
    row_count     INTEGER NOT NULL
);
CREATE TABLE rows (
    batch_id        TEXT NOT NULL REFERENCES batches(id),
    row_no          INTEGER NOT NULL,
    line            INTEGER NOT NULL,
    key             TEXT,
    kind            TEXT,
    payment_id      TEXT,
    requested       TEXT,
    currency        TEXT,
    reference       TEXT,
    fields          TEXT NOT NULL,
    state           TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    http_status     INTEGER,
    cause_code      TEXT,
    cause_message   TEXT,
    retryable       INTEGER,
    refund_id       TEXT,
    refund_status   TEXT,
    refunded_amount TEXT,
    last_attempt_at INTEGER,
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (batch_id, row_no)
) WITHOUT ROWID;
CREATE INDEX rows_by_state ON rows(batch_id, state, row_no);
CREATE INDEX rows_by_key ON rows(key);
"#,
    r#"
CREATE TABLE meta (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
INSERT INTO meta (name, value)
    SELECT 'namespace', namespace FROM batches ORDER BY created_at DESC LIMIT 1;
"#,
    r#"
CREATE INDEX rows_by_payment ON rows(payment_id, kind);
"#,
    // Schema 4: compact rows (see `codec`) — batches referred to by a number, keys
    // as bytes, kinds and payment ids as integers, cells without the payment id
    // and amount they repeat, no separate reference, the line only when it is not
    // the row's number plus one, and an index of the rows still to send only (it
    // empties as a batch finishes).
    r#"
ALTER TABLE batches ADD COLUMN seq INTEGER;
UPDATE batches SET seq = rowid;
CREATE UNIQUE INDEX batches_by_seq ON batches(seq);
CREATE TABLE rows_v4 (
    batch           INTEGER NOT NULL REFERENCES batches(seq),
    row_no          INTEGER NOT NULL,
    line            INTEGER,
    key             BLOB,
    kind            INTEGER,
    payment_id      INTEGER,
    requested       TEXT,
    currency        TEXT,
    fields          BLOB NOT NULL,
    state           TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    http_status     INTEGER,
    cause_code      TEXT,
    cause_message   TEXT,
    retryable       INTEGER,
    refund_id,
    refund_status   TEXT,
    refunded_amount TEXT,
    last_attempt_at INTEGER,
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (batch, row_no)
) WITHOUT ROWID;
INSERT INTO rows_v4
SELECT b.seq, r.row_no, NULLIF(r.line, r.row_no + 1),
       CASE WHEN length(r.key) = 53 AND r.key GLOB 'mpr1-*'
                 AND substr(r.key, 6) NOT GLOB '*[^0-9a-f]*'
            THEN unhex(substr(r.key, 6)) ELSE r.key END,
       CASE r.kind WHEN 'payment' THEN 0 WHEN 'advanced_payment' THEN 1 END,
       CAST(r.payment_id AS INTEGER), r.requested, r.currency, r.fields, r.state,
       r.attempts, r.http_status, r.cause_code, r.cause_message, r.retryable,
       CASE WHEN r.refund_id GLOB '[1-9]*' AND r.refund_id NOT GLOB '*[^0-9]*'
                 AND length(r.refund_id) <= 18
            THEN CAST(r.refund_id AS INTEGER) ELSE r.refund_id END,
       r.refund_status, r.refunded_amount, r.last_attempt_at, r.updated_at
FROM rows AS r JOIN batches AS b ON b.id = r.batch_id;
DROP TABLE rows;
ALTER TABLE rows_v4 RENAME TO rows;
CREATE INDEX rows_to_send ON rows(batch, row_no) WHERE state IN ('pending', 'sending');
CREATE INDEX rows_by_key ON rows(key);
CREATE INDEX rows_by_payment ON rows(payment_id, kind);
"#,
    // Schema 5: where a row's refund came from — NULL: made by the row's own
    // request; 1: found in the state file (another batch settled its key); 2:
    // replayed by the API (made before this row was claimed).
    r#"
ALTER TABLE rows ADD COLUMN origin INTEGER;
"#,
];

/// `rows.origin` of a row another batch of the state file had settled.
const ORIGIN_STATE: i64 = 1;
/// `rows.origin` of a row the API answered with a refund it made earlier.
const ORIGIN_REPLAY: i64 = 2;
/// A refund made this long before the row was claimed was not made by this
/// request: beyond any clock difference between Mercado Pago and this machine.
const REPLAY_SLACK_MS: i64 = 120_000;

/// The rows of another batch that keep a row from being sent on the same
/// payment (`o` in the queries): those whose refund may exist at the API — made
/// (refunded, in process) or sent with no answer known: any `sending` row,
/// whatever its attempts (a process killed in flight stores none), or an
/// unknown outcome (a network cause too: see `network::unknown_outcome_codes`)
/// — and those still waiting to be sent: two spreadsheets queued on one payment
/// is for a person to settle.
const STANDS_IN_THE_WAY: &str = concat!(
    "(o.state IN ('refunded', 'in_process', 'sending', 'pending')
     OR (o.state = 'failed' AND o.cause_code IN ",
    crate::network::unknown_outcome_codes!(),
    "))"
);

/// The rows of batch `?1` (`r`) the per-payment guard holds back, each with an
/// `o` standing in its way: a row that was never sent (`pending`, its outcome
/// not unknown) on a payment where another batch's row, under a key this batch
/// does not hold, stands in the way. A row that may have refunded already
/// (`sending`, an unknown outcome) is not held: sending it again with its key is
/// how its outcome is found, and the API replays rather than refunds twice.
/// Rows of one spreadsheet on one payment never count against each other —
/// several partial refunds in one file are allowed — nor do rows of another
/// batch under a key this one holds (a re-export of the same rows).
const HELD_BACK: &str = concat!(
    "r.batch = ?1 AND r.state = 'pending' AND r.key IS NOT NULL
     AND COALESCE(r.cause_code, '') NOT IN ",
    crate::network::unknown_outcome_codes!(),
    "
     AND o.batch <> ?1
     AND NOT EXISTS (SELECT 1 FROM rows AS k WHERE k.key = o.key AND k.batch = ?1)"
);

/// Cause of a row held back by the per-payment guard.
pub(crate) const PAYMENT_HAS_REFUNDS: &str = "payment_has_refunds";

/// `PRAGMA application_id` of every state file ("mprf"): what tells our files from
/// other applications' SQLite databases, so that a wrong `--state` is refused
/// before a byte of it changes.
const APPLICATION_ID: i32 = 0x6d70_7266;

/// The stored state of a row: its outcome, except that a pending row whose request
/// may have left is `sending` — the ledger's own detail, which makes the next run
/// send it again with its key (the results call both `pending`).
const SENDING: &str = "sending";

/// A row's line as stored: NULL when it is the usual one (the header, then a
/// row a line), which most rows of most files are.
fn stored_line(row: &Row) -> Option<i64> {
    (row.line != row.row_no + 1).then_some(row.line as i64)
}

fn stored_state(r: &RowResult) -> &'static str {
    match r.outcome {
        Outcome::Pending if r.attempts > 0 => SENDING,
        o => o.as_str(),
    }
}

fn outcome_of(state: &str) -> anyhow::Result<Outcome> {
    if state == SENDING {
        return Ok(Outcome::Pending);
    }
    state
        .parse()
        .map_err(|_| anyhow::anyhow!("state file holds an unknown row state {state:?}"))
}

/// A batch's settings as its first run recorded them, for the commands after it
/// (stored as JSON; fields added later are optional).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub(crate) struct BatchSettings {
    /// Where the results CSV was written.
    pub out: Option<std::path::PathBuf>,
    pub api_base: Option<String>,
    /// `--rate`: the ceiling, or the rate itself when `fixed_rate`.
    pub rate: Option<u32>,
    pub fixed_rate: bool,
    /// Requests in flight: the number, or the most `--concurrency auto` may reach.
    pub concurrency: Option<usize>,
    pub concurrency_auto: bool,
    pub allow_duplicates: bool,
    pub skip_invalid: bool,
    pub key_version: Option<String>,
    /// The input started with a BOM or was Windows-1252 (Excel's): the results start
    /// with a BOM, so that Excel reads them as UTF-8.
    pub results_bom: bool,
    /// The input wrote amounts with a decimal comma: so do the results.
    pub decimal_comma: bool,
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
/// payment of a row being added, under another key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PriorRefund {
    pub row_no: u64,
    pub line: u64,
    pub payment_id: String,
    pub batch_id: String,
    /// What that row asked (`full` or an amount).
    pub requested: String,
    pub refunded_amount: Option<String>,
    /// Its stored state (`refunded`, `in_process`, `sending`...).
    pub state: String,
    pub last_attempt_at_ms: Option<i64>,
    pub attempts: u32,
}

impl PriorRefund {
    /// "batch B: 25 refunded 2026-11-24T10:00:00Z" — what a person needs to decide.
    pub(crate) fn describe(&self) -> String {
        let amount = self.refunded_amount.as_deref().unwrap_or(&self.requested);
        let when = self
            .last_attempt_at_ms
            .map(|t| format!(" {}", crate::clock::rfc3339(t)))
            .unwrap_or_default();
        let short: String = self.batch_id.chars().take(12).collect();
        let state = match self.state.as_str() {
            SENDING => "sent, outcome unknown",
            "pending" if self.attempts == 0 => "waiting to be sent",
            "pending" => "sent before, outcome unknown",
            "failed" => "sent, outcome unknown",
            other => other,
        };
        format!("{amount} {state}{when} (batch {short})")
    }
}

/// One (row, line, reason) per row, naming every earlier refund of its payment.
pub(crate) fn by_row(prior: Vec<PriorRefund>) -> Vec<(u64, u64, String)> {
    let mut out: Vec<(u64, u64, String)> = Vec::new();
    for p in prior {
        match out.last_mut() {
            Some((row_no, _, why)) if *row_no == p.row_no => {
                why.push_str("; ");
                why.push_str(&p.describe());
            }
            _ => out.push((
                p.row_no,
                p.line,
                format!(
                    "payment {} already has refunds in the state file: {}",
                    p.payment_id,
                    p.describe()
                ),
            )),
        }
    }
    out
}

/// Which rows of a batch [`Ledger::tally`] adds up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tally {
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
    /// When the row was claimed, for a row `sending`: a request may have left
    /// since then, and its answer was never read.
    pub sending_since_ms: Option<i64>,
    /// Its refund was there before this row asked: found in the state file
    /// (another batch's) or replayed by the API — not a new refund.
    pub already_done: bool,
}

pub(crate) struct Ledger {
    conn: Connection,
}

/// A batch being created: one open transaction (see [`Ledger::new_batch`]).
pub(crate) struct BatchWriter<'a> {
    tx: Transaction<'a>,
    /// The batch's number in the state file (`batches.seq`).
    seq: i64,
    now: i64,
}

impl BatchWriter<'_> {
    pub(crate) fn insert(&mut self, row: &Row) -> anyhow::Result<()> {
        let mut insert = self.tx.prepare_cached(
            "INSERT INTO rows (batch, row_no, line, key, kind, payment_id, requested, currency,
                               fields, state, cause_code, cause_message, retryable, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        )?;
        match &row.content {
            Ok(v) => {
                let payment = v.ask.payment_id.to_string();
                let requested = v.ask.requested.canonical();
                insert.execute(params![
                    self.seq,
                    row.row_no as i64,
                    stored_line(row),
                    codec::key_value(&v.ask.key),
                    codec::kind_value(v.ask.kind),
                    v.ask.payment_id.get() as i64,
                    requested,
                    v.currency.map(|c| c.to_string()),
                    codec::encode_fields(&row.fields, Some(&payment), Some(&requested)),
                    Outcome::Pending.as_str(),
                    None::<String>,
                    None::<String>,
                    None::<bool>,
                    self.now,
                ])?
            }
            Err(reason) => insert.execute(params![
                self.seq,
                row.row_no as i64,
                stored_line(row),
                None::<Vec<u8>>,
                None::<i64>,
                None::<i64>,
                None::<String>,
                None::<String>,
                codec::encode_fields(&row.fields, None, None),
                Outcome::Invalid.as_str(),
                "invalid_input",
                reason,
                false,
                self.now,
            ])?,
        };
        Ok(())
    }

    /// Refunds other batches made (or may have made) on the payments of this
    /// batch's rows still to send, under keys this spreadsheet does not hold — a
    /// corrected amount, a refund from another spreadsheet — one line each, by row.
    /// Rows of one spreadsheet on one payment never count against each other:
    /// several partial refunds in one file are allowed.
    pub(crate) fn prior_refunds(&self) -> anyhow::Result<Vec<PriorRefund>> {
        prior_refunds(&self.tx, "rows AS r", HELD_BACK, [self.seq])
    }

    /// Marks a row of this batch invalid before it is ever sent.
    pub(crate) fn refuse(&mut self, row_no: u64, code: &str, message: &str) -> anyhow::Result<()> {
        self.tx.execute(
            "UPDATE rows SET state = 'invalid', cause_code = ?3, cause_message = ?4, retryable = 0
             WHERE batch = ?1 AND row_no = ?2",
            params![self.seq, row_no as i64, code, message],
        )?;
        Ok(())
    }

    /// Puts the batch in the state file. Returns how many rows were already
    /// settled by another batch of this state file (see [`adopt_settled`]).
    pub(crate) fn commit(self) -> anyhow::Result<u64> {
        let adopted = adopt_settled(&self.tx, self.seq, self.now)?;
        // The namespace is recorded with the first batch made under it, never by a
        // run that was refused.
        self.tx.execute(
            "INSERT INTO meta (name, value) SELECT 'namespace', namespace FROM batches WHERE seq = ?1
             ON CONFLICT(name) DO UPDATE SET value = excluded.value",
            [self.seq],
        )?;
        bump_generation(&self.tx)?;
        self.tx.commit()?;
        Ok(adopted)
    }
}

impl Ledger {
    /// Opens (or creates) the state file. Anything that keeps it from being used —
    /// a folder, a file of another application, a place that cannot be written —
    /// is the user's to fix (exit 2), and is found before a byte is written.
    pub(crate) fn open(path: &Path) -> anyhow::Result<Ledger> {
        let unusable = |why: String| {
            Usage(format!(
                "the state file {} cannot be used: {why}; fix it or give another --state",
                path.display()
            ))
        };
        if path.is_dir() {
            return Err(unusable("it is a folder".into()).into());
        }
        let conn = Connection::open(path).map_err(|e| unusable(e.to_string()))?;
        // Another process creating a large batch holds the write lock for as long
        // as it inserts: a claim waits for it rather than stopping the run.
        conn.busy_timeout(Duration::from_secs(120))
            .map_err(|e| unusable(e.to_string()))?;
        check_ours(&conn).map_err(unusable)?;
        let setup = || -> anyhow::Result<Ledger> {
            let mode: String =
                conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
            if !mode.eq_ignore_ascii_case("wal") {
                bail!("it cannot use WAL (journal mode {mode})");
            }
            conn.pragma_update(None, "synchronous", "FULL")?;
            conn.pragma_update(None, "foreign_keys", "ON")?;
            Ok(Ledger { conn })
        };
        let mut ledger = setup().map_err(|e| unusable(format!("{e:#}")))?;
        ledger.migrate().map_err(|e| unusable(format!("{e:#}")))?;
        Ok(ledger)
    }

    /// The key namespace the state file's keys were made with, once one was recorded.
    pub(crate) fn namespace(&self) -> anyhow::Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT value FROM meta WHERE name = 'namespace'", [], |r| {
                r.get(0)
            })
            .optional()?)
    }

    pub(crate) fn set_namespace(&mut self, namespace: &str) -> anyhow::Result<()> {
        self.conn.execute(
            "INSERT INTO meta (name, value) VALUES ('namespace', ?1)
             ON CONFLICT(name) DO UPDATE SET value = excluded.value",
            [namespace],
        )?;
        Ok(())
    }

    fn migrate(&mut self) -> anyhow::Result<()> {
        let version: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?;
        let app: i32 = self
            .conn
            .pragma_query_value(None, "application_id", |r| r.get(0))?;
        let version = usize::try_from(version).unwrap_or(usize::MAX);
        if version > MIGRATIONS.len() {
            bail!(
                "it was written by a newer mprefund (schema {version}, this one knows {})",
                MIGRATIONS.len()
            );
        }
        // Opening an up-to-date file writes nothing.
        if version == MIGRATIONS.len() && app == APPLICATION_ID {
            return Ok(());
        }
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        // Read again under the write lock: another process may have migrated.
        let version: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
        let version = usize::try_from(version).unwrap_or(usize::MAX);
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", i as i64 + 1)?;
        }
        // Files made before the id existed are ours too (`check_ours` said so).
        tx.pragma_update(None, "application_id", APPLICATION_ID)?;
        tx.commit()?;
        Ok(())
    }

    /// The number the rows of batch `id` are stored under.
    fn seq(&self, id: &str) -> anyhow::Result<i64> {
        self.conn
            .query_row("SELECT seq FROM batches WHERE id = ?1", [id], |r| r.get(0))
            .optional()?
            .with_context(|| format!("state file: no batch {id}"))
    }

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

    /// Starts a new batch: its rows are inserted through the returned writer, and
    /// nothing of it is in the state file until [`BatchWriter::commit`] — either
    /// the whole input is there or none of it.
    pub(crate) fn new_batch(&mut self, batch: &Batch) -> anyhow::Result<BatchWriter<'_>> {
        let now = now_ms();
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO batches (id, created_at, input_path, input_digest, namespace, header, delimiter, settings, row_count, seq)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, (SELECT COALESCE(MAX(seq), 0) + 1 FROM batches))",
            params![
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
        )?;
        let seq = tx.query_row("SELECT seq FROM batches WHERE id = ?1", [&batch.id], |r| {
            r.get(0)
        })?;
        Ok(BatchWriter { tx, seq, now })
    }

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
        record(&tx, seq, batch_id, results, now)?;
        let claimed = if limit > 0 {
            claim(&tx, seq, batch_id, after_row_no, limit, now)?
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
        prior_refunds(&self.conn, "rows AS r", HELD_BACK, [self.seq(batch_id)?])
    }

    /// Marks rows of the batch never sent `invalid` with `code` (a resume with
    /// `--skip-invalid` over rows the guard holds back): (row, message) each.
    pub(crate) fn refuse_rows(
        &mut self,
        batch_id: &str,
        code: &str,
        rows: &[(u64, String)],
    ) -> anyhow::Result<()> {
        let seq = self.seq(batch_id)?;
        let tx = self.conn.transaction()?;
        {
            let mut stmt = tx.prepare(
                "UPDATE rows SET state = 'invalid', cause_code = ?3, cause_message = ?4,
                        retryable = 0, updated_at = ?5
                 WHERE batch = ?1 AND row_no = ?2 AND state = 'pending'",
            )?;
            let now = now_ms();
            for (row_no, why) in rows {
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

    /// Counts the transactions that changed rows: equal generations, equal rows.
    pub(crate) fn generation(&self) -> anyhow::Result<i64> {
        Ok(self
            .conn
            .query_row(
                "SELECT CAST(value AS INTEGER) FROM meta WHERE name = 'generation'",
                [],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(0))
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

    /// How many rows have each outcome (`sending` ones count as pending).
    pub(crate) fn outcome_counts(
        &self,
        batch_id: &str,
    ) -> anyhow::Result<std::collections::BTreeMap<Outcome, u64>> {
        let mut stmt = self
            .conn
            .prepare("SELECT state, COUNT(*) FROM rows WHERE batch = ?1 GROUP BY state")?;
        let rows = stmt.query_map([self.seq(batch_id)?], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
        })?;
        let mut counts = std::collections::BTreeMap::new();
        for r in rows {
            let (s, n) = r?;
            *counts.entry(outcome_of(&s)?).or_default() += n as u64;
        }
        Ok(counts)
    }

    /// The money of the batch's valid rows per currency, of the rows `which`
    /// says: what a confirmation shows.
    pub(crate) fn tally(
        &self,
        batch_id: &str,
        which: Tally,
    ) -> anyhow::Result<crate::totals::Tally> {
        let mut stmt = self.conn.prepare(
            "SELECT currency, requested FROM rows
             WHERE batch = ?1 AND requested IS NOT NULL
               AND CASE ?2 WHEN 1 THEN state IN ('pending', 'sending')
                           WHEN 2 THEN state IN ('refunded', 'in_process')
                           ELSE 1 END",
        )?;
        let mut rows = stmt.query(params![self.seq(batch_id)?, which as i64])?;
        let mut tally = crate::totals::Tally::default();
        while let Some(r) = rows.next()? {
            let currency: Option<String> = r.get(0)?;
            let requested: String = r.get(1)?;
            let currency = currency
                .map(|c| c.parse())
                .transpose()
                .map_err(|_| anyhow::anyhow!("state file: a row has a bad currency"))?;
            let requested = Requested::from_canonical(&requested)
                .ok_or_else(|| anyhow::anyhow!("state file: a row has a bad amount"))?;
            tally.add(currency, requested);
        }
        Ok(tally)
    }

    /// Rows still to send (pending, or sent with no answer): from the index of
    /// those alone, so a finished batch answers at once.
    pub(crate) fn to_send(&self, batch_id: &str) -> anyhow::Result<u64> {
        let n: i64 = self.conn.query_row(
            "SELECT COUNT(*) FROM rows WHERE batch = ?1 AND state IN ('pending', 'sending')",
            [self.seq(batch_id)?],
            |r| r.get(0),
        )?;
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

    /// When a row of the batch last changed (ms since the epoch): when it finished,
    /// for a batch with nothing left to send.
    pub(crate) fn last_change(&self, batch_id: &str) -> anyhow::Result<Option<i64>> {
        Ok(self.conn.query_row(
            "SELECT MAX(updated_at) FROM rows WHERE batch = ?1",
            [self.seq(batch_id)?],
            |r| r.get(0),
        )?)
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

    /// The id of every refund any row of the state file made: what is not among
    /// them, at Mercado Pago, was made by someone else.
    pub(crate) fn known_refund_ids(&self) -> anyhow::Result<std::collections::HashSet<String>> {
        let mut stmt = self.conn.prepare(
            "SELECT DISTINCT CAST(refund_id AS TEXT) FROM rows WHERE refund_id IS NOT NULL",
        )?;
        let ids = stmt.query_map([], |r| r.get(0))?;
        Ok(ids.collect::<Result<_, _>>()?)
    }

    /// Every refund the batch made (refunded or in process, with its id), as
    /// `reconcile --report` matches them: (row, payment, refund id, amount,
    /// currency, when it was made), in row order.
    pub(crate) fn for_each_refund(
        &self,
        batch_id: &str,
        mut f: impl FnMut(MadeRefund) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let mut stmt = self.conn.prepare(
            "SELECT row_no, payment_id, CAST(refund_id AS TEXT), refunded_amount, currency,
                    last_attempt_at
             FROM rows WHERE batch = ?1 AND state IN ('refunded', 'in_process')
               AND refund_id IS NOT NULL AND payment_id IS NOT NULL",
        )?;
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

    /// Latest write to any row of the batch.
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
        mut f: impl FnMut(StoredRow) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let mut stmt = self.conn.prepare(
            "SELECT row_no, fields, key, requested, currency, state, attempts, http_status, cause_code,
                    cause_message, retryable, CAST(refund_id AS TEXT), refund_status, refunded_amount,
                    last_attempt_at, kind, payment_id, line, updated_at, origin
             FROM rows WHERE batch = ?1 ORDER BY row_no",
        )?;
        let mut rows = stmt.query([self.seq(batch_id)?])?;
        while let Some(r) = rows.next()? {
            let row_no = r.get::<_, i64>(0)? as u64;
            let bad = |what: &str| anyhow::anyhow!("state file: row {row_no} has a bad {what}");
            let key = codec::key_of(r.get_ref(2)?).map_err(|()| bad("key"))?;
            let requested: Option<String> = r.get(3)?;
            let currency: Option<String> = r.get(4)?;
            let state: String = r.get(5)?;
            let cause_code: Option<String> = r.get(8)?;
            let cause_message: Option<String> = r.get(9)?;
            let refund_id: Option<String> = r.get(11)?;
            let refund_status: Option<String> = r.get(12)?;
            let amount: Option<String> = r.get(13)?;
            let cause = (cause_code.is_some() || cause_message.is_some()).then(|| Cause {
                code: cause_code.unwrap_or_default(),
                message: cause_message.unwrap_or_default(),
            });
            let refund = refund_id.map(|id| RefundInfo {
                id,
                status: refund_status.unwrap_or_default(),
                amount: amount.as_deref().and_then(|a| a.parse().ok()),
                created_ms: None,
            });
            let kind: Option<i64> = r.get(15)?;
            let payment: Option<i64> = r.get(16)?;
            let payment_text = payment.map(|p| p.to_string());
            let fields =
                codec::fields_of(r.get_ref(1)?, payment_text.as_deref(), requested.as_deref())
                    .ok_or_else(|| anyhow::anyhow!("state file: row {row_no} has bad cells"))?;
            let ask = match (key, kind, payment, requested) {
                (Some(key), Some(kind), Some(payment), Some(requested)) => Some(RefundAsk {
                    key,
                    kind: codec::kind_of(kind).ok_or_else(|| bad("kind"))?,
                    payment_id: u64::try_from(payment)
                        .ok()
                        .and_then(PaymentId::new)
                        .ok_or_else(|| bad("payment id"))?,
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
                    outcome: outcome_of(&state)?,
                    attempts: r.get(6)?,
                    http_status: r.get(7)?,
                    cause,
                    retryable: r.get(10)?,
                    refund,
                    last_attempt_at_ms: r.get(14)?,
                },
                sending_since_ms: if state == SENDING { r.get(18)? } else { None },
                already_done: r.get::<_, Option<i64>>(19)?.is_some(),
            })?;
        }
        Ok(())
    }
}

/// Says why an opened SQLite file is not a state file of ours, reading only.
/// Ours: our application id; or no id, but a new empty file or our tables at a
/// schema version we wrote (files from before the id existed).
fn check_ours(conn: &Connection) -> Result<(), String> {
    let read =
        |e: rusqlite::Error| crate::state_access::why_unreadable(conn.path().map(Path::new), &e);
    let app: i32 = conn
        .pragma_query_value(None, "application_id", |r| r.get(0))
        .map_err(read)?;
    if app == APPLICATION_ID {
        return Ok(());
    }
    if app != 0 {
        return Err(format!(
            "it is another application's database (application_id {app:#x})"
        ));
    }
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(read)?;
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .map_err(read)?;
    // Tables named like ours are not enough: their columns must be the ones we
    // wrote, or the file is someone else's and stays as it is (not even switched
    // to WAL).
    let columns = |table: &str| -> Result<Vec<String>, String> {
        conn.prepare("SELECT name FROM pragma_table_info(?1)")
            .and_then(|mut s| s.query_map([table], |r| r.get(0))?.collect())
            .map_err(read)
    };
    let has_all = |cols: &[String], want: &[&str]| want.iter().all(|w| cols.iter().any(|c| c == w));
    let ours = ["batches", "rows"]
        .iter()
        .all(|t| tables.iter().any(|n| n == t))
        && has_all(
            &columns("batches")?,
            &[
                "id",
                "created_at",
                "input_path",
                "input_digest",
                "namespace",
                "header",
                "delimiter",
                "settings",
                "row_count",
            ],
        )
        && {
            let rows = columns("rows")?;
            has_all(
                &rows,
                &[
                    "row_no",
                    "key",
                    "kind",
                    "payment_id",
                    "requested",
                    "fields",
                    "state",
                    "attempts",
                ],
            ) && (has_all(&rows, &["batch_id"]) || has_all(&rows, &["batch"]))
        };
    match (version, tables.is_empty()) {
        (0, true) => Ok(()),
        (v, false) if v >= 1 && ours => Ok(()),
        _ => Err(format!(
            "it is a SQLite database of another application ({} table(s), user_version {version}); mprefund leaves it untouched",
            tables.len()
        )),
    }
}

/// The prior refunds of the rows `from` selects (`r`) found in `rows` (`o`):
/// other rows on the same payment that stand in the way (`filter` says which).
fn prior_refunds(
    conn: &Connection,
    from: &str,
    filter: &str,
    params: impl rusqlite::Params,
) -> anyhow::Result<Vec<PriorRefund>> {
    let sql = format!(
        "SELECT r.row_no, COALESCE(r.line, r.row_no + 1), CAST(r.payment_id AS TEXT),
                (SELECT id FROM batches WHERE seq = o.batch), o.requested, o.refunded_amount,
                o.state, o.last_attempt_at, o.attempts
         FROM {from} JOIN rows AS o ON o.payment_id = r.payment_id AND o.kind = r.kind
         WHERE {filter} AND o.key <> r.key AND {STANDS_IN_THE_WAY}
         ORDER BY r.row_no, o.last_attempt_at"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params, |r| {
        Ok(PriorRefund {
            row_no: r.get::<_, i64>(0)? as u64,
            line: r.get::<_, i64>(1)? as u64,
            payment_id: r.get(2)?,
            batch_id: r.get(3)?,
            requested: r.get(4)?,
            refunded_amount: r.get(5)?,
            state: r.get(6)?,
            last_attempt_at_ms: r.get(7)?,
            attempts: r.get(8)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A state file read without a byte written: for `plan`, which looks at what
/// earlier runs refunded and must change nothing.
pub(crate) struct ReadOnly {
    conn: Connection,
}

impl ReadOnly {
    /// The refund a row under `key` made, in any batch of the state file: what
    /// `plan --online` calls `already_done`.
    pub(crate) fn settled_refund(&self, key: &IdempotencyKey) -> anyhow::Result<Option<String>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT CAST(refund_id AS TEXT) FROM rows
                 WHERE key = ?1 AND state IN ('refunded', 'in_process') AND refund_id IS NOT NULL
                 LIMIT 1",
            )?
            .query_row([codec::key_value(key)], |r| r.get(0))
            .optional()?)
    }

    /// `None` when there is no state file there yet (nothing was refunded).
    pub(crate) fn open(path: &Path) -> anyhow::Result<Option<ReadOnly>> {
        if !path.exists() {
            return Ok(None);
        }
        let unusable = |why: String| {
            Usage(format!(
                "the state file {} cannot be read: {why}; give another --state",
                path.display()
            ))
        };
        let conn = Connection::open_with_flags(
            path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| unusable(e.to_string()))?;
        check_ours(&conn).map_err(unusable)?;
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(|e| unusable(e.to_string()))?;
        let current = MIGRATIONS.len() as i64;
        if version > 0 && version < current {
            // Reading it would need the upgrade, which writes: not `plan`'s to do.
            return Err(unusable(format!(
                "it was written by an older mprefund (schema {version}); `mprefund status --state {}` upgrades it",
                path.display()
            ))
            .into());
        }
        Ok((version > 0).then_some(ReadOnly { conn }))
    }

    /// The prior refunds of `asks` (row number, line, ask), as
    /// [`BatchWriter::prior_refunds`] finds them for a batch being created. The
    /// asks go to a temporary table, which lives outside the state file.
    pub(crate) fn prior_refunds(
        &mut self,
        asks: impl IntoIterator<Item = (u64, u64, RefundAsk)>,
    ) -> anyhow::Result<Vec<PriorRefund>> {
        let tx = self.conn.transaction()?;
        tx.execute_batch(
            "CREATE TEMP TABLE IF NOT EXISTS asks (
                 row_no INTEGER, line INTEGER, key BLOB, kind INTEGER, payment_id INTEGER);
             DELETE FROM temp.asks;",
        )?;
        {
            let mut insert = tx.prepare(
                "INSERT INTO temp.asks (row_no, line, key, kind, payment_id) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for (row_no, line, ask) in asks {
                insert.execute(params![
                    row_no as i64,
                    line as i64,
                    codec::key_value(&ask.key),
                    codec::kind_value(ask.kind),
                    ask.payment_id.get() as i64
                ])?;
            }
        }
        let found = prior_refunds(
            &tx,
            "temp.asks AS r",
            "o.key NOT IN (SELECT key FROM temp.asks)",
            [],
        )?;
        tx.rollback()?;
        Ok(found)
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

/// Every transaction that changes rows counts one generation (see
/// [`Ledger::generation`]).
fn bump_generation(tx: &Transaction<'_>) -> anyhow::Result<()> {
    tx.execute(
        "INSERT INTO meta (name, value) VALUES ('generation', '1')
         ON CONFLICT (name) DO UPDATE SET value = CAST(value AS INTEGER) + 1",
        [],
    )?;
    Ok(())
}

/// The state file is the first guard against a double refund, the key the second:
/// a new batch's row whose key another batch already settled (a spreadsheet sent
/// again with rows added, say) takes that result instead of being sent — the API's
/// memory of keys has no documented lifetime, the state file's has.
fn adopt_settled(tx: &Transaction<'_>, seq: i64, now: i64) -> anyhow::Result<u64> {
    let n = tx.execute(
        "UPDATE rows AS r SET
             state = o.state, http_status = o.http_status, refund_id = o.refund_id,
             refund_status = o.refund_status, refunded_amount = o.refunded_amount,
             last_attempt_at = o.last_attempt_at, retryable = NULL, cause_code = NULL,
             cause_message = 'settled by batch '
                 || (SELECT id FROM batches WHERE seq = o.batch) || ' of this state file',
             origin = ?3, updated_at = ?2
         FROM rows AS o
         WHERE r.batch = ?1 AND r.key IS NOT NULL AND o.key = r.key
           AND o.batch <> ?1 AND o.state IN ('refunded', 'in_process')",
        params![seq, now, ORIGIN_STATE],
    )?;
    Ok(n as u64)
}

fn record(
    tx: &Transaction<'_>,
    seq: i64,
    batch_id: &str,
    results: &[(u64, RowResult)],
    now: i64,
) -> anyhow::Result<()> {
    let mut stmt = tx.prepare_cached(
        "UPDATE rows SET state = ?3, attempts = attempts + ?4,
                http_status = COALESCE(?5, http_status),
                cause_code = ?6, cause_message = ?7, retryable = ?8,
                refund_id = COALESCE(?9, refund_id), refund_status = COALESCE(?10, refund_status),
                refunded_amount = COALESCE(?11, refunded_amount),
                last_attempt_at = COALESCE(?12, last_attempt_at),
                origin = CASE WHEN ?14 < updated_at - ?15 THEN ?16 ELSE origin END,
                updated_at = ?13
         WHERE batch = ?1 AND row_no = ?2",
    )?;
    for (row_no, r) in results {
        let n = stmt.execute(params![
            seq,
            *row_no as i64,
            stored_state(r),
            r.attempts,
            r.http_status,
            r.cause.as_ref().map(|c| c.code.as_str()),
            r.cause.as_ref().map(|c| c.message.as_str()),
            r.retryable,
            r.refund.as_ref().map(|f| codec::refund_id_value(&f.id)),
            r.refund.as_ref().map(|f| f.status.as_str()),
            // A rejected or cancelled refund moved no money.
            r.refunded().map(|a| a.to_string()),
            r.last_attempt_at_ms,
            now,
            // `updated_at` is still the claim's time: nothing else writes a row
            // between its claim and its result.
            r.refund.as_ref().and_then(|f| f.created_ms),
            REPLAY_SLACK_MS,
            ORIGIN_REPLAY,
        ])?;
        if n != 1 {
            bail!("state file: row {row_no} of batch {batch_id} is missing");
        }
    }
    Ok(())
}

/// Marks up to `limit` rows after `after_row_no` as `sending` and returns them.
/// Under the per-payment guard (unless the batch allows more refunds), a row
/// another batch stands in the way of is not claimed but `failed`
/// ([`PAYMENT_HAS_REFUNDS`], for a person): checked here, in the same write
/// transaction as the claim, so that two processes on one state file, or a
/// batch resumed after another was sent, never both send on one payment.
fn claim(
    tx: &Transaction<'_>,
    seq: i64,
    batch_id: &str,
    after_row_no: u64,
    limit: usize,
    now: i64,
) -> anyhow::Result<Vec<Claimed>> {
    let settings: String =
        tx.query_row("SELECT settings FROM batches WHERE seq = ?1", [seq], |r| {
            r.get(0)
        })?;
    let guarded = !serde_json::from_str::<BatchSettings>(&settings)
        .context("state file: batch settings")?
        .allow_more_refunds;
    let mut candidates = tx.prepare_cached(&format!(
        "SELECT r.row_no, r.key, r.kind, r.payment_id, r.requested,
                ?4 AND EXISTS (SELECT 1 FROM rows AS o
                               WHERE o.payment_id = r.payment_id AND o.kind = r.kind
                                 AND o.key <> r.key AND {HELD_BACK} AND {STANDS_IN_THE_WAY})
         FROM rows AS r
         WHERE r.batch = ?1 AND r.state IN ('pending', 'sending') AND r.row_no > ?2
         ORDER BY r.row_no LIMIT ?3"
    ))?;
    let mut mark = tx.prepare_cached(
        "UPDATE rows SET state = 'sending', updated_at = ?3
         WHERE batch = ?1 AND row_no > ?2 AND row_no <= ?4 AND state IN ('pending', 'sending')",
    )?;
    let mut out = Vec::with_capacity(limit);
    let mut after = after_row_no as i64;
    while out.len() < limit {
        let want = limit - out.len();
        let mut rows = candidates.query(params![seq, after, want as i64, guarded])?;
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
            let payment: i64 = r.get(3)?;
            let requested: String = r.get(4)?;
            out.push(Claimed {
                row_no: row_no as u64,
                ask: RefundAsk {
                    key: codec::key_of(r.get_ref(1)?)
                        .ok()
                        .flatten()
                        .ok_or_else(bad)?,
                    kind: codec::kind_of(r.get(2)?).ok_or_else(bad)?,
                    payment_id: u64::try_from(payment)
                        .ok()
                        .and_then(PaymentId::new)
                        .ok_or_else(bad)?,
                    requested: Requested::from_canonical(&requested).ok_or_else(bad)?,
                },
            });
        }
        drop(rows);
        if !held.is_empty() {
            bump_generation(tx)?;
        }
        for row_no in held {
            let why = by_row(prior_refunds(
                tx,
                "rows AS r",
                &format!("{HELD_BACK} AND r.row_no = ?2"),
                params![seq, row_no],
            )?);
            let why = why.first().map_or_else(
                || "another batch of this state file holds a refund on its payment".to_owned(),
                |(_, line, why)| format!("line {line}: {why}"),
            );
            hold_back(tx, seq, row_no, &why, now)?;
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
    Ok(out)
}

/// A row the per-payment guard keeps from being sent: `failed`, for a person
/// (`retry --all-failed` puts it back, and the guard looks again).
fn hold_back(
    tx: &Transaction<'_>,
    seq: i64,
    row_no: i64,
    why: &str,
    now: i64,
) -> anyhow::Result<()> {
    tx.prepare_cached(
        "UPDATE rows SET state = 'failed', cause_code = ?3, cause_message = ?4, retryable = 0,
                updated_at = ?5
         WHERE batch = ?1 AND row_no = ?2",
    )?
    .execute(params![seq, row_no, PAYMENT_HAS_REFUNDS, why, now])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Amount, IdempotencyKey, Kind, PaymentId, Valid};

    fn content(n: u64) -> Valid {
        Valid {
            ask: RefundAsk {
                key: IdempotencyKey::new(format!("k{n}")).unwrap(),
                kind: Kind::Payment,
                payment_id: PaymentId::new(1000 + n).unwrap(),
                requested: Requested::Partial(
                    Amount::new(rust_decimal::Decimal::new(1050, 2)).unwrap(),
                ),
            },
            currency: None,
            reference: Some(format!("cb-{n}")),
        }
    }

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

    fn batch(id: &str, rows: u64) -> Batch {
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

    fn create(
        l: &mut Ledger,
        b: &Batch,
        rows: impl IntoIterator<Item = anyhow::Result<Row>>,
    ) -> u64 {
        let mut w = l.new_batch(b).unwrap();
        for row in rows {
            w.insert(&row.unwrap()).unwrap();
        }
        w.commit().unwrap()
    }

    fn ledger_with(rows: u64) -> (tempfile::TempDir, Ledger) {
        let dir = tempfile::tempdir().unwrap();
        let mut l = Ledger::open(&dir.path().join("state.db")).unwrap();
        let new_rows = (1..=rows).map(|n| {
            Ok(Row {
                row_no: n,
                line: n + 1,
                fields: vec![format!("{}", 1000 + n), "10,50".into()],
                content: if n == 3 {
                    Err("bad amount".into())
                } else {
                    Ok(content(n))
                },
            })
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
        let mut rows = Vec::new();
        l.for_each_row("old1", |r| {
            rows.push(r);
            Ok(())
        })
        .unwrap();
        assert_eq!(rows.len(), 3);
        let ask = rows[0].ask.as_ref().unwrap();
        assert_eq!(ask.key.as_str(), key);
        assert_eq!(ask.payment_id.get(), 1001);
        assert_eq!(rows[0].fields, ["1001", "10,50", "a"]);
        assert_eq!(rows[0].result.refund.as_ref().unwrap().id, "777");
        assert_eq!(rows[0].result.outcome, Outcome::Refunded);
        assert_eq!(rows[1].ask.as_ref().unwrap().kind, Kind::AdvancedPayment);
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
            }
        );
        let counts = raw_states(&l, "b1");
        assert_eq!(counts["sending"], 3);
        assert_eq!(counts["invalid"], 1);
        let outcomes = l.outcome_counts("b1").unwrap();
        assert_eq!(outcomes[&Outcome::Pending], 4);
        // The cursor moves on; a new run starting from 0 picks the sending rows again.
        let c = l.record_and_claim("b1", &[], 4, 10).unwrap();
        assert_eq!(c.iter().map(|c| c.row_no).collect::<Vec<_>>(), vec![5]);
        let c = l.record_and_claim("b1", &[], 0, 10).unwrap();
        assert_eq!(c.len(), 4);
    }

    #[test]
    fn a_new_batch_adopts_rows_another_batch_settled() {
        let (_dir, mut l) = ledger_with(2);
        l.record_and_claim("b1", &[], 0, 10).unwrap();
        let done = RowResult {
            outcome: Outcome::Refunded,
            attempts: 1,
            http_status: Some(201),
            cause: None,
            retryable: None,
            refund: Some(RefundInfo {
                id: "9".into(),
                status: "approved".into(),
                amount: None,
                created_ms: None,
            }),
            last_attempt_at_ms: Some(5),
        };
        l.record_and_claim("b1", &[(1, done)], 0, 0).unwrap();
        // b2 holds row 1's key (settled in b1), row 2's key (only sending in b1) and a new one.
        let rows = [1, 2, 7].map(|n| {
            Ok(Row {
                row_no: n,
                line: n + 1,
                fields: vec![],
                content: Ok(content(n)),
            })
        });
        assert_eq!(create(&mut l, &batch("b2", 3), rows), 1);
        let claimed = l.record_and_claim("b2", &[], 0, 10).unwrap();
        assert_eq!(
            claimed.iter().map(|c| c.row_no).collect::<Vec<_>>(),
            vec![2, 7]
        );
        let mut first = None;
        l.for_each_row("b2", |r| {
            first.get_or_insert(r);
            Ok(())
        })
        .unwrap();
        let first = first.unwrap();
        assert_eq!(first.result.outcome, Outcome::Refunded);
        assert_eq!(first.result.refund.unwrap().id, "9");
        assert!(first.result.cause.unwrap().message.contains("b1"));
    }

    #[test]
    fn results_are_recorded_and_failed_rows_requeued() {
        let (_dir, mut l) = ledger_with(4);
        l.record_and_claim("b1", &[], 0, 10).unwrap();
        let done = RowResult {
            outcome: Outcome::Refunded,
            attempts: 2,
            http_status: Some(201),
            cause: None,
            retryable: None,
            refund: Some(RefundInfo {
                id: "77".into(),
                status: "approved".into(),
                amount: Some(rust_decimal::Decimal::new(1050, 2)),
                created_ms: None,
            }),
            last_attempt_at_ms: Some(5),
        };
        let failed = |retryable| RowResult {
            outcome: Outcome::Failed,
            attempts: 1,
            http_status: Some(500),
            cause: Some(Cause {
                code: "http_500".into(),
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
        let mut seen = Vec::new();
        l.for_each_row("b1", |r| {
            seen.push(r);
            Ok(())
        })
        .unwrap();
        assert_eq!(seen.len(), 4);
        assert_eq!(seen[0].result.outcome, Outcome::Refunded);
        assert_eq!(seen[0].result.attempts, 2);
        let refund = seen[0].result.refund.clone().unwrap();
        assert_eq!(refund.id, "77");
        assert_eq!(refund.amount, Some(rust_decimal::Decimal::new(1050, 2)));
        assert_eq!(seen[2].result.outcome, Outcome::Invalid);
        assert_eq!(
            seen[2].result.cause.as_ref().map(|c| c.message.as_str()),
            Some("bad amount")
        );
        assert_eq!(l.failed_counts("b1").unwrap(), (1, 1));
        assert_eq!(l.requeue_failed("b1", false).unwrap(), 1);
        assert_eq!(l.requeue_failed("b1", true).unwrap(), 1);
        let c = l.record_and_claim("b1", &[], 0, 10).unwrap();
        assert_eq!(c.iter().map(|c| c.row_no).collect::<Vec<_>>(), vec![2, 4]);
    }
}
