//! The job end to end: `plan` and `run` through the binary against the
//! sandbox, asserting on the results CSV and on the refunds the sandbox holds.

use std::collections::{HashMap, HashSet};
use std::os::unix::process::ExitStatusExt;
use std::time::Duration;

use rust_decimal::Decimal;

use mprefund_sandbox::{Faults, SandboxHandle};

use crate::common::{
    ACCOUNT_STATE, Work, bare, fresh, fresh_with, ordinary_csv, read_csv, refs, refunds_per_key,
    run, sandbox, sandbox_with, wait_until,
};

fn assert_no_duplicates(sb: &SandboxHandle) {
    let dup: Vec<_> = refunds_per_key(sb)
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .collect();
    assert!(dup.is_empty(), "duplicate refunds: {dup:?}");
}

const MIXED: &str = "\
payment_id,amount,reference,kind,customer
5550001001,10.00,A1,,Ana
5550001002,full,A2,,Bia
5550001003,60,A3,,Caio
5550001003,50,A4,,Caio
5550001900,5,A5,,Dora
5550001901,5,A6,,Enzo
5550001903,5,A7,,Fabi
5550001906,5,A8,,Gil
5550001907,5,A9,,Hugo
5550001909,5,A10,,Iara
5550001900,5,A11,advanced_payment,Joao
5550002004,7.5,A12,advanced_payment,Kaue
";

