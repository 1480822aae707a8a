//! Reading the books back, part 1: the per-payment guard. A row whose
//! payment an earlier batch of the state file refunded under another key is not
//! sent unless asked for; `plan` says so before `run` does.

use crate::common::{
    ACCOUNT_STATE, findings_by_row, fresh, fresh_with, ran_first, read_csv, reconcile_sent, refs,
    run,
};

/// The analyst's correction: `25.00` refunded, then the row changed to `20.00`
/// and the file run again.
#[test]
fn a_corrected_amount_is_refused_with_the_earlier_refund_named() {
    let (sb, w) = ran_first("cb.csv", refs("8100001,25.00,CB-1\n8100002,10.00,CB-2\n"));
    assert_eq!(sb.refunds().len(), 2);

    w.write(
        "cb.csv",
        "payment_id,amount,reference\n8100001,20.00,CB-1\n8100002,10.00,CB-2\n8100003,5,CB-3\n",
    );
    // plan says it before a cent moves, and exits 2 like run would.
    let plan = run(w.bare().args(["plan", "cb.csv"])).exits(2);
    assert!(
        plan.stdout.contains("line 2: payment 8100001: 25 refunded"),
        "{plan:?}"
    );
    // The unchanged row is no guarded one: the very row refunded before,
    // which `run` sends no more, counted apart.
    let (guarded, same) = plan.stdout.split_once("as these very rows").expect("both");
    assert!(!guarded.contains("payment 8100002"), "{plan:?}");
    assert!(
        same.contains("line 3: payment 8100002: 10 refunded"),
        "{plan:?}"
    );

    let ran = run(w.mprefund(&sb, &["run", "cb.csv"])).exits(2);
    assert!(
        ran.stderr
            .contains("line 2: payment 8100001 already has refunds"),
        "{ran:?}"
    );
    assert!(ran.stderr.contains("25 refunded"), "{ran:?}");
    assert!(ran.stderr.contains("--allow-more-refunds"), "{ran:?}");
    assert_eq!(sb.refunds().len(), 2, "nothing was sent");

    // --skip-invalid: the rest goes, the guarded row is invalid with its cause.
    run(w.mprefund(&sb, &["run", "cb.csv", "--skip-invalid"])).exits(1);
    let rows = read_csv(&w.path("cb.results.csv"));
    assert_eq!(rows[0]["outcome"], "invalid");
    assert_eq!(rows[0]["cause_code"], "payment_has_refunds");
    assert!(rows[0]["cause_message"].contains("25 refunded"), "{rows:?}");
    assert_eq!(
        rows[1]["outcome"], "refunded",
        "same key: adopted, not sent"
    );
    assert_eq!(rows[2]["outcome"], "refunded");
    assert_eq!(sb.refunds().len(), 3);
}

#[test]
fn allow_more_refunds_sends_a_second_partial_on_purpose() {
    let (sb, w) = fresh_with("a.csv", refs("8200001,25.00,first\n"));
    assert_eq!(
        run(w.mprefund(&sb, &["run", "a.csv", "--state", "s.db"])).code,
        0
    );
    w.write(
        "b.csv",
        "payment_id,amount,reference\n8200001,20.00,second\n",
    );
    run(w.mprefund(&sb, &["run", "b.csv", "--state", "s.db"])).exits(2);
    w.ok(
        &sb,
        &["run", "b.csv", "--state", "s.db", "--allow-more-refunds"],
    );
    let amounts: Vec<String> = sb.refunds().iter().map(|r| r.amount.to_string()).collect();
    assert_eq!(amounts, ["25", "20"]);
}

/// Several rows on one payment in one file are partial refunds, allowed; running
/// the same file again finds nothing to guard.
#[test]
fn partials_in_one_file_are_allowed_and_a_rerun_is_quiet() {
    let (sb, w) = ran_first("p.csv", refs("8300001,10,a\n8300001,20,b\n8300001,30,c\n"));
    assert_eq!(sb.refunds().len(), 3);
    run(w.bare().args(["plan", "p.csv"])).exits(0);
    // A re-export with a row added: the three are adopted, the new one is sent.
    w.write(
        "p.csv",
        "payment_id,amount,reference\n8300001,10,a\n8300001,20,b\n8300001,30,c\n8300002,5,d\n",
    );
    w.ok(&sb, &["run", "p.csv"]);
    assert_eq!(sb.refunds().len(), 4);
}

