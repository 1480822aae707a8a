//! The console's tables in the job's state file: accounts, uploaded batches and
//! the audit trail. This module alone writes them; the ledger's tables are
//! never touched here.
//!
//! Invariants: the file is opened through the ledger first, so it is made,
//! upgraded and marked as ours before a console table is added — every other
//! command then accepts it as a state file. Tables are created with `IF NOT
//! EXISTS` and never altered in place. The audit trail is append-only in the
//! file itself: triggers refuse any UPDATE or DELETE of it, and its rows stay
//! small: each text is cut to a bound as it is written ([`Entry::capped`]).
//! Login attempts are counted per name typed, whether an account has it or
//! not, in a table of bounded size (`console_users`' own failure columns are
//! not read). What reading a batch back last found is kept per batch, one row
//! of each kind replaced by the next, so a restart shows it still.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use rusqlite::{Connection, OptionalExtension, params};
use strum::IntoEnumIterator;

use super::Role;
use crate::store::row::read_row;

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS console_users (
    name           TEXT PRIMARY KEY,
    role           TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    disabled       INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL,
    failed_logins  INTEGER NOT NULL DEFAULT 0,
    last_failed_at INTEGER
);
CREATE TABLE IF NOT EXISTS console_batches (
    id            TEXT PRIMARY KEY,
    stored_name   TEXT NOT NULL,
    original_name TEXT NOT NULL,
    bytes         INTEGER NOT NULL,
    uploaded_by   TEXT NOT NULL,
    uploaded_at   INTEGER NOT NULL,
    skip_invalid  INTEGER NOT NULL,
    state         TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS console_reviews (
    batch         TEXT PRIMARY KEY,
    submitted_by  TEXT NOT NULL,
    submitted_at  INTEGER NOT NULL,
    expect_total  TEXT NOT NULL,
    decided_by    TEXT,
    decided_at    INTEGER,
    reason        TEXT,
    ledger_batch  TEXT
);
CREATE TABLE IF NOT EXISTS console_audit (
    seq    INTEGER PRIMARY KEY AUTOINCREMENT,
    at     INTEGER NOT NULL,
    user   TEXT,
    action TEXT NOT NULL,
    remote TEXT,
    batch  TEXT,
    detail TEXT
);
CREATE TABLE IF NOT EXISTS console_login_attempts (
    name     TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    last_at  INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS console_upload_ends (
    batch      TEXT PRIMARY KEY,
    ended_at   INTEGER NOT NULL,
    removed_at INTEGER
);
CREATE TABLE IF NOT EXISTS console_read_backs (
    batch   TEXT NOT NULL,
    what    TEXT NOT NULL,
    by_user TEXT NOT NULL,
    at      INTEGER NOT NULL,
    found   TEXT NOT NULL,
    PRIMARY KEY (batch, what)
);
CREATE TRIGGER IF NOT EXISTS console_audit_no_update BEFORE UPDATE ON console_audit
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER IF NOT EXISTS console_audit_no_delete BEFORE DELETE ON console_audit
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
"#;

/// An account as stored.
#[derive(Debug, Clone)]
pub(crate) struct User {
    pub name: String,
    pub role: Role,
    pub password_hash: String,
    pub disabled: bool,
    pub created_at_ms: i64,
}

/// Where an upload's batch is in its life: uploaded → submitted → approved
/// (or rejected) → sending → stopped or finished. `Expired` is never stored:
/// it is what a batch left unapproved too long reads as (`review::effective`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString, strum::EnumIter,
)]
#[strum(serialize_all = "snake_case")]
pub(crate) enum BatchState {
    Uploaded,
    Submitted,
    Approved,
    Rejected,
    Sending,
    Stopped,
    Finished,
    Expired,
}

impl BatchState {
    /// As the state file stores it and `/batches/{id}.json` says it.
    pub(crate) fn as_str(self) -> &'static str {
        self.into()
    }

    fn parse(text: &str) -> Option<BatchState> {
        text.parse().ok()
    }
}

