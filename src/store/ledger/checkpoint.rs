//! When the state file's write-ahead log is copied back into the file (a
//! checkpoint) while a run sends. SQLite does it itself at the end of the
//! commit that takes the log past 1,000 pages, on the collector's thread,
//! before the claim that commit made reaches the senders: the copy, and its
//! sync to disk, waited on the disk for up to 50 ms at a time, while the
//! senders ran out of rows and the API's side of the machine sat idle. A run
//! holds those checkpoints back and takes the same one — at the same size, in
//! `PASSIVE` mode — once the claimed rows are on their way.
//!
//! A new batch's commit leaves its checkpoint to the next commit the same
//! way (`batch::SettingsBack`): copying a whole batch stood between its
//! making and the first request.
//!
//! Invariants: only the checkpoint moves, never a commit or its sync (a
//! committed result is on disk exactly as before); the log is checkpointed
//! at the same size as SQLite would; a ledger given back by the run, or
//! dropped, checkpoints as SQLite does by itself again (closing the last
//! connection checkpoints whatever is left).

use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};

use super::Ledger;

/// Pages in the log past which it is checkpointed: SQLite's own default
/// (`wal_autocheckpoint`).
pub(super) const CHECKPOINT_PAGES: i32 = 1000;

impl Ledger {
    /// From now on, commits leave the checkpoint to [`Ledger::checkpoint_if_due`].
    pub(crate) fn hold_checkpoints(&mut self) -> anyhow::Result<()> {
        let frames = Arc::new(AtomicI32::new(0));
        let seen = frames.clone();
        // Replaces SQLite's own hook, the one that checkpoints.
        self.conn
            .wal_hook(Some(move |_: &mut rusqlite::hooks::Wal, pages| {
                seen.store(pages, Ordering::Relaxed);
                Ok(())
            }))?;
        self.wal_frames = Some(frames);
        Ok(())
    }

    /// The checkpoint SQLite would have made at the last commit, if the log
    /// has grown to its size since the last one.
    pub(crate) fn checkpoint_if_due(&mut self) -> anyhow::Result<()> {
        let Some(frames) = &self.wal_frames else {
            return Ok(());
        };
        if frames.load(Ordering::Relaxed) < CHECKPOINT_PAGES {
            return Ok(());
        }
        // (busy, pages in the log, pages copied): a reader holding old pages
        // (the console's) leaves some for the next time, as SQLite's would.
        self.conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?;
        frames.store(0, Ordering::Relaxed);
        Ok(())
    }

    /// Commits checkpoint by themselves again, as SQLite does.
    pub(crate) fn release_checkpoints(&mut self) -> anyhow::Result<()> {
        if self.wal_frames.take().is_some() {
            // Puts SQLite's own hook back.
            self.conn
                .pragma_update(None, "wal_autocheckpoint", CHECKPOINT_PAGES)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{batch, content, row};
    use super::*;

    /// A state file with batch `b` just made: 40,000 rows, more than the
    /// log's 1,000 pages.
    fn made() -> (tempfile::TempDir, Ledger) {
        let dir = tempfile::tempdir().unwrap();
        let mut l = Ledger::open(&dir.path().join("s.db")).unwrap();
        let rows = 40_000;
        let b = batch("b", rows);
        let mut w = l.new_batch(&b).unwrap();
        for n in 1..=rows {
            w.insert(super::super::NewRow::of(&row(n, "10.50", Ok(content(n)))))
                .unwrap();
        }
        w.commit(&b).unwrap();
        (dir, l)
    }

    /// A batch made is in the log, not yet in the file, and the state file
    /// checkpoints as usual after it: the next commit copies it.
    #[test]
    fn a_new_batch_is_copied_into_the_file_by_the_next_commit() {
        let (dir, mut l) = made();
        let path = dir.path().join("s.db");
        let file = || std::fs::metadata(&path).unwrap().len();
        assert!(file() < 1 << 20, "{} bytes in the file", file());
        let autocheckpoint: i32 = l
            .conn
            .pragma_query_value(None, "wal_autocheckpoint", |r| r.get(0))
            .unwrap();
        assert_eq!(autocheckpoint, CHECKPOINT_PAGES);
        l.record_and_claim("b", &[], 0, 10).unwrap();
        assert!(file() >= 4 << 20, "{} bytes in the file", file());
    }

    /// Held back, no commit checkpoints: the claim after a batch made leaves
    /// the batch in the log, past SQLite's size; asked, the run's checkpoint
    /// copies it into the file, and the next commit starts the log over;
    /// released, the commits checkpoint by themselves again.
    #[test]
    fn a_held_checkpoint_is_taken_when_the_run_asks_at_sqlites_size() {
        let (dir, mut l) = made();
        let path = dir.path().join("s.db");
        l.hold_checkpoints().unwrap();
        let frames = l.wal_frames.clone().unwrap();
        let file = || std::fs::metadata(&path).unwrap().len();
        l.record_and_claim("b", &[], 0, 10).unwrap();
        let held = frames.load(Ordering::Relaxed);
        assert!(held >= CHECKPOINT_PAGES, "{held} pages");
        assert!(file() < 1 << 20, "{} bytes in the file", file());
        l.checkpoint_if_due().unwrap();
        assert_eq!(frames.load(Ordering::Relaxed), 0);
        assert!(file() >= 4 << 20, "{} bytes in the file", file());
        l.record_and_claim("b", &[], 10, 10).unwrap();
        let after = frames.load(Ordering::Relaxed);
        assert!(after < 100, "the log started over: {after} pages");
        // Not due: asked again, nothing is copied and the count stays.
        l.checkpoint_if_due().unwrap();
        assert_eq!(frames.load(Ordering::Relaxed), after);
        l.release_checkpoints().unwrap();
        assert!(l.wal_frames.is_none());
        let autocheckpoint: i32 = l
            .conn
            .pragma_query_value(None, "wal_autocheckpoint", |r| r.get(0))
            .unwrap();
        assert_eq!(autocheckpoint, CHECKPOINT_PAGES);
    }
}
