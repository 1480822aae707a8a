//! `mprefund report`: (re)writes a batch's results CSV from the state file alone,
//! byte for byte what the run wrote for the same state.

use std::path::Path;

use super::batch::{self, Finished, OutputOptions};
use crate::Exit;

pub(crate) fn report(
    state: &Path,
    pick: &batch::Pick,
    output: &OutputOptions,
) -> anyhow::Result<Finished> {
    let ledger = batch::open_existing(state)?;
    let batch = batch::select_batch(&ledger, state, pick)?;
    let out = batch::out_for(&batch, output);
    batch::check_outputs(Some(Path::new(&batch.input_path)), state, &out, output)?;
    let summary = crate::report::write_results(&ledger, &batch, &out)?;
    Ok(Finished {
        batch_id: batch.id,
        summary,
        stopped: None,
        results: out,
        exit: Exit::Ok,
        rate: None,
        peak_in_flight: None,
    })
}
