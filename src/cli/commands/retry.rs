//! `mprefund retry`: send a batch's failed rows again, with their own keys.

use std::path::PathBuf;

use clap::Args;
use serde::Deserialize;

use crate::cli::args::{BatchArgs, SendingArgs, layered};
use crate::cli::session::{self, Session, finished};
use crate::cli::settings;
use crate::{Exit, Usage, ops};

layered! {
    #[derive(Args, Debug, Default, Deserialize)]
    #[serde(default)]
    pub struct RetryArgs {
        #[flatten]
        pub batch: BatchArgs,
        /// Also re-send the rows that failed permanently (asks first unless --yes).
        #[arg(long)]
        pub all_failed: bool,
        /// Answer yes to confirmations (--all-failed asks on a terminal, and is
        /// refused without one unless --yes).
        #[arg(long, short = 'y')]
        pub yes: bool,
        /// Also send the rows still pending (a run that stopped early): `run` is the
        /// command for those; retry refuses them unless asked.
        #[arg(long)]
        pub include_pending: bool,
        #[flatten]
        pub sending: SendingArgs,
    }
}

pub(crate) async fn exec(flags: RetryArgs, session: &Session) -> anyhow::Result<Exit> {
    let started = std::time::Instant::now();
    let token = settings::token_from(&flags.sending.send.token);
    let (a, common, flagged) = settings::over_job(flags, |f| &f.batch, "retry", token)?;
    let output = settings::output_options(&a.sending.output, session.mode);
    let state = settings::state_of(a.batch.state.as_deref(), &common);
    let reach = flagged.reach(state.as_deref().ok());
    let notifier = settings::notifier(&a.sending.notify, &a.sending.send)?;
    let ran = async {
        let state = state.as_ref().map_err(Usage::clone)?;
        let send = settings::send_options(&a.sending.send)?;
        let pick = settings::pick_of(a.batch.batch.as_deref(), &common);
        if a.all_failed {
            let (id, retryable, permanent) = ops::retry::failed_counts(state, &pick)?;
            let q = format!(
                "re-send {} failed row(s) of batch {id}, {permanent} of which the API refused for good?",
                retryable + permanent
            );
            if !session::confirm(&q, a.yes)? {
                return Err(Usage("not confirmed; nothing sent".into()).into());
            }
        }
        let which = ops::retry::Retry {
            state,
            pick: &pick,
            all_failed: a.all_failed,
            include_pending: a.include_pending,
            reach: &reach,
        };
        ops::retry::retry(which, &send, &output, session.stop())
        .await
    }
    .await;
    let mut tell = crate::engine::notify::Tell::default();
    let exit = match ran {
        Ok(f) => {
            f.tell(&mut tell, &reach);
            finished(&f, &reach, session)
        }
        Err(e) => {
            // As for `run`: a retry that ended without results still tells
            // monitoring, with its real exit code.
            let state = state.as_ref().ok().map(PathBuf::as_path);
            ops::report_failure(
                None,
                state,
                &output,
                crate::exit::of_error(&e),
                &format!("{e:#}"),
                started,
            );
            Err(e)
        }
    };
    session::tell_ended(tell, "the retry", exit, notifier.as_ref()).await
}
