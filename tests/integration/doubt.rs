//! What Mercado Pago may have done is never forgotten: a row whose request may
//! have reached it stays in doubt (`unknown`) until an answer carrying the
//! refund or a read-back settles it — a later 500, 423 or refusal does not — and
//! no other row is sent on its payment meanwhile. The bad nights a hostile
//! tester found, each through the binary.

use std::collections::HashMap;
use std::time::Duration;

use mprefund_sandbox::{Faults, SandboxHandle};

use crate::common::{Work, batch_of, fresh, fresh_with, read_csv, refs, run, wait_until};

fn refunds_per_payment(sb: &SandboxHandle) -> HashMap<u64, usize> {
    let mut m = HashMap::new();
    for r in sb.refunds() {
        *m.entry(r.payment_id).or_default() += 1;
    }
    m
}

fn outcomes(w: &Work, results: &str) -> Vec<String> {
    read_csv(&w.path(results))
        .into_iter()
        .map(|r| r["outcome"].clone())
        .collect()
}

/// Mercado Pago commits each refund and the answer is lost; from then on every
/// POST gets 500 (an outage). The rows end in doubt, not `failed`; the
/// corrected spreadsheet refunds nothing again, from `plan` to `run`; once the
/// payments are read back (old enough), the rows are refunded and the
/// corrected rows stay held by the refunds found.
#[test]
fn an_outage_right_after_the_commit_leaves_the_rows_in_doubt_and_the_corrected_file_held() {
    let (sb, w) = fresh();
    let ids = [5_000_101u64, 5_000_102, 5_000_103];
    let file = |amount: &str| {
        let mut s = String::from("payment_id,amount,reference\n");
        for id in ids {
            s.push_str(&format!("{id},{amount},CB-{id}\n"));
        }
        s
    };
    w.write("night.csv", file("25.00"));
    w.write("fixed.csv", file("20.00"));
    // Each refund committed, its answer cut.
    sb.set_faults(Faults {
        cut_after_commit: 1.0,
        ..Faults::default()
    });
    let ran = run(w.mprefund(
        &sb,
        &["run", "night.csv", "--state", "s.db", "--max-attempts", "1"],
    ));
    assert_eq!(sb.refunds().len(), 3, "{ran:?}");
    // Then the outage: every later attempt of those rows meets a 500.
    sb.set_faults(Faults::default());
    for id in ids {
        sb.fail_payment(id, 500);
    }
    let ran = on_night(&w, "retry", &["--max-attempts", "2"]).exits(1);
    assert_eq!(outcomes(&w, "night.results.csv"), ["unknown"; 3], "{ran:?}");
    assert!(
        ran.stderr.contains("unknown") && ran.stderr.contains("may have been refunded"),
        "the summary says the money may have moved: {ran:?}"
    );
    let status = on_night(&w, "status", &[]);
    assert!(status.stdout.contains("unknown"), "{status:?}");

    // The analyst corrects the amounts: plan counts the payments as refunded.
    for id in ids {
        sb.heal_payment(id);
    }
    let plan = run(w.mprefund(&sb, &["plan", "fixed.csv", "--state", "s.db"]));
    assert_ne!(plan.code, 0, "{plan:?}");
    assert!(plan.stdout.contains("may have been refunded"), "{plan:?}");
    // Run reads the payments back before sending: the refunds are found and
    // given to the night's rows, and the corrected rows are held by them.
    let ran = run(w.mprefund(&sb, &["run", "fixed.csv", "--state", "s.db", "--yes"])).exits(1);
    assert_eq!(sb.refunds().len(), 3, "nothing refunded twice: {ran:?}");
    let fixed = read_csv(&w.path("fixed.results.csv"));
    assert!(
        fixed
            .iter()
            .all(|r| r["outcome"] == "failed" && r["cause_code"] == "payment_has_refunds"),
        "{fixed:?}"
    );
    // The same with --skip-invalid (which the tool suggests).
    let ran = w.run_on(&sb, "fixed.csv", &["--yes", "--skip-invalid"]);
    assert_eq!(sb.refunds().len(), 3, "{ran:?}");

    // The night's rows are refunded now, and the books agree.
    let night = batch(&w, "night.results.csv");
    let report = on_night(&w, "report", &["--batch", &night]);
    assert_eq!(
        outcomes(&w, "night.results.csv"),
        ["refunded"; 3],
        "{report:?}"
    );
    on_night(&w, "reconcile", &["--batch", &night]).exits(0);
    let lines = read_csv(&w.path("night.reconcile.csv"));
    assert!(lines.iter().all(|l| l["finding"] == "matched"), "{lines:?}");
    // The corrected rows, retried, still meet the refunds: held for a person.
    let ran = on_night(
        &w,
        "retry",
        &[
            "--batch",
            &batch(&w, "fixed.results.csv"),
            "--all-failed",
            "--yes",
        ],
    );
    assert_eq!(sb.refunds().len(), 3, "{ran:?}");
    assert!(refunds_per_payment(&sb).values().all(|&n| n == 1));
}

