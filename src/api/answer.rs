//! Reading the fields of a refund answer strictly: the payment id, the amount, the
//! status, and which refund of an array is the one asked for. `client` calls these
//! pure functions; each says "cannot tell" rather than guess, because a guess here
//! becomes a row marked refunded.
//!
//! Invariants: a payment id matches only when it is the same whole number (leading
//! zeros allowed, nothing else); an amount is exact, of a size money has and with
//! no more decimals than a currency has (else it is unreadable, never rounded); a
//! status is one the tool knows ([`crate::domain::RefundStatus`]), spelled
//! exactly; an array names the
//! refund asked for only when one candidate stands out, else nobody knows.

use rust_decimal::Decimal;
use serde_json::Value;

use crate::domain::{CURRENCIES, MAX_AMOUNT_DIGITS, PaymentId, Requested};

/// Whether a `payment_id` field names `payment`: a JSON integer or a string of
/// ASCII digits (`"06000001"` is payment 6000001), compared as numbers. A sign, a
/// fraction, spaces or an exponent name no payment of ours.
pub(crate) fn names_payment(v: &Value, payment: PaymentId) -> bool {
    let n = match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            s.trim_start_matches('0').parse::<u64>().ok()
        }
        _ => None,
    };
    n == Some(payment.get())
}

/// Most decimals any currency Mercado Pago settles in has (2).
fn max_decimals() -> usize {
    CURRENCIES
        .iter()
        .map(|&(_, d)| d as usize)
        .max()
        .unwrap_or(2)
}

/// Exponents beyond this are not money, whatever their mantissa.
const MAX_EXPONENT: i64 = 40;

/// An amount from an answer: a JSON number (its own digits, `1.5E7` included, as
/// Java writes doubles) or a numeric string, read exactly. `Err` says why it is not
/// an amount of money: too many integer digits, decimals past a currency's (other
/// than trailing zeros, which are dropped), or not a number. Never rounded.
pub(crate) fn amount(v: &Value) -> Result<Decimal, String> {
    let text = match v {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        other => {
            return Err(format!(
                "amount {} is not a number",
                short(&other.to_string())
            ));
        }
    };
    let refuse = |why: &str| Err(format!("amount {} {why}", short(&text)));
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.as_str()),
    };
    let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
        Some((m, e)) => {
            let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return refuse("is not a number");
            }
            match e.parse::<i64>() {
                Ok(x) if x.abs() <= MAX_EXPONENT => (m, x),
                _ => return refuse("is not an amount of money"),
            }
        }
        None => (unsigned, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let plain = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() || !plain(int) || !plain(frac) || (mantissa.contains('.') && frac.is_empty())
    {
        return refuse("is not a number");
    }
    // The value is digits × 10^(exponent − frac.len()); move the point, exactly.
    let digits = format!("{int}{frac}");
    let point = int.len() as i64 + exponent; // digits before the decimal point
    let (int_part, frac_part) = if point <= 0 {
        (
            String::new(),
            "0".repeat(point.unsigned_abs() as usize) + &digits,
        )
    } else if point as usize >= digits.len() {
        (
            digits.clone() + &"0".repeat(point as usize - digits.len()),
            String::new(),
        )
    } else {
        let (i, f) = digits.split_at(point as usize);
        (i.to_owned(), f.to_owned())
    };
    let int_part = int_part.trim_start_matches('0');
    let frac_kept = frac_part.trim_end_matches('0');
    if int_part.len() > MAX_AMOUNT_DIGITS {
        return refuse("is too large to be an amount of money");
    }
    if frac_kept.len() > max_decimals() {
        return refuse(&format!(
            "has {} decimals; no currency has more than {}",
            frac_kept.len(),
            max_decimals()
        ));
    }
    // Keep the decimals the server wrote, up to a currency's (25.00 stays 25.00).
    let scale = frac_part.len().min(max_decimals());
    let mut kept = frac_kept.to_owned();
    kept.extend(std::iter::repeat_n('0', scale - frac_kept.len()));
    let mantissa: i128 = format!("{int_part}{kept}").parse().unwrap_or(0);
    let value = Decimal::from_i128_with_scale(mantissa, scale as u32);
    Ok(if negative { -value } else { value })
}

