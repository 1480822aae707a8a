//! Operations: one run per batch, signals, `retry`, `status`, `report`,
//! job files under cron-like conditions, metrics and JSON logs.

use std::time::{Duration, Instant};

use mprefund_sandbox::{Faults, Sandbox, SandboxConfig, SandboxHandle, TEST_TOKEN};

use crate::common::{
    ACCOUNT_STATE, Work, bare, fresh, fresh_with, ordinary_csv, read_csv, refunds_per_key, run,
    wait_until,
};

fn slow_sandbox(latency_ms: u64) -> SandboxHandle {
    Sandbox::start(SandboxConfig {
        faults: Faults {
            latency: Duration::from_millis(latency_ms),
            ..Faults::default()
        },
        ..SandboxConfig::default()
    })
    .expect("sandbox")
}

fn assert_exactly_once(sb: &SandboxHandle, rows: usize) {
    let per_key = refunds_per_key(sb);
    assert_eq!(per_key.len(), rows);
    assert!(per_key.values().all(|n| *n == 1), "duplicates: {per_key:?}");
}

#[test]
fn a_second_run_of_a_busy_batch_exits_4_and_names_the_holder() {
    let sb = slow_sandbox(20);
    let w = Work::new();
    w.write("in.csv", ordinary_csv(150, 4_100_001));
    let args = ["run", "in.csv", "--concurrency", "4", "--rate", "1000"];
    // The first run is held inside its first requests (the sandbox's gate), so it
    // certainly holds the batch while the second one tries.
    sb.hold();
    let mut first = w.spawn(w.mprefund(&sb, &args), "first");
    wait_until("the first run to send", Duration::from_secs(60), || {
        sb.held() > 0
    });
    let second = run(w.mprefund(&sb, &args)).exits(4);
    assert!(
        second.stderr.contains(&format!("pid {}", first.id())),
        "{second:?}"
    );
    sb.release();
    assert!(first.wait().expect("wait").success(), "{}", w.log("first"));
    assert_exactly_once(&sb, 150);
    // The lock went with the process: the batch can be run (to no effect) again.
    run(w.mprefund(&sb, &args)).exits(0);
    assert_exactly_once(&sb, 150);
}

#[test]
fn sigterm_checkpoints_writes_pending_rows_and_exits_3() {
    let sb = slow_sandbox(10);
    let w = Work::new();
    let total = 400;
    w.write("in.csv", ordinary_csv(total, 4_200_001));
    let args = ["run", "in.csv", "--concurrency", "4", "--rate", "100"];
    let mut child = w.spawn(w.mprefund(&sb, &args), "child");
    wait_until("some refunds", Duration::from_secs(60), || {
        sb.refunds().len() >= 20
    });
    let signalled = Instant::now();
    // SAFETY: plain FFI call on our own child's pid.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGTERM) }, 0);
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(3), "{}", w.log("child"));
    assert!(
        signalled.elapsed() < Duration::from_secs(20),
        "took {:?}",
        signalled.elapsed()
    );
    let rows = read_csv(&w.path("in.results.csv"));
    assert_eq!(rows.len(), total);
    let pending = rows.iter().filter(|r| r["outcome"] == "pending").count();
    let refunded = rows.iter().filter(|r| r["outcome"] == "refunded").count();
    assert!(pending > 0, "the run finished before the signal");
    assert_eq!(pending + refunded, total);
    // In-flight requests finished within the grace period and were recorded.
    assert_eq!(refunded, sb.refunds().len(), "a refund the results miss");

    w.ok(
        &sb,
        &["run", "in.csv", "--concurrency", "8", "--rate", "2000"],
    );
    assert_exactly_once(&sb, total);
    assert!(
        read_csv(&w.path("in.results.csv"))
            .iter()
            .all(|r| r["outcome"] == "refunded")
    );
}

