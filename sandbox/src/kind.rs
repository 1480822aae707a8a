//! Which of Mercado Pago's two refund endpoints a payment answers on: the
//! sandbox's own word for it, kept apart from the engine's so that the two
//! sides of the wire are written independently.
//!
//! Invariant: the spellings are the wire's (`payment`, `advanced_payment`);
//! `advanced` and an empty string are accepted when declaring a payment.

use std::fmt;
use std::str::FromStr;

/// A payment (`/v1/payments/{id}/refunds`) or an advanced payment
/// (`/v1/advanced_payments/{id}/refunds`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Kind {
    #[default]
    Payment,
    AdvancedPayment,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Payment => "payment",
            Kind::AdvancedPayment => "advanced_payment",
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
            _ => {
                // Bounded: a declared kind is caller's input, echoed, never whole.
                let shown: String = s.chars().take(80).collect();
                let cut = if shown.len() < s.len() { "…" } else { "" };
                Err(format!(
                    "kind {shown:?}{cut} is neither \"payment\" nor \"advanced_payment\""
                ))
            }
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_round_trip_and_others_are_refused() {
        for k in [Kind::Payment, Kind::AdvancedPayment] {
            assert_eq!(k.as_str().parse::<Kind>(), Ok(k));
        }
        assert_eq!("Advanced".parse::<Kind>(), Ok(Kind::AdvancedPayment));
        assert_eq!("".parse::<Kind>(), Ok(Kind::Payment));
        assert!("refund".parse::<Kind>().unwrap_err().contains("refund"));
    }
}
