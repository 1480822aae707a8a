//! The money the approver approves is all the money that moves: a
//! typed total covers every row — the `full` rows' balances read back from
//! Mercado Pago, the unread ones named apart — in the account's currency, at
//! submit and at approval; `run --expect-total` names `full` rows too; and
//! `reconcile --report` matches no line in another currency.

use std::time::Duration;

use mprefund_sandbox::{PaymentSpec, SandboxHandle};
use reqwest::StatusCode;
use rust_decimal::Decimal;

use crate::common::{ACCOUNT_STATE, fresh_with, ran_first, read_csv, refs, run, sandbox};
use crate::console_client::{Desk, Person, answer, console_on, desk};

/// Payments of `amount` BRL each.
fn declare(sb: &SandboxHandle, ids: &[u64], amount: i64) {
    for &id in ids {
        sb.declare_payment(PaymentSpec {
            amount: Decimal::new(amount, 2),
            ..PaymentSpec::ordinary(id)
        });
    }
}

/// `POST /batches/{id}/{step}` with a typed total, as `lang` reads.
async fn step_in(
    b: &Person,
    id: &str,
    what: &str,
    total: &str,
    lang: &str,
) -> (StatusCode, String) {
    answer(b.step_in(id, what, total, lang).await).await
}

/// 1.00 on one payment and five `full` rows: typed 1.00 covers 1.00 only, so
/// it is refused at submit and at approval; the total with what is left of
/// the five payments (read from Mercado Pago) is accepted, and exactly that
/// money moves.
#[tokio::test(flavor = "multi_thread")]
async fn a_total_without_the_full_rows_money_approves_nothing() {
    let (w, state) = crate::common::with_users();
    let sb = sandbox();
    // 1.00 + 100 + 120 + 130 + 150 + 120 = 621.00
    declare(&sb, &[7100001, 7100002], 10000);
    declare(&sb, &[7100003, 7100006], 12000);
    declare(&sb, &[7100004], 13000);
    declare(&sb, &[7100005], 15000);
    let c = console_on(&w, &state, &sb, &[]);
    let sub = Person::log_in(&c, "sub").await;
    let appr = Person::log_in(&c, "appr").await;
    let csv = "payment_id,amount,reference\n\
               7100001,1.00,a\n7100002,full,b\n7100003,full,c\n7100004,full,d\n\
               7100005,full,e\n7100006,full,f\n";
    let id = sub.uploaded(csv, false).await;
    let j = sub.to_type(&id);
    assert_eq!(j["to_type"], "621.00:BRL", "{j}");
    assert_eq!(j["full_unread"], 0, "{j}");
    let page = sub.page(&format!("/batches/{id}")).await;
    assert!(
        page.contains("<code id=\"to-type\">R$ 621.00</code>"),
        "{page}"
    );

    for typed in ["1.00", "1.00:BRL", "1.00 + 5 full", "621"] {
        let (s, body) = step_in(&sub, &id, "submit", typed, "en").await;
        if typed == "621" {
            assert_eq!(s, StatusCode::SEE_OTHER, "{typed}: {body}");
        } else {
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{typed}: {body}");
            assert!(body.contains("621.00"), "{typed}: {body}");
        }
    }
    assert_eq!(sub.json(&id).await["expect_total"], "621.00");
    for typed in ["1.00", "1.00:BRL+5full", "621.00:USD"] {
        let (s, body) = step_in(&appr, &id, "approve", typed, "en").await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{typed}: {body}");
    }
    assert!(sb.refunds().is_empty());
    let (s, body) = step_in(&appr, &id, "approve", "621.00 BRL", "en").await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    appr.stepped(&id, "send", &[]).await;
    let last = sub.wait_for(&id, "a send", |j| {
        j["state"] != "sending" && j["state"] != "approved"
    });
    assert_eq!(last["state"], "finished", "{last}");
    let refunds = sb.refunds();
    assert_eq!(refunds.len(), 6, "{refunds:?}");
    let moved: Decimal = refunds.iter().map(|r| r.amount).sum();
    assert_eq!(moved, Decimal::new(62100, 2), "exactly the money approved");
}

/// A file without a currency column is in the account's currency (read from
/// Mercado Pago): a total typed in USD is refused, in the person's language.
#[tokio::test(flavor = "multi_thread")]
async fn a_usd_total_on_a_brl_file_is_refused_in_the_persons_language() {
    let d = desk(&[]).await;
    let Desk { sub, appr, .. } = &d;
    let csv = "payment_id,amount,reference\n7200001,2.50,a\n7200002,1.25,b\n";
    let id = sub.uploaded(csv, false).await;

    let (s, body) = step_in(sub, &id, "submit", "3.75:USD", "en").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body.contains("is in USD, but this file") && body.contains("rows are in BRL"),
        "{body}"
    );
    let (s, body) = step_in(sub, &id, "submit", "3.75 USD", "pt-BR").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("está em USD"), "{body}");
    let (s, body) = step_in(sub, &id, "submit", "3.75:BRL", "en").await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");

    let (s, body) = step_in(appr, &id, "approve", "3.75:USD", "es").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("está en USD"), "{body}");
    let (s, body) = step_in(appr, &id, "approve", "3.75", "en").await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    let page = sub.page(&format!("/batches/{id}")).await;
    assert_eq!(sub.json(&id).await["state"], "approved", "{page}");
}