#[test]
fn retry_refunds_exactly_the_rows_that_failed_transiently() {
    let sb = slow_sandbox(0);
    let w = Work::new();
    w.write("in.csv", ordinary_csv(30, 4_300_001));
    let sick = [4_300_001_003u64, 4_300_001_010, 4_300_001_020];
    for id in sick {
        sb.fail_payment(id, 500);
    }
    run(w.mprefund(
        &sb,
        &["run", "in.csv", "--max-attempts", "2", "--rate", "1000"],
    ))
    .exits(1);
    let rows = read_csv(&w.path("in.results.csv"));
    // A 500 may follow a refund made: the rows are in doubt, not failed.
    let failed: Vec<u64> = rows
        .iter()
        .filter(|r| r["outcome"] == "unknown")
        .inspect(|r| {
            assert_eq!(
                (r["retryable"].as_str(), r["http_status"].as_str()),
                ("true", "500")
            )
        })
        .map(|r| r["payment_id"].parse().unwrap())
        .collect();
    assert_eq!(failed, sick);
    assert_eq!(sb.refunds().len(), 27);

    let status = run(w.bare().args(["status", "--state", ACCOUNT_STATE])).exits(0);
    assert!(
        status
            .stdout
            .lines()
            .any(|l| l.trim().starts_with("unknown/http_500: 3  (")),
        "{status:?}"
    );

    for id in sick {
        sb.heal_payment(id);
    }
    w.ok(&sb, &["retry", "--state", ACCOUNT_STATE]);
    assert_exactly_once(&sb, 30);
    let rows = read_csv(&w.path("in.results.csv"));
    assert!(rows.iter().all(|r| r["outcome"] == "refunded"));
    let retried: Vec<u64> = rows
        .iter()
        .filter(|r| r["attempts"] != "1")
        .map(|r| r["payment_id"].parse().unwrap())
        .collect();
    assert_eq!(retried, sick, "only the failed rows were sent again");
}

#[test]
fn retry_all_failed_asks_first() {
    let sb = slow_sandbox(0);
    let w = Work::new();
    w.write("in.csv", "payment_id,amount\n4400001900,5\n4400001001,5\n");
    run(w.mprefund(&sb, &["run", "in.csv"])).exits(1);
    let requests = sb.stats().requests;
    let ran = run(w.mprefund(&sb, &["retry", "--state", ACCOUNT_STATE, "--all-failed"])).exits(2);
    assert!(ran.stderr.contains("--yes"), "{ran:?}");
    assert_eq!(sb.stats().requests, requests, "sent without confirmation");
    run(w.mprefund(
        &sb,
        &["retry", "--state", ACCOUNT_STATE, "--all-failed", "--yes"],
    ))
    .exits(1);
    assert_eq!(sb.stats().requests, requests + 1);
}

#[test]
fn status_and_report_pick_the_batch_unambiguously() {
    let sb = slow_sandbox(0);
    let w = Work::new();
    w.write("a.csv", "payment_id,amount,note\n4500001001,5,=cmd\n");
    w.write("b.csv", "payment_id,amount\n4500001002,6\n");
    for f in ["a.csv", "b.csv"] {
        w.ok(&sb, &["run", f, "--state", "shared.db"]);
    }
    let ambiguous = run(w.bare().args(["status", "--state", "shared.db"])).exits(2);
    let listed: Vec<&str> = ambiguous
        .stderr
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| w.len() == 32)
        .collect();
    assert_eq!(listed.len(), 2, "{ambiguous:?}");
    let a_results = std::fs::read(w.path("a.results.csv")).unwrap();
    for id in &listed {
        let st = run(w
            .bare()
            .args(["status", "--state", "shared.db", "--batch", &id[..8]]))
        .exits(0);
        assert!(st.stdout.contains("refunded"), "{st:?}");
    }
    std::fs::remove_file(w.path("a.results.csv")).unwrap();
    let batch_a = listed
        .iter()
        .find(|id| {
            run(w
                .bare()
                .args(["status", "--state", "shared.db", "--batch", id]))
            .stdout
            .contains("a.csv")
        })
        .expect("batch of a.csv");
    run(w
        .bare()
        .args(["report", "--state", "shared.db", "--batch", batch_a]))
    .exits(0);
    assert_eq!(std::fs::read(w.path("a.results.csv")).unwrap(), a_results);
}

/// The value of the series `name` whose labels include `labels`, from Prometheus
/// text; `None` when no such series is there.
fn metric(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let (n, rest) = series.split_once('{').unwrap_or((series, "}"));
            let have: Vec<(&str, &str)> = rest
                .trim_end_matches('}')
                .split(',')
                .filter(|p| !p.is_empty())
                .filter_map(|p| p.split_once('='))
                .map(|(k, v)| (k, v.trim_matches('"')))
                .collect();
            (n == name && labels.iter().all(|l| have.contains(l))).then(|| value.parse().ok())?
        })
}

