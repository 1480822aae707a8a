//! A stateful, in-memory stand-in for the Mercado Pago refunds API, in the spirit of
//! Stripe's test mode: the tests, the demo and the benchmarks all run against it.
//! It owns the sandbox's public API (this file), its state and rules
//! (`state`), its HTTP surface and fault injection (`routes`) and
//! connections that can be cut after a commit (`conn`). It is a crate of its own
//! and depends on nothing of the engine: it speaks the wire format on its own
//! terms, with its own words for it (`Kind`, [`BadArgs`]).
//!
//! Invariants: money is `Decimal` end to end (never f64); a refund is created at
//! most once per (token, idempotency key); only successful creations are
//! remembered for replay, so a key whose request failed can succeed later; every
//! fault that strikes "before commit" leaves no trace, every fault "after commit"
//! leaves exactly one refund.
//!
//! Payments: ids whose last three digits are 000–899 are ordinary approved BRL
//! payments of 100.00, approved today (created on first sight). Ids ending in 900–999
//! are reserved for documented error cases:
//!
//! | id ends in | payment | refund POST answers |
//! | --- | --- | --- |
//! | 900 | does not exist | 404, cause 2000 (advanced: "404", "404002") |
//! | 901 | approved 200 days ago | 400, cause 2024 |
//! | 902 | approved 200 days ago | 400, cause 15016 |
//! | 903 | status pending | 400, cause 2063 |
//! | 904 | status cancelled | 400, cause 2063 |
//! | 905 | already fully refunded | 400, cause 2063 |
//! | 906 | partial refunds unsupported | partial: 400, cause 3024; full: 201 |
//! | 907 | refund settles later | 201, status in_process |
//! | 908 | refund rejected | 201, status rejected (balance untouched) |
//! | 909 | Pix in contingency | 400, cause 2090; with X-Render-In-Process-Refunds: true → 201 in_process |
//! | 910 | CLP 10000 (0 decimals) | like ordinary; decimals → 400, cause 4042 |
//! | 911 | collector has no balance | 400, cause 2091 |
//!
//! Orders (`/v1/orders`, ids `ORD` + 26 letters and digits): an ordinary order
//! is a processed BRL order of 100.00 in one payment transaction (`PAY…`), made
//! today; its refund POST answers 201 with the whole order, amounts as strings,
//! refunds `REF…`. Errors come as `{"errors": [{"code", "message", "details"}]}`
//! with string codes; ids ending in 900–999 stand for them:
//!
//! | order id ends in | order | refund POST answers |
//! | --- | --- | --- |
//! | 900 | does not exist | 404 order_not_found |
//! | 901 | another account's | 400 invalid_order_owner |
//! | 902 | made 400 days ago | 400 in_store_payment_refund_order |
//! | 903 | partial refunds unsupported | partial: 400 unsupported_partially_refunds; full: 201 |
//! | 904 | has tips | partial: 403 partial_refund_forbidden_with_tips; full: 201 |
//! | 905 | another refund in progress | first POST: 409 refund_in_progress; then as ordinary |
//! | 906 | - | 409 idempotency_key_already_used |
//! | 907 | - | first POST: 423 resource_locked; then as ordinary |
//! | 908 | - | 500 idempotency_validation_failed (nothing made) |
//! | 909 | refund settles later | 201, refund processing |
//! | 910 | refund fails | 201, refund failed (balance untouched) |
//! | 911 | two payment transactions of 50.00 | like ordinary; a partial names one |
//! | 912 | an open chargeback | like ordinary (the tool holds it) |
//! | 913 | - | 401 user_not_authorized |
//! | 914 | status action_required | 409 cannot_refund_order |
//! | 915 | status expired | 400 invalid_order_status |
//! | 916 | has a cash withdrawal (cashout) | partial: 400 partial_refund_not_allowed_with_cashout; full: 201 |
//!
//! Other answers: amount ≤ 0 → 400/4040; amount not a number → 400/4041; more
//! decimals than the currency allows → 400/4042 (sandbox's code); partial refunds
//! past the remaining balance → 400/4043 (sandbox's code); a refund after the
//! payment is fully refunded → 400/2063; more than 180 days after approval →
//! 400/2024; no `X-Idempotency-Key` → 400/4292 (MP's reference files 4292 under 404;
//! the sandbox answers 400); a token not starting `TEST-` or `APP_USR-` → 401/401;
//! same key, other request → 409; same key still in flight → 423; body not a JSON
//! object → 400/400. Causes 2090, 2091, 4042 and 4043 are the sandbox's own: MP
//! documents these cases without a number.

