//! Every next step the tool prints is a command that works as printed: taken
//! out of what a command said (its summary, a refusal, `status`, `reconcile`,
//! a cron log's quiet lines) and run, word for word, from another folder, by
//! the person who ran the first one (the same environment) — it is never
//! refused (a usage error, another run's lock, an earlier batch unfinished),
//! and it reaches the same batch of the same state file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use mprefund_sandbox::{Faults, TEST_TOKEN};

use crate::common::*;

/// The commands in backticks that start with `mprefund `, in order, once each.
fn printed(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (i, span) in text.split('`').enumerate() {
        if i % 2 == 1 && span.starts_with("mprefund ") && !found.iter().any(|f| f == span) {
            found.push(span.to_owned());
        }
    }
    found
}

/// A POSIX shell's words of `text`, for the quoting the tool prints (single
/// quotes, `'\''` for a quote inside them).
pub(crate) fn shell_words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let (mut quoted, mut any) = (false, false);
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                quoted = !quoted;
                any = true;
            }
            '\\' if !quoted => word.extend(chars.next()),
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

/// Every file under `dir`, with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else {
                files.insert(p.clone(), std::fs::read(&p).unwrap());
            }
        }
    }
    files
}

/// `dir` as `files` had it: what a command wrote since is undone.
fn restore(dir: &Path, files: &BTreeMap<PathBuf, Vec<u8>>) {
    for p in snapshot(dir).into_keys() {
        if !files.contains_key(&p) {
            std::fs::remove_file(&p).unwrap();
        }
    }
    for (p, bytes) in files {
        std::fs::write(p, bytes).unwrap();
    }
}

/// Who runs the printed commands: the test's folder, and whether the token is
/// in the environment (else it comes from a file the commands must name).
struct Person<'a> {
    w: &'a Work,
    token_in_env: bool,
}

impl Person<'_> {
    /// The binary as this person runs it, from a folder of their own (not the
    /// one the first command ran in: paths must be absolute).
    fn command(&self, words: &[String]) -> Command {
        let elsewhere = self.w.path("elsewhere");
        std::fs::create_dir_all(&elsewhere).unwrap();
        let mut c = self.w.bare();
        c.current_dir(&elsewhere).args(words);
        if self.token_in_env {
            c.env("MP_ACCESS_TOKEN", TEST_TOKEN);
        }
        c
    }

    /// Runs every command `said` prints, each from the state as it was when it
    /// was printed; returns them. None may be refused.
    fn run_each(&self, said: &Ran) -> Vec<String> {
        let commands = printed(&format!("{}\n{}", said.stdout, said.stderr));
        let before = snapshot(self.w.dir.path());
        for c in &commands {
            let words = shell_words(c);
            assert_eq!(words[0], "mprefund", "{c}");
            let ran = run(self.command(&words[1..]));
            assert!(
                [0, 1, 3, 6].contains(&ran.code),
                "printed {c}\nfrom {said:?}\n--- which, run, ended {ran:?}"
            );
            restore(self.w.dir.path(), &before);
        }
        commands
    }
}

/// The id of the batch `s.db` holds (its only one).
fn only_batch(w: &Work, state: &str) -> String {
    let status = run(w.bare().args(["status", "--state", state])).exits(0);
    status
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("batch "))
        .unwrap()
        .trim()
        .to_owned()
}

/// Asserts each command names `batch` (but `run --approved`, which names none)
/// and carries `with`.
fn all_reach(commands: &[String], batch: &str, with: &[&str]) {
    assert!(!commands.is_empty());
    for c in commands {
        if !c.contains(" run --approved") {
            assert!(c.contains(&format!("--batch {batch}")), "{c}");
        }
        for w in with {
            assert!(c.contains(w), "{c} lacks {w}");
        }
    }
}

