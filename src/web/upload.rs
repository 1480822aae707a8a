//! `POST /batches`: a spreadsheet uploaded, checked and kept as a batch in the
//! `uploaded` state; and the plan of a kept upload, by the `plan` command.
//!
//! Invariants: the file is streamed to disk and counted as it comes — more
//! than [`MAX_FILE_BYTES`] is refused with 413 and nothing of it kept; it is
//! stored under a generated name in the uploads folder beside the state file,
//! whatever name the browser gave (a path in it cannot matter), private
//! (0600, the folder 0700: `crate::store::private`); nothing is
//! stored unless the request carried the session's CSRF token and the account
//! may upload, both known before the file is read. A workbook, an empty file or
//! one the input reader refuses is answered with what to do, and not kept.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::extract::multipart::{Field, MultipartError};
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use tokio::io::AsyncWriteExt;

use super::app::{App, Shared};
use super::auth;
use super::detail::Detail;
use super::error::AppError;
use super::extract::{Account, FileForm, Remote};
use super::i18n::{M, rows};
use super::store::{Action, BatchState, Upload};
use super::view::{self, Problem};
use crate::ops::plan::PlanReport;

/// The largest spreadsheet taken.
pub(crate) const MAX_FILE_BYTES: u64 = 50 << 20;
/// The largest request body: the file and the form around it.
pub(crate) const MAX_BODY_BYTES: usize = (MAX_FILE_BYTES + (1 << 20)) as usize;

/// What the browser called the file, fit to show: its last path component,
/// without control characters, at most 120 characters.
pub(super) fn shown_name(raw: Option<&str>) -> String {
    let raw = raw.unwrap_or_default();
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let name: String = last.chars().filter(|c| !c.is_control()).take(120).collect();
    if name.trim().is_empty() {
        "upload.csv".to_owned()
    } else {
        name
    }
}

/// Why a file is not a CSV we can read, from its first bytes.
fn sniff(head: &[u8], bytes: u64) -> Option<Problem> {
    if bytes == 0 {
        Some(Problem::Empty)
    } else if head.starts_with(b"PK\x03\x04") || head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        // A zip (.xlsx, .ods) or an old compound document (.xls).
        Some(Problem::Spreadsheet)
    } else {
        None
    }
}

/// The plan of a kept upload, computed once per state of the ledger and kept
/// in the batch's life (`registry`). Before approval a plan is computed again
/// whenever the ledger changed since (an earlier batch's refunds are in it);
/// from approval on it is the plan that was approved, as the ledger batch was
/// made from it — computing it again then would only count the batch's own
/// refunds as earlier ones, and cost a pass over the whole file on every look
/// at a batch being sent.
pub(crate) async fn plan_of(app: &Shared, u: &Upload) -> anyhow::Result<Arc<PlanReport>> {
    let approved = u.review.as_ref().is_some_and(|r| r.ledger_batch.is_some());
    let path = stored_path(app, &u.stored_name);
    let input = app.input.clone();
    let state = app.state.clone();
    let (shared, id) = (app.clone(), u.id.clone());
    tokio::task::spawn_blocking(move || {
        // Read before the plan: a change while it is made shows next time.
        let generation = match crate::store::ledger::ReadOnly::open(&state)? {
            Some(ledger) => ledger.generation()?,
            None => 0,
        };
        let asked = (!approved).then_some(generation);
        if let Some(plan) = shared.batches.plan(&id, asked) {
            return Ok(plan);
        }
        let spooled = crate::sheets::input::Spooled::read(&path)?;
        let plan = Arc::new(crate::ops::plan::plan(
            &spooled,
            &input,
            Some(&state),
            false,
        )?);
        shared
            .batches
            .keep_plan(&id, Some(generation), plan.clone());
        Ok(plan)
    })
    .await?
}

pub(crate) fn stored_path(app: &App, stored_name: &str) -> PathBuf {
    app.store().uploads_dir().join(stored_name)
}

/// An error of the input reader, in the user's terms: it names the file the
/// user uploaded, not where the server keeps it.
pub(crate) fn said(e: &anyhow::Error, app: &App, u: &Upload) -> String {
    said_text(&format!("{e:#}"), app, u)
}

/// `text` naming the uploaded file as the user knows it.
pub(crate) fn said_text(text: &str, app: &App, u: &Upload) -> String {
    let stored = stored_path(app, &u.stored_name);
    text.replace(&stored.display().to_string(), &u.original_name)
}

