//! Benchmark (not a test) of how `mprefund` scales with the file: for
//! 10,000, 100,000 and 1,000,000 rows, against the in-process sandbox, durable
//! state on, it prints
//!
//! - `plan`: wall time and peak memory (max RSS);
//! - `run`: wall time, rows/s, peak memory, state file bytes per row;
//! - re-running the finished batch: wall time;
//! - a run killed (SIGKILL) half-way, then resumed: time from the resuming
//!   process's start to its first request reaching the sandbox.
//!
//! `cargo bench --bench scale` (MPREFUND_BENCH_SIZES="10000,100000" to choose).

use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use mprefund_sandbox::{Sandbox, SandboxConfig, SandboxHandle, TEST_TOKEN};

fn main() {
    let sizes: Vec<u64> = std::env::var("MPREFUND_BENCH_SIZES")
        .unwrap_or_else(|_| "10000,100000,1000000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    println!(
        "{:>9} | {:>8} {:>9} | {:>8} {:>8} {:>9} {:>7} | {:>8} | {:>9}",
        "rows", "plan s", "plan MiB", "run s", "rows/s", "run MiB", "B/row", "rerun s", "resume s"
    );
    for rows in sizes {
        scale(rows);
    }
}

fn write_input(path: &Path, rows: u64, first: u64) {
    let mut csv = String::with_capacity(rows as usize * 40);
    csv.push_str("payment_id,amount,reference,note\n");
    for i in 0..rows {
        // Ordinary sandbox ids (suffix 000–899): one payment per row.
        let id = first + (i / 900) * 1000 + i % 900;
        csv.push_str(&format!("{id},12.34,scale-{i},row {i}\n"));
    }
    std::fs::write(path, csv).expect("write input");
}

fn mprefund(args: &[&str], input: &Path, sandbox: &SandboxHandle) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mprefund"));
    c.arg("--quiet")
        .args(args)
        .arg(input)
        // One state per file, as the figures were always measured.
        .arg("--state")
        .arg(input.with_extension("mprefund.db"))
        .args(["--api-base", &sandbox.base_url()])
        .env("MP_ACCESS_TOKEN", TEST_TOKEN);
    // `plan` (offline) refuses the sending flags it would not use.
    if args.first() == Some(&"run") {
        c.args(["--rate", "1000000", "--concurrency", "32"]);
    }
    c
}

/// Waits for `child`; returns (exit code, wall since `start`, peak RSS in MiB).
/// The peak is the child's own `VmHWM`, read while it runs: `wait4`'s `ru_maxrss`
/// would also count the memory of this process (which holds the sandbox) from
/// before the child's exec.
fn reap(mut child: Child, start: Instant) -> (i32, f64, f64) {
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak_kib = 0u64;
    let status = loop {
        if let Ok(text) = std::fs::read_to_string(&status_file)
            && let Some(kib) = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        {
            peak_kib = peak_kib.max(kib);
        }
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    (
        status.code().unwrap_or(-1),
        start.elapsed().as_secs_f64(),
        peak_kib as f64 / 1024.0,
    )
}

fn state_bytes(state: &Path) -> u64 {
    ["", "-wal"]
        .iter()
        .filter_map(|s| std::fs::metadata(format!("{}{s}", state.display())).ok())
        .map(|m| m.len())
        .sum()
}

fn scale(rows: u64) {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("scale.csv");
    write_input(&input, rows, 1_200_000_000);
    let sandbox = Sandbox::start(SandboxConfig::default()).expect("sandbox");

    let start = Instant::now();
    let child = mprefund(&["plan"], &input, &sandbox)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("plan");
    let (code, plan_s, plan_mib) = reap(child, start);
    assert_eq!(code, 0, "plan failed");

    let start = Instant::now();
    let child = mprefund(&["run"], &input, &sandbox).spawn().expect("run");
    let (code, run_s, run_mib) = reap(child, start);
    assert_eq!(code, 0, "run failed");
    assert_eq!(sandbox.refunds().len() as u64, rows, "one refund per row");
    let per_row = state_bytes(&dir.path().join("scale.mprefund.db")) as f64 / rows as f64;

    let start = Instant::now();
    let child = mprefund(&["run"], &input, &sandbox).spawn().expect("rerun");
    let (code, rerun_s, _) = reap(child, start);
    assert_eq!(code, 0, "re-run failed");

    // Killed half-way, then resumed: how long until the first request leaves.
    let second = dir.path().join("resume.csv");
    write_input(&second, rows, 3_200_000_000);
    let before = sandbox.refunds().len() as u64;
    let mut child = mprefund(&["run"], &second, &sandbox).spawn().expect("run");
    while (sandbox.refunds().len() as u64) < before + rows / 2 {
        assert!(
            child.try_wait().unwrap().is_none(),
            "finished before the kill"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    child.kill().expect("kill");
    child.wait().expect("reap");
    let requests = sandbox.stats().requests;
    let start = Instant::now();
    let child = mprefund(&["run"], &second, &sandbox)
        .spawn()
        .expect("resume");
    let first = loop {
        if sandbox.stats().requests > requests {
            break start.elapsed().as_secs_f64();
        }
        std::thread::sleep(Duration::from_millis(1));
    };
    let (code, _, _) = reap(child, start);
    assert_eq!(code, 0, "resume failed");
    assert_eq!(
        sandbox.refunds().len() as u64,
        before + rows,
        "one refund per row after the kill"
    );

    println!(
        "{rows:>9} | {plan_s:>8.2} {plan_mib:>9.1} | {run_s:>8.2} {:>8.0} {run_mib:>9.1} {per_row:>7.0} | {rerun_s:>8.2} | {first:>9.3}",
        rows as f64 / run_s
    );
}
