//! Money summed per currency, one way for every total the program shows, and
//! amounts written with their currency's decimals (30.50, 1500): a sum past
//! `Decimal`'s range is a [`MoneyOverflow`] the caller must handle (never a
//! panic, never a saturated figure that looks real — a caller that goes on
//! keeps the error in place of the sum), and a sum keeps its currency's
//! decimals ([`fixed`]). Keys are currency codes, `""` when none was named.
//! Every per-currency total is a [`MoneyByCurrency`], every count that travels
//! with its money a [`Counted`]. This is the domain's money module: it imports
//! only `domain` (a test in `layers` holds it there) and sits below the totals,
//! the report, the metrics and the commands; kept apart from `domain.rs` so that
//! file stays under the size limit.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use crate::domain::{Currency, DEFAULT_DECIMALS};

/// The decimals amounts of `currency` are shown with (`None`: the input named none).
pub(crate) fn decimals(currency: Option<Currency>) -> u32 {
    currency.map_or(DEFAULT_DECIMALS, Currency::decimals)
}

/// `a` with at least the currency's decimals (30.5 → 30.50); never rounded, so an
/// amount a server sent with more decimals than its currency has shows them all.
pub(crate) fn fixed(currency: Option<Currency>, a: Decimal) -> Decimal {
    let mut a = a;
    let d = decimals(currency);
    if a.scale() < d {
        a.rescale(d);
    }
    a
}

/// As [`fixed`], for currencies keyed by code (`""`: none named).
pub(crate) fn fixed_by_code(code: &str, a: Decimal) -> Decimal {
    fixed(Currency::from_code(code), a)
}

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
    Ok(fixed_by_code(currency, s))
}

/// As [`add`], for a currency already read (`None`: the input named none).
pub(crate) fn add_in(
    sum: Decimal,
    currency: Option<Currency>,
    a: Decimal,
) -> Result<Decimal, MoneyOverflow> {
    let s = sum.checked_add(a).ok_or_else(|| MoneyOverflow {
        currency: currency.map(|c| c.to_string()).unwrap_or_default(),
    })?;
    Ok(fixed(currency, s))
}

/// `sum + a` checked, left as is: for figures that mix currencies, where no one
/// currency's decimals apply.
pub(crate) fn add_mixed(sum: Decimal, a: Decimal) -> Result<Decimal, MoneyOverflow> {
    sum.checked_add(a).ok_or_else(|| MoneyOverflow {
        currency: String::new(),
    })
}

/// Sums keyed by currency code, in code order: the one shape every per-currency
/// total takes (the run summary, metrics, reconciliation). Serialised as a plain
/// map `{"BRL": "30.50"}`; only [`MoneyByCurrency::add`] and
/// [`MoneyByCurrency::merge`] change it, both checked.
#[derive(Debug, Default, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub(crate) struct MoneyByCurrency(BTreeMap<String, Decimal>);

impl MoneyByCurrency {
    /// Adds `a` to the `currency` sum; on overflow the sum is left as it was.
    pub(crate) fn add(&mut self, currency: &str, a: Decimal) -> Result<(), MoneyOverflow> {
        let e = self.0.entry(currency.to_owned()).or_default();
        *e = add(*e, currency, a)?;
        Ok(())
    }

    /// Adds every sum of `other` into this one; on overflow the currencies
    /// added so far stay added and the error names the one that did not fit.
    pub(crate) fn merge(&mut self, other: &MoneyByCurrency) -> Result<(), MoneyOverflow> {
        other.iter().try_for_each(|(c, a)| self.add(c, *a))
    }

