//! PLACEHOLDER — the sandbox helper replaces this file (see brief). The public API
//! below is the contract the rest of the crate and the tests rely on.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use rust_decimal::Decimal;

use crate::domain::Kind;

/// A bearer token the sandbox accepts by default (it accepts any `TEST-…` or `APP_USR-…`).
pub const TEST_TOKEN: &str = "TEST-mprefund-sandbox";

#[derive(clap::Args, Debug, Clone)]
pub struct SandboxArgs {
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
}

pub async fn serve_cli(_args: SandboxArgs) -> anyhow::Result<()> {
    todo!()
}

#[derive(Debug, Clone, Default)]
pub struct Faults {
    pub latency: Duration,
    pub jitter: Duration,
    pub error_500: f64,
    pub error_429: f64,
    pub retry_after_secs: u64,
    pub cut_after_commit: f64,
    pub html_502_after_commit: f64,
}

#[derive(Debug, Clone, Default)]
pub struct SandboxConfig {
    pub faults: Faults,
    pub string_codes: bool,
    pub payments: Vec<PaymentSpec>,
}

#[derive(Debug, Clone)]
pub struct PaymentSpec {
    pub id: u64,
    pub kind: Kind,
    pub amount: Decimal,
    pub currency: String,
    pub status: String,
    pub date_approved: String,
}

#[derive(Debug, Clone)]
pub struct RefundRecord {
    pub id: u64,
    pub payment_id: u64,
    pub kind: Kind,
    pub amount: Decimal,
    pub status: String,
    pub idempotency_key: String,
    pub date_created: String,
}

#[derive(Debug, Clone, Default)]
pub struct Stats {
    pub requests: u64,
    pub refunds_created: u64,
    pub by_status: BTreeMap<u16, u64>,
    pub per_second: BTreeMap<u64, u64>,
    pub busiest_second: u64,
    pub max_concurrent: u64,
}

pub struct Sandbox;

impl Sandbox {
    pub fn start(_cfg: SandboxConfig) -> anyhow::Result<SandboxHandle> {
        todo!()
    }
}

pub struct SandboxHandle;

impl SandboxHandle {
    pub fn addr(&self) -> SocketAddr {
        todo!()
    }
    pub fn base_url(&self) -> String {
        todo!()
    }
    pub fn refunds(&self) -> Vec<RefundRecord> {
        todo!()
    }
    pub fn stats(&self) -> Stats {
        todo!()
    }
    pub fn set_faults(&self, _f: Faults) {
        todo!()
    }
    pub fn declare_payment(&self, _p: PaymentSpec) {
        todo!()
    }
    pub fn fail_payment(&self, _id: u64, _status: u16) {
        todo!()
    }
    pub fn heal_payment(&self, _id: u64) {
        todo!()
    }
}
