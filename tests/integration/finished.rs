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
    let page = p.page_in(&to, "pt-BR").await;
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
    let page = sub.page_in(&to, "pt-BR").await;
    assert!(
        page.contains("Arquivo recebido: confira o plano abaixo."),
        "{page}"
    );
    let plain = sub.page_in(&format!("/batches/{id}"), "pt-BR").await;
    assert!(!plain.contains("id=\"said\""), "said once: {plain}");
    // What the query names is never shown: only the console's own words.
    let odd = sub
        .page_in(&format!("/batches/{id}?said=<b>x</b>"), "pt-BR")
        .await;
    assert!(
        !odd.contains("id=\"said\"") && !odd.contains("<b>x"),
        "{odd}"
    );

    let total = sub.to_type(&id)["to_type"].as_str().unwrap().to_owned();
    let (_, page) = stepped_in_pt(sub, &id, "submit", &[("expect_total", &total)]).await;
    assert!(page.contains("Aprovação pedida: agora aguarda"), "{page}");
    let (_, page) = stepped_in_pt(appr, &id, "approve", &[("expect_total", &total)]).await;
    assert!(page.contains("Aprovado: pode ser enviado agora"), "{page}");
    // What happens next, in her words; the operator's command and the
    // ledger batch's id only in the operator's folded part, labelled.
    assert!(
        page.contains("Ou deixe para esta noite: se quem administra"),
        "{page}"
    );
    let ledger = appr.json(&id).await["ledger_batch"]
        .as_str()
        .expect("a ledger batch")
        .to_owned();
    let (main, operator) = page
        .split_once("<details class=\"operator\" id=\"operator\">")
        .expect("the operator's part");
    let operator = operator.split("</details>").next().unwrap();
    assert!(
        operator.contains("Para quem administra o console"),
        "{operator}"
    );
    for theirs in ["run --job", "--approved", ledger.as_str()] {
        assert!(
            !main.contains(theirs),
            "{theirs} outside the operator's part: {main}"
        );
        assert!(operator.contains(theirs), "{theirs}: {operator}");
    }
    let (_, page) = stepped_in_pt(appr, &id, "send", &[]).await;
    assert!(page.contains("Envio iniciado"), "{page}");
    let j = appr.settled(&id);
    assert_eq!(j["state"], "finished", "{j}");

    // The counts add up to every row of the file, under labels in her language.
    let results = sub
        .page_in(&format!("/batches/{id}/results"), "pt-BR")
        .await;
    let batch = sub.page_in(&format!("/batches/{id}"), "pt-BR").await;
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
        // Money per currency in her locale: her file names none, nor could
        // the account's be read, so each amount is the number alone, and the
        // page says once whose currency it is — no label on every amount.
        for (part, money) in [
            ("refunded", ">218,25<"),
            ("failed", ">20,00<"),
            ("in-doubt", ">10,00<"),
        ] {
            let row = part_row(html, part);
            assert!(row.contains(money), "{part}: {html}");
        }
        assert!(
            html.contains("Valores sem símbolo de moeda estão na moeda da conta do Mercado Pago"),
            "{html}"
        );
        for noise in ["sem moeda", "no currency", "(moeda"] {
            assert!(!html.contains(noise), "{noise}: {html}");
        }
        // Each cause with its meaning and next step in Portuguese.
        assert!(html.contains("data-cause=\"http_500\""), "{html}");
        assert!(
            html.contains("Causas: o que significam e o que fazer"),
            "{html}"
        );
    }
    let cause = &results[results.find("data-cause=\"http_500\"").unwrap()..];
    let cause = &cause[..cause.find("</tr>").unwrap()];
    // (Words of the catalogue its translators may reword: checked as not
    // the English, with something said.)
    let cells: Vec<&str> = cause
        .split("<td")
        .skip(3)
        .map(|c| c[c.find('>').unwrap() + 1..].split('<').next().unwrap())
        .collect();
    assert_eq!(cells.len(), 2, "the meaning, the next step: {cause}");
    assert!(
        cells.iter().all(|c| !c.is_empty()) && !cause.contains("Mercado Pago's server failed"),
        "meaning and next step in Portuguese: {cause}"
    );

    // A retry says so too.
    sb.heal_payment(doubt);
    let (_, page) = stepped_in_pt(sub, &id, "retry", &[]).await;
    assert!(
        page.contains("As linhas com falha estão sendo enviadas de novo"),
        "{page}"
    );
}

/// The line numbers a results page shows under a filter (`<td class="num">`
/// after each `data-row`).
fn page_lines(html: &str) -> Vec<String> {
    html.split("<tr data-row=\"")
        .skip(1)
        .map(|t| {
            let cell = t.split("<td class=\"num\">").nth(1).unwrap();
            cell.split('<').next().unwrap().to_owned()
        })
        .collect()
}

