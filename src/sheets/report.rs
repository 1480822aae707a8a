//! The results CSV and the run summary, both read from the ledger only, so `run`
//! and `report` produce the same file for the same state.
//!
//! Invariants: the original columns come first and untouched except for formula
//! neutralisation (OWASP CSV injection: a free-text cell starting with `=`, `+`,
//! `-`, `@`, tab, CR or LF gets a leading `'`; plain numbers are left alone); rows
//! in input order, every row exactly once; the file is written through `sheet`,
//! in the batch's dialect, and appears complete or not at all.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use strum::IntoEnumIterator;

use crate::domain::causes::Next;
use crate::domain::clock::rfc3339;
use crate::domain::money::MoneyByCurrency;
use crate::domain::{CauseCode, Outcome, Requested, ResultsFormat};
use crate::sheets::cell::neutralise;
use crate::sheets::handoff;
use crate::sheets::mpbatch;
use crate::sheets::sheet::{self, Dialect};
use crate::store::ledger::{Batch, Ledger, StoredRow};

pub(crate) const RESULT_COLUMNS: [&str; 13] = [
    "row",
    "idempotency_key",
    "outcome",
    "http_status",
    "refund_id",
    "refund_status",
    "refunded_amount",
    "cause_code",
    "cause_message",
    "retryable",
    "attempts",
    "last_attempt_at",
    "refund_origin",
];

/// The results' columns a batch with orders of the Orders API has besides
/// [`RESULT_COLUMNS`], after them: what each row refunds (`payment`,
/// `advanced_payment`, `order`). A batch of payments keeps its columns as they
/// always were.
pub(crate) const ORDER_COLUMNS: [&str; 1] = ["refund_kind"];

/// Rows and money per outcome; amounts keyed by currency (`""` when the input had
/// no currency column).
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Summary {
    pub rows: u64,
    /// By outcome name.
    pub outcomes: BTreeMap<String, Totals>,
    /// `outcome/cause_code` → rows, for failed, pending and invalid rows, and for
    /// refunds that differ from what was asked.
    pub causes: BTreeMap<String, u64>,
    /// Rows whose refund the API made for another amount or payment than asked:
    /// money moved, but not as the spreadsheet said (they make the run exit 1).
    pub mismatched: u64,
    /// The first of those rows (by row number), for the summary to name.
    pub mismatched_rows: Vec<u64>,
    /// Money per currency code (`""`: the input named none), over all outcomes.
    pub currencies: BTreeMap<String, Money>,
    /// Refunds the rows' own requests made.
    #[serde(default)]
    pub new: Done,
    /// Refunds that were there before the row asked: found in the state file
    /// (another batch had settled the key) or replayed by the API.
    #[serde(default)]
    pub already_done: Done,
}

/// Rows with a refund (refunded or in process) and its money per currency.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Done {
    pub rows: u64,
    pub money: MoneyByCurrency,
}

impl Done {
    /// Whether the row's refund was already done (`Some(true)`) or is new, for a
    /// row that has one.
    fn of(row: &StoredRow) -> Option<bool> {
        matches!(row.result.outcome, Outcome::Refunded | Outcome::InProcess)
            .then_some(row.already_done)
    }

    /// "3 (BRL 159.90)".
    pub(crate) fn describe(&self) -> String {
        if self.money.is_empty() {
            self.rows.to_string()
        } else {
            format!("{} ({})", self.rows, self.money.text())
        }
    }
}

/// How many flagged rows a summary names; the results CSV has them all.
const NAMED_ROWS: usize = 20;

/// Adds `a` to one currency's figure through `money`'s checked sum: amounts come
/// from servers, and a sum past `Decimal`'s range must be an error, not a panic
/// or a lie. Sums keep the currency's decimals (30.50, not 30.5), in the JSON
/// summary too.
fn add_to(sum: &mut Decimal, currency: &str, a: Decimal) -> anyhow::Result<()> {
    *sum = crate::domain::money::add(*sum, currency, a)?;
    Ok(())
}

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Totals {
    pub rows: u64,
    /// Rows that asked for a full refund.
    pub full_refunds: u64,
    /// Sum of the partial amounts asked for.
    pub requested: MoneyByCurrency,
    /// Sum of what the API says it refunded for the rows that asked an amount
    /// (refunded and in process only: a rejected refund is not money refunded).
    pub refunded: MoneyByCurrency,
    /// What the API refunded for the `full` rows: no amount was asked for them,
    /// so it is kept apart from `refunded`, which can then be compared with
    /// `requested`.
    pub refunded_full: MoneyByCurrency,
}

