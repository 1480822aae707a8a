//! What reading a batch back found — its books (`reconcile`) and the last
//! report matched against it — as the state file keeps it, in no language
//! ([`BooksRead`], [`ReportRead`]), and as a page shows it in the reader's
//! words: each finding by its name, its count, money, first lines, what it
//! means and what to do next (its code stays in the page's data, not its text).
//!
//! Invariant: every finding has its own words (a test fails when one has
//! none, or shares another's); a finding this version does not know (kept by
//! a newer one) is left off a page, never shown wrong.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use strum::IntoEnumIterator;

use super::i18n::{M, Words};
use super::store::Found;
use crate::domain::books::{Finding, ReportFinding};
use crate::ops::reconcile::Reconciled;
use crate::ops::statements::Matched;

/// What reading the books back came to, as kept: in no language.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub(super) enum BooksRead {
    Done {
        /// Every finding agrees with Mercado Pago, and the reading was not cut short.
        agrees: bool,
        /// Why it was cut short, as the engine says it.
        stopped: Option<String>,
        /// Rows of the state file changed (settled, rejected later).
        updated: usize,
        findings: Vec<Kept<ApiKept>>,
    },
    Failed {
        /// As the engine says it (the stored upload's path in it).
        why: String,
    },
}

/// One finding as kept: its code, how many lines, its money per currency, its
/// first lines.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct Kept<L> {
    code: String,
    count: u64,
    money: Vec<(String, Decimal)>,
    lines: Vec<L>,
}

/// A line of the reconciliation, as kept.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct ApiKept {
    row: Option<u64>,
    payment: String,
    refund: Option<String>,
    currency: String,
    ours: Option<Decimal>,
    theirs: Option<Decimal>,
    status: Option<String>,
}

impl BooksRead {
    pub(super) fn of(found: &Reconciled) -> BooksRead {
        let findings = Finding::iter()
            .filter_map(|f| {
                let count = found.counts.get(&f)?.rows;
                let money = found
                    .money
                    .get(&f)
                    .map(|m| m.iter().map(|(c, a)| (c.clone(), *a)).collect())
                    .unwrap_or_default();
                let lines = found.sample.of(&f).iter().map(|n| ApiKept {
                    row: n.row,
                    payment: n.payment.to_string(),
                    refund: n.refund_id.clone(),
                    currency: n.currency.clone(),
                    ours: n.state_amount,
                    theirs: n.mp_amount,
                    status: n.mp_status.as_ref().map(|s| s.as_str().to_owned()),
                });
                Some(Kept {
                    code: f.as_str().to_owned(),
                    count,
                    money,
                    lines: lines.collect(),
                })
            })
            .collect();
        BooksRead::Done {
            agrees: found.stopped.is_none() && found.counts.keys().all(|f| f.agrees()),
            stopped: found.stopped.as_ref().map(|r| r.to_string()),
            updated: found.updated,
            findings,
        }
    }
}

/// The last report matched against a batch, as kept: in no language.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct ReportRead {
    /// What the browser called it.
    name: String,
    agrees: bool,
    /// The reports' period (ms).
    period: Option<(i64, i64)>,
    /// The batch's refunds fall outside every line's period.
    outside: bool,
    money: Vec<SidesKept>,
    findings: Vec<Kept<ReportKept>>,
}

/// Money of one currency: per the batch (refunds), per the report (lines).
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct SidesKept {
    currency: String,
    batch: Decimal,
    refunds: u64,
    report: Decimal,
    lines: u64,
}

/// A line of the matching, as kept.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct ReportKept {
    line: Option<u64>,
    kind: String,
    payment: u64,
    currency: String,
    theirs: Option<Decimal>,
    refund: Option<String>,
    row: Option<u32>,
    ours: Option<Decimal>,
}

impl ReportRead {
    pub(super) fn of(name: String, m: &Matched) -> ReportRead {
        let findings = ReportFinding::iter()
            .filter_map(|f| {
                let count = *m.counts.get(&f)?;
                let lines = m.sample.of(&f).iter().map(|n| ReportKept {
                    line: n.report_line,
                    kind: n.report_type.clone(),
                    payment: n.payment,
                    currency: n.currency.clone(),
                    theirs: n.report_amount,
                    refund: n.refund_id.clone(),
                    row: n.row,
                    ours: n.state_amount,
                });
                Some(Kept {
                    code: f.as_str().to_owned(),
                    count,
                    money: Vec::new(),
                    lines: lines.collect(),
                })
            })
            .collect();
        ReportRead {
            name,
            agrees: m.outside.is_none() && !m.counts.keys().any(|f| f.disagrees()),
            period: m.period,
            outside: m.outside.is_some(),
            money: m
                .money
                .iter()
                .map(|(c, s)| SidesKept {
                    currency: c.clone(),
                    batch: s.state.sum,
                    refunds: s.state.rows,
                    report: s.report.sum,
                    lines: s.report.rows,
                })
                .collect(),
            findings,
        }
    }
}

