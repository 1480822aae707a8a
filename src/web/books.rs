//! Reading the books back from the console: `POST /batches/{id}/reconcile`
//! runs `reconcile`'s own library function (`commands::reconcile::reconcile`)
//! over the batch's ledger batch, with the console's send settings (API base,
//! rate, the token as `run` takes it), in a task of this process; `GET
//! /batches/{id}/reconcile` shows it working, then its findings — counts, money
//! per currency, the first lines of each, what each means and what to do — and
//! `GET /batches/{id}/reconcile.csv` downloads the reconciliation the command
//! wrote through the one sheet writer, in the batch's dialect.
//! `POST /batches/{id}/report` takes a Mercado Pago settlement or release
//! report (multipart `file`) and matches it by `reconcile --report`'s own
//! function (`commands::statements::match_reports`); `GET
//! /batches/{id}/report` shows the last match, and `GET
//! /batches/{id}/report.csv` downloads the matching that function wrote.
//!
//! Who may: every role. Reading the books back moves no money and sends no
//! refund — the same reason any role may send an approved batch from its page —
//! and whoever uploaded a batch is the first to be asked whether it went
//! through. Four eyes guards what leaves, not what is read.
//!
//! Invariants: only a batch that was sent (finished or stopped) is read back
//! — 409 before, and while it is being sent; a reading is claimed in the
//! batch's life (`registry`), so there is one at a time (409 for a second) and
//! no send of the batch meanwhile (409 from `send::claim`); every POST carries
//! the session's CSRF token and is audited, and so are the downloads; a report
//! upload is capped and stored as the batch upload is (`upload::store_file`),
//! under a generated name, and a file that is no report is refused, audited,
//! and not kept. What a reading or a match found is kept in the store, in no
//! language (`findings`): a restart shows it still, in the reader's words; a reading cut short by a shutdown leaves the state file as
//! it was, as `reconcile` promises.

