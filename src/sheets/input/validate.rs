//! Row validation: one data row's cells (decoded) become a [`Row`] that is valid —
//! its refund ask, with the key derived from its content and its occurrence among
//! identical rows — or carries every reason it is not, so that all bad lines are
//! listed at once.

use std::str::FromStr;

use super::{Input, key};
use crate::domain::finding::{Finding, Findings};
use crate::domain::{
    Currency, Kind, OrderId, OrderRef, PaymentId, RefundAsk, Requested, Row, Target, TransactionId,
    Valid,
};

impl Input {
    /// Validates one data row; every reason found is reported, not just the first.
    pub(super) fn check(
        &mut self,
        row_no: u64,
        line: u64,
        fields: Vec<String>,
        undefined: Option<(usize, u8)>,
    ) -> Row {
        let invalid = |reasons: Vec<Finding>, fields| Row {
            row_no,
            line,
            fields,
            content: Err(Findings(reasons)),
        };
        if fields.len() != self.header.len() {
            let reason = Finding::FieldCount {
                got: fields.len(),
                want: self.header.len(),
                comma: self.delimiter == b',' && fields.len() > self.header.len(),
            };
            return invalid(vec![reason], fields);
        }
        let c = self.columns;
        let mut reasons = Vec::new();
        if let Some(col) = self.swallowing_cell(&fields) {
            reasons.push(Finding::SwallowedRows {
                column: self.header[col].clone(),
                line,
            });
        }
        if let Some((col, byte)) = undefined {
            reasons.push(Finding::UndefinedByte {
                column: self.header[col].clone(),
                byte,
            });
        }
        let kind = c
            .kind
            .map(|i| fields[i].trim())
            .filter(|k| !k.is_empty())
            .map(|k| {
                Kind::from_str(k).map_err(|said| Finding::Kind {
                    cell: k.to_owned(),
                    said,
                })
            })
            .transpose();
        let currency = match c.currency.map(|i| fields[i].trim()) {
            None | Some("") => Ok(None),
            Some(t) => Currency::from_str(t)
                .map(Some)
                .map_err(|said| Finding::Currency {
                    cell: t.to_owned(),
                    said,
                }),
        };
        if self.dupes.is_scanning() {
            self.marks.see(&fields[c.amount]);
        }
        let requested = Requested::parse_grouped(
            &fields[c.amount],
            currency.as_ref().ok().copied().flatten(),
            self.grouping,
        );
        let target = self.target(
            &fields,
            kind.as_ref().ok().copied().flatten(),
            requested.as_ref().ok(),
        );
        // Every reason, in the order of the cells a person checks: the id, the
        // kind, the currency, the amount.
        let target = target.map_err(|e| reasons.push(e));
        let _ = kind.map_err(|e| reasons.push(e));
        let currency = currency.map_err(|e| reasons.push(e));
        let requested = requested.map_err(|e| reasons.push(Finding::Amount(e)));
        // NFC, as the key has it: duplicates are found among what the key sees. A
        // reference our results neutralised reads back as the original: a results
        // file fed back in gets the keys of the rows it reports.
        let reference = c
            .reference
            .map(|i| crate::sheets::cell::restore(fields[i].trim()).trim())
            .filter(|r| !r.is_empty())
            .map(|r| key::nfc(r).into_owned());
        let (Ok(target), Ok(currency), Ok(requested), true) =
            (target, currency, requested, reasons.is_empty())
        else {
            return invalid(reasons, fields);
        };

        let canonical = requested.canonical();
        let id = target.to_string();
        let mut identity_fields = vec![
            target.kind().as_str().as_bytes(),
            id.as_bytes(),
            canonical.as_bytes(),
            reference.as_deref().unwrap_or("").as_bytes(),
        ];
        if let Target::Order(o) = &target {
            identity_fields.push(o.transaction.as_ref().map_or("", |t| t.as_str()).as_bytes());
        }
        let identity = key::digest128(&identity_fields);
        let before = self.dupes.record(identity, line);
        if self.dupes.is_scanning() {
            // The scan pass only collects identities; its rows are never looked
            // at, so the key (a hash) is not worth deriving.
            return invalid(Vec::new(), fields);
        }
        if before.count > 0 && !self.allow_duplicates {
            let reason = Finding::Duplicate {
                first_line: before.first_line,
            };
            return invalid(vec![reason], fields);
        }
        let key = key::of(
            &self.namespace,
            &target,
            &requested,
            reference.as_deref(),
            before.count.saturating_add(1),
        );
        Row {
            row_no,
            line,
            fields,
            content: Ok(Valid {
                ask: RefundAsk {
                    key,
                    target,
                    requested,
                },
                currency,
                reference,
            }),
        }
    }

