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
//! — 409 before, and while it is being sent; one reading per batch at a time
//! (409 for a second), and no send of a batch while it is read back (409 from
//! `send::claim`, both decided under one lock); every POST carries the session's CSRF token and is
//! audited, and so are the downloads; a report upload is capped and stored as
//! the batch upload is (`upload::store_file`), under a generated name, and a
//! file that is no report is refused, audited, and not kept. What was found
//! lives in this process (a restart forgets the page, not the CSV); a reading
//! cut short by a shutdown leaves the state file as it was, as `reconcile`
//! promises.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use askama::Template;
use axum::extract::{ConnectInfo, Form, Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use strum::IntoEnumIterator;

use super::auth::{self, Kind, Refusal, Viewer};
#[allow(unused_imports)] // the templates name the messages
use super::i18n::{M, Words};
use super::pages::{self, Chrome, Problem, render};
use super::review::{effective, step_of};
use super::server::{App, Early, Shared, either, internal, say, words};
use super::store::{Action, BatchState, Upload};
use super::upload;
use crate::books::{Finding, ReportFinding};
use crate::commands::reconcile::{ReconcileRequest, Reconciled};
use crate::commands::statements::{MatchRequest, Matched};
use crate::paths::Sheet;

/// What reading back found, per console batch, for this process's life.
#[derive(Default)]
pub(crate) struct Books {
    readings: Mutex<HashMap<String, Reading>>,
    reports: Mutex<HashMap<String, Arc<Reported>>>,
}

/// The readings of this process held still, none of them the batch's:
/// while it is held no reading begins (see [`Books::unless_reading`]).
pub(crate) struct NoReading<'a> {
    _readings: MutexGuard<'a, HashMap<String, Reading>>,
}

impl Books {
    /// `None` while the books of console batch `id` are being read back;
    /// else the readings held still. `send::claim` moves a batch to `sending`
    /// holding this, and a reading begins under the same lock only after
    /// seeing its batch is not `sending`: a send and a reading of one batch
    /// never run together (the loser would meet the ledger's batch lock and
    /// end as a failed send or a failed reading). Taken before `App::runs`
    /// and `App::store`.
    pub(crate) fn unless_reading(&self, id: &str) -> Option<NoReading<'_>> {
        let readings = self.readings();
        match readings.get(id) {
            Some(Reading::Working { .. }) => None,
            _ => Some(NoReading {
                _readings: readings,
            }),
        }
    }

    fn readings(&self) -> MutexGuard<'_, HashMap<String, Reading>> {
        self.readings.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn reports(&self) -> MutexGuard<'_, HashMap<String, Arc<Reported>>> {
        self.reports.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A batch's reading: under way, done, or failed; by whom, since when.
#[derive(Clone)]
enum Reading {
    Working {
        by: String,
        at_ms: i64,
    },
    Done {
        by: String,
        at_ms: i64,
        found: Arc<Reconciled>,
    },
    Failed {
        by: String,
        at_ms: i64,
        why: String,
    },
}

/// The last report matched against a batch.
struct Reported {
    /// What the browser called it.
    name: String,
    by: String,
    at_ms: i64,
    matched: Matched,
}

/// The ledger batch of a console batch that was sent; 409 before, or while it is.
fn sent(app: &App, u: &Upload) -> Result<String, Early> {
    let now = effective(u, crate::clock::now_ms(), app.approval_days);
    let ledger = u.review.as_ref().and_then(|r| r.ledger_batch.clone());
    match (now, ledger) {
        (BatchState::Finished | BatchState::Stopped, Some(b)) => Ok(b),
        (BatchState::Sending, _) => {
            Err(say(StatusCode::CONFLICT, M::ErrBooksWhileSending, &[]).into())
        }
        (now, _) => {
            let now = pages::state_label(now);
            Err(say(StatusCode::CONFLICT, M::ErrBooksNotSent, &[now]).into())
        }
    }
}

/// The batch `id` for a GET by any account; 404 in the request's kind.
fn viewed(app: &App, headers: &HeaderMap, id: &str, kind: Kind) -> Result<(Viewer, Upload), Early> {
    let v = app.viewer(headers, kind)?;
    let found = if upload::is_batch_id(id) {
        app.store().upload(id).map_err(internal)?
    } else {
        None
    };
    match (found, kind) {
        (Some(u), _) => Ok((v, u)),
        (None, Kind::Page) => {
            Err(pages::message(Chrome::of(&v), StatusCode::NOT_FOUND, Problem::NotFound, "").into())
        }
        (None, Kind::Api) => Err(say(StatusCode::NOT_FOUND, M::ErrNoBatch, &[]).into()),
    }
}

