//! The sandbox's whole mutable world, composed of parts that each own one kind of
//! state — `catalogue` (what an id means), `book` (payments, refunds and the refund
//! rules), `orders` (the Orders API's orders, their refunds and rules), `keys` (the idempotency table), `dice` (injected faults), `stats` (the
//! request counters) — and `request`/`wire`, what comes in and how every answer
//! (errors in both of MP's shapes, refunds, payments) is rendered. One mutex
//! guards the whole [`State`]; nothing here touches the network or awaits, so every
//! rule is unit-tested directly and the server holds the lock for one short,
//! synchronous call at a time.

mod book;
mod catalogue;
mod dice;
mod keys;
mod limit;
mod orders;
mod reports;
mod request;
mod stats;
mod wire;

use time::OffsetDateTime;

use book::Book;
use dice::Dice;
use keys::Keys;
use stats::Counters;

pub(crate) use catalogue::{Magic, Payment};
pub(crate) use dice::PostCommitFault;
pub(crate) use keys::Claim;
pub(crate) use limit::AccountLimit;
pub use orders::OrderRefundRecord;
pub(crate) use orders::{Order, OrderAsk, OrderError, OrderMagic, Orders, valid_order_id};
pub(crate) use reports::{Reports, Which};
pub(crate) use request::{Ask, RefundRequest, read_request};
pub(crate) use wire::{
    ApiError, RefundJson, Style, error_response, format_date, html_502, json_response, json_value,
};

use super::{Faults, RefundRecord};

pub(crate) struct State {
    pub(crate) book: Book,
    pub(crate) orders: Orders,
    pub(crate) keys: Keys,
    pub(crate) dice: Dice,
    pub(crate) counters: Counters,
    /// `--rate-limit`: the account's requests per second, per token.
    pub(crate) limit: Option<AccountLimit>,
    pub(crate) reports: Reports,
}

impl State {
    pub(crate) fn new(faults: Faults) -> Self {
        State {
            book: Book::default(),
            orders: Orders::default(),
            keys: Keys::default(),
            dice: Dice::new(faults),
            counters: Counters::default(),
            limit: None,
            reports: Reports::default(),
        }
    }

    /// Looks the key up and, when it is free, reserves it for this request.
    pub(crate) fn claim_key(&mut self, scope: &str, fingerprint: &str) -> Result<Claim, ApiError> {
        let claim = self.keys.claim(scope, fingerprint)?;
        if matches!(claim, Claim::Replay { .. }) {
            self.counters.replays += 1;
        }
        Ok(claim)
    }

    /// With `--settle-after`, settles the in-process refunds (payments' and
    /// orders') old enough at `now`.
    pub(crate) fn settle_due(&mut self, now: OffsetDateTime) {
        if let Some(after) = self.book.settle_after {
            self.book.settle_due(now);
            self.orders.settle(now, Some(after));
        }
    }

    /// Settles every refund still in process, payments' and orders'.
    pub(crate) fn settle_all(&mut self) -> usize {
        self.book.settle_in_process() + self.orders.settle(OffsetDateTime::now_utc(), None)
    }

    /// Applies the refund rules and, when they allow it, creates the refund. The
    /// caller renders the response and hands it to [`Keys::remember`].
    pub(crate) fn create_refund(
        &mut self,
        req: &RefundRequest<'_>,
        now: OffsetDateTime,
    ) -> Result<&RefundRecord, ApiError> {
        let record = self.book.create_refund(req, now)?;
        self.counters.refunds_created += 1;
        Ok(record)
    }

    /// Counts refunds made (an order's full refund makes one a transaction).
    pub(crate) fn count_refunds(&mut self, n: usize) {
        self.counters.refunds_created += n as u64;
    }

    /// A refund of an order made by hand, as in the panel: no key, the API's
    /// rules. `amount` (a string, as the API takes it) `None` refunds what is
    /// left; `transaction` `None` takes the order's first. Returns the refunds made.
    pub(crate) fn order_refund_by_hand(
        &mut self,
        id: &str,
        amount: Option<&str>,
        transaction: Option<&str>,
    ) -> Result<Vec<OrderRefundRecord>, OrderError> {
        let now = OffsetDateTime::now_utc();
        let ask = match amount {
            None => OrderAsk::Full,
            Some(a) => {
                let first = self
                    .orders
                    .order(id, now)
                    .ok_or(OrderError::NOT_FOUND)?
                    .transactions[0]
                    .id
                    .clone();
                let body = serde_json::json!({"transactions": [{
                    "id": transaction.map_or(first, str::to_owned),
                    "amount": a,
                }]});
                OrderAsk::parse(body.to_string().as_bytes())?
            }
        };
        let before = self.orders.refunds.len();
        self.orders.refund(id, &ask, "", now)?;
        let made = self.orders.refunds[before..].to_vec();
        self.count_refunds(made.len());
        Ok(made)
    }

