//! The Orders API's identifiers (Mercado Pago's `/v1/orders`): an order id is
//! `ORD` followed by 26 letters and digits (what the API answers
//! `invalid_path_param` to anything else for), a payment transaction of an
//! order is `PAY…`. Each type is validated when built, so a value of it is
//! always one the API could have issued; an order id can never read as a
//! payment id (those are digits only), so a spreadsheet may mix both.

use std::fmt;
use std::str::FromStr;

/// Letters and digits after the `ORD` of an order id.
const ORDER_CHARS: usize = 26;
/// The most a transaction id may hold, its `PAY` included: the idempotency
/// key's bound, far past the 29 characters Mercado Pago's examples show.
const MAX_TRANSACTION: usize = 64;

/// Whether `t` is an id of the Orders API's shape: `prefix`, then ASCII
/// letters and digits, `len` characters in all.
fn api_id(t: &str, prefix: &str, len: std::ops::RangeInclusive<usize>) -> bool {
    len.contains(&t.len()) && t.starts_with(prefix) && t.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// An order of the Orders API: `ORD` + 26 ASCII letters and digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrderId([u8; 3 + ORDER_CHARS]);

/// A payment transaction of an order: `PAY` + letters and digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TransactionId(String);

/// Why a cell is not an order or transaction id (user-facing; the cell is
/// shown as an excerpt).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderIdError {
    #[error("order id is blank")]
    Blank,
    #[error(
        "order id {0} is not an order of the Orders API (ORD followed by {ORDER_CHARS} letters and digits)"
    )]
    NotAnOrder(String),
    #[error(
        "transaction id {0} is not a payment transaction of an order (PAY followed by letters and digits)"
    )]
    NotATransaction(String),
}

impl OrderId {
    pub fn as_str(&self) -> &str {
        // Built only from ASCII.
        std::str::from_utf8(&self.0).unwrap_or("ORD?")
    }

    /// Whether a cell is written as an order id (`ORD…`, any case): the id
    /// column of a mixed spreadsheet holds both kinds.
    pub(crate) fn looks_like(cell: &str) -> bool {
        cell.trim()
            .get(..3)
            .is_some_and(|p| p.eq_ignore_ascii_case("ORD"))
    }
}

impl FromStr for OrderId {
    type Err = OrderIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        if t.is_empty() {
            return Err(OrderIdError::Blank);
        }
        if !api_id(t, "ORD", 3 + ORDER_CHARS..=3 + ORDER_CHARS) {
            return Err(OrderIdError::NotAnOrder(crate::domain::excerpt::excerpt(t)));
        }
        let mut id = [0u8; 3 + ORDER_CHARS];
        id.copy_from_slice(t.as_bytes());
        Ok(OrderId(id))
    }
}

impl fmt::Display for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TransactionId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for TransactionId {
    type Err = OrderIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        if api_id(t, "PAY", 4..=MAX_TRANSACTION) {
            Ok(TransactionId(t.to_owned()))
        } else {
            Err(OrderIdError::NotATransaction(
                crate::domain::excerpt::excerpt(t),
            ))
        }
    }
}

impl fmt::Display for TransactionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

crate::domain::codes! {
    /// The Orders API's error codes (`{"errors": [{"code": …}]}`), as its refund
    /// pages document them: a row refused with one carries it as its cause
    /// ([`crate::domain::CauseCode::Order`]), spelled as the API spells it.
    #[derive(Hash)]
    pub enum OrderCause {
        EmptyRequiredHeader,
        InvalidIdempotencyKeyLength,
        InvalidPathParam,
        InvalidOrderOwner,
        OrderNotFound,
        TransactionNotFound,
        UnsupportedPartiallyRefunds,
        RefundAmountExceeds,
        PartialRefundForbiddenWithTips,
        InStorePaymentRefundOrder,
        /// 409: another refund of the order is being processed; the same key,
        /// after a pause.
        RefundInProgress,
        /// 409: the key was used with another body — never sent again, never with
        /// another key: the row stays in doubt until a read-back settles it.
        IdempotencyKeyAlreadyUsed,
        /// 423: the key's request is still being processed; the same key, after a pause.
        ResourceLocked,
        /// 500: Mercado Pago advises a new key, which could refund twice: the row
        /// stays in doubt until a read-back finds no refund of it.
        IdempotencyValidationFailed,
        Unauthorized,
        UserNotAuthorized,
        OrderAlreadyRefunded,
        CannotRefundOrder,
        /// The order's status allows no refund.
        InvalidOrderStatus,
        /// A cash withdrawal was paid out with the order: only a full refund.
        PartialRefundNotAllowedWithCashout,
    }
}

