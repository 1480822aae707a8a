//! `mprefund console`: the state file and input settings resolved as every
//! command over batches resolves them (`--state`, else the job's, else the
//! account's), then the console (`crate::console`) takes over.

use crate::Exit;
use crate::cli::args::{InputArgs, SendArgs};
use crate::cli::session::Session;
use crate::cli::settings::{self, JobFile, Layer};
use crate::console::ConsoleArgs;

pub(crate) async fn exec(a: ConsoleArgs, _session: &Session) -> anyhow::Result<Exit> {
    let job = JobFile::load_opt(a.job.as_deref())?;
    let state = settings::state_of(a.state.as_deref(), &job.common("console")?)?;
    // Uploads are read as `plan` reads the job's input: its delimiter, namespace…
    let input = settings::input_options(&job.layer::<InputArgs>("console")?);
    // Sending is `run`'s: the same settings, the token read the same way. A
    // console without a token still serves; it only cannot approve or send.
    let send = if a.command.is_none() {
        settings::send_options(&a.send.clone().over(job.layer::<SendArgs>("console")?))
    } else {
        Err(anyhow::anyhow!("not serving"))
    };
    crate::console::exec(a, state, input, send).await
}