/// A refund of an answer, as far as choosing among several goes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Candidate<'a> {
    pub payment_id: Option<&'a Value>,
    pub amount: Option<&'a Value>,
    pub date_created: Option<&'a Value>,
}

impl Candidate<'_> {
    /// Could this be the refund asked for? Its payment (when named) is ours and,
    /// for a partial refund, its amount is the one asked. A full refund asked for
    /// no amount, so any amount fits.
    fn fits(&self, payment: PaymentId, requested: &Requested) -> bool {
        self.payment_id.is_none_or(|p| names_payment(p, payment))
            && match requested {
                Requested::Partial(a) => self
                    .amount
                    .and_then(|v| amount(v).ok())
                    .is_some_and(|got| got == a.get()),
                Requested::Full => true,
            }
    }

    fn created(&self) -> Option<time::OffsetDateTime> {
        let Some(Value::String(s)) = self.date_created else {
            return None;
        };
        time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
    }
}

/// Which refund of an array (advanced payments answer with one) is the one asked
/// for: the only one that fits the question, else the most recently created of
/// those that fit — a refund just made, or replayed for our key, is the latest —
/// when every one of them has a readable `date_created` and one is strictly the
/// latest. Anything else: `None`, an unknown outcome.
pub(crate) fn pick(
    candidates: &[Candidate<'_>],
    payment: PaymentId,
    requested: &Requested,
) -> Option<usize> {
    let fitting: Vec<usize> = (0..candidates.len())
        .filter(|&i| candidates[i].fits(payment, requested))
        .collect();
    match fitting.as_slice() {
        [] => None,
        [one] => Some(*one),
        many => {
            let dated: Vec<(usize, time::OffsetDateTime)> = many
                .iter()
                .map(|&i| candidates[i].created().map(|d| (i, d)))
                .collect::<Option<_>>()?;
            let latest = dated.iter().map(|&(_, d)| d).max()?;
            let mut at_latest = dated.iter().filter(|&&(_, d)| d == latest);
            match (at_latest.next(), at_latest.next()) {
                (Some(&(i, _)), None) => Some(i),
                _ => None,
            }
        }
    }
}

/// At most 40 characters of a text from an answer, for a cause message (a server
/// may send a megabyte where a number belongs).
pub(crate) fn short(s: &str) -> String {
    const MAX: usize = 40;
    match s.char_indices().nth(MAX) {
        Some((end, _)) => format!("{}…", &s[..end]),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Amount;
    use std::str::FromStr;

    fn num(raw: &str) -> Value {
        serde_json::from_str(raw).unwrap()
    }

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn partial(s: &str) -> Requested {
        Requested::Partial(Amount::new(dec(s)).unwrap())
    }

    #[test]
    fn payment_ids_compare_as_whole_numbers() {
        let p = PaymentId::new(6_000_001).unwrap();
        for yes in [
            r#"6000001"#,
            r#""6000001""#,
            r#""06000001""#,
            r#""0006000001""#,
        ] {
            assert!(names_payment(&num(yes), p), "{yes}");
        }
        for no in [
            r#"6000002"#,
            r#""6000002""#,
            r#""6000001 ""#,
            r#"" 6000001""#,
            r#""+6000001""#,
            r#""-6000001""#,
            r#"6000001.0"#,
            r#""6000001.0""#,
            r#"6.000001e6"#,
            r#""""#,
            r#"null"#,
            r#""99999999999999999999999999""#,
        ] {
            assert!(!names_payment(&num(no), p), "{no}");
        }
    }

    #[test]
    fn amounts_are_exact_and_bounded() {
        assert_eq!(amount(&num("25")), Ok(dec("25")));
        assert_eq!(amount(&num("25.00")).unwrap().to_string(), "25.00");
        assert_eq!(amount(&num("10.100")).unwrap().to_string(), "10.10");
        assert_eq!(amount(&num(r#""7.5""#)), Ok(dec("7.5")));
        assert_eq!(amount(&num("-25")), Ok(dec("-25")));
        // Java's doubles: exact, and the same bounds.
        assert_eq!(amount(&num("1.2345678E7")), Ok(dec("12345678")));
        assert_eq!(amount(&num("2.5E-1")), Ok(dec("0.25")));
        assert_eq!(amount(&num("1.25e+2")), Ok(dec("125")));
        // A 32-digit amount is no refund's; neither are a third decimal or 1e300.
        for bad in [
            "12345678901234567890123456789012",
            "25.000000000000000000000000000001",
            "0.001",
            "1e300",
            "1e-300",
            r#""25,00""#,
            r#"" 25""#,
            r#""25.""#,
            r#""""#,
            "true",
            "null",
            r#"{"v": 1}"#,
        ] {
            assert!(amount(&num(bad)).is_err(), "{bad}");
        }
        let long = amount(&num("12345678901234567890123456789012")).unwrap_err();
        assert!(long.len() < 100, "{long}");
        assert_eq!(
            amount(&num("123456789012345678.99")),
            Ok(dec("123456789012345678.99"))
        );
        assert!(amount(&num("1234567890123456789")).is_err());
    }

    fn refunds(raw: &str) -> Vec<Value> {
        serde_json::from_str(raw).unwrap()
    }

    fn choose(list: &[Value], payment: u64, requested: &Requested) -> Option<usize> {
        let c: Vec<Candidate<'_>> = list
            .iter()
            .map(|r| Candidate {
                payment_id: r.get("payment_id"),
                amount: r.get("amount"),
                date_created: r.get("date_created"),
            })
            .collect();
        pick(&c, PaymentId::new(payment).unwrap(), requested)
    }

    #[test]
    fn a_full_refund_is_the_latest_of_the_payment_or_unknown() {
        let arr = refunds(
            r#"[{"payment_id": 1000, "amount": 5, "date_created": "2026-01-01T10:00:00.000-03:00"},
                {"payment_id": 1000, "amount": 95, "date_created": "2026-01-02T10:00:00.000-03:00"},
                {"payment_id": 2000, "amount": 7, "date_created": "2026-01-03T10:00:00.000-03:00"}]"#,
        );
        assert_eq!(choose(&arr, 1000, &Requested::Full), Some(1));
        assert_eq!(choose(&arr, 2000, &Requested::Full), Some(2));
        assert_eq!(choose(&arr, 3000, &Requested::Full), None);
        // Without dates, or with two at the same instant, nobody can tell.
        let undated =
            refunds(r#"[{"payment_id": 1000, "amount": 5}, {"payment_id": 1000, "amount": 95}]"#);
        assert_eq!(choose(&undated, 1000, &Requested::Full), None);
        let tied = refunds(
            r#"[{"payment_id": 1000, "amount": 5, "date_created": "2026-01-02T13:00:00Z"},
                {"payment_id": 1000, "amount": 95, "date_created": "2026-01-02T10:00:00-03:00"}]"#,
        );
        assert_eq!(choose(&tied, 1000, &Requested::Full), None);
        let half = refunds(
            r#"[{"payment_id": 1000, "amount": 5},
                {"payment_id": 1000, "amount": 95, "date_created": "2026-01-02T10:00:00-03:00"}]"#,
        );
        assert_eq!(choose(&half, 1000, &Requested::Full), None);
    }

    #[test]
    fn a_partial_refund_is_the_one_of_its_amount() {
        let arr = refunds(
            r#"[{"payment_id": "01000", "amount": 5, "date_created": "2026-01-01T10:00:00Z"},
                {"payment_id": 1000, "amount": "25.00", "date_created": "2026-01-01T09:00:00Z"}]"#,
        );
        assert_eq!(choose(&arr, 1000, &partial("25")), Some(1));
        assert_eq!(choose(&arr, 1000, &partial("5")), Some(0));
        assert_eq!(choose(&arr, 1000, &partial("7")), None);
        // Two of that amount: the later one (ours, just made or replayed).
        let twice = refunds(
            r#"[{"payment_id": 1000, "amount": 25, "date_created": "2026-01-01T10:00:00Z"},
                {"payment_id": 1000, "amount": 25, "date_created": "2026-01-01T11:00:00Z"}]"#,
        );
        assert_eq!(choose(&twice, 1000, &partial("25")), Some(1));
    }
}
