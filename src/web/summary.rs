//! A sent batch explains itself: its rows in four parts that add up to all of
//! them — refunded (settled or settling), failed, in doubt (a request may have
//! refunded, its answer never came), not sent (bad lines, rows held back,
//! rows still to send) — each with its money per currency, labelled; and each
//! cause its rows carry, with what it means and what to do next, in the
//! page's language. The batch page and the results page show it.
//!
//! Invariants: the parts are read from the ledger in one look, so they add up
//! to the batch's rows; money is summed as `Decimal`, a refunded row by what
//! it refunded (a `full` row's amount once known), any other by what it asked,
//! the `full` rows with no amount counted apart.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::app::Shared;
use super::i18n::{M, Words};
use crate::domain::money::{self, MoneyOverflow};
use crate::domain::{CauseCode, Currency, Outcome, Requested};
use crate::store::ledger::Ledger;

/// The four parts a sent batch's rows fall in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, strum::EnumIter)]
pub(crate) enum Part {
    Refunded,
    Failed,
    InDoubt,
    NotSent,
}

impl Part {
    pub(crate) fn of(o: Outcome) -> Part {
        match o {
            Outcome::Refunded | Outcome::InProcess => Part::Refunded,
            Outcome::Failed => Part::Failed,
            Outcome::Unknown => Part::InDoubt,
            Outcome::Invalid | Outcome::Pending => Part::NotSent,
        }
    }

    /// As the page's `data-part` names it.
    pub(crate) fn key(self) -> &'static str {
        match self {
            Part::Refunded => "refunded",
            Part::Failed => "failed",
            Part::InDoubt => "in-doubt",
            Part::NotSent => "not-sent",
        }
    }

    fn label(self) -> M {
        match self {
            Part::Refunded => M::SumRefunded,
            Part::Failed => M::SumFailed,
            Part::InDoubt => M::SumInDoubt,
            Part::NotSent => M::SumNotSent,
        }
    }

    fn meaning(self) -> M {
        match self {
            Part::Refunded => M::SumRefundedWhat,
            Part::Failed => M::SumFailedWhat,
            Part::InDoubt => M::SumInDoubtWhat,
            Part::NotSent => M::SumNotSentWhat,
        }
    }
}

/// One currency's money in a part: the amounts' sum, and the `full` rows
/// whose amount is not known.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Money {
    pub sum: Result<Decimal, MoneyOverflow>,
    pub amounts: u64,
    pub full: u64,
}

impl Default for Money {
    fn default() -> Self {
        Money {
            sum: Ok(Decimal::ZERO),
            amounts: 0,
            full: 0,
        }
    }
}

/// A sent batch's rows and money per part, and its causes, as the ledger has
/// them: data, no words.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Read {
    pub rows: BTreeMap<Part, u64>,
    pub money: BTreeMap<Part, BTreeMap<Option<Currency>, Money>>,
    pub causes: BTreeMap<String, u64>,
}

impl Read {
    /// One look at `batch` in `ledger` (a transaction's worth: the parts add up).
    pub(crate) fn of(ledger: &Ledger, batch: &str) -> anyhow::Result<Read> {
        let mut read = Read::default();
        for (o, n) in ledger.outcome_counts(batch)? {
            *read.rows.entry(Part::of(o)).or_default() += n;
        }
        ledger.for_each_outcome_ask(batch, |o, currency, asked, refunded| {
            read.add(Part::of(o), currency, asked, refunded);
        })?;
        read.causes = ledger.cause_counts(batch)?;
        Ok(read)
    }

