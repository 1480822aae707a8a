//! `mprefund plan`: reads the whole file, as `run` would, and reports what it
//! found — the columns taken, the encoding, counts, totals per currency and every
//! problem with its line number. It sends nothing and writes nothing.

use std::io::Write;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};

use super::online::FileAsks;
use crate::domain::ending::{Ending, Exit};
use crate::domain::totals::{self, Tally};
use crate::domain::{Currency, Kind, PaymentId, Requested};
use crate::sheets::input::{InputOptions, InputSummary, Spooled, Validated};
use crate::store::ledger::{self, PriorRefund};

#[derive(Debug)]
pub(crate) struct PlanReport {
    path: PathBuf,
    delimiter: u8,
    /// (The console shows these fields as a page: `console::pages`.)
    pub(crate) columns: usize,
    /// (what, the header cell and its 1-based column) of each column taken.
    pub(crate) taken: Vec<(crate::sheets::input::ColumnRole, Option<(usize, String)>)>,
    pub(crate) summary: InputSummary,
    pub(crate) totals: Tally,
    /// (line, reason) of every bad row.
    pub(crate) problems: Vec<(u64, crate::domain::finding::Findings)>,
    /// Rows whose payment an earlier batch of the state file refunded: `run` would
    /// refuse them unless `--allow-more-refunds`.
    pub(crate) prior: Vec<PriorRefund>,
    /// The same rows (same keys) an earlier batch refunded, or may have: `run`
    /// sends them no more, but their money is that batch's, not this file's.
    pub(crate) repeated: Vec<PriorRefund>,
    /// Where those were looked for, when a state file was there.
    state: Option<PathBuf>,
    /// The valid `full` rows of payments, each once per payment: what the
    /// console reads back to put their money in a total (`console::covered`).
    pub(crate) full_rows: Vec<FullRow>,
    /// The first valid payment row's payment: a payment of the file's account,
    /// whose currency is the account's.
    pub(crate) first_payment: Option<(PaymentId, Kind)>,
    /// What the rows ask of each payment, for `--online`. Behind a lock only so
    /// that a report can be shared between threads (the console keeps plans):
    /// it holds a read-only connection to the state file.
    asked: std::sync::Mutex<Option<FileAsks>>,
}

/// `state`: the state file `run` would use; its earlier refunds are looked up
/// (read-only) when it exists. `online`: also gather, from the same pass, what
/// the rows ask of each payment (see [`PlanReport::into_online`]).
pub(crate) fn plan(
    input: &Spooled,
    opts: &InputOptions,
    state: Option<&Path>,
    online: bool,
) -> anyhow::Result<PlanReport> {
    let mut asked = online.then(|| FileAsks::new(state)).transpose()?;
    let mut full_rows: Vec<FullRow> = Vec::new();
    let mut first_payment = None;
    let mut at: std::collections::HashMap<PaymentId, usize> = Default::default();
    let Validated {
        problems,
        tally: totals,
        summary,
        columns,
        taken,
    } = input.validate(opts, |row| {
        // Payments only: an order's balance is read by its own endpoint, and
        // its `full` rows stay named apart in a total.
        if let Ok(v) = &row.content
            && let Some(payment) = v.ask.target.payment()
        {
            first_payment.get_or_insert((payment, v.ask.kind()));
            if v.ask.requested == Requested::Full {
                let i = *at.entry(payment).or_insert_with(|| {
                    full_rows.push(FullRow {
                        payment,
                        kind: v.ask.kind(),
                        currency: v.currency,
                        rows: 0,
                    });
                    full_rows.len() - 1
                });
                full_rows[i].rows += 1;
            }
        }
        match &mut asked {
            Some(a) => a.add(row),
            None => Ok(()),
        }
    })?;
    let (earlier, state) = match state.map(ledger::ReadOnly::open).transpose()?.flatten() {
        Some(mut ro) => (earlier_refunds(input, opts, &summary.scan, &mut ro)?, state),
        None => (ledger::Earlier::default(), None),
    };
    let ledger::Earlier { prior, repeated } = earlier;
    Ok(PlanReport {
        path: input.path().to_path_buf(),
        delimiter: summary.delimiter,
        columns,
        taken,
        summary,
        totals,
        problems,
        prior,
        repeated,
        state: state.map(Path::to_path_buf),
        full_rows,
        first_payment,
        asked: std::sync::Mutex::new(asked),
    })
}

