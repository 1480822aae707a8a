//! The frame every page of the console shares ([`Chrome`]: the CSRF token,
//! who is logged in, the language) and the pages any handler may answer with:
//! a message, a refusal with its way back, the login form; and the words
//! naming a batch's state and a row's outcome.
//!
//! Invariant: every piece of text a person reads is in the templates and the
//! catalogue, in the request's language; askama escapes every value it
//! writes into HTML.

use askama::Template;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use super::error::AppError;
#[allow(unused_imports)] // the templates name the messages
use super::i18n::{M, Words};
use super::store::{BatchState, batch_id};
use crate::domain::Outcome;

/// What the frame of every page needs: the CSRF token for its forms and the
/// `<meta name="csrf-token">`, and who is logged in.
pub(crate) struct Chrome {
    pub csrf: String,
    pub user: Option<String>,
    pub role: &'static str,
    pub may_audit: bool,
    /// The request's language and time offset: `{{ chrome.w.t(M::…) }}`.
    pub w: Words,
    /// The page's path, where the language switcher comes back to.
    pub here: String,
}

impl Chrome {
    /// The frame of a page for no one logged in (no forms but the login's).
    pub(crate) fn anonymous(w: Words, csrf: &str, here: String) -> Chrome {
        Chrome {
            csrf: csrf.to_owned(),
            user: None,
            role: "",
            may_audit: false,
            w,
            here,
        }
    }
}

/// A template as an HTML response with `status`.
pub(crate) fn render(t: &impl Template, status: StatusCode) -> Response {
    match t.render() {
        Ok(html) => (status, [(header::CACHE_CONTROL, "no-store")], Html(html)).into_response(),
        Err(e) => AppError::from(anyhow::anyhow!("rendering a page: {e}")).into_response(),
    }
}

/// Why the login form is shown again.
pub(crate) enum LoginProblem {
    Wrong,
    /// Seconds to wait after too many failed logins.
    Wait(u64),
    /// Seconds to wait after too many logins from one place or at one name.
    Rate(u64),
    /// Every password check busy: try again shortly.
    Busy,
    /// A name longer than any account's (the most characters), or a password
    /// longer than any is checked.
    TooLong(usize),
}

#[derive(Template)]
#[template(path = "login.html", config = "src/web/askama.toml")]
struct LoginPage<'a> {
    chrome: Chrome,
    typed: &'a str,
    problem: Option<LoginProblem>,
}

pub(crate) fn login(
    w: Words,
    csrf: &str,
    typed: &str,
    problem: Option<LoginProblem>,
    status: StatusCode,
) -> Response {
    let chrome = Chrome::anonymous(w, csrf, "/login".to_owned());
    render(
        &LoginPage {
            chrome,
            typed,
            problem,
        },
        status,
    )
}

/// What went wrong, for a person, in the page's frame.
#[derive(Clone, Copy)]
pub(crate) enum Problem {
    NotFound,
    Empty,
    Spreadsheet,
    NoFile,
    Unreadable,
    /// Not a Mercado Pago report (`console::books`).
    NotAReport,
    /// The batch's spreadsheet was removed after it ended (`console::keep`).
    Removed,
    /// A step refused: the detail is its reason, in the person's words.
    Refused,
}

impl Problem {
    /// A refusal says its reason as a sentence, not as the engine's output.
    fn is_refused(&self) -> bool {
        matches!(self, Problem::Refused)
    }

    /// Its page's heading.
    fn title(&self) -> M {
        match self {
            Problem::NotFound => M::NotFoundTitle,
            Problem::Empty => M::EmptyTitle,
            Problem::Spreadsheet => M::WorkbookTitle,
            Problem::NoFile => M::NoFileTitle,
            Problem::Unreadable => M::UnreadableTitle,
            Problem::NotAReport => M::NotAReportTitle,
            Problem::Removed => M::RemovedTitle,
            Problem::Refused => M::RefusedTitle,
        }
    }

