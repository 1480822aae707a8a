//! Input stage: turns the refund spreadsheet into a stream of
//! [`Row`]s, each either valid (its refund ask, with its idempotency key) or
//! saying precisely what is wrong on which line. Its parts: `source` (the bytes:
//! digest, header prefix, delimiter, file-type sniffing, line index, quoting),
//! `decode` (cells: UTF-8, else Windows-1252), `columns` (header matching with
//! aliases) and `validate` (one row: amounts via `Requested::parse`, duplicates,
//! the key). The batch fingerprint is `key`'s; `plan` is a command on top.
//!
//! Invariants:
//! - The user's file is read once per command (`spool`: hashed into a private
//!   copy); the passes over the rows read the copy. Streaming, in flat memory:
//!   each pass goes through a hashing adapter (the `digest` covers exactly the
//!   bytes read, BOM included) — a first pass finds the rows that may be
//!   duplicates (`dupes`: a fixed-size filter), the reading pass counts those
//!   exactly — and the passes must read the same bytes. Nothing is kept per row. The line index used for line numbers only
//!   holds the line starts still inside the reader's read-ahead buffer.
//! - A bad row never stops the stream: it becomes a row whose content is the reason, and reading
//!   goes on, so every bad line can be listed at once. Only problems with the file
//!   as a whole (unreadable, no header, missing column...) are an [`InputError`].
//! - Cells are never altered: `fields` holds every cell as decoded, and a byte
//!   sequence that is neither UTF-8 nor Windows-1252 refuses the row instead of
//!   being replaced.
//! - Line numbers are physical lines as an editor shows them (header = line 1;
//!   `\n`, `\r\n` and a lone `\r` each end a line). They are computed here, not
//!   taken from `csv`'s positions, which lag behind after a `\r\n` or a blank line.
//! - `row_no` numbers the data rows that are not blank (1, 2, 3... without gaps):
//!   rows whose cells are all blank (Excel's trailing `;;;`) are skipped, counted
//!   in `blank_skipped`, and take no number.

mod ahead;
mod columns;
mod decode;
mod dupes;
mod source;
mod spool;
mod validate;

use std::fs::File;
use std::io::{self, Chain, Cursor, Read};
use std::path::PathBuf;

use sha2::{Digest, Sha256};

use crate::domain::key;
use crate::domain::{Requested, Row};
use crate::sheets::lines::Lines;
pub(crate) use columns::ColumnRole;
use columns::{Columns, match_columns};
use decode::{Decoded, decode};
use dupes::Dupes;
pub(crate) use dupes::Scan;
use source::{Hashing, detect_delimiter, read_header_prefix, sniff_encoding};
pub(crate) use spool::{Spooled, Validated};

#[derive(Debug, Clone, Default)]
pub(crate) struct InputOptions {
    /// Field delimiter; `None` detects it from the header line.
    pub delimiter: Option<u8>,
    /// Accept identical rows (they get occurrence numbers 1, 2, ... and so distinct keys).
    pub allow_duplicates: bool,
    /// Fed to every key: two accounts or environments never share keys.
    pub namespace: String,
    /// The most a record may hold (`--max-columns`, `--max-field-bytes`,
    /// `--max-record-bytes`): a record past them stops the reading.
    pub limits: crate::sheets::lines::Limits,
}

/// Problems with the file as a whole: nothing can be refunded from it.
#[derive(Debug, thiserror::Error)]
pub(crate) enum InputError {
    #[error("cannot read {}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("{} is empty: expected a header row with a payment id and an amount column", path.display())]
    Empty { path: PathBuf },
    #[error(
        "{}: no {column} column (accepted names: {accepted}); header found: {found}{hint}",
        path.display()
    )]
    MissingColumn {
        path: PathBuf,
        /// Which column is missing: the payment id or the amount.
        column: ColumnRole,
        accepted: &'static str,
        /// The header cells as read, quoted and comma-separated.
        found: String,
        hint: &'static str,
    },
    #[error("{}, line {line}: bad header: {reason}", path.display())]
    BadHeader {
        path: PathBuf,
        line: u64,
        reason: String,
    },
    #[error("{}: {reason}", path.display())]
    Encoding { path: PathBuf, reason: String },
    #[error("delimiter {0:?} is not usable; use ',', ';' or a tab")]
    BadDelimiter(char),
    #[error("{}, near line {line}", path.display())]
    Csv {
        path: PathBuf,
        line: u64,
        source: csv::Error,
    },
    #[error(
        "{}, line {line}: a quote opened on this line is never closed, so every line after it would be read as one cell; close or remove the quote",
        path.display()
    )]
    UnclosedQuote { path: PathBuf, line: u64 },
    #[error(
        "{}, line {line}: {what}, past what any export holds (it begins {excerpt:?}); nothing was read from it: is it the right file? If it is, raise {flag}",
        path.display()
    )]
    Oversize {
        path: PathBuf,
        line: u64,
        /// Which limit, in words.
        what: String,
        excerpt: String,
        /// The flag (and job-file key) that raises it.
        flag: &'static str,
    },
    #[error("reading {} stopped at line {line} on an earlier error; its rows cannot be trusted", path.display())]
    Incomplete { path: PathBuf, line: u64 },
    #[error("{} changed while it was being read; nothing was stored or sent, run again", path.display())]
    Changed { path: PathBuf },
}

/// Where a header's payment id (or order id), amount and reference columns are,
/// as reading a file with that header takes them: for writers that echo those
/// cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct KeyColumns {
    pub payment: Option<usize>,
    pub order: Option<usize>,
    pub amount: usize,
    pub reference: Option<usize>,
}

impl KeyColumns {
    /// The column a row's id is read from when it is not valid (and so names
    /// neither for sure): the payment id column, else the order id column.
    pub(crate) fn id(&self) -> usize {
        self.payment.or(self.order).unwrap_or(self.amount)
    }
}

/// The [`KeyColumns`] of `header` (a batch's, as stored); `None` when it lacks an
/// id or amount column, which a stored batch's header never does.
pub(crate) fn key_columns(header: &[String]) -> Option<KeyColumns> {
    let c = match_columns(std::path::Path::new(""), 1, header).ok()?;
    Some(KeyColumns {
        payment: c.payment,
        order: c.order,
        amount: c.amount,
        reference: c.reference,
    })
}

/// What reading the whole file found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InputSummary {
    /// SHA-256 hex of the file's bytes as read.
    pub digest: String,
    /// Order- and format-independent digest of the namespace and the set of keys of
    /// the valid rows (32 hex chars); the batch id.
    pub fingerprint: String,
    /// Data rows considered: `valid + invalid` (blank rows excluded).
    pub rows: u64,
    pub valid: u64,
    /// Of the valid rows, those refunding orders of the Orders API.
    pub orders: u64,
    pub invalid: u64,
    pub blank_skipped: u64,
    /// Some cell was not UTF-8 and was decoded as Windows-1252.
    pub windows_1252: bool,
    /// The file started with a UTF-8 byte-order mark.
    pub bom: bool,
    /// The field delimiter the file was read with.
    pub delimiter: u8,
    /// Some valid amount was written with a decimal comma (`10,50`): the results
    /// write refunded amounts the same way.
    pub decimal_comma: bool,
    /// The possible duplicates, for another pass over the same file
    /// ([`Spooled::reopen`]).
    pub scan: Scan,
}

type Source = Lines<Chain<Cursor<Vec<u8>>, Hashing<File>>>;

