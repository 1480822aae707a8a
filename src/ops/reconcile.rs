//! `mprefund reconcile`: reads each payment (and each order) of a batch back
//! from the API and compares it with the state file, row by row — the other
//! half of the books.
//!
//! Invariants: it sends no POST, ever, and is safe to run any number of times;
//! the state file changes only for rows whose refund settled or was rejected since,
//! in one transaction after every payment was read — an interrupted reconcile
//! leaves the state as it was; a payment that cannot be read is a finding
//! (`unreadable`), never `matched`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use rust_decimal::Decimal;
use strum::IntoEnumIterator;

use super::batch::{self, SendOptions};
use crate::api::client::{Client, MpRefund};
use crate::domain::ending::{Ending, Exit};
use crate::domain::{
    Books, Cause, CauseCode, OrderRef, Outcome, RefundStatus, Requested, RowResult, Target, joint,
};
use crate::engine::doubt;
use crate::engine::lookup::{self, Lookup};
use crate::engine::send::{Stop, StopReason};
use crate::sheets::report;
use crate::store::ledger::{DoubtRow, DoubtScope, StoredRow, Verdict};
use crate::store::lock::BatchLock;
use crate::{Usage, domain::clock};

pub(crate) use crate::domain::books::Finding;
use crate::domain::books::{SAMPLE_PER_FINDING, Sample};
use crate::domain::money::{Counted, MoneyByCurrency};

#[derive(Debug)]
pub(crate) struct ReconcileRequest {
    pub state: PathBuf,
    pub pick: batch::Pick,
    /// Its API base, unless given, is the one the batch was sent to.
    pub send: SendOptions,
    pub out: Option<PathBuf>,
    pub metrics_file: Option<PathBuf>,
}

/// What `reconcile` found, for `cli` to render.
#[derive(Debug)]
pub(crate) struct Reconciled {
    pub batch_id: String,
    /// Lines per finding, and the amounts they name (Mercado Pago's, else ours)
    /// as one plain figure over every currency.
    pub counts: BTreeMap<Finding, Counted>,
    /// The same amounts per currency (the row's, else the payment's at Mercado
    /// Pago; `""` when neither says).
    pub money: BTreeMap<Finding, MoneyByCurrency>,
    /// The first lines of each finding, for a page (the CSV has them all).
    pub sample: Sample<Finding, Noted>,
    /// Rows of the state file changed (settled, rejected later).
    pub updated: usize,
    pub out: PathBuf,
    pub stopped: Option<StopReason>,
}

/// A stop says its own exit; else 0 when every finding agrees with Mercado
/// Pago, 1 when one does not.
impl Ending for Reconciled {
    fn exit(&self) -> Exit {
        if let Some(reason) = &self.stopped {
            reason.exit()
        } else if self.counts.keys().all(|f| f.agrees()) {
            Exit::Ok
        } else {
            Exit::SomeFailed
        }
    }
}

impl Reconciled {
    /// For stderr; its next steps reach the batch as `reach`.
    pub(crate) fn render(
        &self,
        w: &mut dyn Write,
        reach: &crate::domain::steps::Reach,
    ) -> std::io::Result<()> {
        let next = reach.on(&self.batch_id, false);
        writeln!(
            w,
            "batch {}: reconciled against Mercado Pago",
            self.batch_id
        )?;
        for (finding, c) in &self.counts {
            let (n, amount) = (c.rows, c.sum);
            writeln!(w, "  {:<22} {n:>7}   {amount}", finding.as_str())?;
            if let Some(step) = next.finding(*finding) {
                writeln!(w, "      next: {step}")?;
            }
        }
        if self.updated > 0 {
            writeln!(w, "  {} row(s) updated in the state file", self.updated)?;
        }
        if let Some(r) = &self.stopped {
            writeln!(
                w,
                "stopped early: {r}; nothing was changed; read it back again: {}",
                next.command(crate::domain::steps::Step::Reconcile)
            )?;
        }
        writeln!(w, "reconciliation: {}", self.out.display())
    }

