//! Command-line surface (SPEC "Commands"): clap definitions, job files, logging
//! set-up, signal handling, and the dispatch from a parsed command to the library.
//! Every command returns an [`Exit`]; errors carry their own code (see
//! [`Exit::from_result`]).
//!
//! Settings are resolved once, here, in one order: flag, then job file, then the
//! built-in default; relative paths in a job file are relative to the job file, so
//! cron can run it from any directory.

use std::io::{BufRead, IsTerminal, Write};
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};
use serde::Deserialize;

use crate::client::{self, ClientSettings, Token};
use crate::commands::run::{Confirm, Earlier, Guards, RunRequest, RunResult};
use crate::commands::{self, OutputOptions, SendOptions};
use crate::input::InputOptions;
use crate::progress::Mode;
use crate::retry::Policy;
use crate::runner::{self, Stop, StopReason};
use crate::totals::Guard;
use crate::{Exit, Usage, sandbox, state_home};

pub const DEFAULT_API_BASE: &str = "https://api.mercadopago.com";
const DEFAULT_NAMESPACE: &str = "mprefund";

#[derive(Parser, Debug)]
#[command(
    name = "mprefund",
    version,
    about = "Bulk, resumable, idempotent Mercado Pago refunds from a spreadsheet",
    after_help = "Exit codes: 0 every row refunded (or in process); 1 finished, some rows failed; \
                  2 usage or input error, nothing sent; 3 stopped early, resumable (run again); \
                  4 another run holds the batch; 5 the state file is damaged; \
                  6 stopped, a person must fix something first (token, permissions, --api-base); \
                  7 run --job: earlier batches of the job unfinished (resume_earlier = false).\n\
                  The access token comes from MP_ACCESS_TOKEN or --token-file; it is never printed."
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
    Sandbox(sandbox::SandboxArgs),
    /// Run samples/ through plan and run against an in-process sandbox.
    Demo(crate::demo::DemoArgs),
}

#[derive(Args, Debug, Clone, Default)]
pub struct InputArgs {
    /// Field delimiter: `,` `;` or `tab` (default: detected from the header).
    #[arg(long, value_parser = parse_delimiter)]
    pub delimiter: Option<u8>,
    /// Accept rows with the same payment, amount and reference (each is refunded).
    #[arg(long)]
    pub allow_duplicates: bool,
    /// Key namespace: part of every idempotency key (default "mprefund").
    #[arg(long)]
    pub namespace: Option<String>,
}

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
    /// With --online: the plan CSV [default: <input-stem>.plan.csv beside the input]
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// With --online: payments approved longer ago than this predict `old`.
    #[arg(long, default_value_t = 180)]
    pub refund_window_days: i64,
    #[command(flatten)]
    pub input_args: InputArgs,
    #[command(flatten)]
    pub send: SendArgs,
}

#[derive(Args, Debug, Clone, Default)]
pub struct SendArgs {
    #[arg(long, help = with_default("API base URL (plain http:// only to loopback)", DEFAULT_API_BASE))]
    pub api_base: Option<String>,
    /// Read the access token from this file instead of MP_ACCESS_TOKEN.
    #[arg(long)]
    pub token_file: Option<PathBuf>,
    #[arg(long, help = with_default("Most requests per second in any one-second window, retries included: the ceiling of the adaptive rate (which slows down on 429s and climbs back), or the rate itself with --fixed-rate", runner::DEFAULT_RATE))]
    pub rate: Option<NonZeroU32>,
    /// Where the adaptive rate starts [default: --rate]
    #[arg(long, value_name = "N")]
    pub rate_start: Option<NonZeroU32>,
    /// Send at --rate throughout, whatever the API answers (429s sustained enough
    /// to be the account's limit still pause every worker for their Retry-After).
    #[arg(long)]
    pub fixed_rate: bool,
    #[arg(long, value_name = "N|auto", help = with_default("Requests in flight at once: a number, or `auto` (enough to reach the rate at the observed latency, up to --max-concurrency)", "auto"))]
    pub concurrency: Option<ConcurrencyArg>,
    #[arg(long, value_name = "N", help = with_default("The most requests in flight that --concurrency auto may reach", runner::DEFAULT_MAX_CONCURRENCY))]
    pub max_concurrency: Option<usize>,
    #[arg(long, help = with_default("Attempts per row per run, the first included", crate::retry::DEFAULT_MAX_ATTEMPTS))]
    pub max_attempts: Option<u32>,
    #[arg(long, help = with_default("Per-request timeout in seconds", client::DEFAULT_TIMEOUT_SECS))]
    pub timeout: Option<u64>,
    #[arg(long, help = with_default("Consecutive server failures that stop the run", runner::DEFAULT_BREAKER))]
    pub breaker: Option<u32>,
    #[arg(long, help = with_default("Seconds in-flight requests may go on after SIGINT/SIGTERM", runner::DEFAULT_GRACE_SECS))]
    pub grace: Option<u64>,
}

