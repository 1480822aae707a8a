//! Benchmark (not a test): the finance console on 100,000 rows, against
//! `mprefund run` on the same input and an identical in-process sandbox (no
//! latency, no effective rate limit, durable state on).
//!
//! Prints, against its targets: the time from upload to the plan page (≤ 3 s),
//! the console's send time against `run`'s (within 10 %), the longest gap between
//! two progress events while sending (≤ 1 s), and the console process's peak
//! memory (VmHWM, ≤ 100 MiB).
//!
//! `cargo bench --bench console` (MPREFUND_BENCH_ROWS changes the size;
//! MPREFUND_BENCH_FLAKY=1 runs both on a flaky day — 10 % 500s, 5 %
//! 429s, 3 % connections cut after the refund was made — at `--rate 200`).

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mprefund_sandbox::{Faults, Sandbox, SandboxConfig, TEST_TOKEN};

const PASSWORD: &str = "correct horse battery";
const CONCURRENCY: &str = "32";

fn flaky() -> bool {
    std::env::var_os("MPREFUND_BENCH_FLAKY").is_some()
}

/// The sandbox both sends go to: ideal, or the flaky day.
fn sandbox() -> mprefund_sandbox::SandboxHandle {
    let mut config = SandboxConfig::default();
    if flaky() {
        config.faults = Faults {
            error_500: 0.1,
            error_429: 0.05,
            retry_after_secs: 1,
            cut_after_commit: 0.03,
            seed: Some(7),
            ..Faults::default()
        };
    }
    Sandbox::start(config).expect("sandbox")
}

/// `--rate`: no effective limit, or the flaky day's 200.
fn rate() -> &'static str {
    if flaky() { "200" } else { "1000000" }
}

fn main() {
    let rows: u64 = std::env::var("MPREFUND_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("bench.csv");
    let mut csv = String::with_capacity(rows as usize * 40);
    csv.push_str("payment_id,amount,reference,note\n");
    for i in 0..rows {
        // Ordinary sandbox ids (suffix 000–899): one payment per row.
        let id = 1_000_000_000 + (i / 900) * 1000 + i % 900;
        csv.push_str(&format!("{id},12.34,bench-{i},row {i}\n"));
    }
    std::fs::write(&input, &csv).expect("write input");
    let total = rust_decimal::Decimal::new(1234, 2) * rust_decimal::Decimal::from(rows);

    let run_secs = run_cli(dir.path(), &input, rows);
    println!(
        "console: `mprefund run` sent {rows} rows in {run_secs:.2} s ({:.0} rows/s)",
        rows as f64 / run_secs
    );

    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let figures = rt.block_on(console(dir.path(), csv.into_bytes(), rows, total));
    println!(
        "console: upload of {rows} rows to its plan page in {:.2} s (upload {:.2} s, plan page {:.2} s; a second view {:.2} s)",
        figures.upload + figures.plan,
        figures.upload,
        figures.plan,
        figures.plan_again
    );
    println!(
        "console: submit {:.2} s, approve (makes the ledger batch) {:.2} s",
        figures.submit, figures.approve
    );
    println!(
        "console: sent {rows} rows in {:.2} s ({:.0} rows/s): {:+.1} % against run",
        figures.send,
        rows as f64 / figures.send,
        (figures.send / run_secs - 1.0) * 100.0
    );
    // `run` also makes the batch (reads, checks and stores every row), which
    // the console did at approval: compared like for like.
    let made_and_sent = figures.approve + figures.send;
    println!(
        "console: approval and send {made_and_sent:.2} s: {:+.1} % against run",
        (made_and_sent / run_secs - 1.0) * 100.0
    );
    println!(
        "console: {} progress events, the longest gap {:.2} s",
        figures.events, figures.longest_gap
    );
    println!(
        "console: peak memory (VmHWM) {:.1} MiB",
        figures.peak_kib as f64 / 1024.0
    );
}

fn run_cli(dir: &Path, input: &Path, rows: u64) -> f64 {
    let sandbox = sandbox();
    let start = Instant::now();
    let status = Command::new(env!("CARGO_BIN_EXE_mprefund"))
        .args(["--quiet", "run", "-y"])
        .arg(input)
        .arg("--state")
        .arg(dir.join("cli.mprefund.db"))
        .arg("--out")
        .arg(dir.join("cli.results.csv"))
        .args(["--api-base", &sandbox.base_url()])
        .args(["--rate", rate(), "--concurrency", CONCURRENCY])
        .env("MP_ACCESS_TOKEN", TEST_TOKEN)
        .status()
        .expect("spawn mprefund run");
    let secs = start.elapsed().as_secs_f64();
    assert!(status.success(), "mprefund run failed: {status}");
    assert_eq!(sandbox.refunds().len() as u64, rows, "run: every row once");
    secs
}

struct Figures {
    upload: f64,
    plan: f64,
    plan_again: f64,
    submit: f64,
    approve: f64,
    send: f64,
    events: usize,
    longest_gap: f64,
    peak_kib: u64,
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn add_user(state: &Path, name: &str, role: &str) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mprefund"))
        .args(["console", "users", "add", name, "--role", role])
        .args(["--password-stdin", "--state"])
        .arg(state)
        .stdin(Stdio::piped())
        .spawn()
        .expect("spawn users add");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success(), "users add {name}");
}

fn csrf_of(html: &str) -> String {
    let mark = "name=\"csrf-token\" content=\"";
    let at = html.find(mark).expect("a csrf meta") + mark.len();
    html[at..].split('"').next().unwrap().to_owned()
}

