//! `mprefund reconcile --report FILE…`: matches a batch's refunds against Mercado
//! Pago's own reports (settlement, release — what finance closes the month on),
//! line by line, and says where the books disagree.
//!
//! A refund line of a report whose `METADATA` names a refund id is that refund's
//! only: ours when the id is one of the batch's (on the line's payment), else
//! someone else's (`not_in_batch`), never another refund of the same amount. A
//! line without one is matched by payment (`SOURCE_ID`), currency (when both
//! sides say it), amount to the cent (either sign) and a date window; several
//! same-amount refunds on one payment are allocated oldest first and marked
//! ambiguous. A refund's currency is its row's, else the account's (`currency`,
//! else the state file's memo): a line in another currency is never matched to
//! it. Invariants: it reads files and the state file only (no request, no
//! write to the state); each refund of the batch matches at most one report
//! line; every report line about a payment of the batch gets a finding, and so
//! does every refund of the batch; reports none of whose lines fall in the
//! batch's period are said to be so and exit 1, never a clean 0; the findings
//! CSV is written as the reports are read, so memory holds the batch's refunds,
//! not the reports.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

use rust_decimal::Decimal;
use strum::IntoEnumIterator;

use super::batch;
use crate::domain::Currency;
use crate::exit::{Ending, Exit};
use crate::store::lock::BatchLock;
use crate::domain::money::Counted;
use crate::sheets::mpreport::{LineKind, Report, ReportLine};
use crate::{Usage, domain::clock};

pub(crate) use crate::domain::books::ReportFinding as Finding;
use crate::domain::books::{SAMPLE_PER_FINDING, Sample};

/// Days a report line's date may be from the refund's, unless said otherwise
/// (`reconcile --date-window`; the console always).
pub(crate) const DEFAULT_WINDOW_DAYS: u32 = 3;

#[derive(Debug)]
pub(crate) struct MatchRequest {
    pub state: PathBuf,
    pub pick: batch::Pick,
    pub reports: Vec<PathBuf>,
    pub out: Option<PathBuf>,
    /// Days a report's date may be from the refund's.
    pub window_days: u32,
    /// The reports' period when known (a fetched report's), in ms; else it is
    /// read from their dated lines.
    pub period: Option<(i64, i64)>,
    /// The account's currency (`currency`), which a batch whose input named
    /// none is in; else the state file's memo of it (learnt from Mercado Pago).
    pub currency: Option<Currency>,
}

/// `--fetch-report`: which report, of which period, and how long to wait.
#[derive(Debug, Clone)]
pub(crate) struct Fetch {
    pub kind: crate::sheets::mpreport::ReportKind,
    pub begin: time::OffsetDateTime,
    pub end: time::OffsetDateTime,
    pub timeout: std::time::Duration,
    /// The largest report downloaded.
    pub max_bytes: u64,
}

/// Fetches the report asked for (from the API base the batch was sent to,
/// unless one is given), then matches it with any report files given.
pub(crate) async fn fetch_and_match(
    mut req: MatchRequest,
    fetch: Fetch,
    send: &batch::SendOptions,
    stop: crate::engine::send::Stop,
) -> anyhow::Result<Matched> {
    let ledger = batch::open_existing(&req.state)?;
    let b = batch::select_batch(&ledger, &req.state, &req.pick)?;
    drop(ledger);
    let client = crate::api::client::Client::new(
        &batch::api_base_for(send, &b)?,
        &send.token,
        &send.sending.client,
    )?;
    // Beside the spreadsheet, where finance looks — not in the account's state folder.
    let to = super::fetch::destination(
        std::path::Path::new(&b.input_path),
        fetch.kind,
        fetch.begin,
        fetch.end,
    );
    let sender = crate::engine::send::Sender::new(&send.sending, stop);
    let fetched = super::fetch::fetch(
        &client,
        &sender,
        &super::fetch::FetchRequest {
            kind: fetch.kind,
            begin: fetch.begin,
            end: fetch.end,
            to,
            timeout: fetch.timeout,
            max_bytes: fetch.max_bytes,
        },
    )
    .await?;
    req.reports.push(fetched);
    let ms =
        |t: time::OffsetDateTime| i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(0);
    req.period = Some((ms(fetch.begin), ms(fetch.end)));
    match_reports(req)
}

