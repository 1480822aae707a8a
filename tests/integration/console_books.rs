//! `mprefund console`, reading the books back: a sent batch
//! reconciled against the API from the console, by `reconcile`'s own library
//! function, and matched against a settlement report uploaded there — over
//! HTTP, through the binary, with the hostile cases (forged CSRF, no session,
//! unknown batch, nothing sent yet, a script and a formula in a cell).

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::CONTENT_DISPOSITION;

use crate::common::{Console, Work, refunds_per_key};
use crate::console_client::{
    Desk, Person, answer, approved, console_on, desk, raw, session_cookie, text,
};

/// A file name a browser may send; shown escaped, never run.
const SCRIPT_NAME: &str = "<img src=x onerror=alert(1)>.csv";
/// Three rows; the third's reference is a formula.
const CSV: &str = "payment_id,amount,reference\n\
                   7100001,1.25,a\n7100002,1.25,b\n7100003,1.25,\"=HYPERLINK(\"\"http://x\"\")\"\n";

/// Uploaded by `sub` (named [`SCRIPT_NAME`]), submitted, approved by `appr`,
/// sent and finished: its console batch id.
async fn sent(sub: &Person, appr: &Person) -> String {
    let id = uploaded_as_script(sub).await;
    approved(sub, appr, &id, "3.75").await;
    appr.stepped(&id, "send", &[]).await;
    sub.in_state(&id, "finished");
    id
}

async fn uploaded_as_script(sub: &Person) -> String {
    sub.uploaded_as(SCRIPT_NAME, CSV.as_bytes().to_vec(), false)
        .await
}

/// A batch sent (as [`sent`]) by a console on `state` that has ended since.
async fn sent_by_a_console_since_ended(
    w: &Work,
    state: &std::path::Path,
    sb: &mprefund_sandbox::SandboxHandle,
) -> String {
    let c = console_on(w, state, sb, &[]);
    let sub = Person::log_in(&c, "sub").await;
    let appr = Person::log_in(&c, "appr").await;
    sent(&sub, &appr).await
}

/// The count a findings page shows for `finding` (none: not shown).
fn count(page: &str, finding: &str) -> Option<u64> {
    let at = page.find(&format!("data-finding=\"{finding}\" data-count=\""))?;
    let rest = &page[at..];
    let rest = &rest[rest.find("data-count=\"").unwrap() + "data-count=\"".len()..];
    rest.split('"').next()?.parse().ok()
}

async fn audit(c: &Console) -> String {
    Person::log_in(c, "boss").await.audit_csv().await
}

