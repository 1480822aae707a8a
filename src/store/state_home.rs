//! Where the state lives when no `--state` is given: one file per account (the key
//! namespace) in the user's state directory — `$XDG_STATE_HOME/mprefund/`, else
//! `~/.local/state/mprefund/` — so that every spreadsheet run from one account,
//! whatever its file name, meets the per-payment guard of every batch before it.
//!
//! Invariant: the default never depends on the input's name, except that a state
//! file an older mprefund kept beside the input (`<stem>.mprefund.db`) is still
//! found and used — its batches hold refunds the guard must see.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::Usage;

/// The account's state file: `<state dir>/mprefund/<namespace>.db`.
pub(crate) fn account_state(namespace: &str) -> Result<PathBuf, Usage> {
    Ok(state_dir()?.join(format!("{}.db", file_name_of(namespace))))
}

/// The state a command over `input` uses by default: an older mprefund's file
/// beside the input when there is one (said once, on stderr), else the
/// account's.
///
/// A namespace that has no state file yet, while the directory holds another
/// namespace's, is refused unless `new_namespace` (`--namespace-change`, or a
/// command that sends nothing): a forgotten or mistyped `--namespace` would
/// otherwise meet an empty state, derive new keys for rows already refunded,
/// and the API would take them as new refunds.
pub(crate) fn default_state(
    input: Option<&Path>,
    namespace: &str,
    new_namespace: bool,
) -> Result<PathBuf, Usage> {
    if let Some(legacy) = input.map(legacy_state).filter(|p| p.is_file()) {
        tracing::warn!(
            "using {}, the state file an older mprefund kept beside the input; \
             new spreadsheets of this account use {} (give --state to choose)",
            legacy.display(),
            account_state(namespace)
                .map(|p| p.display().to_string())
                .unwrap_or_else(|_| "the account's state file".into())
        );
        return Ok(legacy);
    }
    let path = account_state(namespace)?;
    if !new_namespace && !path.exists() {
        let others = namespaces_in(path.parent().unwrap_or(Path::new(".")));
        if !others.is_empty() {
            return Err(Usage(format!(
                "no state file for namespace {namespace:?} yet, but {} holds namespace(s) {}: \
                 under another namespace every row gets a new key and would be refunded again; \
                 give the account's --namespace, or pass --namespace-change if this really is \
                 another account",
                path.parent().unwrap_or(Path::new(".")).display(),
                others.join(", ")
            )));
        }
    }
    Ok(path)
}

/// The state files' names in the state directory (namespaces, as file names).
fn namespaces_in(dir: &Path) -> Vec<String> {
    let mut found: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            name.strip_suffix(".db").map(str::to_owned)
        })
        .collect();
    found.sort();
    found
}

/// Where versions before the account-wide default kept a file's state.
fn legacy_state(input: &Path) -> PathBuf {
    let stem = input
        .file_stem()
        .map_or_else(|| "input".into(), |s| s.to_string_lossy().into_owned());
    input.with_file_name(format!("{stem}.mprefund.db"))
}

/// `$XDG_STATE_HOME/mprefund`, else `$HOME/.local/state/mprefund` (the XDG Base
/// Directory rules: a relative `XDG_STATE_HOME` is ignored).
fn state_dir() -> Result<PathBuf, Usage> {
    let absolute = |v: std::ffi::OsString| Some(PathBuf::from(v)).filter(|p| p.is_absolute());
    let base = std::env::var_os("XDG_STATE_HOME")
        .and_then(absolute)
        .or_else(|| {
            std::env::var_os("HOME")
                .and_then(absolute)
                .map(|h| h.join(".local").join("state"))
        })
        .ok_or_else(|| {
            Usage(
                "no state directory: neither XDG_STATE_HOME nor HOME is set; give --state FILE"
                    .into(),
            )
        })?;
    let dir = base.join("mprefund");
    crate::store::private::dir_all(&dir).map_err(|e| {
        Usage(format!(
            "the state directory {} cannot be made ({e}); give --state FILE",
            dir.display()
        ))
    })?;
    Ok(dir)
}

/// A namespace as a file name: itself when it is plain, else its plain
/// characters and a short digest, so two namespaces never share a file.
fn file_name_of(namespace: &str) -> String {
    let plain = super::paths::plain(namespace, 64);
    if plain == namespace && !plain.is_empty() {
        return plain;
    }
    let digest = Sha256::digest(namespace.as_bytes());
    format!("{plain}-{}", crate::domain::key::hex(&digest[..6]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_map_to_distinct_plain_file_names() {
        assert_eq!(file_name_of("acme-br"), "acme-br");
        let odd = file_name_of("acme/br");
        assert!(odd.starts_with("acme_br-") && odd.len() == "acme_br-".len() + 12);
        assert_ne!(file_name_of("acme/br"), file_name_of("acme_br"));
        assert_ne!(file_name_of("a b"), file_name_of("a_b"));
        assert!(
            file_name_of("../../etc")
                .chars()
                .all(|c| c != '/' && c != '.')
        );
        assert!(!file_name_of("").is_empty());
    }

    #[test]
    fn the_legacy_state_sits_beside_the_input() {
        assert_eq!(
            legacy_state(Path::new("/srv/in/cb_v2.csv")),
            Path::new("/srv/in/cb_v2.mprefund.db")
        );
    }
}
