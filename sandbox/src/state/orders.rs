//! The orders book: orders of the Orders API (`/v1/orders`) as the sandbox holds
//! them — their payment transactions, refunds and chargebacks — the refund rules
//! (status, window, balance per transaction, decimals, partial refunds and
//! tips), the magic order ids that stand for each documented error, and the
//! order as the API renders it (money as strings).
//!
//! Invariants: a transaction's `refunded` equals the sum of its refunds that
//! are not `failed` and never exceeds its amount; refund ids strictly increase;
//! a request refused leaves the order as it was.

use std::collections::HashMap;

use rust_decimal::Decimal;
use serde::Serialize;
use time::OffsetDateTime;

use super::catalogue::{currency_decimals, magic_of};
use super::wire::format_date;

/// Refunds are accepted this many days after the order was made (online).
pub(crate) const ORDER_WINDOW_DAYS: i64 = 180;
/// How old the "past the window" magic order is.
const PAST_WINDOW_DAYS: i64 = 400;

/// Order ids whose last three characters are one of these digits stand for a
/// documented error or behaviour. The single source of the `--help` text and
/// the README table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OrderMagic {
    NotFound,
    NotOwner,
    PastWindow,
    PartialUnsupported,
    Tips,
    InProgressOnce,
    KeyAlreadyUsed,
    LockedOnce,
    ValidationFailed,
    SettlesLater,
    RefundFails,
    TwoTransactions,
    Chargeback,
    NotAuthorized,
    NotProcessed,
    InvalidStatus,
    Cashout,
}

impl OrderMagic {
    pub(crate) const ALL: [(u16, OrderMagic); 17] = [
        (900, OrderMagic::NotFound),
        (901, OrderMagic::NotOwner),
        (902, OrderMagic::PastWindow),
        (903, OrderMagic::PartialUnsupported),
        (904, OrderMagic::Tips),
        (905, OrderMagic::InProgressOnce),
        (906, OrderMagic::KeyAlreadyUsed),
        (907, OrderMagic::LockedOnce),
        (908, OrderMagic::ValidationFailed),
        (909, OrderMagic::SettlesLater),
        (910, OrderMagic::RefundFails),
        (911, OrderMagic::TwoTransactions),
        (912, OrderMagic::Chargeback),
        (913, OrderMagic::NotAuthorized),
        (914, OrderMagic::NotProcessed),
        (915, OrderMagic::InvalidStatus),
        (916, OrderMagic::Cashout),
    ];

    /// The magic of an order id (`ORD…900` to `ORD…999`), if any.
    pub(crate) fn of(id: &str) -> Option<OrderMagic> {
        let tail = id.get(id.len().checked_sub(3)?..)?;
        magic_of(&Self::ALL, tail.parse().ok()?)
    }

    /// (the order, what a refund POST answers), for the help text and README.
    pub(crate) fn describe(self) -> (&'static str, &'static str) {
        match self {
            OrderMagic::NotFound => ("does not exist", "404 order_not_found"),
            OrderMagic::NotOwner => ("another account's", "400 invalid_order_owner"),
            OrderMagic::PastWindow => ("made 400 days ago", "400 in_store_payment_refund_order"),
            OrderMagic::PartialUnsupported => (
                "partial refunds unsupported",
                "partial: 400 unsupported_partially_refunds; full: 201",
            ),
            OrderMagic::Tips => (
                "has tips",
                "partial: 403 partial_refund_forbidden_with_tips; full: 201",
            ),
            OrderMagic::InProgressOnce => (
                "another refund in progress",
                "first POST: 409 refund_in_progress; then as ordinary",
            ),
            OrderMagic::KeyAlreadyUsed => ("-", "409 idempotency_key_already_used"),
            OrderMagic::LockedOnce => ("-", "first POST: 423 resource_locked; then as ordinary"),
            OrderMagic::ValidationFailed => {
                ("-", "500 idempotency_validation_failed (nothing made)")
            }
            OrderMagic::SettlesLater => ("refund settles later", "201, refund processing"),
            OrderMagic::RefundFails => ("refund fails", "201, refund failed (balance untouched)"),
            OrderMagic::TwoTransactions => (
                "two payment transactions of 50.00",
                "like ordinary; a partial names one",
            ),
            OrderMagic::Chargeback => ("an open chargeback", "like ordinary (the tool holds it)"),
            OrderMagic::NotAuthorized => ("-", "401 user_not_authorized"),
            OrderMagic::NotProcessed => ("status action_required", "409 cannot_refund_order"),
            OrderMagic::InvalidStatus => ("status expired", "400 invalid_order_status"),
            OrderMagic::Cashout => (
                "has a cash withdrawal (cashout)",
                "partial: 400 partial_refund_not_allowed_with_cashout; full: 201",
            ),
        }
    }
}

