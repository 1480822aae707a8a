//! `reconcile --report`: a batch matched against Mercado Pago's own
//! report files — a case set up for every finding, reports written here in both
//! layouts (settlement with `;`, columns shuffled, unknown columns and a BOM;
//! release with `,`), and files that must be refused with their line.

use std::collections::HashMap;

use axum::body::Body;
use axum::http::StatusCode;
use mprefund_sandbox::{Sandbox, SandboxConfig, SandboxHandle};

use crate::common::{
    ACCOUNT_STATE, Stub, Work, fresh, fresh_with, json, ran_first, read_csv, refs, run,
};

/// An RFC 3339 date `days` from now.
fn day(days: i64) -> String {
    let t = time::OffsetDateTime::now_utc() + time::Duration::days(days);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

/// Refund ids the batch got, by payment (several for a payment refunded twice).
fn refund_ids(w: &Work, results: &str) -> HashMap<String, Vec<String>> {
    let mut m: HashMap<String, Vec<String>> = HashMap::new();
    for r in read_csv(&w.path(results)) {
        if !r["refund_id"].is_empty() {
            m.entry(r["payment_id"].clone())
                .or_default()
                .push(r["refund_id"].clone());
        }
    }
    m
}

fn reconcile(w: &Work, args: &[&str]) -> crate::common::Ran {
    run(w
        .bare()
        .args(["reconcile", "--state", ACCOUNT_STATE])
        .args(args))
}

/// The findings CSV as (finding, payment) pairs, with each line's fields.
fn findings(w: &Work, name: &str) -> Vec<HashMap<String, String>> {
    read_csv(&w.path(name))
}

/// A fresh sandbox and directory with [`batch`] run in it.
fn batched() -> (SandboxHandle, Work) {
    let (sb, w) = fresh();
    batch(&sb, &w);
    (sb, w)
}

fn batch(sb: &SandboxHandle, w: &Work) {
    w.write(
        "in.csv",
        "payment_id,amount,reference\n\
         9100001,10,a\n\
         9100002,5,b1\n\
         9100002,5,b2\n\
         9100003,20,c\n\
         9100004,7,d\n\
         9100904,3,e\n\
         9100006,4,f\n",
    );
    let ran = run(w.mprefund(sb, &["run", "in.csv"]));
    // 9100904 is a cancelled payment: its row fails.
    assert_eq!(ran.code, 1, "{ran:?}");
}

#[test]
fn every_finding_from_a_case_set_up_for_it() {
    let (_sb, w) = batched();
    let ids = refund_ids(&w, "in.results.csv");
    let id1 = &ids["9100001"][0];
    // Settlement report: `;`, a BOM, columns in another order, unknown columns.
    let (before, after, today) = (day(-10), day(10), day(0));
    let settlement = format!(
        "\u{feff}SITE;TRANSACTION_AMOUNT;SOURCE_ID;EXTRA_COLUMN;TRANSACTION_TYPE;TRANSACTION_CURRENCY;TRANSACTION_DATE;METADATA\n\
         MLB;100.00;9100001;x;SETTLEMENT;BRL;{before};\n\
         MLB;-10.00;9100001;x;REFUND;BRL;{today};\"{{\"\"refund_id\"\": {id1}}}\"\n\
         MLB;-5.00;9100002;x;REFUND;BRL;{today};\n\
         MLB;-5.00;9100002;x;REFUND;BRL;{today};\n\
         MLB;-19.00;9100003;x;REFUND;BRL;{today};\n\
         MLB;-3.00;9100904;x;REFUND;BRL;{today};\n\
         MLB;-4.00;9100006;x;REFUND;BRL;{today};\n\
         MLB;-4.00;9100006;x;CHARGEBACK;BRL;{today};\n\
         MLB;-99.00;5555555;x;REFUND;BRL;{today};\n\
         MLB;100.00;9100006;x;SETTLEMENT;BRL;{after};\n"
    );
    w.write("settlement.csv", settlement);
    // Release report: `,`, its own columns.
    let release = format!(
        "DATE,SOURCE_ID,EXTERNAL_REFERENCE,RECORD_TYPE,DESCRIPTION,NET_CREDIT_AMOUNT,NET_DEBIT_AMOUNT,GROSS_AMOUNT\n\
         {before},,,initial_available_balance,,0,0,0\n\
         {today},9100001,,release,reserve_for_refund,0,10.00,-10.00\n\
         {after},,,total,,0,0,0\n"
    );
    w.write("release.csv", release);
    let ran = reconcile(
        &w,
        &["--report", "settlement.csv", "--report", "release.csv"],
    );
    assert_eq!(ran.code, 1, "{ran:?}");
    let lines = findings(&w, "in.report-match.csv");
    let of = |finding: &str| -> Vec<&HashMap<String, String>> {
        lines.iter().filter(|l| l["finding"] == finding).collect()
    };
    let matched = of("matched");
    assert_eq!(matched.len(), 2, "{lines:?}");
    assert_eq!(matched[0]["payment_id"], "9100001");
    assert_eq!(matched[0]["report_line"], "3");
    assert_eq!(matched[0]["refund_id"], *id1);
    assert_eq!(matched[1]["payment_id"], "9100006");
    let ambiguous = of("matched_ambiguous");
    assert_eq!(ambiguous.len(), 2, "{lines:?}");
    // Oldest first: the first line took the refund made first.
    let mut rows = [ambiguous[0]["row"].as_str(), ambiguous[1]["row"].as_str()];
    rows.sort_unstable();
    assert_eq!(rows, ["2", "3"]);
    // As instants: RFC 3339 fractions vary in length (`.4Z`, `.45Z`), so the
    // texts do not sort as the times do.
    let at = |l: &HashMap<String, String>| {
        time::OffsetDateTime::parse(
            &l["state_date"],
            &time::format_description::well_known::Rfc3339,
        )
        .expect("state_date")
    };
    assert!(at(ambiguous[0]) <= at(ambiguous[1]), "{ambiguous:?}");
    let differs = of("amount_differs");
    assert_eq!(differs.len(), 1);
    assert_eq!(
        (
            differs[0]["payment_id"].as_str(),
            differs[0]["report_amount"].as_str(),
            differs[0]["state_amount"].as_str()
        ),
        ("9100003", "19.00", "20.00")
    );
    let not_in_batch = of("not_in_batch");
    assert_eq!(
        not_in_batch.len(),
        1,
        "only payments of the batch: {lines:?}"
    );
    assert_eq!(not_in_batch[0]["payment_id"], "9100904");
    assert_eq!(not_in_batch[0]["report_line"], "7");
    let chargeback = of("chargeback_on_refunded_payment");
    assert_eq!(chargeback.len(), 1);
    assert_eq!(chargeback[0]["payment_id"], "9100006");
    let missing = of("missing_in_report");
    assert_eq!(missing.len(), 1);
    assert_eq!(missing[0]["payment_id"], "9100004");
    assert_eq!(missing[0]["report_line"], "");
    let reserve = of("reserve_for_refund");
    assert_eq!(reserve.len(), 1);
    assert_eq!(reserve[0]["report"], "release.csv");
    assert!(of("out_of_period").is_empty());
    // Totals per currency: the state file's refunds against the reports' lines.
    assert!(
        ran.stderr.contains("BRL: refunded per the state file 51.00 (6 refund(s) in the period), per the reports 46.00 (6 line(s))"),
        "{ran:?}"
    );
    assert!(
        ran.stderr
            .contains("settlement.csv (settlement report): 10 line(s)"),
        "{ran:?}"
    );
    assert!(
        ran.stderr
            .contains("release.csv (release report): 3 line(s)"),
        "{ran:?}"
    );

    // A report that shows the batch's refunds exactly: exit 0.
    let clean = format!(
        "TRANSACTION_TYPE,SOURCE_ID,TRANSACTION_AMOUNT,TRANSACTION_DATE\n\
         SETTLEMENT,9100001,100,{before}\n\
         REFUND,9100001,10,{today}\n\
         REFUND,9100002,5,{today}\n\
         REFUND,9100002,5,{today}\n\
         REFUND,9100003,20,{today}\n\
         REFUND,9100004,7,{today}\n\
         REFUND,9100006,4,{today}\n\
         SETTLEMENT,9100001,1,{after}\n"
    );
    w.write("clean.csv", clean);
    let ran = reconcile(&w, &["--report", "clean.csv", "--out", "clean-match.csv"]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(
        findings(&w, "clean-match.csv")
            .iter()
            .all(|l| l["finding"].starts_with("matched"))
    );
}

#[test]
fn refunds_outside_the_reports_period_are_out_of_period() {
    let (_sb, w) = batched();
    let old = format!(
        "TRANSACTION_TYPE,SOURCE_ID,TRANSACTION_AMOUNT,TRANSACTION_DATE\n\
         SETTLEMENT,9100001,100,{}\n\
         SETTLEMENT,9100002,100,{}\n",
        day(-40),
        day(-20)
    );
    w.write("old.csv", old);
    // Reports none of whose lines fall in the batch's period match nothing: said
    // so, and exit 1 — not a clean 0 with every refund `out_of_period`.
    let one = format!(
        "TRANSACTION_TYPE,SOURCE_ID,TRANSACTION_AMOUNT,TRANSACTION_DATE\n\
         SETTLEMENT,9100001,100,{}\n",
        day(-20)
    );
    w.write("one.csv", one);
    w.write(
        "header-only.csv",
        "TRANSACTION_TYPE,SOURCE_ID,TRANSACTION_AMOUNT,TRANSACTION_DATE\n",
    );
    for (report, covers) in [
        ("old.csv", "the reports cover"),
        ("one.csv", "the reports cover"),
        ("header-only.csv", "the reports have no dated line"),
    ] {
        let ran = reconcile(&w, &["--report", report]);
        assert_eq!(ran.code, 1, "{report}: {ran:?}");
        assert!(
            ran.stderr.contains(
                "no line of the reports falls in the batch's period: its 6 refund(s) were made"
            ),
            "{report}: {ran:?}"
        );
        assert!(ran.stderr.contains(covers), "{report}: {ran:?}");
        let lines = findings(&w, "in.report-match.csv");
        assert_eq!(lines.len(), 6, "{report}: {lines:?}");
        assert!(
            lines.iter().all(|l| l["finding"] == "out_of_period"),
            "{report}: {lines:?}"
        );
    }
    // A report that covers the batch's period but shows nothing of it is not
    // that case: its refunds are missing in it.
    let around = format!(
        "TRANSACTION_TYPE,SOURCE_ID,TRANSACTION_AMOUNT,TRANSACTION_DATE\n\
         SETTLEMENT,9100001,100,{}\n\
         SETTLEMENT,9100002,100,{}\n",
        day(-10),
        day(10)
    );
    w.write("around.csv", around);
    let ran = reconcile(&w, &["--report", "around.csv"]);
    assert_eq!(ran.code, 1, "{ran:?}");
    assert!(!ran.stderr.contains("no line of the reports"), "{ran:?}");
    let lines = findings(&w, "in.report-match.csv");
    assert!(
        lines.iter().all(|l| l["finding"] == "missing_in_report"),
        "{lines:?}"
    );
}

/// A METADATA refund id names one refund: a line naming someone else's refund
/// is not ours (`not_in_batch`, with its id), whatever its amount, and our own
/// line still matches ours — by its id or by payment and amount.
#[test]
fn a_line_naming_another_refund_is_not_ours() {
    let (_sb, w) = batched();
    let ids = refund_ids(&w, "in.results.csv");
    let (id1, id3) = (&ids["9100001"][0], &ids["9100003"][0]);
    let (before, after, today) = (day(-10), day(10), day(0));
    let report = format!(
        "TRANSACTION_TYPE;SOURCE_ID;TRANSACTION_AMOUNT;TRANSACTION_CURRENCY;TRANSACTION_DATE;METADATA\n\
         SETTLEMENT;9100001;100.00;BRL;{before};\n\
         REFUND;9100001;-10.00;BRL;{today};\"{{\"\"refund_id\"\": 777000111}}\"\n\
         REFUND;9100001;-10.00;BRL;{today};\"{{\"\"refund_id\"\": {id1}}}\"\n\
         REFUND;9100003;-20.00;BRL;{today};\"{{\"\"refund_id\"\": 777000333}}\"\n\
         REFUND;9100003;-20.00;BRL;{today};\n\
         SETTLEMENT;9100001;1.00;BRL;{after};\n"
    );
    w.write("named.csv", report);
    let ran = reconcile(&w, &["--report", "named.csv"]);
    assert_eq!(ran.code, 1, "{ran:?}");
    let lines = findings(&w, "in.report-match.csv");
    let at = |line: &str| -> &HashMap<String, String> {
        lines
            .iter()
            .find(|l| l["report_line"] == line)
            .unwrap_or_else(|| panic!("line {line}: {lines:?}"))
    };
    assert_eq!(at("3")["finding"], "not_in_batch", "{lines:?}");
    assert_eq!(at("3")["refund_id"], "777000111", "{lines:?}");
    assert_eq!(at("3")["row"], "", "{lines:?}");
    assert_eq!(at("4")["finding"], "matched", "{lines:?}");
    assert_eq!(at("4")["refund_id"], *id1, "{lines:?}");
    assert_eq!(at("5")["finding"], "not_in_batch", "{lines:?}");
    assert_eq!(at("5")["refund_id"], "777000333", "{lines:?}");
    assert_eq!(at("6")["finding"], "matched", "{lines:?}");
    assert_eq!(at("6")["refund_id"], *id3, "{lines:?}");
}

/// Matching by payment and amount asks for the same currency: an ARS line is
/// not a BRL refund's.
#[test]
fn a_line_in_another_currency_is_not_our_refund() {
    let (_sb, w) = ran_first(
        "in.csv",
        "payment_id,amount,currency,reference\n9300001,10,BRL,a\n9300002,4,BRL,b\n",
    );
    let (before, after, today) = (day(-10), day(10), day(0));
    let report = format!(
        "TRANSACTION_TYPE,SOURCE_ID,TRANSACTION_AMOUNT,TRANSACTION_CURRENCY,TRANSACTION_DATE\n\
         SETTLEMENT,9300001,100.00,BRL,{before}\n\
         REFUND,9300001,-10.00,ARS,{today}\n\
         REFUND,9300002,-4.00,brl,{today}\n\
         SETTLEMENT,9300001,1.00,BRL,{after}\n"
    );
    w.write("ars.csv", report);
    let ran = reconcile(&w, &["--report", "ars.csv"]);
    assert_eq!(ran.code, 1, "{ran:?}");
    let lines = findings(&w, "in.report-match.csv");
    let got: Vec<(&str, &str, &str)> = lines
        .iter()
        .map(|l| {
            (
                l["finding"].as_str(),
                l["payment_id"].as_str(),
                l["currency"].as_str(),
            )
        })
        .collect();
    assert!(got.contains(&("not_in_batch", "9300001", "ARS")), "{got:?}");
    assert!(
        got.contains(&("missing_in_report", "9300001", "BRL")),
        "{got:?}"
    );
    assert!(got.contains(&("matched", "9300002", "brl")), "{got:?}");
    assert_eq!(got.len(), 3, "{got:?}");
}

#[test]
fn a_report_that_cannot_be_read_is_refused_with_its_line() {
    let (_sb, w) = batched();
    for (name, text, said) in [
        (
            "excel.csv",
            "TRANSACTION_TYPE;SOURCE_ID;TRANSACTION_AMOUNT\nSETTLEMENT;9100001;100\nREFUND;9,1E+06;10\n",
            "excel.csv, line 3: SOURCE_ID \"9,1E+06\" is in scientific notation",
        ),
        (
            "noid.csv",
            "TRANSACTION_TYPE,TRANSACTION_AMOUNT\nREFUND,10\n",
            "no SOURCE_ID column",
        ),
        (
            "nan.csv",
            "TRANSACTION_TYPE,SOURCE_ID,TRANSACTION_AMOUNT\nREFUND,9100001,ten\n",
            "nan.csv, line 2: amount \"ten\" is not a number",
        ),
        (
            "other.csv",
            "payment_id,amount\n1,2\n",
            "neither a settlement report",
        ),
    ] {
        w.write(name, text);
        let ran = reconcile(&w, &["--report", name]);
        assert_eq!(ran.code, 2, "{name}: {ran:?}");
        assert!(ran.stderr.contains(said), "{name}: {ran:?}");
    }
    // Nothing was half-written.
    assert!(!w.path("in.report-match.csv").exists());
}

/// `YYYY-MM-DD`, `days` from today.
fn date(days: i64) -> String {
    day(days)[..10].to_owned()
}

fn fetch_args<'a>(kind: &'a str, from: &'a str, to: &'a str) -> Vec<&'a str> {
    vec!["--fetch-report", kind, "--from", from, "--to", to]
}