/// Checks the Prometheus text exposition format line by line.
fn assert_prometheus_text(text: &str) {
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# ") {
            assert!(
                rest.starts_with("HELP ") || rest.starts_with("TYPE "),
                "{line}"
            );
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("{line}"));
        value
            .parse::<f64>()
            .unwrap_or_else(|_| panic!("value in {line}"));
        let name = series.split('{').next().unwrap();
        assert!(
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "{line}"
        );
        let labels = &series[name.len()..];
        if !labels.is_empty() {
            assert!(labels.starts_with('{') && labels.ends_with('}'), "{line}");
            for pair in labels[1..labels.len() - 1].split(',') {
                let (k, v) = pair.split_once('=').unwrap_or_else(|| panic!("{line}"));
                assert!(
                    !k.is_empty() && v.starts_with('"') && v.ends_with('"'),
                    "{line}"
                );
            }
        }
    }
}

#[test]
fn a_job_file_runs_under_cron_conditions_and_writes_metrics() {
    let sb = slow_sandbox(0);
    let jobs = Work::new();
    let elsewhere = Work::new();
    jobs.write("in.csv", ordinary_csv(12, 4_600_001));
    jobs.write(
        "nightly.toml",
        format!(
            "input = \"in.csv\"\nstate = \"nightly.db\"\nout = \"nightly.results.csv\"\n\
             rate = 500\nconcurrency = 4\nnamespace = \"acme\"\ntoken_env = \"NIGHTLY_TOKEN\"\n\
             api_base = \"{}\"\nmetrics_file = \"nightly.prom\"\nsummary_json = \"nightly.json\"\n",
            sb.base_url()
        ),
    );
    run(bare()
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("NIGHTLY_TOKEN", TEST_TOKEN)
        .current_dir(elsewhere.dir.path())
        .args(["run", "--job"])
        .arg(jobs.path("nightly.toml")))
    .exits(0);
    assert_eq!(sb.refunds().len(), 12);
    let rows = read_csv(&jobs.path("nightly.results.csv"));
    assert_eq!(rows.len(), 12);
    let metrics = std::fs::read_to_string(jobs.path("nightly.prom")).expect("metrics file");
    assert_prometheus_text(&metrics);
    let value = |name: &str, labels: &[(&str, &str)]| {
        metric(&metrics, name, labels)
            .unwrap_or_else(|| panic!("no {name} {labels:?} in\n{metrics}"))
    };
    assert_eq!(value("mprefund_rows", &[("outcome", "refunded")]), 12.0);
    assert_eq!(value("mprefund_rows", &[("outcome", "failed")]), 0.0);
    assert_eq!(
        value("mprefund_refunded_amount", &[("currency", "unknown")]),
        15.0
    );
    let last_success = value("mprefund_last_success_timestamp_seconds", &[]);
    assert!(last_success > 1.7e9, "{last_success}");
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(jobs.path("nightly.json")).unwrap()).unwrap();
    assert_eq!(json["exit_code"], 0);
    assert_eq!(json["outcomes"]["refunded"]["rows"], 12);
    // Nothing was written where cron happened to be.
    assert_eq!(std::fs::read_dir(elsewhere.dir.path()).unwrap().count(), 0);
    // A flag overrides the job file.
    run(bare()
        .env_clear()
        .env("NIGHTLY_TOKEN", TEST_TOKEN)
        .current_dir(elsewhere.dir.path())
        .args(["run", "--out", "override.csv", "--job"])
        .arg(jobs.path("nightly.toml")))
    .exits(0);
    assert_eq!(read_csv(&elsewhere.path("override.csv")).len(), 12);
}

#[test]
fn json_logs_are_one_object_per_line_and_never_hold_the_token() {
    let sb = slow_sandbox(0);
    let w = Work::new();
    w.write("in.csv", ordinary_csv(5, 4_700_001));
    let ran = w.ok(&sb, &["--log-format", "json", "run", "in.csv", "-v"]);
    let logs: Vec<&str> = ran.stderr.lines().filter(|l| l.starts_with('{')).collect();
    assert!(!logs.is_empty(), "{ran:?}");
    let mut summaries = Vec::new();
    for l in logs {
        let v = serde_json::from_str::<serde_json::Value>(l).unwrap_or_else(|e| panic!("{e}: {l}"));
        if v["event"] == "summary" {
            summaries.push(v);
        }
    }
    // The summary comes as a JSON line too.
    assert_eq!(summaries.len(), 1, "{ran:?}");
    // The run summary's own shape (as `--summary-json`), plus `event`.
    assert_eq!(summaries[0]["outcomes"]["refunded"]["rows"], 5);
    assert_eq!(summaries[0]["exit_code"], 0);
    assert!(!ran.stderr.contains(TEST_TOKEN));
}

