//! `mprefund reconcile`: reads each payment of a batch back from the API and
//! compares it with the state file, row by row — the other half of the books.
//!
//! Invariants: it sends no POST, ever, and is safe to run any number of times;
//! the state file changes only for rows whose refund settled or was rejected since,
//! in one transaction after every payment was read — an interrupted reconcile
//! leaves the state as it was; a payment that cannot be read is a finding
//! (`unreadable`), never `matched`.

use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use rust_decimal::Decimal;
use serde::Serialize;

use super::batch::{self, SendOptions};
use crate::client::{Client, MpRefund};
use crate::domain::{Cause, Kind, Outcome, PaymentId, Requested, RowResult};
use crate::ledger::StoredRow;
use crate::lock::BatchLock;
use crate::lookup::{self, Lookup};
use crate::report;
use crate::runner::{Stop, StopReason};
use crate::{Exit, Usage, clock};

/// What reconciling found for one row, or for a refund no row made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Finding {
    /// The row's refund exists at Mercado Pago with the same id, amount and status.
    Matched,
    /// The row was `in_process`; its refund is now approved (the row is now refunded).
    Settled,
    /// The row was refunded or in process; its refund is now rejected or cancelled
    /// (the row is now failed, cause `refund_rejected`).
    RejectedLater,
    /// The state says refunded; the payment shows no such refund.
    MissingAtMp,
    /// The refund exists with another amount.
    AmountDiffers,
    /// A refund on the payment that no row of any batch of the state file made.
    OutsideRefund,
    /// A row sent with no answer read, and the payment shows a refund of its
    /// amount: `run` will resend with the same key and the API will replay it.
    UnknownOutcomeFound,
    /// Nothing was refunded for the row, and nothing at Mercado Pago says otherwise.
    NoRefund,
    /// The payment could not be read (not found, unreadable answers, odd fields).
    Unreadable,
}

impl Finding {
    pub(crate) const ALL: [Finding; 9] = [
        Finding::Matched,
        Finding::Settled,
        Finding::RejectedLater,
        Finding::MissingAtMp,
        Finding::AmountDiffers,
        Finding::OutsideRefund,
        Finding::UnknownOutcomeFound,
        Finding::NoRefund,
        Finding::Unreadable,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Finding::Matched => "matched",
            Finding::Settled => "settled",
            Finding::RejectedLater => "rejected_later",
            Finding::MissingAtMp => "missing_at_mp",
            Finding::AmountDiffers => "amount_differs",
            Finding::OutsideRefund => "outside_refund",
            Finding::UnknownOutcomeFound => "unknown_outcome_found",
            Finding::NoRefund => "no_refund",
            Finding::Unreadable => "unreadable",
        }
    }

    /// The books agree on this line.
    fn agrees(self) -> bool {
        matches!(
            self,
            Finding::Matched | Finding::Settled | Finding::NoRefund
        )
    }
}

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
    /// Lines per finding, and the amounts they name (Mercado Pago's, else ours).
    pub counts: BTreeMap<Finding, (u64, Decimal)>,
    /// Rows of the state file changed (settled, rejected later).
    pub updated: usize,
    pub out: PathBuf,
    pub stopped: Option<StopReason>,
    pub exit: Exit,
}

impl Reconciled {
    pub(crate) fn render(&self, w: &mut dyn Write) -> std::io::Result<()> {
        writeln!(
            w,
            "batch {}: reconciled against Mercado Pago",
            self.batch_id
        )?;
        for (finding, (n, amount)) in &self.counts {
            writeln!(w, "  {:<22} {n:>7}   {amount}", finding.as_str())?;
        }
        if self.updated > 0 {
            writeln!(w, "  {} row(s) updated in the state file", self.updated)?;
        }
        if let Some(r) = &self.stopped {
            writeln!(w, "stopped early: {r}; nothing was changed, run it again")?;
        }
        writeln!(w, "reconciliation: {}", self.out.display())
    }

    /// What `--quiet` still says, for a cron log: one line, as `run` does.
    pub(crate) fn one_line(&self) -> String {
        let counts: Vec<String> = self
            .counts
            .iter()
            .map(|(f, (n, _))| format!("{} {n}", f.as_str()))
            .collect();
        let stopped = self
            .stopped
            .as_ref()
            .map(|r| format!("; stopped early: {r}"))
            .unwrap_or_default();
        format!(
            "batch {}: reconciled ({}); {} row(s) updated{stopped}; exit {}; reconciliation {}",
            self.batch_id,
            counts.join(", "),
            self.updated,
            self.exit as u8,
            self.out.display()
        )
    }
}

