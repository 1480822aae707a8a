//! The seeded simulation: from a seed, a schedule of bad nights — a spreadsheet
//! and its corrected version, runs, retries and reconciles, faults drawn per
//! request from the sandbox's kinds (cut after commit, 500, 429, latency beyond
//! the timeout, an outage of a payment), the process killed or signalled at a
//! point on the way to sending a test point arms (the batch's rows stored
//! and not yet committed among them), two processes on one state file —
//! then the invariants checked, then every batch finished with the faults gone
//! and the invariants checked again:
//! - no payment (nor order of the Orders API: the spreadsheets mix both, an
//!   order's `ORD…` id in the id column) holds more of our refunds than its
//!   rows asked for: one refund per intent (a payment or order and a
//!   chargeback reference), whichever spreadsheet asked it, and no refund
//!   under a key no row holds;
//! - every row the sandbox refunded is reported refunded, in process or in
//!   doubt — never failed or pending;
//! - no row is lost, every batch can be finished, and the books then agree: no
//!   refund at Mercado Pago the state file does not know.
//!
//! `cargo test --release simulation` runs it; `MPREFUND_SIM_SEEDS=N` sets how
//! many seeds (default a few, for CI), `MPREFUND_SIM_FIRST=S` the first,
//! `MPREFUND_SIM_SEED=S` replays one. A failing seed prints itself and its
//! schedule. Each command runs at concurrency 1 with seeded faults, so a seed
//! replays the same requests in the same order; only a step of two processes
//! at once leaves their interleaving to the machine.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use mprefund_sandbox::{Faults, SandboxHandle};

use crate::common::{Ran, Work, fresh, read_csv, run};

/// Seeds CI runs.
const CI_SEEDS: u64 = 16;

#[derive(Debug, Clone)]
struct SheetRow {
    /// A payment's id, or an order's (`ORD…`).
    id: String,
    cents: i64,
    reference: String,
}

/// What a seed made: the two spreadsheets and the steps, for the report.
struct Schedule {
    night: Vec<SheetRow>,
    fixed: Vec<SheetRow>,
    log: String,
}

fn csv(rows: &[SheetRow]) -> String {
    let mut s = String::from("payment_id,amount,reference\n");
    for r in rows {
        let _ = writeln!(
            s,
            "{},{}.{:02},{}",
            r.id,
            r.cents / 100,
            r.cents % 100,
            r.reference
        );
    }
    s
}

fn spreadsheets(rng: &mut fastrand::Rng, seed: u64) -> (Vec<SheetRow>, Vec<SheetRow>) {
    let payments = rng.u64(2..=6);
    let base = 80_000_000 + (seed % 10_000) * 1000;
    let mut night = Vec::new();
    for p in 0..payments {
        // An ordinary payment, or an ordinary order (its id ends 000-005 too).
        let id = if rng.bool() {
            (base + p).to_string()
        } else {
            format!("ORD{:026}", base + p)
        };
        for j in 0..rng.u64(1..=2) {
            night.push(SheetRow {
                id: id.clone(),
                cents: rng.i64(500..=3500),
                reference: format!("CB-{p}-{j}"),
            });
        }
    }
    // The corrected file: some amounts changed (another key, same intent),
    // some rows as they were (the same key), some left out.
    let mut fixed = Vec::new();
    for r in &night {
        if rng.u8(..) <= 40 {
            continue;
        }
        let cents = if rng.bool() {
            rng.i64(500..=3500)
        } else {
            r.cents
        };
        fixed.push(SheetRow { cents, ..r.clone() });
    }
    (night, fixed)
}

/// A command of the schedule, as it ran.
fn mprefund(w: &Work, sb: &SandboxHandle, args: &[&str], point: Option<&str>) -> Command {
    // `run` is told where the API is; the others read where the batch was sent.
    let mut c = if args[0] == "run" {
        w.mprefund(sb, args)
    } else {
        let mut c = w.bare();
        c.env("MP_ACCESS_TOKEN", mprefund_sandbox::TEST_TOKEN)
            .args(args);
        c
    };
    c.args(["--state", "s.db"])
        .env("MPREFUND_TEST_BACKOFF_MS", "2")
        .env("RUST_LOG", "error");
    if let Some(p) = point {
        c.env("MPREFUND_TEST_POINT", p);
    }
    c
}