impl Summary {
    pub(crate) fn count(&self, outcome: Outcome) -> u64 {
        self.outcomes.get(outcome.as_str()).map_or(0, |t| t.rows)
    }

    fn add(&mut self, row: &StoredRow) -> anyhow::Result<()> {
        let r = &row.result;
        let outcome = r.outcome;
        let currency = row.currency.map(|c| c.to_string()).unwrap_or_default();
        self.rows += 1;
        if !self.outcomes.contains_key(outcome.as_str()) {
            self.outcomes
                .insert(outcome.as_str().to_owned(), Totals::default());
        }
        let Some(t) = self.outcomes.get_mut(outcome.as_str()) else {
            unreachable!("inserted above")
        };
        t.rows += 1;
        let full = match row.ask.as_ref().map(|a| a.requested) {
            Some(Requested::Full) => {
                t.full_refunds += 1;
                true
            }
            Some(Requested::Partial(a)) => {
                t.requested.add(&currency, a.get())?;
                false
            }
            None => false,
        };
        if let Some(a) = r.refunded() {
            let into = if full {
                &mut t.refunded_full
            } else {
                &mut t.refunded
            };
            into.add(&currency, a)?;
        }
        if row.ask.is_some() {
            let m = self.currencies.entry(currency.clone()).or_default();
            match row.ask.as_ref().map(|a| a.requested) {
                Some(Requested::Partial(a)) => {
                    m.asked_rows += 1;
                    add_to(&mut m.asked, &currency, a.get())?;
                    if let Some(a) = r.refunded() {
                        add_to(&mut m.refunded, &currency, a)?;
                    }
                }
                _ => {
                    m.full_rows += 1;
                    if let Some(a) = r.refunded() {
                        add_to(&mut m.refunded_full, &currency, a)?;
                    }
                }
            }
        }
        if let Some(before) = Done::of(row) {
            let d = if before {
                &mut self.already_done
            } else {
                &mut self.new
            };
            d.rows += 1;
            let amount = r
                .refunded()
                .or(match row.ask.as_ref().map(|a| a.requested) {
                    Some(Requested::Partial(a)) => Some(a.get()),
                    _ => None,
                });
            if let Some(a) = amount {
                d.money.add(&currency, a)?;
            }
        }
        let code = r.cause.as_ref().map(|c| &c.code);
        let mismatch = code.is_some_and(CauseCode::is_mismatch);
        if mismatch {
            self.mismatched += 1;
            if self.mismatched_rows.len() < NAMED_ROWS {
                self.mismatched_rows.push(row.row_no);
            }
        }
        if (mismatch
            || matches!(
                outcome,
                Outcome::Failed | Outcome::Pending | Outcome::Invalid | Outcome::Unknown
            ))
            && let Some(code) = code
        {
            *self.causes.entry(format!("{outcome}/{code}")).or_default() += 1;
        }
        Ok(())
    }

    /// Reads the whole batch from the ledger.
    pub(crate) fn of(ledger: &Ledger, batch_id: &str) -> anyhow::Result<Summary> {
        let mut s = Summary::default();
        ledger
            .for_each_row(batch_id, |row| s.add(&row))
            .map_err(mark_damage)?;
        Ok(s)
    }

