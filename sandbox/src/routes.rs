//! HTTP surface of the sandbox: the Mercado Pago endpoints, the `/__sandbox` admin
//! view, the error body shapes, and where each fault strikes in a request's life.
//!
//! A refund POST goes: token → idempotency key → claim the key (replay, 409, 423 or
//! reserve) → injected latency → pre-commit faults (failing payment, 500, 429) →
//! rules and commit → post-commit faults (cut connection, HTML 502). The lock is
//! taken for each arrow that touches state, never across an await; a reservation
//! that ends without a refund (error, fault, or the client going away mid-latency)
//! is released, so only successful creations are ever replayed.
//!
//! Only the API routes count in the stats; the admin view does not.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Path, Request, State as AxState};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use time::OffsetDateTime;

use super::admin;
use super::conn::ConnTag;
use super::order_routes;
use super::state::{
    ApiError, Claim, Payment, PostCommitFault, RefundJson, RefundRequest, State, Style, Which,
    error_response, format_date, html_502, json_response, json_value, read_request,
};
use crate::Kind;

/// Everything the handlers share.
pub(crate) struct Shared {
    state: Mutex<State>,
    /// Render every error with string-typed `status` and `code`.
    string_codes: bool,
    /// Closed (`false`), refund requests wait once their key is reserved, counted in
    /// flight, until it opens: tests hold a run mid-request on an event instead of
    /// on a timing.
    pub(crate) gate: tokio::sync::watch::Sender<bool>,
    /// Refund requests received and not yet decided, whether or not their
    /// client still waits: what a read-back must let finish first.
    pub(crate) processing: std::sync::atomic::AtomicUsize,
    /// Connections accepted and not yet closed.
    pub(crate) open: Arc<std::sync::atomic::AtomicUsize>,
}

pub(crate) type App = Arc<Shared>;

impl Shared {
    pub(crate) fn new(state: State, string_codes: bool) -> App {
        Arc::new(Shared {
            state: Mutex::new(state),
            string_codes,
            gate: tokio::sync::watch::Sender::new(true),
            processing: std::sync::atomic::AtomicUsize::new(0),
            open: Arc::default(),
        })
    }

    /// A panic elsewhere must not take the sandbox down with it: the state stays
    /// consistent between calls, so a poisoned lock is still usable.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn string_style(&self) -> Style {
        if self.string_codes {
            Style::Strings
        } else {
            Style::Numbers
        }
    }

    fn style(&self, kind: Kind) -> Style {
        if self.string_codes || kind == Kind::AdvancedPayment {
            Style::Strings
        } else {
            Style::Numbers
        }
    }
}

/// Marks a response whose connection was cut, for the request counters.
#[derive(Clone, Copy)]
struct CutMarker;

pub(crate) fn router(app: App) -> Router {
    let api = Router::new()
        .route(
            "/v1/payments/{id}/refunds",
            post(post_refund).get(list_refunds),
        )
        .route("/v1/payments/{id}/refunds/{refund_id}", get(get_refund))
        .route("/v1/payments/{id}", get(get_payment))
        .route("/v1/advanced_payments/{id}/refunds", post(post_refund))
        .route("/v1/orders/{id}/refund", post(order_routes::post_refund))
        .route("/v1/orders/{id}", get(order_routes::get_order))
        .route("/v1/account/{report}", post(create_report))
        .route("/v1/account/{report}/list", get(list_reports))
        .route("/v1/account/{report}/{file}", get(download_report))
        .route_layer(middleware::from_fn_with_state(app.clone(), track));
    let admin = Router::new()
        .route("/__sandbox/refunds", get(admin::admin_refunds))
        .route(
            "/__sandbox/stats",
            get(admin::admin_stats).delete(admin::admin_reset_stats),
        )
        .route("/__sandbox/payments", post(admin::admin_payments))
        .route(
            "/__sandbox/faults",
            get(admin::admin_get_faults)
                .post(admin::admin_set_faults)
                .delete(admin::admin_clear_faults),
        )
        .route(
            "/__sandbox/fail/{payment_id}",
            post(admin::admin_fail).delete(admin::admin_heal),
        )
        .route("/__sandbox/settle", post(admin::admin_settle))
        .route("/__sandbox/reports", post(admin::admin_reports))
        .route(
            "/__sandbox/manual_refund/{payment_id}",
            post(admin::admin_manual_refund),
        )
        .route(
            "/__sandbox/refunds/{refund_id}",
            post(admin::admin_change_refund),
        )
        .route("/__sandbox/order_refunds", get(order_routes::admin_refunds))
        .route("/__sandbox/orders", post(order_routes::admin_orders))
        .route(
            "/__sandbox/manual_order_refund/{order_id}",
            post(order_routes::admin_manual_refund),
        )
        .route(
            "/__sandbox/order_refunds/{refund_id}",
            post(order_routes::admin_change_refund),
        );
    api.merge(admin)
        .fallback(|| async { error_response(&ApiError::ROUTE_NOT_FOUND, Style::Numbers) })
        .with_state(app)
}