    /// What it says under its heading; a refusal says its reason instead.
    fn text(&self) -> Option<M> {
        Some(match self {
            Problem::NotFound => M::NotFoundText,
            Problem::Empty => M::EmptyText,
            Problem::Spreadsheet => M::WorkbookText,
            Problem::NoFile => M::NoFileText,
            Problem::Unreadable => M::UnreadableText,
            Problem::NotAReport => M::NotAReportText,
            Problem::Removed => M::RemovedText,
            Problem::Refused => return None,
        })
    }
}

#[derive(Template)]
#[template(path = "message.html", config = "src/web/askama.toml")]
struct MessagePage<'a> {
    chrome: Chrome,
    problem: Problem,
    /// The engine's own words, when it said why.
    detail: &'a str,
    /// The batch the refused step was about: the way back to it.
    batch: Option<String>,
}

pub(crate) fn message(
    chrome: Chrome,
    status: StatusCode,
    problem: Problem,
    detail: &str,
) -> Response {
    render(
        &MessagePage {
            chrome,
            problem,
            detail,
            batch: None,
        },
        status,
    )
}

/// A refusal as a page of the console: `said` (the reason and what to do, in
/// the request's language, `w`) with the way back — to the batch the request
/// (at `here`) was about, and to the list.
pub(crate) fn refusal(status: StatusCode, w: Words, here: String, said: &str) -> Response {
    let batch = here
        .strip_prefix("/batches/")
        .and_then(|rest| rest.split(['/', '?', '.']).next())
        .and_then(batch_id)
        .filter(|_| status != StatusCode::NOT_FOUND)
        .map(|id| format!("/batches/{id}"));
    let chrome = Chrome::anonymous(w, "", here);
    render(
        &MessagePage {
            chrome,
            problem: Problem::Refused,
            detail: said.trim_end(),
            batch,
        },
        status,
    )
}

/// What a step on a batch did, said once on the page it leads to (the batch's,
/// `?said=`): only these words, never text from the query.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, strum::EnumIter, strum::IntoStaticStr, strum::EnumString,
)]
#[strum(serialize_all = "kebab-case")]
pub(crate) enum Said {
    Uploaded,
    Submitted,
    Approved,
    Rejected,
    Sent,
    Canary,
    Retried,
    Stopped,
}

impl Said {
    /// `?said=` of the batch page: one of ours, or nothing.
    pub(crate) fn parse(query: Option<&str>) -> Option<Said> {
        query?
            .split('&')
            .find_map(|pair| pair.strip_prefix("said="))
            .and_then(|v| v.parse().ok())
    }

    pub(crate) fn message(self) -> M {
        match self {
            Said::Uploaded => M::SaidUploaded,
            Said::Submitted => M::SaidSubmitted,
            Said::Approved => M::SaidApproved,
            Said::Rejected => M::SaidRejected,
            Said::Sent => M::SaidSent,
            Said::Canary => M::SaidCanary,
            Said::Retried => M::SaidRetried,
            Said::Stopped => M::SaidStopped,
        }
    }
}

/// Back to the batch's page after a step, which says what was done.
pub(crate) fn to_batch(id: &str, said: Said) -> axum::response::Redirect {
    let said: &'static str = said.into();
    axum::response::Redirect::to(&format!("/batches/{id}?said={said}"))
}

/// The message naming a batch's state.
pub(crate) fn state_message(state: BatchState) -> M {
    match state {
        BatchState::Uploaded => M::StateUploaded,
        BatchState::Submitted => M::StateSubmitted,
        BatchState::Approved => M::StateApproved,
        BatchState::Rejected => M::StateRejected,
        BatchState::Sending => M::StateSending,
        BatchState::Stopped => M::StateStopped,
        BatchState::Finished => M::StateFinished,
        BatchState::Expired => M::StateExpired,
    }
}

/// The message naming a row's outcome.
pub(crate) fn outcome_message(o: Outcome) -> M {
    match o {
        Outcome::Refunded => M::OutcomeRefunded,
        Outcome::InProcess => M::OutcomeInProcess,
        Outcome::Failed => M::OutcomeFailed,
        Outcome::Invalid => M::OutcomeInvalid,
        Outcome::Pending => M::OutcomePending,
        Outcome::Unknown => M::OutcomeUnknown,
    }
}
