//! `mprefund console`: the state file and input settings resolved as every
//! command over batches resolves them (`--state`, else the job's, else the
//! account's), its settings merged flag > `[console]` > the job's top level >
//! default, then the console (`crate::web`) takes over.

use crate::cli::args::InputArgs;
use crate::cli::session::Session;
use crate::cli::settings::{self, JobFile, Layer};
use crate::web::{ConsoleArgs, ConsoleSettings};
use crate::{Exit, Usage};

/// The job's state file, as `console` reads it.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct JobState {
    state: Option<std::path::PathBuf>,
}

pub(crate) async fn exec(mut a: ConsoleArgs, _session: &Session) -> anyhow::Result<Exit> {
    let job = JobFile::load_opt(a.job.as_deref())?;
    // `--state` is global to `console` and its `users`: the job's `state` by hand.
    let state = a.state.clone().or(job.layer::<JobState>("console")?.state);
    let state = settings::state_of(state.as_deref(), &job.common("console")?)?;
    // Accounts and the console's tables go in the state file: created by the
    // user the service runs as, never left to root.
    crate::store::state_owner::check(&state, &crate::store::state_owner::this_command())?;
    // Uploads are read as `plan` reads the job's input: its delimiter, namespace…
    let input = settings::input_options(&job.layer::<InputArgs>("console")?);
    // Sending is `run`'s: the same settings, the token read the same way. A
    // console without a usable token refuses to start, unless started to look
    // only: finance must not find out at "Approve".
    a.settings = a
        .settings
        .clone()
        .over(job.layer::<ConsoleSettings>("console")?);
    let send = match (&a.command, a.settings.without_token) {
        (Some(_), _) => Err(anyhow::anyhow!("not serving")),
        (None, true) => Err(anyhow::anyhow!(
            "started with --without-token: look only, nothing can be approved or sent"
        )),
        // A `Usage` error: the console refuses to start with it, once its
        // address and certificate are checked (those are said first).
        (None, false) => settings::send_options(&a.settings.send).map_err(|e| {
            Usage(format!(
                "the console has no usable access token ({e:#}): give it one \
                 (MP_ACCESS_TOKEN, --token-env VAR or --token-file FILE; token_file in the \
                 job file), or start it to look only, where nothing can be approved or sent, \
                 with --without-token"
            ))
            .into()
        }),
    };
    crate::web::exec(a, state, input, send).await
}
