//! Rate control that finds the account's limit (SPEC "Sending", issue 9): what
//! rate to send at, when every worker must hold back, and how many requests to
//! keep in flight. Pure: time comes in as arguments, so every rule is tested with
//! an injected clock; `rate::Pacer` and the runner apply the decisions.
//!
//! - [`Control`] is AIMD. `--rate N` is the ceiling; the rate starts at N (or
//!   `--rate-start`), is cut on a 429 — to just under what the server accepted in
//!   the second before the refused request, or by [`BETA`] when that says nothing —
//!   and on a burst of 5xx, at most once per [`COOLDOWN`] (the 429s of one
//!   overshoot arrive together), then climbs back additively while answers are
//!   clean: quickly far below the limit last found, slowly near and above it, so
//!   probes past the limit are rare. Never below [`FLOOR`], never above N. In
//!   fixed mode (`--fixed-rate`) the rate is N throughout.
//! - A `Retry-After` pauses every worker's new requests until then (both modes).
//! - [`Sizer`] sizes concurrency to latency (Little's law): enough requests in
//!   flight to reach the current rate at the observed p90 latency, with headroom.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// The rate never goes below this (requests per second): a run of 429s slows the
/// batch, never starves it.
pub(crate) const FLOOR: f64 = 1.0;
/// Cut factor when the server's acceptance says nothing (5xx bursts, a 429 with
/// nothing accepted before it).
pub(crate) const BETA: f64 = 0.7;
/// After a 429, the rate goes to this share of what the server accepted in the
/// second before the refused request.
const UNDER_LIMIT: f64 = 0.97;
/// One cut per overshoot.
pub(crate) const COOLDOWN: Duration = Duration::from_secs(1);
/// How often the rate climbs while answers are clean.
const STEP_EVERY: Duration = Duration::from_secs(1);
/// Climb per [`STEP_EVERY`], as a share of the ceiling, while well below the
/// limit last found (or when none was found yet).
const FAST_CLIMB: f64 = 0.05;
/// ... as a share of that limit, between 90 % of it and the limit.
const NEAR_CLIMB: f64 = 0.01;
/// ... as a share of that limit, past it: probing for a limit that rose.
const PROBE_CLIMB: f64 = 0.002;
/// How long the rate holds at the limit found before probing past it: each probe
/// costs a 429 and a shared pause, so they are rare.
const PROBE_AFTER: Duration = Duration::from_secs(30);
/// 5xx answers within a second that make a burst.
const SERVER_ERROR_BURST: usize = 5;
/// The longest shared pause a `Retry-After` can ask for.
pub(crate) const MAX_PAUSE: Duration = Duration::from_secs(60);

/// What one answer says about the rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Signal {
    /// The server took the request (whatever it answered, other than 429/5xx).
    Accepted,
    /// 429, with its `Retry-After` if any.
    Throttled { retry_after: Option<Duration> },
    /// 5xx.
    ServerError,
}

/// The rate's figures over a run, for the summary and the metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub(crate) struct RateFigures {
    pub adaptive: bool,
    pub ceiling: f64,
    /// Time-weighted mean of the rate in use.
    pub mean: f64,
    pub last: f64,
    pub min: f64,
    pub max: f64,
    /// 429 answers received.
    pub throttled: u64,
    /// The limit found, if a 429 revealed one (requests accepted per second).
    pub limit_found: Option<f64>,
}

#[derive(Debug)]
pub(crate) struct Control {
    adaptive: bool,
    ceiling: f64,
    rate: f64,
    /// Send times of accepted requests, the last second or so of them.
    accepted: VecDeque<Instant>,
    server_errors: VecDeque<Instant>,
    last_cut: Option<Instant>,
    last_step: Instant,
    limit_found: Option<f64>,
    /// Since when the rate is at (or past) the limit found.
    at_limit_since: Option<Instant>,
    throttled: u64,
    pause_until: Option<Instant>,
    // Time-weighted mean.
    started: Instant,
    since: Instant,
    area: f64,
    min: f64,
    max: f64,
}

