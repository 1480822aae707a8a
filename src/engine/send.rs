//! Sending a request until it is settled: the one loop every call to the API goes
//! through — refunds, payment reads, report requests, polls and downloads. Enter
//! the in-flight gate (a later attempt before first attempts), wait for the pacer,
//! send, let the pacer, the circuit breaker and [`Reach`] read the answer, decide
//! by the retry policy, then sleep or stop. It also owns the run's [`Stop`] (and
//! why it came, [`StopReason`]) and [`each`], the one pool: a future per item, the
//! gate bounding what is in flight.
//!
//! Invariants: no request leaves once a stop is asked; a request in flight is
//! given up only after a signal, and only once its grace is over (its outcome
//! stays unknown, the caller's to keep); 401/403 stop every sender sharing the
//! [`Stop`]; a request waiting out its backoff or `Retry-After` holds no place in
//! flight; an answer is read for retrying, pacing and the breaker in one place
//! ([`Reading`]).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use std::panic::AssertUnwindSafe;

use futures_util::stream::FuturesUnordered;
use futures_util::{FutureExt, StreamExt};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use crate::api::client::{Answer, DownloadError, Fetched, Reply};
use crate::domain::clock::now_ms;
use crate::domain::CauseCode;
use crate::api::network::{NetFault, Reach};
use crate::engine::rate::{Pacer, Pass};
use crate::engine::retry::{self, Attempt, Breaker, Verdict};
use crate::domain::settings::{Policy, Sending};
use crate::engine::throttle::Signal;

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
        fault: NetFault,
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

/// A one-way "stop now" shared by the senders, the collector and signal handlers;
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

/// What the send loop reads of an answer, whatever the request: the status and
/// `Retry-After` for retrying, pacing and the breaker; the network fault when no
/// answer came, for [`Reach`] and the breaker's stop reason.
pub(crate) trait Reading {
    fn attempt(&self) -> Attempt;
    fn fault(&self) -> Option<&NetFault> {
        None
    }
}

/// How long an order busy at Mercado Pago (`refund_in_progress`,
/// `resource_locked`) is left before its request is sent again, at least.
const ORDER_BUSY_PAUSE: Duration = Duration::from_secs(1);

