//! The login form and logging in: what a try costs and in which order it is
//! paid — the form's own session and token; a name (64 characters at most) and
//! a password of bounded length, refused before anything is written; the rates
//! of its client address and of its name (`gate`); a turn to check a password
//! (one per core); the attempt counted in the state file (`lockout`); only
//! then argon2.
//!
//! Invariants: a name no account has (or a disabled one) goes the same way as
//! an account's — the same limits, the same lockout, a password checked
//! against a stand-in hash of the same cost — so no answer, status or delay
//! tells which names exist; of any number of guesses at once, only those the
//! lockout lets through are checked; a login gets a new session id.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, Extension, Form, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::auth::{self, Refusal};
use super::gate::{BUSY_RETRY_SECS, Gate, Held};
use super::pages::{self, LoginProblem};
use super::server::{Early, Shared, either, internal};
use super::store::Action;
use super::users;
use crate::clock::now_ms;

/// The longest account name (`console users add` takes no longer one).
pub(crate) const MAX_NAME_CHARS: usize = 64;
/// The longest password checked: argon2 reads all of it.
const MAX_PASSWORD_BYTES: usize = 1024;

pub(crate) async fn form(State(app): State<Shared>, headers: HeaderMap) -> Response {
    let now = now_ms();
    let current = match app.sessions.current(&headers, now) {
        Some(c) if c.user.is_some() => return Redirect::to("/").into_response(),
        Some(c) => c,
        None => match app.sessions.start(None, now) {
            Ok(c) => c,
            Err(e) => return internal(e),
        },
    };
    let page = pages::login(&current.csrf, "", None, StatusCode::OK);
    (
        [(header::SET_COOKIE, app.sessions.cookie(&current.id))],
        page,
    )
        .into_response()
}

#[derive(Deserialize)]
pub(crate) struct LoginForm {
    #[serde(default)]
    user: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
}

pub(crate) async fn login(
    State(app): State<Shared>,
    Extension(gate): Extension<Arc<Gate>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    either(try_login(&app, &gate, peer, &headers, form).await)
}

/// The address a login is limited by: the client a proxy in front names
/// (`App::remote` reads it only with `--behind-proxy`), else the peer.
fn client_of(remote: &str, peer: SocketAddr) -> IpAddr {
    let client = remote.split(" via ").next().unwrap_or_default();
    client
        .parse::<IpAddr>()
        .or_else(|_| client.parse::<SocketAddr>().map(|s| s.ip()))
        .unwrap_or(peer.ip())
}

/// The login form again, with `problem`, answered `status`; `retry` seconds
/// in `Retry-After`.
fn again(
    csrf: &str,
    typed: &str,
    problem: LoginProblem,
    status: StatusCode,
    retry: Option<u64>,
) -> Response {
    let mut r = pages::login(csrf, typed, Some(problem), status);
    if let Some(secs) = retry
        && let Ok(v) = HeaderValue::from_str(&secs.max(1).to_string())
    {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
    r
}

async fn try_login(
    app: &Shared,
    gate: &Gate,
    peer: SocketAddr,
    headers: &HeaderMap,
    form: LoginForm,
) -> Result<Response, Early> {
    let now = now_ms();
    // The form must come from our login page: its session and token (login CSRF).
    let current = app.sessions.current(headers, now).ok_or(Refusal::Csrf)?;
    let token = Some(form.csrf.as_str()).filter(|t| !t.is_empty());
    if !auth::csrf_matches(&current.csrf, token.or(auth::csrf_header(headers))) {
        return Err(Refusal::Csrf.into());
    }
    let csrf = current.csrf.as_str();
    let name = form.user.trim();
    if name.chars().count() > MAX_NAME_CHARS || form.password.len() > MAX_PASSWORD_BYTES {
        // No account has such a name: nothing is written, nothing echoed.
        let problem = LoginProblem::TooLong(MAX_NAME_CHARS);
        return Ok(again(
            csrf,
            "",
            problem,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
        ));
    }
    let remote = app.remote(peer, headers);
    if let Err(Held::Rate(secs)) = gate.admit(client_of(&remote, peer), name) {
        let status = StatusCode::TOO_MANY_REQUESTS;
        return Ok(again(
            csrf,
            name,
            LoginProblem::Rate(secs),
            status,
            Some(secs),
        ));
    }
    let Ok(mut turn) = gate.turn().await else {
        let status = StatusCode::SERVICE_UNAVAILABLE;
        let retry = Some(BUSY_RETRY_SECS);
        return Ok(again(csrf, name, LoginProblem::Busy, status, retry));
    };
    // Counted before the password is checked: a guess the lockout refuses is
    // never checked, however many come at once.
    let counted = app
        .store()
        .count_login_attempt(name, now)
        .map_err(internal)?;
    if let Err(wait) = counted {
        drop(turn);
        app.audit(Some(name), Action::LoginThrottled, &remote, None, None)?;
        let secs = wait.div_ceil(1000);
        let status = StatusCode::TOO_MANY_REQUESTS;
        return Ok(again(
            csrf,
            name,
            LoginProblem::Wait(secs),
            status,
            Some(secs),
        ));
    }
    let user = app
        .store()
        .user(name)
        .map_err(internal)?
        .filter(|u| !u.disabled);
    let hash = user
        .as_ref()
        .map_or_else(|| app.stand_in_hash.clone(), |u| u.password_hash.clone());
    let password = form.password;
    let mut memory = std::mem::take(&mut turn.memory);
    let (ok, memory) = tokio::task::spawn_blocking(move || {
        let ok = users::verify_in(&password, &hash, &mut memory);
        (ok, memory)
    })
    .await
    .map_err(|e| internal(e.into()))?;
    gate.give_back(memory);
    drop(turn);
    match user {
        Some(u) if ok => {
            app.store().login_succeeded(&u.name).map_err(internal)?;
            app.sessions.end(&current.id);
            let session = app
                .sessions
                .start(Some(u.name.clone()), now)
                .map_err(internal)?;
            app.audit(Some(&u.name), Action::LoginOk, &remote, None, None)?;
            Ok((
                [(header::SET_COOKIE, app.sessions.cookie(&session.id))],
                Redirect::to("/"),
            )
                .into_response())
        }
        found => {
            let why = match &found {
                Some(_) => "wrong password",
                None => "no such account, or it is disabled",
            };
            app.audit(
                Some(name),
                Action::LoginFailed,
                &remote,
                None,
                Some(why.to_owned()),
            )?;
            Ok(again(
                csrf,
                name,
                LoginProblem::Wrong,
                StatusCode::UNAUTHORIZED,
                None,
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_is_the_one_a_proxy_names_else_the_peer() {
        let peer: SocketAddr = "10.0.0.1:4000".parse().unwrap();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(client_of("10.0.0.1:4000", peer), ip("10.0.0.1"));
        assert_eq!(
            client_of("203.0.113.9 via 10.0.0.1:4000", peer),
            ip("203.0.113.9")
        );
        assert_eq!(
            client_of("[2001:db8::1]:5 via 10.0.0.1:4000", peer),
            ip("2001:db8::1")
        );
        assert_eq!(client_of("garbage via 10.0.0.1:4000", peer), ip("10.0.0.1"));
    }
}