/// An Orders API error: HTTP status, the string code, a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OrderError {
    pub(crate) status: u16,
    pub(crate) code: &'static str,
    pub(crate) message: &'static str,
}

impl OrderError {
    const fn new(status: u16, code: &'static str, message: &'static str) -> Self {
        OrderError {
            status,
            code,
            message,
        }
    }

    pub(crate) const EMPTY_KEY: OrderError = OrderError::new(
        400,
        "empty_required_header",
        "Missing HTTP header: X-Idempotency-Key",
    );
    pub(crate) const KEY_LENGTH: OrderError = OrderError::new(
        400,
        "invalid_idempotency_key_length",
        "X-Idempotency-Key length exceeds 128 characters",
    );
    pub(crate) const PATH_PARAM: OrderError = OrderError::new(
        400,
        "invalid_path_param",
        "order_id must be ORD followed by 26 characters",
    );
    pub(crate) const NOT_OWNER: OrderError = OrderError::new(
        400,
        "invalid_order_owner",
        "the order was not created by the requester",
    );
    pub(crate) const NOT_FOUND: OrderError =
        OrderError::new(404, "order_not_found", "Order not found");
    pub(crate) const TRANSACTION_NOT_FOUND: OrderError = OrderError::new(
        404,
        "transaction_not_found",
        "Transaction not found in the order",
    );
    pub(crate) const PARTIAL_UNSUPPORTED: OrderError = OrderError::new(
        400,
        "unsupported_partially_refunds",
        "The order does not support partial refunds",
    );
    pub(crate) const EXCEEDS: OrderError = OrderError::new(
        400,
        "refund_amount_exceeds",
        "The refund amount exceeds the available balance",
    );
    pub(crate) const TIPS: OrderError = OrderError::new(
        403,
        "partial_refund_forbidden_with_tips",
        "Partial refunds are not allowed on orders with tips",
    );
    pub(crate) const PAST_WINDOW: OrderError = OrderError::new(
        400,
        "in_store_payment_refund_order",
        "The maximum refund period has been exceeded",
    );
    pub(crate) const IN_PROGRESS: OrderError = OrderError::new(
        409,
        "refund_in_progress",
        "A refund is already being processed for this order",
    );
    pub(crate) const KEY_USED: OrderError = OrderError::new(
        409,
        "idempotency_key_already_used",
        "The X-Idempotency-Key was already used with a different body",
    );
    pub(crate) const LOCKED: OrderError = OrderError::new(
        423,
        "resource_locked",
        "The resource is locked by another request; try again later",
    );
    pub(crate) const VALIDATION_FAILED: OrderError = OrderError::new(
        500,
        "idempotency_validation_failed",
        "Validation fail. Please try submitting the request again",
    );
    pub(crate) const ALREADY_REFUNDED: OrderError = OrderError::new(
        409,
        "order_already_refunded",
        "The order has already been fully refunded",
    );
    pub(crate) const CANNOT_REFUND: OrderError = OrderError::new(
        409,
        "cannot_refund_order",
        "Only orders with status processed can be refunded",
    );
    pub(crate) const INVALID_STATUS: OrderError = OrderError::new(
        400,
        "invalid_order_status",
        "The order's status does not allow a refund",
    );
    pub(crate) const CASHOUT: OrderError = OrderError::new(
        400,
        "partial_refund_not_allowed_with_cashout",
        "Partial refunds are not allowed on orders with a cash withdrawal",
    );
    pub(crate) const UNAUTHORIZED: OrderError = OrderError::new(
        401,
        "unauthorized",
        "The access token is invalid or expired",
    );
    pub(crate) const USER_NOT_AUTHORIZED: OrderError = OrderError::new(
        401,
        "user_not_authorized",
        "The user does not have permission to perform this action",
    );
    pub(crate) const BAD_BODY: OrderError =
        OrderError::new(400, "json_syntax_error", "An incorrect JSON was sent");
    pub(crate) const BAD_AMOUNT: OrderError = OrderError::new(
        400,
        "property_value",
        "transactions[].amount must be a positive amount, as a string, with the currency's decimals",
    );
    pub(crate) const ONE_TRANSACTION: OrderError = OrderError::new(
        400,
        "maximum_items",
        "send one transaction, with its id and amount",
    );
    /// The Orders API's generic error: its code is the status.
    pub(crate) const INTERNAL: OrderError = OrderError::new(500, "500", "Generic error");
}

