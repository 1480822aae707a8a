//! Hardening: each test sets up one way a tool like this one loses a row,
//! overwrites the state, trusts a lying server or leaks the token, and checks
//! through the binary that this one does not. Servers that lie are stubs (`common::Stub`).

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use axum::body::Body;
use axum::http::StatusCode;
use mprefund_sandbox::TEST_TOKEN;

use crate::common::{
    ACCOUNT_STATE, Stub, Work, fresh, fresh_with, json, ordinary_csv, ran_first, read_csv, refs,
    refunds_per_key, run,
};

/// `mprefund ARGS` in `w` against any API base.
fn mprefund_at(w: &Work, base: &str, args: &[&str]) -> std::process::Command {
    let mut c = w.bare();
    c.env("MP_ACCESS_TOKEN", TEST_TOKEN)
        .args(args)
        .args(["--api-base", base]);
    c
}

/// Runs `in.csv` against a stub answering every request `status` with `body`, at
/// most two attempts, on the state file `state`.db, and checks what such an
/// answer must give: an unknown outcome (nobody knows whether it refunded),
/// retryable, no amount refunded, and the retry sent with the row's own key.
/// The row, for what else the caller checks.
fn ends_unknown(w: &Work, status: u16, body: &'static str, state: &str) -> HashMap<String, String> {
    let stub = Stub::start(move |_, _| json(status, body));
    let db = format!("{state}.db");
    let args = ["run", "in.csv", "--state", &db, "--max-attempts", "2"];
    run(mprefund_at(w, &stub.base(), &args)).exits(1);
    let row = read_csv(&w.path("in.results.csv")).swap_remove(0);
    assert_eq!(row["outcome"], "unknown", "{state}: {row:?}");
    assert_eq!(row["cause_code"], "unknown_outcome", "{state}: {row:?}");
    assert_eq!(row["retryable"], "true", "{state}: {row:?}");
    assert_eq!(row["refunded_amount"], "", "{state}: {row:?}");
    let seen = stub.seen();
    assert_eq!(seen.len(), 2, "{state}");
    assert_eq!(seen[0].key, seen[1].key, "{state}");
    row
}

fn file_bytes(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_default()
}

// A quote left open must not swallow the rows after it.
#[test]
fn an_unclosed_quote_is_refused_with_its_line_and_nothing_is_sent() {
    let (sb, w) = fresh_with(
        "open.csv",
        refs("7000001,10,a\n7000002,10,\"b\n7000003,10,c\n7000004,10,d\n"),
    );
    for cmd in ["plan", "run"] {
        let mut c = w.bare();
        c.env("MP_ACCESS_TOKEN", TEST_TOKEN).args([cmd, "open.csv"]);
        if cmd == "run" {
            c.args(["--api-base", &sb.base_url()]);
        }
        let ran = run(c);
        assert_eq!(ran.code, 2, "{cmd}: {ran:?}");
        assert!(ran.stderr.contains("line 3"), "{cmd}: {ran:?}");
        assert!(ran.stderr.contains("never closed"), "{cmd}: {ran:?}");
    }
    // Closed too late, in a free-text column: the cell holds what look like rows.
    w.write(
        "late.csv",
        "payment_id,amount,note\n7000011,10,\"x\n7000012,10,y\"\n7000013,10,z\n",
    );
    let ran = run(w.mprefund(&sb, &["run", "late.csv"])).exits(2);
    assert!(ran.stderr.contains("line 2"), "{ran:?}");
    assert!(ran.stderr.contains("further rows"), "{ran:?}");
    assert_eq!(sb.refunds().len(), 0);
    // A note typed over two lines (Excel's Alt+Enter) is still fine.
    w.write(
        "note.csv",
        "payment_id,amount,note\n7000021,10,\"first line\nsecond line\"\n7000022,10,z\n",
    );
    w.ok(&sb, &["run", "note.csv"]);
    let rows = read_csv(&w.path("note.results.csv"));
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["note"], "first line\nsecond line");
    assert_eq!(sb.refunds().len(), 2);
}

