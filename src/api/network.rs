//! What went wrong on the way to the API when no answer came at all: the host
//! and one of a few named causes (`connect_refused`, `dns`, `tls`, `timeout`,
//! `connect_failed`), read from a transport error's source chain; and [`Reach`],
//! which says when the very first requests of a run all failed to connect, so the
//! run stops at once naming the host and the cause instead of hammering an API
//! it never reached until the circuit breaker opens.
//!
//! Invariants: causes are read with typed downcasts (`std::io::Error` kinds,
//! `rustls::Error`) wherever the libraries expose a type; the only text matched
//! is hyper-util's "dns error", whose type keeps its kind private. A cause never
//! makes a row's outcome known: a row whose last attempt met one stands in the
//! way of other batches' rows on its payment as an `unknown_outcome` does (an
//! earlier attempt of the row may have reached the API; see
//! `CauseCode::is_unknown_outcome`).

use std::error::Error as StdError;
use std::io::ErrorKind;
use std::sync::Mutex;

pub(crate) use crate::domain::NetCause;

impl NetCause {
    /// The row's cause code, as text.
    pub(crate) fn code(self) -> &'static str {
        self.into()
    }

    fn describe(self) -> &'static str {
        match self {
            NetCause::ConnectRefused => "connection refused",
            NetCause::Dns => "the host name does not resolve (DNS)",
            NetCause::Tls => "the TLS handshake failed",
            NetCause::Timeout => "timed out",
            NetCause::ConnectFailed => "could not connect",
        }
    }

    /// A name that does not resolve, or a server that is not the TLS server
    /// expected, is configuration (`--api-base`, the resolver, a proxy, the
    /// certificate store): running again later meets it again. A refusal or a
    /// timeout is an outage that passes.
    pub(crate) fn is_configuration(self) -> bool {
        matches!(self, NetCause::Dns | NetCause::Tls)
    }
}

/// A transport failure: where the request was going and why it got no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NetFault {
    pub cause: NetCause,
    /// `host:port` of the request (the API base's).
    pub host: String,
    /// It failed while connecting: no byte of the request left.
    pub connecting: bool,
}

impl std::fmt::Display for NetFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {} (cause {})",
            self.host,
            self.cause.describe(),
            self.cause.code()
        )
    }
}

/// The fault of a request that got no answer; `None` for one that connected and
/// was cut for another reason (a reset mid-answer says nothing about reaching
/// the host).
pub(crate) fn fault_of(e: &crate::api::transport::TransportError) -> Option<NetFault> {
    let cause = cause_of(e, e.is_connect(), e.is_timeout())?;
    Some(NetFault {
        cause,
        host: e.host().to_owned(),
        connecting: e.is_connect(),
    })
}

