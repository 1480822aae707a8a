//! A state file opened read-only, for `plan`: it looks at what earlier runs
//! refunded and must change nothing — not even upgrade an older schema.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};

use super::claim::{prior_refunds, refunds_of};
use super::schema::{MIGRATIONS, check_ours};
use super::{PriorRefund, codec};
use crate::Usage;
use crate::domain::{IdempotencyKey, RefundAsk};

/// A state file read without a byte written: for `plan`, which looks at what
/// earlier runs refunded and must change nothing.
pub(crate) struct ReadOnly {
    conn: Connection,
}

impl ReadOnly {
    /// The refund a row under `key` made, in any batch of the state file: what
    /// `plan --online` calls `already_done`.
    pub(crate) fn settled_refund(&self, key: &IdempotencyKey) -> anyhow::Result<Option<String>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT CAST(r.refund_id AS TEXT)
                 FROM keys AS k JOIN rows AS r ON r.batch = k.batch AND r.row_no = k.row_no
                 WHERE k.key = ?1 AND r.state IN ('refunded', 'in_process')
                   AND r.refund_id IS NOT NULL
                 LIMIT 1",
            )?
            .query_row([codec::key_value(key)], |r| r.get(0))
            .optional()?)
    }

    /// Counts the transactions that changed rows (see `Ledger::generation`):
    /// what a cached plan is checked against.
    pub(crate) fn generation(&self) -> anyhow::Result<i64> {
        super::queries::generation_of(&self.conn)
    }

    /// `None` when there is no state file there yet (nothing was refunded).
    pub(crate) fn open(path: &Path) -> anyhow::Result<Option<ReadOnly>> {
        if !path.exists() {
            return Ok(None);
        }
        let unusable = |why: String| {
            Usage(format!(
                "the state file {} cannot be read: {why}; give another --state",
                path.display()
            ))
        };
        let conn = Connection::open_with_flags(
            path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| unusable(e.to_string()))?;
        check_ours(&conn).map_err(unusable)?;
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(|e| unusable(e.to_string()))?;
        let current = MIGRATIONS.len() as i64;
        if version > 0 && version < current {
            // Reading it would need the upgrade, which writes: not `plan`'s to do.
            return Err(unusable(format!(
                "it was written by an older mprefund (schema {version}); `mprefund status --state {}` upgrades it",
                crate::domain::steps::quote(&path.to_string_lossy())
            ))
            .into());
        }
        Ok((version > 0).then_some(ReadOnly { conn }))
    }

    /// What earlier batches did on the payments of `asks` (row number, line,
    /// ask): the prior refunds under other keys, as
    /// [`BatchWriter::prior_refunds`](super::batch::BatchWriter::prior_refunds)
    /// finds them for a batch being created, and the same rows sent before
    /// under their own keys. The asks go to a temporary table, which lives
    /// outside the state file.
    pub(crate) fn earlier_refunds(
        &mut self,
        asks: impl IntoIterator<Item = (u64, u64, RefundAsk)>,
    ) -> anyhow::Result<Earlier> {
        let tx = self.conn.transaction()?;
        tx.execute_batch(
            "CREATE TEMP TABLE IF NOT EXISTS asks (
                 row_no INTEGER, line INTEGER, key BLOB, kind INTEGER, payment_id INTEGER,
                 order_id TEXT);
             DELETE FROM temp.asks;",
        )?;
        {
            let mut insert = tx.prepare(
                "INSERT INTO temp.asks (row_no, line, key, kind, payment_id, order_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for (row_no, line, ask) in asks {
                let (payment, order, _) = codec::target_values(&ask.target);
                insert.execute(params![
                    row_no as i64,
                    line as i64,
                    codec::key_value(&ask.key),
                    codec::kind_value(ask.kind()),
                    payment,
                    order
                ])?;
            }
        }
        let prior = prior_refunds(
            &tx,
            "temp.asks AS r",
            "o.key NOT IN (SELECT key FROM temp.asks)
             AND NOT EXISTS (SELECT 1 FROM keys AS same WHERE same.key = r.key)",
            [],
        )?;
        // Sending such a row again refunds nothing (its key was answered), but
        // the money was moved by that batch, not by this file's.
        let repeated = refunds_of(
            &tx,
            "temp.asks AS r",
            "o.key = r.key
             AND (o.state IN ('refunded', 'in_process', 'sending') OR o.doubt <> 0)",
            [],
        )?;
        tx.rollback()?;
        Ok(Earlier { prior, repeated })
    }
}

/// What earlier batches of a state file did on the payments of a file's rows.
#[derive(Debug, Default)]
pub(crate) struct Earlier {
    /// Refunds (made, or maybe made) under other keys: `run` holds such a row
    /// back unless more refunds are allowed.
    pub prior: Vec<PriorRefund>,
    /// The same rows (their own keys) refunded, or maybe refunded, by an
    /// earlier batch: `run` sends them no more.
    pub repeated: Vec<PriorRefund>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The command it names runs as printed, from a folder with a space in it.
    #[test]
    fn an_older_state_file_names_the_upgrade_as_a_shell_reads_it() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("my states");
        std::fs::create_dir(&folder).unwrap();
        let path = folder.join("s.db");
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "application_id", super::super::schema::APPLICATION_ID)
            .unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        drop(conn);
        let err = ReadOnly::open(&path)
            .err()
            .expect("an older schema is refused");
        let said = format!("{err:#}");
        let quoted = format!("--state '{}'", path.display());
        assert!(said.contains(&quoted), "{said}");
    }
}