use askama::Template;
use axum::Extension;
use axum::extract::{Multipart, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use strum::IntoEnumIterator;

use super::app::{App, Shared};
use super::auth;
use super::error::AppError;
use super::extract::{Account, Api, Batch, FileForm, Remote, Step};
use super::findings::{
    ApiLine, BooksRead, ReportRead, ReportView, Shown, api_findings, report_view,
};
#[allow(unused_imports)] // the templates name the messages
use super::i18n::{M, Words};
use super::registry::Busy;
use super::review::effective;
use super::store::{Action, BatchState, Found, ReadBack, Upload};
use super::upload;
use super::view::{self, Chrome, Problem, render};
use crate::domain::books::ReportFinding;
use crate::ops::reconcile::ReconcileRequest;
use crate::ops::statements::MatchRequest;
use crate::store::paths::Sheet;

/// The ledger batch of a console batch that was sent; 409 before, or while it is.
fn sent(app: &App, who: Option<&Account>, u: &Upload) -> Result<String, AppError> {
    let now = effective(u, crate::domain::clock::now_ms(), app.approval_days);
    let ledger = u.review.as_ref().and_then(|r| r.ledger_batch.clone());
    match (now, ledger) {
        (BatchState::Finished | BatchState::Stopped, Some(b)) => Ok(b),
        (BatchState::Sending, _) => Err(AppError::said(
            StatusCode::CONFLICT,
            M::ErrBooksWhileSending,
            &[],
        )),
        (now, _) => {
            let label = who.map_or("", |w| w.words.t(super::view::state_message(now)));
            Err(AppError::said(
                StatusCode::CONFLICT,
                M::ErrBooksNotSent,
                &[label],
            ))
        }
    }
}

/// `POST /batches/{id}/reconcile`: the books read back, in the background.
pub(crate) async fn reconcile(step: Step) -> Result<Redirect, AppError> {
    let (app, remote, who, u, _) = step.into_parts();
    sent(&app, Some(&who), &u)?;
    let send = app
        .send
        .clone()
        .ok_or_else(|| AppError::said(StatusCode::SERVICE_UNAVAILABLE, M::ErrNoTokenBooks, &[]))?;
    let at_ms = crate::domain::clock::now_ms();
    let busy = Busy::Reading {
        by: who.name.clone(),
        at_ms,
    };
    match app.batches.claim(&u.id, busy) {
        Ok(()) => {}
        Err(Busy::Reading { .. }) => {
            return Err(AppError::said(
                StatusCode::CONFLICT,
                M::ErrBooksReading,
                &[],
            ));
        }
        Err(Busy::Sending(_)) => {
            return Err(AppError::said(
                StatusCode::CONFLICT,
                M::ErrBooksWhileSending,
                &[],
            ));
        }
    }
    let begun = begin(&app, &who, &u, &remote, send);
    let req = begun.inspect_err(|_| app.batches.release(&u.id))?;
    // `reconcile` holds its ledger across awaits, as `run` does: on a
    // blocking thread of this runtime (see `send`).
    let (app2, id, by) = (app.clone(), u.id.clone(), who.name.clone());
    tokio::task::spawn_blocking(move || {
        tokio::runtime::Handle::current().block_on(reading(app2, id, by, at_ms, req))
    });
    Ok(Redirect::to(&format!("/batches/{}/reconcile", u.id)))
}

/// The reading of batch `u` (claimed): its ledger batch read again — a send
/// another process began since is seen — and the reading audited.
fn begin(
    app: &Shared,
    who: &Account,
    u: &Upload,
    remote: &Remote,
    send: crate::ops::SendOptions,
) -> Result<ReconcileRequest, AppError> {
    let now = super::extract::find(app, &u.id)?
        .ok_or_else(|| AppError::said(StatusCode::NOT_FOUND, M::ErrNoBatch, &[]))?;
    let ledger_batch = sent(app, Some(who), &now)?;
    let detail = Some(super::detail::Detail::Reconcile {
        ledger_batch: ledger_batch.clone(),
    });
    app.audit_batch(&who.name, Action::Reconcile, remote, &u.id, detail)?;
    Ok(ReconcileRequest {
        state: app.state.clone(),
        pick: crate::ops::Pick {
            id: Some(ledger_batch),
            input: None,
        },
        send,
        out: Some(Written::Reconciliation.path(app, u)),
        metrics_file: None,
    })
}

/// The background reading: what it found kept in the store, then the batch
/// free again in this process.
async fn reading(app: Shared, id: String, by: String, at_ms: i64, req: ReconcileRequest) {
    let ran = crate::ops::reconcile::reconcile(req, crate::engine::send::Stop::new()).await;
    let found = match ran {
        Ok(found) => {
            tracing::info!("console batch {id}: {}", found.one_line());
            BooksRead::of(&found)
        }
        Err(e) => {
            tracing::warn!("console batch {id}: reading the books back failed: {e:#}");
            BooksRead::Failed {
                why: format!("{e:#}"),
            }
        }
    };
    let kept = Found { by, at_ms, found };
    if let Err(e) = app.store().keep_found(&id, ReadBack::Books, &kept) {
        tracing::error!("console batch {id}: keeping what was read back: {e:#}");
    }
    app.batches.release(&id);
}

/// A finished reading, as the page shows it.
struct DoneView {
    by: String,
    at: String,
    agrees: bool,
    stopped: Option<String>,
    updated: usize,
    findings: Vec<Shown<ApiLine>>,
}

#[derive(Template)]
#[template(path = "reconcile.html", config = "src/web/askama.toml")]
struct ReconcilePage {
    chrome: Chrome,
    upload: Upload,
    /// The batch was sent: it may be read back (now, or again).
    may_read: bool,
    /// (by, at) of a reading under way.
    working: Option<(String, String)>,
    failed: Option<(String, String, String)>,
    done: Option<DoneView>,
    /// A reconciliation is on disk to download.
    download: bool,
    max_mib: u64,
}

/// `GET /batches/{id}/reconcile`: the reading under way, else the last one.
pub(crate) async fn page(
    State(app): State<Shared>,
    Batch(u, v): Batch,
) -> Result<Response, AppError> {
    let w = v.words;
    let working = match app.batches.busy(&u.id) {
        Some(Busy::Reading { by, at_ms }) => Some((by, w.date(at_ms))),
        _ => None,
    };
    let kept = match working {
        Some(_) => None,
        None => app.store().found::<BooksRead>(&u.id, ReadBack::Books)?,
    };
    let (mut failed, mut done) = (None, None);
    match kept {
        Some(Found {
            by,
            at_ms,
            found: BooksRead::Failed { why },
        }) => failed = Some((by, w.date(at_ms), upload::said_text(&why, &app, &u))),
        Some(Found {
            by,
            at_ms,
            found:
                BooksRead::Done {
                    agrees,
                    stopped,
                    updated,
                    findings,
                },
        }) => {
            done = Some(DoneView {
                by,
                at: w.date(at_ms),
                agrees,
                stopped,
                updated,
                findings: api_findings(&w, &findings),
            });
        }
        None => {}
    }
    let page = ReconcilePage {
        chrome: v.chrome(),
        may_read: sent(&app, None, &u).is_ok() && working.is_none(),
        download: Written::Reconciliation.path(&app, &u).is_file(),
        upload: u,
        working,
        failed,
        done,
        max_mib: upload::MAX_FILE_BYTES >> 20,
    };
    Ok(render(&page, StatusCode::OK))
}

/// A CSV the engine writes beside a batch's stored upload, downloaded as is
/// ([`csv`]; its route says which).
#[derive(Clone, Copy)]
pub(crate) enum Written {
    /// `reconcile`'s reconciliation.
    Reconciliation,
    /// `reconcile --report`'s matching, of the last report matched.
    ReportMatch,
}

impl Written {
    fn sheet(self) -> Sheet {
        match self {
            Written::Reconciliation => Sheet::Reconcile,
            Written::ReportMatch => Sheet::ReportMatch,
        }
    }

    /// The download's name, before the batch id.
    fn name(self) -> &'static str {
        match self {
            Written::Reconciliation => "reconcile",
            Written::ReportMatch => "report-match",
        }
    }

    /// The refusal when there is none yet.
    fn missing(self) -> M {
        match self {
            Written::Reconciliation => M::ErrBooksNotRead,
            Written::ReportMatch => M::ErrNoReportMatch,
        }
    }

    fn action(self) -> Action {
        match self {
            Written::Reconciliation => Action::ReconcileDownload,
            Written::ReportMatch => Action::ReportDownload,
        }
    }

    /// Where the engine writes it for `u`: beside its stored upload, as the
    /// command does beside its input.
    fn path(self, app: &App, u: &Upload) -> std::path::PathBuf {
        crate::store::paths::beside(&upload::stored_path(app, &u.stored_name), self.sheet())
    }
}

