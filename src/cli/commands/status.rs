//! `mprefund status`: counts and amounts per outcome and cause of a batch.

use clap::Args;
use serde::Deserialize;

use crate::cli::args::{BatchArgs, layered};
use crate::cli::session::{Session, show};
use crate::cli::settings;
use crate::domain::ending::Ending;
use crate::{Exit, ops};

layered! {
    #[derive(Args, Debug, Default, Deserialize)]
    #[serde(default)]
    pub struct StatusArgs {
        #[flatten]
        pub batch: BatchArgs,
        /// Also list every row that needs a human (failed, invalid, or refunded otherwise
        /// than asked): line, row, payment, amount, outcome, cause code and message.
        #[arg(long)]
        pub failed: bool,
    }
}

pub(crate) fn exec(flags: StatusArgs, _session: &Session) -> anyhow::Result<Exit> {
    let (a, common, flagged) = settings::over_job(flags, |f| &f.batch, "status", None)?;
    let state = settings::state_of(a.batch.state.as_deref(), &common)?;
    let pick = settings::pick_of(a.batch.batch.as_deref(), &common);
    let report = ops::status::status(&state, &pick, a.failed)?;
    // `status` reads no token: the commands it names take it as the job file
    // or the environment gives it.
    let reach = flagged.reach(Some(&state));
    show(&mut std::io::stdout().lock(), |w| report.render(w, &reach))?;
    Ok(report.exit())
}