    /// The first step its findings (or its stop) ask of a person, if any,
    /// said with the commands that reach the batch as `reach`.
    pub(crate) fn first_step(&self, reach: &crate::domain::steps::Reach) -> Option<String> {
        let next = reach.on(&self.batch_id, false);
        match &self.stopped {
            Some(_) => Some(
                next.command(crate::domain::steps::Step::Reconcile)
                    .to_string(),
            ),
            None => self.counts.keys().find_map(|f| next.finding(*f)),
        }
    }

    /// The findings that disagree with Mercado Pago, with their lines: what a
    /// notification names.
    pub(crate) fn disagreeing(&self) -> Vec<(Finding, u64)> {
        self.counts
            .iter()
            .filter(|(f, _)| !f.agrees())
            .map(|(f, c)| (*f, c.rows))
            .collect()
    }

    /// The one line, ending with the first step its findings ask of a person,
    /// if any: what `--quiet` leaves in a cron log.
    pub(crate) fn line(&self, reach: &crate::domain::steps::Reach) -> String {
        match self.first_step(reach) {
            Some(s) => format!("{}; next: {s}", self.one_line()),
            None => self.one_line(),
        }
    }

    /// What `--quiet` still says, for a cron log: one line, as `run` does.
    pub(crate) fn one_line(&self) -> String {
        let counts: Vec<String> = self
            .counts
            .iter()
            .map(|(f, c)| format!("{} {}", f.as_str(), c.rows))
            .collect();
        let stopped = batch::stopped_note(self.stopped.as_ref());
        format!(
            "batch {}: reconciled ({}); {} row(s) updated{stopped}; exit {}; reconciliation {}",
            self.batch_id,
            counts.join(", "),
            self.updated,
            self.exit().code(),
            self.out.display()
        )
    }
}

/// One line of the reconciliation, as a page lists it.
#[derive(Debug, Clone)]
pub(crate) struct Noted {
    /// The row of the state file (none: a refund no row made).
    pub row: Option<u64>,
    /// Its payment, or its order.
    pub payment: Target,
    pub refund_id: Option<String>,
    /// `""` when neither the row nor Mercado Pago says.
    pub currency: String,
    pub state_amount: Option<Decimal>,
    pub mp_amount: Option<Decimal>,
    pub mp_status: Option<RefundStatus>,
}

/// One line of the reconciliation CSV.
struct Line<'a> {
    row: Option<&'a StoredRow>,
    finding: Finding,
    payment: Target,
    refund_id: Option<String>,
    state_amount: Option<Decimal>,
    /// What Mercado Pago lists of the refund the line is about (a set read as
    /// one, for refunds one request made together).
    mp: Option<MpRefund>,
}

