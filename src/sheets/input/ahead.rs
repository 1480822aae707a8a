//! Reading a file's rows a little ahead, on a thread of their own: parsing a
//! row, deriving its key and putting it in the shape it is stored in is the
//! one half of making a batch, storing it the other (see `sheets::handoff`).
//!
//! Invariants: the rows reach the caller whole and in the file's order, on the
//! caller's own thread (what it writes to stays its own); the first error — a
//! row that does not read, or the caller's — ends the reading, and nothing
//! after it is taken.

use super::{Input, InputError, InputSummary};
use crate::domain::Row;
use crate::sheets::handoff;

impl Input {
    /// Hands every row to `each`, in order, with what `prepare` made of it,
    /// while the next ones are read and prepared on another thread; then the
    /// summary [`Input::finish`] gives. `each`'s error, or a row's, is the
    /// error, and the reading stops.
    pub(crate) fn read_ahead<P: Send>(
        self,
        prepare: impl Fn(&Row) -> P + Send,
        mut each: impl FnMut(Row, P) -> anyhow::Result<()>,
    ) -> anyhow::Result<InputSummary> {
        std::thread::scope(|s| {
            let (mut giver, mut taken) = handoff::channel::<Result<(Row, P), InputError>>();
            let reader = s.spawn(move || {
                let mut input = self;
                // The input is fused after a row that does not read: that row
                // is the last given, and the taker stops on it.
                for row in input.by_ref() {
                    let prepared = row.map(|row| {
                        let p = prepare(&row);
                        (row, p)
                    });
                    // Gone: the taker stopped on its own error.
                    giver.give(prepared).ok()?;
                }
                giver.finish().ok()?;
                Some(input.finish())
            });
            let took = taken.try_for_each(|row| {
                let (row, p) = row?;
                each(row, p)
            });
            drop(taken);
            let finished = reader
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            took?;
            match finished {
                Some(summary) => Ok(summary?),
                None => anyhow::bail!("the rows stopped before the file's end"),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{file, opts};
    use super::*;

    fn rows_of(bytes: &[u8]) -> Vec<Row> {
        let f = file(bytes);
        let input = Input::open(f.path(), &opts()).unwrap();
        let mut rows = Vec::new();
        input
            .read_ahead(
                |r| r.row_no * 2,
                |r, p| {
                    assert_eq!(p, r.row_no * 2, "prepared from its own row");
                    rows.push(r);
                    Ok(())
                },
            )
            .unwrap();
        rows
    }

    #[test]
    fn every_row_comes_in_order_and_the_summary_is_finishs() {
        let mut csv = b"payment_id,amount\n".to_vec();
        for n in 1..=2_000u64 {
            csv.extend_from_slice(format!("{n},1.{}\n", n % 100).as_bytes());
        }
        let rows = rows_of(&csv);
        assert_eq!(rows.len(), 2_000);
        assert!(
            rows.iter()
                .zip(1..)
                .all(|(r, n)| r.row_no == n && r.line == n + 1)
        );
        let f = file(&csv);
        let ahead = Input::open(f.path(), &opts())
            .unwrap()
            .read_ahead(|_| (), |_, ()| Ok(()))
            .unwrap();
        let plain = Input::open(f.path(), &opts()).unwrap().finish().unwrap();
        assert_eq!(ahead, plain);
    }

    #[test]
    fn the_takers_error_stops_the_reading_and_is_the_error() {
        let mut csv = b"payment_id,amount\n".to_vec();
        for n in 1..=5_000u64 {
            csv.extend_from_slice(format!("{n},1\n").as_bytes());
        }
        let f = file(&csv);
        let mut taken = 0;
        let err = Input::open(f.path(), &opts())
            .unwrap()
            .read_ahead(
                |_| (),
                |_, ()| {
                    taken += 1;
                    anyhow::ensure!(taken < 10, "full disk");
                    Ok(())
                },
            )
            .unwrap_err();
        assert_eq!(err.to_string(), "full disk");
        assert_eq!(taken, 10);
    }

    #[test]
    fn a_row_that_does_not_read_is_the_error_and_nothing_after_it_is_taken() {
        let f = file(b"payment_id,amount\n1,1\n2,\"unclosed\n3,3\n");
        let mut taken = Vec::new();
        let err = Input::open(f.path(), &opts())
            .unwrap()
            .read_ahead(
                |_| (),
                |r, ()| {
                    taken.push(r.row_no);
                    Ok(())
                },
            )
            .unwrap_err();
        assert!(err.downcast_ref::<InputError>().is_some(), "{err:#}");
        assert_eq!(taken, [1]);
    }
}