// No output path may overwrite the state, its companions, the input or
// another output.
#[test]
fn outputs_that_would_overwrite_state_or_input_are_refused() {
    let (sb, w) = fresh_with("in.csv", ordinary_csv(3, 7_100_001));
    w.ok(&sb, &["run", "in.csv", "--state", "s.db"]);
    let state = file_bytes(&w.path("s.db"));
    let input = file_bytes(&w.path("in.csv"));
    for (flag, target) in [
        ("--out", "s.db"),
        ("--out", "./s.db-wal"),
        ("--summary-json", "s.db"),
        ("--metrics-file", "s.db-shm"),
        ("--out", "in.csv"),
        ("--metrics-file", "in.results.csv"),
    ] {
        let ran = run(w.mprefund(&sb, &["run", "in.csv", "--state", "s.db", flag, target]));
        assert_eq!(ran.code, 2, "{flag} {target}: {ran:?}");
        assert!(ran.stderr.contains("would overwrite"), "{ran:?}");
    }
    run(w
        .bare()
        .args(["report", "--state", "s.db", "--out", "s.db"]))
    .exits(2);
    assert!(
        file_bytes(&w.path("s.db")) == state,
        "the state file changed"
    );
    assert!(file_bytes(&w.path("in.csv")) == input, "the input changed");
    assert_eq!(sb.refunds().len(), 3);
}

// A changed namespace would give every row a new key.
#[test]
fn a_namespace_change_is_refused_unless_asked_for() {
    let (sb, w) = fresh_with("in.csv", ordinary_csv(4, 7_200_001));
    w.ok(
        &sb,
        &["run", "in.csv", "--state", "s.db", "--namespace", "acctA"],
    );
    for other in [&["--namespace", "acctB"][..], &[]] {
        let mut args = vec!["run", "in.csv", "--state", "s.db"];
        args.extend_from_slice(other);
        let ran = run(w.mprefund(&sb, &args));
        assert_eq!(ran.code, 2, "{args:?}: {ran:?}");
        assert!(ran.stderr.contains("--namespace-change"), "{ran:?}");
        assert!(ran.stderr.contains("acctA"), "{ran:?}");
    }
    assert_eq!(sb.refunds().len(), 4);
    // Asked for by name, the namespace changes — and the per-payment guard still
    // stands: these payments were refunded under the old keys.
    let switch = [
        "run",
        "in.csv",
        "--state",
        "s.db",
        "--namespace",
        "acctB",
        "--namespace-change",
    ];
    let ran = run(w.mprefund(&sb, &switch)).exits(2);
    assert!(ran.stderr.contains("already has refunds"), "{ran:?}");
    assert_eq!(sb.refunds().len(), 4);
    run(w.mprefund(&sb, &switch).arg("--allow-more-refunds")).exits(0);
    assert_eq!(sb.refunds().len(), 8);
}

// A reference in NFC and the same text in NFD are one refund.
#[test]
fn nfc_and_nfd_references_are_one_refund() {
    let (sb, w) = fresh_with("win.csv", refs("7300001,10,Estorno Jo\u{e3}o\n"));
    w.write(
        "mac.csv",
        "payment_id,amount,reference\n7300001,10,Estorno Joa\u{303}o\n",
    );
    w.ok(&sb, &["run", "win.csv"]);
    w.ok(&sb, &["run", "mac.csv"]);
    assert_eq!(refunds_per_key(&sb).len(), 1);
    assert_eq!(sb.refunds().len(), 1);
    assert_eq!(
        read_csv(&w.path("win.results.csv"))[0]["idempotency_key"],
        read_csv(&w.path("mac.results.csv"))[0]["idempotency_key"]
    );
}

// A refund that is not the one asked for is flagged, not a plain success.
#[test]
fn answers_are_checked_against_the_question() {
    let w = Work::new();
    w.write("in.csv", "payment_id,amount,reference\n7400001,25.00,r1\n");
    let cases: [(&str, &str); 2] = [
        (
            r#"{"id": 1, "payment_id": 7400001, "amount": 20.00, "status": "approved"}"#,
            "amount_differs",
        ),
        (
            r#"{"id": 1, "payment_id": 9999999, "amount": 25.00, "status": "approved"}"#,
            "payment_differs",
        ),
    ];
    for (body, cause) in cases {
        let stub = Stub::start(move |_, _| json(201, body));
        let ran = run(mprefund_at(
            &w,
            &stub.base(),
            &["run", "in.csv", "--state", &format!("{cause}.db")],
        ));
        assert_eq!(ran.code, 1, "{cause}: {ran:?}");
        assert!(ran.stderr.contains("NOT as asked"), "{ran:?}");
        let row = &read_csv(&w.path("in.results.csv"))[0];
        assert_eq!(row["outcome"], "refunded", "{row:?}");
        assert_eq!(row["cause_code"], cause, "{row:?}");
    }
    // No status, or an array without this refund: nobody knows; retried, same key.
    let unknowns = [
        r#"{"id": 1, "payment_id": 7400001, "amount": 25.00}"#,
        r#"[{"id": 1, "payment_id": 7400001, "amount": 5, "status": "approved"},
            {"id": 2, "payment_id": 7400001, "amount": 7, "status": "approved"}]"#,
    ];
    for (i, body) in unknowns.into_iter().enumerate() {
        // No answer to trust: the refund may exist — in doubt, not failed.
        ends_unknown(&w, 201, body, &format!("unknown{i}"));
    }
}

