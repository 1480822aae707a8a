//! `mprefund status`: what the state file knows of a batch — where it came from,
//! its settings, who runs it now, and counts and amounts per outcome and cause;
//! with `--failed`, every row that needs a human (failed, invalid, or refunded
//! otherwise than asked), by input line.

use std::io::Write;
use std::path::Path;

use super::batch;
use crate::clock::rfc3339;
use crate::domain::{Outcome, Requested};
use crate::ledger::Batch;
use crate::report::{MISMATCH_CAUSES, Summary};

/// A row that needs a human, as `status --failed` lists it.
#[derive(Debug)]
pub(crate) struct Flagged {
    pub line: u64,
    pub row_no: u64,
    pub payment: String,
    pub amount: String,
    pub outcome: Outcome,
    pub cause_code: String,
    pub cause_message: String,
}

#[derive(Debug)]
pub(crate) struct StatusReport {
    pub batch: Batch,
    pub last_write_ms: Option<i64>,
    /// The lock file's text when a run holds the batch now.
    pub holder: Option<String>,
    pub summary: Summary,
    /// With `--failed`: the rows that need a human, in input order.
    pub flagged: Option<Vec<Flagged>>,
}

pub(crate) fn status(
    state: &Path,
    pick: &batch::Pick,
    failed: bool,
) -> anyhow::Result<StatusReport> {
    let ledger = batch::open_existing(state)?;
    let batch = batch::select_batch(&ledger, state, pick)?;
    let summary = Summary::of(&ledger, &batch.id)?;
    let flagged = failed
        .then(|| -> anyhow::Result<Vec<Flagged>> {
            let mut out = Vec::new();
            ledger.for_each_row(&batch.id, |row| {
                let r = &row.result;
                let code = r.cause.as_ref().map_or("", |c| c.code.as_str());
                let needs_human = matches!(r.outcome, Outcome::Failed | Outcome::Invalid)
                    || MISMATCH_CAUSES.contains(&code);
                if needs_human {
                    out.push(Flagged {
                        line: row.line,
                        row_no: row.row_no,
                        payment: row
                            .ask
                            .as_ref()
                            .map(|a| a.payment_id.to_string())
                            .unwrap_or_default(),
                        amount: match row.ask.as_ref().map(|a| a.requested) {
                            Some(Requested::Partial(a)) => {
                                crate::totals::fixed(row.currency, a.get()).to_string()
                            }
                            Some(Requested::Full) => "full".to_owned(),
                            None => String::new(),
                        },
                        outcome: r.outcome,
                        cause_code: code.to_owned(),
                        cause_message: r
                            .cause
                            .as_ref()
                            .map(|c| c.message.clone())
                            .unwrap_or_default(),
                    });
                }
                Ok(())
            })?;
            Ok(out)
        })
        .transpose()?;
    let last_write_ms = ledger.last_activity_ms(&batch.id)?;
    let lock = crate::lock::lock_path(state, &batch.id);
    let holder = crate::lock::is_held(&lock)
        .then(|| std::fs::read_to_string(&lock).ok())
        .flatten()
        .map(|h| h.trim().to_owned());
    Ok(StatusReport {
        batch,
        last_write_ms,
        holder,
        summary,
        flagged,
    })
}

impl StatusReport {
    /// For stdout: people and scripts alike.
    pub(crate) fn render(&self, w: &mut dyn Write) -> std::io::Result<()> {
        let b = &self.batch;
        writeln!(w, "batch      {}", b.id)?;
        writeln!(w, "input      {} (sha256 {})", b.input_path, b.input_digest)?;
        writeln!(w, "created    {}", rfc3339(b.created_at_ms))?;
        if let Some(t) = self.last_write_ms {
            writeln!(w, "last write {}", rfc3339(t))?;
        }
        writeln!(w, "namespace  {}", b.namespace)?;
        let settings = serde_json::to_string(&b.settings).unwrap_or_default();
        writeln!(w, "settings   {settings}")?;
        if let Some(holder) = &self.holder {
            writeln!(w, "running    {holder}")?;
        }
        self.summary.render(w)?;
        if let Some(flagged) = &self.flagged {
            writeln!(w)?;
            writeln!(w, "rows that need a human: {}", flagged.len())?;
            if !flagged.is_empty() {
                writeln!(
                    w,
                    "{:>7} {:>7}  {:<14} {:>12}  {:<8} {:<24} message",
                    "line", "row", "payment", "amount", "outcome", "cause"
                )?;
            }
            for f in flagged {
                // One line each: a message never breaks the table.
                let message = f.cause_message.replace(['\n', '\r'], " ");
                writeln!(
                    w,
                    "{:>7} {:>7}  {:<14} {:>12}  {:<8} {:<24} {message}",
                    f.line,
                    f.row_no,
                    f.payment,
                    f.amount,
                    f.outcome.as_str(),
                    f.cause_code
                )?;
            }
        }
        Ok(())
    }
}
