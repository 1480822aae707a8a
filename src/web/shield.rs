//! What every answer of the console carries, and what a request that changes
//! anything must show besides its CSRF token: that a browser sent it from one
//! of the console's own pages.
//!
//! Invariants: the headers are `tower-http` layers over the whole router, so
//! no handler can forget them — a Content-Security-Policy that allows nothing
//! but the console's own files (no inline script, no framing), `nosniff`, no
//! `Referer` sent to other sites, `X-Frame-Options: DENY`, `Cache-Control: no-store` on
//! every answer that does not say otherwise (only the stylesheet and the
//! script do), and HSTS when the browser reaches the console over HTTPS. A
//! request other than GET/HEAD/OPTIONS whose browser names where it comes
//! from (`Origin`, `Sec-Fetch-Site`) is refused 403, in the person's
//! language, unless that is the console itself; one that names nothing (a
//! script, an old browser) still needs its CSRF token, as every POST does.

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_http::set_header::SetResponseHeaderLayer;

use super::error::AppError;
use super::i18n::M;

/// Scripts, styles, images, connections and forms: the console's own only.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; \
     connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; \
     object-src 'none'";
const HSTS: &str = "max-age=31536000";

/// `router` with the headers every answer carries. `secure`: the browser
/// reaches the console over HTTPS (its own, or a proxy's).
pub(crate) fn headers(router: Router, secure: bool) -> Router {
    let set = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::overriding(name, HeaderValue::from_static(value))
    };
    let hsts = move |_: &Response| secure.then(|| HeaderValue::from_static(HSTS));
    router
        .layer(set(header::CONTENT_SECURITY_POLICY, CSP))
        .layer(set(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        // Not `no-referrer`: a browser then sends `Origin: null` with the
        // console's own forms, and the same-origin check refuses them.
        .layer(set(header::REFERRER_POLICY, "same-origin"))
        .layer(set(header::X_FRAME_OPTIONS, "DENY"))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            hsts,
        ))
}

/// Refuses (403) a request that changes something and comes, by its
/// browser's word, from a page not the console's. `secure`: as [`headers`].
pub(crate) async fn same_origin(State(secure): State<bool>, req: Request, next: Next) -> Response {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| req.uri().authority().map(|a| a.as_str()))
        .map(str::to_owned);
    if safe || from_here(req.headers(), host.as_deref(), secure) {
        return next.run(req).await;
    }
    AppError::said(StatusCode::FORBIDDEN, M::ErrOrigin, &[]).into_response()
}

/// True unless the browser says the request comes from elsewhere: its
/// `Sec-Fetch-Site` is not `same-origin` (or `none`: typed by the person), or
/// its `Origin` is not this scheme and `host`.
fn from_here(headers: &HeaderMap, host: Option<&str>, secure: bool) -> bool {
    let text = |name: &str| headers.get(name).map(|v| v.to_str().unwrap_or("?"));
    if let Some(site) = text("sec-fetch-site")
        && !matches!(site, "same-origin" | "none")
    {
        return false;
    }
    let Some(origin) = text("origin") else {
        return true;
    };
    let scheme = if secure { "https" } else { "http" };
    let (Some(origin), Some(host)) = (origin.strip_prefix(&format!("{scheme}://")), host) else {
        return false;
    };
    let plain = |h: &str| {
        let default = if secure { ":443" } else { ":80" };
        h.strip_suffix(default).unwrap_or(h).to_ascii_lowercase()
    };
    plain(origin) == plain(host)
}

/// `GET /console.js`: the pages' one script (a file: no inline script runs).
pub(crate) async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        include_str!("console.js"),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn only_the_consoles_own_origin_passes() {
        let here = Some("127.0.0.1:8420");
        assert!(from_here(&with(&[]), here, false), "a script names nothing");
        assert!(from_here(
            &with(&[("origin", "http://127.0.0.1:8420")]),
            here,
            false
        ));
        assert!(from_here(
            &with(&[
                ("origin", "http://127.0.0.1:8420"),
                ("sec-fetch-site", "same-origin")
            ]),
            here,
            false
        ));
        assert!(from_here(&with(&[("sec-fetch-site", "none")]), here, false));
        for bad in [
            &[("origin", "http://evil.example")][..],
            &[("origin", "null")],
            &[("origin", "https://127.0.0.1:8420")],
            &[("origin", "http://127.0.0.1:8421")],
            &[("origin", "http://127.0.0.1:8420.evil.example")],
            &[("sec-fetch-site", "cross-site")],
            &[("sec-fetch-site", "same-site")],
            &[
                ("origin", "http://127.0.0.1:8420"),
                ("sec-fetch-site", "cross-site"),
            ],
        ] {
            assert!(!from_here(&with(bad), here, false), "{bad:?}");
        }
        assert!(!from_here(&with(&[("origin", "http://x")]), None, false));
    }

    #[test]
    fn over_https_the_default_port_and_case_do_not_matter() {
        let h = with(&[("origin", "https://Console.Example")]);
        assert!(from_here(&h, Some("console.example:443"), true));
        assert!(
            !from_here(&h, Some("console.example"), false),
            "http expected"
        );
    }
}
