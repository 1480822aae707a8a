//! `mprefund run`: refund every row of the input, resuming the batch when the
//! state file already holds it. A run that ends without results still writes the
//! monitoring files it was asked for, with its real exit.

use std::path::PathBuf;

use clap::Args;

use serde::Deserialize;

use crate::cli::args::{
    CurrencyArg, DEFAULT_REFUND_WINDOW_DAYS, InputArgs, SendArgs, SendingArgs, WindowArg,
    de_guards, layered,
};
use crate::cli::session::{self, Session, finished, show};
use crate::cli::settings::{self, Flagged, JobFile, Layer};
use crate::domain::ending::Ending;
use crate::domain::totals::Guard;
use crate::engine::night::EarlierBatch;
use crate::ops::OutputOptions;
use crate::ops::run::{Earlier, Guards, RunRequest, RunResult};
use crate::{Exit, Usage, ops, store::state_home};

layered! {
#[derive(Args, Debug, Default, Deserialize)]
#[serde(default)]
pub struct RunArgs {
    /// The spreadsheet (CSV) to refund.
    #[arg(required_unless_present_any = ["job", "approved"])]
    pub input: Option<PathBuf>,
    /// Send the console's approved batches of the state file instead of an
    /// input: every one with rows left to send, in the order approved (cron's
    /// side of the console's "leave it for tonight"). An unapproved batch is
    /// never sent; the exit is the worst of theirs.
    #[arg(long, conflicts_with = "input")]
    pub approved: bool,
    /// Settings from a job file (TOML); flags override it.
    #[arg(long)]
    #[serde(skip)]
    pub job: Option<PathBuf>,
    /// SQLite state file [default: one per account, $XDG_STATE_HOME/mprefund/<namespace>.db
    /// (else ~/.local/state/mprefund/); an older <input-stem>.mprefund.db beside the input is still used]
    #[arg(long)]
    pub state: Option<PathBuf>,
    /// Refund the valid rows and mark bad ones `invalid` instead of refusing to start.
    #[arg(long)]
    pub skip_invalid: bool,
    /// Accept a --namespace other than the one the state file's keys were made with
    /// (every row then gets a new key: only when the account really changed).
    #[arg(long)]
    pub namespace_change: bool,
    /// Send rows whose payment already has a refund from an earlier batch of the
    /// state file (a second partial refund on purpose); refused by default.
    #[arg(long)]
    pub allow_more_refunds: bool,
    /// Read every payment first (as `plan --online`) and refuse to start unless
    /// every row is predicted `ok` (with --skip-invalid: send only those).
    #[arg(long)]
    pub preflight: bool,
    /// Do not ask before sending. On a terminal, `run` shows the rows, money per
    /// currency, API base and duration, and asks y/N; without one (cron) it never asks.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Refuse to start (exit 2, nothing sent) unless the file has exactly N data rows.
    #[arg(long, value_name = "N")]
    pub expect_rows: Option<u64>,
    /// Refuse to start unless the amounts add up to exactly this, per currency
    /// (repeat with AMOUNT:CUR for each currency of the file); `full` rows,
    /// whose amount is known only when sent, are named apart: 100.00:BRL+3full.
    #[arg(long, value_name = "AMOUNT[:CUR][+Nfull]")]
    #[serde(deserialize_with = "de_guards")]
    pub(crate) expect_total: Vec<Guard>,
    /// Refuse to start when the amounts add up to more than this, per currency
    /// (`full` rows cannot be capped and are refused).
    #[arg(long, value_name = "AMOUNT[:CUR]")]
    #[serde(deserialize_with = "de_guards")]
    pub(crate) max_total: Vec<Guard>,
    #[flatten]
    pub window: WindowArg,
    #[flatten]
    pub currency: CurrencyArg,
    /// With --job: earlier unfinished batches of the job older than this many days
    /// are not finished first, only reported [default: 7].
    #[arg(long, value_name = "DAYS", requires = "job")]
    pub max_age: Option<u64>,
    /// Job file only: `false` refuses (exit 7) when earlier batches of the job are
    /// unfinished, instead of finishing them first [default: true].
    #[arg(skip)]
    pub resume_earlier: Option<bool>,
    #[flatten]
    pub input_args: InputArgs,
    #[flatten]
    pub sending: SendingArgs,
}
}