/// A request that left with no answer read counts as a refund that may exist.
#[test]
fn a_refund_sent_with_an_unknown_outcome_also_guards_its_payment() {
    let (sb, w) = fresh_with("a.csv", refs("8400001,25,x\n"));
    sb.fail_payment(8400001, 500);
    run(w.mprefund(
        &sb,
        &["run", "a.csv", "--state", "s.db", "--max-attempts", "1"],
    ))
    .exits(1);
    // 500 is a refusal we read: not a refund. Mark the row as sent-unknown the
    // way a crash leaves it, by hand in the state file.
    let c = rusqlite::Connection::open(w.path("s.db")).unwrap();
    c.execute(
        "UPDATE rows SET state = 'sending', attempts = 1, last_attempt_at = 1 WHERE payment_id = '8400001'",
        [],
    )
    .unwrap();
    drop(c);
    w.write("b.csv", "payment_id,amount,reference\n8400001,20,y\n");
    let ran = run(w.mprefund(&sb, &["run", "b.csv", "--state", "s.db"]));
    // Held, not refused: `run` read the payment back (the row's last attempt
    // is long past) and found no refund, so the first row is queued again —
    // which still holds the payment against another spreadsheet.
    assert_eq!(ran.code, 1, "{ran:?}");
    let held = read_csv(&w.path("b.results.csv"));
    assert_eq!(held[0]["cause_code"], "payment_has_refunds", "{held:?}");
    assert!(
        held[0]["cause_message"].contains("waiting to be sent"),
        "{held:?}"
    );
    assert_eq!(sb.refunds().len(), 0);
}

#[test]
fn reconcile_reads_the_books_back_and_settles_what_changed() {
    let (sb, w) = fresh_with(
        "r.csv",
        "payment_id,amount,reference\n\
         8500001,10,matched\n\
         8500907,10,in-process\n\
         8500002,10,rejected-later\n\
         8500003,10,amount-changed\n\
         8500004,10,with-outside\n\
         8500005,10,missing\n\
         8500900,10,not-found\n",
    );
    run(w.mprefund(&sb, &["run", "r.csv"])).exits(1); // the 900 row fails: not found
    let id_of = |payment: u64| {
        sb.refunds()
            .into_iter()
            .find(|r| r.payment_id == payment)
            .unwrap()
            .id
    };
    // What happens at Mercado Pago afterwards.
    assert_eq!(sb.settle_in_process(), 1);
    sb.change_refund(id_of(8500002), Some("rejected"), None)
        .unwrap();
    sb.change_refund(id_of(8500003), None, Some("7".parse().unwrap()))
        .unwrap();
    let by_hand = sb
        .refund_by_hand(8500004, Some("5".parse().unwrap()))
        .unwrap();
    // The state file forgets row 6's refund id (as if a hand edit or a bug lost it).
    let c = rusqlite::Connection::open(w.path(ACCOUNT_STATE)).unwrap();
    c.execute(
        "UPDATE rows SET refund_id = '1' WHERE payment_id = '8500005'",
        [],
    )
    .unwrap();
    drop(c);

    let ran = reconcile_sent(&w, &["--state", ACCOUNT_STATE]);
    assert_eq!(ran.code, 1, "{ran:?}");
    let got = findings_by_row::<Vec<_>>(&w, "r.reconcile.csv");
    let rows: Vec<(&str, &str)> = got.iter().map(|(r, f)| (r.as_str(), f.as_str())).collect();
    assert_eq!(
        &rows[..7],
        [
            ("1", "matched"),
            ("2", "settled"),
            ("3", "rejected_later"),
            ("4", "amount_differs"),
            ("5", "matched"),
            ("6", "missing_at_mp"),
            ("7", "unreadable"),
        ]
    );
    let mut outside: Vec<String> = read_csv(&w.path("r.reconcile.csv"))
        .into_iter()
        .filter(|r| r["finding"] == "outside_refund")
        .map(|r| r["refund_id"].clone())
        .collect();
    outside.sort();
    let mut expected = vec![by_hand.id.to_string(), id_of(8500005).to_string()];
    expected.sort();
    assert_eq!(
        outside, expected,
        "the refund by hand, and the one row 6 forgot"
    );
    assert_eq!(got.len(), 9);

    // The state and the results now say what Mercado Pago says.
    let results = read_csv(&w.path("r.results.csv"));
    assert_eq!(results[1]["outcome"], "refunded");
    assert_eq!(results[1]["refund_status"], "approved");
    assert_eq!(results[2]["outcome"], "failed");
    assert_eq!(results[2]["cause_code"], "refund_rejected");
    assert_eq!(results[2]["refunded_amount"], "");

    // Twice: nothing more to change, and the disagreements stand.
    let again = reconcile_sent(&w, &["--state", ACCOUNT_STATE]);
    assert_eq!(again.code, 1, "{again:?}");
    assert!(!again.stderr.contains("updated"), "{again:?}");
    let second = findings_by_row::<Vec<_>>(&w, "r.reconcile.csv");
    assert_eq!(second[1].1, "matched");
    assert_eq!(second[3].1, "amount_differs");
    assert_eq!(second[5].1, "missing_at_mp");
    assert_eq!(
        sb.stats().by_status.get(&201).copied(),
        Some(6),
        "no POST from reconcile"
    );
}