/// The fetch flow against the sandbox: the report takes a few polls to appear,
/// and one poll is answered 429 — the report still comes, whole, beside the
/// state file, and matches the batch.
#[test]
fn a_fetched_report_after_a_few_polls_and_a_429_matches() {
    let sb = Sandbox::start(SandboxConfig {
        report_delay: std::time::Duration::from_secs(2),
        ..SandboxConfig::default()
    })
    .expect("sandbox");
    let w = Work::new();
    batch(&sb, &w);
    sb.throttle_report_lists(1);
    let gets = sb.stats().gets;
    let (from, to) = (date(-10), date(10));
    let base = sb.base_url();
    let mut args = fetch_args("settlement", &from, &to);
    args.extend(["--api-base", &base]);
    let ran = run(w
        .bare()
        .env("MP_ACCESS_TOKEN", mprefund_sandbox::TEST_TOKEN)
        .args(["reconcile", "--state", ACCOUNT_STATE])
        .args(&args))
    .exits(0);
    let stats = sb.stats();
    assert!(stats.gets - gets >= 3, "polled until ready: {stats:?}");
    assert!(
        stats.by_status.get(&429).copied().unwrap_or(0) >= 1,
        "{stats:?}"
    );
    let saved = w.path(&format!("in.settlement-report.{from}_{to}.csv"));
    let text = std::fs::read_to_string(&saved).expect("the report is kept beside the state");
    assert!(text.starts_with("EXTERNAL_REFERENCE;SOURCE_ID;"), "{text}");
    let lines = findings(&w, "in.report-match.csv");
    assert_eq!(lines.len(), 6, "{lines:?}");
    assert!(lines.iter().all(|l| l["finding"] == "matched"), "{lines:?}");
    assert!(
        ran.stderr
            .contains("BRL: refunded per the state file 51.00"),
        "{ran:?}"
    );
}

