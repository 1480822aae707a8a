//! The next steps the tool prints, as commands a person copies and runs: built
//! here, from typed data — a [`Step`], the batch it is about, and how the
//! command that printed it reached that batch ([`Reach`]: the job file, the
//! state file, where the token came from) — so the end-of-run summary, a
//! refusal, `status`, `reconcile`, a cron log's lines and a notification say
//! the same command, and none says one the command's own rules refuse.
//!
//! Invariants: a printed command names its batch by its whole id and carries
//! what finds the same state file with the same token from any folder (paths
//! absolute, quoted for a POSIX shell); rows still to send are resumed
//! (`retry --include-pending`, or `run --approved` for a console batch), never
//! given to a bare `retry`, which refuses a batch with pending rows; every
//! command is said in backticks, whole, so a log's reader (or a test) can take
//! it out and run it as printed.

use std::path::{Path, PathBuf};

use crate::domain::books::Finding;
use crate::domain::causes::Next;
use crate::domain::Outcome;

/// Where the token came from, as given on the command line (a job file's
/// source is the job file's again; the default, MP_ACCESS_TOKEN, needs no flag).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TokenFrom {
    File(PathBuf),
    Env(String),
}

/// How a command reached its batches, so the commands it prints reach the same
/// ones: `--job` (which names the state file and the token), `--state` when
/// the command line gave it or no job did, `--token-file`/`--token-env` when
/// the command line gave them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Reach {
    job: Option<PathBuf>,
    state: Option<PathBuf>,
    token: Option<TokenFrom>,
    /// `--api-base` given on the command line: what `plan`, which has no batch
    /// to take it from, needs again.
    api_base: Option<String>,
    /// The batches are the console's: `run --approved` resumes them, so the
    /// console's own record of each follows.
    console: bool,
}

impl Reach {
    /// `job`: `--job`; `state_flag`: `--state` as given; `state`: the state
    /// file the command resolved (said when no job names it); `token` and
    /// `api_base`: as the command line gave them.
    pub(crate) fn new(
        job: Option<&Path>,
        state_flag: Option<&Path>,
        state: Option<&Path>,
        token: Option<TokenFrom>,
        api_base: Option<&str>,
    ) -> Reach {
        let state = match job {
            Some(_) => state_flag,
            None => state_flag.or(state),
        };
        Reach {
            job: job.map(absolute),
            state: state.map(absolute),
            token: token.map(|t| match t {
                TokenFrom::File(f) => TokenFrom::File(absolute(&f)),
                env => env,
            }),
            api_base: api_base.map(str::to_owned),
            console: false,
        }
    }

    /// The console's batches of `state`, as the console (which has no command
    /// line of its own to repeat) names them.
    pub(crate) fn console_of(state: &Path) -> Reach {
        Reach::new(None, None, Some(state), None, None).console()
    }

    /// The same, for the console's batches (`run --approved`).
    pub(crate) fn console(self) -> Reach {
        Reach {
            console: true,
            ..self
        }
    }

    /// `step` over `batch`; `pending`: whether it has rows still to send.
    pub(crate) fn on<'a>(&'a self, batch: &'a str, pending: bool) -> OnBatch<'a> {
        OnBatch {
            reach: self,
            batch,
            pending,
        }
    }

    /// `plan --online` of `input`: the payments' figures, read back.
    pub(crate) fn plan_online(&self, input: &Path) -> Command {
        let mut words = words(&["plan", "--online"]);
        words.push(absolute(input).display().to_string());
        self.push_where(&mut words, true);
        if let Some(base) = &self.api_base {
            words.extend(["--api-base".to_owned(), base.clone()]);
        }
        Command(words)
    }

    /// `console users add admin --role admin`: the console's first account
    /// (it asks for its password on the terminal).
    pub(crate) fn add_admin(&self) -> Command {
        let mut words = words(&["console", "users", "add", "admin", "--role", "admin"]);
        self.push_where(&mut words, false);
        Command(words)
    }

    /// `--job`, `--state`, and (for a command that reads the token) where it
    /// comes from.
    fn push_where(&self, words: &mut Vec<String>, token: bool) {
        if let Some(job) = &self.job {
            words.extend(["--job".to_owned(), job.display().to_string()]);
        }
        if let Some(state) = &self.state {
            words.extend(["--state".to_owned(), state.display().to_string()]);
        }
        match (&self.token, token) {
            (Some(TokenFrom::File(f)), true) => {
                words.extend(["--token-file".to_owned(), f.display().to_string()]);
            }
            (Some(TokenFrom::Env(v)), true) => {
                words.extend(["--token-env".to_owned(), v.clone()]);
            }
            _ => {}
        }
    }
}

fn words(w: &[&str]) -> Vec<String> {
    w.iter().map(|s| (*s).to_owned()).collect()
}

/// `path` made absolute against the working folder (as given when that fails):
/// a command copied from a log is run from anywhere.
fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// What a person does next about a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// Send the rows still to send (a stop left them), and the failed rows
    /// that may pass now, with their keys.
    Resume,
    /// Send the failed rows that may pass now again, with their keys (replayed
    /// where a refund was made).
    Retry,
    /// Read the batch's payments back from Mercado Pago.
    Reconcile,
    /// List the rows that need a person, with what each cause means.
    Look,
}