#[test]
fn mixed_outcomes_each_row_once_with_its_cause() {
    let (sb, w) = fresh_with("in.csv", MIXED);
    // One at a time, so that A3 reaches payment …1003 before A4 does.
    run(w.mprefund(
        &sb,
        &["run", "in.csv", "--concurrency", "1", "--rate", "1000"],
    ))
    .exits(1);
    let rows = read_csv(&w.path("in.results.csv"));
    let got: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|r| {
            (
                r["reference"].as_str(),
                r["outcome"].as_str(),
                r["cause_code"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("A1", "refunded", ""),
            ("A2", "refunded", ""),
            ("A3", "refunded", ""),
            ("A4", "failed", "4043"),
            ("A5", "failed", "2000"),
            ("A6", "failed", "2024"),
            ("A7", "failed", "2063"),
            ("A8", "failed", "3024"),
            ("A9", "in_process", ""),
            ("A10", "in_process", ""),
            ("A11", "failed", "404002"),
            ("A12", "refunded", ""),
        ]
    );
    // Original columns first, untouched, then the tool's columns.
    assert_eq!(rows[0]["customer"], "Ana");
    assert_eq!(rows[0]["row"], "1");
    assert_eq!(
        rows[1]["refunded_amount"].parse::<Decimal>().unwrap(),
        Decimal::from(100)
    );
    assert_eq!(rows[4]["retryable"], "false");
    assert_eq!(rows[4]["http_status"], "404");
    // Exactly one sandbox refund per refunded or in-process row, under that row's key.
    let per_key = refunds_per_key(&sb);
    let settled: HashSet<&str> = rows
        .iter()
        .filter(|r| matches!(r["outcome"].as_str(), "refunded" | "in_process"))
        .map(|r| r["idempotency_key"].as_str())
        .collect();
    assert_eq!(per_key.len(), settled.len());
    for k in settled {
        assert_eq!(per_key.get(k), Some(&1), "key {k}");
    }
    let ids: HashMap<String, String> = sb
        .refunds()
        .into_iter()
        .map(|r| (r.idempotency_key, r.id.to_string()))
        .collect();
    for r in rows.iter().filter(|r| r["outcome"] == "refunded") {
        assert_eq!(ids[&r["idempotency_key"]], r["refund_id"]);
    }
}

#[test]
fn faults_everywhere_still_one_refund_per_row() {
    let sb = sandbox_with(Faults {
        error_500: 0.15,
        error_429: 0.1,
        retry_after_secs: 0,
        cut_after_commit: 0.15,
        html_502_after_commit: 0.1,
        seed: Some(7),
        ..Faults::default()
    });
    let w = Work::new();
    w.write("in.csv", ordinary_csv(120, 6_000_001));
    w.ok(
        &sb,
        &[
            "run",
            "in.csv",
            "--rate",
            "1000",
            "--concurrency",
            "16",
            "--max-attempts",
            "30",
            // 429s at random are no account limit: the adaptive rate would take
            // them for one (rate control has its own tests).
            "--fixed-rate",
        ],
    );
    let rows = read_csv(&w.path("in.results.csv"));
    assert_eq!(rows.len(), 120);
    assert!(rows.iter().all(|r| r["outcome"] == "refunded"), "{rows:?}");
    assert_eq!(sb.refunds().len(), 120);
    assert_no_duplicates(&sb);
    // The faults did strike: some rows needed more than one attempt.
    assert!(rows.iter().any(|r| r["attempts"] != "1"));
}

#[test]
fn sigkill_at_random_instants_then_resume() {
    let sb = sandbox_with(Faults {
        latency: Duration::from_millis(2),
        jitter: Duration::from_millis(6),
        ..Faults::default()
    });
    let w = Work::new();
    let total = 400;
    w.write("in.csv", ordinary_csv(total, 7_000_001));
    let args = ["run", "in.csv", "--rate", "2000", "--concurrency", "12"];
    let mut kills = 0;
    let mut rng = fastrand::Rng::with_seed(11);
    loop {
        let before = sb.refunds().len();
        // At least one row is left for each child, so every kill lands mid-run.
        if before + 2 > total || kills >= 5 {
            break;
        }
        let target = before + rng.usize(1..=(total - before - 1).min(120));
        let mut child = w.spawn(w.mprefund(&sb, &args), "killed");
        wait_until("refunds to be created", Duration::from_secs(60), || {
            sb.refunds().len() >= target || child.try_wait().ok().flatten().is_some()
        });
        let _ = child.kill(); // SIGKILL
        let status = child.wait().expect("wait for the killed child");
        // The kill must land mid-run: a child that ended on its own (say, failed
        // at start) would leave nothing for the resume to prove.
        assert_eq!(
            status.signal(),
            Some(9),
            "child {kills} was not killed mid-run: {status:?}"
        );
        assert!(
            sb.refunds().len() > before,
            "child {kills} was killed before it sent anything"
        );
        kills += 1;
    }
    let ran = run(&mut w.mprefund(&sb, &args));
    assert_eq!(ran.code, 0, "after {kills} kills: {ran:?}");
    assert_no_duplicates(&sb);
    assert_eq!(sb.refunds().len(), total);
    let rows = read_csv(&w.path("in.results.csv"));
    assert_eq!(rows.len(), total);
    let ids: HashMap<String, String> = sb
        .refunds()
        .into_iter()
        .map(|r| (r.idempotency_key, r.id.to_string()))
        .collect();
    for r in &rows {
        assert_eq!(r["outcome"], "refunded");
        assert_eq!(
            ids[&r["idempotency_key"]], r["refund_id"],
            "row {}",
            r["row"]
        );
    }
}

#[test]
fn a_reexported_spreadsheet_with_a_fresh_state_refunds_nothing_new() {
    let (sb, w) = fresh_with(
        "original.csv",
        "payment_id,amount,reference,note\n8880001001,10.50,R1,a\n8880001002,full,R2,b\n8880001003,3,,c\n8880001003,3,,d\n",
    );
    w.ok(&sb, &["run", "original.csv", "--allow-duplicates"]);
    assert_eq!(sb.refunds().len(), 4);
    // Re-exported by a pt-BR Excel: BOM, `;`, CRLF, decimal comma, renamed and
    // reordered columns, rows reordered, `total` for `full`.
    let ptbr = "\u{feff}Observação;Valor;ID_Pagamento;Reference\r\nd;3,00;8880001003;\r\nb;TOTAL;8880001002;R2\r\nc;3;8880001003;\r\na;10,5;8880001001;R1\r\n";
    w.write("reexport.csv", ptbr);
    w.ok(
        &sb,
        &[
            "run",
            "reexport.csv",
            "--allow-duplicates",
            "--state",
            "fresh.db",
        ],
    );
    assert_eq!(sb.refunds().len(), 4, "the re-export created new refunds");
    let first: HashSet<String> = read_csv(&w.path("original.results.csv"))
        .into_iter()
        .map(|r| r["idempotency_key"].clone())
        .collect();
    let second: HashSet<String> = read_csv(&w.path("reexport.results.csv"))
        .into_iter()
        .inspect(|r| assert_eq!(r["outcome"], "refunded"))
        .map(|r| r["idempotency_key"].clone())
        .collect();
    assert_eq!(first, second);
}

#[test]
fn a_wrong_token_stops_fast_and_the_right_one_resumes() {
    let (sb, w) = fresh_with("in.csv", ordinary_csv(200, 9_000_001));
    let secret = "WRONG-s3cr3t-t0ken-value";
    let ran = run(w
        .mprefund(
            &sb,
            &["run", "in.csv", "--concurrency", "4", "--rate", "1000"],
        )
        .env("MP_ACCESS_TOKEN", secret));
    // A person must fix the token: 6, not "resumable" 3.
    assert_eq!(ran.code, 6, "{ran:?}");
    assert!(!ran.stdout.contains(secret) && !ran.stderr.contains(secret));
    let sent = sb.stats().requests;
    assert!(
        (1..=8).contains(&sent),
        "{sent} requests with a refused token"
    );
    assert!(sb.refunds().is_empty());
    let rows = read_csv(&w.path("in.results.csv"));
    assert_eq!(rows.len(), 200);
    assert!(rows.iter().all(|r| r["outcome"] == "pending"));
    assert!(
        !std::fs::read_to_string(w.path("in.results.csv"))
            .unwrap()
            .contains(secret)
    );
    let state = std::fs::read(w.path(ACCOUNT_STATE)).unwrap();
    assert!(
        !state
            .windows(secret.len())
            .any(|win| win == secret.as_bytes())
    );

    run(&mut w.mprefund(
        &sb,
        &["run", "in.csv", "--concurrency", "4", "--rate", "1000"],
    ))
    .exits(0);
    assert_eq!(sb.refunds().len(), 200);
    assert_no_duplicates(&sb);
}

#[test]
fn bad_files_are_refused_with_the_line_named_and_nothing_sent() {
    let (sb, w) = fresh();
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "negative",
            "payment_id,amount\n1001,5\n1002,-5\n",
            &["line 3"],
        ),
        ("zero", "payment_id,amount\n1001,0\n", &["line 2"]),
        ("text", "payment_id,amount\n1001,ten\n", &["line 2"]),
        ("blank", "payment_id,amount\n1001,\n", &["line 2"]),
        (
            "three-decimals",
            "payment_id,amount\n1001,1.005\n",
            &["line 2"],
        ),
        (
            "thousands",
            // Its decimal mark is not clear: `10.50` uses the point.
            "payment_id;amount\n1001;1.234,56\n1002;10.50\n",
            &["line 2"],
        ),
        ("nan", "payment_id,amount\n1001,NaN\n", &["line 2"]),
        ("huge", "payment_id,amount\n1001,1e400\n", &["line 2"]),
        (
            "bad-id",
            "payment_id,amount\n12ab,5\n1.23457E+11,5\n",
            &["line 2", "line 3"],
        ),
        (
            "missing-column",
            "payment_id,valor_x\n1001,5\n",
            &["amount"],
        ),
        (
            "duplicates",
            "payment_id,amount\n1001,5\n1001,5.00\n",
            &["line 3", "line 2"],
        ),
        ("empty", "", &["empty"]),
        (
            "several",
            "payment_id,amount\n1001,5\n1002,-1\n1003,5\n1004,abc\n",
            &["line 3", "line 5"],
        ),
    ];
    for (name, content, needles) in cases {
        let file = format!("{name}.csv");
        w.write(&file, content);
        let ran = run(&mut w.mprefund(&sb, &["run", &file]));
        assert_eq!(ran.code, 2, "{name}: {ran:?}");
        for n in *needles {
            assert!(
                ran.stderr.to_lowercase().contains(&n.to_lowercase()),
                "{name}: missing {n:?} in {ran:?}"
            );
        }
        let plan = run(&mut w.mprefund(&sb, &["plan", &file]));
        assert_eq!(plan.code, 2, "plan {name}: {plan:?}");
        assert!(!w.path(&format!("{name}.results.csv")).exists());
    }
    assert_eq!(sb.stats().requests, 0, "a bad file sent requests");
}

