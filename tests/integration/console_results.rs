//! `mprefund console`, results: a sent batch's rows in a table —
//! filtered, paged in the ledger, every cell escaped —, the results CSV `run`
//! writes (the file's own dialect, formulas neutralised, or Mercado Pago's
//! columns), and "retry failed rows" by `mprefund retry`'s rules, once.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use reqwest::StatusCode;
use reqwest::header::{CONTENT_DISPOSITION, LOCATION};

use crate::common::{Work, ordinary_csv, refunds_per_key};
use crate::console_client::{
    Desk, Person, approved_upload, desk, exactly_one, sent_again, sent_upload, text,
};

/// Sent fast, and a failed row retried once only.
const FAST: [&str; 4] = ["--rate", "1000", "--max-attempts", "2"];

/// The rows a results page lists: (row, outcome), in page order.
fn listed(html: &str) -> Vec<(u64, String)> {
    html.split("<tr data-row=\"")
        .skip(1)
        .map(|t| {
            let (row, rest) = t.split_once('"').unwrap();
            let outcome = rest
                .split_once("data-outcome=\"")
                .unwrap()
                .1
                .split('"')
                .next()
                .unwrap();
            (row.parse().unwrap(), outcome.to_owned())
        })
        .collect()
}

/// A CSV body as header-keyed records (BOM and `;` or `,` as it comes).
fn records(body: &[u8]) -> Vec<HashMap<String, String>> {
    let w = Work::new();
    let p = w.write("r.csv", body);
    crate::common::read_csv(&p)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_results_filter_escape_and_download_in_the_files_own_dialect() {
    let d = desk(&FAST).await;
    let Desk { state, c, sub, .. } = &d;
    let Desk { appr, .. } = &d;
    // The pt-BR sample (BOM, `;`, decimal commas, CRLF), with a formula in a
    // free-text cell and a script where a payment id should be (a bad line).
    let sample =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/chargebacks-ptbr.csv"))
            .unwrap();
    let mut bytes = sample.clone();
    bytes.extend_from_slice(
        "Zé Teste;5,00;71829304018;Fraude;CB-2026-1199;BRL;;=HYPERLINK(\"http://evil.example\",\"clique\")\r\n\
         Mal Feitor;7,00;<script>alert(1)</script>;Fraude;CB-2026-1198;BRL;;\r\n"
            .as_bytes(),
    );
    let (id, j) = sent_upload(sub, appr, "chargebacks-ptbr.csv", bytes).await;
    assert_eq!(j["state"], "finished", "{j}");

    // The batch page links its results.
    let (_, page) = appr.get(&format!("/batches/{id}")).await;
    assert!(
        page.contains(&format!("href=\"/batches/{id}/results\"")),
        "{page}"
    );

    // The download first: what the page is checked against.
    let r = sub.fetch(&format!("/batches/{id}/results.csv")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers()[CONTENT_DISPOSITION],
        "attachment; filename=\"chargebacks-ptbr.results.csv\""
    );
    let body = r.bytes().await.unwrap().to_vec();
    assert!(body.starts_with(b"\xEF\xBB\xBF"), "a BOM, as the input had");
    let text_body = String::from_utf8(body.clone()).unwrap();
    let header = text_body.lines().next().unwrap();
    assert!(
        header.starts_with("\u{feff}Cliente;Valor;ID Pagamento;") && header.contains(";outcome;"),
        "{header}"
    );
    assert!(
        text_body.contains("'=HYPERLINK(") && !text_body.contains(";=HYPERLINK("),
        "the formula neutralised: {text_body}"
    );
    let csv = records(&body);
    let rows_in_file = sample
        .split(|b| *b == b'\n')
        .filter(|l| l.len() > 1)
        .count()
        - 1
        + 2;
    assert_eq!(csv.len(), rows_in_file, "every row once");
    let nina = csv.iter().find(|r| r["Cliente"] == "Nina Ferraz").unwrap();
    assert_eq!(
        (nina["outcome"].as_str(), nina["refunded_amount"].as_str()),
        ("refunded", "99,99"),
        "a decimal comma, as the input wrote"
    );
    // The very file `run` wrote beside the upload.
    let uploads = state.with_file_name("state.db.uploads");
    let written = std::fs::read_dir(&uploads)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(".results.csv"))
        .expect("run's results file");
    assert_eq!(
        std::fs::read(written).unwrap(),
        body,
        "byte for byte as run writes it"
    );

    // Mercado Pago's columns, same dialect.
    let r = sub
        .fetch(&format!("/batches/{id}/results.csv?format=mp-batch"))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        crate::console_client::header(&r, CONTENT_DISPOSITION)
            .contains("chargebacks-ptbr.mp-batch.csv")
    );
    let mp = r.bytes().await.unwrap().to_vec();
    let mp_text = String::from_utf8(mp.clone()).unwrap();
    assert_eq!(
        mp_text.lines().next().unwrap(),
        "\u{feff}sequential_order;external_reference;amount;refund_status;refund_detail;payment_id"
    );
    let mp = records(&mp);
    assert_eq!(mp.len(), csv.len());
    let nina = mp
        .iter()
        .find(|r| r["external_reference"] == "CB-2026-1115")
        .unwrap();
    assert_eq!(
        (nina["amount"].as_str(), nina["refund_status"].as_str()),
        ("99,99", "Refunded")
    );
    let r = sub
        .fetch(&format!("/batches/{id}/results.csv?format=xlsx"))
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);

    // Each filter lists exactly the rows its meaning says, read from the file.
    let by_row: HashMap<u64, &HashMap<String, String>> =
        csv.iter().map(|r| (r["row"].parse().unwrap(), r)).collect();
    let want = |keep: &dyn Fn(&HashMap<String, String>) -> bool| -> Vec<u64> {
        let mut rows: Vec<u64> = by_row
            .iter()
            .filter(|(_, r)| keep(r))
            .map(|(n, _)| *n)
            .collect();
        rows.sort();
        rows
    };
    let outcome_in = |os: &'static [&'static str]| {
        move |r: &HashMap<String, String>| os.contains(&r["outcome"].as_str())
    };
    let needs_person = |r: &HashMap<String, String>| {
        r["outcome"] == "invalid"
            || (r["outcome"] == "failed" && r["retryable"] != "true")
            || ["amount_differs", "payment_differs"].contains(&r["cause_code"].as_str())
    };
    let cases: [(&str, Vec<u64>); 4] = [
        ("all", want(&|_| true)),
        ("failed", want(&outcome_in(&["failed", "invalid"]))),
        ("needs-person", want(&needs_person)),
        ("refunded", want(&outcome_in(&["refunded", "in_process"]))),
    ];
    for (filter, rows) in &cases {
        let (s, html) = sub
            .get(&format!("/batches/{id}/results?filter={filter}"))
            .await;
        assert_eq!(s, StatusCode::OK, "{html}");
        let got: Vec<u64> = listed(&html).into_iter().map(|(n, _)| n).collect();
        assert_eq!(&got, rows, "filter {filter}");
        assert!(
            !rows.is_empty(),
            "the sample has rows of every kind: {filter}"
        );
    }
    let failed = &cases[1].1;
    assert!(
        failed.len() < csv.len() && cases[3].1.len() + failed.len() <= csv.len(),
        "{cases:?}"
    );

    // Every cell escaped: the script a cell held is text, never markup.
    let (_, html) = sub
        .get(&format!("/batches/{id}/results?filter=failed"))
        .await;
    assert!(!html.contains("<script>alert(1)"), "{html}");
    assert!(
        html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
        "{html}"
    );
    // A cause with its meaning and next step; money in the page's locale.
    let (_, pt) = sub.get(&format!("/batches/{id}/results?lang=pt-BR")).await;
    assert!(pt.contains("R$ 99,99"), "{pt}");
    let (_, en) = sub.get(&format!("/batches/{id}/results?lang=en")).await;
    assert!(en.contains("R$ 99.99"), "{en}");
    assert!(en.contains("needs a person: look at the payment"), "{en}");
    let (s, _) = sub.get(&format!("/batches/{id}/results?filter=<b>")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);

    // Every download audited.
    let boss = Person::log_in(c, "boss").await;
    let (_, audit) = boss.get("/audit.csv").await;
    let downloads = audit
        .lines()
        .filter(|l| l.contains(",download,") && l.contains(id.as_str()) && l.contains(",sub,"))
        .count();
    assert_eq!(downloads, 2, "{audit}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_results_page_is_a_hundred_rows_every_row_on_exactly_one_page() {
    let d = desk(&FAST).await;
    let Desk { sub, appr, .. } = &d;
    let csv = ordinary_csv(250, 4_700_001);
    let (id, j) = sent_upload(sub, appr, "big.csv", csv.into_bytes()).await;
    assert_eq!(j["counts"]["refunded"], 250, "{j}");
    let mut seen = Vec::new();
    for page in 1..=3 {
        let (s, html) = sub.get(&format!("/batches/{id}/results?page={page}")).await;
        assert_eq!(s, StatusCode::OK);
        let rows = listed(&html);
        assert_eq!(rows.len(), if page < 3 { 100 } else { 50 }, "page {page}");
        assert!(html.contains(&format!("page {page} of 3")), "{html}");
        assert_eq!(html.contains("rel=\"next\""), page < 3, "page {page}");
        assert_eq!(html.contains("rel=\"prev\""), page > 1, "page {page}");
        seen.extend(rows.into_iter().map(|(n, _)| n));
    }
    let unique: BTreeSet<u64> = seen.iter().copied().collect();
    assert_eq!(seen.len(), 250, "no row twice");
    assert_eq!(unique, (1..=250).collect(), "none lost, in input order");
    assert!(seen.windows(2).all(|p| p[0] < p[1]));
    // Past the end: the last page; nothing failed: one empty page.
    let (_, html) = sub.get(&format!("/batches/{id}/results?page=99")).await;
    assert_eq!(listed(&html).first().map(|r| r.0), Some(201));
    let (_, html) = sub
        .get(&format!("/batches/{id}/results?filter=failed"))
        .await;
    assert!(
        listed(&html).is_empty() && html.contains("page 1 of 1"),
        "{html}"
    );
    let (s, _) = sub.get(&format!("/batches/{id}/results?page=-1")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[tokio::test(flavor = "multi_thread")]
async fn retry_sends_the_failed_rows_once_by_send_nows_path() {
    let d = desk(&FAST).await;
    let Desk { sb, c, sub, .. } = &d;
    let Desk { appr, .. } = &d;
    let sick = [4_800_001_003u64, 4_800_001_009];
    for p in sick {
        sb.fail_payment(p, 500);
    }
    let csv = ordinary_csv(12, 4_800_001);
    let (id, j) = sent_upload(sub, appr, "sick.csv", csv.into_bytes()).await;
    assert_eq!(j["state"], "finished", "{j}");
    // A 500 may follow a refund made: those rows are in doubt, not failed.
    assert_eq!(
        (
            j["counts"]["refunded"].as_u64(),
            j["counts"]["unknown"].as_u64()
        ),
        (Some(10), Some(2)),
        "{j}"
    );
    let (_, html) = sub
        .get(&format!("/batches/{id}/results?filter=failed"))
        .await;
    assert_eq!(
        listed(&html),
        [(4, "unknown".to_owned()), (10, "unknown".to_owned())]
    );
    assert!(
        html.contains(&format!("action=\"/batches/{id}/retry\"")),
        "{html}"
    );
    // Retryable: not a person's.
    let (_, html) = sub
        .get(&format!("/batches/{id}/results?filter=needs-person"))
        .await;
    assert!(listed(&html).is_empty(), "{html}");

    let retry = format!("/batches/{id}/retry");
    // A forged token, no token, no session, no such batch.
    let (s, _) = sub.post_with(Some("forged"), &retry, &[]).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = sub.post_with(None, &retry, &[]).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let nobody = Person::nobody(c);
    let (s, _) = nobody.post_with(Some(&sub.csrf), &retry, &[]).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = sub
        .post("/batches/0123456789abcdef0123456789abcdef/retry", &[])
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(
        sub.json(&id).await["counts"]["unknown"],
        2,
        "nothing retried"
    );

    for p in sick {
        sb.heal_payment(p);
    }
    // A double click retries once.
    let (a, b) = tokio::join!(sub.post(&retry, &[]), appr.post(&retry, &[]),);
    exactly_one(&a, &b);
    let j = sub.settled(&id);
    assert_eq!(j["state"], "finished", "{j}");
    assert_eq!(j["counts"]["refunded"], 12, "{j}");
    assert!(j["counts"].get("failed").is_none_or(|n| n == 0), "{j}");
    let per_key = refunds_per_key(sb);
    assert_eq!(per_key.len(), 12, "{per_key:?}");
    assert!(
        per_key.values().all(|n| *n == 1),
        "a payment refunded twice: {per_key:?}"
    );
    // The results say so, the file too.
    let (_, html) = sub
        .get(&format!("/batches/{id}/results?filter=refunded"))
        .await;
    assert_eq!(listed(&html).len(), 12);
    assert!(
        !html.contains(&format!("action=\"/batches/{id}/retry\"")),
        "{html}"
    );
    let r = sub.fetch(&format!("/batches/{id}/results.csv")).await;
    let csv = records(&r.bytes().await.unwrap());
    assert!(csv.iter().all(|r| r["outcome"] == "refunded"));
    // Nothing left to retry.
    let (s, body) = sub.post(&retry, &[]).await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    assert!(body.contains("no failed row to retry"), "{body}");
    // The same refusal in the person's language.
    let r = sub.post_in(&retry, "pt-BR,pt;q=0.9", &[]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let body = text(r).await;
    assert!(
        body.contains("nenhuma linha com falha para tentar de novo"),
        "{body}"
    );

    let boss = Person::log_in(c, "boss").await;
    let (_, audit) = boss.get("/audit.csv").await;
    let retries = audit
        .lines()
        .filter(|l| l.contains(",retry,") && l.contains(id.as_str()))
        .count();
    assert_eq!(retries, 1, "{audit}");
}

#[tokio::test(flavor = "multi_thread")]
async fn results_need_a_session_a_batch_and_a_send() {
    let d = desk(&FAST).await;
    let Desk { sb, c, sub, .. } = &d;
    let Desk { appr, .. } = &d;
    let id = approved_upload(
        sub,
        appr,
        "later.csv",
        ordinary_csv(3, 4_900_001).into_bytes(),
    )
    .await;
    // Approved, not sent: no results yet.
    let (s, body) = sub.get(&format!("/batches/{id}/results.csv")).await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    let (s, html) = sub.get(&format!("/batches/{id}/results")).await;
    assert_eq!(s, StatusCode::CONFLICT, "{html}");
    assert!(html.contains("no results yet"), "{html}");
    let (s, _) = sub.post(&format!("/batches/{id}/retry"), &[]).await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (_, page) = sub.get(&format!("/batches/{id}")).await;
    assert!(
        !page.contains("/results\""),
        "no link before a send: {page}"
    );
    // No such batch; no session.
    for unknown in ["0123456789abcdef0123456789abcdef", "..%2F..%2Fetc", "x"] {
        let (s, _) = sub.get(&format!("/batches/{unknown}/results.csv")).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{unknown}");
        let (s, _) = sub.get(&format!("/batches/{unknown}/results")).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{unknown}");
    }
    let nobody = Person::nobody(c);
    let (s, _) = nobody.get(&format!("/batches/{id}/results.csv")).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let r = nobody.fetch(&format!("/batches/{id}/results")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[LOCATION], "/login");
    assert!(sb.refunds().is_empty(), "nothing was sent");
}

/// After an outage (every answer a 500: the rows may have refunded), the
/// corrected spreadsheet uploaded in the console counts those payments as
/// already refunded on its plan, and once approved and sent its rows are held
/// — in doubt, the reason on the results page — and nothing moves.
#[tokio::test(flavor = "multi_thread")]
async fn a_corrected_upload_after_an_outage_is_held_with_its_reason() {
    let d = desk(&FAST).await;
    let Desk { sb, sub, appr, .. } = &d;
    let ids = [4_900_001_001u64, 4_900_001_002];
    for p in ids {
        sb.fail_payment(p, 500);
    }
    let night = format!(
        "payment_id,amount,reference\n{},25.00,CB-1\n{},25.00,CB-2\n",
        ids[0], ids[1]
    );
    let (_, j) = sent_upload(sub, appr, "night.csv", night.into_bytes()).await;
    assert_eq!(j["counts"]["unknown"], 2, "{j}");
    for p in ids {
        sb.heal_payment(p);
    }
    let fixed = format!(
        "payment_id,amount,reference\n{},20.00,CB-1\n{},20.00,CB-2\n",
        ids[0], ids[1]
    );
    let id = sub
        .uploaded_as("fixed.csv", fixed.clone().into_bytes(), true)
        .await;
    assert_eq!(sub.json(&id).await["already_refunded"], 2);
    let (_, page) = sub.get(&format!("/batches/{id}")).await;
    assert!(page.contains("may have been refunded"), "{page}");
    let (id, j) = sent_again(sub, appr, "fixed2.csv", fixed.into_bytes()).await;
    assert_eq!(j["counts"]["failed"], 2, "{j}");
    let (_, html) = sub
        .get(&format!("/batches/{id}/results?filter=failed"))
        .await;
    assert!(html.contains("payment_in_doubt"), "{html}");
    assert!(html.contains("may have refunded this payment"), "{html}");
    assert!(sb.refunds().is_empty(), "{:?}", sb.refunds());
}

/// A file mixing payments and orders of the Orders API, sent from the
/// console: its results page shows each order row with its order id and its
/// `REF…` refund, beside the payment rows, and the CSV says which each is.
#[tokio::test(flavor = "multi_thread")]
async fn order_rows_show_their_order_and_refund_on_the_results_page() {
    let d = desk(&[]).await;
    let Desk { sb, sub, appr, .. } = &d;
    let order = "ORD01JQ4S4KY8HWQ6NA5PXB65B800";
    let csv = format!("payment_id;amount;reference\n4800001;10,00;P-1\n{order};12,50;O-1\n");
    let (id, j) = sent_upload(sub, appr, "mixed.csv", csv.into_bytes()).await;
    assert_eq!(j["counts"]["refunded"], 2, "{j}");
    let made = sb.order_refunds();
    assert_eq!(made.len(), 1);
    let (s, html) = sub.get(&format!("/batches/{id}/results")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains(order), "{html}");
    assert!(html.contains(&made[0].id), "{html}");
    let csv = sub
        .fetch(&format!("/batches/{id}/results.csv"))
        .await
        .bytes()
        .await
        .unwrap();
    let rows = records(&csv);
    let kinds: Vec<&str> = rows.iter().map(|r| r["refund_kind"].as_str()).collect();
    assert_eq!(kinds, ["payment", "order"], "{rows:?}");
    assert_eq!(rows[1]["refund_id"], made[0].id);
}
