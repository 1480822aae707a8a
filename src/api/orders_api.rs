//! The Orders API's side of the wire (`/v1/orders`): the body of an order's
//! refund, the order as `GET /v1/orders/{id}` and a refund's 201 describe it
//! (amounts as strings), and which of its refunds answers the question asked.
//! Pure functions; `client` sends and receives.
//!
//! Invariants: an answer is the refund asked for only when it is an order with
//! the row's id and holds a refund that fits the question — a partial one on
//! the row's transaction for the row's amount, a full one that leaves its
//! transaction fully refunded (with those made with it on the order's other
//! transactions: the row's refund is that set, `crate::domain::joint`) — else
//! it is an unknown outcome, never a success; of several that fit, the newest (the API appends the refund a
//! request made to the order it answers with); amounts are read exactly
//! ([`answer::amount`]), a refund's status only when spelled as the API spells
//! one.

use std::time::Duration;

use rust_decimal::Decimal;
use serde_json::Value;

use crate::api::answer;
use crate::api::reply::{MpRefund, Reply, text_in};
use crate::domain::joint::Together;
use crate::domain::{OrderId, RefundInfo, RefundStatus, Requested, TransactionId};

/// What one `GET /v1/orders/{id}` produced.
pub(crate) type OrderReply = crate::api::reply::Fetched<OrderView>;

/// A payment transaction of an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OrderPayment {
    pub id: String,
    pub amount: Option<Decimal>,
    pub paid_amount: Option<Decimal>,
    pub refunded_amount: Option<Decimal>,
    pub status: Option<String>,
}

impl OrderPayment {
    /// What the payer paid (the amount when the answer names no paid amount).
    pub(crate) fn paid(&self) -> Option<Decimal> {
        self.paid_amount.or(self.amount)
    }

    /// What is left to refund of it.
    pub(crate) fn left(&self) -> Option<Decimal> {
        Some((self.paid()? - self.refunded_amount.unwrap_or_default()).max(Decimal::ZERO))
    }
}

/// A chargeback on one of an order's transactions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OrderChargeback {
    pub id: String,
    pub transaction_id: Option<String>,
    pub status: Option<String>,
}

impl OrderChargeback {
    /// Still open: money may go back to the payer by it, and a refund too
    /// would pay twice.
    pub(crate) fn is_open(&self) -> bool {
        self.status.as_deref() != Some("closed")
    }
}

/// An order as the API describes it, read leniently: what is missing or spelled
/// oddly is `None`, never a panic — the commands make findings of it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct OrderView {
    pub id: Option<String>,
    pub status: Option<String>,
    pub status_detail: Option<String>,
    pub currency: Option<String>,
    pub created_date: Option<String>,
    pub payments: Vec<OrderPayment>,
    /// Oldest first, as the API lists them.
    pub refunds: Vec<MpRefund>,
    pub chargebacks: Vec<OrderChargeback>,
}

/// The entries of the list `key` of `t` (none when it has none) that `read`
/// can read: an entry without what the commands need is left out.
fn read_each<T>(
    t: &serde_json::Map<String, Value>,
    key: &str,
    read: impl Fn(&Value) -> Option<T>,
) -> Vec<T> {
    let list = t.get(key).and_then(Value::as_array).map_or(&[][..], |v| v);
    list.iter().filter_map(read).collect()
}

impl OrderView {
    /// The order in `bytes`: a JSON object with its `transactions`; `Err` says
    /// why it is not one.
    pub(crate) fn parse(bytes: &[u8]) -> Result<OrderView, String> {
        let Ok(Value::Object(o)) = serde_json::from_slice::<Value>(bytes) else {
            return Err("not an order".into());
        };
        let Some(Value::Object(t)) = o.get("transactions") else {
            return Err("an order without its transactions".into());
        };
        let text = |v: Option<&Value>| v.and_then(text_in);
        let money = |v: Option<&Value>| v.and_then(|v| answer::amount(v).ok());
        Ok(OrderView {
            id: text(o.get("id")),
            status: text(o.get("status")),
            status_detail: text(o.get("status_detail")),
            currency: text(o.get("currency")),
            created_date: text(o.get("created_date")),
            payments: read_each(t, "payments", |p| {
                Some(OrderPayment {
                    id: text(p.get("id"))?,
                    amount: money(p.get("amount")),
                    paid_amount: money(p.get("paid_amount")),
                    refunded_amount: money(p.get("refunded_amount")),
                    status: text(p.get("status")),
                })
            }),
            refunds: read_each(t, "refunds", |r| {
                Some(MpRefund {
                    id: text(r.get("id"))?,
                    amount: money(r.get("amount")),
                    status: text(r.get("status")).map(|s| RefundStatus::parse(&s)),
                    // An order's refunds carry no date.
                    date_created: None,
                    transaction_id: text(r.get("transaction_id")),
                })
            }),
            chargebacks: read_each(t, "chargebacks", |c| {
                Some(OrderChargeback {
                    id: text(c.get("id"))?,
                    transaction_id: text(c.get("transaction_id")),
                    status: text(c.get("status")),
                })
            }),
        })
    }

