//! `mprefund status`: what the state file knows of a batch — where it came from,
//! its settings, who runs it now, and counts and amounts per outcome and cause.

use std::io::Write;
use std::path::Path;

use super::batch;
use crate::clock::rfc3339;
use crate::ledger::Batch;
use crate::report::Summary;

#[derive(Debug)]
pub(crate) struct StatusReport {
    pub batch: Batch,
    pub last_write_ms: Option<i64>,
    /// The lock file's text when a run holds the batch now.
    pub holder: Option<String>,
    pub summary: Summary,
}

pub(crate) fn status(state: &Path, pick: &batch::Pick) -> anyhow::Result<StatusReport> {
    let ledger = batch::open_existing(state)?;
    let batch = batch::select_batch(&ledger, state, pick)?;
    let summary = Summary::of(&ledger, &batch.id)?;
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
        self.summary.render(w)
    }
}
