//! Benchmark (not a test): `mprefund run` on 100,000 rows against the in-process
//! sandbox with no latency and no effective rate limit, durable state on (SQLite
//! WAL, synchronous=FULL). Prints rows/s and the run's peak memory (max RSS of the
//! child process).
//!
//! `cargo bench --bench run_100k` (set MPREFUND_BENCH_ROWS to change the size).

use std::process::Command;
use std::time::Instant;

use mprefund_sandbox::{Sandbox, SandboxConfig, TEST_TOKEN};

fn main() {
    let rows: u64 = std::env::var("MPREFUND_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let concurrency = std::env::var("MPREFUND_BENCH_CONCURRENCY").unwrap_or_else(|_| "32".into());
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("bench.csv");
    let mut csv = String::with_capacity(rows as usize * 40);
    csv.push_str("payment_id,amount,reference,note\n");
    for i in 0..rows {
        // Ordinary sandbox ids (suffix 000–899): one payment per row.
        let id = 1_000_000_000 + (i / 900) * 1000 + i % 900;
        csv.push_str(&format!("{id},12.34,bench-{i},row {i}\n"));
    }
    std::fs::write(&input, csv).expect("write input");

    let sandbox = Sandbox::start(SandboxConfig::default()).expect("sandbox");
    let start = Instant::now();
    let child = Command::new(env!("CARGO_BIN_EXE_mprefund"))
        .args(["--quiet", "run"])
        .arg(&input)
        .arg("--state")
        .arg(dir.path().join("bench.mprefund.db"))
        .args([
            "--api-base",
            &sandbox.base_url(),
            "--rate",
            "1000000",
            "--concurrency",
            &concurrency,
        ])
        .env("MP_ACCESS_TOKEN", TEST_TOKEN)
        .spawn()
        .expect("spawn mprefund");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: plain FFI call; `usage` is a valid, zeroed rusage we own.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let elapsed = start.elapsed();
    assert_eq!(waited, pid, "wait4 failed");
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "mprefund failed: {status}"
    );
    let created = sandbox.refunds().len() as u64;
    assert_eq!(created, rows, "every row refunded exactly once");
    let secs = elapsed.as_secs_f64();
    println!("run_100k: {rows} rows, concurrency {concurrency}, in {secs:.2} s");
    println!("run_100k: {:.0} rows/s", rows as f64 / secs);
    println!(
        "run_100k: peak memory (max RSS) {:.1} MiB",
        usage.ru_maxrss as f64 / 1024.0
    );
    let _ = child; // already reaped by wait4
}