/// A command that reads where the batch was sent (no `--api-base`).
/// The results row whose refund had idempotency key `key`.
fn keyed<'a>(
    rows: &'a [std::collections::HashMap<String, String>],
    key: &str,
) -> &'a std::collections::HashMap<String, String> {
    rows.iter()
        .find(|row| row["idempotency_key"] == key)
        .expect("the refund's row")
}

/// `mprefund CMD --state s.db MORE…` with the token (no API base: the
/// state file's), run.
fn on_night(w: &Work, cmd: &str, more: &[&str]) -> crate::common::Ran {
    let mut args = vec![cmd, "--state", "s.db"];
    args.extend_from_slice(more);
    run(token(w, &args))
}

fn token(w: &Work, args: &[&str]) -> std::process::Command {
    let mut c = w.bare();
    c.env("MP_ACCESS_TOKEN", mprefund_sandbox::TEST_TOKEN)
        .args(args);
    c
}

fn batch(w: &Work, results: &str) -> String {
    batch_of(w, "s.db", &results.replace(".results.csv", ".csv")).expect("the batch")
}

/// Random cuts and 500s with few attempts, then the corrected file with
/// `--skip-invalid`: no payment is refunded twice.
#[test]
fn cuts_and_500s_then_a_corrected_file_refund_no_payment_twice() {
    let (sb, w) = fresh();
    let mut night = String::from("payment_id,amount,reference\n");
    let mut fixed = String::from("payment_id,amount,reference\n");
    for i in 0..40u64 {
        let id = 5_100_000 + i;
        night.push_str(&format!("{id},25.00,CB-{i}\n"));
        fixed.push_str(&format!("{id},20.00,CB-{i}\n"));
    }
    w.write("night.csv", night);
    w.write("fixed.csv", fixed);
    sb.set_faults(Faults {
        cut_after_commit: 0.5,
        error_500: 0.5,
        seed: Some(26),
        ..Faults::default()
    });
    w.run_on(&sb, "night.csv", &["--max-attempts", "2", "--yes"]);
    let after_night = sb.refunds().len();
    sb.set_faults(Faults::default());
    let ran = w.run_on(&sb, "fixed.csv", &["--yes", "--skip-invalid"]);
    let twice: Vec<_> = refunds_per_payment(&sb)
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .collect();
    assert!(twice.is_empty(), "refunded twice: {twice:?}\n{ran:?}");
    // Every refund the night made is a row the results call refunded or unknown.
    let night_rows = read_csv(&w.path("night.results.csv"));
    for r in sb
        .refunds()
        .iter()
        .filter(|r| r.amount.to_string() == "25.00")
    {
        let row = keyed(&night_rows, &r.idempotency_key);
        assert!(
            ["refunded", "unknown"].contains(&row["outcome"].as_str()),
            "{row:?}"
        );
    }
    assert!(after_night > 0);
}