// A rejected refund moved no money.
#[test]
fn a_rejected_refund_shows_no_refunded_amount_and_is_not_summed() {
    let (sb, w) = fresh_with("in.csv", "payment_id,amount\n7500908,10.00\n7500001,5.00\n");
    run(w.mprefund(&sb, &["run", "in.csv", "--summary-json", "summary.json"])).exits(1);
    let rows = read_csv(&w.path("in.results.csv"));
    assert_eq!(rows[0]["refund_status"], "rejected");
    assert_ne!(rows[0]["refund_id"], "");
    assert_eq!(rows[0]["refunded_amount"], "");
    assert_eq!(rows[1]["refunded_amount"], "5.00");
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(w.path("summary.json")).unwrap()).unwrap();
    assert!(
        summary["outcomes"]["failed"]["refunded"]
            .as_object()
            .is_none_or(|m| m.is_empty()),
        "{summary}"
    );
}

// A huge answer is not read; it is an unknown outcome.
#[test]
fn an_oversized_answer_is_an_unknown_outcome_not_a_success() {
    let w = Work::new();
    w.write("in.csv", "payment_id,amount\n7600001,10.00\n");
    let stub = Stub::start(|_, _| {
        let mut body = String::from(
            r#"{"id": 1, "payment_id": 7600001, "amount": 10, "status": "approved", "pad": ""#,
        );
        body.push_str(&"x".repeat(8 << 20));
        body.push_str("\"}");
        json(201, &body)
    });
    run(mprefund_at(
        &w,
        &stub.base(),
        &["run", "in.csv", "--max-attempts", "2"],
    ))
    .exits(1);
    let row = &read_csv(&w.path("in.results.csv"))[0];
    assert_eq!(row["outcome"], "unknown", "{row:?}");
    assert_eq!(row["cause_code"], "unknown_outcome", "{row:?}");
    assert!(row["cause_message"].contains("larger than"), "{row:?}");
    let seen = stub.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].key, seen[1].key);
}

// Another application's database is refused before a byte changes.
#[test]
fn a_foreign_or_unusable_state_file_is_refused_untouched() {
    let (sb, w) = fresh_with("in.csv", ordinary_csv(2, 7_700_001));
    let make = |name: &str, sql: &str| {
        let p = w.path(name);
        let c = rusqlite::Connection::open(&p).unwrap();
        c.execute_batch(sql).unwrap();
        drop(c);
        p
    };
    let foreign = [
        make(
            "notes.db",
            "CREATE TABLE notes (t TEXT); INSERT INTO notes VALUES ('mine');",
        ),
        make(
            "versioned.db",
            "CREATE TABLE rows (x); CREATE TABLE batches (y); PRAGMA user_version = 0; CREATE TABLE z (a);",
        ),
        make(
            "other-app.db",
            "PRAGMA application_id = 42; CREATE TABLE t (a);",
        ),
        make("future.db", "CREATE TABLE q (a); PRAGMA user_version = 5;"),
        w.write("text.db", "this is not a database, just text\n"),
    ];
    for p in &foreign {
        let before = file_bytes(p);
        let ran = run(w.mprefund(&sb, &["run", "in.csv", "--state", p.to_str().unwrap()]));
        assert_eq!(ran.code, 2, "{}: {ran:?}", p.display());
        assert!(ran.stderr.contains("cannot be used"), "{ran:?}");
        assert!(file_bytes(p) == before, "{} changed", p.display());
        let mut wal = p.clone().into_os_string();
        wal.push("-wal");
        assert!(!Path::new(&wal).exists(), "{} got a WAL", p.display());
    }
    std::fs::create_dir(w.path("folder.db")).unwrap();
    run(w.mprefund(&sb, &["run", "in.csv", "--state", "folder.db"])).exits(2);
    run(w.bare().args(["status", "--state", "notes.db"])).exits(2);
    assert_eq!(sb.refunds().len(), 0);
}

