//! Reading the books back (issue 7), part 1: the per-payment guard. A row whose
//! payment an earlier batch of the state file refunded under another key is not
//! sent unless asked for; `plan` says so before `run` does.

use mprefund::sandbox::{Sandbox, SandboxConfig, SandboxHandle};

use crate::common::{Work, bare, read_csv, run};

fn sandbox() -> SandboxHandle {
    Sandbox::start(SandboxConfig::default()).expect("sandbox")
}

/// The analyst's correction: `25.00` refunded, then the row changed to `20.00`
/// and the file run again.
#[test]
fn a_corrected_amount_is_refused_with_the_earlier_refund_named() {
    let sb = sandbox();
    let w = Work::new();
    w.write(
        "cb.csv",
        "payment_id,amount,reference\n8100001,25.00,CB-1\n8100002,10.00,CB-2\n",
    );
    assert_eq!(run(w.mprefund(&sb, &["run", "cb.csv"])).code, 0);
    assert_eq!(sb.refunds().len(), 2);

    w.write(
        "cb.csv",
        "payment_id,amount,reference\n8100001,20.00,CB-1\n8100002,10.00,CB-2\n8100003,5,CB-3\n",
    );
    // plan says it before a cent moves, and exits 2 like run would.
    let plan = run(bare().current_dir(w.dir.path()).args(["plan", "cb.csv"]));
    assert_eq!(plan.code, 2, "{plan:?}");
    assert!(
        plan.stdout.contains("line 2: payment 8100001: 25 refunded"),
        "{plan:?}"
    );
    assert!(!plan.stdout.contains("payment 8100002"), "{plan:?}");

    let ran = run(w.mprefund(&sb, &["run", "cb.csv"]));
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(
        ran.stderr
            .contains("line 2: payment 8100001 already has refunds"),
        "{ran:?}"
    );
    assert!(ran.stderr.contains("25 refunded"), "{ran:?}");
    assert!(ran.stderr.contains("--allow-more-refunds"), "{ran:?}");
    assert_eq!(sb.refunds().len(), 2, "nothing was sent");

    // --skip-invalid: the rest goes, the guarded row is invalid with its cause.
    let ran = run(w.mprefund(&sb, &["run", "cb.csv", "--skip-invalid"]));
    assert_eq!(ran.code, 1, "{ran:?}");
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
    let sb = sandbox();
    let w = Work::new();
    w.write(
        "a.csv",
        "payment_id,amount,reference\n8200001,25.00,first\n",
    );
    assert_eq!(
        run(w.mprefund(&sb, &["run", "a.csv", "--state", "s.db"])).code,
        0
    );
    w.write(
        "b.csv",
        "payment_id,amount,reference\n8200001,20.00,second\n",
    );
    let ran = run(w.mprefund(&sb, &["run", "b.csv", "--state", "s.db"]));
    assert_eq!(ran.code, 2, "{ran:?}");
    let ran = run(w.mprefund(
        &sb,
        &["run", "b.csv", "--state", "s.db", "--allow-more-refunds"],
    ));
    assert_eq!(ran.code, 0, "{ran:?}");
    let amounts: Vec<String> = sb.refunds().iter().map(|r| r.amount.to_string()).collect();
    assert_eq!(amounts, ["25", "20"]);
}

/// Several rows on one payment in one file are partial refunds, allowed; running
/// the same file again finds nothing to guard.
#[test]
fn partials_in_one_file_are_allowed_and_a_rerun_is_quiet() {
    let sb = sandbox();
    let w = Work::new();
    w.write(
        "p.csv",
        "payment_id,amount,reference\n8300001,10,a\n8300001,20,b\n8300001,30,c\n",
    );
    assert_eq!(run(w.mprefund(&sb, &["run", "p.csv"])).code, 0);
    assert_eq!(sb.refunds().len(), 3);
    let plan = run(bare().current_dir(w.dir.path()).args(["plan", "p.csv"]));
    assert_eq!(plan.code, 0, "{plan:?}");
    // A re-export with a row added: the three are adopted, the new one is sent.
    w.write(
        "p.csv",
        "payment_id,amount,reference\n8300001,10,a\n8300001,20,b\n8300001,30,c\n8300002,5,d\n",
    );
    let ran = run(w.mprefund(&sb, &["run", "p.csv"]));
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(sb.refunds().len(), 4);
}

/// A request that left with no answer read counts as a refund that may exist.
#[test]
fn a_refund_sent_with_an_unknown_outcome_also_guards_its_payment() {
    let sb = sandbox();
    let w = Work::new();
    w.write("a.csv", "payment_id,amount,reference\n8400001,25,x\n");
    sb.fail_payment(8400001, 500);
    let ran = run(w.mprefund(
        &sb,
        &["run", "a.csv", "--state", "s.db", "--max-attempts", "1"],
    ));
    assert_eq!(ran.code, 1, "{ran:?}");
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
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(ran.stderr.contains("sent, outcome unknown"), "{ran:?}");
    assert_eq!(sb.refunds().len(), 0);
}
