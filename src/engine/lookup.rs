//! Reading payments and orders back from the API — `GET /v1/payments/{id}`,
//! `GET /v1/orders/{id}` — for the commands that check Mercado Pago's side of
//! the books (`reconcile`, the read-backs of rows in doubt, `plan --online`).
//! Each distinct payment or order is read once, by the send loop the refunds
//! go through (`send`: pacer, retry policy, circuit breaker), in the one pool
//! (a future per read, the in-flight gate bounding how many are read at once).
//!
//! Invariants: a GET never changes anything, so retrying is always safe; an answer
//! that cannot be read after the retry budget is `Unreadable`, never a payment
//! (or order) with no refunds; 401/403 stop every lookup (the run is then
//! resumable).

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::api::client::{Client, Fetched, MpRefund, PaymentView, Reply};
use crate::api::orders_api::OrderView;
use crate::domain::settings::Sending;
use crate::domain::{Books, OrderId, PaymentId};
use crate::engine::send::{End, Sender, Stop, StopReason};

/// What is known of one payment (or order) after reading it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Lookup<T = PaymentView> {
    Found(T),
    NotFound,
    /// No readable answer within the retry budget (or the API refused to say).
    Unreadable(String),
}

/// What a read-back needs of a payment or an order: the refunds Mercado Pago
/// lists for it, and its currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Listed {
    /// `None` when the answer lists none (a payment without `refunds`): it
    /// settles nothing.
    pub refunds: Option<Vec<MpRefund>>,
    pub currency: Option<String>,
}

impl From<PaymentView> for Listed {
    fn from(p: PaymentView) -> Listed {
        Listed {
            refunds: p.refunds,
            currency: p.currency_id,
        }
    }
}

impl From<OrderView> for Listed {
    fn from(o: OrderView) -> Listed {
        Listed {
            refunds: Some(o.refunds),
            currency: o.currency,
        }
    }
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
    read_all(client, ids, settings, stop, counted, |c, id| async move {
        c.payment(id).await
    })
    .await
}

/// Reads every order in `ids` (each once), as [`payments`] reads payments.
pub(crate) async fn orders(
    client: Client,
    ids: Vec<OrderId>,
    settings: &Sending,
    stop: Stop,
) -> (HashMap<OrderId, Lookup<OrderView>>, Option<StopReason>) {
    read_all(
        client,
        ids,
        settings,
        stop,
        &AtomicU64::new(0),
        |c, id| async move { c.order(id).await },
    )
    .await
}

/// Reads the refunds of every payment and order in `ids` (each once), in one
/// pool: what the read-backs of rows in doubt and `reconcile` judge by.
pub(crate) async fn books(
    client: Client,
    ids: Vec<Books>,
    settings: &Sending,
    stop: Stop,
) -> (HashMap<Books, Lookup<Listed>>, Option<StopReason>) {
    read_all(
        client,
        ids,
        settings,
        stop,
        &AtomicU64::new(0),
        |c, id| async move {
            match id {
                Books::Payment(p) => c.payment(p).await.map(Listed::from),
                Books::Order(o) => c.order(o).await.map(Listed::from),
            }
        },
    )
    .await
}

/// Reads every id once through one sender's pool with `read`, counting each
/// in `counted` as it ends.
async fn read_all<K, T, F, Fut>(
    client: Client,
    ids: Vec<K>,
    settings: &Sending,
    stop: Stop,
    counted: &AtomicU64,
    read: F,
) -> (HashMap<K, Lookup<T>>, Option<StopReason>)
where
    K: Copy + Eq + Hash,
    F: Fn(Client, K) -> Fut,
    Fut: Future<Output = Fetched<T>>,
{
    let sender = Arc::new(Sender::new(settings, stop.clone()));
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    for id in ids {
        // The receiver is right here.
        let _ = tx.send(id);
    }
    drop(tx);
    let mut all = HashMap::new();
    let (sender_ref, client, read) = (&sender, &client, &read);
    let pooled = sender
        .each(
            rx,
            |id: K, first| async move {
                let s = sender_ref
                    .settle(first, || read(client.clone(), id), None)
                    .await;
                (id, s.last.and_then(|(reply, _)| lookup_of(s.end, reply)))
            },
            |(id, found)| {
                counted.fetch_add(1, Ordering::Relaxed);
                if let Some(found) = found {
                    all.insert(id, found);
                }
            },
        )
        .await;
    // A read that panicked loses only what it was reading: those stay absent.
    if let Err(e) = pooled {
        tracing::error!("reading payments back: {e:#}");
    }
    (all, stop.reason())
}

/// What one read, retried as a refund would be, learnt; `None` when the run
/// stopped.
fn lookup_of<T>(end: End, reply: Fetched<T>) -> Option<Lookup<T>> {
    match end {
        End::Stopped | End::Overdue(_) => None,
        End::Success | End::Permanent | End::Exhausted => Some(match reply {
            Fetched::Found(found) => Lookup::Found(found),
            Fetched::Failed(Reply::Error { status: 404, .. }) => Lookup::NotFound,
            Fetched::Failed(Reply::Error { status, cause, .. }) => {
                Lookup::Unreadable(cause.map_or_else(|| format!("HTTP {status}"), |c| c.message))
            }
            Fetched::Failed(Reply::Unknown { reason, .. }) => Lookup::Unreadable(reason),
            Fetched::Failed(Reply::Refund { status, .. }) => {
                Lookup::Unreadable(format!("HTTP {status}"))
            }
        }),
    }
}
