//! `mprefund console`: finance's way in — a web page, served by this process, to
//! upload a chargeback spreadsheet and see its plan, with accounts, sessions and
//! an audit trail kept in the job's state file (issue 21, first phase).
//!
//! It owns: the console's command line (`console`, `console users …`), its tables
//! in the state file (`store`, which alone writes them), accounts (`users`), login
//! and sessions (`auth`, `lockout`), the HTTP surface (`server`, `pages`,
//! `upload`), the audit trail (`audit`), the pages' languages (`i18n`), four
//! eyes (`review`), sending (`send`) and `run --approved`, which sends the
//! approved batches tonight (`approved`), and reading a sent batch's books back
//! — reconciling it, matching a report (`books`).
//!
//! Invariants: nothing changes on a GET; every POST carries the session's CSRF
//! token; passwords exist only as argon2id hashes; the access token is never
//! read here, so it cannot reach a page, a log line or a download; an uploaded
//! file is stored under a generated name, whatever the browser called it.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use crate::Exit;
use crate::commands::SendOptions;
use crate::input::InputOptions;

pub(crate) mod approved;
mod audit;
mod auth;
mod books;
mod i18n;
mod lockout;
mod pages;
mod review;
mod send;
mod server;
mod store;
mod upload;
mod users;

/// `mprefund console`.
#[derive(Args, Debug)]
pub struct ConsoleArgs {
    #[command(subcommand)]
    pub command: Option<ConsoleCommand>,
    /// Take the state file (and input settings) from a job file.
    #[arg(long, global = true)]
    pub job: Option<PathBuf>,
    /// The state file holding the accounts, uploads and audit trail [default: the
    /// job's, else the account's, $XDG_STATE_HOME/mprefund/<namespace>.db]
    #[arg(long, global = true)]
    pub state: Option<PathBuf>,
    /// Address to serve on. Other than loopback only with --behind-proxy.
    #[arg(long, default_value = "127.0.0.1:8420")]
    pub listen: std::net::SocketAddr,
    /// A reverse proxy in front terminates TLS: listening beyond loopback is
    /// allowed, and the session cookie is marked `Secure`.
    #[arg(long)]
    pub behind_proxy: bool,
    /// Minutes without a request after which a session ends.
    #[arg(long, value_name = "MINUTES", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=1440))]
    pub idle_timeout: u64,
    /// Days a batch may wait for its approval after its upload; past them it
    /// expires.
    #[arg(long, value_name = "DAYS", default_value_t = 7,
          value_parser = clap::value_parser!(u32).range(1..=365))]
    pub approval_days: u32,
    /// How an approved batch is sent (`--api-base`, `--rate`…, the token as
    /// `run` takes it): the console runs the same engine.
    #[command(flatten)]
    pub send: crate::cli::args::SendArgs,
    /// The UTC offset pages show times at: `-03:00` (Brasília), `+00:00`...
    #[arg(long, value_name = "OFFSET", default_value = "+00:00", allow_hyphen_values = true, value_parser = i18n::parse_offset)]
    pub time_zone: time::UtcOffset,
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
/// submitted; admins do both and read the audit trail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Role {
    Submitter,
    Approver,
    Admin,
}

impl Role {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Role::Submitter => "submitter",
            Role::Approver => "approver",
            Role::Admin => "admin",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<Role> {
        [Role::Submitter, Role::Approver, Role::Admin]
            .into_iter()
            .find(|r| r.as_str() == text)
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
            server::serve(server::Settings {
                state,
                input,
                listen: args.listen,
                behind_proxy: args.behind_proxy,
                idle: std::time::Duration::from_secs(args.idle_timeout * 60),
                approval_days: args.approval_days,
                send,
                offset: args.time_zone,
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
    Ok(crate::key::hex(&bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_read_back_as_written() {
        for r in [Role::Submitter, Role::Approver, Role::Admin] {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
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