// Retry-After is honoured whatever body comes with it, and a 429 is the
// API pacing us, not a failure the breaker counts.
#[test]
fn retry_after_is_honoured_with_an_html_429_and_the_breaker_stays_closed() {
    let w = Work::new();
    w.write("in.csv", "payment_id,amount\n7800001,10.00\n");
    let ok = r#"{"id": 1, "payment_id": 7800001, "amount": 10, "status": "approved"}"#;
    let stub = Stub::start(move |n, _| match n {
        0 => (
            StatusCode::TOO_MANY_REQUESTS,
            vec![
                ("retry-after", "1".to_owned()),
                ("content-type", "text/html".to_owned()),
            ],
            Body::from("<html><body>Too Many Requests</body></html>"),
        ),
        1..=3 => (
            StatusCode::TOO_MANY_REQUESTS,
            vec![("retry-after", "0".to_owned())],
            Body::empty(),
        ),
        _ => json(201, ok),
    });
    run(mprefund_at(
        &w,
        &stub.base(),
        &["run", "in.csv", "--breaker", "2"],
    ))
    .exits(0);
    let seen = stub.seen();
    assert_eq!(seen.len(), 5);
    let gap = seen[1].at - seen[0].at;
    assert!(gap >= Duration::from_millis(900), "retried after {gap:?}");
    assert!(seen.iter().all(|s| s.key == seen[0].key));
}

// The token never leaves the Authorization header.
#[test]
fn the_token_stays_secret_and_userinfo_is_refused() {
    let (sb, w) = fresh_with("in.csv", "payment_id,amount\n7900001,10.00\n");
    let base = format!("http://user:hunter2@{}", sb.addr());
    let ran = run(w
        .mprefund(&sb, &["run", "in.csv"])
        .args(["--api-base", &base]))
    .exits(2);
    assert!(!ran.stderr.contains("hunter2"), "{ran:?}");
    assert_eq!(sb.refunds().len(), 0);

    // A server that echoes the request's Authorization header in its error text.
    let secret = "APP_USR-5ecret-token-never-to-be-seen";
    let stub = Stub::start(|_, headers| {
        let auth = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        json(
            400,
            &format!(
                r#"{{"message":"bad request with {auth}","error":"bad_request","status":400,"cause":[{{"code":1,"description":"header was {auth}"}}]}}"#
            ),
        )
    });
    let ran = run(
        mprefund_at(&w, &stub.base(), &["run", "in.csv", "--state", "echo.db"])
            .env("MP_ACCESS_TOKEN", secret),
    )
    .exits(1);
    let results = std::fs::read_to_string(w.path("in.results.csv")).unwrap();
    assert!(results.contains("<redacted>"), "{results}");
    for (what, bytes) in [
        ("results", results.into_bytes()),
        ("state", file_bytes(&w.path("echo.db"))),
        ("state wal", file_bytes(&w.path("echo.db-wal"))),
        ("stderr", ran.stderr.clone().into_bytes()),
        ("stdout", ran.stdout.clone().into_bytes()),
    ] {
        assert!(
            !bytes.windows(secret.len()).any(|x| x == secret.as_bytes()),
            "the token is in the {what}"
        );
    }
    let status = run(w.bare().args(["status", "--state", "echo.db"]));
    assert!(!status.stdout.contains(secret), "{status:?}");

    // A token file saved with a BOM, readable by others: used, with a warning.
    let token_file = w.write("token.txt", format!("\u{feff}{TEST_TOKEN}\n"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&token_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let ran = run(w.bare().args([
        "run",
        "in.csv",
        "--state",
        "bom.db",
        "--token-file",
        "token.txt",
        "--api-base",
        &sb.base_url(),
    ]))
    .exits(0);
    assert!(ran.stderr.contains("readable by other users"), "{ran:?}");
    assert_eq!(sb.refunds().len(), 1);
}

// What an interrupted results write left is cleaned on the next write.
#[test]
fn stale_temporary_files_are_cleaned_on_the_next_write() {
    let (sb, w) = fresh_with("in.csv", ordinary_csv(2, 7_950_001));
    let stale = w.write(".mprefund-Xk3v9q", vec![b'x'; 4096]);
    let f = std::fs::File::options().write(true).open(&stale).unwrap();
    f.set_modified(std::time::SystemTime::now() - Duration::from_secs(3600))
        .unwrap();
    drop(f);
    w.ok(&sb, &["run", "in.csv"]);
    assert!(!stale.exists());
}

// Every row invalid with --skip-invalid still gets its results.
#[test]
fn skip_invalid_with_every_row_bad_writes_results_and_exits_1() {
    let (sb, w) = fresh_with("in.csv", "payment_id,amount\nabc,10\n7960001,-5\n");
    run(w.mprefund(&sb, &["run", "in.csv", "--skip-invalid"])).exits(1);
    let rows = read_csv(&w.path("in.results.csv"));
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| r["outcome"] == "invalid"), "{rows:?}");
    assert_eq!(sb.refunds().len(), 0);
}