#[derive(Args, Debug, Clone, Default)]
pub struct OutputArgs {
    /// Results CSV [default: <input-stem>.results.csv beside the input]
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Write Prometheus textfile-collector metrics here (atomically).
    #[arg(long)]
    pub metrics_file: Option<PathBuf>,
    /// Write the run's summary as JSON here.
    #[arg(long)]
    pub summary_json: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct RunArgs {
    /// The spreadsheet (CSV) to refund.
    #[arg(required_unless_present = "job")]
    pub input: Option<PathBuf>,
    /// Settings from a job file (TOML); flags override it.
    #[arg(long)]
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
    /// (repeat with AMOUNT:CUR for each currency of the file).
    #[arg(long, value_name = "AMOUNT[:CUR]")]
    pub(crate) expect_total: Vec<Guard>,
    /// Refuse to start when the amounts add up to more than this, per currency
    /// (`full` rows cannot be capped and are refused).
    #[arg(long, value_name = "AMOUNT[:CUR]")]
    pub(crate) max_total: Vec<Guard>,
    /// With --preflight: payments approved longer ago than this predict `old`.
    #[arg(long, default_value_t = 180)]
    pub refund_window_days: i64,
    /// With --job: earlier unfinished batches of the job older than this many days
    /// are not finished first, only reported [default: 7].
    #[arg(long, value_name = "DAYS", requires = "job")]
    pub max_age: Option<u64>,
    #[command(flatten)]
    pub input_args: InputArgs,
    #[command(flatten)]
    pub send: SendArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Args, Debug)]
pub struct BatchArgs {
    /// SQLite state file [default: the job's, else the account's:
    /// $XDG_STATE_HOME/mprefund/mprefund.db for the default namespace]
    #[arg(long)]
    pub state: Option<PathBuf>,
    /// The batch (an id or a prefix of one), when the state file holds several.
    #[arg(long)]
    pub batch: Option<String>,
    /// Take the state file (and other settings) from a job file.
    #[arg(long)]
    pub job: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct RetryArgs {
    #[command(flatten)]
    pub batch: BatchArgs,
    /// Also re-send the rows that failed permanently (asks first unless --yes).
    #[arg(long)]
    pub all_failed: bool,
    /// Answer yes to confirmations.
    #[arg(long)]
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

#[derive(Args, Debug)]
pub struct StatusArgs {
    #[command(flatten)]
    pub batch: BatchArgs,
    /// Also list every row that needs a human (failed, invalid, or refunded otherwise
    /// than asked): line, row, payment, amount, outcome, cause code and message.
    #[arg(long)]
    pub failed: bool,
}

#[derive(Args, Debug)]
pub struct ReportArgs {
    #[command(flatten)]
    pub batch: BatchArgs,
    /// Results CSV [default: where the run wrote it]
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// A flag's help with its default, taken from the constant the code uses: flags
/// stay `Option`s because a job file's value comes between the flag and the
/// default, so clap's own `default_value` would hide it.
fn with_default(help: &str, default: impl std::fmt::Display) -> String {
    format!("{help} [default: {default}]")
}

#[derive(Args, Debug)]
pub struct ReconcileArgs {
    #[command(flatten)]
    pub batch: BatchArgs,
    /// Reconciliation CSV [default: <input-stem>.reconcile.csv beside the batch's input]
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Write Prometheus textfile-collector metrics of the findings here.
    #[arg(long)]
    pub metrics_file: Option<PathBuf>,
    /// Match the batch against Mercado Pago's settlement or release report files
    /// (repeatable) instead of reading payments from the API; writes a matching CSV
    /// [--out default: <input-stem>.report-match.csv beside the batch's input].
    #[arg(long, value_name = "FILE")]
    pub report: Vec<PathBuf>,
    /// With --report: days a report line's date may be from the refund's.
    #[arg(long, value_name = "DAYS", default_value_t = 3)]
    pub date_window: u32,
    /// Ask Mercado Pago for this report of --from..--to, download it beside the
    /// state file, and match it (with any --report given).
    #[arg(long, value_enum, requires_all = ["from", "to"])]
    pub fetch_report: Option<FetchKind>,
    /// With --fetch-report: the first day (2026-11-01) or instant (RFC 3339).
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,
    /// With --fetch-report: the last day (whole) or instant.
    #[arg(long, value_name = "DATE")]
    pub to: Option<String>,
    /// With --fetch-report: seconds the fetch may wait in all (for the report to
    /// be made, and between retries, whatever a Retry-After asks).
    #[arg(long, value_name = "SECS", default_value_t = 600)]
    pub fetch_timeout: u64,
    /// With --fetch-report: the largest report downloaded, in bytes or with a
    /// KiB/MiB/GiB suffix; a larger one is refused and nothing of it kept.
    #[arg(long, value_name = "SIZE", value_parser = parse_size,
          default_value_t = commands::DEFAULT_MAX_REPORT_BYTES)]
    pub max_report_bytes: u64,
    /// API base URL, requests per second... as for `run`; the API base defaults to
    /// the one the batch was sent to.
    #[command(flatten)]
    pub send: SendArgs,
}

/// A size in bytes: `1048576`, `512KiB`, `300MiB`, `1GiB`.
fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let (digits, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kib" => 10,
        "m" | "mib" => 20,
        "g" | "gib" => 30,
        _ => {
            return Err(format!(
                "{t:?}: a size is bytes, or a number with KiB, MiB or GiB"
            ));
        }
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(1 << shift))
        .filter(|&n| n > 0)
        .ok_or_else(|| format!("{t:?}: a size is a positive number of bytes, KiB, MiB or GiB"))
}

