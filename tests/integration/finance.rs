//! What finance and cron see: the question before money moves, the
//! guards of a hand-off, honest per-currency figures, Excel-ready results, the
//! rows that need a human, and `retry` sending only what it says.

use crate::common::{ACCOUNT_STATE, Work, fresh, fresh_with, on_terminal, read_csv, run};

const MIXED: &str = "payment_id,amount,currency\n\
                     7100001,10.5,BRL\n\
                     7100002,20,BRL\n\
                     7100003,full,BRL\n\
                     7100910,1500,CLP\n";

#[test]
fn on_a_terminal_run_shows_what_it_will_send_and_asks() {
    let (sb, w) = fresh_with("in.csv", MIXED);

    // "n": nothing is sent, exit 2.
    let (code, shown) = on_terminal(w.mprefund(&sb, &["run", "in.csv", "--rate", "10"]), "n\n");
    assert_eq!(code, 2, "{shown}");
    assert!(sb.refunds().is_empty(), "{shown}");
    assert_eq!(sb.stats().requests, 0);
    assert!(shown.contains("about to send 4 refund(s)"), "{shown}");
    assert!(
        shown.contains("BRL 30.50 in 2 row(s) + 1 full refund(s)"),
        "{shown}"
    );
    assert!(shown.contains("CLP 1500 in 1 row(s)"), "{shown}");
    assert!(shown.contains(&sb.base_url()), "{shown}");
    assert!(!shown.contains("PRODUCTION"), "{shown}");
    assert!(shown.contains("rate: 10 request(s)/s"), "{shown}");
    assert!(shown.contains("about 1s"), "{shown}");
    assert!(shown.contains("not confirmed; nothing was sent"), "{shown}");

    // "y": sent.
    let (code, shown) = on_terminal(w.mprefund(&sb, &["run", "in.csv"]), "y\n");
    assert_eq!(code, 0, "{shown}");
    assert_eq!(sb.refunds().len(), 4);

    // Nothing left to send: nothing to ask.
    let (code, shown) = on_terminal(w.mprefund(&sb, &["run", "in.csv"]), "");
    assert_eq!(code, 0, "{shown}");
    assert!(!shown.contains("[y/N]"), "{shown}");
}

#[test]
fn yes_or_no_terminal_sends_without_asking_and_production_is_named() {
    let (sb, w) = fresh_with("a.csv", "payment_id,amount\n7200001,1\n");
    let (code, shown) = on_terminal(w.mprefund(&sb, &["run", "a.csv", "--yes"]), "");
    assert_eq!(code, 0, "{shown}");
    assert!(!shown.contains("[y/N]"), "{shown}");
    assert_eq!(sb.refunds().len(), 1);

    // Cron: stdin is no terminal; nothing is asked.
    w.write("b.csv", "payment_id,amount\n7200002,1\n");
    let ran = w.ok(&sb, &["run", "b.csv"]);
    assert!(!ran.stderr.contains("[y/N]"), "{ran:?}");
    assert_eq!(sb.refunds().len(), 2);

    // The production API is said loudly (answered "n": nothing leaves).
    w.write("c.csv", "payment_id,amount\n7200003,1\n");
    let mut cmd = w.bare();
    cmd.env("MP_ACCESS_TOKEN", "APP_USR-not-a-real-token")
        .args(["run", "c.csv"]);
    let (code, shown) = on_terminal(cmd, "n\n");
    assert_eq!(code, 2, "{shown}");
    assert!(
        shown.contains("https://api.mercadopago.com") && shown.contains("PRODUCTION"),
        "{shown}"
    );
}

#[test]
fn hand_off_guards_refuse_a_file_that_differs_and_say_so_to_monitoring() {
    let (sb, w) = fresh_with("in.csv", MIXED);
    let refused = |args: &[&str], why: &str| {
        let mut all = vec!["run", "in.csv", "--metrics-file", "m.prom"];
        all.extend_from_slice(args);
        let ran = run(w.mprefund(&sb, &all));
        assert_eq!(ran.code, 2, "{args:?}: {ran:?}");
        assert!(ran.stderr.contains(why), "{args:?}: {ran:?}");
        assert!(ran.stderr.contains("nothing was sent"), "{ran:?}");
        let prom = std::fs::read_to_string(w.path("m.prom")).unwrap();
        assert!(prom.contains("mprefund_run_exit_code 2"), "{prom}");
        assert_eq!(sb.stats().requests, 0, "{args:?} sent something");
    };
    refused(&["--expect-rows", "5"], "the file has 4 data row(s)");
    refused(
        &["--expect-total", "30.50"],
        "give one --expect-total AMOUNT:CUR per currency",
    );
    refused(
        &[
            "--expect-total",
            "30.49:BRL+1full",
            "--expect-total",
            "1500:CLP",
        ],
        "BRL amounts add up to 30.50",
    );
    // A `full` row is never silently outside the total: it is named apart.
    refused(
        &["--expect-total", "30.50:BRL", "--expect-total", "1500:CLP"],
        "name them apart, e.g. --expect-total 30.50:BRL+1full",
    );
    refused(
        &["--expect-total", "30.50:BRL"],
        "rows in CLP and no total names it",
    );
    refused(
        &["--max-total", "1000:BRL", "--max-total", "2000:CLP"],
        "1 BRL row(s) ask for a full refund",
    );
    refused(
        &["--max-total", "1000:CLP", "--max-total", "100:BRL"],
        "CLP amounts add up to 1500, above the cap",
    );
    std::fs::remove_file(w.path("m.prom")).unwrap();

    // The file is the one expected: it runs.
    w.ok(
        &sb,
        &[
            "run",
            "in.csv",
            "--expect-rows",
            "4",
            "--expect-total",
            "30.5:BRL+1full",
            "--expect-total",
            "1500:CLP",
        ],
    );
    assert_eq!(sb.refunds().len(), 4);
}

