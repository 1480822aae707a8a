//! What to do after one attempt at one refund: done, retry after a delay, give up
//! on the row, or stop the whole run. A pure function of the attempt's result, the
//! number of attempts made and an injected jitter source, so every branch is
//! tested exactly; the runner does the sleeping.
//!
//! Invariants: an unknown outcome (cut connection, timeout, unreadable body) is
//! never final success nor a permanent failure — it is retried with the same key
//! and, when the budget runs out, ends `failed` but retryable. Only 401/403 stop
//! the run; other 4xx are permanent for the row and never retried.

use std::time::Duration;

use crate::domain::settings::Policy;

/// What one attempt produced, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Attempt {
    /// A response whose body was understood.
    Status {
        status: u16,
        retry_after: Option<Duration>,
    },
    /// No usable answer: transport error, timeout, or a body that is not the API's.
    /// The status and `Retry-After`, when a response came, still count: they were
    /// read before the body.
    Unknown {
        status: Option<u16>,
        retry_after: Option<Duration>,
    },
    /// An answer that settles the request for good whatever its status says:
    /// the API names it as a refusal the same request would meet again (the
    /// Orders API's `idempotency_key_already_used`, or its 403 for an order
    /// with tips, which is the row's and no refused token). Never retried,
    /// never a stop.
    Final { status: Option<u16> },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    Success,
    /// Send again, same key, after this delay.
    Retry(Duration),
    /// The API refused the row for good.
    Permanent,
    /// Retryable, but this run's budget for the row is spent.
    Exhausted,
    /// Credentials refused: no further request may leave.
    StopRun,
}

/// `attempts` counts the attempts made so far, this one included (≥ 1).
/// `jitter` yields a uniform value in `[0, 1)`.
pub(crate) fn decide(
    policy: &Policy,
    attempts: u32,
    attempt: Attempt,
    jitter: impl FnOnce() -> f64,
) -> Verdict {
    let (budget, retry_after) = match attempt {
        Attempt::Status { status, .. } if (200..300).contains(&status) => return Verdict::Success,
        Attempt::Status {
            status: 401 | 403, ..
        } => return Verdict::StopRun,
        // A pause asked for (an order busy with another refund) is honoured.
        Attempt::Status {
            status: 409,
            retry_after,
        } => (policy.max_conflict_attempts, retry_after),
        Attempt::Status {
            status,
            retry_after,
            ..
        } if status == 423 || status == 424 || status == 429 || status >= 500 => {
            (policy.max_attempts, retry_after)
        }
        // Redirects are not followed and 1xx never reaches here: neither says what
        // happened to the refund.
        Attempt::Status { status, .. } if status < 400 => (policy.max_attempts, None),
        Attempt::Status { .. } | Attempt::Final { .. } => return Verdict::Permanent,
        Attempt::Unknown { retry_after, .. } => (policy.max_attempts, retry_after),
    };
    if attempts >= budget {
        return Verdict::Exhausted;
    }
    Verdict::Retry(backoff(policy, attempts, retry_after, jitter))
}

/// Full jitter (uniform in `[0, min(cap, base·2^(n-1))]`), but never sooner than the
/// server asked.
fn backoff(
    policy: &Policy,
    attempts: u32,
    retry_after: Option<Duration>,
    jitter: impl FnOnce() -> f64,
) -> Duration {
    let exp = attempts.saturating_sub(1).min(30);
    let base = crate::engine::testpoint::backoff_base().unwrap_or(policy.base);
    let ceiling = base.saturating_mul(1u32 << exp).min(policy.cap);
    let jittered = ceiling.mul_f64(jitter().clamp(0.0, 1.0));
    match retry_after {
        Some(ra) => jittered.max(ra.min(policy.max_retry_after)),
        None => jittered,
    }
}

/// Trips after `threshold` consecutive server-side failures across all workers, so
/// that an API in trouble is not hammered; any other answer closes it again.
#[derive(Debug)]
pub(crate) struct Breaker {
    threshold: u32,
    consecutive: std::sync::atomic::AtomicU32,
}

impl Breaker {
    pub(crate) fn new(threshold: u32) -> Self {
        Breaker {
            threshold: threshold.max(1),
            consecutive: std::sync::atomic::AtomicU32::new(0),
        }
    }