/// What an order refund POST asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum OrderAsk {
    /// No body, `{}` or no `transactions`: what is left of every transaction.
    Full,
    Partial {
        transaction: String,
        amount: Decimal,
    },
}

impl OrderAsk {
    /// The body of `POST /v1/orders/{id}/refund`: `transactions` holds one
    /// `{"id", "amount"}`, the amount a string (a number is refused, as the
    /// API's schema does).
    pub(crate) fn parse(body: &[u8]) -> Result<OrderAsk, OrderError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(OrderAsk::Full);
        }
        let v: serde_json::Value =
            serde_json::from_slice(body).map_err(|_| OrderError::BAD_BODY)?;
        let serde_json::Value::Object(map) = v else {
            return Err(OrderError::BAD_BODY);
        };
        let items = match map.get("transactions") {
            None | Some(serde_json::Value::Null) => return Ok(OrderAsk::Full),
            Some(serde_json::Value::Array(items)) if items.is_empty() => {
                return Ok(OrderAsk::Full);
            }
            Some(serde_json::Value::Array(items)) if items.len() == 1 => &items[0],
            Some(_) => return Err(OrderError::ONE_TRANSACTION),
        };
        let (Some(serde_json::Value::String(id)), Some(amount)) =
            (items.get("id"), items.get("amount"))
        else {
            return Err(OrderError::ONE_TRANSACTION);
        };
        let serde_json::Value::String(text) = amount else {
            return Err(OrderError::BAD_AMOUNT);
        };
        let amount = Decimal::from_str_exact(text.trim())
            .ok()
            .filter(|a| *a > Decimal::ZERO && text.trim() == text)
            .ok_or(OrderError::BAD_AMOUNT)?;
        Ok(OrderAsk::Partial {
            transaction: id.clone(),
            amount: amount.normalize(),
        })
    }
}

/// A payment transaction of an order.
#[derive(Debug, Clone)]
pub(crate) struct Transaction {
    pub(crate) id: String,
    pub(crate) amount: Decimal,
    /// Refunded or being refunded (refunds not `failed`).
    pub(crate) refunded: Decimal,
}

/// One refund of an order (the admin view's row).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderRefundRecord {
    pub id: String,
    pub order_id: String,
    pub transaction_id: String,
    #[serde(serialize_with = "as_text")]
    pub amount: Decimal,
    /// `processed`, `processing` or `failed`.
    pub status: String,
    /// Empty for a refund made by hand.
    pub idempotency_key: String,
    pub date_created: String,
}

/// Money as the Orders API writes it: a string.
fn as_text<S: serde::Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&d.to_string())
}

