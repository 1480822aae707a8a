//! Benchmark (not a test) of rate control: `mprefund run`
//! against the in-process sandbox in several set-ups, printing throughput, 429
//! share (from the limit, at random), how the tool read its 429s, the busiest
//! sliding second and the spread of the rate the run used.
//!
//! 1. An account limit: sandbox `--rate-limit 50`, tool `--rate 400` (adaptive).
//! 2. Slow answers: 300 ms ± 100 ms latency, `--rate 100`, default concurrency.
//! 3. Fixed mode: `--rate 100 --fixed-rate`, no limit.
//! 4. A flaky day, 2,000 rows: 10 % 500s, 5 % random 429s (Retry-After 1), 3 % cut
//!    connections, `--rate 200`, adaptive and fixed.
//! 5. The limit through noise: `--rate-limit 50` and 5 % random 429s, `--rate 400`.
//!
//! Every run must end with each row refunded once and exit 0, after at most one
//! `retry` for rows whose attempts ran out.
//!
//! `cargo bench --bench rate_control` (MPREFUND_BENCH_ROWS changes the 3,000 rows
//! of the set-ups without a count of their own; MPREFUND_BENCH_ONLY=text runs
//! only the set-ups whose name holds the text).

use std::process::Command;
use std::time::{Duration, Instant};

use mprefund_sandbox::{Faults, Sandbox, SandboxConfig, TEST_TOKEN};

struct Case {
    name: &'static str,
    config: SandboxConfig,
    args: &'static [&'static str],
    /// The rate the case is judged against, and its burst allowance.
    rate: f64,
    /// Rows of this set-up, if not the common count.
    rows: Option<u64>,
}

/// The flaky day: 10 % 500s, 5 % 429s, 3 % connections cut after the refund was made.
fn flaky() -> Faults {
    Faults {
        error_500: 0.1,
        error_429: 0.05,
        retry_after_secs: 1,
        cut_after_commit: 0.03,
        seed: Some(7),
        ..Faults::default()
    }
}

