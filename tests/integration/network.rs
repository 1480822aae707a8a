//! The exit code says whether a person must act (6) or
//! the run resumes by itself (3); an API that cannot be reached is named — host
//! and cause — and a run that never connects stops at once. Every server here is
//! on 127.0.0.1 (the DNS cause is a unit test in `src/network.rs`: a name that
//! does not resolve would still ask a real resolver).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mprefund_sandbox::{Faults, TEST_TOKEN};

use crate::common::*;

/// `mprefund ARGS` in `w` against `base`, with the sandbox's token.
fn at(w: &Work, base: &str, args: &[&str]) -> std::process::Command {
    let mut c = w.bare();
    c.env("MP_ACCESS_TOKEN", TEST_TOKEN)
        .args(args)
        .args(["--api-base", base]);
    c
}

/// A port on 127.0.0.1 nothing listens on: bound, read, and let go.
fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// A TCP server on 127.0.0.1:0 that does `serve` with every connection, each on
/// its own thread, and keeps the connections until it is dropped.
struct Raw {
    port: u16,
    accepted: Arc<Mutex<Vec<TcpStream>>>,
}

impl Raw {
    fn start(serve: fn(&mut TcpStream)) -> Raw {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = l.local_addr().expect("addr").port();
        let accepted = Arc::new(Mutex::new(Vec::new()));
        let kept = accepted.clone();
        std::thread::spawn(move || {
            for s in l.incoming() {
                let Ok(mut s) = s else { return };
                serve(&mut s);
                kept.lock().unwrap().push(s);
            }
        });
        Raw { port, accepted }
    }

    fn connections(&self) -> usize {
        self.accepted.lock().unwrap().len()
    }
}

fn summary_json(w: &Work, name: &str) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(w.path(name)).expect("summary json")).expect("json")
}

const MONITORED: [&str; 4] = ["--summary-json", "s.json", "--metrics-file", "m.prom"];

/// The exit code, the summary JSON and the metrics agree, and say `code`.
fn assert_exit_everywhere(w: &Work, ran: &Ran, code: i32) {
    assert_eq!(ran.code, code, "{ran:?}");
    assert_eq!(summary_json(w, "s.json")["exit_code"], code, "{ran:?}");
    let prom = std::fs::read_to_string(w.path("m.prom")).expect("metrics");
    assert!(
        prom.contains(&format!("mprefund_run_exit_code {code}\n")),
        "{prom}"
    );
}

#[test]
fn a_refused_token_needs_a_person_and_an_outage_resumes() {
    let w = Work::new();
    w.write("in.csv", ordinary_csv(20, 9_300_001));

    // 401: a person must fix the token; exit 6 everywhere, nothing sent.
    let sb = sandbox_with(Faults::default());
    let mut args = vec!["run", "in.csv", "--concurrency", "2"];
    args.extend(MONITORED);
    let ran = run(w.mprefund(&sb, &args).env("MP_ACCESS_TOKEN", "WRONG"));
    assert_exit_everywhere(&w, &ran, 6);
    assert!(ran.stderr.contains("refused the access token"), "{ran:?}");
    assert!(ran.stderr.contains("fix it"), "{ran:?}");
    assert!(sb.refunds().is_empty());

    // An API failing every request: the breaker opens; resumable, exit 3.
    let failing = sandbox_with(outage());
    let mut args = vec!["run", "in.csv", "--concurrency", "2", "--breaker", "3"];
    args.extend(MONITORED);
    let ran = run(w.mprefund(&failing, &args));
    assert_exit_everywhere(&w, &ran, 3);
    assert!(ran.stderr.contains("circuit breaker open"), "{ran:?}");
    assert!(
        ran.stderr.contains("to resume: `mprefund retry --state ")
            && ran.stderr.contains(" --include-pending`"),
        "{ran:?}"
    );
    assert!(failing.refunds().is_empty());

    // The outage over, the same command finishes the batch.
    failing.set_faults(Faults::default());
    let ran = run(w.mprefund(&failing, &args));
    assert_exit_everywhere(&w, &ran, 0);
    assert_eq!(failing.refunds().len(), 20);
}

#[test]
fn reconcile_with_a_refused_token_needs_a_person() {
    let (sb, w) = fresh_with("in.csv", ordinary_csv(3, 9_310_001));
    w.ok(&sb, &["run", "in.csv"]);
    let ran = run(w
        .mprefund(&sb, &["reconcile", "--state", ACCOUNT_STATE])
        .env("MP_ACCESS_TOKEN", "WRONG"))
    .exits(6);
    assert!(ran.stderr.contains("refused the access token"), "{ran:?}");
}

