//! Mercado Pago's reports as the sandbox serves them, for what its book holds:
//! `POST /v1/account/{settlement|release}_report` asks for one (202; it is made
//! asynchronously), `…/list` shows it once `--report-delay` has passed, and
//! `…/{file_name}` downloads it.
//!
//! Columns (documented in the README):
//! - settlement (`;`): `EXTERNAL_REFERENCE;SOURCE_ID;PAYMENT_METHOD_TYPE;
//!   TRANSACTION_TYPE;TRANSACTION_AMOUNT;TRANSACTION_CURRENCY;TRANSACTION_DATE;
//!   SETTLEMENT_NET_AMOUNT;SETTLEMENT_DATE;METADATA` — a `SETTLEMENT` line per
//!   payment approved in the period, a `REFUND` line (negative amount, the refund
//!   id in `METADATA`) per refund created in it, rejected ones left out;
//! - release (`,`): `DATE,SOURCE_ID,EXTERNAL_REFERENCE,RECORD_TYPE,DESCRIPTION,
//!   NET_CREDIT_AMOUNT,NET_DEBIT_AMOUNT,GROSS_AMOUNT` — `release` records
//!   `payment` and `refund`.
//!
//! The admin switch `lie` makes the reports disagree with the book, to test a
//! reconciliation: the first refund is left out, the second shows one more unit
//! of its currency, and a refund nobody made (0.01) appears on the third's payment.

use std::time::Duration;

use rust_decimal::Decimal;
use time::OffsetDateTime;

use super::book::Book;
use super::wire::format_date;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Which {
    Settlement,
    Release,
}

impl Which {
    pub(crate) fn from_path(segment: &str) -> Option<Which> {
        match segment {
            "settlement_report" => Some(Which::Settlement),
            "release_report" => Some(Which::Release),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Which::Settlement => "settlement",
            Which::Release => "release",
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Job {
    pub(crate) id: u64,
    pub(crate) which: Which,
    pub(crate) begin: OffsetDateTime,
    pub(crate) end: OffsetDateTime,
    pub(crate) file_name: String,
    pub(crate) created: OffsetDateTime,
    ready_at: OffsetDateTime,
}

#[derive(Debug, Default)]
pub(crate) struct Reports {
    jobs: Vec<Job>,
    /// `--report-delay`: how long a report takes to appear in the list.
    pub(crate) delay: Duration,
    /// The admin switch: reports that disagree with the book.
    pub(crate) lie: bool,
    /// The next this many list requests answer 429 (an admin setting).
    pub(crate) throttle_lists: u32,
}

impl Reports {
    pub(crate) fn create(
        &mut self,
        which: Which,
        begin: OffsetDateTime,
        end: OffsetDateTime,
        now: OffsetDateTime,
    ) -> &Job {
        let id = self.jobs.len() as u64 + 1;
        self.jobs.push(Job {
            id,
            which,
            begin,
            end,
            file_name: format!("{}-report-{id}.csv", which.name()),
            created: now,
            ready_at: now + self.delay,
        });
        &self.jobs[self.jobs.len() - 1]
    }

    /// The reports of `which` ready by `now`.
    pub(crate) fn ready(&self, which: Which, now: OffsetDateTime) -> impl Iterator<Item = &Job> {
        self.jobs
            .iter()
            .filter(move |j| j.which == which && j.ready_at <= now)
    }
}

impl Book {
    /// The report a job asked for, as CSV text.
    pub(crate) fn report(&self, job: &Job, lie: bool) -> String {
        let in_period = |t: OffsetDateTime| t >= job.begin && t <= job.end;
        let mut refunds: Vec<(u64, u64, Decimal, String, OffsetDateTime)> = self
            .refunds
            .iter()
            .filter(|r| r.status != "rejected" && r.status != "cancelled")
            .filter_map(|r| {
                let at = time::OffsetDateTime::parse(
                    &r.date_created,
                    &time::format_description::well_known::Rfc3339,
                )
                .ok()?;
                let currency = self.currency_of(r.kind, r.payment_id);
                in_period(at).then_some((r.id, r.payment_id, r.amount, currency, at))
            })
            .collect();
        if lie {
            if refunds.len() > 2 {
                let (_, payment, _, currency, at) = refunds[2].clone();
                refunds.push((999_999_999, payment, Decimal::new(1, 2), currency, at));
            }
            if refunds.len() > 1 {
                refunds[1].2 += Decimal::ONE;
            }
            if !refunds.is_empty() {
                refunds.remove(0);
            }
        }
        let mut payments: Vec<(u64, Decimal, String, OffsetDateTime)> = self
            .payments_approved()
            .filter(|p| in_period(p.3))
            .collect();
        payments.sort_by_key(|p| p.0);
        let mut out = String::new();
        match job.which {
            Which::Settlement => {
                out.push_str("EXTERNAL_REFERENCE;SOURCE_ID;PAYMENT_METHOD_TYPE;TRANSACTION_TYPE;TRANSACTION_AMOUNT;TRANSACTION_CURRENCY;TRANSACTION_DATE;SETTLEMENT_NET_AMOUNT;SETTLEMENT_DATE;METADATA\n");
                for (id, amount, currency, at) in &payments {
                    let d = format_date(*at);
                    out.push_str(&format!(
                        ";{id};account_money;SETTLEMENT;{amount};{currency};{d};{amount};{d};\n"
                    ));
                }
                for (refund, payment, amount, currency, at) in &refunds {
                    let d = format_date(*at);
                    out.push_str(&format!(
                        ";{payment};account_money;REFUND;-{amount};{currency};{d};-{amount};{d};\"{{\"\"refund_id\"\":{refund}}}\"\n"
                    ));
                }
            }
            Which::Release => {
                out.push_str("DATE,SOURCE_ID,EXTERNAL_REFERENCE,RECORD_TYPE,DESCRIPTION,NET_CREDIT_AMOUNT,NET_DEBIT_AMOUNT,GROSS_AMOUNT\n");
                for (id, amount, _, at) in &payments {
                    out.push_str(&format!(
                        "{},{id},,release,payment,{amount},0,{amount}\n",
                        format_date(*at)
                    ));
                }
                for (_, payment, amount, _, at) in &refunds {
                    out.push_str(&format!(
                        "{},{payment},,release,refund,0,{amount},-{amount}\n",
                        format_date(*at)
                    ));
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_appears_after_its_delay() {
        let mut r = Reports {
            delay: Duration::from_secs(5),
            ..Reports::default()
        };
        let t0 = OffsetDateTime::now_utc();
        let name = r.create(Which::Release, t0, t0, t0).file_name.clone();
        assert_eq!(name, "release-report-1.csv");
        assert_eq!(r.ready(Which::Release, t0).count(), 0);
        assert_eq!(
            r.ready(Which::Settlement, t0 + Duration::from_secs(5))
                .count(),
            0
        );
        assert_eq!(
            r.ready(Which::Release, t0 + Duration::from_secs(5)).count(),
            1
        );
    }
}
