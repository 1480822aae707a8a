//! `mprefund status`: what the state file knows of a batch — where it came from,
//! its settings, who runs it now, and counts and amounts per outcome and cause;
//! with `--failed`, every row that needs a human (failed, invalid, or refunded
//! otherwise than asked), by input line, and what each cause means and what to
//! do next (from `causes`).

use std::io::Write;
use std::path::Path;

use super::batch;
use crate::domain::clock::rfc3339;
use crate::domain::ending::{Ending, Exit};
use crate::domain::settings::Concurrency;
use crate::domain::{CauseCode, Outcome, Requested};
use crate::sheets::report::Summary;
use crate::store::ledger::{Batch, BatchSettings};

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
                let needs_human = matches!(
                    r.outcome,
                    Outcome::Failed | Outcome::Invalid | Outcome::Unknown
                ) || code.is_some_and(CauseCode::is_mismatch);
                if needs_human {
                    out.push(Flagged {
                        line: row.line,
                        row_no: row.row_no,
                        payment: row
                            .ask
                            .as_ref()
                            .map(|a| a.target.to_string())
                            .unwrap_or_default(),
                        amount: match row.ask.as_ref().map(|a| a.requested) {
                            Some(Requested::Partial(a)) => {
                                crate::domain::money::fixed(row.currency, a.get()).to_string()
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
    let lock = crate::store::lock::lock_path(state, &batch.id);
    let holder = crate::store::lock::is_held(&lock)
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
    /// For stdout: people and scripts alike; its next steps reach the batch as
    /// `reach`.
    pub(crate) fn render(
        &self,
        w: &mut dyn Write,
        reach: &crate::domain::steps::Reach,
    ) -> std::io::Result<()> {
        let b = &self.batch;
        let next = reach.on(&b.id, self.summary.count(Outcome::Pending) > 0);
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
        self.summary.render(w, &next)?;
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
            let known: Vec<(String, crate::domain::causes::Meaning)> = codes
                .into_iter()
                .filter_map(|(text, c)| crate::domain::causes::meaning(c).map(|m| (text, m)))
                .collect();
            if !known.is_empty() {
                writeln!(w)?;
                writeln!(w, "causes:")?;
            }
            for (code, m) in known {
                let step = match m.next {
                    // `status --failed` is this very list.
                    crate::domain::causes::Next::FixRow => {
                        "fix the rows in the spreadsheet and send them in a new file".to_owned()
                    }
                    crate::domain::causes::Next::NeedsPerson => "a person must look".to_owned(),
                    n => next.cause(n),
                };
                writeln!(w, "  {code:<22} {}; next: {step}", m.what)?;
            }
        }
        Ok(())
    }
}

/// The batch's settings as `key value` pairs a person reads: rates per second,
/// concurrency said as such, yes/no for switches, unset ones left out. Fields
/// added to the settings later show under their own name.
fn settings_lines(settings: &BatchSettings) -> Vec<(String, String)> {
    let sending = &settings.sending;
    let rate = sending.rate.rate;
    let mut out = vec![
        (
            "rate".to_owned(),
            if sending.rate.adaptive {
                format!("at most {rate} requests/s (adaptive)")
            } else {
                format!("{rate} requests/s (fixed)")
            },
        ),
        (
            "concurrency".to_owned(),
            match sending.concurrency {
                Concurrency::Auto { max } => format!("auto, at most {max} in flight"),
                Concurrency::Fixed(n) => format!("{n} in flight"),
            },
        ),
    ];
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
            serde_json::Value::Number(n) if matches!(key.as_str(), "timeout" | "grace") => {
                format!("{n} s")
            }
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

/// `status` only reads: a report shown is a success, whatever the batch holds.
impl Ending for StatusReport {
    fn exit(&self) -> Exit {
        Exit::Ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(json: &str) -> Vec<(String, String)> {
        settings_lines(&serde_json::from_str(json).unwrap())
    }

    fn shown<'a>(lines: &'a [(String, String)], key: &str) -> Option<&'a str> {
        lines
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// A batch an earlier version stored reads as it did: rate and concurrency
    /// said as such, switches yes/no, unset ones left out.
    #[test]
    fn an_earlier_batchs_settings_read_as_lines() {
        let l = lines(
            r#"{"out":"/r.csv","api_base":null,"rate":20,"fixed_rate":true,"concurrency":4,
                "concurrency_auto":false,"allow_duplicates":false,"skip_invalid":true}"#,
        );
        assert_eq!(shown(&l, "rate"), Some("20 requests/s (fixed)"));
        assert_eq!(shown(&l, "concurrency"), Some("4 in flight"));
        assert_eq!(shown(&l, "results"), Some("/r.csv"));
        assert_eq!(shown(&l, "skip invalid"), Some("yes"));
        assert_eq!(shown(&l, "api base"), None);
        assert_eq!(shown(&l, "fixed rate"), None);
        let l = lines(r#"{"rate":5,"concurrency":32,"concurrency_auto":true}"#);
        assert_eq!(shown(&l, "rate"), Some("at most 5 requests/s (adaptive)"));
        assert_eq!(shown(&l, "concurrency"), Some("auto, at most 32 in flight"));
    }

    /// What a batch stores now: every setting of how it sent, under its flag's name.
    #[test]
    fn a_batchs_sending_settings_read_as_lines() {
        let settings = BatchSettings::default();
        let l = settings_lines(&settings);
        assert_eq!(shown(&l, "rate"), Some("at most 10 requests/s (adaptive)"));
        assert_eq!(shown(&l, "timeout"), Some("60 s"));
        assert_eq!(shown(&l, "grace"), Some("10 s"));
        assert_eq!(shown(&l, "max attempts"), Some("6"));
        assert_eq!(shown(&l, "breaker"), Some("25"));
        assert_eq!(l.iter().filter(|(k, _)| k == "rate").count(), 1);
    }
}
