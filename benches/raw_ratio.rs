//! Benchmark (not a test): how close `mprefund run` comes to raw HTTP on the same
//! machine. For the same rows (one ordinary payment each, 12.34), a minimal
//! hyper loop it carries itself — `--concurrency` requests in flight, each POST
//! the refund `run` would send, with the same headers (its key as long as a
//! row's), nothing stored — and then
//! `mprefund run` (durable state, `--rate 1000000`), each against a fresh
//! in-process sandbox. Prints both rates, the ratio, and the run's peak memory.
//!
//! `cargo bench --bench raw_ratio`. MPREFUND_BENCH_ROWS (100000),
//! MPREFUND_BENCH_CONCURRENCY (32), MPREFUND_BENCH_ROUNDS (2: raw and run
//! alternate), MPREFUND_BENCH_BIN (comma-separated binaries to compare side by
//! side, each run once a round; the one cargo built by default).

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use mprefund_sandbox::{Sandbox, SandboxConfig, TEST_TOKEN};

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Ordinary sandbox ids (suffix 000–899): one payment per row, as `run_100k`.
fn payment(i: u64) -> u64 {
    1_000_000_000 + (i / 900) * 1000 + i % 900
}

fn main() -> anyhow::Result<()> {
    let rows: u64 = env_or("MPREFUND_BENCH_ROWS", 100_000);
    let concurrency: usize = env_or("MPREFUND_BENCH_CONCURRENCY", 32);
    let rounds: usize = env_or("MPREFUND_BENCH_ROUNDS", 2);
    let bins: Vec<String> = std::env::var("MPREFUND_BENCH_BIN")
        .map(|v| v.split(',').map(str::to_owned).collect())
        .unwrap_or_else(|_| vec![env!("CARGO_BIN_EXE_mprefund").to_owned()]);
    let dir = tempfile::tempdir()?;
    let input = dir.path().join("bench.csv");
    let mut csv = String::with_capacity(rows as usize * 40);
    csv.push_str("payment_id,amount,reference,note\n");
    for i in 0..rows {
        csv.push_str(&format!("{},12.34,bench-{i},row {i}\n", payment(i)));
    }
    std::fs::write(&input, csv)?;

    println!("raw_ratio: {rows} rows, {concurrency} in flight, {rounds} rounds");
    for round in 1..=rounds {
        let cpu = own_cpu();
        let (raw, sandbox_cpu) = raw_loop(rows, concurrency)?;
        println!(
            "round {round}: raw loop {raw:>8.0} rows/s  cpu {:.2} s + sandbox {sandbox_cpu:.2} s",
            own_cpu() - cpu - sandbox_cpu
        );
        for bin in &bins {
            let cpu = own_cpu();
            let (rate, peak, child_cpu) = run(bin, &input, rows, concurrency, dir.path())?;
            println!(
                "round {round}: run      {rate:>8.0} rows/s  {:.2}x raw  peak {peak:.1} MiB  \
                 cpu {child_cpu:.2} s + sandbox {:.2} s  ({bin})",
                rate / raw,
                own_cpu() - cpu
            );
        }
    }
    Ok(())
}

/// Every row's refund POSTed once over `concurrency` kept-alive connections, each
/// a hyper HTTP/1.1 connection driven by a loop that keeps nothing: what the
/// machine gives a client that does no work of its own (in the spirit of `wrk`,
/// which the figures were first taken against).
/// (rows/s, the CPU seconds its sandbox's threads used).
fn raw_loop(rows: u64, concurrency: usize) -> anyhow::Result<(f64, f64)> {
    use http_body_util::{BodyExt, Full};
    use hyper::body::Bytes;

    let sandbox = Sandbox::start(SandboxConfig::default())?;
    let addr = sandbox.addr();
    // As many runtime threads as `run` has: the comparison is of the work, not
    // of the threads.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let elapsed = rt.block_on(async move {
        let next = Arc::new(AtomicU64::new(0));
        let host = addr.to_string();
        let auth = format!("Bearer {TEST_TOKEN}");
        let started = Instant::now();
        let mut workers = Vec::new();
        for _ in 0..concurrency {
            let stream = tokio::net::TcpStream::connect(addr).await?;
            stream.set_nodelay(true)?;
            let (mut send, conn) =
                hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
            tokio::spawn(conn);
            let (next, host, auth) = (next.clone(), host.clone(), auth.clone());
            workers.push(tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= rows {
                        return anyhow::Ok(());
                    }
                    // The request `run` sends, header for header, its key
                    // as long as a row's.
                    let req = hyper::Request::post(format!("/v1/payments/{}/refunds", payment(i)))
                        .header("authorization", &auth)
                        .header("accept", "application/json")
                        .header(
                            "user-agent",
                            concat!("mprefund/", env!("CARGO_PKG_VERSION")),
                        )
                        .header("x-render-in-process-refunds", "true")
                        .header("content-type", "application/json")
                        .header("x-idempotency-key", format!("mpr1-{i:048x}"))
                        .header("host", &host)
                        .body(Full::new(Bytes::from_static(br#"{"amount":12.34}"#)))?;
                    send.ready().await?;
                    let resp = send.send_request(req).await?;
                    anyhow::ensure!(resp.status().as_u16() == 201, "{}", resp.status());
                    resp.into_body().collect().await?;
                }
            }));
        }
        for w in workers {
            w.await??;
        }
        anyhow::Ok(started.elapsed())
    })?;
    anyhow::ensure!(sandbox.refunds().len() as u64 == rows, "a refund missing");
    // Read while the sandbox's threads are alive: its share of this
    // process's CPU, told apart from the loop's.
    let sandbox_cpu = sandbox_threads_cpu();
    Ok((rows as f64 / elapsed.as_secs_f64(), sandbox_cpu))
}