/// A sandbox whose reports disagree with its own books: every disagreement is
/// a finding, in the release layout as in the settlement one.
#[test]
fn reports_that_disagree_with_the_books_are_findings() {
    let (sb, w) = fresh_with(
        "in.csv",
        refs("9200001,10,a\n9200002,5,b1\n9200002,5,b2\n9200003,20,c\n"),
    );
    // One at a time: the refunds are made in row order, which the lies follow.
    w.ok(&sb, &["run", "in.csv", "--concurrency", "1"]);
    sb.set_report_lies(true);
    let (from, to) = (date(-10), date(10));
    let base = sb.base_url();
    for kind in ["settlement", "release"] {
        let out = format!("{kind}-match.csv");
        let mut args = fetch_args(kind, &from, &to);
        args.extend(["--api-base", &base, "--out", &out]);
        let ran = run(w
            .bare()
            .env("MP_ACCESS_TOKEN", mprefund_sandbox::TEST_TOKEN)
            .args(["reconcile", "--state", ACCOUNT_STATE])
            .args(&args));
        assert_eq!(ran.code, 1, "{kind}: {ran:?}");
        let lines = findings(&w, &out);
        let got: Vec<(&str, &str)> = lines
            .iter()
            .map(|l| (l["finding"].as_str(), l["payment_id"].as_str()))
            .collect();
        // The first refund left out, the second one unit more, a refund nobody
        // made on the third's payment.
        assert!(
            got.contains(&("missing_in_report", "9200001")),
            "{kind}: {got:?}"
        );
        assert!(
            got.contains(&("amount_differs", "9200002")),
            "{kind}: {got:?}"
        );
        assert!(
            got.contains(&("not_in_batch", "9200002")),
            "{kind}: {got:?}"
        );
        assert!(got.contains(&("matched", "9200003")), "{kind}: {got:?}");
        assert_eq!(got.len(), 5, "{kind}: {got:?}");
    }
}

