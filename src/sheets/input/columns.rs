//! Column matching: which header cells are the payment id or the order id (one
//! of them at least), the amount, and the optional transaction, reference, kind
//! and currency — by name, ignoring case, accents,
//! spaces, `_`, `-` and `.`, with the names Mercado Pago's own exports and
//! people use in Portuguese and Spanish (`ID do pagamento`, `Número da operação`,
//! `Valor a devolver`, `ID de pago`, `Monto`...), so a file saved as it came out
//! of the panel, or a re-export with renamed columns, reads the same. A name
//! means one column only: words such as `tipo` or `motivo`, which mean too many
//! things, are left to pass through.

use std::path::Path;

use unicode_normalization::UnicodeNormalization;

use super::InputError;
use crate::domain::excerpt::excerpt;

/// Where the recognised columns are: a payment id column, an order id column,
/// or both (a file mixing payments and orders may hold each in its own column,
/// or orders' `ORD…` ids in the payment id column).
#[derive(Debug, Clone, Copy)]
pub(super) struct Columns {
    pub(super) payment: Option<usize>,
    pub(super) order: Option<usize>,
    pub(super) transaction: Option<usize>,
    pub(super) amount: usize,
    pub(super) reference: Option<usize>,
    pub(super) kind: Option<usize>,
    pub(super) currency: Option<usize>,
}

/// What a recognised column is taken as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ColumnRole {
    PaymentId,
    OrderId,
    TransactionId,
    Amount,
    Reference,
    Kind,
    Currency,
}

impl std::fmt::Display for ColumnRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl ColumnRole {
    /// The command line's name of it.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ColumnRole::PaymentId => "payment id",
            ColumnRole::OrderId => "order id",
            ColumnRole::TransactionId => "transaction id",
            ColumnRole::Amount => "amount",
            ColumnRole::Reference => "reference",
            ColumnRole::Kind => "kind",
            ColumnRole::Currency => "currency",
        }
    }
}

/// Column names accepted for each recognised column, already normalised
/// ([`normalise_name`]).
const PAYMENT_NAMES: &[&str] = &[
    "paymentid",
    "payment",
    "idpagamento",
    "idpago",
    "pago",
    // pt-BR: the panel's and people's names of a payment's number.
    "iddopagamento",
    "numerodopagamento",
    "iddatransacao",
    "idtransacao",
    "numerodatransacao",
    "numerodaoperacao",
    "numerodaoperacaonomercadopago",
    "iddaoperacao",
    // es: the same in Spanish.
    "iddepago",
    "iddelpago",
    "numerodepago",
    "numerodeoperacion",
    "numerodeoperacionenmercadopago",
    "iddeoperacion",
    "iddelaoperacion",
    "iddetransaccion",
    "iddelatransaccion",
    // Mercado Pago's settlement and release reports.
    "sourceid",
];
/// An order of the Orders API (`ORD…`): English, pt-BR and es.
const ORDER_NAMES: &[&str] = &[
    "orderid",
    "idorder",
    "iddopedido",
    "idpedido",
    "numerodopedido",
    "iddelaorden",
    "iddeorden",
    "idorden",
    "numerodeorden",
];
/// A payment transaction of an order (`PAY…`), for partial refunds. Not the
/// pt-BR `ID da transação`, which Mercado Pago's panel uses for a payment's id.
const TRANSACTION_NAMES: &[&str] = &["transactionid", "idtransaction"];
const AMOUNT_NAMES: &[&str] = &[
    "amount",
    "valor",
    "monto",
    "refundamount",
    "valoradevolver",
    "valordadevolucao",
    "valordevolucao",
    "valordoestorno",
    "valorareembolsar",
    "montoadevolver",
    "montodeladevolucion",
    "montodevolucion",
    "montoareembolsar",
];
/// pt/es spellings too: a re-export that renamed the reference column must still
/// produce the same keys. (`kind` has none: `tipo` means too many things.)
/// `external_reference` is Mercado Pago's own batch-refund file's: that file
/// reads as is.
const REFERENCE_NAMES: &[&str] = &[
    "reference",
    "referencia",
    "externalreference",
    "referenciaexterna",
];
const CURRENCY_NAMES: &[&str] = &["currency", "currencyid", "moeda", "moneda"];

/// Lowercase, without accents, spaces, `_`, `-` or `.`:
/// `Número da Operação ` → `numerodaoperacao`, `Payment-ID` → `paymentid`.
fn normalise_name(s: &str) -> String {
    s.nfd()
        .filter(|c| {
            !unicode_normalization::char::is_combining_mark(*c)
                && !c.is_whitespace()
                && !matches!(c, '_' | '-' | '.')
        })
        .flat_map(char::to_lowercase)
        .collect()
}

pub(super) fn match_columns(
    path: &Path,
    line: u64,
    header: &[String],
) -> Result<Columns, InputError> {
    let mut slots: [(&'static str, &[&str], Option<usize>); 7] = [
        ("payment id", PAYMENT_NAMES, None),
        ("order id", ORDER_NAMES, None),
        ("transaction id", TRANSACTION_NAMES, None),
        ("amount", AMOUNT_NAMES, None),
        ("reference", REFERENCE_NAMES, None),
        ("kind", &["kind"], None),
        ("currency", CURRENCY_NAMES, None),
    ];
    for (i, cell) in header.iter().enumerate() {
        let name = normalise_name(cell);
        for (what, names, slot) in &mut slots {
            if !names.contains(&name.as_str()) {
                continue;
            }
            if let Some(first) = *slot {
                return Err(InputError::BadHeader {
                    path: path.to_owned(),
                    line,
                    reason: format!(
                        "columns {} ({}) and {} ({}) are both the {what} column; keep one",
                        first + 1,
                        excerpt(&header[first]),
                        i + 1,
                        excerpt(cell)
                    ),
                });
            }
            *slot = Some(i);
        }
    }
    let [
        (_, _, payment),
        (_, _, order),
        (_, _, transaction),
        (_, _, amount),
        (_, _, reference),
        (_, _, kind),
        (_, _, currency),
    ] = slots;
    let missing = |column, accepted| {
        // A few columns, each an excerpt: a megabyte "header" is not echoed whole.
        let mut found = header
            .iter()
            .take(20)
            .map(|h| excerpt(h))
            .collect::<Vec<_>>()
            .join(", ");
        if header.len() > 20 {
            found.push_str(&format!(", … ({} columns in all)", header.len()));
        }
        // A first line made of numbers is data, not a header: say so plainly.
        let looks_like_data = header.iter().any(|h| {
            let t = h.trim();
            !t.is_empty()
                && t.bytes()
                    .all(|b| b.is_ascii_digit() || b == b'.' || b == b',')
        });
        InputError::MissingColumn {
            path: path.to_owned(),
            column,
            accepted,
            found,
            hint: if looks_like_data {
                " (the first line looks like data: the file needs a header row)"
            } else {
                ""
            },
        }
    };
    if payment.is_none() && order.is_none() {
        return Err(missing(
            ColumnRole::PaymentId,
            "payment_id, id_pagamento, ID do pagamento, ID da transação, Número da operação, ID de pago, Número de operación; for orders: order_id, id_order, ID do pedido, ID de la orden",
        ));
    }
    let amount = amount.ok_or_else(|| {
        missing(
            ColumnRole::Amount,
            "amount, refund_amount, valor, Valor a devolver, monto, Monto a devolver",
        )
    })?;
    Ok(Columns {
        payment,
        order,
        transaction,
        amount,
        reference,
        kind,
        currency,
    })
}
