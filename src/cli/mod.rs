//! Command-line surface, laid out as cargo's: [`Cli`] and the
//! dispatch here; the argument groups several commands share in `args`; job files
//! and the merging of settings in `settings`; logging, signals and prompts in
//! `session`; and each command's own flags and `exec` in `commands/<cmd>.rs`.
//! Every command returns its result's [`Exit`] ([`crate::exit::Ending`]); an
//! error is mapped at one boundary ([`Exit::from_result`]).

pub(crate) mod args;
mod commands;
mod session;
pub(crate) mod settings;
#[cfg(test)]
mod docs_pinned;

use clap::{Parser, Subcommand, ValueEnum};

use crate::Exit;
use session::Session;

use commands::plan::PlanArgs;
use commands::reconcile::ReconcileArgs;
use commands::report::ReportArgs;
use commands::retry::RetryArgs;
use commands::run::RunArgs;
use commands::status::StatusArgs;

#[derive(Parser, Debug)]
#[command(
    name = "mprefund",
    version,
    about = "Bulk, resumable, idempotent Mercado Pago refunds from a spreadsheet",
    after_help = "Exit codes: 0 every row refunded (or in process); 1 finished, some rows failed; \
                  2 usage or input error, nothing sent; 3 stopped early, resumable (run again); \
                  4 another run holds the batch; 5 the state file is damaged; \
                  6 stopped, a person must fix something first (token, permissions, --api-base); \
                  7 run --job: earlier batches of the job unfinished (resume_earlier = false); \
                  8 internal error, a person must look (not resumable as such).\n\
                  The access token comes from MP_ACCESS_TOKEN, --token-env or --token-file; it is never printed."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// More log detail (-v debug, -vv trace).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only warnings, errors and one summary line; no progress.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Log line format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Validate INPUT.csv, derive keys, print totals and every problem; sends nothing.
    Plan(PlanArgs),
    /// Refund every row of INPUT.csv; resumes when the state file already holds it.
    Run(RunArgs),
    /// Re-send the rows of a batch that ended failed and retryable (same keys).
    Retry(RetryArgs),
    /// Counts and amounts per outcome and cause of a batch in the state file.
    Status(StatusArgs),
    /// (Re)write the results CSV of a batch from the state file.
    Report(ReportArgs),
    /// Read a batch's payments back from the API and compare them with the state
    /// file: settle in-process rows, find refunds rejected later, missing, changed
    /// or made outside the tool. Sends no POST.
    Reconcile(ReconcileArgs),
    /// Serve a stateful local Mercado Pago refunds API, with fault injection.
    Sandbox(mprefund_sandbox::SandboxArgs),
    /// Run samples/ through plan and run against an in-process sandbox.
    Demo(crate::ops::demo::DemoArgs),
    /// Serve the web console (upload, plan, accounts, audit trail) over the
    /// state file; `console users ...` manages its accounts.
    Console(crate::web::ConsoleArgs),
}

pub async fn execute(cli: Cli) -> anyhow::Result<Exit> {
    let session = Session::start(&cli);
    match cli.command {
        Command::Plan(a) => commands::plan::exec(a, &session).await,
        Command::Run(a) => commands::run::exec(a, &session).await,
        Command::Retry(a) => commands::retry::exec(a, &session).await,
        Command::Status(a) => commands::status::exec(a, &session),
        Command::Report(a) => commands::report::exec(a, &session),
        Command::Reconcile(a) => commands::reconcile::exec(a, &session).await,
        Command::Sandbox(a) => mprefund_sandbox::serve_cli(a).await.map(|()| Exit::Ok),
        Command::Console(a) => commands::console::exec(a, &session).await,
        Command::Demo(a) => {
            use anyhow::Context;
            crate::ops::demo::run(a, session.mode).await.context("demo")
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// clap's own consistency checks (a `conflicts_with` naming no flag, two
    /// flags with one name), which otherwise run only when a command is parsed.
    #[test]
    fn the_command_line_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
