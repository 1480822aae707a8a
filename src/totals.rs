//! Money asked, per currency: the one tally that `plan` prints, that `run` checks
//! against a finance hand-off (`--expect-rows`, `--expect-total`, `--max-total`)
//! and shows before asking to send, and the one way amounts are written for
//! people — with the currency's decimals (30.50, 1500).
//!
//! Invariants: a `full` row has no amount before the API answers, so it is
//! counted apart and never folded into a sum; sums are `money`'s checked ones,
//! and a sum past `Decimal`'s range is kept as its [`MoneyOverflow`] (shown as
//! such, failing every guard), never wrapped; a guard that cannot be checked (a `full` row under a
//! cap, a currency no guard names) refuses — a guard that passes silently when it
//! did not look would be worse than none.

use std::collections::BTreeMap;
use std::str::FromStr;

use rust_decimal::Decimal;

use crate::domain::{Currency, Requested};
use crate::money::{self, MoneyOverflow, fixed};

/// How a currency is named to people.
pub(crate) fn name(currency: Option<Currency>) -> String {
    currency.map_or_else(|| "(no currency)".to_owned(), |c| c.to_string())
}

/// The rows of one currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Asked {
    /// Rows with an amount, and its sum: `money`'s checked one, or the overflow
    /// it went past `Decimal`'s range with (it stays so).
    pub partial: u64,
    pub sum: Result<Decimal, MoneyOverflow>,
    /// Rows asking for the payment's whole remaining balance.
    pub full: u64,
}

impl Default for Asked {
    fn default() -> Self {
        Asked {
            partial: 0,
            sum: Ok(Decimal::ZERO),
            full: 0,
        }
    }
}

impl Asked {
    /// The sum as people read it, or why there is none.
    pub(crate) fn sum_text(&self, currency: Option<Currency>) -> String {
        match self.sum {
            Ok(sum) => fixed(currency, sum).to_string(),
            Err(_) => "(too large)".to_owned(),
        }
    }
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Tally {
    pub per: BTreeMap<Option<Currency>, Asked>,
}

impl Tally {
    pub(crate) fn add(&mut self, currency: Option<Currency>, requested: Requested) {
        let t = self.per.entry(currency).or_default();
        match requested {
            Requested::Full => t.full += 1,
            Requested::Partial(a) => {
                t.partial += 1;
                if let Ok(sum) = t.sum {
                    t.sum = money::add_in(sum, currency, a.get());
                }
            }
        }
    }

    pub(crate) fn rows(&self) -> u64 {
        self.per.values().map(|t| t.partial + t.full).sum()
    }

    /// One line per currency: `BRL 1234.50 in 12 row(s) + 3 full refund(s)`.
    pub(crate) fn lines(&self) -> Vec<String> {
        self.per
            .iter()
            .map(|(c, t)| {
                let mut line = format!("{} {} in {} row(s)", name(*c), t.sum_text(*c), t.partial);
                if t.full > 0 {
                    line.push_str(&format!(
                        " + {} full refund(s) (the payments' remaining balance, known only when sent)",
                        t.full
                    ));
                }
                line
            })
            .collect()
    }
}

/// `--expect-total` / `--max-total`: `AMOUNT` or `AMOUNT:CUR`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Guard {
    pub amount: Decimal,
    pub currency: Option<Currency>,
}

impl FromStr for Guard {
    type Err = String;

    fn from_str(s: &str) -> Result<Guard, String> {
        let (amount, currency) = match s.rsplit_once(':') {
            Some((a, c)) => (a, Some(Currency::from_str(c.trim())?)),
            None => (s, None),
        };
        match Requested::parse(amount, currency)? {
            Requested::Partial(a) => Ok(Guard {
                amount: a.get(),
                currency,
            }),
            Requested::Full => Err(format!(
                "{s:?}: a total is an amount, e.g. 1234.56 or 1234.56:BRL"
            )),
        }
    }
}

