//! A batch's results, once it was sent:
//! `GET /batches/{id}/results?filter=…&page=N` lists its rows, a page at a
//! time, read from the ledger; `GET /batches/{id}/results.csv` is the results
//! CSV `run` writes, by `report`'s own writer (`?format=mp-batch`: Mercado
//! Pago's columns, by `mpbatch`); `POST /batches/{id}/retry` sends the failed
//! rows again by the rules of `mprefund retry`, through send now's own path
//! (`send::claim`, `send::spawn`: the progress events and the stop work alike).
//!
//! The filters, as finance reads them, in the ledger's outcome vocabulary:
//! *failed* — not refunded and nothing under way (`Failed`: Mercado Pago
//! refused or the retries ran out; `Invalid`: a bad line or a held-back row),
//! what Mercado Pago's own file calls `INVALID`; *needs a person* — the rows
//! the tool will not finish by itself: invalid, failed for good (not
//! retryable), or refunded for another amount or payment than asked;
//! *refunded* — a refund exists (`Refunded`, or `InProcess`: it settles later,
//! the status column says which). Rows still to send (`Pending`) are under
//! *all* only.
//!
//! Invariants: nothing changes on a GET but the audit trail, which records
//! every download; a page reads one page of rows from the ledger (LIMIT and
//! OFFSET on its primary key), never the batch; the download is streamed as
//! the ledger is read; a batch has results once it was sent (`sending`,
//! `stopped`, `finished`) — before that, 409; a retry moves the batch by the
//! one conditional UPDATE send now uses, so a double click retries once.

use std::io::Write;

use askama::Template;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::app::Shared;
use super::error::AppError;
use super::extract::{self, Api, Remote, Step};
#[allow(unused_imports)] // the template names the messages
use super::i18n::{M, Words};
use super::review::{effective, in_states};
use super::store::{Action, BatchState, Upload};
use super::view::{Chrome, render, state_message};
use crate::domain::{Cause, CauseCode, Outcome, Requested, ResultsFormat};
use crate::sheets::input::KeyColumns;
use crate::store::ledger::{Batch, Ledger, Listing, StoredRow};
use rust_decimal::Decimal;
use strum::IntoEnumIterator;

/// Rows on one page.
pub(crate) const PAGE_ROWS: u32 = 100;

/// The filters of the results page (see the module's words for their meaning).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, strum::EnumIter, strum::IntoStaticStr, strum::EnumString,
)]
#[strum(serialize_all = "kebab-case")]
pub(crate) enum Filter {
    All,
    Failed,
    NeedsPerson,
    Refunded,
}

impl Filter {
    /// As the query string names it.
    pub(crate) fn as_str(self) -> &'static str {
        self.into()
    }

    /// `?filter=`: none is `all`; an unknown one is none of ours.
    pub(crate) fn parse(text: Option<&str>) -> Option<Filter> {
        match text.map(str::trim).filter(|t| !t.is_empty()) {
            None => Some(Filter::All),
            Some(t) => t.parse().ok(),
        }
    }

    /// The ledger's rows it keeps.
    pub(crate) fn listing(self) -> Listing {
        match self {
            Filter::All => Listing::All,
            Filter::Failed => {
                Listing::Outcomes(&[Outcome::Failed, Outcome::Unknown, Outcome::Invalid])
            }
            Filter::NeedsPerson => Listing::NeedsPerson,
            Filter::Refunded => Listing::Outcomes(&[Outcome::Refunded, Outcome::InProcess]),
        }
    }

    pub(crate) fn label(self) -> M {
        match self {
            Filter::All => M::FilterAll,
            Filter::Failed => M::FilterFailed,
            Filter::NeedsPerson => M::FilterNeedsPerson,
            Filter::Refunded => M::FilterRefunded,
        }
    }
}

/// Where a page falls: its number (from 1), how many there are, the rows before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Paging {
    pub page: u64,
    pub pages: u64,
    pub offset: u64,
}

