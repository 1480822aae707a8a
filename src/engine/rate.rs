//! The gates every request passes, shared by all senders, applying
//! what `throttle` decides:
//!
//! 1. the in-flight gate: at most `concurrency` requests out at once — fixed, or
//!    sized to the observed latency (`--concurrency auto`);
//! 2. the shared pause: after the `Retry-After` of a 429 read as the account's
//!    limit (`throttle` tells it from noise), no new request leaves until then;
//! 3. the pace ([`Pace`]), two rules checked and recorded together:
//!    - a GCRA spacing requests at the current rate with a small burst (rate/10,
//!      at least 1);
//!    - a sliding window of the last `rate` departures, holding a request until
//!      the one `rate` before it is more than a second (plus a small margin for
//!      the trip to the server) old.
//!
//! The GCRA alone lets its burst come on top of the rate in the second after an
//! idle spell; the window alone would send the whole second's worth at once and
//! then wait. Together: smooth, and never above the rate in any window.
//!
//! Invariants: every time here is tokio's (`tokio::time::Instant`), so pacing is
//! tested in paused, virtual time; a rate change reshapes the pace in place (the
//! spacing keeps its schedule, the window its departures); a request is counted
//! as gone only once both rules let it go.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use crate::domain::settings::{Concurrency, RateSettings};
use crate::engine::throttle::{Control, RateFigures, Signal, Sizer};

/// The window the promise is checked over, as the server sees arrivals: a send
/// pattern that holds over this span still holds when each request's trip jitters
/// by up to the margin. Costs at most 0.5 % of the rate, paid on every run: a
/// wider margin would buy nothing, as over the internet a trip jitters by tens
/// of milliseconds, more than any such margin, so what keeps a batch under a
/// server's limit is the rate controller, not this margin.
const SPAN: Duration = Duration::from_millis(1005);

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

pub(crate) struct Pacer {
    pace: Mutex<Pace>,
    control: Mutex<Control>,
    sizer: Option<Mutex<Sizer>>,
    gate: Arc<Gate>,
    /// The rate in use (f64 bits), for the progress display without a lock.
    current: std::sync::atomic::AtomicU64,
    /// The shared pause's end, in ns after `epoch` (0: none): read by every
    /// request, so without a lock.
    pause_until: std::sync::atomic::AtomicU64,
    epoch: Instant,
}

impl Pacer {
    pub(crate) fn new(rate: RateSettings, concurrency: Concurrency) -> Pacer {
        let now = Instant::now();
        let control = Control::new(
            f64::from(rate.rate.get()),
            rate.start.map(|s| f64::from(s.get())),
            rate.adaptive,
            now.into_std(),
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
            pace: Mutex::new(Pace::new(r, SPAN)),
            control: Mutex::new(control),
            sizer,
            gate: Arc::new(Gate::new(limit)),
            current: std::sync::atomic::AtomicU64::new(r.to_bits()),
            pause_until: std::sync::atomic::AtomicU64::new(0),
            epoch: now,
        }
    }

    /// A place among the requests in flight; held until the answer is in. `again`
    /// for a row's later attempts, which go before first attempts.
    pub(crate) async fn enter(&self, again: bool) -> Pass {
        self.gate.enter(again).await
    }

    /// Resolves when one more request may leave (and counts it as gone).
    /// Cancelling it counts nothing.
    pub(crate) async fn until_ready(&self) {
        loop {
            if let Some(until) = self.paused_until() {
                tokio::time::sleep_until(until).await;
                continue;
            }
            let admitted = lock(&self.pace).admit(Instant::now());
            match admitted {
                Ok(()) => return,
                Err(at) => tokio::time::sleep_until(at).await,
            }
        }
    }

    fn paused_until(&self) -> Option<Instant> {
        let until = self.pause_until.load(std::sync::atomic::Ordering::Acquire);
        if until == 0 {
            return None;
        }
        let until = self.epoch + Duration::from_nanos(until);
        (until > Instant::now()).then_some(until)
    }