impl Control {
    /// `start`: where an adaptive rate begins (at most `ceiling`).
    pub(crate) fn new(ceiling: f64, start: Option<f64>, adaptive: bool, now: Instant) -> Control {
        let ceiling = ceiling.max(FLOOR);
        let rate = if adaptive {
            start.unwrap_or(ceiling).clamp(FLOOR, ceiling)
        } else {
            ceiling
        };
        Control {
            adaptive,
            ceiling,
            rate,
            accepted: VecDeque::new(),
            server_errors: VecDeque::new(),
            last_cut: None,
            last_step: now,
            limit_found: None,
            at_limit_since: None,
            throttled: 0,
            pause_until: None,
            started: now,
            since: now,
            area: 0.0,
            min: rate,
            max: rate,
        }
    }

    pub(crate) fn rate(&self) -> f64 {
        self.rate
    }

    /// Until when no new request may leave (a `Retry-After`), if that is later
    /// than `now`.
    pub(crate) fn paused_until(&self, now: Instant) -> Option<Instant> {
        self.pause_until.filter(|&p| p > now)
    }

    /// An answer to a request sent at `sent_at` arrived at `now`. Returns true
    /// when the rate changed.
    pub(crate) fn observe(&mut self, sent_at: Instant, now: Instant, signal: Signal) -> bool {
        let before = self.rate;
        match signal {
            Signal::Accepted => {
                self.accepted.push_back(sent_at);
                // Bounded: what is older than two seconds says nothing any more.
                while self
                    .accepted
                    .front()
                    .is_some_and(|&t| t + 2 * COOLDOWN < sent_at)
                {
                    self.accepted.pop_front();
                }
                self.climb(now);
            }
            Signal::Throttled { retry_after } => {
                self.throttled += 1;
                if let Some(ra) = retry_after {
                    let until = now + ra.min(MAX_PAUSE);
                    self.pause_until = Some(self.pause_until.map_or(until, |p| p.max(until)));
                }
                // A request sent before the last cut speaks of the old rate.
                let fresh = self.last_cut.is_none_or(|c| sent_at > c);
                if self.adaptive && fresh && self.may_cut(now) {
                    // What the server let through in the second before it refused.
                    let seen = self
                        .accepted
                        .iter()
                        .filter(|&&t| t < sent_at && t + COOLDOWN >= sent_at)
                        .count() as f64;
                    let target = if seen >= FLOOR {
                        self.limit_found = Some(seen);
                        seen.min(self.rate) * UNDER_LIMIT
                    } else {
                        self.rate * BETA
                    };
                    self.cut_to(target, now);
                }
            }
            Signal::ServerError => {
                self.server_errors.push_back(now);
                while self
                    .server_errors
                    .front()
                    .is_some_and(|&t| t + COOLDOWN < now)
                {
                    self.server_errors.pop_front();
                }
                if self.adaptive
                    && self.server_errors.len() >= SERVER_ERROR_BURST
                    && self.last_cut.is_none_or(|c| sent_at > c)
                    && self.may_cut(now)
                {
                    self.server_errors.clear();
                    self.cut_to(self.rate * BETA, now);
                }
            }
        }
        self.rate != before
    }

    fn may_cut(&self, now: Instant) -> bool {
        self.last_cut.is_none_or(|t| now >= t + COOLDOWN)
    }

    fn cut_to(&mut self, target: f64, now: Instant) {
        self.at_limit_since = None;
        self.set(target.clamp(FLOOR, self.ceiling), now);
        self.last_cut = Some(now);
        self.last_step = now;
    }

    /// Additive increase, once per [`STEP_EVERY`] of clean answers.
    fn climb(&mut self, now: Instant) {
        if !self.adaptive || self.rate >= self.ceiling || now < self.last_step + STEP_EVERY {
            return;
        }
        if self.last_cut.is_some_and(|t| now < t + STEP_EVERY) {
            return;
        }
        let next = match self.limit_found {
            None => self.rate + FAST_CLIMB * self.ceiling,
            Some(limit) if self.rate >= limit => {
                let since = *self.at_limit_since.get_or_insert(now);
                if now < since + PROBE_AFTER {
                    return;
                }
                self.rate + (PROBE_CLIMB * limit).max(0.1)
            }
            // Up to the limit found, not past it.
            Some(limit) if self.rate >= 0.9 * limit => (self.rate + NEAR_CLIMB * limit).min(limit),
            Some(limit) => (self.rate + FAST_CLIMB * self.ceiling).min(limit),
        };
        self.last_step = now;
        self.set(next.min(self.ceiling), now);
    }

