//! Numbers as the page's language writes them: counts grouped in thousands
//! (`1.234` in pt-BR and es, `1,234` in English), rates with one decimal
//! (`8,0`), plain amounts with their own digits (`5.705,67`). The digits
//! come from `Decimal` — a rate is rounded to one decimal first, once.

use rust_decimal::Decimal;

use super::{Lang, Words, number};

/// `n` grouped in thousands in `lang`'s marks.
pub(crate) fn count(lang: Lang, n: u64) -> String {
    number(lang, Decimal::from(n))
}

/// A rate (rows a second) with one decimal in `lang`'s marks; what is no
/// number (nothing measured yet) reads as zero.
pub(crate) fn rate(lang: Lang, r: f64) -> String {
    let r = if r.is_finite() && r >= 0.0 { r } else { 0.0 };
    let one = Decimal::try_from(r)
        .unwrap_or(Decimal::ZERO)
        .round_dp_with_strategy(1, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    let mut one = one;
    one.rescale(1);
    number(lang, one)
}

impl Words {
    /// [`count`] in the page's language.
    pub(crate) fn count(&self, n: u64) -> String {
        count(self.lang, n)
    }

    /// [`rate`] in the page's language.
    pub(crate) fn rate(&self, r: f64) -> String {
        rate(self.lang, r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_rates_and_amounts_in_the_pages_locale() {
        assert_eq!(count(Lang::PtBr, 1234), "1.234");
        assert_eq!(count(Lang::Es, 1_234_567), "1.234.567");
        assert_eq!(count(Lang::En, 1234), "1,234");
        assert_eq!(count(Lang::PtBr, 40), "40");
        assert_eq!(count(Lang::PtBr, 0), "0");
        assert_eq!(rate(Lang::PtBr, 8.0), "8,0");
        assert_eq!(rate(Lang::Es, 12.345), "12,3");
        assert_eq!(rate(Lang::En, 8.04), "8.0");
        assert_eq!(rate(Lang::PtBr, 1234.56), "1.234,6");
        assert_eq!(rate(Lang::PtBr, 0.05), "0,1");
        assert_eq!(rate(Lang::PtBr, f64::NAN), "0,0");
        assert_eq!(rate(Lang::PtBr, f64::INFINITY), "0,0");
        let w = Words::utc(Lang::PtBr);
        let d = |t: &str| t.parse::<Decimal>().unwrap();
        assert_eq!(number(Lang::PtBr, d("5705.67")), "5.705,67");
        assert_eq!(number(Lang::Es, d("-1000.5")), "-1.000,5");
        assert_eq!(number(Lang::En, d("5705.67")), "5,705.67");
        assert_eq!(w.amount(None, d("5705.67")), "5.705,67");
        assert_eq!(w.count(36), "36");
        assert_eq!(w.rate(8.0), "8,0");
    }
}
