//! Rate control that finds the account's limit:
//! what rate to send at, when every worker must hold back, and how many requests
//! to keep in flight. Pure: time comes in as arguments, so every rule is tested
//! with an injected clock; `rate::Pacer` and the runner apply the decisions.
//!
//! - A 429 is read as the account's limit only when refusals are sustained: at
//!   least [`HANDFUL`] of them and [`LIMIT_SHARE`] of the answers of the last
//!   [`WINDOW`] (the window counting [`PRIOR`] more answers, so a share of a few
//!   answers means nothing), or [`HANDFUL`] in a row — the way gRPC's retry
//!   throttling and client-side adaptive throttling read a share, not one answer.
//!   Anything less is noise: only its own row waits its `Retry-After` (the retry
//!   policy does that); the rate and the other workers are untouched. Past a limit
//!   already found (a probe), one 429 is enough to step back under it.
//! - [`Control`] is AIMD. `--rate N` is the ceiling; the rate starts at N (or
//!   `--rate-start`). On the limit it is cut to just under what the server let
//!   through in the second before the refused request — only when that second
//!   held no pause and no cut, so what was accepted while held back is never read
//!   as the limit — else by [`BETA`]; at most once per [`COOLDOWN`]. Then it
//!   climbs back additively while answers are clean: quickly far below the limit
//!   last found, slowly near it, past it only after [`PROBE_AFTER`]. 5xx never set
//!   a limit (retries and the breaker handle an outage): only when most answers of
//!   the window are 5xx is the rate cut, gently ([`GENTLE`]). Never below
//!   [`FLOOR`], never above N. In fixed mode (`--fixed-rate`) the rate is N
//!   throughout; 429s are still read the same way.
//! - A `Retry-After` on a 429 read as the limit pauses every worker's new requests
//!   until then (both modes), at most [`MAX_PAUSE`].
//! - [`Sizer`] sizes concurrency to latency (Little's law): enough requests in
//!   flight to reach the current rate at the observed p90 latency, with headroom.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// The rate never goes below this (requests per second): a run of 429s slows the
/// batch, never starves it.
pub(crate) const FLOOR: f64 = 1.0;
/// Cut factor on the limit when the second before it says nothing.
pub(crate) const BETA: f64 = 0.7;
/// Cut factor when most answers are 5xx: an outage is the breaker's business.
pub(crate) const GENTLE: f64 = 0.9;
/// After a 429 read as the limit, the rate goes to this share of what the server
/// let through in the second before the refused request.
const UNDER_LIMIT: f64 = 0.97;
/// One cut per overshoot.
pub(crate) const COOLDOWN: Duration = Duration::from_secs(1);
/// The answers a share of refusals is read over.
pub(crate) const WINDOW: Duration = Duration::from_secs(2);
/// The share of the window's answers that are 429 from which they are the limit.
pub(crate) const LIMIT_SHARE: f64 = 0.10;
/// Fewer refusals than this in the window are noise whatever their share; this
/// many in a row are the limit whatever the window holds.
pub(crate) const HANDFUL: usize = 5;
/// Answers the share is taken over besides the window's own: with 5 % of random
/// 429s, a window of a few dozen answers holds 10 % of them often enough; with
/// this many more, almost never (simulated: no false reading in 300 runs of 10 s
/// at 200/s, 40 s at 50/s, 100 s at 10/s).
const PRIOR: usize = 50;
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
/// costs a 429, so they are rare.
const PROBE_AFTER: Duration = Duration::from_secs(30);
/// 5xx in the window below which they are never "most answers" (two thirds).
const SERVER_ERROR_MIN: usize = 10;
/// The longest shared pause a `Retry-After` can ask for.
pub(crate) const MAX_PAUSE: Duration = crate::domain::settings::MAX_RETRY_AFTER;

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
    /// ... of which taken as noise: only their own row waited.
    pub throttled_as_noise: u64,
    /// ... of which taken as the account's limit.
    pub throttled_as_limit: u64,
    /// Times the rate was cut for the limit.
    pub limit_cuts: u64,
    /// Times every worker was paused for a `Retry-After`.
    pub shared_pauses: u64,
    /// The limit found, if 429s revealed one (requests let through per second).
    pub limit_found: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
