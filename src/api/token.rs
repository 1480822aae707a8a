//! The access token: where it is read from (`MP_ACCESS_TOKEN`, or a token file of
//! at most [`MAX_TOKEN_FILE`] bytes), and how it is kept out of everything else —
//! `Debug` prints a placeholder, and answers that echo it are redacted in every
//! spelling before they are read and scrubbed again once decoded.
//!
//! Invariant: the token leaves this module only as the `Authorization` header
//! value ([`Token::bearer`]).

use hyper::http::HeaderValue;

use crate::Usage;
use crate::api::redact;
use crate::api::reply::Reply;

/// The access token. Deliberately not `Display`; `Debug` prints a placeholder.
/// Its redactor is built once and shared by every clone: every answer is
/// scanned with it.
#[derive(Clone)]
pub(crate) struct Token(String, std::sync::Arc<redact::Redactor>);

impl Token {
    pub(crate) fn new(raw: &str) -> Result<Token, Usage> {
        // Notepad and some editors save UTF-8 with a BOM; it is never part of a token.
        let t = raw.trim().trim_start_matches('\u{feff}').trim();
        if t.is_empty() {
            return Err(Usage("the access token is empty".into()));
        }
        if t.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(Usage("the access token contains whitespace".into()));
        }
        Ok(Token(
            t.to_owned(),
            std::sync::Arc::new(redact::Redactor::new(t)),
        ))
    }

    /// Reads it from `--token-file` when given, else from `MP_ACCESS_TOKEN`.
    pub(crate) fn from_env_or_file(file: Option<&std::path::Path>) -> Result<Token, Usage> {
        match file {
            Some(path) => {
                let raw = read_token_file(path)?;
                warn_if_shared(path);
                Token::new(&raw)
            }
            None => match std::env::var("MP_ACCESS_TOKEN") {
                Ok(raw) => Token::new(&raw),
                Err(_) => Err(Usage(
                    "no access token: set MP_ACCESS_TOKEN or pass --token-file FILE".into(),
                )),
            },
        }
    }
}

/// A token file holds one token (Mercado Pago's are under 100 characters); more
/// than this is the wrong file — `/dev/zero`, a log, a key store — and is refused
/// before it fills the memory, its contents never shown.
pub(crate) const MAX_TOKEN_FILE: u64 = 4096;

fn read_token_file(path: &std::path::Path) -> Result<String, Usage> {
    use std::io::Read;
    let cannot = |e: std::io::Error| {
        Usage(format!(
            "cannot read the token file {}: {e}",
            path.display()
        ))
    };
    // A named pipe, a device or a folder is not a token file: opening a pipe
    // would wait for a writer for ever. Checked before opening, and again on
    // what was opened (the path may have changed between the two).
    let regular = |m: std::fs::Metadata| {
        if m.is_file() {
            Ok(())
        } else {
            Err(Usage(format!(
                "the token file {} is not a regular file (a pipe, a device or a folder); give a file holding only the access token",
                path.display()
            )))
        }
    };
    regular(std::fs::metadata(path).map_err(cannot)?)?;
    let file = std::fs::File::open(path).map_err(cannot)?;
    regular(file.metadata().map_err(cannot)?)?;
    let mut raw = Vec::new();
    file.take(MAX_TOKEN_FILE + 1)
        .read_to_end(&mut raw)
        .map_err(cannot)?;
    if raw.len() as u64 > MAX_TOKEN_FILE {
        return Err(Usage(format!(
            "the token file {} is larger than {MAX_TOKEN_FILE} bytes; it must hold only the access token (contents not shown)",
            path.display()
        )));
    }
    String::from_utf8(raw).map_err(|_| {
        Usage(format!(
            "the token file {} is not UTF-8 text (contents not shown)",
            path.display()
        ))
    })
}

/// A token file others can read is a leaked token waiting to happen; say so, and
/// carry on (cron set-ups are fixed by people reading their logs).
fn warn_if_shared(path: &std::path::Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path)
            && meta.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(
                "the token file {} is readable by other users (mode {:o}); chmod 600 it",
                path.display(),
                meta.permissions().mode() & 0o777
            );
        }
    }
}

