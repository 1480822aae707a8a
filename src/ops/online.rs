//! `mprefund plan --online`: reads every distinct payment (and order) of the file
//! from the API (each once, paced and retried like `run`; no POST, ever) and
//! predicts each row's outcome before a cent moves — balance left, status,
//! earlier refunds, currency, the refund window, and an order's open
//! chargebacks.
//!
//! Invariants: a payment (or order) that cannot be read predicts `unreadable`,
//! never `ok`; the rows of one file on one payment (or order) are judged
//! together (their sum against what is left), so a prediction of `ok` holds for
//! the whole file; an order with an open chargeback is `charged_back`, never
//! `ok`: a refund too would pay the money back twice.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::PathBuf;

use rust_decimal::Decimal;

use super::batch::SendOptions;
use crate::api::client::{Client, PaymentView};
use crate::api::orders_api::OrderView;
pub(crate) use crate::domain::Prediction;
use crate::domain::ending::{Ending, Exit};
use crate::domain::joint::Part;
use crate::domain::money::Counted;
use crate::domain::{Currency, OrderId, PaymentId, RefundStatus, Requested, Row, Target, Valid};
use crate::engine::lookup::{self, Lookup};
use crate::engine::send::{Stop, StopReason};
use crate::sheets::input::{InputOptions, InputSummary, Spooled};
use crate::sheets::report;
use crate::sheets::sheet::{self, Dialect};

/// More partial refunds than this on one payment: older docs say the API refuses.
const MAX_PARTIALS: u64 = 20;

#[derive(Debug)]
pub(crate) struct OnlineRequest {
    /// The input, as `plan` read it.
    pub input: Spooled,
    /// What `plan`'s validation found, and gathered for the predictions.
    pub summary: InputSummary,
    pub asked: FileAsks,
    pub input_options: InputOptions,
    pub send: SendOptions,
    pub out: Option<PathBuf>,
    pub refund_window_days: i64,
}

/// What `plan --online` predicted, for `cli` to render.
#[derive(Debug)]
pub(crate) struct Predicted {
    /// Rows and asked amounts per prediction and currency (`""`: none named).
    pub counts: BTreeMap<(Prediction, String), Rows>,
    pub out: PathBuf,
    pub stopped: Option<StopReason>,
    /// Rows of the input that are not valid rows (predicted `invalid`).
    pub invalid: u64,
}

/// One prediction's rows in one currency: the amounts they ask (`full` rows
/// count with nothing asked) and how many of them are `full`.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub(crate) struct Rows {
    pub asked: Counted,
    pub full: u64,
}

/// A stop says its own exit; else an invalid row refuses the run as `plan`
/// does (2), and any row not predicted to go through is 1.
impl Ending for Predicted {
    fn exit(&self) -> Exit {
        if let Some(reason) = &self.stopped {
            reason.exit()
        } else if self.invalid > 0 {
            Exit::Usage
        } else if self
            .counts
            .keys()
            .all(|(p, _)| matches!(p, Prediction::Ok | Prediction::AlreadyDone))
        {
            Exit::Ok
        } else {
            Exit::SomeFailed
        }
    }
}

impl Predicted {
    pub(crate) fn render(&self, w: &mut dyn Write) -> std::io::Result<()> {
        writeln!(
            w,
            "{:<18} {:>8} {:>10} {:>16} {:>6}",
            "prediction", "currency", "rows", "asked", "full"
        )?;
        for ((p, currency), r) in &self.counts {
            let (n, asked, full) = (r.asked.rows, r.asked.sum, r.full);
            let c = if currency.is_empty() { "-" } else { currency };
            writeln!(w, "{:<18} {c:>8} {n:>10} {asked:>16} {full:>6}", p.as_str())?;
        }
        if let Some(r) = &self.stopped {
            writeln!(w, "stopped early: {r}; payments not read are `unreadable`")?;
        }
        writeln!(w, "plan: {}", self.out.display())
    }
}