    /// The human summary printed on stderr at the end of a run: rows per outcome,
    /// then money per currency — asked against refunded for the rows that named
    /// an amount, and the `full` rows apart, since nothing was asked for them.
    /// Each outcome and cause that asks for something says its command (`next`).
    pub(crate) fn render(
        &self,
        w: &mut dyn Write,
        next: &crate::domain::steps::OnBatch<'_>,
    ) -> std::io::Result<()> {
        writeln!(w, "{} rows", self.rows)?;
        for outcome in Outcome::iter() {
            let Some(t) = self.outcomes.get(outcome.as_str()) else {
                continue;
            };
            let mut line = format!("  {:<11} {:>7}", outcome.as_str(), t.rows);
            if !t.requested.is_empty() {
                line.push_str(&format!("   asked {}", t.requested.text()));
            }
            if !t.refunded.is_empty() {
                line.push_str(&format!("   refunded {}", t.refunded.text()));
            }
            if t.full_refunds > 0 {
                line.push_str(&format!("   + {} full", t.full_refunds));
                if !t.refunded_full.is_empty() {
                    line.push_str(&format!(" refunded {}", t.refunded_full.text()));
                }
            }
            if outcome == Outcome::InProcess {
                line.push_str(&format!(
                    "   (settle later; next: {})",
                    next.cause(Next::Reconcile)
                ));
            }
            if outcome == Outcome::Unknown {
                line.push_str(&format!(
                    "   (may have been refunded: Mercado Pago's answer never came; next: {})",
                    next.in_doubt()
                ));
            }
            writeln!(w, "{line}")?;
        }
        for (cause, n) in &self.causes {
            // `outcome/code`: the code said with its meaning and next step.
            let (outcome, code) = cause.split_once('/').unwrap_or(("", cause.as_str()));
            let meaning = crate::domain::causes::meaning(&CauseCode::parse(code));
            let step = match meaning {
                // Rows still to send are resumed, whatever their last cause.
                _ if outcome == Outcome::Pending.as_str() => Some(next.pending()),
                // In doubt: sent again with the same key, or read back.
                _ if outcome == Outcome::Unknown.as_str() => Some(next.in_doubt()),
                Some(m) => Some(next.cause(m.next)),
                None => None,
            };
            match (meaning, step) {
                (Some(m), Some(step)) => {
                    writeln!(w, "    {cause}: {n}  ({}; next: {step})", m.what)?
                }
                (None, Some(step)) => writeln!(w, "    {cause}: {n}  (next: {step})")?,
                _ => writeln!(w, "    {cause}: {n}")?,
            }
        }
        if self.already_done.rows > 0 {
            writeln!(
                w,
                "  already done {}, new {}",
                self.already_done.describe(),
                self.new.describe()
            )?;
        }
        if self.mismatched > 0 {
            let rows: Vec<String> = self.mismatched_rows.iter().map(u64::to_string).collect();
            let more = if self.mismatched > self.mismatched_rows.len() as u64 {
                ", ..."
            } else {
                ""
            };
            writeln!(
                w,
                "  {} refund(s) NOT as asked (another amount or payment; see cause_code): row {}{more}",
                self.mismatched,
                rows.join(", ")
            )?;
        }
        if !self.currencies.is_empty() {
            writeln!(w, "  money per currency:")?;
        }
        for (currency, m) in &self.currencies {
            let name = if currency.is_empty() {
                "(no currency)"
            } else {
                currency.as_str()
            };
            let mut line = format!(
                "    {name}: asked {} in {} row(s), refunded {}",
                fixed(currency, m.asked),
                m.asked_rows,
                fixed(currency, m.refunded)
            );
            if m.full_rows > 0 {
                line.push_str(&format!(
                    "; {} full-refund row(s) (no amount asked) refunded {}",
                    m.full_rows,
                    fixed(currency, m.refunded_full)
                ));
            }
            writeln!(w, "{line}")?;
        }
        Ok(())
    }
}

/// One currency's money over every outcome: what the rows with an amount asked
/// and got, and the `full` rows apart.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Money {
    pub asked: Decimal,
    pub asked_rows: u64,
    pub refunded: Decimal,
    pub full_rows: u64,
    pub refunded_full: Decimal,
}

fn fixed(currency: &str, a: Decimal) -> Decimal {
    crate::domain::money::fixed_by_code(currency, a)
}

/// What a results file was written from: a batch that did not change since is
/// not written again — re-running a finished million-row batch would otherwise
/// spend seconds rewriting the same bytes.
#[derive(Debug, Serialize, Deserialize)]
struct Written {
    out: std::path::PathBuf,
    /// The columns written (absent in memos older than the choice: the tool's own).
    #[serde(default)]
    format: ResultsFormat,
    /// The ledger's generation when written.
    generation: i64,
    /// The file as written: size and modification time (ns since the epoch).
    len: u64,
    modified_ns: u128,
    summary: Summary,
}

