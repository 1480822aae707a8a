//! The physical line numbers an editor shows, for a CSV stream read by the `csv`
//! crate: the parser's own line count is one short per `\r\n` seen before a
//! record (Excel writes `\r\n`), so every line number reported for a spreadsheet
//! or a Mercado Pago report comes from this index of byte offsets instead. It also
//! tracks RFC 4180 quoting, to name the line a quote left open at the end began on.
//!
//! Invariants: `\r\n`, `\n` and a lone `\r` each end one line; only the starts
//! of lines the parser has not yet reached are held (looked-up entries are
//! dropped), so memory is bounded by the parser's read-ahead. With [`Limits`],
//! the cells of a record, the bytes of a cell and the bytes of a record are
//! counted as the bytes go by, before the parser sees them: a record past a
//! limit stops the stream there ([`Lines::oversize`] says where and what), so
//! the parser never holds more than the limits' worth of one record, however
//! wide or long the file's is.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{self, Read};

/// Indexes the starts of non-empty lines of the stream the csv parser reads, so a
/// record's first line can be found from its byte offset. Entries before the record
/// being looked up are dropped on lookup, so only the read-ahead is ever held.
pub(crate) struct Lines<R> {
    inner: R,
    offset: u64,
    line: u64,
    at_line_start: bool,
    after_cr: bool,
    delimiter: u8,
    quoting: Quoting,
    /// Set at the end of the input when a quoted cell is still open: the line its
    /// quote opened on.
    pub(crate) unclosed_quote: Option<u64>,
    /// (byte offset, line number) of the first byte of each non-empty line.
    starts: RefCell<VecDeque<(u64, u64)>>,
    limits: Limits,
    record: Record,
    /// Set when a record went past a limit: the stream stops there.
    pub(crate) oversize: Option<Oversize>,
}

/// The most a record may hold. Far above any real export: they are there so a
/// hostile or broken file cannot make the reader hold gigabytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    /// Cells in one record.
    pub columns: usize,
    /// Bytes in one cell, quotes included.
    pub field_bytes: usize,
    /// Bytes in one record (its line ends aside, the quoted ones included).
    pub record_bytes: usize,
}

impl Limits {
    pub(crate) const DEFAULT_COLUMNS: usize = 1_000;
    pub(crate) const DEFAULT_FIELD_BYTES: usize = 64 << 10;
    pub(crate) const DEFAULT_RECORD_BYTES: usize = 1 << 20;
    /// No limit: for readers that bound their input another way.
    pub(crate) const NONE: Limits = Limits {
        columns: usize::MAX,
        field_bytes: usize::MAX,
        record_bytes: usize::MAX,
    };
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            columns: Limits::DEFAULT_COLUMNS,
            field_bytes: Limits::DEFAULT_FIELD_BYTES,
            record_bytes: Limits::DEFAULT_RECORD_BYTES,
        }
    }
}

/// Which limit a record went past.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Over {
    Columns(usize),
    FieldBytes(usize),
    RecordBytes(usize),
}

/// A record past a limit: the line it starts on, the limit, its first bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Oversize {
    pub line: u64,
    pub over: Over,
    /// The record's first bytes, fit to quote in a message.
    pub excerpt: String,
}

/// How many bytes of a record an [`Oversize`] quotes.
const EXCERPT_BYTES: usize = 40;

/// The record being read, as far as the limits count it.
#[derive(Debug, Default)]
struct Record {
    open: bool,
    line: u64,
    cells: usize,
    cell_bytes: usize,
    bytes: usize,
    head: Vec<u8>,
}

/// Where the byte stream stands in RFC 4180 quoting, as `csv` parses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quoting {
    FieldStart,
    Unquoted,
    /// Inside a quoted cell opened on this line.
    Quoted(u64),
    /// A quote inside a quoted cell: the cell's end, or the first of `""`.
    QuoteInQuoted(u64),
}

impl<R> Lines<R> {
    pub(crate) fn new(inner: R, delimiter: u8) -> Self {
        Lines {
            inner,
            offset: 0,
            line: 1,
            at_line_start: true,
            after_cr: false,
            delimiter,
            quoting: Quoting::FieldStart,
            unclosed_quote: None,
            starts: RefCell::new(VecDeque::new()),
            limits: Limits::NONE,
            record: Record::default(),
            oversize: None,
        }
    }

    /// The same, refusing a record past `limits` (see [`Lines::oversize`]).
    pub(crate) fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Line of the first content byte at or after `offset`: a record's position in
    /// `csv` is where the previous one stopped, which may be before the `\n` of a
    /// `\r\n` or before blank lines, both of which the parser skips.
    pub(crate) fn line_of(&self, offset: u64) -> Option<u64> {
        let mut starts = self.starts.borrow_mut();
        while starts.front().is_some_and(|&(o, _)| o < offset) {
            starts.pop_front();
        }
        starts.front().map(|&(_, line)| line)
    }

    pub(crate) fn into_inner(self) -> R {
        self.inner
    }
}