#[test]
fn guards_in_a_job_file() {
    let (sb, w) = fresh_with(
        "in.csv",
        "payment_id,valor\n7300001,\"10,00\"\n7300002,\"5,25\"\n",
    );
    let job = |extra: &str| {
        w.write(
            "nightly.toml",
            format!(
                "input = \"in.csv\"\napi_base = \"{}\"\nexpect_rows = 2\n{extra}",
                sb.base_url()
            ),
        );
        let job = w.path("nightly.toml");
        run(w
            .mprefund(&sb, &["run", "--job", job.to_str().unwrap()])
            .current_dir(std::env::temp_dir()))
    };
    let ran = job("max_total = \"15.24\"\n");
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(
        ran.stderr.contains("add up to 15.25, above the cap"),
        "{ran:?}"
    );
    let ran = job("expect_total = [\"15.26:BRL\"]\n");
    assert_eq!(ran.code, 2, "{ran:?}");
    let ran = job("expect_total = \"nonsense\"\n");
    assert_eq!(ran.code, 2, "{ran:?}");
    // The key and the value the job file got wrong: the job file is read by
    // the same definition as the flags, its errors worded by it.
    assert!(
        ran.stderr.contains("expect_total") && ran.stderr.contains("\"nonsense\""),
        "{ran:?}"
    );
    assert_eq!(sb.stats().requests, 0);
    let ran = job("expect_total = [\"15.25:BRL\"]\nmax_total = \"15.25\"\n");
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(sb.refunds().len(), 2);
}

#[test]
fn results_mirror_the_inputs_bom_and_decimal_comma() {
    let (sb, w) = fresh();
    // A pt-BR Excel export: BOM, `;`, decimal comma.
    w.write(
        "br.csv",
        "\u{feff}payment_id;valor;obs\r\n7400001;10,5;a\r\n7400002;full;b\r\n",
    );
    w.ok(&sb, &["run", "br.csv"]);
    let bytes = std::fs::read(w.path("br.results.csv")).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBFpayment_id;"), "{bytes:?}");
    let rows = read_csv(&w.path("br.results.csv"));
    assert_eq!(rows[0]["refunded_amount"], "10,50");
    assert_eq!(rows[1]["refunded_amount"], "100,00");
    assert!(rows[0]["last_attempt_at"].ends_with('Z'), "{rows:?}");

    // Windows-1252 (Excel's "CSV" on Windows): results get a BOM, as UTF-8.
    w.write(
        "win.csv",
        b"payment_id;valor;obs\r\n7400003;2.5;Devolu\xE7\xE3o\r\n",
    );
    w.ok(&sb, &["run", "win.csv"]);
    let text = std::fs::read_to_string(w.path("win.results.csv")).unwrap();
    assert!(text.starts_with('\u{feff}'), "{text}");
    assert!(text.contains("Devolução"), "{text}");
    assert_eq!(
        read_csv(&w.path("win.results.csv"))[0]["refunded_amount"],
        "2.50"
    );

    // A plain UTF-8 file with `.` amounts stays plain.
    w.write("plain.csv", "payment_id,amount\n7400004,3\n");
    w.ok(&sb, &["run", "plain.csv"]);
    let text = std::fs::read_to_string(w.path("plain.results.csv")).unwrap();
    assert!(text.starts_with("payment_id,amount,row,"), "{text}");
    assert_eq!(
        read_csv(&w.path("plain.results.csv"))[0]["refunded_amount"],
        "3.00"
    );
}