/// The `full` rows of one payment (usually one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FullRow {
    pub payment: PaymentId,
    pub kind: Kind,
    /// The first such row's currency cell.
    pub currency: Option<Currency>,
    pub rows: u64,
}

/// A second pass over the rows, streaming their asks into the state file's
/// probe: memory stays flat however long the file.
fn earlier_refunds(
    input: &Spooled,
    opts: &InputOptions,
    scan: &crate::sheets::input::Scan,
    ro: &mut ledger::ReadOnly,
) -> anyhow::Result<ledger::Earlier> {
    let mut input = input.reopen(opts, scan)?;
    let mut failed = None;
    let rows = input.by_ref().map_while(|row| match row {
        Ok(row) => Some(row),
        Err(e) => {
            failed = Some(e);
            None
        }
    });
    let asks = rows.filter_map(|r| r.content.ok().map(|v| (r.row_no, r.line, v.ask)));
    let found = ro.earlier_refunds(asks)?;
    if let Some(e) = failed {
        return Err(e.into());
    }
    Ok(found)
}

impl PlanReport {
    /// What `plan --online` goes on with: the validating pass's summary and what
    /// it gathered (`None` unless [`plan`] was asked to gather it).
    pub(crate) fn into_online(self) -> Option<(InputSummary, FileAsks)> {
        let asked = self.asked.into_inner().unwrap_or_else(|p| p.into_inner());
        Some((self.summary, asked?))
    }

    /// True when the file has no problem and `run` would send every row.
    pub(crate) fn clean(&self) -> bool {
        self.summary.invalid == 0 && self.prior.is_empty()
    }

    /// The field delimiter, for people: `semicolon (;)`.
    pub(crate) fn delimiter_name(&self) -> String {
        match self.delimiter {
            b',' => "comma (,)".to_owned(),
            b';' => "semicolon (;)".to_owned(),
            b'\t' => "tab".to_owned(),
            d => format!("{:?}", char::from(d)),
        }
    }