type Fields = Form<Vec<(String, String)>>;

pub(crate) async fn reconcile(
    State(app): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Fields,
) -> Response {
    either(
        async {
            let (v, u) = step_of(&app, &headers, &id, &form, |_| true)?;
            sent(&app, &u)?;
            let Some(send) = app.send.clone() else {
                return Err(say(StatusCode::SERVICE_UNAVAILABLE, M::ErrNoTokenBooks, &[]).into());
            };
            let ledger_batch = {
                let mut readings = app.books.readings();
                // Again under the lock a send is claimed under (see
                // `Books::unless_reading`): a send begun since is seen.
                let now = app.store().upload(&u.id).map_err(internal)?;
                let ledger_batch = match now {
                    Some(now) => sent(&app, &now)?,
                    None => return Err(say(StatusCode::NOT_FOUND, M::ErrNoBatch, &[]).into()),
                };
                if matches!(readings.get(&u.id), Some(Reading::Working { .. })) {
                    return Err(say(StatusCode::CONFLICT, M::ErrBooksReading, &[]).into());
                }
                readings.insert(
                    u.id.clone(),
                    Reading::Working {
                        by: v.name.clone(),
                        at_ms: crate::clock::now_ms(),
                    },
                );
                ledger_batch
            };
            let remote = app.remote(peer, &headers);
            let detail = format!("ledger batch {ledger_batch}");
            if let Err(r) = app.audit(
                Some(&v.name),
                Action::Reconcile,
                &remote,
                Some(&u.id),
                Some(detail),
            ) {
                app.books.readings().remove(&u.id);
                return Err(r);
            }
            let req = ReconcileRequest {
                state: app.state.clone(),
                pick: crate::commands::Pick {
                    id: Some(ledger_batch),
                    input: None,
                },
                send,
                out: Some(Written::Reconciliation.path(&app, &u)),
                metrics_file: None,
            };
            // `reconcile` holds its ledger across awaits, as `run` does: on a
            // blocking thread of this runtime (see `send`).
            let (app2, id2, by) = (app.clone(), u.id.clone(), v.name.clone());
            tokio::task::spawn_blocking(move || {
                tokio::runtime::Handle::current().block_on(reading(app2, id2, by, req))
            });
            Ok(Redirect::to(&format!("/batches/{}/reconcile", u.id)).into_response())
        }
        .await,
    )
}

/// The background reading: its result replaces the `Working` mark.
async fn reading(app: Shared, id: String, by: String, req: ReconcileRequest) {
    let ran = crate::commands::reconcile::reconcile(req, crate::send::Stop::new()).await;
    let at_ms = crate::clock::now_ms();
    let r = match ran {
        Ok(found) => {
            tracing::info!("console batch {id}: {}", found.one_line());
            Reading::Done {
                by,
                at_ms,
                found: Arc::new(found),
            }
        }
        Err(e) => {
            tracing::warn!("console batch {id}: reading the books back failed: {e:#}");
            Reading::Failed {
                by,
                at_ms,
                why: format!("{e:#}"),
            }
        }
    };
    app.books.readings().insert(id, r);
}

/// What a finding means and what to do, as messages.
fn explained(f: Finding) -> (M, M) {
    match f {
        Finding::Matched => (M::FindMatched, M::FindMatchedNext),
        Finding::Settled => (M::FindSettled, M::FindSettledNext),
        Finding::RejectedLater => (M::FindRejectedLater, M::FindRejectedLaterNext),
        Finding::MissingAtMp => (M::FindMissingAtMp, M::FindMissingAtMpNext),
        Finding::AmountDiffers => (M::FindAmountDiffers, M::FindAmountDiffersNext),
        Finding::OutsideRefund => (M::FindOutsideRefund, M::FindOutsideRefundNext),
        Finding::UnknownOutcomeFound => {
            (M::FindUnknownOutcomeFound, M::FindUnknownOutcomeFoundNext)
        }
        Finding::NoRefund => (M::FindNoRefund, M::FindNoRefundNext),
        Finding::InDoubt => (M::FindInDoubt, M::FindInDoubtNext),
        Finding::Unreadable => (M::FindUnreadable, M::FindUnreadableNext),
    }
}