#[test]
fn reconcile_finds_the_refund_of_a_row_sent_without_an_answer() {
    let (_sb, w) = ran_first("u.csv", "payment_id,amount\n8600001,10\n8600002,4\n");
    // As a crash after the request left leaves it: sending, no answer recorded.
    let c = rusqlite::Connection::open(w.path(ACCOUNT_STATE)).unwrap();
    c.execute(
        "UPDATE rows SET state = 'sending', refund_id = NULL, refund_status = NULL,
                refunded_amount = NULL WHERE payment_id = '8600001'",
        [],
    )
    .unwrap();
    drop(c);
    let ran = reconcile_sent(
        &w,
        &["--state", ACCOUNT_STATE, "--metrics-file", "rec.prom"],
    );
    assert_eq!(ran.code, 1, "{ran:?}");
    let got = findings_by_row::<Vec<_>>(&w, "u.reconcile.csv");
    assert_eq!(
        got,
        [
            ("1".to_owned(), "unknown_outcome_found".to_owned()),
            ("2".to_owned(), "matched".to_owned())
        ]
    );
    let prom = std::fs::read_to_string(w.path("rec.prom")).unwrap();
    assert!(
        prom.lines()
            .any(|l| l.starts_with("mprefund_reconcile_findings{")
                && l.contains("finding=\"unknown_outcome_found\"")
                && l.ends_with(" 1")),
        "{prom}"
    );
    assert!(
        prom.contains("mprefund_last_reconcile_timestamp_seconds 0"),
        "{prom}"
    );
}

#[test]
fn reconcile_gives_the_same_findings_through_faults_and_stops_on_a_bad_token() {
    let (sb, w) = ran_first(
        "f.csv",
        "payment_id,amount\n8700001,10\n8700002,10\n8700907,3\n8700003,1\n",
    );
    sb.refund_by_hand(8700003, None).unwrap();
    let clean = reconcile_sent(&w, &["--state", ACCOUNT_STATE, "--out", "clean.csv"]);
    assert_eq!(clean.code, 1, "{clean:?}");
    // Undo the settling the clean pass did, so both passes see the same state.
    let c = rusqlite::Connection::open(w.path(ACCOUNT_STATE)).unwrap();
    c.execute(
        "UPDATE rows SET state = 'in_process', refund_status = 'in_process' WHERE payment_id = '8700907'",
        [],
    )
    .unwrap();
    drop(c);
    sb.set_faults(mprefund_sandbox::Faults {
        error_500: 0.2,
        error_429: 0.1,
        retry_after_secs: 1,
        cut_after_commit: 0.1,
        html_502_after_commit: 0.1,
        seed: Some(7),
        ..Default::default()
    });
    let faulty = reconcile_sent(
        &w,
        &[
            "--state",
            ACCOUNT_STATE,
            "--out",
            "faulty.csv",
            "--max-attempts",
            "12",
        ],
    );
    assert_eq!(faulty.code, 1, "{faulty:?}");
    assert_eq!(
        findings_by_row::<Vec<_>>(&w, "clean.csv"),
        findings_by_row::<Vec<_>>(&w, "faulty.csv")
    );
    let stats = sb.stats();
    assert!(
        stats.cut_connections > 0 && stats.by_status.contains_key(&500),
        "the faults struck: {stats:?}"
    );
    sb.set_faults(mprefund_sandbox::Faults::default());

    let state_before = std::fs::read(w.path(ACCOUNT_STATE)).unwrap();
    let refused = run(w
        .bare()
        .env("MP_ACCESS_TOKEN", "not-a-sandbox-token")
        .args(["reconcile", "--state", ACCOUNT_STATE, "--out", "bad.csv"]));
    // A refused token is a person's to fix.
    assert_eq!(refused.code, 6, "{refused:?}");
    assert!(
        std::fs::read(w.path(ACCOUNT_STATE)).unwrap() == state_before,
        "the state changed"
    );
}

