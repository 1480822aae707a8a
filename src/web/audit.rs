//! The audit trail as people read it — approvers and admins: `GET /audit`
//! (the latest entries) and `GET /audit.csv` (all of them). Entries are
//! appended by the handlers through `App::audit`, each with its detail typed
//! ([`Detail`]), said here in the reader's language; no route edits or
//! deletes one (the store refuses it too).
//!
//! Invariants: the CSV is written by `sheet`, which neutralises every cell, so a name
//! typed into the login form cannot become a formula in a spreadsheet.
//! Details written before they were typed are free text: shown as written.

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::app::Shared;
use super::detail::{Detail, named, why};
use super::error::AppError;
use super::extract::{Api, Auditor, Page, Remote, Viewer};
use super::i18n::{M, Words};
use super::store::{Action, Entry, Refusal};
use super::view::{Chrome, render};
use crate::sheets::sheet::Sheet;

/// Entries the page shows; the CSV has them all.
const PAGE_ENTRIES: u32 = 500;

const DAY_MS: i64 = 86_400_000;

/// One line of the trail as people read it: an entry, or one account's
/// logins of one kind on one day folded into one line, which says how many —
/// else the trail is mostly logins.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Line<'e> {
    /// The newest entry of the line.
    entry: &'e Entry,
    action: Option<Action>,
    count: usize,
    first_ms: i64,
    /// Where from, each place once.
    remotes: Vec<&'e str>,
}

fn is_login(a: Action) -> bool {
    matches!(
        a,
        Action::LoginOk | Action::LoginFailed | Action::LoginThrottled | Action::Logout
    )
}

/// The entries, newest first, with each account's logins (successful,
/// failed, paused; logouts) folded per kind and day — `day_of` says which
/// day a moment is at the console's time zone.
fn folded(newest_first: &[Entry], day_of: impl Fn(i64) -> i64) -> Vec<Line<'_>> {
    let mut lines: Vec<Line<'_>> = Vec::new();
    let mut at: HashMap<(&str, Option<&str>, i64), usize> = HashMap::new();
    for e in newest_first {
        let action = Action::of_stored(&e.action);
        let remote = e.remote.as_deref().unwrap_or_default();
        if let Some(a) = action.filter(|a| is_login(*a)) {
            let key = (a.as_str(), e.user.as_deref(), day_of(e.at_ms));
            if let Some(&i) = at.get(&key) {
                let line = &mut lines[i];
                line.count += 1;
                line.first_ms = e.at_ms;
                if !line.remotes.contains(&remote) {
                    line.remotes.push(remote);
                }
                continue;
            }
            at.insert(key, lines.len());
        }
        lines.push(Line {
            entry: e,
            action,
            count: 1,
            first_ms: e.at_ms,
            remotes: vec![remote],
        });
    }
    lines
}

/// What a line says in the person's words: the action, its detail.
fn said(line: &Line<'_>, w: Words) -> (String, String) {
    let e = line.entry;
    let action = line
        .action
        .map_or_else(|| e.action.clone(), |a| w.t(named(a)).to_owned());
    let detail = e.detail.as_deref().unwrap_or_default();
    let detail = if line.count > 1 {
        let args = [
            line.count.to_string(),
            w.date(line.first_ms),
            w.date(e.at_ms),
        ];
        super::i18n::fill(w.lang, M::AuditFolded, &args.each_ref().map(String::as_str))
    } else if let Some(typed) = Detail::of_stored(detail) {
        typed.said(w)
    } else {
        refusal_said(detail, w).unwrap_or_else(|| detail.to_owned())
    };
    (action, detail)
}

/// A refused step's detail as written before details were typed (`{step}:
/// {refusal}`), in words; `None` when it is not one.
fn refusal_said(detail: &str, w: Words) -> Option<String> {
    let (step, reason) = detail.split_once(": ")?;
    let reason = Refusal::of_stored(reason)?;
    let step =
        Action::of_stored(step).map_or_else(|| step.to_owned(), |a| w.t(named(a)).to_owned());
    let args = [step.as_str(), w.t(why(reason))];
    Some(super::i18n::fill(w.lang, M::AuditRefusedDetail, &args))
}

