//! A console batch's reading of Mercado Pago for its money (`covered`):
//! started at upload, found again by its page and its approval, in the
//! batch's life (`registry`), so one reading per batch per process; what it
//! learns of the account's currency kept in the state file only when asked.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use super::app::Shared;
use super::covered::{Covered, Reading, WAIT, covered, currency_of};
use crate::api::client::Client;
use crate::domain::{Currency, Kind, PaymentId};
use crate::engine::lookup;
use crate::ops::plan::PlanReport;

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
                    lookup::read_counted(client, ids, &send.sending, stop, &r.done).await;
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