impl OrderCause {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// The same request would meet the same answer, whatever its HTTP status
    /// says of others: a key used with another body, an order that cannot be
    /// refunded or has nothing left (409s, which are retried for a key merely
    /// busy), tips on the order (403, which otherwise stops a run for a
    /// refused token). The row's, never retried.
    pub(crate) fn is_final(self) -> bool {
        self == OrderCause::IdempotencyKeyAlreadyUsed || self.is_refusal()
    }

    /// Mercado Pago refused the request before doing anything with it, though
    /// its status (a 409, a 403) may be one a request may have refunded under
    /// or one that stops a run: the order's state allows no refund, nothing is
    /// left of it, or a partial refund is not allowed on it (tips, a cash
    /// withdrawal).
    pub(crate) fn is_refusal(self) -> bool {
        matches!(
            self,
            OrderCause::PartialRefundForbiddenWithTips
                | OrderCause::PartialRefundNotAllowedWithCashout
                | OrderCause::CannotRefundOrder
                | OrderCause::InvalidOrderStatus
                | OrderCause::OrderAlreadyRefunded
        )
    }

    /// The order (or its key) is busy at Mercado Pago: the same request,
    /// sent again after a pause, is how it goes on.
    pub(crate) fn is_busy(self) -> bool {
        matches!(
            self,
            OrderCause::RefundInProgress | OrderCause::ResourceLocked
        )
    }
}

/// What an order row refunds: the order, and the payment transaction a
/// partial refund names when the spreadsheet says which (else the order's
/// only one, read from Mercado Pago when the refund is sent).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OrderRef {
    pub order: OrderId,
    pub transaction: Option<TransactionId>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORDER: &str = "ORD01JQ4S4KY8HWQ6NA5PXB65B3D3";

    #[test]
    fn order_ids_are_ord_and_26_letters_or_digits() {
        let id: OrderId = ORDER.parse().unwrap();
        assert_eq!(id.as_str(), ORDER);
        assert_eq!(format!(" {ORDER} ").parse::<OrderId>(), Ok(id));
        for bad in [
            "ORD01JQ4S4KY8HWQ6NA5PXB65B3D",   // 25
            "ORD01JQ4S4KY8HWQ6NA5PXB65B3D33", // 27
            "ord01JQ4S4KY8HWQ6NA5PXB65B3D3",
            "ORD01JQ4S4KY8HWQ6NA5PXB65B3-3",
            "PAY01JQ4S4KY8HWQ6NA5PXB65B3D3",
            "123456",
        ] {
            assert!(
                matches!(bad.parse::<OrderId>(), Err(OrderIdError::NotAnOrder(_))),
                "{bad}"
            );
        }
        assert_eq!("  ".parse::<OrderId>(), Err(OrderIdError::Blank));
        let long = "ORD".to_owned() + &"x".repeat(100_000);
        assert!(long.parse::<OrderId>().unwrap_err().to_string().len() < 300);
    }

    #[test]
    fn an_order_id_is_told_from_a_payment_id_by_its_prefix() {
        assert!(OrderId::looks_like(ORDER));
        assert!(OrderId::looks_like(" ord123"));
        assert!(!OrderId::looks_like("123456789"));
        assert!(!OrderId::looks_like("OR"));
    }

    #[test]
    fn transaction_ids_are_pay_and_letters_or_digits() {
        let t: TransactionId = "PAY01J67CQQH5904WDBVZEM4JMEP3".parse().unwrap();
        assert_eq!(t.as_str(), "PAY01J67CQQH5904WDBVZEM4JMEP3");
        for bad in ["", "PAY", "PAY-1", "REF01J67CQQH5904WDBVZEM4JMEP3", "pay1"] {
            assert!(bad.parse::<TransactionId>().is_err(), "{bad}");
        }
        assert!(
            format!("PAY{}", "1".repeat(61))
                .parse::<TransactionId>()
                .is_ok()
        );
        assert!(
            format!("PAY{}", "1".repeat(62))
                .parse::<TransactionId>()
                .is_err()
        );
    }
}