/// `plan --online`: each prediction produced by a payment set up for it; GETs only.
#[test]
fn plan_online_predicts_each_row_before_a_cent_moves() {
    let (sb, w) = fresh();
    sb.refund_by_hand(8800005, Some("1".parse().unwrap()))
        .unwrap();
    let mut csv = String::from("payment_id,amount,reference,currency,kind\n");
    csv.push_str("8800001,10,ok,,\n");
    csv.push_str("8800900,10,not-found,,\n");
    csv.push_str("8800903,10,pending,,\n");
    csv.push_str("8800004,60,over-1,,\n8800004,50,over-2,,\n");
    csv.push_str("8800005,10,refunded-before,,\n");
    csv.push_str("8800006,10,usd,USD,\n");
    for i in 0..21 {
        csv.push_str(&format!("8800007,1,many-{i},,\n"));
    }
    csv.push_str("8800901,10,old,,\n");
    csv.push_str("8800008,10,advanced,,advanced_payment\n");
    w.write("o.csv", csv);
    let ran = run(w
        .bare()
        .env("MP_ACCESS_TOKEN", mprefund_sandbox::TEST_TOKEN)
        .args(["plan", "--online", "o.csv", "--api-base", &sb.base_url()]))
    .exits(1);
    let rows = read_csv(&w.path("o.plan.csv"));
    crate::common::predicts(
        &w,
        "o.plan.csv",
        &[
            ("ok", "ok"),
            ("not-found", "not_found"),
            ("pending", "not_refundable"),
            ("over-1", "exceeds_balance"),
            ("over-2", "exceeds_balance"),
            ("refunded-before", "has_prior_refunds"),
            ("usd", "currency_mismatch"),
            ("many-0", "too_many_partials"),
            ("old", "old"),
            ("advanced", "unreadable"),
        ],
    );
    let before = rows
        .iter()
        .find(|r| r["reference"] == "refunded-before")
        .unwrap();
    assert_eq!(before["already_refunded"], "1");
    assert_eq!(before["refundable_left"], "99");
    assert!(
        before["prior_refunds"].contains(":1:approved:"),
        "{before:?}"
    );
    assert!(ran.stdout.contains("exceeds_balance"), "{ran:?}");
    let stats = sb.stats();
    assert_eq!(stats.posts, 0, "plan --online sends no POST");
    assert_eq!(stats.gets, 8, "each payment read once");

    // A clean file: exit 0.
    w.write("clean.csv", "payment_id,amount\n8800101,10\n8800102,full\n");
    run(w
        .bare()
        .env("MP_ACCESS_TOKEN", mprefund_sandbox::TEST_TOKEN)
        .args([
            "plan",
            "--online",
            "clean.csv",
            "--api-base",
            &sb.base_url(),
        ]))
    .exits(0);
}

#[test]
fn run_preflight_refuses_unless_every_row_is_predicted_ok() {
    let (sb, w) = fresh_with(
        "pf.csv",
        "payment_id,amount\n8900001,10\n8900903,10\n8900002,10\n",
    );
    let ran = run(w.mprefund(&sb, &["run", "pf.csv", "--preflight"])).exits(2);
    assert!(
        ran.stderr.contains("line 3: predicted not_refundable"),
        "{ran:?}"
    );
    assert_eq!(sb.stats().posts, 0, "nothing sent");
    run(w.mprefund(&sb, &["run", "pf.csv", "--preflight", "--skip-invalid"])).exits(1);
    let rows = read_csv(&w.path("pf.results.csv"));
    let got: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r["outcome"].as_str(), r["cause_code"].as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("refunded", ""),
            ("invalid", "not_refundable"),
            ("refunded", "")
        ]
    );
    assert_eq!(sb.stats().posts, 2);
}
