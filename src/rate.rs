//! The gates every request passes (SPEC "Sending"), shared by all workers, applying
//! what `throttle` decides:
//!
//! 1. the in-flight gate: at most `concurrency` requests out at once — fixed, or
//!    sized to the observed latency (`--concurrency auto`);
//! 2. the shared pause: after the `Retry-After` of a 429 read as the account's
//!    limit (`throttle` tells it from noise), no new request leaves until then;
//! 3. a governor GCRA pacing requests at the current rate with a small burst
//!    (rate/10, at least 1), rebuilt when the adaptive rate changes;
//! 4. a sliding window of the last `rate` departures, holding a request until the
//!    one `rate` before it is more than a second (plus a small margin for the trip
//!    to the server) old.
//!
//! The GCRA alone lets its burst come on top of the rate in the second after an
//! idle spell; the window alone would send the whole second's worth at once and
//! then wait. Together: smooth, and never above the rate in any window.

use std::collections::VecDeque;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::throttle::{Control, RateFigures, Signal, Sizer};

/// The window the promise is checked over, as the server sees arrivals: a send
/// pattern that holds over this span still holds when each request's trip jitters
/// by up to the margin. Costs at most 0.5 % of the rate. It was 15 ms (1.5 %, paid
/// on every run); over the internet a trip jitters by tens of milliseconds, more
/// than either margin, so what keeps a batch under a server's limit is the rate
/// controller, not this margin.
const SPAN: Duration = Duration::from_millis(1005);

/// How the rate is set: `--rate`, `--rate-start`, `--fixed-rate`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct RateSettings {
    /// The ceiling (adaptive) or the rate (fixed), per second.
    pub rate: NonZeroU32,
    /// Where an adaptive rate starts (default: the ceiling).
    pub start: Option<NonZeroU32>,
    pub adaptive: bool,
}

/// How many requests may be in flight: `--concurrency N|auto`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Concurrency {
    Fixed(usize),
    /// Sized to rate × latency, at most this many.
    Auto {
        max: usize,
    },
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

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

pub(crate) struct Pacer {
    /// Replaced when the adaptive rate changes; read by every request.
    gcra: RwLock<Arc<DefaultDirectRateLimiter>>,
    window: Mutex<Window>,
    control: Mutex<Control>,
    sizer: Option<Mutex<Sizer>>,
    gate: Arc<Gate>,
    /// The rate in use (f64 bits), for the progress display without a lock.
    current: std::sync::atomic::AtomicU64,
    /// The shared pause's end, in ns after `epoch` (0: none): read by every
    /// request, so without a lock.
    pause_until: std::sync::atomic::AtomicU64,
    epoch: std::time::Instant,
}

fn gcra(rate: f64) -> DefaultDirectRateLimiter {
    let burst = NonZeroU32::new((rate / 10.0) as u32).unwrap_or(NonZeroU32::MIN);
    let period = Duration::from_secs_f64(1.0 / rate.max(crate::throttle::FLOOR));
    let quota = Quota::with_period(period)
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(burst);
    RateLimiter::direct(quota)
}

fn window_cap(rate: f64) -> usize {
    (rate.floor() as usize).max(1)
}

impl Pacer {
    pub(crate) fn new(rate: RateSettings, concurrency: Concurrency) -> Pacer {
        let control = Control::new(
            f64::from(rate.rate.get()),
            rate.start.map(|s| f64::from(s.get())),
            rate.adaptive,
            std::time::Instant::now(),
        );
        let r = control.rate();
        let (sizer, limit) = match concurrency {
            Concurrency::Fixed(n) => (None, n.max(1)),
            Concurrency::Auto { max } => {
                let sizer = Sizer::new(max);
                let limit = sizer.target(r);
                (Some(Mutex::new(sizer)), limit)
            }
        };
        Pacer {
            gcra: RwLock::new(Arc::new(gcra(r))),
            window: Mutex::new(Window::new(window_cap(r), SPAN)),
            control: Mutex::new(control),
            sizer,
            gate: Arc::new(Gate::new(limit)),
            current: std::sync::atomic::AtomicU64::new(r.to_bits()),
            pause_until: std::sync::atomic::AtomicU64::new(0),
            epoch: std::time::Instant::now(),
        }
    }

    /// A place among the requests in flight; held until the answer is in. `again`
    /// for a row's later attempts, which go before first attempts.
    pub(crate) async fn enter(&self, again: bool) -> Pass {
        self.gate.enter(again).await
    }

