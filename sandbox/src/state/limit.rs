//! The account's request limit (`--rate-limit N`), as Mercado Pago would apply
//! one: per access token, at most N admitted API requests within any one second
//! (a sliding window); past it, a 429 with `Retry-After` and nothing done. A
//! refused request does not count against the window, so a client that backs off
//! gets through again.

use std::collections::{HashMap, VecDeque};

const WINDOW_MICROS: u64 = 1_000_000;

#[derive(Debug)]
pub(crate) struct AccountLimit {
    per_second: usize,
    /// Admitted arrivals (µs since the Unix epoch) of each token's last second.
    admitted: HashMap<String, VecDeque<u64>>,
}

impl AccountLimit {
    pub(crate) fn new(per_second: u32) -> AccountLimit {
        AccountLimit {
            per_second: per_second.max(1) as usize,
            admitted: HashMap::new(),
        }
    }

    /// Admits a request of `token` arriving at `at_micros`, or says after how many
    /// whole seconds to retry (the `Retry-After`, at least 1).
    pub(crate) fn admit(&mut self, token: &str, at_micros: u64) -> Result<(), u64> {
        let window = match self.admitted.get_mut(token) {
            Some(w) => w,
            None => self.admitted.entry(token.to_owned()).or_default(),
        };
        while window
            .front()
            .is_some_and(|&t| t + WINDOW_MICROS <= at_micros)
        {
            window.pop_front();
        }
        if window.len() < self.per_second {
            window.push_back(at_micros);
            return Ok(());
        }
        let frees_at = window[0] + WINDOW_MICROS;
        Err(frees_at
            .saturating_sub(at_micros)
            .div_ceil(1_000_000)
            .max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn n_per_sliding_second_per_token_and_refusals_do_not_count() {
        let mut l = AccountLimit::new(3);
        for t in [0, 100, 200] {
            assert_eq!(l.admit("a", t), Ok(()));
        }
        // The fourth within the second is refused, with a whole-second Retry-After.
        assert_eq!(l.admit("a", 300_000), Err(1));
        assert_eq!(l.admit("a", 999_999), Err(1));
        // Another token has its own window.
        assert_eq!(l.admit("b", 300_000), Ok(()));
        // Once the first admitted request is a second old, one more gets in: the
        // refusals did not count.
        assert_eq!(l.admit("a", 1_000_000), Ok(()));
        assert_eq!(l.admit("a", 1_000_050), Err(1));
    }
}