/// The file's rows on one payment, added up.
#[derive(Debug, Default)]
struct OnPayment {
    rows: u64,
    partial_sum: Decimal,
    full: bool,
    /// Refunds the state file says rows of this file made on the payment: not
    /// "prior refunds", and their rows need no balance.
    own: std::collections::HashSet<String>,
}

impl OnPayment {
    /// The file's rows on it ask more than is `left`: partial amounts beyond
    /// it, or a `full` row beside another one or on nothing left.
    fn exceeds(&self, left: Decimal) -> bool {
        self.partial_sum > left || (self.full && (self.rows > 1 || left <= Decimal::ZERO))
    }
}

/// What the file asks of each payment, gathered row by row while the rows are
/// validated (no pass of its own), with what the state file says of each row.
pub(crate) struct FileAsks {
    asked: HashMap<PaymentId, OnPayment>,
    /// The same, of each order.
    orders: HashMap<OrderId, OnPayment>,
    /// Rows (by number) whose key made its refund already, per the state file.
    done: std::collections::HashSet<u64>,
    ledger: Option<crate::store::ledger::ReadOnly>,
}

impl std::fmt::Debug for FileAsks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileAsks")
            .field("payments", &self.asked.len())
            .field("orders", &self.orders.len())
            .field("done", &self.done.len())
            .finish()
    }
}

impl FileAsks {
    /// `state`: the state file whose refunds are the rows' own, when there is one.
    pub(crate) fn new(state: Option<&std::path::Path>) -> anyhow::Result<FileAsks> {
        Ok(FileAsks {
            asked: HashMap::new(),
            orders: HashMap::new(),
            done: Default::default(),
            ledger: state
                .map(crate::store::ledger::ReadOnly::open)
                .transpose()?
                .flatten(),
        })
    }

    /// Adds one row of the file.
    pub(crate) fn add(&mut self, row: &Row) -> anyhow::Result<()> {
        let Ok(v) = &row.content else {
            return Ok(());
        };
        let e = match &v.ask.target {
            Target::Payment(payment) => self.asked.entry(*payment).or_default(),
            Target::Order(o) => self.orders.entry(o.order).or_default(),
            Target::AdvancedPayment(_) => return Ok(()),
        };
        if let Some(l) = &self.ledger
            && let Some(id) = l.settled_refund(&v.ask.key)?
        {
            self.done.insert(row.row_no);
            e.own.insert(id);
            return Ok(());
        }
        e.rows += 1;
        match v.ask.requested {
            Requested::Full => e.full = true,
            Requested::Partial(a) => {
                let code = v.currency.map(|c| c.to_string()).unwrap_or_default();
                e.partial_sum = crate::domain::money::add(e.partial_sum, &code, a.get())?;
            }
        }
        Ok(())
    }
}

/// What the file asks of each payment and order, and what the API says of it.
struct Books {
    asked: HashMap<PaymentId, OnPayment>,
    orders: HashMap<OrderId, OnPayment>,
    done: std::collections::HashSet<u64>,
    found: HashMap<PaymentId, Lookup>,
    found_orders: HashMap<OrderId, Lookup<OrderView>>,
    stopped: Option<StopReason>,
    now: time::OffsetDateTime,
}

impl Books {
    /// What `plan --online` predicts for `row`, and what the API said of its
    /// payment or order.
    fn judge(&self, row: &Row, window_days: i64) -> (Prediction, Option<Seen<'_>>) {
        let (done, now) = (&self.done, self.now);
        match &row.content {
            Ok(v) if v.ask.kind() == crate::domain::Kind::Order => {
                let (p, o) = predict_order(
                    row,
                    done,
                    &self.orders,
                    &self.found_orders,
                    now,
                    window_days,
                );
                (p, o.map(Seen::Order))
            }
            _ => {
                let (p, v) = predict(row, done, &self.asked, &self.found, now, window_days);
                (p, v.map(Seen::Payment))
            }
        }
    }
}

