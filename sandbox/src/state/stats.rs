//! The request counters behind `/__sandbox/stats`: by status, per calendar second,
//! the busiest sliding second, concurrency, refunds created and replays.

use std::collections::BTreeMap;

use super::super::Stats;

/// The counters behind [`Stats`]; only API requests (not `/__sandbox`) count.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    requests: u64,
    by_status: BTreeMap<u16, u64>,
    per_second: BTreeMap<u64, u64>,
    /// Arrivals (µs since the Unix epoch) of the last second, for the sliding count.
    window: std::collections::VecDeque<u64>,
    busiest_window: u64,
    pub(super) refunds_created: u64,
    gets: u64,
    posts: u64,
    pub(super) replays: u64,
    cut_connections: u64,
    /// Requests refused by the account limit (`--rate-limit`).
    pub(crate) rate_limited: u64,
    in_flight: u64,
    max_concurrent: u64,
}

impl Counters {
    /// `at_micros`: arrival, in µs since the Unix epoch.
    pub(crate) fn request_started(&mut self, at_micros: u64, get: bool) {
        let c = self;
        c.requests += 1;
        if get {
            c.gets += 1;
        } else {
            c.posts += 1;
        }
        *c.per_second.entry(at_micros / 1_000_000).or_default() += 1;
        // Sliding window (at - 1 s, at]: what "N per second" promises, unlike
        // calendar seconds, which split a burst in two.
        while c
            .window
            .front()
            .is_some_and(|&t| t + 1_000_000 <= at_micros)
        {
            c.window.pop_front();
        }
        c.window.push_back(at_micros);
        c.busiest_window = c.busiest_window.max(c.window.len() as u64);
        c.in_flight += 1;
        c.max_concurrent = c.max_concurrent.max(c.in_flight);
    }

    /// `status` is `None` when the request was abandoned by its client, or its
    /// connection failed before its end was seen; `cut`, when its connection
    /// was cut instead of answered (counted by [`Counters::connection_cut`]).
    pub(crate) fn request_finished(&mut self, status: Option<u16>, cut: bool) {
        let c = self;
        c.in_flight = c.in_flight.saturating_sub(1);
        if let Some(s) = status.filter(|_| !cut) {
            *c.by_status.entry(s).or_default() += 1;
        }
    }

    /// A connection cut after its request's commit, counted as it is cut: the
    /// client may see it fail, and the server drop the request, before the
    /// request's end is seen.
    pub(crate) fn connection_cut(&mut self) {
        self.cut_connections += 1;
    }

    pub(crate) fn stats(&self) -> Stats {
        let c = self;
        Stats {
            requests: c.requests,
            refunds_created: c.refunds_created,
            replays: c.replays,
            cut_connections: c.cut_connections,
            by_status: c.by_status.clone(),
            per_second: c.per_second.clone(),
            busiest_second: c.per_second.values().copied().max().unwrap_or(0),
            busiest_sliding_second: c.busiest_window,
            max_concurrent: c.max_concurrent,
            gets: c.gets,
            posts: c.posts,
            in_flight: c.in_flight,
            rate_limited: c.rate_limited,
        }
    }

    /// Starts counting afresh; requests still in flight stay counted as such.
    pub(crate) fn reset(&mut self) {
        let in_flight = self.in_flight;
        *self = Counters {
            in_flight,
            ..Counters::default()
        };
    }
}
