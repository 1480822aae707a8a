//! One run at a time per batch: an exclusive OS file lock on a file beside the state
//! file, named after the batch. The OS drops the lock when its process dies, so a
//! `kill -9` never leaves a batch blocked; the file's text (pid, host, since when,
//! command) only serves to tell the next comer who holds it.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;

/// Held for as long as the run lasts; dropping it releases the lock.
#[derive(Debug)]
pub(crate) struct BatchLock {
    _file: File,
}

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
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
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
        let since = crate::clock::rfc3339(crate::clock::now_ms());
        file.set_len(0)?;
        file.seek(SeekFrom::Start(0))?;
        writeln!(
            file,
            "pid {} on host {} since {since} ({command})",
            std::process::id(),
            hostname()
        )?;
        file.sync_all()?;
        Ok(BatchLock { _file: file })
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
