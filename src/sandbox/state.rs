//! The sandbox's whole mutable world, and the pure rules that change it: payments
//! (ordinary, magic and declared), refunds, the idempotency table, fault draws and
//! the request counters. Nothing here touches the network or awaits, so every rule
//! is unit-tested directly and the server only ever holds the lock for one short,
//! synchronous call.
//!
//! Invariants: a payment's `consumed` equals the sum of its non-rejected refunds
//! (plus what a magic "already refunded" payment starts with) and never exceeds its
//! amount; refund ids strictly increase; an idempotency entry is `Done` only for a
//! refund that exists, and `InFlight` only while one request owns it.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::time::Duration;

use axum::body::Bytes;
use rust_decimal::Decimal;
use serde::Serialize;
use time::{OffsetDateTime, UtcOffset};

use super::{Faults, PaymentSpec, RefundRecord, Stats};
use crate::domain::Kind;

/// Refunds are accepted this many days after approval (the current MP snippet).
pub(crate) const REFUND_WINDOW_DAYS: i64 = 180;
/// How old the "too old" magic payments are.
const TOO_OLD_DAYS: i64 = 200;
/// The first refund id handed out; ids then increase by one.
const FIRST_REFUND_ID: u64 = 1_000_000_001;
/// Every refund's `source.id`: the sandbox plays a single collector.
pub(crate) const COLLECTOR_ID: u64 = 123_456_789;

/// Cause codes MP documents no number for; the sandbox picked these (see the README
/// table). Each is answered with HTTP 400.
pub(crate) mod codes {
    pub(crate) const TOO_MANY_DECIMALS: u32 = 4042;
    pub(crate) const EXCEEDS_BALANCE: u32 = 4043;
    pub(crate) const PIX_CONTINGENCY: u32 = 2090;
    pub(crate) const COLLECTOR_NO_BALANCE: u32 = 2091;
    pub(crate) const MALFORMED_BODY: u32 = 400;
}

/// Payments whose id ends in one of these three digits behave as documented error
/// cases. The single source of the `--help` text and the README table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Magic {
    NotFound,
    TooOld2024,
    TooOld15016,
    Pending,
    Cancelled,
    AlreadyRefunded,
    PartialUnsupported,
    SettlesInProcess,
    Rejected,
    PixContingency,
    Clp,
    CollectorNoBalance,
}

impl Magic {
    pub(crate) const ALL: [(u16, Magic); 12] = [
        (900, Magic::NotFound),
        (901, Magic::TooOld2024),
        (902, Magic::TooOld15016),
        (903, Magic::Pending),
        (904, Magic::Cancelled),
        (905, Magic::AlreadyRefunded),
        (906, Magic::PartialUnsupported),
        (907, Magic::SettlesInProcess),
        (908, Magic::Rejected),
        (909, Magic::PixContingency),
        (910, Magic::Clp),
        (911, Magic::CollectorNoBalance),
    ];

    pub(crate) fn of(id: u64) -> Option<Magic> {
        let suffix = (id % 1000) as u16;
        Self::ALL
            .iter()
            .find(|(s, _)| *s == suffix)
            .map(|(_, m)| *m)
    }

    /// (the payment, what a refund POST answers), for the help text and README.
    pub(crate) fn describe(self) -> (&'static str, &'static str) {
        match self {
            Magic::NotFound => (
                "does not exist",
                "404, cause 2000 (advanced: \"404\", \"404002\")",
            ),
            Magic::TooOld2024 => ("approved 200 days ago", "400, cause 2024"),
            Magic::TooOld15016 => ("approved 200 days ago", "400, cause 15016"),
            Magic::Pending => ("status pending", "400, cause 2063"),
            Magic::Cancelled => ("status cancelled", "400, cause 2063"),
            Magic::AlreadyRefunded => ("already fully refunded", "400, cause 2063"),
            Magic::PartialUnsupported => (
                "partial refunds unsupported",
                "partial: 400, cause 3024; full: 201",
            ),
            Magic::SettlesInProcess => ("refund settles later", "201, status in_process"),
            Magic::Rejected => (
                "refund rejected",
                "201, status rejected (balance untouched)",
            ),
            Magic::PixContingency => (
                "Pix in contingency",
                "400, cause 2090; with X-Render-In-Process-Refunds: true → 201 in_process",
            ),
            Magic::Clp => (
                "CLP 10000 (0 decimals)",
                "like ordinary; decimals → 400, cause 4042",
            ),
            Magic::CollectorNoBalance => ("collector has no balance", "400, cause 2091"),
        }
    }
}

/// A payment as the sandbox holds it.
#[derive(Debug, Clone)]
pub(crate) struct Payment {
    pub(crate) id: u64,
    pub(crate) kind: Kind,
    pub(crate) amount: Decimal,
    pub(crate) currency: String,
    pub(crate) decimals: u32,
    pub(crate) status: String,
    pub(crate) date_approved: OffsetDateTime,
    /// Refunded or reserved by non-rejected refunds.
    pub(crate) consumed: Decimal,
    pub(crate) magic: Option<Magic>,
    /// Indices into `State::refunds`, oldest first.
    pub(crate) refunds: Vec<usize>,
}