impl std::fmt::Display for Guard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", fixed(self.currency, self.amount))?;
        match self.currency {
            Some(c) => write!(f, ":{c}"),
            None => Ok(()),
        }
    }
}

/// Which currency of the file each guard speaks of: a guard without a currency
/// fits a file of one currency only; every currency of the file needs a guard.
fn matched(
    tally: &Tally,
    guards: &[Guard],
    flag: &str,
) -> Result<Vec<(Guard, Option<Currency>, Asked)>, String> {
    let mut out = Vec::new();
    for g in guards {
        let currency = match g.currency {
            Some(c) => {
                // A file without a currency column is in the account's one currency.
                if tally.per.contains_key(&Some(c)) || !tally.per.contains_key(&None) {
                    Some(c)
                } else {
                    None
                }
            }
            None => match tally.per.keys().collect::<Vec<_>>().as_slice() {
                [] | [_] => tally.per.keys().next().copied().flatten(),
                many => {
                    let names: Vec<String> = many.iter().map(|c| name(**c)).collect();
                    return Err(format!(
                        "{flag} {g}: the file has rows in {}; give one {flag} AMOUNT:CUR per currency",
                        names.join(", ")
                    ));
                }
            },
        };
        if out.iter().any(|(_, c, _)| *c == currency) {
            return Err(format!("{flag}: two totals for {}", name(currency)));
        }
        let asked = tally.per.get(&currency).cloned().unwrap_or_default();
        out.push((*g, currency, asked));
    }
    if let Some(c) = tally
        .per
        .keys()
        .find(|c| !out.iter().any(|(_, m, _)| m == *c))
    {
        return Err(format!(
            "{flag}: the file has rows in {} and no total names it",
            name(*c)
        ));
    }
    Ok(out)
}

/// Each guard's currency judged by `wrong` (a reason, or `None` when it holds);
/// every reason, joined, when one does not hold.
fn check(
    tally: &Tally,
    guards: &[Guard],
    flag: &str,
    wrong: impl Fn(&Guard, Option<Currency>, &Asked) -> Option<String>,
) -> Result<(), String> {
    let reasons: Vec<String> = matched(tally, guards, flag)?
        .iter()
        .filter_map(|(g, currency, asked)| wrong(g, *currency, asked))
        .collect();
    if reasons.is_empty() {
        Ok(())
    } else {
        Err(reasons.join("; "))
    }
}

/// `--expect-total`: the sum of each currency's amounts is exactly the one given.
pub(crate) fn check_expected(tally: &Tally, guards: &[Guard]) -> Result<(), String> {
    check(tally, guards, "--expect-total", |g, currency, asked| {
        if asked.sum == Ok(g.amount) {
            return None;
        }
        let full = if asked.full > 0 {
            format!(
                " (and {} full-refund row(s), which have no amount to add)",
                asked.full
            )
        } else {
            String::new()
        };
        Some(format!(
            "--expect-total {g}: the file's {} amounts add up to {}{full}",
            name(currency),
            asked.sum_text(currency)
        ))
    })
}

