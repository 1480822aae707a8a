//! Slowing down password guessing: after five failed logins in a row, an
//! account's next try waits, longer after each further failure, up to a
//! quarter of an hour. A pure decision over what the store counts and the time
//! now (injected), so it is tested without a clock.
//!
//! Invariants: a try is counted *before* its password is checked, by one
//! conditional statement ([`count_sql`]) that refuses once the name must wait —
//! so of any number of guesses at once only the free ones are checked; a try
//! refused for waiting checks no password and counts nothing, so a guesser
//! cannot make the wait grow faster than by guessing; a success starts the
//! count again. Every name typed is counted alike, an account's or not: the
//! answers cannot tell which names exist.

/// Failed logins in a row that cost nothing.
pub(crate) const FREE_FAILURES: u32 = 5;

const FIRST_WAIT_MS: u64 = 30_000;
const LONGEST_WAIT_MS: u64 = 15 * 60_000;

/// Names counted at most (a row each, a name at most 64 characters): past
/// them the oldest names no account has are forgotten.
pub(crate) const NAMES_KEPT: i64 = 10_000;

/// The statement that counts an attempt at `?1` at time `?2` (ms) unless the
/// name must wait: [`wait_ms`] in SQL, over the stored count (a test holds
/// the two to the same answers).
pub(crate) fn count_sql() -> String {
    format!(
        "INSERT INTO console_login_attempts (name, failures, last_at) VALUES (?1, 1, ?2)
         ON CONFLICT(name) DO UPDATE SET failures = failures + 1, last_at = ?2
         WHERE failures < {FREE_FAILURES}
            OR ?2 >= last_at + min({FIRST_WAIT_MS} << min(failures - {FREE_FAILURES}, 16), {LONGEST_WAIT_MS})"
    )
}

/// How many milliseconds the account must still wait before a password is
/// checked, or `None` when it may try now. `failures`: failed logins in a row;
/// `last_failed_ms`: when the last of them was.
pub(crate) fn wait_ms(failures: u32, last_failed_ms: Option<i64>, now_ms: i64) -> Option<u64> {
    let beyond = failures.checked_sub(FREE_FAILURES)?;
    let last = last_failed_ms?;
    // 30 s after the fifth failure, doubling with each one after it.
    let wait = FIRST_WAIT_MS
        .saturating_mul(1u64 << beyond.min(16))
        .min(LONGEST_WAIT_MS);
    let until = last.saturating_add(i64::try_from(wait).unwrap_or(i64::MAX));
    (now_ms < until).then(|| u64::try_from(until - now_ms).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn four_failures_cost_nothing() {
        for n in 0..FREE_FAILURES {
            assert_eq!(wait_ms(n, Some(1_000), 1_000), None);
        }
    }

    #[test]
    fn the_fifth_failure_makes_the_next_try_wait() {
        assert_eq!(wait_ms(5, Some(1_000), 1_000), Some(30_000));
        assert_eq!(wait_ms(5, Some(1_000), 21_000), Some(10_000));
        assert_eq!(wait_ms(5, Some(1_000), 31_000), None, "waited long enough");
    }

    #[test]
    fn the_wait_doubles_up_to_a_quarter_of_an_hour() {
        assert_eq!(wait_ms(6, Some(0), 0), Some(60_000));
        assert_eq!(wait_ms(7, Some(0), 0), Some(120_000));
        assert_eq!(wait_ms(9, Some(0), 0), Some(480_000));
        assert_eq!(wait_ms(10, Some(0), 0), Some(LONGEST_WAIT_MS));
        assert_eq!(wait_ms(u32::MAX, Some(0), 0), Some(LONGEST_WAIT_MS));
    }

    #[test]
    fn the_statement_counts_exactly_when_wait_ms_lets_a_try_through() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE console_login_attempts (name TEXT PRIMARY KEY, failures INTEGER NOT NULL, last_at INTEGER NOT NULL)",
        )
        .unwrap();
        let sql = count_sql();
        for failures in [1u32, 4, 5, 6, 7, 9, 10, 11, 30, 100] {
            for (last, now) in [
                (0i64, 0i64),
                (0, 29_999),
                (0, 30_000),
                (0, 60_000),
                (0, 899_999),
                (0, 900_000),
                (100_000, 0),
            ] {
                conn.execute(
                    "INSERT OR REPLACE INTO console_login_attempts VALUES ('a', ?1, ?2)",
                    rusqlite::params![failures, last],
                )
                .unwrap();
                let counted = conn.execute(&sql, rusqlite::params!["a", now]).unwrap() == 1;
                assert_eq!(
                    counted,
                    wait_ms(failures, Some(last), now).is_none(),
                    "{failures} failures, last {last}, now {now}"
                );
            }
        }
        assert_eq!(conn.execute(&sql, rusqlite::params!["new", 5]).unwrap(), 1);
    }

    #[test]
    fn a_clock_set_back_still_waits_and_no_time_means_no_wait() {
        assert_eq!(wait_ms(5, Some(100_000), 0), Some(130_000));
        assert_eq!(wait_ms(5, None, 0), None);
    }
}
