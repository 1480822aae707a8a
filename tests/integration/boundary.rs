//! One settings model and one exit boundary (issue 20): every setting is a flag
//! and a job-file key; a flag that does not apply to what the command does is
//! refused, never ignored; an error is mapped to its exit code in one place, and
//! one that is neither the user's nor an outage's never says "resumable".

use mprefund::sandbox::TEST_TOKEN;

use crate::common::{Work, bare, ordinary_csv, run, sandbox};

#[test]
fn flags_that_do_not_apply_are_refused_and_nothing_is_sent() {
    let w = Work::new();
    let sb = sandbox();
    w.write("in.csv", ordinary_csv(3, 7300));
    let ran = run(w.mprefund(&sb, &["run", "in.csv", "--state", "s.db"]));
    assert_eq!(ran.code, 0, "{ran:?}");
    let before = sb.stats().requests;
    let refused = |args: &[&str], flag: &str| {
        let ran = run(w.mprefund(&sb, args));
        assert_eq!(ran.code, 2, "{args:?}: {ran:?}");
        assert!(ran.stderr.contains(flag), "{args:?}: {ran:?}");
    };
    // --report alone reads files: the sending flags would be ignored.
    refused(
        &[
            "reconcile",
            "--state",
            "s.db",
            "--report",
            "x.csv",
            "--rate",
            "5",
        ],
        "--rate",
    );
    // Matching reports writes no metrics.
    refused(
        &[
            "reconcile",
            "--state",
            "s.db",
            "--report",
            "x.csv",
            "--metrics-file",
            "m.prom",
        ],
        "--metrics-file",
    );
    // Reading the API back has no report date to match.
    refused(
        &["reconcile", "--state", "s.db", "--date-window", "5"],
        "--date-window",
    );
    // The refund window is --preflight's.
    refused(
        &[
            "run",
            "in.csv",
            "--state",
            "s.db",
            "--refund-window-days",
            "30",
        ],
        "--refund-window-days",
    );
    // Offline, plan reads no payment.
    refused(&["plan", "in.csv", "--timeout", "5"], "--timeout");
    assert_eq!(sb.stats().requests, before, "something was sent");
    // The API base is plan's to check and show: run's command line works for plan.
    let ran = run(w.mprefund(&sb, &["plan", "in.csv", "--rate", "5"]));
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(
        ran.stdout.contains("run would send to http://127.0.0.1"),
        "{ran:?}"
    );
    // retry takes -y as run does.
    let ran = run(w.mprefund(&sb, &["retry", "--state", "s.db", "-y", "--all-failed"]));
    assert_eq!(ran.code, 0, "{ran:?}");
}

#[test]
fn the_settings_the_job_file_lacked_are_read_from_it() {
    let w = Work::new();
    let sb = sandbox();
    w.write("in.csv", ordinary_csv(3, 7400));
    // preflight reads every payment first; the token comes from token_env.
    let job = w.write(
        "nightly.toml",
        "input = \"in.csv\"\nstate = \"s.db\"\npreflight = true\nrefund_window_days = 90\n\
         token_env = \"NIGHTLY_MP_TOKEN\"\n",
    );
    let ran = run(bare()
        .env("NIGHTLY_MP_TOKEN", TEST_TOKEN)
        .args(["run", "--job", job.to_str().unwrap()])
        .args(["--api-base", &sb.base_url()]));
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(sb.refunds().len(), 3);
    assert!(
        sb.stats().requests >= 6,
        "no payment read first: {:?}",
        sb.stats()
    );
    // --token-env, the flag.
    w.write("more.csv", ordinary_csv(2, 7500));
    let ran = run(bare()
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
        .args(["--api-base", &sb.base_url()]));
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(sb.refunds().len(), 5);
    // A key no command knows is refused, naming it.
    let bad = w.write("bad.toml", "input = \"in.csv\"\npreflite = true\n");
    let ran = run(w.mprefund(&sb, &["run", "--job", bad.to_str().unwrap()]));
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(ran.stderr.contains("unknown key `preflite`"), "{ran:?}");
}