/// What the API said of a row's payment or order.
#[derive(Clone, Copy)]
enum Seen<'a> {
    Payment(&'a PaymentView),
    Order(&'a OrderView),
}

/// Every payment, then every order, the file asks of, read once.
async fn read_books(asked: FileAsks, send: &SendOptions, stop: Stop) -> anyhow::Result<Books> {
    let client = Client::new(&send.api_base, &send.token, &send.sending.client)?;
    let ids: Vec<PaymentId> = asked.asked.keys().copied().collect();
    let (found, stopped) = lookup::read(client.clone(), ids, &send.sending, stop.clone()).await;
    let (found_orders, stopped) = match stopped {
        Some(s) => (HashMap::new(), Some(s)),
        None => {
            let ids: Vec<OrderId> = asked.orders.keys().copied().collect();
            lookup::read(client, ids, &send.sending, stop).await
        }
    };
    Ok(Books {
        asked: asked.asked,
        orders: asked.orders,
        done: asked.done,
        found,
        found_orders,
        stopped,
        now: time::OffsetDateTime::now_utc(),
    })
}

/// `run --preflight`'s judge: the payments read, for predicting each row as
/// `plan --online` would, while the batch is created (no pass of its own).
pub(crate) struct Preflight {
    books: Books,
    window_days: i64,
}

impl Preflight {
    /// Reads every payment `asked` (gathered while the rows were validated) asks
    /// of; also says why the reading stopped, if it did.
    pub(crate) async fn read(
        asked: FileAsks,
        send: &SendOptions,
        window_days: i64,
        stop: Stop,
    ) -> anyhow::Result<(Preflight, Option<StopReason>)> {
        let mut books = read_books(asked, send, stop).await?;
        let stopped = books.stopped.take();
        Ok((Preflight { books, window_days }, stopped))
    }

    /// What `plan --online` predicts for `row`, when it is not `ok` (nor done).
    pub(crate) fn not_ok(&self, row: &Row) -> Option<Prediction> {
        let (p, _) = self.books.judge(row, self.window_days);
        (!matches!(p, Prediction::Ok | Prediction::AlreadyDone)).then_some(p)
    }
}

pub(crate) async fn plan_online(req: OnlineRequest, stop: Stop) -> anyhow::Result<Predicted> {
    let mut books = read_books(req.asked, &req.send, stop).await?;
    let stopped = books.stopped.take();
    let dialect = Dialect::of_input(&req.summary);
    let path = req.input.path();
    let out = (req.out.clone())
        .unwrap_or_else(|| crate::store::paths::beside(path, crate::store::paths::Sheet::Plan));
    crate::store::paths::check_outputs(Some(path), path, &[("--out", &out)])?;

    // Second pass: one prediction per row, written as it goes.
    let mut counts: BTreeMap<(Prediction, String), Rows> = BTreeMap::new();
    let mut input = req.input.reopen(&req.input_options, &req.summary.scan)?;
    let header = input.header().to_vec();
    sheet::write(&out, dialect, |w| {
        let columns = [
            "prediction",
            "payment_status",
            "transaction_amount",
            "already_refunded",
            "refundable_left",
            "currency_id",
            "date_approved",
            "prior_refunds",
        ];
        let head: Vec<String> = report::original_header(&header)
            .into_iter()
            .chain(columns.iter().map(|c| c.to_string()))
            .collect();
        w.row(&head)?;
        for row in input.by_ref() {
            let row = row?;
            let (prediction, view) = books.judge(&row, req.refund_window_days);
            let (currency, amount, full) = match &row.content {
                Ok(v) => (
                    v.currency.map(|c| c.to_string()).unwrap_or_default(),
                    match v.ask.requested {
                        Requested::Partial(a) => a.get(),
                        Requested::Full => Decimal::ZERO,
                    },
                    u64::from(v.ask.requested == Requested::Full),
                ),
                Err(_) => (String::new(), Decimal::ZERO, 0),
            };
            let e = counts.entry((prediction, currency.clone())).or_default();
            e.asked.add(&currency, amount)?;
            e.full += full;
            let mut record = report::original_cells(&row.fields, header.len(), dialect.delimiter);
            record.extend(cells(prediction, view, dialect));
            w.row(&record)?;
        }
        Ok(())
    })?;
    let summary = input.finish()?;
    Ok(Predicted {
        counts,
        out,
        stopped,
        invalid: summary.invalid,
    })
}

fn predict<'a>(
    row: &Row,
    done: &std::collections::HashSet<u64>,
    asked: &HashMap<PaymentId, OnPayment>,
    found: &'a HashMap<PaymentId, Lookup>,
    now: time::OffsetDateTime,
    window_days: i64,
) -> (Prediction, Option<&'a PaymentView>) {
    let Ok(v) = &row.content else {
        return (Prediction::Invalid, None);
    };
    if done.contains(&row.row_no) {
        let p = match v.ask.target.payment().and_then(|id| found.get(&id)) {
            Some(Lookup::Found(p)) => Some(p),
            _ => None,
        };
        return (Prediction::AlreadyDone, p);
    }
    let Target::Payment(payment) = v.ask.target else {
        return (Prediction::Unreadable, None);
    };
    let p = match found.get(&payment) {
        Some(Lookup::Found(p)) => p,
        Some(Lookup::NotFound) => return (Prediction::NotFound, None),
        _ => return (Prediction::Unreadable, None),
    };
    let (Some(status), Some(total)) = (p.status.as_deref(), p.transaction_amount) else {
        return (Prediction::Unreadable, Some(p));
    };
    if status != "approved" {
        return (Prediction::NotRefundable, Some(p));
    }
    if currency_mismatch(v, p.currency_id.as_deref()) {
        return (Prediction::CurrencyMismatch, Some(p));
    }
    let refunded = p.transaction_amount_refunded.unwrap_or_default();
    let left = total - refunded;
    let on = &asked[&payment];
    if on.exceeds(left) {
        return (Prediction::ExceedsBalance, Some(p));
    }
    // The file's own refunds (per the state file) are not prior refunds.
    let (mut prior, mut others) = (0u64, refunded);
    for r in p.refunds.iter().flatten() {
        if on.own.contains(&r.id) {
            others -= r.amount.unwrap_or_default();
        } else {
            prior += 1;
        }
    }
    if others > Decimal::ZERO || prior > 0 {
        return (Prediction::HasPriorRefunds, Some(p));
    }
    if prior + on.rows > MAX_PARTIALS {
        return (Prediction::TooManyPartials, Some(p));
    }
    if older_than(p.date_approved.as_deref(), now, window_days) {
        return (Prediction::Old, Some(p));
    }
    (Prediction::Ok, Some(p))
}

