//! `mprefund console`, four eyes: a submitter states
//! the total and submits, someone else approves typing it again, or rejects;
//! approval makes the ledger batch (seen by `status`), and only then can it be
//! sent: from the console (live progress, stop) or by `run --approved`.

use mprefund_sandbox::TEST_TOKEN;
use reqwest::StatusCode;
use std::path::Path;

use crate::common::{Work, ordinary_csv, run, sandbox};
use crate::console_client::{Desk, Person, console_on, desk, exactly_one, first_event};

fn status_of(w: &Work, state: &Path) -> String {
    let r = run(w
        .bare()
        .args(["status", "--state", state.to_str().unwrap()]));
    format!("{}{}", r.stdout, r.stderr)
}

#[tokio::test]
async fn submit_then_someone_else_approves_typing_the_total_again() {
    let d = desk(&[]).await;
    let Desk { w, state, sb, .. } = &d;
    let Desk { c, sub, appr, .. } = &d;
    let boss = Person::log_in(c, "boss").await;

    let id = sub.uploaded(&ordinary_csv(3, 1), false).await;
    // Approving what nobody submitted: the state does not allow it.
    let (s, _) = appr.step(&id, "approve", &[("expect_total", "3.75")]).await;
    assert_eq!(s, StatusCode::CONFLICT);
    // Without the token; by a role that may not submit.
    let (s, _) = sub
        .step_with(None, &id, "submit", &[("expect_total", "3.75")])
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = appr.step(&id, "submit", &[("expect_total", "3.75")]).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // A total that is not the plan's: 422 naming what the file adds up to.
    let (s, body) = sub.step(&id, "submit", &[("expect_total", "3.70")]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("3.75"), "{body}");
    let (s, _) = sub.step(&id, "submit", &[]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "a total is required");
    assert_eq!(sub.json(&id).await["state"], "uploaded");
    assert!(
        !status_of(w, state).contains(&id),
        "nothing in the ledger yet"
    );

    sub.stepped(&id, "submit", &[("expect_total", "3.75")])
        .await;
    let j = sub.json(&id).await;
    assert_eq!(j["state"], "submitted");
    assert_eq!(j["submitted_by"], "sub");
    let (s, _) = sub.step(&id, "submit", &[("expect_total", "3.75")]).await;
    assert_eq!(s, StatusCode::CONFLICT, "submitted once");
    assert!(
        !status_of(w, state).contains(&id),
        "a submitted batch is not in the ledger: nothing can send it"
    );

    // The approver's page offers the approval form; the submitter's does not.
    let page = appr.page(&format!("/batches/{id}")).await;
    assert!(
        page.contains(&format!("action=\"/batches/{id}/approve\"")),
        "{page}"
    );
    assert!(
        page.contains(&format!("action=\"/batches/{id}/reject\"")),
        "{page}"
    );
    let page = sub.page(&format!("/batches/{id}")).await;
    assert!(!page.contains("/approve\""), "{page}");
    assert!(page.contains("submitted"), "{page}");

    let (s, body) = appr.step(&id, "approve", &[("expect_total", "3.50")]).await;
    // The approver's count is her own: the refusal never tells her the total.
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("does not match") && !body.contains("3.75"),
        "{body}"
    );
    // Two approvers at once: exactly one wins.
    let (a, b) = tokio::join!(
        appr.step(&id, "approve", &[("expect_total", "3.75")]),
        boss.step(&id, "approve", &[("expect_total", "3.75")]),
    );
    exactly_one(&a, &b);
    let j = sub.json(&id).await;
    assert_eq!(j["state"], "approved");
    assert!(
        ["appr", "boss"].contains(&j["approved_by"].as_str().unwrap()),
        "{j}"
    );
    // The ledger batch exists now, from the stored upload: `status` shows it.
    let ledger = j["ledger_batch"]
        .as_str()
        .expect("linked to a ledger batch")
        .to_owned();
    assert!(
        status_of(w, state).contains(&ledger),
        "{}",
        status_of(w, state)
    );
    assert!(sb.refunds().is_empty(), "approved, not sent");
    let (s, _) = appr.step(&id, "reject", &[("reason", "late")]).await;
    assert_eq!(s, StatusCode::CONFLICT);

    // An admin may submit, but never approve their own batch.
    let id2 = boss.uploaded(&ordinary_csv(2, 2), false).await;
    boss.stepped(&id2, "submit", &[("expect_total", "2.50")])
        .await;
    let (s, body) = boss
        .step(&id2, "approve", &[("expect_total", "2.50")])
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(boss.json(&id2).await["state"], "submitted");
    // A submitter may not approve; an approver rejects, with a reason.
    let (s, _) = sub.step(&id2, "approve", &[("expect_total", "2.50")]).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = appr.step(&id2, "reject", &[("reason", " ")]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "a reason is required");
    let (s, _) = appr
        .step(&id2, "reject", &[("reason", "wrong month <b>")])
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let j = boss.json(&id2).await;
    assert_eq!(j["state"], "rejected");
    assert_eq!(j["rejected_by"], "appr");
    assert_eq!(j["reason"], "wrong month <b>");
    let (s, _) = appr
        .step(&id2, "approve", &[("expect_total", "2.50")])
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let page = boss.page(&format!("/batches/{id2}")).await;
    assert!(page.contains("wrong month &#60;b&#62;"), "{page}");

    // Bad lines: submitted only when uploaded with "skip the bad lines".
    let bad = "payment_id,amount,reference\n3001,1.00,a\n3002,oops,b\n";
    let id3 = sub.uploaded(bad, false).await;
    let (s, body) = sub.step(&id3, "submit", &[("expect_total", "1.00")]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("bad line"), "{body}");
    let id4 = sub.uploaded(bad, true).await;
    sub.stepped(&id4, "submit", &[("expect_total", "1.00")])
        .await;
    // Unknown batch.
    let (s, _) = sub
        .step(
            "0123456789abcdef0123456789abcdef",
            "submit",
            &[("expect_total", "1")],
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Every step audited, with the batch.
    let audit = boss.page("/audit.csv").await;
    for (action, batch) in [
        ("submit", &id),
        ("approve", &id),
        ("reject", &id2),
        ("submit", &id4),
    ] {
        assert!(
            crate::console_client::has_line(&audit, &[action, batch.as_str(), "127.0.0.1"]),
            "{action} {batch} not in {audit}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn send_now_runs_the_engine_once_stops_gracefully_and_streams_progress() {
    let (w, state) = crate::common::with_users();
    let sb = sandbox();
    // Slow enough that a stop lands before the batch is done.
    let c = console_on(&w, &state, &sb, &["--rate", "2", "--fixed-rate"]);
    let sub = Person::log_in(&c, "sub").await;
    let appr = Person::log_in(&c, "appr").await;
    let id = sub.uploaded(&ordinary_csv(8, 4), false).await;
    let (s, _) = sub.step(&id, "send", &[]).await;
    assert_eq!(s, StatusCode::CONFLICT, "not approved: nothing sends it");
    sub.stepped(&id, "submit", &[("expect_total", "10.00")])
        .await;
    let (s, _) = appr.step(&id, "send", &[]).await;
    assert_eq!(s, StatusCode::CONFLICT, "submitted is not approved");
    let (s, _) = appr
        .step(&id, "approve", &[("expect_total", "10.00")])
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let page = appr.page(&format!("/batches/{id}")).await;
    assert!(
        page.contains(&format!("action=\"/batches/{id}/send\"")),
        "{page}"
    );

    // A double click sends once.
    let (a, b) = tokio::join!(appr.step(&id, "send", &[]), sub.step(&id, "send", &[]),);
    exactly_one(&a, &b);
    assert_eq!(sub.json(&id).await["state"], "sending");

    // Live progress, as server-sent events.
    let r = sub.fetch(&format!("/batches/{id}/events")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream"),
        "{:?}",
        r.headers()
    );
    let ev = first_event(r).await;
    assert_eq!(ev["total"], 8, "{ev}");
    assert!(ev["done"].is_u64() && ev["rate"].is_number(), "{ev}");
    assert!(
        ev["refunded"].is_array() && ev["causes"].is_object(),
        "{ev}"
    );

    // Stop: the graceful stop; the rest stays to send.
    sub.stepped(&id, "stop", &[]).await;
    let last = sub.settled(&id);
    assert_eq!(last["state"], "stopped", "{last}");
    let sent = sb.refunds().len();
    assert!(sent < 8, "stopped early: {sent}");
    assert!(!c.log().contains(TEST_TOKEN), "the token is never logged");

    // Sent again: the rest goes, every row once.
    appr.stepped(&id, "send", &[]).await;
    let last = sub.in_state(&id, "finished");
    assert_eq!(last["counts"]["refunded"], 8, "{last}");
    let (s, _) = appr.step(&id, "send", &[]).await;
    assert_eq!(
        s,
        StatusCode::CONFLICT,
        "a finished batch is not sent again"
    );
    let audit = Person::log_in(&c, "boss").await.audit_csv().await;
    for action in ["send", "stop"] {
        assert!(
            crate::console_client::has_line(&audit, &[action, id.as_str()]),
            "{action} not in {audit}"
        );
    }
    let mut counts = std::collections::HashMap::new();
    for r in sb.refunds() {
        *counts.entry(r.idempotency_key).or_insert(0) += 1;
    }
    assert!(counts.values().all(|&n| n == 1), "{counts:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_canary_sends_the_first_rows_shows_them_and_a_second_send_the_rest() {
    let d = desk(&[]).await;
    let Desk { sb, c, sub, .. } = &d;
    let Desk { appr, .. } = &d;
    // The third row's payment does not exist: the canary shows its cause.
    let csv = "payment_id,amount,reference\n\
               4000,1.25,r0\n4001,1.25,r1\n4900,1.25,r2\n4002,1.25,r3\n4003,1.25,r4\n4004,1.25,r5\n";
    let id = sub.uploaded(csv, false).await;
    sub.stepped(&id, "submit", &[("expect_total", "7.50")])
        .await;
    appr.stepped(&id, "approve", &[("expect_total", "7.50")])
        .await;
    let page = appr.page(&format!("/batches/{id}")).await;
    assert!(
        page.contains("name=\"canary\""),
        "the page offers a canary: {page}"
    );
    for bad in ["0", "-1", "x"] {
        let (s, body) = appr.step(&id, "send", &[("canary", bad)]).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "canary={bad}: {body}");
    }
    assert_eq!(sub.json(&id).await["state"], "approved");

    appr.stepped(&id, "send", &[("canary", "3")]).await;
    let last = sub.settled(&id);
    // The first three rows, and no more: the batch waits for a second click.
    assert_eq!(last["state"], "stopped", "{last}");
    assert_eq!(last["counts"]["refunded"], 2, "{last}");
    assert_eq!(last["counts"]["failed"], 1, "{last}");
    assert_eq!(last["counts"]["pending"], 3, "{last}");
    assert_eq!(sb.refunds().len(), 2);
    let page = sub.page(&format!("/batches/{id}")).await;
    let table = page
        .split("id=\"answered\"")
        .nth(1)
        .unwrap_or_else(|| panic!("no table of the rows sent: {page}"));
    let table = table.split("</table>").next().unwrap();
    for payment in ["4000", "4001", "4900"] {
        assert!(table.contains(payment), "{payment} not in {table}");
    }
    for payment in ["4002", "4003", "4004"] {
        assert!(!table.contains(payment), "{payment} was not sent: {table}");
    }
    assert!(
        table.contains("refunded") && table.contains("failed"),
        "{table}"
    );
    assert!(table.contains("2000"), "the cause shown: {table}");

    // The second send sends the rest, each row once.
    appr.stepped(&id, "send", &[]).await;
    let last = sub.in_state(&id, "finished");
    assert_eq!(last["counts"]["refunded"], 5, "{last}");
    assert_eq!(last["counts"]["failed"], 1, "{last}");
    assert_eq!(sb.refunds().len(), 5);
    let audit = Person::log_in(c, "boss").await.audit_csv().await;
    assert!(
        crate::console_client::has_line(&audit, &["send", id.as_str(), "first 3"]),
        "the canary is audited: {audit}"
    );
}

#[tokio::test]
async fn run_approved_sends_the_approved_batches_in_the_order_approved_and_nothing_else() {
    let d = desk(&[]).await;
    let Desk { w, state, sb, .. } = &d;
    let Desk { c, sub, appr, .. } = &d;
    let a = sub.uploaded(&ordinary_csv(3, 5), false).await;
    let b = sub.uploaded(&ordinary_csv(2, 6), false).await;
    // C's last payment does not exist: that row fails, and the run says so.
    let cc = "payment_id,amount,reference\n7000,1.25,c0\n7001,1.25,c1\n7900,1.25,c2\n";
    let cid = sub.uploaded(cc, false).await;
    let d = sub.uploaded(&ordinary_csv(1, 8), false).await;
    for (id, total) in [(&a, "3.75"), (&b, "2.50"), (&cid, "3.75")] {
        sub.stepped(id, "submit", &[("expect_total", total)]).await;
    }
    // Approved C first, then A; B waits for its approver, D was never submitted.
    for (id, total) in [(&cid, "3.75"), (&a, "3.75")] {
        appr.stepped(id, "approve", &[("expect_total", total)])
            .await;
    }
    // The job's own input is not what `--approved` sends.
    w.write("tonight.csv", ordinary_csv(2, 9));
    w.write(
        "job.toml",
        format!(
            "input = \"tonight.csv\"\nstate = {:?}\nrate = 50\n",
            state.to_str().unwrap()
        ),
    );
    let job = w.path("job.toml");
    let r = run(w.mprefund(sb, &["run", "--job", job.to_str().unwrap(), "--approved"]));
    assert_eq!(
        r.code, 1,
        "a failed row in C: the worst exit, as run's: {r:?}"
    );
    // C's refunds, then A's (each batch's own rows may go out in any order).
    let payments: Vec<u64> = sb.refunds().iter().map(|r| r.payment_id).collect();
    assert_eq!(payments.len(), 5, "{payments:?} {r:?}");
    let (first, then) = payments.split_at(2);
    let (mut first, mut then) = (first.to_vec(), then.to_vec());
    first.sort_unstable();
    then.sort_unstable();
    assert_eq!((first, then), (vec![7000, 7001], vec![5000, 5001, 5002]));
    assert!(!r.stderr.contains(TEST_TOKEN) && !r.stdout.contains(TEST_TOKEN));

    assert_eq!(sub.json(&cid).await["state"], "finished");
    let ja = sub.json(&a).await;
    assert_eq!(ja["state"], "finished", "{ja}");
    assert_eq!(ja["counts"]["refunded"], 3, "{ja}");
    assert_eq!(sub.json(&b).await["state"], "submitted");
    assert_eq!(sub.json(&d).await["state"], "uploaded");

    // Nothing left: a second night sends nothing and says so.
    let r = run(w.mprefund(sb, &["run", "--job", job.to_str().unwrap(), "--approved"]));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stderr.contains("no approved batch"), "{r:?}");
    assert_eq!(sb.refunds().len(), 5);
    // An input with --approved is a contradiction, refused; a flag
    // --approved would not use is refused, not ignored.
    let approved = ["run", "--state", state.to_str().unwrap(), "--approved"];
    for (more, said) in [
        (&["tonight.csv"][..], ""),
        (&["--expect-rows", "3"][..], "--expect-rows does not apply"),
    ] {
        let r = run(w.mprefund(sb, &[&approved[..], more].concat()));
        assert_eq!(r.code, 2, "{more:?}: {r:?}");
        assert!(r.stderr.contains(said), "{more:?}: {r:?}");
    }
    assert_eq!(sb.refunds().len(), 5);

    let audit = Person::log_in(c, "boss").await.audit_csv().await;
    for id in [&a, &cid] {
        assert!(
            crate::console_client::has_line(&audit, &["send", id.as_str(), "run --approved"]),
            "{id} not in {audit}"
        );
    }
}

#[tokio::test]
async fn the_plan_of_a_waiting_batch_sees_refunds_made_after_its_upload() {
    let d = desk(&[]).await;
    let Desk { w, state, sb, .. } = &d;
    let Desk { sub, .. } = &d;
    let id = sub.uploaded(&ordinary_csv(3, 7), false).await;
    // Looked at twice: the second look is the plan kept from the upload.
    for _ in 0..2 {
        assert_eq!(sub.json(&id).await["already_refunded"], 0);
    }
    // Meanwhile a batch of the command line refunds the first payment (another
    // amount: another key, so the guard's business).
    let other = w.write("other.csv", "payment_id,amount,reference\n7000,2.00,x\n");
    let ran = run(w.mprefund(
        sb,
        &crate::common::on_state(
            "run",
            other.to_str().unwrap(),
            state.to_str().unwrap(),
            &["-y"],
        ),
    ));
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(
        sub.json(&id).await["already_refunded"],
        1,
        "a plan kept from before the refund is made again"
    );
}