/// `POST /batches`: the file, its token and "skip the bad lines", as a
/// multipart form.
pub(crate) async fn upload(
    State(app): State<Shared>,
    remote: Remote,
    form: FileForm,
) -> Result<Response, AppError> {
    let (v, header) = (form.v, form.header.as_deref());
    let (kept, skip_invalid) = receive(&app, &v, &remote, header, form.multipart).await?;
    let upload = Upload {
        id: kept.id,
        stored_name: kept.stored_name,
        original_name: kept.original_name,
        bytes: kept.bytes,
        uploaded_by: v.name.clone(),
        uploaded_at_ms: crate::domain::clock::now_ms(),
        skip_invalid,
        state: BatchState::Uploaded,
        review: None,
    };
    let plan = match plan_of(&app, &upload).await {
        Ok(p) => p,
        Err(e) => {
            let why = e
                .downcast_ref::<crate::sheets::input::InputError>()
                .and_then(|ie| rows::file_refused(&v.words, ie, &upload.original_name))
                .unwrap_or_else(|| said(&e, &app, &upload));
            let _ = std::fs::remove_file(stored_path(&app, &upload.stored_name));
            let name = &upload.original_name;
            return Err(refuse(&app, &v, &remote, name, Problem::Unreadable, &why));
        }
    };
    app.store().add_upload(&upload)?;
    // The `full` rows' payments are read while people look at the plan.
    if !plan.full_rows.is_empty() {
        super::reading::start(&app, &upload.id, &plan, true);
    }
    let detail = Detail::Upload {
        file: upload.original_name.clone(),
        rows: plan.summary.rows,
        valid: plan.summary.valid,
        invalid: plan.summary.invalid,
        bytes: upload.bytes,
        skip_invalid,
    };
    let batch = Some(upload.id.as_str());
    app.audit(Some(&v.name), Action::Upload, &remote, batch, Some(detail))?;
    Ok(view::to_batch(&upload.id, view::Said::Uploaded).into_response())
}

/// The form's fields as they stream in: the file kept (once the token and the
/// role are known good), and "skip the bad lines".
async fn receive(
    app: &App,
    v: &Account,
    remote: &Remote,
    header: Option<&str>,
    mut multipart: Multipart,
) -> Result<(Kept, bool), AppError> {
    let mut csrf_ok = auth::csrf_matches(&v.csrf, header);
    let mut skip_invalid = false;
    let mut kept: Option<Kept> = None;
    while let Some(field) = multipart.next_field().await.map_err(refused_body)? {
        match field.name() {
            Some("csrf") => {
                let token = field.text().await.map_err(refused_body)?;
                csrf_ok |= auth::csrf_matches(&v.csrf, Some(&token));
            }
            Some("skip_invalid") => {
                let t = field.text().await.map_err(refused_body)?;
                skip_invalid = matches!(t.trim(), "1" | "on" | "true" | "yes");
            }
            Some("file") if kept.is_none() => {
                allowed(v, csrf_ok)?;
                kept = Some(keep(app, v, remote, field).await?);
            }
            // Anything else is read past, unused.
            _ => {}
        }
    }
    allowed(v, csrf_ok)?;
    let kept = kept.ok_or_else(|| {
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        AppError::answer(view::message(v.chrome(), status, Problem::NoFile, ""))
    })?;
    Ok((kept, skip_invalid))
}

/// The CSRF token, then the role: both before a byte of the file is kept.
fn allowed(v: &Account, csrf_ok: bool) -> Result<(), AppError> {
    if !csrf_ok {
        return Err(AppError::Csrf);
    }
    if !v.role.may_upload() {
        return Err(AppError::Role);
    }
    Ok(())
}

/// A body that could not be read: over the cap (413), or not multipart.
pub(super) fn refused_body(e: MultipartError) -> AppError {
    AppError::answer((e.status(), e.body_text()))
}

/// An upload refused for what the file is: audited, and the page says what to do.
fn refuse(
    app: &App,
    v: &Account,
    remote: &Remote,
    name: &str,
    problem: Problem,
    detail: &str,
) -> AppError {
    let what = Detail::Refused {
        file: name.to_owned(),
        unfit: super::detail::Unfit::of(problem),
    };
    if let Err(failed) = app.audit(
        Some(&v.name),
        Action::UploadRefused,
        remote,
        None,
        Some(what),
    ) {
        return failed;
    }
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    AppError::answer(view::message(v.chrome(), status, problem, detail))
}

