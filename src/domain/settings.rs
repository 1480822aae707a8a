//! How requests are sent, as one resolved model: [`Sending`]. The edge resolves
//! it once (`cli::settings` from flags over the job file over the defaults
//! written here; the console from its own), a new batch stores it as its
//! settings (the ledger serialises it with the batch), and the engine's parts
//! borrow their piece of it: the pacer the [`RateSettings`] and
//! [`Concurrency`], the client its [`ClientSettings`], the send loop the retry
//! [`Policy`], the breaker and the grace.
//!
//! Invariants: every default is written here once (the flags' help and the
//! README quote these); concurrency has one type, [`Concurrency`], from the flag
//! to the stored batch; the stored shape keeps the keys state files have always
//! held (`rate`, `fixed_rate`, `concurrency`, `concurrency_auto`), so a state
//! file of any earlier version reads back, a key it lacks read as its default.
//! Only what a person sets is stored: the canary's `limit` and the built-in
//! timings (connect timeout, backoff shape) are each run's own. Sits below the
//! ledger: imports nothing of the program.

use std::num::NonZeroU32;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Most requests per second unless `--rate` says otherwise.
pub(crate) const DEFAULT_RATE: u32 = 10;
/// `--max-concurrency`: what `--concurrency auto` may grow to.
pub(crate) const DEFAULT_MAX_CONCURRENCY: usize = 64;
/// Consecutive server failures that stop a run (`--breaker`).
pub(crate) const DEFAULT_BREAKER: u32 = 25;
/// Seconds in-flight requests may go on after a signal (`--grace`).
pub(crate) const DEFAULT_GRACE_SECS: u64 = 10;
/// Seconds after a row's last attempt before a read-back of its payment may say
/// it refunded nothing (`--settle-after`): Mercado Pago may still be
/// processing a request for a while after its answer was lost.
pub(crate) const DEFAULT_SETTLE_AFTER_SECS: u64 = 600;
/// Attempts per row per run unless `--max-attempts` says otherwise.
pub(crate) const DEFAULT_MAX_ATTEMPTS: u32 = 6;
/// Seconds one request may take unless `--timeout` says otherwise.
pub(crate) const DEFAULT_TIMEOUT_SECS: u64 = 60;
/// The longest `Retry-After` honoured, by a row's retry and by the shared pause
/// alike (README: "at most 60 s"); a server asking for more gets this.
pub(crate) const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// How the rate is set: `--rate`, `--rate-start`, `--fixed-rate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RateSettings {
    /// The ceiling (adaptive) or the rate (fixed), per second.
    pub rate: NonZeroU32,
    /// Where an adaptive rate starts (default: the ceiling).
    pub start: Option<NonZeroU32>,
    pub adaptive: bool,
}

impl Default for RateSettings {
    fn default() -> Self {
        RateSettings {
            rate: NonZeroU32::new(DEFAULT_RATE).unwrap_or(NonZeroU32::MIN),
            start: None,
            adaptive: true,
        }
    }
}

/// How many requests may be in flight: `--concurrency N|auto` (with
/// `--max-concurrency`, the most `auto` may reach).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Concurrency {
    Fixed(usize),
    /// Sized to rate × latency, at most this many.
    Auto {
        max: usize,
    },
}

impl Default for Concurrency {
    fn default() -> Self {
        Concurrency::Auto {
            max: DEFAULT_MAX_CONCURRENCY,
        }
    }
}

impl Concurrency {
    /// The most requests that can ever be in flight (the workers to start).
    pub(crate) fn max(self) -> usize {
        match self {
            Concurrency::Fixed(n) | Concurrency::Auto { max: n } => n.max(1),
        }
    }
}

impl std::fmt::Display for Concurrency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Concurrency::Fixed(n) => write!(f, "{n}"),
            Concurrency::Auto { max } => write!(f, "auto (at most {max})"),
        }
    }
}

/// As a person writes it (`--concurrency`): a number, or `auto` (at most the
/// default until `--max-concurrency` says otherwise).
impl std::str::FromStr for Concurrency {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim() {
            "auto" => Ok(Concurrency::default()),
            n => n
                .parse()
                .map(Concurrency::Fixed)
                .map_err(|_| format!("{s:?} is neither a number nor `auto`")),
        }
    }
}