async fn logged_in(base: &str, user: &str) -> (reqwest::Client, String) {
    let http = reqwest::Client::builder()
        .cookie_provider(Arc::new(reqwest::cookie::Jar::default()))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = http.get(format!("{base}/login")).send().await.unwrap();
    let csrf = csrf_of(&form.text().await.unwrap());
    let r = http
        .post(format!("{base}/login"))
        .form(&[("user", user), ("password", PASSWORD), ("csrf", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::SEE_OTHER, "login {user}");
    let home = http.get(format!("{base}/")).send().await.unwrap();
    let csrf = csrf_of(&home.text().await.unwrap());
    (http, csrf)
}

async fn step(http: &reqwest::Client, base: &str, id: &str, step: &str, form: &[(&str, &str)]) {
    let r = http
        .post(format!("{base}/batches/{id}/{step}"))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = r.status();
    assert_eq!(
        status,
        reqwest::StatusCode::SEE_OTHER,
        "{step}: {}",
        r.text().await.unwrap_or_default()
    );
}

async fn console(dir: &Path, csv: Vec<u8>, rows: u64, total: rust_decimal::Decimal) -> Figures {
    let state = dir.join("console.mprefund.db");
    add_user(&state, "sub", "submitter");
    add_user(&state, "appr", "approver");
    let sandbox = sandbox();
    let mut child = Command::new(env!("CARGO_BIN_EXE_mprefund"))
        .args(["console", "--listen", "127.0.0.1:0", "--state"])
        .arg(&state)
        .args(["--api-base", &sandbox.base_url()])
        .args(["--rate", rate(), "--concurrency", CONCURRENCY])
        .env("MP_ACCESS_TOKEN", TEST_TOKEN)
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn console");
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let pid = child.id();
    let _console = Killed(child);
    let base = first
        .trim()
        .strip_prefix("listening on ")
        .expect("listening on …")
        .trim_end_matches('/')
        .to_owned();
    let (sub, sub_csrf) = logged_in(&base, "sub").await;
    let (appr, appr_csrf) = logged_in(&base, "appr").await;

    let start = Instant::now();
    let part = reqwest::multipart::Part::bytes(csv)
        .file_name("chargebacks.csv")
        .mime_str("text/csv")
        .unwrap();
    let form = reqwest::multipart::Form::new()
        .text("csrf", sub_csrf.clone())
        .part("file", part);
    let r = sub
        .post(format!("{base}/batches"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::SEE_OTHER, "upload");
    let upload = start.elapsed().as_secs_f64();
    let to = r.headers()["location"].to_str().unwrap().to_owned();
    // The page it leads to may say what was done (`?said=…`): the id is the path's.
    let id = to
        .strip_prefix("/batches/")
        .and_then(|rest| rest.split('?').next())
        .unwrap()
        .to_owned();
    let view = |http: reqwest::Client| {
        let url = format!("{base}{to}");
        async move {
            let start = Instant::now();
            let page = http.get(url).send().await.unwrap().text().await.unwrap();
            assert!(page.contains(&rows.to_string()) || page.contains("100.000"));
            start.elapsed().as_secs_f64()
        }
    };
    let plan = view(sub.clone()).await;
    let plan_again = view(appr.clone()).await;

    let expect = format!("{total}");
    let start = Instant::now();
    step(
        &sub,
        &base,
        &id,
        "submit",
        &[("expect_total", &expect), ("csrf", &sub_csrf)],
    )
    .await;
    let submit = start.elapsed().as_secs_f64();
    let start = Instant::now();
    step(
        &appr,
        &base,
        &id,
        "approve",
        &[("expect_total", &expect), ("csrf", &appr_csrf)],
    )
    .await;
    let approve = start.elapsed().as_secs_f64();

    let start = Instant::now();
    step(&appr, &base, &id, "send", &[("csrf", &appr_csrf)]).await;
    let mut events = appr
        .get(format!("{base}/batches/{id}/events"))
        .send()
        .await
        .unwrap();
    let (mut count, mut last, mut longest) = (0usize, Instant::now(), Duration::ZERO);
    let mut buffer = String::new();
    let mut finished = false;
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let chunk = tokio::time::timeout(Duration::from_secs(5), events.chunk()).await;
        let Ok(Ok(Some(chunk))) = chunk else { break };
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buffer.find("\n\n") {
            let event: String = buffer.drain(..end + 2).collect();
            if let Some(data) = event.lines().find_map(|l| l.strip_prefix("data:")) {
                count += 1;
                longest = longest.max(last.elapsed());
                last = Instant::now();
                let figures: serde_json::Value = serde_json::from_str(data.trim()).unwrap();
                finished |= figures["state"] != "sending";
            }
        }
        if finished || Instant::now() > deadline {
            break;
        }
    }
    while state_of(&appr, &base, &id).await == "sending" {
        assert!(Instant::now() < deadline, "the console send did not finish");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let send = start.elapsed().as_secs_f64();
    assert_eq!(state_of(&appr, &base, &id).await, "finished");
    assert_eq!(
        sandbox.refunds().len() as u64,
        rows,
        "console: every row once"
    );
    Figures {
        upload,
        plan,
        plan_again,
        submit,
        approve,
        send,
        events: count,
        longest_gap: longest.as_secs_f64(),
        peak_kib: peak_kib(pid),
    }
}

async fn state_of(http: &reqwest::Client, base: &str, id: &str) -> String {
    let json: serde_json::Value = http
        .get(format!("{base}/batches/{id}.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    json["state"].as_str().unwrap_or_default().to_owned()
}

/// The process's peak resident set (`VmHWM`), in KiB.
fn peak_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM")
}
