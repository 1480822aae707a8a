//! The one place where outcomes become process exit codes (SPEC "Exit codes",
//! README "Exit codes"): each code says what to do next, so a stop a person must
//! fix (6) is never the same code as one that passes by itself (3).

use crate::runner::StopReason;

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
    /// Stopped early on something only a person can fix: the token refused
    /// (401/403), or an API that could never be reached because of configuration
    /// (a host name that does not resolve, a failed TLS handshake). Resumable
    /// once fixed; running again unchanged meets the same wall.
    NeedsPerson = 6,
    /// `run --job` with `resume_earlier = false` found unfinished batches of the
    /// same job: nothing was sent; finish them (`run --job` with the default) or
    /// look at them first.
    EarlierUnfinished = 7,
}

/// How a command ended, as its result says it: every command's result type
/// implements this, and [`Exit::code`] alone turns it into the process's code.
pub(crate) trait Ending {
    fn exit(&self) -> Exit;
}

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

/// An error that is a stop: its exit code is the stop's ([`Exit::of_stop`]).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct StoppedBy(pub StopReason);

impl Exit {
    /// The process exit code.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The exit code of a run that stopped early for `reason`.
    pub(crate) fn of_stop(reason: &StopReason) -> Exit {
        match reason {
            StopReason::Credentials(_) => Exit::NeedsPerson,
            StopReason::Unreachable {
                fault,
                from_the_start: true,
            } if fault.cause.is_configuration() => Exit::NeedsPerson,
            StopReason::Unreachable { .. }
            | StopReason::Breaker
            | StopReason::Signal
            | StopReason::LedgerFailed => Exit::Stopped,
        }
    }

    /// What to do next after a stop that ends in this code.
    pub(crate) fn next_step(self) -> &'static str {
        match self {
            Exit::NeedsPerson => {
                "fix it (token, permissions, --api-base, network configuration), then run the same command again to resume"
            }
            _ => "run the same command again to resume",
        }
    }

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
        if let Some(StoppedBy(reason)) = err.chain().find_map(|e| e.downcast_ref()) {
            Exit::of_stop(reason)
        } else if err.chain().any(|e| e.is::<EarlierUnfinished>()) {
            Exit::EarlierUnfinished
        } else if err.chain().any(|e| e.is::<crate::lock::Held>()) {
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
