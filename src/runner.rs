//! Sends a batch: one collector thread that alone owns the [`Ledger`], claiming
//! rows (marking them `sending`, committed) before handing each to its own async
//! task, and recording their results in batched transactions; every request passes
//! one shared pacer (`rate`: in-flight gate, pause, pace) and each row is settled
//! with the retry policy. A failed row is data — it goes to the ledger; only the ledger
//! failing, or a stop (bad credentials, open breaker, signal), ends the run early.
//!
//! Invariants: no request leaves for a row not yet committed as `sending`; every
//! claimed row comes back to the collector exactly once (settled, or handed back
//! unsettled when the run stops), so the collector knows when it is done; the same
//! key is used on every attempt.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::rate::{Concurrency, Pacer, RateSettings};
use crate::throttle::{RateFigures, Signal};
use anyhow::Context;
use tokio::sync::{mpsc, watch};

use crate::client::{Client, Reply};
use crate::clock::now_ms;
use crate::domain::{Cause, CauseCode, Outcome, RefundStatus, RowResult};
use crate::ledger::{Claimed, Ledger};
use crate::progress::Progress;
use crate::retry::{self, Attempt, Breaker, Policy, Verdict};

/// Why a run ended before every row was settled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StopReason {
    /// 401/403: the token was refused.
    Credentials(u16),
    /// Too many consecutive server failures.
    Breaker,
    /// The API could not be reached: on every one of the first attempts, before
    /// anything ever connected (`from_the_start`), or on the consecutive attempts
    /// that opened the breaker.
    Unreachable {
        fault: crate::network::NetFault,
        from_the_start: bool,
    },
    /// SIGINT or SIGTERM.
    Signal,
    /// The state file could not be written.
    LedgerFailed,
}

impl std::fmt::Display for StopReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StopReason::Credentials(s) => write!(
                f,
                "the API refused the access token (HTTP {s}); no further request was sent"
            ),
            StopReason::Breaker => {
                f.write_str("too many consecutive server failures (circuit breaker open)")
            }
            StopReason::Unreachable {
                fault,
                from_the_start: true,
            } => write!(
                f,
                "could not reach the API at {fault} on any of the first attempts; no request left"
            ),
            StopReason::Unreachable {
                fault,
                from_the_start: false,
            } => write!(
                f,
                "the API at {fault} stopped answering (circuit breaker open)"
            ),
            StopReason::Signal => f.write_str("interrupted by a signal"),
            StopReason::LedgerFailed => f.write_str("the state file could not be written"),
        }
    }
}

/// A one-way "stop now" shared by the workers, the collector and signal handlers;
/// the first reason given wins.
#[derive(Clone)]
pub(crate) struct Stop {
    tx: Arc<watch::Sender<Option<StopReason>>>,
}

impl Stop {
    pub(crate) fn new() -> Stop {
        Stop {
            tx: Arc::new(watch::channel(None).0),
        }
    }

    pub(crate) fn request(&self, reason: StopReason) {
        self.tx.send_if_modified(|cur| {
            let first = cur.is_none();
            if first {
                *cur = Some(reason);
            }
            first
        });
    }

    pub(crate) fn reason(&self) -> Option<StopReason> {
        self.tx.borrow().clone()
    }

