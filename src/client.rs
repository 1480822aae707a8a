//! One HTTP attempt at one refund, and nothing more: builds the request (bearer
//! token, the row's idempotency key, a body whose amount is written from the
//! `Decimal`'s own digits), sends it, and says what came back. Retrying is
//! `retry`'s decision and the runner's loop; this module never sleeps or loops.
//!
//! Invariants: the token lives only inside [`Token`], whose `Debug` is redacted, and
//! only ever leaves in the `Authorization` header. Plain `http://` is accepted only
//! for loopback hosts. A 2xx whose body is not a refund is an unknown outcome, not
//! a success.

use std::net::IpAddr;
use std::time::{Duration, SystemTime};

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue, RETRY_AFTER};
use rust_decimal::Decimal;
use serde::Deserialize;

use crate::Usage;
use crate::domain::{IdempotencyKey, Kind, PaymentId, Requested};
use crate::retry::{self, Attempt};

/// The access token. Deliberately not `Display`; `Debug` prints a placeholder.
#[derive(Clone)]
pub(crate) struct Token(String);

impl Token {
    pub(crate) fn new(raw: &str) -> Result<Token, Usage> {
        let t = raw.trim();
        if t.is_empty() {
            return Err(Usage("the access token is empty".into()));
        }
        if t.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(Usage("the access token contains whitespace".into()));
        }
        Ok(Token(t.to_owned()))
    }

    /// Reads it from `--token-file` when given, else from `MP_ACCESS_TOKEN`.
    pub(crate) fn from_env_or_file(file: Option<&std::path::Path>) -> Result<Token, Usage> {
        match file {
            Some(path) => {
                let raw = std::fs::read_to_string(path).map_err(|e| {
                    Usage(format!(
                        "cannot read the token file {}: {e}",
                        path.display()
                    ))
                })?;
                Token::new(&raw)
            }
            None => match std::env::var("MP_ACCESS_TOKEN") {
                Ok(raw) => Token::new(&raw),
                Err(_) => Err(Usage(
                    "no access token: set MP_ACCESS_TOKEN or pass --token-file FILE".into(),
                )),
            },
        }
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// Checks `--api-base`: TLS everywhere, plain HTTP only to this machine.
pub(crate) fn check_api_base(raw: &str) -> Result<reqwest::Url, Usage> {
    let url = reqwest::Url::parse(raw.trim_end_matches('/'))
        .map_err(|e| Usage(format!("--api-base {raw:?} is not a URL: {e}")))?;
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(Usage(format!(
            "--api-base {raw:?}: plain http:// is only allowed to loopback addresses; use https://"
        ))),
        other => Err(Usage(format!(
            "--api-base {raw:?}: unsupported scheme {other:?}"
        ))),
    }
}

fn is_loopback(url: &reqwest::Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// A refund as the API described it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RefundInfo {
    pub id: String,
    pub status: String,
    pub amount: Option<Decimal>,
}

/// The first `cause` entry of an error body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cause {
    pub code: String,
    pub message: String,
}

/// What one attempt produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Reply {
    Refund {
        status: u16,
        refund: RefundInfo,
    },
    /// The API answered with an error it explained (or at least a status).
    Error {
        status: u16,
        retry_after: Option<Duration>,
        cause: Option<Cause>,
    },
    /// Nobody knows whether a refund was made.
    Unknown {
        status: Option<u16>,
        reason: String,
    },
}