/// The file name of each batch the entries name (a batch gone is shown by its id).
fn file_names(app: &Shared, entries: &[Entry]) -> anyhow::Result<HashMap<String, String>> {
    let store = app.store();
    let mut names = HashMap::new();
    for id in entries.iter().filter_map(|e| e.batch.as_deref()) {
        if !names.contains_key(id)
            && let Some(u) = store.upload(id)?
        {
            names.insert(id.to_owned(), u.original_name);
        }
    }
    Ok(names)
}

/// The day `ms` is at the console's time zone, for folding.
fn day_of(w: Words) -> impl Fn(i64) -> i64 {
    move |ms| {
        let offset = i64::from(w.zone.offset_at(ms).whole_seconds()) * 1_000;
        (ms + offset).div_euclid(DAY_MS)
    }
}

struct Shown {
    at: String,
    user: String,
    action: String,
    remote: String,
    batch: String,
    file: String,
    detail: String,
}

fn shown(line: &Line<'_>, names: &HashMap<String, String>, w: Words) -> Shown {
    let e = line.entry;
    let (action, detail) = said(line, w);
    let batch = e.batch.clone().unwrap_or_default();
    Shown {
        at: w.date(e.at_ms),
        user: e.user.clone().unwrap_or_default(),
        action,
        remote: line.remotes.join(", "),
        file: names.get(&batch).cloned().unwrap_or_else(|| batch.clone()),
        batch,
        detail,
    }
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
    let names = file_names(&app, &entries)?;
    let entries = folded(&entries, day_of(v.words))
        .iter()
        .map(|l| shown(l, &names, v.words))
        .collect();
    let page = AuditPage {
        chrome: v.chrome(),
        entries,
        limit: PAGE_ENTRIES,
    };
    Ok(render(&page, StatusCode::OK))
}

/// `GET /audit.csv`: every entry, the download itself the last, in the
/// person's language and their spreadsheet's dialect.
pub(crate) async fn csv(
    State(app): State<Shared>,
    remote: Remote,
    v: Viewer<Api, Auditor>,
) -> Result<Response, AppError> {
    // Recorded first: the download itself is in the file.
    app.audit(Some(&v.name), Action::AuditDownload, &remote, None, None)?;
    let entries = app.store().audit(None)?;
    let names = file_names(&app, &entries)?;
    let body = csv_of(&entries, &names, v.words)?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"mprefund-audit.csv\"",
            ),
            (header::CACHE_CONTROL, "no-store"),
            (header::CONTENT_LANGUAGE, v.words.code()),
        ],
        body,
    )
        .into_response())
}