#[test]
fn skip_invalid_refunds_the_rest_and_marks_bad_lines() {
    let (sb, w) = fresh_with(
        "in.csv",
        "payment_id,amount,note\n1001,5,=1+1\n1002,-5,x\n1003,2,y\n1004,7,50,z\n",
    );
    run(w.mprefund(&sb, &["run", "in.csv", "--skip-invalid"])).exits(1);
    let rows = read_csv(&w.path("in.results.csv"));
    let outcomes: Vec<&str> = rows.iter().map(|r| r["outcome"].as_str()).collect();
    assert_eq!(outcomes, ["refunded", "invalid", "refunded", "invalid"]);
    // An unquoted decimal comma: the extra cell stays, in the last original column.
    assert_eq!(
        (rows[3]["amount"].as_str(), rows[3]["note"].as_str()),
        ("7", "50,z")
    );
    assert!(rows[1]["cause_message"].contains("line 3"));
    assert_eq!(rows[1]["amount"], "-5", "a plain number is not neutralised");
    assert_eq!(rows[0]["note"], "'=1+1", "a formula is neutralised");
    assert_eq!(sb.refunds().len(), 2);
}

#[test]
fn the_rate_limit_holds_in_every_sliding_second() {
    let (sb, w) = fresh_with("in.csv", ordinary_csv(70, 9_100_001));
    w.ok(
        &sb,
        &["run", "in.csv", "--rate", "20", "--concurrency", "16"],
    );
    let stats = sb.stats();
    // Counted by the sandbox as requests arrive, over every one-second window (not
    // calendar seconds, which split a burst in two): `--rate 20` is at most 20,
    // give or take one request: the pacer spaces departures over 1.005 s, and on a
    // loaded machine two trips can differ by more than those 5 ms. Its burst on
    // top (22) or a rate not held fails.
    assert!(
        stats.busiest_sliding_second <= 21,
        "{} requests within one second",
        stats.busiest_sliding_second
    );
    assert_eq!(stats.requests, 70);
    assert_eq!(sb.refunds().len(), 70);
}