impl Reply {
    pub(crate) fn attempt(&self) -> Attempt {
        match self {
            Reply::Refund { status, .. } => Attempt::Status {
                status: *status,
                retry_after: None,
            },
            Reply::Error {
                status,
                retry_after,
                ..
            } => Attempt::Status {
                status: *status,
                retry_after: *retry_after,
            },
            Reply::Unknown { .. } => Attempt::Unknown,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct ClientSettings {
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    /// Sends `X-Render-In-Process-Refunds: true` so that a Pix refund held in the
    /// central bank's contingency comes back `in_process` instead of a false 400.
    pub render_in_process: bool,
}

impl Default for ClientSettings {
    fn default() -> Self {
        ClientSettings {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            render_in_process: true,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Client {
    http: reqwest::Client,
    base: String,
    render_in_process: bool,
}

impl Client {
    pub(crate) fn new(
        base: &reqwest::Url,
        token: &Token,
        settings: &ClientSettings,
    ) -> anyhow::Result<Client> {
        let mut auth = HeaderValue::from_str(&format!("Bearer {}", token.0))
            .map_err(|_| Usage("the access token has characters not allowed in a header".into()))?;
        auth.set_sensitive(true);
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, auth);
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(
            reqwest::header::ACCEPT,
            HeaderValue::from_static("application/json"),
        );
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .user_agent(concat!("mprefund/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.request_timeout)
            // A redirected POST may be replayed as a GET or dropped: say "unknown".
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(256)
            .build()?;
        Ok(Client {
            http,
            base: base.as_str().trim_end_matches('/').to_owned(),
            render_in_process: settings.render_in_process,
        })
    }

    /// One attempt. Never fails: every way it can go wrong is a [`Reply`].
    pub(crate) async fn refund(
        &self,
        kind: Kind,
        payment: PaymentId,
        requested: &Requested,
        key: &IdempotencyKey,
    ) -> Reply {
        let url = format!("{}{}", self.base, kind.refunds_path(payment));
        let mut req = self
            .http
            .post(url)
            .header("X-Idempotency-Key", key.as_str())
            .body(body(requested));
        if self.render_in_process {
            req = req.header("X-Render-In-Process-Refunds", "true");
        }
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) => {
                return Reply::Unknown {
                    status: None,
                    reason: transport_reason(&e),
                };
            }
        };
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| retry::parse_retry_after(v, SystemTime::now()));
        let bytes = match resp.bytes().await {
            Ok(b) => b,
            Err(e) => {
                return Reply::Unknown {
                    status: Some(status),
                    reason: transport_reason(&e),
                };
            }
        };
        classify(status, retry_after, &bytes)
    }
}

/// `{}` asks for a full refund; a partial one carries the amount as a JSON number
/// spelled with the decimal's own digits.
pub(crate) fn body(requested: &Requested) -> String {
    match requested {
        Requested::Full => "{}".to_owned(),
        Requested::Partial(a) => format!("{{\"amount\":{}}}", a.get()),
    }
}

fn transport_reason(e: &reqwest::Error) -> String {
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_body() || e.is_decode() {
        "connection cut while reading the answer"
    } else {
        "connection failed"
    };
    // The URL is ours and harmless; the token is never part of an error.
    let mut msg = format!("{what}: {e}");
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        msg.push_str(&format!(": {s}"));
        src = s.source();
    }
    msg
}

/// Reads an answer the way the API's many shapes require.
pub(crate) fn classify(status: u16, retry_after: Option<Duration>, bytes: &[u8]) -> Reply {
    if (200..300).contains(&status) {
        return match serde_json::from_slice::<OneOrMany>(bytes) {
            Ok(OneOrMany::One(r)) => Reply::Refund {
                status,
                refund: r.into(),
            },
            Ok(OneOrMany::Many(mut v)) if !v.is_empty() => Reply::Refund {
                status,
                refund: v.swap_remove(0).into(),
            },
            _ => Reply::Unknown {
                status: Some(status),
                reason: format!(
                    "HTTP {status} with a body that is not a refund: {}",
                    snippet(bytes)
                ),
            },
        };
    }
    match serde_json::from_slice::<ErrorBody>(bytes) {
        Ok(body) => Reply::Error {
            status,
            retry_after,
            cause: body.cause(),
        },
        // A gateway's HTML page or a cut body: a retryable status stays retryable,
        // anything else cannot be read as the API's verdict.
        Err(_) if status == 429 || status >= 500 || status == 423 || status == 424 => {
            Reply::Unknown {
                status: Some(status),
                reason: format!(
                    "HTTP {status} with a body that is not the API's: {}",
                    snippet(bytes)
                ),
            }
        }
        Err(_) if bytes.is_empty() || status == 401 || status == 403 => Reply::Error {
            status,
            retry_after,
            cause: None,
        },
        Err(_) => Reply::Error {
            status,
            retry_after,
            cause: Some(Cause {
                code: format!("http_{status}"),
                message: snippet(bytes),
            }),
        },
    }
}

fn snippet(bytes: &[u8]) -> String {
    let s = String::from_utf8_lossy(&bytes[..bytes.len().min(120)]);
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(RefundBody),
    Many(Vec<RefundBody>),
}

#[derive(Deserialize)]
struct RefundBody {
    id: Scalar,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    amount: Option<Decimal>,
}

impl From<RefundBody> for RefundInfo {
    fn from(r: RefundBody) -> Self {
        RefundInfo {
            id: r.id.into_string(),
            // The docs' older examples omit it; a created refund without a status
            // is an approved one.
            status: r.status.unwrap_or_else(|| "approved".to_owned()),
            amount: r.amount,
        }
    }
}

/// Numbers and strings both occur for ids and codes (`2063` and `"400048"`).
#[derive(Deserialize)]
#[serde(untagged)]
enum Scalar {
    Num(serde_json::Number),
    Str(String),
}

impl Scalar {
    fn into_string(self) -> String {
        match self {
            Scalar::Num(n) => n.to_string(),
            Scalar::Str(s) => s,
        }
    }
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    cause: Option<CauseField>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum CauseField {
    Many(Vec<CauseBody>),
    One(CauseBody),
}

#[derive(Deserialize)]
struct CauseBody {
    #[serde(default)]
    code: Option<Scalar>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

impl ErrorBody {
    fn cause(self) -> Option<Cause> {
        let first = match self.cause {
            Some(CauseField::Many(v)) => v.into_iter().next(),
            Some(CauseField::One(c)) => Some(c),
            None => None,
        };
        let fallback = self
            .message
            .clone()
            .or(self.error.clone())
            .unwrap_or_default();
        match first {
            Some(c) => Some(Cause {
                code: c.code.map(Scalar::into_string).unwrap_or_default(),
                message: c.description.or(c.message).unwrap_or(fallback),
            }),
            None if self.message.is_some() || self.error.is_some() => Some(Cause {
                code: self.error.unwrap_or_default(),
                message: fallback,
            }),
            None => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    use crate::domain::Amount;

    #[test]
    fn body_keeps_the_decimal_digits() {
        let a = Amount::new(Decimal::from_str("0.10").unwrap()).unwrap();
        assert_eq!(body(&Requested::Partial(a)), r#"{"amount":0.1}"#);
        let a = Amount::new(Decimal::from_str("12345678901234567.89").unwrap()).unwrap();
        assert_eq!(
            body(&Requested::Partial(a)),
            r#"{"amount":12345678901234567.89}"#
        );
        assert_eq!(body(&Requested::Full), "{}");
    }

    #[test]
    fn refund_object_and_array() {
        let seed = br#"{"id": 1009042015, "payment_id": 18552260055, "amount": 10.10,
            "metadata": [{}], "source": [{"id": "1003743392", "type": "collector"}],
            "status": "approved", "label": [{}], "unknown": {"x": 1}}"#;
        let Reply::Refund { refund: r, .. } = classify(201, None, seed) else {
            panic!()
        };
        assert_eq!(r.id, "1009042015");
        assert_eq!(r.amount, Some(Decimal::from_str("10.10").unwrap()));
        let arr = br#"[{"id": 1242469925, "payment_id": 51617407254, "amount": 25,
            "source": {"id": 783789745, "name": "Test", "type": "collector"},
            "status": "in_process"}]"#;
        let Reply::Refund { refund: r, .. } = classify(200, None, arr) else {
            panic!()
        };
        assert_eq!(
            (r.id.as_str(), r.status.as_str()),
            ("1242469925", "in_process")
        );
    }

    #[test]
    fn errors_with_numeric_and_string_codes() {
        let num = br#"{"message":"x","error":"bad_request","status":400,
            "cause":[{"code":2063,"description":"The action requested is not valid","data":null}]}"#;
        let str_ = br#"{"status":"404","error":"not_found","message":"Advanced payment not found.",
            "cause":[{"code":"404002","message":"Advanced payment not found","data":null}]}"#;
        assert_eq!(
            classify(400, None, num),
            Reply::Error {
                status: 400,
                retry_after: None,
                cause: Some(Cause {
                    code: "2063".into(),
                    message: "The action requested is not valid".into()
                })
            }
        );
        let Reply::Error { cause: Some(c), .. } = classify(404, None, str_) else {
            panic!()
        };
        assert_eq!(c.code, "404002");
        assert_eq!(c.message, "Advanced payment not found");
    }

    #[test]
    fn unreadable_answers_are_unknown() {
        let html = b"<html><body><h1>502 Bad Gateway</h1></body></html>";
        assert!(matches!(
            classify(502, None, html),
            Reply::Unknown {
                status: Some(502),
                ..
            }
        ));
        assert!(matches!(
            classify(201, None, b"{\"id\""),
            Reply::Unknown { .. }
        ));
        assert!(matches!(classify(200, None, b"[]"), Reply::Unknown { .. }));
        // A 4xx that is not JSON is still the API's refusal.
        assert!(matches!(
            classify(400, None, b"bad"),
            Reply::Error { status: 400, .. }
        ));
    }

    #[test]
    fn api_base_must_be_tls_unless_loopback() {
        assert!(check_api_base("https://api.mercadopago.com").is_ok());
        assert!(check_api_base("http://127.0.0.1:8080").is_ok());
        assert!(check_api_base("http://localhost:1").is_ok());
        assert!(check_api_base("http://[::1]:1").is_ok());
        assert!(check_api_base("http://api.mercadopago.com").is_err());
        assert!(check_api_base("http://10.0.0.1").is_err());
        assert!(check_api_base("ftp://x").is_err());
    }

    #[test]
    fn token_never_shows() {
        let t = Token::new(" TEST-123 \n").unwrap();
        assert_eq!(format!("{t:?}"), "Token(<redacted>)");
        assert!(Token::new("  ").is_err());
    }
}