/// An order as the sandbox holds it.
#[derive(Debug, Clone)]
pub(crate) struct Order {
    pub(crate) id: String,
    pub(crate) currency: String,
    pub(crate) decimals: u32,
    /// `processed` (refundable), or another the API refuses refunds for.
    pub(crate) status: String,
    pub(crate) created: OffsetDateTime,
    pub(crate) transactions: Vec<Transaction>,
    /// Indices into the book's refunds, oldest first.
    pub(crate) refunds: Vec<usize>,
    /// An open chargeback on the first transaction.
    pub(crate) chargeback: bool,
    pub(crate) tips: bool,
    /// A cash withdrawal (cashout) paid out with the order: only a full refund.
    pub(crate) cashout: bool,
    pub(crate) magic: Option<OrderMagic>,
    /// Refund POSTs this order has received (the "first POST" magics).
    pub(crate) posts: u32,
}

impl Order {
    /// An order of `amount` in `transactions` equal payment transactions.
    pub(crate) fn new(
        id: &str,
        amount: Decimal,
        currency: &str,
        transactions: u32,
        created: OffsetDateTime,
    ) -> Order {
        let n = transactions.max(1);
        let decimals = currency_decimals(currency);
        let share = (amount / Decimal::from(n)).round_dp(decimals);
        let body = id.get(3..26).unwrap_or("0");
        let transactions = (1..=n)
            .map(|i| Transaction {
                id: format!("PAY{body}{i:03}"),
                // The last takes what rounding left over.
                amount: if i == n {
                    amount - share * Decimal::from(n - 1)
                } else {
                    share
                },
                refunded: Decimal::ZERO,
            })
            .collect();
        Order {
            id: id.to_owned(),
            currency: currency.to_owned(),
            decimals,
            status: "processed".to_owned(),
            created,
            transactions,
            refunds: Vec::new(),
            chargeback: false,
            tips: false,
            cashout: false,
            magic: None,
            posts: 0,
        }
    }

    /// The order an undeclared id stands for: an ordinary processed BRL order of
    /// 100.00 in one payment transaction, made today — or its magic's.
    fn implicit(id: &str, now: OffsetDateTime) -> Option<Order> {
        let magic = OrderMagic::of(id);
        let hundred = Decimal::new(10_000, 2);
        let (created, transactions) = match magic {
            Some(OrderMagic::NotFound) => return None,
            Some(OrderMagic::PastWindow) => (now - time::Duration::days(PAST_WINDOW_DAYS), 1),
            Some(OrderMagic::TwoTransactions) => (now, 2),
            _ => (now, 1),
        };
        let mut o = Order::new(id, hundred, "BRL", transactions, created);
        o.chargeback = magic == Some(OrderMagic::Chargeback);
        o.tips = magic == Some(OrderMagic::Tips);
        o.cashout = magic == Some(OrderMagic::Cashout);
        match magic {
            Some(OrderMagic::NotProcessed) => o.status = "action_required".to_owned(),
            Some(OrderMagic::InvalidStatus) => o.status = "expired".to_owned(),
            _ => {}
        }
        o.magic = magic;
        Some(o)
    }

    fn total(&self) -> Decimal {
        self.transactions.iter().map(|t| t.amount).sum()
    }

    fn refunded(&self) -> Decimal {
        self.transactions.iter().map(|t| t.refunded).sum()
    }

    fn money(&self, d: Decimal) -> String {
        let mut d = d.round_dp(self.decimals);
        d.rescale(self.decimals);
        d.to_string()
    }
}