/// The four-eyes record of a submitted batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Review {
    pub submitted_by: String,
    pub submitted_at_ms: i64,
    /// The totals the submitter typed, as `AMOUNT:CUR` guards joined by spaces.
    pub expect_total: String,
    /// Who approved or rejected it, and when.
    pub decided_by: Option<String>,
    pub decided_at_ms: Option<i64>,
    /// Why it was rejected.
    pub reason: Option<String>,
    /// The ledger batch its approval made.
    pub ledger_batch: Option<String>,
}

/// A spreadsheet uploaded to the console.
#[derive(Debug, Clone)]
pub(crate) struct Upload {
    pub id: String,
    /// The file's name in the uploads folder (generated, never the browser's).
    pub stored_name: String,
    /// What the browser called it: shown to people, never used as a path.
    pub original_name: String,
    pub bytes: u64,
    pub uploaded_by: String,
    pub uploaded_at_ms: i64,
    pub skip_invalid: bool,
    /// As stored (never `Expired`: see [`BatchState`]).
    pub state: BatchState,
    /// Once submitted.
    pub review: Option<Review>,
}

/// What the audit trail records. Stored by name; the names never change
/// (`tests::the_stored_names_never_change`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub(crate) enum Action {
    #[strum(serialize = "login")]
    LoginOk,
    LoginFailed,
    LoginThrottled,
    Logout,
    Upload,
    UploadRefused,
    AuditDownload,
    Submit,
    Approve,
    Reject,
    Send,
    Stop,
    /// A batch left `sending` by a process that died, moved to `stopped`.
    Interrupted,
    /// A batch's results downloaded.
    Download,
    /// A batch's failed rows sent again.
    Retry,
    /// The books read back from the API (`console::books`).
    Reconcile,
    ReconcileDownload,
    /// A Mercado Pago report matched against a batch, or refused.
    Report,
    ReportRefused,
    ReportDownload,
    /// An approval or rejection refused: the account's role, or its own batch.
    DecisionRefused,
    /// A kept upload removed, its batch ended long enough ago.
    UploadRemoved,
    /// A step the console refused: its detail names the step (an [`Action`]'s
    /// name, or the path posted to) and the [`Refusal`].
    StepRefused,
}

impl Action {
    /// As the audit trail records it.
    pub(crate) fn as_str(self) -> &'static str {
        self.into()
    }

    /// The action a stored name records; `None` for a name this version does
    /// not know (the trail keeps what was written).
    pub(crate) fn of_stored(name: &str) -> Option<Action> {
        Action::iter().find(|a| a.as_str() == name)
    }
}

/// Why the console refused a step, as the audit trail records it: stored by
/// name. Never the money that would have been right, nor anything typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub(crate) enum Refusal {
    /// A POST without the session's form token: forged, or from a stale page.
    Forged,
    /// The account's role may not take the step.
    Role,
    /// The typed total does not match, or could not be read.
    WrongTotal,
    /// Earlier batches refunded rows of the file, and that was not confirmed.
    NotConfirmed,
    /// The file has bad lines and was not uploaded to skip them.
    BadLines,
}

impl Refusal {
    pub(crate) fn as_str(self) -> &'static str {
        self.into()
    }

    pub(crate) fn of_stored(name: &str) -> Option<Refusal> {
        Refusal::iter().find(|r| r.as_str() == name)
    }
}

/// What was read back of a batch, each kept by its page: stored by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub(crate) enum ReadBack {
    /// Its books, from Mercado Pago's API (`reconcile`).
    Books,
    /// The last Mercado Pago report matched against it.
    Report,
}

impl ReadBack {
    fn as_str(self) -> &'static str {
        self.into()
    }
}

/// What a read-back found, by whom, when.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Found<T> {
    pub by: String,
    pub at_ms: i64,
    pub found: T,
}

/// One audit entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub at_ms: i64,
    pub user: Option<String>,
    /// An [`Action`]'s name (entries read back keep what was written).
    pub action: String,
    pub remote: Option<String>,
    pub batch: Option<String>,
    pub detail: Option<String>,
}

/// The most characters of an audit entry's texts: a name typed or a client
/// named by a proxy is far shorter, a detail (a reader's refusal quoting a
/// header) is cut there.
const AUDIT_NAME_CHARS: usize = 64;
const AUDIT_REMOTE_CHARS: usize = 128;
pub(crate) const AUDIT_DETAIL_CHARS: usize = 2_000;

