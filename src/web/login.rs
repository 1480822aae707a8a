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

use std::sync::Arc;

use axum::extract::{Extension, Form, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::app::Shared;
use super::auth;
use super::error::AppError;
use super::extract::Remote;
use super::gate::{BUSY_RETRY_SECS, Gate, Held, Turn};
use super::i18n::Words;
use super::store::Action;
use super::users;
use super::view::{self, LoginProblem};
use crate::domain::clock::now_ms;

/// The longest account name (`console users add` takes no longer one).
pub(crate) const MAX_NAME_CHARS: usize = 64;
/// The longest password checked: argon2 reads all of it.
const MAX_PASSWORD_BYTES: usize = 1024;

/// `GET /login`: the form, in a session of its own (its token is the form's).
pub(crate) async fn form(
    State(app): State<Shared>,
    w: Words,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let now = now_ms();
    let current = match app.sessions.current(&headers, now) {
        Some(c) if c.user.is_some() => return Ok(Redirect::to("/").into_response()),
        Some(c) => c,
        None => app.sessions.start(None, now)?,
    };
    let page = view::login(w, &current.csrf, "", None, StatusCode::OK);
    let cookie = app.sessions.cookie(&current.id);
    Ok(([(header::SET_COOKIE, cookie)], page).into_response())
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

/// The login form again, with `problem`, answered `status`; `retry` seconds
/// in `Retry-After`.
fn again(
    w: Words,
    csrf: &str,
    typed: &str,
    problem: LoginProblem,
    status: StatusCode,
    retry: Option<u64>,
) -> Response {
    let mut r = view::login(w, csrf, typed, Some(problem), status);
    if let Some(secs) = retry
        && let Ok(v) = HeaderValue::from_str(&secs.max(1).to_string())
    {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
    r
}

/// `POST /login`.
pub(crate) async fn login(
    State(app): State<Shared>,
    Extension(gate): Extension<Arc<Gate>>,
    w: Words,
    remote: Remote,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, AppError> {
    let now = now_ms();
    // The form must come from our login page: its session and token (login CSRF).
    let current = app.sessions.current(&headers, now).ok_or(AppError::Csrf)?;
    let token = Some(form.csrf.as_str()).filter(|t| !t.is_empty());
    if !auth::csrf_matches(&current.csrf, token.or(auth::csrf_header(&headers))) {
        return Err(AppError::Csrf);
    }
    let again = |typed: &str, problem, status, retry| {
        again(w, &current.csrf, typed, problem, status, retry)
    };
    let name = form.user.trim();
    if name.chars().count() > MAX_NAME_CHARS || form.password.len() > MAX_PASSWORD_BYTES {
        // No account has such a name: nothing is written, nothing echoed.
        let problem = LoginProblem::TooLong(MAX_NAME_CHARS);
        return Ok(again("", problem, StatusCode::UNPROCESSABLE_ENTITY, None));
    }
    if let Err(Held::Rate(secs)) = gate.admit(remote.client, name) {
        let status = StatusCode::TOO_MANY_REQUESTS;
        return Ok(again(name, LoginProblem::Rate(secs), status, Some(secs)));
    }
    let Ok(turn) = gate.turn().await else {
        let status = StatusCode::SERVICE_UNAVAILABLE;
        let retry = Some(BUSY_RETRY_SECS);
        return Ok(again(name, LoginProblem::Busy, status, retry));
    };
    // Counted before the password is checked: a guess the lockout refuses is
    // never checked, however many come at once.
    let counted = app.store().count_login_attempt(name, now)?;
    if let Err(wait) = counted {
        drop(turn);
        app.audit(Some(name), Action::LoginThrottled, &remote, None, None)?;
        let secs = wait.div_ceil(1000);
        let status = StatusCode::TOO_MANY_REQUESTS;
        return Ok(again(name, LoginProblem::Wait(secs), status, Some(secs)));
    }
    let user = app.store().user(name)?.filter(|u| !u.disabled);
    let hash = user
        .as_ref()
        .map_or_else(|| app.stand_in_hash.clone(), |u| u.password_hash.clone());
    let ok = checked(&gate, turn, form.password, hash).await?;
    match user {
        Some(u) if ok => {
            app.store().login_succeeded(&u.name)?;
            app.sessions.end(&current.id);
            let session = app.sessions.start(Some(u.name.clone()), now)?;
            app.audit(Some(&u.name), Action::LoginOk, &remote, None, None)?;
            Ok((
                [(header::SET_COOKIE, app.sessions.cookie(&session.id))],
                Redirect::to("/"),
            )
                .into_response())
        }
        found => {
            let why = super::detail::Detail::LoginFailed {
                known: found.is_some(),
            };
            app.audit(Some(name), Action::LoginFailed, &remote, None, Some(why))?;
            let status = StatusCode::UNAUTHORIZED;
            Ok(again(name, LoginProblem::Wrong, status, None))
        }
    }
}

/// Whether `password` is the one `hash` was made of, checked on a blocking
/// thread in `turn`'s memory (argon2's), given back for the next.
async fn checked(
    gate: &Gate,
    mut turn: Turn,
    password: String,
    hash: String,
) -> anyhow::Result<bool> {
    let mut memory = std::mem::take(&mut turn.memory);
    let (ok, memory) = tokio::task::spawn_blocking(move || {
        let ok = users::verify_in(&password, &hash, &mut memory);
        (ok, memory)
    })
    .await?;
    gate.give_back(memory);
    drop(turn);
    Ok(ok)
}
