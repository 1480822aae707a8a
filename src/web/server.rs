//! The console's HTTP server: where it may listen, the routes, the shared state
//! every handler reads, the language every answer is in, logout and the
//! language switch.
//!
//! Invariants: plain HTTP only on a loopback address, unless the console serves
//! HTTPS itself (`--tls-cert`/`--tls-key`, rustls on the ring backend the API
//! client already uses, served by `axum-server`) or a proxy in front terminates TLS
//! (`--behind-proxy`); over HTTPS the cookies are `Secure`; the certificate and
//! key are read and checked before the port is bound; the first line on stdout
//! is the URL bound, so a script (or a test) that asked for port 0 learns the
//! port; an upload is capped by `tower-http` before it is read whole; nothing
//! answers a GET by changing anything but a session's idle clock; every
//! refusal is said in the request's language (`speak`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Form, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use serde::Deserialize;
use tower_http::limit::RequestBodyLimitLayer;

use super::app::{App, Shared};
use super::auth::{self, Sessions};
use super::books::Written;
use super::error::{AppError, Unsaid};
use super::extract::{self, Actor, Anyone, LANG_COOKIE, Leave};
use super::i18n::{Lang, M};
use super::registry::Registry;
use super::store::{Action, Store};
use super::{pages, upload, users};
use crate::domain::clock::now_ms;
use crate::ops::SendOptions;
use crate::sheets::input::InputOptions;
use crate::{Exit, Usage};

pub(crate) struct Settings {
    pub state: PathBuf,
    pub input: InputOptions,
    /// What `--listen` resolved to (a name may give several): the first
    /// that binds.
    pub listen: Vec<SocketAddr>,
    /// Serve HTTPS with this certificate and key.
    pub tls: Option<super::Tls>,
    /// Days an uploaded spreadsheet is kept after its batch ended.
    pub upload_days: u32,
    pub behind_proxy: bool,
    pub idle: Duration,
    pub approval_days: u32,
    /// How approved batches are sent, or why they cannot be.
    pub send: anyhow::Result<SendOptions>,
    /// `--time-zone`: the zone pages show times in.
    pub offset: super::zone::Zone,
    /// Where a person is told of submissions, decisions and sends that ended
    /// badly (`notify_url`).
    /// `currency`: the account's, set (else read from Mercado Pago).
    pub currency: Option<crate::domain::Currency>,
    pub notify: Option<crate::engine::notify::Notifier>,
}

/// Refuses to listen beyond loopback in plain HTTP.
fn check_listen(addr: SocketAddr, tls: bool, behind_proxy: bool) -> Result<(), Usage> {
    if addr.ip().is_loopback() || tls || behind_proxy {
        return Ok(());
    }
    Err(Usage(format!(
        "--listen {addr}: beyond loopback the console needs HTTPS: give it a certificate \
         (--tls-cert FILE --tls-key FILE), or put it behind a reverse proxy that terminates \
         TLS and pass --behind-proxy, or listen on 127.0.0.1"
    )))
}

/// The rustls server settings of `--tls-cert`/`--tls-key`, or what is wrong
/// with either file, by name. On ring, the crypto backend the API client's
/// rustls already uses: no second one in the binary.
pub(crate) fn tls_config(t: &super::Tls) -> Result<rustls::ServerConfig, Usage> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let read = |flag: &str, path: &std::path::Path| {
        std::fs::read(path).map_err(|e| Usage(format!("{flag} {}: {e}", path.display())))
    };
    let cert = read("--tls-cert", &t.cert)?;
    let chain = CertificateDer::pem_slice_iter(&cert)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| {
            Usage(format!(
                "--tls-cert {}: not a PEM certificate: {e}",
                t.cert.display()
            ))
        })?;
    if chain.is_empty() {
        return Err(Usage(format!(
            "--tls-cert {}: no certificate in it (PEM, -----BEGIN CERTIFICATE-----)",
            t.cert.display()
        )));
    }
    let key = read("--tls-key", &t.key)?;
    let key = PrivateKeyDer::from_pem_slice(&key).map_err(|e| {
        Usage(format!(
            "--tls-key {}: no private key in it (PEM: PKCS#8, PKCS#1 or SEC1): {e}",
            t.key.display()
        ))
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Usage(format!("TLS: {e}")))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| {
            Usage(format!(
                "--tls-cert {} with --tls-key {}: {e} (is it the certificate's own key?)",
                t.cert.display(),
                t.key.display()
            ))
        })?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// How long open connections (a progress stream never ends by itself) may go
/// on after a stop is asked over HTTPS.
const TLS_DRAIN: Duration = Duration::from_secs(5);

