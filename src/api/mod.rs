//! Mercado Pago's API as the wire speaks it: one request and its answer, read
//! strictly; the token and keeping it out of everything; network causes; the
//! HTTP client beneath them.

pub(crate) mod answer;
pub(crate) mod client;
pub(crate) mod network;
pub(crate) mod orders_api;
pub(crate) mod redact;
pub(crate) mod reply;
pub(crate) mod token;
pub(crate) mod transport;