fn explained_report(f: ReportFinding) -> (M, M) {
    match f {
        ReportFinding::Matched => (M::RepMatched, M::RepMatchedNext),
        ReportFinding::MatchedAmbiguous => (M::RepMatchedAmbiguous, M::RepMatchedAmbiguousNext),
        ReportFinding::AmountDiffers => (M::RepAmountDiffers, M::RepAmountDiffersNext),
        ReportFinding::MissingInReport => (M::RepMissingInReport, M::RepMissingInReportNext),
        ReportFinding::NotInBatch => (M::RepNotInBatch, M::RepNotInBatchNext),
        ReportFinding::ChargebackOnRefundedPayment => (M::RepChargeback, M::RepChargebackNext),
        ReportFinding::OutOfPeriod => (M::RepOutOfPeriod, M::RepOutOfPeriodNext),
        ReportFinding::ReserveForRefund => (M::RepReserve, M::RepReserveNext),
    }
}

/// One finding as a page shows it: its count, money, meaning, first lines.
struct Shown<L> {
    code: &'static str,
    agrees: bool,
    count: u64,
    /// Per currency, in the page's language.
    money: Vec<String>,
    meaning: &'static str,
    next: &'static str,
    lines: Vec<L>,
}

/// A line of the reconciliation, in the page's words.
struct ApiLine {
    row: String,
    payment: String,
    refund: String,
    ours: String,
    theirs: String,
    status: String,
}

fn money(w: &Words, currency: &str, a: Option<rust_decimal::Decimal>) -> String {
    a.map(|a| w.money(currency, a)).unwrap_or_default()
}

fn api_findings(found: &Reconciled) -> Vec<Shown<ApiLine>> {
    let w = words();
    Finding::iter()
        .filter_map(|f| {
            let count = &found.counts.get(&f)?.rows;
            let (meaning, next) = explained(f);
            let lines = found.sample.of(&f);
            Some(Shown {
                code: f.as_str(),
                agrees: f.agrees(),
                count: *count,
                money: found
                    .money
                    .get(&f)
                    .map(|m| m.iter().map(|(c, a)| w.money(c, *a)).collect())
                    .unwrap_or_default(),
                meaning: w.t(meaning),
                next: w.t(next),
                lines: lines
                    .iter()
                    .map(|n| ApiLine {
                        row: n.row.map(|r| r.to_string()).unwrap_or_default(),
                        payment: n.payment.to_string(),
                        refund: n.refund_id.clone().unwrap_or_default(),
                        ours: money(&w, &n.currency, n.state_amount),
                        theirs: money(&w, &n.currency, n.mp_amount),
                        status: n
                            .mp_status
                            .as_ref()
                            .map(|s| s.as_str().to_owned())
                            .unwrap_or_default(),
                    })
                    .collect(),
            })
        })
        .collect()
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
#[template(path = "reconcile.html", config = "src/console/askama.toml")]
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

pub(crate) async fn page(
    State(app): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let (v, u) = match viewed(&app, &headers, &id, Kind::Page) {
        Ok(found) => found,
        Err(r) => return r.answer(),
    };
    let w = words();
    let reading = app.books.readings().get(&u.id).cloned();
    let (mut working, mut failed, mut done) = (None, None, None);
    match reading {
        Some(Reading::Working { by, at_ms }) => working = Some((by, w.date(at_ms))),
        Some(Reading::Failed { by, at_ms, why }) => {
            failed = Some((by, w.date(at_ms), upload::said_text(&why, &app, &u)));
        }
        Some(Reading::Done { by, at_ms, found }) => {
            done = Some(DoneView {
                by,
                at: w.date(at_ms),
                agrees: found.stopped.is_none() && found.counts.keys().all(|f| f.agrees()),
                stopped: found.stopped.as_ref().map(|r| r.to_string()),
                updated: found.updated,
                findings: api_findings(&found),
            });
        }
        None => {}
    }
    render(
        &ReconcilePage {
            chrome: Chrome::of(&v),
            may_read: sent(&app, &u).is_ok() && working.is_none(),
            download: Written::Reconciliation.path(&app, &u).is_file(),
            upload: u,
            working,
            failed,
            done,
            max_mib: upload::MAX_FILE_BYTES >> 20,
        },
        StatusCode::OK,
    )
}

/// A CSV the engine writes beside a batch's stored upload, downloaded as is.
#[derive(Clone, Copy)]
enum Written {
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
        crate::paths::beside(&upload::stored_path(app, &u.stored_name), self.sheet())
    }
}

/// `GET /batches/{id}/reconcile.csv`: the reconciliation as `reconcile` wrote
/// it (the one sheet writer: the batch's dialect, formula cells neutralised).
pub(crate) async fn csv(
    State(app): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    either(download(&app, peer, &headers, &id, Written::Reconciliation).await)
}