impl Token {
    /// Replaces the token wherever it appears in `bytes`, in any spelling — a
    /// server that echoes the request's headers in its error text must not get it
    /// into the state file, decoded or not.
    pub(crate) fn redact<'a>(&self, bytes: &'a [u8]) -> std::borrow::Cow<'a, [u8]> {
        self.1.redact(bytes)
    }

    /// The same for text already decoded from an answer: what is stored must not
    /// hold the token, whatever escapes got it past [`Token::redact`].
    fn scrub(&self, text: &mut String) {
        self.1.scrub(text);
    }

    /// Every text of `reply` that came from the server, scrubbed.
    pub(crate) fn scrub_reply(&self, reply: &mut Reply) {
        let cause = match reply {
            Reply::Refund {
                refund, mismatch, ..
            } => {
                self.scrub(&mut refund.id);
                if let Some(text) = refund.status.server_text_mut() {
                    self.scrub(text);
                }
                mismatch.as_mut()
            }
            Reply::Error { cause, .. } => cause.as_mut(),
            Reply::Unknown { reason, .. } => {
                self.scrub(reason);
                None
            }
        };
        if let Some(c) = cause {
            if let Some(text) = c.code.server_text_mut() {
                self.scrub(text);
            }
            self.scrub(&mut c.message);
        }
    }
}

impl Token {
    /// The `Authorization` header value, marked sensitive: the one way the token
    /// leaves the process.
    pub(crate) fn bearer(&self) -> Result<HeaderValue, Usage> {
        let mut auth = HeaderValue::from_str(&format!("Bearer {}", self.0))
            .map_err(|_| Usage("the access token has characters not allowed in a header".into()))?;
        auth.set_sensitive(true);
        Ok(auth)
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Cause;

    #[test]
    fn the_token_is_redacted_from_answers() {
        let t = Token::new("APP_USR-secret-123").unwrap();
        let echoed = t.redact(b"bad header: Bearer APP_USR-secret-123 (twice: APP_USR-secret-123)");
        assert_eq!(
            String::from_utf8(echoed.into_owned()).unwrap(),
            "bad header: Bearer <redacted> (twice: <redacted>)"
        );
        assert_eq!(
            Token::new("\u{feff}TEST-1\n").unwrap().0,
            "TEST-1",
            "a BOM is not part of the token"
        );
    }

    #[test]
    fn the_token_is_scrubbed_from_decoded_text() {
        // And what was decoded is scrubbed again, whatever got it there.
        let t = Token::new("TEST-9").unwrap();
        let mut reply = Reply::Error {
            status: 400,
            retry_after: None,
            cause: Some(Cause {
                code: crate::domain::CauseCode::parse("TEST-9"),
                message: "token TEST-9".into(),
            }),
        };
        t.scrub_reply(&mut reply);
        let Reply::Error { cause: Some(c), .. } = reply else {
            panic!()
        };
        assert_eq!(
            (c.code.to_string().as_str(), c.message.as_str()),
            ("<redacted>", "token <redacted>")
        );
    }

    #[test]
    fn a_token_file_is_bounded_and_never_echoed() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big");
        std::fs::write(&big, "TEST-secretish".repeat(1000)).unwrap();
        let e = Token::from_env_or_file(Some(&big)).unwrap_err();
        assert!(e.0.contains("larger than 4096 bytes"), "{}", e.0);
        assert!(!e.0.contains("secretish"), "{}", e.0);
        let ok = dir.path().join("ok");
        std::fs::write(&ok, "TEST-1\n").unwrap();
        assert_eq!(Token::from_env_or_file(Some(&ok)).unwrap().0, "TEST-1");
        #[cfg(unix)]
        {
            let e = Token::from_env_or_file(Some(std::path::Path::new("/dev/zero"))).unwrap_err();
            assert!(e.0.contains("not a regular file"), "{}", e.0);
            let e = Token::from_env_or_file(Some(dir.path())).unwrap_err();
            assert!(e.0.contains("not a regular file"), "{}", e.0);
        }
    }

    #[test]
    fn token_never_shows() {
        let t = Token::new(" TEST-123 \n").unwrap();
        assert_eq!(format!("{t:?}"), "Token(<redacted>)");
        assert!(Token::new("  ").is_err());
    }
}