    /// The file's encoding, for people.
    pub(crate) fn encoding_name(&self) -> &'static str {
        match (self.summary.windows_1252, self.summary.bom) {
            (true, _) => "Windows-1252 (not UTF-8; accents decoded as Excel wrote them)",
            (false, true) => "UTF-8 with BOM",
            (false, false) => "UTF-8",
        }
    }

    /// The human report, for stdout; `rate`: the requests per second `run` would
    /// send at, for the estimated duration.
    pub(crate) fn render(&self, out: &mut dyn Write, rate: NonZeroU32) -> std::io::Result<()> {
        let s = &self.summary;
        let delimiter = self.delimiter_name();
        let encoding = self.encoding_name();
        writeln!(out, "file:          {}", self.path.display())?;
        writeln!(out, "delimiter:     {delimiter}")?;
        writeln!(out, "encoding:      {encoding}")?;
        writeln!(out, "columns:       {}", self.columns)?;
        for (what, cell) in &self.taken {
            let cell = match cell {
                Some((i, name)) => format!("column {i} {name:?}"),
                None => "(none)".to_owned(),
            };
            writeln!(out, "  {:<12} {cell}", format!("{}:", what.as_str()))?;
        }
        writeln!(out, "rows:          {}", s.rows)?;
        writeln!(out, "valid:         {}", s.valid)?;
        if s.orders > 0 {
            writeln!(
                out,
                "  of them:     {} payment(s), {} order(s) of the Orders API",
                s.valid - s.orders,
                s.orders
            )?;
        }
        writeln!(out, "invalid:       {}", s.invalid)?;
        writeln!(out, "blank skipped: {}", s.blank_skipped)?;
        let earlier = self.already_refunded();
        if earlier > 0 {
            writeln!(
                out,
                "earlier:       {earlier} row(s) refunded, or maybe refunded, by earlier batches (below)"
            )?;
        }
        writeln!(out, "batch:         {}", s.fingerprint)?;
        writeln!(
            out,
            "duration:      {} at --rate {rate} (one request a row; retries add to it)",
            crate::engine::progress::eta(s.valid, rate)
        )?;
        writeln!(out)?;
        if self.totals.per.is_empty() {
            writeln!(out, "nothing to refund: no valid rows")?;
        } else {
            writeln!(
                out,
                "{:<10} {:>15} {:>20} {:>12}",
                "currency", "partial refunds", "partial sum", "full refunds"
            )?;
            for (currency, t) in &self.totals.per {
                let name = totals::name(*currency);
                let sum = t.sum_text(*currency);
                writeln!(out, "{name:<10} {:>15} {sum:>20} {:>12}", t.partial, t.full)?;
            }
        }
        if !self.problems.is_empty() {
            writeln!(out)?;
            writeln!(out, "problems ({}):", self.problems.len())?;
            for (line, reason) in &self.problems {
                writeln!(out, "line {line}: {reason}")?;
            }
        }
        let state = self.state.as_deref().unwrap_or(Path::new("")).display();
        earlier_section(
            out,
            format_args!(
                "already refunded, or maybe refunded, by an earlier batch of {state} ({} refund(s)); `run` sends these rows only with --allow-more-refunds, and holds a row whose payment is in doubt until a read-back (`reconcile`, or `run` once its last attempt is old enough) settles it:",
                self.prior.len()
            ),
            &self.prior,
        )?;
        earlier_section(
            out,
            format_args!(
                "already refunded, or maybe refunded, as these very rows by an earlier batch of {state} ({} row(s)); `run` sends them no more, and their money is that batch's:",
                rows_of(&self.repeated)
            ),
            &self.repeated,
        )
    }

    /// Rows an earlier batch refunded, or may have refunded: on their payment
    /// under another key, or the same rows. Each row once.
    pub(crate) fn already_refunded(&self) -> usize {
        rows_of(self.prior.iter().chain(&self.repeated))
    }
}

/// The distinct rows `refunds` are about (several may stand in one row's way).
pub(crate) fn rows_of<'a>(refunds: impl IntoIterator<Item = &'a PriorRefund>) -> usize {
    let rows: std::collections::BTreeSet<u64> = refunds.into_iter().map(|p| p.row_no).collect();
    rows.len()
}

/// Offline: a clean file may be run (0), any bad line refuses it (2).
impl Ending for PlanReport {
    fn exit(&self) -> Exit {
        if self.clean() { Exit::Ok } else { Exit::Usage }
    }
}

/// `plan --online`: the offline check and the prediction, one exit.
pub(crate) struct Planned {
    pub offline: Exit,
    pub online: Exit,
}

impl Ending for Planned {
    /// Bad lines or rows guarded by the state file still refuse the run, unless
    /// the prediction stopped early (then that is what to say).
    fn exit(&self) -> Exit {
        if self.offline == Exit::Usage && self.online != Exit::Stopped {
            Exit::Usage
        } else {
            self.online
        }
    }
}

