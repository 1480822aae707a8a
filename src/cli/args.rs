//! The argument groups several commands share, each declared once (cargo's
//! `command_prelude`): the input's reading, the sending, the batch's outputs, the
//! batch a command works on, the one `--out` and the one `--refund-window-days`,
//! and a sending command's sending, files and notifications together.
//! A command's own flags live with its `exec` in `cli::commands`.
//!
//! One definition per setting: a field is the flag (clap), the job-file key of the
//! same name (serde), its help, and its default (named in the help, applied in
//! `settings` from the constant the code uses). Flags with a default stay
//! `Option`s: a job file's value comes between the flag and the default, and
//! clap's own `default_value` would hide it. [`layered!`] derives how two layers
//! of a group merge.

use std::num::NonZeroU32;
use std::path::PathBuf;

use clap::Args;
use serde::{Deserialize, Deserializer};

use crate::domain::settings::{self, Concurrency};
use crate::domain::totals::Guard;
use crate::domain::{Currency, ResultsFormat};
use crate::sheets::lines::Limits;

/// A layer of settings (the flags, a job file) over another: field by field, the
/// upper layer's value where it gave one. Implemented by [`layered!`]
/// for every group of flags.
pub(crate) trait Layer: Sized {
    fn over(self, under: Self) -> Self;
    /// Pushes the names (job-file keys) of the settings this layer gives.
    fn given(&self, name: &'static str, out: &mut Vec<&'static str>);
}

impl<T> Layer for Option<T> {
    fn over(self, under: Self) -> Self {
        self.or(under)
    }

    fn given(&self, name: &'static str, out: &mut Vec<&'static str>) {
        if self.is_some() {
            out.push(name);
        }
    }
}

/// A switch: on in either layer is on (a flag cannot say "off").
impl Layer for bool {
    fn over(self, under: Self) -> Self {
        self || under
    }

    fn given(&self, name: &'static str, out: &mut Vec<&'static str>) {
        if *self {
            out.push(name);
        }
    }
}

/// A repeatable flag: the upper layer's list whole, if it gave any.
impl<T> Layer for Vec<T> {
    fn over(self, under: Self) -> Self {
        if self.is_empty() { under } else { self }
    }

    fn given(&self, name: &'static str, out: &mut Vec<&'static str>) {
        if !self.is_empty() {
            out.push(name);
        }
    }
}

pub(crate) const DEFAULT_API_BASE: &str = "https://api.mercadopago.com";
pub(crate) const DEFAULT_NAMESPACE: &str = "mprefund";
/// `--refund-window-days`: Mercado Pago refunds a payment up to 180 days after
/// its approval.
pub(crate) const DEFAULT_REFUND_WINDOW_DAYS: i64 = 180;

/// A flag's help with its default.
pub(crate) fn with_default(help: &str, default: impl std::fmt::Display) -> String {
    format!("{help} [default: {default}]")
}