    /// A row's money: what it refunded when it did, else what it asked.
    fn add(
        &mut self,
        part: Part,
        currency: Option<Currency>,
        asked: Requested,
        refunded: Option<Decimal>,
    ) {
        let m = self
            .money
            .entry(part)
            .or_default()
            .entry(currency)
            .or_default();
        let amount = match (part, asked, refunded) {
            (Part::Refunded, _, Some(r)) => Some(r),
            (_, Requested::Partial(a), _) => Some(a.get()),
            (_, Requested::Full, _) => None,
        };
        match amount {
            Some(a) => {
                m.amounts += 1;
                if let Ok(sum) = m.sum {
                    m.sum = money::add_in(sum, currency, a);
                }
            }
            None => m.full += 1,
        }
    }

    pub(crate) fn total(&self) -> u64 {
        self.rows.values().sum()
    }
}

/// A part as the page shows it.
pub(crate) struct PartShown {
    pub key: &'static str,
    pub label: &'static str,
    pub meaning: &'static str,
    pub rows: String,
    /// Per currency: `R$ 5.705,67`, `R$ 10,00 + 2 totais`; empty: no money.
    pub money: Vec<String>,
}

/// A cause as the page shows it.
pub(crate) struct CauseShown {
    pub code: String,
    pub rows: String,
    pub meaning: String,
    pub next: String,
}

/// The summary of a sent batch in the page's words.
pub(crate) struct Summary {
    pub parts: Vec<PartShown>,
    /// Some money is of no currency named (the file names none, the
    /// account's is not known): shown bare, said once beneath.
    pub unnamed: bool,
    pub total: String,
    pub causes: Vec<CauseShown>,
}

impl Summary {
    /// `account`: the account's currency, which rows of a file that names
    /// none are in.
    pub(crate) fn of(read: &Read, w: Words, account: Option<Currency>) -> Summary {
        use strum::IntoEnumIterator;
        let parts = Part::iter()
            .map(|p| PartShown {
                key: p.key(),
                label: w.t(p.label()),
                meaning: w.t(p.meaning()),
                rows: w.count(read.rows.get(&p).copied().unwrap_or(0)),
                money: read
                    .money
                    .get(&p)
                    .map(|per| {
                        per.iter()
                            .map(|(c, m)| shown(w, c.or(account), m))
                            .collect()
                    })
                    .unwrap_or_default(),
            })
            .collect();
        let mut causes: Vec<(&String, &u64)> = read.causes.iter().collect();
        // The most rows first; a tie by code, so the page reads the same twice.
        causes.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let causes = causes
            .into_iter()
            .map(|(code, n)| {
                let explained = super::i18n::cause(w.lang, &CauseCode::parse(code));
                let (meaning, next) = match explained {
                    Some((what, next)) => (what.to_owned(), next.to_owned()),
                    None => (w.t(M::SumCauseUnknown).to_owned(), String::new()),
                };
                CauseShown {
                    code: code.clone(),
                    rows: w.count(*n),
                    meaning,
                    next,
                }
            })
            .collect();
        let unnamed = account.is_none()
            && read
                .money
                .values()
                .any(|per| per.iter().any(|(c, m)| c.is_none() && m.amounts > 0));
        Summary {
            parts,
            unnamed,
            total: w.count(read.total()),
            causes,
        }
    }
}

/// One currency's money in the page's words, the `full` rows of no known
/// amount counted apart. Of no currency known: the number alone, as the
/// progress shows it (the page says once whose currency it is).
fn shown(w: Words, currency: Option<Currency>, m: &Money) -> String {
    let mut out = match &m.sum {
        Ok(_) if m.amounts == 0 => String::new(),
        Ok(sum) => w.amount(currency, *sum),
        Err(_) => format!(
            "{} {}",
            w.t(M::SumTooLarge),
            crate::domain::totals::name(currency)
        ),
    };
    if m.full > 0 {
        if !out.is_empty() {
            out.push_str(" + ");
        }
        out.push_str(&format!("{} {}", w.count(m.full), w.t(M::ProgressFull)));
    }
    out
}

