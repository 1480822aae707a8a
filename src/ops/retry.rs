//! `mprefund retry`: a batch's failed rows (the retryable ones, or all) back to
//! pending, then sent again with their original keys — re-sending is safe because
//! the key makes the API replay what it already did.
//!
//! Rows still pending (a run that stopped early) are `run`'s to finish: `retry`
//! refuses to send them unless `--include-pending`, so it re-sends what it says.

use std::path::Path;
use std::time::Instant;

use super::batch::{self, Finished, OutputOptions, SendOptions};
use crate::Usage;
use crate::domain::Outcome;
use crate::engine::send::Stop;
use crate::store::lock::BatchLock;

/// Which batch, which rows, and how the commands it names reach the batch.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Retry<'a> {
    pub state: &'a Path,
    pub pick: &'a batch::Pick,
    /// Also the rows that failed for good.
    pub all_failed: bool,
    /// Also the rows still to send.
    pub include_pending: bool,
    pub reach: &'a crate::domain::steps::Reach,
}

pub(crate) async fn retry(
    r: Retry<'_>,
    send: &SendOptions,
    output: &OutputOptions,
    stop: Stop,
) -> anyhow::Result<Finished> {
    let Retry {
        state,
        pick,
        all_failed,
        include_pending,
        reach,
    } = r;
    let started = Instant::now();
    let mut ledger = batch::open_existing(state)?;
    let batch = batch::select_batch(&ledger, state, pick)?;
    // The batch's own files, checked before anything changes.
    let output = &output.for_batch(&batch);
    let out = batch::out_for(&batch, output);
    batch::check_outputs(Some(Path::new(&batch.input_path)), state, &out, output)?;
    let lock = BatchLock::acquire(state, &batch.id, "retry")?;
    let pending = ledger
        .outcome_counts(&batch.id)?
        .get(&Outcome::Pending)
        .copied()
        .unwrap_or(0);
    if pending > 0 && !include_pending {
        return Err(Usage(format!(
            "batch {} has {pending} row(s) still pending (a run stopped before it sent them), \
             which retry sends only with --include-pending; nothing was sent. To send them, \
             and the failed rows that may pass now: {}",
            batch.id,
            reach
                .on(&batch.id, true)
                .command(crate::domain::steps::Step::Resume)
        ))
        .into());
    }
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
    let finished = batch::send_and_report(
        ledger,
        &batch,
        send,
        output,
        &out,
        stop,
        batch::Launch {
            started,
            tonight: None,
            earlier: &[],
        },
    )
    .await?;
    lock.release(finished.nothing_left());
    Ok(finished)
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
