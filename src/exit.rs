//! The one place where outcomes become process exit codes (the book's "Exit
//! codes" page lists them): each code says what to do next, so a stop a person must
//! fix (6) is never the same code as one that passes by itself (3), and an error
//! nobody foresaw (8) never says "resumable".
//!
//! A command ends in one of two ways. With a result: the result's type says how
//! it ended ([`Ending`]). With an error: the error is read once, here, into a
//! [`Failure`] — usage, input, report, locked, interrupted, damaged, earlier
//! batches unfinished, or internal — from the markers the library puts on its
//! errors ([`Usage`], [`StoppedBy`], [`Damaged`], [`EarlierUnfinished`],
//! `lock::Held`, `input::InputError`, `mpreport::ReportError`) and from SQLite's
//! own codes. Whatever carries no marker is internal, never "stopped early".
//! [`Exit::code`] alone turns either into the number.

use crate::engine::send::StopReason;

/// How a command ended, each with its process exit code.
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
    /// The state file is damaged (a cell this version cannot read back, a
    /// corrupt page): there is nothing to resume until a person looks.
    Damaged = 5,
    /// Stopped early on something only a person can fix: the token refused
    /// (401/403), or an API that could never be reached because of configuration
    /// (a host name that does not resolve, a failed TLS handshake). Resumable
    /// once fixed; running again unchanged meets the same wall.
    NeedsPerson = 6,
    /// `run --job` with `resume_earlier = false` found unfinished batches of the
    /// same job: nothing was sent; finish them (`run --job` with the default) or
    /// look at them first.
    EarlierUnfinished = 7,
    /// An error the tool has no name for (a file it could not write, an SQLite
    /// error other than a busy or damaged file, a bug): a person must look; the
    /// state file is consistent, every write being one transaction.
    Internal = 8,
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

/// Marks an error as an interruption that passes by itself (the API not ready,
/// or answering what cannot be used, within the time given): exit 3.
#[derive(Debug, thiserror::Error)]
#[error("{0:#}; run again later to try again")]
pub struct Interrupted(pub anyhow::Error);

/// What an error that ends a command is: the typed boundary between the library
/// and the process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failure {
    /// The command line or a job file is wrong; nothing was sent.
    Usage,
    /// The input (spreadsheet) is wrong; nothing was sent.
    Input,
    /// A Mercado Pago report file cannot be read.
    Report,
    /// Another process holds the batch.
    Locked,
    /// Stopped early: by a stop (`Some`, whose own code it takes) or by
    /// something that passes (the state file busy, the API not ready).
    Interrupted(Option<StopReason>),
    /// The state file holds what cannot be read back.
    Damaged,
    /// `run --job`: earlier batches of the job unfinished.
    EarlierUnfinished,
    /// Nothing above: nobody foresaw it.
    Internal,
}

impl Failure {
    /// Reads what `err` is from its chain: the marker nearest the top wins
    /// over a cause further down (a stop caused by a busy file is a stop).
    pub(crate) fn of(err: &anyhow::Error) -> Failure {
        for cause in err.chain() {
            if let Some(StoppedBy(reason)) = cause.downcast_ref() {
                return Failure::Interrupted(Some(reason.clone()));
            }
            if cause.is::<Interrupted>() {
                return Failure::Interrupted(None);
            }
            if cause.is::<EarlierUnfinished>() {
                return Failure::EarlierUnfinished;
            }
            if cause.is::<crate::store::lock::Held>() {
                return Failure::Locked;
            }
            if cause.is::<Damaged>() {
                return Failure::Damaged;
            }
            // The sandbox's own word for arguments it cannot serve (it depends
            // on nothing of ours, so it cannot raise a `Usage`).
            if cause.is::<Usage>() || cause.is::<mprefund_sandbox::BadArgs>() {
                return Failure::Usage;
            }
            if cause.is::<crate::sheets::input::InputError>() {
                return Failure::Input;
            }
            if cause.is::<crate::sheets::mpreport::ReportError>() {
                return Failure::Report;
            }
            if let Some(rusqlite::Error::SqliteFailure(e, _)) = cause.downcast_ref() {
                use rusqlite::ErrorCode::{
                    DatabaseBusy, DatabaseCorrupt, DatabaseLocked, NotADatabase,
                };
                match e.code {
                    DatabaseCorrupt | NotADatabase => return Failure::Damaged,
                    // Another process's write outlasted the wait: it passes.
                    DatabaseBusy | DatabaseLocked => return Failure::Interrupted(None),
                    _ => {}
                }
            }
        }
        Failure::Internal
    }

