//! Mercado Pago's own reports, as finance downloads them: the settlement report
//! (all transactions, account money) and the release report. Read by header name,
//! never by position — their column sets differ by country and date — with `;` or
//! `,`, a BOM or none, `.` as the decimal mark and ISO 8601 dates with an offset.
//!
//! Invariants: a file is refused whole (with its line and why) rather than read
//! wrongly — an id in scientific notation (`2E+15`, what Excel makes of a long
//! id), a missing `SOURCE_ID` column, an amount or date on a line that matters
//! which is not one; lines of kinds we do not know are kept as `Other`, never
//! dropped silently; streaming, one line at a time, and no line (a record, its
//! quoted line breaks included) longer than [`MAX_LINE_BYTES`] is read — so
//! memory stays small whatever the file holds; errors echo excerpts of what they
//! refuse, never whole cells or lines.

use std::fs::File;
use std::io::{BufRead, BufReader, Chain, Cursor, Read};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use rust_decimal::Decimal;

use crate::domain::PaymentId;
use crate::domain::excerpt::{Quoted, excerpt, excerpt_bytes};
use crate::sheets::lines::Lines;

/// The longest line (record) of a report that is read. Mercado Pago's lines are
/// well under 4 KiB, `METADATA` included; a longer one is not a report line,
/// and reading it whole would cost its size in memory.
pub(crate) const MAX_LINE_BYTES: u64 = 64 * 1024;

/// What the csv reader buffers ahead of the record it parses.
const CSV_BUFFER: usize = 8 * 1024;

/// Which report a file is, told apart by its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReportKind {
    Settlement,
    Release,
}

impl ReportKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ReportKind::Settlement => "settlement",
            ReportKind::Release => "release",
        }
    }
}

/// What a line of a report is about, for matching a batch of refunds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LineKind {
    /// A refund (`REFUND`, `REFUND_SHIPPING`; release `refund`).
    Refund,
    /// Money held back for a refund (release `reserve_for_refund`): shown apart.
    ReserveForRefund,
    /// A chargeback on the payment.
    Chargeback,
    /// Anything else (payments, payouts, totals...).
    Other,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ReportLine {
    /// The file line the record starts on (header = 1).
    pub line: u64,
    pub kind: LineKind,
    /// The report's own word for it (`REFUND`, `refund`, `CHARGEBACK`...).
    pub type_text: String,
    pub payment: Option<PaymentId>,
    /// Unsigned: the sign of a refund's amount is not documented.
    pub amount: Option<Decimal>,
    pub currency: Option<String>,
    /// Milliseconds since the epoch.
    pub date_ms: Option<i64>,
    /// A refund id found in `METADATA`.
    pub refund_id: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum ReportError {
    #[error("cannot read the report {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {why}", path.display())]
    Header { path: PathBuf, why: String },
    #[error("{}, line {line}: {why}", path.display())]
    Line {
        path: PathBuf,
        line: u64,
        why: String,
    },
}

/// Where each column of interest is.
#[derive(Debug, Clone, Copy)]
struct Columns {
    source_id: usize,
    /// Settlement `TRANSACTION_TYPE`; release `DESCRIPTION`.
    kind: usize,
    /// Release `RECORD_TYPE`: only `release` lines are movements.
    record_type: Option<usize>,
    /// In order of preference.
    amounts: [Option<usize>; 3],
    currency: Option<usize>,
    date: Option<usize>,
    metadata: Option<usize>,
}

type Source = Lines<Bounded<Chain<Cursor<Vec<u8>>, BufReader<File>>>>;

/// Fails a read once more than [`MAX_LINE_BYTES`] (and what the csv reader reads
/// ahead) came in since the record being parsed began: `since` is set back to 0
/// as each record is read.
struct Bounded<R> {
    inner: R,
    since: Arc<AtomicU64>,
}

/// The error a [`Bounded`] read fails with.
#[derive(Debug, thiserror::Error)]
#[error("a line longer than {MAX_LINE_BYTES} bytes")]
struct LineTooLong;

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let since = self.since.fetch_add(n as u64, Ordering::Relaxed) + n as u64;
        if since > MAX_LINE_BYTES + 2 * CSV_BUFFER as u64 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                LineTooLong,
            ));
        }
        Ok(n)
    }
}

