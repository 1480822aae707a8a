//! The same file twice: an upload whose payments earlier batches of the state
//! file refunded, or may have refunded — under other keys (the guard's
//! business) or as these very rows (sending them again refunds nothing, but
//! the list would then hold two batches with the same money). The batch page
//! says how many rows, when and in which batch, by its file's name; a submit
//! of such an upload needs the submitter's explicit confirmation, checked in
//! `review` whatever the page showed.
//!
//! Invariant: an upload's own doing never counts against it — the rows of the
//! ledger batch its approval made count only when that batch was there before
//! the upload (the same file, sent by an earlier batch).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::app::App;
use super::i18n::{Words, rows};
use super::store::Upload;
use crate::ops::plan::PlanReport;
use crate::store::ledger::PriorRefund;

/// The earlier refunds of `plan`'s rows that were not `u`'s own doing: on
/// their payments under other keys, then the same rows.
pub(crate) fn earlier<'p>(
    plan: &'p PlanReport,
    u: &Upload,
) -> impl Iterator<Item = &'p PriorRefund> + use<'p> {
    let own = u.review.as_ref().and_then(|r| r.ledger_batch.clone());
    let uploaded = u.uploaded_at_ms;
    plan.prior.iter().chain(&plan.repeated).filter(move |p| {
        own.as_deref() != Some(p.batch_id.as_str()) || p.batch_created_at_ms < uploaded
    })
}

/// How many rows of `u` earlier batches refunded, or may have: what a submit
/// must confirm.
pub(crate) fn rows(plan: &PlanReport, u: &Upload) -> usize {
    crate::ops::plan::rows_of(earlier(plan, u))
}

/// The file name of each ledger batch the console sent, from the earliest
/// upload that made or resumed it other than `u` (`u`'s own name never names
/// an earlier batch). Empty when `plan` names no earlier batch: no lookup then.
pub(crate) fn names(
    app: &App,
    plan: &PlanReport,
    u: &Upload,
) -> anyhow::Result<HashMap<String, String>> {
    if earlier(plan, u).next().is_none() {
        return Ok(HashMap::new());
    }
    let mut names = HashMap::new();
    // Newest first: the oldest upload of a ledger batch names it.
    for up in app.store().uploads(10_000)?.into_iter().rev() {
        if up.id == u.id {
            continue;
        }
        if let Some(b) = up.review.and_then(|r| r.ledger_batch) {
            names.entry(b).or_insert(up.original_name);
        }
    }
    Ok(names)
}

/// The name a ledger batch is called by: its file's, else its id's start.
pub(crate) fn name_of(names: &HashMap<String, String>, batch: &str) -> String {
    names
        .get(batch)
        .cloned()
        .unwrap_or_else(|| batch.chars().take(12).collect())
}

/// One earlier batch as the warning says it.
pub(crate) struct EarlierBatch {
    /// Its file's name.
    pub name: String,
    /// Rows of this upload it refunded, or may have.
    pub rows: usize,
    /// Its last attempt at those rows, in the page's words (empty: none).
    pub when: String,
}

/// The warning of an upload that repeats earlier refunds.
pub(crate) struct Repeat {
    pub rows: usize,
    pub batches: Vec<EarlierBatch>,
}

impl Repeat {
    pub(crate) fn of(
        plan: &PlanReport,
        u: &Upload,
        names: &HashMap<String, String>,
        w: Words,
    ) -> Repeat {
        let mut per: BTreeMap<&str, (BTreeSet<u64>, Option<i64>)> = BTreeMap::new();
        for p in earlier(plan, u) {
            let (rows, last) = per.entry(p.batch_id.as_str()).or_default();
            rows.insert(p.row_no);
            *last = (*last).max(p.last_attempt_at_ms);
        }
        let mut batches: Vec<(Option<i64>, EarlierBatch)> = per
            .into_iter()
            .map(|(b, (rows, last))| {
                let batch = EarlierBatch {
                    name: name_of(names, b),
                    rows: rows.len(),
                    when: last.map(|t| w.date(t)).unwrap_or_default(),
                };
                (last, batch)
            })
            .collect();
        // The oldest first: the order they happened in.
        batches.sort_by_key(|(last, _)| *last);
        Repeat {
            rows: rows(plan, u),
            batches: batches.into_iter().map(|(_, b)| b).collect(),
        }
    }
}

/// Each earlier refund of `u`'s rows as the batch page lists it: (line,
/// payment, what the earlier batch did), by line.
pub(crate) fn listed(
    plan: &PlanReport,
    u: &Upload,
    names: &HashMap<String, String>,
    w: Words,
) -> Vec<(u64, String, String)> {
    let mut out: Vec<(u64, String, String)> = earlier(plan, u)
        .map(|p| (p.line, p.payment_id.clone(), rows::prior(&w, p, names)))
        .collect();
    out.sort_by_key(|(line, ..)| *line);
    out
}