    /// Resolves once a stop has been requested.
    pub(crate) async fn wait(&self) {
        let mut rx = self.tx.subscribe();
        // Only fails if the sender is gone, which `self` rules out.
        let _ = rx.wait_for(Option::is_some).await;
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub rate: RateSettings,
    pub concurrency: Concurrency,
    pub policy: Policy,
    pub breaker_threshold: u32,
    /// After a signal, how long in-flight requests may still run before they are
    /// abandoned (their rows stay `sending` and are re-sent, same key, next run).
    pub grace: Duration,
    /// Claim at most this many rows in this run, the first in row order (the
    /// console's canary): the rest stays `pending` for the next run.
    pub limit: Option<u64>,
}

/// The defaults of `run` and `retry`: the one place they are written (the flags'
/// help and the README quote them).
pub(crate) const DEFAULT_RATE: u32 = 10;
/// `--max-concurrency`: what `--concurrency auto` may grow to.
pub(crate) const DEFAULT_MAX_CONCURRENCY: usize = 64;
pub(crate) const DEFAULT_BREAKER: u32 = 25;
pub(crate) const DEFAULT_GRACE_SECS: u64 = 10;

impl Default for Settings {
    fn default() -> Self {
        Settings {
            rate: RateSettings {
                rate: NonZeroU32::new(DEFAULT_RATE).unwrap_or(NonZeroU32::MIN),
                start: None,
                adaptive: true,
            },
            concurrency: Concurrency::Auto {
                max: DEFAULT_MAX_CONCURRENCY,
            },
            policy: Policy::default(),
            breaker_threshold: DEFAULT_BREAKER,
            grace: Duration::from_secs(DEFAULT_GRACE_SECS),
            limit: None,
        }
    }
}

struct Ctx {
    client: Client,
    limiter: Arc<Pacer>,
    policy: Policy,
    breaker: Breaker,
    reach: crate::network::Reach,
    stop: Stop,
    grace: Duration,
}

impl Ctx {
    /// Resolves when an in-flight request must be given up: only after a signal,
    /// and only once the grace period is over.
    async fn abandon(&self) {
        self.stop.wait().await;
        if self.stop.reason() == Some(StopReason::Signal) {
            tokio::time::sleep(self.grace).await;
        } else {
            std::future::pending::<()>().await;
        }
    }
}

/// How a run's sending went.
#[derive(Debug)]
pub(crate) struct Sent {
    /// Why the run stopped early, if it did.
    pub stopped: Option<StopReason>,
    pub rate: RateFigures,
    /// The most requests in flight at once.
    pub peak_in_flight: usize,
}

/// Sends every `pending` or `sending` row of the batch. Returns the ledger (for the
/// report) and how the sending went.
pub(crate) async fn run(
    ledger: Ledger,
    batch_id: String,
    client: Client,
    settings: &Settings,
    mut progress: Progress,
    stop: Stop,
) -> anyhow::Result<(Ledger, Sent)> {
    let concurrency = settings.concurrency.max();
    let limiter = Arc::new(Pacer::new(settings.rate, settings.concurrency));
    progress.show_rate(limiter.gauge());
    let ctx = Arc::new(Ctx {
        client,
        limiter: limiter.clone(),
        policy: settings.policy.clone(),
        breaker: Breaker::new(settings.breaker_threshold),
        reach: crate::network::Reach::new(crate::network::FIRST_ATTEMPTS),
        stop: stop.clone(),
        grace: settings.grace,
    });
    let (work_tx, mut work_rx) = mpsc::unbounded_channel::<Claimed>();
    let (out_tx, out_rx) = std::sync::mpsc::channel::<(u64, RowResult)>();

    let window = (concurrency * 8).max(256);
    let limit = settings.limit;
    let collector_stop = stop.clone();
    let collector = tokio::task::spawn_blocking(move || {
        let res = collect(
            ledger,
            &batch_id,
            work_tx,
            out_rx,
            &collector_stop,
            progress,
            Claims { window, limit },
        );
        if res.is_err() {
            collector_stop.request(StopReason::LedgerFailed);
        }
        res
    });

    // One task per claimed row, not a fixed set of workers: a row waiting out its
    // Retry-After or backoff must not hold a place another row could send from
    // (with `--concurrency 8` and 5 % stray 429s, eight sleeping rows stalled the
    // batch). The gate bounds what is in flight, the claim window what is held.
    let rows = tokio::spawn(async move {
        let mut rows = tokio::task::JoinSet::new();
        while let Some(job) = work_rx.recv().await {
            let ctx = ctx.clone();
            let out_tx = out_tx.clone();
            rows.spawn(async move {
                let result = settle(&ctx, &job).await;
                // The collector only goes away once every row came back.
                let _ = out_tx.send((job.row_no, result));
            });
            while let Some(done) = rows.try_join_next() {
                done.context("a row's task panicked")?;
            }
        }
        while let Some(done) = rows.join_next().await {
            done.context("a row's task panicked")?;
        }
        anyhow::Ok(())
    });

    let ledger = collector.await.context("the collector panicked")??;
    rows.await.context("the row tasks panicked")??;
    let sent = Sent {
        stopped: stop.reason(),
        rate: limiter.figures(),
        peak_in_flight: limiter.peak_in_flight(),
    };
    Ok((ledger, sent))
}

const FLUSH_EVERY: Duration = Duration::from_millis(100);
const FLUSH_ROWS: usize = 512;

/// How the collector claims: at most `window` rows held at once, at most
/// `limit` in the whole run.
struct Claims {
    window: usize,
    limit: Option<u64>,
}

fn collect(
    mut ledger: Ledger,
    batch_id: &str,
    work_tx: mpsc::UnboundedSender<Claimed>,
    out_rx: std::sync::mpsc::Receiver<(u64, RowResult)>,
    stop: &Stop,
    mut progress: Progress,
    Claims { window, limit }: Claims,
) -> anyhow::Result<Ledger> {
    let mut work_tx = Some(work_tx);
    let mut cursor = 0u64;
    let mut outstanding = 0usize;
    let mut exhausted = false;
    let mut buf: Vec<(u64, RowResult)> = Vec::with_capacity(FLUSH_ROWS);
    let mut last_flush = Instant::now();
    let mut first = true;
    // Rows this run may still claim (`limit`).
    let mut allowed = limit.map_or(usize::MAX, |n| usize::try_from(n).unwrap_or(usize::MAX));
    exhausted |= allowed == 0;
    loop {
        let stopping = stop.reason().is_some();
        let want = if stopping || exhausted {
            0
        } else {
            (window - outstanding.min(window)).min(allowed)
        };
        let claim_now = want > 0 && (first || want >= window / 4 || want == allowed);
        let flush_now =
            !buf.is_empty() && (buf.len() >= FLUSH_ROWS || last_flush.elapsed() >= FLUSH_EVERY);
        if claim_now || flush_now {
            let claimed = ledger
                .record_and_claim(batch_id, &buf, cursor, if claim_now { want } else { 0 })
                .context("writing to the state file")?;
            buf.clear();
            last_flush = Instant::now();
            if claim_now && claimed.len() < want {
                exhausted = true;
            }
            allowed -= claimed.len().min(allowed);
            if allowed == 0 {
                exhausted = true;
            }
            first = false;
            for job in claimed {
                cursor = job.row_no;
                outstanding += 1;
                if let Some(tx) = &work_tx {
                    // Workers only go away after this sender does.
                    let _ = tx.send(job);
                }
            }
        }
        if exhausted || stopping {
            // Closing the queue lets idle workers finish; queued jobs still drain
            // (and come back unsettled if the run is stopping).
            work_tx = None;
            if outstanding == 0 {
                break;
            }
        }
        match out_rx.recv_timeout(FLUSH_EVERY / 2) {
            Ok(r) => {
                for r in std::iter::once(r).chain(std::iter::from_fn(|| out_rx.try_recv().ok())) {
                    outstanding -= 1;
                    progress.record(r.1.outcome);
                    buf.push(r);
                }
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                anyhow::ensure!(
                    outstanding == 0,
                    "{outstanding} rows were lost by the workers"
                );
                break;
            }
        }
    }
    ledger
        .record_and_claim(batch_id, &buf, cursor, 0)
        .context("writing to the state file")?;
    progress.finish();
    Ok(ledger)
}

/// Takes one row as far as this run can: settled, failed, or handed back.
async fn settle(ctx: &Ctx, job: &Claimed) -> RowResult {
    let mut attempts = 0u32;
    let mut last: Option<(Reply, i64)> = None;
    loop {
        if ctx.stop.reason().is_some() {
            return unsettled(attempts, last);
        }
        let pass = tokio::select! {
            p = ctx.limiter.enter(attempts > 0) => p,
            _ = ctx.stop.wait() => return unsettled(attempts, last),
        };
        tokio::select! {
            _ = ctx.limiter.until_ready() => {}
            _ = ctx.stop.wait() => return unsettled(attempts, last),
        }
        attempts += 1;
        let at = now_ms();
        let sent_at = Instant::now();
        let reply = tokio::select! {
            r = ctx.client.refund(&job.ask) => r,
            _ = ctx.abandon() => return unsettled(attempts, last),
        };
        drop(pass);
        let attempt = attempt_of(&reply);
        ctx.limiter.observe(sent_at, signal_of(attempt));
        let tripped = ctx.breaker.record(attempt);
        if let Some(reason) = crate::network::stop_for(&ctx.reach, tripped, &reply) {
            ctx.stop.request(reason);
        }
        match retry::decide(&ctx.policy, attempts, attempt, fastrand::f64) {
            Verdict::Success => return settled(attempts, reply, at),
            Verdict::Permanent => return failed(attempts, reply, at, false),
            Verdict::Exhausted => return failed(attempts, reply, at, true),
            Verdict::StopRun => {
                if let Reply::Error { status, .. } = &reply {
                    ctx.stop.request(StopReason::Credentials(*status));
                }
                return unsettled(attempts, Some((reply, at)));
            }
            Verdict::Retry(delay) => {
                tracing::debug!(row = job.row_no, attempts, ?delay, "retrying");
                last = Some((reply, at));
                tokio::select! {
                    _ = tokio::time::sleep(delay) => {}
                    _ = ctx.stop.wait() => return unsettled(attempts, last),
                }
            }
        }
    }
}

/// What an answer says about the rate: `None` when no answer came (a cut
/// connection or a timeout says nothing about the server's limit).
pub(crate) fn signal_of(attempt: Attempt) -> Option<Signal> {
    let (Attempt::Status {
        status,
        retry_after,
    }
    | Attempt::Unknown {
        status: Some(status),
        retry_after,
    }) = attempt
    else {
        return None;
    };
    Some(match status {
        429 => Signal::Throttled { retry_after },
        500..=599 => Signal::ServerError,
        _ => Signal::Accepted,
    })
}

/// What an answer means for retrying: the status and `Retry-After` read first, and
/// whether the outcome is known at all.
pub(crate) fn attempt_of(reply: &Reply) -> Attempt {
    match reply {
        Reply::Refund { status, .. } => Attempt::Status {
            status: *status,
            retry_after: None,
        },
        Reply::Error {
            status,
            retry_after,
            ..
        } => Attempt::Status {
            status: *status,
            retry_after: *retry_after,
        },
        Reply::Unknown {
            status,
            retry_after,
            ..
        } => Attempt::Unknown {
            status: *status,
            retry_after: *retry_after,
        },
    }
}

fn base(attempts: u32, outcome: Outcome, at: Option<i64>) -> RowResult {
    RowResult {
        attempts,
        last_attempt_at_ms: at,
        ..RowResult::new(outcome)
    }
}

fn settled(attempts: u32, reply: Reply, at: i64) -> RowResult {
    let Reply::Refund {
        status,
        refund,
        mismatch,
    } = reply
    else {
        // `decide` only says Success for a refund.
        return failed(attempts, reply, at, true);
    };
    let mut r = base(attempts, Outcome::Refunded, Some(at));
    r.http_status = Some(status);
    match &refund.status {
        RefundStatus::Approved => {}
        s if s.in_process() => r.outcome = Outcome::InProcess,
        s if s.moved_no_money() => {
            r.outcome = Outcome::Failed;
            r.retryable = Some(false);
            r.cause = Some(Cause {
                code: CauseCode::RefundRejected,
                message: format!("the API created refund {} as {s}", refund.id),
            });
        }
        other => {
            r.outcome = Outcome::InProcess;
            r.cause = Some(Cause {
                code: CauseCode::RefundStatus,
                message: format!(
                    "refund {} has status {:?}; settle it with reconcile",
                    refund.id,
                    other.as_str()
                ),
            });
        }
    }
    // Money moved, but not as asked: the row keeps its outcome and carries the
    // difference as its cause, which makes the run exit 1 (see `report::Summary`).
    if r.outcome != Outcome::Failed
        && let Some(m) = mismatch
    {
        r.cause = Some(m);
    }
    r.refund = Some(refund);
    r
}

fn failed(attempts: u32, reply: Reply, at: i64, retryable: bool) -> RowResult {
    let mut r = base(attempts, Outcome::Failed, Some(at));
    r.retryable = Some(retryable);
    apply_reply(&mut r, reply, attempts);
    r
}

/// The run stopped before the row was settled: it goes back to the queue of the
/// next run, pending (the ledger keeps it `sending` if a request may have left).
fn unsettled(attempts: u32, last: Option<(Reply, i64)>) -> RowResult {
    let mut r = base(attempts, Outcome::Pending, None);
    if let Some((reply, at)) = last {
        r.last_attempt_at_ms = Some(at);
        apply_reply(&mut r, reply, attempts);
    }
    r
}

fn apply_reply(r: &mut RowResult, reply: Reply, attempts: u32) {
    match reply {
        Reply::Refund { status, refund, .. } => {
            r.http_status = Some(status);
            r.refund = Some(refund);
        }
        Reply::Error { status, cause, .. } => {
            r.http_status = Some(status);
            r.cause = Some(cause.unwrap_or_else(|| Cause {
                code: CauseCode::Http(status),
                message: format!("HTTP {status}"),
            }));
        }
        Reply::Unknown {
            status,
            reason,
            net: Some(fault),
            ..
        } => {
            r.http_status = status;
            r.cause = Some(crate::network::row_cause(&fault, &reason, attempts));
        }
        Reply::Unknown { status, reason, .. } => {
            r.http_status = status;
            r.cause = Some(Cause {
                code: CauseCode::UnknownOutcome,
                message: format!(
                    "no readable answer after {attempts} attempt(s) ({reason}); the same key settles it on the next run"
                ),
            });
        }
    }
}