#[test]
fn a_report_fetch_refused_needs_a_person() {
    let (sb, w) = fresh_with("in.csv", ordinary_csv(2, 9_315_001));
    w.ok(&sb, &["run", "in.csv"]);
    // The token may refund but not read reports.
    let stub = Stub::start(|_, _| json(403, r#"{"message":"forbidden","status":403}"#));
    let ran = run(at(
        &w,
        &stub.base(),
        &[
            "reconcile",
            "--state",
            ACCOUNT_STATE,
            "--fetch-report",
            "settlement",
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-30",
        ],
    ))
    .exits(6);
    assert!(
        ran.stderr.contains("refused the access token (HTTP 403)"),
        "{ran:?}"
    );
    assert_eq!(stub.seen().len(), 1);
}

#[test]
fn a_refused_connection_is_named_and_stops_at_once() {
    let w = Work::new();
    w.write("in.csv", ordinary_csv(200, 9_320_001));
    let port = closed_port();
    let base = format!("http://127.0.0.1:{port}");
    let host = format!("127.0.0.1:{port}");
    let mut args = vec!["run", "in.csv", "--concurrency", "2", "--rate", "1000"];
    args.extend(MONITORED);
    let started = Instant::now();
    let ran = run(at(&w, &base, &args));
    // Generous: the point is "not after the retries of 200 rows".
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    assert_exit_everywhere(&w, &ran, 3);
    let stopped = summary_json(&w, "s.json")["stopped"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    for said in [&ran.stderr, &stopped] {
        assert!(said.contains(&host), "{said}");
        assert!(said.contains("connection refused"), "{said}");
        assert!(said.contains("connect_refused"), "{said}");
        assert!(!said.contains("server failures"), "{said}");
    }
    // The log says it too, with the host and the cause as fields.
    assert!(
        ran.stderr.contains("could not be reached") && ran.stderr.contains("cause"),
        "{ran:?}"
    );
    let rows = read_csv(&w.path("in.results.csv"));
    assert!(rows.iter().all(|r| r["outcome"] == "pending"), "{rows:?}");
    let tried: Vec<_> = rows.iter().filter(|r| r["attempts"] != "0").collect();
    let attempts: u32 = tried
        .iter()
        .map(|r| r["attempts"].parse::<u32>().unwrap())
        .sum();
    assert!((1..=6).contains(&attempts), "{attempts} attempts");
    for r in &tried {
        assert_eq!(r["cause_code"], "connect_refused", "{r:?}");
        assert!(r["cause_message"].contains(&host), "{r:?}");
    }

    // Reading payments back meets the same wall, said the same way.
    let ran = run(at(&w, &base, &["reconcile", "--state", ACCOUNT_STATE])).exits(3);
    assert!(
        ran.stderr.contains(&host) && ran.stderr.contains("connect_refused"),
        "{ran:?}"
    );
}

#[test]
fn a_failed_tls_handshake_is_tls_and_needs_a_person() {
    // A plain HTTP server where TLS is expected: it answers the ClientHello
    // with an HTTP error, which no TLS client can read.
    let plain = Raw::start(|s| {
        let mut buf = [0u8; 512];
        let _ = s.read(&mut buf);
        let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n");
    });
    let w = Work::new();
    w.write("in.csv", ordinary_csv(50, 9_330_001));
    let base = format!("https://127.0.0.1:{}", plain.port);
    let mut args = vec!["run", "in.csv", "--concurrency", "2"];
    args.extend(MONITORED);
    let ran = run(at(&w, &base, &args));
    assert_exit_everywhere(&w, &ran, 6);
    assert!(
        ran.stderr.contains(&format!("127.0.0.1:{}", plain.port))
            && ran.stderr.contains("TLS handshake failed")
            && ran.stderr.contains("cause tls"),
        "{ran:?}"
    );
    assert!(plain.connections() <= 6, "{}", plain.connections());
    let rows = read_csv(&w.path("in.results.csv"));
    assert!(
        rows.iter()
            .filter(|r| r["attempts"] != "0")
            .all(|r| r["cause_code"] == "tls"),
        "{rows:?}"
    );
}

#[test]
fn https_goes_through_the_proxy_the_environment_names() {
    // A CONNECT proxy that keeps what it was asked, agrees, and then answers
    // the ClientHello as a plain HTTP server would: the handshake fails, so
    // the run needs a person, and nothing was ever resolved or sent directly.
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = l.local_addr().expect("addr").port();
    let asked = Arc::new(Mutex::new(Vec::<String>::new()));
    let kept = asked.clone();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { return };
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && s.read(&mut byte).unwrap_or(0) == 1 {
                head.push(byte[0]);
            }
            kept.lock()
                .unwrap()
                .push(String::from_utf8_lossy(&head).into_owned());
            let _ = s.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");
            let mut hello = [0u8; 512];
            let _ = s.read(&mut hello);
            let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n");
        }
    });
    let w = Work::new();
    w.write("in.csv", ordinary_csv(5, 9_335_001));
    let mut c = at(
        &w,
        "https://api.mercadopago.example",
        &["run", "in.csv", "--concurrency", "1"],
    );
    c.env("HTTPS_PROXY", format!("http://ops:pa55@127.0.0.1:{port}"));
    let ran = run(c);
    assert_eq!(ran.code, 6, "{ran:?}");
    assert!(
        ran.stderr.contains("api.mercadopago.example:443") && ran.stderr.contains("cause tls"),
        "{ran:?}"
    );
    let asked = asked.lock().unwrap().clone();
    assert!(!asked.is_empty());
    for head in &asked {
        assert!(
            head.starts_with("CONNECT api.mercadopago.example:443 HTTP/1.1\r\n")
                && head.contains("Proxy-Authorization: Basic b3BzOnBhNTU=\r\n"),
            "{head:?}"
        );
    }
    // The proxy's password is the user's: never in what the run says.
    assert!(
        !ran.stderr.contains("pa55") && !ran.stdout.contains("pa55"),
        "{ran:?}"
    );
}

