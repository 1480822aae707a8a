//! Every CSV the tool writes (results, `plan --online` predictions, the
//! reconciliation findings, the report match, the console's audit trail) goes
//! through one writer, so a
//! batch speaks one dialect: the input's. A pt-BR Excel user who gave a file with
//! a BOM, `;` and decimal commas gets every output of the batch the same way.
//!
//! Invariants: the BOM, the delimiter and the decimal mark come from the
//! [`Dialect`] alone (made from the input as read, or stored with the batch);
//! every cell written is neutralised ([`crate::sheets::cell::neutralise`]), so no file of
//! the tool holds a cell a spreadsheet would run as a formula — a cell already
//! neutralised is left as it is, and plain numbers are never touched; the file
//! appears complete or not at all ([`atomic_file`]).

use std::borrow::Cow;
use std::io::Write;
use std::path::Path;

use rust_decimal::Decimal;

use crate::sheets::cell::neutralise;
use crate::store::atomic_file;

/// How a batch's sheets are written, taken from its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Dialect {
    pub delimiter: u8,
    /// Start the file with a UTF-8 byte-order mark (the input had one, or was
    /// Windows-1252: without it, Excel would read our UTF-8 as its code page).
    pub bom: bool,
    /// Write amounts as `10,50`: the input did.
    pub decimal_comma: bool,
}

impl Default for Dialect {
    fn default() -> Dialect {
        Dialect {
            delimiter: b',',
            bom: false,
            decimal_comma: false,
        }
    }
}

impl Dialect {
    /// The dialect of an input read to the end.
    pub(crate) fn of_input(summary: &crate::sheets::input::InputSummary) -> Dialect {
        Dialect {
            delimiter: summary.delimiter,
            bom: summary.bom || summary.windows_1252,
            decimal_comma: summary.decimal_comma,
        }
    }

    /// The dialect stored with `batch` when it was made.
    pub(crate) fn of_batch(batch: &crate::store::ledger::Batch) -> Dialect {
        Dialect {
            delimiter: batch.delimiter,
            bom: batch.settings.results_bom,
            decimal_comma: batch.settings.decimal_comma,
        }
    }

    /// `amount` with this dialect's decimal mark.
    pub(crate) fn amount(self, amount: Decimal) -> String {
        let text = amount.to_string();
        if self.decimal_comma {
            text.replace('.', ",")
        } else {
            text
        }
    }
}

/// A CSV being written in a [`Dialect`].
pub(crate) struct Sheet<W: Write> {
    csv: csv::Writer<W>,
    dialect: Dialect,
}

impl<W: Write> Sheet<W> {
    pub(crate) fn new(out: W, dialect: Dialect) -> std::io::Result<Sheet<W>> {
        Sheet::with_ends(out, dialect, csv::Terminator::Any(b'\n'))
    }

    /// A sheet a person opens in a spreadsheet: its lines end in CRLF, as
    /// Windows' own files do.
    pub(crate) fn for_people(out: W, dialect: Dialect) -> std::io::Result<Sheet<W>> {
        Sheet::with_ends(out, dialect, csv::Terminator::CRLF)
    }

    fn with_ends(mut out: W, dialect: Dialect, ends: csv::Terminator) -> std::io::Result<Sheet<W>> {
        if dialect.bom {
            out.write_all(b"\xEF\xBB\xBF")?;
        }
        let csv = csv::WriterBuilder::new()
            .delimiter(dialect.delimiter)
            .terminator(ends)
            .from_writer(out);
        Ok(Sheet { csv, dialect })
    }

    pub(crate) fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// One record, every cell neutralised (without a copy when it needs none).
    pub(crate) fn row<I>(&mut self, cells: I) -> csv::Result<()>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        for cell in cells {
            let cell = cell.as_ref();
            let safe: Cow<'_, str> = if crate::sheets::cell::is_risky(cell) {
                Cow::Owned(neutralise(cell))
            } else {
                Cow::Borrowed(cell)
            };
            self.csv.write_field(safe.as_bytes())?;
        }
        self.csv.write_record(None::<&[u8]>)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.csv.flush()
    }

    /// The output, every record written to it (for a sheet sent as a response).
    pub(crate) fn into_inner(self) -> anyhow::Result<W> {
        self.csv
            .into_inner()
            .map_err(|e| anyhow::anyhow!("writing a CSV: {}", e.error()))
    }
}

/// Writes the sheet at `path` atomically: `fill` writes its records.
pub(crate) fn write<T>(
    path: &Path,
    dialect: Dialect,
    fill: impl FnOnce(&mut Sheet<std::io::BufWriter<&std::fs::File>>) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    atomic_file::write_with(path, |file| {
        let mut sheet = Sheet::new(std::io::BufWriter::new(file), dialect)?;
        let done = fill(&mut sheet)?;
        sheet.flush()?;
        Ok(done)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(dialect: Dialect, rows: &[&[&str]]) -> String {
        let mut sheet = Sheet::new(Vec::new(), dialect).unwrap();
        for r in rows {
            sheet.row(r.iter()).unwrap();
        }
        String::from_utf8(sheet.csv.into_inner().unwrap()).unwrap()
    }

    #[test]
    fn the_dialect_decides_bom_delimiter_and_decimal_mark() {
        let ptbr = Dialect {
            delimiter: b';',
            bom: true,
            decimal_comma: true,
        };
        let amount = ptbr.amount("-10.50".parse().unwrap());
        assert_eq!(amount, "-10,50");
        assert_eq!(
            written(ptbr, &[&["a", "b"], &["1", &amount]]),
            "\u{feff}a;b\n1;-10,50\n"
        );
        let plain = Dialect::default();
        assert_eq!(plain.amount("10.5".parse().unwrap()), "10.5");
        // A decimal comma under `,` is quoted, not split.
        let comma = Dialect {
            decimal_comma: true,
            ..plain
        };
        assert_eq!(
            written(comma, &[&["1", &comma.amount("2.5".parse().unwrap())]]),
            "1,\"2,5\"\n"
        );
    }

    #[test]
    fn every_cell_is_neutralised_once() {
        let out = written(
            Dialect::default(),
            &[&["=1+2", "'=1+2", "@SUM(A1)", "-12.5", "+3", "-", "plain"]],
        );
        assert_eq!(out, "'=1+2,'=1+2,'@SUM(A1),-12.5,+3,'-,plain\n");
    }
}
