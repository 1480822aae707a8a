//! Reading payments back from the API — `GET /v1/payments/{id}` — for the commands
//! that check Mercado Pago's side of the books (`reconcile`). Each distinct payment
//! is read once, by the send loop the refunds go through (`send`: pacer, retry
//! policy, circuit breaker), in the one pool (a task per payment, the in-flight
//! gate bounding how many are read at once).
//!
//! Invariants: a GET never changes anything, so retrying is always safe; an answer
//! that cannot be read after the retry budget is `Unreadable`, never a payment
//! with no refunds; 401/403 stop every lookup (the run is then resumable).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::client::{Client, PaymentReply, PaymentView, Reply};
use crate::domain::PaymentId;
use crate::rate::Pass;
use crate::send::{End, Sender, Stop, StopReason};
use crate::settings::Sending;

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
    settings: &Sending,
    stop: Stop,
) -> (HashMap<PaymentId, Lookup>, Option<StopReason>) {
    payments_counted(client, ids, settings, stop, &AtomicU64::new(0)).await
}

/// [`payments`], counting in `counted` each payment as its reading ends (a page
/// shows how far it is).
pub(crate) async fn payments_counted(
    client: Client,
    ids: Vec<PaymentId>,
    settings: &Sending,
    stop: Stop,
    counted: &AtomicU64,
) -> (HashMap<PaymentId, Lookup>, Option<StopReason>) {
    let sender = Arc::new(Sender::new(settings, stop.clone()));
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    for id in ids {
        // The receiver is right here.
        let _ = tx.send(id);
    }
    drop(tx);
    let mut all = HashMap::new();
    let pooled = sender
        .each(
            rx,
            |id: PaymentId, first| {
                let (sender, client) = (sender.clone(), client.clone());
                async move { (id, read(&sender, first, &client, id).await) }
            },
            |(id, found)| {
                counted.fetch_add(1, Ordering::Relaxed);
                if let Some(found) = found {
                    all.insert(id, found);
                }
            },
        )
        .await;
    // A task that panicked loses only what it was reading: those payments stay absent.
    if let Err(e) = pooled {
        tracing::error!("reading payments back: {e:#}");
    }
    (all, stop.reason())
}

/// One payment, retried as a refund would be; `None` when the run stopped.
async fn read(
    sender: &Sender,
    first: Option<Pass>,
    client: &Client,
    id: PaymentId,
) -> Option<Lookup> {
    let s = sender.settle(first, || client.payment(id), None).await;
    let (reply, _) = s.last?;
    match s.end {
        End::Stopped | End::Overdue(_) => None,
        End::Success | End::Permanent | End::Exhausted => Some(match reply {
            PaymentReply::Found(p) => Lookup::Found(p),
            PaymentReply::Failed(Reply::Error { status: 404, .. }) => Lookup::NotFound,
            PaymentReply::Failed(Reply::Error { status, cause, .. }) => {
                Lookup::Unreadable(cause.map_or_else(|| format!("HTTP {status}"), |c| c.message))
            }
            PaymentReply::Failed(Reply::Unknown { reason, .. }) => Lookup::Unreadable(reason),
            PaymentReply::Failed(Reply::Refund { status, .. }) => {
                Lookup::Unreadable(format!("HTTP {status}"))
            }
        }),
    }
}
