//! Settling rows in doubt: a row whose request may have reached Mercado Pago,
//! with no answer carrying the refund, may have refunded — and stays so until a
//! read-back of its payment (or order) says otherwise. This module decides, from
//! what a `GET /v1/payments/{id}` or `GET /v1/orders/{id}` lists, what each
//! such row did ([`settle`], pure, its clock injected), and reads the payments
//! and orders back through the one send loop ([`read_back`]) for `run` and
//! `reconcile`.
//!
//! Invariants: a refund is given to at most one row (a row's may be a set,
//! `crate::domain::joint`: each of its refunds is then that row's), and never
//! one the state file already holds for another row; a refund made before a
//! row's first request (beyond the clocks' slack) is not the row's; an
//! order's refund is a row's only on the transaction the row names, when it
//! names one; "not refunded" is said only of a payment (or order) read at
//! least `settle_after` after the row's last attempt — earlier, Mercado Pago
//! may still be processing it, and the row stays in doubt; one that could not
//! be read settles nothing. An order's refunds carry no date: a refund of the
//! row's amount made by hand before the row's request is not told from the
//! row's (a full refund of a whole order takes the newest ones).

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use crate::api::client::{Client, MpRefund};
use crate::domain::settings::Sending;
use crate::domain::{Books, Requested, Target};
use crate::engine::lookup::{self, Listed, Lookup};
use crate::engine::send::{Stop, StopReason};
use crate::store::ledger::{DoubtRow, Ledger, Verdict};

/// Clocks differ (ours, Mercado Pago's): a refund dated up to this long before
/// a row's first request may still be the row's.
const CLOCK_SLACK_MS: i64 = 10 * 60 * 1000;

/// What a read-back did to the rows in doubt it was given.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Settled {
    pub refunded: u64,
    pub not_refunded: u64,
    /// Too recent to say, or the payment could not be read: still in doubt.
    pub still_in_doubt: u64,
}

/// Decides the rows in doubt of one payment (or order), `books`, against the
/// refunds Mercado Pago lists for it. `taken`: refund ids the state file holds
/// for rows (never another row's); `now_ms`: when it was read. Rows go in the
/// order given (first exposed first), each taking the first free refund of its
/// amount (any amount for a full refund) made after its first request — an
/// order's, on the transaction the row names; a full refund of a whole order
/// takes the refunds its one request made together ([`made_together`]), as one.
pub(crate) fn settle(
    rows: &[DoubtRow],
    books: Books,
    refunds: &[MpRefund],
    taken: &HashSet<String>,
    now_ms: i64,
    settle_after: Duration,
) -> Vec<Option<Verdict>> {
    let mut given: HashSet<&str> = HashSet::new();
    // A key's verdict: rows of several batches with one key are one request.
    let mut by_key: Vec<(&[u8], Verdict)> = Vec::new();
    let settle_after_ms = i64::try_from(settle_after.as_millis()).unwrap_or(i64::MAX);
    rows.iter()
        .map(|row| {
            if let Some((_, v)) = by_key.iter().find(|(k, v)| {
                !row.key.is_empty()
                    && *k == row.key.as_slice()
                    && matches!(v, Verdict::Refunded { .. })
            }) {
                return Some(v.clone());
            }
            // Its own refund first (an answer of its request carried it), else
            // its key's: another batch's row with this key was the same request.
            let same = row
                .same_key_refund
                .as_deref()
                .and_then(|reference| MpRefund::named(refunds, reference));
            let free = |m: &MpRefund| {
                !taken.contains(&m.id)
                    && !given.contains(m.id.as_str())
                    && on_its_transaction(m, &row.target)
                    && made_after(m, row.exposed_at_ms)
            };
            let found = same.or_else(|| match (&row.target, row.requested) {
                (Target::Order(o), Requested::Full) if o.transaction.is_none() => {
                    made_together(refunds, free)
                }
                (_, requested) => refunds
                    .iter()
                    .find(|m| {
                        free(m)
                            && match requested {
                                Requested::Partial(a) => m.amount == Some(a.get()),
                                Requested::Full => true,
                            }
                    })
                    .map(|m| vec![m]),
            });
            match found.as_deref().and_then(MpRefund::together) {
                Some(m) => {
                    given.extend(found.iter().flatten().copied().map(|p| p.id.as_str()));
                    let v = Verdict::Refunded {
                        refund_id: m.id,
                        status: m
                            .status
                            .unwrap_or(crate::domain::RefundStatus::Other(String::new())),
                        amount: m.amount,
                        books,
                    };
                    by_key.push((&row.key, v.clone()));
                    Some(v)
                }
                None if now_ms.saturating_sub(row.last_at_ms) >= settle_after_ms => {
                    Some(Verdict::NotRefunded { books })
                }
                None => None,
            }
        })
        .collect()
}