pub(crate) async fn reconcile(req: ReconcileRequest, stop: Stop) -> anyhow::Result<Reconciled> {
    let mut ledger = batch::open_existing(&req.state)?;
    let batch = batch::select_batch(&ledger, &req.state, &req.pick)?;
    let out = req
        .out
        .as_deref()
        .map(|p| batch::expand_for(p, &batch))
        .unwrap_or_else(|| {
            crate::store::paths::beside(
                Path::new(&batch.input_path),
                crate::store::paths::Sheet::Reconcile,
            )
        });
    let results = batch::out_for(&batch, &batch::OutputOptions::default());
    let mut outputs = vec![("--out", out.as_path()), ("the results", results.as_path())];
    let metrics_file = req
        .metrics_file
        .as_deref()
        .map(|p| batch::expand_for(p, &batch));
    outputs.extend(metrics_file.as_deref().map(|p| ("--metrics-file", p)));
    crate::store::paths::check_outputs(Some(Path::new(&batch.input_path)), &req.state, &outputs)?;
    let lock = BatchLock::acquire(&req.state, &batch.id, "reconcile")?;

    let mut rows = Vec::new();
    ledger.for_each_row(&batch.id, |r| {
        rows.push(r);
        Ok(())
    })?;
    let ids: Vec<Books> = rows
        .iter()
        .filter_map(|r| r.ask.as_ref())
        .filter_map(|a| Books::of(&a.target))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let api_base = batch::api_base_for(&req.send, &batch)?;
    let client = Client::new(&api_base, &req.send.token, &req.send.sending.client)?;
    let (found, stopped) = lookup::read(client, ids, &req.send.sending, stop).await;
    let known = ledger.known_refund_ids()?;
    // The rows in doubt on the batch's payments, decided from the same reads:
    // the batch's own become its lines; those of other batches are settled
    // too, so that their refunds are theirs (not outside), and a payment where
    // one stays undecided may hold its refund.
    let read = doubt::refunds_read(&found);
    let mut verdicts: HashMap<u64, (DoubtRow, Option<Verdict>)> = HashMap::new();
    let mut settled: Vec<(DoubtRow, Verdict)> = Vec::new();
    let mut undecided: HashSet<Books> = HashSet::new();
    let mut claimed: HashSet<String> = HashSet::new();
    for (row, verdict) in doubt::decide(
        ledger.rows_in_doubt(&batch.id, DoubtScope::Reconciling)?,
        &read,
        &known,
        clock::now_ms(),
        req.send.sending.settle_after,
    ) {
        if verdict.is_none()
            && let Some(b) = Books::of(&row.target)
        {
            undecided.insert(b);
        }
        if row.batch_id == batch.id {
            verdicts.insert(row.row_no, (row, verdict));
        } else if let Some(v) = verdict {
            if let Verdict::Refunded { refund_id, .. } = &v {
                claimed.extend(joint::ids(refund_id).map(str::to_owned));
            }
            settled.push((row, v));
        }
    }

    let mut lines: Vec<Line<'_>> = Vec::with_capacity(rows.len());
    let mut updates: Vec<(u64, RowResult)> = Vec::new();
    for row in &rows {
        let Some(ask) = &row.ask else { continue };
        let state_amount = row.result.refunded().or(match ask.requested {
            Requested::Partial(a) => Some(a.get()),
            Requested::Full => None,
        });
        let refunds = match Books::of(&ask.target).and_then(|b| found.get(&b)) {
            Some(Lookup::Found(p)) => p.refunds.as_deref(),
            _ => None,
        };
        let c = match verdicts.remove(&row.row_no) {
            Some((doubtful, verdict)) => {
                in_doubt(doubtful, verdict, refunds, &mut settled, &mut claimed)
            }
            None => classify(row, state_amount, refunds),
        };
        let refund_id = match (c.finding, &c.mp) {
            (Finding::UnknownOutcomeFound, Some(m)) => Some(m.id.clone()),
            _ => row.result.refund.as_ref().map(|r| r.id.clone()),
        };
        if let Some(r) = c.update {
            updates.push((row.row_no, r));
        }
        lines.push(Line {
            row: Some(row),
            finding: c.finding,
            payment: ask.target.clone(),
            refund_id,
            state_amount,
            mp: c.mp,
        });
    }
    // Refunds on the batch's payments and orders that no row of the state file made.
    let mut payments: Vec<&Books> = found.keys().collect();
    payments.sort();
    for id in payments {
        let Some(Lookup::Found(p)) = found.get(id) else {
            continue;
        };
        for m in p.refunds.iter().flatten() {
            if !known.contains(&m.id) && !claimed.contains(&m.id) {
                lines.push(Line {
                    row: None,
                    finding: if undecided.contains(id) {
                        Finding::InDoubt
                    } else {
                        Finding::OutsideRefund
                    },
                    payment: match *id {
                        Books::Payment(p) => Target::Payment(p),
                        Books::Order(order) => Target::Order(OrderRef {
                            order,
                            transaction: None,
                        }),
                    },
                    refund_id: Some(m.id.clone()),
                    state_amount: None,
                    mp: Some(m.clone()),
                });
            }
        }
    }

    let mut counts: BTreeMap<Finding, Counted> = BTreeMap::new();
    let mut money: BTreeMap<Finding, MoneyByCurrency> = BTreeMap::new();
    let mut sample = Sample::new(SAMPLE_PER_FINDING);
    for l in &lines {
        let amount = l.mp.as_ref().and_then(|m| m.amount).or(l.state_amount);
        // Findings mix currencies: the count's figure is a plain checked sum.
        counts
            .entry(l.finding)
            .or_default()
            .add_mixed(amount.unwrap_or_default())?;
        let read = Books::of(&l.payment).and_then(|b| found.get(&b));
        let currency = match (l.row.and_then(|r| r.currency), read) {
            (Some(c), _) => c.to_string(),
            (None, Some(Lookup::Found(p))) => p.currency.clone().unwrap_or_default(),
            (None, _) => String::new(),
        };
        money
            .entry(l.finding)
            .or_default()
            .add(&currency, amount.unwrap_or_default())?;
        sample.offer(l.finding, || Noted {
            row: l.row.map(|r| r.row_no),
            payment: l.payment.clone(),
            refund_id: l.refund_id.clone(),
            currency,
            state_amount: l.state_amount,
            mp_amount: l.mp.as_ref().and_then(|m| m.amount),
            mp_status: l.mp.as_ref().and_then(|m| m.status.clone()),
        });
    }
    write_csv(&out, &batch, &lines)?;
    let updated = if stopped.is_none() && !(updates.is_empty() && settled.is_empty()) {
        ledger.record_and_claim(&batch.id, &updates, 0, 0)?;
        ledger.settle_doubt(&settled)?;
        // In the columns the batch's results were written in.
        let format = batch.settings.results_format.unwrap_or_default();
        report::write_results(&ledger, &batch, &results, format)?;
        updates.len() + settled.len()
    } else {
        0
    };
    let reconciled = Reconciled {
        batch_id: batch.id.clone(),
        counts,
        money,
        sample,
        updated,
        out,
        stopped,
    };
    if let Some(path) = &metrics_file {
        let gauges: Vec<(&str, u64)> = Finding::iter()
            .map(|f| (f.as_str(), reconciled.counts.get(&f).map_or(0, |c| c.rows)))
            .collect();
        let exit = reconciled.exit();
        crate::engine::metrics::write_reconcile(
            path,
            &batch.id,
            &gauges,
            exit,
            clock::now_ms() / 1000,
        )?;
    }
    lock.release(batch::nothing_left_in(&ledger, &batch.id)?);
    Ok(reconciled)
}