/// `--fetch-report`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FetchKind {
    Settlement,
    Release,
}

/// `--concurrency N|auto`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConcurrencyArg {
    Auto,
    Fixed(usize),
}

impl std::str::FromStr for ConcurrencyArg {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim() {
            "auto" => Ok(ConcurrencyArg::Auto),
            n => n
                .parse()
                .map(ConcurrencyArg::Fixed)
                .map_err(|_| format!("{s:?} is neither a number nor `auto`")),
        }
    }
}

/// A job file's `concurrency`: a number or `"auto"`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum JobConcurrency {
    Fixed(usize),
    Named(String),
}

fn parse_delimiter(s: &str) -> Result<u8, String> {
    match s {
        "," | "comma" => Ok(b','),
        ";" | "semicolon" => Ok(b';'),
        "\t" | "tab" | "\\t" => Ok(b'\t'),
        other => Err(format!("{other:?} is not one of `,` `;` `tab`")),
    }
}

/// A job file (`jobs/*.toml`): the settings of a recurring run.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct JobFile {
    input: Option<PathBuf>,
    state: Option<PathBuf>,
    out: Option<PathBuf>,
    rate: Option<NonZeroU32>,
    rate_start: Option<NonZeroU32>,
    fixed_rate: Option<bool>,
    concurrency: Option<JobConcurrency>,
    max_concurrency: Option<usize>,
    namespace: Option<String>,
    delimiter: Option<String>,
    allow_duplicates: Option<bool>,
    skip_invalid: Option<bool>,
    allow_more_refunds: Option<bool>,
    /// A file holding the token.
    token_file: Option<PathBuf>,
    /// The environment variable holding the token (default MP_ACCESS_TOKEN).
    token_env: Option<String>,
    api_base: Option<String>,
    max_attempts: Option<u32>,
    timeout: Option<u64>,
    breaker: Option<u32>,
    grace: Option<u64>,
    metrics_file: Option<PathBuf>,
    summary_json: Option<PathBuf>,
    expect_rows: Option<u64>,
    /// `"1234.50:BRL"` or a list of them.
    expect_total: Option<OneOrMany>,
    max_total: Option<OneOrMany>,
    /// `run --job` finishes the job's earlier unfinished batches first (default);
    /// `false`: refuses (exit 7) naming them.
    resume_earlier: Option<bool>,
    /// `--max-age`: in days.
    max_age: Option<u64>,
}

