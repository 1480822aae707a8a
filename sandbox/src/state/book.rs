//! The payments book: every payment seen or declared, every refund created, and
//! the refund rules (status, refund window, balance, decimals, magic behaviours).
//!
//! Invariants: a payment's `consumed` equals the sum of its non-rejected refunds
//! (plus what a magic "already refunded" payment starts with) and never exceeds its
//! amount; refund ids strictly increase.

use std::collections::HashMap;

use rust_decimal::Decimal;
use time::OffsetDateTime;

use super::super::RefundRecord;
use super::catalogue::{Magic, Payment, REFUND_WINDOW_DAYS};
use super::request::{Ask, RefundRequest};
use super::wire::{ApiError, PaymentJson, RefundJson, format_date};
use crate::Kind;

/// The first refund id handed out; ids then increase by one.
const FIRST_REFUND_ID: u64 = 1_000_000_001;

pub(crate) struct Book {
    payments: HashMap<(Kind, u64), Payment>,
    pub(crate) refunds: Vec<RefundRecord>,
    /// Index into `refunds` by refund id.
    refund_index: HashMap<u64, usize>,
    next_refund_id: u64,
    /// `--settle-after`: in-process refunds become approved this long after creation.
    pub(crate) settle_after: Option<std::time::Duration>,
}

impl Default for Book {
    fn default() -> Self {
        Book {
            payments: HashMap::new(),
            refunds: Vec::new(),
            refund_index: HashMap::new(),
            next_refund_id: FIRST_REFUND_ID,
            settle_after: None,
        }
    }
}

impl Book {
    /// The currency of a payment the book holds (BRL when it does not).
    pub(crate) fn currency_of(&self, kind: Kind, id: u64) -> String {
        self.payments
            .get(&(kind, id))
            .map_or_else(|| "BRL".to_owned(), |p| p.currency.clone())
    }