mod admin;
mod cli;
mod conn;
mod kind;
mod order_routes;
mod routes;
mod state;

use std::collections::BTreeMap;
use std::future::IntoFuture;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context as _;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use conn::{ConnTag, CutListener};
use routes::{App, Shared};

pub use cli::{SandboxArgs, magic_ids_markdown, magic_orders_markdown, serve_cli};
pub use kind::Kind;
pub use state::OrderRefundRecord;

/// The caller's arguments cannot be served (a payments file that is not JSON, a
/// share outside 0..1, a port in use, a payment spec that does not hold):
/// nothing was started. The `mprefund` binary reports it as a usage error.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadArgs(pub String);

/// A bearer token the sandbox accepts by default (it accepts any `TEST-…` or `APP_USR-…`).
pub const TEST_TOKEN: &str = "TEST-mprefund-sandbox";

/// Faults to inject; all shares are probabilities in 0..=1 and default to off.
/// As JSON (`POST /__sandbox/faults`) durations are `latency_ms` / `jitter_ms`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    #[serde(rename = "latency_ms", with = "millis")]
    pub latency: Duration,
    #[serde(rename = "jitter_ms", with = "millis")]
    pub jitter: Duration,
    /// Answered 500 before commit (nothing created).
    pub error_500: f64,
    /// Answered 429 with `Retry-After` before commit (nothing created).
    pub error_429: f64,
    /// `Retry-After` of injected 429s (0: "retry at once", which pauses no one).
    pub retry_after_secs: u64,
    /// Refund committed, then the connection is dropped without a response.
    pub cut_after_commit: f64,
    /// Refund committed, then an HTML 502 page is answered.
    pub html_502_after_commit: f64,
    /// Seeds the random draws; setting faults with a seed restarts the sequence.
    pub seed: Option<u64>,
    /// Share of requests that take `slow_ms` more before they are decided (and
    /// committed): beyond a client's timeout, an answer that never comes.
    pub slow: f64,
    #[serde(rename = "slow_ms", with = "millis")]
    pub slow_delay: Duration,
}

impl Faults {
    fn validate(&self) -> Result<(), String> {
        let shares = [
            ("error_500", self.error_500),
            ("error_429", self.error_429),
            ("cut_after_commit", self.cut_after_commit),
            ("html_502_after_commit", self.html_502_after_commit),
            ("slow", self.slow),
        ];
        match shares.iter().find(|(_, v)| !(0.0..=1.0).contains(v)) {
            Some((name, v)) => Err(format!("{name} = {v} is not a share between 0 and 1")),
            None => Ok(()),
        }
    }
}

mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_millis)
    }
}

#[derive(Debug, Clone, Default)]
pub struct SandboxConfig {
    pub faults: Faults,
    /// Every error uses the string-typed variant (`"status": "400"`, `"code": "2063"`).
    pub string_codes: bool,
    /// Payments declared up front; they take precedence over the id conventions.
    pub payments: Vec<PaymentSpec>,
    /// In-process refunds settle this long after creation (`--settle-after`).
    pub settle_after: Option<Duration>,
    /// The account's limit: API requests per token in any one second
    /// (`--rate-limit`); past it, 429 with `Retry-After`.
    pub rate_limit: Option<u32>,
    /// How long a report asked for takes to appear in its list (`--report-delay`).
    pub report_delay: Duration,
}

