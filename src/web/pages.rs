//! The console's pages: each a template compiled into the binary (askama, which
//! escapes every value it writes into HTML), filled from what the engine
//! reports — a batch's page is the `plan` command's report, not a copy of its
//! logic.
//!
//! Invariant: every piece of text a person reads is in the templates
//! (`src/web/templates/`), so they can be translated; the code here passes
//! data, numbers and the engine's own messages.

use std::collections::HashMap;

use askama::Template;
use axum::Json;
use axum::extract::{FromRequestParts, Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::app::Shared;
use super::error::AppError;
use super::extract::{Account, Api, Page, Viewer, find};
#[allow(unused_imports)] // the templates name the messages
use super::i18n::{M, Words, rows};
use super::store::{BatchState, Upload};
use super::view::{Chrome, Problem, message, render, state_message};
use crate::domain::Outcome;
use crate::domain::totals;
use crate::ops::plan::PlanReport;

/// One row of the uploads list.
struct Listed {
    id: String,
    name: String,
    by: String,
    at: String,
    state: &'static str,
}

#[derive(Template)]
#[template(path = "home.html", config = "src/web/askama.toml")]
struct HomePage {
    chrome: Chrome,
    may_upload: bool,
    max_mib: u64,
    uploads: Vec<Listed>,
}

/// `GET /`: the latest uploads, and the upload form.
pub(crate) async fn home(State(app): State<Shared>, v: Viewer) -> Result<Response, AppError> {
    let w = v.words;
    let now = crate::domain::clock::now_ms();
    let uploads = app.store().uploads(50)?;
    let uploads = uploads
        .into_iter()
        .map(|u| Listed {
            at: w.date(u.uploaded_at_ms),
            state: w.t(state_message(super::review::effective(
                &u,
                now,
                app.approval_days,
            ))),
            id: u.id,
            name: u.original_name,
            by: u.uploaded_by,
        })
        .collect();
    let page = HomePage {
        chrome: v.chrome(),
        may_upload: v.role.may_upload(),
        max_mib: super::upload::MAX_FILE_BYTES >> 20,
        uploads,
    };
    Ok(render(&page, StatusCode::OK))
}

/// Any other path: a page of the console saying so to someone logged in.
pub(crate) async fn not_found(v: Result<Viewer, AppError>) -> Result<Response, AppError> {
    let Ok(v) = v else {
        return Err(AppError::said(StatusCode::NOT_FOUND, M::ErrNotFound, &[]));
    };
    Ok(message(
        v.chrome(),
        StatusCode::NOT_FOUND,
        Problem::NotFound,
        "",
    ))
}

/// Money of one currency in a plan.
struct Money {
    /// As the JSON gives it: the code, or `(no currency)`.
    currency: String,
    /// As the page shows it: the code, or "no currency" in the page's language.
    currency_shown: String,
    partial: u64,
    /// The sum as the JSON gives it (`1234.50`).
    sum: String,
    /// The sum in the request's language (`R$ 1.234,50`).
    shown: String,
    full: u64,
}

/// A plan, as the batch page and its JSON show it.
struct PlanView {
    delimiter: String,
    encoding: &'static str,
    columns: usize,
    /// (what, `column N "header"` or nothing).
    taken: Vec<(&'static str, Option<(usize, String)>)>,
    rows: u64,
    valid: u64,
    invalid: u64,
    blank: u64,
    money: Vec<Money>,
    problems: Vec<(u64, String)>,
    /// (line, payment, what the earlier batch did).
    prior: Vec<(u64, String, String)>,
    /// Rows an earlier batch refunded, or may have (each once).
    already: usize,
    /// Which earlier batches, how many rows each, when.
    repeat: super::repeat::Repeat,
}

impl PlanView {
    /// `names`: the file name of each ledger batch the console sent.
    fn of(p: &PlanReport, u: &Upload, w: Words, names: &HashMap<String, String>) -> PlanView {
        let money = p
            .totals
            .per
            .iter()
            .map(|(c, t)| Money {
                currency: totals::name(*c),
                currency_shown: c
                    .map_or_else(|| w.t(M::NoCurrencyName).to_owned(), |c| c.to_string()),
                partial: t.partial,
                sum: t.sum_text(*c),
                shown: match t.sum {
                    Ok(sum) => w.amount(*c, sum),
                    Err(_) => t.sum_text(*c),
                },
                full: t.full,
            })
            .collect();
        PlanView {
            delimiter: rows::delimiter(&w, p.summary.delimiter),
            encoding: rows::encoding(&w, p.summary.windows_1252, p.summary.bom),
            columns: p.columns,
            rows: p.summary.rows,
            valid: p.summary.valid,
            invalid: p.summary.invalid,
            blank: p.summary.blank_skipped,
            money,
            prior: super::repeat::listed(p, u, names, w),
            already: super::repeat::rows(p, u),
            repeat: super::repeat::Repeat::of(p, u, names, w),
            taken: p
                .taken
                .iter()
                .map(|(role, cell)| (rows::role(&w, *role), cell.clone()))
                .collect(),
            problems: p
                .problems
                .iter()
                .map(|(line, f)| (*line, rows::findings(&w, f)))
                .collect(),
        }
    }
}

/// The money the typed total must cover, as the batch page shows it.
struct CoverView {
    /// (read, of) while the `full` rows' payments are being read.
    reading: Option<(u64, u64)>,
    /// The total to type, once known: `501.00:BRL`, `1.00:BRL+2full` (the
    /// JSON's, for scripts).
    to_type: Option<String>,
    /// The same as a person types it in the page's language: `R$ 501,00`.
    to_type_shown: Option<String>,
    /// `full` rows whose payment was read: their balance is in the total.
    read: bool,
    /// `full` rows named apart (unread).
    unread: u64,
    /// The account's currency, shown when the file has no currency column.
    account: Option<String>,
}

impl CoverView {
    /// Nothing before and after four eyes; reads nothing but the `full` rows'
    /// payments (a page view remembers nothing in the state file).
    fn of(app: &Shared, id: &str, p: &PlanReport, flow: &Flow, w: Words) -> CoverView {
        if !matches!(flow.state, BatchState::Uploaded | BatchState::Submitted) {
            return CoverView {
                reading: None,
                to_type: None,
                to_type_shown: None,
                read: false,
                unread: 0,
                account: None,
            };
        }
        let none = p.totals.per.contains_key(&None);
        let found = if super::reading::needs_reading(app, p, false) {
            let r = super::reading::start(app, id, p, false);
            match r.found() {
                Some(c) => Ok(c),
                None => Err(super::covered::progress(&r)),
            }
        } else {
            let account = app.covers.account(&app.state);
            let empty = Default::default();
            Ok(std::sync::Arc::new(super::covered::covered(
                &p.totals,
                &p.full_rows,
                &empty,
                account,
            )))
        };
        match found {
            Err(progress) => CoverView {
                reading: Some(progress),
                to_type: None,
                to_type_shown: None,
                read: false,
                unread: 0,
                account: None,
            },
            Ok(c) => CoverView {
                reading: None,
                to_type: Some(
                    c.to_type()
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(" "),
                ),
                to_type_shown: Some(
                    c.to_type()
                        .iter()
                        .map(|g| w.typed_total(g))
                        .collect::<Vec<_>>()
                        .join(" · "),
                ),
                read: (p.full_rows.len() as u64) > c.unread.len() as u64,
                unread: c.unread_rows(),
                account: c.account.filter(|_| none).map(|c| c.to_string()),
            },
        }
    }
}

/// Where the batch is in four eyes and sending, and what the viewer may do.
struct Flow {
    id: String,
    /// The state now (an unapproved batch past its window reads `expired`).
    state: BatchState,
    /// That state in the request's language.
    label: &'static str,
    submitted_by: Option<String>,
    submitted_at: Option<String>,
    /// The totals the submitter typed, as stored.
    expect_total: Option<String>,
    /// Those totals in the request's language.
    expect_total_shown: Option<String>,
    decided_by: Option<String>,
    decided_at: Option<String>,
    reason: Option<String>,
    ledger_batch: Option<String>,
    may_submit: bool,
    may_decide: bool,
    may_send: bool,
    may_stop: bool,
    /// Sent (or being sent): its rows' results can be read.
    has_results: bool,
    approval_days: u32,
}

impl Flow {
    fn of(u: &Upload, v: &Account, approval_days: u32) -> Flow {
        let state = super::review::effective(u, crate::domain::clock::now_ms(), approval_days);
        let r = u.review.as_ref();
        let w = v.words;
        let own = r.is_some_and(|r| r.submitted_by == v.name);
        Flow {
            id: u.id.clone(),
            state,
            label: w.t(state_message(state)),
            submitted_by: r.map(|r| r.submitted_by.clone()),
            submitted_at: r.map(|r| w.date(r.submitted_at_ms)),
            expect_total: r.map(|r| r.expect_total.clone()),
            expect_total_shown: r.map(|r| w.stored_total(&r.expect_total)),
            decided_by: r.and_then(|r| r.decided_by.clone()),
            decided_at: r.and_then(|r| r.decided_at_ms.map(|ms| w.date(ms))),
            reason: r.and_then(|r| r.reason.clone()),
            ledger_batch: r.and_then(|r| r.ledger_batch.clone()),
            may_submit: state == BatchState::Uploaded && v.role.may_upload(),
            may_decide: state == BatchState::Submitted && v.role.may_approve() && !own,
            may_send: matches!(state, BatchState::Approved | BatchState::Stopped),
            may_stop: state == BatchState::Sending,
            has_results: super::results::has_results(state)
                && r.is_some_and(|r| r.ledger_batch.is_some()),
            approval_days,
        }
    }

    fn is(&self, state: BatchState) -> bool {
        self.state == state
    }
}

#[derive(Template)]
#[template(path = "batch.html", config = "src/web/askama.toml")]
struct BatchPage {
    chrome: Chrome,
    upload: Upload,
    uploaded_at: String,
    state: &'static str,
    plan: PlanView,
    cover: CoverView,
    flow: Flow,
    /// The first rows with an answer (a canary's), once sending began.
    answered: Vec<super::send::Answered>,
    answered_shown: u32,
    /// Rows done of the rows to send, money refunded, causes: rendered here,
    /// so the page says it without script (and says it once sending ended);
    /// while sending, the page's script moves them from the progress events.
    progress: Option<super::send::Figures>,
    /// Once sent: what became of its rows and money, and why.
    summary: Option<super::summary::Summary>,
    /// What the step that led here did, said once.
    said: Option<&'static str>,
}

/// `GET /batches/{id}` (the page) and `GET /batches/{id}.json`: the route
/// takes both, the kind of answer by the path.
pub(crate) async fn batch(
    State(app): State<Shared>,
    Path(id): Path<String>,
    req: Request,
) -> Result<Response, AppError> {
    let (mut parts, _) = req.into_parts();
    match id.strip_suffix(".json") {
        Some(id) => {
            let v = Viewer::<Api>::from_request_parts(&mut parts, &app).await?;
            batch_json(&app, &v, id).await
        }
        None => {
            let v = Viewer::<Page>::from_request_parts(&mut parts, &app).await?;
            let said = super::view::Said::parse(parts.uri.query());
            batch_page(&app, &v, &id, said).await
        }
    }
}

/// The batch's plan, or the page saying why there is none.
async fn plan_or_page(
    app: &Shared,
    v: &Account,
    u: &Upload,
) -> Result<std::sync::Arc<PlanReport>, AppError> {
    let refused =
        |status, problem, why: &str| AppError::answer(message(v.chrome(), status, problem, why));
    if !super::upload::stored_path(app, &u.stored_name).exists() {
        return Err(refused(StatusCode::GONE, Problem::Removed, ""));
    }
    super::upload::plan_of(app, u).await.map_err(|e| {
        let why = super::upload::said(&e, app, u);
        refused(StatusCode::UNPROCESSABLE_ENTITY, Problem::Unreadable, &why)
    })
}

/// What a batch's page and its JSON both show: where it stands, the money
/// its total must cover, and its plan in the viewer's words.
async fn views_of(
    app: &Shared,
    v: &Account,
    upload: &Upload,
) -> Result<(Flow, CoverView, PlanView), AppError> {
    let plan = plan_or_page(app, v, upload).await?;
    let flow = Flow::of(upload, v, app.approval_days);
    let cover = CoverView::of(app, &upload.id, &plan, &flow, v.words);
    let names = super::repeat::names(app, &plan, upload)?;
    let plan = PlanView::of(&plan, upload, v.words, &names);
    Ok((flow, cover, plan))
}

async fn batch_json(app: &Shared, v: &Account, id: &str) -> Result<Response, AppError> {
    let Some(upload) = find(app, id)? else {
        let body = serde_json::json!({ "error": "no such batch" });
        return Ok((StatusCode::NOT_FOUND, Json(body)).into_response());
    };
    let (flow, cover, plan) = views_of(app, v, &upload).await?;
    let counts = match &flow.ledger_batch {
        Some(b) => {
            let figures = super::send::figures_of(app, &upload.id, b, flow.state);
            Some(figures.await?.counts)
        }
        None => None,
    };
    let mut j = json_of(&upload, &plan, &flow, counts);
    j["to_type"] = serde_json::json!(cover.to_type);
    j["full_unread"] = serde_json::json!(cover.unread);
    j["reading"] = serde_json::json!(cover.reading);
    Ok(Json(j).into_response())
}

async fn batch_page(
    app: &Shared,
    v: &Account,
    id: &str,
    said: Option<super::view::Said>,
) -> Result<Response, AppError> {
    let Some(upload) = find(app, id)? else {
        let chrome = v.chrome();
        return Ok(message(
            chrome,
            StatusCode::NOT_FOUND,
            Problem::NotFound,
            "",
        ));
    };
    let (flow, cover, plan) = views_of(app, v, &upload).await?;
    let answered = match &flow.ledger_batch {
        Some(b) if !flow.may_decide && !flow.is(BatchState::Approved) => {
            let (path, b) = (app.state.clone(), b.clone());
            tokio::task::spawn_blocking(move || super::send::answered(&path, &b))
                .await
                .map_err(anyhow::Error::from)??
        }
        _ => Vec::new(),
    };
    let progress = if flow.has_results {
        let now = std::time::Instant::now();
        Some(super::send::figures(app, &upload.id, None, now, v.words).await?)
    } else {
        None
    };
    let summary = match flow.ledger_batch.as_deref().filter(|_| flow.has_results) {
        Some(b) => Some(super::summary::of(app, b, v.words).await?),
        None => None,
    };
    let page = BatchPage {
        chrome: v.chrome(),
        uploaded_at: v.words.date(upload.uploaded_at_ms),
        state: flow.label,
        upload,
        plan,
        cover,
        flow,
        answered,
        answered_shown: super::send::ANSWERED_SHOWN,
        progress,
        summary,
        said: said.map(|s| v.words.t(s.message())),
    };
    Ok(render(&page, StatusCode::OK))
}

fn json_of(
    u: &Upload,
    p: &PlanView,
    f: &Flow,
    counts: Option<std::collections::BTreeMap<Outcome, u64>>,
) -> serde_json::Value {
    let counts: std::collections::BTreeMap<&str, u64> = counts
        .unwrap_or_default()
        .into_iter()
        .map(|(o, n)| (o.as_str(), n))
        .collect();
    let money: Vec<_> = p
        .money
        .iter()
        .map(|m| {
            serde_json::json!({
                "currency": m.currency,
                "rows": m.partial,
                "sum": m.sum,
                "full_refunds": m.full,
            })
        })
        .collect();
    serde_json::json!({
        "id": u.id,
        "state": f.state.as_str(),
        "submitted_by": f.submitted_by,
        "submitted_at": f.submitted_at,
        "expect_total": f.expect_total,
        "approved_by": f.decided_by.as_ref().filter(|_| f.reason.is_none()),
        "rejected_by": f.decided_by.as_ref().filter(|_| f.reason.is_some()),
        "decided_at": f.decided_at,
        "reason": f.reason,
        "ledger_batch": f.ledger_batch,
        "counts": counts,
        "file": u.original_name,
        "uploaded_by": u.uploaded_by,
        "uploaded_at": crate::domain::clock::rfc3339(u.uploaded_at_ms),
        "skip_invalid": u.skip_invalid,
        "rows": p.rows,
        "valid": p.valid,
        "invalid": p.invalid,
        "already_refunded": p.already,
        "money": money,
    })
}

#[derive(Template)]
#[template(path = "causes.html", config = "src/web/askama.toml")]
struct CausesPage {
    chrome: Chrome,
}

/// `GET /causes`: every cause code a row may carry, with what it means and what
/// to do next, in the request's language.
pub(crate) async fn causes(v: Viewer) -> Response {
    render(&CausesPage { chrome: v.chrome() }, StatusCode::OK)
}
