//! How a console request is refused or fails: [`AppError`], which every
//! handler and extractor returns, so a handler says `?` and the refusal is
//! made once, here.
//!
//! A refusal is said in the person's language, which the answer does not know
//! when it is made: it leaves here as a status with what to say ([`Unsaid`],
//! a response extension, no body), and the `speak` layer (`server`) says it
//! in the request's words as a page of the console, with the way back to the
//! batch the request was about.
//!
//! Invariants: a failure of ours is logged and answered 500 without its
//! details (a path, a query) reaching the browser; a request without a session
//! for a page goes to the login form, any other gets 401.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::i18n::{Lang, M, fill};

/// Why a request is not answered as asked.
#[derive(Debug)]
pub(crate) enum AppError {
    /// No live session with an account; `page`: a page a person asked for.
    NoSession { page: bool },
    /// A POST without the session's CSRF token.
    Csrf,
    /// The account's role may not do this.
    Role,
    /// Refused with `status`: message `m`, its `{0}`, `{1}`… filled by `args`.
    Said {
        status: StatusCode,
        m: M,
        args: Vec<String>,
    },
    /// Refused with `status`, in words the person reads already (made in
    /// their language, or the engine's own).
    Told { status: StatusCode, text: String },
    /// An answer made already: a page in the console's frame, or axum's own
    /// refusal of a body it could not read.
    Answer(Box<Response>),
    /// A failure of ours.
    Internal(anyhow::Error),
}

impl AppError {
    pub(crate) fn said(status: StatusCode, m: M, args: &[&str]) -> AppError {
        AppError::Said {
            status,
            m,
            args: args.iter().map(|a| (*a).to_owned()).collect(),
        }
    }

    pub(crate) fn told(status: StatusCode, text: impl Into<String>) -> AppError {
        AppError::Told {
            status,
            text: text.into(),
        }
    }

    pub(crate) fn answer(r: impl IntoResponse) -> AppError {
        AppError::Answer(Box::new(r.into_response()))
    }
}

impl From<anyhow::Error> for AppError {
    fn from(e: anyhow::Error) -> AppError {
        AppError::Internal(e)
    }
}

/// A refusal's words, to be said in the request's language by the `speak`
/// layer: an extension of the response, which has no body yet.
#[derive(Debug, Clone)]
pub(crate) enum Unsaid {
    Message(M, Vec<String>),
    Text(String),
}

impl Unsaid {
    pub(crate) fn in_words(&self, lang: Lang) -> String {
        match self {
            Unsaid::Message(m, args) => {
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                fill(lang, *m, &args)
            }
            Unsaid::Text(text) => text.clone(),
        }
    }
}

/// A response of `status` carrying `unsaid`, for the `speak` layer.
pub(crate) fn unsaid(status: StatusCode, unsaid: Unsaid) -> Response {
    let mut r = status.into_response();
    r.extensions_mut().insert(unsaid);
    r
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let message = |status, m| unsaid(status, Unsaid::Message(m, Vec::new()));
        match self {
            AppError::NoSession { page: true } => Redirect::to("/login").into_response(),
            AppError::NoSession { page: false } => {
                message(StatusCode::UNAUTHORIZED, M::ErrNotLoggedIn)
            }
            AppError::Csrf => message(StatusCode::FORBIDDEN, M::ErrCsrf),
            AppError::Role => message(StatusCode::FORBIDDEN, M::ErrRole),
            AppError::Said { status, m, args } => unsaid(status, Unsaid::Message(m, args)),
            AppError::Told { status, text } => unsaid(status, Unsaid::Text(text)),
            AppError::Answer(r) => *r,
            AppError::Internal(e) => {
                tracing::error!("console: {e:#}");
                message(StatusCode::INTERNAL_SERVER_ERROR, M::ErrInternal)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_leaves_unsaid_and_a_failure_without_its_details() {
        let r = AppError::said(StatusCode::CONFLICT, M::ErrNotSendable, &["x"]).into_response();
        assert_eq!(r.status(), StatusCode::CONFLICT);
        let said = r.extensions().get::<Unsaid>().unwrap();
        assert!(said.in_words(Lang::En).contains('x'), "{said:?}");
        let r = AppError::from(anyhow::anyhow!("/secret/path")).into_response();
        assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let said = r.extensions().get::<Unsaid>().unwrap().in_words(Lang::En);
        assert!(!said.contains("/secret"), "{said}");
        let r = AppError::NoSession { page: true }.into_response();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let r = AppError::NoSession { page: false }.into_response();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
}
