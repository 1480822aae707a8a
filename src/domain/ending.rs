//! How a command ended, as a code a process exits with: each code says what to
//! do next, so a stop a person must fix (6) is never the same code as one that
//! passes by itself (3), and an error nobody foresaw (8) never says
//! "resumable" (the book's "Exit codes" page lists them). Every command's result
//! type says its own [`Exit`] ([`Ending`]); of several, the one asking the most
//! of a person wins ([`Exit::worse`]), by an order written out here, not by
//! the codes' numbers.

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

/// From the exit that asks least of a person to the one that asks most: a
/// finished run, one with failed rows, a stop that passes by itself, a batch
/// another run holds, a refusal to fix (usage), earlier batches to finish, a
/// wall only a person passes (the token, the configuration), a damaged state
/// file, and last what nobody foresaw.
const SEVERITY: [Exit; 9] = [
    Exit::Ok,
    Exit::SomeFailed,
    Exit::Stopped,
    Exit::Locked,
    Exit::Usage,
    Exit::EarlierUnfinished,
    Exit::NeedsPerson,
    Exit::Damaged,
    Exit::Internal,
];

impl Exit {
    /// The process exit code: the one place a number is given to an outcome.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// Of two exits, the one that asks more of a person ([`SEVERITY`]).
    pub(crate) fn worse(self, other: Exit) -> Exit {
        let rank = |e: Exit| {
            SEVERITY
                .iter()
                .position(|s| *s == e)
                .unwrap_or(SEVERITY.len())
        };
        if rank(other) > rank(self) {
            other
        } else {
            self
        }
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

    #[test]
    fn every_exit_has_one_place_in_the_order() {
        let mut codes: Vec<u8> = SEVERITY.iter().map(|e| e.code()).collect();
        codes.sort_unstable();
        assert_eq!(codes, (0..=8).collect::<Vec<u8>>());
    }

    #[test]
    fn the_worse_asks_more_of_a_person() {
        assert_eq!(Exit::Ok.worse(Exit::SomeFailed), Exit::SomeFailed);
        // A refusal to fix outweighs a stop that passes by itself.
        assert_eq!(Exit::Stopped.worse(Exit::Usage), Exit::Usage);
        assert_eq!(Exit::Usage.worse(Exit::Stopped), Exit::Usage);
        assert_eq!(Exit::NeedsPerson.worse(Exit::Damaged), Exit::Damaged);
        assert_eq!(Exit::Internal.worse(Exit::Ok), Exit::Internal);
    }
}
