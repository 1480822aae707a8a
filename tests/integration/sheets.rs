//! One way to write a sheet: every CSV the tool writes for a batch —
//! results, the `plan --online` predictions, the reconciliation findings, the
//! report match — speaks the input's dialect (BOM, delimiter, decimal mark) and
//! neutralises cells a spreadsheet would run as formulas; the run summary has one
//! shape whether the run finished, failed early or is logged as a JSON line.

use std::collections::BTreeSet;

use crate::common::{ACCOUNT_STATE, Work, fresh, fresh_with, read_csv, run};

/// A pt-BR Excel export: BOM, `;`, CRLF, decimal comma, and a free-text cell a
/// spreadsheet would run as a formula.
const PTBR: &str = "\u{feff}payment_id;valor;obs\r\n9300001;10,5;=HYPERLINK(\"http://x\")\r\n9300002;4,25;@SUM(A1)\r\n";

fn text(w: &Work, name: &str) -> String {
    std::fs::read_to_string(w.path(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The file opens with a BOM and a `;` header that starts with `first`.
fn assert_ptbr_dialect(w: &Work, name: &str, first: &str) {
    let t = text(w, name);
    assert!(
        t.starts_with(&format!("\u{feff}{first};")),
        "{name} is not in the input's dialect:\n{t}"
    );
}

/// The rows of `name`, once [`assert_ptbr_dialect`] holds of it.
fn ptbr_rows(w: &Work, name: &str, first: &str) -> Vec<std::collections::HashMap<String, String>> {
    assert_ptbr_dialect(w, name, first);
    read_csv(&w.path(name))
}

/// No amount cell of `column` in `rows` is written with a decimal point, and at
/// least one has a decimal comma.
fn assert_decimal_comma(rows: &[std::collections::HashMap<String, String>], column: &str) {
    let cells: Vec<&str> = rows
        .iter()
        .map(|r| r[column].as_str())
        .filter(|c| !c.is_empty())
        .collect();
    assert!(cells.iter().any(|c| c.contains(',')), "{column}: {cells:?}");
    assert!(
        !cells.iter().any(|c| c.contains('.')),
        "{column}: {cells:?}"
    );
}

#[test]
fn plan_reconcile_and_report_match_speak_the_inputs_dialect() {
    let (sb, w) = fresh();

    // plan --online: a payment with an earlier refund of 0.25 shows decimals.
    sb.refund_by_hand(9300003, Some("0.25".parse().unwrap()))
        .unwrap();
    w.write(
        "p.csv",
        "\u{feff}payment_id;valor;obs\r\n9300003;1,5;=1+2\r\n",
    );
    run(w
        .bare()
        .env("MP_ACCESS_TOKEN", mprefund_sandbox::TEST_TOKEN)
        .args(["plan", "--online", "p.csv", "--api-base", &sb.base_url()]))
    .exits(1);
    let plan = ptbr_rows(&w, "p.plan.csv", "payment_id");
    assert_eq!(plan[0]["obs"], "'=1+2", "{plan:?}");
    assert_eq!(plan[0]["already_refunded"], "0,25", "{plan:?}");
    assert_decimal_comma(&plan, "refundable_left");

    // The batch itself; its results already mirror the input.
    w.write("in.csv", PTBR);
    w.ok(&sb, &["run", "in.csv"]);
    assert_ptbr_dialect(&w, "in.results.csv", "payment_id");

    // reconcile (against the API).
    run(w
        .bare()
        .env("MP_ACCESS_TOKEN", mprefund_sandbox::TEST_TOKEN)
        .args(["reconcile", "--state", ACCOUNT_STATE]))
    .exits(0);
    let found = ptbr_rows(&w, "in.reconcile.csv", "payment_id");
    assert_eq!(found[0]["obs"], "'=HYPERLINK(\"http://x\")", "{found:?}");
    assert_eq!(found[1]["obs"], "'@SUM(A1)", "{found:?}");
    assert_decimal_comma(&found, "state_amount");
    assert_decimal_comma(&found, "mp_amount");

    // reconcile --report: a settlement report, from a file whose name a
    // spreadsheet would run.
    let results = read_csv(&w.path("in.results.csv"));
    let today = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let mut report = String::from(
        "SOURCE_ID,TRANSACTION_TYPE,TRANSACTION_AMOUNT,TRANSACTION_CURRENCY,TRANSACTION_DATE,METADATA\n",
    );
    for (payment, amount, r) in [
        ("9300001", "-10.50", &results[0]),
        ("9300002", "-4.25", &results[1]),
    ] {
        let id = &r["refund_id"];
        report.push_str(&format!(
            "{payment},REFUND,{amount},BRL,{today},\"{{\"\"refund_id\"\": {id}}}\"\n"
        ));
    }
    w.write("=settlement.csv", report);
    run(w.bare().args([
        "reconcile",
        "--state",
        ACCOUNT_STATE,
        "--report",
        "=settlement.csv",
    ]))
    .exits(0);
    let matched = ptbr_rows(&w, "in.report-match.csv", "finding");
    assert_eq!(matched[0]["finding"], "matched", "{matched:?}");
    assert_eq!(matched[0]["report"], "'=settlement.csv", "{matched:?}");
    assert_eq!(matched[0]["report_amount"], "10,50", "{matched:?}");
    assert_decimal_comma(&matched, "state_amount");
}

fn keys(v: &serde_json::Value) -> BTreeSet<String> {
    v.as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .cloned()
        .collect()
}

fn json_file(w: &Work, name: &str) -> serde_json::Value {
    serde_json::from_str(&text(w, name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn the_run_summary_has_one_shape_finished_failed_or_logged() {
    let (sb, w) = fresh_with("in.csv", "payment_id,amount\n9300101,1\n");
    let ran = w.ok(
        &sb,
        &[
            "--log-format",
            "json",
            "run",
            "in.csv",
            "--summary-json",
            "ok.json",
        ],
    );
    let ok = json_file(&w, "ok.json");
    let logged: Vec<serde_json::Value> = ran
        .stderr
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["event"] == "summary")
        .collect();
    assert_eq!(logged.len(), 1, "{ran:?}");
    let mut with_event = keys(&ok);
    with_event.insert("event".into());
    assert_eq!(keys(&logged[0]), with_event, "{}\n{ok}", logged[0]);
    assert_eq!(logged[0]["outcomes"], ok["outcomes"]);

    // A run refused before it had results: the same fields, and the error.
    w.write("bad.csv", "no_such_column\n1\n");
    run(w.mprefund(&sb, &["run", "bad.csv", "--summary-json", "bad.json"])).exits(2);
    let bad = json_file(&w, "bad.json");
    let mut with_error = keys(&ok);
    with_error.insert("error".into());
    assert_eq!(keys(&bad), with_error, "{bad}\n{ok}");
    assert_eq!(bad["exit_code"], 2);
    assert!(bad["error"].as_str().unwrap().contains("column"), "{bad}");
    assert_eq!(bad["rows"], 0, "{bad}");
}