/// What a full refund of a whole order made, among `refunds` (oldest first):
/// one refund per transaction with something left, appended together — the
/// newest refund and those just before it on the order's other transactions,
/// when they are free. The newest, not the first: an order's refunds carry no
/// date, and a refund made by hand before the request would otherwise pass
/// for its own. When the newest is another row's, that row's request came
/// last: had this one made its refunds, nothing would have been left to it.
fn made_together(refunds: &[MpRefund], free: impl Fn(&MpRefund) -> bool) -> Option<Vec<&MpRefund>> {
    let mut newest_first = refunds.iter().rev();
    let mut made = vec![newest_first.next().filter(|m| free(m))?];
    for m in newest_first {
        if !free(m) || made.iter().any(|p| p.transaction_id == m.transaction_id) {
            break;
        }
        made.push(m);
    }
    made.reverse();
    Some(made)
}

/// An order's refund on another transaction than the row names is not the row's.
fn on_its_transaction(m: &MpRefund, target: &Target) -> bool {
    match (target, &m.transaction_id) {
        (Target::Order(o), Some(t)) => o.transaction.as_ref().is_none_or(|own| own.as_str() == t),
        _ => true,
    }
}

/// A refund made before the row's first request is not the row's; one without
/// a readable date, or a row whose first request time is not known (written by
/// an older version), is judged on payment and amount alone.
fn made_after(m: &MpRefund, exposed_ms: Option<i64>) -> bool {
    match (
        exposed_ms,
        m.date_created
            .as_deref()
            .and_then(crate::domain::clock::parse_rfc3339),
    ) {
        (Some(exposed), Some(made)) => made >= exposed - CLOCK_SLACK_MS,
        _ => true,
    }
}

/// Reads back the payments and orders of `rows` (an advanced payment's
/// refunds are listed nowhere the tool reads: its rows stay in doubt), decides
/// each row and writes the verdicts. Returns the figures and why reading
/// stopped early.
pub(crate) async fn read_back(
    ledger: &mut Ledger,
    client: Client,
    sending: &Sending,
    rows: Vec<DoubtRow>,
    stop: Stop,
) -> anyhow::Result<(Settled, Option<StopReason>)> {
    let ids: Vec<Books> = rows
        .iter()
        .filter_map(|r| Books::of(&r.target))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let (found, stopped) = lookup::read(client, ids, sending, stop).await;
    let read = refunds_read(&found);
    let verdicts = decide(
        rows,
        &read,
        &ledger.known_refund_ids()?,
        crate::domain::clock::now_ms(),
        sending.settle_after,
    );
    let mut figures = Settled::default();
    for (_, v) in &verdicts {
        match v {
            Some(Verdict::Refunded { .. }) => figures.refunded += 1,
            Some(Verdict::NotRefunded { .. }) => figures.not_refunded += 1,
            None => figures.still_in_doubt += 1,
        }
    }
    let settled: Vec<(DoubtRow, Verdict)> = verdicts
        .into_iter()
        .filter_map(|(row, v)| Some((row, v?)))
        .collect();
    ledger.settle_doubt(&settled)?;
    Ok((figures, stopped))
}