pub(crate) async fn exec(flags: RunArgs, session: &Session) -> anyhow::Result<Exit> {
    let started = std::time::Instant::now();
    let given = settings::given(&flags);
    // `--approved`'s monitoring files are its command line's: the job file's
    // top-level ones are the nightly input's batch's, which it must not overwrite.
    let approved_files = OutputOptions {
        metrics_file: flags.sending.output.metrics_file.clone(),
        summary_json: flags.sending.output.summary_json.clone(),
        ..OutputOptions::default()
    };
    let job = JobFile::load_opt(flags.job.as_deref())?;
    let flagged = Flagged {
        job: flags.job.clone(),
        state: flags.state.clone(),
        token: settings::token_from(&flags.sending.send.token),
        api_base: flags.sending.send.api_base.clone(),
    };
    let a = flags.over(job.layer("run")?);
    let notifier = settings::notifier(&a.sending.notify, &a.sending.send)?;
    let mut tell = crate::engine::notify::Tell::default();
    let ran = Ran {
        given: &given,
        flagged,
        approved_files,
        started,
    };
    let exit = run_or_approved(a, ran, session, &mut tell).await;
    session::tell_ended(tell, "the night's run", exit, notifier.as_ref()).await
}

/// How a run was started, besides its merged settings.
struct Ran<'a> {
    given: &'a [&'static str],
    flagged: Flagged,
    /// `--approved`'s `--metrics-file` and `--summary-json`.
    approved_files: OutputOptions,
    started: std::time::Instant,
}

async fn run_or_approved(
    a: RunArgs,
    ran: Ran<'_>,
    session: &Session,
    tell: &mut crate::engine::notify::Tell,
) -> anyhow::Result<Exit> {
    if a.approved {
        return approved(&a, ran, session, tell).await;
    }
    let Ran {
        given,
        flagged,
        started,
        ..
    } = ran;
    let output = settings::output_options(&a.sending.output, session.mode);
    let input = a.input.clone();
    let state = match a.state.clone() {
        Some(s) => Some(s),
        None => input
            .as_deref()
            .map(|i| {
                let ns = settings::namespace_of(a.input_args.namespace.as_deref());
                state_home::default_state(Some(i), ns, a.namespace_change)
            })
            .transpose()?,
    };
    let reach = flagged.reach(state.as_deref());
    let ran = async {
        if let Some(state) = &state {
            crate::store::state_owner::check(state, &crate::store::state_owner::this_command())?;
        }
        if !a.preflight {
            settings::refuse_flags(
                given,
                |k| k != "refund_window_days",
                "it is the refund window of run --preflight",
            )?;
        }
        let input = input
            .clone()
            .ok_or_else(|| Usage("no input: give INPUT.csv or a job file with `input`".into()))?;
        let req = RunRequest {
            input,
            state: state.clone(),
            input_options: settings::input_options(&a.input_args),
            skip_invalid: a.skip_invalid,
            namespace_change: a.namespace_change,
            allow_more_refunds: a.allow_more_refunds,
            preflight: a.preflight.then_some(
                a.window
                    .refund_window_days
                    .unwrap_or(DEFAULT_REFUND_WINDOW_DAYS),
            ),
            guards: Guards {
                expect_rows: a.expect_rows,
                expect_total: a.expect_total.clone(),
                max_total: a.max_total.clone(),
                currency: a.currency.currency,
                batch: None,
            },
            confirm: session::tty_confirm(a.yes),
            send: settings::send_options(&a.sending.send)?,
            output: output.clone(),
            earlier: a.job.is_some().then(|| Earlier {
                resume: a.resume_earlier.unwrap_or(true),
                max_age_days: a.max_age.unwrap_or(settings::DEFAULT_MAX_AGE_DAYS),
                reach: reach.clone(),
            }),
        };
        anyhow::Ok(ops::run::run(req, session.stop()).await?)
    }
    .await;
    // Every exit is an outcome someone monitors: one that produced no results
    // still writes the metrics and summary files it was asked for.
    let failed = |exit: Exit, error: String| {
        ops::report_failure(
            input.as_deref(),
            state.as_deref(),
            &output,
            exit,
            &error,
            started,
        );
    };
    match ran {
        Ok(RunResult::Finished(f)) => {
            f.tell(tell, &reach);
            finished(&f, &reach, session)
        }
        Ok(refused @ RunResult::Refused { .. }) => {
            // Always shown: it is the error message of an exit 2.
            let mut text = Vec::new();
            refused.render(&mut text, &reach)?;
            failed(
                refused.exit(),
                String::from_utf8_lossy(&text).trim().to_owned(),
            );
            show(&mut std::io::stderr().lock(), |w| w.write_all(&text))?;
            Ok(refused.exit())
        }
        Err(e) => {
            failed(crate::exit::of_error(&e), format!("{e:#}"));
            Err(e)
        }
    }
}

/// The label `run --approved`'s metrics carry: its file sits beside the
/// nightly run's in node_exporter's folder, and no series may come twice.
const APPROVED_LABEL: Option<(&str, &str)> = Some(("run", "approved"));

