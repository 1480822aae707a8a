//! Small things the trial hit: line numbers in CRLF files, the
//! shipped crontab under cron's PATH, the sandbox's admin routes, cause codes
//! with their meaning, quiet lines, the summary JSON and lock files.

use mprefund_sandbox::{Sandbox, SandboxConfig};

use crate::common::{ACCOUNT_STATE, Work, fresh, fresh_with, read_csv, run};

/// Excel writes `\r\n`: every line number said is still the one an editor shows.
#[test]
fn line_numbers_in_crlf_files_are_the_editors() {
    let (sb, w) = fresh();
    // A bad input line: refused with its line.
    w.write(
        "bad.csv",
        "payment_id,amount\r\n9100001,5\r\n9100002,-5\r\n",
    );
    let ran = run(w.mprefund(&sb, &["run", "bad.csv"])).exits(2);
    assert!(ran.stderr.contains("line 3"), "{ran:?}");
    // A refunded batch, then its report: a CRLF report's lines as the editor
    // numbers them, in the findings and in a refusal.
    w.write(
        "in.csv",
        "payment_id,amount\r\n9100001,10\r\n\r\n9100003,20\r\n",
    );
    w.ok(&sb, &["run", "in.csv", "--skip-invalid"]);
    let today = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    w.write(
        "settlement.csv",
        format!(
            "TRANSACTION_TYPE;SOURCE_ID;TRANSACTION_AMOUNT;TRANSACTION_CURRENCY;TRANSACTION_DATE\r\n\
             REFUND;9100001;-10.00;BRL;{today}\r\n\
             \r\n\
             REFUND;9100003;-20.00;BRL;{today}\r\n"
        ),
    );
    let reconcile = |report: &str| {
        run(w
            .bare()
            .args(["reconcile", "--state", ACCOUNT_STATE, "--report", report]))
    };
    let ran = reconcile("settlement.csv");
    assert_eq!(ran.code, 0, "{ran:?}");
    let lines = read_csv(&w.path("in.report-match.csv"));
    let mut got: Vec<(&str, &str)> = lines
        .iter()
        .map(|l| (l["payment_id"].as_str(), l["report_line"].as_str()))
        .collect();
    got.sort_unstable();
    assert_eq!(got, [("9100001", "2"), ("9100003", "4")], "{lines:?}");
    w.write(
        "excel.csv",
        "TRANSACTION_TYPE;SOURCE_ID;TRANSACTION_AMOUNT\r\nSETTLEMENT;9100001;100\r\nREFUND;9,1E+06;10\r\n",
    );
    let ran = reconcile("excel.csv");
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(
        ran.stderr.contains("excel.csv, line 3: SOURCE_ID"),
        "{ran:?}"
    );
}

/// cron runs with `PATH=/usr/bin:/bin`: every command of the shipped crontab, in
/// both forms (the commented `/etc/cron.d` lines too), names the binary by its
/// absolute path.
#[test]
fn the_shipped_crontab_names_the_binary_by_its_absolute_path() {
    let crontab = include_str!("../../jobs/crontab");
    let mut commands = 0;
    for line in crontab.lines() {
        let (entry, user_field) = match line.strip_prefix("# ") {
            // A commented entry of the `/etc/cron.d` form: a user before the command.
            Some(rest) if is_schedule(rest) => (rest, 1),
            Some(_) => continue,
            None if line.trim().is_empty() || line.starts_with('#') => continue,
            None => (line, 0),
        };
        let fields: Vec<&str> = entry.split_whitespace().collect();
        assert!(fields.len() > 5 + user_field, "{line}");
        let program = fields[5 + user_field];
        assert!(
            program.starts_with('/') && program.ends_with("/mprefund"),
            "not an absolute path to mprefund: {line}"
        );
        commands += 1;
    }
    assert_eq!(commands, 6, "both forms of the three jobs");
}

/// Whether a line starts with cron's five time fields (`30 2 * * *`).
fn is_schedule(line: &str) -> bool {
    let fields: Vec<&str> = line.split_whitespace().take(5).collect();
    fields.len() == 5
        && fields
            .iter()
            .all(|f| f.chars().all(|c| c.is_ascii_digit() || "*,-/".contains(c)))
}

/// `sandbox --help` lists every admin route the router serves (each path in
/// `sandbox/src/routes.rs`), each with a method the route answers, and documents
/// the faults body.
#[test]
fn sandbox_help_lists_every_admin_route_and_the_faults_body() {
    use std::io::{Read, Write};
    let ran = run(Work::new().bare().args(["sandbox", "--help"])).exits(0);
    let help = ran.stdout;
    let routes = include_str!("../../sandbox/src/routes.rs");
    let mut paths = 0;
    for piece in routes.split('"').skip(1).step_by(2) {
        if piece.starts_with("/__sandbox/") {
            assert!(help.contains(piece), "{piece} missing from:\n{help}");
            paths += 1;
        }
    }
    assert!(paths >= 9, "{paths} admin paths found in routes.rs");
    for field in [
        "latency_ms",
        "jitter_ms",
        "error_500",
        "error_429",
        "retry_after_secs",
        "cut_after_commit",
        "html_502_after_commit",
        "seed",
    ] {
        assert!(help.contains(&format!("\"{field}\"")), "{field}:\n{help}");
    }
    // Each route as listed is served with that method (a wrong method is 405).
    let sb = Sandbox::start(SandboxConfig::default()).expect("sandbox");
    let mut listed = 0;
    for line in help.lines() {
        let mut words = line.split_whitespace();
        let (Some(method), Some(path)) = (words.next(), words.next()) else {
            continue;
        };
        if !["GET", "POST", "DELETE"].contains(&method) || !path.starts_with("/__sandbox/") {
            continue;
        }
        let path = path
            .replace("{payment_id}", "9100001")
            .replace("{refund_id}", "1");
        let mut conn = std::net::TcpStream::connect(sb.addr()).expect("connects");
        write!(
            conn,
            "{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{{}}"
        )
        .expect("writes");
        let mut answer = String::new();
        conn.read_to_string(&mut answer).expect("reads");
        assert!(
            !answer.starts_with("HTTP/1.1 405"),
            "{method} {path}: {answer}"
        );
        listed += 1;
    }
    assert!(listed >= paths, "{listed} routes listed:\n{help}");
}

