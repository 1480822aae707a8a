//! Sends a batch: one collector thread that alone owns the [`Ledger`], claiming
//! rows (marking them `sending`, committed) before handing each to the pool
//! (`send::each`, one future per row, polled together), and recording their
//! results in batched transactions; each row is settled by the one send loop (`send::Sender`:
//! in-flight gate, pause, pace, retry policy, breaker). A failed row is data — it
//! goes to the ledger; only the ledger failing, or a stop (bad credentials, open
//! breaker, signal), ends the run early.
//!
//! Invariants: no request leaves for a row not yet committed as `sending`; every
//! claimed row comes back to the collector exactly once (settled, or handed back
//! unsettled when the run stops), so the collector knows when it is done; the same
//! key is used on every attempt.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc::TryRecvError;
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::sync::mpsc;

use crate::api::client::{Client, OrderReply, Reply};
use crate::domain::settings::Sending;
use crate::domain::{Cause, CauseCode, OrderRef, Outcome, RefundAsk, Requested, RowResult, Target};
use crate::engine::progress::Progress;
use crate::engine::rate::Pass;
use crate::engine::send::{End, Sender, Settled, Stop, StopReason};
use crate::engine::testpoint::{self, Point};
use crate::engine::throttle::RateFigures;
use crate::store::ledger::{Claimed, Ledger};

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
    settings: &Sending,
    mut progress: Progress,
    stop: Stop,
) -> anyhow::Result<(Ledger, Sent)> {
    let window = window(settings);
    let settings_limit = settings.limit;
    let sender = Arc::new(Sender::new(settings, stop.clone()));
    progress.show_rate(sender.pacer().gauge());
    let (work_tx, work_rx) = mpsc::unbounded_channel::<Claimed>();
    let (out_tx, out_rx) = std::sync::mpsc::channel::<(Claimed, RowResult)>();

    let collector_stop = stop.clone();
    let collector = tokio::task::spawn_blocking(move || {
        let res = collect(
            ledger,
            &batch_id,
            work_tx,
            out_rx,
            &collector_stop,
            progress,
            Claims {
                window,
                limit: settings_limit,
            },
        );
        if res.is_err() {
            collector_stop.request(StopReason::LedgerFailed);
        }
        res
    });

    let pool = sender.clone();
    let rows = tokio::spawn(async move {
        // The rows' futures borrow the sender and the client: `each` polls them
        // in place, nothing is cloned for a row.
        let (sender, client) = (&pool, &client);
        pool.each(
            work_rx,
            |job: Claimed, first| {
                async move {
                    let (ask, first) = match ready(sender, client, &job, first).await {
                        Ready::Send(ask, first) => (ask, first),
                        Ready::Done(r) => {
                            let doubt = job.in_doubt;
                            return (job, with_doubt(r, doubt));
                        }
                    };
                    // Answers that said for certain what became of their request:
                    // any other attempt may have refunded.
                    let certain = AtomicU32::new(0);
                    let settled = sender
                        .settle(
                            first,
                            || {
                                let (reply, certain) = (client.refund(&ask), &certain);
                                async move {
                                    let reply = reply.await;
                                    testpoint::reached(Point::Answered);
                                    if is_certain(&reply) {
                                        certain.fetch_add(1, Ordering::Relaxed);
                                    }
                                    reply
                                }
                            },
                            None,
                        )
                        .await;
                    let doubt = job.in_doubt || settled.attempts > certain.into_inner();
                    (job, result_of(settled, doubt))
                }
            },
            // The collector only goes away once every row came back.
            |done| drop(out_tx.send(done)),
        )
        .await
    });

    let ledger = collector.await.context("the collector panicked")??;
    rows.await.context("the rows' task panicked")??;
    let sent = Sent {
        stopped: stop.reason(),
        rate: sender.pacer().figures(),
        peak_in_flight: sender.pacer().peak_in_flight(),
    };
    Ok((ledger, sent))
}

/// Rows claimed and not yet answered, at most: every place in flight several
/// times over and, at a high rate, a quarter of a second's sending, so that a
/// claim — a commit, and its sync to disk — takes hundreds of rows rather than
/// tens. Claimed rows count as in doubt until answered, so at a low rate,
/// where they would wait long, the window stays small.
fn window(settings: &Sending) -> usize {
    let quarter_second = (settings.rate.rate.get() / 4) as usize;
    (settings.concurrency.max() * 8)
        .max(quarter_second.min(2048))
        .max(256)
}

const FLUSH_EVERY: Duration = Duration::from_millis(100);
/// How long the collector lets answers gather before it takes them.
const GATHER: Duration = Duration::from_millis(2);
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
    out_rx: std::sync::mpsc::Receiver<(Claimed, RowResult)>,
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
    // The log's checkpoints wait until a claim's rows are on their way (see
    // `store::ledger::checkpoint`).
    ledger
        .hold_checkpoints()
        .context("writing to the state file")?;
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
            if !buf.is_empty() {
                testpoint::reached(Point::Recorded);
            }
            if !claimed.is_empty() {
                testpoint::reached(Point::Claimed);
            }
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
            ledger
                .checkpoint_if_due()
                .context("writing to the state file")?;
        }
        if exhausted || stopping {
            // Closing the queue lets idle workers finish; queued jobs still drain
            // (and come back unsettled if the run is stopping).
            work_tx = None;
            if outstanding == 0 {
                break;
            }
        }
        // Answers are taken in groups, a moment apart: waiting on the channel,
        // this thread would be woken by every answer (a system call and a
        // switch of threads each, tens of thousands a second).
        std::thread::sleep(GATHER);
        let mut gone = false;
        loop {
            match out_rx.try_recv() {
                Ok((job, r)) => {
                    outstanding -= 1;
                    progress.record(&job, &r);
                    buf.push((job.row_no, r));
                }
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    gone = true;
                    break;
                }
            }
        }
        if gone {
            anyhow::ensure!(
                outstanding == 0,
                "{outstanding} rows were lost by the workers"
            );
            break;
        }
    }
    ledger
        .record_and_claim(batch_id, &buf, cursor, 0)
        .context("writing to the state file")?;
    ledger
        .release_checkpoints()
        .context("writing to the state file")?;
    progress.finish();
    Ok(ledger)
}

