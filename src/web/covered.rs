//! The money a console batch's total covers: the plan's amounts, plus what
//! each `full` row would refund — its payment's balance (transaction amount
//! minus what was refunded), read from Mercado Pago with `GET
//! /v1/payments/{id}` for those rows' payments only, by the one send loop
//! (`lookup`), in a task of this process while its page shows how far it is.
//! And the account's currency, which a file without a currency column is in:
//! the `currency` setting, else what the state file learnt, else read once
//! from a payment of the file (its `currency_id`) and remembered there.
//!
//! Invariants: a `full` row whose payment could not be read (not found, an
//! advanced payment, no answer, another currency than the row's) is never
//! given an amount: it stays a `full` row the typed total must name apart
//! (`+ N full`); a payment's balance only shrinks once read (refunds only add
//! up), so the money a batch moves is at most what was approved; one reading
//! per batch per process, started at upload and kept in the batch's life
//! (`registry`); nothing here changes anything at Mercado Pago.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use std::time::Duration;

use rust_decimal::Decimal;

use super::server::Shared;
use crate::api::client::Client;
use crate::ops::plan::{FullRow, PlanReport};
use crate::domain::{Currency, Kind, PaymentId};
use crate::engine::lookup::{self, Lookup};
use crate::domain::totals::{Guard, Tally};

/// How long a submit or an approval waits for a reading under way before it
/// is told to come back (the page shows the reading's progress).
pub(crate) const WAIT: Duration = Duration::from_secs(20);

/// The account's currency, as this process knows it (each batch's reading is
/// kept in its life, `registry`).
pub(crate) struct Covers {
    /// The `currency` setting.
    set: Option<Currency>,
    /// Learnt by this process, or read from the state file's memo.
    learnt: Mutex<Option<Currency>>,
    /// `learnt` is in the state file's memo.
    kept: std::sync::atomic::AtomicBool,
}

/// One batch's `full` rows read back: how far, and what was found.
pub(crate) struct Reading {
    /// Payments to read.
    pub total: u64,
    /// Payments read so far.
    pub done: AtomicU64,
    found: tokio::sync::watch::Sender<Option<Arc<Covered>>>,
}

impl Reading {
    /// What was found, once the reading ended.
    pub(crate) fn found(&self) -> Option<Arc<Covered>> {
        self.found.borrow().clone()
    }

    /// What was found, waiting at most `wait` for it.
    pub(crate) async fn settled(&self, wait: Duration) -> Option<Arc<Covered>> {
        let mut rx = self.found.subscribe();
        let got = tokio::time::timeout(wait, rx.wait_for(Option::is_some)).await;
        match got {
            Ok(Ok(found)) => found.clone(),
            _ => None,
        }
    }
}

/// A batch's money with its `full` rows read back.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Covered {
    /// The plan's tally, each `full` row read back moved into its currency's
    /// sum (its payment's balance); only the unread ones are left as `full`.
    pub tally: Tally,
    /// The `full` rows not read, by payment, and why.
    pub unread: Vec<(PaymentId, String)>,
    /// The account's currency, when known.
    pub account: Option<Currency>,
}

impl Covered {
    /// The total to type, one guard per currency: `501.00:BRL`, `1.00:BRL+2full`.
    pub(crate) fn to_type(&self) -> Vec<Guard> {
        self.tally
            .assuming(self.account)
            .per
            .iter()
            .filter_map(|(c, t)| {
                Some(Guard {
                    amount: *t.sum.as_ref().ok()?,
                    currency: *c,
                    full: t.full,
                })
            })
            .collect()
    }

    /// Full rows named apart, in all currencies.
    pub(crate) fn unread_rows(&self) -> u64 {
        self.tally.per.values().map(|t| t.full).sum()
    }
}

