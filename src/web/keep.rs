//! How long the console keeps an uploaded spreadsheet: until `--upload-days`
//! (default 30) after its batch ended — rejected, expired, or every row sent
//! (`finished`) — then the file is removed and the removal audited
//! (`upload_removed`). The batch, its review, its results and its audit trail
//! stay; its page then says the spreadsheet is gone.
//!
//! Invariants: a batch that may still send (`approved`, `sending`, `stopped`)
//! or wait for its approval keeps its file; when a batch ended is decided by
//! [`ended_at`] (a pure function) from what the store holds, and a `finished`
//! batch, whose end the store does not date, counts from the first sweep
//! that saw it finished (recorded, so a restart does not push it back); a
//! sweep runs when the console starts and every hour, each removal once.

use std::path::Path;
use std::time::Duration;

use super::store::{Action, BatchState, Entry, Store, Upload};

/// `--upload-days` unless the job file says otherwise.
pub(crate) const DEFAULT_UPLOAD_DAYS: u32 = 30;
/// How often the console looks for uploads to remove.
const EVERY: Duration = Duration::from_secs(3600);
const DAY_MS: i64 = 86_400_000;

/// When `u`'s batch ended, if it did: `None` while it may still be sent or
/// approved. `finished_seen`: when a sweep first saw it finished.
pub(crate) fn ended_at(
    u: &Upload,
    now_ms: i64,
    approval_days: u32,
    finished_seen: Option<i64>,
) -> Option<i64> {
    match super::review::effective(u, now_ms, approval_days) {
        BatchState::Rejected => u.review.as_ref().and_then(|r| r.decided_at_ms),
        BatchState::Expired => Some(u.uploaded_at_ms + i64::from(approval_days) * DAY_MS),
        BatchState::Finished => Some(finished_seen.unwrap_or(now_ms)),
        _ => None,
    }
}

/// Removes the uploads of batches that ended `days` or more ago; the ids removed.
pub(crate) fn sweep(
    store: &mut Store,
    now_ms: i64,
    days: u32,
    approval_days: u32,
) -> anyhow::Result<Vec<String>> {
    let mut removed = Vec::new();
    for u in store.uploads(u32::MAX)? {
        let (seen, gone) = store.upload_end(&u.id)?;
        if gone {
            continue;
        }
        let Some(ended) = ended_at(&u, now_ms, approval_days, seen) else {
            continue;
        };
        if seen.is_none() {
            store.note_upload_end(&u.id, ended)?;
        }
        if now_ms < ended.saturating_add(i64::from(days) * DAY_MS) {
            continue;
        }
        let path = store.uploads_dir().join(&u.stored_name);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                tracing::warn!("cannot remove the upload {}: {e}", path.display());
                continue;
            }
        }
        store.note_upload_removed(&u.id, now_ms)?;
        let detail = super::detail::Detail::UploadRemoved {
            file: u.original_name.clone(),
            days,
            ended_ms: ended,
        };
        store.append_audit(&Entry::unattended(
            now_ms,
            Action::UploadRemoved,
            &u.id,
            detail.stored(),
        ))?;
        removed.push(u.id);
    }
    Ok(removed)
}

/// One sweep of the console's state file now; a failure is logged, not fatal.
/// No state file yet: nothing to sweep (and none made here).
pub(crate) fn sweep_now(state: &Path, days: u32, approval_days: u32) {
    if !state.is_file() {
        return;
    }
    let swept = Store::open(state)
        .and_then(|mut s| sweep(&mut s, crate::domain::clock::now_ms(), days, approval_days));
    match swept {
        Ok(ids) if !ids.is_empty() => {
            tracing::info!(
                removed = ids.len(),
                "uploads kept past --upload-days removed"
            );
        }
        Ok(_) => {}
        Err(e) => tracing::warn!("removing old uploads: {e:#}"),
    }
}

/// A sweep every hour (after the one at start), for as long as the console serves.
pub(crate) async fn keep_sweeping(state: std::path::PathBuf, days: u32, approval_days: u32) {
    loop {
        tokio::time::sleep(EVERY).await;
        let s = state.clone();
        let _ = tokio::task::spawn_blocking(move || sweep_now(&s, days, approval_days)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::Role;
    use crate::web::store::Review;

    fn upload(id: &str, state: BatchState, uploaded_at_ms: i64) -> Upload {
        Upload {
            id: id.into(),
            stored_name: format!("{id}.csv"),
            original_name: format!("{id}.csv"),
            bytes: 1,
            uploaded_by: "ana".into(),
            uploaded_at_ms,
            skip_invalid: false,
            state,
            review: None,
        }
    }

    #[test]
    fn a_batch_ends_rejected_expired_or_finished_and_not_before() {
        let mut u = upload("a", BatchState::Submitted, 0);
        assert_eq!(ended_at(&u, DAY_MS, 7, None), None, "waiting for approval");
        assert_eq!(
            ended_at(&u, 8 * DAY_MS, 7, None),
            Some(7 * DAY_MS),
            "expired"
        );
        u.state = BatchState::Rejected;
        u.review = Some(Review {
            submitted_by: "ana".into(),
            submitted_at_ms: 1,
            expect_total: String::new(),
            decided_by: Some("bob".into()),
            decided_at_ms: Some(5),
            reason: Some("no".into()),
            ledger_batch: None,
        });
        assert_eq!(ended_at(&u, 9, 7, None), Some(5));
        for s in [
            BatchState::Approved,
            BatchState::Sending,
            BatchState::Stopped,
        ] {
            u.state = s;
            assert_eq!(ended_at(&u, 100 * DAY_MS, 7, None), None, "{s:?}");
        }
        u.state = BatchState::Finished;
        assert_eq!(ended_at(&u, 50, 7, None), Some(50));
        assert_eq!(ended_at(&u, 50, 7, Some(20)), Some(20));
    }

    #[test]
    fn uploads_go_days_after_their_batch_ended_once_and_audited() {
        let (_dir, mut s) = super::super::store::temp_store();
        s.add_user("ana", Role::Submitter, "$argon2id$x", 0)
            .unwrap();
        std::fs::create_dir_all(s.uploads_dir()).unwrap();
        for (id, state) in [("old", BatchState::Finished), ("live", BatchState::Stopped)] {
            s.add_upload(&upload(id, state, 0)).unwrap();
            std::fs::write(s.uploads_dir().join(format!("{id}.csv")), "x").unwrap();
        }
        assert!(
            sweep(&mut s, 1_000, 2, 7).unwrap().is_empty(),
            "ended just now"
        );
        assert!(sweep(&mut s, 1_000 + DAY_MS, 2, 7).unwrap().is_empty());
        assert_eq!(sweep(&mut s, 1_000 + 2 * DAY_MS, 2, 7).unwrap(), ["old"]);
        assert!(!s.uploads_dir().join("old.csv").exists());
        assert!(s.uploads_dir().join("live.csv").exists());
        assert!(
            sweep(&mut s, 1_000 + 3 * DAY_MS, 2, 7).unwrap().is_empty(),
            "once"
        );
        let audit = s.audit(None).unwrap();
        assert_eq!(audit.len(), 1);
        assert_eq!(audit[0].action, "upload_removed");
        assert_eq!(audit[0].batch.as_deref(), Some("old"));
    }
}
