//! Why SQLite could not open or read a state file, in the user's terms. SQLite
//! says "unable to open database file" for a file on a read-only mount (a WAL
//! database needs its `-wal` and `-shm` beside it) and for much else; the file
//! system is asked which it is, so that the message names the real cause.
//!
//! Invariant: only probes — the state file is opened for writing without
//! creating or truncating it, and the folder is tried with an unnamed temporary
//! file that never appears in it; nothing is written.

use std::io::ErrorKind;
use std::path::Path;

/// The reason, after "the state file … cannot be used: ", that `e` (from opening
/// or first reading the state file at `path`) stands for.
pub(crate) fn why_unreadable(path: Option<&Path>, e: &rusqlite::Error) -> String {
    use rusqlite::ErrorCode::{CannotOpen, NotADatabase, PermissionDenied, ReadOnly};
    let code = e.sqlite_error_code();
    if code == Some(NotADatabase) {
        return format!("it is not a SQLite database ({e})");
    }
    let access = matches!(code, Some(CannotOpen | ReadOnly | PermissionDenied));
    match path.filter(|_| access).and_then(read_only_part) {
        Some(why) => why,
        None => format!("it cannot be opened ({e})"),
    }
}

/// Which of the file and its folder cannot be written, and why, if one cannot.
fn read_only_part(path: &Path) -> Option<String> {
    let said = |what: String, kind: ErrorKind| match kind {
        ErrorKind::ReadOnlyFilesystem => Some(format!("{what} is on a read-only file system")),
        ErrorKind::PermissionDenied => Some(format!("{what} is read-only for this user")),
        _ => None,
    };
    if let Err(e) = std::fs::OpenOptions::new().write(true).open(path) {
        return said("the file".to_owned(), e.kind());
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let e = tempfile::tempfile_in(dir).err()?;
    said(
        format!(
            "its folder {} (where SQLite keeps the -wal and -shm files)",
            dir.display()
        ),
        e.kind(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(code: std::ffi::c_int) -> rusqlite::Error {
        rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), None)
    }

    #[test]
    fn not_a_database_only_when_sqlite_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.db");
        std::fs::write(&p, "x").unwrap();
        let notadb = why_unreadable(Some(&p), &failure(rusqlite::ffi::SQLITE_NOTADB));
        assert!(notadb.contains("not a SQLite database"), "{notadb}");
        // Writable file and folder: SQLite's own words, never "not a database".
        let cantopen = why_unreadable(Some(&p), &failure(rusqlite::ffi::SQLITE_CANTOPEN));
        assert!(cantopen.starts_with("it cannot be opened"), "{cantopen}");
        let missing = dir.path().join("gone/s.db");
        let cantopen = why_unreadable(Some(&missing), &failure(rusqlite::ffi::SQLITE_CANTOPEN));
        assert!(cantopen.starts_with("it cannot be opened"), "{cantopen}");
    }
}