/// `reconcile --fetch-report` against `base` (a stub), with `extra` flags.
fn fetch_at(w: &Work, base: &str, from: &str, to: &str, extra: &[&str]) -> crate::common::Ran {
    run(fetch_cmd(w, base, from, to, extra))
}

/// [`fetch_at`] of November 2026, the month the stubs' list names.
fn fetch_november(w: &Work, base: &str, extra: &[&str]) -> crate::common::Ran {
    fetch_at(w, base, "2026-11-01", "2026-11-30", extra)
}

/// A report download of the header alone: nothing in the period.
fn header_only() -> (StatusCode, Vec<(&'static str, String)>, Body) {
    (
        StatusCode::OK,
        vec![],
        Body::from("TRANSACTION_TYPE,SOURCE_ID,TRANSACTION_AMOUNT,TRANSACTION_DATE\n"),
    )
}

/// `reconcile --fetch-report settlement` of the account's state file from
/// `base`, for `from`..`to`; `extra`: its other flags.
fn fetch_cmd(w: &Work, base: &str, from: &str, to: &str, extra: &[&str]) -> std::process::Command {
    let mut cmd = w.bare();
    cmd.env("MP_ACCESS_TOKEN", mprefund_sandbox::TEST_TOKEN)
        .args(["reconcile", "--state", ACCOUNT_STATE])
        .args(fetch_args("settlement", from, to))
        .args(["--api-base", base])
        .args(extra);
    cmd
}

/// A report fetch's stub: the creation accepted, the list naming `name`,
/// then each later request answered `rest`.
fn report_stub(
    name: &'static str,
    rest: impl Fn() -> (StatusCode, Vec<(&'static str, String)>, Body) + Send + Sync + 'static,
) -> Stub {
    Stub::start(move |n, _| match n {
        0 => json(202, "{}"),
        1 => json(200, &listed(name)),
        _ => rest(),
    })
}

/// A report fetch's bare server ([`raw_server`]): the creation accepted, the
/// list naming `name` (with its length), then the download answered `rest`.
fn raw_report(name: &'static str, rest: impl Fn() -> Vec<u8> + Send + 'static) -> String {
    raw_server(move |request| {
        let head = |status: &str| format!("HTTP/1.1 {status}\r\nConnection: close\r\n");
        if request.starts_with("POST") {
            format!("{}Content-Length: 2\r\n\r\n{{}}", head("202 Accepted")).into_bytes()
        } else if request.contains("/list") {
            let list = listed(name);
            format!(
                "{}Content-Length: {}\r\n\r\n{list}",
                head("200 OK"),
                list.len()
            )
            .into_bytes()
        } else {
            rest()
        }
    })
}

/// SIGTERM to a fetch under way (`child`, logging as `fetch`): it ends within
/// `secs`, resumable (exit 3).
fn ends_resumable(w: &Work, mut child: std::process::Child, secs: u64) {
    let signalled = std::time::Instant::now();
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGTERM) }, 0);
    let status = child.wait().expect("wait");
    assert!(
        signalled.elapsed() < std::time::Duration::from_secs(secs),
        "{:?} {}",
        signalled.elapsed(),
        w.log("fetch")
    );
    assert_eq!(status.code(), Some(3), "{}", w.log("fetch"));
}

