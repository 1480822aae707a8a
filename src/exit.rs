//! The one place where outcomes become process exit codes (SPEC "Exit codes").

/// Process exit codes, as SPEC.md defines them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    /// Every row refunded (or in process).
    Ok = 0,
    /// Finished; some rows failed.
    SomeFailed = 1,
    /// Usage or input error; nothing was sent.
    Usage = 2,
    /// Stopped early; the batch can be resumed.
    Stopped = 3,
    /// Another run holds the batch.
    Locked = 4,
    /// The state file is damaged (a cell this version cannot read back): there is
    /// nothing to resume until a person looks.
    Internal = 5,
}

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

impl Exit {
    /// Maps the library's answer to an exit code, printing the error chain (once,
    /// here) when there is one. Errors not marked otherwise may have happened after
    /// requests left, so they count as "stopped early, resumable".
    pub fn from_result(result: anyhow::Result<Exit>) -> Exit {
        match result {
            Ok(exit) => exit,
            Err(err) => {
                eprintln!("error: {err:#}");
                Exit::of_error(&err)
            }
        }
    }

    /// The exit code an error stands for (see [`Exit::from_result`]).
    pub fn of_error(err: &anyhow::Error) -> Exit {
        if err.chain().any(|e| e.is::<crate::lock::Held>()) {
            Exit::Locked
        } else if err.chain().any(|e| e.is::<Damaged>()) {
            Exit::Internal
        } else if err.chain().any(|e| {
            e.is::<Usage>()
                || e.is::<crate::input::InputError>()
                || e.is::<crate::mpreport::ReportError>()
        }) {
            Exit::Usage
        } else {
            Exit::Stopped
        }
    }
}

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exit code {}", *self as u8)
    }
}
