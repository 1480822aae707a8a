//! `--rate N` (SPEC "Sending"): at most N requests in any one-second window,
//! retries included, and a long run that averages close to N.
//!
//! Two gates, both shared by every worker: a governor GCRA paces requests at N per
//! second with a small burst (N/10, at least 1), and a sliding window of the last N
//! departures holds a request until the N-th before it is more than a second (plus
//! a small margin for the trip to the server) old. The GCRA alone lets its burst
//! come on top of N in the second after an idle spell; the window alone would send
//! N at once and then wait. Together: smooth, and never above N in any window.

use std::collections::VecDeque;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tokio::time::Instant;

/// The window the promise is checked over, as the server sees arrivals: a send
/// pattern that holds over this span still holds when each request's trip jitters
/// by up to the margin. Costs at most 1.5 % of the rate.
const SPAN: Duration = Duration::from_millis(1015);

pub(crate) struct Pacer {
    gcra: DefaultDirectRateLimiter,
    window: std::sync::Mutex<Window>,
}

impl Pacer {
    pub(crate) fn new(rate: NonZeroU32) -> Pacer {
        let burst = NonZeroU32::new(rate.get() / 10).unwrap_or(NonZeroU32::MIN);
        Pacer {
            gcra: RateLimiter::direct(Quota::per_second(rate).allow_burst(burst)),
            window: std::sync::Mutex::new(Window::new(rate.get() as usize, SPAN)),
        }
    }

    /// Resolves when one more request may leave (and counts it as gone).
    pub(crate) async fn until_ready(&self) {
        self.gcra.until_ready().await;
        loop {
            let now = Instant::now();
            let admitted = self
                .window
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .admit(now);
            match admitted {
                Ok(()) => return,
                Err(at) => tokio::time::sleep_until(at).await,
            }
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
}
