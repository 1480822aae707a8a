//! Sending a batch: the one send loop with its rate, throttle and retry policy,
//! the runner and its collector, read-backs, progress, metrics and
//! notifications.

pub(crate) mod doubt;
pub(crate) mod lookup;
pub(crate) mod metrics;
pub(crate) mod night;
pub(crate) mod notify;
pub(crate) mod progress;
pub(crate) mod rate;
pub(crate) mod retry;
pub(crate) mod runner;
pub(crate) mod send;
pub(crate) mod testpoint;
pub(crate) mod throttle;
