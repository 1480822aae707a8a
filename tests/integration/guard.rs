//! The per-payment guard on every path money can take: a row killed in
//! flight, a batch made but never sent and resumed later, two processes on one
//! state file at once, a failed row retried after another batch refunded its
//! payment, and a results file fed back in. Also what a refused run must leave
//! alone: the namespace, a foreign SQLite file.

use std::collections::HashMap;
use std::time::Duration;

use mprefund_sandbox::{Faults, SandboxHandle};

use crate::common::{
    Work, batch_of, fresh_with, on_terminal, ran_first, read_csv, refs, run, sandbox, wait_until,
};

/// Refunds per payment in the sandbox.
fn refunds_per_payment(sb: &SandboxHandle) -> HashMap<u64, usize> {
    let mut m = HashMap::new();
    for r in sb.refunds() {
        *m.entry(r.payment_id).or_default() += 1;
    }
    m
}

/// A process killed while its row was in flight leaves the row
/// `sending` with no attempt stored; that row still holds its payment, and
/// `reconcile` recognises the refund it made as its own.
#[test]
fn a_row_killed_in_flight_holds_its_payment() {
    let sb = sandbox();
    sb.set_faults(Faults {
        cut_after_commit: 1.0,
        ..Faults::default()
    });
    let w = Work::new();
    w.write("a.csv", "payment_id,amount,reference\n4000002,25.00,CB-2\n");
    w.write("b.csv", "payment_id,amount,reference\n4000002,20.00,CB-2\n");
    let mut child = w.spawn(
        w.mprefund(
            &sb,
            &["run", "a.csv", "--state", "s.db", "--max-attempts", "30"],
        ),
        "a",
    );
    // Every answer is cut after the commit: the refund exists, the row never
    // gets an answer, and the process is killed mid-retry.
    wait_until(
        "the refund to be committed",
        Duration::from_secs(60),
        || !sb.refunds().is_empty(),
    );
    child.kill().expect("kill -9");
    child.wait().expect("reap");
    assert_eq!(sb.refunds().len(), 1, "{}", w.log("a"));
    sb.set_faults(Faults::default());

    let ran = run(w.mprefund(&sb, &["run", "b.csv", "--state", "s.db"]));
    // `run` reads the payment back first: the killed row's refund is found and
    // given to it, and the corrected row is held by a refund made.
    assert_eq!(ran.code, 1, "{ran:?}");
    let held = read_csv(&w.path("b.results.csv"));
    assert_eq!(held[0]["cause_code"], "payment_has_refunds", "{held:?}");
    assert!(
        held[0]["cause_message"].contains("payment 4000002 already has refunds")
            && held[0]["cause_message"].contains("25 refunded"),
        "{held:?}"
    );
    assert_eq!(sb.refunds().len(), 1, "nothing more was refunded");

    let a = batch_of(&w, "s.db", "a.csv").expect("batch a");
    let rec = run(w.mprefund(&sb, &["reconcile", "--state", "s.db", "--batch", &a]));
    let lines = read_csv(&w.path("a.reconcile.csv"));
    assert_eq!(lines.len(), 1, "{rec:?}\n{lines:?}");
    assert_eq!(lines[0]["finding"], "matched", "{lines:?}");
    assert_eq!(lines[0]["refund_id"], sb.refunds()[0].id.to_string());

    // The killed row finishes with its own key: the API replays, no new refund.
    w.ok(&sb, &["run", "a.csv", "--state", "s.db"]);
    assert_eq!(sb.refunds().len(), 1);
}

/// A batch made but never sent (a "no" at the question) holds its
/// payments against another spreadsheet, and a batch resumed through the fast
/// path meets the guard too.
#[test]
fn a_batch_never_sent_holds_its_payments_and_is_guarded_when_resumed() {
    let (sb, w) = fresh_with("a3.csv", refs("4100001,25.00,CB\n"));
    w.write("b3.csv", "payment_id,amount,reference\n4100001,20.00,CB\n");
    let (code, shown) = on_terminal(
        w.mprefund(&sb, &["run", "a3.csv", "--state", "s.db"]),
        "n\n",
    );
    assert_eq!(code, 2, "{shown}");
    assert!(sb.refunds().is_empty());

    let ran = run(w.mprefund(&sb, &["run", "b3.csv", "--state", "s.db"])).exits(2);
    assert!(ran.stderr.contains("waiting to be sent"), "{ran:?}");
    assert!(sb.refunds().is_empty(), "nothing was sent");

    // A person decides the correction goes out after all...
    w.ok(
        &sb,
        &["run", "b3.csv", "--state", "s.db", "--allow-more-refunds"],
    );
    assert_eq!(sb.refunds().len(), 1);
    // ...then the first file is run again: same bytes, the fast path, guarded.
    let ran = run(w.mprefund(&sb, &["run", "a3.csv", "--state", "s.db"])).exits(2);
    assert!(
        ran.stderr.contains("payment 4100001 already has refunds")
            && ran.stderr.contains("20 refunded"),
        "{ran:?}"
    );
    assert_eq!(sb.refunds().len(), 1, "no second refund");
    // With --skip-invalid the row is marked, not sent.
    run(w.mprefund(&sb, &["run", "a3.csv", "--state", "s.db", "--skip-invalid"])).exits(1);
    let rows = read_csv(&w.path("a3.results.csv"));
    assert_eq!(rows[0]["outcome"], "invalid", "{rows:?}");
    assert_eq!(rows[0]["cause_code"], "payment_has_refunds");
    assert_eq!(sb.refunds().len(), 1);
}