/// A slow API: the first attempt times out while Mercado Pago is still at it,
/// the second meets 423 (the key busy). The row is in doubt, not failed; the
/// corrected file sends nothing on its payment.
#[test]
fn a_timeout_then_423_leaves_the_row_in_doubt() {
    let (sb, w) = fresh_with("night.csv", refs("5200001,25.00,CB-1\n"));
    w.write(
        "fixed.csv",
        "payment_id,amount,reference\n5200001,20.00,CB-1\n",
    );
    sb.set_faults(Faults {
        latency: Duration::from_millis(2500),
        ..Faults::default()
    });
    let ran = w.run_on(
        &sb,
        "night.csv",
        &["--timeout", "1", "--max-attempts", "2", "--yes"],
    );
    let rows = read_csv(&w.path("night.results.csv"));
    assert_eq!(rows[0]["outcome"], "unknown", "{ran:?}\n{rows:?}");
    // Mercado Pago finishes what it received.
    wait_until("the slow refund to commit", Duration::from_secs(30), || {
        sb.refunds().len() == 1
    });
    sb.set_faults(Faults::default());
    let ran = run(w.mprefund(&sb, &["run", "fixed.csv", "--state", "s.db", "--yes"])).exits(1);
    assert_eq!(sb.refunds().len(), 1, "nothing refunded twice: {ran:?}");
}

/// `run` reads back by itself the payments that rows of earlier batches may
/// have refunded, once their last attempt is old enough: a payment found
/// without a refund frees the corrected row, which is sent.
#[test]
fn run_reads_back_old_enough_doubt_and_sends_what_it_frees() {
    let (sb, w) = fresh_with(
        "night.csv",
        refs("5300001,25.00,CB-1\n5300002,25.00,CB-2\n"),
    );
    w.write(
        "fixed.csv",
        "payment_id,amount,reference\n5300001,20.00,CB-1\n5300002,20.00,CB-2\n",
    );
    // 5300001: committed, answer lost. 5300002: a 500 before anything (but the
    // tool cannot know that: in doubt too).
    sb.set_faults(Faults {
        cut_after_commit: 1.0,
        ..Faults::default()
    });
    sb.fail_payment(5_300_002, 500);
    w.run_on(&sb, "night.csv", &["--max-attempts", "1", "--yes"]);
    assert_eq!(outcomes(&w, "night.results.csv"), ["unknown", "unknown"]);
    sb.set_faults(Faults::default());
    sb.heal_payment(5_300_002);
    // Too soon to say 5300002 refunded nothing: its corrected row is held.
    let ran = run(w.mprefund(&sb, &["run", "fixed.csv", "--state", "s.db", "--yes"]));
    let fixed = read_csv(&w.path("fixed.results.csv"));
    assert_eq!(
        fixed[1]["cause_code"], "payment_in_doubt",
        "{ran:?}\n{fixed:?}"
    );
    assert_eq!(fixed[1]["retryable"], "true", "{fixed:?}");
    assert_eq!(sb.refunds().len(), 1);
    // Old enough: read back, found with no refund, the held row goes.
    let ran = on_night(
        &w,
        "retry",
        &[
            "--batch",
            &batch(&w, "fixed.results.csv"),
            "--yes",
            "--settle-after",
            "0",
        ],
    );
    // 5300001's refund was found: its corrected row is held (for a person);
    // 5300002 had none: its corrected row was sent.
    let fixed = read_csv(&w.path("fixed.results.csv"));
    assert_eq!(fixed[0]["outcome"], "failed", "{ran:?}\n{fixed:?}");
    assert_eq!(fixed[0]["cause_code"], "payment_has_refunds", "{fixed:?}");
    assert_eq!(fixed[1]["outcome"], "refunded", "{ran:?}\n{fixed:?}");
    assert_eq!(
        refunds_per_payment(&sb),
        HashMap::from([(5_300_001, 1), (5_300_002, 1)])
    );
    let night = read_csv(&w.path("night.results.csv"));
    let _ = night;
    let status = on_night(&w, "status", &["--batch", &batch(&w, "night.results.csv")]);
    assert!(status.stdout.contains("refunded"), "{status:?}");
}

