//! How a row's values are stored compactly (schema 4): a state file keeps every
//! row of every batch, so bytes per row decide its size at a million rows.
//!
//! - Keys `mpr1-` + 48 hex digits are stored as their 24 bytes (a BLOB); any other
//!   key (tests, a future version) as its text. One key always encodes the same
//!   way, so keys still compare equal in SQL.
//! - The kind is 0 (payment), 1 (advanced payment) or 2 (order); payment ids
//!   are integers;
//!   a numeric refund id is an integer (read back with `CAST(… AS TEXT)`).
//! - The original cells are a BLOB: a format byte, the number of cells, then per
//!   cell a LEB128 tag —
//!   `len << 2` followed by the cell's bytes, or `1` for "the row's payment id
//!   (an order's row: its order id) as stored", `2` for "the row's amount as stored" (the cells that usually repeat
//!   them, verbatim). Rows written before schema 4 keep their cells as JSON text.

use rusqlite::ToSql;
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSqlOutput, Value, ValueRef};

use crate::domain::key::KEY_VERSION;
use crate::domain::{CauseCode, IdempotencyKey, Kind, OrderRef, PaymentId, RefundStatus, Target};

/// The first byte of a compact cells BLOB.
const FIELDS_V1: u8 = 1;
const TAG_LITERAL: u64 = 0;
const TAG_PAYMENT: u64 = 1;
const TAG_AMOUNT: u64 = 2;

fn hex_key(key: &str) -> Option<&str> {
    let hex = key.strip_prefix(KEY_VERSION)?.strip_prefix('-')?;
    (hex.len() == 48 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))).then_some(hex)
}

pub(super) fn key_value(key: &IdempotencyKey) -> Value {
    match hex_key(key.as_str()) {
        // `hex_key` let only lowercase hex digits through.
        Some(hex) => {
            let nibble = |d: u8| if d <= b'9' { d - b'0' } else { d - b'a' + 10 };
            Value::Blob(
                hex.as_bytes()
                    .chunks_exact(2)
                    .map(|p| (nibble(p[0]) << 4) | nibble(p[1]))
                    .collect(),
            )
        }
        None => Value::Text(key.as_str().to_owned()),
    }
}

/// The key stored in `v`; `Ok(None)` for NULL, `Err` for anything not a key.
pub(super) fn key_of(v: ValueRef<'_>) -> Result<Option<IdempotencyKey>, ()> {
    let text = match v {
        ValueRef::Null => return Ok(None),
        ValueRef::Blob(b) if b.len() == 24 => {
            let mut text = String::with_capacity(KEY_VERSION.len() + 1 + 48);
            text.push_str(KEY_VERSION);
            text.push('-');
            crate::domain::key::push_hex(&mut text, b);
            text
        }
        ValueRef::Text(t) => String::from_utf8(t.to_vec()).map_err(|_| ())?,
        _ => return Err(()),
    };
    IdempotencyKey::new(text).map(Some).ok_or(())
}

pub(super) fn kind_value(kind: Kind) -> i64 {
    match kind {
        Kind::Payment => 0,
        Kind::AdvancedPayment => 1,
        Kind::Order => 2,
    }
}

pub(super) fn kind_of(v: i64) -> Option<Kind> {
    match v {
        0 => Some(Kind::Payment),
        1 => Some(Kind::AdvancedPayment),
        2 => Some(Kind::Order),
        _ => None,
    }
}

/// The `payment_id`, `order_id` and `transaction_id` columns of a row's
/// target: a payment's row has only the first, an order's the other two (the
/// transaction NULL when the row names none).
pub(super) fn target_values(target: &Target) -> (Option<i64>, Option<&str>, Option<&str>) {
    match target {
        Target::Payment(p) | Target::AdvancedPayment(p) => (Some(p.get() as i64), None, None),
        Target::Order(o) => (
            None,
            Some(o.order.as_str()),
            o.transaction.as_ref().map(|t| t.as_str()),
        ),
    }
}

/// What a stored row refunds, from its `kind`, `payment_id`, `order_id` and
/// `transaction_id` columns; `None` when they do not name one.
pub(super) fn target_of(
    kind: i64,
    payment: Option<i64>,
    order: Option<&str>,
    transaction: Option<&str>,
) -> Option<Target> {
    let payment = payment
        .and_then(|p| u64::try_from(p).ok())
        .and_then(PaymentId::new);
    match (kind_of(kind)?, payment, order) {
        (Kind::Payment, Some(p), None) => Some(Target::Payment(p)),
        (Kind::AdvancedPayment, Some(p), None) => Some(Target::AdvancedPayment(p)),
        (Kind::Order, None, Some(order)) => Some(Target::Order(OrderRef {
            order: order.parse().ok()?,
            transaction: transaction.map(str::parse).transpose().ok()?,
        })),
        _ => None,
    }
}