    /// An answer to a request that left at `sent_at`: adapts the rate (and the
    /// concurrency, to the latency) for the requests after it.
    pub(crate) fn observe(&self, sent_at: Instant, signal: Option<Signal>) {
        let now = Instant::now();
        let mut control = lock(&self.control);
        let changed = signal
            .is_some_and(|signal| control.observe(sent_at.into_std(), now.into_std(), signal));
        if let Some(until) = control.paused_until(now.into_std()) {
            let nanos = Instant::from_std(until)
                .saturating_duration_since(self.epoch)
                .as_nanos();
            self.pause_until.store(
                u64::try_from(nanos).unwrap_or(u64::MAX).max(1),
                std::sync::atomic::Ordering::Release,
            );
        }
        if changed {
            let r = control.rate();
            lock(&self.pace).set_rate(r);
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
        lock(&self.control).figures(Instant::now().into_std())
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

/// The pace at one rate: the spacing and the window, checked together and
/// recorded together, so a request held by one rule uses up nothing of the other.
#[derive(Debug)]
struct Pace {
    spacing: Spacing,
    window: Window,
}

impl Pace {
    fn new(rate: f64, span: Duration) -> Pace {
        let mut pace = Pace {
            spacing: Spacing {
                interval: Duration::ZERO,
                burst: 1,
                tat: None,
            },
            window: Window::new(1, span),
        };
        pace.set_rate(rate);
        pace
    }

    fn set_rate(&mut self, rate: f64) {
        let rate = rate.max(crate::engine::throttle::FLOOR);
        self.spacing.interval = Duration::from_secs_f64(1.0 / rate);
        self.spacing.burst = ((rate / 10.0) as u32).max(1);
        self.window.cap = (rate.floor() as usize).max(1);
    }

    /// Records a departure at `now`, or says when the next one may be.
    fn admit(&mut self, now: Instant) -> Result<(), Instant> {
        match (self.spacing.next(now), self.window.next(now)) {
            (None, None) => {
                self.spacing.record(now);
                self.window.record(now);
                Ok(())
            }
            (a, b) => Err(a.max(b).unwrap_or(now)),
        }
    }
}

/// GCRA: one request per `interval`, up to `burst` at once after a quiet spell.
/// `tat` is the theoretical arrival time of the next request: when it would
/// leave were requests exactly `interval` apart.
#[derive(Debug)]
struct Spacing {
    interval: Duration,
    burst: u32,
    tat: Option<Instant>,
}

impl Spacing {
    /// When a request may leave, if not `now`.
    fn next(&self, now: Instant) -> Option<Instant> {
        let tat = self.tat.map_or(now, |t| t.max(now));
        let ahead = tat - now;
        let tolerance = self.interval * (self.burst - 1);
        (ahead > tolerance).then(|| now + (ahead - tolerance))
    }

    fn record(&mut self, now: Instant) {
        self.tat = Some(self.tat.map_or(now, |t| t.max(now)) + self.interval);
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

    /// When a request may leave, if not `now`.
    fn next(&mut self, now: Instant) -> Option<Instant> {
        while self
            .departures
            .front()
            .is_some_and(|&t| t + self.span <= now)
        {
            self.departures.pop_front();
        }
        // The cap may have shrunk: the oldest of the last `cap` is what counts.
        let over = (self.departures.len() + 1).checked_sub(self.cap)?;
        (over > 0).then(|| self.departures[over - 1] + self.span)
    }

    fn record(&mut self, now: Instant) {
        // `next` keeps only the departures of the last span: at most a second's.
        self.departures.push_back(now);
    }

    /// Records a departure at `now`, or says when the next one may be.
    #[cfg(test)]
    fn admit(&mut self, now: Instant) -> Result<(), Instant> {
        match self.next(now) {
            None => {
                self.record(now);
                Ok(())
            }
            Some(at) => Err(at),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroU32;

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
    fn a_first_attempt_arriving_after_a_place_is_freed_leaves_it_to_a_later_attempt() {
        let gate = Arc::new(Gate::new(1));
        let held = ready(std::pin::pin!(gate.enter(false))).expect("a free place");
        let mut again = std::pin::pin!(gate.enter(true));
        assert!(ready(again.as_mut()).is_none(), "the gate is full");
        drop(held);
        // The pool asks for a first attempt's place before the woken row runs...
        let mut first = std::pin::pin!(gate.enter(false));
        assert!(ready(first.as_mut()).is_none(), "a row coming back waits");
        let pass = ready(again.as_mut()).expect("the later attempt gets the place");
        drop(pass);
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

    fn fixed(rate: u32, in_flight: usize) -> Pacer {
        Pacer::new(
            RateSettings {
                rate: NonZeroU32::new(rate).unwrap(),
                start: None,
                adaptive: false,
            },
            Concurrency::Fixed(in_flight),
        )
    }

    /// `n` requests from `senders` tasks, each leaving as soon as the pacer lets
    /// it: when each left, in virtual time.
    async fn send(pacer: &Arc<Pacer>, senders: usize, n: usize) -> Vec<Instant> {
        let left = Arc::new(Mutex::new(Vec::new()));
        let todo = Arc::new(std::sync::atomic::AtomicUsize::new(n));
        let tasks: Vec<_> = (0..senders)
            .map(|_| {
                let (pacer, left, todo) = (pacer.clone(), left.clone(), todo.clone());
                tokio::spawn(async move {
                    use std::sync::atomic::Ordering::Relaxed;
                    while todo
                        .fetch_update(Relaxed, Relaxed, |t| t.checked_sub(1))
                        .is_ok()
                    {
                        let _pass = pacer.enter(false).await;
                        pacer.until_ready().await;
                        lock(&left).push(Instant::now());
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        let mut left = lock(&left).clone();
        left.sort();
        left
    }

    #[tokio::test(start_paused = true)]
    async fn n_requests_at_rate_r_take_n_over_r_never_more_than_r_in_a_second() {
        for (rate, senders) in [(20, 1), (20, 16), (7, 3), (100, 64)] {
            let pacer = Arc::new(fixed(rate, 64));
            let n = 5 * rate as usize;
            let t0 = Instant::now();
            let left = send(&pacer, senders, n).await;
            let took = left[n - 1] - t0;
            // The first second's worth leaves at once or nearly; every later one
            // is a full second (and the margin) behind it.
            let least = SPAN * 4;
            assert!(took >= least, "{rate}/s: {n} in {took:?}");
            assert!(took <= SPAN * 5, "{rate}/s: {n} in {took:?}");
            assert_eq!(busiest(&left, Duration::from_secs(1)), rate as usize);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn spacing_smooths_the_first_second() {
        // No more than the burst (rate/10) leaves at once: 100/s is 10 at first,
        // then one every 10 ms.
        let pacer = Arc::new(fixed(100, 64));
        let t0 = Instant::now();
        let left = send(&pacer, 64, 30).await;
        assert_eq!(left.iter().filter(|&&t| t == t0).count(), 10);
        assert!(
            left[29] - t0 >= Duration::from_millis(200),
            "{:?}",
            left[29] - t0
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_rate_change_applies_to_the_requests_after_it() {
        let pacer = Arc::new(Pacer::new(
            RateSettings {
                rate: NonZeroU32::new(50).unwrap(),
                start: None,
                adaptive: true,
            },
            Concurrency::Fixed(64),
        ));
        send(&pacer, 8, 100).await;
        // Refusals in a row: the account's limit, read from what went through.
        for _ in 0..crate::engine::throttle::HANDFUL {
            pacer.observe(
                Instant::now() - Duration::from_millis(5),
                Some(Signal::Throttled { retry_after: None }),
            );
        }
        let rate = pacer.rate();
        assert!(rate < 50.0, "{rate}");
        tokio::time::sleep(Duration::from_secs(2)).await;
        let t0 = Instant::now();
        let left = send(&pacer, 8, 5 * rate as usize).await;
        let cap = (rate.floor() as usize).max(1);
        assert_eq!(busiest(&left, Duration::from_secs(1)), cap);
        assert!(left[left.len() - 1] - t0 >= SPAN * 4, "{rate}/s");
    }

    #[tokio::test(start_paused = true)]
    async fn the_shared_pause_holds_every_request() {
        let pacer = Arc::new(fixed(100, 64));
        let t0 = Instant::now();
        // Enough refusals with a Retry-After to read the limit: every sender
        // pauses three seconds, fixed rate or not.
        for _ in 0..crate::engine::throttle::HANDFUL {
            pacer.observe(
                t0,
                Some(Signal::Throttled {
                    retry_after: Some(Duration::from_secs(3)),
                }),
            );
        }
        let left = send(&pacer, 16, 40).await;
        assert!(
            left.iter().all(|&t| t >= t0 + Duration::from_secs(3)),
            "{:?}",
            left[0] - t0
        );
        assert_eq!(pacer.rate(), 100.0, "a fixed rate stays");
    }

    #[tokio::test(start_paused = true)]
    async fn later_attempts_take_freed_places_before_first_attempts() {
        let pacer = Arc::new(fixed(1000, 1));
        let order = Arc::new(Mutex::new(Vec::new()));
        let held = pacer.enter(false).await;
        let mut tasks = Vec::new();
        // Three first attempts wait, then two later attempts come.
        for (i, again) in [(0, false), (1, false), (2, false), (3, true), (4, true)] {
            let (pacer, order) = (pacer.clone(), order.clone());
            tasks.push(tokio::spawn(async move {
                let _pass = pacer.enter(again).await;
                pacer.until_ready().await;
                lock(&order).push(i);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }));
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        drop(held);
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(*lock(&order), [3, 4, 0, 1, 2]);
    }
}
