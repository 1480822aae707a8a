//! `mprefund console`: the state file and input settings resolved as every
//! command over batches resolves them (`--state`, else the job's, else the
//! account's), its settings merged flag > `[console]` > the job's top level >
//! default, then the console (`crate::web`) takes over.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde::Deserialize;

use crate::cli::args::{InputArgs, with_default};
use crate::cli::session::Session;
use crate::cli::settings::{self, JobFile, Layer};
use crate::web::keep::DEFAULT_UPLOAD_DAYS;
use crate::web::{Role, Tls, users, zone};
use crate::{Exit, Usage};

/// `mprefund console`.
#[derive(Args, Debug)]
pub struct ConsoleArgs {
    #[command(subcommand)]
    pub command: Option<ConsoleCommand>,
    /// Take the state file and the console's settings (its `[console]` table
    /// over the top level) from a job file; flags override it.
    #[arg(long, global = true)]
    pub job: Option<PathBuf>,
    /// The state file holding the accounts, uploads and audit trail [default: the
    /// job's, else the account's, $XDG_STATE_HOME/mprefund/<namespace>.db]
    #[arg(long, global = true)]
    pub state: Option<PathBuf>,
    #[command(flatten)]
    pub settings: ConsoleSettings,
}

/// `--listen`, unless the job file says otherwise.
pub(crate) const DEFAULT_LISTEN: &str = "127.0.0.1:8420";
/// `--idle-timeout` (minutes), `--approval-days`, and their ranges.
pub(crate) const DEFAULT_IDLE_MINUTES: u64 = 30;
pub(crate) const DEFAULT_APPROVAL_DAYS: u32 = 7;
const IDLE_MINUTES: std::ops::RangeInclusive<u64> = 1..=1440;
const APPROVAL_DAYS: std::ops::RangeInclusive<u32> = 1..=365;

crate::cli::args::layered! {
    /// The console's settings: each a flag and a job-file key of the same name
    /// (`[console]` or the top level), resolved flag > job file > default.
    #[derive(Args, Debug, Clone, Default, Deserialize)]
    #[serde(default)]
    pub struct ConsoleSettings {
        #[arg(long, value_name = "HOST:PORT", value_parser = parse_listen, help = with_default("Address to serve on: an IP or a host name (localhost:8420), and a port. Beyond loopback only over HTTPS (--tls-cert and --tls-key) or --behind-proxy", DEFAULT_LISTEN))]
        #[serde(deserialize_with = "de_listen")]
        pub listen: Option<String>,
        /// A reverse proxy in front terminates TLS: listening beyond loopback is
        /// allowed, the session cookie is marked `Secure`, and the client the
        /// proxy names (X-Forwarded-For) is what the audit trail records.
        #[arg(long)]
        pub behind_proxy: bool,
        /// Serve HTTPS with this certificate (PEM; the chain, leaf first); with --tls-key.
        #[arg(long, value_name = "FILE", requires = "tls_key")]
        pub tls_cert: Option<PathBuf>,
        /// The certificate's private key (PEM: PKCS#8, PKCS#1 or SEC1); with --tls-cert.
        #[arg(long, value_name = "FILE", requires = "tls_cert")]
        pub tls_key: Option<PathBuf>,
        #[arg(long, value_name = "MINUTES", help = with_default("Minutes without a request after which a session ends (1 to 1440)", DEFAULT_IDLE_MINUTES),
              value_parser = clap::value_parser!(u64).range(1..=1440))]
        pub idle_timeout: Option<u64>,
        #[arg(long, value_name = "DAYS", help = with_default("Days a batch may wait for its approval after its upload; past them it expires (1 to 365)", DEFAULT_APPROVAL_DAYS),
              value_parser = clap::value_parser!(u32).range(1..=365))]
        pub approval_days: Option<u32>,
        /// The time zone pages show times in: a zone of the system's database
        /// (`America/Sao_Paulo`) or a UTC offset (`-03:00`)
        /// [default: the system's: TZ, else /etc/localtime]
        #[arg(long, value_name = "ZONE", allow_hyphen_values = true, value_parser = zone::Zone::parse)]
        #[serde(deserialize_with = "de_zone")]
        pub(crate) time_zone: Option<zone::Zone>,
        /// How an approved batch is sent (`--api-base`, `--rate`…, the token as
        /// `run` takes it): the console runs the same engine.
        #[flatten]
        pub send: crate::cli::args::SendArgs,
        /// The account's currency, which an upload without a currency column is
        /// in (unset: read once from Mercado Pago, see `covered`).
        #[flatten]
        pub currency: crate::cli::args::CurrencyArg,
        /// Serve without an access token, to look only: plans, results and the
        /// audit trail; every page says that nothing can be approved or sent.
        /// Without it, a console with no usable token refuses to start.
        #[arg(long)]
        pub without_token: bool,
        #[flatten]
        pub notify: crate::cli::args::NotifyArg,
        #[arg(long, value_name = "DAYS", help = with_default("Days an uploaded spreadsheet is kept after its batch ended (rejected, expired or sent); then it is removed, and the removal audited (0 to 3650)", DEFAULT_UPLOAD_DAYS),
              value_parser = clap::value_parser!(u32).range(0..=3650))]
        pub upload_days: Option<u32>,
    }
}