/// Two spreadsheets on one state file at the same moment. The
/// sandbox holds every refund request, so the first process is still in flight
/// while the second decides: exactly one of them sends.
#[test]
fn two_processes_on_one_state_file_refund_each_payment_once() {
    let sb = sandbox();
    sb.hold();
    let w = Work::new();
    let mut a = String::from("payment_id,amount,reference\n");
    let mut b = a.clone();
    for i in 0..200 {
        a.push_str(&format!("{},25.00,CB-{i}\n", 4_200_000 + i));
        b.push_str(&format!("{},20.00,CB-{i}\n", 4_200_000 + i));
    }
    w.write("a4.csv", a);
    w.write("b4.csv", b);
    let mut ca = w.spawn(
        w.mprefund(&sb, &["run", "a4.csv", "--state", "s4.db"]),
        "a4",
    );
    let mut cb = w.spawn(
        w.mprefund(&sb, &["run", "b4.csv", "--state", "s4.db"]),
        "b4",
    );
    // Nothing can finish while requests are held: the first to end is the
    // other run, held or refused on the first one's payments.
    wait_until(
        "one run to be held or refused",
        Duration::from_secs(120),
        || ca.try_wait().unwrap().is_some() || cb.try_wait().unwrap().is_some(),
    );
    sb.release();
    let codes = [
        ca.wait().unwrap().code().unwrap_or(-1),
        cb.wait().unwrap().code().unwrap_or(-1),
    ];
    let mut sorted = codes;
    sorted.sort();
    // The other run either met the first one's rows claimed (in doubt: held,
    // exit 1) or still queued (two spreadsheets on one payment: refused,
    // exit 2), depending on how far the first had claimed; never both sent.
    assert!(
        sorted[0] == 0 && [1, 2].contains(&sorted[1]),
        "{codes:?}\n{}\n{}",
        w.log("a4"),
        w.log("b4")
    );
    let per = refunds_per_payment(&sb);
    assert_eq!(per.len(), 200);
    assert!(per.values().all(|&n| n == 1), "{per:?}");
}

/// At claim time: a failed row put back by `retry` after another batch refunded
/// its payment is held back (failed, for a person), not sent.
#[test]
fn a_failed_row_retried_after_another_batch_refunded_is_held_back() {
    let (sb, w) = fresh_with("a.csv", refs("4300001,25.00,CB\n"));
    w.write("b.csv", "payment_id,amount,reference\n4300001,20.00,CB\n");
    sb.fail_payment(4_300_001, 400);
    w.run_on(&sb, "a.csv", &["--summary-json", "a.json"])
        .exits(1);
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(w.path("a.json")).unwrap()).unwrap();
    let batch = summary["batch"].as_str().unwrap().to_owned();
    sb.heal_payment(4_300_001);
    // A's row failed for good, so B may go.
    w.ok(&sb, &["run", "b.csv", "--state", "s.db"]);
    assert_eq!(sb.refunds().len(), 1);

    run(w.mprefund(
        &sb,
        &[
            "retry",
            "--state",
            "s.db",
            "--batch",
            &batch,
            "--all-failed",
            "--yes",
        ],
    ))
    .exits(1);
    assert_eq!(sb.refunds().len(), 1, "the retried row was not sent");
    let rows = read_csv(&w.path("a.results.csv"));
    assert_eq!(rows[0]["outcome"], "failed", "{rows:?}");
    assert_eq!(rows[0]["cause_code"], "payment_has_refunds");
    assert!(rows[0]["cause_message"].contains("20 refunded"), "{rows:?}");
}