/// [`target_of`] a row read with its `kind`, `payment_id`, `order_id` and
/// `transaction_id` columns at `at`; `Ok(None)` when they name none.
#[inline]
pub(super) fn target_at(r: &rusqlite::Row<'_>, at: [usize; 4]) -> rusqlite::Result<Option<Target>> {
    let [kind, payment, order, transaction] = at;
    Ok(target_of(
        r.get(kind)?,
        r.get(payment)?,
        r.get_ref(order)?.as_str_or_null()?,
        r.get_ref(transaction)?.as_str_or_null()?,
    ))
}

/// A refund id as stored: an integer when it is a plain number that reads back
/// the same, else its text.
pub(super) fn refund_id_value(id: &str) -> Value {
    match id.parse::<i64>() {
        Ok(n) if n >= 0 && n.to_string() == id => Value::Integer(n),
        _ => Value::Text(id.to_owned()),
    }
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn get_varint(b: &[u8], at: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *b.get(*at)?;
        *at += 1;
        v |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

/// The cells of a row; `payment` and `amount` are the row's stored payment id
/// and amount (as text), which cells equal to them point to.
pub(super) fn encode_fields(
    fields: &[String],
    payment: Option<&str>,
    amount: Option<&str>,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(2 + fields.iter().map(|f| f.len() + 1).sum::<usize>());
    out.push(FIELDS_V1);
    put_varint(&mut out, fields.len() as u64);
    for cell in fields {
        if Some(cell.as_str()) == payment {
            put_varint(&mut out, TAG_PAYMENT);
        } else if Some(cell.as_str()) == amount {
            put_varint(&mut out, TAG_AMOUNT);
        } else {
            put_varint(&mut out, ((cell.len() as u64) << 2) | TAG_LITERAL);
            out.extend_from_slice(cell.as_bytes());
        }
    }
    out
}

/// The cells stored in `v` (compact BLOB, or the JSON text of older rows).
pub(super) fn fields_of(
    v: ValueRef<'_>,
    payment: Option<&str>,
    amount: Option<&str>,
) -> Option<Vec<String>> {
    let b = match v {
        ValueRef::Text(t) => return serde_json::from_slice(t).ok(),
        ValueRef::Blob(b) => b,
        _ => return None,
    };
    if b.first() != Some(&FIELDS_V1) {
        return None;
    }
    let mut at = 1;
    let count = usize::try_from(get_varint(b, &mut at)?).ok()?;
    let mut cells = Vec::with_capacity(count.min(4096));
    while at < b.len() {
        let tag = get_varint(b, &mut at)?;
        cells.push(match tag & 3 {
            TAG_LITERAL => {
                let len = usize::try_from(tag >> 2).ok()?;
                let cell = b.get(at..at.checked_add(len)?)?;
                at += len;
                String::from_utf8(cell.to_vec()).ok()?
            }
            TAG_PAYMENT if tag == TAG_PAYMENT => payment?.to_owned(),
            TAG_AMOUNT if tag == TAG_AMOUNT => amount?.to_owned(),
            _ => return None,
        });
    }
    (cells.len() == count).then_some(cells)
}

/// A cause code is stored as its text (`unknown_outcome`, `http_500`, `2063`):
/// the results CSV and older versions read the same column.
impl ToSql for CauseCode {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self.as_str() {
            std::borrow::Cow::Borrowed(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            std::borrow::Cow::Owned(s) => ToSqlOutput::Owned(Value::Text(s)),
        })
    }
}

/// Any text reads back: codes this version does not know (or no longer
/// writes, as `refund_cancelled`) are kept or mapped, never refused.
impl FromSql for CauseCode {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        match value {
            ValueRef::Text(t) => Ok(CauseCode::parse(
                std::str::from_utf8(t).map_err(|e| FromSqlError::Other(Box::new(e)))?,
            )),
            // A numeric cause the API sent may have been stored with integer affinity.
            ValueRef::Integer(n) => Ok(CauseCode::parse(&n.to_string())),
            _ => Err(FromSqlError::InvalidType),
        }
    }
}

/// The statuses this version knows, by their stored code (schema 9): a BLOB
/// of the code's byte, and the usual `approved` an empty one — no byte at all,
/// where its text took eight, in every row of every batch. Any other spelling
/// is stored as its text, as every status was before; both read back.
const STATUS_CODES: [RefundStatus; 9] = [
    RefundStatus::Approved,
    RefundStatus::Processed,
    RefundStatus::InProcess,
    RefundStatus::Pending,
    RefundStatus::Authorized,
    RefundStatus::Rejected,
    RefundStatus::Cancelled,
    RefundStatus::Processing,
    RefundStatus::Failed,
];

/// The one-byte BLOBs of the codes after the first.
static STATUS_BYTES: [u8; 9] = [0, 1, 2, 3, 4, 5, 6, 7, 8];