impl Payment {
    fn new(id: u64, kind: Kind, amount: Decimal, currency: &str, approved: OffsetDateTime) -> Self {
        Payment {
            id,
            kind,
            amount,
            decimals: currency_decimals(currency),
            currency: currency.to_owned(),
            status: "approved".to_owned(),
            date_approved: approved,
            consumed: Decimal::ZERO,
            magic: None,
            refunds: Vec::new(),
        }
    }

    /// The payment an undeclared id stands for; `None` when it must not exist.
    fn implicit(id: u64, kind: Kind, now: OffsetDateTime) -> Option<Self> {
        let hundred = Decimal::new(100, 0);
        let old = now - time::Duration::days(TOO_OLD_DAYS);
        let magic = Magic::of(id);
        let mut p = match magic {
            Some(Magic::NotFound) => return None,
            Some(Magic::TooOld2024 | Magic::TooOld15016) => {
                Payment::new(id, kind, hundred, "BRL", old)
            }
            Some(Magic::Clp) => Payment::new(id, kind, Decimal::new(10_000, 0), "CLP", now),
            _ => Payment::new(id, kind, hundred, "BRL", now),
        };
        match magic {
            Some(Magic::Pending) => p.status = "pending".to_owned(),
            Some(Magic::Cancelled) => p.status = "cancelled".to_owned(),
            Some(Magic::AlreadyRefunded) => {
                p.status = "refunded".to_owned();
                p.consumed = p.amount;
            }
            _ => {}
        }
        p.magic = magic;
        Some(p)
    }

    pub(crate) fn status_detail(&self) -> &'static str {
        match self.status.as_str() {
            "approved" if self.consumed > Decimal::ZERO => "partially_refunded",
            "approved" => "accredited",
            "refunded" => "refunded",
            "pending" => "pending_waiting_payment",
            "cancelled" => "expired",
            "rejected" => "cc_rejected_other_reason",
            _ => "other",
        }
    }
}

/// From the domain's table: the sandbox must round as the tool validates.
pub(crate) fn currency_decimals(currency: &str) -> u32 {
    currency
        .parse::<crate::domain::Currency>()
        .map_or(2, crate::domain::Currency::decimals)
}

/// Why a [`PaymentSpec`] cannot be declared.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SpecError {
    #[error("payment {0}: amount must be positive")]
    Amount(u64),
    #[error("payment {0}: currency {1:?} is not a three-letter code")]
    Currency(u64, String),
    #[error("payment {0}: date_approved {1:?} is not RFC 3339 (e.g. 2026-01-31T12:00:00-03:00)")]
    Date(u64, String),
}

impl PaymentSpec {
    pub(crate) fn to_payment(&self) -> Result<Payment, SpecError> {
        if self.amount <= Decimal::ZERO {
            return Err(SpecError::Amount(self.id));
        }
        let currency = self.currency.trim().to_ascii_uppercase();
        if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(SpecError::Currency(self.id, self.currency.clone()));
        }
        let approved = OffsetDateTime::parse(
            &self.date_approved,
            &time::format_description::well_known::Rfc3339,
        )
        .map_err(|_| SpecError::Date(self.id, self.date_approved.clone()))?;
        let mut p = Payment::new(self.id, self.kind, self.amount, &currency, approved);
        p.status = self.status.trim().to_ascii_lowercase();
        Ok(p)
    }
}

/// An error the API answers with: HTTP status, cause code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub(crate) status: u16,
    pub(crate) code: u32,
    pub(crate) message: &'static str,
    pub(crate) retry_after: Option<u64>,
}

impl ApiError {
    pub(crate) const fn new(status: u16, code: u32, message: &'static str) -> Self {
        ApiError {
            status,
            code,
            message,
            retry_after: None,
        }
    }

    pub(crate) const NOT_FOUND: ApiError = ApiError::new(404, 2000, "Payment not found");
    pub(crate) const ADVANCED_NOT_FOUND: ApiError =
        ApiError::new(404, 404_002, "Advanced payment not found");
    pub(crate) const REFUND_NOT_FOUND: ApiError = ApiError::new(404, 2032, "Refund not found");
    pub(crate) const BAD_STATE: ApiError = ApiError::new(
        400,
        2063,
        "The action requested is not valid for the current payment state",
    );
    pub(crate) const TOO_OLD: ApiError = ApiError::new(400, 2024, "Payment too old to be refunded");
    pub(crate) const TOO_OLD_15016: ApiError =
        ApiError::new(400, 15016, "Payment too old to be refunded");
    pub(crate) const PARTIAL_UNSUPPORTED: ApiError = ApiError::new(
        400,
        3024,
        "Not valid action - partial refund unsupported for this transaction",
    );
    pub(crate) const NOT_POSITIVE: ApiError =
        ApiError::new(400, 4040, "amount attribute must be positive");
    pub(crate) const NOT_NUMERIC: ApiError =
        ApiError::new(400, 4041, "amount attribute must be numeric");
    pub(crate) const TOO_MANY_DECIMALS: ApiError = ApiError::new(
        400,
        codes::TOO_MANY_DECIMALS,
        "amount has more decimals than the payment's currency allows",
    );
    pub(crate) const EXCEEDS_BALANCE: ApiError = ApiError::new(
        400,
        codes::EXCEEDS_BALANCE,
        "amount exceeds the payment's refundable balance",
    );
    pub(crate) const PIX_CONTINGENCY: ApiError = ApiError::new(
        400,
        codes::PIX_CONTINGENCY,
        "Pix refund in contingency; send X-Render-In-Process-Refunds: true to get it in_process",
    );
    pub(crate) const COLLECTOR_NO_BALANCE: ApiError = ApiError::new(
        400,
        codes::COLLECTOR_NO_BALANCE,
        "Not enough balance in the collector's account",
    );
    pub(crate) const MALFORMED_BODY: ApiError = ApiError::new(
        400,
        codes::MALFORMED_BODY,
        "request body is not a JSON object",
    );
    pub(crate) const MISSING_KEY: ApiError =
        ApiError::new(400, 4292, "Header X-Idempotency-Key can't be null");
    pub(crate) const INVALID_TOKEN: ApiError = ApiError::new(401, 401, "invalid_token");
    pub(crate) const KEY_CONFLICT: ApiError = ApiError::new(
        409,
        409,
        "X-Idempotency-Key already used with a different request",
    );
    pub(crate) const KEY_LOCKED: ApiError = ApiError::new(
        423,
        423,
        "X-Idempotency-Key is still being processed; try again later",
    );
    pub(crate) const INTERNAL: ApiError = ApiError::new(500, 500, "Internal server error");
    pub(crate) const ROUTE_NOT_FOUND: ApiError = ApiError::new(404, 404, "resource not found");