/// Declares a group of settings and how two layers of it merge: field by field,
/// the upper layer's value where it gave one ([`Layer`]). A field marked
/// `#[flatten]` is a group of its own, flattened alike into the command's flags
/// (clap) and the job file's keys (serde): each of its settings stays a flag
/// and a key of one name, which flattening it for one of them only would break.
macro_rules! layered {
    (
        $(#[$meta:meta])*
        pub struct $name:ident { $($fields:tt)* }
    ) => {
        $crate::cli::args::layered!(@field $name [$(#[$meta])*] [] $($fields)*);
    };
    // The fields one at a time, each written out in full into the second list.
    (
        @field $name:ident $meta:tt [$($done:tt)*]
        $(#[doc = $doc:expr])* #[flatten] $fvis:vis $field:ident : $ty:ty, $($rest:tt)*
    ) => {
        $crate::cli::args::layered!(@field $name $meta [
            $($done)* $(#[doc = $doc])* #[command(flatten)] #[serde(flatten)] $fvis $field: $ty,
        ] $($rest)*);
    };
    (
        @field $name:ident $meta:tt [$($done:tt)*]
        $(#[$fmeta:meta])* $fvis:vis $field:ident : $ty:ty, $($rest:tt)*
    ) => {
        $crate::cli::args::layered!(@field $name $meta [
            $($done)* $(#[$fmeta])* $fvis $field: $ty,
        ] $($rest)*);
    };
    (
        @field $name:ident [$($meta:tt)*]
        [$( $(#[$fmeta:meta])* $fvis:vis $field:ident : $ty:ty, )*]
    ) => {
        $($meta)*
        pub struct $name {
            $( $(#[$fmeta])* $fvis $field: $ty, )*
        }

        impl $crate::cli::args::Layer for $name {
            fn over(self, under: Self) -> Self {
                Self {
                    $( $field: $crate::cli::args::Layer::over(self.$field, under.$field), )*
                }
            }

            fn given(&self, _: &'static str, out: &mut Vec<&'static str>) {
                $( $crate::cli::args::Layer::given(&self.$field, stringify!($field), out); )*
            }
        }
    };
}
pub(crate) use layered;

layered! {
    #[derive(Args, Debug, Clone, Default, Deserialize)]
    #[serde(default)]
    pub struct InputArgs {
        /// Field delimiter: `,` `;` or `tab` (default: detected from the header).
        #[arg(long, value_parser = parse_delimiter)]
        #[serde(deserialize_with = "de_delimiter")]
        pub delimiter: Option<u8>,
        /// Accept rows with the same payment, amount and reference (each is refunded).
        #[arg(long)]
        pub allow_duplicates: bool,
        #[arg(long, help = with_default("Key namespace: part of every idempotency key", DEFAULT_NAMESPACE))]
        pub namespace: Option<String>,
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..), help = with_default("The most columns a line of the input may have; a wider one stops the reading, its line named", Limits::DEFAULT_COLUMNS))]
        pub max_columns: Option<u64>,
        #[arg(long, value_name = "SIZE", value_parser = parse_size, help = with_default("The largest cell of the input, in bytes or with a KiB/MiB suffix; a larger one stops the reading, its line named", "64KiB"))]
        #[serde(deserialize_with = "de_size")]
        pub max_field_bytes: Option<u64>,
        #[arg(long, value_name = "SIZE", value_parser = parse_size, help = with_default("The longest line (record) of the input, in bytes or with a KiB/MiB suffix; a longer one stops the reading, its line named", "1MiB"))]
        #[serde(deserialize_with = "de_size")]
        pub max_record_bytes: Option<u64>,
    }
}

layered! {
    #[derive(Args, Debug, Clone, Default, Deserialize)]
    #[serde(default)]
    pub struct SendArgs {
        #[arg(long, help = with_default("API base URL (plain http:// only to loopback)", DEFAULT_API_BASE))]
        pub api_base: Option<String>,
        #[flatten]
        pub token: TokenArgs,
        #[arg(long, help = with_default("Most requests per second in any one-second window, retries included: the ceiling of the adaptive rate (which slows down on 429s and climbs back), or the rate itself with --fixed-rate", settings::DEFAULT_RATE))]
        pub rate: Option<NonZeroU32>,
        /// Where the adaptive rate starts [default: --rate]
        #[arg(long, value_name = "N")]
        pub rate_start: Option<NonZeroU32>,
        /// Send at --rate throughout, whatever the API answers (429s sustained enough
        /// to be the account's limit still pause every worker for their Retry-After).
        #[arg(long)]
        pub fixed_rate: bool,
        #[arg(long, value_name = "N|auto", help = with_default("Requests in flight at once: a number, or `auto` (enough to reach the rate at the observed latency, up to --max-concurrency)", "auto"))]
        #[serde(deserialize_with = "de_concurrency")]
        pub(crate) concurrency: Option<Concurrency>,
        #[arg(long, value_name = "N", help = with_default("The most requests in flight that --concurrency auto may reach", settings::DEFAULT_MAX_CONCURRENCY))]
        pub max_concurrency: Option<usize>,
        #[arg(long, help = with_default("Attempts per row per run, the first included", settings::DEFAULT_MAX_ATTEMPTS))]
        pub max_attempts: Option<u32>,
        #[arg(long, help = with_default("Per-request timeout in seconds", settings::DEFAULT_TIMEOUT_SECS))]
        pub timeout: Option<u64>,
        #[arg(long, help = with_default("Consecutive server failures that stop the run", settings::DEFAULT_BREAKER))]
        pub breaker: Option<u32>,
        #[arg(long, help = with_default("Seconds in-flight requests may go on after SIGINT/SIGTERM", settings::DEFAULT_GRACE_SECS))]
        pub grace: Option<u64>,
        #[arg(long, value_name = "SECONDS", help = with_default("How long after a row's last attempt a read-back that finds no refund of it says it refunded nothing (earlier, the row stays in doubt)", settings::DEFAULT_SETTLE_AFTER_SECS))]
        pub settle_after: Option<u64>,
    }
}

/// Where the access token comes from. One setting in two keys: a layer that
/// names either wins whole, so a flag's `--token-env` is not beaten by a job
/// file's `token_file`.
#[derive(Args, Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct TokenArgs {
    /// Read the access token from this file instead of MP_ACCESS_TOKEN.
    #[arg(long, conflicts_with = "token_env")]
    pub token_file: Option<PathBuf>,
    /// Read the access token from this environment variable [default: MP_ACCESS_TOKEN]
    #[arg(long, value_name = "VAR")]
    pub token_env: Option<String>,
}

impl Layer for TokenArgs {
    fn over(self, under: Self) -> Self {
        if self.token_file.is_some() || self.token_env.is_some() {
            self
        } else {
            under
        }
    }

    fn given(&self, _: &'static str, out: &mut Vec<&'static str>) {
        self.token_file.given("token_file", out);
        self.token_env.given("token_env", out);
    }
}

layered! {
    /// `--out`: the CSV a command writes. One flag for every command; each command
    /// names its default ([`crate::store::paths::Sheet`]).
    #[derive(Args, Debug, Clone, Default, Deserialize)]
    #[serde(default)]
    pub struct OutArg {
        /// The CSV this command writes, atomically; may carry {batch} and {date}
        /// [default: beside the input, <input-stem>.results.csv; plan --online:
        /// .plan.csv; reconcile: .reconcile.csv; reconcile --report: .report-match.csv]
        #[arg(long)]
        pub out: Option<PathBuf>,
    }
}

layered! {
    /// `--results-format`: the columns of a batch's results file.
    #[derive(Args, Debug, Clone, Default, Deserialize)]
    #[serde(default)]
    pub struct ResultsFormatArg {
        /// The results file's columns: `mprefund` (the input's columns, then
        /// outcome, cause, refund id...) or `mp-batch` (Mercado Pago's batch-refund
        /// output: sequential_order;external_reference;amount;refund_status;refund_detail;payment_id)
        /// [default: the batch's, as its run chose; a new batch: mprefund]
        #[arg(long, value_name = "mprefund|mp-batch", value_parser = parse_results_format)]
        pub results_format: Option<ResultsFormat>,
    }
}

pub(crate) fn parse_results_format(s: &str) -> Result<ResultsFormat, String> {
    s.trim()
        .parse()
        .map_err(|_| format!("{s:?} is not one of `mprefund` `mp-batch`"))
}

layered! {
    /// The files a sending command writes besides its results.
    #[derive(Args, Debug, Clone, Default, Deserialize)]
    #[serde(default)]
    pub struct OutputArgs {
        #[flatten]
        pub out: OutArg,
        /// Write Prometheus textfile-collector metrics here (atomically).
        #[arg(long)]
        pub metrics_file: Option<PathBuf>,
        /// Write the run's summary as JSON here.
        #[arg(long)]
        pub summary_json: Option<PathBuf>,
        #[flatten]
        pub format: ResultsFormatArg,
    }
}

layered! {
    /// `--refund-window-days`, for the commands that predict (`plan --online`,
    /// `run --preflight`).
    #[derive(Args, Debug, Clone, Default, Deserialize)]
    #[serde(default)]
    pub struct WindowArg {
        #[arg(long, value_name = "DAYS", help = with_default("With --online or --preflight: payments approved longer ago than this predict `old`", DEFAULT_REFUND_WINDOW_DAYS))]
        pub refund_window_days: Option<i64>,
    }
}

layered! {
    /// Which batch of which state file a command over an existing batch works on.
    #[derive(Args, Debug, Clone, Default, Deserialize)]
    #[serde(default)]
    pub struct BatchArgs {
        /// SQLite state file [default: the job's, else the account's:
        /// $XDG_STATE_HOME/mprefund/mprefund.db for the default namespace]
        #[arg(long)]
        pub state: Option<PathBuf>,
        /// The batch (an id or a prefix of one), when the state file holds several
        /// [default: the only one, else the latest made from the job's input].
        #[arg(long)]
        pub batch: Option<String>,
        /// Take the state file (and other settings) from a job file (TOML); flags override it.
        #[arg(long)]
        #[serde(skip)]
        pub job: Option<PathBuf>,
    }
}

layered! {
    #[derive(Args, Debug, Clone, Default, Deserialize)]
    #[serde(default)]
    pub struct CurrencyArg {
        /// The account's currency (BRL, ARS…): a file without a currency column
        /// is in it. A total in another currency is refused, and `reconcile
        /// --report` matches no line in another one. Unset: read once from
        /// Mercado Pago where a payment is read (the console), else unknown.
        #[arg(long, value_name = "CUR", value_parser = parse_currency)]
        #[serde(deserialize_with = "de_currency")]
        pub currency: Option<Currency>,
    }
}

pub(crate) fn parse_currency(s: &str) -> Result<Currency, String> {
    s.parse()
}

fn de_currency<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Currency>, D::Error> {
    de_text_with(d, parse_currency)
}

#[derive(Deserialize)]
#[serde(untagged)]
enum NumberOrText {
    Number(u64),
    Text(String),
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

pub(crate) fn parse_delimiter(s: &str) -> Result<u8, String> {
    match s {
        "," | "comma" => Ok(b','),
        ";" | "semicolon" => Ok(b';'),
        "\t" | "tab" | "\\t" => Ok(b'\t'),
        other => Err(format!("{other:?} is not one of `,` `;` `tab`")),
    }
}

/// A size in bytes: `1048576`, `512KiB`, `300MiB`, `1GiB`.
pub(crate) fn parse_size(text: &str) -> Result<u64, String> {
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

/// The job file's text (or number) for a setting whose flag has a parser of
/// its own: the same parser, so a value means the same in both places.
fn de_text_with<'de, D: Deserializer<'de>, T>(
    d: D,
    parse: fn(&str) -> Result<T, String>,
) -> Result<Option<T>, D::Error> {
    let text = match NumberOrText::deserialize(d)? {
        NumberOrText::Number(n) => n.to_string(),
        NumberOrText::Text(t) => t,
    };
    parse(&text).map(Some).map_err(serde::de::Error::custom)
}

/// `delimiter = ";"` or `"tab"`.
fn de_delimiter<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u8>, D::Error> {
    de_text_with(d, parse_delimiter)
}

/// `concurrency = 4` or `"auto"`.
fn de_concurrency<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Concurrency>, D::Error> {
    de_text_with(d, str::parse)
}

/// `max_report_bytes = 1048576` or `"300MiB"`.
pub(crate) fn de_size<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    de_text_with(d, parse_size)
}

/// `expect_total`/`max_total` in a job file: `"1234.50:BRL"` or a list of them.
pub(crate) fn de_guards<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Guard>, D::Error> {
    let texts = match OneOrMany::deserialize(d)? {
        OneOrMany::One(t) => vec![t],
        OneOrMany::Many(ts) => ts,
    };
    texts
        .iter()
        .map(|t| t.parse::<Guard>().map_err(serde::de::Error::custom))
        .collect()
}

layered! {
    /// `--notify-url`: where a command tells a person what they should know.
    #[derive(Args, Debug, Clone, Default, Deserialize)]
    #[serde(default)]
    pub struct NotifyArg {
        /// POST a JSON `{"text": ...}` here (a Slack, Microsoft Teams or Google
        /// Chat incoming webhook) when a batch waits for approval, is approved or
        /// rejected, ends with failed or in-doubt rows, a read-back finds what
        /// Mercado Pago disagrees with, or a command stops early or needs a person
        /// (exit 2 or more), with the command to run next; https only (http to
        /// this machine). Never holds the token.
        #[arg(long, value_name = "URL")]
        pub notify_url: Option<String>,
    }
}

layered! {
    /// What a command that sends refunds (`run`, `retry`) takes besides its
    /// rows: how it sends, the files it writes, whom it tells.
    #[derive(Args, Debug, Clone, Default, Deserialize)]
    #[serde(default)]
    pub struct SendingArgs {
        #[flatten]
        pub send: SendArgs,
        #[flatten]
        pub output: OutputArgs,
        #[flatten]
        pub notify: NotifyArg,
    }
}
