//! The Orders API's HTTP surface: `POST /v1/orders/{id}/refund`, `GET
//! /v1/orders/{id}`, their error shape (`{"errors": [{"code", "message",
//! "details"}]}`, string codes), and the admin view of every order refund.
//!
//! A refund POST goes as a payment's does, through the same steps
//! (`routes::keyed_refund`): token → idempotency key (required, at most 128
//! characters) → the order id's shape → claim the key (replay,
//! `idempotency_key_already_used`, `resource_locked` or reserve) → injected
//! latency → pre-commit faults → the order's rules and commit → post-commit
//! faults (cut connection, HTML 502). Only a refund made is remembered for
//! replay: the whole order as it stood right after it.

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, State as AxState};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;
use serde::Serialize;
use time::OffsetDateTime;

use super::admin::{admin_error, specs};
use super::conn::ConnTag;
use super::routes::{
    App, KeyedPost, bearer, idempotency_key, keyed_refund, read_faults, to_the_end, with_post_fault,
};
use super::state::{
    ApiError, OrderAsk, OrderError, State, error_response, json_value, valid_order_id,
};
use crate::OrderSpec;

/// The longest `X-Idempotency-Key` the Orders API takes.
const MAX_KEY: usize = 128;

#[derive(Serialize)]
struct ErrorsBody<'a> {
    errors: [ErrorItem<'a>; 1],
}

#[derive(Serialize)]
struct ErrorItem<'a> {
    code: &'a str,
    message: &'a str,
    details: [&'a str; 0],
}

/// An Orders API error as it answers one.
pub(crate) fn order_error(e: &OrderError) -> Response {
    errors(e.status, e.code, e.message, None)
}

