//! What a console handler takes from its request, each checked once, here:
//! the request's language ([`Words`]), who sent it ([`Remote`]), the account
//! behind its session ([`Viewer`]), a POST's form with its CSRF token and the
//! role its step needs ([`Actor`]), a file's multipart form ([`FileForm`]),
//! and the batch in its path ([`Batch`], [`Step`]). A handler names what it
//! needs in its arguments and refuses nothing of this itself.
//!
//! Invariants: the checks come in one order — a body that is no form, then
//! the session (401, or the login form for a page), then the CSRF token
//! (403), then the role (403), then the batch (404) — so no answer tells a
//! stranger whether a batch exists; the account is read again on every
//! request, so a disabled account or a changed role takes effect at once; a
//! batch id is 32 lowercase hex digits or no batch (never a path).

use std::marker::PhantomData;
use std::net::SocketAddr;
use std::ops::Deref;

use axum::extract::{ConnectInfo, Form, FromRequest, FromRequestParts, Multipart, Path, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::Role;
pub(crate) use super::app::Remote;
use super::app::{App, Shared};
use super::auth;
use super::error::AppError;
use super::i18n::{Lang, M, Words};
pub(crate) use super::store::batch_id;
use super::store::{Action, Refusal, Upload};
use super::view::{self, Chrome, Problem};
use crate::domain::clock::now_ms;

/// The cookie that keeps the language a person chose.
pub(crate) const LANG_COOKIE: &str = "mprefund_lang";

/// The language of a request: `?lang=` on a GET (for that page only: nothing
/// stored), else the `lang` cookie a person set, else the browser's
/// `Accept-Language`.
pub(crate) fn lang_of(method: &Method, uri: &Uri, headers: &HeaderMap) -> Lang {
    let query = (method == Method::GET)
        .then(|| uri.query())
        .flatten()
        .into_iter()
        .flat_map(|q| q.split('&'))
        .filter_map(|pair| pair.strip_prefix("lang="))
        .find_map(Lang::from_tag);
    query
        .or_else(|| auth::cookie_value(headers, LANG_COOKIE).and_then(Lang::from_tag))
        .unwrap_or_else(|| {
            Lang::negotiate(
                headers
                    .get(header::ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok()),
            )
        })
}

/// The words a request is answered in: its language, at the console's zone.
pub(crate) fn words_of(app: &App, method: &Method, uri: &Uri, headers: &HeaderMap) -> Words {
    Words {
        lang: lang_of(method, uri, headers),
        zone: app.offset,
        look_only: app.send.is_none(),
    }
}

/// The path and query of a request: where the language switcher comes back.
pub(crate) fn here_of(uri: &Uri) -> String {
    uri.path_and_query()
        .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned())
}

impl FromRequestParts<Shared> for Words {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, app: &Shared) -> Result<Words, Self::Rejection> {
        Ok(words_of(app, &parts.method, &parts.uri, &parts.headers))
    }
}

impl FromRequestParts<Shared> for Remote {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, app: &Shared) -> Result<Remote, AppError> {
        let ConnectInfo(peer) = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .copied()
            .ok_or_else(|| anyhow::anyhow!("no peer address: served without connect info"))?;
        let forwarded = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok());
        Ok(Remote::of(peer, forwarded, app.behind_proxy))
    }
}

/// How a route answers a request without a session: [`Page`] — a page a
/// person asked for, to the login form; [`Api`] — JSON, downloads and POSTs,
/// 401.
pub(crate) trait Reply: Send + Sync + 'static {
    const PAGE: bool;
}

pub(crate) struct Page;
pub(crate) struct Api;

impl Reply for Page {
    const PAGE: bool = true;
}

impl Reply for Api {
    const PAGE: bool = false;
}

/// Which roles may do what a route does.
pub(crate) trait Rule: Send + Sync + 'static {
    fn allows(role: Role) -> bool;
}

/// Every role.
pub(crate) struct Anyone;
/// Who may upload a spreadsheet and submit it.
pub(crate) struct Uploader;
/// Who may read the audit trail.
pub(crate) struct Auditor;

impl Rule for Anyone {
    fn allows(_: Role) -> bool {
        true
    }
}

impl Rule for Uploader {
    fn allows(role: Role) -> bool {
        role.may_upload()
    }
}

impl Rule for Auditor {
    fn allows(role: Role) -> bool {
        role.may_audit()
    }
}

/// A logged-in account making a request, and the words its pages are in.
#[derive(Debug, Clone)]
pub(crate) struct Account {
    pub session: String,
    pub name: String,
    pub role: Role,
    pub csrf: String,
    pub words: Words,
    /// The request's path and query.
    pub here: String,
}

impl Account {
    /// The frame of a page for this account.
    pub(crate) fn chrome(&self) -> Chrome {
        let a = self;
        Chrome {
            csrf: a.csrf.clone(),
            user: Some(a.name.clone()),
            role: a.words.t(a.role.label()),
            may_audit: a.role.may_audit(),
            w: a.words,
            here: a.here.clone(),
        }
    }
}

