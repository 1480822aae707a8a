//! One settings model and one exit boundary: every setting is a flag
//! and a job-file key; a flag that does not apply to what the command does is
//! refused, never ignored; an error is mapped to its exit code in one place, and
//! one that is neither the user's nor an outage's never says "resumable".

use std::path::Path;

use mprefund_sandbox::TEST_TOKEN;

use crate::common::{bare, fresh_with, ordinary_csv, run};

#[test]
fn flags_that_do_not_apply_are_refused_and_nothing_is_sent() {
    let (sb, w) = fresh_with("in.csv", ordinary_csv(3, 7300));
    w.ok(&sb, &["run", "in.csv", "--state", "s.db"]);
    let before = sb.stats().requests;
    let report = ["reconcile", "--state", "s.db", "--report", "x.csv"];
    let refused: [(Vec<&str>, &str); 5] = [
        // --report alone reads files: the sending flags would be ignored.
        ([&report[..], &["--rate", "5"]].concat(), "--rate"),
        // Matching reports writes no metrics.
        (
            [&report[..], &["--metrics-file", "m.prom"]].concat(),
            "--metrics-file",
        ),
        // Reading the API back has no report date to match.
        (
            vec!["reconcile", "--state", "s.db", "--date-window", "5"],
            "--date-window",
        ),
        // The refund window is --preflight's.
        (
            crate::common::on_state("run", "in.csv", "s.db", &["--refund-window-days", "30"]),
            "--refund-window-days",
        ),
        // Offline, plan reads no payment.
        (vec!["plan", "in.csv", "--timeout", "5"], "--timeout"),
    ];
    for (args, flag) in refused {
        let ran = run(w.mprefund(&sb, &args));
        assert_eq!(ran.code, 2, "{args:?}: {ran:?}");
        assert!(ran.stderr.contains(flag), "{args:?}: {ran:?}");
    }
    assert_eq!(sb.stats().requests, before, "something was sent");
    // The API base is plan's to check and show: run's command line works for plan.
    let ran = w.ok(&sb, &["plan", "in.csv", "--rate", "5"]);
    assert!(
        ran.stdout.contains("run would send to http://127.0.0.1"),
        "{ran:?}"
    );
    // retry takes -y as run does.
    w.ok(&sb, &["retry", "--state", "s.db", "-y", "--all-failed"]);
}

#[test]
fn the_settings_the_job_file_lacked_are_read_from_it() {
    let (sb, w) = fresh_with("in.csv", ordinary_csv(3, 7400));
    // preflight reads every payment first; the token comes from token_env.
    let job = w.write(
        "nightly.toml",
        "input = \"in.csv\"\nstate = \"s.db\"\npreflight = true\nrefund_window_days = 90\n\
         token_env = \"NIGHTLY_MP_TOKEN\"\n",
    );
    run(bare()
        .env("NIGHTLY_MP_TOKEN", TEST_TOKEN)
        .args(["run", "--job", job.to_str().unwrap()])
        .args(["--api-base", &sb.base_url()]))
    .exits(0);
    assert_eq!(sb.refunds().len(), 3);
    assert!(
        sb.stats().requests >= 6,
        "no payment read first: {:?}",
        sb.stats()
    );
    // --token-env, the flag.
    w.write("more.csv", ordinary_csv(2, 7500));
    run(bare()
        .current_dir(w.dir.path())
        .env("OTHER_MP_TOKEN", TEST_TOKEN)
        .args([
            "run",
            "more.csv",
            "--state",
            "s.db",
            "--token-env",
            "OTHER_MP_TOKEN",
        ])
        .args(["--api-base", &sb.base_url()]))
    .exits(0);
    assert_eq!(sb.refunds().len(), 5);
    // A key no command knows is refused, naming it.
    let bad = w.write("bad.toml", "input = \"in.csv\"\npreflite = true\n");
    let ran = run(w.mprefund(&sb, &["run", "--job", bad.to_str().unwrap()])).exits(2);
    assert!(ran.stderr.contains("unknown key `preflite`"), "{ran:?}");
}

/// Overwrites every page of an SQLite file but the first: the header still reads
/// as ours, the tables do not.
fn corrupt_pages(db: &Path) {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode=DELETE", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "delete");
    drop(conn);
    let mut bytes = std::fs::read(db).unwrap();
    let page = usize::from(u16::from_be_bytes([bytes[16], bytes[17]]));
    assert!(bytes.len() > page, "one page only");
    bytes[page..].fill(0x55);
    std::fs::write(db, bytes).unwrap();
}

#[test]
fn a_damaged_state_file_is_never_resumable() {
    let (sb, w) = fresh_with("in.csv", ordinary_csv(3, 7600));
    w.ok(&sb, &["run", "in.csv", "--state", "s.db"]);
    corrupt_pages(&w.path("s.db"));
    // `status` only reads: running it again cannot help, so never exit 3.
    let ran = run(w.bare().args(["status", "--state", "s.db"])).exits(5);
    assert!(ran.stderr.contains("damaged"), "{ran:?}");
    run(w.bare().args(["report", "--state", "s.db"])).exits(5);
}

/// An error the tool has no name for (here: the results' folder is missing once
/// the rows are sent) is internal, exit 8: running again unchanged meets it
/// again, so it must not say "stopped early, resumable"; monitoring hears it.
#[test]
fn an_error_nobody_named_is_internal_not_resumable() {
    let (sb, w) = fresh_with("in.csv", ordinary_csv(2, 7700));
    let ran = w
        .run_on(
            &sb,
            "in.csv",
            &["--out", "gone/in.results.csv", "--metrics-file", "m.prom"],
        )
        .exits(8);
    assert!(ran.stderr.contains("\ninternal error: "), "{ran:?}");
    assert!(ran.stderr.contains("gone"), "{ran:?}");
    let metrics = std::fs::read_to_string(w.path("m.prom")).unwrap();
    assert!(metrics.contains("mprefund_run_exit_code 8"), "{metrics}");
}
