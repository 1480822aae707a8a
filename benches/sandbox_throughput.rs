//! How fast the sandbox answers refund POSTs, so we know it is never the
//! bottleneck of a run or a test: 32 concurrent reqwest clients send distinct keys
//! over 1000 ordinary payments (0.01 each, so balances never run out) for a fixed
//! number of requests, then requests/s and latency p50/p99 are printed.
//!
//! `cargo bench --bench sandbox_throughput` (optionally `-- REQUESTS CONCURRENCY`).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use mprefund_sandbox::{Sandbox, SandboxConfig, TEST_TOKEN};

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    let total: u64 = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(50_000);
    let concurrency: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(32);

    let sandbox = Sandbox::start(SandboxConfig::default())?;
    let base = sandbox.base_url();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let (elapsed, mut latencies, failures) = rt.block_on(async move {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(concurrency)
            .build()?;
        let next = Arc::new(AtomicU64::new(0));
        let started = Instant::now();
        let workers: Vec<_> = (0..concurrency)
            .map(|_| {
                let (client, next, base) = (client.clone(), next.clone(), base.clone());
                tokio::spawn(async move {
                    let mut latencies = Vec::with_capacity((total as usize / concurrency) + 1);
                    let mut failures = 0u64;
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= total {
                            break;
                        }
                        let payment = 1000 * (i % 1000) + 100;
                        let sent = Instant::now();
                        let resp = client
                            .post(format!("{base}/v1/payments/{payment}/refunds"))
                            .bearer_auth(TEST_TOKEN)
                            .header("X-Idempotency-Key", format!("bench-{i}"))
                            .header("content-type", "application/json")
                            .body(r#"{"amount":0.01}"#)
                            .send()
                            .await;
                        let ok = match resp {
                            Ok(r) => {
                                r.status() == reqwest::StatusCode::CREATED
                                    && r.bytes().await.is_ok()
                            }
                            Err(_) => false,
                        };
                        latencies.push(sent.elapsed());
                        failures += u64::from(!ok);
                    }
                    (latencies, failures)
                })
            })
            .collect();
        let mut all = Vec::with_capacity(total as usize);
        let mut failures = 0;
        for w in workers {
            let (l, f) = w.await?;
            all.extend(l);
            failures += f;
        }
        anyhow::Ok((started.elapsed(), all, failures))
    })?;

    latencies.sort_unstable();
    let pct = |p: f64| -> Duration {
        let i = ((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len()) - 1;
        latencies[i]
    };
    let stats = sandbox.stats();
    println!(
        "sandbox_throughput: {total} refund POSTs, concurrency {concurrency}, {:.2} s",
        elapsed.as_secs_f64()
    );
    println!(
        "  {:.0} requests/s, latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        total as f64 / elapsed.as_secs_f64(),
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        pct(1.0).as_secs_f64() * 1e3,
    );
    println!(
        "  sandbox: {} refunds created, {} failures, max {} in flight, busiest second {}",
        stats.refunds_created, failures, stats.max_concurrent, stats.busiest_second
    );
    anyhow::ensure!(failures == 0, "{failures} requests did not get 201");
    Ok(())
}
