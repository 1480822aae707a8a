//! `mprefund retry`: send a batch's failed rows again, with their own keys.

use std::path::PathBuf;

use clap::Args;

use crate::cli::args::{BatchArgs, OutputArgs, SendArgs};
use crate::cli::session::{self, Session, finished};
use crate::cli::settings::{self, JobFile};
use crate::{Exit, Usage, commands};

#[derive(Args, Debug)]
pub struct RetryArgs {
    #[command(flatten)]
    pub batch: BatchArgs,
    /// Also re-send the rows that failed permanently (asks first unless --yes).
    #[arg(long)]
    pub all_failed: bool,
    /// Answer yes to confirmations.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Also send the rows still pending (a run that stopped early): `run` is the
    /// command for those; retry refuses them unless asked.
    #[arg(long)]
    pub include_pending: bool,
    #[command(flatten)]
    pub send: SendArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

pub(crate) async fn exec(a: RetryArgs, session: &Session) -> anyhow::Result<Exit> {
    let started = std::time::Instant::now();
    let job = JobFile::load_opt(a.batch.job.as_deref())?;
    let output = settings::output_options(&a.output, &job, session.mode);
    let state = settings::state_of(&a.batch, &job);
    let ran = async {
        let state = state.as_ref().map_err(Usage::clone)?;
        let send = settings::send_options(&a.send, &job)?;
        let pick = settings::pick_of(&a.batch, &job);
        if a.all_failed {
            let (id, retryable, permanent) = commands::retry::failed_counts(state, &pick)?;
            let q = format!(
                "re-send {} failed row(s) of batch {id}, {permanent} of which the API refused for good?",
                retryable + permanent
            );
            if !session::confirm(&q, a.yes)? {
                return Err(Usage("not confirmed; nothing sent".into()).into());
            }
        }
        commands::retry::retry(
            state,
            &pick,
            a.all_failed,
            a.include_pending,
            &send,
            &output,
            session.stop(),
        )
        .await
    }
    .await;
    match ran {
        Ok(f) => finished(&f, session),
        Err(e) => {
            // As for `run`: a retry that ended without results still tells
            // monitoring, with its real exit code.
            let state = state.as_ref().ok().map(PathBuf::as_path);
            commands::report_failure(
                None,
                state,
                &output,
                Exit::of_error(&e),
                &format!("{e:#}"),
                started,
            );
            Err(e)
        }
    }
}
