//! Reading payments back from the API — `GET /v1/payments/{id}` — for the commands
//! that check Mercado Pago's side of the books (`reconcile`). Each distinct payment
//! is read once, through the same pacer (`rate`), retry policy (`retry`) and
//! circuit breaker as the refunds, by a bounded number of concurrent tasks.
//!
//! Invariants: a GET never changes anything, so retrying is always safe; an answer
//! that cannot be read after the retry budget is `Unreadable`, never a payment
//! with no refunds; 401/403 stop every lookup (the run is then resumable).

use std::collections::HashMap;
use std::sync::Arc;

use crate::client::{Client, PaymentReply, PaymentView, Reply};
use crate::domain::PaymentId;
use crate::rate::Pacer;
use crate::retry::{self, Attempt, Breaker, Verdict};
use crate::runner::{self, Stop, StopReason};

/// What is known of one payment after reading it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Lookup {
    Found(PaymentView),
    NotFound,
    /// No readable answer within the retry budget (or the API refused to say).
    Unreadable(String),
}

/// Reads every payment in `ids` (each once). Returns what was learnt and why the
/// lookups stopped early, if they did; payments not reached are absent.
pub(crate) async fn payments(
    client: Client,
    ids: Vec<PaymentId>,
    settings: &runner::Settings,
    stop: Stop,
) -> (HashMap<PaymentId, Lookup>, Option<StopReason>) {
    let shared = Arc::new(Shared {
        client,
        pacer: Pacer::new(settings.rate, settings.concurrency),
        policy: settings.policy.clone(),
        breaker: Breaker::new(settings.breaker_threshold),
        reach: crate::network::Reach::new(crate::network::FIRST_ATTEMPTS),
        stop: stop.clone(),
    });
    let queue = Arc::new(std::sync::Mutex::new(ids));
    let tasks: Vec<_> = (0..settings.concurrency.max())
        .map(|_| {
            let (shared, queue) = (shared.clone(), queue.clone());
            tokio::spawn(async move {
                let mut found = Vec::new();
                loop {
                    let next = queue.lock().unwrap_or_else(|e| e.into_inner()).pop();
                    let Some(id) = next else { break };
                    match shared.read(id).await {
                        Some(l) => found.push((id, l)),
                        None => break,
                    }
                }
                found
            })
        })
        .collect();
    let mut all = HashMap::new();
    for t in tasks {
        // A task that panicked loses only what it read: those payments stay absent.
        if let Ok(found) = t.await {
            all.extend(found);
        }
    }
    (all, stop.reason())
}

struct Shared {
    client: Client,
    pacer: Pacer,
    policy: retry::Policy,
    breaker: Breaker,
    reach: crate::network::Reach,
    stop: Stop,
}

impl Shared {
    /// One payment, retried as a refund would be; `None` when the run stopped.
    async fn read(&self, id: PaymentId) -> Option<Lookup> {
        let mut attempts = 0;
        loop {
            if self.stop.reason().is_some() {
                return None;
            }
            let pass = tokio::select! {
                p = self.pacer.enter(attempts > 0) => p,
                _ = self.stop.wait() => return None,
            };
            tokio::select! {
                _ = self.pacer.until_ready() => {}
                _ = self.stop.wait() => return None,
            }
            attempts += 1;
            let sent_at = std::time::Instant::now();
            let reply = self.client.payment(id).await;
            drop(pass);
            let attempt = match &reply {
                PaymentReply::Found(_) => Attempt::Status {
                    status: 200,
                    retry_after: None,
                },
                PaymentReply::Failed(r) => runner::attempt_of(r),
            };
            self.pacer.observe(sent_at, runner::signal_of(attempt));
            let tripped = self.breaker.record(attempt);
            let failed = match &reply {
                PaymentReply::Found(_) => None,
                PaymentReply::Failed(r) => Some(r),
            };
            let stop = match failed {
                Some(r) => crate::network::stop_for(&self.reach, tripped, r),
                // A payment read is an answer: the breaker is closed by it too.
                None => {
                    self.reach.record(None);
                    None
                }
            };
            if let Some(reason) = stop {
                self.stop.request(reason);
            }
            match retry::decide(&self.policy, attempts, attempt, fastrand::f64) {
                Verdict::Success => {
                    if let PaymentReply::Found(p) = reply {
                        return Some(Lookup::Found(p));
                    }
                }
                Verdict::StopRun => {
                    if let PaymentReply::Failed(Reply::Error { status, .. }) = reply {
                        self.stop.request(StopReason::Credentials(status));
                    }
                    return None;
                }
                Verdict::Permanent | Verdict::Exhausted => {
                    return Some(match reply {
                        PaymentReply::Found(p) => Lookup::Found(p),
                        PaymentReply::Failed(Reply::Error { status: 404, .. }) => Lookup::NotFound,
                        PaymentReply::Failed(Reply::Error { status, cause, .. }) => {
                            Lookup::Unreadable(
                                cause.map_or_else(|| format!("HTTP {status}"), |c| c.message),
                            )
                        }
                        PaymentReply::Failed(Reply::Unknown { reason, .. }) => {
                            Lookup::Unreadable(reason)
                        }
                        PaymentReply::Failed(Reply::Refund { status, .. }) => {
                            Lookup::Unreadable(format!("HTTP {status}"))
                        }
                    });
                }
                Verdict::Retry(delay) => {
                    tokio::select! {
                        _ = tokio::time::sleep(delay) => {}
                        _ = self.stop.wait() => return None,
                    }
                }
            }
        }
    }
}