/// Where the redirecting server below points: another server, which counts.
static REDIRECTED_TO: std::sync::atomic::AtomicU16 = std::sync::atomic::AtomicU16::new(0);

#[test]
fn a_redirect_is_never_followed_and_leaves_the_row_in_doubt() {
    // A redirected POST may be replayed elsewhere, as a GET, or dropped: the
    // tool never follows one, and the row's outcome stays unknown.
    let elsewhere = Raw::start(|s| {
        let _ = s.write_all(b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\n\r\n");
    });
    REDIRECTED_TO.store(elsewhere.port, std::sync::atomic::Ordering::SeqCst);
    let redirecting = Raw::start(|s| {
        let mut buf = [0u8; 4096];
        let _ = s.read(&mut buf);
        let to = REDIRECTED_TO.load(std::sync::atomic::Ordering::SeqCst);
        let _ = write!(
            s,
            "HTTP/1.1 307 Temporary Redirect\r\nlocation: http://127.0.0.1:{to}/v1/payments/9350001/refunds\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
        );
    });
    let w = Work::new();
    w.write("in.csv", ordinary_csv(1, 9_350_001));
    let base = format!("http://127.0.0.1:{}", redirecting.port);
    let ran = run(at(&w, &base, &["run", "in.csv", "--max-attempts", "2"]));
    assert_eq!(ran.code, 1, "{ran:?}");
    let row = &read_csv(&w.path("in.results.csv"))[0];
    assert_eq!(row["outcome"], "unknown", "{row:?}");
    assert_eq!(row["http_status"], "307", "{row:?}");
    assert!(redirecting.connections() >= 1);
    assert_eq!(elsewhere.connections(), 0, "the redirect was followed");
}

#[test]
fn an_api_that_never_answers_is_a_timeout_named() {
    // Accepts, reads, and never answers.
    let silent = Raw::start(|_| {});
    let w = Work::new();
    w.write("in.csv", ordinary_csv(1, 9_340_001));
    let base = format!("http://127.0.0.1:{}", silent.port);
    let ran = run(at(
        &w,
        &base,
        &["run", "in.csv", "--timeout", "1", "--max-attempts", "2"],
    ));
    // Connected, so not "unreachable from the start": the row's budget runs out
    // and it ends in doubt (the request may have reached the API), retryable.
    assert_eq!(ran.code, 1, "{ran:?}");
    let row = &read_csv(&w.path("in.results.csv"))[0];
    assert_eq!(row["outcome"], "unknown", "{row:?}");
    assert_eq!(row["cause_code"], "timeout", "{row:?}");
    assert_eq!(row["retryable"], "true", "{row:?}");
    assert!(
        row["cause_message"].contains(&format!("127.0.0.1:{}", silent.port)),
        "{row:?}"
    );
}