/// Money in one currency, as the state file (its refunds in the period) and as
/// the reports (their refund lines) say.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Sides {
    pub state: Counted,
    pub report: Counted,
}

#[derive(Debug)]
pub(crate) struct Matched {
    pub batch_id: String,
    pub counts: BTreeMap<Finding, u64>,
    /// By currency code (`""`: not said).
    pub money: BTreeMap<String, Sides>,
    /// The reports' period (ms), from their dated lines.
    pub period: Option<(i64, i64)>,
    /// Each report read: its file, which report it is, its lines.
    pub reports: Vec<(PathBuf, &'static str, u64)>,
    pub out: PathBuf,
    /// The batch's refunds (first and last made, ms; how many) when no line of
    /// the reports falls in their period: the reports are of another period.
    pub outside: Option<(i64, i64, usize)>,
    /// The first lines of each finding, for a page (the CSV has them all).
    pub sample: Sample<Finding, Noted>,
    /// Refunds of no currency (the input named none, the account's is not
    /// known) met lines that name one: their currency could not be checked.
    pub currency_unchecked: bool,
}

/// 1 when a finding disagrees with the reports or the reports are of another
/// period than the batch's refunds (never a clean 0 on reports that could not
/// show them); else 0.
impl Ending for Matched {
    fn exit(&self) -> Exit {
        if self.outside.is_some() || self.counts.keys().any(|f| f.disagrees()) {
            Exit::SomeFailed
        } else {
            Exit::Ok
        }
    }
}

/// One line of the matching: a report's line, one of the batch's refunds, or both.
#[derive(Debug, Clone)]
pub(crate) struct Noted {
    /// The report file's name and the line (none: a refund no line showed).
    pub report: String,
    pub report_line: Option<u64>,
    pub report_type: String,
    pub payment: u64,
    pub report_amount: Option<Decimal>,
    pub report_date_ms: Option<i64>,
    pub refund_id: Option<String>,
    /// The batch's row that made the refund.
    pub row: Option<u32>,
    pub state_amount: Option<Decimal>,
    pub state_date_ms: Option<i64>,
    /// `""` when not said.
    pub currency: String,
}

impl Matched {
    /// What `--quiet` still says, for a cron log: one line, as `run` does.
    pub(crate) fn one_line(&self) -> String {
        let counts: Vec<String> = Finding::iter()
            .filter_map(|f| self.counts.get(&f).map(|n| format!("{} {n}", f.as_str())))
            .collect();
        format!(
            "batch {}: matched against {} report(s) ({}); exit {}; findings {}",
            self.batch_id,
            self.reports.len(),
            counts.join(", "),
            self.exit().code(),
            self.out.display()
        )
    }

