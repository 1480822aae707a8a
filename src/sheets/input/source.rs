//! The byte source: the file read once, through a SHA-256 of exactly the bytes
//! read; the header prefix (BOM removed) from which the delimiter is detected and
//! the file type sniffed (`.xlsx`, UTF-16 and binary files are refused). Line
//! numbers come from [`crate::sheets::lines`].

use std::io::{self, Read};
use std::path::Path;

use sha2::{Digest, Sha256};

use super::InputError;

/// Longest header line accepted; a longer "first line" is not a spreadsheet header.
pub(super) const MAX_HEADER_BYTES: usize = 1 << 20;

/// Reads until the end of the first non-blank line (outside quotes) or EOF, so the
/// delimiter can be detected before parsing starts. Returns the bytes read, UTF-8
/// BOM removed (the csv parser then never sees it), and whether there was one.
pub(super) fn read_header_prefix(r: &mut impl Read) -> io::Result<(Vec<u8>, bool)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        if header_line(&buf).is_some() || buf.len() > MAX_HEADER_BYTES {
            break;
        }
        let n = match r.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        buf.extend_from_slice(&chunk[..n]);
    }
    let bom = buf.starts_with(b"\xEF\xBB\xBF");
    if bom {
        buf.drain(..3);
    }
    Ok((buf, bom))
}

/// The first non-blank line of `buf` if it is complete (ends with a line break
/// outside quotes), else `None`.
fn header_line(buf: &[u8]) -> Option<&[u8]> {
    let buf = buf.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(buf);
    let start = buf.iter().position(|b| !matches!(b, b'\r' | b'\n'))?;
    let mut quoted = false;
    for (i, &b) in buf.iter().enumerate().skip(start) {
        match b {
            b'"' => quoted = !quoted,
            b'\r' | b'\n' if !quoted => return Some(&buf[start..i]),
            _ => {}
        }
    }
    None
}

/// The delimiter occurring most often outside quotes in the header line; `,` when
/// none occurs (a one-column header, which then lacks a required column anyway).
pub(super) fn detect_delimiter(prefix: &[u8]) -> u8 {
    let start = prefix
        .iter()
        .position(|b| !matches!(b, b'\r' | b'\n'))
        .unwrap_or(0);
    let line = header_line(prefix).unwrap_or(&prefix[start..]);
    let mut counts = [(b',', 0usize), (b';', 0), (b'\t', 0)];
    let mut quoted = false;
    for &b in line {
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted {
            for (d, n) in &mut counts {
                *n += usize::from(b == *d);
            }
        }
    }
    // Ties keep the earlier of `,` `;` tab (max_by_key keeps the last maximum).
    counts
        .iter()
        .rev()
        .max_by_key(|(_, n)| *n)
        .map_or(b',', |(d, _)| *d)
}

/// Refuses, with a message an analyst can act on, files that are not text CSV.
pub(super) fn sniff_encoding(path: &Path, prefix: &[u8]) -> Result<(), InputError> {
    let reason = if prefix.starts_with(b"PK\x03\x04") {
        "this is an Excel workbook (.xlsx), not a CSV; in Excel use Save As → \"CSV UTF-8\""
    } else if prefix.starts_with(b"\xFF\xFE") || prefix.starts_with(b"\xFE\xFF") {
        "the file is UTF-16 (\"Unicode text\"); save it as \"CSV UTF-8\""
    } else if header_line(prefix).unwrap_or(prefix).contains(&0) {
        "the header contains NUL bytes: the file is binary or UTF-16, not a CSV; save it as \"CSV UTF-8\""
    } else {
        return Ok(());
    };
    Err(InputError::Encoding {
        path: path.to_owned(),
        reason: reason.to_owned(),
    })
}

/// Hashes every byte read from the file, for the batch's `digest`.
pub(super) struct Hashing<R> {
    pub(super) inner: R,
    pub(super) hasher: Sha256,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}