fn stamp(path: &Path) -> Option<(u64, u128)> {
    let m = std::fs::metadata(path).ok()?;
    let modified = m
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    Some((m.len(), modified.as_nanos()))
}

/// The results CSV of `batch` at `out` in `format`, written unless the file there
/// is the one written from the batch as it stands (same ledger generation — every
/// transaction that changes rows counts one — the same columns, and the same size
/// and modification time); returns the summary either way. A state file edited by
/// hand, outside mprefund, is not seen: `report` rewrites always.
pub(crate) fn results(
    ledger: &mut Ledger,
    batch: &Batch,
    out: &Path,
    format: ResultsFormat,
) -> anyhow::Result<Summary> {
    let key = format!("results:{}", batch.id);
    let generation = ledger.generation()?;
    if let Some(w) = ledger.memo::<Written>(&key)?
        && w.out == out
        && w.format == format
        && w.generation == generation
        && stamp(out) == Some((w.len, w.modified_ns))
    {
        tracing::debug!("{} is up to date", out.display());
        return Ok(w.summary);
    }
    let summary = write_results(ledger, batch, out, format)?;
    if let Some((len, modified_ns)) = stamp(out) {
        let written = Written {
            out: out.to_path_buf(),
            format,
            generation,
            len,
            modified_ns,
            summary,
        };
        // Only a shortcut for next time: failing to note it loses nothing.
        if let Err(e) = ledger.set_memo(&key, &written) {
            tracing::warn!("cannot note the results in the state file: {e:#}");
        }
        return Ok(written.summary);
    }
    Ok(summary)
}

/// What kept the results from being written, read from the error's chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    /// Creating, writing or renaming the file failed (a full disk, a read-only
    /// folder): the user's to fix; the state file is untouched.
    Output,
    /// SQLite could not answer now (busy, an I/O error): trying again may work.
    Transient,
    /// The state file holds what cannot be read back (a damaged cell, an amount
    /// out of range, a corrupt page).
    Damaged,
}

pub(crate) fn failure_of(err: &anyhow::Error) -> Failure {
    use rusqlite::ErrorCode::{DatabaseCorrupt, NotADatabase};
    let output = err.chain().any(|e| {
        e.is::<std::io::Error>() || e.is::<csv::Error>() || e.is::<tempfile::PersistError>()
    });
    let transient = err.chain().any(|e| {
        matches!(
            e.downcast_ref::<rusqlite::Error>(),
            Some(rusqlite::Error::SqliteFailure(f, _)) if !matches!(f.code, DatabaseCorrupt | NotADatabase)
        )
    });
    if err.is::<crate::error::Damaged>() {
        Failure::Damaged
    } else if output {
        Failure::Output
    } else if transient {
        Failure::Transient
    } else {
        Failure::Damaged
    }
}

/// Marks an error of reading the batch back as damage when it is one (once).
fn mark_damage(err: anyhow::Error) -> anyhow::Error {
    if failure_of(&err) == Failure::Damaged && !err.is::<crate::error::Damaged>() {
        crate::error::Damaged(err).into()
    } else {
        err
    }
}

/// Writes the results CSV for `batch` to `out` atomically, in `format`'s columns,
/// and returns the summary. Either format keeps the input's dialect (`sheet`).
pub(crate) fn write_results(
    ledger: &Ledger,
    batch: &Batch,
    out: &Path,
    format: ResultsFormat,
) -> anyhow::Result<Summary> {
    let key_columns = key_columns_for(batch, format)?;
    sheet::write(out, Dialect::of_batch(batch), |sheet| {
        fill_results(ledger, batch, key_columns.as_ref(), sheet)
    })
    .map_err(mark_damage)
}

/// The results CSV of `batch` in `format`, the very bytes [`write_results`]
/// writes, into `out` (a download): the writer back, every record written.
pub(crate) fn results_into<W: Write + Send>(
    ledger: &Ledger,
    batch: &Batch,
    format: ResultsFormat,
    out: W,
) -> anyhow::Result<W> {
    let key_columns = key_columns_for(batch, format)?;
    let mut sheet = sheet::Sheet::new(out, Dialect::of_batch(batch))?;
    fill_results(ledger, batch, key_columns.as_ref(), &mut sheet).map_err(mark_damage)?;
    sheet.into_inner()
}

