//! `mprefund report`: (re)write a batch's results CSV from the state file.

use clap::Args;
use serde::Deserialize;

use crate::Exit;
use crate::cli::args::{BatchArgs, OutArg, ResultsFormatArg, layered};
use crate::cli::session::{Session, finished};
use crate::cli::settings;
use crate::ops::{self, OutputOptions};

layered! {
    #[derive(Args, Debug, Default, Deserialize)]
    #[serde(default)]
    pub struct ReportArgs {
        #[flatten]
        pub batch: BatchArgs,
        #[flatten]
        pub out: OutArg,
        #[flatten]
        pub format: ResultsFormatArg,
    }
}

pub(crate) fn exec(flags: ReportArgs, session: &Session) -> anyhow::Result<Exit> {
    let (a, common, flagged) = settings::over_job(flags, |f| &f.batch, "report", None)?;
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
    finished(&f, &flagged.reach(Some(&state)), session)
}