/// The row names another currency than `charged`, the one the payment (or
/// order) is in, or asks for an amount finer than that currency has.
fn currency_mismatch(v: &Valid, charged: Option<&str>) -> bool {
    let currency = charged.and_then(|c| c.parse::<Currency>().ok());
    let named = v.currency.map(|c| c.to_string());
    let wrong_currency = named.is_some() && named.as_deref() != charged;
    let too_precise = match (v.ask.requested, currency) {
        (Requested::Partial(a), Some(c)) => a.get().scale() > c.decimals(),
        _ => false,
    };
    wrong_currency || too_precise
}

/// `date` (RFC 3339) is more than `window_days` before `now`; an absent or
/// unreadable date is not.
fn older_than(date: Option<&str>, now: time::OffsetDateTime, window_days: i64) -> bool {
    let then = date.and_then(|d| {
        time::OffsetDateTime::parse(d, &time::format_description::well_known::Rfc3339).ok()
    });
    then.is_some_and(|t| now - t > time::Duration::days(window_days))
}

/// An order's prediction: as a payment's, from what the order says — its
/// status (`processed`), open chargebacks, what is left (of the transaction a
/// partial refund names, when the rows name one, else of the order), earlier
/// refunds not the file's own, the refund window from the order's making.
fn predict_order<'a>(
    row: &Row,
    done: &std::collections::HashSet<u64>,
    asked: &HashMap<OrderId, OnPayment>,
    found: &'a HashMap<OrderId, Lookup<OrderView>>,
    now: time::OffsetDateTime,
    window_days: i64,
) -> (Prediction, Option<&'a OrderView>) {
    let Ok(v) = &row.content else {
        return (Prediction::Invalid, None);
    };
    let Target::Order(order) = &v.ask.target else {
        return (Prediction::Unreadable, None);
    };
    let o = match found.get(&order.order) {
        Some(Lookup::Found(o)) => o,
        Some(Lookup::NotFound) if !done.contains(&row.row_no) => {
            return (Prediction::NotFound, None);
        }
        _ if done.contains(&row.row_no) => return (Prediction::AlreadyDone, None),
        _ => return (Prediction::Unreadable, None),
    };
    if done.contains(&row.row_no) {
        return (Prediction::AlreadyDone, Some(o));
    }
    if o.status.as_deref() != Some("processed") {
        return (Prediction::NotRefundable, Some(o));
    }
    if o.open_chargebacks().next().is_some() {
        return (Prediction::ChargedBack, Some(o));
    }
    if currency_mismatch(v, o.currency.as_deref()) {
        return (Prediction::CurrencyMismatch, Some(o));
    }
    let Some(left) = o.left(order.transaction.as_ref()) else {
        return (Prediction::Unreadable, Some(o));
    };
    let on = &asked[&order.order];
    if on.exceeds(left) {
        return (Prediction::ExceedsBalance, Some(o));
    }
    if o.refunds.iter().any(|r| !on.own.contains(&r.id)) {
        return (Prediction::HasPriorRefunds, Some(o));
    }
    if older_than(o.created_date.as_deref(), now, window_days) {
        return (Prediction::Old, Some(o));
    }
    (Prediction::Ok, Some(o))
}