/// A command's exit is one the tool means: never a damaged state file (5), an
/// internal error (8) or a panic.
fn check_exit(ran: &Ran, killed: bool, what: &str) -> Result<(), String> {
    let meant = matches!(ran.code, 0..=4 | 6 | 7) || (killed && ran.code == -1);
    if meant && !ran.stderr.contains("panicked") {
        Ok(())
    } else {
        Err(format!("{what}: {ran:?}"))
    }
}

fn one(seed: u64) -> Result<(), String> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let (sb, w) = fresh();
    let (night, fixed) = spreadsheets(&mut rng, seed);
    w.write("night.csv", csv(&night));
    w.write("fixed.csv", csv(&fixed));
    let mut s = Schedule {
        night,
        fixed,
        log: String::new(),
    };
    let result = schedule(&mut rng, &sb, &w, &mut s)
        .and_then(|()| invariants(&sb, &w, &s, false))
        .and_then(|()| finish(&sb, &w, &mut s))
        .and_then(|()| invariants(&sb, &w, &s, true));
    result.map_err(|e| {
        format!(
            "{e}\n--- night.csv\n{}--- fixed.csv\n{}--- steps\n{}--- refunds\n{:#?}",
            csv(&s.night),
            csv(&s.fixed),
            s.log,
            made(&sb)
        )
    })
}

fn schedule(
    rng: &mut fastrand::Rng,
    sb: &SandboxHandle,
    w: &Work,
    s: &mut Schedule,
) -> Result<(), String> {
    // The payments an outage can strike (the sandbox fails payments by id).
    let mut payments: Vec<u64> = s.night.iter().filter_map(|r| r.id.parse().ok()).collect();
    payments.dedup();
    for step in 0..rng.usize(3..=7) {
        let share = |rng: &mut fastrand::Rng| [0.0, 0.0, 0.2, 0.5][rng.usize(..4)];
        let slow = rng.u8(..) < 10;
        sb.set_faults(Faults {
            cut_after_commit: share(rng),
            error_500: share(rng),
            error_429: share(rng) / 2.0,
            retry_after_secs: 0,
            slow: if slow { 0.3 } else { 0.0 },
            slow_delay: Duration::from_millis(1300),
            seed: Some(rng.u64(..)),
            ..Faults::default()
        });
        // An outage of one payment: every POST on it answered 500.
        let outage = (rng.u8(..) < 40 && !payments.is_empty())
            .then(|| payments[rng.usize(..payments.len())]);
        if let Some(p) = outage {
            sb.fail_payment(p, 500);
        }
        let point = (rng.u8(..) < 100).then(|| {
            let at = ["staged", "answered", "claimed", "recorded"][rng.usize(..4)];
            let action = if rng.bool() { "kill" } else { "term" };
            // A command makes one batch at most: the making's point comes once.
            let nth = if at == "staged" { 1 } else { rng.u64(1..=5) };
            format!("{at}:{nth}:{action}")
        });
        let attempts = rng.u32(1..=3).to_string();
        let kind = rng.u8(..);
        // Two processes at once may send one key while the other reads its
        // payment back: "found none" then says nothing until Mercado Pago is
        // done with the other's request, which only settle_after's wait gives.
        let settle = if kind >= 220 {
            "600"
        } else {
            ["0", "600"][rng.usize(..2)]
        };
        let mut sending: Vec<&str> = vec![
            "--yes",
            "--rate",
            "1000",
            "--concurrency",
            "1",
            "--max-attempts",
            &attempts,
            "--settle-after",
            settle,
            "--grace",
            "0",
        ];
        if slow {
            sending.extend(["--timeout", "1"]);
        }
        let file = if rng.bool() { "night" } else { "fixed" };
        let (what, args): (String, Vec<String>) = match kind {
            0..=99 => {
                let skip = rng.bool();
                let mut a = vec!["run".to_owned(), format!("{file}.csv")];
                if skip {
                    a.push("--skip-invalid".into());
                }
                (
                    format!("run {file}{}", if skip { " --skip-invalid" } else { "" }),
                    a,
                )
            }
            100..=169 => (
                format!("retry {file}"),
                vec![
                    "retry".into(),
                    "--batch".into(),
                    batch_of(w, file).unwrap_or_else(|| "none".into()),
                    "--include-pending".into(),
                ],
            ),
            170..=219 => (
                format!("reconcile {file}"),
                vec![
                    "reconcile".into(),
                    "--batch".into(),
                    batch_of(w, file).unwrap_or_else(|| "none".into()),
                ],
            ),
            _ => ("night and fixed at once".into(), Vec::new()),
        };
        let _ = writeln!(
            s.log,
            "{step}: {what}; attempts {attempts}, settle_after {settle}, slow {slow}, outage {outage:?}, point {point:?}"
        );
        if settle == "0" {
            // "Found no refund" says nothing while a request given up is still
            // being processed: a read-back at once is only right once Mercado
            // Pago is done (in life, `settle_after` is that wait).
            quiesce(sb)?;
        }
        let with = |args: &[String], point: Option<&str>| {
            let mut all: Vec<&str> = args.iter().map(String::as_str).collect();
            if args[0] == "reconcile" {
                all.extend(["--settle-after", settle, "--rate", "1000"]);
            } else {
                all.extend(&sending);
            }
            mprefund(w, sb, &all, point)
        };
        if args.is_empty() {
            let a = with(&["run".into(), "night.csv".into()], None)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .map_err(|e| e.to_string())?;
            let b = run(with(&["run".into(), "fixed.csv".into()], point.as_deref()));
            let a_out = a.wait_with_output().map_err(|e| e.to_string())?;
            let a = Ran {
                code: a_out.status.code().unwrap_or(-1),
                stdout: String::new(),
                stderr: String::from_utf8_lossy(&a_out.stderr).into_owned(),
            };
            check_exit(&a, false, "night beside fixed")?;
            check_exit(&b, point.is_some(), "fixed beside night")?;
            let _ = writeln!(s.log, "   exits {} and {}", a.code, b.code);
        } else if args.iter().any(|a| a == "none") {
            let _ = writeln!(s.log, "   (no batch yet)");
        } else {
            let ran = run(with(&args, point.as_deref()));
            check_exit(&ran, point.is_some(), &what)?;
            let _ = writeln!(s.log, "   exit {}", ran.code);
        }
        if let Some(p) = outage {
            sb.heal_payment(p);
        }
        dump_rows(w, &mut s.log);
    }
    Ok(())
}