    /// What the row refunds, from its id cells and its `kind` (`None` when the
    /// file has no kind column or the cell is blank: the id says).
    ///
    /// An `ORD…` id, in the order id column or the payment id column, is an
    /// order; digits are a payment. An order id column's cell that is not an
    /// order (a report's `ORDER_ID` of a marketplace sale, say) passes through
    /// when the row's payment id is there. A transaction id belongs to an
    /// order's partial refund only: a full refund is of the whole order, and
    /// refunding every transaction of an order the row named one of could pay
    /// back more than it asked.
    fn target(
        &self,
        fields: &[String],
        kind: Option<Kind>,
        requested: Option<&Requested>,
    ) -> Result<Target, Finding> {
        let c = self.columns;
        let cell = |i: Option<usize>| i.map_or("", |i| fields[i].trim());
        let (payment, order, transaction) = (cell(c.payment), cell(c.order), cell(c.transaction));
        let order = match order {
            o if OrderId::looks_like(o) => {
                if !payment.is_empty() && payment != o {
                    return Err(Finding::Order {
                        said: format!(
                            "names payment {} and order {}: one row refunds one of them",
                            crate::domain::excerpt::excerpt(payment),
                            crate::domain::excerpt::excerpt(o)
                        ),
                    });
                }
                Some(o)
            }
            "" => OrderId::looks_like(payment).then_some(payment),
            o if payment.is_empty() => Some(o),
            _ => None,
        };
        let Some(order) = order else {
            let id = PaymentId::from_str(payment).map_err(|e| match e {
                crate::domain::PaymentIdError::Blank if c.order.is_some() => Finding::IdsBlank,
                e => Finding::PaymentId(e),
            })?;
            if !transaction.is_empty() {
                return Err(Finding::Order {
                    said: format!(
                        "transaction id {} belongs to an order's row; payment {id} has none",
                        crate::domain::excerpt::excerpt(transaction)
                    ),
                });
            }
            return match kind.unwrap_or(Kind::Payment) {
                Kind::Payment => Ok(Target::Payment(id)),
                Kind::AdvancedPayment => Ok(Target::AdvancedPayment(id)),
                Kind::Order => Err(Finding::Order {
                    said: format!("kind \"order\" needs an order id (ORD…), not payment {id}"),
                }),
            };
        };
        let order = OrderId::from_str(order).map_err(|e| Finding::Order {
            said: e.to_string(),
        })?;
        if let Some(k @ (Kind::Payment | Kind::AdvancedPayment)) = kind {
            return Err(Finding::Order {
                said: format!(
                    "kind {k:?} names a payment, but {order} is an order",
                    k = k.as_str()
                ),
            });
        }
        let transaction = match transaction {
            "" => None,
            _ if requested == Some(&Requested::Full) => {
                return Err(Finding::Order {
                    said: format!(
                        "a full refund is of the whole order {order}: leave its transaction id blank, or write the amount to refund of transaction {}",
                        crate::domain::excerpt::excerpt(transaction)
                    ),
                });
            }
            t => Some(TransactionId::from_str(t).map_err(|e| Finding::Order {
                said: e.to_string(),
            })?),
        };
        Ok(Target::Order(OrderRef { order, transaction }))
    }

    /// A cell spanning lines is legitimate (Excel's Alt+Enter in a note), but not
    /// in a column the refund is made of, nor when a later line of it has as many
    /// delimiters as a row: then a stray quote has swallowed rows.
    fn swallowing_cell(&self, fields: &[String]) -> Option<usize> {
        let c = self.columns;
        let row_like = self.header.len().saturating_sub(1).max(1);
        let holds_rows = |f: &String| {
            f.split(['\n', '\r'])
                .skip(1)
                .any(|l| l.bytes().filter(|&b| b == self.delimiter).count() >= row_like)
        };
        fields.iter().position(holds_rows).or_else(|| {
            [
                c.payment,
                c.order,
                c.transaction,
                Some(c.amount),
                c.reference,
                c.kind,
                c.currency,
            ]
            .into_iter()
            .flatten()
            .find(|&i| fields[i].contains(['\n', '\r']))
        })
    }
}