/// What the `full` rows refund, from what was read of their payments (pure).
/// `account`: the currency rows of no currency are in, when known.
pub(crate) fn covered(
    tally: &Tally,
    full_rows: &[FullRow],
    found: &HashMap<PaymentId, Lookup>,
    account: Option<Currency>,
) -> Covered {
    let mut tally = tally.clone();
    let mut unread = Vec::new();
    for f in full_rows {
        let expected = f.currency.or(account);
        let balance = match (f.kind, found.get(&f.payment)) {
            (Kind::AdvancedPayment, _) => {
                Err("an advanced payment: its balance is not read".to_owned())
            }
            (_, Some(Lookup::Found(p))) => {
                let theirs = p.currency_id.as_deref().map(str::parse::<Currency>);
                match (p.transaction_amount, theirs, expected) {
                    (_, Some(Ok(c)), Some(e)) if c != e => {
                        Err(format!("the payment is in {c}, the row in {e}"))
                    }
                    (_, Some(Err(_)), _) => Err("the payment's currency is not one we know".into()),
                    (None, _, _) => Err("the payment has no transaction_amount".into()),
                    (Some(amount), _, _) => {
                        let refunded = p.transaction_amount_refunded.unwrap_or_default();
                        Ok((amount - refunded).max(Decimal::ZERO))
                    }
                }
            }
            (_, Some(Lookup::NotFound)) => Err("payment not found (404)".into()),
            (_, Some(Lookup::Unreadable(why))) => Err(why.clone()),
            (_, None) => Err("not read".into()),
        };
        match balance {
            Ok(b) => {
                let t = tally.per.entry(f.currency).or_default();
                t.full = t.full.saturating_sub(f.rows);
                if let Ok(sum) = t.sum {
                    t.sum = crate::domain::money::add_in(sum, f.currency.or(account), b);
                }
            }
            Err(why) => unread.push((f.payment, why)),
        }
    }
    Covered {
        tally,
        unread,
        account,
    }
}

/// The account's currency as a payment of it says (`currency_id`).
fn currency_of(found: &HashMap<PaymentId, Lookup>, ids: &[PaymentId]) -> Option<Currency> {
    ids.iter().find_map(|id| match found.get(id) {
        Some(Lookup::Found(p)) => p.currency_id.as_deref()?.parse().ok(),
        _ => None,
    })
}

impl Covers {
    pub(crate) fn new(set: Option<Currency>) -> Covers {
        Covers {
            set,
            learnt: Mutex::new(None),
            kept: Default::default(),
        }
    }

    fn learnt(&self) -> MutexGuard<'_, Option<Currency>> {
        self.learnt.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The account's currency: set, learnt, or remembered by the state file.
    pub(crate) fn account(&self, state: &Path) -> Option<Currency> {
        if let Some(c) = self.set.or(*self.learnt()) {
            return Some(c);
        }
        let remembered = crate::store::ledger::Ledger::open(state)
            .and_then(|l| l.memo::<String>(crate::domain::totals::ACCOUNT_CURRENCY))
            .ok()
            .flatten()
            .and_then(|c| c.parse().ok());
        if remembered.is_some() {
            *self.learnt() = remembered;
            self.kept.store(true, Ordering::Relaxed);
        }
        remembered
    }

    /// Puts the account's currency learnt by this process in the state file,
    /// once: `reconcile --report` reads it there.
    fn keep(&self, state: &Path) {
        let Some(c) = *self.learnt() else {
            return;
        };
        if self.set.is_some() || self.kept.swap(true, Ordering::Relaxed) {
            return;
        }
        let kept = crate::store::ledger::Ledger::open(state)
            .and_then(|mut l| l.set_memo(crate::domain::totals::ACCOUNT_CURRENCY, &c.to_string()));
        if let Err(e) = kept {
            self.kept.store(false, Ordering::Relaxed);
            tracing::warn!("remembering the account's currency {c}: {e:#}");
        }
    }
}

/// Whether batch `id`'s money needs Mercado Pago: `full` rows to read, or the
/// account's currency for rows of none (`currency`: asked for).
pub(crate) fn needs_reading(app: &Shared, plan: &PlanReport, currency: bool) -> bool {
    !plan.full_rows.is_empty()
        || (currency
            && plan.totals.per.contains_key(&None)
            && app.covers.account(&app.state).is_none())
}