/// Page `asked` of `total` rows, `size` a page: one page at least (empty);
/// a page before the first is the first, one past the last the last.
pub(crate) fn paging(total: u64, asked: u64, size: u32) -> Paging {
    let size = u64::from(size.max(1));
    let pages = total.div_ceil(size).max(1);
    let page = asked.clamp(1, pages);
    Paging {
        page,
        pages,
        offset: (page - 1) * size,
    }
}

/// The ledger batch of `u` when it has results: once it was sent.
pub(crate) fn with_results(u: &Upload, now_ms: i64, approval_days: u32) -> Option<&str> {
    let state = effective(u, now_ms, approval_days);
    if !has_results(state) {
        return None;
    }
    u.review.as_ref().and_then(|r| r.ledger_batch.as_deref())
}

/// The ledger batch of `u`, whose results a download reads: 409 until it
/// has results.
pub(crate) fn results_to_download(app: &Shared, u: &Upload) -> Result<String, AppError> {
    let now = crate::domain::clock::now_ms();
    with_results(u, now, app.approval_days)
        .map(str::to_owned)
        .ok_or_else(|| AppError::said(StatusCode::CONFLICT, M::ErrNoResults, &[]))
}

/// Whether a batch in `state` has results (the batch page links them then).
pub(crate) fn has_results(state: BatchState) -> bool {
    matches!(
        state,
        BatchState::Sending | BatchState::Stopped | BatchState::Finished
    )
}

/// The ledger, and the batch in it, for a read.
fn open(state: &std::path::Path, ledger_batch: &str) -> anyhow::Result<(Ledger, Batch)> {
    let ledger = Ledger::open(state)?;
    let batch = ledger
        .batch(ledger_batch)?
        .ok_or_else(|| anyhow::anyhow!("state file: no batch {ledger_batch}"))?;
    Ok((ledger, batch))
}

#[derive(Deserialize)]
pub(crate) struct PageQuery {
    filter: Option<String>,
    page: Option<String>,
}

/// One row as the page shows it, in the request's words.
pub(crate) struct Shown {
    row: u64,
    line: u64,
    payment: String,
    amount: String,
    outcome: &'static str,
    outcome_label: M,
    cause: String,
    /// The API's message when `meaning` is ours; empty otherwise.
    original: String,
    meaning: String,
    next: String,
    refund_id: String,
    status: String,
}

/// A row's payment and amount as people read them: what it refunds and what
/// it asks (`amount` writes an amount, `full_was` a full refund's once made),
/// or, for a row with no ask (an invalid one), its cells as given
/// (`columns`: where the input's payment and amount are).
pub(crate) fn payment_and_amount(
    row: &StoredRow,
    columns: Option<&KeyColumns>,
    w: Words,
    amount: impl Fn(Decimal) -> String,
    full_was: impl Fn(String) -> String,
) -> (String, String) {
    let cell = |i: Option<usize>| {
        i.and_then(|i| row.fields.get(i))
            .map_or_else(String::new, |c| c.trim().to_owned())
    };
    match &row.ask {
        Some(ask) => (
            ask.target.to_string(),
            match (ask.requested, row.result.refunded()) {
                (Requested::Partial(a), _) => amount(a.get()),
                (Requested::Full, Some(r)) => full_was(amount(r)),
                (Requested::Full, None) => w.t(M::AmountFull).to_owned(),
            },
        ),
        None => (
            cell(columns.map(KeyColumns::id)),
            cell(columns.map(|c| c.amount)),
        ),
    }
}

/// What a row's `cause` means and what to do next, in `w`'s words: the
/// tool's words for its code, else the API's message and no next step; and
/// whether the words are the tool's.
pub(crate) fn explained(cause: Option<&Cause>, w: Words) -> (String, String, bool) {
    let ours = cause.and_then(|c| super::i18n::cause(w.lang, &c.code));
    match (ours, cause) {
        (Some((what, next)), _) => (what.to_owned(), next.to_owned(), true),
        (None, Some(c)) => (c.message.clone(), String::new(), false),
        (None, None) => (String::new(), String::new(), false),
    }
}

