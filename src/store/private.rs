//! Files only the account running the tool may read: the state file (it holds
//! the console's password hashes and every refund's story), SQLite's
//! companions of it, the batch locks, and everything the console keeps
//! (uploads, reports). They are made 0600, in folders made 0700, whatever the
//! umask: the mode is set after creation, not left to the umask. What the
//! tool writes for people and collectors to read — results, metrics, summaries
//! — is not made here: it keeps the umask (`atomic_file`).
//!
//! Invariants: only what is created here gets these modes; an existing file
//! or folder is never changed (someone chose its mode). SQLite makes `-wal`
//! and `-shm` with the database file's own mode, so a state file made here
//! has private companions too.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

const FILE_MODE: u32 = 0o600;
const DIR_MODE: u32 = 0o700;

/// Makes `dir` and any missing parent, each one made 0700.
pub(crate) fn dir_all(dir: &Path) -> io::Result<()> {
    if dir.as_os_str().is_empty() || dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent() {
        dir_all(parent)?;
    }
    match std::fs::DirBuilder::new().mode(DIR_MODE).create(dir) {
        Ok(()) => std::fs::set_permissions(dir, std::fs::Permissions::from_mode(DIR_MODE)),
        // Made by someone else meanwhile: theirs.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        Err(e) => Err(e),
    }
}

/// Creates `path` (which must not exist) 0600, open for writing.
pub(crate) fn create_new(path: &Path) -> io::Result<File> {
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(FILE_MODE)
        .open(path)?;
    file.set_permissions(std::fs::Permissions::from_mode(FILE_MODE))?;
    Ok(file)
}

/// Makes `path` an empty private file unless something is there already. A
/// failure is left for whoever opens it next to report in its own terms.
pub(crate) fn make_if_missing(path: &Path) {
    if std::fs::symlink_metadata(path).is_err() {
        let _ = create_new(path);
    }
}

/// The options that create a file 0600 at most (a umask can only take more
/// away): for a file opened whether it exists or not.
pub(crate) fn options() -> OpenOptions {
    let mut o = OpenOptions::new();
    o.mode(FILE_MODE);
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn made_private_and_what_exists_is_left_alone() {
        let d = tempfile::tempdir().unwrap();
        let deep = d.path().join("a").join("b");
        dir_all(&deep).unwrap();
        assert_eq!(mode(&d.path().join("a")), 0o700);
        assert_eq!(mode(&deep), 0o700);
        let f = deep.join("f");
        make_if_missing(&f);
        assert_eq!(mode(&f), 0o600);
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o640)).unwrap();
        make_if_missing(&f);
        assert_eq!(mode(&f), 0o640, "an existing file keeps its mode");
        assert!(create_new(&f).is_err());
        dir_all(&deep).unwrap();
    }
}