#[test]
fn an_outage_night_under_a_job_prints_commands_with_the_job() {
    let sb = sandbox_with(outage());
    let w = Work::new();
    w.write("tok", TEST_TOKEN);
    let job = crate::common::night_job(&w, &sb.base_url(), "token_file = \"tok\"\n");
    w.write("tonight.csv", ordinary_csv(6, 3_410));
    let person = Person {
        w: &w,
        token_in_env: false,
    };
    let night = |quiet: bool| {
        let mut c = w.bare();
        if quiet {
            c.arg("--quiet");
        }
        run(c.args(["run", "--job", "job.toml"]))
    };
    let ran = night(false);
    assert_eq!(ran.code, 3, "{ran:?}");
    let quiet = night(true);
    assert_eq!(quiet.code, 3, "{quiet:?}");
    let batch = only_batch(&w, "s.db");
    // The morning after: the API is back; the person runs what the log says.
    sb.set_faults(Faults::default());
    let job = format!("--job {}", job.display());
    let said = person.run_each(&ran);
    all_reach(&said, &batch, &[&job]);
    assert!(
        said.iter()
            .any(|c| c.contains(" retry ") && c.ends_with("--include-pending")),
        "rows still to send are resumed: {said:?}"
    );
    assert!(
        said.iter().any(|c| c.contains(" reconcile ")),
        "rows in doubt can be read back: {said:?}"
    );
    assert!(
        !said
            .iter()
            .any(|c| c.contains(" retry ") && !c.contains("--include-pending")),
        "retry alone refuses a batch with pending rows: {said:?}"
    );
    // The cron log (--quiet): its one line per batch, and the step it asks.
    let quietly = person.run_each(&quiet);
    all_reach(&quietly, &batch, &[&job, "--include-pending"]);
    assert_eq!(quietly.len(), 1, "{quiet:?}");

    // A night told not to finish earlier batches names how to finish each.
    std::fs::write(
        w.path("job.toml"),
        std::fs::read_to_string(w.path("job.toml")).unwrap() + "resume_earlier = false\n",
    )
    .unwrap();
    w.write("tonight.csv", ordinary_csv(2, 3_420));
    let refused = night(false);
    assert_eq!(refused.code, 7, "{refused:?}");
    let said = person.run_each(&refused);
    all_reach(&said, &batch, &[&job, "--include-pending"]);
}

#[test]
fn failed_rows_print_commands_that_reach_the_state_file_and_the_token() {
    let (sb, w) = fresh_with("my token", TEST_TOKEN);
    // Refunded, 2063 (a person), in process (reconcile), 2000 (the row).
    w.write(
        "in.csv",
        "payment_id,amount,reference\n3510001,1.25,a\n3510903,1.25,b\n\
         3510907,1.25,d\n3510900,1.25,e\n",
    );
    let ran = run(w.bare().args([
        "run",
        "in.csv",
        "--state",
        "s.db",
        "--token-file",
        "my token",
        "--api-base",
        &sb.base_url(),
        "--max-attempts",
        "1",
    ]))
    .exits(1);
    let batch = only_batch(&w, "s.db");
    let person = Person {
        w: &w,
        token_in_env: false,
    };
    let said = person.run_each(&ran);
    let state = format!("--state {}", w.path("s.db").display());
    all_reach(&said, &batch, &[&state]);
    for c in &said {
        if !c.contains(" status ") {
            // Quoted: the file's name has a space.
            assert!(
                c.contains(&format!("--token-file '{}'", w.path("my token").display())),
                "{c}"
            );
        }
    }
    for sub in [" reconcile ", " status "] {
        assert!(
            said.iter().any(|c| c.contains(sub)),
            "{sub}: {said:?} {ran:?}"
        );
    }

    // Sent again while Mercado Pago is rate limiting: the rows that may pass
    // later say the retry that sends them.
    sb.set_faults(Faults {
        error_429: 1.0,
        ..Faults::default()
    });
    let retried = run(w.bare().args([
        "retry",
        "--state",
        "s.db",
        "--token-file",
        "my token",
        "--all-failed",
        "--yes",
        "--max-attempts",
        "1",
    ]))
    .exits(1);
    assert!(retried.stderr.contains("failed/http_429"), "{retried:?}");
    sb.set_faults(Faults::default());
    let said = person.run_each(&retried);
    all_reach(&said, &batch, &[&state]);
    assert!(
        said.iter().any(|c| c.contains(" retry ")
            && c.contains(&format!("--token-file '{}'", w.path("my token").display()))),
        "{said:?}"
    );

    // `status --failed` says each cause's step; the person keeps the token in
    // the environment there (status reads none to name).
    let status = run(w.bare().args(["status", "--state", "s.db", "--failed"])).exits(0);
    let said = Person {
        w: &w,
        token_in_env: true,
    }
    .run_each(&status);
    all_reach(&said, &batch, &[&state]);
    assert!(said.iter().any(|c| c.contains(" retry ")), "{status:?}");
}