/// One line of the reconciliation CSV.
struct Line<'a> {
    row: Option<&'a StoredRow>,
    finding: Finding,
    payment: PaymentId,
    refund_id: Option<String>,
    state_amount: Option<Decimal>,
    mp: Option<&'a MpRefund>,
}

pub(crate) async fn reconcile(req: ReconcileRequest, stop: Stop) -> anyhow::Result<Reconciled> {
    let mut ledger = batch::open_existing(&req.state)?;
    let batch = batch::select_batch(&ledger, &req.state, &req.pick)?;
    let out = req
        .out
        .as_deref()
        .map(|p| batch::expand_for(p, &batch))
        .unwrap_or_else(|| {
            let input = Path::new(&batch.input_path);
            input.with_file_name(format!(
                "{}.reconcile.csv",
                input
                    .file_stem()
                    .map_or_else(|| "batch".into(), |s| s.to_string_lossy())
            ))
        });
    let results = batch::out_for(&batch, &batch::OutputOptions::default());
    let mut outputs = vec![("--out", out.as_path()), ("the results", results.as_path())];
    let metrics_file = req
        .metrics_file
        .as_deref()
        .map(|p| batch::expand_for(p, &batch));
    outputs.extend(metrics_file.as_deref().map(|p| ("--metrics-file", p)));
    crate::paths::check_outputs(Some(Path::new(&batch.input_path)), &req.state, &outputs)?;
    let lock = BatchLock::acquire(&req.state, &batch.id, "reconcile")?;

    let mut rows = Vec::new();
    ledger.for_each_row(&batch.id, |r| {
        rows.push(r);
        Ok(())
    })?;
    let ids: Vec<PaymentId> = rows
        .iter()
        .filter_map(|r| r.ask.as_ref())
        .filter(|a| a.kind == Kind::Payment)
        .map(|a| a.payment_id)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let api_base = batch::api_base_for(&req.send, &batch)?;
    let client = Client::new(&api_base, &req.send.token, &req.send.client)?;
    let (found, stopped) = lookup::payments(client, ids, &req.send.runner, stop).await;
    let known = ledger.known_refund_ids()?;

    let mut lines: Vec<Line<'_>> = Vec::with_capacity(rows.len());
    let mut updates: Vec<(u64, RowResult)> = Vec::new();
    let mut claimed: HashSet<String> = HashSet::new();
    for row in &rows {
        let Some(ask) = &row.ask else { continue };
        let state_amount = row.result.refunded().or(match ask.requested {
            Requested::Partial(a) => Some(a.get()),
            Requested::Full => None,
        });
        let mut line = Line {
            row: Some(row),
            finding: Finding::NoRefund,
            payment: ask.payment_id,
            refund_id: row.result.refund.as_ref().map(|r| r.id.clone()),
            state_amount,
            mp: None,
        };
        let refunds = match (ask.kind, found.get(&ask.payment_id)) {
            (Kind::Payment, Some(Lookup::Found(p))) => p.refunds.as_deref(),
            _ => None,
        };
        let Some(refunds) = refunds else {
            line.finding = Finding::Unreadable;
            lines.push(line);
            continue;
        };
        let outcome = row.result.outcome;
        match (&row.result.refund, outcome) {
            (Some(ours), Outcome::Refunded | Outcome::InProcess) => {
                let theirs = refunds.iter().find(|m| m.id == ours.id);
                line.mp = theirs;
                line.finding = match theirs {
                    None => Finding::MissingAtMp,
                    Some(m) => {
                        let status = m.status.as_deref().unwrap_or("");
                        let expected = ours.amount.or(state_amount);
                        if expected.is_some() && m.amount != expected {
                            Finding::AmountDiffers
                        } else if matches!(status, "rejected" | "cancelled") {
                            let mut r = row.result.clone();
                            r.outcome = Outcome::Failed;
                            r.attempts = 0;
                            r.retryable = Some(false);
                            r.cause = Some(Cause {
                                code: "refund_rejected".into(),
                                message: format!(
                                    "refund {} is now {status} at Mercado Pago (reconcile)",
                                    ours.id
                                ),
                            });
                            if let Some(f) = r.refund.as_mut() {
                                f.status = status.to_owned();
                            }
                            updates.push((row.row_no, r));
                            Finding::RejectedLater
                        } else if outcome == Outcome::InProcess && status == "approved" {
                            let mut r = row.result.clone();
                            r.outcome = Outcome::Refunded;
                            r.attempts = 0;
                            r.cause = None;
                            if let Some(f) = r.refund.as_mut() {
                                f.status = status.to_owned();
                            }
                            updates.push((row.row_no, r));
                            Finding::Settled
                        } else {
                            Finding::Matched
                        }
                    }
                };
            }
            // Sent with no answer read: retried (attempts), or claimed by a process
            // that died in flight (`sending`, no attempt stored).
            (None, Outcome::Pending | Outcome::Failed)
                if row.result.attempts > 0 || row.sending_since_ms.is_some() =>
            {
                let unknown = outcome == Outcome::Pending
                    || row
                        .result
                        .cause
                        .as_ref()
                        .is_some_and(|c| crate::network::is_unknown_outcome(&c.code));
                let candidate = refunds.iter().find(|m| {
                    unknown
                        && !known.contains(&m.id)
                        && !claimed.contains(&m.id)
                        && state_amount.is_none_or(|a| m.amount == Some(a))
                        && made_after(m, row.sending_since_ms)
                });
                if let Some(m) = candidate {
                    claimed.insert(m.id.clone());
                    line.mp = Some(m);
                    line.refund_id = Some(m.id.clone());
                    line.finding = Finding::UnknownOutcomeFound;
                }
            }
            _ => {}
        }
        lines.push(line);
    }
    // Refunds on the batch's payments that no row of the state file made.
    let mut payments: Vec<&PaymentId> = found.keys().collect();
    payments.sort();
    for id in payments {
        let Some(Lookup::Found(p)) = found.get(id) else {
            continue;
        };
        for m in p.refunds.iter().flatten() {
            if !known.contains(&m.id) && !claimed.contains(&m.id) {
                lines.push(Line {
                    row: None,
                    finding: Finding::OutsideRefund,
                    payment: *id,
                    refund_id: Some(m.id.clone()),
                    state_amount: None,
                    mp: Some(m),
                });
            }
        }
    }

    let mut counts: BTreeMap<Finding, (u64, Decimal)> = BTreeMap::new();
    for l in &lines {
        let e = counts.entry(l.finding).or_default();
        e.0 += 1;
        let amount = l.mp.and_then(|m| m.amount).or(l.state_amount);
        // Findings mix currencies: the count's figure is a plain checked sum.
        e.1 = crate::money::add_mixed(e.1, amount.unwrap_or_default())?;
    }
    write_csv(&out, &batch, &lines)?;
    let updated = if stopped.is_none() && !updates.is_empty() {
        ledger.record_and_claim(&batch.id, &updates, 0, 0)?;
        report::write_results(&ledger, &batch, &results)?;
        updates.len()
    } else {
        0
    };
    let exit = if let Some(reason) = &stopped {
        Exit::of_stop(reason)
    } else if lines.iter().all(|l| l.finding.agrees()) {
        Exit::Ok
    } else {
        Exit::SomeFailed
    };
    if let Some(path) = &metrics_file {
        crate::metrics::write_reconcile(path, &batch.id, &counts, exit, clock::now_ms() / 1000)?;
    }
    lock.release(batch::nothing_left_in(&ledger, &batch.id)?);
    Ok(Reconciled {
        batch_id: batch.id,
        counts,
        updated,
        out,
        stopped,
        exit,
    })
}

