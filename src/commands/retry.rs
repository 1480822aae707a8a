//! `mprefund retry`: a batch's failed rows (the retryable ones, or all) back to
//! pending, then sent again with their original keys — re-sending is safe because
//! the key makes the API replay what it already did.

use std::path::Path;
use std::time::Instant;

use super::batch::{self, Finished, OutputOptions, SendOptions};
use crate::lock::BatchLock;
use crate::runner::Stop;

pub(crate) async fn retry(
    state: &Path,
    pick: &batch::Pick,
    all_failed: bool,
    send: &SendOptions,
    output: &OutputOptions,
    stop: Stop,
) -> anyhow::Result<Finished> {
    let started = Instant::now();
    let mut ledger = batch::open_existing(state)?;
    let batch = batch::select_batch(&ledger, state, pick)?;
    let out = batch::out_for(&batch, output);
    batch::check_outputs(Some(Path::new(&batch.input_path)), state, &out, output)?;
    let _lock = BatchLock::acquire(state, &batch.id, "retry")?;
    let n = ledger.requeue_failed(&batch.id, all_failed)?;
    tracing::info!(
        "batch {}: {n} failed row(s) queued again{}",
        batch.id,
        if all_failed {
            ""
        } else {
            " (retryable ones; --all-failed for every failed row)"
        }
    );
    batch::send_and_report(ledger, &batch, send, output, &out, stop, started).await
}

/// Failed rows of the batch, for the confirmation `retry --all-failed` asks:
/// (batch id, retryable, permanent).
pub(crate) fn failed_counts(
    state: &Path,
    pick: &batch::Pick,
) -> anyhow::Result<(String, u64, u64)> {
    let ledger = batch::open_existing(state)?;
    let batch = batch::select_batch(&ledger, state, pick)?;
    let (retryable, permanent) = ledger.failed_counts(&batch.id)?;
    Ok((batch.id, retryable, permanent))
}
