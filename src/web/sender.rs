//! Who is sending a console batch, and what becomes of one whose sender died.
//! Whoever moves a batch to `sending` — the console's "send now", `run
//! --approved` — first takes the batch's sender lock (`crate::store::lock`'s OS file
//! lock, named after the console batch) and keeps it until the batch has left
//! `sending`. The OS drops the lock when its process dies, so a batch stored
//! `sending` whose sender lock is free, and whose ledger batch no run holds,
//! was left by a process that was killed: [`recover`] moves it to `stopped`,
//! audited `interrupted`, and the next send resumes it — the same ledger batch,
//! the same keys.
//!
//! Why a lock of its own and not only the ledger batch's: `run` takes that one
//! itself, after the move to `sending` (it reads the upload first), so for a
//! moment a live sender holds no ledger lock; and in one process a second lock
//! of the same file would refuse `run`'s own. The ledger batch's lock is still
//! looked at: a run of it that is alive means the batch is not abandoned.
//!
//! Invariants: a move to `sending` happens only under the sender lock, which is
//! released only after the move out of it; [`recover`] moves a batch only while
//! it holds that lock itself, and only one still `sending` (a conditional
//! UPDATE) — so a batch a live process is sending is never taken from it.

use std::path::Path;

use super::store::{Action, BatchState, Entry, Store};
use crate::store::lock::{self, BatchLock, Held};

/// The sender lock of one console batch, held while it is `sending`.
#[derive(Debug)]
pub(crate) struct Sender(BatchLock);

impl Sender {
    /// Once the batch has left `sending`. The lock file goes too: the next
    /// holder makes a new one (`lock` re-checks the file it locked).
    pub(crate) fn end(self) {
        self.0.release(true);
    }
}

/// Takes console batch `id`'s sender lock; `None` when a live process holds it.
/// `who` is written in the lock file, for whoever wonders who holds it.
pub(crate) fn claim(state: &Path, id: &str, who: &str) -> anyhow::Result<Option<Sender>> {
    // Console batch ids are 32 random hex digits: the lock file is named by
    // the first 16, as the ledger's are by their batch's.
    match BatchLock::acquire(state, id, who) {
        Ok(held) => Ok(Some(Sender(held))),
        Err(e) if e.downcast_ref::<Held>().is_some() => Ok(None),
        Err(e) => Err(e),
    }
}

/// Moves every batch a dead process left `sending` to `stopped`, each with an
/// `interrupted` audit entry (no account: no one asked); their ids. A batch
/// whose sender (or ledger run) is alive is left alone.
pub(crate) fn recover(store: &mut Store, state: &Path) -> anyhow::Result<Vec<String>> {
    let mut moved = Vec::new();
    for u in store.sending()? {
        let Some(held) = claim(state, &u.id, "console: checking for an interrupted send")? else {
            continue;
        };
        let ledger_run_alive = u
            .review
            .as_ref()
            .and_then(|r| r.ledger_batch.as_deref())
            .is_some_and(|b| lock::is_held(&lock::lock_path(state, b)));
        let stopped = !ledger_run_alive
            && store.move_state(&u.id, &[BatchState::Sending], BatchState::Stopped)?;
        if stopped {
            let now = crate::domain::clock::now_ms();
            store.append_audit(&Entry::unattended(
                now,
                Action::Interrupted,
                &u.id,
                super::detail::Detail::Interrupted.stored(),
            ))?;
            tracing::warn!(
                "console batch {} ({}) was left `sending` by a process that ended: now `stopped`; \
                 send it again to finish it (same keys)",
                u.id,
                u.original_name
            );
            moved.push(u.id);
        }
        held.end();
    }
    Ok(moved)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_sender_lock_is_not_claimed_again() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("s.db");
        let id = "0123456789abcdef0123456789abcdef";
        let first = claim(&state, id, "test").unwrap().expect("free");
        assert!(claim(&state, id, "test").unwrap().is_none(), "held");
        first.end();
        claim(&state, id, "test")
            .unwrap()
            .expect("free again")
            .end();
    }
}
