//! Every batch a night touched, reported: a run that finished earlier batches
//! before its own (`run --job` after an outage night, `run --approved` over
//! several console batches) names each in its summary JSON, its metrics and
//! its log, as [`EarlierBatch`]es beside the batch the run is about.
//!
//! Invariants: a run's exit is never better than an earlier batch's it
//! finished (a clean night does not hide last night's failed rows); an
//! earlier batch is listed once, with the figures it ended with.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::exit::Exit;
use crate::sheets::report::Totals;

/// One batch a run finished before the one it reports on.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct EarlierBatch {
    pub batch: String,
    pub exit_code: u8,
    pub stopped: Option<String>,
    /// Its results file (none: it ended before it had one).
    pub results: Option<String>,
    pub rows: u64,
    /// Rows and money per outcome, as the run summary's `outcomes`.
    pub outcomes: BTreeMap<String, Totals>,
    /// Why it ended without results, when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip)]
    pub exit: Exit,
    /// What `--quiet` says of it: one line, as of the run's own batch.
    #[serde(skip)]
    pub line: String,
    /// Rows refunded otherwise than asked (another amount or payment).
    #[serde(skip)]
    pub mismatched: bool,
}

impl EarlierBatch {
    /// A batch that ended before it had results (refused, an error): `name`
    /// says which.
    pub(crate) fn failed(name: &str, exit: Exit, error: &str) -> EarlierBatch {
        EarlierBatch {
            batch: name.to_owned(),
            exit_code: exit.code(),
            stopped: None,
            results: None,
            rows: 0,
            outcomes: BTreeMap::new(),
            error: Some(error.to_owned()),
            exit,
            line: format!("{name}: {error}; exit {}", exit.code()),
            mismatched: false,
        }
    }

    /// The first step it asks of a person, if any, said as the command that
    /// reaches it as `reach`; none for one that ended before it had results
    /// (its error says why).
    pub(crate) fn first_step(&self, reach: &crate::domain::steps::Reach) -> Option<crate::domain::steps::Command> {
        if self.error.is_some() {
            return None;
        }
        let count = |o: crate::domain::Outcome| self.outcomes.get(o.as_str()).map_or(0, |t| t.rows);
        let pending = count(crate::domain::Outcome::Pending) > 0 || self.stopped.is_some();
        reach.on(&self.batch, pending).first(count, self.mismatched)
    }
}

/// The worse of two exits: the higher code (every code above 1 needs more
/// than a finished run's).
pub(crate) fn worse(a: Exit, b: Exit) -> Exit {
    if b.code() > a.code() { b } else { a }
}

/// The worst exit among `earlier`, over `own`.
pub(crate) fn worst(own: Exit, earlier: &[EarlierBatch]) -> Exit {
    earlier.iter().map(|e| e.exit).fold(own, worse)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_earlier_batch_never_makes_the_exit_better() {
        let e = |exit| EarlierBatch::failed("b", exit, "x");
        assert_eq!(worst(Exit::Ok, &[]), Exit::Ok);
        assert_eq!(worst(Exit::Ok, &[e(Exit::SomeFailed)]), Exit::SomeFailed);
        assert_eq!(
            worst(Exit::Stopped, &[e(Exit::SomeFailed), e(Exit::Ok)]),
            Exit::Stopped
        );
        assert_eq!(worst(Exit::SomeFailed, &[e(Exit::Usage)]), Exit::Usage);
    }
}
