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
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Payment => "payment",
            Kind::AdvancedPayment => "advanced_payment",
            Kind::Order => "order",
        }
    }
}

impl FromStr for Kind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s
            .trim()
            .to_ascii_lowercase()
            .replace([' ', '-'], "_")
            .as_str()
        {
            "" | "payment" => Ok(Kind::Payment),
            "advanced_payment" | "advanced" => Ok(Kind::AdvancedPayment),
            "order" => Ok(Kind::Order),
            other => Err(format!(
                "kind {} is neither \"payment\", \"advanced_payment\" nor \"order\"",
                crate::domain::excerpt::excerpt(other)
            )),
        }
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
