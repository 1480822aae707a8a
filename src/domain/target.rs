//! What a row refunds: its [`Kind`] (the endpoint, as a spreadsheet's `kind`
//! column names it), its [`Target`] (the payment, or the order of the Orders
//! API and the transaction it names), and the [`Books`] where Mercado Pago
//! lists the refunds a target has (a payment, an order) — what a read-back
//! reads. A payment id is digits, an order id `ORD…`: one never reads as the
//! other.

use std::fmt;
use std::str::FromStr;

use crate::domain::PaymentId;
use crate::domain::order::{OrderId, OrderRef};

/// Which endpoint refunds the row: the Payments API's two, or the Orders API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Kind {
    #[default]
    Payment,
    AdvancedPayment,
    Order,
}

impl Kind {
    /// Each kind (in the order of its variants) with the words a
    /// spreadsheet's `kind` column names it by, its own first: a cell is read
    /// trimmed, in any case, with `-` or a space for `_`, and blank is a
    /// payment.
    const SPELLINGS: [(Kind, &'static [&'static str]); 3] = [
        (Kind::Payment, &["payment", ""]),
        (Kind::AdvancedPayment, &["advanced_payment", "advanced"]),
        (Kind::Order, &["order"]),
    ];

    pub fn as_str(self) -> &'static str {
        Self::SPELLINGS[self as usize].1[0]
    }
}

impl FromStr for Kind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let cell = s.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        Self::SPELLINGS
            .iter()
            .find(|(_, words)| words.contains(&cell.as_str()))
            .map(|(kind, _)| *kind)
            .ok_or_else(|| {
                format!(
                    "kind {} is neither \"payment\", \"advanced_payment\" nor \"order\"",
                    crate::domain::excerpt::excerpt(&cell)
                )
            })
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a row refunds: a payment of the Payments API (plain or advanced), or an
/// order of the Orders API. Its [`Kind`] is the variant's.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    Payment(PaymentId),
    AdvancedPayment(PaymentId),
    Order(OrderRef),
}

impl Target {
    pub fn kind(&self) -> Kind {
        match self {
            Target::Payment(_) => Kind::Payment,
            Target::AdvancedPayment(_) => Kind::AdvancedPayment,
            Target::Order(_) => Kind::Order,
        }
    }

    /// The payment, for a row of the Payments API.
    pub fn payment(&self) -> Option<PaymentId> {
        match self {
            Target::Payment(id) | Target::AdvancedPayment(id) => Some(*id),
            Target::Order(_) => None,
        }
    }

    /// The order, for a row of the Orders API.
    pub fn order(&self) -> Option<&OrderRef> {
        match self {
            Target::Order(o) => Some(o),
            _ => None,
        }
    }

    /// Path of the refund endpoint.
    pub fn refund_path(&self) -> String {
        match self {
            Target::Payment(id) => format!("/v1/payments/{id}/refunds"),
            Target::AdvancedPayment(id) => format!("/v1/advanced_payments/{id}/refunds"),
            Target::Order(o) => format!("/v1/orders/{}/refund", o.order),
        }
    }
}

/// The payment id or the order id, as a spreadsheet writes it.
impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Payment(id) | Target::AdvancedPayment(id) => write!(f, "{id}"),
            Target::Order(o) => write!(f, "{}", o.order),
        }
    }
}

/// Where Mercado Pago lists the refunds of a row's target, for a read-back: a
/// payment (`GET /v1/payments/{id}`) or an order (`GET /v1/orders/{id}`). An
/// advanced payment's refunds are listed nowhere the tool reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Books {
    Payment(PaymentId),
    Order(OrderId),
}

impl Books {
    /// Where `target`'s refunds are listed, when the tool can read them.
    pub fn of(target: &Target) -> Option<Books> {
        match target {
            Target::Payment(id) => Some(Books::Payment(*id)),
            Target::AdvancedPayment(_) => None,
            Target::Order(o) => Some(Books::Order(o.order)),
        }
    }
}

impl Books {
    /// `payment 123`, `order ORD…`: what a message names.
    pub fn named(&self) -> String {
        match self {
            Books::Payment(id) => format!("payment {id}"),
            Books::Order(id) => format!("order {id}"),
        }
    }
}

/// The payment's id or the order's, as a spreadsheet writes it.
impl fmt::Display for Books {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Books::Payment(id) => write!(f, "{id}"),
            Books::Order(id) => write!(f, "{id}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_spelled_as_their_column_writes_them() {
        for (i, (kind, words)) in Kind::SPELLINGS.iter().enumerate() {
            assert_eq!(*kind as usize, i, "in the order of the variants");
            assert_eq!(kind.as_str().parse::<Kind>(), Ok(*kind));
            for w in *words {
                assert_eq!(w.parse::<Kind>(), Ok(*kind), "{w:?}");
            }
        }
        assert_eq!(Kind::AdvancedPayment.as_str(), "advanced_payment");
        assert_eq!(
            " Advanced-Payment ".parse::<Kind>(),
            Ok(Kind::AdvancedPayment)
        );
        assert_eq!("ORDER".parse::<Kind>(), Ok(Kind::Order));
        assert_eq!("".parse::<Kind>(), Ok(Kind::Payment));
        let e = "Refund Now".parse::<Kind>().unwrap_err();
        assert_eq!(
            e,
            "kind \"refund_now\" is neither \"payment\", \"advanced_payment\" nor \"order\""
        );
    }
}
