//! Row validation: one data row's cells (decoded) become a [`Row`] that is valid —
//! its refund ask, with the key derived from its content and its occurrence among
//! identical rows — or carries every reason it is not, so that all bad lines are
//! listed at once.

use std::str::FromStr;

use super::{Input, key};
use crate::domain::{Currency, Kind, PaymentId, RefundAsk, Requested, Row, Valid};

impl Input {
    /// Validates one data row; every reason found is reported, not just the first.
    pub(super) fn check(
        &mut self,
        row_no: u64,
        line: u64,
        fields: Vec<String>,
        undefined: Option<(usize, u8)>,
    ) -> Row {
        let invalid = |reason, fields| Row {
            row_no,
            line,
            fields,
            content: Err(reason),
        };
        if fields.len() != self.header.len() {
            let mut reason = format!(
                "has {} fields but the header has {}",
                fields.len(),
                self.header.len()
            );
            if self.delimiter == b',' && fields.len() > self.header.len() {
                reason.push_str(
                    " (a cell containing a comma, such as a decimal comma, must be quoted)",
                );
            }
            return invalid(reason, fields);
        }
        let c = self.columns;
        let mut reasons = Vec::new();
        if let Some(col) = self.swallowing_cell(&fields) {
            reasons.push(format!(
                "column {:?} runs over several lines and holds what look like further rows: a quote opened on line {line} and closed too late? (those rows would be lost)",
                self.header[col]
            ));
        }
        if let Some((col, byte)) = undefined {
            reasons.push(format!(
                "column {:?} contains byte 0x{byte:02X}, which is neither UTF-8 nor Windows-1252; re-export the file as \"CSV UTF-8\"",
                self.header[col]
            ));
        }
        let payment =
            PaymentId::from_str(&fields[c.payment]).map_err(|e| reasons.push(e.to_string()));
        let kind = c
            .kind
            .map_or(Ok(Kind::Payment), |i| Kind::from_str(&fields[i]))
            .map_err(|e| reasons.push(e));
        let currency = match c.currency.map(|i| fields[i].trim()) {
            None | Some("") => Ok(None),
            Some(t) => Currency::from_str(t).map(Some).map_err(|e| reasons.push(e)),
        };
        if self.dupes.is_scanning() {
            self.marks.see(&fields[c.amount]);
        }
        let requested =
            Requested::parse_grouped(&fields[c.amount], currency.ok().flatten(), self.grouping)
                .map_err(|e| reasons.push(e));
        // NFC, as the key has it: duplicates are found among what the key sees. A
        // reference our results neutralised reads back as the original: a results
        // file fed back in gets the keys of the rows it reports.
        let reference = c
            .reference
            .map(|i| crate::cell::restore(fields[i].trim()).trim())
            .filter(|r| !r.is_empty())
            .map(|r| key::nfc(r).into_owned());
        let (Ok(payment), Ok(kind), Ok(currency), Ok(requested), true) =
            (payment, kind, currency, requested, reasons.is_empty())
        else {
            return invalid(reasons.join("; "), fields);
        };

        let canonical = requested.canonical();
        let identity = key::digest128(&[
            kind.as_str().as_bytes(),
            payment.to_string().as_bytes(),
            canonical.as_bytes(),
            reference.as_deref().unwrap_or("").as_bytes(),
        ]);
        let before = self.dupes.record(identity, line);
        if self.dupes.is_scanning() {
            // The scan pass only collects identities; its rows are never looked
            // at, so the key (a hash) is not worth deriving.
            return invalid(String::new(), fields);
        }
        if before.count > 0 && !self.allow_duplicates {
            let reason = format!(
                "duplicates line {} (same payment, amount and reference); pass --allow-duplicates if intended",
                before.first_line
            );
            return invalid(reason, fields);
        }
        let key = key::derive(
            &self.namespace,
            kind,
            payment,
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
                    kind,
                    payment_id: payment,
                    requested,
                },
                currency,
                reference,
            }),
        }
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
                Some(c.payment),
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