/// Mercado Pago's columns echo the input's payment, reference and amount
/// cells: where they are, for `MpBatch`; `None` for the tool's own columns.
fn key_columns_for(
    batch: &Batch,
    format: ResultsFormat,
) -> anyhow::Result<Option<crate::sheets::input::KeyColumns>> {
    match format {
        ResultsFormat::Mprefund => Ok(None),
        ResultsFormat::MpBatch => crate::sheets::input::key_columns(&batch.header)
            .map(Some)
            .ok_or_else(|| {
                mark_damage(anyhow::anyhow!(
                    "state file: batch {} has no payment id or amount column in its header",
                    batch.id
                ))
            }),
    }
}

/// The header and every row of `batch`, in input order, into `sheet`.
fn fill_results<W: Write + Send>(
    ledger: &Ledger,
    batch: &Batch,
    key_columns: Option<&crate::sheets::input::KeyColumns>,
    sheet: &mut sheet::Sheet<W>,
) -> anyhow::Result<Summary> {
    let dialect = sheet.dialect();
    let width = batch.header.len();
    let kinds = key_columns.is_none() && ledger.has_orders(&batch.id)?;
    let ours = || {
        let kind: &[&str] = if kinds { &ORDER_COLUMNS } else { &[] };
        RESULT_COLUMNS.iter().chain(kind)
    };
    match key_columns {
        None => {
            let header = named_apart(&batch.header, ours())
                .into_iter()
                .chain(ours().map(|c| c.to_string()));
            sheet.row(header)?;
        }
        Some(_) => sheet.row(mpbatch::COLUMNS)?,
    }
    // The rows are read from the state file on this thread while another
    // counts and writes them: the two halves of the work, on two cores.
    std::thread::scope(|s| {
        let (mut giver, taken) = handoff::channel::<StoredRow>();
        let writer = s.spawn(move || -> anyhow::Result<Summary> {
            let mut summary = Summary::default();
            let mut record: Vec<String> = Vec::with_capacity(width + RESULT_COLUMNS.len());
            for row in taken {
                summary.add(&row)?;
                record.clear();
                match key_columns {
                    None => {
                        record.extend(original_cells(&row.fields, width, batch.delimiter));
                        record.extend(result_cells(&row, dialect));
                        if kinds {
                            record.push(
                                row.ask
                                    .as_ref()
                                    .map_or("", |a| a.kind().as_str())
                                    .to_owned(),
                            );
                        }
                    }
                    Some(columns) => record.extend(mpbatch::cells(&row, columns, dialect)),
                }
                sheet.row(&record)?;
            }
            Ok(summary)
        });
        let read = ledger.for_each_row(&batch.id, |row| Ok(giver.give(row)?));
        // Ends the writer's rows, whether or not the reading went to the end.
        let ended = giver.finish();
        let written = writer
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        // The writer's own error (a full disk) is why the reading stopped.
        let summary = written?;
        read?;
        ended?;
        Ok(summary)
    })
}

/// The input's header, except that a column named like one of ours (`outcome`,
/// `row`...) becomes `input_outcome`: the results keep one column per name, ours
/// keep the names the README documents, and the user's values stay in place.
pub(crate) fn original_header(header: &[String]) -> Vec<String> {
    named_apart(header, RESULT_COLUMNS.iter())
}

/// [`original_header`] against the columns `ours` names.
fn named_apart<'a>(
    header: &[String],
    ours: impl Iterator<Item = &'a &'a str> + Clone,
) -> Vec<String> {
    let taken = |h: &str| ours.clone().any(|c| c.eq_ignore_ascii_case(h.trim()));
    header
        .iter()
        .map(|h| {
            let mut name = h.clone();
            while taken(&name) {
                name = format!("input_{}", name.trim());
            }
            neutralise(&name)
        })
        .collect()
}

