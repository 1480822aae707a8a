//! Keeping a secret out of what a server answered: [`redact`] replaces it in the
//! raw bytes in every spelling a JSON string or a web page may give it, mixed at
//! will — each character as itself, JSON's `\uXXXX` (any case; surrogate pairs)
//! and `\/`-style escapes, URL's `%XX`, HTML's `&#NN;` and `&#xHH;` — as well
//! as its base64 (standard or URL-safe, wherever it sits in a longer encoded
//! text: an echoed `Authorization: Basic …`) and any piece of it at least
//! [`FRAGMENT_BYTES`] long (an echo cut short); [`scrub`] does the same in
//! text already decoded, whatever got it there.
//!
//! Invariant: bytes without the secret are returned as they are, not copied.

use std::borrow::Cow;

pub(crate) const REDACTED: &str = "<redacted>";

/// A piece of the secret this long or longer is redacted wherever it appears:
/// shorter ones are too likely in ordinary text (ids, dates).
pub(crate) const FRAGMENT_BYTES: usize = 12;

/// A secret and the tables that find its spellings, built once for the secret
/// and used on every answer: building them costs more than a short answer's
/// scan.
pub(crate) struct Redactor {
    secret: Box<str>,
    /// Where each byte value stands in the secret, where a piece long enough
    /// could start: every position of every answer is looked at, so only
    /// the few places a piece may start there are compared.
    starts: Vec<Vec<usize>>,
    base64: Vec<Vec<u8>>,
    /// The bytes any spelling can start with: every other position of an
    /// answer is passed over at the cost of one lookup.
    may_start: [bool; 256],
    /// Every [`WINDOW`]-byte run of the secret and of its base64, sorted: see
    /// [`Redactor::may_hold`].
    windows: Vec<u64>,
    /// A bit for each [`bucket`] some run of `windows` falls in: most runs of
    /// an answer fall in an empty one, and are passed over without a search.
    buckets: Box<[u64; BUCKETS / 64]>,
}

/// How many buckets [`Redactor::buckets`] has: a secret of a few hundred
/// runs leaves most of them empty.
const BUCKETS: usize = 4096;

/// The bucket of a run: its bits mixed (Fibonacci hashing), the top ones taken.
fn bucket(window: u64) -> usize {
    (window.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - BUCKETS.trailing_zeros())) as usize
}

/// The run of bytes [`Redactor::may_hold`] looks at: a piece of
/// [`FRAGMENT_BYTES`] or more always covers a whole run starting at a multiple
/// of it.
const WINDOW: usize = FRAGMENT_BYTES / 2;

impl Redactor {
    pub(crate) fn new(secret: &str) -> Redactor {
        let base64: Vec<Vec<u8>> = [STANDARD, URL_SAFE]
            .into_iter()
            .flat_map(|alphabet| {
                (0..3).map(move |skew| base64_core(secret.as_bytes(), skew, alphabet))
            })
            .filter(|core| core.len() >= FRAGMENT_BYTES)
            .collect();
        let bytes = secret.as_bytes();
        let mut starts = vec![Vec::new(); 256];
        for (j, &b) in bytes
            .iter()
            .enumerate()
            .take(bytes.len().saturating_sub(FRAGMENT_BYTES - 1))
        {
            starts[usize::from(b)].push(j);
        }
        let mut may_start = [false; 256];
        for (b, at) in starts.iter().enumerate() {
            may_start[b] = !at.is_empty();
        }
        for core in &base64 {
            may_start[usize::from(core[0])] = true;
        }
        // The whole secret spelled: its first byte, or an escape's.
        for b in bytes.first().into_iter().chain(b"\\%&") {
            may_start[usize::from(*b)] = true;
        }
        let mut windows: Vec<u64> = std::iter::once(bytes)
            .chain(base64.iter().map(Vec::as_slice))
            .flat_map(|s| s.windows(WINDOW).map(window))
            .collect();
        windows.sort_unstable();
        windows.dedup();
        let mut buckets = Box::new([0u64; BUCKETS / 64]);
        for &w in &windows {
            let b = bucket(w);
            buckets[b / 64] |= 1 << (b % 64);
        }
        Redactor {
            secret: secret.into(),
            starts,
            base64,
            may_start,
            windows,
            buckets,
        }
    }

