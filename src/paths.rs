//! What the tool writes never lands on what the user gave or what the tool keeps:
//! an output path (results, metrics, summary JSON) that names the state file, one
//! of SQLite's companions of it (`-wal`, `-shm`, `-journal`), the input, or another
//! output is refused before anything is read, written or sent.
//!
//! Paths are compared after resolving them the way the OS will when the file is
//! written: symbolic links and `..` in the existing part, the file name as given.

use std::path::{Path, PathBuf};

use crate::Usage;

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
