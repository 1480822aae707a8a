//! `mprefund report`: (re)write a batch's results CSV from the state file.

use clap::Args;

use crate::Exit;
use crate::cli::args::{BatchArgs, OutArg};
use crate::cli::session::{Session, finished};
use crate::cli::settings::{self, JobFile};
use crate::commands::{self, OutputOptions};

#[derive(Args, Debug)]
pub struct ReportArgs {
    #[command(flatten)]
    pub batch: BatchArgs,
    #[command(flatten)]
    pub out: OutArg,
}

pub(crate) fn exec(a: ReportArgs, session: &Session) -> anyhow::Result<Exit> {
    let job = JobFile::load_opt(a.batch.job.as_deref())?;
    let state = settings::state_of(&a.batch, &job)?;
    let output = OutputOptions {
        out: a.out.out.clone().or(job.out.clone()),
        mode: Some(session.mode),
        ..OutputOptions::default()
    };
    let f = commands::report::report(&state, &settings::pick_of(&a.batch, &job), &output)?;
    finished(&f, session)
}