/// A results file fed back in as input derives the keys of the rows
/// it reports, formula-looking references included.
#[test]
fn a_results_file_fed_back_in_refunds_nothing_again() {
    let (sb, w) = ran_first(
        "f.csv",
        refs("4400001,10.00,=1+2\n4400002,11.00,-2+3\n4400003,12.00,@x\n"),
    );
    assert_eq!(sb.refunds().len(), 3);
    let results = std::fs::read_to_string(w.path("f.results.csv")).unwrap();
    assert!(
        results.contains("'=1+2") && results.contains("'-2+3"),
        "{results}"
    );

    w.ok(
        &sb,
        &crate::common::on_state("run", "f.results.csv", "fresh.db", &["--out", "again.csv"]),
    );
    assert_eq!(
        sb.refunds().len(),
        3,
        "the same keys: replayed, not refunded"
    );
}

/// A run the guard refuses changes nothing: not even the namespace it asked
/// to change to.
#[test]
fn a_refused_namespace_change_is_not_recorded() {
    let (sb, w) = fresh_with("a.csv", refs("4500001,25.00,CB\n"));
    w.write("b.csv", "payment_id,amount,reference\n4500001,20.00,CB\n");
    w.write("c.csv", "payment_id,amount,reference\n4500002,5.00,CB\n");
    let ns = |file: &'static str, ns: &'static str, change: bool| {
        let mut args = vec!["run", file, "--state", "s.db", "--namespace", ns];
        if change {
            args.push("--namespace-change");
        }
        run(w.mprefund(&sb, &args))
    };
    assert_eq!(ns("a.csv", "one", false).code, 0);
    let refused = ns("b.csv", "other", true);
    assert_eq!(refused.code, 2, "{refused:?}");
    assert!(
        refused.stderr.contains("already has refunds"),
        "{refused:?}"
    );
    let ran = ns("c.csv", "one", false);
    assert_eq!(ran.code, 0, "still namespace one: {ran:?}");
    assert_eq!(sb.refunds().len(), 2);
}

/// A SQLite file with tables named like ours but not ours (user_version 1) is
/// refused before a byte of it changes — not even switched to WAL.
#[test]
fn a_foreign_file_with_our_table_names_is_left_untouched() {
    let (sb, w) = fresh_with("in.csv", "payment_id,amount\n4600001,1.00\n");
    let p = w.path("foreign.db");
    let c = rusqlite::Connection::open(&p).unwrap();
    c.execute_batch(
        "CREATE TABLE batches (name TEXT); CREATE TABLE rows (n INTEGER);
         INSERT INTO rows VALUES (1); PRAGMA user_version = 1;",
    )
    .unwrap();
    drop(c);
    let before = std::fs::read(&p).unwrap();
    let ran = run(w.mprefund(&sb, &["run", "in.csv", "--state", "foreign.db"])).exits(2);
    assert!(ran.stderr.contains("cannot be used"), "{ran:?}");
    assert_eq!(std::fs::read(&p).unwrap(), before, "the file changed");
    assert!(!w.path("foreign.db-wal").exists());
    assert!(sb.refunds().is_empty());
}

/// The default state is the account's, whatever the spreadsheet is
/// called — a corrected file saved under a new name meets the guard of the
/// first — and a namespace with no state yet, beside another's, must be asked
/// for by name.
#[test]
fn a_corrected_file_under_a_new_name_meets_the_accounts_state() {
    let (sb, w) = fresh_with(
        "chargebacks_v2.csv",
        refs("4700001,25.00,CB-1\n4700002,10.00,CB-2\n"),
    );
    w.write(
        "chargebacks_v3.csv",
        "payment_id,amount,reference\n4700001,20.00,CB-1\n4700002,10.00,CB-2\n",
    );
    w.ok(&sb, &["run", "chargebacks_v2.csv", "--namespace", "acme"]);
    assert!(w.path("xdg/mprefund/acme.db").is_file());
    let ran = run(w.mprefund(&sb, &["run", "chargebacks_v3.csv", "--namespace", "acme"])).exits(2);
    assert!(
        ran.stderr
            .contains("line 2: payment 4700001 already has refunds"),
        "{ran:?}"
    );
    assert!(!ran.stderr.contains("4700002 already"), "same key: {ran:?}");
    assert_eq!(sb.refunds().len(), 2, "0 new refunds");

    // The namespace forgotten: refused, the account's namespace named.
    let ran = run(w.mprefund(&sb, &["run", "chargebacks_v3.csv"])).exits(2);
    assert!(
        ran.stderr.contains("acme") && ran.stderr.contains("--namespace-change"),
        "{ran:?}"
    );
    assert_eq!(sb.refunds().len(), 2);

    // A state file an older version kept beside the input is still used.
    w.write("old.csv", "payment_id,amount\n4700003,5.00\n");
    assert_eq!(
        run(w.mprefund(
            &sb,
            &[
                "run",
                "old.csv",
                "--state",
                "old.mprefund.db",
                "--namespace",
                "acme"
            ]
        ))
        .code,
        0
    );
    let ran = w.ok(&sb, &["run", "old.csv", "--namespace", "acme"]);
    assert!(ran.stderr.contains("old.mprefund.db"), "said so: {ran:?}");
    assert_eq!(sb.refunds().len(), 3);
}

