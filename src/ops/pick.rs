//! Which batch of a state file a command over batches works on: the one
//! named (an id or a prefix of one), the only one, or — a job's state file
//! holding a batch for every night of one input path — the latest made from
//! the job's input. A prefix naming several, or none, is refused with the
//! batches listed, never guessed.

use std::path::{Path, PathBuf};

use crate::Usage;
use crate::store::ledger::{Batch, Ledger};

/// Which batch of a state file a command works on.
#[derive(Debug, Clone, Default)]
pub(crate) struct Pick {
    /// `--batch`: an id or a prefix of one.
    pub id: Option<String>,
    /// The job file's input: with several batches (one state file, the same input
    /// path every night), the latest made from it — tonight's.
    pub input: Option<PathBuf>,
}

/// Picks the batch a command works on: the one named, the only one, or the latest
/// of the job's input.
pub(crate) fn select_batch(ledger: &Ledger, state: &Path, pick: &Pick) -> anyhow::Result<Batch> {
    let input = pick
        .input
        .as_deref()
        .map(|input| crate::store::paths::resolved(input).display().to_string());
    choose_batch(
        &ledger.batches()?,
        state,
        pick.id.as_deref(),
        input.as_deref(),
    )
}

/// [`select_batch`]'s choice among the state file's `batches`, without I/O:
/// `id` names one by a prefix of its id; else the only one; else, of several,
/// the latest made from `input` (resolved, as batches store it).
fn choose_batch(
    batches: &[Batch],
    state: &Path,
    id: Option<&str>,
    input: Option<&str>,
) -> anyhow::Result<Batch> {
    if let Some(w) = id {
        let matching: Vec<_> = batches.iter().filter(|b| b.id.starts_with(w)).collect();
        return match matching.as_slice() {
            [one] => Ok((*one).clone()),
            [] => Err(Usage(format!(
                "no batch {w} in {}{}",
                state.display(),
                list(batches)
            ))
            .into()),
            _ => Err(Usage(format!(
                "{w} names several batches in {}{}",
                state.display(),
                list(batches)
            ))
            .into()),
        };
    }
    let of_input = input.and_then(|input| {
        batches
            .iter()
            .filter(|b| b.input_path == input)
            .max_by_key(|b| b.created_at_ms)
    });
    if let Some(b) = of_input
        && batches.len() > 1
    {
        return Ok(b.clone());
    }
    match batches {
        [one] => Ok(one.clone()),
        [] => Err(Usage(format!("{} holds no batch", state.display())).into()),
        _ => Err(Usage(format!(
            "{} holds several batches; pick one with --batch ID{}",
            state.display(),
            list(batches)
        ))
        .into()),
    }
}

fn list(batches: &[Batch]) -> String {
    let mut s = String::new();
    for b in batches {
        s.push_str(&format!(
            "\n  {}  {} rows  created {}  from {}",
            b.id,
            b.row_count,
            crate::domain::clock::rfc3339(b.created_at_ms),
            b.input_path
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::ledger::testing::batch_from as batch;

    fn chosen(batches: &[Batch], id: Option<&str>, input: Option<&str>) -> Result<String, String> {
        choose_batch(batches, Path::new("state.db"), id, input)
            .map(|b| b.id)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn the_batch_is_the_one_named_the_only_one_or_tonights() {
        let one = [batch("aaa1", "/in/a.csv", 1)];
        assert_eq!(chosen(&one, None, None), Ok("aaa1".into()));
        assert_eq!(chosen(&one, None, Some("/in/other.csv")), Ok("aaa1".into()));
        assert!(
            chosen(&[], None, None)
                .unwrap_err()
                .contains("holds no batch")
        );

        let many = [
            batch("aaa1", "/in/a.csv", 1),
            batch("aab2", "/in/a.csv", 3),
            batch("bbb3", "/in/b.csv", 2),
        ];
        // A prefix names one; a shorter one several; an unknown none.
        assert_eq!(chosen(&many, Some("aab"), None), Ok("aab2".into()));
        let several = chosen(&many, Some("aa"), None).unwrap_err();
        assert!(several.contains("names several batches"), "{several}");
        assert!(
            several.contains("bbb3"),
            "the batches are listed: {several}"
        );
        assert!(
            chosen(&many, Some("zz"), None)
                .unwrap_err()
                .contains("no batch zz")
        );
        // The name wins over the input.
        assert_eq!(
            chosen(&many, Some("bbb"), Some("/in/a.csv")),
            Ok("bbb3".into())
        );
        // Of several, the latest made from the job's input.
        assert_eq!(chosen(&many, None, Some("/in/a.csv")), Ok("aab2".into()));
        assert_eq!(chosen(&many, None, Some("/in/b.csv")), Ok("bbb3".into()));
        let pick = chosen(&many, None, Some("/in/c.csv")).unwrap_err();
        assert!(pick.contains("pick one with --batch"), "{pick}");
        assert!(chosen(&many, None, None).is_err());
    }
}