impl Reading for Reply {
    fn attempt(&self) -> Attempt {
        match self {
            Reply::Refund { status, .. } => Attempt::Status {
                status: *status,
                retry_after: None,
            },
            Reply::Error {
                status,
                retry_after,
                cause,
            } => match cause.as_ref().map(|c| &c.code) {
                // The same request meets the same answer (and a new key, for a
                // key used before, could pay twice).
                Some(CauseCode::Order(o)) if o.is_final() => Attempt::Final {
                    status: Some(*status),
                },
                // Another refund of the order, or this key's request, is being
                // made: the same request after a pause.
                Some(CauseCode::Order(o)) if o.is_busy() => {
                    let pause = crate::engine::testpoint::backoff_base().unwrap_or(ORDER_BUSY_PAUSE);
                    Attempt::Status {
                        status: *status,
                        retry_after: Some(retry_after.map_or(pause, |r| r.max(pause))),
                    }
                }
                _ => Attempt::Status {
                    status: *status,
                    retry_after: *retry_after,
                },
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

    fn fault(&self) -> Option<&NetFault> {
        match self {
            Reply::Unknown { net, .. } => net.as_ref(),
            _ => None,
        }
    }
}

impl Reading for Answer {
    fn attempt(&self) -> Attempt {
        Attempt::Status {
            status: self.status,
            retry_after: self.retry_after,
        }
    }
}

/// A read: found (the API answered 200 with it), or its reply.
impl<T> Reading for Fetched<T> {
    fn attempt(&self) -> Attempt {
        match self {
            Fetched::Found(_) => Attempt::Status {
                status: 200,
                retry_after: None,
            },
            Fetched::Failed(r) => r.attempt(),
        }
    }

    fn fault(&self) -> Option<&NetFault> {
        match self {
            Fetched::Found(_) => None,
            Fetched::Failed(r) => r.fault(),
        }
    }
}

/// An account request (reports): an answer, or no readable one.
impl Reading for Result<Answer, Reply> {
    fn attempt(&self) -> Attempt {
        match self {
            Ok(a) => a.attempt(),
            Err(r) => r.attempt(),
        }
    }

    fn fault(&self) -> Option<&NetFault> {
        self.as_ref().err().and_then(Reading::fault)
    }
}

/// A download: the server's answer, or why no file came.
impl Reading for Result<Answer, DownloadError> {
    fn attempt(&self) -> Attempt {
        match self {
            Ok(a) => a.attempt(),
            // The server sent the file; what failed is ours: nothing to retry.
            Err(DownloadError::TooLarge | DownloadError::Local(_)) => Attempt::Status {
                status: 200,
                retry_after: None,
            },
            Err(DownloadError::Transport(_)) => Attempt::Unknown {
                status: None,
                retry_after: None,
            },
        }
    }
}

/// What an answer says about the rate: `None` when no answer came (a cut
/// connection or a timeout says nothing about the server's limit).
fn signal_of(attempt: Attempt) -> Option<Signal> {
    let (status, retry_after) = match attempt {
        Attempt::Status {
            status,
            retry_after,
        }
        | Attempt::Unknown {
            status: Some(status),
            retry_after,
        } => (status, retry_after),
        Attempt::Final {
            status: Some(status),
        } => (status, None),
        Attempt::Unknown { status: None, .. } | Attempt::Final { status: None } => return None,
    };
    Some(match status {
        429 => Signal::Throttled { retry_after },
        500..=599 => Signal::ServerError,
        _ => Signal::Accepted,
    })
}

/// How a request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum End {
    /// The last answer is a success.
    Success,
    /// The API refused it for good.
    Permanent,
    /// Retryable, but the budget is spent.
    Exhausted,
    /// A stop came first (this answer's own 401/403 among them): see
    /// [`Stop::reason`].
    Stopped,
    /// The next try, this long after the last answer, would be past the deadline.
    Overdue(Duration),
}

/// A request as far as it went.
#[derive(Debug)]
pub(crate) struct Settled<T> {
    /// Requests that left (one abandoned in flight included).
    pub attempts: u32,
    /// The last answer and when its request left (ms since the epoch); none when
    /// none came.
    pub last: Option<(T, i64)>,
    pub end: End,
}

/// The pacer, breaker, reach and retry policy every request of a command shares.
pub(crate) struct Sender {
    pacer: Arc<Pacer>,
    policy: Policy,
    breaker: Breaker,
    reach: Reach,
    stop: Stop,
    grace: Duration,
}

impl Sender {
    /// Borrows its pieces of `settings`: the pacer's, the policy, the breaker's,
    /// the grace.
    pub(crate) fn new(settings: &Sending, stop: Stop) -> Sender {
        Sender {
            pacer: Arc::new(Pacer::new(settings.rate, settings.concurrency)),
            policy: settings.policy.clone(),
            breaker: Breaker::new(settings.breaker_threshold),
            reach: Reach::new(crate::api::network::FIRST_ATTEMPTS),
            stop,
            grace: settings.grace,
        }
    }

    pub(crate) fn pacer(&self) -> &Arc<Pacer> {
        &self.pacer
    }

    pub(crate) fn stop(&self) -> &Stop {
        &self.stop
    }

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

    /// Sends with `send` until the answer settles it, the budget is spent, a stop
    /// comes, or (with a `deadline`) the next wait would pass it. The same
    /// request each time: a refund keeps its key. `first`: the place in flight
    /// of the first attempt, when [`Sender::each`] took it.
    pub(crate) async fn settle<T, F>(
        &self,
        first: Option<Pass>,
        mut send: impl FnMut() -> F,
        deadline: Option<Instant>,
    ) -> Settled<T>
    where
        T: Reading,
        F: Future<Output = T>,
    {
        let mut attempts = 0u32;
        let mut last: Option<(T, i64)> = None;
        let stopped = |attempts, last| Settled {
            attempts,
            last,
            end: End::Stopped,
        };
        let mut first = first;
        loop {
            if self.stop.reason().is_some() {
                return stopped(attempts, last);
            }
            let pass = match first.take() {
                Some(pass) => pass,
                None => tokio::select! {
                    biased;
                    () = self.stop.wait() => return stopped(attempts, last),
                    p = self.pacer.enter(attempts > 0) => p,
                },
            };
            tokio::select! {
                biased;
                () = self.stop.wait() => return stopped(attempts, last),
                () = self.pacer.until_ready() => {}
            }
            // A stop that came while this one waited its turn wins over sending:
            // after a refused connection the run ends with the attempts already
            // made, not with every queued row trying once more.
            if self.stop.reason().is_some() {
                return stopped(attempts, last);
            }
            attempts += 1;
            let at = now_ms();
            let sent_at = Instant::now();
            let answer = tokio::select! {
                a = send() => a,
                () = self.abandon() => return stopped(attempts, last),
            };
            drop(pass);
            let attempt = answer.attempt();
            self.pacer.observe(sent_at, signal_of(attempt));
            let tripped = self.breaker.record(attempt);
            if let Some(reason) = stop_for(&self.reach, tripped, answer.fault()) {
                self.stop.request(reason);
            }
            let end = match retry::decide(&self.policy, attempts, attempt, fastrand::f64) {
                Verdict::Success => End::Success,
                Verdict::Permanent => End::Permanent,
                Verdict::Exhausted => End::Exhausted,
                Verdict::StopRun => {
                    if let Attempt::Status { status, .. } = attempt {
                        self.stop.request(StopReason::Credentials(status));
                    }
                    End::Stopped
                }
                Verdict::Retry(delay) if deadline.is_some_and(|d| Instant::now() + delay > d) => {
                    End::Overdue(delay)
                }
                Verdict::Retry(delay) => {
                    tracing::debug!(attempts, ?delay, "retrying");
                    last = Some((answer, at));
                    tokio::select! {
                        () = tokio::time::sleep(delay) => {}
                        () = self.stop.wait() => return stopped(attempts, last),
                    }
                    continue;
                }
            };
            return Settled {
                attempts,
                last: Some((answer, at)),
                end,
            };
        }
    }
}

impl Sender {
    /// The one pool: settles every item `items` brings, each as a future of
    /// its own (`work`, given the place in flight of its first attempt), and
    /// hands each result to `done` as it comes. Returns once `items` is closed
    /// and every item is settled; an item whose future panicked is an error.
    ///
    /// Not a fixed set of workers: an item waiting out its `Retry-After` or
    /// backoff must not hold a place another could send from (with
    /// `--concurrency 8` and 5 % stray 429s, eight sleeping rows stalled a
    /// batch). The in-flight gate bounds what is in flight; whoever feeds `items`
    /// bounds what is held. The items' futures are polled here, together, not
    /// spawned as tasks: a task a row cost its allocation and a trip through the
    /// scheduler for every wake, and what a row does between two answers is
    /// little (the connections' own tasks do the sending). First attempts take
    /// their place here, one after the other, so they leave in the order the
    /// items came; a later attempt still goes first. Once a stop is asked,
    /// items are handed to `work` without a place: they come back unsent.
    pub(crate) async fn each<T, R, F>(
        &self,
        mut items: mpsc::UnboundedReceiver<T>,
        work: impl Fn(T, Option<Pass>) -> F,
        mut done: impl FnMut(R),
    ) -> anyhow::Result<()>
    where
        F: Future<Output = R>,
    {
        let mut rows = FuturesUnordered::new();
        let mut open = true;
        let mut next: Option<T> = None;
        loop {
            let waiting = next.is_some();
            tokio::select! {
                item = items.recv(), if open && !waiting => match item {
                    Some(item) => next = Some(item),
                    None => open = false,
                },
                pass = self.pacer.enter(false), if waiting => {
                    if let Some(item) = next.take() {
                        rows.push(AssertUnwindSafe(work(item, Some(pass))).catch_unwind());
                    }
                }
                () = self.stop.wait(), if waiting => {
                    if let Some(item) = next.take() {
                        rows.push(AssertUnwindSafe(work(item, None)).catch_unwind());
                    }
                }
                Some(finished) = rows.next(), if !rows.is_empty() => {
                    done(finished.map_err(|_| anyhow::anyhow!("an item's future panicked"))?);
                }
                else => return Ok(()),
            }
        }
    }
}

/// Why the run stops after this attempt, when it does: the very first attempts
/// all failed to connect ([`Reach`]), or the breaker tripped — named by the network
/// fault when it was one. `fault` is the attempt's when no answer came (one that
/// failed while connecting never reached the host; one cut or timed out after
/// connecting did). Logged here, once per stop asked.
fn stop_for(reach: &Reach, breaker_tripped: bool, fault: Option<&NetFault>) -> Option<StopReason> {
    if let Some(fault) = reach.record(fault.filter(|f| f.connecting)) {
        tracing::error!(
            host = %fault.host,
            cause = fault.cause.code(),
            attempts = reach.threshold(),
            "the API could not be reached on any of the first attempts; stopping"
        );
        return Some(StopReason::Unreachable {
            fault,
            from_the_start: true,
        });
    }
    if !breaker_tripped {
        return None;
    }
    match fault {
        Some(fault) => {
            tracing::error!(
                host = %fault.host,
                cause = fault.cause.code(),
                "the API stopped answering (circuit breaker open); stopping"
            );
            Some(StopReason::Unreachable {
                fault: fault.clone(),
                from_the_start: false,
            })
        }
        None => {
            tracing::error!(
                "too many consecutive server failures (circuit breaker open); stopping"
            );
            Some(StopReason::Breaker)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroU32;

    use super::*;
    use crate::domain::settings::{Concurrency, RateSettings};

    fn sender(rate: u32, in_flight: usize, stop: Stop) -> Arc<Sender> {
        Arc::new(Sender::new(
            &Sending {
                rate: RateSettings {
                    rate: NonZeroU32::new(rate).unwrap(),
                    start: None,
                    adaptive: false,
                },
                concurrency: Concurrency::Fixed(in_flight),
                ..Sending::default()
            },
            stop,
        ))
    }

    fn answer(status: u16) -> Answer {
        Answer {
            status,
            retry_after: None,
            body: Vec::new(),
        }
    }

    /// Runs `items` through the pool; each request answers what `status` says
    /// of its item and attempt. Returns the results, in the order they came.
    async fn pool(
        sender: &Arc<Sender>,
        items: usize,
        status: impl Fn(usize, u32) -> u16 + Send + Sync + 'static,
        sent: &Arc<std::sync::Mutex<Vec<usize>>>,
    ) -> Vec<(usize, Settled<Answer>)> {
        let (tx, rx) = mpsc::unbounded_channel();
        for i in 0..items {
            tx.send(i).unwrap();
        }
        drop(tx);
        let status = Arc::new(status);
        let mut results = Vec::new();
        sender
            .each(
                rx,
                |i, first| {
                    let (sender, sent, status) = (sender.clone(), sent.clone(), status.clone());
                    async move {
                        let mut n = 0;
                        let s = sender
                            .settle(
                                first,
                                || {
                                    n += 1;
                                    sent.lock().unwrap().push(i);
                                    std::future::ready(answer(status(i, n)))
                                },
                                None,
                            )
                            .await;
                        (i, s)
                    }
                },
                |r| results.push(r),
            )
            .await
            .unwrap();
        results
    }

    fn orders_error(status: u16, code: crate::domain::OrderCause) -> Reply {
        Reply::Error {
            status,
            retry_after: None,
            cause: Some(crate::domain::Cause {
                code: CauseCode::Order(code),
                message: String::new(),
            }),
        }
    }

    /// How the send loop reads the Orders API's answers: busy ones are the
    /// same request after a pause; a reused key, an order of tips or one that
    /// cannot be refunded, never again (and a 403 of tips stops no run).
    #[test]
    fn the_orders_answers_are_read_for_retrying() {
        use crate::domain::OrderCause;
        let policy = crate::domain::settings::Policy::default();
        for (status, code) in [
            (409, OrderCause::RefundInProgress),
            (423, OrderCause::ResourceLocked),
        ] {
            let a = orders_error(status, code).attempt();
            let Attempt::Status {
                retry_after: Some(pause),
                ..
            } = a
            else {
                panic!("{code}: {a:?}")
            };
            assert!(pause >= crate::engine::testpoint::backoff_base().unwrap_or(ORDER_BUSY_PAUSE));
            assert!(matches!(
                retry::decide(&policy, 1, a, || 0.0),
                Verdict::Retry(d) if d >= pause
            ));
        }
        for (status, code) in [
            (409, OrderCause::IdempotencyKeyAlreadyUsed),
            (403, OrderCause::PartialRefundForbiddenWithTips),
            (409, OrderCause::CannotRefundOrder),
            (409, OrderCause::OrderAlreadyRefunded),
        ] {
            let a = orders_error(status, code).attempt();
            assert_eq!(
                a,
                Attempt::Final {
                    status: Some(status)
                },
                "{code}"
            );
            assert_eq!(retry::decide(&policy, 1, a, || 0.0), Verdict::Permanent);
        }
        // 500 idempotency_validation_failed: a server failure, retried with the key.
        let a = orders_error(500, OrderCause::IdempotencyValidationFailed).attempt();
        assert!(matches!(
            retry::decide(&policy, 1, a, || 0.0),
            Verdict::Retry(_)
        ));
    }

    #[tokio::test(start_paused = true)]
    async fn first_attempts_leave_in_the_order_the_items_came() {
        let sender = sender(1000, 1, Stop::new());
        let sent = Arc::new(std::sync::Mutex::new(Vec::new()));
        let results = pool(&sender, 30, |_, _| 201, &sent).await;
        assert_eq!(*sent.lock().unwrap(), (0..30).collect::<Vec<_>>());
        assert_eq!(results.len(), 30);
        assert!(results.iter().all(|(_, s)| s.end == End::Success));
    }

    #[tokio::test(start_paused = true)]
    async fn a_retry_does_not_wait_behind_the_items_still_to_send() {
        // Item 0 is refused once (503): once its backoff (at most 200 ms) is
        // over, its second attempt takes the one place before the first
        // attempts waiting for it (one leaves every 100 ms).
        let sender = sender(10, 1, Stop::new());
        let sent = Arc::new(std::sync::Mutex::new(Vec::new()));
        let results = pool(
            &sender,
            30,
            |i, n| if i == 0 && n == 1 { 503 } else { 201 },
            &sent,
        )
        .await;
        let sent = sent.lock().unwrap();
        let again = sent.iter().rposition(|&i| i == 0).unwrap();
        assert!(
            again <= 5,
            "the retry waited behind first attempts: {sent:?}"
        );
        assert_eq!(results.len(), 30);
        let first = results.iter().find(|(i, _)| *i == 0).unwrap();
        assert_eq!((first.1.end, first.1.attempts), (End::Success, 2));
    }

    #[tokio::test(start_paused = true)]
    async fn on_a_refused_token_every_item_comes_back_and_nothing_more_leaves() {
        let stop = Stop::new();
        let sender = sender(1000, 4, stop.clone());
        let sent = Arc::new(std::sync::Mutex::new(Vec::new()));
        let results = pool(&sender, 100, |_, _| 401, &sent).await;
        assert_eq!(results.len(), 100, "every item is handed back");
        assert!(results.iter().all(|(_, s)| s.end == End::Stopped));
        assert_eq!(stop.reason(), Some(StopReason::Credentials(401)));
        // At most the requests already in flight when the first 401 came.
        assert!(
            sent.lock().unwrap().len() <= 4,
            "{:?}",
            sent.lock().unwrap()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_retry_past_the_deadline_is_not_waited_for() {
        let sender = sender(1000, 1, Stop::new());
        let deadline = Instant::now() + Duration::from_secs(5);
        let s = sender
            .settle(
                None,
                || {
                    std::future::ready(Answer {
                        retry_after: Some(Duration::from_secs(30)),
                        ..answer(429)
                    })
                },
                Some(deadline),
            )
            .await;
        assert_eq!(s.end, End::Overdue(Duration::from_secs(30)));
        assert_eq!(s.attempts, 1);
        assert!(Instant::now() < deadline, "nothing was waited for");
    }
}