/// Whether `id` is an order id as the API accepts one: `ORD` + 26 letters and digits.
pub(crate) fn valid_order_id(id: &str) -> bool {
    id.len() == 29 && id.starts_with("ORD") && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// The first refund id's number; ids then increase by one.
const FIRST_REFUND: u64 = 1;

pub(crate) struct Orders {
    orders: HashMap<String, Order>,
    pub(crate) refunds: Vec<OrderRefundRecord>,
    next_refund: u64,
}

impl Default for Orders {
    fn default() -> Self {
        Orders {
            orders: HashMap::new(),
            refunds: Vec::new(),
            next_refund: FIRST_REFUND,
        }
    }
}

/// The order as the API renders it (`GET /v1/orders/{id}`, and a refund's answer).
#[derive(Serialize)]
pub(crate) struct OrderJson {
    id: String,
    #[serde(rename = "type")]
    kind: &'static str,
    status: String,
    status_detail: &'static str,
    currency: String,
    total_amount: String,
    total_paid_amount: String,
    created_date: String,
    transactions: TransactionsJson,
}

#[derive(Serialize)]
struct TransactionsJson {
    payments: Vec<PaymentJson>,
    refunds: Vec<RefundJson>,
    chargebacks: Vec<ChargebackJson>,
}

#[derive(Serialize)]
struct PaymentJson {
    id: String,
    amount: String,
    paid_amount: String,
    refunded_amount: String,
    status: &'static str,
    status_detail: &'static str,
}

#[derive(Serialize)]
struct RefundJson {
    id: String,
    transaction_id: String,
    reference_id: String,
    amount: String,
    status: String,
}

#[derive(Serialize)]
struct ChargebackJson {
    id: String,
    transaction_id: String,
    case_id: String,
    status: &'static str,
}

impl Orders {
    pub(crate) fn declare(&mut self, o: Order) {
        self.orders.insert(o.id.clone(), o);
    }

    /// The order, made on first sight when its id stands for one.
    pub(crate) fn order(&mut self, id: &str, now: OffsetDateTime) -> Option<&Order> {
        self.order_mut(id, now).map(|o| &*o)
    }

    fn order_mut(&mut self, id: &str, now: OffsetDateTime) -> Option<&mut Order> {
        use std::collections::hash_map::Entry;
        match self.orders.entry(id.to_owned()) {
            Entry::Occupied(e) => Some(e.into_mut()),
            Entry::Vacant(e) => Order::implicit(id, now).map(|o| e.insert(o)),
        }
    }

    /// The errors a refund POST meets before anything is decided (its magic's
    /// "first POST" ones included, which count the POST).
    pub(crate) fn admit(&mut self, id: &str, now: OffsetDateTime) -> Result<(), OrderError> {
        let o = self.order_mut(id, now).ok_or(OrderError::NOT_FOUND)?;
        o.posts += 1;
        match o.magic {
            Some(OrderMagic::NotOwner) => Err(OrderError::NOT_OWNER),
            Some(OrderMagic::NotAuthorized) => Err(OrderError::USER_NOT_AUTHORIZED),
            Some(OrderMagic::KeyAlreadyUsed) => Err(OrderError::KEY_USED),
            Some(OrderMagic::InProgressOnce) if o.posts == 1 => Err(OrderError::IN_PROGRESS),
            Some(OrderMagic::LockedOnce) if o.posts == 1 => Err(OrderError::LOCKED),
            Some(OrderMagic::ValidationFailed) => Err(OrderError::VALIDATION_FAILED),
            _ => Ok(()),
        }
    }

    /// Applies the refund rules and, when they allow it, makes the refunds (one
    /// per transaction with something left, for a full refund); `key` is empty
    /// for a refund made by hand.
    pub(crate) fn refund(
        &mut self,
        id: &str,
        ask: &OrderAsk,
        key: &str,
        now: OffsetDateTime,
    ) -> Result<(), OrderError> {
        let first_id = self.next_refund;
        let index = self.refunds.len();
        let o = self.order_mut(id, now).ok_or(OrderError::NOT_FOUND)?;
        if o.status != "processed" {
            return Err(if o.magic == Some(OrderMagic::InvalidStatus) {
                OrderError::INVALID_STATUS
            } else {
                OrderError::CANNOT_REFUND
            });
        }
        if now - o.created > time::Duration::days(ORDER_WINDOW_DAYS) {
            return Err(OrderError::PAST_WINDOW);
        }
        let parts: Vec<(usize, Decimal)> = match ask {
            OrderAsk::Full => {
                let left: Vec<(usize, Decimal)> = o
                    .transactions
                    .iter()
                    .enumerate()
                    .map(|(i, t)| (i, t.amount - t.refunded))
                    .filter(|(_, left)| *left > Decimal::ZERO)
                    .collect();
                if left.is_empty() {
                    return Err(OrderError::ALREADY_REFUNDED);
                }
                left
            }
            OrderAsk::Partial {
                transaction,
                amount,
            } => {
                if o.magic == Some(OrderMagic::PartialUnsupported) {
                    return Err(OrderError::PARTIAL_UNSUPPORTED);
                }
                if o.tips {
                    return Err(OrderError::TIPS);
                }
                if o.cashout {
                    return Err(OrderError::CASHOUT);
                }
                let i = o
                    .transactions
                    .iter()
                    .position(|t| t.id == *transaction)
                    .ok_or(OrderError::TRANSACTION_NOT_FOUND)?;
                if amount.scale() > o.decimals {
                    return Err(OrderError::BAD_AMOUNT);
                }
                let t = &o.transactions[i];
                if *amount > t.amount - t.refunded {
                    return Err(OrderError::EXCEEDS);
                }
                vec![(i, *amount)]
            }
        };
        let status = match o.magic {
            Some(OrderMagic::SettlesLater) => "processing",
            Some(OrderMagic::RefundFails) => "failed",
            _ => "processed",
        };
        let mut made = Vec::new();
        for (n, (i, amount)) in parts.into_iter().enumerate() {
            let t = &mut o.transactions[i];
            if status != "failed" {
                t.refunded += amount;
            }
            o.refunds.push(index + n);
            made.push(OrderRefundRecord {
                id: format!("REF{:026}", first_id + n as u64),
                order_id: o.id.clone(),
                transaction_id: t.id.clone(),
                amount: amount.normalize(),
                status: status.to_owned(),
                idempotency_key: key.to_owned(),
                date_created: format_date(now),
            });
        }
        self.next_refund += made.len() as u64;
        self.refunds.extend(made);
        Ok(())
    }

    /// The order as the API renders it.
    pub(crate) fn json(&self, o: &Order) -> OrderJson {
        let refunds: Vec<&OrderRefundRecord> = o
            .refunds
            .iter()
            .filter_map(|&i| self.refunds.get(i))
            .collect();
        let refunded = o.refunded();
        let detail = if refunded >= o.total() {
            "refunded"
        } else if refunded > Decimal::ZERO {
            "partially_refunded"
        } else if o.status == "processed" {
            "accredited"
        } else {
            "waiting_payment"
        };
        OrderJson {
            id: o.id.clone(),
            kind: "online",
            status: o.status.clone(),
            status_detail: detail,
            currency: o.currency.clone(),
            total_amount: o.money(o.total()),
            total_paid_amount: o.money(o.total()),
            created_date: format_date(o.created),
            transactions: TransactionsJson {
                payments: o
                    .transactions
                    .iter()
                    .map(|t| PaymentJson {
                        id: t.id.clone(),
                        amount: o.money(t.amount),
                        paid_amount: o.money(t.amount),
                        refunded_amount: o.money(t.refunded),
                        status: if t.refunded >= t.amount {
                            "refunded"
                        } else {
                            "processed"
                        },
                        status_detail: if t.refunded >= t.amount {
                            "refunded"
                        } else if t.refunded > Decimal::ZERO {
                            "partially_refunded"
                        } else {
                            "accredited"
                        },
                    })
                    .collect(),
                refunds: refunds
                    .iter()
                    .map(|r| RefundJson {
                        id: r.id.clone(),
                        transaction_id: r.transaction_id.clone(),
                        reference_id: r
                            .id
                            .trim_start_matches("REF")
                            .trim_start_matches('0')
                            .to_owned(),
                        amount: o.money(r.amount),
                        status: r.status.clone(),
                    })
                    .collect(),
                chargebacks: o
                    .chargeback
                    .then(|| ChargebackJson {
                        id: format!("CHB{}", o.id.get(3..).unwrap_or_default()),
                        transaction_id: o.transactions[0].id.clone(),
                        case_id: "sandbox-case-1".to_owned(),
                        status: "opened",
                    })
                    .into_iter()
                    .collect(),
            },
        }
    }

    /// Changes a refund after the fact: `failed` gives its money back to its
    /// transaction, `processed` settles it. `None` when no such refund.
    pub(crate) fn change_refund(&mut self, id: &str, status: &str) -> Option<&OrderRefundRecord> {
        let index = self.refunds.iter().position(|r| r.id == id)?;
        let r = &mut self.refunds[index];
        let before = r.status != "failed";
        r.status = status.to_owned();
        let after = r.status != "failed";
        let (order, transaction, amount) = (r.order_id.clone(), r.transaction_id.clone(), r.amount);
        if let Some(t) = self
            .orders
            .get_mut(&order)
            .and_then(|o| o.transactions.iter_mut().find(|t| t.id == transaction))
        {
            if before && !after {
                t.refunded -= amount;
            } else if after && !before {
                t.refunded += amount;
            }
        }
        self.refunds.get(index)
    }

    /// Settles `processing` refunds as `processed`: every one, or (with `after`)
    /// those made at least that long before `now`. Returns how many changed.
    pub(crate) fn settle(
        &mut self,
        now: OffsetDateTime,
        after: Option<std::time::Duration>,
    ) -> usize {
        let mut n = 0;
        for r in self.refunds.iter_mut().filter(|r| r.status == "processing") {
            let due = after.is_none_or(|after| {
                OffsetDateTime::parse(
                    &r.date_created,
                    &time::format_description::well_known::Rfc3339,
                )
                .is_ok_and(|c| now - c >= after)
            });
            if due {
                r.status = "processed".to_owned();
                n += 1;
            }
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORD: &str = "ORD01JQ4S4KY8HWQ6NA5PXB65B001";

    fn magic(n: u16) -> String {
        format!("ORD01JQ4S4KY8HWQ6NA5PXB65B{n}")
    }

    fn dec(s: &str) -> Decimal {
        Decimal::from_str_exact(s).unwrap()
    }

    fn partial(o: &Orders, id: &str, amount: &str) -> OrderAsk {
        let _ = o;
        OrderAsk::Partial {
            transaction: format!("PAY{}001", &id[3..26]),
            amount: dec(amount),
        }
    }

    #[test]
    fn bodies_parse_to_asks() {
        assert_eq!(OrderAsk::parse(b""), Ok(OrderAsk::Full));
        assert_eq!(OrderAsk::parse(b"{}"), Ok(OrderAsk::Full));
        assert_eq!(
            OrderAsk::parse(br#"{"transactions":[]}"#),
            Ok(OrderAsk::Full)
        );
        assert_eq!(
            OrderAsk::parse(br#"{"transactions":[{"id":"PAY1","amount":"10.50"}]}"#),
            Ok(OrderAsk::Partial {
                transaction: "PAY1".into(),
                amount: dec("10.5")
            })
        );
        assert_eq!(
            OrderAsk::parse(br#"{"transactions":[{"id":"PAY1","amount":10.5}]}"#),
            Err(OrderError::BAD_AMOUNT)
        );
        assert_eq!(
            OrderAsk::parse(br#"{"transactions":[{"id":"PAY1","amount":"0"}]}"#),
            Err(OrderError::BAD_AMOUNT)
        );
        assert_eq!(
            OrderAsk::parse(
                br#"{"transactions":[{"id":"A","amount":"1"},{"id":"B","amount":"1"}]}"#
            ),
            Err(OrderError::ONE_TRANSACTION)
        );
        assert_eq!(OrderAsk::parse(b"nope"), Err(OrderError::BAD_BODY));
    }

    #[test]
    fn partial_refunds_add_up_and_full_takes_the_rest() {
        let mut o = Orders::default();
        let now = OffsetDateTime::now_utc();
        let ask = partial(&o, ORD, "60");
        o.refund(ORD, &ask, "a", now).unwrap();
        let more = partial(&o, ORD, "40.01");
        assert_eq!(o.refund(ORD, &more, "b", now), Err(OrderError::EXCEEDS));
        o.refund(ORD, &OrderAsk::Full, "c", now).unwrap();
        assert_eq!(
            o.refunds.iter().map(|r| r.amount).collect::<Vec<_>>(),
            [dec("60"), dec("40")]
        );
        assert_eq!(o.refunds[0].id, "REF00000000000000000000000001");
        assert_eq!(
            o.refund(ORD, &OrderAsk::Full, "d", now),
            Err(OrderError::ALREADY_REFUNDED)
        );
        let json = serde_json::to_value(o.json(o.orders.get(ORD).unwrap())).unwrap();
        assert_eq!(json["status_detail"], "refunded");
        assert_eq!(
            json["transactions"]["payments"][0]["refunded_amount"],
            "100.00"
        );
        assert_eq!(json["transactions"]["refunds"][1]["amount"], "40.00");
        let wrong = OrderAsk::Partial {
            transaction: "PAY0".into(),
            amount: dec("1"),
        };
        let other = "ORD01JQ4S4KY8HWQ6NA5PXB65B002";
        assert_eq!(
            o.refund(other, &wrong, "e", now),
            Err(OrderError::TRANSACTION_NOT_FOUND)
        );
    }

    #[test]
    fn magic_orders_answer_their_errors() {
        let mut o = Orders::default();
        let now = OffsetDateTime::now_utc();
        assert_eq!(o.admit(&magic(900), now), Err(OrderError::NOT_FOUND));
        assert_eq!(o.admit(&magic(901), now), Err(OrderError::NOT_OWNER));
        assert_eq!(
            o.refund(&magic(902), &OrderAsk::Full, "k", now),
            Err(OrderError::PAST_WINDOW)
        );
        let p = partial(&o, &magic(903), "1");
        assert_eq!(
            o.refund(&magic(903), &p, "k", now),
            Err(OrderError::PARTIAL_UNSUPPORTED)
        );
        let p = partial(&o, &magic(904), "1");
        assert_eq!(o.refund(&magic(904), &p, "k", now), Err(OrderError::TIPS));
        assert_eq!(o.admit(&magic(905), now), Err(OrderError::IN_PROGRESS));
        assert_eq!(o.admit(&magic(905), now), Ok(()));
        assert_eq!(o.admit(&magic(906), now), Err(OrderError::KEY_USED));
        assert_eq!(o.admit(&magic(907), now), Err(OrderError::LOCKED));
        assert_eq!(o.admit(&magic(907), now), Ok(()));
        assert_eq!(
            o.admit(&magic(908), now),
            Err(OrderError::VALIDATION_FAILED)
        );
        assert_eq!(
            o.admit(&magic(913), now),
            Err(OrderError::USER_NOT_AUTHORIZED)
        );
        assert_eq!(
            o.refund(&magic(914), &OrderAsk::Full, "k", now),
            Err(OrderError::CANNOT_REFUND)
        );
        assert_eq!(
            o.refund(&magic(915), &OrderAsk::Full, "k", now),
            Err(OrderError::INVALID_STATUS)
        );
        let p = partial(&o, &magic(916), "1");
        assert_eq!(
            o.refund(&magic(916), &p, "k", now),
            Err(OrderError::CASHOUT)
        );
        o.refund(&magic(909), &OrderAsk::Full, "k", now).unwrap();
        o.refund(&magic(910), &OrderAsk::Full, "k", now).unwrap();
        assert_eq!(o.refunds[0].status, "processing");
        assert_eq!(o.refunds[1].status, "failed");
        // A failed refund leaves the balance whole; a processing one settles.
        assert_eq!(o.order(&magic(910), now).unwrap().refunded(), Decimal::ZERO);
        assert_eq!(o.settle(now, None), 1);
        assert_eq!(o.refunds[0].status, "processed");
        o.refund(&magic(911), &OrderAsk::Full, "k", now).unwrap();
        assert_eq!(o.refunds.len(), 4, "one refund per transaction");
        let twelve = o.order(&magic(912), now).unwrap().clone();
        let json = serde_json::to_value(o.json(&twelve)).unwrap();
        assert_eq!(json["transactions"]["chargebacks"][0]["status"], "opened");
        for (s, m) in OrderMagic::ALL {
            assert_eq!(OrderMagic::of(&magic(s)), Some(m));
        }
        assert_eq!(OrderMagic::of(ORD), None);
    }
}
