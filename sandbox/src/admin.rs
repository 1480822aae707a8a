//! The sandbox's admin routes (`/__sandbox/…`), which only tests, the demo
//! and a person driving the sandbox call: seed payments, set faults, fail or
//! heal a payment, make or change a refund behind the tool's back, seed
//! reports, settle what is processing, and read every refund made with its
//! key and the request counts.

use axum::body::Bytes;
use axum::extract::{Path, State as AxState};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use time::OffsetDateTime;

use super::routes::App;
use super::state::{ApiError, RefundJson, Style, error_response, json_value};
use super::{Faults, PaymentSpec};

pub(crate) fn admin_error(message: String) -> Response {
    json_value(400, &serde_json::json!({ "error": message }))
}

pub(crate) async fn admin_refunds(AxState(app): AxState<App>) -> Response {
    json_value(200, &app.lock().book.refunds)
}

pub(crate) async fn admin_stats(AxState(app): AxState<App>) -> Response {
    json_value(200, &app.lock().counters.stats())
}

pub(crate) async fn admin_reset_stats(AxState(app): AxState<App>) -> Response {
    app.lock().counters.reset();
    StatusCode::NO_CONTENT.into_response()
}

/// One spec or an array of them.
#[derive(Deserialize)]
#[serde(untagged)]
enum Specs<T> {
    One(T),
    Many(Vec<T>),
}

/// The specs a declaring admin route's body holds (one, or an array of
/// them), or why it holds none: `what` names a spec.
pub(crate) fn specs<T: serde::de::DeserializeOwned>(
    body: &Bytes,
    what: &str,
) -> Result<Vec<T>, String> {
    match serde_json::from_slice::<Specs<T>>(body) {
        Ok(Specs::One(s)) => Ok(vec![s]),
        Ok(Specs::Many(v)) => Ok(v),
        Err(e) => Err(format!("not {what} (or an array of them): {e}")),
    }
}

pub(crate) async fn admin_payments(AxState(app): AxState<App>, body: Bytes) -> Response {
    let specs = match specs::<PaymentSpec>(&body, "a payment spec") {
        Ok(s) => s,
        Err(e) => return admin_error(e),
    };
    let payments: Result<Vec<_>, _> = specs.iter().map(PaymentSpec::to_payment).collect();
    match payments {
        Ok(payments) => {
            let n = payments.len();
            let mut st = app.lock();
            payments.into_iter().for_each(|p| st.book.declare(p));
            json_value(201, &serde_json::json!({ "declared": n }))
        }
        Err(e) => admin_error(e.to_string()),
    }
}

pub(crate) async fn admin_get_faults(AxState(app): AxState<App>) -> Response {
    json_value(200, &app.lock().dice.faults)
}

/// A partial body changes only the fields it names, over the faults in force (a
/// `{"error_500": 0.2}` keeps `retry_after_secs`); the seed restarts the draws
/// only when the body names it. `DELETE` clears every fault.
pub(crate) async fn admin_set_faults(AxState(app): AxState<App>, body: Bytes) -> Response {
    let changes = match serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&body)
    {
        Ok(m) => m,
        Err(e) => return admin_error(format!("not a faults object: {e}")),
    };
    let mut st = app.lock();
    let merged = match serde_json::to_value(&st.dice.faults) {
        Ok(serde_json::Value::Object(mut current)) => {
            current.extend(changes.iter().map(|(k, v)| (k.clone(), v.clone())));
            serde_json::Value::Object(current)
        }
        _ => serde_json::Value::Object(changes.clone()),
    };
    let f = match serde_json::from_value::<Faults>(merged) {
        Ok(f) => f,
        Err(e) => return admin_error(format!("not a faults object: {e}")),
    };
    if let Err(e) = f.validate() {
        return admin_error(e);
    }
    if changes.contains_key("seed") {
        st.dice.set_faults(f.clone());
    } else {
        st.dice.faults = f.clone();
    }
    json_value(200, &f)
}

