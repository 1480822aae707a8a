//! The argument groups several commands share, each declared once (cargo's
//! `command_prelude`): the input's reading, the sending, the batch's outputs, the
//! batch a command works on, and the one `--out`. A command's own flags live with
//! its `exec` in `cli::commands`.
//!
//! Flags that have a default stay `Option`s: a job file's value comes between the
//! flag and the default, and clap's own `default_value` would hide it. Their help
//! names the default, taken from the constant the code uses ([`with_default`]).

use std::num::NonZeroU32;
use std::path::PathBuf;

use clap::Args;

use crate::client;
use crate::runner;

pub(crate) const DEFAULT_API_BASE: &str = "https://api.mercadopago.com";
pub(crate) const DEFAULT_NAMESPACE: &str = "mprefund";
/// `--refund-window-days`: Mercado Pago refunds a payment up to 180 days after
/// its approval.
pub(crate) const DEFAULT_REFUND_WINDOW_DAYS: i64 = 180;

/// A flag's help with its default.
pub(crate) fn with_default(help: &str, default: impl std::fmt::Display) -> String {
    format!("{help} [default: {default}]")
}

#[derive(Args, Debug, Clone, Default)]
pub struct InputArgs {
    /// Field delimiter: `,` `;` or `tab` (default: detected from the header).
    #[arg(long, value_parser = parse_delimiter)]
    pub delimiter: Option<u8>,
    /// Accept rows with the same payment, amount and reference (each is refunded).
    #[arg(long)]
    pub allow_duplicates: bool,
    #[arg(long, help = with_default("Key namespace: part of every idempotency key", DEFAULT_NAMESPACE))]
    pub namespace: Option<String>,
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

/// `--out`: the CSV a command writes. One flag for every command; each command
/// names its default ([`crate::paths::Sheet`]).
#[derive(Args, Debug, Clone, Default)]
pub struct OutArg {
    /// The CSV this command writes, atomically; may carry {batch} and {date}
    /// [default: beside the input, <input-stem>.results.csv; plan --online:
    /// .plan.csv; reconcile: .reconcile.csv; reconcile --report: .report-match.csv]
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// The files a sending command writes besides its results.
#[derive(Args, Debug, Clone, Default)]
pub struct OutputArgs {
    #[command(flatten)]
    pub out: OutArg,
    /// Write Prometheus textfile-collector metrics here (atomically).
    #[arg(long)]
    pub metrics_file: Option<PathBuf>,
    /// Write the run's summary as JSON here.
    #[arg(long)]
    pub summary_json: Option<PathBuf>,
}

/// `--refund-window-days`, for the commands that predict (`plan --online`,
/// `run --preflight`).
#[derive(Args, Debug, Clone, Default)]
pub struct WindowArg {
    #[arg(long, value_name = "DAYS", help = with_default("With --online or --preflight: payments approved longer ago than this predict `old`", DEFAULT_REFUND_WINDOW_DAYS))]
    pub refund_window_days: Option<i64>,
}

/// Which batch of which state file a command over an existing batch works on.
#[derive(Args, Debug, Clone, Default)]
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

pub(crate) fn parse_delimiter(s: &str) -> Result<u8, String> {
    match s {
        "," | "comma" => Ok(b','),
        ";" | "semicolon" => Ok(b';'),
        "\t" | "tab" | "\\t" => Ok(b'\t'),
        other => Err(format!("{other:?} is not one of `,` `;` `tab`")),
    }
}