/// What the books say of one row.
#[derive(Debug)]
struct Classified {
    finding: Finding,
    /// The refund at Mercado Pago the finding is about: the set the row's
    /// one request made, read as one (`crate::domain::joint`).
    mp: Option<MpRefund>,
    /// The row's result now, when the finding changes it (settled, rejected later).
    update: Option<RowResult>,
}

impl Classified {
    /// A finding that changes nothing of the row.
    fn only(finding: Finding, mp: Option<MpRefund>) -> Classified {
        Classified {
            finding,
            mp,
            update: None,
        }
    }

    /// A finding that changes the row's result to `r`, its refund's status
    /// now `status`, as Mercado Pago's refund `mp` says.
    fn changing(
        finding: Finding,
        mut r: RowResult,
        status: RefundStatus,
        mp: MpRefund,
    ) -> Classified {
        if let Some(f) = r.refund.as_mut() {
            f.status = status;
        }
        Classified {
            finding,
            mp: Some(mp),
            update: Some(r),
        }
    }
}

/// Classifies a row of the batch not in doubt against its payment's refunds
/// at Mercado Pago (`None`: the payment could not be read): pure, so that
/// every case is tested. `state_amount` is what the row refunded, else what it
/// asked.
fn classify(
    row: &StoredRow,
    state_amount: Option<Decimal>,
    refunds: Option<&[MpRefund]>,
) -> Classified {
    let found = Classified::only;
    let Some(refunds) = refunds else {
        return found(Finding::Unreadable, None);
    };
    let outcome = row.result.outcome;
    match (&row.result.refund, outcome) {
        (Some(ours), Outcome::Refunded | Outcome::InProcess) => {
            // Every refund the row's request made, or it is missing.
            let Some(m) = MpRefund::named(refunds, &ours.id).and_then(|p| MpRefund::together(&p))
            else {
                return found(Finding::MissingAtMp, None);
            };
            let status = m.status.as_ref();
            let expected = ours.amount.or(state_amount);
            if expected.is_some() && m.amount != expected {
                found(Finding::AmountDiffers, Some(m))
            } else if let Some(status) = status.filter(|s| s.moved_no_money()) {
                let mut r = row.result.clone();
                r.outcome = Outcome::Failed;
                r.attempts = 0;
                r.retryable = Some(false);
                r.cause = Some(Cause {
                    code: CauseCode::RefundRejected,
                    message: format!(
                        "refund {} is now {status} at Mercado Pago (reconcile)",
                        ours.id
                    ),
                });
                Classified::changing(Finding::RejectedLater, r, status.clone(), m)
            } else if let Some(made) =
                status.filter(|s| outcome == Outcome::InProcess && s.is_made())
            {
                let mut r = row.result.clone();
                r.outcome = Outcome::Refunded;
                r.attempts = 0;
                r.cause = None;
                Classified::changing(Finding::Settled, r, made.clone(), m)
            } else {
                found(Finding::Matched, Some(m))
            }
        }
        _ => found(Finding::NoRefund, None),
    }
}