/// Counts an API request at arrival (per second, in flight) and at its end (by
/// status). The guard also ends requests whose client went away mid-way.
async fn track(AxState(app): AxState<App>, req: Request, next: Next) -> Response {
    let at = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX));
    let over_limit = {
        let mut st = app.lock();
        st.counters
            .request_started(at, req.method() == axum::http::Method::GET);
        st.settle_due(OffsetDateTime::now_utc());
        let over = st.limit.as_mut().and_then(|l| {
            let token = req
                .headers()
                .get(header::AUTHORIZATION)
                .map_or(&b""[..], |v| v.as_bytes());
            l.admit(&String::from_utf8_lossy(token), at).err()
        });
        if over.is_some() {
            st.counters.rate_limited += 1;
        }
        over
    };
    let mut finish = Finish {
        app: &app,
        status: None,
        cut: false,
    };
    let resp = match over_limit {
        // The account's limit answers before anything else is looked at.
        Some(retry_after) => {
            error_response(&ApiError::rate_limited(retry_after), app.string_style())
        }
        None => next.run(req).await,
    };
    finish.status = Some(resp.status().as_u16());
    finish.cut = resp.extensions().get::<CutMarker>().is_some();
    drop(finish);
    resp
}

struct Finish<'a> {
    app: &'a App,
    status: Option<u16>,
    cut: bool,
}

impl Drop for Finish<'_> {
    fn drop(&mut self) {
        self.app
            .lock()
            .counters
            .request_finished(self.status, self.cut);
    }
}

pub(crate) fn bearer(headers: &HeaderMap) -> Result<&str, ApiError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or(ApiError::INVALID_TOKEN)?;
    let valid = ["TEST-", "APP_USR-"]
        .iter()
        .any(|p| token.len() > p.len() && token.starts_with(p));
    if valid {
        Ok(token)
    } else {
        Err(ApiError::INVALID_TOKEN)
    }
}

fn header_is_true(headers: &HeaderMap, name: &str) -> bool {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
}

/// `POST /v1/payments/{id}/refunds` and `POST /v1/advanced_payments/{id}/refunds`:
/// one handler, the kind read from the path.
async fn post_refund(
    AxState(app): AxState<App>,
    ConnectInfo(conn): ConnectInfo<ConnTag>,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let kind = if uri.path().starts_with("/v1/advanced_payments/") {
        Kind::AdvancedPayment
    } else {
        Kind::Payment
    };
    let shared = app.clone();
    to_the_end(
        &shared,
        async move { create_refund(&app, &conn, kind, &id, uri.path(), &headers, &body).await },
        || error_response(&ApiError::INTERNAL, Style::Numbers),
    )
    .await
}

/// Runs a refund POST of either API to its end: Mercado Pago finishes what
/// it received whether or not its client waits for the answer — a request
/// given up (a timeout, a signal's grace over) still commits, and its key
/// stays busy (423) until it has. `broken` answers for work that panicked.
pub(crate) async fn to_the_end(
    app: &App,
    work: impl Future<Output = Response> + Send + 'static,
    broken: impl FnOnce() -> Response,
) -> Response {
    app.processing
        .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let counted = app.clone();
    let task = tokio::spawn(async move {
        let answer = work.await;
        counted
            .processing
            .fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
        answer
    });
    task.await.unwrap_or_else(|_| broken())
}

