//! One HTTP attempt at one refund, and nothing more: builds the request (bearer
//! token, the row's idempotency key, a body whose amount is written from the
//! `Decimal`'s own digits), sends it, and says what came back. Retrying is
//! `retry`'s decision and the runner's loop; this module never sleeps or loops.
//!
//! Invariants: the token lives only inside [`Token`], whose `Debug` is redacted, and
//! only ever leaves in the `Authorization` header; an answer that echoes it, in
//! any spelling, has it redacted before and after decoding. Plain `http://` is
//! accepted only for loopback hosts. A 2xx whose body does not pin down the refund
//! asked for (see [`answer`]) is an unknown outcome, not a success.

use std::net::IpAddr;
use std::time::{Duration, SystemTime};

use crate::Usage;
pub(crate) use crate::api::orders_api::{OrderReply, OrderView};
use crate::api::reply::snippet;
pub(crate) use crate::api::reply::{
    Answer, Fetched, MpRefund, PaymentReply, PaymentView, Question, Reply, classify,
    classify_error, classify_payment,
};
pub(crate) use crate::api::token::Token;
use crate::api::transport::{Http, Limits, Sent, TransportError};
use crate::domain::settings::ClientSettings;
use crate::domain::{OrderId, OrderRef, PaymentId, RefundAsk, Requested, Target};
use hyper::http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER, USER_AGENT};
use hyper::http::uri::{Authority, PathAndQuery, Scheme};
use hyper::http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Uri};