// Columns named like ours, unknown currencies.
#[test]
fn input_columns_named_like_ours_and_unknown_currencies() {
    let (_sb, w) = ran_first(
        "in.csv",
        "payment_id,amount,outcome,row\n7970001,10,won,r-1\n",
    );
    let text = std::fs::read_to_string(w.path("in.results.csv")).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let mut unique = header.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), header.len(), "{header:?}");
    let row = &read_csv(&w.path("in.results.csv"))[0];
    assert_eq!(row["input_outcome"], "won");
    assert_eq!(row["input_row"], "r-1");
    assert_eq!(row["outcome"], "refunded");
    assert_eq!(row["row"], "1");

    w.write(
        "cur.csv",
        "payment_id,amount,currency\n7970002,10,XYZ\n7970003,10.5,CLP\n",
    );
    let ran = run(w.bare().args(["plan", "cur.csv"])).exits(2);
    let out = format!("{}{}", ran.stdout, ran.stderr);
    assert!(out.contains("line 2") && out.contains("XYZ"), "{out}");
    assert!(
        out.contains("line 3") && out.contains("CLP allows no decimals"),
        "{out}"
    );
}

// Hand-edited state: a non-ASCII batch id, sums past Decimal's range.
#[test]
fn a_hand_edited_state_file_does_not_panic() {
    let (sb, w) = fresh_with("in.csv", ordinary_csv(2, 7_980_001));
    w.ok(&sb, &["run", "in.csv"]);
    let c = rusqlite::Connection::open(w.path(ACCOUNT_STATE)).unwrap();
    c.execute_batch(
        "UPDATE batches SET id = 'ñandú-çaçá-øre-ÿes';
         UPDATE rows SET refunded_amount = '79228162514264337593543950335';",
    )
    .unwrap();
    drop(c);
    let status = run(w.bare().args(["status", "--state", ACCOUNT_STATE]));
    let retry = run(w.mprefund(&sb, &["retry", "--state", ACCOUNT_STATE]));
    for ran in [&status, &retry] {
        assert!(
            ran.code != 101 && !ran.stderr.contains("panicked"),
            "{ran:?}"
        );
        assert!(ran.stderr.contains("too large"), "{ran:?}");
    }
    assert_eq!(sb.refunds().len(), 2);
    // Damaged cells (a truncated compact record) are an error naming the row.
    let c = rusqlite::Connection::open(w.path(ACCOUNT_STATE)).unwrap();
    c.execute_batch("UPDATE rows SET fields = x'0102' WHERE row_no = 2;")
        .unwrap();
    drop(c);
    let status = run(w.bare().args(["status", "--state", ACCOUNT_STATE]));
    assert!(
        status.code != 101 && status.stderr.contains("row 2 has bad cells"),
        "{status:?}"
    );
}

// What an answer says is read strictly, the token file is
// bounded, and `report` says what went wrong with the right exit code.