/// A row in doubt, as the read-back decided it ([`doubt::settle`]): found
/// refunded (its refund is now the row's, given to no other row), found not
/// refunded, or still in doubt (read too soon, or its payment not read).
fn in_doubt(
    row: DoubtRow,
    verdict: Option<Verdict>,
    refunds: Option<&[MpRefund]>,
    settled: &mut Vec<(DoubtRow, Verdict)>,
    claimed: &mut HashSet<String>,
) -> Classified {
    let finding = Classified::only;
    let Some(refunds) = refunds else {
        return finding(Finding::Unreadable, None);
    };
    let Some(verdict) = verdict else {
        return finding(Finding::InDoubt, None);
    };
    let c = match &verdict {
        Verdict::Refunded { refund_id, .. } => {
            claimed.extend(joint::ids(refund_id).map(str::to_owned));
            finding(
                Finding::UnknownOutcomeFound,
                MpRefund::named(refunds, refund_id).and_then(|p| MpRefund::together(&p)),
            )
        }
        Verdict::NotRefunded { .. } => finding(Finding::NoRefund, None),
    };
    settled.push((row, verdict));
    c
}

const COLUMNS: [&str; 7] = [
    "finding",
    "mp_payment_id",
    "refund_id",
    "state_amount",
    "mp_amount",
    "mp_status",
    "mp_date_created",
];

