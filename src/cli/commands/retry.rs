//! `mprefund retry`: send a batch's failed rows again, with their own keys.

use std::path::PathBuf;

use clap::Args;
use serde::Deserialize;

use crate::cli::args::{BatchArgs, NotifyArg, OutputArgs, SendArgs, layered};
use crate::cli::session::{self, Session, finished};
use crate::cli::settings::{self, JobFile, Layer};
use crate::domain::steps::Reach;
use crate::{Exit, Usage, ops};

layered! {
    #[derive(Args, Debug, Default, Deserialize)]
    #[serde(default)]
    pub struct RetryArgs {
        #[command(flatten)]
        #[serde(flatten)]
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
        #[command(flatten)]
        #[serde(flatten)]
        pub send: SendArgs,
        #[command(flatten)]
        #[serde(flatten)]
        pub output: OutputArgs,
        #[command(flatten)]
        #[serde(flatten)]
        pub notify: NotifyArg,
    }
}

pub(crate) async fn exec(flags: RetryArgs, session: &Session) -> anyhow::Result<Exit> {
    let started = std::time::Instant::now();
    let job = JobFile::load_opt(flags.batch.job.as_deref())?;
    let (job_flag, state_flag) = (flags.batch.job.clone(), flags.batch.state.clone());
    let token_flag = settings::token_from(&flags.send.token);
    let a = flags.over(job.layer("retry")?);
    let output = settings::output_options(&a.output, session.mode);
    let common = job.common("retry")?;
    let state = settings::state_of(a.batch.state.as_deref(), &common);
    let reach = Reach::new(
        job_flag.as_deref(),
        state_flag.as_deref(),
        state.as_deref().ok(),
        token_flag,
        None,
    );
    let notifier = settings::notifier(&a.notify, &a.send)?;
    let ran = async {
        let state = state.as_ref().map_err(Usage::clone)?;
        let send = settings::send_options(&a.send)?;
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
    match &exit {
        Ok(e) => tell.ended("the retry", *e, None),
        Err(e) => tell.ended(
            "the retry",
            crate::exit::of_error(e),
            Some(&format!("{e:#}")),
        ),
    }
    // Money is done by now: the notification only waits its bounded turn.
    tell.deliver(notifier.as_ref()).await;
    exit
}