fn main() {
    let rows: u64 = std::env::var("MPREFUND_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3_000);
    let cases = [
        Case {
            name: "limit 50/s, --rate 400 (adaptive)",
            config: SandboxConfig {
                rate_limit: Some(50),
                ..SandboxConfig::default()
            },
            args: &["--rate", "400"],
            rate: 50.0,
            rows: None,
        },
        Case {
            name: "latency 300±100 ms, --rate 100, concurrency auto",
            config: SandboxConfig {
                faults: Faults {
                    latency: Duration::from_millis(200),
                    jitter: Duration::from_millis(200),
                    seed: Some(9),
                    ..Faults::default()
                },
                ..SandboxConfig::default()
            },
            args: &["--rate", "100"],
            rate: 100.0,
            rows: None,
        },
        Case {
            name: "--rate 100 --fixed-rate",
            config: SandboxConfig::default(),
            args: &["--rate", "100", "--fixed-rate"],
            rate: 100.0,
            rows: None,
        },
        Case {
            name: "flaky day (500 10 %, 429 5 %, cut 3 %), --rate 200 (adaptive)",
            config: SandboxConfig {
                faults: flaky(),
                ..SandboxConfig::default()
            },
            args: &["--rate", "200"],
            rate: 200.0,
            rows: Some(2_000),
        },
        Case {
            name: "flaky day (500 10 %, 429 5 %, cut 3 %), --rate 200 --fixed-rate",
            config: SandboxConfig {
                faults: flaky(),
                ..SandboxConfig::default()
            },
            args: &["--rate", "200", "--fixed-rate"],
            rate: 200.0,
            rows: Some(2_000),
        },
        Case {
            name: "limit 50/s and 5 % random 429s, --rate 400 (adaptive)",
            config: SandboxConfig {
                rate_limit: Some(50),
                faults: Faults {
                    error_429: 0.05,
                    retry_after_secs: 1,
                    seed: Some(7),
                    ..Faults::default()
                },
                ..SandboxConfig::default()
            },
            args: &["--rate", "400"],
            rate: 50.0,
            rows: None,
        },
    ];
    // MPREFUND_BENCH_ONLY=flaky runs the set-ups whose name holds it.
    let only = std::env::var("MPREFUND_BENCH_ONLY").unwrap_or_default();
    for case in cases.iter().filter(|c| c.name.contains(&only)) {
        bench(case, case.rows.unwrap_or(rows));
    }
}

fn bench(case: &Case, rows: u64) {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("bench.csv");
    let mut csv = String::from("payment_id,amount,reference\n");
    for i in 0..rows {
        let id = 1_100_000_000 + (i / 900) * 1000 + i % 900;
        csv.push_str(&format!("{id},1.00,rate-{i}\n"));
    }
    std::fs::write(&input, csv).expect("write input");
    let summary = dir.path().join("summary.json");
    let sandbox = Sandbox::start(case.config.clone()).expect("sandbox");
    let state = dir.path().join("bench.mprefund.db");
    let mprefund = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_mprefund"))
            .arg("--quiet")
            .args(args)
            .arg("--state")
            .arg(&state)
            .args(["--api-base", &sandbox.base_url()])
            .args(case.args)
            .arg("--summary-json")
            .arg(&summary)
            .env("MP_ACCESS_TOKEN", TEST_TOKEN)
            .status()
            .expect("run mprefund")
    };
    let start = Instant::now();
    let input_arg = input.display().to_string();
    let status = mprefund(&["run", &input_arg]);
    let secs = start.elapsed().as_secs_f64();
    // The summary of the run itself, before any retry replaces it.
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&summary).expect("summary")).expect("json");
    let mut retried = false;
    if status.code() == Some(1) {
        // Rows whose attempts ran out: one `retry`, as a nightly job would.
        let again = mprefund(&["retry"]);
        assert!(again.success(), "{}: retry failed: {again}", case.name);
        retried = true;
    } else {
        assert!(status.success(), "{}: mprefund failed: {status}", case.name);
    }
    let mut keys = std::collections::HashMap::<String, u64>::new();
    for r in sandbox.refunds() {
        *keys.entry(r.idempotency_key).or_default() += 1;
    }
    assert_eq!(keys.len() as u64, rows, "every row refunded");
    assert!(keys.values().all(|&n| n == 1), "no row refunded twice");
    let stats = sandbox.stats();
    let r = &json["rate"];
    let burst = (case.rate / 10.0).floor().max(1.0);
    let throughput = rows as f64 / secs;
    println!("rate_control: {}", case.name);
    println!(
        "  {rows} rows in {secs:.1} s: {throughput:.1} refunds/s ({:.3} of {})",
        throughput / case.rate,
        case.rate
    );
    // Sustained: arrivals per calendar second at the sandbox, the first and last
    // (partial) seconds left out.
    let seconds: Vec<u64> = stats.per_second.values().copied().collect();
    if std::env::var_os("MPREFUND_BENCH_SECONDS").is_some() {
        println!("  per second: {seconds:?}");
    }
    let middle = &seconds[1.min(seconds.len())..seconds.len().saturating_sub(1).max(1)];
    if !middle.is_empty() {
        let mean = middle.iter().sum::<u64>() as f64 / middle.len() as f64;
        println!(
            "  sustained: {mean:.1} requests/s ({:.3} of {}; {} full seconds, min {}, max {})",
            mean / case.rate,
            case.rate,
            middle.len(),
            middle.iter().min().unwrap_or(&0),
            middle.iter().max().unwrap_or(&0)
        );
    }
    let all_429 = stats.by_status.get(&429).copied().unwrap_or(0);
    let pct = |n: u64| 100.0 * n as f64 / stats.requests.max(1) as f64;
    println!(
        "  requests {}, answered 429: {all_429} ({:.2} %), of which from the limit {} ({:.2} %){}",
        stats.requests,
        pct(all_429),
        stats.rate_limited,
        pct(stats.rate_limited),
        if retried {
            "; one `retry` for rows whose attempts ran out"
        } else {
            ""
        }
    );
    println!(
        "  the run took {} 429s as noise, {} as the limit ({} cuts, {} shared pauses)",
        r["throttled_as_noise"], r["throttled_as_limit"], r["limit_cuts"], r["shared_pauses"]
    );
    println!(
        "  busiest sliding second: {} requests (rate {} + burst {burst})",
        stats.busiest_sliding_second, case.rate
    );
    println!(
        "  rate used: mean {:.1}/s, final {:.1}/s, min {:.1}, max {:.1}; limit found {}; peak in flight {}",
        r["mean"].as_f64().unwrap_or(0.0),
        r["last"].as_f64().unwrap_or(0.0),
        r["min"].as_f64().unwrap_or(0.0),
        r["max"].as_f64().unwrap_or(0.0),
        r["limit_found"],
        stats.max_concurrent,
    );
}