pub(crate) struct Report {
    pub path: PathBuf,
    pub kind: ReportKind,
    reader: csv::Reader<Source>,
    record: csv::StringRecord,
    cols: Columns,
    failed: bool,
    /// Bytes read since the current record began (see [`Bounded`]).
    since: Arc<AtomicU64>,
    /// The line the last record read started on.
    last_line: u64,
}

/// The first line's `;` or `,`, whichever occurs more outside quotes.
fn sniff_delimiter(header: &[u8]) -> u8 {
    let (mut quoted, mut semi, mut comma) = (false, 0, 0);
    for &b in header {
        match b {
            b'"' => quoted = !quoted,
            b';' if !quoted => semi += 1,
            b',' if !quoted => comma += 1,
            _ => {}
        }
    }
    if semi > comma { b';' } else { b',' }
}

impl Report {
    pub(crate) fn open(path: &Path) -> Result<Report, ReportError> {
        let io = |source| ReportError::Io {
            path: path.to_owned(),
            source,
        };
        let mut file = BufReader::with_capacity(1 << 16, File::open(path).map_err(io)?);
        let mut first = Vec::new();
        (&mut file)
            .take(MAX_LINE_BYTES + 1)
            .read_until(b'\n', &mut first)
            .map_err(io)?;
        if first.len() as u64 > MAX_LINE_BYTES {
            return Err(ReportError::Header {
                path: path.to_owned(),
                why: format!(
                    "the first line runs past {MAX_LINE_BYTES} bytes: not a settlement or release report (it begins {})",
                    excerpt_bytes(&first)
                ),
            });
        }
        if first.starts_with(b"\xEF\xBB\xBF") {
            first.drain(..3);
        }
        let delimiter = sniff_delimiter(&first);
        let since = Arc::new(AtomicU64::new(0));
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            .has_headers(true)
            .buffer_capacity(CSV_BUFFER)
            .from_reader(Lines::new(
                Bounded {
                    inner: Cursor::new(first).chain(file),
                    since: since.clone(),
                },
                delimiter,
            ));
        let header: Vec<String> = reader
            .headers()
            .map_err(|e| ReportError::Header {
                path: path.to_owned(),
                why: format!("no readable header ({e})"),
            })?
            .iter()
            .map(|h| h.trim().to_ascii_uppercase())
            .collect();
        since.store(0, Ordering::Relaxed);
        let find = |name: &str| header.iter().position(|h| h == name);
        let header_error = |why: String| ReportError::Header {
            path: path.to_owned(),
            why,
        };
        let (kind, kind_col) = if let Some(c) = find("TRANSACTION_TYPE") {
            (ReportKind::Settlement, c)
        } else if let Some(c) = find("DESCRIPTION").filter(|_| find("RECORD_TYPE").is_some()) {
            (ReportKind::Release, c)
        } else {
            return Err(header_error(format!(
                "neither a settlement report (no TRANSACTION_TYPE column) nor a release report (no RECORD_TYPE and DESCRIPTION columns); header: {}",
                excerpt(&header.join(", "))
            )));
        };
        let source_id = find("SOURCE_ID").ok_or_else(|| {
            header_error(format!(
                "no SOURCE_ID column (the payment id) in this {} report; download it again with its default columns",
                kind.as_str()
            ))
        })?;
        let cols = match kind {
            ReportKind::Settlement => Columns {
                source_id,
                kind: kind_col,
                record_type: None,
                amounts: [
                    find("TRANSACTION_AMOUNT"),
                    find("REAL_AMOUNT"),
                    find("SETTLEMENT_NET_AMOUNT"),
                ],
                currency: find("TRANSACTION_CURRENCY").or_else(|| find("SETTLEMENT_CURRENCY")),
                date: find("TRANSACTION_DATE").or_else(|| find("SETTLEMENT_DATE")),
                metadata: find("METADATA"),
            },
            ReportKind::Release => Columns {
                source_id,
                kind: kind_col,
                record_type: find("RECORD_TYPE"),
                amounts: [
                    find("GROSS_AMOUNT"),
                    find("NET_DEBIT_AMOUNT"),
                    find("NET_CREDIT_AMOUNT"),
                ],
                currency: find("CURRENCY"),
                date: find("DATE"),
                metadata: None,
            },
        };
        if cols.amounts.iter().all(Option::is_none) {
            return Err(header_error(format!(
                "no amount column in this {} report",
                kind.as_str()
            )));
        }
        Ok(Report {
            path: path.to_owned(),
            kind,
            reader,
            record: csv::StringRecord::new(),
            cols,
            failed: false,
            since,
            last_line: 1,
        })
    }

