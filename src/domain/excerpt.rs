//! Bounded echoes of bad input in messages. A cell, line, header or answer that
//! is refused is shown as a short quoted excerpt with its size, never whole: a
//! 100 MB "header" must not become a 100 MB error message.

/// Characters of bad input a message shows.
pub(crate) const EXCERPT_CHARS: usize = 80;

/// `text` quoted as `{:?}` quotes it, cut to [`EXCERPT_CHARS`] characters, with
/// its size in bytes when it was cut.
pub(crate) fn excerpt(text: &str) -> String {
    Quoted(text).to_string()
}

/// [`excerpt`] made only when displayed: for messages built on a path every
/// valid cell takes too.
pub(crate) struct Quoted<'a>(pub &'a str);

impl std::fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = self.0;
        match text.char_indices().nth(EXCERPT_CHARS) {
            None => write!(f, "{text:?}"),
            Some((at, _)) => write!(f, "{:?}… ({} bytes in all)", &text[..at], text.len()),
        }
    }
}

/// [`excerpt`] of bytes that may not be UTF-8 (an HTTP body, a raw line).
pub(crate) fn excerpt_bytes(bytes: &[u8]) -> String {
    // Enough bytes for EXCERPT_CHARS characters of any width.
    let head = &bytes[..bytes.len().min(EXCERPT_CHARS * 4)];
    let text = String::from_utf8_lossy(head);
    match text.char_indices().nth(EXCERPT_CHARS) {
        None if head.len() == bytes.len() => format!("{text:?}"),
        None => format!("{text:?}… ({} bytes in all)", bytes.len()),
        Some((at, _)) => format!("{:?}… ({} bytes in all)", &text[..at], bytes.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_whole_long_text_cut_with_its_size() {
        assert_eq!(excerpt("abc"), "\"abc\"");
        let long = "x".repeat(10_000);
        let e = excerpt(&long);
        assert!(e.len() < 120, "{e}");
        assert!(e.ends_with("… (10000 bytes in all)"), "{e}");
        assert_eq!(excerpt_bytes(b"abc"), "\"abc\"");
        let e = excerpt_bytes(long.as_bytes());
        assert!(e.len() < 120 && e.ends_with("(10000 bytes in all)"), "{e}");
        // Multi-byte characters are never split.
        let wide = "é".repeat(1_000);
        assert!(excerpt(&wide).starts_with("\"éé"));
        assert!(excerpt_bytes(wide.as_bytes()).contains("(2000 bytes in all)"));
    }
}
