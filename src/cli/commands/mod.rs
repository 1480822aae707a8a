//! One module per command, as cargo's `commands/x.rs`: the command's own flags
//! and its `exec`, which resolves its settings, runs the command in the library
//! (`crate::ops`) and shows its result. Each returns the command's exit.

pub(crate) mod console;
pub(crate) mod plan;
pub(crate) mod reconcile;
pub(crate) mod report;
pub(crate) mod retry;
pub(crate) mod run;
pub(crate) mod status;
