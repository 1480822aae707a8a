//! `mprefund`: bulk refunds on the Mercado Pago API from a spreadsheet.
//!
//! The pipeline is `input` (CSV → validated rows with their `key`) → `ledger`
//! (SQLite checkpoint) → `runner` (rate-limited workers using `client` and `retry`,
//! one collector) → `report` (results CSV; every CSV through `sheet`). The stateful
//! stand-in for the API that tests, the demo and the benchmarks run against is a
//! crate of its own, `mprefund-sandbox` (sandbox/), which knows nothing of this one.

pub mod cli;
pub mod domain;

mod api;
mod engine;
mod ops;
mod sheets;
mod store;
mod web;

mod error;
mod exit;

pub use domain::ending::Exit;
pub use error::Usage;
pub use exit::of_result as exit_code;
