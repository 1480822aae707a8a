//! Reading a refund POST: what its body asks for, and the fingerprint that makes
//! two requests with one key "the same" for idempotency.

use std::fmt::Write as _;

use rust_decimal::Decimal;

use super::wire::ApiError;
use crate::Kind;

/// What a refund POST asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ask {
    /// The remaining balance: empty body, `{}`, no `amount` or `"amount": null`.
    Full,
    Partial(Decimal),
}

/// What a refund POST body asks for. Only the `amount` field means anything.
fn ask_of(value: &serde_json::Value) -> Result<Ask, ApiError> {
    let serde_json::Value::Object(map) = value else {
        return Err(ApiError::MALFORMED_BODY);
    };
    match map.get("amount") {
        None | Some(serde_json::Value::Null) => Ok(Ask::Full),
        Some(serde_json::Value::Number(n)) => {
            let amount = decimal_of(n).ok_or(ApiError::NOT_NUMERIC)?;
            if amount <= Decimal::ZERO {
                Err(ApiError::NOT_POSITIVE)
            } else {
                Ok(Ask::Partial(amount.normalize()))
            }
        }
        Some(_) => Err(ApiError::NOT_NUMERIC),
    }
}

/// The exact decimal a JSON number spells (serde_json keeps its text because of
/// `arbitrary_precision`), never via f64.
fn decimal_of(n: &serde_json::Number) -> Option<Decimal> {
    let text = n.to_string();
    Decimal::from_str_exact(&text)
        .or_else(|_| Decimal::from_scientific(&text))
        .ok()
}

/// Reads a refund POST once, for both of its uses: the fingerprint that makes two
/// requests "the same" for idempotency, and what the body asks for.
///
/// The fingerprint is method, path and the body's meaning — JSON with sorted keys
/// and numbers normalised, so `{"amount":25}` and `{"amount": 25.0}` match, and an
/// empty body matches `{}`. A body that is not JSON is compared byte for byte.
pub(crate) fn read_request(
    method: &str,
    path: &str,
    body: &[u8],
) -> (String, Result<Ask, ApiError>) {
    let mut print = String::with_capacity(path.len() + body.len() + 8);
    print.push_str(method);
    print.push(' ');
    print.push_str(path);
    print.push(' ');
    if body.iter().all(u8::is_ascii_whitespace) {
        print.push_str("{}");
        return (print, Ok(Ask::Full));
    }
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(v) => {
            canonical(&v, &mut print);
            (print, ask_of(&v))
        }
        Err(_) => {
            print.push_str("raw:");
            print.push_str(&String::from_utf8_lossy(body));
            (print, Err(ApiError::MALFORMED_BODY))
        }
    }
}

fn canonical(v: &serde_json::Value, out: &mut String) {
    use serde_json::Value;
    match v {
        Value::Number(n) => match decimal_of(n) {
            Some(d) => {
                let _ = write!(out, "{}", d.normalize());
            }
            None => {
                let _ = write!(out, "{n}");
            }
        },
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (k, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let _ = write!(out, "{k:?}:");
                canonical(item, out);
            }
            out.push('}');
        }
        other => {
            let _ = write!(out, "{other}");
        }
    }
}

/// One refund request, already authenticated and parsed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RefundRequest<'a> {
    pub(crate) kind: Kind,
    pub(crate) payment_id: u64,
    pub(crate) ask: Ask,
    /// `X-Render-In-Process-Refunds: true` was sent.
    pub(crate) render_in_process: bool,
    pub(crate) idempotency_key: &'a str,
}