    /// Records one attempt; returns true when the breaker has tripped.
    pub(crate) fn record(&self, attempt: Attempt) -> bool {
        use std::sync::atomic::Ordering::Relaxed;
        // A 429 is the API pacing us, not failing, whatever body came with it.
        let server_failure = match attempt {
            Attempt::Unknown { status: None, .. } => true,
            Attempt::Unknown {
                status: Some(status),
                ..
            }
            | Attempt::Status { status, .. } => status >= 500,
            Attempt::Final { status } => status.is_some_and(|s| s >= 500),
        };
        if server_failure {
            self.consecutive.fetch_add(1, Relaxed) + 1 >= self.threshold
        } else {
            self.consecutive.store(0, Relaxed);
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(status: u16) -> Attempt {
        Attempt::Status {
            status,
            retry_after: None,
        }
    }

    fn policy() -> Policy {
        Policy {
            max_attempts: 4,
            max_conflict_attempts: 2,
            base: Duration::from_millis(100),
            cap: Duration::from_millis(1000),
            max_retry_after: Duration::from_secs(30),
        }
    }

    #[test]
    fn success_permanent_and_stop() {
        let p = policy();
        for s in [200, 201, 204] {
            assert_eq!(decide(&p, 1, st(s), || 0.5), Verdict::Success);
        }
        for s in [400, 404, 422] {
            assert_eq!(decide(&p, 1, st(s), || 0.5), Verdict::Permanent);
        }
        assert_eq!(decide(&p, 1, st(401), || 0.5), Verdict::StopRun);
        assert_eq!(decide(&p, 1, st(403), || 0.5), Verdict::StopRun);
    }

    #[test]
    fn transient_statuses_retry_until_the_budget() {
        let p = policy();
        for a in [
            st(423),
            st(424),
            st(429),
            st(500),
            st(502),
            st(503),
            st(504),
            UNKNOWN,
        ] {
            assert!(
                matches!(decide(&p, 1, a, || 0.5), Verdict::Retry(_)),
                "{a:?}"
            );
            assert!(
                matches!(decide(&p, 3, a, || 0.5), Verdict::Retry(_)),
                "{a:?}"
            );
            assert_eq!(decide(&p, 4, a, || 0.5), Verdict::Exhausted, "{a:?}");
        }
    }

    #[test]
    fn a_final_answer_is_never_retried_whatever_its_status() {
        let p = policy();
        for status in [None, Some(409), Some(500)] {
            assert_eq!(
                decide(&p, 1, Attempt::Final { status }, || 0.5),
                Verdict::Permanent
            );
        }
        let b = Breaker::new(1);
        assert!(!b.record(Attempt::Final { status: Some(409) }));
        assert!(b.record(Attempt::Final { status: Some(500) }));
    }

    #[test]
    fn conflicts_get_a_smaller_budget() {
        let p = policy();
        assert!(matches!(decide(&p, 1, st(409), || 0.0), Verdict::Retry(_)));
        assert_eq!(decide(&p, 2, st(409), || 0.0), Verdict::Exhausted);
    }

    #[test]
    fn backoff_is_full_jitter_and_capped() {
        let p = policy();
        // (attempt, the jitter's draw, the wait in ms)
        for (attempt, draw, ms) in [(1, 0.0, 0), (1, 1.0, 100), (2, 1.0, 200), (3, 0.5, 200)] {
            assert_eq!(
                decide(&p, attempt, st(500), || draw),
                Verdict::Retry(Duration::from_millis(ms)),
                "attempt {attempt}, draw {draw}"
            );
        }
        let p = Policy {
            max_attempts: 100,
            ..p
        };
        assert_eq!(
            decide(&p, 40, st(500), || 1.0),
            Verdict::Retry(Duration::from_millis(1000))
        );
    }

    #[test]
    fn retry_after_is_a_floor_and_bounded() {
        let p = policy();
        let ra = |s| Attempt::Status {
            status: 429,
            retry_after: Some(Duration::from_secs(s)),
        };
        // (Retry-After, the jitter's draw, the wait in seconds)
        for (after, draw, secs) in [(3, 1.0, 3), (3600, 0.0, 30)] {
            assert_eq!(
                decide(&p, 1, ra(after), || draw),
                Verdict::Retry(Duration::from_secs(secs)),
                "Retry-After {after}"
            );
        }
    }

    #[test]
    fn the_default_policy_waits_at_most_a_minute_for_any_retry_after() {
        let p = Policy::default();
        let huge = Attempt::Status {
            status: 429,
            retry_after: Some(Duration::from_secs(999_999_999)),
        };
        assert_eq!(
            decide(&p, 1, huge, || 1.0),
            Verdict::Retry(Duration::from_secs(60))
        );
        // The shared pause has the same cap.
        assert_eq!(crate::engine::throttle::MAX_PAUSE, p.max_retry_after);
    }

    const UNKNOWN: Attempt = Attempt::Unknown {
        status: None,
        retry_after: None,
    };

    #[test]
    fn an_unreadable_429_or_503_still_honours_retry_after_and_429_is_no_failure() {
        let p = policy();
        let ra = Some(Duration::from_secs(3));
        for status in [429, 503] {
            let a = Attempt::Unknown {
                status: Some(status),
                retry_after: ra,
            };
            assert_eq!(
                decide(&p, 1, a, || 0.0),
                Verdict::Retry(Duration::from_secs(3))
            );
        }
        let b = Breaker::new(2);
        assert!(!b.record(UNKNOWN));
        // An HTML 429 closes the breaker, as a JSON one does.
        assert!(!b.record(Attempt::Unknown {
            status: Some(429),
            retry_after: ra
        }));
        assert!(!b.record(UNKNOWN));
        assert!(b.record(Attempt::Unknown {
            status: Some(502),
            retry_after: None
        }));
    }

    #[test]
    fn breaker_trips_on_consecutive_server_failures_only() {
        let b = Breaker::new(3);
        assert!(!b.record(st(500)));
        assert!(!b.record(UNKNOWN));
        assert!(!b.record(st(201)));
        assert!(!b.record(st(502)));
        assert!(!b.record(st(429)));
        assert!(!b.record(st(503)));
        assert!(!b.record(st(500)));
        assert!(b.record(UNKNOWN));
    }
}