/// `mprefund sandbox` with arguments it cannot serve is a usage error (exit 2),
/// named, though the sandbox's crate knows nothing of the binary's exit codes.
#[test]
fn the_sandbox_command_refuses_what_it_cannot_serve_with_exit_2() {
    let w = Work::new();
    // A port another listener holds, in every case: were the arguments served
    // after all, the command would still stop (on the port) instead of serving.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("binds");
    let port = taken.local_addr().expect("addr").port().to_string();
    let sandbox = |extra: &[&str]| {
        let mut c = w.bare();
        c.args(["sandbox", "--port", &port]).args(extra);
        run(c)
    };
    w.write("payments.json", "not json");
    let ran = sandbox(&["--payments", "payments.json"]);
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(
        ran.stderr.contains("not a JSON array of payments"),
        "{ran:?}"
    );
    w.write("payments.json", r#"[{"id": 1, "amount": -5}]"#);
    let ran = sandbox(&["--payments", "payments.json"]);
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(ran.stderr.contains("amount must be positive"), "{ran:?}");
    let ran = sandbox(&[]);
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(ran.stderr.contains("cannot listen on"), "{ran:?}");
}

/// A 500 is cause `http_500` (the README's table); the summary and `status
/// --failed` say what every cause means and what to do next; `status` says its
/// settings as lines a person reads, not JSON.
#[test]
fn causes_come_with_their_meaning_and_next_step() {
    let sb = Sandbox::start(SandboxConfig::default()).expect("sandbox");
    sb.fail_payment(9_100_004, 500);
    let w = Work::new();
    // 905: fully refunded (2063); 901: too old (2024); 150 of 100 (4043); a 500.
    w.write(
        "in.csv",
        "payment_id,amount\n9100905,5\n9100901,5\n9100003,150\n9100004,5\n9100907,5\n",
    );
    let ran = run(w.mprefund(&sb, &["run", "in.csv", "--max-attempts", "1"])).exits(1);
    let rows = read_csv(&w.path("in.results.csv"));
    let codes: Vec<&str> = rows.iter().map(|r| r["cause_code"].as_str()).collect();
    assert_eq!(codes, ["2063", "2024", "4043", "http_500", ""], "{rows:?}");
    for said in [
        "failed/2063: 1  (the payment's state allows no refund",
        "failed/2024: 1  (payment too old to refund",
        "failed/4043: 1  (amount exceeds what is left to refund on the payment; next: fix the row",
        "unknown/http_500: 1  (Mercado Pago's server failed; next: `mprefund retry --state ",
        "next: read them back: `mprefund reconcile --state ",
    ] {
        assert!(ran.stderr.contains(said), "{said}: {ran:?}");
    }
    let status = run(w
        .bare()
        .args(["status", "--state", ACCOUNT_STATE, "--failed"]))
    .exits(0);
    let out = &status.stdout;
    assert!(!out.contains('{'), "settings as JSON: {out}");
    assert!(out.contains("rate") && out.contains("requests/s"), "{out}");
    for said in [
        "causes:",
        "2024 ",
        "payment too old to refund",
        "next: a person must look",
        "http_500 ",
        "next: send them again, same keys: `mprefund retry --state ",
    ] {
        assert!(out.contains(said), "{said}: {out}");
    }
}

/// The lock files in the account's state folder.
fn lock_files(w: &Work) -> Vec<String> {
    let dir = w.path(ACCOUNT_STATE).parent().unwrap().to_path_buf();
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".lock"))
        .collect()
}

/// For a cron log: `run --quiet` and `reconcile --quiet` say one line each, with
/// no timestamp (the log stamps its own); the summary JSON says when the run
/// started and ended and from which file; a finished batch leaves no lock file.
#[test]
fn quiet_lines_summary_times_and_no_lock_file_left() {
    let (sb, w) = fresh_with("in.csv", "payment_id,amount\n9100001,5\n9100002,6\n");
    let ran = w.ok(
        &sb,
        &["--quiet", "run", "in.csv", "--summary-json", "s.json"],
    );
    let lines: Vec<&str> = ran.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{ran:?}");
    assert!(lines[0].starts_with("batch "), "{ran:?}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(w.path("s.json")).unwrap()).unwrap();
    let at = |key: &str| {
        let text = json[key]
            .as_str()
            .unwrap_or_else(|| panic!("{key}: {json}"));
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
            .unwrap_or_else(|e| panic!("{key} {text}: {e}"))
    };
    assert!(at("started_at") <= at("finished_at"), "{json}");
    let input = std::fs::canonicalize(w.path("in.csv")).unwrap();
    assert_eq!(
        std::fs::canonicalize(json["input"].as_str().unwrap()).unwrap(),
        input,
        "{json}"
    );
    assert_eq!(lock_files(&w), Vec::<String>::new());

    let ran = w.ok(&sb, &["--quiet", "reconcile", "--state", ACCOUNT_STATE]);
    let lines: Vec<&str> = ran.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{ran:?}");
    assert!(
        lines[0].starts_with("batch ") && lines[0].contains("exit 0"),
        "{ran:?}"
    );
    assert_eq!(lock_files(&w), Vec::<String>::new());
}
