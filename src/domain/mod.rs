//! The vocabulary every layer speaks: ids and amounts (`ids`, `amounts`),
//! outcomes and causes (`outcomes`, with their meanings in `causes`), keys,
//! money summed one checked way (`money`, `totals`), findings, next steps,
//! time, how a command ends (`ending`) and the one settings model of how
//! requests are sent. Each type is validated when built, so a value of it is
//! always valid; nothing downstream re-checks or passes raw strings around.
//!
//! Money is `rust_decimal::Decimal` end to end: parsed from text, stored as
//! text, and written to the wire as a JSON number from the decimal's own
//! digits.

/// A vocabulary of codes: a fieldless enum each of whose variants has one
/// spelling, its name in snake_case (`in_process`, `refund_in_progress`),
/// written and read by strum's derives — what the state file, the results
/// and every page say. The attributes given (its docs, further derives) go on
/// the enum.
macro_rules! codes {
    ($(#[$meta:meta])* $vis:vis enum $name:ident { $($variants:tt)* }) => {
        $(#[$meta])*
        #[derive(
            Debug,
            Clone,
            Copy,
            PartialEq,
            Eq,
            strum::EnumIter,
            strum::IntoStaticStr,
            strum::EnumString,
            strum::Display,
        )]
        #[strum(serialize_all = "snake_case")]
        $vis enum $name { $($variants)* }
    };
}
pub(crate) use codes;

mod amounts;
pub(crate) mod books;
pub(crate) mod causes;
pub(crate) mod clock;
pub(crate) mod ending;
pub(crate) mod excerpt;
pub(crate) mod finding;
mod ids;
pub(crate) mod joint;
pub(crate) mod key;
pub(crate) mod marks;
pub(crate) mod money;
pub(crate) mod order;
mod outcomes;
pub(crate) mod settings;
pub(crate) mod steps;
pub(crate) mod target;
pub(crate) mod totals;

pub use crate::domain::order::{OrderCause, OrderId, OrderRef, TransactionId};
pub use crate::domain::target::{Books, Kind, Target};
pub use amounts::*;
pub use ids::*;
pub use outcomes::*;

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;
    use std::str::FromStr;

    #[test]
    fn payment_ids() {
        assert_eq!("  123 ".parse::<PaymentId>().unwrap().get(), 123);
        assert!(matches!(
            "".parse::<PaymentId>(),
            Err(PaymentIdError::Blank)
        ));
        assert!(matches!(
            "1.23457E+11".parse::<PaymentId>(),
            Err(PaymentIdError::Scientific(_))
        ));
        assert!("0".parse::<PaymentId>().is_err());
        assert!("-5".parse::<PaymentId>().is_err());
        assert!("12a".parse::<PaymentId>().is_err());
        assert!("99999999999999999999".parse::<PaymentId>().is_err());
        // Beyond what the state file stores: refused, not stored negative.
        assert!(matches!(
            "9223372036854775808".parse::<PaymentId>(),
            Err(PaymentIdError::OutOfRange(_))
        ));
        assert!(matches!(
            "18446744073709551616".parse::<PaymentId>(),
            Err(PaymentIdError::TooLong(_))
        ));
        assert_eq!(
            "9223372036854775807".parse::<PaymentId>().unwrap().get(),
            PaymentId::MAX
        );
        assert!(PaymentId::new(PaymentId::MAX + 1).is_none());
        // A long cell is echoed as an excerpt.
        let e = "x".repeat(100_000).parse::<PaymentId>().unwrap_err();
        assert!(e.to_string().len() < 200, "{e}");
    }

    #[test]
    fn amounts_are_positive_and_normalised() {
        assert!(Amount::new(Decimal::ZERO).is_none());
        assert!(Amount::new(Decimal::from(-1)).is_none());
        let a = Amount::new(Decimal::from_str("25.50").unwrap()).unwrap();
        assert_eq!(a.to_string(), "25.5");
        assert_eq!(Requested::Partial(a).canonical(), "25.5");
        assert_eq!(
            Requested::from_canonical("25.5"),
            Some(Requested::Partial(a))
        );
        assert_eq!(Requested::from_canonical("full"), Some(Requested::Full));
    }

    #[test]
    fn keys_are_bounded() {
        assert!(IdempotencyKey::new("").is_none());
        assert!(IdempotencyKey::new("a".repeat(65)).is_none());
        assert!(IdempotencyKey::new("a b").is_none());
        assert!(IdempotencyKey::new("mpr1-abc_DEF").is_some());
    }

    #[test]
    fn refund_statuses_are_spelled_exactly() {
        assert_eq!(RefundStatus::parse("approved"), RefundStatus::Approved);
        assert_eq!(RefundStatus::parse("in_process"), RefundStatus::InProcess);
        for known in RefundStatus::KNOWN {
            assert_eq!(RefundStatus::parse(known.as_str()), known);
            assert!(known.is_known());
        }
        for odd in ["approved ", "APPROVED", "Approved", "", "refunded"] {
            let s = RefundStatus::parse(odd);
            assert!(!s.is_known(), "{odd:?}");
            assert_eq!(s.as_str(), odd, "kept as the API spelled it");
        }
        assert!(RefundStatus::Rejected.moved_no_money());
        assert!(RefundStatus::Cancelled.moved_no_money());
        assert!(!RefundStatus::Approved.moved_no_money());
        assert!(!RefundStatus::Other("rejected ".into()).moved_no_money());
    }

    #[test]
    fn outcome_names_come_from_the_derive() {
        use strum::IntoEnumIterator;
        let names: Vec<&str> = Outcome::iter().map(Outcome::as_str).collect();
        assert_eq!(
            names,
            [
                "refunded",
                "in_process",
                "failed",
                "invalid",
                "pending",
                "unknown"
            ]
        );
        for o in Outcome::iter() {
            assert_eq!(o.as_str().parse::<Outcome>().unwrap(), o);
            assert_eq!(o.to_string(), o.as_str());
        }
        assert!("sending".parse::<Outcome>().is_err());
    }

    #[test]
    fn currency_decimals() {
        assert_eq!("clp".parse::<Currency>().unwrap().decimals(), 0);
        assert_eq!("BRL".parse::<Currency>().unwrap().decimals(), 2);
        assert!("R$".parse::<Currency>().is_err());
        // Three letters are not enough: a typo must not pass as a currency.
        for unknown in ["XYZ", "EUR", "BRR"] {
            let e = unknown.parse::<Currency>().unwrap_err();
            assert!(e.contains("BRL"), "{e}");
        }
    }
}