/// A row as its request goes out, or what became of it before one could.
enum Ready {
    /// Send this (the row's ask, an order's transaction filled in), the place
    /// in flight of its first attempt still held when nothing used it.
    Send(RefundAsk, Option<Pass>),
    /// No request for it leaves: why.
    Done(RowResult),
}

/// An order's partial refund that names no transaction takes the order's only
/// payment transaction: the order is read first (`GET /v1/orders/{id}`, through
/// the send loop like any request), once per row, so that every attempt sends
/// the same body with the row's key. An order of several transactions is the
/// row's to say: failed, nothing sent. Any other row goes as it is.
async fn ready(sender: &Sender, client: &Client, job: &Claimed, first: Option<Pass>) -> Ready {
    let (Target::Order(o), Requested::Partial(_)) = (&job.ask.target, &job.ask.requested) else {
        return Ready::Send(job.ask.clone(), first);
    };
    if o.transaction.is_some() {
        return Ready::Send(job.ask.clone(), first);
    }
    let read = sender.settle(first, || client.order(o.order), None).await;
    Ready::Done(match (read.end, read.last) {
        (End::Success, Some((OrderReply::Found(view), at))) => match view.only_transaction() {
            Some(t) => {
                let mut ask = job.ask.clone();
                ask.target = Target::Order(OrderRef {
                    order: o.order,
                    transaction: Some(t),
                });
                return Ready::Send(ask, None);
            }
            None => {
                let mut r = base(0, Outcome::Failed, Some(at));
                r.retryable = Some(false);
                r.cause = Some(Cause {
                    code: CauseCode::TransactionNeeded,
                    message: format!(
                        "order {} has {} payment transactions; a partial refund names one (transaction_id column)",
                        o.order,
                        view.payments.len()
                    ),
                });
                r
            }
        },
        (End::Permanent, Some((OrderReply::Failed(reply), at))) => failed(0, reply, at, false),
        (End::Exhausted, Some((OrderReply::Failed(reply), at))) => failed(0, reply, at, true),
        _ => unsettled(0, None),
    })
}

/// Whether an answer says for certain what became of its request: a refund it
/// carries, a refusal Mercado Pago gives before doing anything — a 4xx other
/// than 408 (the request not read in time), 409 and 423 (the key busy: a
/// request with it is being processed), or a 409 the Orders API names a
/// refusal (the order cannot be refunded, or has nothing left) — or a
/// connection that failed before a byte of the request left. A 5xx, a cut
/// connection, a timeout or an unreadable answer may follow a refund made.
fn is_certain(reply: &Reply) -> bool {
    match reply {
        Reply::Refund { .. } => true,
        Reply::Error { status, cause, .. } => {
            let refusal = matches!(
                cause.as_ref().map(|c| &c.code),
                Some(CauseCode::Order(o)) if o.is_refusal()
            );
            (400..500).contains(status) && (refusal || !matches!(status, 408 | 409 | 423))
        }
        Reply::Unknown {
            net: Some(fault), ..
        } => fault.connecting,
        Reply::Unknown { .. } => false,
    }
}

/// A row as far as this run took it: settled, failed, or handed back. `doubt`:
/// a request of the row (this run's, or an earlier one's) may have refunded.
/// Only an answer carrying the refund settles that; short of one the row stays
/// in doubt, whatever came after — a refusal may be caused by that very refund
/// ("more than is left", "already refunded").
fn result_of(s: Settled<Reply>, doubt: bool) -> RowResult {
    let r = match (s.end, s.last) {
        (End::Success, Some((reply, at))) => return settled(s.attempts, reply, at),
        (End::Permanent, Some((reply, at))) => failed(s.attempts, reply, at, false),
        (End::Exhausted, Some((reply, at))) => failed(s.attempts, reply, at, true),
        (_, last) => unsettled(s.attempts, last),
    };
    with_doubt(r, doubt)
}

/// A result that did not carry the refund, for a row that may have refunded
/// (`doubt`): `unknown`, whatever came after.
fn with_doubt(mut r: RowResult, doubt: bool) -> RowResult {
    if doubt {
        r.outcome = Outcome::Unknown;
        // Ended: `retry` sends the same key again; stopped: the next run does.
        r.retryable = r.retryable.map(|_| true);
    }
    r
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
        // The retry policy only says Success for a refund.
        return failed(attempts, reply, at, true);
    };
    let mut r = base(attempts, Outcome::Refunded, Some(at));
    r.http_status = Some(status);
    match &refund.status {
        s if s.is_made() => {}
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
            r.cause = Some(crate::api::network::row_cause(&fault, &reason, attempts));
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