/// The account behind a request's session, `K` saying how a request without
/// one is answered, `R` which roles may ask (403 for the others).
pub(crate) struct Viewer<K = Page, R = Anyone> {
    pub account: Account,
    _kind: PhantomData<fn() -> (K, R)>,
}

impl<K, R> Deref for Viewer<K, R> {
    type Target = Account;

    fn deref(&self) -> &Account {
        &self.account
    }
}

/// The account behind the session the request carries (the first extractor
/// that asks looks it up; the others of the request take that one).
async fn account(parts: &mut Parts, app: &Shared, page: bool) -> Result<Account, AppError> {
    if let Some(a) = parts.extensions.get::<Account>() {
        return Ok(a.clone());
    }
    let no_session = AppError::NoSession { page };
    let current = app
        .sessions
        .current(&parts.headers, now_ms())
        .ok_or(AppError::NoSession { page })?;
    let Some(name) = current.user else {
        return Err(no_session);
    };
    let user = app.store().user(&name)?;
    let Some(user) = user.filter(|u| !u.disabled) else {
        app.sessions.end(&current.id);
        return Err(no_session);
    };
    let a = Account {
        session: current.id,
        name,
        role: user.role,
        csrf: current.csrf,
        words: words_of(app, &parts.method, &parts.uri, &parts.headers),
        here: here_of(&parts.uri),
    };
    parts.extensions.insert(a.clone());
    Ok(a)
}

impl<K: Reply, R: Rule> FromRequestParts<Shared> for Viewer<K, R> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, app: &Shared) -> Result<Self, AppError> {
        let account = account(parts, app, K::PAGE).await?;
        if !R::allows(account.role) {
            return Err(AppError::Role);
        }
        Ok(Viewer {
            account,
            _kind: PhantomData,
        })
    }
}

/// A form posted to the console: it carries the session's CSRF token (else
/// the `X-CSRF-Token` header does).
pub(crate) trait Posted: DeserializeOwned + Send {
    fn csrf(&self) -> &str;

    /// The form of a request that sent none at all, when that is allowed.
    fn absent() -> Option<Self> {
        None
    }
}

/// A form of nothing but the token.
#[derive(Debug, Deserialize)]
pub(crate) struct Csrf {
    #[serde(default)]
    csrf: String,
}

/// Logging out: a script may send the token as a header and no form at all.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Leave {
    #[serde(default)]
    csrf: String,
}

/// The forms whose token is their `csrf` field.
macro_rules! posted {
    ($($form:ty),* $(,)?) => {
        $(impl $crate::web::extract::Posted for $form {
            fn csrf(&self) -> &str {
                &self.csrf
            }
        })*
    };
}

posted!(Csrf);
pub(crate) use posted;

impl Posted for Leave {
    fn csrf(&self) -> &str {
        &self.csrf
    }

    fn absent() -> Option<Leave> {
        Some(Leave::default())
    }
}

/// A POST by a logged-in account that carries its session's CSRF token and
/// whose role `R` allows it, with its form `F`.
pub(crate) struct Actor<R = Anyone, F = Csrf> {
    pub who: Account,
    /// Who sent it, as the audit trail records it.
    pub remote: Remote,
    pub form: F,
    _rule: PhantomData<fn() -> R>,
}

impl<R: Rule, F: Posted + 'static> FromRequest<Shared> for Actor<R, F> {
    type Rejection = AppError;

    async fn from_request(req: Request, app: &Shared) -> Result<Self, AppError> {
        let (mut parts, body) = req.into_parts();
        // Looked up now, judged after the form: a body that is no form is
        // refused as such, whoever sent it.
        let who = account(&mut parts, app, false).await;
        let header = auth::csrf_header(&parts.headers).map(str::to_owned);
        let remote = Remote::from_request_parts(&mut parts, app).await?;
        let path = parts.uri.path().to_owned();
        let form = match Form::<F>::from_request(Request::from_parts(parts, body), app).await {
            Ok(Form(form)) => form,
            Err(refused) => F::absent().ok_or_else(|| AppError::answer(refused))?,
        };
        let who = who?;
        let token = Some(form.csrf())
            .filter(|t| !t.is_empty())
            .or(header.as_deref());
        // A refused step is audited by where it was posted; never the token.
        let refused = |why: Refusal, refusal: AppError| {
            let detail = Some(super::detail::Detail::refused_step(&path, why));
            let action = Action::StepRefused;
            match app.audit(Some(&who.name), action, &remote, None, detail) {
                Ok(()) => refusal,
                Err(failed) => failed,
            }
        };
        if !auth::csrf_matches(&who.csrf, token) {
            return Err(refused(Refusal::Forged, AppError::Csrf));
        }
        if !R::allows(who.role) {
            return Err(refused(Refusal::Role, AppError::Role));
        }
        Ok(Actor {
            who,
            remote,
            form,
            _rule: PhantomData,
        })
    }
}