impl ToSql for RefundStatus {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(
            match STATUS_CODES.iter().position(|s| s == self) {
                Some(0) => ValueRef::Blob(&[]),
                Some(code) => ValueRef::Blob(&STATUS_BYTES[code..=code]),
                None => ValueRef::Text(self.as_str().as_bytes()),
            },
        ))
    }
}

impl FromSql for RefundStatus {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        match value {
            ValueRef::Blob([]) => Ok(RefundStatus::Approved),
            ValueRef::Blob(&[code]) if code > 0 => STATUS_CODES
                .get(usize::from(code))
                .cloned()
                .ok_or(FromSqlError::OutOfRange(code.into())),
            ValueRef::Text(_) => Ok(RefundStatus::parse(value.as_str()?)),
            _ => Err(FromSqlError::InvalidType),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_round_trip_and_repeat_nothing() {
        let cells: Vec<String> = ["123", "12.34", "ref, \"quoted\"\nline", "", "João ✓", "123"]
            .map(String::from)
            .to_vec();
        let b = encode_fields(&cells, Some("123"), Some("12.34"));
        assert_eq!(
            fields_of(ValueRef::Blob(&b), Some("123"), Some("12.34")),
            Some(cells.clone())
        );
        // The repeated cells cost one byte each, the others one byte and themselves.
        let literal = |c: &str| 1 + c.len();
        assert_eq!(
            b.len(),
            2 + 1 + 1 + literal(&cells[2]) + literal("") + literal(&cells[4]) + 1
        );
        // Older rows: JSON text.
        let json = serde_json::to_string(&cells).unwrap();
        assert_eq!(
            fields_of(ValueRef::Text(json.as_bytes()), None, None),
            Some(cells)
        );
        // Damage is refused, never misread.
        assert_eq!(
            fields_of(
                ValueRef::Blob(&b[..b.len() - 1]),
                Some("123"),
                Some("12.34")
            ),
            None
        );
        assert_eq!(fields_of(ValueRef::Blob(&[9, 1]), None, None), None);
        assert_eq!(
            fields_of(ValueRef::Blob(&[FIELDS_V1, 1, 1]), None, None),
            None
        );
        let long = vec!["x".repeat(300)];
        let b = encode_fields(&long, None, None);
        assert_eq!(fields_of(ValueRef::Blob(&b), None, None), Some(long));
    }

    #[test]
    fn keys_of_our_version_take_24_bytes_others_their_text() {
        let ours = IdempotencyKey::new(format!("mpr1-{}", "0a".repeat(24))).unwrap();
        let v = key_value(&ours);
        assert!(matches!(&v, Value::Blob(b) if b.len() == 24));
        let Value::Blob(b) = v else { unreachable!() };
        assert_eq!(key_of(ValueRef::Blob(&b)), Ok(Some(ours)));
        let other = IdempotencyKey::new("k1".to_owned()).unwrap();
        assert_eq!(key_value(&other), Value::Text("k1".into()));
        let upper = IdempotencyKey::new(format!("mpr1-{}", "0A".repeat(24))).unwrap();
        assert!(matches!(key_value(&upper), Value::Text(_)), "kept as typed");
        assert_eq!(key_of(ValueRef::Null), Ok(None));
        assert!(key_of(ValueRef::Integer(3)).is_err());
    }

    #[test]
    fn refund_statuses_known_are_stored_as_codes_and_all_read_back() {
        let read = |v: ValueRef<'_>| RefundStatus::column_result(v);
        assert!(matches!(
            RefundStatus::Approved.to_sql().unwrap(),
            ToSqlOutput::Borrowed(ValueRef::Blob(&[]))
        ));
        for s in STATUS_CODES
            .iter()
            .chain(&[RefundStatus::Other("approved ".into())])
        {
            let ToSqlOutput::Borrowed(v) = s.to_sql().unwrap() else {
                panic!("{s:?} borrowed")
            };
            assert!(matches!(v, ValueRef::Blob(b) if b.len() <= 1) == s.is_known());
            assert_eq!(read(v).unwrap(), *s);
            // As every version before schema 9 stored it.
            assert_eq!(read(ValueRef::Text(s.as_str().as_bytes())).unwrap(), *s);
        }
        for damaged in [&[0u8][..], &[9], &[1, 1]] {
            assert!(read(ValueRef::Blob(damaged)).is_err(), "{damaged:?}");
        }
        assert!(read(ValueRef::Integer(1)).is_err());
    }

    #[test]
    fn refund_ids_that_are_numbers_are_stored_as_numbers() {
        assert_eq!(refund_id_value("1234567"), Value::Integer(1_234_567));
        assert_eq!(refund_id_value("0123"), Value::Text("0123".into()));
        assert_eq!(refund_id_value("abc"), Value::Text("abc".into()));
        assert_eq!(
            refund_id_value("99999999999999999999"),
            Value::Text("99999999999999999999".into())
        );
    }
}