/// A finding's name, as a message.
fn named(f: Finding) -> M {
    match f {
        Finding::Matched => M::FindNameMatched,
        Finding::Settled => M::FindNameSettled,
        Finding::RejectedLater => M::FindNameRejectedLater,
        Finding::MissingAtMp => M::FindNameMissingAtMp,
        Finding::AmountDiffers => M::FindNameAmountDiffers,
        Finding::OutsideRefund => M::FindNameOutsideRefund,
        Finding::UnknownOutcomeFound => M::FindNameUnknownOutcomeFound,
        Finding::NoRefund => M::FindNameNoRefund,
        Finding::InDoubt => M::FindNameInDoubt,
        Finding::Unreadable => M::FindNameUnreadable,
    }
}

fn named_report(f: ReportFinding) -> M {
    match f {
        ReportFinding::Matched => M::RepNameMatched,
        ReportFinding::MatchedAmbiguous => M::RepNameMatchedAmbiguous,
        ReportFinding::AmountDiffers => M::RepNameAmountDiffers,
        ReportFinding::MissingInReport => M::RepNameMissingInReport,
        ReportFinding::NotInBatch => M::RepNameNotInBatch,
        ReportFinding::ChargebackOnRefundedPayment => M::RepNameChargeback,
        ReportFinding::OutOfPeriod => M::RepNameOutOfPeriod,
        ReportFinding::ReserveForRefund => M::RepNameReserve,
    }
}

/// The name of a report finding kept by its code (an audit entry's);
/// `None` for a code this version does not know.
pub(super) fn report_finding_name(code: &str) -> Option<M> {
    ReportFinding::from_str(code).ok().map(named_report)
}

/// What a finding means and what to do, as messages.
fn explained(f: Finding) -> (M, M) {
    match f {
        Finding::Matched => (M::FindMatched, M::FindMatchedNext),
        Finding::Settled => (M::FindSettled, M::FindSettledNext),
        Finding::RejectedLater => (M::FindRejectedLater, M::FindRejectedLaterNext),
        Finding::MissingAtMp => (M::FindMissingAtMp, M::FindMissingAtMpNext),
        Finding::AmountDiffers => (M::FindAmountDiffers, M::FindAmountDiffersNext),
        Finding::OutsideRefund => (M::FindOutsideRefund, M::FindOutsideRefundNext),
        Finding::UnknownOutcomeFound => {
            (M::FindUnknownOutcomeFound, M::FindUnknownOutcomeFoundNext)
        }
        Finding::NoRefund => (M::FindNoRefund, M::FindNoRefundNext),
        Finding::InDoubt => (M::FindInDoubt, M::FindInDoubtNext),
        Finding::Unreadable => (M::FindUnreadable, M::FindUnreadableNext),
    }
}

fn explained_report(f: ReportFinding) -> (M, M) {
    match f {
        ReportFinding::Matched => (M::RepMatched, M::RepMatchedNext),
        ReportFinding::MatchedAmbiguous => (M::RepMatchedAmbiguous, M::RepMatchedAmbiguousNext),
        ReportFinding::AmountDiffers => (M::RepAmountDiffers, M::RepAmountDiffersNext),
        ReportFinding::MissingInReport => (M::RepMissingInReport, M::RepMissingInReportNext),
        ReportFinding::NotInBatch => (M::RepNotInBatch, M::RepNotInBatchNext),
        ReportFinding::ChargebackOnRefundedPayment => (M::RepChargeback, M::RepChargebackNext),
        ReportFinding::OutOfPeriod => (M::RepOutOfPeriod, M::RepOutOfPeriodNext),
        ReportFinding::ReserveForRefund => (M::RepReserve, M::RepReserveNext),
    }
}

/// One finding as a page shows it: its count, money, meaning, first lines.
pub(super) struct Shown<L> {
    /// As the page's data names it (`data-finding`).
    pub(super) code: &'static str,
    /// In the page's language.
    pub(super) name: &'static str,
    pub(super) agrees: bool,
    pub(super) count: u64,
    /// Per currency, in the page's language.
    pub(super) money: Vec<String>,
    pub(super) meaning: &'static str,
    pub(super) next: &'static str,
    pub(super) lines: Vec<L>,
}