    pub(crate) fn rate_limited(retry_after: u64) -> Self {
        ApiError {
            retry_after: Some(retry_after),
            ..ApiError::new(429, 429, "Too many requests")
        }
    }

    /// The error `fail_payment` injects: the chosen status, its own number as code.
    pub(crate) fn injected(status: u16) -> Self {
        ApiError::new(
            status,
            u32::from(status),
            "Injected failure (sandbox fail_payment)",
        )
    }
}

/// What a refund POST asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ask {
    /// The remaining balance: empty body, `{}`, no `amount` or `"amount": null`.
    Full,
    Partial(Decimal),
}

/// What a refund POST body asks for. Only the `amount` field means anything.
fn ask_of(value: &serde_json::Value) -> Result<Ask, ApiError> {
    let serde_json::Value::Object(map) = value else {
        return Err(ApiError::MALFORMED_BODY);
    };
    match map.get("amount") {
        None | Some(serde_json::Value::Null) => Ok(Ask::Full),
        Some(serde_json::Value::Number(n)) => {
            let amount = decimal_of(n).ok_or(ApiError::NOT_NUMERIC)?;
            if amount <= Decimal::ZERO {
                Err(ApiError::NOT_POSITIVE)
            } else {
                Ok(Ask::Partial(amount.normalize()))
            }
        }
        Some(_) => Err(ApiError::NOT_NUMERIC),
    }
}

/// The exact decimal a JSON number spells (serde_json keeps its text because of
/// `arbitrary_precision`), never via f64.
fn decimal_of(n: &serde_json::Number) -> Option<Decimal> {
    let text = n.to_string();
    Decimal::from_str_exact(&text)
        .or_else(|_| Decimal::from_scientific(&text))
        .ok()
}

/// Reads a refund POST once, for both of its uses: the fingerprint that makes two
/// requests "the same" for idempotency, and what the body asks for.
///
/// The fingerprint is method, path and the body's meaning — JSON with sorted keys
/// and numbers normalised, so `{"amount":25}` and `{"amount": 25.0}` match, and an
/// empty body matches `{}`. A body that is not JSON is compared byte for byte.
pub(crate) fn read_request(
    method: &str,
    path: &str,
    body: &[u8],
) -> (String, Result<Ask, ApiError>) {
    let mut print = String::with_capacity(path.len() + body.len() + 8);
    print.push_str(method);
    print.push(' ');
    print.push_str(path);
    print.push(' ');
    if body.iter().all(u8::is_ascii_whitespace) {
        print.push_str("{}");
        return (print, Ok(Ask::Full));
    }
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(v) => {
            canonical(&v, &mut print);
            (print, ask_of(&v))
        }
        Err(_) => {
            print.push_str("raw:");
            print.push_str(&String::from_utf8_lossy(body));
            (print, Err(ApiError::MALFORMED_BODY))
        }
    }
}

fn canonical(v: &serde_json::Value, out: &mut String) {
    use serde_json::Value;
    match v {
        Value::Number(n) => match decimal_of(n) {
            Some(d) => {
                let _ = write!(out, "{}", d.normalize());
            }
            None => {
                let _ = write!(out, "{n}");
            }
        },
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (k, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let _ = write!(out, "{k:?}:");
                canonical(item, out);
            }
            out.push('}');
        }
        other => {
            let _ = write!(out, "{other}");
        }
    }
}

/// One refund request, already authenticated and parsed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RefundRequest<'a> {
    pub(crate) kind: Kind,
    pub(crate) payment_id: u64,
    pub(crate) ask: Ask,
    /// `X-Render-In-Process-Refunds: true` was sent.
    pub(crate) render_in_process: bool,
    pub(crate) idempotency_key: &'a str,
}

/// The idempotency table's entry for one (token, key).
#[derive(Debug)]
enum KeyEntry {
    InFlight {
        fingerprint: String,
    },
    Done {
        fingerprint: String,
        status: u16,
        body: Bytes,
    },
}