/// A refund made before the row was claimed is not the row's. Clocks differ
/// (ours, Mercado Pago's), hence the slack; a refund without a readable date is
/// judged on payment and amount alone.
fn made_after(m: &MpRefund, claimed_ms: Option<i64>) -> bool {
    const SLACK_MS: i64 = 10 * 60 * 1000;
    match (
        claimed_ms,
        m.date_created.as_deref().and_then(clock::parse_rfc3339),
    ) {
        (Some(claimed), Some(made)) => made >= claimed - SLACK_MS,
        _ => true,
    }
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

fn write_csv(out: &Path, batch: &crate::ledger::Batch, lines: &[Line<'_>]) -> anyhow::Result<()> {
    if out.exists() && out.is_dir() {
        return Err(Usage(format!("--out {} is a folder", out.display())).into());
    }
    let dialect = crate::sheet::Dialect::of_batch(batch);
    crate::sheet::write(out, dialect, |w| {
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
            record.push(dec(l.mp.and_then(|m| m.amount)));
            record.push(l.mp.and_then(|m| m.status.clone()).unwrap_or_default());
            record.push(
                l.mp.and_then(|m| m.date_created.clone())
                    .unwrap_or_default(),
            );
            w.row(&record)?;
        }
        Ok(())
    })
}
