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
//! did not look would be worse than none. An expected total covers every row: a
//! `full` row's money is in it or the row is named apart (`+Nfull`); a total in
//! a currency the file has no rows in is refused (rows of no currency are in the
//! account's currency, when it is known).

use std::collections::BTreeMap;
use std::str::FromStr;

use rust_decimal::Decimal;

use crate::domain::marks::Grouping;
use crate::domain::money::{self, MoneyOverflow, fixed};
use crate::domain::{Currency, Requested};

/// The state file's memo (`meta`) of the account's currency, learnt from
/// Mercado Pago: a file without a currency column is in it.
pub(crate) const ACCOUNT_CURRENCY: &str = "account_currency";

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

/// A total stated for one currency: `--expect-total`/`--max-total`, or what a
/// console submitter or approver types. `AMOUNT[:CUR][+Nfull]`: the money, and
/// how many `full` rows it names apart — rows whose amount is not in `amount`
/// because nobody could know it (the payment's balance, unread).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Guard {
    pub amount: Decimal,
    pub currency: Option<Currency>,
    /// `full` rows named apart, their money not in `amount`.
    pub full: u64,
}

impl FromStr for Guard {
    type Err = String;

    fn from_str(s: &str) -> Result<Guard, String> {
        match typed(s)?.as_slice() {
            [one] => Ok(*one),
            _ => Err(format!(
                "{s:?}: one total, e.g. 1234.56, 1234.56:BRL or 1234.56:BRL+3full"
            )),
        }
    }
}

impl std::fmt::Display for Guard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", fixed(self.currency, self.amount))?;
        if let Some(c) = self.currency {
            write!(f, ":{c}")?;
        }
        if self.full > 0 {
            write!(f, "+{}full", self.full)?;
        }
        Ok(())
    }
}

/// Currency signs typed before an amount, and the currency each names (`$`
/// alone names none: it is the peso's and the dollar's).
const SIGNS: &[(&str, Option<&str>)] = &[
    ("R$", Some("BRL")),
    ("US$", Some("USD")),
    ("U$S", Some("USD")),
    ("S/", Some("PEN")),
    ("$", None),
];