impl KeyEntry {
    fn fingerprint(&self) -> &str {
        match self {
            KeyEntry::InFlight { fingerprint } | KeyEntry::Done { fingerprint, .. } => fingerprint,
        }
    }
}

/// What the idempotency table says about an arriving request.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Claim {
    /// The key is now reserved for this request, which must commit or release it.
    Reserved,
    /// A finished request with the same key and meaning: answer this again.
    Replay { status: u16, body: Bytes },
}

/// The counters behind [`Stats`]; only API requests (not `/__sandbox`) count.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    requests: u64,
    by_status: BTreeMap<u16, u64>,
    per_second: BTreeMap<u64, u64>,
    /// Arrivals (µs since the Unix epoch) of the last second, for the sliding count.
    window: std::collections::VecDeque<u64>,
    busiest_window: u64,
    refunds_created: u64,
    replays: u64,
    cut_connections: u64,
    in_flight: u64,
    max_concurrent: u64,
}

pub(crate) struct State {
    payments: HashMap<(Kind, u64), Payment>,
    pub(crate) refunds: Vec<RefundRecord>,
    /// Index into `refunds` by refund id.
    refund_index: HashMap<u64, usize>,
    next_refund_id: u64,
    keys: HashMap<String, KeyEntry>,
    failing: HashMap<u64, u16>,
    pub(crate) faults: Faults,
    rng: fastrand::Rng,
    counters: Counters,
}

impl State {
    pub(crate) fn new(faults: Faults) -> Self {
        let rng = faults
            .seed
            .map_or_else(fastrand::Rng::new, fastrand::Rng::with_seed);
        State {
            payments: HashMap::new(),
            refunds: Vec::new(),
            refund_index: HashMap::new(),
            next_refund_id: FIRST_REFUND_ID,
            keys: HashMap::new(),
            failing: HashMap::new(),
            faults,
            rng,
            counters: Counters::default(),
        }
    }

    pub(crate) fn set_faults(&mut self, faults: Faults) {
        if let Some(seed) = faults.seed {
            self.rng.seed(seed);
        }
        self.faults = faults;
    }

    pub(crate) fn declare(&mut self, p: Payment) {
        self.payments.insert((p.kind, p.id), p);
    }

    pub(crate) fn fail_payment(&mut self, id: u64, status: u16) {
        self.failing.insert(id, status);
    }

    pub(crate) fn heal_payment(&mut self, id: u64) {
        self.failing.remove(&id);
    }

    /// The payment, created on first sight when its id stands for one.
    pub(crate) fn payment(&mut self, kind: Kind, id: u64, now: OffsetDateTime) -> Option<&Payment> {
        self.payment_mut(kind, id, now).map(|p| &*p)
    }

    fn payment_mut(&mut self, kind: Kind, id: u64, now: OffsetDateTime) -> Option<&mut Payment> {
        use std::collections::hash_map::Entry;
        match self.payments.entry((kind, id)) {
            Entry::Occupied(e) => Some(e.into_mut()),
            Entry::Vacant(e) => Payment::implicit(id, kind, now).map(|p| e.insert(p)),
        }
    }

    pub(crate) fn refunds_of(&self, p: &Payment) -> impl Iterator<Item = &RefundRecord> {
        p.refunds.iter().filter_map(|&i| self.refunds.get(i))
    }

    pub(crate) fn refund(&self, id: u64) -> Option<&RefundRecord> {
        self.refund_index
            .get(&id)
            .and_then(|&i| self.refunds.get(i))
    }

    /// Latency plus uniform jitter for one request.
    pub(crate) fn draw_delay(&mut self) -> Duration {
        let f = &self.faults;
        if f.jitter.is_zero() {
            return f.latency;
        }
        f.latency + f.jitter.mul_f64(self.rng.f64())
    }

    fn chance(&mut self, share: f64) -> bool {
        share > 0.0 && self.rng.f64() < share
    }

    /// Faults that strike before anything is committed: a failing payment, random
    /// 500s and 429s. `payment` is set only for refund POSTs.
    pub(crate) fn draw_pre_commit_fault(&mut self, payment: Option<u64>) -> Option<ApiError> {
        if let Some(&status) = payment.and_then(|id| self.failing.get(&id)) {
            return Some(ApiError::injected(status));
        }
        if self.chance(self.faults.error_500) {
            return Some(ApiError::INTERNAL);
        }
        if self.chance(self.faults.error_429) {
            return Some(ApiError::rate_limited(self.faults.retry_after_secs.max(1)));
        }
        None
    }

    /// Faults that strike after a refund was committed (or replayed).
    pub(crate) fn draw_post_commit_fault(&mut self) -> Option<PostCommitFault> {
        if self.chance(self.faults.cut_after_commit) {
            Some(PostCommitFault::Cut)
        } else if self.chance(self.faults.html_502_after_commit) {
            Some(PostCommitFault::Html502)
        } else {
            None
        }
    }