/// A token the server echoes with JSON, URL or HTML escapes is
/// redacted too, in the state and the results alike.
#[test]
fn an_escaped_echo_of_the_token_is_redacted() {
    let w = Work::new();
    w.write("in.csv", "payment_id,amount\n7910001,10.00\n");
    let secret = "TEST-5ecret-echoed-in-escapes";
    let escaped = secret.replacen('T', r"\u0054", 1);
    let json_echo = Stub::start(move |_, _| {
        json(
            400,
            &format!(
                r#"{{"message":"bad header Bearer {escaped}","error":"bad_request","status":400,"cause":[{{"code":1,"description":"header was Bearer {escaped}"}}]}}"#
            ),
        )
    });
    let html = secret.replacen('T', "&#84;", 1).replacen('-', "%2D", 1);
    let html_echo = Stub::start(move |_, _| {
        (
            StatusCode::BAD_GATEWAY,
            vec![("content-type", "text/html".into())],
            Body::from(format!("<html>Bearer {html}</html>")),
        )
    });
    for (name, stub) in [("json", &json_echo), ("html", &html_echo)] {
        let ran = run(mprefund_at(
            &w,
            &stub.base(),
            &crate::common::on_state(
                "run",
                "in.csv",
                &format!("{name}.db"),
                &[
                    "--out",
                    &format!("{name}.results.csv"),
                    "--max-attempts",
                    "1",
                ],
            ),
        )
        .env("MP_ACCESS_TOKEN", secret));
        assert_eq!(ran.code, 1, "{name}: {ran:?}");
        let results = std::fs::read_to_string(w.path(&format!("{name}.results.csv"))).unwrap();
        assert!(results.contains("<redacted>"), "{name}: {results}");
        let spelled = [secret, "5ecret-echoed-in-escapes"];
        for (what, bytes) in [
            ("results", results.into_bytes()),
            ("state", file_bytes(&w.path(&format!("{name}.db")))),
            ("state wal", file_bytes(&w.path(&format!("{name}.db-wal")))),
            ("stderr", ran.stderr.clone().into_bytes()),
        ] {
            for s in spelled {
                assert!(
                    !bytes.windows(s.len()).any(|x| x == s.as_bytes()),
                    "{name}: {s:?} is in the {what}"
                );
            }
        }
    }
}

/// A `full` row answered with an array takes the refund that stands
/// out as this one (the latest of the payment), never merely the first; when
/// none stands out the outcome is unknown and retried with the same key.
#[test]
fn a_full_refund_answered_with_an_array_is_the_right_one_or_unknown() {
    let w = Work::new();
    w.write("in.csv", "payment_id,amount\n7920001,full\n");
    let dated = r#"[{"id": 11, "payment_id": 7920001, "amount": 5.00, "status": "approved",
                     "date_created": "2026-01-01T10:00:00.000-03:00"},
                    {"id": 12, "payment_id": 7920001, "amount": 95.00, "status": "approved",
                     "date_created": "2026-01-02T10:00:00.000-03:00"}]"#;
    let stub = Stub::start(move |_, _| json(200, dated));
    run(mprefund_at(
        &w,
        &stub.base(),
        &["run", "in.csv", "--state", "dated.db"],
    ))
    .exits(0);
    let row = &read_csv(&w.path("in.results.csv"))[0];
    assert_eq!(row["outcome"], "refunded", "{row:?}");
    assert_eq!(row["refund_id"], "12", "{row:?}");
    assert_eq!(row["refunded_amount"], "95.00", "{row:?}");

    let undated = r#"[{"id": 11, "payment_id": 7920001, "amount": 5, "status": "approved"},
                      {"id": 12, "payment_id": 7920001, "amount": 95, "status": "approved"}]"#;
    let row = ends_unknown(&w, 200, undated, "undated");
    assert_eq!(row["refund_id"], "", "{row:?}");
}

/// A refund without an amount, with a status the tool does not know,
/// or with an amount no money has, is an unknown outcome; a payment id with
/// leading zeros is the same payment.
#[test]
fn odd_refund_answers_are_unknown_and_zero_padded_ids_match() {
    let w = Work::new();
    w.write("in.csv", "payment_id,amount\n6000001,25.00\n");
    let unknowns = [
        (
            "no-amount",
            r#"{"id": 1, "payment_id": 6000001, "status": "approved"}"#,
            "without an amount",
        ),
        (
            "odd-status",
            r#"{"id": 1, "payment_id": 6000001, "amount": 25, "status": "approved "}"#,
            r#""approved ""#,
        ),
        (
            "huge-amount",
            r#"{"id": 1, "payment_id": 6000001, "amount": 25.000000000000000000000000000001, "status": "approved"}"#,
            "decimals",
        ),
        (
            "32-digits",
            r#"{"id": 1, "payment_id": 6000001, "amount": 12345678901234567890123456789012, "status": "approved"}"#,
            "too large",
        ),
    ];
    for (name, body, said) in unknowns {
        let row = ends_unknown(&w, 201, body, name);
        assert!(row["cause_message"].contains(said), "{name}: {row:?}");
    }
    let padded = r#"{"id": 1, "payment_id": "06000001", "amount": 25.00, "status": "approved"}"#;
    let stub = Stub::start(move |_, _| json(201, padded));
    run(mprefund_at(
        &w,
        &stub.base(),
        &["run", "in.csv", "--state", "padded.db"],
    ))
    .exits(0);
    let row = &read_csv(&w.path("in.results.csv"))[0];
    assert_eq!(row["outcome"], "refunded", "{row:?}");
    assert_eq!(row["cause_code"], "", "{row:?}");
}