/// The retry budget and backoff shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Policy {
    /// Attempts per row per run, the first included.
    pub max_attempts: u32,
    /// Attempts on 409 (key conflict): a lasting one points at a key bug, so few.
    pub max_conflict_attempts: u32,
    /// First backoff ceiling; doubles per attempt up to `cap`.
    pub base: Duration,
    pub cap: Duration,
    /// Longest `Retry-After` honoured; a server asking for more gets this.
    pub max_retry_after: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            max_conflict_attempts: 3,
            base: Duration::from_millis(200),
            cap: Duration::from_secs(20),
            max_retry_after: MAX_RETRY_AFTER,
        }
    }
}

/// The HTTP client's part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ClientSettings {
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    /// Sends `X-Render-In-Process-Refunds: true` so that a Pix refund held in the
    /// central bank's contingency comes back `in_process` instead of a false 400.
    pub render_in_process: bool,
}

impl Default for ClientSettings {
    fn default() -> Self {
        ClientSettings {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(DEFAULT_TIMEOUT_SECS),
            render_in_process: true,
        }
    }
}

/// How requests are sent: pace, concurrency, retries, breaker, grace, the
/// client's timeouts. Stored with a batch as [`Stored`]'s keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "Stored", into = "Stored")]
pub(crate) struct Sending {
    pub rate: RateSettings,
    pub concurrency: Concurrency,
    pub policy: Policy,
    pub breaker_threshold: u32,
    /// After a signal, how long in-flight requests may still run before they are
    /// abandoned (a row's stays `sending` and is re-sent, same key, next run).
    pub grace: Duration,
    /// Claim at most this many rows in this run, the first in row order (the
    /// console's canary): the rest stays `pending` for the next run.
    pub limit: Option<u64>,
    pub client: ClientSettings,
    /// How long after a row's last attempt a read-back that finds no refund of
    /// it settles it as not refunded; earlier, the row stays in doubt.
    pub settle_after: Duration,
}

impl Default for Sending {
    fn default() -> Self {
        Sending::new(
            RateSettings::default(),
            Concurrency::default(),
            Tuning::default(),
        )
    }
}

/// What a person may set beyond the pace and concurrency, by the names of its
/// flags: each `None` for its default.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct Tuning {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_attempts: Option<u32>,
    /// Seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub breaker: Option<u32>,
    /// Seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grace: Option<u64>,
    /// Seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settle_after: Option<u64>,
}

impl Sending {
    /// The pace and concurrency as resolved, the rest as `tuning` gives it or
    /// its default: where the flags and a stored batch both come to one model.
    /// No canary limit: only the console sets one, on the run it starts.
    pub(crate) fn new(rate: RateSettings, concurrency: Concurrency, tuning: Tuning) -> Sending {
        let policy = Policy::default();
        let client = ClientSettings::default();
        Sending {
            rate,
            concurrency,
            policy: Policy {
                max_attempts: tuning.max_attempts.unwrap_or(policy.max_attempts),
                ..policy
            },
            breaker_threshold: tuning.breaker.unwrap_or(DEFAULT_BREAKER),
            grace: Duration::from_secs(tuning.grace.unwrap_or(DEFAULT_GRACE_SECS)),
            limit: None,
            client: ClientSettings {
                request_timeout: tuning
                    .timeout
                    .map_or(client.request_timeout, Duration::from_secs),
                ..client
            },
            settle_after: Duration::from_secs(
                tuning.settle_after.unwrap_or(DEFAULT_SETTLE_AFTER_SECS),
            ),
        }
    }
}

/// [`Sending`] as a batch stores it, by the names of its flags (and job-file
/// keys). The first four are the keys every state file has held; the rest were
/// added later and are left out of older ones.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
struct Stored {
    /// `--rate`: the ceiling, or the rate itself when `fixed_rate`.
    rate: Option<u32>,
    fixed_rate: bool,
    /// Requests in flight: the number, or the most `--concurrency auto` may reach.
    concurrency: Option<usize>,
    concurrency_auto: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    rate_start: Option<NonZeroU32>,
    #[serde(flatten)]
    tuning: Tuning,
}

