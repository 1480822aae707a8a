//! `mprefund console`: finance's way in — a web page, served by this process, to
//! upload a chargeback spreadsheet, see its plan, have it approved by someone
//! else and sent, with accounts, sessions and an audit trail kept in the job's
//! state file.
//!
//! It owns: the console's command line (`console`, `console users …`), its tables
//! in the state file (`store`, which alone writes them), accounts (`users`), login
//! and sessions (`login`, `auth`, `lockout`, `gate`), the HTTP surface in axum's
//! idiom — the server and its routes (`server`), what a handler takes from a
//! request (`extract`: the language, the client, the session with its CSRF
//! token and role, the batch in the path), how a request is refused (`error`),
//! the pages (`pages`), the headers every answer carries (`shield`) — uploads
//! (`upload`), the audit trail (`audit`), the pages' languages (`i18n`), four
//! eyes (`review`) and the money it covers, `full` rows read back (`covered`),
//! sending (`send`), a sent batch's results and retry (`results`), reading a
//! sent batch's books back — reconciling it, matching a report (`books`, what
//! they found: `findings`) — a
//! batch's life in this process (`registry`), `run --approved`, which sends the
//! approved batches tonight (`approved`), and who is sending a batch: a send a
//! killed process left behind is found and resumable (`sender`).
//!
//! Invariants: nothing changes on a GET; every POST carries the session's CSRF
//! token; passwords exist only as argon2id hashes; the access token is never
//! read here, so it cannot reach a page, a log line or a download; an uploaded
//! file is stored under a generated name, whatever the browser called it.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use serde::Deserialize;

use crate::cli::args::with_default;
use crate::ops::SendOptions;
use crate::sheets::input::InputOptions;
use crate::{Exit, Usage};

pub(crate) mod approved;
mod audit;
mod auth;
mod books;
mod covered;
mod error;
mod extract;
mod findings;
mod gate;
mod i18n;
mod keep;
mod lockout;
mod login;
mod pages;
mod registry;
mod results;
mod review;
mod send;
mod sender;
mod server;
mod shield;
mod store;
mod upload;
mod users;
mod zone;

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
        #[command(flatten)]
        #[serde(flatten)]
        pub send: crate::cli::args::SendArgs,
        /// The account's currency, which an upload without a currency column is
        /// in (unset: read once from Mercado Pago, see `covered`).
        #[command(flatten)]
        #[serde(flatten)]
        pub currency: crate::cli::args::CurrencyArg,
        /// Serve without an access token, to look only: plans, results and the
        /// audit trail; every page says that nothing can be approved or sent.
        /// Without it, a console with no usable token refuses to start.
        #[arg(long)]
        pub without_token: bool,
        #[command(flatten)]
        #[serde(flatten)]
        pub notify: crate::cli::args::NotifyArg,
        #[arg(long, value_name = "DAYS", help = with_default("Days an uploaded spreadsheet is kept after its batch ended (rejected, expired or sent); then it is removed, and the removal audited (0 to 3650)", keep::DEFAULT_UPLOAD_DAYS),
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

/// Where HTTPS's certificate and key are (`--tls-cert`, `--tls-key`).
#[derive(Debug, Clone)]
pub(crate) struct Tls {
    pub cert: PathBuf,
    pub key: PathBuf,
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
    let upload_days = s.upload_days.unwrap_or(keep::DEFAULT_UPLOAD_DAYS);
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

/// What an account may do. Submitters upload; approvers approve what others
/// submitted; admins do both and read the audit trail. Stored by name.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    ValueEnum,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::EnumIter,
)]
#[strum(serialize_all = "snake_case")]
pub enum Role {
    Submitter,
    Approver,
    Admin,
}

impl Role {
    /// As the state file stores it and pages show it.
    pub(crate) fn as_str(self) -> &'static str {
        self.into()
    }

    /// May upload a spreadsheet (and, later, submit it).
    pub(crate) fn may_upload(self) -> bool {
        matches!(self, Role::Submitter | Role::Admin)
    }

    /// May approve or reject what someone else submitted.
    pub(crate) fn may_approve(self) -> bool {
        matches!(self, Role::Approver | Role::Admin)
    }

    /// May read the audit trail.
    pub(crate) fn may_audit(self) -> bool {
        matches!(self, Role::Approver | Role::Admin)
    }
}

/// Runs `mprefund console …` over the state file `state` (already resolved from
/// `--state`/`--job` the way every command resolves it); `input`: the input
/// settings uploads are read with.
pub(crate) async fn exec(
    args: ConsoleArgs,
    state: PathBuf,
    input: InputOptions,
    send: anyhow::Result<SendOptions>,
) -> anyhow::Result<Exit> {
    match args.command {
        Some(ConsoleCommand::Users { command }) => users::exec(command, &state),
        None => {
            let r = resolve(&args.settings)?;
            let notify =
                crate::cli::settings::notifier(&args.settings.notify, &args.settings.send)?;
            // Old uploads go before the console serves, then every hour.
            keep::sweep_now(&state, r.upload_days, r.approval_days);
            tokio::spawn(keep::keep_sweeping(
                state.clone(),
                r.upload_days,
                r.approval_days,
            ));
            server::serve(server::Settings {
                state,
                input,
                listen: r.listen,
                tls: r.tls,
                behind_proxy: args.settings.behind_proxy,
                idle: r.idle,
                approval_days: r.approval_days,
                send,
                offset: r.offset,
                currency: args.settings.currency.currency,
                notify,
            })
            .await
        }
    }
}

/// `n` bytes from the OS random generator, as hex: session ids, CSRF tokens,
/// upload names.
pub(crate) fn random_hex(n: usize) -> anyhow::Result<String> {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes)
        .map_err(|e| anyhow::anyhow!("the OS random generator failed: {e}"))?;
    Ok(crate::domain::key::hex(&bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// State files written by earlier versions hold these names.
    #[test]
    fn roles_read_back_as_written() {
        use strum::IntoEnumIterator;
        let names: Vec<&str> = Role::iter().map(Role::as_str).collect();
        assert_eq!(names, ["submitter", "approver", "admin"]);
        for r in Role::iter() {
            assert_eq!(r.as_str().parse::<Role>(), Ok(r));
        }
        assert!("root".parse::<Role>().is_err());
        assert!(Role::Submitter.may_upload() && !Role::Approver.may_upload());
        assert!(Role::Approver.may_audit() && !Role::Submitter.may_audit());
        assert!(Role::Approver.may_approve() && Role::Admin.may_approve());
        assert!(!Role::Submitter.may_approve());
    }

    #[test]
    fn random_ids_are_long_and_distinct() {
        let a = random_hex(32).unwrap();
        let b = random_hex(32).unwrap();
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
    }
}
