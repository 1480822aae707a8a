//! A finished batch explains itself, in the person's language: its rows in
//! four parts that add up to all of them (refunded, failed, in doubt, not
//! sent), each with its money per currency, labelled; each cause with its
//! meaning and next step; and every step says what it did on the page it
//! leads to.

use reqwest::StatusCode;
use reqwest::header::LOCATION;

use crate::console_client::{Desk, Person, desk, text};

/// Sent fast, a failed row tried twice.
const FAST: [&str; 4] = ["--rate", "1000", "--max-attempts", "2"];

/// The rows a summary gives a part (`data-part`), as the page writes them.
fn rows_of(html: &str, part: &str) -> String {
    let at = html
        .find(&format!("data-part=\"{part}\""))
        .unwrap_or_else(|| panic!("no part {part} in {html}"));
    let rest = &html[at..];
    let cell = rest.split("data-rows>").nth(1).expect("a rows cell");
    cell.split('<').next().unwrap().to_owned()
}

/// The row of a part, up to its end.
fn part_row<'a>(html: &'a str, part: &str) -> &'a str {
    let at = html.find(&format!("data-part=\"{part}\"")).unwrap();
    let rest = &html[at..];
    &rest[..rest.find("</tr>").unwrap()]
}

/// `POST /batches/{id}/{step}`: where it leads, and that page read in pt-BR.
async fn stepped_in_pt(
    p: &Person,
    id: &str,
    step: &str,
    fields: &[(&str, &str)],
) -> (String, String) {
    let r = p
        .post_in(&format!("/batches/{id}/{step}"), "pt-BR", fields)
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{step}: {}",
        text(r).await
    );
    let to = r.headers()[LOCATION].to_str().unwrap().to_owned();
    let page = text(p.get_in(&to, "pt-BR").await).await;
    (to, page)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_finished_batch_adds_up_and_explains_itself_in_portuguese() {
    let d = desk(&FAST).await;
    let Desk { sb, sub, appr, .. } = &d;
    let (doubt, refused) = (4_700_201_004u64, 4_700_201_005u64);
    sb.fail_payment(doubt, 500);
    sb.fail_payment(refused, 400);
    let csv = format!(
        "ID do pagamento;Valor;Motivo\r\n\
         4700201001;62,71;a\r\n\
         4700201002;99,99;b\r\n\
         4700201003;55,55;c\r\n\
         {doubt};10,00;d\r\n\
         {refused};20,00;e\r\n\
         4700201006;abc;f\r\n"
    );

    // Every step says what it did, once, on the page it leads to.
    let r = sub.upload("dia.csv", csv.into_bytes(), true).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()[LOCATION].to_str().unwrap().to_owned();
    assert!(to.ends_with("?said=uploaded"), "{to}");
    let id = crate::console_client::batch_of(&r);
    let page = text(sub.get_in(&to, "pt-BR").await).await;
    assert!(
        page.contains("Arquivo recebido: confira o plano abaixo."),
        "{page}"
    );
    let plain = text(sub.get_in(&format!("/batches/{id}"), "pt-BR").await).await;
    assert!(!plain.contains("id=\"said\""), "said once: {plain}");
    // What the query names is never shown: only the console's own words.
    let odd = text(
        sub.get_in(&format!("/batches/{id}?said=<b>x</b>"), "pt-BR")
            .await,
    )
    .await;
    assert!(
        !odd.contains("id=\"said\"") && !odd.contains("<b>x"),
        "{odd}"
    );

    let total = sub.to_type(&id)["to_type"].as_str().unwrap().to_owned();
    let (_, page) = stepped_in_pt(sub, &id, "submit", &[("expect_total", &total)]).await;
    assert!(
        page.contains("Enviado para aprovação: agora aguarda"),
        "{page}"
    );
    let (_, page) = stepped_in_pt(appr, &id, "approve", &[("expect_total", &total)]).await;
    assert!(page.contains("Aprovado: pode ser enviado agora"), "{page}");
    let (_, page) = stepped_in_pt(appr, &id, "send", &[]).await;
    assert!(page.contains("Envio iniciado"), "{page}");
    let j = appr.settled(&id);
    assert_eq!(j["state"], "finished", "{j}");

    // The counts add up to every row of the file, under labels in her language.
    let results = text(sub.get_in(&format!("/batches/{id}/results"), "pt-BR").await).await;
    let batch = text(sub.get_in(&format!("/batches/{id}"), "pt-BR").await).await;
    for html in [&results, &batch] {
        assert!(html.contains("O que aconteceu com cada linha"), "{html}");
        let n = |part| rows_of(html, part).parse::<u64>().unwrap();
        let parts = [n("refunded"), n("failed"), n("in-doubt"), n("not-sent")];
        assert_eq!(parts, [3, 1, 1, 1], "{html}");
        assert_eq!(parts.iter().sum::<u64>(), n("total"));
        assert_eq!(n("total"), 6);
        for label in [
            "Devolvidas",
            "Com falha",
            "Em dúvida",
            "Não enviadas",
            "Todas as linhas",
        ] {
            assert!(
                html.contains(&format!("<td>{label}</td>"))
                    || html.contains(&format!("<th>{label}</th>")),
                "{label}: {html}"
            );
        }
        // Money labelled, per currency (her file names none, nor could the
        // account's be read: said so), in her locale.
        assert!(
            part_row(html, "refunded").contains("218,25 (sem moeda)"),
            "{html}"
        );
        assert!(
            part_row(html, "failed").contains("20,00 (sem moeda)"),
            "{html}"
        );
        assert!(
            part_row(html, "in-doubt").contains("10,00 (sem moeda)"),
            "{html}"
        );
        // Each cause with its meaning and next step in Portuguese.
        assert!(html.contains("data-cause=\"http_500\""), "{html}");
        assert!(
            html.contains("Causas: o que significam e o que fazer"),
            "{html}"
        );
    }
    let cause = &results[results.find("data-cause=\"http_500\"").unwrap()..];
    let cause = &cause[..cause.find("</tr>").unwrap()];
    assert!(
        cause.contains("o servidor do Mercado Pago falhou"),
        "{cause}"
    );

    // A retry says so too.
    sb.heal_payment(doubt);
    let (_, page) = stepped_in_pt(sub, &id, "retry", &[]).await;
    assert!(
        page.contains("As linhas com falha estão sendo enviadas de novo"),
        "{page}"
    );
}
