//! Benchmark (not a test) of rate control (issue 9): `mprefund run` against the
//! in-process sandbox in three set-ups, printing throughput, 429 share, the busiest
//! sliding second and the spread of the rate the run used.
//!
//! 1. An account limit: sandbox `--rate-limit 50`, tool `--rate 400` (adaptive).
//! 2. Slow answers: 300 ms ± 100 ms latency, `--rate 100`, default concurrency.
//! 3. Fixed mode: `--rate 100 --fixed-rate`, no limit.
//!
//! `cargo bench --bench rate_control` (MPREFUND_BENCH_ROWS changes the 3,000 rows).

use std::process::Command;
use std::time::{Duration, Instant};

use mprefund::sandbox::{Faults, Sandbox, SandboxConfig, TEST_TOKEN};

struct Case {
    name: &'static str,
    config: SandboxConfig,
    args: &'static [&'static str],
    /// The rate the case is judged against, and its burst allowance.
    rate: f64,
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
        },
        Case {
            name: "--rate 100 --fixed-rate",
            config: SandboxConfig::default(),
            args: &["--rate", "100", "--fixed-rate"],
            rate: 100.0,
        },
    ];
    for case in cases {
        bench(&case, rows);
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
    let start = Instant::now();
    let status = Command::new(env!("CARGO_BIN_EXE_mprefund"))
        .args(["--quiet", "run"])
        .arg(&input)
        .args(["--api-base", &sandbox.base_url()])
        .args(case.args)
        .arg("--summary-json")
        .arg(&summary)
        .env("MP_ACCESS_TOKEN", TEST_TOKEN)
        .status()
        .expect("run mprefund");
    let secs = start.elapsed().as_secs_f64();
    assert!(status.success(), "{}: mprefund failed: {status}", case.name);
    assert_eq!(
        sandbox.refunds().len() as u64,
        rows,
        "every row refunded exactly once"
    );
    let stats = sandbox.stats();
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&summary).expect("summary")).expect("json");
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
    println!(
        "  requests {}, answered 429: {} ({:.2} %)",
        stats.requests,
        stats.by_status.get(&429).copied().unwrap_or(0),
        100.0 * stats.by_status.get(&429).copied().unwrap_or(0) as f64
            / stats.requests.max(1) as f64
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