pub(crate) async fn admin_clear_faults(AxState(app): AxState<App>) -> Response {
    app.lock().dice.set_faults(Faults::default());
    json_value(200, &Faults::default())
}

#[derive(Deserialize)]
struct FailBody {
    #[serde(default = "default_fail_status")]
    status: u16,
}

fn default_fail_status() -> u16 {
    500
}

pub(crate) async fn admin_fail(
    AxState(app): AxState<App>,
    Path(id): Path<u64>,
    body: Bytes,
) -> Response {
    let status = if body.iter().all(u8::is_ascii_whitespace) {
        default_fail_status()
    } else {
        match serde_json::from_slice::<FailBody>(&body) {
            Ok(b) => b.status,
            Err(e) => return admin_error(format!("expected {{\"status\": 500}}: {e}")),
        }
    };
    if StatusCode::from_u16(status).is_err() {
        return admin_error(format!("{status} is not an HTTP status"));
    }
    app.lock().dice.fail_payment(id, status);
    StatusCode::NO_CONTENT.into_response()
}

pub(crate) async fn admin_heal(AxState(app): AxState<App>, Path(id): Path<u64>) -> Response {
    app.lock().dice.heal_payment(id);
    StatusCode::NO_CONTENT.into_response()
}

/// `{"amount": 5}`, `{"status": "rejected"}` or both; every field optional.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RefundChange {
    #[serde(default, with = "rust_decimal::serde::arbitrary_precision_option")]
    amount: Option<rust_decimal::Decimal>,
    #[serde(default)]
    status: Option<String>,
}

fn change_of(body: &Bytes) -> Result<RefundChange, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(RefundChange::default());
    }
    serde_json::from_slice(body).map_err(|e| format!("bad body: {e}"))
}

/// A refund "by hand", as the dashboard makes them: no idempotency key.
pub(crate) async fn admin_manual_refund(
    AxState(app): AxState<App>,
    Path(id): Path<u64>,
    body: Bytes,
) -> Response {
    let change = match change_of(&body) {
        Ok(c) => c,
        Err(e) => return admin_error(e),
    };
    let mut st = app.lock();
    match st.refund_by_hand(id, change.amount, OffsetDateTime::now_utc()) {
        Ok(r) => json_value(201, &RefundJson::from(r)),
        Err(e) => error_response(&e, Style::Numbers),
    }
}

/// What happens to a refund later: rejected, cancelled, settled, another amount.
pub(crate) async fn admin_change_refund(
    AxState(app): AxState<App>,
    Path(id): Path<u64>,
    body: Bytes,
) -> Response {
    let change = match change_of(&body) {
        Ok(c) => c,
        Err(e) => return admin_error(e),
    };
    let mut st = app.lock();
    match st
        .book
        .change_refund(id, change.status.as_deref(), change.amount)
    {
        Some(r) => json_value(200, &RefundJson::from(r)),
        None => error_response(&ApiError::REFUND_NOT_FOUND, Style::Numbers),
    }
}

/// `POST /__sandbox/reports` `{"lie": bool, "throttle_lists": n}`.
pub(crate) async fn admin_reports(AxState(app): AxState<App>, body: Bytes) -> Response {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Switches {
        lie: Option<bool>,
        throttle_lists: Option<u32>,
    }
    let Ok(s) = serde_json::from_slice::<Switches>(&body) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let mut st = app.lock();
    if let Some(lie) = s.lie {
        st.reports.lie = lie;
    }
    if let Some(n) = s.throttle_lists {
        st.reports.throttle_lists = n;
    }
    StatusCode::NO_CONTENT.into_response()
}

pub(crate) async fn admin_settle(AxState(app): AxState<App>) -> Response {
    let n = app.lock().settle_all();
    json_value(200, &serde_json::json!({ "settled": n }))
}