    fn set(&mut self, rate: f64, now: Instant) {
        self.area += self.rate * now.saturating_duration_since(self.since).as_secs_f64();
        self.since = now;
        self.rate = rate;
        self.min = self.min.min(rate);
        self.max = self.max.max(rate);
    }

    pub(crate) fn figures(&self, now: Instant) -> RateFigures {
        let total = now.saturating_duration_since(self.started).as_secs_f64();
        let area = self.area + self.rate * now.saturating_duration_since(self.since).as_secs_f64();
        RateFigures {
            adaptive: self.adaptive,
            ceiling: self.ceiling,
            mean: if total > 0.0 { area / total } else { self.rate },
            last: self.rate,
            min: self.min,
            max: self.max,
            throttled: self.throttled,
            limit_found: self.limit_found,
        }
    }
}

/// Requests to keep in flight for `--concurrency auto`.
#[derive(Debug)]
pub(crate) struct Sizer {
    max: usize,
    /// The last [`SAMPLES`] latencies.
    latencies: VecDeque<Duration>,
    p90: Option<Duration>,
    since_update: usize,
}

const SAMPLES: usize = 128;
/// Before any latency is known.
const INITIAL: usize = 8;
/// In-flight requests beyond the rate × latency product: jitter, retries.
const HEADROOM: f64 = 1.5;

impl Sizer {
    pub(crate) fn new(max: usize) -> Sizer {
        Sizer {
            max: max.max(1),
            latencies: VecDeque::with_capacity(SAMPLES),
            p90: None,
            since_update: 0,
        }
    }

    pub(crate) fn record(&mut self, latency: Duration) {
        if self.latencies.len() == SAMPLES {
            self.latencies.pop_front();
        }
        self.latencies.push_back(latency);
        self.since_update += 1;
        // The first answers set it at once; then every few dozen.
        if self.p90.is_none() || self.since_update >= 32 {
            self.since_update = 0;
            let mut v: Vec<Duration> = self.latencies.iter().copied().collect();
            v.sort_unstable();
            self.p90 = v.get((v.len() * 9).div_ceil(10).saturating_sub(1)).copied();
        }
    }