/// The list's answer once the November 2026 report is there, as `name`.
fn listed(name: &str) -> String {
    format!(
        r#"[{{"begin_date":"2026-11-01T00:00:00Z","end_date":"2026-11-30T23:59:59Z","file_name":"{name}"}}]"#
    )
}

/// A bare HTTP/1.1 server on 127.0.0.1:0: each connection's one request is
/// answered with `answer(its request line)`'s bytes, then the connection is
/// closed — so an answer may come without a Content-Length, read to its end.
fn raw_server(answer: impl Fn(&str) -> Vec<u8> + Send + 'static) -> String {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let mut reader = BufReader::new(conn.try_clone().expect("clone"));
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).is_err() {
                continue;
            }
            let mut length = 0usize;
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                    break;
                }
                if let Some((k, v)) = h.split_once(':')
                    && k.eq_ignore_ascii_case("content-length")
                {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            // The client may hang up mid-answer: that is what is tested.
            let _ = conn.write_all(&answer(&request_line));
        }
    });
    format!("http://{addr}")
}

/// A report larger than `--max-report-bytes` is refused, whether its answer says
/// its length or not, and nothing of it is kept; what is said stays short.
#[test]
fn a_report_larger_than_the_cap_is_refused_and_not_kept() {
    let (_sb, w) = batched();
    const BODY: usize = 3 << 20;
    // Said by its length.
    let stub = report_stub("big.csv", || {
        (StatusCode::OK, vec![], Body::from(vec![b'x'; BODY]))
    });
    // Not said: streamed until it passes the bound.
    let raw = raw_report("big.csv", || {
        let mut b = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n".to_vec();
        b.extend(std::iter::repeat_n(b'x', BODY));
        b
    });
    for base in [stub.base(), raw] {
        let ran = fetch_november(
            &w,
            &base,
            &["--max-report-bytes", "1MiB", "--fetch-timeout", "30"],
        );
        assert_eq!(ran.code, 3, "{base}: {ran:?}");
        assert!(
            ran.stderr
                .contains("is larger than --max-report-bytes (1048576 bytes)"),
            "{base}: {ran:?}"
        );
        assert!(ran.stderr.len() < 2_000, "{base}: {ran:?}");
        let kept: Vec<_> = std::fs::read_dir(w.dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains("settlement-report"))
            .collect();
        assert!(kept.is_empty(), "{base}: {kept:?}");
    }
    // Under the cap, the same flow downloads it (and the file is then read).
    let small = report_stub("small.csv", header_only);
    let ran = fetch_november(&w, &small.base(), &["--max-report-bytes", "1MiB"]);
    assert_eq!(ran.code, 1, "a header only: nothing in the period {ran:?}");
    assert!(
        w.path("in.settlement-report.2026-11-01_2026-11-30.csv")
            .exists(),
        "{ran:?}"
    );
}