/// A line of the reconciliation, in the page's words.
pub(super) struct ApiLine {
    pub(super) row: String,
    pub(super) payment: String,
    pub(super) refund: String,
    pub(super) ours: String,
    pub(super) theirs: String,
    pub(super) status: String,
}

fn money(w: &Words, currency: &str, a: Option<Decimal>) -> String {
    a.map(|a| w.money(currency, a)).unwrap_or_default()
}

/// The findings kept, in `w`'s words: what each means and what to do; a
/// finding this version does not know is left out.
pub(super) fn shown<F: FromStr + Copy + Into<&'static str>, K, L>(
    w: &Words,
    kept: &[Kept<K>],
    explain: impl Fn(F) -> (M, M, M, bool),
    line: impl Fn(&K) -> L,
) -> Vec<Shown<L>> {
    kept.iter()
        .filter_map(|k| {
            let f = F::from_str(&k.code).ok()?;
            let (name, meaning, next, agrees) = explain(f);
            Some(Shown {
                code: f.into(),
                name: w.t(name),
                agrees,
                count: k.count,
                money: k.money.iter().map(|(c, a)| w.money(c, *a)).collect(),
                meaning: w.t(meaning),
                next: w.t(next),
                lines: k.lines.iter().map(&line).collect(),
            })
        })
        .collect()
}

pub(super) fn api_findings(w: &Words, kept: &[Kept<ApiKept>]) -> Vec<Shown<ApiLine>> {
    let explain = |f: Finding| {
        let (meaning, next) = explained(f);
        (named(f), meaning, next, f.agrees())
    };
    shown(w, kept, explain, |n| ApiLine {
        row: n.row.map(|r| r.to_string()).unwrap_or_default(),
        payment: n.payment.clone(),
        refund: n.refund.clone().unwrap_or_default(),
        ours: money(w, &n.currency, n.ours),
        theirs: money(w, &n.currency, n.theirs),
        status: n.status.clone().unwrap_or_default(),
    })
}

/// A line of the matching, in the page's words.
pub(super) struct ReportLine {
    pub(super) line: String,
    pub(super) kind: String,
    pub(super) payment: String,
    pub(super) theirs: String,
    pub(super) refund: String,
    pub(super) row: String,
    pub(super) ours: String,
}

/// Money of one currency: per the batch (refunds), per the report (lines).
pub(super) struct Sides {
    pub(super) currency: String,
    pub(super) batch: String,
    pub(super) refunds: u64,
    pub(super) report: String,
    pub(super) lines: u64,
}

pub(super) struct ReportView {
    pub(super) name: String,
    pub(super) by: String,
    pub(super) at: String,
    pub(super) agrees: bool,
    pub(super) period: Option<(String, String)>,
    pub(super) outside: bool,
    pub(super) money: Vec<Sides>,
    pub(super) findings: Vec<Shown<ReportLine>>,
}

pub(super) fn report_view(r: Found<ReportRead>, w: Words) -> ReportView {
    let explain = |f: ReportFinding| {
        let (meaning, next) = explained_report(f);
        (named_report(f), meaning, next, !f.disagrees())
    };
    let m = r.found;
    let findings = shown(&w, &m.findings, explain, |n| ReportLine {
        line: n.line.map(|l| l.to_string()).unwrap_or_default(),
        kind: n.kind.clone(),
        payment: n.payment.to_string(),
        theirs: money(&w, &n.currency, n.theirs),
        refund: n.refund.clone().unwrap_or_default(),
        row: n.row.map(|r| r.to_string()).unwrap_or_default(),
        ours: money(&w, &n.currency, n.ours),
    });
    ReportView {
        name: m.name,
        by: r.by,
        at: w.date(r.at_ms),
        agrees: m.agrees,
        period: m.period.map(|(from, to)| (w.date(from), w.date(to))),
        outside: m.outside,
        money: m
            .money
            .iter()
            .map(|s| Sides {
                currency: s.currency.clone(),
                batch: w.money(&s.currency, s.batch),
                refunds: s.refunds,
                report: w.money(&s.currency, s.report),
                lines: s.lines,
            })
            .collect(),
        findings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every finding has its own words: a new one cannot be left unexplained.
    #[test]
    fn every_finding_is_explained_apart() {
        let mut seen: Vec<M> = Vec::new();
        let said = Finding::iter()
            .map(|f| (named(f), explained(f)))
            .chain(ReportFinding::iter().map(|f| (named_report(f), explained_report(f))));
        for (name, (what, next)) in said {
            for m in [name, what] {
                assert!(!seen.contains(&m), "{m:?} twice");
                seen.push(m);
            }
            assert_ne!(what, next);
        }
        for f in ReportFinding::iter() {
            assert_eq!(report_finding_name(f.into()), Some(named_report(f)));
        }
    }
}