/// `GET /batches/{id}/reconcile.csv`, the reconciliation as `reconcile` wrote
/// it, and `GET /batches/{id}/report.csv`, the matching of the last report as
/// `reconcile --report`'s function wrote it: `which` the route says, as the one
/// sheet writer wrote it (the batch's dialect, formula cells neutralised);
/// audited; 404 when the engine has not written it.
pub(crate) async fn csv(
    State(app): State<Shared>,
    Extension(which): Extension<Written>,
    remote: Remote,
    Batch(u, v): Batch<Api>,
) -> Result<Response, AppError> {
    let body = match tokio::fs::read(which.path(&app, &u)).await {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(AppError::said(StatusCode::NOT_FOUND, which.missing(), &[]));
        }
        Err(e) => return Err(anyhow::Error::from(e).into()),
    };
    app.audit_batch(&v.name, which.action(), &remote, &u.id, None)?;
    let disposition = format!("attachment; filename=\"{}-{}.csv\"", which.name(), u.id);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        body,
    )
        .into_response())
}

/// `POST /batches/{id}/report`: a Mercado Pago report (multipart `file`)
/// matched against the batch.
pub(crate) async fn report(
    State(app): State<Shared>,
    batch: Result<Batch<Api>, AppError>,
    remote: Remote,
    form: FileForm,
) -> Result<Redirect, AppError> {
    let (v, Batch(u, _)) = (form.v, batch?);
    let header = form.header.as_deref();
    let (stored, name, ledger_batch) =
        received(&app, &v, &u, &remote, header, form.multipart).await?;
    // The account's currency, which a batch without a currency column is in:
    // a report line in another is none of its refunds.
    let plan = upload::plan_of(&app, &u)
        .await
        .map_err(|e| e.context("the batch's plan"))?;
    let currency = super::reading::account_for(&app, &u.id, &plan).await;
    let req = MatchRequest {
        currency,
        state: app.state.clone(),
        pick: crate::ops::Pick {
            id: Some(ledger_batch),
            input: None,
        },
        reports: vec![stored.clone()],
        out: Some(Written::ReportMatch.path(&app, &u)),
        window_days: crate::ops::statements::DEFAULT_WINDOW_DAYS,
        period: None,
    };
    let matched = tokio::task::spawn_blocking(move || crate::ops::statements::match_reports(req))
        .await
        .map_err(anyhow::Error::from)?;
    let matched = match matched {
        Ok(m) => m,
        Err(e) => {
            let _ = tokio::fs::remove_file(&stored).await;
            let why = format!("{e:#}").replace(&stored.display().to_string(), &name);
            return Err(refuse(
                &app,
                &v,
                &remote,
                &u,
                Problem::NotAReport,
                &name,
                &why,
            ));
        }
    };
    let found = ReportFinding::iter()
        .filter_map(|f| Some((f.as_str().to_owned(), *matched.counts.get(&f)?)))
        .collect();
    let detail = Some(super::detail::Detail::Report {
        file: name.clone(),
        found,
    });
    app.audit_batch(&v.name, Action::Report, &remote, &u.id, detail)?;
    let kept = Found {
        by: v.name.clone(),
        at_ms: crate::domain::clock::now_ms(),
        found: ReportRead::of(name, &matched),
    };
    app.store().keep_found(&u.id, ReadBack::Report, &kept)?;
    Ok(Redirect::to(&format!("/batches/{}/report", u.id)))
}