pub(crate) async fn serve(s: Settings) -> anyhow::Result<Exit> {
    for addr in &s.listen {
        check_listen(*addr, s.tls.is_some(), s.behind_proxy)?;
    }
    let tls = s.tls.as_ref().map(tls_config).transpose()?;
    // No usable token, and not started to look only: refused before the state
    // file is opened (or made).
    let send = match s.send {
        Err(e) if e.is::<Usage>() => return Err(e),
        other => other,
    };
    // Old uploads go before the console serves, then every hour.
    super::keep::sweep_now(&s.state, s.upload_days, s.approval_days);
    tokio::spawn(super::keep::keep_sweeping(
        s.state.clone(),
        s.upload_days,
        s.approval_days,
    ));
    let mut store = Store::open(&s.state)?;
    // A send a killed console left `sending` becomes `stopped`, sendable again.
    super::sender::recover(&mut store, &s.state)?;
    if store.users()?.iter().all(|u| u.disabled) {
        tracing::warn!(
            "no account can log in yet: add one (it asks for its password) with {}",
            crate::domain::steps::Reach::console_of(&s.state).add_admin()
        );
    }
    let stand_in_hash = users::hash_password(&super::random_hex(16)?)?;
    let send = match send {
        Ok(send) => Some(send),
        Err(e) => {
            tracing::warn!("batches cannot be approved or sent from this console: {e:#}");
            None
        }
    };
    let secure = s.behind_proxy || tls.is_some();
    let app = Arc::new(App {
        store: Mutex::new(store),
        sessions: Sessions::new(s.idle, secure),
        input: s.input,
        state: s.state,
        behind_proxy: s.behind_proxy,
        secure,
        offset: s.offset,
        stand_in_hash,
        approval_days: s.approval_days,
        send,
        batches: Registry::default(),
        covers: super::covered::Covers::new(s.currency),
        notify: s.notify,
    });
    let listener = tokio::net::TcpListener::bind(s.listen.as_slice())
        .await
        .map_err(|e| {
            let named: Vec<String> = s.listen.iter().map(ToString::to_string).collect();
            Usage(format!("cannot listen on {}: {e}", named.join(" or ")))
        })?;
    let bound = listener.local_addr()?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on {scheme}://{bound}/")?;
        out.flush()?;
    }
    tracing::info!(address = %bound, scheme, "console serving");
    let service = router(app.clone()).into_make_service_with_connect_info::<SocketAddr>();
    match tls {
        None => {
            axum::serve(listener, service)
                .with_graceful_shutdown(shutdown())
                .await?;
        }
        Some(config) => {
            let handle = axum_server::Handle::<SocketAddr>::new();
            let stopping = handle.clone();
            tokio::spawn(async move {
                shutdown().await;
                stopping.graceful_shutdown(Some(TLS_DRAIN));
            });
            let config = axum_server::tls_rustls::RustlsConfig::from_config(Arc::new(config));
            axum_server::from_tcp_rustls(listener.into_std()?, config)?
                .handle(handle)
                .serve(service)
                .await?;
        }
    }
    // A batch being sent stops as `run` stops on SIGTERM: gracefully, its
    // state kept; the console is gone, so this waits for those sends to end.
    for send in app.batches.sends() {
        send.stop.request(crate::engine::send::StopReason::Signal);
    }
    while !app.batches.sends().is_empty() {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(Exit::Ok)
}

async fn shutdown() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = term => {}
    }
}

pub(crate) fn router(app: Shared) -> Router {
    let secure = app.secure;
    let uploads = Router::new()
        .route("/batches", post(upload::upload))
        .route("/batches/{id}/report", post(super::books::report))
        // The cap is checked on Content-Length before a byte of the body is
        // read, and counted as a body without one streams in.
        .layer(RequestBodyLimitLayer::new(upload::MAX_BODY_BYTES))
        .layer(DefaultBodyLimit::disable())
        // tower-http's own 413 says it in English: said again in the person's words.
        .layer(axum::middleware::map_response(too_large_in_words));
    let routes = Router::new()
        .route("/", get(pages::home))
        .route("/login", get(super::login::form).post(super::login::login))
        .route("/logout", post(logout))
        .route("/batches/{id}", get(pages::batch))
        .route("/batches/{id}/submit", post(super::review::submit))
        .route("/batches/{id}/approve", post(super::review::approve))
        .route("/batches/{id}/reject", post(super::review::reject))
        .route("/batches/{id}/send", post(super::send::send))
        .route("/batches/{id}/stop", post(super::send::stop))
        .route("/batches/{id}/events", get(super::send::events))
        .route("/batches/{id}/results", get(super::results::page))
        .route("/batches/{id}/results.csv", get(super::results::csv))
        .route(
            "/batches/{id}/results/download",
            get(super::people::download),
        )
        .route("/batches/{id}/retry", post(super::results::retry))
        .route(
            "/batches/{id}/reconcile",
            get(super::books::page).post(super::books::reconcile),
        )
        .route(
            "/batches/{id}/reconcile.csv",
            get(super::books::csv).layer(Extension(Written::Reconciliation)),
        )
        .route(
            "/batches/{id}/report.csv",
            get(super::books::csv).layer(Extension(Written::ReportMatch)),
        )
        .route("/batches/{id}/report", get(super::books::report_page))
        .route("/audit", get(super::audit::page))
        .route("/causes", get(pages::causes))
        .route("/audit.csv", get(super::audit::csv))
        .route("/console.css", get(stylesheet))
        .route("/console.js", get(super::shield::script))
        .route("/lang", post(set_lang))
        .merge(uploads)
        .fallback(pages::not_found)
        // Inside `speak`: a refusal is said in the person's language.
        .layer(axum::middleware::from_fn_with_state(
            secure,
            super::shield::same_origin,
        ))
        .layer(axum::middleware::from_fn_with_state(app.clone(), speak))
        .layer(axum::Extension(Arc::new(super::gate::Gate::new())))
        .with_state(app);
    super::shield::headers(routes, secure)
}