/// Exactly `width` cells, so the result columns stay aligned: a short (invalid)
/// row is padded; a long one keeps its extra cells, joined by the delimiter, in
/// the last column — nothing the user gave is dropped.
pub(crate) fn original_cells(fields: &[String], width: usize, delimiter: u8) -> Vec<String> {
    let mut cells: Vec<String> = fields.iter().map(|f| neutralise(f)).collect();
    if width > 0 && cells.len() > width {
        let tail = cells.split_off(width - 1);
        cells.push(tail.join(&char::from(delimiter).to_string()));
    }
    cells.resize(width, String::new());
    cells
}

/// The refunded amount has the currency's decimals and the dialect's decimal
/// mark; the sheet neutralises the free-text cells.
fn result_cells(row: &StoredRow, dialect: Dialect) -> [String; 13] {
    let opt = |v: Option<String>| v.unwrap_or_default();
    let r = &row.result;
    let refund = r.refund.as_ref();
    let cause = r.cause.as_ref();
    [
        row.row_no.to_string(),
        opt(row.ask.as_ref().map(|a| a.key.to_string())),
        r.outcome.as_str().to_owned(),
        opt(r.http_status.map(|s| s.to_string())),
        opt(refund.map(|f| f.id.clone())),
        opt(refund.map(|f| f.status.to_string())),
        opt(r
            .refunded()
            .map(|a| dialect.amount(crate::domain::money::fixed(row.currency, a)))),
        opt(cause.map(|c| c.code.to_string())),
        opt(cause.map(|c| c.message.clone())),
        opt(r.retryable.map(|b| b.to_string())),
        r.attempts.to_string(),
        opt(r.last_attempt_at_ms.map(rfc3339)),
        match Done::of(row) {
            Some(true) => "already_done".to_owned(),
            Some(false) => "new".to_owned(),
            None => String::new(),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn why_results_were_not_written() {
        use anyhow::Context;
        let full = std::io::Error::from_raw_os_error(28); // ENOSPC
        let e = anyhow::Error::from(full).context("writing out.csv");
        assert_eq!(failure_of(&e), Failure::Output);
        let busy = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
            None,
        );
        assert_eq!(failure_of(&busy.into()), Failure::Transient);
        let corrupt = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CORRUPT),
            None,
        );
        assert_eq!(failure_of(&corrupt.into()), Failure::Damaged);
        let cell = anyhow::anyhow!("state file: row 2 has bad cells");
        assert_eq!(failure_of(&cell), Failure::Damaged);
        let marked = mark_damage(mark_damage(anyhow::anyhow!("row 2")));
        assert!(marked.chain().any(|e| e.is::<crate::error::Damaged>()));
        assert_eq!(format!("{marked:#}").matches("damaged").count(), 1);
        let output = mark_damage(
            Err::<(), _>(std::io::Error::from_raw_os_error(28))
                .context("x")
                .unwrap_err(),
        );
        // Neither damage nor an outage: a person must look, not "stopped early,
        // resumable".
        assert!(!output.chain().any(|e| e.is::<crate::error::Damaged>()));
        assert_eq!(failure_of(&output), Failure::Output);
    }

    #[test]
    fn input_columns_named_like_ours_are_renamed() {
        let header: Vec<String> = ["payment_id", "Outcome", "row", "note", "=x"]
            .map(String::from)
            .to_vec();
        assert_eq!(
            original_header(&header),
            ["payment_id", "input_Outcome", "input_row", "note", "'=x"]
        );
    }

    #[test]
    fn original_cells_keep_their_width() {
        let f = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(original_cells(&f(&["1", "2"]), 3, b','), f(&["1", "2", ""]));
        assert_eq!(
            original_cells(&f(&["1", "2", "5"]), 2, b','),
            f(&["1", "2,5"])
        );
        assert_eq!(
            original_cells(&f(&["1", "=x", "y"]), 2, b';'),
            f(&["1", "'=x;y"])
        );
    }

    #[test]
    fn sums_that_overflow_are_an_error_not_a_panic() {
        let mut m = Money::default();
        add_to(&mut m.asked, "BRL", Decimal::MAX).unwrap();
        assert!(add_to(&mut m.asked, "BRL", Decimal::MAX).is_err());
        assert_eq!(m.asked, Decimal::MAX);
    }
}