/// A refund POST's `X-Idempotency-Key`, when it has one.
pub(crate) fn idempotency_key(headers: &HeaderMap) -> Option<&str> {
    headers
        .get("x-idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|k| !k.is_empty())
}

async fn create_refund(
    app: &App,
    conn: &ConnTag,
    kind: Kind,
    id: &str,
    path: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let style = app.style(kind);
    let fail = |e: ApiError| error_response(&e, style);
    let token = match bearer(headers) {
        Ok(t) => t,
        Err(e) => return fail(e),
    };
    let Some(key) = idempotency_key(headers) else {
        return fail(ApiError::MISSING_KEY);
    };
    let Ok(payment_id) = id.parse::<u64>() else {
        return fail(not_found(kind));
    };
    let scope = format!("{token}\n{key}");
    let (print, ask) = read_request("POST", path, body);
    let post = KeyedPost {
        scope: &scope,
        print: &print,
        payment: Some(payment_id),
    };
    // Read before the state lock is taken: its holder keeps it short.
    let request = ask.map(|ask| RefundRequest {
        kind,
        payment_id,
        ask,
        render_in_process: header_is_true(headers, "x-render-in-process-refunds"),
        idempotency_key: key,
    });
    let commit = |st: &mut State| {
        request.and_then(|r| {
            st.create_refund(&r, OffsetDateTime::now_utc())
                .map(|rec| render_created(kind, &RefundJson::from(rec)))
        })
    };
    keyed_refund(app, conn, post, fail, fail, commit, fail).await
}

/// A refund POST of either API once its request is read and checked.
pub(crate) struct KeyedPost<'a> {
    /// The token and the key: a key is its token's.
    pub(crate) scope: &'a str,
    /// What the request asks, to tell a replay from a conflict.
    pub(crate) print: &'a str,
    /// The payment a `--fail-payment` fault may name (none for an order).
    pub(crate) payment: Option<u64>,
}

/// Where a refund POST's key and faults strike, the same for a payment and an
/// order: the key claimed (a conflict or a lock answered at once by
/// `refused`), the injected latency, the test gate, then the answer the key
/// already has replayed or — the key reserved — `commit` under the state
/// lock (its refusal answered by `rejected`), a pre-commit fault (`fault`)
/// in place of either; an answer made is remembered for its key, anything
/// else releases it; the post-commit faults strike last. `refused`, `fault`
/// and `rejected` answer in their API's shape.
pub(crate) async fn keyed_refund<E>(
    app: &App,
    conn: &ConnTag,
    post: KeyedPost<'_>,
    refused: impl FnOnce(ApiError) -> Response,
    fault: impl Fn(ApiError) -> Response,
    commit: impl FnOnce(&mut State) -> Result<(u16, Bytes), E>,
    rejected: impl FnOnce(E) -> Response,
) -> Response {
    let (delay, claim) = {
        let mut st = app.lock();
        (st.dice.draw_delay(), st.claim_key(post.scope, post.print))
    };
    let claim = match claim {
        // A conflict or a lock is answered at once: nothing to simulate work for.
        Err(e) => return refused(e),
        Ok(c) => c,
    };
    // Reserved before the latency, so a second request with the key meets 423.
    let mut guard = KeyGuard {
        app,
        scope: post.scope,
        armed: claim == Claim::Reserved,
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    // Held here, key reserved: tests wait on this state (in flight, the key locked)
    // instead of on a latency being long enough. Only a closed sender errs, and the
    // sender lives as long as `app`.
    let _ = app.gate.subscribe().wait_for(|open| *open).await;
    let answer = match claim {
        Claim::Replay { status, body } => match app.lock().dice.draw_pre_commit_fault(post.payment)
        {
            Some(e) => Err(fault(e)),
            None => Ok((status, body)),
        },
        Claim::Reserved => {
            let mut st = app.lock();
            // This critical section settles the reservation itself (and the
            // guard must not lock again while it holds the lock).
            guard.armed = false;
            let answer = match st.dice.draw_pre_commit_fault(post.payment) {
                Some(e) => Err(fault(e)),
                None => commit(&mut st).map_err(rejected),
            };
            match &answer {
                Ok((status, body)) => st.keys.remember(post.scope, *status, body.clone()),
                Err(_) => st.keys.release(post.scope),
            }
            answer
        }
    };
    drop(guard);
    match answer {
        Ok((status, body)) => with_post_fault(app, conn, json_response(status, body)),
        Err(resp) => resp,
    }
}

/// The faults that strike once the answer is decided (after a commit, for a
/// refund): the connection cut, or a gateway's HTML 502, instead of `resp`.
pub(crate) fn with_post_fault(app: &App, conn: &ConnTag, resp: Response) -> Response {
    let fault = {
        let mut st = app.lock();
        let fault = st.dice.draw_post_commit_fault();
        if matches!(fault, Some(PostCommitFault::Cut)) {
            st.counters.connection_cut();
        }
        fault
    };
    match fault {
        Some(PostCommitFault::Cut) => {
            conn.cut();
            let mut resp = Response::new(Body::empty());
            resp.extensions_mut().insert(CutMarker);
            resp
        }
        Some(PostCommitFault::Html502) => html_502(),
        None => resp,
    }
}

/// Releases a key reservation when the request is abandoned (its client went
/// away during the injected latency) before the commit section settled it.
struct KeyGuard<'a> {
    app: &'a App,
    scope: &'a str,
    armed: bool,
}

