//! The console's refusals as a Brazilian or Spanish-speaking analyst meets them:
//! a total typed as people type it (`R$ 5.855,60`), a wrong total at approval
//! that says only that it does not match (never the right total, never a flag
//! of the command line), and every refusal a page of the console in the
//! person's language with a way back.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{ACCEPT_LANGUAGE, CONTENT_TYPE};

use crate::common::{Console, Work, ordinary_csv, sandbox, state_with_users};
use crate::console::{Browser, logged_in, text};
use crate::four_eyes::{console_on, json, uploaded};

/// `POST /batches/{id}/{step}` in `lang`: status, content type and body.
async fn post_in(
    c: &Console,
    b: &Browser,
    csrf: &str,
    id: &str,
    step: &str,
    total: &str,
    lang: &str,
) -> (StatusCode, String, String) {
    let r = b
        .post(c.url(&format!("/batches/{id}/{step}")))
        .header(ACCEPT_LANGUAGE, lang)
        .form(&[("expect_total", total), ("csrf", csrf)])
        .send()
        .await
        .unwrap();
    let status = r.status();
    let kind = r
        .headers()
        .get(CONTENT_TYPE)
        .map_or(String::new(), |k| k.to_str().unwrap().to_owned());
    (status, kind, text(r).await)
}

/// Until the batch's total to type is known (the account's currency read).
async fn total_known(c: &Console, b: &Browser, id: &str) -> String {
    let mut last = serde_json::Value::Null;
    for _ in 0..2000 {
        last = json(c, b, id).await;
        if let Some(t) = last["to_type"].as_str() {
            return t.to_owned();
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the total to type never came: {last}");
}

#[tokio::test]
async fn a_wrong_total_at_approval_says_only_that_it_does_not_match() {
    let w = Work::new();
    let state = state_with_users(&w);
    let sb = sandbox();
    let c = console_on(&w, &state, &sb, &[]);
    let (sub, sub_csrf) = logged_in(&c, "sub").await;
    let (appr, appr_csrf) = logged_in(&c, "appr").await;
    // 4 × 1.25 = 5.00
    let id = uploaded(&c, &sub, &sub_csrf, &ordinary_csv(4, 1), false).await;
    assert!(total_known(&c, &sub, &id).await.starts_with("5.00"));
    let (s, _, body) = post_in(&c, &sub, &sub_csrf, &id, "submit", "5.00", "en").await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    for (lang, words) in [
        ("en", "does not match"),
        ("pt-BR,pt;q=0.9", "não confere"),
        ("es", "no coincide"),
    ] {
        for typed in ["4.99", "4,99 BRL", "R$ 4,99", "5.01:BRL + 1 full"] {
            let (s, kind, body) = post_in(&c, &appr, &appr_csrf, &id, "approve", typed, lang).await;
            assert_eq!(
                s,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{lang} {typed}: {body}"
            );
            assert!(kind.starts_with("text/html"), "{lang}: {kind}");
            assert!(body.contains(words), "{lang} {typed}: {body}");
            for secret in ["5.00", "5,00", "--expect-total", "expect_total "] {
                assert!(
                    !body.contains(secret),
                    "{lang} {typed}: the refusal shows {secret:?}: {body}"
                );
            }
        }
    }
    assert_eq!(json(&c, &appr, &id).await["state"], "submitted");
    // The submitter, who prepares the batch, is told the file's sum, in her words.
    let other = uploaded(&c, &sub, &sub_csrf, &ordinary_csv(2, 2), false).await;
    total_known(&c, &sub, &other).await;
    let (s, _, body) = post_in(&c, &sub, &sub_csrf, &other, "submit", "2", "pt-BR").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("2,50") && body.contains("não confere"),
        "{body}"
    );
    assert!(!body.contains("--expect-total"), "{body}");
}

#[tokio::test]
async fn totals_typed_as_brazilians_type_them_are_accepted() {
    let w = Work::new();
    let state = state_with_users(&w);
    let sb = sandbox();
    let c = console_on(&w, &state, &sb, &[]);
    let (sub, sub_csrf) = logged_in(&c, "sub").await;
    let (appr, appr_csrf) = logged_in(&c, "appr").await;
    // As Excel pt-BR saves it: `;`, CRLF, decimal commas, thousands grouped.
    let csv = "ID do pagamento;Valor;Motivo\r\n1001;1.234,56;arrependimento\r\n\
               1002;4.621,04;duplicado\r\n";
    let id = uploaded(&c, &sub, &sub_csrf, csv, false).await;
    assert!(total_known(&c, &sub, &id).await.starts_with("5855.60"));
    let (s, _, body) = post_in(&c, &sub, &sub_csrf, &id, "submit", "R$ 5.855,60", "pt-BR").await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    let (s, _, body) = post_in(&c, &appr, &appr_csrf, &id, "approve", "5.855,60", "pt-BR").await;
    assert_ne!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}

#[tokio::test]
async fn a_refused_step_is_a_page_of_the_console_with_a_way_back() {
    let w = Work::new();
    let state = state_with_users(&w);
    let sb = sandbox();
    let c = console_on(&w, &state, &sb, &[]);
    let (sub, sub_csrf) = logged_in(&c, "sub").await;
    // A line with a bad amount, uploaded without "skip the bad lines".
    let csv = "payment_id,amount\n1001,1.25\n1002,abc\n";
    let id = uploaded(&c, &sub, &sub_csrf, csv, false).await;
    for (lang, words) in [("en", "bad line"), ("pt-BR", "linha"), ("es", "línea")] {
        let (s, kind, body) = post_in(&c, &sub, &sub_csrf, &id, "submit", "1.25", lang).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(kind.starts_with("text/html"), "{lang}: {kind}: {body}");
        assert!(body.contains(words), "{lang}: {body}");
        assert!(
            body.contains(&format!("href=\"/batches/{id}\"")),
            "{lang}: no way back: {body}"
        );
        assert!(body.contains("<html lang="), "{lang}: {body}");
    }
    // A total nobody can read: the page says how to write one.
    let (s, kind, body) = post_in(&c, &sub, &sub_csrf, &id, "submit", "cinco", "pt-BR").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(kind.starts_with("text/html"), "{kind}");
    assert!(body.contains("R$ 1.234,56"), "{body}");
    assert!(!body.contains("expect_total"), "{body}");
    // A batch that does not exist: 404, a page, and the way home.
    let r = sub
        .post(c.url("/batches/0000000000000000/submit"))
        .header(ACCEPT_LANGUAGE, "es")
        .form(&[("expect_total", "1"), ("csrf", sub_csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(
        r.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let body = text(r).await;
    assert!(body.contains("href=\"/\""), "{body}");
}