    /// Whether `bytes` may hold the secret in some spelling: `false` only
    /// when it cannot. An answer without `\`, `%` or `&` can hold it only
    /// spelled as itself (the escapes all begin with one of them): a piece of
    /// it, or of its base64, [`FRAGMENT_BYTES`] or longer — the whole secret
    /// is one when it is that long. Such a piece covers a whole [`WINDOW`]
    /// starting at a multiple of `WINDOW`, so looking at those runs alone,
    /// against every run of the secret and its base64, finds it: a sixth of
    /// the answer's positions, each one lookup (a bit, and a search only
    /// where the bit is set), instead of every position.
    fn may_hold(&self, bytes: &[u8]) -> bool {
        if self.secret.len() < FRAGMENT_BYTES || memchr::memchr3(b'\\', b'%', b'&', bytes).is_some()
        {
            return true;
        }
        bytes.chunks_exact(WINDOW).any(|run| {
            let w = window(run);
            let b = bucket(w);
            self.buckets[b / 64] & (1 << (b % 64)) != 0 && self.windows.binary_search(&w).is_ok()
        })
    }

    /// `bytes` with every spelling of the secret replaced by [`REDACTED`].
    pub(crate) fn redact<'a>(&self, bytes: &'a [u8]) -> Cow<'a, [u8]> {
        if self.secret.is_empty() || !self.may_hold(bytes) {
            return Cow::Borrowed(bytes);
        }
        self.scan(bytes)
    }

    /// [`Redactor::redact`] at every position of `bytes`.
    fn scan<'a>(&self, bytes: &'a [u8]) -> Cow<'a, [u8]> {
        let at = |i: usize| {
            if !self.may_start[usize::from(bytes[i])] {
                return None;
            }
            let s = &bytes[i..];
            spelled_at(&self.secret, s).max(self.piece_at(s))
        };
        let Some(first) = (0..bytes.len()).find(|&i| at(i).is_some()) else {
            return Cow::Borrowed(bytes);
        };
        let mut out = Vec::with_capacity(bytes.len());
        out.extend_from_slice(&bytes[..first]);
        let mut i = first;
        while i < bytes.len() {
            match at(i) {
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

    /// `text` with the secret replaced by [`REDACTED`], in every spelling
    /// [`Redactor::redact`] knows.
    pub(crate) fn scrub(&self, text: &mut String) {
        if let Cow::Owned(clean) = self.redact(text.as_bytes()) {
            *text = String::from_utf8_lossy(&clean).into_owned();
        }
    }

    /// The length of the longest piece of the secret, or of its base64, at the
    /// start of `s`.
    fn piece_at(&self, s: &[u8]) -> Option<usize> {
        let first = usize::from(*s.first()?);
        let piece = self.starts[first]
            .iter()
            .map(|&j| {
                self.secret.as_bytes()[j..]
                    .iter()
                    .zip(s)
                    .take_while(|(a, b)| a == b)
                    .count()
            })
            .filter(|&n| n >= FRAGMENT_BYTES)
            .max();
        let encoded = self
            .base64
            .iter()
            .filter(|core| core[0] == s[0] && s.starts_with(core))
            .map(Vec::len)
            .max();
        piece.max(encoded)
    }
}

/// A run of [`WINDOW`] bytes as one number, to compare at once.
fn window(run: &[u8]) -> u64 {
    run.iter().fold(0, |w, &b| (w << 8) | u64::from(b))
}

const STANDARD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_SAFE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// The base64 characters that `secret` alone decides when it is encoded
/// `skew` bytes (0, 1 or 2) after a 3-byte boundary: those of the groups it
/// fills wholly, the same whatever comes before or after it.
fn base64_core(secret: &[u8], skew: usize, alphabet: &[u8; 64]) -> Vec<u8> {
    let mut bytes = vec![0u8; skew];
    bytes.extend_from_slice(secret);
    let bits = bytes.len() * 8;
    let first = (skew * 8).div_ceil(6);
    let end = bits / 6;
    (first..end)
        .map(|i| {
            let bit = i * 6;
            let word = (u16::from(bytes[bit / 8]) << 8)
                | u16::from(bytes.get(bit / 8 + 1).copied().unwrap_or(0));
            let shift = 10 - (bit % 8);
            alphabet[usize::from((word >> shift) & 0x3F)]
        })
        .collect()
}

/// `bytes` with every spelling of `secret` replaced by [`REDACTED`] (a
/// [`Redactor`] built for one use).
#[cfg(test)]
fn redact<'a>(secret: &str, bytes: &'a [u8]) -> Cow<'a, [u8]> {
    Redactor::new(secret).redact(bytes)
}