/// `--max-age` unless the job file says otherwise.
const DEFAULT_MAX_AGE_DAYS: u64 = 7;

/// A job-file setting given as one string or a list of them.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

/// The flags' guards if any were given, else the job file's.
fn guards_of(flags: &[Guard], job: Option<&OneOrMany>, what: &str) -> anyhow::Result<Vec<Guard>> {
    if !flags.is_empty() {
        return Ok(flags.to_vec());
    }
    let texts = match job {
        None => return Ok(Vec::new()),
        Some(OneOrMany::One(t)) => std::slice::from_ref(t),
        Some(OneOrMany::Many(ts)) => ts.as_slice(),
    };
    texts
        .iter()
        .map(|t| {
            t.parse::<Guard>()
                .map_err(|e| Usage(format!("job file {what}: {e}")).into())
        })
        .collect()
}

impl JobFile {
    fn load(path: &Path) -> anyhow::Result<JobFile> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Usage(format!("cannot read the job file {}: {e}", path.display())))?;
        let mut job: JobFile = toml::from_str(&text)
            .map_err(|e| Usage(format!("job file {}: {e}", path.display())))?;
        let base = path.parent().unwrap_or(Path::new("."));
        for p in [
            &mut job.input,
            &mut job.state,
            &mut job.out,
            &mut job.token_file,
            &mut job.metrics_file,
            &mut job.summary_json,
        ]
        .into_iter()
        .flatten()
        {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
        Ok(job)
    }

    fn load_opt(path: Option<&Path>) -> anyhow::Result<JobFile> {
        path.map_or_else(|| Ok(JobFile::default()), JobFile::load)
    }
}

fn send_options(a: &SendArgs, job: &JobFile) -> anyhow::Result<SendOptions> {
    let api_base = a
        .api_base
        .clone()
        .or(job.api_base.clone())
        .unwrap_or(DEFAULT_API_BASE.into());
    let token = match (&a.token_file, &job.token_file, &job.token_env) {
        (Some(f), _, _) | (None, Some(f), _) => Token::from_env_or_file(Some(f))?,
        (None, None, Some(var)) => {
            let raw = std::env::var(var).map_err(|_| {
                Usage(format!(
                    "no access token: the job file names ${var}, which is not set"
                ))
            })?;
            Token::new(&raw)?
        }
        (None, None, None) => Token::from_env_or_file(None)?,
    };
    let defaults = Policy::default();
    let job_concurrency = match &job.concurrency {
        None => None,
        Some(JobConcurrency::Fixed(n)) => Some(ConcurrencyArg::Fixed(*n)),
        Some(JobConcurrency::Named(s)) => Some(
            s.parse()
                .map_err(|e| Usage(format!("job file concurrency: {e}")))?,
        ),
    };
    let in_range = |n: usize, flag: &str| {
        if (1..=1024).contains(&n) {
            Ok(n)
        } else {
            Err(Usage(format!("{flag} must be between 1 and 1024")))
        }
    };
    let max = in_range(
        a.max_concurrency
            .or(job.max_concurrency)
            .unwrap_or(runner::DEFAULT_MAX_CONCURRENCY),
        "--max-concurrency",
    )?;
    let concurrency = match a.concurrency.or(job_concurrency) {
        None | Some(ConcurrencyArg::Auto) => crate::rate::Concurrency::Auto { max },
        Some(ConcurrencyArg::Fixed(n)) => {
            crate::rate::Concurrency::Fixed(in_range(n, "--concurrency")?)
        }
    };
    let ceiling = a.rate.or(job.rate).unwrap_or(runner_rate_default());
    let start = a.rate_start.or(job.rate_start);
    if start.is_some_and(|s| s > ceiling) {
        return Err(Usage(format!("--rate-start must not be above --rate ({ceiling})")).into());
    }
    let client_defaults = ClientSettings::default();
    let runner_defaults = runner::Settings::default();
    Ok(SendOptions {
        api_base: client::check_api_base(&api_base)?,
        api_base_given: a.api_base.is_some() || job.api_base.is_some(),
        token,
        client: ClientSettings {
            request_timeout: a
                .timeout
                .or(job.timeout)
                .map_or(client_defaults.request_timeout, |s| {
                    Duration::from_secs(s.max(1))
                }),
            ..client_defaults
        },
        runner: runner::Settings {
            rate: crate::rate::RateSettings {
                rate: ceiling,
                start,
                adaptive: !(a.fixed_rate || job.fixed_rate.unwrap_or(false)),
            },
            concurrency,
            policy: Policy {
                max_attempts: a
                    .max_attempts
                    .or(job.max_attempts)
                    .unwrap_or(defaults.max_attempts)
                    .max(1),
                ..defaults
            },
            breaker_threshold: a
                .breaker
                .or(job.breaker)
                .unwrap_or(runner_defaults.breaker_threshold),
            grace: a
                .grace
                .or(job.grace)
                .map_or(runner_defaults.grace, Duration::from_secs),
        },
    })
}