/// What one answer told the throttle: the request went through, the account's
/// limit refused it (429), or the server failed.
enum Heard {
    Through,
    Refused,
    ServerError,
}

#[derive(Debug)]
pub(crate) struct Control {
    adaptive: bool,
    ceiling: f64,
    rate: f64,
    /// Answers of the last [`WINDOW`] (arrival time), since the limit was last read.
    answers: VecDeque<(Instant, Heard)>,
    refused: usize,
    server_errors: usize,
    /// Fresh 429s since the last other answer.
    in_a_row: usize,
    /// Send times of requests the server let through (not 429), the last
    /// [`WINDOW`] of them.
    through: VecDeque<Instant>,
    /// When the limit was last read: 429s to requests sent before belong to it.
    last_limit: Option<Instant>,
    last_cut: Option<Instant>,
    /// The end of the last cut or pause: what was let through before it is not
    /// the server's limit.
    held_until: Option<Instant>,
    last_step: Instant,
    limit_found: Option<f64>,
    /// Since when the rate is at (or past) the limit found.
    at_limit_since: Option<Instant>,
    throttled: u64,
    as_noise: u64,
    as_limit: u64,
    limit_cuts: u64,
    pauses: u64,
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
            answers: VecDeque::new(),
            refused: 0,
            server_errors: 0,
            in_a_row: 0,
            through: VecDeque::new(),
            last_limit: None,
            last_cut: None,
            held_until: None,
            last_step: now,
            limit_found: None,
            at_limit_since: None,
            throttled: 0,
            as_noise: 0,
            as_limit: 0,
            limit_cuts: 0,
            pauses: 0,
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
                self.in_a_row = 0;
                self.let_through(sent_at);
                self.record(now, Heard::Through);
                self.climb(now);
            }
            Signal::Throttled { retry_after } => self.throttled(sent_at, now, retry_after),
            Signal::ServerError => {
                self.in_a_row = 0;
                self.let_through(sent_at);
                self.record(now, Heard::ServerError);
                let most = self.server_errors >= SERVER_ERROR_MIN
                    && 3 * self.server_errors >= 2 * self.answers.len();
                if self.adaptive
                    && most
                    && self
                        .last_cut
                        .is_none_or(|c| sent_at > c && now >= c + WINDOW)
                {
                    self.cut_to(self.rate * GENTLE, now);
                }
            }
        }
        self.rate != before
    }

    fn throttled(&mut self, sent_at: Instant, now: Instant, retry_after: Option<Duration>) {
        self.throttled += 1;
        // Sent before the limit was last read: part of the overshoot already acted on.
        if self.last_limit.is_some_and(|t| sent_at <= t) {
            self.as_limit += 1;
            // They may lengthen the shared pause of that reading, never start one.
            if self.paused_until(now).is_some() {
                self.pause(now, retry_after, false);
            }
            return;
        }
        self.record(now, Heard::Refused);
        self.in_a_row += 1;
        let sustained = self.in_a_row >= HANDFUL
            || (self.refused >= HANDFUL
                && self.refused as f64 >= LIMIT_SHARE * (self.answers.len() + PRIOR) as f64);
        let probe = self.adaptive && self.limit_found.is_some_and(|l| self.rate > l);
        if !sustained && !probe {
            self.as_noise += 1;
            return;
        }
        self.as_limit += 1;
        if self.adaptive && self.last_cut.is_none_or(|t| now >= t + COOLDOWN) {
            let target = match (sustained, self.limit_found) {
                (false, Some(limit)) => limit * UNDER_LIMIT,
                _ => self.read_limit(sent_at),
            };
            self.limit_cuts += 1;
            self.cut_to(target, now);
        }
        if sustained {
            self.pause(now, retry_after, true);
        }
        // The next reading starts afresh: these refusals are spent.
        self.last_limit = Some(now);
        self.answers.clear();
        self.refused = 0;
        self.server_errors = 0;
        self.in_a_row = 0;
    }

    /// Where to cut to for a limit read on a request sent at `sent_at`: just under
    /// what the server let through in the second before — unless a pause or a cut
    /// held the batch back in that second, which would read as a limit it is not.
    fn read_limit(&mut self, sent_at: Instant) -> f64 {
        let clean = self.held_until.is_none_or(|h| h + COOLDOWN <= sent_at);
        let seen = self
            .through
            .iter()
            .filter(|&&t| t < sent_at && t + COOLDOWN >= sent_at)
            .count() as f64;
        if clean && seen >= FLOOR {
            self.limit_found = Some(seen);
            seen.min(self.rate) * UNDER_LIMIT
        } else {
            self.rate * BETA
        }
    }

    fn pause(&mut self, now: Instant, retry_after: Option<Duration>, counts: bool) {
        let Some(ra) = retry_after else { return };
        let until = now + ra.min(MAX_PAUSE);
        if self.pause_until.is_none_or(|p| p <= now) && counts && !ra.is_zero() {
            self.pauses += 1;
        }
        let until = self.pause_until.map_or(until, |p| p.max(until));
        self.pause_until = Some(until);
        self.held_until = Some(self.held_until.map_or(until, |h| h.max(until)));
    }

    fn let_through(&mut self, sent_at: Instant) {
        self.through.push_back(sent_at);
        // Bounded: what is older than the window says nothing any more.
        while self.through.front().is_some_and(|&t| t + WINDOW < sent_at) {
            self.through.pop_front();
        }
    }

    fn record(&mut self, now: Instant, kind: Heard) {
        self.answers.push_back((now, kind));
        match kind {
            Heard::Refused => self.refused += 1,
            Heard::ServerError => self.server_errors += 1,
            Heard::Through => {}
        }
        while let Some(&(t, k)) = self.answers.front() {
            if t + WINDOW >= now {
                break;
            }
            self.answers.pop_front();
            match k {
                Heard::Refused => self.refused -= 1,
                Heard::ServerError => self.server_errors -= 1,
                Heard::Through => {}
            }
        }
    }

    fn cut_to(&mut self, target: f64, now: Instant) {
        self.at_limit_since = None;
        self.set(target.clamp(FLOOR, self.ceiling), now);
        self.last_cut = Some(now);
        self.held_until = Some(self.held_until.map_or(now, |h| h.max(now)));
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
            throttled_as_noise: self.as_noise,
            throttled_as_limit: self.as_limit,
            limit_cuts: self.limit_cuts,
            shared_pauses: self.pauses,
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

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    const RA1: Signal = Signal::Throttled {
        retry_after: Some(Duration::from_secs(1)),
    };

    /// `n` answers let through from `from`, one sent every 10 ms and answered
    /// 5 ms later.
    fn accepted(c: &mut Control, from: Instant, n: u64) {
        for i in 0..n {
            c.observe(from + ms(i * 10), from + ms(i * 10 + 5), Signal::Accepted);
        }
    }

    /// What a simulated run saw.
    struct Sim {
        c: Control,
        /// Answers other than 429.
        ok: u64,
        /// 429s from the account's limit, and random ones.
        limit_429: u64,
        noise_429: u64,
    }

    /// A server allowing `limit` per sliding second (past it: 429, Retry-After 1)
    /// and answering a share `noise_429` of the rest with a random 429 and
    /// `noise_500` with a 500, driven by a sender pacing at the controller's rate
    /// (and honouring its pauses) for `secs` seconds.
    fn simulate(
        limit: Option<usize>,
        ceiling: f64,
        adaptive: bool,
        secs: u64,
        (noise_429, noise_500): (f64, f64),
    ) -> Sim {
        let mut rng = fastrand::Rng::with_seed(7);
        let t0 = Instant::now();
        let mut c = Control::new(ceiling, None, adaptive, t0);
        let mut admitted: VecDeque<Instant> = VecDeque::new();
        let (mut ok, mut limit_429, mut noise_429s) = (0, 0, 0);
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
            let signal = if limit.is_some_and(|l| admitted.len() >= l) {
                limit_429 += 1;
                RA1
            } else {
                admitted.push_back(now);
                let dice = rng.f64();
                if dice < noise_429 {
                    noise_429s += 1;
                    RA1
                } else if dice < noise_429 + noise_500 {
                    ok += 1;
                    Signal::ServerError
                } else {
                    ok += 1;
                    Signal::Accepted
                }
            };
            c.observe(now, now + latency, signal);
            now += Duration::from_secs_f64(1.0 / c.rate());
        }
        Sim {
            c,
            ok,
            limit_429,
            noise_429: noise_429s,
        }
    }

    #[test]
    fn noise_alone_leaves_the_rate_and_the_other_workers_alone() {
        for adaptive in [true, false] {
            let sim = simulate(None, 200.0, adaptive, 30, (0.05, 0.10));
            let f = sim.c.figures(Instant::now());
            assert!(sim.noise_429 > 200, "{} random 429s", sim.noise_429);
            assert_eq!(f.throttled, sim.noise_429);
            assert_eq!(f.throttled_as_noise, f.throttled, "{f:?}");
            assert_eq!((f.limit_cuts, f.shared_pauses), (0, 0), "{f:?}");
            assert_eq!((f.min, f.last, f.limit_found), (200.0, 200.0, None));
        }
    }

    #[test]
    fn a_lone_429_retries_its_own_row_only_in_both_modes() {
        for adaptive in [true, false] {
            let t0 = Instant::now();
            let mut c = Control::new(100.0, None, adaptive, t0);
            accepted(&mut c, t0, 50);
            assert!(!c.observe(t0 + ms(500), t0 + ms(505), RA1));
            assert_eq!(c.paused_until(t0 + ms(505)), None);
            assert_eq!(c.rate(), 100.0);
            let f = c.figures(t0 + ms(505));
            assert_eq!((f.throttled_as_noise, f.throttled_as_limit), (1, 0));
        }
    }

    #[test]
    fn finds_the_limit_from_far_above_and_stays_near_it() {
        let sim = simulate(Some(50), 400.0, true, 60, (0.0, 0.0));
        let f = sim.c.figures(Instant::now());
        assert_eq!(f.limit_found, Some(50.0));
        // Most of the limit is used, with few refusals.
        assert!(
            sim.ok as f64 >= 0.9 * 50.0 * 60.0,
            "{} accepted in 60 s",
            sim.ok
        );
        let requests = sim.ok + sim.limit_429;
        assert!(
            (sim.limit_429 as f64) <= 0.05 * requests as f64,
            "{} refused of {requests}",
            sim.limit_429
        );
        assert!(sim.c.rate() <= 52.0 && sim.c.rate() >= 45.0, "{f:?}");
        assert!(f.shared_pauses >= 1 && f.limit_cuts >= 1, "{f:?}");
    }

    #[test]
    fn finds_the_limit_through_noise() {
        let sim = simulate(Some(50), 400.0, true, 60, (0.05, 0.10));
        let f = sim.c.figures(Instant::now());
        let requests = sim.ok + sim.limit_429 + sim.noise_429;
        assert!(sim.ok as f64 >= 0.8 * 50.0 * 60.0, "{} let through", sim.ok);
        assert!(
            (sim.limit_429 as f64) <= 0.08 * requests as f64,
            "{} refused by the limit of {requests}",
            sim.limit_429
        );
        let found = f.limit_found.expect("a limit");
        assert!((40.0..=51.0).contains(&found), "{f:?}");
        assert!(sim.c.rate() <= 52.0 && sim.c.rate() >= 40.0, "{f:?}");
        // Most random 429s were taken for what they are.
        assert!(f.throttled_as_noise * 2 > sim.noise_429, "{f:?}");
    }

    #[test]
    fn a_sustained_share_is_the_limit_cut_once_and_paused() {
        let t0 = Instant::now();
        let mut c = Control::new(100.0, None, true, t0);
        // 100 let through in the second before, then refusals.
        accepted(&mut c, t0, 100);
        let sent = t0 + ms(1000);
        let mut changed = Vec::new();
        for i in 0..HANDFUL as u64 {
            changed.push(c.observe(sent, sent + ms(i + 5), RA1));
        }
        // The window counts 100 + 50 answers: 15 refusals needed, or a handful in a row.
        assert_eq!(changed, [false, false, false, false, true]);
        assert_eq!(c.rate(), 100.0 * UNDER_LIMIT);
        assert_eq!(c.paused_until(sent + ms(9)), Some(sent + ms(9) + secs(1)));
        // The overshoot's other refusals are the limit too, but no further cut.
        assert!(!c.observe(sent + ms(6), sent + ms(20), RA1));
        let f = c.figures(sent + ms(20));
        assert_eq!(
            (f.throttled_as_noise, f.throttled_as_limit),
            (4, 2),
            "{f:?}"
        );
        assert_eq!((f.limit_cuts, f.shared_pauses), (1, 1), "{f:?}");
        assert_eq!(f.limit_found, Some(100.0));
    }

    #[test]
    fn a_pause_is_never_read_as_the_limit() {
        let t0 = Instant::now();
        let mut c = Control::new(100.0, None, true, t0);
        accepted(&mut c, t0, 100);
        for i in 0..HANDFUL as u64 {
            c.observe(t0 + ms(1000), t0 + ms(1005 + i), RA1);
        }
        let resumed = t0 + ms(2009);
        assert_eq!(c.paused_until(t0 + ms(1010)), Some(resumed));
        assert_eq!(c.limit_found, Some(100.0));
        // Just after the pause, a few answers through, then refusals sustained
        // enough to be the limit: the second before held a pause, so the handful
        // let through is not the limit; a plain cut instead.
        for i in 0..5 {
            c.observe(
                resumed + ms(i * 10),
                resumed + ms(i * 10 + 5),
                Signal::Accepted,
            );
        }
        let rate = c.rate();
        let at = resumed + ms(100);
        for i in 0..HANDFUL as u64 {
            c.observe(at + ms(i), at + ms(i + 5), RA1);
        }
        assert_eq!(c.limit_found, Some(100.0), "5 let through is no limit");
        assert_eq!(c.rate(), rate * BETA);
        // And the refusals counted before a pause do not make a stray 429 after it
        // the limit: the reading starts afresh.
        let mut c = Control::new(100.0, None, false, t0);
        for i in 0..HANDFUL as u64 {
            c.observe(t0 + ms(i), t0 + ms(i + 5), RA1);
        }
        assert_eq!(c.paused_until(t0 + ms(10)), Some(t0 + ms(1009)));
        let after = t0 + ms(1009);
        accepted(&mut c, after, 20);
        c.observe(after + ms(200), after + ms(205), RA1);
        assert_eq!(c.paused_until(after + ms(205)), None);
        let f = c.figures(after + ms(205));
        assert_eq!((f.shared_pauses, f.throttled_as_noise), (1, 5), "{f:?}");
    }

    #[test]
    fn past_the_limit_found_one_429_steps_back_under_it_without_a_pause() {
        let t0 = Instant::now();
        let mut c = Control::new(100.0, None, true, t0);
        c.limit_found = Some(50.0);
        c.rate = 50.2;
        c.observe(t0, t0 + ms(5), RA1);
        assert_eq!(c.rate(), 50.0 * UNDER_LIMIT);
        assert_eq!(c.paused_until(t0 + ms(5)), None);
        assert_eq!(c.figures(t0 + ms(5)).throttled_as_limit, 1);
    }

    #[test]
    fn a_run_of_429s_never_starves_the_rate_and_a_storm_pauses_everyone() {
        let t0 = Instant::now();
        let mut c = Control::new(100.0, None, true, t0);
        for i in 0..200 {
            let now = t0 + Duration::from_secs(i);
            c.observe(now, now, Signal::Throttled { retry_after: None });
        }
        assert_eq!(c.rate(), FLOOR);
        assert_eq!(c.figures(t0 + secs(200)).throttled, 200);
        // Every answer a 429 asking for 5 s: a pause for each handful, so the
        // whole batch sends a handful every 5 s.
        let storm = Signal::Throttled {
            retry_after: Some(secs(5)),
        };
        for adaptive in [true, false] {
            let mut c = Control::new(100.0, None, adaptive, t0);
            let (mut now, mut sent) = (t0, 0u32);
            while now < t0 + secs(60) {
                if let Some(p) = c.paused_until(now) {
                    now = p;
                    continue;
                }
                c.observe(now, now + ms(1), storm);
                sent += 1;
                now += Duration::from_secs_f64(1.0 / c.rate());
            }
            assert!(sent <= 12 * HANDFUL as u32 + HANDFUL as u32, "{sent}");
            // One per 5 s (the last handful may still be under way).
            let pauses = c.figures(now).shared_pauses;
            assert!((11..=12).contains(&pauses), "{pauses}");
        }
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
    fn server_errors_never_set_a_limit_and_cut_gently_only_when_most_answers() {
        let t0 = Instant::now();
        let mut c = Control::new(100.0, None, true, t0);
        // A 5xx for every other answer is not most.
        for i in 0..100 {
            let signal = if i % 2 == 0 {
                Signal::ServerError
            } else {
                Signal::Accepted
            };
            c.observe(t0 + ms(i * 10), t0 + ms(i * 10 + 5), signal);
        }
        assert_eq!(c.rate(), 100.0);
        // An outage: 5xx only. One gentle cut per window.
        let at = t0 + ms(1000);
        for i in 0..100 {
            c.observe(at + ms(i * 10), at + ms(i * 10 + 5), Signal::ServerError);
        }
        assert_eq!(c.rate(), 100.0 * GENTLE);
        let f = c.figures(at + ms(1000));
        assert_eq!((f.limit_found, f.limit_cuts, f.throttled), (None, 0, 0));
        // Fixed mode never cuts.
        let mut c = Control::new(100.0, None, false, t0);
        for i in 0..100 {
            c.observe(t0 + ms(i * 10), t0 + ms(i * 10 + 5), Signal::ServerError);
        }
        assert_eq!(c.rate(), 100.0);
    }

    #[test]
    fn fixed_mode_holds_the_rate_but_pauses_on_the_limit() {
        let t0 = Instant::now();
        let mut c = Control::new(20.0, Some(5.0), false, t0);
        assert_eq!(c.rate(), 20.0);
        let throttled = Signal::Throttled {
            retry_after: Some(Duration::from_secs(2)),
        };
        for i in 0..HANDFUL as u64 {
            assert!(!c.observe(t0, t0 + ms(10 + i), throttled));
        }
        assert_eq!(c.rate(), 20.0);
        let last = t0 + ms(10 + HANDFUL as u64 - 1);
        assert_eq!(c.paused_until(last), Some(last + secs(2)));
        assert_eq!(c.paused_until(last + secs(2)), None);
        // A server asking for a year gets the cap.
        let later = last + secs(3);
        for i in 0..HANDFUL as u64 {
            c.observe(
                later,
                later + ms(i),
                Signal::Throttled {
                    retry_after: Some(Duration::from_secs(365 * 86_400)),
                },
            );
        }
        let end = later + ms(HANDFUL as u64 - 1);
        assert_eq!(c.paused_until(end), Some(end + MAX_PAUSE));
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
