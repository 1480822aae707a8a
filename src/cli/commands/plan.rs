//! `mprefund plan`: validate the input and print what `run` would do; with
//! `--online`, also read every payment and predict each row's outcome.

use std::path::PathBuf;

use clap::Args;
use serde::Deserialize;

use crate::cli::args::{
    DEFAULT_REFUND_WINDOW_DAYS, InputArgs, OutArg, SendArgs, WindowArg, layered,
};
use crate::cli::session::{Session, show};
use crate::cli::settings::{self, JobFile, Layer};
use crate::domain::ending::Ending;
use crate::{Exit, Usage, ops, store::state_home};

layered! {
    #[derive(Args, Debug, Default, Deserialize)]
    #[serde(default)]
    pub struct PlanArgs {
        /// The spreadsheet (CSV) to check.
        #[arg(required_unless_present = "job")]
        pub input: Option<PathBuf>,
        /// Take the input, state file and settings from a job file (TOML); flags override it.
        #[arg(long)]
        #[serde(skip)]
        pub job: Option<PathBuf>,
        /// The state file `run` would use, for the refunds earlier batches made
        /// (read, never written) [default: the account's, $XDG_STATE_HOME/mprefund/<namespace>.db]
        #[arg(long)]
        pub state: Option<PathBuf>,
        /// Also read every payment from the API (GETs only) and predict each row's
        /// outcome; writes a plan CSV.
        #[arg(long)]
        pub online: bool,
        #[flatten]
        pub out: OutArg,
        #[flatten]
        pub window: WindowArg,
        #[flatten]
        pub input_args: InputArgs,
        #[flatten]
        pub send: SendArgs,
    }
}

pub(crate) async fn exec(flags: PlanArgs, session: &Session) -> anyhow::Result<Exit> {
    let given = settings::given(&flags);
    let job = JobFile::load_opt(flags.job.as_deref())?;
    let a = flags.over(job.layer("plan")?);
    if !a.online {
        // Offline, plan is `run`'s dry run: the rate sizes the duration shown and
        // the API base is checked and shown; the rest of the sending is run's.
        let sending = settings::keys_of::<SendArgs>();
        settings::refuse_flags(
            &given,
            |k| matches!(k, "rate" | "api_base") || !sending.iter().any(|s| s == k),
            "without --online, plan reads no payment",
        )?;
        settings::refuse_flags(
            &given,
            |k| !matches!(k, "out" | "refund_window_days"),
            "only plan --online writes a plan CSV and predicts",
        )?;
    }
    let input = (a.input.clone())
        .ok_or_else(|| Usage("no input: give INPUT.csv or a job file with `input`".into()))?;
    let opts = settings::input_options(&a.input_args);
    let state = match a.state.clone() {
        Some(s) => s,
        None => state_home::default_state(Some(&input), &opts.namespace, true)?,
    };
    // The one read of the input; `--online` reads this copy again.
    let spooled = crate::sheets::input::Spooled::read(&input)?;
    let report = ops::plan::plan(&spooled, &opts, Some(&state), a.online)?;
    let api_base = match &a.send.api_base {
        Some(given) => Some(crate::api::client::check_api_base(given)?),
        None => None,
    };
    show(&mut std::io::stdout().lock(), |w| {
        report.render(w, settings::rate_of(&a.send))?;
        match &api_base {
            Some(url) if !a.online => writeln!(w, "\nrun would send to {url}"),
            _ => Ok(()),
        }
    })?;
    let offline = report.exit();
    let Some((summary, asked)) = report.into_online() else {
        return Ok(offline);
    };
    let req = ops::online::OnlineRequest {
        input: spooled,
        summary,
        asked,
        input_options: opts,
        send: settings::send_options(&a.send)?,
        out: a.out.out.clone(),
        refund_window_days: a
            .window
            .refund_window_days
            .unwrap_or(DEFAULT_REFUND_WINDOW_DAYS),
    };
    let predicted = ops::online::plan_online(req, session.stop()).await?;
    show(&mut std::io::stdout().lock(), |w| {
        writeln!(w)?;
        predicted.render(w)
    })?;
    Ok(ops::plan::Planned {
        offline,
        online: predicted.exit(),
    }
    .exit())
}
