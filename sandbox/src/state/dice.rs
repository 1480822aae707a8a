//! The fault dice: injected latency and jitter, random 500s and 429s before a
//! commit, cut connections and HTML 502s after one, and payments made to fail on
//! purpose. Seeded (`--seed`), the same draws come in the same order.

use std::collections::HashMap;
use std::time::Duration;

use super::super::Faults;
use super::wire::ApiError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PostCommitFault {
    Cut,
    Html502,
}

pub(crate) struct Dice {
    pub(crate) faults: Faults,
    rng: fastrand::Rng,
    failing: HashMap<u64, u16>,
}

impl Dice {
    pub(crate) fn new(faults: Faults) -> Self {
        let rng = faults
            .seed
            .map_or_else(fastrand::Rng::new, fastrand::Rng::with_seed);
        Dice {
            faults,
            rng,
            failing: HashMap::new(),
        }
    }

    pub(crate) fn set_faults(&mut self, faults: Faults) {
        if let Some(seed) = faults.seed {
            self.rng.seed(seed);
        }
        self.faults = faults;
    }

    pub(crate) fn fail_payment(&mut self, id: u64, status: u16) {
        self.failing.insert(id, status);
    }

    pub(crate) fn heal_payment(&mut self, id: u64) {
        self.failing.remove(&id);
    }

    /// Latency plus uniform jitter for one request.
    pub(crate) fn draw_delay(&mut self) -> Duration {
        let slow = if self.chance(self.faults.slow) {
            self.faults.slow_delay
        } else {
            Duration::ZERO
        };
        let f = &self.faults;
        if f.jitter.is_zero() {
            return f.latency + slow;
        }
        f.latency + slow + f.jitter.mul_f64(self.rng.f64())
    }

    fn chance(&mut self, share: f64) -> bool {
        share > 0.0 && self.rng.f64() < share
    }

    /// Faults that strike before anything is committed: a failing payment, random
    /// 500s and 429s. `payment` is set only for refund POSTs.
    pub(crate) fn draw_pre_commit_fault(&mut self, payment: Option<u64>) -> Option<ApiError> {
        if let Some(&status) = payment.and_then(|id| self.failing.get(&id)) {
            return Some(ApiError::injected(status));
        }
        if self.chance(self.faults.error_500) {
            return Some(ApiError::INTERNAL);
        }
        if self.chance(self.faults.error_429) {
            return Some(ApiError::rate_limited(self.faults.retry_after_secs));
        }
        None
    }

    /// Faults that strike after a refund was committed (or replayed).
    pub(crate) fn draw_post_commit_fault(&mut self) -> Option<PostCommitFault> {
        if self.chance(self.faults.cut_after_commit) {
            Some(PostCommitFault::Cut)
        } else if self.chance(self.faults.html_502_after_commit) {
            Some(PostCommitFault::Html502)
        } else {
            None
        }
    }
}
