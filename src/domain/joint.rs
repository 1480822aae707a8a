//! The refunds one request made, as the row that sent it records them. A full
//! refund of an order with several payment transactions is one request that
//! Mercado Pago answers with one refund per transaction
//! (`transactions.refunds[]`, each with its own `REF…` id, transaction and
//! amount); the row's refund is that set, never one of its parts.
//!
//! Representation: one reference, the parts' ids joined by `+` in the order
//! Mercado Pago lists them (an id alone is its own reference, so a payment's
//! refund and an order's single one read exactly as before); one amount, the
//! parts' exact sum ([`rust_decimal`], checked); one status, theirs together.
//! It fits the state file's, the results file's and the console's one refund
//! per row as it stands; whatever compares a row with Mercado Pago's books
//! (reconcile, the read-backs of rows in doubt, the refunds the state file
//! knows) splits the reference back into its parts with [`ids`].
//!
//! Invariants: no Mercado Pago refund id holds a `+` (payments' are numbers,
//! orders' `REF` and letters and digits); an amount the set cannot name (a
//! part that moved money without one, a sum past what a `Decimal` holds) is
//! none, never a partial sum.

use rust_decimal::Decimal;

use crate::domain::RefundStatus;

/// What joins the parts' ids in a reference.
const JOIN: char = '+';

/// The ids a refund reference holds: one for a refund alone, each part's for
/// refunds one request made together.
pub(crate) fn ids(reference: &str) -> impl Iterator<Item = &str> {
    reference.split(JOIN)
}

/// One part of a set, as the API described it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Part<'a> {
    pub id: &'a str,
    /// `None`: the API named no status.
    pub status: Option<&'a RefundStatus>,
    pub amount: Option<Decimal>,
}

/// Refunds one request made, read as one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Together {
    /// Every part's id, in the order given, joined.
    pub reference: String,
    /// `None` when a part has none: nobody can say what the set did.
    pub status: Option<RefundStatus>,
    pub amount: Option<Decimal>,
}

impl Together {
    /// The set of `parts` (in the order Mercado Pago lists them); `None` for
    /// no parts.
    ///
    /// Its status: a status the tool does not know, if a part has one (nobody
    /// can say whether that money moved); else still in process while a part
    /// is; else made when a part was; else (every part moved no money) the
    /// first's. Its amount: the sum of the parts that moved money or may
    /// still; when none did, the sum of them all — what was asked, which the
    /// status says did not move (a single refund's amount, whatever its
    /// status, as the API names it).
    pub(crate) fn of<'a>(parts: impl IntoIterator<Item = Part<'a>>) -> Option<Together> {
        let parts: Vec<Part<'a>> = parts.into_iter().collect();
        if parts.is_empty() {
            return None;
        }
        let reference = parts
            .iter()
            .map(|p| p.id)
            .collect::<Vec<_>>()
            .join(&JOIN.to_string());
        let statuses: Option<Vec<&RefundStatus>> = parts.iter().map(|p| p.status).collect();
        let status = statuses.map(|all| {
            let pick = |f: fn(&RefundStatus) -> bool| all.iter().find(|s| f(s)).copied();
            pick(|s| !s.is_known())
                .or_else(|| pick(RefundStatus::in_process))
                .or_else(|| pick(RefundStatus::is_made))
                .unwrap_or(all[0])
                .clone()
        });
        let moved: Vec<&Part<'_>> = parts
            .iter()
            .filter(|p| !p.status.is_some_and(RefundStatus::moved_no_money))
            .collect();
        let counted = if moved.is_empty() {
            parts.iter().collect()
        } else {
            moved
        };
        let amount = counted.iter().try_fold(Decimal::ZERO, |sum, p| {
            p.amount.and_then(|a| sum.checked_add(a))
        });
        Some(Together {
            reference,
            status,
            amount,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn part<'a>(id: &'a str, status: &'a RefundStatus, amount: &str) -> Part<'a> {
        Part {
            id,
            status: Some(status),
            amount: Some(dec(amount)),
        }
    }

    #[test]
    fn one_refund_is_itself() {
        let failed = RefundStatus::Failed;
        let t = Together::of([part("REF1", &failed, "10.00")]).unwrap();
        assert_eq!(t.reference, "REF1");
        assert_eq!(t.status, Some(RefundStatus::Failed));
        assert_eq!(t.amount, Some(dec("10.00")), "a single refund's own amount");
        assert_eq!(ids("REF1").collect::<Vec<_>>(), ["REF1"]);
        assert_eq!(ids("1234567").collect::<Vec<_>>(), ["1234567"]);
        assert!(Together::of([]).is_none());
    }

    #[test]
    fn a_set_is_every_id_and_the_exact_sum() {
        let made = RefundStatus::Processed;
        let t = Together::of([
            part("REF1", &made, "33.33"),
            part("REF2", &made, "33.33"),
            part("REF3", &made, "33.34"),
        ])
        .unwrap();
        assert_eq!(t.reference, "REF1+REF2+REF3");
        assert_eq!(
            ids(&t.reference).collect::<Vec<_>>(),
            ["REF1", "REF2", "REF3"]
        );
        assert_eq!(t.amount, Some(dec("100.00")));
        assert_eq!(t.status, Some(RefundStatus::Processed));
    }

    #[test]
    fn the_sets_status_is_its_least_settled_parts() {
        let (made, going, failed) = (
            RefundStatus::Processed,
            RefundStatus::Processing,
            RefundStatus::Failed,
        );
        let odd = RefundStatus::Other("done".into());
        let of = |parts: Vec<Part<'_>>| Together::of(parts).unwrap();
        let t = of(vec![part("A", &made, "50"), part("B", &going, "50")]);
        assert_eq!(
            (t.status, t.amount),
            (Some(RefundStatus::Processing), Some(dec("100")))
        );
        // Money moved on one part only: the set refunded that much.
        let t = of(vec![part("A", &failed, "50"), part("B", &made, "40")]);
        assert_eq!(
            (t.status, t.amount),
            (Some(RefundStatus::Processed), Some(dec("40")))
        );
        // None moved: the set failed, for what it asked.
        let t = of(vec![part("A", &failed, "50"), part("B", &failed, "50")]);
        assert_eq!(
            (t.status, t.amount),
            (Some(RefundStatus::Failed), Some(dec("100")))
        );
        let t = of(vec![part("A", &made, "50"), part("B", &odd, "50")]);
        assert_eq!(t.status, Some(odd.clone()));
        let unsaid = Part {
            id: "B",
            status: None,
            amount: Some(dec("1")),
        };
        assert_eq!(of(vec![part("A", &made, "1"), unsaid]).status, None);
    }

    #[test]
    fn an_amount_the_set_cannot_name_is_none() {
        let made = RefundStatus::Processed;
        let silent = Part {
            id: "B",
            status: Some(&made),
            amount: None,
        };
        assert_eq!(
            Together::of([part("A", &made, "1"), silent])
                .unwrap()
                .amount,
            None
        );
        let huge = Part {
            id: "B",
            status: Some(&made),
            amount: Some(Decimal::MAX),
        };
        assert_eq!(
            Together::of([part("A", &made, "1"), huge]).unwrap().amount,
            None
        );
    }
}