#[test]
fn a_second_signal_exits_at_once_and_the_state_stays_usable() {
    // Requests that would take a minute, and a grace period as long: only the
    // second signal can end this run quickly.
    let sb = slow_sandbox(60_000);
    let w = Work::new();
    w.write("in.csv", ordinary_csv(10, 4_800_001));
    let args = [
        "run",
        "in.csv",
        "--concurrency",
        "2",
        "--rate",
        "1000",
        "--grace",
        "60",
    ];
    let mut child = w.spawn(w.mprefund(&sb, &args), "child");
    wait_until("requests in flight", Duration::from_secs(60), || {
        sb.stats().in_flight > 0
    });
    let pid = child.id() as i32;
    // SAFETY: plain FFI calls on our own child's pid.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    wait_until(
        "the first signal to be handled",
        Duration::from_secs(60),
        || w.log("child").contains("signal received"),
    );
    let second = Instant::now();
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(3), "{}", w.log("child"));
    assert!(
        second.elapsed() < Duration::from_secs(30),
        "took {:?}",
        second.elapsed()
    );
    sb.set_faults(Faults::default());
    let ran = run(w.mprefund(&sb, &["run", "in.csv"]));
    // The requests the dead process left in flight are still being processed
    // at Mercado Pago (their keys busy: 423): those rows stay in doubt, the
    // rest are refunded, nothing twice.
    let in_flight = sb.stats().in_flight as usize;
    let rows = read_csv(&w.path("in.results.csv"));
    let unknown = rows.iter().filter(|r| r["outcome"] == "unknown").count();
    assert_eq!(ran.code, if unknown > 0 { 1 } else { 0 }, "{ran:?}");
    assert!(
        unknown <= in_flight.max(2),
        "{unknown} in doubt, {in_flight} in flight"
    );
    assert_eq!(
        rows.iter().filter(|r| r["outcome"] == "refunded").count(),
        10 - unknown,
        "{ran:?}"
    );
    assert_exactly_once(&sb, 10 - unknown);
}

/// `plan`/`status` piped into a reader that went away (`| head -0`): a report nobody
/// reads is not an input error (exit 2) and not a crash.
#[test]
fn a_closed_stdout_is_not_an_input_error() {
    use std::os::fd::FromRawFd;
    let w = Work::new();
    w.write("in.csv", ordinary_csv(3, 4_900_001));
    let mut fds = [0; 2];
    // SAFETY: plain FFI; both descriptors are ours and closed below.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    // SAFETY: the read end is ours; closing it makes every write to the pipe fail.
    drop(unsafe { std::fs::File::from_raw_fd(fds[0]) });
    // SAFETY: the write end is ours, handed to the child as its stdout.
    let write_end = unsafe { std::fs::File::from_raw_fd(fds[1]) };
    let out = w
        .bare()
        .args(["plan", "in.csv"])
        .stdout(write_end)
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `retry` from another folder, with no --api-base: it sends where the batch was
/// sent (a sandbox batch must never be retried against production).
#[test]
fn retry_from_elsewhere_reaches_the_stored_api_base() {
    let (sb, w) = fresh_with("in.csv", "payment_id,amount\n4950001,10\n4950002,10\n");
    sb.fail_payment(4950002, 500);
    run(w.mprefund(&sb, &["run", "in.csv", "--max-attempts", "1"])).exits(1);
    sb.heal_payment(4950002);
    let elsewhere = Work::new();
    let state = w.path(ACCOUNT_STATE);
    run(elsewhere
        .bare()
        .env("MP_ACCESS_TOKEN", mprefund_sandbox::TEST_TOKEN)
        .args(["retry", "--state"])
        .arg(&state))
    .exits(0);
    assert_eq!(sb.refunds().len(), 2);
    // The results went where the run wrote them, not into this folder.
    assert_eq!(std::fs::read_dir(elsewhere.dir.path()).unwrap().count(), 0);
    let rows = read_csv(&w.path("in.results.csv"));
    assert!(rows.iter().all(|r| r["outcome"] == "refunded"), "{rows:?}");
}

/// Exit 2, 3 and 4 write the metrics and summary files too, with the real exit
/// code: a failed nightly run must not leave yesterday's `exit_code 0` in place.
#[test]
fn every_exit_writes_the_monitoring_files() {
    let (sb, w) = fresh();
    let monitored = ["--metrics-file", "m.prom", "--summary-json", "s.json"];
    let exit_in = |w: &Work| {
        let prom = std::fs::read_to_string(w.path("m.prom")).expect("metrics written");
        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(w.path("s.json")).expect("summary written"))
                .unwrap();
        let code = metric(&prom, "mprefund_run_exit_code", &[]).expect("exit code series");
        assert_eq!(json["exit_code"].as_f64(), Some(code), "{prom}\n{json}");
        let last = metric(&prom, "mprefund_last_success_timestamp_seconds", &[]);
        (
            code as i32,
            last.expect("last success present from the first run"),
        )
    };

    // A missing input file: exit 2.
    run(w.mprefund(&sb, &["run", "missing.csv"]).args(monitored)).exits(2);
    assert_eq!(exit_in(&w), (2, 0.0));

    // Bad lines: exit 2, nothing sent.
    w.write("in.csv", "payment_id,amount\n4960001,abc\n");
    run(w.mprefund(&sb, &["run", "in.csv"]).args(monitored)).exits(2);
    assert_eq!(exit_in(&w).0, 2);

    // A clean run: exit 0, and the success time is set.
    w.write("in.csv", "payment_id,amount\n4960001,10\n");
    run(w.mprefund(&sb, &["run", "in.csv"]).args(monitored)).exits(0);
    let (code, success) = exit_in(&w);
    assert_eq!(code, 0);
    assert!(success > 1.7e9, "{success}");

    // A held batch: exit 4; the success time is kept.
    w.write("in.csv", "payment_id,amount\n4960001,10\n4960002,10\n");
    sb.hold();
    let mut first = w.spawn(w.mprefund(&sb, &["run", "in.csv"]), "first");
    wait_until("the first run to send", Duration::from_secs(60), || {
        sb.held() > 0
    });
    run(w.mprefund(&sb, &["run", "in.csv"]).args(monitored)).exits(4);
    assert_eq!(exit_in(&w), (4, success));
    sb.release();
    assert!(first.wait().expect("wait").success(), "{}", w.log("first"));

    // An output that would overwrite the state: refused, and nothing written there.
    let state = std::fs::read(w.path(ACCOUNT_STATE)).unwrap();
    run(w.mprefund(&sb, &["run", "in.csv", "--metrics-file", ACCOUNT_STATE])).exits(2);
    assert!(std::fs::read(w.path(ACCOUNT_STATE)).unwrap() == state);
}