/// `row` in `w`'s words; `columns`: where the input's payment and amount are,
/// for a row with no ask (an invalid one), whose cells are shown as given.
fn shown(row: StoredRow, columns: Option<&KeyColumns>, w: Words) -> Shown {
    let money = |a| super::i18n::money(w.lang, row.currency, a);
    let full_was = |m| w.f(M::AmountFullWas, m);
    let (payment, amount) = payment_and_amount(&row, columns, w, money, full_was);
    let cause = row.result.cause.as_ref();
    let (meaning, next, ours) = explained(cause, w);
    let refund = row.result.refund.as_ref();
    Shown {
        row: row.row_no,
        line: row.line,
        payment,
        amount,
        outcome: row.result.outcome.as_str(),
        outcome_label: super::view::outcome_message(row.result.outcome),
        cause: cause
            .map(|c| c.code.as_str().into_owned())
            .unwrap_or_default(),
        meaning,
        next,
        // Mercado Pago's own words, under ours: what its support will quote.
        original: match cause {
            Some(c) if ours && matches!(c.code, CauseCode::Other(_) | CauseCode::Order(_)) => {
                c.message.clone()
            }
            _ => String::new(),
        },
        refund_id: refund.map(|r| r.id.clone()).unwrap_or_default(),
        status: refund.map(|r| r.status.to_string()).unwrap_or_default(),
    }
}

/// A page of a batch's rows, read on a blocking thread.
struct Read {
    counts: Vec<(Filter, u64)>,
    paging: Paging,
    rows: Vec<Shown>,
    retryable: u64,
    pending: u64,
}

fn read(
    state: &std::path::Path,
    ledger_batch: &str,
    filter: Filter,
    asked: u64,
    w: Words,
) -> anyhow::Result<Read> {
    let (ledger, batch) = open(state, ledger_batch)?;
    let listings: Vec<Listing> = Filter::iter().map(Filter::listing).collect();
    let counts: Vec<(Filter, u64)> = Filter::iter()
        .zip(ledger.listed_counts(ledger_batch, &listings)?)
        .collect();
    let total = counts
        .iter()
        .find(|(f, _)| *f == filter)
        .map_or(0, |(_, n)| *n);
    let paging = paging(total, asked, PAGE_ROWS);
    let columns = crate::sheets::input::key_columns(&batch.header);
    let rows = ledger
        .listed_page(ledger_batch, filter.listing(), paging.offset, PAGE_ROWS)?
        .into_iter()
        .map(|r| shown(r, columns.as_ref(), w))
        .collect();
    let (retryable, _) = ledger.failed_counts(ledger_batch)?;
    let pending = ledger.to_send(ledger_batch)?;
    Ok(Read {
        counts,
        paging,
        rows,
        retryable,
        pending,
    })
}

#[derive(Template)]
#[template(path = "results.html", config = "src/web/askama.toml")]
struct ResultsPage {
    chrome: Chrome,
    id: String,
    file: String,
    /// The batch's state, in the request's words.
    state: &'static str,
    /// None: no results yet.
    read: Option<Read>,
    filter: Filter,
    may_retry: bool,
    /// What became of its rows and money, and why.
    summary: Option<super::summary::Summary>,
}