    pub(crate) fn render(&self, w: &mut dyn Write) -> std::io::Result<()> {
        writeln!(
            w,
            "batch {}: matched against Mercado Pago's reports",
            self.batch_id
        )?;
        if let Some((from, to)) = self.period {
            writeln!(
                w,
                "  period {} to {}",
                clock::rfc3339(from),
                clock::rfc3339(to)
            )?;
        }
        for (path, kind, lines) in &self.reports {
            writeln!(w, "  {} ({kind} report): {lines} line(s)", path.display())?;
        }
        for f in Finding::iter() {
            if let Some(n) = self.counts.get(&f) {
                writeln!(w, "  {:<32} {n:>9}", f.as_str())?;
            }
        }
        for (currency, m) in &self.money {
            let c = if currency.is_empty() {
                "(currency not said)"
            } else {
                currency
            };
            writeln!(
                w,
                "  {c}: refunded per the state file {} ({} refund(s) in the period), per the reports {} ({} line(s))",
                m.state.sum, m.state.rows, m.report.sum, m.report.rows
            )?;
        }
        if self.currency_unchecked {
            writeln!(
                w,
                "currency not checked: the batch's input has no currency column and the account's currency is not known, so its refunds matched report lines of any currency; set `currency` (--currency BRL, or in the job file)"
            )?;
        }
        if let Some((first, last, n)) = self.outside {
            let reports = match self.period {
                Some((from, to)) => format!(
                    "the reports cover {} to {}",
                    clock::rfc3339(from),
                    clock::rfc3339(to)
                ),
                None => "the reports have no dated line".to_owned(),
            };
            writeln!(
                w,
                "no line of the reports falls in the batch's period: its {n} refund(s) were made {} to {}, {reports}; match a report of the period the batch was sent in",
                clock::rfc3339(first),
                clock::rfc3339(last)
            )?;
        }
        writeln!(w, "matching: {}", self.out.display())
    }
}

/// A refund of the batch, compact (48 bytes): a million of them, with their
/// index by refund id, fit in well under 100 MiB.
struct Ours {
    payment: u64,
    cents: i64,
    made_at_ms: i64,
    /// The refund id when it is a number (Mercado Pago's are); else an index
    /// into the few that are not, with `TEXT_ID` set.
    id: u64,
    row_no: u32,
    currency: Option<Currency>,
    matched: bool,
}

/// Marks `Ours::id` as an index into the refund ids that are not numbers.
const TEXT_ID: u64 = 1 << 63;

/// The batch's refund ids, for lookups and output.
#[derive(Default)]
struct Ids {
    /// (numeric id, index into `ours`), sorted.
    numeric: Vec<(u64, u32)>,
    text: Vec<String>,
    by_text: HashMap<String, u32>,
}

impl Ids {
    /// The number `Ours::id` holds for `refund_id`.
    fn number(&mut self, refund_id: String) -> u64 {
        match refund_id.parse::<u64>() {
            Ok(n) if n < TEXT_ID && n.to_string() == refund_id => n,
            _ => {
                self.text.push(refund_id);
                (self.text.len() as u64 - 1) | TEXT_ID
            }
        }
    }

    fn find(&self, id: &str) -> Option<usize> {
        match id.parse::<u64>() {
            Ok(n) if n < TEXT_ID && n.to_string() == id => self
                .numeric
                .binary_search_by_key(&n, |&(k, _)| k)
                .ok()
                .map(|at| self.numeric[at].1 as usize),
            _ => self.by_text.get(id).map(|&i| i as usize),
        }
    }