/// Small things a newcomer saw: a missing input's error said twice; a sandbox port
/// in use taken for "stopped early" (3) instead of a usage error (2).
#[test]
fn errors_are_said_once_and_a_busy_port_is_a_usage_error() {
    let w = Work::new();
    let ran = run(w.bare().args(["plan", "missing.csv"])).exits(2);
    assert_eq!(ran.stderr.matches("No such file").count(), 1, "{ran:?}");

    let busy = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = busy.local_addr().unwrap().port().to_string();
    let ran = run(bare().args(["sandbox", "--port", &port])).exits(2);
    assert!(ran.stderr.contains("--port"), "{ran:?}");
}

/// `--quiet` (cron) still leaves one summary line in the log.
#[test]
fn quiet_leaves_one_summary_line() {
    let (sb, w) = fresh_with("in.csv", "payment_id,amount\n4970001,10\n4970900,10\n");
    let ran = run(w.mprefund(&sb, &["--quiet", "run", "in.csv"])).exits(1);
    let lines: Vec<&str> = ran.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{ran:?}");
    assert!(lines[0].starts_with("batch "), "{ran:?}");
    assert!(
        lines[0].contains("refunded 1, failed 1") && lines[0].contains("exit 1"),
        "{ran:?}"
    );
}

/// One state file, the same input path every night (the pattern `jobs/` ships):
/// `status --job`, `report --job` and `retry --job` pick tonight's batch.
#[test]
fn job_commands_pick_tonights_batch() {
    let (sb, w) = fresh();
    w.write(
        "nightly.toml",
        format!(
            "input = \"in.csv\"\nstate = \"nightly.db\"\napi_base = \"{}\"\n",
            sb.base_url()
        ),
    );
    let mut ids = Vec::new();
    for night in ["4980001", "4980002"] {
        w.write("in.csv", format!("payment_id,amount\n{night},10\n"));
        w.ok(&sb, &["run", "--job", "nightly.toml"]);
        let status = run(w.bare().args(["status", "--job", "nightly.toml"])).exits(0);
        ids.push(status.stdout.lines().next().unwrap_or_default().to_owned());
    }
    assert_ne!(
        ids[0], ids[1],
        "the second night's status names its own batch"
    );
    run(w.bare().args(["report", "--job", "nightly.toml"])).exits(0);
    let rows = read_csv(&w.path("in.results.csv"));
    assert_eq!(rows[0]["payment_id"], "4980002");
    let retry =
        run(w
            .bare()
            .env("MP_ACCESS_TOKEN", TEST_TOKEN)
            .args(["retry", "--job", "nightly.toml"]));
    assert_eq!(retry.code, 0, "{retry:?}");
}