/// A file written to the uploads folder.
struct Kept {
    id: String,
    stored_name: String,
    original_name: String,
    bytes: u64,
}

async fn keep(
    app: &App,
    v: &Account,
    remote: &Remote,
    mut field: Field<'_>,
) -> Result<Kept, AppError> {
    let original_name = shown_name(field.file_name());
    let dir = app.store().uploads_dir().to_path_buf();
    match store_file(&dir, &mut field).await? {
        Ok(s) => Ok(Kept {
            id: s.id,
            stored_name: s.stored_name,
            original_name,
            bytes: s.bytes,
        }),
        Err(problem) => Err(refuse(app, v, remote, &original_name, problem, "")),
    }
}

/// A file streamed into a folder under a generated name.
pub(super) struct Stored {
    pub id: String,
    /// `{id}.csv`, in the folder.
    pub stored_name: String,
    pub bytes: u64,
}

/// Streams `field` into `dir` (made if need be) under a generated name, capped
/// at [`MAX_FILE_BYTES`]; an empty file or a workbook is the `Problem` it is,
/// and nothing of it is kept.
pub(super) async fn store_file(
    dir: &Path,
    field: &mut Field<'_>,
) -> Result<Result<Stored, Problem>, AppError> {
    let id = super::random_hex(16)?;
    crate::store::private::dir_all(dir)
        .map_err(|e| anyhow::Error::new(e).context(format!("making {}", dir.display())))?;
    let part = dir.join(format!("{id}.part"));
    let written = write_capped(&part, field).await;
    let (bytes, head) = match written {
        Ok(w) => w,
        Err(r) => {
            let _ = tokio::fs::remove_file(&part).await;
            return Err(r);
        }
    };
    if let Some(problem) = sniff(&head, bytes) {
        let _ = tokio::fs::remove_file(&part).await;
        return Ok(Err(problem));
    }
    let stored_name = format!("{id}.csv");
    tokio::fs::rename(&part, dir.join(&stored_name))
        .await
        .map_err(anyhow::Error::from)?;
    Ok(Ok(Stored {
        id,
        stored_name,
        bytes,
    }))
}

/// Streams the field into `path`; (bytes, the first few of them).
async fn write_capped(path: &Path, field: &mut Field<'_>) -> Result<(u64, Vec<u8>), AppError> {
    let file = crate::store::private::create_new(path).map_err(anyhow::Error::from)?;
    let mut file = tokio::fs::File::from_std(file);
    let mut bytes: u64 = 0;
    let mut head = Vec::with_capacity(8);
    while let Some(chunk) = field.chunk().await.map_err(refused_body)? {
        bytes += chunk.len() as u64;
        if bytes > MAX_FILE_BYTES {
            let mib = (MAX_FILE_BYTES >> 20).to_string();
            return Err(AppError::said(
                StatusCode::PAYLOAD_TOO_LARGE,
                M::ErrTooLarge,
                &[&mib],
            ));
        }
        let room = 8usize.saturating_sub(head.len()).min(chunk.len());
        head.extend_from_slice(&chunk[..room]);
        file.write_all(&chunk).await.map_err(anyhow::Error::from)?;
    }
    file.sync_all().await.map_err(anyhow::Error::from)?;
    Ok((bytes, head))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_in_the_file_name_is_only_a_name() {
        assert_eq!(shown_name(Some("../../etc/passwd")), "passwd");
        assert_eq!(shown_name(Some("C:\\Users\\ana\\cb.csv")), "cb.csv");
        assert_eq!(shown_name(Some("a\u{0}b\n.csv")), "ab.csv");
        assert_eq!(shown_name(Some("dir/")), "upload.csv");
        assert_eq!(shown_name(None), "upload.csv");
    }

    #[test]
    fn workbooks_and_empty_files_are_told_apart_from_csv() {
        assert!(matches!(sniff(b"", 0), Some(Problem::Empty)));
        assert!(matches!(
            sniff(b"PK\x03\x04\x14\0", 9),
            Some(Problem::Spreadsheet)
        ));
        assert!(matches!(
            sniff(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1], 9),
            Some(Problem::Spreadsheet)
        ));
        assert!(sniff(b"payment_", 30).is_none());
    }
}
