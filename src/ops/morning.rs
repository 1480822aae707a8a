//! The morning reconcile: every batch sent since the last reconcile is read
//! back, not only tonight's — an outage night's batch that the next night
//! finished is in the books too. A watermark in the state file (`meta`) says
//! when the last reconcile that read everything due began.
//!
//! Invariants: `--batch` reads that batch alone and leaves the watermark as it
//! was; the watermark moves only when every batch due was read to its end (a
//! stop or an error leaves it, so the next reconcile reads them again — reading
//! back is harmless); it is the time the reconcile began, so a row written
//! while it ran is read again next time, never skipped; when several batches
//! are read, each gets its own file (`{date}` and `{batch}` filled in, or
//! added before the extension), so no night's file is written over another's.

use std::path::{Path, PathBuf};

use strum::IntoEnumIterator;

use super::batch::{self, Pick};
use super::reconcile::{Finding, ReconcileRequest, Reconciled, reconcile};
use crate::domain::clock;
use crate::domain::ending::{Ending, Exit};
use crate::engine::send::Stop;
use crate::store::ledger::{Batch, Ledger};

/// The `meta` key of the watermark: ms since the epoch.
const WATERMARK: &str = "reconciled_since_ms";

/// What a morning reconcile read: each batch's findings, oldest first.
#[derive(Debug)]
pub(crate) struct Morning {
    pub read: Vec<Reconciled>,
}

impl Ending for Morning {
    fn exit(&self) -> Exit {
        self.read
            .iter()
            .map(Ending::exit)
            .fold(Exit::Ok, Exit::worse)
    }
}

/// Reads back every batch due (see the module's invariants).
pub(crate) async fn reconcile_due(req: ReconcileRequest, stop: Stop) -> anyhow::Result<Morning> {
    if req.pick.id.is_some() {
        return Ok(Morning {
            read: vec![reconcile(req, stop).await?],
        });
    }
    let began = clock::now_ms();
    let due = {
        let ledger = batch::open_existing(&req.state)?;
        let since: Option<i64> = ledger.memo(WATERMARK)?;
        let mut due = Vec::new();
        for b in ledger.batches()? {
            let last = ledger.last_activity_ms(&b.id)?.unwrap_or(b.created_at_ms);
            if since.is_none_or(|s| last >= s) {
                due.push(b);
            }
        }
        if due.is_empty() {
            // Nothing sent since: the batch a reconcile reads by default, again.
            due.push(batch::select_batch(&ledger, &req.state, &req.pick)?);
        }
        due
    };
    let several = due.len() > 1;
    let mut read = Vec::new();
    for b in &due {
        let one = ReconcileRequest {
            state: req.state.clone(),
            pick: Pick {
                id: Some(b.id.clone()),
                input: None,
            },
            send: req.send.clone(),
            out: if several {
                Some(per_batch(req.out.as_deref(), b))
            } else {
                req.out.clone()
            },
            // Several batches: one metrics file for all of them, below.
            metrics_file: if several {
                None
            } else {
                req.metrics_file.clone()
            },
        };
        let r = reconcile(one, stop.clone()).await?;
        let stopped = r.stopped.is_some();
        read.push(r);
        if stopped {
            break;
        }
    }
    let morning = Morning { read };
    if several && let Some(path) = &req.metrics_file {
        write_metrics(path, &morning)?;
    }
    let complete =
        morning.read.len() == due.len() && morning.read.iter().all(|r| r.stopped.is_none());
    if complete {
        Ledger::open(&req.state)?.set_memo(WATERMARK, &began)?;
    }
    Ok(morning)
}

/// The reconciliation file of `b` when a reconcile reads several: `out` with
/// its placeholders filled in, or `-{date}-{batch}` added before its extension
/// (default: beside the batch's input).
fn per_batch(out: Option<&Path>, b: &Batch) -> PathBuf {
    let path = out.map_or_else(
        || {
            crate::store::paths::beside(
                Path::new(&b.input_path),
                crate::store::paths::Sheet::Reconcile,
            )
        },
        Path::to_path_buf,
    );
    let text = path.to_string_lossy();
    let templated = if text.contains("{batch}") {
        path.clone()
    } else {
        let name = path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let (stem, ext) = match name.split_once('.') {
            Some((stem, ext)) => (stem.to_owned(), format!(".{ext}")),
            None => (name.clone(), String::new()),
        };
        path.with_file_name(format!("{stem}-{{date}}-{{batch}}{ext}"))
    };
    batch::expand_for(&templated, b)
}

/// One metrics file for every batch read: findings added up, the worst exit.
fn write_metrics(path: &Path, m: &Morning) -> anyhow::Result<()> {
    let gauges: Vec<(&str, u64)> = Finding::iter()
        .map(|f| {
            let n = m
                .read
                .iter()
                .map(|r| r.counts.get(&f).map_or(0, |c| c.rows))
                .sum();
            (f.as_str(), n)
        })
        .collect();
    let ids: Vec<&str> = m.read.iter().map(|r| r.batch_id.as_str()).collect();
    crate::engine::metrics::write_reconcile(
        path,
        &ids.join(","),
        &gauges,
        m.exit(),
        clock::now_ms() / 1000,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::ledger::testing::batch_from;

    #[test]
    fn each_batch_read_gets_a_file_of_its_own() {
        let b = batch_from("0123456789abcdef", "/in/tonight.csv", 0);
        assert_eq!(
            per_batch(None, &b),
            Path::new("/in/tonight-1970-01-01-0123456789ab.reconcile.csv")
        );
        assert_eq!(
            per_batch(Some(Path::new("/r/rec.csv")), &b),
            Path::new("/r/rec-1970-01-01-0123456789ab.csv")
        );
        assert_eq!(
            per_batch(Some(Path::new("/r/{batch}.csv")), &b),
            Path::new("/r/0123456789ab.csv")
        );
    }
}