/// Streaming reader of an input file; yields one [`Row`] per non-blank data row.
pub(crate) struct Input {
    path: PathBuf,
    allow_duplicates: bool,
    namespace: String,
    reader: csv::Reader<Source>,
    record: csv::ByteRecord,
    header: Vec<String>,
    columns: Columns,
    delimiter: u8,
    bom: bool,
    dupes: Dupes,
    fingerprint: key::Fingerprint,
    rows: u64,
    valid: u64,
    orders: u64,
    invalid: u64,
    blank_skipped: u64,
    windows_1252: bool,
    decimal_comma: bool,
    /// How grouped amounts read: every way they can on the first pass (which
    /// gathers `marks`), the file's decimal mark on the reading pass.
    grouping: crate::domain::marks::Grouping,
    marks: crate::domain::marks::Evidence,
    /// Set at end of input or after a fatal error: the iterator is fused.
    done: bool,
    /// Line of the fatal error already returned by the iterator, if any: `finish`
    /// must not then summarise a file it did not read to the end.
    failed_at: Option<u64>,
}

impl Input {
    /// Reads `path` once and opens its rows (see [`Spooled`]); the tests' way in.
    #[cfg(test)]
    pub fn open(path: &std::path::Path, opts: &InputOptions) -> Result<Input, InputError> {
        Spooled::read(path)?.open(opts)
    }

    /// The rows of the input read into `spooled`, after a first pass over them
    /// that finds the rows that may be duplicates (see `dupes`).
    fn open_spooled(spooled: &Spooled, opts: &InputOptions) -> Result<Input, InputError> {
        let mut scan = Input::open_pass(spooled, opts, Dupes::scanning(spooled.lines()))?;
        // A file-level error stops the scan; the reading pass meets it again, at
        // the same line, and reports it.
        for row in scan.by_ref() {
            if row.is_err() {
                break;
            }
        }
        let complete = scan.failed_at.is_none();
        let Dupes::Scanning { candidates, .. } =
            std::mem::replace(&mut scan.dupes, Dupes::scanning(0))
        else {
            unreachable!("a scan pass scans")
        };
        let digest = if complete {
            let (_, hashing) = scan.reader.into_inner().into_inner().into_inner();
            key::hex(&hashing.hasher.finalize())
        } else {
            String::new()
        };
        let scan = Scan {
            candidates: std::sync::Arc::new(candidates),
            digest,
            grouping: scan.marks.grouping(),
        };
        Input::reopen_spooled(spooled, opts, &scan)
    }

    /// The rows again, with what an earlier pass over them found (its summary's
    /// `scan`): no first pass.
    fn reopen_spooled(
        spooled: &Spooled,
        opts: &InputOptions,
        scan: &Scan,
    ) -> Result<Input, InputError> {
        Input::open_pass(
            spooled,
            opts,
            Dupes::Counting {
                scan: scan.clone(),
                seen: std::collections::HashMap::new(),
            },
        )
    }

    fn open_pass(
        spooled: &Spooled,
        opts: &InputOptions,
        dupes: Dupes,
    ) -> Result<Input, InputError> {
        let path = spooled.path();
        let io_err = |source| InputError::Io {
            path: path.to_owned(),
            source,
        };
        let file = spooled.bytes()?;
        let mut hashing = Hashing {
            inner: file,
            hasher: Sha256::new(),
        };
        let (prefix, bom) = read_header_prefix(&mut hashing).map_err(io_err)?;
        sniff_encoding(path, &prefix)?;
        let delimiter = match opts.delimiter {
            Some(d) if matches!(d, b'"' | b'\r' | b'\n') || !d.is_ascii() => {
                return Err(InputError::BadDelimiter(char::from(d)));
            }
            Some(d) => d,
            None => detect_delimiter(&prefix),
        };
        let source =
            Lines::new(Cursor::new(prefix).chain(hashing), delimiter).with_limits(opts.limits);
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(source);
        let grouping = match &dupes {
            Dupes::Scanning { .. } => crate::domain::marks::Grouping::Any,
            Dupes::Counting { scan, .. } => scan.grouping,
        };
        let mut input = Input {
            path: path.to_owned(),
            allow_duplicates: opts.allow_duplicates,
            namespace: opts.namespace.clone(),
            reader,
            record: csv::ByteRecord::new(),
            header: Vec::new(),
            columns: Columns {
                payment: None,
                order: None,
                transaction: None,
                amount: 0,
                reference: None,
                kind: None,
                currency: None,
            },
            delimiter,
            bom,
            dupes,
            fingerprint: key::Fingerprint::default(),
            rows: 0,
            valid: 0,
            orders: 0,
            invalid: 0,
            blank_skipped: 0,
            windows_1252: false,
            decimal_comma: false,
            grouping,
            marks: crate::domain::marks::Evidence::default(),
            done: false,
            failed_at: None,
        };
        let Some(line) = input.read_record()? else {
            return Err(InputError::Empty {
                path: path.to_owned(),
            });
        };
        let decoded: Vec<Decoded> = input.record.iter().map(decode).collect();
        input.windows_1252 = decoded.iter().any(|d| d.windows_1252);
        let header: Vec<String> = decoded.into_iter().map(|d| d.text).collect();
        input.columns = match_columns(path, line, &header)?;
        input.header = header;
        Ok(input)
    }

    /// The original header cells (BOM stripped, decoded).
    pub fn header(&self) -> &[String] {
        &self.header
    }

    /// What each recognised column was taken from: (what, (1-based column, header
    /// cell)), `None` for an optional column the file does not have. The
    /// orders' columns are named only when the file has them: a file of
    /// payments reads as it always did.
    pub fn columns_taken(&self) -> Vec<(ColumnRole, Option<(usize, String)>)> {
        let c = self.columns;
        [
            (ColumnRole::PaymentId, c.payment),
            (ColumnRole::OrderId, c.order),
            (ColumnRole::TransactionId, c.transaction),
            (ColumnRole::Amount, Some(c.amount)),
            (ColumnRole::Reference, c.reference),
            (ColumnRole::Kind, c.kind),
            (ColumnRole::Currency, c.currency),
        ]
        .into_iter()
        .filter(|(what, i)| {
            i.is_some() || !matches!(what, ColumnRole::OrderId | ColumnRole::TransactionId)
        })
        .map(|(what, i)| (what, i.map(|i| (i + 1, self.header[i].clone()))))
        .collect()
    }

    /// Consumes the rest of the input (if not yet read) and returns the summary.
    pub fn finish(mut self) -> Result<InputSummary, InputError> {
        for item in self.by_ref() {
            item?;
        }
        if let Some(line) = self.failed_at {
            return Err(InputError::Incomplete {
                path: self.path,
                line,
            });
        }
        let fingerprint = self.fingerprint.finish(&self.namespace);
        let (_, hashing) = self.reader.into_inner().into_inner().into_inner();
        let digest = key::hex(&hashing.hasher.finalize());
        let scan = match self.dupes {
            Dupes::Counting { scan, .. } if scan.digest == digest => scan,
            _ => return Err(InputError::Changed { path: self.path }),
        };
        Ok(InputSummary {
            digest,
            fingerprint,
            rows: self.rows,
            valid: self.valid,
            orders: self.orders,
            invalid: self.invalid,
            blank_skipped: self.blank_skipped,
            windows_1252: self.windows_1252,
            bom: self.bom,
            delimiter: self.delimiter,
            decimal_comma: self.decimal_comma,
            scan,
        })
    }

    /// Reads the next record into `self.record`; returns the line it starts on.
    fn read_record(&mut self) -> Result<Option<u64>, InputError> {
        let read = self.reader.read_byte_record(&mut self.record);
        if let Some(o) = &self.reader.get_ref().oversize {
            return Err(oversize(&self.path, o));
        }
        // The parser takes a quote left open at the end of the file as a cell running
        // to the end: that record would swallow every row after it.
        if let Some(line) = self.reader.get_ref().unclosed_quote {
            return Err(InputError::UnclosedQuote {
                path: self.path.clone(),
                line,
            });
        }
        match read {
            Ok(false) => Ok(None),
            Ok(true) => {
                let start = self.record.position().map_or(0, csv::Position::byte);
                let fallback = self.record.position().map_or(1, csv::Position::line);
                Ok(Some(
                    self.reader.get_ref().line_of(start).unwrap_or(fallback),
                ))
            }
            Err(source) => {
                let pos = source
                    .position()
                    .cloned()
                    .unwrap_or_else(|| self.reader.position().clone());
                let line = self
                    .reader
                    .get_ref()
                    .line_of(pos.byte())
                    .unwrap_or(pos.line());
                Err(InputError::Csv {
                    path: self.path.clone(),
                    line,
                    source,
                })
            }
        }
    }
}