    /// The physical line a record or error at `pos` starts on (see [`Lines`]).
    fn line_of(&self, pos: Option<&csv::Position>) -> u64 {
        pos.map_or(0, |p| {
            self.reader.get_ref().line_of(p.byte()).unwrap_or(p.line())
        })
    }

    fn line_error(&self, line: u64, why: String) -> ReportError {
        ReportError::Line {
            path: self.path.clone(),
            line,
            why,
        }
    }

    fn parse(&self, line: u64) -> Result<ReportLine, ReportError> {
        let r = &self.record;
        let cell = |i: Option<usize>| i.and_then(|i| r.get(i)).map(str::trim).unwrap_or("");
        let c = self.cols;
        let type_text = cell(Some(c.kind)).to_owned();
        let movement = c
            .record_type
            .is_none_or(|i| cell(Some(i)).eq_ignore_ascii_case("release"));
        let kind = match type_text.to_ascii_uppercase().as_str() {
            _ if !movement => LineKind::Other,
            "REFUND" | "REFUND_SHIPPING" => LineKind::Refund,
            "RESERVE_FOR_REFUND" => LineKind::ReserveForRefund,
            "CHARGEBACK" | "CHARGEBACK_SHIPPING" => LineKind::Chargeback,
            _ => LineKind::Other,
        };
        let id_text = cell(Some(c.source_id));
        if id_text.contains(['E', 'e']) && id_text.chars().any(|ch| ch.is_ascii_digit()) {
            return Err(self.line_error(
                line,
                format!(
                    "SOURCE_ID {} is in scientific notation: the file was opened and saved in a spreadsheet, which rounds long ids; download it again and do not save it from Excel",
                    Quoted(id_text)
                ),
            ));
        }
        let payment = match id_text {
            "" => None,
            t => Some(
                t.parse::<u64>()
                    .ok()
                    .and_then(PaymentId::new)
                    .ok_or_else(|| {
                        self.line_error(
                            line,
                            format!("SOURCE_ID {} is not a payment id", Quoted(t)),
                        )
                    })?,
            ),
        };
        let matters = kind != LineKind::Other;
        if matters && payment.is_none() {
            return Err(self.line_error(line, format!("a {type_text} line without a SOURCE_ID")));
        }
        let mut amount = None;
        for i in c.amounts.into_iter().flatten() {
            let t = cell(Some(i));
            if t.is_empty() {
                continue;
            }
            match Decimal::from_str(t) {
                Ok(a) if !t.contains(['e', 'E']) => {
                    if !a.is_zero() {
                        amount = Some(a.abs());
                        break;
                    }
                    amount.get_or_insert(a);
                }
                _ if matters => {
                    return Err(
                        self.line_error(line, format!("amount {} is not a number", Quoted(t)))
                    );
                }
                _ => {}
            }
        }
        if matters && amount.is_none() {
            return Err(self.line_error(line, format!("a {type_text} line without an amount")));
        }
        let date_text = cell(c.date);
        let date_ms = match date_text {
            "" => None,
            t => match parse_date(t) {
                Some(ms) => Some(ms),
                None if matters => {
                    return Err(self
                        .line_error(line, format!("date {} is not an ISO 8601 date", Quoted(t))));
                }
                None => None,
            },
        };
        Ok(ReportLine {
            line,
            kind,
            type_text,
            payment,
            amount,
            currency: Some(cell(c.currency))
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
            date_ms,
            refund_id: refund_id_in(cell(c.metadata)),
        })
    }
}

impl Iterator for Report {
    type Item = Result<ReportLine, ReportError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        loop {
            match self.reader.read_record(&mut self.record) {
                Ok(false) => return None,
                Ok(true) => {
                    self.since.store(0, Ordering::Relaxed);
                    let line = self.line_of(self.record.position());
                    self.last_line = line;
                    if self.record.iter().all(|c| c.trim().is_empty()) {
                        continue;
                    }
                    let parsed = self.parse(line);
                    self.failed = parsed.is_err();
                    return Some(parsed);
                }
                Err(e) => {
                    self.failed = true;
                    if let csv::ErrorKind::Io(io) = e.kind()
                        && io.get_ref().is_some_and(|e| e.is::<LineTooLong>())
                    {
                        return Some(Err(ReportError::Header {
                            path: self.path.clone(),
                            why: format!(
                                "a line after line {} runs past {MAX_LINE_BYTES} bytes: not a report line; download the report again",
                                self.last_line
                            ),
                        }));
                    }
                    let line = self.line_of(e.position());
                    return Some(Err(self.line_error(line, format!("not CSV: {e}"))));
                }
            }
        }
    }
}

