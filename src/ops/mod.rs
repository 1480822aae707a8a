//! The commands, one module each, on top of the pipeline: each takes its resolved
//! options and returns a result struct; `cli` renders it and turns it into the
//! exit code. What every command over a batch shares lives in `batch`: where its
//! outputs go, picking the batch, and the end of a sending command (results CSV,
//! metrics, summary JSON, exit code decided from the ledger alone).

mod batch;
pub(crate) mod demo;
mod fetch;
pub(crate) mod morning;
pub(crate) mod online;
mod pick;
pub(crate) mod plan;
pub(crate) mod reconcile;
pub(crate) mod report;
pub(crate) mod retry;
pub(crate) mod run;
pub(crate) mod statements;
pub(crate) mod status;

pub(crate) use batch::{
    Finished, OutputOptions, Pick, SendOptions, format_for, report_failure, report_nothing,
    write_monitoring,
};
pub(crate) use fetch::{DEFAULT_MAX_REPORT_BYTES, parse_period};
