//! `mprefund plan`: validate the input and print what `run` would do; with
//! `--online`, also read every payment and predict each row's outcome.

use std::path::PathBuf;

use clap::Args;

use crate::cli::args::{InputArgs, OutArg, SendArgs, WindowArg};
use crate::cli::session::{Session, show};
use crate::cli::settings::{self, JobFile};
use crate::{Exit, Usage, commands, state_home};

#[derive(Args, Debug)]
pub struct PlanArgs {
    /// The spreadsheet (CSV) to check.
    #[arg(required_unless_present = "job")]
    pub input: Option<PathBuf>,
    /// Take the input, state file and settings from a job file (TOML); flags override it.
    #[arg(long)]
    pub job: Option<PathBuf>,
    /// The state file `run` would use, for the refunds earlier batches made
    /// (read, never written) [default: the account's, $XDG_STATE_HOME/mprefund/<namespace>.db]
    #[arg(long)]
    pub state: Option<PathBuf>,
    /// Also read every payment from the API (GETs only) and predict each row's
    /// outcome; writes a plan CSV.
    #[arg(long)]
    pub online: bool,
    #[command(flatten)]
    pub out: OutArg,
    #[command(flatten)]
    pub window: WindowArg,
    #[command(flatten)]
    pub input_args: InputArgs,
    #[command(flatten)]
    pub send: SendArgs,
}

pub(crate) async fn exec(a: PlanArgs, session: &Session) -> anyhow::Result<Exit> {
    let job = JobFile::load_opt(a.job.as_deref())?;
    let input = a
        .input
        .clone()
        .or(job.input.clone())
        .ok_or_else(|| Usage("no input: give INPUT.csv or a job file with `input`".into()))?;
    let opts = settings::input_options(&a.input_args, &job)?;
    let state = match a.state.clone().or(job.state.clone()) {
        Some(s) => s,
        None => state_home::default_state(Some(&input), &opts.namespace, true)?,
    };
    let rate = a
        .send
        .rate
        .or(job.rate)
        .unwrap_or(settings::runner_rate_default());
    let report = commands::plan::plan(&input, &opts, Some(&state))?;
    show(&mut std::io::stdout().lock(), |w| report.render(w, rate))?;
    let offline = if report.clean() {
        Exit::Ok
    } else {
        Exit::Usage
    };
    if !a.online {
        return Ok(offline);
    }
    let req = commands::online::OnlineRequest {
        input,
        input_options: opts,
        send: settings::send_options(&a.send, &job)?,
        out: a.out.out.clone(),
        refund_window_days: a
            .window
            .refund_window_days
            .unwrap_or(crate::cli::args::DEFAULT_REFUND_WINDOW_DAYS),
        state: Some(state),
    };
    let predicted = commands::online::plan_online(req, session.stop()).await?;
    show(&mut std::io::stdout().lock(), |w| {
        writeln!(w)?;
        predicted.render(w)
    })?;
    // Bad lines or rows guarded by the state file still refuse the run.
    Ok(
        if offline == Exit::Usage && predicted.exit != Exit::Stopped {
            Exit::Usage
        } else {
            predicted.exit
        },
    )
}