/// `GET /batches/{id}/report.csv`: the matching of the last report, as
/// `reconcile --report`'s function wrote it (the same sheet writer).
pub(crate) async fn report_csv(
    State(app): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    either(download(&app, peer, &headers, &id, Written::ReportMatch).await)
}

/// `which` of batch `id`, audited; 404 when the engine has not written it.
async fn download(
    app: &Shared,
    peer: SocketAddr,
    headers: &HeaderMap,
    id: &str,
    which: Written,
) -> Result<Response, Early> {
    let (v, u) = viewed(app, headers, id, Kind::Api)?;
    let body = match tokio::fs::read(which.path(app, &u)).await {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(say(StatusCode::NOT_FOUND, which.missing(), &[]).into());
        }
        Err(e) => return Err(internal(e.into()).into()),
    };
    let remote = app.remote(peer, headers);
    app.audit(Some(&v.name), which.action(), &remote, Some(&u.id), None)?;
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

pub(crate) async fn report(
    State(app): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(id): Path<String>,
    multipart: Multipart,
) -> Response {
    either(matching(&app, peer, &headers, &id, multipart).await)
}

async fn matching(
    app: &Shared,
    peer: SocketAddr,
    headers: &HeaderMap,
    id: &str,
    mut multipart: Multipart,
) -> Result<Response, Early> {
    let (v, u) = viewed(app, headers, id, Kind::Api)?;
    let remote = app.remote(peer, headers);
    let mut csrf_ok = auth::csrf_matches(&v.csrf, auth::csrf_header(headers));
    let mut kept: Option<(std::path::PathBuf, String, String)> = None;
    while let Some(mut field) = multipart.next_field().await.map_err(upload::refused_body)? {
        match field.name() {
            Some("csrf") => {
                let token = field.text().await.map_err(upload::refused_body)?;
                csrf_ok |= auth::csrf_matches(&v.csrf, Some(&token));
            }
            Some("file") if kept.is_none() => {
                // The token and the batch's state before a byte is kept.
                if !csrf_ok {
                    return Err(Refusal::Csrf.into());
                }
                let ledger_batch = sent(app, &u)?;
                let name = upload::shown_name(field.file_name());
                let dir = app.store().uploads_dir().join("reports");
                match upload::store_file(&dir, &mut field).await? {
                    Ok(s) => kept = Some((dir.join(s.stored_name), name, ledger_batch)),
                    Err(problem) => {
                        let what = format!("{name}: not a CSV file");
                        return Err(refuse(app, &v, &remote, &u, problem, what, "").into());
                    }
                }
            }
            _ => {}
        }
    }
    if !csrf_ok {
        return Err(Refusal::Csrf.into());
    }
    let Some((stored, name, ledger_batch)) = kept else {
        return Err(pages::message(
            Chrome::of(&v),
            StatusCode::UNPROCESSABLE_ENTITY,
            Problem::NoFile,
            "",
        )
        .into());
    };
    // The account's currency, which a batch without a currency column is in:
    // a report line in another is none of its refunds.
    let plan = upload::plan_of(app, &u)
        .await
        .map_err(|e| internal(e.context("the batch's plan")))?;
    let currency = super::covered::account_for(app, &u.id, &plan).await;
    let req = MatchRequest {
        currency,
        state: app.state.clone(),
        pick: crate::commands::Pick {
            id: Some(ledger_batch),
            input: None,
        },
        reports: vec![stored.clone()],
        out: Some(Written::ReportMatch.path(app, &u)),
        window_days: crate::commands::statements::DEFAULT_WINDOW_DAYS,
        period: None,
    };
    let matched =
        tokio::task::spawn_blocking(move || crate::commands::statements::match_reports(req))
            .await
            .map_err(|e| internal(e.into()))?;
    let matched = match matched {
        Ok(m) => m,
        Err(e) => {
            let _ = tokio::fs::remove_file(&stored).await;
            let why = format!("{e:#}").replace(&stored.display().to_string(), &name);
            let what = format!("{name}: {why}");
            return Err(refuse(app, &v, &remote, &u, Problem::NotAReport, what, &why).into());
        }
    };
    let counts: Vec<String> = ReportFinding::iter()
        .filter_map(|f| {
            matched
                .counts
                .get(&f)
                .map(|n| format!("{} {n}", f.as_str()))
        })
        .collect();
    app.audit(
        Some(&v.name),
        Action::Report,
        &remote,
        Some(&u.id),
        Some(format!("{name}: {}", counts.join(", "))),
    )?;
    app.books.reports().insert(
        u.id.clone(),
        Arc::new(Reported {
            name,
            by: v.name.clone(),
            at_ms: crate::clock::now_ms(),
            matched,
        }),
    );
    Ok(Redirect::to(&format!("/batches/{}/report", u.id)).into_response())
}