/// `--fetch-timeout` bounds every wait: a list answering 429 with
/// `Retry-After: 1000` ends the fetch at once, with why.
#[test]
fn the_fetch_deadline_bounds_a_long_retry_after() {
    let (_sb, w) = batched();
    let stub = Stub::start(|n, _| match n {
        0 => json(202, "{}"),
        _ => (
            StatusCode::TOO_MANY_REQUESTS,
            vec![("retry-after", "1000".to_owned())],
            Body::from("{}"),
        ),
    });
    let started = std::time::Instant::now();
    let ran = fetch_november(&w, &stub.base(), &["--fetch-timeout", "4"]);
    let took = started.elapsed();
    assert!(
        took < std::time::Duration::from_secs(60),
        "{took:?} {ran:?}"
    );
    assert_eq!(ran.code, 3, "{ran:?}");
    assert!(ran.stderr.contains("past --fetch-timeout (4 s)"), "{ran:?}");
    assert!(stub.seen().len() >= 2, "the list was asked");
}

/// `--from` after `--to` is a usage error, before any request.
#[test]
fn a_period_running_backwards_is_refused_before_any_request() {
    let (_sb, w) = batched();
    let stub = Stub::start(|_, _| json(202, "{}"));
    let ran = fetch_at(&w, &stub.base(), "2026-11-30", "2026-11-01", &[]);
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(
        ran.stderr
            .contains("--from \"2026-11-30\" is after --to \"2026-11-01\""),
        "{ran:?}"
    );
    assert!(stub.seen().is_empty(), "{:?}", stub.seen());
}

