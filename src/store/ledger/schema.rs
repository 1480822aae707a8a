//! The state file's shape: the ordered migrations numbered by `PRAGMA user_version`,
//! the application id that tells our files from other SQLite databases, and opening
//! a file for writing. Invariant: a file that is not ours (another application's
//! database, a folder, a newer schema) is refused before a byte of it changes, and
//! opening an up-to-date file writes nothing.

use std::path::Path;
use std::time::Duration;

use anyhow::bail;
use rusqlite::{Connection, OptionalExtension};

use super::Ledger;
use crate::Usage;

/// Migrations, applied in order; entry `i` takes the schema to version `i + 1`.
pub(super) const MIGRATIONS: &[&str] = &[
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
    // Schema 6: what Mercado Pago may have done. `doubt` is 1 while a request of
    // the row may have reached Mercado Pago and neither an answer carrying the
    // refund nor a read-back settled it; 2 while only another batch's request
    // under the row's key may have (the same request, from another
    // spreadsheet): it goes back to 0 once that request is answered for
    // certain, and settles with the key otherwise; `exposed_at` is when its first request
    // may have left (its first claim). Rows written before: a `sending` row, and
    // a failed or requeued one sent more than once or whose last answer was not
    // a plain refusal, may have refunded (their history is not known).
    r#"
ALTER TABLE rows ADD COLUMN doubt INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rows ADD COLUMN exposed_at INTEGER;
UPDATE rows SET doubt = 1, exposed_at = CASE WHEN state = 'sending' THEN updated_at END
 WHERE state = 'sending'
    OR (state IN ('failed', 'pending') AND attempts > 0
        AND NOT (attempts = 1 AND http_status BETWEEN 400 AND 499
                 AND http_status NOT IN (408, 409, 423, 429)));
CREATE INDEX rows_in_doubt ON rows(payment_id) WHERE doubt <> 0;
"#,
    // Schema 7: orders of the Orders API (kind 2). An order's row has no
    // payment id: its order (`ORD…`) and the payment transaction it names
    // (`PAY…`, or NULL) are text. The per-order guard and the read-backs look
    // rows up by order, as they do by payment; payment rows leave both NULL,
    // and the indexes hold order rows only.
    r#"
ALTER TABLE rows ADD COLUMN order_id TEXT;
ALTER TABLE rows ADD COLUMN transaction_id TEXT;
CREATE INDEX rows_by_order ON rows(order_id) WHERE order_id IS NOT NULL;
CREATE INDEX rows_in_doubt_by_order ON rows(order_id) WHERE doubt <> 0 AND order_id IS NOT NULL;
"#,
    // Schema 8: the rows' keys, looked up across batches, in a table of their
    // own (`keys`) in place of an index on `rows.key`. Keys are hashes: an
    // index on them took every row of a new batch at a random place, and a
    // million-row batch spent most of its making spilling and re-reading
    // those pages. A batch's keys now go in at once, sorted, when it is
    // made (`BatchWriter`); rows are never removed and a row's key never
    // changes, so the table is written nowhere else.
    r#"
CREATE TABLE keys (
    key    BLOB NOT NULL,
    batch  INTEGER NOT NULL,
    row_no INTEGER NOT NULL,
    PRIMARY KEY (key, batch, row_no)
) WITHOUT ROWID;
INSERT INTO keys SELECT key, batch, row_no FROM rows WHERE key IS NOT NULL ORDER BY key, batch, row_no;
DROP INDEX rows_by_key;
"#,
    // Schema 9: the refund statuses this version knows are stored as codes
    // (see `codec`), and a refunded amount that is the very text of the
    // amount asked as an empty BLOB (see `refunded_amount!`); rows written
    // before keep their text, read the same. And a batch records how far it is known to stand alone: `isolated_as_of`,
    // the newest batch when no row of any other batch up to it shared a key, a
    // payment or an order with the batch's rows (NULL: not known). Rows enter
    // the state file only with a new batch, and their keys, payments and orders
    // never change: while no newer batch is made, nothing can come to share
    // them, and the per-row looks at other batches find nothing.
    r#"
ALTER TABLE batches ADD COLUMN isolated_as_of INTEGER;
"#,
    // Schema 10: the index of the rows to send holds their state, so that it
    // alone answers how many are left: a query names the state to take the
    // partial index, and without it in the index each entry was a look at
    // the row itself (a third of a second before a million-row batch's first
    // request).
    r#"
DROP INDEX rows_to_send;
CREATE INDEX rows_to_send ON rows(batch, row_no, state) WHERE state IN ('pending', 'sending');
"#,
];

/// `PRAGMA application_id` of every state file ("mprf"): what tells our files from
/// other applications' SQLite databases, so that a wrong `--state` is refused
/// before a byte of it changes.
pub(super) const APPLICATION_ID: i32 = 0x6d70_7266;

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
        // A new state file is private, and so are the `-wal` and `-shm` SQLite
        // makes beside it with its mode (`crate::store::private`).
        crate::store::private::make_if_missing(path);
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
            // 1 MiB of pages, not SQLite's 2: a million-row batch was made and
            // sent as fast with either (its payments in order or shuffled:
            // what misses 1 MiB misses 2 as well), and the larger cache was a
            // megabyte more of a run's memory.
            conn.pragma_update(None, "cache_size", -1024)?;
            Ok(Ledger {
                conn,
                alone: Default::default(),
                wal_frames: None,
            })
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
}

/// Says why an opened SQLite file is not a state file of ours, reading only.
/// Ours: our application id; or no id, but a new empty file or our tables at a
/// schema version we wrote (files from before the id existed).
pub(super) fn check_ours(conn: &Connection) -> Result<(), String> {
    let read = |e: rusqlite::Error| {
        crate::store::state_access::why_unreadable(conn.path().map(Path::new), &e)
    };
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