    /// (id, amount, currency, approved) of every approved payment the book holds.
    pub(crate) fn payments_approved(
        &self,
    ) -> impl Iterator<Item = (u64, Decimal, String, OffsetDateTime)> + '_ {
        self.payments
            .values()
            .filter(|p| p.status == "approved")
            .map(|p| (p.id, p.amount, p.currency.clone(), p.date_approved))
    }

    pub(crate) fn declare(&mut self, p: Payment) {
        self.payments.insert((p.kind, p.id), p);
    }

    /// The payment, created on first sight when its id stands for one.
    pub(crate) fn payment(&mut self, kind: Kind, id: u64, now: OffsetDateTime) -> Option<&Payment> {
        self.payment_mut(kind, id, now).map(|p| &*p)
    }

    fn payment_mut(&mut self, kind: Kind, id: u64, now: OffsetDateTime) -> Option<&mut Payment> {
        use std::collections::hash_map::Entry;
        match self.payments.entry((kind, id)) {
            Entry::Occupied(e) => Some(e.into_mut()),
            Entry::Vacant(e) => Payment::implicit(id, kind, now).map(|p| e.insert(p)),
        }
    }

    pub(crate) fn refunds_of(&self, p: &Payment) -> impl Iterator<Item = &RefundRecord> {
        p.refunds.iter().filter_map(|&i| self.refunds.get(i))
    }

    pub(crate) fn refund(&self, id: u64) -> Option<&RefundRecord> {
        self.refund_index
            .get(&id)
            .and_then(|&i| self.refunds.get(i))
    }

    /// Applies the refund rules and, when they allow it, creates the refund. The
    /// caller renders the response and hands it to the idempotency table.
    pub(crate) fn create_refund(
        &mut self,
        req: &RefundRequest<'_>,
        now: OffsetDateTime,
    ) -> Result<&RefundRecord, ApiError> {
        let not_found = match req.kind {
            Kind::Payment => ApiError::NOT_FOUND,
            Kind::AdvancedPayment => ApiError::ADVANCED_NOT_FOUND,
        };
        let refund_id = self.next_refund_id;
        let index = self.refunds.len();
        let p = self
            .payment_mut(req.kind, req.payment_id, now)
            .ok_or(not_found)?;
        if p.status != "approved" {
            return Err(ApiError::BAD_STATE);
        }
        if now - p.date_approved > time::Duration::days(REFUND_WINDOW_DAYS) {
            return Err(if p.magic == Some(Magic::TooOld15016) {
                ApiError::TOO_OLD_15016
            } else {
                ApiError::TOO_OLD
            });
        }
        let remaining = p.amount - p.consumed;
        let amount = match req.ask {
            Ask::Full => remaining,
            Ask::Partial(a) if a.scale() > p.decimals => return Err(ApiError::TOO_MANY_DECIMALS),
            Ask::Partial(_) if p.magic == Some(Magic::PartialUnsupported) => {
                return Err(ApiError::PARTIAL_UNSUPPORTED);
            }
            Ask::Partial(a) if a > remaining => return Err(ApiError::EXCEEDS_BALANCE),
            Ask::Partial(a) => a,
        };
        let status = match p.magic {
            Some(Magic::CollectorNoBalance) => return Err(ApiError::COLLECTOR_NO_BALANCE),
            Some(Magic::PixContingency) if !req.render_in_process => {
                return Err(ApiError::PIX_CONTINGENCY);
            }
            Some(Magic::PixContingency | Magic::SettlesInProcess) => "in_process",
            Some(Magic::Rejected) => "rejected",
            _ => "approved",
        };
        if status != "rejected" {
            p.consumed += amount;
            if p.consumed == p.amount {
                p.status = "refunded".to_owned();
            }
        }
        p.refunds.push(index);
        let record = RefundRecord {
            id: refund_id,
            payment_id: req.payment_id,
            kind: req.kind,
            amount: amount.normalize(),
            status: status.to_owned(),
            idempotency_key: req.idempotency_key.to_owned(),
            date_created: format_date(now),
        };
        self.next_refund_id += 1;
        self.refund_index.insert(refund_id, index);
        self.refunds.push(record);
        Ok(&self.refunds[index])
    }

    /// What happens to a refund after it was made, as the API would later show it:
    /// rejected or cancelled (its money returns to the payment's balance), settled,
    /// or — a lying server, for tests — another amount. `None` when no such refund.
    pub(crate) fn change_refund(
        &mut self,
        id: u64,
        status: Option<&str>,
        amount: Option<Decimal>,
    ) -> Option<&RefundRecord> {
        let &index = self.refund_index.get(&id)?;
        let r = &mut self.refunds[index];
        let counted = |status: &str| status != "rejected" && status != "cancelled";
        let before = counted(&r.status).then_some(r.amount);
        if let Some(status) = status {
            r.status = status.to_owned();
        }
        if let Some(amount) = amount {
            r.amount = amount.normalize();
        }
        let after = counted(&r.status).then_some(r.amount);
        let (kind, payment_id) = (r.kind, r.payment_id);
        if let Some(p) = self.payments.get_mut(&(kind, payment_id)) {
            p.consumed = p.consumed - before.unwrap_or_default() + after.unwrap_or_default();
            p.status = if p.consumed >= p.amount {
                "refunded"
            } else {
                "approved"
            }
            .to_owned();
        }
        self.refunds.get(index)
    }

    /// With `--settle-after`, settles the in-process refunds old enough at `now`.
    pub(crate) fn settle_due(&mut self, now: OffsetDateTime) {
        let Some(after) = self.settle_after else {
            return;
        };
        for r in self.refunds.iter_mut().filter(|r| r.status == "in_process") {
            let created = OffsetDateTime::parse(
                &r.date_created,
                &time::format_description::well_known::Rfc3339,
            );
            if created.is_ok_and(|c| now - c >= after) {
                r.status = "approved".to_owned();
            }
        }
    }

    /// Settles every `in_process` refund as `approved` (what MP's webhook would
    /// eventually report). Returns how many changed.
    pub(crate) fn settle_in_process(&mut self) -> usize {
        let mut n = 0;
        for r in self.refunds.iter_mut().filter(|r| r.status == "in_process") {
            r.status = "approved".to_owned();
            n += 1;
        }
        n
    }

    pub(crate) fn payment_json<'a>(&'a self, p: &'a Payment) -> PaymentJson<'a> {
        let refunded = self
            .refunds_of(p)
            .filter(|r| r.status == "approved")
            .map(|r| r.amount)
            .sum::<Decimal>()
            .normalize();
        PaymentJson {
            id: p.id,
            status: &p.status,
            status_detail: p.status_detail(),
            currency_id: &p.currency,
            transaction_amount: p.amount,
            transaction_amount_refunded: if p.magic == Some(Magic::AlreadyRefunded) {
                p.amount
            } else {
                refunded
            },
            date_approved: format_date(p.date_approved),
            refunds: self.refunds_of(p).map(RefundJson::from).collect(),
        }
    }
}