    pub(crate) fn exit(&self) -> Exit {
        match self {
            Failure::Usage | Failure::Input | Failure::Report => Exit::Usage,
            Failure::Locked => Exit::Locked,
            Failure::Interrupted(Some(reason)) => Exit::of_stop(reason),
            Failure::Interrupted(None) => Exit::Stopped,
            Failure::Damaged => Exit::Damaged,
            Failure::EarlierUnfinished => Exit::EarlierUnfinished,
            Failure::Internal => Exit::Internal,
        }
    }
}

impl Exit {
    /// The process exit code: the one place a number is given to an outcome.
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

    /// Maps a command's answer to its exit, printing the error (once, here) when
    /// there is one.
    pub fn from_result(result: anyhow::Result<Exit>) -> Exit {
        match result {
            Ok(exit) => exit,
            Err(err) => {
                let failure = Failure::of(&err);
                match failure {
                    Failure::Internal => eprintln!(
                        "internal error: {err:#}\n\
                         (not an input, usage or network error: running again unchanged will \
                         likely fail the same way; a person must look — disk space, permissions, \
                         or a bug to report with this message; the state file is consistent)"
                    ),
                    // SQLite found the damage itself: said as the marked kind is.
                    Failure::Damaged if !err.chain().any(|e| e.is::<Damaged>()) => {
                        eprintln!("error: {}", Damaged(err));
                    }
                    _ => eprintln!("error: {err:#}"),
                }
                failure.exit()
            }
        }
    }

    /// The exit code an error stands for (see [`Failure::of`]).
    pub(crate) fn of_error(err: &anyhow::Error) -> Exit {
        Failure::of(err).exit()
    }
}

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exit code {}", self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sqlite(code: std::ffi::c_int) -> anyhow::Error {
        rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), None).into()
    }

    #[test]
    fn each_failure_has_its_own_code() {
        let codes = |f: Failure| f.exit().code();
        assert_eq!(codes(Failure::Usage), 2);
        assert_eq!(codes(Failure::Input), 2);
        assert_eq!(codes(Failure::Report), 2);
        assert_eq!(codes(Failure::Interrupted(None)), 3);
        assert_eq!(codes(Failure::Interrupted(Some(StopReason::Signal))), 3);
        assert_eq!(
            codes(Failure::Interrupted(Some(StopReason::Credentials(401)))),
            6
        );
        assert_eq!(codes(Failure::Locked), 4);
        assert_eq!(codes(Failure::Damaged), 5);
        assert_eq!(codes(Failure::EarlierUnfinished), 7);
        assert_eq!(codes(Failure::Internal), 8);
    }

    /// An error with no marker is internal: it never tells cron to try again.
    #[test]
    fn what_an_error_is_read_from_its_chain() {
        let plain = anyhow::anyhow!("something nobody foresaw");
        assert_eq!(Failure::of(&plain), Failure::Internal);
        let disk = anyhow::Error::from(std::io::Error::from_raw_os_error(28)).context("writing");
        assert_eq!(Failure::of(&disk), Failure::Internal);
        let io = sqlite(rusqlite::ffi::SQLITE_IOERR).context("reading the batch");
        assert_eq!(Failure::of(&io), Failure::Internal);
        let corrupt = sqlite(rusqlite::ffi::SQLITE_CORRUPT).context("reading the batch");
        assert_eq!(Failure::of(&corrupt), Failure::Damaged);
        assert_eq!(
            Failure::of(&sqlite(rusqlite::ffi::SQLITE_NOTADB)),
            Failure::Damaged
        );
        assert_eq!(
            Failure::of(&sqlite(rusqlite::ffi::SQLITE_BUSY)),
            Failure::Interrupted(None)
        );
        let usage = anyhow::Error::from(Usage("no".into())).context("job file");
        assert_eq!(Failure::of(&usage), Failure::Usage);
        let sandbox = anyhow::Error::from(mprefund_sandbox::BadArgs("port in use".into()));
        assert_eq!(Failure::of(&sandbox).exit(), Exit::Usage);
        // The marker nearest the top wins: a stop the ledger caused is a stop.
        let stop = anyhow::Error::from(StoppedBy(StopReason::Credentials(403)))
            .context("fetching the report");
        assert_eq!(Failure::of(&stop).exit(), Exit::NeedsPerson);
        let wrapped = anyhow::Error::from(Interrupted(anyhow::anyhow!("not ready")));
        assert_eq!(Failure::of(&wrapped).exit(), Exit::Stopped);
    }
}