/// The entries, folded, oldest first, as a sheet for people (BOM, CRLF, the
/// language's delimiter) with every cell neutralised (the one sheet writer).
/// The action's stored name stays beside its words, for filtering.
fn csv_of(
    newest_first: &[Entry],
    names: &HashMap<String, String>,
    w: Words,
) -> anyhow::Result<Vec<u8>> {
    let mut sheet = Sheet::for_people(Vec::new(), super::people::dialect(w.lang))?;
    sheet.row([
        w.f(M::ColWhen, w.zone()),
        w.t(M::ColAccount).to_owned(),
        w.t(M::ColWhat).to_owned(),
        w.t(M::AuditColCode).to_owned(),
        w.t(M::ColFrom).to_owned(),
        w.t(M::ColBatch).to_owned(),
        w.t(M::AuditColBatchId).to_owned(),
        w.t(M::ColDetail).to_owned(),
    ])?;
    for line in folded(newest_first, day_of(w)).iter().rev() {
        let s = shown(line, names, w);
        sheet.row([
            s.at,
            s.user,
            s.action,
            line.entry.action.clone(),
            s.remote,
            s.file,
            s.batch,
            s.detail,
        ])?;
    }
    sheet.into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::i18n::Lang;

    fn entry(at_ms: i64, user: &str, action: Action, detail: Option<&str>) -> Entry {
        Entry {
            at_ms,
            user: Some(user.to_owned()),
            action: action.as_str().to_owned(),
            remote: Some("127.0.0.1:5".into()),
            batch: None,
            detail: detail.map(str::to_owned),
        }
    }

    #[test]
    fn the_csv_is_oldest_first_in_words_with_formulas_neutralised() {
        let mut up = entry(3_000, "ana", Action::Upload, Some("=1+1"));
        up.batch = Some("ab12".into());
        let entries = [
            up,
            entry(2_000, "=HYPERLINK(\"http://x\")", Action::LoginFailed, None),
            entry(1_000, "ana", Action::LoginOk, None),
        ];
        let names = HashMap::from([("ab12".to_owned(), "março.csv".to_owned())]);
        let body = csv_of(&entries, &names, Words::utc(Lang::PtBr)).unwrap();
        let text = String::from_utf8(body).unwrap();
        assert!(text.starts_with('\u{feff}'), "{text}");
        let lines: Vec<&str> = text.split("\r\n").collect();
        assert!(lines[0].contains(";Conta;"), "{text}");
        assert!(
            lines[1].starts_with("01/01/1970 00:00:01;ana;Entrou;login;"),
            "{text}"
        );
        assert!(lines[2].contains("'=HYPERLINK"), "{text}");
        assert!(lines[3].contains(";março.csv;ab12;'=1+1"), "{text}");
    }

    #[test]
    fn logins_fold_per_account_kind_and_day() {
        let day = DAY_MS;
        let entries = [
            entry(day + 50, "ana", Action::LoginFailed, None),
            entry(day + 40, "bia", Action::LoginFailed, None),
            entry(day + 30, "ana", Action::Submit, None),
            entry(day + 20, "ana", Action::LoginFailed, None),
            entry(day + 10, "ana", Action::LoginOk, None),
            entry(day - 10, "ana", Action::LoginFailed, None),
        ];
        let lines = folded(&entries, day_of(Words::utc(Lang::En)));
        let counts: Vec<(&str, usize)> = lines
            .iter()
            .map(|l| (l.entry.action.as_str(), l.count))
            .collect();
        assert_eq!(
            counts,
            [
                ("login_failed", 2),
                ("login_failed", 1),
                ("submit", 1),
                ("login", 1),
                ("login_failed", 1),
            ]
        );
        let (action, detail) = said(&lines[0], Words::utc(Lang::PtBr));
        assert_eq!(action, "Entrada recusada");
        assert!(detail.starts_with("2 vezes"), "{detail}");
    }

    /// Entries written before details were typed still read: a refused
    /// step's `{step}: {refusal}` in words, any other text as written.
    #[test]
    fn details_written_as_text_read_as_before() {
        let e = entry(0, "ana", Action::StepRefused, Some("approve: wrong_total"));
        let line = &folded(std::slice::from_ref(&e), |_| 0)[0];
        let (action, said) = said(line, Words::utc(Lang::PtBr));
        assert_eq!(action, "Passo recusado");
        assert_eq!(said, "Aprovou: o total digitado não confere");
        let e = entry(
            0,
            "ana",
            Action::Upload,
            Some("a.csv: 3 rows (3 valid, 0 invalid)"),
        );
        let line = &folded(std::slice::from_ref(&e), |_| 0)[0];
        assert_eq!(said_of(line), "a.csv: 3 rows (3 valid, 0 invalid)");
        // Text that looks like JSON but is no detail: as written too.
        let e = entry(0, "ana", Action::Reject, Some("{\"kind\":\"nonsense\"}"));
        let line = &folded(std::slice::from_ref(&e), |_| 0)[0];
        assert_eq!(said_of(line), "{\"kind\":\"nonsense\"}");
    }

    /// The filters' names a detail keeps are said by the results page's
    /// own labels (the detail's module, below this one, names them apart).
    #[test]
    fn a_results_detail_names_the_filter_as_the_results_page_does() {
        use strum::IntoEnumIterator;
        for f in super::super::results::Filter::iter() {
            let d = Detail::ResultsPeople {
                filter: f.as_str().to_owned(),
                lang: "pt-BR".into(),
            };
            let w = Words::utc(Lang::Es);
            assert!(d.said(w).contains(w.t(f.label())), "{f:?}");
        }
    }

    fn said_of(line: &Line<'_>) -> String {
        said(line, Words::utc(Lang::Es)).1
    }
}