    /// In-flight requests for `rate` per second: rate × p90 latency × headroom,
    /// plus one, within 1..=max.
    pub(crate) fn target(&self, rate: f64) -> usize {
        let Some(p90) = self.p90 else {
            return INITIAL.min(self.max);
        };
        let needed = (rate * p90.as_secs_f64() * HEADROOM).ceil() as usize + 1;
        needed.clamp(1, self.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// A server allowing `limit` per sliding second, driven by a sender pacing at
    /// the controller's rate for `secs` seconds. Returns (controller, accepted, 429s).
    fn simulate(limit: usize, ceiling: f64, secs: u64) -> (Control, u64, u64) {
        let t0 = Instant::now();
        let mut c = Control::new(ceiling, None, true, t0);
        let mut admitted: VecDeque<Instant> = VecDeque::new();
        let (mut ok, mut refused) = (0u64, 0u64);
        let mut now = t0;
        let end = t0 + Duration::from_secs(secs);
        let latency = ms(2);
        while now < end {
            if let Some(p) = c.paused_until(now) {
                now = p;
                continue;
            }
            while admitted.front().is_some_and(|&t| t + COOLDOWN <= now) {
                admitted.pop_front();
            }
            let signal = if admitted.len() < limit {
                admitted.push_back(now);
                ok += 1;
                Signal::Accepted
            } else {
                refused += 1;
                Signal::Throttled {
                    retry_after: Some(Duration::from_secs(1)),
                }
            };
            c.observe(now, now + latency, signal);
            now += Duration::from_secs_f64(1.0 / c.rate());
        }
        (c, ok, refused)
    }

    #[test]
    fn finds_the_limit_from_far_above_and_stays_near_it() {
        let (c, ok, refused) = simulate(50, 400.0, 60);
        let f = c.figures(Instant::now());
        assert_eq!(f.limit_found, Some(50.0));
        // Most of the limit is used, with few refusals.
        assert!(ok as f64 >= 0.9 * 50.0 * 60.0, "{ok} accepted in 60 s");
        assert!(
            (refused as f64) <= 0.05 * (ok + refused) as f64,
            "{refused} refused of {}",
            ok + refused
        );
        assert!(c.rate() <= 52.0 && c.rate() >= 45.0, "{}", c.rate());
    }

    #[test]
    fn a_run_of_429s_never_starves_the_rate() {
        let t0 = Instant::now();
        let mut c = Control::new(100.0, None, true, t0);
        for i in 0..200 {
            let now = t0 + Duration::from_secs(i);
            c.observe(now, now, Signal::Throttled { retry_after: None });
        }
        assert_eq!(c.rate(), FLOOR);
        assert_eq!(c.figures(t0 + Duration::from_secs(200)).throttled, 200);
    }

    #[test]
    fn one_overshoot_is_one_cut() {
        let t0 = Instant::now();
        let mut c = Control::new(100.0, None, true, t0);
        let throttled = Signal::Throttled { retry_after: None };
        assert!(c.observe(t0, t0, throttled));
        let after_one = c.rate();
        assert_eq!(after_one, 100.0 * BETA);
        // More 429s of the same burst within the cooldown change nothing.
        assert!(!c.observe(t0, t0 + ms(500), throttled));
        assert_eq!(c.rate(), after_one);
        // Nor does a late 429 for a request sent before the cut, past the cooldown.
        assert!(!c.observe(t0, t0 + ms(1500), throttled));
        assert!(c.observe(t0 + ms(1500), t0 + ms(1600), throttled));
    }

    #[test]
    fn clean_answers_climb_additively_to_the_ceiling_never_past_it() {
        let t0 = Instant::now();
        let mut c = Control::new(100.0, Some(10.0), true, t0);
        assert_eq!(c.rate(), 10.0);
        // Within a second: no step.
        assert!(!c.observe(t0, t0 + ms(999), Signal::Accepted));
        for s in 1..=30 {
            let now = t0 + Duration::from_secs(s);
            c.observe(now, now, Signal::Accepted);
        }
        // 5 % of the ceiling a second: 10 → 100 in 18 s, then held there.
        assert_eq!(c.rate(), 100.0);
        let f = c.figures(t0 + Duration::from_secs(30));
        assert!(f.mean > 10.0 && f.mean < 100.0, "{f:?}");
        assert_eq!((f.min, f.max), (10.0, 100.0));
    }

    #[test]
    fn a_burst_of_server_errors_cuts_a_few_do_not() {
        let t0 = Instant::now();
        let mut c = Control::new(100.0, None, true, t0);
        for i in 0..4 {
            c.observe(t0, t0 + ms(i * 100), Signal::ServerError);
        }
        assert_eq!(c.rate(), 100.0);
        c.observe(t0, t0 + ms(450), Signal::ServerError);
        assert_eq!(c.rate(), 100.0 * BETA);
        // Spread over time, 5xx are not a burst.
        let mut c = Control::new(100.0, None, true, t0);
        for i in 0..20 {
            c.observe(t0, t0 + ms(i * 300), Signal::ServerError);
        }
        assert_eq!(c.rate(), 100.0);
    }

    #[test]
    fn fixed_mode_holds_the_rate_but_still_pauses_on_retry_after() {
        let t0 = Instant::now();
        let mut c = Control::new(20.0, Some(5.0), false, t0);
        assert_eq!(c.rate(), 20.0);
        let throttled = Signal::Throttled {
            retry_after: Some(Duration::from_secs(2)),
        };
        assert!(!c.observe(t0, t0 + ms(10), throttled));
        assert_eq!(c.rate(), 20.0);
        assert_eq!(c.paused_until(t0 + ms(10)), Some(t0 + ms(2010)));
        assert_eq!(c.paused_until(t0 + ms(2010)), None);
        // A server asking for a year gets the cap.
        c.observe(
            t0,
            t0 + ms(20),
            Signal::Throttled {
                retry_after: Some(Duration::from_secs(365 * 86_400)),
            },
        );
        assert_eq!(c.paused_until(t0 + ms(20)), Some(t0 + ms(20) + MAX_PAUSE));
    }

    #[test]
    fn concurrency_follows_rate_times_latency() {
        let mut s = Sizer::new(64);
        assert_eq!(s.target(100.0), INITIAL);
        for _ in 0..100 {
            s.record(ms(300));
        }
        // 100/s × 0.3 s × 1.5 + 1.
        assert_eq!(s.target(100.0), 46);
        assert_eq!(s.target(1000.0), 64, "capped");
        assert_eq!(s.target(1.0), 2);
        let mut s = Sizer::new(64);
        s.record(ms(1));
        assert_eq!(s.target(10.0), 2);
    }
}