/// A command to print: its words, said in backticks, each quoted as a POSIX
/// shell needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Command(Vec<String>);

impl std::fmt::Display for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("`mprefund")?;
        for w in &self.0 {
            write!(f, " {}", quote(w))?;
        }
        f.write_str("`")
    }
}

/// `word` as a POSIX shell reads it back: as is when it holds nothing the
/// shell reads otherwise, else in single quotes.
pub(crate) fn quote(word: &str) -> std::borrow::Cow<'_, str> {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./:=@%+,".contains(c));
    if plain {
        word.into()
    } else {
        format!("'{}'", word.replace('\'', r"'\''")).into()
    }
}

/// The steps about one batch, said as its commands.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OnBatch<'a> {
    reach: &'a Reach,
    batch: &'a str,
    pending: bool,
}

impl OnBatch<'_> {
    /// The command that does `step`. With rows still to send, a retry is a
    /// resume: `retry` alone refuses the batch.
    pub(crate) fn command(&self, step: Step) -> Command {
        let step = match step {
            Step::Retry if self.pending => Step::Resume,
            s => s,
        };
        let batch = ["--batch", self.batch];
        let (sub, tail, token): (&[&str], &[&str], bool) = match step {
            Step::Resume if self.reach.console => (&["run", "--approved"], &[], true),
            Step::Resume => (&["retry"], &[batch[0], batch[1], "--include-pending"], true),
            Step::Retry => (&["retry"], &batch, true),
            Step::Reconcile => (&["reconcile"], &batch, true),
            Step::Look => (&["status"], &[batch[0], batch[1], "--failed"], false),
        };
        let mut words = words(sub);
        self.reach.push_where(&mut words, token);
        words.extend(tail.iter().map(|w| (*w).to_owned()));
        Command(words)
    }

    /// What to do about rows of a cause whose next step is `next`.
    pub(crate) fn cause(&self, next: Next) -> String {
        match next {
            Next::Retry => format!("send them again, same keys: {}", self.command(Step::Retry)),
            Next::Reconcile => format!("read them back: {}", self.command(Step::Reconcile)),
            Next::FixRow => format!(
                "fix the rows in the spreadsheet and send them in a new file ({} lists them)",
                self.command(Step::Look)
            ),
            Next::NeedsPerson => format!(
                "a person must look ({} lists them)",
                self.command(Step::Look)
            ),
            Next::Nothing => "nothing to do".to_owned(),
        }
    }

    /// Rows still to send.
    pub(crate) fn pending(&self) -> String {
        format!("send them: {}", self.command(Step::Resume))
    }

    /// Rows in doubt: sent again with the same key (which Mercado Pago
    /// replays, if it made the refund), or read back.
    pub(crate) fn in_doubt(&self) -> String {
        format!(
            "{} (same key) or {} (reads it back)",
            self.command(Step::Retry),
            self.command(Step::Reconcile)
        )
    }

    /// What a stop asks: resume, once `fix` is done when a person must do it.
    pub(crate) fn after_stop(&self, needs_person: bool) -> String {
        if needs_person {
            format!(
                "fix it (token, permissions, --api-base, network configuration), then resume: {}",
                self.command(Step::Resume)
            )
        } else {
            format!("to resume: {}", self.command(Step::Resume))
        }
    }

    /// The one step a batch that ended so needs first, if any, for a cron
    /// log's line and a notification: rows to send are resumed; rows failed,
    /// in doubt, invalid or refunded otherwise than asked are listed for a
    /// person (with each cause's own step); refunds in process are read back.
    pub(crate) fn first(
        &self,
        count: impl Fn(Outcome) -> u64,
        mismatched: bool,
    ) -> Option<Command> {
        if self.pending {
            Some(self.command(Step::Resume))
        } else if mismatched
            || [Outcome::Failed, Outcome::Unknown, Outcome::Invalid]
                .into_iter()
                .any(|o| count(o) > 0)
        {
            Some(self.command(Step::Look))
        } else if count(Outcome::InProcess) > 0 {
            Some(self.command(Step::Reconcile))
        } else {
            None
        }
    }

    /// What to do about lines of a reconcile's `finding`, if anything.
    pub(crate) fn finding(&self, finding: Finding) -> Option<String> {
        match finding {
            Finding::InDoubt | Finding::Unreadable => Some(format!(
                "read back again later: {}",
                self.command(Step::Reconcile)
            )),
            Finding::RejectedLater => Some(format!(
                "no money moved for them; the rows are failed now: a person must look ({} lists them)",
                self.command(Step::Look)
            )),
            Finding::MissingAtMp | Finding::AmountDiffers | Finding::OutsideRefund => Some(
                "a person must compare them with Mercado Pago (the reconciliation file lists them)"
                    .to_owned(),
            ),
            Finding::Matched
            | Finding::Settled
            | Finding::UnknownOutcomeFound
            | Finding::NoRefund => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    /// The words of every command printed, read back as a shell would.
    fn parsed(c: &Command) -> Vec<String> {
        let text = c.to_string();
        let inner = text.strip_prefix('`').unwrap().strip_suffix('`').unwrap();
        shell_words(inner)
    }

    /// A POSIX shell's splitting, for the quoting [`quote`] makes.
    fn shell_words(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut word = String::new();
        let mut quoted = false;
        let mut any = false;
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\'' if quoted => quoted = false,
                '\'' => {
                    quoted = true;
                    any = true;
                }
                '\\' if !quoted => {
                    if let Some(n) = chars.next() {
                        word.push(n);
                    }
                }
                ' ' if !quoted => {
                    if any || !word.is_empty() {
                        out.push(std::mem::take(&mut word));
                    }
                    any = false;
                }
                c => word.push(c),
            }
        }
        if any || !word.is_empty() {
            out.push(word);
        }
        out
    }

    fn reaches() -> Vec<Reach> {
        let job = Path::new("/etc/mprefund/jobs/night's job.toml");
        vec![
            Reach::new(
                Some(job),
                None,
                Some(Path::new("/var/lib/x.db")),
                None,
                None,
            ),
            Reach::new(
                None,
                None,
                Some(Path::new("/home/ana/my state.db")),
                Some(TokenFrom::File("/etc/mprefund/token".into())),
                Some("http://127.0.0.1:9"),
            ),
            Reach::new(
                Some(job),
                Some(Path::new("/tmp/s.db")),
                None,
                Some(TokenFrom::Env("MP_TOKEN".into())),
                None,
            ),
            Reach::new(Some(job), None, None, None, None).console(),
        ]
    }

    /// Every command this module can print parses as the command line declares
    /// it, and carries the batch and the way to it.
    #[test]
    fn every_command_parses_as_printed() {
        let batch = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        for reach in reaches() {
            for pending in [false, true] {
                let on = reach.on(batch, pending);
                for step in [Step::Resume, Step::Retry, Step::Reconcile, Step::Look] {
                    let c = on.command(step);
                    let words = parsed(&c);
                    assert_eq!(words[0], "mprefund", "{c}");
                    let cli = crate::cli::Cli::try_parse_from(&words);
                    assert!(cli.is_ok(), "{c}: {:?}", cli.err());
                    if let Some(job) = &reach.job {
                        assert!(words.contains(&job.display().to_string()), "{c}");
                    }
                    let resumes = step == Step::Resume || step == Step::Retry && pending;
                    // `run --approved` sends every console batch left: it names none.
                    if !(reach.console && resumes) {
                        assert!(words.iter().any(|w| w == batch), "{c}");
                    }
                }
            }
            let add = parsed(&reach.add_admin());
            assert!(crate::cli::Cli::try_parse_from(&add).is_ok(), "{add:?}");
            let plan = reach.plan_online(Path::new("/srv/in put.csv"));
            let words = parsed(&plan);
            assert!(words.contains(&"/srv/in put.csv".to_owned()), "{plan}");
            assert!(crate::cli::Cli::try_parse_from(&words).is_ok(), "{plan}");
        }
    }

    #[test]
    fn rows_still_to_send_are_resumed_never_given_to_a_bare_retry() {
        let reach = Reach::new(None, None, Some(Path::new("/s.db")), None, None);
        let c = reach.on("b1", true).command(Step::Retry).to_string();
        assert_eq!(
            c,
            "`mprefund retry --state /s.db --batch b1 --include-pending`"
        );
        let c = reach.on("b1", false).command(Step::Retry).to_string();
        assert_eq!(c, "`mprefund retry --state /s.db --batch b1`");
        let console = reach.clone().console();
        assert_eq!(
            console.on("b1", true).command(Step::Retry).to_string(),
            "`mprefund run --approved --state /s.db`"
        );
    }

    #[test]
    fn a_job_names_the_state_unless_the_command_line_did() {
        let job = Path::new("/etc/mprefund/jobs/j.toml");
        let by_job = Reach::new(
            Some(job),
            None,
            Some(Path::new("/var/lib/s.db")),
            None,
            None,
        );
        assert_eq!(
            by_job.on("b", false).command(Step::Reconcile).to_string(),
            "`mprefund reconcile --job /etc/mprefund/jobs/j.toml --batch b`"
        );
        // `status` reads no token: none is passed to it.
        let flagged = Reach::new(
            None,
            Some(Path::new("rel/s.db")),
            None,
            Some(TokenFrom::File("tok".into())),
            None,
        );
        let look = flagged.on("b", false).command(Step::Look).to_string();
        assert!(!look.contains("--token-file"), "{look}");
        let here = std::env::current_dir().unwrap();
        assert!(
            look.contains(&here.join("rel/s.db").display().to_string()),
            "{look}"
        );
    }

    #[test]
    fn words_are_quoted_for_a_shell() {
        assert_eq!(quote("/var/lib/s.db"), "/var/lib/s.db");
        assert_eq!(quote("my file.csv"), "'my file.csv'");
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote(""), "''");
        assert_eq!(quote("$HOME"), "'$HOME'");
        assert_eq!(shell_words(&quote("it's a $x")), ["it's a $x"]);
    }
}
