//! Money summed per currency, one way for every total the program shows: a sum
//! past `Decimal`'s range is a [`MoneyOverflow`] the caller must handle (never a
//! panic, never a saturated figure that looks real), and a sum keeps its
//! currency's decimals (30.50, not 30.5) as `totals::fixed_by_code` shows them.
//! Keys are currency codes, `""` when none was named. Sits below the commands
//! and the report: it imports only the domain's display rules.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use crate::totals;

/// A sum of `currency` amounts went past what `Decimal` holds; only absurd
/// figures (from a server, a state file) get there, so they are not to be trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the sum of {} amounts is too large to add up", if .currency.is_empty() { "unnamed-currency" } else { .currency.as_str() })]
pub(crate) struct MoneyOverflow {
    pub currency: String,
}

/// `sum + a` in `currency`, checked, with the currency's decimals kept.
pub(crate) fn add(sum: Decimal, currency: &str, a: Decimal) -> Result<Decimal, MoneyOverflow> {
    let s = sum.checked_add(a).ok_or_else(|| MoneyOverflow {
        currency: currency.to_owned(),
    })?;
    Ok(totals::fixed_by_code(currency, s))
}

/// `sum + a` checked, left as is: for figures that mix currencies, where no one
/// currency's decimals apply.
pub(crate) fn add_mixed(sum: Decimal, a: Decimal) -> Result<Decimal, MoneyOverflow> {
    sum.checked_add(a).ok_or_else(|| MoneyOverflow {
        currency: String::new(),
    })
}

/// Sums keyed by currency code.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct MoneyByCurrency(BTreeMap<String, Decimal>);

impl MoneyByCurrency {
    /// Adds `a` to the `currency` sum; on overflow the sum is left as it was.
    pub(crate) fn add(&mut self, currency: &str, a: Decimal) -> Result<(), MoneyOverflow> {
        let e = self.0.entry(currency.to_owned()).or_default();
        *e = add(*e, currency, a)?;
        Ok(())
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (&String, &Decimal)> {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adding_past_decimal_range_is_an_error_and_keeps_the_sum() {
        let mut m = MoneyByCurrency::default();
        m.add("BRL", Decimal::MAX).unwrap();
        let e = m.add("BRL", Decimal::ONE).unwrap_err();
        assert_eq!(e.currency, "BRL");
        assert!(e.to_string().contains("BRL"));
        assert_eq!(m.iter().next().map(|(_, a)| *a), Some(Decimal::MAX));
    }

    #[test]
    fn sums_are_kept_per_currency_key() {
        let mut m = MoneyByCurrency::default();
        m.add("BRL", Decimal::new(10, 0)).unwrap();
        m.add("CLP", Decimal::new(7, 0)).unwrap();
        m.add("BRL", Decimal::new(5, 1)).unwrap();
        m.add("", Decimal::ONE).unwrap();
        let got: Vec<(String, String)> =
            m.iter().map(|(c, a)| (c.clone(), a.to_string())).collect();
        assert_eq!(
            got,
            [
                ("".to_owned(), "1.00".to_owned()),
                ("BRL".to_owned(), "10.50".to_owned()),
                ("CLP".to_owned(), "7".to_owned()),
            ]
        );
    }

    #[test]
    fn a_sum_keeps_its_currency_decimals_never_rounds() {
        assert_eq!(
            add(Decimal::ZERO, "BRL", Decimal::new(305, 1))
                .unwrap()
                .to_string(),
            "30.50"
        );
        assert_eq!(
            add(Decimal::ZERO, "BRL", Decimal::new(30505, 3))
                .unwrap()
                .to_string(),
            "30.505"
        );
        assert!(add(Decimal::MIN, "BRL", -Decimal::ONE).is_err());
    }
}