/// The summary of ledger batch `batch`, read on a blocking thread.
pub(crate) async fn of(app: &Shared, batch: &str, w: Words) -> anyhow::Result<Summary> {
    let account = app.covers.account(&app.state);
    let (path, batch) = (app.state.clone(), batch.to_owned());
    let read = tokio::task::spawn_blocking(move || {
        let ledger = Ledger::open(&path)?;
        Read::of(&ledger, &batch)
    })
    .await??;
    Ok(Summary::of(&read, w, account))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::i18n::Lang;

    fn d(t: &str) -> Decimal {
        t.parse().unwrap()
    }

    fn partial(t: &str) -> Requested {
        Requested::from_canonical(t).unwrap()
    }

    /// Every outcome falls in one part, and the parts add up.
    #[test]
    fn every_row_falls_in_one_part_and_the_parts_add_up() {
        use strum::IntoEnumIterator;
        let mut read = Read::default();
        for (i, o) in Outcome::iter().enumerate() {
            *read.rows.entry(Part::of(o)).or_default() += i as u64 + 1;
        }
        let n = Outcome::iter().count() as u64;
        assert_eq!(read.total(), n * (n + 1) / 2);
        assert_eq!(Part::of(Outcome::InProcess), Part::Refunded);
        assert_eq!(Part::of(Outcome::Unknown), Part::InDoubt);
        assert_eq!(Part::of(Outcome::Invalid), Part::NotSent);
        assert_eq!(Part::of(Outcome::Pending), Part::NotSent);
    }

    /// Money per part and currency in the page's locale: a refunded `full`
    /// row by what it refunded, an unsent one counted apart.
    #[test]
    fn money_is_labelled_per_part_and_currency_in_the_locale() {
        let brl = Some(Currency::BRL);
        let mut read = Read::default();
        read.add(Part::Refunded, brl, partial("5000.00"), Some(d("5000.00")));
        read.add(Part::Refunded, brl, Requested::Full, Some(d("705.67")));
        read.add(Part::Failed, brl, partial("62.71"), None);
        read.add(Part::NotSent, brl, Requested::Full, None);
        read.add(Part::NotSent, brl, partial("1.5"), None);
        read.rows = [(Part::Refunded, 2), (Part::Failed, 1), (Part::NotSent, 2)]
            .into_iter()
            .collect();
        read.causes = [("2063".to_owned(), 1), ("zzz_new".to_owned(), 1)]
            .into_iter()
            .collect();
        let s = Summary::of(&read, Words::utc(Lang::PtBr), None);
        let part = |key: &str| s.parts.iter().find(|p| p.key == key).unwrap();
        assert_eq!(part("refunded").money, ["R$ 5.705,67"]);
        assert_eq!(part("refunded").rows, "2");
        assert_eq!(part("failed").money, ["R$ 62,71"]);
        assert!(part("in-doubt").money.is_empty());
        assert_eq!(part("in-doubt").rows, "0");
        assert_eq!(part("not-sent").money, ["R$ 1,50 + 1 totais"]);
        assert_eq!(s.total, "5");
        assert_eq!(s.parts.len(), 4);
        let c = &s.causes[0];
        assert_eq!(c.code, "2063");
        assert!(
            c.meaning.starts_with("a situação do pagamento"),
            "{}",
            c.meaning
        );
        assert!(!c.next.is_empty());
        assert_eq!(
            s.causes[1].meaning,
            Words::utc(Lang::PtBr).t(M::SumCauseUnknown)
        );
        // A file that names no currency is in the account's.
        let mut none = Read::default();
        none.add(Part::Failed, None, partial("62.71"), None);
        let s = Summary::of(&none, Words::utc(Lang::Es), Some(Currency::BRL));
        assert_eq!(s.parts[1].money, ["R$ 62,71"]);
        assert!(!s.unnamed);
        // Neither named it: the number alone, and the page says so once.
        let s = Summary::of(&none, Words::utc(Lang::Es), None);
        assert_eq!(s.parts[1].money, ["62,71"]);
        assert!(s.unnamed);
    }
}
