//! Sessions: the session cookie, the CSRF token each session carries, and the
//! idle timeout. Who is asking, and whether they may, is `extract`'s.
//!
//! Invariants: session ids and CSRF tokens are 32 bytes from the OS random
//! generator, compared in constant time (`subtle`); a login gets a new session
//! id (the one the login form came with is dropped); a session unused for the
//! idle timeout is gone. Sessions live in memory: a restart logs everyone out.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use axum::http::{HeaderMap, HeaderValue, header};
use subtle::ConstantTimeEq;

pub(crate) const COOKIE: &str = "mprefund_session";
/// Anonymous sessions (a login form shown) beyond this many are dropped oldest
/// first: a stream of form loads cannot fill the memory.
const MAX_ANONYMOUS: usize = 10_000;

#[derive(Debug, Clone)]
struct Session {
    /// The account logged in; `None` for the session a login form is shown in.
    user: Option<String>,
    csrf: String,
    last_seen_ms: i64,
}

pub(crate) struct Sessions {
    map: Mutex<HashMap<String, Session>>,
    idle_ms: i64,
    /// Mark the cookie `Secure` (served over HTTPS, by a proxy in front).
    secure: bool,
}

/// The session a request came with.
#[derive(Debug, Clone)]
pub(crate) struct Current {
    pub id: String,
    pub user: Option<String>,
    pub csrf: String,
}

impl Sessions {
    pub(crate) fn new(idle: Duration, secure: bool) -> Sessions {
        Sessions {
            map: Mutex::new(HashMap::new()),
            idle_ms: i64::try_from(idle.as_millis()).unwrap_or(i64::MAX),
            secure,
        }
    }

    /// The live session the request's cookie names, its idle clock restarted.
    pub(crate) fn current(&self, headers: &HeaderMap, now_ms: i64) -> Option<Current> {
        let id = cookie_value(headers, COOKIE)?;
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        // Looked up by the id's hash-map key: the id is a random 256-bit value,
        // so a guess that finds nothing learns nothing from timing.
        let s = map.get_mut(id)?;
        if now_ms.saturating_sub(s.last_seen_ms) > self.idle_ms {
            map.remove(id);
            return None;
        }
        s.last_seen_ms = now_ms;
        Some(Current {
            id: id.to_owned(),
            user: s.user.clone(),
            csrf: s.csrf.clone(),
        })
    }

    /// A new session (`user` logged in, or none) with a fresh id and token.
    pub(crate) fn start(&self, user: Option<String>, now_ms: i64) -> anyhow::Result<Current> {
        let id = super::random_hex(32)?;
        let csrf = super::random_hex(32)?;
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        let idle = self.idle_ms;
        map.retain(|_, s| now_ms.saturating_sub(s.last_seen_ms) <= idle);
        let anonymous = map.values().filter(|s| s.user.is_none()).count();
        if user.is_none() && anonymous >= MAX_ANONYMOUS {
            let oldest = map
                .iter()
                .filter(|(_, s)| s.user.is_none())
                .min_by_key(|(_, s)| s.last_seen_ms)
                .map(|(k, _)| k.clone());
            if let Some(k) = oldest {
                map.remove(&k);
            }
        }
        map.insert(
            id.clone(),
            Session {
                user: user.clone(),
                csrf: csrf.clone(),
                last_seen_ms: now_ms,
            },
        );
        Ok(Current { id, user, csrf })
    }

    pub(crate) fn end(&self, id: &str) {
        self.map
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(id);
    }

    /// The `Set-Cookie` value that gives the browser session `id`.
    pub(crate) fn cookie(&self, id: &str) -> HeaderValue {
        let secure = if self.secure { "; Secure" } else { "" };
        HeaderValue::from_str(&format!(
            "{COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict{secure}"
        ))
        .unwrap_or_else(|_| HeaderValue::from_static(""))
    }

    /// The `Set-Cookie` value that removes the session cookie.
    pub(crate) fn cookie_cleared(&self) -> HeaderValue {
        let secure = if self.secure { "; Secure" } else { "" };
        HeaderValue::from_str(&format!(
            "{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}"
        ))
        .unwrap_or_else(|_| HeaderValue::from_static(""))
    }
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub(crate) fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// True when `given` is the session's token (constant time).
pub(crate) fn csrf_matches(expected: &str, given: Option<&str>) -> bool {
    given.is_some_and(|g| {
        !expected.is_empty() && bool::from(expected.as_bytes().ct_eq(g.as_bytes()))
    })
}

/// The token a request carries in its `X-CSRF-Token` header.
pub(crate) fn csrf_header(headers: &HeaderMap) -> Option<&str> {
    headers.get("x-csrf-token").and_then(|v| v.to_str().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_cookie(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn a_session_ends_after_the_idle_timeout_and_not_before() {
        let s = Sessions::new(Duration::from_secs(60), false);
        let c = s.start(Some("ana".into()), 1_000).unwrap();
        let h = with_cookie(&format!("other=1; {COOKIE}={}", c.id));
        let seen = s.current(&h, 61_000).expect("60 s idle is still in");
        assert_eq!(seen.user.as_deref(), Some("ana"));
        assert_eq!(seen.csrf, c.csrf);
        assert!(s.current(&h, 121_000).is_some(), "each request restarts it");
        assert!(s.current(&h, 181_001).is_none(), "idle too long");
        assert!(s.current(&h, 181_002).is_none(), "and gone for good");
        assert!(
            s.current(&with_cookie("mprefund_session=forged"), 0)
                .is_none()
        );
    }

    #[test]
    fn ended_sessions_are_gone_and_cookies_are_strict() {
        let s = Sessions::new(Duration::from_secs(60), true);
        let c = s.start(None, 0).unwrap();
        assert_eq!(c.id.len(), 64);
        assert_ne!(c.id, c.csrf);
        s.end(&c.id);
        assert!(
            s.current(&with_cookie(&format!("{COOKIE}={}", c.id)), 0)
                .is_none()
        );
        let cookie = s.cookie(&c.id);
        let cookie = cookie.to_str().unwrap();
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
        assert!(cookie.ends_with("; Secure"));
        let plain = Sessions::new(Duration::from_secs(60), false).cookie("x");
        assert!(!plain.to_str().unwrap().contains("Secure"));
    }

    #[test]
    fn csrf_tokens_must_match_exactly() {
        assert!(csrf_matches("abc", Some("abc")));
        assert!(!csrf_matches("abc", Some("abd")));
        assert!(!csrf_matches("abc", Some("ab")));
        assert!(!csrf_matches("abc", None));
        assert!(!csrf_matches("", Some("")));
    }
}