fn runner_rate_default() -> NonZeroU32 {
    runner::Settings::default().rate.rate
}

fn output_options(a: &OutputArgs, job: &JobFile, mode: Mode) -> OutputOptions {
    OutputOptions {
        out: a.out.clone().or(job.out.clone()),
        metrics_file: a.metrics_file.clone().or(job.metrics_file.clone()),
        summary_json: a.summary_json.clone().or(job.summary_json.clone()),
        mode: Some(mode),
    }
}

fn input_options(a: &InputArgs, job: &JobFile) -> anyhow::Result<InputOptions> {
    let delimiter = match (a.delimiter, &job.delimiter) {
        (Some(d), _) => Some(d),
        (None, Some(d)) => Some(parse_delimiter(d).map_err(Usage)?),
        (None, None) => None,
    };
    Ok(InputOptions {
        delimiter,
        allow_duplicates: a.allow_duplicates || job.allow_duplicates.unwrap_or(false),
        namespace: a
            .namespace
            .clone()
            .or(job.namespace.clone())
            .unwrap_or(DEFAULT_NAMESPACE.into()),
    })
}

fn pick_of(b: &BatchArgs, job: &JobFile) -> commands::Pick {
    commands::Pick {
        id: b.batch.clone(),
        input: job.input.clone(),
    }
}

/// `--state`, else the job's, else the account's (see `state_home`).
fn state_of(b: &BatchArgs, job: &JobFile) -> Result<PathBuf, Usage> {
    match b.state.clone().or(job.state.clone()) {
        Some(s) => Ok(s),
        // Over batches already made: nothing new is keyed.
        None => state_home::default_state(job.input.as_deref(), namespace_of(None, job), true),
    }
}

/// `--namespace`, else the job's, else the default.
fn namespace_of<'a>(flag: Option<&'a str>, job: &'a JobFile) -> &'a str {
    flag.or(job.namespace.as_deref())
        .unwrap_or(DEFAULT_NAMESPACE)
}