/// A report refused for what the file is: audited, and the page says what to do.
fn refuse(
    app: &App,
    v: &Viewer,
    remote: &str,
    u: &Upload,
    problem: Problem,
    what: String,
    detail: &str,
) -> Response {
    if let Err(r) = app.audit(
        Some(&v.name),
        Action::ReportRefused,
        remote,
        Some(&u.id),
        Some(what),
    ) {
        return r.answer();
    }
    pages::message(
        Chrome::of(v),
        StatusCode::UNPROCESSABLE_ENTITY,
        problem,
        detail,
    )
}

/// A line of the matching, in the page's words.
struct ReportLine {
    line: String,
    kind: String,
    payment: String,
    theirs: String,
    refund: String,
    row: String,
    ours: String,
}

/// Money of one currency: per the batch (refunds), per the report (lines).
struct Sides {
    currency: String,
    batch: String,
    refunds: u64,
    report: String,
    lines: u64,
}

struct ReportView {
    name: String,
    by: String,
    at: String,
    agrees: bool,
    period: Option<(String, String)>,
    outside: bool,
    money: Vec<Sides>,
    findings: Vec<Shown<ReportLine>>,
}

fn report_view(r: &Reported) -> ReportView {
    let w = words();
    let m = &r.matched;
    let findings = ReportFinding::iter()
        .filter_map(|f| {
            let count = *m.counts.get(&f)?;
            let (meaning, next) = explained_report(f);
            let lines = m.sample.of(&f);
            Some(Shown {
                code: f.as_str(),
                agrees: !f.disagrees(),
                count,
                money: Vec::new(),
                meaning: w.t(meaning),
                next: w.t(next),
                lines: lines
                    .iter()
                    .map(|n| ReportLine {
                        line: n.report_line.map(|l| l.to_string()).unwrap_or_default(),
                        kind: n.report_type.clone(),
                        payment: n.payment.to_string(),
                        theirs: money(&w, &n.currency, n.report_amount),
                        refund: n.refund_id.clone().unwrap_or_default(),
                        row: n.row.map(|r| r.to_string()).unwrap_or_default(),
                        ours: money(&w, &n.currency, n.state_amount),
                    })
                    .collect(),
            })
        })
        .collect();
    ReportView {
        name: r.name.clone(),
        by: r.by.clone(),
        at: w.date(r.at_ms),
        agrees: m.outside.is_none() && !m.counts.keys().any(|f| f.disagrees()),
        period: m.period.map(|(from, to)| (w.date(from), w.date(to))),
        outside: m.outside.is_some(),
        money: m
            .money
            .iter()
            .map(|(c, s)| Sides {
                currency: c.clone(),
                batch: w.money(c, s.state.sum),
                refunds: s.state.rows,
                report: w.money(c, s.report.sum),
                lines: s.report.rows,
            })
            .collect(),
        findings,
    }
}

#[derive(Template)]
#[template(path = "report.html", config = "src/console/askama.toml")]
struct ReportPage {
    chrome: Chrome,
    upload: Upload,
    may_read: bool,
    max_mib: u64,
    report: Option<ReportView>,
    /// A matching is on disk to download (it outlives this process's page).
    download: bool,
}

pub(crate) async fn report_page(
    State(app): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let (v, u) = match viewed(&app, &headers, &id, Kind::Page) {
        Ok(found) => found,
        Err(r) => return r.answer(),
    };
    let report = app.books.reports().get(&u.id).cloned();
    render(
        &ReportPage {
            chrome: Chrome::of(&v),
            may_read: sent(&app, &u).is_ok(),
            max_mib: upload::MAX_FILE_BYTES >> 20,
            report: report.as_deref().map(report_view),
            download: Written::ReportMatch.path(&app, &u).is_file(),
            upload: u,
        },
        StatusCode::OK,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every finding has its own words: a new one cannot be left unexplained.
    #[test]
    fn every_finding_is_explained_apart() {
        let mut seen: Vec<M> = Vec::new();
        let pairs = Finding::iter()
            .map(explained)
            .chain(ReportFinding::iter().map(explained_report));
        for (what, next) in pairs {
            assert!(!seen.contains(&what), "{what:?} twice");
            assert_ne!(what, next);
            seen.push(what);
        }
    }
}
