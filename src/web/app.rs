//! What every handler of the console shares ([`App`]): the store behind its
//! one lock, the sessions, each batch's life in this process (`registry`),
//! the account's currency (`covered`), how approved batches are sent; and
//! who sent a request ([`Remote`]), as the audit trail records it.
//!
//! Invariant: every change a person makes is audited before it is said done
//! ([`App::audit`]): a trail that cannot be written fails the request.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use super::auth::Sessions;
use super::detail::Detail;
use super::error::AppError;
use super::registry::Registry;
use super::store::{Action, Entry, Store};
use crate::domain::clock::now_ms;
use crate::ops::SendOptions;
use crate::sheets::input::InputOptions;

/// What every handler shares.
pub(crate) struct App {
    pub(super) store: Mutex<Store>,
    pub sessions: Sessions,
    /// How uploads are read (the job's delimiter, namespace…).
    pub input: InputOptions,
    /// The state file: a plan looks up the refunds its earlier batches made.
    pub state: PathBuf,
    /// A proxy in front names the client (`X-Forwarded-For`).
    pub behind_proxy: bool,
    /// The browser reaches us over HTTPS (ours or the proxy's): cookies are `Secure`.
    pub(super) secure: bool,
    /// The zone pages show times in.
    pub offset: super::zone::Zone,
    /// Checked against when the account does not exist, so that a login with a
    /// wrong name takes as long as one with a wrong password.
    pub(super) stand_in_hash: String,
    /// Days a batch may wait for its approval.
    pub approval_days: u32,
    /// How approved batches are sent (none: started without a token).
    pub send: Option<SendOptions>,
    /// Each batch's life in this process: its send or reading, its plan, its
    /// `full` rows read back.
    pub batches: Registry,
    /// The account's currency (`console::covered`).
    pub covers: super::covered::Covers,
    /// Where a person is told (`notify_url`): in the background, never in
    /// the way of a request.
    pub notify: Option<crate::engine::notify::Notifier>,
}

pub(crate) type Shared = Arc<App>;

/// Who sent a request: the peer, and behind a proxy the client it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Remote {
    /// As the audit trail records it: `203.0.113.9 via 10.0.0.1:4000`.
    pub shown: String,
    /// The address logins are limited by.
    pub client: IpAddr,
}

impl Remote {
    /// `forwarded`: the request's `X-Forwarded-For`, read only `behind_proxy`.
    pub(crate) fn of(peer: SocketAddr, forwarded: Option<&str>, behind_proxy: bool) -> Remote {
        let named = forwarded
            .and_then(|v| v.rsplit(',').next())
            .map(str::trim)
            .filter(|v| !v.is_empty() && behind_proxy);
        match named {
            Some(client) => Remote {
                shown: format!("{client} via {peer}"),
                client: client
                    .parse::<IpAddr>()
                    .or_else(|_| client.parse::<SocketAddr>().map(|s| s.ip()))
                    .unwrap_or(peer.ip()),
            },
            None => Remote {
                shown: peer.to_string(),
                client: peer.ip(),
            },
        }
    }
}

impl App {
    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Appends what `who` did to batch `batch` to the audit trail, as
    /// [`App::audit`].
    pub(crate) fn audit_batch(
        &self,
        who: &str,
        action: Action,
        remote: &Remote,
        batch: &str,
        detail: Option<Detail>,
    ) -> Result<(), AppError> {
        self.audit(Some(who), action, remote, Some(batch), detail)
    }

    /// Appends to the audit trail; a trail that cannot be written fails the request.
    pub(crate) fn audit(
        &self,
        user: Option<&str>,
        action: Action,
        remote: &Remote,
        batch: Option<&str>,
        detail: Option<Detail>,
    ) -> Result<(), AppError> {
        let remote = remote.shown.as_str();
        let entry = Entry {
            at_ms: now_ms(),
            user: user.map(str::to_owned),
            action: action.as_str().to_owned(),
            remote: Some(remote.to_owned()),
            batch: batch.map(str::to_owned),
            detail: detail.as_ref().map(Detail::stored),
        };
        tracing::info!(
            action = action.as_str(),
            user = user.unwrap_or("-"),
            remote,
            batch = batch.unwrap_or("-"),
            "console"
        );
        self.store().append_audit(&entry)?;
        let said = match action {
            Action::Submit => Some("submitted: it waits for an approver (someone else)"),
            Action::Approve => Some("approved: it can be sent now, or tonight"),
            Action::Reject => Some("rejected"),
            _ => None,
        };
        if let (Some(n), Some(said)) = (&self.notify, said) {
            let by = user.unwrap_or("?");
            // The operator's notice is in English, at the console's zone.
            let english = super::i18n::Words {
                lang: super::i18n::Lang::En,
                zone: self.offset,
                look_only: false,
            };
            let detail = detail
                .map(|d| format!(" ({})", d.said(english)))
                .unwrap_or_default();
            let batch = batch.unwrap_or("?");
            n.send(format!(
                "mprefund console: batch {batch} {said}; by {by}{detail}"
            ));
        }
        Ok(())
    }
}
