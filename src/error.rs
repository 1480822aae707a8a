//! The markers the library puts on an error so that the one exit boundary
//! (`exit`) can tell what it is without parsing its text: the user's to fix
//! ([`Usage`]), a damaged state file ([`Damaged`]), an interruption that
//! passes by itself ([`Interrupted`]), earlier batches unfinished
//! ([`EarlierUnfinished`]). They sit below every layer, so any layer may mark
//! an error and none needs to know how it ends the process.

/// `run --job` refused tonight's file: earlier batches of the job are unfinished
/// and the job said not to finish them first (exit 7).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct EarlierUnfinished(pub String);

/// Marks an error as the user's to fix before anything is sent (exit 2). Input
/// errors (`input::InputError`) and unreadable reports (`mpreport::ReportError`)
/// count as such too.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct Usage(pub String);

/// Marks an error as the state file being damaged (exit 5): running again reads
/// the same cell and fails the same way, so "resumable" would be a lie.
#[derive(Debug, thiserror::Error)]
#[error(
    "the state file is damaged ({0:#}); a person must look: restore it from a backup, or report the bug"
)]
pub struct Damaged(pub anyhow::Error);

/// Marks an error as an interruption that passes by itself (the API not ready,
/// or answering what cannot be used, within the time given): exit 3.
#[derive(Debug, thiserror::Error)]
#[error("{0:#}; run again later to try again")]
pub struct Interrupted(pub anyhow::Error);