/// The totals in a text as people type them: one per currency, each `AMOUNT`,
/// `AMOUNT:CUR` or `AMOUNT CUR`, a currency sign before it if they like
/// (`R$ 5.855,60`), then optionally `+ N full` — so `1.00 BRL + 5 full`,
/// `1.00:BRL+5full`, `5,855.60 BRL` and `1500:CLP 3.75:BRL` all read. An amount
/// with thousands grouped reads when its marks show which is the decimal one
/// (both marks, or one repeated); a lone group of three (`5.855`) is refused,
/// never guessed.
pub(crate) fn typed(text: &str) -> Result<Vec<Guard>, String> {
    let spaced = text.replace(':', " : ").replace('+', " + ");
    // `5full` is `5 full`; `R$5` is `R$ 5`.
    let words: Vec<&str> = spaced
        .split_whitespace()
        .flat_map(|w| {
            if let Some((sign, _)) = SIGNS
                .iter()
                .find(|(s, _)| w.len() > s.len() && w.starts_with(s))
            {
                return vec![&w[..sign.len()], &w[sign.len()..]];
            }
            match w.find(|c: char| c.is_ascii_alphabetic()) {
                Some(at) if at > 0 && w[..at].bytes().all(|b| b.is_ascii_digit()) => {
                    vec![&w[..at], &w[at..]]
                }
                _ => vec![w],
            }
        })
        .collect();
    let example = "e.g. 1234.56, 1234.56:BRL, R$ 1.234,56 or 1.00:BRL + 5 full";
    let mut out = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let signed = SIGNS.iter().find(|(s, _)| *s == words[i]);
        if signed.is_some() {
            i += 1;
        }
        let Some(&amount) = words.get(i) else {
            return Err(format!("{text:?}: a total is an amount, {example}"));
        };
        i += 1;
        if words.get(i) == Some(&":") {
            i += 1;
        }
        let written = match words.get(i) {
            Some(w) if w.bytes().all(|b| b.is_ascii_alphabetic()) && !is_full(w) => {
                i += 1;
                Some(Currency::from_str(w)?)
            }
            _ => None,
        };
        let sign = signed
            .and_then(|(_, c)| *c)
            .map(Currency::from_str)
            .transpose()?;
        let currency = match (sign, written) {
            (Some(s), Some(w)) if s != w => {
                return Err(format!("{text:?}: {s} or {w}? One currency per total"));
            }
            (s, w) => s.or(w),
        };
        let mut full = 0;
        if words.get(i) == Some(&"+") {
            let n = words.get(i + 1).and_then(|n| n.parse::<u64>().ok());
            match (n, words.get(i + 2)) {
                (Some(n), Some(w)) if n > 0 && is_full(w) => full = n,
                _ => {
                    return Err(format!(
                        "{text:?}: after `+`, how many full rows: `+ 5 full`"
                    ));
                }
            }
            i += 3;
        }
        // Only full rows, none of them read: `0 + 5 full`.
        let zero =
            full > 0 && Decimal::from_str(&amount.replace(',', ".")).is_ok_and(|d| d.is_zero());
        // A lone mark before three digits could be either: the reading refuses it.
        let lone = amount.matches(['.', ',']).count() == 1
            && amount
                .rfind(['.', ','])
                .is_some_and(|at| amount.len() - at == 4);
        let grouping = if lone {
            Grouping::Refused
        } else {
            Grouping::Any
        };
        let amount = match Requested::parse_grouped(amount, currency, grouping) {
            _ if zero => Decimal::ZERO,
            Ok(Requested::Partial(a)) => a.get(),
            Ok(Requested::Full) => {
                return Err(format!("{text:?}: a total is an amount, {example}"));
            }
            Err(e) => return Err(format!("{text:?}: {e} ({example})")),
        };
        out.push(Guard {
            amount,
            currency,
            full,
        });
    }
    if out.is_empty() {
        return Err(format!("no total: {example}"));
    }
    Ok(out)
}

/// `full`, or the word a Portuguese or Spanish speaker types for a full
/// refund (the page shows it in their language); none is a currency code.
fn is_full(word: &str) -> bool {
    [
        "full",
        "total",
        "totais",
        "totales",
        "integral",
        "integrais",
    ]
    .iter()
    .any(|w| word.eq_ignore_ascii_case(w))
}

/// Why a stated total does not hold, one currency's reason each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refused {
    pub reasons: Vec<Reason>,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let texts: Vec<String> = self.reasons.iter().map(ToString::to_string).collect();
        f.write_str(&texts.join("; "))
    }
}