/// Batch `id`'s reading: the one under way or done, else a new one — of its
/// `full` rows' payments, and of its first payment when the account's
/// currency is not known yet. `remember`: what it learns of the account's
/// currency goes into the state file too (not from a page view: a GET
/// changes nothing).
pub(crate) fn start(app: &Shared, id: &str, plan: &PlanReport, remember: bool) -> Arc<Reading> {
    let account = app.covers.account(&app.state);
    let mut ids: Vec<PaymentId> = plan
        .full_rows
        .iter()
        .filter(|f| f.kind == Kind::Payment)
        .map(|f| f.payment)
        .collect();
    // Payments whose currency is the account's: the rows of no currency's.
    let mut of_account: Vec<PaymentId> = plan
        .full_rows
        .iter()
        .filter(|f| f.kind == Kind::Payment && f.currency.is_none())
        .map(|f| f.payment)
        .collect();
    if account.is_none()
        && plan.totals.per.contains_key(&None)
        && let Some((first, Kind::Payment)) = plan.first_payment
    {
        if !ids.contains(&first) {
            ids.push(first);
        }
        of_account.push(first);
    }
    let (reading, fresh) = app.batches.cover(id, |kept| {
        if let Some(r) = kept {
            // A reading that could not learn the currency is done again — for
            // a step, not for a page view.
            let stale = remember
                && account.is_none()
                && r.found().is_some_and(|c| c.account.is_none())
                && plan.totals.per.contains_key(&None);
            if !stale {
                return (r.clone(), (r.clone(), false));
            }
        }
        let (found, _) = tokio::sync::watch::channel(None);
        let r = Arc::new(Reading {
            total: ids.len() as u64,
            done: AtomicU64::new(0),
            found,
        });
        (r.clone(), (r, true))
    });
    if !fresh {
        return reading;
    }
    let (tally, full_rows) = (plan.totals.clone(), plan.full_rows.clone());
    let Some(send) = app.send.clone().filter(|_| !ids.is_empty()) else {
        // Nothing to read, or no token to read with: every `full` row unread.
        let none = HashMap::new();
        let c = covered(&tally, &full_rows, &none, account);
        reading.found.send_replace(Some(Arc::new(c)));
        return reading;
    };
    let (app, r) = (app.clone(), reading.clone());
    tokio::spawn(async move {
        let found = match Client::new(&send.api_base, &send.token, &send.sending.client) {
            Ok(client) => {
                let stop = crate::engine::send::Stop::new();
                let (found, stopped) =
                    lookup::payments_counted(client, ids, &send.sending, stop, &r.done).await;
                if let Some(why) = stopped {
                    tracing::warn!("reading the full rows' payments stopped: {why}");
                }
                found
            }
            Err(e) => {
                tracing::warn!("reading the full rows' payments: {e:#}");
                HashMap::new()
            }
        };
        let mut account = account;
        if account.is_none()
            && let Some(c) = currency_of(&found, &of_account)
        {
            *app.covers.learnt() = Some(c);
            if remember {
                let covers = app.clone();
                // The state file is written on a blocking thread.
                let _ =
                    tokio::task::spawn_blocking(move || covers.covers.keep(&covers.state)).await;
            }
            account = Some(c);
        }
        let c = covered(&tally, &full_rows, &found, account);
        r.found.send_replace(Some(Arc::new(c)));
    });
    reading
}

/// The account's currency for a batch whose plan is `plan`: known, or read
/// from its first payment now (reading back a report needs it).
pub(crate) async fn account_for(app: &Shared, id: &str, plan: &PlanReport) -> Option<Currency> {
    if let Some(c) = app.covers.account(&app.state) {
        app.covers.keep(&app.state);
        return Some(c);
    }
    let reading = start(app, id, plan, true);
    reading.settled(WAIT).await.and_then(|c| c.account)
}