impl Entry {
    /// What the console did to batch `batch` by itself, no person asking and
    /// from no address: a sweep, a send found interrupted.
    pub(crate) fn unattended(at_ms: i64, action: Action, batch: &str, detail: String) -> Entry {
        Entry {
            at_ms,
            user: None,
            action: action.as_str().to_owned(),
            remote: None,
            batch: Some(batch.to_owned()),
            detail: Some(detail),
        }
    }

    /// The entry with each text cut to its bound (`…` where cut).
    fn capped(&self) -> Entry {
        Entry {
            at_ms: self.at_ms,
            user: self.user.as_deref().map(|t| cut(t, AUDIT_NAME_CHARS)),
            action: cut(&self.action, AUDIT_NAME_CHARS),
            remote: self.remote.as_deref().map(|t| cut(t, AUDIT_REMOTE_CHARS)),
            batch: self.batch.as_deref().map(|t| cut(t, AUDIT_NAME_CHARS)),
            detail: self.detail.as_deref().map(|t| cut(t, AUDIT_DETAIL_CHARS)),
        }
    }
}

/// `text`, at most `max` characters of it (the last one `…` when cut).
pub(crate) fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_owned(),
        Some(_) => {
            let mut t: String = text.chars().take(max.saturating_sub(1)).collect();
            t.push('…');
            t
        }
    }
}

pub(crate) struct Store {
    conn: Connection,
    uploads: PathBuf,
}

impl Store {
    /// Opens the state file at `state` (making it if need be) with the console's
    /// tables in it.
    pub(crate) fn open(state: &Path) -> anyhow::Result<Store> {
        // The ledger makes or upgrades the file and sets its application id: a
        // state file holding console tables is then still one every command
        // accepts (a fresh file with only foreign-looking tables would not be).
        drop(crate::store::ledger::Ledger::open(state)?);
        let conn = Connection::open(state)
            .with_context(|| format!("opening the state file {}", state.display()))?;
        // The ledger's writers hold the lock for as long as a large batch inserts.
        conn.busy_timeout(Duration::from_secs(120))?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.execute_batch(SCHEMA)
            .context("adding the console's tables to the state file")?;
        let name = state
            .file_name()
            .map_or_else(|| "state".into(), |n| n.to_string_lossy().into_owned());
        let uploads = state.with_file_name(format!("{name}.uploads"));
        Ok(Store { conn, uploads })
    }

    /// The folder uploads are kept in, beside the state file.
    pub(crate) fn uploads_dir(&self) -> &Path {
        &self.uploads
    }

    /// False when an account of that name exists already.
    pub(crate) fn add_user(
        &mut self,
        name: &str,
        role: Role,
        password_hash: &str,
        now_ms: i64,
    ) -> anyhow::Result<bool> {
        let added = self.conn.execute(
            "INSERT INTO console_users (name, role, password_hash, created_at)
             VALUES (?1, ?2, ?3, ?4) ON CONFLICT(name) DO NOTHING",
            params![name, role.as_str(), password_hash, now_ms],
        )?;
        Ok(added == 1)
    }

    pub(crate) fn user(&self, name: &str) -> anyhow::Result<Option<User>> {
        self.one(&format!("{USER_SELECT} WHERE name = ?1"), name, user_of)
    }

