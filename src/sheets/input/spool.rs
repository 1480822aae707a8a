//! The input read once. A command reads the user's file (or pipe) exactly once:
//! its bytes are hashed as they are copied to a private temporary file, and every
//! pass over the rows afterwards — the duplicate scan, validation, the batch's
//! creation, `plan --online`'s books — reads that copy. The file cannot change
//! between two passes (a re-export landing mid-run), a named pipe works, and the
//! digest that identifies an unchanged batch costs no parsing.
//!
//! Invariants: the copy holds exactly the bytes hashed into `digest`; it is
//! private (created with the temporary directory's owner-only permissions) and
//! removed when the [`Spooled`] is dropped; memory stays flat (a fixed buffer),
//! the copy lives on disk in `TMPDIR`.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::{Input, InputError, InputOptions, InputSummary, Scan};
use crate::domain::Row;
use crate::domain::key;
use crate::domain::totals::Tally;

/// What validating every row found: what `plan` shows and what `run` refuses on.
#[derive(Debug)]
pub(crate) struct Validated {
    /// (line, reason) of every bad row.
    pub problems: Vec<(u64, crate::domain::finding::Findings)>,
    /// The money the valid rows ask.
    pub tally: Tally,
    /// With the batch fingerprint, the dialect and the duplicate scan.
    pub summary: InputSummary,
    /// Cells in the header.
    pub columns: usize,
    /// What each recognised column was taken from (see [`Input::columns_taken`]).
    pub taken: Vec<(crate::sheets::input::ColumnRole, Option<(usize, String)>)>,
}

/// The input as read once: a private copy and the digest of its bytes.
pub(crate) struct Spooled {
    path: PathBuf,
    copy: tempfile::NamedTempFile,
    digest: String,
    /// The input's lines, at least: its line ends (LF, or CR alone), and one
    /// for a last line without one.
    lines: u64,
    /// Passes over the copy so far, for the tests that keep them few. Atomic so
    /// a `Spooled` may be held across an `.await` of a task that moves threads
    /// (the console's approval makes its batch in a request handler).
    passes: std::sync::atomic::AtomicU32,
}

impl std::fmt::Debug for Spooled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Spooled")
            .field("path", &self.path)
            .field("digest", &self.digest)
            .finish()
    }
}

impl Spooled {
    /// Reads `path` to its end, once.
    pub(crate) fn read(path: &Path) -> Result<Spooled, InputError> {
        let io_err = |source| InputError::Io {
            path: path.to_owned(),
            source,
        };
        let mut file = File::open(path).map_err(io_err)?;
        let copy = tempfile::Builder::new()
            .prefix(".mprefund-input-")
            .tempfile()
            .map_err(|e| io_err(io::Error::new(e.kind(), format!("a temporary copy: {e}"))))?;
        let mut out = io::BufWriter::with_capacity(1 << 16, copy.as_file());
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 1 << 16];
        let (mut lf, mut cr) = (0u64, 0u64);
        loop {
            match file.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    lf += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
                    cr += buf[..n].iter().filter(|&&b| b == b'\r').count() as u64;
                    hasher.update(&buf[..n]);
                    out.write_all(&buf[..n]).map_err(io_err)?;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(io_err(e)),
            }
        }
        out.flush().map_err(io_err)?;
        drop(out);
        Ok(Spooled {
            path: path.to_owned(),
            copy,
            digest: key::hex(&hasher.finalize()),
            // CRLF counts once; a file of CR alone (old Mac exports) counts too.
            lines: lf.max(cr) + 1,
            passes: std::sync::atomic::AtomicU32::new(0),
        })
    }

    /// The user's path, as given: what messages name.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// How many passes read the copy so far.
    #[cfg(test)]
    pub(crate) fn passes(&self) -> u32 {
        self.passes.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// How many lines the input has, at least (see [`Spooled::read`]): what the
    /// duplicate filter is sized by.
    pub(crate) fn lines(&self) -> u64 {
        self.lines
    }

    /// SHA-256 hex of the input's bytes.
    pub(crate) fn digest(&self) -> &str {
        &self.digest
    }

    /// The copy, opened afresh (its own offset) for one pass.
    pub(super) fn bytes(&self) -> Result<File, InputError> {
        self.passes
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.copy.reopen().map_err(|source| InputError::Io {
            path: self.path.clone(),
            source,
        })
    }

    /// The rows, after a first pass that finds the possible duplicates.
    pub(crate) fn open(&self, opts: &InputOptions) -> Result<Input, InputError> {
        Input::open_spooled(self, opts)
    }

    /// Validates every row — the one validation loop of `plan` and `run` —
    /// handing each to `each` as it goes: what a command gathers from the rows
    /// (asks per payment) comes from this pass, not from another.
    pub(crate) fn validate(
        &self,
        opts: &InputOptions,
        mut each: impl FnMut(&Row) -> anyhow::Result<()>,
    ) -> anyhow::Result<Validated> {
        let mut input = self.open(opts)?;
        let columns = input.header().len();
        let taken = input.columns_taken();
        let mut problems = Vec::new();
        let mut tally = Tally::default();
        for row in input.by_ref() {
            let row = row?;
            each(&row)?;
            match row.content {
                Ok(v) => tally.add(v.currency, v.ask.requested),
                Err(reason) => problems.push((row.line, reason)),
            }
        }
        Ok(Validated {
            problems,
            tally,
            summary: input.finish()?,
            columns,
            taken,
        })
    }

    /// The rows again, with what an earlier pass found (its summary's `scan`).
    pub(crate) fn reopen(&self, opts: &InputOptions, scan: &Scan) -> Result<Input, InputError> {
        Input::reopen_spooled(self, opts, scan)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::file;
    use super::Spooled;

    /// The duplicate filter is sized by the lines: every way a line can end
    /// counts one, and a CRLF counts once.
    #[test]
    fn lines_are_counted_whatever_ends_them() {
        for (bytes, lines) in [
            (&b"payment_id,amount\n1,1\n2,2\n"[..], 4),
            (b"payment_id,amount\r\n1,1\r\n2,2", 3),
            (b"payment_id,amount\r1,1\r2,2\r", 4),
            (b"", 1),
        ] {
            let f = file(bytes);
            assert_eq!(Spooled::read(f.path()).unwrap().lines(), lines, "{bytes:?}");
        }
    }
}
