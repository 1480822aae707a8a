//! Handing rows from one thread to another, in order, a few chunks at a time:
//! a file's rows are parsed on one core while the other stores them, and a
//! batch's rows are read from the state file on one while the other writes the
//! results. Reading and writing a sheet is half of such work, and a machine of
//! two cores does both halves at once instead of in turn.
//!
//! Invariants: what is given arrives whole and in the order given; at most
//! [`AHEAD`] chunks wait, so memory stays flat whatever the batch; when the
//! taking side stops (its error), giving fails, so the giving side stops too
//! rather than fill a queue nobody reads.

use std::sync::mpsc::{SyncSender, sync_channel};

/// Items a chunk: enough to pay for the hand-over, few enough to keep what
/// waits small.
const CHUNK: usize = 256;
/// Chunks that may wait for the taker.
const AHEAD: usize = 4;

/// The taking side stopped before all was given.
#[derive(Debug, thiserror::Error)]
#[error("the other side of a hand-over between threads stopped")]
pub(crate) struct Gone;

/// The giving side of a hand-over.
pub(crate) struct Giver<T> {
    tx: SyncSender<Vec<T>>,
    chunk: Vec<T>,
}

/// A hand-over: the giver, and what it gives, in order, for the taker.
pub(crate) fn channel<T>() -> (Giver<T>, impl Iterator<Item = T>) {
    let (tx, rx) = sync_channel(AHEAD);
    let giver = Giver {
        tx,
        chunk: Vec::with_capacity(CHUNK),
    };
    (giver, rx.into_iter().flatten())
}

impl<T> Giver<T> {
    /// Gives `item`; waits when [`AHEAD`] chunks are waiting already.
    pub(crate) fn give(&mut self, item: T) -> Result<(), Gone> {
        self.chunk.push(item);
        if self.chunk.len() == CHUNK {
            self.send()?;
        }
        Ok(())
    }

    /// Gives what is left and ends the hand-over: the taker's items end here.
    pub(crate) fn finish(mut self) -> Result<(), Gone> {
        if self.chunk.is_empty() {
            Ok(())
        } else {
            self.send()
        }
    }

    fn send(&mut self) -> Result<(), Gone> {
        let full = std::mem::replace(&mut self.chunk, Vec::with_capacity(CHUNK));
        self.tx.send(full).map_err(|_| Gone)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_given_arrives_in_order_and_ends_with_the_giver() {
        let (mut giver, taken) = channel();
        let taker = std::thread::spawn(move || taken.collect::<Vec<u32>>());
        for n in 0..10_000 {
            giver.give(n).unwrap();
        }
        giver.finish().unwrap();
        assert_eq!(taker.join().unwrap(), (0..10_000).collect::<Vec<_>>());
    }

    #[test]
    fn giving_fails_once_the_taker_has_gone() {
        let (mut giver, taken) = channel::<u32>();
        drop(taken);
        let given = (0..=CHUNK as u32).try_for_each(|n| giver.give(n));
        assert!(given.is_err());
    }
}