/// A record past the reader's limits, in words: which limit, and its flag.
fn oversize(path: &std::path::Path, o: &crate::sheets::lines::Oversize) -> InputError {
    use crate::sheets::lines::Over;
    let (what, flag) = match o.over {
        Over::Columns(n) => (format!("more than {n} columns"), "--max-columns"),
        Over::FieldBytes(n) => (
            format!("a cell of more than {n} bytes"),
            "--max-field-bytes",
        ),
        Over::RecordBytes(n) => (
            format!("a line of more than {n} bytes"),
            "--max-record-bytes",
        ),
    };
    InputError::Oversize {
        path: path.to_owned(),
        line: o.line,
        what,
        excerpt: o.excerpt.clone(),
        flag,
    }
}

impl Iterator for Input {
    type Item = Result<Row, InputError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            let line = match self.read_record() {
                Ok(Some(line)) => line,
                Ok(None) => {
                    self.done = true;
                    return None;
                }
                Err(e) => {
                    self.done = true;
                    self.failed_at = Some(match &e {
                        InputError::Csv { line, .. }
                        | InputError::UnclosedQuote { line, .. }
                        | InputError::Oversize { line, .. } => *line,
                        _ => self.reader.position().line(),
                    });
                    return Some(Err(e));
                }
            };
            let mut undefined = None;
            let mut fields = Vec::with_capacity(self.record.len());
            for (i, cell) in self.record.iter().enumerate() {
                let d = decode(cell);
                self.windows_1252 |= d.windows_1252;
                if let (None, Some(b)) = (undefined, d.undefined) {
                    undefined = Some((i, b));
                }
                fields.push(d.text);
            }
            if fields.iter().all(|f| f.trim().is_empty()) {
                self.blank_skipped += 1;
                continue;
            }
            self.rows += 1;
            let row = self.check(self.rows, line, fields, undefined);
            match &row.content {
                Ok(v) => {
                    self.valid += 1;
                    self.orders += u64::from(v.ask.kind() == crate::domain::Kind::Order);
                    self.fingerprint.add(&v.ask.key);
                    // Under a decimal point a comma only groups thousands.
                    self.decimal_comma |= matches!(v.ask.requested, Requested::Partial(_))
                        && self.grouping
                            != crate::domain::marks::Grouping::Known(
                                crate::domain::marks::DecimalMark::Point,
                            )
                        && row.fields[self.columns.amount].contains(',');
                }
                Err(_) => self.invalid += 1,
            }
            return Some(Ok(row));
        }
        None
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::io::Write as _;
    use std::path::Path;

    use proptest::prelude::*;
    use tempfile::NamedTempFile;

    use super::*;
    use std::str::FromStr;

    use rust_decimal::Decimal;

    use crate::domain::{Amount, Currency, Kind, PaymentId, Requested};

    fn parse_amount(raw: &str, currency: Option<Currency>) -> Result<Requested, String> {
        Requested::parse(raw, currency)
    }

    pub(crate) fn file(bytes: &[u8]) -> NamedTempFile {
        let mut f = NamedTempFile::new().expect("temp file");
        f.write_all(bytes).expect("write temp file");
        f.flush().expect("flush temp file");
        f
    }

    pub(crate) fn opts() -> InputOptions {
        InputOptions {
            namespace: "test".to_owned(),
            ..InputOptions::default()
        }
    }

    /// A valid row, flattened for the assertions.
    #[derive(Debug, Clone, PartialEq, Eq)]
    struct Row {
        row_no: u64,
        line: u64,
        kind: Kind,
        target: crate::domain::Target,
        requested: Requested,
        currency: Option<Currency>,
        reference: Option<String>,
        key: crate::domain::IdempotencyKey,
        fields: Vec<String>,
    }

    impl Row {
        fn payment_id(&self) -> PaymentId {
            self.target.payment().expect("a payment's row")
        }
    }

    #[derive(Debug, Clone, PartialEq, Eq)]
    struct Problem {
        row_no: u64,
        line: u64,
        reason: String,
        fields: Vec<String>,
    }

    fn split(row: crate::domain::Row) -> Result<Row, Problem> {
        let crate::domain::Row {
            row_no,
            line,
            fields,
            content,
        } = row;
        match content {
            Ok(v) => Ok(Row {
                row_no,
                line,
                kind: v.ask.kind(),
                target: v.ask.target,
                requested: v.ask.requested,
                currency: v.currency,
                reference: v.reference,
                key: v.ask.key,
                fields,
            }),
            Err(reason) => Err(Problem {
                row_no,
                line,
                reason: reason.to_string(),
                fields,
            }),
        }
    }

    struct Parsed {
        rows: Vec<Row>,
        problems: Vec<Problem>,
        summary: InputSummary,
        header: Vec<String>,
        delimiter: u8,
    }

    fn read_with(bytes: &[u8], opts: &InputOptions) -> Parsed {
        let f = file(bytes);
        let mut input = Input::open(f.path(), opts).expect("open");
        let header = input.header().to_vec();
        let (mut rows, mut problems) = (Vec::new(), Vec::new());
        for item in input.by_ref() {
            match split(item.expect("no fatal error")) {
                Ok(r) => rows.push(r),
                Err(p) => problems.push(p),
            }
        }
        let summary = input.finish().expect("finish");
        Parsed {
            rows,
            problems,
            delimiter: summary.delimiter,
            summary,
            header,
        }
    }

    fn read(bytes: &[u8]) -> Parsed {
        read_with(bytes, &opts())
    }

    fn open_err(bytes: &[u8]) -> InputError {
        let f = file(bytes);
        match Input::open(f.path(), &opts()) {
            Ok(_) => panic!("expected a fatal error"),
            Err(e) => e,
        }
    }

    fn amount(s: &str) -> Requested {
        Requested::Partial(Amount::new(Decimal::from_str(s).expect("decimal")).expect("positive"))
    }

    /// The reason of the problem on `line`, which must be the only one there.
    fn reason_at(problems: &[Problem], line: u64) -> &str {
        let found: Vec<_> = problems.iter().filter(|p| p.line == line).collect();
        assert_eq!(
            found.len(),
            1,
            "one problem expected on line {line}: {problems:#?}"
        );
        &found[0].reason
    }

    #[test]
    fn input_can_move_to_a_worker_thread() {
        fn send<T: Send>() {}
        send::<Input>();
        send::<crate::domain::Row>();
    }

    /// Mercado Pago's own batch-refund file (AR/UY: decimal comma; MX/PE: point;
    /// CO/CL: whole units) reads as is, its `external_reference` the reference.
    #[test]
    fn mercado_pagos_batch_refund_file_reads_as_is() {
        let r = read(
            b"payment_id;external_reference;amount\n1885556855;ext_ref1;199,10\n1885556854;ext_ref2;299.10\n1885556853;ext_ref3;399\n",
        );
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        let got: Vec<_> = r
            .rows
            .iter()
            .map(|x| (x.payment_id().get(), x.reference.clone(), x.requested))
            .collect();
        assert_eq!(
            got,
            [
                (1885556855, Some("ext_ref1".to_owned()), amount("199.10")),
                (1885556854, Some("ext_ref2".to_owned()), amount("299.10")),
                (1885556853, Some("ext_ref3".to_owned()), amount("399")),
            ]
        );
        assert!(r.summary.decimal_comma);
        // The same refund keyed the same as our own column names would.
        let ours = read(b"payment_id;reference;amount\n1885556855;ext_ref1;199,10\n");
        assert_eq!(ours.rows[0].key, r.rows[0].key);
    }

    #[test]
    fn plain_comma_file() {
        let r = read(b"payment_id,amount,reference,notes\n111,25.50,CB-1,first\n222,10,,second\n");
        assert_eq!(r.delimiter, b',');
        assert_eq!(r.header, ["payment_id", "amount", "reference", "notes"]);
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        assert_eq!(r.rows.len(), 2);
        let a = &r.rows[0];
        assert_eq!((a.row_no, a.line), (1, 2));
        assert_eq!(a.payment_id().get(), 111);
        assert_eq!(a.requested, amount("25.5"));
        assert_eq!(a.reference.as_deref(), Some("CB-1"));
        assert_eq!(a.kind, Kind::Payment);
        assert_eq!(a.currency, None);
        assert_eq!(a.fields, ["111", "25.50", "CB-1", "first"]);
        assert_eq!(
            a.key,
            key::derive(
                "test",
                Kind::Payment,
                a.payment_id(),
                &a.requested,
                Some("CB-1"),
                1
            )
        );
        let b = &r.rows[1];
        assert_eq!((b.row_no, b.line, b.reference.as_deref()), (2, 3, None));
        assert_eq!(
            (
                r.summary.rows,
                r.summary.valid,
                r.summary.invalid,
                r.summary.blank_skipped
            ),
            (2, 2, 0, 0)
        );
        assert!(!r.summary.windows_1252 && !r.summary.bom);
    }

    const ORD1: &str = "ORD01JQ4S4KY8HWQ6NA5PXB65B3D3";
    const ORD2: &str = "ORD01JQ4S4KY8HWQ6NA5PXB65B3D4";
    const PAY1: &str = "PAY01J67CQQH5904WDBVZEM4JMEP3";

    fn order_of(r: &Row) -> &crate::domain::OrderRef {
        r.target.order().expect("an order's row")
    }

    /// Orders' rows read by every name of their columns, their keys the
    /// orders' derivation of their own content.
    #[test]
    fn order_columns_read_by_their_names_in_three_languages() {
        for header in [
            "order_id;transaction_id;amount;reference",
            "id_order;Transaction ID;valor;referencia",
            "ID do pedido;transaction id;Valor a devolver;Referência",
            "ID de la orden;transactionid;Monto;referencia",
        ] {
            let r = read(format!("{header}\n{ORD1};{PAY1};10,5;CB-1\n{ORD2};;full;\n").as_bytes());
            assert!(r.problems.is_empty(), "{header}: {:?}", r.problems);
            let (a, b) = (&r.rows[0], &r.rows[1]);
            assert_eq!((a.kind, b.kind), (Kind::Order, Kind::Order));
            assert_eq!(order_of(a).order.as_str(), ORD1);
            assert_eq!(
                order_of(a).transaction.as_ref().map(|t| t.as_str()),
                Some(PAY1)
            );
            assert_eq!(
                (order_of(b).order.as_str(), order_of(b).transaction.as_ref()),
                (ORD2, None)
            );
            assert_eq!(a.requested, amount("10.5"));
            assert_eq!(
                a.key,
                key::derive_order("test", order_of(a), &a.requested, Some("CB-1"), 1)
            );
            assert_eq!(
                b.key,
                key::derive_order("test", order_of(b), &Requested::Full, None, 1)
            );
        }
    }

    /// A spreadsheet may mix payments and orders: `ORD…` ids in the payment id
    /// column, or each kind in its own column; every row says which it is, and a
    /// payment's row keeps the key it always had.
    #[test]
    fn a_file_mixes_payments_and_orders() {
        let r = read(
            format!("payment_id,amount,reference\n111,25.50,CB-1\n{ORD1},5,CB-2\n").as_bytes(),
        );
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        assert_eq!(r.rows[0].kind, Kind::Payment);
        assert_eq!(
            r.rows[0].key,
            key::derive(
                "test",
                Kind::Payment,
                PaymentId::new(111).unwrap(),
                &amount("25.5"),
                Some("CB-1"),
                1
            )
        );
        assert_eq!(r.rows[1].kind, Kind::Order);
        assert_eq!(order_of(&r.rows[1]).order.as_str(), ORD1);
        // Each in its own column, one filled a row.
        let r =
            read(format!("payment_id;order_id;amount\n111;;1\n;{ORD1};2\n{ORD2};;3\n").as_bytes());
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        let kinds: Vec<Kind> = r.rows.iter().map(|x| x.kind).collect();
        assert_eq!(kinds, [Kind::Payment, Kind::Order, Kind::Order]);
        // The same order id in both is one order.
        let r = read(format!("payment_id;order_id;amount\n{ORD1};{ORD1};2\n").as_bytes());
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        // A kind column says `order`, or is blank, for an order.
        let r =
            read(format!("payment_id;kind;amount\n{ORD1};order;2\n{ORD2};;3\n5;;1\n").as_bytes());
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        assert_eq!(r.rows[2].kind, Kind::Payment);
    }

    /// A report's `ORDER_ID` of a marketplace sale (digits) is no order of the
    /// Orders API: beside a payment id it passes through.
    #[test]
    fn a_numeric_order_id_beside_a_payment_passes_through() {
        let r = read(b"SOURCE_ID;ORDER_ID;amount\n111;2000001234;5\n");
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        assert_eq!(r.rows[0].payment_id().get(), 111);
        assert_eq!(r.rows[0].fields[1], "2000001234");
    }

    #[test]
    fn an_order_row_that_cannot_be_refunded_says_why() {
        let r = read(
            format!(
                "payment_id;order_id;transaction_id;kind;amount\n\
                 111;{ORD1};;;1\n\
                 ;ORD123;;;1\n\
                 ;;;;1\n\
                 111;;{PAY1};;1\n\
                 ;{ORD1};{PAY1};;full\n\
                 ;{ORD1};REF1;;1\n\
                 ;{ORD1};;payment;1\n\
                 111;;;order;1\n\
                 ;{ORD2};;;x\n"
            )
            .as_bytes(),
        );
        assert!(r.rows.is_empty(), "{:?}", r.rows);
        let reason = |line| reason_at(&r.problems, line);
        assert_eq!(reason(4), "payment id and order id are blank");
        for (line, says) in [
            (2, "names payment \"111\" and order"),
            (3, "not an order of the Orders API"),
            (5, "belongs to an order's row"),
            (6, "a full refund is of the whole order"),
            (7, "not a payment transaction"),
            (8, "is an order"),
            (9, "needs an order id"),
            (10, "amount"),
        ] {
            assert!(reason(line).contains(says), "line {line}: {}", reason(line));
        }
    }

    #[test]
    fn identical_order_rows_are_duplicates_and_transactions_tell_them_apart() {
        let r = read(
            format!("order_id;transaction_id;amount\n{ORD1};;5\n{ORD1};;5,00\n{ORD1};{PAY1};5\n")
                .as_bytes(),
        );
        assert_eq!(r.rows.len(), 2);
        assert!(reason_at(&r.problems, 3).contains("duplicates line 2"));
        let o = InputOptions {
            allow_duplicates: true,
            ..opts()
        };
        let r = read_with(
            format!("order_id;amount\n{ORD1};5\n{ORD1};5\n").as_bytes(),
            &o,
        );
        assert_eq!(r.rows.len(), 2);
        assert_ne!(r.rows[0].key, r.rows[1].key);
    }

    /// `header` and a row that asks 10.5 of payment 123 (`row`: its line end,
    /// its cells and the next line end), read as that one row.
    fn one_row_of(header: &str, row: &str) -> Parsed {
        let r = read(format!("{header}{row}").as_bytes());
        assert_eq!(r.rows.len(), 1, "header {header:?}: {:?}", r.problems);
        assert_eq!(r.rows[0].payment_id().get(), 123);
        assert_eq!(r.rows[0].requested, amount("10.5"));
        r
    }

    #[test]
    fn header_aliases_in_portuguese_and_spanish() {
        for header in [
            "Id_Pagamento;VALOR",
            " id pagamento ; valor ",
            "ID-PAGO;Monto",
            "pago;monto",
            "Payment;Refund Amount",
            "PaymentID;amount",
            "payment-id;refund_amount",
        ] {
            one_row_of(header, "\n123;10,5\n");
        }
        let r =
            read(b"monto,Tipo,KIND,Currency,Reference,id_pago\n5,x,advanced_payment,ars,R1,9\n");
        let row = &r.rows[0];
        assert_eq!(row.kind, Kind::AdvancedPayment);
        assert_eq!(row.currency.map(|c| c.to_string()).as_deref(), Some("ARS"));
        assert_eq!(row.reference.as_deref(), Some("R1"));
        assert_eq!(row.fields[1], "x", "an unknown column passes through");
    }

    #[test]
    fn mercado_pago_header_names_read_whatever_the_case_accents_and_spacing() {
        for header in [
            "ID do pagamento;Valor;Motivo",
            "ID da transação;Valor a devolver;Motivo",
            "ID DA TRANSACAO;valor a devolver;Motivo",
            "Número da operação;VALOR;Motivo",
            "numero  da operacao;Valor;Motivo",
            "ID de pago;Monto;Motivo",
            "Número de operación;Monto a devolver;Motivo",
            "id_de_pago;monto;Motivo",
        ] {
            let r = one_row_of(header, "\r\n123;10,5;cliente desistiu\r\n");
            assert_eq!(
                r.rows[0].fields[2], "cliente desistiu",
                "Motivo passes through"
            );
        }
        // As Excel pt-BR saves it: Windows-1252, with the reference and currency.
        let r =
            read(b"N\xfamero da opera\xe7\xe3o;Valor;Refer\xeancia;Moeda\r\n7;5,00;C-1;brl\r\n");
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        assert_eq!(r.rows[0].reference.as_deref(), Some("C-1"));
        assert_eq!(r.rows[0].currency, Some(Currency::BRL));
        let r = read(b"ID de pago,Monto,Referencia,Moneda\n7,5.00,C-1,ARS\n");
        assert_eq!(r.rows[0].reference.as_deref(), Some("C-1"));
        assert_eq!(
            r.rows[0].currency.map(|c| c.to_string()).as_deref(),
            Some("ARS")
        );
        // Two names of the payment column are one column twice.
        assert!(matches!(
            open_err(b"ID do pagamento;ID da transacao;Valor\n1;1;1\n"),
            InputError::BadHeader { .. }
        ));
    }

    #[test]
    fn grouped_amounts_read_when_the_files_decimal_mark_is_clear() {
        // A ';' file whose amounts use decimal commas: '.' groups thousands.
        let r = read(
            b"ID do pagamento;Valor\r\n1;1.234,56\r\n2;10,50\r\n3;12.345.678,9\r\n4;2.500\r\n5;1.23,4\r\n",
        );
        let got: Vec<_> = r.rows.iter().map(|x| (x.line, x.requested)).collect();
        assert_eq!(
            got,
            [
                (2, amount("1234.56")),
                (3, amount("10.5")),
                (4, amount("12345678.9")),
                (5, amount("2500")),
            ]
        );
        assert!(r.summary.decimal_comma);
        assert!(
            reason_at(&r.problems, 6).starts_with("amount \"1.23,4\" has a thousands separator"),
            "{:?}",
            r.problems
        );
        // A point file: ',' groups thousands, and the results keep the point.
        let r = read(b"payment_id,amount\n1,\"1,234.56\"\n2,10.5\n3,\"1,000\"\n");
        let got: Vec<_> = r.rows.iter().map(|x| x.requested).collect();
        assert_eq!(got, [amount("1234.56"), amount("10.5"), amount("1000")]);
        assert!(!r.summary.decimal_comma);
        // Nothing shows the mark: a lone `1.234` is refused, never guessed.
        let r = read(b"payment_id;amount\r\n1;1.234\r\n2;15\r\n");
        assert_eq!(r.rows.len(), 1);
        assert_eq!(
            reason_at(&r.problems, 2),
            "amount \"1.234\" has 3 decimals; at most 2 are allowed (if the '.' separates thousands, remove it)"
        );
        // Both marks used as decimals: the grouped amounts are refused, saying why.
        let r = read(b"payment_id;amount\r\n1;1.234,56\r\n2;10.50\r\n3;1.234\r\n");
        assert_eq!(r.rows.len(), 1, "{:?}", r.problems);
        assert!(
            reason_at(&r.problems, 2).contains("do not show one decimal mark"),
            "{:?}",
            r.problems
        );
        assert!(reason_at(&r.problems, 4).contains("has 3 decimals"));
    }

    /// A spreadsheet that read before grouped amounts and pt/es headers did
    /// keeps its keys: the key takes the parsed values, and these are the
    /// key derivation's own pinned answer, read through the reader.
    #[test]
    fn an_old_spreadsheet_reads_to_the_keys_it_always_had() {
        let acme = InputOptions {
            namespace: "acme".to_owned(),
            ..InputOptions::default()
        };
        let pinned = "mpr1-dbb2b03169e87c0ff14b4c733020eae24218c139e77fcdb8";
        for bytes in [
            &b"payment_id,amount,reference\n123456789,25.50,CB-1\n"[..],
            b"payment_id;amount;reference\r\n123456789;25,50;CB-1\r\n",
            b"\xEF\xBB\xBFid_pagamento;valor;referencia\r\n123456789;25,5;CB-1\r\n",
            b"ID do pagamento;Valor;Refer\xeancia\r\n123456789;25,50;CB-1\r\n",
        ] {
            let r = read_with(bytes, &acme);
            assert!(r.problems.is_empty(), "{:?}", r.problems);
            assert_eq!(
                r.rows[0].key.as_str(),
                pinned,
                "{}",
                String::from_utf8_lossy(bytes)
            );
        }
    }

    #[test]
    fn a_grouped_amount_has_the_key_of_the_same_amount_ungrouped() {
        let key = |bytes: &[u8]| read(bytes).rows[0].key.clone();
        let grouped = key(b"payment_id;amount\r\n1;1.234,56\r\n");
        assert_eq!(grouped, key(b"payment_id;amount\r\n1;1234,56\r\n"));
        assert_eq!(grouped, key(b"payment_id,amount\n1,1234.56\n"));
        assert_eq!(grouped, key(b"payment_id,amount\n1,\"1,234.56\"\n"));
        // And they are duplicates of each other, found as such.
        let r = read(b"payment_id;amount\r\n1;1.234,56\r\n1;1234,56\r\n");
        assert_eq!(r.rows.len(), 1);
        assert!(reason_at(&r.problems, 3).starts_with("duplicates line 2"));
    }

    #[test]
    fn excel_pt_br_export_with_bom_crlf_semicolon_and_decimal_comma() {
        let r = read(
            b"\xEF\xBB\xBFpayment_id;valor;obs\r\n1001;25,50;a\r\n1002;1234,5;b\r\n1003;full;c\r\n",
        );
        assert_eq!(r.delimiter, b';');
        assert_eq!(r.header[0], "payment_id", "BOM stripped");
        assert!(r.summary.bom);
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        let got: Vec<_> = r.rows.iter().map(|x| (x.line, x.requested)).collect();
        assert_eq!(
            got,
            [
                (2, amount("25.5")),
                (3, amount("1234.5")),
                (4, Requested::Full)
            ]
        );
        assert_eq!(
            r.rows[2].fields,
            ["1003", "full", "c"],
            "no CR left in cells"
        );
    }

    #[test]
    fn bom_before_a_quoted_header_cell() {
        let r = read(b"\xEF\xBB\xBF\"payment_id\";\"amount\"\r\n1;2\r\n");
        assert_eq!(r.header, ["payment_id", "amount"]);
        assert_eq!(r.rows.len(), 1);
    }

    #[test]
    fn the_delimiter_is_detected_outside_quoted_text() {
        let cases = [
            (
                "tab delimited",
                &b"payment_id\tamount\tnote\n5\t7,5\thas, comma; and semicolon\n"[..],
                b'\t',
                "7.5",
                (2, "has, comma; and semicolon"),
            ),
            // Three commas inside quotes, two semicolons outside: `;` wins.
            (
                "commas inside quotes",
                b"\"note, with, many, commas\";payment_id;valor\n\"a,b\";1;2,5\n",
                b';',
                "2.5",
                (0, "a,b"),
            ),
        ];
        for (case, data, delimiter, requested, (cell, text)) in cases {
            let r = read(data);
            assert_eq!(r.delimiter, delimiter, "{case}");
            assert_eq!(r.rows[0].requested, amount(requested), "{case}");
            assert_eq!(r.rows[0].fields[cell], text, "{case}");
        }
    }

    #[test]
    fn quoted_fields_with_delimiters_quotes_and_newlines() {
        let r = read(
            b"payment_id,amount,note\n1,\"7,25\",\"a, b\"\n2,3,\"say \"\"hi\"\"\nsecond line\"\n3,4,plain\n",
        );
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        assert_eq!(r.rows[0].requested, amount("7.25"));
        assert_eq!(r.rows[0].fields[2], "a, b");
        assert_eq!(r.rows[1].fields[2], "say \"hi\"\nsecond line");
        let lines: Vec<_> = r.rows.iter().map(|x| (x.row_no, x.line)).collect();
        assert_eq!(lines, [(1, 2), (2, 3), (3, 5)]);
    }

    #[test]
    fn delimiter_override() {
        let data = b"payment_id;amount;a,b,c,d\n1;2,5;x\n";
        assert!(
            matches!(open_err(data), InputError::MissingColumn { .. }),
            "detection picks ','"
        );
        let o = InputOptions {
            delimiter: Some(b';'),
            ..opts()
        };
        let r = read_with(data, &o);
        assert_eq!(r.delimiter, b';');
        assert_eq!(r.header, ["payment_id", "amount", "a,b,c,d"]);
        assert_eq!(r.rows[0].requested, amount("2.5"));
        let f = file(b"payment_id,amount\n1,2\n");
        let bad = InputOptions {
            delimiter: Some(b'"'),
            ..opts()
        };
        assert!(matches!(
            Input::open(f.path(), &bad),
            Err(InputError::BadDelimiter('"'))
        ));
    }

    #[test]
    fn windows_1252_cells_are_decoded_not_mangled() {
        let r = read(b"payment_id;valor;descri\xE7\xE3o\r\n1;10,00;Devolu\xE7\xE3o\r\n2;5;\x80 \x93ok\x94 \x85\r\n3;6;j\xC3\xA1 UTF-8\r\n");
        assert!(r.summary.windows_1252);
        assert_eq!(r.header[2], "descrição");
        assert_eq!(r.rows[0].fields[2], "Devolução");
        assert_eq!(r.rows[1].fields[2], "€ “ok” …");
        assert_eq!(
            r.rows[2].fields[2], "já UTF-8",
            "a valid UTF-8 cell stays UTF-8"
        );
        assert!(r.problems.is_empty());
        assert!(!read(b"payment_id,amount\n1,2\n").summary.windows_1252);
    }

    #[test]
    fn bytes_undefined_in_windows_1252_refuse_the_row() {
        let r = read(b"payment_id;valor;nota\n1;10;ok\n2;5;a\x81b\n");
        assert_eq!(r.rows.len(), 1);
        let reason = reason_at(&r.problems, 3);
        assert!(
            reason.contains("0x81") && reason.contains("\"nota\""),
            "{reason}"
        );
        assert_eq!(
            r.problems[0].fields[2], "a\u{81}b",
            "kept losslessly for the results CSV"
        );
    }

    #[test]
    fn full_and_total() {
        let r = read(b"payment_id,amount\n1,full\n2, TOTAL \n3,Full\n4,total\n");
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        assert!(r.rows.iter().all(|x| x.requested == Requested::Full));
    }

    #[test]
    fn currency_decides_the_decimals() {
        let r = read(
            b"payment_id;amount;currency\n\
              1;1500;CLP\n\
              2;1500,5;CLP\n\
              3;1.000;clp\n\
              4;1000,00;CLP\n\
              5;10,55;BRL\n\
              6;10,55;\n\
              7;10;R$\n\
              8;20,5;COP\n",
        );
        let ok: Vec<_> = r
            .rows
            .iter()
            .map(|x| (x.line, x.requested, x.currency.map(|c| c.to_string())))
            .collect();
        assert_eq!(
            ok,
            [
                (2, amount("1500"), Some("CLP".to_owned())),
                // The file's amounts use decimal commas: '.' groups thousands.
                (4, amount("1000"), Some("CLP".to_owned())),
                (5, amount("1000"), Some("CLP".to_owned())),
                (6, amount("10.55"), Some("BRL".to_owned())),
                (7, amount("10.55"), None),
            ]
        );
        assert_eq!(
            reason_at(&r.problems, 3),
            "amount \"1500,5\" has 1 decimal; CLP allows no decimals"
        );
        // In a file whose amounts do not show their decimal mark, it is refused.
        let clp = read(b"payment_id;amount;currency\n3;1.000;clp\n4;1500;CLP\n");
        assert_eq!(
            reason_at(&clp.problems, 2),
            "amount \"1.000\" has 3 decimals; CLP allows no decimals (if the '.' separates thousands, remove it)"
        );
        assert!(reason_at(&r.problems, 8).contains("not one Mercado Pago uses"));
        assert!(reason_at(&r.problems, 9).contains("COP allows no decimals"));
    }

    #[test]
    fn every_bad_row_is_reported_with_its_line_and_reason() {
        let r = read(
            b"payment_id;amount;kind\r\n\
              1;-5;\r\n\
              2;0;\r\n\
              3;abc;\r\n\
              4;;\r\n\
              5;10,123;\r\n\
              6;1.234,56;\r\n\
              7;1,234.56;\r\n\
              8;1 234;\r\n\
              9;NaN;\r\n\
              10;1e400;\r\n\
              11;R$ 10;\r\n\
              12a;10;\r\n\
              1.23457E+11;10;\r\n\
              ;10;\r\n\
              15;10;refund\r\n\
              16;10\r\n\
              17;10;payment;extra\r\n\
              18;99999999999999999999999999999999999;\r\n\
              19;0,00;\r\n\
              20;+5;\r\n\
              21;inf;\r\n\
              22;1.234;\r\n\
              x;-1;bogus\r\n\
              25;10,50;payment\r\n",
        );
        let expect: &[(u64, &str)] = &[
            (2, "amount \"-5\" must be positive"),
            (3, "amount \"0\" is zero; nothing to refund"),
            (
                4,
                "amount \"abc\" must be a plain number, without currency symbols or letters",
            ),
            (5, "blank amount; write `full` to refund the whole payment"),
            (
                6,
                "amount \"10,123\" has 3 decimals; at most 2 are allowed (if the ',' separates thousands, remove it)",
            ),
            (
                7,
                "amount \"1.234,56\" has a thousands separator; write it without one (e.g. 1234.56 or 1234,56)",
            ),
            (8, "amount \"1,234.56\" has a thousands separator"),
            (9, "amount \"1 234\" has a thousands separator"),
            (10, "amount \"NaN\" is not a number"),
            (11, "amount \"1e400\" is in scientific notation"),
            (
                12,
                "amount \"R$ 10\" must be a plain number, without currency symbols",
            ),
            (13, "payment id \"12a\" is not a positive whole number"),
            (
                14,
                "payment id \"1.23457E+11\" looks like scientific notation",
            ),
            (15, "payment id is blank"),
            (16, "kind \"refund\" is neither"),
            (17, "has 2 fields but the header has 3"),
            (18, "has 4 fields but the header has 3"),
            (
                19,
                "amount \"99999999999999999999999999999999999\" is too large",
            ),
            (20, "amount \"0,00\" is zero"),
            (21, "amount \"+5\": write it without a sign"),
            (22, "amount \"inf\" is not a number"),
            (
                23,
                "amount \"1.234\" has 3 decimals; at most 2 are allowed (if the '.' separates thousands, remove it)",
            ),
        ];
        for (line, want) in expect {
            let got = reason_at(&r.problems, *line);
            assert!(
                got.starts_with(want),
                "line {line}: got {got:?}, want {want:?}"
            );
        }
        // Every reason on a row is given, so one pass fixes the row.
        let many = reason_at(&r.problems, 24);
        assert!(
            many.contains("payment id \"x\"")
                && many.contains("must be positive")
                && many.contains("kind \"bogus\""),
            "{many}"
        );
        assert_eq!(r.problems.len(), expect.len() + 1);
        assert_eq!(r.rows.len(), 1);
        assert_eq!((r.rows[0].line, r.rows[0].row_no), (25, 24));
        assert_eq!(
            (r.summary.rows, r.summary.valid, r.summary.invalid),
            (24, 1, 23)
        );
        let row_nos: Vec<_> = r.problems.iter().map(|p| p.row_no).collect();
        assert_eq!(row_nos, (1..=23).collect::<Vec<_>>());
        assert_eq!(r.problems[0].fields, ["1", "-5", ""]);
    }

    #[test]
    fn comma_file_with_unquoted_decimal_comma_gets_a_hint() {
        let r = read(b"payment_id,amount\n1,25,50\n");
        assert_eq!(
            reason_at(&r.problems, 2),
            "has 3 fields but the header has 2 (a cell containing a comma, such as a decimal comma, must be quoted)"
        );
    }

    #[test]
    fn missing_columns_are_fatal_and_name_the_header_found() {
        let e = open_err(b"id;valor;nota\n1;2;3\n");
        assert!(matches!(
            e,
            InputError::MissingColumn {
                column: ColumnRole::PaymentId,
                ..
            }
        ));
        let msg = e.to_string();
        assert!(
            msg.contains("no payment id column") && msg.contains("\"id\", \"valor\", \"nota\""),
            "{msg}"
        );
        assert!(msg.contains("id_pagamento"), "{msg}");

        let e = open_err(b"payment_id,valor_total\n1,2\n");
        assert!(
            matches!(
                e,
                InputError::MissingColumn {
                    column: ColumnRole::Amount,
                    ..
                }
            ),
            "{e}"
        );
        assert!(e.to_string().contains("refund_amount"));

        let e = open_err(b"123456,10.50\n");
        assert!(e.to_string().contains("looks like data"), "{e}");
    }

    #[test]
    fn a_column_matched_twice_is_fatal() {
        let e = open_err(b"payment_id;pago;amount\n1;2;3\n");
        assert!(matches!(e, InputError::BadHeader { line: 1, .. }), "{e}");
        assert!(e.to_string().contains("both the payment id column"), "{e}");
        let e = open_err(b"payment_id;valor;Monto\n1;2;3\n");
        assert!(
            e.to_string().contains("\"valor\") and 3 (\"Monto\")"),
            "{e}"
        );
    }

    #[test]
    fn empty_files_are_fatal() {
        for bytes in [&b""[..], b"\xEF\xBB\xBF", b"\r\n\r\n", b"\n"] {
            let e = open_err(bytes);
            assert!(matches!(e, InputError::Empty { .. }), "{bytes:?}: {e}");
            assert!(e.to_string().contains("is empty"));
        }
    }

    #[test]
    fn header_only_file_has_no_rows() {
        let r = read(b"payment_id;valor\r\n");
        assert!(r.rows.is_empty() && r.problems.is_empty());
        assert_eq!(
            (r.summary.rows, r.summary.valid, r.summary.invalid),
            (0, 0, 0)
        );
        let r = read(b"payment_id;valor");
        assert_eq!(r.summary.rows, 0);
    }

    #[test]
    fn unreadable_and_non_csv_files_are_refused_clearly() {
        let missing = Path::new("/nonexistent/refunds.csv");
        let e = Input::open(missing, &opts()).err().expect("missing file");
        assert!(e.to_string().contains("/nonexistent/refunds.csv"), "{e}");
        assert!(open_err(b"PK\x03\x04rest").to_string().contains(".xlsx"));
        assert!(open_err(b"\xFF\xFEp\0a\0").to_string().contains("UTF-16"));
    }

    #[test]
    fn blank_rows_are_skipped_and_counted() {
        let r = read(b"payment_id;amount;x\r\n1;10;a\r\n;;\r\n\r\n2;20;b\r\n ; ;\r\n;;\r\n");
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        let got: Vec<_> = r.rows.iter().map(|x| (x.row_no, x.line)).collect();
        assert_eq!(got, [(1, 2), (2, 5)]);
        assert_eq!(r.summary.blank_skipped, 3);
        assert_eq!(r.summary.rows, 2);
    }

    #[test]
    fn line_numbers_follow_the_file_whatever_the_line_endings() {
        for (bytes, want) in [
            (&b"payment_id,amount\n\n1,1\n\n\n2,2"[..], [3, 6]),
            (b"payment_id,amount\r\n\r\n1,1\r\n\r\n\r\n2,2\r\n", [3, 6]),
            (b"payment_id,amount\r1,1\r\r2,2\r", [2, 4]),
            (b"\n\npayment_id,amount\n1,1\n2,2\n", [4, 5]),
            (
                b"payment_id,amount,n\r\n1,1,\"a\r\nb\nc\"\r\n2,2,x\r\n",
                [2, 5],
            ),
        ] {
            let r = read(bytes);
            let lines: Vec<_> = r.rows.iter().map(|x| x.line).collect();
            assert_eq!(lines, want, "{:?}", String::from_utf8_lossy(bytes));
        }
    }

    #[test]
    fn line_numbers_hold_past_the_read_ahead_buffer() {
        let mut text = String::from("payment_id,amount,note\n");
        for i in 1..=3000u64 {
            if i % 7 == 0 {
                text.push_str(&format!("{i},1,\"multi\nline\"\n"));
            } else {
                text.push_str(&format!("{i},1,x\r\n"));
            }
        }
        let r = read(text.as_bytes());
        assert_eq!(r.rows.len(), 3000);
        let mut line = 2;
        for row in &r.rows {
            assert_eq!(row.line, line, "row {}", row.row_no);
            line += if row.payment_id().get() % 7 == 0 {
                2
            } else {
                1
            };
        }
    }

    #[test]
    fn duplicates_are_refused_unless_allowed() {
        let bytes =
            b"payment_id;amount;reference\n1;25;\n2;25;\n1;25,00;\n1;25;R\n1; 25.0 ;\n1;full;\n";
        let r = read(bytes);
        assert_eq!(r.rows.len(), 4);
        let want = "duplicates line 2 (same payment, amount and reference); pass --allow-duplicates if intended";
        assert_eq!(reason_at(&r.problems, 4), want);
        assert_eq!(reason_at(&r.problems, 6), want);

        let allowed = read_with(
            bytes,
            &InputOptions {
                allow_duplicates: true,
                ..opts()
            },
        );
        assert!(allowed.problems.is_empty());
        assert_eq!(allowed.rows.len(), 6);
        let keys: std::collections::HashSet<_> =
            allowed.rows.iter().map(|x| x.key.clone()).collect();
        assert_eq!(keys.len(), 6, "identical rows get distinct keys");
        // The same payment, amount and reference: the nth such row is keyed nth.
        let payment = allowed.rows[0].payment_id();
        for (at, nth) in [(0, 1), (2, 2), (4, 3)] {
            let derived = key::derive("test", Kind::Payment, payment, &amount("25"), None, nth);
            assert_eq!(allowed.rows[at].key, derived, "row {at}");
        }
    }

    #[test]
    fn digest_is_of_the_bytes_and_fingerprint_of_the_rows() {
        let a = b"\xEF\xBB\xBFpayment_id;valor;obs\r\n1;25,50;a\r\n2;full;b\r\n3;x;bad\r\n";
        let b = b"amount,payment_id\n,\nfull,2\n25.5,1\n";
        let ra = read(a);
        let rb = read(b);
        assert_eq!(ra.summary.digest, key::hex(&Sha256::digest(a)));
        assert_ne!(ra.summary.digest, rb.summary.digest);
        assert_eq!(ra.summary.fingerprint.len(), 32);
        assert_eq!(ra.summary.fingerprint, rb.summary.fingerprint);
        let other_ns = read_with(
            a,
            &InputOptions {
                namespace: "prod".to_owned(),
                ..opts()
            },
        );
        assert_ne!(other_ns.summary.fingerprint, ra.summary.fingerprint);
        let fewer = read(b"payment_id,amount\n1,25.5\n");
        assert_ne!(fewer.summary.fingerprint, ra.summary.fingerprint);
    }

    #[test]
    fn finish_reads_the_rest_and_the_iterator_is_fused() {
        let f = file(b"payment_id,amount\n1,1\n2,x\n3,3\n");
        let mut input = Input::open(f.path(), &opts()).expect("open");
        assert!(matches!(
            input.next(),
            Some(Ok(crate::domain::Row { content: Ok(_), .. }))
        ));
        let s = input.finish().expect("finish");
        assert_eq!((s.rows, s.valid, s.invalid), (3, 2, 1));

        let mut input = Input::open(f.path(), &opts()).expect("open");
        assert_eq!(input.by_ref().count(), 3);
        assert!(input.next().is_none());
        assert!(input.next().is_none());
    }

    /// One generated row: the content that makes its identity, plus a free note.
    #[derive(Debug, Clone)]
    struct Gen {
        id: u64,
        cents: Option<u64>,
        reference: String,
        advanced: bool,
        note: String,
    }

    fn gen_row() -> impl Strategy<Value = Gen> {
        (
            1u64..40,
            proptest::option::weighted(0.85, 1u64..100_000),
            "[A-Za-z0-9 ;,\"]{0,6}",
            any::<bool>(),
            "[a-zçãé ;,\"]{0,8}",
        )
            .prop_map(|(id, cents, reference, advanced, note)| Gen {
                id,
                cents,
                reference,
                advanced,
                note,
            })
    }

    /// Writes `rows` as a US-style export (`,`, decimal point, LF, canonical names).
    fn us_export(rows: &[Gen]) -> Vec<u8> {
        let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
        let _ = w.write_record(["payment_id", "amount", "reference", "kind", "note"]);
        for r in rows {
            let amount = r.cents.map_or("full".to_owned(), |c| {
                Decimal::new(c as i64, 2).normalize().to_string()
            });
            let kind = if r.advanced {
                "advanced_payment"
            } else {
                "payment"
            };
            let _ = w.write_record([&r.id.to_string(), &amount, &r.reference, kind, &r.note]);
        }
        w.into_inner().unwrap_or_default()
    }

    /// Writes `rows` as a pt-BR Excel export: BOM, `;`, CRLF, decimal comma with
    /// trailing zeros, aliased and reordered column names.
    fn br_export(rows: &[Gen]) -> Vec<u8> {
        let mut w = csv::WriterBuilder::new()
            .delimiter(b';')
            .terminator(csv::Terminator::CRLF)
            .from_writer(b"\xEF\xBB\xBF".to_vec());
        let _ = w.write_record(["Observação", "KIND", "Valor", "Reference", "ID Pagamento"]);
        for r in rows {
            let amount = r.cents.map_or("TOTAL".to_owned(), |c| {
                format!("{},{:02}", c / 100, c % 100)
            });
            let kind = if r.advanced { "Advanced Payment" } else { "" };
            let _ = w.write_record([
                &r.note,
                kind,
                &amount,
                &format!(" {} ", r.reference),
                &format!("{:0>3}", r.id),
            ]);
        }
        w.into_inner().unwrap_or_default()
    }

    /// Re-encodes UTF-8 text (BOM dropped) as Windows-1252, as Excel's plain "CSV"
    /// does; the generated text only uses characters Latin-1 and 1252 share.
    fn to_windows_1252(utf8: &[u8]) -> Vec<u8> {
        let text = String::from_utf8_lossy(utf8.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(utf8))
            .into_owned();
        text.chars()
            .map(|c| u8::try_from(u32::from(c)).expect("Latin-1 test text"))
            .collect()
    }

    fn keys_and_fingerprint(bytes: &[u8]) -> (Vec<String>, String, usize) {
        let r = read_with(
            bytes,
            &InputOptions {
                allow_duplicates: true,
                ..opts()
            },
        );
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        let mut keys: Vec<String> = r.rows.iter().map(|x| x.key.to_string()).collect();
        keys.sort();
        (keys, r.summary.fingerprint, r.rows.len())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn keys_survive_reordering_renaming_and_re_export(
            (rows, shuffled) in proptest::collection::vec(gen_row(), 1..30)
                .prop_flat_map(|v| {
                    let n = v.len();
                    (Just(v), 0..=n)
                })
                .prop_flat_map(|(mut v, repeat)| {
                    // Repeat some rows: identical rows are where occurrence numbers
                    // matter, and random rows alone almost never collide.
                    v.extend_from_within(..repeat);
                    (Just(v.clone()), Just(v).prop_shuffle())
                }),
            windows_1252 in any::<bool>(),
        ) {
            let (us_keys, us_fp, n) = keys_and_fingerprint(&us_export(&rows));
            let mut br = br_export(&shuffled);
            if windows_1252 {
                br = to_windows_1252(&br);
            }
            let (br_keys, br_fp, _) = keys_and_fingerprint(&br);
            prop_assert_eq!(n, rows.len());
            prop_assert_eq!(&us_keys, &br_keys);
            prop_assert_eq!(us_fp, br_fp);
            // With duplicates allowed, every row has its own key, and each is valid.
            let mut distinct = us_keys.clone();
            distinct.dedup();
            prop_assert_eq!(distinct.len(), rows.len());
            for k in &us_keys {
                prop_assert!(k.len() <= 64 && crate::domain::IdempotencyKey::new(k.as_str()).is_some());
            }
        }

        #[test]
        fn distinct_rows_get_distinct_keys(rows in proptest::collection::vec(gen_row(), 1..30)) {
            let r = read(&us_export(&rows));
            let mut identities: Vec<_> = rows
                .iter()
                .map(|g| (g.id, g.cents, g.reference.trim().to_owned(), g.advanced))
                .collect();
            identities.sort();
            identities.dedup();
            // Without --allow-duplicates, exactly one row per identity is valid.
            prop_assert_eq!(r.rows.len(), identities.len());
            let mut keys: Vec<_> = r.rows.iter().map(|x| x.key.clone()).collect();
            keys.sort();
            keys.dedup();
            prop_assert_eq!(keys.len(), identities.len());
        }

        #[test]
        fn amount_parsing_never_panics(s in "\\PC{0,40}") {
            let _ = parse_amount(&s, None);
            let _ = parse_amount(&s, "CLP".parse().ok());
        }

        #[test]
        fn amounts_round_trip_in_both_notations(int in 0u64..10_000_000, frac in 0u64..100, comma in any::<bool>()) {
            prop_assume!(int + frac > 0);
            let text = format!("{int}{}{frac:02}", if comma { ',' } else { '.' });
            let want = Decimal::new((int * 100 + frac) as i64, 2);
            prop_assert_eq!(parse_amount(&text, None), Ok(Requested::Partial(Amount::new(want).expect("positive"))));
        }
    }
}