#[test]
fn rows_in_doubt_and_the_reconcile_of_them_print_commands_that_work() {
    let sb = sandbox_with(outage());
    let w = Work::new();
    w.write("in.csv", ordinary_csv(3, 3_610));
    let ran = w.run_on(&sb, "in.csv", &["--max-attempts", "1", "--breaker", "100"]);
    assert_eq!(
        ran.code, 1,
        "every row in doubt, none left to send: {ran:?}"
    );
    sb.set_faults(Faults::default());
    let batch = only_batch(&w, "s.db");
    let state = format!("--state {}", w.path("s.db").display());
    let person = Person {
        w: &w,
        token_in_env: true,
    };
    // Read back at once: still in doubt (too soon to say nothing was made).
    // Before the commands the run printed, which send the refunds.
    for quiet in [false, true] {
        let mut c = w.bare();
        c.env("MP_ACCESS_TOKEN", TEST_TOKEN);
        if quiet {
            c.arg("--quiet");
        }
        let reconciled = run(c.args(["reconcile", "--state", "s.db"])).exits(1);
        assert!(reconciled.stderr.contains("in_doubt"), "{reconciled:?}");
        let said = person.run_each(&reconciled);
        all_reach(&said, &batch, &[&state, " reconcile "]);
    }

    let said = person.run_each(&ran);
    all_reach(&said, &batch, &[&state]);
    assert!(
        said.iter()
            .any(|c| c.contains(" retry ") && !c.contains("--include-pending")),
        "{said:?}"
    );
    assert!(said.iter().any(|c| c.contains(" reconcile ")), "{said:?}");
}

#[test]
fn pending_rows_after_a_stop_are_resumed_not_retried() {
    // An API that refuses connections: the run stops, every row still to send.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let w = Work::new();
    w.write("in.csv", ordinary_csv(3, 3_710));
    let mut c = w.bare();
    c.env("MP_ACCESS_TOKEN", TEST_TOKEN).args([
        "run",
        "in.csv",
        "--state",
        "s.db",
        "--api-base",
        &format!("http://{closed}"),
    ]);
    let ran = run(c).exits(3);
    let batch = only_batch(&w, "s.db");
    let state = format!("--state {}", w.path("s.db").display());
    let person = Person {
        w: &w,
        token_in_env: true,
    };
    let said = person.run_each(&ran);
    all_reach(&said, &batch, &[&state, "--include-pending"]);

    // `retry` alone refuses, and says the command that does not.
    let mut c = w.bare();
    c.env("MP_ACCESS_TOKEN", TEST_TOKEN)
        .args(["retry", "--state", "s.db"]);
    let refused = run(c).exits(2);
    let said = person.run_each(&refused);
    all_reach(&said, &batch, &[&state, "--include-pending"]);
}

#[test]
fn a_preflight_refusal_names_the_plan_that_shows_why() {
    let (sb, w) = fresh_with("in.csv", refs("3810001,1.25,a\n3810903,1.25,b\n"));
    let ran = run(w.mprefund(&sb, &["run", "in.csv", "--state", "s.db", "--preflight"])).exits(2);
    let said = Person {
        w: &w,
        token_in_env: true,
    }
    .run_each(&ran);
    assert_eq!(said.len(), 1, "{ran:?}");
    assert!(
        said[0].contains(" plan --online ")
            && said[0].contains(&w.path("in.csv").display().to_string())
            && said[0].contains(&sb.base_url()),
        "{said:?}"
    );
    assert!(sb.refunds().is_empty());
}