impl From<Sending> for Stored {
    fn from(s: Sending) -> Stored {
        Stored {
            rate: Some(s.rate.rate.get()),
            fixed_rate: !s.rate.adaptive,
            concurrency: Some(s.concurrency.max()),
            concurrency_auto: matches!(s.concurrency, Concurrency::Auto { .. }),
            rate_start: s.rate.start,
            tuning: Tuning {
                max_attempts: Some(s.policy.max_attempts),
                timeout: Some(s.client.request_timeout.as_secs()),
                breaker: Some(s.breaker_threshold),
                grace: Some(s.grace.as_secs()),
                settle_after: Some(s.settle_after.as_secs()),
            },
        }
    }
}

impl From<Stored> for Sending {
    fn from(s: Stored) -> Sending {
        let rate = RateSettings {
            rate: s
                .rate
                .and_then(NonZeroU32::new)
                .unwrap_or(RateSettings::default().rate),
            start: s.rate_start,
            adaptive: !s.fixed_rate,
        };
        let concurrency = match (s.concurrency, s.concurrency_auto) {
            (Some(n), false) => Concurrency::Fixed(n),
            (Some(max), true) => Concurrency::Auto { max },
            (None, _) => Concurrency::default(),
        };
        Sending::new(rate, concurrency, s.tuning)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(v: u32) -> NonZeroU32 {
        NonZeroU32::new(v).unwrap()
    }

    /// What state files of earlier versions hold reads back: the keys they have,
    /// the rest as defaults.
    #[test]
    fn earlier_stored_settings_read_back() {
        let read = |json: &str| serde_json::from_str::<Sending>(json).unwrap();
        let s = read(r#"{"rate":20,"fixed_rate":true,"concurrency":4,"concurrency_auto":false}"#);
        assert_eq!(s.rate.rate, n(20));
        assert!(!s.rate.adaptive);
        assert_eq!(s.concurrency, Concurrency::Fixed(4));
        assert_eq!(s.policy, Policy::default());
        let s = read(r#"{"rate":5,"fixed_rate":false,"concurrency":32,"concurrency_auto":true}"#);
        assert!(s.rate.adaptive);
        assert_eq!(s.concurrency, Concurrency::Auto { max: 32 });
        // Before `--concurrency auto` there was no `concurrency_auto`.
        assert_eq!(
            read(r#"{"concurrency":8}"#).concurrency,
            Concurrency::Fixed(8)
        );
        assert_eq!(read("{}"), Sending::default());
        assert_eq!(
            read(r#"{"rate":null,"concurrency":null}"#),
            Sending::default()
        );
    }

    /// What a person set goes in and comes back; a run's own (the canary's
    /// limit, the backoff shape) is not stored.
    #[test]
    fn the_settings_a_person_sets_round_trip_under_the_old_keys() {
        let s = Sending {
            rate: RateSettings {
                rate: n(30),
                start: Some(n(5)),
                adaptive: true,
            },
            concurrency: Concurrency::Auto { max: 12 },
            settle_after: Duration::from_secs(60),
            policy: Policy {
                max_attempts: 3,
                ..Policy::default()
            },
            breaker_threshold: 7,
            grace: Duration::from_secs(4),
            limit: Some(2),
            client: ClientSettings {
                request_timeout: Duration::from_secs(30),
                ..ClientSettings::default()
            },
        };
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["rate"], 30);
        assert_eq!(json["fixed_rate"], false);
        assert_eq!(json["concurrency"], 12);
        assert_eq!(json["concurrency_auto"], true);
        let back: Sending = serde_json::from_value(json).unwrap();
        assert_eq!(back, Sending { limit: None, ..s });
    }

    #[test]
    fn concurrency_as_a_person_writes_it() {
        assert_eq!("auto".parse(), Ok(Concurrency::default()));
        assert_eq!(" 3 ".parse(), Ok(Concurrency::Fixed(3)));
        assert!(
            "lots"
                .parse::<Concurrency>()
                .unwrap_err()
                .contains("neither")
        );
    }
}