impl<R> Lines<R> {
    /// Counts byte `b` into the record being read; the limit it goes past, if any.
    /// `quoted`: the byte is inside a quoted cell (before `b` itself is taken).
    fn count(&mut self, b: u8, quoted: bool) -> Option<Over> {
        let r = &mut self.record;
        if (b == b'\n' || b == b'\r') && !quoted {
            r.open = false;
            return None;
        }
        if !r.open {
            *r = Record {
                open: true,
                line: self.line,
                cells: 1,
                head: std::mem::take(&mut r.head),
                ..Record::default()
            };
            r.head.clear();
        }
        r.bytes += 1;
        if r.head.len() < EXCERPT_BYTES {
            r.head.push(b);
        }
        if b == self.delimiter && !quoted {
            r.cells += 1;
            r.cell_bytes = 0;
        } else {
            r.cell_bytes += 1;
        }
        let l = &self.limits;
        if r.cells > l.columns {
            Some(Over::Columns(l.columns))
        } else if r.cell_bytes > l.field_bytes {
            Some(Over::FieldBytes(l.field_bytes))
        } else if r.bytes > l.record_bytes {
            Some(Over::RecordBytes(l.record_bytes))
        } else {
            None
        }
    }

    fn stop(&mut self, over: Over) -> io::Error {
        let excerpt: String = String::from_utf8_lossy(&self.record.head)
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        self.oversize = Some(Oversize {
            line: self.record.line,
            over,
            excerpt,
        });
        stopped()
    }
}

fn stopped() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        "a record past the reader's limits",
    )
}

impl<R: Read> Read for Lines<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.oversize.is_some() {
            return Err(stopped());
        }
        let n = self.inner.read(buf)?;
        if n == 0 && !buf.is_empty() {
            if let Quoting::Quoted(line) = self.quoting {
                self.unclosed_quote = Some(line);
            }
            return Ok(0);
        }
        for &b in &buf[..n] {
            let line_end = b == b'\n' || b == b'\r';
            let quoted = matches!(self.quoting, Quoting::Quoted(_));
            if let Some(over) = self.count(b, quoted) {
                return Err(self.stop(over));
            }
            let starts = self.starts.get_mut();
            self.quoting = match (self.quoting, b) {
                (Quoting::FieldStart, b'"') => Quoting::Quoted(self.line),
                (Quoting::Quoted(l), b'"') => Quoting::QuoteInQuoted(l),
                (q @ Quoting::Quoted(_), _) => q,
                (Quoting::QuoteInQuoted(l), b'"') => Quoting::Quoted(l),
                (_, _) if b == self.delimiter || line_end => Quoting::FieldStart,
                (_, _) => Quoting::Unquoted,
            };
            match b {
                b'\n' => {
                    // The `\n` of a `\r\n` ends the line the `\r` already ended.
                    self.line += u64::from(!self.after_cr);
                    self.at_line_start = true;
                    self.after_cr = false;
                }
                b'\r' => {
                    self.line += 1;
                    self.at_line_start = true;
                    self.after_cr = true;
                }
                _ => {
                    if self.at_line_start {
                        starts.push_back((self.offset, self.line));
                    }
                    self.at_line_start = false;
                    self.after_cr = false;
                }
            }
            self.offset += 1;
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(bytes: &[u8], limits: Limits) -> (Result<Vec<u8>, io::Error>, Option<Oversize>) {
        let mut lines = Lines::new(bytes, b',').with_limits(limits);
        let mut out = Vec::new();
        let mut chunk = [0u8; 7];
        let res = loop {
            match lines.read(&mut chunk) {
                Ok(0) => break Ok(out),
                Ok(n) => out.extend_from_slice(&chunk[..n]),
                Err(e) => break Err(e),
            }
        };
        (res, lines.oversize)
    }

    const SMALL: Limits = Limits {
        columns: 3,
        field_bytes: 9,
        record_bytes: 16,
    };

    #[test]
    fn records_within_the_limits_pass_untouched() {
        let text = b"a,b,c\r\n\"x,y,z,w\",123,c\n\n\"t\nw\",b\n";
        let (res, over) = read_all(text, SMALL);
        assert_eq!(
            res.unwrap(),
            text,
            "quoted delimiters and line ends are one cell"
        );
        assert_eq!(over, None);
    }

    #[test]
    fn a_record_past_a_limit_stops_the_stream_with_its_line_and_first_bytes() {
        let (res, over) = read_all(b"a,b\nc,d\n1,2,3,4\n", SMALL);
        assert!(res.is_err());
        assert_eq!(
            over,
            Some(Oversize {
                line: 3,
                over: Over::Columns(3),
                excerpt: "1,2,3,".into()
            })
        );
        let (_, over) = read_all(b"a\n\"q\n123456789\"\n", SMALL);
        let over = over.unwrap();
        assert_eq!((over.line, over.over), (2, Over::FieldBytes(9)));
        assert_eq!(over.excerpt, "\"q 1234567", "control characters blanked");
        let (_, over) = read_all(b"abcdefgh,abcdefgh,a\n", SMALL);
        assert_eq!(over.unwrap().over, Over::RecordBytes(16));
    }

    #[test]
    fn the_count_does_not_grow_with_the_width() {
        // Ten million columns in one header: refused at the fourth, the excerpt short.
        let wide = b"a,".repeat(10_000_000);
        let (res, over) = read_all(&wide, Limits::default());
        assert!(res.is_err());
        let over = over.unwrap();
        assert_eq!(over.over, Over::Columns(Limits::DEFAULT_COLUMNS));
        assert_eq!(over.excerpt.len(), EXCERPT_BYTES);
        let (res, _) = read_all(&wide, Limits::NONE);
        assert_eq!(res.unwrap().len(), wide.len(), "no limits, no refusal");
    }
}
