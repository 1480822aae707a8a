//! `mprefund report`: (re)writes a batch's results CSV from the state file alone,
//! byte for byte what the run wrote for the same state.

use std::path::Path;

use super::batch::{self, Finished, OutputOptions};
use crate::Usage;
use crate::sheets::report::Failure;

pub(crate) fn report(
    state: &Path,
    pick: &batch::Pick,
    output: &OutputOptions,
) -> anyhow::Result<Finished> {
    let started = std::time::Instant::now();
    let ledger = batch::open_existing(state)?;
    let batch = batch::select_batch(&ledger, state, pick)?;
    let out = batch::out_for(&batch, output);
    batch::check_outputs(Some(Path::new(&batch.input_path)), state, &out, output)?;
    // `report` sends nothing: a file it cannot write is the user's to fix (exit
    // 2), never "stopped early, resumable".
    let format = batch::format_for(&batch, output);
    let summary = crate::sheets::report::write_results(&ledger, &batch, &out, format).map_err(|e| {
        match crate::sheets::report::failure_of(&e) {
            Failure::Output => anyhow::Error::from(Usage(format!(
                "cannot write the results to {}: {e:#}; free space there or give another --out (the state file is untouched)",
                out.display()
            ))),
            Failure::Transient | Failure::Damaged => e,
        }
    })?;
    Ok(Finished {
        batch_id: batch.id,
        summary,
        stopped: None,
        results: out,
        earlier: Vec::new(),
        rewritten_only: true,
        rate: None,
        peak_in_flight: None,
        input: batch.input_path,
        span: batch::Span::since(started),
        beyond: crate::engine::metrics::Beyond::default(),
    })
}