    /// Looks the key up and, when it is free, reserves it for this request.
    pub(crate) fn claim_key(&mut self, scope: &str, fingerprint: &str) -> Result<Claim, ApiError> {
        match self.keys.get(scope) {
            Some(entry) if entry.fingerprint() != fingerprint => Err(ApiError::KEY_CONFLICT),
            Some(KeyEntry::InFlight { .. }) => Err(ApiError::KEY_LOCKED),
            Some(KeyEntry::Done { status, body, .. }) => {
                self.counters.replays += 1;
                Ok(Claim::Replay {
                    status: *status,
                    body: body.clone(),
                })
            }
            None => {
                self.keys.insert(
                    scope.to_owned(),
                    KeyEntry::InFlight {
                        fingerprint: fingerprint.to_owned(),
                    },
                );
                Ok(Claim::Reserved)
            }
        }
    }

    /// Frees a reservation that did not end in a refund, so the key can succeed
    /// later. A finished entry is never released.
    pub(crate) fn release_key(&mut self, scope: &str) {
        if matches!(self.keys.get(scope), Some(KeyEntry::InFlight { .. })) {
            self.keys.remove(scope);
        }
    }

    /// Applies the refund rules and, when they allow it, creates the refund. The
    /// caller renders the response and hands it to [`State::remember`].
    pub(crate) fn create_refund(
        &mut self,
        req: &RefundRequest<'_>,
        now: OffsetDateTime,
    ) -> Result<&RefundRecord, ApiError> {
        let not_found = match req.kind {
            Kind::Payment => ApiError::NOT_FOUND,
            Kind::AdvancedPayment => ApiError::ADVANCED_NOT_FOUND,
        };
        let refund_id = self.next_refund_id;
        let index = self.refunds.len();
        let p = self
            .payment_mut(req.kind, req.payment_id, now)
            .ok_or(not_found)?;
        if p.status != "approved" {
            return Err(ApiError::BAD_STATE);
        }
        if now - p.date_approved > time::Duration::days(REFUND_WINDOW_DAYS) {
            return Err(if p.magic == Some(Magic::TooOld15016) {
                ApiError::TOO_OLD_15016
            } else {
                ApiError::TOO_OLD
            });
        }
        let remaining = p.amount - p.consumed;
        let amount = match req.ask {
            Ask::Full => remaining,
            Ask::Partial(a) if a.scale() > p.decimals => return Err(ApiError::TOO_MANY_DECIMALS),
            Ask::Partial(_) if p.magic == Some(Magic::PartialUnsupported) => {
                return Err(ApiError::PARTIAL_UNSUPPORTED);
            }
            Ask::Partial(a) if a > remaining => return Err(ApiError::EXCEEDS_BALANCE),
            Ask::Partial(a) => a,
        };
        let status = match p.magic {
            Some(Magic::CollectorNoBalance) => return Err(ApiError::COLLECTOR_NO_BALANCE),
            Some(Magic::PixContingency) if !req.render_in_process => {
                return Err(ApiError::PIX_CONTINGENCY);
            }
            Some(Magic::PixContingency | Magic::SettlesInProcess) => "in_process",
            Some(Magic::Rejected) => "rejected",
            _ => "approved",
        };
        if status != "rejected" {
            p.consumed += amount;
            if p.consumed == p.amount {
                p.status = "refunded".to_owned();
            }
        }
        p.refunds.push(index);
        let record = RefundRecord {
            id: refund_id,
            payment_id: req.payment_id,
            kind: req.kind,
            amount: amount.normalize(),
            status: status.to_owned(),
            idempotency_key: req.idempotency_key.to_owned(),
            date_created: format_date(now),
        };
        self.next_refund_id += 1;
        self.refund_index.insert(refund_id, index);
        self.refunds.push(record);
        self.counters.refunds_created += 1;
        Ok(&self.refunds[index])
    }

    /// Turns the key's reservation into the answer to replay from now on.
    pub(crate) fn remember(&mut self, scope: &str, status: u16, body: Bytes) {
        if let Some(entry) = self.keys.get_mut(scope) {
            let fingerprint = std::mem::take(match entry {
                KeyEntry::InFlight { fingerprint } | KeyEntry::Done { fingerprint, .. } => {
                    fingerprint
                }
            });
            *entry = KeyEntry::Done {
                fingerprint,
                status,
                body,
            };
        }
    }

    /// Settles every `in_process` refund as `approved` (what MP's webhook would
    /// eventually report). Returns how many changed.
    pub(crate) fn settle_in_process(&mut self) -> usize {
        let mut n = 0;
        for r in self.refunds.iter_mut().filter(|r| r.status == "in_process") {
            r.status = "approved".to_owned();
            n += 1;
        }
        n
    }

    /// `at_micros`: arrival, in µs since the Unix epoch.
    pub(crate) fn request_started(&mut self, at_micros: u64) {
        let c = &mut self.counters;
        c.requests += 1;
        *c.per_second.entry(at_micros / 1_000_000).or_default() += 1;
        // Sliding window (at - 1 s, at]: what "N per second" promises, unlike
        // calendar seconds, which split a burst in two.
        while c
            .window
            .front()
            .is_some_and(|&t| t + 1_000_000 <= at_micros)
        {
            c.window.pop_front();
        }
        c.window.push_back(at_micros);
        c.busiest_window = c.busiest_window.max(c.window.len() as u64);
        c.in_flight += 1;
        c.max_concurrent = c.max_concurrent.max(c.in_flight);
    }

