//! Running a file the state file already holds: resumed without
//! validating it again, its results not rewritten when nothing changed, and every
//! guard still applied.

use std::time::SystemTime;

use crate::common::{ACCOUNT_STATE, Work, fresh_with, ordinary_csv, run};

fn modified(w: &Work, name: &str) -> SystemTime {
    std::fs::metadata(w.path(name))
        .and_then(|m| m.modified())
        .expect("results written")
}

#[test]
fn a_finished_batch_run_again_keeps_its_results_unless_they_changed() {
    let (sb, w) = fresh_with("in.csv", ordinary_csv(30, 8_500_001));
    w.ok(&sb, &["run", "in.csv"]);
    let results = std::fs::read(w.path("in.results.csv")).unwrap();
    let written = modified(&w, "in.results.csv");

    // Nothing changed: nothing sent, the file left as it was, the same summary.
    let again = w.ok(&sb, &["run", "in.csv"]);
    assert_eq!(sb.refunds().len(), 30);
    assert_eq!(modified(&w, "in.results.csv"), written);
    assert!(again.stderr.contains("refunded         30"), "{again:?}");

    // A results file someone edited or removed is written again, whole.
    std::fs::write(w.path("in.results.csv"), b"edited").unwrap();
    w.ok(&sb, &["run", "in.csv"]);
    assert_eq!(std::fs::read(w.path("in.results.csv")).unwrap(), results);
    std::fs::remove_file(w.path("in.results.csv")).unwrap();
    w.ok(&sb, &["run", "in.csv"]);
    assert_eq!(std::fs::read(w.path("in.results.csv")).unwrap(), results);

    // The guards hold on this path too.
    let guarded = run(w.mprefund(&sb, &["run", "in.csv", "--expect-rows", "31"])).exits(2);
    assert!(
        guarded.stderr.contains("the file has 30 data row(s)"),
        "{guarded:?}"
    );
    w.ok(&sb, &["run", "in.csv", "--expect-total", "37.50"]);
}

#[test]
fn a_batch_whose_rows_changed_gets_new_results() {
    let (sb, w) = fresh_with("in.csv", "payment_id,amount\n8600001,1\n8600002,1\n");
    sb.fail_payment(8_600_002, 503);
    run(w.mprefund(&sb, &["run", "in.csv", "--max-attempts", "1"])).exits(1);
    let before = std::fs::read_to_string(w.path("in.results.csv")).unwrap();
    assert!(before.contains(",unknown,"), "{before}");
    sb.heal_payment(8_600_002);
    w.ok(&sb, &["retry", "--state", ACCOUNT_STATE]);
    // `run` again reads the state as `retry` left it.
    w.ok(&sb, &["run", "in.csv"]);
    let after = std::fs::read_to_string(w.path("in.results.csv")).unwrap();
    assert!(!after.contains("failed"), "{after}");
}

#[test]
fn bad_lines_skipped_once_are_refused_without_skip_invalid() {
    let (sb, w) = fresh_with("in.csv", "payment_id,amount\n8700001,1\n8700002,x\n");
    run(w.mprefund(&sb, &["run", "in.csv", "--skip-invalid"])).exits(1);
    // The same bytes, without --skip-invalid: the bad line is still refused.
    let ran = run(w.mprefund(&sb, &["run", "in.csv"])).exits(2);
    assert!(ran.stderr.contains("line 3"), "{ran:?}");
}

#[test]
fn the_rows_to_send_are_said_of_those_that_can_be_sent() {
    // Every row still to send: none is invalid or settled, and none is counted.
    let (sb, w) = fresh_with("all.csv", ordinary_csv(3, 8_500_101));
    let all = w.ok(&sb, &["run", "all.csv"]);
    assert!(all.stderr.contains(": 3 of 3 rows to send"), "{all:?}");
    assert!(all.stderr.contains("progress: 3/3 rows settled"), "{all:?}");

    // An invalid row is neither to send nor sendable: counted.
    w.write(
        "some.csv",
        "payment_id,amount\n8500201,1.00\nnot-an-id,1.00\n8500202,1.00\n",
    );
    let some = run(w.mprefund(&sb, &["run", "some.csv", "--skip-invalid"])).exits(1);
    assert!(some.stderr.contains(": 2 of 2 rows to send"), "{some:?}");
    assert!(
        some.stderr.contains("progress: 2/2 rows settled"),
        "{some:?}"
    );
    assert_eq!(sb.refunds().len(), 5);
}

/// Killed with a new batch's rows stored and not yet committed (as `kill -9`
/// would, at the test point): the state file holds nothing of the batch, no
/// request left, and the next run makes it whole and refunds every row once.
#[test]
fn a_run_killed_while_its_batch_is_made_leaves_nothing_and_the_next_makes_it() {
    let (sb, w) = fresh_with("in.csv", ordinary_csv(40, 8_700_001));
    let killed = run(w
        .mprefund(&sb, &["run", "in.csv", "--state", "s.db", "--yes"])
        .env("MPREFUND_TEST_POINT", "staged:1:kill"));
    assert_eq!(killed.code, -1, "killed: {killed:?}");
    assert_eq!(sb.stats().requests, 0, "a request left: {killed:?}");
    assert!(w.path("s.db").exists(), "killed before the storing");
    assert_eq!(crate::common::batch_of(&w, "s.db", "in.csv"), None);

    w.ok(&sb, &["run", "in.csv", "--state", "s.db", "--yes"]);
    assert_eq!(sb.refunds().len(), 40);
    assert!(
        crate::common::refunds_per_key(&sb)
            .values()
            .all(|&n| n == 1)
    );
    assert!(crate::common::batch_of(&w, "s.db", "in.csv").is_some());
}