async fn too_large_in_words(resp: Response) -> Response {
    if resp.status() == StatusCode::PAYLOAD_TOO_LARGE {
        let mib = (upload::MAX_FILE_BYTES >> 20).to_string();
        return AppError::said(StatusCode::PAYLOAD_TOO_LARGE, M::ErrTooLarge, &[&mib])
            .into_response();
    }
    resp
}

/// Answers every request in its language: a refusal made without words
/// ([`Unsaid`]) is said here as a page of the console, with the way back; the
/// answer says which language (`Content-Language`) and what it depended on
/// (`Vary`).
async fn speak(State(app): State<Shared>, req: Request, next: Next) -> Response {
    let w = extract::words_of(&app, req.method(), req.uri(), req.headers());
    let here = extract::here_of(req.uri());
    let mut resp = next.run(req).await;
    if let Some(unsaid) = resp.extensions_mut().remove::<Unsaid>() {
        let said = unsaid.in_words(w.lang);
        resp = super::view::refusal(resp.status(), w, here, &said);
    }
    let h = resp.headers_mut();
    if let Ok(v) = header::HeaderValue::from_str(w.lang.code()) {
        h.insert(header::CONTENT_LANGUAGE, v);
    }
    h.append(
        header::VARY,
        header::HeaderValue::from_static("Accept-Language, Cookie"),
    );
    resp
}

#[derive(Deserialize)]
pub(crate) struct LangForm {
    #[serde(default)]
    lang: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    next: String,
}

/// `POST /lang` (form `lang`, `csrf`, `next`): keeps the language in a cookie,
/// then back to the page (`next`, a path of ours only). The session's token is
/// needed, logged in or on the login form: a page elsewhere cannot change it.
async fn set_lang(
    State(app): State<Shared>,
    headers: HeaderMap,
    Form(form): Form<LangForm>,
) -> Result<Response, AppError> {
    let current = app
        .sessions
        .current(&headers, now_ms())
        .ok_or(AppError::Csrf)?;
    let token = Some(form.csrf.as_str()).filter(|t| !t.is_empty());
    if !auth::csrf_matches(&current.csrf, token.or(auth::csrf_header(&headers))) {
        return Err(AppError::Csrf);
    }
    let lang = Lang::from_tag(&form.lang).ok_or_else(|| {
        AppError::said(StatusCode::UNPROCESSABLE_ENTITY, M::ErrUnknownLanguage, &[])
    })?;
    // Only a path of this site: never `//host` or `https://…` (no open redirect).
    let next = Some(form.next.as_str())
        .filter(|n| n.starts_with('/') && !n.starts_with("//") && !n.contains('\\'))
        .unwrap_or("/");
    let secure = if app.secure { "; Secure" } else { "" };
    let cookie = format!(
        "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; HttpOnly; SameSite=Strict{secure}",
        lang.code()
    );
    let cookie = header::HeaderValue::from_str(&cookie).map_err(anyhow::Error::from)?;
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to(next)).into_response())
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        include_str!("console.css"),
    )
        .into_response()
}

/// `POST /logout`: the session ends, audited.
async fn logout(
    State(app): State<Shared>,
    out: Actor<Anyone, Leave>,
) -> Result<Response, AppError> {
    app.sessions.end(&out.who.session);
    app.audit(Some(&out.who.name), Action::Logout, &out.remote, None, None)?;
    let cleared = app.sessions.cookie_cleared();
    Ok(([(header::SET_COOKIE, cleared)], Redirect::to("/login")).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_beyond_loopback_needs_a_proxy_in_front() {
        let at = |s: &str| s.parse::<SocketAddr>().unwrap();
        assert!(check_listen(at("127.0.0.1:8420"), false, false).is_ok());
        assert!(check_listen(at("[::1]:8420"), false, false).is_ok());
        let e = check_listen(at("0.0.0.0:8420"), false, false).unwrap_err();
        assert!(
            e.0.contains("--behind-proxy") && e.0.contains("--tls-cert"),
            "{e}"
        );
        assert!(check_listen(at("10.0.0.5:8420"), false, false).is_err());
        assert!(check_listen(at("0.0.0.0:8420"), false, true).is_ok());
        assert!(check_listen(at("0.0.0.0:8420"), true, false).is_ok());
    }
}