/// The report as it streams in, kept once its token and the batch's state
/// are known good: where it is, what the browser called it, the ledger batch.
async fn received(
    app: &App,
    v: &Account,
    u: &Upload,
    remote: &Remote,
    header: Option<&str>,
    mut multipart: Multipart,
) -> Result<(std::path::PathBuf, String, String), AppError> {
    let mut csrf_ok = auth::csrf_matches(&v.csrf, header);
    let mut kept = None;
    while let Some(mut field) = multipart.next_field().await.map_err(upload::refused_body)? {
        match field.name() {
            Some("csrf") => {
                let token = field.text().await.map_err(upload::refused_body)?;
                csrf_ok |= auth::csrf_matches(&v.csrf, Some(&token));
            }
            Some("file") if kept.is_none() => {
                // The token and the batch's state before a byte is kept.
                if !csrf_ok {
                    return Err(AppError::Csrf);
                }
                let ledger_batch = sent(app, Some(v), u)?;
                let name = upload::shown_name(field.file_name());
                let dir = app.store().uploads_dir().join("reports");
                match upload::store_file(&dir, &mut field).await? {
                    Ok(s) => kept = Some((dir.join(s.stored_name), name, ledger_batch)),
                    Err(problem) => {
                        return Err(refuse(app, v, remote, u, problem, &name, ""));
                    }
                }
            }
            _ => {}
        }
    }
    if !csrf_ok {
        return Err(AppError::Csrf);
    }
    kept.ok_or_else(|| {
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        AppError::answer(view::message(v.chrome(), status, Problem::NoFile, ""))
    })
}

/// A report refused for what the file is: audited, and the page says what to do.
fn refuse(
    app: &App,
    v: &Account,
    remote: &Remote,
    u: &Upload,
    problem: Problem,
    file: &str,
    detail: &str,
) -> AppError {
    let action = Action::ReportRefused;
    let what = super::detail::Detail::Refused {
        file: file.to_owned(),
        unfit: super::detail::Unfit::of(problem),
    };
    if let Err(failed) = app.audit_batch(&v.name, action, remote, &u.id, Some(what)) {
        return failed;
    }
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    AppError::answer(view::message(v.chrome(), status, problem, detail))
}

#[derive(Template)]
#[template(path = "report.html", config = "src/web/askama.toml")]
struct ReportPage {
    chrome: Chrome,
    upload: Upload,
    may_read: bool,
    max_mib: u64,
    report: Option<ReportView>,
    /// A matching is on disk to download.
    download: bool,
}

/// `GET /batches/{id}/report`: the last report matched against the batch.
pub(crate) async fn report_page(
    State(app): State<Shared>,
    Batch(u, v): Batch,
) -> Result<Response, AppError> {
    let report = app.store().found::<ReportRead>(&u.id, ReadBack::Report)?;
    let page = ReportPage {
        chrome: v.chrome(),
        may_read: sent(&app, None, &u).is_ok(),
        max_mib: upload::MAX_FILE_BYTES >> 20,
        report: report.map(|r| report_view(r, v.words)),
        download: Written::ReportMatch.path(&app, &u).is_file(),
        upload: u,
    };
    Ok(render(&page, StatusCode::OK))
}