    /// A refund made by hand, as in the Mercado Pago panel: no idempotency key,
    /// the API's rules. `amount` `None` refunds the rest.
    pub(crate) fn refund_by_hand(
        &mut self,
        payment_id: u64,
        amount: Option<rust_decimal::Decimal>,
        now: OffsetDateTime,
    ) -> Result<&RefundRecord, ApiError> {
        let req = RefundRequest {
            kind: crate::Kind::Payment,
            payment_id,
            ask: amount.map_or(Ask::Full, Ask::Partial),
            render_in_process: true,
            idempotency_key: "",
        };
        self.create_refund(&req, now)
    }
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;
    use time::OffsetDateTime;

    use axum::body::Bytes;

    use super::*;
    use crate::Kind;

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
            st.book
                .payment(Kind::Payment, 1, t)
                .map(|p| p.status.clone()),
            Some("refunded".into())
        );
        let d = st.create_refund(&req(1, Ask::Full, "d"), t).cloned();
        assert_eq!(d, Err(ApiError::BAD_STATE));
        assert_eq!(st.book.refunds.len(), 2);
        assert!(st.book.refunds[0].id < st.book.refunds[1].id);
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
            st.book.payment(Kind::Payment, 908, t).map(|p| p.consumed),
            Some(Decimal::ZERO)
        );
        let mut pix = req(909, five, "c");
        pix.render_in_process = true;
        let r = st.create_refund(&pix, t).map(|r| r.status.clone());
        assert_eq!(r.as_deref(), Ok("in_process"));
        assert_eq!(st.book.settle_in_process(), 2);
    }

    #[test]
    fn keys_reserve_replay_conflict_and_release() {
        let mut st = State::new(Faults::default());
        assert_eq!(st.claim_key("t\nk", "fp1"), Ok(Claim::Reserved));
        assert_eq!(st.claim_key("t\nk", "fp1"), Err(ApiError::KEY_LOCKED));
        assert_eq!(st.claim_key("t\nk", "fp2"), Err(ApiError::KEY_CONFLICT));
        st.keys.release("t\nk");
        assert_eq!(st.claim_key("t\nk", "fp2"), Ok(Claim::Reserved));
        st.keys.remember("t\nk", 201, Bytes::from_static(b"{}"));
        st.keys.release("t\nk");
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
        assert_eq!(st.counters.stats().replays, 1);
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
                .map(|_| st.dice.draw_pre_commit_fault(None).is_some())
                .collect()
        };
        let a = draws(State::new(faults.clone()));
        assert_eq!(a, draws(State::new(faults)));
        assert!(a.contains(&true) && a.contains(&false));
    }

    #[test]
    fn failing_payments_fail_until_healed() {
        let mut st = State::new(Faults::default());
        st.dice.fail_payment(5, 503);
        assert_eq!(
            st.dice.draw_pre_commit_fault(Some(5)).map(|e| e.status),
            Some(503)
        );
        assert_eq!(st.dice.draw_pre_commit_fault(Some(6)), None);
        st.dice.heal_payment(5);
        assert_eq!(st.dice.draw_pre_commit_fault(Some(5)), None);
    }

    #[test]
    fn counters_track_seconds_and_concurrency() {
        let mut st = State::new(Faults::default());
        st.counters.request_started(10_000_000, false);
        st.counters.request_started(10_000_001, false);
        st.counters.request_finished(Some(201), false);
        st.counters.request_started(11_000_000, false);
        st.counters.connection_cut();
        st.counters.request_finished(Some(201), true);
        st.counters.request_finished(Some(400), false);
        let s = st.counters.stats();
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
            st.counters.request_started(at, false);
        }
        st.counters.request_started(12_060_000, false);
        let s = st.counters.stats();
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
