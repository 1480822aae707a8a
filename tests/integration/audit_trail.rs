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
