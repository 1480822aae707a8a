//! A sent batch's results as a person downloads them, beside the machine
//! format (`results`' `results.csv`, unchanged): `GET
//! /batches/{id}/results/download?filter=…` — the rows the results page shows
//! under that filter, every one of them, in the page's language: column
//! names, outcomes, causes with their meaning and next step, the page's line
//! numbers, times at the console's time zone; a sheet Excel opens as it is —
//! BOM, CRLF, and for Portuguese and Spanish `;` with decimal commas.
//!
//! Invariants: the rows are the filter's (`Filter::listing`, the page's own),
//! read from the ledger as they are written out, never held whole; every cell
//! goes through the one sheet writer, which neutralises formulas; amounts are
//! written from `Decimal` digits with the sheet's decimal mark, no symbol, so a
//! spreadsheet reads them as numbers; the download is audited.

use std::io::Write;

use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::app::Shared;
use super::error::AppError;
use super::extract::{self, Api, Remote};
use super::i18n::{Lang, M, Words};
use super::results::{
    Filter, download_name, explained, payment_and_amount, results_to_download, written,
};
use super::store::Action;
use crate::domain::ResultsFormat;
use crate::sheets::sheet::{Dialect, Sheet};
use crate::store::ledger::{Ledger, StoredRow};

#[derive(Deserialize)]
pub(crate) struct SheetQuery {
    filter: Option<String>,
}

/// The sheet's dialect for a language: Excel pt-BR and es read `;` and
/// decimal commas; every one reads UTF-8 by its BOM.
pub(crate) fn dialect(lang: Lang) -> Dialect {
    match lang {
        Lang::PtBr | Lang::Es => Dialect {
            delimiter: b';',
            bom: true,
            decimal_comma: true,
        },
        Lang::En => Dialect {
            delimiter: b',',
            bom: true,
            decimal_comma: false,
        },
    }
}

/// `GET /batches/{id}/results/download?filter=…`.
pub(crate) async fn download(
    State(app): State<Shared>,
    Query(q): Query<SheetQuery>,
    remote: Remote,
    extract::Batch(u, v): extract::Batch<Api>,
) -> Result<Response, AppError> {
    let filter = Filter::parse(q.filter.as_deref())
        .ok_or_else(|| AppError::said(StatusCode::BAD_REQUEST, M::ErrFilter, &[]))?;
    let ledger_batch = results_to_download(&app, &u)?;
    let detail = super::detail::Detail::ResultsPeople {
        filter: filter.as_str().to_owned(),
        lang: v.words.code().to_owned(),
    };
    app.audit_batch(&v.name, Action::Download, &remote, &u.id, Some(detail))?;
    let name = download_name(&u.original_name, ResultsFormat::Mprefund)
        .replace(".results.csv", &format!(".{}.csv", filter.as_str()));
    let disposition = format!("attachment; filename=\"{name}\"");
    let disposition = HeaderValue::from_str(&disposition).map_err(anyhow::Error::from)?;
    let (path, w) = (app.state.clone(), v.words);
    let body = written(format!("the results of {}", u.id), move |out| {
        let ledger = Ledger::open(&path)?;
        let mut out = sheet_of(&ledger, &ledger_batch, filter, w, out)?;
        out.flush()?;
        Ok(())
    });
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (
                header::CONTENT_LANGUAGE,
                HeaderValue::from_static(v.words.code()),
            ),
        ],
        body,
    )
        .into_response())
}

/// The columns, in the page's words; the time's names its zone.
fn header(w: Words) -> Vec<String> {
    let mut cells: Vec<String> = [
        M::ColLine,
        M::ColPayment,
        M::ColAmount,
        M::ColCurrency,
        M::ColOutcome,
        M::ColCause,
        M::ColMeaning,
        M::ColNext,
        M::ColRefundId,
        M::ColRefundStatus,
    ]
    .into_iter()
    .map(|m| w.t(m).to_owned())
    .collect();
    cells.push(w.f(M::ColLastAttemptAt, w.zone()));
    cells
}

/// Writes the rows of `batch` that `filter` keeps to `out`, in `w`'s words.
pub(crate) fn sheet_of<W: Write>(
    ledger: &Ledger,
    batch: &str,
    filter: Filter,
    w: Words,
    out: W,
) -> anyhow::Result<W> {
    let stored = ledger
        .batch(batch)?
        .ok_or_else(|| anyhow::anyhow!("state file: no batch {batch}"))?;
    let columns = crate::sheets::input::key_columns(&stored.header);
    let mut sheet = Sheet::for_people(out, dialect(w.lang))?;
    sheet.row(header(w))?;
    let d = sheet.dialect();
    ledger.for_each_listed(batch, filter.listing(), |row| {
        sheet.row(cells(&row, columns.as_ref(), d, w))?;
        Ok(())
    })?;
    sheet.into_inner()
}

/// One row's cells, as the results page says them.
fn cells(
    row: &StoredRow,
    columns: Option<&crate::sheets::input::KeyColumns>,
    dialect: Dialect,
    w: Words,
) -> [String; 11] {
    let number = |a| dialect.amount(crate::domain::money::fixed(row.currency, a));
    // A full refund's amount is the number alone: a column of numbers.
    let (payment, amount) = payment_and_amount(row, columns, w, number, |n| n);
    let cause = row.result.cause.as_ref();
    let (meaning, next, _) = explained(cause, w);
    let refund = row.result.refund.as_ref();
    [
        row.line.to_string(),
        payment,
        amount,
        row.currency.map(|c| c.to_string()).unwrap_or_default(),
        w.t(super::view::outcome_message(row.result.outcome))
            .to_owned(),
        cause
            .map(|c| c.code.as_str().into_owned())
            .unwrap_or_default(),
        meaning,
        next,
        refund.map(|r| r.id.clone()).unwrap_or_default(),
        refund.map(|r| r.status.to_string()).unwrap_or_default(),
        row.result
            .last_attempt_at_ms
            .map(|t| w.date(t))
            .unwrap_or_default(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_persons_sheet_is_in_the_dialect_excel_reads_in_their_language() {
        let pt = dialect(Lang::PtBr);
        assert_eq!((pt.delimiter, pt.bom, pt.decimal_comma), (b';', true, true));
        assert_eq!(pt.amount("62.71".parse().unwrap()), "62,71");
        let es = dialect(Lang::Es);
        assert_eq!(es, pt);
        let en = dialect(Lang::En);
        assert_eq!((en.delimiter, en.decimal_comma), (b',', false));
        let h = header(Words::utc(Lang::PtBr));
        assert_eq!(h[0], "Linha");
        assert_eq!(h.len(), 11);
        assert!(h[10].contains("UTC"), "{h:?}");
    }
}