/// `--listen`: `HOST:PORT`, the host an IP or a name (`localhost:8420`,
/// `[::1]:8420`); the name is resolved when the console starts.
fn parse_listen(text: &str) -> Result<String, String> {
    let t = text.trim();
    let bad = || format!("{t:?} is not HOST:PORT (127.0.0.1:8420, localhost:8420, [::1]:8420)");
    let (host, port) = t.rsplit_once(':').ok_or_else(bad)?;
    if host.is_empty() || port.parse::<u16>().is_err() {
        return Err(bad());
    }
    Ok(t.to_owned())
}

/// `listen = "localhost:8420"` in a job file: read as the flag is.
fn de_listen<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let text = String::deserialize(d)?;
    parse_listen(&text)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

/// The addresses `listen` names, resolved: an IP as it is, a name as the
/// system resolves it.
fn resolve_listen(listen: &str) -> Result<Vec<std::net::SocketAddr>, Usage> {
    use std::net::ToSocketAddrs;
    let addrs: Vec<std::net::SocketAddr> = listen
        .to_socket_addrs()
        .map_err(|e| Usage(format!("--listen {listen}: {e}")))?
        .collect();
    if addrs.is_empty() {
        return Err(Usage(format!(
            "--listen {listen}: the name resolves to no address"
        )));
    }
    Ok(addrs)
}

/// `time_zone = "America/Sao_Paulo"` (or `"-03:00"`) in a job file: read as
/// the flag is.
fn de_zone<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<zone::Zone>, D::Error> {
    let text = String::deserialize(d)?;
    zone::Zone::parse(&text)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

/// What `serve` takes from the merged settings, defaults applied and ranges
/// checked (a job file's values are not seen by clap's own checks).
struct Resolved {
    /// What `listen` resolved to: the console binds the first; beyond
    /// loopback, any of them needs HTTPS.
    listen: Vec<std::net::SocketAddr>,
    tls: Option<Tls>,
    idle: std::time::Duration,
    approval_days: u32,
    offset: zone::Zone,
    upload_days: u32,
}

fn resolve(s: &ConsoleSettings) -> Result<Resolved, Usage> {
    let tls = match (&s.tls_cert, &s.tls_key) {
        (Some(cert), Some(key)) => Some(Tls {
            cert: cert.clone(),
            key: key.clone(),
        }),
        (None, None) => None,
        (Some(_), None) | (None, Some(_)) => {
            return Err(Usage(
                "--tls-cert and --tls-key go together (tls_cert and tls_key in a job file): \
                 give both, or neither"
                    .into(),
            ));
        }
    };
    let idle = s.idle_timeout.unwrap_or(DEFAULT_IDLE_MINUTES);
    if !IDLE_MINUTES.contains(&idle) {
        return Err(Usage(format!(
            "idle_timeout = {idle}: minutes, from 1 to 1440"
        )));
    }
    let approval_days = s.approval_days.unwrap_or(DEFAULT_APPROVAL_DAYS);
    if !APPROVAL_DAYS.contains(&approval_days) {
        return Err(Usage(format!(
            "approval_days = {approval_days}: days, from 1 to 365"
        )));
    }
    let upload_days = s.upload_days.unwrap_or(DEFAULT_UPLOAD_DAYS);
    if upload_days > 3650 {
        return Err(Usage(format!(
            "upload_days = {upload_days}: days, from 0 to 3650"
        )));
    }
    Ok(Resolved {
        upload_days,
        listen: resolve_listen(s.listen.as_deref().unwrap_or(DEFAULT_LISTEN))?,
        tls,
        idle: std::time::Duration::from_secs(idle * 60),
        approval_days,
        offset: s.time_zone.unwrap_or_else(zone::Zone::system),
    })
}

#[derive(Subcommand, Debug)]
pub enum ConsoleCommand {
    /// Accounts that may log in to the console.
    Users {
        #[command(subcommand)]
        command: UsersCommand,
    },
}

#[derive(Subcommand, Debug)]
pub enum UsersCommand {
    /// Add an account (asks for its password on the terminal, twice).
    Add {
        name: String,
        #[arg(long, value_enum)]
        role: Role,
        /// Read the password from standard input (one line) instead.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Every account: name, role, whether it may log in.
    List,
    /// Stop an account from logging in; its open sessions end on their next request.
    Disable { name: String },
}

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
    let r = match a.command {
        Some(ConsoleCommand::Users { command }) => return users::exec(command.into(), &state),
        None => resolve(&a.settings)?,
    };
    let notify = settings::notifier(&a.settings.notify, &a.settings.send)?;
    crate::web::serve(crate::web::Settings {
        state,
        input,
        listen: r.listen,
        tls: r.tls,
        upload_days: r.upload_days,
        behind_proxy: a.settings.behind_proxy,
        idle: r.idle,
        approval_days: r.approval_days,
        send,
        offset: r.offset,
        currency: a.settings.currency.currency,
        notify,
    })
    .await
}

impl From<UsersCommand> for users::Command {
    fn from(c: UsersCommand) -> users::Command {
        match c {
            UsersCommand::Add {
                name,
                role,
                password_stdin,
            } => users::Command::Add {
                name,
                role,
                password_stdin,
            },
            UsersCommand::List => users::Command::List,
            UsersCommand::Disable { name } => users::Command::Disable { name },
        }
    }
}