impl Drop for KeyGuard<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.app.lock().keys.release(self.scope);
        }
    }
}

fn render_created(kind: Kind, refund: &RefundJson<'_>) -> (u16, Bytes) {
    // Serialising plain structs with string keys cannot fail.
    let body = match kind {
        Kind::Payment => serde_json::to_vec(refund),
        Kind::AdvancedPayment => serde_json::to_vec(&[refund]),
    }
    .unwrap_or_default();
    let status = match kind {
        Kind::Payment => 201,
        Kind::AdvancedPayment => 200,
    };
    (status, Bytes::from(body))
}

fn not_found(kind: Kind) -> ApiError {
    match kind {
        Kind::Payment => ApiError::NOT_FOUND,
        Kind::AdvancedPayment => ApiError::ADVANCED_NOT_FOUND,
    }
}

/// Token, latency and pre-commit faults for the read endpoints.
async fn read_prelude(app: &App, headers: &HeaderMap) -> Result<(), ApiError> {
    bearer(headers)?;
    read_faults(app).await
}

/// A read's injected latency, then its pre-commit faults.
pub(crate) async fn read_faults(app: &App) -> Result<(), ApiError> {
    let delay = app.lock().dice.draw_delay();
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    app.lock()
        .dice
        .draw_pre_commit_fault(None)
        .map_or(Ok(()), Err)
}

/// The payment GETs' common start: token and faults, then the payment by id (404
/// when unknown), answered by `answer` under the state lock.
async fn on_payment(
    app: &App,
    id: &str,
    headers: &HeaderMap,
    answer: impl FnOnce(&State, &Payment) -> Response,
) -> Response {
    let style = app.style(Kind::Payment);
    if let Err(e) = read_prelude(app, headers).await {
        return error_response(&e, style);
    }
    let mut st = app.lock();
    let now = OffsetDateTime::now_utc();
    let found = id
        .parse()
        .ok()
        .and_then(|id| st.book.payment(Kind::Payment, id, now).cloned());
    match found {
        Some(p) => answer(&st, &p),
        None => error_response(&ApiError::NOT_FOUND, style),
    }
}

async fn get_payment(
    AxState(app): AxState<App>,
    ConnectInfo(conn): ConnectInfo<ConnTag>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let resp = on_payment(&app, &id, &headers, |st, p| {
        json_value(200, &st.book.payment_json(p))
    })
    .await;
    if resp.status() == StatusCode::OK {
        with_post_fault(&app, &conn, resp)
    } else {
        resp
    }
}

async fn list_refunds(
    AxState(app): AxState<App>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    on_payment(&app, &id, &headers, |st, p| {
        let list: Vec<RefundJson<'_>> = st.book.refunds_of(p).map(RefundJson::from).collect();
        json_value(200, &list)
    })
    .await
}