/// Rows whose refunds a killed run made are never "not sent yet": killed
/// (`kill -9`, at a chosen answer) under cut answers, every refund the sandbox
/// made belongs to a row the results call refunded or in doubt.
#[test]
fn a_run_killed_under_cuts_reports_no_refunded_row_as_pending() {
    let (sb, w) = fresh_with("in.csv", crate::common::ordinary_csv(200, 5_400_001));
    sb.set_faults(Faults {
        cut_after_commit: 0.5,
        seed: Some(7),
        ..Faults::default()
    });
    let ran = run(w
        .mprefund(
            &sb,
            &crate::common::on_state(
                "run",
                "in.csv",
                "s.db",
                &["--rate", "1000", "--concurrency", "8", "--yes"],
            ),
        )
        .env("MPREFUND_TEST_POINT", "answered:120:kill"));
    assert_eq!(ran.code, -1, "killed: {ran:?}");
    let made = sb.refunds();
    assert!(!made.is_empty());
    on_night(&w, "report", &[]).exits(0);
    let rows = read_csv(&w.path("in.results.csv"));
    for r in &made {
        let row = keyed(&rows, &r.idempotency_key);
        assert!(
            ["refunded", "unknown"].contains(&row["outcome"].as_str()),
            "a refund made, reported {row:?}"
        );
    }
    assert!(
        rows.iter()
            .all(|r| r["outcome"] != "pending" || r["attempts"] == "0"),
        "a pending row was never sent"
    );
    // And the next run finishes it, nothing twice.
    sb.set_faults(Faults::default());
    w.ok(
        &sb,
        &[
            "run", "in.csv", "--state", "s.db", "--rate", "1000", "--yes",
        ],
    );
    assert_eq!(sb.refunds().len(), 200);
    assert!(
        crate::common::refunds_per_key(&sb)
            .values()
            .all(|&n| n == 1)
    );
}

/// SIGTERM with a short grace while requests are in flight at a slow API:
/// the requests given up may still be made by Mercado Pago — their rows are
/// in doubt, never "not sent yet".
#[test]
fn requests_given_up_after_the_grace_leave_their_rows_in_doubt() {
    let (sb, w) = fresh_with("in.csv", crate::common::ordinary_csv(20, 5_500_001));
    sb.set_faults(Faults {
        latency: Duration::from_millis(2500),
        ..Faults::default()
    });
    let mut child = w.spawn(
        w.mprefund(
            &sb,
            &crate::common::on_state(
                "run",
                "in.csv",
                "s.db",
                &[
                    "--rate",
                    "1000",
                    "--concurrency",
                    "20",
                    "--grace",
                    "1",
                    "--yes",
                ],
            ),
        ),
        "child",
    );
    wait_until("requests in flight", Duration::from_secs(60), || {
        sb.stats().in_flight >= 10
    });
    // SAFETY: plain FFI call on our own child's pid.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGTERM) }, 0);
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(3), "{}", w.log("child"));
    // Mercado Pago finishes what it received.
    wait_until(
        "the requests given up to be made",
        Duration::from_secs(30),
        || sb.stats().in_flight == 0,
    );
    let rows = read_csv(&w.path("in.results.csv"));
    for r in sb.refunds() {
        let row = keyed(&rows, &r.idempotency_key);
        assert_eq!(row["outcome"], "unknown", "{row:?}\n{}", w.log("child"));
    }
}

/// `file` run once a row, every refund committed and its answer cut.
fn cut_after_commit(w: &Work, sb: &SandboxHandle, file: &str) -> crate::common::Ran {
    sb.set_faults(Faults {
        cut_after_commit: 1.0,
        ..Faults::default()
    });
    w.run_on(sb, file, &["--max-attempts", "1", "--yes"])
}

/// `reconcile` of `batch`, its rows in doubt read back at once.
fn reconcile_at_once(w: &Work, batch: &str) -> crate::common::Ran {
    on_night(w, "reconcile", &["--batch", batch, "--settle-after", "0"])
}

/// A row's outcome as `report` reads it from the state file now.
fn reported(w: &Work, batch: &str) -> Vec<String> {
    let out = format!("{batch}.check.csv");
    run(w
        .bare()
        .args(["report", "--state", "s.db", "--batch", batch, "--out", &out]))
    .exits(0);
    outcomes(w, &out)
}

