//! Spreadsheets in and out: the input reader, the one sheet writer, the results
//! file and Mercado Pago's own formats.

pub(crate) mod cell;
pub(crate) mod handoff;
pub(crate) mod input;
pub(crate) mod lines;
pub(crate) mod mpbatch;
pub(crate) mod mpreport;
pub(crate) mod report;
pub(crate) mod sheet;
