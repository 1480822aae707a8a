//! The same file twice. The plan — on the command line and in the console —
//! counts the rows an earlier batch refunded (or may have) as already
//! refunded, the same rows as well as other refunds of their payments; the
//! console calls such an upload out (how many rows, when, in which batch by
//! its file's name), and submitting it takes an explicit confirmation, which
//! the server checks whatever the page showed.

use reqwest::StatusCode;

use crate::common::{fresh_with, ordinary_csv, run};
use crate::console_client::{Desk, desk, sent_upload, text};

/// Sent fast.
const FAST: [&str; 2] = ["--rate", "1000"];

#[test]
fn plan_counts_the_same_rows_sent_before_as_already_refunded() {
    let (sb, w) = fresh_with("dia.csv", ordinary_csv(3, 7310));
    let ran = run(w.mprefund(&sb, &["run", "dia.csv", "--state", "s.db", "-y"]));
    assert_eq!(ran.code, 0, "{ran:?}");
    let plan = run(w.mprefund(&sb, &["plan", "dia.csv", "--state", "s.db"]));
    assert!(
        plan.stdout
            .contains("earlier:       3 row(s) refunded, or maybe refunded, by earlier batches"),
        "{plan:?}"
    );
    assert!(plan.stdout.contains("as these very rows"), "{plan:?}");
    assert_eq!(
        plan.stdout.matches(" refunded 20").count(),
        3,
        "each row with its refund: {plan:?}"
    );
    // A file of other payments has none.
    w.write("outro.csv", ordinary_csv(2, 7320));
    let plan = run(w.mprefund(&sb, &["plan", "outro.csv", "--state", "s.db"]));
    assert_eq!(plan.code, 0, "{plan:?}");
    assert!(!plan.stdout.contains("earlier:"), "{plan:?}");
}

/// A refunded file uploaded again reads, in Portuguese, as repeating the
/// refunds of the earlier batch, named by its file; its submit is refused
/// (a page of the console, in her language) until she confirms it; a fresh
/// file needs no confirmation.
#[tokio::test(flavor = "multi_thread")]
async fn a_refunded_file_uploaded_again_is_called_out_and_needs_a_confirmation() {
    let d = desk(&FAST).await;
    let Desk { sb, sub, appr, .. } = &d;
    let csv = ordinary_csv(4, 7330).into_bytes();
    let (_, j) = sent_upload(sub, appr, "dia 29.csv", csv.clone()).await;
    assert_eq!(j["counts"]["refunded"], 4, "{j}");
    assert_eq!(sb.refunds().len(), 4);

    let again = sub.uploaded_as("dia 29 (1).csv", csv, false).await;
    let j = sub.to_type(&again);
    assert_eq!(j["already_refunded"], 4, "{j}");
    let total = j["to_type"].as_str().unwrap().to_owned();
    let page = sub.page_in(&format!("/batches/{again}"), "pt-BR").await;
    // Her own file's name never names the earlier batch.
    crate::console_client::shows(
        "the batch",
        &page,
        &[
            "Este arquivo repete devoluções já feitas",
            "linhas deste arquivo: 4 no total.",
            "lote “dia 29.csv”, enviado por último em ",
            "4 destas linhas",
            "name=\"repeat_confirmed\"",
        ],
        &["lote “dia 29 (1).csv”"],
    );

    // A forged submit without the confirmation: refused, in Portuguese, as a
    // page of the console with the way back; nothing moved.
    let path = format!("/batches/{again}/submit");
    let r = sub
        .post_in(&path, "pt-BR", &[("expect_total", &total)])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let refused = text(r).await;
    assert!(
        refused.contains("marque a confirmação abaixo do total. Nenhuma aprovação foi pedida."),
        "{refused}"
    );
    assert!(
        refused.contains("<html"),
        "a page of the console: {refused}"
    );
    assert!(
        refused.contains(&format!("href=\"/batches/{again}\"")),
        "{refused}"
    );
    assert_eq!(sub.json(&again).await["state"], "uploaded");
    let r = sub
        .post_in(
            &path,
            "pt-BR",
            &[("expect_total", &total), ("repeat_confirmed", "")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Confirmed: submitted, and the audit trail says it was confirmed.
    sub.stepped(
        &again,
        "submit",
        &[("expect_total", &total), ("repeat_confirmed", "1")],
    )
    .await;
    assert_eq!(sub.json(&again).await["state"], "submitted");
    let audit = crate::console_client::Person::log_in(&d.c, "boss")
        .await
        .audit_csv()
        .await;
    assert!(
        audit.contains("confirmed: 4 rows refunded by earlier batches"),
        "{audit}"
    );

    // A fresh file: no call-out, no confirmation asked.
    let fresh = sub
        .uploaded_as("dia 30.csv", ordinary_csv(2, 7340).into_bytes(), false)
        .await;
    let j = sub.to_type(&fresh);
    assert_eq!(j["already_refunded"], 0, "{j}");
    let page = sub.page_in(&format!("/batches/{fresh}"), "pt-BR").await;
    assert!(!page.contains("id=\"repeat\""), "{page}");
    assert!(!page.contains("repeat_confirmed"), "{page}");
    let total = j["to_type"].as_str().unwrap().to_owned();
    sub.stepped(&fresh, "submit", &[("expect_total", &total)])
        .await;
    assert_eq!(sb.refunds().len(), 4, "nothing more was refunded");
}
