//! `mprefund status`: counts and amounts per outcome and cause of a batch.

use clap::Args;

use crate::cli::args::BatchArgs;
use crate::cli::session::{Session, show};
use crate::cli::settings::{self, JobFile};
use crate::{Exit, commands};

#[derive(Args, Debug)]
pub struct StatusArgs {
    #[command(flatten)]
    pub batch: BatchArgs,
    /// Also list every row that needs a human (failed, invalid, or refunded otherwise
    /// than asked): line, row, payment, amount, outcome, cause code and message.
    #[arg(long)]
    pub failed: bool,
}

pub(crate) fn exec(a: StatusArgs, _session: &Session) -> anyhow::Result<Exit> {
    let job = JobFile::load_opt(a.batch.job.as_deref())?;
    let state = settings::state_of(&a.batch, &job)?;
    let report = commands::status::status(&state, &settings::pick_of(&a.batch, &job), a.failed)?;
    show(&mut std::io::stdout().lock(), |w| report.render(w))?;
    Ok(Exit::Ok)
}