/// The prediction's columns; amounts with the input's decimal mark. An
/// order's are its status, what was paid and refunded of it, what is left,
/// its currency, when it was made, and its refunds.
fn cells(prediction: Prediction, seen: Option<Seen<'_>>, dialect: Dialect) -> Vec<String> {
    let dec = |d: Option<Decimal>| d.map(|d| dialect.amount(d)).unwrap_or_default();
    let text = |t: Option<&String>| t.cloned().unwrap_or_default();
    // A refund as `id:amount:status:` and, last, what tells it apart: an
    // order's transaction, a payment's refund's date.
    let refund = |r: Part<'_>, last: Option<&str>| {
        format!(
            "{}:{}:{}:{}",
            r.id,
            dec(r.amount),
            r.status.map_or("", RefundStatus::as_str),
            last.unwrap_or("")
        )
    };
    let p = match seen {
        None => {
            let mut v = vec![prediction.as_str().to_owned()];
            v.resize(8, String::new());
            return v;
        }
        Some(Seen::Order(o)) => {
            let paid = o.payments.iter().map(|p| p.paid()).sum::<Option<Decimal>>();
            let refunded = o
                .payments
                .iter()
                .map(|p| p.refunded_amount.unwrap_or_default())
                .sum::<Decimal>();
            let refunds: Vec<String> = o
                .refunds
                .iter()
                .map(|r| refund(r.part(), r.transaction_id.as_deref()))
                .collect();
            return vec![
                prediction.as_str().to_owned(),
                text(o.status.as_ref()),
                dec(paid),
                dec(Some(refunded)),
                dec(o.left(None)),
                text(o.currency.as_ref()),
                text(o.created_date.as_ref()),
                refunds.join("; "),
            ];
        }
        Some(Seen::Payment(p)) => p,
    };
    let left = p
        .transaction_amount
        .map(|t| t - p.transaction_amount_refunded.unwrap_or_default());
    let prior: Vec<String> = p
        .refunds
        .iter()
        .flatten()
        .map(|r| refund(r.part(), r.date_created.as_deref()))
        .collect();
    vec![
        prediction.as_str().to_owned(),
        text(p.status.as_ref()),
        dec(p.transaction_amount),
        dec(p.transaction_amount_refunded),
        dec(left),
        text(p.currency_id.as_ref()),
        text(p.date_approved.as_ref()),
        prior.join("; "),
    ]
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::str::FromStr;

    use super::*;
    use crate::api::client::MpRefund;
    use crate::domain::{Amount, IdempotencyKey, RefundAsk, RefundStatus, Valid};

    const NOW: time::OffsetDateTime = time::macros::datetime!(2026-06-01 12:00 UTC);

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn row(row_no: u64, payment: u64, amount: Option<&str>, currency: Option<&str>) -> Row {
        Row {
            row_no,
            line: row_no + 1,
            fields: Vec::new(),
            content: Ok(Valid {
                ask: RefundAsk {
                    key: IdempotencyKey::new(format!("k{row_no}")).unwrap(),
                    target: Target::Payment(PaymentId::new(payment).unwrap()),
                    requested: amount.map_or(Requested::Full, |a| {
                        Requested::Partial(Amount::new(dec(a)).unwrap())
                    }),
                },
                currency: currency.map(|c| c.parse().unwrap()),
                reference: None,
            }),
        }
    }

    fn payment(total: &str, refunded: &str) -> PaymentView {
        PaymentView {
            status: Some("approved".into()),
            currency_id: Some("BRL".into()),
            transaction_amount: Some(dec(total)),
            transaction_amount_refunded: Some(dec(refunded)),
            date_approved: Some("2026-05-20T10:00:00.000-04:00".into()),
            refunds: Some(Vec::new()),
        }
    }

    fn refund(id: &str, amount: &str) -> MpRefund {
        MpRefund {
            id: id.into(),
            amount: Some(dec(amount)),
            status: Some(RefundStatus::Approved),
            date_created: None,
            transaction_id: None,
        }
    }

    /// What the file asks of payment 1: `rows` rows summing `sum`.
    fn asked(rows: u64, sum: &str, full: bool, own: &[&str]) -> HashMap<PaymentId, OnPayment> {
        HashMap::from([(
            PaymentId::new(1).unwrap(),
            OnPayment {
                rows,
                partial_sum: dec(sum),
                full,
                own: own.iter().map(|s| s.to_string()).collect(),
            },
        )])
    }

    fn found(p: PaymentView) -> HashMap<PaymentId, Lookup> {
        HashMap::from([(PaymentId::new(1).unwrap(), Lookup::Found(p))])
    }

    fn predict_one(
        r: &Row,
        on: &HashMap<PaymentId, OnPayment>,
        f: &HashMap<PaymentId, Lookup>,
    ) -> Prediction {
        predict(r, &HashSet::new(), on, f, NOW, 180).0
    }

    #[test]
    fn a_payment_with_room_left_is_ok_and_one_without_exceeds() {
        let r = row(1, 1, Some("40"), None);
        // 60 of 100 refunded already, by this file's own rows (per the state file).
        let mut p = payment("100", "60");
        p.refunds = Some(vec![refund("77", "60")]);
        let p = found(p);
        assert_eq!(
            predict_one(&r, &asked(1, "40", false, &["77"]), &p),
            Prediction::Ok
        );
        // The file's rows on one payment are judged together.
        assert_eq!(
            predict_one(&r, &asked(2, "40.01", false, &["77"]), &p),
            Prediction::ExceedsBalance
        );
        // A `full` row beside another on the same payment, or on nothing left.
        let full: [(u64, &[&str], &str, Prediction); 3] = [
            (2, &[], "0", Prediction::ExceedsBalance),
            (1, &[], "0", Prediction::Ok),
            (1, &["77"], "100", Prediction::ExceedsBalance),
        ];
        for (rows, own, refunded, want) in full {
            let on = asked(rows, "0", true, own);
            let p = found(payment("100", refunded));
            assert_eq!(
                predict_one(&row(1, 1, None, None), &on, &p),
                want,
                "{rows} full row(s), {refunded} of 100 refunded"
            );
        }
    }

    #[test]
    fn what_the_api_says_of_the_payment_decides() {
        let r = row(1, 1, Some("10"), None);
        let on = asked(1, "10", false, &[]);
        let not_found = HashMap::from([(PaymentId::new(1).unwrap(), Lookup::NotFound)]);
        assert_eq!(predict_one(&r, &on, &not_found), Prediction::NotFound);
        let unreadable =
            HashMap::from([(PaymentId::new(1).unwrap(), Lookup::Unreadable("x".into()))]);
        assert_eq!(predict_one(&r, &on, &unreadable), Prediction::Unreadable);
        assert_eq!(
            predict_one(&r, &on, &HashMap::new()),
            Prediction::Unreadable,
            "not reached"
        );
        let mut p = payment("100", "0");
        p.status = Some("pending".into());
        assert_eq!(predict_one(&r, &on, &found(p)), Prediction::NotRefundable);
        let mut p = payment("100", "0");
        p.transaction_amount = None;
        assert_eq!(predict_one(&r, &on, &found(p)), Prediction::Unreadable);
        // Too old: approved past the refund window.
        let mut p = payment("100", "0");
        p.date_approved = Some("2025-11-01T10:00:00Z".into());
        assert_eq!(predict_one(&r, &on, &found(p)), Prediction::Old);
    }

    #[test]
    fn currency_and_prior_refunds() {
        let on = asked(1, "10", false, &[]);
        let brl = found(payment("100", "0"));
        assert_eq!(
            predict_one(&row(1, 1, Some("10"), Some("ARS")), &on, &brl),
            Prediction::CurrencyMismatch
        );
        assert_eq!(
            predict_one(&row(1, 1, Some("10"), Some("BRL")), &on, &brl),
            Prediction::Ok
        );
        // More decimals than the payment's currency has.
        let mut clp = payment("100", "0");
        clp.currency_id = Some("CLP".into());
        assert_eq!(
            predict_one(&row(1, 1, Some("10.5"), None), &on, &found(clp)),
            Prediction::CurrencyMismatch
        );
        // A refund someone else made is a prior refund; one this file's rows made is not.
        let mut p = payment("100", "25");
        p.refunds = Some(vec![refund("77", "25")]);
        assert_eq!(
            predict_one(&row(1, 1, Some("10"), None), &on, &found(p.clone())),
            Prediction::HasPriorRefunds
        );
        assert_eq!(
            predict_one(
                &row(1, 1, Some("10"), None),
                &asked(1, "10", false, &["77"]),
                &found(p)
            ),
            Prediction::Ok
        );
    }

    #[test]
    fn too_many_partials_invalid_and_already_done() {
        let p = found(payment("1000", "0"));
        assert_eq!(
            predict_one(
                &row(1, 1, Some("1"), None),
                &asked(MAX_PARTIALS + 1, "21", false, &[]),
                &p
            ),
            Prediction::TooManyPartials
        );
        assert_eq!(
            predict_one(
                &row(1, 1, Some("1"), None),
                &asked(MAX_PARTIALS, "20", false, &[]),
                &p
            ),
            Prediction::Ok
        );
        let mut bad = row(2, 1, Some("1"), None);
        bad.content = Err(crate::domain::finding::Findings::one(
            crate::domain::finding::Finding::Amount(crate::domain::finding::AmountFinding::Blank),
        ));
        assert_eq!(
            predict_one(&bad, &asked(1, "1", false, &[]), &p),
            Prediction::Invalid
        );
        // The state file says the row's key refunded already: nothing else is judged.
        let done = HashSet::from([1]);
        let (prediction, view) = predict(
            &row(1, 1, Some("5000"), None),
            &done,
            &asked(1, "5000", false, &[]),
            &p,
            NOW,
            180,
        );
        assert_eq!(prediction, Prediction::AlreadyDone);
        assert!(view.is_some());
    }

    /// An order's rows are judged from what the order says, its open
    /// chargebacks first of all.
    #[test]
    fn an_order_is_judged_by_its_status_chargebacks_balance_and_refunds() {
        let ord: OrderId = "ORD01JQ4S4KY8HWQ6NA5PXB65B3D3".parse().unwrap();
        let order_row = |amount: &str| Row {
            row_no: 1,
            line: 2,
            fields: Vec::new(),
            content: Ok(Valid {
                ask: RefundAsk {
                    key: IdempotencyKey::new("o1").unwrap(),
                    target: Target::Order(crate::domain::OrderRef {
                        order: ord,
                        transaction: None,
                    }),
                    requested: Requested::Partial(Amount::new(dec(amount)).unwrap()),
                },
                currency: None,
                reference: None,
            }),
        };
        let view = |extra: &str| {
            OrderView::parse(
                format!(
                    r#"{{"id": "{ord}", "status": "processed", "currency": "BRL",
                         "created_date": "2026-05-20T10:00:00.000-04:00",
                         "transactions": {{"payments": [{{"id": "PAY1", "paid_amount": "100.00",
                                                         "refunded_amount": "30.00"}}]{extra}}}}}"#
                )
                .as_bytes(),
            )
            .unwrap()
        };
        let judge = |r: &Row, o: OrderView, own: &[&str]| {
            let asked = HashMap::from([(
                ord,
                OnPayment {
                    rows: 1,
                    partial_sum: match &r.content {
                        Ok(v) => match v.ask.requested {
                            Requested::Partial(a) => a.get(),
                            Requested::Full => Decimal::ZERO,
                        },
                        Err(_) => Decimal::ZERO,
                    },
                    full: false,
                    own: own.iter().map(|s| s.to_string()).collect(),
                },
            )]);
            let found = HashMap::from([(ord, Lookup::Found(o))]);
            predict_order(r, &HashSet::new(), &asked, &found, NOW, 180).0
        };
        let own = r#", "refunds": [{"id": "R1", "amount": "30.00", "status": "processed"}]"#;
        assert_eq!(judge(&order_row("70"), view(own), &["R1"]), Prediction::Ok);
        assert_eq!(
            judge(&order_row("70.01"), view(own), &["R1"]),
            Prediction::ExceedsBalance
        );
        assert_eq!(
            judge(&order_row("10"), view(own), &[]),
            Prediction::HasPriorRefunds
        );
        let charged = r#", "chargebacks": [{"id": "C1", "status": "opened"}]"#;
        assert_eq!(
            judge(&order_row("10"), view(charged), &[]),
            Prediction::ChargedBack
        );
        let closed = r#", "chargebacks": [{"id": "C1", "status": "closed"}]"#;
        assert_ne!(
            judge(&order_row("10"), view(closed), &[]),
            Prediction::ChargedBack
        );
        let mut failed = view("");
        failed.status = Some("failed".into());
        assert_eq!(
            judge(&order_row("10"), failed, &[]),
            Prediction::NotRefundable
        );
        let mut old = view("");
        old.created_date = Some("2025-11-01T10:00:00Z".into());
        assert_eq!(judge(&order_row("10"), old, &[]), Prediction::Old);
    }

    /// The exit is read from what was predicted: a stop first, then invalid
    /// rows, then any row not predicted to go through.
    #[test]
    fn the_exit_is_the_predictions() {
        let predicted = |ps: &[Prediction], invalid: u64, stopped: Option<StopReason>| Predicted {
            counts: ps
                .iter()
                .map(|p| {
                    let asked = Counted {
                        rows: 1,
                        sum: Decimal::ONE,
                    };
                    ((*p, "BRL".to_owned()), Rows { asked, full: 0 })
                })
                .collect(),
            out: PathBuf::from("plan.csv"),
            stopped,
            invalid,
        };
        let ok = [Prediction::Ok, Prediction::AlreadyDone];
        assert_eq!(predicted(&ok, 0, None).exit(), Exit::Ok);
        assert_eq!(predicted(&[], 0, None).exit(), Exit::Ok);
        assert_eq!(
            predicted(&[Prediction::Ok, Prediction::Old], 0, None).exit(),
            Exit::SomeFailed
        );
        assert_eq!(
            predicted(&[Prediction::Ok, Prediction::Invalid], 1, None).exit(),
            Exit::Usage
        );
        assert_eq!(
            predicted(&ok, 1, Some(StopReason::Signal)).exit(),
            Exit::Stopped
        );
        assert_eq!(
            predicted(&ok, 0, Some(StopReason::Credentials(401))).exit(),
            Exit::NeedsPerson
        );
    }
}