/// A POST whose body is a multipart form (a file and its fields), by the
/// account behind its session: a body that is no multipart form is refused
/// as such first, whoever sent it, then the session. Its CSRF token is the
/// header's or the form's own field, read as the form streams in.
pub(crate) struct FileForm {
    pub v: Viewer<Api>,
    /// The CSRF token's header, when the request carries one.
    pub header: Option<String>,
    pub multipart: Multipart,
}

impl FromRequest<Shared> for FileForm {
    type Rejection = AppError;

    async fn from_request(req: Request, app: &Shared) -> Result<Self, AppError> {
        let (mut parts, body) = req.into_parts();
        let v = Viewer::<Api>::from_request_parts(&mut parts, app).await;
        let header = auth::csrf_header(&parts.headers).map(str::to_owned);
        let multipart = Multipart::from_request(Request::from_parts(parts, body), app)
            .await
            .map_err(AppError::answer)?;
        Ok(FileForm {
            v: v?,
            header,
            multipart,
        })
    }
}

/// The batch `id` names, if it is one.
pub(crate) fn find(app: &App, id: &str) -> anyhow::Result<Option<Upload>> {
    match batch_id(id) {
        Some(id) => app.store().upload(id),
        None => Ok(None),
    }
}

/// The batch of the route's `{id}`, and the viewer it is shown to (the
/// session is checked before the batch is looked up); a page's 404 is a page
/// of the console.
pub(crate) struct Batch<K = Page>(pub Upload, pub Viewer<K>);

impl<K: Reply> FromRequestParts<Shared> for Batch<K> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, app: &Shared) -> Result<Self, AppError> {
        let viewer = Viewer::<K>::from_request_parts(parts, app).await?;
        let Path(id) = Path::<String>::from_request_parts(parts, app)
            .await
            .map_err(AppError::answer)?;
        match find(app, &id)? {
            Some(u) => Ok(Batch(u, viewer)),
            None if K::PAGE => Err(AppError::answer(view::message(
                viewer.chrome(),
                StatusCode::NOT_FOUND,
                Problem::NotFound,
                "",
            ))),
            None => Err(AppError::said(StatusCode::NOT_FOUND, M::ErrNoBatch, &[])),
        }
    }
}

/// A step on the batch of the route's `{id}`: an [`Actor`]'s POST, then the
/// batch (404 after the token and the role are checked); with the console it
/// is a step of, all a step's handler takes.
pub(crate) struct Step<R = Anyone, F = Csrf> {
    pub app: Shared,
    pub remote: Remote,
    pub who: Account,
    pub batch: Upload,
    pub form: F,
    _rule: PhantomData<fn() -> R>,
}

impl<R, F> Step<R, F> {
    /// The console, who sent it from where, the batch, the form.
    pub(crate) fn into_parts(self) -> (Shared, Remote, Account, Upload, F) {
        (self.app, self.remote, self.who, self.batch, self.form)
    }
}

impl<R: Rule, F: Posted + 'static> FromRequest<Shared> for Step<R, F> {
    type Rejection = AppError;

    async fn from_request(req: Request, app: &Shared) -> Result<Self, AppError> {
        let (mut parts, body) = req.into_parts();
        let id = Path::<String>::from_request_parts(&mut parts, app).await;
        let actor = Actor::<R, F>::from_request(Request::from_parts(parts, body), app).await?;
        let found = match id {
            Ok(Path(id)) => find(app, &id)?,
            Err(_) => None,
        };
        let batch =
            found.ok_or_else(|| AppError::said(StatusCode::NOT_FOUND, M::ErrNoBatch, &[]))?;
        Ok(Step {
            app: app.clone(),
            remote: actor.remote,
            who: actor.who,
            batch,
            form: actor.form,
            _rule: PhantomData,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::IpAddr;

    #[test]
    fn the_client_is_the_one_a_proxy_names_else_the_peer() {
        let peer: SocketAddr = "10.0.0.1:4000".parse().unwrap();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let of = |forwarded: Option<&str>, behind: bool| Remote::of(peer, forwarded, behind);
        assert_eq!(of(None, true).client, ip("10.0.0.1"));
        assert_eq!(of(None, true).shown, "10.0.0.1:4000");
        let named = of(Some("198.51.100.1, 203.0.113.9"), true);
        assert_eq!(named.client, ip("203.0.113.9"));
        assert_eq!(named.shown, "203.0.113.9 via 10.0.0.1:4000");
        assert_eq!(of(Some("[2001:db8::1]:5"), true).client, ip("2001:db8::1"));
        assert_eq!(of(Some("garbage"), true).client, ip("10.0.0.1"));
        assert_eq!(of(Some("garbage"), true).shown, "garbage via 10.0.0.1:4000");
        // Without a proxy in front, what the request says is not believed.
        assert_eq!(of(Some("203.0.113.9"), false), of(None, false));
    }

    #[test]
    fn batch_ids_are_generated_hex_only() {
        assert!(batch_id(&"a1".repeat(16)).is_some());
        assert!(batch_id(&"A1".repeat(16)).is_none());
        assert!(batch_id("../../state").is_none());
        assert!(batch_id(&"a".repeat(33)).is_none());
    }
}