/// `--token-file /dev/zero` (or any file far larger than a token) is a
/// usage error at once, its contents never shown.
#[test]
fn a_token_file_is_bounded() {
    let (sb, w) = fresh_with("in.csv", "payment_id,amount\n7930001,10.00\n");
    w.write("big.txt", format!("{TEST_TOKEN}-leaked-").repeat(500));
    for (file, said) in [
        ("/dev/zero", "not a regular file"),
        ("big.txt", "larger than 4096 bytes"),
    ] {
        let ran = run(w.bare().args([
            "run",
            "in.csv",
            "--token-file",
            file,
            "--api-base",
            &sb.base_url(),
        ]));
        assert_eq!(ran.code, 2, "{file}: {ran:?}");
        assert!(ran.stderr.contains(said), "{file}: {ran:?}");
        assert!(!ran.stderr.contains("leaked"), "{file}: {ran:?}");
        assert!(!ran.stderr.contains('\0'), "{file}: {ran:?}");
    }
    assert_eq!(sb.refunds().len(), 0);
}

/// `report` on a damaged state file exits 5 (not "resumable").
#[test]
fn report_on_a_damaged_state_exits_5() {
    let (sb, w) = fresh_with("in.csv", ordinary_csv(2, 7_940_001));
    w.ok(&sb, &["run", "in.csv"]);
    let c = rusqlite::Connection::open(w.path(ACCOUNT_STATE)).unwrap();
    c.execute_batch("UPDATE rows SET fields = x'0102' WHERE row_no = 2;")
        .unwrap();
    drop(c);
    let ran = run(w
        .bare()
        .args(["report", "--state", ACCOUNT_STATE, "--out", "again.csv"]))
    .exits(5);
    assert!(ran.stderr.contains("damaged"), "{ran:?}");
    assert!(ran.stderr.contains("row 2"), "{ran:?}");
    assert!(!w.path("again.csv").exists());
}

/// `mprefund ARGS` run inside a private mount namespace after `setup` (shell
/// commands; `$D` is the work directory), so that a read-only or full file
/// system can be made without touching the machine's. A system that allows no
/// such namespace (`unshare -rm`, util-linux) fails the test: it is never
/// skipped quietly.
fn in_mount_namespace(w: &Work, setup: &str, args: &[&str]) -> crate::common::Ran {
    let probe = std::process::Command::new("unshare")
        .args(["-rm", "true"])
        .output();
    assert!(
        probe.is_ok_and(|o| o.status.success()),
        "this test needs a private mount namespace (`unshare -rm`, util-linux)"
    );
    let mut c = std::process::Command::new("unshare");
    c.current_dir(w.dir.path())
        .env_remove("MP_ACCESS_TOKEN")
        .env_remove("RUST_LOG")
        .env("D", w.dir.path())
        .stdin(std::process::Stdio::null())
        .args(["-rm", "sh", "-c", &format!("{setup} && exec \"$0\" \"$@\"")])
        .arg(env!("CARGO_BIN_EXE_mprefund"))
        .args(args);
    run(c)
}

/// `report` to a full disk exits 2 and says so; the state file is
/// untouched (it is not "stopped early, resumable").
#[test]
fn report_to_a_full_disk_exits_2() {
    let (sb, w) = fresh_with("in.csv", ordinary_csv(300, 7_950_001));
    w.ok(&sb, &["run", "in.csv"]);
    std::fs::create_dir(w.path("small")).unwrap();
    let before = file_bytes(&w.path(ACCOUNT_STATE));
    assert!(!before.is_empty());
    let ran = in_mount_namespace(
        &w,
        r#"mount -t tmpfs -o size=16k tmpfs "$D/small""#,
        &["report", "--state", ACCOUNT_STATE, "--out", "small/out.csv"],
    );
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(ran.stderr.contains("No space left"), "{ran:?}");
    assert!(ran.stderr.contains("small/out.csv"), "{ran:?}");
    assert_eq!(file_bytes(&w.path(ACCOUNT_STATE)), before);
}