/// Every row of the state file as it stands, a line each, for the log a
/// failing seed prints: which refund each row holds, and since when it is
/// in doubt, step by step.
fn dump_rows(w: &Work, log: &mut String) {
    let Ok(c) = rusqlite::Connection::open(w.path("s.db")) else {
        return;
    };
    let Ok(mut stmt) = c.prepare(
        "SELECT batch, row_no, payment_id, requested, state, doubt, CAST(refund_id AS TEXT),
                exposed_at, last_attempt_at, attempts, cause_code, lower(substr(hex(key), 1, 8))
         FROM rows ORDER BY batch, row_no",
    ) else {
        return;
    };
    let Ok(rows) = stmt.query_map([], |r| {
        Ok(format!(
            "     b{} r{} {} {} {} d{} refund {:?} exposed {:?} last {:?} att {} {:?} key {}",
            r.get::<_, i64>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, Option<i64>>(2)?.unwrap_or(0),
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, i64>(5)?,
            r.get::<_, Option<String>>(6)?,
            r.get::<_, Option<i64>>(7)?.map(|t| t % 1_000_000),
            r.get::<_, Option<i64>>(8)?.map(|t| t % 1_000_000),
            r.get::<_, i64>(9)?,
            r.get::<_, Option<String>>(10)?,
            r.get::<_, Option<String>>(11)?.unwrap_or_default(),
        ))
    }) else {
        return;
    };
    for line in rows.flatten() {
        let _ = writeln!(log, "{line}");
    }
}

/// The id of the batch made from `file`, if one was.
fn batch_of(w: &Work, file: &str) -> Option<String> {
    crate::common::batch_of(w, "s.db", &format!("{file}.csv"))
}