/// A payment declared explicitly. As JSON, only `id` and `amount` are required;
/// `kind` defaults to `payment`, `currency` to BRL, `status` to `approved` and
/// `date_approved` (RFC 3339) to now.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentSpec {
    pub id: u64,
    #[serde(default, deserialize_with = "de_kind")]
    pub kind: Kind,
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub amount: Decimal,
    #[serde(default = "default_currency")]
    pub currency: String,
    #[serde(default = "default_status")]
    pub status: String,
    #[serde(default = "now_rfc3339")]
    pub date_approved: String,
}

impl PaymentSpec {
    /// What an ordinary id stands for: approved BRL 100.00, approved now.
    pub fn ordinary(id: u64) -> Self {
        PaymentSpec {
            id,
            kind: Kind::Payment,
            amount: Decimal::new(100, 0),
            currency: default_currency(),
            status: default_status(),
            date_approved: now_rfc3339(),
        }
    }
}

fn default_currency() -> String {
    "BRL".to_owned()
}

fn default_status() -> String {
    "approved".to_owned()
}

fn now_rfc3339() -> String {
    state::format_date(time::OffsetDateTime::now_utc())
}

fn de_kind<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Kind, D::Error> {
    let s = String::deserialize(d)?;
    s.parse().map_err(serde::de::Error::custom)
}

fn ser_kind<S: serde::Serializer>(k: &Kind, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(k.as_str())
}

/// An order declared explicitly. As JSON, only `id` and `amount` are required
/// (`amount` a string or a number); `currency` defaults to BRL, `status` to
/// `processed`, `created_date` (RFC 3339) to now, `transactions` (how many
/// payment transactions share the amount) to 1, `chargeback` (an open one on
/// the first transaction), `tips` and `cashout` (a cash withdrawal paid out
/// with it: only a full refund) to false.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderSpec {
    pub id: String,
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub amount: Decimal,
    #[serde(default = "default_currency")]
    pub currency: String,
    #[serde(default = "default_order_status")]
    pub status: String,
    #[serde(default = "now_rfc3339")]
    pub created_date: String,
    #[serde(default = "one")]
    pub transactions: u32,
    #[serde(default)]
    pub chargeback: bool,
    #[serde(default)]
    pub tips: bool,
    #[serde(default)]
    pub cashout: bool,
}

fn default_order_status() -> String {
    "processed".to_owned()
}

fn one() -> u32 {
    1
}

impl OrderSpec {
    /// What an ordinary order id stands for: processed BRL 100.00, made now.
    pub fn ordinary(id: &str) -> Self {
        OrderSpec {
            id: id.to_owned(),
            amount: Decimal::new(10_000, 2),
            currency: default_currency(),
            status: default_order_status(),
            created_date: now_rfc3339(),
            transactions: 1,
            chargeback: false,
            tips: false,
            cashout: false,
        }
    }

    pub(crate) fn to_order(&self) -> anyhow::Result<state::Order> {
        anyhow::ensure!(
            state::valid_order_id(&self.id),
            "order {:?} is not ORD followed by 26 letters and digits",
            self.id
        );
        anyhow::ensure!(
            self.amount > Decimal::ZERO,
            "order {}: amount must be positive",
            self.id
        );
        let currency = self.currency.trim().to_ascii_uppercase();
        anyhow::ensure!(
            currency.len() == 3 && currency.bytes().all(|b| b.is_ascii_uppercase()),
            "order {}: currency {:?} is not a three-letter code",
            self.id,
            self.currency
        );
        let created = time::OffsetDateTime::parse(
            &self.created_date,
            &time::format_description::well_known::Rfc3339,
        )
        .map_err(|_| {
            anyhow::anyhow!(
                "order {}: created_date {:?} is not RFC 3339",
                self.id,
                self.created_date
            )
        })?;
        let mut o = state::Order::new(&self.id, self.amount, &currency, self.transactions, created);
        o.status = self.status.trim().to_ascii_lowercase();
        o.chargeback = self.chargeback;
        o.tips = self.tips;
        o.cashout = self.cashout;
        Ok(o)
    }
}

