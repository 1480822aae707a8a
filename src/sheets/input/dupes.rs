//! Duplicate rows in flat memory. Rows with the same kind, payment, amount and
//! reference are duplicates (refused, or numbered for their keys with
//! `--allow-duplicates`); finding them must not cost memory per row, or a large
//! nightly file is killed by a container's memory limit.
//!
//! A first pass puts every valid row's identity (a 128-bit digest) in a Bloom
//! filter of fixed size; an identity the filter may have seen before becomes a
//! candidate. The reading pass then counts candidates only, exactly. Memory: the
//! filter (16 to 32 bits a line of the file, 4 MiB at most) and the candidates —
//! the true duplicates plus a few false positives (under 0.5 % of the rows up to
//! two million) — never every row. A
//! candidate that is not a duplicate costs nothing but its entry: it is counted
//! once and keeps occurrence 1.

use std::collections::{HashMap, HashSet};

/// 2^25 bits at most: false positives stay under 0.1 % up to a million rows,
/// under 25 % at ten million (each only an entry in the candidate set).
const BITS_LOG2: u32 = 25;
/// The fewest bits: a filter of 8 KiB.
const MIN_BITS_LOG2: u32 = 16;
const HASHES: u32 = 3;

pub(super) struct Bloom {
    words: Vec<u64>,
    /// The bits a slice of an identity is cut to: the filter's size less one.
    mask: u64,
}

impl Bloom {
    /// The largest filter, whatever the file.
    #[cfg(test)]
    pub(super) fn new() -> Bloom {
        Bloom::with_bits_log2(BITS_LOG2)
    }

    /// A filter for a file of `lines` lines (at least its rows: a quoted line
    /// break only makes the filter larger): 16 to 32 bits a row keep false
    /// positives under 0.5 %, each only an entry in the candidate set. Sized
    /// by its bytes instead, a file of long rows took the filter of one of
    /// the shortest rows ("1,1" and a line end) four to ten times its rows.
    pub(super) fn for_lines(lines: u64) -> Bloom {
        let bits = lines.saturating_mul(16).max(1).next_power_of_two();
        Bloom::with_bits_log2(bits.trailing_zeros().clamp(MIN_BITS_LOG2, BITS_LOG2))
    }

    fn with_bits_log2(log2: u32) -> Bloom {
        Bloom {
            words: vec![0; 1 << (log2 - 6)],
            mask: (1 << log2) - 1,
        }
    }

    /// Adds `id`; true when every one of its bits was already set (it may have
    /// been added before).
    pub(super) fn insert(&mut self, id: u128) -> bool {
        let mut present = true;
        for i in 0..HASHES {
            // The identity is a digest already: its slices are independent hashes.
            let bit = ((id >> (i * 32)) as u64) & self.mask;
            let (word, mask) = ((bit >> 6) as usize, 1u64 << (bit & 63));
            present &= self.words[word] & mask != 0;
            self.words[word] |= mask;
        }
        present
    }
}

/// What a first pass found, for the next passes over the same file: the
/// candidates, and the digest of the bytes they were found in.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Scan {
    pub(super) candidates: std::sync::Arc<HashSet<u128>>,
    /// Empty when the pass did not read the whole file.
    pub(super) digest: String,
    /// How the file's amounts say grouped amounts read (`crate::domain::marks`).
    pub(super) grouping: crate::domain::marks::Grouping,
}

/// First line and number of valid rows seen so far with one identity.
#[derive(Debug, Clone, Copy)]
pub(super) struct Seen {
    pub(super) first_line: u64,
    pub(super) count: u32,
}

pub(super) enum Dupes {
    /// The first pass: filling the filter, collecting candidates.
    Scanning {
        bloom: Box<Bloom>,
        candidates: HashSet<u128>,
    },
    /// The reading pass: candidates counted exactly.
    Counting {
        /// The first pass's candidates and digest: the reading pass must read
        /// the same bytes, or a duplicate could go unseen.
        scan: Scan,
        seen: HashMap<u128, Seen>,
    },
}

impl Dupes {
    /// The first pass over a file of `lines` lines.
    pub(super) fn scanning(lines: u64) -> Dupes {
        Dupes::Scanning {
            bloom: Box::new(Bloom::for_lines(lines)),
            candidates: HashSet::new(),
        }
    }

    pub(super) fn is_scanning(&self) -> bool {
        matches!(self, Dupes::Scanning { .. })
    }

    /// Records a valid row's identity; returns the earlier rows with it (0 when
    /// none) and the first one's line.
    pub(super) fn record(&mut self, identity: u128, line: u64) -> Seen {
        match self {
            Dupes::Scanning { bloom, candidates } => {
                if bloom.insert(identity) {
                    candidates.insert(identity);
                }
                Seen {
                    first_line: line,
                    count: 0,
                }
            }
            Dupes::Counting { scan, seen } => {
                if !scan.candidates.contains(&identity) {
                    return Seen {
                        first_line: line,
                        count: 0,
                    };
                }
                let s = seen.entry(identity).or_insert(Seen {
                    first_line: line,
                    count: 0,
                });
                let before = *s;
                s.count = s.count.saturating_add(1);
                before
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_filter_never_forgets_and_rarely_imagines() {
        let mut b = Bloom::new();
        let ids: Vec<u128> = (0..200_000u128)
            .map(|i| crate::domain::key::digest128(&[&i.to_be_bytes()]))
            .collect();
        let imagined = ids.iter().filter(|&&id| b.insert(id)).count();
        assert!(imagined < 20, "{imagined} false positives in 200,000");
        assert!(ids.iter().all(|&id| b.insert(id)), "an added id is present");
    }

    #[test]
    fn a_small_file_takes_a_small_filter_that_still_rarely_imagines() {
        assert_eq!(Bloom::for_lines(0).words.len(), 1 << (MIN_BITS_LOG2 - 6));
        assert_eq!(Bloom::for_lines(1 << 40).words.len(), 1 << (BITS_LOG2 - 6));
        // 100,000 rows, however long.
        let rows = 100_000u128;
        let mut b = Bloom::for_lines(rows as u64);
        assert!(b.words.len() < 1 << (BITS_LOG2 - 6));
        let imagined = (0..rows)
            .map(|i| crate::domain::key::digest128(&[&i.to_be_bytes()]))
            .filter(|&id| b.insert(id))
            .count();
        assert!(imagined < 200, "{imagined} false positives in {rows}");
    }

    #[test]
    fn only_candidates_are_counted() {
        let mut d = Dupes::scanning(1 << 20);
        for (id, line) in [(1u128 << 100 | 7, 2), (5, 3), (1u128 << 100 | 7, 4)] {
            d.record(id, line);
        }
        let Dupes::Scanning { candidates, .. } = d else {
            unreachable!()
        };
        assert!(candidates.contains(&(1u128 << 100 | 7)));
        let mut d = Dupes::Counting {
            scan: Scan {
                candidates: std::sync::Arc::new(candidates),
                digest: String::new(),
                grouping: crate::domain::marks::Grouping::Refused,
            },
            seen: HashMap::new(),
        };
        assert_eq!(d.record(1u128 << 100 | 7, 2).count, 0);
        assert_eq!(d.record(5, 3).count, 0);
        let again = d.record(1u128 << 100 | 7, 4);
        assert_eq!((again.count, again.first_line), (1, 2));
        let Dupes::Counting { seen, .. } = d else {
            unreachable!()
        };
        assert_eq!(seen.len(), 1, "a row seen once is not kept");
    }
}