async fn get_refund(
    AxState(app): AxState<App>,
    Path((id, refund_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let style = app.style(Kind::Payment);
    if let Err(e) = read_prelude(&app, &headers).await {
        return error_response(&e, style);
    }
    let mut st = app.lock();
    let now = OffsetDateTime::now_utc();
    let Some(payment_id) = id
        .parse()
        .ok()
        .filter(|&id| st.book.payment(Kind::Payment, id, now).is_some())
    else {
        return error_response(&ApiError::NOT_FOUND, style);
    };
    let refund = refund_id
        .parse()
        .ok()
        .and_then(|rid| st.book.refund(rid))
        .filter(|r| r.payment_id == payment_id && r.kind == Kind::Payment);
    match refund {
        Some(r) => json_value(200, &RefundJson::from(r)),
        None => error_response(&ApiError::REFUND_NOT_FOUND, style),
    }
}

// ---- admin view -------------------------------------------------------------

/// The report routes' common start: which report, then token and faults.
async fn report_prelude(app: &App, report: &str, headers: &HeaderMap) -> Result<Which, Response> {
    let style = app.string_style();
    let which = Which::from_path(report)
        .ok_or_else(|| error_response(&ApiError::ROUTE_NOT_FOUND, style))?;
    read_prelude(app, headers)
        .await
        .map_err(|e| error_response(&e, style))?;
    Ok(which)
}

/// `POST /v1/account/{settlement|release}_report` `{"begin_date","end_date"}`:
/// 202, and the report appears in the list after `--report-delay`.
async fn create_report(
    AxState(app): AxState<App>,
    Path(report): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let style = app.string_style();
    let which = match report_prelude(&app, &report, &headers).await {
        Ok(which) => which,
        Err(resp) => return resp,
    };
    #[derive(Deserialize)]
    struct Period {
        begin_date: String,
        end_date: String,
    }
    let rfc3339 = &time::format_description::well_known::Rfc3339;
    let period = serde_json::from_slice::<Period>(&body).ok().and_then(|p| {
        Some((
            OffsetDateTime::parse(&p.begin_date, rfc3339).ok()?,
            OffsetDateTime::parse(&p.end_date, rfc3339).ok()?,
        ))
    });
    let Some((begin, end)) = period.filter(|(b, e)| b <= e) else {
        return error_response(
            &ApiError::new(
                400,
                400,
                "begin_date and end_date must be RFC 3339 dates, in order",
            ),
            style,
        );
    };
    let mut st = app.lock();
    let job = st
        .reports
        .create(which, begin, end, OffsetDateTime::now_utc());
    json_value(
        202,
        &serde_json::json!({ "id": job.id, "status": "pending", "begin_date": format_date(job.begin),
                             "end_date": format_date(job.end) }),
    )
}

/// `GET /v1/account/{report}/list`: the reports ready.
async fn list_reports(
    AxState(app): AxState<App>,
    Path(report): Path<String>,
    headers: HeaderMap,
) -> Response {
    let style = app.string_style();
    let which = match report_prelude(&app, &report, &headers).await {
        Ok(which) => which,
        Err(resp) => return resp,
    };
    let mut st = app.lock();
    if st.reports.throttle_lists > 0 {
        st.reports.throttle_lists -= 1;
        return error_response(&ApiError::rate_limited(1), style);
    }
    let list: Vec<serde_json::Value> = st
        .reports
        .ready(which, OffsetDateTime::now_utc())
        .map(|j| {
            serde_json::json!({
                "id": j.id,
                "begin_date": format_date(j.begin),
                "end_date": format_date(j.end),
                "file_name": j.file_name,
                "created_from": "manual",
                "date_created": format_date(j.created),
            })
        })
        .collect();
    json_value(200, &list)
}

/// `GET /v1/account/{report}/{file_name}`: the report, as CSV.
async fn download_report(
    AxState(app): AxState<App>,
    Path((report, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let style = app.string_style();
    let which = match report_prelude(&app, &report, &headers).await {
        Ok(which) => which,
        Err(resp) => return resp,
    };
    let st = app.lock();
    let job = st
        .reports
        .ready(which, OffsetDateTime::now_utc())
        .find(|j| j.file_name == file)
        .cloned();
    match job {
        Some(job) => (
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
            st.book.report(&job, st.reports.lie),
        )
            .into_response(),
        None => error_response(&ApiError::new(404, 404, "report not found"), style),
    }
}
