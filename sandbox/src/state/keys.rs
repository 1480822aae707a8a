//! The idempotency table: per (token, key), the request that owns the key while
//! it runs, then the answer to replay. Invariant: an entry is `Done` only for a
//! refund that exists, and `InFlight` only while one request owns it.

use std::collections::HashMap;

use axum::body::Bytes;

use super::wire::ApiError;

/// The idempotency table's entry for one (token, key).
#[derive(Debug)]
enum KeyEntry {
    InFlight {
        fingerprint: String,
    },
    Done {
        fingerprint: String,
        status: u16,
        body: Bytes,
    },
}

impl KeyEntry {
    fn fingerprint(&self) -> &str {
        match self {
            KeyEntry::InFlight { fingerprint } | KeyEntry::Done { fingerprint, .. } => fingerprint,
        }
    }
}

/// What the idempotency table says about an arriving request.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Claim {
    /// The key is now reserved for this request, which must commit or release it.
    Reserved,
    /// A finished request with the same key and meaning: answer this again.
    Replay { status: u16, body: Bytes },
}

#[derive(Default)]
pub(crate) struct Keys {
    entries: HashMap<String, KeyEntry>,
}

impl Keys {
    /// Looks the key up and, when it is free, reserves it for this request.
    pub(crate) fn claim(&mut self, scope: &str, fingerprint: &str) -> Result<Claim, ApiError> {
        match self.entries.get(scope) {
            Some(entry) if entry.fingerprint() != fingerprint => Err(ApiError::KEY_CONFLICT),
            Some(KeyEntry::InFlight { .. }) => Err(ApiError::KEY_LOCKED),
            Some(KeyEntry::Done { status, body, .. }) => Ok(Claim::Replay {
                status: *status,
                body: body.clone(),
            }),
            None => {
                self.entries.insert(
                    scope.to_owned(),
                    KeyEntry::InFlight {
                        fingerprint: fingerprint.to_owned(),
                    },
                );
                Ok(Claim::Reserved)
            }
        }
    }

    /// Frees a reservation that did not end in a refund, so the key can succeed
    /// later. A finished entry is never released.
    pub(crate) fn release(&mut self, scope: &str) {
        if matches!(self.entries.get(scope), Some(KeyEntry::InFlight { .. })) {
            self.entries.remove(scope);
        }
    }

    /// Turns the key's reservation into the answer to replay from now on.
    pub(crate) fn remember(&mut self, scope: &str, status: u16, body: Bytes) {
        if let Some(entry) = self.entries.get_mut(scope) {
            let fingerprint = std::mem::take(match entry {
                KeyEntry::InFlight { fingerprint } | KeyEntry::Done { fingerprint, .. } => {
                    fingerprint
                }
            });
            *entry = KeyEntry::Done {
                fingerprint,
                status,
                body,
            };
        }
    }
}