impl std::error::Error for Refused {}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Reason {
    /// The total names a currency the file's rows are not in.
    OtherCurrency {
        flag: &'static str,
        guard: Guard,
        typed: Currency,
        /// The file's currencies, named.
        file: String,
        /// The file's currency is the account's (no currency column).
        assumed: bool,
    },
    /// `full` rows the total neither covers nor names apart.
    FullNotNamed {
        flag: &'static str,
        guard: Guard,
        currency: Option<Currency>,
        full: u64,
    },
    /// The money or the `full` rows named apart are not the file's: `sum`
    /// and `full` are the file's own (what an approver is never shown).
    Differs {
        flag: &'static str,
        guard: Guard,
        currency: Option<Currency>,
        sum: Result<Decimal, MoneyOverflow>,
        full: u64,
    },
    /// A total without a currency for a file of several currencies.
    NeedsCurrency {
        flag: &'static str,
        guard: Guard,
        /// The file's currencies, named.
        file: String,
    },
    /// Two totals for one currency.
    TwoTotals {
        flag: &'static str,
        currency: Option<Currency>,
    },
    /// A currency of the file that no total names.
    NoTotalFor {
        flag: &'static str,
        currency: Option<Currency>,
    },
    /// Anything else: as it reads.
    Other(String),
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reason::OtherCurrency {
                flag,
                guard,
                typed,
                file,
                assumed,
            } => {
                write!(
                    f,
                    "{flag} {guard}: the file's rows are in {file}, not {typed}"
                )?;
                if *assumed {
                    write!(
                        f,
                        " (the account's currency: the file has no currency column)"
                    )?;
                }
                Ok(())
            }
            Reason::FullNotNamed {
                flag,
                guard,
                currency,
                full,
            } => {
                let named = Guard {
                    full: *full,
                    currency: *currency,
                    ..*guard
                };
                write!(
                    f,
                    "{flag} {guard}: {full} {} row(s) ask for a full refund, whose money is not in {} \
                     (known only when sent): name them apart, e.g. {flag} {named}",
                    name(*currency),
                    fixed(*currency, guard.amount)
                )
            }
            Reason::Differs {
                flag,
                guard,
                currency,
                sum,
                full,
            } => {
                let sum = (*sum != Ok(guard.amount)).then(|| {
                    let asked = Asked {
                        sum: sum.clone(),
                        ..Asked::default()
                    };
                    format!(
                        "the file's {} amounts add up to {}",
                        name(*currency),
                        asked.sum_text(*currency)
                    )
                });
                let full = (*full != guard.full).then(|| {
                    format!(
                        "it names {} full-refund row(s) apart, the file has {full}",
                        guard.full
                    )
                });
                let wrong: Vec<String> = sum.into_iter().chain(full).collect();
                write!(f, "{flag} {guard}: {}", wrong.join(", "))
            }
            Reason::NeedsCurrency { flag, guard, file } => write!(
                f,
                "{flag} {guard}: the file has rows in {file}; give one {flag} AMOUNT:CUR per currency"
            ),
            Reason::TwoTotals { flag, currency } => {
                write!(f, "{flag}: two totals for {}", name(*currency))
            }
            Reason::NoTotalFor { flag, currency } => write!(
                f,
                "{flag}: the file has rows in {} and no total names it",
                name(*currency)
            ),
            Reason::Other(text) => f.write_str(text),
        }
    }
}

impl std::error::Error for Reason {}

impl Tally {
    /// The tally with rows of no currency counted in `assumed` (the account's
    /// currency, when known): a file without a currency column is in it.
    pub(crate) fn assuming(&self, assumed: Option<Currency>) -> Tally {
        let Some(a) = assumed else {
            return self.clone();
        };
        let mut out = Tally::default();
        for (c, t) in &self.per {
            let key = Some(c.unwrap_or(a));
            let into = out.per.entry(key).or_default();
            into.partial += t.partial;
            into.full += t.full;
            into.sum = match (&into.sum, &t.sum) {
                (Ok(x), Ok(y)) => money::add_in(*x, key, *y),
                (Err(e), _) | (_, Err(e)) => Err(e.clone()),
            };
        }
        out
    }
}

/// Which currency of the file each guard speaks of: a guard without a currency
/// fits a file of one currency only; every currency of the file needs a guard;
/// a guard naming a currency the file has no rows in is refused — unless the
/// file has rows of no currency and the account's currency is not known.
fn matched(
    tally: &Tally,
    guards: &[Guard],
    flag: &'static str,
    assumed: bool,
) -> Result<Vec<(Guard, Option<Currency>, Asked)>, Refused> {
    let refused = |r: Reason| Refused { reasons: vec![r] };
    let mut out = Vec::new();
    let mut reasons = Vec::new();
    for g in guards {
        let currency = match g.currency {
            Some(c) if tally.per.contains_key(&Some(c)) => Some(c),
            // The rows of no currency are in the account's, not known here.
            Some(_) if tally.per.contains_key(&None) => None,
            Some(c) if !tally.per.is_empty() => {
                let names: Vec<String> = tally.per.keys().map(|c| name(*c)).collect();
                reasons.push(Reason::OtherCurrency {
                    flag,
                    guard: *g,
                    typed: c,
                    file: names.join(", "),
                    assumed,
                });
                continue;
            }
            Some(c) => Some(c),
            None => match tally.per.keys().collect::<Vec<_>>().as_slice() {
                [] | [_] => tally.per.keys().next().copied().flatten(),
                many => {
                    let names: Vec<String> = many.iter().map(|c| name(**c)).collect();
                    return Err(refused(Reason::NeedsCurrency {
                        flag,
                        guard: *g,
                        file: names.join(", "),
                    }));
                }
            },
        };
        if out.iter().any(|(_, c, _)| *c == currency) {
            return Err(refused(Reason::TwoTotals { flag, currency }));
        }
        let asked = tally.per.get(&currency).cloned().unwrap_or_default();
        out.push((*g, currency, asked));
    }
    if !reasons.is_empty() {
        return Err(Refused { reasons });
    }
    if let Some(c) = tally
        .per
        .keys()
        .find(|c| !out.iter().any(|(_, m, _)| m == *c))
    {
        return Err(refused(Reason::NoTotalFor { flag, currency: *c }));
    }
    Ok(out)
}

