//! Files that appear complete or not at all: written to a temporary file beside
//! the target (so the rename stays on one filesystem), synced, then renamed over
//! it. A reader — a metrics collector, a colleague opening the results — sees the
//! old file or the new one, never a part. Temporary files a killed write left
//! behind are ours by name and are removed by a later write. They are made as
//! any file the user makes: 0666 less the umask, so others read them where the
//! umask lets them (the state file and what the console keeps are private
//! instead: `crate::store::private`).

use std::io::Write;
use std::path::Path;

use anyhow::Context;

/// Our temporary files start with this; nothing else of the user's does.
const TEMP_PREFIX: &str = ".mprefund-";

/// A temporary file untouched for this long belongs to a write that was killed: a
/// live writer touches its file continuously until it renames it.
const STALE_AFTER: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// A temporary file beside `path`, so that the final rename stays on one filesystem.
fn temp_beside(path: &Path) -> anyhow::Result<tempfile::NamedTempFile> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    remove_stale_temps(dir, STALE_AFTER);
    // Made as an ordinary file would be: 0666 less the umask (tempfile's own
    // are 0600), so a metrics collector or a colleague can read the outputs
    // where the umask lets them.
    #[cfg(unix)]
    let perms = {
        use std::os::unix::fs::PermissionsExt;
        std::fs::Permissions::from_mode(0o666)
    };
    tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .permissions(perms)
        .tempfile_in(dir)
        .with_context(|| format!("creating a temporary file in {}", dir.display()))
}

/// Removes what interrupted writes left in `dir` (a killed run leaves a
/// results-sized `.mprefund-*` file). Best effort: a file that cannot be removed
/// stays, and the write goes on.
fn remove_stale_temps(dir: &Path, older_than: std::time::Duration) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let now = std::time::SystemTime::now();
    for e in entries.flatten() {
        let stale = e.file_name().to_string_lossy().starts_with(TEMP_PREFIX)
            && e.file_type().is_ok_and(|t| t.is_file())
            && e.metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|m| now.duration_since(m).is_ok_and(|age| age > older_than));
        if stale && std::fs::remove_file(e.path()).is_ok() {
            tracing::debug!(
                "removed {}, left by an interrupted write",
                e.path().display()
            );
        }
    }
}

/// Syncs and renames the temporary file over `path`.
fn persist(tmp: tempfile::NamedTempFile, path: &Path) -> anyhow::Result<()> {
    tmp.as_file().sync_all()?;
    tmp.persist(path)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// Writes `bytes` to `path` so that readers see the old file or the new one, never
/// a part.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    write_with(path, |mut file| Ok(file.write_all(bytes)?))
}

/// Lets `fill` write the new content of `path` (to a temporary file), then puts it
/// in place; nothing changes at `path` if `fill` fails.
pub(crate) fn write_with<T>(
    path: &Path,
    fill: impl FnOnce(&std::fs::File) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    let tmp = temp_beside(path)?;
    let value = fill(tmp.as_file())?;
    persist(tmp, path)?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_temporary_files_of_ours_are_removed_fresh_ones_and_others_kept() {
        let dir = tempfile::tempdir().unwrap();
        let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        let make = |name: &str, modified: Option<std::time::SystemTime>| {
            let p = dir.path().join(name);
            let f = std::fs::File::create(&p).unwrap();
            if let Some(t) = modified {
                f.set_modified(t).unwrap();
            }
            p
        };
        let stale = make(".mprefund-abc123", Some(old));
        let fresh = make(".mprefund-def456", None);
        let theirs = make(".other-tool-tmp", Some(old));
        let out = dir.path().join("results.csv");
        write_atomically(&out, b"x").unwrap();
        assert!(!stale.exists());
        assert!(fresh.exists() && theirs.exists() && out.exists());
    }
}