/// `--max-total`: no currency's sum above its cap; a `full` row, whose amount is
/// not known before it is sent, cannot be capped and is refused.
pub(crate) fn check_max(tally: &Tally, guards: &[Guard]) -> Result<(), String> {
    check(tally, guards, "--max-total", |g, currency, asked| {
        if asked.full > 0 {
            Some(format!(
                "--max-total {g}: {} {} row(s) ask for a full refund, whose amount is not known before sending, so no cap can hold it; write the amounts",
                asked.full,
                name(currency)
            ))
        } else if asked.sum.as_ref().is_ok_and(|s| *s <= g.amount) {
            None
        } else {
            Some(format!(
                "--max-total {g}: the file's {} amounts add up to {}, above the cap",
                name(currency),
                asked.sum_text(currency)
            ))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tally(rows: &[(&str, Option<&str>)]) -> Tally {
        let mut t = Tally::default();
        for (amount, cur) in rows {
            let c = cur.map(|c| c.parse().unwrap());
            t.add(c, Requested::parse(amount, c).unwrap());
        }
        t
    }

    fn guards(g: &[&str]) -> Vec<Guard> {
        g.iter().map(|g| g.parse().unwrap()).collect()
    }

    #[test]
    fn guards_parse_with_or_without_a_currency() {
        assert_eq!(
            "1234.5:BRL".parse::<Guard>().unwrap(),
            Guard {
                amount: Decimal::new(12345, 1),
                currency: Some(Currency::BRL)
            }
        );
        assert_eq!("1234,50".parse::<Guard>().unwrap().to_string(), "1234.50");
        assert!("full".parse::<Guard>().is_err());
        assert!("-1".parse::<Guard>().is_err());
        assert!("10:XXX".parse::<Guard>().is_err());
        assert!("1.5:CLP".parse::<Guard>().is_err());
    }

    #[test]
    fn expected_totals_must_match_every_currency() {
        let one = tally(&[("10.50", None), ("20", None)]);
        assert!(check_expected(&one, &guards(&["30.5"])).is_ok());
        let e = check_expected(&one, &guards(&["30.51"])).unwrap_err();
        assert!(e.contains("add up to 30.50"), "{e}");
        // A file with no currency column takes a guard that names one.
        assert!(check_expected(&one, &guards(&["30.50:BRL"])).is_ok());

        let two = tally(&[
            ("10", Some("BRL")),
            ("1500", Some("CLP")),
            ("full", Some("BRL")),
        ]);
        let e = check_expected(&two, &guards(&["10"])).unwrap_err();
        assert!(e.contains("per currency"), "{e}");
        let e = check_expected(&two, &guards(&["10:BRL"])).unwrap_err();
        assert!(e.contains("CLP and no total names it"), "{e}");
        assert!(check_expected(&two, &guards(&["10:BRL", "1500:CLP"])).is_ok());
        let e = check_expected(&two, &guards(&["11:BRL", "1500:CLP"])).unwrap_err();
        assert!(e.contains("1 full-refund row(s)"), "{e}");
        let e = check_expected(&two, &guards(&["10:BRL", "1500:CLP", "1:USD"])).unwrap_err();
        assert!(e.contains("USD amounts add up to 0.00"), "{e}");
    }

    #[test]
    fn a_cap_holds_partials_and_refuses_full_rows() {
        let one = tally(&[("10.50", Some("BRL")), ("20", Some("BRL"))]);
        assert!(check_max(&one, &guards(&["30.50"])).is_ok());
        assert!(check_max(&one, &guards(&["100:BRL"])).is_ok());
        let e = check_max(&one, &guards(&["30.49:BRL"])).unwrap_err();
        assert!(e.contains("above the cap"), "{e}");
        let full = tally(&[("full", Some("BRL"))]);
        let e = check_max(&full, &guards(&["1000000"])).unwrap_err();
        assert!(e.contains("full refund"), "{e}");
    }

    #[test]
    fn a_sum_too_large_is_flagged_not_wrapped() {
        let mut t = Tally::default();
        let big = Requested::Partial(crate::domain::Amount::new(Decimal::MAX).unwrap());
        t.add(None, big);
        t.add(None, big);
        let a = &t.per[&None];
        assert!(a.sum.is_err());
        // It stays so: a later small amount does not bring a sum back.
        t.add(
            None,
            Requested::Partial(crate::domain::Amount::new(Decimal::ONE).unwrap()),
        );
        let a = &t.per[&None];
        assert!(a.sum.is_err());
        assert_eq!(a.partial, 3);
        assert_eq!(a.sum_text(None), "(too large)");
        assert!(check_max(&t, &guards(&["1"])).is_err());
    }
}
