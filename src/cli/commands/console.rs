//! `mprefund console`: the state file and input settings resolved as every
//! command over batches resolves them (`--state`, else the job's, else the
//! account's), then the console (`crate::console`) takes over.

use crate::Exit;
use crate::cli::args::InputArgs;
use crate::cli::session::Session;
use crate::cli::settings::{self, JobFile};
use crate::console::ConsoleArgs;

pub(crate) async fn exec(a: ConsoleArgs, _session: &Session) -> anyhow::Result<Exit> {
    let job = JobFile::load_opt(a.job.as_deref())?;
    let state = settings::state_of(a.state.as_deref(), &job.common("console")?)?;
    // Uploads are read as `plan` reads the job's input: its delimiter, namespace…
    let input = settings::input_options(&job.layer::<InputArgs>("console")?);
    crate::console::exec(a, state, input).await
}
