//! Rate control (issue 9) through the binary: the adaptive rate against the
//! sandbox's account limit, the shared `Retry-After` pause, and fixed mode.

use std::time::Duration;

use axum::body::Body;
use axum::http::StatusCode;
use mprefund::sandbox::{Sandbox, SandboxConfig, SandboxHandle, TEST_TOKEN};

use crate::common::{Stub, Work, json, ordinary_csv, read_csv, run};

fn limited(per_second: u32) -> SandboxHandle {
    Sandbox::start(SandboxConfig {
        rate_limit: Some(per_second),
        ..SandboxConfig::default()
    })
    .expect("sandbox")
}

/// (429s the sandbox answered, the run's summary JSON) for one run of `rows`.
fn limited_run(w: &Work, name: &str, rows: usize, args: &[&str]) -> (u64, serde_json::Value) {
    let sb = limited(50);
    w.write(&format!("{name}.csv"), ordinary_csv(rows, 8_200_001));
    let summary = format!("{name}.json");
    let mut all = vec![
        "run",
        &format!("{name}.csv")[..],
        "--summary-json",
        &summary,
        "--state",
        &format!("{name}.db")[..],
    ]
    .into_iter()
    .map(str::to_owned)
    .collect::<Vec<_>>();
    all.extend(args.iter().map(|a| a.to_string()));
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    let ran = run(w.mprefund(&sb, &all));
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(sb.refunds().len(), rows);
    let rows_out = read_csv(&w.path(&format!("{name}.results.csv")));
    assert!(rows_out.iter().all(|r| r["outcome"] == "refunded"));
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(w.path(&summary)).unwrap()).unwrap();
    // The tool counted the 429s the sandbox sent.
    assert_eq!(
        json["rate"]["throttled"].as_u64(),
        Some(sb.stats().rate_limited),
        "{json}"
    );
    (sb.stats().rate_limited, json)
}

/// Against an account allowing 50/s, a ceiling of 200: the adaptive rate finds the
/// limit and stays under it; a fixed rate runs into it every second.
#[test]
fn the_adaptive_rate_finds_the_limit_with_far_fewer_429s_than_a_fixed_one() {
    let w = Work::new();
    let (adaptive, json) = limited_run(&w, "adaptive", 300, &["--rate", "200"]);
    let (fixed, fixed_json) = limited_run(&w, "fixed", 300, &["--rate", "200", "--fixed-rate"]);
    assert!(
        adaptive * 2 <= fixed,
        "adaptive {adaptive} 429s, fixed {fixed}"
    );
    // Well under 5 % of the requests.
    assert!(adaptive <= 15, "{adaptive} 429s: {json}");
    let rate = &json["rate"];
    assert_eq!(rate["adaptive"], true);
    assert_eq!(
        rate["limit_found"].as_f64().map(f64::round),
        Some(50.0),
        "{json}"
    );
    assert!(rate["last"].as_f64().unwrap() <= 51.0, "{json}");
    assert!(rate["min"].as_f64().unwrap() >= 1.0, "{json}");
    assert_eq!(fixed_json["rate"]["adaptive"], false);
    assert_eq!(fixed_json["rate"]["last"].as_f64(), Some(200.0));
}

/// A `Retry-After: 2` holds every worker, not just the row that got it.
#[test]
fn a_retry_after_pauses_every_worker() {
    let w = Work::new();
    let mut csv = String::from("payment_id,amount,reference\n");
    for i in 0..40 {
        csv.push_str(&format!("8300001,1,r{i}\n"));
    }
    w.write("in.csv", csv);
    let stub = Stub::start(|n, _| {
        if n == 5 {
            (
                StatusCode::TOO_MANY_REQUESTS,
                vec![("retry-after", "2".to_owned())],
                Body::empty(),
            )
        } else {
            json(
                201,
                &format!(
                    r#"{{"id": {n}, "payment_id": 8300001, "amount": 1, "status": "approved"}}"#
                ),
            )
        }
    });
    let mut cmd = w.bare();
    cmd.env("MP_ACCESS_TOKEN", TEST_TOKEN).args([
        "run",
        "in.csv",
        "--api-base",
        &stub.base(),
        "--rate",
        "20",
        "--concurrency",
        "4",
        "--fixed-rate",
    ]);
    let ran = run(cmd);
    assert_eq!(ran.code, 0, "{ran:?}");
    let seen = stub.seen();
    assert_eq!(seen.len(), 41, "one retry");
    let refused_at = seen[5].at;
    // Requests already on their way when the 429 left may still arrive; after
    // that, nothing until the two seconds are over (at 20/s, ~30 would come).
    let in_pause: Vec<Duration> = seen
        .iter()
        .filter(|s| s.at > refused_at + Duration::from_millis(300))
        .map(|s| s.at - refused_at)
        .filter(|d| *d < Duration::from_millis(1900))
        .collect();
    assert!(
        in_pause.is_empty(),
        "requests during the pause: {in_pause:?}"
    );
    assert!(seen.last().unwrap().at - refused_at >= Duration::from_millis(1900));
}

/// Fixed mode keeps its promise at full speed: never above the rate in any
/// sliding second, and close to it on average.
#[test]
fn fixed_mode_holds_its_rate() {
    let sb = Sandbox::start(SandboxConfig::default()).expect("sandbox");
    let w = Work::new();
    w.write("in.csv", ordinary_csv(150, 8_400_001));
    let ran = run(w.mprefund(
        &sb,
        &[
            "run",
            "in.csv",
            "--rate",
            "50",
            "--fixed-rate",
            "--summary-json",
            "s.json",
        ],
    ));
    assert_eq!(ran.code, 0, "{ran:?}");
    let stats = sb.stats();
    assert!(stats.busiest_sliding_second <= 50, "{stats:?}");
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(w.path("s.json")).unwrap()).unwrap();
    let mean = json["rate"]["mean"].as_f64().unwrap();
    assert!((mean - 50.0).abs() < 1e-6, "{json}");
    assert!(ran.stderr.contains("rate (fixed): mean 50.0/s"), "{ran:?}");
}