/// The refunds of every payment and order read whole (found, its refunds
/// listed): what [`decide`] judges by.
pub(crate) fn refunds_read(found: &HashMap<Books, Lookup<Listed>>) -> HashMap<Books, &[MpRefund]> {
    found
        .iter()
        .filter_map(|(id, l)| match l {
            Lookup::Found(p) => Some((*id, p.refunds.as_deref()?)),
            _ => None,
        })
        .collect()
}

/// [`settle`] over every payment and order read; rows of one not read stay in
/// doubt.
pub(crate) fn decide(
    rows: Vec<DoubtRow>,
    read: &HashMap<Books, &[MpRefund]>,
    taken: &HashSet<String>,
    now_ms: i64,
    settle_after: Duration,
) -> Vec<(DoubtRow, Option<Verdict>)> {
    let mut groups: Vec<(Option<Books>, Vec<DoubtRow>)> = Vec::new();
    for row in rows {
        let books = Books::of(&row.target);
        match groups.last_mut() {
            Some((b, group)) if *b == books && group[0].target.kind() == row.target.kind() => {
                group.push(row);
            }
            _ => groups.push((books, vec![row])),
        }
    }
    let mut out = Vec::new();
    for (books, group) in groups {
        let verdicts = match books.and_then(|b| Some((b, read.get(&b)?))) {
            Some((b, refunds)) => settle(&group, b, refunds, taken, now_ms, settle_after),
            None => vec![None; group.len()],
        };
        out.extend(group.into_iter().zip(verdicts));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Amount, PaymentId, RefundStatus};
    use rust_decimal::Decimal;

    const MIN: i64 = 60_000;
    const T0: i64 = 1_800_000_000_000;

    fn row(n: u64, requested: Option<i64>, exposed: i64, last: i64) -> DoubtRow {
        DoubtRow {
            batch_id: "b".into(),
            row_no: n,
            target: Target::Payment(PaymentId::new(1001).unwrap()),
            requested: requested.map_or(Requested::Full, |c| {
                Requested::Partial(Amount::new(Decimal::new(c, 2)).unwrap())
            }),
            key: format!("k{n}").into_bytes(),
            exposed_at_ms: Some(exposed),
            last_at_ms: last,
            same_key_refund: None,
        }
    }

    fn refund(id: &str, cents: i64, at: i64) -> MpRefund {
        MpRefund {
            id: id.into(),
            amount: Some(Decimal::new(cents, 2)),
            status: Some(RefundStatus::Approved),
            date_created: Some(crate::domain::clock::rfc3339(at)),
            transaction_id: None,
        }
    }

    fn payment() -> Books {
        Books::Payment(PaymentId::new(1001).unwrap())
    }

    fn ten_minutes() -> Duration {
        Duration::from_secs(600)
    }

    /// What `settle` says of `rows` at `now_ms`, ten minutes after an attempt
    /// being old enough.
    fn verdicts(
        rows: &[DoubtRow],
        books: Books,
        refunds: &[MpRefund],
        taken: &HashSet<String>,
        now_ms: i64,
    ) -> Vec<Option<Verdict>> {
        settle(rows, books, refunds, taken, now_ms, ten_minutes())
    }

    fn ids(v: &[Option<Verdict>]) -> Vec<Option<&str>> {
        v.iter()
            .map(|v| match v {
                Some(Verdict::Refunded { refund_id, .. }) => Some(refund_id.as_str()),
                Some(Verdict::NotRefunded { .. }) => Some("none"),
                None => None,
            })
            .collect()
    }

    #[test]
    fn a_refund_of_the_amount_made_after_the_first_request_settles_the_row_refunded() {
        let rows = [row(1, Some(2500), T0, T0 + MIN)];
        let refunds = [refund("r1", 2500, T0 + 1000)];
        let v = verdicts(&rows, payment(), &refunds, &HashSet::new(), T0 + 2 * MIN);
        // Found even before settle_after: a refund found is a fact.
        assert_eq!(ids(&v), [Some("r1")]);
    }

    #[test]
    fn nothing_found_is_not_refunded_only_once_the_last_attempt_is_old_enough() {
        let rows = [row(1, Some(2500), T0, T0 + MIN)];
        let refunds = [refund("other", 1000, T0 + 1000)];
        let early = verdicts(&rows, payment(), &refunds, &HashSet::new(), T0 + 5 * MIN);
        assert_eq!(ids(&early), [None]);
        let late = verdicts(&rows, payment(), &refunds, &HashSet::new(), T0 + 11 * MIN);
        assert_eq!(ids(&late), [Some("none")]);
    }

    #[test]
    fn a_refund_is_given_once_never_one_the_state_file_holds_never_one_made_before() {
        let rows = [
            row(1, Some(2500), T0, T0),
            row(2, Some(2500), T0, T0),
            row(3, Some(2500), T0, T0),
        ];
        let refunds = [
            refund("known", 2500, T0 + 1000),
            refund("old", 2500, T0 - 60 * MIN),
            refund("r1", 2500, T0 + 2000),
        ];
        let taken: HashSet<String> = ["known".to_owned()].into();
        let v = verdicts(&rows, payment(), &refunds, &taken, T0 + 20 * MIN);
        assert_eq!(ids(&v), [Some("r1"), Some("none"), Some("none")]);
    }

    #[test]
    fn a_full_refund_takes_any_amount_and_a_partial_only_its_own() {
        let rows = [row(1, Some(1000), T0, T0), row(2, None, T0, T0)];
        let refunds = [refund("big", 9000, T0 + 1), refund("small", 1000, T0 + 2)];
        let v = verdicts(&rows, payment(), &refunds, &HashSet::new(), T0);
        assert_eq!(ids(&v), [Some("small"), Some("big")]);
    }

    #[test]
    fn a_payment_not_read_or_an_advanced_payment_settles_nothing() {
        let mut adv = row(2, Some(100), T0, T0);
        adv.target = Target::AdvancedPayment(PaymentId::new(1001).unwrap());
        let refunds = [refund("r", 100, T0 + 1)];
        let read: HashMap<Books, &[MpRefund]> = HashMap::new();
        let out = decide(
            vec![row(1, Some(100), T0, T0), adv.clone()],
            &read,
            &HashSet::new(),
            T0 + 60 * MIN,
            ten_minutes(),
        );
        assert!(out.iter().all(|(_, v)| v.is_none()));
        let read: HashMap<Books, &[MpRefund]> = [(payment(), &refunds[..])].into();
        let out = decide(
            vec![adv],
            &read,
            &HashSet::new(),
            T0 + 60 * MIN,
            ten_minutes(),
        );
        assert!(out[0].1.is_none());
    }

    #[test]
    fn the_refund_of_its_own_key_in_another_batch_is_the_rows_even_if_the_state_file_holds_it() {
        let mut r = row(1, Some(2500), T0, T0);
        r.same_key_refund = Some("theirs".into());
        let refunds = [
            refund("other", 2500, T0 + 1),
            refund("theirs", 2500, T0 + 2),
        ];
        let taken: HashSet<String> = ["theirs".to_owned()].into();
        let v = verdicts(&[r], payment(), &refunds, &taken, T0);
        assert_eq!(ids(&v), [Some("theirs")]);
    }

    /// An order's rows in doubt are judged against its refunds: on the
    /// transaction the row names, of its amount, each refund given once.
    #[test]
    fn an_orders_refund_is_a_rows_only_on_its_transaction() {
        let ord: crate::domain::OrderId = "ORD01JQ4S4KY8HWQ6NA5PXB65B3D3".parse().unwrap();
        let on = |n: u64, transaction: &str| {
            let mut r = row(n, Some(1000), T0, T0);
            r.target = Target::Order(crate::domain::OrderRef {
                order: ord,
                transaction: Some(transaction.parse().unwrap()),
            });
            r
        };
        let refund_on = |id: &str, transaction: &str| MpRefund {
            id: id.into(),
            amount: Some(Decimal::new(1000, 2)),
            status: Some(RefundStatus::Processed),
            date_created: None,
            transaction_id: Some(transaction.into()),
        };
        let rows = vec![on(1, "PAYA"), on(2, "PAYB"), on(3, "PAYB")];
        let refunds = [refund_on("R1", "PAYB"), refund_on("R2", "PAYB")];
        let read: HashMap<Books, &[MpRefund]> = [(Books::Order(ord), &refunds[..])].into();
        let out = decide(rows, &read, &HashSet::new(), T0 + 60 * MIN, ten_minutes());
        let verdicts: Vec<Option<Verdict>> = out.into_iter().map(|(_, v)| v).collect();
        assert_eq!(ids(&verdicts), [Some("none"), Some("R1"), Some("R2")]);
        let Some(Verdict::Refunded { books, .. }) = &verdicts[1] else {
            panic!("refunded")
        };
        assert_eq!(books.named(), format!("order {ord}"));
    }

    /// A full refund of a whole order in doubt takes what its one request
    /// made: the newest free refund and those just before it on the order's
    /// other transactions, as one set (a refund made by hand earlier left
    /// out); a row of its key elsewhere holding that set gets it whole.
    #[test]
    fn a_full_refund_of_a_whole_order_takes_the_set_its_request_made() {
        let ord: crate::domain::OrderId = "ORD01JQ4S4KY8HWQ6NA5PXB65B3D3".parse().unwrap();
        let full = |n: u64| {
            let mut r = row(n, None, T0, T0);
            r.target = Target::Order(crate::domain::OrderRef {
                order: ord,
                transaction: None,
            });
            r
        };
        let on = |id: &str, transaction: &str, cents: i64| MpRefund {
            id: id.into(),
            amount: Some(Decimal::new(cents, 2)),
            status: Some(RefundStatus::Processed),
            date_created: None,
            transaction_id: Some(transaction.into()),
        };
        let refunds = [
            on("BYHAND", "PAYA", 500),
            on("R1", "PAYA", 2833),
            on("R2", "PAYB", 3333),
            on("R3", "PAYC", 3334),
        ];
        let books = Books::Order(ord);
        let v = verdicts(&[full(1)], books, &refunds, &HashSet::new(), T0);
        let Some(Verdict::Refunded {
            refund_id,
            amount,
            status,
            ..
        }) = &v[0]
        else {
            panic!("{v:?}")
        };
        assert_eq!(refund_id, "R1+R2+R3");
        assert_eq!(*amount, Some(Decimal::new(9500, 2)));
        assert_eq!(*status, RefundStatus::Processed);
        // Another row of the same key holds the set: the same set.
        let mut again = full(2);
        again.same_key_refund = Some("R1+R2+R3".into());
        let taken: HashSet<String> = ["R1", "R2", "R3"].map(str::to_owned).into();
        let v = verdicts(&[again], books, &refunds, &taken, T0);
        assert_eq!(ids(&v), [Some("R1+R2+R3")]);
        // The newest is another row's: the one made by hand is not this row's.
        let v = verdicts(&[full(3)], books, &refunds, &taken, T0 + 60 * MIN);
        assert_eq!(ids(&v), [Some("none")]);
    }

    #[test]
    fn a_refund_its_own_answer_carried_is_the_rows_though_the_state_file_holds_it() {
        // An answer carried refund "mine"; a later attempt was not certain.
        let mut r = row(1, Some(2500), T0, T0);
        r.same_key_refund = Some("mine".into());
        let refunds = [refund("mine", 2500, T0 + 1)];
        let taken: HashSet<String> = ["mine".to_owned()].into();
        let v = verdicts(&[r], payment(), &refunds, &taken, T0 + 60 * MIN);
        assert_eq!(ids(&v), [Some("mine")], "never 'not refunded'");
    }

    #[test]
    fn rows_of_one_key_in_two_batches_share_the_verdict() {
        let a = row(1, Some(2500), T0, T0);
        let mut b = row(2, Some(2500), T0, T0);
        b.key = a.key.clone();
        let refunds = [refund("r1", 2500, T0 + 1)];
        let v = verdicts(&[a, b], payment(), &refunds, &HashSet::new(), T0 + 60 * MIN);
        assert_eq!(ids(&v), [Some("r1"), Some("r1")]);
    }
}