#[tokio::test(flavor = "multi_thread")]
async fn reconcile_after_a_send_shows_every_row_agreeing_and_its_csv_downloads() {
    let d = desk(&[]).await;
    let Desk { sb, c, sub, .. } = &d;
    let Desk { appr, .. } = &d;

    // Nothing sent yet: nothing to read back.
    let id = uploaded_as_script(sub).await;
    let (s, body) = appr.step(&id, "reconcile", &[]).await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    assert!(body.contains("nothing was sent yet"), "{body}");
    // The same refusal in the person's language.
    let path = format!("/batches/{id}/reconcile");
    let r = appr.post_in(&path, "pt-BR,pt;q=0.9", &[]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let body = text(r).await;
    assert!(
        body.contains("nenhuma devolução foi pedida ao Mercado Pago ainda"),
        "{body}"
    );
    sub.stepped(&id, "submit", &[("expect_total", "3.75")])
        .await;
    appr.stepped(&id, "approve", &[("expect_total", "3.75")])
        .await;
    let (s, body) = appr.step(&id, "reconcile", &[]).await;
    assert_eq!(s, StatusCode::CONFLICT, "approved, not sent: {body}");
    assert!(sb.refunds().is_empty());

    let id = sent(sub, appr).await;
    // The hostile cases first: forged token, no session, no such batch.
    let (s, _) = appr.step_with(Some("forged"), &id, "reconcile", &[]).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = appr.step_with(None, &id, "reconcile", &[]).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let nobody = Person::nobody(c);
    let (s, _) = nobody
        .step_with(Some(&appr.csrf), &id, "reconcile", &[])
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let unknown = "0123456789abcdef0123456789abcdef";
    let (s, _) = appr.step(unknown, "reconcile", &[]).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = appr.step("../../etc", "reconcile", &[]).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = appr.get(&format!("/batches/{unknown}/reconcile")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = nobody.get(&format!("/batches/{id}/reconcile.csv")).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    // Not reconciled yet: the page says so and offers the button.
    let (s, page) = sub.get(&format!("/batches/{id}/reconcile")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains(&format!("action=\"/batches/{id}/reconcile\"")),
        "{page}"
    );
    // The batch page links to it.
    let (_, page) = sub.get(&format!("/batches/{id}")).await;
    assert!(page.contains(&format!("/batches/{id}/reconcile")), "{page}");

    // The submitter may read the books back too.
    let page = sub.reconciled(&id).await;
    assert_eq!(count(&page, "matched"), Some(3), "{page}");
    for f in [
        "missing_at_mp",
        "amount_differs",
        "rejected_later",
        "unreadable",
    ] {
        assert_eq!(count(&page, f), None, "{f}: {page}");
    }
    assert!(page.contains("data-agrees=\"true\""), "{page}");
    // The file name is shown, escaped.
    assert!(!page.contains("<img src=x"), "{page}");
    assert!(
        page.contains("&#60;img src=x onerror=alert(1)&#62;"),
        "{page}"
    );
    // Money in the page's language: pt-BR's R$ 3,75.
    let (_, pt) = sub
        .get(&format!("/batches/{id}/reconcile?lang=pt-BR"))
        .await;
    assert!(pt.contains("R$ 3,75"), "{pt}");
    assert!(pt.contains("Devolução conferida"), "{pt}");

    // The reconciliation CSV, in the batch's dialect, the formula neutralised.
    let r = sub.fetch(&format!("/batches/{id}/reconcile.csv")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()[CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .contains("attachment"),
        "{:?}",
        r.headers()
    );
    let csv = text(r).await;
    assert!(
        csv.starts_with("payment_id,amount,reference,row,finding,"),
        "{csv}"
    );
    assert_eq!(
        csv.lines().filter(|l| l.contains(",matched,")).count(),
        3,
        "{csv}"
    );
    assert!(csv.contains("'=HYPERLINK"), "{csv}");
    assert!(!csv.contains(",=HYPERLINK"), "{csv}");

    let audit = audit(c).await;
    for action in [",reconcile,", ",reconcile_download,"] {
        assert!(
            crate::console_client::has_line(&audit, &[action, id.as_str()]),
            "{action} not in {audit}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn books_that_differ_show_the_finding_with_what_to_do() {
    let d = desk(&[]).await;
    let Desk { sb, sub, appr, .. } = &d;
    let id = sent(sub, appr).await;
    // Mercado Pago's side changes after the send: one refund cancelled there.
    let refund = sb
        .refunds()
        .into_iter()
        .find(|r| r.payment_id == 7100002)
        .expect("a refund of 7100002");
    assert!(
        sb.change_refund(refund.id, Some("cancelled"), None)
            .is_some()
    );

    let page = appr.reconciled(&id).await;
    assert_eq!(count(&page, "matched"), Some(2), "{page}");
    assert_eq!(count(&page, "rejected_later"), Some(1), "{page}");
    assert!(page.contains("data-agrees=\"false\""), "{page}");
    assert!(
        page.contains(&refund.id.to_string()),
        "the row is listed: {page}"
    );
    // What it means and what to do, in the page's language.
    let (_, es) = appr.get(&format!("/batches/{id}/reconcile?lang=es")).await;
    assert!(es.contains("cancelada o rechazada"), "{es}");
    // Each finding by its name in her language, not by its code.
    assert!(es.contains("<td>Rechazada después</td>"), "{es}");
    assert!(!es.contains(">rejected_later<"), "{es}");
    // The state file took the change: read again, the row is failed, no refund.
    let page = appr.reconciled(&id).await;
    assert_eq!(count(&page, "rejected_later"), None, "{page}");
    assert_eq!(count(&page, "no_refund"), Some(1), "{page}");
    let j = appr.json(&id).await;
    assert_eq!(j["counts"]["failed"], 1, "{j}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_uploaded_settlement_report_matches_the_batch() {
    let d = desk(&[]).await;
    let Desk { w, sb, c, sub, .. } = &d;
    let Desk { appr, .. } = &d;

    let early = uploaded_as_script(sub).await;
    let (s, body) = appr
        .report(Some(&appr.csrf), &early, "s.csv", b"x".to_vec())
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "nothing sent yet: {body}");

    let id = sent(sub, appr).await;
    let report = crate::console_client::settlement(sb).into_bytes();
    // No report matched yet: nothing to download, and the page links none.
    let (s, body) = sub.get(&format!("/batches/{id}/report.csv")).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{body}");
    assert!(body.contains("no Mercado Pago report"), "{body}");
    let (_, page) = sub.get(&format!("/batches/{id}/report")).await;
    assert!(!page.contains("/report.csv"), "{page}");
    let (s, _) = appr
        .report(Some("forged"), &id, "s.csv", report.clone())
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let nobody = Person::nobody(c);
    let (s, _) = nobody
        .report(Some(&appr.csrf), &id, "s.csv", report.clone())
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let unknown = "0123456789abcdef0123456789abcdef";
    let (s, _) = appr
        .report(Some(&appr.csrf), unknown, "s.csv", report.clone())
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Bad files: a workbook, something that is no report, an empty file.
    let (s, body) = appr
        .report(Some(&appr.csrf), &id, "s.xlsx", b"PK\x03\x04rest".to_vec())
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("CSV"), "{body}");
    let (s, body) = appr
        .report(
            Some(&appr.csrf),
            &id,
            "other.csv",
            b"payment_id,amount\n1,2\n".to_vec(),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("neither a settlement report"), "{body}");
    assert!(body.contains("other.csv"), "named as uploaded: {body}");
    let (s, _) = appr
        .report(Some(&appr.csrf), &id, "e.csv", Vec::new())
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);

    let (s, to) = sub.report(Some(&sub.csrf), &id, SCRIPT_NAME, report).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{to}");
    assert_eq!(to, format!("/batches/{id}/report"));
    let (s, page) = sub.get(&to).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    assert_eq!(count(&page, "matched"), Some(3), "{page}");
    assert_eq!(count(&page, "missing_in_report"), None, "{page}");
    assert!(page.contains("data-agrees=\"true\""), "{page}");
    assert!(!page.contains("<img src=x"), "{page}");
    assert!(
        page.contains("&#60;img src=x onerror=alert(1)&#62;"),
        "{page}"
    );
    let (_, pt) = sub.get(&format!("{to}?lang=pt-BR")).await;
    assert!(pt.contains("R$ 3,75"), "{pt}");

    // The matching downloads as the engine wrote it beside the upload.
    let csv_path = format!("/batches/{id}/report.csv");
    assert!(page.contains(&format!("href=\"{csv_path}\"")), "{page}");
    let (s, _) = nobody.get(&csv_path).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let unknown = "0123456789abcdef0123456789abcdef";
    let (s, _) = sub.get(&format!("/batches/{unknown}/report.csv")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let r = sub.fetch(&csv_path).await;
    assert_eq!(r.status(), StatusCode::OK);
    let disposition = r.headers()[CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        disposition,
        format!("attachment; filename=\"report-match-{id}.csv\"")
    );
    let body = r.bytes().await.unwrap();
    let written: Vec<_> = std::fs::read_dir(w.path("state.db.uploads"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".report-match.csv"))
        .collect();
    assert_eq!(written.len(), 1, "{written:?}");
    assert_eq!(body, std::fs::read(&written[0]).unwrap());
    assert_eq!(
        String::from_utf8_lossy(&body)
            .lines()
            .filter(|l| l.starts_with("matched,"))
            .count(),
        3,
        "{}",
        String::from_utf8_lossy(&body)
    );

    let audit = audit(c).await;
    assert!(
        crate::console_client::has_line(&audit, &[",report_download,", id.as_str()]),
        "{audit}"
    );
    assert!(
        crate::console_client::has_line(&audit, &[",report,", id.as_str()]),
        "{audit}"
    );
    assert!(audit.contains(",report_refused,"), "{audit}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_report_over_the_cap_is_refused_with_413_and_not_kept() {
    let d = desk(&[]).await;
    let Desk { w, c, sub, .. } = &d;
    let Desk { appr, .. } = &d;
    let id = sent(sub, appr).await;
    let head = |framing: &str| {
        format!(
            "POST /batches/{id}/report HTTP/1.1\r\nHost: x\r\nCookie: {}\r\n\
             X-CSRF-Token: {}\r\nContent-Type: multipart/form-data; boundary=XX\r\n{framing}\r\n",
            session_cookie(&sub.b, c),
            sub.csrf
        )
    };
    // Over the cap, told by Content-Length: 413 before the body is sent.
    let answer = raw(c, &head("Content-Length: 2147483648\r\n"), &[]);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    // Over the cap, streamed without a length: 413 as it comes, nothing kept.
    let mut chunks = vec![
        b"--XX\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.csv\"\r\n\r\n\
          SOURCE_ID;TRANSACTION_TYPE;TRANSACTION_AMOUNT\n"
            .to_vec(),
    ];
    // 53 MB: just past the 50 MiB cap.
    let line = b"7100001;REFUND;-1.25\n".repeat(50_000);
    while chunks.iter().map(Vec::len).sum::<usize>() <= 53_000_000 {
        chunks.push(line.clone());
    }
    let answer = raw(c, &head("Transfer-Encoding: chunked\r\n"), &chunks);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    let reports = w.path("state.db.uploads/reports");
    let kept = std::fs::read_dir(&reports).map_or(0, |d| d.count());
    assert_eq!(kept, 0, "{reports:?}");
    // Nothing was matched: no page, no download.
    let (_, page) = sub.get(&format!("/batches/{id}/report")).await;
    assert!(!page.contains("data-finding="), "{page}");
    let (s, _) = sub.get(&format!("/batches/{id}/report.csv")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread")]
async fn reading_the_books_back_needs_the_token_the_console_was_started_with() {
    let (w, state) = crate::common::with_users();
    let sb = crate::common::sandbox();
    let id = sent_by_a_console_since_ended(&w, &state, &sb).await;
    // The same state file, a console without a token.
    let c = Console::start(&w, &state, &[]);
    let sub = Person::log_in(&c, "sub").await;
    let (s, body) = sub.step(&id, "reconcile", &[]).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(
        body.contains("without a Mercado Pago access token"),
        "{body}"
    );
    assert!(!body.contains(mprefund_sandbox::TEST_TOKEN), "{body}");
    // Nothing was begun: no reading under way, nothing audited.
    let (_, page) = sub.get(&format!("/batches/{id}/reconcile")).await;
    assert!(!page.contains("data-working"), "{page}");
    let audit = audit(&c).await;
    assert!(!audit.contains(",reconcile,"), "{audit}");
}

/// What reading the books back found, and the last report matched, are the
/// state file's: a console started again shows them, in the reader's words.
#[tokio::test(flavor = "multi_thread")]
async fn what_was_read_back_is_shown_after_a_restart() {
    let (w, state) = crate::common::with_users();
    let sb = crate::common::sandbox();
    let c = console_on(&w, &state, &sb, &[]);
    let sub = Person::log_in(&c, "sub").await;
    let appr = Person::log_in(&c, "appr").await;
    let id = sent(&sub, &appr).await;
    let page = appr.reconciled(&id).await;
    assert_eq!(count(&page, "matched"), Some(3), "{page}");
    let report = crate::console_client::settlement(&sb).into_bytes();
    let (s, to) = sub.report(Some(&sub.csrf), &id, "s.csv", report).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{to}");
    drop(c);
    let c = console_on(&w, &state, &sb, &[]);
    let sub = Person::log_in(&c, "sub").await;
    let page = sub
        .page(&format!("/batches/{id}/reconcile?lang=pt-BR"))
        .await;
    assert_eq!(count(&page, "matched"), Some(3), "{page}");
    assert!(page.contains("data-agrees=\"true\""), "{page}");
    assert!(page.contains("appr") && page.contains("R$ 3,75"), "{page}");
    assert!(page.contains("Devolução conferida"), "{page}");
    let page = sub.page(&format!("/batches/{id}/report")).await;
    assert_eq!(count(&page, "matched"), Some(3), "{page}");
    assert!(
        page.contains("data-agrees=\"true\"") && page.contains("s.csv"),
        "{page}"
    );
}

/// Mercado Pago answers every request after `ms` milliseconds from now on.
fn slow(sb: &mprefund_sandbox::SandboxHandle, ms: u64) {
    sb.set_faults(mprefund_sandbox::Faults {
        latency: Duration::from_millis(ms),
        ..Default::default()
    });
}

#[tokio::test(flavor = "multi_thread")]
async fn a_batch_is_not_sent_while_its_books_are_read_back_nor_read_back_while_sent() {
    let d = desk(&[]).await;
    let Desk { sb, sub, appr, .. } = &d;
    let id = uploaded_as_script(sub).await;
    approved(sub, appr, &id, "3.75").await;
    // A canary of one row: the batch stops, the rest still to send.
    appr.stepped(&id, "send", &[("canary", "1")]).await;
    assert_eq!(sub.settled(&id)["state"], "stopped");

    // Mercado Pago slow: the reading is still under way when "send now" comes.
    slow(sb, 3_000);
    sub.stepped(&id, "reconcile", &[]).await;
    let (_, page) = sub.get(&format!("/batches/{id}/reconcile")).await;
    assert!(page.contains("data-working"), "{page}");
    let (s, body) = answer(
        appr.post_in(&format!("/batches/{id}/send"), "pt-BR,pt;q=0.9", &[])
            .await,
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    assert!(
        body.contains("sendo conferido com o Mercado Pago"),
        "{body}"
    );
    let (s, body) = answer(
        appr.post_in(&format!("/batches/{id}/send"), "en", &[])
            .await,
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    assert!(body.contains("being read back"), "{body}");
    // Nothing moved: the batch is still stopped, one refund only.
    assert_eq!(sub.json(&id).await["state"], "stopped");
    assert_eq!(sb.refunds().len(), 1);

    // Once the reading ends, the batch sends.
    slow(sb, 0);
    let page = sub.read_back(&id);
    assert!(!page.contains("could not be read back"), "{page}");
    // Slow again: the send is under way when the reading is asked for.
    slow(sb, 3_000);
    appr.stepped(&id, "send", &[]).await;
    let (s, body) = answer(
        sub.post_in(&format!("/batches/{id}/reconcile"), "es", &[])
            .await,
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    assert!(body.contains("el lote se está enviando"), "{body}");
    slow(sb, 0);
    assert_eq!(sub.settled(&id)["state"], "finished");
    let per_key = refunds_per_key(sb);
    assert_eq!(per_key.len(), 3, "{per_key:?}");
    assert!(per_key.values().all(|n| *n == 1), "{per_key:?}");
}
