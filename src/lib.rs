//! `mprefund`: bulk refunds on the Mercado Pago API from a spreadsheet.
//!
//! The source is in folders by layer, data flowing one way: `domain` (the
//! vocabulary) ← `sheets` (the input reader, every CSV through one writer),
//! `store` (the SQLite checkpoint) and `api` (one request, its answer read
//! strictly) ← `engine` (the one send loop, the runner and its collector) ←
//! `ops` (one module per command) ← `cli` and `web` (the entry points).
//! `error` holds the markers any layer puts on an error; `exit`, for the
//! entry points only, turns a result or an error into the process's code. The
//! stateful stand-in for the API that tests, the demo and the benchmarks run
//! against is a crate of its own, `mprefund-sandbox` (sandbox/), which knows
//! nothing of this one.

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