fn write_csv(
    out: &Path,
    batch: &crate::store::ledger::Batch,
    lines: &[Line<'_>],
) -> anyhow::Result<()> {
    if out.exists() && out.is_dir() {
        return Err(Usage(format!("--out {} is a folder", out.display())).into());
    }
    let dialect = crate::sheets::sheet::Dialect::of_batch(batch);
    crate::sheets::sheet::write(out, dialect, |w| {
        let width = batch.header.len();
        let header: Vec<String> = report::original_header(&batch.header)
            .into_iter()
            .chain(std::iter::once("row".to_owned()))
            .chain(COLUMNS.iter().map(|c| c.to_string()))
            .collect();
        w.row(&header)?;
        let dec = |d: Option<Decimal>| d.map(|d| dialect.amount(d)).unwrap_or_default();
        for l in lines {
            let mut record: Vec<String> = match l.row {
                Some(r) => report::original_cells(&r.fields, width, batch.delimiter),
                None => vec![String::new(); width],
            };
            record.push(l.row.map(|r| r.row_no.to_string()).unwrap_or_default());
            record.push(l.finding.as_str().to_owned());
            record.push(l.payment.to_string());
            record.push(l.refund_id.clone().unwrap_or_default());
            record.push(dec(l.state_amount));
            let mp = l.mp.as_ref();
            record.push(dec(mp.and_then(|m| m.amount)));
            record.push(
                mp.and_then(|m| m.status.as_ref())
                    .map_or("", RefundStatus::as_str)
                    .to_owned(),
            );
            record.push(mp.and_then(|m| m.date_created.clone()).unwrap_or_default());
            w.row(&record)?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;
    use crate::domain::RefundInfo;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn row(outcome: Outcome, refund: Option<(&str, &str)>, attempts: u32) -> StoredRow {
        StoredRow {
            row_no: 1,
            line: 2,
            fields: Vec::new(),
            ask: None,
            currency: None,
            result: RowResult {
                attempts,
                refund: refund.map(|(id, amount)| RefundInfo {
                    id: id.into(),
                    status: RefundStatus::InProcess,
                    amount: Some(dec(amount)),
                    created_ms: None,
                }),
                ..RowResult::new(outcome)
            },
            already_done: false,
        }
    }

    fn mp(id: &str, amount: &str, status: RefundStatus) -> MpRefund {
        MpRefund {
            id: id.into(),
            amount: Some(dec(amount)),
            status: Some(status),
            date_created: Some("2026-05-01T10:00:00.000-04:00".into()),
            transaction_id: None,
        }
    }

    fn classified(
        row: &StoredRow,
        refunds: Option<&[MpRefund]>,
        known: &[&str],
    ) -> (Finding, Option<String>, Option<RowResult>) {
        let _ = known;
        let amount = row.result.refunded().or(Some(dec("25")));
        let c = classify(row, amount, refunds);
        (c.finding, c.mp.map(|m| m.id), c.update)
    }

    #[test]
    fn a_made_refund_is_matched_settled_rejected_missing_or_different() {
        let refunded = row(Outcome::Refunded, Some(("7", "25")), 1);
        let approved = [mp("7", "25", RefundStatus::Approved)];
        assert_eq!(
            classified(&refunded, Some(&approved), &["7"]),
            (Finding::Matched, Some("7".into()), None)
        );
        assert_eq!(
            classified(&refunded, Some(&[]), &["7"]).0,
            Finding::MissingAtMp
        );
        assert_eq!(classified(&refunded, None, &["7"]).0, Finding::Unreadable);
        let other = [mp("7", "24.99", RefundStatus::Approved)];
        assert_eq!(
            classified(&refunded, Some(&other), &["7"]).0,
            Finding::AmountDiffers
        );

        // In process, now approved: the row becomes refunded.
        let in_process = row(Outcome::InProcess, Some(("7", "25")), 1);
        let (finding, _, update) = classified(&in_process, Some(&approved), &["7"]);
        assert_eq!(finding, Finding::Settled);
        let update = update.unwrap();
        assert_eq!(update.outcome, Outcome::Refunded);
        assert_eq!(update.refund.unwrap().status, RefundStatus::Approved);
        // Still in process: nothing changes.
        let still = [mp("7", "25", RefundStatus::InProcess)];
        assert_eq!(
            classified(&in_process, Some(&still), &["7"]),
            (Finding::Matched, Some("7".into()), None)
        );

        // Cancelled or rejected since: failed, cause refund_rejected, no money moved.
        for status in [RefundStatus::Cancelled, RefundStatus::Rejected] {
            let gone = [mp("7", "25", status.clone())];
            let (finding, _, update) = classified(&refunded, Some(&gone), &["7"]);
            assert_eq!(finding, Finding::RejectedLater);
            let update = update.unwrap();
            assert_eq!(update.outcome, Outcome::Failed);
            assert_eq!(update.retryable, Some(false));
            assert_eq!(
                update.cause.as_ref().unwrap().code,
                CauseCode::RefundRejected
            );
            assert_eq!(update.refund.as_ref().unwrap().status, status);
            assert_eq!(update.refunded(), None);
        }
    }

    /// A row whose one request made several refunds (a full refund of an
    /// order's transactions) is matched against that whole set, its sum
    /// exactly: one missing is missing, one failed since changes the sum,
    /// every one failed is the row's rejection.
    #[test]
    fn a_set_of_refunds_is_matched_whole_by_its_sum() {
        let refunded = row(Outcome::Refunded, Some(("A+B", "100")), 1);
        let made = |a, b| {
            [
                mp("A", "50.00", a),
                mp("X", "7", RefundStatus::Processed),
                mp("B", "50.00", b),
            ]
        };
        let both = made(RefundStatus::Processed, RefundStatus::Processed);
        assert_eq!(
            classified(&refunded, Some(&both), &[]),
            (Finding::Matched, Some("A+B".into()), None)
        );
        let c = classify(&refunded, None, Some(&both));
        assert_eq!(c.mp.unwrap().amount, Some(dec("100.00")));
        assert_eq!(
            classified(&refunded, Some(&both[..2]), &[]).0,
            Finding::MissingAtMp
        );
        let one_failed = made(RefundStatus::Processed, RefundStatus::Failed);
        assert_eq!(
            classified(&refunded, Some(&one_failed), &[]).0,
            Finding::AmountDiffers
        );
        let none_moved = made(RefundStatus::Failed, RefundStatus::Failed);
        let (finding, _, update) = classified(&refunded, Some(&none_moved), &[]);
        assert_eq!(finding, Finding::RejectedLater);
        assert_eq!(update.unwrap().outcome, Outcome::Failed);
        // In process while one part still is; settled once both are made.
        let in_process = row(Outcome::InProcess, Some(("A+B", "100")), 1);
        let going = made(RefundStatus::Processed, RefundStatus::Processing);
        assert_eq!(
            classified(&in_process, Some(&going), &[]).0,
            Finding::Matched
        );
        assert_eq!(
            classified(&in_process, Some(&both), &[]).0,
            Finding::Settled
        );
    }

    #[test]
    fn a_row_not_in_doubt_finds_nothing_and_one_in_doubt_takes_its_verdict() {
        let theirs = [mp("9", "25", RefundStatus::Approved)];
        // Failed for certain, or never sent: whatever the payment holds is not theirs.
        for settled in [
            row(Outcome::Failed, None, 1),
            row(Outcome::Pending, None, 0),
        ] {
            assert_eq!(
                classified(&settled, Some(&theirs), &[]).0,
                Finding::NoRefund
            );
        }
        let doubtful = || crate::store::ledger::DoubtRow {
            batch_id: "b".into(),
            row_no: 1,
            target: Target::Payment(crate::domain::PaymentId::new(5).unwrap()),
            requested: Requested::Full,
            key: Vec::new(),
            exposed_at_ms: None,
            last_at_ms: 0,
            same_key_refund: None,
        };
        let (mut settled, mut claimed) = (Vec::new(), HashSet::new());
        let books = Books::Payment(crate::domain::PaymentId::new(5).unwrap());
        let found = Verdict::Refunded {
            refund_id: "9".into(),
            status: RefundStatus::Approved,
            amount: Some(dec("25")),
            books,
        };
        let c = in_doubt(
            doubtful(),
            Some(found),
            Some(&theirs),
            &mut settled,
            &mut claimed,
        );
        assert_eq!(c.finding, Finding::UnknownOutcomeFound);
        assert_eq!(c.mp.map(|m| m.id).as_deref(), Some("9"));
        assert!(
            claimed.contains("9"),
            "not counted again as an outside refund"
        );
        let none = Verdict::NotRefunded { books };
        let c = in_doubt(
            doubtful(),
            Some(none),
            Some(&theirs),
            &mut settled,
            &mut claimed,
        );
        assert_eq!(c.finding, Finding::NoRefund);
        assert_eq!(settled.len(), 2);
        // Too soon to say, or not read: nothing written, the books cannot agree yet.
        let c = in_doubt(doubtful(), None, Some(&theirs), &mut settled, &mut claimed);
        assert_eq!(c.finding, Finding::InDoubt);
        let c = in_doubt(doubtful(), None, None, &mut settled, &mut claimed);
        assert_eq!(c.finding, Finding::Unreadable);
        assert_eq!(settled.len(), 2);
    }

    /// The exit is read from the findings: a stop first, then any finding
    /// that does not agree with Mercado Pago.
    #[test]
    fn the_exit_is_the_findings() {
        let reconciled = |fs: &[Finding], stopped: Option<StopReason>| Reconciled {
            batch_id: "b".into(),
            counts: fs
                .iter()
                .map(|f| {
                    (
                        *f,
                        Counted {
                            rows: 1,
                            sum: Decimal::ONE,
                        },
                    )
                })
                .collect(),
            updated: 0,
            out: PathBuf::from("r.csv"),
            stopped,
            money: BTreeMap::new(),
            sample: Sample::new(0),
        };
        let agree = [Finding::Matched, Finding::Settled, Finding::NoRefund];
        assert_eq!(reconciled(&agree, None).exit(), Exit::Ok);
        assert_eq!(reconciled(&[], None).exit(), Exit::Ok);
        for wrong in [
            Finding::MissingAtMp,
            Finding::AmountDiffers,
            Finding::RejectedLater,
        ] {
            assert_eq!(
                reconciled(&[Finding::Matched, wrong], None).exit(),
                Exit::SomeFailed,
                "{wrong:?}"
            );
        }
        assert_eq!(
            reconciled(&agree, Some(StopReason::Signal)).exit(),
            Exit::Stopped
        );
        assert_eq!(
            reconciled(&[Finding::MissingAtMp], Some(StopReason::Credentials(403))).exit(),
            Exit::NeedsPerson
        );
    }
}