impl ResultsPage {
    fn tabs(&self) -> Vec<(&'static str, M, u64, bool)> {
        self.read
            .as_ref()
            .map(|r| {
                r.counts
                    .iter()
                    .map(|(f, n)| (f.as_str(), f.label(), *n, *f == self.filter))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// `GET /batches/{id}/results?filter=…&page=N`.
pub(crate) async fn page(
    State(app): State<Shared>,
    Query(q): Query<PageQuery>,
    extract::Batch(u, v): extract::Batch,
) -> Result<Response, AppError> {
    let bad = |m| AppError::said(StatusCode::BAD_REQUEST, m, &[]);
    let filter = Filter::parse(q.filter.as_deref()).ok_or_else(|| bad(M::ErrFilter))?;
    let asked = match q.page.as_deref().map(str::trim) {
        None | Some("") => 1,
        Some(t) => t.parse::<u64>().map_err(|_| bad(M::ErrPage))?,
    };
    let now = crate::domain::clock::now_ms();
    let state = effective(&u, now, app.approval_days);
    let w = v.words;
    let (read, summary) = match with_results(&u, now, app.approval_days) {
        Some(b) => {
            let summary = super::summary::of(&app, b, w).await?;
            let (path, b) = (app.state.clone(), b.to_owned());
            let read = tokio::task::spawn_blocking(move || read(&path, &b, filter, asked, w))
                .await
                .map_err(anyhow::Error::from)??;
            (Some(read), Some(summary))
        }
        None => (None, None),
    };
    let may_retry = read.as_ref().is_some_and(|r| {
        matches!(state, BatchState::Finished | BatchState::Stopped)
            && r.retryable > 0
            && r.pending == 0
    });
    let status = if read.is_some() {
        StatusCode::OK
    } else {
        StatusCode::CONFLICT
    };
    let page = ResultsPage {
        chrome: v.chrome(),
        id: u.id.clone(),
        file: u.original_name.clone(),
        state: w.t(state_message(state)),
        read,
        filter,
        may_retry,
        summary,
    };
    Ok(render(&page, status))
}

#[derive(Deserialize)]
pub(crate) struct CsvQuery {
    format: Option<String>,
}

/// `GET /batches/{id}/results.csv[?format=mp-batch]`.
pub(crate) async fn csv(
    State(app): State<Shared>,
    Query(q): Query<CsvQuery>,
    remote: Remote,
    extract::Batch(u, v): extract::Batch<Api>,
) -> Result<Response, AppError> {
    let ledger_batch = results_to_download(&app, &u)?;
    let asked = match q.format.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(t) => Some(
            t.parse::<ResultsFormat>()
                .map_err(|_| AppError::said(StatusCode::BAD_REQUEST, M::ErrFormat, &[]))?,
        ),
    };
    let path = app.state.clone();
    let (ledger, batch) = tokio::task::spawn_blocking(move || open(&path, &ledger_batch))
        .await
        .map_err(anyhow::Error::from)??;
    // As `run` chose for the batch, unless asked.
    let format = crate::ops::format_for(
        &batch,
        &crate::ops::OutputOptions {
            results_format: asked,
            ..Default::default()
        },
    );
    let detail = Some(super::detail::Detail::ResultsFile {
        format: format.to_string(),
    });
    app.audit_batch(&v.name, Action::Download, &remote, &u.id, detail)?;
    let disposition = format!(
        "attachment; filename=\"{}\"",
        download_name(&u.original_name, format)
    );
    let disposition = HeaderValue::from_str(&disposition).map_err(anyhow::Error::from)?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        streamed(ledger, batch, format),
    )
        .into_response())
}

/// The download's name: the uploaded file's, cut to letters, digits, `-`
/// and `_` (nothing a header or a file system reads otherwise), then what it is.
pub(crate) fn download_name(original: &str, format: ResultsFormat) -> String {
    let stem = original
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .trim_end_matches(".csv")
        .trim_end_matches(".CSV");
    let safe = crate::store::paths::plain(stem, 80);
    let safe = safe.trim_matches('_');
    let stem = if safe.is_empty() { "batch" } else { safe };
    match format {
        ResultsFormat::Mprefund => format!("{stem}.results.csv"),
        ResultsFormat::MpBatch => format!("{stem}.mp-batch.csv"),
    }
}

/// Writes into the response body as the ledger is read: a 100,000-row batch
/// is never held whole in memory.
pub(crate) struct Pipe(tokio::sync::mpsc::Sender<std::io::Result<Vec<u8>>>);

impl Write for Pipe {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.blocking_send(Ok(buf.to_vec())).map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the download was cancelled")
        })?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The results CSV of `batch` as a body, written on a blocking thread by