/// When there are earlier refunds of rows: `heading`, then one line per
/// refund: its row's line, what it refunds, and what became of the refund.
fn earlier_section(
    out: &mut dyn std::io::Write,
    heading: std::fmt::Arguments<'_>,
    refunds: &[PriorRefund],
) -> std::io::Result<()> {
    if refunds.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(out, "{heading}")?;
    for p in refunds {
        let what = if p.order { "order" } else { "payment" };
        writeln!(
            out,
            "line {}: {what} {}: {}",
            p.line,
            p.payment_id,
            p.describe()
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sheets::input::tests::{file, opts};

    /// The report rendered to `out`; true when the file is clean.
    fn plan(path: &Path, opts: &InputOptions, out: &mut Vec<u8>) -> anyhow::Result<bool> {
        let report = super::plan(&Spooled::read(path)?, opts, None, false)?;
        report
            .render(out, NonZeroU32::new(10).unwrap())
            .expect("render");
        Ok(report.clean())
    }

    /// One read of the file, and two passes over its copy — the duplicate scan,
    /// then validation, which also gathers what `--online` predicts from.
    #[test]
    fn plan_online_reads_the_rows_twice_at_most() {
        let f = file(b"payment_id,amount\n1,10\n2,5\n2,5\n");
        let input = Spooled::read(f.path()).unwrap();
        let report = super::plan(&input, &opts(), None, true).unwrap();
        assert_eq!(input.passes(), 2);
        assert_eq!(report.summary.invalid, 1, "the duplicate is found");
        assert!(report.into_online().is_some());
    }

    #[test]
    fn plan_summarises_per_currency_and_lists_every_problem() {
        let f = file(
            b"\xEF\xBB\xBFpayment_id;valor;currency;reference\r\n\
              1;10,50;BRL;a\r\n\
              2;20;BRL;b\r\n\
              3;full;BRL;c\r\n\
              4;1500;CLP;d\r\n\
              5;7,25;;e\r\n\
              6;-1;;f\r\n\
              ;;;\r\n\
              7;1.234.56;ARS;g\r\n",
        );
        let mut out = Vec::new();
        let clean = plan(f.path(), &opts(), &mut out).expect("plan");
        let text = String::from_utf8(out).expect("utf-8 report");
        assert!(!clean);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines.contains(&"delimiter:     semicolon (;)"), "{text}");
        assert!(lines.contains(&"encoding:      UTF-8 with BOM"), "{text}");
        assert!(lines.contains(&"rows:          7"), "{text}");
        assert!(lines.contains(&"valid:         5"), "{text}");
        assert!(lines.contains(&"invalid:       2"), "{text}");
        assert!(lines.contains(&"blank skipped: 1"), "{text}");
        let row = |name: &str| {
            let l = lines
                .iter()
                .find(|l| l.trim_start().starts_with(name))
                .unwrap_or_else(|| panic!("no {name} in {text}"));
            l.split_whitespace().map(str::to_owned).collect::<Vec<_>>()
        };
        assert_eq!(row("BRL"), ["BRL", "2", "30.50", "1"]);
        assert_eq!(row("CLP"), ["CLP", "1", "1500", "0"]);
        assert_eq!(row("(no"), ["(no", "currency)", "1", "7.25", "0"]);
        assert_eq!(
            row("payment id:"),
            ["payment", "id:", "column", "1", "\"payment_id\""]
        );
        assert_eq!(row("amount:"), ["amount:", "column", "2", "\"valor\""]);
        assert_eq!(row("kind:"), ["kind:", "(none)"]);
        assert_eq!(row("duration:")[1], "1s", "5 rows at 10/s");
        assert!(
            lines.contains(&"line 7: amount \"-1\" must be positive"),
            "{text}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("line 9: amount \"1.234.56\" has a thousands separator")),
            "{text}"
        );

        let f = file(b"payment_id,amount\n1,1\n");
        let mut out = Vec::new();
        assert!(plan(f.path(), &opts(), &mut out).expect("plan"));
        assert!(!String::from_utf8_lossy(&out).contains("problems"));

        let f = file(b"payment_id,amount\n");
        let mut out = Vec::new();
        assert!(plan(f.path(), &opts(), &mut out).expect("plan"));
        assert!(String::from_utf8_lossy(&out).contains("nothing to refund"));
    }

    #[test]
    fn plan_reports_windows_1252() {
        let f = file(b"payment_id;valor;obs\n1;2;Devolu\xE7\xE3o\n");
        let mut out = Vec::new();
        assert!(plan(f.path(), &opts(), &mut out).expect("plan"));
        assert!(String::from_utf8_lossy(&out).contains("encoding:      Windows-1252"));
    }
}
