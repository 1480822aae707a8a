//! What the tool writes never lands on what the user gave or what the tool keeps:
//! an output path (results, metrics, summary JSON) that names the state file, one
//! of SQLite's companions of it (`-wal`, `-shm`, `-journal`), the input, or another
//! output is refused before anything is read, written or sent.
//!
//! Paths are compared after resolving them the way the OS will when the file is
//! written: symbolic links and `..` in the existing part, the file name as given.
//!
//! An output path may carry `{batch}` (the first 12 characters of the batch id)
//! and `{date}` (the batch's creation date, `YYYY-MM-DD`, UTC), so that one batch's
//! files never land on another's; any other `{name}` is refused. Expansion only
//! ever inserts hex digits, digits and `-`: it cannot add a folder or a `..`.
//! A name made from what a person typed is made plain ([`plain`]) the same way.

use std::path::{Path, PathBuf};

use crate::Usage;

/// The first `most` characters of `text`, each letter, digit, `-` and `_` as
/// it is and any other as `_`: nothing a file system or a header reads
/// otherwise.
pub(crate) fn plain(text: &str, most: usize) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(most)
        .collect()
}

/// The CSVs a command writes beside the batch's input unless `--out` names
/// another file: `<input-stem>.<sheet>.csv`, one name per kind of sheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sheet {
    /// `run`, `retry`, `report`: the input's rows with what became of each.
    Results,
    /// `plan --online`: what each row is predicted to come to.
    Plan,
    /// `reconcile`: the batch read back from the API.
    Reconcile,
    /// `reconcile --report`: the batch matched against Mercado Pago's reports.
    ReportMatch,
}

impl Sheet {
    fn suffix(self) -> &'static str {
        match self {
            Sheet::Results => "results",
            Sheet::Plan => "plan",
            Sheet::Reconcile => "reconcile",
            Sheet::ReportMatch => "report-match",
        }
    }
}

/// Where `sheet` goes by default: beside `input`, named after it.
pub(crate) fn beside(input: &Path, sheet: Sheet) -> PathBuf {
    let stem = input
        .file_stem()
        .map_or_else(|| "input".into(), |s| s.to_string_lossy());
    input.with_file_name(format!("{stem}.{}.csv", sheet.suffix()))
}

/// SQLite keeps these beside a database; writing over one corrupts the state.
const STATE_COMPANIONS: [&str; 3] = ["-wal", "-shm", "-journal"];

/// Where `path` will really be written: the canonical folder plus the file name.
pub(crate) fn resolved(path: &Path) -> PathBuf {
    if let Ok(p) = path.canonicalize() {
        return p;
    }
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    match (absolute.parent(), absolute.file_name()) {
        (Some(dir), Some(name)) => resolved(dir).join(name),
        _ => absolute,
    }
}

/// The placeholders an output path may carry.
const PLACEHOLDERS: [&str; 2] = ["batch", "date"];

/// How many characters of the batch id `{batch}` stands for.
const BATCH_CHARS: usize = 12;

