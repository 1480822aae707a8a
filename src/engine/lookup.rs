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

/// What the API is read back for, by its id: a payment, an order, or the
/// refunds of either ([`Books`]). [`read`] reads any of them.
pub(crate) trait Readable: Copy + Eq + Hash {
    /// What a reading of it finds.
    type Found;
    /// One `GET` of it (the pool retries it as a refund is retried).
    fn read(self, client: Client) -> impl Future<Output = Fetched<Self::Found>> + Send;
}

impl Readable for PaymentId {
    type Found = PaymentView;
    async fn read(self, client: Client) -> Fetched<PaymentView> {
        client.payment(self).await
    }
}

impl Readable for OrderId {
    type Found = OrderView;
    async fn read(self, client: Client) -> Fetched<OrderView> {
        client.order(self).await
    }
}

/// The refunds of every payment and order: what the read-backs of rows in
/// doubt and `reconcile` judge by.
impl Readable for Books {
    type Found = Listed;
    async fn read(self, client: Client) -> Fetched<Listed> {
        match self {
            Books::Payment(p) => client.payment(p).await.map(Listed::from),
            Books::Order(o) => client.order(o).await.map(Listed::from),
        }
    }
}

/// Reads every id in `ids` (each once). Returns what was learnt and why the
/// lookups stopped early, if they did; ids not reached are absent.
pub(crate) async fn read<K: Readable>(
    client: Client,
    ids: Vec<K>,
    settings: &Sending,
    stop: Stop,
) -> (HashMap<K, Lookup<K::Found>>, Option<StopReason>) {
    read_counted(client, ids, settings, stop, &AtomicU64::new(0)).await
}

/// [`read`], through one sender's pool, counting in `counted` each id as its
/// reading ends (a page shows how far it is).
pub(crate) async fn read_counted<K: Readable>(
    client: Client,
    ids: Vec<K>,
    settings: &Sending,
    stop: Stop,
    counted: &AtomicU64,
) -> (HashMap<K, Lookup<K::Found>>, Option<StopReason>) {
    let sender = Arc::new(Sender::new(settings, stop.clone()));
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    for id in ids {
        // The receiver is right here.
        let _ = tx.send(id);
    }
    drop(tx);
    let mut all = HashMap::new();
    let (sender_ref, client) = (&sender, &client);
    let pooled = sender
        .each(
            rx,
            |id: K, first| async move {
                let s = sender_ref
                    .settle(first, || id.read(client.clone()), None)
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