    /// The row `select` finds by its one parameter `key`, read by `of`.
    fn one<T>(
        &self,
        select: &str,
        key: &str,
        of: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> anyhow::Result<Option<T>> {
        Ok(self
            .conn
            .prepare_cached(select)?
            .query_row([key], of)
            .optional()?)
    }

    pub(crate) fn users(&self) -> anyhow::Result<Vec<User>> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("{USER_SELECT} ORDER BY name"))?;
        let users = stmt.query_map([], user_of)?;
        Ok(users.collect::<Result<_, _>>()?)
    }

    /// False when there is no such account.
    pub(crate) fn disable_user(&mut self, name: &str) -> anyhow::Result<bool> {
        let n = self.conn.execute(
            "UPDATE console_users SET disabled = 1 WHERE name = ?1",
            [name],
        )?;
        Ok(n == 1)
    }

    /// Counts a login attempt at `name` (an account's or not) before its
    /// password is checked: one conditional statement, so of many at once only
    /// those the lockout still allows are counted. `Err(ms)`: not counted, the
    /// name must wait that long.
    pub(crate) fn count_login_attempt(
        &mut self,
        name: &str,
        now_ms: i64,
    ) -> anyhow::Result<Result<(), u64>> {
        self.count_attempt_keeping(name, now_ms, super::lockout::NAMES_KEPT)
    }

    fn count_attempt_keeping(
        &mut self,
        name: &str,
        now_ms: i64,
        kept: i64,
    ) -> anyhow::Result<Result<(), u64>> {
        let counted = self
            .conn
            .prepare_cached(&super::lockout::count_sql())?
            .execute(params![name, now_ms])?;
        if counted == 1 {
            // Bounded: past the cap, the oldest names no account has go first.
            self.conn
                .prepare_cached(
                    "DELETE FROM console_login_attempts WHERE rowid IN (
                        SELECT rowid FROM console_login_attempts
                        WHERE name NOT IN (SELECT name FROM console_users)
                        ORDER BY last_at
                        LIMIT max(0, (SELECT count(*) FROM console_login_attempts) - ?1))",
                )?
                .execute([kept])?;
            return Ok(Ok(()));
        }
        let (failures, last): (u32, i64) = self.conn.query_row(
            "SELECT failures, last_at FROM console_login_attempts WHERE name = ?1",
            [name],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(Err(
            super::lockout::wait_ms(failures, Some(last), now_ms).unwrap_or(1)
        ))
    }

    /// A login at `name` succeeded: its count starts again.
    pub(crate) fn login_succeeded(&mut self, name: &str) -> anyhow::Result<()> {
        self.conn
            .execute("DELETE FROM console_login_attempts WHERE name = ?1", [name])?;
        Ok(())
    }

    pub(crate) fn add_upload(&mut self, u: &Upload) -> anyhow::Result<()> {
        self.conn.execute(
            "INSERT INTO console_batches
                 (id, stored_name, original_name, bytes, uploaded_by, uploaded_at, skip_invalid, state)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                u.id,
                u.stored_name,
                u.original_name,
                u.bytes as i64,
                u.uploaded_by,
                u.uploaded_at_ms,
                u.skip_invalid,
                u.state.as_str()
            ],
        )?;
        Ok(())
    }

    pub(crate) fn upload(&self, id: &str) -> anyhow::Result<Option<Upload>> {
        self.one(&format!("{UPLOAD_SELECT} WHERE id = ?1"), id, upload_of)
    }

    /// The latest `limit` uploads, newest first.
    pub(crate) fn uploads(&self, limit: u32) -> anyhow::Result<Vec<Upload>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "{UPLOAD_SELECT} ORDER BY uploaded_at DESC, console_batches.rowid DESC LIMIT ?1"
        ))?;
        let rows = stmt.query_map([limit], upload_of)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// uploaded → submitted, with what the submitter typed; false when the
    /// batch was not `uploaded` (a second click, another tab).
    pub(crate) fn submit(
        &mut self,
        id: &str,
        by: &str,
        now_ms: i64,
        expect_total: &str,
    ) -> anyhow::Result<bool> {
        self.move_with(
            "UPDATE console_batches SET state = 'submitted' WHERE id = ?1 AND state = 'uploaded'",
            params![id],
            "INSERT INTO console_reviews (batch, submitted_by, submitted_at, expect_total)
             VALUES (?1, ?2, ?3, ?4)",
            params![id, by, now_ms, expect_total],
        )
    }

    /// A batch's state moved by one conditional UPDATE (`moving`) and, when it
    /// moved, its review written (`then`), in one transaction: of two people
    /// acting at once exactly one moves it. Whether it moved.
    fn move_with(
        &mut self,
        moving: &str,
        moving_params: &[&dyn rusqlite::ToSql],
        then: &str,
        then_params: &[&dyn rusqlite::ToSql],
    ) -> anyhow::Result<bool> {
        let tx = self.conn.transaction()?;
        let moved = tx.execute(moving, moving_params)? == 1;
        if moved {
            tx.execute(then, then_params)?;
        }
        tx.commit()?;
        Ok(moved)
    }

    /// submitted → `to` (approved or rejected) by `by`, who did not submit it:
    /// one conditional UPDATE, so of two deciding at once exactly one moves it
    /// (false for the other, and for a batch not `submitted`).
    pub(crate) fn decide(
        &mut self,
        id: &str,
        by: &str,
        now_ms: i64,
        to: BatchState,
        reason: Option<&str>,
    ) -> anyhow::Result<bool> {
        anyhow::ensure!(
            matches!(to, BatchState::Approved | BatchState::Rejected),
            "a decision approves or rejects"
        );
        self.move_with(
            "UPDATE console_batches SET state = ?2
             WHERE id = ?1 AND state = 'submitted'
               AND EXISTS (SELECT 1 FROM console_reviews
                           WHERE batch = ?1 AND submitted_by <> ?3)",
            params![id, to.as_str(), by],
            "UPDATE console_reviews SET decided_by = ?2, decided_at = ?3, reason = ?4
             WHERE batch = ?1",
            params![id, by, now_ms, reason],
        )
    }

    /// An approval whose ledger batch could not be made goes back to `submitted`.
    pub(crate) fn undo_approval(&mut self, id: &str) -> anyhow::Result<()> {
        self.move_with(
            "UPDATE console_batches SET state = 'submitted' WHERE id = ?1 AND state = 'approved'",
            params![id],
            "UPDATE console_reviews SET decided_by = NULL, decided_at = NULL WHERE batch = ?1",
            params![id],
        )?;
        Ok(())
    }

    /// The ledger batch an approval made.
    pub(crate) fn link_ledger(&mut self, id: &str, ledger_batch: &str) -> anyhow::Result<()> {
        self.conn.execute(
            "UPDATE console_reviews SET ledger_batch = ?2 WHERE batch = ?1",
            params![id, ledger_batch],
        )?;
        Ok(())
    }

    /// `from` → `to` when the batch is in one of `from`; false otherwise.
    pub(crate) fn move_state(
        &mut self,
        id: &str,
        from: &[BatchState],
        to: BatchState,
    ) -> anyhow::Result<bool> {
        let from: Vec<&str> = from.iter().map(|s| s.as_str()).collect();
        let moved = self.conn.execute(
            "UPDATE console_batches SET state = ?2
             WHERE id = ?1 AND state IN (SELECT value FROM json_each(?3))",
            params![id, to.as_str(), serde_json::to_string(&from)?],
        )?;
        Ok(moved == 1)
    }

    /// Approved batches with rows left to send (`approved`, `stopped`), in the
    /// order they were approved. One being sent now is not among them.
    pub(crate) fn approved_unsent(&self) -> anyhow::Result<Vec<Upload>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "{UPLOAD_SELECT} WHERE state IN (?1, ?2) AND r.ledger_batch IS NOT NULL
             ORDER BY r.decided_at, console_batches.rowid"
        ))?;
        let rows = stmt.query_map(
            params![BatchState::Approved.as_str(), BatchState::Stopped.as_str()],
            upload_of,
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every batch stored `sending` (being sent, or left so by a process that died).
    pub(crate) fn sending(&self) -> anyhow::Result<Vec<Upload>> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("{UPLOAD_SELECT} WHERE state = ?1"))?;
        let rows = stmt.query_map([BatchState::Sending.as_str()], upload_of)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// When a sweep (`console::keep`) found `batch` ended, and whether its
    /// upload was removed since.
    pub(crate) fn upload_end(&self, batch: &str) -> anyhow::Result<(Option<i64>, bool)> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT ended_at, removed_at FROM console_upload_ends WHERE batch = ?1",
            )?
            .query_row([batch], |r| {
                Ok((Some(r.get(0)?), r.get::<_, Option<i64>>(1)?.is_some()))
            })
            .optional()?
            .unwrap_or((None, false)))
    }

    pub(crate) fn note_upload_end(&mut self, batch: &str, ended_at_ms: i64) -> anyhow::Result<()> {
        self.conn.execute(
            "INSERT INTO console_upload_ends (batch, ended_at) VALUES (?1, ?2)
             ON CONFLICT(batch) DO NOTHING",
            params![batch, ended_at_ms],
        )?;
        Ok(())
    }

    pub(crate) fn note_upload_removed(&mut self, batch: &str, now_ms: i64) -> anyhow::Result<()> {
        self.conn.execute(
            "UPDATE console_upload_ends SET removed_at = ?2 WHERE batch = ?1",
            params![batch, now_ms],
        )?;
        Ok(())
    }

    /// Keeps what reading `batch` back (`what`) found, in place of the last.
    pub(crate) fn keep_found<T: serde::Serialize>(
        &mut self,
        batch: &str,
        what: ReadBack,
        found: &Found<T>,
    ) -> anyhow::Result<()> {
        self.conn.execute(
            "INSERT INTO console_read_backs (batch, what, by_user, at, found)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(batch, what) DO UPDATE SET
                 by_user = excluded.by_user, at = excluded.at, found = excluded.found",
            params![
                batch,
                what.as_str(),
                found.by,
                found.at_ms,
                serde_json::to_string(&found.found)?
            ],
        )?;
        Ok(())
    }

    /// What reading `batch` back (`what`) last found; none when it was never
    /// read back, or by a version whose findings this one cannot read.
    pub(crate) fn found<T: serde::de::DeserializeOwned>(
        &self,
        batch: &str,
        what: ReadBack,
    ) -> anyhow::Result<Option<Found<T>>> {
        let row: Option<(String, i64, String)> = self
            .conn
            .prepare_cached(
                "SELECT by_user, at, found FROM console_read_backs WHERE batch = ?1 AND what = ?2",
            )?
            .query_row(params![batch, what.as_str()], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()?;
        let Some((by, at_ms, text)) = row else {
            return Ok(None);
        };
        match serde_json::from_str(&text) {
            Ok(found) => Ok(Some(Found { by, at_ms, found })),
            Err(e) => {
                tracing::warn!("console batch {batch}: what was read back cannot be read: {e}");
                Ok(None)
            }
        }
    }

    pub(crate) fn append_audit(&mut self, e: &Entry) -> anyhow::Result<()> {
        let e = e.capped();
        self.conn.execute(
            "INSERT INTO console_audit (at, user, action, remote, batch, detail)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![e.at_ms, e.user, e.action, e.remote, e.batch, e.detail],
        )?;
        Ok(())
    }

    /// The latest `limit` entries, newest first; `None`: every entry.
    pub(crate) fn audit(&self, limit: Option<u32>) -> anyhow::Result<Vec<Entry>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT at, user, action, remote, batch, detail FROM console_audit
             ORDER BY seq DESC LIMIT ?1",
        )?;
        let limit = limit.map_or(-1, i64::from);
        let rows = stmt.query_map([limit], |r| {
            Ok(read_row!(r => Entry { at_ms, user, action, remote, batch, detail }))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    #[cfg(test)]
    fn conn(&self) -> &Connection {
        &self.conn
    }
}

const USER_SELECT: &str =
    "SELECT name, role, password_hash, disabled, created_at FROM console_users";

fn user_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<User> {
    let role: String = r.get(1)?;
    Ok(User {
        name: r.get(0)?,
        role: role.parse().map_err(|_| bad_text(1, &role))?,
        password_hash: r.get(2)?,
        disabled: r.get(3)?,
        created_at_ms: r.get(4)?,
    })
}

const UPLOAD_SELECT: &str = "SELECT id, stored_name, original_name, bytes, uploaded_by,
        uploaded_at, skip_invalid, state, r.submitted_by, r.submitted_at, r.expect_total,
        r.decided_by, r.decided_at, r.reason, r.ledger_batch
        FROM console_batches LEFT JOIN console_reviews r ON r.batch = id";

fn upload_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<Upload> {
    let state: String = r.get(7)?;
    Ok(Upload {
        id: r.get(0)?,
        stored_name: r.get(1)?,
        original_name: r.get(2)?,
        bytes: r.get::<_, i64>(3)?.max(0) as u64,
        uploaded_by: r.get(4)?,
        uploaded_at_ms: r.get(5)?,
        skip_invalid: r.get(6)?,
        state: BatchState::parse(&state).ok_or_else(|| bad_text(7, &state))?,
        // Read whole once its first column says a review row was joined.
        review: match r.get::<_, Option<String>>(8)? {
            None => None,
            Some(_) => Some(read_row!(r, from 8 => Review {
                submitted_by, submitted_at_ms, expect_total, decided_by, decided_at_ms, reason,
                ledger_batch,
            })),
        },
    })
}

fn bad_text(column: usize, text: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        column,
        rusqlite::types::Type::Text,
        format!("unknown value {text:?}").into(),
    )
}