fn init_logging(cli: &Cli) {
    let level = match (cli.quiet, cli.verbose) {
        (true, _) => "warn",
        (false, 0) => "info",
        (false, 1) => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::new(format!("warn,mprefund={level}"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::stderr().is_terminal());
    // A second init (tests calling `execute` twice) keeps the first subscriber.
    let _ = match cli.log_format {
        // A cron log (`--quiet`) stamps its own lines, if at all: the few that
        // come are plain, like the one summary line.
        LogFormat::Text if cli.quiet => builder.without_time().try_init(),
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

/// First SIGINT/SIGTERM: stop taking rows, let in-flight requests finish (within
/// the grace period), checkpoint, write the results. Second: exit at once — every
/// SQLite transaction is atomic, so the state file stays consistent.
fn watch_signals(stop: Stop) {
    use tokio::signal::unix::{SignalKind, signal};
    tokio::spawn(async move {
        let (Ok(mut term), Ok(mut int)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) else {
            tracing::warn!("cannot listen for signals; SIGTERM will kill the run without a report");
            return;
        };
        tokio::select! { _ = term.recv() => {}, _ = int.recv() => {} }
        tracing::warn!(
            "signal received: sending no new request, finishing the ones in flight; signal again to exit at once"
        );
        stop.request(StopReason::Signal);
        tokio::select! { _ = term.recv() => {}, _ = int.recv() => {} }
        eprintln!("second signal: exiting now; the state file is consistent, run again to resume");
        std::process::exit(Exit::Stopped as i32);
    });
}

fn confirm(question: &str, yes: bool) -> anyhow::Result<bool> {
    if yes {
        return Ok(true);
    }
    if !std::io::stdin().is_terminal() {
        return Err(Usage(format!("{question} — no terminal to ask; pass --yes")).into());
    }
    eprint!("{question} [y/N] ");
    std::io::stderr().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes" | "YES" | "Yes"))
}

/// The question `run` asks before sending, when someone can answer it: stdin is a
/// terminal and no `--yes`. Cron (no terminal) is never asked.
fn tty_confirm(yes: bool) -> Option<Confirm> {
    if yes || !std::io::stdin().is_terminal() {
        return None;
    }
    Some(Confirm(std::sync::Arc::new(|question: &str| {
        eprint!("{question}");
        std::io::stderr().flush()?;
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        Ok(matches!(line.trim(), "y" | "Y" | "yes" | "YES" | "Yes"))
    })))
}

/// Writes a command's report; a reader that went away (`| head`) is not an error.
fn show(
    out: &mut dyn Write,
    render: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    match render(out).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("writing the report"),
    }
}

/// The end of a command over a batch: its summary on stderr (unless `--quiet`),
/// and its exit code.
fn finished(f: &commands::Finished, mode: Mode, json_logs: bool) -> anyhow::Result<Exit> {
    if json_logs {
        // Log collectors get the summary as one JSON line too.
        let line = f.log_line()?;
        show(&mut std::io::stderr().lock(), |w| writeln!(w, "{line}"))?;
    }
    if mode == Mode::Quiet {
        // A cron log still gets one line per run.
        show(&mut std::io::stderr().lock(), |w| {
            writeln!(w, "{}", f.one_line())
        })?;
    } else {
        show(&mut std::io::stderr().lock(), |w| f.render(w))?;
    }
    Ok(f.exit)
}

pub async fn execute(cli: Cli) -> anyhow::Result<Exit> {
    init_logging(&cli);
    let mode = Mode::detect(cli.quiet);
    let json_logs = cli.log_format == LogFormat::Json;
    match cli.command {
        Command::Plan(a) => {
            let job = JobFile::load_opt(a.job.as_deref())?;
            let input = a.input.clone().or(job.input.clone()).ok_or_else(|| {
                Usage("no input: give INPUT.csv or a job file with `input`".into())
            })?;
            let opts = input_options(&a.input_args, &job)?;
            let state = match a.state.clone().or(job.state.clone()) {
                Some(s) => s,
                None => state_home::default_state(Some(&input), &opts.namespace, true)?,
            };
            let rate = a.send.rate.or(job.rate).unwrap_or(runner_rate_default());
            // The one read of the input; `--online` reads this copy again.
            let spooled = crate::input::Spooled::read(&input)?;
            let report = commands::plan::plan(&spooled, &opts, Some(&state), a.online)?;
            show(&mut std::io::stdout().lock(), |w| report.render(w, rate))?;
            let offline = if report.clean() {
                Exit::Ok
            } else {
                Exit::Usage
            };
            if !a.online {
                return Ok(offline);
            }
            let Some((summary, asked)) = report.into_online() else {
                unreachable!("plan gathers for --online")
            };
            let req = commands::online::OnlineRequest {
                input: spooled,
                summary,
                asked,
                input_options: opts,
                send: send_options(&a.send, &job)?,
                out: a.out.clone(),
                refund_window_days: a.refund_window_days,
            };
            let stop = Stop::new();
            watch_signals(stop.clone());
            let predicted = commands::online::plan_online(req, stop).await?;
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
        Command::Run(a) => {
            let started = std::time::Instant::now();
            let job = JobFile::load_opt(a.job.as_deref())?;
            let output = output_options(&a.output, &job, mode);
            let input = a.input.clone().or(job.input.clone());
            let state = match a.state.clone().or(job.state.clone()) {
                Some(s) => Some(s),
                None => input
                    .as_deref()
                    .map(|i| {
                        let ns = namespace_of(a.input_args.namespace.as_deref(), &job);
                        state_home::default_state(Some(i), ns, a.namespace_change)
                    })
                    .transpose()?,
            };
            let ran = async {
                let input = input.clone().ok_or_else(|| {
                    Usage("no input: give INPUT.csv or a job file with `input`".into())
                })?;
                let req = RunRequest {
                    input,
                    state: state.clone(),
                    input_options: input_options(&a.input_args, &job)?,
                    skip_invalid: a.skip_invalid || job.skip_invalid.unwrap_or(false),
                    namespace_change: a.namespace_change,
                    allow_more_refunds: a.allow_more_refunds
                        || job.allow_more_refunds.unwrap_or(false),
                    preflight: a.preflight.then_some(a.refund_window_days),
                    guards: Guards {
                        expect_rows: a.expect_rows.or(job.expect_rows),
                        expect_total: guards_of(
                            &a.expect_total,
                            job.expect_total.as_ref(),
                            "expect_total",
                        )?,
                        max_total: guards_of(&a.max_total, job.max_total.as_ref(), "max_total")?,
                    },
                    confirm: tty_confirm(a.yes),
                    send: send_options(&a.send, &job)?,
                    output: output.clone(),
                    earlier: a.job.is_some().then(|| Earlier {
                        resume: job.resume_earlier.unwrap_or(true),
                        max_age_days: a.max_age.or(job.max_age).unwrap_or(DEFAULT_MAX_AGE_DAYS),
                    }),
                };
                let stop = Stop::new();
                watch_signals(stop.clone());
                anyhow::Ok(commands::run::run(req, stop).await?)
            }
            .await;
            // Every exit is an outcome someone monitors: one that produced no
            // results still writes the metrics and summary files it was asked for.
            let failed = |exit: Exit, error: String| {
                commands::report_failure(
                    input.as_deref(),
                    state.as_deref(),
                    &output,
                    exit,
                    &error,
                    started,
                );
            };
            match ran {
                Ok(RunResult::Finished(f)) => finished(&f, mode, json_logs),
                Ok(refused @ RunResult::Refused { .. }) => {
                    // Always shown: it is the error message of an exit 2.
                    let mut text = Vec::new();
                    refused.render(&mut text)?;
                    failed(
                        Exit::Usage,
                        String::from_utf8_lossy(&text).trim().to_owned(),
                    );
                    show(&mut std::io::stderr().lock(), |w| w.write_all(&text))?;
                    Ok(Exit::Usage)
                }
                Err(e) => {
                    failed(Exit::of_error(&e), format!("{e:#}"));
                    Err(e)
                }
            }
        }
        Command::Retry(a) => {
            let started = std::time::Instant::now();
            let job = JobFile::load_opt(a.batch.job.as_deref())?;
            let output = output_options(&a.output, &job, mode);
            let state = state_of(&a.batch, &job);
            let ran = async {
                let state = state.as_ref().map_err(Usage::clone)?;
                let send = send_options(&a.send, &job)?;
                let pick = pick_of(&a.batch, &job);
                if a.all_failed {
                    let (id, retryable, permanent) = commands::retry::failed_counts(state, &pick)?;
                    let q = format!(
                        "re-send {} failed row(s) of batch {id}, {permanent} of which the API refused for good?",
                        retryable + permanent
                    );
                    if !confirm(&q, a.yes)? {
                        return Err(Usage("not confirmed; nothing sent".into()).into());
                    }
                }
                let stop = Stop::new();
                watch_signals(stop.clone());
                commands::retry::retry(
                    state,
                    &pick,
                    a.all_failed,
                    a.include_pending,
                    &send,
                    &output,
                    stop,
                )
                .await
            }
            .await;
            match ran {
                Ok(f) => finished(&f, mode, json_logs),
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
        Command::Status(a) => {
            let job = JobFile::load_opt(a.batch.job.as_deref())?;
            let state = state_of(&a.batch, &job)?;
            let report = commands::status::status(&state, &pick_of(&a.batch, &job), a.failed)?;
            show(&mut std::io::stdout().lock(), |w| report.render(w))?;
            Ok(Exit::Ok)
        }
        Command::Report(a) => {
            let job = JobFile::load_opt(a.batch.job.as_deref())?;
            let state = state_of(&a.batch, &job)?;
            let output = OutputOptions {
                out: a.out.clone().or(job.out.clone()),
                mode: Some(mode),
                ..OutputOptions::default()
            };
            let f = commands::report::report(&state, &pick_of(&a.batch, &job), &output)?;
            finished(&f, mode, json_logs)
        }
        Command::Reconcile(a) if !a.report.is_empty() || a.fetch_report.is_some() => {
            let job = JobFile::load_opt(a.batch.job.as_deref())?;
            let req = commands::statements::MatchRequest {
                state: state_of(&a.batch, &job)?,
                pick: pick_of(&a.batch, &job),
                reports: a.report.clone(),
                out: a.out.clone(),
                window_days: a.date_window,
                period: None,
            };
            let m = match a.fetch_report {
                None => commands::statements::match_reports(req)?,
                Some(kind) => {
                    let (begin, end) = commands::parse_period(
                        a.from.as_deref().unwrap_or(""),
                        a.to.as_deref().unwrap_or(""),
                    )?;
                    let fetch = commands::statements::Fetch {
                        kind: match kind {
                            FetchKind::Settlement => crate::mpreport::ReportKind::Settlement,
                            FetchKind::Release => crate::mpreport::ReportKind::Release,
                        },
                        begin,
                        end,
                        timeout: Duration::from_secs(a.fetch_timeout),
                        max_bytes: a.max_report_bytes,
                    };
                    let send = send_options(&a.send, &job)?;
                    let stop = Stop::new();
                    watch_signals(stop.clone());
                    commands::statements::fetch_and_match(req, fetch, &send, stop).await?
                }
            };
            if mode == Mode::Quiet {
                show(&mut std::io::stderr().lock(), |w| {
                    writeln!(w, "{}", m.one_line())
                })?;
            } else {
                show(&mut std::io::stderr().lock(), |w| m.render(w))?;
            }
            Ok(m.exit)
        }
        Command::Reconcile(a) => {
            let job = JobFile::load_opt(a.batch.job.as_deref())?;
            let state = state_of(&a.batch, &job)?;
            let req = commands::reconcile::ReconcileRequest {
                state,
                pick: pick_of(&a.batch, &job),
                send: send_options(&a.send, &job)?,
                out: a.out.clone(),
                metrics_file: a.metrics_file.clone(),
            };
            let stop = Stop::new();
            watch_signals(stop.clone());
            let r = commands::reconcile::reconcile(req, stop).await?;
            if mode == Mode::Quiet {
                show(&mut std::io::stderr().lock(), |w| {
                    writeln!(w, "{}", r.one_line())
                })?;
            } else {
                show(&mut std::io::stderr().lock(), |w| r.render(w))?;
            }
            Ok(r.exit)
        }
        Command::Sandbox(args) => sandbox::serve_cli(args).await.map(|()| Exit::Ok),
        Command::Demo(args) => crate::demo::run(args, mode).await.context("demo"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The job file `jobs/` ships is one the tool reads, guards included.
    #[test]
    fn the_shipped_job_file_parses() {
        let job: JobFile =
            toml::from_str(include_str!("../jobs/nightly-chargebacks.toml")).expect("job file");
        let caps = guards_of(&[], job.max_total.as_ref(), "max_total").expect("max_total");
        assert_eq!(caps.len(), 1);
        assert_eq!(caps[0].to_string(), "250000.00:BRL");
        assert!(job.input.is_some() && job.state.is_some());
        assert!(matches!(&job.concurrency, Some(JobConcurrency::Named(s)) if s == "auto"));
    }

    #[test]
    fn rate_and_concurrency_settings_from_a_job_file() {
        let dir = tempfile::tempdir().unwrap();
        let token = dir.path().join("token");
        std::fs::write(&token, "TEST-x").unwrap();
        let job = |text: &str| -> anyhow::Result<runner::Settings> {
            let mut job: JobFile = toml::from_str(text)?;
            job.token_file = Some(token.clone());
            Ok(send_options(&SendArgs::default(), &job)?.runner)
        };
        let r =
            job("rate = 20\nrate_start = 5\nconcurrency = \"auto\"\nmax_concurrency = 10").unwrap();
        assert_eq!(r.rate.rate.get(), 20);
        assert_eq!(r.rate.start.map(NonZeroU32::get), Some(5));
        assert!(r.rate.adaptive);
        assert_eq!(r.concurrency, crate::rate::Concurrency::Auto { max: 10 });
        let r = job("concurrency = 3\nfixed_rate = true").unwrap();
        assert_eq!(r.concurrency, crate::rate::Concurrency::Fixed(3));
        assert!(!r.rate.adaptive);
        let e = job("concurrency = \"lots\"").unwrap_err();
        assert!(e.to_string().contains("neither a number nor `auto`"), "{e}");
        let e = job("rate = 5\nrate_start = 6").unwrap_err();
        assert!(e.to_string().contains("--rate-start"), "{e}");
        assert!(job("concurrency = 0").is_err());
    }
}