/// What is new is told from what was already done — rows whose key
/// another batch of the state file settled, and refunds the API replayed —
/// in the summary, its JSON, the metrics and a results column.
#[test]
fn new_refunds_are_told_from_rows_already_done() {
    let (sb, w) = fresh_with("v2.csv", refs("4900001,25.00,CB-1\n4900002,10.00,CB-2\n"));
    w.write(
        "v3.csv",
        "payment_id,amount,reference\n4900001,20.00,CB-1\n4900002,10.00,CB-2\n4900003,7.50,CB-3\n",
    );
    w.ok(&sb, &["run", "v2.csv"]);
    let ran = run(w.mprefund(
        &sb,
        &[
            "run",
            "v3.csv",
            "--skip-invalid",
            "--summary-json",
            "v3.json",
            "--metrics-file",
            "v3.prom",
        ],
    ));
    assert_eq!(ran.code, 1, "the corrected row is invalid: {ran:?}");
    assert!(
        ran.stderr.contains("already done 1 (10.00), new 1 (7.50)"),
        "{ran:?}"
    );
    assert_eq!(sb.refunds().len(), 3);
    let rows = read_csv(&w.path("v3.results.csv"));
    let origins: Vec<&str> = rows.iter().map(|r| r["refund_origin"].as_str()).collect();
    assert_eq!(origins, ["", "already_done", "new"]);
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(w.path("v3.json")).unwrap()).unwrap();
    assert_eq!(json["already_done"]["rows"], 1, "{json}");
    assert_eq!(json["new"]["rows"], 1, "{json}");
    let prom = std::fs::read_to_string(w.path("v3.prom")).unwrap();
    assert!(prom.contains("origin=\"already_done\"} 1\n"), "{prom}");
    assert!(prom.contains("origin=\"new\"} 1\n"), "{prom}");
}

/// A refund the API answers with, made long before the row asked, was replayed:
/// already done, not new.
#[test]
fn a_replayed_refund_is_already_done() {
    let stub = crate::common::Stub::start(|_, _| {
        crate::common::json(
            201,
            r#"{"id": 77001, "payment_id": 4910001, "amount": 10.00, "status": "approved",
                "date_created": "2020-01-02T10:00:00.000-04:00"}"#,
        )
    });
    let w = Work::new();
    w.write("in.csv", "payment_id,amount\n4910001,10.00\n");
    let mut cmd = w.bare();
    cmd.env("MP_ACCESS_TOKEN", mprefund_sandbox::TEST_TOKEN)
        .args(["run", "in.csv", "--api-base", &stub.base()]);
    let ran = run(cmd).exits(0);
    let rows = read_csv(&w.path("in.results.csv"));
    assert_eq!(rows[0]["refund_origin"], "already_done", "{rows:?}");
    assert!(
        ran.stderr.contains("already done 1 (10.00), new 0"),
        "{ran:?}"
    );
}

/// `plan --online` knows a row's own earlier refund (its key, per the
/// state file) as `already_done`, and flags only the real problems.
#[test]
fn plan_online_knows_a_rows_own_refund() {
    let (sb, w) = fresh_with(
        "v2.csv",
        refs("4920001,25.00,CB-1\n4920002,10.00,CB-2\n4920004,5.00,P-1\n"),
    );
    w.write(
        "v3.csv",
        "payment_id,amount,reference\n4920001,20.00,CB-1\n4920002,10.00,CB-2\n4920003,7.50,CB-3\n\
         4920004,5.00,P-1\n4920004,6.00,P-2\n",
    );
    w.ok(&sb, &["run", "v2.csv"]);
    let ran = run(w.mprefund(&sb, &["plan", "--online", "v3.csv"]));
    let rows = read_csv(&w.path("v3.plan.csv"));
    let predictions: Vec<&str> = rows.iter().map(|r| r["prediction"].as_str()).collect();
    assert_eq!(
        predictions,
        [
            "has_prior_refunds",
            "already_done",
            "ok",
            "already_done",
            "ok"
        ],
        "{ran:?}"
    );
}