    /// `status` is `None` when the connection was cut instead of answered, or the
    /// request was abandoned by its client.
    pub(crate) fn request_finished(&mut self, status: Option<u16>, cut: bool) {
        let c = &mut self.counters;
        c.in_flight = c.in_flight.saturating_sub(1);
        if cut {
            c.cut_connections += 1;
        } else if let Some(s) = status {
            *c.by_status.entry(s).or_default() += 1;
        }
    }

    pub(crate) fn stats(&self) -> Stats {
        let c = &self.counters;
        Stats {
            requests: c.requests,
            refunds_created: c.refunds_created,
            replays: c.replays,
            cut_connections: c.cut_connections,
            by_status: c.by_status.clone(),
            per_second: c.per_second.clone(),
            busiest_second: c.per_second.values().copied().max().unwrap_or(0),
            busiest_sliding_second: c.busiest_window,
            max_concurrent: c.max_concurrent,
            in_flight: c.in_flight,
        }
    }

    pub(crate) fn reset_stats(&mut self) {
        let in_flight = self.counters.in_flight;
        self.counters = Counters {
            in_flight,
            ..Counters::default()
        };
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PostCommitFault {
    Cut,
    Html502,
}

/// MP's date style: RFC 3339, milliseconds, São Paulo's offset.
pub(crate) fn format_date(t: OffsetDateTime) -> String {
    const FORMAT: &[time::format_description::BorrowedFormatItem<'_>] = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3][offset_hour sign:mandatory]:[offset_minute]"
    );
    let offset = UtcOffset::from_hms(-3, 0, 0).unwrap_or(UtcOffset::UTC);
    t.to_offset(offset)
        .format(FORMAT)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

/// The refund object as MP's API renders it.
#[derive(Serialize)]
pub(crate) struct RefundJson<'a> {
    id: u64,
    payment_id: u64,
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    amount: Decimal,
    metadata: EmptyObject,
    source: Source,
    date_created: &'a str,
    unique_sequence_number: Option<()>,
    refund_mode: &'static str,
    adjustment_amount: u8,
    status: &'a str,
    reason: Option<()>,
    labels: &'static [()],
    partition_details: &'static [()],
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    amount_refunded_to_payer: Decimal,
}

#[derive(Serialize)]
struct EmptyObject {}

#[derive(Serialize)]
struct Source {
    id: u64,
    name: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
}

impl<'a> From<&'a RefundRecord> for RefundJson<'a> {
    fn from(r: &'a RefundRecord) -> Self {
        RefundJson {
            id: r.id,
            payment_id: r.payment_id,
            amount: r.amount,
            metadata: EmptyObject {},
            source: Source {
                id: COLLECTOR_ID,
                name: "Sandbox Collector",
                kind: "collector",
            },
            date_created: &r.date_created,
            unique_sequence_number: None,
            refund_mode: "standard",
            adjustment_amount: 0,
            status: &r.status,
            reason: None,
            labels: &[],
            partition_details: &[],
            amount_refunded_to_payer: if r.status == "rejected" {
                Decimal::ZERO
            } else {
                r.amount
            },
        }
    }
}

/// The payment object (`GET /v1/payments/{id}`), with its refunds.
#[derive(Serialize)]
pub(crate) struct PaymentJson<'a> {
    id: u64,
    status: &'a str,
    status_detail: &'static str,
    currency_id: &'a str,
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    transaction_amount: Decimal,
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    transaction_amount_refunded: Decimal,
    date_approved: String,
    refunds: Vec<RefundJson<'a>>,
}

impl State {
    pub(crate) fn payment_json<'a>(&'a self, p: &'a Payment) -> PaymentJson<'a> {
        let refunded = self
            .refunds_of(p)
            .filter(|r| r.status == "approved")
            .map(|r| r.amount)
            .sum::<Decimal>()
            .normalize();
        PaymentJson {
            id: p.id,
            status: &p.status,
            status_detail: p.status_detail(),
            currency_id: &p.currency,
            transaction_amount: p.amount,
            transaction_amount_refunded: if p.magic == Some(Magic::AlreadyRefunded) {
                p.amount
            } else {
                refunded
            },
            date_approved: format_date(p.date_approved),
            refunds: self.refunds_of(p).map(RefundJson::from).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str_exact(s).expect("test decimal")
    }

    fn req(id: u64, ask: Ask, key: &str) -> RefundRequest<'_> {
        RefundRequest {
            kind: Kind::Payment,
            payment_id: id,
            ask,
            render_in_process: false,
            idempotency_key: key,
        }
    }

