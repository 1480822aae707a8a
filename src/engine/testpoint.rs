//! Test points: the places on the way to sending where a test may make the process
//! die (as `kill -9` would) or receive SIGTERM, at a moment it chooses rather
//! than by timing luck — what the seeded simulation and the crash tests arm.
//! `MPREFUND_TEST_POINT=<point>:<n>:<kill|term>` fires on the n-th time (from 1)
//! the process reaches `<point>`: `staged` (a new batch's rows stored, nothing
//! of it committed yet), `answered` (an answer to a refund request came back
//! and is not yet recorded), `claimed` (a claim committed, nothing of it sent
//! yet), `recorded` (results committed).
//!
//! `MPREFUND_TEST_BACKOFF_MS` shortens the first backoff of retries, so that a
//! simulation of thousands of bad nights spends its time on decisions, not on
//! sleeping.
//!
//! Invariant: unarmed (the variable unset, as in every real run) a point costs
//! one atomic load and changes nothing; a point fires at most once.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// Where on the way to sending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Point {
    Staged,
    Answered,
    Claimed,
    Recorded,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    /// Die at once: no destructor, no flush, as after `kill -9`.
    Kill,
    /// As if SIGTERM came: the graceful stop.
    Term,
}

struct Armed {
    point: Point,
    at: u64,
    action: Action,
    seen: AtomicU64,
}

static ARMED: OnceLock<Option<Armed>> = OnceLock::new();
static TERM: tokio::sync::Notify = tokio::sync::Notify::const_new();

fn parse(text: &str) -> Option<Armed> {
    let mut parts = text.trim().split(':');
    let point = match parts.next()? {
        "staged" => Point::Staged,
        "answered" => Point::Answered,
        "claimed" => Point::Claimed,
        "recorded" => Point::Recorded,
        _ => return None,
    };
    let at = parts.next()?.parse().ok().filter(|n| *n > 0)?;
    let action = match parts.next()? {
        "kill" => Action::Kill,
        "term" => Action::Term,
        _ => return None,
    };
    parts.next().is_none().then_some(Armed {
        point,
        at,
        action,
        seen: AtomicU64::new(0),
    })
}

fn armed() -> Option<&'static Armed> {
    ARMED
        .get_or_init(|| {
            std::env::var("MPREFUND_TEST_POINT")
                .ok()
                .and_then(|v| parse(&v))
        })
        .as_ref()
}

/// The process reached `point`.
pub(crate) fn reached(point: Point) {
    let Some(a) = armed() else { return };
    if a.point != point || a.seen.fetch_add(1, Ordering::SeqCst) + 1 != a.at {
        return;
    }
    match a.action {
        Action::Kill => std::process::abort(),
        Action::Term => TERM.notify_one(),
    }
}

/// The first backoff a test asked for, if one did.
pub(crate) fn backoff_base() -> Option<std::time::Duration> {
    static BASE: OnceLock<Option<std::time::Duration>> = OnceLock::new();
    *BASE.get_or_init(|| {
        std::env::var("MPREFUND_TEST_BACKOFF_MS")
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .map(std::time::Duration::from_millis)
    })
}

/// Resolves when an armed point asks for the graceful stop of SIGTERM.
pub(crate) async fn term() {
    TERM.notified().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_read_as_written_and_nothing_else() {
        let a = parse("answered:7:kill").unwrap();
        assert_eq!(
            (a.point, a.at, a.action),
            (Point::Answered, 7, Action::Kill)
        );
        let a = parse("claimed:1:term").unwrap();
        assert_eq!((a.point, a.action), (Point::Claimed, Action::Term));
        let a = parse("staged:1:kill").unwrap();
        assert_eq!((a.point, a.action), (Point::Staged, Action::Kill));
        for bad in [
            "",
            "answered",
            "answered:0:kill",
            "answered:x:kill",
            "sent:1:kill",
            "answered:1:kill:x",
        ] {
            assert!(parse(bad).is_none(), "{bad}");
        }
    }
}