/// `report`'s own writer. A failure half way ends the body with an error, so
/// the browser sees a failed download rather than a short file.
fn streamed(ledger: Ledger, batch: Batch, format: ResultsFormat) -> Body {
    let (tx, mut rx) = tokio::sync::mpsc::channel(4);
    tokio::task::spawn_blocking(move || {
        let out = std::io::BufWriter::with_capacity(1 << 16, Pipe(tx.clone()));
        let written = crate::sheets::report::results_into(&ledger, &batch, format, out)
            .and_then(|mut out| Ok(out.flush()?));
        if let Err(e) = written
            && !tx.is_closed()
        {
            tracing::error!("console: the results of batch {}: {e:#}", batch.id);
            let _ = tx.blocking_send(Err(std::io::Error::other("the results could not be read")));
        }
    });
    Body::from_stream(futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx)))
}

/// A body `fill` writes on a blocking thread as it reads (`what`: what it is,
/// for the log). A failure half way ends the body with an error, so the
/// browser sees a failed download rather than a short file.
pub(crate) fn written(
    what: String,
    fill: impl FnOnce(std::io::BufWriter<Pipe>) -> anyhow::Result<()> + Send + 'static,
) -> Body {
    let (tx, mut rx) = tokio::sync::mpsc::channel(4);
    tokio::task::spawn_blocking(move || {
        let out = std::io::BufWriter::with_capacity(1 << 16, Pipe(tx.clone()));
        if let Err(e) = fill(out)
            && !tx.is_closed()
        {
            tracing::error!("console: {what}: {e:#}");
            let _ = tx.blocking_send(Err(std::io::Error::other("the download could not be made")));
        }
    });
    Body::from_stream(futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx)))
}

