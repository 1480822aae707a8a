//! What goes on the wire: the API's errors (status, cause code, message) and the
//! refund and payment objects as Mercado Pago renders them, numbers for money.

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use rust_decimal::Decimal;
use serde::Serialize;
use time::{OffsetDateTime, UtcOffset};

use super::super::RefundRecord;

/// Cause codes MP documents no number for; the sandbox picked these (see the README
/// table). Each is answered with HTTP 400.
pub(crate) mod codes {
    pub(crate) const TOO_MANY_DECIMALS: u32 = 4042;
    pub(crate) const EXCEEDS_BALANCE: u32 = 4043;
    pub(crate) const PIX_CONTINGENCY: u32 = 2090;
    pub(crate) const COLLECTOR_NO_BALANCE: u32 = 2091;
    pub(crate) const MALFORMED_BODY: u32 = 400;
}

/// Every refund's `source.id`: the sandbox plays a single collector.
pub(crate) const COLLECTOR_ID: u64 = 123_456_789;

/// An error the API answers with: HTTP status, cause code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub(crate) status: u16,
    pub(crate) code: u32,
    pub(crate) message: &'static str,
    pub(crate) retry_after: Option<u64>,
}

impl ApiError {
    pub(crate) const fn new(status: u16, code: u32, message: &'static str) -> Self {
        ApiError {
            status,
            code,
            message,
            retry_after: None,
        }
    }

    pub(crate) const NOT_FOUND: ApiError = ApiError::new(404, 2000, "Payment not found");
    pub(crate) const ADVANCED_NOT_FOUND: ApiError =
        ApiError::new(404, 404_002, "Advanced payment not found");
    pub(crate) const REFUND_NOT_FOUND: ApiError = ApiError::new(404, 2032, "Refund not found");
    pub(crate) const BAD_STATE: ApiError = ApiError::new(
        400,
        2063,
        "The action requested is not valid for the current payment state",
    );
    pub(crate) const TOO_OLD: ApiError = ApiError::new(400, 2024, "Payment too old to be refunded");
    pub(crate) const TOO_OLD_15016: ApiError =
        ApiError::new(400, 15016, "Payment too old to be refunded");
    pub(crate) const PARTIAL_UNSUPPORTED: ApiError = ApiError::new(
        400,
        3024,
        "Not valid action - partial refund unsupported for this transaction",
    );
    pub(crate) const NOT_POSITIVE: ApiError =
        ApiError::new(400, 4040, "amount attribute must be positive");
    pub(crate) const NOT_NUMERIC: ApiError =
        ApiError::new(400, 4041, "amount attribute must be numeric");
    pub(crate) const TOO_MANY_DECIMALS: ApiError = ApiError::new(
        400,
        codes::TOO_MANY_DECIMALS,
        "amount has more decimals than the payment's currency allows",
    );
    pub(crate) const EXCEEDS_BALANCE: ApiError = ApiError::new(
        400,
        codes::EXCEEDS_BALANCE,
        "amount exceeds the payment's refundable balance",
    );
    pub(crate) const PIX_CONTINGENCY: ApiError = ApiError::new(
        400,
        codes::PIX_CONTINGENCY,
        "Pix refund in contingency; send X-Render-In-Process-Refunds: true to get it in_process",
    );
    pub(crate) const COLLECTOR_NO_BALANCE: ApiError = ApiError::new(
        400,
        codes::COLLECTOR_NO_BALANCE,
        "Not enough balance in the collector's account",
    );
    pub(crate) const MALFORMED_BODY: ApiError = ApiError::new(
        400,
        codes::MALFORMED_BODY,
        "request body is not a JSON object",
    );
    pub(crate) const MISSING_KEY: ApiError =
        ApiError::new(400, 4292, "Header X-Idempotency-Key can't be null");
    pub(crate) const INVALID_TOKEN: ApiError = ApiError::new(401, 401, "invalid_token");
    pub(crate) const KEY_CONFLICT: ApiError = ApiError::new(
        409,
        409,
        "X-Idempotency-Key already used with a different request",
    );
    pub(crate) const KEY_LOCKED: ApiError = ApiError::new(
        423,
        423,
        "X-Idempotency-Key is still being processed; try again later",
    );
    pub(crate) const INTERNAL: ApiError = ApiError::new(500, 500, "Internal server error");
    pub(crate) const ROUTE_NOT_FOUND: ApiError = ApiError::new(404, 404, "resource not found");

    pub(crate) fn rate_limited(retry_after: u64) -> Self {
        ApiError {
            retry_after: Some(retry_after),
            ..ApiError::new(429, 429, "Too many requests")
        }
    }

    /// The error `fail_payment` injects: the chosen status, its own number as code.
    pub(crate) fn injected(status: u16) -> Self {
        ApiError::new(
            status,
            u32::from(status),
            "Injected failure (sandbox fail_payment)",
        )
    }
}

