//! One run at a time per batch: an exclusive OS file lock on a file beside the state
//! file, named after the batch. The OS drops the lock when its process dies, so a
//! `kill -9` never leaves a batch blocked; the file's text (pid, host, since when,
//! command) only serves to tell the next comer who holds it.
//!
//! Invariants: the lock file of a batch with nothing left to send is removed by
//! its holder, while still holding the lock ([`BatchLock::release`]); so that a
//! process that opened the file just before it was unlinked never "holds" a file
//! no one else can see while a third locks a new one, a lock counts only once the
//! path is found to still name the very file locked (same device and inode),
//! else the acquire starts over.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;

/// Held for as long as the run lasts; dropping it releases the lock.
#[derive(Debug)]
pub(crate) struct BatchLock {
    file: File,
    path: PathBuf,
}

/// How many times an acquire starts over when the file it locked was removed
/// under it (each time means another process finished the batch meanwhile).
const ACQUIRE_ROUNDS: usize = 100;

/// Another process holds the batch (exit 4).
#[derive(Debug, thiserror::Error)]
#[error("batch {batch} is being processed by another run ({holder}); lock file {path}")]
pub(crate) struct Held {
    pub batch: String,
    pub holder: String,
    pub path: String,
}

pub(crate) fn lock_path(state: &Path, batch_id: &str) -> PathBuf {
    let mut name = state.file_name().unwrap_or_default().to_os_string();
    // Batch ids are hex, but a state file can be edited by hand: never slice inside
    // a character, and never let an id name another folder.
    let short: String = batch_id
        .chars()
        .take(16)
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    name.push(format!(".{short}.lock"));
    state.with_file_name(name)
}

impl BatchLock {
    pub(crate) fn acquire(
        state: &Path,
        batch_id: &str,
        command: &str,
    ) -> anyhow::Result<BatchLock> {
        let path = lock_path(state, batch_id);
        for _ in 0..ACQUIRE_ROUNDS {
            if let Some(lock) = Self::try_acquire(&path, batch_id, command)? {
                return Ok(lock);
            }
        }
        anyhow::bail!(
            "the lock file {} kept being removed while this run locked it",
            path.display()
        )
    }

    /// `None` when the file locked is no longer the one at `path`.
    fn try_acquire(
        path: &Path,
        batch_id: &str,
        command: &str,
    ) -> anyhow::Result<Option<BatchLock>> {
        // The lock names its holder, beside the private state file: private too.
        let mut file = crate::store::private::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .with_context(|| format!("opening the lock file {}", path.display()))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                return Err(Held {
                    batch: batch_id.to_owned(),
                    holder: if holder.is_empty() {
                        "holder unknown".into()
                    } else {
                        holder.to_owned()
                    },
                    path: path.display().to_string(),
                }
                .into());
            }
            Err(TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("locking {}", path.display()));
            }
        }
        if !same_file(&file, path)? {
            return Ok(None);
        }
        let since = crate::domain::clock::rfc3339(crate::domain::clock::now_ms());
        file.set_len(0)?;
        file.seek(SeekFrom::Start(0))?;
        writeln!(
            file,
            "pid {} on host {} since {since} ({command})",
            std::process::id(),
            hostname()
        )?;
        file.sync_all()?;
        Ok(Some(BatchLock {
            file,
            path: path.to_owned(),
        }))
    }

    /// Releases the lock; when the batch has nothing left to send, removes the
    /// lock file first, while the lock is still held (see the module's
    /// invariants). A file that cannot be removed only stays behind.
    pub(crate) fn release(self, batch_done: bool) {
        if batch_done
            && let Err(e) = std::fs::remove_file(&self.path)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::debug!("cannot remove the lock file {}: {e}", self.path.display());
        }
        drop(self.file);
    }
}

/// Whether `path` still names the file `file` has open.
fn same_file(file: &File, path: &Path) -> anyhow::Result<bool> {
    use std::os::unix::fs::MetadataExt;
    let held = file
        .metadata()
        .context("reading the lock file's identity")?;
    match std::fs::metadata(path) {
        Ok(named) => Ok(named.dev() == held.dev() && named.ino() == held.ino()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

/// Whether some process holds the lock at `path` right now.
pub(crate) fn is_held(path: &Path) -> bool {
    match OpenOptions::new().read(true).write(true).open(path) {
        Ok(f) => matches!(f.try_lock(), Err(TryLockError::WouldBlock)),
        Err(_) => false,
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_batch_ids_make_a_lock_file_beside_the_state() {
        let state = Path::new("/tmp/x/state.db");
        for id in ["ñandú-çaçá-øre-ÿes-ü", "../../etc/passwd", "é"] {
            let p = lock_path(state, id);
            assert_eq!(p.parent(), state.parent(), "{id}");
        }
        assert_eq!(
            lock_path(state, "0123456789abcdef0123"),
            Path::new("/tmp/x/state.db.0123456789abcdef.lock")
        );
    }

    #[test]
    fn a_finished_batch_leaves_no_lock_file_and_a_stale_handle_locks_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("s.db");
        let path = lock_path(&state, "abcdef0123456789");
        BatchLock::acquire(&state, "abcdef0123456789", "run")
            .unwrap()
            .release(false);
        assert!(path.exists(), "a batch with rows left keeps its lock file");
        let held = BatchLock::acquire(&state, "abcdef0123456789", "run").unwrap();
        // A racing process opened the file just before its holder removed it.
        let stale = File::open(&path).unwrap();
        held.release(true);
        assert!(!path.exists());
        let third = BatchLock::acquire(&state, "abcdef0123456789", "retry").unwrap();
        // The stale handle can be locked (its inode is gone from the folder),
        // but it is not the file the path names: acquire would start over.
        stale.try_lock().unwrap();
        assert!(!same_file(&stale, &path).unwrap());
        assert!(same_file(&third.file, &path).unwrap());
        let err = BatchLock::acquire(&state, "abcdef0123456789", "run").unwrap_err();
        assert!(err.downcast_ref::<Held>().is_some(), "{err}");
    }

    #[test]
    fn second_holder_is_refused_with_the_first_named() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("s.db");
        let first = BatchLock::acquire(&state, "abcdef0123456789ffff", "run").unwrap();
        let err = BatchLock::acquire(&state, "abcdef0123456789ffff", "retry").unwrap_err();
        let held = err.downcast_ref::<Held>().unwrap();
        assert!(
            held.holder.contains(&format!("pid {}", std::process::id())),
            "{}",
            held.holder
        );
        assert!(held.holder.contains("(run)"));
        // Another batch in the same state file is independent.
        let _other = BatchLock::acquire(&state, "0000000000000000", "run").unwrap();
        drop(first);
        BatchLock::acquire(&state, "abcdef0123456789ffff", "retry").unwrap();
    }
}