fn errors(status: u16, code: &str, message: &str, retry_after: Option<u64>) -> Response {
    let mut resp = json_value(
        status,
        &ErrorsBody {
            errors: [ErrorItem {
                code,
                message,
                details: [],
            }],
        },
    );
    if let Some(secs) = retry_after {
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    resp
}

/// A fault the payments' dice drew, in the Orders API's shape: its generic
/// errors' code is their status (`"500"`).
fn fault(e: &ApiError) -> Response {
    errors(e.status, &e.status.to_string(), e.message, e.retry_after)
}

/// `POST /v1/orders/{id}/refund`.
pub(crate) async fn post_refund(
    AxState(app): AxState<App>,
    ConnectInfo(conn): ConnectInfo<ConnTag>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let shared = app.clone();
    to_the_end(
        &shared,
        async move { create_refund(&app, &conn, &id, &headers, &body).await },
        || order_error(&OrderError::INTERNAL),
    )
    .await
}

async fn create_refund(
    app: &App,
    conn: &ConnTag,
    id: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let token = match bearer(headers) {
        Ok(t) => t,
        Err(_) => return order_error(&OrderError::UNAUTHORIZED),
    };
    let Some(key) = idempotency_key(headers) else {
        return order_error(&OrderError::EMPTY_KEY);
    };
    if key.len() > MAX_KEY {
        return order_error(&OrderError::KEY_LENGTH);
    }
    if !valid_order_id(id) {
        return order_error(&OrderError::PATH_PARAM);
    }
    let scope = format!("{token}\n{key}");
    let path = format!("/v1/orders/{id}/refund");
    let (print, _) = super::state::read_request("POST", &path, body);
    let ask = OrderAsk::parse(body);
    let post = KeyedPost {
        scope: &scope,
        print: &print,
        payment: None,
    };
    let refused = |e: ApiError| {
        order_error(if e == ApiError::KEY_LOCKED {
            &OrderError::LOCKED
        } else {
            &OrderError::KEY_USED
        })
    };
    let commit = |st: &mut State| {
        let now = OffsetDateTime::now_utc();
        ask.and_then(|ask| {
            st.orders.admit(id, now)?;
            let before = st.orders.refunds.len();
            st.orders.refund(id, &ask, key, now)?;
            let made = st.orders.refunds.len() - before;
            st.count_refunds(made);
            let order = st.orders.order(id, now).cloned();
            let json = order.map(|o| st.orders.json(&o));
            Ok((
                201,
                Bytes::from(serde_json::to_vec(&json).unwrap_or_default()),
            ))
        })
    };
    let rejected = |e: OrderError| order_error(&e);
    keyed_refund(app, conn, post, refused, |e| fault(&e), commit, rejected).await
}

/// `GET /v1/orders/{id}`: the order, its refunds and chargebacks.
pub(crate) async fn get_order(
    AxState(app): AxState<App>,
    ConnectInfo(conn): ConnectInfo<ConnTag>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if bearer(&headers).is_err() {
        return order_error(&OrderError::UNAUTHORIZED);
    }
    if !valid_order_id(&id) {
        return order_error(&OrderError::PATH_PARAM);
    }
    if let Err(e) = read_faults(&app).await {
        return fault(&e);
    }
    let resp = {
        let mut st = app.lock();
        let now = OffsetDateTime::now_utc();
        match st.orders.order(&id, now).cloned() {
            Some(o) => json_value(200, &st.orders.json(&o)),
            None => return order_error(&OrderError::NOT_FOUND),
        }
    };
    with_post_fault(&app, &conn, resp)
}

// ---- admin view -------------------------------------------------------------

/// `GET /__sandbox/order_refunds`: every order refund, with its key.
pub(crate) async fn admin_refunds(AxState(app): AxState<App>) -> Response {
    json_value(200, &app.lock().orders.refunds)
}

/// `POST /__sandbox/orders`: declare orders.
pub(crate) async fn admin_orders(AxState(app): AxState<App>, body: Bytes) -> Response {
    let specs = match specs::<OrderSpec>(&body, "an order spec") {
        Ok(s) => s,
        Err(e) => return admin_error(e),
    };
    let orders: Result<Vec<_>, _> = specs.iter().map(OrderSpec::to_order).collect();
    match orders {
        Ok(orders) => {
            let n = orders.len();
            let mut st = app.lock();
            orders.into_iter().for_each(|o| st.orders.declare(o));
            json_value(201, &serde_json::json!({ "declared": n }))
        }
        Err(e) => admin_error(e.to_string()),
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ByHand {
    /// A string, as the API takes it; absent: what is left of the order.
    #[serde(default)]
    amount: Option<String>,
    /// The transaction, for a partial refund of an order of several.
    #[serde(default)]
    transaction_id: Option<String>,
    #[serde(default)]
    status: Option<String>,
}

fn by_hand(body: &Bytes) -> Result<ByHand, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(ByHand::default());
    }
    serde_json::from_slice(body).map_err(|e| format!("bad body: {e}"))
}

/// `POST /__sandbox/manual_order_refund/{order_id}`: a refund as the panel
/// makes one, no key: `{"amount": "5"}`, or no body for the rest.
pub(crate) async fn admin_manual_refund(
    AxState(app): AxState<App>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let b = match by_hand(&body) {
        Ok(b) => b,
        Err(e) => return admin_error(e),
    };
    let mut st = app.lock();
    match st.order_refund_by_hand(&id, b.amount.as_deref(), b.transaction_id.as_deref()) {
        Ok(made) => json_value(201, &made),
        Err(e) => order_error(&e),
    }
}

/// `POST /__sandbox/order_refunds/{refund_id}`: `{"status": "failed"|"processed"}`.
pub(crate) async fn admin_change_refund(
    AxState(app): AxState<App>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let Some(status) = by_hand(&body).ok().and_then(|b| b.status) else {
        return admin_error(r#"expected {"status": "failed"|"processed"|"processing"}"#.into());
    };
    match app.lock().orders.change_refund(&id, &status) {
        Some(r) => json_value(200, r),
        None => error_response(&ApiError::REFUND_NOT_FOUND, super::state::Style::Numbers),
    }
}