/// `reconcile --fetch-report --rate 2` paces its requests as a run does:
/// the creation, the list (two 500s, then ready) and the download never go
/// more than twice in any second. Before, the fetch sent them back to back.
#[test]
fn a_fetch_honours_the_rate() {
    let (_sb, w) = batched();
    let stub = Stub::start(|n, _| match n {
        0 => json(202, "{}"),
        1 | 2 => json(500, r#"{"message":"busy","status":500}"#),
        3 => json(200, &listed("paced.csv")),
        _ => header_only(),
    });
    let ran = fetch_november(&w, &stub.base(), &["--rate", "2"]);
    assert_eq!(ran.code, 1, "a header only: nothing in the period {ran:?}");
    let seen = stub.seen();
    assert_eq!(seen.len(), 5, "{seen:?}");
    // Loosely: the window the pacer keeps is a little over a second.
    for three in seen.windows(3) {
        let spread = three[2].at - three[0].at;
        assert!(
            spread >= std::time::Duration::from_millis(900),
            "three requests within {spread:?}: {seen:?}"
        );
    }
}

/// SIGTERM while the report's download waits out a `Retry-After` ends the fetch
/// at once, resumable (exit 3), not after the minute asked.
#[test]
fn a_signal_ends_a_download_waiting_to_retry() {
    let (_sb, w) = batched();
    let stub = report_stub("later.csv", || {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            vec![("retry-after", "60".to_owned())],
            Body::empty(),
        )
    });
    let cmd = fetch_cmd(&w, &stub.base(), "2026-11-01", "2026-11-30", &[]);
    let child = w.spawn(cmd, "fetch");
    crate::common::wait_until(
        "the download refused once",
        std::time::Duration::from_secs(30),
        || stub.seen().len() >= 3,
    );
    ends_resumable(&w, child, 30);
    assert_eq!(stub.seen().len(), 3, "nothing sent after the signal");
}

/// SIGTERM while the download itself hangs (no answer yet) gives it `--grace`,
/// then ends the fetch, resumable (exit 3) — not after the request's timeout.
#[test]
fn a_signal_ends_a_hanging_download_after_the_grace() {
    let (_sb, w) = batched();
    let (tx, asked) = std::sync::mpsc::channel::<()>();
    let tx = std::sync::Mutex::new(tx);
    let raw = raw_report("hangs.csv", move || {
        let _ = tx.lock().unwrap().send(());
        // No answer for longer than the test waits.
        std::thread::sleep(std::time::Duration::from_secs(300));
        Vec::new()
    });
    let more = ["--timeout", "240", "--grace", "1"];
    let cmd = fetch_cmd(&w, &raw, "2026-11-01", "2026-11-30", &more);
    let child = w.spawn(cmd, "fetch");
    asked
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("the download asked");
    ends_resumable(&w, child, 60);
}