    /// The transaction a partial refund takes from when the row names none:
    /// the order's only payment transaction; `None` when it has several (or none).
    pub(crate) fn only_transaction(&self) -> Option<TransactionId> {
        match self.payments.as_slice() {
            [one] => one.id.parse().ok(),
            _ => None,
        }
    }

    /// What is left to refund of the order, or of one transaction.
    pub(crate) fn left(&self, transaction: Option<&TransactionId>) -> Option<Decimal> {
        self.payments
            .iter()
            .filter(|p| transaction.is_none_or(|t| p.id == t.as_str()))
            .map(OrderPayment::left)
            .sum::<Option<Decimal>>()
    }

    /// Chargebacks still open on the order.
    pub(crate) fn open_chargebacks(&self) -> impl Iterator<Item = &OrderChargeback> {
        self.chargebacks.iter().filter(|c| c.is_open())
    }
}

/// The body of an order's refund: none for what is left of the order (the API
/// reads an empty body as a full refund); one transaction and its amount, as a
/// string with the currency's two decimals (or none, when whole), for a
/// partial one.
pub(crate) fn body(requested: &Requested, transaction: Option<&TransactionId>) -> String {
    match (requested, transaction) {
        (Requested::Partial(a), Some(t)) => serde_json::json!({
            "transactions": [{"id": t.as_str(), "amount": amount_text(a.get())}]
        })
        .to_string(),
        _ => String::new(),
    }
}

/// An amount as the Orders API takes one: `10.50`, `1000` — two decimals or none.
fn amount_text(a: Decimal) -> String {
    if a.fract().is_zero() {
        a.trunc().normalize().to_string()
    } else {
        let mut a = a;
        a.rescale(2);
        a.to_string()
    }
}

/// The question an order's refund answer is checked against.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OrderAsked<'a> {
    pub order: &'a OrderId,
    /// The transaction a partial refund was sent for.
    pub transaction: Option<&'a TransactionId>,
    pub requested: &'a Requested,
}

/// Reads an order's refund answer: a 2xx is the refund asked for only when
/// [`ours`] finds it in the order answered; errors are read as every answer's.
pub(crate) fn classify(
    status: u16,
    retry_after: Option<Duration>,
    bytes: &[u8],
    asked: OrderAsked<'_>,
) -> Reply {
    if !(200..300).contains(&status) {
        return crate::api::reply::classify_error(status, retry_after, bytes);
    }
    let found = OrderView::parse(bytes).and_then(|view| ours(&view, asked));
    match found {
        Ok(refund) => Reply::Refund {
            status,
            refund,
            mismatch: None,
        },
        Err(why) => Reply::Unknown {
            status: Some(status),
            retry_after,
            reason: format!(
                "HTTP {status}: {why}: {}",
                crate::domain::excerpt::excerpt_bytes(&bytes[..bytes.len().min(120)])
            ),
            net: None,
        },
    }
}

