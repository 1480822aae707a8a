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
//! sending (`send`), an upload that repeats earlier refunds (`repeat`), what
//! a sent batch's rows and money came to (`summary`), a sent batch's results
//! and retry (`results`) and as a person downloads them (`people`), reading a
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

use clap::ValueEnum;

pub(crate) use server::{Settings, serve};

pub(crate) mod app;
pub(crate) mod approved;
mod audit;
mod auth;
mod books;
mod covered;
mod detail;
mod error;
mod extract;
mod findings;
mod gate;
mod i18n;
pub(crate) mod keep;
mod lockout;
mod login;
mod pages;
mod people;
mod reading;
mod registry;
mod repeat;
mod results;
mod review;
mod send;
mod sender;
mod server;
mod shield;
mod store;
mod summary;
mod upload;
pub(crate) mod users;
mod view;
pub(crate) mod zone;

/// Where HTTPS's certificate and key are (`--tls-cert`, `--tls-key`).
#[derive(Debug, Clone)]
pub(crate) struct Tls {
    pub cert: PathBuf,
    pub key: PathBuf,
}

crate::domain::codes! {
    /// What an account may do. Submitters upload; approvers approve what others
    /// submitted; admins do both and read the audit trail. Stored by name.
    #[derive(ValueEnum)]
    pub enum Role {
        Submitter,
        Approver,
        Admin,
    }
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

    /// Its name in a page's words.
    pub(crate) fn label(self) -> i18n::M {
        match self {
            Role::Submitter => i18n::M::RoleSubmitter,
            Role::Approver => i18n::M::RoleApprover,
            Role::Admin => i18n::M::RoleAdmin,
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