    fn text_of(&self, o: &Ours) -> String {
        if o.id & TEXT_ID != 0 {
            self.text[(o.id & !TEXT_ID) as usize].clone()
        } else {
            o.id.to_string()
        }
    }
}

/// Sorts the batch's refunds by payment, then date (oldest first: the order
/// same-amount refunds are allocated in), and indexes them by id.
fn index(ours: &mut [Ours], ids: &mut Ids) {
    ours.sort_by_key(|o| (o.payment, o.made_at_ms, o.row_no));
    for (i, o) in ours.iter().enumerate() {
        if o.id & TEXT_ID != 0 {
            ids.by_text
                .insert(ids.text[(o.id & !TEXT_ID) as usize].clone(), i as u32);
        } else {
            ids.numeric.push((o.id, i as u32));
        }
    }
    ids.numeric.sort_unstable();
}

fn cents(a: Decimal) -> Option<i64> {
    i64::try_from((a * Decimal::ONE_HUNDRED).round().mantissa()).ok()
}

const COLUMNS: [&str; 12] = [
    "finding",
    "report",
    "report_line",
    "report_type",
    "payment_id",
    "report_amount",
    "report_date",
    "refund_id",
    "row",
    "state_amount",
    "state_date",
    "currency",
];

pub(crate) fn match_reports(req: MatchRequest) -> anyhow::Result<Matched> {
    if req.reports.is_empty() {
        return Err(Usage("give at least one --report FILE".into()).into());
    }
    let ledger = batch::open_existing(&req.state)?;
    let batch = batch::select_batch(&ledger, &req.state, &req.pick)?;
    let out = req.out.clone().unwrap_or_else(|| {
        crate::store::paths::beside(
            Path::new(&batch.input_path),
            crate::store::paths::Sheet::ReportMatch,
        )
    });
    crate::store::paths::check_outputs(
        Some(Path::new(&batch.input_path)),
        &req.state,
        &[("--out", out.as_path())],
    )?;
    if req
        .reports
        .iter()
        .any(|r| crate::store::paths::resolved(r) == crate::store::paths::resolved(&out))
    {
        return Err(Usage(format!("--out {} is one of the reports", out.display())).into());
    }
    let lock = BatchLock::acquire(&req.state, &batch.id, "reconcile")?;
    // A batch whose input named no currency is in the account's: a line in
    // another is not one of its refunds.
    let account = match req.currency {
        Some(c) => Some(c),
        None => ledger
            .memo::<String>(crate::domain::totals::ACCOUNT_CURRENCY)?
            .and_then(|c| c.parse().ok()),
    };

    // The batch's side.
    let mut ours: Vec<Ours> = Vec::new();
    let mut ids = Ids::default();
    ledger.for_each_refund(&batch.id, |r| {
        let Some(c) = r.amount.and_then(cents) else {
            return Ok(());
        };
        let id = ids.number(r.refund_id);
        ours.push(Ours {
            payment: r.payment,
            cents: c,
            made_at_ms: r.made_at_ms.unwrap_or(0),
            id,
            row_no: u32::try_from(r.row_no).unwrap_or(u32::MAX),
            currency: r.currency.or(account),
            matched: false,
        });
        Ok(())
    })?;
    index(&mut ours, &mut ids);
    let payments = ledger.batch_payments(&batch.id)?;
    let window = i64::from(req.window_days) * 86_400_000;

    // The reports' side, streamed into the findings file.
    let mut counts: BTreeMap<Finding, u64> = BTreeMap::new();
    let mut money: BTreeMap<String, Sides> = BTreeMap::new();
    let fixed_period = req.period;
    let mut period: Option<(i64, i64)> = fixed_period;
    let mut read: Vec<(PathBuf, &'static str, u64)> = Vec::new();
    // The currencies the reports name: when it is one, a refund of a batch whose
    // input named none is counted in it.
    let mut currencies: std::collections::BTreeSet<String> = Default::default();
    let mut sample = Sample::new(SAMPLE_PER_FINDING);
    // The batch's dialect, as its results: one spreadsheet user, one dialect.
    crate::sheets::sheet::write(&out, crate::sheets::sheet::Dialect::of_batch(&batch), |w| {
        w.row(COLUMNS)?;
        for path in &req.reports {
            let report = Report::open(path)?;
            read.push((path.clone(), report.kind.as_str(), 0));
            let name = path
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
            for line in report {
                let line = line?;
                if let Some(r) = read.last_mut() {
                    r.2 += 1;
                }
                if let (Some(d), None) = (line.date_ms, fixed_period) {
                    period = Some(period.map_or((d, d), |(a, b)| (a.min(d), b.max(d))));
                }
                if let Some(c) = &line.currency
                    && !currencies.contains(c)
                {
                    currencies.insert(c.clone());
                }
                let Some(payment) = line.payment.map(|p| p.get()) else {
                    continue;
                };
                if payments.binary_search(&payment).is_err() {
                    continue;
                }
                let finding = match line.kind {
                    LineKind::Other => continue,
                    LineKind::ReserveForRefund => Some((Finding::ReserveForRefund, None)),
                    LineKind::Chargeback => {
                        let refunded = range(&ours, payment).next().is_some();
                        refunded.then_some((Finding::ChargebackOnRefundedPayment, None))
                    }
                    LineKind::Refund => Some(match_refund(&mut ours, &ids, &line, payment, window)),
                };
                let Some((finding, idx)) = finding else {
                    continue;
                };
                *counts.entry(finding).or_default() += 1;
                let o = idx.map(|i| &ours[i]);
                let currency = line
                    .currency
                    .clone()
                    .or_else(|| o.and_then(|o| o.currency).map(|c| c.to_string()))
                    .unwrap_or_default();
                if line.kind == LineKind::Refund {
                    let m = money.entry(currency.clone()).or_default();
                    m.report.add(&currency, line.amount.unwrap_or_default())?;
                }
                let n = noted(&name, Some(&line), payment, o, &ids, currency);
                write_line(w, finding, &n)?;
                sample.offer(finding, || n);
            }
        }
        // The batch's refunds no report line took.
        let only = match currencies.len() {
            1 => currencies.iter().next().cloned(),
            _ => None,
        };
        let mut rest = Vec::new();
        for (i, o) in ours.iter().enumerate() {
            let inside = period.is_some_and(|(from, to)| {
                o.made_at_ms >= from + window && o.made_at_ms <= to - window
            });
            let in_period =
                period.is_some_and(|(from, to)| o.made_at_ms >= from && o.made_at_ms <= to);
            if in_period || o.matched {
                let currency = o
                    .currency
                    .map(|c| c.to_string())
                    .or_else(|| only.clone())
                    .unwrap_or_default();
                let m = money.entry(currency.clone()).or_default();
                m.state.add(&currency, money_of(o))?;
            }
            if o.matched {
                continue;
            }
            let finding = if inside {
                Finding::MissingInReport
            } else {
                Finding::OutOfPeriod
            };
            rest.push((finding, i));
        }
        rest.sort_by_key(|&(_, i)| ours[i].row_no);
        for &(finding, i) in &rest {
            *counts.entry(finding).or_default() += 1;
            let o = &ours[i];
            let currency = o
                .currency
                .map(|c| c.to_string())
                .or_else(|| only.clone())
                .unwrap_or_default();
            let n = noted("", None, o.payment, Some(o), &ids, currency);
            write_line(w, finding, &n)?;
            sample.offer(finding, || n);
        }
        Ok(())
    })?;
    let outside = outside_period(&ours, period);
    let currency_unchecked = !currencies.is_empty() && ours.iter().any(|o| o.currency.is_none());
    lock.release(batch::nothing_left_in(&ledger, &batch.id)?);
    Ok(Matched {
        batch_id: batch.id,
        counts,
        money,
        period,
        reports: read,
        out,
        outside,
        sample,
        currency_unchecked,
    })
}

/// When the batch has refunds and the reports show none of them, nor cover the
/// time any was made: the batch's refunds' first and last dates, and how many.
fn outside_period(ours: &[Ours], period: Option<(i64, i64)>) -> Option<(i64, i64, usize)> {
    let covered = ours.iter().any(|o| {
        o.matched || period.is_some_and(|(from, to)| o.made_at_ms >= from && o.made_at_ms <= to)
    });
    if ours.is_empty() || covered {
        return None;
    }
    let first = ours.iter().map(|o| o.made_at_ms).min().unwrap_or(0);
    let last = ours.iter().map(|o| o.made_at_ms).max().unwrap_or(0);
    Some((first, last, ours.len()))
}

/// A refund's amount, from its cents.
fn money_of(o: &Ours) -> Decimal {
    Decimal::new(o.cents, 2)
}

/// The batch's refunds on `payment` (they are sorted by payment, then date).
fn range(ours: &[Ours], payment: u64) -> impl Iterator<Item = usize> + '_ {
    let start = ours.partition_point(|o| o.payment < payment);
    (start..ours.len()).take_while(move |&i| ours[i].payment == payment)
}

/// Which refund of the batch a report's refund line is, if any.
fn match_refund(
    ours: &mut [Ours],
    ids: &Ids,
    line: &ReportLine,
    payment: u64,
    window: i64,
) -> (Finding, Option<usize>) {
    let line_cents = line.amount.and_then(cents);
    // A refund in another currency is other money, whatever its amount.
    let same_currency = |o: &Ours| match (o.currency, line.currency.as_deref()) {
        (Some(ours), Some(theirs)) => ours.as_str().eq_ignore_ascii_case(theirs),
        _ => true,
    };
    // A line that names its refund is that refund's: ours if the batch made it
    // (on this payment, not shown by another line yet), else not ours at all —
    // never a same-amount refund of ours in its place.
    if let Some(id) = line.refund_id.as_deref() {
        return match ids.find(id) {
            Some(i) if ours[i].payment == payment && !ours[i].matched => {
                ours[i].matched = true;
                let finding = if Some(ours[i].cents) == line_cents && same_currency(&ours[i]) {
                    Finding::Matched
                } else {
                    Finding::AmountDiffers
                };
                (finding, Some(i))
            }
            _ => (Finding::NotInBatch, None),
        };
    }
    let near = |o: &Ours| {
        same_currency(o)
            && line
                .date_ms
                .is_none_or(|d| (o.made_at_ms - d).abs() <= window)
    };
    let same_amount = |o: &Ours| Some(o.cents) == line_cents && near(o);
    // Ambiguous whenever the payment has another refund like it, taken or not.
    let alike = range(ours, payment)
        .filter(|&i| same_amount(&ours[i]))
        .count();
    let first = range(ours, payment).find(|&i| !ours[i].matched && same_amount(&ours[i]));
    if let Some(first) = first {
        ours[first].matched = true;
        let finding = if alike > 1 {
            Finding::MatchedAmbiguous
        } else {
            Finding::Matched
        };
        return (finding, Some(first));
    }
    let other = range(ours, payment).find(|&i| !ours[i].matched && near(&ours[i]));
    match other {
        Some(i) => {
            ours[i].matched = true;
            (Finding::AmountDiffers, Some(i))
        }
        None => (Finding::NotInBatch, None),
    }
}

fn noted(
    report: &str,
    line: Option<&ReportLine>,
    payment: u64,
    ours: Option<&Ours>,
    ids: &Ids,
    currency: String,
) -> Noted {
    Noted {
        report: report.to_owned(),
        report_line: line.map(|l| l.line),
        report_type: line.map(|l| l.type_text.clone()).unwrap_or_default(),
        payment,
        report_amount: line.and_then(|l| l.amount),
        report_date_ms: line.and_then(|l| l.date_ms),
        refund_id: ours
            .map(|o| ids.text_of(o))
            .or_else(|| line.and_then(|l| l.refund_id.clone())),
        row: ours.map(|o| o.row_no),
        state_amount: ours.map(money_of),
        state_date_ms: ours.and_then(|o| (o.made_at_ms > 0).then_some(o.made_at_ms)),
        currency,
    }
}

fn write_line(
    w: &mut crate::sheets::sheet::Sheet<impl std::io::Write>,
    finding: Finding,
    n: &Noted,
) -> anyhow::Result<()> {
    let opt = |v: Option<String>| v.unwrap_or_default();
    let dialect = w.dialect();
    w.row([
        finding.as_str().to_owned(),
        n.report.clone(),
        opt(n.report_line.map(|l| l.to_string())),
        n.report_type.clone(),
        n.payment.to_string(),
        opt(n.report_amount.map(|a| dialect.amount(a))),
        opt(n.report_date_ms.map(clock::rfc3339)),
        opt(n.refund_id.clone()),
        opt(n.row.map(|r| r.to_string())),
        opt(n.state_amount.map(|a| dialect.amount(a))),
        opt(n.state_date_ms.map(clock::rfc3339)),
        n.currency.clone(),
    ])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;
    use crate::domain::PaymentId;

    const DAY: i64 = 86_400_000;

    /// The batch's refunds: (refund id, payment, amount, made at in days, currency).
    fn batch(refunds: &[(&str, u64, &str, i64, Option<&str>)]) -> (Vec<Ours>, Ids) {
        let mut ids = Ids::default();
        let mut ours: Vec<Ours> = refunds
            .iter()
            .enumerate()
            .map(|(i, &(id, payment, amount, day, currency))| Ours {
                payment,
                cents: cents(Decimal::from_str(amount).unwrap()).unwrap(),
                made_at_ms: day * DAY,
                id: ids.number(id.to_owned()),
                row_no: i as u32 + 1,
                currency: currency.map(|c| c.parse().unwrap()),
                matched: false,
            })
            .collect();
        index(&mut ours, &mut ids);
        (ours, ids)
    }

    fn line(payment: u64, amount: &str, day: i64, refund_id: Option<&str>) -> ReportLine {
        ReportLine {
            line: 2,
            kind: LineKind::Refund,
            type_text: "REFUND".into(),
            payment: PaymentId::new(payment),
            amount: Some(Decimal::from_str(amount).unwrap()),
            currency: None,
            date_ms: Some(day * DAY),
            refund_id: refund_id.map(str::to_owned),
        }
    }

    /// The finding and the refund id of ours it took.
    fn matched(ours: &mut [Ours], ids: &Ids, l: &ReportLine) -> (Finding, Option<String>) {
        let payment = l.payment.unwrap().get();
        let (finding, i) = match_refund(ours, ids, l, payment, 3 * DAY);
        (finding, i.map(|i| ids.text_of(&ours[i])))
    }

    #[test]
    fn a_line_naming_its_refund_is_that_refund_only() {
        let (mut ours, ids) = batch(&[("11", 1, "25", 10, None), ("12", 1, "25", 10, None)]);
        let l = line(1, "25", 10, Some("12"));
        assert_eq!(
            matched(&mut ours, &ids, &l),
            (Finding::Matched, Some("12".into()))
        );
        // The same line again: taken already, so it is not the batch's.
        assert_eq!(matched(&mut ours, &ids, &l), (Finding::NotInBatch, None));
        // An id the batch did not make is someone else's, whatever its amount.
        let l = line(1, "25", 10, Some("99"));
        assert_eq!(matched(&mut ours, &ids, &l), (Finding::NotInBatch, None));
        // Named, with another amount.
        let l = line(1, "24", 10, Some("11"));
        assert_eq!(
            matched(&mut ours, &ids, &l),
            (Finding::AmountDiffers, Some("11".into()))
        );
        // Named, but on another payment than the batch made it on.
        let (mut ours, ids) = batch(&[("11", 1, "25", 10, None)]);
        let l = line(2, "25", 10, Some("11"));
        assert_eq!(matched(&mut ours, &ids, &l), (Finding::NotInBatch, None));
    }

    #[test]
    fn lines_without_an_id_match_by_amount_date_and_currency() {
        let (mut ours, ids) = batch(&[
            ("b", 1, "25", 12, None),
            ("a", 1, "25", 10, None),
            ("c", 1, "40", 10, None),
        ]);
        // Two same-amount refunds: oldest first, and ambiguous both times.
        let l = line(1, "25", 11, None);
        assert_eq!(
            matched(&mut ours, &ids, &l),
            (Finding::MatchedAmbiguous, Some("a".into()))
        );
        assert_eq!(
            matched(&mut ours, &ids, &l),
            (Finding::MatchedAmbiguous, Some("b".into()))
        );
        // Another amount near in time: the batch's refund, but it differs.
        let l = line(1, "41", 10, None);
        assert_eq!(
            matched(&mut ours, &ids, &l),
            (Finding::AmountDiffers, Some("c".into()))
        );
        // Nothing of ours left on the payment.
        assert_eq!(
            matched(&mut ours, &ids, &line(1, "25", 10, None)),
            (Finding::NotInBatch, None)
        );

        // One refund like it: matched, unless too far in time or in another currency.
        let (mut ours, ids) = batch(&[("a", 1, "25", 10, Some("BRL"))]);
        assert_eq!(
            matched(&mut ours, &ids, &line(1, "25", 14, None)),
            (Finding::NotInBatch, None)
        );
        let mut ars = line(1, "25", 10, None);
        ars.currency = Some("ARS".into());
        assert_eq!(matched(&mut ours, &ids, &ars), (Finding::NotInBatch, None));
        // Within the window, the currency said in another case.
        let mut brl = line(1, "25", 13, None);
        brl.currency = Some("brl".into());
        assert_eq!(
            matched(&mut ours, &ids, &brl),
            (Finding::Matched, Some("a".into()))
        );
    }

    /// The exit is read from the findings and the period: 1 for any finding
    /// that disagrees, or for reports of another period; else 0.
    #[test]
    fn the_exit_is_the_findings_and_the_period() {
        let matched = |fs: &[Finding], outside: Option<(i64, i64, usize)>| Matched {
            batch_id: "b".into(),
            counts: fs.iter().map(|f| (*f, 1)).collect(),
            money: BTreeMap::new(),
            period: None,
            reports: Vec::new(),
            out: PathBuf::from("m.csv"),
            outside,
            sample: Sample::new(0),
            currency_unchecked: false,
        };
        assert_eq!(
            matched(&[Finding::Matched, Finding::MatchedAmbiguous], None).exit(),
            Exit::Ok
        );
        assert_eq!(matched(&[], None).exit(), Exit::Ok);
        for wrong in [
            Finding::AmountDiffers,
            Finding::MissingInReport,
            Finding::NotInBatch,
            Finding::ChargebackOnRefundedPayment,
        ] {
            assert_eq!(
                matched(&[Finding::Matched, wrong], None).exit(),
                Exit::SomeFailed,
                "{wrong:?}"
            );
        }
        assert_eq!(
            matched(&[Finding::Matched], Some((1, 2, 3))).exit(),
            Exit::SomeFailed
        );
    }
}
