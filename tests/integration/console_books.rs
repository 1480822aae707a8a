//! `mprefund console`, reading the books back (issue 21): a sent batch
//! reconciled against the API from the console, by `reconcile`'s own library
//! function, and matched against a settlement report uploaded there — over
//! HTTP, through the binary, with the hostile cases (forged CSRF, no session,
//! unknown batch, nothing sent yet, a script and a formula in a cell).

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{ACCEPT_LANGUAGE, CONTENT_DISPOSITION, LOCATION};

use crate::common::{Console, Work, refunds_per_key, state_with_users, wait_until};
use crate::console::{Browser, browser, logged_in, raw, session_cookie, text, upload};
use crate::four_eyes::{console_on, json, step};

/// A file name a browser may send; shown escaped, never run.
const SCRIPT_NAME: &str = "<img src=x onerror=alert(1)>.csv";
/// Three rows; the third's reference is a formula.
const CSV: &str = "payment_id,amount,reference\n\
                   7100001,1.25,a\n7100002,1.25,b\n7100003,1.25,\"=HYPERLINK(\"\"http://x\"\")\"\n";

/// Uploaded by `sub` (named [`SCRIPT_NAME`]), submitted, approved by `appr`,
/// sent and finished: its console batch id.
async fn sent(c: &Console, sub: &(Browser, String), appr: &(Browser, String)) -> String {
    let id = uploaded_as_script(c, sub).await;
    let (s, body) = step(
        c,
        &sub.0,
        Some(&sub.1),
        &id,
        "submit",
        &[("expect_total", "3.75")],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    let (s, body) = step(
        c,
        &appr.0,
        Some(&appr.1),
        &id,
        "approve",
        &[("expect_total", "3.75")],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    let (s, body) = step(c, &appr.0, Some(&appr.1), &id, "send", &[]).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    let mut last = serde_json::Value::Null;
    for _ in 0..6000 {
        last = json(c, &sub.0, &id).await;
        if last["state"] == "finished" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(last["state"], "finished", "{last}");
    id
}

async fn uploaded_as_script(c: &Console, sub: &(Browser, String)) -> String {
    let r = upload(
        c,
        &sub.0,
        Some(&sub.1),
        SCRIPT_NAME,
        CSV.as_bytes().to_vec(),
        false,
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", text(r).await);
    let to = r.headers()[LOCATION].to_str().unwrap().to_owned();
    to.strip_prefix("/batches/").unwrap().to_owned()
}

async fn get(c: &Console, b: &Browser, path: &str) -> (StatusCode, String) {
    let r = b.get(c.url(path)).send().await.unwrap();
    (r.status(), text(r).await)
}

/// `POST /batches/{id}/reconcile`, then the findings page once it is done.
async fn reconciled(c: &Console, b: &(Browser, String), id: &str) -> String {
    let (s, body) = step(c, &b.0, Some(&b.1), id, "reconcile", &[]).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    let path = format!("/batches/{id}/reconcile");
    let mut page = String::new();
    let rt = tokio::runtime::Handle::current();
    tokio::task::block_in_place(|| {
        wait_until("the reconciliation", Duration::from_secs(60), || {
            let (s, p) = rt.block_on(get(c, &b.0, &path));
            assert_eq!(s, StatusCode::OK, "{p}");
            page = p;
            !page.contains("data-working")
        })
    });
    page
}

/// The count a findings page shows for `finding` (none: not shown).
fn count(page: &str, finding: &str) -> Option<u64> {
    let at = page.find(&format!("data-finding=\"{finding}\" data-count=\""))?;
    let rest = &page[at..];
    let rest = &rest[rest.find("data-count=\"").unwrap() + "data-count=\"".len()..];
    rest.split('"').next()?.parse().ok()
}

async fn audit(c: &Console) -> String {
    let boss = logged_in(c, "boss").await;
    get(c, &boss.0, "/audit.csv").await.1
}

#[tokio::test(flavor = "multi_thread")]
async fn reconcile_after_a_send_shows_every_row_agreeing_and_its_csv_downloads() {
    let w = Work::new();
    let state = state_with_users(&w);
    let sb = crate::common::sandbox();
    let c = console_on(&w, &state, &sb, &[]);
    let sub = logged_in(&c, "sub").await;
    let appr = logged_in(&c, "appr").await;

    // Nothing sent yet: nothing to read back.
    let id = uploaded_as_script(&c, &sub).await;
    let (s, body) = step(&c, &appr.0, Some(&appr.1), &id, "reconcile", &[]).await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    assert!(body.contains("nothing was sent yet"), "{body}");
    // The same refusal in the person's language.
    let r = appr
        .0
        .post(c.url(&format!("/batches/{id}/reconcile")))
        .header(ACCEPT_LANGUAGE, "pt-BR,pt;q=0.9")
        .form(&[("csrf", appr.1.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let body = text(r).await;
    assert!(
        body.contains("nenhum estorno foi pedido ao Mercado Pago ainda"),
        "{body}"
    );
    let (s, _) = step(
        &c,
        &sub.0,
        Some(&sub.1),
        &id,
        "submit",
        &[("expect_total", "3.75")],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (s, _) = step(
        &c,
        &appr.0,
        Some(&appr.1),
        &id,
        "approve",
        &[("expect_total", "3.75")],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (s, body) = step(&c, &appr.0, Some(&appr.1), &id, "reconcile", &[]).await;
    assert_eq!(s, StatusCode::CONFLICT, "approved, not sent: {body}");
    assert!(sb.refunds().is_empty());

    let id = sent(&c, &sub, &appr).await;
    // The hostile cases first: forged token, no session, no such batch.
    let (s, _) = step(&c, &appr.0, Some("forged"), &id, "reconcile", &[]).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = step(&c, &appr.0, None, &id, "reconcile", &[]).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = step(&c, &browser(), Some(&appr.1), &id, "reconcile", &[]).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let unknown = "0123456789abcdef0123456789abcdef";
    let (s, _) = step(&c, &appr.0, Some(&appr.1), unknown, "reconcile", &[]).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = step(&c, &appr.0, Some(&appr.1), "../../etc", "reconcile", &[]).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = get(&c, &appr.0, &format!("/batches/{unknown}/reconcile")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let r = browser()
        .get(c.url(&format!("/batches/{id}/reconcile.csv")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    // Not reconciled yet: the page says so and offers the button.
    let (s, page) = get(&c, &sub.0, &format!("/batches/{id}/reconcile")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains(&format!("action=\"/batches/{id}/reconcile\"")),
        "{page}"
    );
    // The batch page links to it.
    let (_, page) = get(&c, &sub.0, &format!("/batches/{id}")).await;
    assert!(page.contains(&format!("/batches/{id}/reconcile")), "{page}");

    // The submitter may read the books back too.
    let page = reconciled(&c, &sub, &id).await;
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
    let (_, pt) = get(&c, &sub.0, &format!("/batches/{id}/reconcile?lang=pt-BR")).await;
    assert!(pt.contains("R$ 3,75"), "{pt}");
    assert!(pt.contains("Reembolso conferido"), "{pt}");

    // The reconciliation CSV, in the batch's dialect, the formula neutralised.
    let r = sub
        .0
        .get(c.url(&format!("/batches/{id}/reconcile.csv")))
        .send()
        .await
        .unwrap();
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

    let audit = audit(&c).await;
    for action in [",reconcile,", ",reconcile_download,"] {
        assert!(
            audit
                .lines()
                .any(|l| l.contains(action) && l.contains(id.as_str())),
            "{action} not in {audit}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn books_that_differ_show_the_finding_with_what_to_do() {
    let w = Work::new();
    let state = state_with_users(&w);
    let sb = crate::common::sandbox();
    let c = console_on(&w, &state, &sb, &[]);
    let sub = logged_in(&c, "sub").await;
    let appr = logged_in(&c, "appr").await;
    let id = sent(&c, &sub, &appr).await;
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

    let page = reconciled(&c, &appr, &id).await;
    assert_eq!(count(&page, "matched"), Some(2), "{page}");
    assert_eq!(count(&page, "rejected_later"), Some(1), "{page}");
    assert!(page.contains("data-agrees=\"false\""), "{page}");
    assert!(
        page.contains(&refund.id.to_string()),
        "the row is listed: {page}"
    );
    // What it means and what to do, in the page's language.
    let (_, es) = get(&c, &appr.0, &format!("/batches/{id}/reconcile?lang=es")).await;
    assert!(es.contains("cancelado o rechazado"), "{es}");
    // The state file took the change: read again, the row is failed, no refund.
    let page = reconciled(&c, &appr, &id).await;
    assert_eq!(count(&page, "rejected_later"), None, "{page}");
    assert_eq!(count(&page, "no_refund"), Some(1), "{page}");
    let j = json(&c, &appr.0, &id).await;
    assert_eq!(j["counts"]["failed"], 1, "{j}");
}

/// A settlement report of the batch's refunds, as Mercado Pago writes it.
fn settlement(sb: &mprefund_sandbox::SandboxHandle) -> String {
    let today = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let mut s = String::from(
        "SOURCE_ID;TRANSACTION_TYPE;TRANSACTION_AMOUNT;TRANSACTION_CURRENCY;TRANSACTION_DATE;METADATA\n",
    );
    for r in sb.refunds() {
        s.push_str(&format!(
            "{};REFUND;-{};BRL;{today};\"{{\"\"refund_id\"\": {}}}\"\n",
            r.payment_id, r.amount, r.id
        ));
    }
    s
}

async fn post_report(
    c: &Console,
    b: &Browser,
    csrf: Option<&str>,
    id: &str,
    name: &str,
    bytes: Vec<u8>,
) -> (StatusCode, String) {
    let mut form = reqwest::multipart::Form::new();
    if let Some(t) = csrf {
        form = form.text("csrf", t.to_owned());
    }
    let part = reqwest::multipart::Part::bytes(bytes)
        .file_name(name.to_owned())
        .mime_str("text/csv")
        .unwrap();
    form = form.part("file", part);
    let r = b
        .post(c.url(&format!("/batches/{id}/report")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let s = r.status();
    let to = r
        .headers()
        .get(LOCATION)
        .map(|l| l.to_str().unwrap().to_owned());
    (s, to.unwrap_or(text(r).await))
}

#[tokio::test(flavor = "multi_thread")]
async fn an_uploaded_settlement_report_matches_the_batch() {
    let w = Work::new();
    let state = state_with_users(&w);
    let sb = crate::common::sandbox();
    let c = console_on(&w, &state, &sb, &[]);
    let sub = logged_in(&c, "sub").await;
    let appr = logged_in(&c, "appr").await;

    let early = uploaded_as_script(&c, &sub).await;
    let (s, body) = post_report(&c, &appr.0, Some(&appr.1), &early, "s.csv", b"x".to_vec()).await;
    assert_eq!(s, StatusCode::CONFLICT, "nothing sent yet: {body}");

    let id = sent(&c, &sub, &appr).await;
    let report = settlement(&sb).into_bytes();
    // No report matched yet: nothing to download, and the page links none.
    let (s, body) = get(&c, &sub.0, &format!("/batches/{id}/report.csv")).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{body}");
    assert!(body.contains("no Mercado Pago report"), "{body}");
    let (_, page) = get(&c, &sub.0, &format!("/batches/{id}/report")).await;
    assert!(!page.contains("/report.csv"), "{page}");
    let (s, _) = post_report(&c, &appr.0, Some("forged"), &id, "s.csv", report.clone()).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = post_report(&c, &browser(), Some(&appr.1), &id, "s.csv", report.clone()).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let unknown = "0123456789abcdef0123456789abcdef";
    let (s, _) = post_report(&c, &appr.0, Some(&appr.1), unknown, "s.csv", report.clone()).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Bad files: a workbook, something that is no report, an empty file.
    let (s, body) = post_report(
        &c,
        &appr.0,
        Some(&appr.1),
        &id,
        "s.xlsx",
        b"PK\x03\x04rest".to_vec(),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("CSV"), "{body}");
    let (s, body) = post_report(
        &c,
        &appr.0,
        Some(&appr.1),
        &id,
        "other.csv",
        b"payment_id,amount\n1,2\n".to_vec(),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("neither a settlement report"), "{body}");
    assert!(body.contains("other.csv"), "named as uploaded: {body}");
    let (s, _) = post_report(&c, &appr.0, Some(&appr.1), &id, "e.csv", Vec::new()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);

    let (s, to) = post_report(&c, &sub.0, Some(&sub.1), &id, SCRIPT_NAME, report).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{to}");
    assert_eq!(to, format!("/batches/{id}/report"));
    let (s, page) = get(&c, &sub.0, &to).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    assert_eq!(count(&page, "matched"), Some(3), "{page}");
    assert_eq!(count(&page, "missing_in_report"), None, "{page}");
    assert!(page.contains("data-agrees=\"true\""), "{page}");
    assert!(!page.contains("<img src=x"), "{page}");
    assert!(
        page.contains("&#60;img src=x onerror=alert(1)&#62;"),
        "{page}"
    );
    let (_, pt) = get(&c, &sub.0, &format!("{to}?lang=pt-BR")).await;
    assert!(pt.contains("R$ 3,75"), "{pt}");

    // The matching downloads as the engine wrote it beside the upload.
    let csv_path = format!("/batches/{id}/report.csv");
    assert!(page.contains(&format!("href=\"{csv_path}\"")), "{page}");
    let r = browser().get(c.url(&csv_path)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let unknown = "0123456789abcdef0123456789abcdef";
    let (s, _) = get(&c, &sub.0, &format!("/batches/{unknown}/report.csv")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let r = sub.0.get(c.url(&csv_path)).send().await.unwrap();
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

    let audit = audit(&c).await;
    assert!(
        audit
            .lines()
            .any(|l| l.contains(",report_download,") && l.contains(id.as_str())),
        "{audit}"
    );
    assert!(
        audit
            .lines()
            .any(|l| l.contains(",report,") && l.contains(id.as_str())),
        "{audit}"
    );
    assert!(audit.contains(",report_refused,"), "{audit}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_report_over_the_cap_is_refused_with_413_and_not_kept() {
    let w = Work::new();
    let state = state_with_users(&w);
    let sb = crate::common::sandbox();
    let c = console_on(&w, &state, &sb, &[]);
    let sub = logged_in(&c, "sub").await;
    let appr = logged_in(&c, "appr").await;
    let id = sent(&c, &sub, &appr).await;
    let head = |framing: &str| {
        format!(
            "POST /batches/{id}/report HTTP/1.1\r\nHost: x\r\nCookie: {}\r\n\
             X-CSRF-Token: {}\r\nContent-Type: multipart/form-data; boundary=XX\r\n{framing}\r\n",
            session_cookie(&sub.0, &c),
            sub.1
        )
    };
    // Over the cap, told by Content-Length: 413 before the body is sent.
    let answer = raw(&c, &head("Content-Length: 2147483648\r\n"), &[]);
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
    let answer = raw(&c, &head("Transfer-Encoding: chunked\r\n"), &chunks);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    let reports = w.path("state.db.uploads/reports");
    let kept = std::fs::read_dir(&reports).map_or(0, |d| d.count());
    assert_eq!(kept, 0, "{reports:?}");
    // Nothing was matched: no page, no download.
    let (_, page) = get(&c, &sub.0, &format!("/batches/{id}/report")).await;
    assert!(!page.contains("data-finding="), "{page}");
    let (s, _) = get(&c, &sub.0, &format!("/batches/{id}/report.csv")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread")]
async fn reading_the_books_back_needs_the_token_the_console_was_started_with() {
    let w = Work::new();
    let state = state_with_users(&w);
    let sb = crate::common::sandbox();
    let id = {
        let c = console_on(&w, &state, &sb, &[]);
        let sub = logged_in(&c, "sub").await;
        let appr = logged_in(&c, "appr").await;
        sent(&c, &sub, &appr).await
    };
    // The same state file, a console without a token.
    let c = Console::start(&w, &state, &[]);
    let sub = logged_in(&c, "sub").await;
    let (s, body) = step(&c, &sub.0, Some(&sub.1), &id, "reconcile", &[]).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(body.contains("without an access token"), "{body}");
    assert!(!body.contains(mprefund_sandbox::TEST_TOKEN), "{body}");
    // Nothing was begun: no reading under way, nothing audited.
    let (_, page) = get(&c, &sub.0, &format!("/batches/{id}/reconcile")).await;
    assert!(!page.contains("data-working"), "{page}");
    let audit = audit(&c).await;
    assert!(!audit.contains(",reconcile,"), "{audit}");
}

/// `POST /batches/{id}/{what}` by `b`, in `lang`.
async fn post_in(
    c: &Console,
    b: &(Browser, String),
    id: &str,
    what: &str,
    lang: &str,
) -> (StatusCode, String) {
    let r =
        b.0.post(c.url(&format!("/batches/{id}/{what}")))
            .header(ACCEPT_LANGUAGE, lang)
            .form(&[("csrf", b.1.as_str())])
            .send()
            .await
            .unwrap();
    (r.status(), text(r).await)
}

/// Mercado Pago answers every request after `ms` milliseconds from now on.
fn slow(sb: &mprefund_sandbox::SandboxHandle, ms: u64) {
    sb.set_faults(mprefund_sandbox::Faults {
        latency: Duration::from_millis(ms),
        ..Default::default()
    });
}

/// The batch `id` once it is no longer being sent.
async fn settled(c: &Console, b: &Browser, id: &str) -> serde_json::Value {
    let rt = tokio::runtime::Handle::current();
    let mut last = serde_json::Value::Null;
    tokio::task::block_in_place(|| {
        wait_until("the send to end", Duration::from_secs(60), || {
            last = rt.block_on(json(c, b, id));
            last["state"] != "sending"
        })
    });
    last
}

#[tokio::test(flavor = "multi_thread")]
async fn a_batch_is_not_sent_while_its_books_are_read_back_nor_read_back_while_sent() {
    let w = Work::new();
    let state = state_with_users(&w);
    let sb = crate::common::sandbox();
    let c = console_on(&w, &state, &sb, &[]);
    let sub = logged_in(&c, "sub").await;
    let appr = logged_in(&c, "appr").await;
    let id = uploaded_as_script(&c, &sub).await;
    for (who, what) in [(&sub, "submit"), (&appr, "approve")] {
        let (s, body) = step(
            &c,
            &who.0,
            Some(&who.1),
            &id,
            what,
            &[("expect_total", "3.75")],
        )
        .await;
        assert_eq!(s, StatusCode::SEE_OTHER, "{what}: {body}");
    }
    // A canary of one row: the batch stops, the rest still to send.
    let (s, body) = step(&c, &appr.0, Some(&appr.1), &id, "send", &[("canary", "1")]).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(settled(&c, &sub.0, &id).await["state"], "stopped");

    // Mercado Pago slow: the reading is still under way when "send now" comes.
    slow(&sb, 3_000);
    let (s, body) = step(&c, &sub.0, Some(&sub.1), &id, "reconcile", &[]).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    let (_, page) = get(&c, &sub.0, &format!("/batches/{id}/reconcile")).await;
    assert!(page.contains("data-working"), "{page}");
    let (s, body) = post_in(&c, &appr, &id, "send", "pt-BR,pt;q=0.9").await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    assert!(
        body.contains("sendo conferido com o Mercado Pago"),
        "{body}"
    );
    let (s, body) = post_in(&c, &appr, &id, "send", "en").await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    assert!(body.contains("being read back"), "{body}");
    // Nothing moved: the batch is still stopped, one refund only.
    assert_eq!(json(&c, &sub.0, &id).await["state"], "stopped");
    assert_eq!(sb.refunds().len(), 1);

    // Once the reading ends, the batch sends.
    slow(&sb, 0);
    let page = {
        let rt = tokio::runtime::Handle::current();
        let path = format!("/batches/{id}/reconcile");
        let mut page = String::new();
        tokio::task::block_in_place(|| {
            wait_until("the reconciliation", Duration::from_secs(60), || {
                page = rt.block_on(get(&c, &sub.0, &path)).1;
                !page.contains("data-working")
            })
        });
        page
    };
    assert!(!page.contains("could not be read back"), "{page}");
    // Slow again: the send is under way when the reading is asked for.
    slow(&sb, 3_000);
    let (s, body) = step(&c, &appr.0, Some(&appr.1), &id, "send", &[]).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    let (s, body) = post_in(&c, &sub, &id, "reconcile", "es").await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    assert!(body.contains("el lote se está enviando"), "{body}");
    slow(&sb, 0);
    assert_eq!(settled(&c, &sub.0, &id).await["state"], "finished");
    let per_key = refunds_per_key(&sb);
    assert_eq!(per_key.len(), 3, "{per_key:?}");
    assert!(per_key.values().all(|n| *n == 1), "{per_key:?}");
}
