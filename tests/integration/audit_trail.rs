//! The audit trail as a Brazilian admin reads it: actions in words, batches by
//! their file name, times at the console's zone, logins folded per account and
//! day, refused steps recorded — on the page and in the CSV she opens in Excel.

use reqwest::StatusCode;

use crate::common::ordinary_csv;
use crate::console_client::{Person, answer, desk, form_token, try_login};

#[tokio::test]
async fn the_trail_speaks_her_language_with_file_names_folded_logins_and_refusals() {
    let d = desk(&[]).await;
    // Two failed logins of one account on one day: one line saying two.
    let b = crate::console_client::browser();
    for _ in 0..2 {
        let csrf = form_token(&d.c, &b).await;
        let r = try_login(&d.c, &b, &csrf, "appr", "wrong").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let id = d
        .sub
        .uploaded_as(
            "devoluções março.csv",
            ordinary_csv(3, 7).into_bytes(),
            false,
        )
        .await;
    // A wrong total, a forged form: both refused, both audited.
    let (s, _) = d.sub.step(&id, "submit", &[("expect_total", "9.99")]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = d
        .sub
        .step_with(Some("forged"), &id, "submit", &[("expect_total", "3.75")])
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    let boss = Person::log_in(&d.c, "boss").await;
    let (s, page) = answer(boss.get_in("/audit", "pt-BR").await).await;
    assert_eq!(s, StatusCode::OK);
    for said in [
        "Carregou um arquivo",
        "devoluções março.csv",
        "Entrada recusada",
        "2 vezes",
        "Passo recusado",
        "Pediu aprovação: o total digitado não confere",
        "não veio da página desta sessão",
    ] {
        assert!(page.contains(said), "{said} in {page}");
    }
    for english in [
        ">upload<",
        ">login_failed<",
        ">step_refused<",
        "wrong_total",
    ] {
        assert!(!page.contains(english), "{english} in {page}");
    }
    // The batch is linked by its id, named by its file.
    assert!(page.contains(&format!("href=\"/batches/{id}\"")), "{page}");
    assert!(!page.contains(&format!(">{id}<")), "{page}");
    // Nothing typed into the form is kept, nor the session's token.
    assert!(
        !page.contains("9.99") && !page.contains(&d.sub.csrf),
        "{page}"
    );

    let r = boss.get_in("/audit.csv", "pt-BR").await;
    assert_eq!(r.status(), StatusCode::OK);
    let bytes = r.bytes().await.unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "a BOM for Excel");
    let csv = String::from_utf8(bytes[3..].to_vec()).unwrap();
    let lines: Vec<&str> = csv.split_terminator("\r\n").collect();
    assert!(lines[0].starts_with("Quando ("), "{csv}");
    assert!(lines[0].contains(";Conta;O quê;"), "{csv}");
    let line_of = |what: &str| {
        lines
            .iter()
            .find(|l| l.contains(what))
            .unwrap_or_else(|| panic!("{what} in {csv}"))
            .to_owned()
    };
    assert!(line_of(";Carregou um arquivo;").contains(";devoluções março.csv;"));
    assert!(line_of(";Entrada recusada;").contains("2 vezes"));
    assert!(line_of("o total digitado não confere").contains(";devoluções março.csv;"));
    assert!(csv.contains(";Baixou a trilha de auditoria;"), "{csv}");
    assert!(!csv.contains('\n') || csv.matches('\n').count() == csv.matches("\r\n").count());
}

/// Every step's detail, as a Brazilian admin and a Spanish-speaking one read
/// it: uploads, refusals, totals, approvals, sends, downloads, the books and
/// a report, a rejection — each said from its kind and values in the
/// reader's language, none in the tool's English; and still no total that
/// was refused, nor any session's token.
#[tokio::test(flavor = "multi_thread")]
async fn every_detail_of_the_trail_is_said_in_the_readers_language() {
    let d = desk(&[]).await;
    let b = crate::console_client::browser();
    let csrf = form_token(&d.c, &b).await;
    let r = try_login(&d.c, &b, &csrf, "nobody-here", "wrong").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    let id = d
        .sub
        .uploaded_as("março.csv", ordinary_csv(3, 7).into_bytes(), false)
        .await;
    let (s, _) = d.sub.step(&id, "submit", &[("expect_total", "9.99")]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    crate::console_client::approved(&d.sub, &d.appr, &id, "3.75").await;
    d.appr.stepped(&id, "send", &[("canary", "1")]).await;
    d.appr.in_state(&id, "stopped");
    d.appr.stepped(&id, "send", &[]).await;
    d.appr.in_state(&id, "finished");
    for path in ["results.csv", "results/download?filter=failed"] {
        let r = d
            .appr
            .get_in(&format!("/batches/{id}/{path}"), "pt-BR")
            .await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
    }
    d.appr.reconciled(&id).await;
    let report = crate::console_client::settlement(&d.sb).into_bytes();
    let (s, _) = d
        .appr
        .report(Some(&d.appr.csrf), &id, "extrato.csv", report)
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (s, _) = d
        .appr
        .report(
            Some(&d.appr.csrf),
            &id,
            "planilha.xlsx",
            b"PK\x03\x04".to_vec(),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);

    let other = d
        .sub
        .uploaded_as("abril.csv", ordinary_csv(2, 8).into_bytes(), false)
        .await;
    d.sub
        .stepped(&other, "submit", &[("expect_total", "2.50")])
        .await;
    let (s, _) = d.sub.step(&other, "reject", &[("reason", "x")]).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "a submitter decides nothing");
    d.appr
        .stepped(&other, "reject", &[("reason", "valores em dobro")])
        .await;
    let r = d.sub.upload("vazio.csv", Vec::new(), false).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let boss = Person::log_in(&d.c, "boss").await;
    let cases: [(&str, &[&str]); 2] = [
        (
            "pt-BR",
            &[
                "março.csv: 3 linhas (corretas: 3, com erro: 0)",
                "Pediu aprovação: o total digitado não confere",
                "total 3,75",
                "no arquivo de estado",
                "só a primeira linha",
                "arquivo de resultados para outros sistemas, nas colunas da ferramenta",
                "as linhas para o Excel — Com falha, Português (Brasil)",
                "extrato.csv: No relatório: 3",
                "planilha.xlsx: Isto é uma pasta de trabalho, não um arquivo CSV",
                "Recusou: o papel da conta não permite este passo (solicitante)",
                "valores em dobro",
                "vazio.csv: O arquivo está vazio",
                "conta inexistente ou desativada",
            ],
        ),
        (
            "es",
            &[
                "março.csv: 3 filas (correctas: 3, con errores: 0)",
                "total 3,75",
                "en el archivo de estado",
                "solo la primera fila",
                "las filas para Excel — Fallidas, Português (Brasil)",
                "extrato.csv: En el reporte: 3",
                "valores em dobro",
                "cuenta inexistente o desactivada",
            ],
        ),
    ];
    for (lang, said) in cases {
        let (s, page) = answer(boss.get_in("/audit", lang).await).await;
        assert_eq!(s, StatusCode::OK);
        let csv = String::from_utf8(
            boss.get_in("/audit.csv", lang)
                .await
                .bytes()
                .await
                .unwrap()
                .to_vec(),
        )
        .unwrap();
        for (what, text) in [("page", &page), ("csv", &csv)] {
            let english = [
                " rows (",
                "valid",
                "ledger batch",
                "the first",
                "results for people",
                "results.csv (",
                "failed row",
                "no such account",
                "not a CSV",
                "empty file",
                "may not",
                "\"kind\"",
                "&#34;kind&#34;",
            ];
            crate::console_client::shows(&format!("{lang} {what}"), text, said, &english);
            // Nothing typed that was refused, nor another session's token.
            for secret in ["9.99", "9,99", &d.sub.csrf, &d.appr.csrf] {
                assert!(!text.contains(secret), "{lang} {what}: {secret:?}");
            }
        }
    }
}
