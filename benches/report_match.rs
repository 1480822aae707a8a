//! Benchmark (not a test) of `reconcile --report`: a batch of N rows
//! refunded against the in-process sandbox, then a settlement report of N refund
//! lines (one per refund, half found by the refund id in METADATA, half by
//! payment, amount and date) matched against it. Prints the matching's wall time
//! and peak memory (the child's VmHWM).
//!
//! `cargo bench --bench report_match` (MPREFUND_BENCH_ROWS changes the 1,000,000).

use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mprefund_sandbox::{Sandbox, SandboxConfig, TEST_TOKEN};

fn main() {
    let rows: u64 = std::env::var("MPREFUND_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("batch.csv");
    let mut csv = String::with_capacity(rows as usize * 40);
    csv.push_str("payment_id,amount,reference\n");
    for i in 0..rows {
        let id = 1_300_000_000 + (i / 900) * 1000 + i % 900;
        csv.push_str(&format!("{id},12.34,match-{i}\n"));
    }
    std::fs::write(&input, csv).expect("write input");
    let sandbox = Sandbox::start(SandboxConfig::default()).expect("sandbox");
    let started = Instant::now();
    let status = Command::new(env!("CARGO_BIN_EXE_mprefund"))
        .args(["--quiet", "run"])
        .arg(&input)
        .arg("--state")
        .arg(dir.path().join("batch.mprefund.db"))
        .args(["--api-base", &sandbox.base_url()])
        .args(["--rate", "1000000", "--concurrency", "32"])
        .env("MP_ACCESS_TOKEN", TEST_TOKEN)
        .status()
        .expect("run");
    assert!(status.success());
    println!(
        "report_match: batch of {rows} rows refunded in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // The settlement report Mercado Pago would give for them.
    let report = dir.path().join("settlement.csv");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&report).expect("report"));
    writeln!(
        f,
        "SITE;TRANSACTION_TYPE;SOURCE_ID;TRANSACTION_AMOUNT;TRANSACTION_CURRENCY;TRANSACTION_DATE;METADATA"
    )
    .unwrap();
    let today = time::OffsetDateTime::now_utc();
    let fmt = |t: time::OffsetDateTime| {
        t.format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    };
    writeln!(
        f,
        "MLB;SETTLEMENT;1;1.00;BRL;{};",
        fmt(today - time::Duration::days(10))
    )
    .unwrap();
    for (i, r) in sandbox.refunds().iter().enumerate() {
        let metadata = if i % 2 == 0 {
            format!("\"{{\"\"refund_id\"\": {}}}\"", r.id)
        } else {
            String::new()
        };
        writeln!(
            f,
            "MLB;REFUND;{};-{};BRL;{};{metadata}",
            r.payment_id,
            r.amount,
            fmt(today)
        )
        .unwrap();
    }
    writeln!(
        f,
        "MLB;SETTLEMENT;1;1.00;BRL;{};",
        fmt(today + time::Duration::days(10))
    )
    .unwrap();
    f.flush().unwrap();
    drop(f);
    let size = std::fs::metadata(&report).map_or(0, |m| m.len());

    let started = Instant::now();
    let child = Command::new(env!("CARGO_BIN_EXE_mprefund"))
        .args(["reconcile", "--state"])
        .arg(dir.path().join("batch.mprefund.db"))
        .arg("--report")
        .arg(&report)
        .stderr(Stdio::piped())
        .spawn()
        .expect("reconcile");
    let (code, peak) = reap(child);
    let secs = started.elapsed().as_secs_f64();
    assert_eq!(code, 0, "every refund matched");
    println!(
        "report_match: {rows}-line report ({:.0} MB) matched against {rows} refunds in {secs:.2} s, peak memory {peak:.1} MiB",
        size as f64 / 1e6
    );
}

/// (exit code, peak RSS in MiB from the child's own VmHWM).
fn reap(mut child: Child) -> (i32, f64) {
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0u64;
    let mut stderr = child.stderr.take();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        if let Some(e) = stderr.as_mut() {
            let _ = std::io::Read::read_to_string(e, &mut s);
        }
        s
    });
    let status = loop {
        if let Ok(text) = std::fs::read_to_string(&status_file)
            && let Some(kib) = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        {
            peak = peak.max(kib);
        }
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let err = reader.join().unwrap_or_default();
    if !status.success() {
        eprintln!("{err}");
    }
    (status.code().unwrap_or(-1), peak as f64 / 1024.0)
}