/// MP's date style: RFC 3339, milliseconds, São Paulo's offset.
pub(crate) fn format_date(t: OffsetDateTime) -> String {
    const FORMAT: &[time::format_description::BorrowedFormatItem<'_>] = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3][offset_hour sign:mandatory]:[offset_minute]"
    );
    let offset = UtcOffset::from_hms(-3, 0, 0).unwrap_or(UtcOffset::UTC);
    t.to_offset(offset)
        .format(FORMAT)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

/// The refund object as MP's API renders it.
#[derive(Serialize)]
pub(crate) struct RefundJson<'a> {
    id: u64,
    payment_id: u64,
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    amount: Decimal,
    metadata: EmptyObject,
    source: Source,
    date_created: &'a str,
    unique_sequence_number: Option<()>,
    refund_mode: &'static str,
    adjustment_amount: u8,
    status: &'a str,
    reason: Option<()>,
    labels: &'static [()],
    partition_details: &'static [()],
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    amount_refunded_to_payer: Decimal,
}

#[derive(Serialize)]
struct EmptyObject {}

#[derive(Serialize)]
struct Source {
    id: u64,
    name: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
}

impl<'a> From<&'a RefundRecord> for RefundJson<'a> {
    fn from(r: &'a RefundRecord) -> Self {
        RefundJson {
            id: r.id,
            payment_id: r.payment_id,
            amount: r.amount,
            metadata: EmptyObject {},
            source: Source {
                id: COLLECTOR_ID,
                name: "Sandbox Collector",
                kind: "collector",
            },
            date_created: &r.date_created,
            unique_sequence_number: None,
            refund_mode: "standard",
            adjustment_amount: 0,
            status: &r.status,
            reason: None,
            labels: &[],
            partition_details: &[],
            amount_refunded_to_payer: if r.status == "rejected" {
                Decimal::ZERO
            } else {
                r.amount
            },
        }
    }
}

/// The payment object (`GET /v1/payments/{id}`), with its refunds.
#[derive(Serialize)]
pub(crate) struct PaymentJson<'a> {
    pub(super) id: u64,
    pub(super) status: &'a str,
    pub(super) status_detail: &'static str,
    pub(super) currency_id: &'a str,
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub(super) transaction_amount: Decimal,
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub(super) transaction_amount_refunded: Decimal,
    pub(super) date_approved: String,
    pub(super) refunds: Vec<RefundJson<'a>>,
}

/// The two error body variants MP uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    /// `"status": 400`, `cause[].code: 2063`, `cause[].description`.
    Numbers,
    /// `"status": "400"`, `cause[].code: "2063"`, `cause[].message` (advanced payments).
    Strings,
}

pub(crate) fn json_response(status: u16, body: Bytes) -> Response {
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

pub(crate) fn json_value<T: serde::Serialize + ?Sized>(status: u16, value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => json_response(status, Bytes::from(body)),
        Err(_) => error_response(&ApiError::INTERNAL, Style::Numbers),
    }
}

fn error_name(status: u16) -> &'static str {
    match status {
        400 => "bad_request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        409 => "conflict",
        423 => "locked",
        424 => "failed_dependency",
        429 => "too_many_requests",
        500 => "internal_server_error",
        502 => "bad_gateway",
        503 => "service_unavailable",
        504 => "gateway_timeout",
        _ => "error",
    }
}

/// MP's error body, in the field order its docs show.
#[derive(Serialize)]
struct ErrorBody<S, C> {
    message: &'static str,
    error: &'static str,
    status: S,
    cause: [Cause<C>; 1],
}

#[derive(Serialize)]
struct Cause<C> {
    code: C,
    /// The numeric variant names the text `description`, the string one `message`.
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'static str>,
    data: Option<()>,
}

pub(crate) fn error_response(e: &ApiError, style: Style) -> Response {
    let error = error_name(e.status);
    let mut resp = match style {
        Style::Numbers => json_value(
            e.status,
            &ErrorBody {
                message: e.message,
                error,
                status: e.status,
                cause: [Cause {
                    code: e.code,
                    description: Some(e.message),
                    message: None,
                    data: None,
                }],
            },
        ),
        Style::Strings => json_value(
            e.status,
            &ErrorBody {
                message: e.message,
                error,
                status: e.status.to_string(),
                cause: [Cause {
                    code: e.code.to_string(),
                    description: None,
                    message: Some(e.message),
                    data: None,
                }],
            },
        ),
    };
    if let Some(secs) = e.retry_after {
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    resp
}

pub(crate) fn html_502() -> Response {
    let mut resp = Response::new(Body::from(
        "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n\
         <center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n",
    ));
    *resp.status_mut() = StatusCode::BAD_GATEWAY;
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
    resp
}