/// A console batch's id: 32 lowercase hex digits, as the console makes them;
/// anything else names no batch (and is never a path).
pub(crate) fn batch_id(text: &str) -> Option<&str> {
    let ours = text.len() == 32
        && text
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
    ours.then_some(text)
}

/// A store of its own for a test: a new state file in a temporary folder,
/// which goes when the guard is dropped.
#[cfg(test)]
pub(crate) fn temp_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(&dir.path().join("s.db")).unwrap();
    (dir, s)
}

#[cfg(test)]
mod tests {
    use super::*;

    use strum::IntoEnumIterator;

    /// State files and audit trails written by earlier versions hold these.
    #[test]
    fn the_stored_names_never_change() {
        let actions: Vec<&str> = Action::iter().map(Action::as_str).collect();
        assert_eq!(
            actions,
            [
                "login",
                "login_failed",
                "login_throttled",
                "logout",
                "upload",
                "upload_refused",
                "audit_download",
                "submit",
                "approve",
                "reject",
                "send",
                "stop",
                "interrupted",
                "download",
                "retry",
                "reconcile",
                "reconcile_download",
                "report",
                "report_refused",
                "report_download",
                "decision_refused",
                "upload_removed",
                "step_refused",
            ]
        );
        let states: Vec<&str> = BatchState::iter().map(BatchState::as_str).collect();
        assert_eq!(
            states,
            [
                "uploaded",
                "submitted",
                "approved",
                "rejected",
                "sending",
                "stopped",
                "finished",
                "expired",
            ]
        );
        for s in BatchState::iter() {
            assert_eq!(BatchState::parse(s.as_str()), Some(s));
        }
        let read_backs: Vec<&str> = ReadBack::iter().map(ReadBack::as_str).collect();
        assert_eq!(read_backs, ["books", "report"]);
        assert_eq!(BatchState::parse("Sending"), None, "stored lower case only");
    }

