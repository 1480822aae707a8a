//! `mprefund run --approved`: the console's "leave it for tonight". Every
//! approved console batch of the state file with rows left to send is sent, in
//! the order approved, by `run`'s own library function over its stored upload —
//! as the console's "send now" sends it.
//!
//! Invariants: only a batch stored `approved` or `stopped` (so approved once) is
//! sent — never an uploaded, submitted, rejected or expired one; first, a batch
//! a killed process left `sending` is moved to `stopped` (`sender::recover`),
//! so the night finishes it, in its approval order like the others; each moves
//! to `sending` under its sender lock by the console's own conditional UPDATE,
//! so one a live console is sending now is left alone and nothing is sent
//! twice; after its run it reads `finished` when nothing is left, else
//! `stopped`; every send is audited. A stop (signal, outage) ends the night:
//! the batches after it wait.

use std::path::PathBuf;

use super::store::{Action, BatchState, Entry, Store};
use crate::engine::send::Stop;
use crate::ops::SendOptions;
use crate::ops::run::{Confirm, RunResult};
use crate::sheets::input::InputOptions;

/// How tonight's batches are sent.
pub(crate) struct Night {
    pub state: PathBuf,
    pub input: InputOptions,
    pub send: SendOptions,
    pub mode: Option<crate::engine::progress::Mode>,
    pub confirm: Option<Confirm>,
}

/// One console batch sent tonight.
pub(crate) struct Sent {
    /// The console's batch id, and the file its submitter uploaded.
    pub id: String,
    pub file: String,
    pub ran: anyhow::Result<RunResult>,
}

/// What the audit trail says sent the batch.
const WHO: &str = "run --approved";

/// Sends every approved batch of `night.state` not yet finished, oldest
/// approval first (see the module's invariants).
pub(crate) async fn send_approved(night: Night, stop: Stop) -> anyhow::Result<Vec<Sent>> {
    let mut store = Store::open(&night.state)?;
    // A send a killed console (or run) left behind is tonight's too.
    super::sender::recover(&mut store, &night.state)?;
    let due = store.approved_unsent()?;
    let mut sent = Vec::new();
    for u in due {
        if stop.reason().is_some() {
            break;
        }
        let left_alone = |u: &super::store::Upload| {
            tracing::warn!(
                "console batch {} ({}) is being sent already: left alone",
                u.id,
                u.original_name
            );
        };
        let Some(sender) = super::sender::claim(&night.state, &u.id, WHO)? else {
            left_alone(&u);
            continue;
        };
        let from = [BatchState::Approved, BatchState::Stopped];
        if !store.move_state(&u.id, &from, BatchState::Sending)? {
            sender.end();
            left_alone(&u);
            continue;
        }
        store.append_audit(&Entry {
            at_ms: crate::domain::clock::now_ms(),
            user: None,
            action: Action::Send.as_str().to_owned(),
            remote: None,
            batch: Some(u.id.clone()),
            detail: Some(
                super::detail::Detail::Send {
                    canary: None,
                    night: true,
                }
                .stored(),
            ),
        })?;
        tracing::info!(
            "sending console batch {} ({}), approved by {}",
            u.id,
            u.original_name,
            u.review
                .as_ref()
                .and_then(|r| r.decided_by.as_deref())
                .unwrap_or("?")
        );
        let mut req = super::send::request_for(
            &u,
            store.uploads_dir().join(&u.stored_name),
            night.state.clone(),
            night.input.clone(),
            night.send.clone(),
        );
        req.confirm = night.confirm.clone();
        req.output.mode = night.mode;
        let ran = crate::ops::run::run(req, stop.clone()).await;
        let (done, stopped) = match &ran {
            Ok(RunResult::Finished(f)) => (f.nothing_left(), f.stopped.is_some()),
            _ => (false, false),
        };
        let to = if done {
            BatchState::Finished
        } else {
            BatchState::Stopped
        };
        let moved = store.move_state(&u.id, &[BatchState::Sending], to);
        sender.end();
        moved?;
        sent.push(Sent {
            id: u.id,
            file: u.original_name,
            ran,
        });
        if stopped {
            break;
        }
    }
    Ok(sent)
}