/// ISO 8601 with an offset (`2019-08-11T22:20:19.000-04:00`), or without one
/// (taken as UTC), or a bare date.
pub(crate) fn parse_date(t: &str) -> Option<i64> {
    use time::format_description::well_known::Rfc3339;
    let ms = |d: time::OffsetDateTime| i64::try_from(d.unix_timestamp_nanos() / 1_000_000).ok();
    if let Ok(d) = time::OffsetDateTime::parse(t, &Rfc3339) {
        return ms(d);
    }
    let with_z = format!("{t}Z");
    if let Ok(d) = time::OffsetDateTime::parse(&with_z, &Rfc3339) {
        return ms(d);
    }
    let date = time::Date::parse(
        t.get(..10)?,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()?;
    (t.len() == 10).then(|| ms(date.midnight().assume_utc()))?
}

/// A refund id in a `METADATA` cell: a JSON value holding a key like
/// `refund_id`, or such a key followed by digits in plain text.
fn refund_id_in(metadata: &str) -> Option<String> {
    if metadata.is_empty() {
        return None;
    }
    /// `in_refund`: inside a value whose key names a refund, where `id` is its id.
    fn search(v: &serde_json::Value, in_refund: bool) -> Option<String> {
        match v {
            serde_json::Value::Object(m) => m.iter().find_map(|(k, v)| {
                let k = k.to_ascii_lowercase();
                let refundish = k.contains("refund");
                let id = match v {
                    serde_json::Value::Number(n) => Some(n.to_string()),
                    serde_json::Value::String(s)
                        if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) =>
                    {
                        Some(s.clone())
                    }
                    _ => None,
                };
                if (refundish && k.contains("id")) || (in_refund && k == "id") {
                    id.or_else(|| search(v, true))
                } else {
                    search(v, in_refund || refundish)
                }
            }),
            serde_json::Value::Array(a) => a.iter().find_map(|v| search(v, in_refund)),
            _ => None,
        }
    }
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(metadata) {
        return search(&v, false);
    }
    let lower = metadata.to_ascii_lowercase();
    let at = lower.find("refund_id")? + "refund_id".len();
    let digits: String = lower[at..]
        .trim_start_matches(|c: char| !c.is_ascii_digit())
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    (!digits.is_empty()).then_some(digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut f, text.as_bytes()).unwrap();
        f
    }

    #[test]
    fn a_settlement_report_by_header_name() {
        let f = file(
            "\u{feff}EXTRA;TRANSACTION_TYPE;SOURCE_ID;TRANSACTION_AMOUNT;TRANSACTION_CURRENCY;TRANSACTION_DATE;METADATA\n\
             x;SETTLEMENT;123;100.00;BRL;2026-11-20T10:00:00.000-03:00;\n\
             y;REFUND;123;-10.50;BRL;2026-11-21T10:00:00.000-03:00;\"{\"\"refund_id\"\": 987}\"\n\
             z;PAYOUT;;-50;BRL;2026-11-22T10:00:00Z;\n",
        );
        let r = Report::open(f.path()).unwrap();
        assert_eq!(r.kind, ReportKind::Settlement);
        let lines: Vec<ReportLine> = r.map(Result::unwrap).collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0].kind, LineKind::Other);
        let refund = &lines[1];
        assert_eq!(refund.line, 3);
        assert_eq!(refund.kind, LineKind::Refund);
        assert_eq!(refund.payment, PaymentId::new(123));
        assert_eq!(refund.amount, Some(Decimal::new(1050, 2)));
        assert_eq!(refund.currency.as_deref(), Some("BRL"));
        assert_eq!(refund.refund_id.as_deref(), Some("987"));
        assert_eq!(refund.date_ms, parse_date("2026-11-21T13:00:00Z"));
        assert_eq!(lines[2].payment, None);
    }

    #[test]
    fn a_release_report_counts_release_records_only() {
        let f = file(
            "DATE,SOURCE_ID,RECORD_TYPE,DESCRIPTION,NET_CREDIT_AMOUNT,NET_DEBIT_AMOUNT,GROSS_AMOUNT\n\
             2026-11-20T00:00:00Z,,initial_available_balance,,0,0,0\n\
             2026-11-21T00:00:00Z,123,release,refund,0,10.5,-10.5\n\
             2026-11-21T00:00:00Z,124,release,reserve_for_refund,0,3,-3\n\
             2026-11-22T00:00:00Z,,total,,1,2,3\n",
        );
        let r = Report::open(f.path()).unwrap();
        assert_eq!(r.kind, ReportKind::Release);
        let lines: Vec<ReportLine> = r.map(Result::unwrap).collect();
        let kinds: Vec<LineKind> = lines.iter().map(|l| l.kind).collect();
        assert_eq!(
            kinds,
            [
                LineKind::Other,
                LineKind::Refund,
                LineKind::ReserveForRefund,
                LineKind::Other
            ]
        );
        assert_eq!(lines[1].amount, Some(Decimal::new(105, 1)));
    }

    #[test]
    fn what_cannot_be_read_is_refused_with_its_line() {
        // A line that cannot be read: the first error the lines give.
        for (text, says) in [
            (
                "TRANSACTION_TYPE;SOURCE_ID;TRANSACTION_AMOUNT\nSETTLEMENT;1;2\nREFUND;2E+15;1\n",
                "line 3: SOURCE_ID \"2E+15\" is in scientific notation",
            ),
            (
                "TRANSACTION_TYPE,SOURCE_ID,TRANSACTION_AMOUNT\nREFUND,5,ten\n",
                "line 2: amount \"ten\" is not a number",
            ),
        ] {
            let f = file(text);
            let e = Report::open(f.path())
                .unwrap()
                .find_map(Result::err)
                .unwrap();
            assert!(e.to_string().contains(says), "{e}");
        }
        let f = file("TRANSACTION_TYPE;TRANSACTION_AMOUNT\nREFUND;1\n");
        let e = Report::open(f.path()).err().unwrap();
        assert!(e.to_string().contains("no SOURCE_ID column"), "{e}");
        let f = file("payment_id,amount\n1,2\n");
        assert!(Report::open(f.path()).is_err());
    }

    #[test]
    fn line_numbers_are_the_editors_with_crlf_line_endings() {
        // Excel writes `\r\n`; the csv parser alone counts one line short per pair.
        let f = file(
            "TRANSACTION_TYPE;SOURCE_ID;TRANSACTION_AMOUNT\r\nSETTLEMENT;1;2\r\n\r\nREFUND;1;-1\r\nREFUND;2E+15;1\r\n",
        );
        let mut r = Report::open(f.path()).unwrap();
        assert_eq!(r.next().unwrap().unwrap().line, 2);
        assert_eq!(r.next().unwrap().unwrap().line, 4);
        let e = r.next().unwrap().unwrap_err();
        assert!(e.to_string().contains("line 5: SOURCE_ID"), "{e}");
    }

    #[test]
    fn no_line_longer_than_the_bound_is_read() {
        // One physical line, and one record of many short quoted lines.
        let long = "x".repeat(1 << 20);
        let short_lines = "ab\n".repeat(1 << 18);
        for body in [long, short_lines] {
            let f = file(&format!(
                "TRANSACTION_TYPE,SOURCE_ID,TRANSACTION_AMOUNT\nSETTLEMENT,1,2\nOTHER,3,\"{body}\"\nREFUND,1,2\n"
            ));
            let e = Report::open(f.path())
                .unwrap()
                .find_map(Result::err)
                .unwrap()
                .to_string();
            assert!(e.contains("after line 2 runs past 65536 bytes"), "{e}");
            assert!(e.len() < 300, "{e}");
        }
        // Lines under the bound, however many, are read.
        let many = "SETTLEMENT,1,2\n".repeat(100_000);
        let f = file(&format!(
            "TRANSACTION_TYPE,SOURCE_ID,TRANSACTION_AMOUNT\n{many}"
        ));
        assert_eq!(
            Report::open(f.path())
                .unwrap()
                .filter(Result::is_ok)
                .count(),
            100_000
        );
    }

    #[test]
    fn refund_ids_in_metadata() {
        assert_eq!(refund_id_in(r#"{"refund_id":"55"}"#).as_deref(), Some("55"));
        assert_eq!(
            refund_id_in(r#"[{"refund": {"id": 7}}]"#).as_deref(),
            Some("7")
        );
        assert_eq!(refund_id_in("refund_id: 42; other").as_deref(), Some("42"));
        assert_eq!(refund_id_in(r#"{"order_id": 9}"#), None);
        assert_eq!(refund_id_in(""), None);
    }
}