/// Waits until the sandbox has decided every refund request a client of an
/// earlier step sent — those a dead client left unread in its socket too:
/// every client has exited, so the connections open or still waiting to be
/// accepted are all there will be. A probe made now is accepted after every
/// one of them (in the order they were made); once it is answered, the
/// sandbox is done when no connection is open and nothing is processing.
fn quiesce(sb: &SandboxHandle) -> Result<(), String> {
    use std::io::{Read, Write};
    let mut probe = std::net::TcpStream::connect(sb.addr()).map_err(|e| format!("probe: {e}"))?;
    probe
        .write_all(b"GET /quiesce HTTP/1.1\r\nHost: sandbox\r\nConnection: close\r\n\r\n")
        .map_err(|e| format!("probe: {e}"))?;
    let mut answer = Vec::new();
    probe
        .read_to_end(&mut answer)
        .map_err(|e| format!("probe: {e}"))?;
    drop(probe);
    let start = Instant::now();
    while sb.processing() > 0 || sb.open_connections() > 0 {
        if start.elapsed() > Duration::from_secs(30) {
            return Err("the sandbox kept processing for 30 s".into());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    Ok(())
}

/// Every batch finished with the faults gone: resumed, its rows in doubt
/// read back (old enough at once, once nothing is left in process), its failed
/// rows retried.
fn finish(sb: &SandboxHandle, w: &Work, s: &mut Schedule) -> Result<(), String> {
    sb.set_faults(Faults::default());
    quiesce(sb)?;
    let _ = writeln!(s.log, "finish:");
    for file in ["night", "fixed"] {
        let Some(batch) = batch_of(w, file) else {
            continue;
        };
        for args in [
            vec![
                "run",
                &format!("{file}.csv")[..],
                "--yes",
                "--settle-after",
                "0",
            ],
            vec!["reconcile", "--batch", &batch, "--settle-after", "0"],
            vec![
                "retry",
                "--batch",
                &batch,
                "--include-pending",
                "--yes",
                "--settle-after",
                "0",
            ],
            vec!["reconcile", "--batch", &batch, "--settle-after", "0"],
        ] {
            let mut args = args.clone();
            args.extend(["--rate", "1000"]);
            let ran = run(mprefund(w, sb, &args, None));
            check_exit(&ran, false, &format!("finishing {file}: {}", args[0]))?;
            let _ = writeln!(s.log, "   {file} {}: exit {}", args[0], ran.code);
        }
    }
    Ok(())
}

/// Every row of every batch, read back with `report`, by idempotency key (a
/// key is in both files when a row was not corrected).
fn rows_by_key(sb: &SandboxHandle, w: &Work) -> Result<HashMap<String, Vec<Reported>>, String> {
    let mut out: HashMap<String, Vec<Reported>> = HashMap::new();
    for file in ["night", "fixed"] {
        let Some(batch) = batch_of(w, file) else {
            continue;
        };
        let path = format!("{file}.check.csv");
        let ran = run(mprefund(
            w,
            sb,
            &["report", "--batch", &batch, "--out", &path],
            None,
        ));
        if ran.code != 0 {
            return Err(format!("report of {file}: {ran:?}"));
        }
        for r in read_csv(&w.path(&path)) {
            out.entry(r["idempotency_key"].clone())
                .or_default()
                .push(Reported {
                    outcome: r["outcome"].clone(),
                    at: format!(
                        "{file} row {}: {} {}",
                        r["row"], r["cause_code"], r["cause_message"]
                    ),
                });
        }
    }
    Ok(out)
}

/// A row's outcome as `report` wrote it, and where it is, for a failure.
#[derive(Debug)]
struct Reported {
    outcome: String,
    at: String,
}

/// A refund the sandbox made, of a payment or of an order: (id, its key, amount).
fn made(sb: &SandboxHandle) -> Vec<(String, String, String)> {
    let payments = sb
        .refunds()
        .into_iter()
        .map(|r| (r.id.to_string(), r.idempotency_key, r.amount.to_string()));
    let orders = sb
        .order_refunds()
        .into_iter()
        .map(|r| (r.id, r.idempotency_key, r.amount.to_string()));
    payments.chain(orders).collect()
}

fn invariants(sb: &SandboxHandle, w: &Work, s: &Schedule, finished: bool) -> Result<(), String> {
    let refunds = made(sb);
    let rows = rows_by_key(sb, w)?;
    // Intents: (payment or order, reference); each row's key names one.
    let mut intent_of: HashMap<String, (String, String)> = HashMap::new();
    for file in ["night", "fixed"] {
        if batch_of(w, file).is_none() {
            continue;
        }
        let path = format!("{file}.check.csv");
        for r in read_csv(&w.path(&path)) {
            intent_of.insert(
                r["idempotency_key"].clone(),
                (r["payment_id"].clone(), r["reference"].clone()),
            );
        }
    }
    let mut per_intent: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    let mut keys = HashSet::new();
    for (id, key, amount) in &refunds {
        if !keys.insert(key.clone()) {
            return Err(format!("two refunds under key {key}"));
        }
        let Some(intent) = intent_of.get(key) else {
            return Err(format!("refund {id} under key {key} no row holds"));
        };
        per_intent
            .entry(intent.clone())
            .or_default()
            .push(format!("{id} ({amount})"));
        // Every row with the key: each is that request.
        let reported = rows.get(key).map_or(&[][..], Vec::as_slice);
        if let Some(wrong) = reported
            .iter()
            .find(|p| !matches!(p.outcome.as_str(), "refunded" | "in_process" | "unknown"))
        {
            return Err(format!(
                "refund {id} of key {key} is reported {} ({})",
                wrong.outcome, wrong.at
            ));
        }
    }
    if let Some((intent, made)) = per_intent.iter().find(|(_, v)| v.len() > 1) {
        return Err(format!("refunded twice for {intent:?}: {made:?}"));
    }
    // Rows are not lost: every row of each batch is there.
    for (file, sheet) in [("night", &s.night), ("fixed", &s.fixed)] {
        if batch_of(w, file).is_some() {
            let n = read_csv(&w.path(&format!("{file}.check.csv"))).len();
            if n != sheet.len() {
                return Err(format!(
                    "{file}: {n} rows in the results for {} in the sheet",
                    sheet.len()
                ));
            }
        }
    }
    if finished {
        if let Some((key, p)) = rows.iter().find_map(|(key, reported)| {
            reported
                .iter()
                .find(|p| p.outcome == "pending" || p.outcome == "unknown")
                .map(|p| (key, p))
        }) {
            return Err(format!("not finished: {} ({key}) is {}", p.at, p.outcome));
        }
        for file in ["night", "fixed"] {
            let path = w.path(&format!("{file}.reconcile.csv"));
            if !path.exists() {
                continue;
            }
            for l in read_csv(&path) {
                if [
                    "outside_refund",
                    "missing_at_mp",
                    "amount_differs",
                    "in_doubt",
                ]
                .contains(&l["finding"].as_str())
                {
                    return Err(format!("the books disagree on {file}: {l:?}"));
                }
            }
        }
    }
    Ok(())
}

fn seeds() -> Vec<u64> {
    let var = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
    if let Some(one) = var("MPREFUND_SIM_SEED") {
        return vec![one];
    }
    let first = var("MPREFUND_SIM_FIRST").unwrap_or(1);
    let n = var("MPREFUND_SIM_SEEDS").unwrap_or(CI_SEEDS);
    (first..first + n).collect()
}

#[test]
fn simulation_of_bad_nights_refunds_nothing_twice_and_forgets_nothing() {
    let seeds = seeds();
    let next = AtomicU64::new(0);
    let ran = AtomicU64::new(0);
    let started = Instant::now();
    let threads = std::env::var("MPREFUND_SIM_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2usize);
    let failures: Vec<String> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut failed = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::SeqCst) as usize;
                        let Some(&seed) = seeds.get(i) else { break };
                        let done = ran.fetch_add(1, Ordering::SeqCst) + 1;
                        // A soak says how far it got, for whoever stops it.
                        if done.is_multiple_of(250) {
                            eprintln!(
                                "simulation: {done} seed(s) run in {:.0} s, through seed {seed}",
                                started.elapsed().as_secs_f64()
                            );
                        }
                        if let Err(e) = one(seed) {
                            failed.push(format!(
                                "seed {seed} failed (replay: MPREFUND_SIM_SEED={seed} cargo test --release simulation):\n{e}"
                            ));
                            // The first failure is enough to go on.
                            break;
                        }
                    }
                    failed
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|h| {
                h.join()
                    .unwrap_or_else(|_| vec!["a worker panicked".into()])
            })
            .collect()
    });
    eprintln!(
        "simulation: {} of {} seed(s) from {} run in {:.1} s",
        ran.load(Ordering::SeqCst),
        seeds.len(),
        seeds.first().copied().unwrap_or(0),
        started.elapsed().as_secs_f64()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