/// The results as a person downloads them, in Portuguese: her column names
/// and outcomes, the page's line numbers, times at the console's time zone,
/// CRLF, `;`, decimal commas and a BOM; a filter's download holds exactly the
/// rows the filter shows; the machine download stays as it was.
#[tokio::test(flavor = "multi_thread")]
async fn the_results_download_for_people_is_in_her_language_and_holds_the_filters_rows() {
    let d = desk(&[
        "--rate",
        "1000",
        "--max-attempts",
        "2",
        "--time-zone",
        "-03:00",
    ])
    .await;
    let Desk { sb, sub, appr, .. } = &d;
    let refused = 4_700_301_003u64;
    sb.fail_payment(refused, 400);
    let csv = format!(
        "ID do pagamento;Valor;Motivo\r\n\
         4700301001;62,71;a\r\n\
         4700301002;full;b\r\n\
         {refused};20,00;c\r\n\
         4700301004;abc;d\r\n"
    );
    let (id, _) =
        crate::console_client::sent_upload(sub, appr, "dia 29.csv", csv.into_bytes()).await;

    for (filter, lines) in [("failed", 2), ("refunded", 2), ("all", 4)] {
        let html = sub
            .page_in(&format!("/batches/{id}/results?filter={filter}"), "pt-BR")
            .await;
        let shown = page_lines(&html);
        assert_eq!(shown.len(), lines, "{filter}: {html}");
        assert!(
            html.contains(&format!("/batches/{id}/results/download?filter={filter}")),
            "{html}"
        );
        let r = sub
            .get_in(
                &format!("/batches/{id}/results/download?filter={filter}"),
                "pt-BR",
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        let named = r.headers()[reqwest::header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(named.contains(&format!("dia_29.{filter}.csv")), "{named}");
        let body = String::from_utf8(r.bytes().await.unwrap().to_vec()).unwrap();
        let body = body.strip_prefix('\u{feff}').expect("a BOM");
        assert!(body.ends_with("\r\n"), "{body:?}");
        assert_eq!(
            body.matches('\n').count(),
            body.matches("\r\n").count(),
            "CRLF only"
        );
        let rows: Vec<Vec<&str>> = body.lines().map(|l| l.split(';').collect()).collect();
        assert_eq!(
            rows[0][..6],
            ["Linha", "Pagamento", "Valor", "Moeda", "Resultado", "Causa"],
            "{body}"
        );
        assert!(
            rows[0][10].starts_with("Último envio (UTC-03:00)"),
            "{body}"
        );
        // The filter's rows, by the page's line numbers, in its order.
        let got: Vec<&str> = rows[1..].iter().map(|r| r[0]).collect();
        assert_eq!(got, shown, "{filter}: {body}");
    }
    let failed = sub
        .page_in(
            &format!("/batches/{id}/results/download?filter=failed"),
            "pt-BR",
        )
        .await;
    let line = |n: &str| {
        failed
            .lines()
            .find(|l| {
                l.trim_start_matches('\u{feff}')
                    .starts_with(&format!("{n};"))
            })
            .unwrap_or_else(|| panic!("no line {n} in {failed}"))
            .to_owned()
    };
    // Line 4 (the page's "Linha 4"): refused, its amount with a decimal comma,
    // its outcome in Portuguese, its time at -03:00.
    let refused_row = line("4");
    assert!(
        refused_row.starts_with(&format!("4;{refused};20,00;;")),
        "{refused_row}"
    );
    let outcome = |row: &str| row.split(';').nth(4).unwrap().to_owned();
    assert!(
        !["failed", ""].contains(&outcome(&refused_row).as_str()),
        "{refused_row}"
    );
    let at = refused_row.rsplit(';').next().unwrap();
    assert!(
        at.len() == 19 && at.as_bytes()[2] == b'/' && at.as_bytes()[13] == b':',
        "dd/mm/yyyy hh:mm:ss: {refused_row}"
    );
    let bad = line("5");
    assert!(!["invalid", ""].contains(&outcome(&bad).as_str()), "{bad}");
    let refunded = sub
        .page_in(
            &format!("/batches/{id}/results/download?filter=refunded"),
            "pt-BR",
        )
        .await;
    let first = refunded.lines().nth(1).unwrap();
    assert!(first.starts_with("2;4700301001;62,71;;"), "{refunded}");
    assert!(
        !["refunded", ""].contains(&outcome(first).as_str()),
        "{refunded}"
    );

    // The machine download is as it was: the file's own columns and outcomes.
    let machine = sub.fetch(&format!("/batches/{id}/results.csv")).await;
    let machine = String::from_utf8(machine.bytes().await.unwrap().to_vec()).unwrap();
    assert!(machine.contains(";outcome;"), "{machine}");
    assert!(machine.contains(";refunded;"), "{machine}");
    // A filter of none of ours is refused.
    let (s, _) = sub
        .get(&format!("/batches/{id}/results/download?filter=x"))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}