#[test]
fn summaries_keep_full_refunds_apart_per_currency() {
    let (sb, w) = fresh_with("in.csv", MIXED);
    let ran = w.ok(&sb, &["run", "in.csv", "--summary-json", "s.json"]);
    assert!(
        ran.stderr.contains(
            "BRL: asked 30.50 in 2 row(s), refunded 30.50; 1 full-refund row(s) (no amount asked) refunded 100.00"
        ),
        "{ran:?}"
    );
    assert!(
        ran.stderr
            .contains("CLP: asked 1500 in 1 row(s), refunded 1500"),
        "{ran:?}"
    );
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(w.path("s.json")).unwrap()).unwrap();
    let brl = &json["currencies"]["BRL"];
    assert_eq!(brl["asked"], "30.50", "{json}");
    assert_eq!(brl["refunded"], "30.50", "{json}");
    assert_eq!(brl["full_rows"], 1, "{json}");
    assert_eq!(brl["refunded_full"], "100.00", "{json}");
    assert_eq!(json["outcomes"]["refunded"]["refunded"]["BRL"], "30.50");
    assert_eq!(
        json["outcomes"]["refunded"]["refunded_full"]["BRL"],
        "100.00"
    );
}

#[test]
fn status_failed_lists_the_rows_that_need_a_human() {
    let (sb, w) = fresh_with(
        "in.csv",
        "payment_id,amount\n7500001,1\n\n7500900,2\n7500904,3\n7500002,x\n",
    );
    run(w.mprefund(&sb, &["run", "in.csv", "--skip-invalid"])).exits(1);
    let st = run(w
        .bare()
        .args(["status", "--state", ACCOUNT_STATE, "--failed"]))
    .exits(0);
    let listed: Vec<&str> = st
        .stdout
        .lines()
        .skip_while(|l| !l.starts_with("rows that need a human"))
        .collect();
    assert_eq!(listed[0], "rows that need a human: 3", "{st:?}");
    let row = |line: &str| {
        listed
            .iter()
            .find(|l| l.split_whitespace().next() == Some(line))
            .unwrap_or_else(|| panic!("no line {line} in {st:?}"))
            .split_whitespace()
            .collect::<Vec<_>>()
    };
    // File line 4 is the third data row: the blank line is not a row.
    assert_eq!(row("4")[..5], ["4", "2", "7500900", "2.00", "failed"]);
    assert_eq!(row("5")[..5], ["5", "3", "7500904", "3.00", "failed"]);
    // An invalid row has no payment or amount to show; its message names the line.
    assert_eq!(
        row("6")[..5],
        ["6", "4", "invalid", "invalid_input", "line"]
    );
    assert!(!listed.iter().any(|l| l.contains("7500001")), "{st:?}");
}

#[test]
fn retry_leaves_pending_rows_to_run_unless_asked() {
    let (sb, w) = fresh_with("in.csv", "payment_id,amount\n7600001,1\n7600002,1\n");
    // A refused token stops the run with every row pending.
    run(w
        .mprefund(&sb, &["run", "in.csv", "--concurrency", "1"])
        .env("MP_ACCESS_TOKEN", "WRONG"))
    .exits(6);
    let ran = run(w.mprefund(
        &sb,
        &[
            "retry",
            "--state",
            ACCOUNT_STATE,
            "--metrics-file",
            "m.prom",
        ],
    ))
    .exits(2);
    // Monitoring hears of a retry that sent nothing, too.
    let prom = std::fs::read_to_string(w.path("m.prom")).unwrap();
    assert!(prom.contains("mprefund_run_exit_code 2"), "{prom}");
    assert!(ran.stderr.contains("2 row(s) still pending"), "{ran:?}");
    assert!(ran.stderr.contains("--include-pending"), "{ran:?}");
    assert!(sb.refunds().is_empty());
    w.ok(
        &sb,
        &["retry", "--state", ACCOUNT_STATE, "--include-pending"],
    );
    assert_eq!(sb.refunds().len(), 2);
}

#[test]
fn plan_with_a_job_names_its_columns_and_duration() {
    let w = Work::new();
    let mut csv = String::from("Referência;ID Pagamento;Valor;moeda\n");
    for i in 0..120 {
        csv.push_str(&format!("r{i};{};1,5;BRL\n", 7_700_000 + i));
    }
    w.write("in.csv", csv);
    w.write("job.toml", "input = \"in.csv\"\nrate = 2\n");
    let ran = run(w
        .bare()
        .current_dir(std::env::temp_dir())
        .arg("plan")
        .arg("--job")
        .arg(w.path("job.toml")))
    .exits(0);
    let lines: Vec<&str> = ran.stdout.lines().map(str::trim).collect();
    assert!(
        lines.contains(&"payment id:  column 2 \"ID Pagamento\""),
        "{ran:?}"
    );
    assert!(
        lines.contains(&"amount:      column 3 \"Valor\""),
        "{ran:?}"
    );
    assert!(
        lines.contains(&"reference:   column 1 \"Referência\""),
        "{ran:?}"
    );
    assert!(lines.contains(&"kind:        (none)"), "{ran:?}");
    assert!(
        lines.contains(&"currency:    column 4 \"moeda\""),
        "{ran:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("duration:      1m 0s at --rate 2")),
        "{ran:?}"
    );
}
