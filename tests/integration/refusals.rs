//! The console's refusals as a Brazilian or Spanish-speaking analyst meets them:
//! a total typed as people type it (`R$ 5.855,60`), a wrong total at approval
//! that says only that it does not match (never the right total, never a flag
//! of the command line), and every refusal a page of the console in the
//! person's language with a way back.

use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;

use crate::common::ordinary_csv;
use crate::console_client::{Desk, Person, answer, desk, text};

/// `POST /batches/{id}/{step}` with a typed total, in `lang`: status,
/// content type and body.
async fn post_in(
    b: &Person,
    id: &str,
    step: &str,
    total: &str,
    lang: &str,
) -> (StatusCode, String, String) {
    let r = b.step_in(id, step, total, lang).await;
    let kind = r
        .headers()
        .get(CONTENT_TYPE)
        .map_or(String::new(), |k| k.to_str().unwrap().to_owned());
    let (status, body) = answer(r).await;
    (status, kind, body)
}

/// Once the batch's total to type is known (the account's currency read).
fn total_known(b: &Person, id: &str) -> String {
    b.to_type(id)["to_type"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_total_at_approval_says_only_that_it_does_not_match() {
    let d = desk(&[]).await;
    let Desk { sub, appr, .. } = &d;
    // 4 × 1.25 = 5.00
    let id = sub.uploaded(&ordinary_csv(4, 1), false).await;
    assert!(total_known(sub, &id).starts_with("5.00"));
    let (s, _, body) = post_in(sub, &id, "submit", "5.00", "en").await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    for (lang, words) in [
        ("en", "does not match"),
        ("pt-BR,pt;q=0.9", "não confere"),
        ("es", "no coincide"),
    ] {
        for typed in ["4.99", "4,99 BRL", "R$ 4,99", "5.01:BRL + 1 full"] {
            let (s, kind, body) = post_in(appr, &id, "approve", typed, lang).await;
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
    assert_eq!(appr.json(&id).await["state"], "submitted");
    // The submitter, who prepares the batch, is told the file's sum, in her words.
    let other = sub.uploaded(&ordinary_csv(2, 2), false).await;
    total_known(sub, &other);
    let (s, _, body) = post_in(sub, &other, "submit", "2", "pt-BR").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("2,50") && body.contains("não confere"),
        "{body}"
    );
    assert!(!body.contains("--expect-total"), "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn totals_typed_as_brazilians_type_them_are_accepted() {
    let d = desk(&[]).await;
    let Desk { sub, appr, .. } = &d;
    // As Excel pt-BR saves it: `;`, CRLF, decimal commas, thousands grouped.
    let csv = "ID do pagamento;Valor;Motivo\r\n1001;1.234,56;arrependimento\r\n\
               1002;4.621,04;duplicado\r\n";
    let id = sub.uploaded(csv, false).await;
    assert!(total_known(sub, &id).starts_with("5855.60"));
    let (s, _, body) = post_in(sub, &id, "submit", "R$ 5.855,60", "pt-BR").await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    let (s, _, body) = post_in(appr, &id, "approve", "5.855,60", "pt-BR").await;
    assert_ne!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_step_is_a_page_of_the_console_with_a_way_back() {
    let d = desk(&[]).await;
    let Desk { sub, .. } = &d;
    // A line with a bad amount, uploaded without "skip the bad lines".
    let csv = "payment_id,amount\n1001,1.25\n1002,abc\n";
    let id = sub.uploaded(csv, false).await;
    for (lang, words) in [("en", "bad line"), ("pt-BR", "linha"), ("es", "línea")] {
        let (s, kind, body) = post_in(sub, &id, "submit", "1.25", lang).await;
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
    let (s, kind, body) = post_in(sub, &id, "submit", "cinco", "pt-BR").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(kind.starts_with("text/html"), "{kind}");
    assert!(body.contains("R$ 1.234,56"), "{body}");
    assert!(!body.contains("expect_total"), "{body}");
    // A batch that does not exist: 404, a page, and the way home.
    let r = sub.step_in("0000000000000000", "submit", "1", "es").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(crate::console_client::header(&r, CONTENT_TYPE).starts_with("text/html"));
    let body = text(r).await;
    assert!(body.contains("href=\"/\""), "{body}");
}

/// A file as Excel pt-BR saves it (Windows-1252, `;`, CRLF, Portuguese
/// header, grouped amounts) with planted problems: its plan reads in
/// Portuguese — every bad line's reason and how the file was read — with no
/// word of the command line.
#[tokio::test(flavor = "multi_thread")]
async fn a_pt_br_files_bad_lines_read_in_portuguese() {
    let d = desk(&[]).await;
    let Desk { sub, .. } = &d;
    let csv = b"ID do pagamento;Valor;Motivo\r\n\
        1001;1.234,56;Devolu\xe7\xe3o\r\n\
        1002;;cliente\r\n\
        1003;12,5O;erro\r\n\
        1001;1.234,56;Devolu\xe7\xe3o\r\n\
        1004;10,50;ok\r\n"
        .to_vec();
    let id = sub.uploaded_as("devolucoes.csv", csv, false).await;
    let page = sub.page_in(&format!("/batches/{id}"), "pt-BR").await;
    crate::console_client::shows(
        "the plan",
        &page,
        &[
            "o valor está em branco",
            "o valor “12,5O” precisa ser um número simples",
            "repete a linha 2",
            "ponto e vírgula (;)",
            "Windows-1252 (não é UTF-8",
            "<td>ID do pagamento</td>",
        ],
        &[
            "--allow-duplicates",
            "blank amount",
            "semicolon",
            "must be a plain number",
            "thousands separator",
        ],
    );
}