/// `text` with `secret` replaced by [`REDACTED`], in every spelling
/// [`redact`] knows.
#[cfg(test)]
fn scrub(secret: &str, text: &mut String) {
    Redactor::new(secret).scrub(text);
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

    const TOKEN: &str = "APP_USR-1234567890123456-010203-0123abcdef4567abcdef89-987654321";

    fn clean(bytes: &[u8]) -> String {
        String::from_utf8(redact(TOKEN, bytes).into_owned()).unwrap()
    }

    #[test]
    fn a_piece_of_twelve_or_more_is_redacted_a_shorter_one_is_not() {
        assert_eq!(
            clean(b"Bearer APP_USR-123456789... (cut)"),
            "Bearer <redacted>... (cut)"
        );
        assert_eq!(
            clean(b"tail: 4567abcdef89-987654321\""),
            "tail: <redacted>\""
        );
        let short = b"id 1234567890 of 010203-0123";
        assert_eq!(
            clean(short),
            "id 1234567890 of 010203-0123",
            "11 characters stay"
        );
        assert!(matches!(redact(TOKEN, short), Cow::Borrowed(_)));
        let mut text = "echo: APP_USR-1234567890123".to_owned();
        scrub(TOKEN, &mut text);
        assert_eq!(text, "echo: <redacted>");
    }

    /// The base64 a test writes by hand, to check the module's against.
    fn encode(bytes: &[u8], alphabet: &[u8; 64]) -> String {
        bytes
            .chunks(3)
            .flat_map(|c| {
                let n = (u32::from(c[0]) << 16)
                    | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
                    | u32::from(*c.get(2).unwrap_or(&0));
                let chars = c.len() + 1;
                (0..4).map(move |i| {
                    if i < chars {
                        alphabet[((n >> (18 - 6 * i)) & 0x3F) as usize] as char
                    } else {
                        '='
                    }
                })
            })
            .collect()
    }

    #[test]
    fn its_base64_is_redacted_wherever_it_sits() {
        for prefix in ["", "a", "ab", "Bearer ", "user:"] {
            for alphabet in [STANDARD, URL_SAFE] {
                let encoded = encode(format!("{prefix}{TOKEN}!").as_bytes(), alphabet);
                let out = clean(format!("Authorization: Basic {encoded}").as_bytes());
                assert!(out.contains(REDACTED), "{prefix:?}: {out}");
                let left = out.len() - "Authorization: Basic ".len() - REDACTED.len();
                assert!(
                    left <= prefix.len() * 2 + 4,
                    "{prefix:?}: a few characters left: {out}"
                );
            }
        }
        // A short secret's base64 is too short to tell from other text.
        assert!(matches!(redact("TEST-1", b"VEVTVC0x"), Cow::Borrowed(_)));
    }

    proptest::proptest! {
        /// Answers with pieces of the secret, its base64 and its escapes cut
        /// anywhere: looking first at whether an answer may hold it never
        /// changes what is redacted.
        #[test]
        fn looking_first_never_changes_what_is_redacted(
            parts in proptest::collection::vec((0usize..6, 0usize..80, 0usize..80), 0..8),
            filler in "[ -~]{0,40}",
        ) {
            let secret = "APP_USR-4471193652837102-120611-1b7c0e5a9f3d2c4b6a8e0f1d3c5b7a9e-193848576";
            let r = Redactor::new(secret);
            let b64 = encode(secret.as_bytes(), STANDARD);
            let escaped: String = secret.chars().map(|c| format!("\\u{:04x}", c as u32)).collect();
            let mut body = String::from("{\"id\":1,\"message\":\"");
            for (kind, a, b) in parts {
                let source: &str = match kind {
                    0 | 1 => secret,
                    2 => &b64,
                    3 => &escaped,
                    _ => &filler,
                };
                let (a, b) = (a.min(source.len()), b.min(source.len()));
                let (a, b) = (a.min(b), a.max(b));
                if let Some(piece) = source.get(a..b) {
                    body.push_str(piece);
                }
                body.push_str(&filler);
            }
            body.push_str("\"}");
            proptest::prop_assert_eq!(r.redact(body.as_bytes()), r.scan(body.as_bytes()));
        }
    }
}