/// The refund of `view` that answers `asked`, or why none does: the order must
/// be the row's; a partial refund is the newest on its transaction for its
/// amount; a full one is the newest refund, with those made with it on the
/// order's other transactions just before (what was left of each), every one
/// of them leaving its transaction fully refunded unless it moved no money —
/// the row's refund is then that set ([`Together`]): every id, the exact sum
/// of what they refunded, their status together.
pub(crate) fn ours(view: &OrderView, asked: OrderAsked<'_>) -> Result<RefundInfo, String> {
    match view.id.as_deref() {
        Some(id) if id == asked.order.as_str() => {}
        Some(other) => {
            return Err(format!(
                "answered with order {}, not {}",
                answer::short(other),
                asked.order
            ));
        }
        None => return Err("an order without its id".into()),
    }
    let known = |r: &MpRefund| -> Result<RefundStatus, String> {
        match &r.status {
            Some(s) if s.is_known() => Ok(s.clone()),
            Some(s) => Err(format!(
                "refund {} has status {:?}; nobody can say whether money moved",
                answer::short(&r.id),
                answer::short(s.as_str())
            )),
            None => Err(format!("refund {} has no status", answer::short(&r.id))),
        }
    };
    match asked.requested {
        Requested::Partial(a) => {
            let r = view
                .refunds
                .iter()
                .rev()
                .find(|r| {
                    asked
                        .transaction
                        .is_none_or(|t| r.transaction_id.as_deref() == Some(t.as_str()))
                        && r.amount == Some(a.get())
                })
                .ok_or_else(|| format!("no refund of {} on the order's transaction", a))?;
            Ok(RefundInfo {
                id: r.id.clone(),
                status: known(r)?,
                amount: r.amount,
                created_ms: None,
            })
        }
        Requested::Full => {
            let settled = |r: &MpRefund, status: &RefundStatus| {
                !status.is_made()
                    || view
                        .payments
                        .iter()
                        .find(|p| Some(&p.id) == r.transaction_id.as_ref())
                        .is_some_and(|p| p.left() == Some(Decimal::ZERO))
            };
            let last = view
                .refunds
                .last()
                .ok_or_else(|| "an order with no refund".to_owned())?;
            let status = known(last)?;
            if !settled(last, &status) {
                return Err(format!(
                    "refund {} leaves its transaction with money to refund",
                    answer::short(&last.id)
                ));
            }
            // The refunds it made with it on the order's other transactions,
            // just before it: one request, one refund per transaction.
            let mut made = vec![last];
            for r in view.refunds.iter().rev().skip(1) {
                let Ok(s) = known(r) else { break };
                if made.iter().any(|m| m.transaction_id == r.transaction_id) || !settled(r, &s) {
                    break;
                }
                made.push(r);
            }
            made.reverse();
            let together = Together::of(made.iter().map(|r| r.part()))
                .ok_or_else(|| "an order with no refund".to_owned())?;
            // Every part's status is known (read above): so is theirs together.
            let status = together.status.unwrap_or(status);
            if together.amount.is_none() && !status.moved_no_money() {
                return Err(format!(
                    "refund {} is {status} without an amount",
                    answer::short(&together.reference)
                ));
            }
            Ok(RefundInfo {
                id: together.reference,
                status,
                amount: together.amount,
                created_ms: None,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;
    use crate::domain::Amount;

    const ORD: &str = "ORD01JQ4S4KY8HWQ6NA5PXB65B3D3";
    const PAY: &str = "PAY01J67CQQH5904WDBVZEM4JMEP3";

    fn partial(s: &str) -> Requested {
        Requested::Partial(Amount::new(Decimal::from_str(s).unwrap()).unwrap())
    }

    fn order(refunds: &str, refunded: &str) -> Vec<u8> {
        format!(
            r#"{{"id": "{ORD}", "status": "processed", "status_detail": "partially_refunded",
                "currency": "BRL",
                "transactions": {{
                  "payments": [{{"id": "{PAY}", "amount": "100.00", "paid_amount": "100.00",
                                 "refunded_amount": "{refunded}", "status": "processed"}}],
                  "refunds": [{refunds}]}}}}"#
        )
        .into_bytes()
    }

    fn refund(id: &str, amount: &str, status: &str) -> String {
        format!(
            r#"{{"id": "{id}", "transaction_id": "{PAY}", "amount": "{amount}", "status": "{status}"}}"#
        )
    }

    /// The order whose transaction has processed refunds `REF1`, `REF2`… of
    /// `amounts`, `refunded` of it in all.
    fn processed(amounts: &[&str], refunded: &str) -> Vec<u8> {
        let refunds: Vec<String> = (1..)
            .zip(amounts)
            .map(|(n, a)| refund(&format!("REF{n}"), a, "processed"))
            .collect();
        order(&refunds.join(","), refunded)
    }

    fn asked<'a>(o: &'a OrderId, t: &'a TransactionId, r: &'a Requested) -> OrderAsked<'a> {
        OrderAsked {
            order: o,
            transaction: Some(t),
            requested: r,
        }
    }

    fn read(bytes: &[u8], requested: &Requested) -> Result<RefundInfo, String> {
        let (o, t) = (ORD.parse().unwrap(), PAY.parse().unwrap());
        ours(&OrderView::parse(bytes).unwrap(), asked(&o, &t, requested))
    }

    #[test]
    fn bodies_carry_one_transaction_and_a_string_amount_or_nothing() {
        let t: TransactionId = PAY.parse().unwrap();
        assert_eq!(
            body(&partial("10.5"), Some(&t)),
            format!(r#"{{"transactions":[{{"amount":"10.50","id":"{PAY}"}}]}}"#)
        );
        assert_eq!(
            body(&partial("1000"), Some(&t)),
            format!(r#"{{"transactions":[{{"amount":"1000","id":"{PAY}"}}]}}"#)
        );
        assert_eq!(body(&Requested::Full, None), "");
    }

    #[test]
    fn a_partial_refund_is_the_newest_of_its_amount_on_its_transaction() {
        let two = processed(&["10.00", "10.00"], "20.00");
        let r = read(&two, &partial("10")).unwrap();
        assert_eq!(
            (r.id.as_str(), r.amount),
            ("REF2", Some(Decimal::new(1000, 2)))
        );
        assert_eq!(r.status, RefundStatus::Processed);
        assert!(read(&two, &partial("7")).is_err(), "no refund of 7");
        let processing = order(&refund("REF3", "5", "processing"), "5");
        assert_eq!(
            read(&processing, &partial("5")).unwrap().status,
            RefundStatus::Processing
        );
        let odd = order(&refund("REF4", "5", "done"), "5");
        assert!(
            read(&odd, &partial("5"))
                .unwrap_err()
                .contains("nobody can say")
        );
    }

    #[test]
    fn a_full_refund_is_the_newest_one_that_leaves_nothing() {
        let full = processed(&["10.00", "90.00"], "100.00");
        let r = read(&full, &Requested::Full).unwrap();
        assert_eq!(
            (r.id.as_str(), r.amount),
            ("REF2", Some(Decimal::new(9000, 2)))
        );
        // The newest refund leaves money on the transaction: not a full refund's answer.
        let short = processed(&["10.00"], "10.00");
        assert!(read(&short, &Requested::Full).is_err());
        // A failed one moved no money, and is the answer.
        let failed = order(&refund("REF9", "100.00", "failed"), "0.00");
        let r = read(&failed, &Requested::Full).unwrap();
        assert!(r.status.moved_no_money());
        assert!(read(&order("", "0"), &Requested::Full).is_err());
    }

    #[test]
    fn a_full_refund_of_several_transactions_is_their_refunds_together() {
        let body = format!(
            r#"{{"id": "{ORD}", "transactions": {{
                 "payments": [{{"id": "PAYA", "paid_amount": "50.00", "refunded_amount": "50.00"}},
                              {{"id": "PAYB", "paid_amount": "50.00", "refunded_amount": "50.00"}}],
                 "refunds": [{{"id": "R0", "transaction_id": "PAYA", "amount": "5.00", "status": "processed"}},
                             {{"id": "R1", "transaction_id": "PAYA", "amount": "45.00", "status": "processed"}},
                             {{"id": "R2", "transaction_id": "PAYB", "amount": "50.00", "status": "processed"}}]}}}}"#
        );
        let r = read(body.as_bytes(), &Requested::Full).unwrap();
        assert_eq!(
            (r.id.as_str(), r.amount),
            ("R1+R2", Some(Decimal::new(9500, 2)))
        );
        assert_eq!(r.status, RefundStatus::Processed);
        // One still being made: the set is in process until every part is made.
        let processing = body.replacen(r#""processed"}]"#, r#""processing"}]"#, 1);
        let r = read(processing.as_bytes(), &Requested::Full).unwrap();
        assert_eq!(r.status, RefundStatus::Processing);
        assert_eq!(r.amount, Some(Decimal::new(9500, 2)));
    }

    #[test]
    fn another_order_or_no_order_is_no_answer() {
        let other = order(&refund("REF1", "10", "processed"), "10")
            .into_iter()
            .collect::<Vec<u8>>();
        let other = String::from_utf8(other)
            .unwrap()
            .replace(ORD, "ORD00000000000000000000000000");
        assert!(
            read(other.as_bytes(), &partial("10"))
                .unwrap_err()
                .contains("answered with order")
        );
        let o: OrderId = ORD.parse().unwrap();
        let t: TransactionId = PAY.parse().unwrap();
        let r = partial("10");
        assert!(matches!(
            classify(201, None, b"<html>", asked(&o, &t, &r)),
            Reply::Unknown { .. }
        ));
        assert!(matches!(
            classify(201, None, br#"{"id": "x"}"#, asked(&o, &t, &r)),
            Reply::Unknown { .. }
        ));
    }

    #[test]
    fn an_order_view_reads_what_it_needs_leniently() {
        let bytes = format!(
            r#"{{"id": "{ORD}", "status": "processed",
                 "transactions": {{"payments": [{{"id": "{PAY}", "amount": "100.00", "refunded_amount": "25"}}],
                                   "chargebacks": [{{"id": "C1", "transaction_id": "{PAY}", "status": "opened"}},
                                                   {{"id": "C2", "status": "closed"}}]}}}}"#
        );
        let v = OrderView::parse(bytes.as_bytes()).unwrap();
        assert!(v.refunds.is_empty(), "no refunds listed is none");
        assert_eq!(v.only_transaction().unwrap().as_str(), PAY);
        assert_eq!(v.left(None), Some(Decimal::new(75, 0)));
        assert_eq!(v.open_chargebacks().count(), 1);
        assert!(OrderView::parse(br#"{"id": "x"}"#).is_err());
        assert!(OrderView::parse(b"[]").is_err());
    }
}