/// Each guard's currency judged by `wrong` (a reason, or `None` when it holds);
/// every reason when one does not hold. `assumed`: the account's currency,
/// which rows of no currency are in, when known.
fn check(
    tally: &Tally,
    guards: &[Guard],
    assumed: Option<Currency>,
    flag: &'static str,
    wrong: impl Fn(&Guard, Option<Currency>, &Asked) -> Option<Reason>,
) -> Result<(), Refused> {
    let tally = tally.assuming(assumed);
    let reasons: Vec<Reason> = matched(&tally, guards, flag, assumed.is_some())?
        .iter()
        .filter_map(|(g, currency, asked)| wrong(g, *currency, asked))
        .collect();
    if reasons.is_empty() {
        Ok(())
    } else {
        Err(Refused { reasons })
    }
}

/// `--expect-total`, and the console's typed totals: each currency's money is
/// exactly the one given, and its `full` rows — whose money is not in the tally —
/// are exactly the ones named apart (`+Nfull`): a `full` row is never silently
/// outside a total. The console's tally has the full rows it read back in its
/// sums (see `console::covered`), so only the unread ones are named apart there.
pub(crate) fn check_expected(
    tally: &Tally,
    guards: &[Guard],
    assumed: Option<Currency>,
) -> Result<(), Refused> {
    let flag = "--expect-total";
    check(tally, guards, assumed, flag, |g, currency, asked| {
        if asked.full > 0 && g.full == 0 {
            return Some(Reason::FullNotNamed {
                flag,
                guard: *g,
                currency,
                full: asked.full,
            });
        }
        (asked.sum != Ok(g.amount) || asked.full != g.full).then(|| Reason::Differs {
            flag,
            guard: *g,
            currency,
            sum: asked.sum.clone(),
            full: asked.full,
        })
    })
}