/// `run --approved`: the console's approved batches, each as `run` sends it;
/// one metrics file and one summary for the night: the last batch sent, the
/// others named as its earlier batches, the exit the worst of theirs.
async fn approved(
    a: &RunArgs,
    ran: Ran<'_>,
    session: &Session,
    tell: &mut crate::engine::notify::Tell,
) -> anyhow::Result<Exit> {
    let Ran {
        given,
        flagged,
        approved_files: files,
        started,
    } = ran;
    let mut applies: Vec<String> = [
        "approved",
        "job",
        "state",
        "yes",
        "metrics_file",
        "summary_json",
        "notify_url",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    applies.extend(settings::keys_of::<SendArgs>());
    applies.extend(settings::keys_of::<InputArgs>());
    settings::refuse_flags(
        given,
        |k| applies.iter().any(|a| a == k),
        "--approved sends the console's batches as they were approved",
    )?;
    // The console's state file: --state or the job's, else the account's
    // (never one found beside the job's input, which --approved does not read).
    let state = match a.state.clone() {
        Some(s) => s,
        None => {
            let ns = settings::namespace_of(a.input_args.namespace.as_deref());
            state_home::default_state(None, ns, false)?
        }
    };
    if !state.is_file() {
        return Err(Usage(format!(
            "{}: no such state file, so no approved batch (give --state, or a job file with `state`)",
            state.display()
        ))
        .into());
    }
    let monitoring: Vec<(&str, &std::path::Path)> = [
        ("--metrics-file", files.metrics_file.as_deref()),
        ("--summary-json", files.summary_json.as_deref()),
    ]
    .into_iter()
    .filter_map(|(flag, p)| p.map(|p| (flag, p)))
    .collect();
    crate::store::paths::check_outputs(None, &state, &monitoring)?;
    // Its batches are the console's: `run --approved` resumes them.
    let reach = flagged.reach(Some(&state)).console();
    let night = crate::web::approved::Night {
        state: state.clone(),
        input: settings::input_options(&a.input_args),
        send: settings::send_options(&a.sending.send)?,
        mode: Some(session.mode),
        confirm: session::tty_confirm(a.yes),
    };
    let nothing = |exit: Exit, error: Option<&str>| {
        ops::report_nothing(
            None,
            Some(&state),
            &files,
            exit,
            error,
            started,
            APPROVED_LABEL,
        );
    };
    let sent = match crate::web::approved::send_approved(night, session.stop()).await {
        Ok(sent) => sent,
        Err(e) => {
            nothing(crate::exit::of_error(&e), Some(&format!("{e:#}")));
            return Err(e);
        }
    };
    if sent.is_empty() {
        nothing(Exit::Ok, None);
        show(&mut std::io::stderr().lock(), |w| {
            writeln!(w, "no approved batch to send in {}", state.display())
        })?;
        return Ok(Exit::Ok);
    }
    let mut worst = Exit::Ok;
    let mut earlier: Vec<EarlierBatch> = Vec::new();
    let mut last: Option<Box<crate::ops::Finished>> = None;
    for s in sent {
        show(&mut std::io::stderr().lock(), |w| {
            writeln!(w, "console batch {} ({}):", s.id, s.file)
        })?;
        let console_batch = format!("console batch {}", s.id);
        let exit = match s.ran {
            Ok(RunResult::Finished(f)) => {
                f.tell(tell, &reach);
                let exit = finished(&f, &reach, session)?;
                if let Some(before) = last.replace(f) {
                    earlier.push(before.as_earlier());
                }
                exit
            }
            Ok(refused @ RunResult::Refused { .. }) => {
                let mut text = Vec::new();
                refused.render(&mut text, &reach)?;
                show(&mut std::io::stderr().lock(), |w| w.write_all(&text))?;
                let said = String::from_utf8_lossy(&text).trim().to_owned();
                earlier.push(EarlierBatch::failed(&console_batch, refused.exit(), &said));
                refused.exit()
            }
            Err(e) => {
                show(&mut std::io::stderr().lock(), |w| {
                    writeln!(w, "error: {e:#}")
                })?;
                let exit = crate::exit::of_error(&e);
                earlier.push(EarlierBatch::failed(
                    &console_batch,
                    exit,
                    &format!("{e:#}"),
                ));
                exit
            }
        };
        worst = worst.worse(exit);
    }
    match last {
        Some(mut f) => {
            f.earlier = earlier;
            let output = match crate::store::ledger::Ledger::open(&state)?.batch(&f.batch_id)? {
                Some(b) => files.for_batch(&b),
                None => files,
            };
            ops::write_monitoring(&f, &output, APPROVED_LABEL)?;
        }
        None => {
            let errors: Vec<String> = earlier.iter().map(|e| e.line.clone()).collect();
            nothing(worst, Some(&errors.join("; ")));
        }
    }
    Ok(worst)
}