    /// By currency code (`""` first: no currency named).
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&String, &Decimal)> {
        self.0.iter()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// For people: `BRL 30.50, CLP 1500` (no code when the input named none).
    pub(crate) fn text(&self) -> String {
        self.iter()
            .map(|(c, a)| {
                let a = fixed_by_code(c, *a);
                if c.is_empty() {
                    a.to_string()
                } else {
                    format!("{c} {a}")
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl<'a> IntoIterator for &'a MoneyByCurrency {
    type Item = (&'a String, &'a Decimal);
    type IntoIter = std::collections::btree_map::Iter<'a, String, Decimal>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// Lines (rows, refunds, report lines) and their money, counted together so
/// the count and the sum never drift apart: one currency's, or a plain figure
/// over mixed currencies ([`Counted::add_mixed`]).
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub(crate) struct Counted {
    pub rows: u64,
    pub sum: Decimal,
}

impl Counted {
    /// One more line of `a` in `currency`; on overflow nothing is counted.
    pub(crate) fn add(&mut self, currency: &str, a: Decimal) -> Result<(), MoneyOverflow> {
        self.sum = add(self.sum, currency, a)?;
        self.rows += 1;
        Ok(())
    }

    /// One more line of `a` where the lines mix currencies (see [`add_mixed`]).
    pub(crate) fn add_mixed(&mut self, a: Decimal) -> Result<(), MoneyOverflow> {
        self.sum = add_mixed(self.sum, a)?;
        self.rows += 1;
        Ok(())
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
    fn an_overflowing_merge_is_flagged_and_keeps_the_sum() {
        let mut m = MoneyByCurrency::default();
        m.add("BRL", Decimal::MAX).unwrap();
        let mut other = MoneyByCurrency::default();
        other.add("BRL", Decimal::ONE).unwrap();
        let e = m.merge(&other).unwrap_err();
        assert_eq!(e.currency, "BRL");
        assert_eq!(m.text(), format!("BRL {}", Decimal::MAX));
    }

    #[test]
    fn a_merge_adds_per_currency_in_code_order() {
        let mut m = MoneyByCurrency::default();
        m.add("CLP", Decimal::new(1500, 0)).unwrap();
        m.add("BRL", Decimal::new(105, 1)).unwrap();
        let mut other = MoneyByCurrency::default();
        other.add("BRL", Decimal::new(20, 0)).unwrap();
        other.add("", Decimal::new(3, 0)).unwrap();
        m.merge(&other).unwrap();
        let codes: Vec<&str> = (&m).into_iter().map(|(c, _)| c.as_str()).collect();
        assert_eq!(codes, ["", "BRL", "CLP"]);
        assert_eq!(m.text(), "3.00, BRL 30.50, CLP 1500");
        assert!(MoneyByCurrency::default().text().is_empty());
        assert!(MoneyByCurrency::default().is_empty() && !m.is_empty());
    }

    #[test]
    fn it_serialises_as_a_plain_map_of_currency_sums() {
        let mut m = MoneyByCurrency::default();
        m.add("BRL", Decimal::new(305, 1)).unwrap();
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(json, r#"{"BRL":"30.50"}"#);
        let back: MoneyByCurrency = serde_json::from_str(&json).unwrap();
        assert_eq!(back, m);
    }

    #[test]
    fn a_count_and_its_sum_move_together_or_not_at_all() {
        let mut c = Counted::default();
        c.add("BRL", Decimal::new(305, 1)).unwrap();
        c.add("BRL", Decimal::ZERO).unwrap();
        assert_eq!((c.rows, c.sum.to_string()), (2, "30.50".to_owned()));
        c.add("BRL", Decimal::MAX).unwrap_err();
        assert_eq!((c.rows, c.sum.to_string()), (2, "30.50".to_owned()));
        // Mixed currencies: a plain figure, no currency's decimals imposed.
        let mut m = Counted::default();
        m.add_mixed(Decimal::new(105, 1)).unwrap();
        m.add_mixed(Decimal::new(3, 0)).unwrap();
        assert_eq!((m.rows, m.sum.to_string()), (2, "13.5".to_owned()));
        let e = m.add_mixed(Decimal::MAX).unwrap_err();
        assert_eq!((e.currency.as_str(), m.rows), ("", 2));
    }

    #[test]
    fn amounts_show_their_currency_decimals_never_rounded() {
        let brl = Some(Currency::BRL);
        let clp: Option<Currency> = Some("CLP".parse().unwrap());
        assert_eq!(fixed(brl, Decimal::new(305, 1)).to_string(), "30.50");
        assert_eq!(fixed(None, Decimal::new(7, 0)).to_string(), "7.00");
        assert_eq!(fixed(clp, Decimal::new(1500, 0)).to_string(), "1500");
        assert_eq!(fixed(brl, Decimal::new(10505, 3)).to_string(), "10.505");
        assert_eq!(fixed_by_code("", Decimal::new(1, 0)).to_string(), "1.00");
    }

    #[test]
    fn a_sum_in_a_read_currency_is_checked_the_same_way() {
        let brl = Some(Currency::BRL);
        assert_eq!(
            add_in(Decimal::ZERO, brl, Decimal::new(305, 1))
                .unwrap()
                .to_string(),
            "30.50"
        );
        let e = add_in(Decimal::MAX, brl, Decimal::ONE).unwrap_err();
        assert_eq!(e.currency, "BRL");
        assert_eq!(
            add_in(Decimal::MAX, None, Decimal::ONE)
                .unwrap_err()
                .currency,
            ""
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