/// `--max-total`: no currency's sum above its cap; a `full` row, whose amount is
/// not known before it is sent, cannot be capped and is refused.
pub(crate) fn check_max(
    tally: &Tally,
    guards: &[Guard],
    assumed: Option<Currency>,
) -> Result<(), Refused> {
    let flag = "--max-total";
    check(tally, guards, assumed, flag, |g, currency, asked| {
        if asked.full > 0 || g.full > 0 {
            Some(Reason::Other(format!(
                "--max-total {g}: {} {} row(s) ask for a full refund, whose amount is not known before sending, so no cap can hold it; write the amounts",
                asked.full,
                name(currency)
            )))
        } else if asked.sum.as_ref().is_ok_and(|s| *s <= g.amount) {
            None
        } else {
            Some(Reason::Other(format!(
                "--max-total {g}: the file's {} amounts add up to {}, above the cap",
                name(currency),
                asked.sum_text(currency)
            )))
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

    fn expected(t: &Tally, g: &[&str], assumed: Option<&str>) -> Result<(), String> {
        let assumed = assumed.map(|c| c.parse().unwrap());
        check_expected(t, &guards(g), assumed).map_err(|e| e.to_string())
    }

    fn max(t: &Tally, g: &[&str]) -> Result<(), String> {
        check_max(t, &guards(g), None).map_err(|e| e.to_string())
    }

    #[test]
    fn guards_parse_with_or_without_a_currency() {
        assert_eq!(
            "1234.5:BRL".parse::<Guard>().unwrap(),
            Guard {
                amount: Decimal::new(12345, 1),
                currency: Some(Currency::BRL),
                full: 0,
            }
        );
        assert_eq!("1234,50".parse::<Guard>().unwrap().to_string(), "1234.50");
        assert!("full".parse::<Guard>().is_err());
        assert!("-1".parse::<Guard>().is_err());
        assert!("10:XXX".parse::<Guard>().is_err());
        assert!("1.5:CLP".parse::<Guard>().is_err());
        assert!("1 2".parse::<Guard>().is_err(), "one guard at a time");
    }

    /// Full rows named apart, as people type them, read back as stored.
    #[test]
    fn totals_name_full_rows_apart_however_typed() {
        let shown = |t: &str| -> Vec<String> {
            typed(t).unwrap().iter().map(ToString::to_string).collect()
        };
        assert_eq!(shown("1.00:BRL+5full"), ["1.00:BRL+5full"]);
        assert_eq!(shown("1.00 BRL + 5 full"), ["1.00:BRL+5full"]);
        assert_eq!(shown("1,00 brl +5 FULL"), ["1.00:BRL+5full"]);
        assert_eq!(shown("1 + 2 full"), ["1.00+2full"]);
        assert_eq!(shown("0 + 2 full"), ["0.00+2full"]);
        assert_eq!(shown("10.50:BRL 1500 CLP"), ["10.50:BRL", "1500:CLP"]);
        assert_eq!(
            shown("3.75:BRL+1full\n1500:CLP"),
            ["3.75:BRL+1full", "1500:CLP"]
        );
        for bad in [
            "",
            "0",
            "1 +",
            "1 + full",
            "1 + 0 full",
            "1 + 2 fulls",
            "full",
            "1:USDX",
        ] {
            assert!(typed(bad).is_err(), "{bad:?}");
        }
        // A stored guard reads back as itself.
        let g: Guard = "1.00:BRL+5full".parse().unwrap();
        assert_eq!(g.full, 5);
        assert_eq!(g.to_string().parse::<Guard>().unwrap(), g);
    }

    /// Totals as people type them: a currency sign before, thousands grouped
    /// (the last mark of two is the decimal one), the code after.
    #[test]
    fn totals_read_as_people_type_them() {
        let shown = |t: &str| -> Vec<String> {
            typed(t)
                .unwrap_or_else(|e| panic!("{t:?}: {e}"))
                .iter()
                .map(ToString::to_string)
                .collect()
        };
        assert_eq!(shown("R$ 5.855,60"), ["5855.60:BRL"]);
        assert_eq!(shown("R$5.855,60"), ["5855.60:BRL"]);
        assert_eq!(shown("5.855,60"), ["5855.60"]);
        assert_eq!(shown("5855,60"), ["5855.60"]);
        assert_eq!(shown("5,855.60 BRL"), ["5855.60:BRL"]);
        assert_eq!(shown("US$ 1,234.56"), ["1234.56:USD"]);
        assert_eq!(shown("$ 1.234.567"), ["1234567.00"]);
        assert_eq!(shown("R$ 1.000,00 + 2 full"), ["1000.00:BRL+2full"]);
        assert_eq!(
            shown("R$ 10,50\n$ 1.500.000 CLP"),
            ["10.50:BRL", "1500000:CLP"]
        );
        assert_eq!(shown("5855.60:BRL"), ["5855.60:BRL"]);
        // A lone group of three is a guess either way: refused.
        for bad in ["5.855", "R$ 5,855", "R$ 1.23,4", "R$ 10 USD", "R$", "€ 10"] {
            assert!(typed(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn expected_totals_must_match_every_currency() {
        let one = tally(&[("10.50", None), ("20", None)]);
        assert!(expected(&one, &["30.5"], None).is_ok());
        let e = expected(&one, &["30.51"], None).unwrap_err();
        assert!(e.contains("add up to 30.50"), "{e}");
        // A file with no currency column takes a guard that names one, unless
        // the account's currency is known and is another.
        assert!(expected(&one, &["30.50:BRL"], None).is_ok());
        assert!(expected(&one, &["30.50:BRL"], Some("BRL")).is_ok());
        assert!(expected(&one, &["30.50"], Some("BRL")).is_ok());
        let e = check_expected(&one, &guards(&["30.50:USD"]), Some(Currency::BRL)).unwrap_err();
        assert!(
            matches!(
                e.reasons.as_slice(),
                [Reason::OtherCurrency { assumed: true, .. }]
            ),
            "{e:?}"
        );
        assert!(e.to_string().contains("rows are in BRL, not USD"), "{e}");

        let two = tally(&[
            ("10", Some("BRL")),
            ("1500", Some("CLP")),
            ("full", Some("BRL")),
        ]);
        let e = expected(&two, &["10"], None).unwrap_err();
        assert!(e.contains("per currency"), "{e}");
        let e = expected(&two, &["10:BRL+1full"], None).unwrap_err();
        assert!(e.contains("CLP and no total names it"), "{e}");
        assert!(expected(&two, &["10:BRL+1full", "1500:CLP"], None).is_ok());
        let e = expected(&two, &["11:BRL+1full", "1500:CLP"], None).unwrap_err();
        assert!(e.contains("BRL amounts add up to 10.00"), "{e}");
        let e = expected(&two, &["10:BRL+2full", "1500:CLP"], None).unwrap_err();
        assert!(
            e.contains("names 2 full-refund row(s) apart, the file has 1"),
            "{e}"
        );
        let e = expected(&two, &["10:BRL+1full", "1500:CLP", "1:USD"], None).unwrap_err();
        assert!(e.contains("rows are in BRL, CLP, not USD"), "{e}");
    }

    /// 1.00 and five `full` rows: a total of 1.00 does not cover them.
    #[test]
    fn full_rows_are_never_silently_outside_an_expected_total() {
        let t = tally(&[
            ("1.00", None),
            ("full", None),
            ("full", None),
            ("full", None),
            ("full", None),
            ("full", None),
        ]);
        let e = check_expected(&t, &guards(&["1.00"]), None).unwrap_err();
        assert!(
            matches!(e.reasons.as_slice(), [Reason::FullNotNamed { full: 5, .. }]),
            "{e:?}"
        );
        assert!(
            e.to_string().contains("e.g. --expect-total 1.00+5full"),
            "{e}"
        );
        assert!(check_expected(&t, &guards(&["1.00+5full"]), None).is_ok());
        let e = expected(&t, &["1.00:BRL"], Some("BRL")).unwrap_err();
        assert!(e.contains("e.g. --expect-total 1.00:BRL+5full"), "{e}");
        assert!(expected(&t, &["1.00:BRL+5full"], Some("BRL")).is_ok());
    }

    #[test]
    fn a_cap_holds_partials_and_refuses_full_rows() {
        let one = tally(&[("10.50", Some("BRL")), ("20", Some("BRL"))]);
        assert!(max(&one, &["30.50"]).is_ok());
        assert!(max(&one, &["100:BRL"]).is_ok());
        let e = max(&one, &["30.49:BRL"]).unwrap_err();
        assert!(e.contains("above the cap"), "{e}");
        let e = max(&one, &["100:USD"]).unwrap_err();
        assert!(e.contains("not USD"), "{e}");
        let full = tally(&[("full", Some("BRL"))]);
        let e = max(&full, &["1000000"]).unwrap_err();
        assert!(e.contains("full refund"), "{e}");
        assert!(max(&full, &["1000000+1full"]).is_err());
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
        assert!(max(&t, &["1"]).is_err());
    }
}
