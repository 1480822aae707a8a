//! The physical line numbers an editor shows, for a CSV stream read by the `csv`
//! crate: the parser's own line count is one short per `\r\n` seen before a
//! record (Excel writes `\r\n`), so every line number reported for a spreadsheet
//! or a Mercado Pago report comes from this index of byte offsets instead. It also
//! tracks RFC 4180 quoting, to name the line a quote left open at the end began on.
//!
//! Invariants: `\r\n`, `\n` and a lone `\r` each end one line; only the starts
//! of lines the parser has not yet reached are held (looked-up entries are
//! dropped), so memory is bounded by the parser's read-ahead.

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
        }
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

impl<R: Read> Read for Lines<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && !buf.is_empty() {
            if let Quoting::Quoted(line) = self.quoting {
                self.unclosed_quote = Some(line);
            }
            return Ok(0);
        }
        let starts = self.starts.get_mut();
        for &b in &buf[..n] {
            let line_end = b == b'\n' || b == b'\r';
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