#[test]
fn plan_prints_totals_and_sends_nothing() {
    let w = Work::new();
    w.write(
        "in.csv",
        "payment_id,amount,currency\n1001,5.50,BRL\n1002,full,BRL\n1003,1000,CLP\n",
    );
    // A live API is configured, so "sends nothing" is a claim the sandbox can refute.
    let sb = sandbox();
    let ran = w.ok(&sb, &["plan", "in.csv"]);
    // Per-currency totals: counts the plan worked out, none of which is in the input's text.
    let row = |cur: &str| -> Vec<String> {
        ran.stdout
            .lines()
            .find(|l| l.starts_with(cur))
            .unwrap_or_else(|| panic!("no {cur} totals line: {ran:?}"))
            .split_whitespace()
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(row("BRL"), ["BRL", "1", "5.50", "1"], "{ran:?}");
    assert_eq!(row("CLP"), ["CLP", "1", "1000", "0"], "{ran:?}");
    assert!(ran.stdout.contains("valid:         3"), "{ran:?}");
    assert_eq!(sb.stats().requests, 0, "plan sent requests");
    assert!(sb.refunds().is_empty());
    assert!(!w.path(ACCOUNT_STATE).exists());
}

#[test]
fn demo_exits_zero() {
    let w = Work::new();
    let ran = run(bare().args(["demo", "--out-dir"]).arg(w.path("demo"))).exits(0);
    assert!(ran.stdout.contains("created 0 new refunds"), "{ran:?}");
    assert!(w.path("demo/chargebacks.results.csv").exists());
    // Orders too: refunded with their REF… refund, the re-export sends nothing new.
    assert!(
        ran.stdout
            .contains("The Spanish re-export of the orders' spreadsheet, run with a fresh state file, created 0 new refunds."),
        "{ran:?}"
    );
    let orders = crate::common::read_csv(&w.path("demo/orders.results.csv"));
    let refunded: Vec<&str> = orders
        .iter()
        .filter(|r| r["refund_kind"] == "order" && r["outcome"] == "refunded")
        .map(|r| r["refund_id"].as_str())
        .collect();
    assert_eq!(refunded.len(), 3, "{orders:?}");
    assert!(
        refunded.iter().all(|id| id.starts_with("REF")),
        "{orders:?}"
    );
}

/// Without `--out-dir`, a fresh folder of the user's in the temporary folder:
/// never a fixed name another user could have made first.
#[test]
fn demo_writes_to_a_fresh_folder_of_its_own() {
    let w = Work::new();
    std::fs::create_dir(w.path("tmp")).unwrap();
    let demo = || {
        let ran = run(bare()
            .args(["demo", "--no-faults"])
            .env("TMPDIR", w.path("tmp")))
        .exits(0);
        let dir = ran
            .stdout
            .lines()
            .find_map(|l| l.strip_prefix("Results and state files are in "))
            .unwrap_or_else(|| panic!("no folder named: {ran:?}"))
            .to_owned();
        std::path::PathBuf::from(dir)
    };
    let (first, second) = (demo(), demo());
    assert_ne!(first, second, "each run its own folder");
    for dir in [&first, &second] {
        assert_eq!(dir.parent(), Some(w.path("tmp").as_path()), "{dir:?}");
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.starts_with("mprefund-demo-"), "{name}");
        assert!(dir.join("chargebacks.results.csv").exists());
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700, "{dir:?}: {mode:o}");
    }
}

#[test]
fn a_spreadsheet_with_rows_added_sends_only_the_new_rows() {
    let (sb, w) = fresh_with("monday.csv", refs("8890001001,5,M1\n8890001002,6,M2\n"));
    w.ok(&sb, &["run", "monday.csv", "--state", "refunds.db"]);
    let sent = sb.stats().requests;
    // The same rows again, plus one: another batch, but the state file knows two keys.
    w.write(
        "tuesday.csv",
        "payment_id,amount,reference\n8890001001,5,M1\n8890001002,6,M2\n8890001003,7,M3\n",
    );
    w.ok(&sb, &["run", "tuesday.csv", "--state", "refunds.db"]);
    assert_eq!(
        sb.stats().requests,
        sent + 1,
        "settled rows were sent again"
    );
    let rows = read_csv(&w.path("tuesday.results.csv"));
    assert!(rows.iter().all(|r| r["outcome"] == "refunded"));
    assert!(
        rows[0]["cause_message"].contains("settled by batch"),
        "{rows:?}"
    );
    assert_eq!(sb.refunds().len(), 3);
}
