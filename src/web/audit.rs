//! The audit trail as people read it — approvers and admins: `GET /audit`
//! (the latest entries) and `GET /audit.csv` (all of them). Entries are
//! appended by the handlers through `App::audit`; no route edits or deletes
//! one (the store refuses it too).
//!
//! Invariant: the CSV is written by `sheet`, which neutralises every cell, so a name
//! typed into the login form cannot become a formula in a spreadsheet.

use askama::Template;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::error::AppError;
use super::extract::{Api, Auditor, Page, Remote, Viewer};
use super::i18n::M;
use super::pages::{Chrome, render};
use super::server::Shared;
use super::store::{Action, Entry};

/// Entries the page shows; the CSV has them all.
const PAGE_ENTRIES: u32 = 500;

struct Shown {
    at: String,
    user: String,
    action: String,
    remote: String,
    batch: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "audit.html", config = "src/web/askama.toml")]
struct AuditPage {
    chrome: Chrome,
    entries: Vec<Shown>,
    limit: u32,
}

/// `GET /audit`: the latest entries.
pub(crate) async fn page(
    State(app): State<Shared>,
    v: Viewer<Page, Auditor>,
) -> Result<Response, AppError> {
    let entries = app.store().audit(Some(PAGE_ENTRIES))?;
    let entries = entries
        .into_iter()
        .map(|e| Shown {
            at: v.words.date(e.at_ms),
            user: e.user.unwrap_or_default(),
            action: e.action,
            remote: e.remote.unwrap_or_default(),
            batch: e.batch.unwrap_or_default(),
            detail: e.detail.unwrap_or_default(),
        })
        .collect();
    let page = AuditPage {
        chrome: v.chrome(),
        entries,
        limit: PAGE_ENTRIES,
    };
    Ok(render(&page, StatusCode::OK))
}

/// `GET /audit.csv`: every entry, the download itself the last.
pub(crate) async fn csv(
    State(app): State<Shared>,
    remote: Remote,
    v: Viewer<Api, Auditor>,
) -> Result<Response, AppError> {
    // Recorded first: the download itself is in the file.
    app.audit(Some(&v.name), Action::AuditDownload, &remote, None, None)?;
    let entries = app.store().audit(None)?;
    let body = csv_of(&entries)?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"mprefund-audit.csv\"",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response())
}

/// The entries, oldest first, as a CSV with every cell neutralised (the one
/// sheet writer; no batch, so the plain dialect).
fn csv_of(newest_first: &[Entry]) -> anyhow::Result<Vec<u8>> {
    let mut w = crate::sheets::sheet::Sheet::new(Vec::new(), crate::sheets::sheet::Dialect::default())?;
    w.row(["at", "user", "action", "remote", "batch", "detail"])?;
    for e in newest_first.iter().rev() {
        let cells = [
            crate::domain::clock::rfc3339(e.at_ms),
            e.user.clone().unwrap_or_default(),
            e.action.clone(),
            e.remote.clone().unwrap_or_default(),
            e.batch.clone().unwrap_or_default(),
            e.detail.clone().unwrap_or_default(),
        ];
        w.row(&cells)?;
    }
    w.into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_csv_is_oldest_first_with_formulas_neutralised() {
        let e = |at, user: &str| Entry {
            at_ms: at,
            user: Some(user.to_owned()),
            action: "login_failed".into(),
            remote: Some("127.0.0.1:5".into()),
            batch: None,
            detail: Some("=1+1".into()),
        };
        let body = csv_of(&[e(2_000, "=HYPERLINK(\"http://x\")"), e(1_000, "ana")]).unwrap();
        let text = String::from_utf8(body).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "at,user,action,remote,batch,detail");
        assert!(lines[1].starts_with("1970-01-01T00:00:01Z,ana,"), "{text}");
        assert!(lines[1].ends_with(",'=1+1"), "{text}");
        assert!(lines[2].contains("'=HYPERLINK"), "{text}");
    }
}
