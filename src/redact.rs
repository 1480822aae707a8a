//! Keeping a secret out of what a server answered: [`redact`] replaces it in the
//! raw bytes in every spelling a JSON string or a web page may give it, mixed at
//! will — each character as itself, JSON's `\uXXXX` (any case; surrogate pairs)
//! and `\/`-style escapes, URL's `%XX`, HTML's `&#NN;` and `&#xHH;` — and
//! [`scrub`] replaces it in text already decoded, whatever got it there.
//!
//! Invariant: bytes without the secret are returned as they are, not copied.

use std::borrow::Cow;

pub(crate) const REDACTED: &str = "<redacted>";

/// `bytes` with every spelling of `secret` replaced by [`REDACTED`].
pub(crate) fn redact<'a>(secret: &str, bytes: &'a [u8]) -> Cow<'a, [u8]> {
    if secret.is_empty() {
        return Cow::Borrowed(bytes);
    }
    // A spelling of the secret starts with its first byte or with an escape's
    // (`\\`, `%`, `&`): every other position is passed over without trying the
    // spellings, which is what keeps a clean answer cheap — every answer of a
    // run is read through here.
    let lead = secret.as_bytes()[0];
    let may_start = |i: usize| matches!(bytes[i], b'\\' | b'%' | b'&') || bytes[i] == lead;
    let at = |i: usize| spelled_at(secret, &bytes[i..]);
    let Some(first) = (0..bytes.len()).find(|&i| may_start(i) && at(i).is_some()) else {
        return Cow::Borrowed(bytes);
    };
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(&bytes[..first]);
    let mut i = first;
    while i < bytes.len() {
        match may_start(i).then(|| at(i)).flatten() {
            Some(len) => {
                out.extend_from_slice(REDACTED.as_bytes());
                i += len;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    Cow::Owned(out)
}

/// `text` with `secret` replaced by [`REDACTED`].
pub(crate) fn scrub(secret: &str, text: &mut String) {
    if !secret.is_empty() && text.contains(secret) {
        *text = text.replace(secret, REDACTED);
    }
}

/// The length of `token` spelled at the start of `s` in any of the spellings the
/// module names, each character its own.
fn spelled_at(token: &str, s: &[u8]) -> Option<usize> {
    let mut i = 0;
    for c in token.chars() {
        i += char_spelled_at(c, s.get(i..)?)?;
    }
    Some(i)
}

fn char_spelled_at(c: char, s: &[u8]) -> Option<usize> {
    let mut buf = [0; 4];
    let literal = c.encode_utf8(&mut buf).as_bytes();
    if s.starts_with(literal) {
        return Some(literal.len());
    }
    let hex = |b: &[u8]| u32::from_str_radix(std::str::from_utf8(b).ok()?, 16).ok();
    match *s.first()? {
        b'\\' if s.get(1) == Some(&b'u') => {
            let unit = |at: usize| -> Option<u32> {
                let h = s.get(at..at + 4)?;
                h.iter().all(u8::is_ascii_hexdigit).then(|| hex(h))?
            };
            let high = unit(2)?;
            if (0xD800..0xDC00).contains(&high) {
                if s.get(6..8) != Some(b"\\u") {
                    return None;
                }
                let low = unit(8)?;
                let cp = 0x10000 + ((high - 0xD800) << 10) + low.checked_sub(0xDC00)?;
                (char::from_u32(cp) == Some(c)).then_some(12)
            } else {
                (char::from_u32(high) == Some(c)).then_some(6)
            }
        }
        b'\\' => (c.is_ascii_punctuation() && s.get(1) == Some(&(c as u8))).then_some(2),
        b'%' if c.is_ascii() => {
            let h = s.get(1..3)?;
            (h.iter().all(u8::is_ascii_hexdigit) && hex(h) == Some(c as u32)).then_some(3)
        }
        b'&' if s.get(1) == Some(&b'#') => {
            let (radix, start) = match s.get(2) {
                Some(b'x' | b'X') => (16, 3),
                _ => (10, 2),
            };
            let len = s[start..]
                .iter()
                .take(8)
                .take_while(|b| b.is_ascii_alphanumeric())
                .count();
            let digits = std::str::from_utf8(&s[start..start + len]).ok()?;
            let cp = u32::from_str_radix(digits, radix).ok()?;
            (len > 0 && s.get(start + len) == Some(&b';') && char::from_u32(cp) == Some(c))
                .then_some(start + len + 1)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_is_redacted_in_every_spelling() {
        let t = "TEST-1/ab";
        for spelled in [
            r"\u0054EST-1/ab",
            r"\u0054\u0045\u0053\u0054\u002d\u0031\/\u0061\u0062",
            r"TEST-1\/ab",
            r"\u0054ES\u0054-1/ab",
            "%54EST-1%2Fab",
            "&#84;EST-1&#x2f;ab",
        ] {
            let body = format!(r#"{{"message":"header was Bearer {spelled}!"}}"#);
            let out = redact(t, body.as_bytes());
            assert_eq!(
                String::from_utf8(out.into_owned()).unwrap(),
                r#"{"message":"header was Bearer <redacted>!"}"#,
                "{spelled}"
            );
        }
        // Not the token: left alone, and not copied.
        let near = br"\u0054EST-1/a \uZZZZ %5 &#x; TEST-1/a";
        assert!(matches!(redact(t, near), std::borrow::Cow::Borrowed(_)));
        // Astral characters come as surrogate pairs.
        let t = "A\u{1F600}B";
        let out = redact(t, br"x A\ud83d\uDE00B y");
        assert_eq!(&*out, b"x <redacted> y");
    }

    /// What [`redact`] does, trying every position: the positions it passes
    /// over must be ones no spelling starts at.
    fn redact_everywhere(secret: &str, bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            match spelled_at(secret, &bytes[i..]) {
                Some(len) => {
                    out.extend_from_slice(REDACTED.as_bytes());
                    i += len;
                }
                None => {
                    out.push(bytes[i]);
                    i += 1;
                }
            }
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn passing_over_positions_misses_no_spelling(
            parts in proptest::collection::vec(
                proptest::sample::select(vec![
                    "TEST-1/ab", "TEST-", "T", "E", "S", "-", "1", "/", "a", "b", r"\u0054",
                    r"\u0045", r"\/",
                    "%54", "%2F", "&#84;", "&#x2f;", r"\", "%", "&#", " ", "{", "\"",
                ]),
                0..40,
            )
        ) {
            let body = parts.concat();
            let got = redact("TEST-1/ab", body.as_bytes());
            proptest::prop_assert_eq!(&*got, &redact_everywhere("TEST-1/ab", body.as_bytes())[..]);
        }
    }
}