    fn entry(action: Action) -> Entry {
        Entry {
            at_ms: 1,
            user: Some("ana".into()),
            action: action.as_str().into(),
            remote: Some("127.0.0.1:1".into()),
            batch: None,
            detail: None,
        }
    }

    #[test]
    fn accounts_and_uploads_read_back_and_the_file_stays_a_state_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        let mut s = Store::open(&path).unwrap();
        assert!(
            s.add_user("ana", Role::Submitter, "$argon2id$x", 5)
                .unwrap()
        );
        assert!(!s.add_user("ana", Role::Admin, "$argon2id$y", 6).unwrap());
        assert_eq!(s.user("ana").unwrap().unwrap().role, Role::Submitter);
        assert!(s.disable_user("ana").unwrap());
        assert!(!s.disable_user("bob").unwrap());
        assert!(s.users().unwrap()[0].disabled);
        let u = Upload {
            id: "ab".into(),
            stored_name: "ab.csv".into(),
            original_name: "x.csv".into(),
            bytes: 3,
            uploaded_by: "ana".into(),
            uploaded_at_ms: 9,
            skip_invalid: true,
            state: BatchState::Uploaded,
            review: None,
        };
        s.add_upload(&u).unwrap();
        let back = s.upload("ab").unwrap().unwrap();
        assert_eq!(
            (back.stored_name.as_str(), back.skip_invalid),
            ("ab.csv", true)
        );
        assert!(s.upload("cd").unwrap().is_none());
        assert_eq!(s.uploads(10).unwrap().len(), 1);
        drop(s);
        // Opened again (the tables exist): nothing lost; and the ledger still takes it.
        let s = Store::open(&path).unwrap();
        assert_eq!(s.users().unwrap().len(), 1);
        drop(s);
        crate::store::ledger::Ledger::open(&path).expect("still a state file");
        assert!(
            crate::store::ledger::ReadOnly::open(&path)
                .unwrap()
                .is_some()
        );
    }

    #[test]
    fn attempts_are_counted_before_the_check_per_name_typed_in_a_bounded_table() {
        let (_dir, mut s) = temp_store();
        s.add_user("ana", Role::Submitter, "$argon2id$x", 1)
            .unwrap();
        for name in ["ana", "nobody"] {
            for _ in 0..super::super::lockout::FREE_FAILURES {
                assert_eq!(s.count_login_attempt(name, 1_000).unwrap(), Ok(()));
            }
            assert_eq!(
                s.count_login_attempt(name, 1_000).unwrap(),
                Err(30_000),
                "{name}: an account or not, the same"
            );
            assert_eq!(s.count_login_attempt(name, 20_000).unwrap(), Err(11_000));
            assert_eq!(s.count_login_attempt(name, 31_000).unwrap(), Ok(()));
            assert_eq!(s.count_login_attempt(name, 31_000).unwrap(), Err(60_000));
        }
        s.login_succeeded("ana").unwrap();
        assert_eq!(s.count_login_attempt("ana", 31_000).unwrap(), Ok(()));
        // Past the cap the oldest names no account has go; an account's stay.
        for i in 0..20 {
            s.count_attempt_keeping(&format!("n{i}"), 40_000 + i, 10)
                .unwrap()
                .unwrap();
        }
        let kept: Vec<String> = s
            .conn()
            .prepare("SELECT name FROM console_login_attempts ORDER BY last_at")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(kept.len(), 10, "{kept:?}");
        assert_eq!(kept[0], "ana");
        assert_eq!(kept[9], "n19");
    }

    /// What a read-back found outlives the process: the next one reads it.
    #[test]
    fn what_was_read_back_is_kept_the_last_of_each_kind() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        let mut s = Store::open(&path).unwrap();
        let found = |by: &str, n: u32| Found {
            by: by.into(),
            at_ms: i64::from(n),
            found: vec![n],
        };
        s.keep_found("a", ReadBack::Books, &found("ana", 1))
            .unwrap();
        s.keep_found("a", ReadBack::Books, &found("bob", 2))
            .unwrap();
        s.keep_found("a", ReadBack::Report, &found("ana", 3))
            .unwrap();
        drop(s);
        let s = Store::open(&path).unwrap();
        assert_eq!(
            s.found("a", ReadBack::Books).unwrap(),
            Some(found("bob", 2))
        );
        assert_eq!(
            s.found("a", ReadBack::Report).unwrap(),
            Some(found("ana", 3))
        );
        assert_eq!(s.found::<Vec<u32>>("b", ReadBack::Books).unwrap(), None);
        // Found by another version, in a shape this one does not know: none.
        assert_eq!(s.found::<String>("a", ReadBack::Books).unwrap(), None);
    }

    #[test]
    fn audit_rows_stay_small() {
        let (_dir, mut s) = temp_store();
        let mut e = entry(Action::LoginFailed);
        e.user = Some("x".repeat(1_000_000));
        e.remote = Some("1.2.3.4, ".repeat(1000));
        e.detail = Some("é".repeat(1_000_000));
        s.append_audit(&e).unwrap();
        let back = &s.audit(None).unwrap()[0];
        let user = back.user.as_deref().unwrap();
        assert_eq!(user.chars().count(), AUDIT_NAME_CHARS);
        assert!(user.ends_with('…'));
        assert_eq!(
            back.remote.as_deref().unwrap().chars().count(),
            AUDIT_REMOTE_CHARS
        );
        assert_eq!(
            back.detail.as_deref().unwrap().chars().count(),
            AUDIT_DETAIL_CHARS
        );
        assert_eq!(cut("short", 64), "short");
    }

    #[test]
    fn the_audit_trail_cannot_be_edited_or_emptied() {
        let (_dir, mut s) = temp_store();
        s.append_audit(&entry(Action::LoginOk)).unwrap();
        s.append_audit(&entry(Action::Logout)).unwrap();
        let all = s.audit(None).unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].action, "logout", "newest first");
        assert_eq!(s.audit(Some(1)).unwrap().len(), 1);
        let update = s.conn().execute("UPDATE console_audit SET user = 'x'", []);
        assert!(update.unwrap_err().to_string().contains("append-only"));
        let delete = s.conn().execute("DELETE FROM console_audit", []);
        assert!(delete.unwrap_err().to_string().contains("append-only"));
        assert_eq!(s.audit(None).unwrap().len(), 2);
    }
}
