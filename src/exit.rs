//! The one place where how a command ended becomes the process's exit code:
//! with a result, the result's [`Ending`](crate::domain::ending::Ending) says it; with an error, the error is
//! read once, here, into a [`Failure`] — usage, input, report, locked,
//! interrupted, damaged, earlier batches unfinished, or internal — from the
//! markers the library puts on its errors (`crate::error`, the engine's
//! `StoppedBy`, `lock::Held`, `input::InputError`, `mpreport::ReportError`)
//! and from SQLite's own codes. Whatever carries no marker is internal, never
//! "stopped early". Used by the entry points only (`main`, `cli`, `web`).

use crate::domain::ending::Exit;
use crate::engine::send::{StopReason, StoppedBy};
use crate::error::{Damaged, EarlierUnfinished, Interrupted, Usage};

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
            Failure::Interrupted(Some(reason)) => reason.exit(),
            Failure::Interrupted(None) => Exit::Stopped,
            Failure::Damaged => Exit::Damaged,
            Failure::EarlierUnfinished => Exit::EarlierUnfinished,
            Failure::Internal => Exit::Internal,
        }
    }
}

/// Maps a command's answer to its exit, printing the error (once, here) when
/// there is one.
pub fn of_result(result: anyhow::Result<Exit>) -> Exit {
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

/// Ends the process at once with `exit`: for a second signal, which must not
/// wait for the command to return through `main`.
pub(crate) fn now(exit: Exit) -> ! {
    std::process::exit(i32::from(exit.code()))
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