/// One refund the sandbox created (the admin view's row).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RefundRecord {
    pub id: u64,
    pub payment_id: u64,
    #[serde(serialize_with = "ser_kind")]
    pub kind: Kind,
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub amount: Decimal,
    pub status: String,
    pub idempotency_key: String,
    pub date_created: String,
}

/// API request counters (the `/__sandbox` admin view is not counted).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Stats {
    /// Every API request, retries included.
    pub requests: u64,
    pub refunds_created: u64,
    /// Requests answered from the idempotency table (nothing created).
    pub replays: u64,
    /// Responses never sent because the connection was cut after commit; these
    /// are not in `by_status`.
    pub cut_connections: u64,
    pub by_status: BTreeMap<u16, u64>,
    /// API requests by arrival second (unix time).
    pub per_second: BTreeMap<u64, u64>,
    /// The highest count in `per_second`.
    pub busiest_second: u64,
    /// The most API requests that arrived within any one second (a sliding
    /// window, not calendar seconds).
    pub busiest_sliding_second: u64,
    /// The most API requests in flight at once.
    pub max_concurrent: u64,
    /// API requests by method: reads (`GET`) apart from refunds (`POST`).
    pub gets: u64,
    pub posts: u64,
    pub in_flight: u64,
    /// Requests answered 429 by the account limit (`--rate-limit`), also in
    /// `by_status`.
    pub rate_limited: u64,
}

pub struct Sandbox;

fn build_app(cfg: SandboxConfig) -> anyhow::Result<App> {
    cfg.faults.validate().map_err(BadArgs)?;
    let mut st = state::State::new(cfg.faults);
    st.book.settle_after = cfg.settle_after;
    st.limit = cfg.rate_limit.map(state::AccountLimit::new);
    st.reports.delay = cfg.report_delay;
    for spec in &cfg.payments {
        st.book
            .declare(spec.to_payment().map_err(|e| BadArgs(e.to_string()))?);
    }
    Ok(Shared::new(st, cfg.string_codes))
}

impl Sandbox {
    /// Starts a sandbox on `127.0.0.1` (a free port) on its own thread and tokio
    /// runtime, so it works from plain `#[test]`s and from inside a runtime alike.
    /// Returns once it is listening; dropping the handle stops it.
    pub fn start(cfg: SandboxConfig) -> anyhow::Result<SandboxHandle> {
        let app = build_app(cfg)?;
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<anyhow::Result<SocketAddr>>();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let server_app = app.clone();
        let thread = std::thread::Builder::new()
            .name("mprefund-sandbox".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_name("mprefund-sandbox-rt")
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(anyhow::Error::new(e)));
                        return;
                    }
                };
                rt.block_on(async move {
                    let listener = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
                        Ok(l) => CutListener::new(l, server_app.open.clone()),
                        Err(e) => {
                            let _ = ready_tx.send(Err(anyhow::Error::new(e)));
                            return;
                        }
                    };
                    let _ = ready_tx.send(listener.addr().map_err(anyhow::Error::new));
                    let service =
                        routes::router(server_app).into_make_service_with_connect_info::<ConnTag>();
                    // Abrupt on purpose: a test's sandbox must stop even while a
                    // client sits in a long injected latency.
                    tokio::select! {
                        _ = axum::serve(listener, service).into_future() => {}
                        _ = stop_rx => {}
                    }
                });
                rt.shutdown_timeout(Duration::from_millis(200));
            })
            .context("spawning the sandbox thread")?;
        match ready_rx.recv() {
            Ok(Ok(addr)) => Ok(SandboxHandle {
                addr,
                app,
                stop: Some(stop_tx),
                thread: Some(thread),
            }),
            Ok(Err(e)) => {
                let _ = thread.join();
                Err(e.context("starting the sandbox"))
            }
            Err(_) => {
                let _ = thread.join();
                anyhow::bail!("the sandbox thread ended before listening")
            }
        }
    }
}