/// Checks `--api-base`: TLS everywhere, plain HTTP only to this machine.
pub(crate) fn check_api_base(raw: &str) -> Result<url::Url, Usage> {
    let url = url::Url::parse(raw.trim_end_matches('/')).map_err(|e| {
        // Never echo what may hold a password.
        let shown = if raw.contains('@') {
            "(not shown)"
        } else {
            raw
        };
        Usage(format!("--api-base {shown:?} is not a URL: {e}"))
    })?;
    if !url.username().is_empty() || url.password().is_some() {
        // The password would be stored with the batch's settings.
        return Err(Usage(
            "--api-base must not carry a user name or password (user:pass@); the access token comes from MP_ACCESS_TOKEN or --token-file".into(),
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        // Every request's path goes after the base's own.
        return Err(Usage(format!(
            "--api-base {raw:?} must not carry a query (?...) or a fragment (#...)"
        )));
    }
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

fn is_loopback(url: &url::Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Answers larger than this are not read: no refund object or error body comes
/// near it, and a hostile or broken server must not take the memory of a run.
pub(crate) const MAX_BODY: usize = 1 << 20;

/// Who asks, in every request's `User-Agent`.
const USER_AGENT_IS: &str = concat!("mprefund/", env!("CARGO_PKG_VERSION"));

#[derive(Debug, Clone)]
pub(crate) struct Client {
    /// Follows no redirect (a redirected POST may be replayed as a GET or
    /// dropped: "unknown" says it) and makes no attempt of its own: every one
    /// is the send loop's, with the row's key, counted and paced.
    http: Http,
    /// `--api-base`'s scheme and host, parsed once: a request's URL is
    /// these, `prefix` and the request's path.
    origin: (Scheme, Authority),
    /// `--api-base`'s own path, without its trailing `/`.
    prefix: String,
    /// `Bearer` and the token, marked sensitive.
    auth: HeaderValue,
    render_in_process: bool,
    /// Kept only to redact it from what servers answer.
    token: Token,
}

/// The most headers a request carries: the token, `Accept`, `User-Agent`,
/// `X-Render-In-Process-Refunds`, `Content-Type`, the key and `Host`.
const REQUEST_HEADERS: usize = 7;

/// Headers of our own, named once.
const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("x-idempotency-key");
const RENDER_IN_PROCESS: HeaderName = HeaderName::from_static("x-render-in-process-refunds");

impl Client {
    pub(crate) fn new(
        base: &url::Url,
        token: &Token,
        settings: &ClientSettings,
    ) -> anyhow::Result<Client> {
        let http = Http::new(Limits {
            connect: settings.connect_timeout,
            exchange: settings.request_timeout,
            idle_per_host: 256,
        })?;
        let uri = Uri::try_from(base.as_str())?;
        let (Some(scheme), Some(authority)) = (uri.scheme(), uri.authority()) else {
            anyhow::bail!("--api-base names no scheme or host");
        };
        Ok(Client {
            http,
            origin: (scheme.clone(), authority.clone()),
            prefix: uri.path().trim_end_matches('/').to_owned(),
            auth: token.bearer()?,
            render_in_process: settings.render_in_process,
            token: token.clone(),
        })
    }

    /// `--api-base` with `path` after its own path.
    fn url(&self, path: &str) -> Result<Uri, hyper::http::Error> {
        let mut parts = hyper::http::uri::Parts::default();
        parts.scheme = Some(self.origin.0.clone());
        parts.authority = Some(self.origin.1.clone());
        parts.path_and_query = Some(PathAndQuery::from_maybe_shared(format!(
            "{}{path}",
            self.prefix
        ))?);
        Ok(Uri::from_parts(parts)?)
    }

    /// A request to `path` with the headers every request carries: the
    /// token, what is accepted, who asks.
    fn request(&self, method: Method, path: &str, body: Sent) -> Made {
        let mut req = Request::new(body);
        *req.method_mut() = method;
        *req.uri_mut() = self.url(path)?;
        // Room for every header a request carries, the `Host` the pool adds
        // included: a map grown on the way is built twice.
        *req.headers_mut() = HeaderMap::with_capacity(REQUEST_HEADERS);
        let headers = req.headers_mut();
        headers.insert(AUTHORIZATION, self.auth.clone());
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        headers.insert(USER_AGENT, HeaderValue::from_static(USER_AGENT_IS));
        if self.render_in_process {
            headers.insert(RENDER_IN_PROCESS, HeaderValue::from_static("true"));
        }
        Ok(req)
    }

    /// `GET path`.
    fn get(&self, path: &str) -> Made {
        self.request(Method::GET, path, Sent::default())
    }

    /// `POST path` with a JSON `body`, and the row's idempotency key if any.
    fn post(&self, path: &str, key: Option<&str>, body: String) -> Made {
        let mut req = self.request(Method::POST, path, Sent::from(body))?;
        let headers = req.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if let Some(key) = key {
            headers.insert(IDEMPOTENCY_KEY, HeaderValue::from_str(key)?);
        }
        Ok(req)
    }

    /// One attempt. Never fails: every way it can go wrong is a [`Reply`].
    /// An order's partial refund is sent for the transaction its ask names
    /// (the runner fills in the order's only one when the row named none).
    pub(crate) async fn refund(&self, ask: &RefundAsk) -> Reply {
        let payment = match &ask.target {
            Target::Order(o) => return self.refund_order(ask, o).await,
            Target::Payment(p) | Target::AdvancedPayment(p) => *p,
        };
        let req = self.post(
            &ask.target.refund_path(),
            Some(ask.key.as_str()),
            body(&ask.requested),
        );
        let answer = match self.exchange(req).await {
            Ok(answer) => answer,
            Err(unknown) => return unknown,
        };
        let mut reply = classify(
            answer.status,
            answer.retry_after,
            &answer.body,
            Question {
                payment,
                requested: &ask.requested,
            },
        );
        self.token.scrub_reply(&mut reply);
        reply
    }
}

impl Client {
    async fn refund_order(&self, ask: &RefundAsk, order: &OrderRef) -> Reply {
        let req = self.post(
            &ask.target.refund_path(),
            Some(ask.key.as_str()),
            crate::api::orders_api::body(&ask.requested, order.transaction.as_ref()),
        );
        let answer = match self.exchange(req).await {
            Ok(answer) => answer,
            Err(unknown) => return unknown,
        };
        let mut reply = crate::api::orders_api::classify(
            answer.status,
            answer.retry_after,
            &answer.body,
            crate::api::orders_api::OrderAsked {
                order: &order.order,
                transaction: order.transaction.as_ref(),
                requested: &ask.requested,
            },
        );
        self.token.scrub_reply(&mut reply);
        reply
    }

    /// One `GET /v1/orders/{id}`. Never fails: every way it can go wrong is
    /// an [`OrderReply`].
    pub(crate) async fn order(&self, id: OrderId) -> OrderReply {
        let req = self.get(&format!("/v1/orders/{id}"));
        let mut reply = match self.exchange(req).await {
            Ok(a) if (200..300).contains(&a.status) => match OrderView::parse(&a.body) {
                Ok(view) => OrderReply::Found(view),
                Err(why) => OrderReply::Failed(Reply::Unknown {
                    status: Some(a.status),
                    retry_after: a.retry_after,
                    reason: format!("HTTP {}: {why}: {}", a.status, snippet(&a.body)),
                    net: None,
                }),
            },
            Ok(a) => OrderReply::Failed(classify_error(a.status, a.retry_after, &a.body)),
            Err(unknown) => OrderReply::Failed(unknown),
        };
        if let OrderReply::Failed(r) = &mut reply {
            self.token.scrub_reply(r);
        }
        reply
    }
}

/// `Retry-After` is either delay-seconds or an HTTP-date (RFC 9110 §10.2.3); the
/// clock is an argument so that both forms are tested exactly.
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when =
        time::OffsetDateTime::parse(v, &time::format_description::well_known::Rfc2822).ok()?;
    let when = SystemTime::from(when);
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

impl Client {
    /// One `GET /v1/payments/{id}` (with its refunds, in-process ones included).
    /// Never fails: every way it can go wrong is a [`PaymentReply`].
    pub(crate) async fn payment(&self, id: PaymentId) -> PaymentReply {
        let req = self.get(&format!("/v1/payments/{id}"));
        let mut reply = match self.exchange(req).await {
            Ok(a) => classify_payment(a.status, a.retry_after, &a.body),
            Err(unknown) => PaymentReply::Failed(unknown),
        };
        if let PaymentReply::Failed(r) = &mut reply {
            self.token.scrub_reply(r);
        }
        reply
    }

    /// One request to the account API (reports): `POST path` with `body`, or
    /// `GET path`; the answer read as any other (bounded, token redacted). `Err`
    /// is an unknown outcome.
    pub(crate) async fn account(
        &self,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<Answer, Reply> {
        let req = match body {
            Some(b) => self.post(path, None, b.to_string()),
            None => self.get(path),
        };
        self.exchange(req).await
    }

    /// `GET path` into the file `to` (through `to.part`, renamed when whole),
    /// streamed: a report can be far larger than any answer [`MAX_BODY`] lets in
    /// memory. One larger than `max_bytes` is refused (said by its length, else
    /// cut off as it passes the bound) and nothing of it is kept. The answer
    /// has no body: a 200 is the file written, any other status is not read.
    pub(crate) async fn download(
        &self,
        path: &str,
        to: &std::path::Path,
        max_bytes: u64,
    ) -> Result<Answer, DownloadError> {
        use std::io::Write;
        let transport = |e: &TransportError| DownloadError::Transport(e.reason());
        let mut req = self
            .get(path)
            .map_err(|e| DownloadError::Transport(format!("the request could not be made: {e}")))?;
        req.headers_mut()
            .insert(ACCEPT, HeaderValue::from_static("text/csv, */*"));
        let resp = self.http.send(req).await.map_err(|e| transport(&e))?;
        let status = resp.status;
        if status != 200 {
            return Ok(Answer {
                status,
                retry_after: retry_after(&resp.headers),
                body: Vec::new(),
            });
        }
        if resp.content_length().is_some_and(|n| n > max_bytes) {
            return Err(DownloadError::TooLarge);
        }
        let part = to.with_extension("part");
        let local = |p: &std::path::Path, e: std::io::Error| {
            DownloadError::Local(format!("{}: {e}", p.display()))
        };
        let written = async {
            let mut file =
                std::io::BufWriter::new(std::fs::File::create(&part).map_err(|e| local(&part, e))?);
            let mut resp = resp;
            let mut got: u64 = 0;
            while let Some(chunk) = resp.chunk().await.map_err(|e| transport(&e))? {
                got += chunk.len() as u64;
                if got > max_bytes {
                    return Err(DownloadError::TooLarge);
                }
                file.write_all(&chunk).map_err(|e| local(&part, e))?;
            }
            let file = file
                .into_inner()
                .map_err(|e| local(&part, e.into_error()))?;
            file.sync_all().map_err(|e| local(&part, e))?;
            std::fs::rename(&part, to).map_err(|e| local(to, e))
        }
        .await;
        if written.is_err() {
            let _ = std::fs::remove_file(&part);
        }
        written.map(|()| Answer {
            status,
            retry_after: None,
            body: Vec::new(),
        })
    }

    /// Sends `req` and reads the [`Answer`]. `Err` is an unknown outcome: no
    /// answer, or one that could not be read.
    async fn exchange(&self, req: Made) -> Result<Answer, Reply> {
        let req = req.map_err(|e| Reply::Unknown {
            status: None,
            retry_after: None,
            reason: format!("the request could not be made, nothing was sent: {e}"),
            net: None,
        })?;
        let resp = self.http.send(req).await.map_err(|e| Reply::Unknown {
            status: None,
            retry_after: None,
            reason: e.reason(),
            net: crate::api::network::fault_of(&e),
        })?;
        let status = resp.status;
        let retry_after = retry_after(&resp.headers);
        match read_bounded(resp).await {
            Ok(bytes) => {
                // Copy only an answer that holds the token (a copy per answer costs).
                let redacted = match self.token.redact(&bytes) {
                    std::borrow::Cow::Owned(r) => Some(r),
                    std::borrow::Cow::Borrowed(_) => None,
                };
                Ok(Answer {
                    status,
                    retry_after,
                    body: redacted.unwrap_or(bytes),
                })
            }
            Err(reason) => Err(Reply::Unknown {
                status: Some(status),
                retry_after,
                reason,
                net: None,
            }),
        }
    }
}

/// Why [`Client::download`] gave no file.
#[derive(Debug)]
pub(crate) enum DownloadError {
    /// No answer, or one cut short: worth asking again.
    Transport(String),
    /// The file is larger than allowed: asking again would not help.
    TooLarge,
    /// It could not be written here (disk full, permissions...).
    Local(String),
}

/// A request, or why it could not be one (a header or the URL), which no
/// caller's path leads to.
type Made = Result<Request<Sent>, hyper::http::Error>;

/// The answer's `Retry-After`, if it says one we can read.
fn retry_after(headers: &hyper::http::HeaderMap) -> Option<Duration> {
    headers
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, SystemTime::now()))
}

/// The body, or why it could not be had within [`MAX_BODY`].
async fn read_bounded(mut resp: crate::api::transport::Response) -> Result<Vec<u8>, String> {
    let too_large = || format!("the answer is larger than {MAX_BODY} bytes; not read");
    let said = resp.content_length();
    if said.is_some_and(|n| n > MAX_BODY as u64) {
        return Err(too_large());
    }
    // Room for what the answer says it holds, up to what an answer usually
    // is: a length said is no promise of bytes to come.
    let mut body = Vec::with_capacity(said.map_or(0, |n| n.min(16 << 10) as usize));
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > MAX_BODY {
                    return Err(too_large());
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(body),
            Err(e) => return Err(e.reason()),
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::reply::*;
    use crate::domain::{Cause, CauseCode, RefundInfo};
    use rust_decimal::Decimal;
    use std::str::FromStr;

    use crate::domain::Amount;

    fn partial(s: &str) -> Requested {
        Requested::Partial(Amount::new(Decimal::from_str(s).unwrap()).unwrap())
    }

    /// Classifies `bytes` as the answer to "refund `amount` of `payment`".
    fn answer(status: u16, bytes: &[u8], payment: u64, requested: &Requested) -> Reply {
        let asked = Question {
            payment: PaymentId::new(payment).unwrap(),
            requested,
        };
        classify(status, None, bytes, asked)
    }

    fn any(status: u16, bytes: &[u8]) -> Reply {
        answer(status, bytes, 1, &Requested::Full)
    }

    /// The refund of an answer that is the refund asked, as asked.
    fn as_asked(status: u16, bytes: &[u8], payment: u64, requested: &Requested) -> RefundInfo {
        let Reply::Refund {
            refund,
            mismatch: None,
            ..
        } = answer(status, bytes, payment, requested)
        else {
            panic!("not the refund asked, as asked")
        };
        refund
    }

    #[test]
    fn retry_after_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_767); // 1994-11-06 08:49:27 GMT
        assert_eq!(parse_retry_after(" 7 ", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }

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
        let r = as_asked(201, seed, 18552260055, &partial("10.1"));
        assert_eq!(r.id, "1009042015");
        assert_eq!(r.amount, Some(Decimal::from_str("10.10").unwrap()));
        let arr = br#"[{"id": 1242469925, "payment_id": 51617407254, "amount": 25,
            "source": {"id": 783789745, "name": "Test", "type": "collector"},
            "status": "in_process"}]"#;
        let r = as_asked(200, arr, 51617407254, &partial("25"));
        assert_eq!(
            (r.id.as_str(), r.status.as_str()),
            ("1242469925", "in_process")
        );
    }

    #[test]
    fn a_body_that_is_no_refund_is_an_unknown_outcome() {
        for body in [
            &br#"{"id": true, "status": "approved", "amount": 10}"#[..],
            br#"  [{"id": {"n": 1}, "status": "approved", "amount": 10}]"#,
            br#"{"status": "approved", "amount": 10}"#,
            br#""approved""#,
            b"",
            br#"{"id": 5, "status": "approved", "amount": 10} trailing"#,
        ] {
            assert!(
                matches!(
                    any(201, body),
                    Reply::Unknown {
                        status: Some(201),
                        ..
                    }
                ),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        let spaced = b"\n [ {\"id\": \"77\", \"status\": \"approved\", \"amount\": 10} ]";
        assert!(matches!(any(201, spaced), Reply::Refund { refund, .. } if refund.id == "77"));
    }

    #[test]
    fn errors_with_numeric_and_string_codes() {
        let num = br#"{"message":"x","error":"bad_request","status":400,
            "cause":[{"code":2063,"description":"The action requested is not valid","data":null}]}"#;
        let str_ = br#"{"status":"404","error":"not_found","message":"Advanced payment not found.",
            "cause":[{"code":"404002","message":"Advanced payment not found","data":null}]}"#;
        assert_eq!(
            any(400, num),
            Reply::Error {
                status: 400,
                retry_after: None,
                cause: Some(Cause {
                    code: CauseCode::Other("2063".into()),
                    message: "The action requested is not valid".into()
                })
            }
        );
        let Reply::Error { cause: Some(c), .. } = any(404, str_) else {
            panic!()
        };
        assert_eq!(c.code, CauseCode::Other("404002".into()));
        assert_eq!(c.message, "Advanced payment not found");
    }

    /// The Orders API's errors (`{"errors": [{code, message, details}]}`)
    /// become their typed causes; a payment's status word of an order is not
    /// a payment's.
    #[test]
    fn the_orders_errors_are_read_as_their_codes() {
        use crate::domain::OrderCause;
        use strum::IntoEnumIterator;
        for code in OrderCause::iter() {
            let body =
                format!(r#"{{"errors":[{{"code":"{code}","message":"why","details":["x"]}}]}}"#);
            let Reply::Error { cause, .. } = any(400, body.as_bytes()) else {
                panic!("{code}: an error")
            };
            let cause = cause.unwrap();
            assert_eq!(cause.code, CauseCode::Order(code));
            assert_eq!(cause.message, "why");
        }
        let Reply::Error { cause, .. } = any(500, br#"{"errors":[{"code":"500"}]}"#) else {
            panic!("an error")
        };
        assert_eq!(cause.unwrap().code, CauseCode::Http(500));
        let processed = br#"{"id": 7, "payment_id": 1, "amount": 5, "status": "processed"}"#;
        assert!(matches!(
            answer(201, processed, 1, &partial("5")),
            Reply::Unknown { .. }
        ));
    }

    #[test]
    fn unreadable_answers_are_unknown() {
        let html = b"<html><body><h1>502 Bad Gateway</h1></body></html>";
        assert!(matches!(
            any(502, html),
            Reply::Unknown {
                status: Some(502),
                ..
            }
        ));
        assert!(matches!(any(201, b"{\"id\""), Reply::Unknown { .. }));
        assert!(matches!(any(200, b"[]"), Reply::Unknown { .. }));
        // A 4xx that is not JSON is still the API's refusal.
        assert!(matches!(any(400, b"bad"), Reply::Error { status: 400, .. }));
    }

    #[test]
    fn a_refund_is_checked_against_the_question() {
        let ok = br#"{"id": 7, "payment_id": 1000, "amount": 25.00, "status": "approved"}"#;
        assert!(matches!(
            answer(201, ok, 1000, &partial("25")),
            Reply::Refund { mismatch: None, .. }
        ));
        let mismatch =
            |bytes: &[u8], requested: &Requested| match answer(201, bytes, 1000, requested) {
                Reply::Refund {
                    mismatch: Some(c), ..
                } => c.code,
                other => panic!("{other:?}"),
            };
        assert_eq!(mismatch(ok, &partial("20")), CauseCode::AmountDiffers);
        let negative = br#"{"id": 7, "payment_id": 1000, "amount": -25, "status": "approved"}"#;
        assert_eq!(
            mismatch(negative, &Requested::Full),
            CauseCode::AmountDiffers
        );
        let other = br#"{"id": 7, "payment_id": 999, "amount": 25, "status": "approved"}"#;
        assert_eq!(mismatch(other, &partial("25")), CauseCode::PaymentDiffers);
        let other_str = br#"{"id": 7, "payment_id": "999", "amount": 25, "status": "approved"}"#;
        assert_eq!(
            mismatch(other_str, &partial("25")),
            CauseCode::PaymentDiffers
        );
        // A full refund has no asked amount to compare.
        assert!(matches!(
            answer(201, ok, 1000, &Requested::Full),
            Reply::Refund { mismatch: None, .. }
        ));
        // No status: nobody can say the money moved.
        let no_status = br#"{"id": 7, "payment_id": 1000, "amount": 25}"#;
        assert!(matches!(
            answer(201, no_status, 1000, &partial("25")),
            Reply::Unknown { .. }
        ));
    }

    #[test]
    fn an_array_is_searched_for_this_refund() {
        let arr = br#"[{"id": 1, "payment_id": 1000, "amount": 5, "status": "approved"},
                       {"id": 2, "payment_id": 1000, "amount": 25, "status": "in_process"}]"#;
        let Reply::Refund {
            refund, mismatch, ..
        } = answer(200, arr, 1000, &partial("25"))
        else {
            panic!()
        };
        assert_eq!((refund.id.as_str(), mismatch), ("2", None));
        // Several refunds, none of them this one: not a success.
        assert!(matches!(
            answer(200, arr, 1000, &partial("7")),
            Reply::Unknown { .. }
        ));
        assert!(matches!(
            answer(200, arr, 2000, &partial("25")),
            Reply::Unknown { .. }
        ));
    }

    #[test]
    fn a_full_refund_in_an_array_is_the_latest_of_the_payment_or_unknown() {
        let arr = br#"[{"id": 1, "payment_id": 1000, "amount": 5, "status": "approved",
                        "date_created": "2026-01-01T10:00:00.000-03:00"},
                       {"id": 2, "payment_id": 1000, "amount": 95, "status": "approved",
                        "date_created": "2026-01-02T10:00:00.000-03:00"}]"#;
        let Reply::Refund { refund, .. } = answer(200, arr, 1000, &Requested::Full) else {
            panic!()
        };
        assert_eq!(refund.id, "2");
        let undated = br#"[{"id": 1, "payment_id": 1000, "amount": 5, "status": "approved"},
                           {"id": 2, "payment_id": 1000, "amount": 95, "status": "approved"}]"#;
        assert!(matches!(
            answer(200, undated, 1000, &Requested::Full),
            Reply::Unknown { .. }
        ));
    }

    #[test]
    fn a_refund_says_what_moved_or_it_is_unknown() {
        let reason = |bytes: &[u8], requested: &Requested| match answer(201, bytes, 1000, requested)
        {
            Reply::Unknown { reason, .. } => reason,
            other => panic!("{other:?}"),
        };
        // Approved without an amount: money moved, how much nobody says.
        let r = reason(
            br#"{"id": 7, "payment_id": 1000, "status": "approved"}"#,
            &Requested::Full,
        );
        assert!(r.contains("without an amount"), "{r}");
        // A status not spelled as the API's is none of them.
        let r = reason(
            br#"{"id": 7, "payment_id": 1000, "amount": 25, "status": "approved "}"#,
            &partial("25"),
        );
        assert!(r.contains(r#""approved ""#), "{r}");
        // 32 digits are no amount of money; nor are 27 decimals rounded into one.
        for amount in [
            "12345678901234567890123456789012",
            "25.000000000000000000000000000001",
        ] {
            let body = format!(
                r#"{{"id": 7, "payment_id": 1000, "amount": {amount}, "status": "approved"}}"#
            );
            let r = reason(body.as_bytes(), &Requested::Full);
            assert!(r.contains("amount"), "{r}");
        }
        // A rejected refund moved nothing: its amount may be missing.
        assert!(matches!(
            answer(
                201,
                br#"{"id": 7, "payment_id": 1000, "status": "rejected"}"#,
                1000,
                &Requested::Full
            ),
            Reply::Refund { mismatch: None, .. }
        ));
        // Trailing zeros past the currency's decimals are the same amount.
        let refund = as_asked(
            201,
            br#"{"id": 7, "payment_id": "01000", "amount": 25.000, "status": "approved"}"#,
            1000,
            &partial("25"),
        );
        assert_eq!(refund.amount.unwrap().to_string(), "25.00");
        // Leading zeros name the same payment.
        assert!(matches!(
            answer(
                201,
                br#"{"id": 7, "payment_id": "06000001", "amount": 25, "status": "approved"}"#,
                6_000_001,
                &partial("25")
            ),
            Reply::Refund { mismatch: None, .. }
        ));
    }

    #[test]
    fn a_429_is_the_api_pacing_whatever_its_body() {
        let ra = Some(Duration::from_secs(2));
        let asked = Question {
            payment: PaymentId::new(1).unwrap(),
            requested: &Requested::Full,
        };
        for body in [&b"<html>Too Many Requests</html>"[..], b""] {
            assert!(matches!(
                classify(429, ra, body, asked),
                Reply::Error {
                    status: 429,
                    retry_after,
                    ..
                } if retry_after == ra
            ));
        }
        // An unreadable 503 is an unknown outcome that still carries Retry-After.
        assert!(matches!(
            classify(503, ra, b"<html>down</html>", asked),
            Reply::Unknown {
                status: Some(503),
                retry_after,
                ..
            } if retry_after == ra
        ));
    }

    #[test]
    fn payments_are_read_leniently_and_never_invented() {
        let odd = br#"{"id": 5, "status": "approved", "transaction_amount": "100.00",
            "transaction_amount_refunded": 25, "currency_id": "BRL",
            "refunds": [{"id": "77", "amount": "25.00", "status": "approved"},
                        {"amount": 1}, {"id": 78, "amount": 3.5}]}"#;
        let PaymentReply::Found(p) = classify_payment(200, None, odd) else {
            panic!()
        };
        assert_eq!(
            p.transaction_amount,
            Some(Decimal::from_str("100.00").unwrap())
        );
        let refunds = p.refunds.unwrap();
        assert_eq!(refunds.len(), 2, "a refund without an id is no refund");
        assert_eq!(refunds[1].id, "78");
        assert_eq!(refunds[1].status, None);
        let PaymentReply::Found(p) = classify_payment(200, None, br#"{"status": "approved"}"#)
        else {
            panic!()
        };
        assert_eq!(p.refunds, None, "no refunds array is not an empty one");
        assert!(matches!(
            classify_payment(200, None, b"<html>ok</html>"),
            PaymentReply::Failed(Reply::Unknown { .. })
        ));
        assert!(matches!(
            classify_payment(
                404,
                None,
                br#"{"message":"not found","status":404,"cause":[{"code":2000}]}"#
            ),
            PaymentReply::Failed(Reply::Error { status: 404, .. })
        ));
    }

    #[test]
    fn api_base_must_be_tls_unless_loopback() {
        let refused = check_api_base("http://user:hunter2@127.0.0.1:8080").unwrap_err();
        assert!(!refused.0.contains("hunter2"), "{}", refused.0);
        assert!(check_api_base("https://user@api.mercadopago.com").is_err());
        assert!(check_api_base("https://api.mercadopago.com").is_ok());
        assert!(check_api_base("http://127.0.0.1:8080").is_ok());
        assert!(check_api_base("http://localhost:1").is_ok());
        assert!(check_api_base("http://[::1]:1").is_ok());
        assert!(check_api_base("http://api.mercadopago.com").is_err());
        assert!(check_api_base("http://10.0.0.1").is_err());
        assert!(check_api_base("ftp://x").is_err());
        assert!(check_api_base("https://gw.example/mp?x=1").is_err());
        assert!(check_api_base("https://gw.example/mp#x").is_err());
    }

    #[test]
    fn a_request_url_is_the_api_base_with_the_path_after_its_own() {
        let token = Token::new("TEST-x").unwrap();
        for (base, want) in [
            (
                "http://127.0.0.1:8080",
                "http://127.0.0.1:8080/v1/payments/5/refunds",
            ),
            (
                "http://127.0.0.1:8080/",
                "http://127.0.0.1:8080/v1/payments/5/refunds",
            ),
            (
                "https://gw.example/mp/",
                "https://gw.example/mp/v1/payments/5/refunds",
            ),
        ] {
            let client = Client::new(
                &check_api_base(base).unwrap(),
                &token,
                &ClientSettings::default(),
            )
            .unwrap();
            assert_eq!(
                client.url("/v1/payments/5/refunds").unwrap().to_string(),
                want
            );
        }
    }

    #[test]
    fn a_refund_request_has_room_for_the_host_the_pool_adds() {
        let client = Client::new(
            &check_api_base("http://127.0.0.1:8080").unwrap(),
            &Token::new("TEST-x").unwrap(),
            &ClientSettings {
                render_in_process: true,
                ..ClientSettings::default()
            },
        )
        .unwrap();
        let mut req = client
            .post("/v1/payments/5/refunds", Some("mpr1-00ff"), "{}".to_owned())
            .unwrap();
        let room = req.headers().capacity();
        req.headers_mut().insert(
            hyper::http::header::HOST,
            HeaderValue::from_static("127.0.0.1:8080"),
        );
        assert_eq!(req.headers().len(), REQUEST_HEADERS);
        assert_eq!(req.headers().capacity(), room, "the map was not grown");
    }
}
