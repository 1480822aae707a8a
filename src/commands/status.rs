//! `mprefund status`: what the state file knows of a batch — where it came from,
//! its settings, who runs it now, and counts and amounts per outcome and cause;
//! with `--failed`, every row that needs a human (failed, invalid, or refunded
//! otherwise than asked), by input line, and what each cause means and what to
//! do next (from `causes`).

use std::io::Write;
use std::path::Path;

use super::batch;
use crate::clock::rfc3339;
use crate::domain::{CauseCode, Outcome, Requested};
use crate::ledger::{Batch, BatchSettings};
use crate::report::Summary;

/// A row that needs a human, as `status --failed` lists it.
#[derive(Debug)]
pub(crate) struct Flagged {
    pub line: u64,
    pub row_no: u64,
    pub payment: String,
    pub amount: String,
    pub outcome: Outcome,
    pub cause_code: Option<CauseCode>,
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
                let code = r.cause.as_ref().map(|c| &c.code);
                let needs_human = matches!(r.outcome, Outcome::Failed | Outcome::Invalid)
                    || code.is_some_and(CauseCode::is_mismatch);
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
                                crate::money::fixed(row.currency, a.get()).to_string()
                            }
                            Some(Requested::Full) => "full".to_owned(),
                            None => String::new(),
                        },
                        outcome: r.outcome,
                        cause_code: code.cloned(),
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
        writeln!(w, "settings")?;
        for (key, value) in settings_lines(&b.settings) {
            writeln!(w, "  {key:<20} {value}")?;
        }
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
                        .as_ref()
                        .map(CauseCode::to_string)
                        .unwrap_or_default()
                )?;
            }
            // Each code once, with what it means and what to do next.
            let codes: std::collections::BTreeMap<String, &CauseCode> = flagged
                .iter()
                .filter_map(|f| f.cause_code.as_ref())
                .map(|c| (c.to_string(), c))
                .filter(|(text, _)| !text.is_empty())
                .collect();
            let known: Vec<(String, crate::causes::Meaning)> = codes
                .into_iter()
                .filter_map(|(text, c)| crate::causes::meaning(c).map(|m| (text, m)))
                .collect();
            if !known.is_empty() {
                writeln!(w)?;
                writeln!(w, "causes:")?;
            }
            for (code, m) in known {
                writeln!(w, "  {code:<22} {}; next: {}", m.what, m.next.as_str())?;
            }
        }
        Ok(())
    }
}

/// The batch's settings as `key value` pairs a person reads: rates per second,
/// concurrency said as such, yes/no for switches, unset ones left out. Fields
/// added to the settings later show under their own name.
fn settings_lines(settings: &BatchSettings) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(rate) = settings.rate {
        out.push((
            "rate".to_owned(),
            if settings.fixed_rate {
                format!("{rate} requests/s (fixed)")
            } else {
                format!("at most {rate} requests/s (adaptive)")
            },
        ));
    }
    if let Some(n) = settings.concurrency {
        out.push((
            "concurrency".to_owned(),
            if settings.concurrency_auto {
                format!("auto, at most {n} in flight")
            } else {
                format!("{n} in flight")
            },
        ));
    }
    let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(settings) else {
        return out;
    };
    for (key, value) in fields {
        let shown = match value {
            _ if matches!(
                key.as_str(),
                "rate" | "fixed_rate" | "concurrency" | "concurrency_auto"
            ) =>
            {
                continue;
            }
            serde_json::Value::Null => continue,
            serde_json::Value::Bool(b) => if b { "yes" } else { "no" }.to_owned(),
            serde_json::Value::String(t) => t,
            other => other.to_string(),
        };
        let name = match key.as_str() {
            "out" => "results".to_owned(),
            _ => key.replace('_', " "),
        };
        out.push((name, shown));
    }
    out
}