/// The `{name}`s of `path`, in order (a `{` without a closing `}` is literal).
fn placeholders(path: &str) -> impl Iterator<Item = &str> {
    path.split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
        .filter(|name| {
            !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
}

/// Refuses (exit 2) an output path with a placeholder other than `{batch}` and
/// `{date}`: a typo would otherwise become part of a file name.
pub(crate) fn check_placeholders(flag: &str, path: &Path) -> Result<(), Usage> {
    let text = path.to_string_lossy();
    match placeholders(&text).find(|n| !PLACEHOLDERS.contains(n)) {
        Some(unknown) => Err(Usage(format!(
            "{flag} {}: unknown placeholder {{{unknown}}}; an output path may carry {{batch}} and {{date}}",
            path.display()
        ))),
        None => Ok(()),
    }
}

/// `path` with `{batch}` and `{date}` filled in for the batch `batch_id`, made at
/// `created_at_ms`. A path without them (or not UTF-8) comes back as it is.
pub(crate) fn expand(path: &Path, batch_id: &str, created_at_ms: i64) -> PathBuf {
    let Some(text) = path.to_str() else {
        return path.to_path_buf();
    };
    if !text.contains("{batch}") && !text.contains("{date}") {
        return path.to_path_buf();
    }
    // Batch ids are hex; anything else is dropped so a path can only gain safe
    // characters.
    let id: String = batch_id
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(BATCH_CHARS)
        .collect();
    let date = date_of(created_at_ms);
    PathBuf::from(text.replace("{batch}", &id).replace("{date}", &date))
}

/// `YYYY-MM-DD` (UTC) of `ms` since the epoch.
fn date_of(ms: i64) -> String {
    let stamp = crate::domain::clock::rfc3339(ms);
    let date: String = stamp.chars().take(10).collect();
    if date.len() == 10 && date.chars().all(|c| c.is_ascii_digit() || c == '-') {
        date
    } else {
        "0000-00-00".to_owned()
    }
}

/// Refuses (exit 2) any output that would overwrite the state, its companions, the
/// input, or another output. `outputs` are (flag, path) pairs.
pub(crate) fn check_outputs(
    input: Option<&Path>,
    state: &Path,
    outputs: &[(&str, &Path)],
) -> Result<(), Usage> {
    let mut kept: Vec<(String, PathBuf)> = Vec::new();
    let state_r = resolved(state);
    kept.push(("the state file (--state)".into(), state_r.clone()));
    for suffix in STATE_COMPANIONS {
        let mut name = state_r.clone().into_os_string();
        name.push(suffix);
        kept.push((
            format!("the state file's SQLite {suffix} file"),
            PathBuf::from(name),
        ));
    }
    if let Some(input) = input {
        kept.push(("the input".into(), resolved(input)));
    }
    for (flag, path) in outputs {
        check_placeholders(flag, path)?;
        let r = resolved(path);
        if let Some((what, _)) = kept.iter().find(|(_, k)| *k == r) {
            return Err(Usage(format!(
                "{flag} {} would overwrite {what}; pick another path",
                path.display()
            )));
        }
        kept.push((flag.to_string(), r));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_expand_to_the_batch_and_its_date_only() {
        // 2026-12-01T23:59:59Z
        let at = 1_796_169_599_000;
        let p = expand(Path::new("/r/{date}/n-{batch}.csv"), "0123456789abcdef", at);
        assert_eq!(p, Path::new("/r/2026-12-01/n-0123456789ab.csv"));
        assert_eq!(
            expand(Path::new("/r/{batch}"), "../../etc/x", at),
            Path::new("/r/etcx")
        );
        assert_eq!(
            expand(Path::new("/r/plain.csv"), "ab", at),
            Path::new("/r/plain.csv")
        );
        assert!(check_placeholders("--out", Path::new("a-{batch}-{date}.csv")).is_ok());
        assert!(check_placeholders("--out", Path::new("a-{.csv")).is_ok());
        let err = check_placeholders("--out", Path::new("a-{dat}.csv")).unwrap_err();
        assert!(
            err.0.contains("{dat}") && err.0.contains("--out"),
            "{}",
            err.0
        );
    }

    #[test]
    fn outputs_never_overwrite_state_input_or_each_other() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let state = d.join("s.db");
        let input = d.join("in.csv");
        std::fs::write(&input, "x").unwrap();
        let ok = check_outputs(
            Some(&input),
            &state,
            &[
                ("--out", &d.join("r.csv")),
                ("--metrics-file", &d.join("m.prom")),
            ],
        );
        assert!(ok.is_ok());
        for bad in [
            state.clone(),
            d.join("s.db-wal"),
            d.join("s.db-shm"),
            d.join("sub/../in.csv"),
        ] {
            std::fs::create_dir_all(d.join("sub")).unwrap();
            let err = check_outputs(Some(&input), &state, &[("--out", &bad)]).unwrap_err();
            assert!(err.0.contains("--out"), "{}", err.0);
        }
        let twice = check_outputs(
            None,
            &state,
            &[
                ("--out", &d.join("r.csv")),
                ("--summary-json", &d.join("r.csv")),
            ],
        )
        .unwrap_err();
        assert!(twice.0.contains("--summary-json") && twice.0.contains("--out"));
    }
}