/// Reads the cause from `err`'s source chain. `connect` and `timeout` are what
/// the HTTP client itself says of the error (`TransportError::is_connect`,
/// `is_timeout`); the chain says more.
fn cause_of(err: &(dyn StdError + 'static), connect: bool, timeout: bool) -> Option<NetCause> {
    let mut found = None;
    let mut src: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = src {
        if e.is::<rustls::Error>() {
            return Some(NetCause::Tls);
        }
        // An io::Error's `source` skips the error it wraps (tokio-rustls wraps
        // the rustls::Error of a failed handshake in one, and the TLS connector
        // that in another): `get_ref` is the next link.
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            found = found.or(match io.kind() {
                ErrorKind::ConnectionRefused => Some(NetCause::ConnectRefused),
                ErrorKind::TimedOut => Some(NetCause::Timeout),
                _ => None,
            });
            src = io.get_ref().map(|inner| inner as &(dyn StdError + 'static));
            continue;
        }
        // Last resort: hyper-util's ConnectError keeps "dns error" as its message
        // and nothing typed; the resolver's own io::Error has no kind of its own.
        if connect && e.to_string() == "dns error" {
            return Some(NetCause::Dns);
        }
        src = e.source();
    }
    match found {
        Some(c) => Some(c),
        None if timeout => Some(NetCause::Timeout),
        None if connect => Some(NetCause::ConnectFailed),
        None => None,
    }
}

/// How many attempts in a row must fail to reach the API, before anything ever
/// did, for the run to stop at once.
pub(crate) const FIRST_ATTEMPTS: u32 = 3;

/// Watches the first attempts of a run: once any connected, it says nothing
/// more (the breaker watches outages after that); until then, `threshold`
/// attempts that all failed to connect stop the run. A request that connected
/// and then timed out is not counted: a slow API is the breaker's to judge.
#[derive(Debug)]
pub(crate) struct Reach {
    threshold: u32,
    state: Mutex<ReachState>,
}

#[derive(Debug, Default)]
struct ReachState {
    connected: bool,
    failed: u32,
}

impl Reach {
    /// How many first attempts failing to connect stop a run.
    pub(crate) fn threshold(&self) -> u32 {
        self.threshold
    }

    pub(crate) fn new(threshold: u32) -> Reach {
        Reach {
            threshold: threshold.max(1),
            state: Mutex::new(ReachState::default()),
        }
    }

    /// Records one attempt: `None` when it connected, else what kept it from
    /// connecting. Returns the fault that stops the run, once.
    pub(crate) fn record(&self, fault: Option<&NetFault>) -> Option<NetFault> {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if s.connected {
            return None;
        }
        let Some(fault) = fault else {
            s.connected = true;
            return None;
        };
        s.failed += 1;
        (s.failed == self.threshold).then(|| fault.clone())
    }
}

/// A row's cause when its last attempt got no answer for `fault`.
pub(crate) fn row_cause(fault: &NetFault, reason: &str, attempts: u32) -> crate::domain::Cause {
    crate::domain::Cause {
        code: crate::domain::CauseCode::Net(fault.cause),
        message: format!(
            "no answer from {fault} after {attempts} attempt(s) ({reason}); the same key settles it on the next run"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An error with a message and a source, as the HTTP stack nests them.
    #[derive(Debug)]
    struct Layer(
        &'static str,
        Option<Box<dyn StdError + Send + Sync + 'static>>,
    );

    impl std::fmt::Display for Layer {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }

    impl StdError for Layer {
        fn source(&self) -> Option<&(dyn StdError + 'static)> {
            self.1.as_deref().map(|e| e as &(dyn StdError + 'static))
        }
    }

    fn chain(msgs: &[&'static str], last: Box<dyn StdError + Send + Sync>) -> Layer {
        let mut e: Box<dyn StdError + Send + Sync> = last;
        for m in msgs[1..].iter().rev() {
            e = Box::new(Layer(m, Some(e)));
        }
        Layer(msgs[0], Some(e))
    }

    #[test]
    fn causes_are_read_from_the_source_chain() {
        let io = |k: ErrorKind| Box::new(std::io::Error::from(k));
        let refused = chain(
            &["client error (Connect)", "tcp connect error"],
            io(ErrorKind::ConnectionRefused),
        );
        assert_eq!(
            cause_of(&refused, true, false),
            Some(NetCause::ConnectRefused)
        );
        // hyper-util's resolver error: "dns error" around getaddrinfo's io::Error.
        let dns = chain(
            &["client error (Connect)", "dns error"],
            Box::new(std::io::Error::other(
                "failed to lookup address information: Name or service not known",
            )),
        );
        assert_eq!(cause_of(&dns, true, false), Some(NetCause::Dns));
        // As it comes: rustls's error in tokio-rustls's io::Error, in the TLS
        // connector's.
        let tls = chain(
            &["client error (Connect)"],
            Box::new(std::io::Error::other(std::io::Error::new(
                ErrorKind::InvalidData,
                rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType),
            ))),
        );
        assert_eq!(cause_of(&tls, true, false), Some(NetCause::Tls));
        let timed_out = chain(&["operation timed out"], io(ErrorKind::TimedOut));
        assert_eq!(cause_of(&timed_out, false, true), Some(NetCause::Timeout));
        // The exchange's own deadline has no io::Error under it.
        let own = Layer("operation timed out", None);
        assert_eq!(cause_of(&own, false, true), Some(NetCause::Timeout));
        let unreachable = chain(&["tcp connect error"], io(ErrorKind::NetworkUnreachable));
        assert_eq!(
            cause_of(&unreachable, true, false),
            Some(NetCause::ConnectFailed)
        );
        // Connected, then cut: not a failure to reach the host.
        let reset = chain(&["connection error"], io(ErrorKind::ConnectionReset));
        assert_eq!(cause_of(&reset, false, false), None);
    }

    fn fault(cause: NetCause) -> NetFault {
        NetFault {
            cause,
            host: "127.0.0.1:9".into(),
            connecting: true,
        }
    }

    #[test]
    fn the_first_attempts_all_unconnected_stop_once() {
        let r = Reach::new(3);
        let f = fault(NetCause::ConnectRefused);
        assert_eq!(r.record(Some(&f)), None);
        assert_eq!(r.record(Some(&f)), None);
        assert_eq!(r.record(Some(&f)), Some(f.clone()));
        // Said once: the stop is already asked.
        assert_eq!(r.record(Some(&f)), None);
    }

    #[test]
    fn one_connection_and_reach_says_nothing_more() {
        let r = Reach::new(2);
        let f = fault(NetCause::Timeout);
        assert_eq!(r.record(Some(&f)), None);
        assert_eq!(r.record(None), None);
        for _ in 0..5 {
            assert_eq!(r.record(Some(&f)), None);
        }
    }

    #[test]
    fn configuration_or_outage() {
        assert!(NetCause::Dns.is_configuration());
        assert!(NetCause::Tls.is_configuration());
        assert!(!NetCause::ConnectRefused.is_configuration());
        assert!(!NetCause::Timeout.is_configuration());
        assert!(!NetCause::ConnectFailed.is_configuration());
    }
}