    /// Resolves when one more request may leave (and counts it as gone).
    pub(crate) async fn until_ready(&self) {
        'again: loop {
            if let Some(until) = self.paused_until() {
                tokio::time::sleep_until(until).await;
                continue;
            }
            let gcra = self
                .gcra
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .clone();
            gcra.until_ready().await;
            loop {
                if self.paused_until().is_some() {
                    continue 'again;
                }
                let admitted = lock(&self.window).admit(Instant::now());
                match admitted {
                    Ok(()) => return,
                    Err(at) => tokio::time::sleep_until(at).await,
                }
            }
        }
    }

    fn paused_until(&self) -> Option<Instant> {
        let until = self.pause_until.load(std::sync::atomic::Ordering::Acquire);
        if until == 0 {
            return None;
        }
        let until = self.epoch + Duration::from_nanos(until);
        let now = std::time::Instant::now();
        (until > now).then(|| Instant::now() + (until - now))
    }

    /// An answer to a request that left at `sent_at`: adapts the rate (and the
    /// concurrency, to the latency) for the requests after it.
    pub(crate) fn observe(&self, sent_at: std::time::Instant, signal: Option<Signal>) {
        let now = std::time::Instant::now();
        let mut control = lock(&self.control);
        let changed = signal.is_some_and(|signal| control.observe(sent_at, now, signal));
        if let Some(until) = control.paused_until(now) {
            let nanos = until.saturating_duration_since(self.epoch).as_nanos();
            self.pause_until.store(
                u64::try_from(nanos).unwrap_or(u64::MAX).max(1),
                std::sync::atomic::Ordering::Release,
            );
        }
        if changed {
            let r = control.rate();
            *self.gcra.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(gcra(r));
            lock(&self.window).cap = window_cap(r);
            self.current
                .store(r.to_bits(), std::sync::atomic::Ordering::Relaxed);
        }
        let rate = control.rate();
        drop(control);
        if let (Some(sizer), Some(_)) = (&self.sizer, signal) {
            let mut sizer = lock(sizer);
            sizer.record(now.saturating_duration_since(sent_at));
            self.gate.set_limit(sizer.target(rate));
        }
    }

    /// The rate in use, per second.
    pub(crate) fn rate(&self) -> f64 {
        f64::from_bits(self.current.load(std::sync::atomic::Ordering::Relaxed))
    }

    /// A handle on the rate in use, for the progress display.
    pub(crate) fn gauge(self: &Arc<Self>) -> RateGauge {
        RateGauge(self.clone())
    }

    pub(crate) fn figures(&self) -> RateFigures {
        lock(&self.control).figures(std::time::Instant::now())
    }

    /// The most requests the gate let out at once.
    pub(crate) fn peak_in_flight(&self) -> usize {
        lock(&self.gate.state).peak
    }
}

/// Reads the rate in use.
#[derive(Clone)]
pub(crate) struct RateGauge(Arc<Pacer>);

impl RateGauge {
    pub(crate) fn rate(&self) -> f64 {
        self.0.rate()
    }
}

/// The in-flight gate: a counting semaphore whose size can change while requests
/// wait on it. A row coming back for another attempt goes before rows not yet
/// tried: it has already waited its backoff or `Retry-After`, and behind a claim
/// window of fresh rows it would wait seconds more — the tail of a flaky batch.
struct Gate {
    state: Mutex<GateState>,
    /// Wakes rows coming back for another attempt.
    again: Notify,
    /// Wakes rows on their first attempt.
    first: Notify,
}

struct GateState {
    in_flight: usize,
    limit: usize,
    peak: usize,
    /// Rows on a later attempt waiting for a place: first attempts yield to them.
    again_waiting: usize,
}

/// One request's place in flight; leaving frees it. It owns its hold on the
/// gate, so a place taken in one task can be handed to another.
pub(crate) struct Pass(Arc<Gate>);

impl Drop for Pass {
    fn drop(&mut self) {
        let mut s = lock(&self.0.state);
        s.in_flight -= 1;
        let again = s.again_waiting > 0;
        drop(s);
        self.0.wake_one(again);
    }
}

/// Counts a later attempt as waiting for as long as it does (cancelled or not).
struct AgainWaiting<'a>(&'a Gate);

impl Drop for AgainWaiting<'_> {
    fn drop(&mut self) {
        let mut s = lock(&self.0.state);
        s.again_waiting -= 1;
        let free = s.again_waiting == 0 && s.in_flight < s.limit;
        drop(s);
        if free {
            // First attempts held back for this one may go now.
            self.0.first.notify_one();
        }
    }
}

impl Gate {
    fn new(limit: usize) -> Gate {
        Gate {
            state: Mutex::new(GateState {
                in_flight: 0,
                limit: limit.max(1),
                peak: 0,
                again_waiting: 0,
            }),
            again: Notify::new(),
            first: Notify::new(),
        }
    }

    fn wake_one(&self, again: bool) {
        if again {
            self.again.notify_one();
        } else {
            self.first.notify_one();
        }
    }

