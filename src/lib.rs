//! `mprefund`: bulk refunds on the Mercado Pago API from a spreadsheet.
//!
//! The pipeline is `input` (CSV → validated rows with their `key`) → `ledger`
//! (SQLite checkpoint) → `runner` (rate-limited workers using `client` and `retry`,
//! one collector) → `report` (results CSV; every CSV through `sheet`). The stateful
//! stand-in for the API that tests, the demo and the benchmarks run against is a
//! crate of its own, `mprefund-sandbox` (sandbox/), which knows nothing of this one.

pub mod cli;
pub mod domain;
pub mod order;

mod answer;
mod atomic_file;
mod books;
mod causes;
mod cell;
mod client;
mod clock;
mod commands;
mod console;
mod demo;
#[cfg(test)]
mod docs_pinned;
mod doubt;
mod excerpt;
mod exit;
mod input;
mod key;
#[cfg(test)]
mod layers;
mod ledger;
mod lines;
mod lock;
mod lookup;
mod marks;
mod metrics;
mod money;
mod mpbatch;
mod mpreport;
mod network;
mod night;
mod notify;
mod orders_api;
mod paths;
mod private;
mod progress;
mod rate;
mod redact;
mod report;
mod retry;
mod runner;
mod send;
mod settings;
mod sheet;
mod state_access;
mod state_home;
mod state_owner;
mod steps;
mod target;
mod testpoint;
mod throttle;
mod token;
mod totals;

pub use exit::{Exit, Usage};