/// `POST /batches/{id}/retry`: the batch's retryable failed rows sent again,
/// by whoever may send.
pub(crate) async fn retry(step: Step) -> Result<Redirect, AppError> {
    let (app, remote, who, u, _) = step.into_parts();
    let from = [BatchState::Finished, BatchState::Stopped];
    in_states(&app, &who, &u, &from, M::ErrNotRetryable)?;
    // Finished or stopped, so approved: its ledger batch exists.
    let ledger_batch = u
        .review
        .as_ref()
        .and_then(|r| r.ledger_batch.clone())
        .ok_or_else(|| anyhow::anyhow!("console batch {} was sent without a ledger batch", u.id))?;
    let send = app
        .send
        .clone()
        .ok_or_else(|| AppError::said(StatusCode::SERVICE_UNAVAILABLE, M::ErrNoTokenSend, &[]))?;
    let (path, b) = (app.state.clone(), ledger_batch.clone());
    let (retryable, pending) = tokio::task::spawn_blocking(move || {
        let ledger = Ledger::open(&path)?;
        anyhow::Ok((ledger.failed_counts(&b)?.0, ledger.to_send(&b)?))
    })
    .await
    .map_err(anyhow::Error::from)??;
    // `mprefund retry`'s rules: rows still to send are `run`'s.
    if pending > 0 {
        let pending = pending.to_string();
        return Err(AppError::said(
            StatusCode::CONFLICT,
            M::ErrRetryPending,
            &[&pending],
        ));
    }
    if retryable == 0 {
        return Err(AppError::said(
            StatusCode::CONFLICT,
            M::ErrNothingToRetry,
            &[],
        ));
    }
    let begun = super::send::claim(&app, &u, &from)?;
    let detail = Some(super::detail::Detail::Retry { rows: retryable });
    app.audit_batch(&who.name, Action::Retry, &remote, &u.id, detail)?;
    let job = super::send::Job::Retry {
        ledger_batch,
        send: Box::new(send),
    };
    super::send::spawn(&app, &u.id, job, begun);
    Ok(super::view::to_batch(&u.id, super::view::Said::Retried))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_filters_read_back_and_map_onto_the_outcomes() {
        for f in Filter::iter() {
            assert_eq!(Filter::parse(Some(f.as_str())), Some(f));
        }
        assert_eq!(Filter::parse(None), Some(Filter::All));
        assert_eq!(Filter::parse(Some(" ")), Some(Filter::All));
        assert_eq!(Filter::parse(Some("<script>")), None);
        assert_eq!(Filter::parse(Some("FAILED")), None);
        // Failed: not refunded, nothing under way — Mercado Pago's INVALID —
        // and the rows in doubt, which a person must not take for either.
        assert_eq!(
            Filter::Failed.listing(),
            Listing::Outcomes(&[Outcome::Failed, Outcome::Unknown, Outcome::Invalid])
        );
        // Refunded: a refund exists, settled or settling.
        assert_eq!(
            Filter::Refunded.listing(),
            Listing::Outcomes(&[Outcome::Refunded, Outcome::InProcess])
        );
        assert_eq!(Filter::NeedsPerson.listing(), Listing::NeedsPerson);
        assert_eq!(Filter::All.listing(), Listing::All);
        // Every outcome but pending is under some filter other than `all`.
        for o in <Outcome as strum::IntoEnumIterator>::iter() {
            let under = Filter::iter()
                .filter(|f| *f != Filter::All)
                .any(|f| matches!(f.listing(), Listing::Outcomes(os) if os.contains(&o)));
            assert_eq!(under, o != Outcome::Pending, "{o}");
        }
    }

    #[test]
    fn pages_cover_every_row_once() {
        let paged = |page, pages, offset| Paging {
            page,
            pages,
            offset,
        };
        assert_eq!(paging(250, 1, 100), paged(1, 3, 0));
        assert_eq!(paging(250, 3, 100).offset, 200);
        assert_eq!(paging(300, 3, 100).pages, 3);
        assert_eq!(paging(301, 4, 100).offset, 300);
        // Nothing to show: one empty page.
        assert_eq!(paging(0, 1, 100), paged(1, 1, 0));
        // Out of range: the nearest page.
        assert_eq!(paging(250, 0, 100).page, 1);
        assert_eq!(paging(250, 9, 100).page, 3);
        assert_eq!(paging(250, u64::MAX, 100).offset, 200);
        assert_eq!(
            paging(u64::MAX, u64::MAX, 100).pages,
            u64::MAX.div_ceil(100)
        );
        // A page size of 0 is taken as 1 (never a division by zero).
        assert_eq!(paging(5, 2, 0).offset, 1);
        // Every row once over the pages.
        for total in [0u64, 1, 99, 100, 101, 250] {
            let p = paging(total, 1, 100).pages;
            let covered: u64 = (1..=p)
                .map(|n| {
                    let at = paging(total, n, 100).offset;
                    total.saturating_sub(at).min(100)
                })
                .sum();
            assert_eq!(covered, total);
        }
    }

    #[test]
    fn the_download_is_named_safely() {
        for (uploaded, format, named) in [
            (
                "chargebacks-ptbr.csv",
                ResultsFormat::Mprefund,
                "chargebacks-ptbr.results.csv",
            ),
            (
                "a b\"; c.csv",
                ResultsFormat::MpBatch,
                "a_b___c.mp-batch.csv",
            ),
            (
                "../../etc/passwd",
                ResultsFormat::Mprefund,
                "passwd.results.csv",
            ),
            ("ação\r\n.csv", ResultsFormat::Mprefund, "a__o.results.csv"),
            ("", ResultsFormat::Mprefund, "batch.results.csv"),
        ] {
            assert_eq!(download_name(uploaded, format), named, "{uploaded:?}");
        }
    }

    #[test]
    fn a_batch_has_results_once_sent() {
        for s in [
            BatchState::Sending,
            BatchState::Stopped,
            BatchState::Finished,
        ] {
            assert!(has_results(s), "{s:?}");
        }
        for s in [
            BatchState::Uploaded,
            BatchState::Submitted,
            BatchState::Approved,
            BatchState::Rejected,
            BatchState::Expired,
        ] {
            assert!(!has_results(s), "{s:?}");
        }
    }
}