/// A running sandbox. It reads and changes the server's state directly; dropping
/// it stops the server and joins its thread.
pub struct SandboxHandle {
    addr: SocketAddr,
    app: App,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl SandboxHandle {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every refund created so far, oldest first.
    pub fn refunds(&self) -> Vec<RefundRecord> {
        self.app.lock().book.refunds.clone()
    }

    /// Holds every refund request from now on, once its idempotency key is reserved
    /// (so another request with that key meets 423) and counted in flight, until
    /// [`SandboxHandle::release`].
    pub fn hold(&self) {
        self.app.gate.send_replace(false);
    }

    /// Refund requests received and not yet decided, whether or not their
    /// client still waits (a given-up request is still being processed).
    pub fn processing(&self) -> usize {
        self.app
            .processing
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Connections accepted and not yet closed, a connection just made to the
    /// sandbox among them once accepted. Connections are accepted in the order
    /// they were made: once a new one is counted, every one made before it has
    /// been too.
    pub fn open_connections(&self) -> usize {
        self.app.open.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// How many refund requests are held (see [`SandboxHandle::hold`]).
    pub fn held(&self) -> usize {
        self.app.gate.receiver_count()
    }

    pub fn release(&self) {
        self.app.gate.send_replace(true);
    }

    pub fn stats(&self) -> Stats {
        self.app.lock().counters.stats()
    }

    /// Zeroes the counters (the refunds and payments stay).
    pub fn reset_stats(&self) {
        self.app.lock().counters.reset();
    }

    /// Replaces the faults; with a seed, the random sequence restarts from it.
    pub fn set_faults(&self, f: Faults) {
        self.app.lock().dice.set_faults(f);
    }

    /// Declares (or redeclares, dropping its refund history) a payment.
    ///
    /// # Panics
    /// When the spec is invalid (amount ≤ 0, a currency that is not three
    /// letters, a `date_approved` that is not RFC 3339): a test's own mistake.
    /// Use [`SandboxHandle::try_declare_payment`] to get the error instead.
    pub fn declare_payment(&self, p: PaymentSpec) {
        if let Err(e) = self.try_declare_payment(p) {
            panic!("declare_payment: {e}");
        }
    }

    pub fn try_declare_payment(&self, p: PaymentSpec) -> anyhow::Result<()> {
        let payment = p.to_payment()?;
        self.app.lock().book.declare(payment);
        Ok(())
    }

    /// Every refund POST for this payment id (either kind) answers `status`
    /// before commit until [`SandboxHandle::heal_payment`].
    pub fn fail_payment(&self, id: u64, status: u16) {
        self.app.lock().dice.fail_payment(id, status);
    }

    pub fn heal_payment(&self, id: u64) {
        self.app.lock().dice.heal_payment(id);
    }

    /// A refund made by hand, as in the Mercado Pago panel: no idempotency key, the
    /// same rules as the API. `amount` `None` refunds the rest.
    pub fn refund_by_hand(
        &self,
        payment_id: u64,
        amount: Option<Decimal>,
    ) -> anyhow::Result<RefundRecord> {
        self.app
            .lock()
            .refund_by_hand(payment_id, amount, time::OffsetDateTime::now_utc())
            .cloned()
            .map_err(|e| anyhow::anyhow!("{} (cause {})", e.message, e.code))
    }

    /// Changes a refund after the fact (see `Book::change_refund`): `status`
    /// `rejected` or `cancelled` gives its money back to the payment.
    pub fn change_refund(
        &self,
        id: u64,
        status: Option<&str>,
        amount: Option<Decimal>,
    ) -> Option<RefundRecord> {
        self.app
            .lock()
            .book
            .change_refund(id, status, amount)
            .cloned()
    }

    /// Settles every refund still in process (payments' `in_process`, orders'
    /// `processing`); returns how many.
    pub fn settle_in_process(&self) -> usize {
        self.app.lock().settle_all()
    }

    /// Makes the reports disagree with the book (see `state::reports`), or not.
    pub fn set_report_lies(&self, lie: bool) {
        self.app.lock().reports.lie = lie;
    }

    /// The next `n` report list requests answer 429 (`Retry-After: 1`).
    pub fn throttle_report_lists(&self, n: u32) {
        self.app.lock().reports.throttle_lists = n;
    }
}

/// The Orders API's side of the handle.
impl SandboxHandle {
    /// Every order refund made so far, oldest first.
    pub fn order_refunds(&self) -> Vec<OrderRefundRecord> {
        self.app.lock().orders.refunds.clone()
    }

    /// Declares (or redeclares, dropping its refunds) an order.
    ///
    /// # Panics
    /// When the spec is invalid: a test's own mistake.
    pub fn declare_order(&self, o: OrderSpec) {
        match o.to_order() {
            Ok(order) => self.app.lock().orders.declare(order),
            Err(e) => panic!("declare_order: {e}"),
        }
    }

    /// A refund of an order made by hand, as in the panel: no key. `amount`
    /// (as the API writes it, `"5.00"`) `None` refunds what is left.
    pub fn order_refund_by_hand(
        &self,
        order_id: &str,
        amount: Option<&str>,
    ) -> anyhow::Result<Vec<OrderRefundRecord>> {
        self.app
            .lock()
            .order_refund_by_hand(order_id, amount, None)
            .map_err(|e| anyhow::anyhow!("{} ({})", e.message, e.code))
    }

    /// Changes an order refund after the fact: `failed` gives its money back.
    pub fn change_order_refund(&self, id: &str, status: &str) -> Option<OrderRefundRecord> {
        self.app.lock().orders.change_refund(id, status).cloned()
    }
}

impl Drop for SandboxHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_doc_carries_the_current_magic_table() {
        let doc: String = include_str!("lib.rs")
            .lines()
            .filter_map(|l| l.strip_prefix("//! ").or(l.strip_prefix("//!")))
            .map(|l| format!("{l}\n"))
            .collect();
        assert!(
            doc.contains(&magic_ids_markdown()),
            "update the table in sandbox/src/lib.rs's doc to:\n{}",
            magic_ids_markdown()
        );
        assert!(
            doc.contains(&magic_orders_markdown()),
            "update the orders' table in sandbox/src/lib.rs's doc to:\n{}",
            magic_orders_markdown()
        );
    }

    #[test]
    fn payment_specs_parse_with_defaults_and_exact_amounts() {
        let specs: Vec<PaymentSpec> = serde_json::from_str(
            r#"[{"id": 42, "amount": 12345678901.23},
                {"id": 43, "amount": "7", "currency": "clp", "kind": "advanced_payment",
                 "status": "pending", "date_approved": "2026-01-31T12:00:00-03:00"}]"#,
        )
        .expect("specs parse");
        assert_eq!(specs[0].amount.to_string(), "12345678901.23");
        assert_eq!(specs[0].currency, "BRL");
        assert_eq!(specs[1].kind, Kind::AdvancedPayment);
        let p = specs[1].to_payment().expect("valid spec");
        assert_eq!(
            (p.currency.as_str(), p.decimals, p.status.as_str()),
            ("CLP", 0, "pending")
        );
        assert!(serde_json::from_str::<PaymentSpec>(r#"{"id":1,"amount":1,"amout":2}"#).is_err());
        let bad_date = PaymentSpec {
            date_approved: "yesterday".into(),
            ..PaymentSpec::ordinary(5)
        };
        assert!(bad_date.to_payment().is_err());
    }

    #[test]
    fn faults_round_trip_as_json_in_millis() {
        let f = Faults {
            latency: Duration::from_millis(250),
            error_429: 0.25,
            seed: Some(3),
            ..Faults::default()
        };
        let text = serde_json::to_string(&f).expect("serialises");
        assert!(text.contains("\"latency_ms\":250"), "{text}");
        assert_eq!(serde_json::from_str::<Faults>(&text).ok(), Some(f));
        let bad: Faults = serde_json::from_str(r#"{"error_500": 1.5}"#).expect("parses");
        assert!(bad.validate().is_err());
    }
}