    fn now() -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }

    fn parse_ask(body: &[u8]) -> Result<Ask, ApiError> {
        read_request("POST", "/", body).1
    }

    fn fingerprint(method: &str, path: &str, body: &[u8]) -> String {
        read_request(method, path, body).0
    }

    #[test]
    fn bodies_parse_to_asks() {
        assert_eq!(parse_ask(b""), Ok(Ask::Full));
        assert_eq!(parse_ask(b"  \n"), Ok(Ask::Full));
        assert_eq!(parse_ask(b"{}"), Ok(Ask::Full));
        assert_eq!(parse_ask(br#"{"amount":null}"#), Ok(Ask::Full));
        assert_eq!(
            parse_ask(br#"{"amount":25.50}"#),
            Ok(Ask::Partial(dec("25.5")))
        );
        assert_eq!(parse_ask(br#"{"amount":1e1}"#), Ok(Ask::Partial(dec("10"))));
        assert_eq!(parse_ask(br#"{"amount":0}"#), Err(ApiError::NOT_POSITIVE));
        assert_eq!(parse_ask(br#"{"amount":-1}"#), Err(ApiError::NOT_POSITIVE));
        assert_eq!(parse_ask(br#"{"amount":"25"}"#), Err(ApiError::NOT_NUMERIC));
        assert_eq!(parse_ask(br#"{"amount":true}"#), Err(ApiError::NOT_NUMERIC));
        assert_eq!(parse_ask(br#"{"amount":{}}"#), Err(ApiError::NOT_NUMERIC));
        assert_eq!(parse_ask(b"[1]"), Err(ApiError::MALFORMED_BODY));
        assert_eq!(parse_ask(b"amount=5"), Err(ApiError::MALFORMED_BODY));
    }

    #[test]
    fn amounts_keep_every_digit() {
        // 0.1 + 0.2 style amounts must stay exact (no f64 on the way).
        assert_eq!(
            parse_ask(br#"{"amount":12345678901234.07}"#),
            Ok(Ask::Partial(dec("12345678901234.07")))
        );
    }

    #[test]
    fn fingerprints_compare_meaning() {
        let p = "/v1/payments/1/refunds";
        assert_eq!(
            fingerprint("POST", p, br#"{"amount":25}"#),
            fingerprint("POST", p, br#"{ "amount" : 25.0 }"#)
        );
        assert_eq!(fingerprint("POST", p, b""), fingerprint("POST", p, b"{}"));
        assert_eq!(
            fingerprint("POST", p, br#"{"b":1,"amount":2}"#),
            fingerprint("POST", p, br#"{"amount":2,"b":1.00}"#)
        );
        assert_ne!(
            fingerprint("POST", p, br#"{"amount":25}"#),
            fingerprint("POST", p, br#"{"amount":25.01}"#)
        );
        assert_ne!(
            fingerprint("POST", p, br#"{"amount":25}"#),
            fingerprint("POST", p, br#"{"amount":"25"}"#)
        );
        assert_ne!(
            fingerprint("POST", p, b"{}"),
            fingerprint("POST", "/v1/payments/2/refunds", b"{}")
        );
    }

    #[test]
    fn magic_suffixes_are_unique_and_in_range() {
        for (i, (s, _)) in Magic::ALL.iter().enumerate() {
            assert!((900..=999).contains(s));
            assert!(Magic::ALL[i + 1..].iter().all(|(t, _)| t != s));
        }
        assert_eq!(Magic::of(1_234_900), Some(Magic::NotFound));
        assert_eq!(Magic::of(1_234_899), None);
    }

    #[test]
    fn balance_is_enforced_and_full_takes_the_rest() {
        let mut st = State::new(Faults::default());
        let t = now();
        let a = st
            .create_refund(&req(1, Ask::Partial(dec("60")), "a"), t)
            .cloned();
        assert_eq!(a.map(|r| r.amount), Ok(dec("60")));
        let b = st
            .create_refund(&req(1, Ask::Partial(dec("40.01")), "b"), t)
            .cloned();
        assert_eq!(b, Err(ApiError::EXCEEDS_BALANCE));
        let c = st.create_refund(&req(1, Ask::Full, "c"), t).cloned();
        assert_eq!(c.map(|r| r.amount), Ok(dec("40")));
        assert_eq!(
            st.payment(Kind::Payment, 1, t).map(|p| p.status.clone()),
            Some("refunded".into())
        );
        let d = st.create_refund(&req(1, Ask::Full, "d"), t).cloned();
        assert_eq!(d, Err(ApiError::BAD_STATE));
        assert_eq!(st.refunds.len(), 2);
        assert!(st.refunds[0].id < st.refunds[1].id);
    }

    #[test]
    fn magic_ids_answer_their_documented_errors() {
        let mut st = State::new(Faults::default());
        let t = now();
        let mut err = |id: u64, ask: Ask| st.create_refund(&req(id, ask, "k"), t).err();
        let five = Ask::Partial(Decimal::new(5, 0));
        assert_eq!(err(900, five), Some(ApiError::NOT_FOUND));
        assert_eq!(err(901, five), Some(ApiError::TOO_OLD));
        assert_eq!(err(902, five), Some(ApiError::TOO_OLD_15016));
        assert_eq!(err(903, five), Some(ApiError::BAD_STATE));
        assert_eq!(err(904, five), Some(ApiError::BAD_STATE));
        assert_eq!(err(905, Ask::Full), Some(ApiError::BAD_STATE));
        assert_eq!(err(906, five), Some(ApiError::PARTIAL_UNSUPPORTED));
        assert_eq!(err(906, Ask::Full), None);
        assert_eq!(err(909, five), Some(ApiError::PIX_CONTINGENCY));
        assert_eq!(
            err(910, Ask::Partial(dec("0.5"))),
            Some(ApiError::TOO_MANY_DECIMALS)
        );
        assert_eq!(err(911, five), Some(ApiError::COLLECTOR_NO_BALANCE));
        assert_eq!(
            err(12, Ask::Partial(dec("0.001"))),
            Some(ApiError::TOO_MANY_DECIMALS)
        );
    }

    #[test]
    fn settling_statuses() {
        let mut st = State::new(Faults::default());
        let t = now();
        let five = Ask::Partial(Decimal::new(5, 0));
        let r = st
            .create_refund(&req(907, five, "a"), t)
            .map(|r| r.status.clone());
        assert_eq!(r.as_deref(), Ok("in_process"));
        let r = st
            .create_refund(&req(908, Ask::Full, "b"), t)
            .map(|r| r.status.clone());
        assert_eq!(r.as_deref(), Ok("rejected"));
        // A rejected refund leaves the balance whole.
        assert_eq!(
            st.payment(Kind::Payment, 908, t).map(|p| p.consumed),
            Some(Decimal::ZERO)
        );
        let mut pix = req(909, five, "c");
        pix.render_in_process = true;
        let r = st.create_refund(&pix, t).map(|r| r.status.clone());
        assert_eq!(r.as_deref(), Ok("in_process"));
        assert_eq!(st.settle_in_process(), 2);
    }

    #[test]
    fn keys_reserve_replay_conflict_and_release() {
        let mut st = State::new(Faults::default());
        assert_eq!(st.claim_key("t\nk", "fp1"), Ok(Claim::Reserved));
        assert_eq!(st.claim_key("t\nk", "fp1"), Err(ApiError::KEY_LOCKED));
        assert_eq!(st.claim_key("t\nk", "fp2"), Err(ApiError::KEY_CONFLICT));
        st.release_key("t\nk");
        assert_eq!(st.claim_key("t\nk", "fp2"), Ok(Claim::Reserved));
        st.remember("t\nk", 201, Bytes::from_static(b"{}"));
        st.release_key("t\nk");
        assert_eq!(
            st.claim_key("t\nk", "fp2"),
            Ok(Claim::Replay {
                status: 201,
                body: Bytes::from_static(b"{}")
            })
        );
        assert_eq!(st.claim_key("t\nk", "fp1"), Err(ApiError::KEY_CONFLICT));
        // Another token's key is another key.
        assert_eq!(st.claim_key("u\nk", "fp1"), Ok(Claim::Reserved));
        assert_eq!(st.stats().replays, 1);
    }

    #[test]
    fn seeded_faults_repeat() {
        let faults = Faults {
            error_500: 0.5,
            seed: Some(7),
            ..Faults::default()
        };
        let draws = |mut st: State| -> Vec<bool> {
            (0..32)
                .map(|_| st.draw_pre_commit_fault(None).is_some())
                .collect()
        };
        let a = draws(State::new(faults.clone()));
        assert_eq!(a, draws(State::new(faults)));
        assert!(a.contains(&true) && a.contains(&false));
    }

    #[test]
    fn failing_payments_fail_until_healed() {
        let mut st = State::new(Faults::default());
        st.fail_payment(5, 503);
        assert_eq!(
            st.draw_pre_commit_fault(Some(5)).map(|e| e.status),
            Some(503)
        );
        assert_eq!(st.draw_pre_commit_fault(Some(6)), None);
        st.heal_payment(5);
        assert_eq!(st.draw_pre_commit_fault(Some(5)), None);
    }

    #[test]
    fn counters_track_seconds_and_concurrency() {
        let mut st = State::new(Faults::default());
        st.request_started(10_000_000);
        st.request_started(10_000_001);
        st.request_finished(Some(201), false);
        st.request_started(11_000_000);
        st.request_finished(None, true);
        st.request_finished(Some(400), false);
        let s = st.stats();
        assert_eq!(s.requests, 3);
        assert_eq!(s.per_second.get(&10), Some(&2));
        assert_eq!(s.busiest_second, 2);
        assert_eq!(s.busiest_sliding_second, 2);
        assert_eq!(s.max_concurrent, 2);
        assert_eq!(s.cut_connections, 1);
        assert_eq!(s.by_status.get(&201), Some(&1));
        assert_eq!(s.in_flight, 0);
    }

    #[test]
    fn a_burst_across_two_calendar_seconds_counts_in_one_window() {
        let mut st = State::new(Faults::default());
        for at in [
            10_900_000, 10_950_000, 10_990_000, 11_010_000, 11_050_000, 11_100_000,
        ] {
            st.request_started(at);
        }
        st.request_started(12_060_000);
        let s = st.stats();
        assert_eq!(s.busiest_second, 3);
        assert_eq!(s.busiest_sliding_second, 6);
    }

    #[test]
    fn refund_json_uses_numbers_for_money() {
        let r = RefundRecord {
            id: 1,
            payment_id: 2,
            kind: Kind::Payment,
            amount: dec("25.5"),
            status: "approved".into(),
            idempotency_key: "k".into(),
            date_created: format_date(now()),
        };
        let v = serde_json::to_value(RefundJson::from(&r)).expect("serialises");
        assert_eq!(v["amount"].to_string(), "25.5");
        assert!(v["amount"].is_number());
        assert_eq!(v["source"]["type"], "collector");
        assert_eq!(v["metadata"], serde_json::json!({}));
        assert!(v["unique_sequence_number"].is_null());
        let date = v["date_created"].as_str().unwrap_or_default();
        assert!(
            OffsetDateTime::parse(date, &time::format_description::well_known::Rfc3339).is_ok(),
            "{date}"
        );
    }
}