/// CPU seconds this process (the raw loop, and every sandbox) has used so far.
fn own_cpu() -> f64 {
    cpu_of("/proc/self/stat").unwrap_or(f64::NAN)
}

/// CPU seconds the live threads of this process's sandboxes (named
/// `mprefund-sandbox-rt`) have used.
fn sandbox_threads_cpu() -> f64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return f64::NAN;
    };
    tasks
        .flatten()
        .filter(|t| {
            std::fs::read_to_string(t.path().join("comm"))
                // A thread's name is cut to 15 bytes there.
                .is_ok_and(|c| {
                    let c = c.trim_end();
                    !c.is_empty() && "mprefund-sandbox-rt".starts_with(c)
                })
        })
        .filter_map(|t| cpu_of(&t.path().join("stat").to_string_lossy()))
        .sum()
}

/// CPU seconds (user and system) a `/proc/<pid>/stat` file says its process used.
fn cpu_of(stat: &str) -> Option<f64> {
    let text = std::fs::read_to_string(stat).ok()?;
    // The fields after the command's name, which is in parentheses; utime and
    // stime are the 14th and 15th of the line, in ticks of 1/100 s.
    let rest = &text[text.rfind(')')? + 2..];
    let mut f = rest.split(' ').skip(11);
    Some((f.next()?.parse::<f64>().ok()? + f.next()?.parse::<f64>().ok()?) / 100.0)
}

/// `mprefund run` on the file against a fresh sandbox, state in a fresh file:
/// (rows/s from spawn to exit, peak memory in MiB, its CPU seconds).
fn run(
    bin: &str,
    input: &Path,
    rows: u64,
    concurrency: usize,
    dir: &Path,
) -> anyhow::Result<(f64, f64, f64)> {
    let sandbox = Sandbox::start(SandboxConfig::default())?;
    let state = dir.join("bench.mprefund.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", state.display()));
    }
    let start = Instant::now();
    let mut child = Command::new(bin)
        .args(["--quiet", "run"])
        .arg(input)
        .arg("--state")
        .arg(&state)
        .args(["--api-base", &sandbox.base_url(), "--rate", "1000000"])
        .args(["--concurrency", &concurrency.to_string()])
        .env("MP_ACCESS_TOKEN", TEST_TOKEN)
        .stdout(std::process::Stdio::null())
        .spawn()?;
    // The child's own high-water mark (VmHWM) and its CPU time, read while it
    // runs.
    let status_file = format!("/proc/{}/status", child.id());
    let stat_file = format!("/proc/{}/stat", child.id());
    let mut peak_kib = 0u64;
    let mut child_cpu = 0f64;
    let status = loop {
        if let Some(cpu) = cpu_of(&stat_file) {
            child_cpu = child_cpu.max(cpu);
        }
        if let Ok(text) = std::fs::read_to_string(&status_file)
            && let Some(kib) = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        {
            peak_kib = peak_kib.max(kib);
        }
        if let Some(status) = child.try_wait()? {
            break status;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let secs = start.elapsed().as_secs_f64();
    anyhow::ensure!(status.success(), "{bin} failed: {status}");
    anyhow::ensure!(
        sandbox.refunds().len() as u64 == rows,
        "every row refunded exactly once"
    );
    Ok((rows as f64 / secs, peak_kib as f64 / 1024.0, child_cpu))
}