/// `full` rows whose payments cannot be read (not found) are named apart: the
/// page says so, a total that does not name them is refused.
#[tokio::test(flavor = "multi_thread")]
async fn full_rows_that_cannot_be_read_are_named_apart() {
    let d = desk(&[]).await;
    let Desk { sub, appr, .. } = &d;
    // Ids ending 900: payments that do not exist.
    let csv = "payment_id,amount,reference\n7300001,1.00,a\n7300900,full,b\n7301900,full,c\n";
    let id = sub.uploaded(csv, false).await;
    let j = sub.to_type(&id);
    assert_eq!(j["to_type"], "1.00:BRL+2full", "{j}");
    assert_eq!(j["full_unread"], 2, "{j}");
    let page = sub.page(&format!("/batches/{id}")).await;
    assert!(page.contains("id=\"cover-unread\""), "{page}");
    assert!(page.contains("+ 2 full"), "{page}");

    let (s, body) = step_in(sub, &id, "submit", "1.00", "en").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("name them apart"), "{body}");
    let (s, body) = step_in(sub, &id, "submit", "1.00 + 3 full", "en").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (s, body) = step_in(sub, &id, "submit", "1.00 BRL + 2 full", "en").await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(sub.json(&id).await["expect_total"], "1.00:BRL+2full");
    let (s, body) = step_in(appr, &id, "approve", "1.00", "pt-BR").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("indique à parte"), "{body}");
    let (s, body) = step_in(appr, &id, "approve", "1.00+2full", "en").await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
}

/// `run --expect-total` never leaves a `full` row silently outside the total,
/// nor takes a total in another currency than the account's.
#[test]
fn run_names_full_rows_apart_and_refuses_another_currency() {
    let (sb, w) = fresh_with(
        "in.csv",
        refs("7400001,1.00,a\n7400002,full,b\n7400003,full,c\n"),
    );
    let ran = run(w.mprefund(&sb, &["run", "in.csv", "--expect-total", "1.00"])).exits(2);
    assert!(
        ran.stderr.contains("e.g. --expect-total 1.00+2full"),
        "{ran:?}"
    );
    let ran = run(w.mprefund(
        &sb,
        &[
            "run",
            "in.csv",
            "--currency",
            "BRL",
            "--expect-total",
            "1.00:USD+2full",
        ],
    ))
    .exits(2);
    assert!(ran.stderr.contains("rows are in BRL, not USD"), "{ran:?}");
    assert!(sb.refunds().is_empty(), "nothing sent");
    w.ok(
        &sb,
        &[
            "run",
            "in.csv",
            "--currency",
            "BRL",
            "--expect-total",
            "1.00:BRL+2full",
        ],
    );
    assert_eq!(sb.refunds().len(), 3);
}

/// A settlement report in USD is not a batch in BRL: with the account's
/// currency known, its lines match none of the batch's refunds (exit 1); not
/// known, the output says the currency was not checked.
#[test]
fn a_report_in_another_currency_matches_no_refund() {
    let (_sb, w) = ran_first("in.csv", refs("7500001,10,a\n7500002,5,b\n"));
    let day = |days: i64| {
        (time::OffsetDateTime::now_utc() + time::Duration::days(days))
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    };
    let (before, today, after) = (day(-10), day(0), day(10));
    let report = |cur: &str| {
        format!(
            "TRANSACTION_TYPE;SOURCE_ID;TRANSACTION_AMOUNT;TRANSACTION_CURRENCY;TRANSACTION_DATE;METADATA\n\
             SETTLEMENT;7500001;100.00;{cur};{before};\n\
             REFUND;7500001;-10.00;{cur};{today};\n\
             REFUND;7500002;-5.00;{cur};{today};\n\
             SETTLEMENT;7500002;100.00;{cur};{after};\n"
        )
    };
    w.write("usd.csv", report("USD"));
    w.write("brl.csv", report("BRL"));
    let reconcile = |args: &[&str]| {
        run(w
            .bare()
            .args(["reconcile", "--state", ACCOUNT_STATE])
            .args(args))
    };
    let ran = reconcile(&["--report", "usd.csv", "--currency", "BRL"]);
    assert_eq!(ran.code, 1, "{ran:?}");
    let found = read_csv(&w.path("in.report-match.csv"));
    assert!(!found.is_empty(), "{ran:?}");
    assert!(
        found.iter().all(|l| l["finding"] != "matched"),
        "no USD line is a BRL refund: {found:?}"
    );
    let ran = reconcile(&["--report", "brl.csv", "--currency", "BRL"]);
    assert_eq!(ran.code, 0, "{ran:?}");
    // Not known: matched by amount, and said so.
    let ran = reconcile(&["--report", "usd.csv"]);
    let said = format!("{}{}", ran.stdout, ran.stderr);
    assert!(said.contains("currency not checked"), "{ran:?}");
}

/// While the `full` rows' payments are read the page says how far it is, and
/// offers no form to type a total into until they are.
#[tokio::test(flavor = "multi_thread")]
async fn the_page_shows_the_reading_and_waits_for_it() {
    let (w, state) = crate::common::with_users();
    // Every read takes a while: the page is seen before it ends.
    let sb = crate::common::sandbox_with(mprefund_sandbox::Faults {
        latency: Duration::from_millis(1500),
        ..Default::default()
    });
    let c = console_on(&w, &state, &sb, &[]);
    let sub = Person::log_in(&c, "sub").await;
    let csv = "payment_id,amount,currency,reference\n7600001,full,BRL,a\n7600002,full,BRL,b\n";
    let id = sub.uploaded(csv, false).await;
    let page = sub.page(&format!("/batches/{id}")).await;
    assert!(page.contains("id=\"cover-reading\""), "{page}");
    assert!(page.contains("of 2"), "{page}");
    assert!(!page.contains("/submit\""), "no total to type yet: {page}");
    let j = sub.to_type(&id);
    assert_eq!(j["to_type"], "200.00:BRL", "{j}");
    let page = sub.page(&format!("/batches/{id}")).await;
    assert!(page.contains("/submit\""), "{page}");
    assert!(!page.contains("id=\"cover-reading\""), "{page}");
}