/// The covered money of a batch now: read back when `full` rows (or the
/// account's currency, `currency`) need it — waiting at most [`WAIT`], else
/// the reading under way (`Err`) — or the plan's own when nothing does.
pub(crate) async fn now(
    app: &Shared,
    id: &str,
    plan: &PlanReport,
    currency: bool,
) -> Result<Arc<Covered>, Arc<Reading>> {
    app.covers.keep(&app.state);
    if !needs_reading(app, plan, currency) {
        let account = app.covers.account(&app.state);
        let none = HashMap::new();
        return Ok(Arc::new(covered(
            &plan.totals,
            &plan.full_rows,
            &none,
            account,
        )));
    }
    let reading = start(app, id, plan, true);
    match reading.settled(WAIT).await {
        Some(c) => Ok(c),
        None => Err(reading),
    }
}

/// How far a reading is: (read, of).
pub(crate) fn progress(r: &Reading) -> (u64, u64) {
    (r.done.load(Ordering::Relaxed).min(r.total), r.total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::client::PaymentView;
    use crate::domain::Requested;

    fn id(n: u64) -> PaymentId {
        PaymentId::new(n).unwrap()
    }

    fn full(n: u64, currency: Option<Currency>) -> FullRow {
        FullRow {
            payment: id(n),
            kind: Kind::Payment,
            currency,
            rows: 1,
        }
    }

    fn paid(amount: i64, refunded: i64, currency: &str) -> Lookup {
        Lookup::Found(PaymentView {
            status: Some("approved".into()),
            currency_id: Some(currency.into()),
            transaction_amount: Some(Decimal::new(amount, 2)),
            transaction_amount_refunded: Some(Decimal::new(refunded, 2)),
            date_approved: None,
            refunds: None,
        })
    }

    /// One row of 1.00 and five `full` rows: three read (what is left of each
    /// in the sum), two not (named apart).
    #[test]
    fn read_full_rows_are_in_the_sum_and_unread_ones_named_apart() {
        let mut tally = Tally::default();
        tally.add(None, Requested::parse("1.00", None).unwrap());
        let rows: Vec<FullRow> = (1..=5).map(|n| full(n, None)).collect();
        for _ in &rows {
            tally.add(None, Requested::Full);
        }
        let mut found = HashMap::new();
        found.insert(id(1), paid(10000, 0, "BRL"));
        found.insert(id(2), paid(10000, 2500, "BRL"));
        found.insert(id(3), paid(5000, 5000, "BRL"));
        found.insert(id(4), Lookup::NotFound);
        let c = covered(&tally, &rows, &found, Some(Currency::BRL));
        let shown: Vec<String> = c.to_type().iter().map(ToString::to_string).collect();
        assert_eq!(shown, ["176.00:BRL+2full"]);
        assert_eq!(c.unread_rows(), 2);
        assert_eq!(c.unread.len(), 2);
        assert!(
            c.unread
                .iter()
                .any(|(p, why)| *p == id(4) && why.contains("404"))
        );
        // The typed total must be that one.
        let typed = crate::domain::totals::typed("176.00 BRL + 2 full").unwrap();
        assert!(crate::domain::totals::check_expected(&c.tally, &typed, c.account).is_ok());
        let typed = crate::domain::totals::typed("1.00:BRL").unwrap();
        assert!(crate::domain::totals::check_expected(&c.tally, &typed, c.account).is_err());
        let typed = crate::domain::totals::typed("176.00:USD+2full").unwrap();
        assert!(crate::domain::totals::check_expected(&c.tally, &typed, c.account).is_err());
    }

    /// A payment in another currency than its row's is not the row's money.
    #[test]
    fn a_payment_in_another_currency_is_unread() {
        let mut tally = Tally::default();
        let clp: Currency = "CLP".parse().unwrap();
        tally.add(Some(clp), Requested::Full);
        let rows = [full(7, Some(clp))];
        let mut found = HashMap::new();
        found.insert(id(7), paid(10000, 0, "BRL"));
        let c = covered(&tally, &rows, &found, None);
        assert_eq!(c.unread_rows(), 1);
        assert!(c.unread[0].1.contains("in BRL"), "{:?}", c.unread);
        assert_eq!(currency_of(&found, &[id(7)]), Some(Currency::BRL));
    }
}