    /// A place in flight; `again` for a row's later attempts.
    async fn enter(self: &Arc<Self>, again: bool) -> Pass {
        let _waiting = again.then(|| {
            lock(&self.state).again_waiting += 1;
            AgainWaiting(self)
        });
        let notify = if again { &self.again } else { &self.first };
        loop {
            let notified = notify.notified();
            tokio::pin!(notified);
            // Registered before looking, so a place freed in between is not missed.
            notified.as_mut().enable();
            {
                let mut s = lock(&self.state);
                if s.in_flight < s.limit && (again || s.again_waiting == 0) {
                    s.in_flight += 1;
                    s.peak = s.peak.max(s.in_flight);
                    return Pass(self.clone());
                }
            }
            notified.await;
        }
    }

    fn set_limit(&self, limit: usize) {
        let raised = {
            let mut s = lock(&self.state);
            let raised = limit > s.limit;
            s.limit = limit.max(1);
            raised
        };
        if raised {
            self.again.notify_waiters();
            self.first.notify_waiters();
        }
    }
}

/// The last `cap` departures; a pure structure, so its rule is tested exactly.
#[derive(Debug)]
struct Window {
    cap: usize,
    span: Duration,
    departures: VecDeque<Instant>,
}

impl Window {
    fn new(cap: usize, span: Duration) -> Window {
        Window {
            cap: cap.max(1),
            span,
            departures: VecDeque::new(),
        }
    }

    /// Records a departure at `now`, or says when the next one may be.
    fn admit(&mut self, now: Instant) -> Result<(), Instant> {
        while self
            .departures
            .front()
            .is_some_and(|&t| t + self.span <= now)
        {
            self.departures.pop_front();
        }
        if self.departures.len() < self.cap {
            self.departures.push_back(now);
            Ok(())
        } else {
            Err(self.departures[0] + self.span)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The most departures within any `span`-long half-open window.
    fn busiest(departures: &[Instant], span: Duration) -> usize {
        departures
            .iter()
            .map(|&start| {
                departures
                    .iter()
                    .filter(|&&t| t >= start && t < start + span)
                    .count()
            })
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn never_more_than_cap_in_any_window_even_when_all_ask_at_once() {
        let t0 = Instant::now();
        let mut w = Window::new(10, Duration::from_secs(1));
        let mut sent = Vec::new();
        let mut now = t0;
        // 35 requests all wanting to leave at once: each waits as told.
        while sent.len() < 35 {
            match w.admit(now) {
                Ok(()) => sent.push(now),
                Err(at) => {
                    assert!(at > now);
                    now = at;
                }
            }
        }
        assert_eq!(busiest(&sent, Duration::from_secs(1)), 10);
        // ...and it does not fall behind: 35 in a little over three seconds.
        assert!(now - t0 < Duration::from_millis(3100), "{:?}", now - t0);
    }

    /// Polls `f` once: whether it is ready now.
    fn ready<F: std::future::Future>(f: std::pin::Pin<&mut F>) -> Option<F::Output> {
        let waker = std::task::Waker::noop();
        match f.poll(&mut std::task::Context::from_waker(waker)) {
            std::task::Poll::Ready(v) => Some(v),
            std::task::Poll::Pending => None,
        }
    }

    #[test]
    fn a_later_attempt_takes_the_freed_place_before_first_attempts_waiting_longer() {
        let gate = Arc::new(Gate::new(1));
        let held = std::pin::pin!(gate.enter(false));
        let held = ready(held).expect("a free place");
        let first = std::pin::pin!(gate.enter(false));
        let mut first = first;
        assert!(ready(first.as_mut()).is_none(), "the gate is full");
        let mut again = std::pin::pin!(gate.enter(true));
        assert!(ready(again.as_mut()).is_none(), "the gate is full");
        drop(held);
        // The first attempt asked earlier, but the row coming back goes first...
        assert!(ready(first.as_mut()).is_none());
        let pass = ready(again.as_mut()).expect("the later attempt gets the place");
        assert!(ready(first.as_mut()).is_none(), "one place, one request");
        drop(pass);
        // ...and the first attempt is not forgotten once it has gone.
        assert!(ready(first.as_mut()).is_some());
    }

    #[test]
    fn a_later_attempt_given_up_no_longer_holds_first_attempts_back() {
        let gate = Arc::new(Gate::new(1));
        let held = std::pin::pin!(gate.enter(false));
        let held = ready(held).expect("a free place");
        let mut again = Box::pin(gate.enter(true));
        assert!(ready(again.as_mut()).is_none(), "the gate is full");
        let mut first = std::pin::pin!(gate.enter(false));
        assert!(ready(first.as_mut()).is_none(), "the gate is full");
        // The row coming back is given up (its run stopping) while it waits...
        drop(again);
        drop(held);
        // ...so the place freed goes to the first attempt.
        assert!(ready(first.as_mut()).is_some());
    }
}