/// A key is one request whichever spreadsheet holds it: a row read back as
/// not refunded (failed, for `retry`) is in doubt again the moment another
/// batch sends its key, and both rows take the refund the key made.
#[test]
fn a_failed_row_is_in_doubt_again_when_another_batch_sends_its_key() {
    let (sb, w) = fresh();
    let line = "payment_id,amount,reference\n5300001,25.00,CB-1\n";
    w.write("night.csv", line);
    // The row again, under another of the day's rows.
    w.write("fixed.csv", format!("{line}5300009,10.00,CB-9\n"));
    // An outage: the 500 leaves the row in doubt; the read-back finds no refund.
    sb.fail_payment(5_300_001, 500);
    let ran = run(w.mprefund(
        &sb,
        &["run", "night.csv", "--state", "s.db", "--max-attempts", "1"],
    ));
    assert_eq!(outcomes(&w, "night.results.csv"), ["unknown"], "{ran:?}");
    sb.heal_payment(5_300_001);
    let night = batch(&w, "night.results.csv");
    let ran = reconcile_at_once(&w, &night);
    assert_eq!(reported(&w, &night), ["failed"], "{ran:?}");

    // The same row, in another file, is sent; its answer is cut after the commit.
    let ran = cut_after_commit(&w, &sb, "fixed.csv");
    assert_eq!(refunds_per_payment(&sb)[&5_300_001], 1, "{ran:?}");
    let fixed = batch(&w, "fixed.results.csv");
    assert_eq!(reported(&w, &fixed)[0], "unknown", "{ran:?}");
    assert_eq!(
        reported(&w, &night),
        ["unknown"],
        "the night's row is that request too: it may have been refunded"
    );

    sb.set_faults(Faults::default());
    let ran = reconcile_at_once(&w, &night);
    assert_eq!(reported(&w, &night), ["refunded"], "{ran:?}");
    assert_eq!(reported(&w, &fixed)[0], "refunded", "{ran:?}");
    assert_eq!(
        refunds_per_payment(&sb)[&5_300_001],
        1,
        "one request, one refund"
    );
}

/// `reconcile` of one batch reads the rows of other batches in doubt on its
/// payments with it: the refund such a row made is theirs, never "outside"
/// the state file, and settles it.
#[test]
fn reconcile_counts_another_batchs_row_in_doubt_not_an_outside_refund() {
    let (sb, w) = fresh();
    // Refused for certain: more than the payment holds; nothing moved.
    w.write(
        "night.csv",
        "payment_id,amount,reference\n5300002,99999.00,CB-1\n",
    );
    w.write(
        "fixed.csv",
        "payment_id,amount,reference\n5300002,25.00,CB-1\n",
    );
    let ran = run(w.mprefund(&sb, &["run", "night.csv", "--state", "s.db"]));
    assert_eq!(outcomes(&w, "night.results.csv"), ["failed"], "{ran:?}");
    let ran = cut_after_commit(&w, &sb, "fixed.csv");
    assert_eq!(sb.refunds().len(), 1, "{ran:?}");
    assert_eq!(outcomes(&w, "fixed.results.csv"), ["unknown"], "{ran:?}");
    sb.set_faults(Faults::default());
    let night = batch(&w, "night.results.csv");
    let fixed = batch(&w, "fixed.results.csv");
    let findings = |w: &Work| -> Vec<String> {
        read_csv(&w.path("night.reconcile.csv"))
            .into_iter()
            .map(|r| r["finding"].clone())
            .collect()
    };

    // The refund found is the row's, however soon after its request.
    let ran = on_night(&w, "reconcile", &["--batch", &night]);
    let found = findings(&w);
    assert!(
        !found.contains(&"outside_refund".to_owned()) && !found.contains(&"in_doubt".to_owned()),
        "{found:?}\n{ran:?}"
    );
    assert_eq!(reported(&w, &fixed), ["refunded"], "{ran:?}");
}
