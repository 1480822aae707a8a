//! `mprefund report`: (re)write a batch's results CSV from the state file.

use clap::Args;
use serde::Deserialize;

use crate::Exit;
use crate::cli::args::{BatchArgs, OutArg, ResultsFormatArg, layered};
use crate::cli::session::{Session, finished};
use crate::cli::settings::{self, JobFile, Layer};
use crate::ops::{self, OutputOptions};
use crate::domain::steps::Reach;

layered! {
    #[derive(Args, Debug, Default, Deserialize)]
    #[serde(default)]
    pub struct ReportArgs {
        #[command(flatten)]
        #[serde(flatten)]
        pub batch: BatchArgs,
        #[command(flatten)]
        #[serde(flatten)]
        pub out: OutArg,
        #[command(flatten)]
        #[serde(flatten)]
        pub format: ResultsFormatArg,
    }
}

pub(crate) fn exec(flags: ReportArgs, session: &Session) -> anyhow::Result<Exit> {
    let job = JobFile::load_opt(flags.batch.job.as_deref())?;
    let (job_flag, state_flag) = (flags.batch.job.clone(), flags.batch.state.clone());
    let a = flags.over(job.layer("report")?);
    let common = job.common("report")?;
    let state = settings::state_of(a.batch.state.as_deref(), &common)?;
    let output = OutputOptions {
        // Else where the batch's run wrote them.
        out: a.out.out.clone(),
        mode: Some(session.mode),
        results_format: a.format.results_format,
        ..OutputOptions::default()
    };
    let pick = settings::pick_of(a.batch.batch.as_deref(), &common);
    let f = ops::report::report(&state, &pick, &output)?;
    let reach = Reach::new(
        job_flag.as_deref(),
        state_flag.as_deref(),
        Some(&state),
        None,
        None,
    );
    finished(&f, &reach, session)
}