/// A state file on a read-only mount is said to be read-only, not
/// "not a SQLite database".
#[test]
fn a_state_file_on_a_read_only_mount_is_said_to_be_read_only() {
    let (sb, w) = fresh();
    std::fs::create_dir(w.path("ro")).unwrap();
    w.write("in.csv", ordinary_csv(2, 7_960_001));
    let state = w.path("ro/s.db");
    w.ok(&sb, &["run", "in.csv", "--state", state.to_str().unwrap()]);
    let ran = in_mount_namespace(
        &w,
        r#"mount --bind "$D/ro" "$D/ro" && mount -o remount,bind,ro "$D/ro""#,
        &["report", "--state", "ro/s.db", "--out", "out.csv"],
    );
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(ran.stderr.contains("read-only"), "{ran:?}");
    assert!(!ran.stderr.contains("not a SQLite database"), "{ran:?}");
}

// A payment id beyond what the state file stores (i64) would be stored
// negative and leave the batch stuck; it is a bad line at `plan` and `run`.
#[test]
fn a_payment_id_beyond_the_stored_range_is_a_bad_line() {
    let (sb, w) = fresh_with("big.csv", refs("9223372036854775808,10,a\n7100001,10,b\n"));
    for cmd in ["plan", "run"] {
        let ran = run(mprefund_at(&w, &sb.base_url(), &[cmd, "big.csv"]));
        assert_eq!(ran.code, 2, "{cmd}: {ran:?}");
        let said = format!("{}{}", ran.stdout, ran.stderr);
        assert!(said.contains("line 2"), "{cmd}: {ran:?}");
        assert!(
            said.contains(
                "payment id \"9223372036854775808\" is larger than any payment id can be"
            ),
            "{cmd}: {ran:?}"
        );
    }
    assert_eq!(sb.refunds().len(), 0);
}

// Bad input is echoed as a short excerpt, never whole — a cell of the
// spreadsheet, a report's header or line.
#[test]
fn bad_input_is_echoed_as_an_excerpt() {
    let (sb, w) = fresh();
    let huge = "9".repeat(2 << 20);
    w.write(
        "cell.csv",
        format!("payment_id,amount,reference\n7200001,{huge}x,a\n{huge},10,b\n"),
    );
    // Caps raised past the 2 MiB cells: the bad line itself is what is echoed
    // (under the default caps the reading stops at the cell, as briefly).
    let ran = run(mprefund_at(
        &w,
        &sb.base_url(),
        &[
            "plan",
            "cell.csv",
            "--max-field-bytes",
            "4MiB",
            "--max-record-bytes",
            "8MiB",
        ],
    ));
    assert_eq!(ran.code, 2, "{}", &ran.stderr[..ran.stderr.len().min(500)]);
    let said = ran.stdout.len() + ran.stderr.len();
    assert!(said < 4_000, "{said} bytes said");
    assert!(
        format!("{}{}", ran.stdout, ran.stderr).contains("bytes in all"),
        "{}",
        &ran.stderr[..ran.stderr.len().min(500)]
    );

    // Reports: a "header" without a line break, a line far longer than any
    // report's; each refused (exit 2) in a few lines.
    let ran = run(w.mprefund(&sb, &["run", "cell.csv"]));
    assert_eq!(ran.code, 2);
    w.write("in.csv", "payment_id,amount\n7200002,10\n");
    w.ok(&sb, &["run", "in.csv"]);
    w.write("header.csv", "TRANSACTION_TYPE,".repeat(200_000));
    let mut line = String::from(
        "TRANSACTION_TYPE,SOURCE_ID,TRANSACTION_AMOUNT,METADATA\nSETTLEMENT,7200002,10,\n",
    );
    line.push_str("REFUND,7200002,10,\"");
    line.push_str(&"{".repeat(3 << 20));
    line.push_str("\"\n");
    w.write("line.csv", line);
    for (report, why) in [
        ("header.csv", "the first line runs past 65536 bytes"),
        ("line.csv", "a line after line 2 runs past 65536 bytes"),
    ] {
        let ran = run(w
            .bare()
            .args(["reconcile", "--state", ACCOUNT_STATE, "--report", report]));
        assert_eq!(
            ran.code,
            2,
            "{report}: {}",
            &ran.stderr[..ran.stderr.len().min(500)]
        );
        assert!(
            ran.stderr.len() < 2_000,
            "{report}: {} bytes",
            ran.stderr.len()
        );
        assert!(ran.stderr.contains(why), "{report}: {}", ran.stderr);
    }
}
